"""A real `ratecheck run` subprocess killed at random (seeded) moments, with SIGKILL (and Ctrl-C, SIGTERM):
each time the output directory holds nothing, complete results equal to the uninterrupted run's, and
snapshots whose metrics are a prefix of it (no partial file loads); `--resume` then ends bit-identical.

``RATECHECK_KILLS=N`` sets the number of SIGKILLs (default 20).
"""
from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from ratecheck.sim import snapshot as snapshot
from ratecheck.cli import main
from ratecheck.sim.result import SimulationResult
from ratecheck.catalog.sweep import cell_key
from test_bits import digest

EXPERIMENT = textwrap.dedent("""
    description = "kill test"
    [run]
    steps = 4000
    replicates = 48
    seed = 3
    metric = "gap"
    n_checkpoints = 25
    [problem]
    family = "quadratic"
    dim = 4
    kappa = 10.0
    [problem.noise]
    kind = "gaussian"
    sigma = 0.2
    [[optimizer]]
    name = "adam"
    lr = 0.01
    [[optimizer]]
    name = "sgdm_random_scaling"
    lr = 0.02
    beta = 0.9
""")
CELLS = tuple(cell_key(label, ()) for label in ("adam", "sgdm_random_scaling"))   # their directories
MARKER = b"run(s) into"
EVERY = "0.02"   # snapshot after nearly every segment, so kills find snapshots at many steps
N_KILLS = int(os.environ.get("RATECHECK_KILLS", "20"))


