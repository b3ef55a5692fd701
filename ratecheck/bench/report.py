r"""The benchmark's measurements and how they are shown: rows, the report, the targets, the machine.

A :class:`Row` is one timed run of one implementation on one workload; its throughput is
replicate·coordinate·steps per second (:meth:`Workload.work` / seconds). :func:`format_table`
writes the rows as a Markdown table with each time divided by ratecheck's on the same workload;
:func:`targets` checks the performance issue's targets: ratecheck ≥ 2× faster than JAX and ≥ 3×
faster than PyTorch on every workload, W1 within 2× of the noise-generation ceiling for the same
blocks, and W3's peak memory at 10⁶ steps ≤ 1.10 × that at 10⁴ (constant in the horizon).
"""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..sim import parallel

__all__ = ["Row", "Report", "machine", "targets", "format_table"]


@dataclass
class Row:
    """One timed run: ``seconds`` (the best of ``--repeat``) of ``implementation`` on ``workload``,
    which does ``work`` replicate·coordinate·steps."""

    workload: str
    implementation: str
    seconds: float | None
    work: int
    note: str = ""
    #: a block size other than the default (a ratecheck run, or the noise ceiling drawn for the same blocks)
    block_size: int | None = None

    @property
    def throughput(self) -> float | None:
        """work / seconds, or ``None`` for a row without a time."""
        return None if not self.seconds else self.work / self.seconds


@dataclass
class Report:
    """What one benchmark run measured: its rows, W3's peak memory at two horizons (dicts from
    :func:`ratecheck.bench.workloads.peak_memory`), notes (e.g. a competitor not installed) and the
    machine."""

    rows: list = field(default_factory=list)
    memory: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    machine: dict = field(default_factory=dict)


def machine() -> dict:
    """The machine the benchmark runs on."""
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover - not Linux
        pass
    info = {"cpu": cpu, "cores": parallel.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "ratecheck": __version__}
    try:
        import numba
        info["numba"] = numba.__version__
    except ImportError:
        info["numba"] = None
    try:
        info["load_average"] = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        pass
    return info


#: the bring-your-own-optimizer adapters may take at most this many times the hand-written loop
ADAPTER_TARGET = 1.5


def targets(rep: Report) -> list[str]:
    """The issue's targets, each with its measured value (met or not)."""
    out = []
    by = {}
    for r in rep.rows:
        by.setdefault(r.workload, []).append(r)
    for key, rows in by.items():
        for rc_row in (r for r in rows if r.implementation.startswith("ratecheck (")):
            which = f" (block_size={rc_row.block_size})" if rc_row.block_size else ""
            for prefix, need in (("JAX", 2.0), ("PyTorch", 3.0)):
                other = next((r for r in rows if r.implementation.startswith(prefix)), None)
                if other is not None:
                    ratio = other.seconds / rc_row.seconds
                    out.append(f"{key}: ratecheck{which} {ratio:.2f}× faster than {prefix} (target ≥ {need:g}×): "
                               f"{'met' if ratio >= need else 'NOT met'}")
            if key == "W1":
                # the ceiling for the same blocks: all cores drawing the same streams
                noise = [r for r in rows if r.implementation.startswith("noise only")
                         and r.block_size == rc_row.block_size]
                best = min(noise, key=lambda r: r.seconds)
                ratio = rc_row.seconds / best.seconds
                out.append(f"W1: ratecheck{which} takes {ratio:.2f}× the noise-generation ceiling "
                           f"({best.implementation}; target ≤ 2×): {'met' if ratio <= 2 else 'NOT met'}")
        # the adapters' rows come in pairs: ratecheck with the adapter, then the hand-written loop
        for a, b in zip(rows, rows[1:]):
            if a.implementation.startswith("ratecheck + ") and b.implementation.startswith("hand-written"):
                ratio = a.seconds / b.seconds
                out.append(f"{key}: {a.implementation} takes {ratio:.2f}× the {b.implementation} (target ≤ "
                           f"{ADAPTER_TARGET:g}×): {'met' if ratio <= ADAPTER_TARGET else 'NOT met'}")
    if len(rep.memory) == 2:
        a, b = rep.memory
        ratio = b["traced_peak_mib"] / a["traced_peak_mib"]
        rss = b["rss_peak_mib"] / a["rss_peak_mib"]
        out.append(f"W3 peak memory at {b['steps']:,} steps / at {a['steps']:,} steps: {ratio:.2f} (traced), "
                   f"{rss:.2f} (resident) (target ≤ 1.10): {'met' if max(ratio, rss) <= 1.1 else 'NOT met'}")
    return out


def format_table(rep: Report) -> str:
    """The report as a Markdown table."""
    lines = ["| workload | implementation | time [s] | throughput [M/s] | time / ratecheck |",
             "|---|---|---:|---:|---:|"]
    base = {}
    for r in rep.rows:
        if r.implementation.startswith("ratecheck"):
            base[r.workload] = r.seconds
    last = None
    for r in rep.rows:
        name = r.workload if r.workload != last else ""
        last = r.workload
        ratio = "" if not r.seconds or not base.get(r.workload) else f"{r.seconds / base[r.workload]:.2f}"
        lines.append(f"| {name} | {r.implementation} | {r.seconds:.2f} | {r.throughput / 1e6:.1f} | {ratio} |")
    out = "\n".join(lines)
    if rep.memory:
        out += "\n\n| W3 steps | peak traced allocations [MiB] | peak resident set [MiB] |\n|---:|---:|---:|\n"
        out += "\n".join(f"| {m['steps']:,} | {m['traced_peak_mib']:.1f} | {m['rss_peak_mib']:.0f} |"
                         for m in rep.memory)
    return out
