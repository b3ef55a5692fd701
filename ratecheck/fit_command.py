r"""``ratecheck fit FILE``: the rate of a curve someone else logged, with its interval and a verdict.

Reads the curves (:mod:`ratecheck.rates.logs`), fits them with the public estimators

* ``--kind rate`` (default): :math:`c(t) \approx C t^{a}`, :func:`ratecheck.rates.fit_rate`;
* ``--kind linear``: :math:`c(t) \approx C \rho^{t}`, :func:`ratecheck.rates.fit_linear_rate`
  (the JSON ``exponent`` is :math:`\log\rho` per step, ``rho`` beside it);
* ``--kind sample_complexity``: :math:`T(\epsilon) \propto \epsilon^{-p}` over 12 thresholds spaced
  geometrically inside the range of the mean curve, :func:`ratecheck.rates.fit_sample_complexity`;

with the bootstrap over replicates (seed 0, so the same file gives the same interval), compares the
exponent with a row of :mod:`ratecheck.theory` (``--theory ROW``: *agrees* when the predicted value
is inside the interval, *disagrees* when it is not, *inconclusive* when the local slopes had not
settled), and writes a figure: the mean curve with its 10–90% band over replicates, the fitted line over
its window and the theory's slope through the fit's middle. Every input error is found before anything
is written.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from . import theory
from .rates import fit_linear_rate, fit_rate, fit_sample_complexity
from .rates.logs import read_curves

__all__ = ["register", "cmd_fit", "fit_curves", "MIN_REPLICATES", "KINDS"]

#: replicates below which no interval is computed (the estimators' calibrated minimum)
MIN_REPLICATES = 5
KINDS = ("rate", "linear", "sample_complexity")
N_EPS = 12


def register(sub) -> None:
    """Add the ``fit`` subcommand to the CLI's subparsers."""
    p = sub.add_parser("fit", help="fit the rate of your own logged curves (CSV/TSV, JSON lines, NPZ, result dir)")
    p.add_argument("file", help="a CSV/TSV, JSON-lines or NPZ log, or a ratecheck result directory")
    p.add_argument("--x", help="step column (default: one named step, _step, global_step, ...)")
    p.add_argument("--y", help="value column (long format) or the text replicate columns contain (wide)")
    p.add_argument("--replicate", help="replicate column of a long-format log (default: one named seed, run, ...)")
    p.add_argument("--kind", choices=KINDS, default="rate", help="what to fit (default rate: c ~ t^a)")
    p.add_argument("--theory", metavar="ROW", help="a row of 'ratecheck table' to judge the exponent against")
    p.add_argument("--schedule", choices=["anytime", "horizon"], help="the row's step-size schedule (default: "
                                                                        "the first it is stated for)")
    p.add_argument("--window", nargs=2, type=float, metavar=("T_LO", "T_HI"),
                   help="fit only steps in [T_LO, T_HI] (default: the automatic window)")
    p.add_argument("--out", default=".", help="directory of the figure (default: the current one)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=cmd_fit)


def _checked(curves, kind: str, window):
    t, values = curves.t, curves.values
    if window is not None:
        lo, hi = window
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"--window {lo:g} {hi:g}: T_LO must be below T_HI")
        keep = (t >= lo) & (t <= hi)
        if keep.sum() < 3:
            raise ValueError(f"--window {lo:g} {hi:g} holds {int(keep.sum())} step(s); a fit needs at least 3")
        t, values = t[keep], values[keep]
    finite = np.isfinite(values).all(axis=0)
    if int(finite.sum()) < MIN_REPLICATES:
        raise ValueError(f"too few replicates for an interval: {int(finite.sum())} with finite values "
                         f"({values.shape[1]} read); at least {MIN_REPLICATES} are needed (one column or "
                         f"replicate id per run)")
    if kind != "linear" and (t <= 0).any():
        raise ValueError(f"step {t[t <= 0][0]:g} is not positive, so it has no place on a log axis; "
                         f"leave it out with --window T_LO T_HI")
    bad = values[:, finite] <= 0
    if bad.any():
        k = int(np.argmax(bad.any(axis=1)))
        raise ValueError(f"value {values[:, finite][bad][0]:g} at step {t[k]:g} is not positive, so it has no "
                         f"place on a log axis; fit a positive quantity (e.g. loss minus its floor)")
    return t, values


