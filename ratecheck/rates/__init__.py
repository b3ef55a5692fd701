"""Stage 3, estimators: fitted rates and sample complexities with confidence intervals.

Each estimator reads stored curves only, one module each: :func:`fit_rate` (``power_rate``: a slope of
log E[metric] against log t), :func:`fit_linear_rate` (``linear_rate``: a contraction factor ρ per step),
:func:`fit_horizon_sweep` (``horizon_sweep``: the last value against the horizon, one run per horizon) and
:func:`fit_sample_complexity` (``sample_complexity``: steps to reach ε against ε). They share ``fits``
(the result classes), ``common`` (option checks, centers, slopes), ``bootstrap`` (the bootstrap over
replicates), ``window`` (the automatic window and the settled-slope check) and ``curve`` (the engine of
the two per-run fits).
"""
from .common import CENTERS, CI_METHODS, METHODS
from .fits import ComplexityFit, LinearRateFit, RateFit
from .horizon_sweep import fit_horizon_sweep
from .linear_rate import fit_linear_rate
from .power_rate import fit_rate
from .sample_complexity import fit_sample_complexity

__all__ = ["RateFit", "ComplexityFit", "LinearRateFit", "fit_rate", "fit_horizon_sweep", "fit_sample_complexity",
           "fit_linear_rate", "CENTERS", "METHODS", "CI_METHODS"]
