"""A growth sheet's Conversations tab made by careerdocs itself, so an uploaded sheet costs one
Sheets call and no read.

Why: Drive gives every tab of a converted upload a fresh random sheet id (Google's own CSV import
did so in two recorded runs: ids 845285688 and 163586385 for the same file, gspread 6.2.1
cassette ``ClientTest.test_import_csv``; no Google page lists what an .xlsx import keeps), and a
protection names its tab by id. Reading the id back costs a Sheets read per person. Instead the
upload leaves the Conversations tab out and the one ``spreadsheets.batchUpdate`` that protects it
first adds it with an id careerdocs chooses: ``AddSheetRequest``: "The sheetId field is optional;
if one is not set, an id will be randomly generated. (It is an error to specify the ID of a sheet
that already exists.)" (https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request#addsheetrequest).
The imported tabs' random ids could, once in about a billion sheets, be the chosen one: Sheets
then answers 400 and the caller reads the sheet and picks a free id.

The tab is copied cell by cell from the template's .xlsx: values, notes (Excel comments), bold,
italic, size and colour of the font, solid fills, alignment, wrapping, number formats, borders,
merges and custom row heights. Column widths, the frozen header, dropdowns and checkboxes come
from :func:`.sheets.layout_requests` and the checkbox requests, as they did for an imported tab.
A template whose Conversations tab holds a placeholder keeps the tab in the upload (filled per
person) and pays the read, as before.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.styles.colors import Color

from ...errors import TemplateError

# The id careerdocs gives the Conversations tab it adds (any non-negative int32 not in use).
BUILT_TAB_ID = 1_846_205_517
MIN_ROWS, MIN_COLUMNS = 1000, 26  # the grid Sheets gives a new or imported tab at the least
POINTS_TO_PIXELS = 4 / 3
DEFAULT_FONT_SIZE = 11
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
SECONDS_PER_DAY = 86400
HORIZONTAL = {"left": "LEFT", "center": "CENTER", "centerContinuous": "CENTER", "right": "RIGHT"}
VERTICAL = {"top": "TOP", "center": "MIDDLE", "bottom": "BOTTOM"}
BORDER_STYLES = {
    "thin": "SOLID",
    "hair": "SOLID",
    "medium": "SOLID_MEDIUM",
    "thick": "SOLID_THICK",
    "double": "DOUBLE",
    "dashed": "DASHED",
    "mediumDashed": "DASHED",
    "dotted": "DOTTED",
}
CELL_FIELDS = "userEnteredValue,userEnteredFormat,note"
MIN_RUN = 2  # equal cells down a column that are worth one repeatCell
PLACEHOLDER_MARKS = ("{{", "{%")
DATE_CODES = re.compile(r"[yd]|m{3,}", re.IGNORECASE)
LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]')  # quoted text and [colour] / [condition] parts


@dataclass(frozen=True)
class BuiltTab:
    """The template's tab as Sheets requests that do not depend on the tab's id: ``cells`` maps
    (row, column) to the CellData to write there; ``index`` is the tab's place among the tabs."""

    title: str
    index: int
    rows: int
    columns: int
    frozen_rows: int
    cells: Mapping[tuple[int, int], Mapping[str, Any]]
    merges: tuple[tuple[int, int, int, int], ...]  # row start, row end, col start, col end
    row_heights: Mapping[int, int]  # row -> pixels

    def requests(self, tab_id: int) -> list[dict[str, Any]]:
        """addSheet under ``tab_id``, then its cells, merges and row heights."""
        grid: dict[str, Any] = {"rowCount": self.rows, "columnCount": self.columns}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        out: list[dict[str, Any]] = [
            {
                "addSheet": {
                    "properties": {
                        "sheetId": tab_id,
                        "title": self.title,
                        "index": self.index,
                        "gridProperties": grid,
                    }
                }
            }
        ]
        out += _cell_requests(tab_id, self.cells)
        out += [
            {
                "mergeCells": {
                    "range": {
                        "sheetId": tab_id,
                        "startRowIndex": r0,
                        "endRowIndex": r1,
                        "startColumnIndex": c0,
                        "endColumnIndex": c1,
                    },
                    "mergeType": "MERGE_ALL",
                }
            }
            for r0, r1, c0, c1 in self.merges
        ]
        out += [
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": tab_id,
                        "dimension": "ROWS",
                        "startIndex": row,
                        "endIndex": row + 1,
                    },
                    "properties": {"pixelSize": pixels},
                    "fields": "pixelSize",
                }
            }
            for row, pixels in sorted(self.row_heights.items())
        ]
        return out


