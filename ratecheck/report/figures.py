"""Figures: pure functions of stored results (they never rerun a simulation).

:func:`plot_stationarity` draws a measure against iterations on log-log axes: the
median (or mean) across surviving replicates with a quantile band, one curve per
result, optionally a reference slope.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import NullFormatter, ScalarFormatter  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_stationarity", "plot_panels", "save_figure", "METRIC_LABELS"]

METRIC_LABELS = {
    "grad_norm_sq": r"$\|\nabla F(x_t)\|^2$",
    "grad_norm_l1": r"$\|\nabla F(x_t)\|_1$",
    "gap": r"$F(x_t) - F^\star$",
    "dist": r"$\|x_t - x^\star\|$",
    "value": r"$F(x_t)$",
    "min_grad_norm_sq": r"$\min_{s<t}\|\nabla F(x_s)\|^2$",
    "avg_grad_norm_sq": r"$\frac{1}{t}\sum_{s<t}\|\nabla F(x_s)\|^2$",
    "min_gap": r"$\min_{s<t} F(x_s) - F^\star$",
    "out_grad_norm_sq": r"$\|\nabla F(\bar x_t)\|^2$ (output)",
    "out_gap": r"$F(\bar x_t) - F^\star$ (output)",
    "out_dist": r"$\|\bar x_t - x^\star\|$ (output)",
    "cert_grad_norm": r"$\|\sum_s w_s \nabla F(y_s)\|$",
    "cert_spread": r"$\sum_s w_s\|y_s - \bar y\|^2$",
    "avg_cert_grad_norm": r"$\frac{1}{t}\sum_{s\leq t}\|\bar g_s\|$",
    "avg_cert_grad_l1": r"$\frac{1}{t}\sum_{s\leq t}\|\bar g_s\|_1$",
    "avg_out_grad_norm": r"$\frac{1}{t}\sum_{s\leq t}\|\nabla F(\bar x_s)\|$ (output)",
    "theta": r"$\theta_t$",
    "out_theta": r"$\bar\theta_t$ (output)",
}

#: the (λ,ε) measures of claims (see ratecheck.claims.CERTIFICATES)
CERTIFICATE_LABELS = {
    "certificate": r"$(\lambda,\epsilon)$ certificate at $\bar x_t$",
    "avg_certificate": r"$\frac{1}{t}\sum_{s\leq t}$ certificate at $\bar x_s$",
    "avg_certificate_l1": r"$\frac{1}{t}\sum_{s\leq t}$ L1 certificate at $\bar x_s$",
}

#: metrics that can be negative or are positions: plotted on a linear y axis
LINEAR_METRICS = {"theta", "out_theta", "value", "out_value"}


def _summary(values: np.ndarray, center: str, band):
    finite = values[:, np.all(np.isfinite(values), axis=0)]
    if finite.shape[1] == 0:
        return None
    mid = np.median(finite, axis=1) if center == "median" else finite.mean(axis=1)
    lo, hi = np.quantile(finite, band, axis=1) if band else (None, None)
    return mid, lo, hi


def plot_stationarity(results, labels=None, *, metric: str = "grad_norm_sq", center: str = "median",
                      band=(0.25, 0.75), title: str | None = None, reference_slope=None, ax=None,
                      logy: bool = True):
    """Plot ``metric`` against iterations for one or more results.

    Parameters
    ----------
    results : SimulationResult or list of them
    labels : list of str, optional (default: optimizer names)
    metric : name of a recorded metric (``result.metrics``)
    center : "median" or "mean" across surviving replicates
    band : (low, high) quantiles for the shaded band, or None
    reference_slope : (slope, label) drawn through the first curve's last point, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(results, (list, tuple)):
        results = [results]
    labels = labels or [r.optimizer.get("name", "?") for r in results]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    else:
        fig = ax.figure
    anchor = None
    for res, label in zip(results, labels):
        if metric not in res.metrics:
            raise ValueError(f"metric {metric!r} not recorded; available: {', '.join(sorted(res.metrics))}")
        summary = _summary(res.metrics[metric], center, band)
        if summary is None:
            continue
        mid, lo, hi = summary
        t = res.checkpoints
        suffix = f" ({res.n_diverged} diverged)" if res.n_diverged else ""
        (line,) = ax.plot(t, mid, label=f"{label}{suffix}", lw=1.6)
        if band:
            ax.fill_between(t, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
        if anchor is None and np.all(mid > 0):
            anchor = (t[-1], mid[-1])
    if reference_slope is not None and anchor is not None:
        slope, ref_label = reference_slope
        t = np.geomspace(max(1, anchor[0] / 100), anchor[0], 20)
        ax.plot(t, anchor[1] * (t / anchor[0]) ** slope, "k--", lw=1, label=ref_label)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("iterations $t$ (stochastic gradient queries)")
    ax.set_ylabel(METRIC_LABELS.get(metric, metric) + f" ({center}, band {band[0]:g}-{band[1]:g})"
                  if band else METRIC_LABELS.get(metric, metric))
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[1]:  # nothing to label when every value is NaN/inf
        ax.legend(fontsize=8)
    return fig


def _wrapped(text: str, width: int) -> str:
    """A title folded into lines of at most ``width`` characters (so it stays on the canvas)."""
    return "\n".join(part for line in text.split("\n") for part in textwrap.wrap(line, width))


def plot_panels(panels: dict, *, metric: str, center: str = "median", band=(0.25, 0.75),
                suptitle: str | None = None, ncols: int | None = None):
    """A grid of :func:`plot_stationarity` panels: ``{panel title: (results, labels)}``."""
    n = len(panels)
    ncols = ncols or min(n, 3)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows), constrained_layout=True,
                             squeeze=False)
    for ax, (title, (results, labels)) in zip(axes.flat, panels.items()):
        plot_stationarity(results, labels, metric=metric, center=center, band=band, ax=ax,
                          title=title, logy=metric not in LINEAR_METRICS)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if suptitle:
        fig.suptitle(_wrapped(suptitle, int(11 * 4.6 * ncols)), fontsize=11)
    return fig


