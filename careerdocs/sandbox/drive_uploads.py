"""Drive media uploads: ``uploadType=media|multipart|resumable`` on create and update, plus the
one Drive v2 route gspread uses (``PUT /upload/drive/v2/files/{id}?convert=true``, CSV import).

A resumable upload is a session: the POST (or PATCH) checks the metadata and answers 200 with a
``Location`` on the host the client called; PUTs then carry the bytes, whole or in chunks with
``Content-Range``. Unfinished chunks get ``308`` and a ``Range`` of what has arrived (the
transport must hand a 308 back to the client rather than follow it). Sessions live on the store,
so they survive a pickled restart like everything else.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from . import core, drive_content, drive_files, drive_model, drive_resources, multipart
from .core import ApiError, Request, Response, Router, Store
from .drive_files import Media
from .drive_resources import FILE_DEFAULT, file_resource, response_mask

UPLOAD_FILES = r"/upload/drive/v3/files"
UPLOAD_FILE = UPLOAD_FILES + r"/(?P<file_id>[^/]+)"
UPLOAD_FILE_V2 = r"/upload/drive/v2/files/(?P<file_id>[^/]+)"

UPLOAD_TYPE = "uploadType"
MEDIA, MULTIPART, RESUMABLE = "media", "multipart", "resumable"
UPLOAD_ID = "upload_id"
RELATED = "multipart/related"
UPLOAD_CONTENT_TYPE = "x-upload-content-type"
UPLOAD_CONTENT_LENGTH = "x-upload-content-length"
BASE64 = "base64"
RESUME_INCOMPLETE = 308
SESSIONS_ATTR = "drive_upload_sessions"
CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")
UNKNOWN_TOTAL = "*"
RESUME_METHOD = "uploads.resume"  # counted apart: a chunk is not another files.create


def register(router: Router) -> None:
    add = functools.partial(router.add, api="drive", kind="write")
    add("POST", UPLOAD_FILES, upload_create, name="files.create")
    add("PUT", UPLOAD_FILES, resume_upload, name=RESUME_METHOD)
    add("PATCH", UPLOAD_FILE, upload_update, name="files.update")
    add("PUT", UPLOAD_FILE, resume_upload, name=RESUME_METHOD)
    add("PUT", UPLOAD_FILE_V2, import_v2, name="files.update")


def bad_upload(message: str) -> ApiError:
    return ApiError(400, message, reason="badRequest")


# -- one-shot uploads --------------------------------------------------------------------------


def read_upload(req: Request) -> tuple[dict[str, Any], Media]:
    """Metadata and media of a ``media`` or ``multipart`` upload."""
    upload_type = req.arg(UPLOAD_TYPE)
    if upload_type == MEDIA:
        content_type = req.headers.get("content-type") or drive_content.OCTET_STREAM
        return {}, Media(content_type, req.body)
    if upload_type == MULTIPART:
        return read_multipart(req)
    raise bad_upload(f"Invalid upload type: {upload_type!r}. Use media, multipart or resumable.")


def read_multipart(req: Request) -> tuple[dict[str, Any], Media]:
    content_type = req.headers.get("content-type", "")
    if multipart.media_type(content_type) != RELATED:
        raise bad_upload("A multipart upload must be sent as multipart/related.")
    try:
        parts = multipart.parse_multipart(req.body, content_type)
    except multipart.MalformedMessage as exc:
        raise bad_upload(f"Malformed multipart body: {exc}") from None
    if len(parts) != 2:
        raise bad_upload("A multipart upload must have exactly two parts: metadata and media.")
    meta_part, media_part = parts
    metadata = parse_metadata(meta_part.body)
    data = media_part.body
    if media_part.headers.get("content-transfer-encoding", "").lower() == BASE64:
        try:
            data = base64.b64decode(data)
        except binascii.Error:
            raise bad_upload("The media part is not valid base64.") from None
    media_type = media_part.content_type or drive_content.OCTET_STREAM
    return metadata, Media(media_type, data)


def parse_metadata(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"Invalid JSON payload received. {exc}", reason="parseError") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON payload received.", reason="parseError")
    return data


def upload_create(ctx: core.Context, req: Request) -> dict[str, Any] | Response:
    mask = response_mask(req, "File", FILE_DEFAULT)
    if req.arg(UPLOAD_TYPE) == RESUMABLE:
        return start_session(ctx.store, req, None)
    metadata, media = read_upload(req)
    f = drive_files.create_file(ctx.store, req, metadata, media)
    return mask.apply(file_resource(ctx.store, req.user, f))


def upload_update(ctx: core.Context, req: Request, file_id: str) -> dict[str, Any] | Response:
    mask = response_mask(req, "File", FILE_DEFAULT)
    if req.arg(UPLOAD_TYPE) == RESUMABLE:
        return start_session(ctx.store, req, file_id)
    metadata, media = read_upload(req)
    f = drive_files.update_file(ctx.store, req, file_id, metadata, media)
    return mask.apply(file_resource(ctx.store, req.user, f))


# -- resumable sessions ------------------------------------------------------------------------


@dataclass
class UploadSession:
    """One resumable upload: the initiating call's parameters and the bytes so far."""

    id: str
    user: str
    method: str
    path: str
    file_id: str | None
    metadata: dict[str, Any]
    query: dict[str, list[str]]
    content_type: str
    total: int | None
    received: bytes = b""

    def request(self) -> Request:
        """The initiating request again (its parameters decide parents, fields, drives)."""
        return Request(self.method, self.path, self.query, {}, b"", user=self.user)


