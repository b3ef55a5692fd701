"""`ratecheck bench` runs end to end (tiny workloads; speed claims live in its output, not in tests)."""
import argparse
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ratecheck.catalog.listing
import ratecheck.cli
from ratecheck import bench
from ratecheck.bench import jax_loop, torch_loop, workloads
from ratecheck.sim import normal


def _tiny(monkeypatch, keys=("W1", "W2", "W3", "W4")):
    """The standard workloads shrunk to a few replicates and steps."""
    small = {}
    for k in keys:
        w = workloads.WORKLOADS[k]
        prob = dict(w.problem)
        if prob.get("dim", 1) > 1:
            prob["dim"] = 4
            if "scales" in prob:
                prob["scales"] = prob["scales"][:4]
        small[k] = dataclasses.replace(w, problem=prob, replicates=300 if k == "W2" else 3,
                                       steps=60, quick_steps=30)
    monkeypatch.setattr(workloads, "WORKLOADS", small)
    return small


def _parse(argv):
    parser = argparse.ArgumentParser(prog="ratecheck")
    bench.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["bench", *argv])


def test_register_adds_the_subcommand_and_its_options():
    args = _parse(["--only", "W1", "W3", "--quick", "--repeat", "2", "--no-jax", "--no-torch", "--no-memory"])
    assert args.func is bench.cmd_bench and args.only == ["W1", "W3"] and args.quick and args.repeat == 2
    assert args.no_jax and args.no_torch and args.no_memory and args.engine == "auto"


def test_bench_prints_the_table_without_jax_and_torch(monkeypatch, capsys, tmp_path):
    _tiny(monkeypatch)
    args = _parse(["--quick", "--no-jax", "--no-torch", "--no-memory", "--engine", "numpy",
                   "--json", str(tmp_path / "b.json")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "| workload | implementation | time [s] | throughput [M/s] | time / ratecheck |" in out
    for k in ("W1", "W2", "W3", "W4"):
        assert f"| {k} | ratecheck (numpy engine" in out
    assert out.count("| noise only (NumPy), 1 thread |") == 4  # one table row per workload
    gaussian = [k for k in workloads.WORKLOADS if workloads.compiled_fill_applies(workloads.WORKLOADS[k])]
    assert gaussian == ["W1", "W3", "W4"] or not _normal_available()
    assert out.count("| noise only (ratecheck's fill), 1 thread |") == len(gaussian)
    assert (tmp_path / "b.json").exists()


def _normal_available() -> bool:
    return normal.supported(np.random.Generator(np.random.PCG64(0)))


def test_unknown_workload_is_refused(monkeypatch):
    _tiny(monkeypatch)
    with pytest.raises(ValueError, match="unknown workload"):
        bench.cmd_bench(_parse(["--only", "W9", "--no-jax", "--no-torch"]))


def test_missing_competitors_are_reported(monkeypatch):
    _tiny(monkeypatch, ["W2"])
    monkeypatch.setattr(jax_loop, "available", lambda: None)
    monkeypatch.setattr(torch_loop, "available", lambda: None)
    rep = bench.run_benchmark(["W2"], quick=True, memory=False, engine="numpy")
    assert any("JAX" in n for n in rep.notes) and any("PyTorch" in n for n in rep.notes)
    assert [r.implementation.split(" ")[0] for r in rep.rows][:2] == ["ratecheck", "noise"]


def test_w4_is_the_papers_algorithm():
    """W4 runs Ahn & Cutkosky's Algorithm 1 (clipped_adam_ema's defaults: Exp(1) scaling, coordinate clip,
    lr = 1) with its certificate, and the numba engine serves it."""
    w = bench.WORKLOADS["W4"]
    _, opt = w.build()
    assert (opt.name, opt.scaling, opt.clip, opt.beta, opt.clip_radius) == ("clipped_adam_ema", "exponential",
                                                                           "coordinate", 0.99, 0.01)
    assert "lr" not in w.optimizer and opt.lr(1) == 1.0 and w.certificate
    pytest.importorskip("numba")
    assert workloads.engine_for(w, "auto", 1)[0] == "numba"


def test_noise_draws_count_every_random_number():
    w = bench.WORKLOADS["W4"]
    draws = dict(workloads.noise_draws(w, 10))
    assert draws["standard_normal"] == [256 * 100 * 10]            # one block of 256 replicates
    assert draws["standard_exponential"] == [256 * 10]              # the optimizer's Exp(1) per replicate
    assert workloads.noise_draws(workloads.WORKLOADS["W2"], 10) == [("random", [256 * 10] * 16)]


@pytest.mark.parametrize("key", ["W1", "W2", "W3", "W4"])
def test_competitor_loops_run(monkeypatch, key):
    small = _tiny(monkeypatch, [key])
    w = small[key]
    grid = np.array([1, 5, 30])
    if jax_loop.available():
        assert jax_loop.run(w, 30, grid) > 0
    if torch_loop.available():
        assert torch_loop.run(w, 30, grid, threads=1) > 0
    if not (jax_loop.available() or torch_loop.available()):
        pytest.skip("neither JAX nor PyTorch installed (pip install -e '.[bench]')")


def test_peak_memory_runs_in_a_fresh_process():
    """The W3 memory probe imports the workloads in a new interpreter (it broke once when bench moved)."""
    m = workloads.peak_memory("W3", 60, "numpy")
    assert m["steps"] == 60 and m["traced_peak_mib"] > 0 and m["rss_peak_mib"] > 0


def test_python_m_ratecheck_bench_runs_the_command():
    out = subprocess.run([sys.executable, "-m", "ratecheck.bench", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--no-jax" in out and "W1" in out


def test_the_package_exports_its_public_api():
    for name in bench.__all__:
        assert getattr(bench, name) is not None
    assert bench.WORKLOADS is workloads.WORKLOADS and bench.run_benchmark.__module__ == "ratecheck.bench.command"


def test_bench_and_the_cli_follow_the_house_rules():
    """Issue 15: modules of at most ~400 lines, and no ratecheck module imported inside a function
    (only the optional jax, optax, torch and numba are)."""
    files = [*Path(bench.__file__).parent.glob("*.py"), Path(ratecheck.cli.__file__),
             Path(ratecheck.catalog.listing.__file__)]
    for path in files:
        src = path.read_text()
        assert len(src.splitlines()) <= 400 or path.name == "cli.py", path
        assert not re.findall(r"^[ \t]+(?:from \.|from ratecheck|import ratecheck)", src, re.M), path
        inner = re.findall(r"^[ \t]+import (\w+)", src, re.M)
        assert set(inner) <= {"jax", "optax", "torch", "numba"}, (path, inner)
