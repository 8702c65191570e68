"""Drive v3 ``permissions`` on files and on shared drives (where they are memberships).

Sharing needs writer access; readers and commenters get 403 insufficientFilePermissions. Every
share that would email someone is recorded in ``store.notifications`` instead, so tests can
prove ``sendNotificationEmail=false`` sent nothing. Folder permissions reach the folder's items
through :meth:`core.Store.role_of`; listing a file shows them with ``permissionDetails``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from . import core, drive_model, drive_sharing
from .core import ApiError, File, Permission, Request, Response, Router, SharedDrive, Store
from .drive_model import (
    ANYONE,
    DOMAIN,
    GROUP,
    MEMBER,
    ORGANIZER,
    OWNER,
    USER,
    WRITER,
    Grant,
    supports_all_drives,
)
from .drive_resources import (
    PERMISSION_DEFAULT,
    PERMISSION_LIST_DEFAULT,
    permission_resource,
    response_mask,
)

PERMISSIONS = r"/drive/v3/files/(?P<file_id>[^/]+)/permissions"
PERMISSION = PERMISSIONS + r"/(?P<permission_id>[^/]+)"
PERMISSION_LIST_KIND = "drive#permissionList"
LIST_PAGE_DEFAULT = 100
LIST_PAGE_MAX = 100

TYPES = (USER, GROUP, DOMAIN, ANYONE)
ROLES = (OWNER, ORGANIZER, "fileOrganizer", WRITER, "commenter", "reader")
SHARED_DRIVE_ONLY_ROLES = (ORGANIZER, "fileOrganizer")
NOTIFY = "sendNotificationEmail"
TRANSFER = "transferOwnership"
NOTIFICATIONS_ATTR = "notifications"


def register(router: Router) -> None:
    add = functools.partial(router.add, api="drive")
    add("GET", PERMISSIONS, list_permissions, kind="read", name="permissions.list")
    add("POST", PERMISSIONS, create_permission, kind="write", name="permissions.create")
    add("GET", PERMISSION, get_permission, kind="read", name="permissions.get")
    add("PATCH", PERMISSION, update_permission, kind="write", name="permissions.update")
    add("DELETE", PERMISSION, delete_permission, kind="write", name="permissions.delete")


@dataclass
class ShareNotification:
    """The email Drive would have sent to ``recipient`` about ``file_id``."""

    file_id: str
    sender: str
    recipient: str
    role: str
    message: str | None


def notifications(store: Store) -> list[ShareNotification]:
    found = getattr(store, NOTIFICATIONS_ATTR, None)
    if found is None:
        found = []
        setattr(store, NOTIFICATIONS_ATTR, found)
    return found


# -- errors ------------------------------------------------------------------------------------


def permission_not_found(permission_id: str) -> ApiError:
    return ApiError(
        404,
        f"Permission not found: {permission_id}.",
        reason="notFound",
        location="permissionId",
        location_type="parameter",
    )


def notification_not_allowed() -> ApiError:
    return ApiError(
        403,
        "The sendNotificationEmail parameter is only applicable for permissions "
        "of type 'user' or 'group', and must not be disabled for ownership "
        "transfers.",
        reason="forbidden",
        location=NOTIFY,
        location_type="parameter",
    )


def required_field(name: str) -> ApiError:
    return ApiError(
        400,
        f"The permission {name} field is required.",
        reason="required",
        location=f"permission.{name}",
        location_type="other",
    )


def invalid_field(name: str) -> ApiError:
    return ApiError(
        400,
        f"The permission {name} field has an invalid value.",
        reason="invalid",
        location=f"permission.{name}",
        location_type="other",
    )


def refused(reason: str, message: str) -> ApiError:
    return ApiError(403, message, reason=reason)


# -- targets: a file, or a shared drive (whose permissions are its members) ---------------------


@dataclass
class Target:
    file: File | None = None
    drive: SharedDrive | None = None


def find_target(store: Store, req: Request, file_id: str) -> Target:
    drive = store.drives.get(file_id)
    if drive is not None:
        if not supports_all_drives(req) or req.user.lower() not in drive.members:
            raise core.not_found(file_id)
        return Target(drive=drive)
    return Target(
        file=drive_model.require_file(store, req.user, file_id, "read", supports_all_drives(req))
    )


def grants_of(store: Store, target: Target) -> list[Grant]:
    if target.drive is not None:
        return [
            Grant(
                drive_model.user_permission(email, role),
                [{"permissionType": MEMBER, "role": role, "inherited": False}],
                direct=True,
            )
            for email, role in sorted(target.drive.members.items())
        ]
    assert target.file is not None
    return drive_model.effective_grants(store, target.file)


def find_grant(store: Store, target: Target, permission_id: str) -> Grant:
    for grant in grants_of(store, target):
        if grant.permission.id == permission_id:
            return grant
    raise permission_not_found(permission_id)


def require_sharer(store: Store, user: str, target: Target) -> None:
    """Items: as :func:`drive_sharing.may_share` says (writersCanShare in My Drive, member
    roles in shared drives). Shared drives: only organizers manage members."""
    if target.drive is not None:
        if target.drive.members.get(user.lower()) != ORGANIZER:
            raise core.forbidden()
        return
    assert target.file is not None
    if not drive_sharing.may_share(store, user, target.file):
        raise core.forbidden()


def require_permission_reader(store: Store, user: str, target: Target) -> None:
    """Writers and up may list an item's permissions, also where they may not share it; any
    member may list a shared drive's (its membership)."""
    if target.file is not None and not drive_sharing.may_read_permissions(store, user, target.file):
        raise core.forbidden()


