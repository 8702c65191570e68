"""The local backend: a folder per person with .docx and .xlsx files, and a central .xlsx workbook.

Layout under ``output_dir``::

    <folder name>/.careerdocs.json   the marker: whose folder this is and what careerdocs made in it
    <folder name>/<name>.docx        IGP and accomplishment tracker
    <folder name>/<name>.xlsx        growth plan sheet
    outbox/notify-<fy>-<to>.eml      notification emails, for someone to send

The marker plays the part of Drive's appProperties: artifacts are found by reading markers, never
by remembering, so renaming a folder keeps it found and deleting a file by hand makes the next
provision recreate it. Each document also carries its own id (person, kind, fiscal year; see
:mod:`careerdocs.workspace.stamp`), so a document renamed by hand is still found, and one that
landed while a killed run had not yet recorded it is adopted instead of refused forever.

The marker records each step of a person's provisioning, written right after the step it
records: a file's ``filled`` and ``protected`` steps, and per fiscal year whether the person was
``notified``. A person has one folder for every fiscal year; its shares are recorded there (files
inherit them, as in Drive) together with which of them careerdocs granted (``grants``, the only
ones it ever revokes), but nothing is shared on disk. Every file is written to a temporary name
in the same folder and moved into place, so nothing is ever half-written, and no existing
document is ever overwritten: a person's edits are sacred.

Two runs at once over the same folder would both see a person as missing: every writing command
holds the configuration's run lock (:mod:`careerdocs.lock`) for its whole run.

Speed at a company's scale (thousands of people) comes from three things. Templates are parsed
once per run (:func:`careerdocs.workspace.office.prepared`). Markers are read once per run:
:meth:`LocalWorkspace.find_artifacts` indexes every folder by person, so making a folder does
not read every other marker again. And inside :meth:`LocalWorkspace.batch` (what ``provision``
uses) durability is one flush per batch of people instead of one ``fsync`` per file: documents
and emails land at once (temporary name, then rename) without waiting for the disk; their
markers are kept in memory and, every :data:`FLUSH_EVERY` folders and when the batch ends,
written after one flush has made every document and email durable, and then flushed again.
So a marker never records a file the disk might not have, whatever stops the run; a kill
loses only marker updates, and the next run finds their documents by the id inside each and
adopts them, as it does after any kill between a write and its record.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from io import BytesIO
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from .. import fields
from ..errors import CareerdocsError, TemplateError, WorkspaceError
from . import office, stamp, xlsx_reader
from .base import (
    CONVERSATIONS_TAB,
    MARKER_FY,
    MARKER_KIND,
    MARKER_PERSON,
    STEP_FILLED,
    STEP_NOTIFIED,
    STEP_PROTECTED,
    Artifact,
    ArtifactKind,
    Email,
    SheetRead,
    Table,
    TemplateRef,
)

log = logging.getLogger(__name__)

MARKER_FILE = ".careerdocs.json"
MARKER_VERSION = 2  # 2: steps, grants and ids inside documents
OUTBOX = "outbox"
SUFFIXES = {
    ArtifactKind.IGP: office.DOCX_SUFFIX,
    ArtifactKind.TRACKER: office.DOCX_SUFFIX,
    ArtifactKind.GROWTH_SHEET: office.XLSX_SUFFIX,
}
ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3}

# File names: characters Windows or POSIX refuse, and C0/C1 control characters. Accents, emoji
# and every other letter are kept.
UNSAFE_NAME_CHARS = re.compile('[/\\\\:*?"<>|\x00-\x1f\x7f-\x9f]')
NAME_REPLACEMENT = "_"
WINDOWS_RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)]
)
MAX_NAME_BYTES = 200  # below the usual 255-byte limit, leaving room for suffixes
MAX_NAME_ATTEMPTS = 1000
EMAIL_TIME_FORMAT = "%Y%m%dT%H%M%S.%fZ"
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"
# Growth sheets are read by several processes from this many a process (fewer are read faster
# than the processes start and hand their results back), on at most this many.
READ_IN_PROCESSES_FROM = 250
MAX_READING_PROCESSES = 8
# Inside a batch, markers are written (after a flush) once this many folders have changes
# waiting: what a kill can cost the next run is adopting that many people's documents again.
FLUSH_EVERY = 64

# Keys of the marker file, besides the shared MARKER_* constants.
KEY_VERSION = "version"
KEY_FOLDER = "folder"
KEY_NAME = "name"
KEY_FILE = "file"
KEY_TEMPLATE = "template"
KEY_CREATED = "created"
KEY_YEARS = "years"
KEY_ARTIFACTS = "artifacts"
KEY_SHARES = "shares"
KEY_GRANTS = "grants"
KEY_STEPS = "steps"


class LocalWorkspace:
    """Careerdocs storage in ``output_dir`` and the central workbook at ``central_workbook``.

    A file on disk cannot tell the person from their manager, so nothing here enforces identity:
    growth sheets are never reported ``untrusted`` and nobody is ever ``unreachable``.
    """

    backend = "local"

    #: Called with the path of each document right after it lands on disk and before the marker
    #: records it: the window a killed run leaves open. Tests set it (a ``staticmethod``) to
    #: simulate that kill.
    after_document_write: Callable[[Path], None] | None = None

    def __init__(self, output_dir: Path, central_workbook: Path) -> None:
        self.output_dir = Path(output_dir).expanduser().resolve()
        self.central_workbook = Path(central_workbook).expanduser().resolve()
        self.unreachable: dict[str, str] = {}
        self._lock = threading.RLock()
        # person (casefolded) -> their folder, from the last full read of the markers plus the
        # folders made since; None until the first read. The run lock keeps other runs out.
        self._folders: dict[str, Path] | None = None
        # Inside batch(): markers changed but not yet written, and files written but not yet
        # flushed to disk. None outside a batch (every write is then durable at once).
        self._pending: dict[Path, dict[str, Any]] | None = None
        self._unsynced: list[Path] = []
        self._batches = 0
        # Growth sheets this workspace wrote protected, with their stat when written: while
        # a file's stat is unchanged, its protection need not be read back.
        self._written_protected: dict[Path, tuple[int, int, int]] = {}

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Within the block, durability is per batch (see the module's docstring): markers
        are written every :data:`FLUSH_EVERY` folders and when the block ends, each time
        after one flush of everything written before them. An exception or Ctrl-C ends the
        block with a flush, keeping what was done; a kill keeps every file but loses the
        marker updates not yet written, which the next run recovers. Blocks can nest."""
        with self._lock:
            self._batches += 1
            if self._pending is None:
                self._pending = {}
        try:
            yield
        except (Exception, KeyboardInterrupt):
            self._end_batch()
            raise
        else:
            self._end_batch()
        finally:
            with self._lock:
                self._batches -= 1
                if self._batches == 0:
                    self._pending = None

    def _end_batch(self) -> None:
        with self._lock:
            if self._batches == 1:
                self._flush()

    def _flush(self) -> None:
        """Make every file written so far durable, then write the waiting markers and make
        them durable too. The caller holds the lock."""
        pending = self._pending or {}
        if not pending and not self._unsynced:
            return
        _make_durable(self._unsynced)
        self._unsynced = []
        written = []
        for folder, marker in pending.items():
            with _io(f"cannot write the marker in {folder}"):
                _write_marker(folder, marker, durable=False)
            written.append(folder / MARKER_FILE)
        pending.clear()
        _make_durable(written)

    def _load_marker(self, folder: Path) -> dict[str, Any]:
        """The marker of ``folder`` as this workspace last left it: waiting in a batch, or on
        disk."""
        with self._lock:
            if self._pending is not None and folder in self._pending:
                return self._pending[folder]
        return _read_marker(folder)

    def _save_marker(self, folder: Path, marker: dict[str, Any]) -> None:
        """Record ``marker``: at once, durably, outside a batch; inside one, when the batch
        flushes (see :meth:`batch`)."""
        with self._lock:
            if self._pending is None:
                with _io(f"cannot write the marker in {folder}"):
                    _write_marker(folder, marker)
                return
            self._pending[folder] = marker
            if len(self._pending) >= FLUSH_EVERY:
                self._flush()

    def _write_file(self, target: Path, data: bytes, *, replace: bool = True) -> None:
        """Write a document or an email: durable at once outside a batch; inside one, at the
        next flush, which comes before any marker that records it is written."""
        with self._lock:
            durable = self._pending is None
        _write_atomically(target, data, replace=replace, durable=durable)
        if not durable:
            with self._lock:
                self._unsynced.append(target)

    def describe(self) -> str:
        return f"folder {self.output_dir}"

    # -- templates ---------------------------------------------------------------------------

    def template_tokens(self, template: TemplateRef) -> tuple[str, ...]:
        return tuple(fields.placeholders(office.template_text(_template_path(template))))

    # -- finding -----------------------------------------------------------------------------

    def find_artifacts(
        self, people: Sequence[str], fy: str
    ) -> Mapping[str, Mapping[ArtifactKind, Artifact]]:
        """Every person asked for is a key; a file deleted by hand is not reported. If two
        folders claim the same person (a copied folder), the one created first wins.

        A document the marker does not record for ``fy`` (or records under a name that is
        gone) is looked for by the id inside it; such a document comes back with the steps the
        marker recorded for it, none if it was never recorded, so the next step adopts it."""
        wanted = {person.casefold(): person for person in people}
        found: dict[str, dict[ArtifactKind, Artifact]] = {person: {} for person in people}
        for folder, marker in self._markers():
            person = wanted.pop(marker[MARKER_PERSON].casefold(), None)
            if person is not None:
                found[person] = self._artifacts(folder, marker, person, fy)
        return found

    def _markers(self) -> list[tuple[Path, dict[str, Any]]]:
        """(folder, marker) of every careerdocs folder, oldest first; also indexes the folders
        by person (the oldest folder of a person wins, as in :meth:`find_artifacts`)."""
        with _io(f"cannot list {self.output_dir}"):
            if not self.output_dir.is_dir():
                folders = []
            else:
                folders = [p for p in self.output_dir.iterdir() if _is_person_folder(p)]
        markers = [(folder, self._load_marker(folder)) for folder in folders]
        markers.sort(key=lambda fm: (str(fm[1].get(KEY_CREATED, "")), fm[0].name))
        index: dict[str, Path] = {}
        for folder, marker in markers:
            index.setdefault(marker[MARKER_PERSON].casefold(), folder)
        with self._lock:
            self._folders = index
        return markers

    def _folder_of(self, person: str) -> tuple[Path, dict[str, Any]] | None:
        """The person's folder and marker, from the index when it has them (checked against
        the marker; a folder gone or changed by hand sends it back to reading every marker)."""
        key = person.casefold()
        with self._lock:
            index = self._folders
        if index is None:
            self._markers()
            with self._lock:
                index = self._folders or {}
        folder = index.get(key)
        if folder is None:
            return None
        if _is_person_folder(folder):
            try:
                marker = self._load_marker(folder)
            except WorkspaceError:
                marker = None
            if marker is not None and marker[MARKER_PERSON].casefold() == key:
                return folder, marker
        return next((fm for fm in self._markers() if fm[1][MARKER_PERSON].casefold() == key), None)

    def _artifacts(
        self, folder: Path, marker: Mapping[str, Any], person: str, fy: str
    ) -> dict[ArtifactKind, Artifact]:
        found = {ArtifactKind.FOLDER: self._folder_artifact(folder, marker, person, fy)}
        stamped: dict[str, Path] | None = None
        for kind in SUFFIXES:
            path = _recorded_file(folder, marker, fy, kind.value)
            if path is None or not path.is_file():
                if stamped is None:
                    stamped = _stamped_files(folder, person, fy)
                path = stamped.get(kind.value)
            if path is not None:
                found[kind] = self._file_artifact(folder, marker, person, fy, kind, path)
        return found

    def _folder_artifact(
        self, folder: Path, marker: Mapping[str, Any], person: str, fy: str
    ) -> Artifact:
        year = _year(marker, fy)
        return replace(
            self._artifact(
                ArtifactKind.FOLDER, person, marker[MARKER_FY], folder, marker[KEY_NAME], marker
            ),
            steps=frozenset(_steps(year)),
            grants=_grants(marker),
        )

    def _file_artifact(
        self,
        folder: Path,
        marker: Mapping[str, Any],
        person: str,
        fy: str,
        kind: ArtifactKind,
        path: Path,
    ) -> Artifact:
        """The document at ``path`` with what the marker recorded for ``kind`` in ``fy``; a
        document the marker does not record (yet) has no steps."""
        entry = _entry(marker, fy, kind.value)
        recorded = entry is not None and entry.get(KEY_FILE) == path.name
        name = str(entry.get(KEY_NAME, path.stem)) if recorded and entry else path.stem
        artifact = self._artifact(kind, person, fy, path, name, marker)
        return replace(artifact, steps=frozenset(_steps(entry)) if recorded else frozenset())

    def _artifact(
        self,
        kind: ArtifactKind,
        person: str,
        fy: str,
        path: Path,
        name: str,
        marker: Mapping[str, Any],
    ) -> Artifact:
        with _io(f"cannot read {path}"):
            stat = path.stat()
        return Artifact(
            kind,
            person,
            fy,
            path.relative_to(self.output_dir).as_posix(),
            name,
            path.as_uri(),
            _rfc3339(stat.st_mtime),
            _shares(marker),
            created=str(marker.get(KEY_CREATED, "")),
        )

    # -- creating ----------------------------------------------------------------------------

    def create_folder(self, person: str, name: str, fy: str) -> Artifact:
        """The person's existing folder if they have one (whatever it is called now), else a new
        one named ``name`` made filesystem-safe, with `` (2)``, `` (3)``… if that name is taken."""
        existing = self._folder_of(person)
        folder, marker = existing or self._claim_folder(person, name, fy)
        return self._folder_artifact(folder, marker, person, fy)

    def _claim_folder(self, person: str, name: str, fy: str) -> tuple[Path, dict[str, Any]]:
        """Build the folder with its marker under a hidden temporary name, then rename it into
        place, so a careerdocs folder never exists without its marker."""
        base = safe_name(name)
        marker = {
            KEY_VERSION: MARKER_VERSION,
            MARKER_PERSON: person,
            MARKER_FY: fy,
            KEY_NAME: name,
            KEY_FOLDER: base,
            KEY_CREATED: _rfc3339(datetime.now(timezone.utc).timestamp()),
            KEY_SHARES: {},
            KEY_GRANTS: {},
            KEY_YEARS: {},
        }
        staging = self.output_dir / f"{TEMP_PREFIX}{uuid.uuid4().hex}{TEMP_SUFFIX}"
        with _io(f"cannot create a folder in {self.output_dir}"):
            staging.mkdir(parents=True)
            try:
                _write_atomically(staging / MARKER_FILE, _marker_bytes(marker))
                folder = _rename_to_free_name(staging, base)
            finally:
                if staging.exists():
                    shutil.rmtree(staging)
        with self._lock:
            if self._folders is not None:
                self._folders.setdefault(person.casefold(), folder)
        if folder.name != base:
            marker[KEY_FOLDER] = folder.name
            self._save_marker(folder, marker)
        return folder, marker

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
        """Fill the template into ``<folder>/<name>.docx|.xlsx``, with careerdocs' id inside it,
        and record it (``STEP_FILLED``: a local file only ever lands filled). A growth sheet's
        Conversations tab is protected as it is written (see :meth:`protect`): its header row is
        locked (no password) and every data cell, Acknowledged included, is left editable: a
        file on disk cannot tell the person from their manager, so locking the tick would only
        lock out the person who must make it.

        Raises TemplateError for an unreadable template or a placeholder without a value, and
        WorkspaceError if the file exists or ``kind`` was already made this fiscal year (a
        document that landed unrecorded is found by :meth:`find_artifacts` and adopted by
        :meth:`fill`, never made twice)."""
        if kind not in SUFFIXES:
            raise WorkspaceError(f"create_file cannot make a {kind.value}; use create_folder")
        path = _template_path(template)
        if path.suffix.lower() != SUFFIXES[kind]:
            raise TemplateError(
                f"template {path} for the {kind.value} must be a {SUFFIXES[kind]} file"
            )
        directory, marker = self._owned_folder(person, folder)
        target = directory / _file_name(name, SUFFIXES[kind])
        _refuse_existing(marker, directory, target, person, kind, fy)
        protected = kind is ArtifactKind.GROWTH_SHEET
        data = office.fill(
            path, values, protect_layout=protected, identity=_identity(person, kind, fy)
        )
        with _io(f"cannot write {target}"):
            self._write_file(target, data, replace=False)
            if protected:
                with self._lock:
                    self._written_protected[target] = _signature(target)
        if self.after_document_write is not None:
            self.after_document_write(target)
        with self._lock:
            entry = _record_file(marker, fy, kind, target, name, template.source)
            _add_step(entry, STEP_FILLED)
            self._save_marker(directory, marker)
        return self._file_artifact(directory, marker, person, fy, kind, target)

    def fill(
        self,
        person: str,
        artifact: Artifact,
        template: TemplateRef,
        values: Mapping[str, str],
    ) -> Artifact:
        """Adopt a document that landed but was not recorded (a run killed between the write and
        the marker): a local file is filled before it lands, so only the record is missing.
        Placeholders are never filled again, since a value may itself look like one."""
        directory, marker, path = self._owned_file(person, artifact)
        with self._lock:
            entry = _record_file(
                marker, artifact.fy, artifact.kind, path, artifact.name, template.source
            )
            _add_step(entry, STEP_FILLED)
            self._save_marker(directory, marker)
        return self._file_artifact(directory, marker, person, artifact.fy, artifact.kind, path)

    def protect(self, person: str, sheet: Artifact, template: TemplateRef) -> Artifact:
        """Make sure the growth sheet's Conversations tab carries sheet protection (added, with
        the file rewritten whole, only when it is missing: an older sheet, or protection removed
        by hand) and record ``STEP_PROTECTED``. A file on disk cannot know who edits it, so this
        guards against slips, not intent; the local tab id is not recorded (read by name)."""
        if sheet.kind is not ArtifactKind.GROWTH_SHEET:
            raise WorkspaceError(f"only a growth sheet can be protected, not a {sheet.kind.value}")
        directory, marker, path = self._owned_file(person, sheet)
        with self._lock:
            written = self._written_protected.pop(path, None)
        try:
            unchanged = written is not None and written == _signature(path)
            data = None if unchanged else office.protect_conversations(path)
        except CareerdocsError:
            raise
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise WorkspaceError(f"cannot protect {path}: {exc}") from None
        if data is not None:
            with _io(f"cannot write {path}"):
                identity = _identity(person, sheet.kind, sheet.fy)
                self._write_file(path, stamp.stamp(data, identity))
            if self.after_document_write is not None:
                self.after_document_write(path)
        with self._lock:
            entry = _record_file(marker, sheet.fy, sheet.kind, path, sheet.name, "")
            _add_step(entry, STEP_PROTECTED)
            self._save_marker(directory, marker)
        return self._file_artifact(directory, marker, person, sheet.fy, sheet.kind, path)

    def mark(self, person: str, artifact: Artifact, step: str, fy: str) -> Artifact:
        """Record ``step`` in the marker: on the folder, for ``fy``; on a file, for its year."""
        if artifact.kind is ArtifactKind.FOLDER:
            directory, marker = self._owned_folder(person, artifact)
            with self._lock:
                _add_step(marker[KEY_YEARS].setdefault(fy, {}), step)
                self._save_marker(directory, marker)
            return self._folder_artifact(directory, marker, person, fy)
        directory, marker, path = self._owned_file(person, artifact)
        with self._lock:
            entry = _record_file(marker, artifact.fy, artifact.kind, path, artifact.name, "")
            _add_step(entry, step)
            self._save_marker(directory, marker)
        return self._file_artifact(directory, marker, person, artifact.fy, artifact.kind, path)

    def heal(self, person: str, fy: str, kept: Mapping[ArtifactKind, Artifact]) -> list[str]:
        """Nothing to heal: the run lock keeps a second run off the same folder."""
        return []

    def _owned_folder(self, person: str, folder: Artifact) -> tuple[Path, dict[str, Any]]:
        """The directory of ``folder`` (or of the folder a file artifact is in) and its marker,
        checked to belong to ``person``."""
        directory = self.output_dir / folder.id.split("/", 1)[0]
        if directory.parent != self.output_dir or not _is_person_folder(directory):
            raise WorkspaceError(f"{folder.id!r} is not a careerdocs folder in {self.output_dir}")
        marker = self._load_marker(directory)
        if marker[MARKER_PERSON].casefold() != person.casefold():
            raise WorkspaceError(
                f"folder {directory.name!r} belongs to {marker[MARKER_PERSON]}, not {person}"
            )
        return directory, marker

    def _owned_file(self, person: str, artifact: Artifact) -> tuple[Path, dict[str, Any], Path]:
        """Like :meth:`_owned_folder` for a document, with the document's path, checked to be
        one careerdocs made for ``person`` (by the marker or by the id inside it)."""
        directory, marker = self._owned_folder(person, artifact)
        path = self.output_dir / artifact.id
        if path.parent != directory or not path.is_file():
            raise WorkspaceError(f"{artifact.id!r} is not a document in {directory}")
        recorded = _recorded_file(directory, marker, artifact.fy, artifact.kind.value)
        identity = stamp.read_stamp(path)
        if recorded != path and identity != _identity(person, artifact.kind, artifact.fy):
            raise WorkspaceError(f"{path} is not the {artifact.kind.value} careerdocs made")
        return directory, marker, path

    # -- sharing and telling -----------------------------------------------------------------

    def share(self, person: str, target: Artifact, grantee: str, role: str) -> bool:
        """Record ``role`` for ``grantee`` on the person's folder, as a careerdocs grant; nothing
        is shared on disk. A stronger role already recorded is kept (reader < commenter <
        writer)."""
        if role not in ROLE_RANK:
            raise WorkspaceError(f"unknown role {role!r}; expected one of {', '.join(ROLE_RANK)}")
        directory, marker = self._owned_folder(person, target)
        with self._lock:
            shares = marker[KEY_SHARES]
            key = grantee.strip().lower()
            held = shares.get(key)
            if held is not None and ROLE_RANK.get(held, 0) >= ROLE_RANK[role]:
                return False
            shares[key] = role
            marker[KEY_GRANTS][key] = role
            self._save_marker(directory, marker)
        return True

    def revoke(self, person: str, target: Artifact, grantee: str) -> bool:
        """Remove the share careerdocs granted to ``grantee``; False if it granted none. A
        share recorded without a grant (added to the marker by hand) is never touched."""
        directory, marker = self._owned_folder(person, target)
        key = grantee.strip().lower()
        with self._lock:
            granted = marker[KEY_GRANTS].pop(key, None)
            if granted is None:
                return False
            if marker[KEY_SHARES].get(key) == granted:
                del marker[KEY_SHARES][key]
            self._save_marker(directory, marker)
        return True

    def send_email(self, email: Email) -> None:
        """Write the message as an .eml file (UTF-8, RFC 822; multipart/alternative when it has
        an HTML part) in the outbox for a person or a mail client to send. A message with a
        ``key`` goes to ``outbox/<key>.eml`` at most once: if that file exists it was sent
        already (a run killed before recording it), so nothing is written. Without a key:
        ``outbox/<UTC time>-<to>.eml``, never replacing a file."""
        message = _message(email)
        outbox = self.output_dir / OUTBOX
        with _io(f"cannot write to {outbox}"):
            outbox.mkdir(parents=True, exist_ok=True)
            if email.key:
                target = outbox / f"{safe_name(email.key)}.eml"
                with suppress(FileExistsError):  # sent already, by this run or a killed one
                    self._write_file(target, message, replace=False)
                return
            stem = f"{datetime.now(timezone.utc).strftime(EMAIL_TIME_FORMAT)}-{safe_name(email.to)}"
            for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
                suffix = "" if attempt == 1 else f"-{attempt}"
                try:
                    with open(outbox / f"{stem}{suffix}.eml", "xb") as out:
                        out.write(message)
                    with self._lock:
                        if self._pending is not None:
                            self._unsynced.append(outbox / f"{stem}{suffix}.eml")
                    return
                except FileExistsError:
                    continue
        raise WorkspaceError(f"no free file name for {stem}.eml in {outbox}")

    # -- reading -----------------------------------------------------------------------------

    def read_conversations(self, sheets: Sequence[Artifact]) -> list[SheetRead]:
        """Header and rows, values as stored: dates come back as ``datetime``, ticks as
        ``bool``. Never ``untrusted``: a file on disk cannot prove who edited it.

        Many sheets are read by one process per core (a sheet costs ~3 ms of CPU: 2,000 are
        worth spreading). The processes are forked, never spawned: a spawned process runs the
        caller's main script again, and a script without a ``__main__`` guard would provision
        again from each one. Forking is safe only where no other thread could hold a lock at
        that instant, so only on Linux when this is the process's one thread; otherwise, or where
        processes cannot be started, the sheets are read here."""
        paths = [(sheet.person, self.output_dir / sheet.id) for sheet in sheets]
        processes = _reading_processes(len(paths))
        if processes > 1:
            size = -(-len(paths) // processes)
            chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
            try:
                with ProcessPoolExecutor(processes, mp_context=get_context("fork")) as pool:
                    return [read for chunk in pool.map(_read_sheets, chunks) for read in chunk]
            except (OSError, BrokenProcessPool) as exc:
                log.info("reading the growth sheets in this process: %s", exc)
        return _read_sheets(paths)

    def read_table(self, source: str) -> tuple[list[str], list[list[str]]]:
        raise WorkspaceError(
            f"the local backend cannot read {source!r}: rosters kept in a Google Sheet need the "
            "google backend; export the sheet as CSV and use that file instead"
        )

    # -- the central workbook ----------------------------------------------------------------

    def central_url(self) -> str:
        """Where the central workbook is (what :meth:`write_central` returns)."""
        return str(self.central_workbook)

    def read_central(self, title: str) -> tuple[list[str], list[list[Any]]] | None:
        if not self.central_workbook.exists():
            return None
        return self._read_central_tabs([title]).get(title)

    def _read_central_tabs(
        self, titles: Sequence[str]
    ) -> dict[str, tuple[list[str], list[list[Any]]]]:
        """The tabs of ``titles`` that exist, links read as links (see xlsx_reader.read_tabs)."""
        try:
            return xlsx_reader.read_tabs(self.central_workbook, titles, links=True)
        except Exception as exc:  # zipfile, lxml and openpyxl's conversions: a damaged file
            raise self._unreadable(exc) from None

    def write_central(self, tables: Sequence[Table]) -> str:
        """Replace the tabs of ``tables`` and keep every other tab. The new workbook is built in
        memory and moved into place whole, so a failure leaves the previous one untouched.
        Other tabs keep their cells, styles and charts; openpyxl drops what it cannot read
        (shapes, slicers, and images unless Pillow is installed)."""
        exists = self.central_workbook.exists()
        titles = [t.title for t in tables]
        old = self._read_central_tabs(titles) if exists else {}
        workbook = self._load_central(titles) if exists else Workbook()
        blank = None if exists else workbook.active
        for table in tables:
            header, rows = office.merge_user_columns(table, old.get(table.title))
            office.write_tab(workbook, table, header, rows)
        if blank is not None and tables and blank in workbook.worksheets:
            workbook.remove(blank)
        data = _workbook_bytes(workbook, self.central_workbook)
        with _io(f"cannot write {self.central_workbook}"):
            self.central_workbook.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.central_workbook, data)
        return str(self.central_workbook)

    def _load_central(self, replaced: Sequence[str]) -> Workbook:
        """The workbook to rewrite, the tabs about to be ``replaced`` loaded empty."""
        try:
            return xlsx_reader.load_for_rewrite(self.central_workbook, replaced)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: Exception) -> WorkspaceError:
        return WorkspaceError(
            f"cannot read {self.central_workbook} ({exc}); move it aside to start a new one"
        )


