"""Stage 2, simulation: run an optimizer on a problem for many replicates and record metrics.

``simulate`` (``simulate.py``) checks the request, plans it (segments, processes, threads) and
hands :class:`~ratecheck.sim.engine.Task` objects to an engine: ``engine.py`` holds the NumPy
reference engines and what they share (state, output averages, the book of running metrics, the
noise prefetch); ``kernels.py`` the compiled engine, which composes each optimizer's and problem's
own compiled pieces; ``normal.py`` the compiled normal draws; ``parallel.py`` the process pool;
``snapshot.py`` resumable snapshots; ``result.py`` the :class:`SimulationResult` and its
checksummed files. Nothing here knows about rates, claims or experiments.
"""
from .result import SimulationResult
from .simulate import log_checkpoints, metric_names, simulate

__all__ = ["simulate", "log_checkpoints", "metric_names", "SimulationResult"]