def touch_sharing(store: Store, target: Target) -> None:
    """A sharing change shows in the changes feed without changing modifiedTime."""
    if target.file is not None:
        store.record_change(target.file)


# -- handlers ----------------------------------------------------------------------------------


def list_permissions(ctx: core.Context, req: Request, file_id: str) -> dict[str, Any]:
    mask = response_mask(req, "PermissionList", PERMISSION_LIST_DEFAULT)
    target = find_target(ctx.store, req, file_id)
    require_permission_reader(ctx.store, req.user, target)
    chunk, token = drive_model.page(
        grants_of(ctx.store, target), req, LIST_PAGE_DEFAULT, LIST_PAGE_MAX
    )
    out: dict[str, Any] = {
        "kind": PERMISSION_LIST_KIND,
        "permissions": [permission_resource(g) for g in chunk],
    }
    if token:
        out["nextPageToken"] = token
    return mask.apply(out)


def get_permission(
    ctx: core.Context, req: Request, file_id: str, permission_id: str
) -> dict[str, Any]:
    mask = response_mask(req, "Permission", PERMISSION_DEFAULT)
    target = find_target(ctx.store, req, file_id)
    return mask.apply(permission_resource(find_grant(ctx.store, target, permission_id)))


def create_permission(ctx: core.Context, req: Request, file_id: str) -> dict[str, Any]:
    mask = response_mask(req, "Permission", PERMISSION_DEFAULT)
    store, user = ctx.store, req.user
    body = req.json()
    perm = requested_permission(body, req)
    target = find_target(store, req, file_id)
    require_sharer(store, user, target)
    if target.drive is not None:
        add_member(target.drive, perm)
    else:
        assert target.file is not None
        share_file(store, req, target.file, perm)
    if perm.type in (USER, GROUP) and req.flag(NOTIFY, default=True):
        notifications(store).append(
            ShareNotification(
                file_id, user, perm.email_address or "", perm.role, req.arg("emailMessage")
            )
        )
    touch_sharing(store, target)
    return mask.apply(permission_resource(find_grant(store, target, perm.id)))


def requested_permission(body: dict[str, Any], req: Request) -> Permission:
    """The permission the body asks for, checked against the query flags."""
    kind, role = body.get("type"), body.get("role")
    if not kind:
        raise required_field("type")
    if not role:
        raise required_field("role")
    if kind not in TYPES:
        raise invalid_field("type")
    if role not in ROLES:
        raise invalid_field("role")
    notify_given = req.arg(NOTIFY) is not None
    if kind in (DOMAIN, ANYONE) and notify_given:
        raise notification_not_allowed()
    if role == OWNER:
        if not req.flag(TRANSFER):
            raise ApiError(
                403,
                "The transferOwnership parameter must be enabled when the "
                "permission role is 'owner'.",
                reason="forbidden",
                location=TRANSFER,
                location_type="parameter",
            )
        if not req.flag(NOTIFY, default=True):
            raise notification_not_allowed()
    if kind in (USER, GROUP):
        email = body.get("emailAddress")
        if not isinstance(email, str) or "@" not in email:
            raise required_field("emailAddress")
        return Permission(
            drive_model.permission_id(kind, email), kind, role, email_address=email.lower()
        )
    if kind == DOMAIN:
        domain = body.get("domain")
        if not isinstance(domain, str) or not domain:
            raise required_field("domain")
        return Permission(
            drive_model.permission_id(DOMAIN, domain), DOMAIN, role, domain=domain.lower()
        )
    return Permission(drive_model.permission_id(ANYONE), ANYONE, role)


def add_member(drive: SharedDrive, perm: Permission) -> None:
    if perm.type not in (USER, GROUP):
        raise refused(
            "cannotShareTeamDriveTopFolderWithAnyoneOrDomains",
            "Shared drives cannot be shared with a domain or with anyone.",
        )
    if perm.role == OWNER:
        raise refused(
            "ownerOnTeamDriveItemNotSupported",
            "The owner role is not supported for shared drive items.",
        )
    assert perm.email_address is not None
    drive.members[perm.email_address] = perm.role


