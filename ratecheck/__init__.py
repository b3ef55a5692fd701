"""ratecheck: check optimization theory against simulation.

Public API::

    import ratecheck
    problem = ratecheck.problems.make("quadratic", dim=10, kappa=100, noise={"kind": "gaussian", "sigma": 1})
    opt = ratecheck.optimizers.make("adam", lr=0.01)
    result = ratecheck.simulate(problem, opt, steps=10_000, replicates=256, seed=0)
    result.metrics["grad_norm_sq"]   # (n_checkpoints, replicates)
"""
__version__ = "0.1.0"

from . import optimizers, problems, schedules  # noqa: E402
from .result import SimulationResult  # noqa: E402
from .simulate import log_checkpoints, simulate  # noqa: E402

__all__ = ["simulate", "log_checkpoints", "SimulationResult", "optimizers", "problems", "schedules",
           "__version__"]
