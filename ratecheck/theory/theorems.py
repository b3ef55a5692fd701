r"""The theorems ratecheck's claims check, as data: what each says, how its reading was verified, and the
hypotheses (:mod:`ratecheck.hypotheses`) a run must satisfy for a measurement to bear on it.

A claim names its theorem (``theorem = KEY`` in an experiment file). Before its fit is judged, every
hypothesis is checked on the runs it reads; a run outside them gives the verdict ``observation``, with
each failed hypothesis listed, never ``agrees`` or ``disagrees``. A two-sided claim (the measured rate
*equals* the predicted one) needs :attr:`Theorem.tight` — a reason the rate is attained on that instance
(a matching lower bound realised by it, or an exact closed form); an O(·) theorem supports an upper-bound
claim only.

``verified`` says how ratecheck's reading of the statement was checked: ``primary`` (the paper's text),
``official code`` (the authors' code, the statement itself not read), ``secondary`` (a textbook or
another paper's restatement) or ``unverified``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import validate as V
from . import hypotheses as H
from .latex import latex_text

__all__ = ["Theorem", "get", "keys", "table", "render", "VERIFIED"]

VERIFIED = ("primary", "official code", "secondary", "unverified")


@dataclass(frozen=True)
class Theorem:
    """One theorem: source and number, a one-line statement, its hypotheses, and why it is tight (if it is)."""

    key: str
    source: str
    number: str
    statement: str
    verified: str
    hypotheses: tuple
    #: the row of :mod:`ratecheck.theory` whose rate it proves (None for qualitative statements)
    row: str | None = None
    #: why the rate is attained on the instances it is checked on (None: an upper bound only)
    tight: str | None = None

    def __post_init__(self):
        V.choice(f"theorem {self.key}: verified", self.verified, VERIFIED)
        for name in self.hypotheses:
            if not H.known(name):
                raise ValueError(f"theorem {self.key}: unknown hypothesis {name!r}")

    def as_dict(self) -> dict:
        """The JSON form of a claim's ``theorem`` field."""
        return {"key": self.key, "source": self.source, "number": self.number, "statement": self.statement,
                "verified": self.verified}


_AC = "Ahn & Cutkosky, NeurIPS 2024 (camera-ready text)"
_ADAM3 = "Wang et al., AdaM³, ICDM 2023 (supplement ICDM23_AdaM3_supp.pdf, wyzjack/AdaM3)"
_CLIPPED = ("algorithm=clipped_adam_ema", "option=scaling:exponential")

