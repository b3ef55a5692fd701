"""Rate estimators: exact recovery, windows (burn-in, plateau, bends), exclusions, calibration.

Synthetic curves are generated directly (no simulation). The calibration curves are
values_r(t) = 3 t^{-a} exp(b_r + e_{r,k}) with a per-replicate effect b_r ~ N(0, 0.7²) (a
log-normal spread across replicates, coefficient of variation ≈ 0.8) and stationary AR(1)
noise e_{r,k} across checkpoints (sd 0.3, correlation 0.8), so that checkpoints of one
replicate are strongly correlated. E exp(e_{r,k}) does not depend on k, so the mean curve is
exactly proportional to t^{-a}: the true exponent of the mean is −a.
"""
import math

import numpy as np
import pytest
import scipy.stats as st

from ratecheck import rates as fr
from ratecheck.rates.common import slopes
from ratecheck import theory as th

T40 = np.unique(np.round(np.logspace(0, 4, 40))).astype(np.int64)


def _noisy(rng, t, a, replicates, sb=0.7, se=0.3, rho=0.8, c=3.0):
    b = rng.normal(0.0, sb, replicates)
    z = rng.normal(0.0, se, (t.size, replicates))
    e = np.empty_like(z)
    e[0] = z[0]
    for k in range(1, t.size):
        e[k] = rho * e[k - 1] + math.sqrt(1 - rho**2) * z[k]
    return c * t[:, None] ** (-a) * np.exp(b + e)


def _tile(curve, replicates=6, scale=None):
    out = np.tile(np.asarray(curve, dtype=float)[:, None], (1, replicates))
    return out if scale is None else out * scale


# ---------------------------------------------------------------------------- exact recovery
@pytest.mark.parametrize("method", ["ols", "theil_sen"])
@pytest.mark.parametrize("center", ["mean", "median"])
@pytest.mark.parametrize("window", ["auto", None])
def test_exact_power_law(method, center, window, rng):
    # each replicate is k_r · 2 t^{-0.7}: the mean (median) is (mean k)·2 t^{-0.7}, slope exactly −0.7
    k = rng.uniform(0.5, 2.0, 8)
    v = 2.0 * T40[:, None] ** -0.7 * k
    f = fr.fit_rate(T40, v, method=method, center=center, window=window, n_boot=200, rng=1)
    assert abs(f.exponent + 0.7) < 1e-10
    assert f.asymptotic is True and f.reason == "ok"
    ck = k.mean() if center == "mean" else np.median(k)
    assert f.intercept == pytest.approx(math.log(2.0 * ck), abs=1e-9)
    # the resamples all give −0.7 up to rounding: zero-width interval
    assert f.ci[0] <= f.exponent <= f.ci[1] and f.width < 1e-9
    assert f.n_replicates == 8 and f.n_diverged == 0


def test_point_estimates_match_scipy(rng):
    x = np.sort(rng.uniform(0, 5, 17))
    y = -0.4 * x + rng.normal(0, 0.1, x.size)
    assert slopes(x, y, "ols") == pytest.approx(st.linregress(x, y).slope, rel=1e-12)
    assert slopes(x, y, "theil_sen") == pytest.approx(st.theilslopes(y, x).slope, rel=1e-12)
    # vectorized over trailing axes: the same slope per column
    yy = np.stack([y, 2 * y], axis=1)
    np.testing.assert_allclose(slopes(x, yy, "ols"), [st.linregress(x, y).slope,
                                                          st.linregress(x, 2 * y).slope], rtol=1e-12)


def test_same_seed_same_fit(rng):
    v = _noisy(rng, T40, 0.5, 16)
    a = fr.fit_rate(T40, v, n_boot=300, rng=7)
    b = fr.fit_rate(T40, v, n_boot=300, rng=np.random.default_rng(7))
    assert a == b


# ---------------------------------------------------------------------------- windows
def test_hard_plateau_is_excluded():
    # max(t^{-1}, 10^{-3}) is flat for t ≥ 1000 (the last quarter of the log range), so the
    # tail slope is 0 ≤ 0.1·|overall|: the window ends before 10·10^{-3}, i.e. t < 100.
    v = _tile(np.maximum(T40 ** -1.0, 1e-3))
    f = fr.fit_rate(T40, v, n_boot=200, rng=1)
    assert f.plateau == pytest.approx(1e-3)
    assert f.window[1] < 100
    assert abs(f.exponent + 1.0) < 1e-10
    assert "plateau" in f.message


