"""Drive v3 ``drives`` (shared drives) and ``about``.

``drives.create`` is idempotent per user and ``requestId``: the drive id is derived from the
pair, so a repeat finds the drive it made and answers 409 as Google does. The creator becomes
an organizer; membership is changed through ``permissions`` on the drive id.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

from . import core, drive_content, drive_model, drive_sharing
from .core import ApiError, Request, Router, SharedDrive
from .drive_resources import (
    DRIVE_DEFAULT,
    DRIVE_LIST_DEFAULT,
    EVERYTHING,
    drive_resource,
    response_mask,
    user_resource,
)

DRIVES = r"/drive/v3/drives"
DRIVE = DRIVES + r"/(?P<drive_id>[^/]+)"
ABOUT = r"/drive/v3/about"
DRIVE_LIST_KIND = "drive#driveList"
ABOUT_KIND = "drive#about"
DRIVE_ID_LENGTH = 19
DRIVE_ID_PREFIX = "0A"
LIST_PAGE_DEFAULT = 10
LIST_PAGE_MAX = 100
MAX_UPLOAD_BYTES = 5_497_558_138_880  # Drive's 5 TB per-file limit


def register(router: Router) -> None:
    add = functools.partial(router.add, api="drive")
    add("POST", DRIVES, create_drive, kind="write", name="drives.create")
    add("GET", DRIVES, list_drives, kind="read", name="drives.list")
    add("GET", DRIVE, get_drive, kind="read", name="drives.get")
    add("PATCH", DRIVE, update_drive, kind="write", name="drives.update")
    add("GET", ABOUT, about, kind="read", name="about.get")


def shared_drive_id(user: str, request_id: str) -> str:
    digest = hashlib.sha256(f"{user.lower()}\n{request_id}".encode()).digest()
    tail = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return (DRIVE_ID_PREFIX + tail)[:DRIVE_ID_LENGTH]


def create_drive(ctx: core.Context, req: Request) -> dict[str, Any]:
    mask = response_mask(req, "Drive", DRIVE_DEFAULT)
    request_id = req.arg("requestId")
    if not request_id:
        raise drive_model.required_parameter("requestId")
    name = req.json().get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(
            400,
            "A shared drive name is required.",
            reason="required",
            location="name",
            location_type="other",
        )
    drive_id = shared_drive_id(req.user, request_id)
    if drive_id in ctx.store.drives:
        raise ApiError(
            409,
            "A shared drive with this request ID already exists.",
            reason="duplicate",
            location="requestId",
            location_type="parameter",
        )
    drive = SharedDrive(drive_id, name, {req.user.lower(): drive_model.ORGANIZER})
    ctx.store.drives[drive_id] = drive
    return mask.apply(drive_resource(drive, req.user))


def get_drive(ctx: core.Context, req: Request, drive_id: str) -> dict[str, Any]:
    mask = response_mask(req, "Drive", DRIVE_DEFAULT)
    drive = drive_model.require_drive(ctx.store, req.user, drive_id)
    return mask.apply(drive_resource(drive, req.user))


def update_drive(ctx: core.Context, req: Request, drive_id: str) -> dict[str, Any]:
    """drives.update: an organizer renames the drive or changes its restrictions ("To add a
    restriction, first create a shared drive and then use drives.update", Drive v3
    discovery, Drive.restrictions). Other fields are refused rather than ignored."""
    mask = response_mask(req, "Drive", DRIVE_DEFAULT)
    drive = drive_model.require_drive(ctx.store, req.user, drive_id)
    if drive.members.get(req.user.lower()) != drive_model.ORGANIZER:
        raise core.forbidden()
    body = req.json()
    unknown = set(body) - {"name", "restrictions", "kind", "id"}
    if unknown:
        raise ApiError(
            400,
            f"The sandbox does not model drives.update of {', '.join(sorted(unknown))}.",
            reason="badRequest",
        )
    changes = body.get("restrictions") or {}
    if not isinstance(changes, dict) or any(
        key not in drive_sharing.RESTRICTION_DEFAULTS or not isinstance(value, bool)
        for key, value in changes.items()
    ):
        raise ApiError(400, "Invalid value for restrictions.", reason="invalid")
    name = body.get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "A shared drive name is required.", reason="required")
        drive.name = name
    drive.restrictions = {**(getattr(drive, "restrictions", None) or {}), **changes}
    return mask.apply(drive_resource(drive, req.user))


def list_drives(ctx: core.Context, req: Request) -> dict[str, Any]:
    """The caller's shared drives, by name. ``q`` and domain-admin access are not modelled."""
    mask = response_mask(req, "DriveList", DRIVE_LIST_DEFAULT)
    if req.arg("q") or req.flag("useDomainAdminAccess"):
        raise ApiError(
            400,
            "The sandbox does not model q or useDomainAdminAccess for drives.list.",
            reason="badRequest",
        )
    user = req.user.lower()
    mine = sorted(
        (d for d in ctx.store.drives.values() if user in d.members),
        key=lambda d: (d.name.casefold(), d.id),
    )
    chunk, token = drive_model.page(mine, req, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
    out: dict[str, Any] = {
        "kind": DRIVE_LIST_KIND,
        "drives": [drive_resource(d, req.user) for d in chunk],
    }
    if token:
        out["nextPageToken"] = token
    return mask.apply(out)


def about(ctx: core.Context, req: Request) -> dict[str, Any]:
    """``about.get`` needs ``fields``, as on Google. Usage counts the caller's binary files;
    Docs and Sheets files take no storage quota."""
    mask = response_mask(req, "About", EVERYTHING, required=True)
    user = req.user.lower()
    owned = [f for f in ctx.store.files.values() if (f.owner or "").lower() == user]
    in_drive = sum(len(f.blob) for f in owned if f.blob is not None)
    trashed = sum(len(f.blob) for f in owned if f.blob is not None and f.trashed)
    return mask.apply(
        {
            "kind": ABOUT_KIND,
            "user": user_resource(user, user),
            "storageQuota": {
                "usage": str(in_drive),
                "usageInDrive": str(in_drive),
                "usageInDriveTrash": str(trashed),
            },
            "importFormats": drive_content.import_formats(),
            "exportFormats": drive_content.export_formats(),
            "maxUploadSize": str(MAX_UPLOAD_BYTES),
            "canCreateDrives": True,
            "appInstalled": False,
        }
    )
