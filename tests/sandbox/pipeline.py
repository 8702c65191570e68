"""In-process calls into the sandbox's request pipeline (no HTTP, no OAuth), for tests of the
handlers and of what they keep up to date."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from careerdocs.sandbox import core
from careerdocs.sandbox.core import Request, Response
from careerdocs.sandbox.server import Sandbox
from tests.conftest import ALICE, USERS

FILES = "/drive/v3/files"


class Drive:
    """Calls into a sandbox that is never started: ``dispatch`` runs the real pipeline."""

    def __init__(self) -> None:
        self.sandbox = Sandbox()
        for user in USERS:
            self.sandbox.add_user(user)
        self.store = self.sandbox.store

    def call(
        self,
        method: str,
        url: str,
        user: str = ALICE,
        body: Any = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> Response:
        split = urlsplit(url)
        query = "&".join(q for q in (split.query, urlencode(params)) if q)
        all_headers = {"Host": "sandbox.test:1234"}
        if isinstance(body, dict):
            all_headers["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        all_headers.update(headers or {})
        req = Request.build(method, split.path, query, all_headers, body or b"")
        req.user = user
        return self.sandbox.dispatch(req)

    def ok(
        self, method: str, url: str, user: str = ALICE, body: Any = None, **params: Any
    ) -> dict[str, Any]:
        resp = self.call(method, url, user, body, **params)
        assert resp.status == 200, resp.body
        return dict(json.loads(resp.body))

    def error(
        self, method: str, url: str, user: str = ALICE, body: Any = None, **params: Any
    ) -> tuple[int, dict[str, Any]]:
        resp = self.call(method, url, user, body, **params)
        assert resp.status >= 400, resp.body
        error = json.loads(resp.body)["error"]
        return resp.status, error

    def create(self, user: str = ALICE, **body: Any) -> str:
        return str(self.ok("POST", FILES, user, body)["id"])

    def folder(self, name: str = "Ada", user: str = ALICE, **body: Any) -> str:
        return self.create(user, name=name, mimeType=core.FOLDER, **body)

    def share(self, file_id: str, email: str, role: str, user: str = ALICE) -> dict[str, Any]:
        return self.ok(
            "POST",
            f"{FILES}/{file_id}/permissions",
            user,
            {"type": "user", "role": role, "emailAddress": email},
            sendNotificationEmail="false",
        )
