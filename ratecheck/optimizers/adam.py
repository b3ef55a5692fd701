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

Weight decay λ = ``weight_decay`` (default 0): coupled, :math:`g_t \leftarrow g_t + \lambda x_{t-1}`
(``torch.optim.Adam(weight_decay=λ)``), or decoupled with ``decouple=True``,
:math:`x \leftarrow x(1-\alpha_t\lambda)` before the update (``torch.optim.AdamW``, and
``Adam(decoupled_weight_decay=True)``).

References
----------
D. P. Kingma, J. Ba. Adam: A method for stochastic optimization. ICLR 2015, Algorithm 1.
torch.optim.Adam (PyTorch 2.x), single-tensor implementation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .base import ElementStep, Optimizer, State

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


class WeightDecay:
    r"""Mixin: L2 weight decay λ = ``weight_decay`` ≥ 0 of an optimizer with fields ``weight_decay``
    and ``decouple`` (put it before :class:`Optimizer` in the bases and call
    :meth:`_check_weight_decay` from ``__post_init__``).

    * coupled (``decouple=False``): :math:`g_t \leftarrow g_t + \lambda x_{t-1}` before anything
      else, so the decay enters the first **and** second moments (torch ``Adam(weight_decay=λ)``);
      the iterates then minimise :math:`F + \tfrac\lambda2\|x\|^2` as far as the method does;
    * decoupled (``decouple=True``, AdamW): :math:`x \leftarrow x\,(1 - \alpha_t\lambda)` before
      the update (torch ``AdamW``: ``param.mul_(1 - lr * weight_decay)``); the fixed point is then
      where the normalised step balances α_t λ x, not a stationary point of any fixed objective.
    A claim on a problem with weight decay must say which one it ran.
    """

    def _check_weight_decay(self) -> None:
        object.__setattr__(self, "weight_decay", V.nonnegative("weight_decay", self.weight_decay))
        if not isinstance(self.decouple, bool):
            raise TypeError(f"decouple must be True or False, got {self.decouple!r}")

    def _coupled(self, state: State, g: np.ndarray) -> np.ndarray:
        """``g + λ x`` into a scratch buffer (``g`` itself when there is no coupled decay)."""
        if self.weight_decay == 0.0 or self.decouple:
            return g
        np.multiply(state.x, self.weight_decay, out=state._g)
        np.add(g, state._g, out=state._g)
        return state._g

    def decoupled_factor(self, lr: float) -> float:
        """The factor 1 − α_t λ (or 1 − λ with ``fixed_decay``) of decoupled decay."""
        return 1.0 - (self.weight_decay if getattr(self, "fixed_decay", False) else lr * self.weight_decay)

    def decay_flags(self) -> dict:
        """The compiled step's flags o5 (coupled decay) and o6 (decoupled decay)."""
        on = self.weight_decay > 0.0
        return {"o5": on and not self.decouple, "o6": on and self.decouple}

    def _decoupled(self, state: State, lr: float) -> None:
        """``x *= 1 − α_t λ`` (or ``1 − λ`` with ``fixed_decay``), when the decay is decoupled."""
        if self.weight_decay == 0.0 or not self.decouple:
            return
        state.x *= self.decoupled_factor(lr)

    def _apply_weight_decay(self, state: State, g: np.ndarray, lr: float) -> np.ndarray:
        """Both, in the torch order: decoupled decay of x, or the gradient with the coupled term."""
        self._decoupled(state, lr)
        return self._coupled(state, g)


#: Adam's step of one coordinate (AMSGrad and Adam + EMA share it): o1 AMSGrad's maximum in A2, o2 the torch
#: convention (den / c2), o3 ε > 0, o4 w1 < 0.5 (torch's lerp), o5/o6 coupled/decoupled weight decay
ADAM_STEP = ElementStep(uses=(("A0", "True"), ("A1", "True"), ("A2", "o1")), update="""
if o6:                                  # x ← x (1 − α_t λ)
    xi = xi * sc2
if o5:                                  # g ← g + λ x
    g = g + xi * fp5
m = A0[i, j]
d = g - m
if o4:
    m = m + d * fp0
else:
    m = g - d * fp1
A0[i, j] = m
v = A1[i, j] * fp2 + (g * fp3) * g
A1[i, j] = v
if o1:
    v = nmax(A2[i, j], v)
    A2[i, j] = v
den = math.sqrt(v)
if o2:
    den = den / sc0
if o3:
    den = den + fp4
else:
    den = nmax(den, TINY)
xn = xi + (m / den) * sc1
""")


@dataclass(frozen=True)
class Adam(WeightDecay, Optimizer):
    """Adam; torch.optim convention by default, ``convention="paper"`` for theory (no bias correction)."""

    lr: object = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float | None = None
    convention: str = "torch"
    weight_decay: float = 0.0
    decouple: bool = False

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
        self._check_weight_decay()

    def _init_buffers(self, state: State) -> None:
        x = state.x
        state.m = np.zeros_like(x)
        state.v = np.zeros_like(x)
        state._tmp = np.empty_like(x)
        state._den = np.empty_like(x)
        if self.weight_decay > 0.0 and not self.decouple:
            state._g = np.empty_like(x)

    def _second_moment(self, state: State) -> np.ndarray:
        """The second-moment array the denominator uses (AMSGrad overrides)."""
        return state.v

    def _step_scalars(self, t: int) -> tuple[float, float]:
        """``(c2, step_size)`` of update t: √(1−β2^t) and α_t/(1−β1^t) ("torch"), or (1, α_t)."""
        lr = self.lr(t)
        if self.convention == "torch":
            return (1.0 - self.beta2 ** t) ** 0.5, lr / (1.0 - self.beta1 ** t)
        return 1.0, lr

    kernel_step: ClassVar[ElementStep] = ADAM_STEP

    def kernel_fixed(self, state: State) -> tuple:
        w1 = 1.0 - self.beta1
        FP = [w1, 1.0 - w1, self.beta2, 1.0 - self.beta2, self.eps, self.weight_decay]
        flags = {"o1": self.name == "amsgrad", "o2": self.convention == "torch", "o3": self.eps > 0.0,
                 "o4": w1 < 0.5, **self.decay_flags()}
        return (state.m, state.v, getattr(state, "vhat", None), None), FP, flags

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        SC = np.zeros((n, 4))
        for k in range(n):
            c2, step = self._step_scalars(t0 + k)
            SC[k, 0], SC[k, 1] = c2, -step
            if self.weight_decay > 0.0 and self.decouple:
                SC[k, 2] = self.decoupled_factor(self.lr(t0 + k))
        return SC

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        c2, step_size = self._step_scalars(state.t)
        if self.weight_decay > 0.0:
            g = self._apply_weight_decay(state, g, self.lr(state.t))
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