def fit_curves(curves, *, kind: str = "rate", window=None, row: str | None = None, schedule=None) -> dict:
    """Fit ``curves`` (a :class:`ratecheck.rates.logs.Curves`) and judge it against a theory row; returns
    the JSON-able report (``fit`` has ``exponent`` and ``ci``) and the fit object under ``"_fit"``."""
    t, values = _checked(curves, kind, window)
    rows = None if row is None else theory.row(row)
    auto = "auto" if window is None else None
    if kind == "rate":
        f = fit_rate(t, values, window=auto, rng=0, min_replicates=MIN_REPLICATES)
        fit = {"exponent": f.exponent, "ci": list(f.ci), "prefactor": f.prefactor}
    elif kind == "linear":
        f = fit_linear_rate(t, values, window=auto, rng=0, min_replicates=MIN_REPLICATES)
        lo, hi = f.ci
        fit = {"exponent": f.log_rho, "ci": [math.log(lo), math.log(hi)] if lo > 0 else [math.nan, math.nan],
               "rho": f.rho, "rho_ci": list(f.ci)}
    else:
        mean = values.mean(axis=1)
        top, bottom = float(mean.max()), float(mean.min())
        if not top > bottom:
            raise ValueError("the mean curve never decreases; no threshold is crossed")
        eps = np.geomspace(top, bottom, N_EPS + 2)[1:-1]
        f = fit_sample_complexity(t, values, eps, rng=0, min_replicates=MIN_REPLICATES)
        fit = {"exponent": f.exponent, "ci": list(f.ci), "eps": list(f.eps)}
    window_used = list(getattr(f, "window", (float(t[0]), float(t[-1]))))
    why = "given by --window" if window is not None else _why(f, kind)
    fit.update({"window": window_used, "window_reason": why, "n_points": f.n_points,
                "n_replicates": f.n_replicates, "confidence": f.confidence, "message": f.message,
                "asymptotic": getattr(f, "asymptotic", None)})
    report = {"x": curves.x_name, "y": curves.y_name, "layout": curves.layout, "replicates": curves.replicates,
              "columns": list(curves.choices), "kind": kind, "fit": fit, "theory": None, "_fit": f,
              "_data": (t, values)}
    if rows is not None:
        report["theory"] = _verdict(rows, kind, schedule, fit, getattr(f, "asymptotic", True))
    return report


def _why(f, kind: str) -> str:
    """The automatic window in words: transient skipped, floor avoided, local slopes settled or not."""
    if kind == "sample_complexity":
        return (f"thresholds between the mean curve's largest and smallest value; {f.message}"
                if f.message else "thresholds between the mean curve's largest and smallest value")
    parts = [f"automatic: the first {'10' if kind == 'linear' else '20'}% of the "
             f"{'t' if kind == 'linear' else 'log t'} range is skipped as transient"]
    if getattr(f, "plateau", None) is not None:
        parts.append(f"it ends before the floor at {f.plateau:.3g}")
    if len(f.local_slopes) == 2:
        (t1, s1), (t2, s2) = f.local_slopes
        state = {True: "settled", False: "not settled", None: "unchecked"}[f.asymptotic]
        parts.append(f"local slopes {s1:.3g} near t={t1:.3g} and {s2:.3g} near t={t2:.3g} ({state})")
    if f.message and f.message != "ok":
        parts.append(f.message)
    return "; ".join(parts)


def _verdict(rate, kind: str, schedule, fit: dict, asymptotic) -> dict:
    pred = theory.predicted_slope(rate, None, schedule)
    out = {"row": rate.key, "measure": pred.measure, "schedule": pred.schedule, "source": rate.source,
           "prediction": str(pred), "note": pred.note}
    if pred.kind == "linear" or kind == "linear":
        value = None
        if kind == "linear" and pred.kind == "linear" and not pred.contraction.free_symbols:
            value = math.log(float(pred.contraction))
        out["predicted"] = value
        if value is None:
            out["verdict"] = "not comparable"
            out["why"] = ("the row predicts a geometric rate whose factor depends on the problem's constants"
                          if pred.kind == "linear" else "the row predicts a power law; use --kind rate")
            return out
    else:
        slope = float(pred.slope)
        value = slope if kind == "rate" else -1.0 / slope
        out["predicted"] = value
    lo, hi = fit["ci"]
    if not math.isfinite(fit["exponent"]) or asymptotic is False:
        out["verdict"], out["why"] = "inconclusive", "the local slopes had not settled in the window"
    elif lo <= value <= hi:
        out["verdict"], out["why"] = "agrees", f"{value:.4g} is inside the interval"
    else:
        out["verdict"], out["why"] = "disagrees", f"{value:.4g} is outside the interval"
    return out


