"""Hand-derived steps, closed forms and reductions for every registered optimizer.

Each expected value is derived in the comment above its assertion. Gradients are passed as
arrays (an oracle that ignores the query point), so trajectories are deterministic except
for the optimizers' own random scalings, which are reproduced from the same seed.
"""
import math

import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers, schedules
from ratecheck.optimizers import BlockRNG

G = np.array([[0.5, -2.0, 3e-3],
              [1.0, -1.0, 7.0]])  # one fixed gradient, shape (replicates=2, dim=3)
X0 = np.array([[0.0, 1.0, -1.0],
               [2.0, 0.0, 0.5]])


def run(opt, grads, x0=X0, seed=0):
    """States after each step, feeding grads[t] as the t-th gradient; one BlockRNG throughout."""
    rng = BlockRNG.single(seed)
    state = opt.init(x0)
    out = []
    for g in grads:
        state = opt.step(state, g, rng=rng)
        out.append(state)
    return out


def xs(states):
    return np.array([s.x for s in states])


def const(g=G, T=6):
    return [g] * T


def random_grads(T=8, shape=X0.shape, seed=1, zero_col=None):
    g = np.random.default_rng(seed).standard_normal((T, *shape))
    if zero_col is not None:
        g[:, :, zero_col] = 0.0
    return g


def make(name, **kw):
    return optimizers.make(name, **kw)


def close(actual, expected, rtol):
    """Relative agreement; the absolute floor covers cancellation in positions of order 1."""
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-14)


# ------------------------------------------------------------------------ first steps
A = 0.1  # step size used by the hand derivations


def test_adam_first_steps():
    # torch: m1 = (1-b1) g, v1 = (1-b2) g^2; bias correction gives m1/(1-b1) = g and
    # sqrt(v1/(1-b2)) = |g|, so x1 - x0 = -a g / (|g| + eps)
    s = run(make("adam", lr=A), const(T=1))[0]
    close(s.x - X0, -A * G / (np.abs(G) + 1e-8), 1e-14)
    # paper (no bias correction, eps = 0): -a (1-b1) g / (sqrt(1-b2) |g|) = -a 0.1/sqrt(0.001) sign(g)
    s = run(make("adam", lr=A, convention="paper"), const(T=1))[0]
    close(s.x - X0, -A * 0.1 / math.sqrt(1e-3) * np.sign(G), 1e-13)


@pytest.mark.parametrize("kw, factor", [
    ({}, 1.0),                                                  # x1 = x0 - a g
    ({"momentum": 0.9}, 1.0),                                   # torch: buf1 = g, no dampening
    ({"momentum": 0.9, "dampening": 0.5}, 1.0),                 # dampening skipped on step 1
    ({"momentum": 0.9, "nesterov": True}, 1.9),                 # d1 = g + 0.9 buf1 = 1.9 g
    ({"momentum": 0.9, "form": "ema"}, 0.1),                    # m1 = (1 - 0.9) g
    ({"momentum": 0.9, "form": "ema", "nesterov": True}, 0.19),  # 0.9 m1 + 0.1 g = 0.19 g
])
def test_sgd_first_step(kw, factor):
    s = run(make("sgd", lr=A, **kw), const(T=1))[0]
    close(s.x - X0, -A * factor * G, 1e-14)


def test_adagrad_first_step():
    # v1 = v0 + g^2; x1 - x0 = -a g / (sqrt(v0 + g^2) + eps)
    s = run(make("adagrad", lr=A), const(T=1))[0]
    close(s.x - X0, -A * G / (np.abs(G) + 1e-10), 1e-14)
    s = run(make("adagrad", lr=A, initial_accumulator_value=0.25), const(T=1))[0]
    close(s.x - X0, -A * G / (np.sqrt(0.25 + G**2) + 1e-10), 1e-14)


def test_rmsprop_first_step():
    b2, eps = 0.99, 1e-8
    # v1 = (1-b2) g^2: x1 - x0 = -a g / (sqrt(1-b2) |g| + eps); momentum: b1 = g/den, same step
    for kw in ({}, {"momentum": 0.5}):
        s = run(make("rmsprop", lr=A, **kw), const(T=1))[0]
        close(s.x - X0, -A * G / (math.sqrt(1 - b2) * np.abs(G) + eps), 1e-13)
    # centered: gbar1 = (1-b2) g, v1 - gbar1^2 = (1-b2) b2 g^2
    s = run(make("rmsprop", lr=A, centered=True), const(T=1))[0]
    close(s.x - X0, -A * G / (math.sqrt((1 - b2) * b2) * np.abs(G) + eps), 1e-12)


def test_amsgrad_first_step_is_adams():
    # v_hat1 = max(0, v1) = v1, so the first step is Adam's in the same convention
    for conv in ("paper", "torch"):
        a = run(make("amsgrad", lr=A, convention=conv), const(T=1))[0]
        b = run(make("adam", lr=A, convention=conv), const(T=1))[0]
        assert np.array_equal(a.x, b.x)


def test_adopt_first_two_calls():
    g1, g2 = G, np.array([[3.0, 1e-9, -0.5], [-2.0, 0.0, 70.0]])
    s1, s2 = run(make("adopt", lr=A), [g1, g2])
    # first call: v0 = g1^2, m0 = 0, the iterate does not move, but the gradient counts
    assert s1.t == 1 and np.array_equal(s1.x, X0)
    np.testing.assert_array_equal(s1.v, g1 * g1)
    assert not np.any(s1.m)
    # second call: x - x0 = -a (1-b1) clip(g2 / max(|g1|, eps), -1, 1)  (c_1 = 1^(1/4) = 1)
    expected = -A * 0.1 * np.clip(g2 / np.maximum(np.abs(g1), 1e-6), -1.0, 1.0)
    close(s2.x - X0, expected, 1e-14)
    # v is updated after use: v1 = b2 g1^2 + (1-b2) g2^2
    np.testing.assert_allclose(s2.v, 0.9999 * g1**2 + 1e-4 * g2**2, rtol=1e-12)
    # unclipped: -a (1-b1) g2 / max(|g1|, eps)
    s2 = run(make("adopt", lr=A, clip=False), [g1, g2])[1]
    close(s2.x - X0, -A * 0.1 * g2 / np.maximum(np.abs(g1), 1e-6), 1e-14)


def test_adamomentum_first_step():
    b1, b2 = 0.9, 0.999
    # m1 = (1-b1) g, v1 = (1-b2) m1^2 + eps; m1/(1-b1) = g and v1/(1-b2) = (1-b1)^2 g^2 + eps/(1-b2),
    # so x1 - x0 = -a g / sqrt((1-b1)^2 g^2 + eps/(1-b2))  (about -10 a sign(g): v is built from m)
    for eps in (1e-16, 1e-8):  # the official default, and the fairseq wrapper's
        s = run(make("adamomentum", lr=A, eps=eps), const(T=1))[0]
        close(s.x - X0, -A * G / np.sqrt((1 - b1) ** 2 * G**2 + eps / (1 - b2)), 1e-13)


