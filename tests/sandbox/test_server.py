"""The sandbox's shared pipeline: OAuth, access tokens, scopes, quotas, faults, latency,
counters and persistence — driven through the real google-auth and google-api-python-client."""

from __future__ import annotations

import base64
import json
import time

import google.auth.exceptions
import google.auth.transport.requests
import pytest
import requests
from google.oauth2 import service_account
from googleapiclient.errors import HttpError

from careerdocs.sandbox.faults import FaultOptions
from careerdocs.sandbox.oauth import SCOPE_PREFIX
from careerdocs.sandbox.server import SandboxOptions
from careerdocs.workspace.google.auth import CredentialFactory
from careerdocs.workspace.google.clients import Clients
from careerdocs.workspace.google.transport import mount_endpoint

from ..conftest import ALICE, BOB, SandboxKit

DRIVE_SCOPE = SCOPE_PREFIX + "drive"


def _error(exc: HttpError) -> dict:
    return json.loads(exc.content)["error"]


def _create_folder(kit: SandboxKit, user: str, name: str = "f") -> dict:
    body = {"name": name, "mimeType": "application/vnd.google-apps.folder"}
    return kit.drive.files().create(body=body, fields="id,owners").execute(http=kit.http(user))


def test_impersonated_user_owns_what_they_create(sandbox: SandboxKit) -> None:
    created = _create_folder(sandbox, ALICE)
    assert created["owners"][0]["emailAddress"] == ALICE
    assert sandbox.counters.total(api="oauth", method="token", user=ALICE, status=200) == 1


def test_token_endpoint_refuses_a_key_it_did_not_issue(sandbox: SandboxKit, signing_key) -> None:
    forged = dict(sandbox.key, private_key_id="not-a-key-we-issued")
    creds = service_account.Credentials.from_service_account_info(
        forged, scopes=[DRIVE_SCOPE], subject=ALICE
    )
    session = mount_endpoint(requests.Session(), sandbox.endpoint)
    with pytest.raises(google.auth.exceptions.RefreshError, match="Invalid JWT Signature"):
        creds.refresh(google.auth.transport.requests.Request(session))


def test_token_endpoint_refuses_an_unknown_subject(sandbox: SandboxKit) -> None:
    creds = service_account.Credentials.from_service_account_info(
        sandbox.key, scopes=[DRIVE_SCOPE], subject="nobody@elsewhere.org"
    )
    session = mount_endpoint(requests.Session(), sandbox.endpoint)
    with pytest.raises(google.auth.exceptions.RefreshError, match="Invalid email or User ID"):
        creds.refresh(google.auth.transport.requests.Request(session))


@pytest.mark.parametrize(
    ("iat_offset", "exp_offset"),
    [(-7200, -3600), (0, 7200)],
    ids=["expired", "lifetime-over-an-hour"],
)
def test_token_endpoint_refuses_assertions_outside_the_timeframe(
    sandbox: SandboxKit, signing_key, iat_offset: int, exp_offset: int
) -> None:
    from google.auth import crypt, jwt

    now = int(time.time())
    claims = {
        "iss": sandbox.key["client_email"],
        "sub": ALICE,
        "scope": DRIVE_SCOPE,
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now + iat_offset,
        "exp": now + exp_offset,
    }
    signer = crypt.RSASigner.from_service_account_info(sandbox.key)
    assertion = jwt.encode(signer, claims).decode()
    reply = requests.post(
        sandbox.sandbox.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_grant"
    assert "short-lived token" in reply.json()["error_description"]


def test_delegation_limited_to_some_scopes_refuses_others(sandbox_factory) -> None:
    kit = sandbox_factory(SandboxOptions(delegated_scopes=frozenset({DRIVE_SCOPE})))
    factory = CredentialFactory(kit.key)  # asks for drive, documents, spreadsheets, gmail.send
    http = Clients(factory, kit.endpoint).http(ALICE)
    with pytest.raises(google.auth.exceptions.RefreshError, match="unauthorized_client"):
        kit.drive.files().list().execute(http=http)


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("drive", {"code": 401, "message": "Invalid Credentials"}),
        ("sheets", {"code": 401, "status": "UNAUTHENTICATED"}),
    ],
)
def test_a_bad_bearer_token_gets_google_401_body(
    sandbox: SandboxKit, api: str, expected: dict
) -> None:
    path = {"drive": "/drive/v3/files", "sheets": "/v4/spreadsheets/x"}[api]
    reply = requests.get(sandbox.endpoint + path, headers={"Authorization": "Bearer nope"})
    assert reply.status_code == 401
    body = reply.json()["error"]
    assert expected.items() <= body.items()
    assert ("errors" in body) == (api == "drive")
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_the_api_scope_is_refused_403(sandbox: SandboxKit) -> None:
    factory = CredentialFactory(sandbox.key, scopes=[SCOPE_PREFIX + "gmail.send"])
    http = Clients(factory, sandbox.endpoint).http(ALICE)
    with pytest.raises(HttpError) as caught:
        sandbox.drive.files().list().execute(http=http)
    assert caught.value.resp.status == 403
    assert _error(caught.value)["errors"][0]["reason"] == "insufficientPermissions"


def test_expired_tokens_are_refreshed_by_the_real_client(sandbox: SandboxKit) -> None:
    _create_folder(sandbox, ALICE)
    sandbox.sandbox.authority.expire_all()
    _create_folder(sandbox, ALICE)  # the 401 makes google-auth-httplib2 refresh and retry
    assert sandbox.counters.total(api="oauth", user=ALICE, status=200) == 2
    assert sandbox.counters.total(api="drive", method="files.create", status=401) == 1
    assert sandbox.counters.total(api="drive", method="files.create", status=200) == 2


