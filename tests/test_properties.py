"""Property-based tests (hypothesis): malformed and extreme input never gets past the project's error types.

Fed: experiment files (valid ones mutated: wrong types, NaN, inf, huge or zero sizes, unknown keys, unicode;
truncated TOML; random bytes; empty files) to the catalogue loader and to the command line (in-process
``main()``), random command-line options, random arrays of wrong shape and dtype to the API (``simulate``'s
``x0``, ``problem.grad``/``value``/``stochastic_grad``, ``optimizer.init``/``update``/``step``), and doctored
result files to ``SimulationResult.load``. Each example must end in a result or in ``ValueError``/``TypeError``
(``FileNotFoundError`` for a missing file) with a message, within a time limit (no hang: a huge size is refused
before anything is allocated), and a refused command line writes nothing and prints one line.

Budget: the "ci" profile (default, tests/conftest.py) is derandomized with a small budget; the thorough run is
``HYPOTHESIS_PROFILE=long python -m pytest -q tests/test_properties.py``.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import signal
import tempfile
import unicodedata
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ratecheck as rc
from ratecheck import catalog
from ratecheck.catalog import sweep as sweep
from ratecheck import optimizers as O
from ratecheck import problems as P
from ratecheck.cli import main
from ratecheck.sim.result import SimulationResult
from test_cli import GOOD

USER_ERRORS = (ValueError, TypeError)
#: seconds one example may take (a hang fails the test instead of stalling it)
LIMIT = 20.0


class Hang(BaseException):
    pass


@contextlib.contextmanager
def time_limit(seconds: float = LIMIT):
    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def small_memory_limit():
    """Sizes beyond 256 MiB count as huge here: they must be refused, fast, before allocation."""
    with mock.patch.dict(os.environ, {"RATECHECK_MAX_BYTES": str(256 * 2**20)}):
        yield


# ------------------------------------------------------------------------------ TOML
def _toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = repr(v)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(data: dict) -> str:
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in data.items())


BASE = {
    "description": "fuzz",
    "run": {"steps": 20, "replicates": 3, "seed": 1, "metric": "grad_norm_sq"},
    "quick": {"steps": 10},
    "problem": {"family": "quadratic", "dim": 2, "noise": {"kind": "gaussian", "sigma": 0.1}},
    "optimizer": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "label": "SGD", "lr": 0.1}],
}
PATHS = [
    ("description",), ("summary",), ("reference",), ("run",), ("quick",), ("problem",), ("optimizer",), ("sweep",),
    ("figure",), ("claim",), ("run", "steps"), ("run", "replicates"), ("run", "seed"), ("run", "n_checkpoints"),
    ("run", "metric"), ("run", "running"), ("run", "block_size"), ("run", "dtype"), ("quick", "steps"),
    ("quick", "replicates"), ("quick", "sweep"), ("problem", "family"), ("problem", "use"), ("problem", "dim"),
    ("problem", "kappa"), ("problem", "L"), ("problem", "center"), ("problem", "scales"), ("problem", "noise"),
    ("problem", "noise", "kind"), ("problem", "noise", "sigma"), ("problem", "noise", "nu"),
    ("problem", "noise", "p"), ("problem", "samples"), ("problem", "k"), ("problem", "N"), ("problem", "C"),
    ("optimizer", 0), ("optimizer", 0, "name"), ("optimizer", 0, "lr"), ("optimizer", 0, "beta1"),
    ("optimizer", 0, "beta2"), ("optimizer", 0, "eps"), ("optimizer", 0, "convention"), ("optimizer", 0, "label"),
    ("optimizer", 1, "label"), ("optimizer", 1, "momentum"), ("optimizer", 1, "average"),
    ("optimizer", 0, "lr", "schedule"), ("optimizer", 0, "lr", "lr"), ("optimizer", 0, "lr", "horizon"),
    ("sweep", "horizon"), ("sweep", "seed"), ("sweep", "optimizer.beta2"), ("sweep", "problem.dim"),
    ("sweep", "problem.noise.sigma"), ("sweep", "optimizer[SGD].lr"), ("sweep", "tag.x"),
    ("sweep", "problem.dim,problem.kappa"), ("figure", "kind"), ("figure", "x"),
    ("claim", 0, "kind"), ("claim", 0, "name"), ("claim", 0, "optimizer"), ("claim", 0, "metric"),
]
NAMES = ["adam", "sgd", "quadratic", "cosine_well", "robust_regression", "l1", "adopt_toy", "drori_teboulle",
         "reddi_online", "carmon_chain", "arjevani_chain", "gaussian", "student_t", "affine", "none", "inv_sqrt",
         "horizon_sqrt", "torch", "paper", "uniform", "outcome", "rate", "float32", "float64", "grad_norm_sq",
         "gap", "quadratic_noisy", "phase", "SGD", "adam\u00e9", "\u221e", "", " ", "NaN"]

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10)
ints = st.one_of(st.integers(-3, 64), st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63 - 1, -2**63, 10**6, 10**7,
                                                      10**9, 10**10, 10**12, 10**30]))
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.sampled_from([0.0, -0.0, 0.5, 0.999, 1.0, 1.5, 1e-300, 1e308, -1e308, 5e-324, 1e-8]))
scalars = st.one_of(ints, floats, st.booleans(), st.sampled_from(NAMES), text)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(NAMES), text), inner, max_size=3)),
    max_leaves=8)


def _set(data, path, value):
    node = data
    for key in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(key, {}) if not isinstance(key, int) else node
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return
        if not isinstance(node, (dict, list)):
            return
    last = path[-1]
    if isinstance(node, dict) and not isinstance(last, int):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value


def _delete(data, path):
    node = data
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return
    try:
        del node[path[-1]]
    except (KeyError, IndexError, TypeError):
        pass


@st.composite
def experiments(draw) -> dict:
    data = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["set", "set", "set", "delete", "unknown"]))
        if op == "set":
            _set(data, draw(st.sampled_from(PATHS)), draw(values))
        elif op == "delete":
            _delete(data, draw(st.sampled_from(PATHS)))
        else:
            table = draw(st.sampled_from([data, data.get("run"), data.get("problem"), data.get("quick")]))
            if isinstance(table, dict):
                table[draw(st.one_of(text, st.sampled_from(["stepz", "betta", "kind", "ñ"])))] = draw(values)
    return data


GOOD_TEXT = GOOD + '[sweep]\n"optimizer.beta2" = [0.9, 0.99]\n'   # test_cli's experiment, swept

# ----------------------------------------------------------------- labels and sweep axes (issue 14)
LABELS = st.one_of(
    st.sampled_from([".", "..", "", " ", "a b", "a_b", "a/b", "a\\b", "../x", "α", "β", "x\x00y", "tab\t",
                     "\u202e", "CON", "x" * 100, "x" * 101, "x" * 300, "adam", "SGD", "é", "e\u0301"]),
    st.text(max_size=12), st.text(min_size=95, max_size=110))
AXIS_VALUES = st.lists(st.one_of(ints, floats, st.sampled_from([1, 1.0, 10**10, 10**10 + 1, 1e18, -1, 2.5, True,
                                                                "10", [1, 2]])),
                       min_size=1, max_size=3)
SAFE_KEY = re.compile(r"^[A-Za-z0-9=_.-]+$")


@given(labels=st.lists(LABELS, min_size=1, max_size=3), horizons=st.one_of(st.none(), AXIS_VALUES),
       seeds=st.one_of(st.none(), AXIS_VALUES), beta2=st.one_of(st.none(), AXIS_VALUES))
def test_labels_and_sweep_axes_are_refused_or_name_distinct_safe_directories(labels, horizons, seeds, beta2):
    data = json.loads(json.dumps(BASE))
    data["optimizer"] = [{"name": "adam", "lr": 0.05, "label": label} for label in labels]
    sweep_table = {k: v for k, v in (("horizon", horizons), ("seed", seeds), ("optimizer.beta2", beta2))
                   if v is not None}
    if sweep_table:
        data["sweep"] = sweep_table
    with small_memory_limit():
        try:
            with time_limit():
                exp = catalog.parse_experiment(data, "fuzz")
                cells = exp.cells()
        except Exception as err:  # noqa: BLE001
            _check_error(err)
            return
    for label in labels:     # what was accepted obeys the rules
        assert label.strip() and label not in (".", "..") and len(label) <= sweep.MAX_LABEL
        assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in label)
    for cell in cells:
        assert 1 <= cell.run["steps"] <= 10**10 and cell.run["seed"] >= 0
        assert SAFE_KEY.match(cell.key) and not cell.key.startswith(".") and len(cell.key) <= 255, cell.key
    identities = {sweep.cell_identity(c.label, c.values) for c in cells}
    assert len({c.key for c in cells}) == len(cells) == len(identities)


@given(a=st.tuples(LABELS, AXIS_VALUES), b=st.tuples(LABELS, AXIS_VALUES))
def test_cell_keys_are_injective_and_filesystem_safe(a, b):
    key_a = sweep.cell_key(a[0], tuple(("horizon", v) for v in a[1]))
    key_b = sweep.cell_key(b[0], tuple(("horizon", v) for v in b[1]))
    for key in (key_a, key_b):
        assert SAFE_KEY.match(key) and not key.startswith(".") and len(key) <= 255, key
    same = sweep.cell_identity(a[0], tuple(("horizon", v) for v in a[1])) == \
        sweep.cell_identity(b[0], tuple(("horizon", v) for v in b[1]))
    assert (key_a == key_b) == same

file_bytes = st.one_of(
    experiments().map(lambda d: to_toml(d).encode("utf-8")),
    st.integers(0, len(GOOD_TEXT)).map(lambda n: GOOD_TEXT[:n].encode("utf-8")),          # truncated
    st.binary(max_size=64),                                                              # random bytes
    st.just(b""), st.just(b"\xef\xbb\xbf"), st.just(b"[[[broken"),
    text.map(lambda s: s.encode("utf-8")),
)


def _check_error(err: BaseException) -> None:
    assert isinstance(err, USER_ERRORS + (FileNotFoundError,)), f"{type(err).__name__}: {err}"
    assert str(err).strip(), f"{type(err).__name__} without a message"


@given(data=file_bytes)
def test_catalogue_loader_refuses_bad_files_with_the_documented_errors(data):
    with tempfile.TemporaryDirectory() as tmp, small_memory_limit():
        path = Path(tmp) / "exp.toml"
        path.write_bytes(data)
        note(data.decode("utf-8", "replace"))
        try:
            with time_limit():
                exp = catalog.load_experiment(path)
        except Exception as err:          # noqa: BLE001 - the property is about which ones
            _check_error(err)
            return
        assert exp.labels and exp.run["steps"] >= 1 and exp.cells()


@given(table=st.dictionaries(st.sampled_from(["family", "use", "dim", "noise", "scales", "kappa", "center", "k",
                                              "samples", "radius", "N", "p", "C", "delta", "a", "b", "L", "eps"]
                                             + NAMES[:4]), values, max_size=5))
def test_problem_tables_refused_with_the_documented_errors(table):
    with small_memory_limit():
        try:
            with time_limit():
                problem = catalog.load_problem(table)
        except Exception as err:  # noqa: BLE001
            _check_error(err)
            return
    assert 1 <= problem.dim <= 10**6


class _Ran(BaseException):
    """run_cells was reached: the input was accepted (nothing runs in this test)."""


OPTIONS = st.lists(st.one_of(
    st.tuples(st.just("--seed"), st.one_of(ints.map(str), text, st.sampled_from(["-1", "1e3", "0x10", "½"]))),
    st.tuples(st.just("--dtype"), st.one_of(st.sampled_from(["float32", "float64", "float16", "FLOAT32"]), text)),
    st.tuples(st.just("--snapshot-every"), st.one_of(floats.map(repr), st.sampled_from(["nan", "inf", "-1", "1e309"]),
                                                     text)),
    st.tuples(st.just("--workers"), st.one_of(ints.map(str), st.sampled_from(["auto", "0", "-2"]), text)),
    st.tuples(st.sampled_from(["--quick", "--resume", "--bogus", "-x", "--out"]), st.none()),
), max_size=4)


def _run_cli(argv: list) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            with time_limit():
                code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return code, err.getvalue()


@given(data=file_bytes, options=OPTIONS, out_is_a_file=st.booleans())
def test_cli_refuses_bad_input_with_one_line_and_writes_nothing(data, options, out_is_a_file):
    with tempfile.TemporaryDirectory() as tmp, small_memory_limit():
        tmp = Path(tmp)
        path = tmp / "exp.toml"
        path.write_bytes(data)
        out = tmp / "out"
        if out_is_a_file:
            out.write_text("not a directory")
        argv = ["run", str(path), "--out", str(out)]
        for opt, value in options:
            argv += [opt] if value is None else [opt, value]
        note(repr(argv))
        before = sorted(p.name for p in tmp.iterdir())
        with mock.patch.object(sweep, "run_cells", side_effect=_Ran):
            try:
                code, err = _run_cli(argv)
            except _Ran:
                return                      # accepted: it would run now
        assert code == 2, (code, err)
        assert err.startswith("ratecheck: error:") or err.startswith("usage:") is False, err
        assert err.count("\n") == 1, err
        assert sorted(p.name for p in tmp.iterdir()) == before, "a refused run wrote something"


@pytest.mark.parametrize("argv", [
    ["run"], ["run", "a", "b"], ["frobnicate"], [], ["list", "nonsense"], ["run", "x.toml", "--seed"],
    ["table", "--format", "html"], ["reproduce", "--quick", "--full"], ["run", "\udcff.toml"],
])
def test_cli_argument_errors_are_one_line(argv, tmp_path):
    code, err = _run_cli(argv)
    assert code == 2 and err.count("\n") == 1 and err.startswith("ratecheck: error:"), (code, err)


# ------------------------------------------------------------------------------- API
ARRAY_DTYPES = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_,
                                np.complex128, np.dtype("U3"), np.dtype("O"), np.dtype("M8[s]")])


@st.composite
def arrays(draw, rows=None, dim=None):
    dtype = np.dtype(draw(ARRAY_DTYPES))
    shape = draw(st.one_of(
        st.just((rows, dim)) if rows is not None else st.nothing(),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
    if dtype.kind == "O":
        return np.array(draw(st.lists(st.one_of(st.none(), st.floats(), text), min_size=1, max_size=6)),
                        dtype=object)
    if dtype.kind == "f":
        elements = st.floats(allow_nan=True, allow_infinity=True, width=min(dtype.itemsize * 8, 64))
        return draw(hnp.arrays(dtype, shape, elements=elements))
    return draw(hnp.arrays(dtype, shape))


PROBLEMS = [P.make("quadratic", dim=3, noise={"kind": "gaussian", "sigma": 0.1}),
            P.make("cosine_well", dim=3, noise={"kind": "student_t", "nu": 3.0}),
            P.make("l1", dim=3, radius=1.0), P.make("adopt_toy", k=10.0), P.make("reddi_online", C=3.0),
            P.make("robust_regression", dim=3), P.make("carmon_chain", dim=3),
            P.make("quadratic", dim=3, noise={"kind": "affine", "sigma0": 0.1, "sigma1": 0.5})]
OPTS = [O.make(name) for name in O.names()] + [O.make("sgd", momentum=0.9, average="uniform")]


@contextlib.contextmanager
def numpy_warnings_allowed():
    """Overflow/invalid RuntimeWarnings are NumPy's report on extreme inputs, not errors; a ComplexWarning
    (an imaginary part silently dropped) is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        yield


