r"""The vectorized simulator: many independent replicates of one optimizer on one problem.

:func:`simulate` runs ``replicates`` independent copies for ``steps`` gradient
queries and records stationarity metrics at (log-spaced) checkpoints. Memory does
not grow with ``steps``: per step it keeps the optimizer state, the output tracker
and a few per-replicate accumulators.

Randomness
----------
``SeedSequence(seed)`` spawns two roots, one for the problem's noise and one for the
optimizer's own randomness (e.g. O2NC's random scaling). Replicates are split into
blocks of ``block_size``; block ``b`` draws from child ``b`` of each root. Hence

* every optimizer sees the same noise for the same seed (common random numbers),
* a replicate's numbers do not depend on how many replicates run beside it
  (the first 256 replicates of a 1024-replicate run are those of a 256-replicate run),
* metrics use exact gradients and never consume the noise stream, so the result is
  bit-identical whatever the checkpoint grid.

Steps and measured points
-------------------------
Step ``t = 1..steps`` is one stochastic-gradient query: ``y = opt.query(state)``,
``g = problem.stochastic_grad(y, rng)``, ``opt.update(state, g)``, then projection of
the iterate onto the problem's box domain, if any. Checkpoint ``t`` measures the
iterate after ``t`` queries (``grad_norm_sq``, ``grad_norm_l1``, ``value``, ``gap`` =
F − F*, ``dist`` = ‖x − x*‖) and, with ``running=True``, the running minimum and
average over the points :math:`x_0, \dots, x_{t-1}` at which the gradients were drawn
(``min_grad_norm_sq``, ``avg_grad_norm_sq``, ``min_gap``), i.e. the quantities
:math:`\min_{s<t}\|\nabla F(x_s)\|^2` and :math:`\frac1t\sum_{s<t}\|\nabla F(x_s)\|^2` of the
nonconvex theorems.

When the optimizer outputs an average or EMA (:attr:`Optimizer.output`), the same
metrics are recorded at that point with prefix ``out_``, and the (λ,ε)-stationarity
certificate of Zhang & Cutkosky (2024) is tracked online: with weights :math:`w_s` of
the output over the points :math:`p_s` (their mean is the output :math:`\bar p`),

.. math:: \|\nabla F(\bar p)\|_{[\lambda]} \le \Big\|\sum_s w_s \nabla F(p_s)\Big\|
          + \lambda \sum_s w_s \|p_s - \bar p\|^2,

stored as ``cert_grad_norm`` (first term) and ``cert_spread`` (the weighted spread);
:meth:`SimulationResult.certificate` combines them for any λ.

Speed and parallelism
---------------------
Three engines compute the same bits (see :mod:`ratecheck._engine`): ``"reference"`` (one step
at a time, any problem and optimizer: the definition), ``"numpy"`` (built-in problems: the
random numbers of the next chunk of steps are drawn per block, from the same generators, in a
background thread while the current chunk runs) and ``"numba"`` (supported built-in pairs,
with ``numba`` installed: the steps run in a compiled kernel that does each element's
floating-point operations in NumPy's order). ``engine="auto"`` picks the fastest that applies.

``workers`` splits the blocks of replicates across processes; each block keeps its own
streams, so the result is bit-identical for any number of workers. With ``workers="auto"`` the
``"numba"`` engine also hands the rows of a block to threads, in pieces (the cores the processes
leave over: with one block on two cores, one process and two threads); a row's arithmetic does
not depend on the rows around it, so the bits do not change either. Gaussian noise is drawn by
a compiled copy of NumPy's own algorithm (:mod:`ratecheck._normal`; the same numbers, checked
against NumPy when first used) when numba is installed. Only problems whose rows
are computed independently of each other are split (``rowwise``: every built-in family but
``robust_regression`` and ``l1``, whose BLAS products round a row differently depending on how
many rows are multiplied together; a user-defined problem opts in with ``rowwise = True``);
the others run in one process whatever ``workers`` says.

Divergence
----------
A replicate whose iterate becomes non-finite is marked diverged at that step, its
iterate is frozen at NaN and its later metrics are NaN; the others go on. The result
reports ``diverged`` and ``diverged_step`` per replicate.

Resumable runs
--------------
With ``snapshot=DIR`` the steps run in *segments* and, between two segments, a resumable
snapshot is written to ``DIR`` (:mod:`ratecheck.snapshot`) at most once every ``snapshot_every``
seconds of wall time (default 60 s). The driver sizes each segment from the measured speed so
that it lasts about ``snapshot_every`` (the first is 64 steps, and a segment grows at most 16-fold
over the previous one), so the number of snapshots, and the extra work of starting segments, is
capped by wall time, not by the step count; nothing is added inside the steps. A snapshot may fall
between two metric checkpoints: it carries the checkpoint index, so where the run stops does not
matter. With ``resume=True`` a snapshot found in ``DIR`` is checked (configuration, seed, ratecheck
and NumPy versions: ``ValueError`` if they differ) and the run continues from it; the result is
bit-identical to an uninterrupted run for every engine and number of workers. A snapshot is left in
``DIR`` when the run ends (:func:`ratecheck.snapshot.remove` deletes it; ``ratecheck run`` does
so once the result is saved).

User-defined problems
---------------------
A problem that is not an instance of a registered family is wrapped so that what it returns is
checked: ``grad`` and ``stochastic_grad`` must return a real floating array of shape
``(rows, dim)`` and ``value`` one of shape ``(rows,)`` for points of shape ``(rows, dim)``. The
first call of each method is checked fully (``TypeError``/``ValueError`` naming the method, the
shape expected and the shape got: ``None``, a scalar, a broadcastable ``(dim,)`` or ``(rows, 1)``,
a complex or integer array are refused); later calls compare type, shape and dtype with the first
(the full check runs again if one differs). Built-in problems are not wrapped, and the ``numpy``
and ``numba`` engines, which run built-in problems only, never see the wrapper. Such a problem is
described (in the result and in a snapshot's fingerprint) by its ``describe()``, or else by its class
name, dim and a hash of what ``value`` and ``grad`` return at fixed probe points (evaluated once,
before the run; ``stochastic_grad`` is not probed), so that a resume after one of its parameters
changed is refused. Give such a problem a ``describe()`` if its noise has parameters.

Precision
---------
``dtype="float64"`` (the default) computes everything in double precision. ``dtype="float32"``
stores the start point, the iterates, the optimizer's state and the output average in single
precision and hands the optimizer single-precision gradients (rounded from the problem's), so
its update is float32 arithmetic; metrics are computed and recorded in float64 from those float32
points. It runs on the reference engine only and is recorded in the result (``result.dtype``) and
flagged in its ``summary()``; an overflow of float32 (|x| > 3.4e38) is a divergence.
"""
from __future__ import annotations

