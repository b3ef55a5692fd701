r"""Clipped Adam with model EMA (Ahn & Cutkosky, NeurIPS 2024), via online-to-nonconvex conversion.

Algorithm
---------
The online learner is β-FTRL with a scale-free regulariser on a box (``clip="coordinate"``)
or a ball (``clip="global"``), which is Adam with :math:`\beta_1 = \beta`,
:math:`\beta_2 = \beta^2`, ε = 0 and no bias correction, with its update clipped to the
domain. Per step :math:`t \ge 1`, with :math:`x_0` the start and :math:`m_0 = v_0 = 0`:

1. :math:`\Delta_t = -\mathrm{clip}_D\big(\gamma_t\, m_{t-1}/\sqrt{v_{t-1}}\big)` (0/0 := 0,
   so :math:`\Delta_1 = 0`);
2. draw :math:`s_t \sim \mathrm{Uniform}[0, 1]`, one per replicate;
3. query the gradient at :math:`y_t = x_{t-1} + s_t \Delta_t` (:meth:`query` returns
   :math:`y_t`, kept in ``state.y``);
4. feed :math:`g_t = \tilde\nabla F(y_t)` to the learner:
   :math:`m_t = \beta m_{t-1} + (1-\beta) g_t`, :math:`v_t = \beta^2 v_{t-1} + (1-\beta^2) g_t^2`;
5. :math:`x_t = x_{t-1} + \Delta_t`.

The update :math:`\Delta_t` uses gradients up to :math:`t-1` only; this lag and the
normalisation of the constant γ are (unverified) against the paper. γ multiplies the
Adam-normalised ratio :math:`m/\sqrt v`, which equals
:math:`\sqrt{(1-\beta)/(1+\beta)}\;\sum_s \beta^{t-s} g_s / \sqrt{\sum_s \beta^{2(t-s)} g_s^2}`,
so the FTRL form's step is :math:`\gamma\sqrt{(1-\beta)/(1+\beta)}`; for a constant gradient
:math:`|m_t/\sqrt{v_t}| \to 1`.

Clipping (D = ``clip_radius``):

* ``clip="coordinate"`` (the coordinate-wise algorithm): per-coordinate :math:`v` and
  :math:`\mathrm{clip}_D(u)_i = \max(-D, \min(D, u_i))`, the box :math:`[-D, D]^d`;
* ``clip="global"`` (the global-norm variant): a single second moment per replicate,
  :math:`v_t = \beta^2 v_{t-1} + (1-\beta^2)\|g_t\|^2`, and
  :math:`\mathrm{clip}_D(u) = \min(1, D/\|u\|)\,u`, the Euclidean ball of radius D
  (``state.v`` then has shape ``(replicates, 1)``). This is
  scale-free FTRL on a ball; its exact form in the paper is (unverified). A global clip of the
  per-coordinate update would keep Adam's coordinate-wise normalisation, so it would not
  isolate the coordinate-wise adaptivity that the comparison is about.

Output: the model EMA of the **query points** with the learner's β (or ``ema_beta``),
bias-corrected, :math:`\bar y_t = \frac{1-\beta}{1-\beta^t}\sum_{s \le t} \beta^{t-s} y_s`,
i.e. :math:`a_t = (1-\beta)/(1-\beta^t)` in the base class's averaging (``output_source =
"query"``). The guarantee is for :math:`\bar y_\tau` with τ uniform on {1, …, T} (later work puts
extra mass on τ = T). The gradient is queried at :math:`y_t`, not at the iterate, and
stationarity is measured at :math:`\bar y`, not at :math:`x`.

This is the theorem's algorithm. The practitioners' cousin (ordinary Adam, β2 = 0.999, plus an
EMA of the iterates) is :mod:`ratecheck.optimizers.adam_ema`.

Theoretical guarantee
---------------------
Nonsmooth nonconvex, G-Lipschitz, noise σ: :math:`\bar y_\tau` is :math:`(\lambda, \epsilon)`-stationary
after :math:`O(\lambda^{1/2}\epsilon^{-7/2})` gradients, optimal (Zhang & Cutkosky 2024 lower
bound); hence :math:`O(\epsilon^{-4})` for L-smooth (λ = L²/ε) and :math:`O(\epsilon^{-7/2})` for
H-Hessian-Lipschitz problems (λ = H/2). Theory takes :math:`1-\beta = \Theta(\epsilon^2/(G+\sigma)^2)`;
the constants of D and γ are (unverified). With per-coordinate scales :math:`G_i, \sigma_i` the
coordinate-wise version depends on :math:`\sum_i (G_i + \sigma_i)` instead of √d times a
Euclidean norm, an advantage of up to √d (exact measure and constants (unverified)).

References
----------
K. Ahn, A. Cutkosky. Adam with model exponential moving average is effective for nonconvex
optimization. NeurIPS 2024 (arXiv 2405.18199); algorithm and theorem numbers (unverified).
Q. Zhang, A. Cutkosky. Random scaling and momentum for non-smooth non-convex optimization.
ICML 2024, the (λ, ε)-stationarity measure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as V
from .adam import TINY, ema_square_update, ema_update
from .base import BlockRNG, EmaOfQueries, Optimizer, State


@dataclass(frozen=True)
class ClippedAdamEMA(EmaOfQueries, Optimizer):
    """Clipped Adam (β1 = β, β2 = β², ε = 0) with uniform random query points and model EMA (O2NC)."""

    lr: object = 1e-3
    beta: float = 0.99
    clip_radius: float = 1e-3
    ema_beta: float | None = None
    clip: str = "coordinate"

    name: ClassVar[str] = "clipped_adam_ema"
    reference: ClassVar[str] = ("Ahn & Cutkosky, NeurIPS 2024: clipped Adam (beta, beta^2) via "
                                "online-to-nonconvex conversion, EMA of the query points")
    query_kind: ClassVar[str] = "random_scaled"
    output_source: ClassVar[str] = "query"
    uses_randomness: ClassVar[bool] = True
    draw_method: ClassVar[str | None] = "random"
    clips: ClassVar[tuple[str, ...]] = ("coordinate", "global")

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "beta", V.beta("beta", self.beta))
        object.__setattr__(self, "clip_radius", V.positive("clip_radius", self.clip_radius))
        self._check_ema_beta()
        object.__setattr__(self, "clip", V.choice("clip", self.clip, self.clips))

    def _init_buffers(self, state: State) -> None:
        x = state.x
        reps = x.shape[0]
        state.m = np.zeros_like(x)
        state.v = np.zeros_like(x) if self.clip == "coordinate" else np.zeros((reps, 1))
        state.y = x.copy()
        state._delta = np.zeros_like(x)
        state._den = np.empty_like(state.v)
        state._s = np.empty((reps, 1))
        state._tmp = np.empty_like(x)

    def query(self, state: State, rng: BlockRNG | None = None) -> np.ndarray:
        if not isinstance(rng, BlockRNG):
            raise TypeError(f"{self.name} draws its own random numbers: query needs a BlockRNG, "
                            f"got {type(rng).__name__} (Optimizer.step and simulate pass one)")
        lr = self.lr(state.t + 1)
        delta, den, D = state._delta, state._den, self.clip_radius
        np.sqrt(state.v, out=den)
        np.maximum(den, TINY, out=den)  # 0/0 := 0 where v = 0 (then m = 0 too), so Delta_1 = 0
        np.divide(state.m, den, out=delta)
        delta *= -lr
        if self.clip == "coordinate":
            np.clip(delta, -D, D, out=delta)
        else:
            # scale by D / max(||delta||, D) = min(1, D/||delta||) per replicate
            s = state._s
            np.einsum("ij,ij->i", delta, delta, out=s[:, 0])
            np.sqrt(s, out=s)
            np.maximum(s, D, out=s)
            np.divide(D, s, out=s)
            delta *= s
        rng.fill("random", state._s)
        np.multiply(delta, state._s, out=state.y)
        state.y += state.x
        return state.y

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        tmp = state._tmp
        ema_update(state.m, g, 1.0 - self.beta, tmp)
        beta2 = self.beta * self.beta
        if self.clip == "coordinate":
            ema_square_update(state.v, g, beta2, tmp)
        else:
            sq = state._den
            np.einsum("ij,ij->i", g, g, out=sq[:, 0])
            sq *= 1.0 - beta2
            state.v *= beta2
            state.v += sq
        state.x += state._delta
