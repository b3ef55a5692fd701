r"""SGD with heavy-ball/Nesterov momentum (torch.optim.SGD semantics) and output averaging.

Algorithm
---------
With :math:`g_t` the stochastic gradient at :math:`x_{t-1}` and :math:`t \ge 1` the update count,

* ``momentum=0``: :math:`x_t = x_{t-1} - \alpha_t g_t`.
* ``form="torch"`` (default, exactly ``torch.optim.SGD`` with a constant ``lr``):
  :math:`b_1 = g_1` (no dampening on the first step),
  :math:`b_t = \mu b_{t-1} + (1-\tau) g_t` for :math:`t \ge 2`
  (μ = ``momentum``, τ = ``dampening``), and
  :math:`x_t = x_{t-1} - \alpha_t d_t` with :math:`d_t = b_t`, or
  :math:`d_t = g_t + \mu b_t` when ``nesterov=True`` (torch requires τ = 0 then).
* ``form="ema"`` (the form of most theory papers): :math:`m_0 = 0`,
  :math:`m_t = \beta m_{t-1} + (1-\beta) g_t` with β = ``momentum``, and
  :math:`d_t = m_t`, or :math:`d_t = \beta m_t + (1-\beta) g_t` when ``nesterov=True``.

The two forms are the same algorithm up to the step size: with τ = 0,
:math:`b_t = \sum_{s \le t} \beta^{t-s} g_s` and :math:`m_t = (1-\beta) b_t`, so
``form="ema"`` with step α equals ``form="torch"`` with step α(1 − β) (Nesterov too).

Output averaging (the measured point, through :attr:`Optimizer.output`): with
:math:`\bar x_0 = x_0` and :math:`\bar x_t = \bar x_{t-1} + a_t (x_t - \bar x_{t-1})`,

* ``average="none"``: the last iterate is measured;
* ``average="uniform"`` (Polyak–Ruppert): :math:`a_t = 1/t`, i.e.
  :math:`\bar x_t = \frac1t \sum_{s=1}^t x_s` (the start :math:`x_0` is not included);
* ``average="polynomial"`` (polynomial-decay averaging of Shamir & Zhang 2013):
  :math:`a_t = (\eta + 1)/(t + \eta)` with η = ``average_eta`` ≥ 0 (η = 0 is the uniform
  average; larger η weights recent iterates more, the weight of :math:`x_s` in
  :math:`\bar x_t` being proportional to about :math:`s^\eta`).

Theoretical guarantee
---------------------
Stochastic L-smooth nonconvex, variance σ²: with :math:`\alpha = \min(1/L, c/\sqrt T)`,
:math:`\min_{t<T} E\|\nabla F(x_t)\|^2 = O(\sqrt{L\Delta\sigma^2/T} + L\Delta/T)`
(Ghadimi & Lan 2013, for a randomly chosen iterate; corollary number (unverified)), optimal by
Arjevani et al. 2023. μ-strongly convex, G-Lipschitz
(nonsmooth): with :math:`\alpha_t = 1/(\mu t)`, polynomial-decay averaging gives
:math:`E F(\bar x_T) - F^\star = O(G^2/(\mu T))` without the :math:`\log T` factor of the uniform
average (Shamir & Zhang 2013; the theorem number and constants are (unverified)).

References
----------
torch.optim.SGD (PyTorch 2.x), single-tensor implementation (defaults lr=1e-3, momentum=0,
dampening=0, nesterov=False).
B. T. Polyak, A. B. Juditsky. Acceleration of stochastic approximation by averaging. SIAM J.
Control Optim. 30(4), 1992.
O. Shamir, T. Zhang. Stochastic gradient descent for non-smooth optimization: convergence
results and optimal averaging schemes. ICML 2013 (polynomial-decay averaging).
S. Ghadimi, G. Lan. Stochastic first- and zeroth-order methods for nonconvex stochastic
programming. SIAM J. Optim. 23(4), 2013.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .adam import ema_update
from .base import ElementStep, Optimizer, State


#: SGD's step of one coordinate: o1 momentum > 0, o2 Nesterov, o3 the EMA form, o4 w < 0.5 (lerp),
#: o5 dampening > 0; sc0 = −α_t, sc1 ≠ 0 on the first step (torch: b₁ = g₁)
SGD_STEP = ElementStep(uses=(("A0", "o1"),), update="""
if o1:
    m = A0[i, j]
    if o3:                              # EMA form
        d = g - m
        if o4:
            m = m + d * fp2
        else:
            m = g - d * fp3
        if o2:
            u = (m - g) * fp0 + g
        else:
            u = m
    else:                               # torch form
        if sc1 != 0.0:
            m = g
        elif o5:
            m = m * fp0 + g * fp1
        else:
            m = m * fp0 + g
        if o2:
            u = m * fp0 + g
        else:
            u = m
    A0[i, j] = m
    xn = xi + u * sc0
