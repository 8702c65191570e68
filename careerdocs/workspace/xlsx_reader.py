"""Read one tab of an .xlsx file quickly: the values of its cells, as openpyxl reads them.

Rollup reads one tab (Conversations) of every growth sheet. openpyxl, even read-only, parses
the whole stylesheet and the workbook's every part before the first cell, and runs Python code
for each of the tab's ~1,600 cells, most of them empty but formatted, ahead of rows to come:
about 0.1 s a sheet. This reader parses only the parts that decide a value (the workbook's
list of tabs, the tab itself, the shared strings and the cell formats' number formats) with
lxml and skips empty cells in C. It gives the values openpyxl's ``data_only`` mode gives
(formulas as their cached values, dates as ``datetime`` by the cell's number format, booleans,
numbers as ``int`` or ``float``, errors as their text) using openpyxl's own conversions, so the
two agree; tests/test_xlsx_reader.py compares them.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl.cell.text import Text
from openpyxl.reader.strings import read_string_table
from openpyxl.styles.numbers import (
    BUILTIN_FORMATS,
    is_date_format,
    is_timedelta_format,
)
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)
from openpyxl.worksheet._reader import _cast_number

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
STYLES_PART = "xl/styles.xml"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
SHEET_TAG = f"{{{MAIN}}}sheet"
ROW_TAG = f"{{{MAIN}}}row"
CELL_TAG = f"{{{MAIN}}}c"
VALUE_TAG = f"{{{MAIN}}}v"
INLINE_TAG = f"{{{MAIN}}}is"
RID = f"{{{DOC_RELS}}}id"
NAMESPACES = {"m": MAIN}
WORKSHEET_TYPE = f"{DOC_RELS}/worksheet"
# Files from outside: no entities, no network, and lxml's default limits on depth and size.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def read_tab(path: Path, title: str) -> tuple[list[str], list[list[Any]]] | None:
    """Header and data rows of tab ``title`` as displayed (formulas give their last computed
    value), or None if there is no such worksheet. Like the Sheets values API, trailing empty
    cells of a row and trailing empty rows are dropped. Raises for an unreadable file
    (zipfile, lxml, KeyError or ValueError): the caller reports it."""
    with zipfile.ZipFile(path) as package:
        workbook = etree.fromstring(package.read(WORKBOOK_PART), PARSER)
        part = _sheet_part(package, workbook, title)
        if part is None:
            return None
        epoch = CALENDAR_WINDOWS_1900
        properties = workbook.find(f"{{{MAIN}}}workbookPr")
        if properties is not None and properties.get("date1904") in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        names = set(package.namelist())
        strings: list[str] = []
        if SHARED_STRINGS_PART in names:
            with package.open(SHARED_STRINGS_PART) as source:
                strings = read_string_table(source)
        dates, durations = _date_styles(package) if STYLES_PART in names else (set(), set())
        sheet = etree.fromstring(package.read(part), PARSER)
    by_row: dict[int, list[Any]] = {}
    for row_number, column, cell in _filled_cells(sheet):
        value = _value(cell, strings, dates, durations, epoch)
        if value is None:
            continue
        cells = by_row.setdefault(row_number, [])
        cells += [None] * (column - 1 - len(cells))
        cells.append(value)
    last = max(by_row, default=0)
    rows = [_trim(by_row.get(number, [])) for number in range(1, last + 1)]
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        return [], []
    return ["" if v is None else str(v).strip() for v in rows[0]], rows[1:]


def _filled_cells(sheet: Any) -> Iterator[tuple[int, int, Any]]:
    """(row, column, element) of each cell that holds something, in order. A tab holds far
    more formatted empty cells than filled ones: when every row and cell says where it is (as
    every writer does), one XPath query in C picks the filled ones."""
    filled = sheet.xpath("./m:sheetData/m:row/m:c[*]", namespaces=NAMESPACES)
    if all(c.get("r") and c.getparent().get("r") for c in filled):
        for cell in filled:
            yield int(cell.getparent().get("r")), coordinate_to_tuple(cell.get("r"))[1], cell
        return
    row_number = 0
    for row in sheet.iter(ROW_TAG):  # positions left out: count them
        row_number = int(row.get("r") or row_number + 1)
        column = 0
        for cell in row.iterchildren(CELL_TAG):
            reference = cell.get("r")
            column = coordinate_to_tuple(reference)[1] if reference else column + 1
            if len(cell):
                yield row_number, column, cell


def _sheet_part(package: zipfile.ZipFile, workbook: Any, title: str) -> str | None:
    """The zip name of the worksheet called ``title`` (None for none, or a chartsheet)."""
    rid = next((s.get(RID) for s in workbook.iter(SHEET_TAG) if s.get("name") == title), None)
    if rid is None:
        return None
    rels = etree.fromstring(package.read(WORKBOOK_RELS), PARSER)
    for rel in rels.iter(f"{{{RELS}}}Relationship"):
        if rel.get("Id") == rid and rel.get("Type") == WORKSHEET_TYPE:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target[1:]
            return posixpath.normpath(posixpath.join("xl", target))
    return None


def _date_styles(package: zipfile.ZipFile) -> tuple[set[int], set[int]]:
    """Indexes of the cell formats whose number format shows a date (and of those showing a
    duration), decided as openpyxl decides them."""
    styles = etree.fromstring(package.read(STYLES_PART), PARSER)
    custom = {
        int(f.get("numFmtId", "-1")): f.get("formatCode", "")
        for f in styles.iter(f"{{{MAIN}}}numFmt")
    }
    dates: set[int] = set()
    durations: set[int] = set()
    formats = styles.find(f"{{{MAIN}}}cellXfs")
    for index, xf in enumerate(formats if formats is not None else ()):
        number = int(xf.get("numFmtId", "0"))
        code = custom.get(number) or BUILTIN_FORMATS.get(number) or ""
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def _value(cell: Any, strings: list[str], dates: set[int], durations: set[int], epoch: Any) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(INLINE_TAG)
        return None if inline is None else Text.from_tree(inline).content
    text = cell.findtext(VALUE_TAG) or None
    if text is None:
        return None
    if kind == "n":
        number = _cast_number(text)
        style = int(cell.get("s") or 0)
        if style in dates:
            try:
                return from_excel(number, epoch, timedelta=style in durations)
            except (OverflowError, ValueError):
                return "#VALUE!"  # what openpyxl makes of a date out of range
        return number
    if kind == "s":
        return strings[int(text)]
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return from_ISO8601(text)
    return text  # "str" (a formula's text) and "e" (an error such as #N/A)


def _trim(row: list[Any]) -> list[Any]:
    while row and (row[-1] is None or row[-1] == ""):
        row.pop()
    return row
