r"""The parameter choices and explicit bounds of Ahn & Cutkosky (NeurIPS 2024), as functions.

The O2NC experiments (``experiments/o2nc_*.toml``, ``experiments/coordinate_adaptivity*.toml``) write
these numbers into their sweeps; ``tests/test_experiments.py`` recomputes them from the problems'
declared constants with the functions below, so a file cannot drift from the theorem it runs.

Theorem 11 (Assumption 2: F is G-Lipschitz, stochastic gradients unbiased with variance ≤ σ²,
Δ = F(x_0) − inf F), for any λ > 0, ε > 0 and C > 0, with β-FTRL (global clip) in Algorithm 1:

.. math:: \beta = 1 - \Big(\frac{\varepsilon}{10C}\Big)^2,\quad
          D = \frac{(1-\beta)\,\varepsilon^{1/2}}{4\lambda^{1/2}},\quad
          T = \frac{1}{1-\beta}\max\Big\{\frac{4\Delta\lambda^{1/2}}{\varepsilon^{3/2}},
          \frac{12C}{\varepsilon}\Big\}

give :math:`E_{t\sim U[T]}E\|\nabla F(\bar x_t)\|^{[\lambda]} \le (1 + (G+\sigma)/C)\,\varepsilon`.
Corollary 12 takes C = G + σ (the bound is then 2ε). Theorem 18 (Assumption 14: |∂_iF| ≤ G_i, noise
σ_i; coordinate clip) multiplies D by :math:`d^{-1/2}` and the first term of T by :math:`d^{1/2}`, and
bounds the L1 measure (Definition 15) by :math:`(1 + \|G+\sigma\|_1/C)\,\varepsilon`; Corollary 19 takes
C = ‖G+σ‖₁.

Corollary 13 (through Lemma 4): for an L-smooth F, λ = L²/ε; then
:math:`\|\nabla F(x)\| \le \|\nabla F(x)\|^{[\lambda]} + \varepsilon/2` at every point (Cauchy–Schwarz and
AM–GM on the spread term), so the time average of :math:`E\|\nabla F(\bar x_t)\|` is at most the bound
plus ε/2. For an H-Hessian-Lipschitz F, λ = H/2: the Taylor remainder of ∇F is at most (H/2)‖y − x‖², so
:math:`\|\nabla F(x)\| \le \|\nabla F(x)\|^{[H/2]}` (sharper than Lemma 4's 2ε) and the time average of
:math:`E\|\nabla F(\bar x_t)\|` is at most the bound itself.

Read from the camera-ready text (deep-diver/neurips2024, content/posters/v416YLOQuU/content_list.json).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import validate as V

__all__ = ["Parameters", "theorem11", "theorem18", "eps_for_horizon", "SETTINGS", "sweep",
           "coordinate_comparison"]


@dataclass(frozen=True)
class Parameters:
    """β, D and T of Theorem 11/18 for one ε, with the bound they guarantee."""

    eps: float
    lam: float
    beta: float
    D: float
    T: int
    bound: float
    #: which term of the max sets T: "lambda" (the λ^{1/2} ε^{-3/2} term) or "C" (the 12C/ε term)
    regime: str


def theorem11(eps: float, lam: float, *, C: float, Delta: float, G_plus_sigma: float, d: int = 1,
              coordinate: bool = False) -> Parameters:
    """Theorem 11 (``coordinate=False``) or Theorem 18 (``coordinate=True``, dimension ``d``).

    ``G_plus_sigma`` is G + σ for Theorem 11 and ‖G + σ‖₁ for Theorem 18 (it enters the bound
    only); T is rounded up to an integer number of steps.
    """
    eps = V.positive("eps", eps)
    lam = V.positive("lam", lam)
    C = V.positive("C", C)
    Delta = V.positive("Delta", Delta)
    d = V.integer("d", d, low=1)
    scale = math.sqrt(d) if coordinate else 1.0
    one_minus_beta = (eps / (10.0 * C)) ** 2
    D = one_minus_beta * math.sqrt(eps) / (4.0 * scale * math.sqrt(lam))
    first = 4.0 * Delta * scale * math.sqrt(lam) / eps ** 1.5
    second = 12.0 * C / eps
    T = math.ceil(max(first, second) / one_minus_beta)
    return Parameters(eps=eps, lam=lam, beta=1.0 - one_minus_beta, D=D, T=T,
                      bound=(1.0 + G_plus_sigma / C) * eps, regime="lambda" if first >= second else "C")


def theorem18(eps: float, lam: float, *, C: float, Delta: float, G_plus_sigma_l1: float, d: int) -> Parameters:
    """Theorem 18 (coordinate-wise clipped Adam, the (λ,ε)-L1 measure)."""
    return theorem11(eps, lam, C=C, Delta=Delta, G_plus_sigma=G_plus_sigma_l1, d=d, coordinate=True)


def eps_for_horizon(T: float, lam_of_eps, **kw) -> float:
    """The ε whose Theorem 11/18 horizon is T (bisection on log ε; ``lam_of_eps(eps)`` gives λ)."""
    lo, hi = 1e-9, 1e9
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if theorem11(mid, lam_of_eps(mid), **kw).T > T:
            lo = mid
        else:
            hi = mid
    return hi


#: how each O2NC experiment chooses λ, and what its measured quantity is bounded by, given
#: Theorem 11's bound b = (1 + (G+σ)/C) ε: "nonsmooth" fixes λ (Theorem 11 itself); "smooth" takes
#: λ = L²/ε (Corollary 13; ‖∇F(x)‖ ≤ ‖∇F(x)‖^[λ] + ε/2, see the module docstring); "second_order" takes
#: λ = H/2 (‖∇F(x)‖ ≤ ‖∇F(x)‖^[H/2], the Taylor remainder of ∇F being at most (H/2)‖y − x‖²)
SETTINGS = {"nonsmooth": "λ fixed, Theorem 11", "smooth": "λ = L²/ε, Corollary 13",
            "second_order": "λ = H/2, Corollary 13"}


def sweep(problem, horizons, setting: str, lam: float | None = None) -> list[dict]:
    """One row per target horizon: ε whose Theorem 11 horizon is that T, and β, D, T, the bound on the
    experiment's measure, and the SGDM step η = D·sqrt(1 − β²)/C that balances discounted OGD's regret bound
    D²/η + η C²/(1 − β²) (ratecheck's choice: Zhang & Cutkosky's own constants could not be read).

    C = G + σ from the problem's declared constants (Corollary 12) and Δ = F(x_0) − f*.
    """
    V.choice("setting", setting, tuple(SETTINGS))
    c = problem.constants()
    G, sigma = c["G"], math.sqrt(c["sigma2"])
    if G is None:
        raise ValueError(f"Theorem 11 needs a G-Lipschitz problem; {problem.name} declares no G")
    C = G + sigma
    Delta = float(problem.value(problem.initial_point()[None])[0]) - c["f_star"]
    if setting == "nonsmooth":
        lam_of = (lambda e: lam)
    elif setting == "smooth":
        lam_of = (lambda e: c["L"] ** 2 / e)
    else:
        lam_of = (lambda e: c["H"] / 2.0)
    kw = dict(C=C, Delta=Delta, G_plus_sigma=G + sigma)
    rows = []
    for target in horizons:
        e = eps_for_horizon(target, lam_of, **kw)
        q = theorem11(e, lam_of(e), **kw)
        bound = q.bound + (e / 2.0 if setting == "smooth" else 0.0)
        rows.append({"T": q.T, "eps": e, "lam": q.lam, "beta": q.beta, "D": q.D, "bound": bound,
                     "sgdm_lr": q.D * math.sqrt(1.0 - q.beta ** 2) / C, "regime": q.regime, "C": C, "Delta": Delta})
    return rows


def coordinate_comparison(weights, *, kappa: float, lam_fraction: float) -> dict:
    r"""Both methods of Section 6.3 on the weighted ℓ1 problem F(x) = Σ w_i|x_i − 1| with Gaussian noise of
    standard deviation w_i per coordinate, so G_i = σ_i = w_i (Assumption 14) and Δ = F(x_0) = Σ w_i.

    Target: a (λ, 2ε)-L1-stationary EMA point (Definition 15) with ε = κ‖G+σ‖₁/2 and λ = ``lam_fraction``·Δ.
    Coordinate-wise clipped Adam takes Theorem 18's parameters with C = ‖G+σ‖₁ (Corollary 19; bound 2ε on
    the L1 measure); the global method takes Theorem 11's parameters for (λ/√d, ε/√d) with C = ‖G+σ‖₂
    (Corollary 12), whose (λ/√d, 2ε/√d)-stationary point is (λ, 2ε)-L1-stationary by Lemma 16. The ratio of
    the two complexity bounds (their λ^{1/2}ε^{-7/2} terms) is d‖G+σ‖₂²/‖G+σ‖₁².

    The run length is half the global method's travel time (‖x_0 − x*‖₂/D) plus its EMA window 1/(1 − β):
    ratecheck's choice, long enough for every replicate to reach the target on these instances (a shorter
    run would leave hitting times censored, which the claims refuse).
    """
    w = np.asarray(weights, dtype=float)
    d = w.size
    gs = 2.0 * w
    l1, l2, Delta = float(gs.sum()), float(np.linalg.norm(gs)), float(w.sum())
    eps, lam = kappa * l1 / 2.0, lam_fraction * Delta
    coord = theorem18(eps, lam, C=l1, Delta=Delta, G_plus_sigma_l1=l1, d=d)
    glob = theorem11(eps / math.sqrt(d), lam / math.sqrt(d), C=l2, Delta=Delta, G_plus_sigma=l2)
    horizon = math.ceil(0.5 * (math.sqrt(d) / glob.D + 1.0 / (1.0 - glob.beta)))
    return {"coordinate": coord, "global": glob, "target": 2.0 * eps, "lam": lam, "horizon": horizon,
            "bound_ratio": d * l2 ** 2 / l1 ** 2, "theorem_T_ratio": glob.T / coord.T}
