"""rollup: every person's career-conversation status, in one central sheet.

Reads the Conversations tab of each growth sheet that changed since the last successful run
(``--full`` reads all), computes statuses with :mod:`careerdocs.cadence`, and replaces the
Status, Summary and Escalations tabs in one atomic write. Unchanged people keep their cached
rows (the conversations are cached, the status is recomputed: time alone moves people from
``due`` to ``overdue``). The state is saved only after the central write succeeds.

Rollup verifies instead of trusting: columns are picked by their header names, never by
position, and a sheet the storage reports as ``untrusted`` (its tab, header or protection is not
as provisioned) or whose header lacks or repeats a managed column counts for nothing — its
person gets a data problem saying why, and none of its rows is cached.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from . import cadence
from .audit import NO_AUDIT, AuditLog
from .cadence import FiscalYear, PersonStatus, Status
from .errors import CareerdocsError, WorkspaceError
from .roster import Person, Roster
from .workspace.base import (
    ESCALATIONS_TAB,
    STATUS_TAB,
    SUMMARY_TAB,
    Artifact,
    ArtifactKind,
    ChartSpec,
    SheetRead,
    Table,
    Workspace,
)

log = logging.getLogger(__name__)

STATE_VERSION = 1
LEFT_ROSTER = "left roster"
YES, NO = "yes", "no"
STATUS_HEADER = (
    "Name",
    "Email",
    "Manager",
    "Skip-level",
    "Department",
    "PBP",
    "Growth plan sheet",
    "Individual Growth Plan",
    "Accomplishment tracker",
    "Last conversation",
    "Career conversations",
    "Q2",
    "Q4",
    "Skip-level meeting",
    "Manager meeting",
    "Escalation",
    "Status",
    "Data problems",
    "Updated at",
)
STATUS_COLUMN = STATUS_HEADER.index("Status")
EMAIL_COLUMN = STATUS_HEADER.index("Email")
SUMMARY_HEADER = (
    "Group",
    "Name",
    "Headcount",
    *(s.value.capitalize() for s in Status),
    "% acknowledged",
)
ESCALATIONS_HEADER = ("Skip-level manager", "Name", "Email", "Manager", "Date", "Notes")
GROUPS = (("Department", "department"), ("Manager", "manager_email"), ("PBP", "pbp_email"))
NO_GROUP = "(none)"
DATE_COLUMN = cadence.CONVERSATION_COLUMNS.index("Date")
JSON_SCALARS = (str, bool, int, float)
NOT_READ = "the storage returned nothing for this sheet"
UNTRUSTED = "acknowledgements can't be trusted"


@dataclass
class Outcome:
    """One person's computed row, plus what the run needs to know about it."""

    person: Person
    status: PersonStatus
    artifacts: Mapping[ArtifactKind, Artifact]
    escalations: list[cadence.Conversation] = field(default_factory=list)
    read_error: str | None = None
    untrusted: str | None = None  # why nothing of the sheet counted ("acknowledgements can't…")


@dataclass
class RollupResult:
    fy: FiscalYear
    outcomes: list[Outcome]
    sheets_read: int
    sheets_cached: int
    central: str
    left: list[str]

    @property
    def failures(self) -> dict[str, str]:
        return {o.person.email: o.read_error for o in self.outcomes if o.read_error}

    @property
    def problems(self) -> list[str]:
        return [f"{o.person.email} {p}" for o in self.outcomes for p in _problems(o)]

    def counts(self) -> dict[str, Any]:
        counts = cadence.summarize(o.status.status for o in self.outcomes)
        return {
            **counts,
            "sheets_read": self.sheets_read,
            "sheets_cached": self.sheets_cached,
            "unreadable": len(self.failures),
            "left_roster": len(self.left),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.fy.label,
            "central": self.central,
            "counts": self.counts(),
            "failures": self.failures,
            "data_problems": self.problems,
            "left_roster": self.left,
            "people": [
                {
                    "email": o.person.email,
                    "status": o.status.status.value,
                    "acknowledged": o.status.acknowledged_count,
                }
                for o in self.outcomes
            ],
        }


# -- state ------------------------------------------------------------------------------------


