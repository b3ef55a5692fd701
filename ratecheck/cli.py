"""Command line: ``ratecheck list | run | reproduce | table``.

Bad input (unknown names, malformed TOML, bad values) ends with one line on
standard error and exit code 2, before anything is written.
"""
from __future__ import annotations

import argparse
import re
import sys
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
def _print_verdicts(outcomes) -> int:
    """Print one line per claim; return the number that disagree."""
    bad = 0
    for o in outcomes:
        for v in o.verdicts:
            ci = f" [{v.ci[0]:.4g}, {v.ci[1]:.4g}]" if v.ci else ""
            meas = "—" if v.measured is None else f"{v.measured:.4g}"
            print(f"{v.verdict:12s} {o.experiment.name}: {v.claim.name}: measured {meas}{ci}, "
                  f"theory {v.predicted_text or v.predicted} — {v.reason}")
            bad += v.verdict == "disagrees"
    return bad


def cmd_run(args) -> int:
    from .reproduce import run_experiment
    exp = catalog.load_experiment(args.file, quick=args.quick)
    if args.seed is not None:
        exp.run["seed"] = args.seed
    out = Path(args.out) if args.out else Path("out") / exp.name
    outcome = run_experiment(exp, out, progress=lambda m: print(m, file=sys.stderr))
    for row in outcome.meta["cells"]:
        med = row["final_median"]
        print(f"{row['key']:40s} final median {row['metric']} = "
              f"{'n/a' if med is None else f'{med:.4g}'}   diverged {row['diverged']}/{row['replicates']}")
    _print_verdicts([outcome])
    print(f"wrote {out}")
    return 0


def _experiments(names, quick):
    files = catalog.experiment_files()
    resolved = []
    for n in names or list(files):
        if n in files:
            resolved.append(files[n])
        elif Path(n).suffix == ".toml":
            resolved.append(Path(n))
        else:
            raise ValueError(f"unknown experiment {n!r}; known: {', '.join(files)} (or give a .toml path)")
    return [catalog.load_experiment(p, quick=quick) for p in resolved]  # validate all before running


def cmd_verify(args) -> int:
    from .reproduce import run_all
    quick = not args.full
    mode = "quick" if quick else "full"
    experiments = _experiments(args.files, quick)
    out = Path(args.out) if args.out else Path("out") / f"verify-{mode}"
    outcomes, report = run_all(experiments, out, data=out / "data", mode=mode,
                               progress=lambda m: print(m, file=sys.stderr))
    bad = _print_verdicts(outcomes)
    print(f"wrote {report}")
    return 1 if bad else 0


def cmd_reproduce(args) -> int:
    from .reproduce import run_all
    quick = not args.full
    mode = "quick" if quick else "full"
    experiments = _experiments(args.only, quick)
    if args.out:
        out = Path(args.out)
        data = out / "data"
    elif quick:
        out, data = Path("out") / "quick", Path("out") / "quick" / "data"
    else:
        out, data = Path("figures"), Path("results") / "full"
    outcomes, report = run_all(experiments, out, data=data, mode=mode,
                               progress=lambda m: print(m, file=sys.stderr))
    bad = _print_verdicts(outcomes)
    print(f"wrote {report}")
    return 1 if bad else 0


def cmd_table(args) -> int:
    from . import theory
    print(theory.render(args.format))
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
    p.add_argument("--out", help="report/figure directory (default out/quick; --full: figures/, data in results/full)")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("verify", help="run the claims of some experiments and write a verdict report")
    p.add_argument("files", nargs="*", metavar="FILE", help="experiment names or TOML files (default: all)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small versions (the default)")
    mode.add_argument("--full", action="store_true", help="full-size versions")
    p.add_argument("--out", help="output directory (default out/verify-quick or out/verify-full)")
    p.set_defaults(func=cmd_verify)

    from .bench import register as _register_bench
    _register_bench(sub)

    p = sub.add_parser("table", help="print the theory table of optimal rates")
    p.add_argument("--format", choices=["markdown", "latex"], default="markdown")
    p.set_defaults(func=cmd_table)
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
