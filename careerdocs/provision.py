"""provision: give every person their three career documents, pre-filled, shared, announced.

:func:`plan` is pure: from the roster, the settings and what already exists it decides what is
missing from the whole desired state — each document made and filled, the growth sheet
protected, the folder shared with exactly the people the roster says (and no longer with those
it stopped saying), the person told once per fiscal year — renders every name and placeholder
value, and fails on any template problem before a single write. :func:`apply` carries a plan out
through a workspace, person by person; one person's failure never stops the others. Every step
is recorded where the next survey finds it (markers), so a re-run after a crash at any point
finishes exactly what is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from . import fields
from .audit import NO_AUDIT, AuditLog
from .cadence import FiscalYear, fiscal_year
from .config import BACKEND_GOOGLE, SHARED_DRIVE, Settings
from .errors import CareerdocsError, DailyLimitReached, Problem, TemplateError, WorkspaceError
from .roster import Person, Roster
from .senders import SenderPool, admin_sender, open_pool
from .workspace.base import (
    FILE_KINDS,
    PEOPLE_TAB,
    STEP_FILLED,
    STEP_NOTIFIED,
    STEP_PROTECTED,
    Artifact,
    ArtifactKind,
    ColumnKind,
    Email,
    Layout,
    Link,
    Table,
    TemplateRef,
    Workspace,
)

NO_ROLE = "none"
PEOPLE_COLUMNS: tuple[tuple[str, ColumnKind], ...] = (
    ("Name", ColumnKind.NAME),
    ("Email", ColumnKind.EMAIL),
    ("Department", ColumnKind.TEXT),
    ("Manager", ColumnKind.NAME),
    ("Manager email", ColumnKind.EMAIL),
    ("PBP", ColumnKind.NAME),
    ("PBP email", ColumnKind.EMAIL),
    ("Fiscal year", ColumnKind.TEXT),
    ("Folder", ColumnKind.LINK),
    ("IGP", ColumnKind.LINK),
    ("Tracker", ColumnKind.LINK),
    ("Sheet", ColumnKind.LINK),
)
PEOPLE_HEADER = tuple(name for name, _ in PEOPLE_COLUMNS)
PEOPLE_LAYOUT = Layout(columns=tuple(kind for _, kind in PEOPLE_COLUMNS), frozen_columns=1)
# Columns of the older People layout, read under their new names.
OLD_PEOPLE_NAMES = {
    "Individual Growth Plan": "IGP",
    "Accomplishment tracker": "Tracker",
    "Growth plan sheet": "Sheet",
}
PEOPLE_LINKS = (
    (ArtifactKind.FOLDER, "Folder"),
    (ArtifactKind.IGP, "IGP"),
    (ArtifactKind.TRACKER, "Tracker"),
    (ArtifactKind.GROWTH_SHEET, "Sheet"),
)
LINK_KEYS = {
    ArtifactKind.FOLDER: "folder",
    ArtifactKind.IGP: "igp",
    ArtifactKind.TRACKER: "tracker",
    ArtifactKind.GROWTH_SHEET: "growth_sheet",
}


@dataclass(frozen=True)
class Share:
    grantee: str
    role: str
    why: str  # "manager" | "skip-level" | "pbp"


@dataclass(frozen=True)
class Revoke:
    """A share careerdocs granted that the roster no longer calls for."""

    grantee: str
    role: str
    why: str


NO_LONGER_GRANTED = "no longer their manager, skip-level or PBP"
READER_ROLE = "reader"
ROLLUP_READER = "rollup reader"
NO_LONGER_READER = "no longer google.reader"


@dataclass
class PersonPlan:
    """What provision will do for one person, in the order :func:`apply` does it.

    ``create`` lists missing artifacts in order; ``fill`` files that exist but are not recorded
    as filled (a crash between a copy and its fill, or a local document that landed unrecorded);
    ``protect`` whether the growth sheet's Conversations tab must still be protected;
    ``revokes`` careerdocs' own grants the roster no longer calls for; ``notify`` whether the
    person is still to be told this fiscal year. ``unreachable`` is why the storage cannot act
    as them (nothing is planned then)."""

    person: Person
    existing: dict[ArtifactKind, Artifact]
    create: list[ArtifactKind]
    names: dict[ArtifactKind, str]
    values: dict[ArtifactKind, dict[str, str]]
    shares: list[Share]
    notify: bool
    fill: list[ArtifactKind] = field(default_factory=list)
    protect: bool = False
    revokes: list[Revoke] = field(default_factory=list)
    unreachable: str | None = None
    sheet_shares: list[Share] = field(default_factory=list)
    sheet_revokes: list[Revoke] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return self.unreachable is None and not (
            self.create
            or self.fill
            or self.protect
            or self.revokes
            or self.shares
            or self.sheet_revokes
            or self.sheet_shares
            or self.notify
        )

    def describe(self) -> list[str]:
        """Each action for this person, in the order :func:`apply` does them."""
        lines = []
        if self.unreachable is not None:
            lines.append(f"cannot act as them, skipped: {self.unreachable}")
        lines += [f"create {kind.value} {self.names[kind]!r}" for kind in self.create]
        lines += [
            f"finish {kind.value} {self.existing[kind].name!r} (fill it and record that)"
            for kind in self.fill
        ]
        if self.protect:
            lines.append("protect the growth sheet's Conversations tab for them")
        lines += [
            f"revoke {r.grantee}'s {r.role} access to the folder ({r.why})" for r in self.revokes
        ]
        lines += [f"share folder with {s.grantee} as {s.role} ({s.why})" for s in self.shares]
        lines += [
            f"revoke {r.grantee}'s {r.role} access to the growth sheet ({r.why})"
            for r in self.sheet_revokes
        ]
        lines += [
            f"share growth sheet with {s.grantee} as {s.role} ({s.why})" for s in self.sheet_shares
        ]
        if self.notify:
            lines.append("email the links")
        return lines


@dataclass
class Plan:
    fy: FiscalYear
    people: list[PersonPlan]
    templates: dict[ArtifactKind, TemplateRef]

    def counts(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "up_to_date": sum(p.up_to_date for p in self.people),
            "folders": sum(ArtifactKind.FOLDER in p.create for p in self.people),
            "files": sum(len([k for k in p.create if k in FILE_KINDS]) for p in self.people),
            "fills": sum(len(p.fill) for p in self.people),
            "protections": sum(p.protect for p in self.people),
            "revokes": sum(len(p.revokes) + len(p.sheet_revokes) for p in self.people),
            "shares": sum(len(p.shares) + len(p.sheet_shares) for p in self.people),
            "emails": sum(p.notify for p in self.people),
            "unreachable": sum(p.unreachable is not None for p in self.people),
        }

    def describe(self) -> list[str]:
        """One line per action, in the order they would be done, for ``--dry-run``."""
        return [f"{p.person.email}: {action}" for p in self.people for action in p.describe()]


def desired_shares(person: Person, settings: Settings) -> list[Share]:
    """Who should see the person's folder, and how: policy lives here, not in a backend."""
    roles = settings.sharing
    wanted = [
        (person.manager_email, roles.manager, "manager"),
        (person.skip_level_email, roles.skip_level, "skip-level"),
        (person.pbp_email, roles.pbp, "pbp"),
    ]
    shares: dict[str, Share] = {}
    allowed = tuple(d.lower() for d in settings.allowed_domains)
    for grantee, role, why in wanted:
        if not grantee or role == NO_ROLE or grantee == person.email:
            continue
        if grantee.rsplit("@", 1)[-1].lower() not in allowed:
            continue  # roster validation reports these; never share outside allowed domains
        if grantee not in shares:
            shares[grantee] = Share(grantee, role, why)
    return list(shares.values())