def _adam3_moments(grads, b1, b2, eps):
    """(m_t, v_t) of AdaM3.py by its recursion: m = b1 m + (1-b1) g; v = b2 v + (1-b2) m^2 + eps."""
    m, v, out = 0.0 * grads[0], 0.0 * grads[0], []
    for g in grads:
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * m * m + eps
        out.append((m, v))
    return out


def test_adamomentum_rectified_steps_match_the_official_code():
    b1, b2, eps = 0.9, 0.999, 1e-16
    rho_inf = 2 / (1 - b2) - 1  # 1999
    rho = [rho_inf - 2 * t * b2**t / (1 - b2**t) for t in range(1, 8)]
    # rho_t = 1.0, 2.0, ..., 4.99 for t <= 5 and 5.99 at t = 6: five plain momentum steps, then rectified
    assert max(rho[:5]) < 5 <= rho[5]
    traj = xs(run(make("adamomentum", lr=A, rectify=True), const(T=7)))
    # plain momentum step: -a m_t/(1-b1^t) = -a G (m_t = (1-b1^t) G for a constant gradient)
    for t in range(1, 6):
        close(traj[t - 1] - X0, -t * A * G, 1e-13)
    # t = 6, 7: -a r_t/(1-b1^t) m_t/(sqrt(v_t) + eps), v_t with its accumulated eps, not bias-corrected
    mv = _adam3_moments([G] * 7, b1, b2, eps)
    prev = traj[4]
    for t in (6, 7):
        r = math.sqrt((1 - b2**t) * (rho[t - 1] - 4) / (rho_inf - 4) * (rho[t - 1] - 2) / rho[t - 1]
                      * rho_inf / (rho_inf - 2))
        m, v = mv[t - 1]
        close(traj[t - 1] - prev, -A * r / (1 - b1**t) * m / (np.sqrt(v) + eps), 1e-12)
        prev = traj[t - 1]


def test_adamomentum_amsgrad_takes_the_max_of_v_plus_eps():
    b1, b2, eps = 0.1, 0.5, 1e-16
    g1, g2 = 10.0 * G, 1e-3 * G  # v falls from step 1 to step 2 (short memories)
    (m1, v1), (m2, v2) = _adam3_moments([g1, g2], b1, b2, eps)
    assert np.all(v2 < v1)
    s1, s2 = run(make("adamomentum", lr=A, beta1=b1, beta2=b2, amsgrad=True), [g1, g2])
    np.testing.assert_allclose(s2.vmax, np.maximum(v1, v2), rtol=1e-14)
    # x2 - x1 = -a/(1-b1^2) m2 / (sqrt(max(v1, v2)) / sqrt(1-b2^2))
    close(s2.x - s1.x, -A / (1 - b1**2) * m2 / (np.sqrt(np.maximum(v1, v2)) / np.sqrt(1 - b2**2)), 1e-13)
    plain = run(make("adamomentum", lr=A, beta1=b1, beta2=b2), [g1, g2])[1]
    close(plain.x - s1.x, -A / (1 - b1**2) * m2 / (np.sqrt(v2) / np.sqrt(1 - b2**2)), 1e-13)


def test_adamomentum_weight_decay_coupled_decoupled_fixed():
    b1, b2, eps, lam = 0.9, 0.999, 1e-16, 0.3

    def step(g):  # the first update without decay, for a gradient g
        return -A * g / np.sqrt((1 - b1) ** 2 * g**2 + eps / (1 - b2))
    # decoupled (the official default): x1 = x0 (1 - a lam) + step(g)
    s = run(make("adamomentum", lr=A, weight_decay=lam), const(T=1))[0]
    close(s.x, X0 * (1 - A * lam) + step(G), 1e-13)
    # fixed_decay: x1 = x0 (1 - lam) + step(g)
    s = run(make("adamomentum", lr=A, weight_decay=lam, fixed_decay=True), const(T=1))[0]
    close(s.x, X0 * (1 - lam) + step(G), 1e-13)
    # coupled: the gradient is g + lam x0, which also enters m and v
    s = run(make("adamomentum", lr=A, weight_decay=lam, decouple=False), const(T=1))[0]
    close(s.x - X0, step(G + lam * X0), 1e-13)


def test_adamomentum_beta1_schedule_first_two_steps():
    beta, b2, eps = 0.3, 0.999, 1e-16
    g1, g2 = G, np.array([[3.0, 1e-9, -0.5], [-2.0, 0.0, 70.0]])
    s1, s2 = run(make("adamomentum", lr=A, beta1={"schedule": "one_minus_inv_sqrt", "beta": beta}), [g1, g2])
    # beta1_1 = 1 - beta, beta1_2 = 1 - beta/sqrt 2; the bias correction is 1 - prod_s beta1_s
    c1, c2 = 1 - beta, 1 - beta / math.sqrt(2)
    m1 = beta * g1                     # (1 - beta1_1) g1; corrected by 1 - c1 = beta: g1
    v1 = (1 - b2) * m1**2 + eps
    close(s1.x - X0, -A * g1 / np.sqrt(v1 / (1 - b2)), 1e-13)
    m2 = c2 * m1 + (1 - c2) * g2
    v2 = b2 * v1 + (1 - b2) * m2**2 + eps
    close(s2.x - s1.x, -A * (m2 / (1 - c1 * c2)) / np.sqrt(v2 / (1 - b2**2)), 1e-12)
    # geometric beta1_t = b lam^t
    g = run(make("adamomentum", lr=A, beta1={"schedule": "geometric", "beta": 0.9, "decay": 0.5}), [g1])[0]
    m1 = (1 - 0.45) * g1
    close(g.x - X0, -A * (m1 / 0.55) / np.sqrt(((1 - b2) * m1**2 + eps) / (1 - b2)), 1e-13)


@pytest.mark.parametrize("hp", [{"beta1": {"schedule": "geometric", "beta": 0.9, "decay": 0.999}},
                                {"beta1": {"schedule": "one_minus_inv_sqrt", "beta": 0.3}, "rectify": True,
                                 "weight_decay": 0.1}, {"weight_decay": 0.1, "decouple": True}, {}])
