"""Issue 14, the hostile cases as regression tests: every stored byte checked, every bad input refused before
anything runs, one writer per output directory, output errors that name the path.

Each test below failed on the code before issue 14 (commit 1b5e073), run against a copy of that tree.
"""
import errno
import importlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers as O
from ratecheck import problems as P
from ratecheck.sim import snapshot as snap
from ratecheck.cli import main
from test_cli import GOOD

S = importlib.import_module("ratecheck.sim.simulate")
PLAN = importlib.import_module("ratecheck.sim.plan")   # engine choice and segments
R = importlib.import_module("ratecheck.sim.result")


class StopAtSnapshot(Exception):
    """Raised right after a run's first snapshot is saved (see :func:`_stop_after_first_snapshot`)."""


def _stop_after_first_snapshot(monkeypatch):
    """Short segments, and a run that stops (StopAtSnapshot) right after saving its first snapshot;
    returns the real ``snapshot.save``, to put back."""
    monkeypatch.setattr(PLAN, "FIRST_SEGMENT", 5)
    monkeypatch.setattr(PLAN, "SEGMENT_GROWTH", 1)
    real = snap.save

    def save(*a, **k):
        real(*a, **k)
        raise StopAtSnapshot
    monkeypatch.setattr(snap, "save", save)
    return real


def _run(tmp_path, text=GOOD, *extra, name="tiny"):
    exp = tmp_path / f"{name}.toml"
    exp.write_text(text)
    return main(["run", str(exp), "--out", str(tmp_path / "out"), "--workers", "1", *extra])


def _cell_dirs(out: Path) -> dict:
    """label -> directory of each finished cell (read from the results, not from the naming scheme)."""
    found = {}
    for meta_path in out.glob("*/result.json"):
        found[json.loads(meta_path.read_text())["label"]] = meta_path.parent
    return found


