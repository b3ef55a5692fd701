r"""SGD with momentum and exponential random scaling (Zhang & Cutkosky, ICML 2024).

Algorithm
---------
Exponentiated online-to-nonconvex conversion with (regularised) online gradient descent as
the online learner, which is SGD with momentum whose every update is multiplied by an
independent :math:`s_t \sim \mathrm{Exp}(1)` (mean 1). Per step :math:`t \ge 1`, with
:math:`x_0` the start and :math:`\Delta_1 = 0`:

1. draw :math:`s_t \sim \mathrm{Exp}(1)`, one per replicate, and form the new iterate
   :math:`x_t = x_{t-1} + s_t \Delta_t` (:meth:`query` returns it);
2. query the gradient at the **new iterate itself**: :math:`g_t = \tilde\nabla F(x_t)`;
3. online-learner step:
   :math:`\Delta_{t+1} = \frac{\beta}{1 + \eta_t \mu}\,(\Delta_t - \eta_t g_t)`, and
   :meth:`update` stores :math:`x_t` as the iterate.

With μ = 0 (default) this is heavy-ball momentum,
:math:`\Delta_{t+1} = -\eta \sum_{s \le t} \beta^{t+1-s} g_s`, i.e. torch-form SGD with momentum β
and step ηβ, with the random scaling :math:`s_t`; μ > 0 (the regulariser of the exponentiated
losses) shrinks the momentum to :math:`\beta/(1+\eta\mu)`, akin to weight decay on the update.
The exponential law makes the expected function change exact,
:math:`E_s[F(x + s\Delta)] - F(x) = E_s\langle\nabla F(x + s\Delta), \Delta\rangle`, which is why
the gradient is taken at the new iterate.

What was checked (December 2026). The paper's own text (arXiv 2405.09742, PMLR 235) could not be read
beyond its abstract; what could be read agrees with this implementation:

* the first author's code (``ZQZCalin/jaxoptimizers``, ``optimizers/online_learners.py``:
  ``unconstrained_ogd``, "Delta <- beta/(1+eta*mu) * (Delta - eta*grad)"; ``optimizers/o2nc.py``: the
  update is Δ times one ``exponential`` draw, Δ starts at zero; the EMA is "totally optional for
  output purpose");
* Ahn & Cutkosky's restatement of the conversion (NeurIPS 2024, Algorithm 1: x_t = x_{t−1} + α_t z_t,
  α_t ~ Exp(1), the gradient at x_t, the bias-corrected EMA of the iterates as the output, certified
  at a uniformly random t).

Conventions: the authors' code evaluates a step schedule at the update count before it is incremented
(0-based); ratecheck's ``lr`` is evaluated at t = 1, 2, … (the same for a constant η). The paper's
choices of β, η and μ as functions of (λ, ε), and its theorem numbers, remain (unverified); ratecheck's
O2NC experiments run it beside clipped Adam with η = D·sqrt(1 − β²)/C (their own choice, stated there).

Output: the EMA of the iterates (the gradient points) with the exponentiation constant β (or
``ema_beta``), bias-corrected,
:math:`\bar x_t = \frac{1-\beta}{1-\beta^t}\sum_{s \le t}\beta^{t-s} x_s`, i.e.
:math:`a_t = (1-\beta)/(1-\beta^t)` in the base class's averaging. When the problem has a box domain
the simulator projects :math:`x_t` before the gradient is taken there.

Theoretical guarantee
---------------------
Nonsmooth nonconvex, G-Lipschitz, noise σ: finds a :math:`(\lambda, \epsilon)`-stationary point
(the paper's (c, ε)-stationarity) within :math:`O(\lambda^{1/2}\epsilon^{-7/2})` gradients, with a
matching lower bound; hence :math:`O(\epsilon^{-4})` for smooth and :math:`O(\epsilon^{-7/2})` for
second-order smooth objectives. Theorem numbers and constants (unverified).

References
----------
Q. Zhang, A. Cutkosky. Random scaling and momentum for non-smooth non-convex optimization.
ICML 2024, PMLR 235:58780-58799 (arXiv 2405.09742).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import validate as V
from .base import BlockRNG, ElementStep, EmaOfQueries, Optimizer, State


#: the compiled step of one coordinate: the query y = Δ s + x (kept in A2, the state's ``_y``), then
#: Δ ← (Δ − η_t g) β/(1 + η_t μ) (A0) and x = y; sc0 = η_t, sc1 = β/(1 + η_t μ)
SGDM_RS_STEP = ElementStep(uses=(("A0", "True"), ("A2", "True"), ("S", "True")), query="""
y = A0[i, j] * S[k, i, 0] + xi
if box:
    y = nclip(y, loj, hij)
A2[i, j] = y
""", update="""
A0[i, j] = (A0[i, j] - g * sc0) * sc1
xn = y
""", reload_y="y = A2[i, j]\n", iterate_is_query="True", last_draw="_s")


@dataclass(frozen=True)
class SGDMRandomScaling(EmaOfQueries, Optimizer):
    """SGD with momentum, each update scaled by s ~ Exp(1); EMA of the iterates as output."""

    lr: object = 1e-3
    beta: float = 0.99
    mu: float = 0.0
    ema_beta: float | None = None

    name: ClassVar[str] = "sgdm_random_scaling"
    reference: ClassVar[str] = ("Zhang & Cutkosky, ICML 2024: SGDM with exponential random scaling "
                                "(exponentiated O2NC with OGD), EMA of the iterates")
    uses_randomness: ClassVar[bool] = True
    draw_method: ClassVar[str | None] = "standard_exponential"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "beta", V.beta("beta", self.beta))
        object.__setattr__(self, "mu", V.nonnegative("mu", self.mu))
        self._check_ema_beta()

    def _init_buffers(self, state: State) -> None:
        x = state.x
        state.delta = np.zeros_like(x)
        state._y = x.copy()
        state._s = np.empty((x.shape[0], 1))
        state._tmp = np.empty_like(x)

    kernel_step: ClassVar[ElementStep] = SGDM_RS_STEP

    def kernel_fixed(self, state: State) -> tuple:
        return (state.delta, None, state._y, None), [], {}

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        SC = np.zeros((n, 4))
        for k in range(n):
            eta = self.lr(t0 + k)
            SC[k, 0], SC[k, 1] = eta, self.beta / (1.0 + eta * self.mu)
        return SC

    def query(self, state: State, rng: BlockRNG | None = None) -> np.ndarray:
        if not isinstance(rng, BlockRNG):
            raise TypeError(f"{self.name} draws its own random numbers: query needs a BlockRNG, "
                            f"got {type(rng).__name__} (Optimizer.step and simulate pass one)")
        rng.fill("standard_exponential", state._s)
        y = state._y
        np.multiply(state.delta, state._s, out=y)
        y += state.x
        return y

    def update(self, state: State, g: np.ndarray) -> None:
        state.t += 1
        eta = self.lr(state.t)
        tmp, delta = state._tmp, state.delta
        np.multiply(g, eta, out=tmp)
        delta -= tmp
        delta *= self.beta / (1.0 + eta * self.mu)
        np.copyto(state.x, state._y)
