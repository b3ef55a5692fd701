"""Claims: parsing, and the verdict logic on runs whose answer is known."""
import numpy as np
import pytest

import ratecheck as rc
from ratecheck.claims import Claim, evaluate, parse_claims
from ratecheck.catalog.sweep import expand, run_cell

LABELS = ["SGD"]


def _claim(**kw):
    base = {"name": "c", "kind": "rate", "optimizer": "SGD", "metric": "gap", "theory": "strongly_convex_sgd"}
    base.update(kw)
    return parse_claims([{k: v for k, v in base.items() if v is not None}], LABELS, "test")[0]


@pytest.mark.parametrize("table, match", [
    ({"kind": "nope"}, "kind"),
    ({"optimizer": "Adam"}, "not a label"),
    ({"theory": "no_such_row"}, "no_such_row"),
    ({"theory": None}, "theory"),
    ({"unknown_key": 1}, "unknown key"),
    ({"kind": "outcome", "theory": None, "above": 1.0, "below": 0.0}, "exactly one"),
    ({"kind": "exact", "theory": None}, "expected_from"),
    ({"kind": "sample_complexity", "eps": [0.1]}, "eps"),
    ({"theory": None, "expected": -1.0}, "expected_source"),
    ({"kind": "horizon_rate", "correction": 0.5}, "needs a 'note'"),
    ({"correction": 0.5, "note": "q from the step"}, "not to rate"),
    ({"kind": "horizon_rate", "correction": 0.0, "note": "x"}, "correction"),
    ({"eps_max": 0.1}, "hitting_sweep claims only"),
    ({"kind": "bound", "theory": None, "expected_source": "Thm"}, "exactly one"),
    ({"kind": "bound", "theory": None, "below": 1.0}, "expected_source"),
    ({"kind": "bound", "theory": None, "below": 1.0, "bound_axis": "tag.b", "expected_source": "Thm"}, "exactly one"),
    ({"bound_axis": "tag.b"}, "bound claims only"),
    ({"kind": "hitting_sweep", "threshold_axis": "problem.eps", "eps_max": 0.1}, "needs a 'note'"),
    ({"observation": True}, "needs a 'note'"),
    ({"observation": "yes", "note": "constant beta1"}, "observation"),
])
def test_bad_claims_are_refused(table, match):
    base = {"name": "c", "kind": "rate", "optimizer": "SGD", "metric": "gap", "theory": "strongly_convex_sgd"}
    base.update(table)
    base = {k: v for k, v in base.items() if v is not None}
    with pytest.raises((ValueError, TypeError), match=match):
        parse_claims([base], LABELS, "test")


def _cells_and_results(problem_cfg, opt_cfg, run, sweep=None):
    cells = expand(problem_cfg, [opt_cfg], LABELS, run, sweep or {})
    results = [run_cell(c) for c in cells]
    problems = {c.key: rc.problems.from_config(dict(c.problem_config)) for c in cells}
    return cells, results, problems


QUAD = {"name": "quadratic", "dim": 4, "L": 1.0, "kappa": 4.0, "noise": {"kind": "gaussian", "sigma": 1.0}}
SGD_MU = {"name": "sgd", "lr": {"schedule": "inv_mu", "lr": 1.0, "mu": 0.25}}
RUN = {"steps": 3000, "replicates": 128, "seed": 0, "n_checkpoints": 40}


def test_tight_rate_agrees_and_a_wrong_prediction_disagrees():
    cells, results, _ = _cells_and_results(QUAD, SGD_MU, RUN)
    good = evaluate(_claim(), cells, results)
    assert good.verdict == "agrees", good.reason
    assert good.ci[0] <= -1 <= good.ci[1] and good.predicted == -1
    wrong = evaluate(_claim(theory=None, expected=-0.5, expected_source="a wrong guess"), cells, results)
    assert wrong.verdict == "disagrees" and "outside" in wrong.reason
    # an upper bound O(T^-1/2) is satisfied by a run that decays as T^-1
    bound = evaluate(_claim(kind="upper_bound", theory=None, expected=-0.5, expected_source="bound"),
                     cells, results)
    assert bound.verdict == "agrees"
    too_strong = evaluate(_claim(kind="upper_bound", theory=None, expected=-2.0, expected_source="bound"),
                          cells, results)
    assert too_strong.verdict == "disagrees"


