"""Numerical honesty: normal operation of every optimizer and problem raises no floating-point exception
(``np.errstate(all="raise")``, underflow excepted), float64 is the default, and the float32 mode is real, recorded and flagged."""
import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers as O
from ratecheck import problems as P
from ratecheck.optimizers import BlockRNG

# every family at its usual size, with noise where the family takes it
FAMILIES = {
    "quadratic": {"dim": 5, "kappa": 100.0, "noise": {"kind": "gaussian", "sigma": 0.5}},
    "cosine_well": {"dim": 5, "noise": {"kind": "student_t", "nu": 3.0, "sigma": 0.5}},
    "robust_regression": {"dim": 5, "noise": {"kind": "rademacher", "sigma": 0.2}},
    "nonsmooth_well": {"dim": 5, "noise": {"kind": "uniform", "sigma": 0.5}},
    "smooth_well": {"dim": 5, "noise": {"kind": "gaussian", "sigma": 0.5}},
    "l1": {"dim": 5, "radius": 2.0, "noise": {"kind": "sparse", "p": 0.2, "sigma": 0.5}},
    "online_l1": {"dim": 5, "center": 0.5, "noise": {"kind": "rademacher", "sigma": 0.5}},
    "reddi_online": {"C": 3.0}, "reddi_stochastic": {"C": 3.0, "delta": 0.5}, "adopt_toy": {"k": 10.0},
    "carmon_chain": {"dim": 6}, "arjevani_chain": {"dim": 6, "p": 0.3}, "drori_teboulle": {"N": 50},
}
HP = {"adam": {"lr": 0.01}, "sgd": {"lr": 0.01, "momentum": 0.9, "average": "uniform"}, "adagrad": {"lr": 0.05},
      "rmsprop": {"lr": 0.01, "centered": True}, "amsgrad": {"lr": 0.01}, "adopt": {"lr": 0.01},
      "adamomentum": {"lr": 0.01}, "clipped_adam_ema": {"lr": 0.01, "clip_radius": 0.01},
      "adam_ema": {"lr": 0.01}, "sgdm_random_scaling": {"lr": 0.01, "beta": 0.9}}


def test_tables_cover_every_family_and_optimizer():
    assert set(FAMILIES) == set(P.names()) and set(HP) == set(O.names())


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("name", sorted(HP))
def test_normal_operation_raises_no_floating_point_exception(family, name):
    problem = P.make(family, **FAMILIES[family])
    opt = O.make(name, **HP[name])
    gen = np.random.default_rng(0)
    x0 = np.broadcast_to(problem.initial_point(), (4, problem.dim)) + 0.1 * gen.standard_normal((4, problem.dim))
    rng = BlockRNG([np.random.default_rng(1)], 4)
    online = problem.time_varying
    # overflow, invalid operations and division by zero would be bugs; underflow is not (g² of a chain
    # link's tiny gradient becomes subnormal or zero, as IEEE arithmetic specifies)
    with np.errstate(all="raise", under="ignore"):
        state = opt.init(x0)
        for t in range(1, 301):
            y = opt.query(state, rng)
            if problem.domain is not None:
                y = y.copy()
                problem.project(y)
            g = problem.stochastic_grad(y, gen, t) if online else problem.stochastic_grad(y, gen)
            opt.update(state, g)
            if problem.domain is not None:
                problem.project(state.x)
            if opt.output != "iterate":
                opt.output_weight(t)
        # the simulator's metrics at the final point
        problem.value(state.x)
        problem.grad(state.x)
    assert np.all(np.isfinite(state.x))


def test_simulation_metrics_raise_nothing_in_normal_operation():
    # the simulator itself runs under errstate(ignore) to let a replicate diverge; its metric code must not need it
    from ratecheck.sim import engine as _engine
    problem = P.make("cosine_well", dim=3)
    x = np.random.default_rng(0).standard_normal((5, 3))
    with np.errstate(all="raise"):
        _engine.point_metrics(problem, x, _engine.constants(problem))


def test_float64_is_the_default():
    res = rc.simulate(P.make("quadratic", dim=2), O.make("adam", lr=0.05), steps=10, replicates=2, seed=0)
    assert res.dtype == "float64" and res.x.dtype == np.float64 and "FLOAT32" not in repr(res)


def test_float32_mode_is_single_precision_recorded_and_flagged():
    problem = P.make("quadratic", dim=3, noise={"kind": "gaussian", "sigma": 0.1})
    opt = O.make("adam", lr=0.01)
    kw = dict(steps=200, replicates=4, seed=3)
    r64 = rc.simulate(problem, opt, **kw)
    r32 = rc.simulate(problem, opt, **kw, dtype="float32")
    assert r32.dtype == "float32" and r32.x.dtype == np.float32 and r32.provenance["dtype"] == "float32"
    assert r32.provenance["engine"] == "reference"
    assert "FLOAT32" in repr(r32) and "[FLOAT32 arithmetic]" in r32.summary() and "float32" in r32.message
    assert all(v.dtype == np.float64 for v in r32.metrics.values())     # metrics are float64
    # single precision: close to the float64 run, but not the same bits
    np.testing.assert_allclose(r32.x, r64.x, rtol=1e-4, atol=1e-5)
    assert not np.array_equal(r32.x.astype(np.float64), r64.x)
    # and deterministic
    np.testing.assert_array_equal(r32.x, rc.simulate(problem, opt, **kw, dtype="float32").x)


def test_float32_refusals():
    problem, opt = P.make("quadratic", dim=2), O.make("adam")
    with pytest.raises(ValueError, match="reference engine only"):
        rc.simulate(problem, opt, steps=5, replicates=2, seed=0, dtype="float32", engine="numpy")
    with pytest.raises(ValueError, match="dtype must be one of"):
        rc.simulate(problem, opt, steps=5, replicates=2, seed=0, dtype="float16")
    with pytest.raises(ValueError, match="beyond float32's range"):
        rc.simulate(problem, opt, steps=5, replicates=2, seed=0, dtype="float32", x0=[1e300, 0.0])


def test_float32_overflow_is_a_divergence():
    problem = P.make("quadratic", dim=1)
    res = rc.simulate(problem, O.make("sgd", lr=3.0), steps=200, replicates=2, seed=0, dtype="float32")
    assert res.n_diverged == 2
    # |1 - 3| = 2 per step from x0 = 1: float32 overflows at 2^128, float64 much later
    assert np.all(res.diverged_step == 128)
    assert rc.simulate(problem, O.make("sgd", lr=3.0), steps=200, replicates=2, seed=0).n_diverged == 0
