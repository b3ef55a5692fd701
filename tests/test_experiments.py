"""Every experiment's quick version runs, and none of its claims disagrees with theory.

The full versions (``ratecheck reproduce --full``) are marked slow; their figures are
committed in figures/. Claims about the long run report "horizon too short" in quick mode.
"""
import pytest

from ratecheck import catalog
from ratecheck.reproduce import run_experiment

NAMES = sorted(catalog.experiment_files())

#: claims that must already agree at the quick size
MUST_AGREE = {
    "reddi_online": "all", "reddi_stochastic": "all", "sgd_strongly_convex": "all",
    "sgd_nonconvex_horizon": "all", "gd_linear_rate": "all", "drori_teboulle": "all",
}


@pytest.mark.parametrize("name", NAMES)
def test_quick_version_runs_and_no_claim_disagrees(name, tmp_path):
    exp = catalog.load_experiment(name, quick=True)
    outcome = run_experiment(exp, tmp_path, figures=False)
    assert outcome.meta["cells"], "an experiment runs at least one simulation"
    for v in outcome.verdicts:
        assert v.verdict != "disagrees", f"{name}: {v.claim.name}: {v.reason} ({v.measured}, {v.ci})"
        if MUST_AGREE.get(name) == "all":
            assert v.verdict == "agrees", f"{name}: {v.claim.name}: {v.reason}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_full_version_agrees(name, tmp_path):
    exp = catalog.load_experiment(name, quick=False)
    outcome = run_experiment(exp, tmp_path, figures=False)
    for v in outcome.verdicts:
        assert v.verdict == "agrees", f"{name}: {v.claim.name}: {v.reason}"
