"""Experiment grids: optimizers × swept parameters, one simulation per cell.

An experiment's ``[sweep]`` table maps axes to lists of values; the grid is their
product, times the experiment's optimizers. Axes:

* ``"problem.PARAM"`` (dotted paths reach into tables, e.g. ``"problem.noise.sigma"``);
* ``"optimizer.PARAM"``: set on every optimizer of the experiment (each must accept it);
  ``"optimizer[LABEL].PARAM"``: only on the optimizer with that label;
* ``"horizon"``: the number of steps T of the run; it also sets the ``horizon`` of every
  horizon-dependent step size (``{schedule = "horizon_sqrt"}``) and the problem
  parameter named by the family's ``horizon_parameter`` (e.g. Drori–Teboulle's ``N``);
* ``"seed"``: the root seed;
* ``"tag.NAME"``: a label only (changes nothing), e.g. the scalar spread that a zipped list of
  per-coordinate scales stands for, for figures and claims;
* zipped axes ``"A,B"`` (names joined by commas) whose values are lists ``[a, b]`` that vary
  together, e.g. ``"problem.eps,problem.dim,problem.p" = [[0.2, 10, 0.04], [0.1, 40, 0.01]]``.

Each cell's result is saved under ``OUT/<cell key>/`` as soon as it completes; a rerun
loads finished cells whose recorded configuration matches instead of recomputing
them. Cells are independent, so running them in any order or in parallel gives
bit-identical results.

Where the cells run (:func:`run_cells`): serially, in local worker processes (the default
when more than one cell is left: one per core, see :mod:`ratecheck.parallel`), or on an
existing Dask distributed cluster (``scheduler="tcp://host:8786"``, or the environment variable
``RATECHECK_SCHEDULER``; needs ``pip install 'ratecheck[dask]'``), which is how a sweep
outgrows one machine. Workers only compute; this process saves each result as it arrives,
so the workers need no shared file system.

Resumable cells: with an output directory (and no Dask scheduler), each cell being computed writes
a resumable snapshot into ``OUT/<cell key>/`` at most every ``snapshot_every`` seconds (see
:mod:`ratecheck.snapshot`); it is deleted once the cell's result is saved. ``resume=True``
continues every unfinished cell from its snapshot, bit-identical to an uninterrupted run, after
checking all of them first: a snapshot of another configuration or version is refused
(``ValueError``) before anything runs. Without ``resume`` an unfinished cell starts over.
"""
from __future__ import annotations

import copy
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .. import optimizers as _optimizers
from .. import problems as _problems
from . import outdir as _outdir
from ..sim import snapshot as _snapshot
from ..sim.result import NO_SPACE, DamagedError, SimulationResult, read_json

__all__ = ["Cell", "expand", "run_cell", "run_cells", "cell_key", "SCHEDULER_ENV"]

#: environment variable naming a Dask scheduler for :func:`run_cells` (the config entry)
SCHEDULER_ENV = "RATECHECK_SCHEDULER"

AXIS_KINDS = ("problem.", "optimizer.", "optimizer[", "tag.")
#: most cells an experiment may have (each is validated, then simulated)
MAX_CELLS = 10_000
SPECIAL_AXES = ("horizon", "seed")


#: longest readable part of a cell directory's name (the hash after it makes the name unique)
MAX_READABLE = 120
#: hex digits of SHA-256 that make a cell directory's name unique
KEY_HASH = 12


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=_-]+", "_", str(text)).strip("_") or "x"


def cell_identity(label: str, values: tuple) -> str:
    """What names a cell, as canonical text: its label and its axis values (``1`` and ``1.0`` differ)."""
    return json.dumps([label, [[axis, value] for axis, value in values]], sort_keys=True, ensure_ascii=True,
                      allow_nan=True)


def cell_key(label: str, values: tuple) -> str:
    """The cell's directory name: a readable slug of the label and values, then a short hash of both.

    Injective: two cells get the same name only if their labels and values hash alike in the first
    :data:`KEY_HASH` hex digits of SHA-256 (and :func:`expand` refuses that). Filesystem-safe: only
    ``A-Za-z0-9.=_-``, never starting with a dot, at most ``MAX_READABLE + 1 + KEY_HASH`` characters.
    """
    import hashlib
    parts = [_slug(label)] + [f"{_slug(axis.split('.')[-1])}={_short(_fmt(v))}" for axis, v in values]
    readable = "__".join(parts)[:MAX_READABLE].lstrip(".").rstrip("_.") or "x"
    digest = hashlib.sha256(cell_identity(label, values).encode()).hexdigest()[:KEY_HASH]
    return f"{readable}-{digest}"


