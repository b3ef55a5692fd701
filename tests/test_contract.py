"""Contract suite: every registered optimizer and problem family, same checks.

A new optimizer or family is covered as soon as it is registered.
"""
from dataclasses import fields

import numpy as np
import pytest

import ratecheck as rc
from ratecheck.sim.simulate import metric_names
from ratecheck import optimizers, problems

OPTIMIZERS = optimizers.names()
PROBLEMS = problems.names()


# --------------------------------------------------------------------------- helpers
def _points(p, n, rng, spread=1.0):
    """n points around the problem's start, inside its domain."""
    x0 = np.asarray(p.initial_point(), dtype=float)
    x = x0 + spread * rng.standard_normal((n, p.dim))
    p.project(x)
    return x


def _sgrad(p, x, rng, t=1):
    return p.stochastic_grad(x, rng, t) if p.time_varying else p.stochastic_grad(x, rng)


def _coordinate_violations(p, rng) -> dict:
    """Which declared per-coordinate properties fail numerically (an empty dict: none).

    ``G_coords``: |∂_iF| <= G_i at points around the start (and scaled far out); ``noise_bound``:
    |g_i − ∂_iF| <= b_i on 20 000 draws; ``sigma_coords``: the empirical per-coordinate variance is
    within its CI of σ_i² or below it, and Σσ_i² is the declared σ² when both are declared.
    """
    c, bad = p.constants(), {}
    x = _points(p, 400, rng, spread=3.0)
    if c["G_coords"] is not None and np.any(np.abs(p.grad(x)) > c["G_coords"] * (1 + 1e-9) + 1e-12):
        bad["G_coords"] = "a partial derivative exceeds its declared bound"
    if p.time_varying or (c["noise_bound"] is None and c["sigma_coords"] is None):
        return bad
    n = 20000
    xs = np.repeat(x[:1], n, axis=0)
    err = p.stochastic_grad(xs, np.random.default_rng(5)) - p.grad(xs[:1])[0]
    if c["noise_bound"] is not None and np.any(np.abs(err) > c["noise_bound"] * (1 + 1e-12) + 1e-12):
        bad["noise_bound"] = f"a draw exceeds its declared almost-sure bound (max |noise| {np.abs(err).max():.3g})"
    if c["sigma_coords"] is not None:
        sq = err * err
        if np.any(sq.mean(axis=0) > c["sigma_coords"] ** 2 + 5 * sq.std(axis=0, ddof=1) / np.sqrt(n) + 1e-12):
            bad["sigma_coords"] = "a coordinate's noise variance exceeds its declared sigma_i^2"
        if np.isfinite(c["sigma2"]) and not np.isclose(np.sum(c["sigma_coords"] ** 2), c["sigma2"], rtol=1e-12):
            bad["sigma_coords"] = "the declared sigma_i^2 do not add up to the declared sigma^2"
    return bad


