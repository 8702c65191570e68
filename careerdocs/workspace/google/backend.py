"""The Google backend: Drive v3, Docs v1, Sheets v4 and Gmail v1 behind the Workspace interface.

:class:`GoogleWorkspace` is a thin facade: each API has its own module (:mod:`.drive`,
:mod:`.docs`, :mod:`.sheets`, :mod:`.gmail`) holding its requests; this class composes them into
the steps of the :class:`~careerdocs.workspace.base.Workspace` protocol. The central sheet and
roster sheets are always read and written as the admin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ...errors import GoogleAPIError, TemplateError
from .. import office
from ..base import (
    STEP_FILLED,
    STEP_PROTECTED,
    Artifact,
    ArtifactKind,
    Email,
    SheetRead,
    SheetSurvey,
    Table,
    TemplateRef,
)
from .clients import Clients
from .context import READ_WORKERS, GoogleContext, GoogleOptions
from .docs import Docs
from .drive import Drive, artifact, cleared_steps, markers, step_markers
from .fill import pending
from .gmail import Gmail
from .installed import Installer, not_installed
from .pacer import Pacer
from .reader import Reader
from .sheets import Sheets

__all__ = ["READ_WORKERS", "GoogleOptions", "GoogleWorkspace"]

GROWTH = ArtifactKind.GROWTH_SHEET


class GoogleWorkspace:
    backend = "google"

    def __init__(self, clients: Clients, pacer: Pacer, options: GoogleOptions) -> None:
        self.ctx = GoogleContext(clients, pacer, options)
        self.drive = Drive(self.ctx)
        self.docs = Docs(self.ctx)
        self.sheets = Sheets(self.ctx)
        self.gmail = Gmail(self.ctx)
        self.installer = Installer(self.ctx, self.drive)
        self.reader = Reader(self.ctx)
        # From the last survey_growth_sheets: the sheets the reader can open, those it listed
        # as changed, and whether the survey was an incremental one.
        self._reader_sees: frozenset[str] = frozenset()
        self._listed: frozenset[str] = frozenset()
        self._incremental = False

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def clients(self) -> Clients:
        return self.ctx.clients

    @property
    def pacer(self) -> Pacer:
        return self.ctx.pacer

    @property
    def options(self) -> GoogleOptions:
        return self.ctx.options

    @property
    def shared_drive(self) -> bool:
        return self.ctx.shared_drive

    def actor(self, person: str) -> str:
        """Who acts for ``person``: the person (domain-wide delegation) or the admin."""
        return self.ctx.actor(person)

    def ensure_token(self, user: str) -> None:
        """Fetch ``user``'s access token now, so a batch can carry it in each part."""
        self.ctx.ensure_token(user)

    def describe(self) -> str:
        if self.shared_drive:
            return f"Google shared drive {self.options.shared_drive_id}"
        return "each person's Google Drive (My Drive)"

    def who_acknowledges(self) -> str:
        """Who can edit the acknowledgements in a growth sheet, said plainly (doctor, README).

        Google keeps the account that adds a protection, and the file's owner, as editors of
        it. Under delegation in My Drive the person is both; otherwise the running account is
        the one adding the protection, so it can edit every person's acknowledgements too."""
        admin = self.options.admin
        if not self.shared_drive and self.clients.credentials.can_impersonate:
            return (
                "only each person: they own their growth sheet, and its Conversations tab is "
                "protected for them alone"
            )
        where = "in a shared drive" if self.shared_drive else "without domain-wide delegation"
        return (
            f"each person, and also {admin}: {where} careerdocs protects each Conversations tab "
            f"as {admin}, and Google always keeps the account that adds a protection (and the "
            "file's owner) as an editor of it, so acknowledgements are the person's or that "
            "account's; keep that account to careerdocs alone"
        )

    # -- templates ---------------------------------------------------------------------------

    def template_tokens(self, template: TemplateRef) -> tuple[str, ...]:
        from ... import fields

        if template.google_id:
            text = "\n".join(t for _, t in self._template_texts(template))
        elif template.path:
            text = office.template_text(template.path)
        else:
            raise TemplateError(f"template {template.source} has neither a path nor a Google id")
        return tuple(fields.placeholders(text))

    def _template_texts(self, template: TemplateRef) -> list[tuple[str, str]]:
        """(location, text) pairs of a Google template: A1 cells for sheets, '' for docs."""
        assert template.google_id
        try:
            if template.kind is ArtifactKind.GROWTH_SHEET:
                return self.sheets.template_cells(template.google_id)
            return [("", self.docs.text(template.google_id))]
        except GoogleAPIError as exc:
            raise TemplateError(f"cannot read Google template {template.source}: {exc}") from None

    def _resolve(self, template: TemplateRef) -> TemplateRef:
        """A shipped template as the Google copy installed from it (fill auto or copy), so
        each person's documents are copies; any other template as it is."""
        if (
            template.google_id
            or template.path is None
            or self.options.fill == "upload"
            or str(template.path) not in self.options.shipped
        ):
            return template
        return self.installer.as_copy(template)

    def _strategy(self, template: TemplateRef) -> str:
        if self.options.fill == "upload" and template.path is None:
            raise TemplateError(
                f"fill = 'upload' needs a local template file, not {template.source}"
            )
        if self.options.fill == "copy" and not template.google_id:
            raise TemplateError(f"fill = 'copy' needs a Google template id, not {template.source}")
        return "copy" if template.google_id else "upload"

    # -- finding -----------------------------------------------------------------------------

    def find_artifacts(
        self, people: Sequence[str], fy: str
    ) -> Mapping[str, Mapping[ArtifactKind, Artifact]]:
        return self.drive.find_artifacts(people, fy)

    def survey_growth_sheets(
        self, people: Sequence[str], fy: str, *, since: str | None, known: Mapping[str, str]
    ) -> SheetSurvey | None:
        """The growth sheets as ``google.reader`` finds them (see :mod:`.reader`); None where
        that view does not apply (a shared drive, a user login, a reader Google refuses).

        How the sheets are then read is decided here too. An incremental survey (``since``)
        reads its changed sheets as the reader — one token — up to what one account may read
        in a minute (Sheets allows 60 reads a minute per user, 300 per project: more would
        wait on the reader's own quota). A full survey, or a larger change, reads each sheet
        as its owner: the project's quota is the bound, and the owner sees the protection's
        editors, which Google never shows the reader."""
        self._reader_sees = self._listed = frozenset()
        self._incremental = since is not None
        if not self.reader.available():
            return None
        survey = self.reader.survey(people, fy, since, known)
        self._listed = frozenset(s.id for s in survey.sheets.values())
        self._reader_sees = self._listed | frozenset(survey.present)
        return survey

    # -- creating ----------------------------------------------------------------------------

    def create_folder(self, person: str, name: str, fy: str) -> Artifact:
        return self.drive.create_folder(person, name, fy)

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
        """Copy (and fill) or upload a filled file, recording STEP_FILLED with it.

        A growth sheet is also protected here, its protection recorded in the same Drive
        update as its fill, which saves a call per person; its one Sheets call fills a copy's
        cells too (:meth:`.sheets.Sheets.first_write`). :meth:`protect` stays the separate,
        idempotent step that a re-run after a crash uses (it returns at once for a sheet that
        already records STEP_PROTECTED)."""
        missing = [t for t in template.tokens if t not in values]
        if missing:
            raise TemplateError(f"no value for {', '.join(missing)} in {template.source}")
        template = self._resolve(template)
        user = self.actor(person)
        body: dict[str, Any] = {"name": name, "parents": [folder.id]}
        recover = self.drive.recover(person, kind, fy)
        marks = markers(person, kind, fy, template)
        if self._strategy(template) == "copy":
            assert template.google_id is not None
            if kind is GROWTH:
                self.sheets.ack_layout(template)  # a template that cannot be used: before copying
            body["appProperties"] = {**cleared_steps(), **not_installed(), **marks}
            f = self.drive.copy(user, template.google_id, body, recover)
            made = artifact(kind, person, fy, f)
            if kind is GROWTH:
                return self._protect(person, made, template, {STEP_FILLED}, values=values)
            self._fill_copy(user, kind, f["id"], template, values)
            return self._record(person, made, {STEP_FILLED})
        assert template.path is not None
        body["appProperties"] = {**marks, **step_markers([STEP_FILLED], fy)}
        source = self.sheets.upload_source(template) if kind is GROWTH else template.path
        f = self.drive.upload(user, kind, body, office.fill(source, values), recover)
        made = artifact(kind, person, fy, f)
        if kind is GROWTH:
            return self._protect(person, made, template, set(), values={})
        return made

    def _fill_copy(
        self,
        user: str,
        kind: ArtifactKind,
        file_id: str,
        template: TemplateRef,
        values: Mapping[str, str],
        *,
        only_unfilled: bool = False,
    ) -> None:
        """Fill a copy of a Google template in one pass. ``only_unfilled``: finish a copy that
        may already be filled (a crash before its fill was recorded), touching only what still
        holds the template's placeholders."""
        if not values:
            return
        assert template.google_id is not None
        texts = self._template_texts(template)  # a template that cannot be read: TemplateError
        if kind is GROWTH:
            self.sheets.fill(user, file_id, template.google_id, values, only_unfilled=only_unfilled)
            return
        text = texts[0][1]
        if only_unfilled:
            current = self.docs.read_text(user, file_id)
            if not pending(current, text, values):
                return
            text = current
        self.docs.fill(user, file_id, text, values)

    def fill(
        self,
        person: str,
        artifact: Artifact,
        template: TemplateRef,
        values: Mapping[str, str],
    ) -> Artifact:
        if STEP_FILLED in artifact.steps:
            return artifact
        template = self._resolve(template)
        if template.google_id:  # an upload is filled when created; a copy may not be
            self._fill_copy(
                self.actor(person), artifact.kind, artifact.id, template, values, only_unfilled=True
            )
        return self._record(person, artifact, {STEP_FILLED})

    def protect(self, person: str, sheet: Artifact, template: TemplateRef) -> Artifact:
        if STEP_PROTECTED in sheet.steps and sheet.tab_id is not None:
            return sheet
        return self._protect(person, sheet, self._resolve(template), set())

    def _protect(
        self,
        person: str,
        sheet: Artifact,
        template: TemplateRef,
        steps: set[str],
        *,
        values: Mapping[str, str] | None = None,
    ) -> Artifact:
        """Protect the whole Conversations tab for the person, then record STEP_PROTECTED, the
        tab id and ``steps`` in one Drive update. ``values``: the sheet was just made (values
        for a copy's cells, {} for an upload), so its ids are known and one Sheets write does
        it all; otherwise (a re-run) its tabs are read first.

        Editors are the person and, when someone else runs careerdocs for them (a shared drive,
        a user login), that account too: Google keeps the account that adds a protection as an
        editor anyway, so naming it says in the file what Google will do."""
        user = self.actor(person)
        editors = [person] if user == person else [person, user]
        if values is not None:
            tab_id = self.sheets.first_write(user, sheet.id, template, values, editors)
        else:
            tab_id = self.sheets.protect(user, sheet.id, template, editors)
        return self._record(person, sheet, {*steps, STEP_PROTECTED}, tab_id)

    def mark(self, person: str, artifact: Artifact, step: str, fy: str) -> Artifact:
        if step in artifact.steps:  # a folder's steps are those of the year it was found for
            return artifact
        return self._record(person, artifact, {step}, fy=fy)

    def _record(
        self,
        person: str,
        target: Artifact,
        steps: set[str],
        tab_id: int | None = None,
        fy: str | None = None,
    ) -> Artifact:
        """Record ``steps`` in the file's appProperties; the Artifact as the file now says."""
        if not steps:
            return target
        props = step_markers(sorted(steps), fy or target.fy, tab_id)
        f = self.drive.record(self.actor(person), target.id, props)
        updated = artifact(target.kind, person, target.fy, f, steps_fy=fy or target.fy)
        return replace(updated, shares=target.shares, grants=target.grants)

    # -- sharing and telling -----------------------------------------------------------------

    @property
    def unreachable(self) -> dict[str, str]:
        """People the last find_artifacts could not act as (email -> why)."""
        return self.drive.unreachable

    def share(self, person: str, target: Artifact, grantee: str, role: str) -> bool:
        return self.drive.share(person, target, grantee, role)

    def revoke(self, person: str, target: Artifact, grantee: str) -> bool:
        return self.drive.revoke(person, target, grantee)

    def heal(self, person: str, fy: str, kept: Mapping[ArtifactKind, Artifact]) -> list[str]:
        return self.drive.heal(person, fy, kept)

    def send_email(self, email: Email) -> None:
        self.gmail.send(email)

    # -- reading -----------------------------------------------------------------------------

    def read_conversations(self, sheets: Sequence[Artifact]) -> list[SheetRead]:
        """See :meth:`survey_growth_sheets` for who reads which sheet."""
        as_reader: frozenset[str] = frozenset()
        if self._incremental:
            listed = frozenset(s.id for s in sheets) & self._listed
            limit = self.pacer.limits.get(("sheets", "read"))
            if limit is not None and len(listed) <= limit.per_user:
                as_reader = listed
        return self.sheets.read_conversations(sheets, as_reader, self._reader_sees)

    def read_table(self, source: str) -> tuple[list[str], list[list[str]]]:
        return self.sheets.read_table(source)

    # -- the central sheet -------------------------------------------------------------------

    def central_id(self, create: bool) -> str | None:
        return self.drive.central_id(create)

    def central_url(self) -> str:
        cid = self.central_id(create=False)
        return f"https://docs.google.com/spreadsheets/d/{cid}/edit" if cid else ""

    def read_central(self, title: str) -> tuple[list[str], list[list[Any]]] | None:
        cid = self.central_id(create=False)
        if not cid:
            return None
        return self.sheets.read_central(cid, title)

    def write_central(self, tables: Sequence[Table]) -> str:
        """All tabs in one ``spreadsheets.batchUpdate``: Google applies all of it or none."""
        cid = self.central_id(create=True)
        assert cid
        return self.sheets.write_central(cid, tables)
