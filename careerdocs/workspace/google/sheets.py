"""Sheets v4: growth sheets (template cells, copy fill, the Conversations tab's protection and
reading it) and the central sheet (its tabs, values and chart)."""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
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
from . import built_tab, conversations, dashboard
from .context import GoogleContext
from .fill import fill_text

log = logging.getLogger(__name__)

CHECKBOX_COLUMNS = (ACKNOWLEDGED_COLUMN, "Escalation")
# What a read of a growth sheet asks for: every tab's id and title, its protections, and its
# cells' unformatted values. One call answers both "what does it say" and "may it count".
CONVERSATIONS_READ_FIELDS = (
    "sheets(properties(sheetId,title),protectedRanges,data(startRow,startColumn,"
    "rowData(values(effectiveValue))))"
)
PROTECTIONS_FIELDS = "sheets(properties(sheetId,title),protectedRanges)"
HTTP_BAD_REQUEST = 400
CENTRAL_WRITE_ATTEMPTS = 3  # a third run at once is already unlikely
MAX_SHEET_ID = 2**31 - 1


@dataclass(frozen=True)
class _AckLayout:
    """What every new growth sheet of one template needs, learned once per run."""

    # The Conversations tab's id in a new sheet, known without a read: a copy keeps its
    # template's ids (the sandbox's does; no Google page says so, so a refusal is handled), and
    # a tab careerdocs adds itself has the id it chose. None: a converted upload that keeps the
    # tab (new random ids: read per sheet).
    sheet_id: int | None
    checkbox_columns: tuple[int, ...]  # zero-based indexes of the tick columns
    # What an .xlsx template sets on the tab (widths, frozen header, dropdowns, date formats,
    # wrapping), set again with the protection: Google documents no list of what an .xlsx
    # import keeps, so careerdocs does not rely on it (an upload, or a copy of an installed
    # shipped template). None for an organisation's Google template (a copy keeps everything).
    tab: office.TabLayout | None = None
    # An upload's Conversations tab, added by the protecting batchUpdate, and the template
    # without that tab (what is filled and uploaded). None: the upload carries the tab.
    built: built_tab.BuiltTab | None = None
    upload_source: Path | None = None


@dataclass(frozen=True)
class _TemplateCell:
    """A string cell of a Google template, by A1 and by grid position."""

    a1: str
    text: str
    title: str
    row: int
    column: int


@dataclass(frozen=True)
class _GoogleTemplate:
    cells: tuple[_TemplateCell, ...]
    tab_ids: Mapping[str, int]  # title -> sheet id


@dataclass(frozen=True)
class Protection:
    """A growth sheet's Conversations tab id and whether careerdocs already protects it."""

    tab_id: int
    protected: bool


def _tab_ids(meta: Mapping[str, Any]) -> dict[str, int]:
    return {
        s["properties"]["title"]: int(s["properties"].get("sheetId", 0))
        for s in meta.get("sheets", [])
    }