def test_adamomentum_kernel_scalars_of_a_chunk_are_those_of_its_steps(hp):
    # the numba engine asks for a chunk of steps at once (the β1 product carried along the chunk); a
    # chunk, a jump back (a resume) or forward must give the bits of one step at a time
    chunked, stepped = (make("adamomentum", lr={"schedule": "inv_sqrt", "lr": 0.1}, **hp) for _ in range(2))
    for t0, n in [(1, 5), (6, 1), (7, 40), (100, 3), (50, 7), (57, 1), (58, 2)]:
        one_by_one = np.vstack([stepped.kernel_scalars(t, 1) for t in range(t0, t0 + n)])
        np.testing.assert_array_equal(chunked.kernel_scalars(t0, n).view(np.uint64), one_by_one.view(np.uint64))


def test_adam_weight_decay_first_step():
    lam = 0.3
    # torch Adam(weight_decay): g' = g + lam x0, first step -a g'/(|g'| + eps)
    s = run(make("adam", lr=A, weight_decay=lam), const(T=1))[0]
    gp = G + lam * X0
    close(s.x - X0, -A * gp / (np.abs(gp) + 1e-8), 1e-13)
    # torch AdamW: x1 = x0 (1 - a lam) - a g/(|g| + eps)
    s = run(make("adam", lr=A, weight_decay=lam, decouple=True), const(T=1))[0]
    close(s.x, X0 * (1 - A * lam) - A * G / (np.abs(G) + 1e-8), 1e-13)


def test_adopt_weight_decay_first_two_calls():
    lam, g1, g2 = 0.3, G, np.array([[3.0, 1e-9, -0.5], [-2.0, 0.0, 70.0]])
    # coupled (official default): g + lam x at every call, the first included: v0 = (g1 + lam x0)^2
    s1, s2 = run(make("adopt", lr=A, weight_decay=lam), [g1, g2])
    assert np.array_equal(s1.x, X0)
    np.testing.assert_allclose(s1.v, (g1 + lam * X0) ** 2, rtol=1e-15)
    close(s2.x - X0, -A * 0.1 * np.clip((g2 + lam * X0) / np.maximum(np.abs(g1 + lam * X0), 1e-6), -1, 1), 1e-14)
    # decoupled: no decay at the first call; then x <- x - a lam x before the normalised step
    s1, s2 = run(make("adopt", lr=A, weight_decay=lam, decouple=True), [g1, g2])
    assert np.array_equal(s1.x, X0)
    np.testing.assert_array_equal(s1.v, g1 * g1)
    close(s2.x, X0 - A * lam * X0 - A * 0.1 * np.clip(g2 / np.maximum(np.abs(g1), 1e-6), -1, 1), 1e-14)


@pytest.mark.parametrize("name", ["adam", "amsgrad", "adam_ema", "adopt", "adamomentum"])
def test_weight_decay_runs_on_the_compiled_kernel_with_the_reference_bits(name):
    pytest.importorskip("numba")
    from ratecheck.sim import kernels as _kernels
    p = rc.problems.make("quadratic", dim=3, kappa=10.0, noise={"kind": "gaussian", "sigma": 0.5})
    kw = dict(steps=60, replicates=5, seed=4, block_size=3)
    for decouple in (False, True):
        opt = make(name, lr=0.05, weight_decay=0.1, decouple=decouple)
        assert _kernels.unsupported(p, opt, running=True, certificate=False) is None
        ref = rc.simulate(p, opt, engine="reference", **kw)
        fast = rc.simulate(p, opt, engine="numba", **kw)
        np.testing.assert_array_equal(fast.x.view(np.uint64), ref.x.view(np.uint64))
        for key, value in ref.metrics.items():
            np.testing.assert_array_equal(fast.metrics[key], value, err_msg=key)


def test_clipped_adam_ema_first_two_steps():
    # Algorithm 1 + beta-FTRL (Ahn & Cutkosky), gamma = lr multiplies the learner's scale D
    beta, gamma, D = 0.9, 0.3, 0.02
    rng_ref = np.random.default_rng(3)
    seen = []

    def oracle(x):
        seen.append(x.copy())
        return G

    opt = make("clipped_adam_ema", lr=gamma, beta=beta, clip_radius=D)
    rng = BlockRNG.single(3)
    s1 = opt.step(opt.init(X0), oracle, rng=rng)
    s2 = opt.step(s1, oracle, rng=rng)
    a1, a2 = rng_ref.standard_exponential((2, 1)), rng_ref.standard_exponential((2, 1))
    # step 1: every earlier g is 0, so z_1 = 0 and x_1 = x_0 + a_1 * 0 = x_0; the gradient is taken there
    assert np.array_equal(s1.z, np.zeros_like(X0)) and np.array_equal(s1.x, X0)
    np.testing.assert_array_equal(s1.alpha, a1)
    # m_1 = g, v_1 = g^2: z_2 = -clip_D(gamma D g/|g|) = -gamma D sign(g) (gamma < 1: inside the box)
    close(s2.z, -gamma * D * np.sign(G), 1e-15)
    # x_2 = x_1 + a_2 z_2 with a_2 the second Exp(1) draw, and the oracle is called at x_2 itself
    close(s2.x, X0 - a2 * gamma * D * np.sign(G), 1e-15)
    np.testing.assert_array_equal(seen[1], s2.x)
    np.testing.assert_array_equal(seen[0], X0)
    # the paper's scale (gamma = 1): |D g/|g|| = D sits on the box, and from step 3 on the clip binds:
    # m_2 = (1+b) g, v_2 = (1+b^2) g^2, D (1+b)/sqrt(1+b^2) > D, so z_3 = -D sign(g)
    s3 = run(make("clipped_adam_ema", beta=beta, clip_radius=D), const(T=3))[2]
    close(s3.z, -D * np.sign(G), 1e-15)


def test_clipped_adam_ema_is_adam_with_the_papers_scale():
    # In Adam's terms (b1 = b, b2 = b^2, eps = 0, no bias correction): z_{t+1} = -clip_D(gamma D
    # sqrt((1+b)/(1-b)) m_t/sqrt(v_t)); a small gamma keeps the clip inactive on these gradients
    grads, b, gamma, D = random_grads(T=10, zero_col=2), 0.8, 0.01, 0.5
    c = run(make("clipped_adam_ema", lr=gamma, beta=b, clip_radius=D), grads)
    a = run(make("adam", lr=1.0, beta1=b, beta2=b * b, convention="paper"), grads)
    for sc, sa in zip(c[:-1], a[:-1]):
        den = np.sqrt(sa.v)
        ratio = np.divide(sa.m, den, out=np.zeros_like(den), where=den > 0)
        nxt = make("clipped_adam_ema", lr=gamma, beta=b, clip_radius=D).increment(sc.copy())
        close(nxt, -gamma * D * math.sqrt((1 + b) / (1 - b)) * ratio, 1e-12)
        assert np.abs(nxt).max() < D


