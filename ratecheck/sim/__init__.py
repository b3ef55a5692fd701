"""Stage 2, simulation: run an optimizer on a problem for many replicates and record metrics.

``simulate.py`` holds :func:`simulate`, which checks the request (``checks.py``: sizes, start point,
checkpoint grid, memory, and the wrapper that checks a user-defined problem's returns), plans it
(``plan.py``: engine, processes, threads, segments) and hands :class:`~ratecheck.sim.engine.Task`
objects to an engine: ``engine.py`` holds the NumPy reference engines and what they share;
``kernels.py`` the compiled engine, which composes each optimizer's and problem's own compiled
pieces; ``normal.py`` the compiled normal draws; ``parallel.py`` the process pool; ``snapshot.py``
resumable snapshots; ``result.py`` the :class:`SimulationResult` and its checksummed files. Nothing
here knows about rates, claims or experiments, and nothing here prints (progress goes to a callback).
"""
from .result import SimulationResult
from .simulate import log_checkpoints, metric_names, simulate

__all__ = ["simulate", "log_checkpoints", "metric_names", "SimulationResult"]
