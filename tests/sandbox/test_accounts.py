"""Accounts in the sandbox, as on Google: only created accounts can be impersonated, a suspended
one is refused, and a person's own OAuth user login refreshes against the sandbox and acts as
them — all through the real google-auth and google-api-python-client."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import pytest
import requests
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build

from careerdocs.sandbox.oauth import SCOPE_PREFIX
from careerdocs.sandbox.server import parse_user_login
from careerdocs.workspace.google.transport import mount_endpoint
from tests.conftest import ALICE, BOB, SandboxKit

DRIVE_SCOPE = SCOPE_PREFIX + "drive"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Google's answer for an impersonated account that does not exist or is suspended
# (shared/google-api-facts.md section 3).
UNKNOWN_ACCOUNT = {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
START_TIMEOUT_SECONDS = 20


def _assertion(kit: SandboxKit, subject: str) -> str:
    """The JWT google-auth signs for ``subject`` (its own code path, not a copy of it)."""
    creds = service_account.Credentials.from_service_account_info(
        kit.key, scopes=[DRIVE_SCOPE], subject=subject
    )
    return creds._make_authorization_grant_assertion()  # google-auth's own signer


def _token_reply(kit: SandboxKit, subject: str) -> requests.Response:
    return requests.post(
        kit.sandbox.token_uri,
        data={"grant_type": JWT_BEARER, "assertion": _assertion(kit, subject)},
        timeout=10,
    )


def _refresh_as(kit: SandboxKit, subject: str) -> None:
    creds = service_account.Credentials.from_service_account_info(
        kit.key, scopes=[DRIVE_SCOPE], subject=subject
    )
    creds.refresh(google.auth.transport.requests.Request())


@pytest.mark.parametrize(
    "subject",
    ["dave@example.com", "nobody@elsewhere.org", "ALICE@example.com.invalid"],
    ids=["never-created-in-a-known-domain", "unknown-domain", "look-alike"],
)
def test_an_account_nobody_created_is_refused_with_googles_body(
    sandbox: SandboxKit, subject: str
) -> None:
    reply = _token_reply(sandbox, subject)
    assert reply.status_code == 400
    assert reply.json() == UNKNOWN_ACCOUNT
    with pytest.raises(google.auth.exceptions.RefreshError, match="Invalid email or User ID"):
        _refresh_as(sandbox, subject)


def test_a_suspended_account_is_refused_and_keeps_its_files(sandbox: SandboxKit) -> None:
    made = sandbox.drive.files().create(body={"name": "mine"}).execute(http=sandbox.http(ALICE))
    sandbox.sandbox.suspend_user(ALICE)
    reply = _token_reply(sandbox, ALICE)
    assert (reply.status_code, reply.json()) == (400, UNKNOWN_ACCOUNT)
    assert sandbox.store.files[made["id"]].owner == ALICE
    assert _token_reply(sandbox, BOB).status_code == 200  # others are untouched


def test_accounts_are_created_and_suspended_through_the_admin_api(sandbox: SandboxKit) -> None:
    admin = sandbox.endpoint + "/_sandbox/users"
    assert _token_reply(sandbox, "dave@example.com").status_code == 400
    requests.post(admin, json={"emails": ["Dave@example.com"]}, timeout=10).raise_for_status()
    assert _token_reply(sandbox, "dave@example.com").status_code == 200
    suspended = requests.post(admin + "/suspend", json={"emails": [BOB]}, timeout=10)
    assert suspended.json() == {"suspended": [BOB]}
    assert _token_reply(sandbox, BOB).json() == UNKNOWN_ACCOUNT
    listing = requests.get(admin, timeout=10).json()
    assert "dave@example.com" in listing["users"] and listing["suspended"] == [BOB]
    unknown = requests.post(admin + "/suspend", json={"emails": ["eve@example.com"]}, timeout=10)
    assert unknown.status_code == 404
    requests.post(admin, json={"emails": [BOB]}, timeout=10).raise_for_status()  # restored
    assert _token_reply(sandbox, BOB).status_code == 200


def test_the_service_account_itself_is_not_an_impersonation(sandbox: SandboxKit) -> None:
    creds = service_account.Credentials.from_service_account_info(sandbox.key, scopes=[DRIVE_SCOPE])
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token


# -- a person's own OAuth login -----------------------------------------------------------------


def _refresh_via_endpoint(creds: Any, endpoint: str) -> None:
    """Refresh a user login the way careerdocs does. google-auth ignores an authorized_user
    file's token_uri (``from_authorized_user_info`` always sets Google's, "always overrides",
    google-auth 2.63.0 google/oauth2/credentials.py), so the POST goes to
    oauth2.googleapis.com and careerdocs' endpoint redirect carries it to the sandbox."""
    session = mount_endpoint(requests.Session(), endpoint)
    creds.refresh(google.auth.transport.requests.Request(session))