def legacy_key(label: str, values: tuple) -> str:
    """The directory name a cell had before :func:`cell_key` added its hash (not injective: ``"a b"`` and
    ``"a_b"`` shared one); read once to adopt finished results written then (see :func:`_adopt_legacy`)."""
    return "__".join([_slug(label)] + [f"{_slug(axis.split('.')[-1])}={_short(_fmt(v))}" for axis, v in values])


def _adopt_legacy(cell: "Cell", out: Path, notice=None) -> None:
    """Rename a finished result of ``cell`` stored under its pre-hash directory name to its current one,
    if that directory holds a result of exactly this cell's configuration and the new name is free."""
    new = out / cell.key
    old = out / legacy_key(cell.label, cell.values)
    if new.exists() or old.name in (".", "..") or old.parent != out or old.is_symlink() \
            or not (old / "result.json").is_file():
        return
    try:
        meta = read_json(old / "result.json", required=False)
    except DamagedError:
        return
    if meta.get("cell") != cell.config():
        return
    try:
        os.rename(old, new)
    except OSError:
        return
    if notice is not None:
        notice(f"{old} holds this run's finished result under the former directory name: moved to {new}")


def _short(text: str) -> str:
    """A value as it appears in a directory name; long ones (lists) become a stable hash."""
    slug = _slug(text)
    if len(slug) <= 24:
        return slug
    import hashlib
    return "h" + hashlib.sha256(text.encode()).hexdigest()[:10]


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class Cell:
    """One simulation of an experiment grid."""

    label: str
    values: tuple            # ((axis, value), ...)
    problem_config: dict
    optimizer_config: dict
    run: dict

    @property
    def key(self) -> str:
        return cell_key(self.label, self.values)

    def config(self) -> dict:
        """Everything that determines the result (compared on rerun to reuse a finished cell)."""
        return json.loads(json.dumps({"label": self.label, "values": [list(v) for v in self.values],
                                      "problem": self.problem_config, "optimizer": self.optimizer_config,
                                      "run": {k: self.run[k] for k in sorted(self.run) if k != "metric"}}))

    def value(self, axis: str):
        return dict(self.values).get(axis)


def _set_path(config: dict, path: list[str], value, where: str) -> None:
    node = config
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            raise ValueError(f"{where}: {'.'.join(path)} does not name a table entry")
        node = node[part]
    node[path[-1]] = value


def _check_axes(sweep: dict, where: str) -> dict:
    if not isinstance(sweep, dict):
        raise TypeError(f"{where}: [sweep] must be a table of axis = [values]")
    out = {}
    for axis, values in sweep.items():
        if "," in axis:
            parts = [a.strip() for a in axis.split(",")]
            _check_axes({a: [0] for a in parts}, where)
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, list) and len(v) == len(parts) for v in values):
                raise ValueError(f"{where}: [sweep] zipped axis {axis!r} needs a list of {len(parts)}-element lists")
            out[axis] = values
            continue
        if not (axis in SPECIAL_AXES or axis.startswith(AXIS_KINDS)):
            raise ValueError(f"{where}: [sweep] axis {axis!r} must be 'horizon', 'seed', "
                             f"'problem.PARAM' or 'optimizer.PARAM'")
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where}: [sweep] {axis} must be a non-empty list, got {values!r}")
        if len(set(map(repr, values))) != len(values):
            raise ValueError(f"{where}: [sweep] {axis} has repeated values {values!r}")
        out[axis] = values
    return out


