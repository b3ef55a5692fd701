r"""Copies of NumPy's summation orders, for the reductions over coordinates that run inside the kernels.

The certificate's norms (needed at every step) and clip="global"'s ‖u‖², ‖g‖² are sums over a row; to give
NumPy's bits the kernels add in NumPy's own orders: :func:`sqsum` is ``np.einsum("ij,ij->i", a, a)`` (its
baseline kernel), :func:`l1` is ``np.abs(a).sum(axis=1)`` (the pairwise sum). :func:`reductions_agree`
checks them against the NumPy of this process at first use; where they differ, such runs go to NumPy.
"""
from __future__ import annotations

import numpy as np

from .jit import jit

__all__ = ["sqsum", "cert_sums", "cert_row", "pairwise_leaf", "pairwise_abs", "l1", "rows_sqsum_l1", "rows_cert",
           "AGREED", "reductions_agree"]

@jit
def sqsum(a, n):
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


@jit
def cert_sums(d, g, q, n):
    """(``sqsum(d)``, ``sqsum(g)``, ``l1(g)``, ``sqsum(q)``) of rows of n numbers, in one pass: each
    sum keeps its own order (the same bits as the four calls), but their dependency chains overlap.
    n ≤ 128 (one block of the pairwise sum); see ``cert_row`` for any n."""
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
    return 0.0 + (d0 + d1), 0.0 + (g0 + g1), 0.0 + pairwise_leaf(g, 0, n), 0.0 + (q0 + q1)


@jit
def cert_row(d, g, q, n):
    if n <= 128:
        return cert_sums(d, g, q, n)
    return sqsum(d, n), sqsum(g, n), l1(g, n), sqsum(q, n)


@jit
def pairwise_leaf(a, lo, n):
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


@jit
def pairwise_abs(a, lo, n):
    """NumPy's pairwise sum of |a[lo:lo+n]|: above 128 numbers, the sum of the two halves (the first
    half a multiple of 8), recursively. The recursion runs on an explicit stack (numba's cache does
    not load recursive functions safely)."""
    if n <= 128:
        return pairwise_leaf(a, lo, n)
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
            vals[vp] = pairwise_leaf(a, s_lo[top], m)
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


@jit
def l1(a, n):
    """``np.abs(a).sum(axis=1)`` of one row a[:n]: the identity 0 plus NumPy's pairwise sum."""
    return 0.0 + pairwise_abs(a, 0, n)


@jit
def rows_sqsum_l1(A):
    """(``sqsum``, ``l1``) of each row of A, shape (2, rows)."""
    rows, n = A.shape
    out = np.empty((2, rows))
    for i in range(rows):
        out[0, i] = sqsum(A[i], n)
        out[1, i] = l1(A[i], n)
    return out


@jit
def rows_cert(D, G, Q):
    """``cert_row`` of each row of D, G, Q, shape (4, rows)."""
    rows, n = D.shape
    out = np.empty((4, rows))
    for i in range(rows):
        out[0, i], out[1, i], out[2, i], out[3, i] = cert_row(D[i], G[i], Q[i], n)
    return out


AGREED: dict = {}


def reductions_agree(dim: int) -> bool:
    """Whether the kernel's copies of ``np.einsum("ij,ij->i")`` and ``np.abs(.).sum(axis=1)`` give
    NumPy's bits here, for rows of ``dim`` numbers and of every length up to 160 (checked once per
    dim on random rows with magnitudes over many decades, zeros, infinities and NaNs)."""
    if dim not in AGREED:
        rng = np.random.default_rng(dim)
        ok = True
        for n in sorted(set(range(1, 161)) | {dim}):
            A = rng.standard_normal((7, n)) * np.exp(3.0 * rng.standard_normal((7, n)))
            A[1, ::3] = 0.0
            A[2, -1] = np.inf
            A[3, 0] = np.nan
            A[4] *= 1e-160
            mine = rows_sqsum_l1(A)
            sq, l1 = np.einsum("ij,ij->i", A, A), np.abs(A).sum(axis=1)
            ok = ok and np.array_equal(mine[0], sq, equal_nan=True) and np.array_equal(mine[1], l1, equal_nan=True)
            B, C = A[::-1].copy(), A[:, ::-1].copy()
            fused = rows_cert(B, A, C)
            ok = ok and np.array_equal(fused[0], sq[::-1], equal_nan=True) \
                and np.array_equal(fused[1], sq, equal_nan=True) and np.array_equal(fused[2], l1, equal_nan=True) \
                and np.array_equal(fused[3], np.einsum("ij,ij->i", C, C), equal_nan=True)
        AGREED[dim] = ok
    return AGREED[dim]