def save_figure(fig, path_stem, formats=("png", "pdf")) -> list[Path]:
    """Save ``fig`` as ``path_stem.png`` and ``.pdf`` (atomically) and close it."""
    from ..sim.result import atomic_write_bytes
    import io
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=150)
        path = stem.with_suffix(f".{fmt}")
        atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    plt.close(fig)
    return paths


def _fit_label(what: str, fit) -> str:
    text = f"fit: {what} {fit.exponent:.3f} [{fit.ci[0]:.3f}, {fit.ci[1]:.3f}]"
    if fit.correction:
        q, r, x0 = fit.correction
        sign = "+" if r >= 0 else "-"
        text += "\nwith correction $(1 " + sign + f" {abs(r):.2g}" + r"\,(x/" + f"{x0:g})^{{-{q:g}}})$"
    return text


def plot_claim(verdict, results, *, title: str | None = None):
    """A claim's evidence: the measured quantity, the fitted law with its CI, the theory line.

    ``results`` are the runs the claim read (one, or one per horizon). Returns None for
    kinds whose evidence is the experiment's own figure (``exact``, ``outcome``).
    """
    claim, fit = verdict.claim, verdict.fit
    if fit is None or claim.kind in ("exact", "outcome", "hitting_sweep"):
        return None
    from ..claims import values

    class _View:  # the claim's quantity under the name plot_stationarity reads
        def __init__(self, res):
            self.__dict__.update(vars(res))
            self.metrics = {claim.metric: values(claim, res)}
            self.n_diverged = res.n_diverged

    results = [_View(r) for r in results]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    label = METRIC_LABELS.get(claim.metric, claim.metric)
    if claim.metric in CERTIFICATE_LABELS:
        label = CERTIFICATE_LABELS[claim.metric] + rf", $\lambda = {claim.lam:g}$"
    pred = verdict.predicted
    if claim.kind == "sample_complexity":
        inv = 1.0 / np.asarray(fit.eps)
        ax.loglog(inv, fit.hitting_times, "o", label=r"$T(\epsilon)$, " + claim.center)
        line = fit.curve(inv)
        ax.loglog(inv, line, "-", label=_fit_label("exponent", fit))
        k = -1 if fit.correction else 0  # a corrected fit is asymptotically right: anchor at the far end
        ax.loglog(inv, line[k] * (inv / inv[k]) ** pred, "k--", label=f"theory: exponent {pred:.3g}")
        ax.set_xlabel(r"$1/\epsilon$ (threshold on " + label + ")")
        ax.set_ylabel(r"first step with " + label + r" $\leq \epsilon$")
    elif claim.kind == "linear_rate":
        res = results[0]
        t = res.checkpoints
        vals = res.metrics[claim.metric]
        mid = np.median(vals, axis=1) if claim.center == "median" else np.mean(vals, axis=1)
        ax.semilogy(t, mid, "o-", ms=3, label=f"{claim.center} of {res.replicates - res.n_diverged} runs")
        tw = t[(t >= fit.window[0]) & (t <= fit.window[1])]
        ax.semilogy(tw, np.exp(fit.intercept) * fit.rho ** tw, "-",
                    label=f"fit: ρ = {fit.rho:.6f} [{fit.ci[0]:.6f}, {fit.ci[1]:.6f}]")
        ax.semilogy(tw, np.exp(fit.intercept) * fit.rho ** tw[0] * (pred ** (tw - tw[0])), "k--",
                    label=f"theory: ρ = {pred:.6f}")
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
            ax.errorbar(hs, mid, yerr=[np.maximum(mid - lo, 0), np.maximum(hi - mid, 0)], fmt="o",
                        label=f"{claim.center} (IQR) at the end of each run")
            x = hs
            ax.set_xlabel("horizon $T$ (one run per $T$)")
        else:
            res = results[0]
            plot_stationarity([res], [claim.optimizer], metric=claim.metric, center=claim.center, ax=ax)
            x = res.checkpoints[(res.checkpoints >= fit.window[0]) & (res.checkpoints <= fit.window[1])]
            ax.set_xlabel("iterations $t$")
        x = np.asarray(x, dtype=float)
        if fit.correction:
            x = np.geomspace(fit.window[0], fit.window[1], 50)
        line = fit.curve(x)
        ax.plot(x, line, "-", lw=2, label=_fit_label("slope", fit))
        k = -1 if fit.correction else 0  # a corrected fit is asymptotically right: anchor at the far end
        ax.plot(x, line[k] * (x / x[k]) ** pred, "k--", label=f"theory: slope {pred:.3g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel(label)
    ax.set_title(title or f"{claim.name}\n{claim.source()}", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_phase(cells, results, *, x: str, y: str, metric: str, threshold: float, below: bool = True,
               suptitle: str | None = None):
    """Heat maps of the fraction of replicates whose final ``metric`` is below (or above)
    ``threshold``, over two sweep axes ``x`` and ``y``, one panel per optimizer label."""
    labels = list(dict.fromkeys(c.label for c in cells))
    xs = sorted({c.value(x) for c in cells})
    ys = sorted({c.value(y) for c in cells})
    fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels), 3.8), constrained_layout=True,
                             squeeze=False)
    for ax, label in zip(axes.flat, labels):
        grid = np.full((len(ys), len(xs)), np.nan)
        for cell, res in zip(cells, results):
            if cell.label != label:
                continue
            final = res.metrics[metric][-1]
            final = final[np.isfinite(final)]
            frac = np.mean(final < threshold) if below else np.mean(final > threshold)
            grid[ys.index(cell.value(y)), xs.index(cell.value(x))] = frac if final.size else np.nan
        im = ax.imshow(grid, origin="lower", aspect="auto", vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
        ax.set_xlabel(x.split(".")[-1])
        ax.set_ylabel(y.split(".")[-1])
        ax.set_title(label, fontsize=10)
        for i in range(len(ys)):
            for j in range(len(xs)):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                            color="w" if grid[i, j] < 0.5 else "k")
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8,
                 label=f"fraction with final {metric} {'<' if below else '>'} {threshold:g}")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
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
    fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    ref = best.get(reference, {})
    for label, entry in best.items():
        if label == reference:
            continue
        xs = sorted(k for k in entry if k in ref)
        ratio = [entry[k][0] / ref[k][0] for k in xs]
        ax.plot(xs, ratio, "o-", label=f"over {label}")
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x.split(".")[-1])
    ax.set_ylabel(f"advantage of {reference}:\nbest {metric} of method / best of {reference}\n"
                  f"(each tuned over {tune.split('.')[-1]})", fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    if suptitle:
        ax.set_title(_wrapped(suptitle, 90), fontsize=8)
    return fig, best


def plot_hitting_ratio(verdicts_by_x: dict, *, x: str, reference: str, against: str, suptitle: str | None = None):
    """Measured ratio of mean hitting times (``against`` / ``reference``, with its paired bootstrap interval)
    beside the ratio of the two methods' complexity bounds, against the sweep axis ``x``.

    ``verdicts_by_x`` maps each value of ``x`` to ``(verdict, bound ratio)``, the verdict of a
    ``hitting_ratio`` claim on that value's cells (see :mod:`ratecheck.claims`).
    """
    xs = sorted(k for k, (v, _) in verdicts_by_x.items() if v.measured is not None)
    fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    if xs:
        mid = np.array([verdicts_by_x[k][0].measured for k in xs])
        lo = np.array([verdicts_by_x[k][0].ci[0] for k in xs])
        hi = np.array([verdicts_by_x[k][0].ci[1] for k in xs])
        ax.errorbar(xs, mid, yerr=[mid - lo, hi - mid], fmt="o-", capsize=3,
                    label="measured: mean hitting time, global / coordinate-wise (95% CI)")
        bound = [verdicts_by_x[k][1] for k in xs]
        ax.plot(xs, bound, "s--", label=r"bound ratio $d\|G+\sigma\|_2^2/\|G+\sigma\|_1^2$")
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x.split(".")[-1])
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(f"iterations of {against}\n/ iterations of {reference}", fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    if suptitle:
        ax.set_title(_wrapped(suptitle, 90), fontsize=8)
    return fig
