"""Drive v3 ``changes``: the start token and the feed of changes a user may see.

Page tokens are change sequence numbers (``store.change_seq``): the feed returns changes with a
sequence at or after the token, so a token never expires. A change is shown to the users who can
read the file now; a deleted file's removal is shown to those who could read it when it went
(its tombstone). Shared-drive items need ``includeItemsFromAllDrives`` (or a ``driveId``).
"""

from __future__ import annotations

import bisect
import functools
from typing import Any

from . import core, drive_model
from .core import Change, Request, Router, Store
from .drive_model import supports_all_drives
from .drive_resources import CHANGE_LIST_DEFAULT, EVERYTHING, file_resource, response_mask

CHANGES = r"/drive/v3/changes"
START_TOKEN_KIND = "drive#startPageToken"
CHANGE_LIST_KIND = "drive#changeList"
CHANGE_KIND = "drive#change"
FILE_CHANGE = "file"
PAGE_DEFAULT = 100
PAGE_MAX = 1000


def register(router: Router) -> None:
    add = functools.partial(router.add, api="drive", kind="read")
    add("GET", CHANGES + "/startPageToken", start_page_token, name="changes.getStartPageToken")
    add("GET", CHANGES, list_changes, name="changes.list")


def next_token(store: Store) -> str:
    return str(store.change_seq + 1)


def start_page_token(ctx: core.Context, req: Request) -> dict[str, Any]:
    mask = response_mask(req, "StartPageToken", EVERYTHING)
    drive_id = req.arg("driveId")
    if drive_id:
        drive_model.require_drive(ctx.store, req.user, drive_id)
    return mask.apply({"kind": START_TOKEN_KIND, "startPageToken": next_token(ctx.store)})


def parse_token(token: str | None) -> int:
    if not token:
        raise drive_model.required_parameter("pageToken")
    if not token.isdigit() or int(token) < 1:
        raise drive_model.invalid_value("pageToken")
    return int(token)


def list_changes(ctx: core.Context, req: Request) -> dict[str, Any]:
    mask = response_mask(req, "ChangeList", CHANGE_LIST_DEFAULT)
    store, user = ctx.store, req.user
    start = parse_token(req.arg("pageToken"))
    size = min(req.int_arg("pageSize", PAGE_DEFAULT), PAGE_MAX)
    if size < 1:
        raise drive_model.invalid_value("pageSize")
    drive_id = req.arg("driveId")
    if drive_id:
        drive_model.require_drive(store, user, drive_id)
    shown: list[dict[str, Any]] = []
    next_seq: int | None = None
    first = bisect.bisect_left(store.changes, start, key=lambda c: c.seq)
    for change in store.changes[first:]:
        if len(shown) == size:
            next_seq = change.seq
            break
        entry = change_entry(store, req, change, drive_id)
        if entry is not None:
            shown.append(entry)
    out: dict[str, Any] = {"kind": CHANGE_LIST_KIND, "changes": shown}
    if next_seq is not None:
        out["nextPageToken"] = str(next_seq)
    else:
        out["newStartPageToken"] = next_token(store)
    return mask.apply(out)


def change_entry(
    store: Store, req: Request, change: Change, drive_id: str | None
) -> dict[str, Any] | None:
    """The change as ``req.user`` sees it, or None when it is not theirs to see."""
    user = req.user
    f = store.files.get(change.file_id)
    entry: dict[str, Any] = {
        "kind": CHANGE_KIND,
        "changeType": FILE_CHANGE,
        "time": core.rfc3339(change.time),
        "fileId": change.file_id,
    }
    if f is None:
        if not req.flag("includeRemoved", default=True):
            return None
        readers = drive_model.tombstones(store).get(change.file_id, frozenset())
        if user.lower() not in readers:
            return None
        entry["removed"] = True
        return entry
    if drive_model.is_root(f) or not drive_model.readable(store, user, f):
        return None
    if not in_scope(req, f, drive_id):
        return None
    entry["removed"] = False
    entry["file"] = file_resource(store, user, f)
    if f.drive_id:
        entry["driveId"] = f.drive_id
    return entry


def in_scope(req: Request, f: core.File, drive_id: str | None) -> bool:
    if drive_id:
        return f.drive_id == drive_id
    if f.drive_id:
        include = req.flag("includeItemsFromAllDrives") or req.flag("includeTeamDriveItems")
        return include and supports_all_drives(req) and not req.flag("restrictToMyDrive")
    return True