def rollup_reader(person: Person, settings: Settings) -> str | None:
    """The account to grant ``reader`` on the person's growth sheet, so that rollup can find and
    read every changed sheet as one account instead of acting as each person: google.reader
    (else the admin), in My Drive mode only — in a shared drive the admin, who reads there,
    is a member already, and careerdocs does not list the sheets' own permissions there. None
    when no grant is wanted: the local backend, the reader's own sheet, or an address outside
    allowed_domains (the config check refuses one; this keeps a sheet from ever being shared
    outside them)."""
    google = settings.google
    if settings.backend_name != BACKEND_GOOGLE or google.destination == SHARED_DRIVE:
        return None
    reader = google.rollup_reader.strip().lower()
    allowed = tuple(d.lower() for d in settings.allowed_domains)
    if not reader or reader == person.email or reader.rpartition("@")[2] not in allowed:
        return None
    return reader


def sheet_access_changes(
    reader: str | None, sheet: Artifact | None
) -> tuple[list[Share], list[Revoke]]:
    """(shares to grant, grants to revoke) on the growth sheet: ``reader`` as a reader, and
    no other recorded grant (one made for an earlier google.reader is revoked). A reader who can
    already open the sheet (a manager's writer access, through the folder) gets nothing more:
    any access lets rollup find and read it. Shares made by hand are never touched."""
    held = {g.lower(): r for g, r in sheet.shares} if sheet else {}
    granted = {g.lower(): r for g, r in sheet.grants} if sheet else {}
    revokes = [
        Revoke(grantee, role, NO_LONGER_READER)
        for grantee, role in sorted(granted.items())
        if grantee != reader or role != READER_ROLE
    ]
    revoked = {r.grantee for r in revokes}
    if reader is None or (reader in held and reader not in revoked):
        return [], revokes
    return [Share(reader, READER_ROLE, ROLLUP_READER)], revokes


def plan(
    roster: Roster,
    settings: Settings,
    fy: FiscalYear,
    existing: Mapping[str, Mapping[ArtifactKind, Artifact]],
    templates: Mapping[ArtifactKind, TemplateRef],
    *,
    today: date,
    notify: bool = True,
    email_template: str = "",
    unreachable: Mapping[str, str] | None = None,
    everyone: Roster | None = None,
) -> Plan:
    """Decide everything, render everything; raise TemplateError listing every problem.

    What exists decides what is left: an artifact missing is created, a file without
    ``STEP_FILLED`` filled, a growth sheet without ``STEP_PROTECTED`` protected, a folder
    without ``STEP_NOTIFIED`` for ``fy`` announced (with ``notify``). ``email_template`` is
    checked for every person who would get an email, so a broken notification also stops the
    run before any write. People in ``unreachable`` (email -> why) get an empty plan that
    fails them alone. ``everyone`` is the whole roster when ``roster`` is a part of it
    (``--only``): managers, skip-levels and PBPs are looked up there, so their names fill the
    documents.
    """
    unreachable = unreachable or {}
    problems: list[Problem] = []
    people: list[PersonPlan] = []
    name_patterns = {
        ArtifactKind.FOLDER: ("names.folder", settings.names.folder),
        ArtifactKind.IGP: ("names.igp", settings.names.igp),
        ArtifactKind.TRACKER: ("names.tracker", settings.names.tracker),
        ArtifactKind.GROWTH_SHEET: ("names.growth_sheet", settings.names.growth_sheet),
    }
    for person in roster:
        if person.email in unreachable:
            people.append(
                PersonPlan(person, {}, [], {}, {}, [], False, unreachable=unreachable[person.email])
            )
            continue
        have = dict(existing.get(person.email, {}))
        context = fields.person_context(
            person, everyone or roster, fy, settings, today=today, links=_links(have)
        )
        create = [k for k in (ArtifactKind.FOLDER, *FILE_KINDS) if k not in have]
        fill = [k for k in FILE_KINDS if k in have and STEP_FILLED not in have[k].steps]
        names: dict[ArtifactKind, str] = {}
        values: dict[ArtifactKind, dict[str, str]] = {}
        try:
            for kind in create:
                where, pattern = name_patterns[kind]
                names[kind] = fields.render_text(pattern, context, where=where)
            for kind in [*create, *fill]:
                if kind in templates:
                    values[kind] = fields.render_values(
                        templates[kind].tokens, context, where=templates[kind].source
                    )
        except TemplateError as exc:
            problems += exc.problems or [Problem(person.email, exc.summary)]
            continue
        sheet = have.get(ArtifactKind.GROWTH_SHEET)
        protect = sheet is None or STEP_PROTECTED not in sheet.steps
        folder = have.get(ArtifactKind.FOLDER)
        shares, revokes = access_changes(desired_shares(person, settings), folder)
        sheet_shares, sheet_revokes = sheet_access_changes(rollup_reader(person, settings), sheet)
        told = folder is not None and STEP_NOTIFIED in folder.steps
        will_notify = notify and settings.notify.enabled and not told
        if will_notify:
            try:
                fields.render_email(
                    email_template,
                    context,
                    where=str(settings.templates.email),
                    subject=settings.notify.subject,
                )
            except TemplateError as exc:
                problems += exc.problems or [Problem(person.email, exc.summary)]
                continue
        people.append(
            PersonPlan(
                person,
                have,
                create,
                names,
                values,
                shares,
                will_notify,
                fill=fill,
                protect=protect,
                revokes=revokes,
                sheet_shares=sheet_shares,
                sheet_revokes=sheet_revokes,
            )
        )
    if problems:
        unique = list(dict.fromkeys(problems))
        raise TemplateError("templates cannot be filled; nothing was written", unique)
    return Plan(fy, people, dict(templates))


def access_changes(
    wanted: Sequence[Share], folder: Artifact | None
) -> tuple[list[Share], list[Revoke]]:
    """(shares to grant, grants to revoke) to bring ``folder``'s access to ``wanted``.

    Only careerdocs' own recorded grants (``folder.grants``) are ever revoked: those to
    someone the roster no longer names, and those whose role changed (revoked, then granted
    again with the new role, so a writer turned reader does not keep writing). Shares someone
    made by hand are never touched."""
    held = {g.lower(): r for g, r in folder.shares} if folder else {}
    granted = {g.lower(): r for g, r in folder.grants} if folder else {}
    roles = {s.grantee.lower(): s.role for s in wanted}
    revokes = [
        Revoke(
            grantee,
            role,
            NO_LONGER_GRANTED
            if grantee not in roles
            else f"their role changes from {role} to {roles[grantee]}",
        )
        for grantee, role in sorted(granted.items())
        if roles.get(grantee) != role
    ]
    revoked = {r.grantee for r in revokes}
    shares = [
        s for s in wanted if held.get(s.grantee.lower()) != s.role or s.grantee.lower() in revoked
    ]
    return shares, revokes


def _links(have: Mapping[ArtifactKind, Artifact]) -> dict[str, str]:
    return {LINK_KEYS[k]: (have[k].url if k in have else "") for k in LINK_KEYS}


@dataclass
class PersonResult:
    """What was done for one person. ``notes`` are things to tell the user that are not
    failures (a duplicate someone already edited, reported instead of deleted)."""

    email: str
    created: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    protected: bool = False
    revoked: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)
    notified: bool = False
    error: str | None = None
    artifacts: dict[ArtifactKind, Artifact] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def actions(self) -> list[str]:
        """What was done, in words, for the summary table."""
        done = []
        if self.created:
            done.append("created " + ", ".join(self.created))
        if self.filled:
            done.append("finished " + ", ".join(self.filled))
        if self.protected:
            done.append("protected")
        if self.revoked:
            done.append("revoked " + ", ".join(self.revoked))
        if self.notified:
            done.append("emailed")
        return done


@dataclass
class Result:
    fy: FiscalYear
    people: list[PersonResult]
    central: str = ""
    central_error: str | None = None
    resume_at: datetime | None = None  # when the emails a daily sending limit held back can go
    held_back: int = 0  # people whose email waits for resume_at

    @property
    def failures(self) -> dict[str, str]:
        failed = {p.email: p.error for p in self.people if p.error}
        if self.central_error:
            failed["(central sheet)"] = self.central_error
        return failed  # type: ignore[return-value]

    def counts(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "created": sum(len(p.created) for p in self.people),
            "filled": sum(len(p.filled) for p in self.people),
            "protected": sum(p.protected for p in self.people),
            "revoked": sum(len(p.revoked) for p in self.people),
            "shared": sum(len(p.shared) for p in self.people),
            "notified": sum(p.notified for p in self.people),
            "failed": sum(bool(p.error) for p in self.people),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.fy.label,
            "counts": self.counts(),
            "central": self.central,
            "failures": self.failures,
            "resume_at": self.resume_at.isoformat() if self.resume_at else None,
            "held_back": self.held_back,
            "people": [
                {
                    "email": p.email,
                    "created": p.created,
                    "filled": p.filled,
                    "protected": p.protected,
                    "revoked": p.revoked,
                    "shared": p.shared,
                    "notified": p.notified,
                    "error": p.error,
                    "notes": p.notes,
                    "links": {k.value: a.url for k, a in p.artifacts.items()},
                }
                for p in self.people
            ],
        }


def apply(
    the_plan: Plan,
    workspace: Workspace,
    settings: Settings,
    roster: Roster,
    *,
    today: date,
    audit: AuditLog = NO_AUDIT,
    workers: int = 1,
    progress: Callable[[PersonResult], None] | None = None,
    stop: threading.Event | None = None,
    senders: SenderPool | None = None,
) -> Result:
    """Carry out ``the_plan``; people run concurrently on ``workers`` threads. Once ``stop``
    is set (Ctrl-C), people not yet started are skipped: the result holds only those done,
    and the central sheet is left for the re-run that finishes the job.

    Emails come from ``senders``, else from a pool opened here (:func:`.senders.open_pool`)
    whose ledger is saved when the run ends, however it ends. A person no account can email
    today (every candidate at its daily limit) keeps the documents made and fails with when to
    run again; ``Result.resume_at`` is the earliest such time.

    The caller holds the run lock (:mod:`careerdocs.lock`): the plan was surveyed under it, so
    no other run is making the same things."""
    emails = any(p.notify for p in the_plan.people)
    email_template = read_email_template(settings) if emails else ""
    own_pool = senders is None and emails
    if own_pool:
        senders = open_pool(settings, workspace)
    lock = threading.Lock()
    held_back: list[datetime] = []

    def one(pp: PersonPlan) -> PersonResult | None:
        if stop is not None and stop.is_set():
            return None
        result = PersonResult(pp.person.email, artifacts=dict(pp.existing))
        try:
            if pp.unreachable is not None:
                raise WorkspaceError(f"cannot act as {pp.person.email}: {pp.unreachable}")
            _provision_person(
                pp,
                the_plan,
                workspace,
                settings,
                roster,
                result,
                audit,
                email_template,
                today,
                senders,
            )
        except DailyLimitReached as exc:
            result.error = f"documents ready; {exc}"
            audit.record("failed", person=pp.person.email, error=result.error)
            with lock:
                held_back.append(exc.resume_at)
        except CareerdocsError as exc:
            result.error = str(exc)
            audit.record("failed", person=pp.person.email, error=result.error)
        if progress:
            with lock:
                progress(result)
        return result

    try:
        with _batch(workspace):
            if workers > 1:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    ran = list(pool.map(one, the_plan.people))
            else:
                ran = [one(pp) for pp in the_plan.people]
    finally:
        if own_pool and senders is not None:
            senders.save()
    results = [r for r in ran if r is not None]
    outcome = Result(
        the_plan.fy, results, resume_at=min(held_back, default=None), held_back=len(held_back)
    )
    if stop is not None and stop.is_set():
        return outcome
    try:
        previous = workspace.read_central(PEOPLE_TAB)
        table = people_table(the_plan, results, previous, roster)
        if table_unchanged(table, previous):
            outcome.central = _central_location(workspace)
        else:
            outcome.central = workspace.write_central([table])
            audit.record("write_central", tabs=[PEOPLE_TAB], target=outcome.central)
    except CareerdocsError as exc:
        outcome.central_error = str(exc)
    return outcome


def _batch(workspace: Workspace) -> AbstractContextManager[None]:
    """The workspace's ``batch()`` if it has one (the local backend: one flush to disk per
    batch of people instead of one per file), else nothing."""
    batch = getattr(workspace, "batch", None)
    return batch() if callable(batch) else nullcontext()


def _central_location(workspace: Workspace) -> str:
    """Where the central sheet is, for a run that did not write it ("" if the backend cannot
    say without writing)."""
    locate = getattr(workspace, "central_url", None)
    return str(locate()) if callable(locate) else ""


def table_unchanged(
    table: Table, previous: tuple[Sequence[str], Sequence[Sequence[Any]]] | None
) -> bool:
    """Whether writing ``table`` over the tab as last read (``previous``, header and rows as
    ``read_central`` returns them) would leave its content as it is: the same managed header,
    and the same rows in the same order, cell for cell (an empty cell reads back as "" or
    None, and trailing empty cells are not read at all). Columns a user added to the right
    follow their rows by key, so they are unchanged too. A run with nothing to do thus writes
    nothing; a tab in an older layout is rewritten."""
    if previous is None:
        return False
    header, rows = previous
    width = len(table.header)
    if [str(h) for h in header[:width]] != list(table.header) or len(rows) != len(table.rows):
        return False
    return all(
        _cells(old[:width]) == _cells(new) for old, new in zip(rows, table.rows, strict=True)
    )


def _cells(row: Sequence[Any]) -> list[Any]:
    cells = ["" if cell is None else cell for cell in row]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _provision_person(
    pp: PersonPlan,
    the_plan: Plan,
    workspace: Workspace,
    settings: Settings,
    roster: Roster,
    result: PersonResult,
    audit: AuditLog,
    email_template: str,
    today: date,
    senders: SenderPool | None,
) -> None:
    """Folder, files, fill, protect, revokes, shares, email, then the email recorded. Each step
    is recorded by the workspace as it is done, so a run killed between any two finds the rest
    still to do; revokes come before shares so a changed role ends as the new one.

    The audit log gets the person's whole plan before the first write and an event after each
    write: a run killed between a write and its event has still recorded what it set out to
    do, so nothing is done that the audit log does not name."""
    email = pp.person.email
    fy = the_plan.fy.label
    arts = result.artifacts
    if not pp.up_to_date:
        audit.record("plan", person=email, fy=fy, actions=pp.describe())
    _create(pp, the_plan, workspace, result, audit)
    if pp.create:
        notes = workspace.heal(email, fy, dict(arts))
        result.notes += notes
        if notes:
            audit.record("heal", person=email, fy=fy, notes=notes)
    unfilled = [k for k in FILE_KINDS if k in arts and STEP_FILLED not in arts[k].steps]
    for kind in unfilled:
        template = the_plan.templates[kind]
        arts[kind] = workspace.fill(email, arts[kind], template, pp.values.get(kind, {}))
        if kind not in pp.create:
            result.filled.append(kind.value)
        audit.record("fill", person=email, kind=kind.value, id=arts[kind].id, fy=fy)
    if pp.protect:
        sheet = workspace.protect(
            email, arts[ArtifactKind.GROWTH_SHEET], the_plan.templates[ArtifactKind.GROWTH_SHEET]
        )
        arts[ArtifactKind.GROWTH_SHEET] = sheet
        result.protected = True
        audit.record("protect", person=email, id=sheet.id, tab_id=sheet.tab_id, fy=fy)
    _change_access(pp, workspace, result, audit)
    if pp.notify:
        assert senders is not None  # apply opens a pool whenever the plan has emails
        message = senders.deliver(
            lambda sender: compose_email(
                pp.person, roster, the_plan.fy, settings, email_template, arts, today, sender
            ),
            workspace.send_email,
            prefer=pp.person.manager_email,
        )
        audit.record("notify", person=email, fy=fy, sender=message.sender)
        arts[ArtifactKind.FOLDER] = workspace.mark(
            email, arts[ArtifactKind.FOLDER], STEP_NOTIFIED, fy
        )
        result.notified = True
        audit.record("mark", person=email, step=STEP_NOTIFIED, fy=fy)


def _create(
    pp: PersonPlan, the_plan: Plan, workspace: Workspace, result: PersonResult, audit: AuditLog
) -> None:
    email = pp.person.email
    fy = the_plan.fy.label
    for kind in pp.create:
        if kind is ArtifactKind.FOLDER:
            artifact = workspace.create_folder(email, pp.names[kind], fy)
        else:
            artifact = workspace.create_file(
                email,
                kind,
                result.artifacts[ArtifactKind.FOLDER],
                pp.names[kind],
                the_plan.templates[kind],
                pp.values.get(kind, {}),
                fy,
            )
        result.artifacts[kind] = artifact
        result.created.append(kind.value)
        audit.record(
            "create", person=email, kind=kind.value, id=artifact.id, name=artifact.name, fy=fy
        )


def _change_access(
    pp: PersonPlan, workspace: Workspace, result: PersonResult, audit: AuditLog
) -> None:
    """The folder's revokes then shares, then the growth sheet's (the rollup reader's)."""
    email = pp.person.email
    arts = result.artifacts
    for kind, revokes, shares in (
        (ArtifactKind.FOLDER, pp.revokes, pp.shares),
        (ArtifactKind.GROWTH_SHEET, pp.sheet_revokes, pp.sheet_shares),
    ):
        if not (revokes or shares):
            continue
        target = arts[kind]
        for act, changes, done, event in (
            (
                lambda s, t=target: workspace.revoke(email, t, s.grantee),
                revokes,
                result.revoked,
                "revoke",
            ),
            (
                lambda s, t=target: workspace.share(email, t, s.grantee, s.role),
                shares,
                result.shared,
                "share",
            ),
        ):
            for change in changes:
                if act(change):
                    done.append(f"{change.grantee}:{change.role}")
                    audit.record(
                        event,
                        person=email,
                        target=target.id,
                        grantee=change.grantee,
                        role=change.role,
                        why=change.why,
                    )


def compose_email(
    person: Person,
    roster: Roster,
    fy: FiscalYear,
    settings: Settings,
    template: str,
    artifacts: Mapping[ArtifactKind, Artifact],
    today: date,
    sender: str = "",
) -> Email:
    """The one email a person gets, with the links to their three documents, from ``sender``
    (chosen by the run's :class:`~careerdocs.senders.SenderPool`; "" for :func:`sender_for`)."""
    context = fields.person_context(
        person, roster, fy, settings, today=today, links=_links(artifacts)
    )
    rendered = fields.render_email(
        template, context, where=str(settings.templates.email), subject=settings.notify.subject
    )
    return Email(
        sender=sender or sender_for(settings),
        to=person.email,
        subject=rendered.subject,
        body=rendered.body,
        key=f"notify-{fy.label}-{person.email}",
    )


def sender_for(settings: Settings) -> str:
    """The account of ``notify.send_as = "admin"``: notify.sender, else the google admin, else
    a no-reply address in the first allowed domain (the local backend only writes files)."""
    return admin_sender(settings)


def people_table(
    the_plan: Plan,
    results: Sequence[PersonResult],
    previous: tuple[Sequence[str], Sequence[Sequence[Any]]] | None = None,
    roster: Roster | None = None,
) -> Table:
    """The People tab: every person, by name, and a short link to each of their documents.

    Rows for people outside this plan (``--only``, or no longer in the roster) are kept from
    ``previous``, matched to the columns by header name (an older layout's names included), so
    a run for one new hire does not drop everyone else. Managers and PBPs are shown by name when
    the roster (or the previous tab) knows them, with their email one column over.
    """
    by_email = {r.email: r for r in results}
    rows: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    for email, row in _previous_people(previous):
        rows[email] = row
        if row[0]:
            names[email] = str(row[0])
    names.update({p.email: p.name for p in roster or ()})
    names.update({pp.person.email: pp.person.name for pp in the_plan.people})
    for pp in the_plan.people:
        p = pp.person
        arts = by_email[p.email].artifacts if p.email in by_email else pp.existing
        rows[p.email] = [
            p.name,
            p.email,
            p.department,
            *_named(p.manager_email, names),
            *_named(p.pbp_email, names),
            the_plan.fy.label,
            *(
                Link(label, arts[kind].url) if kind in arts and arts[kind].url else ""
                for kind, label in PEOPLE_LINKS
            ),
        ]
    return Table(
        PEOPLE_TAB,
        PEOPLE_HEADER,
        list(rows.values()),
        key_column="Email",
        layout=PEOPLE_LAYOUT,
        former_headers=tuple(OLD_PEOPLE_NAMES),
    )


def _previous_people(
    previous: tuple[Sequence[str], Sequence[Sequence[Any]]] | None,
) -> list[tuple[str, list[Any]]]:
    """(email, row in the current layout) of each row of the People tab as it is now."""
    if not previous:
        return []
    header, old_rows = previous
    where: dict[str, int] = {}
    for index, name in enumerate(header):
        where.setdefault(OLD_PEOPLE_NAMES.get(str(name), str(name)), index)
    if "Email" not in where:
        return []
    links = {label for _, label in PEOPLE_LINKS}
    kept = []
    for row in old_rows:
        cells = [
            row[where[name]] if name in where and where[name] < len(row) else ""
            for name in PEOPLE_HEADER
        ]
        cells = [
            Link(name, cell) if name in links and isinstance(cell, str) and cell else cell
            for name, cell in zip(PEOPLE_HEADER, cells, strict=True)
        ]
        email = str(cells[1] or "").strip().lower()
        if email:
            kept.append((email, cells))
    return kept


def _named(email: str | None, names: Mapping[str, str]) -> tuple[str, str]:
    """(name, email) of someone referred to by email; ("", "") for no one."""
    if not email:
        return "", ""
    return names.get(email.lower()) or email, email


def read_email_template(settings: Settings) -> str:
    path = settings.templates.email
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(
            "cannot read the email template", [Problem(str(path), str(exc))]
        ) from None


TEMPLATE_SETTINGS = {
    ArtifactKind.IGP: "igp",
    ArtifactKind.TRACKER: "tracker",
    ArtifactKind.GROWTH_SHEET: "growth_sheet",
}


def resolve_templates(settings: Settings, workspace: Workspace) -> dict[ArtifactKind, TemplateRef]:
    """The configured templates, read once for their placeholders."""
    refs = {}
    for kind, key in TEMPLATE_SETTINGS.items():
        source = getattr(settings.templates, key)
        ref = TemplateRef(
            kind, str(source), path=source.path, google_id=source.google_file_id or None
        )
        refs[kind] = replace(ref, tokens=workspace.template_tokens(ref))
    return refs


def prepare(
    settings: Settings,
    workspace: Workspace,
    roster: Roster,
    *,
    today: date,
    notify: bool = True,
    everyone: Roster | None = None,
) -> Plan:
    """Survey what exists for ``roster`` and plan the rest; no writes. ``everyone``: the whole
    roster when ``roster`` is a part of it (see :func:`plan`)."""
    fy = fiscal_year(today, settings.fiscal_year_start_month)
    templates = resolve_templates(settings, workspace)
    existing = workspace.find_artifacts([p.email for p in roster], fy.label)
    email_template = read_email_template(settings) if notify and settings.notify.enabled else ""
    unreachable = {p.email: why for p in roster if (why := workspace.unreachable.get(p.email))}
    return plan(
        roster,
        settings,
        fy,
        existing,
        templates,
        today=today,
        notify=notify,
        email_template=email_template,
        unreachable=unreachable,
        everyone=everyone,
    )
