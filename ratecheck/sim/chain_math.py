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
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr as ndtr_ufunc

from ..problems.chain_exp import chain_exp, chain_exp_scalar
from .jit import inline, jit, numba

__all__ = ["NDTR_SYMBOL", "NDTR_CAPI", "exp_jit", "ndtr_jit", "exp_ndtr_pair", "chain_math_agrees"]

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


@jit
def exp_ndtr_pair(a):
    """(exp_jit(a_j), ndtr_jit(a_j)) for each element: the compiled side of :func:`chain_math_agrees`."""
    out = np.empty((2, a.size))
    for j in range(a.size):
        out[0, j] = exp_jit(a[j])
        out[1, j] = ndtr_jit(a[j])
    return out


def _arguments() -> np.ndarray:
    """About 1.1·10⁶ arguments: the ranges the chains use and every edge."""
    rng = np.random.default_rng(2026)
    y = rng.normal(0.0, 3.0, 4 * 10**5)
    special = [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1.0, -1.0, 0.5 * math.log(2.0), -0.5 * math.log(2.0),
               -700.0, -708.4, -709.0, -745.0, -745.1332191019411, -745.14, -746.0, -1000.0, -1001.0, -1e300,
               -np.inf, 709.78, 709.79, 1000.0, np.inf, np.nan, -38.5, -37.5, 8.3, 38.0]
    return np.concatenate([
        -0.5 * y * y,                                  # Φ'(y) = √e·exp(−y²/2)
        1.0 - rng.uniform(1.0 / 701.0, 1e4, 2 * 10**5) ** -1.0,   # Ψ: exp(1 − w⁻²), w ≥ 1/√701
        rng.uniform(-700.0, 1.0, 3 * 10**5),
        rng.uniform(-746.0, -700.0, 5 * 10**4),        # subnormal results and underflow
        rng.uniform(-1.0, 1.0, 5 * 10**4) * 2.0 ** rng.integers(-60, 0, 5 * 10**4),
        rng.uniform(-40.0, 40.0, 10**5),               # ndtr's arguments s_i y_{i+1}
        np.array(special)])


_AGREES: dict = {}


def chain_math_agrees() -> bool:
    """Whether :data:`exp_jit` gives :func:`~ratecheck.problems.chain_exp.chain_exp`'s bits and
    :func:`ndtr_jit` scipy's ``ndtr`` ufunc's bits on :func:`_arguments` (checked once per process)."""
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
