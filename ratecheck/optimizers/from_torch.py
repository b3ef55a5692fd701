r"""Any ``torch.optim.Optimizer`` as a ratecheck optimizer: ``from_torch(torch.optim.NAdam, lr=1e-2)``.

Algorithm
---------
The adapter runs the torch optimizer itself, in float64, on the simulator's gradients: step t sets
``param.grad = g_t`` (the gradient the simulator drew, so every optimizer sees the same noise: common
random numbers), sets the parameter group's ``lr`` to :math:`\alpha_t` of the ratecheck schedule
(t counts updates from 1, as the built-in optimizers do), and calls ``optimizer.step()``.

Replicates stay independent in one of two ways:

* **elementwise** optimizers (every statistic is per coordinate: SGD, Adam, AdamW, NAdam, RAdam,
  Adamax, Adagrad, Adadelta, RMSprop, Rprop, ASGD) see the ``(replicates, dim)`` iterate as **one**
  tensor, each replicate a row, so one torch call updates all replicates;
* any other optimizer (per-tensor norms or statistics: LAMB, LARS, Lion with a norm-based step,
  Adafactor, a user's class unless it says ``elementwise=True``) sees one parameter **per replicate**
  (the rows, as views of the same storage), so every per-tensor statistic is a per-replicate one; torch
  then loops over the parameters (or batches them with ``foreach=True``).

State
-----
The torch optimizer's state lives in the ratecheck :class:`~ratecheck.optimizers.base.State` as plain
float64 arrays, so a run can be copied, snapshotted, resumed and split across processes like any
other: a state tensor shaped like the parameter becomes ``state.torch_<key>`` of shape
``(replicates, dim)``, and torch updates it in place through a tensor that shares its memory; a
scalar (a step count, NAdam's ``mu_product``) becomes a column ``state.torchs_<key>`` (a tensor) or
``state.torchn_<key>`` (a Python number) of shape ``(replicates, 1)``. The torch optimizer object is a
cache bound to one State object, rebuilt from the arrays whenever the State is new (a copy, a snapshot).
Scalars that torch creates lazily are created in float64 (torch's default dtype is float64 during a step).

An optimizer with randomness of its own is seeded by torch's global generator, which ratecheck does
not control: such a run is not reproducible, and the adapter refuses nothing about it; prefer
deterministic optimizers (every ``torch.optim`` one is).
"""
from __future__ import annotations

import importlib
import inspect
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import Optimizer, State

__all__ = ["from_torch", "TorchOptimizer", "ELEMENTWISE", "require_torch", "resolve_class", "MissingExtra"]

#: torch.optim classes whose statistics are all per coordinate (run as one tensor of replicates)
ELEMENTWISE = frozenset({"SGD", "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "Adagrad", "Adadelta",
                         "RMSprop", "Rprop", "ASGD"})
#: classes that cannot run here: they need a closure re-evaluating the loss, or sparse gradients
REFUSED = {"LBFGS": "it needs a closure that re-evaluates the loss", "SparseAdam": "it needs sparse gradients"}

FULL, SCALAR_TENSOR, NUMBER = "torch_", "torchs_", "torchn_"


class MissingExtra(ImportError, ValueError):
    """An optional dependency is not installed; the message names the extra (a ValueError too, so the
    command line reports it in one line with exit code 2)."""


def require_torch():
    """``torch``, or :class:`MissingExtra` naming the extra to install."""
    try:
        import torch
    except ImportError:
        raise MissingExtra("torch optimizers need PyTorch: pip install 'ratecheck[torch]'") from None
    return torch


def resolve_class(path: str):
    """The class named by ``"Adam"`` (``torch.optim.Adam``) or a dotted path ``"my_package.MyOpt"``."""
    torch = require_torch()
    if not isinstance(path, str) or not path:
        raise TypeError(f"a torch optimizer is named 'torch:Adam' or 'torch:package.Class', got {path!r}")
    if "." not in path:
        cls = getattr(torch.optim, path, None)
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
            known = sorted(n for n in dir(torch.optim) if isinstance(getattr(torch.optim, n), type)
                           and issubclass(getattr(torch.optim, n), torch.optim.Optimizer) and n != "Optimizer")
            raise ValueError(f"torch.optim has no optimizer {path!r}; one of {', '.join(known)}, "
                             f"or an importable dotted path 'package.module.Class'")
        return cls
    module, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"cannot import the torch optimizer {path!r} ({err}); give an importable "
                         f"dotted path 'package.module.Class'") from None
    return cls


