"""Bit-identity of simulations: the exact bytes of ``result.x``, ``output_x``, ``diverged_step`` and every
metric, for a battery of (problem, optimizer) pairs, pinned by SHA-256 hashes.

The hashes in ``tests/data/bits_sha256.json`` were recorded with the simulator as it was before the speed work
(plain per-step NumPy loop, noise drawn one step at a time per block). Any change to the simulator, the
optimizers' ``update`` or the problems' hot paths must leave them identical: the per-block random-number layout
is the reproducibility contract. The battery covers every registered optimizer (several conventions), every
noise kind, the counterexamples (two-point draws, a time-varying problem), scaled problems, a box domain, a
user-defined problem (the generic path), several blocks of replicates (a partial last block), running metrics
on and off, explicit checkpoints and x0, and partial divergence.

Provenance: recorded on the project machine (2 cores, Intel Xeon @ 2.80GHz with AVX-512, numpy 2.4.6), with
``python tests/test_bits.py --write``. Transcendental ufuncs (sin, exp) may round differently in another
numpy release, so the comparison is skipped, with the reason, under a numpy whose major.minor differs; the
fast-path-versus-reference tests (tests/test_fast_paths.py) do not depend on recorded bytes and always run.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers as O
from ratecheck import problems as P

FIXTURE = Path(__file__).parent / "data" / "bits_sha256.json"


class Quartic:
    """User-defined problem F(x) = Σ x⁴/4 with Gaussian noise: SGD from a large start diverges."""

    dim = 2

    def value(self, x):
        return 0.25 * np.sum(x ** 4, axis=1)

    def grad(self, x):
        return x ** 3

    def stochastic_grad(self, x, rng):
        return x ** 3 + 0.1 * rng.standard_normal(x.shape)


class TimedUser:
    """User-defined time-varying problem (takes t) with uniform noise."""

    dim = 3
    time_varying = True

    def value(self, x):
        return 0.5 * np.sum(x * x, axis=1)

    def grad(self, x):
        return x.copy()

    def stochastic_grad(self, x, rng, t):
        return x + (1.0 / t) * (rng.random(x.shape) - 0.5)


def _q(**kw):
    return P.make("quadratic", dim=4, kappa=10.0, **kw)


GAUSS = {"kind": "gaussian", "sigma": 0.3}
_X0_ROWS = np.array([[0.5, -0.5], [1.0, 0.2], [30.0, 1.0], [0.1, 0.1], [100.0, -50.0]])


def cases() -> dict:
    """name -> (problem, optimizer, simulate keyword arguments)."""
    small = {"steps": 150, "replicates": 6, "seed": 11}
    multi = {"steps": 120, "replicates": 10, "seed": 7, "block_size": 4}
    c = {}
    # every optimizer (and the main conventions) on a noisy quadratic, one block
    for name, hp in [("adam", {"lr": 0.05}), ("adam", {"lr": 0.05, "convention": "paper"}),
                     ("adam", {"lr": {"schedule": "inv_sqrt", "lr": 0.1}, "beta1": 0.5}),
                     ("sgd", {"lr": 0.05}), ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
                     ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}),
                     ("sgd", {"lr": 0.05, "momentum": 0.8, "form": "ema", "nesterov": True,
                              "average": "polynomial"}),
                     ("sgd", {"lr": 0.05, "average": "uniform"}),
                     ("adagrad", {"lr": 0.1}), ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "eps": 0.0,
                                                           "initial_accumulator_value": 0.1}),
                     ("rmsprop", {"lr": 0.01}), ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
                     ("amsgrad", {"lr": 0.05}), ("amsgrad", {"lr": 0.05, "convention": "torch"}),
                     ("adopt", {"lr": 0.05}), ("adopt", {"lr": 0.05, "clip": False, "eps": 0.0}),
                     ("adamomentum", {"lr": 0.05}), ("adamomentum", {"lr": 0.05, "eps": 0.0}),
                     # issue 12: the official options (new entries; the ones above are unchanged except
                     # quad-gauss/adamomentum, whose default eps became the official 1e-16)
                     ("adamomentum", {"lr": 0.05, "rectify": True}),
                     ("adamomentum", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
                     ("adamomentum", {"lr": 0.05, "weight_decay": 0.1, "decouple": False}),
                     ("adamomentum", {"lr": {"schedule": "inv_sqrt", "lr": 0.1},
                                      "beta1": {"schedule": "one_minus_inv_sqrt", "beta": 0.3}}),
                     ("adam", {"lr": 0.05, "weight_decay": 0.1}), ("adam", {"lr": 0.05, "weight_decay": 0.1, "decouple": True}),
                     ("adopt", {"lr": 0.05, "weight_decay": 0.1}), ("adopt", {"lr": 0.05, "weight_decay": 0.1, "decouple": True}),
                     ("clipped_adam_ema", {"lr": 0.05, "clip_radius": 0.02}),
                     ("clipped_adam_ema", {"lr": 0.05, "clip_radius": 0.02, "clip": "global", "ema_beta": 0.9}),
                     ("clipped_adam_ema", {"beta": 0.9, "clip_radius": 0.05}),
                     ("clipped_adam_ema", {"lr": 0.05, "clip_radius": 0.02, "scaling": "uniform"}),
                     ("adam_ema", {"lr": 0.05}),
                     ("sgdm_random_scaling", {"lr": 0.05, "beta": 0.9, "mu": 0.1})]:
        key = name + "".join(f"-{k}={v}" for k, v in hp.items() if k != "lr" or not isinstance(v, float))
        c[f"quad-gauss/{key}"] = (_q(noise=GAUSS), O.make(name, **hp), small)
    # several blocks (partial last block), with noise and with optimizer randomness
    c["multi/adam"] = (_q(noise=GAUSS), O.make("adam", lr=0.05), multi)
    c["multi/adam-norun"] = (_q(noise=GAUSS), O.make("adam", lr=0.05), {**multi, "running": False})
    c["multi/amsgrad"] = (_q(noise={"kind": "student_t", "sigma": 0.3}), O.make("amsgrad", lr=0.05), multi)
    c["multi/clipped_adam_ema"] = (_q(noise=GAUSS), O.make("clipped_adam_ema", lr=0.05, clip_radius=0.05), multi)
    c["multi/sgdm_random_scaling"] = (_q(noise=GAUSS), O.make("sgdm_random_scaling", lr=0.05), multi)
    # issue 12: the online convex family (records avg_gap) with AdaM3's convex schedules
    c["online_l1/adamomentum-geometric"] = (
        P.make("online_l1", dim=3, center=0.25, noise={"kind": "rademacher", "sigma": 0.5}),
        O.make("adamomentum", lr={"schedule": "inv_sqrt", "lr": 0.1},
               beta1={"schedule": "geometric", "beta": 0.9, "decay": 0.99}), small)
    c["multi/adopt-toy"] = (P.make("adopt_toy", k=10.0), O.make("adopt", lr=0.01, beta2=0.5), multi)
    c["default-blocks/adam-300"] = (P.make("quadratic", dim=20, noise={"kind": "gaussian", "sigma": [0.1] * 20}),
                                    O.make("adam", lr=0.01), {"steps": 40, "replicates": 300, "seed": 3})
    # noise kinds and scales
    c["scaled/quad-gauss-percoord/adam"] = (
        P.make("quadratic", dim=4, kappa=10.0, scales=[1.0, 2.0, 0.5, 3.0],
               noise={"kind": "gaussian", "sigma": [0.1, 0.2, 0.3, 0.4]}), O.make("adam", lr=0.05), small)
    c["cosine-student3/amsgrad"] = (P.make("cosine_well", dim=5, noise={"kind": "student_t", "nu": 3.0, "sigma": 0.5}),
                                    O.make("amsgrad", lr=0.05), small)
    c["cosine-student1.5/adam-norun"] = (
        P.make("cosine_well", dim=5, noise={"kind": "student_t", "nu": 1.5, "sigma": 0.5}),
        O.make("adam", lr=0.05), {**small, "running": False})
    c["robust-rademacher/sgd"] = (P.make("robust_regression", dim=5, noise={"kind": "rademacher", "sigma": 0.2}),
                                  O.make("sgd", lr=0.1, momentum=0.5), small)
    c["nonsmooth-uniform/clipped_adam_ema"] = (
        P.make("nonsmooth_well", dim=5, noise={"kind": "uniform", "sigma": 0.5}),
        O.make("clipped_adam_ema", lr=0.05, clip_radius=0.05), small)
    c["smooth-gauss/clipped_adam_ema-global"] = (
        P.make("smooth_well", dim=4, noise={"kind": "gaussian", "sigma": 0.5}),
        O.make("clipped_adam_ema", beta=0.95, clip_radius=0.05, clip="global"), small)
    c["l1box-sparse/sgd-avg"] = (P.make("l1", dim=4, radius=2.0, noise={"kind": "sparse", "p": 0.2, "sigma": 0.5}),
                                 O.make("sgd", lr={"schedule": "inv_sqrt", "lr": 0.2}, average="uniform"), small)
    c["quad-affine/adam"] = (_q(noise={"kind": "affine", "sigma0": 0.2, "sigma1": 0.5}), O.make("adam", lr=0.05), small)
    c["quad-none/adam"] = (_q(), O.make("adam", lr=0.05), small)
    # counterexamples (two-point draws, time-varying) and hard instances
    toy = P.make("adopt_toy", k=10.0)
    sched = {"schedule": "inv_sqrt_affine", "lr": 0.01, "c": 0.01}
    for name, hp in [("adopt", {}), ("adopt", {"clip": False}), ("adam", {"convention": "paper", "beta2": 0.1}),
                     ("amsgrad", {"beta2": 0.5})]:
        c[f"adopt_toy/{name}" + "".join(f"-{k}={v}" for k, v in hp.items())] = (
            toy, O.make(name, lr=sched, **hp), {"steps": 400, "replicates": 8, "seed": 2})
    c["adopt_toy-scaled-noisy/adopt"] = (P.make("adopt_toy", k=5.0, scales=[2.0], noise={"kind": "gaussian", "sigma": 0.1}),
                                         O.make("adopt", lr=0.01), small)
    c["reddi_stochastic/adam"] = (P.make("reddi_stochastic", C=3.0, delta=0.5),
                                  O.make("adam", lr=0.05, beta1=0.0, beta2=0.1, convention="paper"), multi)
    c["reddi_stochastic/amsgrad"] = (P.make("reddi_stochastic", C=3.0, delta=0.5), O.make("amsgrad", lr=0.05), small)
    c["reddi_online/adam"] = (P.make("reddi_online", C=3.0),
                              O.make("adam", lr=0.1, beta1=0.0, beta2=0.1, convention="paper"), small)
    c["carmon/sgd"] = (P.make("carmon_chain", dim=6), O.make("sgd", lr=0.5), small)
    c["arjevani/adam"] = (P.make("arjevani_chain", dim=6, p=0.3), O.make("adam", lr=0.05), multi)
    c["drori/sgd"] = (P.make("drori_teboulle", N=50), O.make("sgd", lr=1.0), {"steps": 50, "replicates": 2, "seed": 0})
    # user-defined problems (generic path), explicit checkpoints, x0 per replicate, divergence
    c["user-quartic/sgd-diverges"] = (Quartic(), O.make("sgd", lr=0.01),
                                      {"steps": 60, "replicates": 5, "seed": 4, "x0": _X0_ROWS,
                                       "checkpoints": [1, 2, 3, 10, 30, 60]})
    c["user-quartic/adam-blocks"] = (Quartic(), O.make("adam", lr=0.05),
                                     {"steps": 60, "replicates": 5, "seed": 4, "x0": _X0_ROWS, "block_size": 2})
    c["user-timed/sgd"] = (TimedUser(), O.make("sgd", lr=0.1), {**multi, "block_size": 3})
    c["quad-gauss/adam-x0-checkpoints"] = (_q(noise=GAUSS), O.make("adam", lr=0.05),
                                           {"steps": 100, "replicates": 3, "seed": 1,
                                            "x0": np.arange(12.0).reshape(3, 4), "checkpoints": [5, 50, 100]})
    return c


def digest(res) -> dict:
    """SHA-256 (of dtype, shape and bytes) of every array of a result."""
    arrays = {"x": res.x, "diverged_step": res.diverged_step, "checkpoints": res.checkpoints}
    if res.output_x is not None:
        arrays["output_x"] = res.output_x
    for k, v in res.metrics.items():
        arrays[f"metric/{k}"] = v
    out = {}
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
        out[k] = h.hexdigest()
    return out


def run_case(name: str, **extra):
    problem, opt, kw = cases()[name]
    return rc.simulate(problem, opt, **kw, **extra)


def _recorded() -> dict:
    return json.loads(FIXTURE.read_text())


def _same_numpy(recorded: str) -> bool:
    return recorded.split(".")[:2] == np.__version__.split(".")[:2]


def test_fixture_covers_every_optimizer_and_problem_family():
    names = set(_recorded()["cases"])
    assert names == set(cases())
    used_opts = {opt.name for _, opt, _ in cases().values()}
    used_probs = {getattr(p, "name", None) for p, _, _ in cases().values()}
    assert set(O.names()) <= used_opts
    assert set(P.names()) <= used_probs


@pytest.mark.parametrize("name", sorted(cases()))
def test_bits_match_the_recorded_hashes(name):
    rec = _recorded()
    if not _same_numpy(rec["numpy"]):
        pytest.skip(f"hashes recorded with numpy {rec['numpy']}, running {np.__version__}: transcendental "
                    f"ufuncs may round differently; regenerate with `python tests/test_bits.py --write` "
                    f"on the reference code")
    got = digest(run_case(name))
    want = rec["cases"][name]
    assert got.keys() == want.keys()
    bad = [k for k in want if got[k] != want[k]]
    assert not bad, f"{name}: bytes changed for {bad}"


def _write() -> None:  # pragma: no cover - run by hand on the reference code
    FIXTURE.parent.mkdir(exist_ok=True)
    data = {"numpy": np.__version__, "cases": {n: digest(run_case(n)) for n in sorted(cases())}}
    FIXTURE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {FIXTURE} ({len(data['cases'])} cases)")


if __name__ == "__main__":  # pragma: no cover
    if "--write" in sys.argv:
        _write()
    else:
        print(__doc__)
