"""`careerdocs doctor`: one line per check, `[ok ]` or `[FAIL]` with what is wrong, exit 1 when
anything failed; checks that need a failed one are skipped. On the Google path it proves the key
and domain-wide delegation by fetching real tokens from the sandbox, and fails fast when nothing
answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from careerdocs.cli import cli

from .conftest import SANDBOX_ADMIN, GoogleSetup

TODAY = "2026-11-26"
OK = "[ok ]"
FAIL = "[FAIL]"
LOCAL_CHECKS = ["config", "storage", "roster", "templates", "placeholders and access"]
DELEGATION = "credentials and delegation"
FIRST_PERSON = "margaret.okafor@example.com"  # first row of the example roster
UNREACHABLE_BUDGET_SECONDS = 5.0


def doctor(config: Path) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--today", TODAY, "doctor"])


def check_lines(result: Result) -> dict[str, str]:
    """Check name → its whole line, for the lines that report a check."""
    lines: dict[str, str] = {}
    for line in result.stdout.splitlines():
        if line.startswith((OK, FAIL)):
            name = line.split("] ", 1)[1].split(":", 1)[0]
            lines[name] = line
    return lines


def marks(result: Result) -> dict[str, str]:
    return {name: line.split("]", 1)[0] + "]" for name, line in check_lines(result).items()}


# -- local backend -------------------------------------------------------------------------------


def test_a_good_local_setup_passes_every_check_and_exits_0(local_config: Path) -> None:
    result = doctor(local_config)

    assert result.exit_code == 0, result.output
    assert marks(result) == dict.fromkeys(LOCAL_CHECKS, OK)
    assert check_lines(result)["config"] == f"{OK} config: {local_config}; backend local"
    assert check_lines(result)["roster"].startswith(f"{OK} roster: 12 people from ")


def test_doctor_writes_nothing(local_config: Path) -> None:
    before = sorted(local_config.parent.rglob("*"))

    doctor(local_config)

    assert sorted(local_config.parent.rglob("*")) == before


@pytest.mark.parametrize(
    ("roster", "problem"),
    [
        pytest.param(
            "duplicate",
            "  row 14: duplicate email rahul.mehta@example.com (also on row 3)",
            id="duplicate-row",
        ),
        pytest.param(
            "Name,Title\nAda,Engineer\n",
            "  row 1: missing required columns: email, manager_email, start_date",
            id="missing-columns",
        ),
    ],
)
def test_a_broken_roster_fails_with_its_problem_and_exits_1(
    local_config: Path, roster: str, problem: str
) -> None:
    path = local_config.parent / "roster.csv"
    if roster == "duplicate":
        text = path.read_text(encoding="utf-8")
        roster = text + text.splitlines()[2] + "\n"
    path.write_text(roster, encoding="utf-8")

    result = doctor(local_config)

    assert result.exit_code == 1
    assert check_lines(result)["roster"].startswith(f"{FAIL} roster: ")
    assert problem in result.stdout.splitlines()
    # templates do not need the roster, so they are still checked; the plan needs both
    assert marks(result) == {"config": OK, "storage": OK, "roster": FAIL, "templates": OK}


def test_a_missing_config_file_fails_first_and_alone(tmp_path: Path) -> None:
    result = doctor(tmp_path / "absent.toml")

    assert result.exit_code == 1
    assert marks(result) == {"config": FAIL}


# -- Google backend, against the sandbox ---------------------------------------------------------


@pytest.mark.google
def test_tokens_for_admin_and_a_person_prove_key_and_delegation(
    google_setup: GoogleSetup,
) -> None:
    client_email = google_setup.kit.key["client_email"]

    result = doctor(google_setup.config)

    assert result.exit_code == 0, result.output
    assert check_lines(result)[DELEGATION] == (
        f"{OK} {DELEGATION}: tokens issued for {SANDBOX_ADMIN} and {FIRST_PERSON} ({client_email})"
    )
    assert set(marks(result).values()) == {OK}


@pytest.mark.google
def test_an_endpoint_that_does_not_answer_fails_delegation_fast_and_stops(
    google_setup: GoogleSetup,
) -> None:
    google_setup.kit.sandbox.stop()

    started = time.monotonic()
    result = doctor(google_setup.config)
    elapsed = time.monotonic() - started

    assert result.exit_code == 1
    assert elapsed < UNREACHABLE_BUDGET_SECONDS
    assert check_lines(result)[DELEGATION].startswith(f"{FAIL} {DELEGATION}: oauth ")
    assert "nothing answers" in check_lines(result)[DELEGATION]
    assert marks(result) == {"config": OK, "storage": OK, "roster": OK, DELEGATION: FAIL}


@pytest.mark.google
def test_doctor_says_who_sends_the_emails(google_setup: GoogleSetup) -> None:
    result = doctor(google_setup.config)

    assert check_lines(result)["who sends"] == (
        f"{OK} who sends: each person's manager (domain-wide delegation), else {SANDBOX_ADMIN}; "
        "at most 2,000 a day and 150 a minute each"
    )


@pytest.mark.google
def test_doctor_fails_who_sends_on_a_damaged_ledger(google_setup: GoogleSetup) -> None:
    (google_setup.config.parent / ".careerdocs-sent.json").write_text("{", encoding="utf-8")

    result = doctor(google_setup.config)

    assert result.exit_code == 1
    assert check_lines(result)["who sends"].startswith(f"{FAIL} who sends: cannot use the send")
