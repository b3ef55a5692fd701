"""Simulation results: a rich object, saved atomically as JSON metadata plus ``.npz`` arrays.

A result on disk is a directory with ``result.npz`` (arrays) and ``result.json``
(configuration, seed, versions, per-replicate status and the SHA-256 of the
``.npz``). Each file is written to a temporary name and renamed into place, the
JSON last, so a killed run leaves either the previous complete result or none;
:meth:`SimulationResult.load` refuses a directory whose arrays do not match the
checksum recorded in its JSON.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["SimulationResult", "FORMAT_VERSION", "atomic_write_bytes", "versions"]

#: bump when the on-disk layout changes incompatibly
FORMAT_VERSION = 1


def versions() -> dict:
    import scipy

    from . import __version__
    return {"ratecheck": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "python": platform.python_version()}


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass
class SimulationResult:
    """What :func:`ratecheck.simulate` returns.

    Attributes
    ----------
    checkpoints : int array (n_checkpoints,)
        Steps at which metrics were recorded.
    metrics : dict of name -> float array (n_checkpoints, replicates)
        NaN for a replicate after it diverged.
    x : float array (replicates, dim)
        Final iterates. ``output_x`` is the final average/EMA when the optimizer has one.
    diverged, diverged_step : per-replicate status (step -1 for replicates that did not diverge).
    problem, optimizer : JSON-able descriptions that rebuild them.
    """

    problem: dict
    optimizer: dict
    seed: dict
    steps: int
    replicates: int
    block_size: int
    checkpoints: np.ndarray
    metrics: dict
    x: np.ndarray
    output_x: np.ndarray | None
    diverged: np.ndarray
    diverged_step: np.ndarray
    message: str
    elapsed: float
    constants: dict = field(default_factory=dict)
    versions: dict = field(default_factory=versions)

    # ------------------------------------------------------------------ queries
    @property
    def n_diverged(self) -> int:
        return int(self.diverged.sum())

    @property
    def success(self) -> bool:
        return self.n_diverged == 0

    def certificate(self, lam: float) -> np.ndarray:
        """Upper bound on ‖∇F(output)‖_[λ] at each checkpoint, shape (n_checkpoints, replicates)."""
        if "cert_grad_norm" not in self.metrics:
            raise ValueError("this result has no (lambda, eps) certificate: the optimizer outputs its "
                             "iterate, or the simulation ran with certificate=False")
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam}")
        return self.metrics["cert_grad_norm"] + lam * self.metrics["cert_spread"]

    def __repr__(self) -> str:
        return (f"SimulationResult({self.optimizer.get('name')} on {self.problem.get('name')}, "
                f"steps={self.steps}, replicates={self.replicates}, {self.message})")

    # ------------------------------------------------------------------ storage
    def _meta(self) -> dict:
        return {"format_version": FORMAT_VERSION, "problem": self.problem, "optimizer": self.optimizer,
                "seed": self.seed, "steps": self.steps, "replicates": self.replicates,
                "block_size": self.block_size, "message": self.message, "elapsed": self.elapsed,
                "n_diverged": self.n_diverged, "constants": self.constants, "versions": self.versions,
                "metrics": sorted(self.metrics)}

    def save(self, directory, extra_meta: dict | None = None) -> Path:
        """Write ``result.npz`` then ``result.json`` atomically into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {"checkpoints": self.checkpoints, "x": self.x, "diverged": self.diverged,
                  "diverged_step": self.diverged_step}
        if self.output_x is not None:
            arrays["output_x"] = self.output_x
        for name, values in self.metrics.items():
            arrays[f"metric/{name}"] = values
        import io
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        data = buf.getvalue()
        meta = self._meta()
        meta["npz_sha256"] = hashlib.sha256(data).hexdigest()
        if extra_meta:
            meta.update(extra_meta)
        atomic_write_bytes(directory / "result.npz", data)
        atomic_write_bytes(directory / "result.json",
                           (json.dumps(_jsonable(meta), indent=2, allow_nan=True) + "\n").encode())
        return directory

    @classmethod
    def load(cls, directory) -> "SimulationResult":
        directory = Path(directory)
        meta_path, npz_path = directory / "result.json", directory / "result.npz"
        if not meta_path.exists() or not npz_path.exists():
            raise FileNotFoundError(f"no complete result in {directory} (need result.json and result.npz)")
        meta = json.loads(meta_path.read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{meta_path} has format_version {meta.get('format_version')!r}; this "
                             f"ratecheck reads version {FORMAT_VERSION}: rerun the simulation")
        data = npz_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta.get("npz_sha256"):
            raise ValueError(f"{npz_path} does not match the checksum in {meta_path}: the result is "
                             f"incomplete or was modified; rerun the simulation")
        import io
        with np.load(io.BytesIO(data)) as z:
            arrays = {k: z[k] for k in z.files}
        metrics = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("metric/")}
        return cls(problem=meta["problem"], optimizer=meta["optimizer"], seed=meta["seed"],
                   steps=meta["steps"], replicates=meta["replicates"], block_size=meta["block_size"],
                   checkpoints=arrays["checkpoints"], metrics=metrics, x=arrays["x"],
                   output_x=arrays.get("output_x"), diverged=arrays["diverged"],
                   diverged_step=arrays["diverged_step"], message=meta["message"],
                   elapsed=meta["elapsed"], constants=meta.get("constants", {}),
                   versions=meta.get("versions", {}))


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
