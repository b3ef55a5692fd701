"""Registry of optimizers: ``names()``, ``make(name, **hyperparameters)``, ``get(name)``.

Adding an optimizer is one module with one frozen dataclass (see
:mod:`ratecheck.optimizers.base`) plus one line in ``_MODULES`` below; the shared
contract tests then cover it.
"""
from __future__ import annotations

import importlib

from .. import _validate as V
from .base import BlockRNG, Optimizer, State

__all__ = ["names", "make", "get", "describe", "Optimizer", "State", "BlockRNG", "from_config"]

# module name -> class name; one optimizer per module, the module named after it
_MODULES = {
    "adam": "Adam",
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "amsgrad": "AMSGrad",
    "adopt": "ADOPT",
    "adamomentum": "AdaMomentum",
    "clipped_adam_ema": "ClippedAdamEMA",
    "adam_ema": "AdamEMA",
    "sgdm_random_scaling": "SGDMRandomScaling",
}

_REGISTRY: dict[str, type[Optimizer]] = {}
for _module, _cls in _MODULES.items():
    _obj = getattr(importlib.import_module(f"{__name__}.{_module}"), _cls)
    _REGISTRY[_obj.name] = _obj


def names() -> list[str]:
    """Registered optimizer names, sorted."""
    return sorted(_REGISTRY)


def get(name: str) -> type[Optimizer]:
    if not isinstance(name, str) or name not in _REGISTRY:
        raise V.unknown_name("optimizer", name, _REGISTRY)
    return _REGISTRY[name]


def make(name: str, **hyperparameters) -> Optimizer:
    """Build an optimizer, e.g. ``make("adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)``.

    ``lr`` is a number (constant step), a :class:`ratecheck.schedules.Schedule`, or a
    mapping such as ``{"schedule": "inv_sqrt", "lr": 0.5}``.
    """
    cls = get(name)
    allowed = cls.hyperparameters()
    unknown = sorted(set(hyperparameters) - set(allowed))
    if unknown:
        raise TypeError(f"optimizer {name!r} got unknown hyperparameter(s) {', '.join(unknown)}; "
                        f"allowed: {', '.join(allowed)}")
    return cls(**hyperparameters)


def from_config(config: dict) -> Optimizer:
    """Build from a mapping with a ``name`` key (the form :meth:`Optimizer.describe` writes)."""
    if not isinstance(config, dict):
        raise TypeError(f"optimizer config must be a table, got {config!r}")
    params = dict(config)
    name = params.pop("name", None)
    if name is None:
        raise ValueError(f"optimizer config needs a 'name', one of {', '.join(names())}")
    return make(name, **params)


def describe(name: str) -> str:
    """One line: the first docstring line and the reference."""
    cls = get(name)
    first = (cls.__doc__ or "").strip().splitlines()[0]
    return f"{first} [{cls.reference}]" if cls.reference else first
