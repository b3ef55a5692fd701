"""Run experiments, evaluate their claims, render figures and write the report.

Stages are separate (benchmark style): the simulations write results per cell;
fits, verdicts and figures read those stored results and never rerun a simulation.

The experiment JSON (``OUT/NAME.json``) and ``report.json`` carry the SHA-256 of their own canonical
content (:func:`ratecheck.result.json_bytes`); read them with :func:`ratecheck.result.read_json`,
which refuses a damaged one naming it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from . import problems as _problems
from .catalog import Experiment
from .claims import Verdict, evaluate
from .result import atomic_write_bytes, json_bytes, make_directory

__all__ = ["Outcome", "run_experiment", "write_report"]


@dataclass
class Outcome:
    experiment: Experiment
    meta: dict
    verdicts: list
    figures: list


def _panel_name(cell) -> str:
    return ", ".join(f"{a.split('.')[-1]}={v:g}" if isinstance(v, float) else f"{a.split('.')[-1]}={v}"
                     for a, v in cell.values)


def run_experiment(exp: Experiment, out: Path, *, data: Path | None = None, progress=None,
                   figures: bool = True, notice=None) -> Outcome:
    """Simulate every cell of ``exp`` (saved under ``data``, default ``out``), evaluate its claims,
    and write ``experiment.json`` plus figures into ``out``. ``notice(message)`` is told about a
    stored result found damaged (and recomputed)."""
    from .figures import LINEAR_METRICS, plot_claim, plot_panels, plot_stationarity, save_figure
    from .sweep import run_cells

    out = Path(out)
    data = Path(data) if data is not None else out
    cells = exp.cells()

    def report(i, n, cell, res):
        if progress:
            progress(f"  {exp.name} [{i}/{n}] {cell.key}: {res.message} ({res.elapsed:.1f} s)")

    results = run_cells(cells, data, progress=report, notice=notice)
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
        title = f"{exp.description or exp.name}" + (f"\n{exp.reference}" if exp.reference else "")
        spec = exp.figure
        if spec.get("kind") == "phase":
            from .figures import plot_phase
            fig = plot_phase(cells, results, x=spec["x"], y=spec["y"], metric=spec.get("metric", metric),
                             threshold=spec["threshold"], below=spec.get("below", True), suptitle=title)
        elif spec.get("kind") == "advantage":
            from .figures import plot_advantage
            fig, table = plot_advantage(cells, results, x=spec["x"], tune=spec["tune"], reference=spec["reference"],
                                        metric=spec.get("metric", metric), suptitle=title)
            meta["advantage"] = {label: {str(k): v for k, v in entry.items()} for label, entry in table.items()}
        elif not exp.sweep:
            fig = plot_stationarity(results, exp.labels, metric=metric, title=title,
                                    logy=metric not in LINEAR_METRICS)
        else:
            panels: dict = {}
            for cell, res in zip(cells, results):
                entry = panels.setdefault(_panel_name(cell), ([], []))
                entry[0].append(res)
                entry[1].append(cell.label)
            fig = plot_panels(panels, metric=metric, suptitle=title)
        written += save_figure(fig, out / exp.name)
        by_key = dict(zip((c.key for c in cells), results))
        for i, v in enumerate(verdicts, 1):
            fig = plot_claim(v, [by_key[k] for k in v.cells])
            if fig is not None:
                written += save_figure(fig, out / f"{exp.name}_claim{i}")
    meta["figures"] = [p.name for p in written]
    make_directory(out)
    atomic_write_bytes(out / f"{exp.name}.json", json_bytes(meta, default=str))
    return Outcome(exp, meta, verdicts, written)


def _fmt(x) -> str:
    if x is None:
        return "—"
    return f"{x:.4g}"


def verdict_row(exp_name: str, v: Verdict) -> str:
    ci = f" [{_fmt(v.ci[0])}, {_fmt(v.ci[1])}]" if v.ci else ""
    mark = {"agrees": "✅ agrees", "disagrees": "❌ disagrees", "inconclusive": "⚠️ inconclusive"}[v.verdict]
    return (f"| {exp_name} | {v.claim.name} | {v.claim.kind} | {v.predicted_text or _fmt(v.predicted)} | "
            f"{_fmt(v.measured)}{ci} | {mark} | {v.reason} |")


def write_report(outcomes: list, out: Path, *, mode: str, elapsed: float) -> Path:
    """``report.md`` (claims table, then one section per experiment with its figures) and ``report.json``."""
    out = Path(out)
    n = {k: sum(v.verdict == k for o in outcomes for v in o.verdicts) for k in ("agrees", "disagrees", "inconclusive")}
    lines = [f"# ratecheck report ({mode})", "",
             f"ratecheck {__version__}; {len(outcomes)} experiment(s), {sum(n.values())} claim(s): "
             f"{n['agrees']} agree, {n['disagrees']} disagree, {n['inconclusive']} inconclusive; "
             f"{elapsed:.0f} s for this invocation (runs already saved under the data directory are loaded, "
             f"not rerun).", "",
             "| experiment | claim | kind | theory | measured [95% CI] | verdict | reason |",
             "|---|---|---|---|---|---|---|"]
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
            lines.append(f"- **{v.claim.name}** — {v.verdict}: {v.reason}"
                         + (f" ({v.claim.note})" if v.claim.note else ""))
        lines.append("")
    atomic_write_bytes(out / "report.md", "\n".join(lines).encode())
    payload = {"mode": mode, "version": __version__, "elapsed": elapsed, "counts": n,
               "experiments": [o.meta for o in outcomes]}
    atomic_write_bytes(out / "report.json", json_bytes(payload, default=str))
    return out / "report.md"


def run_all(experiments: list, out: Path, *, data: Path, mode: str, progress=None,
            notice=None) -> tuple[list, Path]:
    start = time.perf_counter()
    outcomes = []
    for i, exp in enumerate(experiments, 1):
        if progress:
            progress(f"[{i}/{len(experiments)}] {exp.name}")
        outcomes.append(run_experiment(exp, out, data=Path(data) / exp.name, progress=progress, notice=notice))
    path = write_report(outcomes, out, mode=mode, elapsed=time.perf_counter() - start)
    return outcomes, path
