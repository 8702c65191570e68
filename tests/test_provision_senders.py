"""provision sends each person's email from the account the sender pool picks, within every
account's daily Gmail budget: past it, the documents are still made, the email waits, and the
run says when to run again (exit 3); a re-run then sends only what is left. Local backend
through the library (a fake clock), Google through the CLI against the sandbox."""

from __future__ import annotations

import email
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from careerdocs import provision
from careerdocs.cli import cli, load_roster
from careerdocs.config import load_settings
from careerdocs.errors import resume_text
from careerdocs.roster import read_csv, roster_emails
from careerdocs.sandbox.server import SandboxOptions
from careerdocs.senders import DAY, SenderPool, SendLedger, SendLimits
from careerdocs.workspace import open_workspace
from careerdocs.workspace.base import ArtifactKind
from careerdocs.workspace.local import OUTBOX

from .conftest import (
    EXAMPLE_ROSTER,
    LOCAL_CONFIG,
    GoogleSetup,
    roster_users,
    write_config,
    write_google_config,
)

TODAY_TEXT = "2026-11-26"
TODAY = datetime(2026, 11, 26).date()
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
ADMIN = "ines.duarte@example.com"
ZOE = "zoe.lambert@example.com"
SIOBHAN = "siobhan.obrien@example.com"
CEO = "margaret.okafor@example.com"
PEOPLE = len(roster_emails(*read_csv(EXAMPLE_ROSTER)))


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def local_setup(tmp_path: Path, notify: str) -> Path:
    shutil.copy(EXAMPLE_ROSTER, tmp_path / "roster.csv")
    return write_config(tmp_path, LOCAL_CONFIG + "\n[notify]\n" + notify)


def run_local(config: Path, pool: SenderPool | None = None) -> provision.Result:
    settings = load_settings(config)
    workspace = open_workspace(settings)
    roster = load_roster(settings, workspace)
    the_plan = provision.prepare(settings, workspace, roster, today=TODAY)
    return provision.apply(the_plan, workspace, settings, roster, today=TODAY, senders=pool)


def outbox_senders(config: Path) -> dict[str, str]:
    """To -> From of every message in the local outbox."""
    out = {}
    for path in (config.parent / "out" / OUTBOX).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        out[message["To"]] = message["From"]
    return out


def test_past_the_daily_limit_documents_are_made_and_emails_wait(tmp_path: Path) -> None:
    config = local_setup(tmp_path, 'send_as = "admin"')
    settings = load_settings(config)
    clock = Clock()
    ledger = SendLedger()

    def pool() -> SenderPool:
        return SenderPool(settings, ledger, now=clock, limits=SendLimits(per_day=5))

    first = run_local(config, pool())

    assert first.counts()["notified"] == 5
    assert len(outbox_senders(config)) == 5
    waiting = [p for p in first.people if p.error]
    assert len(waiting) == PEOPLE - 5
    assert all(len(p.artifacts) == 4 and not p.notified for p in waiting)
    assert waiting[0].error == (
        "documents ready; not emailed: careerdocs@example.com reached the limit of 5 messages "
        "in 24 hours; run again after 2026-11-27 09:00 UTC"
    )
    assert first.resume_at == T0 + DAY
    assert first.to_json()["resume_at"] == "2026-11-27T09:00:00+00:00"

    clock.at += DAY
    second = run_local(config, pool())

    assert second.counts()["created"] == 0  # only the emails were left
    assert second.counts()["notified"] == 5
    assert len(outbox_senders(config)) == 10


def test_the_local_outbox_counts_against_the_senders_day_too(tmp_path: Path) -> None:
    """Outbox files are sent from those accounts by someone: the same budget and ledger."""
    config = local_setup(tmp_path, "daily_limit = 4")
    first = run_local(config)
    assert first.counts()["notified"] == 4 and first.held_back == PEOPLE - 4
    assert set(outbox_senders(config).values()) == {"careerdocs@example.com"}
    saved = json.loads((tmp_path / ".careerdocs-sent.json").read_text(encoding="utf-8"))
    assert list(saved["sent"]) == ["careerdocs@example.com"]
    again = run_local(config)  # the ledger remembers: nothing more today
    assert again.counts()["notified"] == 0 and len(outbox_senders(config)) == 4


