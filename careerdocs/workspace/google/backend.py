"""The Google backend: Drive v3, Docs v1, Sheets v4 and Gmail v1 behind the Workspace interface.

:class:`GoogleWorkspace` is a thin facade: each API has its own module (:mod:`.drive`,
:mod:`.docs`, :mod:`.sheets`, :mod:`.gmail`) holding its requests; this class composes them into
the steps of the :class:`~careerdocs.workspace.base.Workspace` protocol. The central sheet and
roster sheets are always read and written as the admin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import GoogleAPIError, TemplateError
from .. import office
from ..base import (
    Artifact,
    ArtifactKind,
    Email,
    SheetRead,
    Table,
    TemplateRef,
)
from .clients import Clients
from .context import READ_WORKERS, GoogleContext, GoogleOptions
from .docs import Docs
from .drive import Drive, artifact, markers
from .gmail import Gmail
from .pacer import Pacer
from .sheets import Sheets

__all__ = ["READ_WORKERS", "GoogleOptions", "GoogleWorkspace"]


class GoogleWorkspace:
    backend = "google"

    def __init__(self, clients: Clients, pacer: Pacer, options: GoogleOptions) -> None:
        self.ctx = GoogleContext(clients, pacer, options)
        self.drive = Drive(self.ctx)
        self.docs = Docs(self.ctx)
        self.sheets = Sheets(self.ctx)
        self.gmail = Gmail(self.ctx)

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
        missing = [t for t in template.tokens if t not in values]
        if missing:
            raise TemplateError(f"no value for {', '.join(missing)} in {template.source}")
        user = self.actor(person)
        body: dict[str, Any] = {
            "name": name,
            "parents": [folder.id],
            "appProperties": markers(person, kind, fy, template),
        }
        recover = self.drive.recover(person, kind, fy)
        if self._strategy(template) == "copy":
            assert template.google_id is not None
            f = self.drive.copy(user, template.google_id, body, recover)
            self._fill_copy(user, kind, f["id"], template, values)
        else:
            assert template.path is not None
            f = self.drive.upload(user, kind, body, office.fill(template.path, values), recover)
        if kind is ArtifactKind.GROWTH_SHEET:
            self.sheets.protect_acknowledgements(user, f["id"], person, template)
        return artifact(kind, person, fy, f)

    def _fill_copy(
        self,
        user: str,
        kind: ArtifactKind,
        file_id: str,
        template: TemplateRef,
        values: Mapping[str, str],
    ) -> None:
        if not values:
            return
        if kind is ArtifactKind.GROWTH_SHEET:
            assert template.google_id is not None
            self._template_texts(template)  # a template that cannot be read is a TemplateError
            self.sheets.fill(user, file_id, template.google_id, values)
            return
        self.docs.fill(user, file_id, values)

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
        return self.sheets.read_conversations(sheets)

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