def sessions(store: Store) -> dict[str, UploadSession]:
    found = getattr(store, SESSIONS_ATTR, None)
    if found is None:
        found = {}
        setattr(store, SESSIONS_ATTR, found)
    return found


def start_session(store: Store, req: Request, file_id: str | None) -> Response:
    """Check the metadata now (as Google does) and open a session for the bytes."""
    metadata = req.json()
    declared_type = req.headers.get(UPLOAD_CONTENT_TYPE)
    if file_id is None:
        drive_files.plan_create(store, req, metadata, declared_type)
    else:
        drive_files.plan_update(store, req, file_id, metadata, None)
    length = req.headers.get(UPLOAD_CONTENT_LENGTH)
    session = UploadSession(
        id=core.new_id(64),
        user=req.user,
        method=req.method,
        path=req.path,
        file_id=file_id,
        metadata=metadata,
        query={k: v for k, v in req.query.items() if k != UPLOAD_TYPE},
        content_type=declared_type or drive_content.OCTET_STREAM,
        total=int(length) if length and length.isdigit() else None,
    )
    sessions(store)[session.id] = session
    host = req.headers.get("host", "127.0.0.1")
    location = f"http://{host}{req.path}?{UPLOAD_TYPE}={RESUMABLE}&{UPLOAD_ID}={session.id}"
    return Response(200, b"", {"Location": location, "X-GUploader-UploadID": session.id})


def resume_upload(
    ctx: core.Context, req: Request, file_id: str | None = None
) -> dict[str, Any] | Response:
    """A PUT to a session URL: take a chunk, answer 308 until the last byte, then the file."""
    store = ctx.store
    session = sessions(store).get(req.arg(UPLOAD_ID) or "")
    if session is None or session.file_id != file_id:
        raise ApiError(
            404,
            "No upload session with this id.",
            reason="notFound",
            location=UPLOAD_ID,
            location_type="parameter",
        )
    start, total = content_range(req, session)
    if start is not None:
        if start > len(session.received):
            raise bad_upload(
                f"Chunk starts at byte {start} but only {len(session.received)} bytes have arrived."
            )
        session.received = session.received[:start] + req.body
    if total is not None:
        session.total = total
    if session.total is None or len(session.received) < session.total:
        return incomplete(session)
    if len(session.received) > session.total:
        raise bad_upload("More bytes arrived than the upload declared.")
    del sessions(store)[session.id]
    return finish(store, session)


def content_range(req: Request, session: UploadSession) -> tuple[int | None, int | None]:
    """(first byte of this chunk or None for a status query, declared total or None)."""
    header = req.headers.get("content-range")
    if header is None:
        return len(session.received), len(session.received) + len(req.body)
    found = CONTENT_RANGE.fullmatch(header.strip())
    if not found:
        raise bad_upload(f"Invalid Content-Range: {header}")
    first, last, total = found.groups()
    declared = None if total == UNKNOWN_TOTAL else int(total)
    if first is None:
        return None, declared
    if int(last) - int(first) + 1 != len(req.body):
        raise bad_upload("The chunk's length does not match its Content-Range.")
    return int(first), declared


def incomplete(session: UploadSession) -> Response:
    headers = {}
    if session.received:
        headers["Range"] = f"bytes=0-{len(session.received) - 1}"
    return Response(RESUME_INCOMPLETE, b"", headers)


def finish(store: Store, session: UploadSession) -> dict[str, Any]:
    req = session.request()
    mask = response_mask(req, "File", FILE_DEFAULT)
    media = Media(session.content_type, session.received)
    if session.file_id is None:
        f = drive_files.create_file(store, req, session.metadata, media)
    else:
        f = drive_files.update_file(store, req, session.file_id, session.metadata, media)
    return mask.apply(file_resource(store, session.user, f))


# -- Drive v2 import (gspread's import_csv) ----------------------------------------------------


def import_v2(ctx: core.Context, req: Request, file_id: str) -> dict[str, Any]:
    """Replace a file's content with the body, converting into a native file's own type.
    Converting a binary file into a native one (v2's ``convert`` on a blob) is not modelled."""
    if req.arg(UPLOAD_TYPE) != MEDIA:
        raise bad_upload("The sandbox serves Drive v2 uploads with uploadType=media only.")
    store = ctx.store
    f = drive_model.require_file(
        store, req.user, file_id, "read", drive_model.supports_all_drives(req)
    )
    if req.flag("convert") != drive_content.is_native(f.mime_type):
        raise drive_content.conversion_not_supported()
    media = Media(req.headers.get("content-type") or drive_content.OCTET_STREAM, req.body)
    f = drive_files.update_file(store, req, file_id, {}, media)
    return drive_resources.file_resource_v2(store, req.user, f)