def test_clipped_adam_ema_scalings_are_exponential_one_per_replicate_and_step():
    # alpha_t = (x_t - x_{t-1}) / z_t, the same on every coordinate, is Exp(1) distributed (KS test,
    # fixed seed); the same sample is far from U[0,1], so the test can tell the two conversions apart
    from scipy import stats
    n, steps = 500, 6
    x0 = np.zeros((n, 3))
    g = np.tile([[1.0, -3.0, 0.5]], (n, 1))
    states = run(make("clipped_adam_ema", lr=0.5, beta=0.9, clip_radius=1.0), [g] * steps, x0=x0, seed=11)
    alphas = []
    for prev, new in zip(states[1:-1], states[2:]):
        ratio = (new.x - prev.x) / new.z
        np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones((1, 3)), rtol=1e-12)
        np.testing.assert_allclose(ratio[:, :1], new.alpha, rtol=1e-12)
        alphas.append(ratio[:, 0])
    alphas = np.concatenate(alphas)
    assert alphas.size == n * (steps - 2)
    assert stats.kstest(alphas, "expon").pvalue > 0.01
    assert stats.kstest(alphas, "uniform").pvalue < 1e-10


def test_sgdm_random_scaling_first_two_steps():
    beta, eta = 0.9, A
    rng_ref = np.random.default_rng(4)
    s1, s2 = run(make("sgdm_random_scaling", lr=eta, beta=beta), const(T=2), seed=4)
    e1, e2 = rng_ref.standard_exponential((2, 1)), rng_ref.standard_exponential((2, 1))
    # Delta_1 = 0: the first query is at x1 = x0; then Delta_2 = b (Delta_1 - eta g) = -b eta g
    assert np.array_equal(s1.x, X0)
    np.testing.assert_allclose(s1.delta, -beta * eta * G, rtol=1e-15)
    # x2 = x1 + s2 Delta_2 with s2 ~ Exp(1) the second draw; Delta_3 = b (Delta_2 - eta g)
    close(s2.x, X0 - e2 * beta * eta * G, 1e-14)
    np.testing.assert_allclose(s2.delta, -(beta + beta**2) * eta * G, rtol=1e-14)
    assert e1.shape == (2, 1)
    # mu > 0 shrinks the momentum: Delta_2 = b/(1 + eta mu) (0 - eta g)
    s1 = run(make("sgdm_random_scaling", lr=eta, beta=beta, mu=3.0), const(T=1))[0]
    np.testing.assert_allclose(s1.delta, -beta / (1 + eta * 3.0) * eta * G, rtol=1e-14)


# ------------------------------------------------------------- constant-gradient closed forms
T = 6
TS = np.arange(1, T + 1)[:, None, None]


def test_adam_constant_gradient():
    b1, b2, eps = 0.9, 0.999, 1e-8
    # m_t = (1-b1^t) g, v_t = (1-b2^t) g^2: every torch step is -a g/(|g|+eps)
    traj = xs(run(make("adam", lr=A), const(T=T)))
    close(traj, X0 - TS * A * G / (np.abs(G) + eps), 1e-12)
    # paper: step_t = -a (1-b1^t) g / sqrt((1-b2^t) g^2)
    traj = xs(run(make("adam", lr=A, convention="paper"), const(T=T)))
    steps = -A * (1 - b1**TS) / np.sqrt(1 - b2**TS) * np.sign(G)
    close(traj, X0 + np.cumsum(steps, axis=0), 1e-12)


def test_sgd_constant_gradient():
    b = 0.9
    # torch: buf_t = sum_{s<=t} b^(t-s) g = (1-b^t)/(1-b) g; x_T = x0 - a g sum_t (1-b^t)/(1-b)
    traj = xs(run(make("sgd", lr=A, momentum=b), const(T=T)))
    close(traj, X0 - A * G * np.cumsum((1 - b**TS) / (1 - b), axis=0), 1e-13)
    # EMA form: m_t = (1-b^t) g
    traj = xs(run(make("sgd", lr=A, momentum=b, form="ema"), const(T=T)))
    close(traj, X0 - A * G * np.cumsum(1 - b**TS, axis=0), 1e-13)


def test_adagrad_constant_gradient():
    # v_t = t g^2: step_t = -a_t g / (sqrt(t)|g| + eps), a_t = a / (1 + (t-1) delta) with lr_decay
    eps, delta = 1e-10, 0.5
    traj = xs(run(make("adagrad", lr=A, lr_decay=delta), const(T=T)))
    steps = -A / (1 + (TS - 1) * delta) * G / (np.sqrt(TS) * np.abs(G) + eps)
    close(traj, X0 + np.cumsum(steps, axis=0), 1e-12)


def test_rmsprop_constant_gradient():
    b2, eps = 0.99, 1e-8
    # v_t = (1-b2^t) g^2
    traj = xs(run(make("rmsprop", lr=A), const(T=T)))
    steps = -A * G / (np.sqrt(1 - b2**TS) * np.abs(G) + eps)
    close(traj, X0 + np.cumsum(steps, axis=0), 1e-12)


def test_adopt_constant_gradient():
    # v_k = g^2 for all k (b2 g^2 + (1-b2) g^2), so g_hat = sign(g) (|g| >= eps), never clipped;
    # m_k = (1-b1^k) sign(g) and x after K+1 calls is x0 - a sign(g) sum_{k<=K} (1-b1^k)
    for clip in (True, False):
        traj = xs(run(make("adopt", lr=A, clip=clip), const(T=T)))
        k = TS - 1
        close(traj, X0 - A * np.sign(G) * np.cumsum(1 - 0.9**k, axis=0), 1e-12)


def test_adopt_clip_value_is_k_to_the_quarter():
    # g0 = 1e-3 then g_k = 1: v_{k-1} = b2^(k-1) 1e-6 + (1 - b2^(k-1)), g_hat_k = 1/sqrt(v_{k-1}),
    # which is 1000, 99.5, 70.7, ... > k^(1/4) for small k; with b1 = 0, x_k - x_{k-1} = -a c_k
    b2, K = 0.9999, 5
    grads = [np.full((1, 1), 1e-3)] + [np.ones((1, 1))] * K
    x0 = np.zeros((1, 1))
    incs = np.diff(xs(run(make("adopt", lr=A, beta1=0.0), grads, x0=x0))[:, 0, 0])
    k = np.arange(1, K + 1)
    np.testing.assert_allclose(incs, -A * k ** 0.25, rtol=1e-14)
    incs = np.diff(xs(run(make("adopt", lr=A, beta1=0.0, clip=False), grads, x0=x0))[:, 0, 0])
    v_prev = b2 ** (k - 1) * 1e-6 + (1 - b2 ** (k - 1))
    np.testing.assert_allclose(incs, -A / np.sqrt(v_prev), rtol=1e-10)


