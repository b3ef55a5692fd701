r"""Reddi, Kale & Kumar's online counterexample to Adam (ICLR 2018, Theorem 1).

Online linear losses on the domain :math:`\mathcal F = [-1, 1]` (project after each step),

.. math::  f_t(x) = \begin{cases} C x & t \bmod 3 = 1 \\ -x & \text{otherwise,} \end{cases}
           \qquad C > 2,

so the gradient sequence is C, −1, −1, C, −1, −1, … (``t`` = query index, from 1). One
period's gradients sum to C − 2 > 0, so the best fixed point in hindsight is
:math:`x^\star = -1`.

For the simulator's metrics, ``value``/``grad`` are those of the period average

.. math::  F(x) = \tfrac13\big(Cx - x - x\big) = \tfrac{C-2}{3}\,x,

so ``x_star = -1`` and ``f_star = -(C-2)/3``. ``stochastic_grad(x, rng, t)`` returns
:math:`\nabla f_t` (this problem is ``time_varying``; ``t`` is required).

Declared constants: ``L = 0`` and ``H = 0`` (F is linear), ``G = (C-2)/3`` (the Lipschitz
constant of F; every :math:`f_t` is max(C, 1) = C-Lipschitz, the bound used in online
regret analyses, see :attr:`ReddiOnline.oracle_bound`), and ``sigma2 = 2(C+1)²/9``, the
period average of :math:`(\nabla f_t - \nabla F)^2`: the deviations are
:math:`C - \frac{C-2}3 = \frac{2(C+1)}3` once and :math:`-1 - \frac{C-2}3 = -\frac{C+1}3`
twice, so :math:`\frac13\big(\frac{4(C+1)^2}9 + \frac{2(C+1)^2}9\big) = \frac{2(C+1)^2}9`.
The default start is x₀ = 0 (pass ``x0`` to the simulator to change it).

Theoretical guarantee (Reddi et al. 2018, Theorem 1): Adam with β1 = 0,
β2 = 1/(1 + C²) and :math:`\alpha_t = \alpha/\sqrt t` converges to x = +1, the worst
point, and its average regret :math:`R_T/T` does not go to 0; AMSGrad (their Alg. 2) has
:math:`R_T = O(\sqrt T)` (Theorem 4) and converges to −1. A check run with C = 3, α = 0.5
and 3·10⁵ steps ended at +1.000 for Adam and −0.999 for AMSGrad.
:meth:`ReddiOnline.loss` and :meth:`ReddiOnline.average_regret` evaluate the online
objective of a recorded trajectory.

References
----------
S. J. Reddi, S. Kale, S. Kumar. On the convergence of Adam and beyond. ICLR 2018,
Theorem 1 (counterexample), Algorithm 2 and Theorem 4 (AMSGrad).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from ._fixed_dim import one_dimensional
from .base import GradientPiece, Problem


@dataclass(frozen=True, kw_only=True)
class ReddiOnline(Problem):
    """Reddi et al. online counterexample: f_t = Cx when t mod 3 = 1, else −x, on [−1, 1] (C > 2)."""

    dim: int = 1
    C: float = 3.0

    name: ClassVar[str] = "reddi_online"
    reference: ClassVar[str] = ("Reddi, Kale & Kumar, ICLR 2018, Thm. 1: Adam (β1=0, β2=1/(1+C²)) "
                                "goes to +1, AMSGrad to x* = −1")
    category: ClassVar[str] = "counterexample"
    convex: ClassVar[bool] = True
    time_varying: ClassVar[bool] = True
    oracle_kind: ClassVar[str] = "deterministic"

    def _setup(self):
        one_dimensional(self.name, self.dim)
        self._set("C", V.real("C", self.C, low=2.0, low_open=True))

    def _value(self, z):
        return ((self.C - 2.0) / 3.0) * z[:, 0]

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("c0")

    def kernel_parameters(self) -> tuple:
        return np.zeros((2, self.dim)), (self.C - 2.0) / 3.0, 0.0

    def _grad(self, z):
        return np.full(z.shape, (self.C - 2.0) / 3.0)

    def _oracle(self, z, rng, t):
        return np.full(z.shape, self.gradient_at(t))

    def gradient_at(self, t) -> float:
        """:math:`\\nabla f_t` (unscaled): C when t mod 3 = 1, else −1; ``t`` counts from 1."""
        if t is None:
            raise ValueError(f"{self.name} is time-varying: pass t, the query index (from 1), "
                             f"to stochastic_grad(x, rng, t)")
        t = V.integer("t", t, low=1)
        return self.C if t % 3 == 1 else -1.0

    def _constants(self):
        C = self.C
        return {"L": 0.0, "H": 0.0, "G": (C - 2.0) / 3.0, "sigma2": 2.0 * (C + 1.0) ** 2 / 9.0,
                "f_star": -(C - 2.0) / 3.0, "x_star": np.array([-1.0])}

    def _domain(self):
        return np.array([-1.0]), np.array([1.0])

    @property
    def oracle_bound(self) -> float:
        """Bound on every |∇f_t| in the problem's (scaled) coordinates: C·max(scales)."""
        return self.C * (1.0 if self.scales is None else float(self.scales.max()))

    # -------------------------------------------------------------- online objective
    def _played(self, xs) -> np.ndarray:
        xs = np.asarray(xs, dtype=np.float64)
        if xs.ndim == 3:
            if xs.shape[2] != 1:
                raise ValueError(f"xs must have shape (T, replicates) or (T, replicates, 1), got {xs.shape}")
            xs = xs[:, :, 0]
        if xs.ndim != 2:
            raise ValueError(f"xs must have shape (T, replicates) or (T, replicates, 1), got {xs.shape}")
        return xs if self.scales is None else xs * self.scales[0]

    def loss(self, x: np.ndarray, t: int) -> np.ndarray:
        """Per-step loss :math:`f_t(x)` at a batch x of shape (replicates, 1), shape (replicates,)."""
        x = V.points("x", x, self.dim)
        z = x[:, 0] if self.scales is None else x[:, 0] * self.scales[0]
        return self.gradient_at(t) * z

    def average_regret(self, xs) -> np.ndarray:
        r"""Average regret :math:`R_T/T` of the points :math:`x_1, \dots, x_T` played at t = 1..T.

        ``xs`` has shape (T, replicates) or (T, replicates, 1); ``xs[t-1]`` is the point at
        which :math:`f_t` was evaluated. With linear losses
        :math:`R_T = \sum_t g_t x_t - \min_{x \in [-1,1]} S_T x = \sum_t g_t x_t + |S_T|`,
        :math:`S_T = \sum_{t \le T} g_t`. Returns shape (replicates,).
        """
        z = self._played(xs)
        T = z.shape[0]
        if T < 1:
            raise ValueError("xs must contain at least one step")
        g = np.where(np.arange(1, T + 1) % 3 == 1, self.C, -1.0)
        return (g @ z + abs(g.sum())) / T
