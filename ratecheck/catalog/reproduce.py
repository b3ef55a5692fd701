"""Run experiments, evaluate their claims, render figures and write the report.

Stages are separate (benchmark style): the simulations write results per cell;
fits, verdicts and figures read those stored results and never rerun a simulation.

The experiment JSON (``OUT/NAME.json``) and ``report.json`` carry the SHA-256 of their own canonical
content (:func:`ratecheck.sim.result.json_bytes`); read them with :func:`ratecheck.sim.result.read_json`,
which refuses a damaged one naming it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .. import __version__
from .. import problems as _problems
from .experiment import Experiment
from .formats import measured_text, number
from .run import Progress, run_cells
from ..claims import Claim, Verdict, evaluate
from ..claims.holm import LEVEL, holm
from ..report import (LINEAR_METRICS, exponent_points, panel_titles, plot_advantage, plot_claim,
                      plot_exponent_sweep, plot_hitting_ratio, plot_panels, plot_phase, plot_stationarity,
                      save_figure, short_title)
from ..sim.result import atomic_write_bytes, json_bytes, make_directory

__all__ = ["Outcome", "run_experiment", "write_report"]


@dataclass
class Outcome:
    experiment: Experiment
    meta: dict
    verdicts: list
    figures: list


def run_experiment(exp: Experiment, out: Path, *, data: Path | None = None, progress=None,
                   figures: bool = True, notice=None) -> Outcome:
    """Simulate every cell of ``exp`` (saved under ``data``, default ``out``), evaluate its claims,
    and write ``experiment.json`` plus figures into ``out``. ``progress(event)`` is told what the cells
    do (:class:`~ratecheck.catalog.run.Progress`, with ``experiment`` set); ``notice(message)`` about a
    stored result found damaged (and recomputed)."""
    out = Path(out)
    data = Path(data) if data is not None else out
    cells = exp.cells()

    def report(event: Progress) -> None:
        progress(replace(event, experiment=exp.name))

    results = run_cells(cells, data, progress=report if progress else None, notice=notice)
    problems_by_key = {c.key: _problems.from_config(dict(c.problem_config)) for c in cells}
    verdicts = [evaluate(claim, cells, results, problems_by_key) for claim in exp.claims]

    metric = exp.run["metric"]
    meta = {"experiment": exp.name, "description": exp.description, "summary": exp.summary,
            "reference": exp.reference, "run": exp.run, "sweep": exp.sweep,
            "problem_config": exp.problem_config, "labels": exp.labels,
            "source": str(exp.path) if exp.path else None, "cells": [],
            "claims": [v.as_dict() for v in verdicts]}
    for cell, res in zip(cells, results):
        vals = res.metrics[metric][-1]
        ok = vals[np.isfinite(vals)]
        meta["cells"].append({"key": cell.key, "label": cell.label, "values": dict(cell.values),
                              "metric": metric, "final_median": float(np.median(ok)) if ok.size else None,
                              "diverged": res.n_diverged, "replicates": res.replicates,
                              "steps": res.steps, "elapsed": res.elapsed,
                              "dtype": getattr(res, "dtype", "float64")})
    written = []
    if figures:
        make_directory(out)
        # short title on the figure; the full settings are its caption (JSON and the files' metadata)
        title = short_title(exp.name, exp.reference)
        meta["caption"] = caption = " ".join(
            part for part in (exp.description and exp.description.rstrip(".") + ".",
                              exp.reference and f"Source: {exp.reference}.",
                              f"Run: {exp.run}.", exp.sweep and f"Sweep: {exp.sweep}.") if part)
        spec = exp.figure
        swept = [axis for axis in exp.sweep if "," not in axis]
        parameter = next((a for a in swept if a != "horizon"), None) if "horizon" in swept and len(swept) == 2 \
            else None
        if spec.get("kind") == "phase":
            fig = plot_phase(cells, results, x=spec["x"], y=spec["y"], metric=spec.get("metric", metric),
                             threshold=spec["threshold"], below=spec.get("below", True), suptitle=title)
        elif spec.get("kind") == "advantage":
            fig, table = plot_advantage(cells, results, x=spec["x"], tune=spec["tune"], reference=spec["reference"],
                                        metric=spec.get("metric", metric), suptitle=title)
            meta["advantage"] = {label: {str(k): v for k, v in entry.items()} for label, entry in table.items()}
        elif spec.get("kind") == "hitting_ratio":
            by_x = {}
            for value in sorted({c.value(spec["x"]) for c in cells}):
                cell = next(c for c in cells if c.value(spec["x"]) == value)
                claim = Claim(name=f"{spec['x']} = {value}", kind="hitting_ratio", optimizer=spec["reference"],
                              against=spec["against"], metric=spec.get("metric", "avg_certificate_l1"),
                              lam=float(cell.value(spec["lam"])), threshold_axis=spec["threshold"],
                              select={spec["x"]: value}, above=0.0)
                by_x[value] = (evaluate(claim, cells, results), float(cell.value(spec["ratio"])))
            fig = plot_hitting_ratio(by_x, x=spec["x"], reference=spec["reference"], against=spec["against"],
                                     suptitle=title)
            meta["hitting_ratio"] = {str(k): {"measured": v.measured, "ci": list(v.ci) if v.ci else None,
                                              "bound_ratio": b, "reason": v.reason} for k, (v, b) in by_x.items()}
        elif parameter and len({value for pts in exponent_points(verdicts, parameter).values()
                                for value, _ in pts}) >= 3:  # one fitted exponent per value: plot those
            fig = plot_exponent_sweep(verdicts, cells, results, x=parameter, metric=metric, suptitle=title)
        elif not exp.sweep:
            fig = plot_stationarity(results, exp.labels, metric=metric, title=title,
                                    logy=metric not in LINEAR_METRICS)
        else:
            panels: dict = {}
            leading = {key.split(",")[0].strip() for key in exp.sweep}
            for cell, res, name in zip(cells, results, panel_titles([c.values for c in cells], leading)):
                entry = panels.setdefault(name, ([], []))
                entry[0].append(res)
                entry[1].append(cell.label)
            fig = plot_panels(panels, metric=metric, suptitle=title)
        written += save_figure(fig, out / exp.name, caption=caption)
        by_key = dict(zip((c.key for c in cells), results))
        for i, v in enumerate(verdicts, 1):
            fig = plot_claim(v, [by_key[k] for k in v.cells])
            if fig is not None:
                written += save_figure(fig, out / f"{exp.name}_claim{i}",
                                       caption=f"{v.claim.name}. {v.claim.source()}")
    meta["figures"] = [p.name for p in written]
    make_directory(out)
    atomic_write_bytes(out / f"{exp.name}.json", json_bytes(meta, default=str))
    return Outcome(exp, meta, verdicts, written)


_MARKS = {"agrees": "✅ agrees", "disagrees": "❌ disagrees", "inconclusive": "⚠️ inconclusive",
          "observation": "👁 observation"}


def _theorem_cell(v: Verdict) -> str:
    thm = v.theorem()
    return "— (no theorem named)" if thm is None else f"{thm.source}, {thm.number} ({thm.verified})"


def verdict_row(exp_name: str, v: Verdict) -> str:
    mark = _MARKS[v.verdict]
    if v.verdict == "observation":  # outside the theorem's hypotheses: not a check of it
        mark += f" (measured: {v.measured_verdict})"
    holm = "" if v.holm_verdict in (None, v.verdict) else f"; Holm: {v.holm_verdict}"
    p = "" if v.p_value is None else f" p = {v.p_value:.3g}"
    return (f"| {exp_name} | {v.claim.name} | {_theorem_cell(v)} | {v.claim.kind} | "
            f"{v.predicted_text or number(v.predicted)} | {measured_text(v)} | {mark}{holm} |{p} |")


def _claim_block(v: Verdict) -> list:
    """A claim as a referee reads it: the theorem, how its reading was verified, the hypotheses with ✓/✗,
    the measurement beside the prediction, the verdict and its Holm-adjusted form."""
    thm = v.theorem()
    lines = [f"- **{v.claim.name}** — {_MARKS[v.verdict]}"
             + (f" (the measurement alone: {v.measured_verdict})" if v.verdict == "observation" else "")
             + (f"; after Holm over the report: {v.holm_verdict}" if v.holm_verdict not in (None, v.verdict) else "")]
    if thm is not None:
        lines.append(f"  - Theorem: {thm.source}, {thm.number}: {thm.statement} (reading verified: {thm.verified})")
        for h in v.hypotheses:
            lines.append(f"  - {'✓' if h.holds else '✗'} {h.name}: {h.why}")
    else:
        lines.append("  - Theorem: none named (the claim's reading of its source is not checked)")
    p = "" if v.p_value is None else f", p = {v.p_value:.3g}"
    lines.append(f"  - Measured {measured_text(v)} against {v.predicted_text or number(v.predicted)}{p}: {v.reason}")
    if v.claim.note:
        lines.append(f"  - Note: {v.claim.note}")
    return lines


def apply_holm(outcomes: list) -> None:
    """Holm-adjust the p-values of every check (not observations) of a report at :data:`ratecheck.claims.holm.LEVEL`;
    a "disagrees" whose adjusted p-value is above it becomes "inconclusive" in ``holm_verdict``."""
    flat = [(i, j) for i, o in enumerate(outcomes) for j, _ in enumerate(o.verdicts)]
    ps = [outcomes[i].verdicts[j].p_value if outcomes[i].verdicts[j].verdict != "observation" else None
          for i, j in flat]
    adjusted = holm([np.nan if p is None else p for p in ps])
    for (i, j), adj in zip(flat, adjusted):
        v = outcomes[i].verdicts[j]
        hv = v.verdict
        if v.verdict == "disagrees" and not adj <= LEVEL:
            hv = f"inconclusive (the disagreement does not survive Holm: adjusted p = {adj:.3g})"
        v = replace(v, holm_verdict=hv)
        outcomes[i].verdicts[j] = v
        entry = outcomes[i].meta["claims"][j]
        entry.update(holm_verdict=hv, holm_p_value=None if np.isnan(adj) else float(adj))


def write_report(outcomes: list, out: Path, *, mode: str, elapsed: float) -> Path:
    """``report.md`` (claims table, then one section per experiment with its figures) and ``report.json``."""
    out = Path(out)
    apply_holm(outcomes)
    n = {k: sum(v.verdict == k for o in outcomes for v in o.verdicts)
         for k in ("agrees", "disagrees", "inconclusive", "observation")}
    n_holm = sum(v.verdict == "disagrees" and v.holm_verdict == "disagrees" for o in outcomes for v in o.verdicts)
    checked = n["agrees"] + n["disagrees"] + n["inconclusive"]
    lines = [f"# ratecheck report ({mode})", "",
             f"ratecheck {__version__}; {len(outcomes)} experiment(s), {checked} claim(s) checked inside their "
             f"theorems' hypotheses: {n['agrees']} agree, {n['disagrees']} disagree ({n_holm} after Holm's "
             f"adjustment at family-wise level 5%), {n['inconclusive']} inconclusive; {n['observation']} "
             f"observation(s) outside a theorem's hypotheses (not counted); "
             f"{elapsed:.0f} s for this invocation (runs already saved under the data directory are loaded, "
             f"not rerun).", "",
             "| experiment | claim | theorem (reading verified) | kind | prediction | measured [95% CI] | verdict | "
             "p |",
             "|---|---|---|---|---|---|---|---|"]
    for o in outcomes:
        lines += [verdict_row(o.experiment.name, v) for v in o.verdicts]
    lines.append("")
    for o in outcomes:
        exp = o.experiment
        runs = {(c["steps"], c["replicates"]) for c in o.meta["cells"]}
        size = ", ".join(f"{s} steps × {r} replicates" for s, r in sorted(runs))
        f32 = " [FLOAT32 arithmetic]" if any(c.get("dtype") == "float32" for c in o.meta["cells"]) else ""
        lines += [f"## {exp.name}", "", exp.description, "", f"Source: {exp.reference}" if exp.reference else "",
                  f"Size ({mode}): {size}; {len(o.meta['cells'])} run(s).{f32}", ""]
        n_div = sum(c["diverged"] for c in o.meta["cells"])
        if n_div:
            k = sum(1 for c in o.meta["cells"] if c["diverged"])
            lines += [f"Diverged: {n_div} replicate(s) in {k} run(s) (excluded from fits).", ""]
        if exp.summary:
            lines += [f"Claim in words: {exp.summary}", ""]
        for p in o.figures:
            if p.suffix == ".png":
                lines += [f"![{p.stem}]({p.name})", ""]
        for v in o.verdicts:
            lines += _claim_block(v)
        lines.append("")
    atomic_write_bytes(out / "report.md", "\n".join(lines).encode())
    payload = {"mode": mode, "version": __version__, "elapsed": elapsed,
               "counts": {**n, "disagrees_after_holm": n_holm},
               "experiments": [o.meta for o in outcomes]}
    atomic_write_bytes(out / "report.json", json_bytes(payload, default=str))
    return out / "report.md"


def run_all(experiments: list, out: Path, *, data: Path, mode: str, progress=None,
            notice=None) -> tuple[list, Path]:
    """Run every experiment (its cells under ``data/NAME``), then write the report into ``out``.

    ``progress(event)`` gets a :class:`~ratecheck.catalog.run.Progress` of kind ``"experiment"`` as each
    experiment starts (``done`` of ``total``), then its cells' events."""
    start = time.perf_counter()
    outcomes = []
    for i, exp in enumerate(experiments, 1):
        if progress:
            progress(Progress("experiment", i, len(experiments), experiment=exp.name))
        outcomes.append(run_experiment(exp, out, data=Path(data) / exp.name, progress=progress, notice=notice))
    path = write_report(outcomes, out, mode=mode, elapsed=time.perf_counter() - start)
    return outcomes, path
