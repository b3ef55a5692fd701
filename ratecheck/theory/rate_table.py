r"""The optimal-rate table as data: symbolic rates, conversions, predicted slopes, reductions.

Every row of the optimal-rate table of the theory reference is a frozen
:class:`Rate` holding its setting, assumptions, measure, lower-bound reference,
the algorithms that attain it, its source and whether it is tight, and the rate
itself as **one** exact sympy expression in the paper's symbols, stored in one
form only:

* ``form="complexity"``: :math:`T(\epsilon)`, the number of (stochastic) gradient
  queries that guarantees the row's measure is :math:`\le \epsilon`;
* ``form="accuracy"``: :math:`\epsilon(T)`, the guaranteed value of the measure
  after :math:`T` queries (an error or accuracy bound).

The other form is derived with ``sympy.solve`` (:func:`accuracy`, :func:`complexity`),
never typed twice. Θ-statements drop constants, so the expressions carry the
paper's symbols without numerical constants unless the row is an exact bound
(GD on smooth nonconvex functions, Drori–Teboulle, GD on quadratics).

The rows are data (this module is long for that reason); the algebra on them lives beside it:
``conversions.py`` (the other form, leading terms), ``predictions.py`` (a measured quantity's predicted
slope), ``reductions.py`` ((λ,ε)-stationarity reductions) and ``render.py`` (markdown and LaTeX).

References
----------
Theory reference of this project (``reference/theory.md``), optimal-rate table.
Theorem numbers not given there are marked (unverified).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .. import validate as V
from .conversions import inverted
from .symbols import FORMS, HALF, Delta, D, G, L, Lbar, R, T, d, delta, eps, h, lam, mu, sigma, text

__all__ = ["Rate", "table", "row", "keys", "accuracy", "complexity"]


@dataclass(frozen=True)
class Rate:
    r"""One row of the optimal-rate table.

    Attributes
    ----------
    key : str
        Short id, e.g. ``"stoch_smooth_nonconvex"``.
    setting, assumptions, measure : str, tuple of str, str
        What is assumed and what is bounded (text, in the paper's symbols).
    kind : str
        The native measure kind (``grad_norm``, ``gap``, ``goldstein``, ``lambda_norm``,
        ``avg_regret``); see :data:`MEASURES`.
    form : {"complexity", "accuracy"}
        Whether :attr:`expr` is :math:`T(\epsilon)` or :math:`\epsilon(T)`.
    expr : sympy.Expr
        The rate, exact (no Float atoms), in the symbols of :data:`SYMBOLS`.
    lower_bound, attained_by, source : str, tuple of str, str
    tight : bool or None
        ``True`` when the upper bound matches a lower bound (Θ or exact worst case),
        ``None`` when that could not be checked (unverified).
    schedules : tuple of (name, log_power or None, text)
        Step-size schedules for which the rate is stated: the extra power of log T
        (``None`` = not recorded in the reference).
    equivalents : tuple of (kind, power, text)
        Other measure kinds that follow the same rate, as a power of the native one.
    bound : tuple of (measure name, sympy.Expr) or None
        An explicit upper bound of the reference algorithm on a measured quantity, in T.
    notes : tuple of str
    unverified : tuple of str
        Which parts of the row could not be checked in a primary source.
    """

    key: str
    setting: str
    assumptions: tuple
    measure: str
    kind: str
    form: str
    expr: sp.Expr
    lower_bound: str
    attained_by: tuple
    source: str
    tight: bool | None
    schedules: tuple = ()
    equivalents: tuple = ()
    bound: tuple | None = None
    notes: tuple = ()
    unverified: tuple = ()

    def __post_init__(self):
        V.choice("form", self.form, FORMS)
        if not isinstance(self.expr, sp.Expr):
            raise TypeError(f"expr of row {self.key!r} must be a sympy expression, got {type(self.expr).__name__}")
        if self.expr.atoms(sp.Float):
            raise ValueError(f"expr of row {self.key!r} has float literals {self.expr.atoms(sp.Float)}; "
                             f"use sympy.Rational")
        var = eps if self.form == "complexity" else T
        other = T if self.form == "complexity" else eps
        if var not in self.expr.free_symbols or other in self.expr.free_symbols:
            raise ValueError(f"a {self.form} rate is a function of {var} only (not {other}); "
                             f"row {self.key!r} has {self.expr}")

    @property
    def complexity(self) -> sp.Expr:
        """:math:`T(\\epsilon)`, stored or derived."""
        return complexity(self)

    @property
    def accuracy(self) -> sp.Expr:
        """:math:`\\epsilon(T)`, stored or derived."""
        return accuracy(self)

    def schedule_names(self) -> tuple:
        return tuple(name for name, _, _ in self.schedules)

    def __str__(self) -> str:
        return f"{self.key}: {self.setting}; {self.measure}; {self.form} {text(self.expr)}"


# ---------------------------------------------------------------------------- the table
_Z = sp.Integer

_ROWS = (
    Rate(
        key="det_smooth_nonconvex",
        setting="deterministic, L-smooth, nonconvex",
        assumptions=("∇F is L-Lipschitz", "Δ = F(x_0) − inf F < ∞", "exact gradients"),
        measure="‖∇F(x)‖ ≤ ε",
        kind="grad_norm",
        form="complexity",
        expr=L * Delta * eps**-2,
        lower_bound="Carmon, Duchi, Hinder, Sidford 2020 (theorem number (unverified))",
        attained_by=("GD",),
        source="GD with η = 1/L: min_t ‖∇F(x_t)‖² ≤ 2LΔ/T (descent lemma); lower bound "
               "Carmon et al. 2020",
        tight=True,
        schedules=(("anytime", _Z(0), "constant η = 1/L, the same for every horizon"),
                   ("horizon", _Z(0), "constant η = 1/L, the same for every horizon")),
        bound=("min_grad_norm_sq", 2 * L * Delta / T),
    ),
    Rate(
        key="stoch_smooth_nonconvex",
        setting="stochastic, L-smooth, nonconvex, bounded variance",
        assumptions=("∇F is L-Lipschitz", "Δ = F(x_0) − inf F < ∞",
                     "unbiased stochastic gradients with variance ≤ σ²"),
        measure="E‖∇F(x)‖ ≤ ε (proofs bound min_t E‖∇F(x_t)‖² ≤ ε²)",
        kind="grad_norm",
        form="complexity",
        expr=Delta * L * sigma**2 * eps**-4 + Delta * L * eps**-2,
        lower_bound="Arjevani, Carmon, Duchi, Foster, Srebro, Woodworth 2023 (Math. Prog.) "
                    "(theorem number (unverified))",
        attained_by=("SGD (Ghadimi–Lan 2013)",
                     "ADOPT (any β2; the theorem's measure and schedule (unverified))",
                     "clipped Adam + EMA (Ahn & Cutkosky Cor. 13, λ = L²/ε: E_t‖∇F(x̄_t)‖ = O(ε), first power)",
                     "AdaM³/AdaMomentum with bounded gradients, α/√t and 1 − β1,t = β/√t: "
                     "O((1 + log T)/√T) (row adam3_nonconvex)"),
        source="Ghadimi & Lan 2013, SIAM J. Optim. (theorem number (unverified)); lower bound "
               "Arjevani et al. 2023",
        tight=True,
        schedules=(("horizon", _Z(0), "α = c/√T for a run of T steps: min_t E‖∇F‖² = O(1/√T)"),
                   ("anytime", _Z(1), "α_t = c/√t: Σα_t² ≈ c² ln T, so min_t E‖∇F‖² = O(log T/√T)")),
        notes=("Θ(ΔLσ²ε⁻⁴) (+ ΔLε⁻²): the ε⁻² term is the deterministic part and is lower order",),
        unverified=("ADOPT theorem's measure and schedule",),
    ),
    Rate(
        key="adam3_nonconvex",
        setting="stochastic, L-smooth, nonconvex, bounded stochastic gradients (AdaM³)",
        assumptions=("∇F is L-Lipschitz", "‖g‖∞ ≤ G for every stochastic gradient", "variance ≤ σ²",
                     "ε > 0", "α_t = α/√t and 1 − β1,t = β/√t (β2 constant)", "α_t ≤ (1 − β1,t+1) A"),
        measure="(1/(T+1)) Σ_{t≤T} E‖∇F(x_t)‖² (time average; read as ε(T)² of E‖∇F‖ ≤ ε)",
        kind="grad_norm",
        form="accuracy",
        expr=G * T ** sp.Rational(-1, 4),
        lower_bound="Arjevani et al. 2023 (T^-1/2 on the squared norm is optimal up to the log factor)",
        attained_by=("AdaM³ / AdaMomentum with the schedules above",),
        source="Wang et al., ICDM 2023 supplement (ICDM23_AdaM3_supp.pdf, wyzjack/AdaM3), Theorem 1 and "
               "Corollary 1: time average of E‖∇F‖² = O((1 + log T)/√T)",
        tight=None,
        schedules=(("anytime", _Z(1), "α_t = α/√t, 1 − β1,t = β/√t: O((1 + log T)/√T) on the time average"),
                   ("horizon", None, "not stated: with a constant β1 (or horizon-tuned steps) the bound "
                                     "does not vanish; such runs are outside the theorem")),
        notes=("an O(·) bound of one algorithm: it supports upper-bound claims only",
               "G·T^-1/4 stands for the O(·) of ε(T); the constants (G, L, σ, ε, β, α) are not used",),
        unverified=("the supplement's exact constants (PDF not machine-readable here)",),
    ),
    Rate(
        key="stoch_meansq_smooth_nonconvex",
        setting="stochastic, mean-squared smooth, nonconvex",
        assumptions=("E‖∇f(x;ξ) − ∇f(y;ξ)‖² ≤ L̄²‖x − y‖²", "variance ≤ σ²", "Δ < ∞"),
        measure="E‖∇F(x)‖ ≤ ε",
        kind="grad_norm",
        form="complexity",
        expr=Delta * Lbar * sigma * eps**-3 + sigma**2 * eps**-2,
        lower_bound="Arjevani et al. 2023 (theorem number (unverified))",
        attained_by=("variance reduction (SPIDER, STORM)",),
        source="Arjevani et al. 2023 (lower bound); SPIDER (Fang et al. 2018), STORM (Cutkosky & "
               "Orabona 2019) (theorem numbers (unverified))",
        tight=True,
        schedules=(("horizon", _Z(0), "parameters tuned to ε (hence to T)"),
                   ("anytime", None, "not recorded in the reference")),
        unverified=("log factors of the anytime (STORM) variant",),
    ),
    Rate(
        key="stoch_hessian_smooth_nonconvex",
        setting="stochastic, L- and H-smooth, gradients only",
        assumptions=("∇F is L-Lipschitz", "∇²F is H-Lipschitz", "variance ≤ σ²", "Δ < ∞"),
        measure="E‖∇F(x)‖ ≤ ε",
        kind="grad_norm",
        form="complexity",
        expr=eps ** sp.Rational(-7, 2),
        lower_bound="(Arjevani et al. 2020 cited); the matching lower bound could not be checked "
                    "(unverified)",
        attained_by=("normalized SGD with momentum (Cutkosky & Mehta 2020)",
                     "clipped Adam + EMA (Ahn & Cutkosky Cor. 13, λ = H/2: E_t‖∇F(x̄_t)‖ = O(ε), first power)",
                     "SGDM + random scaling"),
        source="O(ε^{-3.5}), called optimal by the O2NC papers (unverified)",
        tight=None,
        schedules=(("horizon", _Z(0), "parameters tuned to ε (hence to T)"),
                   ("anytime", None, "not recorded in the reference")),
        notes=("constants (powers of L, H, σ, Δ) are not given in the reference",),
        unverified=("optimality (matching lower bound)", "constants"),
    ),
    Rate(
        key="goldstein",
        setting="stochastic, G-Lipschitz, nonsmooth, nonconvex",
        assumptions=("F is G-Lipschitz", "stochastic gradients with bounded variance", "Δ < ∞"),
        measure="(δ,ε)-Goldstein stationary",
        kind="goldstein",
        form="complexity",
        expr=delta**-1 * eps**-3,
        lower_bound="Cutkosky, Mehta, Orabona 2023 (theorem number (unverified))",
        attained_by=("O2NC",),
        source="Cutkosky, Mehta, Orabona 2023, ICML (theorem number (unverified))",
        tight=True,
        schedules=(("horizon", _Z(0), "parameters tuned to (δ, ε), hence to T"),
                   ("anytime", None, "not recorded in the reference")),
        notes=("the dependence on G, σ, Δ is not given in the reference",),
    ),
    Rate(
        key="lambda_stationary",
        setting="stochastic, G-Lipschitz, nonsmooth, nonconvex",
        assumptions=("F is G-Lipschitz (‖∇F‖ ≤ G)", "unbiased stochastic gradients with variance ≤ σ²",
                     "Δ = F(x_0) − inf F < ∞", "F well-behaved (Cutkosky et al. 2023, Def. 1)"),
        measure="(λ,ε)-stationary, averaged over a uniformly random EMA point: E_{t∼U[T]} E‖∇F(x̄_t)‖^[λ] ≤ ε",
        kind="lambda_norm",
        form="complexity",
        expr=lam**HALF * eps ** sp.Rational(-7, 2),
        lower_bound="Zhang & Cutkosky 2024, Corollary 5.1: Ω((G+σ)²Δλ^{1/2}ε^{-7/2}) for λ ≤ G⁴ε⁻¹/Δ² "
                    "(as cited by Ahn & Cutkosky; the lower-bound paper's text could not be read)",
        attained_by=("clipped Adam + EMA, global clip (β-FTRL): Ahn & Cutkosky Theorem 11 / Corollary 12",
                     "SGDM + exponential random scaling (Zhang & Cutkosky 2024; parameters (unverified))"),
        source="Ahn & Cutkosky, NeurIPS 2024, Theorem 11 and Corollary 12 (camera-ready text): β = 1 − (ε/10C)², "
               "D = (1−β)ε^{1/2}/(4λ^{1/2}), T = max{4Δλ^{1/2}ε^{-3/2}, 12C/ε}/(1−β), bound (1 + (G+σ)/C)ε",
        tight=True,
        schedules=(("horizon", _Z(0), "β, D set by ε and hence by T (Theorem 11); no log factor"),
                   ("anytime", None, "not stated in the paper")),
        notes=("Corollary 12 in full: O(max{(G+σ)²Δλ^{1/2}ε^{-7/2}, (G+σ)³ε^{-3}}); the row keeps the term in λ "
               "and ε that is optimal (it dominates when λ ≳ ε); with C = G + σ the bound is 2ε",),
        unverified=("the lower bound's own text (Zhang & Cutkosky 2024)",),
    ),
    Rate(
        key="lambda_stationary_l1",
        setting="stochastic, per-coordinate Lipschitz, nonsmooth, nonconvex (coordinate-wise clipped Adam)",
        assumptions=("|∂_iF| ≤ G_i for each coordinate", "unbiased noise with E|g_i − ∂_iF|² ≤ σ_i²",
                     "Δ = F(x_0) − inf F < ∞"),
        measure="(λ,ε)-L1-stationary (Definition 15), averaged over a uniformly random EMA point: "
                "E_{t∼U[T]} E‖∇F(x̄_t)‖₁^[λ] ≤ ε",
        kind="lambda_norm_l1",
        form="complexity",
        expr=d**HALF * lam**HALF * eps ** sp.Rational(-7, 2),
        lower_bound="none stated",
        attained_by=("clipped Adam + EMA, coordinate clip: Ahn & Cutkosky Theorem 18 / Corollary 19",),
        source="Ahn & Cutkosky, NeurIPS 2024, Theorem 18 and Corollary 19 (camera-ready text); the global "
               "method needs ‖G+σ‖₂² Δ d^{3/2} λ^{1/2} ε^{-7/2} through Lemma 16",
        tight=None,
        schedules=(("horizon", _Z(0), "β, D set by ε and hence by T (Theorem 18); no log factor"),
                   ("anytime", None, "not stated in the paper")),
        notes=("Corollary 19 in full: O(max{‖G+σ‖₁²Δd^{1/2}λ^{1/2}ε^{-7/2}, ‖G+σ‖₁³ε^{-3}})",
               "ratio of the global to the coordinate-wise bound: d‖G+σ‖₂²/‖G+σ‖₁², between 1 and d",),
    ),
    Rate(
        key="convex_lipschitz",
        setting="stochastic, convex, G-Lipschitz, diameter D",
        assumptions=("F convex", "‖g‖ ≤ G", "domain of diameter D"),
        measure="E F(x̄_T) − F*",
        kind="gap",
        form="accuracy",
        expr=G * D * T**-HALF,
        lower_bound="Nemirovski–Yudin; Agarwal et al. 2012",
        attained_by=("projected SGD with averaging",),
        source="Nemirovski–Yudin (lower bound); projected SGD with averaging",
        tight=True,
        schedules=(("horizon", _Z(0), "η = D/(G√T)"),
                   ("anytime", _Z(0), "η_t = D/(G√t): the bounded domain telescopes D²/η_T, no log "
                                      "factor (unverified)")),
        unverified=("no log factor for the anytime step",),
    ),
    Rate(
        key="strongly_convex_sgd",
        setting="stochastic, μ-strongly convex",
        assumptions=("F μ-strongly convex", "E‖g‖² ≤ G²"),
        measure="E F − F*",
        kind="gap",
        form="accuracy",
        expr=G**2 / (mu * T),
        lower_bound="Nemirovski–Yudin; Agarwal et al. 2012",
        attained_by=("SGD η_t = 1/(μt) (suffix averaging when nonsmooth; full averaging gives log T/T)",),
        source="Nemirovski–Yudin; Agarwal et al. 2012 (lower bound)",
        tight=True,
        schedules=(("anytime", _Z(0), "η_t = 1/(μt) with suffix averaging (full averaging: log T/T)"),
                   ("horizon", None, "not recorded in the reference")),
        equivalents=(("dist", HALF, "μ/2 ‖x − x*‖² ≤ F(x) − F*, so E‖x − x*‖² follows the gap"),),
    ),
    Rate(
        key="gd_strongly_convex",
        setting="deterministic, μ-strongly convex, L-smooth",
        assumptions=("F μ-strongly convex", "∇F L-Lipschitz", "quadratic F for the exact factor"),
        measure="F(x_T) − F*",
        kind="gap",
        form="accuracy",
        expr=Delta * (1 - mu / L) ** (2 * T),
        lower_bound="Nesterov",
        attained_by=("GD (accelerated: √κ)",),
        source="GD with η = 1/L on quadratics: each eigen-coordinate contracts by 1 − h_i/L; "
               "κ log(1/ε) complexity (Nesterov)",
        tight=True,
        schedules=(("anytime", _Z(0), "constant η = 1/L"), ("horizon", _Z(0), "constant η = 1/L")),
        equivalents=(("dist", HALF, "on a quadratic the slowest eigen-coordinate dominates: "
                                     "‖x − x*‖ ~ (1 − μ/L)^T"),
                     ("grad_norm", HALF, "on a quadratic ‖∇F‖² ~ (1 − μ/L)^{2T}, like the gap")),
        notes=("Δ = F(x_0) − F*", "linear rate: a contraction factor per step, not a slope"),
    ),
    Rate(
        key="gd_smooth_convex",
        setting="deterministic, convex, L-smooth",
        assumptions=("F convex", "∇F L-Lipschitz", "R = ‖x_0 − x*‖", "η = h/L, h ∈ (0, 1]"),
        measure="F(x_T) − F*",
        kind="gap",
        form="accuracy",
        expr=L * R**2 / (2 * (2 * T * h + 1)),
        lower_bound="— (exact worst case of GD)",
        attained_by=("GD",),
        source="Drori & Teboulle 2014, Math. Prog. (theorem number (unverified)); exactly attained by "
               "a Huber-type function",
        tight=True,
        schedules=(("horizon", _Z(0), "constant η = h/L; the worst-case function depends on T"),
                   ("anytime", _Z(0), "constant η = h/L")),
    ),
    Rate(
        key="online_regret",
        setting="online convex, adversarial",
        assumptions=("convex losses", "‖g‖ ≤ G", "domain of diameter D"),
        measure="average regret R_T/T",
        kind="avg_regret",
        form="accuracy",
        expr=G * D * T**-HALF,
        lower_bound="standard",
        attained_by=("OGD", "AdaGrad", "AMSGrad"),
        source="standard; Adam can have linear regret (Reddi et al. 2018)",
        tight=True,
        schedules=(("anytime", _Z(0), "η_t ∝ D/(G√t)"), ("horizon", _Z(0), "η = D/(G√T)")),
        notes=("regret R_T = Θ(√T); the factor G·D is the standard minimax dependence",),
        unverified=("dependence on G and D (the reference states Θ(√T))",),
    ),
    Rate(
        key="adam3_online_convex",
        setting="online convex, bounded domain and gradients (AdaM³)",
        assumptions=("convex losses f_t", "‖∇f_t‖∞ ≤ G∞", "‖x_t − x*‖∞ ≤ D∞ (bounded domain, projected)",
                     "α_t = α/√t, β1,t = β1 λ^t, γ = β1/√β2 < 1 (β2 constant)"),
        measure="average regret R_T/T",
        kind="avg_regret",
        form="accuracy",
        expr=G * D * T**-HALF,
        lower_bound="standard Ω(√T) regret",
        attained_by=("AdaM³ / AdaMomentum with the schedules above",),
        source="Wang et al., ICDM 2023 supplement (ICDM23_AdaM3_supp.pdf, wyzjack/AdaM3), Theorem 4 and "
               "Corollary 2: R(T) = O(√((1 + log T) T))",
        tight=None,
        schedules=(("anytime", HALF, "α_t = α/√t, β1,t = β1 λ^t: R(T)/T = O(√(1 + log T)/√T)"),
                   ("horizon", None, "not stated")),
        notes=("an O(·) bound of one algorithm: it supports upper-bound claims only",
               "avg_gap (E R_T(x*)/T for i.i.d. losses) is at most the hindsight average regret"),
        unverified=("the supplement's exact constants (PDF not machine-readable here)",),
    ),
)

_BY_KEY = {r.key: r for r in _ROWS}


def table() -> tuple:
    """All rows of the optimal-rate table, in the reference's order."""
    return _ROWS


def keys() -> list[str]:
    return [r.key for r in _ROWS]


def row(key) -> Rate:
    """The row with this key (a :class:`Rate` passes through)."""
    if isinstance(key, Rate):
        return key
    if key not in _BY_KEY:
        raise V.unknown_name("rate", key, _BY_KEY)
    return _BY_KEY[key]


def accuracy(rate) -> sp.Expr:
    r""":math:`\epsilon(T)` of a row (stored, or derived from :math:`T(\epsilon)` by ``sympy.solve``)."""
    rate = row(rate)
    if rate.form == "accuracy":
        return rate.expr
    return inverted(rate.expr, eps, T)


def complexity(rate) -> sp.Expr:
    r""":math:`T(\epsilon)` of a row (stored, or derived from :math:`\epsilon(T)` by ``sympy.solve``)."""
    rate = row(rate)
    if rate.form == "complexity":
        return rate.expr
    return inverted(rate.expr, T, eps)
