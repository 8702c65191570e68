"""The sandbox HTTP server: one loopback origin serving OAuth, Drive, Docs, Sheets and Gmail.

Every request goes through one pipeline — authenticate the bearer token, check its scopes, maybe
inject a fault, charge the quotas, add latency, run the handler under the store lock, count —
so the API modules only model their API.
"""

from __future__ import annotations

import contextlib
import json
import math
import pickle
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import core
from .core import DOCS, DRIVE, SHEETS, ApiError, Context, Request, Response, Router, Store
from .counters import Counters
from .faults import DROP, FaultInjector, FaultOptions
from .heap import HeapKeeper
from .oauth import SCOPE_PREFIX, Authority, OAuthError
from .quotas import Exceeded, Quotas

TOKEN_PATH = "/token"
ADMIN_PREFIX = "/_sandbox/"
TOKEN_METHOD = "oauth token"  # the token endpoint's key in SandboxOptions.method_latency_ms
STATE_FILE = "state.pickle"
SAVE_INTERVAL_SECONDS = 0.5
QUOTA_OFF = "off"
SHUTDOWN_POLL_SECONDS = 0.05

ERROR_STYLE = {"drive": DRIVE, "gmail": DRIVE, "sheets": SHEETS, "docs": DOCS}

# Scopes that grant each API, by the route's kind. "drive" grants Sheets and Docs too.
_S = SCOPE_PREFIX
ACCEPTED_SCOPES: dict[tuple[str, str], frozenset[str]] = {
    ("drive", "write"): frozenset({_S + "drive", _S + "drive.file"}),
    ("drive", "read"): frozenset({_S + "drive", _S + "drive.file", _S + "drive.readonly"}),
    # The batch envelope itself: each part is authorised, charged and counted on its own.
    ("drive", "batch"): frozenset({_S + "drive", _S + "drive.file", _S + "drive.readonly"}),
    ("sheets", "write"): frozenset({_S + "spreadsheets", _S + "drive", _S + "drive.file"}),
    ("sheets", "read"): frozenset(
        {
            _S + "spreadsheets",
            _S + "spreadsheets.readonly",
            _S + "drive",
            _S + "drive.file",
            _S + "drive.readonly",
        }
    ),
    ("docs", "write"): frozenset({_S + "documents", _S + "drive", _S + "drive.file"}),
    ("docs", "read"): frozenset(
        {
            _S + "documents",
            _S + "documents.readonly",
            _S + "drive",
            _S + "drive.file",
            _S + "drive.readonly",
        }
    ),
    ("gmail", "write"): frozenset(
        {_S + "gmail.send", _S + "gmail.compose", _S + "gmail.modify", "https://mail.google.com/"}
    ),
    ("gmail", "read"): frozenset(
        {_S + "gmail.readonly", _S + "gmail.modify", "https://mail.google.com/"}
    ),
}

SHEETS_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass
class SandboxOptions:
    """What can be switched on. Quotas are off unless ``quotas`` is set ("google" = defaults)."""

    quotas: str = QUOTA_OFF  # "off" | "google"
    quota_limits: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    daily_limits: dict[str, int] = field(default_factory=dict)  # method -> calls per user a day
    time_scale: float = 1.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    # Per method, overriding the two above: "api method" as counted ("drive files.copy",
    # "oauth token") -> (latency_ms, jitter_ms). Real Google's methods differ by an order of
    # magnitude (a copy vs a list), which a flat figure hides; the token endpoint gets latency
    # only through this map.
    method_latency_ms: dict[str, tuple[float, float]] = field(default_factory=dict)
    faults: FaultOptions = field(default_factory=FaultOptions)
    token_ttl: int = 3599
    state_dir: Path | None = None
    delegated_scopes: frozenset[str] | None = None  # None: delegation granted for any scope


class DroppedConnection(Exception):
    """Raised by the pipeline to close the socket without answering (an injected fault)."""


def _register_apis(router: Router) -> None:
    from . import docs, drive, gmail, sheets

    for module in (drive, sheets, docs, gmail):
        module.register(router)


