r"""Sample-complexity claims: the exponent p of :math:`T(\varepsilon) \propto \varepsilon^{-p}` in one run.

:math:`T(\varepsilon)` is the first checkpoint at which the center curve is at most ε, for each ε of the
claim's ``eps`` (at least 3); the fit is :func:`ratecheck.rates.fit_sample_complexity`. Agrees when the
predicted p lies in the interval.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import rates as F
from .base import fit_seed, values
from .fitted import FittedClaim, check_horizons, complexity_prediction

__all__ = ["SampleComplexityClaim"]


@dataclass(frozen=True)
class SampleComplexityClaim(FittedClaim):
    """The exponent p of T(ε) ∝ ε^-p over the thresholds ``eps`` (:func:`ratecheck.rates.fit_sample_complexity`)."""

    KIND = "sample_complexity"

    eps: tuple = ()

    @classmethod
    def parse(cls, kw, at, labels):
        kw = super().parse(kw, at, labels)
        eps = kw.get("eps")
        if not isinstance(eps, list) or len(eps) < 3:
            raise ValueError(f"{at}: a sample_complexity claim needs 'eps', a list of >= 3 thresholds")
        kw["eps"] = tuple(float(e) for e in eps)
        return kw

    def prediction(self, constants=None, cells=()):
        return complexity_prediction(self, self.measure_name())

    def judge(self, chosen, keys, cells, results, problems_by_key):
        check_horizons(self, chosen)
        predicted, text = self.prediction()
        cell, res = chosen[0]
        fit = F.fit_sample_complexity(res.checkpoints, values(self, res), np.array(self.eps),
                                      center=self.center, method=self.method, rng=fit_seed(self))
        return self.interval_verdict(predicted, text, fit.exponent, fit.ci, fit, keys)
