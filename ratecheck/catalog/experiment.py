"""The catalogue: named problem instances (``problems/*.toml``) and experiments (``experiments/*.toml``).

Code lives in :mod:`ratecheck`; the catalogue is data. A problem file names a
family and its parameters::

    description = "Strongly convex quadratic, kappa = 100, Gaussian noise"
    family = "quadratic"
    dim = 10
    kappa = 100
    [noise]
    kind = "gaussian"
    sigma = 1.0

An experiment file names a problem (a catalogue instance with ``use``, optionally
overriding parameters, or an inline ``family``), one or more optimizers, the run
size, and a ``[quick]`` table of overrides for the quick version::

    description = "Adam vs AMSGrad on the noisy quadratic"
    summary = "..."                     # the claim in words, shown in reports
    [run]
    steps = 20000
    replicates = 256
    seed = 0
    metric = "grad_norm_sq"             # what the figure shows
    [quick]
    steps = 2000
    replicates = 32
    [problem]
    use = "quadratic_noisy"
    [[optimizer]]
    name = "adam"
    lr = 0.01
    [[optimizer]]
    name = "amsgrad"
    label = "AMSGrad (paper)"
    lr = { schedule = "inv_sqrt", lr = 0.1 }
    [[claim]]                           # checkable claims: see ratecheck.claims
    name = "AMSGrad converges"
    kind = "outcome"
    optimizer = "AMSGrad (paper)"
    metric = "dist"
    below = 0.1

Every field is validated before anything runs; an error names the file, the field,
the value and what is allowed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

from .. import validate as V
from .. import optimizers as _optimizers
from .. import problems as _problems
from ..claims import parse_claims
from ..sim.simulate import check_noise, check_size, log_checkpoints, metric_names
from .cells import RUN_INTEGERS, check_label, expand, run_value, tuplify

__all__ = ["catalog_root", "load_toml", "problem_instances", "load_problem", "Experiment",
           "load_experiment", "experiment_files", "RUN_KEYS"]

RUN_KEYS = {"steps", "replicates", "seed", "n_checkpoints", "metric", "running", "block_size", "dtype"}
_EXPERIMENT_KEYS = {"description", "summary", "claim", "reference", "run", "quick", "problem", "optimizer",
                    "sweep", "figure"}


def catalog_root() -> Path:
    """The folder holding ``problems/`` and ``experiments/``.

    ``$RATECHECK_CATALOG`` if set, else the current directory if it has them,
    else the repository the package was installed from (editable install).
    """
    env = os.environ.get("RATECHECK_CATALOG")
    if env:
        return Path(env)
    cwd = Path.cwd()
    if (cwd / "problems").is_dir() and (cwd / "experiments").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]          # ratecheck/catalog/experiment.py -> the repository


def load_toml(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: malformed TOML: {err}") from None
    except RecursionError:
        raise ValueError(f"{path}: malformed TOML: tables or arrays nested too deeply") from None


def problem_instances(root: Path | None = None) -> dict[str, Path]:
    """Named problem instances: stem -> path."""
    folder = (root or catalog_root()) / "problems"
    return {p.stem: p for p in sorted(folder.glob("*.toml")) if p.is_file()} if folder.is_dir() else {}


def experiment_files(root: Path | None = None) -> dict[str, Path]:
    folder = (root or catalog_root()) / "experiments"
    return {p.stem: p for p in sorted(folder.glob("*.toml")) if p.is_file()} if folder.is_dir() else {}


def _problem_params(table: dict, where: str, root: Path | None) -> dict:
    """Resolve a problem table (``use`` and/or ``family`` plus parameters) to make() kwargs."""
    if not isinstance(table, dict):
        raise TypeError(f"{where}: must be a table, got {table!r}")
    table = dict(table)
    params: dict = {}
    use = table.pop("use", None)
    if use is not None:
        instances = problem_instances(root)
        if use not in instances:
            raise V.unknown_name("problem instance", use, instances)
        base = load_toml(instances[use])
        params.update(_problem_params(base, str(instances[use]), root))
    table.pop("description", None)
    table.pop("reference", None)
    family = table.pop("family", None)
    if family is not None:
        params["name"] = family
    if "name" not in params:
        raise ValueError(f"{where}: needs 'family' (one of {', '.join(_problems.names())}) "
                         f"or 'use' (a file in problems/)")
    for key, value in table.items():
        if key == "noise" and isinstance(value, dict) and isinstance(params.get("noise"), dict) \
                and "kind" not in value:
            params["noise"] = {**params["noise"], **value}
        else:
            params[key] = value
    return params


def load_problem(name_or_table, root: Path | None = None):
    """Build a problem from a catalogue name or a table."""
    if isinstance(name_or_table, str):
        name_or_table = {"use": name_or_table}
    params = _problem_params(name_or_table, "problem", root)
    return _problems.from_config(tuplify(params))


@dataclass
class Experiment:
    """A parsed, validated experiment file."""

    name: str
    path: Path | None
    description: str
    summary: str
    reference: str
    run: dict
    problem_config: dict
    optimizer_configs: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    sweep: dict = field(default_factory=dict)
    figure: dict = field(default_factory=dict)
    claims: list = field(default_factory=list)

    def problem(self):
        return _problems.from_config(tuplify(self.problem_config))

    def optimizers(self):
        return [_optimizers.from_config(c) for c in self.optimizer_configs]

    def cells(self):
        """The simulations of this experiment (one per optimizer and sweep point)."""
        return expand(self.problem_config, self.optimizer_configs, self.labels, self.run, self.sweep,
                      where=str(self.path or self.name))


def _run_table(table, where: str) -> dict:
    if not isinstance(table, dict):
        raise TypeError(f"{where}: must be a table, got {table!r}")
    unknown = sorted(map(str, set(table) - RUN_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(RUN_KEYS))}")
    out = dict(table)
    for key in RUN_INTEGERS:
        if key in out:
            out[key] = run_value(f"{where}.{key}", key, out[key])
    if "dtype" in out:
        out["dtype"] = V.choice(f"{where}.dtype", out["dtype"], ("float64", "float32"))
        if out["dtype"] == "float64":
            del out["dtype"]           # the default: float64 results record no dtype in their cell
    if "running" in out and not (isinstance(out["running"], bool) or out["running"] == "gradient"):
        raise TypeError(f"{where}.running must be true, false or \"gradient\", got {out['running']!r}")
    if "metric" in out and not isinstance(out["metric"], str):
        raise TypeError(f"{where}.metric must be a metric name, got {out['metric']!r}")
    return out


def parse_experiment(data: dict, name: str, path: Path | None = None, *, quick: bool = False,
                     root: Path | None = None) -> Experiment:
    where = str(path or name)
    if not isinstance(data, dict):
        raise TypeError(f"{where}: an experiment must be a TOML table")
    unknown = sorted(set(data) - _EXPERIMENT_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(sorted(_EXPERIMENT_KEYS))}")
    for key in ("description", "summary", "reference"):
        if key in data and not isinstance(data[key], str):
            raise TypeError(f"{where}: {key} must be a string")
    run = {"steps": 1000, "replicates": 64, "seed": 0, "n_checkpoints": 40, "metric": "grad_norm_sq"}
    run.update(_run_table(data.get("run", {}), f"{where}: [run]"))
    quick_table = data.get("quick", {})
    if not isinstance(quick_table, dict):
        raise TypeError(f"{where}: [quick] must be a table")
    quick_table = dict(quick_table)
    quick_sweep = quick_table.pop("sweep", None)
    quick_run = _run_table(quick_table, f"{where}: [quick]")
    if quick:
        run.update(quick_run)
    if "problem" not in data:
        raise ValueError(f"{where}: needs a [problem] table")
    problem_config = _problem_params(data["problem"], f"{where}: [problem]", root)
    opts = data.get("optimizer")
    if opts is None:
        raise ValueError(f"{where}: needs at least one [[optimizer]] table")
    if isinstance(opts, dict):
        opts = [opts]
    if not isinstance(opts, list) or not opts or not all(isinstance(o, dict) for o in opts):
        raise TypeError(f"{where}: [[optimizer]] must be one or more tables with a 'name'")
    configs, labels = [], []
    for i, table in enumerate(opts):
        table = dict(table)
        label = table.pop("label", None)
        if label is not None and not isinstance(label, str):
            raise TypeError(f"{where}: optimizer {i + 1}: label must be a string")
        if label is not None:
            check_label(label, where)
        configs.append(table)
        labels.append(label or table.get("name", f"optimizer {i + 1}"))
    if len(set(labels)) != len(labels):
        raise ValueError(f"{where}: optimizer labels must be distinct, got {labels}; add label = '...'")
    sweep = data.get("sweep", {})
    if quick and quick_sweep is not None:
        if not isinstance(quick_sweep, dict) or not isinstance(sweep, dict):
            raise TypeError(f"{where}: [sweep] and [quick.sweep] must be tables of axis = [values]")
        unknown = sorted(set(quick_sweep) - set(sweep))
        if unknown:
            raise ValueError(f"{where}: [quick.sweep] axis(es) {', '.join(unknown)} are not in [sweep]")
        sweep = {**sweep, **quick_sweep}
    figure = data.get("figure", {})
    if not isinstance(figure, dict):
        raise TypeError(f"{where}: [figure] must be a table")
    if figure:
        kind = figure.get("kind")
        axes = [a.strip() for key in sweep for a in key.split(",")]
        if kind not in ("phase", "advantage", "hitting_ratio"):
            raise ValueError(f"{where}: [figure] kind must be 'phase', 'advantage' or 'hitting_ratio' (the default "
                             f"figure needs no table), got {kind!r}")
        needed = {"phase": ("x", "y"), "advantage": ("x", "tune"),
                  "hitting_ratio": ("x", "threshold", "lam", "ratio")}[kind]
        for key in needed:
            if figure.get(key) not in axes:
                raise ValueError(f"{where}: [figure] {key} must name a [sweep] axis ({', '.join(axes)})")
        if kind == "phase":
            V.real(f"{where}: [figure] threshold", figure.get("threshold"))
        else:
            for key in ("reference",) + (("against",) if kind == "hitting_ratio" else ()):
                if figure.get(key) not in labels:
                    raise ValueError(f"{where}: [figure] {key} must be an optimizer label ({', '.join(labels)})")
        unknown = sorted(set(figure) - {"kind", "x", "y", "threshold", "below", "metric", "tune", "reference",
                                        "against", "lam", "ratio"})
        if unknown:
            raise ValueError(f"{where}: [figure] unknown key(s) {', '.join(unknown)}")
    claims = parse_claims(data.get("claim"), labels, where)
    exp = Experiment(name=name, path=path, description=data.get("description", ""),
                     summary=data.get("summary", ""), reference=data.get("reference", ""), run=run,
                     problem_config=problem_config, optimizer_configs=configs, labels=labels,
                     sweep=sweep, figure=figure, claims=claims)
    # build everything once now, so that errors surface before any work or output
    try:
        check_noise(exp.problem())
    except (TypeError, ValueError) as err:
        raise type(err)(f"{where}: [problem]: {err}") from None
    problem = exp.problem()
    for i, cfg in enumerate(configs):
        try:
            opt = _optimizers.from_config(cfg)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{where}: optimizer {labels[i]!r}: {err}") from None
        recorded = metric_names(problem, opt, running=run.get("running", True))
        if run["metric"] not in recorded:
            raise ValueError(f"{where}: [run].metric {run['metric']!r} is not recorded for optimizer "
                             f"{labels[i]!r}; available: {', '.join(recorded)}")
    for cell in exp.cells():  # validates the sweep axes and every cell
        # refuse, before anything is allocated, a cell that would not fit in memory
        run_ = cell.run
        n_metrics = 24
        check_size(run_["replicates"], _problems.from_config(tuplify(cell.problem_config)).dim,
                   log_checkpoints(run_["steps"], run_.get("n_checkpoints", 40)).size, n_metrics)
    return exp


def load_experiment(name_or_path, *, quick: bool = False, root: Path | None = None) -> Experiment:
    """Load an experiment by catalogue name or by path to a TOML file."""
    path = Path(name_or_path)
    if not path.suffix:
        files = experiment_files(root)
        if str(name_or_path) not in files:
            raise V.unknown_name("experiment", name_or_path, files)
        path = files[str(name_or_path)]
    data = load_toml(path)
    return parse_experiment(data, path.stem, path, quick=quick, root=root)
