"""Local worker processes for simulations and sweeps.

One pool of worker processes per Python process is kept and reused (starting a worker and
importing NumPy costs a few tenths of a second), created on first use with the ``forkserver``
start method where the platform has it (else ``spawn``): never ``fork``, which is unsafe once
threads exist. A worker never starts a pool of its own: inside a worker ``workers="auto"``
means 1, so a sweep run on all cores does not multiply its processes by its simulations'.

Parallelism never changes a result: a simulation's replicate blocks each have their own random
streams, and a sweep's cells are independent simulations.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from . import _validate as V

__all__ = ["cpu_count", "resolve_workers", "executor", "shutdown", "in_worker"]

_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0
_IN_WORKER = False


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def in_worker() -> bool:
    """Whether this process is one of ratecheck's pool workers."""
    return _IN_WORKER


def resolve_workers(workers, limit: int | None = None) -> int:
    """``workers`` (a positive int or ``"auto"``, all cores) as a count, at most ``limit``."""
    if isinstance(workers, str):
        if workers != "auto":
            raise ValueError(f"workers must be a positive integer or 'auto', got {workers!r}")
        n = 1 if _IN_WORKER else cpu_count()
    else:
        n = V.integer("workers", workers, low=1)
    if limit is not None:
        n = min(n, max(1, limit))
    return n


def _mark_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["ratecheck.simulate", "ratecheck.sweep"])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - not Linux


def executor(n: int) -> ProcessPoolExecutor:
    """The shared pool, with at least ``n`` workers (recreated if smaller or broken)."""
    global _POOL, _POOL_SIZE
    broken = _POOL is not None and getattr(_POOL, "_broken", False)
    if _POOL is None or _POOL_SIZE < n or broken:
        shutdown()
        _POOL = ProcessPoolExecutor(max_workers=n, mp_context=_context(), initializer=_mark_worker)
        _POOL_SIZE = n
    return _POOL


def shutdown() -> None:
    """Stop the shared pool's workers (it is started again when needed)."""
    global _POOL, _POOL_SIZE
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
    _POOL, _POOL_SIZE = None, 0


atexit.register(shutdown)
