r"""The shared engine of :func:`fit_rate` (log c against log t) and :func:`fit_linear_rate` (log c against t).

The center curve :math:`y = \log c(t)` and its bootstrap resamples are computed once; the window is chosen
(:mod:`ratecheck.rates.window`), the settled-slope check applied, and the slope of the line through the
window is bracketed by a bootstrap over replicates (:func:`ratecheck.rates.bootstrap.bootstrap_ci`).
"""
from __future__ import annotations

import math

import numpy as np

from .. import validate as V
from .bootstrap import BATCH_ELEMENTS, bootstrap_ci, resample_centers
from .common import center_of, generator, line_fit, log_positive, slopes
from .window import MIN_HALF, auto_window, checkable, drift_check, halves, slope_story, window_indices

__all__ = ["fit_curve"]


def fit_curve(t, x_rep, xform, *, center, method, window, n_boot, confidence, rng, ci_method,
               min_points, burn_in, precision, floor_factor, plateau_frac, tail, slope_tol,
               relative_tol, min_decades):
    """Shared engine of fit_rate (xform = log t) and fit_linear_rate (xform = t)."""
    gen = generator(rng)
    n_ck, r = x_rep.shape
    xv = np.log(t) if xform == "log" else t.astype(np.float64)
    y = log_positive(center_of(x_rep, center, axis=1))
    yb = log_positive(resample_centers(x_rep, center, n_boot, gen))
    min_span = min_decades * math.log(10.0) if xform == "log" else 0.0
    notes = []
    plateau = None
    if isinstance(window, str):
        V.choice("window", window, ("auto",))
        idx, asym, check, tol, plateau, notes = auto_window(
            xv, y, yb, method=method, confidence=confidence, burn_in=burn_in, precision=precision,
            floor_factor=floor_factor, plateau_frac=plateau_frac, tail=tail, slope_tol=slope_tol,
            relative_tol=relative_tol, min_points=min_points, min_span=min_span)
    else:
        idx = window_indices(t, y, window, min_points)
        if checkable(xv[idx]):
            tol = slope_tol * abs(slopes(xv[idx], y[idx], "ols")) if relative_tol else slope_tol
            check = drift_check(xv[idx], y[idx], yb[idx], method, tol, confidence)
            asym = check[0]
        else:
            asym, check, tol = None, None, None
    xw = xv[idx]
    if check is not None:
        _, drift, drift_ci, s12 = check
        left, right = halves(xw)
        back = np.exp if xform == "log" else (lambda v: v)
        local = ((float(back(xw[left].mean())), s12[0]), (float(back(xw[right].mean())), s12[1]))
    else:
        drift, drift_ci, local, s12 = math.nan, (math.nan, math.nan), (), None
    window_t = (float(t[idx[0]]), float(t[idx[-1]]))
    base = {"window": window_t, "method": method, "center": center, "ci_method": ci_method,
            "confidence": confidence, "n_boot": n_boot, "n_replicates": r, "n_points": int(idx.size),
            "local_slopes": local, "drift": drift, "drift_ci": drift_ci, "plateau": plateau}
    if asym is False:
        decreasing = bool(slopes(xw, y[idx], "ols") < 0)
        notes.append(slope_story(drift, s12, tol, decreasing))
        return dict(base, slope=math.nan, ci=(math.nan, math.nan), intercept=math.nan, asymptotic=False,
                    reason="not_asymptotic", notes=notes)
    slope, intercept = line_fit(xw, y[idx], method)
    xw_rep = x_rep[idx]

    def statistic(sample, axis=-1):
        return slopes(xw, log_positive(center_of(sample, center, axis=axis)), method)

    batch = max(1, BATCH_ELEMENTS // max(1, xw_rep.size))
    lo, hi, note = bootstrap_ci((xw_rep,), statistic, theta=slope, n_boot=n_boot, confidence=confidence,
                             ci_method=ci_method, rng=gen, batch_size=batch)
    if note:
        notes.append(note)
    if asym is None:
        notes.append(f"window too short to check the local slopes (each half needs {MIN_HALF} points)")
    return dict(base, slope=slope, ci=(lo, hi), intercept=intercept, asymptotic=asym,
                reason="ok" if asym else "unchecked", notes=notes)
