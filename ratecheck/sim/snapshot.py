"""Resumable snapshots of a running simulation (``simulate(..., snapshot=DIR)``, ``ratecheck run --resume``).

A snapshot is ``snapshot-<hash>.npz`` (arrays) plus ``snapshot.json`` (the rest, with the name and
SHA-256 of the ``.npz``). Each file is written to a temporary name and renamed into place, the JSON
last; the arrays of the previous snapshot are deleted only after that, and under their own name, so
a run killed at any moment, even while it replaces a snapshot, leaves the previous complete snapshot,
the new one, or none: never a JSON paired with the wrong arrays. It holds
everything the simulation needs to continue after step ``t`` and end bit-identical to a run that
was never interrupted:

* the optimizer's state (every array, scratch buffers included, and its step counter ``t``);
* the output average/EMA and the certificate's accumulators;
* the running minima and sums, the per-replicate divergence status and step;
* the metrics recorded at the checkpoints reached so far and the index of the next checkpoint;
* the bit-generator state of every block's noise and optimizer generators (their exact position:
  an engine draws only its own segment's numbers, see :mod:`ratecheck.sim.engine`).

It also records what it belongs to (the run's *fingerprint*: problem, optimizer, steps,
replicates, seed, block size, checkpoint grid, running metrics, certificate, dtype and the start
point) and the versions of ratecheck and NumPy that wrote it. :func:`read` refuses a snapshot for a
different fingerprint, a different ratecheck or NumPy version (the bits could differ), another
snapshot format, or one whose JSON or arrays fail their checksum (the JSON carries the SHA-256 of
its own canonical content, see :func:`ratecheck.sim.result.json_bytes`), each with a message saying
what differs and what to do.

A snapshot is a convenience, a result is not: when the disk is full, :func:`save` gives up the
new snapshot (the run goes on, from the previous snapshot if it must resume) instead of failing
the run, and :func:`clean_temporaries` removes only the temporaries of writers that are no longer
running (their names carry the writer's process id).

:func:`load_partial` turns a snapshot into a :class:`~ratecheck.sim.result.SimulationResult` holding
the checkpoints reached so far: a prefix of the finished run's metrics, bit for bit.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .engine import Carry
from .result import NO_SPACE, DamagedError, OutputError, SimulationResult, atomic_write_bytes, json_bytes, \
    make_directory, read_json, versions

__all__ = ["Snapshot", "SNAPSHOT_FORMAT", "JSON_NAME", "NPZ_PREFIX", "save", "read", "exists", "remove",
           "load_partial", "clean_temporaries"]

#: bump when the snapshot layout changes (2: the JSON carries its own checksum)
SNAPSHOT_FORMAT = 2
JSON_NAME = "snapshot.json"
#: the arrays of a snapshot are NPZ_PREFIX + the first 16 hex digits of their SHA-256 + ".npz"
NPZ_PREFIX = "snapshot-"
_GROUPS = ("state", "output", "book", "records")


@dataclass
class Snapshot:
    """A snapshot read back: the carry to continue from and its metadata."""

    carry: Carry
    meta: dict
    directory: Path

    @property
    def t(self) -> int:
        return self.carry.t


def exists(directory) -> bool:
    return (Path(directory) / JSON_NAME).exists()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _current_npz(directory: Path) -> str | None:
    try:
        return json.loads((directory / JSON_NAME).read_text()).get("npz")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None


def _drop_arrays(directory: Path, keep: str | None) -> None:
    for path in directory.glob(f"{NPZ_PREFIX}*.npz"):
        if path.name != keep:
            _unlink(path)


def remove(directory) -> None:
    """Delete a snapshot (the JSON first, so a half-removed snapshot is never read)."""
    directory = Path(directory)
    _unlink(directory / JSON_NAME)
    if directory.is_dir():
        _drop_arrays(directory, None)


#: a temporary written by :func:`ratecheck.sim.result.atomic_write_bytes`: ``.NAME.PID.RANDOM.tmp``
_TEMPORARY = re.compile(r"^\.(?P<name>.+?)\.(?P<pid>[0-9]+)\.[^.]+\.tmp$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:       # exists: another user's process
        return True
    except (ProcessLookupError, OverflowError, ValueError):
        return False
    return True


def clean_temporaries(directory) -> None:
    """Remove what a killed writer left in ``directory``: the temporary files of writers that are no
    longer running and the arrays of a snapshot no JSON points to (none of them is ever read).

    A temporary whose writer (the process id in its name) is still running is left alone; the
    output directory's lock (:mod:`ratecheck.catalog.outdir`) keeps a second run out of the directory, so
    the arrays that no JSON points to yet cannot be another run's.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return
    for path in directory.glob(".*.tmp"):
        if not path.name.startswith((f".{JSON_NAME}.", f".{NPZ_PREFIX}", ".result.json.", ".result.npz.")):
            continue
        match = _TEMPORARY.match(path.name)
        if match is None or not _alive(int(match["pid"])):   # no pid: written before pids were recorded
            _unlink(path)
    _drop_arrays(directory, _current_npz(directory))