def test_claims_on_short_runs_or_missing_cells_are_inconclusive():
    cells, results, _ = _cells_and_results(QUAD, SGD_MU, RUN)
    short = evaluate(_claim(min_steps=10**6), cells, results)
    assert short.verdict == "inconclusive" and "too short" in short.reason
    # the reason says in words what the run lacks, and the prediction is still shown
    assert "needs T ≥ 10⁶" in short.reason and "stops at T = 3000" in short.reason
    assert short.predicted == -1.0 and "strongly_convex_sgd" in short.predicted_text and short.p_value is None
    none = evaluate(_claim(select={"optimizer.beta2": 0.5}), cells, results)
    assert none.verdict == "inconclusive" and "sweeps optimizer.beta2" in none.reason
    assert none.predicted == -1.0


def test_a_missing_swept_value_is_named_in_words():
    cells, results, _ = _cells_and_results(QUAD, SGD_MU, {**RUN, "steps": 200}, {"optimizer.lr.lr": [0.5, 1.0]})
    v = evaluate(_claim(select={"optimizer.lr.lr": 2.0}), cells, results)
    assert v.verdict == "inconclusive" and v.predicted == -1.0
    assert "with lr = 2, which this version of the experiment does not include (it runs lr ∈ {0.5, 1})" in v.reason


def test_too_few_survivors_make_a_fit_inconclusive():
    cells, results, _ = _cells_and_results(QUAD, SGD_MU, {**RUN, "replicates": 3})
    v = evaluate(_claim(), cells, results)
    assert v.verdict == "inconclusive" and "refused" in v.reason


def test_outcome_claims_use_a_median_interval():
    run = {"steps": 400, "replicates": 64, "seed": 0, "n_checkpoints": 5}
    cells, results, _ = _cells_and_results({"name": "reddi_stochastic"},
                                           {"name": "amsgrad", "beta1": 0.0, "beta2": 0.1,
                                            "lr": {"schedule": "inv_sqrt", "lr": 0.5}}, run)
    below = _claim(kind="outcome", theory=None, metric="theta", below=-0.5)
    assert evaluate(below, cells, results).verdict == "agrees"
    above = _claim(kind="outcome", theory=None, metric="theta", above=0.5)
    assert evaluate(above, cells, results).verdict == "disagrees"
    straddle = _claim(kind="outcome", theory=None, metric="theta", below=float(np.median(results[0].x)))
    assert evaluate(straddle, cells, results).verdict == "inconclusive"


def test_bound_claims_compare_a_mean_interval_with_each_runs_bound():
    # SGD 1/(mu t) on a noisy quadratic: the final gaps of 128 replicates have mean m and a t-interval
    # m +- t s/sqrt(n), checked by hand; the bound is per run (a tag axis) or one number
    run = {"steps": 200, "replicates": 128, "seed": 0, "n_checkpoints": 5}
    cells, results, _ = _cells_and_results(QUAD, SGD_MU, run, {"horizon,tag.b": [[100, 1.0], [200, 2.0]]})
    from scipy import stats
    finals = [r.metrics["gap"][-1] for r in results]
    means = [float(np.mean(f)) for f in finals]
    halves = [float(stats.t.ppf(0.975, 127) * np.std(f, ddof=1) / np.sqrt(128)) for f in finals]
    mk = lambda **kw: _claim(kind="bound", theory=None, expected_source="hand", **kw)  # noqa: E731
    high = evaluate(mk(below=max(means) + max(halves) * 1.01), cells, results)
    assert high.verdict == "agrees", high.reason
    i = int(np.argmax([m + h for m, h in zip(means, halves)]))
    assert high.measured == pytest.approx(means[i]) and high.ci[1] == pytest.approx(means[i] + halves[i])
    low = evaluate(mk(below=min(means) - min(halves) * 1.5), cells, results)
    assert low.verdict == "disagrees"
    straddle = evaluate(mk(below=means[0]), cells, results)
    assert straddle.verdict == "inconclusive" and "straddles" in straddle.reason
    per_run = evaluate(mk(bound_axis="tag.b"), cells, results)
    assert per_run.verdict == ("agrees" if means[0] + halves[0] < 1.0 and means[1] + halves[1] < 2.0 else "disagrees")
    missing = evaluate(mk(bound_axis="tag.nope"), cells, results)
    assert missing.verdict == "inconclusive" and "tag.nope" in missing.reason