def expand(problem_config: dict, optimizer_configs: list, labels: list, run: dict, sweep: dict,
           where: str = "experiment") -> list[Cell]:
    """The cells of a grid, validated (every problem and optimizer is built once here)."""
    sweep = _check_axes(sweep or {}, where)
    axes = list(sweep)
    n_cells = len(optimizer_configs)
    for axis in axes:
        n_cells *= len(sweep[axis])
    if n_cells > MAX_CELLS:
        raise ValueError(f"{where}: [sweep] makes {n_cells} cells ({len(optimizer_configs)} optimizer(s) x "
                         f"{' x '.join(str(len(sweep[a])) for a in axes)} values); at most {MAX_CELLS} are allowed")
    from .experiment import run_value
    from ..sim.simulate import check_noise
    for label in labels:
        check_label(label, where)
    cells, keys = [], {}
    for combo in itertools.product(*(sweep[a] for a in axes)):
        values = []
        for axis, value in zip(axes, combo):
            if "," in axis:
                values += list(zip((a.strip() for a in axis.split(",")), value))
            else:
                values.append((axis, value))
        values = tuple(values)
        for label, base_opt in zip(labels, optimizer_configs):
            prob = copy.deepcopy(problem_config)
            opt = copy.deepcopy(base_opt)
            cell_run = dict(run)
            for axis, value in values:
                if axis == "seed":
                    cell_run["seed"] = value = run_value(f"{where}: [sweep] seed", "seed", value)
                elif axis == "horizon":
                    cell_run["steps"] = value = run_value(f"{where}: [sweep] horizon", "steps", value)
                    lr = opt.get("lr")
                    if isinstance(lr, dict) and lr.get("schedule") == "horizon_sqrt":
                        opt["lr"] = {**lr, "horizon": value}
                    hp = getattr(_problems.get(prob["name"]), "horizon_parameter", None)
                    if hp:
                        prob[hp] = value
                elif axis.startswith("tag."):
                    pass
                elif axis.startswith("problem."):
                    _set_path(prob, axis.split(".")[1:], value, where)
                elif axis.startswith("optimizer["):
                    # "optimizer[LABEL].param": only the optimizer with that label
                    target, name = axis[len("optimizer["):].split("].", 1)
                    if target not in labels:
                        raise ValueError(f"{where}: [sweep] axis {axis}: no optimizer labelled {target!r}")
                    if target == label:
                        _set_path(opt, name.split("."), value, where)
                else:
                    name = axis.split(".", 1)[1]
                    allowed = _optimizers.get(opt["name"]).hyperparameters()
                    if name.split(".")[0] not in allowed:
                        raise ValueError(f"{where}: [sweep] axis {axis} does not apply to optimizer {label!r} "
                                         f"({opt['name']}: {', '.join(allowed)})")
                    _set_path(opt, name.split("."), value, where)
            cell = Cell(label, values, prob, opt, cell_run)
            if cell.key in keys:
                raise ValueError(f"{where}: cells {keys[cell.key]} and {cell_identity(label, values)} would share "
                                 f"the directory {cell.key}; change a label")
            keys[cell.key] = cell_identity(label, values)
            try:
                check_noise(_problems.from_config(_tuplify(prob)))
                _optimizers.from_config(opt)
            except (TypeError, ValueError) as err:
                raise type(err)(f"{where}: cell {cell.key}: {err}") from None
            cells.append(cell)
    return cells


#: longest optimizer label allowed
MAX_LABEL = 100


def check_label(label, where: str = "experiment") -> str:
    """Refuse a label that cannot name a run: empty (or blank), ``.``/``..``, with NUL or another control
    character, or longer than :data:`MAX_LABEL` characters.

    A ``/`` is allowed (the catalogue has ``"GD h/L"``): a cell's directory name is a slug of the label
    plus a hash (:func:`cell_key`), never the label itself, so no label can reach outside ``OUT``.
    """
    import unicodedata
    if not isinstance(label, str):
        raise TypeError(f"{where}: optimizer label must be a string, got {label!r}")
    short = label if len(label) <= 40 else label[:37] + "..."
    if not label.strip():
        raise ValueError(f"{where}: optimizer label {label!r} is empty; give it a name (label = '...')")
    if label in (".", ".."):
        raise ValueError(f"{where}: optimizer label {label!r} is not a name; give it one (label = '...')")
    if len(label) > MAX_LABEL:
        raise ValueError(f"{where}: optimizer label {short!r} has {len(label)} characters; at most {MAX_LABEL} "
                         f"are allowed")
    bad = [c for c in label if unicodedata.category(c) in ("Cc", "Cs")]
    if bad:
        raise ValueError(f"{where}: optimizer label {short!r} contains {bad[0]!r}; labels may not contain NUL "
                         f"or other control characters")
    return label


