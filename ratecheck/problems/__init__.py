"""Registry of problem families: ``names()``, ``make(name, **parameters)``, ``get(name)``.

Every family accepts ``dim`` (where it is free), ``noise`` (a table such as
``{"kind": "gaussian", "sigma": 1.0}``, see :mod:`ratecheck.problems.noise`) and
``scales`` (per-coordinate scaling). Named instances (a family plus parameters)
live as TOML files in the top-level ``problems/`` folder; see
:mod:`ratecheck.catalog`.
"""
from __future__ import annotations

from ..registry import Registry
from .base import Problem
from .noise import Noise, make_noise, noise_kinds

__all__ = ["names", "make", "get", "describe", "from_config", "Problem", "Noise", "make_noise",
           "noise_kinds"]

# module name -> class name; one family per module, the module named after it
_MODULES = {
    "quadratic": "Quadratic",
    "cosine_well": "CosineWell",
    "robust_regression": "RobustRegression",
    "nonsmooth_well": "NonsmoothWell",
    "smooth_well": "SmoothWell",
    "l1": "L1",
    "online_l1": "OnlineL1",
    "reddi_online": "ReddiOnline",
    "reddi_stochastic": "ReddiStochastic",
    "adopt_toy": "AdoptToy",
    "carmon_chain": "CarmonChain",
    "arjevani_chain": "ArjevaniChain",
    "drori_teboulle": "DroriTeboulle",
}

_REGISTRY = Registry("problem", __name__, _MODULES)


def names() -> list[str]:
    """Registered family names, sorted."""
    return _REGISTRY.names()


def get(name: str) -> type[Problem]:
    return _REGISTRY.get(name)


def parameters(name: str) -> list[str]:
    from dataclasses import fields
    return [f.name for f in fields(get(name))]


def make(name: str, **parameters_) -> Problem:
    """Build a problem, e.g. ``make("quadratic", dim=10, kappa=100, noise={"kind": "gaussian"})``."""
    return _REGISTRY.make(name, **parameters_)


def from_config(config: dict) -> Problem:
    """Build from a mapping with a ``name`` key (the form :meth:`Problem.describe` writes)."""
    return _REGISTRY.from_config(config)


def describe(name: str) -> str:
    """One line: the first docstring line and the reference."""
    return _REGISTRY.describe(name)
