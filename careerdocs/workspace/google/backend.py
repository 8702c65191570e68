"""The Google backend: Drive v3, Docs v1, Sheets v4 and Gmail v1 behind the Workspace interface.

Identity: with a service account and domain-wide delegation, each person's artifacts are created
*as that person* (so they own them and they count against their own quota); with destination
``shared_drive`` everything is created by the admin account inside the shared drive. The central
sheet and roster sheets are always read and written as the admin.

Every call goes through the :class:`~.pacer.Pacer` (quotas, retries) and every failure comes out
as a :class:`careerdocs.errors.GoogleAPIError`.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, TypeVar

import google.auth.transport.requests
from googleapiclient.http import MediaInMemoryUpload

from ...errors import GoogleAPIError, TemplateError, WorkspaceError
from .. import office
from ..base import (
    ACKNOWLEDGED_COLUMN,
    CONVERSATIONS_TAB,
    MARKER_FY,
    MARKER_KIND,
    MARKER_PERSON,
    MARKER_TEMPLATE,
    Artifact,
    ArtifactKind,
    Email,
    SheetRead,
    Table,
    TemplateRef,
)
from .clients import Clients
from .pacer import Pacer

log = logging.getLogger(__name__)
T = TypeVar("T")

FOLDER_MIME = "application/vnd.google-apps.folder"
GDOC_MIME = "application/vnd.google-apps.document"
GSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NATIVE_MIME = {
    ArtifactKind.FOLDER: FOLDER_MIME,
    ArtifactKind.IGP: GDOC_MIME,
    ArtifactKind.TRACKER: GDOC_MIME,
    ArtifactKind.GROWTH_SHEET: GSHEET_MIME,
}
UPLOAD_MIME = {
    ArtifactKind.IGP: DOCX_MIME,
    ArtifactKind.TRACKER: DOCX_MIME,
    ArtifactKind.GROWTH_SHEET: XLSX_MIME,
}
CENTRAL_KIND = "central"
FILE_FIELDS = "id,name,mimeType,appProperties,modifiedTime,webViewLink"
LIST_FIELDS = f"nextPageToken,files({FILE_FIELDS},permissions(emailAddress,role,type))"
DRIVE_BATCH_LIMIT = 100
READ_WORKERS = 8
PAGE_SIZE = 1000
ROLE_RANK = {
    "reader": 1,
    "commenter": 2,
    "writer": 3,
    "fileOrganizer": 4,
    "organizer": 5,
    "owner": 6,
}
CHART_WIDTH_COLUMNS = 2
MAX_MARKER_VALUE = 100
OWN_FOLDER_ROLE = "writer"
CHECKBOX_COLUMNS = (ACKNOWLEDGED_COLUMN, "Escalation")
ACKNOWLEDGEMENT_NOTE = "Only the team member acknowledges their career conversations."


@dataclass(frozen=True)
class _AckLayout:
    sheet_id: int | None  # the Conversations tab's id, when the template fixes it
    column: int  # zero-based index of the Acknowledged column
    checkbox_columns: tuple[int, ...]


def _tab_id(meta: Mapping[str, Any], title: str) -> int | None:
    for sheet in meta.get("sheets", []):
        if sheet["properties"]["title"] == title:
            return int(sheet["properties"].get("sheetId", 0))
    return None


@dataclass(frozen=True)
class GoogleOptions:
    admin: str
    destination: str = "my_drive"  # or "shared_drive"
    shared_drive_id: str = ""
    central_sheet_id: str = ""
    fill: str = "auto"  # auto | copy | upload
    read_workers: int = READ_WORKERS


def _q_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _has(key: str, value: str) -> str:
    return f"appProperties has {{ key={_q_literal(key)} and value={_q_literal(value)} }}"


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _cell(value: Any) -> dict[str, Any]:
    """A Sheets CellData for ``value``, written RAW: text stays text, even '=IMPORTXML(...)'."""
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}


class GoogleWorkspace:
    backend = "google"

    def __init__(self, clients: Clients, pacer: Pacer, options: GoogleOptions) -> None:
        self.clients = clients
        self.pacer = pacer
        self.options = options
        self._central_id = options.central_sheet_id or None
        self._template_cells: dict[str, list[tuple[str, str]]] = {}
        self._layouts: dict[str, _AckLayout] = {}
        self._central_missing = False  # looked for the central sheet this run and found none

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def shared_drive(self) -> bool:
        return self.options.destination == "shared_drive"

    def actor(self, person: str) -> str:
        """Who acts for ``person``: the person (domain-wide delegation) or the admin."""
        if self.shared_drive or not self.clients.credentials.can_impersonate:
            return self.options.admin
        return person

    def _run(
        self,
        request: Any,
        *,
        api: str,
        kind: str,
        user: str,
        cost: float = 1.0,
        recover: Callable[[], Any] | None = None,
    ) -> Any:
        http = self.clients.http(user)
        return self.pacer.call(
            lambda: request.execute(http=http),
            api=api,
            kind=kind,
            user=user,
            cost=cost,
            recover=recover,
        )

    def _drive_common(self) -> dict[str, Any]:
        return {"supportsAllDrives": True} if self.shared_drive else {}

    def ensure_token(self, user: str) -> None:
        """Fetch ``user``'s access token now, so a batch can carry it in each part."""
        creds = self.clients.http(user).credentials
        if not creds.valid:
            request = google.auth.transport.requests.Request(self.clients.session(None))
            self.pacer.call(lambda: creds.refresh(request), api="oauth", kind="read", user=user)

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
        if template.google_id in self._template_cells:
            return self._template_cells[template.google_id]
        admin = self.options.admin
        try:
            if template.kind is ArtifactKind.GROWTH_SHEET:
                result = self._run(
                    self.clients.resource("sheets", "spreadsheets").get(
                        spreadsheetId=template.google_id,
                        includeGridData=True,
                        fields="sheets(properties(title),data(rowData(values(userEnteredValue))))",
                    ),
                    api="sheets",
                    kind="read",
                    user=admin,
                )
                texts = list(_sheet_strings(result))
            else:
                doc = self._run(
                    self.clients.resource("docs", "documents").get(documentId=template.google_id),
                    api="docs",
                    kind="read",
                    user=admin,
                )
                texts = [("", _doc_text(doc))]
        except GoogleAPIError as exc:
            raise TemplateError(f"cannot read Google template {template.source}: {exc}") from None
        self._template_cells[template.google_id] = texts
        return texts

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
        found: dict[str, dict[ArtifactKind, Artifact]] = {p: {} for p in people}
        if self.shared_drive:
            files = self._list_all(
                self.options.admin,
                f"{_has(MARKER_KIND, ArtifactKind.FOLDER)} or {_has(MARKER_FY, fy)}",
            )
            for f in files:
                self._collect(found, f, fy)
            return found
        queries = {p: self._person_query(p, fy) for p in people}
        for batch in _chunks(list(people), DRIVE_BATCH_LIMIT):
            for files in self._batch_list(batch, queries).values():
                for f in files:
                    self._collect(found, f, fy)
        return found

    def _person_query(self, person: str, fy: str) -> str:
        return (
            f"{_has(MARKER_PERSON, person)} and trashed = false and "
            f"({_has(MARKER_KIND, ArtifactKind.FOLDER)} or {_has(MARKER_FY, fy)}) and "
            f"{_q_literal(person)} in owners"
        )

    def _collect(
        self, found: dict[str, dict[ArtifactKind, Artifact]], f: Mapping[str, Any], fy: str
    ) -> None:
        props = f.get("appProperties") or {}
        person = props.get(MARKER_PERSON, "").lower()
        try:
            kind = ArtifactKind(props.get(MARKER_KIND, ""))
        except ValueError:
            return
        if person not in found or (kind is not ArtifactKind.FOLDER and props.get(MARKER_FY) != fy):
            return
        shares = tuple(
            sorted(
                (p["emailAddress"].lower(), p["role"])
                for p in f.get("permissions") or []
                if p.get("type") in ("user", "group") and p.get("emailAddress")
            )
        )
        artifact = Artifact(
            kind,
            person,
            props.get(MARKER_FY, fy),
            f["id"],
            f.get("name", ""),
            f.get("webViewLink", ""),
            f.get("modifiedTime", ""),
            shares,
        )
        current = found[person].get(kind)
        if current is None or artifact.modified < current.modified:
            found[person][kind] = artifact  # the oldest wins; a duplicate is never preferred

    def _list_all(self, user: str, q: str) -> list[dict[str, Any]]:
        files: list[dict[str, Any]] = []
        token = None
        extra = (
            {
                "corpora": "drive",
                "driveId": self.options.shared_drive_id,
                "includeItemsFromAllDrives": True,
            }
            if self.shared_drive
            else {}
        )
        while True:
            result = self._run(
                self.clients.resource("drive", "files").list(
                    q=f"({q}) and trashed = false",
                    fields=LIST_FIELDS,
                    pageSize=PAGE_SIZE,
                    pageToken=token,
                    **extra,
                    **self._drive_common(),
                ),
                api="drive",
                kind="read",
                user=user,
            )
            files += result.get("files", [])
            token = result.get("nextPageToken")
            if not token:
                return files

    def _batch_list(
        self, people: Sequence[str], queries: Mapping[str, str]
    ) -> dict[str, list[dict[str, Any]]]:
        """One Drive batch request listing each person's artifacts as that person.

        Parts that fail transiently are retried one by one through the pacer.
        """
        results: dict[str, list[dict[str, Any]]] = {}
        failed: list[str] = []

        def callback(request_id: str, response: Any, exception: Exception | None) -> None:
            person = people[int(request_id)]
            if exception is None and not response.get("nextPageToken"):
                results[person] = response.get("files", [])
            else:
                failed.append(person)

        drive = self.clients.service("drive")
        batch = drive.new_batch_http_request(callback=callback)
        for i, person in enumerate(people):
            self.ensure_token(person)
            self.pacer.take("drive", "read", person)
            request = self.clients.resource("drive", "files").list(
                q=queries[person], fields=LIST_FIELDS, pageSize=PAGE_SIZE
            )
            request.http = self.clients.http(person)
            batch.add(request, request_id=str(i))
        self.pacer.call(
            lambda: batch.execute(http=self.clients.http(people[0])),
            api="drive",
            kind="batch",
            user=people[0],
        )
        for person in failed:  # retry singly: transient part failures, or more than one page
            results[person] = self._list_all(person, queries[person])
        return results

    # -- creating ----------------------------------------------------------------------------

    def _markers(
        self, person: str, kind: ArtifactKind, fy: str, template: TemplateRef | None = None
    ) -> dict[str, str]:
        """The appProperties careerdocs finds its artifacts by. Drive allows 124 bytes per key
        and value, so the template is named by its Google id or its file name, never a path.
        Every marker is set explicitly: a copy would otherwise inherit the template's."""
        markers = {MARKER_KIND: kind.value, MARKER_PERSON: person, MARKER_FY: fy}
        if template is not None:
            name = (
                f"google:{template.google_id}"
                if template.google_id
                else (template.path.name if template.path else template.source)
            )
            markers[MARKER_TEMPLATE] = name[:MAX_MARKER_VALUE]
        return markers

    def _recover(self, person: str, kind: ArtifactKind, fy: str) -> Callable[[], Any]:
        """After a create got no answer: look for what it may have created anyway."""

        def look() -> dict[str, Any] | None:
            q = f"{_has(MARKER_PERSON, person)} and {_has(MARKER_KIND, kind)}"
            if kind is not ArtifactKind.FOLDER:
                q += f" and {_has(MARKER_FY, fy)}"
            files = self._list_all(self.actor(person), q)
            return files[0] if files else None

        return look

    def _artifact(self, kind: ArtifactKind, person: str, fy: str, f: Mapping[str, Any]) -> Artifact:
        return Artifact(
            kind,
            person,
            fy,
            f["id"],
            f.get("name", ""),
            f.get("webViewLink", ""),
            f.get("modifiedTime", ""),
        )

    def create_folder(self, person: str, name: str, fy: str) -> Artifact:
        user = self.actor(person)
        body = {
            "name": name,
            "mimeType": FOLDER_MIME,
            "appProperties": self._markers(person, ArtifactKind.FOLDER, fy),
        }
        if self.shared_drive:
            body["parents"] = [self.options.shared_drive_id]
        f = self._run(
            self.clients.resource("drive", "files").create(
                body=body, fields=FILE_FIELDS, **self._drive_common()
            ),
            api="drive",
            kind="write",
            user=user,
            recover=self._recover(person, ArtifactKind.FOLDER, fy),
        )
        folder = self._artifact(ArtifactKind.FOLDER, person, fy, f)
        if user != person:
            # In a shared drive (or under a user login) the admin creates the folder; the
            # person still needs to edit their own documents. Drive's owner needs no grant.
            self.share(person, folder, person, OWN_FOLDER_ROLE)
        return folder

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
        body = {
            "name": name,
            "parents": [folder.id],
            "appProperties": self._markers(person, kind, fy, template),
        }
        recover = self._recover(person, kind, fy)
        if self._strategy(template) == "copy":
            f = self._run(
                self.clients.resource("drive", "files").copy(
                    fileId=template.google_id, body=body, fields=FILE_FIELDS, **self._drive_common()
                ),
                api="drive",
                kind="write",
                user=user,
                recover=recover,
            )
            self._fill_copy(user, kind, f["id"], template, values)
        else:
            assert template.path is not None
            data = office.fill(template.path, values)
            body["mimeType"] = NATIVE_MIME[kind]
            media = MediaInMemoryUpload(data, mimetype=UPLOAD_MIME[kind], resumable=False)
            f = self._run(
                self.clients.resource("drive", "files").create(
                    body=body, media_body=media, fields=FILE_FIELDS, **self._drive_common()
                ),
                api="drive",
                kind="write",
                user=user,
                recover=recover,
            )
        if kind is ArtifactKind.GROWTH_SHEET:
            self._protect_acknowledgements(user, f["id"], person, template)
        return self._artifact(kind, person, fy, f)

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
            data = []
            for a1, text in self._template_texts(template):
                filled = text
                for token, value in values.items():
                    filled = filled.replace(token, value)
                if filled != text:
                    data.append({"range": a1, "values": [[filled]]})
            if data:
                self._run(
                    self.clients.resource("sheets", "spreadsheets.values").batchUpdate(
                        spreadsheetId=file_id, body={"valueInputOption": "RAW", "data": data}
                    ),
                    api="sheets",
                    kind="write",
                    user=user,
                )
            return
        requests = [
            {
                "replaceAllText": {
                    "containsText": {"text": token, "matchCase": True},
                    "replaceText": value,
                }
            }
            for token, value in values.items()
        ]
        self._run(
            self.clients.resource("docs", "documents").batchUpdate(
                documentId=file_id, body={"requests": requests}
            ),
            api="docs",
            kind="write",
            user=user,
        )

    def _ack_layout(self, template: TemplateRef) -> _AckLayout:
        """Where the Conversations tab and its Acknowledged column are, read once per template.

        A copy keeps its template's sheet ids, so for a Google template the tab's id is known
        too; a converted upload gets new ids, found per file (``sheet_id`` None)."""
        cached = self._layouts.get(template.source)
        if cached is not None:
            return cached
        sheet_id: int | None = None
        if template.google_id:
            admin = self.options.admin
            meta = self._run(
                self.clients.resource("sheets", "spreadsheets").get(
                    spreadsheetId=template.google_id, fields="sheets(properties(sheetId,title))"
                ),
                api="sheets",
                kind="read",
                user=admin,
            )
            sheet_id = _tab_id(meta, CONVERSATIONS_TAB)
            header = self._run(
                self.clients.resource("sheets", "spreadsheets.values").get(
                    spreadsheetId=template.google_id, range=f"{CONVERSATIONS_TAB}!1:1"
                ),
                api="sheets",
                kind="read",
                user=admin,
            ).get("values", [[]])[0]
        else:
            assert template.path is not None
            tab = office.read_tab(template.path, CONVERSATIONS_TAB)
            header = tab[0] if tab else []
        if (sheet_id is None and template.google_id) or not header:
            raise TemplateError(f"template {template.source} has no {CONVERSATIONS_TAB} tab")
        if ACKNOWLEDGED_COLUMN not in header:
            raise TemplateError(
                f"template {template.source}: {CONVERSATIONS_TAB} has no "
                f"{ACKNOWLEDGED_COLUMN} column"
            )
        layout = _AckLayout(
            sheet_id,
            header.index(ACKNOWLEDGED_COLUMN),
            tuple(i for i, h in enumerate(header) if h in CHECKBOX_COLUMNS),
        )
        self._layouts[template.source] = layout
        return layout

    def _protect_acknowledgements(
        self, user: str, sheet_id: str, person: str, template: TemplateRef
    ) -> None:
        """Make the Acknowledged column a range only the person can edit, with checkboxes."""
        layout = self._ack_layout(template)
        tab_id = layout.sheet_id
        if tab_id is None:
            meta = self._run(
                self.clients.resource("sheets", "spreadsheets").get(
                    spreadsheetId=sheet_id, fields="sheets(properties(sheetId,title))"
                ),
                api="sheets",
                kind="read",
                user=user,
            )
            tab_id = _tab_id(meta, CONVERSATIONS_TAB)
            if tab_id is None:
                raise WorkspaceError(f"{sheet_id} lost its {CONVERSATIONS_TAB} tab on upload")
        col = layout.column
        column = {
            "sheetId": tab_id,
            "startRowIndex": 1,
            "startColumnIndex": col,
            "endColumnIndex": col + 1,
        }
        requests: list[dict[str, Any]] = [
            {
                "setDataValidation": {
                    "range": {
                        "sheetId": tab_id,
                        "startRowIndex": 1,
                        "startColumnIndex": i,
                        "endColumnIndex": i + 1,
                    },
                    "rule": {"condition": {"type": "BOOLEAN"}, "strict": True},
                }
            }
            for i in layout.checkbox_columns
        ]
        requests.append(
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": column,
                        "description": ACKNOWLEDGEMENT_NOTE,
                        "warningOnly": False,
                        "editors": {"users": [person]},
                    }
                }
            }
        )
        self._run(
            self.clients.resource("sheets", "spreadsheets").batchUpdate(
                spreadsheetId=sheet_id, body={"requests": requests}
            ),
            api="sheets",
            kind="write",
            user=user,
        )

    # -- sharing and telling -----------------------------------------------------------------

    def share(self, person: str, target: Artifact, grantee: str, role: str) -> bool:
        held = dict(target.shares).get(grantee.lower())
        if held and ROLE_RANK.get(held, 0) >= ROLE_RANK.get(role, 0):
            return False
        body = {"type": "user", "role": role, "emailAddress": grantee}
        self._run(
            self.clients.resource("drive", "permissions").create(
                fileId=target.id,
                body=body,
                sendNotificationEmail=False,
                fields="id",
                **self._drive_common(),
            ),
            api="drive",
            kind="write",
            user=self.actor(person),
        )
        return True

    def send_email(self, email: Email) -> None:
        msg = EmailMessage()
        msg["From"] = email.sender
        msg["To"] = email.to
        if email.cc:
            msg["Cc"] = ", ".join(email.cc)
        msg["Subject"] = email.subject
        msg.set_content(email.body)
        raw = base64.urlsafe_b64encode(msg.as_bytes()).decode("ascii")
        self._run(
            self.clients.resource("gmail", "users.messages").send(userId="me", body={"raw": raw}),
            api="gmail",
            kind="write",
            user=email.sender,
            cost=100,
        )

    # -- reading -----------------------------------------------------------------------------

    def read_conversations(self, sheets: Sequence[Artifact]) -> list[SheetRead]:
        def read(sheet: Artifact) -> SheetRead:
            try:
                result = self._run(
                    self.clients.resource("sheets", "spreadsheets.values").get(
                        spreadsheetId=sheet.id,
                        range=f"{CONVERSATIONS_TAB}!A2:Z",
                        valueRenderOption="UNFORMATTED_VALUE",
                        dateTimeRenderOption="SERIAL_NUMBER",
                    ),
                    api="sheets",
                    kind="read",
                    user=self.actor(sheet.person),
                )
            except GoogleAPIError as exc:
                return SheetRead(sheet.person, error=str(exc))
            return SheetRead(sheet.person, rows=result.get("values", []))

        if not sheets:
            return []
        with ThreadPoolExecutor(max_workers=self.options.read_workers) as pool:
            return list(pool.map(read, sheets))

    def read_table(self, source: str) -> tuple[list[str], list[list[str]]]:
        spec = source.removeprefix("sheet:")
        sheet_id, _, tab = spec.partition("/")
        rng = tab or "A:ZZ"
        if tab:
            rng = "'" + tab.replace("'", "''") + "'"
        result = self._run(
            self.clients.resource("sheets", "spreadsheets.values").get(
                spreadsheetId=sheet_id, range=rng
            ),
            api="sheets",
            kind="read",
            user=self.options.admin,
        )
        values = result.get("values", [])
        if not values:
            return [], []
        return [str(h) for h in values[0]], [[str(c) for c in row] for row in values[1:]]

    # -- the central sheet -------------------------------------------------------------------

    def central_id(self, create: bool) -> str | None:
        if self._central_id:
            return self._central_id
        files = (
            []
            if self._central_missing
            else self._list_all(self.options.admin, _has(MARKER_KIND, CENTRAL_KIND))
        )
        self._central_missing = not files
        if files:
            self._central_id = sorted(files, key=lambda f: f.get("modifiedTime", ""))[0]["id"]
        elif create:
            body = {
                "name": "careerdocs — career conversations",
                "mimeType": GSHEET_MIME,
                "appProperties": {MARKER_KIND: CENTRAL_KIND},
            }
            if self.shared_drive:
                body["parents"] = [self.options.shared_drive_id]
            f = self._run(
                self.clients.resource("drive", "files").create(
                    body=body, fields="id", **self._drive_common()
                ),
                api="drive",
                kind="write",
                user=self.options.admin,
            )
            self._central_id = f["id"]
        return self._central_id

    def central_url(self) -> str:
        cid = self.central_id(create=False)
        return f"https://docs.google.com/spreadsheets/d/{cid}/edit" if cid else ""

    def _central_meta(self, cid: str) -> list[dict[str, Any]]:
        meta = self._run(
            self.clients.resource("sheets", "spreadsheets").get(
                spreadsheetId=cid,
                fields="sheets(properties(sheetId,title,gridProperties),charts(chartId))",
            ),
            api="sheets",
            kind="read",
            user=self.options.admin,
        )
        return meta.get("sheets", [])

    def read_central(self, title: str) -> tuple[list[str], list[list[Any]]] | None:
        cid = self.central_id(create=False)
        if not cid:
            return None
        tabs = {s["properties"]["title"] for s in self._central_meta(cid)}
        if title not in tabs:
            return None
        return self._read_tabs(cid, [title])[title]

    def _read_tabs(
        self, cid: str, titles: Sequence[str]
    ) -> dict[str, tuple[list[str], list[list[Any]]]]:
        if not titles:
            return {}
        ranges = ["'" + t.replace("'", "''") + "'" for t in titles]
        result = self._run(
            self.clients.resource("sheets", "spreadsheets.values").batchGet(
                spreadsheetId=cid, ranges=ranges, valueRenderOption="UNFORMATTED_VALUE"
            ),
            api="sheets",
            kind="read",
            user=self.options.admin,
        )
        out: dict[str, tuple[list[str], list[list[Any]]]] = {}
        for title, vr in zip(titles, result.get("valueRanges", []), strict=False):
            values = vr.get("values", [])
            out[title] = ([str(h) for h in values[0]] if values else [], values[1:])
        return out

    def write_central(self, tables: Sequence[Table]) -> str:
        """All tabs in one ``spreadsheets.batchUpdate``: Google applies all of it or none."""
        cid = self.central_id(create=True)
        assert cid
        existing = {s["properties"]["title"]: s for s in self._central_meta(cid)}
        old = self._read_tabs(cid, [t.title for t in tables if t.title in existing])
        used_ids = {s["properties"]["sheetId"] for s in existing.values()}
        requests: list[dict[str, Any]] = []
        for table in tables:
            header, rows = office.merge_user_columns(table, old.get(table.title))
            sheet = existing.get(table.title)
            # a chart is anchored to the right of the table: its anchor cell must be in the grid
            columns = len(header) + (CHART_WIDTH_COLUMNS + 1 if table.chart else 0)
            if sheet is None:
                sheet_id = max(used_ids | {0}) + 1
                used_ids.add(sheet_id)
                requests.append(
                    {
                        "addSheet": {
                            "properties": {
                                "sheetId": sheet_id,
                                "title": table.title,
                                "gridProperties": {
                                    "rowCount": len(rows) + 1,
                                    "columnCount": columns,
                                    "frozenRowCount": 1,
                                },
                            }
                        }
                    }
                )
            else:
                sheet_id = sheet["properties"]["sheetId"]
                requests += [
                    {"deleteEmbeddedObject": {"objectId": c["chartId"]}}
                    for c in sheet.get("charts", [])
                ]
            requests += _replace_grid_requests(sheet_id, sheet, header, rows, columns)
            if table.chart:
                requests.append(_chart_request(sheet_id, table, len(header)))
        self._run(
            self.clients.resource("sheets", "spreadsheets").batchUpdate(
                spreadsheetId=cid, body={"requests": requests}
            ),
            api="sheets",
            kind="write",
            user=self.options.admin,
        )
        return f"https://docs.google.com/spreadsheets/d/{cid}/edit"


