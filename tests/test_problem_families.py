"""Per-family checks of the built-in problems: hand-computed values, declared constants,
oracles (unbiasedness and variance against confidence intervals, fixed seeds), the zero-chain
property, the online gradient sequence and Drori–Teboulle's exact worst case.

The shared contract (shapes, no mutation, round trips, scaling) is in test_contract.py.
"""
import math

import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers, problems
from ratecheck.problems.carmon_chain import chain_grad, progress
from ratecheck.problems.robust_regression import RHO1_MAX, RHO3_MAX

SQRT_E = math.sqrt(math.e)
SQRT_2PI_E = math.sqrt(2 * math.pi * math.e)


# --------------------------------------------------------------------------- helpers
def fd_grad(p, x, h=1e-6):
    """Central finite differences of p.value, shape like x."""
    g = np.empty_like(x)
    for i in range(p.dim):
        e = np.zeros(p.dim)
        e[i] = h
        g[:, i] = (p.value(x + e) - p.value(x - e)) / (2 * h)
    return g


def fd_hessian(p, x, h=1e-5):
    """Central finite differences of p.grad at one point x (dim,), shape (dim, dim)."""
    H = np.empty((p.dim, p.dim))
    for i in range(p.dim):
        e = np.zeros(p.dim)
        e[i] = h
        H[:, i] = (p.grad((x + e)[None]) - p.grad((x - e)[None]))[0] / (2 * h)
    return 0.5 * (H + H.T)


def grad_ratios(p, x, y):
    return np.linalg.norm(p.grad(x) - p.grad(y), axis=1) / np.linalg.norm(x - y, axis=1)


def random_pairs(rng, n, dim, centre=0.0, scale=2.0, spreads=(1e-3, 0.1, 1.0, 3.0)):
    x = centre + scale * rng.standard_normal((n, dim))
    s = rng.choice(spreads, size=(n, 1))
    return x, x + s * rng.standard_normal((n, dim))


def assert_unbiased_with_variance(g, exact, var_declared, exact_var=True):
    """Mean of the draws g (n, d) within 5 standard errors of ``exact`` in every coordinate;
    E‖g − ∇F‖² equal to (or, if not ``exact_var``, at most) the declared value within 5 s.e."""
    n = g.shape[0]
    err = g - exact
    se = err.std(axis=0, ddof=1) / math.sqrt(n)
    assert np.all(np.abs(err.mean(axis=0)) <= 5 * se + 1e-12)
    sq = np.einsum("ij,ij->i", err, err)
    se_sq = sq.std(ddof=1) / math.sqrt(n)
    if exact_var:
        assert abs(sq.mean() - var_declared) <= 5 * se_sq
    else:
        assert sq.mean() <= var_declared + 5 * se_sq


