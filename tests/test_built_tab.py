"""The Conversations tab careerdocs adds to an uploaded growth sheet: each .xlsx cell becomes the
Sheets CellData an import would give it, and the requests that write a tab's cells, however
compressed, write exactly those cells."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from careerdocs.config import builtin_templates_dir
from careerdocs.workspace.base import CONVERSATIONS_TAB
from careerdocs.workspace.google import built_tab

TAB = 7


def one_cell(**style: Any) -> Any:
    sheet = openpyxl.Workbook().active
    cell = sheet["B3"]
    value = style.pop("value", None)
    if value is not None:
        cell.value = value
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


GREY = {"red": 0x6B / 255, "green": 0x6B / 255, "blue": 0x6B / 255}


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ({}, {}),
        ({"value": "Date"}, {"userEnteredValue": {"stringValue": "Date"}}),
        ({"value": "=SUM(A1)"}, {"userEnteredValue": {"formulaValue": "=SUM(A1)"}}),
        ({"value": "'=not a formula"}, {"userEnteredValue": {"stringValue": "'=not a formula"}}),
        ({"value": True}, {"userEnteredValue": {"boolValue": True}}),
        ({"value": 3}, {"userEnteredValue": {"numberValue": 3}}),
        (  # a date is its serial day number, shown by its format (openpyxl sets one)
            {"value": dt.date(1900, 3, 1)},
            {
                "userEnteredValue": {"numberValue": 61.0},
                "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}},
            },
        ),
        (
            {"font": Font(bold=True, italic=True, color="FF6B6B6B")},
            {
                "userEnteredFormat": {
                    "textFormat": {"bold": True, "italic": True, "foregroundColor": GREY}
                }
            },
        ),
        ({"font": Font(size=16)}, {"userEnteredFormat": {"textFormat": {"fontSize": 16}}}),
        (
            {"fill": PatternFill("solid", fgColor="6B6B6B")},
            {"userEnteredFormat": {"backgroundColor": GREY}},
        ),
        (
            {"alignment": Alignment(horizontal="center", vertical="top", wrap_text=True)},
            {
                "userEnteredFormat": {
                    "horizontalAlignment": "CENTER",
                    "verticalAlignment": "TOP",
                    "wrapStrategy": "WRAP",
                }
            },
        ),
        (
            {"number_format": "yyyy-mm-dd"},
            {"userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}},
        ),
        (
            {"number_format": '"TRUE";"TRUE";"FALSE"'},
            {
                "userEnteredFormat": {
                    "numberFormat": {"type": "NUMBER", "pattern": '"TRUE";"TRUE";"FALSE"'}
                }
            },
        ),
        (
            {"number_format": "[Red]0.00"},
            {"userEnteredFormat": {"numberFormat": {"type": "NUMBER", "pattern": "[Red]0.00"}}},
        ),
        (
            {"number_format": "@"},
            {"userEnteredFormat": {"numberFormat": {"type": "TEXT", "pattern": ""}}},
        ),
        (
            {"border": Border(bottom=Side(style="medium", color="FF6B6B6B"))},
            {
                "userEnteredFormat": {
                    "borders": {"bottom": {"style": "SOLID_MEDIUM", "color": GREY}}
                }
            },
        ),
        (
            {"comment": Comment("Only you tick this.", "careerdocs")},
            {"note": "Only you tick this."},
        ),
    ],
)
def test_an_xlsx_cell_becomes_the_cell_data_sheets_stores(
    style: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert built_tab.cell_data(one_cell(**style)) == expected


# -- requests write exactly the cells they were made from ---------------------------------------


def apply(requests: list[dict[str, Any]]) -> dict[tuple[int, int], dict[str, Any]]:
    """What updateCells (over a range: cells it does not reach are cleared) and repeatCell leave
    in the tab, in request order."""
    grid: dict[tuple[int, int], dict[str, Any]] = {}
    for request in requests:
        kind, body = next(iter(request.items()))
        area = body["range"]
        assert area["sheetId"] == TAB
        rows = range(area["startRowIndex"], area["endRowIndex"])
        columns = range(area["startColumnIndex"], area["endColumnIndex"])
        for r in rows:
            for c in columns:
                if kind == "repeatCell":
                    grid[(r, c)] = body["cell"]
                else:
                    assert kind == "updateCells"
                    values = body["rows"][r - rows.start]["values"]
                    grid[(r, c)] = (
                        values[c - columns.start] if c - columns.start < len(values) else {}
                    )
    return {k: v for k, v in grid.items() if v}


STYLES = [
    {"userEnteredFormat": {"wrapStrategy": "WRAP"}},
    {"userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}},
    {"userEnteredValue": {"stringValue": "x"}},
    {"userEnteredValue": {"stringValue": "x"}, "userEnteredFormat": {"wrapStrategy": "WRAP"}},
    {"note": "n"},
]
CELLS = st.dictionaries(
    st.tuples(st.integers(0, 40), st.integers(0, 7)), st.sampled_from(STYLES), max_size=120
)


@settings(deadline=None)  # the machine is shared: timing is not what this checks
@given(CELLS)
def test_the_requests_write_exactly_the_given_cells(cells: dict[tuple[int, int], Any]) -> None:
    assert apply(built_tab._cell_requests(TAB, cells)) == cells


def test_a_formatted_column_is_one_request_not_one_per_cell() -> None:
    wrapped = {(r, 3): STYLES[0] for r in range(1, 201)}
    header = {(0, c): STYLES[2] for c in range(6)}
    requests = built_tab._cell_requests(TAB, {**wrapped, **header})
    assert [next(iter(r)) for r in requests] == ["updateCells", "repeatCell"]


def test_the_shipped_conversations_tab_is_added_whole() -> None:
    template = builtin_templates_dir() / "growth-plan.xlsx"
    tab = built_tab.read(template, CONVERSATIONS_TAB)
    assert tab is not None
    requests = tab.requests(TAB)
    added = requests[0]["addSheet"]["properties"]
    names = openpyxl.load_workbook(template).sheetnames
    assert added["title"] == CONVERSATIONS_TAB and added["index"] == names.index(CONVERSATIONS_TAB)
    assert added["gridProperties"]["frozenRowCount"] == 1
    cells = apply([r for r in requests if next(iter(r)) in ("updateCells", "repeatCell")])
    source = openpyxl.load_workbook(template)[CONVERSATIONS_TAB]
    texts = {
        (c.row - 1, c.column - 1): c.value
        for row in source.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }
    assert {
        k: v["userEnteredValue"]["stringValue"] for k, v in cells.items() if "userEnteredValue" in v
    } == texts
    left_out = openpyxl.load_workbook(io.BytesIO(built_tab.without(template, CONVERSATIONS_TAB)))
    assert left_out.sheetnames == [n for n in names if n != CONVERSATIONS_TAB]


def test_a_tab_holding_a_placeholder_is_uploaded_not_built(tmp_path: Any) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = CONVERSATIONS_TAB
    workbook.active["A1"] = "Acknowledged"
    workbook.active["H2"] = "Ask {{ manager.name }}"
    path = tmp_path / "growth.xlsx"
    workbook.save(path)
    assert built_tab.read(path, CONVERSATIONS_TAB) is None
