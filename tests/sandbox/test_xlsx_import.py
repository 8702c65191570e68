"""What the sandbox keeps when an .xlsx upload is converted to a Google Sheet: frozen panes,
dropdowns, checkboxes, and the number format and wrapping of cells that are still empty."""

from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation

from careerdocs.sandbox.spreadsheet import Spreadsheet


def converted(build) -> Spreadsheet:  # type: ignore[no-untyped-def]
    workbook = openpyxl.Workbook()
    build(workbook.active)
    out = io.BytesIO()
    workbook.save(out)
    return Spreadsheet.from_xlsx(out.getvalue())


def test_frozen_panes_become_frozen_rows_and_columns() -> None:
    def build(ws) -> None:  # type: ignore[no-untyped-def]
        ws["A1"] = "Name"
        ws.freeze_panes = "B3"

    grid = converted(build).sheets[0].props["gridProperties"]
    assert (grid["frozenRowCount"], grid["frozenColumnCount"]) == (2, 1)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        pytest.param('"TRUE,FALSE"', {"condition": {"type": "BOOLEAN"}}, id="checkbox"),
        pytest.param(
            '"career,skip-level,manager 1:1"',
            {
                "condition": {
                    "type": "ONE_OF_LIST",
                    "values": [
                        {"userEnteredValue": "career"},
                        {"userEnteredValue": "skip-level"},
                        {"userEnteredValue": "manager 1:1"},
                    ],
                },
                "strict": True,
                "showCustomUi": True,
            },
            id="dropdown",
        ),
        pytest.param("$A$1:$A$3", None, id="range-list-not-modelled"),
    ],
)
def test_list_validations_become_checkboxes_or_dropdowns(formula: str, expected: object) -> None:
    def build(ws) -> None:  # type: ignore[no-untyped-def]
        validation = DataValidation(type="list", formula1=formula, showErrorMessage=True)
        validation.add("C2:C3")
        ws.add_data_validation(validation)

    sheet = converted(build).sheets[0]
    assert sheet.get(1, 2).validation == expected
    assert sheet.get(2, 2).validation == expected


@pytest.mark.parametrize(
    ("pattern", "kind"),
    [
        ("yyyy-mm-dd", "DATE"),
        ("yyyy-mm-dd hh:mm", "DATE_TIME"),
        ("0.0%", "PERCENT"),
        ('"TRUE";"TRUE";"FALSE"', "NUMBER"),
    ],
)
def test_empty_cells_keep_their_number_format(pattern: str, kind: str) -> None:
    def build(ws) -> None:  # type: ignore[no-untyped-def]
        ws["A2"].number_format = pattern

    cell = converted(build).sheets[0].get(1, 0)
    assert cell.kind is None
    assert cell.number_format == {"type": kind, "pattern": pattern}


def test_wrapped_cells_wrap_whether_empty_or_not() -> None:
    def build(ws) -> None:  # type: ignore[no-untyped-def]
        ws["D1"] = "a long note"
        ws["D1"].alignment = ws["D2"].alignment = Alignment(wrap_text=True)

    sheet = converted(build).sheets[0]
    assert sheet.get(0, 3).fmt == {"wrapStrategy": "WRAP"}
    assert sheet.get(1, 3).fmt == {"wrapStrategy": "WRAP"}


def test_column_widths_become_pixel_sizes() -> None:
    def build(ws) -> None:  # type: ignore[no-untyped-def]
        ws.column_dimensions["A"].width = 12
        ws.column_dimensions["D"].width = 50

    columns = converted(build).sheets[0].columns
    assert {i: p["pixelSize"] for i, p in columns.items()} == {0: 89, 3: 355}
