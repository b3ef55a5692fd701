r"""Empirical rates with bootstrap confidence intervals over replicates.

All estimators read stored curves (``result.checkpoints`` and a metric of shape
``(n_checkpoints, replicates)``) and never rerun a simulation.

What is fitted
--------------
:func:`fit_rate` fits the exponent :math:`a` of :math:`c(t) \approx C\,t^{a}`, where
:math:`c(t)` is the **mean** (or median) over replicates at checkpoint :math:`t`, by a
straight line through :math:`(\log t, \log c(t))` over a window of checkpoints, with
ordinary least squares (``method="ols"``) or the Theil–Sen median of pairwise slopes
(``method="theil_sen"``, robust to a few outlying checkpoints).

Confidence intervals
--------------------
The checkpoints of one replicate are correlated (a replicate that is ahead at
:math:`t=10^3` is still ahead at :math:`10^4`), so they are never treated as
independent points. The unit of resampling is the **replicate**: each bootstrap
resample draws ``replicates`` columns with replacement, recomputes the center curve
and refits the line on the same window. The interval is computed by
``scipy.stats.bootstrap``; the default ``ci_method="expanded"`` is the percentile
interval at the expanded level of Hesterberg (2015) (see :func:`_expanded_level`),
which corrects the percentile interval's narrowness with few replicates;
``"percentile"``, ``"BCa"`` and ``"basic"`` are scipy's. When every resample gives the
same value (e.g. noise-free curves) the interval has zero width.

The interval covers replicate-to-replicate variability only. A systematic error from a
transient, a log factor or a floor that the window still contains is not in it: it is
bounded by the settled-slope rule below (a drift of at most ``slope_tol`` between the
halves, so roughly ``slope_tol``/2 between the fit and the last local slope) and is
reported as ``drift``. E.g. GD on a quadratic whose second eigenvalue is close to the
smallest gives a deterministic ρ a relative 1e-4 off the asymptotic factor, with a
zero-width interval; compare such fits with a tolerance, not with the interval.

Calibration (tests/test_fit_rate.py): on curves :math:`3t^{-1/2}e^{b_r + e_{r,k}}` with a
per-replicate effect :math:`b_r \sim N(0, 0.7^2)`, AR(1) noise across checkpoints
(sd 0.3, correlation 0.8), 40 checkpoints over 4 decades and 1000 trials with
``n_boot=1000``, the 95% ``"expanded"`` interval of the mean covered −1/2 in 93.7%
(32 replicates) and 94.4% (64 replicates) of trials, median width 0.046 and 0.034; the
plain percentile interval 91.8% and 93.8%; BCa 89–92%. The remaining shortfall comes
from the heavy right tail of the log-normal replicate effect (the bootstrap spread of
the slope was about 5% below its true spread at 128 replicates). The median center
over-covers (96–99%) with wider intervals.

Diverged replicates
-------------------
A column containing a non-finite value (the simulator writes NaN after a replicate
diverges) is excluded from every center and every resample, and counted
(``n_diverged``). Excluding them conditions on survival, which the message says. A
fit is refused (``ValueError``) when fewer than ``min_replicates`` columns survive or
fewer than ``min_points`` checkpoints are left in the window.

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

References
----------
B. Efron, R. Tibshirani. An Introduction to the Bootstrap, 1993 (BCa: ch. 14).
T. C. Hesterberg. What teachers should know about the bootstrap. The American
Statistician 69(4), 2015 (expanded percentile interval).
P. K. Sen. Estimates of the regression coefficient based on Kendall's tau. JASA 1968.
``scipy.stats.bootstrap``, ``scipy.stats.theilslopes``, ``scipy.stats.linregress``.
"""
from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.stats as _st

from .. import validate as V

__all__ = ["RateFit", "ComplexityFit", "LinearRateFit", "fit_rate", "fit_horizon_sweep",
           "fit_sample_complexity", "fit_linear_rate", "CENTERS", "METHODS", "CI_METHODS"]

CENTERS = ("mean", "median")
METHODS = ("ols", "theil_sen")
CI_METHODS = ("expanded", "percentile", "BCa", "basic")

