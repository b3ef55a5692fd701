r"""The zero-chains' transcendental functions for compiled kernels: exp and scipy's ndtr, NumPy's bits.

The chains (:mod:`ratecheck.problems.carmon_chain`, ``arjevani_chain``) call two functions besides
+ − × ÷:

``exp_jit(x)``
    ratecheck's own exp (:func:`ratecheck.problems.chain_exp.chain_exp_scalar`, compiled and
    inlined): the same IEEE operations in the same order as the array version the chains use, so the
    same bits, on any machine (no C library, no SIMD exp).
``ndtr_jit(x)``
    scipy's Φ, the very C function behind ``scipy.special.ndtr``: ``cython_special``'s exported
    double version (``__pyx_fuse_1ndtr(double x, int skip_dispatch)``), called through a symbol
    registered with LLVM (:data:`NDTR_SYMBOL`), so compiled functions that call it can be cached
    (a raw address would change from process to process).

:func:`chain_math_agrees` checks both at first use, on about 10⁶ arguments each, against the
arrays the chains compute (``chain_exp``, the ``ndtr`` ufunc); if either ever disagrees, a kernel
must not be used for the chains. Both are usable only inside numba-compiled functions.

Built on them, one row of each chain's gradient and oracle, with the NumPy code's bits (each element's
operations in its order; ``tests/test_chain_math.py`` compares them): :func:`chain_grad_row` (the
scaled chain's ``_grad``, live columns only, the rest −0.0) and :func:`arjevani_row` (the Arjevani
oracle given the row's uniform); :func:`chain_grad_rows` and :func:`arjevani_rows` loop them over rows.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr as ndtr_ufunc

from ..problems.carmon_chain import NDTR_ONE, SQRT_2PI_E, SQRT_E, W_FLOOR
from ..problems.chain_exp import chain_exp, chain_exp_scalar
from .jit import inline, jit, nmax, nsign, numba

__all__ = ["NDTR_SYMBOL", "NDTR_CAPI", "NDTR_ONE", "exp_jit", "ndtr_jit", "ndtr_fast", "exp_ndtr_pair",
           "chain_math_agrees", "psi_pair",
           "chain_grad_row", "arjevani_row", "chain_grad_rows", "arjevani_rows"]

#: the name scipy's compiled ndtr is registered under with LLVM (see the module docstring)
NDTR_SYMBOL = "ratecheck_scipy_cython_special_ndtr"
#: scipy.special.cython_special's C entry point of ndtr for a double argument
NDTR_CAPI = "__pyx_fuse_1ndtr"


def _ndtr_address() -> int | None:
    """The address of cython_special's double ndtr, or None where this scipy does not export it."""
    try:
        import scipy.special.cython_special as cs
        if NDTR_CAPI not in getattr(cs, "__pyx_capi__", {}):
            return None
        return numba.extending.get_cython_function_address("scipy.special.cython_special", NDTR_CAPI)
    except (ImportError, ValueError, AttributeError):  # pragma: no cover - depends on scipy's build
        return None


if numba is not None:
    import llvmlite.binding as llvm_binding
    from llvmlite import ir
    from numba.core import cgutils, types

    _ADDRESS = _ndtr_address()
    if _ADDRESS is not None:
        llvm_binding.add_symbol(NDTR_SYMBOL, _ADDRESS)

    exp_jit = inline(chain_exp_scalar)

    @numba.extending.intrinsic
    def ndtr_jit(typingctx, x):
        """scipy's ndtr(x) for a float64 x (compiled code only; see the module docstring)."""
        sig = types.float64(types.float64)

        def codegen(context, builder, signature, args):
            fnty = ir.FunctionType(ir.DoubleType(), [ir.DoubleType(), ir.IntType(32)])
            fn = cgutils.get_or_insert_function(builder.module, fnty, NDTR_SYMBOL)
            return builder.call(fn, [args[0], ir.Constant(ir.IntType(32), 0)])
        return sig, codegen
else:  # pragma: no cover
    _ADDRESS = None
    exp_jit = chain_exp_scalar

    def ndtr_jit(x):
        return float(ndtr_ufunc(x))


@inline
def ndtr_fast(x):
    """The chains' ndtr(x): 1.0 for x ≥ NDTR_ONE (as in ``carmon_chain``), else scipy's (the call)."""
    return 1.0 if x >= NDTR_ONE else ndtr_jit(x)


@jit
def exp_ndtr_pair(a):
    """(exp_jit(a_j), ndtr_fast(a_j)) for each element: the compiled side of :func:`chain_math_agrees`."""
    out = np.empty((2, a.size))
    for j in range(a.size):
        out[0, j] = exp_jit(a[j])
        out[1, j] = ndtr_fast(a[j])
    return out


def _arguments() -> np.ndarray:
    """About 1.1·10⁶ arguments: the ranges the chains use and every edge."""
    rng = np.random.default_rng(2026)
    y = rng.normal(0.0, 3.0, 4 * 10**5)
    special = [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1.0, -1.0, 0.5 * math.log(2.0), -0.5 * math.log(2.0),
               -700.0, -708.4, -709.0, -745.0, -745.1332191019411, -745.14, -746.0, -1000.0, -1001.0, -1e300,
               -np.inf, 709.78, 709.79, 1000.0, np.inf, np.nan, -38.5, -37.5, 8.3, 38.0, NDTR_ONE,
               np.nextafter(NDTR_ONE, 0.0), 1.7976931348623157e308]
    return np.concatenate([
        -0.5 * y * y,                                  # Φ'(y) = √e·exp(−y²/2)
        1.0 - rng.uniform(1.0 / 701.0, 1e4, 2 * 10**5) ** -1.0,   # Ψ: exp(1 − w⁻²), w ≥ 1/√701
        rng.uniform(-700.0, 1.0, 3 * 10**5),
        rng.uniform(-746.0, -700.0, 5 * 10**4),        # subnormal results and underflow
        rng.uniform(-1.0, 1.0, 5 * 10**4) * 2.0 ** rng.integers(-60, 0, 5 * 10**4),
        rng.uniform(-40.0, 40.0, 10**5),               # ndtr's arguments s_i y_{i+1}
        np.linspace(NDTR_ONE, 40.0, 10**5), np.exp(rng.uniform(np.log(40.0), 709.0, 10**4)),
        np.array(special)])


