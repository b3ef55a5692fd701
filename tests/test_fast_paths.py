"""The simulator's fast paths compute the reference path's bits.

* Drawing k steps of random numbers in one call equals drawing them step by step, for every
  distribution the fast paths batch (the generator fills its output in C order).
* A built-in problem's stochastic gradient is ``_exact_part + R`` bit for bit, R drawn in blocks.
* The "numpy" and "numba" engines reproduce the "reference" engine (and the recorded hashes of
  tests/test_bits.py), including divergence and NaN-frozen replicates.
"""
import dataclasses
import importlib.util

import numpy as np
import pytest

import ratecheck as rc
from ratecheck import optimizers as O
from ratecheck import problems as P
from test_bits import _recorded, _same_numpy, cases, digest, run_case

K, N, D = 7, 5, 3          # steps, rows, dim


def _gen(seed=0):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


@pytest.mark.parametrize("method, args", [("standard_normal", ()), ("random", ()), ("standard_exponential", ()),
                                          ("standard_t", (3.0,)), ("standard_t", (1.5,))])
def test_one_draw_of_k_steps_equals_k_draws(method, args):
    a, b = _gen(), _gen()
    steps = np.stack([getattr(a, method)(*args, size=(N, D)) for _ in range(K)])
    block = getattr(b, method)(*args, size=(K * N, D)).reshape(K, N, D)
    np.testing.assert_array_equal(steps, block)
    assert a.bit_generator.state == b.bit_generator.state        # and the streams continue alike


NOISES = [{"kind": "gaussian", "sigma": 0.7}, {"kind": "gaussian", "sigma": [1.0, 2.0, 0.5]},
          {"kind": "gaussian", "sigma": 1.0}, {"kind": "student_t", "nu": 3.0, "sigma": 0.5},
          {"kind": "student_t", "nu": 1.5}, {"kind": "rademacher", "sigma": 0.3},
          {"kind": "uniform", "sigma": [0.1, 0.2, 0.3]}, {"kind": "sparse", "p": 0.2}]

FAMILIES = [("quadratic", {"dim": D}), ("cosine_well", {"dim": D}), ("nonsmooth_well", {"dim": D}),
            ("l1", {"dim": D, "radius": 2.0}), ("robust_regression", {"dim": D}),
            ("carmon_chain", {"dim": D}), ("arjevani_chain", {"dim": D, "p": 0.3}), ("drori_teboulle", {}),
            ("adopt_toy", {}),
            ("reddi_stochastic", {}), ("reddi_online", {})]


def _problems():
    for name, kw in FAMILIES:
        dim = kw.get("dim", 1)
        for noise in [None, *NOISES]:
            if noise is not None and isinstance(noise.get("sigma"), list) and len(noise["sigma"]) != dim:
                continue
            for scales in (None, [1.5] * dim):
                try:
                    yield P.make(name, noise=noise, scales=scales, **kw)
                except ValueError:
                    pass


@pytest.mark.parametrize("problem", list(_problems()), ids=lambda p: f"{p.name}-{p.noise.kind}-"
                         f"{'scaled' if p.scales is not None else 'plain'}")
def test_exact_part_plus_block_draws_is_the_stochastic_gradient(problem):
    kind = problem._batch_kind()
    if kind is None:
        pytest.skip("not batchable: the reference path runs it")
    dim = problem.dim
    x = np.random.default_rng(1).normal(size=(N, dim))
    if problem.name == "arjevani_chain":            # rows with 0 .. dim discovered coordinates
        x *= 2.0 * problem.lam * (np.arange(dim)[None, :] < np.arange(N)[:, None] % (dim + 1))
    a, b = _gen(5), _gen(5)
    extra = [(t,) if problem.time_varying else () for t in range(1, K + 1)]
    ref = np.stack([problem.stochastic_grad(x, a, *e) for e in extra])
    width = 1 if kind == "row_uniform" else dim
    R = np.empty((K, N, width))
    if kind != "exact":
        problem._random_part_block(b, R.reshape(K * N, width))
    for k in range(K):
        if kind == "random":
            g = R[k]
        elif kind == "row_uniform":
            g = problem.row_uniform_oracle(x, R[k][:, 0])
        else:
            g = problem._exact_part(x, k + 1)
            if kind == "additive":
                g += R[k]
        np.testing.assert_array_equal(g, ref[k])
    if kind != "exact":
        assert a.bit_generator.state == b.bit_generator.state


