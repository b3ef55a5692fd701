"""Registry of problem families: ``names()``, ``make(name, **parameters)``, ``get(name)``.

Every family accepts ``dim`` (where it is free), ``noise`` (a table such as
``{"kind": "gaussian", "sigma": 1.0}``, see :mod:`ratecheck.problems.noise`) and
``scales`` (per-coordinate scaling). Named instances (a family plus parameters)
live as TOML files in the top-level ``problems/`` folder; see
:mod:`ratecheck.catalog`.
"""
from __future__ import annotations

import importlib

from .. import _validate as V
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
    "l1": "L1",
    "reddi_online": "ReddiOnline",
    "reddi_stochastic": "ReddiStochastic",
    "adopt_toy": "AdoptToy",
    "carmon_chain": "CarmonChain",
    "arjevani_chain": "ArjevaniChain",
    "drori_teboulle": "DroriTeboulle",
}

_REGISTRY: dict[str, type[Problem]] = {}
for _module, _cls in _MODULES.items():
    _obj = getattr(importlib.import_module(f"{__name__}.{_module}"), _cls)
    _REGISTRY[_obj.name] = _obj


def names() -> list[str]:
    """Registered family names, sorted."""
    return sorted(_REGISTRY)


def get(name: str) -> type[Problem]:
    if not isinstance(name, str) or name not in _REGISTRY:
        raise V.unknown_name("problem", name, _REGISTRY)
    return _REGISTRY[name]


def parameters(name: str) -> list[str]:
    from dataclasses import fields
    return [f.name for f in fields(get(name))]


def make(name: str, **parameters_) -> Problem:
    """Build a problem, e.g. ``make("quadratic", dim=10, kappa=100, noise={"kind": "gaussian"})``."""
    cls = get(name)
    allowed = parameters(name)
    unknown = sorted(set(parameters_) - set(allowed))
    if unknown:
        raise TypeError(f"problem {name!r} got unknown parameter(s) {', '.join(unknown)}; "
                        f"allowed: {', '.join(allowed)}")
    return cls(**parameters_)


def from_config(config: dict) -> Problem:
    """Build from a mapping with a ``name`` key (the form :meth:`Problem.describe` writes)."""
    if not isinstance(config, dict):
        raise TypeError(f"problem config must be a table, got {config!r}")
    params = dict(config)
    name = params.pop("name", None)
    if name is None:
        raise ValueError(f"problem config needs a 'name', one of {', '.join(names())}")
    return make(name, **params)


def describe(name: str) -> str:
    cls = get(name)
    first = (cls.__doc__ or "").strip().splitlines()[0]
    return f"{first} [{cls.reference}]" if cls.reference else first
