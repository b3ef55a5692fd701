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

Momentum schedules :math:`t \mapsto \beta_t \in [0, 1)`, for the theorems that let a decay
rate change with t (an optimizer's ``beta1`` accepts one where its docstring says so; a plain
number stays a constant):

========================  ============================================  ===================
name                      rule                                          parameters
========================  ============================================  ===================
``one_minus_inv_sqrt``    :math:`\beta_t = 1 - \beta/\sqrt{t}`          ``beta`` in (0, 1]
``geometric``             :math:`\beta_t = \beta\,\lambda^t`            ``beta`` in [0, 1), ``decay`` λ in (0, 1]
========================  ============================================  ===================

``one_minus_inv_sqrt`` is AdaM³'s nonconvex schedule (ICDM 2023 supplement, Corollary 1:
:math:`1-\beta_{1,t} = \beta/\sqrt t`); ``geometric`` its convex one (Theorem 4,
Corollary 2: :math:`\beta_{1,t} = \beta_1\lambda^t`).

In the Python API a step size or a momentum parameter may also be any callable ``t -> value``
(the torch ``LambdaLR``/optax convention, with t counting updates from 1 as above), wrapped in
:class:`FromCallable`/:class:`BetaFromCallable`. Its description records its ``repr`` (without the
memory address) and, where :func:`inspect.getsource` finds it, its source, so a result says which
function ran. A callable cannot be checked for sameness across processes, so resuming a run with one
is refused unless the user passes the same function and says so (``from_callable(fn,
same_on_resume=True)``); see :func:`unconfirmed_callables`. Experiment files keep named schedules.
"""
from __future__ import annotations

import inspect
import math
import re
from dataclasses import asdict, dataclass, fields
from typing import ClassVar

from . import validate as V
from .registry import check_parameters

__all__ = ["Schedule", "Constant", "InvSqrt", "Inv", "InvMu", "InvSqrtAffine", "HorizonSqrt",
           "make", "names", "get", "as_schedule", "FromCallable", "BetaFromCallable", "from_callable",
           "unconfirmed_callables", "callable_record",
           "BetaSchedule", "OneMinusInvSqrt", "Geometric", "make_beta", "beta_names", "get_beta", "as_beta"]

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


def get(name: str) -> type[Schedule]:
    """The step-size schedule class registered as ``name`` (its docstring states the rule)."""
    if name not in _REGISTRY:
        raise V.unknown_name("schedule", name, _REGISTRY)
    return _REGISTRY[name]


def make(name: str, **params) -> Schedule:
    """Build a schedule by name, e.g. ``make("inv_sqrt", lr=0.5)``."""
    if name not in _REGISTRY:
        raise V.unknown_name("schedule", name, _REGISTRY)
    cls = _REGISTRY[name]
    check_parameters("schedule", name, cls, params)
    if "lr" not in params:
        raise TypeError(f"schedule {name!r} needs 'lr'")
    return cls(**params)


def callable_record(fn) -> dict:
    """What a result records about a user's callable: its repr without the memory address (stable across
    processes), its qualified name and, where :func:`inspect.getsource` finds it, its source."""
    try:
        source = inspect.getsource(fn).strip()
    except (OSError, TypeError):
        source = None
    name = f"{getattr(fn, '__module__', None)}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
    return {"repr": re.sub(r" at 0x[0-9a-fA-F]+", "", repr(fn)), "qualname": name, "source": source}


def checked_value(field_name: str, fn, t: int, low: float, high: float | None) -> float:
    """``fn(t)`` as a float in [low, high), or ValueError naming the callable, t and what came back."""
    value = fn(t)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{field_name}: the callable {callable_record(fn)['repr']} returned {value!r} at t={t}, "
                        f"not a number") from None
    if not (math.isfinite(value) and value >= low and (high is None or value < high)):
        where = f"[{low:g}, {high:g})" if high is not None else f">= {low:g}"
        raise ValueError(f"{field_name}: the callable {callable_record(fn)['repr']} returned {value!r} at t={t}; "
                         f"it must be finite and {where}")
    return value


@dataclass(frozen=True)
class FromCallable(Schedule):
    """A user's callable as a step-size schedule: :math:`\alpha_t` = ``fn(t)``, t = 1, 2, ... (updates)."""

    lr: object = None
    same_on_resume: bool = False
    name: ClassVar[str] = "callable"

    def __post_init__(self):
        if not callable(self.lr):
            raise TypeError(f"FromCallable needs a callable t -> lr, got {self.lr!r}")
        if not isinstance(self.same_on_resume, bool):
            raise TypeError(f"same_on_resume must be True or False, got {self.same_on_resume!r}")

    def __call__(self, t: int) -> float:
        return checked_value("lr", self.lr, t, 0.0, None)

    def describe(self) -> dict:
        return {"schedule": self.name, **callable_record(self.lr)}


def from_callable(fn, *, same_on_resume: bool = False, momentum: bool = False):
    """Wrap ``fn: t -> value`` as a schedule (``momentum=True``: a decay rate in [0, 1)).

    ``same_on_resume=True`` says that a run resumed from a snapshot passes the same function (ratecheck
    can compare only its repr and source); without it ``simulate(..., resume=True)`` refuses.
    """
    cls = BetaFromCallable if momentum else FromCallable
    return cls(fn, same_on_resume=same_on_resume)


