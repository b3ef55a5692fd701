r"""Shared pieces of the rate estimators: option checks, the replicate center, slopes and lines.

Every estimator reads stored curves of shape ``(n_checkpoints, replicates)``. A column containing a
non-finite value (the simulator writes NaN after a replicate diverges) is excluded from every center
and every resample, and counted (``n_diverged``); excluding them conditions on survival, which the
fit's message says (:func:`fit_message`). A fit is refused (``ValueError``) when fewer than
``min_replicates`` columns survive.

Slopes are vectorized over trailing axes (one column per bootstrap resample): ordinary least squares
:math:`\hat a = \sum (x - \bar x)(y - \bar y) / \sum (x - \bar x)^2`, or the Theil–Sen median of the
pairwise slopes :math:`(y_j - y_i)/(x_j - x_i)` (Sen 1968), robust to a few outlying checkpoints.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.stats as _st

from .. import validate as V

__all__ = ["CENTERS", "METHODS", "CI_METHODS", "generator", "checkpoints_array", "surviving_columns",
           "check_options", "window_options", "center_of", "log_positive", "slopes", "line_fit", "fit_message"]

CENTERS = ("mean", "median")
METHODS = ("ols", "theil_sen")
CI_METHODS = ("expanded", "percentile", "BCa", "basic")


# ---------------------------------------------------------------------------- validation
def generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.Generator(np.random.PCG64(rng))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(V.integer("rng", rng, low=0))))


def checkpoints_array(name, t) -> np.ndarray:
    try:
        t = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(t).__name__}") from None
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"{name} must be a 1-D array of at least 2 values, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or not np.all(t > 0):
        raise ValueError(f"{name} must be finite and positive")
    if not np.all(np.diff(t) > 0):
        raise ValueError(f"{name} must be strictly increasing")
    return t


def surviving_columns(checkpoints, values, min_replicates):
    """(t, surviving columns, n_diverged) after validating shapes and dropping NaN columns."""
    t = checkpoints_array("checkpoints", checkpoints)
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"values must be an array of shape (n_checkpoints, replicates), "
                        f"got {type(values).__name__}") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != t.size:
        raise ValueError(f"values must have shape (n_checkpoints={t.size}, replicates), got {x.shape}")
    keep = np.isfinite(x).all(axis=0)
    n_div = int(x.shape[1] - keep.sum())
    if keep.sum() < min_replicates:
        raise ValueError(f"only {int(keep.sum())} of {x.shape[1]} replicates are finite ({n_div} contain "
                         f"NaN/inf: diverged, or the metric overflowed); a fit needs at least min_replicates={min_replicates}")
    return t, x[:, keep], n_div


def check_options(center, method, ci_method, n_boot, confidence, min_replicates):
    V.choice("center", center, CENTERS)
    V.choice("method", method, METHODS)
    V.choice("ci_method", ci_method, CI_METHODS)
    V.integer("n_boot", n_boot, low=10)
    V.real("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)
    return V.integer("min_replicates", min_replicates, low=1)


def window_options(min_points, burn_in, precision, floor_factor, plateau_frac, tail, slope_tol) -> dict:
    """The automatic window's options, checked, as keywords of :func:`ratecheck.rates.curve.fit_curve`."""
    return {"min_points": V.integer("min_points", min_points, low=3),
            "burn_in": V.real("burn_in", burn_in, low=0.0, high=1.0, high_open=True),
            "precision": V.positive("precision", precision),
            "floor_factor": V.real("floor_factor", floor_factor, low=1.0),
            "plateau_frac": V.nonnegative("plateau_frac", plateau_frac),
            "tail": V.real("tail", tail, low=0.0, high=1.0, low_open=True),
            "slope_tol": V.nonnegative("slope_tol", slope_tol)}


# ---------------------------------------------------------------------------- vectorized pieces
def center_of(x, center, axis=-1):
    with np.errstate(all="ignore"):
        return x.mean(axis=axis) if center == "mean" else np.median(x, axis=axis)


def log_positive(c):
    with np.errstate(all="ignore"):
        return np.where(c > 0, np.log(np.where(c > 0, c, 1.0)), np.nan)


def slopes(x, y, method):
    """Slope of y against x along axis 0, vectorized over trailing axes; NaN entries ignored."""
    x = np.asarray(x, dtype=np.float64)
    shape = (-1,) + (1,) * (y.ndim - 1)
    if method == "ols":
        w = np.isfinite(y)
        yz = np.where(w, y, 0.0)
        n = w.sum(axis=0)
        xw = np.where(w, x.reshape(shape), 0.0)
        with np.errstate(all="ignore"):
            xm = xw.sum(axis=0) / n
            ym = yz.sum(axis=0) / n
            xc = np.where(w, x.reshape(shape) - xm, 0.0)
            s = (xc * (yz - ym)).sum(axis=0) / (xc * xc).sum(axis=0)
        return np.where(n >= 2, s, np.nan)
    i, j = np.triu_indices(x.size, k=1)
    with np.errstate(all="ignore"):
        pair = (y[j] - y[i]) / (x[j] - x[i]).reshape((-1,) + (1,) * (y.ndim - 1))
    if np.isnan(pair).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
            return np.nanmedian(pair, axis=0)
    return np.median(pair, axis=0)


def line_fit(x, y, method):
    """Point estimate (slope, intercept) by scipy: linregress or theilslopes."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if method == "ols":
        r = _st.linregress(x, y)
        return float(r.slope), float(r.intercept)
    r = _st.theilslopes(y, x)
    return float(r.slope), float(r.intercept)


def fit_message(notes, n_div, r_total):
    parts = []
    if n_div:
        parts.append(f"{n_div} of {r_total} replicates excluded (NaN/inf: diverged, or the metric overflowed); the fit is "
                     f"conditional on survival")
    parts += notes
    return "; ".join(parts) if parts else "ok"