def test_what_cannot_be_batched_says_so():
    assert P.make("quadratic", noise={"kind": "affine", "sigma1": 0.5})._batch_kind() is None
    assert P.make("arjevani_chain")._batch_kind() == "row_uniform"                      # one uniform per row
    assert P.make("arjevani_chain", noise={"kind": "gaussian"})._batch_kind() is None  # draws interleave
    assert P.make("adopt_toy", noise={"kind": "gaussian"})._batch_kind() is None     # draws interleave

    class MyQuadratic(P.get("quadratic")):              # a user subclass may override anything
        pass
    assert MyQuadratic(dim=2)._batch_kind() is None
    with pytest.raises(ValueError, match="engine='numpy'"):
        rc.simulate(MyQuadratic(dim=2), O.make("adam"), steps=3, replicates=2, seed=0, engine="numpy")


@pytest.mark.parametrize("name", sorted(cases()))
def test_reference_and_numpy_engines_reproduce_the_recorded_bits(name):
    rec = _recorded()
    if not _same_numpy(rec["numpy"]):
        pytest.skip("hashes recorded with another numpy")
    problem = cases()[name][0]
    engines = ["reference"] + (["numpy"] if getattr(problem, "_batch_kind", lambda: None)() else [])
    for engine in engines:
        assert digest(run_case(name, engine=engine)) == rec["cases"][name], engine


# a few kernel variants (each costs a compilation the first time): every optimizer kernel, every
# kind of randomness, running metrics with min F − F*, the certificate with its time sums (clipped
# Adam with Exp(1) and with uniform scaling, with the global clip, Adam + EMA, averaged SGD), a box,
# scales, several blocks, avg_gap (the running sum of F − F*) of a regret family
NUMBA_CASES = ["scaled/quad-gauss-percoord/adam", "cosine-student3/amsgrad", "multi/adopt-toy",
               "nonsmooth-uniform/clipped_adam_ema", "multi/clipped_adam_ema",
               "quad-gauss/clipped_adam_ema-clip_radius=0.02-scaling=uniform",
               "quad-gauss/clipped_adam_ema-clip_radius=0.02-clip=global-ema_beta=0.9", "quad-gauss/adam_ema",
               "quad-gauss/sgd-average=uniform", "reddi_online/adam", "online_l1/adamomentum-geometric"]


@pytest.mark.parametrize("name", NUMBA_CASES)
def test_numba_engine_reproduces_the_recorded_bits(name):
    pytest.importorskip("numba")
    rec = _recorded()
    if not _same_numpy(rec["numpy"]):
        pytest.skip("hashes recorded with another numpy")
    assert digest(run_case(name, engine="numba")) == rec["cases"][name]


