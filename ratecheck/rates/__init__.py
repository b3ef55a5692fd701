"""Stage 3, estimators: fitted rates and sample complexities with confidence intervals.

:func:`fit_rate` (a slope of log E[metric] against log t), :func:`fit_linear_rate` (a linear rate),
:func:`fit_horizon_sweep` (the last value against the horizon, one run per horizon) and
:func:`fit_sample_complexity` (steps to reach ε against ε); each reads stored curves only.
"""
from .estimators import (CENTERS, CI_METHODS, METHODS, ComplexityFit, LinearRateFit, RateFit, fit_horizon_sweep,
                       fit_linear_rate, fit_rate, fit_sample_complexity)

__all__ = ["RateFit", "ComplexityFit", "LinearRateFit", "fit_rate", "fit_horizon_sweep", "fit_sample_complexity",
           "fit_linear_rate", "CENTERS", "METHODS", "CI_METHODS"]
