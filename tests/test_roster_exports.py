"""Rosters as HR systems export them (issue 10), and bad input caught before writes (issue 8.6)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from careerdocs.cli import cli
from careerdocs.config import RosterSource, load_settings, parse_settings
from careerdocs.errors import ExitCode, Problem, RosterError
from careerdocs.roster import load_roster, map_columns, parse_roster, read_table
from tests.conftest import EXAMPLE_ROSTER, LOCAL_CONFIG, write_config
from tests.test_init_cli import EXPORT_HEADER, EXPORT_ROWS, write_xlsx

TODAY = date(2026, 11, 2)


def problems_of(header: list[str], rows: list[list[str]], **kwargs: object) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse_roster(header, rows, allowed_domains=["acme.io"], today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert caught.value.exit_code == ExitCode.INVALID_INPUT
    return [str(p) for p in caught.value.problems]


# -- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "export.csv"
    lines = [EXPORT_HEADER, *EXPORT_ROWS]
    path.write_text("\n".join(delimiter.join(r) for r in lines) + "\n", encoding="utf-8")
    header, rows = read_table(path)
    assert (header, rows) == (EXPORT_HEADER, EXPORT_ROWS)


def test_a_semicolon_csv_with_a_comma_in_a_name_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('Email;Name\n"a@acme.io";"Okafor, Margaret"\n', encoding="utf-8")
    assert read_table(path) == (["Email", "Name"], [["a@acme.io", "Okafor, Margaret"]])


def test_an_xlsx_export_reads_its_first_sheet_or_the_one_named(tmp_path: Path) -> None:
    first = write_xlsx(tmp_path / "first.xlsx", EXPORT_HEADER, EXPORT_ROWS)
    assert read_table(first) == (EXPORT_HEADER, EXPORT_ROWS)
    named = write_xlsx(tmp_path / "named.xlsx", EXPORT_HEADER, EXPORT_ROWS, sheet="People")
    assert read_table(named, "People") == (EXPORT_HEADER, EXPORT_ROWS)
    with pytest.raises(RosterError) as caught:
        read_table(named, "Staff")
    assert caught.value.problems == [
        Problem(str(named), "has no sheet 'Staff'; its sheets are 'Readme', 'People'")
    ]


def test_xlsx_dates_and_numbers_read_as_an_export_would_write_them(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Email", "Hire Date", "Employee ID"])
    book.active.append(["a@acme.io", date(2024, 3, 1), 1042])
    book.save(tmp_path / "e.xlsx")
    assert read_table(tmp_path / "e.xlsx") == (
        ["Email", "Hire Date", "Employee ID"],
        [["a@acme.io", "2024-03-01", "1042"]],
    )


def test_a_roster_source_may_name_an_xlsx_sheet(tmp_path: Path) -> None:
    settings = parse_settings({"roster": {"source": "export.xlsx#People"}}, tmp_path)
    assert settings.require_roster() == RosterSource(path=tmp_path / "export.xlsx", tab="People")
    assert str(settings.require_roster()) == f"{tmp_path / 'export.xlsx'}#People"


def test_an_old_xls_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RosterError) as caught:
        read_table(tmp_path / "export.xls")
    assert caught.value.problems == [
        Problem(str(tmp_path / "export.xls"), "is an old Excel file: save it as .xlsx or CSV UTF-8")
    ]


# -- columns -----------------------------------------------------------------------------------


def test_the_usual_export_names_are_recognised_and_job_title_is_the_role() -> None:
    roster = parse_roster(EXPORT_HEADER, EXPORT_ROWS, allowed_domains=["acme.io"], today=TODAY)
    lu = roster.get("lu.chen@acme.io")
    assert lu is not None
    assert (lu.name, lu.manager_email, lu.start_date, lu.title, lu.department) == (
        "Lu Chen",
        "raj.k@acme.io",
        date(2023, 2, 20),
        "Engineer",
        "Engineering",
    )
    assert lu.skip_level_email == "sofia.marin@acme.io"
    assert roster.warnings == ()


def test_config_columns_map_names_careerdocs_does_not_know() -> None:
    header = ["Corporate Mail", "Who", "Boss", "Seniority Date"]
    rows = [["a@acme.io", "Ann", "", "2020-01-01"], ["b@acme.io", "Bo", "a@acme.io", "2021-01-01"]]
    columns = {
        "email": "corporate mail",
        "name": "Who",
        "manager_email": "Boss",
        "start_date": "Seniority Date",
    }
    roster = parse_roster(header, rows, allowed_domains=["acme.io"], columns=columns)
    assert [p.manager_email for p in roster] == [None, "a@acme.io"]


def test_a_mapped_column_that_is_not_there_is_named_with_the_columns_found() -> None:
    assert problems_of(EXPORT_HEADER, EXPORT_ROWS, columns={"email": "Email Address"}) == [
        "roster.columns.email: no column 'Email Address' in the roster; columns found: "
        "'Work Email', 'Employee Name', 'Reports To', 'Hire Date', 'Job Title', 'Department'"
    ]


def test_a_mapping_wins_over_a_recognised_name() -> None:
    header = [*EXPORT_HEADER, "Personal Email"]
    rows = [[*r, r[0]] for r in EXPORT_ROWS]
    mapped = map_columns(header, {"email": "Personal Email"})
    assert mapped.sources["email"] == "Personal Email"
    assert mapped.names[0] == "work_email"
    assert mapped.warnings == (
        "column 'Work Email' is not used: email is read from 'Personal Email' (set "
        '[roster.columns] email = "Work Email" to use it instead)',
    )
    assert (
        len(
            parse_roster(
                header, rows, allowed_domains=["acme.io"], columns={"email": "Personal Email"}
            )
        )
        == 5
    )


def test_an_unused_column_that_looks_meaningful_gets_a_note() -> None:
    header = [*EXPORT_HEADER, "Manager Name", "Employee ID"]
    rows = [[*r, "x", "1"] for r in EXPORT_ROWS]
    roster = parse_roster(header, rows, allowed_domains=["acme.io"])
    assert roster.warnings == (
        "column 'Manager Name' is not used: manager_email is read from 'Reports To' (set "
        '[roster.columns] manager_email = "Manager Name" to use it instead)',
    )


def test_a_semicolon_header_read_as_one_column_says_so() -> None:
    assert problems_of(["Email;Name;Manager;Start"], [["a@acme.io;A;;2020-01-01"]])[:3] == [
        "row 1: missing required columns: email, name, manager_email, start_date",
        "row 1: columns found: 'Email;Name;Manager;Start'",
        "row 1: the header is one column holding semicolons",
    ]


# -- rows --------------------------------------------------------------------------------------


def test_a_roster_in_another_domain_gets_one_hint_not_a_line_per_person() -> None:
    with pytest.raises(RosterError) as caught:
        parse_roster(EXPORT_HEADER, EXPORT_ROWS, allowed_domains=["example.com"])
    assert [str(p) for p in caught.value.problems] == [
        "allowed_domains: 9 roster addresses are outside the allowed domains (example.com): "
        'acme.io (9). If they are yours, set allowed_domains = ["acme.io"] in the config'
    ]


FAR = "is too far ahead (after 2028-11-03); check the year"


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("9999-12-31", f"row 3: start_date 9999-12-31 {FAR}"),
        ("2206-01-01", f"row 3: start_date 2206-01-01 {FAR}"),
        ("12/31/9999", f"row 3: start_date 9999-12-31 {FAR}"),
    ],
)
def test_a_start_date_absurdly_far_ahead_is_caught_on_its_row(start: str, expected: str) -> None:
    rows = [EXPORT_ROWS[0], ["new@acme.io", "New", "sofia.marin@acme.io", start, "", ""]]
    assert problems_of(EXPORT_HEADER, rows) == [expected]


def test_a_start_date_next_year_is_a_new_hire_not_a_problem() -> None:
    rows = [EXPORT_ROWS[0], ["new@acme.io", "New", "sofia.marin@acme.io", "2027-09-01", "", ""]]
    roster = parse_roster(EXPORT_HEADER, rows, allowed_domains=["acme.io"], today=TODAY)
    assert roster.get("new@acme.io").start_date == date(2027, 9, 1)  # type: ignore[union-attr]


def test_without_today_a_far_date_still_never_overflows_later_date_arithmetic() -> None:
    rows = [EXPORT_ROWS[0], ["new@acme.io", "New", "sofia.marin@acme.io", "9999-12-31", "", ""]]
    with pytest.raises(RosterError) as caught:
        parse_roster(EXPORT_HEADER, rows, allowed_domains=["acme.io"])
    assert "is too far ahead" in str(caught.value)


def test_an_oversized_cell_is_named_by_row_and_column() -> None:
    rows = [
        EXPORT_ROWS[0],
        ["big@acme.io", "B" * 5000, "sofia.marin@acme.io", "2024-01-01", "", ""],
    ]
    assert problems_of(EXPORT_HEADER, rows) == [
        f"row 3: name is 5,000 characters long (at most 500): {'B' * 40!r}..."
    ]


# -- through the CLI: exit 2, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "name", "expected"),
    [
        ("9999-12-31", "Late", "row 14: start_date 9999-12-31 is too far ahead"),
        ("2024-01-01", "x" * 501, "row 14: name is 501 characters long (at most 500)"),
    ],
    ids=["far-future-start", "oversized-name"],
)
def test_provision_refuses_bad_rows_before_any_write(
    tmp_path: Path, start: str, name: str, expected: str
) -> None:
    shutil.copy(EXAMPLE_ROSTER, tmp_path / "roster.csv")
    with (tmp_path / "roster.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"late@example.com,{name},margaret.okafor@example.com,{start},,,,,,\n")
    config = write_config(tmp_path, LOCAL_CONFIG)
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--today", "2026-11-02", "provision"]
    )
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    assert expected in result.stderr
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "audit.jsonl").exists()


def test_status_and_rollup_survive_a_conversation_dated_9999(tmp_path: Path) -> None:
    """No crash anywhere on 9999-12-31: a conversation on that date is a data problem."""
    import openpyxl

    shutil.copy(EXAMPLE_ROSTER, tmp_path / "roster.csv")
    config = write_config(tmp_path, LOCAL_CONFIG)
    run = CliRunner().invoke
    base = ["--config", str(config), "--today", "2026-11-02"]
    assert run(cli, [*base, "provision", "--no-notify"]).exit_code == 0
    sheet_path = next((tmp_path / "out").rglob("Growth plan — Kwame*.xlsx"))
    book = openpyxl.load_workbook(sheet_path)
    book["Conversations"].append([date(9999, 12, 31), "boss", "career", "", True, False])
    book.save(sheet_path)
    rollup = run(cli, [*base, "rollup"])
    assert rollup.exit_code == 0, rollup.output
    assert "data problem: kwame.asante@example.com" in rollup.stderr
    status = run(cli, [*base, "status", "--refresh"])
    assert status.exit_code == 0, status.output


def test_load_roster_uses_the_configs_column_mapping(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "export.xlsx", ["Mail", *EXPORT_HEADER[1:]], EXPORT_ROWS)
    config = write_config(
        tmp_path,
        """
        allowed_domains = ["acme.io"]
        [roster]
        source = "export.xlsx"
        [roster.columns]
        email = "Mail"
        """,
    )
    settings = load_settings(config)
    roster = load_roster(
        settings.require_roster(),
        allowed_domains=settings.allowed_domains,
        workspace=None,
        columns=settings.roster.columns.mapping(),
    )
    assert len(roster) == 5


def test_a_reports_to_column_of_names_is_resolved_to_their_emails() -> None:
    by_name = [[*r[:2], {"": "", "sofia.marin@acme.io": "sofia marin"}.get(r[2], r[2]), *r[3:]]
               for r in EXPORT_ROWS]  # fmt: skip
    by_name[1][2] = "Sofía Marín"
    by_name[2][2] = "TOM ODE"
    roster = parse_roster(EXPORT_HEADER, by_name, allowed_domains=["acme.io"], today=TODAY)
    assert {p.email: p.manager_email for p in roster} == {p[0]: p[2] or None for p in EXPORT_ROWS}


def test_a_manager_name_shared_by_two_people_asks_for_an_email() -> None:
    rows = [*EXPORT_ROWS, ["lu.chen2@acme.io", "Lu Chen", "raj.k@acme.io", "2024-01-01", "", ""]]
    rows.append(["new@acme.io", "New", "Lu Chen", "2024-01-01", "", ""])
    assert problems_of(EXPORT_HEADER, rows) == [
        "row 8: manager 'Lu Chen' is the name of 2 people (lu.chen@acme.io, lu.chen2@acme.io): "
        "give the manager's email"
    ]


def test_a_manager_that_is_neither_an_email_nor_a_name_in_the_roster_is_reported() -> None:
    rows = [*EXPORT_ROWS, ["new@acme.io", "New", "Nobody Here", "2024-01-01", "", ""]]
    assert problems_of(EXPORT_HEADER, rows) == [
        "row 7: manager_email 'Nobody Here' is not an email address"
    ]
