r"""Compiled kernels for the ``numba`` engine (private; needs ``pip install 'ratecheck[fast]'``).

One kernel, :func:`_chunk`, runs a chunk of steps of a supported (problem, optimizer) pair for
the replicates (rows) r0 .. r1−1 of a block (rows are independent, so threads may split a block's
rows: ``Task.threads``): for each replicate, for each step, for each coordinate, it does the
floating-point operations that the NumPy code does, element by element and in the same order
(IEEE arithmetic and ``sqrt`` are correctly rounded, so the same operations on the same inputs
give the same bits; ``math.sin`` is the C library's, as NumPy's is on the platforms tested by
``tests/test_fast_paths.py``; for |x| < 0.85546875 the kernels of ``cosine_well`` and
``nonsmooth_well`` evaluate glibc's own sin algorithm, vectorized, when :func:`sin_agrees`). The random numbers are those of the NumPy engine (drawn ahead,
per block, in a background thread), the step sizes and bias corrections come from the
optimizers' own ``_step_scalars``/``output_weight``, computed in Python. The reductions over
coordinates of the running metrics (‖∇F‖² at the iterate) are left to NumPy, computed after the
kernel on the vectors it stored. Those of the certificate, needed at every step (the spread, ‖gbar‖₂,
‖gbar‖₁, ‖∇F(output)‖₂ for the time sums), and of clip="global" (‖u‖², ‖g‖²) run in the kernel,
as copies of NumPy's own summation orders (``_sqsum``: einsum's baseline kernel; ``_l1``: the
pairwise sum), which :func:`reductions_agree` checks against NumPy at first use: where they differ,
such runs go to the NumPy engine.

Supported: problems ``quadratic``, ``cosine_well``, ``nonsmooth_well``, ``l1``, ``drori_teboulle``,
``adopt_toy``, ``reddi_stochastic``, ``reddi_online`` (with ``scales``; noise ``none``,
``gaussian``, ``student_t``, ``rademacher``, ``uniform``, ``sparse``), optimizers ``adam``,
``amsgrad``, ``adam_ema``, ``adopt``, ``clipped_adam_ema`` (both scalings, both clips) and ``sgd``,
with the (λ,ε) certificate and its time sums for those that output an average or EMA.
Anything else runs on the NumPy engine.
"""
from __future__ import annotations

import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from . import engine as _engine

try:  # numba is optional: the NumPy engines are the reference
    # SVML's vectorized sin would round differently from the C library's, which NumPy uses; this
    # only takes effect if numba is not imported yet (else the sin kernels are refused, see unsupported)
    os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")
    import numba
except ImportError:  # pragma: no cover - depends on the installation
    numba = None

TINY = np.finfo(np.float64).tiny
NAN = float("nan")

# problem gradient codes
QUAD, COS, NONSMOOTH, L1, DRORI, CONST = range(6)
# optimizer codes
ADAM, ADOPT, CLIPPED, SGD = range(4)
#: bytes of state a tile of rows may occupy (runs all the steps of a chunk while it stays in cache)
TILE_BYTES = 256 * 1024
# flags (one compiled variant per combination in use)
RUNNING, KEEP_X, BOX, SCALED, SAME_EXACT, CERT, OUT_ITERATE, OUT_QUERY = (1 << b for b in range(8))
O1, O2, O3, O4, O5 = (1 << b for b in range(8, 13))      # optimizer-specific, see _make_steps
DIM1 = 1 << 13
FAST_SIN = 1 << 14       # split kernels: sin by _sin_taylor where it applies (see sin_agrees)


def _problem_code(problem):
    """(code, P (2, dim), c0, c1) of the problem's exact gradient ``_grad``; None if unsupported."""
    from ..problems import _REGISTRY
    cls = type(problem)
    if cls not in _REGISTRY.values():
        return None
    name, d = problem.name, problem.dim
    P = np.zeros((2, d))
    if name == "quadratic":
        P[0], P[1] = problem.center, problem._h
        return QUAD, P, 0.0, 0.0
    if name == "cosine_well":
        return COS, P, float(problem.b), float(problem.a * problem.b)
    if name == "nonsmooth_well":
        return NONSMOOTH, P, float(problem.b), float(problem.a * problem.b)
    if name == "l1":
        P[0], P[1] = problem.center, problem.weights
        return L1, P, 0.0, 0.0
    if name == "drori_teboulle":
        return DRORI, P, float(problem.delta), float(problem.L)
    if name == "adopt_toy":
        return CONST, P, 1.0, 0.0                        # np.ones
    if name == "reddi_stochastic":
        return CONST, P, float(problem.delta), 0.0
    if name == "reddi_online":
        return CONST, P, (problem.C - 2.0) / 3.0, 0.0
    return None


def _optimizer_code(optimizer):
    from ..optimizers import _REGISTRY
    name = optimizer.name
    if type(optimizer) not in _REGISTRY.values():
        return None
    if getattr(optimizer, "weight_decay", 0.0) != 0.0:
        return None  # no weight decay in the kernel: the NumPy engine runs it (same bits as the reference)
    if name in ("adam", "amsgrad", "adam_ema"):
        return ADAM
    if name == "adopt":
        return ADOPT
    if name == "clipped_adam_ema":
        return CLIPPED
    if name == "sgd":
        return SGD
    return None


def unsupported(problem, optimizer, *, running: bool, certificate: bool) -> str | None:
    """Why the numba engine does not apply (None when it does)."""
    if numba is None:
        return "numba is not installed (pip install 'ratecheck[fast]')"
    code = _problem_code(problem)
    if code is None:
        return f"no kernel for problem {getattr(problem, 'name', type(problem).__name__)!r}"
    if code[0] in (COS, NONSMOOTH) and numba.config.USING_SVML:  # pragma: no cover - icc_rt installed
        return "numba uses Intel SVML here, whose sin rounds differently from NumPy's"
    if running and getattr(problem, "regret", False):
        return "the kernel does not record avg_gap (the running average of F − F*)"
    if not getattr(problem, "rowwise", False) and running:
        return "the running minimum of F − F* of a problem that is not rowwise is computed on all rows at once"
    if _optimizer_code(optimizer) is None:
        return f"no kernel for optimizer {optimizer.name!r}" + (
            " with weight decay" if getattr(optimizer, "weight_decay", 0.0) != 0.0 else "")
    if (certificate and optimizer.output != "iterate" or getattr(optimizer, "clip", None) == "global") \
            and not reductions_agree(int(problem.dim)):
        return ("NumPy's einsum or sum reduces in another order here than the kernel's copy of them "
                "(the certificate's norms are computed in the kernel)")
    return None


# --------------------------------------------------------------------------- the kernel
if numba is not None:
    _jit = numba.njit(cache=True, nogil=True, error_model="numpy")
    _inline = numba.njit(inline="always", error_model="numpy")
    literally = numba.literally
else:  # pragma: no cover
    def _jit(f):
        return f
    _inline = _jit

    def literally(v):
        return v


@_inline
def _max(a, b):
    # np.maximum: NaN if either is NaN (a select, no branch, so loops vectorize)
    return a if (a >= b) | (a != a) else b


