"""Resumable runs: a run interrupted after any snapshot and resumed ends bit-identical to an uninterrupted run,
for every registered optimizer and every engine that applies; refusals of foreign snapshots."""
import importlib
import json

import numpy as np
import pytest

import ratecheck as rc
from ratecheck.sim import kernels as _kernels
from ratecheck import optimizers as O
from ratecheck import problems as P
from ratecheck.sim import snapshot as snap
from ratecheck.sim.result import json_bytes
from test_bits import digest

S = importlib.import_module("ratecheck.sim.simulate")   # the module (ratecheck.simulate is the function)
PLAN = importlib.import_module("ratecheck.sim.plan")   # engine choice and segments


class Stop(Exception):
    """Raised after the n-th snapshot: the run is 'killed' right after writing it."""


@pytest.fixture
def short_segments(monkeypatch):
    """Segments of at most 7 steps, so snapshots fall at many places (mid-chunk, between checkpoints)."""
    monkeypatch.setattr(PLAN, "FIRST_SEGMENT", 7)
    monkeypatch.setattr(PLAN, "SEGMENT_GROWTH", 1)


def interrupt_after(monkeypatch, n: int):
    real = snap.save
    count = {"n": 0}

    def save(*args, **kwargs):
        out = real(*args, **kwargs)
        count["n"] += 1
        if count["n"] >= n:
            raise Stop
        return out
    monkeypatch.setattr(snap, "save", save)
    return lambda: monkeypatch.setattr(snap, "save", real)


HP = {"adam": {"lr": 0.05}, "sgd": {"lr": 0.05, "momentum": 0.9, "average": "uniform"},
      "adagrad": {"lr": 0.1}, "rmsprop": {"lr": 0.01, "centered": True, "momentum": 0.5},
      "amsgrad": {"lr": 0.05}, "adopt": {"lr": 0.05}, "adamomentum": {"lr": 0.05},
      "clipped_adam_ema": {"lr": 0.05, "clip_radius": 0.02}, "adam_ema": {"lr": 0.05},
      "sgdm_random_scaling": {"lr": 0.05, "beta": 0.9, "mu": 0.1}}
GAUSS = {"kind": "gaussian", "sigma": 0.3}


def engines_for(problem, opt) -> list:
    out = ["reference"]
    kind = problem._batch_kind() if hasattr(problem, "_batch_kind") else None
    if kind is not None:
        out.append("numpy")
        if not _kernels.unsupported(problem, opt, running=True, certificate=opt.output != "iterate"):
            out.append("numba")
    return out


def test_every_optimizer_is_covered():
    assert set(HP) == set(O.names())


CASES = [(name, engine) for name in sorted(HP)
         for engine in engines_for(P.make("quadratic", dim=3, noise=GAUSS), O.make(name, **HP[name]))]


@pytest.mark.parametrize("name, engine", CASES)
def test_resumed_run_is_bit_identical(tmp_path, monkeypatch, short_segments, name, engine):
    problem = P.make("quadratic", dim=3, kappa=10.0, noise=GAUSS)
    opt = O.make(name, **HP[name])
    kw = dict(steps=90, replicates=10, seed=5, block_size=4, engine=engine, n_checkpoints=12)
    want = digest(rc.simulate(problem, opt, **kw))
    # snapshots on, never interrupted: the segments alone change nothing
    assert digest(rc.simulate(problem, opt, **kw, snapshot=tmp_path / "full", snapshot_every=0.0)) == want
    for n in (1, 3, 6):   # killed right after the n-th snapshot, then resumed (possibly killed again)
        d = tmp_path / f"kill{n}"
        restore = interrupt_after(monkeypatch, n)
        with pytest.raises(Stop):
            rc.simulate(problem, opt, **kw, snapshot=d, snapshot_every=0.0)
        restore()
        t = json.loads((d / snap.JSON_NAME).read_text())["t"]
        assert 0 < t < 90
        # the partial result is a prefix of the uninterrupted run
        part = snap.load_partial(d)
        full = rc.simulate(problem, opt, **kw)
        k = part.checkpoints.size
        np.testing.assert_array_equal(part.checkpoints, full.checkpoints[:k])
        for m, v in part.metrics.items():
            np.testing.assert_array_equal(v, full.metrics[m][:k])
        res = rc.simulate(problem, opt, **kw, snapshot=d, snapshot_every=0.0, resume=True)
        assert digest(res) == want, f"resumed after snapshot {n} (step {t})"
        assert res.provenance["sessions"][0]["to_step"] == t and res.provenance["sessions"][-1]["from_step"] == t


