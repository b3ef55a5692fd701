r"""Strongly convex quadratic with a chosen condition number.

.. math::  F(x) = \tfrac12 \sum_{i=1}^d h_i (x_i - c_i)^2,\qquad
           h_i = \mu\,\kappa^{(i-1)/(d-1)} \text{ (geometric from } \mu \text{ to } L = \kappa\mu),

so :math:`\nabla F` is L-Lipschitz, F is μ-strongly convex, :math:`x^\star = c`,
:math:`F^\star = 0`, and the Hessian is constant (H = 0). The default start is
:math:`x_0 = c + \mathbf{1}`.

Theoretical guarantee (classical): GD with η = 1/L contracts each coordinate by
:math:`1 - h_i/L`, so :math:`F(x_T) - F^\star \le (1-\mu/L)^{2T}(F(x_0) - F^\star)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .base import GradientPiece, Problem


@dataclass(frozen=True, kw_only=True)
class Quadratic(Problem):
    """Strongly convex quadratic, Hessian eigenvalues geometric from mu = L/kappa to L."""

    dim: int = 10
    L: float = 1.0
    kappa: float = 10.0
    center: object = 0.0

    name: ClassVar[str] = "quadratic"
    reference: ClassVar[str] = "classical; linear rate (1-μ/L)^(2T) for GD with η=1/L (Nesterov 2004, Thm 2.1.15)"
    category: ClassVar[str] = "strongly convex"
    convex: ClassVar[bool] = True

    def _setup(self):
        self._set("L", V.positive("L", self.L))
        self._set("kappa", V.real("kappa", self.kappa, low=1.0))
        self._set("center", V.vector("center", self.center, self.dim))
        mu = self.L / self.kappa
        if self.dim == 1:
            h = np.array([self.L])
        else:
            h = mu * self.kappa ** (np.arange(self.dim) / (self.dim - 1))
            h[-1] = self.L
        self._set("_h", h)

    def _value(self, z):
        r = z - self.center
        return 0.5 * np.einsum("ij,j,ij->i", r, self._h, r)

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("(z - p0) * p1")

    def kernel_parameters(self) -> tuple:
        P = np.zeros((2, self.dim))
        P[0], P[1] = self.center, self._h
        return P, 0.0, 0.0

    def _grad(self, z):
        g = z - self.center
        g *= self._h
        return g

    def _constants(self):
        mu = self.L / self.kappa if self.dim > 1 else self.L
        return {"L": self.L, "mu": mu, "H": 0.0, "f_star": 0.0, "x_star": self.center.copy()}

    def _initial_point(self):
        return self.center + 1.0

    @property
    def hessian_diagonal(self) -> np.ndarray:
        return self._h.copy()
