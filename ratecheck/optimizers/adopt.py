r"""ADOPT (Taniguchi et al., NeurIPS 2024), as in the official code (iShohei220/adopt, 2024-12).

Algorithm
---------
The first gradient query :math:`g_0` only initialises the second moment:
:math:`v_0 = g_0^2`, :math:`m_0 = 0`, and the iterate does **not** move (the query still counts
as one gradient). Then, for the k-th parameter update :math:`k = 1, 2, \dots` (the
:math:`(k+1)`-th gradient :math:`g_k`), in this order:

1. :math:`\hat g_k = g_k / \max(\sqrt{v_{k-1}}, \epsilon)`  (ε is a floor, not added;
   :math:`v_{k-1}` does not contain :math:`g_k`);
2. with ``clip=True``: :math:`\hat g_k \leftarrow \mathrm{clip}(\hat g_k, -c_k, c_k)`,
   :math:`c_k = k^{1/4}`, k counting completed updates as the official code's ``step`` does, so
   the first real update uses :math:`c_1 = 1`;
3. :math:`m_k = \beta_1 m_{k-1} + (1-\beta_1) \hat g_k` (no bias correction);
4. :math:`x_k = x_{k-1} - \alpha_k m_k`, the first real update using :math:`\alpha_1`;
5. :math:`v_k = \beta_2 v_{k-1} + (1-\beta_2) g_k^2` (updated **after** use).

So the first real update is exactly :math:`-\alpha_1 (1-\beta_1)\,\mathrm{clip}(g_1/\max(|g_0|, \epsilon), 1)`.
``clip=False`` is the current official code with ``clip_lambda=None`` (the same algorithm
without step 2). It is **not** the first official release (2024-11-06), which also set
:math:`m_1 = \hat g_1` at the first real update (no factor :math:`1-\beta_1`); that release is
not implemented. Defaults follow the official code: α = 1e-3, β = (0.9, 0.9999), ε = 1e-6,
``weight_decay = 0``, ``decouple=False``. ``state.t`` counts gradient queries, so after ``t``
queries :math:`k = t - 1` updates have been made.

Weight decay λ = ``weight_decay``, as the official code applies it: coupled (``decouple=False``)
:math:`g \leftarrow g + \lambda x` at **every** query, the first included (so
:math:`v_0 = (g_0 + \lambda x_0)^2`, and the decay enters v and the normalised gradient);
decoupled (``decouple=True``) :math:`x \leftarrow x - \alpha_k\lambda x` at each real update k ≥ 1,
before step 1 (``param.add_(param, alpha=-lr*weight_decay)``; the first query makes no update
and no decay).

Agreement with reference implementations: the official PyTorch code (``clip_lambda =
lambda step: step**0.25`` evaluated at the number of completed steps; ``clip_lambda=None`` is
the unclipped version) and optax ``contrib.adopt`` (``clip_value_fn(state.count)`` with the
count of previous calls; the first call is a no-op because b1 = 1 and b2 = 0 there) agree with
the order above (trajectories checked to 1e-15 against torch-adopt 0.1.0, byte-identical to the
official ``src/adopt/adopt.py`` of 2024-12-13). pytorch_optimizer 4.1.0's ``ADOPT`` clips the
k-th update at :math:`(k+1)^{1/4}` (it increments its step before calling the clip function):
verified, a one-step offset against the official code; this module follows the official code.
Another revision of the official ``adopt.py`` (three betas, a floor
:math:`\max(\epsilon, \beta_3^{k-1})`, no clipping, :math:`m_1 = \hat g_1`) lives only on an
unmerged branch and is not implemented. On the ADOPT toy problem the clipped version first
drifts the wrong way for about :math:`10^4` steps (see the problem reference), so a reproduction
must say which variant it ran.

Theoretical guarantee
---------------------
Smooth nonconvex, bounded second moment of g (no bounded-noise assumption):
:math:`O(1/\sqrt T)` for **any** :math:`\beta_2 \in [0, 1)`, the rate of SGD (Taniguchi et al.
2024). An O(·) statement: it supports an upper-bound claim only. The precise measure, step
schedule and constants of the theorem, and the form of the clipped version's theorem (added in a
later arXiv version), are (unverified): no primary text could be read. The standard reading is
:math:`\min_k E\|\nabla F(x_k)\|^2` (or a 4/3-power variant) with :math:`\alpha \propto 1/\sqrt T`;
the paper's toy experiment predates the clipping, so it ran the unclipped algorithm.

References
----------
S. Taniguchi, K. Harada, G. Minegishi, Y. Oshima, S. C. Jeong, G. Nagahara, T. Iiyama,
M. Suzuki, Y. Iwasawa, Y. Matsuo. ADOPT: Modified Adam can converge with any β2 with the
optimal rate. NeurIPS 2024 (arXiv 2411.02853), Algorithm 1 (theorem number (unverified)).
Official code: github.com/iShohei220/adopt, ``adopt.py`` (version with ``clip_lambda``).
optax.contrib.adopt (``optax/contrib/_adopt.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .adam import TINY, WeightDecay, ema_square_update, ema_update
from .base import ElementStep, Optimizer, State


#: ADOPT's step of one coordinate: sc0 ≠ 0 on the first query (v₀ = g₀², no move); o1 clip at ±sc2,
#: o4 w1 < 0.5 (lerp), o5 coupled decay (every query), o6 decoupled decay x ← x + x·(−α_k λ) (updates only)
ADOPT_STEP = ElementStep(uses=(("A0", "True"), ("A1", "True")), update="""
if o5:
    g = g + xi * fp5
