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

Conversions
-----------
If :math:`T(\epsilon)` is a single term, :math:`\epsilon(T)` is its exact inverse,
e.g. :math:`T = \Delta L\sigma^2\epsilon^{-4} \iff \epsilon = (\Delta L\sigma^2/T)^{1/4}`.
If it is a sum of powers :math:`T = \sum_{i=1}^n a_i\epsilon^{-p_i}` (the stochastic
rows with a lower-order deterministic term), the exact inverse :math:`\epsilon^*`
satisfies

.. math:: \max_i (a_i/T)^{1/p_i} \;\le\; \epsilon^* \;\le\; n^{1/\min_i p_i}\,\max_i (a_i/T)^{1/p_i},

(each term is at most :math:`T`, and one term is at least :math:`T/n`), so
:math:`\epsilon(T) = \sum_i (a_i/T)^{1/p_i}` is a Θ-equivalent inverse; it is what
:func:`accuracy` returns, each term inverted by ``sympy.solve``. Round trips are
exact for single-term rows and exact in the leading term otherwise.

Measures and predicted slopes
-----------------------------
A measured quantity is a power of the row's native measure: the stationarity rows
bound :math:`\mathbb E\|\nabla F\| \le \epsilon`, and their upper-bound proofs bound
:math:`\min_t \mathbb E\|\nabla F(x_t)\|^2 \le \epsilon^2`, which implies the former by
Jensen (:math:`(\mathbb E\|\nabla F\|)^2 \le \mathbb E\|\nabla F\|^2`; the converse does not
hold in general). A metric such as ``min_grad_norm_sq`` is therefore read as
:math:`\epsilon(T)^2`. :func:`predicted_slope` returns the exponent
:math:`\lim_{T\to\infty} d\log \epsilon(T)^k / d\log T` (a ``Rational``), the power of
:math:`\log T` the named schedule adds, or, for a geometric rate, the per-step
contraction factor :math:`\epsilon(T+1)/\epsilon(T)` instead of a slope.

Schedules: ``"horizon"`` means step sizes tuned to the horizon (e.g. α/√T for a run
of T steps; one run per horizon, see :func:`ratecheck.fit_rate.fit_horizon_sweep`),
``"anytime"`` a schedule that does not know T (e.g. α/√t). For SGD on smooth
nonconvex functions the anytime α/√t costs a log factor: the descent lemma gives
:math:`\min_t \mathbb E\|\nabla F\|^2 \le (2\Delta + L\sigma^2\sum_t\alpha_t^2)/\sum_t\alpha_t`,
and :math:`\sum_{t\le T} 1/t \approx \ln T`, :math:`\sum_{t\le T} 1/\sqrt t \approx 2\sqrt T`,
hence :math:`O(\log T/\sqrt T)`; a log factor does not change the exponent but biases a
finite-range log-log fit towards a shallower slope.

(λ,ε)-stationarity reductions
-----------------------------
:func:`reductions` derives, symbolically, that an :math:`(L^2/\epsilon,\epsilon)`-stationary
point of an L-smooth F and an :math:`(H/2,\epsilon)`-stationary point of an F with
H-Lipschitz Hessian both have :math:`\|\nabla F\|\le 2\epsilon`, and what the rate
:math:`\lambda^{1/2}\epsilon^{-7/2}` becomes under each substitution
(:math:`L\epsilon^{-4}`; :math:`(H/2)^{1/2}\epsilon^{-7/2}`; :math:`\delta^{-1}\epsilon^{-3}` with
:math:`\lambda=\epsilon/\delta^2`, the Goldstein row).

References
----------
Theory reference of this project (``reference/theory.md``), optimal-rate table.
Theorem numbers not given there are marked (unverified).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from .. import validate as V

__all__ = ["Rate", "Prediction", "Reduction", "SYMBOLS", "MEASURES", "table", "row", "keys",
           "accuracy", "complexity", "leading_term", "rate_in", "predicted_slope", "reductions",
           "reduce_rate", "render", "T", "eps", "lam", "delta", "L", "sigma", "Delta", "mu", "G", "D",
           "d", "H", "Lbar", "R", "h"]

# ---------------------------------------------------------------------------- symbols
T, eps, lam, delta = sp.symbols("T epsilon lambda delta", positive=True)
L, sigma, Delta, mu, G, D, d = sp.symbols("L sigma Delta mu G D d", positive=True)
#: Hessian Lipschitz constant, mean-squared smoothness constant, ‖x_0 − x*‖, step factor (η = h/L)
H, Lbar, R, h = sp.symbols("H Lbar R h", positive=True)