@pytest.mark.parametrize("name", NUMBA_CASES)
def test_numba_threads_split_a_block_without_changing_a_bit(name, monkeypatch):
    pytest.importorskip("numba")
    from ratecheck.sim import kernels as _kernels
    from ratecheck.sim import parallel as parallel
    sim = importlib.import_module("ratecheck.sim.plan")
    problem, opt, kw = cases()[name]
    kw = {**kw, "replicates": 70, "block_size": 70}      # one block, in pieces of 17 or 18 rows
    one = rc.simulate(problem, opt, engine="numba", workers=1, **kw)
    calls = []

    class Pool(_kernels.ThreadPoolExecutor):
        def map(self, fn, *iterables):
            parts = list(zip(*iterables))
            calls.append(len(parts))
            return super().map(fn, *zip(*parts))
    monkeypatch.setattr(_kernels, "ThreadPoolExecutor", Pool)
    monkeypatch.setattr(parallel, "cpu_count", lambda: 3)
    monkeypatch.setattr(sim, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_kernels, "VALUE_BYTES", 1)      # F(x) for the running min F − F*: a step at a time
    threaded = rc.simulate(problem, opt, engine="numba", workers="auto", **kw)
    assert calls and set(calls) == {4}
    assert digest(threaded) == digest(one)
    np.testing.assert_array_equal(threaded.x.view(np.uint64), one.x.view(np.uint64))


def test_compiled_gaussian_fill_gives_the_reference_engines_bits(monkeypatch):
    pytest.importorskip("numba")
    from ratecheck.sim import normal as _normal
    fills = []
    run = _normal._run
    monkeypatch.setattr(_normal, "_run", lambda bg, flat, counts: (fills.append(flat.size), run(bg, flat, counts)))
    p = P.make("quadratic", dim=50, noise={"kind": "gaussian", "sigma": 0.5}, scales=[1.5] * 50)
    kw = dict(steps=300, replicates=40, seed=3, block_size=16)   # blocks of 16, 16 and 8 rows
    ref = rc.simulate(p, O.make("adam"), engine="reference", **kw)
    assert not fills                                  # a step's draw (at most 800 numbers) is NumPy's
    for engine in ("numpy", "numba"):
        assert digest(rc.simulate(p, O.make("adam"), engine=engine, **kw)) == digest(ref), engine
    assert fills                                      # chunks of steps of a block: the compiled fill


def test_numba_engine_divergence_matches_the_reference_to_the_nan():
    pytest.importorskip("numba")
    p = P.make("quadratic", dim=4, kappa=10.0)                 # L = 1: SGD with lr = 2.5 blows up...
    x0 = np.array([[1.0, 1.0, 1.0, 0.0],                       # ... by a factor 1.5 per step in the stiff
                   [1e100, 1.0, 1.0, 1e200],                   # coordinate: it overflows after about 600
                   [1.0, 2.0, 3.0, 4.0],                       # steps from 1e200, 300 from 1e250, and
                   [-1e200, 0.0, 0.0, -1e250],                 # never from its minimum 0
                   [5.0, 5.0, 5.0, 0.0]])
    opt = O.make("sgd", lr=2.5)
    kw = dict(steps=900, replicates=5, seed=0, x0=x0, block_size=2, checkpoints=[1, 10, 300, 899, 900])
    ref = rc.simulate(p, opt, engine="reference", **kw)
    fast = rc.simulate(p, opt, engine="numba", **kw)
    assert ref.n_diverged == 2 and sorted(ref.diverged_step[ref.diverged]) != [ref.diverged_step.max()] * 2
    assert digest(fast) == digest(ref)
    np.testing.assert_array_equal(fast.x.view(np.uint64), ref.x.view(np.uint64))   # NaN payloads too


def test_engine_choice_and_refusals():
    p = P.make("quadratic", dim=2, noise={"kind": "gaussian"})
    with pytest.raises(ValueError, match="engine must be one of"):
        rc.simulate(p, O.make("adam"), steps=3, replicates=2, seed=0, engine="fast")
    pytest.importorskip("numba")

    class MyAdam(O.get("adam")):            # a subclass may change the algorithm: it does not inherit the kernel
        pass
    with pytest.raises(ValueError, match="no kernel for optimizer 'adam'"):
        rc.simulate(p, MyAdam(), steps=3, replicates=2, seed=0, engine="numba")
    from ratecheck.sim import kernels as _kernels

    class BlasL1(P.get("l1")):              # a family whose F rounds a row differently with the row count
        rowwise = False
        kernel_gradient = P.get("l1").kernel_gradient
    why = _kernels.unsupported(BlasL1(dim=2, radius=1.0), O.make("clipped_adam_ema"), running=True, certificate=True)
    assert "not rowwise" in why


