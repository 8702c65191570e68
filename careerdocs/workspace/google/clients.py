"""Real Google client objects, per acting user, pointed at Google or at a configured endpoint.

Discovery services are built once per process from the documents google-api-python-client ships
(no network); each call is executed with the acting user's own authorized ``http``, so one
service object serves every impersonated user. Each user's credentials (and so their access
token) are shared by all threads; httplib2 objects are not thread-safe, so each thread has one
connection pool, which every user's authorized wrapper on that thread shares.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import google.auth.transport.requests
import google_auth_httplib2
import gspread
import requests
from google.auth.transport.requests import AuthorizedSession
from googleapiclient import discovery

from .auth import CredentialFactory
from .transport import RedirectingHttp, mount_endpoint

API_VERSIONS = {"drive": "v3", "docs": "v1", "sheets": "v4", "gmail": "v1"}


# Building a resource costs tens of MB and up to a second: worker threads that all need one at
# once must not each build their own (functools.cache does not lock).
_BUILD_LOCK = threading.RLock()


def service(api: str) -> Any:
    """The discovery service for ``api``; calls must be executed with ``http=``."""
    with _BUILD_LOCK:
        return _service(api)


def resource(api: str, path: str) -> Any:
    """A discovery resource such as ``resource("sheets", "spreadsheets.values")``, built once:
    building one parses its part of the discovery document."""
    with _BUILD_LOCK:
        return _resource(api, path)


@cache
def _service(api: str) -> Any:
    return discovery.build(
        api,
        API_VERSIONS[api],
        http=RedirectingHttp(None),
        cache_discovery=False,
        static_discovery=True,
    )


@cache
def _resource(api: str, path: str) -> Any:
    obj = _service(api)
    for part in path.split("."):
        obj = getattr(obj, part)()
    return obj


class Clients:
    """Authorized transports and clients for each acting user."""

    def __init__(self, credentials: CredentialFactory, endpoint: str | None = None) -> None:
        self.credentials = credentials
        self.endpoint = endpoint or None
        self._local = threading.local()
        self._credentials: dict[str, Any] = {}
        self._credentials_lock = threading.Lock()

    def user_credentials(self, user: str | None) -> Any:
        """The one credentials object acting as ``user``, shared by every thread, so each
        user's token is fetched once per run."""
        with self._credentials_lock:
            key = user or ""
            if key not in self._credentials:
                self._credentials[key] = self.credentials.for_user(user)
            return self._credentials[key]

    def _pool(self) -> RedirectingHttp:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = RedirectingHttp(self.endpoint)
        return pool

    def _cache(self) -> dict[tuple[str, str], Any]:
        cache_ = getattr(self._local, "cache", None)
        if cache_ is None:
            cache_ = self._local.cache = {}
        return cache_

    def http(self, user: str | None) -> google_auth_httplib2.AuthorizedHttp:
        """An httplib2 transport acting as ``user`` (for google-api-python-client ``execute``)."""
        key = ("http", user or "")
        cache_ = self._cache()
        if key not in cache_:
            cache_[key] = google_auth_httplib2.AuthorizedHttp(
                self.user_credentials(user), http=self._pool()
            )
        return cache_[key]

    def token_request(self) -> google.auth.transport.requests.Request:
        """What google-auth fetches tokens with: a plain session (no credentials of its own)
        routed to the endpoint. A user login's token endpoint is always Google's (google-auth
        ignores the file's ``token_uri`` for ``authorized_user``), so it is redirected like any
        API host; one per thread, as requests sessions are not thread-safe."""
        request = getattr(self._local, "token_request", None)
        if request is None:
            session = mount_endpoint(requests.Session(), self.endpoint)
            request = self._local.token_request = google.auth.transport.requests.Request(session)
        return request

    def session(self, user: str | None) -> AuthorizedSession:
        """A requests session acting as ``user`` (gspread, raw HTTP); its token refreshes go
        through :meth:`token_request`, so they reach the endpoint too."""
        key = ("session", user or "")
        cache_ = self._cache()
        if key not in cache_:
            session = AuthorizedSession(
                self.user_credentials(user), auth_request=self.token_request()
            )
            cache_[key] = mount_endpoint(session, self.endpoint)
        return cache_[key]

    def gspread(self, user: str | None) -> gspread.Client:
        key = ("gspread", user or "")
        cache_ = self._cache()
        if key not in cache_:
            cache_[key] = gspread.Client(auth=None, session=self.session(user))  # type: ignore[arg-type]
        return cache_[key]

    def resource(self, api: str, path: str) -> Any:
        return resource(api, path)

    def service(self, api: str) -> Any:
        return service(api)
