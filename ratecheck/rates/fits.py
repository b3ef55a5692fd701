r"""Results of the rate estimators: a power law, a linear rate, a sample complexity, each with its CI."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Interval", "RateFit", "ComplexityFit", "LinearRateFit"]


class Interval:
    """What the fits share: ``ci``, an interval, and whether it contains a value."""

    ci: tuple

    def covers(self, value) -> bool:
        """Whether the interval contains ``value`` (a number or a sympy Rational)."""
        v = float(value)
        return bool(self.ci[0] <= v <= self.ci[1])


@dataclass(frozen=True)
class RateFit(Interval):
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

    def __str__(self) -> str:
        if not math.isfinite(self.exponent):
            return f"RateFit(no rate: {self.message})"
        return (f"exponent {self.exponent:.4g} [{self.ci[0]:.4g}, {self.ci[1]:.4g}] "
                f"({self.confidence:.0%} {self.ci_method}, {self.center} of {self.n_replicates} "
                f"replicates, {self.n_points} points in t ∈ [{self.window[0]:g}, {self.window[1]:g}])")


@dataclass(frozen=True)
class ComplexityFit(Interval):
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



@dataclass(frozen=True)
class LinearRateFit(Interval):
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

