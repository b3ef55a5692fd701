r"""The ``numba`` engine (needs ``pip install 'ratecheck[fast]'``): runs a part with the compiled kernel
of :mod:`ratecheck.sim.compose`, built from the optimizer's own compiled step
(:class:`~ratecheck.optimizers.base.ElementStep`) and the problem's own compiled gradient
(:class:`~ratecheck.problems.base.GradientPiece`, or ``RowGradient`` for a whole row), with the bits of
the NumPy engines.

The kernel runs a chunk of steps for the replicates (rows) r0 .. r1−1 of a block (rows are
independent, so threads may split a block's rows: ``Task.threads``). The random numbers are those of
the NumPy engine (drawn ahead, per block, in a background thread: ``engine.Prefetch``); the step
sizes and other per-step numbers come from the optimizer's ``kernel_scalars``, computed in Python.
The reductions over coordinates of the running metrics (‖∇F‖² and F at the iterate) are left to
NumPy, computed after the kernel on the vectors it stored, then folded step after step into the
running min and sum (of F − F* too: ``min_gap``, and ``avg_gap`` of the regret families) in the NumPy
engine's order; F must then be ``rowwise``. Those of the certificate, needed at every step,
and of clip="global" run in the kernel, as copies of NumPy's own summation orders
(:mod:`ratecheck.sim.reductions`), which are checked against NumPy at first use: where they differ,
such runs go to the NumPy engine. ``math.sin`` is the C library's, as NumPy's is; for small
arguments the kernels evaluate glibc's own algorithm, vectorized (:mod:`ratecheck.sim.libm_sin`).

Supported: every optimizer whose class declares a ``kernel_step`` and every problem whose class
declares a ``kernel_gradient`` (all the built-in ones except those :func:`unsupported` names), with
the (λ,ε) certificate and its time sums for those that output an average or EMA.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from . import engine as _engine
from .chain_math import chain_math_agrees
from .compose import (BOX, CERT, DIM1, FAST_SIN, FP_SIZE, KEEP_X, OPTIMIZER_FLAGS, OUT_ITERATE, OUT_QUERY,
                      RUNNING, SAME_EXACT, SC_SIZE, SCALED, chunk, register)
from .jit import jit, numba
from .libm_sin import SIN_TABLE, sin_agrees
from .reductions import reductions_agree

__all__ = ["unsupported", "reduces_rows", "compiled_step", "compiled_gradient", "run", "TILE_BYTES", "VALUE_BYTES",
           "MIN_THREAD_ROWS", "PIECES_PER_THREAD"]

#: bytes of state a tile of rows may occupy (runs all the steps of a chunk while it stays in cache)
TILE_BYTES = 256 * 1024


def compiled_step(optimizer):
    """The optimizer's ElementStep, if its own class declares one (a subclass that may have changed the
    algorithm does not inherit its parent's), else None."""
    return vars(type(optimizer)).get("kernel_step")


def compiled_gradient(problem):
    """The problem's GradientPiece or RowGradient, if its own class declares one, else None."""
    return vars(type(problem)).get("kernel_gradient")


def reduces_rows(step, optimizer, dim: int) -> bool:
    """Whether the step's per-replicate code (which may sum over coordinates) runs for this configuration."""
    if dim == 1 or not step.row_pre + step.row_post:
        return False
    _, _, flags = optimizer.kernel_fixed(optimizer.init(np.zeros((1, dim))))
    names = {name: bool(flags.get(name, False)) for name in OPTIMIZER_FLAGS}
    return bool(eval(step.row_when, {"__builtins__": {}}, {**names, "dim1": False}))


