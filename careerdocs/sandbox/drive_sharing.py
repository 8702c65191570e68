"""Who may share a Drive item: ``writersCanShare`` in My Drive, member roles in shared drives.

Drive's sharing guide ("Scenarios for sharing Drive resources",
https://developers.google.com/workspace/drive/api/guides/manage-sharing) sets the rules modelled:

- A file or folder in My Drive: ``writer`` or ``owner``; when the item's ``writersCanShare`` is
  false, only its ``owner``.
- A file in a shared drive: ``writer``, ``fileOrganizer`` or ``organizer``.
- A folder in a shared drive: ``organizer``; also ``fileOrganizer`` when the drive's
  ``restrictions.sharingFoldersRequiresOrganizerPermission`` is false ("If true, only users with
  the organizer role can share folders. If false, users with either the organizer role or the
  file organizer role can share folders", Drive v3 discovery, Drive.restrictions).
- Shared-drive membership itself: ``organizer`` only (drive_permissions).

``writersCanShare`` is "Whether users with only writer permission can modify the file's
permissions. Not populated for items in shared drives." (Drive v3 discovery, File): the sandbox
neither stores nor returns it for shared-drive items. Who may change it is not in the API
reference; Drive's help has the owner decide whether editors can share, so the sandbox lets only
the owner change it (careerdocs sets it as the owner, under delegation, so it is safe either
way). A refused share is 403 ``insufficientFilePermissions`` (the reason Drive's error guide,
https://developers.google.com/workspace/drive/api/guides/handle-errors, gives for a user who
lacks permission on a file); the exact text Google sends for these cases is unconfirmed.

Google's default for ``sharingFoldersRequiresOrganizerPermission`` on a new drive is not
documented in the API reference; the sandbox defaults to true, the stricter reading, so a
caller that checks the drive's restrictions works either way.
"""

from __future__ import annotations

from typing import Any

from . import core
from .core import File, SharedDrive, Store

SHARING_FOLDERS_REQUIRES_ORGANIZER = "sharingFoldersRequiresOrganizerPermission"
# Restrictions drives.update accepts in the sandbox, with their defaults for a new drive.
RESTRICTION_DEFAULTS: dict[str, bool] = {
    "adminManagedRestrictions": False,
    "copyRequiresWriterPermission": False,
    "domainUsersOnly": False,
    "driveMembersOnly": False,
    SHARING_FOLDERS_REQUIRES_ORGANIZER: True,
}
ORGANIZER, FILE_ORGANIZER, WRITER = "organizer", "fileOrganizer", "writer"


def writers_can_share(f: File) -> bool:
    return getattr(f, "writers_can_share", True)


def restrictions(drive: SharedDrive) -> dict[str, bool]:
    """The drive's restrictions, defaults filled in (drives pickled before them have none)."""
    return {**RESTRICTION_DEFAULTS, **(getattr(drive, "restrictions", None) or {})}


def _rank(role: str | None) -> int:
    return core.ROLE_RANK[role] if role else 0


def may_share(store: Store, user: str, f: File) -> bool:
    """Whether ``user`` may create, change or delete permissions on ``f``."""
    role = store.role_of(user, f)
    if f.drive_id is None:
        if role == "owner":
            return True
        return _rank(role) >= core.ROLE_RANK[WRITER] and writers_can_share(f)
    if f.mime_type != core.FOLDER:
        return _rank(role) >= core.ROLE_RANK[WRITER]
    if _rank(role) >= core.ROLE_RANK[ORGANIZER]:
        return True
    drive = store.drives.get(f.drive_id)
    allows_content_managers = drive is not None and not restrictions(drive).get(
        SHARING_FOLDERS_REQUIRES_ORGANIZER, True
    )
    return role == FILE_ORGANIZER and allows_content_managers


def may_read_permissions(store: Store, user: str, f: File) -> bool:
    """Writers and up see an item's permissions (permissions.list), whoever may share it."""
    return _rank(store.role_of(user, f)) >= core.ROLE_RANK[WRITER]


def may_change_writers_can_share(store: Store, user: str, f: File) -> bool:
    return f.drive_id is None and store.role_of(user, f) == "owner"


def drive_capabilities(drive: SharedDrive, viewer: str) -> dict[str, Any]:
    """Drive.capabilities as a member sees them. ``canShare`` ("Whether the current user can
    share files or folders in this shared drive") is true from writer up, who may share files;
    only organizers change membership and restrictions."""
    role = drive.members.get(viewer.lower())
    rank = _rank(role)
    organizer = rank >= core.ROLE_RANK[ORGANIZER]
    can_write = rank >= core.ROLE_RANK[WRITER]
    return {
        "canAddChildren": can_write,
        "canComment": rank >= core.ROLE_RANK["commenter"],
        "canCopy": rank >= 1,
        "canDeleteDrive": organizer,
        "canDownload": rank >= 1,
        "canEdit": can_write,
        "canListChildren": rank >= 1,
        "canManageMembers": organizer,
        "canReadRevisions": can_write,
        "canRename": can_write,
        "canRenameDrive": organizer,
        "canShare": can_write,
        # Content managers (fileOrganizer) and managers may move items to the trash;
        # contributors may not ("canTrashChildren: Whether the current user can trash children
        # from folders in this shared drive", Drive v3 discovery, Drive.capabilities).
        "canTrashChildren": rank >= core.ROLE_RANK[FILE_ORGANIZER],
        "canChangeSharingFoldersRequiresOrganizerPermissionRestriction": organizer,
        "canChangeDomainUsersOnlyRestriction": organizer,
        "canChangeDriveMembersOnlyRestriction": organizer,
        "canChangeCopyRequiresWriterPermissionRestriction": organizer,
    }
