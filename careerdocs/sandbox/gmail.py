"""Gmail v1 in the sandbox: ``users.messages.send`` as the impersonated user, and the
``list``/``get`` calls tests use to read back what was sent.

Mail is not delivered anywhere: each sent message is kept in ``store.messages[sender]`` (the
sender's Sent mail). Under domain-wide delegation the sender is always the impersonated user;
``userId`` must be ``me`` or that user's own address, anything else is Gmail's 403 "Delegation
denied". As Gmail does, sending adds a ``Date`` header when the message has none and sets
``From`` to the sender when it is missing or names someone else.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.errors
import email.utils
import html
import json
import re
import secrets
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from typing import Any
from urllib.parse import unquote

from . import core

ME = "me"
SENT = "SENT"
INBOX = "INBOX"
UNREAD = "UNREAD"
RECIPIENT_HEADERS = ("To", "Cc", "Bcc")
FROM = "From"
DATE = "Date"

RAW_REQUIRED = "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
RECIPIENT_REQUIRED = "Recipient address required"
NOT_FOUND = "Requested entity was not found."
INVALID_ARGUMENT = "invalidArgument"

UPLOAD_MEDIA = "media"
UPLOAD_MULTIPART = "multipart"
MESSAGE_MEDIA_PREFIX = "message/"
JSON_MEDIA = "application/json"

FORMAT_FULL = "full"
FORMAT_RAW = "raw"
FORMAT_METADATA = "metadata"
FORMAT_MINIMAL = "minimal"
FORMATS = (FORMAT_FULL, FORMAT_RAW, FORMAT_METADATA, FORMAT_MINIMAL)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MESSAGE_ID_BYTES = 8  # Gmail ids are 16 hex digits
SNIPPET_LENGTH = 200
HISTORY_ID_BASE = 1000
TEXT_PLAIN = "text/plain"
DEFAULT_CHARSET = "utf-8"

# An address Gmail accepts: something@domain.tld ("human@f" is an "Invalid To header").
_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def register(router: core.Router) -> None:
    user = r"/users/(?P<user_id>[^/]+)"
    router.add(
        "POST",
        rf"/gmail/v1{user}/messages/send",
        send_message,
        api="gmail",
        kind="write",
        name="users.messages.send",
    )
    router.add(
        "POST",
        rf"/upload/gmail/v1{user}/messages/send",
        upload_message,
        api="gmail",
        kind="write",
        name="users.messages.send",
    )
    router.add(
        "GET",
        rf"/gmail/v1{user}/messages",
        list_messages,
        api="gmail",
        kind="read",
        name="users.messages.list",
    )
    router.add(
        "GET",
        rf"/gmail/v1{user}/messages/(?P<message_id>[^/]+)",
        get_message,
        api="gmail",
        kind="read",
        name="users.messages.get",
    )


# -- handlers ----------------------------------------------------------------------------------


def send_message(ctx: core.Context, req: core.Request, user_id: str) -> dict[str, Any]:
    """users.messages.send with the message in the JSON body's ``raw`` (base64url)."""
    sender = _mailbox(req, user_id)
    body = req.json()
    raw = body.get("raw")
    if not raw:
        raise _invalid_argument(RAW_REQUIRED)
    return _send(ctx, sender, _decode_raw(str(raw)), body.get("threadId"))


def upload_message(ctx: core.Context, req: core.Request, user_id: str) -> dict[str, Any]:
    """users.messages.send through the upload URL: ``uploadType=media`` carries the message
    itself, ``multipart`` a JSON metadata part and then the message."""
    sender = _mailbox(req, user_id)
    upload_type = req.arg("uploadType")
    content_type = req.headers.get("content-type", "")
    metadata: dict[str, Any] = {}
    if upload_type == UPLOAD_MEDIA:
        media_type, message = content_type, req.body
    elif upload_type == UPLOAD_MULTIPART:
        metadata, media_type, message = _split_related(req.body, content_type)
    else:
        raise core.bad_request(
            f"uploadType={upload_type} is not supported by the sandbox; use media or multipart."
        )
    _check_media_type(media_type)
    if not message:
        raise _invalid_argument(RAW_REQUIRED)
    return _send(ctx, sender, message, metadata.get("threadId"))


