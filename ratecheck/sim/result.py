"""Simulation results: a rich object, saved atomically as JSON metadata plus ``.npz`` arrays.

A result on disk is a directory with ``result.npz`` (arrays) and ``result.json``
(configuration, seed, versions, per-replicate status and the SHA-256 of the
``.npz``). Each file is written to a temporary name and renamed into place, the
JSON last, so a killed run leaves either the previous complete result or none;
:meth:`SimulationResult.load` refuses a directory whose arrays do not match the
checksum recorded in its JSON.

Provenance: the JSON records the full configuration (problem, optimizer, run size, seed, block
size, checkpoint grid, running metrics, certificate, start point), the versions of ratecheck,
NumPy, SciPy and Python (and numba when its engine ran), the git commit of the ratecheck source
and whether its tree had uncommitted changes (when it is a git checkout), the start and end time
(UTC, ISO 8601), the engine and number of worker processes, the floating-point ``dtype`` and the
per-replicate status (``diverged``, ``diverged_step`` in the arrays, counts in the JSON).

Integrity: ``result.json`` also carries the SHA-256 of its own canonical content (``json_sha256``, see
:func:`json_bytes`), so a changed byte anywhere in it is detected: :meth:`SimulationResult.load`
raises :class:`DamagedError` (a ``ValueError``) naming the file. Every JSON document ratecheck stores
(results, snapshots, the experiment and report JSON) is written with :func:`json_bytes` and read with
:func:`read_json`.

Files are written with the permissions the umask gives a new file (0644 under umask 022), not the
0600 of a temporary file. An operating-system error while writing (disk full, permission denied, ...)
is an :class:`OutputError` naming the path.

Format versions: :data:`FORMAT_VERSION` is written; :data:`READABLE_VERSIONS` are read (version 1,
from before provenance and ``dtype``, reads as float64 with empty provenance; versions 1 and 2, from
before the JSON checksum, are read without it). Anything else is refused with a message naming both
versions.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import (JSON_CHECKSUM_KEY, NO_SPACE, DamagedError, OutputError, atomic_write_bytes, git_state,  # noqa: F401
                    json_bytes, jsonable, make_directory, read_json, read_json_checked, utc_now, versions)

__all__ = ["SimulationResult", "FORMAT_VERSION", "READABLE_VERSIONS", "atomic_write_bytes", "versions",
           "git_state", "utc_now", "json_bytes", "jsonable", "make_directory", "read_json", "DamagedError",
           "OutputError", "JSON_CHECKSUM_KEY", "NO_SPACE"]

#: the on-disk layout written (bump when it changes; 2 added dtype and provenance, 3 the JSON checksum)
FORMAT_VERSION = 3
#: the layouts this version reads
READABLE_VERSIONS = (1, 2, 3)


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
    dtype : "float64" (the default) or "float32" (iterates and optimizer state stored in float32).
    provenance : dict
        ``started``/``finished`` (UTC ISO 8601), ``engine``, ``workers``, ``git`` (commit and
        dirty flag, or None), ``config`` (running, certificate, n_checkpoints, x0), ``sessions``
        (one entry per process that ran part of the steps: from/to step, start, end, engine).
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
    dtype: str = "float64"
    provenance: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ queries
    @property
    def n_diverged(self) -> int:
        return int(self.diverged.sum())

    @property
    def success(self) -> bool:
        return self.n_diverged == 0

    def certificate(self, lam: float, *, average: bool = False, norm: str = "l2") -> np.ndarray:
        r"""Upper bound on the (λ,ε) measure at the output point, shape (n_checkpoints, replicates).

        ``average=False``: :math:`\|\sum_s w_s\nabla F(p_s)\| + \lambda\sum_s w_s\|p_s-\bar p_t\|^2` at the
        checkpoint t (Lemma 7's distribution of Ahn & Cutkosky, whose mean is the output). ``average=True``:
        its time average over every step s = 1..t, the quantity :math:`E_{t\sim U[T]}` of Theorems 11 and 18
        bounds. ``norm="l1"``: the (λ,ε)-L1 measure of Definition 15 (‖·‖₁ of the averaged gradient; the
        spread stays a squared L2 norm).
        """
        if "cert_grad_norm" not in self.metrics:
            raise ValueError("this result has no (lambda, eps) certificate: the optimizer outputs its "
                             "iterate, or the simulation ran with certificate=False")
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam}")
        if norm not in ("l2", "l1"):
            raise ValueError(f"norm must be 'l2' or 'l1', got {norm!r}")
        prefix = "avg_" if average else ""
        grad = f"{prefix}cert_grad_{'norm' if norm == 'l2' else 'l1'}"
        if grad not in self.metrics:
            raise ValueError(f"this result has no {grad!r}: it was written before ratecheck tracked the time "
                             f"averages and L1 measure of the certificate; rerun it")
        return self.metrics[grad] + lam * self.metrics[f"{prefix}cert_spread"]

    def __repr__(self) -> str:
        flag = ", FLOAT32" if self.dtype != "float64" else ""
        return (f"SimulationResult({self.optimizer.get('name')} on {self.problem.get('name')}, "
                f"steps={self.steps}, replicates={self.replicates}{flag}, {self.message})")

    def to_dataframe(self):
        """The recorded metrics in long format: one row per checkpoint and replicate, columns ``step``,
        ``replicate`` and one per metric (what ``ratecheck fit`` reads back). Needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("SimulationResult.to_dataframe needs pandas: pip install pandas") from None
        k, r = len(self.checkpoints), self.replicates
        columns = {"step": np.repeat(np.asarray(self.checkpoints, dtype=np.int64), r),
                   "replicate": np.tile(np.arange(r), k)}
        columns.update({name: np.asarray(values, dtype=np.float64).reshape(k * r)
                        for name, values in self.metrics.items()})
        return pd.DataFrame(columns)

    def summary(self) -> str:
        """One line: size, dtype (flagged when not float64), divergence."""
        flag = f" [{self.dtype.upper()} arithmetic]" if self.dtype != "float64" else ""
        return (f"{self.optimizer.get('name')} on {self.problem.get('name')}: {self.steps} steps x "
                f"{self.replicates} replicates{flag}; {self.message}")

    # ------------------------------------------------------------------ storage
    def _meta(self) -> dict:
        return {"format_version": FORMAT_VERSION, "problem": self.problem, "optimizer": self.optimizer,
                "seed": self.seed, "steps": self.steps, "replicates": self.replicates,
                "block_size": self.block_size, "message": self.message, "elapsed": self.elapsed,
                "n_diverged": self.n_diverged, "n_alive": self.replicates - self.n_diverged,
                "first_divergence_step": (int(self.diverged_step[self.diverged].min())
                                          if self.n_diverged else None),
                "constants": self.constants, "versions": self.versions,
                "dtype": self.dtype, "provenance": self.provenance, "metrics": sorted(self.metrics)}

    def save(self, directory, extra_meta: dict | None = None) -> Path:
        """Write ``result.npz`` then ``result.json`` atomically into ``directory``."""
        directory = Path(directory)
        make_directory(directory)
        arrays = {"checkpoints": self.checkpoints, "x": self.x, "diverged": self.diverged,
                  "diverged_step": self.diverged_step}
        if self.output_x is not None:
            arrays["output_x"] = self.output_x
        for name, values in self.metrics.items():
            arrays[f"metric/{name}"] = values
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        data = buf.getvalue()
        meta = self._meta()
        meta["npz_sha256"] = hashlib.sha256(data).hexdigest()
        if extra_meta:
            meta.update(extra_meta)
        atomic_write_bytes(directory / "result.npz", data)
        atomic_write_bytes(directory / "result.json", json_bytes(meta))
        return directory

    @classmethod
    def load(cls, directory) -> "SimulationResult":
        directory = Path(directory)
        meta_path, npz_path = directory / "result.json", directory / "result.npz"
        if not meta_path.exists() or not npz_path.exists():
            hint = ""
            if (directory / "snapshot.json").exists():
                hint = "; it holds a resumable snapshot of an unfinished run: continue it with --resume " \
                       "(ratecheck.sim.snapshot.load_partial reads the checkpoints reached so far)"
            raise FileNotFoundError(f"no complete result in {directory} (need result.json and result.npz){hint}")
        try:
            meta, checked = read_json_checked(meta_path, verify=False)   # the format first: it says how to check
        except DamagedError as err:
            raise DamagedError(f"{err}; rerun the simulation", meta_path) from None
        version = meta.get("format_version")
        if version not in READABLE_VERSIONS:
            newer = isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
            what = ("upgrade ratecheck to read it (pip install -U ratecheck), or rerun the simulation with this one"
                    if newer else "rerun the simulation with this ratecheck to rewrite it")
            raise ValueError(f"{meta_path} was written in result format version {version!r} (by ratecheck "
                             f"{meta.get('versions', {}).get('ratecheck', '?') if isinstance(meta.get('versions'), dict) else '?'}); "
                             f"this ratecheck reads format version(s) {', '.join(map(str, READABLE_VERSIONS))}: {what}")
        if checked or version >= 3:   # from format 3 on, the JSON carries its checksum
            try:
                read_json(meta_path)
            except DamagedError as err:
                raise DamagedError(f"{err}; rerun the simulation", meta_path) from None
        data = npz_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta.get("npz_sha256"):
            raise DamagedError(f"{npz_path} is damaged: it does not match the checksum in {meta_path} "
                               f"(incomplete or modified); rerun the simulation", npz_path)
        with np.load(io.BytesIO(data)) as z:
            arrays = {k: z[k] for k in z.files}
        metrics = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("metric/")}
        missing = [k for k in ("problem", "optimizer", "seed", "steps", "replicates", "block_size", "message",
                               "elapsed") if k not in meta]
        missing += [k for k in ("checkpoints", "x", "diverged", "diverged_step") if k not in arrays]
        if missing:
            raise ValueError(f"{directory} is not a complete ratecheck result (no {', '.join(missing)}); "
                             f"rerun the simulation")
        return cls(problem=meta["problem"], optimizer=meta["optimizer"], seed=meta["seed"],
                   steps=meta["steps"], replicates=meta["replicates"], block_size=meta["block_size"],
                   checkpoints=arrays["checkpoints"], metrics=metrics, x=arrays["x"],
                   output_x=arrays.get("output_x"), diverged=arrays["diverged"],
                   diverged_step=arrays["diverged_step"], message=meta["message"],
                   elapsed=meta["elapsed"], constants=meta.get("constants", {}),
                   versions=meta.get("versions", {}), dtype=meta.get("dtype", "float64"),
                   provenance=meta.get("provenance", {}))
