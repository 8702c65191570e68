"""The central sheet as a dashboard, in Sheets v4 requests: pure functions from a
:class:`~careerdocs.workspace.base.Table` to the ``spreadsheets.batchUpdate`` requests that
write it, and from the grid data read back to cells.

Every request for every tab goes into the caller's one batchUpdate, which Google applies whole
or not at all. What a tab gets (the same look as the .xlsx, see :mod:`..presentation`):

- the header row and ``layout.frozen_columns`` frozen (``gridProperties``), the header bold on
  a grey background and wrapped;
- values written RAW (``userEnteredValue``, never parsed): a name like ``=IMPORTXML(...)``
  stays text. Links are text cells with a cell-level link (``textFormat.link.uri``), not
  ``=HYPERLINK`` formulas, so no URL is ever put inside a formula;
- dates and timestamps as serial numbers with a DATE / DATE_TIME number format, percentages as
  fractions with a PERCENT format, counts as numbers;
- widths per column (``updateDimensionProperties`` pixelSize), alignment and wrapping per
  column (``repeatCell``);
- status colours as conditional-format rules (``TEXT_EQ``), after deleting the tab's old rules
  (the tab is rewritten whole, so every rule on it is careerdocs');
- a basic filter over the header and rows;
- a chart whose percent axis runs from 0 to 100 % (``viewWindowOptions``).

Printing: the Sheets API has no print settings (orientation, fit to width, repeated rows are
chosen in the File > Print dialog, or kept by an export); the frozen header row is what Google
repeats on every printed page by default.

References (Sheets v4, spreadsheets.batchUpdate Request types): AddConditionalFormatRuleRequest,
DeleteConditionalFormatRuleRequest, UpdateDimensionPropertiesRequest, SetBasicFilterRequest,
RepeatCellRequest, UpdateCellsRequest, UpdateSheetPropertiesRequest, DeleteSheetRequest,
AddChartRequest (BasicChartSpec.axis, ChartAxis.viewWindowOptions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from .. import presentation
from ..base import ColumnKind, Layout, Link, Table

SERIAL_EPOCH = datetime(1899, 12, 30)  # Sheets' day 0 (as Excel's, after 1 March 1900)
SECONDS_PER_DAY = 86400
CHART_WIDTH_COLUMNS = 2  # blank columns between a table and its chart
FROZEN_ROWS = 1  # the header
DEFAULT_SHEET_ID = 0  # the id of the tab a new spreadsheet starts with
NUMBER_FORMAT_TYPES = {
    ColumnKind.DATE: "DATE",
    ColumnKind.DATETIME: "DATE_TIME",
    ColumnKind.PERCENT: "PERCENT",
    ColumnKind.COUNT: "NUMBER",
}
DATE_TYPES = {"DATE": False, "DATE_TIME": True}  # number format type -> has a time of day
PERCENT_AXIS = {"viewWindowMin": 0, "viewWindowMax": 1, "viewWindowMode": "EXPLICIT"}
HEADER_FORMAT_FIELDS = (
    "userEnteredFormat(textFormat.bold,backgroundColor,wrapStrategy,verticalAlignment)"
)
COLUMN_FORMAT_FIELDS = (
    "userEnteredFormat(numberFormat,horizontalAlignment,verticalAlignment,wrapStrategy)"
)


# -- writing ---------------------------------------------------------------------------------


def tab_requests(
    sheet_id: int,
    sheet: Mapping[str, Any] | None,
    table: Table,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> list[dict[str, Any]]:
    """Every request that (re)writes one tab: ``sheet`` is the tab as ``spreadsheets.get``
    described it (properties, charts, conditionalFormats), or None for a new tab. ``header``
    and ``rows`` are the table with the user's columns merged in."""
    layout = table.layout
    width = len(header)
    # a chart is anchored to the right of the table: its anchor cell must be in the grid
    columns = max(width + (CHART_WIDTH_COLUMNS + 1 if table.chart else 0), 1)
    frozen_columns = min(layout.frozen_columns, max(width - 1, 0))
    # Sheets will not freeze every row (or column) of a grid, nor shrink a grid onto its
    # frozen rows: a tab with no data rows keeps one empty row under its header.
    grid = {
        "rowCount": max(len(rows) + 1, FROZEN_ROWS + 1),
        "columnCount": max(columns, frozen_columns + 1),
        "frozenRowCount": FROZEN_ROWS,
        "frozenColumnCount": frozen_columns,
    }
    requests: list[dict[str, Any]] = []
    if sheet is None:
        properties: dict[str, Any] = {
            "sheetId": sheet_id,
            "title": table.title,
            "gridProperties": grid,
        }
        if table.position is not None:
            properties["index"] = table.position
        requests.append({"addSheet": {"properties": properties}})
    else:
        requests += _clear_requests(sheet_id, sheet, grid)
    requests.append(_cells_request(sheet_id, header, rows, layout))
    requests += _column_requests(sheet_id, header, rows, layout)
    requests.append(_header_request(sheet_id))
    requests += colour_requests(sheet_id, layout, width, len(rows))
    if layout.filter and width:
        requests.append(filter_request(sheet_id, width, len(rows)))
    if table.chart is not None:
        requests.append(chart_request(sheet_id, table, width))
    return requests


