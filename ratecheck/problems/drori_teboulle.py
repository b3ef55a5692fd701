r"""Drori & Teboulle's worst case for gradient descent on smooth convex functions (tight, exact).

For a horizon N, a normalised step h ∈ (0, 1] (GD step γ = h/L), a start x₀ = R > 0 and
the threshold :math:`\delta = R/(2Nh + 1)`, the one-dimensional Huber function

.. math::  f(x) = \begin{cases} L\delta|x| - L\delta^2/2 & |x| \ge \delta \\
                                 L x^2/2 & |x| < \delta \end{cases}
           \;=\; L\big(c\,x - c^2/2\big),\quad c = \mathrm{clip}(x, -\delta, \delta),

has :math:`f'(x) = L\,\mathrm{clip}(x, -\delta, \delta)`: convex, L-smooth, minimised at
0 with f* = 0.

Exactness. On the linear piece each GD step moves by :math:`\gamma L\delta = h\delta`, so
:math:`x_k = R - kh\delta` and :math:`x_N = \delta(2Nh + 1 - Nh) = \delta(Nh + 1) \ge \delta`:
GD never leaves the linear piece, and

.. math::  f(x_N) = L\delta^2(Nh + 1) - L\delta^2/2 = \frac{L\delta^2(2Nh+1)}{2}
           = \frac{L R^2}{2(2Nh + 1)},

which is the worst case of N steps of GD with step h/L over all L-smooth convex
functions with :math:`|x_0 - x^\star| \le R` (:meth:`DroriTeboulle.worst_case_gap`).
The function depends on N, so a rate fit over N rebuilds it for each N.

Declared constants: ``L``; ``G = Lδ`` (:math:`|f'| \le L\delta`); ``f_star = 0`` at
``x_star = 0``; no μ (f is linear far from 0) and no H (f'' jumps at ±δ).

Theoretical guarantee (Drori & Teboulle 2014, Theorem 3.1 for the upper bound and Theorem 3.2
for this attaining function; theorem numbers (unverified)): for h ∈ (0, 1],
:math:`f(x_N) - f^\star \le LR^2/(2(2Nh+1))`, tight.

References
----------
Y. Drori, M. Teboulle. Performance of first-order methods for smooth convex minimization:
a novel approach. Mathematical Programming 145, 2014, Theorems 3.1-3.2 (numbers (unverified)).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from ._fixed_dim import one_dimensional
from .base import GradientPiece, Problem


@dataclass(frozen=True, kw_only=True)
class DroriTeboulle(Problem):
    """Drori–Teboulle Huber function: GD with step h/L from R ends exactly at gap LR²/(2(2Nh+1))."""

    dim: int = 1
    N: int = 100
    h: float = 1.0
    L: float = 1.0
    R: float = 1.0

    name: ClassVar[str] = "drori_teboulle"
    reference: ClassVar[str] = ("Drori & Teboulle, Math. Prog. 2014: GD's exact worst case "
                                "LR²/(2(2Nh+1)) on smooth convex functions")
    category: ClassVar[str] = "hard instance"
    convex: ClassVar[bool] = True
    #: a sweep's ``horizon`` axis sets N to the run's number of steps (the function depends on N)
    horizon_parameter: ClassVar[str] = "N"

    def _setup(self):
        one_dimensional(self.name, self.dim)
        self._set("N", V.integer("N", self.N, low=1))
        self._set("h", V.real("h", self.h, low=0.0, high=1.0, low_open=True))
        self._set("L", V.positive("L", self.L))
        self._set("R", V.positive("R", self.R))

    @property
    def delta(self) -> float:
        """Threshold δ = R/(2Nh + 1) between the quadratic and the linear piece."""
        return self.R / (2 * self.N * self.h + 1.0)

    def _value(self, z):
        c = np.clip(z[:, 0], -self.delta, self.delta)
        return self.L * (c * z[:, 0] - 0.5 * c * c)

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("nclip(z, -c0, c0) * c1")

    def kernel_parameters(self) -> tuple:
        return np.zeros((2, self.dim)), float(self.delta), float(self.L)

    def _grad(self, z):
        g = np.clip(z, -self.delta, self.delta)
        g *= self.L
        return g

    def _constants(self):
        return {"L": self.L, "G": self.L * self.delta, "f_star": 0.0, "x_star": np.zeros(1)}

    def _initial_point(self):
        return np.array([self.R])

    def worst_case_gap(self) -> float:
        """:math:`f(x_N) - f^\\star = LR^2/(2(2Nh+1))` after N GD steps with step h/L from R."""
        return self.L * self.R ** 2 / (2.0 * (2 * self.N * self.h + 1.0))
