"""The command line: listing, running, and one-line refusals of bad input with nothing written."""
import json
import re
import subprocess
import sys
import textwrap

import pytest

from ratecheck import optimizers, problems, schedules
from ratecheck import catalog
from ratecheck.catalog import listing
from ratecheck.cli import main
from ratecheck.catalog.sweep import cell_key

GOOD = textwrap.dedent("""
    description = "tiny"
    [run]
    steps = 40
    replicates = 4
    seed = 1
    metric = "gap"
    [quick]
    steps = 20
    [problem]
    family = "quadratic"
    dim = 3
    [problem.noise]
    kind = "gaussian"
    sigma = 0.1
    [[optimizer]]
    name = "adam"
    lr = 0.05
    [[optimizer]]
    name = "adam"
    label = "Adam paper"
    convention = "paper"
    lr = { schedule = "inv_sqrt", lr = 0.1 }
""")


def test_list_names_every_optimizer_and_problem(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in optimizers.names() + problems.names():
        assert f"  {name} " in out
    for name in catalog.experiment_files():
        assert name in out


def _listed_names():
    return (optimizers.names() + problems.names() + list(catalog.problem_instances()) + list(catalog.experiment_files())
            + schedules.names() + schedules.beta_names() + problems.noise_kinds())


def test_list_aligns_its_columns_in_every_section(capsys):
    """Long names (robust_regression_bounded, coordinate_adaptivity_dim) no longer run into their text:
    in every section the text starts in one column, two spaces after the longest name."""
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    headings = [line for line in lines if not line.startswith(" ")]
    assert [h.split(" ")[0] for h in headings] == ["optimizers:", "problem", "problem", "experiments", "step-size",
                                                   "momentum", "noise"]
    col = 2 + max(map(len, _listed_names())) + 2
    rows = [line for line in lines if line.startswith("  ")]
    assert len(rows) == len(_listed_names())          # one line a row when standard output is not a terminal
    for line in rows:
        assert line[2:col].rstrip() in _listed_names() and line[col - 2:col] == "  " and line[col] != " ", line
    families = rows[len(optimizers.names()):][:len(problems.names())]
    text_col = {re.match(r"  \S+ +\[[^]]*\] +", line).end() for line in families}
    assert len(text_col) == 1                            # the category is a column of its own too


def test_schedule_classes_are_looked_up_by_name():
    """What ``list`` reads from the schedules module is its public API."""
    assert schedules.get("inv_sqrt") is schedules.InvSqrt and schedules.get_beta("geometric") is schedules.Geometric
    with pytest.raises(ValueError, match="unknown schedule 'inv_sqr'.*'inv_sqrt'"):
        schedules.get("inv_sqr")
    with pytest.raises(ValueError, match="unknown momentum schedule"):
        schedules.get_beta("inv_sqrt")


def test_listing_refuses_what_it_cannot_show():
    with pytest.raises(ValueError, match="what must be one of all, optimizers"):
        listing.sections("optimisers")
    with pytest.raises(ValueError, match="width must be a positive number"):
        listing.render(listing.sections("noise"), width=0)
    narrow = listing.render(listing.sections("noise"), width=20)     # text keeps >= 40 characters a line
    assert all(len(line) <= 2 + len("rademacher") + 2 + 40 for line in narrow.splitlines()[1:])


def test_list_wraps_to_the_terminal_width(capsys, monkeypatch):
    assert main(["list", "experiments"]) == 0
    flat = capsys.readouterr().out
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["list", "experiments"]) == 0
    wrapped = capsys.readouterr().out
    lines = wrapped.splitlines()
    assert max(map(len, lines)) <= 100 and len(lines) > len(flat.splitlines())
    assert wrapped.split() == flat.split()              # the same words, only the line breaks differ
    col = 2 + max(map(len, catalog.experiment_files())) + 2
    assert all(line[:col].strip() in catalog.experiment_files() or not line[:col].strip() for line in lines[1:])


