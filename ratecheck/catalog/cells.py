"""The cells of an experiment grid: one simulation each, with a directory name of its own.

:func:`expand` turns an experiment's problem, optimizers, ``[run]`` table and ``[sweep]`` axes into
:class:`Cell` objects (the axes are described in :mod:`ratecheck.catalog.sweep`), building every
problem and optimizer once so that a bad cell is refused before anything runs. :func:`cell_key`
names a cell's directory: a readable slug of its label and values plus a hash of both, so two cells
never share one and no label can reach outside the output directory.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import unicodedata
from dataclasses import dataclass

from .. import optimizers as _optimizers
from .. import problems as _problems
from .. import validate as V
from ..sim.checks import check_noise

__all__ = ["Cell", "expand", "cell_key", "cell_identity", "legacy_key", "check_label", "run_value", "tuplify",
           "RUN_INTEGERS", "MAX_CELLS", "MAX_LABEL", "MAX_READABLE", "KEY_HASH"]

#: the integer fields of [run] and their ranges (a sweep's horizon and seed axes get the same)
RUN_INTEGERS = {"steps": (1, 10**10), "replicates": (1, 10**7), "seed": (0, None),
                "n_checkpoints": (1, 10**5), "block_size": (1, 10**7)}


def run_value(name: str, key: str, value) -> int:
    """``value`` checked as the [run] field ``key`` (its type and range), reported as ``name``."""
    low, high = RUN_INTEGERS[key]
    return V.integer(name, value, low=low, high=high)


AXIS_KINDS = ("problem.", "optimizer.", "optimizer[", "tag.")
#: most cells an experiment may have (each is validated, then simulated)
MAX_CELLS = 10_000
SPECIAL_AXES = ("horizon", "seed")


#: longest readable part of a cell directory's name (the hash after it makes the name unique)
MAX_READABLE = 120
#: hex digits of SHA-256 that make a cell directory's name unique
KEY_HASH = 12


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=_-]+", "_", str(text)).strip("_") or "x"


def cell_identity(label: str, values: tuple) -> str:
    """What names a cell, as canonical text: its label and its axis values (``1`` and ``1.0`` differ)."""
    return json.dumps([label, [[axis, value] for axis, value in values]], sort_keys=True, ensure_ascii=True,
                      allow_nan=True)


def cell_key(label: str, values: tuple) -> str:
    """The cell's directory name: a readable slug of the label and values, then a short hash of both.

    Injective: two cells get the same name only if their labels and values hash alike in the first
    :data:`KEY_HASH` hex digits of SHA-256 (and :func:`expand` refuses that). Filesystem-safe: only
    ``A-Za-z0-9.=_-``, never starting with a dot, at most ``MAX_READABLE + 1 + KEY_HASH`` characters.
    """
    parts = [_slug(label)] + [f"{_slug(axis.split('.')[-1])}={_short(_fmt(v))}" for axis, v in values]
    readable = "__".join(parts)[:MAX_READABLE].lstrip(".").rstrip("_.") or "x"
    digest = hashlib.sha256(cell_identity(label, values).encode()).hexdigest()[:KEY_HASH]
    return f"{readable}-{digest}"


def legacy_key(label: str, values: tuple) -> str:
    """The directory name a cell had before :func:`cell_key` added its hash (not injective: ``"a b"`` and
    ``"a_b"`` shared one); read once to adopt finished results written then (see :func:`ratecheck.catalog.run.adopt_legacy`)."""
    return "__".join([_slug(label)] + [f"{_slug(axis.split('.')[-1])}={_short(_fmt(v))}" for axis, v in values])


def _short(text: str) -> str:
    """A value as it appears in a directory name; long ones (lists) become a stable hash."""
    slug = _slug(text)
    if len(slug) <= 24:
        return slug
    return "h" + hashlib.sha256(text.encode()).hexdigest()[:10]


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class Cell:
    """One simulation of an experiment grid."""

    label: str
    values: tuple            # ((axis, value), ...)
    problem_config: dict
    optimizer_config: dict
    run: dict

    @property
    def key(self) -> str:
        return cell_key(self.label, self.values)

    def config(self) -> dict:
        """Everything that determines the result (compared on rerun to reuse a finished cell)."""
        return json.loads(json.dumps({"label": self.label, "values": [list(v) for v in self.values],
                                      "problem": self.problem_config, "optimizer": self.optimizer_config,
                                      "run": {k: self.run[k] for k in sorted(self.run) if k != "metric"}}))

    def value(self, axis: str):
        return dict(self.values).get(axis)


def _set_path(config: dict, path: list[str], value, where: str) -> None:
    node = config
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            raise ValueError(f"{where}: {'.'.join(path)} does not name a table entry")
        node = node[part]
    node[path[-1]] = value


def _check_axes(sweep: dict, where: str) -> dict:
    if not isinstance(sweep, dict):
        raise TypeError(f"{where}: [sweep] must be a table of axis = [values]")
    out = {}
    for axis, values in sweep.items():
        if "," in axis:
            parts = [a.strip() for a in axis.split(",")]
            _check_axes({a: [0] for a in parts}, where)
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, list) and len(v) == len(parts) for v in values):
                raise ValueError(f"{where}: [sweep] zipped axis {axis!r} needs a list of {len(parts)}-element lists")
            out[axis] = values
            continue
        if not (axis in SPECIAL_AXES or axis.startswith(AXIS_KINDS)):
            raise ValueError(f"{where}: [sweep] axis {axis!r} must be 'horizon', 'seed', "
                             f"'problem.PARAM' or 'optimizer.PARAM'")
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where}: [sweep] {axis} must be a non-empty list, got {values!r}")
        if len(set(map(repr, values))) != len(values):
            raise ValueError(f"{where}: [sweep] {axis} has repeated values {values!r}")
        out[axis] = values
    return out


def expand(problem_config: dict, optimizer_configs: list, labels: list, run: dict, sweep: dict,
           where: str = "experiment") -> list[Cell]:
    """The cells of a grid, validated (every problem and optimizer is built once here)."""
    sweep = _check_axes(sweep or {}, where)
    axes = list(sweep)
    n_cells = len(optimizer_configs)
    for axis in axes:
        n_cells *= len(sweep[axis])
    if n_cells > MAX_CELLS:
        raise ValueError(f"{where}: [sweep] makes {n_cells} cells ({len(optimizer_configs)} optimizer(s) x "
                         f"{' x '.join(str(len(sweep[a])) for a in axes)} values); at most {MAX_CELLS} are allowed")
    for label in labels:
        check_label(label, where)
    cells, keys = [], {}
    for combo in itertools.product(*(sweep[a] for a in axes)):
        values = []
        for axis, value in zip(axes, combo):
            if "," in axis:
                values += list(zip((a.strip() for a in axis.split(",")), value))
            else:
                values.append((axis, value))
        values = tuple(values)
        for label, base_opt in zip(labels, optimizer_configs):
            prob = copy.deepcopy(problem_config)
            opt = copy.deepcopy(base_opt)
            cell_run = dict(run)
            for axis, value in values:
                if axis == "seed":
                    cell_run["seed"] = value = run_value(f"{where}: [sweep] seed", "seed", value)
                elif axis == "horizon":
                    cell_run["steps"] = value = run_value(f"{where}: [sweep] horizon", "steps", value)
                    lr = opt.get("lr")
                    if isinstance(lr, dict) and lr.get("schedule") == "horizon_sqrt":
                        opt["lr"] = {**lr, "horizon": value}
                    hp = getattr(_problems.get(prob["name"]), "horizon_parameter", None)
                    if hp:
                        prob[hp] = value
                elif axis.startswith("tag."):
                    pass
                elif axis.startswith("problem."):
                    _set_path(prob, axis.split(".")[1:], value, where)
                elif axis.startswith("optimizer["):
                    # "optimizer[LABEL].param": only the optimizer with that label
                    target, name = axis[len("optimizer["):].split("].", 1)
                    if target not in labels:
                        raise ValueError(f"{where}: [sweep] axis {axis}: no optimizer labelled {target!r}")
                    if target == label:
                        _set_path(opt, name.split("."), value, where)
                else:
                    name = axis.split(".", 1)[1]
                    allowed = _optimizers.get(opt["name"]).hyperparameters()
                    if name.split(".")[0] not in allowed:
                        raise ValueError(f"{where}: [sweep] axis {axis} does not apply to optimizer {label!r} "
                                         f"({opt['name']}: {', '.join(allowed)})")
                    _set_path(opt, name.split("."), value, where)
            cell = Cell(label, values, prob, opt, cell_run)
            if cell.key in keys:
                raise ValueError(f"{where}: cells {keys[cell.key]} and {cell_identity(label, values)} would share "
                                 f"the directory {cell.key}; change a label")
            keys[cell.key] = cell_identity(label, values)
            try:
                check_noise(_problems.from_config(tuplify(prob)))
                _optimizers.from_config(opt)
            except (TypeError, ValueError) as err:
                raise type(err)(f"{where}: cell {cell.key}: {err}") from None
            cells.append(cell)
    return cells


#: longest optimizer label allowed
MAX_LABEL = 100


def check_label(label, where: str = "experiment") -> str:
    """Refuse a label that cannot name a run: empty (or blank), ``.``/``..``, with NUL or another control
    character, or longer than :data:`MAX_LABEL` characters.

    A ``/`` is allowed (the catalogue has ``"GD h/L"``): a cell's directory name is a slug of the label
    plus a hash (:func:`cell_key`), never the label itself, so no label can reach outside ``OUT``.
    """
    if not isinstance(label, str):
        raise TypeError(f"{where}: optimizer label must be a string, got {label!r}")
    short = label if len(label) <= 40 else label[:37] + "..."
    if not label.strip():
        raise ValueError(f"{where}: optimizer label {label!r} is empty; give it a name (label = '...')")
    if label in (".", ".."):
        raise ValueError(f"{where}: optimizer label {label!r} is not a name; give it one (label = '...')")
    if len(label) > MAX_LABEL:
        raise ValueError(f"{where}: optimizer label {short!r} has {len(label)} characters; at most {MAX_LABEL} "
                         f"are allowed")
    bad = [c for c in label if unicodedata.category(c) in ("Cc", "Cs")]
    if bad:
        raise ValueError(f"{where}: optimizer label {short!r} contains {bad[0]!r}; labels may not contain NUL "
                         f"or other control characters")
    return label


def tuplify(params: dict) -> dict:
    """A problem table with lists as tuples (the form ``problems.from_config`` takes)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