_TABLE = (
    Theorem("ghadimi_lan_sgd", "Ghadimi & Lan 2013, SIAM J. Optim.", "Corollary 2.2 (number unverified)",
            "SGD with a constant step c/√T on an L-smooth F with variance σ²: (1/T) Σ_t E‖∇F(x_t)‖² = O(1/√T)",
            "secondary", ("L_smooth", "bounded_variance", "algorithm=sgd", "step_horizon",
                          "measure=avg_grad_norm_sq|min_grad_norm_sq"),
            row="stoch_smooth_nonconvex",
            tight="with σ > 0 the iterates settle in a noise floor of order L·η·σ² = Θ(1/√T) around a "
                  "nondegenerate minimum, and the O(1/(ηT)) transient has the same order: attained"),
    Theorem("sgd_strongly_convex", "Nemirovski, Juditsky, Lan & Shapiro 2009; Bach & Moulines 2011",
            "(numbers unverified)",
            "SGD with α_t = 1/(μt) on a μ-strongly convex L-smooth F with variance σ²: E F(x_T) − F* = O(1/T)",
            "secondary", ("strongly_convex", "L_smooth", "bounded_variance", "algorithm=sgd", "step_inv_mu",
                          "measure=gap"),
            row="strongly_convex_sgd",
            tight="on a quadratic the expected gap obeys an exact linear recursion whose solution is Θ(σ²/(μT))"),
    Theorem("gd_strongly_convex_quadratic", "Nesterov 2004, Introductory Lectures", "Theorem 2.1.15 (number unverified)",
            "GD with η = 1/L on F = ½(μx₁² + Lx₂²): F(x_T) − F* = (1 − μ/L)^{2T} (F(x_0) − F*) exactly along x₁",
            "secondary", ("strongly_convex", "L_smooth", "exact_gradients", "algorithm=sgd", "measure=gap"),
            row="gd_strongly_convex", tight="exact closed form on this quadratic"),
    Theorem("drori_teboulle", "Drori & Teboulle, Math. Prog. 2014", "Theorems 3.1–3.2 (numbers unverified)",
            "GD with step h/L on a convex L-smooth F: F(x_N) − F* ≤ LR²/(2(2Nh+1)), attained by their function",
            "secondary", ("convex", "L_smooth", "exact_gradients", "family=drori_teboulle", "measure=gap"),
            row="gd_smooth_convex", tight="exact: the worst-case function attains the bound"),
    Theorem("carmon_lower_bound", "Carmon, Duchi, Hinder & Sidford, Math. Prog. 2020", "(number unverified)",
            "zero-respecting methods need Ω(LΔε⁻²) gradients on the zero chain built for ε",
            "secondary", ("L_smooth", "exact_gradients", "family=carmon_chain"),
            row="det_smooth_nonconvex",
            tight="the instance realises the lower bound and GD meets the matching upper bound O(LΔε⁻²)"),
    Theorem("arjevani_lower_bound", "Arjevani, Carmon, Duchi, Foster, Srebro & Woodworth, Math. Prog. 2023",
            "(number unverified)",
            "stochastic first-order methods need Ω(ΔLσ²ε⁻⁴) queries on the probabilistic zero chain",
            "secondary", ("L_smooth", "bounded_variance", "family=arjevani_chain"),
            row="stoch_smooth_nonconvex",
            tight="the instance realises the lower bound and SGD meets the matching upper bound O(ε⁻⁴)"),
    Theorem("reddi_counterexample", "Reddi, Kale & Kumar, ICLR 2018", "Theorems 1 and 3",
            "Adam (β1 < √β2) converges to the worst point +1 of their convex problems; AMSGrad does not",
            "secondary", ("convex", "bounded_domain", "family=reddi_online|reddi_stochastic")),
    Theorem("adopt_toy", "Taniguchi et al., NeurIPS 2024", "toy experiment (Section 5)",
            "on the ADOPT toy problem Adam fails for small β2 while ADOPT converges for every β2",
            "unverified", ("family=adopt_toy",)),
    Theorem("taniguchi_adopt", "Taniguchi et al., NeurIPS 2024", "main theorem (number unverified)",
            "ADOPT on an L-smooth F with E‖g‖² ≤ G²: O(1/√T) for any β2 (measure and step schedule unverified)",
            "unverified", ("L_smooth", "bounded_second_moment", "algorithm=adopt", "step_horizon",
                           "measure=avg_grad_norm_sq"),
            row="stoch_smooth_nonconvex"),
    Theorem("adam3_nonconvex", _ADAM3, "Theorem 1, Corollary 1",
            "AdaM³ with ‖g‖∞ ≤ G a.s., α_t = α/√t and 1 − β1,t = β/√t on an L-smooth F: "
            "(1/T) Σ_t E‖∇F(x_t)‖² = O((1 + log T)/√T)",
            "secondary", ("L_smooth", "bounded_gradients", "algorithm=adamomentum", "step_inv_sqrt",
                          "momentum_inv_sqrt", "eps_positive", "measure=avg_grad_norm_sq"),
            row="adam3_nonconvex"),
    Theorem("adam3_online_convex", _ADAM3, "Theorem 4, Corollary 2",
            "AdaM³ with α_t = α/√t, β1,t = β1λ^t, β1/√β2 < 1 on convex losses over a bounded domain with bounded "
            "gradients: R(T)/T = Õ(1/√T)",
            "secondary", ("convex", "bounded_domain", "bounded_gradients", "algorithm=adamomentum",
                          "step_inv_sqrt", "momentum_geometric", "beta1_lt_sqrt_beta2", "measure=avg_gap"),
            row="adam3_online_convex"),
    Theorem("ahn_cutkosky_thm11", _AC, "Theorem 11, Corollary 12",
            "β-FTRL in Algorithm 1 with β = 1 − (ε/10C)², D = (1−β)ε^{1/2}/(4λ^{1/2}) and its T on a G-Lipschitz F "
            "with variance σ²: E_{t∼U[T]} E‖∇F(x̄_t)‖^[λ] ≤ (1 + (G+σ)/C)ε",
            "primary", ("G_lipschitz", "bounded_variance") + _CLIPPED + ("option=clip:global", "measure=avg_certificate"),
            row="lambda_stationary"),
    Theorem("ahn_cutkosky_cor13_smooth", _AC, "Corollary 13 (smooth), through Lemma 4",
            "Theorem 11 with λ = L²/ε on an L-smooth G-Lipschitz F: E_t E‖∇F(x̄_t)‖ = O(ε) after O(ε⁻⁴) gradients",
            "primary", ("G_lipschitz", "L_smooth", "bounded_variance") + _CLIPPED
            + ("option=clip:global", "measure=avg_out_grad_norm"),
            row="stoch_smooth_nonconvex"),
    Theorem("ahn_cutkosky_cor13_second_order", _AC, "Corollary 13 (second-order smooth), through Lemma 4",
            "Theorem 11 with λ = H/2 on a G-Lipschitz F with H-Lipschitz Hessian: E_t E‖∇F(x̄_t)‖ = O(ε) after "
            "O(ε^{-7/2}) gradients",
            "primary", ("G_lipschitz", "H_hessian_lipschitz", "bounded_variance") + _CLIPPED
            + ("option=clip:global", "measure=avg_out_grad_norm"),
            row="stoch_hessian_smooth_nonconvex"),
    Theorem("ahn_cutkosky_thm18", _AC, "Theorem 18, Corollary 19 (against Lemma 16 + Corollary 12)",
            "coordinate-wise clipped Adam with D/√d: E_t E‖∇F(x̄_t)‖₁^[λ] ≤ (1 + ‖G+σ‖₁/C)ε; the global method's bound "
            "is larger by d‖G+σ‖₂²/‖G+σ‖₁²",
            "primary", ("per_coordinate_lipschitz", "per_coordinate_variance") + _CLIPPED
            + ("option=clip:coordinate", "measure=avg_certificate_l1"),
            row="lambda_stationary_l1"),
)

_BY_KEY = {t.key: t for t in _TABLE}


def table() -> tuple:
    return _TABLE


def keys() -> list[str]:
    return [t.key for t in _TABLE]


def get(key: str) -> Theorem:
    if key not in _BY_KEY:
        raise V.unknown_name("theorem", key, _BY_KEY)
    return _BY_KEY[key]


def render(format: str = "markdown") -> str:
    """The theorems with their hypotheses, as a markdown table or a LaTeX tabular."""
    V.choice("format", format, ("markdown", "latex"))
    head = ("theorem", "source", "verified", "rate row", "hypotheses", "tight on its instances")
    rows = [(t.key, f"{t.source}, {t.number}", t.verified, t.row or "—",
             "; ".join(H.describe(h) for h in t.hypotheses), t.tight or "no (upper-bound claims only)")
            for t in _TABLE]
    if format == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines) + "\n"

    lines = [r"\begin{tabular}{llllp{6cm}p{5cm}}", r"\hline", " & ".join(head) + r" \\", r"\hline"]
    lines += [" & ".join(latex_text(c) for c in r) + r" \\" for r in rows]
    return "\n".join(lines + [r"\hline", r"\end{tabular}"]) + "\n"
