"""torch.optim and optax optimizers run by ratecheck (issue 17): same trajectories as ratecheck's own
Adam/ADOPT on the same noise, replicate independence, float64, pickling, experiment files."""
import json
import pickle
import sys

import numpy as np
import pytest

from ratecheck import optimizers, problems
from ratecheck.cli import main
from ratecheck.sim.simulate import simulate

torch = pytest.importorskip("torch")

PROBLEM = {"name": "quadratic", "dim": 6, "noise": {"kind": "gaussian", "sigma": 0.3}}


def run(opt, replicates=8, steps=300, **kw):
    return simulate(problems.from_config(dict(PROBLEM)), opt, steps=steps, replicates=replicates, seed=5, **kw)


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def test_torch_adam_is_ratecheck_adam():
    ours = run(optimizers.make("adam", lr=1e-2))
    theirs = run(optimizers.from_torch(torch.optim.Adam, lr=1e-2))
    assert theirs.x.dtype == np.float64
    assert rel(theirs.x, ours.x) < 1e-12
    for name in ours.metrics:
        np.testing.assert_allclose(theirs.metrics[name], ours.metrics[name], rtol=1e-12, atol=1e-300)


def test_torch_name_in_make_and_describe_round_trip():
    opt = optimizers.make("torch:AdamW", lr=1e-2, betas=[0.9, 0.99], weight_decay=0.1)
    desc = opt.describe()
    assert desc == {"name": "torch:AdamW", "lr": 0.01, "betas": (0.9, 0.99), "weight_decay": 0.1}
    again = optimizers.from_config(json.loads(json.dumps(desc)))
    np.testing.assert_array_equal(run(again, steps=50).x, run(opt, steps=50).x)
    assert "betas" in optimizers.get("torch:AdamW").hyperparameters()


@pytest.mark.parametrize("make", [
    lambda: optimizers.from_torch(torch.optim.NAdam, lr=1e-2),                        # one tensor of rows
    lambda: optimizers.from_torch(torch.optim.Adam, lr=1e-2, elementwise=False),      # one parameter per row
])
def test_torch_replicates_are_independent(make):
    # noise blocks of 8 replicates, so the first 8 replicates see the same noise in both runs
    eight, many = run(make(), replicates=8, block_size=8), run(make(), replicates=64, block_size=8)
    np.testing.assert_array_equal(many.x[:8], eight.x)


def test_torch_per_replicate_equals_elementwise():
    a = run(optimizers.from_torch(torch.optim.NAdam, lr=1e-2), steps=60)
    b = run(optimizers.from_torch(torch.optim.NAdam, lr=1e-2, elementwise=False), steps=60)
    np.testing.assert_array_equal(a.x, b.x)


def test_torch_schedule_counts_updates_like_built_ins():
    sched = {"schedule": "inv_sqrt", "lr": 0.05}
    ours = run(optimizers.make("adam", lr=sched), steps=100)
    theirs = run(optimizers.from_torch(torch.optim.Adam, lr=sched), steps=100)
    assert rel(theirs.x, ours.x) < 1e-12


def test_torch_pure_step_and_pickle():
    opt = optimizers.from_torch(torch.optim.RMSprop, lr=1e-2)
    state = opt.init(np.ones((3, 4)))
    g = np.full((3, 4), 0.5)
    s1 = opt.step(state, g)
    assert state.t == 0 and np.all(state.x == 1.0) and s1.t == 1
    s2a, s2b = opt.step(s1, g), opt.step(s1, g)
    np.testing.assert_array_equal(s2a.x, s2b.x)
    clone = pickle.loads(pickle.dumps(opt))
    np.testing.assert_array_equal(clone.step(s1, g).x, s2a.x)


def test_torch_resume_from_snapshot(tmp_path):
    opt = optimizers.from_torch(torch.optim.NAdam, lr=1e-2)
    whole = run(opt, steps=400)
    # stop after a first segment (snapshot after every segment), then resume with a fresh adapter
    snap = tmp_path / "snap"
    from ratecheck.sim import snapshot as snapshot_module
    carry_steps = []
    real_save = snapshot_module.save

    def save_and_stop(directory, carry, **kw):
        real_save(directory, carry, **kw)
        carry_steps.append(carry.t)
        raise KeyboardInterrupt

    snapshot_module.save = save_and_stop
    try:
        with pytest.raises(KeyboardInterrupt):
            run(opt, steps=400, snapshot=snap, snapshot_every=0)
    finally:
        snapshot_module.save = real_save
    assert 0 < carry_steps[0] < 400
    resumed = run(optimizers.from_torch(torch.optim.NAdam, lr=1e-2), steps=400, snapshot=snap, resume=True)
    np.testing.assert_array_equal(resumed.x, whole.x)


