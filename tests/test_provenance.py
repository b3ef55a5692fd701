"""Provenance recorded in every result, and results of another format version refused with a clear message."""
import datetime
import json
import textwrap

import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers as O
from ratecheck import problems as P
from ratecheck.cli import main
from ratecheck.catalog.sweep import cell_key
from ratecheck.sim.result import FORMAT_VERSION, DamagedError, SimulationResult, git_state


def _utc(text: str) -> datetime.datetime:
    when = datetime.datetime.fromisoformat(text)
    assert when.utcoffset() == datetime.timedelta(0), text
    return when


def test_every_result_records_its_provenance(tmp_path):
    res = rc.simulate(P.make("quadratic", dim=2, noise={"kind": "gaussian", "sigma": 0.1}),
                      O.make("adam", lr=0.05), steps=30, replicates=3, seed=7, engine="numpy")
    meta = json.loads((res.save(tmp_path) / "result.json").read_text())
    assert meta["format_version"] == FORMAT_VERSION == 3
    assert meta["problem"]["name"] == "quadratic" and meta["problem"]["noise"]["sigma"] == 0.1
    assert meta["optimizer"] == {**meta["optimizer"], "name": "adam", "lr": 0.05}
    assert meta["seed"]["entropy"] == 7 and meta["steps"] == 30 and meta["replicates"] == 3
    assert {"ratecheck", "numpy", "scipy", "python"} <= set(meta["versions"])
    assert meta["dtype"] == "float64" and meta["n_diverged"] == 0 and meta["n_alive"] == 3
    prov = meta["provenance"]
    assert _utc(prov["started"]) <= _utc(prov["finished"])
    assert prov["engine"] == "numpy" and prov["workers"] == 1 and prov["dtype"] == "float64"
    assert prov["config"]["running"] is True and prov["config"]["certificate"] is False
    assert prov["config"]["n_checkpoints"] == res.checkpoints.size and prov["config"]["x0"] == "problem default"
    assert len(prov["config"]["x0_sha256"]) == 64
    assert [(s["from_step"], s["to_step"]) for s in prov["sessions"]] == [(0, 30)]
    git = git_state()
    if git is None:
        assert prov["git"] is None
    else:   # this checkout: the commit and whether it had uncommitted changes
        assert len(prov["git"]["commit"]) == 40 and isinstance(prov["git"]["dirty"], bool)
    back = SimulationResult.load(tmp_path)
    assert back.provenance == prov and back.dtype == "float64"


def test_cli_results_record_their_cell_and_provenance(tmp_path, capsys):
    exp = tmp_path / "p.toml"
    exp.write_text(textwrap.dedent("""
        [run]
        steps = 20
        replicates = 2
        [problem]
        family = "quadratic"
        dim = 2
        [[optimizer]]
        name = "sgd"
        lr = 0.1
    """))
    assert main(["run", str(exp), "--out", str(tmp_path / "o"), "--seed", "9", "--dtype", "float32"]) == 0
    meta = json.loads((tmp_path / "o" / cell_key("sgd", ()) / "result.json").read_text())
    assert meta["cell"]["run"]["seed"] == 9 and meta["cell"]["run"]["dtype"] == "float32"
    assert meta["dtype"] == "float32" and meta["provenance"]["engine"] == "reference"
    assert "float32" in meta["message"]
    assert "[float32]" in capsys.readouterr().out


def _doctor(tmp_path, **changes):
    res = rc.simulate(P.make("quadratic", dim=2), O.make("sgd", lr=0.1), steps=5, replicates=2, seed=0)
    res.save(tmp_path)
    path = tmp_path / "result.json"
    meta = json.loads(path.read_text())
    meta.pop("json_sha256")          # a hand-made or older file (formats 1 and 2 had no JSON checksum)
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    path.write_text(json.dumps(meta))
    return res


def test_a_newer_format_is_refused_naming_both_versions(tmp_path):
    _doctor(tmp_path, format_version=4)
    with pytest.raises(ValueError) as info:
        SimulationResult.load(tmp_path)
    msg = str(info.value)
    assert "result format version 4" in msg and "reads format version(s) 1, 2, 3" in msg
    assert "upgrade ratecheck" in msg


@pytest.mark.parametrize("version", [0, "2", None, 2.5])
def test_an_unknown_format_is_refused(tmp_path, version):
    _doctor(tmp_path, format_version=version)
    with pytest.raises(ValueError, match="rerun the simulation with this ratecheck"):
        SimulationResult.load(tmp_path)


@pytest.mark.parametrize("version", [2, 3])
def test_a_format_3_result_needs_its_json_checksum(tmp_path, version):
    _doctor(tmp_path, format_version=version)
    if version == 2:    # written before the checksum: read as before
        assert SimulationResult.load(tmp_path).steps == 5
    else:
        with pytest.raises(DamagedError, match="no checksum"):
            SimulationResult.load(tmp_path)


def test_format_1_results_still_load_as_float64(tmp_path):
    res = _doctor(tmp_path, format_version=1, dtype=None, provenance=None, n_alive=None,
                  first_divergence_step=None)
    back = SimulationResult.load(tmp_path)
    assert back.dtype == "float64" and back.provenance == {}
    np.testing.assert_array_equal(back.x, res.x)


def test_a_directory_with_only_a_snapshot_says_how_to_continue(tmp_path, monkeypatch):
    import importlib
    PLAN = importlib.import_module("ratecheck.sim.plan")
    from ratecheck.sim import snapshot as snap
    monkeypatch.setattr(PLAN, "FIRST_SEGMENT", 3)
    monkeypatch.setattr(PLAN, "SEGMENT_GROWTH", 1)

    class Stop(Exception):
        pass

    real = snap.save
    monkeypatch.setattr(snap, "save", lambda *a, **k: (real(*a, **k), (_ for _ in ()).throw(Stop)))
    with pytest.raises(Stop):
        rc.simulate(P.make("quadratic", dim=2), O.make("sgd", lr=0.1), steps=20, replicates=2, seed=0,
                    snapshot=tmp_path, snapshot_every=0.0)
    with pytest.raises(FileNotFoundError, match="--resume"):
        SimulationResult.load(tmp_path)
    part = snap.load_partial(tmp_path)
    assert part.provenance["partial"] is True and "partial: 3 of 20 steps" in part.message
