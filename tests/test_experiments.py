"""Every experiment's quick version runs, and none of its claims disagrees with theory.

The full versions (``ratecheck reproduce --full``) are marked slow; their figures are
committed in figures/. Claims about the long run report "horizon too short" in quick mode.
"""
import sys

import numpy as np
import pytest

from ratecheck.theory import ahn_cutkosky as ahn_cutkosky
from ratecheck import catalog
from ratecheck.catalog.reproduce import run_experiment

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


@pytest.mark.parametrize("name", ["coordinate_adaptivity", "coordinate_adaptivity_dim"])
def test_coordinate_adaptivity_runs_the_theorems_parameters(name):
    # Theorem 18 (coordinate-wise) and Theorem 11 through Lemma 16 (global) for the same (λ, 2ε)-L1 target,
    # recomputed from each row's weights; each claim's λ is its row's
    path = catalog.experiment_files()[name]
    data = tomllib.loads(path.read_text())
    exp = catalog.load_experiment(name)
    rows_by_tag = {}
    for table in (data["sweep"], data["quick"]["sweep"]):
        (axes, rows), = table.items()
        names = axes.split(",")
        for row in rows:
            r = dict(zip(names, row))
            assert r["problem.weights"] == r["problem.noise.sigma"] and r["problem.dim"] == len(r["problem.weights"])
            q = ahn_cutkosky.coordinate_comparison(r["problem.weights"], kappa=0.4, lam_fraction=1e-4)
            c, g = "optimizer[Clipped Adam + EMA (coordinate-wise)].", "optimizer[Clipped Adam + EMA (global norm)]."
            got = [r["horizon"], r[c + "beta"], r[c + "clip_radius"], r[g + "beta"], r[g + "clip_radius"],
                   r["tag.target"], r["tag.lam"], r["tag.bound_ratio"]]
            want = [q["horizon"], q["coordinate"].beta, q["coordinate"].D, q["global"].beta, q["global"].D,
                    q["target"], q["lam"], q["bound_ratio"]]
            np.testing.assert_allclose(got, want, rtol=1e-12)
            rows_by_tag[row[0]] = r
    for claim in exp.claims:
        (axis, value), = claim.select.items()
        assert claim.lam == pytest.approx(rows_by_tag[value]["tag.lam"], rel=1e-8)
