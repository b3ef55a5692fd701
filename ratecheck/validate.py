"""Input checks shared by optimizers, problems, schedules and the simulator.

Every check raises ``ValueError`` (bad value) or ``TypeError`` (bad type) with a
message that names the field, the value received and what is allowed, so a user
can fix the call or the config file without reading the source.
"""
from __future__ import annotations

import difflib
import math
import numbers

import numpy as np


def is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def short(value, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (a message stays one readable line)."""
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - a broken __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def real(name: str, value, *, low=None, high=None, low_open=False, high_open=False,
         finite=True) -> float:
    """Return ``value`` as a float after checking its type and range."""
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {short(value)} ({type(value).__name__})")
    try:
        value = float(value)
    except OverflowError:      # an integer beyond the float range
        raise ValueError(f"{name} must be a finite number, got {short(value)} (too large for a float)") from None
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got nan")
    if finite and math.isinf(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        op = "<" if high_open else "<="
        raise ValueError(f"{name} must be {op} {high}, got {value}")
    return value


def positive(name: str, value) -> float:
    return real(name, value, low=0.0, low_open=True)


def nonnegative(name: str, value) -> float:
    return real(name, value, low=0.0)


def beta(name: str, value) -> float:
    """A decay rate in [0, 1)."""
    return real(name, value, low=0.0, high=1.0, high_open=True)


def integer(name: str, value, *, low=None, high=None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {short(value)} ({type(value).__name__})")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def choice(name: str, value, allowed) -> str:
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {short(value)}")
    return value


def unknown_name(kind: str, name, known) -> ValueError:
    """The error for a name that is not registered, with close matches."""
    known = sorted(known)
    close = difflib.get_close_matches(str(name), known, n=3) if isinstance(name, str) else []
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return ValueError(f"unknown {kind} {short(name)}.{hint} Known {kind}s: {', '.join(known)}")


def vector(name: str, value, dim: int, *, positive_entries=False, allow_scalar=True) -> np.ndarray:
    """A float64 array of shape ``(dim,)``; a scalar is broadcast when allowed."""
    if allow_scalar and is_real(value):
        arr = np.full(dim, real(name, value, finite=False) if not isinstance(value, float) else value)
    else:
        bad = TypeError(f"{name} must be a number or a list of {dim} numbers, got {short(value)}")
        if isinstance(value, (str, bytes, dict)) or (
                isinstance(value, (list, tuple)) and not all(is_real(v) for v in value)):
            raise bad
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise bad from None
        if arr.shape != (dim,):
            raise ValueError(f"{name} must have shape ({dim},) to match dim, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {short(value)}")
    if positive_entries and not np.all(arr > 0):
        raise ValueError(f"{name} must be positive, got {short(value)}")
    return arr


def points(name: str, x, dim: int | None = None) -> np.ndarray:
    """Check a batch of points of shape ``(replicates, dim)`` of real floats."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of shape (replicates, dim), got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (replicates, dim), got shape {x.shape}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} columns (the problem's dim), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {x.dtype}")
    return x
