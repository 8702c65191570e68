"""Sheets v4: growth sheets (template cells, copy fill, the Conversations tab's protection and
reading it) and the central sheet (its tabs, values and chart)."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ...errors import AccountUnreachable, GoogleAPIError, TemplateError, WorkspaceError
from .. import office, presentation
from ..base import (
    ACKNOWLEDGED_COLUMN,
    CONVERSATIONS_TAB,
    Artifact,
    SheetRead,
    Table,
    TemplateRef,
)
from . import conversations, dashboard
from .context import GoogleContext
from .fill import fill_text

CHECKBOX_COLUMNS = (ACKNOWLEDGED_COLUMN, "Escalation")
# What a read of a growth sheet asks for: every tab's id and title, its protections, and its
# cells' unformatted values. One call answers both "what does it say" and "may it count".
CONVERSATIONS_READ_FIELDS = (
    "sheets(properties(sheetId,title),protectedRanges,data(startRow,startColumn,"
    "rowData(values(effectiveValue))))"
)
PROTECTIONS_FIELDS = "sheets(properties(sheetId,title),protectedRanges)"


@dataclass(frozen=True)
class _AckLayout:
    sheet_id: int | None  # the Conversations tab's id, when the template fixes it
    checkbox_columns: tuple[int, ...]  # zero-based indexes of the tick columns
    # What an uploaded template sets on the tab (widths, frozen header, dropdowns, date formats,
    # wrapping), set again with the protection: Google documents no list of what an .xlsx
    # import keeps, so careerdocs does not rely on it. None for a Google template (a copy keeps
    # everything).
    tab: office.TabLayout | None = None


@dataclass(frozen=True)
class Protection:
    """A growth sheet's Conversations tab id and whether careerdocs already protects it."""

    tab_id: int
    protected: bool


def _tab_id(meta: Mapping[str, Any], title: str) -> int | None:
    tab = conversations.tab_titled(meta, title)
    return None if tab is None else int(tab["properties"].get("sheetId", 0))


class Sheets:
    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx
        self._template_cells: dict[str, list[tuple[str, str]]] = {}
        self._layouts: dict[str, _AckLayout] = {}
        self._central_seen: dict[str, list[dict[str, Any]]] = {}  # see central_meta
        self._central_lock = threading.Lock()

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
        self,
        user: str,
        spreadsheet_id: str,
        template_id: str,
        values: Mapping[str, str],
        *,
        only_unfilled: bool = False,
    ) -> None:
        """Write each template cell that holds a placeholder, filled in one pass, into the copy
        (RAW). With ``only_unfilled``, first read those cells and leave any that no longer hold
        the template's text (already filled, or edited since)."""
        cells = [(a1, text) for a1, text in self.template_cells(template_id) if text]
        data = [
            {"range": a1, "values": [[filled]]}
            for a1, text in cells
            if (filled := fill_text(text, values)) != text
        ]
        if data and only_unfilled:
            current = self._current_texts(user, spreadsheet_id, [d["range"] for d in data])
            template = dict(cells)
            data = [d for d in data if current.get(d["range"]) == template[d["range"]]]
        if data:
            self.ctx.run(
                self._values().batchUpdate(
                    spreadsheetId=spreadsheet_id, body={"valueInputOption": "RAW", "data": data}
                ),
                api="sheets",
                kind="write",
                user=user,
            )

    def _current_texts(self, user: str, spreadsheet_id: str, ranges: list[str]) -> dict[str, str]:
        result = self.ctx.run(
            self._values().batchGet(
                spreadsheetId=spreadsheet_id, ranges=ranges, valueRenderOption="FORMULA"
            ),
            api="sheets",
            kind="read",
            user=user,
        )
        out: dict[str, str] = {}
        for a1, vr in zip(ranges, result.get("valueRanges", []), strict=False):
            values = vr.get("values") or [[]]
            out[a1] = str(values[0][0]) if values and values[0] else ""
        return out

    def ack_layout(self, template: TemplateRef) -> _AckLayout:
        """Where the Conversations tab and its tick columns are, read once per template.

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
            tuple(i for i, h in enumerate(header) if h in CHECKBOX_COLUMNS),
            office.tab_layout(template.path, CONVERSATIONS_TAB) if template.path else None,
        )
        self._layouts[template.source] = layout
        return layout

    def protection(self, user: str, spreadsheet_id: str) -> Protection:
        """The Conversations tab's id and whether a careerdocs protection already covers it
        (one read: a converted upload has new sheet ids, and a re-run must not protect twice)."""
        meta = self.ctx.run(
            self._spreadsheets().get(spreadsheetId=spreadsheet_id, fields=PROTECTIONS_FIELDS),
            api="sheets",
            kind="read",
            user=user,
        )
        tab = conversations.tab_titled(meta, CONVERSATIONS_TAB)
        if tab is None:
            raise WorkspaceError(f"{spreadsheet_id} has no {CONVERSATIONS_TAB} tab to protect")
        tab_id = int(tab["properties"].get("sheetId", 0))
        ours = [
            p
            for p in tab.get("protectedRanges") or []
            if conversations.is_careerdocs_whole_tab(p, tab_id)
        ]
        return Protection(tab_id, bool(ours))

    def protect(
        self,
        user: str,
        spreadsheet_id: str,
        tab_id: int,
        layout: _AckLayout,
        editors: Sequence[str],
        *,
        add_protection: bool = True,
    ) -> None:
        """Protect the whole Conversations tab for ``editors``, make its tick columns
        checkboxes and set the template's layout on it, in one atomic batchUpdate as ``user``."""
        requests = _checkbox_requests(tab_id, layout.checkbox_columns)
        if layout.tab is not None:
            requests += layout_requests(tab_id, layout.tab, skip=layout.checkbox_columns)
        if add_protection:
            requests.append(_protect_tab_request(tab_id, editors))
        self.ctx.run(
            self._spreadsheets().batchUpdate(
                spreadsheetId=spreadsheet_id, body={"requests": requests}
            ),
            api="sheets",
            kind="write",
            user=user,
        )

    def read_conversations(
        self,
        sheets: Sequence[Artifact],
        as_reader: Collection[str] = (),
        reader_sees: Collection[str] = (),
    ) -> list[SheetRead]:
        """Each sheet's Conversations tab, by its recorded id, with its protection checked; one
        ``spreadsheets.get`` per sheet answers both. A sheet whose id is in ``as_reader`` is
        read as ``google.reader`` (granted reader on it), the others as whoever acts for their
        person — or as the reader, for a sheet in ``reader_sees``, when Google will not act as
        the person (suspended, say). Google shows a protection's editors only to those who may
        edit the range and the document (Sheets v4 ProtectedRange.editors), never to a reader:
        see :func:`.conversations.judge` for what is checked then."""

        def attempt(sheet: Artifact, witness: bool) -> SheetRead:
            reader = self.ctx.reader if witness else self.ctx.actor(sheet.person)
            try:
                result = self.ctx.run(
                    self._spreadsheets().get(
                        spreadsheetId=sheet.id,
                        includeGridData=True,
                        fields=CONVERSATIONS_READ_FIELDS,
                    ),
                    api="sheets",
                    kind="read",
                    user=reader,
                )
            except GoogleAPIError as exc:
                return SheetRead(sheet.person, error=str(exc))
            tab = conversations.judge(result, sheet.tab_id, sheet.person, reader, witness=witness)
            return SheetRead(
                sheet.person, rows=tab.rows, header=tab.header, untrusted=tab.untrusted
            )

        def read(sheet: Artifact) -> SheetRead:
            try:
                return attempt(sheet, sheet.id in as_reader)
            except AccountUnreachable as exc:
                if sheet.id in reader_sees:
                    return attempt(sheet, True)
                return SheetRead(sheet.person, error=str(exc))

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
        """The central sheet's tabs (ids, titles, charts, rules). A read's answer is kept for
        the write that follows it in the same run (rollup and provision read the tab they
        replace first), and used once: the write costs one Sheets read less."""
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
        meta = self.central_meta(cid)
        with self._central_lock:
            self._central_seen[cid] = meta
        tabs = {s["properties"]["title"] for s in meta}
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
        with self._central_lock:
            seen = self._central_seen.pop(cid, None)
        existing = {s["properties"]["title"]: s for s in seen or self.central_meta(cid)}
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


