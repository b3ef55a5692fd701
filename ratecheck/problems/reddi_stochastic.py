r"""Reddi, Kale & Kumar's stochastic counterexample to Adam (ICLR 2018, Theorem 3).

On the domain [−1, 1] (project after each step), each query draws

.. math::  f_t(x) = \begin{cases} C x & \text{with probability } p = \frac{1+\delta}{C+1} \\
                                   -x & \text{otherwise,} \end{cases}

so the stochastic gradient is C or −1 and

.. math::  F(x) = \mathbb E f_t(x) = \big(pC - (1-p)\big)x = \big(p(C+1) - 1\big)x = \delta x,

with ``x_star = -1`` and ``f_star = -δ``. Parameters: ``C`` > δ (so that p < 1) and
``delta`` > 0 (so that −1 is the unique minimiser).

Declared constants: ``L = 0``, ``H = 0`` (F is linear), ``G = δ`` (Lipschitz constant of F;
every stochastic gradient is bounded by max(C, 1), see :attr:`ReddiStochastic.oracle_bound`),
and the exact variance of the two-point law

.. math::  \sigma^2 = pC^2 + (1-p) - \delta^2 = p(C^2-1) + 1 - \delta^2
           = (1+\delta)(C-1) + (1-\delta)(1+\delta) = (1+\delta)(C-\delta).

The default start is x₀ = 0.

Theoretical guarantee (Reddi et al. 2018, Theorem 3): for any β1, β2 ∈ [0, 1) with
β1 < √β2 there is a (large) C for which Adam does not converge to x* = −1 on this
problem; AMSGrad converges (Theorem 4 and its stochastic corollary). The defaults
C = 3, δ = 1/2 (p = 3/8) are not the paper's large-C construction but already defeat
Adam with β1 = 0, β2 = 1/(1 + C²), :math:`\alpha_t = 0.5/\sqrt t`, while AMSGrad with the
same hyperparameters reaches −1 within about 10³ steps (measured: median over 64
replicates −0.99 at 10³ steps, Adam +0.97). With β1 = 0 and a small β2, Adam's step is close to
:math:`-\alpha_t \operatorname{sign}(g_t)`, whose mean drift :math:`\alpha_t(1 - 2p)` points
to +1 whenever p < 1/2.

References
----------
S. J. Reddi, S. Kale, S. Kumar. On the convergence of Adam and beyond. ICLR 2018,
Theorem 3 (stochastic counterexample), Algorithm 2 and Theorem 4 (AMSGrad).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from ._fixed_dim import one_dimensional
from .base import GradientPiece, Problem


@dataclass(frozen=True, kw_only=True)
class ReddiStochastic(Problem):
    """Reddi et al. stochastic counterexample: gradient C w.p. (1+δ)/(C+1), else −1; F = δx on [−1, 1]."""

    dim: int = 1
    C: float = 3.0
    delta: float = 0.5

    name: ClassVar[str] = "reddi_stochastic"
    reference: ClassVar[str] = ("Reddi, Kale & Kumar, ICLR 2018, Thm. 3: Adam fails for some C "
                                "whenever β1 < √β2; AMSGrad converges to x* = −1")
    category: ClassVar[str] = "counterexample"
    convex: ClassVar[bool] = True

    def _setup(self):
        one_dimensional(self.name, self.dim)
        self._set("delta", V.positive("delta", self.delta))
        C = V.real("C", self.C)
        if not C > self.delta:
            raise ValueError(f"C must be > delta = {self.delta} so that p = (1+delta)/(C+1) < 1, got {C}")
        self._set("C", C)

    @property
    def p(self) -> float:
        """Probability of the large gradient C."""
        return (1.0 + self.delta) / (self.C + 1.0)

    def _value(self, z):
        return self.delta * z[:, 0]

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("c0")

    def kernel_parameters(self) -> tuple:
        return np.zeros((2, self.dim)), float(self.delta), 0.0

    def _grad(self, z):
        return np.full(z.shape, self.delta)

    oracle_kind: ClassVar[str] = "random"

    def _oracle(self, z, rng, t):
        return self._random_oracle(rng, z.shape)

    def _random_oracle(self, rng, shape):
        threshold, hi, lo = self._two_point()
        g = rng.random(shape)
        return np.where(g < threshold, hi, lo)

    def _two_point(self):
        """The oracle is ``hi if u < threshold else lo`` with u = rng.random()."""
        return self.p, self.C, -1.0

    def _constants(self):
        d = self.delta
        return {"L": 0.0, "H": 0.0, "G": d, "sigma2": (1.0 + d) * (self.C - d),
                "f_star": -d, "x_star": np.array([-1.0])}

    def _domain(self):
        return np.array([-1.0]), np.array([1.0])

    @property
    def oracle_bound(self) -> float:
        """Bound on every |g| in the problem's (scaled) coordinates: max(C, 1)·max(scales)."""
        return max(self.C, 1.0) * (1.0 if self.scales is None else float(self.scales.max()))