def _arrays(carry: Carry) -> dict:
    out = {}
    for key, value in carry.state.items():
        if key == "t":
            continue
        if not isinstance(value, np.ndarray):
            raise TypeError(f"cannot snapshot the optimizer state: attribute {key!r} is a "
                            f"{type(value).__name__}, not an array (snapshots need array-valued state)")
        out[f"state/{key}"] = value
    for key, value in (carry.output or {}).items():
        out[f"output/{key}"] = value
    for key, value in carry.book.items():
        if key != "records":
            out[f"book/{key}"] = value
    for key, value in carry.book["records"].items():
        out[f"records/{key}"] = value
    return out


def save(directory, carry: Carry, *, fingerprint: dict, steps: int, provenance: dict) -> Path | None:
    """Write the snapshot of ``carry`` into ``directory`` atomically (arrays first, JSON last).

    Returns ``None``, having written nothing, when the disk is full (the previous snapshot stays).
    """
    directory = Path(directory)
    make_directory(directory)
    buf = io.BytesIO()
    np.savez(buf, **_arrays(carry))
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    npz = f"{NPZ_PREFIX}{sha[:16]}.npz"
    meta = {"kind": "ratecheck snapshot", "format_version": SNAPSHOT_FORMAT, "fingerprint": fingerprint,
            "versions": versions(), "t": carry.t, "steps": steps, "next_k": carry.next_k,
            "state_t": int(carry.state["t"]), "has_output": carry.output is not None,
            "noise": carry.noise, "opt": carry.opt, "provenance": provenance,
            "npz": npz, "npz_sha256": sha}
    try:
        atomic_write_bytes(directory / npz, data)
        atomic_write_bytes(directory / JSON_NAME, json_bytes(meta, indent=1))
    except OutputError as err:
        if err.errno not in NO_SPACE:
            raise
        # no room for a new snapshot: keep the previous one (it is complete) and let the run go on
        if _current_npz(directory) != npz:
            _unlink(directory / npz)
        return None
    _drop_arrays(directory, npz)      # the previous snapshot's arrays, now that nothing points to them
    return directory


def _differences(saved, now, prefix: str = "") -> list[str]:
    if isinstance(saved, dict) and isinstance(now, dict):
        out = []
        for key in sorted(set(saved) | set(now), key=str):
            if saved.get(key, "<absent>") != now.get(key, "<absent>"):
                out += _differences(saved.get(key, "<absent>"), now.get(key, "<absent>"), f"{prefix}{key}.")
        return out
    text = lambda v: (repr(v) if len(repr(v)) <= 60 else repr(v)[:57] + "...")  # noqa: E731
    return [f"{prefix.rstrip('.')}: {text(saved)} in the snapshot, {text(now)} now"]


