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
    par = sweep.run_cells(_cells(), tmp_path, workers=2, progress=lambda i, n, c, r: seen.append(c.key))
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