# ----------------------------------------------------------------------- cosine_well
class TestCosineWell:
    def test_hand_values(self):
        p = problems.make("cosine_well", dim=2, a=1.0, b=3.0)
        # x = (π/3, 0): φ(π/3) = (π/3)²/2 + 1 − cos π = π²/18 + 2, φ'(π/3) = π/3 + 3 sin π = π/3
        x = np.array([[math.pi / 3, 0.0]])
        assert p.value(x)[0] == pytest.approx(math.pi ** 2 / 18 + 2, rel=1e-14)
        np.testing.assert_allclose(p.grad(x), [[math.pi / 3, 0.0]], atol=1e-14)
        # x = (π/6, −π/6): φ = (π/6)²/2 + 1 − cos(π/2) each, φ'(±π/6) = ±(π/6 + 3 sin(π/2))
        x = np.array([[math.pi / 6, -math.pi / 6]])
        assert p.value(x)[0] == pytest.approx((math.pi / 6) ** 2 + 2, rel=1e-14)
        np.testing.assert_allclose(p.grad(x), [[math.pi / 6 + 3, -math.pi / 6 - 3]], rtol=1e-14)

    def test_gradient_and_constants(self, rng):
        p = problems.make("cosine_well", dim=3, a=0.7, b=2.5)
        c = p.constants()
        assert c["L"] == pytest.approx(1 + 0.7 * 2.5 ** 2) and c["H"] == pytest.approx(0.7 * 2.5 ** 3)
        x = 2 * rng.standard_normal((20, 3))
        np.testing.assert_allclose(p.grad(x), fd_grad(p, x), rtol=1e-6, atol=1e-7)
        x, y = random_pairs(rng, 4000, 3)
        r = grad_ratios(p, x, y)
        assert r.max() <= c["L"] * (1 + 1e-9)
        # L is attained: near a point where cos(b x_i) = 1 the Hessian has entries 1 + ab²
        x0 = np.zeros((1, 3))
        assert grad_ratios(p, x0, x0 + 1e-6)[0] == pytest.approx(c["L"], rel=1e-6)
        # H bounds the Hessian differences (finite-difference Hessians)
        for _ in range(30):
            a, b = 2 * rng.standard_normal(3), 2 * rng.standard_normal(3)
            d = np.linalg.norm(fd_hessian(p, a) - fd_hessian(p, b), 2)
            assert d <= c["H"] * np.linalg.norm(a - b) * (1 + 1e-6) + 1e-7

    def test_minimum_and_spurious_stationary_points(self):
        p = problems.make("cosine_well", dim=2)
        c = p.constants()
        assert p.value(c["x_star"][None])[0] == 0.0 and np.all(p.grad(c["x_star"][None]) == 0.0)
        roots = p.coordinate_stationary_points()
        # defaults a=1, b=3: 0, ±1.182 (local maxima), ±1.870 (local minima) — see the docstring
        np.testing.assert_allclose(roots, [-1.870054, -1.182217, 0.0, 1.182217, 1.870054], atol=1e-6)
        curvature = 1 + 9 * np.cos(3 * roots)
        assert list(np.sign(curvature)) == [1, -1, 1, -1, 1]
        pts = np.repeat(roots[:, None], 2, axis=1)
        assert np.abs(p.grad(pts)).max() < 1e-12
        # nonconvex but no spurious point when ab² = 4 < 4.603
        only = problems.make("cosine_well", dim=1, a=1.0, b=2.0).coordinate_stationary_points()
        np.testing.assert_allclose(only, [0.0])

    def test_gd_from_default_start_reaches_a_spurious_minimum(self):
        p = problems.make("cosine_well", dim=2)
        res = rc.simulate(p, optimizers.make("sgd", lr=1.0 / p.L), steps=300, replicates=1, seed=0)
        np.testing.assert_allclose(res.x[0], [1.870054, 1.870054], atol=1e-6)
        assert res.metrics["grad_norm_sq"][-1, 0] < 1e-20 and res.metrics["gap"][-1, 0] > 3.9

    def test_bad_parameters(self):
        with pytest.raises(ValueError, match="a must be > 0"):
            problems.make("cosine_well", a=0.0)
        with pytest.raises(ValueError, match="b must be > 0"):
            problems.make("cosine_well", b=-1.0)
        with pytest.raises(ValueError, match="dim"):
            problems.make("cosine_well", dim=0)


# ---------------------------------------------------------------- robust_regression
class TestRobustRegression:
    def test_data_minimiser_and_hand_value(self):
        p = problems.make("robust_regression", dim=4)
        A, b = p.data
        assert A.shape == (8, 4) and p.samples == 8                  # default n = 2·dim
        xs = p.x_star
        np.testing.assert_allclose(A @ xs, b, rtol=1e-12, atol=1e-12)
        assert p.value(xs[None])[0] == pytest.approx(0.0, abs=1e-25)
        np.testing.assert_allclose(p.grad(xs[None]), 0.0, atol=1e-14)
        # at x = 0 the residuals are −b: F(0) = mean log(1 + b²/2)
        assert p.value(np.zeros((1, 4)))[0] == pytest.approx(np.mean(np.log(1 + b ** 2 / 2)), rel=1e-14)
        # one row, one coordinate: a = A[0,0], F(x) = log(1 + (a x − b)²/2), F'(x) = a·2r/(2 + r²)
        q = problems.make("robust_regression", dim=1, samples=1, data_seed=3)
        (a,), (bb,) = q.data[0][0], q.data[1]
        r = a * 0.5 - bb
        assert q.value(np.array([[0.5]]))[0] == pytest.approx(math.log(1 + r * r / 2), rel=1e-14)
        assert q.grad(np.array([[0.5]]))[0, 0] == pytest.approx(a * 2 * r / (2 + r * r), rel=1e-14)

    def test_seed_reproducibility(self):
        a = problems.make("robust_regression", dim=3, data_seed=5).data[0]
        b = problems.make("robust_regression", dim=3, data_seed=5).data[0]
        c = problems.make("robust_regression", dim=3, data_seed=6).data[0]
        assert np.array_equal(a, b) and not np.array_equal(a, c)

    def test_loss_derivative_extremes(self):
        # max|ρ''| = 1 (r = 0), min ρ'' = −1/8 (r² = 6), max|ρ'''| = 1/2 + 3√2/8 at r = ±(2 − √2),
        # max|ρ'| = 1/√2 at r = √2, on a dense grid
        r = np.linspace(-20, 20, 2_000_001)
        d1 = 2 * r / (2 + r * r)
        d2 = 2 * (2 - r * r) / (2 + r * r) ** 2
        d3 = 4 * r * (r * r - 6) / (2 + r * r) ** 3
        assert np.abs(d1).max() == pytest.approx(RHO1_MAX, rel=1e-9)
        assert d2.max() == pytest.approx(1.0) and d2.min() == pytest.approx(-0.125, rel=1e-9)
        assert np.abs(d3).max() == pytest.approx(RHO3_MAX, rel=1e-9)

    def test_gradient_and_constants(self, rng):
        p = problems.make("robust_regression", dim=5, samples=12, data_seed=1)
        c = p.constants()
        A, _ = p.data
        lam = np.linalg.eigvalsh(A.T @ A)[-1]
        assert c["L"] == pytest.approx(lam / 12)
        assert c["H"] == pytest.approx(RHO3_MAX * np.linalg.norm(A, axis=1).max() * lam / 12)
        x = p.x_star + 2 * rng.standard_normal((20, 5))
        np.testing.assert_allclose(p.grad(x), fd_grad(p, x), rtol=1e-6, atol=1e-8)
        x, y = random_pairs(rng, 4000, 5, centre=p.x_star)
        assert grad_ratios(p, x, y).max() <= c["L"] * (1 + 1e-9)
        assert np.linalg.norm(p.grad(4 * rng.standard_normal((4000, 5))), axis=1).max() <= c["G"]
        # L is attained at x* along the top eigenvector (the Hessian there is AᵀA/n)
        v = np.linalg.eigh(A.T @ A)[1][:, -1]
        xs = p.x_star[None]
        assert grad_ratios(p, xs, xs + 1e-7 * v)[0] == pytest.approx(c["L"], rel=1e-5)
        for _ in range(30):
            a, b = p.x_star + 2 * rng.standard_normal((2, 5))
            d = np.linalg.norm(fd_hessian(p, a) - fd_hessian(p, b), 2)
            assert d <= c["H"] * np.linalg.norm(a - b) * (1 + 1e-6) + 1e-7

    def test_bad_parameters(self):
        with pytest.raises(ValueError, match="samples"):
            problems.make("robust_regression", samples=0)
        with pytest.raises(ValueError, match="data_seed"):
            problems.make("robust_regression", data_seed=-1)