@pytest.mark.parametrize("clip", ["coordinate", "global"])
@pytest.mark.parametrize("scaling", ["exponential", "uniform"])
def test_numba_clipped_adam_ema_in_one_dimension(clip, scaling):
    """dim 1 runs the kernel's flat loops over replicates, where the global clip's norms are |u| = sqrt(u²)."""
    pytest.importorskip("numba")
    p = P.make("nonsmooth_well", dim=1, noise={"kind": "gaussian", "sigma": 0.5}, scales=[2.0])
    opt = O.make("clipped_adam_ema", lr=3.0, beta=0.9, clip_radius=0.05, clip=clip, scaling=scaling)
    kw = dict(steps=150, replicates=21, seed=2, block_size=8)
    fast = rc.simulate(p, opt, engine="numba", **kw)
    assert digest(fast) == digest(rc.simulate(p, opt, engine="numpy", **kw))


def test_the_default_clipped_adam_ema_runs_on_the_numba_engine(monkeypatch):
    """Ahn & Cutkosky's algorithm (the default: Exp(1) scaling, coordinate clip) with its certificate and
    time sums: engine="auto" picks the kernel once the work is large enough, and it gives the NumPy bits."""
    pytest.importorskip("numba")
    sim = importlib.import_module("ratecheck.sim.plan")
    p = P.make("nonsmooth_well", dim=8, noise={"kind": "gaussian", "sigma": 1.0})
    opt = O.make("clipped_adam_ema")
    assert opt.scaling == "exponential" and opt.clip == "coordinate"
    kw = dict(steps=120, replicates=12, seed=5, block_size=8)
    big = 10 * sim.NUMBA_MIN_WORK
    assert sim.choose_engine("auto", p, opt, work=big, running=True, certificate=True) == "numba"
    assert sim.choose_engine("auto", p, opt, work=big, running=False, certificate=True) == "numba"
    monkeypatch.setattr(sim, "NUMBA_MIN_WORK", 0)
    fast = rc.simulate(p, opt, engine="auto", **kw)
    assert fast.provenance["engine"] == "numba"
    assert "avg_cert_grad_norm" in fast.metrics and "avg_out_grad_norm" in fast.metrics
    ref = rc.simulate(p, opt, engine="numpy", **kw)
    assert digest(fast) == digest(ref)


@pytest.mark.parametrize("dim", [1, 3, 100, 129, 300])
def test_kernel_reductions_are_numpys(dim):
    """The kernel's copies of sqnorm (einsum) and of abs().sum(axis=1) give NumPy's bits row by row."""
    pytest.importorskip("numba")
    from ratecheck.sim import reductions
    rng = np.random.default_rng(dim)
    A = rng.standard_normal((50, dim)) * np.exp(4.0 * rng.standard_normal((50, dim)))
    mine = reductions.rows_sqsum_l1(A)
    np.testing.assert_array_equal(mine[0], np.einsum("ij,ij->i", A, A))
    np.testing.assert_array_equal(mine[1], np.abs(A).sum(axis=1))
    B, C = rng.standard_normal((2, 50, dim))              # the kernel's fused pass over a replicate's rows
    fused = reductions.rows_cert(B, A, C)
    for got, want in zip(fused, [np.einsum("ij,ij->i", B, B), mine[0], mine[1], np.einsum("ij,ij->i", C, C)]):
        np.testing.assert_array_equal(got, want)
    # a plain left-to-right sum rounds differently on some of these rows: the order is being checked
    plain = np.array([sum(float(v) * float(v) for v in row) for row in A])
    assert dim < 8 or not np.array_equal(plain, mine[0])
    assert reductions.reductions_agree(dim)