def test_soft_noise_floor_is_excluded():
    # t^{-1} + 10^{-3} (a constant-step noise floor) over 6 decades: flat at the end, window ends
    # where the center exceeds 10 f, i.e. 1/t > 9·10^{-3}, t < 112; there the local slope
    # −(1 − f/c) lies in [−1, −0.9], so the fitted exponent lies in [−1, −0.9].
    t = np.unique(np.round(np.logspace(0, 6, 61))).astype(np.int64)
    v = _tile(t ** -1.0 + 1e-3)
    f = fr.fit_rate(t, v, n_boot=200, rng=1)
    assert f.plateau == pytest.approx(1e-3, rel=0.05)
    assert f.window[1] < 112
    assert -1.0 <= f.exponent <= -0.9


def test_machine_precision_is_excluded():
    # t^{-4} falls below 1e-15 × max(=1) at t = 10^{15/4} ≈ 5623; roundoff-level jitter after that
    t = np.unique(np.round(np.logspace(0, 5, 50))).astype(np.int64)
    jitter = 1e-17 * (1 + np.random.default_rng(3).random((t.size, 6)))
    v = t[:, None] ** -4.0 + jitter
    f = fr.fit_rate(t, v, n_boot=200, rng=1)
    assert f.window[1] < 5623
    assert f.exponent == pytest.approx(-4.0, abs=1e-3)


def test_late_bend_is_not_asymptotic(rng):
    # c = t^{-1/2} (1 + t/10³)^{-1/2}: local slope −1/2 − (t/10³)/(2(1 + t/10³)) goes from −1/2 to −1
    # around t = 10³, inside the last decade: no window of ≥ 1 decade has settled slopes.
    c = T40 ** -0.5 / np.sqrt(1 + T40 / 1e3)
    for v in (_tile(c), c[:, None] * np.exp(rng.normal(0, 0.05, (T40.size, 16)))):
        f = fr.fit_rate(T40, v, n_boot=300, rng=1)
        assert f.asymptotic is False and f.reason == "not_asymptotic"
        assert math.isnan(f.exponent) and all(math.isnan(c_) for c_ in f.ci)
        (_, s1), (_, s2) = f.local_slopes
        assert s2 < s1 - 0.05  # steepening
        assert "steepening" in f.message and f.drift_ci[1] < -0.05
    # an explicit window over the bend is flagged too
    f = fr.fit_rate(T40, _tile(c), window=(100, 10_000), n_boot=200, rng=1)
    assert f.asymptotic is False


def test_burn_in_transient_is_skipped():
    # c = t^{-1}(1 + 30/t): slope −1 − (30/t)/(1 + 30/t), settled (|drift| ≤ 0.05) only late;
    # the automatic window moves t_lo until the two halves agree, so the fit is close to −1.
    t = np.unique(np.round(np.logspace(0, 5, 50))).astype(np.int64)
    v = _tile(t ** -1.0 * (1 + 30.0 / t))
    f = fr.fit_rate(t, v, n_boot=200, rng=1)
    assert f.asymptotic is True
    assert f.window[0] > 30
    assert f.exponent == pytest.approx(-1.0, abs=0.03)
    # the whole curve (window=None) is not settled
    assert fr.fit_rate(t, v, window=None, n_boot=200, rng=1).asymptotic is False


# ---------------------------------------------------------------------------- exclusions
def test_diverged_columns_are_excluded_and_counted(rng):
    v = _noisy(rng, T40, 0.5, 20)
    bad = [2, 7, 11]
    w = v.copy()
    w[25:, bad] = np.nan  # diverged at checkpoint 25
    w[30:, 7] = np.inf
    keep = np.setdiff1d(np.arange(20), bad)
    f = fr.fit_rate(T40, w, n_boot=300, rng=4)
    g = fr.fit_rate(T40, v[:, keep], n_boot=300, rng=4)
    assert f.n_diverged == 3 and f.n_replicates == 17
    assert f.exponent == g.exponent and f.ci == g.ci
    assert "3 of 20 replicates excluded" in f.message