# ------------------------------------------------------------------- nonsmooth_well
class TestNonsmoothWell:
    def test_hand_values_and_G(self):
        p = problems.make("nonsmooth_well", dim=2, a=1.0, b=2.0)
        # x = (π/4, −π/4): |x| + 1 − cos(π/2) = π/4 + 1 each; g = ±(1 + 2 sin(π/2)) = ±3
        x = np.array([[math.pi / 4, -math.pi / 4]])
        assert p.value(x)[0] == pytest.approx(math.pi / 2 + 2, rel=1e-14)
        np.testing.assert_allclose(p.grad(x), [[3.0, -3.0]], rtol=1e-14)
        # G = √d(1 + ab) = 3√2 is attained there
        assert np.linalg.norm(p.grad(x)) == pytest.approx(p.G, rel=1e-14)
        # at the minimiser the subgradient with sign(0) = 0 is 0
        assert p.value(np.zeros((1, 2)))[0] == 0.0 and np.all(p.grad(np.zeros((1, 2))) == 0.0)

    def test_gradient_away_from_kinks_and_G_bound(self, rng):
        p = problems.make("nonsmooth_well", dim=4, a=0.5, b=3.0)
        x = 3 * rng.standard_normal((30, 4))
        x[np.abs(x) < 1e-3] = 0.5
        np.testing.assert_allclose(p.grad(x), fd_grad(p, x), rtol=1e-6, atol=1e-7)
        g = p.grad(10 * rng.standard_normal((5000, 4)))
        assert np.linalg.norm(g, axis=1).max() <= p.G

    def test_spurious_stationary_points(self):
        p = problems.make("nonsmooth_well", dim=1)
        maxima, minima = p.coordinate_stationary_points(count=3)
        # a=1, b=2: sin(2u) = −1/2 at u = 7π/12 + kπ (maxima) and 11π/12 + kπ (minima)
        np.testing.assert_allclose(maxima, 7 * np.pi / 12 + np.pi * np.arange(3), rtol=1e-14)
        np.testing.assert_allclose(minima, 11 * np.pi / 12 + np.pi * np.arange(3), rtol=1e-14)
        assert np.abs(p.grad(np.concatenate([maxima, minima])[:, None])).max() < 1e-14
        assert np.all(np.cos(2 * maxima) < 0) and np.all(np.cos(2 * minima) > 0)
        assert problems.make("nonsmooth_well", a=0.4, b=2.0).coordinate_stationary_points()[0].size == 0