def test_adamomentum_constant_gradient():
    b1, b2, eps = 0.9, 0.999, 1e-8
    # m_t = (1-b1^t) g; v_t = sum_{s<=t} b2^(t-s) [(1-b2) m_s^2 + eps] (unrolled recursion)
    traj = xs(run(make("adamomentum", lr=A, eps=eps), const(T=T)))
    m = (1 - b1**TS) * G
    v = np.array([sum(b2 ** (t - s) * ((1 - b2) * m[s - 1] ** 2 + eps) for s in range(1, t + 1))
                  for t in range(1, T + 1)])
    steps = -A * (m / (1 - b1**TS)) / np.sqrt(v / (1 - b2**TS))
    close(traj, X0 + np.cumsum(steps, axis=0), 1e-12)


def test_clipped_adam_ema_constant_gradient():
    b, gamma, D = 0.9, 0.5, 0.1
    # z_t = -min(D, gamma D rho_{t-1}) sign(g), rho_k = sum_{s<k} b^s / sqrt(sum_{s<k} b^2s)
    #     = (1-b^k)/(1-b) sqrt((1-b^2)/(1-b^(2k))), rho_0 := 0; x_t = x_{t-1} + a_t z_t, a_t ~ Exp(1)
    states = run(make("clipped_adam_ema", lr=gamma, beta=b, clip_radius=D), const(T=T), seed=5)
    a = np.random.default_rng(5).standard_exponential((T, 2, 1))
    k = TS - 1
    rho = np.where(k > 0, (1 - b**k) / (1 - b) * np.sqrt((1 - b**2) / np.where(k > 0, 1 - b ** (2 * k), 1.0)),
                   0.0)
    z = -np.minimum(D, gamma * D * rho) * np.sign(G)
    assert (gamma * rho[-1, 0, 0]) > 1 > (gamma * rho[2, 0, 0])   # the clip binds late, not early
    close(xs(states), X0 + np.cumsum(a * z, axis=0), 1e-12)


def test_sgdm_random_scaling_constant_gradient():
    b, eta = 0.9, A
    # mu = 0: Delta_{t+1} = b (Delta_t - eta g) = -eta g (b + ... + b^t); x_t = x_{t-1} + s_t Delta_t
    states = run(make("sgdm_random_scaling", lr=eta, beta=b), const(T=T), seed=9)
    s = np.random.default_rng(9).standard_exponential((T, 2, 1))
    delta = np.array([-eta * G * sum(b**j for j in range(1, t)) for t in range(1, T + 1)])  # Delta_t
    close(xs(states), X0 + np.cumsum(s * delta, axis=0), 1e-12)


# ----------------------------------------------------------------------------- reductions
def test_adam_paper_with_beta1_zero_is_rmsprop():
    grads = random_grads(T=30)
    for eps in (0.0, 1e-8):
        a = xs(run(make("adam", lr=A, beta1=0.0, beta2=0.9, eps=eps, convention="paper"), grads))
        r = xs(run(make("rmsprop", lr=A, beta2=0.9, eps=eps), grads))
        assert np.array_equal(a, r)


def test_amsgrad_equals_adam_when_v_is_monotone():
    # |g_t| nondecreasing with b2 = 0 makes v_t = g_t^2 nondecreasing, so v_hat = v
    grads = np.cumsum(np.abs(random_grads(T=20)), axis=0)
    for conv in ("paper", "torch"):
        a = xs(run(make("amsgrad", lr=A, beta2=0.0, convention=conv), grads))
        b = xs(run(make("adam", lr=A, beta2=0.0, convention=conv), grads))
        assert np.array_equal(a, b)
    # a constant gradient too: v_t = (1 - b2^t) g^2 increases
    assert np.array_equal(xs(run(make("amsgrad", lr=A), const())),
                          xs(run(make("adam", lr=A, convention="paper"), const())))


def test_amsgrad_keeps_the_largest_second_moment():
    # b2 = 0: v_t = g_t^2; a large g_1 then small g_2: v_hat_2 = g_1^2, so step 2 is
    # -a (b1 m_1 + (1-b1) g_2)/|g_1| (paper), smaller than Adam's -a m_2/|g_2|
    g1, g2 = 10.0 * np.ones((1, 1)), 0.1 * np.ones((1, 1))
    x0 = np.zeros((1, 1))
    s = run(make("amsgrad", lr=A, beta2=0.0), [g1, g2], x0=x0)
    m2 = 0.9 * 0.1 * 10.0 + 0.1 * 0.1
    np.testing.assert_allclose(s[1].x - s[0].x, -A * m2 / 10.0, rtol=1e-14)
    np.testing.assert_array_equal(s[1].vhat, [[100.0]])


def test_sgd_ema_form_is_torch_form_with_scaled_step():
    # m_t = (1-b) buf_t, so ema with step a equals torch with step a (1-b), Nesterov too
    grads, b = random_grads(T=25), 0.8
    for nesterov in (False, True):
        e = xs(run(make("sgd", lr=A, momentum=b, form="ema", nesterov=nesterov), grads))
        t = xs(run(make("sgd", lr=A * (1 - b), momentum=b, nesterov=nesterov), grads))
        close(e, t, 1e-12)


def test_sgd_torch_dampening_differs_from_ema_only_through_the_first_step():
    # buf_1 = g_1 against m_1 = (1-b) g_1, the same recursion after: buf_t - m_t = b^t g_1
    grads, b = random_grads(T=10), 0.7
    d = run(make("sgd", lr=A, momentum=b, dampening=b), grads)
    e = run(make("sgd", lr=A, momentum=b, form="ema"), grads)
    for t, (sd, se) in enumerate(zip(d, e), start=1):
        np.testing.assert_allclose(sd.m - se.m, b**t * grads[0], rtol=1e-12, atol=1e-15)


def test_sgd_without_momentum_ignores_the_form():
    grads = random_grads()
    plain = xs(run(make("sgd", lr=A), grads))
    ema = xs(run(make("sgd", lr=A, form="ema"), grads))
    assert np.array_equal(plain, ema)
    close(plain, X0 - A * np.cumsum(grads, axis=0), 1e-13)


def test_adam_ema_iterate_is_adams():
    grads = random_grads(T=15)
    for conv in ("torch", "paper"):
        a = xs(run(make("adam_ema", lr=A, convention=conv), grads))
        b = xs(run(make("adam", lr=A, convention=conv), grads))
        assert np.array_equal(a, b)
    opt = make("adam_ema", ema_beta=0.9)
    assert opt.output == "ema" and opt.output_source == "iterate"
    assert opt.output_weight(1) == opt.output_weight(100) == pytest.approx(0.1)


