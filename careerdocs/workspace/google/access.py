"""Who may open a person's folder: the shares careerdocs grants, recorded on the folder so they
can be revoked when the roster changes, and what the running account may do in a shared drive.

A grant is recorded in the folder's appProperties *before* the permission is created, one key per
grantee (``careerdocs_grant_<hash of the email>`` = ``<role>:<email>``): a crash between the two
leaves a record without a share, which counts for nothing (a grant is only reported while the
folder really has a permission for that address), never a share without a record, which
careerdocs could then never revoke. Only recorded grants are ever revoked; a share someone made
by hand has no record and is never touched.

Drive's limits on appProperties (https://developers.google.com/workspace/drive/api/guides/
properties): 124 bytes of UTF-8 per key plus value, and 30 private properties per app on a file.
The key is fixed-size (a hash), the value is cut to fit; the email in it is for people reading
the record, the hash is what matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigError, GoogleAPIError, Problem, WorkspaceError
from ..base import Artifact
from .context import GoogleContext

GRANT_PREFIX = "careerdocs_grant_"
GRANT_HASH_CHARS = 16
MAX_PROPERTY_BYTES = 124
MAX_APP_PROPERTIES = 30
PERMISSION_FIELDS = "nextPageToken,permissions(id,type,emailAddress,role,permissionDetails)"
PERMISSIONS_PAGE = 100  # permissions.list's largest page
SHARE_TYPES = ("user", "group")
ROLE_RANK = {
    "reader": 1,
    "commenter": 2,
    "writer": 3,
    "fileOrganizer": 4,
    "organizer": 5,
    "owner": 6,
}
DRIVE_FIELDS = "id,name,capabilities,restrictions"
SHARED_DRIVE_KEY = "google.shared_drive_id"


def grant_key(grantee: str) -> str:
    """The appProperty key recording careerdocs' grant to ``grantee`` (33 bytes)."""
    digest = hashlib.sha256(grantee.strip().lower().encode("utf-8")).hexdigest()
    return GRANT_PREFIX + digest[:GRANT_HASH_CHARS]


def grant_record(grantee: str, role: str) -> dict[str, str]:
    """The appProperty recording a grant, its value cut to Drive's 124 bytes per property."""
    key = grant_key(grantee)
    room = MAX_PROPERTY_BYTES - len(key.encode("utf-8"))
    value = f"{role}:{grantee.strip().lower()}".encode()[:room].decode("utf-8", "ignore")
    return {key: value}


def is_grant_key(key: str) -> bool:
    return key.startswith(GRANT_PREFIX)


def _direct(permission: Mapping[str, Any]) -> bool:
    """Not inherited from a parent folder or the shared drive (those cannot be deleted here)."""
    details = permission.get("permissionDetails") or []
    return not details or any(not d.get("inherited") for d in details)


