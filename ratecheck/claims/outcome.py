r"""Outcome claims: the final median of the metric (with a distribution-free CI) against ``above`` or ``below``.

The median's interval is from order statistics: with n finite replicates, the ranks
:math:`\mathrm{Bin}(n, 1/2)^{-1}(\alpha/2)` and :math:`\mathrm{Bin}(n, 1/2)^{-1}(1-\alpha/2)` bracket it at level
:math:`1-\alpha` (a point for n < 6). The claim agrees when every selected run's whole interval is on the
claimed side, disagrees when one run's is entirely on the other side.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.stats import norm

from .base import Claim, values

__all__ = ["OutcomeClaim", "median_ci"]


def median_ci(sorted_vals: np.ndarray, confidence: float = 0.95):
    """Distribution-free CI for the median from order statistics (binomial); a point for n < 6."""
    n = sorted_vals.size
    if n < 6:
        m = float(np.median(sorted_vals))
        return m, m
    alpha = 1 - confidence
    lo_idx = int(stats.binom.ppf(alpha / 2, n, 0.5))
    hi_idx = int(stats.binom.isf(alpha / 2, n, 0.5))
    lo_idx = max(lo_idx - 1, 0)
    hi_idx = min(hi_idx, n - 1)
    return float(sorted_vals[lo_idx]), float(sorted_vals[hi_idx])


@dataclass(frozen=True)
class OutcomeClaim(Claim):
    """The final median of the metric is above (or below) a threshold in every selected run."""

    KIND = "outcome"

    above: float | None = None
    below: float | None = None

    @classmethod
    def parse(cls, kw, at, labels):
        if ("above" in kw) == ("below" in kw):
            raise ValueError(f"{at}: an outcome claim needs exactly one of 'above' or 'below'")
        return kw

    def side(self):
        return ("above", self.above) if self.above is not None else ("below", self.below)

    def prediction(self, constants=None, cells=()):
        side, threshold = self.side()
        return threshold, f"final median {side} {threshold:g}"

    def judge(self, chosen, keys, cells, results, problems_by_key):
        verdicts = []
        for cell, res in chosen:
            vals = values(self, res)[-1]
            vals = np.sort(vals[np.isfinite(vals)])
            n = vals.size
            if n == 0:
                why = (f"every replicate diverged in {cell.key}" if res.n_diverged == res.replicates else
                       f"no finite final value in {cell.key}: {res.n_diverged} of {res.replicates} replicates "
                       f"diverged, the metric overflowed in the others (iterate finite)")
                return self.inconclusive(why, keys)
            lo, hi = median_ci(vals)
            verdicts.append((cell.key, float(np.median(vals)), lo, hi, n))
        side, threshold = self.side()
        _, text = self.prediction()
        inside = [(k, m, lo, hi) for k, m, lo, hi, _ in verdicts
                  if (lo > threshold if side == "above" else hi < threshold)]
        outside = [(k, m, lo, hi) for k, m, lo, hi, _ in verdicts
                   if (hi < threshold if side == "above" else lo > threshold)]
        key, med, lo, hi, n = (min(verdicts, key=lambda v: v[1]) if side == "above"
                               else max(verdicts, key=lambda v: v[1]))
        if len(inside) == len(verdicts):
            verdict, reason = "agrees", f"every selected run's median CI is {side} {threshold:g}"
        elif outside:
            verdict, reason = "disagrees", f"{outside[0][0]}: median {outside[0][1]:.3g} CI entirely on the wrong side"
        else:
            verdict, reason = "inconclusive", f"{key}: median CI [{lo:.3g}, {hi:.3g}] straddles {threshold:g}"
        return self.verdict(verdict, threshold, text, med, (lo, hi), reason, None, keys)

    def p_from(self, m, se, pred):
        if pred is None:
            return None
        if self.below is not None:
            return float(norm.sf((m - pred) / se))       # evidence against "measured <= threshold"
        return float(norm.cdf((m - pred) / se))          # evidence against "measured >= threshold"
