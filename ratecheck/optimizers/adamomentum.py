r"""AdaMomentum / AdaM³ (Wang et al.; "Momentum is All You Need for Data-Driven Adaptive
Optimization", ICDM 2023; earlier arXiv 2106.11514, "Rethinking Adam: a twofold exponential
moving average approach"), as the official code computes it.

Algorithm
---------
With :math:`g_t` the stochastic gradient and :math:`t \ge 1` the update count (official
``AdaM3.py``, github.com/wyzjack/AdaM3, in the order it computes):

0. weight decay (``weight_decay`` = λ > 0): ``decouple=True`` (official default,
   ``weight_decouple``) multiplies :math:`x \leftarrow x\,(1 - \alpha_t\lambda)`, or
   :math:`x\,(1-\lambda)` with ``fixed_decay=True``; ``decouple=False`` adds
   :math:`\lambda x_{t-1}` to :math:`g_t` (it then enters both moments);
1. :math:`m_t = \beta_{1,t} m_{t-1} + (1-\beta_{1,t}) g_t`;
2. :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) m_t^2 + \epsilon` — the **momentum** is squared and
   ε is added to the state at **every** step (it accumulates to about :math:`\epsilon/(1-\beta_2)`);
   with ``amsgrad=True``, :math:`\hat v_t = \max(\hat v_{t-1}, v_t)`, else :math:`\hat v_t = v_t`;
3. ``rectify=False``: :math:`x_t = x_{t-1} - \frac{\alpha_t}{1-\beta_1^t}\,\frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t}}`
   (no ε outside the root);

   ``rectify=True`` (RAdam's rectification, forked in the official code): with
   :math:`\rho_\infty = 2/(1-\beta_2) - 1` and :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`,
   if :math:`\rho_t \ge 5`,
   :math:`x_t = x_{t-1} - \alpha_t r_t\, m_t/(\sqrt{v_t} + \epsilon)` with
   :math:`r_t = \sqrt{(1-\beta_2^t)\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}\,/(1-\beta_1^t)`
   — ε **also outside** the root, :math:`v_t` (already holding its +ε) not bias-corrected and, as
   the official code has it, the AMSGrad maximum **not** used; otherwise (the first steps: 5 of
   them with β2 = 0.999) a plain momentum step :math:`x_t = x_{t-1} - \alpha_t m_t/(1-\beta_1^t)`
   (the official ``degenerated_to_sgd=True``; its ``False``, no step at all, is not offered).

With ε = 0, a coordinate where :math:`\hat v_t = 0` (hence :math:`m_t = 0`) does not move
(0/0 := 0). Defaults are the official ones: α = 1e-3, β = (0.9, 0.999), **ε = 1e-16** (every
official class; only a fairseq wrapper uses 1e-8), ``weight_decay = 0`` with ``decouple=True``,
``amsgrad=False``. ``rectify`` differs between the official folders: True in ``DCGAN_BigGAN/``
and ``SNGAN/``, False in ``CNN_CIFAR/``, ``CNN_ImageNet/`` and ``LSTM_Penn_Treebank/``; the
default here is False (the plain update of the paper's algorithm box). Checked against the
official ``DCGAN_BigGAN/src/AdaM3.py``.

``beta1`` may be a momentum schedule (:mod:`ratecheck.schedules`, e.g.
``{"schedule": "one_minus_inv_sqrt", "beta": 0.1}``), as the theorems use. The bias correction
then divides by :math:`1 - \prod_{s\le t}\beta_{1,s}` (the total weight of :math:`m_t`, which is
:math:`1-\beta_1^t` for a constant β1). Whether the supplement's algorithm bias-corrects with a
time-varying β1 could not be read here (the supplement is a PDF); the correction decays like
:math:`\exp(-2\beta\sqrt t)` for ``one_minus_inv_sqrt`` and does not change a rate. ``beta2`` is
a number (no theorem here uses a β2 schedule).

Theoretical guarantee
---------------------
ICDM 2023 supplement (``ICDM23_AdaM3_supp.pdf`` in the official repository), theorem numbers as
printed there:

* Smooth nonconvex (Theorem 1, Corollary 1): bounded stochastic gradients
  :math:`\|g\|_\infty \le G`, L-smooth, variance σ², ε > 0, :math:`\alpha_t = \alpha/\sqrt t` and
  :math:`1-\beta_{1,t} = \beta/\sqrt t`:
  :math:`\frac1{T+1}\sum_t E\|\nabla F(x_t)\|^2 = O((1+\log T)/\sqrt T)`. With a constant β1 the
  bound does not vanish: constant-β1 runs are outside the theorem.
* Online convex (Theorem 4, Corollary 2): :math:`\alpha_t = \alpha/\sqrt t`,
  :math:`\beta_{1,t} = \beta_1\lambda^t`, :math:`\gamma = \beta_1/\sqrt{\beta_2} < 1`, bounded domain
  :math:`D_\infty` and :math:`\|\nabla f_t\|_\infty \le G_\infty`: regret
  :math:`R(T) = O(\sqrt{(1+\log T)\,T})`.

References
----------
Y. Wang, Y. Kang, C. Qin, H. Wang, Y. Xu, Y. Zhang, Y. Fu. Momentum is all you need for
data-driven adaptive optimization. ICDM 2023 (arXiv 2106.11514). Official code and supplement:
github.com/wyzjack/AdaM3.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from ..schedules import as_beta
from .adam import TINY, WeightDecay, ema_square_update, ema_update
from .base import ElementStep, Optimizer, State


#: AdaMomentum's step of one coordinate: m (A0) by torch's lerp with the weight w1 = 1 − β1 (o4: w1 < 0.5), or
#: with o7 (a β1 schedule) this step's weight sc0 = 1 − β1,t,
#: v (A1) ← β2 v + (1−β2) m² (+ ε), o1 AMSGrad's maximum (A2), o3 ε > 0, o5/o6 coupled/decoupled decay
#: (sc3 the decoupled factor); o2 rectify: sc2 = 0 a plain momentum step, else the rectified one;
#: otherwise sc2 = √(1−β2^t); sc1 the signed step size of this step
ADAMOMENTUM_STEP = ElementStep(uses=(("A0", "True"), ("A1", "True"), ("A2", "o1")), update="""
if o6:
    xi = xi * sc3
