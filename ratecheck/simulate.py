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

Divergence
----------
A replicate whose iterate becomes non-finite is marked diverged at that step, its
iterate is frozen at NaN and its later metrics are NaN; the others go on. The result
reports ``diverged`` and ``diverged_step`` per replicate.
"""
from __future__ import annotations

import time

import numpy as np

from . import _validate as V
from .optimizers.base import BlockRNG, Optimizer
from .result import SimulationResult

__all__ = ["simulate", "log_checkpoints", "metric_names", "DEFAULT_BLOCK_SIZE"]

DEFAULT_BLOCK_SIZE = 256


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
    get = getattr(problem, "constants", None)
    c = get() if callable(get) else {}
    return {"f_star": c.get("f_star", getattr(problem, "f_star", None)),
            "x_star": c.get("x_star", getattr(problem, "x_star", None))}


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


def _sqnorm(a: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, a)


def _point_metrics(problem, x: np.ndarray, consts: dict, prefix: str = "") -> dict:
    g = problem.grad(x)
    value = np.asarray(problem.value(x), dtype=np.float64)
    out = {f"{prefix}grad_norm_sq": _sqnorm(g),
           f"{prefix}grad_norm_l1": np.abs(g).sum(axis=1),
           f"{prefix}value": value}
    if consts["f_star"] is not None:
        out[f"{prefix}gap"] = value - consts["f_star"]
    if consts["x_star"] is not None:
        out[f"{prefix}dist"] = np.sqrt(_sqnorm(x - np.asarray(consts["x_star"])))
    if x.shape[1] == 1:
        out[f"{prefix}theta"] = x[:, 0].copy()
    return out


class _Output:
    """Online average/EMA of points p_t, with the (λ,ε) certificate's accumulators."""

    def __init__(self, problem, optimizer: Optimizer, x0: np.ndarray, certificate: bool):
        self.problem, self.opt, self.certificate = problem, optimizer, certificate
        self.mean = x0.copy()
        self.diff = np.empty_like(x0)
        if certificate:
            self.gbar = problem.grad(x0)
            self.spread = np.zeros(x0.shape[0])

    def update(self, p: np.ndarray, t: int) -> None:
        a = self.opt.output_weight(t)
        np.subtract(p, self.mean, out=self.diff)
        if self.certificate:
            # S_t = (1-a)(S_{t-1} + a‖p_t − mean_{t−1}‖²) is the weighted spread Σ w_s‖p_s − mean_t‖²
            self.spread += a * _sqnorm(self.diff)
            self.spread *= 1.0 - a
            gp = self.problem.grad(p)
            gp -= self.gbar
            gp *= a
            self.gbar += gp
        self.diff *= a
        self.mean += self.diff


def simulate(problem, optimizer: Optimizer, *, steps: int, replicates: int, seed,
             x0=None, checkpoints=None, n_checkpoints: int = 40, running: bool = True,
             certificate: bool | None = None, block_size: int = DEFAULT_BLOCK_SIZE) -> SimulationResult:
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
    consts = _constants(problem)
    tracks_output = optimizer.output != "iterate"
    certificate = tracks_output if certificate is None else bool(certificate)
    if certificate and not tracks_output:
        raise ValueError(f"certificate=True needs an optimizer that outputs an average or EMA; "
                         f"{optimizer.name} outputs its iterate")

    n_blocks = -(-replicates // block_size)
    noise_root, opt_root = seq.spawn(2)
    noise_gens = [np.random.Generator(np.random.PCG64(s)) for s in noise_root.spawn(n_blocks)]
    opt_rng = BlockRNG([np.random.Generator(np.random.PCG64(s)) for s in opt_root.spawn(n_blocks)],
                       block_size)
    slices = [slice(b * block_size, min((b + 1) * block_size, replicates)) for b in range(n_blocks)]
    time_varying = bool(getattr(problem, "time_varying", False))
    project = getattr(problem, "project", None) if getattr(problem, "domain", None) is not None else None

    state = optimizer.init(x0)
    output = _Output(problem, optimizer, x0, certificate) if tracks_output else None
    gbuf = np.empty((replicates, dim)) if n_blocks > 1 else None
    alive = np.ones(replicates, dtype=bool)
    diverged_step = np.full(replicates, -1, dtype=np.int64)
    if running:
        run_min = np.full(replicates, np.inf)
        run_sum = np.zeros(replicates)
        run_min_gap = np.full(replicates, np.inf) if consts["f_star"] is not None else None

    records: dict[str, np.ndarray] = {}

    def record(k: int, t: int) -> None:
        row = _point_metrics(problem, state.x, consts)
        if running:
            row["min_grad_norm_sq"] = run_min
            row["avg_grad_norm_sq"] = run_sum / t
            if run_min_gap is not None:
                row["min_gap"] = run_min_gap
        if output is not None:
            row.update(_point_metrics(problem, output.mean, consts, prefix="out_"))
            if certificate:
                row["cert_grad_norm"] = np.sqrt(_sqnorm(output.gbar))
                row["cert_spread"] = output.spread
        for name, values in row.items():
            if name not in records:
                records[name] = np.full((grid.size, replicates), np.nan)
            values = np.where(alive, values, np.nan)
            records[name][k] = values

    def grad_at(y: np.ndarray, t: int) -> np.ndarray:
        extra = (t,) if time_varying else ()
        if gbuf is None:
            return problem.stochastic_grad(y, noise_gens[0], *extra)
        for gen, sl in zip(noise_gens, slices):
            gbuf[sl] = problem.stochastic_grad(y[sl], gen, *extra)
        return gbuf

    start = time.perf_counter()
    next_k = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for t in range(1, steps + 1):
            if running:
                gx = problem.grad(state.x)
                gn = _sqnorm(gx)
                np.minimum(run_min, gn, out=run_min)
                run_sum += gn
                if run_min_gap is not None:
                    np.minimum(run_min_gap, problem.value(state.x) - consts["f_star"], out=run_min_gap)
            y = optimizer.query(state, opt_rng)
            if project is not None and y is not state.x:
                project(y)
            g = grad_at(y, t)
            optimizer.update(state, g)
            if project is not None:
                project(state.x)
            if output is not None:
                output.update(y if optimizer.output_source == "query" else state.x, t)
            if not np.isfinite(np.sum(state.x)):
                bad = alive & ~np.isfinite(state.x).all(axis=1)
                if bad.any():
                    diverged_step[bad] = t
                    alive &= ~bad
                    state.x[bad] = np.nan
            if t == grid[next_k]:
                record(next_k, t)
                next_k += 1
    elapsed = time.perf_counter() - start

    n_div = int((~alive).sum())
    message = "all replicates finite" if n_div == 0 else \
        f"{n_div} of {replicates} replicates diverged (first at step {int(diverged_step[~alive].min())})"
    return SimulationResult(
        problem=_describe(problem), optimizer=optimizer.describe(), seed=_seed_record(seq),
        steps=steps, replicates=replicates, block_size=block_size, checkpoints=grid,
        metrics=records, x=state.x.copy(), output_x=None if output is None else output.mean.copy(),
        diverged=~alive, diverged_step=diverged_step, message=message, elapsed=elapsed,
        constants=_json_constants(problem))


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
