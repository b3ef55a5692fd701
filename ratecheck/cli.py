"""Command line: ``ratecheck list | run | reproduce | table``.

Exit codes (each failure is one line on standard error, starting with ``ratecheck: error:``):

* 0: done (``verify``/``reproduce``: every claim agrees or is inconclusive); 1: a claim disagrees;
* 2: bad input (unknown names, malformed TOML, bad values, an output path that cannot be a directory
  of results, a damaged or foreign file refused by ``--resume``), before anything is written;
* 3: an operating-system error while writing output (disk full, permission denied, ...), naming the path;
* 4: the output directory is being written by another ratecheck process (``--wait`` queues behind it);
* 130 / 143: interrupted by Ctrl-C (SIGINT) / SIGTERM.

Interruptions: Ctrl-C (SIGINT) and SIGTERM stop the run at once (worker processes too) with one
line on standard error and exit code 130 / 143; SIGKILL cannot be caught. In every case the
output directory holds only complete files (results and snapshots are written atomically): the
cells that finished, and a resumable snapshot of each cell that was running, which
``ratecheck run ... --resume`` continues, bit-identical to an uninterrupted run.
"""
from __future__ import annotations

import argparse
import math
import re
import shutil
import signal
import sys
from dataclasses import replace
from pathlib import Path

from . import __version__
from . import catalog
from .catalog import listing as listing
from .catalog import outdir as outdir
from .catalog import sweep as sweep
from .catalog.formats import measured_text
from .catalog.reproduce import run_all, run_experiment
from .console import Console
from . import theory
from .bench import register as register_bench
from .sim import parallel as parallel
from .sim.result import OutputError
from .fit_command import register as register_fit
from .theory import theorems as theorems

_USER_ERRORS = (ValueError, TypeError, OSError)
#: exit codes (documented in the module docstring and the README)
EXIT_BAD_INPUT, EXIT_OUTPUT, EXIT_BUSY = 2, 3, 4


class _Terminated(BaseException):
    """Raised in the main thread by SIGTERM, so that cleanup runs as for Ctrl-C."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"ratecheck: error: {message} (see 'ratecheck --help')\n")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "run"


# ---------------------------------------------------------------------------- list
def cmd_list(args) -> int:
    """``ratecheck list [WHAT]``: the registered names, one line each in aligned columns, wrapped to
    the terminal's width when standard output is a terminal (whole rows on a line otherwise)."""
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    print(listing.render(listing.sections(args.what), width))
    return 0


# ----------------------------------------------------------------------------- run
def _print_verdicts(outcomes) -> int:
    """Print one line per claim; return the number of checks (not observations) that disagree."""
    bad = 0
    for o in outcomes:
        for v in o.verdicts:
            print(f"{v.verdict:12s} {o.experiment.name}: {v.claim.name}: measured {measured_text(v)}, "
                  f"theory {v.predicted_text or v.predicted} — {v.reason}")
            bad += v.verdict == "disagrees"
    return bad


def _output_dir(path: Path) -> Path:
    """Refuse an output path that exists and is not a directory, sits under a file, is a symbolic link
    to nothing, or lies inside the catalogue folders."""
    return outdir.check_path(path)


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _note(message: str) -> None:
    _err(f"  note: {message}")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return value


