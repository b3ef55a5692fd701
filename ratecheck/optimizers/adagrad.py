r"""AdaGrad (Duchi, Hazan & Singer 2011), diagonal version, in the torch.optim.Adagrad convention.

Algorithm
---------
With :math:`g_t` the stochastic gradient, :math:`t \ge 1` the update count,
:math:`v_0 = ` ``initial_accumulator_value`` and δ = ``lr_decay``,

.. math::

    v_t = v_{t-1} + g_t^2, \qquad
    \tilde\alpha_t = \frac{\alpha_t}{1 + (t-1)\,\delta}, \qquad
    x_t = x_{t-1} - \tilde\alpha_t\,\frac{g_t}{\sqrt{v_t} + \epsilon},

ε *outside* the root, exactly ``torch.optim.Adagrad`` for a constant ``lr`` (defaults
lr = 1e-2, lr_decay = 0, initial_accumulator_value = 0, ε = 1e-10). With ε = 0, a coordinate
whose accumulator is still 0 (hence :math:`g_t = 0` there) does not move (0/0 := 0).

Theoretical guarantee
---------------------
Online convex optimisation on a domain of diameter D: regret
:math:`O(D \sum_i \|g_{1:T,i}\|_2) \le O(DG\sqrt{dT})` with a constant step
(Duchi et al. 2011; theorem number (unverified)), hence :math:`E F(\bar x_T) - F^\star = O(1/\sqrt T)` for the
average of the iterates; the √T regret is optimal (see the theory reference's rate table).

References
----------
J. Duchi, E. Hazan, Y. Singer. Adaptive subgradient methods for online learning and stochastic
optimization. JMLR 12, 2011 (diagonal update).
torch.optim.Adagrad (PyTorch 2.x), single-tensor implementation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .adam import TINY
from .base import ElementStep, Optimizer, State


#: AdaGrad's step of one coordinate: v (A0) += g², o1 ε > 0; sc0 = −α_t/(1 + (t−1)δ)
ADAGRAD_STEP = ElementStep(uses=(("A0", "True"),), update="""
v = A0[i, j] + g * g
A0[i, j] = v
den = math.sqrt(v)
if o1:
    den = den + fp0
else:
    den = nmax(den, TINY)
xn = xi + (g / den) * sc0
""")


@dataclass(frozen=True)
class Adagrad(Optimizer):
    """Diagonal AdaGrad; torch.optim.Adagrad convention (ε outside the root, ``lr_decay``)."""

    lr: object = 1e-2
    lr_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    eps: float = 1e-10

    name: ClassVar[str] = "adagrad"
    reference: ClassVar[str] = "Duchi, Hazan & Singer, JMLR 2011; torch.optim.Adagrad convention"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "lr_decay", V.nonnegative("lr_decay", self.lr_decay))
        object.__setattr__(self, "initial_accumulator_value",
                           V.nonnegative("initial_accumulator_value", self.initial_accumulator_value))
        object.__setattr__(self, "eps", V.nonnegative("eps", self.eps))

    def _init_buffers(self, state: State) -> None:
        state.v = np.full_like(state.x, self.initial_accumulator_value)
        state._tmp = np.empty_like(state.x)
        state._den = np.empty_like(state.x)

    kernel_step: ClassVar[ElementStep] = ADAGRAD_STEP

    def kernel_fixed(self, state: State) -> tuple:
        return (state.v, None, None, None), [self.eps], {"o1": self.eps > 0.0}

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        SC = np.zeros((n, 4))
        for k in range(n):
            t = t0 + k
            SC[k, 0] = -(self.lr(t) / (1.0 + (t - 1) * self.lr_decay))
        return SC

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        t = state.t
        clr = self.lr(t) / (1.0 + (t - 1) * self.lr_decay)
        v, den, tmp = state.v, state._den, state._tmp
        np.multiply(g, g, out=tmp)
        v += tmp
        np.sqrt(v, out=den)
        if self.eps > 0.0:
            den += self.eps
        else:
            np.maximum(den, TINY, out=den)  # 0/0 := 0 where v = 0 (then g = 0 too)
        np.divide(g, den, out=tmp)
        tmp *= -clr
        state.x += tmp