COUNTEREXAMPLES = [
    (P.make("adopt_toy", k=10.0), O.make("adopt", lr=0.01, beta2=0.5)),                       # two-point draws
    (P.make("reddi_online", C=3.0), O.make("adam", lr=0.1, beta1=0.0, beta2=0.1, convention="paper")),  # time-varying
    (P.make("l1", dim=3, radius=2.0, noise={"kind": "sparse", "p": 0.2, "sigma": 0.5}),
     O.make("sgd", lr={"schedule": "inv_sqrt", "lr": 0.2}, average="uniform")),               # box domain
    (P.make("cosine_well", dim=3, noise={"kind": "student_t", "nu": 3.0, "sigma": 0.5}),
     O.make("clipped_adam_ema", lr=0.05, clip_radius=0.05)),                                  # opt randomness
    (P.make("arjevani_chain", dim=4, p=0.3), O.make("adam", lr=0.05)),                        # row uniforms
    (P.make("quadratic", dim=2, noise={"kind": "affine", "sigma0": 0.2, "sigma1": 0.5}), O.make("sgd", lr=0.05)),
]


@pytest.mark.parametrize("i", range(len(COUNTEREXAMPLES)))
def test_resume_on_other_problems_and_across_engines(tmp_path, monkeypatch, short_segments, i):
    problem, opt = COUNTEREXAMPLES[i]
    kw = dict(steps=60, replicates=9, seed=3, block_size=4, n_checkpoints=10)
    engines = engines_for(problem, opt)
    want = digest(rc.simulate(problem, opt, **kw, engine="reference"))
    for first, second in zip(engines, engines[1:] + engines[:1]):   # snapshot by one engine, resumed by another
        d = tmp_path / f"{first}-{second}"
        restore = interrupt_after(monkeypatch, 2)
        with pytest.raises(Stop):
            rc.simulate(problem, opt, **kw, engine=first, snapshot=d, snapshot_every=0.0)
        restore()
        res = rc.simulate(problem, opt, **kw, engine=second, snapshot=d, snapshot_every=0.0, resume=True)
        assert digest(res) == want, (first, second)


def test_resume_with_other_worker_counts(tmp_path, monkeypatch, short_segments):
    problem = P.make("quadratic", dim=3, noise=GAUSS)
    opt = O.make("sgdm_random_scaling", lr=0.05)
    kw = dict(steps=50, replicates=12, seed=1, block_size=4)
    want = digest(rc.simulate(problem, opt, **kw))
    restore = interrupt_after(monkeypatch, 2)
    with pytest.raises(Stop):
        rc.simulate(problem, opt, **kw, workers=2, snapshot=tmp_path, snapshot_every=0.0)
    restore()
    assert digest(rc.simulate(problem, opt, **kw, workers=1, snapshot=tmp_path, resume=True)) == want


def test_divergence_status_survives_a_resume(tmp_path, monkeypatch, short_segments):
    from test_bits import _X0_ROWS, Quartic
    kw = dict(steps=60, replicates=5, seed=4, x0=_X0_ROWS)
    want = rc.simulate(Quartic(), O.make("sgd", lr=0.01), **kw)
    assert 0 < want.n_diverged < 5
    restore = interrupt_after(monkeypatch, 4)
    with pytest.raises(Stop):
        rc.simulate(Quartic(), O.make("sgd", lr=0.01), **kw, snapshot=tmp_path, snapshot_every=0.0)
    restore()
    assert snap.load_partial(tmp_path).n_diverged >= 1
    got = rc.simulate(Quartic(), O.make("sgd", lr=0.01), **kw, snapshot=tmp_path, resume=True)
    assert digest(got) == digest(want)
    np.testing.assert_array_equal(got.diverged_step, want.diverged_step)


def test_float32_resume(tmp_path, monkeypatch, short_segments):
    problem, opt = P.make("quadratic", dim=3, noise=GAUSS), O.make("adam", lr=0.05)
    kw = dict(steps=40, replicates=4, seed=2, dtype="float32")
    want = digest(rc.simulate(problem, opt, **kw))
    restore = interrupt_after(monkeypatch, 2)
    with pytest.raises(Stop):
        rc.simulate(problem, opt, **kw, snapshot=tmp_path, snapshot_every=0.0)
    restore()
    assert digest(rc.simulate(problem, opt, **kw, snapshot=tmp_path, resume=True)) == want


