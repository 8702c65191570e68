"""Google's error answers, read once, in one place.

Every Google call's failure becomes a :class:`careerdocs.errors.GoogleAPIError` here, with the
status, Google's reason (``errors[0].reason``, else the canonical ``status``), and whether a retry
can help. The bodies differ by API (google-api-facts.md fact 1), so parse defensively.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import gspread.exceptions
import httplib2
import requests
from googleapiclient.errors import HttpError

from ...errors import AuthError, GoogleAPIError

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# 403s that are rate limits, not refusals (Drive and Gmail answer rate limits with 403).
RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded"})
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    socket.timeout,
    ssl.SSLError,
    http.client.HTTPException,
    httplib2.HttpLib2Error,
    requests.ConnectionError,
    requests.Timeout,
)


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified."""

    status: int  # 0 for a transport failure (no answer)
    reason: str
    message: str
    retryable: bool
    retry_after: float | None = None
    no_answer: bool = False  # the request may or may not have been applied

    def to_error(self, api: str) -> GoogleAPIError:
        return GoogleAPIError(self.status, self.reason, self.message, api=api)


def parse_body(status: int, content: bytes | str | None) -> tuple[str, str]:
    """(reason, message) from a Google JSON error body; tolerant of non-JSON bodies."""
    if not content:
        return "unknown", http.client.responses.get(status, "")
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    try:
        err = json.loads(content or "{}").get("error", {})
    except (ValueError, AttributeError):
        return "unknown", (content or "")[:200] or http.client.responses.get(status, "")
    if not isinstance(err, dict):
        return str(err), str(err)
    errors = err.get("errors") or []
    reason = (
        (errors[0].get("reason") if errors and isinstance(errors[0], dict) else None)
        or err.get("status")
        or "unknown"
    )
    return str(reason), str(err.get("message", ""))


def _retry_after(headers: Any) -> float | None:
    value = None
    if headers is not None:
        value = headers.get("retry-after") or headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def classify_status(status: int, reason: str, message: str, headers: Any = None) -> Failure:
    retryable = status in RETRYABLE_STATUSES or (status == 403 and reason in RATE_LIMIT_REASONS)
    return Failure(status, reason, message, retryable, _retry_after(headers))


def classify(exc: BaseException) -> Failure | None:
    """A :class:`Failure` for errors from the Google clients and transports; None for others
    (programming errors must propagate untouched)."""
    if isinstance(exc, HttpError):
        reason, message = parse_body(exc.resp.status, exc.content)
        return classify_status(exc.resp.status, reason, message, exc.resp)
    if isinstance(exc, gspread.exceptions.APIError):
        resp = exc.response
        reason, message = parse_body(resp.status_code, resp.content)
        return classify_status(resp.status_code, reason, message, resp.headers)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        raise AuthError(
            f"Google refused the credentials: {exc.args[0] if exc.args else exc}. Check the key, "
            "domain-wide delegation for this client ID and the scopes (see `careerdocs doctor`)."
        ) from None
    if isinstance(exc, (google.auth.exceptions.TransportError, *TRANSPORT_ERRORS)):
        if _refused(exc):  # nothing listens there: a wrong endpoint, not a passing fault
            return Failure(0, "connectionRefused", f"nothing answers: {exc}", False)
        return Failure(0, "transportError", str(exc) or type(exc).__name__, True, None, True)
    return None


def _refused(exc: BaseException) -> bool:
    """Whether a transport error was, at bottom, a refused connection."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError) or "Connection refused" in str(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