def _figure(report: dict, path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t, values = report["_data"]
    fit, f = report["fit"], report["_fit"]
    mean = values.mean(axis=1)
    lo, hi = np.quantile(values, [0.1, 0.9], axis=1)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.fill_between(t, lo, hi, alpha=0.25, label="10–90% of replicates")
    ax.plot(t, mean, lw=1.6, label=f"mean of {values.shape[1]} replicates")
    if report["kind"] == "rate" and math.isfinite(fit["exponent"]):
        w = np.geomspace(*fit["window"], 50)
        ax.plot(w, f.curve(w), "k--", lw=1.2, label=f"fit t^{fit['exponent']:.3g} [{fit['ci'][0]:.3g}, "
                                                     f"{fit['ci'][1]:.3g}]")
        th = report["theory"]
        if th and th.get("predicted") is not None:
            mid = math.sqrt(fit["window"][0] * fit["window"][1])
            ax.plot(w, f.curve(mid) * (w / mid) ** th["predicted"], ":", color="C3", lw=1.6,
                    label=f"theory {th['row']}: t^{th['predicted']:.3g} ({th['verdict']})")
    elif report["kind"] == "linear" and math.isfinite(fit["exponent"]):
        w = np.linspace(*fit["window"], 50)
        ax.plot(w, np.exp(f.intercept + f.log_rho * w), "k--", lw=1.2, label=f"fit ρ = {f.rho:.6g}")
    ax.set_xscale("linear" if report["kind"] == "linear" else "log")
    ax.set_yscale("log")
    ax.set_xlabel(report["x"])
    ax.set_ylabel(report["y"])
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def cmd_fit(args) -> int:
    curves = read_curves(args.file, x=args.x, y=args.y, replicate=args.replicate)
    if args.schedule is not None and args.theory is None:
        raise ValueError("--schedule chooses the schedule of a --theory row; give --theory ROW")
    report = fit_curves(curves, kind=args.kind, window=args.window, row=args.theory, schedule=args.schedule)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: not a directory")
    figure = out / f"fit_{Path(args.file).name.replace('.', '_')}.png"
    out.mkdir(parents=True, exist_ok=True)
    _figure(report, figure, f"{Path(args.file).name}: {report['y']} against {report['x']}")
    report["figure"] = str(figure)
    report["file"] = str(args.file)
    public = {k: v for k, v in report.items() if not k.startswith("_")}
    if args.json:
        print(json.dumps(public, default=float))
        return 0
    fit = report["fit"]
    lines = [f"ratecheck fit {args.file}"] + [f"  {c}" for c in report["columns"]]
    what = {"rate": "exponent a of c ~ t^a", "linear": "log rho per step of c ~ rho^t",
            "sample_complexity": "exponent p of T(eps) ~ eps^-p"}[args.kind]
    lines.append(f"{what}: {fit['exponent']:.4g} [{fit['ci'][0]:.4g}, {fit['ci'][1]:.4g}] "
                 f"({fit['confidence']:.0%} interval over {fit['n_replicates']} replicates)")
    if args.kind == "linear":
        lines.append(f"rho = {fit['rho']:.6g} [{fit['rho_ci'][0]:.6g}, {fit['rho_ci'][1]:.6g}]")
    lines.append(f"window: t in [{fit['window'][0]:g}, {fit['window'][1]:g}], {fit['n_points']} points; "
                 f"{fit['window_reason']}")
    th = report["theory"]
    if th is not None:
        lines.append(f"theory {th['prediction']} ({th['source']}): {th['verdict']}: {th['why']}")
    lines.append(f"figure: {figure}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
