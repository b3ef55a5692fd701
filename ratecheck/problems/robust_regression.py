r"""Robust (Cauchy-type) regression: a smooth nonconvex finite sum with a known minimiser.

.. math::  F(x) = \frac1n \sum_{j=1}^n \rho(a_j^\top x - b_j), \qquad
           \rho(r) = \log\big(1 + r^2/2\big),

with :math:`A = (a_j^\top)_{j \le n}` of iid N(0, 1) entries, a planted
:math:`x_{\rm true} \sim N(0, I_d)` and :math:`b = A x_{\rm true}` (no outliers), all drawn
from ``SeedSequence(data_seed)`` (one spawned child for A, one for :math:`x_{\rm true}`).
Default :math:`n = 2d` rows.

Derivatives of the loss (checked with sympy):

.. math::  \rho'(r) = \frac{2r}{2 + r^2},\qquad
           \rho''(r) = \frac{2(2 - r^2)}{(2 + r^2)^2},\qquad
           \rho'''(r) = \frac{4r(r^2 - 6)}{(2 + r^2)^3}.

:math:`\rho''` takes values in [−1/8, 1] (max at r = 0, min at r² = 6), so F is nonconvex
wherever many residuals exceed √2, and
:math:`\max|\rho'''| = \tfrac12 + \tfrac{3\sqrt2}{8} \approx 1.0303`, at
:math:`r = \pm(2 - \sqrt2)`.

Declared constants (derivations):

* ``L = λmax(AᵀA)/n``: :math:`\nabla^2F = \frac1n\sum_j \rho''(r_j)a_ja_j^\top` and
  :math:`|\rho''| \le 1` give :math:`-\frac1n A^\top A \preceq \nabla^2 F \preceq \frac1n A^\top A`.
* ``H = max|ρ'''| · max_j‖a_j‖ · λmax(AᵀA)/n``:
  :math:`|\rho''(r_j(x)) - \rho''(r_j(y))| \le \max|\rho'''|\,|a_j^\top(x-y)|
  \le \max|\rho'''|\,\max_j\|a_j\|\,\|x-y\|`, and a sum
  :math:`\frac1n\sum_j c_j a_j a_j^\top` with :math:`|c_j| \le c` has operator norm
  :math:`\le c\,\lambda_{\max}(A^\top A)/n`.
* ``G = max|ρ'| · ‖A‖₂/√n`` with :math:`\max|\rho'| = 1/\sqrt2` (at r = √2):
  :math:`\|\nabla F\| = \|A^\top\rho'(r)\|/n \le \|A\|_2\|\rho'(r)\|/n \le \|A\|_2/\sqrt{2n}`.
* ``f_star = 0`` at ``x_star = x_true``: ρ ≥ 0 with equality iff r = 0; the minimiser
  is unique when A has full column rank (almost surely when n ≥ d).

The default start is x₀ = 0. The oracle is the exact gradient; add noise with ``noise``.

Arithmetic: the products with A are sums in a fixed order, not BLAS calls (whose rounding of a row
depends on how many rows are multiplied together, and on the BLAS build):
:math:`(Az)_j = ((z_0A_{j0} + z_1A_{j1}) + \dots)`, then :math:`r = Az - b` with :math:`b = Ax_{\rm true}`
summed alike (so :math:`r(x_{\rm true}) = 0` exactly), and
:math:`\nabla F(z)_k = ((c_0A_{0k} + c_1A_{1k}) + \dots)` with :math:`c_j = (r_j\,(2/n))/(r_j^2 + 2)`.
Each row's bits are then the same on every machine and in every engine (``rowwise``), and the numba
engine computes the gradient of a row in the same order (:class:`~ratecheck.problems.base.RowGradient`).

Theoretical guarantee (classical): GD with η = 1/L gives
:math:`\min_{t<T}\|\nabla F(x_t)\|^2 \le 2L(F(x_0) - F^\star)/T`; SGD with bounded
variance σ² reaches :math:`\min_t \mathbb E\|\nabla F\|^2 = O(\sqrt{L\Delta\sigma^2/T})`
(Ghadimi & Lan 2013, Cor. 2.2).

References
----------
S. Ghadimi, G. Lan. Stochastic first- and zeroth-order methods for nonconvex stochastic
programming. SIAM J. Optim. 23(4), 2013, Corollary 2.2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .base import Problem, RowGradient

#: largest dim (the constants need the eigenvalues of the dim x dim matrix AᵀA) and data size
MAX_DIM = 2048
MAX_ENTRIES = 2 * 10**7
#: rows of points whose residuals are computed together (their temporaries fit in a core's cache)
CHUNK_ROWS = 1024

#: max |rho'''| = 1/2 + 3 sqrt(2)/8, attained at r = ±(2 − √2)
RHO3_MAX = 0.5 + 3.0 * math.sqrt(2.0) / 8.0
#: max |rho'| = 1/sqrt(2), attained at r = ±√2
RHO1_MAX = 1.0 / math.sqrt(2.0)


@dataclass(frozen=True, kw_only=True)
class RobustRegression(Problem):
    """Robust regression (1/n) Σ log(1 + (a_jᵀx − b_j)²/2) on Gaussian data with a planted x_true."""

    dim: int = 10
    samples: int | None = None
    data_seed: int = 0

    name: ClassVar[str] = "robust_regression"
    reference: ClassVar[str] = ("smooth nonconvex finite sum; SGD rate O(1/√T) for min E‖∇F‖² "
                                "(Ghadimi & Lan 2013, Cor. 2.2)")
    category: ClassVar[str] = "smooth nonconvex"
    convex: ClassVar[bool] = False
    #: the products with A are sums in a fixed order (not BLAS, whose rounding of a row depends on the
    #: row count and the BLAS build), so each row's bits are the same however many rows go together
    rowwise: ClassVar[bool] = True

    def _setup(self):
        # the data matrix (samples x dim) and an eigendecomposition of dim x dim are built here
        V.integer("dim", self.dim, low=1, high=MAX_DIM)
        n = 2 * self.dim if self.samples is None else self.samples
        self._set("samples", V.integer("samples", n, low=1, high=MAX_ENTRIES // self.dim))
        self._set("data_seed", V.integer("data_seed", self.data_seed, low=0))
        seq_a, seq_x = np.random.SeedSequence(self.data_seed).spawn(2)
        A = np.random.Generator(np.random.PCG64(seq_a)).standard_normal((self.samples, self.dim))
        x_true = np.random.Generator(np.random.PCG64(seq_x)).standard_normal(self.dim)
        self._set("_A", A)
        self._set("_At", np.ascontiguousarray(A.T))
        self._set("_x_true", x_true)
        self._set("_b", self._products(x_true[None])[0])     # the same sums: r(x_true) is exactly 0
        lam_max = float(np.linalg.eigvalsh(A.T @ A)[-1])
        self._set("_lam_max", lam_max)
        self._set("_row_norm_max", float(np.sqrt(np.einsum("ij,ij->i", A, A).max())))

    def _products(self, z):
        # (A z)_j = (z_0 A_j0 + z_1 A_j1) + ..., summed over the columns in order (one product, one sum at
        # a time, no FMA): the order the kernel's rowgrad follows, the same on every machine; CHUNK_ROWS
        # rows at a time, whose temporaries stay in cache (the values of many stored iterates at once)
        At = self._At
        out = np.empty((z.shape[0], self.samples))
        tmp = np.empty((min(z.shape[0], CHUNK_ROWS), self.samples))
        for a in range(0, z.shape[0], CHUNK_ROWS):
            zc, r = z[a:a + CHUNK_ROWS], out[a:a + CHUNK_ROWS]
            t = tmp[:zc.shape[0]]
            np.multiply(zc[:, 0, None], At[0], out=r)
            for k in range(1, self.dim):
                np.multiply(zc[:, k, None], At[k], out=t)
                r += t
        return out

    def _residuals(self, z):
        r = self._products(z)
        r -= self._b
        return r

    def _value(self, z):
        r = self._residuals(z)
        r *= r
        r *= 0.5
        np.log1p(r, out=r)
        return r.mean(axis=1)

    def _grad(self, z):
        r = self._residuals(z)
        # c_j = (2/n) rho'(r_j) = (r_j (2/n)) / (r_j² + 2), then g_k = Σ_j c_j A_jk over the rows in order
        den = np.multiply(r, r)
        den += 2.0
        r *= 2.0 / self.samples
        r /= den
        A = self._A
        g = r[:, 0, None] * A[0]
        for j in range(1, self.samples):
            g += r[:, j, None] * A[j]
        return g

    #: the same sums in the kernel: P holds A (n x d, row-major), then Aᵀ (d x n), then b; c0 = 2/n, c1 = n
    kernel_gradient: ClassVar[RowGradient] = RowGradient("""
