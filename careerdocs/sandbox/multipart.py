"""MIME framing used by Google's upload and batch protocols.

``multipart/related`` carries a multipart upload (JSON metadata, then the media);
``multipart/mixed`` carries a batch, whose parts are whole HTTP messages (``application/http``).
Clients differ in line endings — google-api-python-client's email generator writes bare ``\\n``,
Google answers ``\\r\\n`` — so parsing accepts both and writing always uses ``\\r\\n``. Bodies
are bytes throughout: media parts may be binary.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from http import HTTPStatus

CRLF = b"\r\n"
LF = b"\n"
DASHES = b"--"
HTTP_VERSION = "HTTP/1.1"


class MalformedMessage(ValueError):
    """The body does not parse as the MIME structure its Content-Type announces."""


@dataclass
class Part:
    """One body part: lower-cased header names and the raw content."""

    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class HttpMessage:
    """An HTTP request carried inside a batch part (``target`` is the request-target as sent)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


def media_type(content_type: str) -> str:
    """``multipart/related; boundary=x`` → ``multipart/related`` (lower-cased)."""
    return content_type.split(";", 1)[0].strip().lower()


def parameter(content_type: str, name: str) -> str | None:
    """A parameter of a Content-Type header value, unquoted."""
    for piece in content_type.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"')
    return None


def new_boundary(prefix: str = "batch_") -> str:
    return prefix + secrets.token_hex(12)


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """The parts of a multipart body; raises :class:`MalformedMessage` when it is not one."""
    boundary = parameter(content_type, "boundary")
    if not boundary:
        raise MalformedMessage("multipart body without a boundary parameter")
    delimiter = DASHES + boundary.encode("latin-1")
    pos = _first_delimiter(body, delimiter)
    parts: list[Part] = []
    while True:
        pos += len(delimiter)
        if body[pos : pos + 2] == DASHES:
            return parts
        line_end = body.find(LF, pos)
        if line_end < 0:
            raise MalformedMessage("multipart body ends inside a boundary line")
        start = line_end + 1
        nxt = body.find(LF + delimiter, start)
        if nxt < 0:
            raise MalformedMessage("multipart body has no closing boundary")
        end = nxt - 1 if nxt > start and body[nxt - 1 : nxt] == b"\r" else nxt
        parts.append(parse_part(body[start:end]))
        pos = nxt + 1


def _first_delimiter(body: bytes, delimiter: bytes) -> int:
    if body.startswith(delimiter):
        return 0
    found = body.find(LF + delimiter)
    if found < 0:
        raise MalformedMessage("multipart body has no opening boundary")
    return found + 1


def parse_part(data: bytes) -> Part:
    head, body = split_head(data)
    return Part(parse_headers(head), body)


def split_head(data: bytes) -> tuple[bytes, bytes]:
    """Split header block and body at the first empty line (CRLF or LF line endings)."""
    for blank in (CRLF, LF):
        if data.startswith(blank):
            return b"", data[len(blank) :]
    candidates = [(data.find(sep), sep) for sep in (CRLF + CRLF, LF + LF, LF + CRLF)]
    found = [(i, sep) for i, sep in candidates if i >= 0]
    if not found:
        return data, b""
    index, sep = min(found)
    return data[:index], data[index + len(sep) :]


def parse_headers(head: bytes) -> dict[str, str]:
    """Header lines → dict with lower-cased names; folded continuation lines are joined."""
    headers: dict[str, str] = {}
    last = ""
    for raw in head.decode("latin-1").split("\n"):
        line = raw.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t" and last:
            headers[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise MalformedMessage(f"bad header line {line!r}")
        last = name.strip().lower()
        headers[last] = value.strip()
    return headers


def encode_multipart(parts: list[Part], boundary: str) -> bytes:
    """Serialize parts with CRLF line endings (header names keep the case given)."""
    delimiter = DASHES + boundary.encode("latin-1")
    out = bytearray()
    for part in parts:
        out += delimiter + CRLF
        for name, value in part.headers.items():
            out += f"{name}: {value}".encode("latin-1") + CRLF
        out += CRLF + part.body + CRLF
    out += delimiter + DASHES + CRLF
    return bytes(out)


def parse_http_request(data: bytes) -> HttpMessage:
    """An ``application/http`` request: request line, headers, empty line, body."""
    line_end = data.find(LF)
    if line_end < 0:
        raise MalformedMessage("HTTP message without a request line")
    request_line = data[:line_end].decode("latin-1").strip()
    pieces = request_line.split()
    if len(pieces) not in (2, 3):
        raise MalformedMessage(f"bad request line {request_line!r}")
    head, body = split_head(data[line_end + 1 :])
    return HttpMessage(pieces[0].upper(), pieces[1], parse_headers(head), body)


def encode_http_response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    """An ``application/http`` response. Content-Length is always written: it keeps a header
    block present, and google-api-python-client finds the body by splitting at CRLF CRLF."""
    lines = [f"{HTTP_VERSION} {status} {_reason(status)}"]
    lines += [
        f"{name}: {value}" for name, value in headers.items() if name.lower() != "content-length"
    ]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
