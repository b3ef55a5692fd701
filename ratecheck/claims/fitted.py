r"""Claims judged by a fitted exponent or rate with a bootstrap interval (the estimators of :mod:`ratecheck.rates`).

A fitted claim agrees when the predicted value lies in the interval (an upper bound: when the interval does
not lie above it). The interval is never widened silently: a deterministic run's zero-width interval is
compared up to rounding (:data:`~ratecheck.claims.base.ULP_TOL`), and a stated ``tolerance`` (with its
``note``) is applied only when the prediction is otherwise outside and is reported in the reason. A fit whose
local slopes have not settled is inconclusive ("not asymptotic"), never judged.

Predictions come from a row of :mod:`ratecheck.theory`: the exponent of t (or T) of its rate for the claim's
measure and schedule, with its log power, or for a sample complexity the exponent p of
:math:`T(\varepsilon) \propto \varepsilon^{-p}`, :math:`p = \lim_{\varepsilon\to 0} -\varepsilon\,
\partial_\varepsilon \log T(\varepsilon)` of the leading term.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from .. import theory as TH
from .base import ULP_TOL, Claim

__all__ = ["FittedClaim", "complexity_prediction", "check_horizons"]


@dataclass(frozen=True)
class FittedClaim(Claim):
    """A claim measured by an estimator of :mod:`ratecheck.rates`: its fit window, line method and tolerance."""

    NEEDS_PREDICTION = True
    TWO_SIDED = True

    window: object = "auto"
    method: str = "ols"
    #: stated model tolerance on the predicted value, for deterministic runs whose interval has
    #: zero width (reported in the verdict, never applied silently)
    tolerance: float = 0.0

    @classmethod
    def parse(cls, kw: dict, at: str, labels) -> dict:
        if isinstance(kw.get("window"), list):
            kw["window"] = tuple(kw["window"])
        return kw

    def measure_name(self):
        """The row's measure the metric stands for (None: the row's own measure)."""
        return self.metric if self.metric in TH.MEASURES else None

    def prediction(self, constants=None, cells=()):
        if self.expected is not None:
            return super().prediction(constants, cells)
        pred = TH.predicted_slope(self.theory, self.measure_name(), self.schedule)
        if pred.kind != "power":
            raise ValueError(f"claim {self.name!r}: row {self.theory} predicts a linear rate; use kind linear_rate")
        text = f"{pred.slope}"
        if pred.log_power:
            text += f" (× log^{pred.log_power} T)"
        elif pred.log_power is None:
            text += " (log factor not recorded)"
        return float(pred.slope), f"{text}  [{self.theory}, {pred.schedule}]"

    def interval_verdict(self, predicted, text, measured, ci, fit, keys, *, asymptotic=True, why=""):
        """The verdict of a fitted value and its interval against the prediction."""
        tol = ULP_TOL * max(abs(predicted), abs(measured), 1.0)
        ci = (ci[0] - tol, ci[1] + tol) if ci[1] - ci[0] < tol else ci
        stated = ""
        if self.tolerance and asymptotic and not ci[0] <= predicted <= ci[1]:
            ci = (ci[0] - self.tolerance, ci[1] + self.tolerance)
            stated = f" (within the stated tolerance ±{self.tolerance:g}: {self.note})"
        if not asymptotic:
            return self.verdict("inconclusive", predicted, text, measured, ci, f"not asymptotic: {why}", fit, keys)
        v = self.compare(predicted, text, measured, ci, fit, keys, stated)
        if getattr(self, "correction", None):
            v = replace(v, reason=f"{v.reason} ({fit.message})")
        return v

    def compare(self, predicted, text, measured, ci, fit, keys, stated=""):
        """Two-sided: the prediction lies in the interval."""
        if ci[0] <= predicted <= ci[1]:
            return self.verdict("agrees", predicted, text, measured, ci, "the prediction lies in the CI" + stated,
                                fit, keys)
        return self.verdict("disagrees", predicted, text, measured, ci, "the prediction lies outside the CI",
                            fit, keys)


def complexity_prediction(claim: FittedClaim, measure) -> tuple:
    """(p, text) of :math:`T(\\varepsilon) \\propto \\varepsilon^{-p}` from the claim's theory row."""
    if claim.expected is not None:
        return claim.expected, f"{claim.expected:g} ({claim.expected_source})"
    tex = TH.rate_in(claim.theory, measure, "complexity")
    lead = TH.leading_term(tex, TH.eps)
    p = sp.limit(-TH.eps * sp.diff(sp.log(lead), TH.eps), TH.eps, 0)
    return float(p), f"T(ε) ∝ ε^-{p}  [{claim.theory}]"


def check_horizons(claim: Claim, chosen) -> list:
    """The horizons of the selected cells; several cells must differ by horizon only."""
    horizons = [c.value("horizon") for c, _ in chosen]
    if len(chosen) > 1 and (None in horizons or len(set(horizons)) != len(horizons)):
        raise ValueError(f"claim {claim.name!r} selects {len(chosen)} cells that do not differ by horizon only; "
                         f"add 'select' to fix the other sweep axes")
    return horizons