# -- reading growth sheets -------------------------------------------------------------------


def _reading_processes(sheets: int) -> int:
    """How many processes read ``sheets`` growth sheets (1: this one; see read_conversations)."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_READING_PROCESSES, sheets // READ_IN_PROCESSES_FROM))


def _read_sheets(paths: Sequence[tuple[str, Path]]) -> list[SheetRead]:
    """Each (person, path)'s Conversations tab; runs in a worker process too."""
    return [_read_sheet(person, path) for person, path in paths]


def _read_sheet(person: str, path: Path) -> SheetRead:
    if not path.is_file():
        return SheetRead(person, error=f"{path} does not exist")
    try:
        table = office.read_tab(path, CONVERSATIONS_TAB)
    except Exception as exc:  # a damaged or foreign file must not stop the other sheets
        return SheetRead(person, error=f"cannot read {path}: {exc}")
    if table is None:
        return SheetRead(person, error=f"{path} has no {CONVERSATIONS_TAB!r} tab")
    header, rows = table
    return SheetRead(person, rows=rows, header=header)


# -- names -----------------------------------------------------------------------------------


def safe_name(name: str) -> str:
    """``name`` as a file or folder name on any common filesystem: reserved punctuation and
    control characters become ``_``, surrounding spaces and trailing dots go, a leading dot
    (hidden file) and Windows device names get a ``_``, and it is cut to fit."""
    cleaned = UNSAFE_NAME_CHARS.sub(NAME_REPLACEMENT, name).strip().rstrip(". ")
    if cleaned.startswith("."):
        cleaned = NAME_REPLACEMENT + cleaned[1:]
    if cleaned.split(".")[0].upper() in WINDOWS_RESERVED_NAMES:
        cleaned = NAME_REPLACEMENT + cleaned
    cleaned = cleaned.encode()[:MAX_NAME_BYTES].decode(errors="ignore").rstrip(". ")
    if not cleaned:
        raise WorkspaceError(f"{name!r} cannot be used as a file name")
    return cleaned


