r"""Step-size schedules :math:`t \mapsto \alpha_t`.

A schedule is a small frozen callable, separate from the optimizer, so one
schedule can be swapped across optimizers. ``t`` counts parameter updates and
starts at 1 (the first update uses :math:`\alpha_1`).

=================  ==========================================  ===================
name               rule                                        parameters
=================  ==========================================  ===================
``constant``       :math:`\alpha`                              ``lr``
``inv_sqrt``       :math:`\alpha/\sqrt{t}`                     ``lr``
``inv``            :math:`\alpha/t`                            ``lr``
``inv_mu``         :math:`\alpha/(\mu t)`                      ``lr``, ``mu``
``inv_sqrt_affine`` :math:`\alpha/\sqrt{1 + c\,t}`             ``lr``, ``c``
``horizon_sqrt``   :math:`\alpha/\sqrt{T}` (constant in t)     ``lr``, ``horizon``
=================  ==========================================  ===================

``horizon_sqrt`` depends on the horizon :math:`T`, so a rate fitted from it needs
one run per horizon (a horizon sweep); the anytime rule ``inv_sqrt`` does not.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import ClassVar

from . import _validate as V
from ._registry import check_parameters

__all__ = ["Schedule", "Constant", "InvSqrt", "Inv", "InvMu", "InvSqrtAffine", "HorizonSqrt",
           "make", "names", "as_schedule"]

_REGISTRY: dict[str, type] = {}


def _register(cls):
    _REGISTRY[cls.name] = cls
    return cls


@dataclass(frozen=True)
class Schedule:
    """Base class: ``schedule(t)`` returns the step size of update ``t >= 1``."""

    lr: float
    name: ClassVar[str] = ""

    def __post_init__(self):
        object.__setattr__(self, "lr", V.nonnegative("lr", self.lr))

    def __call__(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict:
        return {"schedule": self.name, **asdict(self)}


@_register
@dataclass(frozen=True)
class Constant(Schedule):
    """Constant step size :math:`\\alpha_t = \\alpha`."""

    name: ClassVar[str] = "constant"

    def __call__(self, t: int) -> float:
        return self.lr


@_register
@dataclass(frozen=True)
class InvSqrt(Schedule):
    """Anytime :math:`\\alpha_t = \\alpha/\\sqrt{t}`."""

    name: ClassVar[str] = "inv_sqrt"

    def __call__(self, t: int) -> float:
        return self.lr / math.sqrt(t)


@_register
@dataclass(frozen=True)
class Inv(Schedule):
    """:math:`\\alpha_t = \\alpha/t`."""

    name: ClassVar[str] = "inv"

    def __call__(self, t: int) -> float:
        return self.lr / t


@_register
@dataclass(frozen=True)
class InvMu(Schedule):
    """:math:`\\alpha_t = \\alpha/(\\mu t)`, the strongly convex rule (``lr=1`` gives 1/(μt))."""

    mu: float = 1.0
    name: ClassVar[str] = "inv_mu"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "mu", V.positive("mu", self.mu))

    def __call__(self, t: int) -> float:
        return self.lr / (self.mu * t)


@_register
@dataclass(frozen=True)
class InvSqrtAffine(Schedule):
    """:math:`\\alpha_t = \\alpha/\\sqrt{1 + c\\,t}` (the ADOPT toy problem uses α=0.01, c=0.01)."""

    c: float = 1.0
    name: ClassVar[str] = "inv_sqrt_affine"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "c", V.nonnegative("c", self.c))

    def __call__(self, t: int) -> float:
        return self.lr / math.sqrt(1.0 + self.c * t)


@_register
@dataclass(frozen=True)
class HorizonSqrt(Schedule):
    """Horizon-dependent constant :math:`\\alpha_t = \\alpha/\\sqrt{T}` for a run of ``horizon`` = T updates."""

    horizon: int = 1
    name: ClassVar[str] = "horizon_sqrt"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "horizon", V.integer("horizon", self.horizon, low=1))

    def __call__(self, t: int) -> float:
        return self.lr / math.sqrt(self.horizon)


def names() -> list[str]:
    return sorted(_REGISTRY)


def make(name: str, **params) -> Schedule:
    """Build a schedule by name, e.g. ``make("inv_sqrt", lr=0.5)``."""
    if name not in _REGISTRY:
        raise V.unknown_name("schedule", name, _REGISTRY)
    cls = _REGISTRY[name]
    check_parameters("schedule", name, cls, params)
    if "lr" not in params:
        raise TypeError(f"schedule {name!r} needs 'lr'")
    return cls(**params)


def as_schedule(value, field: str = "lr") -> Schedule:
    """Coerce a number, a :class:`Schedule` or a mapping ``{"schedule": name, ...}``."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, dict):
        params = dict(value)
        name = params.pop("schedule", None)
        if name is None:
            raise ValueError(f"{field}: a schedule table needs a 'schedule' key, one of {', '.join(names())}")
        return make(name, **params)
    if V._is_real(value):
        return Constant(V.nonnegative(field, value))
    raise TypeError(f"{field} must be a number, a Schedule or a table with a 'schedule' key, got {value!r}")
