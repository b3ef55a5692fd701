"""Curves of a measure against iterations: pure functions of stored results (they never rerun a simulation).

:func:`plot_stationarity` draws a measure against iterations on log-log axes: the median (or mean) across
surviving replicates with a quantile band, one curve per result, optionally a reference slope;
:func:`plot_panels` draws a grid of them with one shared legend under the panels.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .style import LINEAR_METRICS, METRIC_LABELS, compact_log_labels, legend_below, series_style, wrapped

__all__ = ["plot_stationarity", "plot_panels", "summary", "is_deterministic", "summary_text"]


def summary(values: np.ndarray, center: str, band):
    """``(mid, lo, hi)`` over the replicates (columns) that stayed finite, or None when none did;
    ``lo``/``hi`` are the ``band`` quantiles (None without a band)."""
    finite = values[:, np.all(np.isfinite(values), axis=0)]
    if finite.shape[1] == 0:
        return None
    mid = np.median(finite, axis=1) if center == "median" else finite.mean(axis=1)
    lo, hi = np.quantile(finite, band, axis=1) if band else (None, None)
    return mid, lo, hi


def is_deterministic(values: np.ndarray) -> bool:
    """True when every replicate (column) follows the same path: one run, or noise-free runs. Such a curve has
    no spread to show, so it gets no quantile band and its label promises none."""
    values = np.asarray(values)
    return values.shape[1] <= 1 or bool(np.all((values == values[:, :1]) | ~np.isfinite(values)))


def summary_text(results, metric: str, center: str, band) -> str:
    """What the curves are, for the legend's title: ``median of 64 runs, band 0.25-0.75 quantiles``, or
    ``one deterministic run`` when there is nothing to summarise."""
    runs = sorted({r.replicates - r.n_diverged for r in results})
    det = all(is_deterministic(r.metrics[metric]) for r in results if metric in r.metrics)
    if det:
        return "one run" if runs == [1] else "deterministic runs (replicates coincide)"
    n = str(runs[0]) if len(runs) == 1 else f"{runs[0]}-{runs[-1]}"
    text = f"{center} of {n} runs"
    return text + (f", band: {band[0]:g}-{band[1]:g} quantiles" if band else "")


def plot_stationarity(results, labels=None, *, metric: str = "grad_norm_sq", center: str = "median",
                      band=(0.25, 0.75), title: str | None = None, reference_slope=None, ax=None,
                      logy: bool = True, legend: bool = True):
    """Plot ``metric`` against iterations for one or more results.

    Parameters
    ----------
    results : SimulationResult or list of them
    labels : list of str, optional (default: optimizer names)
    metric : name of a recorded metric (``result.metrics``)
    center : "median" or "mean" across surviving replicates
    band : (low, high) quantiles for the shaded band, or None; a deterministic result gets none
    reference_slope : (slope, label) drawn through the first curve's last point, optional
    legend : draw the figure's legend (under the axes); False when the caller draws a shared one

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(results, (list, tuple)):
        results = [results]
    labels = labels or [r.optimizer.get("name", "?") for r in results]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    else:
        fig = ax.figure
    anchor = None
    for i, (res, label) in enumerate(zip(results, labels)):
        if metric not in res.metrics:
            raise ValueError(f"metric {metric!r} not recorded; available: {', '.join(sorted(res.metrics))}")
        vals = res.metrics[metric]
        shown = summary(vals, center, None if is_deterministic(vals) else band)
        if shown is None:
            continue
        mid, lo, hi = shown
        t = res.checkpoints
        suffix = f" ({res.n_diverged} diverged)" if res.n_diverged else ""
        style = series_style(i, len(t))
        ax.plot(t, mid, label=f"{label}{suffix}", zorder=3 + 0.1 * i, **style)
        if lo is not None:
            ax.fill_between(t, lo, hi, color=style["color"], alpha=0.18, lw=0)
        if anchor is None and np.all(mid > 0):
            anchor = (t[-1], mid[-1])
    if reference_slope is not None and anchor is not None:
        slope, ref_label = reference_slope
        t = np.geomspace(max(1, anchor[0] / 100), anchor[0], 20)
        ax.plot(t, anchor[1] * (t / anchor[0]) ** slope, color="k", ls=":", lw=1.2, label=ref_label)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
        compact_log_labels(ax.yaxis)
    ax.set_xlabel("iterations $t$")
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    if legend:
        legend_below(fig, title=summary_text(results, metric, center, band))
    return fig


def plot_panels(panels: dict, *, metric: str, center: str = "median", band=(0.25, 0.75),
                suptitle: str | None = None, ncols: int | None = None):
    """A grid of :func:`plot_stationarity` panels, ``{panel title: (results, labels)}``, with one legend
    for all of them under the grid and the axis labels written once per row and column."""
    n = len(panels)
    ncols = ncols or min(n, 3)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.2 * nrows + 1.0), layout="constrained",
                             squeeze=False)
    everything = []
    for k, (ax, (title, (results, labels))) in enumerate(zip(axes.flat, panels.items())):
        plot_stationarity(results, labels, metric=metric, center=center, band=band, ax=ax,
                          title=title, logy=metric not in LINEAR_METRICS, legend=False)
        # the axis labels once per column and row: on the lowest panel of a column, the first of a row
        if k + ncols < n:
            ax.set_xlabel("")
        if k % ncols:
            ax.set_ylabel("")
        everything += list(results)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    legend_below(fig, title=summary_text(everything, metric, center, band))
    if suptitle:
        fig.suptitle(wrapped(suptitle, int(fig.get_size_inches()[0] * 11)), fontsize=11)
    return fig