# --------------------------------------------------------------------------- refusals
def _killed(tmp_path, monkeypatch, **kw):
    monkeypatch.setattr(PLAN, "FIRST_SEGMENT", 5)
    monkeypatch.setattr(PLAN, "SEGMENT_GROWTH", 1)
    restore = interrupt_after(monkeypatch, 1)
    with pytest.raises(Stop):
        rc.simulate(P.make("quadratic", dim=2, noise=GAUSS), O.make("adam", lr=0.05), snapshot=tmp_path,
                    snapshot_every=0.0, **kw)
    restore()


BASE = dict(steps=30, replicates=3, seed=1)


@pytest.mark.parametrize("change, fragment", [
    ({"seed": 2}, "seed.entropy: 1 in the snapshot, 2 now"),
    ({"steps": 31}, "steps: 30 in the snapshot, 31 now"),
    ({"replicates": 4}, "replicates: 3 in the snapshot, 4 now"),
    ({"dtype": "float32"}, "dtype: 'float64' in the snapshot, 'float32' now"),
    ({"optimizer": O.make("adam", lr=0.06)}, "optimizer.lr: 0.05 in the snapshot, 0.06 now"),
    ({"problem": P.make("quadratic", dim=2, noise={"kind": "gaussian", "sigma": 0.4})}, "problem.noise.sigma"),
])
def test_resume_refuses_another_configuration(tmp_path, monkeypatch, change, fragment):
    _killed(tmp_path, monkeypatch, **BASE)
    kw = {**BASE, **change}
    problem = kw.pop("problem", P.make("quadratic", dim=2, noise=GAUSS))
    opt = kw.pop("optimizer", O.make("adam", lr=0.05))
    with pytest.raises(ValueError, match="different run") as info:
        rc.simulate(problem, opt, snapshot=tmp_path, resume=True, **kw)
    assert fragment in str(info.value) and "without --resume" in str(info.value)


def test_resume_refuses_another_version_or_a_damaged_snapshot(tmp_path, monkeypatch):
    _killed(tmp_path, monkeypatch, **BASE)
    args = (P.make("quadratic", dim=2, noise=GAUSS), O.make("adam", lr=0.05))
    meta_path = tmp_path / snap.JSON_NAME
    good = meta_path.read_text()
    meta = json.loads(good)
    meta["versions"]["numpy"] = "1.26.0"
    meta_path.write_bytes(json_bytes(meta))      # a genuine snapshot of another version (checksum valid)
    with pytest.raises(ValueError, match=r"written by numpy 1\.26\.0, this is numpy"):
        rc.simulate(*args, snapshot=tmp_path, resume=True, **BASE)
    meta = json.loads(good)
    meta["format_version"] = 99
    meta_path.write_bytes(json_bytes(meta))
    with pytest.raises(ValueError, match="snapshot format 99"):
        rc.simulate(*args, snapshot=tmp_path, resume=True, **BASE)
    meta_path.write_text(good)
    npz = tmp_path / json.loads(good)["npz"]
    npz.write_bytes(npz.read_bytes()[:-10])
    with pytest.raises(ValueError, match="checksum"):
        rc.simulate(*args, snapshot=tmp_path, resume=True, **BASE)
    meta_path.write_text(good[: len(good) // 2])
    with pytest.raises(ValueError, match="damaged: not readable JSON"):
        rc.simulate(*args, snapshot=tmp_path, resume=True, **BASE)
    # without resume, the damaged snapshot is ignored and replaced
    res = rc.simulate(*args, snapshot=tmp_path, **BASE)
    assert digest(res) == digest(rc.simulate(*args, **BASE))


def test_resume_without_a_snapshot_starts_from_zero(tmp_path):
    args = (P.make("quadratic", dim=2, noise=GAUSS), O.make("adam", lr=0.05))
    res = rc.simulate(*args, snapshot=tmp_path / "none", resume=True, **BASE)
    assert digest(res) == digest(rc.simulate(*args, **BASE))
    with pytest.raises(ValueError, match="resume=True needs snapshot"):
        rc.simulate(*args, resume=True, **BASE)


def test_snapshot_frequency_is_capped_by_wall_time(tmp_path, monkeypatch):
    saves = []
    real = snap.save
    monkeypatch.setattr(snap, "save", lambda *a, **k: saves.append(1) or real(*a, **k))
    rc.simulate(P.make("quadratic", dim=2), O.make("sgd", lr=0.1), steps=20000, replicates=2, seed=0,
                snapshot=tmp_path, snapshot_every=3600.0)
    assert saves == []  # a run shorter than snapshot_every writes none