def share_file(store: Store, req: Request, f: File, perm: Permission) -> None:
    if perm.role in SHARED_DRIVE_ONLY_ROLES and not f.drive_id:
        raise refused(
            "organizerOnNonTeamDriveItemNotSupported",
            f"The {perm.role} role is only supported for shared drive items.",
        )
    if perm.role == OWNER:
        transfer_ownership(store, req, f, perm)
        return
    upsert(f, perm)


def upsert(f: File, perm: Permission) -> None:
    """Sharing again with the same principal changes its role; it never duplicates."""
    for existing in f.permissions:
        if existing.id == perm.id:
            existing.role = perm.role
            return
    f.permissions.append(perm)


def transfer_ownership(store: Store, req: Request, f: File, perm: Permission) -> None:
    """The new owner takes the file; the old one stays on as a writer (Drive's rule)."""
    user = req.user.lower()
    if f.drive_id:
        raise refused(
            "ownerOnTeamDriveItemNotSupported",
            "The owner role is not supported for shared drive items.",
        )
    if perm.type != USER:
        raise ApiError(
            400, "Ownership can only be transferred to a user.", reason="invalidSharingRequest"
        )
    if (f.owner or "").lower() != user:
        raise core.forbidden()
    assert perm.email_address is not None
    if perm.email_address.split("@")[-1] != user.split("@")[-1]:
        raise refused(
            "ownershipChangeAcrossDomainNotPermitted",
            "Ownership can only be transferred to another user in the same "
            "organization as the current owner.",
        )
    f.permissions = [p for p in f.permissions if p.id != perm.id]
    f.owner = perm.email_address
    upsert(f, drive_model.user_permission(user, WRITER))
    if req.flag("moveToNewOwnersRoot"):
        f.parents = [drive_model.ensure_root(store, perm.email_address).id]


def update_permission(
    ctx: core.Context, req: Request, file_id: str, permission_id: str
) -> dict[str, Any]:
    mask = response_mask(req, "Permission", PERMISSION_DEFAULT)
    store, user = ctx.store, req.user
    role = req.json().get("role")
    if role is not None and role not in ROLES:
        raise invalid_field("role")
    target = find_target(store, req, file_id)
    require_sharer(store, user, target)
    grant = find_grant(store, target, permission_id)
    if role is not None:
        change_role(store, req, target, grant, role)
    touch_sharing(store, target)
    return mask.apply(permission_resource(find_grant(store, target, permission_id)))


def change_role(store: Store, req: Request, target: Target, grant: Grant, role: str) -> None:
    perm = grant.permission
    if target.drive is not None:
        assert perm.email_address is not None
        add_member(target.drive, Permission(perm.id, perm.type, role, perm.email_address))
        return
    assert target.file is not None
    if perm.role == OWNER and grant.direct:
        raise refused(
            "cannotChangeOwnerAcl",
            "The owner's role cannot be changed; transfer ownership to another user instead.",
        )
    if not direct_permission(target.file, perm.id):
        raise refused(
            "cannotUpdatePermission",
            "An inherited permission cannot be changed "
            "here; change it on the folder it comes from.",
        )
    if role == OWNER:
        if not req.flag(TRANSFER):
            raise ApiError(
                403,
                "The transferOwnership parameter must be enabled when the "
                "permission role is 'owner'.",
                reason="forbidden",
                location=TRANSFER,
                location_type="parameter",
            )
        transfer_ownership(
            store, req, target.file, Permission(perm.id, perm.type, OWNER, perm.email_address)
        )
        return
    share_file(
        store,
        req,
        target.file,
        Permission(perm.id, perm.type, role, perm.email_address, perm.domain),
    )


def direct_permission(f: File, permission_id: str) -> Permission | None:
    return next((p for p in f.permissions if p.id == permission_id), None)


def delete_permission(
    ctx: core.Context, req: Request, file_id: str, permission_id: str
) -> Response:
    store, user = ctx.store, req.user
    target = find_target(store, req, file_id)
    require_sharer(store, user, target)
    grant = find_grant(store, target, permission_id)
    if target.drive is not None:
        assert grant.permission.email_address is not None
        del target.drive.members[grant.permission.email_address]
        return Response.empty(204)
    assert target.file is not None
    owner = (target.file.owner or "").lower()
    if grant.permission.role == OWNER and owner == grant.permission.email_address:
        raise refused("cannotRemoveOwner", "The owner of a file cannot be removed.")
    if direct_permission(target.file, permission_id) is None:
        raise refused(
            "cannotDeletePermission",
            "An inherited permission cannot be removed "
            "here; remove it from the folder it comes from.",
        )
    target.file.permissions = [p for p in target.file.permissions if p.id != permission_id]
    touch_sharing(store, target)
    return Response.empty(204)