def _command(exp: Path, out: Path, *extra) -> list:
    return [sys.executable, "-m", "ratecheck", "run", str(exp), "--out", str(out), "--snapshot-every", EVERY,
            *extra]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _wait_group_gone(pgid: int, timeout: float = 20.0) -> None:
    """Every process of the run (main, fork server, workers) has exited: none is left writing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    os.killpg(pgid, signal.SIGKILL)
    pytest.fail("processes of the killed run were still alive after 20 s")


# A child inherits an ignored SIGINT (POSIX: a job started in the background of a non-interactive
# shell runs with SIGINT ignored, and so does everything it starts, this test's run included). The run
# rightly keeps an ignored SIGINT ignored, so the test execs it through a shim that puts SIGINT back
# to its default first, as a terminal's foreground job has it.
_SIGINT_DEFAULT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                   "os.execv(sys.executable, [sys.executable] + sys.argv[1:])")


def _start(cmd) -> subprocess.Popen:
    assert cmd[0] == sys.executable
    return subprocess.Popen([sys.executable, "-c", _SIGINT_DEFAULT, *cmd[1:]], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=_env(), start_new_session=True,
                            cwd=Path(__file__).resolve().parent.parent)


def _wait_marker(proc: subprocess.Popen, timeout: float = 60.0) -> bytes:
    """Read stderr until the line announcing the simulations (or the process ends)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while MARKER not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.05)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run, as a subprocess (timed), and its results."""
    root = tmp_path_factory.mktemp("kill")
    exp = root / "kill.toml"
    exp.write_text(EXPERIMENT)
    out = root / "reference"
    began = time.monotonic()
    proc = _start(_command(exp, out, "--workers", "1"))
    seen = _wait_marker(proc)
    marker = time.monotonic() - began
    while seen.count(b"\n  kill [") < len(CELLS):       # the progress line of each finished cell
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
    sim = time.monotonic() - began - marker
    _, err = proc.communicate(timeout=300)
    total = time.monotonic() - began
    assert proc.returncode == 0, (seen + err).decode()
    cells = {c: SimulationResult.load(out / c) for c in CELLS}
    meta = json.loads((out / "kill.json").read_text())
    return {"exp": exp, "root": root, "cells": cells, "digests": {c: digest(r) for c, r in cells.items()},
            "meta": meta, "marker": marker, "sim": sim, "total": total}


def _claims(meta: dict) -> list:
    return [{k: v for k, v in c.items() if k != "elapsed"} for c in meta["claims"]]


def check_directory(out: Path, ref: dict) -> dict:
    """What a kill left: complete results equal to the reference, snapshots that are a prefix of it."""
    found = {"results": 0, "snapshots": 0, "temporaries": 0}
    if not out.exists():
        return found
    for path in out.iterdir():
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            found["temporaries"] += 1
            continue
        if path.is_file():    # the experiment's summary and figures, written last and atomically
            assert path.name in ("kill.json", "kill.png", "kill.pdf", ".ratecheck.lock"), path
            if path.name == ".ratecheck.lock":
                continue
            data = path.read_bytes()
            if path.suffix == ".json":
                assert _claims(json.loads(data)) == _claims(ref["meta"])
            elif path.suffix == ".png":
                assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
            else:
                assert data.startswith(b"%PDF") and b"%%EOF" in data[-64:]
            continue
        assert path.name in CELLS, path
        for inner in path.iterdir():
            assert inner.name in ("result.json", "result.npz", snapshot.JSON_NAME) or (
                inner.name.startswith(snapshot.NPZ_PREFIX) and inner.suffix == ".npz") or (
                inner.name.startswith(".") and inner.name.endswith(".tmp")), inner
            found["temporaries"] += inner.name.endswith(".tmp")
        try:
            res = SimulationResult.load(path)
        except (FileNotFoundError, ValueError):
            res = None          # nothing complete: it must not load
        if res is not None:
            assert digest(res) == ref["digests"][path.name], f"{path.name}: a loadable result differs"
            found["results"] += 1
        elif snapshot.exists(path):
            part = snapshot.load_partial(path)
            full = ref["cells"][path.name]
            k = part.checkpoints.size
            np.testing.assert_array_equal(part.checkpoints, full.checkpoints[:k])
            for name, values in part.metrics.items():
                np.testing.assert_array_equal(values, full.metrics[name][:k])
            found["snapshots"] += 1
    return found


def resume_and_compare(out: Path, ref: dict, capsys) -> None:
    code = main(["run", str(ref["exp"]), "--out", str(out), "--resume", "--snapshot-every", EVERY])
    err = capsys.readouterr().err
    assert code == 0, err
    for c in CELLS:
        assert digest(SimulationResult.load(out / c)) == ref["digests"][c], c
        assert not snapshot.exists(out / c), "the snapshot is removed once the result is saved"
    assert _claims(json.loads((out / "kill.json").read_text())) == _claims(ref["meta"])
    assert not [p for p in out.rglob(".*.tmp")], "stale temporaries are cleaned when a cell restarts"
    assert not [p for p in out.rglob(f"{snapshot.NPZ_PREFIX}*")], "no snapshot arrays are left behind"


def test_sigkill_at_random_moments_then_resume(reference, capsys):
    """Kill i runs the cells one after another in the main process (``--workers 1``), except every 4th,
    which runs them in worker processes; every 5th kill falls anywhere in the process's life (start-up
    included), the others while it simulates or writes. The next kill's process starts while the previous
    one is checked and resumed (its start-up is mostly imports)."""
    ref = reference
    rng = random.Random(20261124)
    tally = {"nothing": 0, "snapshots only": 0, "some results": 0, "all results": 0}
    began = time.monotonic()

    def start(i):
        extra = () if i % 4 == 3 else ("--workers", "1")
        return _start(_command(ref["exp"], ref["root"] / f"kill{i}", *extra)), time.monotonic()

    nxt = start(0)
    for i in range(N_KILLS):
        (proc, started), out = nxt, ref["root"] / f"kill{i}"
        if i % 5 == 0:
            time.sleep(max(0.0, started + rng.uniform(0, ref["total"]) - time.monotonic()))
        else:
            _wait_marker(proc)
            time.sleep(rng.uniform(0, ref["sim"]))
        proc.send_signal(signal.SIGKILL)      # the main process only, as `kill -9 PID` does
        proc.wait(timeout=30)
        proc.stderr.close()
        _wait_group_gone(proc.pid)
        nxt = start(i + 1) if i + 1 < N_KILLS else None
        found = check_directory(out, ref)
        key = ("all results" if found["results"] == len(CELLS) else "some results" if found["results"]
               else "snapshots only" if found["snapshots"] else "nothing")
        tally[key] += 1
        resume_and_compare(out, ref, capsys)
    print(f"\n{N_KILLS} SIGKILLs in {time.monotonic() - began:.1f} s: {tally}")
    assert sum(tally.values()) == N_KILLS
    assert tally["snapshots only"] + tally["some results"] > 0, tally


@pytest.mark.parametrize("sig, code, words, parent_ignores", [
    (signal.SIGINT, 130, "interrupted", False),
    (signal.SIGINT, 130, "interrupted", True),    # the suite itself started in the background of a script
    (signal.SIGTERM, 143, "terminated (SIGTERM)", False)])
def test_ctrl_c_and_sigterm_stop_cleanly_then_resume(reference, capsys, sig, code, words, parent_ignores):
    ref = reference
    out = ref["root"] / f"signal{int(sig)}{'-ignored' if parent_ignores else ''}"
    before = signal.signal(signal.SIGINT, signal.SIG_IGN) if parent_ignores else None
    try:
        ours = signal.getsignal(sig)
        proc = _start(_command(ref["exp"], out))      # the cells in worker processes
    finally:
        if parent_ignores:
            signal.signal(signal.SIGINT, before)
    _wait_marker(proc)
    # mid-simulation: once a cell has written its first snapshot (a fraction of the reference's
    # time is no good: on a fresh clone it includes compiling the kernels, which later runs load)
    deadline = time.monotonic() + 60
    while not any(out.rglob("snapshot.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)        # a terminal's Ctrl-C reaches the whole process group
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    _wait_group_gone(proc.pid)
    assert proc.returncode == code, f"{err.decode()}\n(this process's handler of {sig!r}: {ours!r})"
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith(f"ratecheck: {words}") and "--resume" in last, err.decode()
    assert "Traceback" not in err.decode()
    check_directory(out, ref)   # (a worker stopped mid-write may leave a temporary: never read, cleaned on resume)
    resume_and_compare(out, ref, capsys)