import hashlib
import json
import os
import time

import numpy as np

from . import engine as _engine
from .. import validate as V
from . import parallel as parallel
from ..optimizers.base import Optimizer
from ..schedules import unconfirmed_callables
from .result import SimulationResult, _jsonable, git_state, utc_now

__all__ = ["simulate", "log_checkpoints", "metric_names", "fingerprint", "memory_estimate", "check_size", "check_noise",
           "DEFAULT_BLOCK_SIZE", "ENGINES", "DTYPES", "SNAPSHOT_EVERY", "MAX_CHECKPOINTS", "MAX_STEPS"]

DEFAULT_BLOCK_SIZE = 256
ENGINES = ("auto", "reference", "numpy", "numba")
DTYPES = ("float64", "float32")
#: default minimum wall time, in seconds, between two resumable snapshots
SNAPSHOT_EVERY = 60.0
#: steps of the first segment of a run that writes snapshots (later ones are sized by speed)
FIRST_SEGMENT = 64
#: a segment is at most this many times longer than the one before it
SEGMENT_GROWTH = 16
#: most checkpoints a grid may have (a grid is held in memory, one row of metrics per checkpoint)
MAX_CHECKPOINTS = 10**6
#: most steps a run may have (10^15 steps would take years at any speed: a larger value is a mistake)
MAX_STEPS = 10**15
#: arrays of shape (replicates, dim) a simulation may hold at once (state, scratch, output, buffers)
_ARRAYS_PER_ROW = 16
#: ``engine="auto"`` compiles a kernel (seconds, the first time) only for runs at least this big,
#: in replicate·coordinate·steps
NUMBA_MIN_WORK = 2 * 10**7
#: ``workers="auto"`` starts worker processes (a fraction of a second) only for runs at least this big
PARALLEL_MIN_WORK = 10**7