def _file_name(name: str, suffix: str) -> str:
    base = safe_name(name)
    return base if base.lower().endswith(suffix) else base + suffix


def _is_person_folder(path: Path) -> bool:
    return not path.name.startswith(TEMP_PREFIX) and (path / MARKER_FILE).is_file()


def _rename_to_free_name(staging: Path, base: str) -> Path:
    """Move ``staging`` to ``base``, else ``base (2)``, …: the first name nobody uses. A rename
    onto an existing non-empty directory fails, so two callers can never get the same one."""
    for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
        name = base if attempt == 1 else f"{base} ({attempt})"
        candidate = staging.parent / name
        if name.casefold() == OUTBOX or candidate.exists():
            continue
        try:
            staging.rename(candidate)
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError:
            if candidate.exists():  # ENOTEMPTY: someone else's folder got there first
                continue
            raise
        return candidate
    raise WorkspaceError(f"no free folder name for {base!r} in {staging.parent}")


# -- markers ---------------------------------------------------------------------------------


def _read_marker(folder: Path) -> dict[str, Any]:
    """The marker of ``folder``; WorkspaceError if it is damaged, since guessing could put a
    second set of documents beside the first."""
    path = folder / MARKER_FILE
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"cannot read {path}: {exc}; repair or delete it") from None
    if not (
        isinstance(marker, dict)
        and isinstance(marker.get(MARKER_PERSON), str)
        and isinstance(marker.setdefault(KEY_SHARES, {}), dict)
        and isinstance(marker.setdefault(KEY_YEARS, {}), dict)
    ):
        raise WorkspaceError(f"{path} is not a careerdocs marker; repair or delete it")
    marker.setdefault(MARKER_FY, "")
    marker.setdefault(KEY_NAME, folder.name)
    if marker.get(KEY_VERSION, 1) < MARKER_VERSION:
        _upgrade(marker)
    if not isinstance(marker.setdefault(KEY_GRANTS, {}), dict):
        raise WorkspaceError(f"{path} is not a careerdocs marker; repair or delete it")
    return marker


