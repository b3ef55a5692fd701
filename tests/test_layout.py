"""The package's house rules: old import paths still work for one release (with a warning), the
public API is where it was, and the stages import one way."""
import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import ratecheck
from ratecheck import _moved


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_an_old_module_path_still_works_with_a_deprecation_warning(old):
    new = importlib.import_module(f"ratecheck.{_moved.MOVED[old]}")
    name = next(n for n in sorted(vars(new)) if not n.startswith("__"))
    stand_in = importlib.import_module(f"ratecheck.{old}")
    with pytest.warns(DeprecationWarning, match=f"ratecheck.{old} moved to ratecheck.{_moved.MOVED[old]}"):
        assert getattr(stand_in, name) is getattr(new, name)


def test_from_import_of_an_old_path_warns_and_gives_the_same_object():
    code = ("import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
            "try:\n    from ratecheck.result import SimulationResult\nexcept DeprecationWarning as e:\n    print('W', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("W ratecheck.result moved to ratecheck.sim.result")


def test_the_public_api_is_unchanged_and_silent(recwarn):
    assert callable(ratecheck.simulate) and ratecheck.SimulationResult.__module__ == "ratecheck.sim.result"
    assert ratecheck.fit_rate.fit_rate is ratecheck.rates.fit_rate
    from ratecheck.fit_rate import fit_linear_rate, fit_sample_complexity  # noqa: F401
    assert ratecheck.optimizers.make("adam").name == "adam" and ratecheck.problems.make("quadratic", dim=2).dim == 2
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


def test_the_catalog_is_found_from_any_directory(tmp_path, monkeypatch):
    """An editable install finds problems/ and experiments/ in its repository, whatever the cwd."""
    from ratecheck import catalog
    monkeypatch.delenv("RATECHECK_CATALOG", raising=False)
    monkeypatch.chdir(tmp_path)
    root = catalog.catalog_root()
    assert (root / "experiments").is_dir() and (root / "problems").is_dir()
    assert "gd_linear_rate" in catalog.experiment_files()


# ---------------------------------------------------------------- the house rules, read from the source
PACKAGE = Path(ratecheck.__file__).resolve().parent
#: modules allowed past MAX_LINES because most of them is data
DATA_MODULES = {"ratecheck.sim.normal": "NumPy's ziggurat tables, copied verbatim",
                "ratecheck.theory.rate_table": "the rows of the rate table"}
MAX_LINES = 420
#: third-party packages that may be imported inside functions (optional, or heavy and rarely needed)
OPTIONAL = {"numba", "llvmlite", "dask", "distributed", "torch", "jax", "jaxlib", "optax", "pandas", "tqdm",
            "statsmodels", "tomllib", "tomli", "fcntl", "resource"}


def _modules():
    out = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _imports(name, path):
    """(node, absolute target module names, is_function_level) for each import of ``name``'s source."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        p, in_function = parents.get(node), False
        while p is not None:
            in_function |= isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))
            p = parents.get(p)
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = name.split(".") if is_pkg else name.split(".")[:-1]
            if node.level:
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in MODULES else mod for a in node.names]
        yield node, targets, in_function


def test_no_module_is_too_big_to_hold_in_mind():
    big = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert set(big) <= set(DATA_MODULES), f"modules over {MAX_LINES} lines: {big}"


def test_no_function_level_import_of_ratecheck_modules():
    found = [f"{m}:{node.lineno}: {ast.unparse(node)}" for m, p in MODULES.items()
             for node, targets, in_function in _imports(m, p)
             if in_function and any(t.split(".")[0] == "ratecheck" for t in targets)]
    assert not found, "imports inside functions (import at the top; optional dependencies only):\n" + "\n".join(found)


def test_the_stages_import_without_circles():
    graph = {m: {t for node, ts, _ in _imports(m, p) for t in ts
                 if t in MODULES and t != m and not t.startswith(m + ".")} for m, p in MODULES.items()}
    state, cycles = {}, []

    def visit(u, stack):
        state[u] = 1
        stack.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                cycles.append(" -> ".join(stack[stack.index(v):] + [v]))
            elif v not in state:
                visit(v, stack)
        stack.pop()
        state[u] = 2
    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_private_name_is_used_across_modules():
    found = []
    for m, p in MODULES.items():
        tree = ast.parse(p.read_text())
        aliases = {}
        for node, targets, _ in _imports(m, p):
            if isinstance(node, ast.ImportFrom):
                for a, t in zip(node.names, targets):
                    if t in MODULES and t.endswith("." + a.name):
                        aliases[a.asname or a.name] = t
                    elif t in MODULES and a.name.startswith("_") and not a.name.startswith("__"):
                        found.append(f"{m}: from {t} import {a.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases \
                    and node.attr.startswith("_") and not node.attr.startswith("__"):
                found.append(f"{m}:{node.lineno}: {node.value.id}.{node.attr} ({aliases[node.value.id]})")
    assert not found, "private names used across modules (make them public):\n" + "\n".join(found)
