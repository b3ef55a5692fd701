r"""Nonsmooth nonconvex separable well: a kink at the minimum and infinitely many spurious minima.

.. math::  F(x) = \sum_{i=1}^d \Big[|x_i| + a\,\big(1 - \cos(b x_i)\big)\Big], \qquad a, b > 0,

with the (Clarke) subgradient :math:`g_i = \operatorname{sign}(x_i) + ab\sin(bx_i)`,
taking :math:`\operatorname{sign}(0) = 0` (so g = 0 at the minimiser).

Declared constants (derivations):

* ``G = √d (1 + a b)``, ``G_coords = 1 + a b`` per coordinate: :math:`|g_i| \le 1 + ab`, hence :math:`\|g\| \le \sqrt d\,(1 + ab)`;
  F is G-Lipschitz.
* ``f_star = 0`` at ``x_star = 0``: both terms are ≥ 0 and vanish only at 0.
* No L (kink at 0), no μ, no H.

Stationary points. For u > 0 the one-dimensional profile has
:math:`\varphi'(u) = 1 + ab\sin(bu)`, which vanishes iff :math:`\sin(bu) = -1/(ab)`; this
needs ab > 1. Then, for k = 0, 1, 2, … (and mirrored for u < 0),
:math:`u = (\pi + \arcsin\frac{1}{ab} + 2k\pi)/b` are local maxima
(:math:`\varphi'' = ab^2\cos(bu) < 0`) and :math:`u = (2\pi - \arcsin\frac{1}{ab} + 2k\pi)/b`
are spurious local minima, infinitely many since |u| grows linearly while the cosine
stays bounded. With the defaults a = 1, b = 2: local maxima at
:math:`7\pi/12 + k\pi \approx 1.833, 4.974, \dots` and local minima at
:math:`11\pi/12 + k\pi \approx 2.880, 6.021, \dots`.

The default start :math:`x_0 = \mathbf 1` lies in the basin of the kink at 0 (and in a
region where φ'' < 0), so methods end up oscillating around the nondifferentiable
minimiser: the setting of (δ,ε)-Goldstein and (λ,ε) stationarity.

Theoretical guarantee: for G-Lipschitz nonconvex F, O2NC finds a (δ,ε)-Goldstein
stationary point with O(δ⁻¹ε⁻³) stochastic gradients, optimal (Cutkosky, Mehta &
Orabona 2023; theorem numbers (unverified)).

References
----------
A. Cutkosky, H. Mehta, F. Orabona. Optimal stochastic non-smooth non-convex
optimization through online-to-non-convex conversion. ICML 2023.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .base import GradientPiece, Problem


@dataclass(frozen=True, kw_only=True)
class NonsmoothWell(Problem):
    """Nonsmooth nonconvex well sum |x_i| + a(1 − cos b x_i): G = √d(1 + ab), f* = 0 at 0."""

    dim: int = 10
    a: float = 1.0
    b: float = 2.0

    name: ClassVar[str] = "nonsmooth_well"
    reference: ClassVar[str] = ("nonsmooth nonconvex test function; (δ,ε)-Goldstein complexity "
                                "Θ(δ⁻¹ε⁻³) (Cutkosky, Mehta & Orabona 2023)")
    category: ClassVar[str] = "nonsmooth nonconvex"
    convex: ClassVar[bool] = False

    def _setup(self):
        self._set("a", V.positive("a", self.a))
        self._set("b", V.positive("b", self.b))

    def _value(self, z):
        # 1 − cos(bz) = 2 sin²(bz/2), accurate near 0
        s = np.multiply(z, 0.5 * self.b)
        np.sin(s, out=s)
        s *= s
        s *= 2.0 * self.a
        s += np.abs(z)
        return s.sum(axis=1)

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("SIN(z * c0) * c1 + nsign(z)")

    def kernel_parameters(self) -> tuple:
        return np.zeros((2, self.dim)), float(self.b), float(self.a * self.b)

    def _grad(self, z):
        g = np.multiply(z, self.b)
        np.sin(g, out=g)
        g *= self.a * self.b
        g += np.sign(z)
        return g

    def _constants(self):
        return {"G": math.sqrt(self.dim) * (1.0 + self.a * self.b), "G_coords": np.full(self.dim, 1.0 + self.a * self.b),
                "f_star": 0.0,
                "x_star": np.zeros(self.dim)}

    def _initial_point(self):
        return np.ones(self.dim)

    def coordinate_stationary_points(self, count: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """The first ``count`` positive local maxima and local minima of the 1-D profile.

        Returns ``(maxima, minima)`` in unscaled coordinates (empty when ab ≤ 1); the
        negative ones are their mirror images, and 0 is the global minimum.
        """
        count = V.integer("count", count, low=0)
        ab = self.a * self.b
        if ab <= 1.0:
            return np.empty(0), np.empty(0)
        k = np.arange(count)
        s = math.asin(1.0 / ab)
        return (math.pi + s + 2 * math.pi * k) / self.b, (2 * math.pi - s + 2 * math.pi * k) / self.b