#: every symbol a rate may use, by name; all are declared positive
SYMBOLS = {s.name: s for s in (T, eps, lam, delta, L, sigma, Delta, mu, G, D, d, H, Lbar, R, h)}

_UNICODE = {"epsilon": "ε", "lambda": "λ", "delta": "δ", "sigma": "σ", "Delta": "Δ", "mu": "μ",
            "Lbar": "L̄", "pi": "π"}

_HALF = sp.Rational(1, 2)

# ---------------------------------------------------------------------------- measures
#: measured quantity -> (native kind, power of that kind, extra power of T)
#: e.g. ``min_grad_norm_sq`` = min_t ‖∇F(x_t)‖² is the square of a gradient-norm measure.
MEASURES = {
    "grad_norm": ("grad_norm", sp.Integer(1), sp.Integer(0)),
    "grad_norm_sq": ("grad_norm", sp.Integer(2), sp.Integer(0)),
    "min_grad_norm_sq": ("grad_norm", sp.Integer(2), sp.Integer(0)),
    "avg_grad_norm_sq": ("grad_norm", sp.Integer(2), sp.Integer(0)),
    "out_grad_norm_sq": ("grad_norm", sp.Integer(2), sp.Integer(0)),
    "gap": ("gap", sp.Integer(1), sp.Integer(0)),
    "min_gap": ("gap", sp.Integer(1), sp.Integer(0)),
    "out_gap": ("gap", sp.Integer(1), sp.Integer(0)),
    "dist": ("dist", sp.Integer(1), sp.Integer(0)),
    "out_dist": ("dist", sp.Integer(1), sp.Integer(0)),
    "goldstein": ("goldstein", sp.Integer(1), sp.Integer(0)),
    "lambda_norm": ("lambda_norm", sp.Integer(1), sp.Integer(0)),
    "certificate": ("lambda_norm", sp.Integer(1), sp.Integer(0)),
    # Ahn & Cutkosky's measures: E_{t~U[T]} of the (λ,ε) measure at the EMA point, L2 and L1
    # (Definition 15), and E_t ‖∇F(x̄_t)‖ (Corollary 13), all to the first power
    "avg_certificate": ("lambda_norm", sp.Integer(1), sp.Integer(0)),
    "avg_certificate_l1": ("lambda_norm_l1", sp.Integer(1), sp.Integer(0)),
    "avg_out_grad_norm": ("grad_norm", sp.Integer(1), sp.Integer(0)),
    "avg_regret": ("avg_regret", sp.Integer(1), sp.Integer(0)),
    # (1/T) Σ_{t<T} (F(x_t) − F*) on an online family with i.i.d. losses: its expectation is the
    # expected average regret against x*, at most the regret against the best point in hindsight
    "avg_gap": ("avg_regret", sp.Integer(1), sp.Integer(0)),
    "regret": ("avg_regret", sp.Integer(1), sp.Integer(1)),
}

