"""Every experiment's quick version runs, and none of its claims disagrees with theory.

The full versions (``ratecheck reproduce --full``) are marked slow; their figures are
committed in figures/. Claims about the long run report "horizon too short" in quick mode.
"""
import sys

import numpy as np
import pytest

from ratecheck import ahn_cutkosky, catalog
from ratecheck.reproduce import run_experiment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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


#: the O2NC experiments and how they set λ (ratecheck.ahn_cutkosky.SETTINGS)
O2NC = {"o2nc_nonsmooth": ("nonsmooth", 30.0), "o2nc_smooth": ("smooth", None),
        "o2nc_second_order": ("second_order", None)}


@pytest.mark.parametrize("name", sorted(O2NC))
def test_o2nc_sweeps_are_the_theorems_parameters(name):
    # every number of the sweep is recomputed from the problem's declared constants with Theorem 11's
    # formulas: beta, D, T, the SGDM step, eps and the bound (columns in the sweep's axis order)
    setting, lam = O2NC[name]
    path = catalog.experiment_files()[name]
    data = tomllib.loads(path.read_text())
    problem = catalog.load_experiment(name).problem()
    for table in (data["sweep"], data["quick"]["sweep"]):
        (axes, rows), = table.items()
        assert axes.split(",")[0] == "horizon" and axes.endswith("tag.eps,tag.bound")
        want = ahn_cutkosky.sweep(problem, [r[0] for r in rows], setting, lam)
        for row, w in zip(rows, want):
            assert row[0] == w["T"] and w["regime"] == "lambda"     # T is set by the λ^(1/2) ε^(-3/2) term
            np.testing.assert_allclose(row[1:], [w["beta"], w["D"], w["sgdm_lr"], w["eps"], w["bound"]], rtol=1e-12)
