"""Storage backends behind one interface (see :mod:`careerdocs.workspace.base`)."""

from __future__ import annotations

from ..config import BACKEND_GOOGLE, Settings
from .base import Workspace


def open_workspace(settings: Settings) -> Workspace:
    """The backend the settings select: ``local`` files, or ``google`` (Drive, Docs, Sheets,
    Gmail), pointed at Google or at the configured endpoint (a sandbox)."""
    if settings.backend_name == BACKEND_GOOGLE:
        from .google import open_google

        return open_google(settings)
    from .local import LocalWorkspace

    return LocalWorkspace(settings.local.output_dir, settings.local.workbook)
