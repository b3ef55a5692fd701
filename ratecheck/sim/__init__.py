"""Stage 2, simulation: run an optimizer on a problem for many replicates and record metrics.

``simulate.py`` holds :func:`simulate`, which checks the request (``checks.py``: sizes, start point,
checkpoint grid, memory, and the wrapper that checks a user-defined problem's returns), plans it
(``plan.py``: engine, processes, threads, segments) and hands :class:`~ratecheck.sim.engine.Task`
objects to an engine: ``engine.py`` holds the NumPy reference engines, ``book.py`` what they record
(output averages and certificate, running metrics, divergence), ``prefetch.py`` the blocks'
generators and the noise drawn ahead; ``kernels.py`` runs the compiled engine, whose kernel
``compose.py`` builds from each optimizer's own compiled step and each problem's own compiled
gradient (``jit.py`` numba helpers, ``libm_sin.py`` glibc's sin, ``reductions.py`` NumPy's
summation orders); ``normal.py`` the compiled normal draws; ``parallel.py`` the process pool;
``snapshot.py`` resumable snapshots; ``result.py`` the :class:`SimulationResult` and its
checksummed files. Nothing here knows about rates, claims or experiments, and nothing here prints
(progress goes to a callback).
"""
from .result import SimulationResult
from .simulate import log_checkpoints, metric_names, simulate

__all__ = ["simulate", "log_checkpoints", "metric_names", "SimulationResult"]
