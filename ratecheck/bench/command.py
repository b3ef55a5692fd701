r"""The ``ratecheck bench`` command: run the workloads through every implementation and print the table.

For each workload, in this order (the table keeps it): ratecheck's timed run; the noise ceiling
with NumPy's methods and, where it applies, ratecheck's compiled Gaussian fill, on one thread and
on all cores; for a row-wise workload that the default block size leaves as one block, ratecheck
and the ceiling again with one block per core; then the JAX and PyTorch loops. A competitor is
one more ``_time_*`` step in :func:`run_benchmark` that adds its :class:`~ratecheck.bench.report.Row`.

Times exclude compilation and start-up (JIT compilation, kernel loading, worker start-up): each
implementation first runs a few steps, then the timed run; ``--repeat N`` keeps the best of N.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Callable

from ..sim import parallel
from ..sim.simulate import log_checkpoints
from . import adapters, jax_loop, torch_loop, workloads
from .report import Report, Row, format_table, machine, targets
from .workloads import FILLS, Workload

__all__ = ["run_benchmark", "cmd_bench", "register", "main", "DESCRIPTION"]

#: the subcommand's description (``ratecheck bench --help``)
DESCRIPTION = "ratecheck bench: ratecheck against JAX and PyTorch loops on the same simulations."


@dataclass
class _Session:
    """The settings one benchmark run shares across its workloads, and where its rows go."""

    report: Report
    say: Callable[[str], None]
    repeat: int
    workers: object
    engine: str
    cores: int

    def add(self, row: Row) -> None:
        """Keep a row and report it at once: an interrupted run keeps what it measured."""
        self.report.rows.append(row)
        if row.seconds:
            self.say(f"    {row.seconds:.3f} s, {row.throughput / 1e6:.1f} M/s  ({row.implementation})")

    def best(self, fn: Callable[[], float]) -> float:
        """The shortest of ``repeat`` timings."""
        return min(fn() for _ in range(max(1, self.repeat)))


def _time_ratecheck(s: _Session, w: Workload, steps: int) -> str:
    """ratecheck's row; returns the engine it ran on."""
    chosen, label = workloads.engine_for(w, s.engine, s.workers)
    s.say(f"  {label}")
    workloads.run_ratecheck(w, min(steps, 50), workers=s.workers, engine=chosen)      # warm: kernels, workers
    t = s.best(lambda: workloads.run_ratecheck(w, steps, workers=s.workers, engine=chosen)[0])
    s.add(Row(w.key, label, t, w.work(steps)))
    return chosen


def _fills(w: Workload) -> list[str]:
    return ["numpy", "ratecheck"] if workloads.compiled_fill_applies(w) else ["numpy"]


def _time_noise(s: _Session, w: Workload, steps: int) -> None:
    """The noise ceiling's rows for the default blocks: one thread, and all cores when there are
    several blocks to share."""
    work = w.work(steps)
    for fill in _fills(w):
        s.say(f"  noise only ({FILLS[fill]})")
        t1 = s.best(lambda: workloads.noise_ceiling(w, steps, 1, fill=fill))
        s.add(Row(w.key, f"noise only ({FILLS[fill]}), 1 thread", t1, work))
        if s.cores > 1 and len(workloads.noise_draws(w, steps)[0][1]) > 1:
            tn = s.best(lambda: workloads.noise_ceiling(w, steps, s.cores, fill=fill))
            s.add(Row(w.key, f"noise only ({FILLS[fill]}), {s.cores} threads", tn, work))


def _time_split(s: _Session, w: Workload, steps: int, chosen: str) -> None:
    """ratecheck and the noise ceiling with one block per core, for a row-wise workload that the
    default block size leaves as one block: one block is one random stream on one core, and a
    user with a wide problem and several cores picks smaller blocks (results are then
    reproducible for that block size)."""
    split = workloads.split_block_size(w, s.cores)
    if not split:
        return
    work = w.work(steps)
    label = f"ratecheck ({chosen} engine, {s.cores} processes, block_size={split})"
    s.say(f"  {label}")
    workloads.run_ratecheck(w, min(steps, 50), workers=s.workers, engine=chosen, block_size=split)
    t = s.best(lambda: workloads.run_ratecheck(w, steps, workers=s.workers, engine=chosen, block_size=split)[0])
    s.add(Row(w.key, label, t, work, block_size=split))
    for fill in _fills(w):
        tn = s.best(lambda: workloads.noise_ceiling(w, steps, s.cores, split, fill=fill))
        s.add(Row(w.key, f"noise only ({FILLS[fill]}), {s.cores} threads, block_size={split}", tn, work,
                  block_size=split))


def _time_jax(s: _Session, w: Workload, steps: int, version: str) -> None:
    s.say(f"  {version}")
    grid = log_checkpoints(steps, w.n_checkpoints)
    t = s.best(lambda: jax_loop.run(w, steps, grid))
    s.add(Row(w.key, f"JAX fori_loop + optax ({version.split(',')[0]})", t, w.work(steps)))


def _time_torch(s: _Session, w: Workload, steps: int, version: str) -> None:
    n = torch_loop.best_threads(w, steps, lambda k: log_checkpoints(k, w.n_checkpoints))
    s.say(f"  {version}, {n} thread(s)")
    grid = log_checkpoints(steps, w.n_checkpoints)
    t = s.best(lambda: torch_loop.run(w, steps, grid, threads=n))
    s.add(Row(w.key, f"PyTorch ({version}, {n} thread{'s' if n > 1 else ''})", t, w.work(steps)))