def test_certificate_runs_go_to_numpy_when_the_reductions_disagree(monkeypatch):
    pytest.importorskip("numba")
    from ratecheck.sim import kernels as _kernels
    from ratecheck.sim import reductions
    p = P.make("quadratic", dim=3, noise={"kind": "gaussian"})
    monkeypatch.setitem(reductions.AGREED, 3, False)
    why = _kernels.unsupported(p, O.make("clipped_adam_ema"), running=False, certificate=True)
    assert why and "reduces in another order" in why
    assert _kernels.unsupported(p, O.make("clipped_adam_ema"), running=False, certificate=False) is None
    assert _kernels.unsupported(p, O.make("adam"), running=False, certificate=True) is None


@pytest.mark.parametrize("hp", [{"beta": 0.9, "clip_radius": 0.05},
                                {"lr": 0.5, "beta": 0.9, "clip_radius": 0.05, "scaling": "uniform"},
                                {"beta": 0.9, "clip_radius": 0.05, "clip": "global"}])
def test_numba_segment_hands_back_numpys_state(hp):
    """A segment's carry (optimizer state with z, alpha and y, output mean, certificate sums) is NumPy's,
    so a snapshot written by either engine resumes on the other."""
    pytest.importorskip("numba")
    from ratecheck.sim import engine as _engine
    p = P.make("cosine_well", dim=5, noise={"kind": "gaussian", "sigma": 0.5}, scales=[1.0, 2.0, 1.0, 0.5, 3.0])
    opt = O.make("clipped_adam_ema", **hp)
    noise_root, opt_root = np.random.SeedSequence(8).spawn(2)
    noise_seqs, opt_seqs = noise_root.spawn(3), opt_root.spawn(3)
    x0 = np.random.default_rng(0).normal(size=(10, 5))

    def carry(engine):
        return _engine.run_task(_engine.Task(problem=p, optimizer=opt, steps=60, grid=np.array([7, 30, 60]),
                                             running=True, certificate=True, block_size=4, x0=x0,
                                             noise_seqs=noise_seqs, opt_seqs=opt_seqs, engine=engine, stop=33))
    a, b = carry("numpy"), carry("numba")
    assert a.t == b.t == 33 and set(a.state) == set(b.state) and set(a.output) == set(b.output)
    for mine, theirs in ((a.state, b.state), (a.output, b.output), (a.book["records"], b.book["records"])):
        for key, value in mine.items():
            if isinstance(value, np.ndarray):
                if not key.startswith("_"):     # scratch buffers ("_den", "_tmp", ...) are not state
                    np.testing.assert_array_equal(theirs[key].view(np.uint64), value.view(np.uint64), err_msg=key)
    assert {"z", "alpha", "y", "m", "v"} <= set(a.state)


def test_kernel_sin_is_the_c_librarys():
    """Where the kernels compute sin themselves (glibc's polynomial and table, vectorized), they give the C
    library's and NumPy's bits; the check at first use (sin_agrees) decides whether they do."""
    pytest.importorskip("numba")
    from ratecheck.sim import libm_sin
    if not libm_sin.sin_agrees():
        pytest.skip("this platform's sin is not glibc's FMA build: the kernels call it for every argument")
    rng = np.random.default_rng(99)
    a = np.concatenate([rng.uniform(-libm_sin.SIN_TABLE_MAX, libm_sin.SIN_TABLE_MAX, 10**6),
                        rng.uniform(-0.13, 0.13, 10**5), rng.normal(size=1000) * 1e-9, rng.uniform(-9, 9, 1000)])
    mine, libm = libm_sin.sin_pair(a, libm_sin.SIN_TABLE)
    np.testing.assert_array_equal(mine.view(np.uint64), np.sin(a).view(np.uint64))
    np.testing.assert_array_equal(libm.view(np.uint64), np.sin(a).view(np.uint64))
    # far arguments are flagged (the kernel recomputes them with the C library's sin)
    far = np.array([libm_sin.far(v, 2.0, False, 1.0) for v in (0.05, -0.07, 0.062, np.nan, np.inf, 0.0)])
    assert far.tolist() == [False, True, False, True, True, False]


