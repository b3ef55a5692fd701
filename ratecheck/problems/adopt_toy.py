r"""The ADOPT toy problem: a rare large gradient that defeats Adam for small β2.

On the domain [−1, 1] (project after each step), starting at :math:`\theta_0 = 0`, each
query draws

.. math::  f_t(\theta) = \begin{cases} k^2\theta & \text{with probability } 1/k \\
                                        -k\theta & \text{otherwise,} \end{cases}
           \qquad k \ge 1,

so the stochastic gradient is :math:`k^2` or :math:`-k` and

.. math::  F(\theta) = \mathbb E f_t(\theta) = \big(k - k(1 - 1/k)\big)\theta = \theta,

with ``x_star = -1`` and ``f_star = -1``. It is Reddi et al.'s stochastic counterexample
scaled by k (C = k, δ = 1/k).

Declared constants: ``L = 0``, ``H = 0``, ``G = 1`` (Lipschitz constant of F; every
stochastic gradient is bounded by k², see :attr:`AdoptToy.oracle_bound`), and the exact
variance of the two-point law

.. math::  \sigma^2 = \tfrac1k k^4 + (1 - \tfrac1k)k^2 - 1 = k^3 + k^2 - k - 1 = (k-1)(k+1)^2.

Settings as reproduced by a third party from the ADOPT paper (the paper's exact settings
are (unverified)): k ∈ {10, 50}, β1 = 0.9, β2 ∈ {0.1, 0.5, 0.999},
:math:`\alpha_t = 0.01/\sqrt{1 + 0.01\,t}` (schedule ``inv_sqrt_affine`` with lr = 0.01,
c = 0.01), 2·10⁶ steps, 1000 runs, no ε and no bias correction. Reported median θ for
k = 10: Adam → +1 for β2 = 0.1 and 0.5 and → −1 for β2 = 0.999; AMSGrad → −1 for all β2
(slowly); ADOPT → −1 almost at once. A shorter check (k = 10, 2·10⁵ steps, 200 runs) gave
median θ for β2 = 0.1/0.5/0.999: Adam +0.994/+0.999/−0.998, AMSGrad −0.848/−0.867/−0.999,
ADOPT −0.995/−0.995/−0.998.

Measured caveat (clipped ADOPT). With the official clipping :math:`c_t = t^{1/4}`, ADOPT
first drifts the *wrong* way here (k = 10, β2 = 0.1): after a gradient −k the normaliser
is about k, so a rare gradient k² is normalised to k but clipped to :math:`c_t`, and the
expected normalised step :math:`0.1\min(k, c_t) - 0.9` stays negative until
:math:`c_t > 9`, i.e. t > 6561. A simulation (200 runs, the schedule above, no
projection) gave median θ of +1.64 at t = 10³, +2.48 at 10⁴ and −1.08 at 10⁵ for clipped
ADOPT, against −0.40, −1.48, −5.05 unclipped; with projection on [−1, 1], clipped ADOPT
sits near +1 until about 10⁴ steps and reaches −0.99 by 10⁵. The unclipped (original
paper) version goes the right way at once. A reproduction must say which variant it ran,
and over what horizon.

Theoretical guarantee (Taniguchi et al. 2024): ADOPT converges at O(1/√T) on smooth
nonconvex problems for any β2 ∈ [0, 1), needing only a bounded second moment of g (the
precise measure and schedule of the theorem are (unverified)).

References
----------
S. Taniguchi et al. ADOPT: Modified Adam can converge with any β2 with the optimal rate.
NeurIPS 2024 (toy problem of the experiments section).
S. J. Reddi, S. Kale, S. Kumar. On the convergence of Adam and beyond. ICLR 2018, Theorem 3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from ._fixed_dim import one_dimensional
from .base import GradientPiece, Problem


@dataclass(frozen=True, kw_only=True)
class AdoptToy(Problem):
    """ADOPT toy problem: gradient k² w.p. 1/k, else −k; F(θ) = θ on [−1, 1], θ* = −1."""

    dim: int = 1
    k: float = 10.0

    name: ClassVar[str] = "adopt_toy"
    reference: ClassVar[str] = ("Taniguchi et al., NeurIPS 2024, toy problem: Adam fails for small β2, "
                                "ADOPT converges to θ* = −1 for any β2")
    category: ClassVar[str] = "counterexample"
    convex: ClassVar[bool] = True

    def _setup(self):
        one_dimensional(self.name, self.dim)
        self._set("k", V.real("k", self.k, low=1.0))

    def _value(self, z):
        return z[:, 0].copy()

    kernel_gradient: ClassVar[GradientPiece] = GradientPiece("c0")

    def kernel_parameters(self) -> tuple:
        return np.zeros((2, self.dim)), 1.0, 0.0                  # np.ones

    def _grad(self, z):
        return np.ones(z.shape)

    oracle_kind: ClassVar[str] = "random"

    def _oracle(self, z, rng, t):
        return self._random_oracle(rng, z.shape)

    def _random_oracle(self, rng, shape):
        threshold, hi, lo = self._two_point()
        u = rng.random(shape)
        return np.where(u < threshold, hi, lo)

    def _two_point(self):
        """The oracle is ``hi if u < threshold else lo`` with u = rng.random()."""
        k = self.k
        return 1.0 / k, k * k, -k

    def _constants(self):
        k = self.k
        return {"L": 0.0, "H": 0.0, "G": 1.0, "sigma2": (k - 1.0) * (k + 1.0) ** 2,
                "f_star": -1.0, "x_star": np.array([-1.0])}

    def _domain(self):
        return np.array([-1.0]), np.array([1.0])

    @property
    def oracle_bound(self) -> float:
        """Bound on every |g| in the problem's (scaled) coordinates: k²·max(scales)."""
        return self.k ** 2 * (1.0 if self.scales is None else float(self.scales.max()))