def load_state(path: Path, backend: str, fy: FiscalYear) -> dict[str, dict[str, Any]]:
    """Cached sheets from the last successful run for this backend and FY; {} when none fits.
    A damaged file or entry only costs a read of those sheets, never the run."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("version") != STATE_VERSION
        or data.get("backend") != backend
        or data.get("fy") != fy.label
    ):
        return {}
    sheets = data.get("sheets")
    if not isinstance(sheets, dict):
        return {}
    return {email: entry for email, entry in sheets.items() if _is_cache_entry(entry)}


def _is_cache_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("modified"), str)
        and isinstance(entry.get("rows"), list)
        and all(isinstance(row, list) for row in entry["rows"])
    )


def save_state(
    path: Path, backend: str, fy: FiscalYear, sheets: Mapping[str, Mapping[str, Any]]
) -> None:
    """Write the state whole (a temporary file moved into place), so a crash mid-save leaves
    the previous state, never half of one."""
    data = {"version": STATE_VERSION, "backend": backend, "fy": fy.label, "sheets": sheets}
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise WorkspaceError(f"cannot save rollup state {path}: {exc}") from None


def cacheable_rows(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Conversations rows as the state file keeps them: only the managed columns, every cell a
    JSON value that :func:`cadence.parse_conversations` reads as it reads the original. A date
    becomes ISO text in the Date column; any other non-JSON cell (a time of day, a duration)
    becomes the text cadence would make of it — a cell the person typed must never stop the
    state from being saved."""
    return [
        [
            _cacheable(cell, column == DATE_COLUMN)
            for column, cell in enumerate(row[: len(cadence.CONVERSATION_COLUMNS)])
        ]
        for row in rows
    ]


def _cacheable(cell: Any, is_date_column: bool) -> Any:
    if is_date_column and isinstance(cell, date):
        return (cell.date() if isinstance(cell, datetime) else cell).isoformat()
    if cell is None or isinstance(cell, JSON_SCALARS):
        return cell
    return str(cell)


# -- computing --------------------------------------------------------------------------------


def compute(
    person: Person,
    artifacts: Mapping[ArtifactKind, Artifact],
    rows: Sequence[Sequence[Any]] | None,
    fy: FiscalYear,
    today: date,
    deadline: date | None,
) -> Outcome:
    """Pure: one person's status from their sheet's rows (None: no growth sheet)."""
    if rows is None:
        conversations, problems = None, []
    else:
        conversations, problems = cadence.parse_conversations(rows, fy, today)
    status = cadence.person_status(
        start_date=person.start_date,
        conversations=conversations,
        fy=fy,
        today=today,
        deadline=deadline,
        problems=problems,
    )
    escalations = [c for c in conversations or [] if c.escalation and c.acknowledged]
    return Outcome(person, status, artifacts, escalations)


def _problems(o: Outcome) -> list[str]:
    """The person's data problems: an untrusted sheet first, then each bad row."""
    return [*([o.untrusted] if o.untrusted else []), *(str(p) for p in o.status.problems)]


def _yes(flag: bool) -> str:
    return YES if flag else NO


def status_row(o: Outcome, updated_at: str) -> list[Any]:
    p, s = o.person, o.status
    link = {k: (o.artifacts[k].url if k in o.artifacts else "") for k in ArtifactKind}
    problems = "; ".join(_problems(o))
    if o.read_error:
        problems = "; ".join(filter(None, [f"could not read the sheet: {o.read_error}", problems]))
    return [
        p.name,
        p.email,
        p.manager_email or "",
        p.skip_level_email or "",
        p.department,
        p.pbp_email or "",
        link[ArtifactKind.GROWTH_SHEET],
        link[ArtifactKind.IGP],
        link[ArtifactKind.TRACKER],
        s.last_conversation.isoformat() if s.last_conversation else "",
        s.acknowledged_count,
        _yes(s.q2),
        _yes(s.q4),
        _yes(s.skip_level_held),
        _yes(s.manager_meeting_held),
        _yes(s.escalation),
        s.status.value,
        problems,
        updated_at,
    ]


def summary_table(outcomes: Sequence[Outcome]) -> Table:
    """Counts and % acknowledged by department, manager and PBP; departments first, so the
    chart covers them."""
    rows: list[list[Any]] = []
    department_rows = 0
    for group, attr in GROUPS:
        buckets: dict[str, list[Status]] = defaultdict(list)
        for o in outcomes:
            buckets[getattr(o.person, attr) or NO_GROUP].append(o.status.status)
        for name in sorted(buckets):
            rows.append([group, name, *_summary_cells(buckets[name])])
        if group == "Department":
            department_rows = len(rows)
    rows.append(["All", "Everyone", *_summary_cells([o.status.status for o in outcomes])])
    chart = ChartSpec(
        "% acknowledged by department",
        label_column=1,
        value_column=len(SUMMARY_HEADER) - 1,
        row_count=department_rows,
    )
    return Table(SUMMARY_TAB, SUMMARY_HEADER, rows, chart=chart if department_rows else None)