def test_clipped_adam_ema_uniform_variant_lags_adam_paper_by_one_step():
    # scaling="uniform": x_t = x_{t-1} + z_t = x_{t-1} - gamma D m_{t-1}/sqrt(v_{t-1}), i.e. Adam paper
    # (b1 = b, b2 = b^2, eps = 0) with lr = gamma D sqrt((1+b)/(1-b)), one step behind
    grads, b, D = random_grads(T=12, zero_col=2), 0.9, 1e9
    gamma = A / (D * math.sqrt((1 + b) / (1 - b)))
    c = xs(run(make("clipped_adam_ema", lr=gamma, beta=b, clip_radius=D, scaling="uniform"), grads))
    a = xs(run(make("adam", lr=A, beta1=b, beta2=b * b, convention="paper"), grads))
    assert np.array_equal(c[0], X0)
    close(c[1:], a[:-1], 1e-12)


@pytest.mark.parametrize("scaling", ["exponential", "uniform"])
def test_clipped_adam_ema_global_equals_coordinate_in_one_dimension(scaling):
    # d = 1: ||g||^2 = g^2 and the ball of radius D is the box [-D, D]
    grads = random_grads(T=10, shape=(4, 1))
    for D in (1e9, 0.03):
        kw = dict(lr=0.2, beta=0.8, clip_radius=D, scaling=scaling)
        c = run(make("clipped_adam_ema", clip="coordinate", **kw), grads, x0=np.zeros((4, 1)), seed=2)
        g = run(make("clipped_adam_ema", clip="global", **kw), grads, x0=np.zeros((4, 1)), seed=2)
        np.testing.assert_allclose(xs(c), xs(g), rtol=1e-13, atol=1e-16)
        ys = [np.array([s.y for s in states]) for states in (c, g)]
        np.testing.assert_allclose(ys[0], ys[1], rtol=1e-13, atol=1e-16)


def test_clipped_adam_ema_global_clip_is_a_ball_along_the_momentum():
    # scalar v: z = -clip_D(D m / sqrt(v)) is parallel to -m with norm min(D, D ||m||/sqrt(v))
    grads, b, D = random_grads(T=6), 0.8, 0.05
    opt = make("clipped_adam_ema", beta=b, clip_radius=D, clip="global")
    states = run(opt, grads)
    for prev, new in zip(states[:-1], states[1:]):
        z = new.z
        m, v = prev.m, prev.v[:, 0]
        assert prev.v.shape == (2, 1)
        norm = np.minimum(D, D * np.linalg.norm(m, axis=1) / np.sqrt(v))
        np.testing.assert_allclose(np.linalg.norm(z, axis=1), norm, rtol=1e-12)
        np.testing.assert_allclose(z * np.linalg.norm(m, axis=1, keepdims=True),
                                   -m * np.linalg.norm(z, axis=1, keepdims=True), rtol=1e-12, atol=1e-15)
        close(new.x - prev.x, new.alpha * z, 1e-12)


def test_sgdm_random_scaling_direction_is_torch_momentum():
    # mu = 0: Delta_{t+1} = -eta b buf_t with torch's buf_t = sum_{s<=t} b^(t-s) g_s
    grads, b = random_grads(T=10), 0.7
    r = run(make("sgdm_random_scaling", lr=A, beta=b), grads)
    s = run(make("sgd", lr=A, momentum=b), grads)
    for sr, ss in zip(r, s):
        np.testing.assert_allclose(sr.delta, -A * b * ss.m, rtol=1e-12, atol=1e-15)


def test_adopt_with_beta1_beta2_zero_normalises_by_the_previous_gradient():
    # b1 = b2 = 0, no clip: x_k - x_{k-1} = -a g_k / max(|g_{k-1}|, eps)
    grads = random_grads(T=8)
    traj = xs(run(make("adopt", lr=A, beta1=0.0, beta2=0.0, clip=False), grads))
    np.testing.assert_allclose(np.diff(traj, axis=0), -A * grads[1:] / np.maximum(np.abs(grads[:-1]), 1e-6),
                               rtol=1e-13)


# ---------------------------------------------------------------------------- schedules
LINEAR_IN_LR = [  # the t-th displacement is a_t times a quantity that does not depend on the steps
    ("sgd", {}), ("sgd", {"momentum": 0.9, "nesterov": True}), ("sgd", {"momentum": 0.5, "form": "ema"}),
    ("adagrad", {"lr_decay": 0.3}), ("rmsprop", {"centered": True, "momentum": 0.5}),
    ("adam", {}), ("adam", {"convention": "paper"}), ("amsgrad", {}), ("amsgrad", {"convention": "torch"}),
    ("adopt", {}), ("adopt", {"clip": False}), ("adamomentum", {}), ("adam_ema", {}),
    ("adamomentum", {"rectify": True}), ("adamomentum", {"amsgrad": True}),
    ("adamomentum", {"beta1": {"schedule": "one_minus_inv_sqrt", "beta": 0.3}}),
    ("clipped_adam_ema", {"clip_radius": 1e9}), ("clipped_adam_ema", {"clip_radius": 1e9, "clip": "global"}),
    ("clipped_adam_ema", {"clip_radius": 1e9, "scaling": "uniform"}),
]


@pytest.mark.parametrize("name, kw", LINEAR_IN_LR)
def test_the_t_th_update_uses_the_t_th_step_size(name, kw):
    sched = schedules.make("inv_sqrt_affine", lr=0.1, c=1.0)  # a_t = 0.1/sqrt(1 + t), all distinct
    grads = random_grads(T=7)
    inc_s = np.diff(np.concatenate([X0[None], xs(run(make(name, lr=sched, **kw), grads))]), axis=0)
    inc_c = np.diff(np.concatenate([X0[None], xs(run(make(name, lr=0.1, **kw), grads))]), axis=0)
    # ADOPT's first call makes no update: its k-th update is made at call k + 1 and uses a_k
    shift = 1 if name == "adopt" else 0
    for t in range(1 + shift, len(grads) + 1):
        np.testing.assert_allclose(inc_s[t - 1], sched(t - shift) / 0.1 * inc_c[t - 1], rtol=1e-12, atol=1e-15)


def test_sgdm_random_scaling_uses_eta_t_in_the_t_th_learner_step():
    sched = schedules.make("inv", lr=0.2)
    grads, b, mu = random_grads(T=5), 0.9, 2.0
    states = run(make("sgdm_random_scaling", lr=sched, beta=b, mu=mu), grads)
    delta = np.zeros_like(X0)
    for t, (g, s) in enumerate(zip(grads, states), start=1):
        eta = 0.2 / t
        delta = b / (1 + eta * mu) * (delta - eta * g)
        np.testing.assert_allclose(s.delta, delta, rtol=1e-12)


# ------------------------------------------------------------------ purity and 0/0 := 0
ALL = [(n, {}) for n in optimizers.names()]


@pytest.mark.parametrize("name, kw", ALL + [("clipped_adam_ema", {"clip": "global"}),
                                           ("clipped_adam_ema", {"scaling": "uniform"})])