#: elements per bootstrap batch (checkpoints × resamples × replicates), to bound memory
_BATCH_ELEMENTS = 4_000_000
_MIN_HALF = 3


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class RateFit:
    r"""A fitted power law :math:`c(t) \approx e^{\text{intercept}}\,t^{\text{exponent}}` with its CI.

    Attributes
    ----------
    exponent : float
        Fitted exponent (NaN when ``asymptotic`` is False: no rate is reported).
    ci : (float, float)
        Bootstrap interval over replicates at level ``confidence``.
    intercept : float
        Natural log of the prefactor C.
    window : (t_lo, t_hi)
        First and last checkpoint (or horizon) used.
    method, center, ci_method : str
    confidence : float
    n_boot : int
    n_replicates : int
        Replicates used (after excluding diverged ones; summed over horizons for a sweep).
    n_diverged : int
        Replicates excluded because they contain NaN/inf.
    n_points : int
        Checkpoints (or horizons) in the window.
    asymptotic : bool or None
        False when the local slopes had not settled; None when the window was too short
        to check.
    reason : str
        ``"ok"``, ``"not_asymptotic"`` or ``"unchecked"``.
    message : str
        Human-readable account (exclusions, plateau, local slopes).
    local_slopes : tuple of (t, slope)
        Slopes of the two halves of the window (at the geometric middle of each half).
    drift, drift_ci : float, (float, float)
        Second-half slope minus first-half slope, and its bootstrap interval.
    plateau : float or None
        The floor level detected by the automatic window, if any.
    """

    exponent: float
    ci: tuple
    intercept: float
    window: tuple
    method: str
    center: str
    ci_method: str
    confidence: float
    n_boot: int
    n_replicates: int
    n_diverged: int
    n_points: int
    asymptotic: bool | None
    reason: str
    message: str
    local_slopes: tuple = ()
    drift: float = math.nan
    drift_ci: tuple = (math.nan, math.nan)
    plateau: float | None = None
    #: (q, r, x0) of a corrected sweep fit: c ≈ e^intercept · x^exponent · (1 + r (x/x0)^-q)
    correction: tuple | None = None

    def curve(self, x) -> np.ndarray:
        """The fitted law at x (with its correction term, if any)."""
        x = np.asarray(x, dtype=np.float64)
        y = np.exp(self.intercept) * x ** self.exponent
        if self.correction:
            q, r, x0 = self.correction
            y = y * (1.0 + r * (x / x0) ** -q)
        return y

    @property
    def prefactor(self) -> float:
        return math.exp(self.intercept)

    @property
    def width(self) -> float:
        return self.ci[1] - self.ci[0]

    def covers(self, value) -> bool:
        """Whether the interval contains ``value`` (a number or a sympy Rational)."""
        v = float(value)
        return bool(self.ci[0] <= v <= self.ci[1])

    def __str__(self) -> str:
        if not math.isfinite(self.exponent):
            return f"RateFit(no rate: {self.message})"
        return (f"exponent {self.exponent:.4g} [{self.ci[0]:.4g}, {self.ci[1]:.4g}] "
                f"({self.confidence:.0%} {self.ci_method}, {self.center} of {self.n_replicates} "
                f"replicates, {self.n_points} points in t ∈ [{self.window[0]:g}, {self.window[1]:g}])")


@dataclass(frozen=True)
class ComplexityFit:
    r"""Sample complexity :math:`T(\epsilon) \approx e^{\text{intercept}} (1/\epsilon)^{\text{exponent}}`.

    ``eps`` and ``hitting_times`` are the thresholds used and :math:`T(\epsilon)` of the center
    curve; ``unreached`` lists thresholds never reached within the run and ``before_first``
    those already met at the first checkpoint (no crossing to locate); both are excluded
    from the fit and reported here.
    """

    exponent: float
    ci: tuple
    intercept: float
    eps: tuple
    hitting_times: tuple
    unreached: tuple
    before_first: tuple
    method: str
    center: str
    ci_method: str
    confidence: float
    n_boot: int
    n_replicates: int
    n_diverged: int
    n_points: int
    message: str

    def covers(self, value) -> bool:
        v = float(value)
        return bool(self.ci[0] <= v <= self.ci[1])


@dataclass(frozen=True)
class LinearRateFit:
    r"""A geometric rate :math:`c(t) \approx e^{\text{intercept}} \rho^{t}` with a CI for ρ.

    ``rho`` is the contraction factor per step (``log_rho`` its log, the fitted slope of
    log c against t); the other fields are as in :class:`RateFit`, with the drift
    tolerance relative to :math:`|\log\rho|`.
    """

    rho: float
    ci: tuple
    log_rho: float
    intercept: float
    window: tuple
    method: str
    center: str
    ci_method: str
    confidence: float
    n_boot: int
    n_replicates: int
    n_diverged: int
    n_points: int
    asymptotic: bool | None
    reason: str
    message: str
    local_slopes: tuple = ()
    drift: float = math.nan
    drift_ci: tuple = (math.nan, math.nan)
    plateau: float | None = None

    def covers(self, value) -> bool:
        v = float(value)
        return bool(self.ci[0] <= v <= self.ci[1])


