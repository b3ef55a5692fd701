r"""Curves from other people's logs: CSV/TSV, JSON lines, NPZ, or a ratecheck result directory.

What the estimators need is a grid of steps :math:`t_1 < \dots < t_K` and a matrix of values
:math:`c_{k,r}` (checkpoint k, replicate r). A log gives it in one of two shapes:

* **long**: one row per step and replicate (columns such as ``step, seed, value``), pivoted on the
  replicate column; only the steps every replicate logged are kept (a replicate that logged fewer
  steps must not bias the mean at the steps it skipped);
* **wide**: one row per step, one column per replicate (every numeric column but the step one, or
  those whose name contains ``--y``).

Without flags, the step column is the first one named as loggers name it (:data:`STEP_NAMES`:
pandas, Weights & Biases ``_step``, TensorBoard ``global_step`` / ``step``), the replicate column the
first of :data:`REPLICATE_NAMES`, the value column ``value``; every choice is reported in
:attr:`Curves.choices`, so the caller can print it. Anything unreadable raises ``ValueError`` naming the
file and what to pass.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..sim.result import SimulationResult

__all__ = ["Curves", "read_table", "read_curves", "STEP_NAMES", "REPLICATE_NAMES", "VALUE_NAMES", "NOT_VALUES"]

STEP_NAMES = ("step", "_step", "global_step", "steps", "iteration", "iter", "t", "checkpoint")
REPLICATE_NAMES = ("replicate", "seed", "run", "rep", "trial")
VALUE_NAMES = ("value", "loss", "metric", "y")
#: columns of logger exports that are never a replicate of a wide log (clock time, epochs)
NOT_VALUES = ("wall time", "wall_time", "relative time", "time", "timestamp", "_runtime", "_timestamp", "epoch")


@dataclass
class Curves:
    """Steps (``t``, shape (K,)) and values (shape (K, R)) read from a log, with how they were chosen."""

    t: np.ndarray
    values: np.ndarray
    x_name: str
    y_name: str
    layout: str                      # "long", "wide" or "ratecheck result"
    choices: list = field(default_factory=list)

    @property
    def replicates(self) -> int:
        return int(self.values.shape[1])


def _number(text, where: str) -> float:
    if text is None or (isinstance(text, str) and text.strip() in ("", "nan", "NaN")):
        return math.nan
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {text!r} is not a number") from None


def read_table(path) -> dict[str, list]:
    """Columns (name -> list of raw values) of a CSV/TSV, JSON-lines or NPZ file of 1-D columns."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file (give a CSV/TSV, JSON lines, NPZ file or a result directory)")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: not a readable NPZ file ({err})") from None
        return {k: v for k, v in arrays.items()}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (CSV/TSV or JSON lines expected)") from None
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _json_lines(path, text)
    delimiter = "\t" if suffix == ".tsv" or ("\t" in text.splitlines()[0] and "," not in text.splitlines()[0]) \
        else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [r for r in rows if r]
    header, body = rows[0], rows[1:]
    if len(set(header)) != len(header) or any(not h.strip() for h in header):
        raise ValueError(f"{path}: the header must name every column once, got {header}")
    for i, r in enumerate(body, start=2):
        if len(r) != len(header):
            raise ValueError(f"{path}: line {i} has {len(r)} fields, the header has {len(header)}")
    if not body:
        raise ValueError(f"{path}: the file has a header but no rows")
    return {h.strip(): [r[j] for r in body] for j, h in enumerate(header)}


def _json_lines(path: Path, text: str) -> dict[str, list]:
    records = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: line {i} is not JSON ({err.msg}); one object per line expected") from None
        if not isinstance(obj, dict):
            raise ValueError(f"{path}: line {i} is not a JSON object")
        records.append(obj)
    names = list(dict.fromkeys(k for r in records for k in r))
    return {k: [r.get(k) for r in records] for k in names}


def _pick(given, candidates, columns, what: str, flag: str, choices: list):
    if given is not None:
        if given not in columns:
            raise ValueError(f"{flag} {given!r}: no such column; columns are {', '.join(columns)}")
        choices.append(f"{what} = {given!r} ({flag})")
        return given
    lowered = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lowered:
            choices.append(f"{what} = {lowered[name]!r} (named {name!r}; {flag} to choose another)")
            return lowered[name]
    return None


def _floats(column, where: str) -> np.ndarray:
    arr = np.asarray(column)
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64).ravel()
    return np.array([_number(v, where) for v in column], dtype=np.float64)


