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
    twice.
    """

    kind: ArtifactKind
    person: str
    fy: str
    id: str
    name: str
    url: str
    modified: str = ""
    shares: tuple[tuple[str, str], ...] = ()


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
class Table:
    """One tab of the central sheet. Cells are str, int, float, bool, or None (empty).

    ``key_column`` names the header whose value identifies a row (an email), so columns a user
    added to the right of ``header`` can be carried over to the row with the same key.
    """

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    key_column: str | None = None
    chart: ChartSpec | None = None


@dataclass(frozen=True)
class ChartSpec:
    """A column chart over a table's rows: ``label_column`` on the axis, ``value_column`` bars."""

    title: str
    label_column: int
    value_column: int
    row_count: int


@dataclass(frozen=True)
class Email:
    sender: str
    to: str
    subject: str
    body: str
    cc: tuple[str, ...] = ()


@dataclass
class SheetRead:
    """The result of reading one growth sheet's Conversations tab."""

    person: str
    rows: list[list[Any]] = field(default_factory=list)
    error: str | None = None


class Workspace(Protocol):
    """Storage for careerdocs. Every method may raise :class:`careerdocs.errors.WorkspaceError`.

    Methods that take ``person`` act *as* that person where the backend has identities
    (Google: the service account impersonates them, so they own what is created).
    """

    backend: str

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
        ``values[token]`` as plain text. For the growth sheet, also protect the Conversations
        tab's Acknowledged column so that only ``person`` can edit it."""
        ...

    def share(self, person: str, target: Artifact, grantee: str, role: str) -> bool:
        """Grant ``role`` on ``target`` to ``grantee``, without a notification email from the
        storage itself. Returns False if the grantee already had that role or better."""
        ...

    def send_email(self, email: Email) -> None: ...

    def read_conversations(self, sheets: Sequence[Artifact]) -> list[SheetRead]:
        """Data rows (below the header) of each sheet's Conversations tab. A sheet that cannot be
        read yields a SheetRead with ``error`` set; it never stops the others."""
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