def _summary_cells(statuses: Iterable[Status]) -> list[Any]:
    counts = cadence.summarize(statuses)
    return [
        counts[cadence.HEADCOUNT_KEY],
        *(counts[s.value] for s in Status),
        counts[cadence.PCT_ACKNOWLEDGED_KEY],
    ]


def escalations_table(outcomes: Sequence[Outcome]) -> Table:
    rows = [
        [
            o.person.skip_level_email or "",
            o.person.name,
            o.person.email,
            o.person.manager_email or "",
            c.date.isoformat(),
            c.notes,
        ]
        for o in outcomes
        for c in o.escalations
    ]
    rows.sort(key=lambda r: (r[0], r[1], r[4]))
    return Table(ESCALATIONS_TAB, ESCALATIONS_HEADER, rows)


def status_table(
    outcomes: Sequence[Outcome],
    previous: tuple[list[str], list[list[Any]]] | None,
    roster: Roster,
    updated_at: str,
) -> tuple[Table, list[str]]:
    """The Status tab, and the emails of the people who left the roster.

    People no longer in the roster keep their last row (read from ``previous``, the tab as it
    is now), marked as left: the record of their conversations is not deleted. Old cells are
    matched to the managed columns by header name, so a reordered or older layout still lands
    in the right columns; user-added columns are carried over by the central write."""
    rows = [status_row(o, updated_at) for o in outcomes]
    left: list[str] = []
    if not previous:
        return Table(STATUS_TAB, STATUS_HEADER, rows, key_column="Email"), left
    header, old_rows = previous
    where = {name: header.index(name) for name in STATUS_HEADER if name in header}
    email_at = where.get("Email")
    if email_at is None:
        return Table(STATUS_TAB, STATUS_HEADER, rows, key_column="Email"), left
    for row in old_rows:
        email = _text(row, email_at).lower()
        if not email or roster.get(email) is not None or email in left:
            continue
        kept = [
            row[where[name]] if name in where and where[name] < len(row) else ""
            for name in STATUS_HEADER
        ]
        kept[STATUS_COLUMN] = LEFT_ROSTER
        rows.append(kept)
        left.append(email)
    return Table(STATUS_TAB, STATUS_HEADER, rows, key_column="Email"), left


def _text(row: Sequence[Any], index: int) -> str:
    return "" if index >= len(row) or row[index] is None else str(row[index]).strip()


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Gathered:
    """Everyone's computed outcome, and what reading the sheets cost."""

    outcomes: list[Outcome]
    cache: dict[str, dict[str, Any]]
    sheets_read: int
    sheets_cached: int


def gather(
    workspace: Workspace,
    roster: Roster,
    *,
    fy: FiscalYear,
    today: date,
    state_path: Path,
    deadline: date | None = None,
    full: bool = False,
) -> Gathered:
    """Read the growth sheets that changed (all with ``full``) and compute every status.
    Writes nothing: ``run`` publishes, ``status --refresh`` only shows.

    ``full`` reads every growth sheet, but the cache is still there for a sheet that cannot be
    read: its person keeps the conversations last read rather than dropping to ``due``. A
    ``deadline`` outside ``fy`` (say, last year's, left in the config) is ignored."""
    if deadline is not None and deadline not in fy:
        deadline = None
    emails = [p.email for p in roster]
    existing = workspace.find_artifacts(emails, fy.label)
    cache = load_state(state_path, workspace.backend, fy)
    sheets = {
        email: sheet
        for email in emails
        if (sheet := existing.get(email, {}).get(ArtifactKind.GROWTH_SHEET)) is not None
    }
    to_read = [
        sheet for email, sheet in sheets.items() if full or not _unchanged(sheet, cache.get(email))
    ]
    reads = {r.person: r for r in workspace.read_conversations(to_read)}
    new_cache: dict[str, dict[str, Any]] = {}
    outcomes: list[Outcome] = []
    for person in roster:
        artifacts = existing.get(person.email, {})
        sheet = sheets.get(person.email)
        got = _conversation_rows(sheet, reads.get(person.email), cache.get(person.email))
        if got.entry is not None:
            new_cache[person.email] = got.entry
        outcome = compute(person, artifacts, got.rows, fy, today, deadline)
        outcome.read_error = got.error
        outcome.untrusted = got.untrusted
        outcomes.append(outcome)
    return Gathered(outcomes, new_cache, len(to_read), len(sheets) - len(to_read))