def layout_requests(
    tab_id: int, tab: office.TabLayout, *, skip: Sequence[int] = ()
) -> list[dict[str, Any]]:
    """Sheets requests that give tab ``tab_id`` the template's layout: the frozen header
    (updateSheetProperties gridProperties.frozenRowCount), column widths
    (updateDimensionProperties pixelSize), dropdowns (setDataValidation ONE_OF_LIST with
    showCustomUi), date formats and wrapping (repeatCell userEnteredFormat) for every row below
    the header. Columns in ``skip`` (checkboxes) keep their own validation. Request shapes:
    https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request"""
    below = tab.frozen_rows

    def column(index: int) -> dict[str, Any]:
        return {
            "sheetId": tab_id,
            "startRowIndex": below,
            "startColumnIndex": index,
            "endColumnIndex": index + 1,
        }

    requests: list[dict[str, Any]] = [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": tab_id, "gridProperties": {"frozenRowCount": below}},
                "fields": "gridProperties.frozenRowCount",
            }
        }
    ]
    requests += [
        {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": tab_id,
                    "dimension": "COLUMNS",
                    "startIndex": index,
                    "endIndex": index + 1,
                },
                "properties": {"pixelSize": presentation.pixels(width)},
                "fields": "pixelSize",
            }
        }
        for index, width in sorted(tab.widths.items())
    ]
    requests += [
        {
            "setDataValidation": {
                "range": column(index),
                "rule": {
                    "condition": {
                        "type": "ONE_OF_LIST",
                        "values": [{"userEnteredValue": choice} for choice in choices],
                    },
                    "strict": True,
                    "showCustomUi": True,
                },
            }
        }
        for index, choices in sorted(tab.choices.items())
        if index not in skip
    ]
    for index in sorted(set(tab.date_formats) | tab.wrapped):
        cell_format: dict[str, Any] = {}
        if index in tab.date_formats:
            cell_format["numberFormat"] = {"type": "DATE", "pattern": tab.date_formats[index]}
        if index in tab.wrapped:
            cell_format["wrapStrategy"] = "WRAP"
        requests.append(
            {
                "repeatCell": {
                    "range": column(index),
                    "cell": {"userEnteredFormat": cell_format},
                    "fields": "userEnteredFormat(" + ",".join(sorted(cell_format)) + ")",
                }
            }
        )
    return requests


def _checkbox_requests(tab_id: int, columns: Sequence[int]) -> list[dict[str, Any]]:
    return [
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
        for i in columns
    ]


def _protect_tab_request(tab_id: int, editors: Sequence[str]) -> dict[str, Any]:
    """Protect the whole tab (a range naming only the sheet), not just a column: no one else
    may then edit rows, insert, delete or move columns, or rename the tab."""
    return {
        "addProtectedRange": {
            "protectedRange": {
                "range": {"sheetId": tab_id},
                "description": conversations.PROTECTION_DESCRIPTION,
                "warningOnly": False,
                "editors": {"users": list(dict.fromkeys(editors))},
            }
        }
    }


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
