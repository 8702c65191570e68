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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple, Protocol

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
    ColumnKind,
    Layout,
    Link,
    SheetRead,
    SheetSurvey,
    Table,
    Workspace,
)

log = logging.getLogger(__name__)

STATE_VERSION = 1
LEFT_ROSTER = "left roster"
YES, NO = "yes", "no"
ABOUT_TAB = "About"
UPDATED_AT = "Updated (UTC)"
MANAGER_EMAIL = "Manager email"
# The Status tab, in the order a PBP reads it: who, their status, where they sit, what they did,
# then the documents and the bookkeeping. People are shown by name, their email one column over.
STATUS_COLUMNS: tuple[tuple[str, ColumnKind], ...] = (
    ("Name", ColumnKind.NAME),
    ("Email", ColumnKind.EMAIL),
    ("Status", ColumnKind.STATUS),
    ("Department", ColumnKind.TEXT),
    ("Manager", ColumnKind.NAME),
    (MANAGER_EMAIL, ColumnKind.EMAIL),
    ("Skip-level", ColumnKind.NAME),
    ("Skip-level email", ColumnKind.EMAIL),
    ("PBP", ColumnKind.NAME),
    ("PBP email", ColumnKind.EMAIL),
    ("Last conversation", ColumnKind.DATE),
    ("Career conversations", ColumnKind.COUNT),
    ("Q2", ColumnKind.FLAG),
    ("Q4", ColumnKind.FLAG),
    ("Skip-level meeting", ColumnKind.FLAG),
    ("Manager meeting", ColumnKind.FLAG),
    ("Escalation", ColumnKind.FLAG),
    ("IGP", ColumnKind.LINK),
    ("Tracker", ColumnKind.LINK),
    ("Sheet", ColumnKind.LINK),
    ("Data problems", ColumnKind.NOTE),
    (UPDATED_AT, ColumnKind.DATETIME),
)
STATUS_HEADER = tuple(name for name, _ in STATUS_COLUMNS)
STATUS_COLUMN = STATUS_HEADER.index("Status")
EMAIL_COLUMN = STATUS_HEADER.index("Email")
LINK_COLUMNS = tuple(i for i, (_, kind) in enumerate(STATUS_COLUMNS) if kind is ColumnKind.LINK)
# Columns of an older Status layout, read under their new names (left-roster rows are kept).
OLD_STATUS_NAMES = {
    "Growth plan sheet": "Sheet",
    "Individual Growth Plan": "IGP",
    "Accomplishment tracker": "Tracker",
    "Updated at": UPDATED_AT,
}
LINK_LABELS = (
    (ArtifactKind.IGP, "IGP"),
    (ArtifactKind.TRACKER, "Tracker"),
    (ArtifactKind.GROWTH_SHEET, "Sheet"),
)
# One colour per status, light enough to read black text on; the About tab is the legend.
STATUS_COLOURS: tuple[tuple[str, str, str], ...] = (
    (Status.OVERDUE.value, "#f4c7c3", "the fiscal year or the deadline passed without one"),
    (Status.DUE.value, "#fce8b2", "no acknowledged career conversation yet this fiscal year"),
    (Status.ACKNOWLEDGED.value, "#d9ead3", "at least one acknowledged career conversation"),
    (Status.ON_CADENCE.value, "#b7e1cd", "acknowledged conversations in both Q2 and Q4"),
    (Status.NOT_YET_DUE.value, "#e3ecf8", "started less than 90 days ago"),
    (Status.NOT_PROVISIONED.value, "#e6e0f0", "no growth plan sheet yet: run provision"),
    (LEFT_ROSTER, "#e0e0e0", "no longer in the roster; their last row is kept"),
)
COLOURS = tuple((status, colour) for status, colour, _ in STATUS_COLOURS)
STATUS_LAYOUT = Layout(
    columns=tuple(kind for _, kind in STATUS_COLUMNS), frozen_columns=1, colours=COLOURS
)
SUMMARY_HEADER = (
    "Group",
    "Name",
    "Email",
    "Headcount",
    *(s.value.capitalize() for s in Status),
    "% acknowledged",
)
SUMMARY_LAYOUT = Layout(
    columns=(
        ColumnKind.TEXT,
        ColumnKind.NAME,
        ColumnKind.EMAIL,
        *(ColumnKind.COUNT for _ in range(1 + len(Status))),
        ColumnKind.PERCENT,
    ),
    frozen_columns=2,
)
ESCALATIONS_HEADER = (
    "Skip-level manager",
    "Skip-level email",
    "Name",
    "Email",
    "Manager",
    "Manager email",
    "Date",
    "Notes",
)
ESCALATIONS_LAYOUT = Layout(
    columns=(
        ColumnKind.NAME,
        ColumnKind.EMAIL,
        ColumnKind.NAME,
        ColumnKind.EMAIL,
        ColumnKind.NAME,
        ColumnKind.EMAIL,
        ColumnKind.DATE,
        ColumnKind.NOTE,
    ),
    frozen_columns=1,
)
ABOUT_HEADER = ("Status", "What it means")
ABOUT_LAYOUT = Layout(columns=(ColumnKind.STATUS, ColumnKind.NOTE), colours=COLOURS, filter=False)
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
    conversations: tuple[cadence.Conversation, ...] = ()  # the FY's rows, as cadence read them


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


