r"""Power-law rate claims: ``rate`` (one run, exponent of t), ``horizon_rate`` (one run per horizon T, exponent
of T) and ``upper_bound`` (either, judged one-sided).

========================  ======================================================  ====================================
kind                      what is measured                                        agrees when
========================  ======================================================  ====================================
``rate``                  exponent of the metric against t (:func:`fit_rate`)     the predicted exponent lies in the CI
``horizon_rate``          exponent of the final metric across horizons T          the predicted exponent lies in the CI
                          (:func:`fit_horizon_sweep`)
``upper_bound``           as ``rate`` (one run) or ``horizon_rate`` (several),    the CI does not lie above the
                          of the metric divided by :math:`(1 + \ln T)^k` when     prediction
                          the row records a log factor k for the schedule
========================  ======================================================  ====================================

An upper bound with its log factor, :math:`O((1 + \ln T)^k\,T^{p})`, is checked as "the divided metric is
:math:`O(T^{p})`". A claim about the long run (``min_steps``) across horizons reads the horizons
:math:`T \ge` ``min_steps`` only, and needs three of them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import norm

from .. import rates as F
from .. import theory as TH
from .base import fit_seed, power_of_ten, values
from .fitted import FittedClaim, check_horizons

__all__ = ["RateClaim", "HorizonRateClaim", "UpperBoundClaim", "log_factor"]


def log_factor(t, k):
    """(1 + ln t)^k (1 when k = 0): the bound's (1 + log T)^k of the O((1 + log T)^k T^p) rows."""
    return (1.0 + np.log(t)) ** float(k) if k else np.ones_like(np.asarray(t, dtype=float))


@dataclass(frozen=True)
class RateClaim(FittedClaim):
    """The exponent of the metric against t in one run (:func:`ratecheck.rates.fit_rate`)."""

    KIND = "rate"

    def log_power(self) -> int:
        """The log factor divided out of the metric before the fit (only upper bounds divide)."""
        return 0

    def across_horizons(self, swept: bool) -> bool:
        return False

    def judge(self, chosen, keys, cells, results, problems_by_key):
        horizons = check_horizons(self, chosen)
        swept = len(chosen) > 1
        predicted, text = self.prediction(chosen[0][1].constants)
        k = self.log_power()
        seed = fit_seed(self)
        if self.across_horizons(swept):
            order = np.argsort(horizons)
            hs = np.array(horizons, dtype=float)[order]
            vals = [values(self, chosen[i][1])[-1] / log_factor(h, k) for i, h in zip(order, hs)]
            fit = F.fit_horizon_sweep(hs, vals, center=self.center, method=self.method, rng=seed,
                                      correction=getattr(self, "correction", None))
        else:
            if swept:
                raise ValueError(f"a {self.kind} claim reads one run; {len(chosen)} cells match")
            cell, res = chosen[0]
            vals = values(self, res) / log_factor(res.checkpoints.astype(float), k)[:, None]
            fit = F.fit_rate(res.checkpoints, vals, center=self.center, method=self.method,
                             window=self.window, rng=seed)
        ok = fit.asymptotic is not False and math.isfinite(fit.exponent)
        verdict = self.interval_verdict(predicted, text, fit.exponent, fit.ci, fit, keys, asymptotic=ok,
                                        why=fit.message)
        if k:
            verdict = replace(verdict, reason=f"{verdict.reason}; fitted on {self.metric} / (1 + ln T)^{k}, "
                                              f"the row's log factor for this schedule")
        return verdict


@dataclass(frozen=True)
class HorizonRateClaim(RateClaim):
    """The exponent of the final metric across horizons T, one run per T (:func:`ratecheck.rates.fit_horizon_sweep`)."""

    KIND = "horizon_rate"

    #: relative order q of a finite-horizon correction fitted beside the exponent, c ≈ A·T^p·(1 + b·T^-q)
    #: (the ``note`` must derive q) — see :func:`ratecheck.rates.fit_horizon_sweep`
    correction: float | None = None

    def across_horizons(self, swept: bool) -> bool:
        return True

    def restrict(self, chosen):
        # a claim about the long run reads the horizons T >= min_steps of a sweep
        if len(chosen) > 1 and self.min_steps:
            long = [(c, r) for c, r in chosen if r.steps >= self.min_steps]
            if len(long) < 3:
                return chosen, (f"horizon too short: needs 3 horizons T ≥ {power_of_ten(self.min_steps)} for a fit across horizons; "
                                f"this version of the experiment has {len(long)} of {len(chosen)} horizons that "
                                f"long (the full version runs them)")
            return long, None
        return chosen, None


@dataclass(frozen=True)
class UpperBoundClaim(HorizonRateClaim):
    """An O(·) bound on the exponent: one run (against t) or several (against the horizon T)."""

    KIND = "upper_bound"
    TWO_SIDED = False

    def across_horizons(self, swept: bool) -> bool:
        return swept

    def log_power(self) -> int:
        """The row's log power for the claim's schedule (0 if none, or with an explicit ``expected``)."""
        if not self.theory or self.expected is not None:
            return 0
        return TH.predicted_slope(self.theory, self.measure_name(), self.schedule).log_power or 0

    def compare(self, predicted, text, measured, ci, fit, keys, stated=""):
        if ci[0] > predicted:
            return self.verdict("disagrees", predicted, text, measured, ci,
                                "the measured exponent is above the bound beyond its CI", fit, keys)
        return self.verdict("agrees", predicted, text, measured, ci,
                            "within the bound" if ci[1] <= predicted else "the CI contains the bound", fit, keys)

    def p_from(self, m, se, pred):
        return None if pred is None else float(norm.sf((m - pred) / se))  # evidence against "measured <= bound"
