"""Stage 5, report: figures drawn from stored results and verdicts; they never rerun a simulation.

``style`` (palette, mathtext labels, short panel titles, legends off the data, saving with a caption,
the layout check), ``curves`` (a measure against iterations, panel grids), ``claim_fits`` (a claim's fit
beside its prediction; fitted exponents across a sweep parameter), ``sweeps`` (phase maps, tuned
advantage, hitting-time ratios).
"""
from .claim_fits import claim_title, exponent_points, plot_claim, plot_exponent_sweep
from .curves import plot_panels, plot_stationarity
from .style import (CERTIFICATE_LABELS, LINEAR_METRICS, METRIC_LABELS, PALETTE, layout_problems, panel_title,
                    panel_titles, save_figure, series_style, short_title)
from .sweeps import plot_advantage, plot_hitting_ratio, plot_phase

__all__ = ["plot_stationarity", "plot_panels", "plot_claim", "plot_exponent_sweep", "exponent_points",
           "claim_title", "plot_phase", "plot_advantage", "plot_hitting_ratio", "save_figure", "layout_problems",
           "panel_title", "panel_titles", "short_title", "series_style", "PALETTE", "METRIC_LABELS",
           "CERTIFICATE_LABELS", "LINEAR_METRICS"]
