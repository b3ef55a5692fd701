r"""numba, optional, and the small compiled helpers the kernels share (needs ``pip install 'ratecheck[fast]'``).

``jit`` compiles (cached, GIL released, NumPy's error model: 1/0 is inf, not an exception), ``inline``
marks element helpers that the compiler pastes into the loops. ``nmax``, ``nclip``, ``nsign`` are
``np.maximum``, ``np.clip``, ``np.sign`` of two scalars with NumPy's NaN rules, and ``fma`` is a·b + c
with one rounding (the instruction LLVM emits for ``llvm.fma.f64``). Without numba the decorators
return the plain Python function, so the modules that use them still import.
"""
from __future__ import annotations

import os

__all__ = ["numba", "jit", "inline", "literally", "nmax", "nclip", "nsign", "fma"]

try:  # numba is optional: the NumPy engines are the reference
    # SVML's vectorized sin would round differently from the C library's, which NumPy uses; this
    # only takes effect if numba is not imported yet (else the sin kernels are refused, see kernels.unsupported)
    os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")
    import numba
except ImportError:  # pragma: no cover - depends on the installation
    numba = None

if numba is not None:
    jit = numba.njit(cache=True, nogil=True, error_model="numpy")
    inline = numba.njit(inline="always", error_model="numpy")
    literally = numba.literally
else:  # pragma: no cover
    def jit(f):
        return f
    inline = jit

    def literally(v):
        return v


@inline
def nmax(a, b):
    # np.maximum: NaN if either is NaN (a select, no branch, so loops vectorize)
    return a if (a >= b) | (a != a) else b


@inline
def nclip(x, lo, hi):
    # np.clip (numpy/_core/src/umath/clip.cpp): m = isnan(x) ? x : (x > lo ? x : lo), then
    # isnan(m) ? m : (m < hi ? m : hi)
    m = x if (x > lo) | (x != x) else lo
    return m if (m < hi) | (m != m) else hi


@inline
def nsign(x):
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    if x == 0.0:
        return 0.0
    return x



if numba is not None:
    from llvmlite import ir as ir
    from numba.core import cgutils as cgutils
    from numba.core import types as types

    @numba.extending.intrinsic
    def fma(typingctx, a, b, c):
        """a·b + c with one rounding (LLVM's llvm.fma.f64: the FMA instruction, or libm's fma)."""
        sig = types.float64(types.float64, types.float64, types.float64)

        def codegen(context, builder, signature, args):
            fnty = ir.FunctionType(ir.DoubleType(), [ir.DoubleType()] * 3)
            return builder.call(cgutils.get_or_insert_function(builder.module, fnty, "llvm.fma.f64"), args)
        return sig, codegen
else:  # pragma: no cover
    def fma(a, b, c):
        return a * b + c