@_inline
def _clip(x, lo, hi):
    # np.clip (numpy/_core/src/umath/clip.cpp): m = isnan(x) ? x : (x > lo ? x : lo), then
    # isnan(m) ? m : (m < hi ? m : hi)
    m = x if (x > lo) | (x != x) else lo
    return m if (m < hi) | (m != m) else hi


@_inline
def _sign(x):
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    if x == 0.0:
        return 0.0
    return x


@_inline
def _g(code, z, p0, p1, c0, c1):
    """The family's unscaled ``_grad`` at z (coordinate parameters p0, p1), as its NumPy code does it."""
    if code == QUAD:
        return (z - p0) * p1
    if code == COS:
        return math.sin(z * c0) * c1 + z
    if code == NONSMOOTH:
        return math.sin(z * c0) * c1 + _sign(z)
    if code == L1:
        return _sign(z - p0) * p1
    if code == DRORI:
        return _clip(z, -c0, c0) * c1
    return c0


@_inline
def _grad(code, x, p0, p1, c0, c1, scaled, sj):
    # scalars only: an array passed to an inlined function costs a reference count per call
    if scaled:
        return _g(code, x * sj, p0, p1, c0, c1) * sj
    return _g(code, x, p0, p1, c0, c1)


# ---- sin in the range where the C library computes it by a polynomial, vectorizable
#: glibc's ``__sin`` (sysdeps/ieee754/dbl-64/s_sin.c) returns x for |x| < 2^-26 and, for
#: 2^-26 ≤ |x| < 0.126, TAYLOR_SIN: x + ((P(x²)·x − 0.5·0)·x² + 0) with P the degree-4 polynomial of
#: these coefficients (usncs.h). On x86-64 with FMA and AVX2 it runs the ``__sin_fma`` build, whose
#: machine code (objdump of libm 2.36) evaluates it as five fused multiply-adds for P (Horner), then
#: t = fma(x², fma(P, x, −0), 0) and x + t. :func:`_sin_taylor` does exactly those operations;
#: :func:`sin_agrees` checks it against ``math.sin`` and ``np.sin`` at first use, and the kernels use it
#: only where it agrees, calling the C library's ``sin`` for every other argument.
SIN_S5, SIN_S4, SIN_S3 = -2.5022014848318398e-08, 2.755729806860771e-06, -0.00019841269834414642
SIN_S2, SIN_S1 = 0.008333333333332329, -0.16666666666666666
SIN_TAYLOR_MAX = 0.126
SIN_TINY = 2.0 ** -26

if numba is not None:
    from llvmlite import ir as _ir
    from numba.core import cgutils as _cgutils
    from numba.core import types as _types

    @numba.extending.intrinsic
    def _fma(typingctx, a, b, c):
        """a·b + c with one rounding (LLVM's llvm.fma.f64: the FMA instruction, or libm's fma)."""
        sig = _types.float64(_types.float64, _types.float64, _types.float64)

        def codegen(context, builder, signature, args):
            fnty = _ir.FunctionType(_ir.DoubleType(), [_ir.DoubleType()] * 3)
            return builder.call(_cgutils.get_or_insert_function(builder.module, fnty, "llvm.fma.f64"), args)
        return sig, codegen
else:  # pragma: no cover
    def _fma(a, b, c):
        return a * b + c


@_inline
def _sin_taylor(v):
    """glibc's sin(v) for |v| < 0.126 (any value beyond: see :func:`_far`)."""
    xx = v * v
    p = _fma(_fma(_fma(_fma(SIN_S5, xx, SIN_S4), xx, SIN_S3), xx, SIN_S2), xx, SIN_S1)
    r = v + _fma(xx, _fma(p, v, -0.0), 0.0)
    return r if abs(v) >= SIN_TINY else v


#: do_sin of s_sin.c, for 0.126 ≤ |x| < 0.85546875 (below 0x3feb6000 in the high word): |x| split
#: at the nearest multiple of 1/128 (through ``big``), a polynomial of the rest, and glibc's table
#: ``__sincostab`` (sin, its correction, cos, its correction at k/128), combined with the FMAs of
#: the ``__sin_fma`` build: s = x + fma(x·x², fma(sn5, x², sn3), dx), c = fma(x, dx, x²·Q(x²)),
#: cor = fma(s, cs, fma(−c, sn, fma(s, ccs, ssn))), copysign(sn + cor, x), dx = −0 if x ≤ 0 else 0.
#: The table is read from the process's libm (:func:`_libm_sincostab`; some of its corrections
#: differ by an ulp from exactly rounded ones, so it cannot be recomputed).
SIN_TABLE_MAX = 0.85546875
SIN_SN5, SIN_SN3 = 0.008333332142857223, -0.16666666666666488
SIN_CS6, SIN_CS4, SIN_CS2 = 0.001388888740079376, -0.04166666666666644, 0.5
SIN_BIG = 52776558133248.0


@_inline
def _sin_table(v, T):
    a = abs(v)
    dx = -0.0 if v <= 0.0 else 0.0
    ub = (SIN_BIG + a) - SIN_BIG
    k = int(ub * 128.0) * 4
    k = min(max(k, 0), T.size - 4)      # arguments outside the range (recomputed later) stay in the table
    x = a - ub
    xx = x * x
    s = x + _fma(x * xx, _fma(SIN_SN5, xx, SIN_SN3), dx)
    c = _fma(x, dx, xx * _fma(_fma(SIN_CS6, xx, SIN_CS4), xx, SIN_CS2))
    cor = _fma(s, T[k + 2], _fma(-c, T[k], _fma(s, T[k + 3], T[k + 1])))
    return math.copysign(T[k] + cor, v)


@_inline
def _sin_any(v, T):
    """glibc's sin(v): the polynomial, the table, or (|v| ≥ 0.85546875, NaN) the C library's sin."""
    if abs(v) < SIN_TAYLOR_MAX:
        return _sin_taylor(v)
    if abs(v) < SIN_TABLE_MAX:
        return _sin_table(v, T)
    return math.sin(v)


@_inline
def _gt(code, z, p0, p1, c0, c1):
    """``_g`` with ``_sin_taylor`` for sin (vectorizes): right where ``_far`` is False."""
    if code == COS:
        return _sin_taylor(z * c0) * c1 + z
    if code == NONSMOOTH:
        return _sin_taylor(z * c0) * c1 + _sign(z)
    return _g(code, z, p0, p1, c0, c1)


@_inline
def _gradt(code, x, p0, p1, c0, c1, scaled, sj):
    if scaled:
        return _gt(code, x * sj, p0, p1, c0, c1) * sj
    return _gt(code, x, p0, p1, c0, c1)


@_inline
def _gf(code, z, p0, p1, c0, c1, T):
    """``_g`` with ``_sin_any`` for sin: right everywhere (the second pass over far arguments)."""
    if code == COS:
        return _sin_any(z * c0, T) * c1 + z
    if code == NONSMOOTH:
        return _sin_any(z * c0, T) * c1 + _sign(z)
    return _g(code, z, p0, p1, c0, c1)


