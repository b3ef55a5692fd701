"""Registry of optimizers: ``names()``, ``make(name, **hyperparameters)``, ``get(name)``.

Adding an optimizer is one module with one frozen dataclass (see
:mod:`ratecheck.optimizers.base`) plus one line in ``_MODULES`` below; the shared
contract tests then cover it.
"""
from __future__ import annotations

import inspect

from ..registry import Registry
from .base import BlockRNG, Optimizer, State
from .from_optax import from_optax, resolve_factory
from .from_torch import from_torch, resolve_class, signature_defaults

__all__ = ["names", "make", "get", "describe", "registered", "Optimizer", "State", "BlockRNG", "from_config",
           "from_torch", "from_optax", "ADAPTERS"]

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


#: name prefixes of optimizers from other libraries: "torch:Adam", "torch:pkg.MyOpt", "optax:adam"
ADAPTERS = ("torch", "optax")


class Adapted:
    """What :func:`get` returns for ``"torch:..."``/``"optax:..."`` names: the hyperparameters a sweep
    may set, and how to build one."""

    def __init__(self, name: str):
        kind, _, target = name.partition(":")
        self.name, self.kind, self.target = name, kind, target
        if kind == "torch":
            self.allowed = ["lr", "elementwise", *(k for k in signature_defaults(resolve_class(target)) if k != "lr")]
        else:
            params = inspect.signature(resolve_factory(target)).parameters
            self.allowed = ["lr", *(k for k in params if k != "learning_rate")]

    def hyperparameters(self) -> list[str]:
        return list(self.allowed)

    def __call__(self, **hyperparameters) -> Optimizer:
        if self.kind == "torch":
            return from_torch(resolve_class(self.target), **hyperparameters)
        return from_optax(self.target, **hyperparameters)


def adapted(name) -> bool:
    """Whether ``name`` names an optimizer of another library (``torch:``/``optax:`` prefix)."""
    return isinstance(name, str) and name.partition(":")[0] in ADAPTERS and ":" in name


def names() -> list[str]:
    """Registered optimizer names, sorted."""
    return _REGISTRY.names()


def registered(optimizer) -> bool:
    """Whether ``optimizer`` is an instance of a registered class itself (not of a user's subclass)."""
    return type(optimizer) in _REGISTRY.values()


def get(name: str) -> type[Optimizer]:
    """The class registered as ``name``; for ``"torch:..."``/``"optax:..."``, an :class:`Adapted`."""
    if adapted(name):
        return Adapted(name)
    return _REGISTRY.get(name)


def make(name: str, **hyperparameters) -> Optimizer:
    """Build an optimizer, e.g. ``make("adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)``.

    ``lr`` is a number (constant step), a :class:`ratecheck.schedules.Schedule`, or a
    mapping such as ``{"schedule": "inv_sqrt", "lr": 0.5}``. Unknown hyperparameters raise
    ``TypeError`` naming the allowed ones. ``"torch:Adam"``, ``"torch:package.MyOpt"`` and
    ``"optax:adam"`` build adapters (:func:`from_torch`, :func:`from_optax`) with these hyperparameters.
    """
    if adapted(name):
        return Adapted(name)(**hyperparameters)
    return _REGISTRY.make(name, **hyperparameters)


def from_config(config: dict) -> Optimizer:
    """Build from a mapping with a ``name`` key (the form :meth:`Optimizer.describe` writes)."""
    if isinstance(config, dict) and adapted(config.get("name")):
        params = dict(config)
        return make(params.pop("name"), **params)
    return _REGISTRY.from_config(config)


def describe(name: str) -> str:
    """One line: the first docstring line and the reference."""
    if adapted(name):
        return f"{name}, run by ratecheck's {name.partition(':')[0]} adapter"
    return _REGISTRY.describe(name)