def test_too_few_replicates_or_points_is_refused(rng):
    v = _noisy(rng, T40, 0.5, 8)
    v[:, :4] = np.nan
    with pytest.raises(ValueError, match="only 4 of 8 replicates.*min_replicates=5"):
        fr.fit_rate(T40, v)
    with pytest.raises(ValueError, match="min_points"):
        fr.fit_rate(T40, _noisy(rng, T40, 0.5, 8), window=(10, 20))
    with pytest.raises(ValueError, match="min_points"):
        # 5 checkpoints 1..5, of which the burn-in (first fifth of the log range) drops t = 1
        fr.fit_rate(T40[:5], _noisy(rng, T40[:5], 0.5, 8))


def test_bad_input_names_the_field(rng):
    v = _noisy(rng, T40, 0.5, 8)
    with pytest.raises(ValueError, match="center"):
        fr.fit_rate(T40, v, center="mode")
    with pytest.raises(ValueError, match="method"):
        fr.fit_rate(T40, v, method="lad")
    with pytest.raises(ValueError, match="shape"):
        fr.fit_rate(T40, v[:-1])
    with pytest.raises(ValueError, match="increasing"):
        fr.fit_rate(T40[::-1], v)
    with pytest.raises(ValueError, match="t_lo < t_hi"):
        fr.fit_rate(T40, v, window=(100, 10))
    with pytest.raises(ValueError, match="window"):
        fr.fit_rate(T40, v, window="best")
    with pytest.raises(ValueError, match="confidence"):
        fr.fit_rate(T40, v, confidence=95)


# ---------------------------------------------------------------------------- calibration
def _coverage(trials, replicates, n_boot, seed, a=0.5, **kw):
    hits, widths = [], []
    for child in np.random.SeedSequence(seed).spawn(trials):
        g = np.random.default_rng(child)
        f = fr.fit_rate(T40, _noisy(g, T40, a, replicates), n_boot=n_boot, rng=g, **kw)
        hits.append(f.covers(-a))  # a NaN (not asymptotic) fit counts as a miss
        widths.append(f.width)
    return float(np.mean(hits)), float(np.nanmedian(widths))


def test_calibration_small():
    # 300 seeded trials, 64 replicates; measured 0.942 coverage (1000 trials: 0.944), width ≈ 0.033
    cover, width = _coverage(300, 64, 400, seed=20240601)
    assert cover >= 0.90
    assert width < 0.2


@pytest.mark.slow
@pytest.mark.parametrize("replicates", [32, 64])
@pytest.mark.parametrize("method, center", [("ols", "mean"), ("ols", "median"), ("theil_sen", "mean")])
def test_calibration_full(replicates, method, center):
    cover, width = _coverage(500, replicates, 1000, seed=7, method=method, center=center)
    assert cover >= 0.90
    assert width < 0.2


# ---------------------------------------------------------------------------- horizon sweep
def test_horizon_sweep_exact():
    # one value per replicate per horizon: k_r · 0.5 T^{-1/2}, so the mean is exactly ∝ T^{-1/2}
    H = np.array([100, 300, 1000, 3000, 10_000, 30_000])
    k = np.linspace(0.5, 1.5, 7)
    f = fr.fit_horizon_sweep(H, [0.5 * h**-0.5 * k for h in H], n_boot=200, rng=1)
    assert abs(f.exponent + 0.5) < 1e-10 and f.asymptotic is True
    assert f.window == (100.0, 30_000.0) and f.n_points == 6 and f.n_replicates == 42


def test_horizon_sweep_noisy_with_nan(rng):
    # unequal replicate counts, a few diverged (NaN) runs, log-normal spread (sd 0.5) per run
    H = np.array([100, 300, 1000, 3000, 10_000, 30_000])
    hits = 0
    for trial in range(20):
        vals = []
        for i, h in enumerate(H):
            v = 0.5 * h**-0.5 * np.exp(rng.normal(0, 0.5, 30 + 5 * i))
            v[:trial % 3] = np.nan
            vals.append(v)
        f = fr.fit_horizon_sweep(H, vals, n_boot=400, rng=rng)
        assert f.n_diverged == 6 * (trial % 3)
        hits += f.covers(-0.5)
    # 20 trials at ≈ 95%: P(fewer than 17 hits) < 2% for coverage ≥ 0.9 (binomial)
    assert hits >= 17


