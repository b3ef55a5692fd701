r"""Online convex losses on a box: the weighted ℓ1 distance plus a bounded random linear term.

At step t the learner plays :math:`x_t` in the box :math:`\mathcal F = [-r, r]^d` (projected
after each step) and receives the gradient of

.. math::  f_t(x) = \sum_{i=1}^d w_i\,|x_i - c_i| + \langle \xi_t, x\rangle,

with :math:`\xi_t` the problem's noise (i.i.d., mean 0). So :math:`\mathbb E f_t = F`, the
:mod:`ratecheck.problems.l1` objective, with :math:`F^\star = 0` at :math:`x^\star = c`. With a
**bounded** noise law (``uniform`` or ``rademacher``) every :math:`f_t` is convex with
:math:`\|\nabla f_t\|_\infty \le \max_i w_i + \|\xi\|_\infty` and the domain is bounded
(:math:`\|x - x^\star\|_\infty \le 2r`): the hypotheses of the online convex regret theorems
(AdaM³ Theorem 4, AMSGrad Theorem 4 of Reddi et al.). Gaussian noise leaves them (unbounded
gradients).

Regret. The simulator records ``avg_gap`` :math:`= \frac1T\sum_{t<T}(F(x_t) - F^\star)`
(running, every step) for this family. Since :math:`x_t` is chosen before :math:`\xi_t` is drawn,
:math:`\mathbb E\,[f_t(x_t) - f_t(x^\star)] = \mathbb E\,[F(x_t) - F^\star]`, so
:math:`\mathbb E\,\texttt{avg\_gap}(T) = \mathbb E\,R_T(x^\star)/T`, the expected average regret
against the fixed comparator :math:`x^\star`; it is at most the expected regret against the best
point in hindsight, :math:`\mathbb E R_T/T`, which the theorems bound for every sequence. An
upper-bound claim on ``avg_gap`` therefore tests a consequence of those theorems (an i.i.d.
sequence is one admissible sequence, a benign one).

Parameters and constants are those of ``l1`` (``weights``, ``center``, ``radius``; declared
``G = ‖w‖₂``, ``f_star = 0``, ``x_star = c``, ``D``), except that the box is required
(default ``radius = 1``).

References
----------
M. Zinkevich. Online convex programming and generalized infinitesimal gradient ascent. ICML 2003.
Y. Wang et al. Momentum is all you need for data-driven adaptive optimization. ICDM 2023,
supplement Theorem 4 and Corollary 2 (bounded domain D∞, bounded gradients G∞).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import GradientPiece
from .l1 import L1


@dataclass(frozen=True, kw_only=True)
class OnlineL1(L1):
    """Online convex losses f_t = Σ w_i|x_i − c_i| + ⟨ξ_t, x⟩ on the box [−radius, radius]^d; records avg_gap."""

    radius: float | None = 1.0

    name: ClassVar[str] = "online_l1"
    reference: ClassVar[str] = ("online convex, bounded domain and (with bounded noise) bounded gradients; "
                                "E avg_gap = expected average regret against x* (Zinkevich 2003)")
    category: ClassVar[str] = "online convex"
    convex: ClassVar[bool] = True
    regret: ClassVar[bool] = True
    kernel_gradient: ClassVar[GradientPiece] = L1.kernel_gradient

    def _setup(self):
        if self.radius is None:
            raise ValueError("online_l1 needs a bounded domain: give radius > 0 (the box [-radius, radius]^dim)")
        super()._setup()
