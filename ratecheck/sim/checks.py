r"""Checks of a simulation request, before anything runs: sizes, start point, checkpoint grid, noise,
memory, and the wrapper that checks what a user-defined problem returns.

Everything :func:`ratecheck.sim.simulate.simulate` refuses with ``TypeError``/``ValueError`` is decided
here, and so is how a problem is described in a result and in a snapshot's fingerprint.

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
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from .. import problems as _problems
from .. import validate as V
from ..problems.base import Problem
from .result import jsonable

__all__ = ["log_checkpoints", "checkpoint_grid", "short_repr", "x0_array", "check_problem", "is_built_in",
           "CheckedProblem", "behaviour", "describe_problem", "check_noise", "memory_limit", "memory_estimate",
           "check_size", "json_constants", "seed_record", "fingerprint", "MAX_CHECKPOINTS", "MAX_STEPS", "PROBE_SEED",
           "PROBE_POINTS"]

#: most checkpoints a grid may have (a grid is held in memory, one row of metrics per checkpoint)
MAX_CHECKPOINTS = 10**6
#: most steps a run may have (10^15 steps would take years at any speed: a larger value is a mistake)
MAX_STEPS = 10**15
#: arrays of shape (replicates, dim) a simulation may hold at once (state, scratch, output, buffers)
_ARRAYS_PER_ROW = 16


def log_checkpoints(steps: int, n: int = 40) -> np.ndarray:
    """About ``n`` distinct log-spaced integers from 1 to ``steps`` inclusive."""
    steps = V.integer("steps", steps, low=1)
    n = V.integer("n_checkpoints", n, low=1, high=MAX_CHECKPOINTS)
    grid = np.unique(np.round(np.geomspace(1, steps, max(n, 1))).astype(np.int64))
    return np.union1d(grid, [steps]).astype(np.int64)


def checkpoint_grid(checkpoints, steps, n_checkpoints) -> np.ndarray:
    if checkpoints is None:
        return log_checkpoints(steps, n_checkpoints)
    try:
        arr = np.asarray(checkpoints)
    except (TypeError, ValueError, OverflowError):
        arr = np.asarray([])
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or arr.size > MAX_CHECKPOINTS:
        raise ValueError(f"checkpoints must be a non-empty list of at most {MAX_CHECKPOINTS} integer steps, "
                         f"got {short_repr(checkpoints)}")
    if np.any(np.diff(arr) <= 0) or arr[0] < 1 or arr[-1] > steps:
        raise ValueError(f"checkpoints must be strictly increasing integers in [1, steps={steps}]")
    return arr.astype(np.int64)


def short_repr(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def x0_array(problem, x0, replicates: int, dim: int) -> np.ndarray:
    if x0 is None:
        init = getattr(problem, "initial_point", None)
        x0 = init() if callable(init) else np.zeros(dim)
    try:
        raw = np.asarray(x0)
    except (TypeError, ValueError) as err:
        raise TypeError(f"x0 must be an array of real numbers of shape ({dim},) or ({replicates}, {dim}), "
                        f"got {short_repr(x0)} ({err})") from None
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


def check_problem(problem) -> int:
    missing = [a for a in ("dim", "value", "grad", "stochastic_grad") if not hasattr(problem, a)]
    if missing:
        raise TypeError(f"problem must have dim, value, grad and stochastic_grad(x, rng); "
                        f"{type(problem).__name__} lacks {', '.join(missing)}")
    return V.integer("problem.dim", problem.dim, low=1)


def is_built_in(problem) -> bool:
    """Whether ``problem`` is an instance of a registered family (whose returns are known to be right)."""
    name = getattr(problem, "name", None) if isinstance(problem, Problem) else None
    return isinstance(name, str) and name in _problems.names() and type(problem) is _problems.get(name)


class CheckedProblem:
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


def behaviour(problem, dim: int, rows: int = PROBE_POINTS) -> str:
    """SHA-256 of what a user-defined problem's ``value`` and ``grad`` return at ``rows`` fixed probe points.

    Any change of its parameters (or code) that changes these numbers changes the fingerprint. Its
    ``stochastic_grad`` is not called: a problem may count its oracle calls (a stateful noise law), and
    the probe must not change the run. Noise parameters are therefore seen only through ``describe()``.
    """
    checked = problem if isinstance(problem, CheckedProblem) else CheckedProblem(problem, dim)
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




def describe_problem(problem, replicates: int = PROBE_POINTS) -> dict:
    """A problem's description: its ``describe()``, else (a user-defined object) its class name, dim and
    behavioural fingerprint (:func:`behaviour`, at as many probe points as the run has replicates, up to
    :data:`PROBE_POINTS`: a problem is only ever asked about batches the size of the run's)."""
    checked = problem if isinstance(problem, CheckedProblem) else None
    if checked is not None:
        problem = problem._problem
    d = getattr(problem, "describe", None)
    if callable(d):
        return d()
    return {"name": type(problem).__name__, "dim": int(problem.dim), "user_defined": True,
            "behaviour_sha256": behaviour(checked or problem, int(problem.dim), min(replicates, PROBE_POINTS))}


def json_constants(problem) -> dict:
    get = getattr(problem, "constants", None)
    c = get() if callable(get) else {}
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in c.items()}


def seed_record(seq: np.random.SeedSequence):
    return {"entropy": seq.entropy, "spawn_key": list(seq.spawn_key)}


def fingerprint(problem, optimizer, *, steps: int, replicates: int, seed, block_size: int,
                grid: np.ndarray, running: bool, certificate: bool, dtype: str, x0: np.ndarray) -> dict:
    """What determines a simulation's bits (compared before resuming from a snapshot), JSON-able.

    The engine and the number of workers are not part of it: they never change a result.
    A user-defined problem is known by its ``describe()`` if it has one, else by its class name, dim
    and a hash of what it returns at fixed probe points (so a changed parameter is noticed).
    """
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    fp = {"problem": describe_problem(problem, replicates), "optimizer": optimizer.describe(), "steps": steps,
          "replicates": replicates, "seed": seed_record(seq), "block_size": block_size,
          "checkpoints": [int(t) for t in grid], "running": running, "certificate": certificate,
          "dtype": dtype, "x0_sha256": hashlib.sha256(np.ascontiguousarray(x0, dtype=np.float64).tobytes()).hexdigest()}
    return json.loads(json.dumps(jsonable(fp)))