@_inline
def _gradf(code, x, p0, p1, c0, c1, scaled, sj, T):
    if scaled:
        return _gf(code, x * sj, p0, p1, c0, c1, T) * sj
    return _gf(code, x, p0, p1, c0, c1, T)


@_inline
def _far(x, c0, scaled, sj):
    """Whether the argument of sin in ``_grad`` at x lies outside ``_sin_taylor``'s range (or is NaN)."""
    z = x * sj if scaled else x
    return not (abs(z * c0) < SIN_TAYLOR_MAX)


def _libm_sincostab():
    """glibc's ``__sincostab`` (440 numbers) from the libm this process has loaded, or None."""
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "/libm.so" in line or "/libm-" in line}
        if len(paths) != 1:
            return None
        with open(paths.pop(), "rb") as fh:
            data = fh.read()
    except (OSError, IndexError):  # pragma: no cover - not Linux
        return None
    head = np.array([0.0, 0.0, 1.0, 0.0]).tobytes()     # k = 0: sin 0, 0, cos 0, 0
    pos = data.find(head)
    while pos >= 0:
        if pos % 8 == 0 and pos + 440 * 8 <= len(data):
            T = np.frombuffer(data, dtype="<f8", count=440, offset=pos).astype(np.float64)
            k = np.arange(110) / 128.0
            if np.allclose(T[0::4], np.sin(k), rtol=1e-15, atol=0.0) and \
                    np.allclose(T[2::4], np.cos(k), rtol=1e-15, atol=0.0) and np.all(np.abs(T[1::4]) < 1e-15):
                return T
        pos = data.find(head, pos + 1)
    return None


#: the table in the kernels' calls (zeros when not found: then sin_agrees() is False)
_SIN_TABLE = np.zeros(440)


@_jit
def _sin_pair(a, T):
    out = np.empty((2, a.size))
    for j in range(a.size):
        out[0, j] = _sin_any(a[j], T)
        out[1, j] = math.sin(a[j])
    return out


_SIN: dict = {}


def sin_agrees() -> bool:
    """Whether :func:`_sin_any` gives the C library's and NumPy's sin, bit for bit, on 3·10⁶ arguments
    below 0.85546875 in magnitude (magnitudes spread over 2^-40 .. 0.126 and uniform over 0.126 ..
    0.85546875, both signs, every boundary, the table's rounding points k/128 ± 1/256)."""
    if "ok" not in _SIN:
        T = _libm_sincostab()
        if T is None:
            _SIN["ok"] = False
            return False
        _SIN_TABLE[:] = T
        rng = np.random.default_rng(2026)
        a = np.concatenate([np.exp(rng.uniform(np.log(2.0 ** -40), np.log(SIN_TAYLOR_MAX), 2 * 10**6)),
                            rng.uniform(SIN_TAYLOR_MAX, SIN_TABLE_MAX, 10**6), rng.uniform(0.8, 5.0, 10**4),
                            ((np.arange(16, 110) + 0.5) / 128.0 + rng.uniform(-1e-12, 1e-12, (1000, 94))).ravel()])
        a[:1000] = np.nextafter(SIN_TAYLOR_MAX, 0.0) * (1.0 - rng.uniform(0.0, 1e-9, 1000))
        a[1000:2000] = SIN_TINY * (1.0 + rng.uniform(-1e-9, 1e-9, 1000))
        a[2000:3000] = SIN_TAYLOR_MAX * (1.0 + rng.uniform(0.0, 1e-9, 1000))
        a[3000:4000] = np.nextafter(SIN_TABLE_MAX, 0.0) * (1.0 - rng.uniform(0.0, 1e-9, 1000))
        a[4000:4012] = [0.0, SIN_TINY, np.nextafter(SIN_TINY, 0.0), 1e-300, 5e-324, 0.1, 0.125, 0.0625, 1e-8,
                        1e-4, SIN_TAYLOR_MAX, 0.5]
        a[::2] *= -1.0
        mine, libm = _sin_pair(a, _SIN_TABLE)
        _SIN["ok"] = bool(np.array_equal(mine.view(np.uint64), libm.view(np.uint64))
                          and np.array_equal(mine.view(np.uint64), np.sin(a).view(np.uint64)))
    return _SIN["ok"]


@_jit
def _sqsum(a, n):
    """``np.einsum("ij,ij->i", a, a)`` of one row a[:n], in NumPy's order: its baseline (SSE2) kernel
    ``sum_of_products_contig_contig_outstride0_two`` keeps two lanes and takes eight numbers a turn,
    lane l ← a[l]² + (a[l+2]² + (a[l+4]² + (a[l+6]² + lane l))) (separate multiply and add: the
    baseline has no FMA), then the rest two at a time (the missing one zero), then 0 + (lane 0 + lane 1)."""
    acc0 = 0.0
    acc1 = 0.0
    j = 0
    while j + 8 <= n:
        acc0 = a[j] * a[j] + (a[j + 2] * a[j + 2] + (a[j + 4] * a[j + 4] + (a[j + 6] * a[j + 6] + acc0)))
        acc1 = a[j + 1] * a[j + 1] + (a[j + 3] * a[j + 3] + (a[j + 5] * a[j + 5] + (a[j + 7] * a[j + 7] + acc1)))
        j += 8
    while j < n:
        acc0 = a[j] * a[j] + acc0
        if j + 1 < n:
            acc1 = a[j + 1] * a[j + 1] + acc1
        else:
            acc1 = 0.0 + acc1
        j += 2
    return 0.0 + (acc0 + acc1)


@_jit
def _cert_sums(d, g, q, n):
    """(``_sqsum(d)``, ``_sqsum(g)``, ``_l1(g)``, ``_sqsum(q)``) of rows of n numbers, in one pass: each
    sum keeps its own order (the same bits as the four calls), but their dependency chains overlap.
    n ≤ 128 (one block of the pairwise sum); see ``_cert_row`` for any n."""
    d0 = d1 = g0 = g1 = q0 = q1 = 0.0
    j = 0
    while j + 8 <= n:
        d0 = d[j] * d[j] + (d[j + 2] * d[j + 2] + (d[j + 4] * d[j + 4] + (d[j + 6] * d[j + 6] + d0)))
        d1 = d[j + 1] * d[j + 1] + (d[j + 3] * d[j + 3] + (d[j + 5] * d[j + 5] + (d[j + 7] * d[j + 7] + d1)))
        g0 = g[j] * g[j] + (g[j + 2] * g[j + 2] + (g[j + 4] * g[j + 4] + (g[j + 6] * g[j + 6] + g0)))
        g1 = g[j + 1] * g[j + 1] + (g[j + 3] * g[j + 3] + (g[j + 5] * g[j + 5] + (g[j + 7] * g[j + 7] + g1)))
        q0 = q[j] * q[j] + (q[j + 2] * q[j + 2] + (q[j + 4] * q[j + 4] + (q[j + 6] * q[j + 6] + q0)))
        q1 = q[j + 1] * q[j + 1] + (q[j + 3] * q[j + 3] + (q[j + 5] * q[j + 5] + (q[j + 7] * q[j + 7] + q1)))
        j += 8
    while j < n:
        d0 = d[j] * d[j] + d0
        g0 = g[j] * g[j] + g0
        q0 = q[j] * q[j] + q0
        if j + 1 < n:
            d1 = d[j + 1] * d[j + 1] + d1
            g1 = g[j + 1] * g[j + 1] + g1
            q1 = q[j + 1] * q[j + 1] + q1
        else:
            d1 = 0.0 + d1
            g1 = 0.0 + g1
            q1 = 0.0 + q1
        j += 2
    return 0.0 + (d0 + d1), 0.0 + (g0 + g1), 0.0 + _pairwise_leaf(g, 0, n), 0.0 + (q0 + q1)


