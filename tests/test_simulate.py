"""The simulator's bookkeeping, randomness contract, divergence handling and input checks."""
import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers, problems
from ratecheck.sim import plan
from ratecheck.sim.simulate import metric_names


class Recorder:
    """A user-defined problem (no ratecheck base class) that records the noise it draws."""

    dim = 2

    def __init__(self):
        self.noise = []

    def value(self, x):
        return 0.5 * np.sum(x * x, axis=1)

    def grad(self, x):
        return x.copy()

    def stochastic_grad(self, x, rng):
        xi = rng.standard_normal(x.shape)
        self.noise.append(xi.copy())
        return x + xi


def _manual(problem, opt, x0, steps):
    """Reference loop with the pure API: the trajectory x_0..x_T."""
    state = opt.init(x0)
    xs = [state.x.copy()]
    for _ in range(steps):
        state = opt.step(state, problem.grad)
        xs.append(state.x.copy())
    return xs


def test_metrics_match_a_manual_loop():
    p = problems.make("quadratic", dim=3, kappa=5.0)
    opt = optimizers.make("adam", lr=0.05)
    x0 = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -0.1]])
    res = rc.simulate(p, opt, steps=50, replicates=2, seed=0, x0=x0, checkpoints=[1, 7, 50])
    xs = _manual(p, opt, x0, 50)
    gn = [np.sum(p.grad(x) ** 2, axis=1) for x in xs]
    for k, t in enumerate([1, 7, 50]):
        np.testing.assert_allclose(res.metrics["grad_norm_sq"][k], gn[t], rtol=1e-13)
        np.testing.assert_allclose(res.metrics["gap"][k], p.value(xs[t]), rtol=1e-13)
        # running statistics over the query points x_0 .. x_{t-1}
        np.testing.assert_allclose(res.metrics["min_grad_norm_sq"][k], np.min(gn[:t], axis=0), rtol=1e-13)
        np.testing.assert_allclose(res.metrics["avg_grad_norm_sq"][k], np.mean(gn[:t], axis=0), rtol=1e-12)
        np.testing.assert_allclose(res.metrics["dist"][k], np.linalg.norm(xs[t], axis=1), rtol=1e-13)
    np.testing.assert_array_equal(res.x, xs[-1])


def test_common_random_numbers_across_optimizers():
    a, b = Recorder(), Recorder()
    rc.simulate(a, optimizers.make("adam", lr=0.1), steps=5, replicates=3, seed=42)
    rc.simulate(b, optimizers.make("adam", lr=0.3, beta1=0.5), steps=5, replicates=3, seed=42)
    for xa, xb in zip(a.noise, b.noise):
        np.testing.assert_array_equal(xa, xb)


def test_user_problem_without_constants():
    res = rc.simulate(Recorder(), optimizers.make("adam", lr=0.1), steps=20, replicates=4, seed=1)
    assert {"grad_norm_sq", "grad_norm_l1", "value", "min_grad_norm_sq"} <= set(res.metrics)
    assert "gap" not in res.metrics and "dist" not in res.metrics
    np.testing.assert_array_equal(res.x, rc.simulate(Recorder(), optimizers.make("adam", lr=0.1),
                                                      steps=20, replicates=4, seed=1).x)


def test_running_metrics_never_consume_noise():
    p = problems.make("quadratic", dim=4, noise={"kind": "gaussian", "sigma": 1.0})
    opt = optimizers.make("adam", lr=0.01)
    a = rc.simulate(p, opt, steps=100, replicates=8, seed=3, running=True)
    b = rc.simulate(p, opt, steps=100, replicates=8, seed=3, running=False)
    np.testing.assert_array_equal(a.x, b.x)
    assert "min_grad_norm_sq" not in b.metrics