def test_step_is_pure(name, kw):
    opt = make(name, lr=0.05, **kw)
    state = opt.init(X0.copy())
    for g in random_grads(T=3):
        g_copy = g.copy()
        before = {k: v.copy() for k, v in vars(state).items() if isinstance(v, np.ndarray)}
        new = opt.step(state, g, rng=BlockRNG.single(0))
        assert np.array_equal(g, g_copy), "the gradient must not be mutated"
        for k, v in before.items():
            assert np.array_equal(getattr(state, k), v, equal_nan=True), f"step mutated state.{k}"
        assert new.t == state.t + 1 and new.x is not state.x
        state = new


ZERO_OVER_ZERO = [
    ("adam", {"convention": "paper"}), ("amsgrad", {}), ("rmsprop", {"eps": 0.0}),
    ("rmsprop", {"eps": 0.0, "centered": True}), ("adagrad", {"eps": 0.0}), ("adamomentum", {"eps": 0.0}),
    ("adamomentum", {"eps": 0.0, "rectify": True}), ("adamomentum", {"eps": 0.0, "amsgrad": True}),
    ("adopt", {"eps": 0.0}), ("adopt", {"eps": 0.0, "clip": False}),
    ("clipped_adam_ema", {}), ("clipped_adam_ema", {"clip": "global"}),
    ("clipped_adam_ema", {"scaling": "uniform"}),
]


@pytest.mark.parametrize("name, kw", ZERO_OVER_ZERO)
def test_zero_over_zero_is_zero(name, kw):
    # a coordinate whose gradient is always 0 has v = m = 0 there: it must stay put, finitely
    grads = random_grads(T=6, zero_col=1)
    grads[:, 0, :] = 0.0  # and one replicate with an all-zero gradient
    with np.errstate(all="raise"):
        traj = xs(run(make(name, lr=A, **kw), grads))
    assert np.all(np.isfinite(traj))
    assert np.array_equal(traj[:, :, 1], np.broadcast_to(X0[:, 1], traj[:, :, 1].shape))
    assert np.array_equal(traj[:, 0], np.broadcast_to(X0[0], traj[:, 0].shape))
    assert not np.array_equal(traj[-1, 1], X0[1])


# ------------------------------------------------------------------- outputs and averaging
def test_sgd_uniform_and_polynomial_weights():
    # uniform: a_t = 1/t; polynomial (Shamir & Zhang): a_t = (eta+1)/(t+eta), a_1 = 1
    u, p = make("sgd", average="uniform"), make("sgd", average="polynomial", average_eta=3.0)
    assert make("sgd").output == "iterate" and u.output == p.output == "average"
    assert [u.output_weight(t) for t in (1, 2, 5)] == [1.0, 0.5, 0.2]
    assert [p.output_weight(t) for t in (1, 2, 5)] == [1.0, 4 / 5, 4 / 8]
    assert make("sgd", average="polynomial", average_eta=0.0).output_weight(7) == pytest.approx(1 / 7)
    # the recursion mean_t = mean_{t-1} + a_t (x_t - mean_{t-1}) puts on x_s the weight
    # a_s prod_{r>s} (1 - a_r) = (eta+1) (t-1)! (s+eta-1)! / ((s-1)! (t+eta)!), i.e. proportional to
    # s (s+1) (s+2) for eta = 3: a polynomial decay of degree eta into the past
    t_max = 12
    w = np.zeros(t_max)
    for t in range(1, t_max + 1):
        a = p.output_weight(t)
        w *= 1 - a
        w[t - 1] += a
    s = np.arange(1, t_max + 1)
    ref = s * (s + 1) * (s + 2)
    np.testing.assert_allclose(w, ref / ref.sum(), rtol=1e-13)


def test_ema_outputs_are_bias_corrected_for_the_o2nc_methods():
    # a_t = (1-b)/(1-b^t): mean_t = (1-b)/(1-b^t) sum_s b^(t-s) p_s, weights summing to 1, a_1 = 1
    for name in ("clipped_adam_ema", "sgdm_random_scaling"):
        opt = make(name, beta=0.9)
        assert opt.output == "ema" and opt.ema_beta == 0.9
        assert opt.output_weight(1) == 1.0
        assert opt.output_weight(3) == pytest.approx(0.1 / (1 - 0.9**3))
        assert make(name, beta=0.9, ema_beta=0.5).output_weight(2) == pytest.approx(0.5 / 0.75)
    assert make("clipped_adam_ema").output_source == "iterate"     # Algorithm 1: EMA of the iterates
    assert make("clipped_adam_ema", scaling="uniform").output_source == "query"
    assert make("sgdm_random_scaling").output_source == "iterate"


def _noiseless():
    return rc.problems.make("quadratic", dim=3, kappa=4.0)


def test_simulated_outputs_match_hand_averages():
    # noiseless problem: replay the steps by hand and average as the theory states
    p, steps = _noiseless(), 9
    x0 = np.tile(p.initial_point(), (2, 1))
    for opt, average in [(make("sgd", lr=0.3, momentum=0.5, average="uniform"), "uniform"),
                         (make("adam_ema", lr=0.05, ema_beta=0.8), "ema")]:
        res = rc.simulate(p, opt, steps=steps, replicates=2, seed=0, running=False)
        state, traj = opt.init(x0), []
        for _ in range(steps):
            state = opt.step(state, p.grad)
            traj.append(state.x)
        traj = np.array(traj)
        np.testing.assert_array_equal(res.x, traj[-1])
        if average == "uniform":  # (1/T) sum_{t=1..T} x_t, the start not included
            expected = traj.mean(axis=0)
        else:  # b^T x0 + (1-b) sum_t b^(T-t) x_t
            b = 0.8
            expected = b**steps * x0 + (1 - b) * sum(b ** (steps - t) * traj[t - 1]
                                                     for t in range(1, steps + 1))
        np.testing.assert_allclose(res.output_x, expected, rtol=1e-12)


def test_clipped_adam_ema_queries_are_uniformly_scaled():
    # y_t - x_{t-1} = s_t Delta_t with s_t ~ U[0,1] per replicate: mean 1/2, variance 1/12
    n = 20000
    x0 = np.zeros((n, 2))
    g = np.tile([[1.0, -3.0]], (n, 1))
    s1, s2 = run(make("clipped_adam_ema", lr=A, beta=0.9, clip_radius=1e6, scaling="uniform"), [g, g], x0=x0,
                 seed=11)
    ratio = (s2.y - s1.x)[:, 0] / (s2.x - s1.x)[:, 0]
    np.testing.assert_allclose((s2.y - s1.x)[:, 1] / (s2.x - s1.x)[:, 1], ratio, rtol=1e-12)
    se = math.sqrt(1 / 12 / n)
    assert abs(ratio.mean() - 0.5) < 5 * se
    assert abs(ratio.var() - 1 / 12) < 5 * math.sqrt(1 / 180 / n)  # Var[(U - 1/2)^2] = 1/80 - 1/144 = 1/180
    assert ratio.min() >= 0.0 and ratio.max() <= 1.0


