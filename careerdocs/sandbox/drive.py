"""Drive v3 for the sandbox: files, uploads, permissions, changes, shared drives, about, batch.

The pieces live in ``drive_*`` modules, one concept each; this module only wires their routes.
Route order matters where paths overlap (``files/generateIds`` before ``files/{id}``), and each
module registers its own fixed paths first.
"""

from __future__ import annotations

from . import (
    drive_batch,
    drive_changes,
    drive_files,
    drive_permissions,
    drive_shared,
    drive_uploads,
)
from .core import Router

MODULES = (drive_files, drive_uploads, drive_permissions, drive_changes, drive_shared, drive_batch)


def register(router: Router) -> None:
    for module in MODULES:
        module.register(router)