class Sheets:
    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx
        self._templates: dict[str, _GoogleTemplate] = {}
        self._layouts: dict[str, _AckLayout] = {}
        self._lock = threading.Lock()
        # False once Sheets refused a copy's template tab ids: later copies read theirs first
        # rather than spend a refused write each.
        self._copies_keep_ids: bool | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._central_seen: dict[str, list[dict[str, Any]]] = {}  # see central_meta
        self._central_lock = threading.Lock()

    def _spreadsheets(self) -> Any:
        return self.ctx.clients.resource("sheets", "spreadsheets")

    def _values(self) -> Any:
        return self.ctx.clients.resource("sheets", "spreadsheets.values")

    # -- growth sheets -----------------------------------------------------------------------

    def _google_template(self, spreadsheet_id: str) -> _GoogleTemplate:
        """A Google template's string cells and tab ids, read once per run as the admin."""
        if spreadsheet_id not in self._templates:
            result = self.ctx.run(
                self._spreadsheets().get(
                    spreadsheetId=spreadsheet_id,
                    includeGridData=True,
                    fields="sheets(properties(sheetId,title),"
                    "data(rowData(values(userEnteredValue))))",
                ),
                api="sheets",
                kind="read",
                user=self.ctx.options.admin,
            )
            self._templates[spreadsheet_id] = _GoogleTemplate(
                tuple(_sheet_strings(result)), _tab_ids(result)
            )
        return self._templates[spreadsheet_id]

    def template_cells(self, spreadsheet_id: str) -> list[tuple[str, str]]:
        """(A1 cell, text) of every string cell of a template, read once per run as the admin."""
        return [(c.a1, c.text) for c in self._google_template(spreadsheet_id).cells]

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
        the template's text (already filled, or edited since). A new copy's growth sheet is
        filled by :meth:`first_write` instead, in the call that protects it."""
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
        """Where the Conversations tab and its tick columns are, learned once per template and
        run (threads share it): a Google template's one read, or the .xlsx on disk."""
        with self._lock:
            key = template.google_id or template.source
            cached = self._layouts.get(key)
            if cached is None:
                cached = self._layouts[key] = self._learn_layout(template)
            return cached

    def _learn_layout(self, template: TemplateRef) -> _AckLayout:
        if template.google_id:
            known = self._google_template(template.google_id)
            sheet_id = known.tab_ids.get(CONVERSATIONS_TAB)
            if sheet_id is None:
                raise TemplateError(f"template {template.source} has no {CONVERSATIONS_TAB} tab")
            header = _header(known.cells, CONVERSATIONS_TAB)
            self._check_header(template, header)
            # An installed shipped template came from an .xlsx import too: its layout is set
            # on each copy as on an upload.
            tab = office.tab_layout(template.path, CONVERSATIONS_TAB) if template.path else None
            return _AckLayout(sheet_id, _checkbox_columns(header), tab)
        assert template.path is not None
        tab = office.read_tab(template.path, CONVERSATIONS_TAB)
        header = [str(h) for h in tab[0]] if tab else []
        self._check_header(template, header)
        built = built_tab.read(template.path, CONVERSATIONS_TAB)
        source = None
        if built is not None:
            source = self._scratch_dir() / f"{len(self._layouts)}-{template.path.name}"
            source.write_bytes(built_tab.without(template.path, CONVERSATIONS_TAB))
        return _AckLayout(
            built_tab.BUILT_TAB_ID if built else None,
            _checkbox_columns(header),
            office.tab_layout(template.path, CONVERSATIONS_TAB),
            built,
            source,
        )

    def _scratch_dir(self) -> Path:
        if self._scratch is None:  # removed when this object goes (or at exit)
            self._scratch = tempfile.TemporaryDirectory(prefix="careerdocs-templates-")
        return Path(self._scratch.name)

    @staticmethod
    def _check_header(template: TemplateRef, header: Sequence[str]) -> None:
        if not header:
            raise TemplateError(f"template {template.source} has no {CONVERSATIONS_TAB} tab")
        if ACKNOWLEDGED_COLUMN not in header:
            raise TemplateError(
                f"template {template.source}: {CONVERSATIONS_TAB} has no "
                f"{ACKNOWLEDGED_COLUMN} column"
            )

    def upload_source(self, template: TemplateRef) -> Path:
        """The .xlsx to fill and upload for a growth sheet: the template without the
        Conversations tab when careerdocs adds that tab itself (see :mod:`.built_tab`)."""
        assert template.path is not None
        return self.ack_layout(template).upload_source or template.path

    def first_write(
        self,
        user: str,
        spreadsheet_id: str,
        template: TemplateRef,
        values: Mapping[str, str],
        editors: Sequence[str],
    ) -> int:
        """The one Sheets call a new growth sheet costs, as ``user``: a copy's placeholder
        cells filled (updateCells, strings as typed: RAW), the Conversations tab added when
        careerdocs makes it (an upload), its checkboxes, the template's layout and the whole-tab
        protection for ``editors``, in one atomic ``spreadsheets.batchUpdate``. Returns the
        Conversations tab's id. No read, unless Sheets refuses the ids this run expects (then
        one read finds them, and a copy refused once reads first from then on)."""
        layout = self.ack_layout(template)
        guess = layout.sheet_id
        if template.google_id and self._copies_keep_ids is False:
            guess = None
        if guess is not None:
            requests: list[dict[str, Any]] = []
            if template.google_id:
                known = self._google_template(template.google_id)
                cells = _value_requests(known, values, known.tab_ids)
                requests += _title_checks(known.tab_ids, {CONVERSATIONS_TAB, *_titles(cells)})
                requests += [request for _, request in cells]
            elif layout.built is not None:
                requests += layout.built.requests(guess)
            requests += _ack_requests(guess, layout, editors, add_protection=True)
            try:
                self.batch_update(user, spreadsheet_id, requests)
            except GoogleAPIError as exc:
                if exc.status != HTTP_BAD_REQUEST:
                    raise
            else:
                if template.google_id:
                    self._copies_keep_ids = True
                return guess
        tab_id = self.protect(user, spreadsheet_id, template, editors, values=values)
        if template.google_id:  # refused for its ids, or for something else (ids right)
            self._copies_keep_ids = tab_id == layout.sheet_id
        return tab_id

    def protect(
        self,
        user: str,
        spreadsheet_id: str,
        template: TemplateRef,
        editors: Sequence[str],
        *,
        values: Mapping[str, str] | None = None,
    ) -> int:
        """Protect an existing growth sheet's Conversations tab for ``editors`` (unless a
        careerdocs protection is already there), make its tick columns checkboxes and set the
        template's layout on it, after one read of its tabs; add the tab first if careerdocs
        makes it and it is missing (a crash between upload and protection). With ``values``
        (a new copy whose ids were not its template's), its placeholder cells are filled in
        the same call. Returns the tab's id."""
        layout = self.ack_layout(template)
        meta = self.ctx.run(
            self._spreadsheets().get(spreadsheetId=spreadsheet_id, fields=PROTECTIONS_FIELDS),
            api="sheets",
            kind="read",
            user=user,
        )
        ids = _tab_ids(meta)
        requests: list[dict[str, Any]] = []
        if values is not None and template.google_id:
            known = self._google_template(template.google_id)
            requests += [r for _, r in _value_requests(known, values, ids)]
        tab = conversations.tab_titled(meta, CONVERSATIONS_TAB)
        if tab is not None:
            tab_id = int(tab["properties"].get("sheetId", 0))
            protected = any(
                conversations.is_careerdocs_whole_tab(p, tab_id)
                for p in tab.get("protectedRanges") or []
            )
        elif layout.built is not None:
            tab_id = _free_id(set(ids.values()))
            requests += layout.built.requests(tab_id)
            protected = False
        else:
            raise WorkspaceError(f"{spreadsheet_id} has no {CONVERSATIONS_TAB} tab to protect")
        requests += _ack_requests(tab_id, layout, editors, add_protection=not protected)
        self.batch_update(user, spreadsheet_id, requests)
        return tab_id

    def batch_update(self, user: str, spreadsheet_id: str, requests: list[dict[str, Any]]) -> None:
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
        """All tabs in one ``spreadsheets.batchUpdate``: Google applies all of it or none.

        Another run may change the tabs between this run's read and its write (two machines at
        once: one adds "People" that the other then adds too, and Sheets refuses the whole
        update with 400 "A sheet with the name … already exists"). Nothing was applied, so a
        refused write whose tabs have changed meanwhile is made again from what is there now;
        a refusal with the tabs as they were is a real error and is raised."""
        with self._central_lock:
            seen = self._central_seen.pop(cid, None)
        meta = seen or self.central_meta(cid)
        for attempt in range(1, CENTRAL_WRITE_ATTEMPTS + 1):
            try:
                self._write_central(cid, tables, meta)
                break
            except GoogleAPIError as exc:
                if exc.status != HTTP_BAD_REQUEST or attempt == CENTRAL_WRITE_ATTEMPTS:
                    raise
                now = self.central_meta(cid)
                if _tabs_named(now) == _tabs_named(meta):
                    raise
                log.info("the central sheet's tabs changed during this write; writing again")
                meta = now
        return f"https://docs.google.com/spreadsheets/d/{cid}/edit"

    def _write_central(self, cid: str, tables: Sequence[Table], meta: list[dict[str, Any]]) -> None:
        existing = {s["properties"]["title"]: s for s in meta}
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