_FORMS = ("complexity", "accuracy")


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
        V.choice("form", self.form, _FORMS)
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
        return f"{self.key}: {self.setting}; {self.measure}; {self.form} {_text(self.expr)}"


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
        expr=lam**_HALF * eps ** sp.Rational(-7, 2),
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
        expr=d**_HALF * lam**_HALF * eps ** sp.Rational(-7, 2),
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
        expr=G * D * T**-_HALF,
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
        equivalents=(("dist", _HALF, "μ/2 ‖x − x*‖² ≤ F(x) − F*, so E‖x − x*‖² follows the gap"),),
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
        equivalents=(("dist", _HALF, "on a quadratic the slowest eigen-coordinate dominates: "
                                     "‖x − x*‖ ~ (1 − μ/L)^T"),
                     ("grad_norm", _HALF, "on a quadratic ‖∇F‖² ~ (1 − μ/L)^{2T}, like the gap")),
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
        expr=G * D * T**-_HALF,
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
        expr=G * D * T**-_HALF,
        lower_bound="standard Ω(√T) regret",
        attained_by=("AdaM³ / AdaMomentum with the schedules above",),
        source="Wang et al., ICDM 2023 supplement (ICDM23_AdaM3_supp.pdf, wyzjack/AdaM3), Theorem 4 and "
               "Corollary 2: R(T) = O(√((1 + log T) T))",
        tight=None,
        schedules=(("anytime", _HALF, "α_t = α/√t, β1,t = β1 λ^t: R(T)/T = O(√(1 + log T)/√T)"),
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


# ---------------------------------------------------------------------------- conversions
def _positive_root(equation, var) -> sp.Expr:
    """The unique positive solution of ``equation`` for ``var`` (``sympy.solveset`` on (0, ∞))."""
    roots = sp.solveset(equation, var, sp.Interval.open(0, sp.oo))
    if isinstance(roots, sp.FiniteSet):
        roots = list(roots)
    else:  # e.g. the log-ratio of the linear rate, whose sign sympy cannot decide
        roots = [r for r in sp.solve(equation, var)
                 if r.is_positive is not False and r.is_real is not False and not r.has(sp.I)]
    if len(roots) != 1:
        raise ValueError(f"cannot invert {equation} for a unique positive {var}: roots {roots}")
    return sp.simplify(roots[0])


def _monomial_in(term, var) -> bool:
    """``term`` = c · var**p with c free of var."""
    _, rest = term.as_independent(var, as_Add=False)
    return rest == var or (rest.is_Pow and rest.base == var and not rest.exp.has(var))


def _invert(expr, var, target) -> sp.Expr:
    """Solve ``target = expr(var)`` for var; a sum of powers is inverted term by term (Θ)."""
    terms = sp.Add.make_args(sp.expand(expr))
    if len(terms) > 1 and all(_monomial_in(t, var) for t in terms):
        return sp.Add(*[_positive_root(sp.Eq(target, t), var) for t in terms])
    return _positive_root(sp.Eq(target, expr), var)


def accuracy(rate) -> sp.Expr:
    r""":math:`\epsilon(T)` of a row (stored, or derived from :math:`T(\epsilon)` by ``sympy.solve``)."""
    rate = row(rate)
    if rate.form == "accuracy":
        return rate.expr
    return _inverted(rate.expr, eps, T)


def complexity(rate) -> sp.Expr:
    r""":math:`T(\epsilon)` of a row (stored, or derived from :math:`\epsilon(T)` by ``sympy.solve``)."""
    rate = row(rate)
    if rate.form == "complexity":
        return rate.expr
    return _inverted(rate.expr, T, eps)


@functools.lru_cache(maxsize=None)
def _inverted(expr, var, target) -> sp.Expr:
    # sympy expressions are immutable and hashable; solving is the slow part of render()
    return _invert(expr, var, target)


def leading_term(expr, var) -> sp.Expr:
    """The dominant term of a sum: as ``var`` → 0 for ε, as ``var`` → ∞ for T."""
    terms = sp.Add.make_args(sp.expand(expr))
    if len(terms) == 1:
        return expr
    at = 0 if var == eps else sp.oo
    best = terms[0]
    for t in terms[1:]:
        if sp.limit(best / t, var, at) == 0:
            best = t
    return best


def _measure(name):
    if name not in MEASURES:
        raise V.unknown_name("measure", name, MEASURES)
    return MEASURES[name]


def _power_in_native(rate: Rate, measure) -> tuple:
    """(power of the native measure, extra power of T) for a measured quantity."""
    if measure is None:
        return sp.Integer(1), sp.Integer(0)
    kind, power, t_power = _measure(measure)
    if kind == rate.kind:
        return power, t_power
    for other, rel, _ in rate.equivalents:
        if other == kind:
            return power * rel, t_power
    allowed = sorted(m for m, (k, _, _) in MEASURES.items()
                     if k == rate.kind or k in {e[0] for e in rate.equivalents})
    raise ValueError(f"row {rate.key!r} bounds {rate.measure}; measure {measure!r} ({kind}) does not "
                     f"follow from it. Allowed measures: {', '.join(allowed)}")


def rate_in(rate, measure=None, form: str = "accuracy") -> sp.Expr:
    r"""The row's rate for a measured quantity, in either form.

    With ``measure="min_grad_norm_sq"`` on a row bounding :math:`\mathbb E\|\nabla F\|\le\epsilon`
    the accuracy is :math:`\epsilon(T)^2` and the complexity is :math:`T(\epsilon_2^{1/2})` for
    the threshold :math:`\epsilon_2` on the squared norm (returned in the symbol ε).
    """
    rate = row(rate)
    V.choice("form", form, _FORMS)
    k, t_power = _power_in_native(rate, measure)
    if form == "accuracy":
        return sp.powsimp(sp.expand_power_base(accuracy(rate) ** k * T**t_power, force=True), force=True)
    if t_power != 0:
        raise ValueError(f"measure {measure!r} grows with T; a complexity is defined for "
                         f"{rate.measure} only")
    return sp.expand(complexity(rate).subs(eps, eps ** (1 / k)))


@dataclass(frozen=True)
class Prediction:
    """What theory predicts for a measured quantity against T.

    ``kind="power"``: the quantity behaves as :math:`T^{\\text{slope}}(\\log T)^{\\text{log\\_power}}`
    (``log_power`` None = not recorded for this schedule). ``kind="linear"``: it contracts by
    ``contraction`` per step and has no log-log slope.
    """

    row: str
    measure: str
    schedule: str
    kind: str
    slope: sp.Rational | None
    log_power: sp.Rational | None
    contraction: sp.Expr | None
    note: str

    def __str__(self) -> str:
        if self.kind == "linear":
            return f"{self.row}, {self.measure}: contraction {_text(self.contraction)} per step"
        logs = "" if not self.log_power else f" · (log T)^{self.log_power}"
        unk = " (log factor not recorded)" if self.log_power is None else ""
        return f"{self.row}, {self.measure}, {self.schedule}: T^({self.slope}){logs}{unk}"


def predicted_slope(rate, measure=None, schedule=None) -> Prediction:
    r"""Predicted log-log exponent in T of a measured quantity (or a contraction factor).

    Parameters
    ----------
    rate : Rate or str
        A row of :func:`table` or its key.
    measure : str, optional
        A name of :data:`MEASURES` (the simulator's metric names: ``min_grad_norm_sq``,
        ``gap``, …); default the row's native measure.
    schedule : {"anytime", "horizon"}, optional
        Default: the first schedule the row is stated for.

    Returns
    -------
    Prediction
        ``slope`` = :math:`\lim_{T\to\infty} d\log q(T)/d\log T` as a ``Rational`` for a power
        law, with ``log_power`` the extra power of log T of the schedule; for a geometric
        rate ``slope`` is None and ``contraction`` = :math:`q(T+1)/q(T)`.

    Examples
    --------
    ``predicted_slope("stoch_smooth_nonconvex", "min_grad_norm_sq", "horizon").slope == -1/2``;
    with ``"anytime"`` the slope is the same and ``log_power == 1`` (O(log T/√T)).
    """
    rate = row(rate)
    if schedule is None:
        schedule = rate.schedules[0][0] if rate.schedules else "horizon"
    V.choice("schedule", schedule, ("anytime", "horizon"))
    entry = {name: (lp, text) for name, lp, text in rate.schedules}.get(schedule, (None, "not recorded"))
    q = rate_in(rate, measure, "accuracy")
    name = measure or rate.kind
    ratio = sp.simplify(sp.powsimp(sp.powdenest(q.subs(T, T + 1) / q, force=True), force=True))
    if T not in ratio.free_symbols:
        return Prediction(rate.key, name, schedule, "linear", None, sp.Integer(0), ratio,
                          f"geometric decay by {_text(ratio)} per step; {entry[1]}")
    slope = sp.limit(T * sp.diff(sp.log(q), T), T, sp.oo)
    if not (slope.is_Rational):
        raise ValueError(f"row {rate.key!r}: {name} is not a power law in T (limit {slope})")
    note = entry[1]
    if entry[0]:
        note += f"; the log factor biases a finite-range log-log fit towards a slope above {slope}"
    return Prediction(rate.key, name, schedule, "power", sp.Rational(slope), entry[0], None, note)


# ---------------------------------------------------------------------------- reductions
@dataclass(frozen=True)
class Reduction:
    r"""A (λ,ε)-stationarity reduction: which λ, what it gives, and the rate after substitution.

    Attributes
    ----------
    name, assumption, source : str
    lam : sympy.Expr
        The λ substituted (in ε, L, H, δ).
    bound : sympy.Expr or None
        Upper bound on ‖∇F(x)‖ of a (λ,ε)-stationary x, from bounding the two terms of
        ‖∇F‖_[λ] separately (a ≤ ε and λ s ≤ ε): the reference's 2ε.
    sharp_bound : sympy.Expr or None
        The maximum of the same bound over the feasible split a + λ s ≤ ε.
    rate : sympy.Expr
        :math:`\lambda^{1/2}\epsilon^{-7/2}` with λ substituted.
    """

    name: str
    assumption: str
    lam: sp.Expr
    bound: sp.Expr | None
    sharp_bound: sp.Expr | None
    rate: sp.Expr
    source: str


_a, _s = sp.symbols("a s", nonnegative=True)


def _gradient_bound(remainder, lam_value):
    r"""Bounds on ‖∇F(x)‖ for x with a + λ s ≤ ε.

    Write p for the distribution of ‖∇F(x)‖_[λ] (mean x), a = ‖E_p ∇F(w)‖ and
    s = E_p‖w − x‖². Then ‖∇F(x)‖ ≤ a + r(s) with r the remainder of the assumption:
    r(s) = L√s (L-smooth and Jensen) or r(s) = (H/2) s (Taylor with H-Lipschitz Hessian,
    the first-order term vanishing because E_p w = x). Loose: a ≤ ε and s ≤ ε/λ separately;
    sharp: max over a ∈ [0, ε] of a + r((ε − a)/λ).
    """
    loose = sp.simplify(eps + remainder(eps / lam_value))
    f = sp.simplify(_a + remainder((eps - _a) / lam_value))
    candidates = [sp.Integer(0), eps]
    df = sp.diff(f, _a)
    if df != 0:
        candidates += [c for c in sp.solve(df, _a) if c.is_real is not False]
    values = [sp.simplify(f.subs(_a, c)) for c in candidates]
    sharp = values[0]
    for v in values[1:]:
        if sp.simplify(v - sharp).is_positive:
            sharp = v
    return loose, sharp


def reduce_rate(lam_value) -> sp.Expr:
    r""":math:`\lambda^{1/2}\epsilon^{-7/2}` (the (λ,ε) row) with λ substituted."""
    return sp.simplify(row("lambda_stationary").expr.subs(lam, lam_value))


def reductions() -> tuple:
    """The three reductions of the theory reference, each derived symbolically."""
    lam_smooth = L**2 / eps
    lam_hess = H / 2
    smooth = _gradient_bound(lambda s: L * sp.sqrt(s), lam_smooth)
    hess = _gradient_bound(lambda s: H / 2 * s, lam_hess)
    return (
        Reduction("smooth", "F is L-smooth", lam_smooth, smooth[0], smooth[1], reduce_rate(lam_smooth),
                  "Ahn & Cutkosky 2024, Lemma 4 (citing Zhang & Cutkosky 2024, Lemma 2.3); Corollary 13"),
        Reduction("hessian", "∇²F is H-Lipschitz", lam_hess, hess[0], hess[1], reduce_rate(lam_hess),
                  "Ahn & Cutkosky 2024, Lemma 4 (citing Zhang & Cutkosky 2024, Lemma 2.3); Corollary 13"),
        Reduction("goldstein", "F is G-Lipschitz; with λ = ε/δ², (λ,ε) relaxes (δ,ε)-Goldstein",
                  eps / delta**2, None, None, reduce_rate(eps / delta**2),
                  "Ahn & Cutkosky 2024, Lemma 5 (citing Zhang & Cutkosky 2024, Lemma 2.4): ε' = (1 + 2G/(λδ²))ε"),
    )


# ---------------------------------------------------------------------------- rendering
def _text(expr) -> str:
    import re
    s = sp.sstr(expr)
    s = re.sub(r"\b(" + "|".join(_UNICODE) + r")\b", lambda m: _UNICODE[m.group(1)], s)
    return s.replace("**", "^").replace("*", "·")


_COLUMNS = ("key", "setting", "measure", "rate", "derived", "lower bound", "attained by", "source", "tight")


def _cells(rate: Rate, fmt: str) -> list:
    stored, derived = (("T(ε) = ", "ε(T) = ") if rate.form == "complexity" else ("ε(T) = ", "T(ε) = "))
    other = accuracy(rate) if rate.form == "complexity" else complexity(rate)
    tight = {True: "tight", None: "unverified", False: "upper bound"}[rate.tight]
    if fmt == "latex":
        var, ovar = ((r"T(\epsilon)", r"\epsilon(T)") if rate.form == "complexity"
                     else (r"\epsilon(T)", r"T(\epsilon)"))
        rate_cell = f"${var} = {sp.latex(rate.expr)}$"
        other_cell = f"${ovar} = {sp.latex(other)}$"
        esc = _latex_escape
        return [esc(rate.key), esc(rate.setting), esc(rate.measure), rate_cell, other_cell,
                esc(rate.lower_bound), esc("; ".join(rate.attained_by)), esc(rate.source), tight]
    return [rate.key, rate.setting, rate.measure, stored + _text(rate.expr), derived + _text(other),
            rate.lower_bound, "; ".join(rate.attained_by), rate.source, tight]


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$"}


def _latex_escape(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in s)


def render(format: str = "markdown") -> str:
    """The table as text: ``"markdown"`` (unicode symbols) or ``"latex"`` (a tabular)."""
    V.choice("format", format, ("markdown", "latex"))
    rows = [_cells(r, format) for r in _ROWS]
    if format == "markdown":
        lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in rows]
        return "\n".join(lines) + "\n"
    spec = "l" * len(_COLUMNS)
    lines = [r"\begin{tabular}{" + spec + "}", r"\hline",
             " & ".join(_COLUMNS) + r" \\", r"\hline"]
    lines += [" & ".join(cells) + r" \\" for cells in rows]
    lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