# ------------------------------------------------------------------------------- l1
class TestL1:
    def test_hand_values(self):
        p = problems.make("l1", dim=3, weights=[1.0, 2.0, 3.0], center=[0.0, 1.0, -1.0])
        # x = (1, 1, 1): 1·1 + 2·0 + 3·2 = 7, g = (1, 2·sign(0) = 0, 3)
        x = np.ones((1, 3))
        assert p.value(x)[0] == 7.0
        np.testing.assert_array_equal(p.grad(x), [[1.0, 0.0, 3.0]])
        assert p.G == pytest.approx(math.sqrt(14))
        assert p.value(p.x_star[None])[0] == 0.0 and p.f_star == 0.0
        assert p.constants()["D"] is None and p.domain is None

    def test_box_domain(self, rng):
        p = problems.make("l1", dim=4, center=[0.5, -0.5, 0.0, 0.5], radius=0.5)
        lo, hi = p.domain
        np.testing.assert_array_equal(lo, -0.5)
        np.testing.assert_array_equal(hi, 0.5)
        assert p.constants()["D"] == pytest.approx(2 * 0.5 * 2)             # 2r√d
        x0 = p.initial_point()
        assert np.all(np.abs(x0) <= 0.5) and np.all(x0 != p.center)
        s = np.array([1.0, 2.0, 4.0, 0.5])
        q = problems.make("l1", dim=4, center=[0.5, -0.5, 0.0, 0.5], radius=0.5, scales=s)
        assert q.constants()["D"] == pytest.approx(2 * 0.5 * np.linalg.norm(1 / s))
        with pytest.raises(ValueError, match="center"):
            problems.make("l1", dim=2, center=[0.0, 2.0], radius=1.0)
        with pytest.raises(ValueError, match="radius"):
            problems.make("l1", radius=-1.0)
        with pytest.raises(ValueError, match="weights"):
            problems.make("l1", dim=2, weights=[1.0, 0.0])

    @pytest.mark.parametrize("dim", [1, 2, 7, 8, 9, 16, 17, 64, 127, 128, 129, 300])
    def test_value_of_a_row_does_not_depend_on_the_rows_beside_it(self, dim):
        # rowwise = True: the engines evaluate F on a block, a thread's piece of it or a chunk of stored
        # iterates (sim/kernels.py), so a row's F must have the same bits whatever rows come with it
        rng = np.random.default_rng(dim)
        weights = np.exp(2.0 * rng.standard_normal(dim))
        for scales in (None, np.exp(rng.standard_normal(dim))):
            p = problems.make("l1", dim=dim, weights=weights, center=rng.standard_normal(dim), scales=scales)
            for n in (1, 2, 3, 5, 8, 33, 257):
                x = rng.standard_normal((n, dim)) * np.exp(3.0 * rng.standard_normal((n, dim)))
                block = p.value(x)
                alone = np.concatenate([p.value(x[i:i + 1].copy()) for i in range(n)])
                np.testing.assert_array_equal(block.view(np.uint64), alone.view(np.uint64))
                for a, b in ((0, n // 2), (n // 2, n), (1, n)):     # pieces that start at odd rows too
                    np.testing.assert_array_equal(p.value(x[a:b]).view(np.uint64), block[a:b].view(np.uint64))

    def test_projected_sgd_with_averaging_meets_the_bound(self):
        # E F(x̄_T) − F* ≤ D√(G² + σ²)/√T with η = D/(√(G²+σ²)√T) (classical); checked on the median
        p = problems.make("l1", dim=5, center=0.3, radius=1.0, noise={"kind": "gaussian", "sigma": 0.5})
        c, T = p.constants(), 2000
        eta = c["D"] / math.sqrt((c["G"] ** 2 + c["sigma2"]) * T)
        opt = optimizers.make("sgd", lr=eta, average="uniform")
        res = rc.simulate(p, opt, steps=T, replicates=64, seed=1, running=False)
        gap = res.metrics["out_gap"][-1]
        assert gap.mean() + 3 * gap.std(ddof=1) / 8 <= c["D"] * math.sqrt(c["G"] ** 2 + c["sigma2"]) / math.sqrt(T)


# ------------------------------------------------------------------- reddi_online
class TestReddiOnline:
    def test_gradient_sequence_and_period_average(self, rng):
        p = problems.make("reddi_online", C=3.0)
        x = rng.uniform(-1, 1, (4, 1))
        seq = [p.stochastic_grad(x, rng, t)[0, 0] for t in range(1, 8)]
        assert seq == [3.0, -1.0, -1.0, 3.0, -1.0, -1.0, 3.0]
        for t in (1, 2, 3):
            g = p.stochastic_grad(x, rng, t)
            assert g.shape == (4, 1) and np.all(g == g[0, 0])
        with pytest.raises(ValueError, match="time-varying"):
            p.stochastic_grad(x, rng)
        # F(x) = (C − 2)x/3, x* = −1, f* = −1/3 for C = 3
        np.testing.assert_allclose(p.value(x), x[:, 0] / 3)
        np.testing.assert_allclose(p.grad(x), 1 / 3)
        c = p.constants()
        assert c["f_star"] == pytest.approx(-1 / 3) and c["x_star"].tolist() == [-1.0]
        # sigma2 = period average of (g_t − ∇F)² = ((8/3)² + 2(4/3)²)/3 = 2(C+1)²/9 = 32/9
        assert c["sigma2"] == pytest.approx(((8 / 3) ** 2 + 2 * (4 / 3) ** 2) / 3) == pytest.approx(32 / 9)
        assert p.domain[0].tolist() == [-1.0] and p.domain[1].tolist() == [1.0]

    def test_loss_and_average_regret(self):
        p = problems.make("reddi_online", C=3.0)
        x = np.array([[0.5], [-1.0]])
        np.testing.assert_allclose(p.loss(x, 1), [1.5, -3.0])
        np.testing.assert_allclose(p.loss(x, 2), [-0.5, 1.0])
        # T = 3, played +1 throughout: Σ g x = 3 − 1 − 1 = 1, S_T = 1, R_T = 1 + |1| = 2 → 2/3;
        # played −1 throughout: −1 + 1 = 0
        xs = np.array([[1.0, -1.0]] * 3)
        np.testing.assert_allclose(p.average_regret(xs), [2 / 3, 0.0])
        np.testing.assert_allclose(p.average_regret(xs[:, :, None]), [2 / 3, 0.0])
        # T = 2 (S_T = 2, best point −1): played 0 then 1: Σ g x = −1, R = −1 + 2 = 1 → 1/2
        np.testing.assert_allclose(p.average_regret(np.array([[0.0], [1.0]])), [0.5])

    def test_bad_parameters(self):
        for C in (2.0, 1.0, -3.0):
            with pytest.raises(ValueError, match="C must be > 2"):
                problems.make("reddi_online", C=C)
        with pytest.raises(ValueError, match="dim must be 1"):
            problems.make("reddi_online", dim=2)


# --------------------------------------------------------------- reddi_stochastic
class TestReddiStochastic:
    def test_constants(self):
        p = problems.make("reddi_stochastic", C=3.0, delta=0.5)
        assert p.p == pytest.approx(0.375)
        c = p.constants()
        # F = δx; σ² = pC² + (1 − p) − δ² = 3.375 + 0.625 − 0.25 = 3.75 = (1 + δ)(C − δ)
        assert c["sigma2"] == pytest.approx(3.75) and c["f_star"] == -0.5 and c["x_star"].tolist() == [-1.0]
        np.testing.assert_allclose(p.value(np.array([[0.4]])), [0.2])
        np.testing.assert_allclose(p.grad(np.array([[0.4]])), [[0.5]])

    def test_oracle_unbiased_with_exact_variance(self):
        p = problems.make("reddi_stochastic", C=10.0, delta=0.2)
        x = np.zeros((200_000, 1))
        g = p.stochastic_grad(x, np.random.default_rng(4))
        assert set(np.unique(g)) == {10.0, -1.0}
        assert_unbiased_with_variance(g, 0.2, (1.2) * (9.8))

    def test_bad_parameters(self):
        with pytest.raises(ValueError, match="delta must be > 0"):
            problems.make("reddi_stochastic", delta=0.0)
        with pytest.raises(ValueError, match="C must be > delta"):
            problems.make("reddi_stochastic", C=0.5, delta=0.5)
        with pytest.raises(ValueError, match="dim must be 1"):
            problems.make("reddi_stochastic", dim=3)


# ---------------------------------------------------------------------- adopt_toy
class TestAdoptToy:
    def test_constants_and_oracle(self):
        p = problems.make("adopt_toy", k=10)
        c = p.constants()
        # σ² = k³ + k² − k − 1 = (k − 1)(k + 1)² = 9·121
        assert c["sigma2"] == 1089.0 and c["f_star"] == -1.0 and c["x_star"].tolist() == [-1.0]
        assert p.initial_point().tolist() == [0.0]
        g = p.stochastic_grad(np.zeros((200_000, 1)), np.random.default_rng(5))
        assert set(np.unique(g)) == {100.0, -10.0}
        assert_unbiased_with_variance(g, 1.0, 1089.0)

    def test_bad_parameters(self):
        for k in (0.5, 0.0, -2.0):
            with pytest.raises(ValueError, match="k must be >= 1"):
                problems.make("adopt_toy", k=k)


# ---------------------------------------------------------------------- zero chains
class TestCarmonChain:
    def test_unscaled_hand_values(self):
        # L = 152, eps = 1 gives λ = 1 and F = F̄_T
        p = problems.make("carmon_chain", dim=4, L=152.0, eps=1.0)
        assert p.lam == 1.0 and p.value_scale == 1.0
        # F̄_T(0) = −Ψ(1)Φ(0) = −√(2πe)/2 ; ∇F̄_T(0) = (−Φ'(0), 0, …) = (−√e, 0, 0, 0)
        assert p.value(np.zeros((1, 4)))[0] == pytest.approx(-SQRT_2PI_E / 2, rel=1e-14)
        np.testing.assert_allclose(p.grad(np.zeros((1, 4))), [[-SQRT_E, 0, 0, 0]], rtol=1e-14)
        # T = 2, y = (1, 0): Ψ(1) = 1, Ψ(−1) = 0, so F = −Φ(1) − Φ(0);
        # ∂1 = −Φ'(1) − Ψ'(1)Φ(0) = −√e e^{−1/2} − 4·√(2πe)/2 = −1 − 2√(2πe); ∂2 = −(Ψ(1)+Ψ(−1))Φ'(0) = −√e
        q = problems.make("carmon_chain", dim=2, L=152.0, eps=1.0)
        y = np.array([[1.0, 0.0]])
        from scipy.special import ndtr
        assert q.value(y)[0] == pytest.approx(-SQRT_2PI_E * (ndtr(1.0) + 0.5), rel=1e-14)
        np.testing.assert_allclose(q.grad(y), [[-1 - 2 * SQRT_2PI_E, -SQRT_E]], rtol=1e-14)
        # T = 1: F̄_1(y) = −Φ(y), F̄_1'(y) = −√e e^{−y²/2}
        r = problems.make("carmon_chain", dim=1, L=152.0, eps=1.0)
        assert r.value(np.array([[0.7]]))[0] == pytest.approx(-SQRT_2PI_E * ndtr(0.7), rel=1e-14)
        assert r.grad(np.array([[0.7]]))[0, 0] == pytest.approx(-SQRT_E * math.exp(-0.245), rel=1e-14)
        assert r.progress(np.array([[0.7], [0.1]])).tolist() == [1, 0]

    def test_gradient_lipschitz_and_bounds(self, rng):
        p = problems.make("carmon_chain", dim=6, L=2.0, eps=0.05)
        lam, c = p.lam, p.constants()
        assert lam == pytest.approx(152 * 0.05 / 2)
        x = lam * 1.5 * rng.standard_normal((40, 6))
        np.testing.assert_allclose(p.grad(x), fd_grad(p, x, h=1e-6 * lam), rtol=1e-5, atol=1e-8)
        x, y = random_pairs(rng, 20000, 6, scale=2 * lam, spreads=(1e-3 * lam, 0.1 * lam, lam))
        assert grad_ratios(p, x, y).max() <= c["L"]
        g = p.grad(lam * rng.uniform(-4, 4, (20000, 6)))
        assert np.abs(g).max() <= p.grad_inf_bound == pytest.approx(23 * 0.05)
        assert np.linalg.norm(g, axis=1).max() <= c["G"]
        # every x with |x_T| < λ has ‖∇F‖ > ε
        x = lam * rng.uniform(-3, 3, (20000, 6))
        x[:, -1] = lam * rng.uniform(-1, 1, 20000)
        assert np.linalg.norm(p.grad(x), axis=1).min() > 0.05

    def test_infimum_and_delta(self, rng):
        p = problems.make("carmon_chain", dim=5, L=1.0, eps=0.1)
        c, s = p.constants(), p.value_scale
        # inf F = −s√(2πe)(1 + e(T−1)), approached as all y_i → +∞, never attained
        assert c["f_star"] == pytest.approx(-s * SQRT_2PI_E * (1 + math.e * 4))
        assert c["x_star"] is None
        far = p.value(np.full((1, 5), 200.0 * p.lam))[0]
        assert c["f_star"] < far < c["f_star"] + 1e-4 * abs(c["f_star"])
        assert p.value(p.lam * 3 * rng.standard_normal((5000, 5))).min() > c["f_star"]
        assert c["Delta"] == pytest.approx(p.value(np.zeros((1, 5)))[0] - c["f_star"])
        assert c["Delta"] <= 12 * 5 * s
        T = problems.get("carmon_chain").chain_length(Delta=50.0, L=1.0, eps=0.1)
        assert problems.make("carmon_chain", dim=T, eps=0.1).constants()["Delta"] <= 50.0
        assert problems.make("carmon_chain", dim=T + 1, eps=0.1).constants()["Delta"] > 50.0

    def test_zero_chain_property(self, rng):
        T = 8
        for i in range(T + 1):
            y = rng.uniform(-0.25, 0.25, (200, T))               # |y_j| ≤ 1/4 beyond i
            y[:, :i] = rng.choice([-1, 1], (200, i)) * rng.uniform(0.26, 3.0, (200, i))
            assert np.all(progress(y) == i)
            g = chain_grad(y)
            assert np.all(g[:, i + 1:] == 0.0), f"gradient beyond coordinate {i + 1} at prog {i}"
            if 0 < i < T:
                # with |y_i| > 1/2 (Ψ > 0) the next coordinate i+1 does receive a gradient
                y[:, i - 1] = np.sign(y[:, i - 1]) * rng.uniform(0.6, 3.0, 200)
                assert np.all(chain_grad(y)[:, i] != 0.0)

    def test_progress_and_gd_discovers_one_coordinate_per_step(self):
        p = problems.make("carmon_chain", dim=5, L=1.0, eps=0.1)
        assert p.progress(np.zeros((2, 5))).tolist() == [0, 0]
        x = np.array([[0.3, 0.0, -0.3, 0.0, 0.1]]) * p.lam
        assert p.progress(x).tolist() == [3]
        assert p.progress(x, alpha=0.2).tolist() == [3] and p.progress(x, alpha=0.0).tolist() == [5]
        s = np.full(5, 2.0)
        q = problems.make("carmon_chain", dim=5, L=1.0, eps=0.1, scales=s)
        assert q.progress(x / 2).tolist() == [3]
        # GD with step 1/L from 0: the number of nonzero coordinates grows by at most one per step
        x = np.zeros((1, 5))
        nonzero = 0
        for _ in range(3000):
            x = x - p.grad(x) / p.L
            now = int(np.count_nonzero(x))
            assert now <= nonzero + 1
            nonzero = now
        assert nonzero == 5

    def test_bad_parameters(self):
        with pytest.raises(ValueError, match="eps"):
            problems.make("carmon_chain", eps=0.0)
        with pytest.raises(ValueError, match="L must be > 0"):
            problems.make("carmon_chain", L=-1.0)
        with pytest.raises(ValueError, match="dim"):
            problems.make("carmon_chain", dim=0)


class TestArjevaniChain:
    @staticmethod
    def _point(p, j, rng):
        """A point with prog_{1/4}(x/λ) = j (coordinates > j inside [−1/4, 1/4])."""
        y = rng.uniform(-0.2, 0.2, p.dim)
        y[:j] = rng.uniform(0.6, 2.0, j)
        return (y * p.lam)[None]

    def test_same_function_as_carmon(self, rng):
        a = problems.make("arjevani_chain", dim=6, eps=0.2, p=0.3)
        c = problems.make("carmon_chain", dim=6, eps=0.2)
        x = a.lam * rng.standard_normal((10, 6))
        np.testing.assert_array_equal(a.value(x), c.value(x))
        np.testing.assert_array_equal(a.grad(x), c.grad(x))
        ca, cc = a.constants(), c.constants()
        assert all(ca[k] == cc[k] for k in ("L", "G", "f_star", "Delta"))
        assert ca["sigma2"] == pytest.approx((23 * 0.2) ** 2 * 0.7 / 0.3)

    def test_oracle_unbiased_reveals_next_coordinate_with_probability_p(self, rng):
        p = problems.make("arjevani_chain", dim=6, eps=0.2, p=0.3)
        n, j = 100_000, 2
        x = np.repeat(self._point(p, j, rng), n, axis=0)
        assert np.all(p.progress(x) == j)
        exact = p.grad(x[:1])[0]
        g = p.stochastic_grad(x, np.random.default_rng(8))
        # discovered coordinates are exact, coordinates beyond j+1 are 0, coordinate j+1 is ∇·ξ/p
        np.testing.assert_array_equal(g[:, :j], np.broadcast_to(exact[:j], (n, j)))
        assert np.all(g[:, j + 1:] == 0.0)
        revealed = g[:, j] != 0.0
        np.testing.assert_allclose(g[revealed, j], exact[j] / 0.3, rtol=1e-14)
        # P(revealed) = p: binomial 5-s.e. interval
        assert abs(revealed.mean() - 0.3) <= 5 * math.sqrt(0.3 * 0.7 / n)
        var = p.oracle_variance(x[:1])[0]
        assert var == pytest.approx(exact[j] ** 2 * 0.7 / 0.3)
        assert var <= p.sigma2
        assert_unbiased_with_variance(g, exact, var)

    def test_one_bernoulli_per_replicate_per_query(self, rng):
        p = problems.make("arjevani_chain", dim=4, eps=0.2, p=0.4)
        x = np.repeat(self._point(p, 1, rng), 64, axis=0)
        g = p.stochastic_grad(x, np.random.default_rng(21))
        xi = np.random.default_rng(21).random(64) < 0.4
        np.testing.assert_array_equal(g[:, 1] != 0.0, xi)

    def test_sgd_on_the_chain_needs_about_T_over_p_queries(self):
        # Each new coordinate needs a query with ξ = 1, so after t queries the progress is at most
        # Binomial(t, p), of mean pt. GD on the deterministic chain (T = 4, ε = 0.2, step 1/L) has
        # discovered all 4 coordinates after 169 steps (measured); with p = 0.01 SGD has, on
        # average, at most pt = 2 after t = 200 = T/(2p) queries, and all 4 after 3T/p = 1200.
        p = problems.make("arjevani_chain", dim=4, eps=0.2, p=0.01)
        opt = optimizers.make("sgd", lr=1.0 / p.L)
        q = problems.make("carmon_chain", dim=4, eps=0.2)
        det = rc.simulate(q, opt, steps=169, replicates=1, seed=3, running=False)
        assert q.progress(det.x).tolist() == [4]
        short = rc.simulate(p, opt, steps=200, replicates=256, seed=3, running=False)
        assert p.progress(short.x).mean() <= 0.01 * 200 + 5 * math.sqrt(0.01 * 0.99 * 200 / 256)
        long = rc.simulate(p, opt, steps=1200, replicates=256, seed=3, running=False)
        assert np.median(p.progress(long.x)) == 4

    def test_bad_parameters(self):
        for bad in (0.0, 1.5, -0.1):
            with pytest.raises(ValueError, match="p must be"):
                problems.make("arjevani_chain", p=bad)


# --------------------------------------------------------------------- drori_teboulle
class TestDroriTeboulle:
    def test_hand_values(self):
        p = problems.make("drori_teboulle", N=2, h=1.0, L=2.0, R=5.0)
        # δ = R/(2Nh + 1) = 1; f(5) = Lδ·5 − Lδ²/2 = 10 − 1 = 9; f(1/2) = L/8 = 1/4
        assert p.delta == 1.0
        np.testing.assert_allclose(p.value(np.array([[5.0], [0.5], [-3.0]])), [9.0, 0.25, 5.0])
        np.testing.assert_allclose(p.grad(np.array([[5.0], [0.5], [-3.0]])), [[2.0], [1.0], [-2.0]])
        assert p.initial_point().tolist() == [5.0] and p.G == 2.0
        assert p.worst_case_gap() == pytest.approx(2 * 25 / (2 * 5))

    @pytest.mark.parametrize("N,h", [(1, 1.0), (7, 1.0), (50, 0.5), (400, 0.3), (1000, 1.0)])
    def test_gd_reaches_the_worst_case_exactly(self, N, h):
        L, R = 2.5, 3.0
        p = problems.make("drori_teboulle", N=N, h=h, L=L, R=R)
        res = rc.simulate(p, optimizers.make("sgd", lr=h / L), steps=N, replicates=1, seed=0)
        assert res.checkpoints[-1] == N
        # f(x_N) = L R²/(2(2Nh + 1)), with x_N = δ(Nh + 1) still on the linear piece
        assert res.x[0, 0] == pytest.approx(p.delta * (N * h + 1), rel=1e-10)
        assert res.metrics["gap"][-1, 0] == pytest.approx(L * R ** 2 / (2 * (2 * N * h + 1)), rel=1e-10)
        assert res.metrics["gap"][-1, 0] == pytest.approx(p.worst_case_gap(), rel=1e-10)

    def test_bad_parameters(self):
        for h in (0.0, 1.5):
            with pytest.raises(ValueError, match="h must be"):
                problems.make("drori_teboulle", h=h)
        with pytest.raises(ValueError, match="N must be >= 1"):
            problems.make("drori_teboulle", N=0)
        with pytest.raises(ValueError, match="R must be > 0"):
            problems.make("drori_teboulle", R=-1.0)
        with pytest.raises(ValueError, match="dim must be 1"):
            problems.make("drori_teboulle", dim=2)


# ------------------------------------------------------------ scaling and added noise
@pytest.mark.parametrize("name", ["cosine_well", "arjevani_chain"])
def test_make_with_scales_and_noise(name, rng):
    base = problems.make(name, dim=3)
    s = np.array([0.5, 1.0, 4.0])
    p = problems.make(name, dim=3, scales=s, noise={"kind": "gaussian", "sigma": 0.3})
    x = base.initial_point() / s + 0.1 * rng.standard_normal((1, 3))
    np.testing.assert_allclose(p.grad(x), s * base.grad(x * s), rtol=1e-13)
    c, cb = p.constants(), base.constants()
    assert c["L"] == pytest.approx(cb["L"] * 16)
    assert c["sigma2"] == pytest.approx(cb["sigma2"] * 16 + 3 * 0.09)
    g = p.stochastic_grad(np.repeat(x, 50_000, axis=0), np.random.default_rng(2))
    assert_unbiased_with_variance(g, p.grad(x)[0], c["sigma2"], exact_var=(name == "cosine_well"))


def test_online_l1_records_the_average_regret_against_x_star():
    import ratecheck as rc
    p = rc.problems.make("online_l1", dim=3, radius=1.0, center=0.25, noise={"kind": "rademacher", "sigma": 0.5})
    opt = rc.optimizers.make("adamomentum", lr={"schedule": "inv_sqrt", "lr": 0.1})
    N = 50
    res = rc.simulate(p, opt, steps=N, replicates=7, seed=3, checkpoints=list(range(1, N + 1)))
    gap0 = p.value(np.repeat(p.initial_point()[None], 7, axis=0))  # F(x_0) - F*, F* = 0
    # avg_gap(t) = (1/t) sum_{s<t} (F(x_s) - F*), x_0 included: the running average regret against x*
    gaps = np.vstack([gap0[None], res.metrics["gap"][:-1]])
    np.testing.assert_allclose(res.metrics["avg_gap"], np.cumsum(gaps, axis=0) / np.arange(1, N + 1)[:, None],
                               rtol=1e-12)
    assert "avg_gap" not in rc.simulate(rc.problems.make("l1", radius=1.0), opt, steps=5, replicates=2,
                                        seed=0).metrics
    with pytest.raises(ValueError, match="radius"):
        rc.problems.make("online_l1", radius=None)
