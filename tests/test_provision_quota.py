"""A 200-person provision against a sandbox enforcing Google's quotas finishes with no failure
and no account over its Gmail limits: each person's email comes from their manager, managers
past their daily budget hand over to the configured senders, and the sandbox, which refuses any
send over an account's per-minute quota, refuses none.

Gmail's per-user quota is cut to 5 sends a minute (500 units) and the daily limit to 11, so a
small company meets both; quota minutes pass 60 times faster (``time_scale``), and careerdocs'
pacer runs on the same compressed clock, as bench/_common.py does."""

from __future__ import annotations

import csv
import email
import json
import textwrap
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careerdocs import provision
from careerdocs.cli import load_roster
from careerdocs.config import load_settings
from careerdocs.sandbox.quotas import ScaledClock
from careerdocs.sandbox.server import SandboxOptions
from careerdocs.workspace.google import open_google

from .conftest import google_config_text, write_config

TODAY = date(2026, 11, 26)
PEOPLE = 200
SPAN = 12  # direct reports of each manager: more than a manager's daily budget
DAILY_LIMIT = 11
GMAIL_UNITS_PER_MINUTE = 500  # 5 sends a minute per account
TIME_SCALE = 60.0  # a quota minute passes in a second
POOL = ("people@example.com", "careers@example.com", "hello@example.com")
ADMIN = "p0002@example.com"
REFUSED = (403, 429)


def company(count: int) -> list[list[str]]:
    """Roster rows: p0001 is the CEO, then everyone reports breadth-first to a manager with
    up to :data:`SPAN` reports; p0002 is everyone's PBP."""
    rows: list[list[str]] = []
    for index in range(1, count + 1):
        manager = "" if index == 1 else f"p{(index - 2) // SPAN + 1:04d}@example.com"
        rows.append([f"p{index:04d}@example.com", f"Person {index}", manager, "2020-01-06", ADMIN])
    return rows


@pytest.fixture
def quota_setup(tmp_path: Path, sandbox_factory: Any) -> tuple[Any, Path, list[list[str]]]:
    rows = company(PEOPLE)
    users = tuple(r[0] for r in rows) + POOL
    kit = sandbox_factory(
        SandboxOptions(
            quotas="google",
            time_scale=TIME_SCALE,
            quota_limits={("gmail", "write"): (GMAIL_UNITS_PER_MINUTE, 1_200_000)},
        ),
        users,
    )
    with (tmp_path / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Name", "Manager Email", "Start Date", "PBP"])
        writer.writerows(rows)
    (tmp_path / "key.json").write_text(json.dumps(kit.key), encoding="utf-8")
    senders = ", ".join(f'"{s}"' for s in POOL)
    config = write_config(
        tmp_path,
        google_config_text(kit.endpoint, admin=ADMIN)
        + textwrap.dedent(
            f"""
            fill = "copy"
            [google.quotas]
            gmail_units_per_user = {GMAIL_UNITS_PER_MINUTE}
            [notify]
            send_as = "manager"
            senders = [{senders}]
            daily_limit = {DAILY_LIMIT}
            """
        ),
    )
    return kit, config, rows


@pytest.mark.timeout(1800)  # 200 people, 2,000 calls: minutes, more on a busy 2-core machine
def test_200_people_under_quotas_no_failure_and_no_sender_over_its_limits(
    quota_setup: tuple[Any, Path, list[list[str]]],
) -> None:
    kit, config, rows = quota_setup
    settings = load_settings(config)
    clock = ScaledClock(TIME_SCALE)
    workspace = open_google(settings, clock=clock.now, sleep=clock.sleep)
    roster = load_roster(settings, workspace)
    the_plan = provision.prepare(settings, workspace, roster, today=TODAY)

    result = provision.apply(the_plan, workspace, settings, roster, today=TODAY, workers=8)

    assert result.failures == {}
    assert result.counts()["notified"] == PEOPLE
    sent = {
        sender: [email.message_from_bytes(m.raw) for m in messages]
        for sender, messages in kit.store.messages.items()
    }
    per_sender = Counter({sender: len(messages) for sender, messages in sent.items()})
    recipients = Counter(m["To"] for messages in sent.values() for m in messages)
    assert recipients == Counter(r[0] for r in rows)  # each person once
    manager_of = {r[0]: r[2] for r in rows}
    for sender, messages in sent.items():
        for message in messages:
            assert message["From"] == sender
            assert sender in (manager_of[message["To"]], *POOL)  # their manager, or the pool
    assert max(per_sender.values()) <= DAILY_LIMIT  # nobody over the daily limit
    assert sum(per_sender[s] for s in POOL) == 1 + (PEOPLE - 1) // SPAN  # the CEO, and the
    # 12th report of each full team: one past each manager's 11
    # The sandbox refuses any send over an account's per-minute quota (so none happened); the
    # pacer keeps under it, so refusals are only the odd send whose request arrived a little
    # earlier than the one before it (the two clocks agree, the network's delays do not).
    refused = sum(
        row["count"]
        for row in kit.counters.snapshot()
        if row["api"] == "gmail" and row["status"] in REFUSED
    )
    assert refused <= PEOPLE // 20
    saved = json.loads(settings.notify.ledger.read_text(encoding="utf-8"))["sent"]
    assert Counter({s: len(t) for s, t in saved.items()}) == per_sender
