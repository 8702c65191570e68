"""Gmail's daily sending limit in the sandbox (quotas "google"): each user may send 2,000
messages in any rolling 24 hours ("Gmail sending limits for Workspace", google-api-facts.md);
past it Gmail answers 429 "User-rate limit exceeded.  Retry after <RFC 3339> (Mail sending)",
reason rateLimitExceeded. Time is compressed by ``time_scale`` as for the per-minute quotas."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from careerdocs.sandbox.quotas import DEFAULT_DAILY_LIMITS, Quotas
from careerdocs.sandbox.server import SandboxOptions
from tests.conftest import ALICE, BOB, SandboxKit

pytestmark = pytest.mark.google

SEND = "users.messages.send"


def _raw(to: str = BOB) -> dict[str, str]:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = "Your growth plan is ready"
    msg.set_content("Hi Bob")
    return {"raw": base64.urlsafe_b64encode(msg.as_bytes()).decode("ascii")}


def _send(kit: SandboxKit, user: str = ALICE) -> Any:
    return kit.gmail.users().messages().send(userId="me", body=_raw()).execute(http=kit.http(user))


def test_the_default_is_2000_messages_a_day() -> None:
    assert DEFAULT_DAILY_LIMITS == {SEND: 2000}


def test_past_the_daily_limit_gmail_says_when_to_retry(sandbox_factory: Any) -> None:
    # a day passes in 24 seconds; 3 messages a day
    kit = sandbox_factory(SandboxOptions(quotas="google", time_scale=3600, daily_limits={SEND: 3}))
    started = time.time()
    for _ in range(3):
        _send(kit)
    with pytest.raises(HttpError) as refused:
        _send(kit)
    assert refused.value.resp.status == 429
    error = json.loads(refused.value.content)["error"]
    assert error["errors"][0]["reason"] == "rateLimitExceeded"
    message = error["message"]
    assert message.startswith("User-rate limit exceeded.  Retry after ")
    assert message.endswith(" (Mail sending)")
    until = datetime.fromisoformat(message.split("Retry after ")[1].split(" ")[0][:-1] + "+00:00")
    assert started + 23 <= until.timestamp() <= time.time() + 25
    assert len(kit.sandbox.sent_messages(ALICE)) == 3
    _send(kit, BOB)  # each user's day is their own


def test_the_window_rolls() -> None:
    quotas = Quotas(time_scale=86_400 / 0.2, daily={SEND: 2})  # a day passes in 0.2 s
    assert quotas.charge("gmail", "write", SEND, ALICE) is None
    assert quotas.charge("gmail", "write", SEND, ALICE) is None
    refused = quotas.charge("gmail", "write", SEND, ALICE)
    assert refused is not None and refused.scope == "day"
    time.sleep(0.25)
    assert quotas.charge("gmail", "write", SEND, ALICE) is None


def test_other_calls_have_no_daily_limit() -> None:
    quotas = Quotas(daily={SEND: 1})
    for _ in range(5):
        assert quotas.charge("gmail", "read", "users.messages.list", ALICE) is None