class Sandbox:
    """A fake Google Workspace on loopback. Use as a context manager or call start()/stop()."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.store = Store()
        self.authority = Authority(token_ttl=self.options.token_ttl)
        self.counters = Counters()
        self.quotas: Quotas | None = None
        self.configure_quotas(self.options.quotas, self.options.time_scale)
        self.faults = FaultInjector(self.options.faults)
        self.heap = HeapKeeper()
        self.router = Router()
        _register_apis(self.router)
        self._latency_rng = random.Random(self.options.faults.seed + 1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._dirty = threading.Event()
        self._save_lock = threading.Lock()
        self._stopping = threading.Event()
        self._saver: threading.Thread | None = None
        self.endpoint = ""
        if self.options.state_dir:
            self._load()

    # -- switches ----------------------------------------------------------------------------

    def configure_quotas(self, mode: str, time_scale: float = 1.0) -> None:
        if mode == QUOTA_OFF:
            self.quotas = None
        elif mode == "google":
            self.quotas = Quotas(self.options.quota_limits, time_scale, self.options.daily_limits)
        else:
            raise ValueError(f"quotas must be 'off' or 'google', not {mode!r}")

    def configure_faults(self, options: FaultOptions) -> None:
        self.faults = FaultInjector(options)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        handler = type("BoundHandler", (_Handler,), {"sandbox": self})
        self._httpd = _Server((host, port), handler)
        self.endpoint = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="sandbox",
            daemon=True,
        )
        self._thread.start()
        if self.options.state_dir:
            self._saver = threading.Thread(
                target=self._save_loop, name="sandbox-saver", daemon=True
            )
            self._saver.start()
        return self.endpoint

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self.options.state_dir:
            self._save()

    def __enter__(self) -> Sandbox:
        if not self.endpoint:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def token_uri(self) -> str:
        return self.endpoint + TOKEN_PATH

    # -- seeding -----------------------------------------------------------------------------

    def add_user(self, email: str) -> None:
        with self.store.lock:
            self.store.add_user(email)
        self._dirty.set()

    def suspend_user(self, email: str) -> None:
        """Suspend a created account: token requests impersonating it get ``invalid_grant``
        and its user logins stop refreshing. Raises KeyError for an account never created."""
        with self.store.lock:
            self.store.suspend_user(email)
        self._dirty.set()

    def service_account_key(self, **kwargs: Any) -> dict[str, Any]:
        """A new service-account key file (dict) whose token_uri is this sandbox."""
        kwargs.setdefault("delegated_scopes", self.options.delegated_scopes)
        with self.store.lock:
            key = self.authority.issue_service_account_key(self.token_uri, **kwargs)
        self._dirty.set()
        return key

    def user_credentials(self, email: str) -> dict[str, Any]:
        """An authorized-user credentials file (dict) for ``email``'s own OAuth login."""
        with self.store.lock:
            info = self.authority.issue_user_credentials(email, self.token_uri)
        self._dirty.set()
        return info

    def create_shared_drive(
        self,
        name: str,
        organizers: list[str],
        members: dict[str, str] | None = None,
        restrictions: dict[str, bool] | None = None,
    ) -> str:
        """A shared drive with these organizers (Managers), other ``members`` by role
        (fileOrganizer = Content manager, writer = Contributor, commenter, reader) and
        ``restrictions`` (drive_sharing.RESTRICTION_DEFAULTS names them)."""
        roles = {e.lower(): role for e, role in (members or {}).items()}
        roles.update({e.lower(): "organizer" for e in organizers})
        with self.store.lock:
            drive = core.SharedDrive(core.new_id(19), name, roles, dict(restrictions or {}))
            self.store.drives[drive.id] = drive
        self._dirty.set()
        return drive.id

    def sent_messages(self, sender: str) -> list[core.Message]:
        with self.store.lock:
            return list(self.store.messages.get(sender.lower(), []))

    # -- the pipeline ------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        """Answer one HTTP request (raises DroppedConnection for an injected drop)."""
        if req.path == TOKEN_PATH and req.method == "POST":
            return self._token(req)
        if req.path.startswith(ADMIN_PREFIX):
            return self._admin(req)
        return self._api(req, inner=False)

    def dispatch(self, req: Request) -> Response:
        """Run one inner request (a batch part) through the pipeline.

        The part carries the outer request's headers unless it has its own, so each part is
        authenticated by its own bearer token: one batch can act for many impersonated users.
        Inner calls get no added latency, and a dropped connection becomes that part's 503.
        """
        try:
            return self._api(req, inner=True)
        except DroppedConnection:
            return _error(
                ApiError(
                    503, "The service is currently unavailable.", reason="backendError", style=DRIVE
                )
            )

    def _api(self, req: Request, inner: bool) -> Response:
        found = self.router.match(req.method, req.path)
        if found is None:
            return Response.json(ApiError(404, "Not Found", reason="notFound").body(), 404)
        route, groups = found
        style = ERROR_STYLE.get(route.api, DRIVE)
        req.api = route.api
        if inner and req.user and "authorization" not in req.headers:
            # An in-process inner call whose caller already settled who acts.
            return self._run(route, groups, req, style, sleep=False)
        token = self.authority.resolve(req.headers.get("authorization"))
        if token is None:
            resp = _unauthenticated(style)
            self.counters.add(route.api, route.name, "", resp.status)
            return resp
        req.user = token.user
        if not token.scopes & ACCEPTED_SCOPES.get((route.api, route.kind), frozenset()):
            resp = _error(
                ApiError(
                    403,
                    "Request had insufficient authentication scopes.",
                    reason="insufficientPermissions",
                    style=style,
                )
            )
            self.counters.add(route.api, route.name, req.user, resp.status)
            return resp
        return self._run(route, groups, req, style, sleep=not inner)

    def _run(
        self, route: core.Route, groups: dict[str, str], req: Request, style: str, sleep: bool
    ) -> Response:
        fault = self.faults.pick()
        if fault == DROP:
            self.counters.add(route.api, route.name, req.user, 0)
            raise DroppedConnection
        if fault is not None:
            resp = _injected(int(fault), style, self.faults.options.retry_after)
        else:
            exceeded = (
                self.quotas.charge(route.api, route.kind, route.name, req.user)
                if self.quotas
                else None
            )
            if exceeded:
                resp = _quota_error(exceeded, style)
            else:
                if sleep:
                    self._sleep_latency(f"{route.api} {route.name}")
                resp = self._call(route, groups, req, style)
        self.counters.add(route.api, route.name, req.user, resp.status)
        return resp

    def _call(
        self, route: core.Route, groups: dict[str, str], req: Request, style: str
    ) -> Response:
        ctx = Context(self.store, self.options, self.dispatch)
        try:
            with self.store.lock:
                result = route.handler(ctx, req, **groups)
        except ApiError as exc:
            if not exc.style:
                exc.style = style
            return _error(exc)
        if route.kind == "write":
            self._dirty.set()
        self.heap.answered()  # outside the store lock: a sweep holds up no other request
        if isinstance(result, Response):
            return result
        return Response.json(result)

    def _sleep_latency(self, method: str) -> None:
        """Sleep ``latency + uniform(0, jitter)`` ms, the method's own figures when it has any."""
        delay, jitter = self.options.method_latency_ms.get(
            method, (self.options.latency_ms, self.options.jitter_ms)
        )
        if jitter:
            delay += self._latency_rng.uniform(0, jitter)
        if delay > 0:
            time.sleep(delay / 1000.0)

    def _token(self, req: Request) -> Response:
        if TOKEN_METHOD in self.options.method_latency_ms:
            self._sleep_latency(TOKEN_METHOD)
        try:
            with self.store.lock:
                body = self.authority.token(req.body, self.store.is_known_user)
        except OAuthError as exc:
            self.counters.add("oauth", "token", "", exc.status)
            return Response.json(exc.body(), exc.status)
        self.counters.add("oauth", "token", self.authority.tokens[body["access_token"]].user, 200)
        return Response.json(body)

    # -- admin (for people running `careerdocs sandbox serve`, and for benchmarks) -----------

    def _admin(self, req: Request) -> Response:
        name = req.path[len(ADMIN_PREFIX) :]
        if name == "counters" and req.method == "GET":
            return Response.json({"counters": self.counters.snapshot()})
        if name == "counters/reset" and req.method == "POST":
            self.counters.reset()
            return Response.json({})
        if name == "users" and req.method == "POST":
            for email in req.json().get("emails", []):
                self.add_user(email)
            return Response.json({"users": sorted(self.store.users)})
        if name == "users" and req.method == "GET":
            return Response.json(
                {"users": sorted(self.store.users), "suspended": sorted(self.store.suspended)}
            )
        if name == "users/suspend" and req.method == "POST":
            unknown = []
            for email in req.json().get("emails", []):
                try:
                    self.suspend_user(email)
                except KeyError:
                    unknown.append(email)
            if unknown:
                return Response.json(
                    {"error": {"code": 404, "message": f"no such users: {', '.join(unknown)}"}},
                    404,
                )
            return Response.json({"suspended": sorted(self.store.suspended)})
        if name == "messages" and req.method == "GET":
            sender = req.arg("sender", "") or ""
            return Response.json(
                {
                    "messages": [
                        {"id": m.id, "sender": m.sender, "raw": m.raw.decode("utf-8", "replace")}
                        for m in self.sent_messages(sender)
                    ]
                }
            )
        if name == "expire-tokens" and req.method == "POST":
            with self.store.lock:
                self.authority.expire_all()
            return Response.json({})
        if name == "health":
            return Response.json({"ok": True, "files": len(self.store.files)})
        return Response.json({"error": {"code": 404, "message": "unknown admin path"}}, 404)

    # -- persistence -------------------------------------------------------------------------

    def _state_path(self) -> Path:
        assert self.options.state_dir is not None
        return Path(self.options.state_dir) / STATE_FILE

    def _load(self) -> None:
        path = self._state_path()
        if not path.exists():
            return
        with path.open("rb") as fh:
            saved = pickle.load(fh)
        self.store = saved["store"]
        self.authority = saved["authority"]

    def _save(self) -> None:
        """Write the state atomically. The saver thread and stop() may both call this: the
        save lock keeps them from sharing the temporary file."""
        with self._save_lock:
            path = self._state_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirty.clear()
            with self.store.lock:
                data = pickle.dumps({"store": self.store, "authority": self.authority})
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)

    def _save_loop(self) -> None:
        while not self._stopping.is_set():
            if self._dirty.wait(SAVE_INTERVAL_SECONDS):
                # batch a burst of writes into one save; stop() saves the rest
                if self._stopping.wait(SAVE_INTERVAL_SECONDS):
                    return
                self._save()


