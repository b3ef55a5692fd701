"""Old module paths (before the package was arranged by pipeline stage), kept for one release.

``import ratecheck.sweep`` or ``from ratecheck.result import SimulationResult`` still work: each
old name is a stand-in module in ``sys.modules`` that forwards attribute access to the new module
with a :class:`DeprecationWarning` naming it. ``ratecheck.fit_rate`` stays public (it is
:mod:`ratecheck.rates`, without a warning).
"""
from __future__ import annotations

import importlib
import sys
import types
import warnings

#: old module (under ratecheck.) -> new module
MOVED = {
    "simulate": "sim.simulate", "_engine": "sim.engine", "_kernels": "sim.kernels", "_normal": "sim.normal",
    "parallel": "sim.parallel", "snapshot": "sim.snapshot", "result": "sim.result",
    "theorems": "theory.theorems", "hypotheses": "theory.hypotheses", "ahn_cutkosky": "theory.ahn_cutkosky",
    "holm": "claims.holm", "sweep": "catalog.sweep", "reproduce": "catalog.reproduce", "outdir": "catalog.outdir",
    "figures": "report.figures", "_validate": "validate", "_registry": "registry",
}
#: old modules that are public under the same name
SAME = {"fit_rate": "rates"}


class MovedModule(types.ModuleType):
    """Stands for a module that moved: attribute access imports the new one and warns."""

    def __init__(self, old: str, new: str):
        super().__init__(old, f"Moved to {new} (this name works for one release).")
        self.__new_name = new

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        warnings.warn(f"{self.__name__} moved to {self.__new_name}; import it from there "
                      f"(the old path will be removed in the next release)", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(self.__new_name), attr)

    def __dir__(self):
        return dir(importlib.import_module(self.__new_name))


def install(package: str) -> None:
    for old, new in MOVED.items():
        sys.modules.setdefault(f"{package}.{old}", MovedModule(f"{package}.{old}", f"{package}.{new}"))
    for old, new in SAME.items():
        sys.modules.setdefault(f"{package}.{old}", importlib.import_module(f"{package}.{new}"))