def read(path: Path, title: str) -> BuiltTab | None:
    """Tab ``title`` of the .xlsx template at ``path``; None when the template has no such tab
    or the tab holds a placeholder (it must then be filled per person, so it is uploaded)."""
    workbook = _open(path.read_bytes(), path)
    if title not in workbook.sheetnames:
        return None
    sheet = workbook[title]
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and any(m in cell.value for m in PLACEHOLDER_MARKS):
                return None
            data = cell_data(cell)
            if data:
                cells[(cell.row - 1, cell.column - 1)] = data
    frozen = sheet[sheet.freeze_panes].row - 1 if sheet.freeze_panes else 0
    merges = tuple(
        (m.min_row - 1, m.max_row, m.min_col - 1, m.max_col) for m in sheet.merged_cells.ranges
    )
    heights = {
        index - 1: round(dim.height * POINTS_TO_PIXELS)
        for index, dim in sheet.row_dimensions.items()
        if dim.customHeight and dim.height
    }
    return BuiltTab(
        title,
        workbook.sheetnames.index(title),
        max(sheet.max_row, MIN_ROWS),
        max(sheet.max_column, MIN_COLUMNS),
        frozen,
        cells,
        merges,
        heights,
    )


def without(path: Path, title: str) -> bytes:
    """The .xlsx template at ``path`` with tab ``title`` left out (the other tabs untouched)."""
    workbook = _open(path.read_bytes(), path)
    workbook.remove(workbook[title])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _open(data: bytes, path: Path) -> Any:
    try:
        return openpyxl.load_workbook(io.BytesIO(data))
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TemplateError(f"cannot read template {path}: {exc}") from None


