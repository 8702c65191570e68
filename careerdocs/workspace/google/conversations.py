"""Judging a growth sheet's Conversations tab as Sheets returns it: found by its recorded id,
columns by header name, and trusted only while its protection is the one careerdocs made.

Pure functions over the Spreadsheet resource (``spreadsheets.get`` with ``protectedRanges`` and
grid data): no calls here. Why each check matters:

- The tab is read by the id recorded at provision time, never by its name: renaming the tab and
  adding a look-alike "Conversations" must not redirect the read.
- The header must still begin with the managed columns, in order: inserting, deleting or moving
  one would make the person's ticks line up with something else.
- The protection must cover the whole tab (a ``range`` naming only the sheet), be enforced (not
  warning-only), and list exactly the person as editor — plus the running account when it is not
  the person, because Google always keeps the account that adds a protection (and the owner) as
  editors (Sheets API, ProtectedRange.editors; Apps Script Protection: "the owner and the current
  user cannot be removed"). In My Drive mode under delegation the person is both, so only they can
  edit; in a shared drive the running account can edit acknowledgements too, and careerdocs says so.

Read as ``google.reader`` (a *witness*: granted reader, never an editor), Google does not show
the editors at all ("only visible to users with edit access to the protected range and the
document", Sheets v4 ProtectedRange.editors). Everything else is checked as above; the editors
cannot be, from that read. Rollup reads as the reader only on incremental runs in My Drive mode,
where the person is the sheet's owner and the protection's only editor, so only they could have
added another; ``rollup --full`` reads each sheet as its owner and checks the editors too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...cadence import CONVERSATION_COLUMNS
from ..base import CONVERSATIONS_TAB

CAREERDOCS_TAG = "careerdocs"
PROTECTION_DESCRIPTION = (
    "careerdocs: only the team member acknowledges their career conversations. "
    "Removing or changing this protection stops their acknowledgements from counting."
)
UNTRUSTED = "acknowledgements can't be trusted: "


@dataclass(frozen=True)
class TabRead:
    """What one growth sheet's Conversations tab holds, and whether it may count."""

    header: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    untrusted: str | None = None


def find_tab(spreadsheet: Mapping[str, Any], tab_id: int) -> Mapping[str, Any] | None:
    for sheet in spreadsheet.get("sheets", []):
        if int(sheet.get("properties", {}).get("sheetId", 0)) == tab_id:
            return sheet
    return None


def tab_titled(spreadsheet: Mapping[str, Any], title: str) -> Mapping[str, Any] | None:
    for sheet in spreadsheet.get("sheets", []):
        if sheet.get("properties", {}).get("title") == title:
            return sheet
    return None


def is_careerdocs_whole_tab(protected: Mapping[str, Any], tab_id: int) -> bool:
    """A protection careerdocs made over the whole tab (whoever its editors are now)."""
    return _whole_tab(protected, tab_id) and _is_careerdocs(protected)


def _is_careerdocs(protected: Mapping[str, Any]) -> bool:
    return str(protected.get("description", "")).lower().startswith(CAREERDOCS_TAG)


def _whole_tab(protected: Mapping[str, Any], tab_id: int) -> bool:
    grid = protected.get("range")
    if not isinstance(grid, Mapping) or int(grid.get("sheetId", 0)) != tab_id:
        return False
    bounds = ("startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")
    return not any(grid.get(b) is not None for b in bounds) and not protected.get(
        "unprotectedRanges"
    )


def judge(
    spreadsheet: Mapping[str, Any],
    tab_id: int | None,
    person: str,
    reader: str,
    *,
    witness: bool = False,
) -> TabRead:
    """The Conversations tab ``tab_id`` of ``spreadsheet`` read as ``reader`` for ``person``:
    header and data rows, with ``untrusted`` set (and no rows) unless the tab, its header and
    its protection are as provisioned. ``witness``: ``reader`` is the rollup reader, who is
    never meant to edit: only ``person`` may be an editor, and editors Google hides from it are
    not held against the sheet (see the module doc)."""
    if tab_id is None:
        return TabRead(
            untrusted=UNTRUSTED + "the Conversations tab was never protected by this version of "
            "careerdocs; run `careerdocs provision` to protect it"
        )
    tab = find_tab(spreadsheet, tab_id)
    if tab is None:
        return TabRead(untrusted=UNTRUSTED + "the Conversations tab was deleted or replaced")
    header, rows = _grid(tab)
    problem = (
        _title_problem(tab)
        or _protection_problem(
            tab.get("protectedRanges") or [], tab_id, person, person if witness else reader, witness
        )
        or _header_problem(header)
    )
    if problem:
        return TabRead(header=header, untrusted=UNTRUSTED + problem)
    return TabRead(header=header, rows=rows)