def _state(path: Path, backend: str, fy: FiscalYear) -> dict[str, Any]:
    """The state file's data when it is this backend's and FY's, else {}."""
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
    return data


def load_cursor(path: Path, backend: str, fy: FiscalYear) -> str | None:
    """Where the last successful run's survey of changed sheets said the next one starts
    (:class:`~careerdocs.workspace.base.SheetSurvey`); None: survey everything."""
    cursor = _state(path, backend, fy).get("cursor")
    return cursor if isinstance(cursor, str) and cursor else None


def load_state(path: Path, backend: str, fy: FiscalYear) -> dict[str, dict[str, Any]]:
    """Cached sheets from the last successful run for this backend and FY; {} when none fits.
    A damaged file or entry only costs a read of those sheets, never the run."""
    data = _state(path, backend, fy)
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
    path: Path,
    backend: str,
    fy: FiscalYear,
    sheets: Mapping[str, Mapping[str, Any]],
    cursor: str | None = None,
) -> None:
    """Write the state whole (a temporary file moved into place), so a crash mid-save leaves
    the previous state, never half of one. ``cursor``: where the next survey of changed
    sheets starts (none: it surveys them all)."""
    data: dict[str, Any] = {
        "version": STATE_VERSION,
        "backend": backend,
        "fy": fy.label,
        "sheets": sheets,
    }
    if cursor:
        data["cursor"] = cursor
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
    return Outcome(person, status, artifacts, escalations, conversations=tuple(conversations or ()))


def _problems(o: Outcome) -> list[str]:
    """The person's data problems: an untrusted sheet first, then each bad row."""
    return [*([o.untrusted] if o.untrusted else []), *(str(p) for p in o.status.problems)]


def _yes(flag: bool) -> str:
    return YES if flag else NO


def status_row(
    o: Outcome, updated_at: str | datetime, names: Mapping[str, str] | None = None
) -> list[Any]:
    """One person's Status row. ``names`` maps emails to names (from the roster), so manager,
    skip-level and PBP are shown by name, with the email one column over; an email the roster
    does not know is shown as itself in both."""
    p, s = o.person, o.status
    problems = "; ".join(_problems(o))
    if o.read_error:
        problems = "; ".join(filter(None, [f"could not read the sheet: {o.read_error}", problems]))
    return [
        p.name,
        p.email,
        s.status.value,
        p.department,
        *_named(p.manager_email, names),
        *_named(p.skip_level_email, names),
        *_named(p.pbp_email, names),
        s.last_conversation or "",
        s.acknowledged_count,
        _yes(s.q2),
        _yes(s.q4),
        _yes(s.skip_level_held),
        _yes(s.manager_meeting_held),
        _yes(s.escalation),
        *(_link(o.artifacts, kind, label) for kind, label in LINK_LABELS),
        problems,
        _moment(updated_at),
    ]


def _named(email: str | None, names: Mapping[str, str] | None) -> tuple[str, str]:
    """(name, email) of someone referred to by email; ("", "") for no one."""
    if not email:
        return "", ""
    return (names or {}).get(email.lower()) or email, email


def _link(artifacts: Mapping[ArtifactKind, Artifact], kind: ArtifactKind, label: str) -> Any:
    artifact = artifacts.get(kind)
    return Link(label, artifact.url) if artifact is not None and artifact.url else ""


