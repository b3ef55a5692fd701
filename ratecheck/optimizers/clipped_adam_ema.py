r"""Clipped Adam with model EMA (Ahn & Cutkosky, NeurIPS 2024): Algorithm 1 with β-FTRL.

Algorithm (``scaling="exponential"``, the default: the paper's Algorithm 1)
--------------------------------------------------------------------------
Per step :math:`t = 1, \dots, T`, with :math:`x_0` the start:

1. the learner (β-FTRL, Section 4; clipped Adam, Section 6) plays
   :math:`z_t = -\mathrm{clip}_D\Big(\gamma_t\, D\, \frac{\sum_{s<t} \beta^{-s} g_s}
   {\sqrt{\sum_{s<t}\beta^{-2s} g_s^2}}\Big)`, and :math:`z_t = 0` while every earlier g is 0
   (so :math:`z_1 = 0`);
2. :math:`x_t = x_{t-1} + \alpha_t z_t` with :math:`\alpha_t \sim \mathrm{Exp}(1)` i.i.d., one per
   replicate and step (``state.alpha`` keeps the last draw, ``state.z`` the last increment);
3. :math:`g_t = \mathrm{STOGRAD}(x_t)`: the gradient is taken **at the new iterate itself**
   (:meth:`query` returns :math:`x_t`);
4. the learner receives the loss :math:`\langle\beta^{-t} g_t, z\rangle`;
5. output (only): the bias-corrected model EMA of the **iterates**,
   :math:`\bar x_t = \frac{\beta-\beta^t}{1-\beta^t}\bar x_{t-1} + \frac{1-\beta}{1-\beta^t} x_t
   = \frac{1-\beta}{1-\beta^t}\sum_{s=1}^t \beta^{t-s} x_s`.

The two hyperparameters are β and D (``beta``, ``clip_radius``) plus the clip geometry; γ (``lr``) is
not in the paper: it is a multiplier of the learner's scale for experiments, and its default 1
is the paper's algorithm exactly. The state keeps the discounted sums in the scale-free form
(multiplying numerator and denominator by :math:`\beta^{t-1}`):
:math:`m_t = \beta m_{t-1} + g_t = \sum_{s\le t}\beta^{t-s}g_s` and
:math:`v_t = \beta^2 v_{t-1} + g_t^2`, so :math:`z_{t+1} = -\mathrm{clip}_D(\gamma D\, m_t/\sqrt{v_t})`.
In Adam's notation (β1 = β, β2 = β², ε = 0, no bias correction, Adam's
:math:`\hat m = (1-\beta)m`, :math:`\hat v = (1-\beta^2)v`) the multiplier of :math:`\hat m/\sqrt{\hat v}`
is :math:`D\sqrt{(1+\beta)/(1-\beta)}` (14 D at β = 0.99), not D.

Clip geometry (D = ``clip_radius``):

* ``clip="coordinate"``: clipped Adam (Section 6.1): per-coordinate sums and
  :math:`\mathrm{clip}_D(u)_i = \max(-D, \min(D, u_i))`, the box :math:`[-D, D]^d`;
* ``clip="global"``: β-FTRL on the L2 ball (Section 4): one second moment per replicate,
  :math:`v_t = \beta^2 v_{t-1} + \|g_t\|^2`, and :math:`\mathrm{clip}_D(u) = u \min(1, D/\|u\|)`
  (``state.v`` has shape ``(replicates, 1)``).

Variant ``scaling="uniform"``: the uniform-scaling online-to-nonconvex conversion of Cutkosky,
Mehta & Orabona (ICML 2023) with the same learner: :math:`s_t \sim U[0, 1]`, the gradient at
:math:`y_t = x_{t-1} + s_t z_t`, :math:`x_t = x_{t-1} + z_t`, and the output is the EMA of the
:math:`y_t`. It is a different algorithm, with the same family of guarantees in its own paper (with an
OGD learner); ratecheck's runs before December 2026 used it, with the learner multiplier γ = ``lr``
on Adam's normalised :math:`\hat m/\sqrt{\hat v}`, i.e. :math:`\gamma_{\rm here} = \gamma_{\rm then} /
(D\sqrt{(1+\beta)/(1-\beta)})` in this parametrisation.

Theoretical guarantee
---------------------
Theorem 11 (Assumption 2: G-Lipschitz, noise variance σ², Δ = F(x_0) − inf F; global clip): with
:math:`\beta = 1-(\varepsilon/(10C))^2`, :math:`D = (1-\beta)\varepsilon^{1/2}/(4\lambda^{1/2})`,
:math:`T = \frac{1}{1-\beta}\max\{4\Delta\lambda^{1/2}\varepsilon^{-3/2}, 12C/\varepsilon\}`,
:math:`E_{t\sim U[T]} E\|\nabla F(\bar x_t)\|^{[\lambda]} \le (1 + (G+\sigma)/C)\,\varepsilon` — a time
average over t = 1..T of the (λ,ε) measure at the EMA point, first power. Corollary 12
(C = G + σ): :math:`O(\max\{(G+\sigma)^2\Delta\lambda^{1/2}\varepsilon^{-7/2}, (G+\sigma)^3\varepsilon^{-3}\})`,
optimal by Zhang & Cutkosky (2024, Cor. 5.1). Corollary 13: λ = O(1/ε) gives O(ε⁻⁴) for smooth and
λ = O(1) gives O(ε^{-7/2}) for second-order smooth losses (through Lemma 4: ‖∇F‖ ≤ 2ε). Theorem 18
(coordinate clip, Assumption 14: |∂_iF| ≤ G_i, noise σ_i): D with an extra :math:`d^{-1/2}`, T with an
extra :math:`d^{1/2}`, bound on the (λ,ε)-L1 measure (Definition 15); Corollary 19:
:math:`O(\|G+\sigma\|_1^2\Delta d^{1/2}\lambda^{1/2}\varepsilon^{-7/2})`.

References
----------
K. Ahn, A. Cutkosky. Adam with model exponential moving average is effective for nonconvex
optimization. NeurIPS 2024 (camera-ready; Algorithm 1 in Section 3, β-FTRL in Section 4,
Theorem 11 and Corollaries 12–13 in Section 5, Definition 15, Theorem 18 and Corollary 19 in
Section 6), read from its text extraction (deep-diver/neurips2024,
content/posters/v416YLOQuU/content_list.json).
A. Cutkosky, H. Mehta, F. Orabona. Optimal stochastic non-smooth non-convex optimization through
online-to-non-convex conversion. ICML 2023 (the uniform-scaling conversion).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .adam import TINY
from .base import BlockRNG, ElementStep, EmaOfQueries, Optimizer, State


#: the compiled step of one coordinate: the query z = −clip_D(lr D m/√v) (Z), y = x + α z (A2), then the
#: scale-free sums m (A0) and v (A1); o1 exponential scaling (x = y), o2 clip="global" (v one number per
#: replicate: the factor min(1, D/‖u‖) and ‖g‖² come from the per-replicate code around the loop)
CLIPPED_STEP = ElementStep(
    uses=(("A0", "True"), ("A1", "True"), ("A2", "True"), ("Z", "True"), ("S", "True")),
    query="""