@_jit
def _cert_row(d, g, q, n):
    if n <= 128:
        return _cert_sums(d, g, q, n)
    return _sqsum(d, n), _sqsum(g, n), _l1(g, n), _sqsum(q, n)


@_jit
def _pairwise_leaf(a, lo, n):
    """NumPy's pairwise sum (``DOUBLE_pairwise_sum``, loops_utils.h) of |a[lo:lo+n]| for n ≤ 128:
    plain below 8 numbers, else eight running sums combined as a tree, then the rest in order."""
    if n < 8:
        res = 0.0
        for j in range(lo, lo + n):
            res += abs(a[j])
        return res
    r0, r1, r2, r3 = abs(a[lo]), abs(a[lo + 1]), abs(a[lo + 2]), abs(a[lo + 3])
    r4, r5, r6, r7 = abs(a[lo + 4]), abs(a[lo + 5]), abs(a[lo + 6]), abs(a[lo + 7])
    j = 8
    while j < n - n % 8:
        b = lo + j
        r0 += abs(a[b])
        r1 += abs(a[b + 1])
        r2 += abs(a[b + 2])
        r3 += abs(a[b + 3])
        r4 += abs(a[b + 4])
        r5 += abs(a[b + 5])
        r6 += abs(a[b + 6])
        r7 += abs(a[b + 7])
        j += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while j < n:
        res += abs(a[lo + j])
        j += 1
    return res


@_jit
def _pairwise_abs(a, lo, n):
    """NumPy's pairwise sum of |a[lo:lo+n]|: above 128 numbers, the sum of the two halves (the first
    half a multiple of 8), recursively. The recursion runs on an explicit stack (numba's cache does
    not load recursive functions safely)."""
    if n <= 128:
        return _pairwise_leaf(a, lo, n)
    s_lo = np.empty(128, np.int64)
    s_n = np.empty(128, np.int64)
    s_state = np.zeros(128, np.int64)
    vals = np.empty(128)
    sp = 1
    vp = 0
    s_lo[0] = lo
    s_n[0] = n
    while sp > 0:
        top = sp - 1
        m = s_n[top]
        if m <= 128:
            vals[vp] = _pairwise_leaf(a, s_lo[top], m)
            vp += 1
            sp -= 1
            continue
        n2 = m // 2
        n2 -= n2 % 8
        state = s_state[top]
        if state == 2:                  # both halves done: left + right
            vals[vp - 2] = vals[vp - 2] + vals[vp - 1]
            vp -= 1
            sp -= 1
            continue
        s_state[top] = state + 1
        s_lo[sp] = s_lo[top] if state == 0 else s_lo[top] + n2
        s_n[sp] = n2 if state == 0 else m - n2
        s_state[sp] = 0
        sp += 1
    return vals[0]


@_jit
def _l1(a, n):
    """``np.abs(a).sum(axis=1)`` of one row a[:n]: the identity 0 plus NumPy's pairwise sum."""
    return 0.0 + _pairwise_abs(a, 0, n)


@_jit
def _rows_sqsum_l1(A):
    """(``_sqsum``, ``_l1``) of each row of A, shape (2, rows)."""
    rows, n = A.shape
    out = np.empty((2, rows))
    for i in range(rows):
        out[0, i] = _sqsum(A[i], n)
        out[1, i] = _l1(A[i], n)
    return out


@_jit
def _rows_cert(D, G, Q):
    """``_cert_row`` of each row of D, G, Q, shape (4, rows)."""
    rows, n = D.shape
    out = np.empty((4, rows))
    for i in range(rows):
        out[0, i], out[1, i], out[2, i], out[3, i] = _cert_row(D[i], G[i], Q[i], n)
    return out


_AGREE: dict = {}


def reductions_agree(dim: int) -> bool:
    """Whether the kernel's copies of ``np.einsum("ij,ij->i")`` and ``np.abs(.).sum(axis=1)`` give
    NumPy's bits here, for rows of ``dim`` numbers and of every length up to 160 (checked once per
    dim on random rows with magnitudes over many decades, zeros, infinities and NaNs)."""
    if dim not in _AGREE:
        rng = np.random.default_rng(dim)
        ok = True
        for n in sorted(set(range(1, 161)) | {dim}):
            A = rng.standard_normal((7, n)) * np.exp(3.0 * rng.standard_normal((7, n)))
            A[1, ::3] = 0.0
            A[2, -1] = np.inf
            A[3, 0] = np.nan
            A[4] *= 1e-160
            mine = _rows_sqsum_l1(A)
            sq, l1 = np.einsum("ij,ij->i", A, A), np.abs(A).sum(axis=1)
            ok = ok and np.array_equal(mine[0], sq, equal_nan=True) and np.array_equal(mine[1], l1, equal_nan=True)
            B, C = A[::-1].copy(), A[:, ::-1].copy()
            fused = _rows_cert(B, A, C)
            ok = ok and np.array_equal(fused[0], sq[::-1], equal_nan=True) \
                and np.array_equal(fused[1], sq, equal_nan=True) and np.array_equal(fused[2], l1, equal_nan=True) \
                and np.array_equal(fused[3], np.einsum("ij,ij->i", C, C), equal_nan=True)
        _AGREE[dim] = ok
    return _AGREE[dim]


def _steps(okind, gcode, rkind, flags, t0, n, x, A0, A1, A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s, lo, hi,
           GX, X, mean, gbar, CS, AW, alive, dstep, tile, r0, r1, TP, ST):  # pragma: no cover - see _overload_steps
    raise NotImplementedError("compiled only, through _chunk")


@_jit
def _chunk(okind, gcode, rkind, flags, t0, n, x, A0, A1, A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s,
           lo, hi, GX, X, mean, gbar, CS, AW, alive, dstep, tile, r0, r1, TP, ST):
    # the codes and flags become compile-time constants: each combination is compiled (and cached)
    # once, with its dead branches removed, which makes it about ten times faster
    return _steps(literally(okind), literally(gcode), literally(rkind), literally(flags), t0, n, x, A0, A1,
                  A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s, lo, hi, GX, X, mean, gbar, CS, AW, alive, dstep,
                  tile, r0, r1, TP, ST)


