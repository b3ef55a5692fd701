"""Divergence end to end: a replicate that overflows is reported with its step, excluded from fits (which say
so), counted in the run's output; a fit over too few survivors is refused with the reason."""
import json
import textwrap

import numpy as np
import pytest

import ratecheck as rc
from ratecheck import rates as F
from ratecheck import optimizers as O
from ratecheck import problems as P
from ratecheck.cli import main
from ratecheck.catalog.sweep import cell_key
from ratecheck.sim.result import SimulationResult
from test_bits import _X0_ROWS, Quartic

# SGD with step 2.1/L on a 1-D quadratic multiplies x by -1.1 per step; Cauchy noise (student_t, nu = 1) makes
# each replicate's size differ, so replicates overflow float32 (3.4e38) at different steps, while the float64
# metrics of the others stay finite.
CAUCHY = {"kind": "student_t", "nu": 1.0, "sigma": 1.0}


def test_diverged_replicates_are_frozen_reported_and_excluded_from_fits():
    res = rc.simulate(Quartic(), O.make("sgd", lr=0.01), steps=60, replicates=5, seed=4, x0=_X0_ROWS,
                      checkpoints=[1, 2, 3, 5, 10, 20, 30, 45, 60])
    assert 0 < res.n_diverged < 5 and not res.success
    bad = np.flatnonzero(res.diverged)
    for i in bad:
        t = res.diverged_step[i]
        assert t >= 1
        assert np.all(np.isnan(res.x[i]))
        after = res.checkpoints >= t
        assert np.all(np.isnan(res.metrics["grad_norm_sq"][after, i]))     # frozen at NaN from its step
    assert np.all(res.diverged_step[~res.diverged] == -1)
    assert f"{res.n_diverged} of 5 replicates diverged (first at step {res.diverged_step[bad].min()})" in res.message
    # saved and loaded, the status is intact and in the JSON
    fit = F.fit_rate(res.checkpoints, res.metrics["grad_norm_sq"], min_replicates=1, window=None)
    assert fit.n_diverged == res.n_diverged and fit.n_replicates == 5 - res.n_diverged
    assert "excluded" in fit.message and "diverged" in fit.message
    with pytest.raises(ValueError, match=r"only \d of 5 replicates are finite .* min_replicates=5"):
        F.fit_rate(res.checkpoints, res.metrics["grad_norm_sq"])


def test_divergence_status_is_saved(tmp_path):
    res = rc.simulate(Quartic(), O.make("sgd", lr=0.01), steps=60, replicates=5, seed=4, x0=_X0_ROWS)
    meta = json.loads((res.save(tmp_path) / "result.json").read_text())
    assert meta["n_diverged"] == res.n_diverged and meta["n_alive"] == 5 - res.n_diverged
    assert meta["first_divergence_step"] == int(res.diverged_step[res.diverged].min())
    back = SimulationResult.load(tmp_path)
    np.testing.assert_array_equal(back.diverged_step, res.diverged_step)
    np.testing.assert_array_equal(back.diverged, res.diverged)


EXPERIMENT = textwrap.dedent("""
    description = "partial divergence"
    [run]
    steps = STEPS
    replicates = 40
    seed = 0
    metric = "dist"
    dtype = "float32"
    [problem]
    family = "quadratic"
    dim = 1
    [problem.noise]
    kind = "student_t"
    nu = 1.0
    sigma = 1.0
    [[optimizer]]
    name = "sgd"
    lr = 2.1
    [[claim]]
    name = "the distance grows"
    kind = "rate"
    optimizer = "sgd"
    metric = "dist"
    expected = 1.0
    expected_source = "test"
""")


@pytest.mark.parametrize("steps, refused", [(880, False), (940, True)])
def test_cli_reports_divergence_and_refuses_a_fit_over_too_few_survivors(tmp_path, capsys, steps, refused):
    exp = tmp_path / "div.toml"
    exp.write_text(EXPERIMENT.replace("STEPS", str(steps)))
    assert main(["run", str(exp), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    res = SimulationResult.load(tmp_path / "out" / cell_key("sgd", ()))
    assert res.dtype == "float32" and 0 < res.n_diverged < 40
    survivors = 40 - res.n_diverged
    assert np.all(np.isfinite(res.metrics["dist"][-1][~res.diverged]))   # float64 metrics of float32 points
    assert f"diverged {res.n_diverged}/40   [float32]" in out
    assert f"note: {res.n_diverged} replicate(s) diverged" in out and "note: float32 arithmetic" in out
    verdict = json.loads((tmp_path / "out" / "div.json").read_text())["claims"][0]
    if refused:
        assert survivors < 5
        assert verdict["verdict"] == "inconclusive"
        assert f"only {survivors} of 40 replicates are finite ({res.n_diverged} contain NaN/inf" in verdict["reason"]
        assert "min_replicates=5" in verdict["reason"]
    else:   # enough survivors: a fit over them is possible, and says what it excluded
        assert survivors >= 5 and "replicates are finite" not in verdict["reason"]
        fit = F.fit_rate(res.checkpoints, res.metrics["dist"], window=None)
        assert fit.n_diverged == res.n_diverged and f"{res.n_diverged} of 40 replicates excluded" in fit.message
