"""Verdicts that know their theorem's hypotheses: a run outside them is an observation (one test per kind of
hypothesis), an O(.) theorem refuses a two-sided claim, and Holm's adjustment over a report."""
import numpy as np
import pytest

import ratecheck as rc
from ratecheck.theory import hypotheses as hypotheses
from ratecheck.theory import theorems as theorems
from ratecheck.claims import Verdict, evaluate, parse_claims
from ratecheck.claims.holm import holm
from ratecheck.catalog.reproduce import Outcome, apply_holm
from ratecheck.catalog.sweep import expand, run_cell

LABELS = ["M"]
RUN = {"steps": 400, "replicates": 16, "seed": 0, "n_checkpoints": 30}
ADAM3 = {"name": "adamomentum", "lr": {"schedule": "inv_sqrt", "lr": 0.01}, "eps": 1e-3,
         "beta1": {"schedule": "one_minus_inv_sqrt", "beta": 0.5}}
SMOOTH = {"name": "smooth_well", "dim": 3}


def _run(problem, opt, run=RUN):
    cells = expand(problem, [opt], LABELS, run, {})
    return cells, [run_cell(c) for c in cells]


def _claim(**kw):
    base = {"name": "c", "kind": "upper_bound", "optimizer": "M", "metric": "avg_grad_norm_sq",
            "theory": "adam3_nonconvex", "theorem": "adam3_nonconvex", "schedule": "anytime"}
    base.update(kw)
    return parse_claims([{k: v for k, v in base.items() if v is not None}], LABELS, "test")[0]


def _failed(v):
    return {h.name for h in v.hypotheses if not h.holds}


def test_inside_every_hypothesis_the_verdict_is_a_check():
    cells, res = _run({**SMOOTH, "noise": {"kind": "rademacher", "sigma": 0.5}}, ADAM3)
    v = evaluate(_claim(), cells, res)
    assert _failed(v) == set() and v.verdict != "observation" and v.verdict == v.measured_verdict
    assert {h.name for h in v.hypotheses} == set(theorems.get("adam3_nonconvex").hypotheses)


@pytest.mark.parametrize("problem, opt, claim, name, words", [
    # the noise model: Gaussian noise is unbounded, the theorem needs ‖g‖∞ ≤ G almost surely
    ({**SMOOTH, "noise": {"kind": "gaussian", "sigma": 0.5}}, ADAM3, {}, "bounded_gradients", "unbounded"),
    # the problem: the cosine well's gradient grows, so no G
    ({"name": "cosine_well", "dim": 3, "noise": {"kind": "rademacher"}}, ADAM3, {}, "bounded_gradients", "no G"),
    # smoothness: the nonsmooth well declares no L
    ({"name": "nonsmooth_well", "dim": 3, "noise": {"kind": "rademacher"}}, ADAM3, {}, "L_smooth", "no L"),
    # the momentum schedule: constant where the theorem needs 1 − β/√t
    ({**SMOOTH, "noise": {"kind": "rademacher"}}, {**ADAM3, "beta1": 0.9}, {}, "momentum_inv_sqrt", "constant"),
    # the step schedule: constant where the theorem needs α/√t
    ({**SMOOTH, "noise": {"kind": "rademacher"}}, {**ADAM3, "lr": 0.01}, {}, "step_inv_sqrt", "constant"),
    # a condition on the hyperparameters: ε > 0
    ({**SMOOTH, "noise": {"kind": "rademacher"}}, {**ADAM3, "eps": 0.0}, {}, "eps_positive", "ε > 0"),
    # the measure: the last iterate's ‖∇F‖² where the theorem bounds the time average
    ({**SMOOTH, "noise": {"kind": "rademacher"}}, ADAM3, {"metric": "grad_norm_sq"}, "measure=avg_grad_norm_sq",
     "theorem bounds"),
    # the algorithm: Adam is not AdaM³
    ({**SMOOTH, "noise": {"kind": "rademacher"}}, {"name": "adam", "lr": {"schedule": "inv_sqrt", "lr": 0.01}}, {},
     "algorithm=adamomentum", "adam"),
])
def test_a_run_outside_a_hypothesis_is_an_observation(problem, opt, claim, name, words):
    cells, res = _run(problem, opt)
    v = evaluate(_claim(**claim), cells, res)
    assert v.verdict == "observation", v.reason
    assert name in _failed(v), [h.as_dict() for h in v.hypotheses]
    why = next(h.why for h in v.hypotheses if h.name == name)
    assert words in why and f"{name}: no" in v.reason
    assert v.measured is not None and v.measured_verdict in ("agrees", "disagrees", "inconclusive")
    assert v.as_dict()["verdict"] == "observation"


