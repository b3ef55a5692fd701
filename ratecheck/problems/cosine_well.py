r"""Smooth nonconvex separable well with a Lipschitz Hessian and spurious stationary points.

.. math::  F(x) = \sum_{i=1}^d \Big[\tfrac12 x_i^2 + a\,\big(1 - \cos(b x_i)\big)\Big],
           \qquad a, b > 0.

Each coordinate follows the same one-dimensional profile
:math:`\varphi(u) = u^2/2 + a(1-\cos bu)` with

.. math::  \varphi'(u) = u + ab\sin(bu),\quad \varphi''(u) = 1 + ab^2\cos(bu),\quad
           \varphi'''(u) = -ab^3\sin(bu).

Declared constants (derivations):

* ``L = 1 + a b²``: the Hessian is diagonal with entries :math:`\varphi''(x_i)` and
  :math:`|\varphi''| \le 1 + ab^2`.
* ``H = a b³``: :math:`\|\nabla^2F(x) - \nabla^2F(y)\|_{op} = \max_i ab^2|\cos bx_i - \cos by_i|
  \le ab^3 \max_i|x_i - y_i| \le ab^3\|x - y\|`.
* ``f_star = 0`` at ``x_star = 0``: both terms of φ are ≥ 0 and vanish only at u = 0.
* No μ (F is nonconvex as soon as :math:`ab^2 > 1`: φ'' < 0 where
  :math:`\cos bu < -1/(ab^2)`), no G (the gradient grows linearly).

Stationary points. :math:`\varphi'(u) = 0` means :math:`\sin(bu) = -u/(ab)`, so every root
has :math:`|u| \le ab`. Writing :math:`\kappa = ab^2` and :math:`v = bu`, nonzero roots exist
iff the line :math:`-v/\kappa` meets :math:`\sin v`; the first tangency has
:math:`\tan v = v` (:math:`v \approx 4.4934`), so they exist iff
:math:`\kappa > 4.4934/|\sin 4.4934| \approx 4.603`. Being nonconvex (κ > 1) is *not*
enough: with a = 1, b = 2 (κ = 4) the only stationary point is 0. The default a = 1,
b = 3 (κ = 9) has, per coordinate, the roots 0 (global min), ±1.182 (local maxima,
φ'' < 0) and ±1.870 (spurious local minima, φ(±1.870) ≈ 1.967); the stationary points of F
are all :math:`5^d` combinations, of which :math:`3^d` are local minima.
:meth:`CosineWell.coordinate_stationary_points` computes them for any (a, b).

The default start :math:`x_0 = 3\cdot\mathbf 1` lies where φ'' < 0; gradient descent with
η ≤ 1/L from there converges to the spurious local minimum 1.870·**1**, a stationary
point: the rate claims on this family are about ‖∇F‖, not about F − F*.

Theoretical guarantee (classical; Nesterov 2004, Sec. 1.2.3, (unverified)): GD with η = 1/L gives
:math:`\min_{t<T}\|\nabla F(x_t)\|^2 \le 2L(F(x_0) - F^\star)/T`.

References
----------
Y. Nesterov. Introductory Lectures on Convex Optimization, 2004, Sec. 1.2.3 (section number (unverified)).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.optimize import brentq

from .. import validate as V
from .base import GradientPiece, Problem


@dataclass(frozen=True, kw_only=True)
class CosineWell(Problem):
    """Smooth nonconvex well sum x_i²/2 + a(1 − cos b x_i): L = 1 + ab², H = ab³, spurious minima."""

    dim: int = 10
    a: float = 1.0
    b: float = 3.0

    name: ClassVar[str] = "cosine_well"
    reference: ClassVar[str] = ("smooth nonconvex test function; GD bound min‖∇F‖² ≤ 2LΔ/T "
                                "(Nesterov 2004)")
    category: ClassVar[str] = "smooth nonconvex"
    convex: ClassVar[bool] = False

    def _setup(self):
        self._set("a", V.positive("a", self.a))
        self._set("b", V.positive("b", self.b))

    def _value(self, z):
        # 1 − cos(bz) = 2 sin²(bz/2), accurate near 0
        s = np.multiply(z, 0.5 * self.b)
        np.sin(s, out=s)
        s *= s
        return 0.5 * np.einsum("ij,ij->i", z, z) + (2.0 * self.a) * s.sum(axis=1)

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("SIN(z * c0) * c1 + z")

    def kernel_parameters(self) -> tuple:
        return np.zeros((2, self.dim)), float(self.b), float(self.a * self.b)

    def _grad(self, z):
        g = np.multiply(z, self.b)
        np.sin(g, out=g)
        g *= self.a * self.b
        g += z
        return g

    def _constants(self):
        a, b = self.a, self.b
        return {"L": 1.0 + a * b * b, "H": a * b ** 3, "f_star": 0.0, "x_star": np.zeros(self.dim)}

    def _initial_point(self):
        return np.full(self.dim, 3.0)

    def coordinate_stationary_points(self) -> np.ndarray:
        r"""Sorted roots of :math:`\varphi'(u) = u + ab\sin(bu)` (unscaled coordinates).

        Every stationary point of F has each coordinate among these; a root is a local
        minimum of φ where :math:`1 + ab^2\cos(bu) > 0`.
        """
        a, b = self.a, self.b
        bound = a * b + 1.0
        n = int(np.ceil(2 * bound * b / 0.01)) + 2          # grid step 0.01/b, far below the π/b spacing
        u = np.linspace(-bound, bound, n)
        f = u + a * b * np.sin(b * u)
        roots = [u[i] for i in np.flatnonzero(f == 0.0)]
        for i in np.flatnonzero(f[:-1] * f[1:] < 0):
            roots.append(brentq(lambda s: s + a * b * np.sin(b * s), u[i], u[i + 1], xtol=1e-15))
        roots = np.sort(np.asarray(roots, dtype=float))
        return roots[np.concatenate(([True], np.diff(roots) > 1e-9))]