def _overload_steps(okind, gcode, rkind, flags, t0, n, x, A0, A1, A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s,
                    lo, hi, GX, X, mean, gbar, CS, AW, alive, dstep, tile, r0, r1, TP, ST):
    from numba.core import types
    if not all(isinstance(a, types.IntegerLiteral) for a in (okind, gcode, rkind, flags)):
        return None
    return _make_steps(okind.literal_value, gcode.literal_value, rkind.literal_value, flags.literal_value)


#: one coordinate j of replicate i at step k (with ek, p0, p1, sj, loj, hij set); pasted into both
#: loop nests of ``_STEPS_SRC`` (an inlined function would cost a reference count per call). The
#: ``#@`` lines cut it into four sections (query point; exact gradients; update and output; the
#: gradient at the new output point), which run as one loop over the coordinates, or as four
#: (see ``_make_steps``, *split*). DF and GM are scratch rows (of the tile's rows when dim is 1) that
#: the certificate's reductions read after the loops (``_CERT_DIM``, ``_CERT_DIM1``)
_ELEM_SRC = """
xi = x[i, j]
# ---- query point
y = xi
delta = 0.0
if is_clipped:                          # z = -clip_D(lr D m / sqrt(v)), y = x + alpha z
    if o2 and dim1:                     # global clip, one coordinate: u min(1, D/|u|), |u| = sqrt(u²)
        den = _max(math.sqrt(A1[i, j]), TINY)
        u = (A0[i, j] / den) * sc0
        delta = u * (fp4 / _max(math.sqrt(u * u), fp4))
    elif o2:                            # global clip: u = lr D m/sqrt(v) and sg from _PRE_GLOBAL
        delta = Z[i, j] * sg
    else:
        den = _max(math.sqrt(A1[i, j]), TINY)
        delta = _clip((A0[i, j] / den) * sc0, -fp4, fp4)
    Z[i, j] = delta
    y = delta * S[k, i, 0] + xi
    if box:
        y = _clip(y, loj, hij)
    A2[i, j] = y
#@grad ---- exact gradients at x (running metrics) and at y
gx = 0.0
if running:
    gx = _grad(gcode_, xi, p0, p1, gc0, gc1, scaled, sj)
    GX[k, i, j] = gx
    if keep_x:
        X[k, i, j] = xi
ge = 0.0
if not (r_random or r_two_point):
    if reuse_gx:
        ge = gx
    else:
        ge = _grad(gcode_, y, p0, p1, ek, gc1, scaled, sj)
#@update ---- stochastic gradient at y
if r_random:
    g = R[k, i, j]
elif r_two_point:                       # two-point oracle from the uniform draw u
    g = tp1 if R[k, i, j] < tp0 else tp2
    if scaled:
        g = g * sj
else:
    g = ge
    if r_additive:
        g = g + R[k, i, j]
# ---- update
if is_adam:                             # o1 amsgrad, o2 torch, o3 eps > 0, o4 w1 < 0.5
    m = A0[i, j]
    d = g - m
    if o4:
        m = m + d * fp0
    else:
        m = g - d * fp1
    A0[i, j] = m
    v = A1[i, j] * fp2 + (g * fp3) * g
    A1[i, j] = v
    if o1:
        v = _max(A2[i, j], v)
        A2[i, j] = v
    den = math.sqrt(v)
    if o2:
        den = den / sc0
    if o3:
        den = den + fp4
    else:
        den = _max(den, TINY)
    xn = xi + (m / den) * sc1
elif is_adopt:                          # o1 clip, o4 w1 < 0.5
    if sc0 != 0.0:
        A1[i, j] = g * g
        xn = xi
    else:
        gh = g / _max(math.sqrt(A1[i, j]), fp4)
        if o1:
            gh = _clip(gh, -sc2, sc2)
        m = A0[i, j]
        d = gh - m
        if o4:
            m = m + d * fp0
        else:
            m = gh - d * fp1
        A0[i, j] = m
        xn = xi + m * sc1
        A1[i, j] = A1[i, j] * fp2 + (g * fp3) * g
elif is_clipped:                        # scale-free sums; o1 exponential scaling: x = y
    A0[i, j] = A0[i, j] * fp0 + g
    if o2 and not dim1:                 # global: v ← β²v + ‖g‖² after the loop (_POST_GLOBAL)
        GG[i, j] = g
    else:                               # (one coordinate: ‖g‖² = g²)
        A1[i, j] = A1[i, j] * fp2 + g * g
    if o1:
        xn = y
    else:
        xn = xi + delta
else:                                   # SGD: o1 momentum > 0, o2 nesterov, o3 EMA form,
    if o1:                              # o4 w < 0.5, o5 dampening > 0
        m = A0[i, j]
        if o3:                          # EMA form
            d = g - m
            if o4:
                m = m + d * fp2
            else:
                m = g - d * fp3
            if o2:
                u = (m - g) * fp0 + g
            else:
                u = m
        else:                           # torch form
            if sc1 != 0.0:
                m = g
            elif o5:
                m = m * fp0 + g * fp1
            else:
                m = m * fp0 + g
            if o2:
                u = m * fp0 + g
            else:
                u = m
        A0[i, j] = m
        xn = xi + u * sc0
    else:
        xn = xi + g * sc0
if box:
    xn = _clip(xn, loj, hij)
x[i, j] = xn
bad = bad | (xn - xn != 0.0)
# ---- output average / EMA and certificate
if has_output:
    a = awk
    gp = 0.0
    if out_query:
        p = y
        if cert:
            if reuse_ge:
                gp = ge
            else:
                gp = _grad(gcode_, p, p0, p1, gc0, gc1, scaled, sj)
    else:
        p = xn
        if cert:
            if is_clipped and reuse_ge:  # exponential scaling: the iterate is the query point y
                gp = ge
            else:
                gp = _grad(gcode_, p, p0, p1, gc0, gc1, scaled, sj)
    dif = p - mean[i, j]
    if cert:
        DF[i, j] = dif
        gbar[i, j] = gbar[i, j] + (gp - gbar[i, j]) * a
    mean[i, j] = mean[i, j] + dif * a
#@outgrad ---- the exact gradient at the new output point (its norm's time sum)
if cert:
    GM[i, j] = _grad(gcode_, mean[i, j], p0, p1, gc0, gc1, scaled, sj)
"""

_STEPS_SRC = """
def impl(okind, gcode, rkind, flags, t0, n, x, A0, A1, A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s,
         lo, hi, GX, X, mean, gbar, CS, AW, alive, dstep, tile, r0, r1, TP, ST):
    rows, dim = x.shape
    # scalars in locals: stores to the state arrays then cannot alias them, which lets the
    # compiler keep them in registers and vectorize the loops
    fp0, fp1, fp2, fp3, fp4 = FP[0], FP[1], FP[2], FP[3], FP[4]
    {VIEWS}
    tp0, tp1, tp2 = TP[0], TP[1], TP[2]
    # tiles of rows r0 .. r1−1 whose state stays in cache while the tile runs all n steps
    for i0 in range(r0, r1, tile):
        i1 = min(i0 + tile, r1)
        for k in range(n):
            ek = ec0[k]
            sc0, sc1, sc2 = SC[k, 0], SC[k, 1], SC[k, 2]
            awk = AW[k] if has_output else 0.0
            bad = False
{LOOP}
            # replicates whose iterate became non-finite at this step: diverged, frozen at NaN
            # (the loop above or-reduces the test, so this pass runs only when one did)
            for i in range(i0, i1 if bad else i0):
                if alive[i]:
                    for j in range(dim):
                        v = x[i, j]
                        if not (v - v == 0.0):
                            alive[i] = False
                            dstep[i] = t0 + k
                            for jj in range(dim):
                                x[i, jj] = NAN
                            break
    return 0
"""


