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
Three engines compute the same bits (see :mod:`ratecheck.sim.engine`, :mod:`ratecheck.sim.plan`): ``"reference"`` (one step
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
a compiled copy of NumPy's own algorithm (:mod:`ratecheck.sim.normal`; the same numbers, checked
against NumPy when first used) when numba is installed. Only problems whose rows
are computed independently of each other are split (``rowwise``: every built-in family, whose
products with data are sums in a fixed order, not BLAS calls that round a row differently
depending on how many rows are multiplied together; a user-defined problem opts in with
``rowwise = True``); the others run in one process whatever ``workers`` says.

Divergence
----------
A replicate whose iterate becomes non-finite is marked diverged at that step, its
iterate is frozen at NaN and its later metrics are NaN; the others go on. The result
reports ``diverged`` and ``diverged_step`` per replicate.

Resumable runs
--------------
With ``snapshot=DIR`` the steps run in *segments* and, between two segments, a resumable
snapshot is written to ``DIR`` (:mod:`ratecheck.sim.snapshot`) at most once every ``snapshot_every``
seconds of wall time (default 60 s). The driver sizes each segment from the measured speed so
that it lasts about ``snapshot_every`` (the first is 64 steps, and a segment grows at most 16-fold
over the previous one), so the number of snapshots, and the extra work of starting segments, is
capped by wall time, not by the step count; nothing is added inside the steps. A snapshot may fall
between two metric checkpoints: it carries the checkpoint index, so where the run stops does not
matter. With ``resume=True`` a snapshot found in ``DIR`` is checked (configuration, seed, ratecheck
and NumPy versions: ``ValueError`` if they differ) and the run continues from it; the result is
bit-identical to an uninterrupted run for every engine and number of workers. A snapshot is left in
``DIR`` when the run ends (:func:`ratecheck.sim.snapshot.remove` deletes it; ``ratecheck run`` does
so once the result is saved).

Progress and provenance
-----------------------
With ``progress=f`` the steps also run in segments (about a second each, bit-identical as above) and
``f(steps_done, steps, plan)`` is called after each, in this process; ``plan`` is
``{"engine", "processes", "threads"}``, which the result's ``provenance`` records too. Nothing here
prints: drawing a bar is the caller's business (``ratecheck run`` draws one on a terminal).

User-defined problems
---------------------
A problem that is not an instance of a registered family is wrapped so that what it returns is checked
(see :mod:`ratecheck.sim.checks`); give such a problem a ``describe()`` if its noise has parameters.

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
import time

import numpy as np

from . import engine as _engine
from . import snapshot as _snapshot
from .. import validate as V
from . import parallel as parallel
from ..optimizers.base import Optimizer
from ..schedules import unconfirmed_callables
from .checks import (MAX_CHECKPOINTS, MAX_STEPS, CheckedProblem, check_noise, check_problem, check_size,
                     checkpoint_grid, describe_problem, fingerprint, is_built_in, json_constants, log_checkpoints,
                     memory_estimate, seed_record, short_repr, x0_array)
from .plan import ENGINES, NUMBA_MIN_WORK, PARALLEL_MIN_WORK, choose_engine, run_segments, split
from .result import SimulationResult, git_state, utc_now

__all__ = ["simulate", "log_checkpoints", "metric_names", "fingerprint", "memory_estimate", "check_size", "check_noise",
           "choose_engine", "x0_array", "DEFAULT_BLOCK_SIZE", "ENGINES", "DTYPES", "SNAPSHOT_EVERY", "MAX_CHECKPOINTS",
           "MAX_STEPS", "NUMBA_MIN_WORK", "PARALLEL_MIN_WORK"]

DEFAULT_BLOCK_SIZE = 256
DTYPES = ("float64", "float32")
#: default minimum wall time, in seconds, between two resumable snapshots
SNAPSHOT_EVERY = 60.0


def metric_names(problem, optimizer: Optimizer, *, running: bool | str = True,
                 certificate: bool | None = None) -> list[str]:
    """The metric names :func:`simulate` records for this problem and optimizer."""
    consts = _engine.constants(problem)
    point = ["grad_norm_sq", "grad_norm_l1", "value"]
    point += ["gap"] if consts["f_star"] is not None else []
    point += ["dist"] if consts["x_star"] is not None else []
    point += ["theta"] if int(problem.dim) == 1 else []
    names = list(point)
    if running:
        names += ["min_grad_norm_sq", "avg_grad_norm_sq"]
    if running is True:
        names += ["min_gap"] if consts["f_star"] is not None else []
        names += ["avg_gap"] if _engine.records_regret(problem, consts) else []
    if optimizer.output != "iterate":
        names += [f"out_{n}" for n in point]
        if certificate is None or certificate:
            names += ["cert_grad_norm", "cert_grad_l1", "cert_spread", "avg_cert_grad_norm", "avg_cert_grad_l1",
                      "avg_cert_spread", "avg_out_grad_norm"]
    return sorted(names)


