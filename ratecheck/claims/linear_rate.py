r"""Linear-rate claims: the contraction factor ρ per step of :math:`c(t) \approx C\rho^t` in one run.

The prediction is the theory row's contraction factor with the problem's declared constants substituted
(e.g. :math:`\rho = ((\kappa - 1)/(\kappa + 1))^2` for GD on a quadratic); the fit is
:func:`ratecheck.rates.fit_linear_rate`. Agrees when the predicted ρ lies in the interval.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .. import rates as F
from .. import theory as TH
from .base import fit_seed, values
from .fitted import FittedClaim, check_horizons

__all__ = ["LinearRateClaim"]


@dataclass(frozen=True)
class LinearRateClaim(FittedClaim):
    """The contraction factor ρ per step (:func:`ratecheck.rates.fit_linear_rate`)."""

    KIND = "linear_rate"

    def prediction(self, constants=None, cells=()):
        if self.expected is not None:
            return super().prediction(constants, cells)
        pred = TH.predicted_slope(self.theory, self.measure_name(), self.schedule)
        if pred.kind != "linear":
            raise ValueError(f"claim {self.name!r}: row {self.theory} is not a linear rate")
        if constants is None:  # no run to read the constants from: the symbolic factor
            return None, f"ρ = {pred.contraction}  [{self.theory}]"
        subs = {}
        for name, value in constants.items():
            sym = TH.SYMBOLS.get(name)
            if sym is not None and value is not None and not isinstance(value, (list, np.ndarray)):
                subs[sym] = sp.nsimplify(value)
        rho = pred.contraction.subs(subs)
        if rho.free_symbols:
            raise ValueError(f"claim {self.name!r}: contraction {pred.contraction} needs constants "
                             f"{rho.free_symbols} the problem does not declare")
        return float(rho), f"ρ = {pred.contraction} = {float(rho):.6g}  [{self.theory}]"

    def judge(self, chosen, keys, cells, results, problems_by_key):
        check_horizons(self, chosen)
        predicted, text = self.prediction(chosen[0][1].constants or {})
        cell, res = chosen[0]
        fit = F.fit_linear_rate(res.checkpoints, values(self, res), center=self.center,
                                method=self.method, window=self.window, rng=fit_seed(self),
                                min_replicates=1 if res.replicates < 5 else 5)
        return self.interval_verdict(predicted, text, fit.rho, fit.ci, fit, keys,
                                     asymptotic=fit.asymptotic is not False, why=fit.message)
