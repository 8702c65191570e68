"""The sandbox's state model, error bodies and request plumbing.

Everything here is shared by the API families (drive, docs, sheets, gmail). A handler receives a
:class:`Request` whose ``user`` is the acting user (the ``sub`` of the token), looks files up with
:meth:`Store.require` (which enforces access control the way Google does), mutates them under the
store lock (the server holds it for the whole request, so every request is atomic), and returns a
JSON-able dict or a :class:`Response`.

This package imports nothing from the rest of careerdocs.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from .file_index import INDEX_ATTR, INDEXED, FileTable

FOLDER = "application/vnd.google-apps.folder"
GDOC = "application/vnd.google-apps.document"
GSHEET = "application/vnd.google-apps.spreadsheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Roles in increasing order of power. "organizer"/"fileOrganizer" exist on shared drives only.
ROLE_RANK = {
    "reader": 1,
    "commenter": 2,
    "writer": 3,
    "fileOrganizer": 4,
    "organizer": 5,
    "owner": 5,
}
NEED_RANK = {"read": 1, "comment": 2, "write": 3, "organize": 4, "owner": 5}

CANONICAL_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

# Error body styles differ by API (see shared/google-api-facts.md, fact 1).
DRIVE = "drive"  # errors[] of {domain, reason, message}, no status (Drive, Gmail)
SHEETS = "sheets"  # {code, message, status}, no errors[]
DOCS = "docs"  # both errors[] and status


class ApiError(Exception):
    """An error answered with Google's status code and JSON body for the given API style."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        domain: str = "global",
        style: str = DRIVE,
        location: str | None = None,
        location_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _default_reason(code)
        self.domain = domain
        self.style = style
        self.location = location
        self.location_type = location_type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {}
        if self.style in (DRIVE, DOCS):
            item: dict[str, Any] = {
                "domain": self.domain,
                "reason": self.reason,
                "message": self.message,
            }
            if self.location_type:
                item["locationType"] = self.location_type
            if self.location:
                item["location"] = self.location
            err["errors"] = [item]
        err["code"] = self.code
        err["message"] = self.message
        if self.style in (SHEETS, DOCS):
            err["status"] = CANONICAL_STATUS.get(self.code, "UNKNOWN")
        return {"error": err}


def _default_reason(code: int) -> str:
    return {
        400: "badRequest",
        401: "authError",
        403: "forbidden",
        404: "notFound",
        429: "rateLimitExceeded",
        500: "backendError",
        503: "backendError",
    }.get(code, "unknown")


def not_found(file_id: str, style: str = DRIVE) -> ApiError:
    if style == SHEETS:
        return ApiError(404, "Requested entity was not found.", style=SHEETS)
    if style == DOCS:
        return ApiError(404, "Requested entity was not found.", style=DOCS)
    return ApiError(
        404,
        f"File not found: {file_id}.",
        reason="notFound",
        location="fileId",
        location_type="parameter",
    )


def forbidden(style: str = DRIVE, message: str | None = None) -> ApiError:
    if style == DRIVE:
        return ApiError(
            403,
            message or "The user does not have sufficient permissions for this file.",
            reason="insufficientFilePermissions",
        )
    return ApiError(403, message or "The caller does not have permission", style=style)


def bad_request(message: str, style: str = DRIVE, reason: str = "badRequest") -> ApiError:
    return ApiError(400, message, reason=reason, style=style)


