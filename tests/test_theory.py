"""The rate table as data: exactness, conversions, measure powers, predicted slopes, reductions.

Every identity is checked symbolically (``simplify(a - b) == 0``) and numerically at random
positive values of the symbols.
"""
import math

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

from ratecheck import theory as th
from ratecheck.theory.conversions import invert
from ratecheck.theory import D, Delta, G, H, L, R, T, delta, eps, h, lam, mu, sigma

Q = sp.Rational


def _values(rng, expr_symbols):
    """Random positive values, with mu < L (the linear row needs 1 - mu/L in (0, 1))."""
    vals = {s: float(rng.uniform(0.5, 3.0)) for s in sorted(expr_symbols, key=str)}
    if mu in vals and L in vals:
        vals[mu] = vals[L] * float(rng.uniform(0.05, 0.9))
    return vals


def _same(a, b, rng, n=5, rtol=1e-9):
    """a == b symbolically and at n random positive points."""
    assert sp.simplify(a - b) == 0, (a, b)
    syms = a.free_symbols | b.free_symbols
    for _ in range(n):
        v = _values(rng, syms)
        fa, fb = float(a.subs(v)), float(b.subs(v))
        assert math.isclose(fa, fb, rel_tol=rtol), (a, b, v, fa, fb)


def _eps_exponent(expr):
    """lim_{ε→0} d log T / d log ε: the power of ε in a complexity."""
    return sp.limit(eps * sp.diff(sp.log(expr), eps), eps, 0)


# ---------------------------------------------------------------------------- storage
def test_every_row_is_exact_and_in_the_declared_symbols():
    assert len(th.table()) == 14
    assert len(set(th.keys())) == len(th.keys())
    for r in th.table():
        assert not r.expr.atoms(sp.Float), r.key
        assert r.expr.free_symbols <= set(th.SYMBOLS.values()), r.key
        assert all(s.is_positive for s in r.expr.free_symbols)
        assert r.form in ("complexity", "accuracy")
        for other in (th.accuracy(r), th.complexity(r)):
            assert not other.atoms(sp.Float), (r.key, other)
        for _, lp, _ in r.schedules:
            assert lp is None or isinstance(lp, sp.Rational)  # (1 + log T)^(1/2): AdaM³'s regret


def test_rows_hold_the_reference_rates():
    # typed from theory.md, the table's one stored form
    assert th.row("stoch_smooth_nonconvex").expr == Delta * L * sigma**2 / eps**4 + Delta * L / eps**2
    assert th.row("lambda_stationary").expr == sp.sqrt(lam) * eps ** Q(-7, 2)
    assert th.row("goldstein").expr == 1 / (delta * eps**3)
    assert th.row("gd_smooth_convex").expr == L * R**2 / (2 * (2 * T * h + 1))
    assert th.row("strongly_convex_sgd").expr == G**2 / (mu * T)


def test_unverified_items_stay_marked():
    hess = th.row("stoch_hessian_smooth_nonconvex")
    assert hess.tight is None and "(unverified)" in hess.lower_bound
    assert "(unverified)" in hess.source
    stoch = th.row("stoch_smooth_nonconvex")
    # AdaM³'s rate is now sourced (ICDM 2023 supplement, Cor. 1) and has its own row; its
    # constants are what stays unverified
    assert any("AdaMomentum" in a and "adam3_nonconvex" in a for a in stoch.attained_by)
    assert "Corollary 1" in th.row("adam3_nonconvex").source and th.row("adam3_nonconvex").unverified
    assert any("ADOPT" in a and "(unverified)" in a for a in stoch.attained_by)


def test_a_float_literal_or_a_wrong_variable_is_refused():
    good = th.row("goldstein")
    fields = {f: getattr(good, f) for f in good.__dataclass_fields__}
    with pytest.raises(ValueError, match="float"):
        th.Rate(**{**fields, "expr": 0.5 * eps**-3})
    with pytest.raises(ValueError, match="function of"):
        th.Rate(**{**fields, "expr": T * eps**-3})
    with pytest.raises(ValueError, match="form"):
        th.Rate(**{**fields, "form": "rate"})


def test_unknown_row_names_close_matches():
    with pytest.raises(ValueError, match="goldstein"):
        th.row("goldstien")


