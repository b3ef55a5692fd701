"""Output directories: one writer at a time, and paths that are refused before anything runs.

A run that writes into a directory holds an advisory lock on ``DIR/.ratecheck.lock``
(:func:`fcntl.flock`, released by the kernel when the process ends, however it ends), so two
``ratecheck`` processes never write into one directory at once: the second one stops with
:class:`BusyError` naming the process that holds the lock, or, asked to wait, waits for it. The
lock is re-entrant within a process (a sweep inside a run that already holds it takes it again).
The lock file is empty and never deleted (deleting a lock file lets two processes lock two different
files) nor written (taking the lock changes nothing on disk once the file exists); the process that
holds it is found in ``/proc/locks``.

:func:`check_path` refuses an output path that cannot be a directory of results: an existing
file, a path under a file, a symbolic link to nothing, or a folder inside the catalogue
(``experiments/``, ``problems/``), where it would break ``ratecheck list``.
"""
from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from ..sim.result import OutputError, make_directory
from .experiment import catalog_root as default_catalog_root

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None

__all__ = ["LOCK_NAME", "BusyError", "lock", "check_path"]

LOCK_NAME = ".ratecheck.lock"
_HELD: dict = {}          # real path of a locked directory -> [file descriptor, depth]


class BusyError(RuntimeError):
    """Another process holds the lock of an output directory."""


def _holder(fd: int) -> str:
    """Who holds the lock on ``fd``'s file, from ``/proc/locks`` (Linux), else "another process"."""
    try:
        inode = os.fstat(fd).st_ino
        with open("/proc/locks") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(inode):
                    return f"process {parts[4]}"
    except (OSError, ValueError):
        pass
    return "another process"


@contextlib.contextmanager
def lock(directory, *, wait: bool = False, on_wait=None):
    """Hold the lock of output directory ``directory`` (created if needed) for the ``with`` block.

    Raises :class:`BusyError` if another process holds it, unless ``wait``: then ``on_wait(message)``
    is called once and the call blocks until the lock is free. An ``OSError`` creating the directory
    or the lock file is an :class:`~ratecheck.sim.result.OutputError` naming the path.
    """
    directory = make_directory(directory)
    key = os.path.realpath(directory)
    held = _HELD.get(key)
    if held is not None:
        held[1] += 1
        try:
            yield directory
        finally:
            held[1] -= 1
        return
    path = directory / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise OutputError(err.errno, err.strerror or str(err), str(path)) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise OutputError(err.errno, err.strerror or str(err), str(path)) from None
                who = _holder(fd)
                if not wait:
                    raise BusyError(f"{directory} is being written by {who} (lock {path}); wait for it to finish, "
                                    f"give another --out, or pass --wait to queue behind it") from None
                if on_wait is not None:
                    on_wait(f"{directory} is being written by {who}; waiting for it to finish (--wait)")
                fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD[key] = [fd, 1]
        try:
            yield directory
        finally:
            del _HELD[key]
    finally:
        os.close(fd)          # releases the lock


def check_path(path, *, option: str = "--out", catalog_root=None) -> Path:
    """``path`` if it can be (or become) an output directory; ``ValueError`` saying why not otherwise."""
    path = Path(path)
    for p in (path, *path.parents):
        if p.is_symlink() and not p.exists():
            raise ValueError(f"{option} {str(path)!r}: {str(p)!r} is a symbolic link to {os.readlink(p)!r}, which "
                             f"does not exist; create its target or give another {option}")
        if p.exists():
            if not p.is_dir():
                raise ValueError(f"{option} {str(path)!r}: {str(p)!r} exists and is not a directory")
            break
    if catalog_root is None:
        catalog_root = default_catalog_root()
    real = Path(os.path.realpath(path))
    for folder in ("experiments", "problems"):
        inside = Path(os.path.realpath(Path(catalog_root) / folder))
        if real == inside or inside in real.parents:
            raise ValueError(f"{option} {str(path)!r} is inside the catalogue folder {str(inside)!r}, which holds "
                             f"only .toml files; give a directory elsewhere (the default is out/NAME)")
    return path
