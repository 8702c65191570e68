"""Read tabs of an .xlsx file quickly: the values of their cells, as openpyxl reads them.

Rollup reads one tab (Conversations) of every growth sheet. openpyxl, even read-only, parses
the whole stylesheet and the workbook's every part before the first cell, and runs Python code
for each of the tab's ~1,600 cells, most of them empty but formatted, ahead of rows to come:
about 0.1 s a sheet. This reader parses only the parts that decide a value (the workbook's
list of tabs, the tab itself, the shared strings and the cell formats' number formats) with
lxml and skips empty cells in C. It gives the values openpyxl's ``data_only`` mode gives
(formulas as their cached values, dates as ``datetime`` by the cell's number format, booleans,
numbers as ``int`` or ``float``, errors as their text) using openpyxl's own conversions, so the
two agree; tests/test_xlsx_reader.py compares them. The central workbook is read the same way,
its links included, and :func:`load_for_rewrite` loads it for openpyxl without the work a
rewrite does not need.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from copy import copy
from io import BytesIO
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
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
from openpyxl.worksheet.hyperlink import Hyperlink

from .base import Link

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
REL_TAG = f"{{{RELS}}}Relationship"
NAMESPACES = {"m": MAIN}
HYPERLINK_ATTRIBUTES = ("ref", "location", "tooltip", "display")
EMPTY_WORKSHEET = f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'.encode()
WORKSHEET_TYPE = f"{DOC_RELS}/worksheet"
# Files from outside: no entities, no network, and lxml's default limits on depth and size.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def read_tab(path: Path, title: str) -> tuple[list[str], list[list[Any]]] | None:
    """Header and data rows of tab ``title`` as displayed (formulas give their last computed
    value), or None if there is no such worksheet. Like the Sheets values API, trailing empty
    cells of a row and trailing empty rows are dropped. Raises for an unreadable file
    (zipfile, lxml, KeyError or ValueError): the caller reports it."""
    return read_tabs(path, [title]).get(title)


def read_tabs(
    path: Path, titles: Sequence[str], *, links: bool = False
) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """:func:`read_tab` for each tab of ``titles`` the workbook has, the package's shared
    parts read once. ``links``: a filled cell with a hyperlink to a URL reads as a
    :class:`.base.Link` (as openpyxl's ``cell.hyperlink.target``), which the central workbook
    needs to keep its document links through a rewrite; openpyxl finds each link's target by
    a linear search of the tab's relationships, quadratic in a tab of 6,000 links."""
    out: dict[str, tuple[list[str], list[list[Any]]]] = {}
    with zipfile.ZipFile(path) as package:
        workbook = etree.fromstring(package.read(WORKBOOK_PART), PARSER)
        every = _worksheet_parts(package, workbook)
        parts = {title: every.get(title) for title in titles}
        if not any(parts.values()):
            return out
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
        for title, part in parts.items():
            if part is None:
                continue
            sheet = etree.fromstring(package.read(part), PARSER)
            linked = _hyperlinks(package, part, sheet, names) if links else {}
            out[title] = _rows(sheet, strings, dates, durations, epoch, linked)
    return out


def _rows(
    sheet: Any,
    strings: list[str],
    dates: set[int],
    durations: set[int],
    epoch: Any,
    linked: Mapping[tuple[int, int], str],
) -> tuple[list[str], list[list[Any]]]:
    by_row: dict[int, list[Any]] = {}
    for row_number, column, cell in _filled_cells(sheet):
        value = _value(cell, strings, dates, durations, epoch)
        if value is None:
            continue
        url = linked.get((row_number, column))
        if url and value != "":
            value = Link(str(value), url)
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


def _hyperlinks(
    package: zipfile.ZipFile, part: str, sheet: Any, names: set[str]
) -> dict[tuple[int, int], str]:
    """(row, column) -> URL of each cell a hyperlink with a target covers (a link to a place
    in the workbook has none, and openpyxl reads its cell as a value)."""
    found = sheet.findall(f"{{{MAIN}}}hyperlinks/{{{MAIN}}}hyperlink")
    if not found:
        return {}
    rels_part = _rels_part(part)
    targets: dict[str, str] = {}
    if rels_part in names:
        rels = etree.fromstring(package.read(rels_part), PARSER)
        targets = {r.get("Id", ""): r.get("Target", "") for r in rels.iter(REL_TAG)}
    out: dict[tuple[int, int], str] = {}
    for link in found:
        url = targets.get(link.get(RID) or "")
        ref = link.get("ref") or ""
        if not url or not ref:
            continue
        first, _, last = ref.partition(":")
        top, left = coordinate_to_tuple(first)
        bottom, right = coordinate_to_tuple(last) if last else (top, left)
        for row in range(top, bottom + 1):
            for column in range(left, right + 1):
                out[row, column] = url
    return out


def load_for_rewrite(path: Path, replaced: Sequence[str]) -> Workbook:
    """The workbook loaded by openpyxl for a rewrite that replaces the tabs of ``replaced``
    whole and keeps every other tab, fast.

    openpyxl parses every cell and link of every tab, and finds each link's target by a linear
    search of its tab's relationships: at 2,000 people (6,000 document links on People,
    2,000 on Status) that was most of a rollup's time. So openpyxl loads a copy in which the
    replaced tabs are empty (same names, same places, so a replaced tab stays where it was),
    and the kept tabs' links to URLs are taken out and put back on their cells afterwards,
    as openpyxl itself would have bound them (a range's link on each of its cells)."""
    data, links = _hollowed(path, replaced)
    workbook = load_workbook(data)
    for title, found in links.items():
        sheet = workbook[title]
        for attributes, url in found:
            _bind(sheet, Hyperlink(**attributes, target=url))
    return workbook


def _hollowed(
    path: Path, replaced: Sequence[str]
) -> tuple[BytesIO, dict[str, list[tuple[dict[str, str], str]]]]:
    out = BytesIO()
    links: dict[str, list[tuple[dict[str, str], str]]] = {}
    with zipfile.ZipFile(path) as package:
        workbook = etree.fromstring(package.read(WORKBOOK_PART), PARSER)
        parts = _worksheet_parts(package, workbook)
        emptied = {parts[t] for t in replaced if t in parts}
        kept = {part: title for title, part in parts.items() if part not in emptied}
        names = set(package.namelist())
        changed: dict[str, bytes | None] = {_rels_part(p): None for p in emptied}
        changed.update(dict.fromkeys(emptied, EMPTY_WORKSHEET))
        for part, title in kept.items():
            detached = _detach_links(package, part, names)
            if detached is not None:
                changed[part], changed[_rels_part(part)], links[title] = detached
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as loaded:
            for info in package.infolist():
                data = changed.get(info.filename) if info.filename in changed else b""
                if data is None:
                    continue  # a replaced tab's relationships
                loaded.writestr(info.filename, data or package.read(info))
    out.seek(0)
    return out, links


def _detach_links(
    package: zipfile.ZipFile, part: str, names: set[str]
) -> tuple[bytes, bytes, list[tuple[dict[str, str], str]]] | None:
    """A kept tab without its links to URLs (the sheet XML and its relationships), and those
    links as (attributes, URL); None when it has none."""
    rels_part = _rels_part(part)
    data = package.read(part)
    if b"hyperlink" not in data or rels_part not in names:
        return None
    sheet = etree.fromstring(data, PARSER)
    container = sheet.find(f"{{{MAIN}}}hyperlinks")
    rels = etree.fromstring(package.read(rels_part), PARSER)
    targets = {r.get("Id"): r for r in rels.iter(REL_TAG)}
    found: list[tuple[dict[str, str], str]] = []
    for link in list(container) if container is not None else []:
        rel = targets.get(link.get(RID))
        if rel is None:
            continue  # a place in the workbook: openpyxl binds it cheaply
        attributes = {k: v for k, v in link.attrib.items() if k in HYPERLINK_ATTRIBUTES}
        found.append((attributes, rel.get("Target", "")))
        container.remove(link)
        rels.remove(rel)
    if not found:
        return None
    if container is not None and not len(container):
        sheet.remove(container)
    return etree.tostring(sheet), etree.tostring(rels), found


def _bind(sheet: Any, link: Hyperlink) -> None:
    """``link`` on the cells it covers, as openpyxl's reader binds one."""
    if ":" in (link.ref or ""):
        for row in sheet[link.ref]:
            for cell in row:
                if not isinstance(cell, MergedCell):
                    cell.hyperlink = copy(link)
        return
    cell = sheet[link.ref]
    if isinstance(cell, MergedCell):
        cell = next(
            (
                sheet.cell(r.min_row, r.min_col)
                for r in sheet.merged_cells.ranges
                if cell.coordinate in r
            ),
            None,
        )
    if cell is not None:
        cell.hyperlink = link


def _rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


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


def _worksheet_parts(package: zipfile.ZipFile, workbook: Any) -> dict[str, str]:
    """Each worksheet's title -> its zip name, in the workbook's order (chartsheets left out)."""
    rels = etree.fromstring(package.read(WORKBOOK_RELS), PARSER)
    targets = {
        r.get("Id"): r.get("Target", "")
        for r in rels.iter(REL_TAG)
        if r.get("Type") == WORKSHEET_TYPE
    }
    parts: dict[str, str] = {}
    for sheet in workbook.iter(SHEET_TAG):
        target = targets.get(sheet.get(RID))
        if target is not None and sheet.get("name"):
            parts[sheet.get("name")] = (
                target[1:] if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            )
    return parts


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
