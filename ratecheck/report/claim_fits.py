"""A claim's evidence drawn beside its prediction: the fitted law with its interval and the theory line
(:func:`plot_claim`), and a sweep of fitted exponents over one parameter (:func:`plot_exponent_sweep`),
which replaces a wall of near-identical panels by the one number each panel was drawn for.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..claims import values
from ..claims.rate import log_factor
from .curves import plot_stationarity, summary_text
from .style import (CERTIFICATE_LABELS, METRIC_LABELS, axis_symbol, compact_log_labels, format_value,
                    legend_below, panel_title, series_style, wrapped)

__all__ = ["plot_claim", "plot_exponent_sweep", "fit_label", "claim_title", "exponent_points"]


def fit_label(what: str, fit) -> str:
    """The legend entry of a fitted power law: its exponent with the 95% interval, and the correction term."""
    text = f"fit: {what} {fit.exponent:.3f} [{fit.ci[0]:.3f}, {fit.ci[1]:.3f}]"
    if fit.correction:
        q, r, x0 = fit.correction
        sign = "+" if r >= 0 else "-"
        text += "\nwith correction $(1 " + sign + f" {abs(r):.2g}" + r"\,(x/" + f"{x0:g})^{{-{q:g}}})$"
    return text


def claim_title(claim) -> str:
    """A claim figure's short title: the method and the sweep values the claim selects (in mathtext);
    the claim's full wording and source go to the caption."""
    sel = panel_title(sorted(claim.select.items())) if claim.select else ""
    return claim.optimizer + (f", {sel}" if sel else "")


class _View:
    """A stored result seen through a claim: its measured quantity under the claim's metric name."""

    def __init__(self, res, claim):
        self.__dict__.update(vars(res))
        self.metrics = {claim.metric: values(claim, res)}
        self.n_diverged = res.n_diverged