def read(directory, fingerprint: dict | None = None) -> Snapshot | None:
    """The snapshot in ``directory`` (``None`` if there is none), checked against ``fingerprint``.

    Raises ``ValueError`` naming what differs, and what to do, when the snapshot belongs to another
    configuration, another ratecheck or NumPy version or snapshot format, or fails its checksum.
    """
    directory = Path(directory)
    meta_path = directory / JSON_NAME
    if not meta_path.exists():
        return None
    fix = "delete it, or run without --resume to start over"
    try:
        meta = read_json(meta_path, required=False)
    except DamagedError as err:
        raise DamagedError(f"cannot resume: {err}; {fix}", meta_path) from None
    if meta.get("kind") != "ratecheck snapshot":
        raise ValueError(f"cannot resume from {meta_path}: not a ratecheck snapshot; {fix}")
    if meta.get("format_version") != SNAPSHOT_FORMAT:
        raise ValueError(f"cannot resume from {meta_path}: it has snapshot format {meta.get('format_version')!r}, "
                         f"this ratecheck reads format {SNAPSHOT_FORMAT}; {fix}")
    try:
        read_json(meta_path)          # this format carries the JSON's checksum
    except DamagedError as err:
        raise DamagedError(f"cannot resume: {err}; {fix}", meta_path) from None
    now = versions()
    for package in ("ratecheck", "numpy"):
        was = meta.get("versions", {}).get(package)
        if was != now[package]:
            raise ValueError(f"cannot resume from {meta_path}: it was written by {package} {was}, this is "
                             f"{package} {now[package]}, whose results may differ in the last bits; "
                             f"{fix} (or resume with {package} {was})")
    if fingerprint is not None:
        saved = meta.get("fingerprint")
        if saved != fingerprint:
            diff = _differences(saved, fingerprint) if isinstance(saved, dict) else ["the whole configuration"]
            if any(d.startswith("problem.behaviour_sha256") for d in diff):
                diff.insert(0, "the user-defined problem changed: its value or gradient at fixed probe points "
                               "differs (a parameter or its code changed)")
            raise ValueError(f"cannot resume from {meta_path}: it belongs to a different run ({'; '.join(diff[:4])}"
                             f"{'; ...' if len(diff) > 4 else ''}); {fix}, or give another --out")
    npz = meta.get("npz")
    if not isinstance(npz, str) or not npz.startswith(NPZ_PREFIX) or "/" in npz or "\\" in npz:
        raise ValueError(f"cannot resume from {meta_path}: it names no arrays file; {fix}")
    npz_path = directory / npz
    try:
        data = npz_path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"cannot resume from {meta_path}: {npz} is missing; {fix}") from None
    if hashlib.sha256(data).hexdigest() != meta.get("npz_sha256"):
        raise DamagedError(f"cannot resume from {meta_path}: {npz} is damaged: it does not match its checksum "
                           f"(incomplete or modified); {fix}", npz_path)
    with np.load(io.BytesIO(data)) as z:
        groups: dict = {g: {} for g in _GROUPS}
        for name in z.files:
            group, key = name.split("/", 1)
            groups[group][key] = z[name]
    state = dict(groups["state"])
    state["t"] = int(meta["state_t"])
    book = dict(groups["book"])
    book["records"] = groups["records"]
    carry = Carry(t=int(meta["t"]), next_k=int(meta["next_k"]), state=state,
                  output=groups["output"] if meta.get("has_output") else None, book=book,
                  noise=meta["noise"], opt=meta["opt"])
    return Snapshot(carry=carry, meta=meta, directory=directory)


def load_partial(directory) -> SimulationResult:
    """The metrics of a snapshot as a result: checkpoints reached so far, final iterate of step ``t``.

    ``result.provenance["partial"]`` is ``True`` and ``result.message`` says how far the run got.
    """
    snap = read(directory)
    if snap is None:
        raise FileNotFoundError(f"no snapshot in {directory}")
    meta, carry = snap.meta, snap.carry
    fp = meta["fingerprint"]
    k = carry.next_k
    grid = np.asarray(fp["checkpoints"], dtype=np.int64)[:k]
    metrics = {name: values[:k] for name, values in carry.book["records"].items()}
    alive = carry.book["alive"]
    n_div = int((~alive).sum())
    prov = dict(meta.get("provenance", {}))
    prov["partial"] = True
    return SimulationResult(
        problem=fp["problem"], optimizer=fp["optimizer"], seed=fp["seed"], steps=int(meta["steps"]),
        replicates=int(fp["replicates"]), block_size=int(fp["block_size"]), checkpoints=grid, metrics=metrics,
        x=carry.state["x"], output_x=None if carry.output is None else carry.output["mean"],
        diverged=~alive, diverged_step=carry.book["diverged_step"],
        message=f"partial: {carry.t} of {meta['steps']} steps done, {n_div} replicates diverged so far",
        elapsed=float(prov.get("elapsed", 0.0)), constants={}, versions=meta.get("versions", {}),
        dtype=fp.get("dtype", "float64"), provenance=prov)
