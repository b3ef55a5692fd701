r"""Smooth, Lipschitz, Hessian-Lipschitz nonconvex separable well: Assumption 2 of Ahn & Cutkosky
together with smoothness, so Corollary 13's smooth and second-order-smooth cases apply as stated.

.. math::  F(x) = \sum_{i=1}^d \Big[\sqrt{1 + x_i^2} - 1 + a\,\big(1 - \cos(b x_i)\big)\Big],
           \qquad a, b > 0.

The pseudo-Huber part grows linearly, so unlike :mod:`~ratecheck.problems.cosine_well` (whose
quadratic part makes the gradient unbounded) F is globally Lipschitz. Per coordinate,
:math:`\varphi(u) = \sqrt{1+u^2} - 1 + a(1-\cos bu)` has

.. math:: \varphi'(u) = \frac{u}{\sqrt{1+u^2}} + ab\sin(bu),\quad
          \varphi''(u) = (1+u^2)^{-3/2} + ab^2\cos(bu),\quad
          \varphi'''(u) = -3u(1+u^2)^{-5/2} - ab^3\sin(bu).

Declared constants (derivations):

* ``G = √d (1 + a b)``: :math:`|\varphi'| < 1 + ab`, so :math:`\|\nabla F\| \le \sqrt d\,(1+ab)`.
* ``L = 1 + a b²``: the Hessian is diagonal with entries φ''(x_i) and :math:`|\varphi''| \le 1 + ab^2`.
* ``H = a b³ + (3/2)(4/5)^{5/2}``: :math:`\max_u 3|u|(1+u^2)^{-5/2} = (3/2)(4/5)^{5/2} \approx 0.8587`
  (at u = 1/2), so :math:`|\varphi'''| \le H`; the Hessian is diagonal, hence
  :math:`\|\nabla^2F(x)-\nabla^2F(y)\|_{op} = \max_i|\varphi''(x_i)-\varphi''(y_i)| \le H\|x-y\|_\infty \le H\|x-y\|`.
* ``f_star = 0`` at ``x_star = 0``: both terms are ≥ 0 and vanish only at 0.
* No μ: with the defaults a = 1, b = 3, :math:`\varphi''(\pi/3) < 0`.

Stationary points: φ'(u) = 0 iff :math:`\sin(bu) = -u/(ab\sqrt{1+u^2})`, whose right side stays in
(−1/(ab), 1/(ab)); for ab > 1 there are infinitely many spurious stationary points (about two per
period 2π/b). The default start :math:`x_0 = 3\cdot\mathbf 1` lies past the first of them.

References
----------
K. Ahn, A. Cutkosky. NeurIPS 2024: Assumption 2 (G-Lipschitz, bounded variance), Lemma 4 and
Corollary 13 (smooth and second-order-smooth settings).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .base import GradientPiece, Problem

#: max over u of 3|u| (1 + u²)^(-5/2), attained at u = 1/2
_PSEUDO_HUBER_THIRD = 1.5 * 0.8 ** 2.5


@dataclass(frozen=True, kw_only=True)
class SmoothWell(Problem):
    """Smooth Lipschitz nonconvex well Σ √(1+x²) − 1 + a(1 − cos b x): G = √d(1+ab), L = 1+ab², H ≈ ab³+0.86."""

    dim: int = 10
    a: float = 1.0
    b: float = 3.0

    name: ClassVar[str] = "smooth_well"
    reference: ClassVar[str] = ("smooth, G-Lipschitz, H-Hessian-Lipschitz nonconvex test function "
                                "(Ahn & Cutkosky 2024, Assumption 2 + Corollary 13)")
    category: ClassVar[str] = "smooth nonconvex"
    convex: ClassVar[bool] = False

    def _setup(self):
        self._set("a", V.positive("a", self.a))
        self._set("b", V.positive("b", self.b))

    def _value(self, z):
        # √(1+u²) − 1 = u²/(√(1+u²) + 1) and 1 − cos(bu) = 2 sin²(bu/2): accurate near 0
        r = np.multiply(z, z)
        h = np.sqrt(r + 1.0)
        h += 1.0
        np.divide(r, h, out=r)
        s = np.multiply(z, 0.5 * self.b)
        np.sin(s, out=s)
        s *= s
        s *= 2.0 * self.a
        s += r
        return s.sum(axis=1)

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("SIN(z * c0) * c1 + z / math.sqrt(z * z + 1.0)")

    def kernel_parameters(self) -> tuple:
        return np.zeros((2, self.dim)), float(self.b), float(self.a * self.b)

    def _grad(self, z):
        h = np.multiply(z, z)
        h += 1.0
        np.sqrt(h, out=h)
        g = np.multiply(z, self.b)
        np.sin(g, out=g)
        g *= self.a * self.b
        g += z / h
        return g

    def _constants(self):
        a, b = self.a, self.b
        return {"G": math.sqrt(self.dim) * (1.0 + a * b), "G_coords": np.full(self.dim, 1.0 + a * b),
                "L": 1.0 + a * b * b,
                "H": a * b ** 3 + _PSEUDO_HUBER_THIRD, "f_star": 0.0, "x_star": np.zeros(self.dim)}

    def _initial_point(self):
        return np.full(self.dim, 3.0)
