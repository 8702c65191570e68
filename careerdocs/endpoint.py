"""The Google endpoint careerdocs actually talks to, said truthfully.

With ``google.endpoint`` set (a sandbox rehearsal), every call goes there, but the client
libraries still build and log ``https://www.googleapis.com/...`` URLs before careerdocs' transport
redirects them — alarming in a rehearsal. :func:`describe` names the real target,
:class:`RedirectedUrls` rewrites the libraries' log lines to it, and :func:`check_reachable`
turns "connection refused" from a sandbox that is not running into how to start one.
"""

from __future__ import annotations

import logging
import re
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .config import BACKEND_GOOGLE
from .errors import WorkspaceError
from .workspace.google.transport import GOOGLE_API_HOSTS

if TYPE_CHECKING:
    from .config import Settings

# Loggers of the client libraries that print request URLs (googleapiclient logs
# "URL being requested: GET https://www.googleapis.com/..." at debug).
CLIENT_LOGGERS = ("googleapiclient.discovery", "googleapiclient.http", "urllib3.connectionpool")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CONNECT_TIMEOUT_SECONDS = 2.0
_GOOGLE_URL = re.compile(
    r"https://(" + "|".join(re.escape(h) for h in sorted(GOOGLE_API_HOSTS)) + r")(?=[/:\s]|$)"
)


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def describe(settings: Settings) -> str:
    """Where API calls go: ``Google APIs at http://127.0.0.1:8765 (a sandbox, not Google)``."""
    if settings.backend_name != BACKEND_GOOGLE:
        return "no Google APIs (local backend)"
    target = settings.google.endpoint
    if not target:
        return "Google APIs at https://www.googleapis.com"
    kind = "a sandbox, not Google" if is_loopback(target) else "not Google"
    return f"Google APIs at {target} ({kind})"


class RedirectedUrls(logging.Filter):
    """Rewrites Google API URLs in log records to the endpoint the call really went to."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target.rstrip("/")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        rewritten = _GOOGLE_URL.sub(self.target, message)
        if rewritten != message:
            record.msg, record.args = rewritten, None
        return True


_installed: dict[str, RedirectedUrls] = {}


def log_redirects(target: str) -> None:
    """Install (once per logger) the filter that names ``target`` in the libraries' logs."""
    for name in CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        previous = _installed.get(name)
        if previous is not None:
            logger.removeFilter(previous)
        _installed[name] = RedirectedUrls(target)
        logger.addFilter(_installed[name])


def sandbox_hint(target: str) -> str:
    port = urlsplit(target).port
    return (
        f"nothing answers at {target}: is `careerdocs sandbox serve` running? Start it in "
        f"another terminal: careerdocs sandbox serve --port {port} --seed-roster <roster>"
    )


def check_reachable(settings: Settings) -> None:
    """For a configured loopback endpoint (the sandbox), fail early and helpfully when nothing
    listens there; also make the logs name it. Google itself is not probed."""
    target = settings.google.endpoint
    if settings.backend_name != BACKEND_GOOGLE or not target:
        return
    log_redirects(target)
    if not is_loopback(target):
        return
    parts = urlsplit(target)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), CONNECT_TIMEOUT_SECONDS):
            pass
    except OSError:
        raise WorkspaceError(sandbox_hint(target)) from None
