"""Gmail v1 through the real google-api-python-client, against the sandbox over HTTP."""

from __future__ import annotations

import base64
import io
import json
from email import message_from_bytes
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from careerdocs.workspace.google.auth import SCOPE_BASE, SCOPES, CredentialFactory
from careerdocs.workspace.google.clients import Clients
from tests.conftest import ALICE, BOB, PBP, SandboxKit

pytestmark = pytest.mark.google

GMAIL_READONLY = SCOPE_BASE + "gmail.readonly"
RFC822 = "message/rfc822"


def _message(to: str | None = BOB, subject: str = "Your growth plan is ready") -> EmailMessage:
    msg = EmailMessage()
    if to is not None:
        msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hi Bob,\nyour Individual Growth Plan is in your Drive.")
    return msg


def _raw(msg: EmailMessage) -> str:
    return base64.urlsafe_b64encode(msg.as_bytes()).decode("ascii")


def _messages(kit: SandboxKit) -> Any:
    return kit.gmail.users().messages()


def _send(kit: SandboxKit, body: dict, user: str = ALICE, user_id: str = "me", **kw: Any) -> dict:
    return _messages(kit).send(userId=user_id, body=body, **kw).execute(http=kit.http(user))


def _reader(kit: SandboxKit) -> Clients:
    """Clients allowed to read mail: sending alone (careerdocs' scope) may not read it back."""
    return Clients(CredentialFactory(kit.key, scopes=(*SCOPES, GMAIL_READONLY)), kit.endpoint)


def _error(caught: pytest.ExceptionInfo[HttpError]) -> dict:
    return json.loads(caught.value.content)["error"]


def test_send_as_impersonated_user_is_stored_in_their_sent_mail(sandbox: SandboxKit):
    sent = _send(sandbox, {"raw": _raw(_message())})
    assert sent["labelIds"] == ["SENT"]
    assert sent["threadId"] == sent["id"]
    (stored,) = sandbox.sandbox.sent_messages(ALICE)
    assert stored.id == sent["id"]
    parsed = message_from_bytes(stored.raw)
    assert parsed["From"] == ALICE  # Gmail fills in the sender
    assert parsed["To"] == BOB
    assert parsed["Date"]


def test_sender_is_the_impersonated_user_even_if_from_names_someone_else(sandbox: SandboxKit):
    msg = _message()
    msg["From"] = f"People Team <{PBP}>"
    _send(sandbox, {"raw": _raw(msg)})
    (stored,) = sandbox.sandbox.sent_messages(ALICE)
    assert message_from_bytes(stored.raw)["From"] == f"People Team <{ALICE}>"


def test_send_to_oneself_lands_in_the_inbox_too(sandbox: SandboxKit):
    sent = _send(sandbox, {"raw": _raw(_message(to=ALICE))})
    assert sent["labelIds"] == ["UNREAD", "SENT", "INBOX"]


def test_user_id_may_be_the_users_own_address(sandbox: SandboxKit):
    sent = _send(sandbox, {"raw": _raw(_message())}, user_id=ALICE)
    assert sent["labelIds"] == ["SENT"]


def test_delegation_denied_for_another_users_mailbox(sandbox: SandboxKit):
    with pytest.raises(HttpError) as caught:
        _send(sandbox, {"raw": _raw(_message())}, user_id=BOB)
    assert caught.value.resp.status == 403
    assert _error(caught) == {
        "errors": [
            {"domain": "global", "reason": "forbidden", "message": f"Delegation denied for {ALICE}"}
        ],
        "code": 403,
        "message": f"Delegation denied for {ALICE}",
    }
    assert sandbox.sandbox.sent_messages(ALICE) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "'raw' RFC822 payload message string or uploading message via /upload/* URL required"),
        ({"raw": _raw(_message(to=None))}, "Recipient address required"),
        ({"raw": _raw(_message(to="human@f"))}, "Invalid To header"),
        ({"raw": _raw(_message(to="b, o, b"))}, "Invalid To header"),
    ],
)
def test_refuses_a_message_it_cannot_send(sandbox: SandboxKit, body: dict, message: str):
    with pytest.raises(HttpError) as caught:
        _send(sandbox, body)
    assert caught.value.resp.status == 400
    error = _error(caught)
    assert error["message"] == message
    assert error["errors"][0]["reason"] == "invalidArgument"
    assert sandbox.sandbox.sent_messages(ALICE) == []


def test_cc_and_bcc_count_as_recipients(sandbox: SandboxKit):
    msg = _message(to=None)
    msg["Bcc"] = PBP
    assert _send(sandbox, {"raw": _raw(msg)})["labelIds"] == ["SENT"]


@pytest.mark.parametrize("with_metadata", [False, True])
def test_send_through_the_upload_url(sandbox: SandboxKit, with_metadata: bool):
    msg = _message()
    media = MediaIoBaseUpload(io.BytesIO(msg.as_bytes()), mimetype=RFC822)
    body = {"threadId": "unknown-thread"} if with_metadata else None
    sent = (
        _messages(sandbox)
        .send(userId="me", body=body, media_body=media)
        .execute(http=sandbox.http(ALICE))
    )
    (stored,) = sandbox.sandbox.sent_messages(ALICE)
    assert stored.id == sent["id"]
    assert stored.raw.endswith(msg.as_bytes().split(b"\n\n", 1)[1])
    assert message_from_bytes(stored.raw)["Subject"] == msg["Subject"]


def test_reads_back_sent_mail_in_raw_full_and_metadata_formats(sandbox: SandboxKit):
    first = _send(sandbox, {"raw": _raw(_message(subject="one"))})
    second = _send(sandbox, {"raw": _raw(_message(subject="two"))})
    reader = _reader(sandbox)
    listed = _messages(sandbox).list(userId="me").execute(http=reader.http(ALICE))
    assert listed == {
        "messages": [
            {"id": second["id"], "threadId": second["threadId"]},
            {"id": first["id"], "threadId": first["threadId"]},
        ],
        "resultSizeEstimate": 2,
    }
    raw = (
        _messages(sandbox)
        .get(userId="me", id=first["id"], format="raw")
        .execute(http=reader.http(ALICE))
    )
    assert base64.urlsafe_b64decode(raw["raw"]) == sandbox.sandbox.sent_messages(ALICE)[0].raw
    full = _messages(sandbox).get(userId="me", id=first["id"]).execute(http=reader.http(ALICE))
    headers = {h["name"]: h["value"] for h in full["payload"]["headers"]}
    assert headers["Subject"] == "one"
    assert full["payload"]["mimeType"] == "text/plain"
    text = base64.urlsafe_b64decode(full["payload"]["body"]["data"]).decode()
    assert text.startswith("Hi Bob,")
    assert full["snippet"] == "Hi Bob, your Individual Growth Plan is in your Drive."
    meta = (
        _messages(sandbox)
        .get(userId="me", id=first["id"], format="metadata", metadataHeaders=["To"])
        .execute(http=reader.http(ALICE))
    )
    assert meta["payload"]["headers"] == [{"name": "To", "value": BOB}]


def test_another_users_mail_is_not_readable(sandbox: SandboxKit):
    sent = _send(sandbox, {"raw": _raw(_message())})
    reader = _reader(sandbox)
    with pytest.raises(HttpError) as caught:
        _messages(sandbox).get(userId="me", id=sent["id"]).execute(http=reader.http(BOB))
    assert caught.value.resp.status == 404
    assert _messages(sandbox).list(userId="me").execute(http=reader.http(BOB)) == {
        "resultSizeEstimate": 0
    }