def test_exact_claim_drori_teboulle_several_horizons():
    cells, results, problems = _cells_and_results(
        {"name": "drori_teboulle"}, {"name": "sgd", "lr": 1.0},
        {"steps": 1, "replicates": 1, "seed": 0, "n_checkpoints": 5}, {"horizon": [7, 50, 400, 3000]})
    claim = _claim(kind="exact", theory=None, expected_from="worst_case_gap", rtol=1e-10)
    v = evaluate(claim, cells, results, problems)
    assert v.verdict == "agrees", v.reason
    for cell, res in zip(cells, results):
        N = cell.value("horizon")
        assert res.metrics["gap"][-1, 0] == pytest.approx(1.0 / (2 * (2 * N + 1)), rel=1e-10)


def test_horizon_sweep_claim_reads_one_value_per_run():
    cells, results, _ = _cells_and_results(
        {"name": "cosine_well", "dim": 5, "noise": {"kind": "gaussian", "sigma": 1.0}},
        {"name": "sgd", "lr": {"schedule": "horizon_sqrt", "lr": 0.01}},
        {"steps": 1, "replicates": 64, "seed": 0, "n_checkpoints": 2},
        {"horizon": [3000, 10000, 30000]})
    v = evaluate(_claim(kind="horizon_rate", metric="avg_grad_norm_sq", theory="stoch_smooth_nonconvex",
                        schedule="horizon"), cells, results)
    assert v.verdict == "agrees", (v.measured, v.ci, v.reason)


def test_linear_rate_of_gd_on_diag_mu_L():
    cells, results, _ = _cells_and_results({"name": "quadratic", "dim": 2, "kappa": 10.0},
                                           {"name": "sgd", "lr": 1.0},
                                           {"steps": 120, "replicates": 1, "seed": 0, "n_checkpoints": 120})
    v = evaluate(_claim(kind="linear_rate", theory="gd_strongly_convex"), cells, results)
    assert v.verdict == "agrees" and v.predicted == pytest.approx(0.81)
    assert v.measured == pytest.approx(0.81, rel=1e-12)


class _Cell:
    def __init__(self, label, **values):
        self.label, self.values = label, tuple(values.items())
        self.key = label + "__" + "__".join(f"{k}={v}" for k, v in values.items())

    def value(self, name):
        return dict(self.values).get(name)


class _Res:
    def __init__(self, final, steps=100):
        self.metrics = {"out_gap": np.stack([final * 2, final])}
        self.steps, self.replicates = steps, final.size


def _advantage_cells(scale_b, noise=0.1, n=64, seed=0):
    # reference A: mean final gap minimal (≈ 1) at lr = 0.1; B: scale_b × that, best at lr = 0.01
    rng = np.random.default_rng(seed)
    cells, results = [], []
    for label, best_lr, scale in (("A", 0.1, 1.0), ("B", 0.01, scale_b)):
        for lr in (0.001, 0.01, 0.1, 1.0):
            penalty = 1.0 + abs(np.log10(lr / best_lr))
            cells.append(_Cell(label, **{"tag.spread": 10, "optimizer.lr": lr}))
            results.append(_Res(scale * penalty * np.exp(rng.normal(0, noise, n))))
    return cells, results


def _adv(**kw):
    base = {"name": "adv", "kind": "advantage", "optimizer": "A", "against": "B", "tune": "optimizer.lr",
            "metric": "out_gap", "select": {"tag.spread": 10}}
    base.update(kw)
    return parse_claims([base], ("A", "B"), "test")[0]