def class_path(cls) -> str:
    """``"Adam"`` for torch.optim's classes, else ``"module.QualName"``."""
    torch = require_torch()
    if getattr(torch.optim, cls.__name__, None) is cls:
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def signature_defaults(cls) -> dict:
    """The keyword parameters of ``cls.__init__`` after ``params``, with their defaults (or ``None``)."""
    params = list(inspect.signature(cls.__init__).parameters.values())[2:]   # self, params
    return {p.name: (None if p.default is inspect.Parameter.empty else p.default)
            for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


@contextmanager
def float64_default(torch):
    """torch's default dtype float64 for the duration (the scalars a step creates lazily)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


class Binding:
    """A torch optimizer bound to one State: its parameters and state tensors share the State's memory."""

    def __init__(self, adapter: "TorchOptimizer", state: State, torch):
        self.x = state.x
        R = state.x.shape[0]
        if not hasattr(state, "_grad") or state._grad.shape != state.x.shape:
            state._grad = np.zeros_like(state.x)
        whole, grad = torch.from_numpy(state.x), torch.from_numpy(state._grad)
        if adapter.is_elementwise:
            self.rows = [slice(None)]
            self.params = [whole]
            grads = [grad]
        else:
            self.rows = list(range(R))
            self.params = list(whole.unbind(0))
            grads = list(grad.unbind(0))
        for p, g in zip(self.params, grads):
            p.grad = g
        kwargs = dict(adapter.options)
        if adapter.has_lr:
            kwargs["lr"] = adapter.lr(max(state.t, 1))
        with float64_default(torch):
            self.opt = adapter.optimizer_class(self.params, **kwargs)
        self.tensors: dict[str, list] = {}      # FULL keys: the views torch holds, per parameter
        for attr, arr in list(vars(state).items()):
            kind, key = split_name(attr)
            if kind is None:
                continue
            for j, (p, rows) in enumerate(zip(self.params, self.rows)):
                if kind == FULL:
                    value = torch.from_numpy(arr)[rows]
                    self.tensors.setdefault(attr, []).append(value)
                elif kind == SCALAR_TENSOR:
                    value = torch.tensor(float(arr[rows, 0] if isinstance(rows, int) else arr[0, 0]),
                                         dtype=torch.float64)
                else:
                    value = float(arr[rows, 0] if isinstance(rows, int) else arr[0, 0])
                    value = int(value) if value.is_integer() and key in ("step",) else value
                self.opt.state[p][key] = value

    def sync(self, state: State, torch) -> None:
        """Copy what torch did not update in place back into the State's arrays."""
        R = state.x.shape[0]
        for j, (p, rows) in enumerate(zip(self.params, self.rows)):
            for key, value in self.opt.state[p].items():
                if isinstance(value, torch.Tensor) and value.shape == p.shape and value.dim() > 0:
                    attr = FULL + key
                    held = self.tensors.get(attr)
                    if held is not None and held[j] is value:
                        continue                          # updated in place, in our memory
                    if attr not in vars(state) or getattr(state, attr).shape != state.x.shape:
                        setattr(state, attr, np.zeros_like(state.x))
                    arr = getattr(state, attr)
                    arr[rows] = value.detach().numpy()
                    view = torch.from_numpy(arr)[rows]
                    self.opt.state[p][key] = view          # from now on torch writes into the State
                    self.tensors.setdefault(attr, [None] * len(self.params))[j] = view
                elif isinstance(value, torch.Tensor) and value.numel() == 1:
                    column(state, SCALAR_TENSOR + key, R)[rows, 0] = float(value.item())
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    column(state, NUMBER + key, R)[rows, 0] = float(value)
                else:
                    raise TypeError(f"{type(self.opt).__name__}: cannot keep its state entry {key!r} "
                                    f"({type(value).__name__} of shape {getattr(value, 'shape', None)}) "
                                    f"in a ratecheck State; use elementwise=False or a supported optimizer")


def split_name(attr: str):
    """``(kind, torch key)`` of a State attribute written by the adapter, else ``(None, None)``."""
    for kind in (SCALAR_TENSOR, NUMBER, FULL):
        if attr.startswith(kind):
            return kind, attr[len(kind):]
    return None, None


def column(state: State, attr: str, rows: int) -> np.ndarray:
    arr = getattr(state, attr, None)
    if arr is None or arr.shape != (rows, 1):
        arr = np.zeros((rows, 1))
        setattr(state, attr, arr)
    return arr


@dataclass(frozen=True)
class TorchOptimizer(Optimizer):
    """A ``torch.optim.Optimizer`` class run by ratecheck; build it with :func:`from_torch`."""

    lr: object = 1e-3
    optimizer_class: object = None
    options: tuple = ()
    elementwise: bool | None = None

    name: ClassVar[str] = "torch"
    reference: ClassVar[str] = "the torch.optim (or user) class it wraps"

    def __post_init__(self):
        super().__post_init__()
        torch = require_torch()
        cls = self.optimizer_class
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
            raise TypeError(f"from_torch needs a torch.optim.Optimizer subclass, got {cls!r}")
        if cls.__name__ in REFUSED and getattr(torch.optim, cls.__name__, None) is cls:
            raise ValueError(f"torch.optim.{cls.__name__} cannot run in ratecheck: {REFUSED[cls.__name__]}")
        if self.elementwise is not None and not isinstance(self.elementwise, bool):
            raise TypeError(f"elementwise must be True, False or None, got {self.elementwise!r}")
        allowed = signature_defaults(cls)
        unknown = sorted(k for k, _ in self.options if k not in allowed)
        if unknown:
            raise TypeError(f"{cls.__name__} got unknown parameter(s) {', '.join(unknown)}; "
                            f"allowed: {', '.join(allowed)}")
        object.__setattr__(self, "name", "torch:" + class_path(cls))
        object.__setattr__(self, "has_lr", "lr" in allowed)
        known = cls.__name__ in ELEMENTWISE and getattr(torch.optim, cls.__name__, None) is cls
        object.__setattr__(self, "is_elementwise", known if self.elementwise is None else self.elementwise)
        object.__setattr__(self, "bindings", weakref.WeakKeyDictionary())

    def describe(self) -> dict:
        out = {"name": self.name}
        if self.has_lr:
            out["lr"] = super().describe()["lr"]
        out.update(dict(self.options))
        if self.elementwise is not None:
            out["elementwise"] = self.elementwise
        return out

    def __getstate__(self):
        return {k: v for k, v in vars(self).items() if k != "bindings"}

    def __setstate__(self, state):
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "bindings", weakref.WeakKeyDictionary())

    def update(self, state: State, g: np.ndarray) -> None:
        torch = require_torch()
        binding = self.bindings.get(state)
        if binding is None or binding.x is not state.x:
            binding = Binding(self, state, torch)
            self.bindings[state] = binding
        state.t += 1
        np.copyto(state._grad, g)
        if self.has_lr:
            lr = self.lr(state.t)
            for group in binding.opt.param_groups:
                group["lr"] = lr
        with torch.no_grad(), float64_default(torch):
            binding.opt.step()
        binding.sync(state, torch)


def from_torch(optimizer_class, *, elementwise: bool | None = None, **hyperparameters) -> TorchOptimizer:
    """A ratecheck optimizer that runs ``optimizer_class`` (a ``torch.optim.Optimizer`` subclass).

    ``hyperparameters`` are the class's keyword arguments (``lr`` may be a ratecheck schedule or a
    callable ``t -> lr``; a missing ``lr`` takes the class's default). ``elementwise`` says whether all
    its statistics are per coordinate (default: known for ``torch.optim``'s classes, else False: one
    parameter per replicate). E.g. ``from_torch(torch.optim.NAdam, lr=1e-2, momentum_decay=4e-3)``.
    """
    if isinstance(optimizer_class, str):
        optimizer_class = resolve_class(optimizer_class)
    require_torch()
    if not isinstance(optimizer_class, type):
        raise TypeError(f"from_torch needs an optimizer class (not an instance), got {optimizer_class!r}")
    params = dict(hyperparameters)
    if "lr" in params:
        lr = params.pop("lr")
    else:
        lr = signature_defaults(optimizer_class).get("lr", 1e-3)
        lr = 1e-3 if lr is None else lr
    options = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return TorchOptimizer(lr=lr, optimizer_class=optimizer_class, options=options, elementwise=elementwise)
