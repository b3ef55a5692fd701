"""Figures over sweep axes: where a method succeeds (:func:`plot_phase`), how much better one method does
than another once each is tuned (:func:`plot_advantage`), and measured against predicted ratios of hitting
times (:func:`plot_hitting_ratio`). Pure functions of stored results and verdicts.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import ScalarFormatter

from .style import (METRIC_LABELS, axis_symbol, compact_log_labels, format_value, legend_below, series_style,
                    wrapped)

__all__ = ["plot_phase", "plot_advantage", "plot_hitting_ratio"]


def plot_phase(cells, results, *, x: str, y: str, metric: str, threshold: float, below: bool = True,
               suptitle: str | None = None):
    """Heat maps of the fraction of replicates whose final ``metric`` is below (or above)
    ``threshold``, over two sweep axes ``x`` and ``y``, one panel per optimizer label."""
    labels = list(dict.fromkeys(c.label for c in cells))
    xs = sorted({c.value(x) for c in cells})
    ys = sorted({c.value(y) for c in cells})
    fig, axes = plt.subplots(1, len(labels), figsize=(3.9 * len(labels) + 1.0, 4.0), layout="constrained",
                             squeeze=False)
    im = None
    for n, (ax, label) in enumerate(zip(axes.flat, labels)):
        grid = np.full((len(ys), len(xs)), np.nan)
        for cell, res in zip(cells, results):
            if cell.label != label:
                continue
            final = res.metrics[metric][-1]
            final = final[np.isfinite(final)]
            frac = np.mean(final < threshold) if below else np.mean(final > threshold)
            grid[ys.index(cell.value(y)), xs.index(cell.value(x))] = frac if final.size else np.nan
        im = ax.imshow(grid, origin="lower", aspect="auto", vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(xs)), [f"${format_value(v)}$" for v in xs])
        ax.set_yticks(range(len(ys)), [f"${format_value(v)}$" if n == 0 else "" for v in ys])
        ax.set_xlabel(f"${axis_symbol(x)}$")
        if n == 0:
            ax.set_ylabel(f"${axis_symbol(y)}$")
        ax.set_title(label, fontsize=10)
        for i in range(len(ys)):
            for j in range(len(xs)):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                            color="w" if grid[i, j] < 0.5 else "k")
    symbol = METRIC_LABELS.get(metric, metric).strip("$")
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.9,
                 label=f"fraction of runs with final ${symbol} {'<' if below else '>'} {threshold:g}$")
    if suptitle:
        fig.suptitle(wrapped(suptitle, int(fig.get_size_inches()[0] * 11)), fontsize=11)
    return fig


def plot_advantage(cells, results, *, x: str, tune: str, reference: str, metric: str,
                   suptitle: str | None = None):
    """Advantage of each method over ``reference``: the ratio of the best (over the ``tune``
    axis) mean final ``metric`` of the reference to that of the method, against sweep axis ``x``.

    Returns the figure and the table ``{label: {x value: (best, best tune value)}}``.
    """
    best: dict = {}
    for cell, res in zip(cells, results):
        final = res.metrics[metric][-1]
        final = final[np.isfinite(final)]
        if not final.size:
            continue
        value = float(np.mean(final))
        key = cell.value(x)
        entry = best.setdefault(cell.label, {})
        if key not in entry or value < entry[key][0]:
            entry[key] = (value, cell.value(tune))
    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    ref = best.get(reference, {})
    i = 0
    for label, entry in best.items():
        if label == reference:
            continue
        xs = sorted(k for k in entry if k in ref)
        ratio = [entry[k][0] / ref[k][0] for k in xs]
        ax.plot(xs, ratio, label=f"{label} / {reference}", **series_style(i))
        i += 1
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"${axis_symbol(x)}$")
    ax.set_ylabel(f"best mean final {METRIC_LABELS.get(metric, metric)}, ratio\n"
                  f"(each method tuned over ${axis_symbol(tune)}$)", fontsize=9)
    ax.grid(True, alpha=0.3)
    legend_below(fig, title=f"above 1: {reference} does better")
    if suptitle:
        fig.suptitle(wrapped(suptitle, int(fig.get_size_inches()[0] * 11)), fontsize=11)
    return fig, best


def plot_hitting_ratio(verdicts_by_x: dict, *, x: str, reference: str, against: str, suptitle: str | None = None):
    """Measured ratio of mean hitting times (``against`` / ``reference``, with its paired bootstrap interval)
    beside the ratio of the two methods' complexity bounds, against the sweep axis ``x``.

    ``verdicts_by_x`` maps each value of ``x`` to ``(verdict, bound ratio)``, the verdict of a
    ``hitting_ratio`` claim on that value's cells (see :mod:`ratecheck.claims`).
    """
    xs = sorted(k for k, (v, _) in verdicts_by_x.items() if v.measured is not None)
    fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    if xs:
        mid = np.array([verdicts_by_x[k][0].measured for k in xs])
        lo = np.array([verdicts_by_x[k][0].ci[0] for k in xs])
        hi = np.array([verdicts_by_x[k][0].ci[1] for k in xs])
        style = series_style(0)
        ax.errorbar(xs, mid, yerr=[mid - lo, hi - mid], color=style["color"], marker="o", capsize=3,
                    label="measured: ratio of mean hitting times (95% CI)")
        bound = [verdicts_by_x[k][1] for k in xs]
        style = series_style(1)
        ax.plot(xs, bound, color=style["color"], ls=style["linestyle"], marker="s",
                label=r"bound ratio $d\,\|G+\sigma\|_2^2/\|G+\sigma\|_1^2$")
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"${axis_symbol(x)}$")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    compact_log_labels(ax.yaxis)  # a ratio spans less than a decade: label 2, 3, ... too
    ax.set_ylabel(f"iterations of {against}\n/ iterations of {reference}", fontsize=9)
    ax.grid(True, alpha=0.3)
    legend_below(fig, ncols=1)
    if suptitle:
        fig.suptitle(wrapped(suptitle, int(fig.get_size_inches()[0] * 11)), fontsize=11)
    return fig
