"""Drive v3 resources as JSON, and the ``fields`` masks that trim them.

Each resource is rendered whole, for one viewer (capabilities, ``me`` and visible parents depend
on who asks), then trimmed by the request's ``fields`` or by the method's default mask. Masks
are checked against the Drive discovery document bundled with google-api-python-client, so a
field the real API does not have is refused with the real 400.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
from typing import Any

from . import core, drive_model, drive_sharing
from .core import File, SharedDrive, Store
from .drive_model import Grant
from .fields import DiscoverySchema, FieldMask

DISCOVERY_PACKAGE = "googleapiclient.discovery_cache"
DISCOVERY_DIR = "documents"
DISCOVERY_FILE = "drive.v3.json"
FIELDS = "fields"

FILE_KIND = "drive#file"
USER_KIND = "drive#user"
DRIVE_KIND = "drive#drive"

FILE_DEFAULT = FieldMask.parse("kind,id,name,mimeType")
FILE_LIST_DEFAULT = FieldMask.parse(
    "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)"
)
PERMISSION_DEFAULT = FieldMask.parse("kind,id,type,role")
PERMISSION_LIST_DEFAULT = FieldMask.parse("kind,nextPageToken,permissions(kind,id,type,role)")
CHANGE_LIST_DEFAULT = FieldMask.parse(
    "kind,nextPageToken,newStartPageToken,"
    "changes(kind,changeType,time,removed,fileId,driveId,file(kind,id,name,mimeType))"
)
DRIVE_DEFAULT = FieldMask.parse("kind,id,name")
DRIVE_LIST_DEFAULT = FieldMask.parse("kind,nextPageToken,drives(kind,id,name)")
EVERYTHING = FieldMask.parse("*")

DOC_LINK = "https://docs.google.com/document/d/{id}/edit?usp=drivesdk"
SHEET_LINK = "https://docs.google.com/spreadsheets/d/{id}/edit?usp=drivesdk"
FOLDER_LINK = "https://drive.google.com/drive/folders/{id}"
BLOB_LINK = "https://drive.google.com/file/d/{id}/view?usp=drivesdk"
DOWNLOAD_LINK = "https://drive.google.com/uc?id={id}&export=download"
ICON_LINK = "https://drive-thirdparty.googleusercontent.com/16/type/{mime}"
V2_SELF_LINK = "https://www.googleapis.com/drive/v2/files/{id}"


@functools.lru_cache(maxsize=1)
def discovery() -> dict[str, Any]:
    path = importlib.resources.files(DISCOVERY_PACKAGE) / DISCOVERY_DIR / DISCOVERY_FILE
    return dict(json.loads(path.read_text(encoding="utf-8")))


def schema(name: str) -> DiscoverySchema:
    return DiscoverySchema.named(discovery(), name)


def response_mask(
    req: core.Request, schema_name: str, default: FieldMask, required: bool = False
) -> FieldMask:
    """The request's ``fields`` checked against ``schema_name``, or ``default``. Call it before
    changing anything: a bad mask must fail the whole request."""
    text = req.arg(FIELDS)
    if not text:
        if required:
            raise fields_required()
        return default
    mask = FieldMask.parse(text)
    mask.validate(schema(schema_name))
    return mask


def fields_required() -> core.ApiError:
    """Some methods (about, comments) answer nothing without an explicit ``fields``."""
    return core.ApiError(
        400,
        "The 'fields' parameter is required for this method.",
        reason="required",
        location=FIELDS,
        location_type="parameter",
    )


# -- users and permissions ---------------------------------------------------------------------


def display_name(email: str) -> str:
    return email.split("@", 1)[0]


def user_resource(email: str, viewer: str) -> dict[str, Any]:
    return {
        "kind": USER_KIND,
        "displayName": display_name(email),
        "emailAddress": email,
        "me": email.lower() == viewer.lower(),
        "permissionId": drive_model.permission_id(drive_model.USER, email),
    }


def permission_resource(grant: Grant) -> dict[str, Any]:
    out = grant.permission.to_api()
    out["permissionDetails"] = grant.details
    out["deleted"] = False
    if grant.permission.type in (drive_model.DOMAIN, drive_model.ANYONE):
        out["allowFileDiscovery"] = False
    return out


# -- files -------------------------------------------------------------------------------------


def web_view_link(f: File) -> str:
    template = {core.GDOC: DOC_LINK, core.GSHEET: SHEET_LINK, core.FOLDER: FOLDER_LINK}
    return template.get(f.mime_type, BLOB_LINK).format(id=f.id)


def visible_parents(store: Store, viewer: str, f: File) -> list[str]:
    """Parents the viewer can see: Google omits folders the caller has no access to."""
    out = []
    for pid in f.parents:
        drive = store.drives.get(pid)
        if drive is not None:
            if viewer.lower() in drive.members:
                out.append(pid)
            continue
        parent = store.files.get(pid)
        if parent is not None and drive_model.readable(store, viewer, parent):
            out.append(pid)
    return out


def may_delete(store: Store, user: str, f: File) -> bool:
    """My Drive items are deleted by their owner only; shared-drive items by organizers."""
    if drive_model.is_root(f):
        return False
    if f.drive_id:
        return _rank(store, user, f) >= core.ROLE_RANK[drive_model.ORGANIZER]
    return f.owner is not None and f.owner.lower() == user.lower()


def may_trash(store: Store, user: str, f: File) -> bool:
    """Trashing follows deletion, except that content managers may trash in shared drives."""
    if f.drive_id and not drive_model.is_root(f):
        return _rank(store, user, f) >= core.ROLE_RANK["fileOrganizer"]
    return may_delete(store, user, f)


def _rank(store: Store, user: str, f: File) -> int:
    role = store.role_of(user, f)
    return core.ROLE_RANK[role] if role else 0


def capabilities(store: Store, viewer: str, f: File) -> dict[str, bool]:
    rank = _rank(store, viewer, f)
    folder = f.mime_type == core.FOLDER
    root = drive_model.is_root(f)
    can_write = rank >= core.ROLE_RANK[drive_model.WRITER]
    trash = may_trash(store, viewer, f)
    return {
        "canAddChildren": folder and can_write,
        "canComment": rank >= core.ROLE_RANK["commenter"],
        "canCopy": rank >= 1 and not folder,
        "canDelete": may_delete(store, viewer, f),
        "canDownload": rank >= 1,
        "canEdit": can_write,
        "canListChildren": folder and rank >= 1,
        "canModifyContent": can_write,
        "canMoveItemWithinDrive": can_write and not root,
        "canReadRevisions": can_write,
        "canRemoveChildren": folder and can_write,
        "canRename": can_write and not root,
        "canShare": drive_sharing.may_share(store, viewer, f),
        "canTrash": trash,
        "canUntrash": trash,
        "canReadDrive": bool(f.drive_id) and rank >= 1,
    }


def file_resource(store: Store, viewer: str, f: File) -> dict[str, Any]:
    """Every field the sandbox models for ``f``, as ``viewer`` sees it."""
    caps = capabilities(store, viewer, f)
    out: dict[str, Any] = {
        "kind": FILE_KIND,
        "id": f.id,
        "name": f.name,
        "mimeType": f.mime_type,
        "starred": False,
        "trashed": f.trashed,
        "spaces": ["drive"],
        "version": str(f.version),
        "webViewLink": web_view_link(f),
        "iconLink": ICON_LINK.format(mime=f.mime_type),
        "hasThumbnail": False,
        "createdTime": core.rfc3339(f.created_time),
        "modifiedTime": core.rfc3339(f.modified_time),
        "shared": _shared(f),
        "capabilities": caps,
        "viewersCanCopyContent": True,
        "copyRequiresWriterPermission": False,
        "quotaBytesUsed": str(len(f.blob) if f.blob is not None else 0),
    }
    parents = visible_parents(store, viewer, f)
    if parents:
        out["parents"] = parents
    if f.description:
        out["description"] = f.description
    if f.app_properties:
        out["appProperties"] = dict(f.app_properties)
    if f.properties:
        out["properties"] = dict(f.properties)
    if f.last_modifying_user:
        out["lastModifyingUser"] = user_resource(f.last_modifying_user, viewer)
    if f.drive_id:
        # writersCanShare and permissions are "Not populated for items in shared drives"
        # (Drive v3 discovery, File); read their sharing with permissions.list instead.
        out["driveId"] = f.drive_id
        out["teamDriveId"] = f.drive_id
    else:
        out["writersCanShare"] = drive_sharing.writers_can_share(f)
        out.update(_ownership(store, viewer, f, caps["canShare"]))
    if f.blob is not None:
        out.update(_blob_fields(f))
    return out


def _shared(f: File) -> bool:
    return bool(f.permissions)


def _ownership(store: Store, viewer: str, f: File, can_share: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"ownedByMe": bool(f.owner) and f.owner.lower() == viewer.lower()}
    if f.owner:
        out["owners"] = [user_resource(f.owner, viewer)]
    if can_share:
        grants = drive_model.effective_grants(store, f)
        out["permissions"] = [permission_resource(g) for g in grants]
        out["permissionIds"] = [g.permission.id for g in grants]
    return out


def _blob_fields(f: File) -> dict[str, Any]:
    data = f.blob or b""
    return {
        "size": str(len(data)),
        "md5Checksum": hashlib.md5(data).hexdigest(),
        "sha1Checksum": hashlib.sha1(data).hexdigest(),
        "sha256Checksum": hashlib.sha256(data).hexdigest(),
        "webContentLink": DOWNLOAD_LINK.format(id=f.id),
    }


def file_resource_v2(store: Store, viewer: str, f: File) -> dict[str, Any]:
    """The Drive v2 shape, for the one v2 route gspread uses (CSV import)."""
    caps = capabilities(store, viewer, f)
    role = store.role_of(viewer, f)
    owner = [f.owner] if f.owner else []
    viewer_root = drive_model.root_id(viewer)
    out: dict[str, Any] = {
        "kind": FILE_KIND,
        "id": f.id,
        "selfLink": V2_SELF_LINK.format(id=f.id),
        "title": f.name,
        "mimeType": f.mime_type,
        "labels": {
            "starred": False,
            "hidden": False,
            "trashed": f.trashed,
            "restricted": False,
            "viewed": True,
        },
        "createdDate": core.rfc3339(f.created_time),
        "modifiedDate": core.rfc3339(f.modified_time),
        "version": str(f.version),
        "parents": [
            {"kind": "drive#parentReference", "id": pid, "isRoot": pid == viewer_root}
            for pid in visible_parents(store, viewer, f)
        ],
        "owners": [_user_v2(email, viewer) for email in owner],
        "ownerNames": [display_name(email) for email in owner],
        "editable": caps["canEdit"],
        "copyable": caps["canCopy"],
        "shared": _shared(f),
        "alternateLink": web_view_link(f),
        "userPermission": {
            "kind": "drive#permission",
            "id": "me",
            "type": "user",
            "role": role or "reader",
        },
        "capabilities": {"canEdit": caps["canEdit"], "canCopy": caps["canCopy"]},
        "quotaBytesUsed": str(len(f.blob) if f.blob is not None else 0),
    }
    if f.blob is not None:
        out["fileSize"] = str(len(f.blob))
    return out


def _user_v2(email: str, viewer: str) -> dict[str, Any]:
    return {
        "kind": USER_KIND,
        "displayName": display_name(email),
        "emailAddress": email,
        "isAuthenticatedUser": email.lower() == viewer.lower(),
        "permissionId": drive_model.permission_id(drive_model.USER, email),
    }


# -- shared drives -----------------------------------------------------------------------------


def drive_resource(drive: SharedDrive, viewer: str) -> dict[str, Any]:
    return {
        "kind": DRIVE_KIND,
        "id": drive.id,
        "name": drive.name,
        "hidden": False,
        "capabilities": drive_sharing.drive_capabilities(drive, viewer),
        "restrictions": drive_sharing.restrictions(drive),
    }
