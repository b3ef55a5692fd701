"""simulate(workers=N) splits whole blocks of replicates across processes; the result does not depend on N."""
import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers as O
from ratecheck.sim import parallel as parallel
from ratecheck import problems as P
from test_bits import digest


class Rowwise:
    """A user-defined problem that declares its rows independent, so it may be split."""

    dim = 2
    rowwise = True

    def value(self, x):
        return 0.5 * np.sum(x * x, axis=1)

    def grad(self, x):
        return x.copy()

    def stochastic_grad(self, x, rng):
        return x + rng.standard_normal(x.shape)


CASES = [
    (P.make("quadratic", dim=3, noise={"kind": "gaussian", "sigma": 0.5}), O.make("adam", lr=0.05), "numpy"),
    (P.make("nonsmooth_well", dim=2, noise={"kind": "uniform"}), O.make("clipped_adam_ema", lr=0.05), "numpy"),
    (P.make("cosine_well", dim=2, noise={"kind": "affine", "sigma1": 0.3}), O.make("sgdm_random_scaling", lr=0.05),
     "reference"),
    (Rowwise(), O.make("adagrad", lr=0.1), "reference"),
    # its products with the data matrix are sums in a fixed order (no BLAS): rowwise since the row gradients
    (P.make("robust_regression", dim=3, noise={"kind": "gaussian"}), O.make("sgd", lr=0.05), "numpy"),
]


@pytest.mark.parametrize("problem, opt, engine", CASES, ids=lambda v: getattr(v, "name", None) or type(v).__name__)
def test_one_and_two_workers_give_the_same_bits(problem, opt, engine):
    kw = dict(steps=80, replicates=11, seed=5, block_size=3, engine=engine)
    one = rc.simulate(problem, opt, workers=1, **kw)
    two = rc.simulate(problem, opt, workers=2, **kw)
    auto = rc.simulate(problem, opt, workers="auto", **kw)
    assert digest(one) == digest(two) == digest(auto)
    np.testing.assert_array_equal(one.output_x if one.output_x is not None else one.x,
                                  two.output_x if two.output_x is not None else two.x)


def test_numba_engine_with_two_workers():
    pytest.importorskip("numba")
    p = P.make("adopt_toy", k=10.0)
    opt = O.make("adopt", lr={"schedule": "inv_sqrt_affine", "lr": 0.01, "c": 0.01}, beta2=0.5)
    kw = dict(steps=300, replicates=700, seed=1)
    ref = rc.simulate(p, opt, engine="reference", **kw)
    assert digest(rc.simulate(p, opt, engine="numba", workers=2, **kw)) == digest(ref)


class NotRowwise(Rowwise):
    """A user-defined problem that does not declare its rows independent."""

    rowwise = False


def test_problems_that_are_not_rowwise_stay_in_one_process(monkeypatch):
    calls = []
    monkeypatch.setattr(parallel, "executor", lambda n: calls.append(n))   # would fail if used
    p = NotRowwise()
    res = rc.simulate(p, O.make("sgd", lr=0.05), steps=20, replicates=9, seed=0, block_size=2, workers=2)
    assert not calls and res.replicates == 9


def test_workers_argument_is_checked():
    p = P.make("quadratic", dim=2)
    for bad in (0, -1, 1.5, "many"):
        with pytest.raises((ValueError, TypeError), match="workers"):
            rc.simulate(p, O.make("adam"), steps=3, replicates=2, seed=0, workers=bad)
    assert parallel.resolve_workers("auto", limit=1) == 1
    assert parallel.resolve_workers(3, limit=2) == 2
