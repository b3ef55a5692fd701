r"""glibc's sin, vectorizable, for the arguments where the C library computes it by a polynomial or its table.

The kernels of the problems whose gradient calls ``sin`` (``cosine_well``, ``nonsmooth_well``) must give
the C library's bits (NumPy calls it). Calling ``math.sin`` keeps the compiler from vectorizing a loop,
so for |x| < 0.85546875 this module evaluates glibc's own algorithm (:func:`sin_taylor`, :func:`sin_table`),
which :func:`sin_agrees` checks against ``math.sin`` and ``np.sin`` at first use: where it disagrees the
kernels call the C library for every argument.
"""
from __future__ import annotations

import math

import numpy as np

from .jit import fma, inline, jit

__all__ = ["SIN_TAYLOR_MAX", "SIN_TABLE_MAX", "SIN_TINY", "SIN_TABLE", "sin_taylor", "sin_table", "sin_any", "far",
           "libm_sincostab", "sin_pair", "sin_agrees"]

# ---- sin in the range where the C library computes it by a polynomial, vectorizable
#: glibc's ``__sin`` (sysdeps/ieee754/dbl-64/s_sin.c) returns x for |x| < 2^-26 and, for
#: 2^-26 ≤ |x| < 0.126, TAYLOR_SIN_OK: x + ((P(x²)·x − 0.5·0)·x² + 0) with P the degree-4 polynomial of
#: these coefficients (usncs.h). On x86-64 with FMA and AVX2 it runs the ``__sinfma`` build, whose
#: machine code (objdump of libm 2.36) evaluates it as five fused multiply-adds for P (Horner), then
#: t = fma(x², fma(P, x, −0), 0) and x + t. :func:`sin_taylor` does exactly those operations;
#: :func:`sin_agrees` checks it against ``math.sin`` and ``np.sin`` at first use, and the kernels use it
#: only where it agrees, calling the C library's ``sin`` for every other argument.
SIN_S5, SIN_S4, SIN_S3 = -2.5022014848318398e-08, 2.755729806860771e-06, -0.00019841269834414642
SIN_S2, SIN_S1 = 0.008333333333332329, -0.16666666666666666
SIN_TAYLOR_MAX = 0.126
SIN_TINY = 2.0 ** -26


@inline
def sin_taylor(v):
    """glibc's sin(v) for |v| < 0.126 (any value beyond: see :func:`far`)."""
    xx = v * v
    p = fma(fma(fma(fma(SIN_S5, xx, SIN_S4), xx, SIN_S3), xx, SIN_S2), xx, SIN_S1)
    r = v + fma(xx, fma(p, v, -0.0), 0.0)
    return r if abs(v) >= SIN_TINY else v


#: do_sin of s_sin.c, for 0.126 ≤ |x| < 0.85546875 (below 0x3feb6000 in the high word): |x| split
#: at the nearest multiple of 1/128 (through ``big``), a polynomial of the rest, and glibc's table
#: ``__sincostab`` (sin, its correction, cos, its correction at k/128), combined with the FMAs of
#: the ``__sinfma`` build: s = x + fma(x·x², fma(sn5, x², sn3), dx), c = fma(x, dx, x²·Q(x²)),
#: cor = fma(s, cs, fma(−c, sn, fma(s, ccs, ssn))), copysign(sn + cor, x), dx = −0 if x ≤ 0 else 0.
#: The table is read from the process's libm (:func:`libm_sincostab`; some of its corrections
#: differ by an ulp from exactly rounded ones, so it cannot be recomputed).
SIN_TABLE_MAX = 0.85546875
SIN_SN5, SIN_SN3 = 0.008333332142857223, -0.16666666666666488
SIN_CS6, SIN_CS4, SIN_CS2 = 0.001388888740079376, -0.04166666666666644, 0.5
SIN_BIG = 52776558133248.0


@inline
def sin_table(v, T):
    a = abs(v)
    dx = -0.0 if v <= 0.0 else 0.0
    ub = (SIN_BIG + a) - SIN_BIG
    k = int(ub * 128.0) * 4
    k = min(max(k, 0), T.size - 4)      # arguments outside the range (recomputed later) stay in the table
    x = a - ub
    xx = x * x
    s = x + fma(x * xx, fma(SIN_SN5, xx, SIN_SN3), dx)
    c = fma(x, dx, xx * fma(fma(SIN_CS6, xx, SIN_CS4), xx, SIN_CS2))
    cor = fma(s, T[k + 2], fma(-c, T[k], fma(s, T[k + 3], T[k + 1])))
    return math.copysign(T[k] + cor, v)


@inline
def sin_any(v, T):
    """glibc's sin(v): the polynomial, the table, or (|v| ≥ 0.85546875, NaN) the C library's sin."""
    if abs(v) < SIN_TAYLOR_MAX:
        return sin_taylor(v)
    if abs(v) < SIN_TABLE_MAX:
        return sin_table(v, T)
    return math.sin(v)



@inline
def far(x, c0, scaled, sj):
    """Whether the argument of sin in the gradient at x lies outside ``sin_taylor``'s range (or is NaN)."""
    z = x * sj if scaled else x
    return not (abs(z * c0) < SIN_TAYLOR_MAX)


def libm_sincostab():
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
SIN_TABLE = np.zeros(440)


@jit
def sin_pair(a, T):
    out = np.empty((2, a.size))
    for j in range(a.size):
        out[0, j] = sin_any(a[j], T)
        out[1, j] = math.sin(a[j])
    return out


_SIN_OK: dict = {}


def sin_agrees() -> bool:
    """Whether :func:`sin_any` gives the C library's and NumPy's sin, bit for bit, on 3·10⁶ arguments
    below 0.85546875 in magnitude (magnitudes spread over 2^-40 .. 0.126 and uniform over 0.126 ..
    0.85546875, both signs, every boundary, the table's rounding points k/128 ± 1/256)."""
    if "ok" not in _SIN_OK:
        T = libm_sincostab()
        if T is None:
            _SIN_OK["ok"] = False
            return False
        SIN_TABLE[:] = T
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
        mine, libm = sin_pair(a, SIN_TABLE)
        _SIN_OK["ok"] = bool(np.array_equal(mine.view(np.uint64), libm.view(np.uint64))
                          and np.array_equal(mine.view(np.uint64), np.sin(a).view(np.uint64)))
    return _SIN_OK["ok"]