def held_shares(permissions: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """(email, role) of every user or group that can open the file, direct or inherited."""
    best: dict[str, str] = {}
    for p in permissions:
        email = (p.get("emailAddress") or "").lower()
        role = p.get("role", "")
        better = ROLE_RANK.get(role, 0) > ROLE_RANK.get(best.get(email, ""), 0)
        if p.get("type") in SHARE_TYPES and email and better:
            best[email] = role
    return tuple(sorted(best.items()))


def recorded_grants(
    props: Mapping[str, str], permissions: Iterable[Mapping[str, Any]]
) -> tuple[tuple[str, str], ...]:
    """(email, role granted) of each recorded grant whose permission the file still has."""
    grants: dict[str, str] = {}
    for p in permissions:
        email = (p.get("emailAddress") or "").lower()
        if p.get("type") not in SHARE_TYPES or not email or not _direct(p):
            continue
        record = props.get(grant_key(email))
        if record:
            grants[email] = record.partition(":")[0] or p.get("role", "")
    return tuple(sorted(grants.items()))


@dataclass(frozen=True)
class DriveAccess:
    """What the running account may do in the shared drive, from ``drives.get``."""

    name: str
    role: str  # in the words of Drive's sharing dialog
    can_add: bool
    can_share_folders: bool
    can_trash: bool


def drive_access(drive: Mapping[str, Any]) -> DriveAccess:
    """Read ``drives.get``'s capabilities: Managers (organizer) manage members and may always
    share folders; Content managers (fileOrganizer) may trash children and may share folders
    only where the drive's ``sharingFoldersRequiresOrganizerPermission`` restriction is false
    ("If true, only users with the organizer role can share folders. If false, users with either
    the organizer role or the file organizer role can share folders.", Drive v3 Drive resource,
    restrictions). When the restriction is not reported, only a Manager is trusted to share."""
    caps = drive.get("capabilities") or {}
    restrictions = drive.get("restrictions") or {}
    manager = bool(caps.get("canManageMembers"))
    content_manager = manager or bool(caps.get("canTrashChildren") or caps.get("canDeleteChildren"))
    if manager:
        role = "Manager"
    elif content_manager:
        role = "Content manager"
    elif caps.get("canAddChildren"):
        role = "Contributor"
    elif caps.get("canComment"):
        role = "Commenter"
    else:
        role = "Viewer"
    folders_open = restrictions.get("sharingFoldersRequiresOrganizerPermission") is False
    return DriveAccess(
        name=str(drive.get("name", "")),
        role=role,
        can_add=bool(caps.get("canAddChildren")),
        can_share_folders=manager or (content_manager and folders_open),
        can_trash=content_manager,
    )


class Access:
    """Shares on people's folders, and the running account's rights in a shared drive."""

    def __init__(self, ctx: GoogleContext, record: Any) -> None:
        """``record(user, file_id, props)`` writes appProperties (None deletes a key)."""
        self.ctx = ctx
        self._record = record
        self._drive_access: DriveAccess | None = None
        self._props: dict[str, dict[str, str]] = {}  # file id -> appProperties last seen
        # (file id, email) revoked this run: the caller's Artifact.shares still lists them
        self._revoked: set[tuple[str, str]] = set()

    def _permissions_api(self) -> Any:
        return self.ctx.clients.resource("drive", "permissions")

    def remember(self, file_id: str, props: Mapping[str, str]) -> None:
        """The file's appProperties as last read, to keep within Drive's count per app."""
        self._props[file_id] = dict(props)

    # -- the shared drive --------------------------------------------------------------------

    def drive_access(self) -> DriveAccess:
        """The running account's rights in the configured shared drive (one call per run)."""
        if self._drive_access is None:
            admin = self.ctx.options.admin
            drive_id = self.ctx.options.shared_drive_id
            try:
                drive = self.ctx.run(
                    self.ctx.clients.resource("drive", "drives").get(
                        driveId=drive_id, fields=DRIVE_FIELDS
                    ),
                    api="drive",
                    kind="read",
                    user=admin,
                )
            except GoogleAPIError as exc:
                if exc.status != 404:
                    raise
                raise ConfigError(
                    "cannot use the shared drive",
                    [
                        Problem(
                            SHARED_DRIVE_KEY,
                            f"{drive_id}: no such shared drive, or {admin} is not a member",
                        )
                    ],
                ) from None
            self._drive_access = drive_access(drive)
        return self._drive_access

    def require_shared_drive_rights(self) -> None:
        """Refuse, before any write, a running account that cannot do what provision does in
        the shared drive: add folders and files, and share each person's folder."""
        if not self.ctx.shared_drive:
            return
        access = self.drive_access()
        if access.can_add and access.can_share_folders:
            return
        admin = self.ctx.options.admin
        raise ConfigError(
            f"{admin} cannot share folders in shared drive {access.name!r}",
            [
                Problem(
                    SHARED_DRIVE_KEY,
                    f"{admin} is a {access.role} there; sharing each person's folder needs "
                    "Manager, or Content manager where the drive lets content managers share "
                    f"folders: make {admin} a Manager of the drive, or turn that setting on",
                )
            ],
        )

    # -- reading shares ----------------------------------------------------------------------

    def permissions(self, user: str, file_id: str) -> list[dict[str, Any]]:
        """Every permission on the file (``permissions.list``, all pages, shared drives too)."""
        out: list[dict[str, Any]] = []
        token = None
        while True:
            page = self.ctx.run(
                self._permissions_api().list(
                    fileId=file_id,
                    fields=PERMISSION_FIELDS,
                    pageSize=PERMISSIONS_PAGE,
                    pageToken=token,
                    supportsAllDrives=True,
                ),
                api="drive",
                kind="read",
                user=user,
            )
            out += page.get("permissions", [])
            token = page.get("nextPageToken")
            if not token:
                return out

    def permissions_of(self, user: str, file_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """``permissions.list`` for each file, concurrently. In a shared drive ``files.list``
        does not return ``permissions`` ("Not populated for items in shared drives", Drive v3
        File resource), so this is how existing shares are read there."""
        if not file_ids:
            return {}
        with ThreadPoolExecutor(max_workers=self.ctx.options.read_workers) as pool:
            lists = pool.map(lambda fid: self.permissions(user, fid), file_ids)
            return dict(zip(file_ids, lists, strict=True))

    # -- granting and revoking ---------------------------------------------------------------

    def share(
        self, person: str, target: Artifact, grantee: str, role: str, *, record: bool = True
    ) -> bool:
        """Grant ``role`` on ``target`` to ``grantee`` without Drive's own email, recording it
        first (``record``) so the roster can take it back. False if already held."""
        email = grantee.strip().lower()
        held = None if (target.id, email) in self._revoked else dict(target.shares).get(email)
        if held and ROLE_RANK.get(held, 0) >= ROLE_RANK.get(role, 0):
            return False
        self.require_shared_drive_rights()
        user = self.ctx.actor(person)
        if record:
            self._write_record(user, target.id, grant_record(grantee, role))
        self.ctx.run(
            self._permissions_api().create(
                fileId=target.id,
                body={"type": "user", "role": role, "emailAddress": grantee},
                sendNotificationEmail=False,
                fields="id",
                **self.ctx.drive_common(),
            ),
            api="drive",
            kind="write",
            user=user,
        )
        self._revoked.discard((target.id, email))
        return True

    def revoke(self, person: str, target: Artifact, grantee: str) -> bool:
        """Delete careerdocs' recorded grant to ``grantee`` on ``target`` and its record.
        False if careerdocs recorded none, or the share was already gone."""
        email = grantee.strip().lower()
        if email not in dict(target.grants):
            return False
        self.require_shared_drive_rights()
        user = self.ctx.actor(person)
        direct = [
            p
            for p in self.permissions(user, target.id)
            if (p.get("emailAddress") or "").lower() == email
            and p.get("type") in SHARE_TYPES
            and _direct(p)
        ]
        for p in direct:
            self.ctx.run(
                self._permissions_api().delete(
                    fileId=target.id, permissionId=p["id"], **self.ctx.drive_common()
                ),
                api="drive",
                kind="write",
                user=user,
            )
        self._revoked.add((target.id, email))
        self._write_record(user, target.id, {grant_key(email): None})
        return bool(direct)

    def _write_record(self, user: str, file_id: str, props: Mapping[str, str | None]) -> None:
        known = self._props.get(file_id)
        if known is not None:
            adding = [k for k, v in props.items() if v is not None and k not in known]
            if len(known) + len(adding) > MAX_APP_PROPERTIES:
                raise WorkspaceError(
                    f"cannot record another share on {file_id}: Drive keeps at most "
                    f"{MAX_APP_PROPERTIES} properties per app on a file"
                )
        written = self._record(user, file_id, props)
        if isinstance(written, Mapping) and "appProperties" in written:
            self.remember(file_id, written.get("appProperties") or {})