def test_unknown_torch_names():
    with pytest.raises(ValueError, match="torch.optim has no optimizer 'Adamm'"):
        optimizers.make("torch:Adamm")
    with pytest.raises(TypeError, match="unknown parameter"):
        optimizers.make("torch:Adam", beta1=0.9)
    with pytest.raises(ValueError, match="closure"):
        optimizers.make("torch:LBFGS")


# ------------------------------------------------------------------------------------- optax
def test_optax_adam_and_adopt_are_ours():
    pytest.importorskip("optax")
    for ours, theirs in ((optimizers.make("adam", lr=1e-2), optimizers.make("optax:adam", lr=1e-2)),
                         (optimizers.make("adopt", lr=1e-2), optimizers.from_optax("contrib.adopt", lr=1e-2))):
        a, b = run(ours), run(theirs)
        assert b.x.dtype == np.float64
        assert rel(b.x, a.x) < 1e-12, theirs.name


def test_optax_replicates_are_independent_and_prebuilt():
    optax = pytest.importorskip("optax")
    eight, many = run(optimizers.from_optax("lion", lr=1e-3), replicates=8, block_size=8), \
        run(optimizers.from_optax("lion", lr=1e-3), replicates=64, block_size=8)
    np.testing.assert_array_equal(many.x[:8], eight.x)
    built = optimizers.from_optax(optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(1e-2)))
    eight, many = run(built, replicates=8, steps=50, block_size=8), run(built, replicates=64, steps=50, block_size=8)
    np.testing.assert_array_equal(many.x[:8], eight.x)      # the global norm is per replicate (vmap)
    assert built.describe()["name"] == "optax"


# ------------------------------------------------------------------------- experiment files
EXPERIMENT = """
description = "NAdam (torch) and Lion (optax), neither implemented by ratecheck, on a noisy quadratic"
reference = "torch.optim.NAdam (Dozat 2016); optax.lion (Chen et al. 2023)"

[run]
replicates = 8
steps = 400
seed = 0
metric = "gap"
n_checkpoints = 12

[sweep]
"optimizer.lr" = [0.003, 0.01]

[problem]
family = "quadratic"
dim = 4
[problem.noise]
kind = "gaussian"
sigma = 0.1

[[optimizer]]
name = "torch:NAdam"
label = "NAdam"
momentum_decay = 0.004

[[optimizer]]
name = "optax:lion"
label = "Lion"
lr = 0.001
b1 = 0.9
b2 = 0.99
weight_decay = 0.0

[[claim]]
name = "NAdam ends near the noise floor"
kind = "outcome"
optimizer = "NAdam"
metric = "gap"
select = { "optimizer.lr" = 0.003 }
below = 1.0
expected_source = "F(x0) - F* of this instance; any method that moves towards x* ends below it"
"""


def test_torch_and_optax_in_an_experiment_file(tmp_path):
    pytest.importorskip("optax")
    exp = tmp_path / "byo.toml"
    exp.write_text(EXPERIMENT)
    out = tmp_path / "out"
    assert main(["run", str(exp), "--out", str(out)]) == 0
    meta = json.loads((out / "byo.json").read_text())
    assert len(meta["cells"]) == 4
    assert meta["claims"][0]["verdict"] in ("agrees", "disagrees", "inconclusive")
    saved = json.loads((out / meta["cells"][0]["key"] / "result.json").read_text())
    assert saved["optimizer"]["name"] in ("torch:NAdam", "optax:lion")


def test_missing_extras_name_what_to_install(monkeypatch, tmp_path, capsys):
    for module, name, extra in (("torch", "torch:Adam", "ratecheck[torch]"), ("optax", "optax:adam", "ratecheck[jax]")):
        with monkeypatch.context() as m:
            m.setitem(sys.modules, module, None)
            with pytest.raises(ImportError, match=extra.replace("[", r"\[").replace("]", r"\]")):
                optimizers.make(name, lr=0.1)
            exp = tmp_path / "x.toml"
            exp.write_text(EXPERIMENT)
            assert main(["run", str(exp), "--out", str(tmp_path / "o")]) == 2
            assert extra in capsys.readouterr().err


def test_optax_with_a_random_key_is_refused():
    pytest.importorskip("optax")
    with pytest.raises(ValueError, match="random key"):
        optimizers.from_optax("noisy_sgd", lr=0.1, key=0).init(np.zeros((3, 2)))
