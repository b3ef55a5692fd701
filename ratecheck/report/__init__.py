"""Stage 5, report: figures drawn from stored results and verdicts (``figures.py``)."""
from .figures import METRIC_LABELS, plot_panels, plot_stationarity, save_figure

__all__ = ["plot_stationarity", "plot_panels", "save_figure", "METRIC_LABELS"]
