r"""Weighted ℓ1 distance: convex, nonsmooth, G-Lipschitz, optionally on a box.

.. math::  F(x) = \sum_{i=1}^d w_i\,|x_i - c_i|, \qquad w_i > 0,

with the subgradient :math:`g_i = w_i \operatorname{sign}(x_i - c_i)`, taking
:math:`\operatorname{sign}(0) = 0` (so g = 0 at the minimiser).

Declared constants (derivations):

* ``G = ‖w‖₂``: every subgradient has :math:`\|g\| \le \|w\|_2`.
* ``f_star = 0`` at ``x_star = c`` (``center``).
* No L, μ or H (kinks along :math:`x_i = c_i`).
* ``D``: with ``radius = r`` the domain is the box :math:`[-r, r]^d` centred at the
  **origin** (so the projection does not reveal c; ``center`` must lie in it), and
  ``D = 2r√d`` is its Euclidean diameter (in scaled coordinates,
  :math:`D = 2r\|1/s\|`). Without ``radius`` there is no domain and no D.

The default start is :math:`x_0 = c + \delta\mathbf 1` with δ = min(1, r), reflected to
:math:`c - \delta` in the coordinates where :math:`c_i + \delta > r`, so it lies in the box.

Theoretical guarantee (classical): projected SGD on the box with the constant step
:math:`\eta = D/(\sqrt{G^2 + \sigma^2}\sqrt T)` and the average
:math:`\bar x_T = \frac1T\sum_{t<T} x_t` satisfies
:math:`\mathbb E F(\bar x_T) - F^\star \le D\sqrt{G^2 + \sigma^2}/\sqrt T`; Θ(GD/√T) is
optimal for convex G-Lipschitz problems (Nemirovski & Yudin 1983; Agarwal et al. 2012).

References
----------
A. Nemirovski, A. Juditsky, G. Lan, A. Shapiro. Robust stochastic approximation approach
to stochastic programming. SIAM J. Optim. 19(4), 2009, Sec. 2.2 (constant step with averaging;
section number (unverified)).
A. Agarwal, P. Bartlett, P. Ravikumar, M. Wainwright. Information-theoretic lower bounds
on the oracle complexity of stochastic convex optimization. IEEE Trans. IT 58(5), 2012.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .base import GradientPiece, Problem


@dataclass(frozen=True, kw_only=True)
class L1(Problem):
    """Weighted ℓ1 distance Σ w_i|x_i − c_i|: convex, G = ‖w‖₂, optional box [−radius, radius]^d."""

    dim: int = 10
    weights: object = 1.0
    center: object = 0.0
    radius: float | None = None

    name: ClassVar[str] = "l1"
    reference: ClassVar[str] = ("convex G-Lipschitz; projected SGD with averaging, "
                                "E F(x̄_T) − F* ≤ DG/√T (Nemirovski et al. 2009)")
    category: ClassVar[str] = "convex nonsmooth"
    convex: ClassVar[bool] = True
    # F(z) is einsum("ij,j->i", |z − c|, w): NumPy's own loop, one row at a time (a row's sum does not
    # depend on the rows around it, unlike BLAS gemv's r @ w), so blocks and threads may split the rows
    rowwise: ClassVar[bool] = True

    def _setup(self):
        self._set("weights", V.vector("weights", self.weights, self.dim, positive_entries=True))
        self._set("center", V.vector("center", self.center, self.dim))
        if self.radius is not None:
            self._set("radius", V.positive("radius", self.radius))
            worst = float(np.abs(self.center).max())
            if worst > self.radius:
                raise ValueError(f"center must lie in the box [-radius, radius]^dim; radius={self.radius} "
                                 f"but max |center_i| = {worst}")

    def _value(self, z):
        r = z - self.center
        np.abs(r, out=r)
        return np.einsum("ij,j->i", r, self.weights)

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("nsign(z - p0) * p1")

    def kernel_parameters(self) -> tuple:
        P = np.zeros((2, self.dim))
        P[0], P[1] = self.center, self.weights
        return P, 0.0, 0.0

    def _grad(self, z):
        g = z - self.center
        np.sign(g, out=g)
        g *= self.weights
        return g

    def _constants(self):
        return {"G": float(np.linalg.norm(self.weights)), "G_coords": self.weights.copy(), "f_star": 0.0,
                "x_star": self.center.copy()}

    def _domain(self):
        if self.radius is None:
            return None
        return np.full(self.dim, -self.radius), np.full(self.dim, self.radius)

    def _initial_point(self):
        if self.radius is None:
            return self.center + 1.0
        step = min(1.0, self.radius)
        up = self.center + step
        return np.where(up <= self.radius, up, self.center - step)

    def constants(self) -> dict:
        """Declared constants, plus ``D`` = Euclidean diameter of the domain (None without one)."""
        c = super().constants()
        box = self.domain
        c["D"] = None if box is None else float(np.linalg.norm(box[1] - box[0]))
        return c

    @property
    def diameter(self) -> float | None:
        return self.constants()["D"]

