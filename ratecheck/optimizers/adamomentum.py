r"""AdaMomentum (Wang et al., "Rethinking Adam: a twofold exponential moving average approach").

Algorithm
---------
With :math:`g_t` the stochastic gradient and :math:`t \ge 1` the update count,

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) m_t^2 + \epsilon, \qquad
    x_t = x_{t-1} - \alpha_t\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)}}.

Unlike Adam, the **momentum** :math:`m_t` (not :math:`g_t`) is squared, ε is added inside
:math:`v_t` at **every** step (so it accumulates to about :math:`\epsilon/(1-\beta_2)`), and
there is no ε outside the root. With ε = 0, a coordinate where :math:`v_t = 0` (hence
:math:`m_t = 0`) does not move (0/0 := 0). Defaults α = 1e-3, β = (0.9, 0.999), ε = 1e-8, as
in the third-party implementation; no official code was found.

Theoretical guarantee
---------------------
The paper claims regret :math:`O(\sqrt T)` in online convex optimisation (unverified) and
:math:`\min_t E\|\nabla F(x_t)\|^2 = O(\log T/\sqrt T)` for smooth nonconvex problems
(unverified).

References
----------
Y. Wang et al. Rethinking Adam: a twofold exponential moving average approach.
arXiv 2106.11514 (update rule; theorem numbers (unverified)).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as V
from .adam import TINY, ema_square_update, ema_update
from .base import Optimizer, State


@dataclass(frozen=True)
class AdaMomentum(Optimizer):
    """AdaMomentum: Adam with the squared momentum (plus ε) in the second moment."""

    lr: object = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    name: ClassVar[str] = "adamomentum"
    reference: ClassVar[str] = "Wang et al., arXiv 2106.11514 (Rethinking Adam: a twofold EMA approach)"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "beta1", V.beta("beta1", self.beta1))
        object.__setattr__(self, "beta2", V.beta("beta2", self.beta2))
        object.__setattr__(self, "eps", V.nonnegative("eps", self.eps))

    def _init_buffers(self, state: State) -> None:
        x = state.x
        state.m = np.zeros_like(x)
        state.v = np.zeros_like(x)
        state._tmp = np.empty_like(x)
        state._den = np.empty_like(x)

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        t = state.t
        lr = self.lr(t)
        m, v, den, tmp = state.m, state.v, state._den, state._tmp
        ema_update(m, g, 1.0 - self.beta1, tmp)
        ema_square_update(v, m, self.beta2, tmp)
        if self.eps > 0.0:
            v += self.eps
        np.sqrt(v, out=den)
        den /= (1.0 - self.beta2 ** t) ** 0.5
        if self.eps == 0.0:
            np.maximum(den, TINY, out=den)  # 0/0 := 0 where v = 0 (then m = 0 too)
        np.divide(m, den, out=tmp)
        tmp *= -lr / (1.0 - self.beta1 ** t)
        state.x += tmp
