r"""The window of checkpoints a rate is fitted on, and the settled-slope check.

Automatic window (``window="auto"``)
------------------------------------
Let :math:`u = \log t` over the checkpoints where the center is finite and positive.

1. **Burn-in**: drop :math:`u < u_{first} + b\,(u_{last} - u_{first})` with ``burn_in`` = b
   (default 0.2, the first fifth of the log range).
2. **Machine precision**: end the window before the first checkpoint whose center is
   :math:`\le` ``precision`` × (largest center) (default 1e-15) or not positive.
3. **Plateau (noise floor)**: for a decreasing curve (OLS slope :math:`s_{all} < 0` over
   what is left), take the tail = the last ``tail`` fraction of the log range (default
   0.2, at least 3 checkpoints) and its OLS slope :math:`s_{tail}`. If
   :math:`|s_{tail}| \le` ``plateau_frac`` :math:`\cdot |s_{all}|` (default 0.1) the curve has
   reached a floor :math:`f` = median of the tail's center; the window ends before the
   first checkpoint with center :math:`\le` ``floor_factor`` :math:`\cdot f` (default 10), where
   the floor contributes at most about a tenth of the value.
4. **Settled local slopes**: for a candidate window :math:`[t_{lo}, t_{hi}]` split the log
   range at its midpoint and fit the slope of each half (each half needs 3 checkpoints);
   the *drift* is (slope of the second half) − (slope of the first half). The window is
   settled when the bootstrap interval of the drift (same resampling, level
   ``confidence``) meets :math:`[-\tau, \tau]` with :math:`\tau` = ``slope_tol`` (default
   0.05), i.e. the drift is not significantly larger than :math:`\tau`; without noise
   this is :math:`|\text{drift}| \le \tau`. Starting from the longest window, :math:`t_{lo}`
   moves to later checkpoints until the window is settled, keeping at least
   ``min_points`` checkpoints and ``min_decades`` decades (default 1).
5. If no such window exists the curve is **not yet asymptotic**: ``asymptotic=False``,
   ``exponent`` and ``ci`` are NaN (no rate is reported), ``window`` is the shortest
   candidate and ``local_slopes`` / ``message`` say how the slope is still moving.

With ``window=None`` (all valid checkpoints) or ``window=(t_lo, t_hi)`` steps 1–3 are
skipped but step 4's check is applied to the given window (``asymptotic=None`` when a
half has fewer than 3 checkpoints).

A log factor (e.g. :math:`\log T/\sqrt T` of SGD with an anytime step α/√t) is not a
power law: its local slope :math:`a + 1/\ln t` drifts too slowly to be flagged over a
few decades and biases the fitted exponent upwards; compare with
:func:`ratecheck.theory.predicted_slope`, which reports the log power.
"""
from __future__ import annotations

import math

import numpy as np

from .bootstrap import percentile_interval
from .common import slopes

__all__ = ["MIN_HALF", "halves", "half_drift", "checkable", "drift_check", "slope_story", "auto_window",
           "window_indices"]

#: checkpoints each half of a window needs for its local slope
MIN_HALF = 3


# ---------------------------------------------------------------------------- drift / window
def halves(x):
    mid = 0.5 * (x[0] + x[-1])
    return x <= mid, x >= mid


def half_drift(x, y, method):
    """(drift, slope_first_half, slope_second_half) along axis 0 of y."""
    left, right = halves(x)
    s1 = slopes(x[left], y[left], method)
    s2 = slopes(x[right], y[right], method)
    return s2 - s1, s1, s2


def checkable(x) -> bool:
    left, right = halves(x)
    return left.sum() >= MIN_HALF and right.sum() >= MIN_HALF


def drift_check(x, y, yb, method, tol, confidence):
    """Drift statistics of one window: (settled, drift, drift_ci, (s1, s2), tol)."""
    d, s1, s2 = half_drift(x, y, method)
    db, _, _ = half_drift(x, yb, method)
    lo, hi = percentile_interval(db, confidence)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo = hi = float(d)
    settled = not (lo > tol or hi < -tol)
    return settled, float(d), (lo, hi), (float(s1), float(s2))


