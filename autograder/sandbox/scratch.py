"""The grader's temporary directories, and the sweep of those a killed grader left.

Every directory comes with a lock file beside it (``/tmp/ag-work-x1y2`` and
``/tmp/ag-work-x1y2.lock``) that its grader holds locked while the directory
lives. The kernel drops the lock when that process dies, however it dies, so
a lock that can be taken marks a directory nobody owns: ``sweep_stale``
removes those. Locks work across PID namespaces, so graders in containers that
share /tmp never sweep each other's directories.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path

LOCK_SUFFIX = ".lock"
PREFIXES = ("ag-work-", "ag-runtime-", "ag-batch-")
MIN_AGE_S = 60.0  # a lock file younger than this may still be on its way to being locked


class ScratchDir:
    """A private (0700) temporary directory named ``<prefix><random>``, owned
    by this process until ``remove()`` or until the process dies."""

    def __init__(self, prefix: str):
        if prefix not in PREFIXES:
            raise ValueError(f"scratch prefix must be one of {PREFIXES}")
        self._lock_fd, self._lock_path = tempfile.mkstemp(prefix=prefix, suffix=LOCK_SUFFIX)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.path = self._lock_path[:-len(LOCK_SUFFIX)]
        os.mkdir(self.path, 0o700)

    def remove(self) -> None:
        """Delete the directory, then the lock file (idempotent)."""
        if self._lock_fd is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        _unlink(self._lock_path)
        os.close(self._lock_fd)
        self._lock_fd = None


def sweep_stale(tmp: str | os.PathLike | None = None, min_age_s: float = MIN_AGE_S) -> list[str]:
    """Remove the scratch directories in ``tmp`` (default: the system's) whose
    owner died; the removed paths. Lock files younger than ``min_age_s`` and
    directories still locked are left alone."""
    removed = []
    now = time.time()
    for lock in sorted(Path(tmp or tempfile.gettempdir()).glob(f"ag-*{LOCK_SUFFIX}")):
        if not lock.name.startswith(PREFIXES) or lock.is_symlink():
            continue
        try:
            if now - lock.stat().st_mtime < min_age_s:
                continue
            fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its owner is alive
            os.close(fd)
            continue
        directory = str(lock)[:-len(LOCK_SUFFIX)]
        if os.path.isdir(directory) and not os.path.islink(directory):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
        _unlink(lock)
        os.close(fd)
    return removed


@lru_cache(maxsize=1)
def sweep_stale_once() -> int:
    """sweep_stale() the first time a process asks; how many it removed."""
    return len(sweep_stale())


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
