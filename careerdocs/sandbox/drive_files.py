"""Drive v3 ``files``: create, get, list, update, copy, delete, emptyTrash, export, generateIds.

Writes are planned, then applied: every check (body fields, parents, permissions, conversion)
runs before the store changes, so a refused request leaves nothing half-done. Uploads
(:mod:`.drive_uploads`) reuse the same plans with media attached.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import core, drive_content, drive_model, drive_resources, drive_sharing
from .core import ApiError, File, Request, Response, Router, Store
from .drive_model import require_file, supports_all_drives
from .drive_resources import FILE_DEFAULT, FILE_LIST_DEFAULT, file_resource, response_mask

FILES = r"/drive/v3/files"
FILE = FILES + r"/(?P<file_id>[^/]+)"
FILE_LIST_KIND = "drive#fileList"
GENERATED_IDS_KIND = "drive#generatedIds"
COMMENT_LIST_KIND = "drive#commentList"

UNTITLED = "Untitled"
COPY_PREFIX = "Copy of "
PROPERTY_LIMIT_BYTES = 124
LIST_PAGE_DEFAULT = 100
LIST_PAGE_MAX = 1000
GENERATED_IDS_DEFAULT = 10
GENERATED_IDS_MAX = 1000
ID_SPACES = ("drive", "appDataFolder")
ID_TYPES = ("files", "shortcuts")
DRIVE_SPACE = "drive"
KNOWN_SPACES = ("drive", "appDataFolder", "photos")
CORPORA = ("user", "domain", "drive", "allDrives")
DRIVE_CORPUS = "drive"
DESCENDING = "desc"
FILE_ID = re.compile(r"[A-Za-z0-9_-]{10,}")
OUTPUT_ONLY = "Output only."

# The body fields each method models; other writable File fields are refused loudly rather
# than silently ignored, so nobody mistakes an unmodelled feature for a working one.
CREATE_FIELDS = frozenset(
    {
        "name",
        "mimeType",
        "description",
        "parents",
        "appProperties",
        "properties",
        "id",
        "createdTime",
        "modifiedTime",
        "writersCanShare",
    }
)
UPDATE_FIELDS = frozenset(
    {
        "name",
        "mimeType",
        "description",
        "appProperties",
        "properties",
        "trashed",
        "modifiedTime",
        "writersCanShare",
    }
)
WRITERS_CAN_SHARE = "writersCanShare"
# files.copy takes a File body like files.create (Drive v3 discovery, files.copy "request": File),
# so the copy's writersCanShare may be set in it; the caller owns the copy.
COPY_FIELDS = frozenset(
    {
        "name",
        "mimeType",
        "description",
        "parents",
        "appProperties",
        "properties",
        "id",
        "writersCanShare",
    }
)
IGNORED_FIELDS = frozenset({"kind"})


def register(router: Router) -> None:
    add = functools.partial(router.add, api="drive")
    # Fixed sub-paths first: the router takes the first pattern that matches.
    add("GET", FILES + "/generateIds", generate_ids, kind="read", name="files.generateIds")
    add("DELETE", FILES + "/trash", empty_trash, kind="write", name="files.emptyTrash")
    add("POST", FILES, create, kind="write", name="files.create")
    add("GET", FILES, list_files, kind="read", name="files.list")
    add("GET", FILE, get, kind="read", name="files.get")
    add("PATCH", FILE, update, kind="write", name="files.update")
    add("DELETE", FILE, delete, kind="write", name="files.delete")
    add("POST", FILE + "/copy", copy, kind="write", name="files.copy")
    add("GET", FILE + "/export", export, kind="read", name="files.export")
    add("GET", FILE + "/comments", list_comments, kind="read", name="comments.list")


# -- errors ------------------------------------------------------------------------------------


def not_writable() -> ApiError:
    return ApiError(
        403,
        "The resource body includes fields which are not directly writable.",
        reason="fieldNotWritable",
    )


def parents_not_writable() -> ApiError:
    return ApiError(
        403,
        "The parents field is not directly writable in update requests. Use "
        "the addParents and removeParents parameters instead.",
        reason="fieldNotWritable",
    )


def not_modelled(name: str) -> ApiError:
    return ApiError(
        400, f"The sandbox does not model the File field '{name}'.", reason="badRequest"
    )


def bad_value(name: str) -> ApiError:
    return ApiError(400, f"Invalid value for field '{name}'.", reason="invalid")


def property_too_long() -> ApiError:
    return ApiError(
        403,
        "Properties and app properties are limited to 124 bytes in UTF-8 "
        "encoding, counting both the key and the value.",
        reason="propertyLengthLimitExceeded",
    )


def insufficient_parent() -> ApiError:
    return ApiError(
        403,
        "Insufficient permissions for the specified parent.",
        reason="insufficientParentPermissions",
    )


def too_many_parents(in_shared_drive: bool) -> ApiError:
    if in_shared_drive:
        return ApiError(
            403, "A shared drive item must have exactly one parent.", reason="teamDrivesParentLimit"
        )
    return ApiError(
        403, "Increasing the number of parents is not allowed.", reason="cannotAddParent"
    )


def cross_drive_move() -> ApiError:
    return ApiError(
        403,
        "The sandbox does not model moving items between My Drive and shared "
        "drives, or between shared drives.",
        reason="forbidden",
    )


# -- request bodies ----------------------------------------------------------------------------


def check_body(
    body: dict[str, Any],
    modelled: frozenset[str],
    refused: dict[str, Callable[[], ApiError]] | None = None,
) -> None:
    """Refuse output-only and unmodelled File fields; ignore names the API does not know (the
    real server ignores them too: gspread sends v2's ``withLink``)."""
    known = drive_resources.discovery()["schemas"]["File"]["properties"]
    for name in body:
        if name in modelled or name in IGNORED_FIELDS:
            continue
        if refused and name in refused:
            raise refused[name]()
        prop = known.get(name)
        if prop is None:
            continue
        if prop.get("description", "").startswith(OUTPUT_ONLY):
            raise not_writable()
        raise not_modelled(name)


def string_field(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_value(name)
    return value


def property_patch(body: dict[str, Any], name: str) -> dict[str, str | None]:
    """A map patch: a null value deletes that key (update and copy alike)."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_value(name)
    for key, item in value.items():
        if item is not None and not isinstance(item, str):
            raise bad_value(f"{name}.{key}")
        size = len(key.encode()) + len((item or "").encode())
        if size > PROPERTY_LIMIT_BYTES:
            raise property_too_long()
    return value


def patched(current: dict[str, str], patch: dict[str, str | None]) -> dict[str, str]:
    out = dict(current)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def timestamp_field(body: dict[str, Any], name: str) -> float | None:
    value = string_field(body, name)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise bad_value(name) from None


def parents_field(body: dict[str, Any]) -> list[str]:
    value = body.get("parents")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise bad_value("parents")
    return value


def id_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


# -- parents -----------------------------------------------------------------------------------


def resolve_parent(
    store: Store, user: str, parent_id: str, all_drives: bool
) -> tuple[str, str | None]:
    """A writable parent folder or shared drive → (its id, the shared drive it is in)."""
    parent_id = drive_model.resolve_alias(user, parent_id)
    drive = store.drives.get(parent_id)
    if drive is not None:
        role = drive.members.get(user.lower())
        if role is None or not all_drives:
            raise core.not_found(parent_id)
        if core.ROLE_RANK[role] < core.ROLE_RANK[drive_model.WRITER]:
            raise insufficient_parent()
        return parent_id, parent_id
    if parent_id == drive_model.root_id(user):
        drive_model.ensure_root(store, user)
    parent = store.files.get(parent_id)
    role = store.role_of(user, parent) if parent else None
    if parent is None or role is None or (parent.drive_id and not all_drives):
        raise core.not_found(parent_id)
    if parent.mime_type != core.FOLDER:
        raise ApiError(400, "The specified parent is not a folder.", reason="badRequest")
    if core.ROLE_RANK[role] < core.ROLE_RANK[drive_model.WRITER]:
        raise insufficient_parent()
    return parent_id, parent.drive_id


def resolve_parents(
    store: Store, user: str, ids: list[str], all_drives: bool
) -> tuple[list[str], str | None]:
    """Parents for a new item (default: the user's My Drive) and the shared drive it joins."""
    if not ids:
        return [drive_model.ensure_root(store, user).id], None
    resolved = [resolve_parent(store, user, pid, all_drives) for pid in ids]
    if len(resolved) > 1:
        raise too_many_parents(any(drive_id for _, drive_id in resolved))
    parent_id, drive_id = resolved[0]
    return [parent_id], drive_id


# -- create ------------------------------------------------------------------------------------


@dataclass
class Media:
    """Uploaded bytes and the type the client declared for them."""

    content_type: str
    data: bytes


@dataclass
class NewFile:
    """A validated create (or copy) waiting for its content."""

    user: str
    name: str
    mime_type: str
    parents: list[str]
    drive_id: str | None
    file_id: str
    description: str = ""
    app_properties: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    created_time: float | None = None
    modified_time: float | None = None
    writers_can_share: bool = True


def bool_field(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise bad_value(name)
    return value


def plan_create(
    store: Store, req: Request, metadata: dict[str, Any], media_type: str | None
) -> NewFile:
    check_body(metadata, CREATE_FIELDS)
    user = req.user
    parents, drive_id = resolve_parents(
        store, user, parents_field(metadata), supports_all_drives(req)
    )
    mime = string_field(metadata, "mimeType") or drive_content.base_type(
        media_type or drive_content.OCTET_STREAM
    )
    return NewFile(
        user=user,
        name=string_field(metadata, "name") or UNTITLED,
        mime_type=mime,
        parents=parents,
        drive_id=drive_id,
        file_id=new_file_id(store, string_field(metadata, "id")),
        description=string_field(metadata, "description") or "",
        app_properties=patched({}, property_patch(metadata, "appProperties")),
        properties=patched({}, property_patch(metadata, "properties")),
        created_time=timestamp_field(metadata, "createdTime"),
        modified_time=timestamp_field(metadata, "modifiedTime"),
        # The creator owns a My Drive item, so may set it; shared-drive items do not keep it.
        writers_can_share=bool_field(metadata, WRITERS_CAN_SHARE) is not False,
    )


def new_file_id(store: Store, requested: str | None) -> str:
    """A fresh id, or the caller's (from generateIds) when it is well formed and unused."""
    if requested is None:
        return core.new_id()
    if not FILE_ID.fullmatch(requested):
        raise bad_value("id")
    if requested in store.files:
        raise ApiError(409, "A file already exists with the provided ID.", reason="fileIdInUse")
    return requested


def content_for(mime_type: str, media: Media | None, name: str) -> dict[str, Any]:
    """The ``doc``/``sheet``/``blob`` attributes of a new file, converting uploads to native
    types when the metadata asks for one."""
    if mime_type == core.FOLDER:
        if media is not None:
            raise drive_content.conversion_not_supported()
        return {}
    if drive_content.is_native(mime_type):
        if media is None:
            return drive_content.new_content(mime_type)
        return drive_content.convert_upload(mime_type, media.content_type, media.data, name)
    return {"blob": media.data if media is not None else b""}


def commit_create(store: Store, plan: NewFile, content: dict[str, Any]) -> File:
    f = File(
        id=plan.file_id,
        name=plan.name,
        mime_type=plan.mime_type,
        owner=None if plan.drive_id else plan.user.lower(),
        parents=plan.parents,
        drive_id=plan.drive_id,
        app_properties=plan.app_properties,
        properties=plan.properties,
        description=plan.description,
        writers_can_share=plan.writers_can_share or plan.drive_id is not None,
        **content,
    )
    if plan.created_time is not None:
        f.created_time = plan.created_time
    f.modified_time = plan.modified_time or f.created_time
    return store.add_file(f, plan.user)


def create_file(store: Store, req: Request, metadata: dict[str, Any], media: Media | None) -> File:
    plan = plan_create(store, req, metadata, media.content_type if media else None)
    return commit_create(store, plan, content_for(plan.mime_type, media, plan.name))


def create(ctx: core.Context, req: Request) -> dict[str, Any]:
    mask = response_mask(req, "File", FILE_DEFAULT)
    f = create_file(ctx.store, req, req.json(), None)
    return mask.apply(file_resource(ctx.store, req.user, f))


# -- get ---------------------------------------------------------------------------------------


def get(ctx: core.Context, req: Request, file_id: str) -> dict[str, Any] | Response:
    if req.arg("alt") == "media":
        return download(ctx.store, req, file_id)
    mask = response_mask(req, "File", FILE_DEFAULT)
    f = require_file(ctx.store, req.user, file_id, "read", supports_all_drives(req))
    return mask.apply(file_resource(ctx.store, req.user, f))


RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def download(store: Store, req: Request, file_id: str) -> Response:
    """``alt=media``: the bytes of a binary file, honouring a single ``Range`` (206)."""
    f = require_file(store, req.user, file_id, "read", supports_all_drives(req))
    if f.blob is None:
        raise ApiError(
            403,
            "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            reason="fileNotDownloadable",
            location="alt",
            location_type="parameter",
        )
    headers = {"Content-Type": f.mime_type}
    found = RANGE.fullmatch(req.headers.get("range", "").strip())
    if not found or not (found.group(1) or found.group(2)):
        return Response(200, f.blob, headers)
    total = len(f.blob)
    if found.group(1):
        start = int(found.group(1))
        end = min(int(found.group(2)), total - 1) if found.group(2) else total - 1
    else:
        start, end = max(total - int(found.group(2)), 0), total - 1
    if start >= total or start > end:
        return Response(416, b"", {"Content-Range": f"bytes */{total}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    return Response(206, f.blob[start : end + 1], headers)


# -- list --------------------------------------------------------------------------------------


def list_files(ctx: core.Context, req: Request) -> dict[str, Any]:
    """files.list. The query narrows the search through the store's index when it can (a
    parent, owner, appProperties, name or modifiedTime term), so the cost follows the
    candidates, not the store; each candidate is still checked against the whole query and the
    caller's access, so the answer is what a full scan finds."""
    mask = response_mask(req, "FileList", FILE_LIST_DEFAULT)
    store, user = ctx.store, req.user
    scope = corpus_scope(store, req)
    q = req.arg("q")
    from .query import parse_query

    query = parse_query(q or "")
    if scope is None:
        candidates: list[File] = []
    else:
        ids = query.candidates(store.files.index, user) if q else None
        among = None if ids is None else [store.files[i] for i in ids]
        candidates = scope.files(store, user, among)
    if q:
        candidates = [f for f in candidates if query.matches(f, store, user)]
    ordered = sort_files(candidates, req.arg("orderBy"))
    chunk, token = drive_model.page(ordered, req, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
    out: dict[str, Any] = {
        "kind": FILE_LIST_KIND,
        "incompleteSearch": False,
        "files": [file_resource(store, user, f) for f in chunk],
    }
    if token:
        out["nextPageToken"] = token
    return mask.apply(out)


@dataclass(frozen=True)
class Scope:
    """Which files a files.list may return, from its corpora and shared-drive parameters."""

    drive_id: str | None
    include_drives: bool

    def files(self, store: Store, user: str, among: list[File] | None = None) -> list[File]:
        """The files of ``among`` (default: the whole store) in this scope that ``user`` can
        read, roots excluded."""
        out = []
        for f in store.files.values() if among is None else among:
            if drive_model.is_root(f) or not drive_model.readable(store, user, f):
                continue
            if self.drive_id and f.drive_id != self.drive_id:
                continue
            if f.drive_id and not self.include_drives:
                continue
            out.append(f)
        return out


def corpus_scope(store: Store, req: Request) -> Scope | None:
    """The checked corpora of ``req`` (400 for bad combinations); None when the requested
    spaces hold no files."""
    user = req.user
    corpora = req.arg("corpora") or "user"
    if corpora not in CORPORA:
        raise drive_model.invalid_value("corpora")
    drive_id = req.arg("driveId") or req.arg("teamDriveId")
    if (corpora == DRIVE_CORPUS) != bool(drive_id):
        raise drive_model.invalid_value(
            "driveId",
            "The driveId parameter must be specified if and only if corpora is set to drive.",
        )
    if not in_drive_space(req.arg("spaces")):
        return None
    include_drives = req.flag("includeItemsFromAllDrives") or req.flag("includeTeamDriveItems")
    if drive_id:
        if not (include_drives and supports_all_drives(req)):
            raise drive_model.invalid_value(
                "includeItemsFromAllDrives",
                "The includeItemsFromAllDrives parameter must be set to true when driveId is set.",
            )
        drive_model.require_drive(store, user, drive_id)
    return Scope(drive_id, include_drives)


def in_drive_space(spaces: str | None) -> bool:
    """Whether the listed spaces include Drive proper (the sandbox keeps no appData files)."""
    names = id_list(spaces) or [DRIVE_SPACE]
    if any(name not in KNOWN_SPACES for name in names):
        raise drive_model.invalid_value("spaces")
    return DRIVE_SPACE in names


def _natural(name: str) -> list[Any]:
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", name)
        if part
    ]


SORT_KEYS: dict[str, Callable[[File], Any]] = {
    "name": lambda f: f.name.casefold(),
    "name_natural": lambda f: _natural(f.name),
    "modifiedTime": lambda f: f.modified_time,
    "recency": lambda f: f.modified_time,
    "createdTime": lambda f: f.created_time,
    "folder": lambda f: f.mime_type != core.FOLDER,
    "quotaBytesUsed": lambda f: len(f.blob or b""),
    "starred": lambda f: 0,  # nobody stars anything in the sandbox
}
DEFAULT_ORDER = "modifiedTime desc"


def sort_files(files: list[File], order_by: str | None) -> list[File]:
    """Sort by ``orderBy`` keys (each optionally ``desc``); ties fall back to the id so paging
    is stable."""
    keys = []
    for term in id_list(order_by or DEFAULT_ORDER):
        name, _, direction = term.partition(" ")
        if name not in SORT_KEYS or direction.strip() not in ("", DESCENDING):
            raise drive_model.invalid_value("orderBy")
        keys.append((SORT_KEYS[name], direction.strip() == DESCENDING))
    ordered = sorted(files, key=lambda f: f.id)
    for key, descending in reversed(keys):
        ordered.sort(key=key, reverse=descending)
    return ordered


# -- update ------------------------------------------------------------------------------------


@dataclass
class FilePatch:
    """A validated update of one file, content included, not yet applied."""

    file: File
    user: str
    name: str | None = None
    description: str | None = None
    app_properties: dict[str, str | None] = field(default_factory=dict)
    properties: dict[str, str | None] = field(default_factory=dict)
    trashed: bool | None = None
    modified_time: float | None = None
    parents: list[str] | None = None
    content: dict[str, Any] | None = None
    writers_can_share: bool | None = None


def plan_update(
    store: Store, req: Request, file_id: str, metadata: dict[str, Any], media: Media | None
) -> FilePatch:
    check_body(metadata, UPDATE_FIELDS, {"parents": parents_not_writable, "id": not_writable})
    user = req.user
    f = require_file(store, user, file_id, "read", supports_all_drives(req))
    patch = FilePatch(f, user)
    trashed = metadata.get("trashed")
    if trashed is not None:
        if not isinstance(trashed, bool):
            raise bad_value("trashed")
        if trashed != f.trashed and not drive_resources.may_trash(store, user, f):
            raise core.forbidden()
        patch.trashed = trashed
    add, remove = id_list(req.arg("addParents")), id_list(req.arg("removeParents"))
    changes_more = media is not None or add or remove or any(k != "trashed" for k in metadata)
    if changes_more:
        require_write(store, user, f)
    mime = string_field(metadata, "mimeType")
    if mime is not None and mime != f.mime_type:
        raise not_writable()
    patch.name = string_field(metadata, "name")
    if patch.name is not None and drive_model.is_root(f):
        raise core.forbidden()
    if "description" in metadata:
        patch.description = string_field(metadata, "description") or ""
    patch.app_properties = property_patch(metadata, "appProperties")
    patch.properties = property_patch(metadata, "properties")
    patch.modified_time = timestamp_field(metadata, "modifiedTime")
    writers_can_share = bool_field(metadata, WRITERS_CAN_SHARE)
    if writers_can_share is not None and f.drive_id is None:  # not kept in shared drives
        if not drive_sharing.may_change_writers_can_share(store, user, f):
            raise core.forbidden()
        patch.writers_can_share = writers_can_share
    if add or remove:
        patch.parents = moved_parents(store, req, f, add, remove)
    if media is not None:
        patch.content = replaced_content(f, media)
    return patch


def require_write(store: Store, user: str, f: File) -> None:
    role = store.role_of(user, f)
    if role is None or core.ROLE_RANK[role] < core.ROLE_RANK[drive_model.WRITER]:
        raise core.forbidden()


def moved_parents(
    store: Store, req: Request, f: File, add: list[str], remove: list[str]
) -> list[str]:
    user = req.user
    removed = {drive_model.resolve_alias(user, pid) for pid in remove}
    parents = [pid for pid in f.parents if pid not in removed]
    below = {d.id for d in drive_model.descendants(store, f)} | {f.id}
    for pid in add:
        parent_id, drive_id = resolve_parent(store, user, pid, supports_all_drives(req))
        if drive_id != f.drive_id:
            raise cross_drive_move()
        if parent_id in below:
            raise ApiError(
                400, "A folder cannot be moved into itself or its descendants.", reason="badRequest"
            )
        if parent_id not in parents:
            parents.append(parent_id)
    if len(parents) > 1 or (f.drive_id and not parents):
        raise too_many_parents(bool(f.drive_id))
    return parents


def replaced_content(f: File, media: Media) -> dict[str, Any]:
    """New content for ``f``: a converting update replaces a native file's whole content."""
    if f.mime_type == core.FOLDER:
        raise drive_content.conversion_not_supported()
    if drive_content.is_native(f.mime_type):
        return drive_content.convert_upload(f.mime_type, media.content_type, media.data, f.name)
    return {"blob": media.data}


def commit_update(store: Store, patch: FilePatch) -> File:
    f = patch.file
    if patch.name is not None:
        f.name = patch.name
    if patch.description is not None:
        f.description = patch.description
    if patch.writers_can_share is not None:
        f.writers_can_share = patch.writers_can_share
    f.app_properties = patched(f.app_properties, patch.app_properties)
    f.properties = patched(f.properties, patch.properties)
    if patch.parents is not None:
        f.parents = patch.parents
    if patch.content is not None:
        for attr, value in patch.content.items():
            setattr(f, attr, value)
    if patch.trashed is not None and patch.trashed != f.trashed:
        set_trashed(store, patch.user, f, patch.trashed)
    store.touch(f, patch.user)
    if patch.modified_time is not None:
        f.modified_time = patch.modified_time
    return f


def set_trashed(store: Store, user: str, f: File, trashed: bool) -> None:
    """Trash (or restore) ``f`` and, for a folder, everything below it, as Drive does."""
    f.trashed = trashed
    for item in drive_model.descendants(store, f):
        if item.trashed != trashed:
            item.trashed = trashed
            store.record_change(item)


def update_file(
    store: Store, req: Request, file_id: str, metadata: dict[str, Any], media: Media | None
) -> File:
    return commit_update(store, plan_update(store, req, file_id, metadata, media))


def update(ctx: core.Context, req: Request, file_id: str) -> dict[str, Any]:
    mask = response_mask(req, "File", FILE_DEFAULT)
    f = update_file(ctx.store, req, file_id, req.json(), None)
    return mask.apply(file_resource(ctx.store, req.user, f))


# -- copy --------------------------------------------------------------------------------------


def copy(ctx: core.Context, req: Request, file_id: str) -> dict[str, Any]:
    """The caller owns the copy; content is deep-copied; the body patches the source's metadata
    (``appProperties``/``properties`` carry over unless the body clears a key with null)."""
    mask = response_mask(req, "File", FILE_DEFAULT)
    store, user = ctx.store, req.user
    body = req.json()
    check_body(body, COPY_FIELDS)
    all_drives = supports_all_drives(req)
    src = require_file(store, user, file_id, "read", all_drives)
    if src.mime_type == core.FOLDER:
        raise ApiError(403, "This file cannot be copied by the user.", reason="cannotCopyFile")
    mime = string_field(body, "mimeType")
    if mime is not None and mime != src.mime_type:
        raise drive_content.conversion_not_supported()
    requested = parents_field(body)
    if requested:
        parents, drive_id = resolve_parents(store, user, requested, all_drives)
    else:
        parents, drive_id = default_copy_parents(store, user, src, all_drives)
    description = string_field(body, "description")
    plan = NewFile(
        user=user,
        name=string_field(body, "name") or COPY_PREFIX + src.name,
        mime_type=src.mime_type,
        parents=parents,
        drive_id=drive_id,
        file_id=new_file_id(store, string_field(body, "id")),
        description=src.description if description is None else description,
        app_properties=patched(src.app_properties, property_patch(body, "appProperties")),
        properties=patched(src.properties, property_patch(body, "properties")),
        writers_can_share=bool_field(body, WRITERS_CAN_SHARE) is not False,
    )
    f = commit_create(store, plan, copied_content(src))
    return mask.apply(file_resource(store, user, f))


def default_copy_parents(
    store: Store, user: str, src: File, all_drives: bool
) -> tuple[list[str], str | None]:
    """The source's folder when the caller may write there, else the caller's My Drive."""
    for pid in src.parents:
        try:
            parent_id, drive_id = resolve_parent(store, user, pid, all_drives)
        except ApiError:
            continue
        return [parent_id], drive_id
    return resolve_parents(store, user, [], all_drives)


def copied_content(src: File) -> dict[str, Any]:
    if src.doc is not None:
        return {"doc": src.doc.copy()}
    if src.sheet is not None:
        return {"sheet": src.sheet.copy()}
    if src.blob is not None:
        return {"blob": bytes(src.blob)}
    return {}


# -- delete and trash --------------------------------------------------------------------------


def delete(ctx: core.Context, req: Request, file_id: str) -> Response:
    store, user = ctx.store, req.user
    f = require_file(store, user, file_id, "read", supports_all_drives(req))
    if not drive_resources.may_delete(store, user, f):
        raise core.forbidden()
    delete_files(store, user, [f])
    return Response.empty(204)


def delete_files(store: Store, user: str, files: list[File]) -> None:
    """Delete ``files`` and what goes with them: in My Drive the descendants the user owns, in
    a shared drive all descendants. Items that survive lose the deleted folder as a parent."""
    doomed: dict[str, File] = {}
    for f in files:
        doomed[f.id] = f
        for item in drive_model.descendants(store, f):
            if f.drive_id or (item.owner or "").lower() == user.lower():
                doomed[item.id] = item
    readers = {fid: drive_model.readers_of(store, f) for fid, f in doomed.items()}
    graves = drive_model.tombstones(store)
    for fid, f in doomed.items():
        graves[fid] = readers[fid]
        del store.files[fid]
        store.record_change(f, removed=True)
    index = store.files.index
    orphaned = {child for fid in doomed for child in index.children(fid)}
    for survivor in [store.files[i] for i in index.in_table_order(orphaned)]:
        survivor.parents = [pid for pid in survivor.parents if pid not in doomed]
        store.record_change(survivor)


def empty_trash(ctx: core.Context, req: Request) -> Response:
    """Delete the user's trashed My Drive files, or a shared drive's (organizers only)."""
    store, user = ctx.store, req.user
    drive_id = req.arg("driveId")
    if drive_id:
        drive_model.require_drive(store, user, drive_id, need="owner")  # organizer rank
        doomed = [f for f in trashed_files(store) if f.drive_id == drive_id]
    else:
        doomed = [
            f
            for f in trashed_files(store)
            if not f.drive_id and (f.owner or "").lower() == user.lower()
        ]
    delete_files(store, user, doomed)
    return Response.empty(204)


def trashed_files(store: Store) -> list[File]:
    """The store's trashed files, in the order a scan of the store meets them."""
    index = store.files.index
    return [store.files[i] for i in index.in_table_order(index.trashed())]


# -- export, ids, comments ---------------------------------------------------------------------


def export(ctx: core.Context, req: Request, file_id: str) -> Response:
    """Export takes no ``supportsAllDrives``: shared-drive items export like any other."""
    mime = req.arg("mimeType")
    if not mime:
        raise drive_model.required_parameter("mimeType")
    f = require_file(ctx.store, req.user, file_id, "read", all_drives=True)
    data = drive_content.export(f, mime)
    return Response(
        200,
        data,
        {"Content-Type": drive_content.base_type(mime), "Content-Disposition": "attachment"},
    )


def generate_ids(ctx: core.Context, req: Request) -> dict[str, Any]:
    count = req.int_arg("count", GENERATED_IDS_DEFAULT)
    space = req.arg("space") or ID_SPACES[0]
    id_type = req.arg("type") or ID_TYPES[0]
    if not 1 <= count <= GENERATED_IDS_MAX:
        raise drive_model.invalid_value("count")
    if space not in ID_SPACES:
        raise drive_model.invalid_value("space")
    if id_type not in ID_TYPES:
        raise drive_model.invalid_value("type")
    return {
        "kind": GENERATED_IDS_KIND,
        "space": space,
        "ids": [core.new_id() for _ in range(count)],
    }


def list_comments(ctx: core.Context, req: Request, file_id: str) -> dict[str, Any]:
    """The sandbox models no comments, so every file has none; gspread's ``copy`` reads them."""
    mask = response_mask(req, "CommentList", drive_resources.EVERYTHING, required=True)
    require_file(ctx.store, req.user, file_id, "read", all_drives=True)
    return mask.apply({"kind": COMMENT_LIST_KIND, "comments": []})
