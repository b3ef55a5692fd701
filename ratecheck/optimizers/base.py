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

import zlib
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from .. import validate as V
from ..schedules import BetaSchedule, Constant, Schedule, as_schedule

__all__ = ["State", "Optimizer", "BlockRNG", "EmaOfQueries", "ElementStep"]


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
class ElementStep:
    r"""An optimizer's compiled step of one coordinate: source that the numba engine
    (:mod:`ratecheck.sim.compose`) pastes into its loops, doing the floating-point operations of the
    NumPy ``update`` (and ``query``) in the same order, so that both give the same bits.

    The code runs for coordinate ``j`` of replicate ``i`` at step ``k``. It reads the iterate ``xi``,
    the gradient ``g`` at the query point ``y`` (``update``), and sets ``xn``, the new iterate (the
    kernel then projects it onto a box domain, stores it and checks it is finite). Names it may use:
    the state arrays ``A0``, ``A1``, ``A2``, ``Z`` (indexed ``[i, j]``: the arrays that
    :meth:`Optimizer.kernel_fixed` returns), the optimizer's draw ``S[k, i, 0]``, the constants
    ``fp0`` .. ``fp7`` and this step's scalars ``sc0`` .. ``sc3`` (from ``kernel_fixed`` and
    :meth:`Optimizer.kernel_scalars`), the flags ``o1`` .. ``o8`` (compile-time True/False), ``dim1``
    (the problem has one coordinate), ``box``, ``loj``, ``hij`` (the box of coordinate j), ``TINY``,
    ``math`` and the NumPy-rule helpers ``nmax``, ``nclip``, ``nsign``.

    * ``query``: code that sets ``y`` (and ``delta``) when the gradient is not taken at ``xi``; it must
      store ``y`` where ``reload_y`` reads it back, and ``delta`` where ``reload_delta`` does (the
      kernel may run the sections as separate loops).
    * ``uses``: (array, flag expression) pairs: which of ``A0``, ``A1``, ``A2``, ``Z``, ``S`` the code
      indexes, under which flags.
    * ``iterate_is_query``: flag expression, True when ``xn`` is the query point ``y`` (then ∇F(xn)
      is the gradient already computed at y).
    * ``row_when``, ``row_pre``, ``row_post``, ``row_scratch``: per-replicate code run before and
      after the loop over the coordinates of a replicate (dim > 1), under the flag expression
      ``row_when``, with scratch rows (``NAME_r``) of the given names.
    * ``last_draw``: the state attribute that keeps the last draw (shape (replicates, 1)), if any.
    """

    update: str
    uses: tuple = ()
    query: str = ""
    reload_y: str = "y = xi\n"
    reload_delta: str = "delta = 0.0\n"
    iterate_is_query: str = "False"
    row_when: str = "False"
    row_pre: str = ""
    row_post: str = ""
    row_scratch: tuple = ()
    last_draw: str = ""

    def key(self) -> int:
        """A number that names this code in every process (the compiled variants are cached under it)."""
        return zlib.crc32(repr(self).encode()) & 0x3FFFFFFF


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

    # --- the compiled step (see ElementStep) --------------------------------------------
    #: the compiled elementwise step; it applies to this class only if declared in its own body, so a
    #: subclass that changes the algorithm does not inherit a step that no longer matches it
    kernel_step: ClassVar[ElementStep | None] = None

    def kernel_unsupported(self) -> str | None:
        """Why this configuration has no compiled step (None when ``kernel_step`` applies)."""
        return None

    def kernel_fixed(self, state: State) -> tuple:
        """((A0, A1, A2, Z) state arrays or None, constants fp0.., flags {"o1": bool, ...})."""
        raise NotImplementedError(f"{self.name} has no compiled step")

    def kernel_scalars(self, t0: int, n: int) -> np.ndarray:
        """The per-step scalars sc0 .. sc3 of steps t0 .. t0+n−1, shape (n, 4)."""
        raise NotImplementedError(f"{self.name} has no compiled step")

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