# ------------------------------------------------------------------------- problems
@pytest.mark.parametrize("name", PROBLEMS)
class TestProblemContract:
    def test_builds_and_round_trips(self, name):
        p = problems.make(name)
        assert p.dim >= 1 and p.name == name
        again = problems.from_config(p.describe())
        assert again.describe() == p.describe()
        assert problems.get(name).category, "each family declares a category"
        assert problems.describe(name)

    def test_shapes_dtypes_no_mutation_determinism(self, name, rng):
        p = problems.make(name)
        x = _points(p, 7, rng)
        before = x.copy()
        v, g = p.value(x), p.grad(x)
        s1 = _sgrad(p, x, np.random.default_rng(3))
        s2 = _sgrad(p, x, np.random.default_rng(3))
        assert v.shape == (7,) and v.dtype == np.float64
        assert g.shape == (7, p.dim) and g.dtype == np.float64
        assert s1.shape == (7, p.dim) and s1.dtype == np.float64
        assert np.array_equal(x, before), "inputs must not be mutated"
        assert np.array_equal(s1, s2), "same generator state must give the same draw"
        assert np.all(np.isfinite(v)) and np.all(np.isfinite(g)) and np.all(np.isfinite(s1))

    def test_optimum_declared_consistently(self, name):
        p = problems.make(name)
        c = p.constants()
        if c["x_star"] is None or c["f_star"] is None:
            pytest.skip("no declared minimiser")
        xs = np.asarray(c["x_star"], dtype=float)[None, :]
        assert p.value(xs)[0] == pytest.approx(c["f_star"], abs=1e-12 * max(1.0, abs(c["f_star"])))

    def test_gradient_matches_finite_differences(self, name, rng):
        p = problems.make(name)
        x = _points(p, 3, rng, spread=0.3)
        h = 1e-6
        g = p.grad(x)
        for i in range(min(p.dim, 6)):
            e = np.zeros(p.dim)
            e[i] = h
            fd = (p.value(x + e) - p.value(x - e)) / (2 * h)
            np.testing.assert_allclose(g[:, i], fd, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(g).max()))

    def test_declared_L_bounds_gradient_differences(self, name, rng):
        p = problems.make(name)
        L = p.constants()["L"]
        if L is None:
            pytest.skip("not smooth")
        for spread in (1e-3, 0.3, 3.0):
            x = _points(p, 200, rng)
            y = x + spread * rng.standard_normal(x.shape)
            p.project(y)
            num = np.linalg.norm(p.grad(x) - p.grad(y), axis=1)
            den = np.linalg.norm(x - y, axis=1)
            keep = den > 0
            assert np.all(num[keep] <= L * den[keep] * (1 + 1e-9) + 1e-12)

    def test_declared_H_bounds_hessian_differences(self, name, rng):
        # Taylor with an H-Lipschitz Hessian: ||grad F(x+h) + grad F(x-h) - 2 grad F(x)|| <= H ||h||^2
        p = problems.make(name)
        H = p.constants()["H"]
        if H is None:
            pytest.skip("no declared H")
        for spread in (1e-2, 0.3, 1.0):
            x = _points(p, 200, rng)
            h = spread * rng.standard_normal(x.shape)
            second = p.grad(x + h) + p.grad(x - h) - 2.0 * p.grad(x)
            lhs = np.linalg.norm(second, axis=1)
            assert np.all(lhs <= H * np.einsum("ij,ij->i", h, h) * (1 + 1e-9) + 1e-11)

    def test_declared_G_bounds_gradient(self, name, rng):
        p = problems.make(name)
        G = p.constants()["G"]
        if G is None:
            pytest.skip("no declared G")
        x = _points(p, 500, rng, spread=3.0)
        assert np.all(np.linalg.norm(p.grad(x), axis=1) <= G * (1 + 1e-9))

    @pytest.mark.parametrize("noise", [None, {"kind": "rademacher", "sigma": 0.5}, {"kind": "uniform", "sigma": 0.3},
                                       {"kind": "sparse", "sigma": 0.4, "p": 0.2}, {"kind": "gaussian", "sigma": 0.5}])
    def test_declared_per_coordinate_constants_hold(self, name, noise, rng):
        p = problems.make(name, noise=noise)
        assert _coordinate_violations(p, rng) == {}
        c = p.constants()
        if noise is not None and noise["kind"] == "gaussian":
            assert c["noise_bound"] is None            # unbounded noise declares no almost-sure bound

    @pytest.mark.parametrize("noise", [None, {"kind": "gaussian", "sigma": 0.5}])
    def test_stochastic_gradient_unbiased_with_declared_variance(self, name, noise, rng):
        p = problems.make(name, noise=noise)
        if p.time_varying:
            pytest.skip("online problem: its gradient sequence is tested in test_problem_families")
        n = 20000
        x = np.repeat(_points(p, 1, rng, spread=0.3), n, axis=0)
        g = p.stochastic_grad(x, np.random.default_rng(11))
        exact = p.grad(x[:1])[0]
        err = g - exact
        se = err.std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(err.mean(axis=0)) <= 5 * se + 1e-12), "mean must lie in the CI of the true gradient"
        sigma2 = p.constants()["sigma2"]
        sq = np.einsum("ij,ij->i", err, err)
        if np.isfinite(sigma2):
            assert sq.mean() <= sigma2 + 5 * sq.std(ddof=1) / np.sqrt(n) + 1e-12

    def test_scaling_transforms_constants(self, name, rng):
        base = problems.make(name)
        s = np.geomspace(0.5, 2.0, base.dim)
        p = problems.make(name, scales=s)
        x = _points(p, 5, rng, spread=0.2)
        # F(x) = f(s * x), so grad F(x) = s * grad f(s * x)
        np.testing.assert_allclose(p.value(x), base.value(x * s), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(p.grad(x), s * base.grad(x * s), rtol=1e-12, atol=1e-300)
        cb, cp = base.constants(), p.constants()
        if cb["L"] is not None:
            assert cp["L"] == pytest.approx(cb["L"] * s.max() ** 2)
        if cb["x_star"] is not None:
            np.testing.assert_allclose(cp["x_star"], np.asarray(cb["x_star"]) / s)

    def test_bad_parameters_are_refused(self, name):
        with pytest.raises(TypeError, match="unknown parameter"):
            problems.make(name, no_such_parameter=1)
        with pytest.raises((TypeError, ValueError), match="noise"):
            problems.make(name, noise={"kind": "nope"})
        with pytest.raises(ValueError, match="scales"):
            problems.make(name, scales=[-1.0] * problems.make(name).dim)


# ----------------------------------------------------------------------- optimizers
def _quadratic(noise=0.1):
    return problems.make("quadratic", dim=3, kappa=10.0, noise={"kind": "gaussian", "sigma": noise})


@pytest.mark.parametrize("name", OPTIMIZERS)
class TestOptimizerContract:
    def test_builds_and_round_trips(self, name):
        opt = optimizers.make(name)
        assert opt.name == name
        assert optimizers.from_config(opt.describe()) == opt
        assert optimizers.describe(name)

    def test_bad_hyperparameters_are_refused(self, name):
        with pytest.raises(TypeError, match="no_such"):
            optimizers.make(name, no_such=1)
        with pytest.raises(ValueError, match="lr"):
            optimizers.make(name, lr=-0.1)
        for f in fields(optimizers.get(name)):
            if f.name.startswith("beta") or f.name in ("momentum", "ema_beta"):
                with pytest.raises(ValueError, match=f.name):
                    optimizers.make(name, **{f.name: 1.0})
                with pytest.raises(ValueError, match=f.name):
                    optimizers.make(name, **{f.name: -0.1})

    def test_step_is_pure_and_shapes_are_stable(self, name, rng):
        opt = optimizers.make(name, lr=0.01)
        x0 = rng.standard_normal((5, 3))
        x0_copy = x0.copy()
        state = opt.init(x0)
        assert np.array_equal(x0, x0_copy)
        p = _quadratic()
        for t in range(4):
            snapshot = {k: v.copy() for k, v in state.arrays().items()}
            new = opt.step(state, p.grad, rng=np.random.default_rng(t))
            for k, v in state.arrays().items():
                assert np.array_equal(v, snapshot[k], equal_nan=True), f"step mutated state.{k}"
            assert new.x.shape == (5, 3) and new.x.dtype == np.float64
            assert new.t == state.t + 1
            state = new
        assert np.all(np.isfinite(state.x))

    def test_simulation_is_reproducible_to_the_bit(self, name):
        opt, p = optimizers.make(name, lr=0.01), _quadratic()
        a = rc.simulate(p, opt, steps=60, replicates=300, seed=7, block_size=256)
        b = rc.simulate(p, opt, steps=60, replicates=300, seed=7, block_size=256, n_checkpoints=5)
        c = rc.simulate(p, opt, steps=60, replicates=256, seed=7, block_size=256)
        assert np.array_equal(a.x, b.x), "the checkpoint grid must not change the trajectory"
        assert np.array_equal(a.x[:256], c.x), "a replicate must not depend on how many run beside it"
        for k in b.metrics:
            np.testing.assert_array_equal(a.metrics[k][-1], b.metrics[k][-1])
        assert all(v.shape == (a.checkpoints.size, 300) for v in a.metrics.values())
        assert sorted(a.metrics) == metric_names(p, opt)

    def test_output_point_is_declared(self, name):
        opt = optimizers.make(name)
        assert opt.output in ("iterate", "average", "ema")
        assert opt.output_source in ("iterate", "query")
        if opt.output != "iterate":
            for t in (1, 2, 10, 1000):
                assert 0.0 < opt.output_weight(t) <= 1.0
            res = rc.simulate(_quadratic(), opt, steps=20, replicates=4, seed=0)
            assert {"out_grad_norm_sq", "cert_grad_norm", "cert_spread"} <= set(res.metrics)


def test_a_false_declaration_fails_the_contract_checks(rng):
    # the same checks catch a family that claims more than it has: a too-small per-coordinate G, bounded noise
    # declared for Gaussian noise, and a too-small per-coordinate variance
    class Overclaims(problems.get("nonsmooth_well")):
        def constants(self):
            c = super().constants()
            return {**c, "G_coords": 0.5 * c["G_coords"], "noise_bound": np.full(self.dim, 3.0),
                    "sigma_coords": 0.5 * c["sigma_coords"]}

    bad = _coordinate_violations(Overclaims(dim=4, noise={"kind": "gaussian", "sigma": 1.0}), rng)
    assert set(bad) == {"G_coords", "noise_bound", "sigma_coords"}, bad


# ------------------------------------------------------------------- every option, same checks
#: at least one non-default value of every hyperparameter of every optimizer (the meta-test below
#: fails when an option is added without a variant here); each variant gets the contract checks
OPTION_VARIANTS = [
    ("sgd", {"momentum": 0.5, "dampening": 0.1}), ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("sgd", {"momentum": 0.5, "form": "ema"}), ("sgd", {"average": "polynomial", "average_eta": 2.0}),
    ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("rmsprop", {"beta2": 0.9, "eps": 1e-6, "momentum": 0.5, "centered": True}),
    ("adam", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "convention": "paper"}),
    ("adam", {"weight_decay": 0.1}), ("adam", {"weight_decay": 0.1, "decouple": True}),
    ("amsgrad", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "convention": "torch"}),
    ("amsgrad", {"weight_decay": 0.1}), ("amsgrad", {"weight_decay": 0.1, "decouple": True}),
    ("adam_ema", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "convention": "paper", "ema_beta": 0.9}),
    ("adam_ema", {"weight_decay": 0.1}), ("adam_ema", {"weight_decay": 0.1, "decouple": True}),
    ("adopt", {"beta1": 0.5, "beta2": 0.5, "eps": 1e-8, "clip": False}),
    ("adopt", {"weight_decay": 0.1}), ("adopt", {"weight_decay": 0.1, "decouple": True}),
    ("adamomentum", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-8}), ("adamomentum", {"rectify": True}),
    ("adamomentum", {"amsgrad": True}), ("adamomentum", {"rectify": True, "amsgrad": True}),
    ("adamomentum", {"weight_decay": 0.1}), ("adamomentum", {"weight_decay": 0.1, "decouple": False}),
    ("adamomentum", {"weight_decay": 0.1, "fixed_decay": True}),
    ("adamomentum", {"beta1": {"schedule": "one_minus_inv_sqrt", "beta": 0.3}}),
    ("adamomentum", {"beta1": {"schedule": "geometric", "beta": 0.9, "decay": 0.9}}),
    ("clipped_adam_ema", {"beta": 0.9, "clip_radius": 0.1, "ema_beta": 0.5, "clip": "global"}),
    ("clipped_adam_ema", {"scaling": "uniform"}),
    ("sgdm_random_scaling", {"beta": 0.9, "mu": 0.5, "ema_beta": 0.5}),
]