def _upgrade(marker: dict[str, Any]) -> None:
    """Read a version-1 marker as what version 1 did: every share was careerdocs' grant, every
    recorded file was written filled (and a growth sheet protected), and a person was emailed
    when their files were made, so a year with recorded files counts as notified."""
    marker.setdefault(KEY_GRANTS, dict(marker[KEY_SHARES]))
    for year in marker[KEY_YEARS].values():
        artifacts = year.get(KEY_ARTIFACTS) if isinstance(year, dict) else None
        if not isinstance(artifacts, dict) or not artifacts:
            continue
        year.setdefault(KEY_STEPS, [STEP_NOTIFIED])
        for kind, entry in artifacts.items():
            if isinstance(entry, dict):
                done = [STEP_FILLED, STEP_PROTECTED] if kind == "growth_sheet" else [STEP_FILLED]
                entry.setdefault(KEY_STEPS, done)
    marker[KEY_VERSION] = MARKER_VERSION


def _write_marker(folder: Path, marker: Mapping[str, Any], *, durable: bool = True) -> None:
    """Save ``marker`` in ``folder``, noting the folder's current name (it may have been
    renamed by hand)."""
    data = _marker_bytes({**marker, KEY_FOLDER: folder.name})
    _write_atomically(folder / MARKER_FILE, data, durable=durable)