# ---------------------------------------------------------------------------- validation
def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.Generator(np.random.PCG64(rng))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(V.integer("rng", rng, low=0))))


def _checkpoints(name, t) -> np.ndarray:
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


def _curves(checkpoints, values, min_replicates):
    """(t, surviving columns, n_diverged) after validating shapes and dropping NaN columns."""
    t = _checkpoints("checkpoints", checkpoints)
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


def _common(center, method, ci_method, n_boot, confidence, min_replicates):
    V.choice("center", center, CENTERS)
    V.choice("method", method, METHODS)
    V.choice("ci_method", ci_method, CI_METHODS)
    V.integer("n_boot", n_boot, low=10)
    V.real("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)
    return V.integer("min_replicates", min_replicates, low=1)


# ---------------------------------------------------------------------------- vectorized pieces
def _center(x, center, axis=-1):
    with np.errstate(all="ignore"):
        return x.mean(axis=axis) if center == "mean" else np.median(x, axis=axis)


def _log(c):
    with np.errstate(all="ignore"):
        return np.where(c > 0, np.log(np.where(c > 0, c, 1.0)), np.nan)


def _slopes(x, y, method):
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


def _line(x, y, method):
    """Point estimate (slope, intercept) by scipy: linregress or theilslopes."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if method == "ols":
        r = _st.linregress(x, y)
        return float(r.slope), float(r.intercept)
    r = _st.theilslopes(y, x)
    return float(r.slope), float(r.intercept)


def _resample_centers(x, center, n_boot, rng):
    """Centers of ``n_boot`` replicate resamples: shape (n_checkpoints, n_boot)."""
    n_ck, r = x.shape
    out = np.empty((n_ck, n_boot))
    if center == "mean":
        # a resample's counts are Multinomial(r, 1/r each): its mean is x @ counts / r, with no
        # (n_ck, n_boot, r) array
        batch = max(1, _BATCH_ELEMENTS // max(1, r))
        p = np.full(r, 1.0 / r)
        for lo in range(0, n_boot, batch):
            hi = min(n_boot, lo + batch)
            counts = rng.multinomial(r, p, size=hi - lo).astype(np.float64)
            out[:, lo:hi] = x @ counts.T / r
        return out
    batch = max(1, _BATCH_ELEMENTS // max(1, n_ck * r))
    for lo in range(0, n_boot, batch):
        hi = min(n_boot, lo + batch)
        idx = rng.integers(0, r, size=(hi - lo, r))
        out[:, lo:hi] = np.median(x[:, idx], axis=-1)
    return out


def _interval(samples, confidence):
    q = [(1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(samples, q)
    return float(lo), float(hi)


_RNG_KW = "rng" if "rng" in inspect.signature(_st.bootstrap).parameters else "random_state"


def _expanded_level(confidence, n):
    r"""Level of the expanded percentile interval (Hesterberg 2015) for n replicates.

    The percentile interval is too narrow in small samples (the bootstrap spread of a mean
    is :math:`\sqrt{(n-1)/n}` times the sample one, and it uses normal rather than t
    quantiles); the expanded interval uses the percentile level :math:`2\Phi(z') - 1` with
    :math:`z' = \sqrt{n/(n-1)}\, t_{n-1, (1+c)/2}`.
    """
    if n < 2:
        return confidence
    z = math.sqrt(n / (n - 1)) * _st.t.ppf(0.5 + confidence / 2, n - 1)
    return float(min(2 * _st.norm.cdf(z) - 1, 1 - 1e-9))


def _scipy_ci(data, statistic, *, theta, n_boot, confidence, ci_method, rng, batch_size, paired=False):
    """``scipy.stats.bootstrap`` over the replicate axis; zero width when resamples agree.

    Returns (low, high, note).
    """
    if min(np.shape(x)[-1] for x in data) < 2:
        return theta, theta, "one replicate: nothing to resample, zero-width interval"
    kwargs = {_RNG_KW: rng}
    if ci_method == "expanded":
        confidence = _expanded_level(confidence, min(np.shape(x)[-1] for x in data))
        ci_method = "percentile"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # a degenerate (all-equal) bootstrap distribution makes BCa divide 0 by 0
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", _st.DegenerateDataWarning)
        res = _st.bootstrap(data, statistic, n_resamples=n_boot, batch=batch_size, vectorized=True,
                            paired=paired, axis=-1, confidence_level=confidence, method=ci_method,
                            **kwargs)
    dist = np.asarray(res.bootstrap_distribution, dtype=np.float64)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    finite = dist[np.isfinite(dist)]
    if finite.size and np.ptp(finite) <= 1e-12 * (1.0 + abs(theta)):
        return min(theta, float(finite.min())), max(theta, float(finite.max())), \
            "resamples agree: zero-width interval"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        n_bad = int(dist.size - finite.size)
        lo, hi = _interval(dist, confidence)
        return lo, hi, (f"{ci_method} interval undefined ({n_bad} of {dist.size} resamples without a "
                        f"fit); percentile interval of the others")
    return lo, hi, ""


# ---------------------------------------------------------------------------- drift / window
def _halves(x):
    mid = 0.5 * (x[0] + x[-1])
    return x <= mid, x >= mid


def _drift(x, y, method):
    """(drift, slope_first_half, slope_second_half) along axis 0 of y."""
    left, right = _halves(x)
    s1 = _slopes(x[left], y[left], method)
    s2 = _slopes(x[right], y[right], method)
    return s2 - s1, s1, s2


def _checkable(x) -> bool:
    left, right = _halves(x)
    return left.sum() >= _MIN_HALF and right.sum() >= _MIN_HALF


def _drift_check(x, y, yb, method, tol, confidence):
    """Drift statistics of one window: (settled, drift, drift_ci, (s1, s2), tol)."""
    d, s1, s2 = _drift(x, y, method)
    db, _, _ = _drift(x, yb, method)
    lo, hi = _interval(db, confidence)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo = hi = float(d)
    settled = not (lo > tol or hi < -tol)
    return settled, float(d), (lo, hi), (float(s1), float(s2))


def _slope_story(d, s12, tol, decreasing) -> str:
    s1, s2 = s12
    trend = "flattening" if (d > 0) == decreasing else "steepening"
    hint = ("a slower regime or a noise floor is setting in: run longer to see which, or end the "
            "window earlier" if trend == "flattening" else
            "a transient or a log factor is still visible: run longer")
    return (f"local slopes have not settled: {s1:.3g} over the first half of the window, {s2:.3g} over "
            f"the second (drift {d:+.3g}, tolerance ±{tol:.3g}); the curve is still {trend} — {hint}")


def _auto_window(x, y, yb, *, method, confidence, burn_in, precision, floor_factor, plateau_frac,
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
    s_all = _slopes(x[idx], y[idx], "ols")
    if s_all < 0 and idx.size >= 2 * _MIN_HALF:
        xs = x[idx]
        tail_idx = idx[xs >= xs[-1] - tail * (xs[-1] - xs[0])]
        if tail_idx.size < _MIN_HALF:
            tail_idx = idx[-_MIN_HALF:]
        s_tail = _slopes(x[tail_idx], y[tail_idx], "ols")
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
        if not _checkable(x[w]) or (i and (w.size < min_points or x[w[-1]] - x[w[0]] < min_span)):
            break
        tol = slope_tol * abs(_slopes(x[w], y[w], "ols")) if relative_tol else slope_tol
        check = _drift_check(x[w], y[w], yb[w], method, tol, confidence)
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


def _window_indices(t, y, window, min_points):
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


def _fit_curve(t, x_rep, xform, *, center, method, window, n_boot, confidence, rng, ci_method,
               min_points, burn_in, precision, floor_factor, plateau_frac, tail, slope_tol,
               relative_tol, min_decades):
    """Shared engine of fit_rate (xform = log t) and fit_linear_rate (xform = t)."""
    gen = _rng(rng)
    n_ck, r = x_rep.shape
    xv = np.log(t) if xform == "log" else t.astype(np.float64)
    y = _log(_center(x_rep, center, axis=1))
    yb = _log(_resample_centers(x_rep, center, n_boot, gen))
    min_span = min_decades * math.log(10.0) if xform == "log" else 0.0
    notes = []
    plateau = None
    if isinstance(window, str):
        V.choice("window", window, ("auto",))
        idx, asym, check, tol, plateau, notes = _auto_window(
            xv, y, yb, method=method, confidence=confidence, burn_in=burn_in, precision=precision,
            floor_factor=floor_factor, plateau_frac=plateau_frac, tail=tail, slope_tol=slope_tol,
            relative_tol=relative_tol, min_points=min_points, min_span=min_span)
    else:
        idx = _window_indices(t, y, window, min_points)
        if _checkable(xv[idx]):
            tol = slope_tol * abs(_slopes(xv[idx], y[idx], "ols")) if relative_tol else slope_tol
            check = _drift_check(xv[idx], y[idx], yb[idx], method, tol, confidence)
            asym = check[0]
        else:
            asym, check, tol = None, None, None
    xw = xv[idx]
    if check is not None:
        _, drift, drift_ci, s12 = check
        left, right = _halves(xw)
        back = np.exp if xform == "log" else (lambda v: v)
        local = ((float(back(xw[left].mean())), s12[0]), (float(back(xw[right].mean())), s12[1]))
    else:
        drift, drift_ci, local, s12 = math.nan, (math.nan, math.nan), (), None
    window_t = (float(t[idx[0]]), float(t[idx[-1]]))
    base = {"window": window_t, "method": method, "center": center, "ci_method": ci_method,
            "confidence": confidence, "n_boot": n_boot, "n_replicates": r, "n_points": int(idx.size),
            "local_slopes": local, "drift": drift, "drift_ci": drift_ci, "plateau": plateau}
    if asym is False:
        decreasing = bool(_slopes(xw, y[idx], "ols") < 0)
        notes.append(_slope_story(drift, s12, tol, decreasing))
        return dict(base, slope=math.nan, ci=(math.nan, math.nan), intercept=math.nan, asymptotic=False,
                    reason="not_asymptotic", notes=notes)
    slope, intercept = _line(xw, y[idx], method)
    xw_rep = x_rep[idx]

    def statistic(sample, axis=-1):
        return _slopes(xw, _log(_center(sample, center, axis=axis)), method)

    batch = max(1, _BATCH_ELEMENTS // max(1, xw_rep.size))
    lo, hi, note = _scipy_ci((xw_rep,), statistic, theta=slope, n_boot=n_boot, confidence=confidence,
                             ci_method=ci_method, rng=gen, batch_size=batch)
    if note:
        notes.append(note)
    if asym is None:
        notes.append(f"window too short to check the local slopes (each half needs {_MIN_HALF} points)")
    return dict(base, slope=slope, ci=(lo, hi), intercept=intercept, asymptotic=asym,
                reason="ok" if asym else "unchecked", notes=notes)


def _message(notes, n_div, r_total):
    parts = []
    if n_div:
        parts.append(f"{n_div} of {r_total} replicates excluded (NaN/inf: diverged, or the metric overflowed); the fit is "
                     f"conditional on survival")
    parts += notes
    return "; ".join(parts) if parts else "ok"


# ---------------------------------------------------------------------------- public API
def fit_rate(checkpoints, values, *, center: str = "mean", method: str = "ols", window="auto",
             n_boot: int = 2000, confidence: float = 0.95, rng=None, ci_method: str = "expanded",
             min_replicates: int = 5, min_points: int = 5, burn_in: float = 0.2,
             precision: float = 1e-15, floor_factor: float = 10.0, plateau_frac: float = 0.1,
             tail: float = 0.2, slope_tol: float = 0.05, min_decades: float = 1.0) -> RateFit:
    r"""Fit the exponent of the replicate center against t on log-log axes, with a bootstrap CI.

    Parameters
    ----------
    checkpoints : array of shape (n_checkpoints,)
        Positive, strictly increasing steps (``result.checkpoints``).
    values : array of shape (n_checkpoints, replicates)
        A metric per checkpoint and replicate (``result.metrics[name]``); columns with
        NaN/inf are excluded and counted.
    center : {"mean", "median"}
        The curve fitted is the mean (or median) over replicates at each checkpoint.
    method : {"ols", "theil_sen"}
        Line fit of log center against log t.
    window : "auto", None or (t_lo, t_hi)
        See the module docstring for the automatic rule; None uses every checkpoint
        with a positive center.
    n_boot : int
        Bootstrap resamples of the replicates.
    confidence : float
        Level of the interval.
    rng : None, int, SeedSequence or Generator
        Source of the resampling.
    ci_method : {"expanded", "percentile", "BCa", "basic"}
        ``"expanded"``: scipy's percentile interval at Hesterberg's expanded level; the
        others are passed to ``scipy.stats.bootstrap``.
    min_replicates, min_points : int
        Refuse (``ValueError``) a fit with fewer surviving replicates or checkpoints.
    burn_in, precision, floor_factor, plateau_frac, tail, slope_tol, min_decades : float
        Parameters of the automatic window and of the settled-slope check.

    Returns
    -------
    RateFit
    """
    min_replicates = _common(center, method, ci_method, n_boot, confidence, min_replicates)
    t, x_rep, n_div = _curves(checkpoints, values, min_replicates)
    min_points = V.integer("min_points", min_points, low=3)
    out = _fit_curve(t, x_rep, "log", center=center, method=method, window=window, n_boot=n_boot,
                     confidence=confidence, rng=rng, ci_method=ci_method, min_points=min_points,
                     burn_in=V.real("burn_in", burn_in, low=0.0, high=1.0, high_open=True),
                     precision=V.positive("precision", precision),
                     floor_factor=V.real("floor_factor", floor_factor, low=1.0),
                     plateau_frac=V.nonnegative("plateau_frac", plateau_frac),
                     tail=V.real("tail", tail, low=0.0, high=1.0, low_open=True),
                     slope_tol=V.nonnegative("slope_tol", slope_tol), relative_tol=False,
                     min_decades=V.nonnegative("min_decades", min_decades))
    notes = out.pop("notes")
    slope = out.pop("slope")
    return RateFit(exponent=slope, n_diverged=n_div, message=_message(notes, n_div, n_div + x_rep.shape[1]),
                   **out)


def fit_linear_rate(checkpoints, values, *, center: str = "mean", method: str = "ols", window="auto",
                    n_boot: int = 2000, confidence: float = 0.95, rng=None, ci_method: str = "expanded",
                    min_replicates: int = 5, min_points: int = 5, burn_in: float = 0.1,
                    precision: float = 1e-15, floor_factor: float = 10.0, plateau_frac: float = 0.1,
                    tail: float = 0.2, slope_tol: float = 0.05) -> LinearRateFit:
    r"""Contraction factor ρ per step of a geometric decay :math:`c(t) \approx C\rho^t`, with a CI.

    Fits log c against t (not log t) over a window that ends before machine precision or
    a plateau, as in :func:`fit_rate`'s automatic rule with :math:`u = t`, a burn-in of the
    first tenth of the t range (fast modes of GD die out first) and a drift tolerance of
    ``slope_tol`` × :math:`|\log\rho|` (relative). Deterministic curves (e.g. GD) can be
    passed as one column with ``min_replicates=1``; the interval then has zero width.
    The parameters are those of :func:`fit_rate`; returns a :class:`LinearRateFit`.
    """
    min_replicates = _common(center, method, ci_method, n_boot, confidence, min_replicates)
    t, x_rep, n_div = _curves(checkpoints, values, min_replicates)
    min_points = V.integer("min_points", min_points, low=3)
    out = _fit_curve(t, x_rep, "lin", center=center, method=method, window=window, n_boot=n_boot,
                     confidence=confidence, rng=rng, ci_method=ci_method, min_points=min_points,
                     burn_in=V.real("burn_in", burn_in, low=0.0, high=1.0, high_open=True),
                     precision=V.positive("precision", precision),
                     floor_factor=V.real("floor_factor", floor_factor, low=1.0),
                     plateau_frac=V.nonnegative("plateau_frac", plateau_frac),
                     tail=V.real("tail", tail, low=0.0, high=1.0, low_open=True),
                     slope_tol=V.nonnegative("slope_tol", slope_tol), relative_tol=True, min_decades=0.0)
    notes = out.pop("notes")
    slope = out.pop("slope")
    lo, hi = out.pop("ci")
    return LinearRateFit(rho=math.exp(slope) if math.isfinite(slope) else math.nan,
                         ci=(math.exp(lo), math.exp(hi)) if math.isfinite(lo) else (math.nan, math.nan),
                         log_rho=slope, n_diverged=n_div,
                         message=_message(notes, n_div, n_div + x_rep.shape[1]), **out)


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
    _common(center, method, ci_method, n_boot, confidence, min_replicates)
    Tv = _checkpoints("horizons", horizons)
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
    gen = _rng(rng)
    xv = np.log(Tv)
    y = _log(np.array([_center(s, center) for s in samples]))
    if not np.all(np.isfinite(y)):
        raise ValueError("the center at some horizon is not positive; cannot take logs")
    notes = []
    asym, reason, drift, drift_ci, local = None, "unchecked", math.nan, (math.nan, math.nan), ()
    if correction is not None:
        return _corrected_sweep(Tv, xv, y, samples, correction, center=center, method=method, n_boot=n_boot,
                                confidence=confidence, rng=gen, ci_method=ci_method, n_div=n_div, total=total)
    if _checkable(xv):
        yb = _log(np.stack([_resample_centers(s[None, :], center, n_boot, gen)[0] for s in samples]))
        settled, drift, drift_ci, s12 = _drift_check(xv, y, yb, method, slope_tol, confidence)
        left, right = _halves(xv)
        local = ((float(np.exp(xv[left].mean())), s12[0]), (float(np.exp(xv[right].mean())), s12[1]))
        asym, reason = settled, ("ok" if settled else "not_asymptotic")
        if not settled:
            notes.append(_slope_story(drift, s12, slope_tol, bool(_slopes(xv, y, "ols") < 0)))
    else:
        notes.append(f"fewer than {2 * _MIN_HALF} horizons: the local slopes were not checked")
    base = _sweep_base(Tv, samples, n_div, method=method, center=center, ci_method=ci_method,
                       confidence=confidence, n_boot=n_boot, asymptotic=asym, reason=reason,
                       local_slopes=local, drift=drift, drift_ci=drift_ci)
    if asym is False:
        return RateFit(exponent=math.nan, ci=(math.nan, math.nan), intercept=math.nan,
                       message=_message(notes, n_div, total), **base)
    slope, intercept = _line(xv, y, method)

    statistic = _sweep_statistic(center, lambda logc: _slopes(xv, logc, method))

    batch = max(1, _BATCH_ELEMENTS // max(1, base["n_replicates"]))
    lo, hi, note = _scipy_ci(tuple(samples), statistic, theta=slope, n_boot=n_boot, confidence=confidence,
                             ci_method=ci_method, rng=gen, batch_size=batch)
    if note:
        notes.append(note)
    return RateFit(exponent=slope, ci=(lo, hi), intercept=intercept, message=_message(notes, n_div, total),
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
        centers = np.broadcast_arrays(*[_center(s, center, axis=axis) for s in resampled])
        return slope_of_log_centers(_log(np.stack(centers)))
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
    d, s1, s2 = _drift(xv, y, "ols")
    left, right = _halves(xv)
    local = ((float(np.exp(xv[left].mean())), float(s1)), (float(np.exp(xv[right].mean())), float(s2)))
    plain, _ = _line(xv, y, "ols")
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
                       message=_message([f"the correction the data need at T = {Tv[0]:g} lies outside "
                                         f"[{lo_r:g}, {hi_r:g}] (relative): A·T^p·(1 + b·T^-{q:g}) does not "
                                         f"describe these horizons; {story}"], n_div, total), **base)
    z = np.exp(-q * (xv - xv[0]))
    _, intercept = _line(xv, y - np.log1p(r * z), "ols")

    statistic = _sweep_statistic(center, lambda logc: _corrected_slopes(xv, logc, q)[0])

    batch = max(1, _BATCH_ELEMENTS // (max(1, base["n_replicates"]) * 8))
    lo, hi, note = _scipy_ci(tuple(samples), statistic, theta=p, n_boot=n_boot, confidence=confidence,
                             ci_method=ci_method, rng=rng, batch_size=batch)
    notes = [story] + ([note] if note else [])
    return RateFit(exponent=p, ci=(lo, hi), intercept=intercept, asymptotic=None, reason="corrected",
                   message=_message(notes, n_div, total), correction=(q, r, float(Tv[0])), **base)


def _hitting_log_times(u, logc, log_eps, interpolate):
    """log T(ε) of curves logc (n_ck, ...) for thresholds log_eps (n_eps,): shape (n_eps, ...).

    T(ε) is the first checkpoint whose center is ≤ ε, log-log interpolated with the
    checkpoint before it; NaN when never reached, -inf when reached at the first checkpoint.
    """
    below = logc[None, ...] <= log_eps.reshape((-1,) + (1,) * logc.ndim)
    reached = below.any(axis=1)
    k = np.argmax(below, axis=1)
    out = np.where(reached, u[k], np.nan)
    first = reached & (k == 0)
    out = np.where(first, -np.inf, out)
    if interpolate:
        km = np.maximum(k - 1, 0)
        full = np.broadcast_to(logc[None], (log_eps.size,) + logc.shape)
        c_hi = np.take_along_axis(full, km[:, None], axis=1)[:, 0]
        c_lo = np.take_along_axis(full, k[:, None], axis=1)[:, 0]
        le = log_eps.reshape((-1,) + (1,) * (logc.ndim - 1))
        with np.errstate(all="ignore"):
            frac = np.where(c_hi > c_lo, (c_hi - le) / (c_hi - c_lo), 1.0)
        interp = u[km] + np.clip(frac, 0.0, 1.0) * (u[k] - u[km])
        out = np.where(reached & ~first, interp, out)
    return out


def fit_sample_complexity(checkpoints, values, eps_grid, *, center: str = "mean", method: str = "ols",
                          n_boot: int = 2000, confidence: float = 0.95, rng=None, ci_method: str = "expanded",
                          min_replicates: int = 5, min_points: int = 3,
                          interpolate: bool = True) -> ComplexityFit:
    r"""Fit :math:`T(\epsilon) \propto \epsilon^{-p}` across thresholds ε, with a bootstrap CI for p.

    :math:`T(\epsilon)` is the first checkpoint at which the center curve (mean or median over
    replicates) is :math:`\le \epsilon`, interpolated linearly in (log t, log value) between
    that checkpoint and the one before (``interpolate=False``: the checkpoint itself).
    ``eps_grid`` is in the units of ``values`` (thresholds on ‖∇F‖² if ``values`` are
    squared norms). Thresholds never reached, or already met at the first checkpoint, are
    excluded from the fit and listed in the result, never dropped silently. Each bootstrap
    resample recomputes :math:`T(\epsilon)` for the fitted thresholds; one it does not reach
    is left out of that resample's fit.
    """
    _common(center, method, ci_method, n_boot, confidence, min_replicates)
    t, x_rep, n_div = _curves(checkpoints, values, min_replicates)
    min_points = V.integer("min_points", min_points, low=2)
    try:
        eps_arr = np.asarray(eps_grid, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"eps_grid must be an array of positive numbers, got {eps_grid!r}") from None
    if eps_arr.size == 0 or not np.all(np.isfinite(eps_arr)) or not np.all(eps_arr > 0):
        raise ValueError(f"eps_grid must be a non-empty array of positive numbers, got {eps_grid!r}")
    eps_arr = np.sort(eps_arr)[::-1]
    gen = _rng(rng)
    u = np.log(t)
    logc = _log(_center(x_rep, center, axis=1))
    logc = np.where(np.isfinite(logc), logc, -np.inf)  # a non-positive center is below every ε
    log_eps = np.log(eps_arr)
    lt = _hitting_log_times(u, logc, log_eps, interpolate)
    unreached = tuple(float(e) for e in eps_arr[np.isnan(lt)])
    early = tuple(float(e) for e in eps_arr[np.isneginf(lt)])
    use = np.isfinite(lt)
    notes = []
    if unreached:
        notes.append(f"{len(unreached)} thresholds never reached within t ≤ {t[-1]:g}: {list(unreached)}")
    if early:
        notes.append(f"{len(early)} thresholds already met at the first checkpoint: {list(early)}")
    if use.sum() < min_points:
        raise ValueError(f"only {int(use.sum())} thresholds of eps_grid are crossed within the run; need at "
                         f"least min_points={min_points} (unreached: {list(unreached)}, met at the first "
                         f"checkpoint: {list(early)})")
    xe = -log_eps[use]
    slope, intercept = _line(xe, lt[use], method)
    r = x_rep.shape[1]

    def statistic(sample, axis=-1):
        lc = _log(_center(sample, center, axis=axis))
        lc = np.where(np.isfinite(lc), lc, -np.inf)
        ltb = _hitting_log_times(u, lc, log_eps[use], interpolate)
        ltb = np.where(np.isfinite(ltb), ltb, np.nan)
        return _slopes(xe, ltb, method)

    batch = max(1, _BATCH_ELEMENTS // max(1, x_rep.size * int(use.sum())))
    lo, hi, note = _scipy_ci((x_rep,), statistic, theta=slope, n_boot=n_boot, confidence=confidence,
                             ci_method=ci_method, rng=gen, batch_size=batch)
    if note:
        notes.append(note)
    return ComplexityFit(exponent=slope, ci=(lo, hi), intercept=intercept,
                         eps=tuple(float(e) for e in eps_arr[use]),
                         hitting_times=tuple(float(v) for v in np.exp(lt[use])), unreached=unreached,
                         before_first=early, method=method, center=center, ci_method=ci_method,
                         confidence=confidence, n_boot=n_boot, n_replicates=r, n_diverged=n_div,
                         n_points=int(use.sum()), message=_message(notes, n_div, n_div + r))