# ---------------------------------------------------------------------------- conversions
def test_brief_example_complexity_to_accuracy():
    # T = ΔLσ² ε^{-4}  ⇔  ε = (ΔLσ²/T)^{1/4}: the leading term of the derived ε(T)
    acc = th.accuracy("stoch_smooth_nonconvex")
    _same(th.leading_term(acc, T), (Delta * L * sigma**2 / T) ** Q(1, 4), np.random.default_rng(0))
    # and the lower-order ε^{-2} term inverts to (ΔL/T)^{1/2}
    _same(acc - th.leading_term(acc, T), sp.sqrt(Delta * L / T), np.random.default_rng(1))


@pytest.mark.parametrize("key", [r.key for r in th.table()])
def test_round_trip(key, rng):
    r = th.row(key)
    if r.form == "complexity":
        back = invert(th.accuracy(r), T, eps)
    else:
        back = invert(th.complexity(r), eps, T)
    terms = sp.Add.make_args(sp.expand(r.expr))
    if key == "gd_strongly_convex":
        # sympy needs 1 − μ/L > 0 to merge the logs: write μ = L/(1 + m) with m > 0
        m = sp.Symbol("m", positive=True)
        back, expr = back.subs(mu, L / (1 + m)), r.expr.subs(mu, L / (1 + m))
        _same(sp.expand_log(back, force=True), sp.expand_log(expr, force=True), rng)
    elif len(terms) == 1:
        _same(sp.expand(back), sp.expand(r.expr), rng)
    else:
        # a sum of powers round-trips exactly in each term (hence in the leading one)
        var = eps if r.form == "complexity" else T
        _same(th.leading_term(back, var), th.leading_term(r.expr, var), rng)


@pytest.mark.parametrize("key", ["stoch_smooth_nonconvex", "stoch_meansq_smooth_nonconvex"])
def test_sum_inverse_is_theta_equivalent(key, rng):
    # T = Σ a_i ε^{-p_i}: the exact root ε* satisfies max_i (a_i/T)^{1/p_i} ≤ ε* ≤ n^{1/p_min} max_i,
    # and the derived Σ_i (a_i/T)^{1/p_i} lies in [max_i, n max_i]; so the two are within n^{1+1/p_min}.
    r = th.row(key)
    terms = sp.Add.make_args(r.expr)
    p_min = min(-_eps_exponent(t) for t in terms)
    for _ in range(5):
        v = _values(rng, r.expr.free_symbols - {eps})
        v[T] = float(10 ** rng.uniform(2, 8))
        Tn = v[T]
        f = sp.lambdify(eps, r.expr.subs(v))
        root = brentq(lambda e: f(e) - Tn, 1e-12, 1e12, xtol=1e-300, rtol=1e-14)
        parts = [float(invert(t, eps, T).subs(v)) for t in terms]
        n = len(terms)
        assert max(parts) * (1 - 1e-9) <= root <= n ** (1 / float(p_min)) * max(parts) * (1 + 1e-9)
        assert float(th.accuracy(r).subs(v)) == pytest.approx(sum(parts), rel=1e-12)


def test_linear_rate_complexity_is_kappa_log(rng):
    # T(ε) = log(Δ/ε) / (−2 log(1 − μ/L)) ≤ (κ/2) log(Δ/ε) since −log(1 − x) ≥ x, κ = L/μ
    Tc = th.complexity("gd_strongly_convex")
    for _ in range(5):
        v = _values(rng, Tc.free_symbols)
        v[eps] = v[Delta] * float(rng.uniform(1e-6, 0.5))
        exact = math.log(v[Delta] / v[eps]) / (-2 * math.log(1 - v[mu] / v[L]))
        assert float(Tc.subs(v)) == pytest.approx(exact, rel=1e-12)
        assert exact <= v[L] / v[mu] / 2 * math.log(v[Delta] / v[eps]) * (1 + 1e-12)


def test_measure_power(rng):
    # ‖∇F‖ ≤ ε(T) read as ‖∇F‖² ≤ ε(T)²; complexity for a threshold ε₂ on ‖∇F‖²: T(√ε₂)
    r = th.row("stoch_smooth_nonconvex")
    _same(th.rate_in(r, "min_grad_norm_sq"), sp.expand(th.accuracy(r) ** 2), rng)
    _same(th.rate_in(r, "min_grad_norm_sq", "complexity"),
          Delta * L * sigma**2 / eps**2 + Delta * L / eps, rng)
    # GD's explicit bound min_t ‖∇F‖² ≤ 2LΔ/T is the Θ-rate in the squared measure times 2
    det = th.row("det_smooth_nonconvex")
    measure, bound = det.bound
    _same(bound / th.rate_in(det, measure), sp.Integer(2), rng)
    # regret = T · average regret
    _same(th.rate_in("online_regret", "regret"), G * D * sp.sqrt(T), rng)
    with pytest.raises(ValueError, match="grows with T"):
        th.rate_in("online_regret", "regret", "complexity")