def default_sheet(existing: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The title of the tab a new spreadsheet starts with ("Sheet1" in English; its name
    follows the owner's locale, its id is always 0), if the spreadsheet still has it."""
    for title, sheet in existing.items():
        if int(sheet["properties"].get("sheetId") or 0) == DEFAULT_SHEET_ID:
            return title
    return None


def delete_default_sheet(
    existing: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, tuple[list[str], list[list[Any]]]],
    tables: Sequence[Table],
) -> list[dict[str, Any]]:
    """A ``deleteSheet`` of the empty first tab a new spreadsheet starts with, when careerdocs
    writes its own tabs there and nothing was ever put on it (no values, no chart): no empty
    tab is left in the central sheet. It goes last in the batch, after the new tabs are
    added, since a spreadsheet cannot be left without a sheet."""
    title = default_sheet(existing)
    if title is None or not tables or any(t.title == title for t in tables):
        return []
    header, rows = values.get(title, ([], []))
    if header or rows or existing[title].get("charts"):
        return []
    return [{"deleteSheet": {"sheetId": DEFAULT_SHEET_ID}}]


def _clear_requests(
    sheet_id: int, sheet: Mapping[str, Any], grid: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Resize an existing tab, empty it of values and formats, and remove its charts and
    conditional-format rules (last first, since deleting a rule renumbers those after it)."""
    requests: list[dict[str, Any]] = [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": dict(grid)},
                "fields": "gridProperties(rowCount,columnCount,frozenRowCount,frozenColumnCount)",
            }
        },
        {
            "updateCells": {
                "range": {"sheetId": sheet_id},
                "fields": "userEnteredValue,userEnteredFormat",
            }
        },
    ]
    requests += [
        {"deleteEmbeddedObject": {"objectId": chart["chartId"]}}
        for chart in sheet.get("charts", [])
    ]
    rules = len(sheet.get("conditionalFormats", []))
    requests += [
        {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": index}}
        for index in reversed(range(rules))
    ]
    return requests


def _cells_request(
    sheet_id: int, header: Sequence[str], rows: Sequence[Sequence[Any]], layout: Layout
) -> dict[str, Any]:
    data = [[cell_data(h) for h in header]]
    data += [[cell_data(value) for value in row] for row in rows]
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": row} for row in data],
            "fields": "userEnteredValue,userEnteredFormat.textFormat.link",
        }
    }


def cell_data(value: Any) -> dict[str, Any]:
    """A CellData for ``value``, its value RAW: text stays text, even ``=IMPORTXML(...)``.
    A :class:`Link` is its label with a cell-level link; a date is a serial number (its
    column's number format shows it as a date)."""
    if value is None or value == "":
        return {}
    if isinstance(value, Link):
        return {
            "userEnteredValue": {"stringValue": value.label},
            "userEnteredFormat": {"textFormat": {"link": {"uri": value.url}}},
        }
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, date):
        return {"userEnteredValue": {"numberValue": serial(value)}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}


def serial(value: date) -> float | int:
    """A date or datetime as Sheets' serial number (days since 30 December 1899)."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
    delta = moment.replace(tzinfo=None) - SERIAL_EPOCH
    days = delta.days + delta.seconds / SECONDS_PER_DAY
    return int(days) if days == int(days) else round(days, 6)


def _column_requests(
    sheet_id: int, header: Sequence[str], rows: Sequence[Sequence[Any]], layout: Layout
) -> list[dict[str, Any]]:
    """Per column: its width, and its data cells' number format, alignment and wrapping."""
    requests: list[dict[str, Any]] = []
    widths = presentation.column_widths(header, rows, layout)
    for index, (kind, width) in enumerate(
        zip(presentation.kinds(layout, len(header)), widths, strict=True)
    ):
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "startIndex": index,
                        "endIndex": index + 1,
                    },
                    "properties": {"pixelSize": presentation.pixels(width)},
                    "fields": "pixelSize",
                }
            }
        )
        # the header cell too, so it lines up with its values; the header's own format
        # (bold, grey, wrapped, at the bottom) is applied after this
        requests.append(
            {
                "repeatCell": {
                    "range": _column(sheet_id, index, len(rows), first_row=0),
                    "cell": {"userEnteredFormat": column_format(kind)},
                    "fields": COLUMN_FORMAT_FIELDS,
                }
            }
        )
    return requests