_LOOP_DIM1 = """
# dim == 1: flat loops over the replicates of the tile, consecutive in memory
j = 0
p0 = P[0, 0]
p1 = P[1, 0]
sj = s[0] if scaled else 1.0
loj = lo[0] if box else 0.0
hij = hi[0] if box else 0.0
base = k * rows
{VIEWS}
{BODIES}
{CERT}
"""
_BODY_DIM1 = """
for ii in range(i1 - i0):
{ELEM4}
"""

_LOOP_DIM = """
for i in range(i0, i1):
{VIEWS}
{PRE}
{BODIES}
{POST}
{CERT}
"""

#: clip="global" (dim > 1), before a replicate's loops: u = lr D m/sqrt(v) (v one number per
#: replicate) into Z, and the factor min(1, D/‖u‖) as NumPy computes it: D / max(sqrt(‖u‖²), D)
_PRE_GLOBAL = """
    den = _max(math.sqrt(A1_r[0]), TINY)
    for j in range(dim):
        Z_r[j] = (A0_r[j] / den) * sc0
    sg = fp4 / _max(math.sqrt(_sqsum(Z_r, dim)), fp4)
"""
#: ... and after them: v ← β²v + ‖g‖²
_POST_GLOBAL = """
    A1_r[0] = A1_r[0] * fp2 + _sqsum(GG_r, dim)
"""

#: after a step's loops, per replicate: the certificate's reductions over coordinates in NumPy's
#: order (``_sqsum`` = ``sqnorm``, ``_l1``; ``reductions_agree`` checks them against NumPy), as
#: ``Output.update`` and ``Output.accumulate`` do them: the spread S ← (S + a‖p − mean‖²)(1 − a),
#: then the time sums of ‖gbar‖₂, ‖gbar‖₁, S and ‖∇F(mean)‖₂ (CS rows 0 .. 4)
_CERT_DIM = """
    ssd, ssg, l1g, ssm = _cert_row(DF_r, gbar_r, GM_r, dim)
    sp = (CS[0, i] + awk * ssd) * (1.0 - awk)
    CS[0, i] = sp
    CS[1, i] = CS[1, i] + math.sqrt(ssg)
    CS[2, i] = CS[2, i] + l1g
    CS[3, i] = CS[3, i] + sp
    CS[4, i] = CS[4, i] + math.sqrt(ssm)
"""
#: the same for dim 1, where a sum of one square is the square (0 + (a² + 0) + 0 = a², a² ≥ 0)
_CERT_DIM1 = """
for ii in range(i1 - i0):
    i = i0 + ii
    dd = DF_t[ii]
    gb = gbar_t[ii]
    gm = GM_t[ii]
    sp = (CS[0, i] + awk * (dd * dd)) * (1.0 - awk)
    CS[0, i] = sp
    CS[1, i] = CS[1, i] + math.sqrt(gb * gb)
    CS[2, i] = CS[2, i] + abs(gb)
    CS[3, i] = CS[3, i] + sp
    CS[4, i] = CS[4, i] + math.sqrt(gm * gm)
"""
_BODY_DIM = """
    for j in range(dim):
        p0 = P[0, j]
        p1 = P[1, j]
        sj = s[j] if scaled else 1.0
        loj = lo[j] if box else 0.0
        hij = hi[j] if box else 0.0
{ELEM8}
"""


def _bodies(b: dict) -> list[tuple[str, str, str | None]]:
    """The element code as the loops over coordinates (or replicates, dim 1) that run it: a list of
    (code before the loop, element code, name of a flag that guards the loop or None).

    One loop, unless *split*: the gradient of ``cosine_well``/``nonsmooth_well`` calls the C
    library's ``sin`` (not vectorized: SVML rounds differently), which keeps the compiler from
    vectorizing a loop that contains it. Split, the query point, the ``sin`` calls and the update
    run as three loops, the first and last vectorized, passing δ and ∇F(y) through Z and a scratch
    vector GE (with the certificate, a fourth loop takes ∇F at the new output point). Each number is
    computed by the same operations either way: the same bits.

    With *fast_sin* (the platform's sin agrees with :func:`_sin_any`), each ``sin`` loop runs
    vectorized with ``_sin_taylor`` and notes whether any argument was beyond its range (``far``);
    then, only if one was, a second pass recomputes those elements with ``_sin_any`` (glibc's table
    path below 0.85546875, the C library's ``sin`` beyond).
    """
    query, grad, update, outgrad = re.split(r"^#@.*\n", _ELEM_SRC, flags=re.M)
    if not b["cert"]:
        outgrad = ""
    if not b["split"]:
        return [("", query + grad + update + outgrad, None)]
    use_ge = not (b["r_random"] or b["r_two_point"])
    reload = "xi = x[i, j]\n" + ("y = A2[i, j]\n" if b["is_clipped"] else "y = xi\n")
    out = []

    def sin_loop(head: str, code: str, args: list) -> None:
        if not (b["fast_sin"] and args):
            out.append(("", head + code, None))
            return
        far = " | ".join(f"_far({a}, scaled, sj)" for a in args)
        fast = code.replace("_grad(", "_gradt(")
        exact = re.sub(r"_grad\((.*?)\)\n", r"_gradf(\1, ST)\n", code)
        out.append(("far = False\n", head + fast + f"far = far | {far}\n", None))
        out.append(("", head + f"if {far}:\n" + _indent(exact, 4) + "\n", "far"))

    if b["is_clipped"]:           # otherwise y = x: no query point to compute (δ is kept in Z)
        out.append(("", query, None))
    sin_args = (["xi, gc0"] if b["running"] else []) + (["y, ek"] if use_ge and not b["reuse_gx"] else [])
    sin_loop(reload, grad + ("GE[i, j] = ge\n" if use_ge else ""), sin_args)
    out.append(("", reload + ("delta = Z[i, j]\n" if b["is_clipped"] else "delta = 0.0\n")
                + ("ge = GE[i, j]\n" if use_ge else "ge = 0.0\n") + update, None))
    if outgrad:                   # a fourth loop: sin at the output point
        sin_loop("", outgrad, ["mean[i, j], gc0"])
    return out


#: the arrays the element code indexes (flat views of them when dim == 1)
_ARRAYS = ("x", "A0", "A1", "A2", "Z", "R", "S", "GX", "X", "mean", "gbar")


def _indent(src: str, spaces: int) -> str:
    return "\n".join((" " * spaces + line) if line.strip() else "" for line in src.splitlines())


