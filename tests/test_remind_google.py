"""`careerdocs remind` on the Google path, against the sandbox over real HTTP with the real
google-auth, google-api-python-client and gspread: messages go out through Gmail as the sender
the pool picks (each person's manager through domain-wide delegation, or a configured pool),
and the sandbox's Sent mail of each account is counted per sender.

The example roster is provisioned without notifications (so Gmail holds only reminders) and a
few people log conversations in their own growth sheets, as themselves.
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import rsa

from careerdocs.cli import cli
from careerdocs.errors import ExitCode
from careerdocs.roster import read_csv

from .conftest import (
    EXAMPLE_ROSTER,
    SANDBOX_ADMIN,
    GoogleSetup,
    google_config_text,
    make_kit,
    roster_users,
    talk,
    write_config,
)

MONDAY = "2026-12-07"  # Q4 of FY2027: the Q4 window is open, and the weekly digests go out
ZOE = "zoe.lambert@example.com"
KWAME = "kwame.asante@example.com"
PRIYA = "priya.raman@example.com"
SIOBHAN = "siobhan.obrien@example.com"
MARGARET = "margaret.okafor@example.com"  # the CEO: nobody manages her
AMARA = "amara.nwosu@example.com"
MARKER_Q = "appProperties has {{ key='careerdocs_person' and value='{}' }} and trashed = false"
SCENARIO = {
    ZOE: [talk("2026-06-10")],
    KWAME: [talk("2026-11-20", acknowledged=False)],
    PRIYA: [talk("2026-11-16", "manager 1:1", escalation=True)],
}
MANAGERS = {
    row[0]: row[2] or None
    for row in read_csv(EXAMPLE_ROSTER)[1]  # Email, Name, Manager Email, ...
}
PBPS = {row[0]: row[8] or None for row in read_csv(EXAMPLE_ROSTER)[1]}  # ..., PBP, ...


def cli_run(setup: GoogleSetup, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(setup.config), "--today", MONDAY, *args])


def remind(setup: GoogleSetup, *args: str) -> tuple[Result, dict[str, Any]]:
    result = cli_run(setup, "remind", "--json", *args)
    return result, json.loads(result.stdout) if result.stdout.strip() else {}


def sent_mail(setup: GoogleSetup) -> dict[str, list[EmailMessage]]:
    """Each account's Sent mail in the sandbox, parsed."""
    return {
        sender: [
            email.message_from_bytes(m.raw, policy=email.policy.default)  # type: ignore[misc]
            for m in messages
        ]
        for sender, messages in setup.kit.store.messages.items()
        if messages
    }


def per_sender(setup: GoogleSetup) -> Counter[str]:
    return Counter({sender: len(m) for sender, m in sent_mail(setup).items()})


