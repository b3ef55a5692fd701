r"""Any optax ``GradientTransformation`` as a ratecheck optimizer: ``from_optax("lion", lr=1e-3)`` or
``from_optax(optax.chain(...))``.

Algorithm
---------
Each replicate runs optax's pure pair on its own row, ``jax.vmap``-ed over the replicates and
compiled once with ``jax.jit``:

.. math::

    (u_t, s_t) = \mathrm{update}(g_t, s_{t-1}, x_{t-1}), \qquad x_t = x_{t-1} + u_t,

with :math:`g_t` the simulator's gradient (the same noise as every built-in optimizer: common random
numbers). Because of the ``vmap``, per-tensor statistics (norms, trust ratios) are per replicate, so
replicates never mix whatever the transformation computes.

Built by name (``"optax:adam"``, ``"optax:contrib.adopt"``, ``"optax:my_package.make_opt"``), the
factory's keyword arguments are the hyperparameters, and its ``learning_rate`` is ratecheck's ``lr``:
a number, a ratecheck schedule or a callable ``t -> lr``, evaluated on the host at the update count
t = 1, 2, ... (optax's own schedules see the count of *previous* updates, t − 1) and injected with
``optax.inject_hyperparams`` (only the learning rate is injected; every other argument stays static).
A pre-built transformation keeps its own schedule.

Precision: the adapter turns on ``jax_enable_x64`` (a global JAX setting) so that the whole
computation is float64. The optax state lives in the ratecheck :class:`~ratecheck.optimizers.base.State`
as arrays ``state.optax_000, state.optax_001, ...`` (the flattened pytree, replicates first), so a run
can be copied, snapshotted and resumed. Transformations that draw random numbers need a PRNG key in
their state, which ``init`` would have to be given: they are not supported.
"""
from __future__ import annotations

import importlib
import inspect
import weakref
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import Optimizer, State
from .from_torch import MissingExtra

__all__ = ["from_optax", "OptaxOptimizer", "require_jax", "resolve_factory"]

PREFIX = "optax_"


def require_jax():
    """``(jax, optax)`` with float64 enabled, or :class:`MissingExtra` naming the extra to install."""
    try:
        import jax
        import optax
    except ImportError:
        raise MissingExtra("optax optimizers need JAX and optax: pip install 'ratecheck[jax]'") from None
    jax.config.update("jax_enable_x64", True)
    return jax, optax


def resolve_factory(path: str):
    """The function named ``"adam"`` (``optax.adam``), ``"contrib.adopt"`` or ``"my_package.make_opt"``."""
    _, optax = require_jax()
    if not isinstance(path, str) or not path:
        raise TypeError(f"an optax optimizer is named 'optax:adam' or 'optax:package.function', got {path!r}")
    obj = optax
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            break
    if callable(obj):
        return obj
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name) if module else None
    except (ImportError, AttributeError):
        pass
    raise ValueError(f"optax has no optimizer {path!r} and it is not an importable dotted path "
                     f"'package.module.function'; e.g. 'optax:adam', 'optax:contrib.adopt'")