if o5:
    g = g + xi * fp3
m = A0[i, j]
d = g - m
if o7:                                  # a β1 schedule: the weight sc0 changes with t
    if sc0 < 0.5:
        m = m + d * sc0
    else:
        m = g - d * (1.0 - sc0)
elif o4:                                # a constant β1: the weight w1 = fp4 (a branch-free loop)
    m = m + d * fp4
else:
    m = g - d * fp5
A0[i, j] = m
v = A1[i, j] * fp0 + (m * fp1) * m
if o3:
    v = v + fp2
A1[i, j] = v
vh = v
if o1:
    vh = nmax(A2[i, j], v)
    A2[i, j] = vh
if o2:
    if sc2 == 0.0:
        xn = xi + m * sc1
    else:
        den = math.sqrt(v)
        if o3:
            den = den + fp2
        else:
            den = nmax(den, TINY)
        xn = xi + (m / den) * sc1
else:
    den = math.sqrt(vh) / sc2
    if not o3:
        den = nmax(den, TINY)
    xn = xi + (m / den) * sc1
""")


@dataclass(frozen=True)
class AdaMomentum(WeightDecay, Optimizer):
    """AdaMomentum (AdaM³): Adam with the squared momentum (plus ε) in the second moment; official code."""

    lr: object = 1e-3
    beta1: object = 0.9
    beta2: float = 0.999
    eps: float = 1e-16
    rectify: bool = False
    amsgrad: bool = False
    weight_decay: float = 0.0
    decouple: bool = True
    fixed_decay: bool = False

    name: ClassVar[str] = "adamomentum"
    reference: ClassVar[str] = ("Wang et al., ICDM 2023 (AdaM³; arXiv 2106.11514); official code "
                                "wyzjack/AdaM3 (eps 1e-16, rectify, amsgrad, decoupled weight decay)")

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "beta1", as_beta(self.beta1, "beta1"))
        object.__setattr__(self, "beta2", V.beta("beta2", self.beta2))
        object.__setattr__(self, "eps", V.nonnegative("eps", self.eps))
        for flag in ("rectify", "amsgrad", "fixed_decay"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        self._check_weight_decay()
        if self.fixed_decay and not self.decouple:
            raise ValueError("fixed_decay=True applies to decoupled weight decay only; "
                             "set decouple=True or fixed_decay=False")

    @property
    def scheduled_beta1(self) -> bool:
        return not isinstance(self.beta1, float)

    def _init_buffers(self, state: State) -> None:
        x = state.x
        state.m = np.zeros_like(x)
        state.v = np.zeros_like(x)
        if self.amsgrad:
            state.vmax = np.zeros_like(x)
        state._tmp = np.empty_like(x)
        state._den = np.empty_like(x)
        if self.weight_decay > 0.0 and not self.decouple:
            state._g = np.empty_like(x)

    # the per-step scalars are pure functions of t; a β1 schedule's running product is cached
    # for the sequential calls of a run (recomputed from s = 1 after a jump, e.g. a resume)
    def _beta1_at(self, t: int) -> tuple[float, float]:
        """(β1,t, 1 − ∏_{s≤t} β1,s)."""
        if not self.scheduled_beta1:
            return self.beta1, 1.0 - self.beta1 ** t
        cache = self.__dict__.get("_prod")
        if cache is not None and cache[0] == t - 1:
            prod = cache[1] * self.beta1(t)
        else:
            prod = 1.0
            for s in range(1, t + 1):
                prod *= self.beta1(s)
        object.__setattr__(self, "_prod", (t, prod))
        return self.beta1(t), 1.0 - prod

    def _rectified(self, t: int) -> float | None:
        """r_t·(1−β1^t) of the official rectified step, or None for a plain momentum step (ρ_t < 5)."""
        beta2_t = self.beta2 ** t
        rho_inf = 2.0 / (1.0 - self.beta2) - 1.0
        rho = rho_inf - 2.0 * t * beta2_t / (1.0 - beta2_t)
        if rho < 5.0:
            return None
        return math.sqrt((1.0 - beta2_t) * (rho - 4.0) / (rho_inf - 4.0) * (rho - 2.0) / rho * rho_inf
                         / (rho_inf - 2.0))

    kernel_step: ClassVar[ElementStep] = ADAMOMENTUM_STEP

    def kernel_fixed(self, state: State) -> tuple:
        w1 = 0.0 if self.scheduled_beta1 else 1.0 - self.beta1
        FP = [self.beta2, 1.0 - self.beta2, self.eps, self.weight_decay, w1, 1.0 - w1]
        flags = {"o1": self.amsgrad, "o2": self.rectify, "o3": self.eps > 0.0, "o4": w1 < 0.5,
                 "o7": self.scheduled_beta1, **self.decay_flags()}
        return (state.m, state.v, getattr(state, "vmax", None), None), FP, flags

    def _beta1_run(self, t0: int, n: int) -> list:
        """``[_beta1_at(t) for t in t0 .. t0+n−1]`` with the same bits (the product multiplied in the same
        order), calling the schedule once a step: a million steps cost seconds in ``kernel_scalars``."""
        first = self._beta1_at(t0)
        if not self.scheduled_beta1 or n == 1:
            return [first] + [self._beta1_at(t) for t in range(t0 + 1, t0 + n)]
        out = [first]
        schedule, prod = self.beta1, self._prod[1]
        for t in range(t0 + 1, t0 + n):
            b = schedule(t)
            prod *= b
            out.append((b, 1.0 - prod))
        object.__setattr__(self, "_prod", (t0 + n - 1, prod))
        return out

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        rows = []       # Python floats, put in the array at once (exactly: they are doubles)
        lr_at, beta2, rectify = self.lr, self.beta2, self.rectify
        decay = self.weight_decay > 0.0 and self.decouple
        for t, (beta1, bc1) in enumerate(self._beta1_run(t0, n), start=t0):
            lr = lr_at(t)
            if rectify:
                r = self._rectified(t)
                c1, c2 = (-(1.0 / bc1) * lr, 0.0) if r is None else (-(r / bc1) * lr, 1.0)
            else:
                c1, c2 = -lr / bc1, (1.0 - beta2 ** t) ** 0.5
            rows.append((1.0 - beta1, c1, c2, self.decoupled_factor(lr) if decay else 0.0))
        return np.array(rows, dtype=np.float64).reshape(n, 4)

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        t = state.t
        lr = self.lr(t)
        m, v, den, tmp = state.m, state.v, state._den, state._tmp
        g = self._apply_weight_decay(state, g, lr)
        beta1, bc1 = self._beta1_at(t)
        ema_update(m, g, 1.0 - beta1, tmp)
        ema_square_update(v, m, self.beta2, tmp)
        if self.eps > 0.0:
            v += self.eps
        vhat = v
        if self.amsgrad:
            np.maximum(state.vmax, v, out=state.vmax)
            vhat = state.vmax
        if self.rectify:
            r = self._rectified(t)
            if r is None:
                np.multiply(m, -(1.0 / bc1) * lr, out=tmp)
                state.x += tmp
                return
            np.sqrt(v, out=den)
            if self.eps > 0.0:
                den += self.eps
            else:
                np.maximum(den, TINY, out=den)
            np.divide(m, den, out=tmp)
            tmp *= -(r / bc1) * lr
            state.x += tmp
            return
        np.sqrt(vhat, out=den)
        den /= (1.0 - self.beta2 ** t) ** 0.5
        if self.eps == 0.0:
            np.maximum(den, TINY, out=den)  # 0/0 := 0 where v = 0 (then m = 0 too)
        np.divide(m, den, out=tmp)
        tmp *= -lr / bc1
        state.x += tmp
