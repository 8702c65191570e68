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

from ...errors import AccountUnreachable, AuthError, GoogleAPIError

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
        raise token_refusal(exc) from None
    if isinstance(exc, (google.auth.exceptions.TransportError, *TRANSPORT_ERRORS)):
        if _refused(exc):  # nothing listens there: a wrong endpoint, not a passing fault
            return Failure(0, "connectionRefused", f"nothing answers: {exc}", False)
        return Failure(0, "transportError", str(exc) or type(exc).__name__, True, None, True)
    return None


# Token-endpoint answers that concern the subject (the person impersonated), not the key. Google's
# service-account guide, "JWT error codes"
# (https://developers.google.com/identity/protocols/oauth2/service-account#error-codes):
# invalid_grant "Not a valid email" / "Invalid email or User ID" = the user does not exist;
# unauthorized_client and access_denied = the client ID or a requested scope is not authorized for
# domain-wide delegation in the Admin console of the user's domain ("can take up to 24 hours to
# propagate to all users"); admin_policy_enforced = the Workspace admin's API access policy.
# "The account has been deleted" and 'Invalid impersonation "sub" field' are the variants GAM
# meets and Google does not document (GAM-team/GAM src/gam/gamlib/glapi.py OAUTH2_TOKEN_ERRORS).
# Every other refusal (a bad signature, a clock off, a disabled or deleted key) is the key's,
# and stops the run.
NO_ACCOUNT_DESCRIPTIONS = (
    "invalid email or user id",
    "not a valid email",
    "the account has been deleted",
    'invalid impersonation "sub" field',
    "invalid impersonation &quot;sub&quot; field",
    "invalid impersonation prn email address",
)
NO_ACCOUNT_CAUSE = (
    "likely there is no Google account for this address yet, or it is suspended or deleted; "
    "check the address in the roster and the user in the Admin console"
)
DELEGATION_ERRORS = frozenset({"unauthorized_client", "access_denied", "admin_policy_enforced"})
DELEGATION_CAUSE = (
    "likely the domain-wide delegation does not cover this account: its domain did not "
    "authorize this client ID, a scope careerdocs needs is missing, or a new grant has not "
    "reached every user yet (Google allows up to 24 hours)"
)


def token_refusal(exc: google.auth.exceptions.RefreshError) -> AuthError:
    """What a refused token means: :class:`AccountUnreachable` when it concerns only the
    account acted as (that person alone fails), else an :class:`AuthError` for the whole run.

    google-auth raises ``RefreshError("<error>: <error_description>", <response body>)``
    (google/oauth2/_client.py ``_handle_error_response``)."""
    error, description = _oauth_error(exc)
    detail = f"{error}: {description}" if description else error
    if error == "invalid_grant" and description.lower().rstrip(".") in NO_ACCOUNT_DESCRIPTIONS:
        return AccountUnreachable(detail, NO_ACCOUNT_CAUSE)
    if error == "invalid_request" and description.lower().rstrip(".") in NO_ACCOUNT_DESCRIPTIONS:
        return AccountUnreachable(detail, NO_ACCOUNT_CAUSE)
    if error in DELEGATION_ERRORS:
        return AccountUnreachable(detail, DELEGATION_CAUSE)
    return AuthError(
        f"Google refused the credentials: {detail}. Check the key, domain-wide delegation for "
        "this client ID and the scopes (see `careerdocs doctor`)."
    )


def _oauth_error(exc: google.auth.exceptions.RefreshError) -> tuple[str, str]:
    """(error, error_description) of a refused token, from the body when google-auth kept it."""
    body = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"], str(body.get("error_description") or "")
    text = str(exc.args[0]) if exc.args else str(exc)
    error, _, description = text.partition(": ")
    if " " in error.strip() or not error.strip():  # free text, not "<error>: <description>"
        return "refused", text
    return error.strip(), description.strip()


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
