"""The look shared by every figure: labels in mathtext, a colour-blind-safe palette with distinct line
styles, short panel titles, legends off the data, saving with the caption in the file's metadata, and a
layout check (text that overlaps or leaves the canvas).

Palette: Okabe & Ito (2008), "Color Universal Design", the eight colours that stay distinct under the
common colour-vision deficiencies (yellow is left out: it vanishes on white). Each series also gets its
own dash pattern and marker, so two curves that lie on top of each other both stay visible.
"""
from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation  # noqa: E402
import numpy as np  # noqa: E402

from ..sim.result import atomic_write_bytes  # noqa: E402

__all__ = ["METRIC_LABELS", "CERTIFICATE_LABELS", "LINEAR_METRICS", "PALETTE", "series_style", "axis_symbol",
           "format_value", "panel_title", "panel_titles", "short_title", "wrapped", "legend_below",
           "compact_log_labels", "save_figure", "text_boxes", "layout_problems"]

METRIC_LABELS = {
    "grad_norm_sq": r"$\|\nabla F(x_t)\|^2$",
    "grad_norm_l1": r"$\|\nabla F(x_t)\|_1$",
    "gap": r"$F(x_t) - F^\star$",
    "dist": r"$\|x_t - x^\star\|$",
    "value": r"$F(x_t)$",
    "min_grad_norm_sq": r"$\min_{s<t}\|\nabla F(x_s)\|^2$",
    "avg_grad_norm_sq": r"$\frac{1}{t}\sum_{s<t}\|\nabla F(x_s)\|^2$",
    "min_gap": r"$\min_{s<t} F(x_s) - F^\star$",
    "avg_gap": r"$\frac{1}{t}\sum_{s<t} F(x_s) - F^\star$",
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

#: Okabe-Ito without yellow, in an order whose neighbours differ most in lightness
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_DASHES = ("-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)), (0, (3, 1, 1, 1, 1, 1)), (0, (8, 3)))
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")

#: sweep axes (last dotted part) as the papers write them
_SYMBOLS = {"horizon": "T", "steps": "T", "beta1": r"\beta_1", "beta2": r"\beta_2", "beta": r"\beta",
            "lr": r"\alpha", "eps": r"\epsilon", "epsilon": r"\epsilon", "sigma": r"\sigma", "dim": "d",
            "d": "d", "k": "k", "p": "p", "mu": r"\mu", "lam": r"\lambda", "spread": r"\mathrm{spread}"}


def series_style(i: int, n_points: int | None = None) -> dict:
    """Line keywords for the ``i``-th series: colour, dash pattern and a sparse marker (about 8 per curve)."""
    style = {"color": PALETTE[i % len(PALETTE)], "linestyle": _DASHES[i % len(_DASHES)],
             "marker": _MARKERS[i % len(_MARKERS)], "markersize": 4, "lw": 1.6}
    if n_points:
        # offset the marks of successive series so coinciding curves show every marker
        step = max(1, n_points // 8)
        style["markevery"] = (i % step, step)
    return style


def axis_symbol(axis: str) -> str:
    """The mathtext symbol (no dollars) of a sweep axis: ``optimizer.beta2`` -> ``\\beta_2``."""
    name = axis.split(".")[-1].split("]")[-1]
    if name in _SYMBOLS:
        return _SYMBOLS[name]
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


def format_value(value) -> str:
    """A number in mathtext (no dollars): powers of ten as ``10^{5}``, large or small ones with three digits
    and a power of ten, the rest with four significant digits; anything else as text."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return r"\mathrm{" + str(value).replace("_", r"\_").replace(" ", r"\ ") + "}"
    v = float(value)
    if v != 0 and np.isfinite(v) and (abs(v) >= 1e4 or abs(v) < 1e-3):
        exp = int(np.floor(np.log10(abs(v))))
        mant = v / 10.0 ** exp
        if abs(mant - round(mant)) < 1e-9 and round(mant) == 1:
            return ("-" if v < 0 else "") + f"10^{{{exp}}}"
        return f"{mant:.3g}" + r"\times 10^{" + str(exp) + "}"
    return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)


def panel_title(values, shown=None) -> str:
    """``[(axis, value), ...]`` as ``$\\beta_2=0.999$, $T=10^{5}$``, only the axes in ``shown`` when given."""
    return ", ".join(f"${axis_symbol(a)}={format_value(v)}$" for a, v in values if shown is None or a in shown)


def panel_titles(values_list, leading=None) -> list[str]:
    """Titles for panels whose cells have the sweep values ``values_list`` (one ``[(axis, value), ...]`` each):
    only the axes whose value differs between panels (and among those only ``leading`` when given: the first
    axis of a zipped group stands for the rest, which vary with it)."""
    distinct: dict = {}
    for values in values_list:
        for a, v in values:
            distinct.setdefault(a, set()).add(repr(v))
    varying = {a for a, vs in distinct.items() if len(vs) > 1 and (leading is None or a in leading)}
    return [panel_title(values, varying) for values in values_list]


class _CompactLogFormatter(LogFormatterSciNotation):
    """matplotlib's choice of which log ticks to label, written by :func:`format_value` (plain numbers from
    10⁻³ to 10⁴, ``a×10^k`` beyond) on an axis of at most two decades, so that major and minor labels read
    alike; on an axis of more than half a decade only the minor ticks at 2 and 5 times a power of ten keep
    a label (all of 2 .. 9 would run together)."""

    def __call__(self, x, pos=None):
        label = super().__call__(x, pos)
        if not label or x <= 0:
            return label
        lo, hi = sorted(abs(v) for v in self.axis.get_view_interval())
        decades = np.log10(hi / lo) if lo > 0 else np.inf
        if not self.minor:      # powers of ten: as matplotlib writes them on a long axis
            return label if decades > 2 else f"${format_value(x)}$"
        mantissa = round(x / 10.0 ** np.floor(np.log10(x) + 1e-9))
        return "" if decades > 0.5 and mantissa not in (2, 5) else f"${format_value(x)}$"


def compact_log_labels(axis) -> None:
    """Label a log ``axis``'s ticks by :class:`_CompactLogFormatter`: majors and the minor ticks matplotlib
    labels on a short range, as ``0.4``, ``3``, ``10``, ``2\\times10^{4}``; call after the scale is set."""
    major = _CompactLogFormatter(labelOnlyBase=True)
    major.minor = False
    minor = _CompactLogFormatter(labelOnlyBase=False)
    minor.minor = True
    axis.set_major_formatter(major)
    axis.set_minor_formatter(minor)


def short_title(name: str, reference: str | None = None) -> str:
    """A figure title: the experiment's name and the first clause of its reference (authors, venue, year);
    the full description and settings belong in the caption."""
    if not reference:
        return name
    first = re.split(r"[;(]", reference, maxsplit=1)[0].strip().rstrip(",")
    return f"{name}: {first}" if first else name


def wrapped(text: str, width: int) -> str:
    """``text`` folded into lines of at most ``width`` characters (so it stays on the canvas)."""
    return "\n".join(part for line in text.split("\n") for part in textwrap.wrap(line, width))


def legend_below(fig, handles=None, labels=None, *, title: str | None = None, ncols: int | None = None):
    """One legend for the whole figure, under the axes (never on the data); constrained layout makes room."""
    if handles is None:
        seen: dict = {}
        for ax in fig.axes:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                seen.setdefault(lab, h)
        handles, labels = list(seen.values()), list(seen)
    if not handles:
        return None
    width = fig.get_size_inches()[0]
    longest = max(len(lab.split("\n")[0]) for lab in labels)
    fit = max(1, int(width * 72 / (6.2 * longest + 40)))  # ~6.2 pt per character at 8 pt, plus the handle
    ncols = ncols or min(len(handles), fit)
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=8, title=title,
                      title_fontsize=8, frameon=False)


def save_figure(fig, path_stem, formats=("png", "pdf"), *, caption: str | None = None) -> list[Path]:
    """Save ``fig`` as ``path_stem.png`` and ``.pdf`` (atomically) and close it. ``caption`` (the full
    settings, which the short titles leave out) is stored in the files' metadata (PNG ``Description``,
    PDF ``Subject``)."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        meta = None
        if caption:
            meta = {"png": {"Description": caption}, "pdf": {"Subject": caption}}.get(fmt)
        fig.savefig(buf, format=fmt, dpi=150, metadata=meta)
        path = stem.with_suffix(f".{fmt}")
        atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    plt.close(fig)
    return paths


def _drawn_tick_labels(axis) -> list:
    """The tick labels matplotlib draws: the locator also returns ticks beyond the view limits, which are
    never drawn (their labels would seem to leave the canvas)."""
    lo, hi = sorted(axis.get_view_interval())
    scale = abs(hi - lo) * 1e-9
    labels = []
    for locs, ticks in ((axis.get_majorticklocs(), axis.get_major_ticks), (axis.get_minorticklocs(),
                                                                           axis.get_minor_ticks)):
        for loc, tick in zip(locs, ticks(len(locs))):
            for label in (tick.label1, tick.label2):
                if lo - scale <= loc <= hi + scale and label.get_visible() and label.get_text():
                    labels.append(label)
    return labels


def text_boxes(fig) -> list:
    """``[(what, Bbox)]`` in display pixels for every visible piece of text a reader must be able to read:
    the suptitle, axes titles, axis labels, tick labels, legends and colour-bar labels (after a draw)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []

    def add(what, artist):
        if artist is not None and artist.get_visible() and (not hasattr(artist, "get_text") or artist.get_text()):
            boxes.append((what, artist.get_window_extent(renderer)))

    # matplotlib keeps the figure-level texts in these attributes; there are no public getters
    for what in ("suptitle", "supxlabel", "supylabel"):
        add(what, getattr(fig, f"_{what}", None))
    for leg in fig.legends:
        add("figure legend", leg)
    for n, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        add(f"axes {n} title", ax.title)
        add(f"axes {n} xlabel", ax.xaxis.label)
        add(f"axes {n} ylabel", ax.yaxis.label)
        for t in _drawn_tick_labels(ax.xaxis) + _drawn_tick_labels(ax.yaxis):
            boxes.append((f"axes {n} tick {t.get_text()}", t.get_window_extent(renderer)))
        add(f"axes {n} legend", ax.get_legend())
    return boxes


def _tick(what: str) -> bool:
    return " tick " in what


def layout_problems(fig, tolerance: float = 1.0) -> list[str]:
    """What a referee would flag in ``fig``'s layout: text that leaves the canvas, and pieces of text that
    overlap each other (tick labels of the same axes may touch), and legends drawn over an axes' data area.
    Returns an empty list for a clean figure."""
    boxes = text_boxes(fig)
    width, height = fig.canvas.get_width_height()
    problems = []
    for what, b in boxes:
        if b.x0 < -tolerance or b.y0 < -tolerance or b.x1 > width + tolerance or b.y1 > height + tolerance:
            problems.append(f"{what} leaves the canvas ({b.x0:.0f}, {b.y0:.0f}, {b.x1:.0f}, {b.y1:.0f} "
                            f"on {width}x{height})")
    for i, (wa, a) in enumerate(boxes):
        for wb, b in boxes[i + 1:]:
            if _tick(wa) and _tick(wb) and wa.split(" tick ")[0] == wb.split(" tick ")[0]:
                continue
            overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
            if overlap_w > tolerance and overlap_h > tolerance:
                problems.append(f"{wa} overlaps {wb}")
    renderer = fig.canvas.get_renderer()
    for what, b in boxes:
        if "legend" not in what:
            continue
        for n, ax in enumerate(fig.axes):
            area = ax.get_window_extent(renderer)
            if ax.get_visible() and (min(area.x1, b.x1) - max(area.x0, b.x0) > tolerance
                                     and min(area.y1, b.y1) - max(area.y0, b.y0) > tolerance):
                problems.append(f"{what} lies on the data of axes {n}")
    return problems
