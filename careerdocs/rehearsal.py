"""Rehearsing the Google path end to end against the sandbox: play a team member, look at what
was made, and get a ready config.

Provision and rollup alone cannot be rehearsed to the end: rollup counts what *people* write in
their growth sheets. :func:`log_conversation` writes a Conversations row as that person, through
the Sheets API with their own (impersonated) credentials, so the sheet's protection decides
exactly as it would for them (a manager ticking *Acknowledged* is refused). :func:`export`
downloads a person's documents (Drive ``files.export``) to a folder to open them. Both refuse
to run anywhere but a sandbox on this machine: acting as someone else is a rehearsal tool,
never a way into real accounts.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import init as init_module
from .cadence import CONVERSATION_COLUMNS, CONVERSATIONS_TAB, FiscalYear
from .config import BACKEND_GOOGLE
from .endpoint import is_loopback
from .errors import CareerdocsError, InvalidInput, Problem, WorkspaceError
from .roster import read_table, roster_emails
from .workspace.base import ArtifactKind

if TYPE_CHECKING:
    from .config import Settings
    from .workspace.base import Artifact, Workspace

DATE, WITH_WHOM, TYPE, NOTES, ACKNOWLEDGED, ESCALATION = CONVERSATION_COLUMNS
TICKED, UNTICKED = "TRUE", "FALSE"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = {
    ArtifactKind.IGP: (DOCX, ".docx"),
    ArtifactKind.TRACKER: (DOCX, ".docx"),
    ArtifactKind.GROWTH_SHEET: (XLSX, ".xlsx"),
}
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def require_sandbox(settings: Settings) -> str:
    """The sandbox endpoint, or InvalidInput: these commands act as other people, which only a
    sandbox on this machine may be asked to let them do."""
    target = settings.google.endpoint
    if settings.backend_name != BACKEND_GOOGLE or not target or not is_loopback(target):
        raise InvalidInput(
            "this works only against a sandbox",
            [
                Problem(
                    "google.endpoint",
                    "must point at `careerdocs sandbox serve` on 127.0.0.1 (backend google); "
                    f"it is {target or 'not set'}",
                )
            ],
        )
    return target


def _growth_sheet(workspace: Workspace, person: str, fy: FiscalYear) -> Artifact:
    found = workspace.find_artifacts([person], fy.label).get(person, {})
    sheet = found.get(ArtifactKind.GROWTH_SHEET)
    if sheet is None:
        raise CareerdocsError(
            f"{person} has no growth sheet for {fy.label}: run `careerdocs provision` first"
        )
    return sheet


@dataclass(frozen=True)
class Conversation:
    """One row a person logs on their Conversations tab."""

    day: date
    with_whom: str
    kind: str = "career"
    notes: str = ""
    acknowledged: bool = False
    escalation: bool = False

    def cells(self) -> dict[str, str]:
        """Values by header name, as a person types them (USER_ENTERED: a date, a tick)."""
        return {
            DATE: self.day.isoformat(),
            WITH_WHOM: self.with_whom,
            TYPE: self.kind,
            NOTES: self.notes,
            ACKNOWLEDGED: TICKED if self.acknowledged else UNTICKED,
            ESCALATION: TICKED if self.escalation else UNTICKED,
        }


def row_by_header(header: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """The row for ``header`` (whatever its column order): each cell from ``values`` by its
    header name, "" under a header it does not know."""
    return [values.get(str(name).strip(), "") for name in header]


def placement(
    filled: Sequence[Sequence[str]], values: Mapping[str, str]
) -> tuple[int, int, list[str]]:
    """Where a new row goes on a tab whose first row is its header: (row number, first column
    number, cells), covering only the columns ``values`` names so that notes beside the table
    (the template's "How to log a conversation") are never overwritten, in the first row
    whose cells under those columns are all empty."""
    header = [str(h).strip() for h in filled[0]]
    known = [i for i, name in enumerate(header) if name in values]
    if not known:
        raise WorkspaceError(f"the header has none of the columns {', '.join(values)}")
    first, last = min(known), max(known)
    row = len(filled) + 1
    for number, cells in enumerate(filled[1:], start=2):
        if all(not (cells[i] if i < len(cells) else "").strip() for i in known):
            row = number
            break
    return row, first + 1, row_by_header(header[first : last + 1], values)


def log_conversation(
    settings: Settings,
    workspace: Any,
    person: str,
    fy: FiscalYear,
    talk: Conversation,
    *,
    sheet_of: str | None = None,
) -> str:
    """Append ``talk`` to the Conversations tab of ``sheet_of``'s growth sheet (default:
    ``person``'s own), acting as ``person``; returns the range written. The tab is found by the
    id provision recorded (else by its name), the columns by the header's names, never by
    position. Writing in someone else's sheet rehearses a forgery: the sandbox refuses it as
    Google would, and the refusal is raised."""
    import gspread

    require_sandbox(settings)
    sheet = _growth_sheet(workspace, sheet_of or person, fy)
    try:
        book = workspace.clients.gspread(person).open_by_key(sheet.id)
        tab = (
            book.get_worksheet_by_id(sheet.tab_id)
            if sheet.tab_id is not None
            else book.worksheet(CONVERSATIONS_TAB)
        )
        filled = tab.get_all_values()
        if not filled:
            raise WorkspaceError(f"{person}'s {CONVERSATIONS_TAB} tab has no header row")
        row, column, cells = placement(filled, talk.cells())
        at = gspread.utils.rowcol_to_a1(row, column)
        tab.update([cells], at, value_input_option="USER_ENTERED")
    except gspread.exceptions.APIError as exc:
        raise WorkspaceError(f"the sandbox refused {person}'s edit: {exc}") from None
    except gspread.exceptions.WorksheetNotFound:
        raise WorkspaceError(f"{person}'s growth sheet has no {CONVERSATIONS_TAB} tab") from None
    return f"{tab.title}!{at}"


def safe_file_name(name: str) -> str:
    return _UNSAFE_IN_FILE_NAMES.sub("_", name).strip(" .") or "document"


def export(
    settings: Settings, workspace: Any, person: str, fy: FiscalYear, out: Path
) -> list[Path]:
    """Download ``person``'s documents for ``fy`` into ``out`` as .docx and .xlsx (Drive
    ``files.export``, as the person, who owns them); returns the files written."""
    from googleapiclient.errors import HttpError

    require_sandbox(settings)
    found = workspace.find_artifacts([person], fy.label).get(person, {})
    if not any(kind in found for kind in EXPORT_FORMATS):
        raise CareerdocsError(
            f"{person} has no documents for {fy.label}: run `careerdocs provision` first"
        )
    out.mkdir(parents=True, exist_ok=True)
    drive = workspace.clients.service("drive")
    written = []
    for kind, (mime_type, suffix) in EXPORT_FORMATS.items():
        artifact = found.get(kind)
        if artifact is None:
            continue
        try:
            data = (
                drive.files()
                .export(fileId=artifact.id, mimeType=mime_type)
                .execute(http=workspace.clients.http(person))
            )
        except HttpError as exc:
            raise WorkspaceError(f"the sandbox refused to export {artifact.name}: {exc}") from None
        target = out / f"{safe_file_name(artifact.name)}{suffix}"
        target.write_bytes(data)
        written.append(target)
    return written


SANDBOX_DIR = Path(".sandbox")


def free_port() -> int:
    """A port nothing listens on now (the OS picks it), for ``sandbox serve --port 0``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def default_key_file(port: int, default_port: int) -> Path:
    """Where ``sandbox serve`` writes its key: one file per port, so a second sandbox never
    overwrites the key a config of the first one points at."""
    name = "service-account.json" if port == default_port else f"service-account-{port}.json"
    return SANDBOX_DIR / name


def sandbox_config(
    target: str,
    key_file: Path,
    config_file: Path,
    seed_roster: Path | None,
    users: Sequence[str],
) -> str:
    """A ready config for the sandbox at ``target``: the google backend, its key, the seed
    roster (its columns and domains guessed as ``careerdocs init`` does), the first PBP (else
    the first user) as admin. Relative paths are written from the config's folder."""
    base = config_file.parent
    found = init_module.guess(str(seed_roster)) if seed_roster else None
    emails = list(users) or (roster_emails(*read_table(seed_roster)) if seed_roster else [])
    admin = (found.admin if found else "") or (emails[0] if emails else "")
    if found is None and emails:
        domains = sorted({e.rpartition("@")[2] for e in emails})
        found = init_module.RosterGuess("", domains=domains)
    choices = init_module.Choices(
        backend=BACKEND_GOOGLE,
        roster=init_module.relative_to(seed_roster, base) if seed_roster else "",
        organization=found.organization if found else init_module.DEFAULT_ORGANIZATION,
        admin=admin,
        credentials=init_module.relative_to(key_file, base),
        endpoint=target,
        origin=" for `careerdocs sandbox serve`",
    )
    return init_module.render(choices, found)