def _make_steps(OKIND, GCODE, RKIND, FLAGS):
    """The kernel for one combination: its codes and flags are constants of the generated code.

    okind: ADAM (A0 m, A1 v, A2 vhat; FP w1, 1−w1, β2, 1−β2, ε; SC c2, −step),
    ADOPT (A0 m, A1 v; FP w1, 1−w1, β2, 1−β2, floor; SC first, −α, c),
    CLIPPED (A0 m, A1 v, A2 y, Z z; FP β, 0, β², 0, D; SC −lr·D; S the draws α or s; o1 exponential
    scaling: x = y; o2 clip="global", v of shape (rows, 1)),
    SGD (A0 m; FP β, 1−dampening, w, 1−w; SC −α, first).
    rkind: 0 exact gradient, 1 exact part + R, 2 R alone, 3 two-point oracle (TP: threshold, hi,
    lo) from the uniforms R.
    """
    f = {"running": RUNNING, "keep_x": KEEP_X, "box": BOX, "scaled": SCALED, "same_exact": SAME_EXACT,
         "cert": CERT, "out_iterate": OUT_ITERATE, "out_query": OUT_QUERY, "o1": O1, "o2": O2, "o3": O3,
         "o4": O4, "o5": O5, "dim1": DIM1, "fast_sin": FAST_SIN}
    b = {name: (FLAGS & bit) != 0 for name, bit in f.items()}
    b.update(is_adam=OKIND == ADAM, is_adopt=OKIND == ADOPT, is_clipped=OKIND == CLIPPED, is_sgd=OKIND == SGD,
             r_additive=RKIND == 1, r_random=RKIND == 2, r_two_point=RKIND == 3)
    b["has_output"] = b["out_iterate"] or b["out_query"]
    b["reuse_gx"] = b["running"] and b["same_exact"] and not b["is_clipped"]   # y is x: one gradient
    b["reuse_ge"] = RKIND in (0, 1) and b["same_exact"]         # the exact part at y is grad F(y)
    # the arrays the live code indexes; indexing 1-D views with indices counted from 0 lets the
    # compiler drop NumPy-style negative-index handling and vectorize the loops
    used = {"x": True, "A0": b["is_adam"] or b["is_adopt"] or b["is_clipped"] or b["o1"],
            "A1": not b["is_sgd"], "A2": b["is_clipped"] or (b["is_adam"] and b["o1"]),
            "R": RKIND != 0, "S": b["is_clipped"], "GX": b["running"], "X": b["keep_x"],
            "Z": b["is_clipped"], "mean": b["has_output"], "gbar": b["cert"]}
    per_step = ("R", "S", "GX", "X")
    live = [a for a in _ARRAYS if used[a]]
    b["split"] = GCODE in (COS, NONSMOOTH)
    bodies = _bodies(b)
    scratch = (("GE",) if b["split"] else ()) + (("DF", "GM") if b["cert"] else ()) \
        + (("GG",) if b["is_clipped"] and b["o2"] and not b["dim1"] else ())
    if b["dim1"]:
        def flat(elem):
            elem = re.sub(r"\b(\w+)\[k, i, (?:j|0)\]", r"\1_t[ii]", elem)
            return _indent(re.sub(r"\b(\w+)\[i, j\]", r"\1_t[ii]", elem), 4)
        tile_views = "\n".join(f"{a}_t = {a}_f[base + i0:base + i1]" if a in per_step else f"{a}_t = {a}_f[i0:i1]"
                                for a in live)
        def body1(pre, e, guard):
            loop_ = _BODY_DIM1.replace("{ELEM4}", flat(e))
            return pre + (f"if {guard}:\n" + _indent(loop_, 4) + "\n" if guard else loop_)
        loop = _LOOP_DIM1.replace("{VIEWS}", tile_views).replace(
            "{BODIES}", "".join(body1(*part) for part in bodies)).replace(
            "{CERT}", _CERT_DIM1 if b["cert"] else "")
        views = "".join(f"    {a}_f = {a}.reshape({a}.size)\n" for a in live)
        views += "".join(f"    {a}_t = np.empty(tile)\n" for a in scratch)
    else:
        def row(elem):
            elem = elem.replace("S[k, i, 0]", "S_r[0]")
            elem = re.sub(r"\b(\w+)\[k, i, j\]", r"\1_r[j]", elem)
            return _indent(re.sub(r"\b(\w+)\[i, j\]", r"\1_r[j]", elem), 8)
        row_views = "\n".join(f"    {a}_r = {a}[k, i]" if a in per_step else f"    {a}_r = {a}[i]" for a in live)
        def body(pre, e, guard):
            loop_ = _BODY_DIM.replace("{ELEM8}", row(e))
            return _indent(pre, 4) + "\n" + (f"    if {guard}:\n" + _indent(loop_, 4) + "\n" if guard else loop_)
        glob = b["is_clipped"] and b["o2"]
        loop = _LOOP_DIM.replace("{VIEWS}", row_views).replace("{PRE}", _PRE_GLOBAL if glob else "").replace(
            "{POST}", _POST_GLOBAL if glob else "").replace(
            "{BODIES}", "".join(body(*part) for part in bodies)).replace(
            "{CERT}", _CERT_DIM if b["cert"] else "")
        views = "".join(f"    {a}_r = np.empty(dim)\n" for a in scratch)
    src = _STEPS_SRC.replace("{LOOP}", _indent(loop, 12)).replace("    {VIEWS}\n", views)
    # the flags become the literals True/False: Python's compiler drops the dead branches, so
    # each combination compiles only its own code
    src = re.sub(r"\b(" + "|".join(b) + r")\b", lambda m_: str(b[m_.group(1)]), src)
    env = dict(globals(), gcode_=GCODE)
    exec(compile(src, f"<ratecheck kernel {OKIND}-{GCODE}-{RKIND}-{FLAGS}>", "exec"), env)
    return env["impl"]


if numba is not None:
    numba.extending.overload(_steps, jit_options={"error_model": "numpy"}, prefer_literal=True)(_overload_steps)


@_jit
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