def _time_adapters(s: _Session, w: Workload, steps: int, jax: bool, torch: bool) -> None:
    """W1 only: the from_torch/from_optax adapters beside the hand-written loops (target: at most
    :data:`~ratecheck.bench.adapters.TARGET` times the loop's time)."""
    rows, _ = adapters.measure(w.key, quick=steps == w.quick_steps, torch=torch, jax=jax, progress=s.say)
    for row in rows:
        s.add(row)


def run_benchmark(keys, *, quick: bool = False, repeat: int = 1, workers="auto", engine: str = "auto",
                  jax: bool = True, torch: bool = True, memory: bool = True, progress=None) -> Report:
    """Measure the workloads ``keys`` (of :data:`~ratecheck.bench.workloads.WORKLOADS`);
    ``progress(message)`` is called as it goes. ``jax``/``torch``: time those loops when installed
    (a note says when one is not); ``memory``: measure W3's peak memory at two horizons."""
    s = _Session(Report(machine=machine()), progress or (lambda m: None), repeat, workers, engine,
                 parallel.cpu_count())
    jax_version = jax_loop.available() if jax else None
    torch_version = torch_loop.available() if torch else None
    if jax and not jax_version:
        s.report.notes.append("JAX/optax not installed: pip install -e '.[bench]' (skipped)")
    if torch and not torch_version:
        s.report.notes.append("PyTorch not installed: pip install -e '.[bench]' with torch==2.13.0, "
                              "the CPU build (skipped)")
    for key in keys:
        w = workloads.WORKLOADS[key]
        steps = w.quick_steps if quick else w.steps
        s.say(f"{key}: {w.title}; {w.replicates} replicates × dim {w.problem.get('dim', 1)} × {steps} steps")
        chosen = _time_ratecheck(s, w, steps)
        _time_noise(s, w, steps)
        _time_split(s, w, steps, chosen)
        if jax_version:
            _time_jax(s, w, steps, jax_version)
        if torch_version:
            _time_torch(s, w, steps, torch_version)
        if key == "W1" and (jax_version or torch_version):
            _time_adapters(s, w, steps, jax=bool(jax_version), torch=bool(torch_version))
    if memory and "W3" in keys:
        chosen = workloads.engine_for(workloads.WORKLOADS["W3"], engine, 1)[0]       # the full-size run's engine
        for steps in ((10**3, 10**4) if quick else (10**4, 10**6)):
            s.say(f"memory: W3 at {steps} steps ({chosen} engine)")
            s.report.memory.append(workloads.peak_memory("W3", steps, chosen) | {"engine": chosen})
    return s.report


def cmd_bench(args) -> int:
    """The ``ratecheck bench`` command: progress on standard error, the table and targets on
    standard output, and (``--json``) the measurements in a file."""
    known = workloads.WORKLOADS
    keys = args.only or list(known)
    for k in keys:
        if k not in known:
            raise ValueError(f"--only: unknown workload {k!r}; known: {', '.join(known)}")
    workers = args.workers if args.workers == "auto" else int(args.workers)
    rep = run_benchmark(keys, quick=args.quick, repeat=args.repeat, workers=workers, engine=args.engine,
                        jax=not args.no_jax, torch=not args.no_torch, memory=not args.no_memory,
                        progress=lambda m: print(m, file=sys.stderr, flush=True))
    m = rep.machine
    print(f"ratecheck bench{' --quick' if args.quick else ''}: {m['cores']} cores, {m['cpu']}, "
          f"Python {m['python']}, NumPy {m['numpy']}, numba {m['numba'] or 'not installed'}; "
          f"best of {args.repeat}; load average at start {m.get('load_average', float('nan')):.2f}")
    print()
    for note in rep.notes:
        print(f"note: {note}")
    print(format_table(rep))
    lines = targets(rep)
    if lines:
        print("\ntargets:")
        for line in lines:
            print(f"- {line}")
    for key in keys:
        w = known[key]
        print(f"\n{key}: {w.title}; {w.replicates} replicates, dim {w.problem.get('dim', 1)}, "
              f"{w.quick_steps if args.quick else w.steps} steps")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": rep.machine, "notes": rep.notes, "memory": rep.memory,
                       "rows": [asdict(r) | {"throughput": r.throughput} for r in rep.rows]}, fh, indent=2)
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``bench`` subcommand to ``subparsers`` (from ``ArgumentParser.add_subparsers``)."""
    p = subparsers.add_parser("bench", help="time ratecheck against JAX and PyTorch loops on standard workloads",
                              description=DESCRIPTION)
    p.add_argument("--only", nargs="+", metavar="W", help=f"workloads to run ({', '.join(workloads.WORKLOADS)})")
    p.add_argument("--quick", action="store_true", help="short versions (a smoke test, not a measurement)")
    p.add_argument("--repeat", type=int, default=1, help="timed runs per implementation; the best is kept")
    p.add_argument("--workers", default="auto", help="ratecheck worker processes (default: auto)")
    p.add_argument("--engine", default="auto", choices=["auto", "reference", "numpy", "numba"],
                   help="ratecheck engine (default: auto)")
    p.add_argument("--no-jax", action="store_true", help="skip the JAX loops")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch loops")
    p.add_argument("--no-memory", action="store_true", help="skip the W3 peak-memory runs")
    p.add_argument("--json", metavar="PATH", help="also write the measurements as JSON")
    p.set_defaults(func=cmd_bench)
    return p


def main(argv=None) -> int:
    """``python -m ratecheck.bench [options]``: the ``ratecheck bench`` command on its own."""
    parser = argparse.ArgumentParser(prog="ratecheck")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)