def column_format(kind: ColumnKind) -> dict[str, Any]:
    """The CellFormat of a data cell of a ``kind`` column."""
    out: dict[str, Any] = {
        "horizontalAlignment": presentation.ALIGNMENT.get(kind, presentation.LEFT),
        "verticalAlignment": "TOP",
        "wrapStrategy": "WRAP" if kind is ColumnKind.NOTE else "CLIP",
    }
    pattern = presentation.PATTERNS.get(kind)
    if pattern is not None:
        out["numberFormat"] = {"type": NUMBER_FORMAT_TYPES[kind], "pattern": pattern}
    return out


def _header_request(sheet_id: int) -> dict[str, Any]:
    red, green, blue = presentation.rgb(presentation.HEADER_BACKGROUND)
    return {
        "repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1},
            "cell": {
                "userEnteredFormat": {
                    "textFormat": {"bold": True},
                    "backgroundColor": {"red": red, "green": green, "blue": blue},
                    "wrapStrategy": "WRAP",
                    "verticalAlignment": "BOTTOM",
                }
            },
            "fields": HEADER_FORMAT_FIELDS,
        }
    }


def colour_requests(sheet_id: int, layout: Layout, width: int, height: int) -> list[dict[str, Any]]:
    """One TEXT_EQ rule per status value and STATUS column, over its data rows."""
    if not height:
        return []
    requests = []
    for index, kind in enumerate(presentation.kinds(layout, width)):
        if kind is not ColumnKind.STATUS:
            continue
        for value, colour in layout.colours:
            red, green, blue = presentation.rgb(colour)
            requests.append(
                {
                    "addConditionalFormatRule": {
                        "index": len(requests),
                        "rule": {
                            "ranges": [_column(sheet_id, index, height)],
                            "booleanRule": {
                                "condition": {
                                    "type": "TEXT_EQ",
                                    "values": [{"userEnteredValue": value}],
                                },
                                "format": {
                                    "backgroundColor": {"red": red, "green": green, "blue": blue}
                                },
                            },
                        },
                    }
                }
            )
    return requests


