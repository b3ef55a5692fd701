"""The zero-chains' own exp (NumPy array version = numba scalar version, bit for bit, and within 2 ulp
of the C library's exp) and scipy's ndtr called from numba (= the ufunc, bit for bit)."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from ratecheck.problems import chain_exp as CE
from ratecheck.problems.chain_exp import chain_exp, chain_exp_scalar
from ratecheck.sim import chain_math as CM

EDGES = np.array([0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1e-17, -1e-17, 1.0, -1.0, -0.5, 0.5 * math.log(2.0),
                  -0.5 * math.log(2.0), -700.0, -708.3964185322641, -708.5, -745.0, -745.1332191019411, -745.14,
                  -746.0, -1000.0, -1e6, -1e300, -np.inf, 709.78, 709.79, 1e6, np.inf, np.nan])


def _bits(a):
    return np.asarray(a, dtype=np.float64).view(np.uint64)


def test_constants_are_what_the_docstring_says():
    ln2 = Fraction(math.log(2.0))     # within 2^-53 relative: enough to check the split's properties
    hi = Fraction(CE.LN2_HI)
    assert (hi * 2**40).denominator == 1                          # a multiple of 2^-40: k·LN2_HI exact
    assert abs(float(hi + Fraction(CE.LN2_LO)) - math.log(2.0)) == 0.0
    assert abs(hi - ln2) < Fraction(1, 2**40)
    assert CE.EXP_COEFFS[:3] == (1.0, 1.0, 0.5) and len(CE.EXP_COEFFS) == CE.EXP_DEGREE + 1
    # the degree: the Taylor remainder relative to e^r on |r| ≤ 0.34658 is below 2^-53 at 13, not at 12
    r = 0.34658

    def rel(n):
        return r ** (n + 1) / math.factorial(n + 1) * math.exp(2 * r) / 2.0 ** -53
    assert rel(12) > 1.0 > 0.1 > rel(13)
    assert np.float64(CE.EXP_MAGIC).view(np.int64) == CE.EXP_MAGIC_BITS


def test_edges():
    with np.errstate(over="ignore"):
        e = chain_exp(EDGES)
    assert np.all(e[:8] == 1.0)
    assert e[EDGES == -1.0][0] == pytest.approx(math.exp(-1.0), rel=3e-16)
    assert e[EDGES == -745.0][0] == math.exp(-745.0)             # 5e-324: a subnormal result, rounded once
    assert e[EDGES == -745.14][0] == 0.0 and np.all(e[(EDGES <= -746.0)] == 0.0)
    assert e[EDGES == 709.78][0] == pytest.approx(math.exp(709.78), rel=3e-16)
    assert np.all(np.isinf(e[EDGES >= 709.79])) and np.isnan(e[-1])
    # the pure-Python scalar and the array give the same bits
    with np.errstate(over="ignore"):
        assert np.array_equal(_bits([chain_exp_scalar(float(v)) for v in EDGES]), _bits(e))


def test_out_argument_and_aliasing():
    x = np.linspace(-50.0, 1.0, 101)
    want = chain_exp(x)
    y = x.copy()
    assert chain_exp(y, out=y) is y and np.array_equal(_bits(y), _bits(want))
    assert np.array_equal(_bits(chain_exp(x.reshape(1, -1)[:, ::2])), _bits(want[::2]).reshape(1, -1))


def test_within_two_ulp_of_the_c_library():
    rng = np.random.default_rng(5)
    a = np.concatenate([rng.uniform(-708.0, 709.0, 3 * 10**5), -0.5 * rng.normal(0, 3, 3 * 10**5) ** 2,
                        rng.uniform(-1.0, 1.0, 10**5), rng.uniform(-745.0, -708.4, 10**4)])
    want = np.array([math.exp(v) for v in a])
    got = chain_exp(a)
    ulps = np.abs(got - want) / np.spacing(want)
    assert ulps.max() <= 2.0
    assert ulps.max() <= 1.0        # measured: at most one ulp (in about 10% of arguments)


@pytest.mark.skipif(CM.numba is None, reason="numba not installed")
def test_compiled_exp_and_ndtr_agree_with_the_arrays():
    assert CM.chain_math_agrees()
    with np.errstate(over="ignore"):
        pair = CM.exp_ndtr_pair(EDGES)
        assert np.array_equal(_bits(pair[0]), _bits(chain_exp(EDGES)))
    from scipy.special import ndtr
    assert np.array_equal(_bits(pair[1]), _bits(ndtr(EDGES)))


def test_the_chain_gradient_skips_only_columns_that_are_minus_zero():
    """chain_grad computes the live columns only; the others are −0.0 in chain_grad_full too (bits)."""
    from ratecheck.problems.carmon_chain import W_FLOOR, chain_grad, chain_grad_full, live_columns
    rng = np.random.default_rng(3)
    edge = 0.5 * (1.0 + W_FLOOR)                  # the largest quiet |y| (2|y| − 1 ≤ W_FLOOR, rounded)
    specials = [np.nan, np.inf, -np.inf, edge, -edge, np.nextafter(edge, 1.0), 1e300, 0.0, -0.0]
    skipped = 0
    with np.errstate(all="ignore"):
        for trial in range(600):
            rows, T = int(rng.integers(1, 5)), int(rng.integers(1, 30))
            y = rng.uniform(-edge, edge, (rows, T))
            for r in range(rows):
                k = int(rng.integers(0, T + 1))
                y[r, :k] = rng.normal(0.0, 2.0, k)
            if trial % 3 == 0:
                y[rng.integers(rows), rng.integers(T)] = specials[trial % len(specials)]
            full, fast = chain_grad_full(y), chain_grad(y)
            assert np.array_equal(_bits(full), _bits(fast)), y
            n = live_columns(y)
            assert np.all(_bits(full[:, n:]) == _bits(-0.0))
            skipped += n < T
    assert skipped > 100
    y = np.zeros((1, 5))
    y[0, 1] = edge
    assert live_columns(y) == 2
    y[0, 1] = np.nextafter(edge, 1.0)
    assert live_columns(y) == 4


def test_the_arjevani_oracle_masks_only_the_first_hidden_coordinate_with_the_bits_of_masking_all():
    from ratecheck.problems import make
    from ratecheck.problems.carmon_chain import progress
    rng = np.random.default_rng(8)
    for trial in range(300):
        dim = int(rng.integers(1, 12))
        prob = make("arjevani_chain", dim=dim, p=float(rng.choice([0.3, 1.0, 0.01])), eps=0.2)
        rows = 6
        y = rng.uniform(-0.25, 0.25, (rows, dim))
        for r in range(rows):
            k = int(rng.integers(0, dim + 1))
            y[r, :k] = rng.normal(0.0, 2.0, k)
        if trial % 4 == 0:
            y[rng.integers(rows), rng.integers(dim)] = [np.nan, np.inf, -np.inf, 0.25][trial % 16 // 4]
        z = y * prob.lam
        u = rng.random(rows)
        with np.errstate(all="ignore"):
            got = prob.row_uniform_oracle(z, u)
            want = prob.grad(z)                            # the definition: every hidden coordinate times ξ/p
            hidden = np.arange(dim)[None, :] >= progress(z / prob.lam)[:, None]
            want *= np.where(hidden, ((u < prob.p) / prob.p)[:, None], 1.0)
        assert np.array_equal(_bits(got), _bits(want)), (y, u)


@pytest.mark.skipif(CM.numba is None, reason="numba not installed")
def test_the_compiled_rows_give_the_numpy_bits():
    from ratecheck.problems import make
    rng = np.random.default_rng(12)
    for trial in range(200):
        dim = int(rng.integers(1, 14))
        prob = make("arjevani_chain", dim=dim, p=float(rng.choice([0.3, 1.0, 0.01])), eps=float(rng.uniform(0.05, 1)))
        rows = 5
        y = rng.uniform(-0.6, 0.6, (rows, dim))
        for r in range(rows):
            k = int(rng.integers(0, dim + 1))
            y[r, :k] = rng.normal(0.0, 2.0, k)
        if trial % 3 == 0:
            y[rng.integers(rows), rng.integers(dim)] = [np.nan, np.inf, -np.inf, 0.25, 1e300, 0.0][trial % 18 // 3]
        z = y * prob.lam
        u = rng.random(rows)
        got = np.empty_like(z)
        with np.errstate(all="ignore"):
            CM.chain_grad_rows(z, prob.lam, prob.eps, got)
            assert np.array_equal(_bits(got), _bits(prob.grad(z))), y
            CM.arjevani_rows(z, prob.lam, prob.eps, prob.p, u, got)
            assert np.array_equal(_bits(got), _bits(prob.row_uniform_oracle(z, u))), (y, u)


def test_ndtr_is_one_from_ndtr_one_on_so_the_chain_may_skip_the_call():
    from scipy.special import ndtr

    from ratecheck.problems.carmon_chain import NDTR_ONE, SQRT_2PI_E, W_FLOOR, chain_value
    a = np.concatenate([np.linspace(NDTR_ONE, 60.0, 10**5), [1e10, 1e300, np.inf]])
    assert np.all(ndtr(a) == 1.0) and ndtr(8.0) < 1.0
    rng = np.random.default_rng(4)
    y = rng.normal(0.0, 15.0, (6, 20))                   # many links with s_i y_{i+1} ≥ 9
    y[0, 3] = np.nan
    with np.errstate(invalid="ignore"):
        arg = np.sign(y[:, :-1]) * y[:, 1:]
        # chain_value with every Φ(s_i y_{i+1}) from the ndtr call, as the code read before the skip
        w = np.abs(y) * 2.0 - 1.0
        active = w > W_FLOOR
        w = np.maximum(w, W_FLOOR)
        q = chain_exp(1.0 - 1.0 / (w * w)) * active
        want = -SQRT_2PI_E * ndtr(y[:, 0]) - np.einsum("ij,ij->i", np.sign(y[:, :-1]) * q[:, :-1],
                                                        ndtr(arg) * SQRT_2PI_E)
        got = chain_value(y)
    assert (arg >= NDTR_ONE).sum() > 20 and np.isnan(got[0])
    assert np.array_equal(_bits(got[1:]), _bits(want[1:]))
