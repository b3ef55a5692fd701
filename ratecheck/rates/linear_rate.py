r"""Linear (geometric) rates: the contraction factor ρ per step of :math:`c(t) \approx C\rho^t`."""
from __future__ import annotations

import math

from .common import check_options, fit_message, surviving_columns, window_options
from .curve import fit_curve
from .fits import LinearRateFit

__all__ = ["fit_linear_rate"]


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
    min_replicates = check_options(center, method, ci_method, n_boot, confidence, min_replicates)
    t, x_rep, n_div = surviving_columns(checkpoints, values, min_replicates)
    options = window_options(min_points, burn_in, precision, floor_factor, plateau_frac, tail, slope_tol)
    out = fit_curve(t, x_rep, "lin", center=center, method=method, window=window, n_boot=n_boot,
                     confidence=confidence, rng=rng, ci_method=ci_method, **options, relative_tol=True,
                     min_decades=0.0)
    notes = out.pop("notes")
    slope = out.pop("slope")
    lo, hi = out.pop("ci")
    return LinearRateFit(rho=math.exp(slope) if math.isfinite(slope) else math.nan,
                         ci=(math.exp(lo), math.exp(hi)) if math.isfinite(lo) else (math.nan, math.nan),
                         log_rho=slope, n_diverged=n_div,
                         message=fit_message(notes, n_div, n_div + x_rep.shape[1]), **out)
