"""How a checked simulation request runs: which engine, how many processes and threads, in which segments.

Engines (:func:`choose_engine`): ``"reference"`` runs any problem and optimizer a step at a time (the
definition); ``"numpy"`` runs built-in problems whose randomness can be drawn ahead; ``"numba"`` runs
the pairs the compiled kernel supports (:func:`ratecheck.sim.kernels.unsupported` says why not). All
three give the same bits, so ``"auto"`` may pick the fastest that applies: the kernel for runs of at
least :data:`NUMBA_MIN_WORK` replicate·coordinate·steps or :data:`NUMBA_MIN_STEPS` steps (below both,
compiling it the first time costs more than it saves; a long narrow run pays NumPy's overhead per call
at every step: 200 000 steps of 64 one-dimensional replicates take 4.6 s on NumPy, 0.3 s compiled),
else NumPy where it applies, else the reference. Compiled kernels are cached on disk, so each
combination compiles once per machine.

Processes and threads (:func:`split`): the blocks of replicates are cut into contiguous runs of whole
blocks, one per process; each block keeps its own random streams, so the result does not depend on
the split. ``workers="auto"`` starts processes only for runs of at least :data:`PARALLEL_MIN_WORK`
and, with the kernel, gives each process the cores left over as threads.

Segments (:func:`run_segments`): the steps may run in segments, each continuing from the carry of the
one before (bit-identical to one segment). A segment lasts about ``every`` seconds at the speed just
measured: the first is :data:`FIRST_SEGMENT` steps and each is at most :data:`SEGMENT_GROWTH` times
the one before, so the number of segments is bounded by wall time, not by the step count. Between two
segments a snapshot may be saved and progress reported.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from . import engine as _engine
from . import kernels as _kernels
from . import parallel as parallel
from .checks import short_repr

__all__ = ["ENGINES", "NUMBA_MIN_WORK", "NUMBA_MIN_STEPS", "PARALLEL_MIN_WORK", "FIRST_SEGMENT", "SEGMENT_GROWTH", "PROGRESS_EVERY",
           "PROGRESS_MAX", "Split", "choose_engine", "split", "run_segments"]

ENGINES = ("auto", "reference", "numpy", "numba")
#: ``engine="auto"`` compiles a kernel (seconds, the first time) only for runs at least this big,
#: in replicate·coordinate·steps
NUMBA_MIN_WORK = 2 * 10**7
#: ... or at least this many steps (NumPy's fixed cost per step then dominates)
NUMBA_MIN_STEPS = 20_000
#: ``workers="auto"`` starts worker processes (a fraction of a second) only for runs at least this big
PARALLEL_MIN_WORK = 10**7
#: steps of the first segment of a run in segments (later ones are sized by speed)
FIRST_SEGMENT = 64
#: a segment is at most this many times longer than the one before it
SEGMENT_GROWTH = 16
#: seconds a segment lasts, about, when progress is reported: PROGRESS_EVERY at first, then a tenth of
#: the time run so far, at most PROGRESS_MAX (a 20-minute run reports ~150 times, not 1200)
PROGRESS_EVERY = 1.0
PROGRESS_MAX = 10.0


def choose_engine(engine, problem, optimizer, *, work: int, running: bool | str, certificate: bool,
                  dtype: str = "float64", steps: int = 0) -> str:
    """The engine that runs this request: ``engine`` itself (``ValueError`` where it does not apply,
    saying what to use instead), or for ``"auto"`` the fastest that applies at ``work``
    replicate·coordinate·steps and ``steps`` steps."""
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {short_repr(engine)}")
    if engine == "reference":
        return engine
    if dtype != "float64":
        if engine != "auto":
            raise ValueError(f"dtype={dtype!r} runs on the reference engine only; use engine='reference' or 'auto'")
        return "reference"
    batch = getattr(problem, "batch_kind", None) or getattr(problem, "_batch_kind", None)
    fast = callable(batch) and batch() is not None
    if engine == "numpy":
        if not fast:
            raise ValueError("engine='numpy' needs a built-in problem whose randomness can be drawn ahead "
                             "(not affine noise, not intrinsic randomness plus additive noise); "
                             "use engine='reference' or 'auto'")
        return engine
    why = _kernels.unsupported(problem, optimizer, running=running, certificate=certificate) if fast else \
        "the problem's randomness cannot be drawn ahead"
    if engine == "numba":
        if why:
            raise ValueError(f"engine='numba' does not apply here: {why}; use engine='auto'")
        return engine
    if not why and (work >= NUMBA_MIN_WORK or steps >= NUMBA_MIN_STEPS):
        return "numba"
    return "numpy" if fast else "reference"


@dataclass(frozen=True)
class Split:
    """Processes (``parts``), threads per process, and each process's ``(rows, blocks)`` slices."""

    parts: int
    threads: int
    spans: list


def split(workers, *, replicates: int, block_size: int, rowwise: bool, work: int) -> Split:
    """Cut the blocks of replicates into contiguous runs of whole blocks, as even as possible.

    Problems that are not ``rowwise`` (a row's rounding depends on the rows beside it) run in one
    process; ``workers="auto"`` runs small requests (``work < PARALLEL_MIN_WORK``) in one process too.
    """
    n_blocks = -(-replicates // block_size)
    small = workers == "auto" and work < PARALLEL_MIN_WORK
    n_parts = parallel.resolve_workers(workers, limit=n_blocks if rowwise and not small else 1)
    threads = 1 if small or not rowwise else parallel.threads_per_part(workers, n_parts)
    bounds = [round(i * n_blocks / n_parts) for i in range(n_parts + 1)]
    spans = [(slice(lo * block_size, min(hi * block_size, replicates)), slice(lo, hi))
             for lo, hi in zip(bounds[:-1], bounds[1:])]
    return Split(n_parts, threads, spans)


def run_segments(run, tasks, carry, steps: int, *, every: float, save=None, progress=None) -> list:
    """Run the steps after ``carry`` (None: from 0) in segments and return the final parts.

    ``save(carry)`` (if given) is called between two segments when ``every`` seconds have passed since
    the last call; ``progress(steps_done)`` (if given) after every segment, which then lasts about
    :data:`PROGRESS_EVERY` seconds, or a tenth of the time run so far up to :data:`PROGRESS_MAX` (or
    ``every``, if shorter): each segment start costs a little, so their number grows only slowly.
    """
    t = 0 if carry is None else carry.t
    length = FIRST_SEGMENT
    last_save = first = time.monotonic()
    while True:
        period = every if save is not None else PROGRESS_MAX
        if progress is not None:
            period = min(period, max(PROGRESS_EVERY, min(PROGRESS_MAX, (time.monotonic() - first) / 10)))
        stop = min(steps, t + length)
        began = time.perf_counter()
        out = run(tasks(carry, stop))
        if progress is not None:
            progress(stop)
        if stop >= steps:
            return out
        took = max(time.perf_counter() - began, 1e-6)
        carry = _engine.Carry.join(out)
        if save is not None and time.monotonic() - last_save >= every:
            save(carry)
            last_save = time.monotonic()
        # the next segment lasts about `period` seconds at the speed just measured (at least one step)
        length = int(min(max(1, (stop - t) * max(period, 0.01) / took), SEGMENT_GROWTH * (stop - t)))
        t = stop