def unsupported(problem, optimizer, *, running: bool | str, certificate: bool) -> str | None:
    """Why the numba engine does not apply (None when it does)."""
    if numba is None:
        return "numba is not installed (pip install 'ratecheck[fast]')"
    piece = compiled_gradient(problem)
    if piece is None:
        return f"no kernel for problem {getattr(problem, 'name', type(problem).__name__)!r}"
    if piece.uses_sin and numba.config.USING_SVML:  # pragma: no cover - icc_rt installed
        return "numba uses Intel SVML here, whose sin rounds differently from NumPy's"
    if not getattr(problem, "rowwise", False) and running is True:
        return "the running minimum of F − F* of a problem that is not rowwise is computed on all rows at once"
    step = compiled_step(optimizer)
    if step is None:
        return f"no kernel for optimizer {getattr(optimizer, 'name', type(optimizer).__name__)!r}"
    why = optimizer.kernel_unsupported()
    if why:
        return why
    if hasattr(piece, "source") and problem.oracle_kind == "deterministic":
        return "a row gradient (RowGradient) takes no per-step number of an online family"
    if problem.batch_kind() == "row_uniform" and "def roworacle(" not in getattr(piece, "source", ""):
        return "no compiled oracle (roworacle) for the row's uniform draw"
    if getattr(piece, "chain_math", False) and not chain_math_agrees():
        return "the compiled exp or ndtr of the chains (ratecheck.sim.chain_math) does not give NumPy's bits here"
    if (certificate and optimizer.output != "iterate" or reduces_rows(step, optimizer, int(problem.dim))) \
            and not reductions_agree(int(problem.dim)):
        return ("NumPy's einsum or sum reduces in another order here than the kernel's copy of them "
                "(the certificate's norms are computed in the kernel)")
    return None


@jit
def _running_recurrence(run_min, run_sum, gn):
    # run_min = np.minimum(run_min, gn_k); run_sum += gn_k, step after step
    n, rows = gn.shape
    for k in range(n):
        for i in range(rows):
            a = run_min[i]
            b = gn[k, i]
            run_min[i] = a if (a != a or a <= b) else b
            run_sum[i] = run_sum[i] + b
    return 0


@jit
def _min_recurrence(run_min, vals):
    n, rows = vals.shape
    for k in range(n):
        for i in range(rows):
            a = run_min[i]
            b = vals[k, i]
            run_min[i] = a if (a != a or a <= b) else b
    return 0


# ----------------------------------------------------------------------------- driver
_ENTRY: dict = {}


def _call_chunk(*args) -> None:
    """``chunk(*args)``; after the first call of a combination, straight into its compiled code.

    Going through the dispatcher costs milliseconds per call for literal arguments (it retypes
    them); the compiled entry point of the combination costs microseconds.
    """
    key = args[:4]
    entry = _ENTRY.get(key)
    if entry is not None:
        entry(*args)
        return
    chunk(*args)
    for sig, cres in chunk.overloads.items():
        if tuple(getattr(a, "literal_value", None) for a in sig[:4]) == key:
            _ENTRY[key] = cres.entry_point
            break


#: bytes of stored iterates whose values F(x) are computed at once (for the running min F − F*)
VALUE_BYTES = 2 * 2**20
#: fewest rows a thread is handed at a time (below, the hand-over costs more than the rows)
MIN_THREAD_ROWS = 16
#: pieces of a block per thread: the threads take them as they finish, so that a thread slowed
#: down (by the noise thread, which shares the cores) does not keep the others waiting
PIECES_PER_THREAD = 4