def _tabs_named(meta: Sequence[Mapping[str, Any]]) -> set[tuple[int, str]]:
    return {(s["properties"]["sheetId"], s["properties"]["title"]) for s in meta}


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


def _ack_requests(
    tab_id: int, layout: _AckLayout, editors: Sequence[str], *, add_protection: bool
) -> list[dict[str, Any]]:
    """Checkboxes, the template's layout (an upload's) and the whole-tab protection."""
    requests = _checkbox_requests(tab_id, layout.checkbox_columns)
    if layout.tab is not None:
        requests += layout_requests(tab_id, layout.tab, skip=layout.checkbox_columns)
    if add_protection:
        requests.append(_protect_tab_request(tab_id, editors))
    return requests


def _title_checks(tab_ids: Mapping[str, int], titles: set[str]) -> list[dict[str, Any]]:
    """Each tab of ``titles`` given its own title again, by the id this run expects: a no-op
    when the id is that tab's, and a refusal of the whole batchUpdate when it is another tab's
    (two tabs cannot share a title), so a fill or a protection never lands on the wrong tab."""
    return [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": tab_ids[title], "title": title},
                "fields": "title",
            }
        }
        for title in sorted(titles)
    ]


def _titles(cells: Sequence[tuple[str, dict[str, Any]]]) -> set[str]:
    return {title for title, _ in cells}