def test_horizon_sweep_refuses_short_horizons():
    with pytest.raises(ValueError, match="horizon 300 has only 2 finite"):
        fr.fit_horizon_sweep([100, 300, 1000], [np.ones(6), [1.0, 1.0, np.nan], np.ones(6)])
    with pytest.raises(ValueError, match="one entry per horizon"):
        fr.fit_horizon_sweep([100, 300, 1000], [np.ones(6)] * 2)


def test_corrected_sweep_recovers_the_exponent_under_a_known_order_correction():
    # exact data A·T^{-1/2}(1 + b T^{-1/2}): the pure power law is biased (local slopes drift),
    # the corrected fit returns p and the relative correction b·T_min^{-1/2} to rounding
    H = np.array([1e4, 2e4, 5e4, 1e5, 2e5, 5e5])
    k = np.linspace(0.5, 1.5, 7)
    vals = [3 * h**-0.5 * (1 + 4 * h**-0.5) * k for h in H]
    plain = fr.fit_horizon_sweep(H, vals, n_boot=200, rng=1)
    assert plain.exponent < -0.505
    f = fr.fit_horizon_sweep(H, vals, n_boot=200, rng=1, correction=0.5)
    assert abs(f.exponent + 0.5) < 1e-8 and f.reason == "corrected"
    assert "+0.04 at T = 10000" in f.message and "pure power-law slope" in f.message
    # a negative correction too (curve flatter than its asymptote)
    f = fr.fit_horizon_sweep(H, [h**-0.5 * (1 - 20 * h**-0.5) * k for h in H], n_boot=200, rng=1, correction=0.5)
    assert abs(f.exponent + 0.5) < 1e-8


def test_corrected_sweep_calibration():
    # noisy replicates around 3 T^{-1/2}(1 + 4 T^{-1/2}): the corrected 95% interval covers −1/2
    # (the plain fit's interval does not: it resolves the correction)
    rng = np.random.default_rng(7)
    H = np.array([1e4, 2e4, 5e4, 1e5, 2e5, 5e5])
    hits = plain_hits = 0
    trials = 40
    for _ in range(trials):
        vals = [3 * h**-0.5 * (1 + 4 * h**-0.5) * np.exp(rng.normal(0, 0.05, 128)) for h in H]
        hits += fr.fit_horizon_sweep(H, vals, n_boot=300, rng=rng, correction=0.5).covers(-0.5)
        plain_hits += fr.fit_horizon_sweep(H, vals, n_boot=300, rng=rng).covers(-0.5)
    # 40 trials at ≈ 95%: P(fewer than 33 hits) < 1% for coverage ≥ 0.93 (binomial)
    assert hits >= 33 and plain_hits <= 5


def test_corrected_sweep_refuses_what_the_model_cannot_describe():
    H = np.array([1e2, 1e3, 1e4, 1e5, 1e6])
    k = np.linspace(0.5, 1.5, 7)
    with pytest.raises(ValueError, match="at least 5 horizons"):
        fr.fit_horizon_sweep(H[:4], [h**-0.5 * k for h in H[:4]], correction=0.5)
    with pytest.raises(ValueError, match="least squares only"):
        fr.fit_horizon_sweep(H, [h**-0.5 * k for h in H], correction=0.5, method="theil_sen")
    with pytest.raises(ValueError, match="correction"):
        fr.fit_horizon_sweep(H, [h**-0.5 * k for h in H], correction=-1.0)
    # a bend no O(T^-1/2) correction within the allowed range explains: refused, no exponent
    bent = [(h**-0.5 if h < 1e4 else 1e-2 * (h / 1e4) ** -2.0) * k for h in H]
    f = fr.fit_horizon_sweep(H, bent, n_boot=200, rng=1, correction=0.5)
    assert f.asymptotic is False and math.isnan(f.exponent) and "does not describe" in f.message


