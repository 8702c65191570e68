"""Checks a writing run makes before its first write: every place it will write is writable.

Nothing may be done that the audit log cannot record, and a run that could make documents but
not save its marker, state or lock would leave work the next run cannot see. So before the
first write, the audit log, the run lock, the rollup state and (on the local backend) the output
folder and central workbook must each be writable where it is, or creatable where it is not.
Any problem is a :class:`ConfigError` (exit 2, nothing written) naming the config key.

The checks ask the operating system (``os.access``) rather than writing a probe file, so they
write nothing themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import BACKEND_LOCAL, Settings
from .errors import ConfigError, Problem


def require_writable(settings: Settings) -> None:
    """Raise ConfigError listing every place the run would write but cannot."""
    problems = [
        Problem(key, f"{path} {problem}")
        for key, path, is_folder in _places(settings)
        if (problem := _problem(path, is_folder=is_folder)) is not None
    ]
    if problems:
        raise ConfigError("cannot write where the config says; nothing was written", problems)


def _places(settings: Settings) -> list[tuple[str, Path, bool]]:
    """(config key, path, is a folder) of everything a writing run writes to."""
    places = [
        ("audit_log", settings.audit_log, False),
        ("rollup.lock_file", settings.rollup.lock_file, False),
        ("rollup.state_file", settings.rollup.state_file, False),
    ]
    if settings.backend_name == BACKEND_LOCAL:
        places += [
            ("local.output_dir", settings.local.output_dir, True),
            ("local.central_workbook", settings.local.workbook, False),
        ]
    return places


def _problem(path: Path, *, is_folder: bool) -> str | None:
    """Why ``path`` cannot be written (or created), or None if it can."""
    path = path.expanduser()
    if path.exists():
        if is_folder and not path.is_dir():
            return "is not a folder"
        if not is_folder and path.is_dir():
            return "is a folder, not a file"
        mode = os.W_OK | (os.X_OK if is_folder else 0)
        return None if os.access(path, mode) else "is not writable"
    parent = _nearest_existing(path)
    if not parent.is_dir():
        return f"cannot be created: {parent} is not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot be created: {parent} is not writable"
    return None


def _nearest_existing(path: Path) -> Path:
    """The closest ancestor of ``path`` that exists (the filesystem root at worst)."""
    for parent in path.absolute().parents:
        if parent.exists():
            return parent
    return Path(path.absolute().anchor)
