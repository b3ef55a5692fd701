r"""Hitting-sweep claims: the exponent p of the first step :math:`T` with metric :math:`\le \varepsilon^{\text{power}}`,
across instances built for each ε (the sweep axis ``threshold_axis``), :math:`T \propto \varepsilon^{-p}`.

Each run's hitting time per replicate is its first checkpoint at or below the threshold; a replicate that
never reaches it is censored and makes the claim inconclusive (lengthen the run). The fit is
:func:`ratecheck.rates.fit_horizon_sweep` of the hitting times against 1/ε (optionally with a correction of
relative order :math:`\varepsilon^{q}`); ``eps_max`` keeps the thresholds ε ≤ eps_max (the claim is about
ε → 0). Agrees when the predicted p lies in the interval.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import rates as F
from .. import validate as V
from .base import fit_seed, values
from .fitted import FittedClaim, complexity_prediction

__all__ = ["HittingSweepClaim", "hitting_steps"]


def hitting_steps(checkpoints, vals, threshold) -> np.ndarray:
    """First checkpoint at which each replicate's value is <= threshold (NaN if never)."""
    hit = vals <= threshold
    first = np.argmax(hit, axis=0)
    out = checkpoints[first].astype(float)
    out[~hit.any(axis=0)] = np.nan
    return out


@dataclass(frozen=True)
class HittingSweepClaim(FittedClaim):
    """The exponent p of the hitting time T ∝ ε^-p across instances built for each ε."""

    KIND = "hitting_sweep"

    threshold_axis: str | None = None
    threshold_power: float = 1.0
    #: read only the thresholds ε <= eps_max (the claim is about ε → 0; like min_steps)
    eps_max: float | None = None
    #: relative order q of a correction fitted beside the exponent (the ``note`` must derive q)
    correction: float | None = None

    @classmethod
    def parse(cls, kw, at, labels):
        kw = super().parse(kw, at, labels)
        if not isinstance(kw.get("threshold_axis"), str):
            raise ValueError(f"{at}: a hitting_sweep claim needs 'threshold_axis' (the sweep axis holding ε)")
        kw["threshold_power"] = V.positive(f"{at}: threshold_power", kw.get("threshold_power", 1.0))
        if "eps_max" in kw:
            kw["eps_max"] = V.positive(f"{at}: eps_max", kw["eps_max"])
        return kw

    def prediction(self, constants=None, cells=()):
        # the sweep's ε is the threshold on the row's own measure (the metric is compared with ε^power)
        return complexity_prediction(self, None)

    def judge(self, chosen, keys, cells, results, problems_by_key):
        predicted, text = self.prediction()
        eps_values, times = [], []
        for cell, res in chosen:
            eps_value = cell.value(self.threshold_axis)
            if eps_value is None:
                raise ValueError(f"cell {cell.key} has no sweep axis {self.threshold_axis!r}")
            if self.eps_max is not None and float(eps_value) > self.eps_max:
                continue
            steps = hitting_steps(res.checkpoints, values(self, res), float(eps_value) ** self.threshold_power)
            alive = ~res.diverged
            missed = int(np.sum(np.isnan(steps) & alive))
            if missed:
                return self.verdict("inconclusive", predicted, text, None, None,
                                    f"{missed} of {int(alive.sum())} replicates never reached ε = {eps_value:g} in "
                                    f"{cell.key} within {res.steps} steps (censored): lengthen the run", None, keys)
            eps_values.append(float(eps_value))
            times.append(steps)
        order = np.argsort(1.0 / np.array(eps_values))
        inv = (1.0 / np.array(eps_values))[order]
        fit = F.fit_horizon_sweep(inv, [times[i] for i in order], center=self.center, method=self.method,
                                  rng=fit_seed(self), min_replicates=1 if min(len(t) for t in times) < 5 else 5,
                                  correction=self.correction)
        return self.interval_verdict(predicted, text, fit.exponent, fit.ci, fit, keys,
                                     asymptotic=fit.asymptotic is not False and math.isfinite(fit.exponent),
                                     why=fit.message)
