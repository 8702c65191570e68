"""The Sheets model and A1 notation, called directly (no HTTP)."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import datetime

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from careerdocs.sandbox import a1
from careerdocs.sandbox.a1 import A1Error, A1Ref, GridRange
from careerdocs.sandbox.spreadsheet import (
    COLUMNS,
    FORMATTED_STRING,
    FORMATTED_VALUE,
    FORMULA_RENDER,
    MERGE_ALL,
    MERGE_ROWS,
    PROTECTED_MESSAGE,
    RAW,
    ROWS,
    UNFORMATTED_VALUE,
    USER_ENTERED,
    Actor,
    Chart,
    ConversionError,
    NamedRange,
    ProtectedError,
    ProtectedRange,
    Sheet,
    SheetError,
    Spreadsheet,
    format_datetime,
    format_number,
)

OWNER = "owner@example.com"
EDITOR = "editor@example.com"
MANAGER = "manager@example.com"
AS_OWNER = Actor(OWNER, OWNER)
AS_EDITOR = Actor(EDITOR, OWNER)
AS_MANAGER = Actor(MANAGER, OWNER)


def book_with(*titles: str, rows: int = 1000, cols: int = 26) -> Spreadsheet:
    """A spreadsheet whose sheets have the given titles (ids 0, 1, 2...)."""
    book = Spreadsheet()
    for i, title in enumerate(titles):
        book.sheets.append(Sheet.blank(i, title, rows, cols))
    return book


def write(
    book: Spreadsheet,
    text: str,
    values: list[list[object]],
    option: str = RAW,
    actor: Actor = AS_OWNER,
) -> None:
    sheet, grid = book.resolve(text)
    book.write(actor, sheet, grid, values, option)


def read(
    book: Spreadsheet, text: str, option: str = FORMATTED_VALUE, major: str = ROWS
) -> list[list[object]]:
    sheet, grid = book.resolve(text)
    return book.read(sheet, grid, option, major=major)


# -- A1 notation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sheet1!A1:B2", A1Ref(sheet="Sheet1", start_row=0, end_row=2, start_col=0, end_col=2)),
        ("Sheet1!A:A", A1Ref(sheet="Sheet1", start_col=0, end_col=1)),
        ("Sheet1!1:2", A1Ref(sheet="Sheet1", start_row=0, end_row=2)),
        ("Sheet1!A5:A", A1Ref(sheet="Sheet1", start_row=4, start_col=0, end_col=1)),
        ("A1:B2", A1Ref(start_row=0, end_row=2, start_col=0, end_col=2)),
        ("B2:A1", A1Ref(start_row=0, end_row=2, start_col=0, end_col=2)),
        ("$C$3", A1Ref(start_row=2, end_row=3, start_col=2, end_col=3)),
        ("d4", A1Ref(start_row=3, end_row=4, start_col=3, end_col=4)),
        ("Sheet1", A1Ref(word="Sheet1", cells=False)),
        ("'Sheet1'", A1Ref(sheet="Sheet1", cells=False)),
        ("'Sheet1'!B1", A1Ref(sheet="Sheet1", start_row=0, end_row=1, start_col=1, end_col=2)),
        ("'It''s'!A1", A1Ref(sheet="It's", start_row=0, end_row=1, start_col=0, end_col=1)),
        ("'My sheet'", A1Ref(sheet="My sheet", cells=False)),
        ("My sheet!B3", A1Ref(sheet="My sheet", start_row=2, end_row=3, start_col=1, end_col=2)),
        ("🌵 fruit 1!A:A", A1Ref(sheet="🌵 fruit 1", start_col=0, end_col=1)),
        ("'a!b'!A1", A1Ref(sheet="a!b", start_row=0, end_row=1, start_col=0, end_col=1)),
        ("Sheet1!", A1Ref(sheet="Sheet1", cells=False)),
        ("ZZZ1", A1Ref(start_row=0, end_row=1, start_col=18277, end_col=18278)),
    ],
)
def test_a1_parse_reads_every_documented_form(text: str, expected: A1Ref) -> None:
    assert a1.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Sheet1!A0",
        "'unterminated!A1",
        "Sheet1!A:B5",
        "''!A1",
        "'Sheet1'A1",
        "!A1",
        "Sheet1!A1:B2:C3",
    ],
)
def test_a1_parse_refuses_text_that_is_not_a_range(text: str) -> None:
    with pytest.raises(A1Error, match="Unable to parse range"):
        a1.parse(text)


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("Sheet1", "Sheet1"),
        ("_notes", "_notes"),
        ("My Sheet", "'My Sheet'"),
        ("It's", "'It''s'"),
        ("🌵 fruit", "'🌵 fruit'"),
        ("A1", "'A1'"),
        ("R1C1", "'R1C1'"),
        ("2023", "'2023'"),
        ("Q&A", "'Q&A'"),
    ],
)
def test_titles_are_quoted_only_when_they_need_it(title: str, written: str) -> None:
    assert a1.quote_title(title) == written


@given(st.integers(min_value=0, max_value=18277))
def test_column_letters_and_index_are_inverse(index: int) -> None:
    assert a1.column_index(a1.column_letters(index)) == index


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters_count_like_sheets(index: int, letters: str) -> None:
    assert a1.column_letters(index) == letters


@pytest.mark.parametrize(
    ("grid", "text"),
    [
        (GridRange(0, 3, 4, 1, 2), "B4"),
        (GridRange(0, 0, 2, 0, 2), "A1:B2"),
        (GridRange(0, 1000, None, 0, 2), "A1001:B"),
        (GridRange(0, 0, 2, 26, None), "AA1:2"),
        (GridRange(0, 1000), "A1001"),
    ],
)
def test_grid_ranges_are_written_in_a1_as_sheets_writes_them(grid: GridRange, text: str) -> None:
    assert a1.format_cells(grid) == text


def test_grid_range_json_leaves_out_sheet_id_zero_but_keeps_zero_bounds() -> None:
    grid = GridRange(0, 0, 2, 0, 2)
    assert grid.to_json() == {
        "startRowIndex": 0,
        "endRowIndex": 2,
        "startColumnIndex": 0,
        "endColumnIndex": 2,
    }
    assert GridRange.from_json({"sheetId": 7, "startRowIndex": 1}) == GridRange(7, 1)


# -- resolving and echoing ranges --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "echo"),
    [
        ("'Sheet1'!B1", "Sheet1!B1"),
        ("Sheet1!A:A", "Sheet1!A1:A10"),
        ("A:A", "Sheet1!A1:A10"),
        ("Sheet1", "Sheet1!A1:E10"),
        ("Sheet1!1:2", "Sheet1!A1:E2"),
        ("Sheet1!A5:A", "Sheet1!A5:A10"),
        ("B2:A1", "Sheet1!A1:B2"),
        ("A1:Z99", "Sheet1!A1:E10"),
        ("My sheet!B3", "'My sheet'!B3"),
        ("'It''s'", "'It''s'!A1:E10"),
        ("sheet1!C3", "Sheet1!C3"),
    ],
)
def test_ranges_are_echoed_normalised(text: str, echo: str) -> None:
    book = book_with("Sheet1", "My sheet", "It's", rows=10, cols=5)
    assert book.echo(*book.resolve(text)) == echo


def test_a_range_without_a_sheet_is_on_the_first_visible_sheet() -> None:
    book = book_with("Hidden", "Shown")
    book.sheets[0].props["hidden"] = True
    sheet, _ = book.resolve("A1")
    assert sheet.title == "Shown"


def test_a_named_range_wins_over_a_sheet_of_the_same_name() -> None:
    book = book_with("Sheet1", "Totals")
    book.named_ranges.append(NamedRange("n1", "Totals", GridRange(0, 0, 1, 0, 1)))
    assert book.echo(*book.resolve("Totals")) == "Sheet1!A1"


@pytest.mark.parametrize("text", ["Nope!A1", "Nope", "Sheet1!A0"])
def test_unknown_sheets_and_bad_ranges_are_unparseable(text: str) -> None:
    with pytest.raises(SheetError, match=f"^Unable to parse range: {text}$"):
        book_with("Sheet1").resolve(text)


def test_reading_from_past_the_grid_is_refused() -> None:
    book = book_with("Sheet1", rows=10, cols=5)
    with pytest.raises(
        SheetError,
        match=r"^Range \(Sheet1!A11\) exceeds grid limits\. "
        r"Max rows: 10, max columns: 5$",
    ):
        read(book, "A11")


# -- values: input, rendering, trimming --------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "option", "unformatted", "formatted", "formula"),
    [
        ("=1+1", RAW, "=1+1", "=1+1", "=1+1"),
        ("=1+1", USER_ENTERED, "", "", "=1+1"),
        (
            '=IMPORTXML("http://x", "//a")',
            RAW,
            '=IMPORTXML("http://x", "//a")',
            '=IMPORTXML("http://x", "//a")',
            '=IMPORTXML("http://x", "//a")',
        ),
        ("12", RAW, "12", "12", "12"),
        ("12", USER_ENTERED, 12, "12", 12),
        ("-1.5", USER_ENTERED, -1.5, "-1.5", -1.5),
        ("TRUE", RAW, "TRUE", "TRUE", "TRUE"),
        ("true", USER_ENTERED, True, "TRUE", True),
        (False, RAW, False, "FALSE", False),
        (7, RAW, 7, "7", 7),
        (0.0009765625, RAW, 0.0009765625, "0.0009765625", 0.0009765625),
        ("2026-03-01", USER_ENTERED, 46082, "2026-03-01", 46082),
        ("3/1/2016", USER_ENTERED, 42430, "3/1/2016", 42430),
        (
            "2026-03-01 14:05",
            USER_ENTERED,
            46082.586805555555,
            "2026-03-01 14:05:00",
            46082.586805555555,
        ),
        ("10:30", USER_ENTERED, 0.4375, "10:30 AM", 0.4375),
        ("2,000,000.01", USER_ENTERED, 2000000.01, "2,000,000.01", 2000000.01),
        ("$20.50", USER_ENTERED, 20.5, "$20.50", 20.5),
        ("50%", USER_ENTERED, 0.5, "50%", 0.5),
        ("1e3", USER_ENTERED, 1000, "1.00E+03", 1000),
        ("'0123", USER_ENTERED, "0123", "0123", "0123"),
        ("13/45/2020", USER_ENTERED, "13/45/2020", "13/45/2020", "13/45/2020"),
        ("Ada Lovelace", USER_ENTERED, "Ada Lovelace", "Ada Lovelace", "Ada Lovelace"),
    ],
)
def test_values_read_back_as_sheets_renders_them(
    typed: object, option: str, unformatted: object, formatted: object, formula: object
) -> None:
    book = Spreadsheet.new()
    write(book, "A1", [[typed, "end"]], option)
    assert read(book, "A1:B1", UNFORMATTED_VALUE) == [[unformatted, "end"]]
    assert read(book, "A1:B1", FORMATTED_VALUE) == [[formatted, "end"]]
    assert read(book, "A1:B1", FORMULA_RENDER) == [[formula, "end"]]


def test_dates_can_be_read_as_formatted_strings_while_numbers_stay_typed() -> None:
    book = Spreadsheet.new()
    write(book, "A1", [["2026-03-01", "5"]], USER_ENTERED)
    sheet, grid = book.resolve("A1:B1")
    assert book.read(sheet, grid, UNFORMATTED_VALUE, FORMATTED_STRING) == [["2026-03-01", 5]]


def test_reads_trim_trailing_empty_cells_and_rows_but_keep_inner_gaps() -> None:
    book = Spreadsheet.new()
    write(book, "B2", [["x"]])
    write(book, "A4", [["y"]])
    assert read(book, "Sheet1") == [[], ["", "x"], [], ["y"]]
    assert read(book, "C1:D9") == []


def test_columns_major_dimension_transposes_reads_and_writes() -> None:
    book = Spreadsheet.new()
    sheet, grid = book.resolve("A1")
    book.write(AS_OWNER, sheet, grid, [["a1", "a2"], ["b1"]], RAW, COLUMNS)
    assert read(book, "A1:B2") == [["a1", "b1"], ["a2"]]
    assert read(book, "A1:B2", major=COLUMNS) == [["a1", "a2"], ["b1"]]


def test_null_leaves_a_cell_alone_and_empty_string_clears_it() -> None:
    book = Spreadsheet.new()
    write(book, "A1", [["keep", "clear me", "x"]])
    sheet, grid = book.resolve("A1")
    result = book.write(AS_OWNER, sheet, grid, [[None, "", None]], RAW)
    assert read(book, "A1:C1") == [["keep", "", "x"]]
    assert (result.rows, result.columns, result.cells) == (1, 1, 1)
    assert book.echo(sheet, result.range) == "Sheet1!A1:C1"


def test_a_single_cell_range_is_an_anchor_but_a_larger_one_bounds_the_data() -> None:
    book = Spreadsheet.new()
    write(book, "A1", [[1, 2, 3], [4, 5, 6]])
    assert read(book, "A1:C2", UNFORMATTED_VALUE) == [[1, 2, 3], [4, 5, 6]]
    with pytest.raises(
        SheetError,
        match=r"^Requested writing within range \['Sheet1'!A1:B2\], "
        r"but tried writing to row \[3\]$",
    ):
        write(book, "A1:B2", [[1], [2], [3]])
    with pytest.raises(SheetError, match=r"but tried writing to column \[C\]$"):
        write(book, "A1:B2", [[1, 2, 3]])


def test_writing_past_the_grid_is_refused_in_sheets_words() -> None:
    book = Spreadsheet.new()
    with pytest.raises(
        SheetError,
        match=r"^Range \(Sheet1!A1000\) exceeds grid limits\. "
        r"Max rows: 1000, max columns: 26$",
    ):
        write(book, "A1000", [["fits"], ["does not"]])
    assert read(book, "A1000") == []


def test_invalid_values_are_refused_with_their_position() -> None:
    book = Spreadsheet.new()
    with pytest.raises(SheetError, match=r"^Invalid values\[0\]\[1\]"):
        write(book, "A1", [["ok", {"not": "a value"}]])


def test_clear_removes_values_but_keeps_formats_and_validation() -> None:
    book = Spreadsheet.new()
    write(book, "A1", [["2026-03-01"]], USER_ENTERED)
    sheet, grid = book.resolve("A1:Z1000")
    assert book.echo(sheet, book.clear(AS_OWNER, sheet, grid)) == "Sheet1!A1:Z1000"
    assert sheet.get(0, 0).kind is None
    assert sheet.get(0, 0).number_format == {"type": "DATE", "pattern": "yyyy-mm-dd"}


# -- number formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (1234.5, {"type": "NUMBER", "pattern": "#,##0.00"}, "1,234.50"),
        (1234.5, {"type": "NUMBER", "pattern": "0"}, "1235"),
        (-5, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}, "-$5.00"),
        (-5, {"type": "NUMBER", "pattern": "0.00;(0.00)"}, "(5.00)"),
        (0.125, {"type": "PERCENT", "pattern": "0.0%"}, "12.5%"),
        (0.5, {"type": "NUMBER", "pattern": "#.##"}, ".5"),
        (12345, {"type": "SCIENTIFIC", "pattern": "0.00E+00"}, "1.23E+04"),
        (1 / 3, None, "0.3333333333"),
        (1e20, None, "1.00E+20"),
        (46082, {"type": "DATE", "pattern": "dddd, mmmm d, yyyy"}, "Sunday, March 1, 2026"),
        (46082.75, {"type": "DATE_TIME", "pattern": "M/d/yy h:mm am/pm"}, "3/1/26 6:00 PM"),
        (46082, {"type": "DATE"}, "2026-03-01"),
    ],
)
def test_numbers_are_displayed_through_their_number_format(
    value: float, number_format: dict, shown: str
) -> None:
    assert format_number(value, number_format) == shown


def test_m_means_minutes_next_to_hours_or_seconds_and_months_elsewhere() -> None:
    moment = datetime(2026, 3, 1, 9, 7, 5)
    assert format_datetime(moment, "mm/dd hh:mm:ss") == "03/01 09:07:05"
    assert format_datetime(moment, "m:ss") == "7:05"


# -- protected ranges --------------------------------------------------------------------------


def protected_book(**protection: object) -> Spreadsheet:
    """Sheet1 whose column B is protected with ``protection`` (editors: EDITOR by default)."""
    book = Spreadsheet.new()
    fields = {"users": [OWNER, EDITOR], **protection}
    book.protected_ranges.append(
        ProtectedRange(id=1, range=GridRange(0, None, None, 1, 2), **fields)  # type: ignore[arg-type]
    )
    return book


@pytest.mark.parametrize(
    ("actor", "allowed"), [(AS_OWNER, True), (AS_EDITOR, True), (AS_MANAGER, False)]
)
def test_only_the_owner_and_listed_editors_may_write_a_protected_range(
    actor: Actor, allowed: bool
) -> None:
    book = protected_book()
    if allowed:
        write(book, "A1", [["a", "b"]], actor=actor)
        assert read(book, "A1:B1") == [["a", "b"]]
    else:
        with pytest.raises(ProtectedError, match=f"^{re.escape(PROTECTED_MESSAGE)}$"):
            write(book, "A1", [["a", "b"]], actor=actor)
        assert read(book, "A1:B1") == []


def test_the_owner_may_write_even_when_not_listed_as_an_editor() -> None:
    book = protected_book(users=[EDITOR])
    write(book, "B1", [["mine"]], actor=AS_OWNER)
    assert read(book, "B1") == [["mine"]]


def test_cells_outside_the_protection_stay_writable() -> None:
    book = protected_book()
    write(book, "A1", [["a", None, "c"]], actor=AS_MANAGER)
    assert read(book, "A1:C1") == [["a", "", "c"]]


@pytest.mark.parametrize(
    ("protection", "allowed"),
    [
        ({"warning_only": True, "users": []}, True),
        ({"domain_users_can_edit": True, "users": []}, True),
        ({"unprotected": [GridRange(0, 0, 1, 1, 2)]}, True),
        ({"unprotected": [GridRange(0, 5, 6, 1, 2)]}, False),
    ],
)
def test_warning_only_domain_editing_and_unprotected_holes_let_writes_through(
    protection: dict, allowed: bool
) -> None:
    book = protected_book(**protection)
    if allowed:
        write(book, "B1", [["ok"]], actor=AS_MANAGER)
        assert read(book, "B1") == [["ok"]]
    else:
        with pytest.raises(ProtectedError):
            write(book, "B1", [["ok"]], actor=AS_MANAGER)


def test_clearing_or_merging_protected_cells_is_refused() -> None:
    book = protected_book()
    sheet, grid = book.resolve("A1:C3")
    with pytest.raises(ProtectedError):
        book.clear(AS_MANAGER, sheet, grid)
    with pytest.raises(ProtectedError):
        book.merge(AS_MANAGER, sheet, grid.clamp(sheet.rows, sheet.cols), MERGE_ALL)


def test_a_sheet_with_protections_only_the_owner_may_delete() -> None:
    book = protected_book()
    book.sheets.append(Sheet.blank(5, "Other"))
    with pytest.raises(ProtectedError):
        book.delete_sheet(AS_MANAGER, 0)
    book.delete_sheet(AS_OWNER, 0)
    assert [s.title for s in book.sheets] == ["Other"]
    assert book.protected_ranges == []


# -- append ------------------------------------------------------------------------------------


def test_append_writes_after_the_table_and_reports_it() -> None:
    book = Spreadsheet.new()
    write(book, "A1", [["Name", "Date"], ["Ada", "2026-01-01"]])
    sheet, grid = book.resolve("Sheet1")
    table, result = book.append(AS_OWNER, sheet, grid, [["Bob", "2026-02-02"]], RAW)
    assert table is not None and book.echo(sheet, table) == "Sheet1!A1:B2"
    assert book.echo(sheet, result.range) == "Sheet1!A3:B3"
    assert read(book, "A3:B3") == [["Bob", "2026-02-02"]]


def test_append_to_an_empty_range_writes_at_its_top_left() -> None:
    book = Spreadsheet.new()
    sheet, grid = book.resolve("C5:D9")
    table, result = book.append(AS_OWNER, sheet, grid, [["x"]], RAW)
    assert table is None
    assert book.echo(sheet, result.range) == "Sheet1!C5"


def test_append_stops_at_the_first_gap_in_the_table() -> None:
    book = Spreadsheet.new()
    write(book, "A1", [["a"], ["b"], [None], ["d"]])
    sheet, grid = book.resolve("A1")
    table, _ = book.append(AS_OWNER, sheet, grid, [["c"]], RAW)
    assert table is not None and book.echo(sheet, table) == "Sheet1!A1:A2"
    assert read(book, "A1:A4") == [["a"], ["b"], ["c"], ["d"]]


def test_append_with_insert_rows_pushes_what_is_below_down() -> None:
    book = Spreadsheet.new()
    write(book, "A1", [["a"], ["b"], [None], ["footer"]])
    sheet, grid = book.resolve("A1:A2")
    book.append(AS_OWNER, sheet, grid, [["c"]], RAW, insert_rows=True)
    assert read(book, "A1:A5") == [["a"], ["b"], ["c"], [], ["footer"]]
    assert sheet.rows == 1001


def test_append_grows_the_grid_to_fit() -> None:
    book = book_with("Sheet1", rows=2, cols=2)
    write(book, "A1", [["a", "b"], ["c", "d"]])
    sheet, grid = book.resolve("Sheet1")
    book.append(AS_OWNER, sheet, grid, [["e", "f", "g"]], RAW)
    assert (sheet.rows, sheet.cols) == (3, 3)
    assert read(book, "A3:C3") == [["e", "f", "g"]]


# -- dimensions, merges, sheets ----------------------------------------------------------------


def test_inserting_rows_shifts_cells_and_grows_ranges_that_span_the_point() -> None:
    book = protected_book()
    book.protected_ranges[0].range = GridRange(0, 0, 4, 1, 2)
    book.named_ranges.append(NamedRange("n", "Below", GridRange(0, 5, 6, 0, 1)))
    write(book, "A1", [["r1"], ["r2"]])
    sheet = book.sheets[0]
    book.insert_dimension(sheet, ROWS, 1, 3)
    assert read(book, "A1:A4") == [["r1"], [], [], ["r2"]]
    assert book.protected_ranges[0].range == GridRange(0, 0, 6, 1, 2)
    assert book.named_ranges[0].range == GridRange(0, 7, 8, 0, 1)
    assert sheet.rows == 1002


def test_deleting_columns_drops_ranges_inside_them_and_shifts_the_rest() -> None:
    book = Spreadsheet.new()
    sheet = book.sheets[0]
    write(book, "A1", [["a", "b", "c", "d"]])
    sheet.merges.append(GridRange(0, 0, 1, 1, 2))
    sheet.merges.append(GridRange(0, 0, 1, 3, 4))
    book.delete_dimension(AS_OWNER, sheet, COLUMNS, 1, 3)
    assert read(book, "A1:D1") == [["a", "d"]]
    assert sheet.merges == [GridRange(0, 0, 1, 1, 2)]
    assert sheet.cols == 24


def test_deleting_protected_rows_is_refused_and_deleting_every_row_is_impossible() -> None:
    book = protected_book()
    sheet = book.sheets[0]
    with pytest.raises(ProtectedError):
        book.delete_dimension(AS_MANAGER, sheet, ROWS, 0, 1)
    with pytest.raises(SheetError, match=r"^You can't delete all the rows on the sheet\.$"):
        book.delete_dimension(AS_OWNER, sheet, ROWS, 0, 1000)


def test_merging_keeps_only_the_top_left_value_and_replaces_overlapping_merges() -> None:
    book = Spreadsheet.new()
    sheet = book.sheets[0]
    write(book, "A1", [[1, 2], [3, 4]])
    book.merge(AS_OWNER, sheet, GridRange(0, 0, 2, 0, 2), MERGE_ROWS)
    assert sheet.merges == [GridRange(0, 0, 1, 0, 2), GridRange(0, 1, 2, 0, 2)]
    assert read(book, "A1:B2", UNFORMATTED_VALUE) == [[1], [3]]
    book.merge(AS_OWNER, sheet, GridRange(0, 0, 2, 0, 2), MERGE_ALL)
    assert sheet.merges == [GridRange(0, 0, 2, 0, 2)]
    assert read(book, "A1:B2", UNFORMATTED_VALUE) == [[1]]


def test_sheet_titles_are_unique_regardless_of_case() -> None:
    book = Spreadsheet.new()
    with pytest.raises(SheetError, match='A sheet with the name "sheet1" already exists'):
        book.add_sheet(Sheet.blank(3, "sheet1"))


def test_the_last_sheet_cannot_be_deleted() -> None:
    with pytest.raises(SheetError, match=r"^You can't remove all the sheets in a document\.$"):
        Spreadsheet.new().delete_sheet(AS_OWNER, 0)


@pytest.mark.parametrize(("index", "order"), [(0, "CAB"), (2, "BAC"), (3, "BCA")])
def test_moving_a_sheet_counts_the_index_before_the_move(index: int, order: str) -> None:
    book = book_with("A", "B", "C")
    book.move_sheet(book.sheets[0 if index else 2], index)
    assert "".join(s.title for s in book.sheets) == order


def test_the_workbook_may_not_grow_past_ten_million_cells() -> None:
    book = Spreadsheet.new()
    with pytest.raises(SheetError, match="above the limit of 10000000 cells"):
        book.append_dimension(book.sheets[0], ROWS, 400_000)


def test_a_new_spreadsheet_has_one_1000_by_26_sheet_with_id_zero() -> None:
    book = Spreadsheet.new()
    [sheet] = book.sheets
    assert (sheet.id, sheet.title, sheet.rows, sheet.cols) == (0, "Sheet1", 1000, 26)


def test_copies_are_independent_of_the_original() -> None:
    book = protected_book()
    book.sheets[0].put(
        0, 2, replace(book.sheets[0].get(0, 2), validation={"condition": {"type": "BOOLEAN"}})
    )
    book.charts.append(Chart(9, 0, {"title": "T"}, {"sheetId": 0}))
    copied = book.copy()
    write(copied, "A1", [["changed"]])
    copied.protected_ranges[0].users.append(MANAGER)
    copied.charts[0].spec["title"] = "changed"
    copied.sheets[0].props["title"] = "Renamed"
    assert read(book, "A1") == []
    assert MANAGER not in book.protected_ranges[0].users
    assert book.charts[0].spec == {"title": "T"}
    assert book.sheets[0].title == "Sheet1"
    assert copied.sheets[0].get(0, 2).validation == {"condition": {"type": "BOOLEAN"}}


# -- files -------------------------------------------------------------------------------------


def test_xlsx_round_trip_keeps_values_formulas_text_booleans_dates_and_checkboxes() -> None:
    book = book_with("Plan", "Conversations 🗣")
    write(book, "Plan!A1", [['=IMPORTXML("u", "x")', "12", True]], RAW)
    write(book, "Plan!A2", [["=SUM(1,2)", "2026-03-01", 3.5]], USER_ENTERED)
    conversations = book.sheets[1]
    conversations.put(
        0, 0, replace(conversations.get(0, 0), validation={"condition": {"type": "BOOLEAN"}})
    )
    conversations.merges.append(GridRange(1, 2, 3, 0, 2))
    conversations.props["hidden"] = True
    back = Spreadsheet.from_xlsx(book.to_xlsx())
    assert [s.title for s in back.sheets] == ["Plan", "Conversations 🗣"]
    assert read(back, "Plan!A1:C2", FORMULA_RENDER) == [
        ['=IMPORTXML("u", "x")', "12", True],
        ["=SUM(1,2)", 46082, 3.5],
    ]
    assert read(back, "Plan!B2") == [["2026-03-01"]]
    restored = back.sheets[1]
    assert restored.get(0, 0).validation == {"condition": {"type": "BOOLEAN"}}
    assert restored.merges == [GridRange(restored.id, 2, 3, 0, 2)]
    assert restored.hidden


def test_xlsx_export_shortens_titles_excel_cannot_hold() -> None:
    book = book_with("a/b", "x" * 40)
    workbook = openpyxl.load_workbook(io.BytesIO(book.to_xlsx()))
    assert workbook.sheetnames == ["a_b", "x" * 31]


def test_bytes_that_are_not_xlsx_cannot_be_converted() -> None:
    with pytest.raises(ConversionError):
        Spreadsheet.from_xlsx(b"not a zip")


def test_csv_export_is_the_first_sheet_by_default_as_displayed() -> None:
    book = book_with("First", "Second")
    write(book, "First!A1", [["a", "1,000"]], USER_ENTERED)
    write(book, "Second!A1", [["b"]])
    assert book.to_csv() == b'a,"1,000"\r\n'
    assert book.to_csv(1) == b"b\r\n"


def test_csv_import_parses_fields_as_typed_into_one_named_sheet() -> None:
    book = Spreadsheet.from_csv(b"\xef\xbb\xbfname,count\r\nAda,3\r\n", title="People")
    assert [s.title for s in book.sheets] == ["People"]
    assert read(book, "People", UNFORMATTED_VALUE) == [["name", "count"], ["Ada", 3]]
