"""Every Google API host is sent to the configured endpoint at the transport, keeping path and
query, so media uploads, batches, gspread and token refreshes all reach the sandbox; nothing else
is touched. A resumable upload's 308 ("resume incomplete") is an answer, not a redirect."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httplib2
import pytest
import requests

from careerdocs.workspace.google.transport import (
    GOOGLE_API_HOSTS,
    RedirectingAdapter,
    RedirectingHttp,
    mount_endpoint,
    redirect_url,
)

# A real request path and query for each host, as the clients send them.
EXAMPLE_CALLS = {
    "www.googleapis.com": "/upload/drive/v3/files?uploadType=multipart&alt=json",
    "drive.googleapis.com": "/drive/v3/files/abc/copy?supportsAllDrives=true&alt=json",
    "sheets.googleapis.com": "/v4/spreadsheets/s1/values/%27Sheet1%27%21B1?valueInputOption=RAW",
    "docs.googleapis.com": "/v1/documents/d1:batchUpdate?alt=json",
    "gmail.googleapis.com": "/gmail/v1/users/me/messages/send?alt=json",
    "oauth2.googleapis.com": "/token",
}
RESUMABLE_PATH = "/upload/drive/v3/files?uploadType=resumable&upload_id=u1"
RESUME_INCOMPLETE = 308
LOCATION_TARGET = "/followed"
POLL_SECONDS = 0.01  # how soon the test server notices shutdown


def test_every_google_host_has_an_example_here() -> None:
    assert set(EXAMPLE_CALLS) == GOOGLE_API_HOSTS


@pytest.mark.parametrize("host", sorted(GOOGLE_API_HOSTS))
@pytest.mark.parametrize(
    ("endpoint", "base"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("https://fake.test:9443/google/", "https://fake.test:9443/google"),
    ],
    ids=["bare", "trailing-slash", "https-with-prefix"],
)
def test_redirects_each_google_host_keeping_path_and_query(
    host: str, endpoint: str, base: str
) -> None:
    path = EXAMPLE_CALLS[host]

    assert redirect_url(f"https://{host}{path}", endpoint) == base + path


def test_redirects_a_google_url_that_names_its_port() -> None:
    url = "https://sheets.googleapis.com:443/v4/spreadsheets/s1"

    assert redirect_url(url, "http://127.0.0.1:8765") == "http://127.0.0.1:8765/v4/spreadsheets/s1"


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.google.com/spreadsheets/d/s1",
        "https://accounts.google.com/o/oauth2/auth",
        "https://googleapis.com.attacker.test/drive/v3/files",
        "https://example.com/drive/v3/files",
        "http://127.0.0.1:8765/drive/v3/files",
    ],
)
def test_leaves_other_hosts_alone(url: str) -> None:
    assert redirect_url(url, "http://127.0.0.1:9999") == url


@pytest.mark.parametrize("endpoint", [None, ""])
def test_without_an_endpoint_google_urls_go_to_google(endpoint: str | None) -> None:
    url = "https://www.googleapis.com/drive/v3/files?q=trashed%20%3D%20false"

    assert redirect_url(url, endpoint) == url


# -- over a socket -------------------------------------------------------------------------------


@dataclass
class Seen:
    requests: list[tuple[str, str]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    """Answers a resumable chunk with 308, anything else with 200 echoing the path."""

    seen: Seen
    send_location = False

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.seen.requests.append((self.command, self.path))
        if self.path == RESUMABLE_PATH:
            self.send_response(RESUME_INCOMPLETE)
            self.send_header("Range", "bytes=0-4")
            if self.send_location:
                self.send_header("Location", LOCATION_TARGET)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        return None


@dataclass
class Server:
    endpoint: str
    seen: Seen
    handler: type[_Handler]


@pytest.fixture
def server() -> Iterator[Server]:
    seen = Seen()
    handler = type("Handler", (_Handler,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
    )
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", seen, handler)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def upload_chunk(http: httplib2.Http) -> tuple[httplib2.Response, bytes]:
    return http.request(
        f"https://www.googleapis.com{RESUMABLE_PATH}",
        "PUT",
        body=b"chunk",
        headers={"Content-Range": "bytes 0-4/10", "Content-Length": "5"},
    )


@pytest.mark.parametrize("with_location", [False, True], ids=["no-location", "with-location"])
def test_resumable_upload_308_is_returned_not_followed(server: Server, with_location: bool) -> None:
    server.handler.send_location = with_location
    http = RedirectingHttp(server.endpoint, timeout=5)

    response, _ = upload_chunk(http)

    assert response.status == RESUME_INCOMPLETE
    assert response["range"] == "bytes=0-4"
    assert server.seen.requests == [("PUT", RESUMABLE_PATH)]


def test_a_plain_httplib2_would_have_treated_308_as_a_redirect(server: Server) -> None:
    """Why RedirectingHttp drops 308 from its redirect codes: this is what it avoids."""
    http = httplib2.Http(timeout=5)

    with pytest.raises(httplib2.RedirectMissingLocation):
        http.request(f"{server.endpoint}{RESUMABLE_PATH}", "PUT", body=b"chunk")


def test_redirecting_http_sends_google_calls_to_the_endpoint(server: Server) -> None:
    http = RedirectingHttp(server.endpoint, timeout=5)
    path = EXAMPLE_CALLS["drive.googleapis.com"]

    response, content = http.request(f"https://drive.googleapis.com{path}", "POST", body=b"{}")

    assert response.status == 200
    assert json.loads(content) == {"path": path}


def test_mounted_session_sends_google_calls_to_the_endpoint(server: Server) -> None:
    session = mount_endpoint(requests.Session(), server.endpoint)
    path = EXAMPLE_CALLS["sheets.googleapis.com"]

    response = session.get(f"https://sheets.googleapis.com{path}", timeout=5)

    assert response.json() == {"path": path}
    assert server.seen.requests == [("GET", path)]


def test_mounting_no_endpoint_leaves_the_session_as_it_was() -> None:
    session = requests.Session()

    assert mount_endpoint(session, None) is session
    assert not isinstance(session.get_adapter("https://www.googleapis.com/"), RedirectingAdapter)