def list_messages(ctx: core.Context, req: core.Request, user_id: str) -> dict[str, Any]:
    """users.messages.list, newest first, filtered by ``labelIds`` (all must match)."""
    owner = _mailbox(req, user_id)
    if (req.arg("q") or "").strip():
        raise core.bad_request("The sandbox does not evaluate Gmail search queries (q).")
    wanted = set(req.query.get("labelIds", []))
    found = [m for m in reversed(ctx.store.messages.get(owner, [])) if wanted <= set(m.label_ids)]
    size = min(max(req.int_arg("maxResults", DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
    start = max(req.int_arg("pageToken", 0), 0)
    page = found[start : start + size]
    out: dict[str, Any] = {}
    if page:
        out["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
    if start + size < len(found):
        out["nextPageToken"] = str(start + size)
    out["resultSizeEstimate"] = len(found)
    return out


def get_message(
    ctx: core.Context, req: core.Request, user_id: str, message_id: str
) -> dict[str, Any]:
    """users.messages.get in the ``full`` (default), ``raw``, ``metadata`` or ``minimal``
    format."""
    owner = _mailbox(req, user_id)
    fmt = req.arg("format") or FORMAT_FULL
    if fmt not in FORMATS:
        raise _invalid_argument(f"Invalid value at 'format', \"{fmt}\"")
    mailbox = ctx.store.messages.get(owner, [])
    wanted = unquote(message_id)
    for position, message in enumerate(mailbox):
        if message.id == wanted:
            return _resource(message, position, fmt, req.query.get("metadataHeaders", []))
    raise core.ApiError(404, NOT_FOUND, reason="notFound")


# -- sending -----------------------------------------------------------------------------------


def _mailbox(req: core.Request, user_id: str) -> str:
    """The mailbox a call may touch: only the acting user's own."""
    user_id = unquote(user_id)
    if user_id == ME or user_id.lower() == req.user.lower():
        return req.user.lower()
    raise core.ApiError(403, f"Delegation denied for {req.user}", reason="forbidden")


def _send(ctx: core.Context, sender: str, raw: bytes, thread_id: Any) -> dict[str, Any]:
    recipients = _recipients(email.message_from_bytes(raw))
    if not recipients:
        raise _invalid_argument(RECIPIENT_REQUIRED)
    raw = _stamp(raw, sender)
    mailbox = ctx.store.messages.setdefault(sender, [])
    message_id = secrets.token_hex(MESSAGE_ID_BYTES)
    known_threads = {m.thread_id for m in mailbox}
    thread = thread_id if isinstance(thread_id, str) and thread_id in known_threads else message_id
    labels = [UNREAD, SENT, INBOX] if sender in recipients else [SENT]
    mailbox.append(core.Message(message_id, thread, sender, raw, labels))
    return {"id": message_id, "threadId": thread, "labelIds": labels}


def _decode_raw(raw: str) -> bytes:
    """Gmail reads ``raw`` as base64url but tolerates the standard alphabet and no padding."""
    text = "".join(raw.split()).replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise core.ApiError(
            400,
            f"Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for \"{raw}\"",
            reason="invalid",
        ) from None


def _recipients(message: MimeMessage) -> set[str]:
    """Lower-cased addresses from To, Cc and Bcc; a malformed one is Gmail's "Invalid <Header>
    header"."""
    found: set[str] = set()
    for header in RECIPIENT_HEADERS:
        for value in message.get_all(header, []):
            if not str(value).strip():
                continue
            addresses = email.utils.getaddresses([str(value)])
            for _, address in addresses:
                if not _ADDRESS.fullmatch(address):
                    raise _invalid_argument(f"Invalid {header} header")
                found.add(address.lower())
    return found


def _stamp(raw: bytes, sender: str) -> bytes:
    """Add ``Date`` if missing; make ``From`` the sender (keeping a display name)."""
    message = email.message_from_bytes(raw)
    current_from = email.utils.parseaddr(str(message.get(FROM, "")))
    if current_from[1].lower() != sender:
        raw = _replace_header(raw, FROM, email.utils.formataddr((current_from[0], sender)))
    if message.get(DATE) is None:
        raw = _replace_header(raw, DATE, email.utils.formatdate(usegmt=True))
    return raw


def _replace_header(raw: bytes, name: str, value: str) -> bytes:
    """``raw`` with every ``name`` header (folded lines included) replaced by one at the top.

    Works on the bytes so the rest of the message stays exactly as the client wrote it.
    """
    match = _HEADER_END.search(raw)
    head, rest = (raw[: match.start()], raw[match.start() :]) if match else (raw, b"")
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    kept: list[bytes] = []
    dropping = False
    prefix = name.lower().encode() + b":"
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        dropping = line.lower().startswith(prefix)
        if not dropping:
            kept.append(line)
    header = f"{name}: {value}".encode()
    return newline.join([header, *kept]) + rest


def _check_media_type(media_type: str) -> None:
    essence = media_type.split(";", 1)[0].strip().lower()
    if not essence.startswith(MESSAGE_MEDIA_PREFIX):
        raise core.ApiError(
            400,
            f"Media type '{essence}' is not supported. Valid media types: [message/*]",
            reason="badContent",
        )


def _split_related(body: bytes, content_type: str) -> tuple[dict[str, Any], str, bytes]:
    """The JSON metadata, media type and media bytes of a multipart/related upload."""
    holder = MimeMessage()
    holder["Content-Type"] = content_type
    boundary = holder.get_param("boundary")
    if holder.get_content_type() != "multipart/related" or not isinstance(boundary, str):
        raise core.bad_request("A multipart upload needs a multipart/related body with a boundary.")
    parts = _parts(body, boundary.encode())
    if len(parts) != 2:
        raise core.bad_request("A multipart upload has exactly two parts: metadata and media.")
    (_, meta_body), (media_headers, media) = parts
    metadata: dict[str, Any] = {}
    if meta_body.strip():
        try:
            metadata = json.loads(meta_body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise core.ApiError(
                400, "Invalid JSON payload received.", reason="parseError"
            ) from None
    if not isinstance(metadata, dict):
        raise core.ApiError(400, "Invalid JSON payload received.", reason="parseError")
    return metadata, media_headers.get("content-type", ""), media


def _parts(body: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart body by hand: the email parser would re-serialise a message/rfc822
    part, and the message must be stored byte for byte."""
    parts = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.removeprefix(b"\n")
        chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk.removesuffix(b"\n")
        match = _HEADER_END.search(chunk)
        head, content = (chunk[: match.start()], chunk[match.end() :]) if match else (chunk, b"")
        headers = {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, content))
    return parts


def _invalid_argument(message: str) -> core.ApiError:
    return core.ApiError(400, message, reason=INVALID_ARGUMENT)


# -- reading back ------------------------------------------------------------------------------


def _resource(
    message: core.Message, position: int, fmt: str, metadata_headers: list[str]
) -> dict[str, Any]:
    parsed = email.message_from_bytes(message.raw)
    out: dict[str, Any] = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": list(message.label_ids),
        "snippet": _snippet(parsed),
    }
    if fmt == FORMAT_RAW:
        out["raw"] = base64.urlsafe_b64encode(message.raw).decode("ascii")
    elif fmt == FORMAT_FULL:
        out["payload"] = _part(parsed, "")
    elif fmt == FORMAT_METADATA:
        wanted = {h.lower() for h in metadata_headers}
        out["payload"] = {
            "partId": "",
            "mimeType": parsed.get_content_type(),
            "filename": "",
            "headers": [h for h in _headers(parsed) if not wanted or h["name"].lower() in wanted],
        }
    out["sizeEstimate"] = len(message.raw)
    out["historyId"] = str(HISTORY_ID_BASE + position)
    sent_at = _date_millis(parsed)
    if sent_at is not None:  # Gmail's receipt time; the sandbox reads it off the Date header
        out["internalDate"] = str(sent_at)
    return out


def _part(part: MimeMessage, part_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": _headers(part),
    }
    if part.is_multipart():
        out["body"] = {"size": 0}
        children = part.get_payload()
        out["parts"] = [
            _part(child, f"{part_id}.{i}" if part_id else str(i))
            for i, child in enumerate(children)
        ]
    else:
        data = part.get_payload(decode=True) or b""
        body: dict[str, Any] = {"size": len(data)}
        if data:
            body["data"] = base64.urlsafe_b64encode(data).decode("ascii")
        out["body"] = body
    return out


def _headers(part: MimeMessage) -> list[dict[str, str]]:
    return [{"name": name, "value": _decoded(value)} for name, value in part.items()]


def _decoded(value: Any) -> str:
    """A header value with RFC 2047 encoded words decoded; left as written if malformed."""
    try:
        return str(make_header(decode_header(str(value))))
    except (email.errors.HeaderParseError, UnicodeDecodeError, LookupError):
        return str(value)


def _snippet(message: MimeMessage) -> str:
    """The start of the first text/plain part, whitespace collapsed and HTML-escaped as
    Gmail's snippets are."""
    for part in message.walk():
        if part.get_content_type() == TEXT_PLAIN and not part.is_multipart():
            data = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or DEFAULT_CHARSET
            try:
                text = data.decode(charset, errors="replace")
            except LookupError:
                text = data.decode(DEFAULT_CHARSET, errors="replace")
            collapsed = " ".join(text.split())[:SNIPPET_LENGTH]
            return html.escape(collapsed, quote=False).replace("'", "&#39;").replace('"', "&quot;")
    return ""


def _date_millis(message: MimeMessage) -> int | None:
    value = message.get(DATE)
    if value is None:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return int(moment.timestamp() * 1000)