else:
    xn = xi + g * sc0
""")


@dataclass(frozen=True)
class SGD(Optimizer):
    """SGD with momentum (torch or EMA form), Nesterov, and Polyak–Ruppert/polynomial averaging."""

    lr: object = 1e-3
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    form: str = "torch"
    average: str = "none"
    average_eta: float = 3.0

    name: ClassVar[str] = "sgd"
    reference: ClassVar[str] = ("torch.optim.SGD semantics (or EMA momentum); Polyak-Ruppert or "
                                "Shamir & Zhang (ICML 2013) polynomial-decay averaging")
    forms: ClassVar[tuple[str, ...]] = ("torch", "ema")
    averages: ClassVar[tuple[str, ...]] = ("none", "uniform", "polynomial")

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "momentum", V.beta("momentum", self.momentum))
        object.__setattr__(self, "dampening", V.real("dampening", self.dampening, low=0.0, high=1.0))
        object.__setattr__(self, "form", V.choice("form", self.form, self.forms))
        object.__setattr__(self, "average", V.choice("average", self.average, self.averages))
        object.__setattr__(self, "average_eta", V.nonnegative("average_eta", self.average_eta))
        if not isinstance(self.nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {self.nesterov!r}")
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError(f"nesterov=True needs momentum > 0 and dampening = 0 (as in torch), "
                             f"got momentum={self.momentum}, dampening={self.dampening}")
        if self.form == "ema" and self.dampening != 0.0:
            raise ValueError(f"dampening applies to form='torch' only (the EMA form is already "
                             f"damped by 1 - momentum), got dampening={self.dampening}")

    @property
    def output(self) -> str:
        return "iterate" if self.average == "none" else "average"

    def output_weight(self, t: int) -> float:
        if self.average == "uniform":
            return 1.0 / t
        if self.average == "polynomial":
            return (self.average_eta + 1.0) / (t + self.average_eta)
        return super().output_weight(t)

    def _init_buffers(self, state: State) -> None:
        if self.momentum > 0.0:
            state.m = np.zeros_like(state.x)
        state._tmp = np.empty_like(state.x)

    kernel_step: ClassVar[ElementStep] = SGD_STEP

    def kernel_fixed(self, state: State) -> tuple:
        w = 1.0 - self.momentum
        FP = [self.momentum, 1.0 - self.dampening, w, 1.0 - w]
        flags = {"o1": self.momentum != 0.0, "o2": self.nesterov, "o3": self.form == "ema", "o4": w < 0.5,
                 "o5": self.dampening != 0.0}
        return (getattr(state, "m", None), None, None, None), FP, flags

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        SC = np.zeros((n, 4))
        for k in range(n):
            SC[k, 0] = -self.lr(t0 + k)
            SC[k, 1] = float(t0 + k == 1)
        return SC

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        t = state.t
        lr = self.lr(t)
        beta, tmp = self.momentum, state._tmp
        if beta == 0.0:
            np.multiply(g, -lr, out=tmp)
            state.x += tmp
            return
        m = state.m
        if self.form == "torch":
            if t == 1:
                np.copyto(m, g)  # torch: buf = clone(grad), no dampening on the first step
            else:
                m *= beta
                if self.dampening == 0.0:
                    m += g
                else:
                    np.multiply(g, 1.0 - self.dampening, out=tmp)
                    m += tmp
            if self.nesterov:  # d = g + beta b
                np.multiply(m, beta, out=tmp)
                tmp += g
        else:
            ema_update(m, g, 1.0 - beta, tmp)
            if self.nesterov:  # d = beta m + (1 - beta) g = g + beta (m - g)
                np.subtract(m, g, out=tmp)
                tmp *= beta
                tmp += g
        if self.nesterov:
            tmp *= -lr
        else:
            np.multiply(m, -lr, out=tmp)
        state.x += tmp
