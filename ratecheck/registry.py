"""Name -> class registries shared by optimizers, problem families, noise kinds and schedules."""
from __future__ import annotations

import importlib
from dataclasses import fields

from . import validate as V


def check_parameters(kind: str, name: str, cls, given) -> list[str]:
    """Refuse parameters ``cls`` (a dataclass) does not have; return the allowed names."""
    allowed = [f.name for f in fields(cls)]
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise TypeError(f"{kind} {name!r} got unknown parameter(s) {', '.join(unknown)}; "
                        f"allowed: {', '.join(allowed)}")
    return allowed


class Registry:
    """Classes registered by their ``name``; ``make(name, **params)`` validates and builds one."""

    def __init__(self, kind: str, package: str, modules: dict[str, str]):
        self.kind = kind
        self.classes: dict[str, type] = {}
        for module, cls_name in modules.items():
            cls = getattr(importlib.import_module(f"{package}.{module}"), cls_name)
            self.classes[cls.name] = cls

    def names(self) -> list[str]:
        return sorted(self.classes)

    def values(self):
        """The registered classes (built-ins, which may take fast paths)."""
        return self.classes.values()

    def get(self, name: str) -> type:
        if not isinstance(name, str) or name not in self.classes:
            raise V.unknown_name(self.kind, name, self.classes)
        return self.classes[name]

    def make(self, name: str, **params):
        cls = self.get(name)
        check_parameters(self.kind, name, cls, params)
        return cls(**params)

    def from_config(self, config: dict):
        if not isinstance(config, dict):
            raise TypeError(f"{self.kind} config must be a table, got {config!r}")
        params = dict(config)
        name = params.pop("name", None)
        if name is None:
            raise ValueError(f"{self.kind} config needs a 'name', one of {', '.join(self.names())}")
        return self.make(name, **params)

    def describe(self, name: str) -> str:
        """One line: the first docstring line and the reference."""
        cls = self.get(name)
        first = (cls.__doc__ or "").strip().splitlines()[0]
        return f"{first} [{cls.reference}]" if getattr(cls, "reference", "") else first