def _marker_bytes(marker: Mapping[str, Any]) -> bytes:
    return (json.dumps(marker, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _year(marker: Mapping[str, Any], fy: str) -> Mapping[str, Any] | None:
    year = marker[KEY_YEARS].get(fy)
    return year if isinstance(year, dict) else None


def _entry(marker: Mapping[str, Any], fy: str, kind: str) -> dict[str, Any] | None:
    """What the marker records for the ``kind`` of ``fy``, tolerating hand-edited markers."""
    year = _year(marker, fy)
    artifacts = year.get(KEY_ARTIFACTS) if year is not None else None
    entry = artifacts.get(kind) if isinstance(artifacts, dict) else None
    return entry if isinstance(entry, dict) else None


def _recorded_file(folder: Path, marker: Mapping[str, Any], fy: str, kind: str) -> Path | None:
    """Where the marker says the ``kind`` of ``fy`` is, tolerating hand-edited markers."""
    entry = _entry(marker, fy, kind)
    file = entry.get(KEY_FILE) if entry is not None else None
    if not isinstance(file, str) or "/" in file or file.startswith(TEMP_PREFIX):
        return None
    return folder / file


def _record_file(
    marker: dict[str, Any], fy: str, kind: ArtifactKind, path: Path, name: str, template: str
) -> dict[str, Any]:
    """The marker's entry for ``path`` as the ``kind`` of ``fy``, made (with no steps yet) if
    the marker recorded another file or none: recorded steps belong to one file."""
    year = marker[KEY_YEARS].setdefault(fy, {})
    artifacts = year.setdefault(KEY_ARTIFACTS, {})
    entry = artifacts.get(kind.value)
    if not isinstance(entry, dict) or entry.get(KEY_FILE) != path.name:
        entry = {KEY_FILE: path.name, KEY_NAME: name, KEY_TEMPLATE: template, KEY_STEPS: []}
        artifacts[kind.value] = entry
    if template and not entry.get(KEY_TEMPLATE):
        entry[KEY_TEMPLATE] = template
    return entry


def _steps(record: Mapping[str, Any] | None) -> list[str]:
    steps = record.get(KEY_STEPS) if record is not None else None
    return [s for s in steps if isinstance(s, str)] if isinstance(steps, list) else []


def _add_step(record: dict[str, Any], step: str) -> None:
    steps = _steps(record)
    if step not in steps:
        steps.append(step)
    record[KEY_STEPS] = steps


def _shares(marker: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(marker[KEY_SHARES].items()))


def _grants(marker: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(marker[KEY_GRANTS].items()))


def _identity(person: str, kind: ArtifactKind, fy: str) -> dict[str, str]:
    """The id written inside each document: whose it is, what it is, for which year."""
    return {MARKER_PERSON: person.lower(), MARKER_KIND: kind.value, MARKER_FY: fy}


def _stamped_files(
    folder: Path, person: str, fy: str, *, skip: Collection[str] = ()
) -> dict[str, Path]:
    """Documents in ``folder`` whose id says they are ``person``'s for ``fy``, by kind. Two
    with one id (a copy made by hand) resolve to the oldest, then the first by name. Files
    named in ``skip`` (recorded as other kinds: careerdocs wrote their ids) are not opened."""
    found: dict[str, tuple[float, str, Path]] = {}
    with _io(f"cannot list {folder}"):
        candidates = [
            p
            for p in folder.iterdir()
            if p.suffix.lower() in (office.DOCX_SUFFIX, office.XLSX_SUFFIX)
            and not p.name.startswith(TEMP_PREFIX)
            and p.name not in skip
            and p.is_file()
        ]
        for path in candidates:
            identity = stamp.read_stamp(path)
            if identity is None or identity.get(MARKER_FY) != fy:
                continue
            if identity.get(MARKER_PERSON, "").casefold() != person.casefold():
                continue
            kind = identity.get(MARKER_KIND, "")
            rank = (path.stat().st_mtime, path.name, path)
            if kind not in found or rank < found[kind]:
                found[kind] = rank
    return {kind: rank[2] for kind, rank in found.items()}


# -- files -----------------------------------------------------------------------------------


def _refuse_existing(
    marker: Mapping[str, Any],
    directory: Path,
    target: Path,
    person: str,
    kind: ArtifactKind,
    fy: str,
) -> None:
    """A person's edits are sacred: never replace a file, never make a second one of a kind
    (recorded in the marker, or found by the id inside it)."""
    recorded = _recorded_file(directory, marker, fy, kind.value)
    if recorded is None or not recorded.is_file():
        others = {
            path.name
            for other in SUFFIXES
            if other is not kind and (path := _recorded_file(directory, marker, fy, other.value))
        }
        recorded = _stamped_files(directory, person, fy, skip=others).get(kind.value)
    if recorded is not None:
        raise WorkspaceError(f"the {kind.value} for {fy} already exists as {recorded}")
    if target.exists():
        raise WorkspaceError(
            f"{target} already exists; careerdocs never overwrites a person's document"
        )


def _template_path(template: TemplateRef) -> Path:
    if template.google_id:
        raise TemplateError(
            f"template {template.source} is a Google file; Google templates need the google backend"
        )
    if template.path is None:
        raise TemplateError(f"template {template.source} has no file path")
    return template.path


def _write_atomically(
    target: Path, data: bytes, *, replace: bool = True, durable: bool = True
) -> None:
    """Write ``data`` to a hidden temporary file beside ``target``, flush it to disk (unless
    not ``durable``: the caller makes it durable later, see :func:`_make_durable`), then move
    it over ``target`` in one step: readers see the old file or the new one, never a mix."""
    temporary = target.with_name(f"{TEMP_PREFIX}{target.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
    try:
        with open(temporary, "xb") as out:
            out.write(data)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        if not replace and target.exists():
            raise FileExistsError(f"{target} appeared while it was being written")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _make_durable(paths: Sequence[Path]) -> None:
    """Flush ``paths`` (files written without ``fsync``) and the directories that name them to
    disk. On Linux one ``sync()`` does it for every file at once and returns when the disk has
    them (sync(2): "since Linux 1.3.20 sync does wait"); elsewhere, where ``sync`` may return
    early, each file and directory is flushed on its own."""
    if not paths:
        return
    if sys.platform.startswith("linux"):
        os.sync()
        return
    directories = list(dict.fromkeys(p.parent for p in paths)) if os.name == "posix" else []
    for path in [*paths, *directories]:
        with suppress(FileNotFoundError), _io(f"cannot flush {path} to disk"):
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


def _signature(path: Path) -> tuple[int, int, int]:
    """What tells that a file changed: size, modification time and inode."""
    info = path.stat()
    return info.st_size, info.st_mtime_ns, info.st_ino


def _workbook_bytes(workbook: Workbook, path: Path) -> bytes:
    out = BytesIO()
    try:
        workbook.save(out)
    except Exception as exc:  # openpyxl raises many types for a value it cannot serialise
        raise WorkspaceError(f"cannot write {path}: {exc}") from None
    return out.getvalue()


def _message(email: Email) -> bytes:
    message = EmailMessage()
    try:
        message["From"] = email.sender
        message["To"] = email.to
        if email.cc:
            message["Cc"] = ", ".join(email.cc)
        message["Subject"] = email.subject
        message["Date"] = format_datetime(datetime.now(timezone.utc))
        message.set_content(email.body, charset="utf-8")
        if email.html:
            message.add_alternative(email.html, subtype="html", charset="utf-8")
    except (ValueError, TypeError) as exc:
        raise WorkspaceError(f"cannot write the email to {email.to}: {exc}") from None
    return message.as_bytes()


def _rfc3339(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def _io(what: str) -> Iterator[None]:
    """Turn an operating-system error into a WorkspaceError saying what was being done."""
    try:
        yield
    except CareerdocsError:
        raise
    except OSError as exc:
        raise WorkspaceError(f"{what}: {exc.strerror or exc}") from None