def cell_data(cell: Cell) -> dict[str, Any]:
    """The Sheets CellData of one .xlsx cell (value, note, format); {} for a blank default
    cell. A formula stays a formula (as an import keeps it: the template is the organisation's
    own, and the tab holds no person's values); other text is written as text, never parsed."""
    data: dict[str, Any] = {}
    value = cell.value
    if cell.data_type == "f" and isinstance(value, str):
        data["userEnteredValue"] = {"formulaValue": value}
    elif isinstance(value, bool):
        data["userEnteredValue"] = {"boolValue": value}
    elif isinstance(value, int | float):
        data["userEnteredValue"] = {"numberValue": value}
    elif isinstance(value, dt.datetime | dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        serial = (moment.replace(tzinfo=None) - EXCEL_EPOCH).total_seconds() / SECONDS_PER_DAY
        data["userEnteredValue"] = {"numberValue": serial}
    elif value is not None and str(value) != "":
        data["userEnteredValue"] = {"stringValue": str(value)}
    if cell.comment is not None and cell.comment.text:
        data["note"] = cell.comment.text
    cell_format = _format(cell)
    if cell_format:
        data["userEnteredFormat"] = cell_format
    return data


def _format(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    font = cell.font
    text: dict[str, Any] = {}
    if font is not None:
        if font.b:
            text["bold"] = True
        if font.i:
            text["italic"] = True
        if font.sz and float(font.sz) != DEFAULT_FONT_SIZE:
            text["fontSize"] = round(float(font.sz))
        colour = _colour(font.color)
        if colour is not None:
            text["foregroundColor"] = colour
    if text:
        out["textFormat"] = text
    fill = cell.fill
    if fill is not None and fill.fill_type == "solid":
        colour = _colour(fill.fgColor)
        if colour is not None:
            out["backgroundColor"] = colour
    alignment = cell.alignment
    if alignment is not None:
        if alignment.horizontal in HORIZONTAL:
            out["horizontalAlignment"] = HORIZONTAL[alignment.horizontal]
        if alignment.vertical in VERTICAL:
            out["verticalAlignment"] = VERTICAL[alignment.vertical]
        if alignment.wrap_text:
            out["wrapStrategy"] = "WRAP"
    number = _number_format(cell.number_format)
    if number is not None:
        out["numberFormat"] = number
    borders = _borders(cell)
    if borders:
        out["borders"] = borders
    return out


def _colour(colour: Color | None) -> dict[str, float] | None:
    """An explicit RGB colour (theme and indexed colours are left to Sheets' default)."""
    if colour is None or colour.type != "rgb" or not isinstance(colour.rgb, str):
        return None
    rgb = colour.rgb[-6:]
    try:
        red, green, blue = (int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return None
    return {"red": red, "green": green, "blue": blue}


def _number_format(code: str | None) -> dict[str, str] | None:
    if not code or code == "General":
        return None
    if code == "@":
        return {"type": "TEXT", "pattern": ""}
    if DATE_CODES.search(LITERALS.sub("", code)):
        return {"type": "DATE", "pattern": code}
    return {"type": "NUMBER", "pattern": code}


def _borders(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    border = cell.border
    if border is None:
        return out
    for side_name in ("top", "bottom", "left", "right"):
        side = getattr(border, side_name)
        style = BORDER_STYLES.get(side.style or "") if side is not None else None
        if style is None:
            continue
        entry: dict[str, Any] = {"style": style}
        colour = _colour(side.color)
        if colour is not None:
            entry["color"] = colour
        out[side_name] = entry
    return out


def _cell_requests(
    tab_id: int, cells: Mapping[tuple[int, int], Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Few requests for many cells: a run of two or more identical value-less cells down a
    column becomes one repeatCell; what is left is one updateCells over its bounding box."""
    left: dict[tuple[int, int], Mapping[str, Any]] = {}
    requests: list[dict[str, Any]] = []
    for column, runs in _column_runs(cells):
        for start, end, data in runs:
            if end - start >= MIN_RUN and "userEnteredValue" not in data and "note" not in data:
                requests.append(
                    {
                        "repeatCell": {
                            "range": {
                                "sheetId": tab_id,
                                "startRowIndex": start,
                                "endRowIndex": end,
                                "startColumnIndex": column,
                                "endColumnIndex": column + 1,
                            },
                            "cell": dict(data),
                            "fields": CELL_FIELDS,
                        }
                    }
                )
            else:
                left.update({(row, column): data for row in range(start, end)})
    if not left:
        return requests
    top = min(r for r, _ in left)
    bottom = max(r for r, _ in left)
    first = min(c for _, c in left)
    last = max(c for _, c in left)
    rows = [
        {"values": [dict(left.get((r, c), {})) for c in range(first, last + 1)]}
        for r in range(top, bottom + 1)
    ]
    update = {
        "updateCells": {
            "range": {
                "sheetId": tab_id,
                "startRowIndex": top,
                "endRowIndex": bottom + 1,
                "startColumnIndex": first,
                "endColumnIndex": last + 1,
            },
            "rows": rows,
            "fields": CELL_FIELDS,
        }
    }
    return [update, *requests]


def _column_runs(
    cells: Mapping[tuple[int, int], Mapping[str, Any]],
) -> Iterator[tuple[int, list[tuple[int, int, Mapping[str, Any]]]]]:
    """Per column, maximal runs of consecutive rows holding equal CellData."""
    by_column: dict[int, list[int]] = {}
    for row, column in cells:
        by_column.setdefault(column, []).append(row)
    for column, rows in sorted(by_column.items()):
        runs: list[tuple[int, int, Mapping[str, Any]]] = []
        for row in sorted(rows):
            data = cells[(row, column)]
            if runs and runs[-1][1] == row and runs[-1][2] == data:
                start, _, same = runs[-1]
                runs[-1] = (start, row + 1, same)
            else:
                runs.append((row, row + 1, data))
        yield column, runs
