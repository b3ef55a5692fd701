"""Every figure kind renders without clipped or overlapping text, with its legend off the data.

The figures are drawn from small synthetic results (power laws with multiplicative noise, hand-made in the
shape of :class:`ratecheck.SimulationResult`) and from verdicts that :func:`ratecheck.claims.evaluate`
computes on them, so the layouts are those of real figures without a simulation. After
``fig.canvas.draw()``, :func:`ratecheck.report.layout_problems` compares the window extents of the
suptitle, titles, axis labels, drawn tick labels and legends: none may overlap another or leave the canvas,
and no legend may lie on an axes' data area.
"""
from dataclasses import dataclass, field
from types import SimpleNamespace

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pytest

from ratecheck import catalog
from ratecheck.catalog.reproduce import run_experiment
from ratecheck.catalog.sweep import Cell
from ratecheck.claims import Claim, evaluate
from ratecheck.report import (PALETTE, layout_problems, panel_titles, plot_advantage, plot_claim,
                              plot_exponent_sweep, plot_hitting_ratio, plot_panels, plot_phase, plot_stationarity,
                              series_style, short_title)

LONG = ["Clipped Adam + EMA (global clip)", "SGDM + random scaling", "ADOPT (unclipped)", "AMSGrad"]


@dataclass
class FakeResult:
    """The attributes of a SimulationResult that figures and fits read."""

    checkpoints: np.ndarray
    metrics: dict
    steps: int
    replicates: int
    n_diverged: int = 0
    optimizer: dict = field(default_factory=lambda: {"name": "sgd"})
    constants: dict = field(default_factory=dict)


