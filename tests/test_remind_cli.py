"""Specification of `careerdocs remind` on the local backend, end to end through the CLI.

The example roster is provisioned once per module (no notification emails, so the outbox holds
only reminders), a few people log conversations in their .xlsx as themselves, and every test
starts from a fresh copy. Monday 7 December 2026 is in Q4 of FY2027 (February starts the year),
so the Q4 window is open and the weekly digests go out.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
from datetime import date, datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from careerdocs.cli import cli
from careerdocs.config import builtin_templates_dir
from careerdocs.errors import ExitCode
from careerdocs.lock import exclusive
from careerdocs.nudges import Kind
from careerdocs.remind import preferred_sender
from careerdocs.roster import Person
from careerdocs.workspace.base import ArtifactKind
from careerdocs.workspace.local import OUTBOX, LocalWorkspace

from .conftest import EXAMPLE_ROSTER, LOCAL_CONFIG, Killed, KillSwitch, talk, write_config

MONDAY = "2026-12-07"
SATURDAY = "2026-12-05"
FY = "FY2027"
ZOE = "zoe.lambert@example.com"  # one acknowledged conversation, in Q2: due again in Q4
KWAME = "kwame.asante@example.com"  # logged one, never ticked Acknowledged
PRIYA = "priya.raman@example.com"  # acknowledged a manager 1:1 with an escalation
SIOBHAN = "siobhan.obrien@example.com"  # their manager
RAHUL = "rahul.mehta@example.com"  # Siobhán's manager: Priya's skip-level
AMARA = "amara.nwosu@example.com"  # their PBP
SCENARIO = {
    ZOE: [talk(date(2026, 6, 10))],
    KWAME: [talk(date(2026, 11, 20), acknowledged=False)],
    PRIYA: [talk(date(2026, 11, 16), "manager 1:1", escalation=True, notes="wants security")],
}
REMIND_CONFIG = LOCAL_CONFIG + '    [remind]\n    state_file = "remind-state.json"\n'
HEADER = ("To", "From", "Kind", "Why", "Subject")


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("remind-base")
    shutil.copy(EXAMPLE_ROSTER, root / "roster.csv")
    config = write_config(root, REMIND_CONFIG)
    result = invoke(config, "provision", "--no-notify")
    assert result.exit_code == 0, result.output
    workspace = LocalWorkspace(root / "out", root / "out" / "central.xlsx")
    for person, rows in SCENARIO.items():
        sheet = workspace.find_artifacts([person], FY)[person][ArtifactKind.GROWTH_SHEET]
        book = openpyxl.load_workbook(root / "out" / sheet.id)
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                book["Conversations"].cell(row=r, column=c, value=value)
        book.save(root / "out" / sheet.id)
    return root


@pytest.fixture
def env(provisioned: Path, tmp_path: Path) -> Path:
    """A fresh copy of the provisioned installation; returns its config file."""
    root = tmp_path / "env"
    shutil.copytree(provisioned, root)
    return root / "careerdocs.toml"


def invoke(config: Path, *args: str, today: str = MONDAY) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--today", today, *args])


def remind(config: Path, *args: str, today: str = MONDAY) -> Result:
    """`careerdocs remind --date <today> ...`."""
    return CliRunner().invoke(cli, ["--config", str(config), "remind", "--date", today, *args])


def outbox(config: Path) -> dict[str, EmailMessage]:
    """The outbox's reminder messages by file name."""
    folder = config.parent / "out" / OUTBOX
    if not folder.exists():
        return {}
    return {
        f.name: email.message_from_bytes(f.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for f in sorted(folder.glob("remind-*.eml"))
    }


def table_rows(output: str) -> list[list[str]]:
    """The dry-run table's rows, split on the column gaps (two spaces or more)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["To", "From"])
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def sent_count(output: str) -> int:
    match = re.search(r"(?:would send|sent) (\d+) messages?", output)
    assert match, output
    return int(match.group(1))


def set_remind(config: Path, **values: Any) -> None:
    text = config.read_text(encoding="utf-8")
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
    assert "[remind]\n" in text
    config.write_text(text.replace("[remind]\n", "[remind]\n" + lines), encoding="utf-8")


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None, message
    return plain.get_content(), html.get_content()


# -- dry run ------------------------------------------------------------------------------------


def test_dry_run_prints_each_message_and_writes_nothing(env: Path) -> None:
    before = sorted(p.relative_to(env.parent) for p in env.parent.rglob("*"))
    result = remind(env, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing sent, nothing recorded" in result.output
    rows = table_rows(result.output)
    assert rows and all(len(row) == len(HEADER) for row in rows), result.output
    assert sent_count(result.output) == len(rows)
    kinds = {row[2] for row in rows}
    assert kinds <= {k.value for k in Kind}
    assert all("@" in row[0] and "@" in row[1] and row[3] and row[4] for row in rows)
    assert sorted(p.relative_to(env.parent) for p in env.parent.rglob("*")) == before


def test_dry_run_names_a_manager_digest_for_siobhan(env: Path) -> None:
    rows = table_rows(remind(env, "--dry-run").output)
    assert [SIOBHAN, "manager-digest"] in [[r[0], r[2]] for r in rows]


# -- a real run ---------------------------------------------------------------------------------


def test_a_run_writes_one_outbox_message_per_line_of_the_dry_run(env: Path) -> None:
    planned = table_rows(remind(env, "--dry-run").output)
    result = remind(env)
    assert result.exit_code == 0, result.output
    messages = outbox(env)
    assert len(messages) == len(planned) == sent_count(result.output)
    assert sorted(str(m["To"]) for m in messages.values()) == sorted(r[0] for r in planned)
    assert sorted(str(m["Subject"]) for m in messages.values()) == sorted(r[4] for r in planned)
    assert (env.parent / "remind-state.json").is_file()
    assert f"Emails to send are in {env.parent / 'out' / OUTBOX}" in result.output


def test_every_message_is_plain_text_and_html_with_no_placeholder_left(env: Path) -> None:
    assert remind(env).exit_code == 0
    for name, message in outbox(env).items():
        assert message.get_content_type() == "multipart/alternative", name
        plain, html = parts(message)
        for text in (plain, html, str(message["Subject"])):
            assert "{{" not in text and "{%" not in text, name
        assert html.lstrip().startswith("<!DOCTYPE html>"), name


def test_a_persons_reminder_links_their_igp_and_growth_sheet(env: Path) -> None:
    assert remind(env).exit_code == 0
    workspace = LocalWorkspace(env.parent / "out", env.parent / "out" / "central.xlsx")
    found = workspace.find_artifacts([ZOE], FY)[ZOE]
    zoes = [m for m in outbox(env).values() if str(m["To"]) == ZOE]
    assert zoes, "Zoë's Q4 window is open and she has no acknowledged conversation in it"
    plain, html = parts(zoes[0])
    for kind in (ArtifactKind.IGP, ArtifactKind.GROWTH_SHEET):
        assert found[kind].url in plain and f'href="{found[kind].url}"' in html
    assert "not a promotion" in plain


def test_a_manager_digest_links_each_persons_growth_sheet(env: Path) -> None:
    assert remind(env).exit_code == 0
    digest = next(
        m
        for name, m in outbox(env).items()
        if name.startswith("remind-manager-digest-") and str(m["To"]) == SIOBHAN
    )
    plain, html = parts(digest)
    workspace = LocalWorkspace(env.parent / "out", env.parent / "out" / "central.xlsx")
    for person in (KWAME, PRIYA):  # waiting for his tick; her escalation
        sheet = workspace.find_artifacts([person], FY)[person][ArtifactKind.GROWTH_SHEET]
        assert sheet.url in plain and sheet.url in html
    assert "Kwame Asante" in plain  # waiting for him to tick Acknowledged


def test_a_second_run_the_same_day_sends_nothing(env: Path) -> None:
    first = remind(env)
    assert first.exit_code == 0 and sent_count(first.output) > 0
    before = outbox(env)
    again = remind(env)
    assert again.exit_code == 0, again.output
    assert sent_count(again.output) == 0
    assert outbox(env).keys() == before.keys()
    assert sent_count(remind(env, "--dry-run").output) == 0


def sent_json(config: Path, *args: str, today: str = MONDAY) -> list[tuple[str, str, str]]:
    """(to, kind, window) of each message a `remind --json` run sent."""
    result = remind(config, "--json", *args, today=today)
    assert result.exit_code == 0, result.output
    return [(m["to"], m["kind"], m["window"]) for m in json.loads(result.stdout)["messages"]]


def test_the_next_day_repeats_no_message_for_the_same_reason_and_window(env: Path) -> None:
    monday = sent_json(env)
    tuesday = sent_json(env, today="2026-12-08")
    assert monday and not set(monday) & set(tuesday)


def test_only_sends_to_the_named_people_and_the_rest_go_later(env: Path) -> None:
    everyone = sent_json(Path(shutil.copytree(env.parent, env.parent.parent / "b")) / env.name)
    first = sent_json(env, "--only", ZOE, "--only", SIOBHAN.upper())
    assert {to for to, _, _ in first} == {ZOE, SIOBHAN}
    assert set(first) <= set(everyone)
    rest = sent_json(env)
    assert not set(first) & set(rest)
    assert {to for to, _, _ in rest} >= {to for to, _, _ in everyone} - {ZOE, SIOBHAN}


def test_only_refuses_an_unknown_address_and_sends_nothing(env: Path) -> None:
    result = remind(env, "--only", "nobody@example.com")
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    assert "nobody@example.com: is not in the roster" in result.output
    assert outbox(env) == {}


# -- politeness ---------------------------------------------------------------------------------


def test_quiet_on_a_weekend(env: Path) -> None:
    result = remind(env, today=SATURDAY)
    assert result.exit_code == 0, result.output
    assert sent_count(result.output) == 0
    assert "quiet day: Saturday and remind.quiet_weekends is on" in result.output
    assert outbox(env) == {}


def test_a_weekend_is_a_working_day_when_quiet_weekends_is_off(env: Path) -> None:
    set_remind(env, quiet_weekends=False)
    result = remind(env, today=SATURDAY)
    assert result.exit_code == 0, result.output
    assert sent_count(result.output) > 0 and outbox(env)


def test_quiet_on_a_configured_holiday(env: Path) -> None:
    set_remind(env, holidays=[MONDAY])
    result = remind(env)
    assert sent_count(result.output) == 0
    assert f"quiet day: {MONDAY} is in remind.holidays" in result.output


def test_a_kind_left_out_of_the_config_is_not_sent(env: Path) -> None:
    kinds = [k.value for k in Kind if k is not Kind.MANAGER_DIGEST]
    set_remind(env, kinds=kinds)
    rows = table_rows(remind(env, "--dry-run").output)
    assert rows and "manager-digest" not in {r[2] for r in rows}


# -- config and templates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kinds": ["due", "nag"]}, "remind.kinds: must be some of due, overdue"),
        ({"weekly_on": "funday"}, "remind.weekly_on: must be one of monday, tuesday"),
        ({"min_days_between": -1}, "remind.min_days_between: must be between 0 and 366"),
        ({"holidays": ["25/12/2026"]}, "remind.holidays: must be dates as YYYY-MM-DD"),
        ({"quiet_weekend": True}, "remind.quiet_weekend: unknown key (did you mean"),
    ],
)
def test_a_bad_remind_setting_is_refused_by_its_key_path(
    env: Path, values: dict[str, Any], message: str
) -> None:
    set_remind(env, **values)
    result = remind(env)
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    assert message in result.output
    assert outbox(env) == {} and not (env.parent / "remind-state.json").exists()


def _template_copy(env: Path) -> Path:
    folder = env.parent / "my-templates"
    shutil.copytree(builtin_templates_dir() / "remind", folder)
    return folder


def test_templates_can_be_overridden_from_the_config(env: Path) -> None:
    folder = _template_copy(env)
    text = (folder / "due.txt").read_text(encoding="utf-8")
    (folder / "due.txt").write_text(
        text.replace("Subject: ", "Subject: [Example Co] ", 1), encoding="utf-8"
    )
    set_remind(env, templates="my-templates")
    rows = table_rows(remind(env, "--dry-run").output)
    subjects = [r[4] for r in rows if r[2] == "due"]
    assert subjects and all(s.startswith("[Example Co] ") for s in subjects)


def test_a_missing_or_broken_template_stops_the_run_before_any_send(env: Path) -> None:
    folder = _template_copy(env)
    (folder / "acknowledge.html").unlink()
    (folder / "due.txt").write_text("Subject: {{ person.nmae }}\n\nHi\n", encoding="utf-8")
    set_remind(env, templates="my-templates")
    result = remind(env)
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    assert f"remind.templates: {folder / 'acknowledge.html'}: no such file" in result.output
    (folder / "acknowledge.html").write_text("<p>ok</p>", encoding="utf-8")
    result = remind(env)
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    assert "person has no field 'nmae'" in result.output
    assert outbox(env) == {}


# -- the run lock, the state, json --------------------------------------------------------------


def test_a_run_while_another_holds_the_lock_exits_0_and_sends_nothing(env: Path) -> None:
    with exclusive(env.parent / "rollup.lock", "test"):
        result = remind(env)
    assert result.exit_code == 0
    assert "another careerdocs run is running" in result.output
    assert outbox(env) == {}


def test_json_reports_each_message_and_the_senders(env: Path) -> None:
    result = remind(env, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sent"] == len(report["messages"]) == len(outbox(env))
    assert sum(report["senders"].values()) == report["sent"]
    assert {m["kind"] for m in report["messages"]} <= {k.value for k in Kind}


def test_a_damaged_state_file_stops_the_run_rather_than_resend_everything(env: Path) -> None:
    (env.parent / "remind-state.json").write_text("{not json", encoding="utf-8")
    result = remind(env)
    assert result.exit_code == ExitCode.FAILURE
    assert "repair it or move it away" in result.output
    assert outbox(env) == {}


# -- sending limits and interrupted runs --------------------------------------------------------


def set_notify(config: Path, **values: Any) -> None:
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
    config.write_text(config.read_text(encoding="utf-8") + "[notify]\n" + lines, encoding="utf-8")


def test_a_sender_at_its_daily_limit_stops_the_run_cleanly_and_says_when_to_resume(
    env: Path,
) -> None:
    planned = len(table_rows(remind(env, "--dry-run").output))
    set_notify(env, daily_limit=3)
    result = remind(env)
    assert result.exit_code == ExitCode.PARTIAL, result.output
    assert "reached the limit of 3 messages in 24 hours; run again after" in result.output
    assert f"{planned - 3} messages left for the next run" in result.output
    assert len(outbox(env)) == 3
    state = json.loads((env.parent / "remind-state.json").read_text(encoding="utf-8"))
    assert len(state["sent"]["sent"]) == 3
    again = remind(env)  # the ledger remembers: still nothing more today
    assert again.exit_code == ExitCode.PARTIAL and len(outbox(env)) == 3


def test_a_dry_run_shows_where_a_daily_limit_would_stop_a_run(env: Path) -> None:
    set_notify(env, daily_limit=2)
    result = remind(env, "--dry-run")
    assert result.exit_code == 0, result.output
    assert len(table_rows(result.output)) == 2
    assert "A real run would stop there: not emailed" in result.output


def test_a_run_killed_after_a_send_repeats_nothing_the_next_time(
    env: Path, kill_switch: KillSwitch
) -> None:
    planned = len(table_rows(remind(env, "--dry-run").output))
    kill_switch.at_event(3)  # the third message is sent and recorded, its audit event not
    with pytest.raises(Killed, match="killed before audit event 3"):
        CliRunner().invoke(
            cli, ["--config", str(env), "remind", "--date", MONDAY], catch_exceptions=False
        )
    rest = sent_json(env)
    assert len(rest) == planned - 3
    assert not (env.parent / "remind-state.json.journal").exists()
    assert sent_json(env) == []


def test_sends_journalled_by_a_killed_run_count_as_sent(tmp_path: Path) -> None:
    """A kill -9 runs no `finally`: the state file then lacks the last sends, and the journal
    (one synced line per send) has them; a torn last line is skipped."""
    from careerdocs.nudges import Nudge, SentLog
    from careerdocs.remind import Journal, load_sent, save_sent

    state = tmp_path / "remind-state.json"
    first = Nudge(Kind.DUE, ZOE, "FY2027-Q4", (ZOE,), "why")
    save_sent(state, SentLog())
    journal = Journal(state, SentLog(), date(2026, 12, 7))
    journal.record(first, datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc))
    journal.close()
    with open(f"{state}.journal", "a", encoding="utf-8") as torn:
        torn.write('{"kind": "overdue", "to": "kwa')
    loaded = load_sent(state)
    assert loaded.has(first.key) and len(loaded) == 1
    assert loaded.last_to(ZOE) == datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)
    save_sent(state, loaded)
    assert not Path(f"{state}.journal").exists() and load_sent(state).has(first.key)


def test_help_says_what_each_kind_is_how_often_and_how_to_turn_one_off() -> None:
    result = CliRunner().invoke(cli, ["remind", "--help"])
    assert result.exit_code == 0
    for kind in Kind:  # one line each: "  due                a team member whose ..."
        assert re.search(rf"^\s+{kind.value}\s{{2,}}\S", result.output, re.MULTILINE), kind
    for words in ("once per window", "weekly", "To turn a kind off", "remind.kinds", "--dry-run"):
        assert words in result.output


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Kind.DUE, "boss@example.com"),
        (Kind.OVERDUE, "boss@example.com"),
        (Kind.ACKNOWLEDGE, "boss@example.com"),
        (Kind.MANAGER_DIGEST, "pbp@example.com"),
        (Kind.SKIP_LEVEL_DIGEST, "pbp@example.com"),
        (Kind.PBP_SUMMARY, None),
    ],
)
def test_a_nudge_prefers_the_manager_a_digest_the_pbp_a_summary_the_pool(
    kind: Kind, expected: str | None
) -> None:
    person = Person(
        "ana@example.com", "Ana", "boss@example.com", date(2024, 1, 8), pbp_email="pbp@example.com"
    )
    assert preferred_sender(kind, person) == expected
    assert preferred_sender(kind, None) is None
