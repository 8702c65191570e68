"""The first hour of a new user (issue 10): status that finds what you mean, output cron can
keep, feedback on long runs, Ctrl-C, help and messages that say what to do next."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from careerdocs import provision
from careerdocs.cli import cli
from careerdocs.config import parse_settings
from careerdocs.errors import ExitCode
from careerdocs.status import Filters, as_records, fold, select, totals_line

TODAY = "2026-11-02"
SIOBHANS_TEAM = ["zoe.lambert@example.com", "priya.raman@example.com", "kwame.asante@example.com"]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"
AS_OF = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d\+00:00)?"  # as the Status tab shows it


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


@pytest.fixture
def rolled_up(local_config: Path) -> Path:
    """The example roster provisioned and rolled up on the local backend, nobody talked yet."""
    assert run(local_config, "--today", TODAY, "provision", "--no-notify").exit_code == 0
    assert run(local_config, "--today", TODAY, "rollup").exit_code == 0
    return local_config


def emails_in(table: str) -> list[str]:
    return [w for line in table.splitlines() for w in line.split() if w.endswith("@example.com")]


# -- status ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--manager", "Siobhán O'Brien"], SIOBHANS_TEAM),
        (["--manager", "siobhan o'brien"], SIOBHANS_TEAM),
        (["--manager", "SIOBHAN.OBRIEN@example.com"], SIOBHANS_TEAM),
        (["--department", "people"], ["ines.duarte@example.com", "amara.nwosu@example.com"]),
        (["--pbp", "Inês Duarte"], ["margaret.okafor@example.com", "amara.nwosu@example.com"]),
        (["--pbp", "ines duarte", "--department", "PEOPLE"], ["amara.nwosu@example.com"]),
    ],
    ids=["manager-name", "manager-no-accents", "manager-email", "department", "pbp", "both"],
)
def test_status_filters_ignore_case_and_accents_and_take_names(
    rolled_up: Path, args: list[str], expected: list[str]
) -> None:
    result = run(rolled_up, "status", *args, "--json")
    assert result.exit_code == 0, result.output
    assert [r["Email"] for r in json.loads(result.stdout)] == expected


def test_status_table_ends_with_totals_and_when_the_data_is_from(rolled_up: Path) -> None:
    result = run(rolled_up, "status", "--manager", "José Álvarez")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    people = [e for e in emails_in("\n".join(lines[2:5])) if e != "jose.alvarez@example.com"]
    assert people == [
        "bjorn.lindqvist@example.com",
        "mei.chen@example.com",
        "lea.moreau@example.com",
    ]
    assert lines[5] == ""
    assert re.fullmatch(
        rf"3 people: 1 not yet due, 2 due\. As of the last rollup, {AS_OF}\.", lines[6]
    ), lines[6]


def test_status_with_nobody_overdue_says_so(rolled_up: Path) -> None:
    result = run(rolled_up, "status", "--overdue")
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    assert first == "Nobody is overdue."
    assert re.fullmatch(rf"As of the last rollup, {AS_OF}\.", second)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--manager", "Sofía Marín"],
            "Error: --manager 'Sofía Marín' matches nobody\n  --manager: known: ",
        ),
        (
            ["--department", "Enginering"],
            "Error: --department 'Enginering' matches nobody\n  --department: did you mean "
            "'Engineering'?",
        ),
        (
            ["--manager", "Siobhan OBrien"],
            "Error: --manager 'Siobhan OBrien' matches nobody\n  --manager: did you mean "
            "\"Siobhán O'Brien\", 'siobhan.obrien@example.com'?",
        ),
    ],
    ids=["unknown-manager", "misspelt-department", "misspelt-manager"],
)
def test_status_filter_matching_nobody_is_an_error_naming_the_closest(
    rolled_up: Path, args: list[str], expected: str
) -> None:
    result = run(rolled_up, "status", *args)
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr.startswith(expected), result.stderr
    assert result.stdout == ""


def test_status_csv_and_json_together_is_a_usage_error(rolled_up: Path) -> None:
    result = run(rolled_up, "status", "--csv", "--json")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "Error: choose one of --json and --csv" in result.stderr


def test_today_is_accepted_before_or_after_the_command(local_config: Path) -> None:
    assert run(local_config, "provision", "--no-notify", "--today", TODAY).exit_code == 0
    after = run(local_config, "status", "--refresh", "--today", "2026-01-15", "--json")
    before = run(local_config, "--today", "2026-01-15", "status", "--refresh", "--json")
    assert after.exit_code == before.exit_code == 0, after.output + before.output
    statuses = [{r["Email"]: r["Status"] for r in json.loads(r.stdout)} for r in (after, before)]
    assert statuses[0] == statuses[1]
    # In FY2026 nobody has documents (they are for FY2027): --today took effect both ways.
    assert statuses[0]["margaret.okafor@example.com"] == "not provisioned"


def test_the_library_filters_as_the_command_does() -> None:
    header = ["Name", "Email", "Manager", "Department", "PBP", "Status"]
    rows = [
        ["Sofía Marín", "sofia@acme.io", "", "Exec", "", "due"],
        ["Tom", "tom@acme.io", "sofia@acme.io", "People", "", "overdue"],
    ]
    records = as_records(header, rows)
    assert select(records, Filters(manager="SOFIA MARIN")) == [records[1]]
    assert totals_line(records) == "2 people: 1 due, 1 overdue."
    assert totals_line(records[:1]) == "1 person: 1 due."
    assert fold("  Siobhán   O'Brien ") == "siobhan o'brien"


# -- output for cron ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["provision", "rollup"])
def test_json_is_one_line_with_start_time_and_duration(local_config: Path, command: str) -> None:
    if command == "rollup":
        assert run(local_config, "--today", TODAY, "provision", "--no-notify").exit_code == 0
    result = run(local_config, "--today", TODAY, command, "--json")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    record = json.loads(result.stdout)
    assert re.fullmatch(STAMP, record["started_at"])
    assert isinstance(record["duration_seconds"], float) and record["duration_seconds"] >= 0
    assert record["fiscal_year"] == "FY2027"


def test_a_partial_run_prints_each_failures_reason(local_config: Path) -> None:
    assert run(local_config, "--today", TODAY, "provision", "--no-notify").exit_code == 0
    sheet = next((local_config.parent / "out").rglob("Growth plan — Kwame*.xlsx"))
    sheet.write_bytes(b"this is not a workbook any more")
    result = run(local_config, "--today", TODAY, "rollup", "--json", "--full")
    assert result.exit_code == ExitCode.PARTIAL, result.output
    lines = result.stderr.splitlines()
    at = lines.index(
        "Partly done: 1 failed: kwame.asante@example.com. Run the same command again to finish."
    )
    assert lines[at + 1].startswith("  kwame.asante@example.com: ")
    assert len(lines[at + 1]) > len("  kwame.asante@example.com: ")


# -- feedback on long work --------------------------------------------------------------------


def test_verbose_provision_prints_a_line_per_person(local_config: Path) -> None:
    result = run(local_config, "--today", TODAY, "provision", "--no-notify", "-v")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "@example.com: " in line]
    assert len(lines) == 12
    assert (
        "amara.nwosu@example.com: created folder, igp, tracker, growth_sheet; protected; "
        "shared with ines.duarte@example.com:writer"
    ) in lines


def test_ctrl_c_stops_after_the_people_in_flight(
    local_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deterministic Ctrl-C: SIGINT arrives while the third person is being provisioned."""
    original = provision._provision_person
    started: list[str] = []

    def interrupted_on_the_third(pp: Any, *args: Any, **kwargs: Any) -> Any:
        started.append(pp.person.email)
        if len(started) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return original(pp, *args, **kwargs)

    monkeypatch.setattr(provision, "_provision_person", interrupted_on_the_third)
    result = run(local_config, "--today", TODAY, "provision", "--no-notify", "--workers", "1")
    assert result.exit_code == 130, result.output
    assert result.stderr.splitlines()[-1] == (
        "stopped after 3 of 12 people; run the same command again to finish"
    )
    assert len(started) == 3
    monkeypatch.setattr(provision, "_provision_person", original)
    again = run(local_config, "--today", TODAY, "provision", "--no-notify")
    assert again.exit_code == 0, again.output
    assert "FY2027: 12 people, 36 written" in again.stdout  # the 9 not started, 4 each


# -- help and messages -------------------------------------------------------------------------


def test_top_level_help_lists_each_command_once() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    names = sorted(cli.commands)
    assert {"init", "provision", "rollup", "status", "sandbox"} <= set(names)
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line]
    assert listed == names
    for name in names:
        assert len(re.findall(rf"^\s+{name}\s", result.stdout, flags=re.M)) == 1


def test_without_a_config_file_says_where_it_looked_and_suggests_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAREERDOCS_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["provision"])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (
        f"Error: no config file found (looked for {tmp_path / 'careerdocs.toml'}; neither "
        "--config nor $CAREERDOCS_CONFIG is set)\n"
        "  to write one: careerdocs init --roster <your HR export (.csv or .xlsx)>\n"
    )


def test_one_person_is_one_person(local_config: Path) -> None:
    result = run(local_config, "--today", TODAY, "plan", "--only", "lea.moreau@example.com")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "1 person: 0 up to date; would create 1 folder and 3 documents, share 2 folders, "
        "send 1 email; protect 1 growth sheet."
    )


@pytest.mark.parametrize("written", ["Reader", "WRITER", " none "])
def test_roles_and_other_choices_ignore_case(written: str) -> None:
    settings = parse_settings({"sharing": {"manager": written}, "backend": "Local"}, Path("."))
    assert settings.sharing.manager == written.strip().lower()
    assert settings.backend == "local"


@pytest.mark.parametrize("where", ["before", "after"])
def test_an_absurd_today_is_refused_before_any_work(local_config: Path, where: str) -> None:
    today = ["--today", "9999-12-31"]
    args = [*today, "provision"] if where == "before" else ["provision", *today]
    result = run(local_config, *args)
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "Invalid value for '--today': 9999-12-31 is out of range (1900-01-01 to 2199-12-31)" in (
        result.stderr
    )
    assert not (local_config.parent / "out").exists()


def _leaf_commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    import click

    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _leaf_commands(command, f"{prefix}{name} ")
        else:
            found.append((prefix + name, command))
    return found


@pytest.mark.parametrize(
    ("path", "command"), _leaf_commands(cli), ids=[p for p, _ in _leaf_commands(cli)]
)
def test_every_command_takes_the_common_options_after_its_name(path: str, command: Any) -> None:
    """The README promises --config, --today and -v for every command, before or after it."""
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert {"--config", "--today", "-v"} <= options, path