def test_kernel_sin_fast_and_plain_give_the_same_bits(monkeypatch):
    """nonsmooth_well with the kernel's own sin (iterates cross every range: 2.0 at the start) and with the
    C library's for every argument, against the NumPy engine."""
    pytest.importorskip("numba")
    from ratecheck.sim import libm_sin
    p = P.make("nonsmooth_well", dim=7, noise={"kind": "gaussian", "sigma": 1.0}, scales=[1.0, 2.0, 0.5, 1.0, 3.0,
                                                                                        1.0, 1.0])
    opt = O.make("clipped_adam_ema", beta=0.95, clip_radius=0.05)
    kw = dict(steps=200, replicates=9, seed=1, block_size=5)
    want = digest(rc.simulate(p, opt, engine="numpy", **kw))
    assert digest(rc.simulate(p, opt, engine="numba", **kw)) == want
    monkeypatch.setattr(libm_sin, "_SIN_OK", {"ok": False})
    assert digest(rc.simulate(p, opt, engine="numba", **kw)) == want


def test_no_libm_table_means_no_kernel_sin(monkeypatch):
    pytest.importorskip("numba")
    from ratecheck.sim import libm_sin
    monkeypatch.setattr(libm_sin, "_SIN_OK", {})
    monkeypatch.setattr(libm_sin, "libm_sincostab", lambda: None)
    assert libm_sin.sin_agrees() is False


#: families with no compiled gradient (GradientPiece or RowGradient), as {name: reason}: none since the chains'
#: and robust_regression's row gradients
NO_KERNEL: dict = {}


def _all_pairs():
    for pname in P.names():
        for oname in O.names():
            marks = [pytest.mark.xfail(strict=True, reason=NO_KERNEL[pname])] if pname in NO_KERNEL else []
            yield pytest.param(pname, oname, marks=marks)


@pytest.mark.parametrize("pname, oname", list(_all_pairs()))
def test_every_registered_pair_runs_on_the_numba_engine_with_the_reference_bits(pname, oname):
    """Every built-in optimizer's compiled step on every built-in family (default hyperparameters and noise):
    the numba engine applies and gives the reference engine's bits, with the running metrics (where the kernel
    records them: rowwise families, avg_gap of the regret ones included) and the certificate of averaged outputs."""
    pytest.importorskip("numba")
    from ratecheck.sim import kernels as _kernels
    try:
        problem = P.make(pname, dim=3)
    except (TypeError, ValueError):               # a one-dimensional family
        problem = P.make(pname)
    opt = O.make(oname)
    running = bool(problem.rowwise)
    cert = opt.output != "iterate"
    why = _kernels.unsupported(problem, opt, running=running, certificate=cert)
    assert why is None, why
    sim = dict(steps=40, replicates=5, seed=11, block_size=3, running=running, certificate=cert)
    ref = rc.simulate(problem, opt, engine="reference", **sim)
    fast = rc.simulate(problem, opt, engine="numba", **sim)
    assert fast.provenance["engine"] == "numba"
    np.testing.assert_array_equal(fast.x.view(np.uint64), ref.x.view(np.uint64))
    assert digest(fast) == digest(ref)


@pytest.mark.parametrize("oname, hp", [("adamomentum", {"beta1": {"schedule": "one_minus_inv_sqrt", "beta": 0.5}}),
                                       ("adamomentum", {"rectify": True, "beta2": 0.9, "amsgrad": True}),
                                       ("adamomentum", {"eps": 0.0}),
                                       ("rmsprop", {"centered": True, "momentum": 0.9}),
                                       ("rmsprop", {"eps": 0.0, "beta2": 0.3}),
                                       ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 0.0}),
                                       ("sgdm_random_scaling", {"mu": 0.5, "ema_beta": 0.9}),
                                       ("clipped_adam_ema", {"clip": "global", "clip_radius": 0.05})])