def test_the_clip_geometry_and_convexity_are_hypotheses_too():
    # Theorem 11 is β-FTRL on the L2 ball: the coordinate clip is outside it
    cells, res = _run({"name": "nonsmooth_well", "dim": 3, "noise": {"kind": "gaussian"}},
                      {"name": "clipped_adam_ema", "clip": "coordinate"})
    v = evaluate(_claim(theory="lambda_stationary", theorem="ahn_cutkosky_thm11", metric="avg_certificate",
                        lam=1.0, schedule="horizon"), cells, res)
    assert v.verdict == "observation" and _failed(v) == {"option=clip:global"}
    # AdaM³'s convex theorem on a nonconvex problem
    cells, res = _run({**SMOOTH, "noise": {"kind": "rademacher"}},
                      {**ADAM3, "beta1": {"schedule": "geometric", "beta": 0.9, "decay": 0.9}})
    v = evaluate(_claim(theory="adam3_online_convex", theorem="adam3_online_convex", metric="value"), cells, res)
    assert v.verdict == "observation" and {"convex", "bounded_domain", "measure=avg_gap"} <= _failed(v)


def test_leaving_a_hypothesis_on_purpose_is_said_so():
    cells, res = _run({**SMOOTH, "noise": {"kind": "gaussian", "sigma": 0.5}}, ADAM3)
    with pytest.raises(ValueError, match="needs a 'note'"):
        _claim(outside=["bounded_gradients"])
    with pytest.raises(ValueError, match="not hypotheses of"):
        _claim(outside=["convex"], note="x")
    v = evaluate(_claim(outside=["bounded_gradients"], note="what happens with Gaussian noise"), cells, res)
    assert v.verdict == "observation" and "(on purpose)" in v.reason


def test_an_upper_bound_theorem_refuses_a_two_sided_claim():
    with pytest.raises(ValueError, match="upper_bound"):
        _claim(kind="horizon_rate")
    # a tight theorem (a lower-bound instance, an exact closed form) allows it
    assert theorems.get("ghadimi_lan_sgd").tight and theorems.get("drori_teboulle").tight
    _claim(kind="horizon_rate", theory="stoch_smooth_nonconvex", theorem="ghadimi_lan_sgd")


def test_every_theorem_names_known_hypotheses_and_a_verification_level():
    for t in theorems.table():
        assert t.verified in theorems.VERIFIED and all(hypotheses.known(h) for h in t.hypotheses)
    with pytest.raises(ValueError, match="unknown hypothesis"):
        theorems.Theorem("x", "s", "1", "st", "primary", ("bounded_wishes",))


# ----------------------------------------------------------------------------- Holm
def test_holm_matches_a_hand_computed_example():
    # sorted 0.005, 0.01, 0.03, 0.04 with m = 4: 4·0.005 = 0.02, 3·0.01 = 0.03, 2·0.03 = 0.06,
    # 1·0.04 = 0.04 -> running maximum 0.06; back in input order, a nan stays out of the family
    got = holm([0.01, 0.04, np.nan, 0.03, 0.005])
    np.testing.assert_allclose(got, [0.03, 0.06, np.nan, 0.06, 0.02])
    assert np.isnan(holm([np.nan])).all() and holm([]).size == 0
    with pytest.raises(ValueError):
        holm([1.5])


def test_holm_matches_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.random.default_rng(0).uniform(0, 0.2, size=40)
    np.testing.assert_allclose(holm(p), multitest.multipletests(p, method="holm")[1], rtol=1e-12)


def test_a_disagreement_that_does_not_survive_holm_says_so():
    claim = _claim()

    def verdict(kind, p):
        return Verdict(claim, kind, -0.5, "", -0.4, (-0.45, -0.35), "r", p_value=p)
    # 20 checks: one clear disagreement (p = 1e-6), one marginal (p = 0.01), the rest agree
    vs = [verdict("disagrees", 1e-6), verdict("disagrees", 0.01)] + [verdict("agrees", 0.9)] * 18
    out = Outcome(None, {"claims": [{} for _ in vs]}, vs, [])
    apply_holm([out])
    assert out.verdicts[0].holm_verdict == "disagrees"
    assert out.verdicts[1].holm_verdict.startswith("inconclusive (the disagreement does not survive Holm")
    assert out.meta["claims"][1]["holm_p_value"] == pytest.approx(0.19)     # 19 · 0.01
    assert all(v.holm_verdict == "agrees" for v in out.verdicts[2:])


def test_p_values_are_small_for_disagreements_and_large_for_agreements():
    # the time average of a converging run decays: a bound T^0 holds with room (p near 1), T^-5 fails (p near 0)
    cells, res = _run({"name": "quadratic", "dim": 3, "noise": {"kind": "gaussian", "sigma": 0.3}},
                      {"name": "sgd", "lr": {"schedule": "inv_sqrt", "lr": 0.3}})
    loose = evaluate(_claim(theorem=None, theory=None, expected=0.0, expected_source="a loose bound"), cells, res)
    assert loose.verdict == "agrees" and loose.p_value > 0.5
    too_strong = evaluate(_claim(theorem=None, theory=None, expected=-5.0, expected_source="a wrong bound"),
                          cells, res)
    assert too_strong.verdict == "disagrees" and too_strong.p_value < 1e-3
