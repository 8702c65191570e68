"""Send every Google API host to one configured endpoint, without touching the client libraries.

google-api-python-client's ``api_endpoint`` does not cover media uploads or batch requests, and
gspread's hosts are module constants (google-api-facts.md §9), so careerdocs redirects at the
transport instead: an httplib2-compatible ``Http`` for google-api-python-client and google-auth-
httplib2, and a ``requests`` adapter for gspread and google-auth's token refresh. With no endpoint
configured, these are plain transports and traffic goes to Google.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httplib2
import requests
from requests.adapters import HTTPAdapter

# Every host the four APIs and OAuth use. Paths never collide across them, so one endpoint can
# serve them all (the sandbox does).
GOOGLE_API_HOSTS = frozenset(
    {
        "www.googleapis.com",
        "drive.googleapis.com",
        "sheets.googleapis.com",
        "docs.googleapis.com",
        "gmail.googleapis.com",
        "oauth2.googleapis.com",
    }
)
DEFAULT_TIMEOUT_SECONDS = 60


def redirect_url(url: str, endpoint: str | None) -> str:
    """``url`` with a Google API host replaced by ``endpoint`` (scheme, host, and path prefix)."""
    if not endpoint:
        return url
    parts = urlsplit(url)
    if parts.hostname not in GOOGLE_API_HOSTS:
        return url
    target = urlsplit(endpoint)
    prefix = target.path.rstrip("/")
    return urlunsplit((target.scheme, target.netloc, prefix + parts.path, parts.query, ""))


class RedirectingHttp(httplib2.Http):
    """An ``httplib2.Http`` that sends Google hosts to ``endpoint``.

    Not thread-safe (no ``httplib2.Http`` is): use one per thread.
    """

    def __init__(self, endpoint: str | None, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.endpoint = endpoint
        # A resumable upload's 308 means "resume", not "redirect" (as googleapiclient's own
        # build_http does).
        self.redirect_codes = self.redirect_codes - {308}

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        return super().request(
            redirect_url(uri, self.endpoint), method, body, headers, redirections, connection_type
        )


class RedirectingAdapter(HTTPAdapter):
    """A ``requests`` adapter that sends Google hosts to ``endpoint``; mount it on ``https://``."""

    def __init__(self, endpoint: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint = endpoint

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if request.url:
            request.url = redirect_url(request.url, self.endpoint)
        return super().send(request, **kwargs)


def mount_endpoint(session: requests.Session, endpoint: str | None) -> requests.Session:
    """Route ``session``'s Google traffic to ``endpoint``; returns the same session."""
    if endpoint:
        adapter = RedirectingAdapter(endpoint)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session