def plot_claim(verdict, results, *, title: str | None = None):
    """A claim's evidence: the measured quantity, the fitted law with its CI, the theory line.

    ``results`` are the runs the claim read (one, or one per horizon). Returns None for
    kinds whose evidence is the experiment's own figure (``exact``, ``outcome``).
    """
    claim, fit = verdict.claim, verdict.fit
    if fit is None or claim.kind in ("exact", "outcome", "hitting_sweep"):
        return None
    results = [_View(r, claim) for r in results]
    fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    label = METRIC_LABELS.get(claim.metric, claim.metric)
    if claim.metric in CERTIFICATE_LABELS:
        label = CERTIFICATE_LABELS[claim.metric] + rf", $\lambda = {claim.lam:g}$"
    pred = verdict.predicted
    # the fit and the theory line are drawn over the data (zorder), the fit translucent, so that all three
    # stay visible where they coincide
    theory = dict(color="k", ls=(0, (4, 2)), lw=1.3, zorder=6)
    fitted = dict(color="#D55E00", lw=2.2, alpha=0.8, zorder=5)
    note = None
    if claim.kind == "sample_complexity":
        inv = 1.0 / np.asarray(fit.eps)
        ax.loglog(inv, fit.hitting_times, "o", color="#0072B2", label=r"$T(\epsilon)$, " + claim.center)
        line = fit.curve(inv)
        ax.loglog(inv, line, label=fit_label("exponent", fit), **fitted)
        k = -1 if fit.correction else 0  # a corrected fit is asymptotically right: anchor at the far end
        ax.loglog(inv, line[k] * (inv / inv[k]) ** pred, label=f"theory: exponent {pred:.3g}", **theory)
        ax.set_xlabel(r"$1/\epsilon$ (threshold on " + label + ")")
        ax.set_ylabel(r"first step with " + label + r" $\leq \epsilon$")
    elif claim.kind == "linear_rate":
        res = results[0]
        t = res.checkpoints
        vals = res.metrics[claim.metric]
        mid = np.median(vals, axis=1) if claim.center == "median" else np.mean(vals, axis=1)
        n = res.replicates - res.n_diverged
        ax.semilogy(t, mid, "o", ms=3, color="#0072B2",
                    label="one run" if n == 1 else f"{claim.center} of {n} runs")
        tw = t[(t >= fit.window[0]) & (t <= fit.window[1])]
        ax.semilogy(tw, np.exp(fit.intercept) * fit.rho ** tw,
                    label=rf"fit: $\rho$ = {fit.rho:.6f} [{fit.ci[0]:.6f}, {fit.ci[1]:.6f}]", **fitted)
        ax.semilogy(tw, np.exp(fit.intercept) * fit.rho ** tw[0] * (pred ** (tw - tw[0])),
                    label=rf"theory: $\rho$ = {pred:.6f}", **theory)
        ax.set_xlabel("iterations $t$")
        ax.set_ylabel(label)
    else:
        if claim.kind == "horizon_rate" or len(results) > 1:
            hs = np.array([r.steps for r in results], dtype=float)
            finals = [r.metrics[claim.metric][-1] for r in results]
            finals = [f[np.isfinite(f)] for f in finals]
            mid = np.array([np.median(f) if claim.center == "median" else np.mean(f) for f in finals])
            lo = np.array([np.quantile(f, 0.25) for f in finals])
            hi = np.array([np.quantile(f, 0.75) for f in finals])
            one = all(f.size <= 1 for f in finals)
            ax.errorbar(hs, mid, yerr=None if one else [np.maximum(mid - lo, 0), np.maximum(hi - mid, 0)],
                        fmt="o", color="#0072B2", capsize=2,
                        label=("value at the end of each run" if one
                               else f"{claim.center} (quartiles) at the end of each run"))
            x = hs
            ax.set_xlabel("horizon $T$ (one run per $T$)")
        else:
            res = results[0]
            plot_stationarity([res], [claim.optimizer], metric=claim.metric, center=claim.center, ax=ax,
                              legend=False)
            note = summary_text([res], claim.metric, claim.center, (0.25, 0.75))
            x = res.checkpoints[(res.checkpoints >= fit.window[0]) & (res.checkpoints <= fit.window[1])]
            ax.set_xlabel("iterations $t$")
        x = np.asarray(x, dtype=float)
        if fit.correction:
            x = np.geomspace(fit.window[0], fit.window[1], 50)
        # an upper bound with a log factor fits the metric divided by (1 + ln t)^p: both lines are drawn
        # multiplied back, over the data they describe
        power = claim.log_power() if hasattr(claim, "log_power") else 0
        factor = log_factor(x, power)
        times = rf" $\times\,(1 + \ln t)^{{{power}}}$" if power else ""
        line = fit.curve(x)
        ax.plot(x, line * factor, label=fit_label("slope", fit) + times, **fitted)
        k = -1 if fit.correction else 0  # a corrected fit is asymptotically right: anchor at the far end
        ax.plot(x, line[k] * (x / x[k]) ** pred * factor, label=f"theory: slope {pred:.3g}" + times, **theory)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel(label)
    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":
            compact_log_labels(axis)
    ax.set_title(title or claim_title(claim), fontsize=10)
    ax.grid(True, alpha=0.3)
    legend_below(fig, ncols=1, title=note)
    return fig


def exponent_points(verdicts, x: str) -> dict:
    """``{method: [(value of x, verdict), ...]}`` for the verdicts with a measured value and an interval
    whose claim selects exactly one value of the sweep axis ``x`` (one fitted exponent per value)."""
    points: dict = {}
    for v in verdicts:
        if v.measured is None or not v.ci or set(v.claim.select) != {x}:
            continue
        points.setdefault(v.claim.optimizer, []).append((v.claim.select[x], v))
    return {k: sorted(p, key=lambda item: item[0]) for k, p in points.items()}


