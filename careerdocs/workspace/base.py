"""The one interface between careerdocs' core and storage, and the values that cross it.

Two backends implement :class:`Workspace`: ``google`` (Drive, Docs, Sheets, Gmail) and ``local``
(files on disk). The core decides *what* to do (plan, statuses, policy); a backend only does it.
Backends never decide policy: who gets which role, whether an artifact is due, which domains are
allowed — all of that is settled before a call reaches here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol


class ArtifactKind(str, Enum):
    FOLDER = "folder"
    IGP = "igp"
    TRACKER = "tracker"
    GROWTH_SHEET = "growth_sheet"


DOCUMENT_KINDS = (ArtifactKind.IGP, ArtifactKind.TRACKER)
FILE_KINDS = (ArtifactKind.IGP, ArtifactKind.TRACKER, ArtifactKind.GROWTH_SHEET)

# Drive appProperties (and the local marker file) that identify what careerdocs made.
MARKER_KIND = "careerdocs_kind"
MARKER_PERSON = "careerdocs_person"
MARKER_FY = "careerdocs_fy"
MARKER_TEMPLATE = "careerdocs_template"

# Steps of a person's provisioning, recorded on the artifact they concern (Drive appProperties on
# Google, the person's marker file locally) so that a re-run after a crash at any point finishes
# exactly what is missing. A step is recorded after (or atomically with) the write it records.
STEP_FILLED = "filled"  # a file: its placeholders are filled (upload fills atomically)
STEP_PROTECTED = "protected"  # the growth sheet: the Conversations tab is protected for the person
STEP_NOTIFIED = "notified"  # the folder: the person was emailed the links for this fiscal year

# The growth sheet's tabs, and the column the person alone may edit.
CONVERSATIONS_TAB = "Conversations"
ACKNOWLEDGED_COLUMN = "Acknowledged"

# Central sheet / workbook tabs.
PEOPLE_TAB = "People"
STATUS_TAB = "Status"
SUMMARY_TAB = "Summary"
ESCALATIONS_TAB = "Escalations"


@dataclass(frozen=True)
class Artifact:
    """Something careerdocs made for one person in one fiscal year.

    ``id`` is a Drive file id (google) or a path relative to the output folder (local).
    ``modified`` is an RFC 3339 timestamp of the last change, used by incremental rollup.
    ``shares`` are the (grantee email, role) pairs already granted, so a re-run shares nothing
    twice. ``grants`` are the pairs careerdocs itself granted and recorded: only these are ever
    revoked, so a share someone made by hand is never touched.

    ``created`` is the RFC 3339 creation time (duplicates: the earliest wins). ``steps`` are the
    STEP_* recorded as done on this artifact (for the folder, ``STEP_NOTIFIED`` means notified
    in ``fy`` of the lookup). ``tab_id`` is the growth sheet's Conversations tab id recorded when
    it was protected; rollup reads that tab by id, never by name or position.
    """

    kind: ArtifactKind
    person: str
    fy: str
    id: str
    name: str
    url: str
    modified: str = ""
    shares: tuple[tuple[str, str], ...] = ()
    grants: tuple[tuple[str, str], ...] = ()
    created: str = ""
    steps: frozenset[str] = frozenset()
    tab_id: int | None = None


@dataclass(frozen=True)
class TemplateRef:
    """Where a template comes from: a local .docx/.xlsx ``path``, or a Google file ``google_id``.

    ``tokens`` are the ``{{ ... }}`` placeholders in it, exactly as written; the values for them
    are rendered by :mod:`careerdocs.fields` before the backend sees them.
    """

    kind: ArtifactKind
    source: str
    path: Path | None = None
    google_id: str | None = None
    tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    """A cell that shows a short ``label`` ("IGP") and opens ``url`` when clicked. Both backends
    write it as a real link (never a formula built from text), and read it back as a Link."""

    label: str
    url: str


class ColumnKind(str, Enum):
    """How a central-sheet column is shown. The backends turn each kind into the same look:
    a width for its content, a number format, an alignment."""

    TEXT = "text"  # free text, left-aligned
    NAME = "name"  # a person's or group's name
    EMAIL = "email"
    LINK = "link"  # Link cells: a short clickable label
    DATE = "date"  # datetime.date cells, shown "4 Dec 2026"
    DATETIME = "datetime"  # datetime cells, shown "4 Dec 2026 14:05"
    COUNT = "count"  # whole numbers
    PERCENT = "percent"  # fractions (0.5), shown "50%"
    FLAG = "flag"  # "yes" / "no"
    STATUS = "status"  # a status word, coloured by ``Layout.colours``
    NOTE = "note"  # long text that wraps


@dataclass(frozen=True)
class Layout:
    """How a central tab is presented, the same on every backend.

    ``columns`` gives one kind per managed header column (user-added columns are TEXT).
    ``frozen_columns`` stay in view when scrolling right (the header row is always frozen).
    ``colours`` maps a value of the STATUS column(s) to a background colour (``#rrggbb``),
    applied by conditional formatting so that a value typed or sorted later is still coloured.
    ``filter``: a filter on the header row. The tab prints landscape, fit to the page width,
    with the header row repeated on every page.
    """

    columns: Sequence[ColumnKind] = ()
    frozen_columns: int = 0
    colours: Sequence[tuple[str, str]] = ()
    filter: bool = True

    def kind(self, index: int) -> ColumnKind:
        return self.columns[index] if index < len(self.columns) else ColumnKind.TEXT


@dataclass(frozen=True)
class Table:
    """One tab of the central sheet. Cells are str, int, float, bool, date, datetime,
    :class:`Link`, or None (empty).

    ``key_column`` names the header whose value identifies a row (an email), so columns a user
    added to the right of ``header`` can be carried over to the row with the same key.
    ``layout`` says how the tab is presented (colours, widths, formats, frozen columns).
    ``former_headers`` are managed headers of earlier layouts of this tab: never taken for a
    user's column, so a user's columns survive a change of layout. ``position``: where the
    tab goes when it is first added (0: first); an existing tab stays where it is.
    """

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    key_column: str | None = None
    chart: ChartSpec | None = None
    layout: Layout = Layout()
    former_headers: Sequence[str] = ()
    position: int | None = None


@dataclass(frozen=True)
class ChartSpec:
    """A column chart over a table's rows: ``label_column`` on the axis, ``value_column`` bars.
    ``percent``: the values are fractions, and the value axis runs from 0 to 100 %."""

    title: str
    label_column: int
    value_column: int
    row_count: int
    percent: bool = False


@dataclass(frozen=True)
class Email:
    """One message. ``key`` names it among everything careerdocs sends (the notification of one
    person for one fiscal year: ``notify-<fy>-<person>``): a backend that can tell a message
    with that key was already sent sends it at most once (local: the outbox file's name).

    ``body`` is the plain text every mail client shows. ``html``, when set, is the same
    message as an HTML document: the backend sends multipart/alternative (plain first, HTML
    last, so a client that shows HTML picks it and any other shows the text)."""

    sender: str
    to: str
    subject: str
    body: str
    cc: tuple[str, ...] = ()
    key: str = ""
    html: str = ""


@dataclass
class SheetRead:
    """The result of reading one growth sheet's Conversations tab.

    ``rows`` are the data rows (below the header) with their cells in the order of
    ``header`` as found in the file; callers pick columns by header name, never by position.
    ``error``: the sheet could not be read (a re-run may fix it). ``untrusted``: the sheet was
    read but its Conversations tab, header or protection is not as provisioned, so nothing in it
    may count ("acknowledgements can't be trusted: the protection was removed").
    """

    person: str
    rows: list[list[Any]] = field(default_factory=list)
    error: str | None = None
    header: list[str] = field(default_factory=list)
    untrusted: str | None = None


@dataclass(frozen=True)
class SheetSurvey:
    """The fiscal year's growth sheets as one account that can open them all (Google:
    ``google.reader``) finds them, without acting as each person.

    ``sheets``: person -> their growth sheet, for every sheet listed: all of them, or on an
    incremental survey those modified after ``since``. Only sheets that are their person's count
    (Google: owned by the person the markers name); anything else is in ``rejected`` (file id ->
    why). ``present``: of the ``known`` sheets asked about, those the account still sees and that
    are still their person's, with their modification time — a known sheet missing here has left
    the account's view (its grant removed, trashed, deleted, given away) and its person must be
    looked for another way. ``cursor``: the ``since`` of the next incremental survey, taken
    before this one listed anything (less a margin for clock skew), so a change made while this
    run reads is listed again next time."""

    sheets: Mapping[str, Artifact]
    present: Mapping[str, str]
    cursor: str
    rejected: Mapping[str, str] = field(default_factory=dict)


class Workspace(Protocol):
    """Storage for careerdocs. Every method may raise :class:`careerdocs.errors.WorkspaceError`.

    Methods that take ``person`` act *as* that person where the backend has identities
    (Google: the service account impersonates them, so they own what is created).
    """

    backend: str

    #: People :meth:`find_artifacts` could not act as (no such account, suspended, delegation
    #: refused), email -> reason naming the likely cause. They are left out of its result; the
    #: core fails each of them alone (exit 3) instead of stopping the run.
    unreachable: dict[str, str]

    def describe(self) -> str:
        """Where things go, for humans ("folder ./careerdocs-output", "each person's Drive")."""
        ...

    def template_tokens(self, template: TemplateRef) -> tuple[str, ...]:
        """The placeholders in ``template`` (reads it). Raises TemplateError if unreadable."""
        ...

    def find_artifacts(
        self, people: Sequence[str], fy: str
    ) -> Mapping[str, Mapping[ArtifactKind, Artifact]]:
        """What careerdocs already made for each person in ``fy``, found by markers."""
        ...

    def create_folder(self, person: str, name: str, fy: str) -> Artifact: ...

    def create_file(
        self,
        person: str,
        kind: ArtifactKind,
        folder: Artifact,
        name: str,
        template: TemplateRef,
        values: Mapping[str, str],
        fy: str,
    ) -> Artifact:
        """Copy ``template`` into ``folder`` as ``name`` and replace each placeholder token with
        ``values[token]`` as plain text, in one pass (a value is never filled again). Returns
        the artifact with ``STEP_FILLED`` in its steps when the fill is done and recorded.
        Protection is a separate step: :meth:`protect`."""
        ...

    def fill(
        self,
        person: str,
        artifact: Artifact,
        template: TemplateRef,
        values: Mapping[str, str],
    ) -> Artifact:
        """Finish filling a file that was created but not recorded as filled (a crash between
        a copy and its fill), then record ``STEP_FILLED``. Only placeholders still present are
        replaced, so it is safe to repeat."""
        ...

    def protect(self, person: str, sheet: Artifact, template: TemplateRef) -> Artifact:
        """Protect the whole Conversations tab of ``sheet`` so that only ``person`` can edit it
        (where the backend can enforce identity), make its tick columns checkboxes, and record
        ``STEP_PROTECTED`` and the tab's id. Idempotent: an existing careerdocs protection is
        not added twice."""
        ...

    def mark(self, person: str, artifact: Artifact, step: str, fy: str) -> Artifact:
        """Record ``step`` as done on ``artifact`` (for ``STEP_NOTIFIED`` on the folder: done for
        ``fy``)."""
        ...

    def heal(self, person: str, fy: str, kept: Mapping[ArtifactKind, Artifact]) -> list[str]:
        """After a person's artifacts are made: find duplicates of them made by a concurrent run
        elsewhere (by markers), keep ``kept`` (the earliest created), move untouched later copies
        to the trash, and return one message per copy someone already edited (reported, never
        deleted). Backends where concurrent runs cannot happen return []."""
        ...

    def revoke(self, person: str, target: Artifact, grantee: str) -> bool:
        """Remove a share careerdocs granted (and recorded in ``target.grants``) to ``grantee``.
        Returns False if there was none. Never touches a share careerdocs did not make."""
        ...

    def share(self, person: str, target: Artifact, grantee: str, role: str) -> bool:
        """Grant ``role`` on ``target`` to ``grantee``, without a notification email from the
        storage itself, and record the grant (``Artifact.grants``) so it can be revoked when the
        roster changes. Returns False if the grantee already had that role or better."""
        ...

    def send_email(self, email: Email) -> None: ...

    def read_conversations(self, sheets: Sequence[Artifact]) -> list[SheetRead]:
        """Header and data rows of each sheet's Conversations tab, read by the recorded tab id,
        and verified: where the backend can enforce identity, a tab whose protection, header or
        id is not as provisioned yields ``untrusted``. A sheet that cannot be read yields
        ``error``; neither ever stops the others."""
        ...

    def read_table(self, source: str) -> tuple[list[str], list[list[str]]]:
        """Header and rows of a roster kept in a spreadsheet (``sheet:<id>[/<tab>]``)."""
        ...

    def read_central(self, title: str) -> tuple[list[str], list[list[Any]]] | None:
        """Header and rows of one central tab, or None if the tab (or the central sheet) does
        not exist yet."""
        ...

    def write_central(self, tables: Sequence[Table]) -> str:
        """Replace the given tabs of the central sheet in one atomic write; keep other tabs,
        and keep columns users added to the right of each table's header (matched by
        ``key_column``). Returns the central sheet's URL or path."""
        ...