def test_newly_compiled_variants_give_the_reference_bits(oname, hp):
    """The options of the steps compiled since issue 15 (β1 schedule, rectification, centering, momentum,
    ε = 0, lr decay, μ), on a scaled problem in a box with noise, several blocks."""
    pytest.importorskip("numba")
    problem = P.make("l1", dim=4, radius=1.5, noise={"kind": "gaussian", "sigma": 0.5}, scales=[1.0, 2.0, 0.5, 1.0])
    opt = O.make(oname, lr=0.05, **hp)
    sim = dict(steps=60, replicates=7, seed=3, block_size=3, running=False, certificate=opt.output != "iterate")
    ref = rc.simulate(problem, opt, engine="reference", **sim)
    fast = rc.simulate(problem, opt, engine="numba", **sim)
    np.testing.assert_array_equal(fast.x.view(np.uint64), ref.x.view(np.uint64))
    assert digest(fast) == digest(ref)


def test_the_arjevani_oracle_draws_its_uniforms_ahead():
    """One call of k·n uniforms is k calls of n (the reference draws one per row per query); the NumPy engine
    reproduces the reference bit for bit with several blocks, scales and a partial last block."""
    a, b = _gen(9), _gen(9)
    steps = np.stack([a.random(N) for _ in range(K)])
    block = np.empty((K * N, 1))
    b.random(out=block)
    np.testing.assert_array_equal(steps, block.reshape(K, N))
    assert a.bit_generator.state == b.bit_generator.state
    for problem in (P.make("arjevani_chain", dim=5, p=0.3), P.make("arjevani_chain", dim=4, p=0.2, eps=0.3,
                                                                   scales=[1.0, 2.0, 0.5, 1.5])):
        sim = dict(steps=300, replicates=7, seed=4, block_size=3)
        ref = rc.simulate(problem, O.make("sgd", lr=1.0), engine="reference", **sim)
        fast = rc.simulate(problem, O.make("sgd", lr=1.0), engine="numpy", **sim)
        assert fast.provenance["engine"] == "numpy" and digest(fast) == digest(ref)
        assert ref.metrics["grad_norm_sq"][-1].min() < ref.metrics["grad_norm_sq"][0].max()   # it moved
        if importlib.util.find_spec("numba") is not None:       # the kernel's oracle (roworacle) too
            fast = rc.simulate(problem, O.make("sgd", lr=1.0), engine="numba", **sim)
            assert fast.provenance["engine"] == "numba" and digest(fast) == digest(ref)


@pytest.mark.parametrize("name, kw", [("carmon_chain", {}), ("arjevani_chain", {"p": 0.3})])
@pytest.mark.parametrize("oname, hp", [("sgd", {"lr": 1.0}), ("adam_ema", {"lr": 0.05})])
def test_chain_row_gradients_give_the_reference_bits_as_coordinates_are_discovered(name, kw, oname, hp):
    """The chains' row gradients (sim.chain_math, live columns only) in the kernel: a short link (eps = 0.002)
    so that coordinates are discovered within the run (3 to 6 of 6 with SGD), scales, running metrics, the
    certificate."""
    pytest.importorskip("numba")
    problem = P.make(name, dim=6, eps=0.002, scales=[1.5, 0.5, 2.0, 1.0, 1.0, 3.0], **kw)
    opt = O.make(oname, **hp)
    sim = dict(steps=200, replicates=5, seed=11, block_size=3, certificate=opt.output != "iterate")
    ref = rc.simulate(problem, opt, engine="reference", **sim)
    fast = rc.simulate(problem, opt, engine="numba", **sim)
    assert fast.provenance["engine"] == "numba" and digest(fast) == digest(ref)
    assert problem.progress(ref.x).min() >= 3 or oname != "sgd"              # coordinates were discovered