if o2 and dim1:                         # global clip, one coordinate: u min(1, D/|u|), |u| = sqrt(u²)
    den = nmax(math.sqrt(A1[i, j]), TINY)
    u = (A0[i, j] / den) * sc0
    delta = u * (fp4 / nmax(math.sqrt(u * u), fp4))
elif o2:                                # global clip: u = lr D m/sqrt(v) and sg from row_pre
    delta = Z[i, j] * sg
else:
    den = nmax(math.sqrt(A1[i, j]), TINY)
    delta = nclip((A0[i, j] / den) * sc0, -fp4, fp4)
Z[i, j] = delta
y = delta * S[k, i, 0] + xi
if box:
    y = nclip(y, loj, hij)
A2[i, j] = y
""",
    update="""
A0[i, j] = A0[i, j] * fp0 + g
if o2 and not dim1:                     # global: v ← β²v + ‖g‖² after the loop (row_post)
    GG[i, j] = g
else:                                   # (one coordinate: ‖g‖² = g²)
    A1[i, j] = A1[i, j] * fp2 + g * g
if o1:
    xn = y
else:
    xn = xi + delta
""",
    reload_y="y = A2[i, j]\n", reload_delta="delta = Z[i, j]\n", iterate_is_query="o1",
    # u = lr D m/sqrt(v) (v one number per replicate) into Z, and the factor min(1, D/‖u‖) as NumPy
    # computes it: D / max(sqrt(‖u‖²), D); after the loop v ← β²v + ‖g‖²
    row_when="o2", row_scratch=("GG",),
    row_pre="""
den = nmax(math.sqrt(A1_r[0]), TINY)
for j in range(dim):
    Z_r[j] = (A0_r[j] / den) * sc0
sg = fp4 / nmax(math.sqrt(sqsum(Z_r, dim)), fp4)
""",
    row_post="""
