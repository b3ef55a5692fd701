"""End-to-end runs of the documented Adam counterexamples (short horizons, fixed seeds).

Each assertion is on the median over replicates with a margin; the horizons are the shortest
that showed the behaviour with room to spare in the measurements quoted next to them.
"""
import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers, problems

C = 3.0
# Reddi et al. 2018, Theorem 1: β1 = 0, β2 = 1/(1 + C²), α_t = α/√t; paper convention
# (no bias correction, ε = 0) for both Adam and AMSGrad
REDDI = dict(lr={"schedule": "inv_sqrt", "lr": 0.5}, beta1=0.0, beta2=1.0 / (1.0 + C * C), convention="paper")
# ADOPT toy problem (third-party reproduction): α_t = 0.01/√(1 + 0.01 t), β1 = 0.9, β2 = 0.1, no ε
ADOPT_LR = {"schedule": "inv_sqrt_affine", "lr": 0.01, "c": 0.01}


def _trajectory(problem, opt, steps):
    """Points x_1..x_T played on an online problem (one replicate), projected after each step."""
    state = opt.init(problem.initial_point()[None])
    rng = np.random.default_rng(0)                # unused: the online oracle is deterministic
    xs = np.empty((steps, 1))
    for t in range(1, steps + 1):
        xs[t - 1] = state.x[:, 0]
        opt.update(state, problem.stochastic_grad(state.x, rng, t))
        problem.project(state.x)
    return xs


def test_reddi_online_adam_goes_to_the_worst_point_amsgrad_to_the_best():
    # Measured (C = 3, α = 0.5, start 0): Adam is at +1.000 and AMSGrad at −0.99 from a few
    # hundred steps on; the final value depends on the phase t mod 3, so the horizon is a
    # multiple of 3 (the last gradient seen is −1).
    p = problems.make("reddi_online", C=C)
    steps = 3000
    adam = rc.simulate(p, optimizers.make("adam", **REDDI), steps=steps, replicates=3, seed=0)
    ams = rc.simulate(p, optimizers.make("amsgrad", **REDDI), steps=steps, replicates=3, seed=0)
    assert np.median(adam.x) > 0.95
    assert np.median(ams.x) < -0.95
    # F(+1) − F* = 2(C − 2)/3 = 2/3: Adam ends at the worst point of the period-average objective
    assert np.median(adam.metrics["gap"][-1]) == pytest.approx(2.0 / 3.0, abs=0.02)
    # average regret: Adam's stays near 2(C−2)/3 = 2/3 (linear regret), AMSGrad's goes to 0
    # (measured at T = 3000: 0.672 and 0.012)
    reg_adam = p.average_regret(_trajectory(p, optimizers.make("adam", **REDDI), steps))[0]
    reg_ams = p.average_regret(_trajectory(p, optimizers.make("amsgrad", **REDDI), steps))[0]
    assert reg_adam > 0.6 and reg_ams < 0.05


def test_reddi_stochastic_adam_fails_amsgrad_converges():
    # C = 3, δ = 1/2 (p = 3/8). Measured medians over 64 replicates at 3000 steps, seeds 0/1:
    # Adam +0.980/+0.985, AMSGrad −0.997/−0.994 (already +0.97 and −0.99 at 1000 steps).
    p = problems.make("reddi_stochastic", C=C, delta=0.5)
    adam = rc.simulate(p, optimizers.make("adam", **REDDI), steps=3000, replicates=64, seed=0, running=False)
    ams = rc.simulate(p, optimizers.make("amsgrad", **REDDI), steps=3000, replicates=64, seed=0, running=False)
    assert np.median(adam.x) > 0.9
    assert np.median(ams.x) < -0.9


def test_adopt_toy_adam_fails_unclipped_adopt_converges():
    # k = 10, β2 = 0.1. Measured medians over 64 replicates at 10⁴ steps, seeds 0..3:
    # Adam +0.975/+0.973/+0.978/+0.959, unclipped ADOPT −0.942/−0.949/−0.950/−0.979.
    p = problems.make("adopt_toy", k=10)
    adam = optimizers.make("adam", lr=ADOPT_LR, beta1=0.9, beta2=0.1, convention="paper")
    adopt = optimizers.make("adopt", lr=ADOPT_LR, beta1=0.9, beta2=0.1, eps=0.0, clip=False)
    ra = rc.simulate(p, adam, steps=10_000, replicates=64, seed=0, running=False)
    ro = rc.simulate(p, adopt, steps=10_000, replicates=64, seed=0, running=False)
    assert np.median(ra.x) > 0.8
    assert np.median(ro.x) < -0.8


def test_adopt_toy_clipped_adopt_first_drifts_the_wrong_way():
    # The caveat in the problem's docstring: with c_t = t^(1/4) the expected clipped step points
    # to +1 until c_t > 9 (t > 6561). Measured median θ at t = 10³ over 64 replicates, seeds
    # 0..3: +0.999/+0.999/+0.999/+0.996 (unclipped: about −0.3).
    p = problems.make("adopt_toy", k=10)
    clipped = optimizers.make("adopt", lr=ADOPT_LR, beta1=0.9, beta2=0.1, eps=0.0, clip=True)
    res = rc.simulate(p, clipped, steps=1000, replicates=64, seed=0, running=False)
    assert np.median(res.x) > 0.9