def plot_exponent_sweep(verdicts, cells, results, *, x: str, metric: str, horizon: str = "horizon",
                        suptitle: str | None = None, examples: int = 2):
    """The fitted exponent (with its 95% interval) of each method against the sweep parameter ``x``,
    beside the prediction, plus ``examples`` panels of the data behind the fits at the extreme values of
    ``x``: the final ``metric`` against the horizon (median and quartiles over the replicates), one
    series per method.

    ``verdicts`` are the experiment's claims (those selecting one value of ``x`` are drawn); ``cells`` have
    ``label``, ``value(axis)`` and ``values``; ``results`` are their stored runs, in the same order.
    """
    points = exponent_points(verdicts, x)
    if not points:
        raise ValueError(f"no claim with a fitted interval selects one value of {x!r}: nothing to draw")
    xs = sorted({value for pts in points.values() for value, _ in pts})
    picks = [xs[0], xs[-1]][:examples] if len(xs) > 1 else xs[:1]
    fig = plt.figure(figsize=(4.6 + 3.4 * len(picks), 4.6), layout="constrained")
    grid = fig.add_gridspec(1, 1 + len(picks), width_ratios=[1.35] + [1.0] * len(picks))
    ax = fig.add_subplot(grid[0, 0])
    n = len(points)
    for i, (method, pts) in enumerate(points.items()):
        pos = np.array([xs.index(value) for value, _ in pts]) + 0.12 * (i - (n - 1) / 2)
        mid = np.array([v.measured for _, v in pts])
        lo = np.array([v.ci[0] for _, v in pts])
        hi = np.array([v.ci[1] for _, v in pts])
        style = series_style(i)
        obs = all(v.verdict == "observation" for _, v in pts)   # declared, or outside the hypotheses
        ax.errorbar(pos, mid, yerr=[mid - lo, hi - mid], fmt=style["marker"], color=style["color"], capsize=3,
                    mfc="white" if obs else style["color"], ls="none",
                    label=f"{method}" + (" (hollow: observation outside the theorem)" if obs else ""))
    preds = {round(v.predicted, 12) for pts in points.values() for _, v in pts if v.predicted is not None}
    kinds = {v.claim.kind for pts in points.values() for _, v in pts}
    if len(preds) == 1:
        word = "at most" if kinds == {"upper_bound"} else "at least" if kinds == {"lower_bound"} else "="
        ax.axhline(preds.pop(), color="k", ls=(0, (4, 2)), lw=1.2, label=f"theory: exponent {word} "
                   f"{next(v.predicted for pts in points.values() for _, v in pts):.3g}")
    ax.set_xticks(range(len(xs)), [f"${format_value(v)}$" for v in xs])
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_xlabel(f"${axis_symbol(x)}$")
    ax.set_ylabel(f"fitted exponent of {METRIC_LABELS.get(metric, metric)} in $T$ (95% CI)")
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    by_label = {}
    for i, value in enumerate(picks):
        ex = fig.add_subplot(grid[0, 1 + i])
        for j, method in enumerate(points):
            rows = [(c.value(horizon), r) for c, r in zip(cells, results)
                    if c.label == method and c.value(x) == value and c.value(horizon) is not None]
            if not rows:
                continue
            rows.sort(key=lambda item: item[0])
            hs = np.array([h for h, _ in rows], dtype=float)
            finals = [r.metrics[metric][-1] for _, r in rows]
            finals = [f[np.isfinite(f)] for f in finals]
            mid = np.array([np.median(f) if f.size else np.nan for f in finals])
            lo = np.array([np.quantile(f, 0.25) if f.size else np.nan for f in finals])
            hi = np.array([np.quantile(f, 0.75) if f.size else np.nan for f in finals])
            style = series_style(j)
            ex.errorbar(hs, mid, yerr=[np.maximum(mid - lo, 0), np.maximum(hi - mid, 0)], color=style["color"],
                        ls=style["linestyle"], marker=style["marker"], ms=4, capsize=2, lw=1.4)
            by_label.setdefault(method, [r for _, r in rows])
        ex.set_xscale("log")
        ex.set_yscale("log")
        compact_log_labels(ex.xaxis)
        compact_log_labels(ex.yaxis)
        ex.set_title(f"${axis_symbol(x)}={format_value(value)}$", fontsize=10)
        ex.set_xlabel("horizon $T$")
        ex.grid(True, alpha=0.3)
        if i == 0:
            ex.set_ylabel(f"{METRIC_LABELS.get(metric, metric)} at $t=T$")
    runs = [r for rs in by_label.values() for r in rs]
    note = summary_text(runs, metric, "median", None) if runs else None
    if note and not note.startswith(("one", "deterministic")):
        note += ", bars: quartiles"
    legend_below(fig, handles, labels,
                 title=f"exponents: fitted over $T$ (95% CI); examples: {note}" if note else None)
    if suptitle:
        fig.suptitle(wrapped(suptitle, int(fig.get_size_inches()[0] * 11)), fontsize=11)
    return fig