_AGREES: dict = {}


def chain_math_agrees() -> bool:
    """Whether :data:`exp_jit` gives :func:`~ratecheck.problems.chain_exp.chain_exp`'s bits and
    :func:`ndtr_fast` (hence :func:`ndtr_jit`) scipy's ``ndtr`` ufunc's bits on :func:`_arguments`,
    1.2·10⁶ numbers with 1.1·10⁵ at or above :data:`NDTR_ONE` (checked once per process)."""
    if "ok" not in _AGREES:
        if numba is None or _ADDRESS is None:
            _AGREES["ok"] = False
            return False
        a = _arguments()
        compiled = exp_ndtr_pair(a)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            ref_exp = chain_exp(a)
        ref_ndtr = ndtr_ufunc(a)
        _AGREES["ok"] = bool(np.array_equal(compiled[0].view(np.uint64), ref_exp.view(np.uint64))
                             and np.array_equal(compiled[1].view(np.uint64), ref_ndtr.view(np.uint64)))
    return _AGREES["ok"]


# ------------------------------------------------------------------ one row of the chains, NumPy's bits
@inline
def psi_pair(a):
    """(Ψ(a), Ψ'(a)) as ``carmon_chain._psi_argument`` / ``_psi_finish`` compute them, for a = |y_i|."""
    w = a * 2.0
    w = w - 1.0
    active = w > W_FLOOR
    w = nmax(w, W_FLOOR)
    t = w * w
    t = 1.0 / t
    t = 1.0 - t
    psi = exp_jit(t)
    psi = psi * (1.0 if active else 0.0)
    d = w * w
    d = d * w
    d = psi / d
    return psi, d * 4.0


@inline
def chain_grad_row(z, lam, eps, g, work):
    """g = ε ∇F̄_T(z/λ) for one row z (already scaled), as ``CarmonChain._grad`` computes it.

    Like :func:`ratecheck.problems.carmon_chain.chain_grad`, only the live columns are computed: with
    F = 1 + the last i where 2|y_i| − 1 > W_FLOOR (or NaN), the first n = min(T, F + 2) columns are
    those of the chain truncated to n (its last column has no Ψ' term) and the rest are −0.0. The
    live test is per row here, per block in NumPy: both give each column's bits. g holds y = z/λ
    until it is overwritten; ``work`` (3, ≥ T) is scratch: the exps run in loops without calls, which
    the compiler vectorizes, and ndtr in a third loop."""
    T = z.size
    last = -1
    for i in range(T):
        y = z[i] / lam
        g[i] = y
        v = abs(y) * 2.0
        v = v - 1.0
        if not (v <= W_FLOOR):
            last = i
    n = T if T <= 2 else min(T, last + 3)
    E = work[0]
    Q = work[1]
    D = work[2]
    for i in range(n):
        y = g[i]
        a = y * y
        a = a * -0.5
        E[i] = exp_jit(a)
    if n > 1:
        for i in range(n):
            Q[i], D[i] = psi_pair(abs(g[i]))
    for i in range(n):
        gi = E[i] * -SQRT_E
        if n > 1:
            if i >= 1:
                gi = gi * Q[i - 1]
            if i < n - 1:
                ph = nsign(g[i]) * g[i + 1]
                ph = ndtr_fast(ph)
                ph = ph * SQRT_2PI_E
                ph = ph * D[i]
                gi = gi - ph
        g[i] = gi
    for i in range(n, T):
        g[i] = -0.0
    for i in range(T):
        g[i] = g[i] * eps


@inline
def arjevani_row(z, lam, eps, p, u, g, work):
    """g = the Arjevani oracle at one row z (scaled) given the row's uniform u (``_row_uniform_oracle``):
    :func:`chain_grad_row`, then the first hidden coordinate j = prog_{1/4}(z/λ) (0-based), if j < T,
    times ξ/p = (1 if u < p else 0)/p."""
    chain_grad_row(z, lam, eps, g, work)
    T = z.size
    j = 0
    for i in range(T - 1, -1, -1):
        if abs(z[i] / lam) > 0.25:
            j = i + 1
            break
    if j < T:
        g[j] = g[j] * ((1.0 if u < p else 0.0) / p)


@jit
def chain_grad_rows(Z, lam, eps, out):
    """:func:`chain_grad_row` for each row of Z (rows, T) into out."""
    work = np.empty((3, Z.shape[1]))
    for r in range(Z.shape[0]):
        chain_grad_row(Z[r], lam, eps, out[r], work)
    return 0


@jit
def arjevani_rows(Z, lam, eps, p, U, out):
    """:func:`arjevani_row` for each row of Z (rows, T) with its uniform U[r] into out."""
    work = np.empty((3, Z.shape[1]))
    for r in range(Z.shape[0]):
        arjevani_row(Z[r], lam, eps, p, U[r], out[r], work)
    return 0
