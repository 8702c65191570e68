"""Drive's view of the sandbox store: My Drive roots, shared drives, hierarchy and access.

:class:`core.Store` knows files, permissions and roles; this module adds what only Drive needs.
Each user's "My Drive" root is a real folder whose id is derived from the address, so it needs
no extra state and survives the store being pickled. Drive answers 404 — not 403 — for a
shared-drive item when the caller did not say ``supportsAllDrives=true``, and for a shared
drive the caller is not a member of; the ``require_*`` helpers encode that.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import core
from .core import ApiError, File, Permission, SharedDrive, Store

ROOT_ALIAS = "root"
MY_DRIVE_NAME = "My Drive"
ROOT_ID_PREFIX = "0A"
ROOT_ID_LENGTH = 19
SUPPORTS_ALL_DRIVES = "supportsAllDrives"
SUPPORTS_TEAM_DRIVES = "supportsTeamDrives"  # the deprecated spelling, still honoured
PERMISSION_ID_DIGITS = 20
ANYONE_PERMISSION_ID = "anyoneWithLink"
DOMAIN_PERMISSION_SUFFIX = "k"
USER, GROUP, DOMAIN, ANYONE = "user", "group", "domain", "anyone"
OWNER, ORGANIZER, WRITER = "owner", "organizer", "writer"
DIRECT, MEMBER = "file", "member"  # permissionDetails.permissionType values

# Extra state Drive keeps on the store (attributes, so the store pickles with them).
TOMBSTONES_ATTR = "drive_tombstones"


def root_id(user: str) -> str:
    """The id of ``user``'s My Drive folder: stable, and shaped like Google's (``0A…``)."""
    digest = hashlib.sha256(("root:" + user.lower()).encode()).digest()
    tail = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return (ROOT_ID_PREFIX + tail)[:ROOT_ID_LENGTH]


def ensure_root(store: Store, user: str) -> File:
    """The user's My Drive folder, made on first use. It is not recorded as a change: Google
    never reports the root in the changes feed."""
    rid = root_id(user)
    root = store.files.get(rid)
    if root is None:
        root = File(id=rid, name=MY_DRIVE_NAME, mime_type=core.FOLDER, owner=user.lower())
        store.files[rid] = root
    return root


def is_root(f: File) -> bool:
    return f.owner is not None and not f.parents and f.id == root_id(f.owner)


def resolve_alias(user: str, file_id: str) -> str:
    return root_id(user) if file_id == ROOT_ALIAS else file_id


def supports_all_drives(req: core.Request) -> bool:
    return req.flag(SUPPORTS_ALL_DRIVES) or req.flag(SUPPORTS_TEAM_DRIVES)


def require_file(store: Store, user: str, file_id: str, need: str, all_drives: bool) -> File:
    """The file if ``user`` may ``need`` it. Shared-drive items are invisible (404) to callers
    that did not declare shared-drive support, as on Google."""
    file_id = resolve_alias(user, file_id)
    if file_id == root_id(user):
        ensure_root(store, user)
    f = store.require(user, file_id, need)
    if f.drive_id and not all_drives:
        raise core.not_found(file_id)
    return f


def drive_not_found(drive_id: str) -> ApiError:
    return ApiError(
        404,
        f"Shared drive not found: {drive_id}",
        reason="notFound",
        location="driveId",
        location_type="parameter",
    )


def require_drive(store: Store, user: str, drive_id: str, need: str = "read") -> SharedDrive:
    """The shared drive if ``user`` is a member with at least ``need``; 404 for non-members."""
    drive = store.drives.get(drive_id)
    role = drive.members.get(user.lower()) if drive else None
    if drive is None or role is None:
        raise drive_not_found(drive_id)
    if core.ROLE_RANK[role] < core.NEED_RANK[need]:
        raise core.forbidden()
    return drive


def readable(store: Store, user: str, f: File) -> bool:
    return store.role_of(user, f) is not None


def descendants(store: Store, folder: File) -> list[File]:
    """Every item below ``folder``, parents before children (nothing for a non-folder)."""
    if folder.mime_type != core.FOLDER:
        return []
    return [store.files[i] for i in store.files.index.descendants(folder.id)]


def ancestors(store: Store, f: File) -> Iterator[File]:
    """Every folder above ``f`` (each once)."""
    seen = {f.id}
    stack = list(f.parents)
    while stack:
        pid = stack.pop()
        parent = store.files.get(pid)
        if parent is None or parent.id in seen:
            continue
        seen.add(parent.id)
        yield parent
        stack.extend(parent.parents)


def tombstones(store: Store) -> dict[str, frozenset[str]]:
    """Deleted file id → the users who could read it then (the changes feed tells them)."""
    found = getattr(store, TOMBSTONES_ATTR, None)
    if found is None:
        found = {}
        setattr(store, TOMBSTONES_ATTR, found)
    return found


def readers_of(store: Store, f: File) -> frozenset[str]:
    """Everyone known to the store who can read ``f`` right now."""
    candidates = set(store.users)
    for item in [f, *ancestors(store, f)]:
        if item.owner:
            candidates.add(item.owner.lower())
        candidates.update(p.email_address.lower() for p in item.permissions if p.email_address)
    if f.drive_id and f.drive_id in store.drives:
        candidates.update(store.drives[f.drive_id].members)
    return frozenset(u for u in candidates if store.role_of(u, f) is not None)


def encode_page_token(offset: int) -> str:
    raw = json.dumps({"o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    """The offset a page token stands for; 400 for a token this sandbox did not issue."""
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
    except (ValueError, KeyError, TypeError):
        raise invalid_value("pageToken") from None
    if not isinstance(offset, int) or offset < 0:
        raise invalid_value("pageToken")
    return offset


def invalid_value(parameter: str, message: str = "Invalid Value") -> ApiError:
    return ApiError(400, message, reason="invalid", location=parameter, location_type="parameter")


def required_parameter(parameter: str) -> ApiError:
    return ApiError(
        400,
        f"Required parameter: {parameter}",
        reason="required",
        location=parameter,
        location_type="parameter",
    )


def page(
    items: list[Any], req: core.Request, default_size: int, max_size: int
) -> tuple[list[Any], str | None]:
    """One page of ``items`` per ``pageSize``/``pageToken``, and the next token (or None).
    Sizes above the maximum are coerced to it, as Google does; below 1 is an error."""
    size = req.int_arg("pageSize", default_size)
    if size < 1:
        raise invalid_value("pageSize")
    size = min(size, max_size)
    token = req.arg("pageToken")
    offset = decode_page_token(token) if token else 0
    chunk = items[offset : offset + size]
    more = offset + size < len(items)
    return chunk, encode_page_token(offset + size) if more else None


def permission_id(kind: str, principal: str | None = None) -> str:
    """Google gives a principal the same permission id on every file (a user's id is their
    ``permissionId``); derive it from the principal so no table is needed."""
    if kind == ANYONE:
        return ANYONE_PERMISSION_ID
    assert principal is not None
    digest = hashlib.sha256(f"{kind}:{principal.lower()}".encode()).hexdigest()
    digits = str(int(digest, 16))[:PERMISSION_ID_DIGITS]
    return digits + DOMAIN_PERMISSION_SUFFIX if kind == DOMAIN else digits


def user_permission(email: str, role: str) -> Permission:
    return Permission(permission_id(USER, email), USER, role, email_address=email.lower())


@dataclass
class Grant:
    """One principal's access to a file: the strongest role, and where each role comes from
    (Drive's ``permissionDetails``). ``direct`` grants are the ones a caller may change."""

    permission: Permission
    details: list[dict[str, Any]] = field(default_factory=list)
    direct: bool = False


def effective_grants(store: Store, f: File) -> list[Grant]:
    """Who can reach ``f`` and how: its owner, its own permissions, permissions inherited from
    its folders (their owners count as writers here) and shared-drive membership."""
    grants: dict[str, Grant] = {}

    def add(perm: Permission, source: str, inherited_from: str | None) -> None:
        grant = grants.get(perm.id)
        if grant is None:
            grant = grants[perm.id] = Grant(
                Permission(perm.id, perm.type, perm.role, perm.email_address, perm.domain)
            )
        elif core.ROLE_RANK[perm.role] > core.ROLE_RANK[grant.permission.role]:
            grant.permission.role = perm.role
        detail: dict[str, Any] = {
            "permissionType": source,
            "role": perm.role,
            "inherited": inherited_from is not None,
        }
        if inherited_from and f.drive_id:
            detail["inheritedFrom"] = inherited_from
        grant.details.append(detail)
        grant.direct = grant.direct or inherited_from is None

    if f.owner:
        add(user_permission(f.owner, OWNER), DIRECT, None)
    for perm in f.permissions:
        add(perm, DIRECT, None)
    for folder in ancestors(store, f):
        if folder.owner and folder.owner != f.owner and not is_root(folder):
            add(user_permission(folder.owner, WRITER), DIRECT, folder.id)
        for perm in folder.permissions:
            add(perm, DIRECT, folder.id)
    drive = store.drives.get(f.drive_id) if f.drive_id else None
    if drive is not None:
        for email, role in sorted(drive.members.items()):
            add(user_permission(email, role), MEMBER, drive.id)
    return list(grants.values())