@given(i=st.integers(0, len(PROBLEMS) - 1), x=st.data(), seed=st.integers(0, 2**32))
def test_problem_methods_refuse_bad_arrays(i, x, seed):
    problem = PROBLEMS[i]
    arr = x.draw(arrays(rows=x.draw(st.integers(0, 4)), dim=problem.dim))
    note(f"{problem.name}: {arr.dtype} {arr.shape}")
    for call in (lambda: problem.value(arr), lambda: problem.grad(arr),
                 lambda: problem.stochastic_grad(arr, np.random.default_rng(seed), 1),
                 lambda: problem.stochastic_grad(arr, x.draw(st.sampled_from([None, 3, "rng"])), 1)):
        try:
            with time_limit(), numpy_warnings_allowed():
                out = call()
        except Exception as err:  # noqa: BLE001
            _check_error(err)
            continue
        assert isinstance(out, np.ndarray) and out.shape[0] == arr.shape[0]


@given(j=st.integers(0, len(OPTS) - 1), x=st.data())
def test_optimizer_methods_refuse_bad_arrays(j, x):
    opt = OPTS[j]
    rows = x.draw(st.integers(1, 4))
    x0 = x.draw(arrays(rows=rows, dim=2))
    note(f"{opt.name}: x0 {x0.dtype} {x0.shape}")
    try:
        with time_limit(), numpy_warnings_allowed():
            state = opt.init(x0)
    except Exception as err:  # noqa: BLE001
        _check_error(err)
        state = opt.init(np.zeros((rows, 2)))
    g = x.draw(arrays(rows=rows, dim=2))
    note(f"g {g.dtype} {g.shape}")
    calls = [lambda: opt.update(state.copy(), g)]
    if g.dtype.kind != "c":     # see test_optimizer_step_refuses_complex_gradients
        calls.append(lambda: opt.step(state, g, rng=0))
    for call in calls:
        try:
            with time_limit(), numpy_warnings_allowed():
                call()
        except Exception as err:  # noqa: BLE001
            _check_error(err)