def _moment(value: str | datetime) -> datetime | str:
    """A timestamp as the sheet shows it: a UTC wall-clock time (a workbook cell cannot hold a
    time zone), or the text unchanged when it is not a timestamp."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def summary_table(outcomes: Sequence[Outcome]) -> Table:
    """Counts and % acknowledged (a fraction, shown as a percentage) by department, manager
    and PBP; departments first, so the chart covers them. Managers and PBPs are shown by name
    where they are in the roster, with their email one column over."""
    names = {o.person.email: o.person.name for o in outcomes}
    rows: list[list[Any]] = []
    department_rows = 0
    for group, attr in GROUPS:
        buckets: dict[str, list[Status]] = defaultdict(list)
        for o in outcomes:
            buckets[getattr(o.person, attr) or ""].append(o.status.status)
        for key in sorted(buckets, key=lambda k: (not k, names.get(k, k).casefold())):
            if attr == "department":
                label, email = key or NO_GROUP, ""
            else:
                label, email = (names.get(key) or key, key) if key else (NO_GROUP, "")
            rows.append([group, label, email, *_summary_cells(buckets[key])])
        if group == "Department":
            department_rows = len(rows)
    rows.append(["All", "Everyone", "", *_summary_cells([o.status.status for o in outcomes])])
    chart = ChartSpec(
        "% acknowledged by department",
        label_column=SUMMARY_HEADER.index("Name"),
        value_column=len(SUMMARY_HEADER) - 1,
        row_count=department_rows,
        percent=True,
    )
    return Table(
        SUMMARY_TAB,
        SUMMARY_HEADER,
        rows,
        chart=chart if department_rows else None,
        layout=SUMMARY_LAYOUT,
    )


def _summary_cells(statuses: Iterable[Status]) -> list[Any]:
    counts = cadence.summarize(statuses)
    return [
        counts[cadence.HEADCOUNT_KEY],
        *(counts[s.value] for s in Status),
        round(counts[cadence.PCT_ACKNOWLEDGED_KEY] / 100, 3),
    ]


def escalations_table(outcomes: Sequence[Outcome]) -> Table:
    """Acknowledged escalations, grouped by the skip-level manager who must act on them."""
    names = {o.person.email: o.person.name for o in outcomes}
    rows = [
        [
            *_named(o.person.skip_level_email, names),
            o.person.name,
            o.person.email,
            *_named(o.person.manager_email, names),
            c.date,
            c.notes,
        ]
        for o in outcomes
        for c in o.escalations
    ]
    rows.sort(key=lambda r: (r[1], r[2], r[6]))
    return Table(ESCALATIONS_TAB, ESCALATIONS_HEADER, rows, layout=ESCALATIONS_LAYOUT)


def about_table() -> Table:
    """The legend of the status colours, one row per status in its own colour."""
    rows = [[status, meaning] for status, _, meaning in STATUS_COLOURS]
    return Table(ABOUT_TAB, ABOUT_HEADER, rows, layout=ABOUT_LAYOUT)


def status_table(
    outcomes: Sequence[Outcome],
    previous: tuple[list[str], list[list[Any]]] | None,
    roster: Roster,
    updated_at: str | datetime,
) -> tuple[Table, list[str]]:
    """The Status tab, and the emails of the people who left the roster.

    People no longer in the roster keep their last row (read from ``previous``, the tab as it
    is now), marked as left: the record of their conversations is not deleted. Old cells are
    matched to the managed columns by header name (an older layout's names included), so a
    reordered or older layout still lands in the right columns; user-added columns are carried
    over by the central write."""
    names = {p.email: p.name for p in roster}
    rows = [status_row(o, updated_at, names) for o in outcomes]
    left: list[str] = []

    def table() -> Table:
        return Table(
            STATUS_TAB,
            STATUS_HEADER,
            rows,
            key_column="Email",
            layout=STATUS_LAYOUT,
            former_headers=tuple(OLD_STATUS_NAMES),
            position=0,  # the tab a PBP opens the central sheet for comes first
        )

    if not previous:
        return table(), left
    header, old_rows = previous
    where: dict[str, int] = {}
    for index, name in enumerate(header):
        name = OLD_STATUS_NAMES.get(name, name)
        if name in STATUS_HEADER:
            where.setdefault(name, index)
    email_at = where.get("Email")
    if email_at is None:
        return table(), left
    for row in old_rows:
        email = _text(row, email_at).lower()
        if not email or roster.get(email) is not None or email in left:
            continue
        kept = [
            row[where[name]] if name in where and where[name] < len(row) else ""
            for name in STATUS_HEADER
        ]
        kept[STATUS_COLUMN] = LEFT_ROSTER
        for label in LINK_COLUMNS:
            kept[label] = _as_link(STATUS_HEADER[label], kept[label])
        rows.append(kept)
        left.append(email)
    return table(), left


def plain(cell: Any) -> Any:
    """A central-sheet cell as plain data for ``status`` output: a link as its URL, a date as
    ISO text, a timestamp as ``YYYY-MM-DD HH:MM``, nothing as ""."""
    if cell is None:
        return ""
    if isinstance(cell, Link):
        return cell.url
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ", timespec="minutes")
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


def _as_link(label: str, cell: Any) -> Any:
    """A link cell kept from an older layout, where it was the bare URL."""
    return Link(label, cell) if isinstance(cell, str) and cell.strip() else cell


def _text(row: Sequence[Any], index: int) -> str:
    return "" if index >= len(row) or row[index] is None else str(row[index]).strip()


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Gathered:
    """Everyone's computed outcome, and what reading the sheets cost. ``cursor``: where the
    next run's survey of changed sheets starts (None: the storage has no such survey)."""

    outcomes: list[Outcome]
    cache: dict[str, dict[str, Any]]
    sheets_read: int
    sheets_cached: int
    cursor: str | None = None


class SurveysSheets(Protocol):
    """A storage that can list every growth sheet as one account (Google: ``google.reader``)
    instead of searching as each person: :meth:`survey_growth_sheets` returns None where it
    cannot, and rollup searches as each person, as any other storage."""

    def survey_growth_sheets(
        self, people: Sequence[str], fy: str, *, since: str | None, known: Mapping[str, str]
    ) -> SheetSurvey | None: ...


@dataclass
class _Found:
    """Each person's artifacts, and which growth sheets this run must read."""

    existing: dict[str, dict[ArtifactKind, Artifact]]
    sheets: dict[str, Artifact]
    to_read: list[Artifact]


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
    ``deadline`` outside ``fy`` (say, last year's, left in the config) is ignored.

    Where the storage can survey the sheets as one account (:class:`SurveysSheets`), changed
    sheets are found by one listing, and only the people it does not cover — a sheet it cannot
    see or does not trust, links to their other documents not yet known — are searched for as
    themselves, while the sheets it found are already being read."""
    if deadline is not None and deadline not in fy:
        deadline = None
    emails = [p.email for p in roster]
    cache = load_state(state_path, workspace.backend, fy)
    survey_of = getattr(workspace, "survey_growth_sheets", None)
    survey: SheetSurvey | None = None
    if survey_of is not None:
        since = None if full else load_cursor(state_path, workspace.backend, fy)
        known = {entry["id"]: email for email, entry in cache.items()}
        survey = survey_of(emails, fy.label, since=since, known=known)
    if survey is None:
        found = _found(workspace.find_artifacts(emails, fy.label), emails, cache, full)
        reads = {r.person: r for r in workspace.read_conversations(found.to_read)}
    else:
        found, reads = _surveyed(workspace, survey, emails, fy, cache, full)
    new_cache: dict[str, dict[str, Any]] = {}
    outcomes: list[Outcome] = []
    for person in roster:
        artifacts = found.existing.get(person.email, {})
        sheet = found.sheets.get(person.email)
        got = _conversation_rows(sheet, reads.get(person.email), cache.get(person.email))
        if got.entry is not None:
            new_cache[person.email] = {**got.entry, **_remembered(artifacts)}
        outcome = compute(person, artifacts, got.rows, fy, today, deadline)
        outcome.read_error = got.error
        outcome.untrusted = got.untrusted
        outcomes.append(outcome)
    return Gathered(
        outcomes,
        new_cache,
        len(found.to_read),
        len(found.sheets) - len(found.to_read),
        survey.cursor if survey is not None else None,
    )


def _found(
    existing: Mapping[str, Mapping[ArtifactKind, Artifact]],
    emails: Sequence[str],
    cache: Mapping[str, Mapping[str, Any]],
    full: bool,
) -> _Found:
    sheets = {
        email: sheet
        for email in emails
        if (sheet := existing.get(email, {}).get(ArtifactKind.GROWTH_SHEET)) is not None
    }
    to_read = [
        sheet for email, sheet in sheets.items() if full or not _unchanged(sheet, cache.get(email))
    ]
    return _Found({e: dict(a) for e, a in existing.items()}, sheets, to_read)


def _surveyed(
    workspace: Workspace,
    survey: SheetSurvey,
    emails: Sequence[str],
    fy: FiscalYear,
    cache: Mapping[str, Mapping[str, Any]],
    full: bool,
) -> tuple[_Found, dict[str, SheetRead]]:
    """Artifacts and reads of everyone, from the survey where it covers them and from a
    search as each person where it does not. The survey's sheets are read while that search
    runs (it needs each person's token, a cost paid before any read otherwise)."""
    covered: dict[str, dict[ArtifactKind, Artifact]] = {}
    search: list[str] = []  # people the survey cannot vouch for: searched, then read
    links: list[str] = []  # people whose sheet the survey found, but not their other links
    for email in emails:
        sheet = _covering_sheet(email, survey, cache.get(email), fy)
        if sheet is None:
            search.append(email)
            continue
        cached = cache.get(email) or {}
        known = _cached_links(email, fy, cached) if cached.get("id") == sheet.id else None
        if known is None:
            links.append(email)
            known = {}
        covered[email] = {**known, ArtifactKind.GROWTH_SHEET: sheet}
    first = _found(covered, emails, cache, full)
    with ThreadPoolExecutor(max_workers=1) as pool:
        searched = (
            pool.submit(workspace.find_artifacts, [*search, *links], fy.label)
            if search or links
            else None
        )
        reads = {r.person: r for r in workspace.read_conversations(first.to_read)}
        others = searched.result() if searched is not None else {}
    for email in links:  # the sheet the survey found (already read), the rest as searched
        covered[email] = {
            **{
                k: a for k, a in others.get(email, {}).items() if k is not ArtifactKind.GROWTH_SHEET
            },
            **covered[email],
        }
    rest = _found({e: others.get(e, {}) for e in search}, search, cache, full)
    reads |= {r.person: r for r in workspace.read_conversations(rest.to_read)}
    return (
        _Found(
            {**covered, **rest.existing},
            {**first.sheets, **rest.sheets},
            [*first.to_read, *rest.to_read],
        ),
        reads,
    )


def _covering_sheet(
    email: str, survey: SheetSurvey, cached: Mapping[str, Any] | None, fy: FiscalYear
) -> Artifact | None:
    """The person's growth sheet as the survey vouches for it: listed (changed, or every
    sheet on a full survey), or the cached sheet, still present as it was cached; None when
    the person must be searched for as themselves."""
    listed = survey.sheets.get(email)
    if listed is not None:
        return listed
    if not cached or cached["id"] not in survey.present:
        return None
    tab = cached.get("tab")
    return Artifact(
        ArtifactKind.GROWTH_SHEET,
        email,
        fy.label,
        cached["id"],
        str(cached.get("name", "")),
        str(cached.get("url", "")),
        survey.present[cached["id"]],  # a change the listing missed is read all the same
        created=str(cached.get("created", "")),
        tab_id=tab if isinstance(tab, int) else None,
    )


LINKED_KINDS = (ArtifactKind.FOLDER, ArtifactKind.IGP, ArtifactKind.TRACKER)


def _remembered(artifacts: Mapping[ArtifactKind, Artifact]) -> dict[str, Any]:
    """What the cache keeps of a person's artifacts besides the sheet's rows, so that a run
    which finds the sheet by a survey still knows how to read it and link every document."""
    sheet = artifacts.get(ArtifactKind.GROWTH_SHEET)
    if sheet is None:
        return {}
    return {
        "name": sheet.name,
        "url": sheet.url,
        "created": sheet.created,
        "tab": sheet.tab_id,
        "links": {k.value: a.url for k in LINKED_KINDS if (a := artifacts.get(k)) is not None},
    }


def _cached_links(
    email: str, fy: FiscalYear, cached: Mapping[str, Any]
) -> dict[ArtifactKind, Artifact] | None:
    """The person's other documents as last found (for their links); None if never cached or
    none was found then (they are looked for again)."""
    links = cached.get("links")
    if not isinstance(links, dict) or not links:
        return None
    out: dict[ArtifactKind, Artifact] = {}
    for kind in LINKED_KINDS:
        url = links.get(kind.value)
        if isinstance(url, str):
            out[kind] = Artifact(kind, email, fy.label, "", "", url)
    return out


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
    tables = [status, summary_table(got.outcomes), escalations_table(got.outcomes), about_table()]
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
    save_state(state_path, workspace.backend, fy, got.cache, got.cursor)
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