def _tuplify(params: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def _load_if_done(cell: Cell, directory: Path, damaged=None):
    """The finished result of ``cell`` in ``directory``, or ``None`` (none, another configuration's, or
    unreadable). A damaged one (:class:`~ratecheck.result.DamagedError`) is reported to
    ``damaged(error)`` if given, and otherwise treated as absent."""
    meta_path = directory / "result.json"
    if not meta_path.exists():
        return None
    try:
        meta = read_json(meta_path, required=False)
        if meta.get("cell") != cell.config():
            return None
        return SimulationResult.load(directory)
    except DamagedError as err:
        if damaged is not None:
            damaged(err)
        return None
    except (ValueError, OSError, KeyError, AttributeError, TypeError):
        return None


def _cell_kwargs(cell: Cell) -> dict:
    run = cell.run
    kw = dict(steps=run["steps"], replicates=run["replicates"], seed=run["seed"],
              n_checkpoints=run.get("n_checkpoints", 40), running=run.get("running", True))
    for key in ("block_size", "dtype"):
        if key in run:
            kw[key] = run[key]
    return kw


def _simulate_cell(cell: Cell, snapshot=None, snapshot_every: float | None = None,
                   resume: bool = False) -> SimulationResult:
    """The simulation of one cell (what a worker runs; only its snapshots are written, if asked)."""
    from ..sim.simulate import SNAPSHOT_EVERY, simulate
    extra = {} if snapshot is None else {
        "snapshot": snapshot, "resume": resume,
        "snapshot_every": SNAPSHOT_EVERY if snapshot_every is None else snapshot_every}
    return simulate(_problems.from_config(_tuplify(cell.problem_config)),
                    _optimizers.from_config(cell.optimizer_config), **_cell_kwargs(cell), **extra)


def _cell_fingerprint(cell: Cell) -> dict:
    """The fingerprint :func:`ratecheck.simulate` will give this cell's run (to check a snapshot first)."""
    import numpy as np

    from ..sim.simulate import DEFAULT_BLOCK_SIZE, _x0_array, fingerprint, log_checkpoints
    problem = _problems.from_config(_tuplify(cell.problem_config))
    opt = _optimizers.from_config(cell.optimizer_config)
    kw = _cell_kwargs(cell)
    return fingerprint(problem, opt, steps=kw["steps"], replicates=kw["replicates"],
                       seed=np.random.SeedSequence(kw["seed"]), block_size=kw.get("block_size", DEFAULT_BLOCK_SIZE),
                       grid=log_checkpoints(kw["steps"], kw["n_checkpoints"]), running=kw["running"],
                       certificate=opt.output != "iterate", dtype=kw.get("dtype", "float64"),
                       x0=_x0_array(problem, None, kw["replicates"], problem.dim))


def check_resumable(cells: list, out) -> dict:
    """``{cell key: step}`` of the cells under ``out`` that have a snapshot to resume from.

    Raises ``ValueError`` (naming the cell, what differs and what to do) if one belongs to another
    configuration or version, or is damaged, or if a finished result is damaged
    (:class:`~ratecheck.result.DamagedError`, naming the file); nothing is written.
    """
    found = {}

    def refuse(err):
        what = str(err).removesuffix("; rerun the simulation")
        raise DamagedError(f"cannot resume: {what}; run without --resume to recompute it (or delete it)",
                           err.path) from None

    for cell in cells:
        directory = Path(out) / cell.key
        if _load_if_done(cell, directory, damaged=refuse) is not None or not _snapshot.exists(directory):
            continue
        snap = _snapshot.read(directory, _cell_fingerprint(cell))
        if snap is not None:
            found[cell.key] = snap.t
    return found


def _save(cell: Cell, res: SimulationResult, out: Path | None) -> None:
    if out is not None:
        directory = Path(out) / cell.key
        extra = {"cell": cell.config(), "label": cell.label}
        try:
            res.save(directory, extra_meta=extra)
        except OSError as err:
            if err.errno not in NO_SPACE or not _snapshot.exists(directory):
                raise
            # the cell's snapshot is no longer needed: its space goes to the result first
            _snapshot.remove(directory)
            res.save(directory, extra_meta=extra)
        _snapshot.remove(directory)     # only after the result is safely in place


def run_cell(cell: Cell, out: Path | None = None, *, reuse: bool = True, resume: bool = False,
             snapshot_every: float | None = None, notice=None) -> SimulationResult:
    """Simulate one cell (or load it if ``out`` holds a finished copy) and save it to ``out``."""
    if out is None:
        return _simulate_cell(cell, None, snapshot_every, resume)
    with _outdir.lock(out):
        if resume:
            check_resumable([cell], out)
        if reuse:
            done = _load_if_done(cell, Path(out) / cell.key, _damaged_notice(notice))
            if done is not None:
                return done
        directory = Path(out) / cell.key
        _snapshot.clean_temporaries(directory)
        res = _simulate_cell(cell, directory, snapshot_every, resume)
        _save(cell, res, out)
        return res


def _damaged_notice(notice):
    def damaged(err):
        if notice is not None:
            notice(f"{str(err).removesuffix('; rerun the simulation')}; recomputing the run")
    return damaged


def run_cells(cells: list[Cell], out: Path | None = None, *, reuse: bool = True, progress=None,
              workers=None, scheduler=None, resume: bool = False, snapshot_every: float | None = None,
              notice=None, wait: bool = False) -> list:
    """Run cells, saving each as it completes; returns their results in the order of ``cells``.

    Parameters
    ----------
    cells : list of Cell
    out : path, optional
        Where each finished cell is saved (``OUT/<cell key>/``); with ``reuse``, cells already
        finished there with the same configuration are loaded, not recomputed.
    progress : callable ``(i, n, cell, result)``, optional
        Called in this process as each cell finishes (i counts finished cells).
    workers : int or "auto", optional
        Local worker processes (default ``"auto"``: one per core, when more than one cell is left
        to compute; ``1`` runs them here, one after another).
    scheduler : str or distributed.Client, optional
        A Dask distributed scheduler address (or a client) to run the cells on instead; default
        the environment variable ``RATECHECK_SCHEDULER``.

    resume : bool
        Continue unfinished cells from their snapshots under ``out`` (all are checked first:
        ``ValueError`` if one is foreign or damaged). Without it they start over.
    snapshot_every : float, optional
        Minimum seconds between two snapshots of a cell (default ``simulate.SNAPSHOT_EVERY``).

    notice : callable ``(message)``, optional
        Told, in this process, about a finished result found damaged (it is then recomputed).
    wait : bool
        If another process holds the lock of ``out`` (see :mod:`ratecheck.outdir`), wait for it
        (``notice`` is told) instead of raising :class:`~ratecheck.outdir.BusyError`.

    The results are bit-identical however the cells are run, and however often they were resumed.
    Only one process at a time writes into ``out``: this call holds its lock.
    """
    if out is None:
        return _run_cells(list(cells), None, reuse, progress, workers, scheduler, resume, snapshot_every, notice)
    with _outdir.lock(out, wait=wait, on_wait=notice):
        return _run_cells(list(cells), Path(out), reuse, progress, workers, scheduler, resume, snapshot_every,
                          notice)


def _run_cells(cells, out, reuse, progress, workers, scheduler, resume, snapshot_every, notice) -> list:
    from ..sim import parallel as parallel
    if resume and out is not None:
        check_resumable(cells, out)
    results: list = [None] * len(cells)
    finished = 0

    def finish(i: int, res: SimulationResult, save: bool = True) -> None:
        nonlocal finished
        if save:
            _save(cells[i], res, out)
        results[i] = res
        finished += 1
        if progress:
            progress(finished, len(cells), cells[i], res)

    todo = []
    for i, cell in enumerate(cells):
        if out is not None and reuse:
            _adopt_legacy(cell, out, notice)
        done = _load_if_done(cell, Path(out) / cell.key, _damaged_notice(notice)) \
            if out is not None and reuse else None
        if done is not None:
            finish(i, done, save=False)
        else:
            todo.append(i)
        if done is not None:   # what a run killed right after saving it may have left beside it
            _snapshot.remove(Path(out) / cell.key)
            _snapshot.clean_temporaries(Path(out) / cell.key)
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None and todo:
        _run_on_dask(scheduler, [cells[i] for i in todo], lambda j, res: finish(todo[j], res))
        return results

    def snap_args(i: int) -> tuple:
        if out is None:
            return None, snapshot_every, False
        directory = Path(out) / cells[i].key
        _snapshot.clean_temporaries(directory)
        return directory, snapshot_every, resume

    n = parallel.resolve_workers("auto" if workers is None else workers, limit=len(todo))
    if n <= 1:
        for i in todo:
            finish(i, _simulate_cell(cells[i], *snap_args(i)))
        return results
    from concurrent.futures import FIRST_COMPLETED, wait
    pool = parallel.executor(n)
    futures = {pool.submit(_simulate_cell, cells[i], *snap_args(i)): i for i in todo}
    try:
        pending = set(futures)
        while pending:
            done_now, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done_now, key=futures.get):
                finish(futures[fut], fut.result())
    finally:
        for fut in futures:
            fut.cancel()
    return results


def _run_on_dask(scheduler, cells: list[Cell], finish) -> None:
    """Run ``cells`` on a Dask distributed cluster; ``finish(j, result)`` as each one completes."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ValueError("running on a Dask scheduler needs dask.distributed: "
                         "pip install 'ratecheck[dask]'") from None
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = [client.submit(_simulate_cell, cell, pure=False) for cell in cells]
        index = {f.key: j for j, f in enumerate(futures)}
        for fut in as_completed(futures):
            finish(index[fut.key], fut.result())
    finally:
        if own:
            client.close()

