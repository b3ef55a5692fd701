r"""RMSprop (Tieleman & Hinton 2012) in the torch.optim.RMSprop convention.

Algorithm
---------
With :math:`g_t` the stochastic gradient and :math:`t \ge 1` the update count,

.. math::

    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
    x_t = x_{t-1} - \alpha_t\,\frac{g_t}{\sqrt{v_t} + \epsilon}

(ε *outside* the root, no bias correction). The decay is called ``alpha`` in torch
(default 0.99); it is named ``beta2`` here because it plays the role of Adam's β2: RMSprop is
Adam with β1 = 0 in the paper convention (no bias correction), and the two agree bit for bit.
Defaults follow torch: lr = 1e-2, β2 = 0.99, ε = 1e-8, no momentum, not centered.

Options, as in torch:

* ``centered=True``: also :math:`\bar g_t = \beta_2 \bar g_{t-1} + (1-\beta_2) g_t`, and the
  denominator is :math:`\sqrt{v_t - \bar g_t^2} + \epsilon` (the variance estimate; it is
  clamped at 0 against rounding, where torch would return NaN);
* ``momentum`` μ > 0: :math:`b_t = \mu b_{t-1} + g_t/(\text{denominator})`,
  :math:`x_t = x_{t-1} - \alpha_t b_t`.

With ε = 0, a coordinate whose denominator is 0 (hence :math:`g_t = 0` there) does not move
(0/0 := 0).

References
----------
T. Tieleman, G. Hinton. Lecture 6.5 -- RMSprop, COURSERA: Neural Networks for Machine Learning,
2012 (no paper).
torch.optim.RMSprop (PyTorch 2.x), single-tensor implementation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .adam import TINY, ema_square_update, ema_update
from .base import ElementStep, Optimizer, State


#: RMSprop's step of one coordinate: v (A0), o1 centered (ḡ in A1, lerp with weight 1 − β2, o4 when it is
#: below 1/2), o2 momentum (b in A2), o3 ε > 0; sc0 = −α_t
RMSPROP_STEP = ElementStep(uses=(("A0", "True"), ("A1", "o1"), ("A2", "o2")), update="""
v = A0[i, j] * fp0 + (g * fp1) * g
A0[i, j] = v
if o1:
    gb = A1[i, j]
    d = g - gb
    if o4:
        gb = gb + d * fp2
    else:
        gb = g - d * fp3
    A1[i, j] = gb
    den = math.sqrt(nmax(v - gb * gb, 0.0))
else:
    den = math.sqrt(v)
if o3:
    den = den + fp4
else:
    den = nmax(den, TINY)
u = g / den
if o2:
    b = A2[i, j] * fp5 + u
    A2[i, j] = b
    xn = xi + b * sc0
else:
    xn = xi + u * sc0
""")


@dataclass(frozen=True)
class RMSprop(Optimizer):
    """RMSprop; torch.optim.RMSprop convention with torch's ``alpha`` named ``beta2``."""

    lr: object = 1e-2
    beta2: float = 0.99
    eps: float = 1e-8
    momentum: float = 0.0
    centered: bool = False

    name: ClassVar[str] = "rmsprop"
    reference: ClassVar[str] = ("Tieleman & Hinton 2012; torch.optim.RMSprop convention "
                                "(torch's alpha is beta2 here)")

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "beta2", V.beta("beta2", self.beta2))
        object.__setattr__(self, "eps", V.nonnegative("eps", self.eps))
        object.__setattr__(self, "momentum", V.beta("momentum", self.momentum))
        if not isinstance(self.centered, bool):
            raise TypeError(f"centered must be True or False, got {self.centered!r}")

    def _init_buffers(self, state: State) -> None:
        x = state.x
        state.v = np.zeros_like(x)
        if self.centered:
            state.gbar = np.zeros_like(x)
        if self.momentum > 0.0:
            state.b = np.zeros_like(x)
        state._tmp = np.empty_like(x)
        state._den = np.empty_like(x)

    kernel_step: ClassVar[ElementStep] = RMSPROP_STEP

    def kernel_fixed(self, state: State) -> tuple:
        w = 1.0 - self.beta2
        FP = [self.beta2, 1.0 - self.beta2, w, 1.0 - w, self.eps, self.momentum]
        flags = {"o1": self.centered, "o2": self.momentum > 0.0, "o3": self.eps > 0.0, "o4": w < 0.5}
        return (state.v, getattr(state, "gbar", None), getattr(state, "b", None), None), FP, flags

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        SC = np.zeros((n, 4))
        for k in range(n):
            SC[k, 0] = -self.lr(t0 + k)
        return SC

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        lr = self.lr(state.t)
        den, tmp = state._den, state._tmp
        ema_square_update(state.v, g, self.beta2, tmp)
        if self.centered:
            ema_update(state.gbar, g, 1.0 - self.beta2, tmp)
            np.multiply(state.gbar, state.gbar, out=den)
            np.subtract(state.v, den, out=den)
            np.maximum(den, 0.0, out=den)
            np.sqrt(den, out=den)
        else:
            np.sqrt(state.v, out=den)
        if self.eps > 0.0:
            den += self.eps
        else:
            np.maximum(den, TINY, out=den)  # 0/0 := 0 where the denominator is 0 (then g = 0)
        np.divide(g, den, out=tmp)
        if self.momentum > 0.0:
            b = state.b
            b *= self.momentum
            b += tmp
            np.multiply(b, -lr, out=tmp)
        else:
            tmp *= -lr
        state.x += tmp