def filter_request(sheet_id: int, width: int, height: int) -> dict[str, Any]:
    return {
        "setBasicFilter": {
            "filter": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": 0,
                    "endRowIndex": height + 1,
                    "startColumnIndex": 0,
                    "endColumnIndex": width,
                }
            }
        }
    }


def chart_request(sheet_id: int, table: Table, width: int) -> dict[str, Any]:
    """A column chart beside the table; a percent chart's value axis runs from 0 to 100 %
    (the values are fractions in a PERCENT-formatted column, so the axis labels are %)."""
    chart = table.chart
    assert chart is not None

    def column(index: int) -> dict[str, Any]:
        return {
            "sourceRange": {
                "sources": [
                    {
                        "sheetId": sheet_id,
                        "startRowIndex": 0,
                        "endRowIndex": chart.row_count + 1,
                        "startColumnIndex": index,
                        "endColumnIndex": index + 1,
                    }
                ]
            }
        }

    basic: dict[str, Any] = {
        "chartType": "COLUMN",
        "legendPosition": "NO_LEGEND",
        "headerCount": 1,
        "domains": [{"domain": column(chart.label_column)}],
        "series": [{"series": column(chart.value_column), "targetAxis": "LEFT_AXIS"}],
    }
    if chart.percent:
        basic["axis"] = [{"position": "LEFT_AXIS", "viewWindowOptions": dict(PERCENT_AXIS)}]
    return {
        "addChart": {
            "chart": {
                "spec": {"title": chart.title, "basicChart": basic},
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": 1,
                            "columnIndex": width + CHART_WIDTH_COLUMNS,
                        }
                    }
                },
            }
        }
    }


def _column(sheet_id: int, index: int, height: int, first_row: int = 1) -> dict[str, int]:
    """The data cells (below the header, unless ``first_row`` is 0) of one column."""
    return {
        "sheetId": sheet_id,
        "startRowIndex": first_row,
        "endRowIndex": height + 1,
        "startColumnIndex": index,
        "endColumnIndex": index + 1,
    }


# -- reading ---------------------------------------------------------------------------------

#: The fields of ``spreadsheets.get`` (with ``includeGridData``) that :func:`grid_rows` reads.
GRID_FIELDS = (
    "sheets(properties(title),data(rowData(values("
    "effectiveValue,userEnteredFormat(numberFormat(type),textFormat(link)),hyperlink))))"
)


def grid_rows(sheet: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of one sheet read with :data:`GRID_FIELDS`, as the values API would
    give them unformatted (trailing empty cells and rows dropped), except that a linked cell
    reads as a :class:`Link` and a date-formatted number as a date or datetime."""
    rows: list[list[Any]] = []
    for data in sheet.get("data", []):
        for row in data.get("rowData", []):
            cells = [read_cell(c) for c in row.get("values", [])]
            while cells and cells[-1] in (None, ""):
                cells.pop()
            rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        return [], []
    return [str(h) for h in rows[0]], rows[1:]


def read_cell(cell: Mapping[str, Any]) -> Any:
    value = _effective(cell.get("effectiveValue") or {})
    fmt = cell.get("userEnteredFormat") or {}
    url = cell.get("hyperlink") or ((fmt.get("textFormat") or {}).get("link") or {}).get("uri")
    if url and isinstance(value, str) and value:
        return Link(value, url)
    kind = (fmt.get("numberFormat") or {}).get("type")
    if kind in DATE_TYPES and isinstance(value, int | float) and not isinstance(value, bool):
        moment = SERIAL_EPOCH + timedelta(days=value)
        return moment if DATE_TYPES[kind] else moment.date()
    return value


def _effective(value: Mapping[str, Any]) -> Any:
    for key in ("stringValue", "numberValue", "boolValue"):
        if key in value:
            return value[key]
    return ""