def test_advantage_claim_ratio_of_best_tuned_means_with_a_ci():
    cells, results = _advantage_cells(10.0)
    v = evaluate(_adv(above=1.0), cells, results)
    assert v.verdict == "agrees" and v.ci[0] < v.measured < v.ci[1]
    means = {c.key: r.metrics["out_gap"][-1].mean() for c, r in zip(cells, results)}
    best = {lab: min(m for k, m in means.items() if k.startswith(lab + "__")) for lab in "AB"}
    assert v.measured == pytest.approx(best["B"] / best["A"], rel=1e-12)
    assert 8 < v.ci[0] and v.ci[1] < 12
    assert evaluate(_adv(below=2.0), cells, results).verdict == "disagrees"
    assert evaluate(_adv(above=0.5, below=20.0), cells, results).verdict == "agrees"
    # no advantage: the CI straddles 1
    cells, results = _advantage_cells(1.0, noise=0.3)
    assert evaluate(_adv(above=1.0), cells, results).verdict == "inconclusive"
    assert evaluate(_adv(above=0.5, below=2.0), cells, results).verdict == "agrees"
    # a diverged replicate removes that tuning from the best (its mean is infinite)
    results[1].metrics["out_gap"][-1, 0] = np.nan
    v = evaluate(_adv(above=0.5, below=2.0), cells, results)
    assert v.verdict == "agrees"


@pytest.mark.parametrize("table, match", [
    ({"against": "C"}, "needs 'against'"),
    ({"tune": None}, "needs 'tune'"),
    ({}, "'above' and/or 'below'"),
])
def test_bad_advantage_claims_are_refused(table, match):
    base = {"name": "adv", "kind": "advantage", "optimizer": "A", "against": "B", "tune": "optimizer.lr",
            "metric": "out_gap"}
    base.update(table)
    with pytest.raises(ValueError, match=match):
        parse_claims([{k: v for k, v in base.items() if v is not None}], ("A", "B"), "test")


def test_a_sweep_claim_reads_only_horizons_past_min_steps():
    # one run per horizon; with min_steps only the long horizons are read, and fewer than 3 is inconclusive
    sgd = {"name": "sgd", "lr": {"schedule": "horizon_sqrt", "lr": 0.1}}
    cells, results, _ = _cells_and_results(QUAD, sgd, {"replicates": 16, "seed": 0, "n_checkpoints": 10},
                                           {"horizon": [100, 200, 400, 800, 1600]})
    base = {"kind": "upper_bound", "metric": "avg_grad_norm_sq", "theory": None, "expected": -0.5,
            "expected_source": "bound"}
    v = evaluate(_claim(**base, min_steps=400), cells, results)
    assert v.cells == tuple(c.key for c in cells[2:]) and v.fit.n_points == 3
    v = evaluate(_claim(**base, min_steps=800), cells, results)
    assert v.verdict == "inconclusive" and "2 of 5 horizons" in v.reason


def test_an_upper_bound_divides_out_the_rows_log_factor():
    # stoch_smooth_nonconvex records (log T)^1 for the anytime schedule and none for the horizon one:
    # the anytime claim fits min ||grad F||^2 / (1 + ln t), whose local slope is lower by 1/(1 + ln t)
    cells, results, _ = _cells_and_results(QUAD, SGD_MU, RUN)
    kw = dict(kind="upper_bound", metric="min_grad_norm_sq", theory="stoch_smooth_nonconvex")
    plain = evaluate(_claim(schedule="horizon", **kw), cells, results)
    logged = evaluate(_claim(schedule="anytime", **kw), cells, results)
    assert "(1 + ln T)^1" in logged.reason and "ln T" not in plain.reason
    assert 0.05 < plain.measured - logged.measured < 0.3
    assert plain.predicted == logged.predicted == -0.5


def test_observations_are_labelled_and_not_counted(tmp_path):
    from ratecheck.claims import Verdict
    from ratecheck.catalog.reproduce import verdict_row
    obs = _claim(observation=True, note="constant beta1: outside the theorem")
    v = Verdict(obs, "observation", -0.5, "-1/2", -0.4, (-0.41, -0.39), "the prediction lies outside the CI",
                measured_verdict="disagrees")
    row = verdict_row("exp", v)
    assert "observation (measured: disagrees)" in row and "❌" not in row
    assert v.as_dict()["observation"] is True
    assert _claim().observation is False