def add_config(setup: GoogleSetup, text: str) -> None:
    setup.config.write_text(setup.config.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture(scope="module")
def provisioned(
    tmp_path_factory: pytest.TempPathFactory, signing_key: rsa.RSAPrivateKey
) -> Iterator[GoogleSetup]:
    """One sandbox for the module, provisioned once, conversations logged."""
    kit = make_kit(signing_key, users=roster_users())
    root = tmp_path_factory.mktemp("remind-google")
    (root / "key.json").write_text(json.dumps(kit.key), encoding="utf-8")
    shutil.copy(EXAMPLE_ROSTER, root / "roster.csv")
    config = write_config(root, google_config_text(kit.endpoint))
    setup = GoogleSetup(kit, config)
    try:
        result = cli_run(setup, "provision", "--no-notify")
        assert result.exit_code == 0, result.output
        for person, rows in SCENARIO.items():
            found = (
                kit.drive.files()
                .list(q=MARKER_Q.format(person), fields="files(id,appProperties)")
                .execute(http=kit.http(person))["files"]
            )
            sheet = next(
                f for f in found if f["appProperties"]["careerdocs_kind"] == "growth_sheet"
            )
            book = kit.gspread(person).open_by_key(sheet["id"])
            book.worksheet("Conversations").update(rows, "A2", value_input_option="USER_ENTERED")
        yield setup
    finally:
        kit.sandbox.stop()


@pytest.fixture
def ready(provisioned: GoogleSetup, tmp_path: Path) -> GoogleSetup:
    """The provisioned sandbox with nobody's Sent mail, and a config of its own (so no remind
    state, send ledger or rollup cache from another test)."""
    for name in ("careerdocs.toml", "key.json", "roster.csv"):
        shutil.copy(provisioned.config.parent / name, tmp_path / name)
    provisioned.kit.store.messages.clear()
    return GoogleSetup(provisioned.kit, tmp_path / "careerdocs.toml")


def expected_sender(kind: str, to: str) -> str:
    """A nudge about the recipient's own conversation comes from their manager, a digest of
    their people from their PBP, a PBP's summary from the admin; anyone without that account
    (the CEO has no manager, Inês no PBP) hears from the admin."""
    if kind in ("due", "overdue", "acknowledge"):
        return MANAGERS[to] or SANDBOX_ADMIN
    if kind in ("manager-digest", "skip-level-digest"):
        return PBPS[to] or SANDBOX_ADMIN
    return SANDBOX_ADMIN


def test_each_message_comes_from_the_recipients_manager_or_pbp_and_is_sent_once(
    ready: GoogleSetup,
) -> None:
    result, report = remind(ready)
    assert result.exit_code == 0, result.output
    counted = per_sender(ready)
    assert sum(counted.values()) == report["sent"] > 0
    assert counted == Counter(report["senders"])
    kinds = Counter(m["kind"] for m in report["messages"])
    assert kinds["due"] and kinds["manager-digest"] and kinds["pbp-summary"], kinds
    for sent in report["messages"]:
        assert sent["from"] == expected_sender(sent["kind"], sent["to"]), sent
    for sender, messages in sent_mail(ready).items():
        for message in messages:
            assert str(message["From"]) == sender
    again, report = remind(ready)
    assert again.exit_code == 0 and report["sent"] == 0
    assert per_sender(ready) == counted


def test_gmail_carries_plain_text_and_html_with_the_persons_links(ready: GoogleSetup) -> None:
    result, _ = remind(ready, "--only", ZOE)
    assert result.exit_code == 0, result.output
    (message,) = sent_mail(ready)[SIOBHAN]
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert "https://docs.google.com/document/d/" in plain.get_content()  # her IGP
    assert "https://docs.google.com/spreadsheets/d/" in plain.get_content()  # her growth sheet
    assert 'href="https://docs.google.com/spreadsheets/d/' in html.get_content()


def test_a_pool_of_senders_shares_the_load_round_robin(ready: GoogleSetup) -> None:
    add_config(ready, f'[notify]\nsend_as = "senders"\nsenders = ["{SANDBOX_ADMIN}", "{AMARA}"]\n')
    result, report = remind(ready)
    assert result.exit_code == 0, result.output
    counted = per_sender(ready)
    assert set(counted) == {SANDBOX_ADMIN, AMARA}
    assert abs(counted[SANDBOX_ADMIN] - counted[AMARA]) <= 1
    assert sum(counted.values()) == report["sent"]


def test_senders_at_their_daily_limit_stop_the_run_saying_when_to_resume(
    ready: GoogleSetup,
) -> None:
    add_config(
        ready,
        f'[notify]\nsend_as = "senders"\nsenders = ["{SANDBOX_ADMIN}", "{AMARA}"]\n'
        "daily_limit = 2\n",
    )
    _, dry = remind(ready, "--dry-run")
    planned = len(dry["messages"])
    assert planned == 4  # two senders, two each, then the dry run shows where it would stop
    result, report = remind(ready)
    assert result.exit_code == ExitCode.PARTIAL, result.output
    assert "run again after" in result.output
    assert per_sender(ready) == Counter({SANDBOX_ADMIN: 2, AMARA: 2})
    assert report["resume_at"] and report["sent"] == 4
    assert date.fromisoformat(report["resume_at"][:10]) >= date.today()
