r"""Adam (Kingma & Ba, 2015), in the torch.optim convention or the paper convention.

Algorithm
---------
With :math:`g_t` the stochastic gradient and :math:`t \ge 1` the update count,

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,

* ``convention="torch"`` (default, exactly ``torch.optim.Adam`` with a constant
  ``lr``): :math:`x_t = x_{t-1} - \alpha_t\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}`,
  ε *outside* the root, after bias correction; default ε = 1e-8. The first step is
  exactly :math:`-\alpha\,g_1/(|g_1| + \epsilon)`. The operations follow torch's
  order (``lerp`` for m, ``mul``/``addcmul`` for v, ``sqrt(v)/sqrt(bc2) + eps``).
* ``convention="paper"`` (Reddi et al. 2018; Ahn & Cutkosky 2024):
  :math:`x_t = x_{t-1} - \alpha_t\, m_t / (\sqrt{v_t} + \epsilon)`, no bias correction,
  default ε = 0. Where :math:`v_t = 0` (hence :math:`m_t = 0`) the step is 0.

With ``beta1=0`` and ``convention="paper"`` this is RMSprop.

References
----------
D. P. Kingma, J. Ba. Adam: A method for stochastic optimization. ICLR 2015, Algorithm 1.
torch.optim.Adam (PyTorch 2.x), single-tensor implementation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as V
from .base import Optimizer, State

TINY = np.finfo(np.float64).tiny


def ema_update(avg: np.ndarray, value: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """``avg <- avg + weight * (value - avg)`` in place, as ``torch.lerp_`` computes it."""
    np.subtract(value, avg, out=tmp)
    if weight < 0.5:
        tmp *= weight
        avg += tmp
    else:
        tmp *= 1.0 - weight
        np.subtract(value, tmp, out=avg)


def ema_square_update(v: np.ndarray, g: np.ndarray, beta2: float, tmp: np.ndarray) -> None:
    """``v <- beta2 * v + (1 - beta2) * g**2`` in place (torch ``mul_``/``addcmul_`` order)."""
    v *= beta2
    np.multiply(g, 1.0 - beta2, out=tmp)
    tmp *= g
    v += tmp


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adam; torch.optim convention by default, ``convention="paper"`` for theory (no bias correction)."""

    lr: object = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float | None = None
    convention: str = "torch"

    name: ClassVar[str] = "adam"
    reference: ClassVar[str] = ("Kingma & Ba, ICLR 2015, Alg. 1; torch.optim.Adam convention "
                                "(bias correction, eps outside the root) or the paper one")
    conventions: ClassVar[tuple[str, ...]] = ("torch", "paper")

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "beta1", V.beta("beta1", self.beta1))
        object.__setattr__(self, "beta2", V.beta("beta2", self.beta2))
        object.__setattr__(self, "convention", V.choice("convention", self.convention, self.conventions))
        if self.eps is None:
            object.__setattr__(self, "eps", 1e-8 if self.convention == "torch" else 0.0)
        object.__setattr__(self, "eps", V.nonnegative("eps", self.eps))

    def _init_buffers(self, state: State) -> None:
        x = state.x
        state.m = np.zeros_like(x)
        state.v = np.zeros_like(x)
        state._tmp = np.empty_like(x)
        state._den = np.empty_like(x)

    def _second_moment(self, state: State) -> np.ndarray:
        """The second-moment array the denominator uses (AMSGrad overrides)."""
        return state.v

    def _step_scalars(self, t: int) -> tuple[float, float]:
        """``(c2, step_size)`` of update t: √(1−β2^t) and α_t/(1−β1^t) ("torch"), or (1, α_t)."""
        lr = self.lr(t)
        if self.convention == "torch":
            return (1.0 - self.beta2 ** t) ** 0.5, lr / (1.0 - self.beta1 ** t)
        return 1.0, lr

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        c2, step_size = self._step_scalars(state.t)
        ema_update(state.m, g, 1.0 - self.beta1, state._tmp)
        ema_square_update(state.v, g, self.beta2, state._tmp)
        den, tmp = state._den, state._tmp
        np.sqrt(self._second_moment(state), out=den)
        if self.convention == "torch":
            den /= c2
        if self.eps > 0.0:
            den += self.eps
        else:
            np.maximum(den, TINY, out=den)  # 0/0 := 0 where v = 0 (then m = 0 too)
        np.divide(state.m, den, out=tmp)
        tmp *= -step_size
        state.x += tmp