def rfc3339(ts: float) -> str:
    """Google's timestamp format: UTC, millisecond precision, ``Z`` suffix."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def new_id(length: int = 44) -> str:
    """An id shaped like a Drive file id (URL-safe, 44 characters by default)."""
    return secrets.token_urlsafe(length)[:length]


@dataclass
class Permission:
    id: str
    type: str  # user | group | domain | anyone
    role: str
    email_address: str | None = None
    domain: str | None = None

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "drive#permission",
            "id": self.id,
            "type": self.type,
            "role": self.role,
        }
        if self.email_address:
            out["emailAddress"] = self.email_address
            out["displayName"] = self.email_address.split("@")[0]
        if self.domain:
            out["domain"] = self.domain
        return out


@dataclass
class File:
    """One Drive item. Native content lives in ``doc`` / ``sheet``; other bytes in ``blob``.

    In a store, the file is indexed for ``files.list`` (:mod:`.file_index`): assign its
    ``parents``, ``owner``, ``app_properties``, ``properties``, ``name``, ``trashed`` and
    ``modified_time``; never change those lists and dicts in place."""

    id: str
    name: str
    mime_type: str
    owner: str | None  # None for items in a shared drive (the drive owns them)
    parents: list[str] = field(default_factory=list)
    drive_id: str | None = None
    app_properties: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    permissions: list[Permission] = field(default_factory=list)
    description: str = ""
    trashed: bool = False
    created_time: float = field(default_factory=time.time)
    modified_time: float = field(default_factory=time.time)
    version: int = 1
    blob: bytes | None = None
    doc: Any = None  # sandbox.docs.Document for GDOC
    sheet: Any = None  # sandbox.sheets.Spreadsheet for GSHEET
    last_modifying_user: str | None = None
    # Drive's writersCanShare (My Drive items only; see drive_sharing). A plain default, so
    # files pickled before it existed read it from the class.
    writers_can_share: bool = True

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in INDEXED:
            index = self.__dict__.get(INDEX_ATTR)
            if index is not None:
                index.put(self)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop(INDEX_ATTR, None)  # the table that holds the file rebuilds it
        return state


@dataclass
class SharedDrive:
    id: str
    name: str
    members: dict[str, str] = field(default_factory=dict)  # email -> role (organizer, writer, ...)
    # drives.update restrictions the sandbox models (see drive_sharing.restrictions).
    restrictions: dict[str, bool] = field(default_factory=dict)


@dataclass
class Change:
    seq: int
    file_id: str
    time: float
    removed: bool = False


@dataclass
class Message:
    id: str
    thread_id: str
    sender: str
    raw: bytes  # the decoded RFC 822 message
    label_ids: list[str]


class Store:
    """All sandbox state. Guard every access with ``store.lock`` (the server does, per request)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.files: FileTable = FileTable()  # a dict of File by id, indexed
        self.users: set[str] = set()
        self.suspended: set[str] = set()
        self.domains: set[str] = set()
        self.drives: dict[str, SharedDrive] = {}
        self.changes: list[Change] = []
        self.messages: dict[str, list[Message]] = {}
        self._seq = 0

    # -- users -------------------------------------------------------------------------------

    def add_user(self, email: str) -> None:
        """Create the account (or restore a suspended one)."""
        email = email.lower()
        self.users.add(email)
        self.domains.add(email.split("@", 1)[1])
        self.suspended.discard(email)

    def suspend_user(self, email: str) -> None:
        """Suspend an existing account: it keeps its files but can no longer be impersonated."""
        email = email.lower()
        if email not in self.users:
            raise KeyError(email)
        self.suspended.add(email)

    def is_known_user(self, email: str) -> bool:
        """Whether ``email`` is an account that may act: created (seeded) and not suspended.

        Google has no accounts for addresses nobody created, even in a hosted domain: a token
        request impersonating one (or a suspended one) is refused with ``invalid_grant``
        "Invalid email or User ID" (google-api-facts.md section 3, from
        googleapis/google-api-php-client#1207). So an address in a known domain is not enough.
        """
        email = email.lower()
        return email in self.users and email not in self.suspended

    # -- files and access --------------------------------------------------------------------

    def add_file(self, f: File, actor: str | None = None) -> File:
        self.files[f.id] = f
        f.last_modifying_user = actor
        self.record_change(f)
        return f

    def record_change(self, f: File, removed: bool = False) -> None:
        self._seq += 1
        self.changes.append(Change(self._seq, f.id, time.time(), removed))

    @property
    def change_seq(self) -> int:
        return self._seq

    def touch(self, f: File, actor: str | None = None) -> None:
        """Mark ``f`` modified now: bumps version and modifiedTime and feeds the changes list."""
        now = time.time()
        f.modified_time = max(now, f.modified_time + 0.001)
        f.version += 1
        f.last_modifying_user = actor
        self.record_change(f)

    def role_of(self, user: str, f: File) -> str | None:
        """The strongest role ``user`` holds on ``f``, through ownership, direct or inherited
        permissions (folders pass their permissions down) or shared-drive membership."""
        user = user.lower()
        best: str | None = None
        seen: set[str] = set()
        stack = [f]
        while stack:
            cur = stack.pop()
            if cur.id in seen:
                continue
            seen.add(cur.id)
            if cur.owner and cur.owner.lower() == user:
                if cur is f:
                    return "owner"
                best = _stronger(best, "writer")  # owning a folder is not owning what is in it
            for p in cur.permissions:
                if _perm_matches(p, user):
                    best = _stronger(best, p.role)
            if cur.drive_id and cur.drive_id in self.drives:
                role = self.drives[cur.drive_id].members.get(user)
                if role:
                    best = _stronger(best, role)
            for pid in cur.parents:
                parent = self.files.get(pid)
                if parent is not None:
                    stack.append(parent)
        return best

    def require(self, user: str, file_id: str, need: str = "read", style: str = DRIVE) -> File:
        """The file if ``user`` may ``need`` it; otherwise Google's answer for that API.

        Drive answers 404 for a file the caller cannot see at all (it must not leak existence),
        and 403 for a visible file the caller may not change. Sheets and Docs answer 404 for an
        unknown id and 403 PERMISSION_DENIED for a file that exists but is not shared with them.
        """
        f = self.files.get(file_id)
        if f is None:
            raise not_found(file_id, style)
        role = self.role_of(user, f)
        if role is None:
            if style == DRIVE:
                raise not_found(file_id, style)
            raise forbidden(style)
        if ROLE_RANK[role] < NEED_RANK[need]:
            raise forbidden(style)
        return f

    def children(self, folder_id: str) -> list[File]:
        index = self.files.index
        return [self.files[i] for i in index.in_table_order(index.children(folder_id))]

    # -- persistence (the lock is not state) ----------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.suspended = set()  # state saved before suspension existed has none
        self.__dict__.update(state)
        if not isinstance(self.files, FileTable):  # saved before files were indexed
            self.files = FileTable(self.files)
        self.lock = threading.RLock()


