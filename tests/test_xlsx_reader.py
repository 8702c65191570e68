"""The fast tab reader gives what openpyxl's read-only, data-only mode gives, cell for cell."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from careerdocs.workspace import xlsx_reader
from careerdocs.workspace.base import CONVERSATIONS_TAB

SHIPPED = Path(__file__).resolve().parent.parent / "templates"


def openpyxl_read(path: Path, title: str) -> tuple[list[str], list[list[Any]]] | None:
    """What careerdocs read with before: openpyxl, read-only, cached values."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if title not in workbook.sheetnames or not hasattr(workbook[title], "iter_rows"):
            return None
        rows = [list(row) for row in workbook[title].iter_rows(values_only=True)]
    finally:
        workbook.close()
    for row in rows:
        while row and row[-1] in (None, ""):
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        return [], []
    return ["" if v is None else str(v).strip() for v in rows[0]], rows[1:]


ROWS: list[list[Any]] = [
    [datetime(2026, 5, 4), "Bob", "Career", "Went well", True, False],
    [date(2026, 6, 1), "=not a formula", "manager 1:1", None, False],
    [],
    [None, None, "gap before", 3, 2.5, -7],
    ["#N/A", " spaced ", "", "ünï©ødé ✓", timedelta(hours=30), time(9, 30)],
    ["=1+1", "=SUM(D2:D5)"],  # formulas: openpyxl saves no cached value
    [None, None, None, None, None, None, None, None, "far right"],
]


def workbook_with(tmp_path: Path, rows: list[list[Any]], *, epoch_1904: bool = False) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.title = "About"
    sheet = workbook.create_sheet(CONVERSATIONS_TAB)
    sheet.append(["Date", "With whom", "Type", "Notes", "Acknowledged", "Escalation"])
    for row in rows:
        sheet.append(row)
    for cell in sheet["B"]:
        if isinstance(cell.value, str) and cell.value.startswith("=not"):
            cell.data_type = "s"  # text that looks like a formula
    for row in sheet.iter_rows(min_row=20, max_row=40, max_col=8):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"  # formatted but empty, as in the template
    if epoch_1904:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    path = tmp_path / "sheet.xlsx"
    workbook.save(path)
    return path


@pytest.mark.parametrize("epoch_1904", [False, True], ids=["1900", "1904"])
def test_a_tab_reads_as_openpyxl_reads_it(tmp_path: Path, epoch_1904: bool) -> None:
    path = workbook_with(tmp_path, ROWS, epoch_1904=epoch_1904)
    fast = xlsx_reader.read_tab(path, CONVERSATIONS_TAB)
    assert fast == openpyxl_read(path, CONVERSATIONS_TAB)
    assert fast is not None and fast[1][0][:5] == [
        datetime(2026, 5, 4),
        "Bob",
        "Career",
        "Went well",
        True,
    ]


def test_a_missing_tab_is_none_and_an_empty_one_has_no_rows(tmp_path: Path) -> None:
    path = workbook_with(tmp_path, [])
    assert xlsx_reader.read_tab(path, "Nope") is None
    assert xlsx_reader.read_tab(path, "About") == openpyxl_read(path, "About") == ([], [])


@pytest.mark.parametrize("name", ["growth-plan.xlsx"])
def test_every_tab_of_the_shipped_template_reads_the_same(name: str) -> None:
    path = SHIPPED / name
    for title in openpyxl.load_workbook(path, read_only=True).sheetnames:
        assert xlsx_reader.read_tab(path, title) == openpyxl_read(path, title), title