def _rows_in_threads(pool, threads: int, args: tuple, w: int, TP, after) -> None:
    """``_call_chunk`` then ``after`` on rows 0 .. w−1 of a block, in pieces shared by ``threads``
    threads of ``pool``."""
    key = args[:4]
    if pool is None or key not in _ENTRY or w < 2 * MIN_THREAD_ROWS:   # the first call compiles
        _call_chunk(*args, 0, w, TP, SIN_TABLE)
        after(0, w)
        return
    n = min(threads * PIECES_PER_THREAD, w // MIN_THREAD_ROWS)
    bounds = [round(i * w / n) for i in range(n + 1)]

    def piece(r0, r1):
        _ENTRY[key](*args, r0, r1, TP, SIN_TABLE)
        after(r0, r1)
    list(pool.map(piece, bounds[:-1], bounds[1:]))


def _after(GX, X, book, sl, running, keep_x, problem, consts, r0, r1) -> None:
    """The reductions over coordinates of rows r0 .. r1−1 of block ``sl`` after a chunk (NumPy's:
    their summation order is NumPy's; a row's sum does not depend on the rows around it)."""
    rows = slice(sl.start + r0, sl.start + r1)
    if running:
        G = GX[:, r0:r1]
        _running_recurrence(book.run_min[rows], book.run_sum[rows], np.einsum("kij,kij->ki", G, G))
        if keep_x:   # rowwise problems only (see unsupported); VALUE_BYTES of X at a time, so that
            n, w, dim = X[:, r0:r1].shape      # the copies and temporaries do not grow with the chunk
            step = max(1, VALUE_BYTES // (8 * w * dim))
            for a in range(0, n, step):
                b = min(n, a + step)
                vals = problem.value(X[a:b, r0:r1].reshape((b - a) * w, dim)).reshape(b - a, w)
                if book.run_sum_gap is None:
                    _min_recurrence(book.run_min_gap[rows], vals - consts["f_star"])
                else:    # regret families: avg_gap's sum Σ (F(x_s) − F*), step after step as Book.running_step
                    _running_recurrence(book.run_min_gap[rows], book.run_sum_gap[rows], vals - consts["f_star"])


def _flat(n_max: int, rows: int, dim: int, on: bool):
    """A buffer for up to n_max steps of ``rows`` rows, viewed per block as (n, rows_b, dim)."""
    return np.empty(n_max * rows * dim) if on else None


def _view(flat, n: int, w: int, dim: int, dummy):
    return dummy if flat is None else flat[:n * w * dim].reshape(n, w, dim)


def run(task: _engine.Task):
    """The numba engine for one part (the same bits as the reference engine).

    The kernel runs block by block (each block's random numbers sit in their own buffer, as drawn),
    a chunk of steps at a time, stopping at checkpoints; a segment (``task.start``, ``task.stop``)
    runs its own steps only (see :mod:`ratecheck.sim.engine`).
    """
    problem, optimizer, grid = task.problem, task.optimizer, task.grid
    kind = problem.batch_kind()
    step, piece = compiled_step(optimizer), compiled_gradient(problem)
    okey, gkey = register(step, piece)
    P, gc0, gc1 = problem.kernel_parameters()
    state, output, book, project, slices = _engine.setup(task)
    draws = any(name == "S" for name, _ in step.uses)
    method = _engine.served_draws(optimizer) if draws else None
    two_point = problem.two_point_law() if kind == "random" else None
    prefetch = _engine.Prefetch(task, kind, method, slices, raw=two_point is not None)
    rows, dim = task.x0.shape
    (A0, A1, A2, Z), fp, oflags = optimizer.kernel_fixed(state)
    FP = np.zeros(FP_SIZE)
    FP[:len(fp)] = fp
    oflags = sum(OPTIMIZER_FLAGS[name] for name, on in oflags.items() if on)
    rkind = 3 if two_point is not None else {"exact": 0, "additive": 1, "random": 2, "row_uniform": 4}[kind]
    TP = np.array(two_point, dtype=float) if two_point is not None else np.zeros(3)
    online = problem.oracle_kind == "deterministic"
    same_exact = not online
    scaled = problem.scales is not None
    s = problem.scales if scaled else np.ones(1)
    box = problem.domain if project is not None else None
    lo, hi = (np.ascontiguousarray(box[0], dtype=float), np.ascontiguousarray(box[1], dtype=float)) \
        if box is not None else (np.zeros(1), np.zeros(1))
    consts = book.consts
    keep_x = task.running is True and consts["f_star"] is not None
    out_kind = 0 if output is None else (2 if optimizer.output_source == "query" else 1)
    cert = output is not None and task.certificate
    width = max(sl.stop - sl.start for sl in slices)
    GXf = _flat(prefetch.k, width, dim, bool(task.running))
    Xf = _flat(prefetch.k, width, dim, keep_x)
    dummy2, dummy3 = np.zeros((1, 1)), np.zeros((1, 1, 1))
    mean = output.mean if output is not None else None
    gbar = output.gbar if cert else None
    # the certificate's per-replicate accumulators, as the kernel's CS rows: the spread, then the time sums
    cert_rows = [output.spread] + [output.sums[key] for key in output.SUMS] if cert else []
    tile = max(1, TILE_BYTES // (8 * dim * 6))      # rows whose x, m, v, ... fit in the tile
    flags = int(oflags | RUNNING * bool(task.running) | KEEP_X * keep_x | BOX * (box is not None) | SCALED * scaled
                | SAME_EXACT * same_exact | CERT * cert | OUT_ITERATE * (out_kind == 1) | OUT_QUERY * (out_kind == 2)
                | DIM1 * (dim == 1 and not hasattr(piece, "source")) | FAST_SIN * (piece.uses_sin and sin_agrees()))

    def rows_of(a, sl):
        return dummy2 if a is None or a.shape[0] != rows else a[sl]

    t = task.first + 1                      # the next step
    next_k = 0 if task.start is None else task.start.next_k
    # rows are independent: threads may split a block's rows without changing a bit
    pool = ThreadPoolExecutor(task.threads, thread_name_prefix="ratecheck-rows") \
        if task.threads > 1 and rows >= 2 * MIN_THREAD_ROWS else None
    chunks = prefetch.chunks()
    try:
        for n_chunk, blocks in chunks:
            k0 = 0
            while k0 < n_chunk:
                n = min(n_chunk - k0, int(grid[next_k]) - t + 1) if next_k < grid.size else n_chunk - k0
                SC = np.zeros((n, SC_SIZE))
                sc = optimizer.kernel_scalars(t, n)
                SC[:, :sc.shape[1]] = sc
                ec0 = np.array([problem.gradient_at(t + k) for k in range(n)]) if online else np.full(n, gc0)
                AW = np.array([optimizer.output_weight(t + k) for k in range(n)]) if out_kind else np.zeros(1)
                for sl, (R, S) in zip(slices, blocks):
                    w = sl.stop - sl.start
                    GX, X = (_view(f, n, w, dim, dummy3) for f in (GXf, Xf))
                    CS = np.stack([a[sl] for a in cert_rows]) if cert else dummy2
                    args = (okey, gkey, rkind, flags, t, n, state.x[sl], rows_of(A0, sl), rows_of(A1, sl),
                            rows_of(A2, sl), rows_of(Z, sl), FP, SC, R[k0:k0 + n] if R is not None else dummy3,
                            S[k0:k0 + n] if S is not None else dummy3, P, gc0, gc1, ec0, s, lo, hi, GX, X,
                            rows_of(mean, sl), rows_of(gbar, sl), CS, AW, book.alive[sl],
                            book.diverged_step[sl], tile)
                    _rows_in_threads(pool, task.threads, args, w, TP, partial(
                        _after, GX, X, book, sl, task.running, keep_x, problem, consts))
                    for a, c in zip(cert_rows, CS):
                        a[sl] = c
                    if S is not None and step.last_draw:     # the optimizer keeps its last draw
                        getattr(state, step.last_draw)[sl] = S[k0 + n - 1]
                state.t += n
                t += n
                k0 += n
                if next_k < grid.size and t - 1 == grid[next_k]:
                    book.record(next_k, t - 1, state.x, output)
                    next_k += 1
    finally:
        chunks.close()
        if pool is not None:
            pool.shutdown()
    return _engine.finish(task, t - 1, next_k, state, output, book, prefetch.all_noise_gens, prefetch.all_opt_gens)


_engine.RUNNERS["numba"] = run
