"""What the command line shows while it works (issue 16): progress, how each run ran, "loaded", --quiet;
how reports print numbers; files readable by others."""
import io
import os
import stat

import numpy as np
import pytest

import ratecheck as rc
from ratecheck import console as C
from ratecheck import optimizers as O
from ratecheck import problems as P
from ratecheck.catalog import sweep as sweep
from ratecheck.catalog.formats import interval, measured_text
from ratecheck.catalog.run import Progress
from ratecheck.cli import main
from ratecheck.sim.result import atomic_write_bytes
from test_cli import GOOD


def _cells():
    problem = {"name": "quadratic", "dim": 3, "noise": {"kind": "gaussian", "sigma": 0.1}}
    return sweep.expand(problem, [{"name": "adam", "lr": 0.05}], ["adam"],
                        {"steps": 300, "replicates": 4, "seed": 0}, {"seed": [0, 1]})


def test_plain_lines_say_how_each_run_ran_and_loaded_runs_say_loaded(tmp_path):
    stream = io.StringIO()
    console = C.Console(stream=stream, bars=False)
    sweep.run_cells(_cells(), tmp_path, workers=1, progress=console)
    first = stream.getvalue()
    assert "\r" not in first
    assert "2 run(s): 2 to compute on 1 process" in first, first
    assert first.count("engine, 1 process") == 2 and "loaded" not in first, first
    stream.truncate(0), stream.seek(0)
    sweep.run_cells(_cells(), tmp_path, workers=1, progress=console)
    again = stream.getvalue()
    assert "all 2 run(s) loaded" in again and again.count(": loaded (") == 2, again
    assert " s;" not in again and "engine" not in again, again    # no old timings shown as if fresh


def test_quiet_console_writes_nothing(tmp_path):
    stream = io.StringIO()
    sweep.run_cells(_cells(), tmp_path, workers=1, progress=C.Console(stream=stream, quiet=True, bars=False))
    assert stream.getvalue() == ""


def test_a_long_run_gets_plain_step_lines_with_rate_and_time_left(monkeypatch):
    stream = io.StringIO()
    console = C.Console(stream=stream, bars=False)
    monkeypatch.setattr(C, "PLAIN_EVERY", 0.0)
    cell = _cells()[0]
    plan = {"engine": "numba", "processes": 1, "threads": 2}
    for done in (0, 100, 200):
        console(Progress("steps", done, 1000, cell=cell, plan=plan))
    text = stream.getvalue()
    assert "200/1000 steps (20%)" in text and "steps/s" in text and "left" in text, text
    assert "numba engine, 1 process × 2 threads" in text and "\r" not in text


class _FakeBar:
    made = []

    def __init__(self, total, initial=0, **kw):
        self.total, self.n, self.kw, self.closed = total, initial, kw, False
        _FakeBar.made.append(self)

    def update(self, k):
        self.n += k

    def close(self):
        self.closed = True

    @staticmethod
    def write(text, file):
        print(text, file=file)


def test_on_a_terminal_bars_count_runs_and_steps(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "tqdm", _FakeBar)
    _FakeBar.made = []
    stream = io.StringIO()
    sweep.run_cells(_cells(), tmp_path, workers=1, progress=C.Console(stream=stream, bars=True))
    runs, steps = _FakeBar.made[0], _FakeBar.made[1:]
    assert runs.kw["unit"] == "run" and runs.n == runs.total == 2 and runs.closed
    assert len(steps) == 2 and all(b.kw["unit"] == "step" and b.n == b.total == 300 and b.closed for b in steps)
    assert "engine" in steps[0].kw["postfix"]


def test_run_quiet_shows_no_progress(tmp_path, capsys):
    exp = tmp_path / "tiny.toml"
    exp.write_text(GOOD)
    assert main(["run", str(exp), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["run", str(exp), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "run(s) into" in err and err.count(": loaded (") == 2, err


def test_simulate_reports_steps_and_records_threads_without_changing_a_bit():
    problem, opt = P.make("quadratic", dim=3, noise={"kind": "gaussian", "sigma": 0.1}), O.make("adam", lr=0.05)
    seen = []
    res = rc.simulate(problem, opt, steps=500, replicates=4, seed=3, progress=lambda *a: seen.append(a))
    ref = rc.simulate(problem, opt, steps=500, replicates=4, seed=3)
    np.testing.assert_array_equal(res.x, ref.x)
    for name in ref.metrics:
        np.testing.assert_array_equal(res.metrics[name], ref.metrics[name])
    assert seen[0][:2] == (0, 500) and seen[-1][:2] == (500, 500)
    assert seen[-1][2] == {"engine": res.provenance["engine"], "processes": 1, "threads": 1}
    assert res.provenance["threads"] == 1 and res.provenance["sessions"][-1]["threads"] == 1


@pytest.mark.parametrize("lo, hi", [(-0.50004, -0.49996), (1.0, 1.0 + 1e-12), (2.5e-5, 2.50001e-5)])
def test_an_interval_prints_equal_ends_only_when_they_are_equal(lo, hi):
    a, b = interval(lo, hi).strip("[]").split(", ")
    assert a != b and float(a) <= lo <= hi <= float(b) or (float(a), float(b)) == (lo, hi)
    assert interval(0.25, 0.25) == "[0.25, 0.25]" and interval(-0.5, -0.4999) == "[-0.5, -0.4999]"


def test_measured_text_uses_the_intervals_digits_and_exact_claims_show_a_relative_error():
    class V:
        def __init__(self, kind, measured, ci):
            self.claim = type("Claim", (), {"kind": kind})()
            self.measured, self.ci = measured, ci
    assert measured_text(V("rate", -0.5, (-0.50004, -0.49996))) == "-0.5 [-0.50004, -0.49996]"
    assert measured_text(V("rate", -0.5012, (-0.5089, -0.5061))) == "-0.5012 [-0.5089, -0.5061]"
    text = measured_text(V("exact", 2.5e-5, (5.41e-13, 5.41e-13)))
    assert text == "2.5e-05 (max relative error 5.41e-13)" and "[" not in text
    assert measured_text(V("outcome", None, None)) == "—"


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_written_files_honour_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        atomic_write_bytes(tmp_path / "f.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.json").stat().st_mode) == mode
