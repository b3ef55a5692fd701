"""Callables as schedules in the Python API (issue 17): t counts updates as the named schedules do,
provenance records repr and source, resume needs the user's word."""
import math

import numpy as np
import pytest

from ratecheck import optimizers, problems, schedules
from ratecheck.sim.simulate import simulate

PROBLEM = {"name": "quadratic", "dim": 4, "noise": {"kind": "gaussian", "sigma": 0.2}}


def inv_sqrt(t):
    return 0.05 / math.sqrt(t)


def run(opt, **kw):
    return simulate(problems.from_config(dict(PROBLEM)), opt, steps=120, replicates=4, seed=2, **kw)


@pytest.mark.parametrize("name", ["adam", "sgd", "adopt"])
def test_callable_equals_named_schedule(name):
    named = run(optimizers.make(name, lr={"schedule": "inv_sqrt", "lr": 0.05}))
    given = run(optimizers.make(name, lr=inv_sqrt))
    np.testing.assert_array_equal(given.x, named.x)


def test_provenance_records_repr_and_source():
    desc = run(optimizers.make("adam", lr=inv_sqrt)).optimizer["lr"]
    assert desc["schedule"] == "callable" and "0x" not in desc["repr"]
    assert desc["qualname"].endswith("inv_sqrt") and "0.05 / math.sqrt(t)" in desc["source"]


def test_callable_momentum_schedule():
    named = run(optimizers.make("adamomentum", beta1={"schedule": "geometric", "beta": 0.9, "decay": 0.99}))
    given = run(optimizers.make("adamomentum", beta1=lambda t: 0.9 * 0.99 ** t))
    np.testing.assert_array_equal(given.x, named.x)


def test_bad_values_name_the_callable():
    with pytest.raises(ValueError, match="returned -1.0 at t=1"):
        run(optimizers.make("sgd", lr=lambda t: -1.0))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        run(optimizers.make("adamomentum", beta1=lambda t: 1.5))


def test_resume_with_a_callable_needs_the_users_word(tmp_path):
    with pytest.raises(ValueError, match="same_on_resume=True"):
        run(optimizers.make("adam", lr=inv_sqrt), snapshot=tmp_path / "s", resume=True)
    ok = schedules.from_callable(inv_sqrt, same_on_resume=True)
    whole = run(optimizers.make("adam", lr=inv_sqrt))
    again = run(optimizers.make("adam", lr=ok), snapshot=tmp_path / "s", resume=True)
    np.testing.assert_array_equal(again.x, whole.x)


def test_torch_adapter_takes_a_callable():
    torch = pytest.importorskip("torch")
    a = run(optimizers.from_torch(torch.optim.Adam, lr=inv_sqrt))
    b = run(optimizers.make("adam", lr=inv_sqrt))
    np.testing.assert_allclose(a.x, b.x, rtol=1e-12)