def _title_problem(tab: Mapping[str, Any]) -> str | None:
    title = tab.get("properties", {}).get("title")
    if title != CONVERSATIONS_TAB:
        return f"the Conversations tab was renamed to {title!r}"
    return None


def _protection_problem(
    protections: Sequence[Mapping[str, Any]],
    tab_id: int,
    person: str,
    reader: str,
    witness: bool = False,
) -> str | None:
    ours = [p for p in protections if _is_careerdocs(p)]
    if not ours:
        return "the protection was removed"
    whole = [p for p in ours if _whole_tab(p, tab_id)]
    if not whole:
        return "the protection was narrowed to part of the tab"
    enforced = [p for p in whole if not p.get("warningOnly")]
    if not enforced:
        return "the protection was changed to a warning only"
    allowed = {person.lower(), reader.lower()}
    reasons = [_editors_problem(p, person, allowed, witness) for p in enforced]
    if any(r is None for r in reasons):
        return None
    return reasons[0]


def _editors_problem(
    protected: Mapping[str, Any], person: str, allowed: set[str], witness: bool = False
) -> str | None:
    editors = protected.get("editors")
    if editors is None and witness:  # never shown to a reader: see the module doc
        return None
    if editors is None:  # Sheets shows editors only to those who may edit the range
        return "its protection cannot be checked (the account reading it is not an editor)"
    users = {u.lower() for u in editors.get("users") or []}
    extra = sorted((users - allowed) | {g.lower() for g in editors.get("groups") or []})
    if editors.get("domainUsersCanEdit"):
        extra.append("everyone in the domain")
    if extra:
        return f"the protection was changed: {', '.join(extra)} can also edit"
    if person.lower() not in users:
        return f"the protection was changed: {person} can no longer edit"
    return None


def _header_problem(header: Sequence[str]) -> str | None:
    managed = list(CONVERSATION_COLUMNS)
    if header[: len(managed)] == managed:
        return None
    missing = [c for c in managed if c not in header]
    if missing:
        return f"a column was deleted from the Conversations tab ({', '.join(missing)})"
    return (
        "a column was inserted or moved in the Conversations tab (its header now begins "
        + ", ".join(repr(h) for h in header[: len(managed)])
        + ")"
    )


def _grid(tab: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and data rows of a sheet read with grid data from A1, as unformatted values."""
    rows: list[list[Any]] = []
    for data in tab.get("data") or []:
        if data.get("startRow") or data.get("startColumn"):
            continue  # only a read of the whole tab is ours
        rows = [
            _trimmed([_value(c) for c in r.get("values") or []]) for r in data.get("rowData") or []
        ]
    while rows and not rows[-1]:  # rows with only checkboxes (validation, no value) end here
        rows.pop()
    if not rows:
        return [], []
    header = [str(h) if h is not None else "" for h in rows[0]]
    return header, rows[1:]


def _trimmed(row: list[Any]) -> list[Any]:
    """A row without its trailing empty cells, as values.get returns it."""
    while row and row[-1] == "":
        row.pop()
    return row


def _value(cell: Mapping[str, Any]) -> Any:
    """A cell's unformatted value (what values.get's UNFORMATTED_VALUE returns): a number (dates
    as serial numbers), a boolean, text, or "" for an empty or formula-error cell."""
    effective = cell.get("effectiveValue") or {}
    for key in ("numberValue", "boolValue", "stringValue"):
        if key in effective:
            return effective[key]
    return ""