def test_measure_of_another_kind_is_refused():
    with pytest.raises(ValueError, match="does not follow"):
        th.predicted_slope("stoch_smooth_nonconvex", "gap")
    with pytest.raises(ValueError, match="unknown measure"):
        th.predicted_slope("stoch_smooth_nonconvex", "grad_norm_cubed")
    with pytest.raises(ValueError, match="schedule"):
        th.predicted_slope("stoch_smooth_nonconvex", schedule="cosine")


# ---------------------------------------------------------------------------- predicted slopes
@pytest.mark.parametrize("key, measure, schedule, slope, log_power", [
    # ε(T) ~ T^{-1/4} (from T ~ ε^{-4}); min E‖∇F‖² ~ ε² ~ T^{-1/2}
    ("stoch_smooth_nonconvex", "min_grad_norm_sq", "horizon", Q(-1, 2), 0),
    # α_t = c/√t: Σ α_t² ≈ c² ln T gives O(log T/√T): same exponent, one log
    ("stoch_smooth_nonconvex", "min_grad_norm_sq", "anytime", Q(-1, 2), 1),
    ("stoch_smooth_nonconvex", None, "horizon", Q(-1, 4), 0),
    # G²/(μT)
    ("strongly_convex_sgd", "gap", "anytime", Q(-1), 0),
    ("strongly_convex_sgd", "dist", "anytime", Q(-1, 2), 0),
    # T ~ LΔ ε^{-2}: ‖∇F‖² ~ 1/T, like GD's 2LΔ/T
    ("det_smooth_nonconvex", "min_grad_norm_sq", "horizon", Q(-1), 0),
    ("stoch_meansq_smooth_nonconvex", "grad_norm_sq", "horizon", Q(-2, 3), 0),
    ("stoch_hessian_smooth_nonconvex", "grad_norm", "horizon", Q(-2, 7), 0),
    ("goldstein", "goldstein", "horizon", Q(-1, 3), 0),
    ("lambda_stationary", "certificate", "horizon", Q(-2, 7), 0),
    ("convex_lipschitz", "out_gap", "horizon", Q(-1, 2), 0),
    ("gd_smooth_convex", "gap", "horizon", Q(-1), 0),
    ("online_regret", "regret", "anytime", Q(1, 2), 0),
    ("online_regret", "avg_regret", "anytime", Q(-1, 2), 0),
])
def test_predicted_slopes(key, measure, schedule, slope, log_power):
    p = th.predicted_slope(key, measure, schedule)
    assert p.kind == "power"
    assert isinstance(p.slope, sp.Rational) and p.slope == slope
    assert p.log_power == log_power
    assert p.contraction is None


def test_unrecorded_log_factor_is_none():
    p = th.predicted_slope("lambda_stationary", schedule="anytime")
    assert p.slope == Q(-2, 7) and p.log_power is None
    assert "not recorded" in str(p)


def test_gd_linear_rate_is_a_contraction(rng):
    # F − F* = Δ(1 − μ/L)^{2T}: factor (1 − μ/L)² per step; ‖x − x*‖ the square root of it
    p = th.predicted_slope("gd_strongly_convex", "gap")
    assert p.kind == "linear" and p.slope is None
    _same(p.contraction, (1 - mu / L) ** 2, rng)
    _same(th.predicted_slope("gd_strongly_convex", "dist").contraction, 1 - mu / L, rng)
    _same(th.predicted_slope("gd_strongly_convex", "grad_norm_sq").contraction, (1 - mu / L) ** 2, rng)


# ---------------------------------------------------------------------------- reductions
def test_smooth_reduction(rng):
    # ‖∇F(x)‖ ≤ a + L√s with a = ‖E∇F(w)‖, s = E‖w − x‖², a + λs ≤ ε (Jensen, L-smooth).
    # λ = L²/ε: a ≤ ε and L√(ε/λ) = ε give 2ε; maximizing a + √(ε(ε − a)) over a: a = 3ε/4, value 5ε/4.
    red = {r.name: r for r in th.reductions()}["smooth"]
    _same(red.lam, L**2 / eps, rng)
    _same(red.bound, 2 * eps, rng)
    _same(red.sharp_bound, Q(5, 4) * eps, rng)
    # λ^{1/2} ε^{-7/2} with λ = L²/ε is L ε^{-4}: the ε^{-4} of the stochastic smooth row
    _same(red.rate, L / eps**4, rng)
    assert _eps_exponent(red.rate) == _eps_exponent(th.leading_term(th.row("stoch_smooth_nonconvex").expr, eps))
    # numerically: the sup over a grid of a + L√((ε − a)/λ) is 5ε/4 ≤ 2ε
    for _ in range(3):
        Ln, en = rng.uniform(0.5, 3.0, size=2)
        a = np.linspace(0, en, 200001)
        sup = np.max(a + Ln * np.sqrt((en - a) / (Ln**2 / en)))
        assert sup == pytest.approx(1.25 * en, rel=1e-9) and sup <= 2 * en


