"""Files others can trust: JSON with its own checksum, atomic writes, and the errors they raise.

Every JSON document ratecheck stores (results, snapshots, the experiment and report JSON) is written
with :func:`json_bytes` (which adds the SHA-256 of its canonical content under
:data:`JSON_CHECKSUM_KEY`) and read with :func:`read_json`, which raises :class:`DamagedError` naming a
file whose content no longer matches. :func:`atomic_write_bytes` writes to a temporary name and
renames it into place, with the permissions the umask gives a new file (0644 under umask 022), so a
killed process leaves the previous file or none, never half of one; an operating-system error is an
:class:`OutputError` naming the path.
"""
from __future__ import annotations

import datetime
import errno
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy

from .. import __version__

__all__ = ["atomic_write_bytes", "versions", "git_state", "utc_now", "json_bytes", "jsonable", "make_directory",
           "read_json", "read_json_checked", "DamagedError", "OutputError", "JSON_CHECKSUM_KEY", "NO_SPACE"]

#: the key of a stored JSON document that holds the SHA-256 of the rest of it (canonical form)
JSON_CHECKSUM_KEY = "json_sha256"
#: errno values of a full disk or an exhausted quota
NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


class DamagedError(ValueError):
    """A stored file that fails its checksum (modified or incomplete); ``path`` names it."""

    def __init__(self, message: str, path=None):
        super().__init__(message)
        self.path = None if path is None else Path(path)


class OutputError(OSError):
    """An operating-system error while writing an output file; its message names the path."""

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {self.strerror}"


def _canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True).encode()


def json_bytes(doc: dict, *, indent=2, default=None) -> bytes:
    """``doc`` as stored JSON text, with ``json_sha256``: the SHA-256 of its canonical form (sorted keys,
    no spaces) without that key, which :func:`read_json` recomputes."""
    doc = json.loads(json.dumps(jsonable(doc), allow_nan=True, default=default))   # tuples, numpy, Paths
    doc.pop(JSON_CHECKSUM_KEY, None)
    doc[JSON_CHECKSUM_KEY] = hashlib.sha256(_canonical(doc)).hexdigest()
    return (json.dumps(doc, indent=indent, allow_nan=True, ensure_ascii=False) + "\n").encode()


def read_json(path, *, required: bool = True) -> dict:
    """A stored JSON document, its checksum verified.

    Raises :class:`DamagedError` (naming the file) when it is not valid JSON, is not a table, or does
    not match its ``json_sha256``; with ``required=False`` a document without the key (written by an
    older ratecheck) is returned unchecked. The key is removed from the returned dict.
    """
    doc, checked = read_json_checked(path)
    if required and not checked:
        raise DamagedError(f"{path} is damaged: it has no checksum ({JSON_CHECKSUM_KEY})", path)
    return doc


def read_json_checked(path, verify: bool = True) -> tuple[dict, bool]:
    """``(document, whether it carried a checksum)``; a checksum that does not match raises (if ``verify``)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise DamagedError(f"{path} is damaged: not readable JSON ({' '.join(str(err).split())[:80]})",
                           path) from None
    if not isinstance(doc, dict):
        raise DamagedError(f"{path} is damaged: not a JSON table", path)
    saved = doc.pop(JSON_CHECKSUM_KEY, None)
    if saved is None or not verify:
        return doc, saved is not None
    if saved != hashlib.sha256(_canonical(doc)).hexdigest():
        raise DamagedError(f"{path} is damaged: its content does not match its checksum (modified or "
                           f"incomplete)", path)
    return doc, True


def _umask() -> int:
    """This process's umask, read without changing it where the system allows (threads may be writing)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - not Linux
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def versions() -> dict:
    """Versions of the packages that determine the numbers (numba only when it was imported)."""
    out = {"ratecheck": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
           "python": platform.python_version(), "platform": platform.platform()}
    numba = sys.modules.get("numba")
    if numba is not None:
        out["numba"] = getattr(numba, "__version__", "?")
    return out


@functools.lru_cache(maxsize=1)
def git_state() -> dict | None:
    """``{"commit": sha, "dirty": bool}`` of the ratecheck source tree, or ``None`` outside a git checkout."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        run = functools.partial(subprocess.run, cwd=root, capture_output=True, text=True, timeout=10,
                                check=True)
        commit = run(["git", "rev-parse", "HEAD"]).stdout.strip()
        dirty = bool(run(["git", "status", "--porcelain", "--untracked-files=no"]).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty}


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename.

    The file is flushed to disk before the rename and the directory after it, so the new name
    never points at missing bytes, even after a power cut.
    The file gets the permissions of a new file under the umask (the temporary file's 0600 would
    survive the rename otherwise). The temporary name carries this process's id (``.NAME.PID.*.tmp``),
    so a cleaner can tell a live writer's temporaries from a dead one's. An ``OSError`` becomes an
    :class:`OutputError` naming ``path``.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    except OSError as err:
        raise OutputError(err.errno, err.strerror or str(err), str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(err, OSError) and not isinstance(err, OutputError):
            raise OutputError(err.errno, err.strerror or str(err), str(path)) from None
        raise
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory descriptors
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)



def make_directory(directory) -> Path:
    """``mkdir -p`` for an output directory; an ``OSError`` becomes an :class:`OutputError` naming it."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(errno.EEXIST, "exists and is not a directory (or is a link to nothing)",
                          str(directory)) from None
    except OSError as err:
        raise OutputError(err.errno, err.strerror or str(err), str(directory)) from None
    return directory


def jsonable(obj):
    """``obj`` with tuples as lists, NumPy arrays and scalars as Python values, keys as strings (for JSON)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