def rowgrad(z, g, P, c0, c1, w):
    d = z.size
    n = w.size
    at = n * d
    A = P[:at].reshape(n, d)             # 2-D views: the loops vectorize (twice as fast as flat indices)
    At = P[at:2 * at].reshape(d, n)
    b = P[2 * at:2 * at + n]
    z0 = z[0]
    a = At[0]
    for j in range(n):
        w[j] = z0 * a[j]
    for k in range(1, d):
        zk = z[k]
        a = At[k]
        for j in range(n):
            w[j] = w[j] + zk * a[j]
    for j in range(n):
        r = w[j] - b[j]
        w[j] = (r * c0) / (r * r + 2.0)
    c = w[0]
    a = A[0]
    for k in range(d):
        g[k] = c * a[k]
    for j in range(1, n):
        c = w[j]
        a = A[j]
        for k in range(d):
            g[k] = g[k] + c * a[k]
""", work="int(gc1)")

    def kernel_parameters(self) -> tuple:
        P = np.concatenate([self._A.ravel(), self._At.ravel(), self._b])
        return P, 2.0 / self.samples, float(self.samples)

    def _constants(self):
        n = self.samples
        L = self._lam_max / n
        return {"L": L, "H": RHO3_MAX * self._row_norm_max * L,
                "G": RHO1_MAX * math.sqrt(self._lam_max / n),
                "f_star": 0.0, "x_star": self._x_true.copy()}

    @property
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the design matrix A (samples, dim) and the targets b."""
        return self._A.copy(), self._b.copy()