def test_hessian_reduction(rng):
    # ‖∇F(x)‖ ≤ a + (H/2)s (Taylor, E_p w = x kills the first-order term); λ = H/2: a + λs ≤ ε,
    # so ‖∇F‖ ≤ ε (sharp) ≤ 2ε (bounding the terms separately, the reference's statement).
    red = {r.name: r for r in th.reductions()}["hessian"]
    _same(red.lam, H / 2, rng)
    _same(red.bound, 2 * eps, rng)
    _same(red.sharp_bound, eps, rng)
    _same(red.rate, sp.sqrt(H / 2) * eps ** Q(-7, 2), rng)
    assert _eps_exponent(red.rate) == _eps_exponent(th.row("stoch_hessian_smooth_nonconvex").expr) == Q(-7, 2)


def test_goldstein_substitution_recovers_the_goldstein_row(rng):
    # λ = ε/δ²: (ε/δ²)^{1/2} ε^{-7/2} = δ^{-1} ε^{-3}
    red = {r.name: r for r in th.reductions()}["goldstein"]
    _same(red.rate, th.row("goldstein").expr, rng)
    assert red.bound is None


# ---------------------------------------------------------------------------- rendering
def test_render_markdown_has_every_row():
    text = th.render("markdown")
    lines = text.strip().splitlines()
    assert len(lines) == len(th.table()) + 2
    for r in th.table():
        assert sum(line.startswith(f"| {r.key} |") for line in lines) == 1
    assert "(unverified)" in text and "T(ε) = " in text and "ε(T) = " in text
    assert "**" not in text


def test_render_latex_has_every_row():
    text = th.render("latex")
    assert text.startswith(r"\begin{tabular}") and text.rstrip().endswith(r"\end{tabular}")
    for r in th.table():
        assert r.key.replace("_", r"\_") in text
    assert r"\frac{\Delta L \sigma^{2}}{\epsilon^{4}}" in text
    with pytest.raises(ValueError, match="format"):
        th.render("html")


def test_adam3_rows_record_their_log_factors():
    # ICDM 2023 supplement: Cor. 1, time average of E||grad F||^2 = O((1 + log T)/sqrt T);
    # Cor. 2, R(T) = O(sqrt((1 + log T) T)), so R(T)/T = O((1 + log T)^(1/2) T^(-1/2))
    p = th.predicted_slope("adam3_nonconvex", "avg_grad_norm_sq", "anytime")
    assert (p.slope, p.log_power) == (Q(-1, 2), 1)
    p = th.predicted_slope("adam3_online_convex", "avg_gap", "anytime")
    assert (p.slope, p.log_power) == (Q(-1, 2), Q(1, 2))
    assert th.predicted_slope("adam3_nonconvex", "avg_grad_norm_sq", "horizon").log_power is None
    assert th.row("adam3_nonconvex").tight is None and th.row("adam3_online_convex").tight is None


def test_the_latex_tables_are_ascii_with_symbols_in_math_mode_and_compile(tmp_path):
    # issue 16: `ratecheck table --format latex` prints both tables; raw unicode outside math does not compile
    import re
    import shutil
    import subprocess
    from ratecheck.theory import theorems
    tex = th.render("latex") + theorems.render("latex")
    assert sorted({c for c in tex if ord(c) > 127}) == []
    assert r"$E\|\nabla F" in tex and r"\varepsilon" in tex and r"\lambda" in tex
    for line in tex.splitlines():
        assert len(re.findall(r"(?<!\\)\$", line)) % 2 == 0, line      # every math span is closed
    exe = shutil.which("pdflatex") or shutil.which("latex")
    if exe is None:
        pytest.skip("no pdflatex/latex on this machine: the ASCII and math-mode checks ran, compiling did not")
    doc = tmp_path / "table.tex"
    doc.write_text("\\documentclass{article}\n\\begin{document}\n\\tiny\n" + tex + "\\end{document}\n")
    run = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