def test_manager_mode_writes_each_message_from_the_manager(tmp_path: Path) -> None:
    config = local_setup(tmp_path, 'send_as = "manager"\nsender = "people@example.com"')
    run_local(config)
    senders = outbox_senders(config)
    assert senders[ZOE] == SIOBHAN
    assert senders[CEO] == "people@example.com"  # no manager: the admin account


# -- Google, through the CLI ---------------------------------------------------------------------


def provision_cli(setup: GoogleSetup, *args: str) -> object:
    return CliRunner().invoke(
        cli, ["--config", str(setup.config), "--today", TODAY_TEXT, "provision", *args]
    )


def with_notify(setup: GoogleSetup, notify: str) -> None:
    text = setup.config.read_text(encoding="utf-8")
    setup.config.write_text(text + "\n[notify]\n" + notify + "\n", encoding="utf-8")


def test_a_run_past_the_daily_limit_exits_3_saying_when_to_resume(
    google_setup: GoogleSetup,
) -> None:
    ledger = google_setup.config.parent / "sent.json"
    earlier = datetime.now(timezone.utc) - timedelta(hours=1)
    SendLedger({ADMIN: [earlier] * 3}).save(ledger)
    with_notify(google_setup, 'send_as = "admin"\ndaily_limit = 5\nledger = "sent.json"')

    result = provision_cli(google_setup, "--workers", "2")

    assert result.exit_code == 3, result.output
    sent = google_setup.kit.sandbox.sent_messages(ADMIN)
    assert len(sent) == 2  # 3 already sent an hour ago, from a limit of 5
    again_at = resume_text(earlier + DAY)
    assert f"run again after {again_at}" in result.output
    assert f"{PEOPLE - 2} emails held back: every account that could send them" in result.output
    held = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(held) == PEOPLE - 2
    assert all(": documents ready; not emailed: " in line for line in held)
    saved = json.loads(ledger.read_text(encoding="utf-8"))["sent"]
    assert list(saved) == [ADMIN] and len(saved[ADMIN]) == 5

    rerun = provision_cli(google_setup)  # still within the 24 hours: nothing more is sent

    assert rerun.exit_code == 3, rerun.output
    assert "0 created" in rerun.output
    assert len(google_setup.kit.sandbox.sent_messages(ADMIN)) == 2


def test_the_folder_of_someone_not_yet_emailed_is_not_marked_told(
    google_setup: GoogleSetup,
) -> None:
    with_notify(google_setup, 'send_as = "admin"\ndaily_limit = 1')
    result = provision_cli(google_setup, "--workers", "1", "--json")
    report = json.loads(result.stdout)
    told = [p["email"] for p in report["people"] if p["notified"]]
    assert len(told) == 1 and report["resume_at"] is not None
    settings = load_settings(google_setup.config)
    workspace = open_workspace(settings)
    roster = load_roster(settings, workspace)
    the_plan = provision.prepare(settings, workspace, roster, today=TODAY)
    assert the_plan.counts()["emails"] == PEOPLE - 1
    assert the_plan.counts()["files"] == 0
    assert all(
        ArtifactKind.FOLDER in p.existing for p in the_plan.people
    )  # documents were all made


def test_gmail_refusing_the_sender_for_the_day_stops_its_emails_at_once(
    tmp_path: Path, sandbox_factory: Any
) -> None:
    """The ledger knows nothing (mail sent by another tool, say) but Gmail's own count is full
    after 3 messages: the 4th send gets Gmail's 429 with its retry time; careerdocs tries no
    more sends from that account, and says to run again after Gmail's time."""
    kit = sandbox_factory(
        SandboxOptions(quotas="google", time_scale=60, daily_limits={"users.messages.send": 3}),
        roster_users(),
    )
    setup = GoogleSetup(kit, write_google_config(tmp_path, kit))
    with_notify(setup, 'send_as = "admin"')
    started = datetime.now(timezone.utc)

    result = provision_cli(setup, "--workers", "1")

    assert result.exit_code == 3, result.output
    assert len(kit.sandbox.sent_messages(ADMIN)) == 3
    refused = kit.counters.total(method="users.messages.send") - 3
    assert refused == 1  # one refusal; no retry, and no try for the people after it
    # Gmail's day is 24 minutes at time_scale 60
    gmail_time = resume_text(started + timedelta(minutes=24))
    assert f"{PEOPLE - 3} emails held back" in result.output
    assert "run again after" in result.output
    shown = result.output.split("run again after ")[-1][:20]
    assert gmail_time <= shown <= resume_text(datetime.now(timezone.utc) + timedelta(minutes=25))