def _error(exc: ApiError) -> Response:
    return Response.json(exc.body(), exc.code, exc.headers)


def _unauthenticated(style: str) -> Response:
    if style == SHEETS:
        exc = ApiError(401, SHEETS_UNAUTHENTICATED, style=SHEETS)
    else:
        exc = ApiError(
            401,
            "Invalid Credentials",
            reason="authError",
            style=style,
            location="Authorization",
            location_type="header",
        )
    resp = _error(exc)
    resp.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
    return resp


def _injected(status: int, style: str, retry_after: int | None) -> Response:
    messages = {
        500: ("Internal Error", "backendError"),
        503: ("The service is currently unavailable.", "backendError"),
        429: ("Resource has been exhausted (e.g. check quota).", "rateLimitExceeded"),
    }
    message, reason = messages[status]
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return _error(ApiError(status, message, reason=reason, style=style, headers=headers))


_QUOTA_METRIC = {"read": "Read requests", "write": "Write requests"}


def _quota_error(exceeded: Exceeded, style: str) -> Response:
    if exceeded.scope == "day":  # Gmail's sending limit (google-api-facts.md, "Exceeding ...")
        at = math.ceil(exceeded.retry_at or time.time())  # never earlier than the real time
        until = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at))
        message = f"User-rate limit exceeded.  Retry after {until}.000Z (Mail sending)"
        return _error(
            ApiError(429, message, reason="rateLimitExceeded", domain="usageLimits", style=DRIVE)
        )
    if exceeded.api in ("drive", "gmail"):
        if exceeded.scope == "user":
            exc = ApiError(
                403,
                "User Rate Limit Exceeded",
                reason="userRateLimitExceeded",
                domain="usageLimits",
                style=DRIVE,
            )
        else:
            exc = ApiError(
                403,
                "Rate Limit Exceeded",
                reason="rateLimitExceeded",
                domain="usageLimits",
                style=DRIVE,
            )
        return _error(exc)
    metric = _QUOTA_METRIC[exceeded.kind]
    per = "per minute per user" if exceeded.scope == "user" else "per minute"
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{metric} {per}' of service "
        f"'{exceeded.api}.googleapis.com' for consumer 'project_number:1000000000001'."
    )
    return _error(ApiError(429, message, reason="rateLimitExceeded", style=style))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately; without this, Nagle's algorithm meets the
    # client's delayed ACK and every answer waits ~40 ms.
    disable_nagle_algorithm = True
    sandbox: Sandbox  # set on the bound subclass

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        split = urlsplit(self.path)
        req = Request.build(self.command, split.path, split.query, dict(self.headers.items()), body)
        try:
            resp = self.sandbox.handle(req)
        except DroppedConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception as exc:  # a sandbox bug must still answer like a server would
            resp = Response.json(ApiError(500, f"sandbox error: {exc!r}").body(), 500)
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