A1_r[0] = A1_r[0] * fp2 + sqsum(GG_r, dim)
""", last_draw="alpha")


@dataclass(frozen=True)
class ClippedAdamEMA(EmaOfQueries, Optimizer):
    """Clipped Adam (β-FTRL, β1 = β, β2 = β²) in Algorithm 1 of Ahn & Cutkosky, with model EMA."""

    lr: object = 1.0
    beta: float = 0.99
    clip_radius: float = 1e-3
    ema_beta: float | None = None
    clip: str = "coordinate"
    scaling: str = "exponential"

    name: ClassVar[str] = "clipped_adam_ema"
    reference: ClassVar[str] = ("Ahn & Cutkosky, NeurIPS 2024, Algorithm 1 + beta-FTRL: clipped Adam "
                                "(beta, beta^2), Exp(1) scaling, EMA of the iterates")
    query_kind: ClassVar[str] = "random_scaled"
    uses_randomness: ClassVar[bool] = True
    clips: ClassVar[tuple[str, ...]] = ("coordinate", "global")
    scalings: ClassVar[tuple[str, ...]] = ("exponential", "uniform")

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "beta", V.beta("beta", self.beta))
        object.__setattr__(self, "clip_radius", V.positive("clip_radius", self.clip_radius))
        self._check_ema_beta()
        object.__setattr__(self, "clip", V.choice("clip", self.clip, self.clips))
        object.__setattr__(self, "scaling", V.choice("scaling", self.scaling, self.scalings))

    @property
    def output_source(self) -> str:
        """Algorithm 1 averages the iterates (the gradient points); the uniform conversion its queries."""
        return "iterate" if self.scaling == "exponential" else "query"

    @property
    def draw_method(self) -> str:
        return "standard_exponential" if self.scaling == "exponential" else "random"

    def _init_buffers(self, state: State) -> None:
        x = state.x
        reps = x.shape[0]
        state.m = np.zeros_like(x)
        state.v = np.zeros_like(x) if self.clip == "coordinate" else np.zeros((reps, 1))
        state.z = np.zeros_like(x)
        state.alpha = np.zeros((reps, 1))
        state.y = x.copy()
        state._den = np.empty_like(state.v)
        state._s = np.empty((reps, 1))
        state._tmp = np.empty_like(x)

    kernel_step: ClassVar[ElementStep] = CLIPPED_STEP

    def kernel_fixed(self, state: State) -> tuple:
        FP = [self.beta, 0.0, self.beta * self.beta, 0.0, self.clip_radius]
        flags = {"o1": self.scaling == "exponential", "o2": self.clip == "global"}
        return (state.m, state.v, state.y, state.z), FP, flags

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        SC = np.zeros((n, 4))
        for k in range(n):
            SC[k, 0] = -(self.lr(t0 + k) * self.clip_radius)
        return SC

    def increment(self, state: State) -> np.ndarray:
        r"""The learner's play :math:`z_{t+1} = -\mathrm{clip}_D(\gamma D\, m_t/\sqrt{v_t})` into ``state.z``."""
        z, den, D = state.z, state._den, self.clip_radius
        np.sqrt(state.v, out=den)
        np.maximum(den, TINY, out=den)  # all earlier g = 0 (v = 0, then m = 0): z = 0
        np.divide(state.m, den, out=z)
        z *= -(self.lr(state.t + 1) * D)
        if self.clip == "coordinate":
            np.clip(z, -D, D, out=z)
        else:
            s = state._s       # z *= D / max(||z||, D) = min(1, D/||z||), per replicate
            np.einsum("ij,ij->i", z, z, out=s[:, 0])
            np.sqrt(s, out=s)
            np.maximum(s, D, out=s)
            np.divide(D, s, out=s)
            z *= s
        return z

    def query(self, state: State, rng: BlockRNG | None = None) -> np.ndarray:
        if not isinstance(rng, BlockRNG):
            raise TypeError(f"{self.name} draws its own random numbers: query needs a BlockRNG, "
                            f"got {type(rng).__name__} (Optimizer.step and simulate pass one)")
        z = self.increment(state)
        rng.fill(self.draw_method, state.alpha)
        np.multiply(z, state.alpha, out=state.y)
        state.y += state.x
        return state.y

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        b = self.beta
        state.m *= b
        state.m += g
        if self.clip == "coordinate":
            state.v *= b * b
            np.multiply(g, g, out=state._tmp)
            state.v += state._tmp
        else:
            sq = state._den
            np.einsum("ij,ij->i", g, g, out=sq[:, 0])
            state.v *= b * b
            state.v += sq
        if self.scaling == "exponential":
            np.copyto(state.x, state.y)
        else:
            state.x += state.z
