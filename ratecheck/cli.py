"""Command line: ``ratecheck list | run | reproduce | table``.

Bad input (unknown names, malformed TOML, bad values) ends with one line on
standard error and exit code 2, before anything is written.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from . import __version__, catalog
from . import optimizers as _optimizers
from . import problems as _problems
from . import schedules as _schedules

_USER_ERRORS = (ValueError, TypeError, FileNotFoundError)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"ratecheck: error: {message} (see 'ratecheck --help')\n")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "run"


def _plain(text: str) -> str:
    """Strip reST markup (``code``, :math:`x`) for terminal output."""
    text = re.sub(r":math:`([^`]*)`", r"\1", text)
    for tex, uni in ((r"\alpha", "α"), (r"\beta", "β"), (r"\mu", "μ"), (r"\sqrt", "√"), (r"\,", ""),
                     (r"\epsilon", "ε"), (r"\lambda", "λ")):
        text = text.replace(tex, uni)
    return text.replace("``", "").replace("\\", "\\")


def _first_line(doc: str | None) -> str:
    return _plain((doc or "").strip().splitlines()[0]) if doc else ""


# ---------------------------------------------------------------------------- list
def cmd_list(args) -> int:
    what = args.what
    lines: list[str] = []
    if what in ("all", "optimizers"):
        lines.append("optimizers:")
        lines += [f"  {n:22s} {_plain(_optimizers.describe(n))}" for n in _optimizers.names()]
    if what in ("all", "problems"):
        lines.append("problem families:")
        lines += [f"  {n:22s} [{_problems.get(n).category}] {_plain(_problems.describe(n))}" for n in _problems.names()]
        instances = catalog.problem_instances()
        if instances:
            lines.append("problem instances (problems/*.toml):")
            for n, path in instances.items():
                data = catalog.load_toml(path)
                lines.append(f"  {n:22s} {data.get('description', '')} (family {data.get('family', '?')})")
    if what in ("all", "experiments"):
        lines.append("experiments (experiments/*.toml):")
        for n, path in catalog.experiment_files().items():
            data = catalog.load_toml(path)
            ref = f" [{data['reference']}]" if data.get("reference") else ""
            lines.append(f"  {n:22s} {data.get('description', '')}{ref}")
    if what in ("all", "schedules"):
        lines.append("step-size schedules (lr = {schedule = NAME, lr = ..., ...}):")
        lines += [f"  {n:22s} {_first_line(_schedules._REGISTRY[n].__doc__)}" for n in _schedules.names()]
    if what in ("all", "noise"):
        from .problems.noise import _KINDS
        lines.append("noise kinds (noise = {kind = NAME, sigma = ...}):")
        lines += [f"  {n:22s} {_first_line(_KINDS[n].__doc__)}" for n in _problems.noise_kinds()]
    print("\n".join(lines))
    return 0


# ----------------------------------------------------------------------------- run
def run_experiment(exp: catalog.Experiment, out: Path, *, progress=None) -> dict:
    """Run every cell of ``exp`` (each saved as it completes), then write the figure and summary."""
    import numpy as np

    from .figures import LINEAR_METRICS, plot_panels, plot_stationarity, save_figure
    from .result import atomic_write_bytes
    from .sweep import run_cells

    cells = exp.cells()

    def report(i, n, cell, res):
        if progress:
            progress(f"  {exp.name} [{i}/{n}] {cell.key}: {res.message} ({res.elapsed:.1f} s)")

    results = run_cells(cells, out, progress=report)
    metric = exp.run["metric"]
    meta = {"experiment": exp.name, "description": exp.description, "claim": exp.claim,
            "reference": exp.reference, "run": exp.run, "sweep": exp.sweep,
            "problem_config": exp.problem_config, "labels": exp.labels,
            "source": str(exp.path) if exp.path else None, "cells": []}
    for cell, res in zip(cells, results):
        vals = res.metrics[metric][-1]
        ok = vals[np.isfinite(vals)]
        meta["cells"].append({"key": cell.key, "label": cell.label, "values": dict(cell.values),
                              "metric": metric, "final_median": float(np.median(ok)) if ok.size else None,
                              "diverged": res.n_diverged, "replicates": res.replicates,
                              "steps": res.steps, "elapsed": res.elapsed})
    title = f"{exp.description or exp.name}" + (f"\n{exp.reference}" if exp.reference else "")
    logy = metric not in LINEAR_METRICS
    if not exp.sweep:
        fig = plot_stationarity(results, exp.labels, metric=metric, title=title, logy=logy)
    else:
        panels: dict = {}
        for cell, res in zip(cells, results):
            name = ", ".join(f"{a.split('.')[-1]}={v:g}" if isinstance(v, float) else f"{a.split('.')[-1]}={v}"
                             for a, v in cell.values)
            panels.setdefault(name, ([], []))
            panels[name][0].append(res)
            panels[name][1].append(cell.label)
        fig = plot_panels(panels, metric=metric, suptitle=title)
    meta["figures"] = [p.name for p in save_figure(fig, out / "figure")]
    atomic_write_bytes(out / "experiment.json", (json.dumps(meta, indent=2) + "\n").encode())
    return meta


def cmd_run(args) -> int:
    exp = catalog.load_experiment(args.file, quick=args.quick)
    if args.seed is not None:
        exp.run["seed"] = args.seed
    out = Path(args.out) if args.out else Path("out") / exp.name
    meta = run_experiment(exp, out, progress=lambda m: print(m, file=sys.stderr))
    for row in meta["cells"]:
        med = row["final_median"]
        print(f"{row['key']:40s} final median {row['metric']} = "
              f"{'n/a' if med is None else f'{med:.4g}'}   diverged {row['diverged']}/{row['replicates']}")
    print(f"wrote {out}")
    return 0


# ----------------------------------------------------------------------- reproduce
def cmd_reproduce(args) -> int:
    files = catalog.experiment_files()
    names = args.only or list(files)
    for n in names:
        if n not in files:
            raise ValueError(f"--only: unknown experiment {n!r}; known: {', '.join(files)}")
    quick = not args.full
    mode = "quick" if quick else "full"
    experiments = [catalog.load_experiment(files[n], quick=quick) for n in names]  # validate all first
    out = Path(args.out) if args.out else Path("out") / mode
    rows = []
    start = time.perf_counter()
    for i, exp in enumerate(experiments, 1):
        print(f"[{i}/{len(experiments)}] {exp.name}", file=sys.stderr)
        meta = run_experiment(exp, out / exp.name, progress=lambda m: print(m, file=sys.stderr))
        rows.append((exp, meta))
    lines = [f"# ratecheck reproduce ({mode})", "",
             f"ratecheck {__version__}; {len(rows)} experiment(s) in {time.perf_counter() - start:.0f} s.", "",
             "| experiment | optimizer | steps × replicates | final median of metric | diverged |",
             "|---|---|---|---|---|"]
    for exp, meta in rows:
        for row in meta["cells"]:
            med = row["final_median"]
            lines.append(f"| {exp.name} | {row['key']} | {row['steps']} × {row['replicates']} | "
                         f"{row['metric']} = {'n/a' if med is None else f'{med:.3g}'} | "
                         f"{row['diverged']}/{row['replicates']} |")
    lines.append("")
    for exp, meta in rows:
        lines += [f"## {exp.name}", "", exp.description, ""]
        if exp.claim:
            lines += [f"Claim: {exp.claim}", ""]
        lines += [f"![{exp.name}]({exp.name}/figure.png)", ""]
    from .result import atomic_write_bytes
    atomic_write_bytes(out / "report.md", "\n".join(lines).encode())
    print(f"wrote {out / 'report.md'}")
    return 0


# ---------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ratecheck", description="Check optimization theory against simulation.")
    parser.add_argument("--version", action="version", version=f"ratecheck {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    p = sub.add_parser("list", help="list optimizers, problems, experiments, schedules, noise kinds")
    p.add_argument("what", nargs="?", default="all",
                   choices=["all", "optimizers", "problems", "experiments", "schedules", "noise"])
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="run one experiment file and write results and a figure")
    p.add_argument("file", help="experiment TOML file (or the name of one in experiments/)")
    p.add_argument("--out", help="output directory (default out/NAME)")
    p.add_argument("--quick", action="store_true", help="apply the file's [quick] overrides")
    p.add_argument("--seed", type=int, help="override [run].seed")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("reproduce", help="rerun every experiment in experiments/ and write a report")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small versions (the default)")
    mode.add_argument("--full", action="store_true", help="full-size versions")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these experiments")
    p.add_argument("--out", help="output directory (default out/quick or out/full)")
    p.set_defaults(func=cmd_reproduce)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except _USER_ERRORS as err:
        print("ratecheck: error: " + " ".join(str(err).split()), file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `ratecheck list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("ratecheck: interrupted; results already written are complete, nothing partial was kept",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