@dataclass(frozen=True)
class OptaxOptimizer(Optimizer):
    """An optax transformation run by ratecheck; build it with :func:`from_optax`."""

    lr: object = None
    factory: str | None = None
    options: tuple = ()
    transformation: object = None

    name: ClassVar[str] = "optax"
    reference: ClassVar[str] = "the optax transformation it wraps"

    def __post_init__(self):
        jax, optax = require_jax()
        if self.factory is not None:
            if self.transformation is not None:
                raise TypeError("give an optax factory name with hyperparameters, or a built transformation")
            if self.lr is None:
                raise TypeError(f"optax:{self.factory} needs lr (its learning_rate)")
            super().__post_init__()
            fn = resolve_factory(self.factory)
            params = inspect.signature(fn).parameters
            unknown = sorted(k for k, _ in self.options if k not in params)
            if unknown:
                raise TypeError(f"optax:{self.factory} got unknown parameter(s) {', '.join(unknown)}; "
                                f"allowed: lr, {', '.join(p for p in params if p != 'learning_rate')}")
            static = tuple(k for k in params if k != "learning_rate")
            tx = optax.inject_hyperparams(fn, static_args=static)(learning_rate=self.lr(1), **dict(self.options))
            object.__setattr__(self, "name", "optax:" + self.factory)
        else:
            tx = self.transformation
            if not isinstance(tx, optax.GradientTransformation):
                raise TypeError(f"from_optax needs an optax GradientTransformation or a factory name, got {tx!r}")
            if self.lr is not None or self.options:
                raise TypeError("a built optax transformation carries its own learning rate; "
                                "give hyperparameters only with a factory name, e.g. from_optax('adam', lr=1e-2)")
        object.__setattr__(self, "tx", tx)
        self.__setstate__({})

    def describe(self) -> dict:
        if self.factory is None:
            return {"name": "optax", "transformation": repr(self.transformation)}
        return {"name": self.name, "lr": super().describe()["lr"], **dict(self.options)}

    def __getstate__(self):
        return {k: v for k, v in vars(self).items() if k not in ("bindings", "compiled", "tx")}

    def __setstate__(self, state):
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "bindings", weakref.WeakKeyDictionary())
        object.__setattr__(self, "compiled", {})
        if "tx" not in vars(self):
            self.__post_init__()

    # --- the jax side --------------------------------------------------------------------
    def functions(self, dim: int):
        """``(init, step, treedef)`` for iterates of dimension ``dim``, compiled once."""
        if dim not in self.compiled:
            jax, _ = require_jax()
            tx, injected = self.tx, self.factory is not None

            def one(g, s, x, lr):
                if injected:
                    s = s._replace(hyperparams={**s.hyperparams, "learning_rate": lr})
                u, s = tx.update(g, s, x)
                return x + u, s

            init = jax.jit(jax.vmap(tx.init))
            shape = jax.eval_shape(init, jax.ShapeDtypeStruct((1, dim), np.float64))
            treedef = jax.tree_util.tree_structure(shape)
            self.compiled[dim] = (init, jax.jit(jax.vmap(one, in_axes=(0, 0, 0, None))), treedef)
        return self.compiled[dim]

    def _init_buffers(self, state: State) -> None:
        jax, _ = require_jax()
        init, _, _ = self.functions(state.x.shape[1])
        for i, leaf in enumerate(jax.tree_util.tree_leaves(init(state.x))):
            if jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key) or leaf.dtype == np.uint32:
                raise ValueError(f"{self.name} keeps a random key in its state: every replicate would draw the "
                                 f"same numbers; optax transformations with randomness are not supported")
            setattr(state, f"{PREFIX}{i:03d}", np.array(leaf))

    def update(self, state: State, g: np.ndarray) -> None:
        jax, _ = require_jax()
        _, step, treedef = self.functions(state.x.shape[1])
        leaves = [getattr(state, f"{PREFIX}{i:03d}") for i in range(treedef.num_leaves)]
        cached = self.bindings.get(state)
        if cached is not None and all(a is b for a, b in zip(leaves, cached[1])):
            js = cached[0]
        else:
            js = jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(a) for a in leaves])
        state.t += 1
        lr = self.lr(state.t) if self.factory is not None else 0.0
        x, js = step(g, js, state.x, lr)
        np.copyto(state.x, np.asarray(x))
        new = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(js)]
        for i, arr in enumerate(new):
            setattr(state, f"{PREFIX}{i:03d}", arr)
        self.bindings[state] = (js, new)


def from_optax(transformation, **hyperparameters) -> OptaxOptimizer:
    """A ratecheck optimizer that runs an optax transformation on every replicate (``jax.vmap``).

    ``transformation`` is a built ``optax.GradientTransformation`` (no hyperparameters then), or the
    name of an optax factory (``"adam"``, ``"lion"``, ``"contrib.adopt"``, or a dotted path to a user
    function returning one) with its keyword arguments; ``lr`` (alias ``learning_rate``) is a number, a
    ratecheck schedule or a callable ``t -> lr``. E.g. ``from_optax("lion", lr=1e-4, b1=0.9, b2=0.99)``.
    """
    require_jax()
    if isinstance(transformation, str):
        params = dict(hyperparameters)
        if "learning_rate" in params:
            if "lr" in params:
                raise TypeError("give lr or learning_rate, not both")
            params["lr"] = params.pop("learning_rate")
        lr = params.pop("lr", None)
        options = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
        return OptaxOptimizer(lr=lr, factory=transformation, options=options)
    if hyperparameters:
        raise TypeError("a built optax transformation takes no hyperparameters here; "
                        "build it with them, or give the factory's name: from_optax('adam', lr=...)")
    return OptaxOptimizer(transformation=transformation)