def _replace_grid_requests(
    sheet_id: int,
    sheet: Mapping[str, Any] | None,
    header: list[str],
    rows: list[list[Any]],
    columns: int,
) -> list[dict[str, Any]]:
    """Resize the tab to ``columns`` and the rows, clear it, write header + rows as RAW cells."""
    grid = (sheet or {}).get("properties", {}).get("gridProperties", {})
    need_rows, need_cols = len(rows) + 1, max(columns, 1)
    requests: list[dict[str, Any]] = []
    if sheet is not None:
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": sheet_id,
                        "gridProperties": {
                            "rowCount": max(need_rows, 1),
                            "columnCount": max(need_cols, 1),
                            "frozenRowCount": 1,
                        },
                    },
                    "fields": "gridProperties(rowCount,columnCount,frozenRowCount)",
                }
            }
        )
        if grid:
            requests.append(
                {"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue"}}
            )
    data = [header, *rows]
    requests.append(
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": [_cell(v) for v in row]} for row in data],
                "fields": "userEnteredValue",
            }
        }
    )
    requests.append(
        {
            "repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1},
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                "fields": "userEnteredFormat.textFormat.bold",
            }
        }
    )
    return requests


def _chart_request(sheet_id: int, table: Table, width: int) -> dict[str, Any]:
    chart = table.chart
    assert chart is not None

    def column(index: int) -> dict[str, Any]:
        return {
            "sourceRange": {
                "sources": [
                    {
                        "sheetId": sheet_id,
                        "startRowIndex": 0,
                        "endRowIndex": chart.row_count + 1,
                        "startColumnIndex": index,
                        "endColumnIndex": index + 1,
                    }
                ]
            }
        }

    return {
        "addChart": {
            "chart": {
                "spec": {
                    "title": chart.title,
                    "basicChart": {
                        "chartType": "COLUMN",
                        "legendPosition": "NO_LEGEND",
                        "headerCount": 1,
                        "domains": [{"domain": column(chart.label_column)}],
                        "series": [
                            {"series": column(chart.value_column), "targetAxis": "LEFT_AXIS"}
                        ],
                    },
                },
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": 1,
                            "columnIndex": width + CHART_WIDTH_COLUMNS,
                        }
                    }
                },
            }
        }
    }


def _doc_text(doc: Mapping[str, Any]) -> str:
    parts: list[str] = []

    def walk(content: Sequence[Mapping[str, Any]]) -> None:
        for element in content:
            for run in element.get("paragraph", {}).get("elements", []):
                parts.append(run.get("textRun", {}).get("content", ""))
            for row in element.get("table", {}).get("tableRows", []):
                for cell in row.get("tableCells", []):
                    walk(cell.get("content", []))

    walk(doc.get("body", {}).get("content", []))
    return "".join(parts)


def _sheet_strings(spreadsheet: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(A1 cell, text) of every string cell of a spreadsheet read with grid data."""
    for sheet in spreadsheet.get("sheets", []):
        title = sheet["properties"]["title"]
        quoted = "'" + title.replace("'", "''") + "'"
        for data in sheet.get("data", []):
            for r, row in enumerate(data.get("rowData", [])):
                for c, cell in enumerate(row.get("values", [])):
                    text = (cell.get("userEnteredValue") or {}).get("stringValue")
                    if text:
                        yield f"{quoted}!{_column_letter(c)}{r + 1}", text


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters
