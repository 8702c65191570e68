"""Roster: CSV cells → validated people, every problem reported with its row number."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from careerdocs.errors import ExitCode, Problem, RosterError
from careerdocs.roster import Person, Roster, parse_roster, read_csv

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_ROSTER = REPO / "config" / "example-roster.csv"
DOMAINS = ("example.com",)
HEADER = ["email", "name", "manager_email", "start_date"]
CEO = ["ceo@example.com", "Cleo Executive", "", "2019-04-01"]


def parse(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Roster:
    return parse_roster(header, rows, allowed_domains=DOMAINS)


def problems(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse(rows, header)
    assert caught.value.exit_code == ExitCode.INVALID_INPUT
    return [str(problem) for problem in caught.value.problems]


# --- the example roster ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Roster:
    header, rows = read_csv(EXAMPLE_ROSTER)
    return parse_roster(header, rows, allowed_domains=DOMAINS)


def _levels_below_the_top(roster: Roster, person: Person) -> int:
    levels = 0
    while person.manager_email:
        person = roster.get(person.manager_email)  # type: ignore[assignment]
        levels += 1
    return levels


def test_example_roster_has_a_ceo_two_levels_of_managers_and_a_new_hire(example: Roster) -> None:
    assert len(example) == 12
    assert [p.name for p in example if p.manager_email is None] == ["Margaret Okafor"]
    # CEO → VP → engineering manager → engineer: two levels of managers under the CEO
    assert max(_levels_below_the_top(example, p) for p in example) == 3
    new_hires = [p for p in example if (date(2026, 11, 26) - p.start_date).days < 90]
    assert [p.name for p in new_hires] == ["Léa Moreau"]
    assert all(p.pbp_email for p in example if p.department == "Engineering")


def test_example_roster_keeps_names_as_written(example: Roster) -> None:
    names = {person.name for person in example}
    assert {"Siobhán O'Brien", "=Zoë Lambert", "Priya Raman 🚀", "José Álvarez"} <= names


def test_skip_level_is_the_managers_manager(example: Roster) -> None:
    zoe = example.get("zoe.lambert@example.com")
    assert zoe is not None
    assert zoe.manager_email == "siobhan.obrien@example.com"
    assert zoe.skip_level_email == "rahul.mehta@example.com"
    for top_or_next in ("rahul.mehta@example.com", "margaret.okafor@example.com"):
        assert getattr(example.get(top_or_next), "skip_level_email", "missing") is None


def test_other_columns_are_kept_under_normalised_names(example: Roster) -> None:
    lea = example.get("lea.moreau@example.com")
    assert lea is not None
    assert dict(lea.extra) == {"employee_id": "E-0091"}
    assert (lea.title, lea.department, lea.division, lea.location, lea.row) == (
        "Software Engineer",
        "Engineering",
        "Product Engineering",
        "Lyon",
        13,
    )


# --- columns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ["Email", "Name", "Manager Email", "Start Date"],
        ["EMAIL", "Full Name", "Manager", "Start"],
        [" Email ", "full-name", "manager-email", "START_DATE"],
    ],
)
def test_header_names_are_matched_loosely_and_by_alias(header: list[str]) -> None:
    roster = parse([CEO], header)
    assert roster.people[0].email == "ceo@example.com"
    assert roster.people[0].name == "Cleo Executive"


def test_refuses_missing_required_columns_naming_them_the_columns_found_and_the_closest() -> None:
    header = ["email", "name", "title", "Hired On"]
    assert problems([["a@example.com", "Ann", "CEO", "2024-01-01"]], header) == [
        "row 1: missing required columns: manager_email, start_date",
        "row 1: columns found: 'email', 'name', 'title', 'Hired On'",
        'row 1: manager_email: set [roster.columns] manager_email = "<the column\'s name>"',
        "row 1: start_date: closest column is 'Hired On'; if that is it, set [roster.columns] "
        'start_date = "Hired On"',
    ]


def test_refuses_a_column_given_twice() -> None:
    assert problems([[*CEO, "x@example.com"]], [*HEADER, "Manager"]) == [
        "row 1: column manager_email appears twice (columns 3 and 5); set [roster.columns] "
        "manager_email to the one to use"
    ]


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        ([], [], "row 1: no header; expected columns email, name, manager_email, start_date"),
        (HEADER, [], "row 2: no people below the header"),
        (HEADER, [["", " ", "", ""], []], "row 2: no people below the header"),
    ],
)
def test_refuses_an_empty_roster(header: list[str], rows: list[list[str]], expected: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse(rows, header)
    assert caught.value.summary == "the roster is empty"
    assert [str(p) for p in caught.value.problems] == [expected]


# --- rows ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["ann.example.com", "Ann", "ceo@example.com", "2024-01-01"],
         "row 3: email 'ann.example.com' is not an email address"),
        (["", "Ann", "ceo@example.com", "2024-01-01"], "row 3: email is empty"),
        (["ann@example.com", "", "ceo@example.com", "2024-01-01"], "row 3: name is empty"),
        (["ann@example.com", "Ann", "boss@example.com", "2024-01-01"],
         "row 3: manager boss@example.com is not in the roster"),
        (["ann@example.com", "Ann", "ann@example.com", "2024-01-01"],
         "row 3: ann@example.com is their own manager"),
        (["ann@example.com", "Ann", "ceo", "2024-01-01"],
         "row 3: manager_email 'ceo' is not an email address"),
        (["ann@example.com", "Ann", "ceo@example.com", ""], "row 3: start_date is empty"),
        (["ann@example.com", "Ann", "ceo@example.com", "31/12/2024"],
         "row 3: start_date '31/12/2024' is not a date (use YYYY-MM-DD, or M/D/YYYY with the "
         "month first)"),
        (["ann@example.com", "Ann", "ceo@example.com", "2024-02-30"],
         "row 3: start_date '2024-02-30' is not a date (use YYYY-MM-DD, or M/D/YYYY with the "
         "month first)"),
        (["ann@gmail.com", "Ann", "ceo@example.com", "2024-01-01"],
         "row 3: email ann@gmail.com is outside the allowed domains (example.com)"),
        (["ann@example.com", "Ann", "ceo@example.com", "2024-01-01", "", "stray"],
         "row 3: value 'stray' in column 6, which has no header"),
    ],
)  # fmt: skip
def test_refuses_a_bad_row_with_its_row_number(row: list[str], expected: str) -> None:
    assert problems([CEO, row]) == [expected]


def test_a_manager_outside_the_allowed_domains_is_also_not_in_the_roster() -> None:
    assert problems([CEO, ["ann@example.com", "Ann", "ceo@example.org", "2024-01-01"]]) == [
        "row 3: manager_email ceo@example.org is outside the allowed domains (example.com)",
        "row 3: manager ceo@example.org is not in the roster",
    ]


def test_refuses_a_pbp_outside_the_allowed_domains() -> None:
    header = [*HEADER, "PBP"]
    rows = [[*CEO, ""], ["ann@example.com", "Ann", "ceo@example.com", "2024-01-01", "hr@agency.io"]]
    assert problems(rows, header) == [
        "row 3: pbp_email hr@agency.io is outside the allowed domains (example.com)"
    ]


def test_refuses_duplicate_email_naming_both_rows_whatever_the_case() -> None:
    rows = [
        CEO,
        ["ann@example.com", "Ann", "ceo@example.com", "2024-01-01"],
        ["Ann@Example.com", "Ann B", "ceo@example.com", "2024-02-01"],
    ]
    assert problems(rows) == ["row 4: duplicate email ann@example.com (also on row 3)"]


def test_refuses_a_management_loop_naming_the_chain_once() -> None:
    rows = [
        CEO,
        ["ann@example.com", "Ann", "bob@example.com", "2024-01-01"],
        ["bob@example.com", "Bob", "cat@example.com", "2024-01-01"],
        ["cat@example.com", "Cat", "ann@example.com", "2024-01-01"],
        ["dan@example.com", "Dan", "cat@example.com", "2024-01-01"],
    ]
    assert problems(rows) == [
        "row 3: management loop: ann@example.com → bob@example.com → cat@example.com → "
        "ann@example.com"
    ]


def test_more_than_one_top_of_the_chain_is_fine() -> None:
    roster = parse([CEO, ["founder@example.com", "Fay Founder", "", "2019-01-01"]])
    assert [p.manager_email for p in roster] == [None, None]


def test_reports_every_problem_at_once_in_row_order() -> None:
    rows = [
        ["ann@example.com", "Ann", "zed@example.com", "someday"],
        CEO,
        [],
        ["ann@example.com", "", "ceo@example.com", "2024-01-01"],
        ["eve@example.com", "Eve", "fay@example.com", "2024-01-01"],
        ["fay@example.com", "Fay", "eve@example.com", "2024-01-01"],
    ]
    with pytest.raises(RosterError) as caught:
        parse(rows)
    assert caught.value.summary == "the roster has 5 problems"
    assert [str(p) for p in caught.value.problems] == [
        "row 2: manager zed@example.com is not in the roster",
        "row 2: start_date 'someday' is not a date (use YYYY-MM-DD, or M/D/YYYY with the month "
        "first)",
        "row 5: name is empty",
        "row 5: duplicate email ann@example.com (also on row 2)",
        "row 6: management loop: eve@example.com → fay@example.com → eve@example.com",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("3/1/2026", date(2026, 3, 1)),
        ("12/31/2025", date(2025, 12, 31)),
        (" 2026-03-01 ", date(2026, 3, 1)),
    ],
)
def test_start_date_is_iso_or_us_month_first(text: str, expected: date) -> None:
    assert parse([[*CEO[:3], text]]).people[0].start_date == expected


@pytest.mark.parametrize("value", ["=SUM(1)", "+1", "@x", "{{ x }}", "-2+3", "O'Brien"])
def test_values_are_data_never_formulas_or_templates(value: str) -> None:
    header = [*HEADER, "title", "Team"]
    person = parse([[CEO[0], value, "", CEO[3], value, value]], header).people[0]
    assert (person.name, person.title, person.extra["team"]) == (value, value, value)


def test_emails_are_lower_cased_and_looked_up_in_any_case() -> None:
    roster = parse(
        [
            ["CEO@Example.COM", "Cleo", "", "2019-04-01"],
            ["ann@example.com", "Ann", "Ceo@example.com", "2024-01-01"],
        ]
    )
    assert roster.people[0].email == "ceo@example.com"
    assert roster.people[1].manager_email == "ceo@example.com"
    assert roster.get("ANN@EXAMPLE.COM") is roster.people[1]


def test_blank_rows_are_skipped_but_counted() -> None:
    roster = parse([CEO, [], ["", "", "", ""], ["ann@example.com", "Ann", CEO[0], "2024-01-01"]])
    assert [p.row for p in roster] == [2, 5]


def test_rows_are_numbered_from_the_given_first_row() -> None:
    with pytest.raises(RosterError) as caught:
        parse_roster(
            HEADER, [CEO, ["bad", "B", "", "2024-01-01"]], allowed_domains=DOMAINS, first_row=10
        )
    assert [str(p) for p in caught.value.problems] == [
        "row 11: email 'bad' is not an email address"
    ]


@pytest.mark.parametrize(
    ("name", "first"),
    [("Siobhán O'Brien", "Siobhán"), ("  Mei   Chen ", "Mei"), ("Cher", "Cher"), ("", "")],
)
def test_first_name_is_the_first_word(name: str, first: str) -> None:
    person = Person(email="a@example.com", name=name, manager_email=None, start_date=date.today())
    assert person.first_name == first


# --- the Roster ------------------------------------------------------------------------------


def test_get_returns_none_for_an_unknown_or_missing_email(example: Roster) -> None:
    assert example.get("nobody@example.com") is None
    assert example.get(None) is None


def test_only_keeps_roster_order(example: Roster) -> None:
    picked = example.only(["lea.moreau@example.com", "Rahul.Mehta@example.com"])
    assert [p.email for p in picked] == ["rahul.mehta@example.com", "lea.moreau@example.com"]


def test_only_refuses_every_unknown_email(example: Roster) -> None:
    with pytest.raises(RosterError) as caught:
        example.only(["lea.moreau@example.com", "x@example.com", "y@example.com"])
    assert caught.value.summary == "2 emails not in the roster"
    assert caught.value.problems == [
        Problem("x@example.com", "is not in the roster"),
        Problem("y@example.com", "is not in the roster"),
    ]


# --- reading CSV -----------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_reads_utf8_with_or_without_a_byte_order_mark(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(bom + "Email,Name\r\nzoe@example.com,Zoë\r\n".encode())
    assert read_csv(path) == (["Email", "Name"], [["zoe@example.com", "Zoë"]])


def test_keeps_blank_lines_and_quoted_commas(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text('email,name\n\n"a@example.com","Okafor, Margaret"\n', encoding="utf-8")
    assert read_csv(path) == (["email", "name"], [[], ["a@example.com", "Okafor, Margaret"]])


def test_an_empty_file_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("", encoding="utf-8")
    assert read_csv(path) == ([], [])


def test_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("email,name\nzoe@example.com,Zoë\n".encode("cp1252"))
    with pytest.raises(RosterError) as caught:
        read_csv(path)
    assert caught.value.problems == [
        Problem(str(path), "is not UTF-8 text (byte 29); save it as CSV UTF-8")
    ]


def test_refuses_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    with pytest.raises(RosterError) as caught:
        read_csv(path)
    assert caught.value.summary == "cannot read the roster"
    assert caught.value.problems == [Problem(str(path), "No such file or directory")]