def run(
    workspace: Workspace,
    roster: Roster,
    *,
    fy: FiscalYear,
    today: date,
    now: datetime,
    state_path: Path,
    deadline: date | None = None,
    full: bool = False,
    audit: AuditLog = NO_AUDIT,
) -> RollupResult:
    """One rollup. Raises only when nothing could be written; unreadable sheets are reported
    in the result (the CLI turns them into exit code 3). The state is saved only after the
    central write succeeded."""
    got = gather(
        workspace, roster, fy=fy, today=today, state_path=state_path, deadline=deadline, full=full
    )
    updated_at = now.isoformat(timespec="seconds")
    previous = workspace.read_central(STATUS_TAB)
    status, left = status_table(got.outcomes, previous, roster, updated_at)
    tables = [status, summary_table(got.outcomes), escalations_table(got.outcomes)]
    try:
        central = workspace.write_central(tables)
    except CareerdocsError:
        _record_failure(audit, tables)
        raise
    audit.record(
        "write_central",
        tabs=[t.title for t in tables],
        target=central,
        people=len(got.outcomes),
    )
    save_state(state_path, workspace.backend, fy, got.cache)
    return RollupResult(fy, got.outcomes, got.sheets_read, got.sheets_cached, central, left)


def _unchanged(sheet: Artifact, cached: Mapping[str, Any] | None) -> bool:
    """True when the cache holds this very sheet as last modified (an unknown modification
    time never counts as unchanged)."""
    return bool(
        cached
        and sheet.modified
        and cached.get("id") == sheet.id
        and cached.get("modified") == sheet.modified
    )


class SheetRows(NamedTuple):
    """What one person's growth sheet gives this run: ``rows`` to compute from (None: no
    sheet), the new cache ``entry``, a read ``error``, and why the sheet is ``untrusted``."""

    rows: list[list[Any]] | None
    entry: dict[str, Any] | None
    error: str | None = None
    untrusted: str | None = None


def _conversation_rows(
    sheet: Artifact | None, read: SheetRead | None, cached: Mapping[str, Any] | None
) -> SheetRows:
    """One person's rows, read or cached.

    No growth sheet: None rows, so the person is not provisioned. A sheet not read this run is
    served from the cache. A sheet that could not be read falls back to the cached rows of the
    same sheet, with its modification time blanked so the next run reads it again; with no
    such cache it counts as having no conversations, and the error says why. A sheet read but
    not trusted counts as having no conversations and is not cached, whatever was cached
    before: an acknowledgement is only ever counted from a sheet as provisioned.
    """
    if sheet is None:
        return SheetRows(None, None)
    same_sheet = cached if cached and cached.get("id") == sheet.id else None
    if read is None and same_sheet is not None:
        return SheetRows(same_sheet["rows"], dict(same_sheet))
    if read is None:
        read = SheetRead(sheet.person, error=NOT_READ)
    if read.error is None:
        managed, untrusted = managed_rows(read)
        if untrusted is not None:
            return SheetRows([], None, untrusted=untrusted)
        rows = cacheable_rows(managed)
        return SheetRows(rows, {"id": sheet.id, "modified": sheet.modified, "rows": rows})
    if same_sheet is None:
        return SheetRows([], None, read.error)
    return SheetRows(same_sheet["rows"], {**same_sheet, "modified": ""}, read.error)


def managed_rows(read: SheetRead) -> tuple[list[list[Any]], str | None]:
    """The read's rows as cells of :data:`cadence.CONVERSATION_COLUMNS`, picked by header name
    (case and surrounding spaces ignored), or ([], why) when nothing in the sheet may count:
    the storage found it not as provisioned, or its header lacks or repeats a managed column
    (a second "Acknowledged" column typed in by someone else must never be the one read)."""
    if read.untrusted:
        return [], _distrust(read.untrusted)
    if not read.header and not read.rows:
        return [], None  # an empty tab: no conversations yet
    folded = [str(name).strip().casefold() for name in read.header]
    at: list[int] = []
    for column in cadence.CONVERSATION_COLUMNS:
        count = folded.count(column.casefold())
        if count != 1:
            found = "has no" if count == 0 else f"has {count}"
            return [], _distrust(f"the Conversations tab {found} {column!r} column")
        at.append(folded.index(column.casefold()))
    return [[row[i] if i < len(row) else None for i in at] for row in read.rows], None


def _distrust(reason: str) -> str:
    return reason if reason.startswith(UNTRUSTED) else f"{UNTRUSTED}: {reason}"


def _record_failure(audit: AuditLog, tables: Sequence[Table]) -> None:
    """Audit a failed central write without letting an audit problem (often the same full
    disk) hide the error that matters. Only the audit error's text is logged: the exception
    itself would keep the failed write's frames alive for as long as the log record lives."""
    try:
        audit.record("write_central_failed", tabs=[t.title for t in tables])
    except WorkspaceError as exc:
        log.warning("%s", str(exc))