def log_checkpoints(steps: int, n: int = 40) -> np.ndarray:
    """About ``n`` distinct log-spaced integers from 1 to ``steps`` inclusive."""
    steps = V.integer("steps", steps, low=1)
    n = V.integer("n_checkpoints", n, low=1, high=MAX_CHECKPOINTS)
    grid = np.unique(np.round(np.geomspace(1, steps, max(n, 1))).astype(np.int64))
    return np.union1d(grid, [steps]).astype(np.int64)


def _checkpoint_grid(checkpoints, steps, n_checkpoints) -> np.ndarray:
    if checkpoints is None:
        return log_checkpoints(steps, n_checkpoints)
    try:
        arr = np.asarray(checkpoints)
    except (TypeError, ValueError, OverflowError):
        arr = np.asarray([])
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or arr.size > MAX_CHECKPOINTS:
        raise ValueError(f"checkpoints must be a non-empty list of at most {MAX_CHECKPOINTS} integer steps, "
                         f"got {_short(checkpoints)}")
    if np.any(np.diff(arr) <= 0) or arr[0] < 1 or arr[-1] > steps:
        raise ValueError(f"checkpoints must be strictly increasing integers in [1, steps={steps}]")
    return arr.astype(np.int64)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _x0_array(problem, x0, replicates: int, dim: int) -> np.ndarray:
    if x0 is None:
        init = getattr(problem, "initial_point", None)
        x0 = init() if callable(init) else np.zeros(dim)
    try:
        raw = np.asarray(x0)
    except (TypeError, ValueError) as err:
        raise TypeError(f"x0 must be an array of real numbers of shape ({dim},) or ({replicates}, {dim}), "
                        f"got {_short(x0)} ({err})") from None
    if raw.dtype.kind not in "biuf" or raw.dtype.kind == "b":
        raise TypeError(f"x0 must be an array of real numbers of shape ({dim},) or ({replicates}, {dim}), "
                        f"got dtype {raw.dtype}")
    arr = raw.astype(np.float64, copy=False)
    if arr.shape == (dim,):
        arr = np.broadcast_to(arr, (replicates, dim))
    if arr.shape != (replicates, dim):
        raise ValueError(f"x0 must have shape ({dim},) or ({replicates}, {dim}), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("x0 must be finite")
    return np.array(arr, dtype=np.float64, order="C")


def _check_problem(problem) -> int:
    missing = [a for a in ("dim", "value", "grad", "stochastic_grad") if not hasattr(problem, a)]
    if missing:
        raise TypeError(f"problem must have dim, value, grad and stochastic_grad(x, rng); "
                        f"{type(problem).__name__} lacks {', '.join(missing)}")
    return V.integer("problem.dim", problem.dim, low=1)


def _built_in(problem) -> bool:
    """Whether ``problem`` is an instance of a registered family (whose returns are known to be right)."""
    from .. import problems as _problems
    from ..problems.base import Problem
    name = getattr(problem, "name", None) if isinstance(problem, Problem) else None
    return isinstance(name, str) and name in _problems.names() and type(problem) is _problems.get(name)


class _CheckedProblem:
    """A user-defined problem whose methods' returns are checked.

    ``value(x)`` must return a real floating array of shape ``(rows,)`` and ``grad(x)`` and
    ``stochastic_grad(x, rng[, t])`` one of shape ``(rows, dim)``, for ``x`` of shape ``(rows, dim)``.
    A method's first return is checked fully (type, dtype, shape; ``TypeError``/``ValueError`` naming
    the method, the shape expected and the shape got); later ones by three comparisons (exact type,
    shape, and the dtype seen the first time), falling back to the full check when one differs. Every
    other attribute is the problem's own.
    """

    def __init__(self, problem, dim: int):
        self._problem, self._dim = problem, dim
        self._value_dtype = self._grad_dtype = self._stochastic_grad_dtype = None   # set by the full check

    def __getattr__(self, name):
        problem = self.__dict__.get("_problem")
        if problem is None:           # during unpickling, before __init__'s attributes exist
            raise AttributeError(name)
        return getattr(problem, name)

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _check(self, method: str, out, x, shape: tuple):
        """The full check (the first call, or when the cheap one in the methods below fails)."""
        where = f"{type(self._problem).__name__}.{method}"
        expected = f"a real floating numpy array of shape {shape}"
        rows = "" if len(shape) == 1 else f" (one row of {self._dim} per point)"
        if not isinstance(out, np.ndarray):
            got = "None" if out is None else f"a {type(out).__name__}"
            raise TypeError(f"{where} returned {got} for x of shape {x.shape}; it must return {expected}{rows}")
        if not np.issubdtype(out.dtype, np.floating):
            raise TypeError(f"{where} returned dtype {out.dtype} for x of shape {x.shape}; it must return {expected}"
                            f"{' (no imaginary part)' if np.issubdtype(out.dtype, np.complexfloating) else ''}")
        if out.shape != shape:
            raise ValueError(f"{where} returned shape {out.shape} for x of shape {x.shape}; it must return "
                             f"{expected}{rows}, not something to broadcast")
        setattr(self, f"_{method}_dtype", out.dtype)
        return out

    # the cheap check inline (a type, a shape and a dtype compared): these run at every step
    def value(self, x):
        out = self._problem.value(x)
        if type(out) is np.ndarray and out.dtype is self._value_dtype and out.shape == (x.shape[0],):
            return out
        return self._check("value", out, x, (x.shape[0],))

    def grad(self, x):
        out = self._problem.grad(x)
        if type(out) is np.ndarray and out.dtype is self._grad_dtype and out.shape == x.shape:
            return out
        return self._check("grad", out, x, (x.shape[0], self._dim))

    def stochastic_grad(self, x, rng, *t):
        out = self._problem.stochastic_grad(x, rng, *t)
        if type(out) is np.ndarray and out.dtype is self._stochastic_grad_dtype and out.shape == x.shape:
            return out
        return self._check("stochastic_grad", out, x, (x.shape[0], self._dim))


#: seed of the probe points of a user-defined problem's behavioural fingerprint
PROBE_SEED = 20261206
PROBE_POINTS = 3


def _behaviour(problem, dim: int, rows: int = PROBE_POINTS) -> str:
    """SHA-256 of what a user-defined problem's ``value`` and ``grad`` return at ``rows`` fixed probe points.

    Any change of its parameters (or code) that changes these numbers changes the fingerprint. Its
    ``stochastic_grad`` is not called: a problem may count its oracle calls (a stateful noise law), and
    the probe must not change the run. Noise parameters are therefore seen only through ``describe()``.
    """
    checked = problem if isinstance(problem, _CheckedProblem) else _CheckedProblem(problem, dim)
    x = np.random.default_rng(PROBE_SEED).uniform(-0.9, 0.9, size=(rows, dim))
    h = hashlib.sha256()
    with np.errstate(all="ignore"):
        for out in (checked.value(x.copy()), checked.grad(x.copy())):
            h.update(np.ascontiguousarray(out, dtype=np.float64).tobytes())
    return h.hexdigest()


def check_noise(problem) -> None:
    """Refuse (``ValueError``) noise so large that its variance overflows a float (``sigma = 1e308``):
    every variance, rate constant and metric computed from it would be inf, with overflow warnings."""
    scales = getattr(getattr(problem, "noise", None), "scales", None)
    if not callable(scales):
        return
    dim = int(problem.dim)
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.asarray(scales(dim), dtype=np.float64)
        total = float(np.sum(s * s))
    if not np.isfinite(total):
        big = float(np.max(np.abs(s))) if s.size else float("nan")
        limit = float(np.sqrt(np.finfo(np.float64).max / max(dim, 1)))
        raise ValueError(f"noise.sigma {big:.4g} is too large: the noise variance sigma² overflows a float; "
                         f"use sigma below {limit:.3g} (dim = {dim})")


def memory_limit() -> int:
    """Bytes a simulation may plan to hold: ``$RATECHECK_MAX_BYTES``, else 3/4 of physical memory."""
    env = os.environ.get("RATECHECK_MAX_BYTES")
    if env:
        try:
            return V.integer("RATECHECK_MAX_BYTES", int(env), low=1)
        except ValueError:
            raise ValueError(f"RATECHECK_MAX_BYTES must be a positive integer (bytes), got {env!r}") from None
    try:
        return int(0.75 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 16 * 2**30


def memory_estimate(replicates: int, dim: int, n_checkpoints: int, n_metrics: int) -> int:
    """Bytes a simulation holds, roughly: its (replicates, dim) arrays and its recorded metrics."""
    return 8 * int(replicates) * (_ARRAYS_PER_ROW * int(dim) + int(n_checkpoints) * max(int(n_metrics), 1))


def check_size(replicates: int, dim: int, n_checkpoints: int, n_metrics: int) -> None:
    """Refuse (``ValueError``), before anything is allocated, a run that would not fit in memory."""
    need, limit = memory_estimate(replicates, dim, n_checkpoints, n_metrics), memory_limit()
    if need > limit:
        raise ValueError(f"replicates={replicates} x dim={dim} with {n_checkpoints} checkpoints of {n_metrics} "
                         f"metrics needs about {need / 2**30:.3g} GiB, more than the {limit / 2**30:.3g} GiB "
                         f"allowed (3/4 of this machine's memory, or $RATECHECK_MAX_BYTES): reduce replicates, "
                         f"dim or n_checkpoints")


def _constants(problem) -> dict:
    return _engine.constants(problem)


def metric_names(problem, optimizer: Optimizer, *, running: bool = True,
                 certificate: bool | None = None) -> list[str]:
    """The metric names :func:`simulate` records for this problem and optimizer."""
    consts = _constants(problem)
    point = ["grad_norm_sq", "grad_norm_l1", "value"]
    point += ["gap"] if consts["f_star"] is not None else []
    point += ["dist"] if consts["x_star"] is not None else []
    point += ["theta"] if int(problem.dim) == 1 else []
    names = list(point)
    if running:
        names += ["min_grad_norm_sq", "avg_grad_norm_sq"] + (["min_gap"] if consts["f_star"] is not None else [])
        names += ["avg_gap"] if _engine.records_regret(problem, consts) else []
    if optimizer.output != "iterate":
        names += [f"out_{n}" for n in point]
        if certificate is None or certificate:
            names += ["cert_grad_norm", "cert_grad_l1", "cert_spread", "avg_cert_grad_norm", "avg_cert_grad_l1",
                      "avg_cert_spread", "avg_out_grad_norm"]
    return sorted(names)


def simulate(problem, optimizer: Optimizer, *, steps: int, replicates: int, seed,
             x0=None, checkpoints=None, n_checkpoints: int = 40, running: bool = True,
             certificate: bool | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
             workers=1, engine: str = "auto", dtype: str = "float64", snapshot=None,
             snapshot_every: float = SNAPSHOT_EVERY, resume: bool = False) -> SimulationResult:
    """Simulate ``replicates`` independent runs of ``optimizer`` on ``problem``.

    Parameters
    ----------
    problem : Problem or any object with ``dim``, ``value``, ``grad``, ``stochastic_grad(x, rng)``
    optimizer : Optimizer
    steps : int
        Number of stochastic-gradient queries per replicate.
    replicates : int
        Number of independent replicates (the leading array axis).
    seed : int or numpy.random.SeedSequence
        Root of all randomness; the same call gives bit-identical results.
    x0 : array of shape (dim,) or (replicates, dim), optional
        Start; default ``problem.initial_point()`` (zeros for a user object without it).
    checkpoints : sequence of int, optional
        Steps at which metrics are recorded; default ``n_checkpoints`` log-spaced steps.
    running : bool
        Track running min/average of ‖∇F‖² (and min of F − F*) over every step
        (one exact gradient per step).
    certificate : bool, optional
        Track the (λ,ε) certificate at the output point (default: when the optimizer
        outputs an average or EMA).
    block_size : int
        Replicates per random-number block (part of the reproducibility contract).
    workers : int or "auto"
        Processes to split the blocks of replicates across (``"auto"``: one per core, at most
        one per block, for runs of at least ``PARALLEL_MIN_WORK`` replicate·coordinate·steps;
        with the ``"numba"`` engine, each process also splits its blocks' rows across the cores
        left over, in threads). The result does not depend on it. Problems that are not
        ``rowwise`` run in one process.
    engine : {"auto", "reference", "numpy", "numba"}
        How the steps are computed; every engine gives the same bits (see the module
        docstring). ``"numpy"`` and ``"numba"`` raise ``ValueError`` where they do not apply.
    dtype : {"float64", "float32"}
        Precision of the iterates and optimizer state (see *Precision* in the module docstring).
    snapshot : path, optional
        Directory for resumable snapshots (see *Resumable runs*); none are written by default.
    snapshot_every : float
        Minimum wall time in seconds between two snapshots (0: after every segment).
    resume : bool
        Continue from the snapshot in ``snapshot`` if there is one (checked against this call).

    Returns
    -------
    SimulationResult
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a ratecheck Optimizer (see ratecheck.optimizers.make), "
                        f"got {type(optimizer).__name__}")
    dim = _check_problem(problem)
    if not _built_in(problem):
        problem = _CheckedProblem(problem, dim)
    steps = V.integer("steps", steps, low=1, high=MAX_STEPS)
    replicates = V.integer("replicates", replicates, low=1)
    # before anything runs: a user problem's first returns are checked here, at its probe points
    description = _describe(problem, replicates)
    block_size = V.integer("block_size", block_size, low=1)
    dtype = V.choice("dtype", dtype, DTYPES)
    if not isinstance(running, bool):
        raise TypeError(f"running must be True or False, got {_short(running)}")
    if certificate is not None and not isinstance(certificate, bool):
        raise TypeError(f"certificate must be True, False or None, got {_short(certificate)}")
    if not isinstance(resume, bool):
        raise TypeError(f"resume must be True or False, got {_short(resume)}")
    snapshot_every = V.real("snapshot_every", snapshot_every, low=0.0)
    if resume and snapshot is None:
        raise ValueError("resume=True needs snapshot=DIR, the directory holding the snapshot")
    if isinstance(seed, np.random.SeedSequence):
        # a fresh copy: spawning from the caller's object would change it
        seq = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
    else:
        seq = np.random.SeedSequence(V.integer("seed", seed, low=0))
    grid = _checkpoint_grid(checkpoints, steps, n_checkpoints)
    tracks_output = optimizer.output != "iterate"
    certificate = tracks_output if certificate is None else bool(certificate)
    if certificate and not tracks_output:
        raise ValueError(f"certificate=True needs an optimizer that outputs an average or EMA; "
                         f"{optimizer.name} outputs its iterate")
    check_noise(problem)
    check_size(replicates, dim, grid.size, len(metric_names(problem, optimizer, running=running,
                                                             certificate=certificate)))
    x0_given = x0 is not None
    x0 = _x0_array(problem, x0, replicates, dim)
    if dtype == "float32" and x0.size and np.abs(x0).max() > np.finfo(np.float32).max:
        raise ValueError(f"x0 has entries beyond float32's range (|x| <= {np.finfo(np.float32).max:.4g}); "
                         f"use dtype='float64' or a smaller start")
    engine = _choose_engine(engine, problem, optimizer, work=replicates * dim * steps, running=running,
                            certificate=certificate, dtype=dtype)

    n_blocks = -(-replicates // block_size)
    noise_root, opt_root = seq.spawn(2)
    noise_seqs = noise_root.spawn(n_blocks)
    opt_seqs = opt_root.spawn(n_blocks)
    rowwise = bool(getattr(problem, "rowwise", False))
    small = workers == "auto" and replicates * dim * steps < PARALLEL_MIN_WORK
    n_parts = parallel.resolve_workers(workers, limit=n_blocks if rowwise and not small else 1)
    threads = 1 if small or not rowwise else parallel.threads_per_part(workers, n_parts)
    # contiguous runs of whole blocks, as even as possible
    bounds = [round(i * n_blocks / n_parts) for i in range(n_parts + 1)]
    spans = [(slice(lo * block_size, min(hi * block_size, replicates)), slice(lo, hi))
             for lo, hi in zip(bounds[:-1], bounds[1:])]

    def tasks(start: _engine.Carry | None, stop: int) -> list:
        return [_engine.Task(problem=problem, optimizer=optimizer, steps=steps, grid=grid, running=running,
                             certificate=certificate, block_size=block_size, x0=x0[rows],
                             noise_seqs=noise_seqs[blocks], opt_seqs=opt_seqs[blocks], engine=engine,
                             start=None if start is None else start.take(rows, blocks), stop=stop, dtype=dtype,
                             threads=threads)
                for rows, blocks in spans]

    def run(batch: list) -> list:
        if len(batch) == 1:
            return [_engine.run_task(batch[0])]
        return list(parallel.executor(len(batch)).map(_engine.run_task, batch))

    config = {"running": running, "certificate": certificate, "n_checkpoints": int(grid.size),
              "x0": "given" if x0_given else "problem default",
              "x0_sha256": hashlib.sha256(x0.tobytes()).hexdigest()}
    prov = {"started": utc_now(), "engine": engine, "workers": n_parts, "dtype": dtype, "git": git_state(),
            "config": config, "sessions": []}
    session = {"from_step": 0, "started": prov["started"], "engine": engine, "workers": n_parts}
    spent = 0.0           # compute time of earlier sessions (from a snapshot)
    start = time.perf_counter()
    if snapshot is None:
        parts = run(tasks(None, steps))
    else:
        from . import snapshot as _snapshot
        fp = fingerprint(problem, optimizer, steps=steps, replicates=replicates, seed=seq, block_size=block_size,
                         grid=grid, running=running, certificate=certificate, dtype=dtype, x0=x0)
        carry = None
        if resume:
            if unconfirmed_callables(optimizer):
                raise ValueError(f"resume=True with a callable {', '.join(unconfirmed_callables(optimizer))}: ratecheck "
                                 f"compares only its repr and source, not what it computes; pass the same function as "
                                 f"ratecheck.schedules.from_callable(fn, same_on_resume=True) to say so, or use a "
                                 f"named schedule")
            snap = _snapshot.read(snapshot, fp)
            if snap is not None:
                carry = snap.carry
                old = snap.meta.get("provenance", {})
                prov["started"] = old.get("started", prov["started"])
                prov["sessions"] = list(old.get("sessions", []))
                spent = float(old.get("elapsed", 0.0))
                session["from_step"] = carry.t
        parts = _segments(run, tasks, carry, steps, snapshot_every,
                          lambda c: _snapshot.save(snapshot, c, fingerprint=fp, steps=steps, provenance={
                              **prov, "elapsed": spent + time.perf_counter() - start,
                              "sessions": prov["sessions"] + [{**session, "to_step": c.t, "ended": utc_now()}]}))
    elapsed = spent + time.perf_counter() - start
    prov["finished"] = utc_now()
    prov["sessions"] = prov["sessions"] + [{**session, "to_step": steps, "ended": prov["finished"]}]

    records = {name: np.concatenate([p.records[name] for p in parts], axis=1) for name in parts[0].records}
    alive = np.concatenate([p.alive for p in parts])
    diverged_step = np.concatenate([p.diverged_step for p in parts])
    x = np.concatenate([p.x for p in parts]) if len(parts) > 1 else parts[0].x
    output_x = None if parts[0].output_x is None else (
        np.concatenate([p.output_x for p in parts]) if len(parts) > 1 else parts[0].output_x)
    n_div = int((~alive).sum())
    message = "all replicates finite" if n_div == 0 else \
        f"{n_div} of {replicates} replicates diverged (first at step {int(diverged_step[~alive].min())})"
    if dtype != "float64":
        message += f" ({dtype} arithmetic)"
    return SimulationResult(
        problem=description, optimizer=optimizer.describe(), seed=_seed_record(seq),
        steps=steps, replicates=replicates, block_size=block_size, checkpoints=grid,
        metrics=records, x=x, output_x=output_x,
        diverged=~alive, diverged_step=diverged_step, message=message, elapsed=elapsed,
        constants=_json_constants(problem), dtype=dtype, provenance=prov)


def _segments(run, tasks, carry, steps: int, every: float, save) -> list:
    """Run the steps after ``carry`` (None: from 0) in segments, saving a snapshot between two segments
    when ``every`` seconds have passed since the last one; return the final parts."""
    t = 0 if carry is None else carry.t
    length = FIRST_SEGMENT
    last_save = time.monotonic()
    while True:
        stop = min(steps, t + length)
        began = time.perf_counter()
        out = run(tasks(carry, stop))
        if stop >= steps:
            return out
        took = max(time.perf_counter() - began, 1e-6)
        carry = _engine.Carry.join(out)
        if time.monotonic() - last_save >= every:
            save(carry)
            last_save = time.monotonic()
        # the next segment lasts about `every` seconds at the speed just measured (at least one step)
        length = int(min(max(1, (stop - t) * max(every, 0.01) / took), SEGMENT_GROWTH * (stop - t)))
        t = stop


def fingerprint(problem, optimizer: Optimizer, *, steps: int, replicates: int, seed, block_size: int,
                grid: np.ndarray, running: bool, certificate: bool, dtype: str, x0: np.ndarray) -> dict:
    """What determines a simulation's bits (compared before resuming from a snapshot), JSON-able.

    The engine and the number of workers are not part of it: they never change a result.
    A user-defined problem is known by its ``describe()`` if it has one, else by its class name, dim
    and a hash of what it returns at fixed probe points (so a changed parameter is noticed).
    """
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    fp = {"problem": _describe(problem, replicates), "optimizer": optimizer.describe(), "steps": steps,
          "replicates": replicates, "seed": _seed_record(seq), "block_size": block_size,
          "checkpoints": [int(t) for t in grid], "running": running, "certificate": certificate,
          "dtype": dtype, "x0_sha256": hashlib.sha256(np.ascontiguousarray(x0, dtype=np.float64).tobytes()).hexdigest()}
    return json.loads(json.dumps(_jsonable(fp)))


def _choose_engine(engine, problem, optimizer, *, work: int, running: bool, certificate: bool,
                   dtype: str = "float64") -> str:
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {_short(engine)}")
    if engine == "reference":
        return engine
    if dtype != "float64":
        if engine != "auto":
            raise ValueError(f"dtype={dtype!r} runs on the reference engine only; use engine='reference' or 'auto'")
        return "reference"
    batch = getattr(problem, "_batch_kind", None)
    fast = callable(batch) and batch() is not None
    if engine == "numpy":
        if not fast:
            raise ValueError("engine='numpy' needs a built-in problem whose randomness can be drawn ahead "
                             "(not affine noise, not arjevani_chain, not intrinsic randomness plus "
                             "additive noise); use engine='reference' or 'auto'")
        return engine
    from . import kernels as _kernels
    why = _kernels.unsupported(problem, optimizer, running=running, certificate=certificate) if fast else \
        "the problem's randomness cannot be drawn ahead"
    if engine == "numba":
        if why:
            raise ValueError(f"engine='numba' does not apply here: {why}; use engine='auto'")
        return engine
    if not why and work >= NUMBA_MIN_WORK:
        return "numba"
    return "numpy" if fast else "reference"


def _describe(problem, replicates: int = PROBE_POINTS) -> dict:
    """A problem's description: its ``describe()``, else (a user-defined object) its class name, dim and
    behavioural fingerprint (:func:`_behaviour`, at as many probe points as the run has replicates, up to
    :data:`PROBE_POINTS`: a problem is only ever asked about batches the size of the run's)."""
    checked = problem if isinstance(problem, _CheckedProblem) else None
    if checked is not None:
        problem = problem._problem
    d = getattr(problem, "describe", None)
    if callable(d):
        return d()
    return {"name": type(problem).__name__, "dim": int(problem.dim), "user_defined": True,
            "behaviour_sha256": _behaviour(checked or problem, int(problem.dim), min(replicates, PROBE_POINTS))}


def _json_constants(problem) -> dict:
    get = getattr(problem, "constants", None)
    c = get() if callable(get) else {}
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in c.items()}


def _seed_record(seq: np.random.SeedSequence):
    return {"entropy": seq.entropy, "spawn_key": list(seq.spawn_key)}