# ---------------------------------------------------------------------------- sample complexity
def test_sample_complexity_exact():
    # c(t) = 2 t^{-1/2} ⇒ T(ε) = (2/ε)², a power 2 of 1/ε; log-log interpolation is exact on a power law
    t = np.unique(np.round(np.logspace(0, 5, 30))).astype(np.int64)
    v = _tile(2.0 * t**-0.5)
    eps = np.logspace(-0.5, -2, 8)
    f = fr.fit_sample_complexity(t, v, eps, n_boot=200, rng=1)
    assert abs(f.exponent - 2.0) < 1e-10
    assert f.intercept == pytest.approx(math.log(4.0), abs=1e-9)
    np.testing.assert_allclose(f.hitting_times, (2.0 / np.array(f.eps)) ** 2, rtol=1e-10)
    assert f.unreached == () and f.before_first == ()


def test_sample_complexity_reports_unreached(rng):
    # the curve 2 t^{-1/2} ends at 2·10^{-2.5} ≈ 6.3e-3 and starts at 2: 1e-3 is never reached,
    # 5 is met at the first checkpoint; both are listed, the others fitted
    t = np.unique(np.round(np.logspace(0, 5, 30))).astype(np.int64)
    v = 2.0 * t[:, None] ** -0.5 * np.exp(rng.normal(0, 0.3, (1, 24)) + rng.normal(0, 0.05, (t.size, 24)))
    eps = [5.0, 0.5, 0.2, 0.1, 0.05, 0.02, 1e-3]
    f = fr.fit_sample_complexity(t, v, eps, n_boot=500, rng=1)
    assert f.unreached == (1e-3,) and f.before_first == (5.0,)
    assert f.n_points == 5 and "never reached" in f.message
    assert f.covers(2.0)
    with pytest.raises(ValueError, match="crossed"):
        fr.fit_sample_complexity(t, v, [1e-3, 1e-4], n_boot=100)


# ---------------------------------------------------------------------------- linear rate
def test_linear_rate_recovers_gd_on_a_quadratic():
    # GD with η = 1/L on F = ½ μ x²: F(x_t) = (1 − μ/L)^{2t} F(x_0); μ/L = 0.1 ⇒ ρ = 0.81.
    # theory.predicted_slope gives the same factor symbolically.
    mu_, L_ = 0.1, 1.0
    t = np.arange(1, 400, 4)
    k = np.linspace(0.5, 2.0, 5)
    v = (1 - mu_ / L_) ** (2 * t)[:, None] * k
    f = fr.fit_linear_rate(t, v, n_boot=200, rng=1)
    rho = float(th.predicted_slope("gd_strongly_convex", "gap").contraction.subs({th.mu: mu_, th.L: L_}))
    assert rho == pytest.approx(0.81, rel=1e-15)
    assert f.rho == pytest.approx(rho, rel=1e-12)
    assert f.ci[0] <= f.rho <= f.ci[1] and f.ci[1] - f.ci[0] < 1e-12
    # 0.81^t falls below 1e-15 × 0.81 at t ≈ 164: the window stops before machine precision
    assert f.window[1] <= 165


def test_linear_rate_skips_fast_modes():
    # two eigenvalues μ = 0.05, 0.6 with L = 1: gap = ½(0.05·0.95^{2t} + 0.6·0.4^{2t}); the fast mode
    # is 1e-22 of the slow one by t = 30, and the burn-in (first tenth of 1..298) starts the window
    # at t ≥ 30.7, so ρ = 0.95² = 0.9025 up to rounding
    t = np.arange(0, 300, 3) + 1
    gap = 0.5 * (0.05 * 0.95 ** (2 * t) + 0.6 * 0.4 ** (2 * t))
    f = fr.fit_linear_rate(t, gap[:, None], min_replicates=1, n_boot=100, rng=1)
    assert f.rho == pytest.approx(0.9025, rel=1e-10)
    assert f.window[0] > 30 and f.asymptotic is True
    # without the burn-in the first two checkpoints bias ρ by a relative 2e-4, within the
    # relative drift tolerance (5% of |log ρ|), so the window is still called settled
    g = fr.fit_linear_rate(t, gap[:, None], min_replicates=1, burn_in=0.0, n_boot=100, rng=1)
    assert g.asymptotic is True and abs(g.rho / 0.9025 - 1) < 1e-3
