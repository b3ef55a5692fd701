"""What the command line shows while it works: progress bars on a terminal, plain lines otherwise.

The library never prints; it tells a callback (:class:`ratecheck.catalog.run.Progress` events). A
:class:`Console` is that callback for ``ratecheck run`` and ``ratecheck reproduce``:

* on a terminal (standard error is a TTY) it draws a ``tqdm`` bar over the runs of an experiment and,
  for a run computed in this process, one over its steps, each with its rate and time left;
* otherwise (a log file, a pipe, CI) it writes plain lines, never a carriage return: one per finished
  run, and for a long run one about every :data:`PLAIN_EVERY` seconds with the steps done, the rate
  and the time left;
* with ``quiet`` it shows nothing (errors and notes about damaged files still go to standard error).

Every finished run says how it ran (engine, processes, threads: from its result's provenance), and a
run loaded from an earlier invocation says "loaded" instead of repeating that run's old timing.
"""
from __future__ import annotations

import sys
import time

try:  # a core dependency (pyproject.toml); an environment without it gets the plain lines
    from tqdm import tqdm
except ImportError:  # pragma: no cover - exercised only where tqdm is missing
    tqdm = None

__all__ = ["Console", "how_it_ran", "PLAIN_EVERY"]

#: seconds between two plain progress lines of one long run (no TTY)
PLAIN_EVERY = 30.0


def how_it_ran(plan: dict | None) -> str:
    """``numba engine, 1 process × 2 threads`` from a plan or a result's provenance."""
    if not plan or not plan.get("engine"):
        return "engine not recorded"
    processes = int(plan.get("processes", plan.get("workers", 1)) or 1)
    threads = int(plan.get("threads", 1) or 1)
    text = f"{plan['engine']} engine, {processes} process{'es' if processes != 1 else ''}"
    return text + (f" × {threads} threads" if threads > 1 else "")


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Console:
    """A progress callback that draws on ``stream`` (default standard error).

    ``bars``: draw tqdm bars (default: when ``stream`` is a terminal and tqdm is installed).
    """

    def __init__(self, *, quiet: bool = False, stream=None, bars: bool | None = None):
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        isatty = getattr(self.stream, "isatty", None)
        self.bars = (tqdm is not None and callable(isatty) and isatty()) if bars is None else bool(bars)
        self._runs = None          # the bar over an experiment's runs
        self._steps = None         # the bar over the steps of the run computed here
        self._run_key = None       # the run the step bar or the plain step lines are about
        self._started = (0.0, 0)   # (time, steps) when that run's first step event came
        self._last_line = 0.0

    # ------------------------------------------------------------------ output
    def line(self, text: str) -> None:
        """One line of text (above the bars on a terminal); nothing when quiet."""
        if self.quiet:
            return
        if self.bars and (self._runs is not None or self._steps is not None):
            tqdm.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        for bar in (self._steps, self._runs):
            if bar is not None:
                bar.close()
        self._steps = self._runs = None

    # ------------------------------------------------------------------ events
    def __call__(self, event) -> None:
        if self.quiet:
            return
        getattr(self, f"_on_{event.kind}", lambda e: None)(event)

    def _on_experiment(self, e) -> None:
        self.close()
        self.line(f"[{e.done}/{e.total}] {e.experiment}")

    def _on_plan(self, e) -> None:
        name = e.experiment or "runs"
        todo = e.total - e.done
        where = "a Dask cluster" if e.processes == 0 else \
            f"{e.processes} process{'es' if e.processes != 1 else ''}"
        if not todo:
            self.line(f"  {name}: all {e.total} run(s) loaded (finished earlier)")
        else:
            loaded = f"{e.done} loaded (finished earlier), " if e.done else ""
            self.line(f"  {name}: {e.total} run(s): {loaded}{todo} to compute on {where}")
        if self.bars and todo:
            self._runs = tqdm(total=e.total, initial=e.done, desc=f"  {name}", unit="run", file=self.stream,
                              dynamic_ncols=True, leave=False)

    def _on_steps(self, e) -> None:
        key = e.cell.key if e.cell is not None else ""
        now = time.monotonic()
        if key != self._run_key:
            self._close_steps()
            self._run_key, self._started, self._last_line = key, (now, e.done), now
            if self.bars:
                self._steps = tqdm(total=e.total, initial=e.done, desc=f"  {e.cell.label if e.cell else ''}",
                                   unit="step", unit_scale=True, file=self.stream, dynamic_ncols=True,
                                   leave=False, postfix=how_it_ran(e.plan))
            return
        if self._steps is not None:
            self._steps.update(e.done - self._steps.n)
            return
        if now - self._last_line >= PLAIN_EVERY and e.done < e.total:
            t0, s0 = self._started
            rate = (e.done - s0) / max(now - t0, 1e-9)
            left = f", about {_duration((e.total - e.done) / rate)} left" if rate > 0 else ""
            self.line(f"  {key}: {e.done}/{e.total} steps ({100 * e.done / e.total:.0f}%), {rate:.3g} steps/s"
                      f"{left}; {how_it_ran(e.plan)}")
            self._last_line = now

    def _close_steps(self) -> None:
        if self._steps is not None:
            self._steps.close()
        self._steps, self._run_key = None, None

    def _on_cell(self, e) -> None:
        prefix = f"  {e.experiment} " if e.experiment else "  "
        res = e.result
        if e.loaded:
            text = f"{prefix}[{e.done}/{e.total}] {e.cell.key}: loaded ({res.message})"
        else:
            if e.cell is not None and e.cell.key == self._run_key:
                self._close_steps()
            text = (f"{prefix}[{e.done}/{e.total}] {e.cell.key}: {res.message} ({res.elapsed:.1f} s; "
                    f"{how_it_ran(res.provenance)})")
        self.line(text)
        if self._runs is not None and not e.loaded:
            self._runs.update(1)
        if e.done >= e.total:
            self.close()
