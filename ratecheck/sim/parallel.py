"""Local worker processes for simulations and sweeps.

One pool of worker processes per Python process is kept and reused (starting a worker and
importing NumPy costs a few tenths of a second), created on first use with the ``forkserver``
start method where the platform has it (else ``spawn``): never ``fork``, which is unsafe once
threads exist. A worker never starts a pool of its own: inside a worker ``workers="auto"``
means 1, so a sweep run on all cores does not multiply its processes by its simulations'.

Parallelism never changes a result: a simulation's replicate blocks each have their own random
streams, and a sweep's cells are independent simulations.

Interruptions: workers ignore SIGINT (a Ctrl-C reaches the whole process group; the main process
handles it and stops the workers with :func:`shutdown` ``(kill=True)``), and each worker watches
the main process (a pidfd on Linux, else a poll every half second) and exits at once when it is
gone, so a main process killed with SIGKILL leaves no worker running and writing behind it. (The
kernel's parent-death signal would not do: a worker's parent is the fork server, which itself
waits for its children.)
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import select
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from .. import validate as V

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


def threads_per_part(workers, n_parts: int) -> int:
    """Threads each of ``n_parts`` processes may use: the cores that ``workers="auto"`` leaves over
    (1 for an explicit count of workers, and inside a worker process)."""
    if workers != "auto" or _IN_WORKER:
        return 1
    return max(1, cpu_count() // n_parts)


def _mark_worker(main_pid: int | None = None) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if main_pid is not None:
        threading.Thread(target=_exit_with, args=(main_pid,), name="ratecheck-orphan-watch", daemon=True).start()


def _exit_with(pid: int) -> None:
    """Exit this worker as soon as process ``pid`` (the main process) has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # pragma: no cover - no pidfd: poll
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
    select.select([fd], [], [])
    os._exit(1)


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["ratecheck.sim.simulate", "ratecheck.catalog.run"])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - not Linux


def _start_helpers() -> None:
    """Start the fork server (and resource tracker) with SIGINT ignored, which they inherit: a Ctrl-C
    that reaches the process group while the fork server is still importing would otherwise print
    its traceback (it ignores SIGINT only once its imports are done)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not Linux
        return
    from multiprocessing import forkserver
    _context()          # sets the preload list
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # pragma: no cover - not the main thread
        forkserver.ensure_running()
        return
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def executor(n: int) -> ProcessPoolExecutor:
    """The shared pool, with at least ``n`` workers (recreated if smaller or broken)."""
    global _POOL, _POOL_SIZE
    broken = _POOL is not None and getattr(_POOL, "_broken", False)
    if _POOL is None or _POOL_SIZE < n or broken:
        shutdown()
        # Ctrl-C / SIGTERM wait until every worker is up: a worker killed while it is still being
        # born (unpickling its start-up data) prints a traceback, which an interrupted run must not
        with _signals_deferred():
            _start_helpers()
            pool = ProcessPoolExecutor(max_workers=n, mp_context=_context(), initializer=_mark_worker,
                                       initargs=(os.getpid(),))
            _POOL, _POOL_SIZE = pool, n      # before a deferred signal can fire: shutdown() must find it
            seen: set = set()
            for _ in range(100):
                seen |= set(pool.map(_ready, range(n)))
                if len(seen) >= n:
                    break
    return _POOL


def _ready(_) -> int:
    time.sleep(0.01)
    return os.getpid()


class _signals_deferred:
    """Hold SIGINT and SIGTERM for the duration: they are recorded, then raised again on exit.

    (Masking the main thread would not do: Python runs a handler as soon as any thread, e.g. one of
    the BLAS library's, has received the signal.)
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.caught, self.old = [], {}
        try:
            for sig in self.SIGNALS:
                self.old[sig] = signal.signal(sig, lambda signum, frame: self.caught.append(signum))
        except ValueError:  # pragma: no cover - not the main thread: nothing to defer
            pass

    def __exit__(self, *exc):
        for sig, handler in self.old.items():
            signal.signal(sig, handler)
        if self.caught:
            signal.raise_signal(self.caught[0])
        return False


def shutdown(kill: bool = False) -> None:
    """Stop the shared pool's workers (it is started again when needed).

    ``kill=True`` terminates them at once instead of letting running tasks finish (on Ctrl-C or
    SIGTERM: their snapshots are written atomically, so nothing half-written is left).
    """
    global _POOL, _POOL_SIZE
    pool = _POOL
    _POOL, _POOL_SIZE = None, 0
    if pool is None:
        return
    if kill:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            try:
                proc.kill()
            except (OSError, AttributeError):  # pragma: no cover - already gone
                pass
    try:
        pool.shutdown(wait=True, cancel_futures=True)
    except Exception:  # pragma: no cover - a killed pool may report itself broken
        if not kill:
            raise


atexit.register(shutdown)
