"""Who is due, overdue or acknowledged: the Status table, found and filtered as people ask.

``careerdocs status`` only parses and prints; a script gets the same answers from
:func:`read_table` (the central sheet's Status tab, or statuses computed now with ``refresh``)
and :func:`select` (filters that match names as typed: any case, with or without accents, a
manager or PBP by name or by email). A filter that matches nobody in the table at all is an
error naming the closest values, never a quietly empty table.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from . import rollup
from .cadence import FiscalYear, Status
from .errors import CareerdocsError, InvalidInput, Problem
from .roster import fold
from .workspace.base import STATUS_TAB

if TYPE_CHECKING:
    from .config import Settings
    from .roster import Roster
    from .workspace.base import Workspace

Record = dict[str, str]

NAME, EMAIL, MANAGER, DEPARTMENT, PBP, STATUS, UPDATED = (
    "Name",
    "Email",
    "Manager",
    "Department",
    "PBP",
    "Status",
    rollup.UPDATED_AT,
)
# Where the central sheet keeps the email of a person it shows by name; an older Status tab
# had the email in the name's column.
EMAIL_OF = {MANAGER: rollup.MANAGER_EMAIL, PBP: "PBP email"}
OLD_UPDATED = "Updated at"
# The columns the terminal table shows; --csv and --json carry every column.
TABLE_FIELDS = (
    NAME,
    EMAIL,
    MANAGER,
    DEPARTMENT,
    "Last conversation",
    "Career conversations",
    STATUS,
)
STATUS_ORDER = [s.value for s in Status]
NOT_RUN_YET = "no Status tab yet: run `careerdocs rollup` first, or use --refresh"


@dataclass(frozen=True)
class Filters:
    """What to keep; None or False keeps everyone. ``manager`` and ``pbp`` are a name or an
    email; every comparison ignores case and accents."""

    department: str | None = None
    manager: str | None = None
    pbp: str | None = None
    overdue: bool = False

    @property
    def any(self) -> bool:
        return bool(self.department or self.manager or self.pbp or self.overdue)


@dataclass(frozen=True)
class Table:
    """Status records (every column, as text) and when they were computed: the last rollup's
    time for the central sheet's Status tab, now for a refresh."""

    header: list[str]
    records: list[Record]
    as_of: str
    refreshed: bool = False