def _drive_for(kit: SandboxKit, creds: Any) -> Any:
    return build(
        "drive",
        "v3",
        credentials=creds,
        client_options={"api_endpoint": kit.endpoint + "/drive/v3/"},
        static_discovery=True,
    )


def test_a_user_login_refreshes_at_the_sandbox_and_acts_as_that_user(sandbox: SandboxKit) -> None:
    info = sandbox.sandbox.user_credentials(BOB)
    assert info["type"] == "authorized_user"
    assert info["token_uri"] == sandbox.sandbox.token_uri
    creds = user_credentials.Credentials.from_authorized_user_info(info)
    assert creds.token_uri == "https://oauth2.googleapis.com/token"  # the file's is ignored
    _refresh_via_endpoint(creds, sandbox.endpoint)
    drive = _drive_for(sandbox, creds)
    made = drive.files().create(body={"name": "by bob"}, fields="id,owners").execute()
    assert made["owners"][0]["emailAddress"] == BOB
    assert sandbox.counters.total(api="oauth", method="token", user=BOB, status=200) == 1


def test_a_suspended_users_login_no_longer_refreshes(sandbox: SandboxKit) -> None:
    creds = user_credentials.Credentials.from_authorized_user_info(
        sandbox.sandbox.user_credentials(BOB)
    )
    sandbox.sandbox.suspend_user(BOB)
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        _refresh_via_endpoint(creds, sandbox.endpoint)


@pytest.mark.parametrize("spec", ["alice@example.com", "alice:x.json", ":x.json", "a@b.c:"])
def test_a_malformed_user_login_spec_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="EMAIL:FILE"):
        parse_user_login(spec)


def test_serve_writes_user_logins_that_refresh_against_it(tmp_path: Path) -> None:
    """`careerdocs sandbox serve --user-login EMAIL:FILE` (port 0 is not used: the port flag is
    another option's business, so a free one is picked here)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    login = tmp_path / "login" / "carol.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "careerdocs",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--key-file",
            str(tmp_path / "key.json"),
            "--user-login",
            f"carol@example.com:{login}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        assert f"User login for carol@example.com: {login}\n" in lines
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not login.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        info = json.loads(login.read_text(encoding="utf-8"))
        assert oct(login.stat().st_mode & 0o777) == "0o600"
        assert info["token_uri"] == f"http://127.0.0.1:{port}/token"
        creds = user_credentials.Credentials.from_authorized_user_info(info)
        _refresh_via_endpoint(creds, f"http://127.0.0.1:{port}")
        about = requests.get(
            f"http://127.0.0.1:{port}/drive/v3/about",
            params={"fields": "user(emailAddress)"},
            headers={"Authorization": f"Bearer {creds.token}"},
            timeout=10,
        ).json()
        assert about == {"user": {"emailAddress": "carol@example.com"}}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for line in lines:
        assert info["refresh_token"] not in line and info["client_secret"] not in line


def test_serve_refuses_a_malformed_user_login() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "careerdocs", "sandbox", "serve", "--user-login", "nobody"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "EMAIL:FILE" in done.stderr
