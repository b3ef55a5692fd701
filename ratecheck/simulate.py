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
streams, so the result is bit-identical for any number of workers. Only problems whose rows
are computed independently of each other are split (``rowwise``: every built-in family but
``robust_regression`` and ``l1``, whose BLAS products round a row differently depending on how
many rows are multiplied together; a user-defined problem opts in with ``rowwise = True``);
the others run in one process whatever ``workers`` says.

Divergence
----------
A replicate whose iterate becomes non-finite is marked diverged at that step, its
iterate is frozen at NaN and its later metrics are NaN; the others go on. The result
reports ``diverged`` and ``diverged_step`` per replicate.
"""
from __future__ import annotations

import time

import numpy as np

from . import _engine
from . import _validate as V
from . import parallel
from .optimizers.base import Optimizer
from .result import SimulationResult

__all__ = ["simulate", "log_checkpoints", "metric_names", "DEFAULT_BLOCK_SIZE", "ENGINES"]

DEFAULT_BLOCK_SIZE = 256
ENGINES = ("auto", "reference", "numpy", "numba")
#: ``engine="auto"`` compiles a kernel (seconds, the first time) only for runs at least this big,
#: in replicate·coordinate·steps
NUMBA_MIN_WORK = 2 * 10**7
#: ``workers="auto"`` starts worker processes (a fraction of a second) only for runs at least this big
PARALLEL_MIN_WORK = 10**7


def log_checkpoints(steps: int, n: int = 40) -> np.ndarray:
    """About ``n`` distinct log-spaced integers from 1 to ``steps`` inclusive."""
    steps = V.integer("steps", steps, low=1)
    n = V.integer("n_checkpoints", n, low=1)
    grid = np.unique(np.round(np.geomspace(1, steps, max(n, 1))).astype(np.int64))
    return np.union1d(grid, [steps]).astype(np.int64)


def _checkpoint_grid(checkpoints, steps, n_checkpoints) -> np.ndarray:
    if checkpoints is None:
        return log_checkpoints(steps, n_checkpoints)
    arr = np.asarray(checkpoints)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"checkpoints must be a non-empty list of integer steps, got {checkpoints!r}")
    if np.any(np.diff(arr) <= 0) or arr[0] < 1 or arr[-1] > steps:
        raise ValueError(f"checkpoints must be strictly increasing integers in [1, steps={steps}]")
    return arr.astype(np.int64)


def _x0_array(problem, x0, replicates: int, dim: int) -> np.ndarray:
    if x0 is None:
        init = getattr(problem, "initial_point", None)
        x0 = init() if callable(init) else np.zeros(dim)
    arr = np.asarray(x0, dtype=np.float64)
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
    if optimizer.output != "iterate":
        names += [f"out_{n}" for n in point]
        if certificate is None or certificate:
            names += ["cert_grad_norm", "cert_spread"]
    return sorted(names)


def simulate(problem, optimizer: Optimizer, *, steps: int, replicates: int, seed,
             x0=None, checkpoints=None, n_checkpoints: int = 40, running: bool = True,
             certificate: bool | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
             workers=1, engine: str = "auto") -> SimulationResult:
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
        one per block, for runs of at least ``PARALLEL_MIN_WORK`` replicate·coordinate·steps).
        The result does not depend on it. Problems that are not ``rowwise`` run in one process.
    engine : {"auto", "reference", "numpy", "numba"}
        How the steps are computed; every engine gives the same bits (see the module
        docstring). ``"numpy"`` and ``"numba"`` raise ``ValueError`` where they do not apply.

    Returns
    -------
    SimulationResult
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a ratecheck Optimizer (see ratecheck.optimizers.make), "
                        f"got {type(optimizer).__name__}")
    dim = _check_problem(problem)
    steps = V.integer("steps", steps, low=1)
    replicates = V.integer("replicates", replicates, low=1)
    block_size = V.integer("block_size", block_size, low=1)
    if isinstance(seed, np.random.SeedSequence):
        # a fresh copy: spawning from the caller's object would change it
        seq = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
    else:
        seq = np.random.SeedSequence(V.integer("seed", seed, low=0))
    grid = _checkpoint_grid(checkpoints, steps, n_checkpoints)
    x0 = _x0_array(problem, x0, replicates, dim)
    tracks_output = optimizer.output != "iterate"
    certificate = tracks_output if certificate is None else bool(certificate)
    if certificate and not tracks_output:
        raise ValueError(f"certificate=True needs an optimizer that outputs an average or EMA; "
                         f"{optimizer.name} outputs its iterate")
    engine = _choose_engine(engine, problem, optimizer, work=replicates * dim * steps, running=running,
                            certificate=certificate)

    n_blocks = -(-replicates // block_size)
    noise_root, opt_root = seq.spawn(2)
    noise_seqs = noise_root.spawn(n_blocks)
    opt_seqs = opt_root.spawn(n_blocks)
    rowwise = bool(getattr(problem, "rowwise", False))
    small = workers == "auto" and replicates * dim * steps < PARALLEL_MIN_WORK
    n_parts = parallel.resolve_workers(workers, limit=n_blocks if rowwise and not small else 1)
    # contiguous runs of whole blocks, as even as possible
    bounds = [round(i * n_blocks / n_parts) for i in range(n_parts + 1)]
    tasks = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        rows = slice(lo * block_size, min(hi * block_size, replicates))
        tasks.append(_engine.Task(problem=problem, optimizer=optimizer, steps=steps, grid=grid,
                                  running=running, certificate=certificate, block_size=block_size,
                                  x0=x0[rows], noise_seqs=noise_seqs[lo:hi], opt_seqs=opt_seqs[lo:hi],
                                  engine=engine))

    start = time.perf_counter()
    if len(tasks) == 1:
        parts = [_engine.run_task(tasks[0])]
    else:
        pool = parallel.executor(len(tasks))
        parts = list(pool.map(_engine.run_task, tasks))
    elapsed = time.perf_counter() - start

    records = {name: np.concatenate([p.records[name] for p in parts], axis=1) for name in parts[0].records}
    alive = np.concatenate([p.alive for p in parts])
    diverged_step = np.concatenate([p.diverged_step for p in parts])
    x = np.concatenate([p.x for p in parts]) if len(parts) > 1 else parts[0].x
    output_x = None if parts[0].output_x is None else (
        np.concatenate([p.output_x for p in parts]) if len(parts) > 1 else parts[0].output_x)
    n_div = int((~alive).sum())
    message = "all replicates finite" if n_div == 0 else \
        f"{n_div} of {replicates} replicates diverged (first at step {int(diverged_step[~alive].min())})"
    return SimulationResult(
        problem=_describe(problem), optimizer=optimizer.describe(), seed=_seed_record(seq),
        steps=steps, replicates=replicates, block_size=block_size, checkpoints=grid,
        metrics=records, x=x, output_x=output_x,
        diverged=~alive, diverged_step=diverged_step, message=message, elapsed=elapsed,
        constants=_json_constants(problem))


def _choose_engine(engine, problem, optimizer, *, work: int, running: bool, certificate: bool) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "reference":
        return engine
    batch = getattr(problem, "_batch_kind", None)
    fast = callable(batch) and batch() is not None
    if engine == "numpy":
        if not fast:
            raise ValueError("engine='numpy' needs a built-in problem whose randomness can be drawn ahead "
                             "(not affine noise, not arjevani_chain, not intrinsic randomness plus "
                             "additive noise); use engine='reference' or 'auto'")
        return engine
    from . import _kernels
    why = _kernels.unsupported(problem, optimizer, running=running, certificate=certificate) if fast else \
        "the problem's randomness cannot be drawn ahead"
    if engine == "numba":
        if why:
            raise ValueError(f"engine='numba' does not apply here: {why}; use engine='auto'")
        return engine
    if not why and work >= NUMBA_MIN_WORK:
        return "numba"
    return "numpy" if fast else "reference"


def _describe(problem) -> dict:
    d = getattr(problem, "describe", None)
    if callable(d):
        return d()
    return {"name": type(problem).__name__, "dim": int(problem.dim), "user_defined": True}


def _json_constants(problem) -> dict:
    get = getattr(problem, "constants", None)
    c = get() if callable(get) else {}
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in c.items()}


def _seed_record(seq: np.random.SeedSequence):
    return {"entropy": seq.entropy, "spawn_key": list(seq.spawn_key)}