def _workers(text: str):
    if text == "auto":
        return text
    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if not 1 <= value <= 1024:
        raise argparse.ArgumentTypeError(f"must be 'auto' or an integer from 1 to 1024, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def cmd_run(args) -> int:
    exp = catalog.load_experiment(args.file, quick=args.quick)
    if args.seed is not None:
        exp.run["seed"] = args.seed
    if args.dtype == "float32":
        exp.run["dtype"] = "float32"
    elif args.dtype == "float64":
        exp.run.pop("dtype", None)      # the default: recorded results of float64 runs carry no dtype key
    cells = exp.cells()
    out = _output_dir(Path(args.out) if args.out else Path("out") / exp.name)
    console = Console(quiet=args.quiet)
    err = console.line
    # one writer per directory; the lock file is also the first thing written, so an output directory
    # that cannot be written is reported here, before the start line
    with outdir.lock(out, wait=args.wait, on_wait=_note):
        if args.resume:
            found = sweep.check_resumable(cells, out)  # refuses a foreign or damaged file before anything runs
            for key, t in found.items():
                err(f"  {exp.name}: resuming {key} from step {t}")
        err(f"  {exp.name}: {len(cells)} run(s) into {out}"
            + (" [FLOAT32 arithmetic]" if exp.run.get("dtype") == "float32" else ""))

        # the simulations first (resumable, each saved as it completes), then claims and figures,
        # which load the saved results
        try:
            sweep.run_cells(cells, out, progress=None if args.quiet else (
                                lambda event: console(replace(event, experiment=exp.name))),
                            resume=args.resume, snapshot_every=args.snapshot_every, workers=args.workers,
                            notice=_note)
        finally:
            console.close()
        outcome = run_experiment(exp, out, notice=_note)
    flag = "   [float32]" if exp.run.get("dtype") == "float32" else ""
    for row in outcome.meta["cells"]:
        med = row["final_median"]
        print(f"{row['key']:40s} final median {row['metric']} = "
              f"{'n/a' if med is None else f'{med:.4g}'}   diverged {row['diverged']}/{row['replicates']}{flag}")
    n_div = sum(row["diverged"] for row in outcome.meta["cells"])
    if n_div:
        print(f"note: {n_div} replicate(s) diverged (NaN/inf) across {len(outcome.meta['cells'])} run(s); "
              f"fits and verdicts exclude them and say so")
    if flag:
        print("note: float32 arithmetic ([run] dtype / --dtype): iterates and optimizer state in single precision")
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
    quick = not args.full
    mode = "quick" if quick else "full"
    experiments = _experiments(args.files, quick)
    out = _output_dir(Path(args.out) if args.out else Path("out") / f"verify-{mode}")
    console = Console(quiet=args.quiet)
    with outdir.lock(out, wait=args.wait, on_wait=_note):
        try:
            outcomes, report = run_all(experiments, out, data=out / "data", mode=mode,
                                       progress=None if args.quiet else console, notice=_note)
        finally:
            console.close()
    bad = _print_verdicts(outcomes)
    print(f"wrote {report}")
    return 1 if bad else 0


def cmd_reproduce(args) -> int:
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
    _output_dir(out)
    _output_dir(data)
    console = Console(quiet=args.quiet)
    with outdir.lock(out, wait=args.wait, on_wait=_note), outdir.lock(data, wait=args.wait, on_wait=_note):
        try:
            outcomes, report = run_all(experiments, out, data=data, mode=mode,
                                       progress=None if args.quiet else console, notice=_note)
        finally:
            console.close()
    bad = _print_verdicts(outcomes)
    print(f"wrote {report}")
    return 1 if bad else 0


def cmd_table(args) -> int:
    print(theory.render(args.format))
    print(theorems.render(args.format))
    return 0


# ---------------------------------------------------------------------------- main
WAIT_HELP = ("if another ratecheck process is writing into the output directory, wait for it to finish "
             "(default: stop with exit code 4)")


QUIET_HELP = ("show no progress (by default: bars with rate and time left on a terminal, plain lines "
              "otherwise; each run says which engine, processes and threads it used)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ratecheck", description="Check optimization theory against simulation.")
    parser.add_argument("--version", action="version", version=f"ratecheck {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    p = sub.add_parser("list", help="list optimizers, problems, experiments, schedules, noise kinds")
    p.add_argument("what", nargs="?", default="all",
                   choices=listing.WHAT)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="run one experiment file and write results and a figure")
    p.add_argument("file", help="experiment TOML file (or the name of one in experiments/)")
    p.add_argument("--out", help="output directory (default out/NAME)")
    p.add_argument("--quick", action="store_true", help="apply the file's [quick] overrides")
    p.add_argument("--seed", type=_seed, help="override [run].seed")
    p.add_argument("--dtype", choices=["float64", "float32"],
                   help="override [run].dtype (default float64; float32 is flagged in the output)")
    p.add_argument("--resume", action="store_true",
                   help="continue unfinished runs from their snapshots in --out (refused if they belong to "
                        "another configuration or version); finished runs are never recomputed")
    p.add_argument("--workers", type=_workers, default=None, metavar="N",
                   help="processes that run the cells (default: one per core; results do not depend on it)")
    p.add_argument("--snapshot-every", type=_seconds, default=None, metavar="SECONDS",
                   help="minimum wall time between two resumable snapshots of a run (default 60)")
    p.add_argument("--wait", action="store_true", help=WAIT_HELP)
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("reproduce", help="rerun every experiment in experiments/ and write a report")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small versions (the default)")
    mode.add_argument("--full", action="store_true", help="full-size versions")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these experiments")
    p.add_argument("--out", help="report/figure directory (default out/quick; --full: figures/, data in results/full)")
    p.add_argument("--wait", action="store_true", help=WAIT_HELP)
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("verify", help="run the claims of some experiments and write a verdict report")
    p.add_argument("files", nargs="*", metavar="FILE", help="experiment names or TOML files (default: all)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small versions (the default)")
    mode.add_argument("--full", action="store_true", help="full-size versions")
    p.add_argument("--out", help="output directory (default out/verify-quick or out/verify-full)")
    p.add_argument("--wait", action="store_true", help=WAIT_HELP)
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.set_defaults(func=cmd_verify)

    register_bench(sub)

    register_fit(sub)

    p = sub.add_parser("table", help="print the theory table of optimal rates")
    p.add_argument("--format", choices=["markdown", "latex"], default="markdown")
    p.set_defaults(func=cmd_table)
    return parser


def _on_sigterm(signum, frame):
    raise _Terminated


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    if isinstance(err, OSError) and not isinstance(err, (FileNotFoundError, OutputError)) \
            and err.filename is not None:
        text = f"cannot write or read {err.filename}: {err.strerror or text}"
    return text or type(err).__name__


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # pragma: no cover - not the main thread (main() called from a thread)
        pass
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `ratecheck list | head`
        sys.stderr.close()
        return 0
    except OutputError as err:
        print("ratecheck: error: " + _one_line(err), file=sys.stderr)
        return EXIT_OUTPUT
    except outdir.BusyError as err:
        print("ratecheck: error: " + _one_line(err), file=sys.stderr)
        return EXIT_BUSY
    except RecursionError:
        print("ratecheck: error: input nested too deeply (tables or arrays inside each other); simplify it",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except _USER_ERRORS as err:
        print("ratecheck: error: " + _one_line(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, _Terminated) as err:
        parallel.shutdown(kill=True)
        what = "terminated (SIGTERM)" if isinstance(err, _Terminated) else "interrupted"
        print(f"ratecheck: {what}; finished results are complete on disk and unfinished runs keep their last "
              f"snapshot: rerun with --resume to continue", file=sys.stderr)
        return 143 if isinstance(err, _Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