def unconfirmed_callables(optimizer) -> list[str]:
    """The hyperparameters of ``optimizer`` that are callables not marked ``same_on_resume`` (a resume
    with them cannot be checked)."""
    return [f.name for f in fields(optimizer)
            if isinstance(getattr(optimizer, f.name), (FromCallable, BetaFromCallable))
            and not getattr(optimizer, f.name).same_on_resume]


def as_schedule(value, field: str = "lr") -> Schedule:
    """Coerce a number, a :class:`Schedule`, a mapping ``{"schedule": name, ...}`` or a callable ``t -> lr``."""
    if isinstance(value, Schedule):
        return value
    if callable(value) and not isinstance(value, (type, BetaSchedule)):
        return FromCallable(value)
    if isinstance(value, dict):
        params = dict(value)
        name = params.pop("schedule", None)
        if name is None:
            raise ValueError(f"{field}: a schedule table needs a 'schedule' key, one of {', '.join(names())}")
        return make(name, **params)
    if V.is_real(value):
        return Constant(V.nonnegative(field, value))
    raise TypeError(f"{field} must be a number, a Schedule, a callable t -> lr or a table with a 'schedule' key, "
                    f"got {value!r}")


# ------------------------------------------------------------------------ momentum schedules
_BETA_REGISTRY: dict[str, type] = {}


def _register_beta(cls):
    _BETA_REGISTRY[cls.name] = cls
    return cls


@dataclass(frozen=True)
class BetaSchedule:
    """Base class: ``schedule(t)`` returns the decay rate β_t ∈ [0, 1) of update ``t >= 1``."""

    name: ClassVar[str] = ""

    def __call__(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict:
        return {"schedule": self.name, **asdict(self)}


@_register_beta
@dataclass(frozen=True)
class OneMinusInvSqrt(BetaSchedule):
    """:math:`\\beta_t = 1 - \\beta/\\sqrt{t}` (AdaM³, Corollary 1: 1 − β1,t = β/√t)."""

    beta: float = 0.1
    name: ClassVar[str] = "one_minus_inv_sqrt"

    def __post_init__(self):
        object.__setattr__(self, "beta", V.real("beta", self.beta, low=0.0, low_open=True, high=1.0))

    def __call__(self, t: int) -> float:
        return 1.0 - self.beta / math.sqrt(t)


@_register_beta
@dataclass(frozen=True)
class Geometric(BetaSchedule):
    """:math:`\\beta_t = \\beta\\,\\lambda^t` (AdaM³, Theorem 4: β1,t = β1 λ^t)."""

    beta: float = 0.9
    decay: float = 0.99
    name: ClassVar[str] = "geometric"

    def __post_init__(self):
        object.__setattr__(self, "beta", V.beta("beta", self.beta))
        object.__setattr__(self, "decay", V.real("decay", self.decay, low=0.0, low_open=True, high=1.0))

    def __call__(self, t: int) -> float:
        return self.beta * self.decay ** t


@dataclass(frozen=True)
class BetaFromCallable(BetaSchedule):
    """A user's callable as a momentum schedule: :math:`\beta_t` = ``fn(t)`` in [0, 1)."""

    fn: object = None
    same_on_resume: bool = False
    name: ClassVar[str] = "callable"

    def __post_init__(self):
        if not callable(self.fn):
            raise TypeError(f"BetaFromCallable needs a callable t -> beta, got {self.fn!r}")
        if not isinstance(self.same_on_resume, bool):
            raise TypeError(f"same_on_resume must be True or False, got {self.same_on_resume!r}")

    def __call__(self, t: int) -> float:
        return checked_value("beta", self.fn, t, 0.0, 1.0)

    def describe(self) -> dict:
        return {"schedule": self.name, **callable_record(self.fn)}


def beta_names() -> list[str]:
    return sorted(_BETA_REGISTRY)


def get_beta(name: str) -> type[BetaSchedule]:
    """The momentum schedule class registered as ``name`` (its docstring states the rule)."""
    if name not in _BETA_REGISTRY:
        raise V.unknown_name("momentum schedule", name, _BETA_REGISTRY)
    return _BETA_REGISTRY[name]


def make_beta(name: str, **params) -> BetaSchedule:
    """Build a momentum schedule by name, e.g. ``make_beta("one_minus_inv_sqrt", beta=0.1)``."""
    if name not in _BETA_REGISTRY:
        raise V.unknown_name("momentum schedule", name, _BETA_REGISTRY)
    cls = _BETA_REGISTRY[name]
    check_parameters("momentum schedule", name, cls, params)
    return cls(**params)


def as_beta(value, field: str):
    """A decay rate: a number in [0, 1) (returned as a float, a constant), a :class:`BetaSchedule`,
    or a mapping ``{"schedule": name, ...}`` naming one of :func:`beta_names`."""
    if isinstance(value, BetaSchedule):
        return value
    if callable(value) and not isinstance(value, (type, Schedule)):
        return BetaFromCallable(value)
    if isinstance(value, dict):
        params = dict(value)
        name = params.pop("schedule", None)
        if name is None:
            raise ValueError(f"{field}: a schedule table needs a 'schedule' key, one of {', '.join(beta_names())}")
        try:
            return make_beta(name, **params)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{field}: {err}") from None
    if V.is_real(value):
        return V.beta(field, value)
    raise TypeError(f"{field} must be a number in [0, 1) or a table with a 'schedule' key "
                    f"({', '.join(beta_names())}), got {V.short(value)}")