def _snapshot_files(out: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


# ------------------------------------------------------------------ 1. JSON is checked
def _doctor_constants(path: Path) -> None:
    """The issue's edit: one constant of a stored result changed by hand, checksum left as it was."""
    meta = json.loads(path.read_text())
    meta["constants"]["mu"] = 2 * meta["constants"]["mu"]
    path.write_text(json.dumps(meta, indent=2))


def test_a_changed_result_json_is_recomputed_and_the_run_says_so(tmp_path, capsys):
    assert _run(tmp_path) == 0
    target = _cell_dirs(tmp_path / "out")["adam"] / "result.json"
    good_mu = json.loads(target.read_text())["constants"]["mu"]
    _doctor_constants(target)
    capsys.readouterr()
    assert _run(tmp_path) == 0
    err = capsys.readouterr().err
    assert f"{target} is damaged" in err and "recomputing" in err, err
    assert json.loads(target.read_text())["constants"]["mu"] == good_mu     # the recomputed result


def test_a_changed_result_json_is_refused_on_resume(tmp_path, capsys):
    assert _run(tmp_path) == 0
    target = _cell_dirs(tmp_path / "out")["adam"] / "result.json"
    _doctor_constants(target)
    before = _snapshot_files(tmp_path / "out")
    capsys.readouterr()
    assert _run(tmp_path, GOOD, "--resume") == 2
    err = capsys.readouterr().err
    assert err.startswith("ratecheck: error:") and err.count("\n") == 1, err
    assert str(target) in err and "damaged" in err and "without --resume" in err, err
    assert _snapshot_files(tmp_path / "out") == before, "a refused resume wrote something"


def test_a_changed_generator_state_in_a_snapshot_is_refused(tmp_path, monkeypatch):
    real = _stop_after_first_snapshot(monkeypatch)
    args = (P.make("quadratic", dim=2, noise={"kind": "gaussian", "sigma": 0.3}), O.make("adam", lr=0.05))
    kw = dict(steps=30, replicates=3, seed=1)
    with pytest.raises(StopAtSnapshot):
        rc.simulate(*args, snapshot=tmp_path, snapshot_every=0.0, **kw)
    monkeypatch.setattr(snap, "save", real)
    path = tmp_path / snap.JSON_NAME
    meta = json.loads(path.read_text())
    meta["noise"][0]["state"]["state"] += 1          # the edit: one generator state, plus one
    path.write_text(json.dumps(meta, indent=1))
    with pytest.raises(ValueError, match="damaged") as info:
        rc.simulate(*args, snapshot=tmp_path, resume=True, **kw)
    assert str(path) in str(info.value)


def test_experiment_and_report_json_carry_a_checksum(tmp_path, capsys):
    from ratecheck.sim.result import DamagedError, read_json
    exp = tmp_path / "tiny.toml"
    exp.write_text(GOOD)
    assert main(["verify", str(exp), "--out", str(tmp_path / "v")]) == 0
    for path in (tmp_path / "v" / "tiny.json", tmp_path / "v" / "report.json"):
        doc = read_json(path)
        assert doc and "json_sha256" not in doc
        text = path.read_text()
        path.write_text(text.replace('"replicates": 4', '"replicates": 5', 1))
        assert path.read_text() != text
        with pytest.raises(DamagedError, match="damaged"):
            read_json(path)


# ------------------------------------------------------------------ 2. user-defined problems
class UserQuadratic:
    """A user-defined problem (duck-typed, as the README invites) whose gradient can be made wrong."""

    def __init__(self, dim=5, curvature=1.0, bad=None, bad_from_call=1):
        self.dim, self.curvature, self.bad, self.bad_from_call = dim, curvature, bad, bad_from_call
        self.calls = 0

    def value(self, x):
        v = 0.5 * self.curvature * np.einsum("ij,ij->i", x, x)
        return v[:, None] if self.bad == "value_column" else v

    def _wrong(self, g):
        return {"vector": lambda: g[0], "column": lambda: g[:, :1], "scalar": lambda: 1.0, "none": lambda: None,
                "complex": lambda: g.astype(np.complex128), "list": lambda: g.tolist(),
                "int": lambda: g.astype(np.int64)}[self.bad]()

    def grad(self, x):
        g = self.curvature * x
        self.calls += 1
        return g if self.bad in (None, "value_column") or self.calls < self.bad_from_call else self._wrong(g)

    def stochastic_grad(self, x, rng):
        return self.grad(x) + 0.1 * rng.standard_normal(x.shape)


@pytest.mark.parametrize("replicates", [2, 300])          # one block, two blocks
@pytest.mark.parametrize("bad, error, fragment", [
    ("vector", ValueError, "returned shape (5,)"),
    ("column", ValueError, "returned shape ("),
    ("scalar", TypeError, "returned a float"),
    ("none", TypeError, "returned None"),
    ("complex", TypeError, "dtype complex128"),
    ("list", TypeError, "returned a list"),
    ("int", TypeError, "dtype int64"),
])
def test_wrong_user_gradients_are_refused_naming_method_and_shapes(bad, error, fragment, replicates):
    with pytest.raises(error) as info:
        rc.simulate(UserQuadratic(bad=bad), O.make("sgd", lr=0.1), steps=20, replicates=replicates, seed=0)
    msg = str(info.value)
    assert "UserQuadratic." in msg and "grad" in msg and fragment in msg, msg
    rows = min(replicates, 3)     # checked first at the fingerprint's probe points, before the run
    assert f"for x of shape ({rows}, 5)" in msg and f"shape ({rows}, 5) (one row of 5 per point)" in msg or \
        "dtype" in msg, msg


def test_wrong_returns_are_refused_in_the_run_too():
    """A problem with describe() is not probed: its first return in the run is checked, at the run's shape."""
    class Described(UserQuadratic):
        def describe(self):
            return {"name": "described", "dim": self.dim}
    with pytest.raises(ValueError, match=r"Described\.grad returned shape \(300, 1\) for x of shape \(300, 5\)"):
        rc.simulate(Described(bad="column"), O.make("sgd", lr=0.1), steps=20, replicates=300, seed=0)


def test_a_wrong_user_value_is_refused():
    with pytest.raises(ValueError, match=r"UserQuadratic\.value returned shape \(3, 1\).*shape \(3,\)"):
        rc.simulate(UserQuadratic(bad="value_column"), O.make("sgd", lr=0.1), steps=20, replicates=4, seed=0)


def test_the_check_after_the_first_call_still_catches_a_change():
    """Later calls are checked cheaply (type, shape, dtype), but checked: a gradient that goes wrong at
    the 15th call is refused too."""
    with pytest.raises(ValueError, match="returned shape"):
        rc.simulate(UserQuadratic(bad="column", bad_from_call=15), O.make("sgd", lr=0.1), steps=20,
                    replicates=4, seed=0)


def test_resuming_after_a_user_problem_changed_is_refused(tmp_path, monkeypatch):
    real = _stop_after_first_snapshot(monkeypatch)
    kw = dict(steps=30, replicates=3, seed=1)
    with pytest.raises(StopAtSnapshot):
        rc.simulate(UserQuadratic(curvature=1.0), O.make("sgd", lr=0.1), snapshot=tmp_path, snapshot_every=0.0, **kw)
    monkeypatch.setattr(snap, "save", real)
    with pytest.raises(ValueError, match="the user-defined problem changed"):
        rc.simulate(UserQuadratic(curvature=2.0), O.make("sgd", lr=0.1), snapshot=tmp_path, resume=True, **kw)
    # the same problem resumes, bit-identical to an uninterrupted run
    res = rc.simulate(UserQuadratic(curvature=1.0), O.make("sgd", lr=0.1), snapshot=tmp_path, resume=True, **kw)
    ref = rc.simulate(UserQuadratic(curvature=1.0), O.make("sgd", lr=0.1), **kw)
    np.testing.assert_array_equal(res.x, ref.x)


def test_a_user_problem_with_describe_is_known_by_it(tmp_path):
    class Described(UserQuadratic):
        def describe(self):
            return {"name": "described", "dim": self.dim, "curvature": self.curvature}
    res = rc.simulate(Described(curvature=3.0), O.make("sgd", lr=0.1), steps=5, replicates=2, seed=0)
    assert res.problem == {"name": "described", "dim": 5, "curvature": 3.0}
    plain = rc.simulate(UserQuadratic(curvature=3.0), O.make("sgd", lr=0.1), steps=5, replicates=2, seed=0)
    assert plain.problem["user_defined"] and len(plain.problem["behaviour_sha256"]) == 64


# ------------------------------------------------------------------ 3. cell directories
def _two_labels(a: str, b: str) -> str:
    return GOOD.replace('label = "Adam paper"', f"label = {json.dumps(b)}").replace(
        '[[optimizer]]\nname = "adam"\nlr = 0.05', f'[[optimizer]]\nname = "adam"\nlabel = {json.dumps(a)}\nlr = 0.05')


@pytest.mark.parametrize("a, b", [("a b", "a_b"), ("α", "β"), ("x/y", "x_y")])
def test_labels_that_slug_alike_get_their_own_directories(tmp_path, capsys, a, b):
    text = _two_labels(a, b)
    assert f"label = {json.dumps(a)}" in text and f"label = {json.dumps(b)}" in text
    assert _run(tmp_path, text) == 0
    dirs = _cell_dirs(tmp_path / "out")
    assert set(dirs) == {a, b} and dirs[a] != dirs[b]
    assert all(d.parent == tmp_path / "out" for d in dirs.values())
    stamps = {k: (d / "result.npz").stat().st_mtime_ns for k, d in dirs.items()}
    assert _run(tmp_path, text) == 0 and _run(tmp_path, text, "--resume") == 0
    assert {k: (d / "result.npz").stat().st_mtime_ns for k, d in dirs.items()} == stamps, "a rerun recomputed"


@pytest.mark.parametrize("label, fragment", [
    ("..", "not a name"), (".", "not a name"), ("", "empty"), ("   ", "empty"), ("a\u0000b", "control"),
    ("tab\there", "control"), ("x" * 300, "300 characters"),
], ids=["dotdot", "dot", "empty", "blank", "nul", "tab", "300-chars"])
def test_bad_labels_are_refused_at_load_and_nothing_is_written(tmp_path, capsys, label, fragment):
    text = GOOD.replace('label = "Adam paper"', f"label = {json.dumps(label)}")
    assert _run(tmp_path, text) == 2
    err = capsys.readouterr().err
    assert err.startswith("ratecheck: error:") and err.count("\n") == 1 and fragment in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"], "a refused run wrote something"


def test_cell_keys_are_safe_and_distinct_for_values_that_print_alike():
    from ratecheck.catalog.sweep import cell_key
    keys = {cell_key("adam", (("horizon", 1),)), cell_key("adam", (("horizon", 1.0),)),
            cell_key("a b", ()), cell_key("a_b", ()), cell_key("..", ()), cell_key("/", ())}
    assert len(keys) == 6
    for key in keys:
        assert not key.startswith(".") and "/" not in key and len(key) < 255


# ------------------------------------------------------------------ 4. refused before anything runs
SWEEP = GOOD + "[sweep]\n"


@pytest.mark.parametrize("text, fragment", [
    (SWEEP + "horizon = [10, 1e18]\n", "horizon"),
    (SWEEP + "seed = [-1, 2]\n", "seed"),
    (SWEEP + "seed = [1, 2.5]\n", "seed"),
    (GOOD.replace('label = "Adam paper"', f'label = "{"L" * 300}"'), "300 characters"),
    (GOOD + "x = " + "[" * 2000 + "]" * 2000 + "\n", "nested too deeply"),
    (GOOD.replace("sigma = 0.1", "sigma = 1e308"), "sigma"),
], ids=["horizon-1e18", "seed-negative", "seed-fraction", "label-300-chars", "toml-nested-2000", "sigma-1e308"])
def test_refused_before_the_first_line_of_output(tmp_path, capsys, text, fragment):
    assert _run(tmp_path, text) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert err.startswith("ratecheck: error:") and err.count("\n") == 1 and fragment in err, err
    assert "run(s) into" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"], "a refused run wrote something"


# ------------------------------------------------------------------ 5. one writer per directory
HOLD = textwrap.dedent("""
    import fcntl, os, sys, time
    os.makedirs(sys.argv[1], exist_ok=True)
    fd = os.open(os.path.join(sys.argv[1], ".ratecheck.lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def _holder(out: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out), str(seconds)], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"held\n"
    return proc


def test_a_second_writer_is_refused_naming_the_first(tmp_path, capsys):
    proc = _holder(tmp_path / "out", 60)
    try:
        code = _run(tmp_path)
        err = capsys.readouterr().err
        assert code == 4, err
        assert err.startswith("ratecheck: error:") and err.count("\n") == 1, err
        assert f"process {proc.pid}" in err and "--wait" in err, err
        assert not list((tmp_path / "out").glob("*/result.json")), "the refused run wrote results"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_wait_queues_behind_the_first_writer(tmp_path, capsys):
    proc = _holder(tmp_path / "out", 1.5)
    try:
        began = time.monotonic()
        assert _run(tmp_path, GOOD, "--wait") == 0
        assert time.monotonic() - began > 0.5
        assert "waiting for it to finish" in capsys.readouterr().err
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_a_live_writers_temporaries_are_never_deleted(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        ours = tmp_path / f".result.npz.{live.pid}.abc123.tmp"
        stale = tmp_path / f".result.npz.{dead.pid}.def456.tmp"
        ours.write_bytes(b"being written")
        stale.write_bytes(b"left by a killed run")
        snap.clean_temporaries(tmp_path)
        assert ours.exists(), "a live process's temporary was deleted"
        assert not stale.exists(), "a dead process's temporary was kept"
    finally:
        live.kill()
        live.wait()


# ------------------------------------------------------------------ 6. output errors, space, modes, paths
def test_a_full_disk_is_reported_naming_the_file_with_its_own_exit_code(tmp_path, capsys, monkeypatch):
    real = os.fsync

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    code = _run(tmp_path)
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 3, err
    assert err.startswith(f"ratecheck: error: cannot write {tmp_path / 'out'}") and "No space left on device" in err
    assert not list((tmp_path / "out").rglob("*.tmp")), "a temporary was left behind"


def test_snapshots_give_way_to_results_when_space_runs_out(tmp_path, monkeypatch):
    from ratecheck.catalog import sweep as sweep
    from ratecheck.catalog.experiment import load_experiment
    exp = tmp_path / "tiny.toml"
    exp.write_text(GOOD)
    cell = load_experiment(exp).cells()[0]
    out = tmp_path / "out"
    # a run that left a snapshot (stopped after its first one)
    real_save = _stop_after_first_snapshot(monkeypatch)
    with pytest.raises(StopAtSnapshot):
        sweep.run_cells([cell], out, workers=1, snapshot_every=0.0)
    monkeypatch.setattr(snap, "save", real_save)
    assert snap.exists(out / cell.key)
    # the disk has room for the result only once the snapshot is gone
    real_write = R.atomic_write_bytes

    def write(path, data):
        if Path(path).name.startswith("result") and snap.exists(Path(path).parent):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write(path, data)
    monkeypatch.setattr(R, "atomic_write_bytes", write)
    res, = sweep.run_cells([cell], out, workers=1)
    assert rc.SimulationResult.load(out / cell.key).steps == res.steps
    assert not snap.exists(out / cell.key)


def test_a_snapshot_that_does_not_fit_does_not_stop_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(PLAN, "FIRST_SEGMENT", 5)
    monkeypatch.setattr(PLAN, "SEGMENT_GROWTH", 1)
    real_write = R.atomic_write_bytes

    def write(path, data):
        if Path(path).name.startswith(("snapshot", ".snapshot")):
            raise R.OutputError(errno.ENOSPC, "No space left on device", str(path)) \
                if hasattr(R, "OutputError") else OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write(path, data)
    monkeypatch.setattr(R, "atomic_write_bytes", write)
    monkeypatch.setattr(snap, "atomic_write_bytes", write)
    args = (P.make("quadratic", dim=2, noise={"kind": "gaussian", "sigma": 0.3}), O.make("adam", lr=0.05))
    kw = dict(steps=30, replicates=3, seed=1)
    res = rc.simulate(*args, snapshot=tmp_path, snapshot_every=0.0, **kw)
    np.testing.assert_array_equal(res.x, rc.simulate(*args, **kw).x)
    assert not list(tmp_path.iterdir())


def test_files_honour_the_umask(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        assert _run(tmp_path) == 0
    finally:
        os.umask(old)
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(files) > 5
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in files}
    assert set(modes.values()) == {"0o644"}, modes


def test_a_dangling_symlink_as_out_is_refused_saying_so(tmp_path, capsys):
    (tmp_path / "out").symlink_to(tmp_path / "nowhere")
    assert _run(tmp_path) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and "nowhere" in err and "File exists" not in err, err


@pytest.mark.parametrize("inside", ["experiments/zz.toml", "problems", "experiments/sub/dir"])
def test_out_inside_the_catalogue_is_refused(tmp_path, capsys, monkeypatch, inside):
    for folder in ("experiments", "problems"):
        (tmp_path / folder).mkdir()
    (tmp_path / "experiments" / "tiny.toml").write_text(GOOD)
    monkeypatch.setenv("RATECHECK_CATALOG", str(tmp_path))
    before = sorted(map(str, tmp_path.rglob("*")))
    assert main(["run", "tiny", "--out", str(tmp_path / inside), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "catalogue" in err and err.count("\n") == 1, err
    assert sorted(map(str, tmp_path.rglob("*"))) == before
    assert main(["list", "experiments"]) == 0 and "tiny" in capsys.readouterr().out


def test_results_under_the_former_directory_names_are_adopted_not_recomputed(tmp_path, capsys):
    """Results written before cell directories carried a hash (format 2 layout) are moved, not recomputed."""
    from ratecheck.catalog.sweep import legacy_key
    assert _run(tmp_path, SWEEP + '"optimizer.beta2" = [0.9, 0.99]\n') == 0
    out = tmp_path / "out"
    dirs = [p.parent for p in out.glob("*/result.json")]
    moved = {}
    for meta_path in out.glob("*/result.json"):
        meta = json.loads(meta_path.read_text())
        values = tuple(tuple(v) for v in meta["cell"]["values"])
        old = out / legacy_key(meta["label"], values)
        meta_path.parent.rename(old)
        moved[old.name] = (old / "result.npz").stat().st_mtime_ns
    assert len(moved) == 4 and not any(d.exists() for d in dirs)
    capsys.readouterr()
    assert _run(tmp_path, SWEEP + '"optimizer.beta2" = [0.9, 0.99]\n') == 0
    assert capsys.readouterr().err.count("former directory name") == 4
    assert sorted(d.name for d in dirs) == sorted(p.parent.name for p in out.glob("*/result.json"))
    assert sorted((d / "result.npz").stat().st_mtime_ns for d in dirs) == sorted(moved.values())


def test_an_output_directory_that_cannot_be_made_is_reported_before_the_start_line(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    real = os.mkdir

    def mkdir(path, *args, **kwargs):
        if Path(path) == out:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(os, "mkdir", mkdir)
    code = _run(tmp_path)
    err = capsys.readouterr().err
    assert code == 3, err
    assert err == f"ratecheck: error: cannot write {out}: Permission denied\n", err


def test_two_real_runs_on_one_directory(tmp_path, capsys):
    """The issue's case: two `ratecheck run` processes on the same --out. The second stops at once (exit 4)
    naming the first, which goes on undisturbed (then is stopped with SIGTERM, to keep the test short)."""
    exp = tmp_path / "slow.toml"
    exp.write_text(GOOD.replace("steps = 40", "steps = 100000000"))   # runs for minutes on any engine
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "ratecheck", "run", str(exp), "--out", str(out), "--workers", "1"],
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=Path(rc.__file__).parent.parent)
    try:
        assert b"run(s) into" in first.stderr.readline()
        assert main(["run", str(exp), "--out", str(out), "--workers", "1"]) == 4
        err = capsys.readouterr().err
        assert f"process {first.pid}" in err and err.count("\n") == 1, err
        assert first.poll() is None, "the first run was disturbed"
        first.terminate()
        _, rest = first.communicate(timeout=60)
        assert first.returncode == 143, rest.decode()
    finally:
        first.kill()
        first.wait()
        first.stderr.close()


def test_a_damaged_snapshot_is_refused_by_resume_on_the_command_line(tmp_path, capsys, monkeypatch):
    from test_cli import _killed_run
    exp, out = _killed_run(tmp_path, monkeypatch)
    path, = out.glob(f"*/{snap.JSON_NAME}")
    meta = json.loads(path.read_text())
    meta["noise"][0]["state"]["state"] += 1
    path.write_text(json.dumps(meta, indent=1))
    capsys.readouterr()
    assert main(["run", str(exp), "--out", str(out), "--resume", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ratecheck: error: cannot resume") and err.count("\n") == 1, err
    assert f"{path} is damaged" in err, err
