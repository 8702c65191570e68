"""The run lock: one writing run (``provision``, ``rollup``) at a time per configuration.

Two runs over the same folders at once (cron and a PBP by hand) would both see a person as
missing and both make their documents. Every writing command therefore holds the same lock
file, ``rollup.lock_file`` of the configuration, for its whole run; a second run is turned away
at once. The lock is an OS file lock taken through :mod:`filelock` (``flock`` on POSIX,
``msvcrt`` on Windows), so the operating system drops it when the holder dies: a crashed run
never leaves a stale lock behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import LockBusy, WorkspaceError


@contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold ``path`` locked for the duration; raise LockBusy at once if another run holds it.

    ``what`` names this run in the message ("provision", "rollup"). Each call opens its own
    descriptor, so a second holder in the same process is turned away too."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot open the lock file {path}: {exc}") from None
    lock = FileLock(path, timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(
            f"another careerdocs run is running (lock {path}); skipping this {what}"
        ) from None
    except OSError as exc:
        raise WorkspaceError(f"cannot open the lock file {path}: {exc}") from None
    try:
        yield
    finally:
        lock.release()
