"""The figures, gathered under their former module name (they now live in ``style``, ``curves``,
``claim_fits`` and ``sweeps``); import them from :mod:`ratecheck.report`."""
from .claim_fits import plot_claim, plot_exponent_sweep
from .curves import plot_panels, plot_stationarity
from .style import CERTIFICATE_LABELS, LINEAR_METRICS, METRIC_LABELS, save_figure
from .sweeps import plot_advantage, plot_hitting_ratio, plot_phase

__all__ = ["plot_stationarity", "plot_panels", "plot_claim", "plot_exponent_sweep", "plot_phase",
           "plot_advantage", "plot_hitting_ratio", "save_figure", "METRIC_LABELS", "CERTIFICATE_LABELS",
           "LINEAR_METRICS"]
