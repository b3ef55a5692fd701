"""Running the cells of a grid: here, in worker processes or on a Dask cluster; saved as each completes.

See :mod:`ratecheck.catalog.sweep` for where cells run, how finished ones are reused and how
unfinished ones resume. Nothing here prints: :func:`run_cells` tells a ``progress`` callback
(:class:`Progress` events) and a ``notice`` callback (damaged files, a busy directory).
"""
from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import optimizers as _optimizers
from .. import problems as _problems
from . import outdir as _outdir
from .cells import Cell, legacy_key, tuplify
from ..sim import parallel as parallel
from ..sim import snapshot as _snapshot
from ..sim.result import NO_SPACE, DamagedError, SimulationResult, read_json
from ..sim.simulate import (DEFAULT_BLOCK_SIZE, SNAPSHOT_EVERY, fingerprint, log_checkpoints, simulate,
                            x0_array)

__all__ = ["Progress", "run_cell", "run_cells", "check_resumable", "adopt_legacy", "SCHEDULER_ENV"]

#: environment variable naming a Dask scheduler for :func:`run_cells` (the config entry)
SCHEDULER_ENV = "RATECHECK_SCHEDULER"


@dataclass(frozen=True)
class Progress:
    """What :func:`run_cells` tells its ``progress`` callback, in this process.

    ``kind="plan"``, once, before any cell runs: ``done`` of the ``total`` cells are finished already
    (they are loaded, not rerun); the rest run on ``processes`` local processes (0: a Dask cluster).
    ``kind="cell"``: a cell is done (``done`` of ``total``); ``loaded`` says its ``result`` was loaded
    from an earlier run, whose timings it carries, rather than computed now.
    ``kind="steps"``: ``done`` of the ``total`` steps of ``cell``, computed in this process; ``plan``
    is ``{"engine", "processes", "threads"}`` of its simulation.
    ``kind="experiment"`` (from :func:`ratecheck.catalog.reproduce.run_all`): experiment ``done`` of
    ``total`` starts. ``experiment`` names the experiment when :mod:`ratecheck.catalog.reproduce` passes
    events on.
    """

    kind: str
    done: int = 0
    total: int = 0
    cell: Cell | None = None
    result: SimulationResult | None = None
    loaded: bool = False
    processes: int = 1
    plan: dict | None = None
    experiment: str = ""


def adopt_legacy(cell: "Cell", out: Path, notice=None) -> None:
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


def _load_if_done(cell: Cell, directory: Path, damaged=None):
    """The finished result of ``cell`` in ``directory``, or ``None`` (none, another configuration's, or
    unreadable). A damaged one (:class:`~ratecheck.sim.result.DamagedError`) is reported to
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
                   resume: bool = False, progress=None) -> SimulationResult:
    """The simulation of one cell (what a worker runs; only its snapshots are written, if asked)."""
    extra = {"progress": progress} if progress is not None else {}
    extra.update({} if snapshot is None else {
        "snapshot": snapshot, "resume": resume,
        "snapshot_every": SNAPSHOT_EVERY if snapshot_every is None else snapshot_every})
    return simulate(_problems.from_config(tuplify(cell.problem_config)),
                    _optimizers.from_config(cell.optimizer_config), **_cell_kwargs(cell), **extra)


def _cell_fingerprint(cell: Cell) -> dict:
    """The fingerprint :func:`ratecheck.simulate` will give this cell's run (to check a snapshot first)."""
    problem = _problems.from_config(tuplify(cell.problem_config))
    opt = _optimizers.from_config(cell.optimizer_config)
    kw = _cell_kwargs(cell)
    return fingerprint(problem, opt, steps=kw["steps"], replicates=kw["replicates"],
                       seed=np.random.SeedSequence(kw["seed"]), block_size=kw.get("block_size", DEFAULT_BLOCK_SIZE),
                       grid=log_checkpoints(kw["steps"], kw["n_checkpoints"]), running=kw["running"],
                       certificate=opt.output != "iterate", dtype=kw.get("dtype", "float64"),
                       x0=x0_array(problem, None, kw["replicates"], problem.dim))


def check_resumable(cells: list, out) -> dict:
    """``{cell key: step}`` of the cells under ``out`` that have a snapshot to resume from.

    Raises ``ValueError`` (naming the cell, what differs and what to do) if one belongs to another
    configuration or version, or is damaged, or if a finished result is damaged
    (:class:`~ratecheck.sim.result.DamagedError`, naming the file); nothing is written.
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
    progress : callable ``(event)``, optional
        Called in this process with a :class:`Progress` event: the plan first, then each cell as it
        finishes or is loaded, and the steps of the cells computed in this process as they run.
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
        If another process holds the lock of ``out`` (see :mod:`ratecheck.catalog.outdir`), wait for it
        (``notice`` is told) instead of raising :class:`~ratecheck.catalog.outdir.BusyError`.

    The results are bit-identical however the cells are run, and however often they were resumed.
    Only one process at a time writes into ``out``: this call holds its lock.
    """
    if out is None:
        return _run_cells(list(cells), None, reuse, progress, workers, scheduler, resume, snapshot_every, notice)
    with _outdir.lock(out, wait=wait, on_wait=notice):
        return _run_cells(list(cells), Path(out), reuse, progress, workers, scheduler, resume, snapshot_every,
                          notice)


def _run_cells(cells, out, reuse, progress, workers, scheduler, resume, snapshot_every, notice) -> list:
    if resume and out is not None:
        check_resumable(cells, out)
    results: list = [None] * len(cells)
    finished = 0
    tell = progress or (lambda event: None)

    def finish(i: int, res: SimulationResult, save: bool = True) -> None:
        nonlocal finished
        if save:
            _save(cells[i], res, out)
        results[i] = res
        finished += 1
        tell(Progress("cell", finished, len(cells), cell=cells[i], result=res, loaded=not save))

    todo, loaded = [], []
    for i, cell in enumerate(cells):
        if out is not None and reuse:
            adopt_legacy(cell, out, notice)
        done = _load_if_done(cell, Path(out) / cell.key, _damaged_notice(notice)) \
            if out is not None and reuse else None
        if done is not None:
            loaded.append((i, done))
            # what a run killed right after saving it may have left beside it
            _snapshot.remove(Path(out) / cell.key)
            _snapshot.clean_temporaries(Path(out) / cell.key)
        else:
            todo.append(i)
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    dask = scheduler is not None and bool(todo)
    n = 0 if dask else parallel.resolve_workers("auto" if workers is None else workers, limit=len(todo))
    tell(Progress("plan", len(loaded), len(cells), processes=n))
    for i, res in loaded:
        finish(i, res, save=False)
    if dask:
        _run_on_dask(scheduler, [cells[i] for i in todo], lambda j, res: finish(todo[j], res))
        return results

    def snap_args(i: int) -> tuple:
        if out is None:
            return None, snapshot_every, False
        directory = Path(out) / cells[i].key
        _snapshot.clean_temporaries(directory)
        return directory, snapshot_every, resume

    if n <= 1:
        for i in todo:
            steps = None if progress is None else (
                lambda done, total, plan, cell=cells[i]: progress(Progress("steps", done, total, cell=cell,
                                                                            plan=plan)))
            finish(i, _simulate_cell(cells[i], *snap_args(i), progress=steps))
        return results
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