def read_curves(path, *, x: str | None = None, y: str | None = None, replicate: str | None = None) -> Curves:
    """The curves in ``path``: a table file (long or wide) or a ratecheck result directory."""
    path = Path(path)
    if path.is_dir():
        return _result_curves(path, x, y, replicate)
    cols = read_table(path)
    twod = {k: v for k, v in cols.items() if np.ndim(v) == 2}
    choices: list = []
    names = list(cols)
    xcol = _pick(x, STEP_NAMES, names, "steps", "--x", choices)
    if xcol is None:
        raise ValueError(f"{path}: no step column (none named {', '.join(STEP_NAMES[:3])}); "
                         f"name it with --x (columns: {', '.join(names)})")
    t_all = _floats(cols[xcol], f"{path}: column {xcol!r}")
    if twod:                                            # NPZ: steps and one (steps, replicates) array
        key = y if y is not None else (next(iter(twod)) if len(twod) == 1 else None)
        if key not in twod:
            raise ValueError(f"{path}: choose the values array with --y (2-D arrays: {', '.join(twod)})")
        choices.append(f"values = {key!r} (wide: {twod[key].shape[1]} replicates as columns)")
        return _finish(path, t_all, np.asarray(twod[key], dtype=np.float64), xcol, key, "wide", choices)
    rcol = _pick(replicate, REPLICATE_NAMES, [n for n in names if n != xcol], "replicates", "--replicate", choices)
    if rcol is not None:
        ycol = _pick(y, VALUE_NAMES, [n for n in names if n not in (xcol, rcol)], "values", "--y", choices)
        if ycol is None:
            rest = [n for n in names if n not in (xcol, rcol)]
            if len(rest) != 1:
                raise ValueError(f"{path}: which column holds the values? pass --y (columns: {', '.join(rest)})")
            ycol = rest[0]
            choices.append(f"values = {ycol!r} (the only other column)")
        return _pivot(path, t_all, cols[rcol], _floats(cols[ycol], f"{path}: column {ycol!r}"), xcol, ycol, rcol,
                      choices)
    wide = [n for n in names if n != xcol and (y is None or y in n) and n.lower() not in NOT_VALUES
            and not n.endswith(("__MIN", "__MAX"))]
    if y is not None and not wide:
        raise ValueError(f"--y {y!r}: no column contains it; columns are {', '.join(names)}")
    single = next((n for n in wide if n.lower() in VALUE_NAMES), None) if y is None else None
    if single is not None:                       # one run's log (e.g. TensorBoard's Wall time, Step, Value)
        wide = [single]
    values = np.column_stack([_floats(cols[n], f"{path}: column {n!r}") for n in wide]) if wide else \
        np.empty((t_all.size, 0))
    choices.append(f"replicates = {len(wide)} column(s) {', '.join(map(repr, wide[:4]))}"
                   f"{', ...' if len(wide) > 4 else ''} (wide; no replicate column: --replicate for long format)")
    return _finish(path, t_all, values, xcol, y or "value", "wide", choices)


def _pivot(path, t_all, reps, y_all, xcol, ycol, rcol, choices) -> Curves:
    keys = [str(r) for r in np.asarray(reps).ravel().tolist()]
    order = list(dict.fromkeys(keys))
    per = {k: {} for k in order}
    for t, k, v in zip(t_all.tolist(), keys, y_all.tolist()):
        if math.isnan(t):
            raise ValueError(f"{path}: a row has no step in column {xcol!r}")
        if t in per[k]:
            raise ValueError(f"{path}: replicate {k!r} logs step {t:g} twice")
        if not math.isnan(v):
            per[k][t] = v
    common = sorted(set.intersection(*(set(d) for d in per.values()))) if per else []
    dropped = sum(len(d) for d in per.values()) - len(common) * len(per)
    if dropped:
        choices.append(f"{dropped} value(s) at steps not logged by every replicate left out")
    values = np.array([[per[k][t] for k in order] for t in common], dtype=np.float64).reshape(len(common), len(order))
    choices.append(f"long format: {len(order)} replicates by {rcol!r}, values {ycol!r}")
    return _finish(path, np.array(common), values, xcol, ycol, "long", choices)


def _finish(path, t, values, xcol, ycol, layout, choices) -> Curves:
    if values.ndim != 2 or values.shape[0] != t.size:
        raise ValueError(f"{path}: {values.shape[0] if values.ndim else 0} rows of values for {t.size} steps")
    if np.isnan(t).any():
        raise ValueError(f"{path}: the step column {xcol!r} has empty or non-numeric entries")
    order = np.argsort(t, kind="stable")
    t, values = t[order], values[order]
    if np.any(np.diff(t) == 0):
        raise ValueError(f"{path}: step {t[np.argmax(np.diff(t) == 0)]:g} appears twice in {xcol!r}; "
                         f"a long-format log needs --replicate COL")
    return Curves(t=t, values=values, x_name=xcol, y_name=ycol, layout=layout, choices=choices)


def _result_curves(path: Path, x, y, replicate) -> Curves:
    if x is not None or replicate is not None:
        raise ValueError(f"{path}: a ratecheck result has its own steps and replicates; give only --y METRIC")
    try:
        res = SimulationResult.load(path)
    except FileNotFoundError:
        raise ValueError(f"{path}: a directory, but not a ratecheck result (no result.json)") from None
    names = list(res.metrics)
    name = y if y is not None else next((n for n in ("gap", "grad_norm_sq", "min_grad_norm_sq") if n in names),
                                        names[0])
    if name not in res.metrics:
        raise ValueError(f"--y {name!r}: the result records {', '.join(names)}")
    choices = [f"values = metric {name!r} ({'--y' if y else 'default; --y to choose another'})"]
    return Curves(t=np.asarray(res.checkpoints, dtype=np.float64), values=np.asarray(res.metrics[name]),
                  x_name="step", y_name=name, layout="ratecheck result", choices=choices)