def test_run_writes_results_and_figure(tmp_path, capsys):
    exp = tmp_path / "tiny.toml"
    exp.write_text(GOOD)
    out = tmp_path / "out"
    assert main(["run", str(exp), "--out", str(out), "--quick"]) == 0
    meta = json.loads((out / "tiny.json").read_text())
    assert meta["run"]["steps"] == 20 and meta["labels"] == ["adam", "Adam paper"]
    for label in ("adam", "Adam paper"):  # one directory per cell
        saved = json.loads((out / cell_key(label, ()) / "result.json").read_text())
        assert saved["steps"] == 20 and saved["seed"]["entropy"] == 1
        assert saved["versions"]["numpy"]
    assert (out / "tiny.png").stat().st_size > 1000 and (out / "tiny.pdf").exists()


@pytest.mark.parametrize("mutation, fragment", [
    (lambda s: s.replace('name = "adam"\nlr = 0.05', 'name = "adamm"\nlr = 0.05'), "unknown optimizer"),
    (lambda s: s.replace("lr = 0.05", "lr = -0.05"), "lr"),
    (lambda s: s.replace("lr = 0.05", "lr = 0.05\n    beta1 = 1.5"), "beta1"),
    (lambda s: s.replace("lr = 0.05", "lr = 0.05\n    betta = 0.5"), "betta"),
    (lambda s: s.replace("steps = 40", "steps = -40"), "steps"),
    (lambda s: s.replace("steps = 40", "stepz = 40"), "stepz"),
    (lambda s: s.replace('family = "quadratic"', 'family = "quadratik"'), "quadratic"),
    (lambda s: s.replace("dim = 3", 'dim = "three"'), "dim"),
    (lambda s: s.replace('kind = "gaussian"', 'kind = "gauss"'), "gaussian"),
    (lambda s: s.replace('metric = "gap"', 'metric = "nope"'), "metric"),
    (lambda s: s + "\n[[[broken", "malformed TOML"),
    (lambda s: "", "problem"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, mutation, fragment):
    exp = tmp_path / "bad.toml"
    exp.write_text(mutation(GOOD))
    out = tmp_path / "out"
    assert main(["run", str(exp), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ratecheck: error:") and err.count("\n") == 1, err
    assert fragment in err
    assert not out.exists()


def test_missing_file_and_unknown_command(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_console_script_help():
    proc = subprocess.run([sys.executable, "-m", "ratecheck", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "reproduce" in proc.stdout


@pytest.mark.parametrize("name", sorted(catalog.experiment_files()))
def test_every_catalogue_experiment_parses(name):
    exp = catalog.load_experiment(name, quick=True)
    assert exp.labels and exp.run["steps"] >= 1


@pytest.mark.parametrize("name", sorted(catalog.problem_instances()))
def test_every_catalogue_problem_builds(name):
    p = catalog.load_problem(name)
    assert p.dim >= 1


SWEEP = GOOD.replace('lr = { schedule = "inv_sqrt", lr = 0.1 }',
                     'lr = { schedule = "horizon_sqrt", lr = 0.1 }') + textwrap.dedent("""
    [sweep]
    "optimizer.beta2" = [0.9, 0.99]
    horizon = [20, 40]
""")


def test_sweep_runs_every_cell_once_and_reuses_finished_cells(tmp_path, capsys):
    exp = tmp_path / "sweep.toml"
    exp.write_text(SWEEP)
    out = tmp_path / "out"
    assert main(["run", str(exp), "--out", str(out)]) == 0
    meta = json.loads((out / "sweep.json").read_text())
    keys = [c["key"] for c in meta["cells"]]
    assert len(keys) == 8 and len(set(keys)) == 8
    key, = [c["key"] for c in meta["cells"] if c["label"] == "Adam paper" and c["values"] == {
        "optimizer.beta2": 0.99, "horizon": 40}]
    assert key.startswith("Adam_paper__beta2=0.99__horizon=40-")
    cell = json.loads((out / key / "result.json").read_text())
    assert cell["steps"] == 40 and cell["optimizer"]["lr"]["horizon"] == 40
    assert cell["optimizer"]["beta2"] == 0.99
    stamp = (out / keys[0] / "result.npz").stat().st_mtime_ns
    assert main(["run", str(exp), "--out", str(out)]) == 0
    assert (out / keys[0] / "result.npz").stat().st_mtime_ns == stamp, "a finished cell is reused"


def test_sweep_axis_must_apply(tmp_path, capsys):
    exp = tmp_path / "bad.toml"
    exp.write_text(SWEEP.replace('"optimizer.beta2"', '"optimizer.momentum"'))
    assert main(["run", str(exp), "--out", str(tmp_path / "o")]) == 2
    assert "does not apply" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ resumable runs (issue 6)
def _killed_run(tmp_path, monkeypatch, text=GOOD):
    """A run stopped right after its first snapshot (in-process: the snapshot writer raises)."""
    import importlib

    from ratecheck.sim import snapshot as snap
    PLAN = importlib.import_module("ratecheck.sim.plan")
    monkeypatch.setattr(PLAN, "FIRST_SEGMENT", 5)
    monkeypatch.setattr(PLAN, "SEGMENT_GROWTH", 1)
    real = snap.save

    class Stop(KeyboardInterrupt):
        pass

    def save(*a, **k):
        real(*a, **k)
        raise Stop
    monkeypatch.setattr(snap, "save", save)
    exp = tmp_path / "tiny.toml"
    exp.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(exp), "--out", str(out), "--snapshot-every", "0", "--workers", "1"]) == 130
    monkeypatch.setattr(snap, "save", real)
    return exp, out


def test_resume_continues_and_never_recomputes_a_finished_result(tmp_path, monkeypatch, capsys):
    exp, out = _killed_run(tmp_path, monkeypatch)
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("ratecheck: interrupted") and "--resume" in err
    adam = out / cell_key("adam", ())
    assert (adam / "snapshot.json").exists() and not (adam / "result.json").exists()
    assert main(["run", str(exp), "--out", str(out), "--resume"]) == 0
    assert f"resuming {cell_key('adam', ())} from step 5" in capsys.readouterr().err
    fresh = tmp_path / "fresh"
    assert main(["run", str(exp), "--out", str(fresh)]) == 0
    from test_bits import digest
    from ratecheck.sim.result import SimulationResult
    for cell in (cell_key("adam", ()), cell_key("Adam paper", ())):
        assert digest(SimulationResult.load(out / cell)) == digest(SimulationResult.load(fresh / cell))
        assert not (out / cell / "snapshot.json").exists()
    stamp = (adam / "result.npz").stat().st_mtime_ns
    assert main(["run", str(exp), "--out", str(out), "--resume"]) == 0
    assert (adam / "result.npz").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("change, fragment", [
    (["--seed", "2"], "seed.entropy: 1 in the snapshot, 2 now"),
    (["--dtype", "float32"], "dtype: 'float64' in the snapshot, 'float32' now"),
])
def test_resume_refuses_a_snapshot_of_another_run_and_writes_nothing(tmp_path, monkeypatch, capsys, change, fragment):
    exp, out = _killed_run(tmp_path, monkeypatch)
    capsys.readouterr()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert main(["run", str(exp), "--out", str(out), "--resume", *change]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ratecheck: error: cannot resume from") and err.count("\n") == 1, err
    assert fragment in err and "without --resume" in err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    # without --resume the run starts over
    assert main(["run", str(exp), "--out", str(out), *change]) == 0


@pytest.mark.parametrize("argv, fragment", [
    (["--seed", "-1"], "--seed: must be an integer >= 0"),
    (["--snapshot-every", "nan"], "--snapshot-every: must be a number of seconds"),
    (["--workers", "0"], "--workers: must be 'auto' or an integer"),
    (["--dtype", "float16"], "--dtype: invalid choice"),
])
def test_bad_run_options_exit_2_with_one_line(tmp_path, capsys, argv, fragment):
    exp = tmp_path / "tiny.toml"
    exp.write_text(GOOD)
    with pytest.raises(SystemExit) as info:
        main(["run", str(exp), "--out", str(tmp_path / "out"), *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    exp = tmp_path / "tiny.toml"
    exp.write_text(GOOD)
    (tmp_path / "f").write_text("x")
    assert main(["run", str(exp), "--out", str(tmp_path / "f" / "sub")]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err