@_jit
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
    """``_chunk(*args)``; after the first call of a combination, straight into its compiled code.

    Going through the dispatcher costs milliseconds per call for literal arguments (it retypes
    them); the compiled entry point of the combination costs microseconds.
    """
    key = args[:4]
    entry = _ENTRY.get(key)
    if entry is not None:
        entry(*args)
        return
    _chunk(*args)
    for sig, cres in _chunk.overloads.items():
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
        _call_chunk(*args, 0, w, TP, _SIN_TABLE)
        after(0, w)
        return
    n = min(threads * PIECES_PER_THREAD, w // MIN_THREAD_ROWS)
    bounds = [round(i * w / n) for i in range(n + 1)]

    def piece(r0, r1):
        _ENTRY[key](*args, r0, r1, TP, _SIN_TABLE)
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
                _min_recurrence(book.run_min_gap[rows], vals - consts["f_star"])


def _fixed(optimizer, state, code):
    """(A0, A1, A2, FP, optimizer flags) for the optimizer's state."""
    dummy = np.zeros((1, 1))
    o = optimizer
    if code == ADAM:
        w1 = 1.0 - o.beta1
        FP = np.array([w1, 1.0 - w1, o.beta2, 1.0 - o.beta2, o.eps])
        flags = (O1 * (o.name == "amsgrad") | O2 * (o.convention == "torch") | O3 * (o.eps > 0.0)
                 | O4 * (w1 < 0.5))
        return state.m, state.v, getattr(state, "vhat", dummy), FP, flags
    if code == ADOPT:
        w1 = 1.0 - o.beta1
        FP = np.array([w1, 1.0 - w1, o.beta2, 1.0 - o.beta2, o.eps if o.eps > 0.0 else TINY])
        return state.m, state.v, dummy, FP, O1 * o.clip | O4 * (w1 < 0.5)
    if code == CLIPPED:
        FP = np.array([o.beta, 0.0, o.beta * o.beta, 0.0, o.clip_radius])
        return state.m, state.v, state.y, FP, O1 * (o.scaling == "exponential") | O2 * (o.clip == "global")
    w = 1.0 - o.momentum
    FP = np.array([o.momentum, 1.0 - o.dampening, w, 1.0 - w])
    flags = (O1 * (o.momentum != 0.0) | O2 * o.nesterov | O3 * (o.form == "ema") | O4 * (w < 0.5)
             | O5 * (o.dampening != 0.0))
    return getattr(state, "m", dummy), dummy, dummy, np.append(FP, 0.0), flags


def _scalars(optimizer, code, t0: int, n: int) -> np.ndarray:
    """Per-step scalars of steps t0 .. t0+n−1 (n, 3), from the optimizer's own methods."""
    o = optimizer
    SC = np.zeros((n, 3))
    if code == ADAM:
        for k in range(n):
            c2, step = o._step_scalars(t0 + k)
            SC[k, 0], SC[k, 1] = c2, -step
    elif code == ADOPT:
        for k in range(n):
            t = t0 + k
            if t == 1:
                SC[k, 0] = 1.0
            else:
                lr, c = o._step_scalars(t)
                SC[k, 1], SC[k, 2] = -lr, c
    elif code == CLIPPED:
        for k in range(n):
            SC[k, 0] = -(o.lr(t0 + k) * o.clip_radius)
    else:
        for k in range(n):
            SC[k, 0] = -o.lr(t0 + k)
            SC[k, 1] = float(t0 + k == 1)
    return SC


def _flat(n_max: int, rows: int, dim: int, on: bool):
    """A buffer for up to n_max steps of ``rows`` rows, viewed per block as (n, rows_b, dim)."""
    return np.empty(n_max * rows * dim) if on else None


def _view(flat, n: int, w: int, dim: int, dummy):
    return dummy if flat is None else flat[:n * w * dim].reshape(n, w, dim)


def run(task: _engine.Task):
    """The numba engine for one part (same result as ``_engine._run_reference``).

    The kernel runs block by block (each block's random numbers sit in their own buffer, as drawn),
    a chunk of steps at a time, stopping at checkpoints; a segment (``task.start``, ``task.stop``)
    runs its own steps only (see :mod:`ratecheck._engine`).
    """
    problem, optimizer, grid = task.problem, task.optimizer, task.grid
    kind = problem._batch_kind()
    code = _optimizer_code(optimizer)
    gcode, P, gc0, gc1 = _problem_code(problem)
    state, output, book, project, slices = _engine._setup(task)
    method = _engine.served_draws(optimizer) if code == CLIPPED else None
    two_point = getattr(problem, "_two_point", None) if kind == "random" else None
    prefetch = _engine.Prefetch(task, kind, method, slices, raw=two_point is not None)
    rows, dim = task.x0.shape
    A0, A1, A2, FP, oflags = _fixed(optimizer, state, code)
    rkind = 3 if two_point is not None else {"exact": 0, "additive": 1, "random": 2}[kind]
    TP = np.array(two_point(), dtype=float) if two_point is not None else np.zeros(3)
    online = problem.oracle_kind == "deterministic"
    same_exact = not online
    scaled = problem.scales is not None
    s = problem.scales if scaled else np.ones(1)
    box = problem.domain if project is not None else None
    lo, hi = (np.ascontiguousarray(box[0], dtype=float), np.ascontiguousarray(box[1], dtype=float)) \
        if box is not None else (np.zeros(1), np.zeros(1))
    consts = book.consts
    keep_x = task.running and consts["f_star"] is not None
    out_kind = 0 if output is None else (2 if optimizer.output_source == "query" else 1)
    cert = output is not None and task.certificate
    width = max(sl.stop - sl.start for sl in slices)
    GXf = _flat(prefetch.k, width, dim, task.running)
    Xf = _flat(prefetch.k, width, dim, keep_x)
    dummy2, dummy3 = np.zeros((1, 1)), np.zeros((1, 1, 1))
    mean = output.mean if output is not None else None
    gbar = output.gbar if cert else None
    Z = state.z if code == CLIPPED else None
    # the certificate's per-replicate accumulators, as the kernel's CS rows: the spread, then the time sums
    cert_rows = [output.spread] + [output.sums[key] for key in output.SUMS] if cert else []
    tile = max(1, TILE_BYTES // (8 * dim * 6))      # rows whose x, m, v, ... fit in the tile
    flags = int(oflags | RUNNING * task.running | KEEP_X * keep_x | BOX * (box is not None) | SCALED * scaled
                | SAME_EXACT * same_exact | CERT * cert | OUT_ITERATE * (out_kind == 1) | OUT_QUERY * (out_kind == 2)
                | DIM1 * (dim == 1) | FAST_SIN * (gcode in (COS, NONSMOOTH) and sin_agrees()))

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
                SC = _scalars(optimizer, code, t, n)
                ec0 = np.array([problem.gradient_at(t + k) for k in range(n)]) if online else np.full(n, gc0)
                AW = np.array([optimizer.output_weight(t + k) for k in range(n)]) if out_kind else np.zeros(1)
                for sl, (R, S) in zip(slices, blocks):
                    w = sl.stop - sl.start
                    GX, X = (_view(f, n, w, dim, dummy3) for f in (GXf, Xf))
                    CS = np.stack([a[sl] for a in cert_rows]) if cert else dummy2
                    args = (code, gcode, rkind, flags, t, n, state.x[sl], rows_of(A0, sl), rows_of(A1, sl),
                            rows_of(A2, sl), rows_of(Z, sl), FP, SC, R[k0:k0 + n] if R is not None else dummy3,
                            S[k0:k0 + n] if S is not None else dummy3, P, gc0, gc1, ec0, s, lo, hi, GX, X,
                            rows_of(mean, sl), rows_of(gbar, sl), CS, AW, book.alive[sl],
                            book.diverged_step[sl], tile)
                    _rows_in_threads(pool, task.threads, args, w, TP, partial(
                        _after, GX, X, book, sl, task.running, keep_x, problem, consts))
                    for a, c in zip(cert_rows, CS):
                        a[sl] = c
                    if S is not None:                   # the optimizer keeps its last draw
                        state.alpha[sl] = S[k0 + n - 1]
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
