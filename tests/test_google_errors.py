"""Google's error answers are read in one place: the body shapes of Drive, Sheets and Docs
(google-api-facts.md fact 1 and §2), which failures a retry can help, and how transport and
credential failures are told apart. The exceptions are built as the clients raise them."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import gspread.exceptions
import httplib2
import pytest
import requests
from googleapiclient.errors import HttpError

from careerdocs.errors import AuthError, GoogleAPIError
from careerdocs.workspace.google.errors import Failure, classify, parse_body

FILE_ID = "1aBcD"
GFE_502_PAGE = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
    "  <title>Error 502 (Server Error)!!1</title>\n"
    "  <p><b>502.</b> <ins>That's an error.</ins>\n"
    "  <p>The server encountered a temporary error and could not complete your request."
)
SHEETS_QUOTA_MESSAGE = (
    "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per "
    "user' of service 'sheets.googleapis.com' for consumer 'project_number:123456789'."
)
UNAUTHORIZED_CLIENT = (
    "unauthorized_client: Client is unauthorized to retrieve access tokens using this method, "
    "or client not authorized for any of the scopes requested."
)


# -- Google's bodies, by API ---------------------------------------------------------------------


def drive_body(status: int, reason: str, domain: str, message: str, **extra: str) -> bytes:
    """Drive and Gmail: ``errors[]`` with a reason, no canonical ``status``."""
    error = {"domain": domain, "reason": reason, "message": message, **extra}
    return json.dumps({"error": {"errors": [error], "code": status, "message": message}}).encode()


def sheets_body(status: int, canonical: str, message: str, **extra: Any) -> bytes:
    """Sheets: ``{code, message, status}`` and no ``errors[]``."""
    return json.dumps(
        {"error": {"code": status, "message": message, "status": canonical, **extra}}
    ).encode()


def docs_body(status: int, reason: str, canonical: str, message: str) -> bytes:
    """Docs: both ``errors[]`` and ``status``."""
    error = {"message": message, "domain": "global", "reason": reason}
    return json.dumps(
        {"error": {"code": status, "message": message, "errors": [error], "status": canonical}}
    ).encode()


DRIVE_NOT_FOUND = drive_body(
    404,
    "notFound",
    "global",
    f"File not found: {FILE_ID}.",
    locationType="parameter",
    location="fileId",
)
DRIVE_USER_RATE_LIMIT = drive_body(
    403, "userRateLimitExceeded", "usageLimits", "User Rate Limit Exceeded"
)
DRIVE_RATE_LIMIT = drive_body(403, "rateLimitExceeded", "usageLimits", "Rate Limit Exceeded")
DRIVE_DAILY_LIMIT = drive_body(403, "dailyLimitExceeded", "usageLimits", "Daily Limit Exceeded")
DRIVE_SHARING_RATE_LIMIT = drive_body(
    403,
    "sharingRateLimitExceeded",
    "global",
    'Rate limit exceeded. User message: "These item(s) could not be shared because a rate '
    'limit was exceeded: bob@example.com"',
)
DRIVE_NO_FILE_PERMISSION = drive_body(
    403,
    "insufficientFilePermissions",
    "global",
    f"The user does not have sufficient permissions for file {FILE_ID}.",
)
DRIVE_BAD_REQUEST = drive_body(
    400,
    "badRequest",
    "global",
    "Sorting is not supported for queries with fullText terms.",
    locationType="parameter",
    location="orderBy",
)
DRIVE_AUTH_ERROR = drive_body(
    401,
    "authError",
    "global",
    "Invalid Credentials",
    locationType="header",
    location="Authorization",
)
DRIVE_TOO_MANY_REQUESTS = drive_body(429, "rateLimitExceeded", "usageLimits", "Rate Limit Exceeded")
DRIVE_BACKEND_ERROR = drive_body(500, "backendError", "global", "Backend Error")
SHEETS_NOT_FOUND = sheets_body(404, "NOT_FOUND", "Requested entity was not found.")
SHEETS_PERMISSION_DENIED = sheets_body(
    403, "PERMISSION_DENIED", "The caller does not have permission"
)
SHEETS_QUOTA = sheets_body(
    429,
    "RESOURCE_EXHAUSTED",
    SHEETS_QUOTA_MESSAGE,
    details=[
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {"service": "sheets.googleapis.com", "quota_limit": "ReadRequestsPerUser"},
        }
    ],
)
SHEETS_UNAVAILABLE = sheets_body(503, "UNAVAILABLE", "The service is currently unavailable.")
SHEETS_DEADLINE = sheets_body(
    504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."
)
DOCS_BAD_REQUEST = docs_body(
    400, "badRequest", "INVALID_ARGUMENT", "Invalid requests[0]: No request set."
)


# -- the exceptions, as the clients raise them ---------------------------------------------------


def http_error(status: int, body: bytes | str, **headers: str) -> HttpError:
    """What google-api-python-client raises from ``execute()`` on a non-2xx answer."""
    info = {"status": str(status), "content-type": "application/json; charset=UTF-8"}
    info.update({name.replace("_", "-"): value for name, value in headers.items()})
    content = body.encode() if isinstance(body, str) else body
    return HttpError(httplib2.Response(info), content)


def gspread_error(status: int, body: bytes | str, **headers: str) -> gspread.exceptions.APIError:
    """What gspread raises for any non-2xx answer."""
    response = requests.Response()
    response.status_code = status
    response._content = body.encode() if isinstance(body, str) else body
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    for name, value in headers.items():
        response.headers[name.replace("_", "-").title()] = value
    return gspread.exceptions.APIError(response)


def refresh_error() -> google.auth.exceptions.RefreshError:
    """What google-auth raises when the token endpoint refuses a delegated subject."""
    return google.auth.exceptions.RefreshError(
        UNAUTHORIZED_CLIENT,
        {"error": "unauthorized_client", "error_description": UNAUTHORIZED_CLIENT[21:]},
    )


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local port that accepts connections (into the backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        yield s.getsockname()[1]


# -- parse_body ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "reason", "message"),
    [
        pytest.param(404, DRIVE_NOT_FOUND, "notFound", f"File not found: {FILE_ID}.", id="drive"),
        pytest.param(
            403,
            DRIVE_USER_RATE_LIMIT,
            "userRateLimitExceeded",
            "User Rate Limit Exceeded",
            id="drive-rate-limit",
        ),
        pytest.param(
            404, SHEETS_NOT_FOUND, "NOT_FOUND", "Requested entity was not found.", id="sheets"
        ),
        pytest.param(
            429, SHEETS_QUOTA, "RESOURCE_EXHAUSTED", SHEETS_QUOTA_MESSAGE, id="sheets-429"
        ),
        pytest.param(
            400,
            DOCS_BAD_REQUEST,
            "badRequest",
            "Invalid requests[0]: No request set.",
            id="docs-errors-reason-wins-over-status",
        ),
    ],
)
def test_parse_body_reads_reason_and_message_of_each_api(
    status: int, body: bytes, reason: str, message: str
) -> None:
    assert parse_body(status, body) == (reason, message)
    assert parse_body(status, body.decode()) == (reason, message)


def test_parse_body_reads_a_non_json_page_as_unknown_with_its_start() -> None:
    reason, message = parse_body(502, GFE_502_PAGE.encode())

    assert reason == "unknown"
    assert message == GFE_502_PAGE[:200]


def test_parse_body_caps_a_long_non_json_body_at_200_characters() -> None:
    assert len(parse_body(500, b"x" * 5000)[1]) == 200


@pytest.mark.parametrize("body", [b"", None], ids=["empty", "none"])
def test_parse_body_of_an_empty_answer_falls_back_to_the_http_reason_phrase(
    body: bytes | None,
) -> None:
    assert parse_body(503, body) == ("unknown", "Service Unavailable")


def test_parse_body_takes_status_when_errors_is_empty() -> None:
    body = json.dumps(
        {"error": {"code": 403, "message": "no", "errors": [], "status": "PERMISSION_DENIED"}}
    )
    assert parse_body(403, body) == ("PERMISSION_DENIED", "no")


# -- classify: answers from Google ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "status", "reason", "retryable"),
    [
        pytest.param(http_error(429, DRIVE_TOO_MANY_REQUESTS), 429, "rateLimitExceeded", True),
        pytest.param(http_error(500, DRIVE_BACKEND_ERROR), 500, "backendError", True),
        pytest.param(http_error(502, GFE_502_PAGE), 502, "unknown", True, id="502-html"),
        pytest.param(gspread_error(503, SHEETS_UNAVAILABLE), 503, "UNAVAILABLE", True),
        pytest.param(gspread_error(504, SHEETS_DEADLINE), 504, "DEADLINE_EXCEEDED", True),
        pytest.param(gspread_error(429, SHEETS_QUOTA), 429, "RESOURCE_EXHAUSTED", True),
        pytest.param(http_error(403, DRIVE_USER_RATE_LIMIT), 403, "userRateLimitExceeded", True),
        pytest.param(http_error(403, DRIVE_RATE_LIMIT), 403, "rateLimitExceeded", True),
        pytest.param(http_error(403, DRIVE_DAILY_LIMIT), 403, "dailyLimitExceeded", False),
        pytest.param(
            http_error(403, DRIVE_SHARING_RATE_LIMIT), 403, "sharingRateLimitExceeded", False
        ),
        pytest.param(
            http_error(403, DRIVE_NO_FILE_PERMISSION), 403, "insufficientFilePermissions", False
        ),
        pytest.param(gspread_error(403, SHEETS_PERMISSION_DENIED), 403, "PERMISSION_DENIED", False),
        pytest.param(http_error(400, DRIVE_BAD_REQUEST), 400, "badRequest", False),
        pytest.param(http_error(400, DOCS_BAD_REQUEST), 400, "badRequest", False, id="docs-400"),
        pytest.param(http_error(401, DRIVE_AUTH_ERROR), 401, "authError", False),
        pytest.param(http_error(404, DRIVE_NOT_FOUND), 404, "notFound", False),
        pytest.param(gspread_error(404, SHEETS_NOT_FOUND), 404, "NOT_FOUND", False),
    ],
)
def test_classify_retries_only_what_google_calls_transient(
    exc: Exception, status: int, reason: str, retryable: bool
) -> None:
    failure = classify(exc)

    assert failure is not None
    assert (failure.status, failure.reason, failure.retryable) == (status, reason, retryable)
    assert failure.no_answer is False


@pytest.mark.parametrize(
    "exc",
    [
        http_error(403, DRIVE_USER_RATE_LIMIT, retry_after="7"),
        gspread_error(429, SHEETS_QUOTA, retry_after="7"),
    ],
    ids=["googleapiclient", "gspread"],
)
def test_classify_reads_retry_after_from_either_client(exc: Exception) -> None:
    failure = classify(exc)

    assert failure is not None
    assert failure.retry_after == 7.0


@pytest.mark.parametrize("value", ["Wed, 21 Oct 2026 07:28:00 GMT", ""])
def test_classify_ignores_a_retry_after_that_is_not_seconds(value: str) -> None:
    failure = classify(http_error(503, SHEETS_UNAVAILABLE, retry_after=value))

    assert failure is not None
    assert failure.retry_after is None


def test_classify_gives_no_retry_after_when_google_sent_none() -> None:
    failure = classify(http_error(503, SHEETS_UNAVAILABLE))

    assert failure is not None
    assert failure.retry_after is None


def test_failure_becomes_a_google_api_error_naming_api_status_reason_and_message() -> None:
    failure = classify(http_error(404, DRIVE_NOT_FOUND))
    assert failure is not None

    error = failure.to_error("drive")

    assert isinstance(error, GoogleAPIError)
    assert (error.status, error.reason, error.api) == (404, "notFound", "drive")
    assert str(error) == f"drive 404 notFound: File not found: {FILE_ID}."


# -- classify: no answer, and credentials --------------------------------------------------------


def test_refused_connection_is_a_wrong_endpoint_not_a_passing_fault() -> None:
    failure = classify(ConnectionRefusedError(111, "Connection refused"))

    assert failure == Failure(0, "connectionRefused", failure.message, False)


def test_refused_connection_through_requests_is_recognised(closed_port: int) -> None:
    with pytest.raises(requests.ConnectionError) as raised:
        requests.get(f"http://127.0.0.1:{closed_port}/token", timeout=2)

    failure = classify(raised.value)

    assert failure is not None
    assert (failure.reason, failure.retryable) == ("connectionRefused", False)


def test_refused_token_endpoint_through_google_auth_is_recognised(closed_port: int) -> None:
    request = google.auth.transport.requests.Request()
    with pytest.raises(google.auth.exceptions.TransportError) as raised:
        request(f"http://127.0.0.1:{closed_port}/token", method="POST", timeout=2)

    failure = classify(raised.value)

    assert failure is not None
    assert (failure.reason, failure.retryable) == ("connectionRefused", False)


def test_read_timeout_through_requests_is_retried_as_no_answer(silent_port: int) -> None:
    with pytest.raises(requests.Timeout) as raised:
        requests.get(f"http://127.0.0.1:{silent_port}/", timeout=0.05)

    failure = classify(raised.value)

    assert failure is not None
    assert (failure.status, failure.retryable, failure.no_answer) == (0, True, True)


@pytest.mark.parametrize(
    "exc",
    [
        TimeoutError("timed out"),
        ConnectionResetError(104, "Connection reset by peer"),
        requests.ConnectionError("('Connection aborted.', RemoteDisconnected())"),
        httplib2.ServerNotFoundError("Unable to find the server at www.googleapis.com"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_lost_answers_are_retried_and_flagged_as_maybe_applied(exc: Exception) -> None:
    failure = classify(exc)

    assert failure is not None
    assert (failure.status, failure.reason) == (0, "transportError")
    assert (failure.retryable, failure.no_answer) == (True, True)


def test_refused_credentials_become_an_auth_error_that_points_at_delegation() -> None:
    with pytest.raises(AuthError) as raised:
        classify(refresh_error())

    message = str(raised.value)
    assert "unauthorized_client" in message
    assert "delegation" in message


@pytest.mark.parametrize(
    "exc", [ValueError("bad"), KeyError("id"), RuntimeError("boom")], ids=lambda e: type(e).__name__
)
def test_programming_errors_are_not_classified(exc: Exception) -> None:
    assert classify(exc) is None
