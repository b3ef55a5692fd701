r"""Arjevani et al.'s probabilistic zero-chain: the stochastic ΔLσ²ε⁻⁴ lower-bound instance.

The function is the scaled Carmon chain of :mod:`ratecheck.problems.carmon_chain`,
:math:`F(x) = \frac{L\lambda^2}{152}\bar F_T(x/\lambda)` with λ = 152ε/L (same
parameters ``dim`` = T, ``L``, ``eps`` and the same declared L, G, f_star, Delta). Only the
oracle differs: with **one** :math:`\xi \sim \mathrm{Bernoulli}(p)` per replicate per query
and :math:`y = x/\lambda`,

.. math::  [g(x;\xi)]_i = \nabla_i F(x)\,\Big(1 + \mathbb 1\{i > \mathrm{prog}_{1/4}(y)\}
           \big(\tfrac{\xi}{p} - 1\big)\Big).

Properties (derivations):

* Unbiased: :math:`\mathbb E[\xi/p] = 1`.
* Zero chain: :math:`\nabla_i F = 0` for :math:`i > \mathrm{prog}_{1/4}(y) + 1` (both
  :math:`|y_{i-1}|, |y_i| \le 1/4 \le 1/2`), so only coordinate :math:`j + 1`,
  :math:`j = \mathrm{prog}_{1/4}(y)`, is multiplied by :math:`\xi/p`: it is revealed with
  probability p, and hidden (0) otherwise.
* Variance: :math:`\mathbb E\|g - \nabla F\|^2 = (\nabla_{j+1}F)^2\,\mathrm{Var}(\xi/p)
  = (\nabla_{j+1}F)^2(1-p)/p \le (23\varepsilon)^2(1-p)/p`, the declared ``sigma2``
  (the unscaled bound :math:`23^2(1-p)/p` times :math:`(L\lambda/152)^2 = \varepsilon^2`).

ξ is drawn once per query and replicate, not once per coordinate (the reading of the
paper's oracle used here, (unverified) against the paper's text); since at most one
coordinate is affected, a per-coordinate draw would give the same law of g. It is
:math:`\xi = \mathbb 1\{u < p\}` with u uniform, ``rng.random(rows)``: the draw depends on neither
x nor t (only what it multiplies does), so the simulator draws the uniforms of many steps at once
(``oracle_kind = "row_uniform"``) and the NumPy engine runs this problem; a compiled kernel applies
them with :func:`ratecheck.sim.chain_math.arjevani_row`.

Theoretical guarantee (Arjevani et al. 2023, Theorem 1, theorem number (unverified)): with λ ∝ ε/L, T ∝ LΔ/ε² and
p ∝ ε²/σ² (so that the variance bound equals σ²), any zero-respecting randomized
algorithm needs about T/p = Ω(ΔLσ² ε⁻⁴) queries to find an ε-stationary point: each
coordinate takes on average 1/p queries to be discovered. SGD attains this rate
(Ghadimi & Lan 2013).

References
----------
Y. Arjevani, Y. Carmon, J. C. Duchi, D. J. Foster, N. Srebro, B. Woodworth. Lower bounds for
non-convex stochastic optimization. Mathematical Programming 199, 2023: the probabilistic
zero-chain oracle and the ε⁻⁴ lower bound (Sec. 3 and Theorem 1; numbers (unverified)).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .base import RowGradient
from .carmon_chain import GRAD_INF, CarmonChain, chain_grad, progress


@dataclass(frozen=True, kw_only=True)
class ArjevaniChain(CarmonChain):
    """Arjevani et al. probabilistic zero-chain: Carmon's chain, next coordinate revealed w.p. p."""

    p: float = 0.1

    name: ClassVar[str] = "arjevani_chain"
    reference: ClassVar[str] = ("Arjevani, Carmon, Duchi, Foster, Srebro & Woodworth, Math. Prog. 2023, "
                                "Ω(ΔLσ²ε⁻⁴) for stochastic first-order methods")
    category: ClassVar[str] = "hard instance"
    convex: ClassVar[bool] = False
    #: one ξ per replicate from one uniform u (ξ = 1{u < p}); which coordinate it multiplies depends on x,
    #: the draw itself does not, so the simulator can draw it ahead
    oracle_kind: ClassVar[str] = "row_uniform"

    def _setup(self):
        super()._setup()
        self._set("p", V.real("p", self.p, low=0.0, high=1.0, low_open=True))

    def _oracle(self, z, rng, t):
        return self._row_uniform_oracle(z, rng.random(z.shape[0]))

    def _row_uniform_oracle(self, z, u):
        r"""g(x; ξ) at z (scaled) with ξ = 1{u < p}, one uniform u per row.

        Only the first hidden coordinate, 0-based :math:`j = \mathrm{prog}_{1/4}(y)`, is multiplied
        by ξ/p: the code's gradient at every later one is −0.0 (or NaN, next to a NaN), whose bits a
        product with ξ/p ∈ {0, 1/p} keeps, and a product with 1 keeps every bit, so this gives the bits
        of multiplying all hidden coordinates (tests/test_chain_math.py checks it). A compiled kernel
        does the same: ``g[j] *= (1.0 if u < p else 0.0) / p`` where j < dim.
        """
        y = z / self.lam
        g = chain_grad(y)
        g *= self.eps                                    # L λ / 152 = ε, as in CarmonChain._grad
        j = progress(y)                                  # 1-based prog = 0-based first hidden coordinate
        rows = np.flatnonzero(j < self.dim)
        g[rows, j[rows]] *= (u[rows] < self.p) / self.p  # ξ/p
        return g

    #: the numba engine's gradient of a row (the chain's) and oracle given the row's uniform u
    #: (sim.chain_math.arjevani_row), with P = [p], c0 = λ, c1 = ε
    kernel_gradient: ClassVar[RowGradient] = RowGradient(CarmonChain.kernel_gradient.source + """
def roworacle(z, g, P, c0, c1, w, u):
    arjevani_row(z, c0, c1, P[0], u, g, w.reshape(3, z.size))
""", work="3 * dim", chain_math=True)

    def kernel_parameters(self) -> tuple:
        return np.array([self.p]), self.lam, self.eps

    def _constants(self):
        c = super()._constants()
        c["sigma2"] = (GRAD_INF * self.eps) ** 2 * (1.0 - self.p) / self.p
        return c

    def oracle_variance(self, x: np.ndarray) -> np.ndarray:
        r"""Exact :math:`\mathbb E\|g - \nabla F\|^2 = (\nabla_{j+1}F)^2(1-p)/p` per replicate
        (intrinsic oracle only, in the problem's coordinates)."""
        x = V.points("x", x, self.dim)
        g = self.grad(x)
        j = self.progress(x)
        nxt = np.where(j < self.dim, g[np.arange(x.shape[0]), np.minimum(j, self.dim - 1)], 0.0)
        return nxt ** 2 * (1.0 - self.p) / self.p