def slope_story(d, s12, tol, decreasing) -> str:
    s1, s2 = s12
    trend = "flattening" if (d > 0) == decreasing else "steepening"
    hint = ("a slower regime or a noise floor is setting in: run longer to see which, or end the "
            "window earlier" if trend == "flattening" else
            "a transient or a log factor is still visible: run longer")
    return (f"local slopes have not settled: {s1:.3g} over the first half of the window, {s2:.3g} over "
            f"the second (drift {d:+.3g}, tolerance ±{tol:.3g}); the curve is still {trend} — {hint}")


def auto_window(x, y, yb, *, method, confidence, burn_in, precision, floor_factor, plateau_frac,
                 tail, slope_tol, relative_tol, min_points, min_span):
    """Indices of the automatic window; see the module docstring for the rule."""
    notes = []
    valid = np.flatnonzero(np.isfinite(y))
    if valid.size < min_points:
        raise ValueError(f"only {valid.size} checkpoints have a finite positive center; "
                         f"need at least min_points={min_points}")
    first_valid = valid[0]
    # (2) machine precision: the window ends before the first tiny or non-positive center
    ymax = np.nanmax(y)
    bad = np.flatnonzero((~np.isfinite(y[first_valid:])) | (y[first_valid:] <= ymax + math.log(precision)))
    end = first_valid + bad[0] if bad.size else y.size
    if bad.size:
        notes.append(f"precision floor (center ≤ {precision:g} × max) from t-index {end}")
    idx = np.arange(first_valid, end)
    # (1) burn-in
    if idx.size and burn_in > 0:
        x0, x1 = x[idx[0]], x[idx[-1]]
        idx = idx[x[idx] >= x0 + burn_in * (x1 - x0)]
    if idx.size < min_points:
        raise ValueError(f"only {idx.size} checkpoints are left after the burn-in and the precision "
                         f"floor; need at least min_points={min_points} (pass window=(t_lo, t_hi))")
    # (3) plateau
    plateau = None
    s_all = slopes(x[idx], y[idx], "ols")
    if s_all < 0 and idx.size >= 2 * MIN_HALF:
        xs = x[idx]
        tail_idx = idx[xs >= xs[-1] - tail * (xs[-1] - xs[0])]
        if tail_idx.size < MIN_HALF:
            tail_idx = idx[-MIN_HALF:]
        s_tail = slopes(x[tail_idx], y[tail_idx], "ols")
        if abs(s_tail) <= plateau_frac * abs(s_all):
            level = float(np.median(y[tail_idx]))
            plateau = math.exp(level)
            above = y[idx] > level + math.log(floor_factor)
            cut = np.flatnonzero(~above)
            idx = idx[:cut[0]] if cut.size else idx
            notes.append(f"plateau at {plateau:.3g} (tail slope {s_tail:.3g} vs {s_all:.3g}); window "
                         f"ends where the center exceeds {floor_factor:g}× the plateau")
            if idx.size < min_points:
                raise ValueError(f"only {idx.size} checkpoints lie above {floor_factor:g}× the plateau "
                                 f"{plateau:.3g}; need at least min_points={min_points}")
    # (4) settled local slopes, moving t_lo later
    last = None
    for i in range(idx.size):
        w = idx[i:]
        if not checkable(x[w]) or (i and (w.size < min_points or x[w[-1]] - x[w[0]] < min_span)):
            break
        tol = slope_tol * abs(slopes(x[w], y[w], "ols")) if relative_tol else slope_tol
        check = drift_check(x[w], y[w], yb[w], method, tol, confidence)
        last = (w, check, tol)
        if check[0]:
            if i:
                notes.append(f"burn-in: local slopes settle from t-index {w[0]}")
            return w, True, check, tol, plateau, notes
    if last is None:
        # too short to check: keep the window, say so
        return idx, None, None, None, plateau, notes
    w, check, tol = last
    return w, False, check, tol, plateau, notes


def window_indices(t, y, window, min_points):
    if window is None:
        idx = np.flatnonzero(np.isfinite(y))
    else:
        try:
            lo, hi = (float(v) for v in window)
        except (TypeError, ValueError):
            raise TypeError(f"window must be None, 'auto' or (t_lo, t_hi), got {window!r}") from None
        if not lo < hi:
            raise ValueError(f"window must have t_lo < t_hi, got {window!r}")
        idx = np.flatnonzero((t >= lo) & (t <= hi) & np.isfinite(y))
    if idx.size < min_points:
        raise ValueError(f"only {idx.size} checkpoints with a finite positive center lie in the window "
                         f"{window!r}; need at least min_points={min_points}")
    return idx
