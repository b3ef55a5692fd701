r"""ratecheck's own exp for the zero-chains: the same bits from NumPy and from numba, on every machine.

Why: ``np.exp`` runs NumPy's own SIMD kernel on a CPU with AVX512F and the C library's exp elsewhere,
and the two differ by an ulp on a few percent of arguments, so a chain's bits depended on the machine
(and numba's ``math.exp``, the C library's, could not reproduce NumPy's). :func:`chain_exp` (arrays) and
:func:`chain_exp_scalar` (one float, plain Python that numba compiles) do the same IEEE-754 operations
in the same order, each correctly rounded (no fused multiply-add: neither NumPy nor numba without
fastmath contracts), so they agree bit for bit wherever they run.

Algorithm (Cody & Waite's range reduction; our own short code)
-------------------------------------------------------------
1. Clamp: :math:`x_c = \min(\max(x, -1000), 1000)` (NaN passes). :math:`e^{x}` is 0 below
   −745.14 and overflows above 709.79 in float64, so the clamp changes no result, and it keeps
   k below in :math:`|k| \le 1443`.
2. :math:`k = \mathrm{rint}(x_c / \ln 2)`, by the magic-number add
   :math:`k_f = x_c \cdot (1/\ln 2) + 1.5\cdot2^{52}`: the sum's last mantissa bit has weight 1, so
   it is rounded to an integer (ties to even), and its bit pattern minus that of
   :math:`1.5\cdot 2^{52}` is k as an int64; :math:`k_f - 1.5\cdot 2^{52}` is k as a float, exactly.
3. :math:`r = (x_c - k\,\ln2_{hi}) - k\,\ln2_{lo}` with :math:`\ln2_{hi}` = ln 2 rounded to a
   multiple of :math:`2^{-40}` (41 significant bits, so :math:`k\ln2_{hi}` is exact for
   :math:`|k| < 2^{12}`, and the first difference is exact because :math:`k\ln2_{hi}` is within a
   factor 2 of :math:`x_c`) and :math:`\ln2_{lo}` = the rest, rounded. Then
   :math:`|r| \le \tfrac12\ln 2\,(1 + 2^{-52}) + |k|\,2^{-53}\ln2_{lo} < 0.34658`.
4. :math:`e^r \approx \sum_{j=0}^{13} r^j/j!`, in Horner form
   :math:`(\dots(c_{13}r + c_{12})r + \dots + c_1)r + c_0`, :math:`c_j = 1/j!` rounded.
   **Degree 13**, from the Taylor remainder: :math:`|R_n(r)| \le \frac{|r|^{n+1}}{(n+1)!}e^{|r|}`,
   so relative to :math:`e^r \ge e^{-|r|}` it is at most :math:`\frac{|r|^{n+1}}{(n+1)!}e^{2|r|}`,
   which at :math:`|r| = 0.34658` is :math:`3.0\cdot2^{-53}` for n = 12 and
   :math:`0.075\cdot2^{-53}` for n = 13. The rounding of Horner's last two steps (about one ulp,
   the result lies in [0.707, 1.415]) then dominates: the result is within 2 ulp of
   :math:`e^x` (measured against the C library's exp: at most 1 ulp, ``tests/test_chain_math.py``).
5. Scale by :math:`2^k = 2^{k_1}2^{k_2}`, :math:`k_1 = \lfloor k/2\rfloor`, :math:`k_2 = k - k_1`,
   each power built from its bits ((k_i + 1023) << 52, a normal number since
   :math:`|k_i| \le 722`): :math:`p\,2^{k_1}` is exact (a normal number), and the one rounding is
   the last product, which also rounds a subnormal result correctly (underflow to 0 below
   −745.14, overflow to inf above 709.78).

NaN in gives NaN out (its payload kept: every operation has a single NaN operand, and the scale
factors, whose low 52 bits are zero, are never NaN).
"""
from __future__ import annotations

from decimal import Context
from fractions import Fraction
from math import factorial

import numpy as np

