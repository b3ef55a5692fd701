r"""Bound claims: the mean of the final metric (95% Student-t interval) against a theorem's explicit bound.

The bound is ``below`` (one number) or, per run, the value of the sweep axis ``bound_axis`` (e.g.
``tag.bound``, computed from the run's constants by the experiment). The mean is what the theorems bound (an
expectation); the claim agrees when every selected run's whole interval is below its bound, disagrees when
one run's is entirely above. The run closest to (or furthest past) its bound is the one shown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.stats import norm

from .base import Claim, values

__all__ = ["BoundClaim", "mean_ci"]


def mean_ci(vals: np.ndarray, confidence: float = 0.95):
    """Student-t interval for the mean of independent replicates (a point for n < 2)."""
    m = float(np.mean(vals))
    if vals.size < 2:
        return m, m
    half = float(stats.t.ppf(0.5 + confidence / 2, vals.size - 1) * np.std(vals, ddof=1) / math.sqrt(vals.size))
    return m - half, m + half


@dataclass(frozen=True)
class BoundClaim(Claim):
    """The mean final metric is below an explicit bound (``below``, or per run ``bound_axis``) in every run."""

    KIND = "bound"

    below: float | None = None
    #: the sweep axis (e.g. ``tag.bound``) holding each run's explicit bound
    bound_axis: str | None = None

    @classmethod
    def parse(cls, kw, at, labels):
        if ("below" in kw) == ("bound_axis" in kw):
            raise ValueError(f"{at}: a bound claim needs exactly one of 'below' (the bound) or 'bound_axis' "
                             f"(the sweep axis holding each run's bound)")
        if not kw.get("expected_source"):
            raise ValueError(f"{at}: a bound claim needs 'expected_source' (the theorem and its formula)")
        return kw

    def prediction(self, constants=None, cells=()):
        bounds = [self.below] if self.bound_axis is None else [c.value(self.bound_axis) for c in cells]
        bounds = [float(b) for b in bounds if b is not None]
        if not bounds:
            return None, f"mean ≤ the bound in {self.bound_axis} ({self.expected_source})"
        return bounds[0], f"mean ≤ {bounds[0]:.4g} ({self.expected_source})"

    def judge(self, chosen, keys, cells, results, problems_by_key):
        rows = []
        for cell, res in chosen:
            bound = self.below if self.bound_axis is None else cell.value(self.bound_axis)
            if bound is None:
                raise ValueError(f"cell {cell.key} has no sweep axis {self.bound_axis!r}")
            vals = values(self, res)[-1]
            vals = vals[np.isfinite(vals)]
            if vals.size < 2:
                return self.verdict("inconclusive", float(bound), f"mean ≤ {float(bound):.4g} ({self.expected_source})",
                                    None, None,
                                    f"{cell.key}: {vals.size} finite final value(s); a mean needs at least 2",
                                    None, keys)
            lo, hi = mean_ci(vals)
            rows.append((cell.key, float(np.mean(vals)), lo, hi, float(bound)))
        worst = max(rows, key=lambda r: r[3] / r[4])     # the run closest to (or furthest past) its bound
        key, mean, lo, hi, bound = worst
        text = f"mean ≤ {bound:.4g} ({self.expected_source})"
        detail = "; ".join(f"{k}: {m:.4g} [{a:.4g}, {b:.4g}] vs {bd:.4g}" for k, m, a, b, bd in rows)
        if all(r[3] < r[4] for r in rows):
            verdict, reason = "agrees", f"every run's mean CI is below its bound ({detail})"
        elif any(r[2] > r[4] for r in rows):
            bad = next(r for r in rows if r[2] > r[4])
            verdict, reason = "disagrees", f"{bad[0]}: mean CI [{bad[2]:.4g}, {bad[3]:.4g}] above the bound {bad[4]:.4g}"
        else:
            verdict, reason = "inconclusive", f"{key}: mean CI [{lo:.4g}, {hi:.4g}] straddles the bound {bound:.4g}"
        return self.verdict(verdict, bound, text, mean, (lo, hi), reason, None, keys)

    def p_from(self, m, se, pred):
        return None if pred is None else float(norm.sf((m - pred) / se))   # against "measured <= bound"