def power_law(steps, replicates, slope, metric="avg_grad_norm_sq", scale=1.0, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    t = np.unique(np.geomspace(1, steps, 20).astype(int))
    base = scale * t[:, None] ** slope
    vals = base * np.exp(noise * rng.standard_normal((t.size, replicates))) if noise else np.repeat(
        base, replicates, axis=1)
    return FakeResult(t, {metric: vals}, steps, replicates)


def check(fig):
    problems = layout_problems(fig)
    plt.close(fig)
    assert problems == []


def horizon_experiment():
    """Cells and results of a sweep over horizon x beta2 for two methods, each decaying like T^(-1/2)."""
    cells, results = [], []
    for label in LONG[2:4]:
        for beta2 in (0.1, 0.5, 0.9, 0.999):
            for i, horizon in enumerate((1000, 3000, 10000, 30000, 100000)):
                cells.append(Cell(label, (("horizon", horizon), ("optimizer.beta2", beta2)), {}, {}, {}))
                res = power_law(horizon, 16, -0.5, seed=i)
                res.metrics["avg_grad_norm_sq"] *= horizon ** -0.5 / res.metrics["avg_grad_norm_sq"][-1].mean()
                results.append(res)
    return cells, results


def verdicts_of(cells, results):
    out = []
    for label in LONG[2:4]:
        for beta2 in (0.1, 0.5, 0.9, 0.999):
            claim = Claim(name=f"{label}, beta2 = {beta2}: exponent at most -1/2", kind="upper_bound",
                          optimizer=label, metric="avg_grad_norm_sq", theory="stoch_smooth_nonconvex",
                          schedule="horizon", select={"optimizer.beta2": beta2},
                          observation=label == LONG[3])
            out.append(evaluate(claim, cells, results))
    return out


def test_stationarity_stochastic_and_deterministic():
    runs = [power_law(10**5, 32, -0.5, seed=i) for i in range(4)]
    check(plot_stationarity(runs, LONG, metric="avg_grad_norm_sq", title=short_title("x", "A et al., 2024 (...)"),
                            reference_slope=(-0.5, r"$t^{-1/2}$")))
    one = power_law(10**4, 1, -1.0, noise=0.0)
    fig = plot_stationarity([one], ["GD"], metric="avg_grad_norm_sq")
    legend = fig.legends[0]
    assert "band" not in legend.get_title().get_text() and "quantile" not in legend.get_title().get_text()
    assert not fig.axes[0].collections, "a deterministic run gets no quantile band"
    check(fig)


def test_panels_titles_are_short_mathtext_of_what_varies():
    values = [(("problem.k", k), ("optimizer.beta2", b), ("horizon", 10**5)) for k in (10.0, 50.0)
              for b in (0.1, 0.5, 0.999)]
    titles = panel_titles(values)
    assert titles[0] == r"$k=10$, $\beta_2=0.1$"
    assert all("T=" not in t for t in titles), "a value shared by every panel goes to the caption"
    assert panel_titles([(("horizon", 31623),), (("horizon", 10**6),)]) == [r"$T=3.16\times 10^{4}$",
                                                                            r"$T=10^{6}$"]
    panels = {t: ([power_law(2 * 10**5, 32, -0.3, metric="theta", seed=i) for i in range(4)], LONG)
              for t in titles}
    check(plot_panels(panels, metric="theta", suptitle=short_title("adopt_toy", "Taniguchi et al., NeurIPS 2024")))
    five = {t: ([power_law(10**6, 16, -0.25, metric="avg_out_grad_norm", seed=i) for i in range(2)], LONG[:2])
            for t in panel_titles([(("horizon", h),) for h in (10**4, 31623, 10**5, 316228, 10**6)])}
    check(plot_panels(five, metric="avg_out_grad_norm", suptitle="o2nc_smooth: " + "Ahn & Cutkosky " * 12))


def test_palette_and_line_styles_tell_series_apart():
    styles = [series_style(i, 48) for i in range(6)]
    assert len({s["color"] for s in styles}) == 6 and len({str(s["linestyle"]) for s in styles}) == 6
    assert len({s["marker"] for s in styles}) == 6 and "#F0E442" not in PALETTE  # yellow vanishes on white
    assert len({s["markevery"] for s in styles}) == 6, "coinciding curves show every series' markers"


def test_claim_fits_and_exponent_sweep():
    cells, results = horizon_experiment()
    verdicts = verdicts_of(cells, results)
    assert all(v.measured is not None and v.ci for v in verdicts)
    fig = plot_exponent_sweep(verdicts, cells, results, x="optimizer.beta2", metric="avg_grad_norm_sq",
                              suptitle="adopt_any_beta2: Taniguchi et al., NeurIPS 2024")
    assert len(fig.axes) == 3, "one exponent plot and two example panels, not one panel per cell"
    check(fig)
    for v in verdicts[:2]:
        chosen = [r for c, r in zip(cells, results) if c.key in v.cells]
        fig = plot_claim(v, chosen)
        assert fig.axes[0].get_title() == f"{v.claim.optimizer}, $\\beta_2={v.claim.select['optimizer.beta2']:g}$"
        check(fig)
    gd = power_law(150, 1, 0.0, metric="gap", noise=0.0)
    gd.metrics["gap"] = 3.0 * 0.81 ** gd.checkpoints[:, None].astype(float)
    gd.constants = {"L": 1.0, "mu": 0.1}
    claim = Claim(name="GD contracts F - F* by (1 - mu/L)^2 per step", kind="linear_rate", optimizer="GD",
                  metric="gap", theory="gd_strongly_convex")
    v = evaluate(claim, [Cell("GD", (), {}, {}, {})], [gd])
    check(plot_claim(v, [gd]))


def test_sweep_figures():
    cells, results = [], []
    for label in LONG[:3]:
        for k in (2.0, 5.0, 10.0, 20.0, 50.0):
            for beta2 in (0.1, 0.5, 0.9, 0.99, 0.999):
                cells.append(Cell(label, (("problem.k", k), ("optimizer.beta2", beta2)), {}, {}, {}))
                results.append(power_law(1000, 16, -0.1 * k / 10, metric="theta", seed=len(results)))
    check(plot_phase(cells, results, x="problem.k", y="optimizer.beta2", metric="theta", threshold=0.3,
                     suptitle="phase_diagram: Reddi et al. 2018"))
    fig, table = plot_advantage(cells, results, x="problem.k", tune="optimizer.beta2", reference=LONG[0],
                                metric="theta", suptitle="advantage: " + "a long reference " * 8)
    assert set(table) == set(LONG[:3])
    check(fig)
    by_x = {s: (SimpleNamespace(measured=1 + 0.2 * np.log10(s), ci=(0.9 + 0.2 * np.log10(s), 1.1 + 0.2 * np.log10(s))),
                1 + 0.5 * np.log10(s)) for s in (1, 10, 100, 1000)}
    check(plot_hitting_ratio(by_x, x="tag.spread", reference=LONG[0], against="Clipped Adam + EMA (global norm)",
                             suptitle="coordinate_adaptivity: Ahn & Cutkosky, NeurIPS 2024, Theorem 11 and "
                                      "Corollary 14, coordinate-wise clipping"))


def test_the_check_sees_overlap_clipping_and_legends_on_data():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2], [1, 2], label="a")
    ax.legend(loc="center")
    ax.set_title("a title much too long for a figure three inches wide, so it runs off both sides")
    fig.suptitle("suptitle")
    problems = layout_problems(fig)
    plt.close(fig)
    assert any("leaves the canvas" in p for p in problems)
    assert any("lies on the data" in p for p in problems)
    assert any("suptitle overlaps axes 0 title" in p for p in problems)


def test_reproduce_call_sites_render_clean_figures(tmp_path, monkeypatch):
    """The figures ``ratecheck reproduce`` writes (here a small deterministic experiment) pass the check,
    and the full settings go to the caption in the experiment's JSON."""
    found = []
    original = matplotlib.figure.Figure.savefig

    def savefig(self, *args, **kwargs):
        found.append(layout_problems(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    exp = catalog.load_experiment("gd_linear_rate", quick=True)
    outcome = run_experiment(exp, tmp_path)
    assert found and all(p == [] for p in found)
    assert exp.description.rstrip(".") in outcome.meta["caption"]
