"""A run lock, so two cron-started rollups never overlap.

An OS file lock (``flock``) rather than a PID file: the kernel drops it when the holder dies, so a
crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import LockBusy, WorkspaceError


@contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold ``path`` locked for the duration; raise LockBusy at once if another run holds it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WorkspaceError(f"cannot open the lock file {path}: {exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(f"another {what} is running (lock {path}); skipping this one") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