def test_optimizer_step_refuses_complex_gradients():
    opt = O.make("adam")
    state = opt.init(np.zeros((1, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError):
            opt.step(state, np.array([[1.0 + 1.0j, 0.0]]))


sizes = st.one_of(st.integers(1, 12), ints, floats, st.sampled_from(["3", None, [3], 2.5]))


@given(i=st.integers(0, len(PROBLEMS) - 1), j=st.integers(0, len(OPTS) - 1), x=st.data())
def test_simulate_refuses_bad_arguments(i, j, x):
    problem, opt = PROBLEMS[i], OPTS[j]
    kw = {
        "steps": x.draw(st.one_of(st.integers(1, 30), sizes)),
        "replicates": x.draw(st.one_of(st.integers(1, 9), sizes, st.sampled_from([10**8, 10**12]))),
        "seed": x.draw(st.one_of(st.integers(0, 2**64), ints, st.sampled_from([-1, 1.5, "0", None]))),
    }
    for key, strategy in [("x0", arrays(rows=kw["replicates"] if isinstance(kw["replicates"], int)
                                         and 0 < kw["replicates"] < 10 else None, dim=problem.dim)),
                          ("checkpoints", st.one_of(st.lists(ints, max_size=5), ints, text)),
                          ("n_checkpoints", st.one_of(st.integers(1, 50), ints)),
                          ("block_size", st.one_of(st.integers(1, 5), ints)),
                          ("engine", st.sampled_from(["auto", "reference", "numpy", "numba", "gpu", 3])),
                          ("dtype", st.sampled_from(["float64", "float32", "float16", np.float32])),
                          ("running", st.sampled_from([True, False, 1, "yes"])),
                          ("workers", st.sampled_from([1, 0, -1, "auto", "many"]))]:
        if x.draw(st.booleans()):
            kw[key] = x.draw(strategy)
    steps = kw["steps"]
    if isinstance(steps, (int, float)) and not isinstance(steps, bool) and 50 < steps <= 10**15 \
            and float(steps).is_integer():
        assume(False)   # a valid long run is not the point here (huge replicates are: they must be refused)
    note(repr({k: (v if not isinstance(v, np.ndarray) else (v.dtype, v.shape)) for k, v in kw.items()}))
    with small_memory_limit():
        try:
            with time_limit(), numpy_warnings_allowed():
                res = rc.simulate(problem, opt, **kw)
        except Exception as err:  # noqa: BLE001
            _check_error(err)
            return
    assert res.x.shape == (res.replicates, problem.dim)


def test_huge_sizes_are_refused_before_allocation():
    import time
    import tracemalloc
    problem, opt = P.make("quadratic", dim=1000), O.make("adam")
    tracemalloc.start()
    began = time.perf_counter()
    try:
        for reps in (10**7, 10**9, 10**15):
            with pytest.raises(ValueError, match="GiB"):
                rc.simulate(problem, opt, steps=10, replicates=reps, seed=0)
        with pytest.raises(ValueError, match="n_checkpoints"):
            rc.simulate(problem, opt, steps=10**12, replicates=2, seed=0, n_checkpoints=10**9)
        with pytest.raises(ValueError, match="dim must be <="):
            P.make("quadratic", dim=10**9)
        with pytest.raises(ValueError, match="samples must be <="):
            P.make("robust_regression", dim=100, samples=10**9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20 and time.perf_counter() - began < 5


# ---------------------------------------------------------------------------- results
def _result_dir(tmp: Path) -> Path:
    res = rc.simulate(PROBLEMS[0], OPTS[0], steps=5, replicates=2, seed=0)
    return res.save(tmp / "r")


@given(path=st.lists(st.sampled_from(["format_version", "problem", "optimizer", "seed", "steps", "replicates",
                                      "block_size", "message", "elapsed", "npz_sha256", "versions", "dtype",
                                      "provenance", "metrics"]), min_size=1, max_size=3),
       value=values, drop=st.booleans())
def test_doctored_result_files_are_refused_or_read(path, value, drop):
    with tempfile.TemporaryDirectory() as tmp:
        directory = _result_dir(Path(tmp))
        meta = json.loads((directory / "result.json").read_text())
        for key in path:
            if drop:
                meta.pop(key, None)
            else:
                meta[key] = value
        (directory / "result.json").write_text(json.dumps(meta))
        try:
            SimulationResult.load(directory)
        except Exception as err:  # noqa: BLE001
            _check_error(err)
