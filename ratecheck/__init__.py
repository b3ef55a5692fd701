"""ratecheck: check optimization theory against simulation.

Public API::

    import ratecheck
    problem = ratecheck.problems.make("quadratic", dim=10, kappa=100, noise={"kind": "gaussian", "sigma": 1})
    opt = ratecheck.optimizers.make("adam", lr=0.01)
    result = ratecheck.simulate(problem, opt, steps=10_000, replicates=256, seed=0)
    result.metrics["grad_norm_sq"]   # (n_checkpoints, replicates)
    fit = ratecheck.fit_rate.fit_rate(result.checkpoints, result.metrics["grad_norm_sq"])

The package's folders are the pipeline's stages, each importing only those before it:
``problems/`` and ``optimizers/`` (what runs) → ``sim/`` (simulation, engines, results) →
``rates/`` (estimators) and ``theory/`` (the rate table, theorems, hypotheses) → ``claims/``
(claim kinds and verdicts) → ``report/`` (figures) → ``catalog/`` (experiment files, sweeps,
reproduction) → ``cli.py`` and ``bench/``.
"""
__version__ = "0.1.0"

from . import _moved  # noqa: E402
from . import optimizers, problems, rates, schedules  # noqa: E402
from .sim.result import SimulationResult  # noqa: E402
from .sim.simulate import log_checkpoints, simulate  # noqa: E402

#: ``ratecheck.fit_rate.fit_rate`` and the other estimators, as before the move to ``ratecheck.rates``
fit_rate = rates
_moved.install(__name__)

__all__ = ["simulate", "log_checkpoints", "SimulationResult", "optimizers", "problems", "schedules", "rates",
           "fit_rate", "__version__"]
