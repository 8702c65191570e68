"""Sheets v4: growth sheets (template cells, copy fill, the Conversations tab's protection and
reading it) and the central sheet (its tabs, values and chart)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ...errors import GoogleAPIError, TemplateError, WorkspaceError
from .. import office
from ..base import (
    ACKNOWLEDGED_COLUMN,
    CONVERSATIONS_TAB,
    Artifact,
    SheetRead,
    Table,
    TemplateRef,
)
from . import dashboard
from .context import GoogleContext

CHECKBOX_COLUMNS = (ACKNOWLEDGED_COLUMN, "Escalation")
ACKNOWLEDGEMENT_NOTE = "Only the team member acknowledges their career conversations."


@dataclass(frozen=True)
class _AckLayout:
    sheet_id: int | None  # the Conversations tab's id, when the template fixes it
    column: int  # zero-based index of the Acknowledged column
    checkbox_columns: tuple[int, ...]


def _tab_id(meta: Mapping[str, Any], title: str) -> int | None:
    for sheet in meta.get("sheets", []):
        if sheet["properties"]["title"] == title:
            return int(sheet["properties"].get("sheetId", 0))
    return None


class Sheets:
    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx
        self._template_cells: dict[str, list[tuple[str, str]]] = {}
        self._layouts: dict[str, _AckLayout] = {}

    def _spreadsheets(self) -> Any:
        return self.ctx.clients.resource("sheets", "spreadsheets")

    def _values(self) -> Any:
        return self.ctx.clients.resource("sheets", "spreadsheets.values")

    # -- growth sheets -----------------------------------------------------------------------

    def template_cells(self, spreadsheet_id: str) -> list[tuple[str, str]]:
        """(A1 cell, text) of every string cell of a template, read once per run as the admin."""
        if spreadsheet_id not in self._template_cells:
            result = self.ctx.run(
                self._spreadsheets().get(
                    spreadsheetId=spreadsheet_id,
                    includeGridData=True,
                    fields="sheets(properties(title),data(rowData(values(userEnteredValue))))",
                ),
                api="sheets",
                kind="read",
                user=self.ctx.options.admin,
            )
            self._template_cells[spreadsheet_id] = list(_sheet_strings(result))
        return self._template_cells[spreadsheet_id]

    def fill(
        self, user: str, spreadsheet_id: str, template_id: str, values: Mapping[str, str]
    ) -> None:
        """Write each template cell that holds a placeholder, filled, into the copy (RAW)."""
        data = []
        for a1, text in self.template_cells(template_id):
            filled = text
            for token, value in values.items():
                filled = filled.replace(token, value)
            if filled != text:
                data.append({"range": a1, "values": [[filled]]})
        if data:
            self.ctx.run(
                self._values().batchUpdate(
                    spreadsheetId=spreadsheet_id, body={"valueInputOption": "RAW", "data": data}
                ),
                api="sheets",
                kind="write",
                user=user,
            )

    def _ack_layout(self, template: TemplateRef) -> _AckLayout:
        """Where the Conversations tab and its Acknowledged column are, read once per template.

        A copy keeps its template's sheet ids, so for a Google template the tab's id is known
        too; a converted upload gets new ids, found per file (``sheet_id`` None)."""
        cached = self._layouts.get(template.source)
        if cached is not None:
            return cached
        sheet_id: int | None = None
        if template.google_id:
            admin = self.ctx.options.admin
            meta = self.ctx.run(
                self._spreadsheets().get(
                    spreadsheetId=template.google_id, fields="sheets(properties(sheetId,title))"
                ),
                api="sheets",
                kind="read",
                user=admin,
            )
            sheet_id = _tab_id(meta, CONVERSATIONS_TAB)
            header = self.ctx.run(
                self._values().get(
                    spreadsheetId=template.google_id, range=f"{CONVERSATIONS_TAB}!1:1"
                ),
                api="sheets",
                kind="read",
                user=admin,
            ).get("values", [[]])[0]
        else:
            assert template.path is not None
            tab = office.read_tab(template.path, CONVERSATIONS_TAB)
            header = tab[0] if tab else []
        if (sheet_id is None and template.google_id) or not header:
            raise TemplateError(f"template {template.source} has no {CONVERSATIONS_TAB} tab")
        if ACKNOWLEDGED_COLUMN not in header:
            raise TemplateError(
                f"template {template.source}: {CONVERSATIONS_TAB} has no "
                f"{ACKNOWLEDGED_COLUMN} column"
            )
        layout = _AckLayout(
            sheet_id,
            header.index(ACKNOWLEDGED_COLUMN),
            tuple(i for i, h in enumerate(header) if h in CHECKBOX_COLUMNS),
        )
        self._layouts[template.source] = layout
        return layout

    def protect_acknowledgements(
        self, user: str, sheet_id: str, person: str, template: TemplateRef
    ) -> None:
        """Make the Acknowledged column a range only the person can edit, with checkboxes."""
        layout = self._ack_layout(template)
        tab_id = layout.sheet_id
        if tab_id is None:
            meta = self.ctx.run(
                self._spreadsheets().get(
                    spreadsheetId=sheet_id, fields="sheets(properties(sheetId,title))"
                ),
                api="sheets",
                kind="read",
                user=user,
            )
            tab_id = _tab_id(meta, CONVERSATIONS_TAB)
            if tab_id is None:
                raise WorkspaceError(f"{sheet_id} lost its {CONVERSATIONS_TAB} tab on upload")
        self.ctx.run(
            self._spreadsheets().batchUpdate(
                spreadsheetId=sheet_id,
                body={"requests": _protect_requests(tab_id, layout, person)},
            ),
            api="sheets",
            kind="write",
            user=user,
        )

    def read_conversations(self, sheets: Sequence[Artifact]) -> list[SheetRead]:
        def read(sheet: Artifact) -> SheetRead:
            try:
                result = self.ctx.run(
                    self._values().get(
                        spreadsheetId=sheet.id,
                        range=f"{CONVERSATIONS_TAB}!A2:Z",
                        valueRenderOption="UNFORMATTED_VALUE",
                        dateTimeRenderOption="SERIAL_NUMBER",
                    ),
                    api="sheets",
                    kind="read",
                    user=self.ctx.actor(sheet.person),
                )
            except GoogleAPIError as exc:
                return SheetRead(sheet.person, error=str(exc))
            return SheetRead(sheet.person, rows=result.get("values", []))

        if not sheets:
            return []
        with ThreadPoolExecutor(max_workers=self.ctx.options.read_workers) as pool:
            return list(pool.map(read, sheets))

    # -- rosters kept in a sheet -------------------------------------------------------------

    def read_table(self, source: str) -> tuple[list[str], list[list[str]]]:
        spec = source.removeprefix("sheet:")
        sheet_id, _, tab = spec.partition("/")
        rng = tab or "A:ZZ"
        if tab:
            rng = "'" + tab.replace("'", "''") + "'"
        result = self.ctx.run(
            self._values().get(spreadsheetId=sheet_id, range=rng),
            api="sheets",
            kind="read",
            user=self.ctx.options.admin,
        )
        values = result.get("values", [])
        if not values:
            return [], []
        return [str(h) for h in values[0]], [[str(c) for c in row] for row in values[1:]]

    # -- the central sheet -------------------------------------------------------------------

    def central_meta(self, cid: str) -> list[dict[str, Any]]:
        meta = self.ctx.run(
            self._spreadsheets().get(
                spreadsheetId=cid,
                fields="sheets(properties(sheetId,title,gridProperties),charts(chartId),"
                "conditionalFormats(ranges(sheetId)))",
            ),
            api="sheets",
            kind="read",
            user=self.ctx.options.admin,
        )
        return meta.get("sheets", [])

    def read_central(self, cid: str, title: str) -> tuple[list[str], list[list[Any]]] | None:
        tabs = {s["properties"]["title"] for s in self.central_meta(cid)}
        if title not in tabs:
            return None
        return self._read_tabs(cid, [title])[title]

    def _read_tabs(
        self, cid: str, titles: Sequence[str]
    ) -> dict[str, tuple[list[str], list[list[Any]]]]:
        if not titles:
            return {}
        ranges = ["'" + t.replace("'", "''") + "'" for t in titles]
        result = self.ctx.run(
            self._spreadsheets().get(
                spreadsheetId=cid,
                ranges=ranges,
                includeGridData=True,
                fields=dashboard.GRID_FIELDS,
            ),
            api="sheets",
            kind="read",
            user=self.ctx.options.admin,
        )
        by_title = {s["properties"]["title"]: s for s in result.get("sheets", [])}
        return {t: dashboard.grid_rows(by_title[t]) for t in titles if t in by_title}

    def write_central(self, cid: str, tables: Sequence[Table]) -> str:
        """All tabs in one ``spreadsheets.batchUpdate``: Google applies all of it or none."""
        existing = {s["properties"]["title"]: s for s in self.central_meta(cid)}
        reads = [t.title for t in tables if t.title in existing]
        first = dashboard.default_sheet(existing)
        if first is not None and first not in reads:
            reads.append(first)  # is it still empty? then it goes (no empty tabs)
        old = self._read_tabs(cid, reads)
        used_ids = {s["properties"]["sheetId"] for s in existing.values()}
        requests: list[dict[str, Any]] = []
        for table in tables:
            header, rows = office.merge_user_columns(table, old.get(table.title))
            sheet = existing.get(table.title)
            if sheet is None:
                sheet_id = max(used_ids | {0}) + 1
                used_ids.add(sheet_id)
            else:
                sheet_id = sheet["properties"]["sheetId"]
            requests += dashboard.tab_requests(sheet_id, sheet, table, header, rows)
        requests += dashboard.delete_default_sheet(existing, old, tables)
        self.ctx.run(
            self._spreadsheets().batchUpdate(spreadsheetId=cid, body={"requests": requests}),
            api="sheets",
            kind="write",
            user=self.ctx.options.admin,
        )
        return f"https://docs.google.com/spreadsheets/d/{cid}/edit"


def _protect_requests(tab_id: int, layout: _AckLayout, person: str) -> list[dict[str, Any]]:
    col = layout.column
    column = {
        "sheetId": tab_id,
        "startRowIndex": 1,
        "startColumnIndex": col,
        "endColumnIndex": col + 1,
    }
    requests: list[dict[str, Any]] = [
        {
            "setDataValidation": {
                "range": {
                    "sheetId": tab_id,
                    "startRowIndex": 1,
                    "startColumnIndex": i,
                    "endColumnIndex": i + 1,
                },
                "rule": {"condition": {"type": "BOOLEAN"}, "strict": True},
            }
        }
        for i in layout.checkbox_columns
    ]
    requests.append(
        {
            "addProtectedRange": {
                "protectedRange": {
                    "range": column,
                    "description": ACKNOWLEDGEMENT_NOTE,
                    "warningOnly": False,
                    "editors": {"users": [person]},
                }
            }
        }
    )
    return requests


def _sheet_strings(spreadsheet: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(A1 cell, text) of every string cell of a spreadsheet read with grid data."""
    for sheet in spreadsheet.get("sheets", []):
        title = sheet["properties"]["title"]
        quoted = "'" + title.replace("'", "''") + "'"
        for data in sheet.get("data", []):
            for r, row in enumerate(data.get("rowData", [])):
                for c, cell in enumerate(row.get("values", [])):
                    text = (cell.get("userEnteredValue") or {}).get("stringValue")
                    if text:
                        yield f"{quoted}!{_column_letter(c)}{r + 1}", text


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters
