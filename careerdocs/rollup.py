"""rollup: every person's career-conversation status, in one central sheet.

Reads the Conversations tab of each growth sheet that changed since the last successful run
(``--full`` reads all), computes statuses with :mod:`careerdocs.cadence`, and replaces the
Status, Summary and Escalations tabs in one atomic write. Unchanged people keep their cached
rows (the conversations are cached, the status is recomputed: time alone moves people from
``due`` to ``overdue``). The state is saved only after the central write succeeds.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

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
    Table,
    Workspace,
)

STATE_VERSION = 1
LEFT_ROSTER = "left roster"
YES, NO = "yes", "no"
STATUS_HEADER = (
    "Name", "Email", "Manager", "Skip-level", "Department", "PBP", "Growth plan sheet",
    "Individual Growth Plan", "Accomplishment tracker", "Last conversation",
    "Career conversations", "Q2", "Q4", "Skip-level meeting", "Manager meeting", "Escalation",
    "Status", "Data problems", "Updated at",
)
STATUS_COLUMN = STATUS_HEADER.index("Status")
EMAIL_COLUMN = STATUS_HEADER.index("Email")
SUMMARY_HEADER = ("Group", "Name", "Headcount", *(s.value.capitalize() for s in Status),
                  "% acknowledged")
ESCALATIONS_HEADER = ("Skip-level manager", "Name", "Email", "Manager", "Date", "Notes")
GROUPS = (("Department", "department"), ("Manager", "manager_email"), ("PBP", "pbp_email"))
NO_GROUP = "(none)"


@dataclass
class Outcome:
    """One person's computed row, plus what the run needs to know about it."""

    person: Person
    status: PersonStatus
    artifacts: Mapping[ArtifactKind, Artifact]
    escalations: list[cadence.Conversation] = field(default_factory=list)
    read_error: str | None = None


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
        return [f"{o.person.email} {p}" for o in self.outcomes for p in o.status.problems]

    def counts(self) -> dict[str, Any]:
        counts = cadence.summarize(o.status.status for o in self.outcomes)
        return {**counts, "sheets_read": self.sheets_read, "sheets_cached": self.sheets_cached,
                "unreadable": len(self.failures), "left_roster": len(self.left)}

    def to_json(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.fy.label,
            "central": self.central,
            "counts": self.counts(),
            "failures": self.failures,
            "data_problems": self.problems,
            "left_roster": self.left,
            "people": [{"email": o.person.email, "status": o.status.status.value,
                        "acknowledged": o.status.acknowledged_count} for o in self.outcomes],
        }


# -- state ------------------------------------------------------------------------------------


def load_state(path: Path, backend: str, fy: FiscalYear) -> dict[str, dict[str, Any]]:
    """Cached sheets from the last successful run for this backend and FY; {} when none fits."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # a damaged cache only costs a full read
    if data.get("version") != STATE_VERSION or data.get("backend") != backend \
            or data.get("fy") != fy.label:
        return {}
    return data.get("sheets", {})


def save_state(path: Path, backend: str, fy: FiscalYear,
               sheets: Mapping[str, Mapping[str, Any]]) -> None:
    data = {"version": STATE_VERSION, "backend": backend, "fy": fy.label, "sheets": sheets}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise WorkspaceError(f"cannot save rollup state {path}: {exc}") from None


def _jsonable(cell: Any) -> Any:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


# -- computing --------------------------------------------------------------------------------


def compute(person: Person, artifacts: Mapping[ArtifactKind, Artifact],
            rows: Sequence[Sequence[Any]] | None, fy: FiscalYear, today: date,
            deadline: date | None) -> Outcome:
    """Pure: one person's status from their sheet's rows (None: no growth sheet)."""
    if rows is None:
        conversations, problems = None, []
    else:
        conversations, problems = cadence.parse_conversations(rows, fy, today)
    status = cadence.person_status(start_date=person.start_date, conversations=conversations,
                                   fy=fy, today=today, deadline=deadline, problems=problems)
    escalations = [c for c in conversations or [] if c.escalation and c.acknowledged]
    return Outcome(person, status, artifacts, escalations)


def _yes(flag: bool) -> str:
    return YES if flag else NO


def status_row(o: Outcome, updated_at: str) -> list[Any]:
    p, s = o.person, o.status
    link = {k: (o.artifacts[k].url if k in o.artifacts else "") for k in ArtifactKind}
    problems = "; ".join(str(x) for x in s.problems)
    if o.read_error:
        problems = "; ".join(filter(None, [f"could not read the sheet: {o.read_error}",
                                           problems]))
    return [
        p.name, p.email, p.manager_email or "", p.skip_level_email or "", p.department,
        p.pbp_email or "", link[ArtifactKind.GROWTH_SHEET], link[ArtifactKind.IGP],
        link[ArtifactKind.TRACKER],
        s.last_conversation.isoformat() if s.last_conversation else "",
        s.acknowledged_count, _yes(s.q2), _yes(s.q4), _yes(s.skip_level_held),
        _yes(s.manager_meeting_held), _yes(s.escalation), s.status.value, problems, updated_at,
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
    chart = ChartSpec("% acknowledged by department", label_column=1,
                      value_column=len(SUMMARY_HEADER) - 1, row_count=department_rows)
    return Table(SUMMARY_TAB, SUMMARY_HEADER, rows, chart=chart if department_rows else None)


def _summary_cells(statuses: Iterable[Status]) -> list[Any]:
    counts = cadence.summarize(statuses)
    return [counts[cadence.HEADCOUNT_KEY], *(counts[s.value] for s in Status),
            counts[cadence.PCT_ACKNOWLEDGED_KEY]]


def escalations_table(outcomes: Sequence[Outcome]) -> Table:
    rows = [
        [o.person.skip_level_email or "", o.person.name, o.person.email,
         o.person.manager_email or "", c.date.isoformat(), c.notes]
        for o in outcomes for c in o.escalations
    ]
    rows.sort(key=lambda r: (r[0], r[1], r[4]))
    return Table(ESCALATIONS_TAB, ESCALATIONS_HEADER, rows)


def status_table(outcomes: Sequence[Outcome], previous: tuple[list[str], list[list[Any]]] | None,
                 roster: Roster, updated_at: str) -> tuple[Table, list[str]]:
    """The Status tab; people no longer in the roster keep their last row, marked as left."""
    rows = [status_row(o, updated_at) for o in outcomes]
    left: list[str] = []
    if previous:
        header, old_rows = previous
        if "Email" in header and "Status" in header:
            email_at, status_at = header.index("Email"), header.index("Status")
            for row in old_rows:
                email = str(row[email_at]).lower() if len(row) > email_at else ""
                if not email or roster.get(email) is not None:
                    continue
                kept = list(row[:len(STATUS_HEADER)]) + [""] * (len(STATUS_HEADER) - len(row))
                kept[status_at if status_at < len(STATUS_HEADER) else STATUS_COLUMN] = \
                    LEFT_ROSTER
                rows.append(kept)
                left.append(email)
    return Table(STATUS_TAB, STATUS_HEADER, rows, key_column="Email"), left


# -- the run ----------------------------------------------------------------------------------


def run(workspace: Workspace, roster: Roster, *, fy: FiscalYear, today: date, now: datetime,
        state_path: Path, deadline: date | None = None, full: bool = False,
        audit: AuditLog = NO_AUDIT) -> RollupResult:
    """One rollup. Raises only when nothing could be written; unreadable sheets are reported
    in the result (the CLI turns them into exit code 3)."""
    emails = [p.email for p in roster]
    existing = workspace.find_artifacts(emails, fy.label)
    cache = {} if full else load_state(state_path, workspace.backend, fy)
    to_read: list[Artifact] = []
    for email in emails:
        sheet = existing.get(email, {}).get(ArtifactKind.GROWTH_SHEET)
        cached = cache.get(email)
        if sheet and not (cached and cached.get("id") == sheet.id
                          and cached.get("modified") == sheet.modified and sheet.modified):
            to_read.append(sheet)
    reads = {r.person: r for r in workspace.read_conversations(to_read)}
    new_cache: dict[str, dict[str, Any]] = {}
    outcomes: list[Outcome] = []
    for person in roster:
        artifacts = existing.get(person.email, {})
        sheet = artifacts.get(ArtifactKind.GROWTH_SHEET)
        rows: list[list[Any]] | None = None
        error = None
        if sheet is not None:
            read = reads.get(person.email)
            cached = cache.get(person.email)
            if read is not None and read.error is None:
                rows = [[_jsonable(c) for c in r] for r in read.rows]
                new_cache[person.email] = {"id": sheet.id, "modified": sheet.modified,
                                           "rows": rows}
            elif read is not None:
                error = read.error
                if cached and cached.get("id") == sheet.id:
                    rows = cached["rows"]
                    new_cache[person.email] = {**cached, "modified": ""}  # re-read next time
            elif cached:
                rows = cached["rows"]
                new_cache[person.email] = cached
        if sheet is not None and rows is None:
            rows = []  # unreadable and never read: counted as no conversations, flagged below
        outcome = compute(person, artifacts, rows, fy, today, deadline)
        outcome.read_error = error
        outcomes.append(outcome)
    updated_at = now.isoformat(timespec="seconds")
    previous = workspace.read_central(STATUS_TAB)
    status, left = status_table(outcomes, previous, roster, updated_at)
    tables = [status, summary_table(outcomes), escalations_table(outcomes)]
    try:
        central = workspace.write_central(tables)
    except CareerdocsError:
        audit.record("write_central_failed", tabs=[t.title for t in tables])
        raise
    audit.record("write_central", tabs=[t.title for t in tables], target=central,
                 people=len(outcomes))
    save_state(state_path, workspace.backend, fy, new_cache)
    return RollupResult(fy, outcomes, len(to_read), len(emails) - len(to_read), central, left)
