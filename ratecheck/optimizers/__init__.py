"""Registry of optimizers: ``names()``, ``make(name, **hyperparameters)``, ``get(name)``.

Adding an optimizer is one module with one frozen dataclass (see
:mod:`ratecheck.optimizers.base`) plus one line in ``_MODULES`` below; the shared
contract tests then cover it.
"""
from __future__ import annotations

from ..registry import Registry
from .base import BlockRNG, Optimizer, State

__all__ = ["names", "make", "get", "describe", "registered", "Optimizer", "State", "BlockRNG", "from_config"]

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

_REGISTRY = Registry("optimizer", __name__, _MODULES)


def names() -> list[str]:
    """Registered optimizer names, sorted."""
    return _REGISTRY.names()


def registered(optimizer) -> bool:
    """Whether ``optimizer`` is an instance of a registered class itself (not of a user's subclass)."""
    return type(optimizer) in _REGISTRY.values()


def get(name: str) -> type[Optimizer]:
    return _REGISTRY.get(name)


def make(name: str, **hyperparameters) -> Optimizer:
    """Build an optimizer, e.g. ``make("adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)``.

    ``lr`` is a number (constant step), a :class:`ratecheck.schedules.Schedule`, or a
    mapping such as ``{"schedule": "inv_sqrt", "lr": 0.5}``. Unknown hyperparameters raise
    ``TypeError`` naming the allowed ones.
    """
    return _REGISTRY.make(name, **hyperparameters)


def from_config(config: dict) -> Optimizer:
    """Build from a mapping with a ``name`` key (the form :meth:`Optimizer.describe` writes)."""
    return _REGISTRY.from_config(config)


def describe(name: str) -> str:
    """One line: the first docstring line and the reference."""
    return _REGISTRY.describe(name)