def _perm_matches(p: Permission, user: str) -> bool:
    if p.type in ("user", "group") and p.email_address:
        return p.email_address.lower() == user
    if p.type == "domain" and p.domain:
        return user.endswith("@" + p.domain.lower())
    return p.type == "anyone"


def _stronger(a: str | None, b: str) -> str:
    if a is None or ROLE_RANK.get(b, 0) > ROLE_RANK.get(a, 0):
        return b
    return a


@dataclass
class Request:
    """One HTTP request as the handlers see it. ``user`` is the acting (impersonated) user."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    user: str = ""
    api: str = ""

    @classmethod
    def build(
        cls, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes
    ) -> Request:
        return cls(
            method=method.upper(),
            path=path,
            query=parse_qs(query_string, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[-1] if vals else default

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean query parameter; clients send ``true`` and ``True`` alike (fact 8)."""
        val = self.arg(name)
        if val is None:
            return default
        return val.strip().lower() in ("true", "1", "yes")

    def int_arg(self, name: str, default: int) -> int:
        val = self.arg(name)
        if val is None or val == "":
            return default
        try:
            return int(val)
        except ValueError:
            raise bad_request(f"Invalid value '{val}' for {name}.") from None

    def json(self, style: str = DRIVE) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(
                400, f"Invalid JSON payload received. {exc}", reason="parseError", style=style
            ) from None
        if not isinstance(data, dict):
            raise ApiError(400, "Invalid JSON payload received.", reason="parseError", style=style)
        return data


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        hdrs = {"Content-Type": "application/json; charset=UTF-8"}
        hdrs.update(headers or {})
        return cls(status, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"), hdrs)

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", {})


Handler = Callable[..., Any]


@dataclass
class Route:
    method: str
    pattern: Any  # compiled regex with named groups, matched against the URL path
    handler: Handler
    api: str  # "drive" | "sheets" | "docs" | "gmail" | "oauth" | "admin"
    kind: str  # "read" | "write" — for quota buckets
    name: str  # method name for counters, e.g. "files.copy"


class Router:
    """Maps (method, path) to handlers. API modules call :meth:`add` from their ``register``."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self, method: str, pattern: str, handler: Handler, *, api: str, kind: str, name: str
    ) -> None:
        self.routes.append(
            Route(method.upper(), re.compile("^" + pattern + "$"), handler, api, kind, name)
        )

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The first route for ``method`` whose pattern matches ``path``, with its groups."""
        method = method.upper()
        for r in self.routes:
            if r.method == method and (m := r.pattern.match(path)):
                return r, m.groupdict()
        return None


@dataclass
class Context:
    """What every handler gets besides the request: the store and the sandbox's options."""

    store: Store
    options: Any = None
    # Runs one inner request (already authenticated: set ``user``) through the server's whole
    # pipeline — routing, quotas, faults, counters. The batch endpoint uses it.
    dispatch: Callable[[Request], Response] | None = None
