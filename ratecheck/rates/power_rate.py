r"""Empirical power-law rates with bootstrap confidence intervals over replicates.

All estimators read stored curves (``result.checkpoints`` and a metric of shape
``(n_checkpoints, replicates)``) and never rerun a simulation.

What is fitted
--------------
:func:`fit_rate` fits the exponent :math:`a` of :math:`c(t) \approx C\,t^{a}`, where
:math:`c(t)` is the **mean** (or median) over replicates at checkpoint :math:`t`, by a
straight line through :math:`(\log t, \log c(t))` over a window of checkpoints, with
ordinary least squares (``method="ols"``) or the Theil–Sen median of pairwise slopes
(``method="theil_sen"``, robust to a few outlying checkpoints).

Diverged replicates
-------------------
A column containing a non-finite value (the simulator writes NaN after a replicate
diverges) is excluded from every center and every resample, and counted
(``n_diverged``). Excluding them conditions on survival, which the message says. A
fit is refused (``ValueError``) when fewer than ``min_replicates`` columns survive or
fewer than ``min_points`` checkpoints are left in the window.

The interval is a bootstrap over replicates (:mod:`ratecheck.rates.bootstrap`); the window
(``window="auto"``: burn-in, machine precision, noise floor, settled local slopes) and the
settled-slope check are :mod:`ratecheck.rates.window`'s.

A log factor (e.g. :math:`\log T/\sqrt T` of SGD with an anytime step α/√t) is not a
power law: its local slope :math:`a + 1/\ln t` drifts too slowly to be flagged over a
few decades and biases the fitted exponent upwards; compare with
:func:`ratecheck.theory.predicted_slope`, which reports the log power.

References
----------
P. K. Sen. Estimates of the regression coefficient based on Kendall's tau. JASA 1968.
``scipy.stats.theilslopes``, ``scipy.stats.linregress``.
"""
from __future__ import annotations

from .. import validate as V
from .common import check_options, fit_message, surviving_columns, window_options
from .curve import fit_curve
from .fits import RateFit

__all__ = ["fit_rate"]


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
    min_replicates = check_options(center, method, ci_method, n_boot, confidence, min_replicates)
    t, x_rep, n_div = surviving_columns(checkpoints, values, min_replicates)
    options = window_options(min_points, burn_in, precision, floor_factor, plateau_frac, tail, slope_tol)
    out = fit_curve(t, x_rep, "log", center=center, method=method, window=window, n_boot=n_boot,
                     confidence=confidence, rng=rng, ci_method=ci_method, **options, relative_tol=False,
                     min_decades=V.nonnegative("min_decades", min_decades))
    notes = out.pop("notes")
    slope = out.pop("slope")
    return RateFit(exponent=slope, n_diverged=n_div, message=fit_message(notes, n_div, n_div + x_rep.shape[1]),
                   **out)