def as_records(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[Record]:
    """Rows as dicts by header, every cell as text ("" when empty or missing; a link as its
    URL, a date as ISO text: see :func:`rollup.plain`)."""
    out = []
    for row in rows:
        cells = [str(rollup.plain(c)) for c in row]
        cells += [""] * (len(header) - len(cells))
        out.append(dict(zip(header, cells, strict=False)))
    return out


def read_table(
    settings: Settings,
    workspace: Workspace,
    *,
    refresh: bool = False,
    roster: Roster | None = None,
    fy: FiscalYear | None = None,
    today: date | None = None,
) -> Table:
    """The Status table: from the central sheet, or with ``refresh`` computed now from the
    growth sheets (``roster``, ``fy`` and ``today`` needed; nothing is written)."""
    if not refresh:
        found = workspace.read_central(STATUS_TAB)
        if found is None:
            raise CareerdocsError(NOT_RUN_YET)
        header, rows = found
        records = as_records(header, rows)
        stamps = [r.get(UPDATED) or r.get(OLD_UPDATED, "") for r in records]
        stamps = [s for s in stamps if s]
        return Table(list(header), records, max(stamps) if stamps else "")
    if roster is None or fy is None or today is None:
        raise ValueError("refresh needs the roster, the fiscal year and today")
    got = rollup.gather(
        workspace,
        roster,
        fy=fy,
        today=today,
        state_path=settings.rollup.state_file,
        deadline=settings.rollup.deadline,
    )
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    names = {p.email: p.name for p in roster}
    rows = [rollup.status_row(o, now, names) for o in got.outcomes]
    return Table(list(rollup.STATUS_HEADER), as_records(rollup.STATUS_HEADER, rows), now, True)


def _people_named(query: str, records: Sequence[Record]) -> set[str]:
    """Lower-cased emails of the people whose name or email is ``query`` (folded)."""
    wanted = fold(query)
    return {
        r.get(EMAIL, "").lower()
        for r in records
        if wanted in (fold(r.get(NAME, "")), fold(r.get(EMAIL, "")))
    }


def _no_match(flag: str, query: str, choices: Iterable[str]) -> InvalidInput:
    options = sorted({c for c in choices if c})
    close = difflib.get_close_matches(query, options, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    if not hint:
        listed = ", ".join(repr(o) for o in options[:10])
        hint = f"known: {listed}{', ...' if len(options) > 10 else ''}" if options else "none"
    return InvalidInput(f"{flag} {query!r} matches nobody", [Problem(flag, hint)])


def _person_matcher(flag: str, column: str, query: str, records: Sequence[Record]) -> set[str]:
    """The lower-cased emails in ``column`` that ``query`` means: an email as given, or the
    email of the person of that name. Raises when nobody in the table has such a one."""
    present = {r.get(column, "").lower() for r in records if r.get(column)}
    meant = (_people_named(query, records) | {query.strip().lower()}) & present
    if not meant:
        names = {r.get(EMAIL, "").lower(): r.get(NAME, "") for r in records}
        choices = [names.get(e) or e for e in present] + sorted(present)
        raise _no_match(flag, query, choices)
    return meant


def select(records: Sequence[Record], filters: Filters) -> list[Record]:
    """The records that pass every filter, in table order.

    Raises :class:`InvalidInput` when a department, manager or PBP matches nobody in the whole
    table (a typo), naming the closest values; an empty result of filters that each match
    someone is not an error."""
    keep = list(records)
    if filters.department:
        wanted = fold(filters.department)
        if not any(fold(r.get(DEPARTMENT, "")) == wanted for r in records):
            raise _no_match(
                "--department", filters.department, (r.get(DEPARTMENT, "") for r in records)
            )
        keep = [r for r in keep if fold(r.get(DEPARTMENT, "")) == wanted]
    for flag, column, query in (
        ("--manager", MANAGER, filters.manager),
        ("--pbp", PBP, filters.pbp),
    ):
        if query:
            if records and EMAIL_OF[column] in records[0]:
                column = EMAIL_OF[column]
            meant = _person_matcher(flag, column, query, records)
            keep = [r for r in keep if r.get(column, "").lower() in meant]
    if filters.overdue:
        keep = [r for r in keep if r.get(STATUS) == Status.OVERDUE.value]
    return keep


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def totals(records: Sequence[Record]) -> dict[str, int]:
    """People per status, in the order statuses progress (others, like ``left roster``,
    after)."""
    counted = Counter(r.get(STATUS, "") for r in records)
    order = STATUS_ORDER + sorted(s for s in counted if s not in STATUS_ORDER)
    return {s: counted[s] for s in order if counted[s]}


def totals_line(records: Sequence[Record]) -> str:
    """``3 people: 1 acknowledged, 2 overdue.``"""
    parts = [f"{n} {status or '(no status)'}" for status, n in totals(records).items()]
    return f"{_count(len(records), 'person', 'people')}: {', '.join(parts)}."


def empty_line(filters: Filters) -> str:
    """What to say instead of an empty table."""
    if filters.overdue and not (filters.department or filters.manager or filters.pbp):
        return "Nobody is overdue."
    if filters.overdue:
        return "Nobody among them is overdue."
    return "Nobody matches."


def as_of_line(table: Table) -> str:
    if table.refreshed:
        return f"Computed now from the growth sheets ({table.as_of}); nothing was written."
    if table.as_of:
        return f"As of the last rollup, {table.as_of}."
    return "As of the last rollup (time unknown)."


def columns(records: Sequence[Mapping[str, str]]) -> list[list[str]]:
    """The terminal table's cells for these records."""
    return [[r.get(f, "") for f in TABLE_FIELDS] for r in records]