if sc0 != 0.0:
    A1[i, j] = g * g
    xn = xi
else:
    if o6:
        xi = xi + xi * sc3
    gh = g / nmax(math.sqrt(A1[i, j]), fp4)
    if o1:
        gh = nclip(gh, -sc2, sc2)
    m = A0[i, j]
    d = gh - m
    if o4:
        m = m + d * fp0
    else:
        m = gh - d * fp1
    A0[i, j] = m
    xn = xi + m * sc1
    A1[i, j] = A1[i, j] * fp2 + (g * fp3) * g
""")


@dataclass(frozen=True)
class ADOPT(WeightDecay, Optimizer):
    """ADOPT; official-code order, clipped (c_k = k^(1/4)) by default, ``clip=False`` for the original."""

    lr: object = 1e-3
    beta1: float = 0.9
    beta2: float = 0.9999
    eps: float = 1e-6
    clip: bool = True
    weight_decay: float = 0.0
    decouple: bool = False

    name: ClassVar[str] = "adopt"
    reference: ClassVar[str] = ("Taniguchi et al., NeurIPS 2024; official code iShohei220/adopt "
                                "(2024-12, clip k^(1/4)) and optax.contrib.adopt")

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "beta1", V.beta("beta1", self.beta1))
        object.__setattr__(self, "beta2", V.beta("beta2", self.beta2))
        object.__setattr__(self, "eps", V.nonnegative("eps", self.eps))
        if not isinstance(self.clip, bool):
            raise TypeError(f"clip must be True or False, got {self.clip!r}")
        self._check_weight_decay()

    def _init_buffers(self, state: State) -> None:
        x = state.x
        state.m = np.zeros_like(x)
        state.v = np.zeros_like(x)
        state._tmp = np.empty_like(x)
        state._ghat = np.empty_like(x)
        if self.weight_decay > 0.0 and not self.decouple:
            state._g = np.empty_like(x)

    def _step_scalars(self, t: int) -> tuple[float, float]:
        """``(α_k, c_k)`` for the query count t ≥ 2: k = t − 1 completed updates, c_k = k^{1/4}."""
        k = t - 1  # completed parameter updates, counting this one
        return self.lr(k), k ** 0.25

    kernel_step: ClassVar[ElementStep] = ADOPT_STEP

    def kernel_fixed(self, state: State) -> tuple:
        w1 = 1.0 - self.beta1
        FP = [w1, 1.0 - w1, self.beta2, 1.0 - self.beta2, self.eps if self.eps > 0.0 else TINY, self.weight_decay]
        return (state.m, state.v, None, None), FP, {"o1": self.clip, "o4": w1 < 0.5, **self.decay_flags()}

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        SC = np.zeros((n, 4))
        for k in range(n):
            t = t0 + k
            if t == 1:
                SC[k, 0] = 1.0
            else:
                lr, c = self._step_scalars(t)
                SC[k, 1], SC[k, 2] = -lr, c
                if self.weight_decay > 0.0 and self.decouple:
                    SC[k, 3] = -lr * self.weight_decay
        return SC

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        if self.weight_decay > 0.0:
            g = self._coupled(state, g)
        if state.t == 1:
            np.multiply(g, g, out=state.v)
            return
        lr, c = self._step_scalars(state.t)
        if self.weight_decay > 0.0 and self.decouple:
            # official code: param.add_(param, alpha=-lr * weight_decay)
            np.multiply(state.x, -lr * self.weight_decay, out=state._tmp)
            state.x += state._tmp
        ghat, tmp = state._ghat, state._tmp
        np.sqrt(state.v, out=ghat)
        # eps = 0: 0/0 := 0 where v = 0 and g = 0
        np.maximum(ghat, self.eps if self.eps > 0.0 else TINY, out=ghat)
        np.divide(g, ghat, out=ghat)
        if self.clip:
            np.clip(ghat, -c, c, out=ghat)
        ema_update(state.m, ghat, 1.0 - self.beta1, tmp)
        np.multiply(state.m, -lr, out=tmp)
        state.x += tmp
        ema_square_update(state.v, g, self.beta2, tmp)