def test_short_token_lifetime_makes_the_client_refresh_before_each_call(sandbox_factory) -> None:
    kit = sandbox_factory(SandboxOptions(token_ttl=60))  # under google-auth's 225 s threshold
    for _ in range(3):
        _create_folder(kit, BOB)
    assert kit.counters.total(api="oauth", user=BOB) == 3


def test_sheets_quota_answers_429_resource_exhausted(sandbox_factory) -> None:
    kit = sandbox_factory(
        SandboxOptions(quotas="google", quota_limits={("sheets", "read"): (2, 300)})
    )
    sheet = (
        kit.sheets.spreadsheets()
        .create(body={"properties": {"title": "q"}})
        .execute(http=kit.http(ALICE))
    )
    get = kit.sheets.spreadsheets().get(spreadsheetId=sheet["spreadsheetId"])
    get.execute(http=kit.http(ALICE))
    get.execute(http=kit.http(ALICE))
    with pytest.raises(HttpError) as caught:
        get.execute(http=kit.http(ALICE))
    err = _error(caught.value)
    assert (err["code"], err["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert "per minute per user" in err["message"]
    # another user has their own per-user bucket
    kit.sheets.spreadsheets().create(body={"properties": {"title": "b"}}).execute(
        http=kit.http(BOB)
    )


def test_drive_quota_answers_403_user_rate_limit(sandbox_factory) -> None:
    kit = sandbox_factory(
        SandboxOptions(quotas="google", quota_limits={("drive", "read"): (1, 100)})
    )
    kit.drive.files().list().execute(http=kit.http(ALICE))
    with pytest.raises(HttpError) as caught:
        kit.drive.files().list().execute(http=kit.http(ALICE))
    err = _error(caught.value)
    assert caught.value.resp.status == 403
    assert err["errors"][0] == {
        "domain": "usageLimits",
        "reason": "userRateLimitExceeded",
        "message": "User Rate Limit Exceeded",
    }


def test_quota_refills_with_time_scale(sandbox_factory) -> None:
    kit = sandbox_factory(
        SandboxOptions(
            quotas="google", time_scale=600.0, quota_limits={("drive", "read"): (1, 100)}
        )
    )
    kit.drive.files().list().execute(http=kit.http(ALICE))
    time.sleep(0.15)  # 0.15 s * 600 = 90 quota seconds: one call's worth has refilled
    kit.drive.files().list().execute(http=kit.http(ALICE))


def test_injected_faults_are_seeded_and_reproducible(sandbox_factory) -> None:
    outcomes = []
    for _ in range(2):
        kit = sandbox_factory(SandboxOptions(faults=FaultOptions(rate_503=0.5, seed=42)))
        run = []
        for _ in range(12):
            try:
                kit.drive.files().list().execute(http=kit.http(ALICE))
                run.append(200)
            except HttpError as exc:
                run.append(exc.resp.status)
        outcomes.append(run)
    assert outcomes[0] == outcomes[1]
    assert 503 in outcomes[0] and 200 in outcomes[0]


def test_a_dropped_connection_reaches_the_client_as_a_transport_error(sandbox_factory) -> None:
    kit = sandbox_factory(SandboxOptions(faults=FaultOptions(rate_drop=1.0)))
    session = kit.session(ALICE)
    with pytest.raises(requests.ConnectionError):
        session.get("https://www.googleapis.com/drive/v3/files", timeout=5)


def test_latency_is_added_to_each_call(sandbox_factory) -> None:
    kit = sandbox_factory(SandboxOptions(latency_ms=60))
    kit.drive.files().list().execute(http=kit.http(ALICE))  # token fetch outside the timing
    started = time.perf_counter()
    kit.drive.files().list().execute(http=kit.http(ALICE))
    assert time.perf_counter() - started >= 0.06


def _seconds(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def test_a_method_can_have_its_own_latency_and_the_token_endpoint_too(sandbox_factory) -> None:
    kit = sandbox_factory(
        SandboxOptions(
            latency_ms=0,
            method_latency_ms={"drive files.list": (250, 0), "oauth token": (200, 0)},
        )
    )
    first = _seconds(lambda: kit.drive.files().list().execute(http=kit.http(ALICE)))
    listed = _seconds(lambda: kit.drive.files().list().execute(http=kit.http(ALICE)))
    created = _seconds(lambda: _create_folder(kit, ALICE))
    assert first >= 0.45  # the token request, then the list
    assert 0.25 <= listed < 0.45
    assert created < 0.25  # files.create falls back to latency_ms, here none


def test_counters_are_readable_over_http(sandbox: SandboxKit) -> None:
    _create_folder(sandbox, ALICE)
    counters = requests.get(sandbox.endpoint + "/_sandbox/counters").json()["counters"]
    assert {
        "api": "drive",
        "method": "files.create",
        "user": ALICE,
        "status": 200,
        "count": 1,
    } in counters


def test_state_dir_survives_a_restart(sandbox_factory, tmp_path, signing_key) -> None:
    kit = sandbox_factory(SandboxOptions(state_dir=tmp_path))
    folder = _create_folder(kit, ALICE, "kept")
    kit.sandbox.stop()
    again = sandbox_factory(SandboxOptions(state_dir=tmp_path))
    got = (
        again.drive.files().get(fileId=folder["id"], fields="name").execute(http=again.http(ALICE))
    )
    assert got["name"] == "kept"


def test_gmail_raw_message_is_stored_per_sender(sandbox: SandboxKit) -> None:
    raw = base64.urlsafe_b64encode(
        b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    ).decode()
    sandbox.gmail.users().messages().send(userId="me", body={"raw": raw}).execute(
        http=sandbox.http(ALICE)
    )
    sent = sandbox.sandbox.sent_messages(ALICE)
    assert len(sent) == 1 and b"Subject: hi" in sent[0].raw
