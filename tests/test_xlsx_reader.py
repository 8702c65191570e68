"""The fast tab reader gives what openpyxl's read-only, data-only mode gives, cell for cell."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.worksheet.hyperlink
import pytest

from careerdocs.workspace import xlsx_reader
from careerdocs.workspace.base import CONVERSATIONS_TAB, Link

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
    return as_read(rows)


def as_read(rows: list[list[Any]]) -> tuple[list[str], list[list[Any]]]:
    """Trailing empty cells and rows dropped, the first row as the header, as careerdocs reads."""
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


# -- the central workbook: tabs with links, and tabs hollowed for a rewrite --------------------


def openpyxl_read_linked(path: Path, title: str) -> tuple[list[str], list[list[Any]]]:
    """What careerdocs read the central workbook with before: openpyxl, every cell bound to
    its hyperlink (``cell.hyperlink.target``), cached values."""
    workbook = openpyxl.load_workbook(path, data_only=True)
    try:
        rows = [
            [
                Link(str(c.value), c.hyperlink.target)
                if c.hyperlink is not None and c.hyperlink.target and c.value not in (None, "")
                else c.value
                for c in row
            ]
            for row in workbook[title].iter_rows()
        ]
    finally:
        workbook.close()
    return as_read(rows)


def linked_workbook(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    people = workbook.active
    people.title = "People"
    people.append(["Email", "IGP", "Tracker", "Note"])
    people.append(["ada@example.com", "IGP", "Tracker", "plain"])
    people.append(["bo@example.com", "IGP", None, "to a place"])
    people.append(["cy@example.com", "IGP", "", "spans two"])
    people["B2"].hyperlink = "https://docs.google.com/document/d/ada"
    people["C2"].hyperlink = "https://docs.google.com/document/d/ada-tracker"
    people["B3"].hyperlink = "https://docs.google.com/document/d/bo"
    people["C3"].hyperlink = "https://nowhere.example.com/empty-cell"  # no value: no link
    people["D3"].hyperlink = openpyxl.worksheet.hyperlink.Hyperlink(ref="D3", location="Mine!A1")
    people["B4"].hyperlink = "https://docs.google.com/document/d/cy"
    people.cell(row=5, column=1, value="dee@example.com")
    people.cell(row=5, column=2, value="IGP")
    people.cell(row=5, column=3, value="Both")
    mine = workbook.create_sheet("Mine")
    mine.append(["my own notes", 42])
    mine["A1"].hyperlink = "https://example.com/mine"
    path = tmp_path / "central.xlsx"
    workbook.save(path)
    # a link over a range (Excel writes these; openpyxl binds each covered cell to it)
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    rels = parts["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    sheet = sheet.replace(
        "</hyperlinks>",
        f'<hyperlink xmlns:r="{xlsx_reader.DOC_RELS}" ref="B5:C5" r:id="rIdRange"/></hyperlinks>',
    )
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdRange" TargetMode="External" Target="https://example.com/range" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"/>'
        "</Relationships>",
    )
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    parts["xl/worksheets/_rels/sheet1.xml.rels"] = rels.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return path


def test_central_tabs_read_with_their_links_as_openpyxl_binds_them(tmp_path: Path) -> None:
    path = linked_workbook(tmp_path)
    fast = xlsx_reader.read_tabs(path, ["People", "Mine", "Nope"], links=True)
    assert set(fast) == {"People", "Mine"}
    for title in ("People", "Mine"):
        assert fast[title] == openpyxl_read_linked(path, title), title
    _, rows = fast["People"]
    assert rows[0][1:3] == [
        Link("IGP", "https://docs.google.com/document/d/ada"),
        Link("Tracker", "https://docs.google.com/document/d/ada-tracker"),
    ]
    assert rows[1][3] == "to a place"  # a link within the workbook has no URL
    assert rows[3][1:3] == [
        Link("IGP", "https://example.com/range"),
        Link("Both", "https://example.com/range"),
    ]
    assert xlsx_reader.read_tabs(path, ["People"])["People"][1][0][1] == "IGP"  # links=False


def test_a_workbook_loaded_for_a_rewrite_keeps_the_other_tabs_and_their_links(
    tmp_path: Path,
) -> None:
    path = linked_workbook(tmp_path)
    loaded = xlsx_reader.load_for_rewrite(path, ["Mine", "Nope"])
    assert loaded.sheetnames == ["People", "Mine"]
    assert list(loaded["Mine"].iter_rows(values_only=True)) in ([], [(None,)])
    reference = openpyxl.load_workbook(path)
    pairs = zip(loaded["People"].iter_rows(), reference["People"].iter_rows(), strict=True)
    for row, expected in pairs:
        for cell, want in zip(row, expected, strict=True):
            assert cell.value == want.value
            link, wanted = cell.hyperlink, want.hyperlink
            assert (link is None) == (wanted is None), cell.coordinate
            if link is not None:
                assert (link.ref, link.target, link.location) == (
                    wanted.ref,
                    wanted.target,
                    wanted.location,
                ), cell.coordinate
    saved = tmp_path / "rewritten.xlsx"
    loaded.save(saved)
    assert xlsx_reader.read_tabs(saved, ["People"], links=True) == xlsx_reader.read_tabs(
        path, ["People"], links=True
    )
