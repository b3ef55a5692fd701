r"""Exponents across horizons (one run per horizon T), optionally with a finite-horizon correction.

The fit is log center(T) against log T; the bootstrap resamples the replicates of each horizon
independently. With a correction of relative order :math:`T^{-q}` the model is
:math:`c(T) = A\,T^{p}\,(1 + b\,T^{-q})`, with b profiled out (see :func:`fit_horizon_sweep`).
"""
from __future__ import annotations

import math

import numpy as np

from .. import validate as V
from .bootstrap import BATCH_ELEMENTS, bootstrap_ci, resample_centers
from .common import center_of, check_options, checkpoints_array, fit_message, generator, line_fit, log_positive, slopes
from .fits import RateFit
from .window import MIN_HALF, checkable, drift_check, half_drift, halves, slope_story

__all__ = ["fit_horizon_sweep"]


def fit_horizon_sweep(horizons, values_per_horizon, *, center: str = "mean", method: str = "ols",
                      n_boot: int = 2000, confidence: float = 0.95, rng=None, ci_method: str = "expanded",
                      min_replicates: int = 5, min_points: int = 3, slope_tol: float = 0.05,
                      correction: float | None = None) -> RateFit:
    r"""Exponent across horizons T of a horizon-dependent schedule (one run per T).

    Parameters
    ----------
    horizons : array of shape (n_horizons,)
        Positive, strictly increasing horizons T.
    values_per_horizon : sequence of 1-D arrays, or array (n_horizons, replicates)
        One scalar per replicate per horizon, e.g. :math:`\min_t\|\nabla F(x_t)\|^2` at the
        end of each run; NaN/inf entries (diverged) are excluded per horizon and counted.

    The fit is log center(T) against log T; the bootstrap resamples the replicates of each
    horizon independently (``scipy.stats.bootstrap`` with one sample per horizon). With at
    least 6 horizons the settled-slope check of :func:`fit_rate` is applied to the two halves.

    correction : float q > 0, optional
        Fit :math:`c(T) = A\,T^{p}\,(1 + b\,T^{-q})` instead of a pure power law: the leading
        exponent p with a finite-horizon correction of known *relative order* :math:`T^{-q}`
        (e.g. q = 1/2 for the :math:`O(c/\sqrt T)` corrections of a step c/√T, q = 2 for a
        sample complexity :math:`a\varepsilon^{-2} + b\varepsilon^{-4}` in x = 1/ε). The order q is
        an assumption the caller states (and a claim must justify); b is fitted, profiled out
        by a grid and golden-section search, with the relative correction at the smallest
        horizon restricted to [−0.9, 10]. An optimum on that boundary means the model does not
        describe the data: ``asymptotic=False`` and no exponent. Needs at least 5 horizons
        (3 parameters, 2 degrees of freedom); OLS only. The settled-slope check is replaced by
        the model; the local slopes are still reported.
    """
    check_options(center, method, ci_method, n_boot, confidence, min_replicates)
    Tv = checkpoints_array("horizons", horizons)
    min_points = V.integer("min_points", min_points, low=2)
    rows = list(values_per_horizon)
    if len(rows) != Tv.size:
        raise ValueError(f"values_per_horizon must have one entry per horizon ({Tv.size}), got {len(rows)}")
    samples, n_div, total = [], 0, 0
    for T_, v in zip(Tv, rows):
        v = np.asarray(v, dtype=np.float64).ravel()
        ok = np.isfinite(v)
        n_div += int(v.size - ok.sum())
        total += v.size
        if ok.sum() < min_replicates:
            raise ValueError(f"horizon {T_:g} has only {int(ok.sum())} finite replicates of {v.size}; a fit "
                             f"needs at least min_replicates={min_replicates}")
        samples.append(v[ok])
    if Tv.size < min_points:
        raise ValueError(f"only {Tv.size} horizons; need at least min_points={min_points}")
    gen = generator(rng)
    xv = np.log(Tv)
    y = log_positive(np.array([center_of(s, center) for s in samples]))
    if not np.all(np.isfinite(y)):
        raise ValueError("the center at some horizon is not positive; cannot take logs")
    notes = []
    asym, reason, drift, drift_ci, local = None, "unchecked", math.nan, (math.nan, math.nan), ()
    if correction is not None:
        return _corrected_sweep(Tv, xv, y, samples, correction, center=center, method=method, n_boot=n_boot,
                                confidence=confidence, rng=gen, ci_method=ci_method, n_div=n_div, total=total)
    if checkable(xv):
        yb = log_positive(np.stack([resample_centers(s[None, :], center, n_boot, gen)[0] for s in samples]))
        settled, drift, drift_ci, s12 = drift_check(xv, y, yb, method, slope_tol, confidence)
        left, right = halves(xv)
        local = ((float(np.exp(xv[left].mean())), s12[0]), (float(np.exp(xv[right].mean())), s12[1]))
        asym, reason = settled, ("ok" if settled else "not_asymptotic")
        if not settled:
            notes.append(slope_story(drift, s12, slope_tol, bool(slopes(xv, y, "ols") < 0)))
    else:
        notes.append(f"fewer than {2 * MIN_HALF} horizons: the local slopes were not checked")
    base = _sweep_base(Tv, samples, n_div, method=method, center=center, ci_method=ci_method,
                       confidence=confidence, n_boot=n_boot, asymptotic=asym, reason=reason,
                       local_slopes=local, drift=drift, drift_ci=drift_ci)
    if asym is False:
        return RateFit(exponent=math.nan, ci=(math.nan, math.nan), intercept=math.nan,
                       message=fit_message(notes, n_div, total), **base)
    slope, intercept = line_fit(xv, y, method)

    statistic = _sweep_statistic(center, lambda logc: slopes(xv, logc, method))

    batch = max(1, BATCH_ELEMENTS // max(1, base["n_replicates"]))
    lo, hi, note = bootstrap_ci(tuple(samples), statistic, theta=slope, n_boot=n_boot, confidence=confidence,
                             ci_method=ci_method, rng=gen, batch_size=batch)
    if note:
        notes.append(note)
    return RateFit(exponent=slope, ci=(lo, hi), intercept=intercept, message=fit_message(notes, n_div, total),
                   **base)


# ---------------------------------------------------------------------------- correction-aware sweep
#: range of the relative correction r = b·x_min^(−q) at the smallest abscissa that the
#: corrected model may take; an optimum on the boundary means the model does not describe the data
_CORRECTION_RANGE = (-0.9, 10.0)
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def _corrected_slopes(u, y, q, *, grid: int = 241, iters: int = 48):
    r"""Fit y = a + p·u + log(1 + r·e^{−q(u−u_0)}) along axis 0; vectorized over trailing axes.

    For a fixed relative correction r the model is linear in (a, p), so r is profiled out:
    the residual sum of squares is scanned on a grid of r over :data:`_CORRECTION_RANGE` and
    refined by golden-section search around the best grid point. Returns (p, r, at_boundary),
    each of shape ``y.shape[1:]``.
    """
    u = np.asarray(u, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    tail = y.shape[1:]
    y2 = y.reshape(y.shape[0], -1)[:, :, None]                 # (n, B, 1)
    z = np.exp(-q * (u - u[0]))[:, None, None]                # (n, 1, 1)
    uc = (u - u.mean())[:, None, None]
    suu = float(np.sum(uc * uc))

    def rss(r):                                                # r: (B, G) -> rss, slope (B, G)
        w = y2 - np.log1p(r[None] * z)
        w -= w.mean(axis=0)
        slope = (uc * w).sum(axis=0) / suu
        w -= slope * uc
        return (w * w).sum(axis=0), slope

    lo_r, hi_r = _CORRECTION_RANGE
    rs = np.linspace(lo_r, hi_r, grid)
    nb = y2.shape[1]
    with np.errstate(all="ignore"):
        s, _ = rss(np.broadcast_to(rs, (nb, grid)))
        k = np.argmin(np.where(np.isfinite(s), s, np.inf), axis=-1)
        a = rs[np.maximum(k - 1, 0)][:, None]
        b = rs[np.minimum(k + 1, grid - 1)][:, None]
        for _ in range(iters):                                 # golden section on [a, b]
            c1 = b - _GOLDEN * (b - a)
            c2 = a + _GOLDEN * (b - a)
            left = rss(c1)[0] <= rss(c2)[0]
            b = np.where(left, c2, b)
            a = np.where(left, a, c1)
        r = 0.5 * (a + b)
        p = rss(r)[1]
    boundary = (k == 0) | (k == grid - 1)
    return p[:, 0].reshape(tail), r[:, 0].reshape(tail), boundary.reshape(tail)


def _sweep_base(Tv, samples, n_div, **fields) -> dict:
    """The RateFit fields every fit across horizons shares."""
    return dict(window=(float(Tv[0]), float(Tv[-1])), n_replicates=int(sum(s.size for s in samples)),
                n_diverged=n_div, n_points=int(Tv.size), **fields)


def _sweep_statistic(center, slope_of_log_centers):
    """Bootstrap statistic of a sweep: the slope of the log centers, one resampled sample per horizon."""
    def statistic(*resampled, axis=-1):
        # BCa's jackknife resamples one horizon at a time: broadcast the others' centers
        centers = np.broadcast_arrays(*[center_of(s, center, axis=axis) for s in resampled])
        return slope_of_log_centers(log_positive(np.stack(centers)))
    return statistic


def _corrected_sweep(Tv, xv, y, samples, q, *, center, method, n_boot, confidence, rng, ci_method, n_div,
                     total) -> RateFit:
    """fit_horizon_sweep with a relative O(T^-q) correction (see its docstring)."""
    q = V.positive("correction", q)
    if method != "ols":
        raise ValueError(f"correction={q:g} is fitted by least squares only; use method='ols' (got {method!r})")
    if Tv.size < 5:
        raise ValueError(f"a fit with a correction term has 3 parameters and needs at least 5 horizons "
                         f"(got {Tv.size}): add horizons")
    d, s1, s2 = half_drift(xv, y, "ols")
    left, right = halves(xv)
    local = ((float(np.exp(xv[left].mean())), float(s1)), (float(np.exp(xv[right].mean())), float(s2)))
    plain, _ = line_fit(xv, y, "ols")
    p, r, edge = (float(v) for v in _corrected_slopes(xv, y, q))
    base = _sweep_base(Tv, samples, n_div, method=method, center=center, ci_method=ci_method,
                       confidence=confidence, n_boot=n_boot, local_slopes=local, drift=float(d))
    r_last = r * math.exp(-q * (xv[-1] - xv[0]))
    story = (f"fitted with a relative O(T^-{q:g}) correction: relative correction {r:+.3g} at "
             f"T = {Tv[0]:g}, {r_last:+.3g} at T = {Tv[-1]:g}; pure power-law slope {plain:.4g}, local "
             f"slopes {s1:.4g} then {s2:.4g}")
    if edge:
        lo_r, hi_r = _CORRECTION_RANGE
        return RateFit(exponent=math.nan, ci=(math.nan, math.nan), intercept=math.nan, asymptotic=False,
                       reason="not_asymptotic",
                       message=fit_message([f"the correction the data need at T = {Tv[0]:g} lies outside "
                                         f"[{lo_r:g}, {hi_r:g}] (relative): A·T^p·(1 + b·T^-{q:g}) does not "
                                         f"describe these horizons; {story}"], n_div, total), **base)
    z = np.exp(-q * (xv - xv[0]))
    _, intercept = line_fit(xv, y - np.log1p(r * z), "ols")

    statistic = _sweep_statistic(center, lambda logc: _corrected_slopes(xv, logc, q)[0])

    batch = max(1, BATCH_ELEMENTS // (max(1, base["n_replicates"]) * 8))
    lo, hi, note = bootstrap_ci(tuple(samples), statistic, theta=p, n_boot=n_boot, confidence=confidence,
                             ci_method=ci_method, rng=rng, batch_size=batch)
    notes = [story] + ([note] if note else [])
    return RateFit(exponent=p, ci=(lo, hi), intercept=intercept, asymptotic=None, reason="corrected",
                   message=fit_message(notes, n_div, total), correction=(q, r, float(Tv[0])), **base)