@pytest.mark.parametrize("engine", ["reference", "numpy", "numba"])
@pytest.mark.parametrize("family", ["cosine_well", "online_l1"])
def test_running_gradient_only_skips_the_values(engine, family):
    """running="gradient": the running metrics of the gradient, none of the value (min_gap, avg_gap), and
    every metric both record with the same bits as running=True, on each engine."""
    if engine == "numba":
        pytest.importorskip("numba")
    p = problems.make(family, dim=3, noise={"kind": "gaussian", "sigma": 0.5})
    opt = optimizers.make("adam", lr=0.01)
    kw = dict(steps=300, replicates=6, seed=2, block_size=4, engine="auto" if engine == "numba" else engine)
    a = rc.simulate(p, opt, running=True, **kw)
    b = rc.simulate(p, opt, running="gradient", **kw)
    assert {"min_grad_norm_sq", "avg_grad_norm_sq"} <= set(b.metrics)
    assert not {"min_gap", "avg_gap"} & set(b.metrics)
    assert "min_gap" in a.metrics and (family != "online_l1" or "avg_gap" in a.metrics)
    assert set(b.metrics) == set(metric_names(p, opt, running="gradient"))
    for key in b.metrics:
        np.testing.assert_array_equal(a.metrics[key], b.metrics[key], err_msg=key)
    assert b.provenance["config"]["running"] == "gradient"


def test_running_must_be_a_known_choice():
    p = problems.make("quadratic", dim=2)
    with pytest.raises(TypeError, match="'gradient'"):
        rc.simulate(p, optimizers.make("sgd"), steps=5, replicates=2, seed=0, running="grad")


def test_seed_sequence_is_not_consumed():
    seq = np.random.SeedSequence(5)
    p = problems.make("quadratic", dim=2, noise={"kind": "gaussian"})
    opt = optimizers.make("adam")
    a = rc.simulate(p, opt, steps=10, replicates=2, seed=seq)
    b = rc.simulate(p, opt, steps=10, replicates=2, seed=seq)
    c = rc.simulate(p, opt, steps=10, replicates=2, seed=5)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.x, c.x)


class Explodes:
    """Replicate r's gradient becomes infinite after step 3*r (replicate 0 never)."""

    dim = 1

    def __init__(self):
        self.calls = 0

    def value(self, x):
        return 0.5 * x[:, 0] ** 2

    def grad(self, x):
        return x.copy()

    def stochastic_grad(self, x, rng):
        self.calls += 1
        g = x.copy()
        rows = np.arange(x.shape[0])
        g[(rows > 0) & (self.calls >= 3 * rows), 0] = np.inf
        return g


def test_divergence_is_reported_per_replicate_and_others_go_on():
    res = rc.simulate(Explodes(), optimizers.make("adam", lr=0.1), steps=30, replicates=4, seed=0,
                      x0=np.ones(1))
    # replicate r gets g = inf at step 3r: m = inf, v = inf, step inf/inf = nan -> diverged at 3r
    np.testing.assert_array_equal(res.diverged, [False, True, True, True])
    np.testing.assert_array_equal(res.diverged_step, [-1, 3, 6, 9])
    assert "3 of 4 replicates diverged" in res.message
    assert np.all(np.isfinite(res.metrics["grad_norm_sq"][:, 0]))
    assert np.isnan(res.metrics["grad_norm_sq"][-1, 1:]).all()
    assert np.isnan(res.x[1:]).all() and np.isfinite(res.x[0]).all()


def test_result_save_load_round_trip_and_checksum(tmp_path):
    p = problems.make("quadratic", dim=2, noise={"kind": "gaussian"})
    res = rc.simulate(p, optimizers.make("adam", lr=0.1), steps=30, replicates=3, seed=0)
    res.save(tmp_path / "r")
    back = rc.SimulationResult.load(tmp_path / "r")
    np.testing.assert_array_equal(back.x, res.x)
    for k in res.metrics:
        np.testing.assert_array_equal(back.metrics[k], res.metrics[k])
    assert back.optimizer == res.optimizer and back.problem == res.problem
    # a truncated array file is refused, never loaded
    npz = tmp_path / "r" / "result.npz"
    npz.write_bytes(npz.read_bytes()[:-10])
    with pytest.raises(ValueError, match="checksum"):
        rc.SimulationResult.load(tmp_path / "r")