def test_every_option_of_every_optimizer_has_a_variant():
    covered = {(name, key) for name, kw in OPTION_VARIANTS for key in kw}
    missing = [(name, f.name) for name in OPTIMIZERS for f in fields(optimizers.get(name))
               if f.name != "lr" and (name, f.name) not in covered]
    assert not missing, f"options without a contract variant in OPTION_VARIANTS: {missing}"
    for name, kw in OPTION_VARIANTS:
        default = optimizers.make(name)
        for key, value in kw.items():
            assert getattr(optimizers.make(name, **kw), key) != getattr(default, key), (name, key)


@pytest.mark.parametrize("name, kw", OPTION_VARIANTS)
class TestOptionContract:
    def test_round_trips(self, name, kw):
        opt = optimizers.make(name, **kw)
        assert optimizers.from_config(opt.describe()) == opt

    def test_step_is_pure_and_shapes_are_stable(self, name, kw, rng):
        opt = optimizers.make(name, lr=0.01, **kw)
        state = opt.init(rng.standard_normal((5, 3)))
        p = _quadratic()
        for t in range(7):
            snapshot = {k: v.copy() for k, v in state.arrays().items()}
            new = opt.step(state, p.grad, rng=np.random.default_rng(t))
            for k, v in state.arrays().items():
                assert np.array_equal(v, snapshot[k], equal_nan=True), f"step mutated state.{k}"
            assert new.x.shape == (5, 3) and new.t == state.t + 1
            state = new
        assert np.all(np.isfinite(state.x))

    def test_simulation_is_reproducible_and_engines_agree(self, name, kw):
        opt, p = optimizers.make(name, lr=0.01, **kw), _quadratic()
        a = rc.simulate(p, opt, steps=60, replicates=300, seed=7, block_size=256)
        b = rc.simulate(p, opt, steps=60, replicates=256, seed=7, block_size=256, n_checkpoints=5)
        r = rc.simulate(p, opt, steps=60, replicates=300, seed=7, block_size=256, engine="reference")
        assert np.array_equal(a.x[:256], b.x), "a replicate must not depend on how many run beside it"
        assert np.array_equal(a.x, r.x), "every engine must give the reference's bits"
        for k in a.metrics:
            np.testing.assert_array_equal(a.metrics[k], r.metrics[k])