def test_sgdm_random_scaling_moves_are_exponentially_scaled_and_queried_there():
    # x_2 - x_1 = s_2 Delta_2 with s_2 ~ Exp(1): mean 1, variance 1; the oracle sees x_t itself
    n = 20000
    x0 = np.zeros((n, 1))
    opt = make("sgdm_random_scaling", lr=A, beta=0.9)
    rng, seen = BlockRNG.single(12), []

    def oracle(y):
        seen.append(y.copy())
        return np.ones_like(y)

    s1 = opt.step(opt.init(x0), oracle, rng=rng)
    s2 = opt.step(s1, oracle, rng=rng)
    np.testing.assert_array_equal(seen[1], s2.x)
    ratio = (s2.x - s1.x)[:, 0] / s1.delta[:, 0]
    assert abs(ratio.mean() - 1.0) < 5 * math.sqrt(1 / n)
    assert abs(ratio.var() - 1.0) < 5 * math.sqrt(8 / n)  # Var[(E - 1)^2] = E(E-1)^4 - 1 = 9 - 1 = 8
    assert ratio.min() >= 0.0


def test_random_optimizers_need_a_block_rng():
    for name in ("clipped_adam_ema", "sgdm_random_scaling"):
        opt = make(name)
        assert opt.uses_randomness
        with pytest.raises(TypeError, match="BlockRNG"):
            opt.query(opt.init(X0.copy()))


# ------------------------------------------------------------------------ bad hyperparameters
BAD = [
    ("sgd", {"lr": -1.0}, "lr"), ("sgd", {"momentum": 1.0}, "momentum"), ("sgd", {"form": "heavy"}, "form"),
    ("sgd", {"average": "tail"}, "average"), ("sgd", {"average_eta": -1.0}, "average_eta"),
    ("sgd", {"dampening": 1.5}, "dampening"), ("sgd", {"nesterov": True}, "nesterov"),
    ("sgd", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}, "nesterov"),
    ("sgd", {"momentum": 0.9, "form": "ema", "dampening": 0.5}, "dampening"),
    ("adagrad", {"lr_decay": -0.1}, "lr_decay"), ("adagrad", {"eps": -1e-10}, "eps"),
    ("adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ("rmsprop", {"beta2": 1.0}, "beta2"), ("rmsprop", {"momentum": -0.5}, "momentum"),
    ("amsgrad", {"convention": "optax"}, "convention"), ("amsgrad", {"beta1": -0.1}, "beta1"),
    ("adopt", {"beta2": 1.5}, "beta2"), ("adopt", {"eps": -1.0}, "eps"), ("adopt", {"lr": -1e-3}, "lr"),
    ("adamomentum", {"beta1": 1.0}, "beta1"), ("adamomentum", {"eps": -1.0}, "eps"),
    ("adamomentum", {"beta1": {"schedule": "one_minus_inv_sqrt", "beta": 0.0}}, "beta1"),
    ("adamomentum", {"beta1": {"schedule": "geometric", "beta": 0.9, "decay": 1.5}}, "decay"),
    ("adamomentum", {"beta1": {"schedule": "inv_sqrt"}}, "beta1"), ("adamomentum", {"beta1": {"beta": 0.1}}, "schedule"),
    ("adamomentum", {"weight_decay": 0.1, "decouple": False, "fixed_decay": True}, "fixed_decay"),
    ("adamomentum", {"weight_decay": -0.1}, "weight_decay"), ("adam", {"weight_decay": -1.0}, "weight_decay"),
    ("adopt", {"weight_decay": float("nan")}, "weight_decay"),
    ("clipped_adam_ema", {"beta": 1.0}, "beta"), ("clipped_adam_ema", {"clip_radius": 0.0}, "clip_radius"),
    ("clipped_adam_ema", {"clip": "l1"}, "clip"), ("clipped_adam_ema", {"scaling": "gaussian"}, "scaling"), ("clipped_adam_ema", {"ema_beta": -0.5}, "ema_beta"),
    ("adam_ema", {"ema_beta": 1.0}, "ema_beta"), ("adam_ema", {"convention": "keras"}, "convention"),
    ("sgdm_random_scaling", {"beta": 1.2}, "beta"), ("sgdm_random_scaling", {"mu": -1.0}, "mu"),
]


@pytest.mark.parametrize("name, kw, field", BAD)
def test_bad_hyperparameters_raise_naming_the_field(name, kw, field):
    with pytest.raises(ValueError, match=field):
        make(name, **kw)


@pytest.mark.parametrize("name, field", [("sgd", "nesterov"), ("rmsprop", "centered"), ("adopt", "clip"),
                                         ("adopt", "decouple"), ("adam", "decouple"), ("adamomentum", "decouple"),
                                         ("adamomentum", "rectify"), ("adamomentum", "amsgrad"),
                                         ("adamomentum", "fixed_decay")])
def test_flags_must_be_booleans(name, field):
    with pytest.raises(TypeError, match=field):
        make(name, **{field: "yes"})


def test_defaults_follow_the_reference_implementations():
    # torch.optim defaults, official ADOPT code, the official AdaM3 code (wyzjack/AdaM3)
    assert (make("sgd").lr(1), make("sgd").momentum) == (1e-3, 0.0)
    a = make("adagrad")
    assert (a.lr(1), a.eps, a.lr_decay, a.initial_accumulator_value) == (1e-2, 1e-10, 0.0, 0.0)
    r = make("rmsprop")
    assert (r.lr(1), r.beta2, r.eps, r.momentum, r.centered) == (1e-2, 0.99, 1e-8, 0.0, False)
    assert (make("amsgrad").convention, make("amsgrad").eps) == ("paper", 0.0)
    assert make("amsgrad", convention="torch").eps == 1e-8
    d = make("adopt")
    assert (d.lr(1), d.beta1, d.beta2, d.eps, d.clip) == (1e-3, 0.9, 0.9999, 1e-6, True)
    assert (d.weight_decay, d.decouple) == (0.0, False)
    assert (make("adam").weight_decay, make("adam").decouple) == (0.0, False)
    m = make("adamomentum")
    assert (m.lr(1), m.beta1, m.beta2, m.eps) == (1e-3, 0.9, 0.999, 1e-16)
    assert (m.rectify, m.amsgrad, m.weight_decay, m.decouple, m.fixed_decay) == (False, False, 0.0, True, False)
    e = make("adam_ema")
    assert (e.convention, e.eps, e.ema_beta) == ("torch", 1e-8, 0.999)