__all__ = ["EXP_CLAMP", "EXP_DEGREE", "INV_LN2", "LN2_HI", "LN2_LO", "EXP_MAGIC", "EXP_MAGIC_BITS", "EXP_COEFFS",
           "chain_exp", "chain_exp_scalar"]

_LN2 = Fraction(Context(prec=60).ln(2))
#: arguments are clamped to [−EXP_CLAMP, EXP_CLAMP] (exp is 0 / inf beyond ±746)
EXP_CLAMP = 1000.0
#: 1/ln 2, rounded
INV_LN2 = float(1 / _LN2)
#: ln 2 rounded to a multiple of 2^-40 (k·LN2_HI is exact for |k| < 2^12)
LN2_HI = float(Fraction(round(_LN2 * 2**40), 2**40))
#: ln 2 − LN2_HI, rounded
LN2_LO = float(_LN2 - Fraction(LN2_HI))
#: 1.5·2^52: adding it rounds |v| < 2^51 to an integer held in the low mantissa bits
EXP_MAGIC = 6755399441055744.0
EXP_MAGIC_BITS = int(np.float64(EXP_MAGIC).view(np.int64))
#: degree of the Taylor polynomial of e^r on |r| ≤ 0.34658 (see the module docstring)
EXP_DEGREE = 13
#: c_j = 1/j!, rounded, j = 0 .. EXP_DEGREE
EXP_COEFFS = tuple(float(Fraction(1, factorial(j))) for j in range(EXP_DEGREE + 1))
(_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13) = EXP_COEFFS


def chain_exp(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """:math:`e^x` elementwise for a float64 array (into ``out`` if given, which may be ``x``).

    The same bits as :func:`chain_exp_scalar` for every argument; see the module docstring."""
    x = np.asarray(x, dtype=np.float64)
    xc = np.clip(x, -EXP_CLAMP, EXP_CLAMP)
    kf = np.multiply(xc, INV_LN2)
    kf += EXP_MAGIC
    k = kf.view(np.int64) - EXP_MAGIC_BITS           # a new int64 array: k
    kf -= EXP_MAGIC                                  # k as a float, exact
    r = np.multiply(kf, LN2_HI)
    np.subtract(xc, r, out=r)                        # exact
    kf *= LN2_LO
    r -= kf
    p = np.multiply(r, _C13)
    for c in (_C12, _C11, _C10, _C9, _C8, _C7, _C6, _C5, _C4, _C3, _C2, _C1):
        p += c
        p *= r
    p += _C0
    k1 = np.right_shift(k, 1)                        # floor(k / 2)
    k -= k1                                          # k2 = k − k1
    k1 += 1023
    k1 <<= 52
    p *= k1.view(np.float64)                         # exact: p·2^k1 is a normal number
    k += 1023
    k <<= 52
    if out is None:
        out = p
    np.multiply(p, k.view(np.float64), out=out)      # the one rounding (subnormal results too)
    return out


def chain_exp_scalar(x: float) -> float:
    """:math:`e^x` for one float: :func:`chain_exp`'s operations, in its order, on a scalar.

    Plain Python that numba compiles (``numba.njit(chain_exp_scalar)``); run by Python itself it
    gives the same bits, slowly."""
    xc = -EXP_CLAMP if x < -EXP_CLAMP else (EXP_CLAMP if x > EXP_CLAMP else x)
    kf = xc * INV_LN2 + EXP_MAGIC
    k = np.float64(kf).view(np.int64) - EXP_MAGIC_BITS
    kf = kf - EXP_MAGIC
    r = (xc - kf * LN2_HI) - kf * LN2_LO
    p = r * _C13 + _C12
    p = p * r + _C11
    p = p * r + _C10
    p = p * r + _C9
    p = p * r + _C8
    p = p * r + _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = p * r + _C1
    p = p * r + _C0
    k1 = k >> 1
    k2 = k - k1
    p = p * np.int64((k1 + 1023) << 52).view(np.float64)
    return p * np.int64((k2 + 1023) << 52).view(np.float64)