def test_certificate_needs_an_averaging_optimizer():
    p = problems.make("quadratic", dim=2)
    res = rc.simulate(p, optimizers.make("adam"), steps=5, replicates=2, seed=0)
    with pytest.raises(ValueError, match="certificate"):
        res.certificate(1.0)
    with pytest.raises(ValueError, match="certificate"):
        rc.simulate(p, optimizers.make("adam"), steps=5, replicates=2, seed=0, certificate=True)


@pytest.mark.parametrize("name", [n for n in optimizers.names() if optimizers.make(n).output != "iterate"])
def test_certificate_matches_explicit_weighted_sums(name):
    """cert_grad_norm = ||sum_s w_s grad F(p_s)||, cert_spread = sum_s w_s ||p_s - pbar||^2."""
    p = problems.make("quadratic", dim=3, kappa=4.0)
    opt = optimizers.make(name, lr=0.05)
    steps = 25
    res = rc.simulate(p, opt, steps=steps, replicates=2, seed=9, checkpoints=[steps], running=False)
    # replay the trajectory with the same optimizer randomness through the pure API
    seq = np.random.SeedSequence(9)
    _, opt_root = seq.spawn(2)
    block = rc.optimizers.BlockRNG([np.random.Generator(np.random.PCG64(s)) for s in opt_root.spawn(1)], 256)
    state = opt.init(np.broadcast_to(p.initial_point(), (2, 3)).copy())
    pts = [state.x.copy()]
    weights = [1.0]
    for t in range(1, steps + 1):
        y = opt.query(state, block).copy()
        opt.update(state, p.grad(y))
        pts.append(y if opt.output_source == "query" else state.x.copy())
        a = opt.output_weight(t)
        weights = [w * (1 - a) for w in weights] + [a]
    w = np.array(weights)
    pts = np.array(pts)
    pbar = np.einsum("s,srd->rd", w, pts)
    gbar = np.einsum("s,srd->rd", w, np.array([p.grad(q) for q in pts]))
    spread = np.einsum("s,sr->r", w, np.sum((pts - pbar) ** 2, axis=2))
    np.testing.assert_allclose(res.output_x, pbar, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.metrics["cert_grad_norm"][-1], np.linalg.norm(gbar, axis=1), rtol=1e-9)
    np.testing.assert_allclose(res.metrics["cert_spread"][-1], spread, rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps"),
    ({"steps": 2.5}, "steps"),
    ({"replicates": -1}, "replicates"),
    ({"seed": -3}, "seed"),
    ({"x0": np.zeros(5)}, "x0"),
    ({"x0": np.array([np.nan, 0.0])}, "x0"),
    ({"checkpoints": [5, 3]}, "checkpoints"),
    ({"checkpoints": [1, 99]}, "checkpoints"),
    ({"block_size": 0}, "block_size"),
])
def test_bad_arguments_are_refused(kwargs, match):
    p = problems.make("quadratic", dim=2)
    args = {"steps": 10, "replicates": 2, "seed": 0, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        rc.simulate(p, optimizers.make("adam"), **args)


def test_bad_problem_and_optimizer_objects_are_refused():
    with pytest.raises(TypeError, match="stochastic_grad"):
        rc.simulate(object(), optimizers.make("adam"), steps=1, replicates=1, seed=0)
    with pytest.raises(TypeError, match="Optimizer"):
        rc.simulate(problems.make("quadratic"), "adam", steps=1, replicates=1, seed=0)


def test_log_checkpoints():
    grid = rc.log_checkpoints(10**6, 30)
    assert grid[0] == 1 and grid[-1] == 10**6 and np.all(np.diff(grid) > 0)
    assert 20 <= grid.size <= 31


def test_auto_compiles_long_narrow_runs():
    """A run of many steps on few coordinates pays NumPy's fixed cost per step: engine="auto" compiles it
    even when its replicate·coordinate·steps are below NUMBA_MIN_WORK."""
    p = rc.problems.make("adopt_toy", k=10.0)
    opt = rc.optimizers.make("adam")
    small = plan.NUMBA_MIN_WORK // 10
    assert plan.choose_engine("auto", p, opt, work=small, steps=100, running=True, certificate=False) == "numpy"
    assert plan.choose_engine("auto", p, opt, work=small, steps=plan.NUMBA_MIN_STEPS, running=True,
                              certificate=False) == "numba"
