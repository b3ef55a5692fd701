"""Sweeps give bit-identical results serially, in local worker processes and on a real Dask cluster;
each finished cell is saved as it completes and a rerun reuses it."""
import numpy as np
import pytest

from ratecheck.catalog import sweep as sweep

PROBLEM = {"name": "quadratic", "dim": 3, "kappa": 10.0, "noise": {"kind": "gaussian", "sigma": 0.5}}
OPTIMIZERS = [{"name": "adam", "lr": 0.05}, {"name": "clipped_adam_ema", "lr": 0.05, "clip_radius": 0.05}]
RUN = {"steps": 60, "replicates": 5, "seed": 3, "block_size": 2}


def _cells():
    return sweep.expand(PROBLEM, OPTIMIZERS, ["adam", "o2nc"], RUN,
                        {"seed": [3, 4], "problem.noise.sigma": [0.1, 1.0]})


def _assert_same(a, b):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        np.testing.assert_array_equal(ra.x, rb.x)
        assert ra.metrics.keys() == rb.metrics.keys()
        for k in ra.metrics:
            np.testing.assert_array_equal(ra.metrics[k], rb.metrics[k])
        np.testing.assert_array_equal(ra.diverged_step, rb.diverged_step)


@pytest.fixture(scope="module")
def serial():
    return sweep.run_cells(_cells(), workers=1)


def test_local_processes_match_a_serial_run(serial, tmp_path):
    seen = []
    par = sweep.run_cells(_cells(), tmp_path, workers=2,
                          progress=lambda e: seen.append(e.cell.key) if e.kind == "cell" else None)
    _assert_same(serial, par)
    assert sorted(seen) == sorted(c.key for c in _cells())           # each cell reported once
    assert all((tmp_path / c.key / "result.json").exists() for c in _cells())


def test_rerun_loads_finished_cells_and_computes_only_the_rest(serial, tmp_path):
    cells = _cells()
    sweep.run_cells(cells[:3], tmp_path, workers=1)
    stamps = {c.key: (tmp_path / c.key / "result.npz").stat().st_mtime_ns for c in cells[:3]}
    again = sweep.run_cells(cells, tmp_path, workers=2)
    _assert_same(serial, again)
    assert stamps == {c.key: (tmp_path / c.key / "result.npz").stat().st_mtime_ns for c in cells[:3]}
    assert all((tmp_path / c.key / "result.json").exists() for c in cells)


def test_dask_local_cluster_matches_a_serial_run(serial, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        # the scheduler comes from the config entry (environment), as `ratecheck run` would read it
        monkeypatch.setenv(sweep.SCHEDULER_ENV, cluster.scheduler_address)
        done = sweep.run_cells(_cells(), tmp_path)
        with distributed.Client(cluster) as client:
            ran = client.run(lambda: __import__("os").getpid())
    _assert_same(serial, done)
    assert len(set(ran.values())) == 2
    assert all((tmp_path / c.key / "result.json").exists() for c in _cells())
    # a rerun against no scheduler at all loads every cell from disk
    monkeypatch.delenv(sweep.SCHEDULER_ENV)
    _assert_same(serial, sweep.run_cells(_cells(), tmp_path, workers=1))


def test_dask_missing_or_bad_scheduler_is_refused(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(ValueError, match="ratecheck\\[dask\\]"):
        sweep.run_cells(_cells()[:1], scheduler="tcp://127.0.0.1:1")


def test_progress_events_say_plan_steps_and_loaded(tmp_path):
    """The plan comes first; cells computed here report their steps; a rerun's cells say "loaded"."""
    cells = _cells()[:2]
    first = []
    sweep.run_cells(cells, tmp_path, workers=1, progress=first.append)
    assert first[0].kind == "plan" and (first[0].done, first[0].total, first[0].processes) == (0, 2, 1)
    steps = [e for e in first if e.kind == "steps"]
    assert steps and steps[-1].done == steps[-1].total == cells[-1].run["steps"]
    assert set(steps[-1].plan) == {"engine", "processes", "threads"}
    done = [e for e in first if e.kind == "cell"]
    assert [e.done for e in done] == [1, 2] and not any(e.loaded for e in done)
    again = []
    sweep.run_cells(cells, tmp_path, workers=1, progress=again.append)
    assert again[0].kind == "plan" and (again[0].done, again[0].total) == (2, 2)
    assert [e.kind for e in again[1:]] == ["cell", "cell"] and all(e.loaded for e in again[1:])
