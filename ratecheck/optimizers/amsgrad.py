r"""AMSGrad (Reddi, Kale & Kumar 2018): Adam with a running maximum of the second moment.

Algorithm
---------
With :math:`g_t` the stochastic gradient and :math:`t \ge 1` the update count,

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
    \hat v_t = \max(\hat v_{t-1}, v_t), \quad \hat v_0 = 0.

Three conventions exist for where bias correction and ε go; two are offered:

* ``convention="paper"`` (default; Reddi et al. 2018, Algorithm 2, the object of the
  theorems): :math:`x_t = x_{t-1} - \alpha_t\, m_t/(\sqrt{\hat v_t} + \epsilon)`, no bias
  correction, default ε = 0; where :math:`\hat v_t = 0` (hence :math:`m_t = 0`) the step is 0
  (0/0 := 0, as in :mod:`ratecheck.optimizers.adam`). The paper's projection Π onto the domain
  is done by the simulator when the problem has a box domain.
* ``convention="torch"`` (``torch.optim.Adam(amsgrad=True)``): the maximum is taken over the
  **raw** :math:`v_t`, then bias-corrected:
  :math:`x_t = x_{t-1} - \alpha_t\,\frac{m_t/(1-\beta_1^t)}{\sqrt{\hat v_t/(1-\beta_2^t)} + \epsilon}`,
  default ε = 1e-8.

The third convention, optax's ``amsgrad``, bias-corrects **before** the maximum
(:math:`\hat v_t = \max(\hat v_{t-1}, v_t/(1-\beta_2^t))`); it is not offered here. When
:math:`v_t` is nondecreasing in every coordinate (e.g. a constant gradient), :math:`\hat v_t = v_t`
and AMSGrad coincides with Adam in the same convention.

Theoretical guarantee
---------------------
Online convex optimisation with bounded gradients and domain, :math:`\alpha_t = \alpha/\sqrt t`,
:math:`\beta_1 < \sqrt{\beta_2}`: regret :math:`O(\sqrt T)` (Reddi et al. 2018, Theorem 4 and
Corollary 1), whereas Adam can have linear regret on the same problems (Theorems 1-3).

References
----------
S. J. Reddi, S. Kale, S. Kumar. On the convergence of Adam and beyond. ICLR 2018, Algorithm 2,
Theorem 4.
torch.optim.Adam with ``amsgrad=True`` (PyTorch 2.x), single-tensor implementation.
optax.amsgrad (bias correction before the maximum).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .adam import ADAM_STEP, Adam
from .base import ElementStep, State


@dataclass(frozen=True)
class AMSGrad(Adam):
    """AMSGrad; paper convention (Reddi et al. Alg. 2) by default, ``convention="torch"`` for torch."""

    convention: str = "paper"

    name: ClassVar[str] = "amsgrad"
    reference: ClassVar[str] = ("Reddi, Kale & Kumar, ICLR 2018, Alg. 2 (paper convention) or "
                                "torch.optim.Adam(amsgrad=True)")
    kernel_step: ClassVar[ElementStep] = ADAM_STEP

    def _init_buffers(self, state: State) -> None:
        super()._init_buffers(state)
        state.vhat = np.zeros_like(state.x)

    def _second_moment(self, state: State) -> np.ndarray:
        # called once per update, right after v_t is formed: advance the running maximum
        np.maximum(state.vhat, state.v, out=state.vhat)
        return state.vhat