def simulate(problem, optimizer: Optimizer, *, steps: int, replicates: int, seed,
             x0=None, checkpoints=None, n_checkpoints: int = 40, running: bool | str = True,
             certificate: bool | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
             workers=1, engine: str = "auto", dtype: str = "float64", snapshot=None,
             snapshot_every: float = SNAPSHOT_EVERY, resume: bool = False, progress=None) -> SimulationResult:
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
    running : bool or "gradient"
        Track running min/average of ‖∇F‖² (and min of F − F*, and for an online family the
        average regret ``avg_gap``) over every step: one exact gradient and one value per step.
        ``"gradient"``: only those of ‖∇F‖² (no value per step, which can cost as much as the
        rest of a step when F calls ``sin``).
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
    progress : callable ``(steps_done, steps, plan)``, optional
        Called in this process as the run goes, about once a second (see *Progress and provenance*).

    Returns
    -------
    SimulationResult
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a ratecheck Optimizer (see ratecheck.optimizers.make), "
                        f"got {type(optimizer).__name__}")
    dim = check_problem(problem)
    if not is_built_in(problem):
        problem = CheckedProblem(problem, dim)
    steps = V.integer("steps", steps, low=1, high=MAX_STEPS)
    replicates = V.integer("replicates", replicates, low=1)
    # before anything runs: a user problem's first returns are checked here, at its probe points
    description = describe_problem(problem, replicates)
    block_size = V.integer("block_size", block_size, low=1)
    dtype = V.choice("dtype", dtype, DTYPES)
    if not (isinstance(running, bool) or running == "gradient"):
        raise TypeError(f"running must be True, False or 'gradient', got {short_repr(running)}")
    if certificate is not None and not isinstance(certificate, bool):
        raise TypeError(f"certificate must be True, False or None, got {short_repr(certificate)}")
    if not isinstance(resume, bool):
        raise TypeError(f"resume must be True or False, got {short_repr(resume)}")
    snapshot_every = V.real("snapshot_every", snapshot_every, low=0.0)
    if resume and snapshot is None:
        raise ValueError("resume=True needs snapshot=DIR, the directory holding the snapshot")
    if isinstance(seed, np.random.SeedSequence):
        # a fresh copy: spawning from the caller's object would change it
        seq = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
    else:
        seq = np.random.SeedSequence(V.integer("seed", seed, low=0))
    grid = checkpoint_grid(checkpoints, steps, n_checkpoints)
    tracks_output = optimizer.output != "iterate"
    certificate = tracks_output if certificate is None else bool(certificate)
    if certificate and not tracks_output:
        raise ValueError(f"certificate=True needs an optimizer that outputs an average or EMA; "
                         f"{optimizer.name} outputs its iterate")
    check_noise(problem)
    check_size(replicates, dim, grid.size, len(metric_names(problem, optimizer, running=running,
                                                             certificate=certificate)))
    x0_given = x0 is not None
    x0 = x0_array(problem, x0, replicates, dim)
    if dtype == "float32" and x0.size and np.abs(x0).max() > np.finfo(np.float32).max:
        raise ValueError(f"x0 has entries beyond float32's range (|x| <= {np.finfo(np.float32).max:.4g}); "
                         f"use dtype='float64' or a smaller start")
    engine = choose_engine(engine, problem, optimizer, work=replicates * dim * steps, steps=steps,
                           running=running, certificate=certificate, dtype=dtype)

    n_blocks = -(-replicates // block_size)
    noise_root, opt_root = seq.spawn(2)
    noise_seqs = noise_root.spawn(n_blocks)
    opt_seqs = opt_root.spawn(n_blocks)
    cut = split(workers, replicates=replicates, block_size=block_size,
                rowwise=bool(getattr(problem, "rowwise", False)), work=replicates * dim * steps)
    n_parts, threads = cut.parts, cut.threads
    plan = {"engine": engine, "processes": n_parts, "threads": threads}

    def tasks(start: _engine.Carry | None, stop: int) -> list:
        return [_engine.Task(problem=problem, optimizer=optimizer, steps=steps, grid=grid, running=running,
                             certificate=certificate, block_size=block_size, x0=x0[rows],
                             noise_seqs=noise_seqs[blocks], opt_seqs=opt_seqs[blocks], engine=engine,
                             start=None if start is None else start.take(rows, blocks), stop=stop, dtype=dtype,
                             threads=threads)
                for rows, blocks in cut.spans]

    def run(batch: list) -> list:
        if len(batch) == 1:
            return [_engine.run_task(batch[0])]
        return list(parallel.executor(len(batch)).map(_engine.run_task, batch))

    config = {"running": running, "certificate": certificate, "n_checkpoints": int(grid.size),
              "x0": "given" if x0_given else "problem default",
              "x0_sha256": hashlib.sha256(x0.tobytes()).hexdigest()}
    prov = {"started": utc_now(), "engine": engine, "workers": n_parts, "threads": threads, "dtype": dtype,
            "git": git_state(), "config": config, "sessions": []}
    session = {"from_step": 0, "started": prov["started"], "engine": engine, "workers": n_parts, "threads": threads}
    tell = None if progress is None else (lambda done: progress(done, steps, dict(plan)))
    spent = 0.0           # compute time of earlier sessions (from a snapshot)
    start = time.perf_counter()
    if snapshot is None:
        if tell is not None:
            tell(0)
        parts = run(tasks(None, steps)) if tell is None else \
            run_segments(run, tasks, None, steps, every=snapshot_every, progress=tell)
    else:
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
        if tell is not None:
            tell(0 if carry is None else carry.t)
        parts = run_segments(run, tasks, carry, steps, every=snapshot_every, progress=tell,
                             save=lambda c: _snapshot.save(snapshot, c, fingerprint=fp, steps=steps, provenance={
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
        problem=description, optimizer=optimizer.describe(), seed=seed_record(seq),
        steps=steps, replicates=replicates, block_size=block_size, checkpoints=grid,
        metrics=records, x=x, output_x=output_x,
        diverged=~alive, diverged_step=diverged_step, message=message, elapsed=elapsed,
        constants=json_constants(problem), dtype=dtype, provenance=prov)