def main_serve(options: SandboxOptions, port: int, key_path: Path, users: list[str]) -> Sandbox:
    """Start a sandbox for people (``careerdocs sandbox serve``) and write its key file."""
    sandbox = Sandbox(options)
    sandbox.start(port=port)
    for email in users:
        sandbox.add_user(email)
    key = sandbox.service_account_key()
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_text(json.dumps(key, indent=2), encoding="utf-8")
    key_path.chmod(0o600)
    return sandbox


def parse_user_login(spec: str) -> tuple[str, Path]:
    """``EMAIL:FILE`` (the ``--user-login`` option) as (email, path); ValueError if malformed."""
    email, sep, file = spec.partition(":")
    if not sep or "@" not in email or not file:
        raise ValueError(f"expected EMAIL:FILE, got {spec!r}")
    return email.strip().lower(), Path(file)


def write_user_logins(sandbox: Sandbox, logins: list[tuple[str, Path]]) -> None:
    """Write an OAuth user login (an ``authorized_user`` file: client_id, client_secret,
    refresh_token and a token_uri at this sandbox) for each (email, path), creating the account
    if needed: a person who can log in has an account. google.oauth2.credentials.Credentials
    refreshes it against the sandbox and then acts as that user. Files hold a secret: 0600."""
    for email, path in logins:
        sandbox.add_user(email)
        info = sandbox.user_credentials(email)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(info, indent=2), encoding="utf-8")
        path.chmod(0o600)