def _value_requests(
    template: _GoogleTemplate, values: Mapping[str, str], tab_ids: Mapping[str, int]
) -> list[tuple[str, dict[str, Any]]]:
    """(tab title, updateCells) for each template cell a placeholder fills, by the tab ids
    ``tab_ids``: a stringValue is stored as given (what valueInputOption RAW does)."""
    requests = []
    for cell in template.cells:
        filled = fill_text(cell.text, values)
        if filled == cell.text:
            continue
        if cell.title not in tab_ids:
            raise WorkspaceError(f"a copy of the template has no {cell.title!r} tab to fill")
        requests.append(
            (
                cell.title,
                {
                    "updateCells": {
                        "start": {
                            "sheetId": tab_ids[cell.title],
                            "rowIndex": cell.row,
                            "columnIndex": cell.column,
                        },
                        "rows": [{"values": [{"userEnteredValue": {"stringValue": filled}}]}],
                        "fields": "userEnteredValue",
                    }
                },
            )
        )
    return requests


def _header(cells: Sequence[_TemplateCell], title: str) -> list[str]:
    """Row 1 of tab ``title`` as text, gaps kept ('' for a cell without text)."""
    found = {c.column: c.text for c in cells if c.title == title and c.row == 0}
    return [found.get(i, "") for i in range(max(found) + 1)] if found else []


def _checkbox_columns(header: Sequence[str]) -> tuple[int, ...]:
    return tuple(i for i, h in enumerate(header) if h in CHECKBOX_COLUMNS)


def _free_id(used: set[int]) -> int:
    """A sheet id no tab of the spreadsheet has: careerdocs' own, else a random one."""
    candidate = built_tab.BUILT_TAB_ID
    while candidate in used:
        candidate = secrets.randbelow(MAX_SHEET_ID) + 1
    return candidate


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


def _sheet_strings(spreadsheet: Mapping[str, Any]) -> Iterator[_TemplateCell]:
    """Every string cell of a spreadsheet read with grid data."""
    for sheet in spreadsheet.get("sheets", []):
        title = sheet["properties"]["title"]
        quoted = "'" + title.replace("'", "''") + "'"
        for data in sheet.get("data", []):
            for r, row in enumerate(data.get("rowData", [])):
                for c, cell in enumerate(row.get("values", [])):
                    text = (cell.get("userEnteredValue") or {}).get("stringValue")
                    if text:
                        yield _TemplateCell(
                            f"{quoted}!{_column_letter(c)}{r + 1}", text, title, r, c
                        )


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters
