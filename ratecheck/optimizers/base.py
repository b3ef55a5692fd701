r"""The optimizer protocol shared by every method in :mod:`ratecheck.optimizers`.

An optimizer is a frozen dataclass of hyperparameters named as in its paper
(``lr``, ``beta1``, ``beta2``, ``eps``, ...). Its state is a :class:`State`: a step
counter plus plain float64 arrays of shape ``(replicates, dim)``, so a run can be
copied, checkpointed, compared and replayed.

One step of the simulator is

1. ``y = opt.query(state, rng)``  -- where the optimizer wants the gradient
   (the iterate itself for most methods; a randomly scaled point for O2NC);
2. ``g = problem.stochastic_grad(y, noise_rng)``;
3. ``opt.update(state, g)``        -- in place, into preallocated buffers.

``query``/``update`` mutate ``state`` for speed (the simulator owns it and runs
millions of steps). :meth:`Optimizer.step` is the pure form for users and tests:
it copies the state first and never touches its inputs.

The point that is *measured* is declared by :attr:`Optimizer.output`:
``"iterate"`` (``state.x``), or ``"average"``/``"ema"`` of the points named by
:attr:`Optimizer.output_source` (``"iterate"`` or ``"query"``), mixed by
``mean_t = mean_{t-1} + a_t (p_t - mean_{t-1})`` with ``a_t`` from
:meth:`Optimizer.output_weight` and ``mean_0 = x_0``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from .. import validate as V
from ..schedules import BetaSchedule, Constant, Schedule, as_schedule

__all__ = ["State", "Optimizer", "BlockRNG", "EmaOfQueries"]


class State:
    """Optimizer state: ``t`` (gradients consumed so far) and named arrays.

    Arrays whose name starts with ``_`` are scratch buffers: they are reused
    between steps to avoid temporaries and carry no information.
    """

    def __init__(self, t: int = 0, **arrays):
        self.t = t
        for key, value in arrays.items():
            setattr(self, key, value)

    def arrays(self) -> dict[str, np.ndarray]:
        """The informative arrays (no scratch buffers)."""
        return {k: v for k, v in vars(self).items() if k != "t" and not k.startswith("_")}

    def copy(self) -> "State":
        new = State(self.t)
        for key, value in vars(self).items():
            if key != "t":
                setattr(new, key, value.copy() if isinstance(value, np.ndarray) else value)
        return new

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.arrays().items())
        return f"State(t={self.t}, {shapes})"


class BlockRNG:
    """Per-block random generators for the optimizer's own randomness.

    Replicates are split into blocks of fixed size, each with its own
    :class:`numpy.random.Generator`, so a replicate's random numbers do not depend
    on how many replicates run beside it. ``fill`` draws into an output array of
    shape ``(replicates, ...)`` block by block.
    """

    def __init__(self, generators, block_size: int):
        self.generators = list(generators)
        self.block_size = block_size

    @classmethod
    def single(cls, rng=None) -> "BlockRNG":
        rng = np.random.default_rng(rng)
        return cls([rng], block_size=2**62)

    def fill(self, method: str, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` with ``Generator.<method>`` (``random``, ``standard_exponential``, ...)."""
        b = self.block_size
        for i, gen in enumerate(self.generators):
            block = out[i * b:(i + 1) * b]
            if block.shape[0]:
                getattr(gen, method)(out=block)
        return out


@dataclass(frozen=True)
class Optimizer:
    """Base class. Subclasses are frozen dataclasses registered by name."""

    lr: float | Schedule = 1e-3

    name: ClassVar[str] = ""
    #: one-line description with the reference, shown by ``ratecheck list``
    reference: ClassVar[str] = ""
    #: where the gradient is queried: "iterate" or "random_scaled"
    query_kind: ClassVar[str] = "iterate"
    #: which points the output mixes: "iterate" or "query"
    output_source: ClassVar[str] = "iterate"
    #: whether the optimizer draws random numbers of its own
    uses_randomness: ClassVar[bool] = False
    #: for the simulator's prefetching: the ``BlockRNG.fill`` method that ``query`` calls exactly
    #: once per step on an array of shape (replicates, 1), when that is all it draws (else None)
    draw_method: ClassVar[str | None] = None

    def __post_init__(self):
        object.__setattr__(self, "lr", as_schedule(self.lr, "lr"))

    # --- description -----------------------------------------------------------------
    @classmethod
    def hyperparameters(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def describe(self) -> dict:
        """A JSON-able description that :func:`ratecheck.optimizers.make` accepts back."""
        out = {"name": self.name}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Constant):
                value = value.lr
            elif isinstance(value, (Schedule, BetaSchedule)):
                value = value.describe()
            out[f.name] = value
        return out

    @property
    def output(self) -> str:
        """The measured point: "iterate", "average" or "ema"."""
        return "iterate"

    def output_weight(self, t: int) -> float:
        """Mixing weight ``a_t`` of the t-th point in the output average/EMA."""
        raise NotImplementedError(f"{self.name} outputs its iterate")

    # --- the algorithm ---------------------------------------------------------------
    def init(self, x0: np.ndarray) -> State:
        """A fresh state at ``x0`` of shape ``(replicates, dim)`` (``x0`` is copied)."""
        x = np.array(V.points("x0", x0), dtype=np.float64, order="C", copy=True)
        state = State(0, x=x)
        self._init_buffers(state)
        return state

    def _init_buffers(self, state: State) -> None:
        """Add the method's arrays to ``state`` (override)."""

    def query(self, state: State, rng: BlockRNG | None = None) -> np.ndarray:
        """The point where the next gradient is wanted (default: the iterate itself)."""
        return state.x

    def update(self, state: State, g: np.ndarray) -> None:  # pragma: no cover - abstract
        """Consume the gradient ``g`` taken at ``query(state)``; mutates ``state``."""
        raise NotImplementedError

    def step(self, state: State, grad, rng=None) -> State:
        """Pure step: returns a new state, leaving ``state`` untouched.

        ``grad`` is an array (the gradient at the query point) or a callable
        ``y -> g``. ``rng`` is a seed, a Generator or a :class:`BlockRNG`.
        """
        new = state.copy()
        if not isinstance(rng, BlockRNG):
            rng = BlockRNG.single(rng)
        y = self.query(new, rng)
        g = grad(y.copy()) if callable(grad) else grad
        g = np.asarray(g)
        if g.dtype.kind not in "biuf":
            raise TypeError(f"gradient must be an array of real numbers, got dtype {g.dtype}")
        g = g.astype(np.float64, copy=False)
        if g.shape != new.x.shape:
            raise ValueError(f"gradient must have shape {new.x.shape}, got {g.shape}")
        self.update(new, g)
        return new


class EmaOfQueries:
    r"""Mixin: the output is the bias-corrected EMA of the points named by ``output_source`` (the iterates for
    Algorithm 1's exponential scaling, the query points for the uniform one),
    :math:`\bar y_t = \frac{1-b}{1-b^t}\sum_{s\le t} b^{t-s} y_s` with b = ``ema_beta``
    (default: the optimizer's ``beta``, as in Ahn & Cutkosky's model EMA).

    Put it before :class:`Optimizer` in the bases and call :meth:`_check_ema_beta` from
    ``__post_init__``.
    """

    def _check_ema_beta(self) -> None:
        if self.ema_beta is None:
            object.__setattr__(self, "ema_beta", self.beta)
        object.__setattr__(self, "ema_beta", V.beta("ema_beta", self.ema_beta))

    @property
    def output(self) -> str:
        return "ema"

    def output_weight(self, t: int) -> float:
        b = self.ema_beta
        return (1.0 - b) / (1.0 - b ** t)
