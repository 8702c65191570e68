"""Drive v3: files and folders, their markers (appProperties), finding them again (one batch
of per-person listings), sharing, and recovering a create that got no answer.

Identity: with a service account and domain-wide delegation, each person's artifacts are created
*as that person* (so they own them and they count against their own quota); with destination
``shared_drive`` everything is created by the admin account inside the shared drive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from googleapiclient.http import MediaInMemoryUpload

from ..base import (
    MARKER_FY,
    MARKER_KIND,
    MARKER_PERSON,
    MARKER_TEMPLATE,
    Artifact,
    ArtifactKind,
    TemplateRef,
)
from .context import GoogleContext

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
CENTRAL_NAME = "careerdocs — career conversations"
FILE_FIELDS = "id,name,mimeType,appProperties,modifiedTime,webViewLink"
LIST_FIELDS = f"nextPageToken,files({FILE_FIELDS},permissions(emailAddress,role,type))"
DRIVE_BATCH_LIMIT = 100
PAGE_SIZE = 1000
ROLE_RANK = {
    "reader": 1,
    "commenter": 2,
    "writer": 3,
    "fileOrganizer": 4,
    "organizer": 5,
    "owner": 6,
}
MAX_MARKER_VALUE = 100
OWN_FOLDER_ROLE = "writer"


def _q_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _has(key: str, value: str) -> str:
    return f"appProperties has {{ key={_q_literal(key)} and value={_q_literal(value)} }}"


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def markers(
    person: str, kind: ArtifactKind, fy: str, template: TemplateRef | None = None
) -> dict[str, str]:
    """The appProperties careerdocs finds its artifacts by. Drive allows 124 bytes per key
    and value, so the template is named by its Google id or its file name, never a path.
    Every marker is set explicitly: a copy would otherwise inherit the template's."""
    found = {MARKER_KIND: kind.value, MARKER_PERSON: person, MARKER_FY: fy}
    if template is not None:
        name = (
            f"google:{template.google_id}"
            if template.google_id
            else (template.path.name if template.path else template.source)
        )
        found[MARKER_TEMPLATE] = name[:MAX_MARKER_VALUE]
    return found


def artifact(kind: ArtifactKind, person: str, fy: str, f: Mapping[str, Any]) -> Artifact:
    """The Artifact for a Drive file resource read with FILE_FIELDS."""
    return Artifact(
        kind,
        person,
        fy,
        f["id"],
        f.get("name", ""),
        f.get("webViewLink", ""),
        f.get("modifiedTime", ""),
    )


class Drive:
    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx
        self._central_id = ctx.options.central_sheet_id or None
        self._central_missing = False  # looked for the central sheet this run and found none

    def _files(self) -> Any:
        return self.ctx.clients.resource("drive", "files")

    # -- finding -----------------------------------------------------------------------------

    def find_artifacts(
        self, people: Sequence[str], fy: str
    ) -> Mapping[str, Mapping[ArtifactKind, Artifact]]:
        found: dict[str, dict[ArtifactKind, Artifact]] = {p: {} for p in people}
        if self.ctx.shared_drive:
            files = self.list_all(
                self.ctx.options.admin,
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
        found_artifact = Artifact(
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
        if current is None or found_artifact.modified < current.modified:
            found[person][kind] = found_artifact  # the oldest wins; a duplicate is never preferred

    def list_all(self, user: str, q: str) -> list[dict[str, Any]]:
        """Every untrashed file matching ``q`` that ``user`` can see, all pages."""
        files: list[dict[str, Any]] = []
        token = None
        extra = (
            {
                "corpora": "drive",
                "driveId": self.ctx.options.shared_drive_id,
                "includeItemsFromAllDrives": True,
            }
            if self.ctx.shared_drive
            else {}
        )
        while True:
            result = self.ctx.run(
                self._files().list(
                    q=f"({q}) and trashed = false",
                    fields=LIST_FIELDS,
                    pageSize=PAGE_SIZE,
                    pageToken=token,
                    **extra,
                    **self.ctx.drive_common(),
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

        clients = self.ctx.clients
        batch = clients.service("drive").new_batch_http_request(callback=callback)
        for i, person in enumerate(people):
            self.ctx.ensure_token(person)
            self.ctx.pacer.take("drive", "read", person)
            request = self._files().list(q=queries[person], fields=LIST_FIELDS, pageSize=PAGE_SIZE)
            request.http = clients.http(person)
            batch.add(request, request_id=str(i))
        self.ctx.pacer.call(
            lambda: batch.execute(http=clients.http(people[0])),
            api="drive",
            kind="batch",
            user=people[0],
        )
        for person in failed:  # retry singly: transient part failures, or more than one page
            results[person] = self.list_all(person, queries[person])
        return results

    # -- creating ----------------------------------------------------------------------------

    def recover(self, person: str, kind: ArtifactKind, fy: str) -> Callable[[], Any]:
        """After a create got no answer: look for what it may have created anyway."""

        def look() -> dict[str, Any] | None:
            q = f"{_has(MARKER_PERSON, person)} and {_has(MARKER_KIND, kind)}"
            if kind is not ArtifactKind.FOLDER:
                q += f" and {_has(MARKER_FY, fy)}"
            files = self.list_all(self.ctx.actor(person), q)
            return files[0] if files else None

        return look

    def create_folder(self, person: str, name: str, fy: str) -> Artifact:
        user = self.ctx.actor(person)
        body = {
            "name": name,
            "mimeType": FOLDER_MIME,
            "appProperties": markers(person, ArtifactKind.FOLDER, fy),
        }
        if self.ctx.shared_drive:
            body["parents"] = [self.ctx.options.shared_drive_id]
        f = self.ctx.run(
            self._files().create(body=body, fields=FILE_FIELDS, **self.ctx.drive_common()),
            api="drive",
            kind="write",
            user=user,
            recover=self.recover(person, ArtifactKind.FOLDER, fy),
        )
        folder = artifact(ArtifactKind.FOLDER, person, fy, f)
        if user != person:
            # In a shared drive (or under a user login) the admin creates the folder; the
            # person still needs to edit their own documents. Drive's owner needs no grant.
            self.share(person, folder, person, OWN_FOLDER_ROLE)
        return folder

    def copy(
        self, user: str, file_id: str, body: Mapping[str, Any], recover: Callable[[], Any]
    ) -> dict[str, Any]:
        """files.copy of ``file_id`` as ``user`` with ``body`` (name, parents, appProperties)."""
        return self.ctx.run(
            self._files().copy(
                fileId=file_id, body=dict(body), fields=FILE_FIELDS, **self.ctx.drive_common()
            ),
            api="drive",
            kind="write",
            user=user,
            recover=recover,
        )

    def upload(
        self,
        user: str,
        kind: ArtifactKind,
        body: Mapping[str, Any],
        data: bytes,
        recover: Callable[[], Any],
    ) -> dict[str, Any]:
        """files.create of an Office file converted to its native Google type, as ``user``."""
        body = {**body, "mimeType": NATIVE_MIME[kind]}
        media = MediaInMemoryUpload(data, mimetype=UPLOAD_MIME[kind], resumable=False)
        return self.ctx.run(
            self._files().create(
                body=body, media_body=media, fields=FILE_FIELDS, **self.ctx.drive_common()
            ),
            api="drive",
            kind="write",
            user=user,
            recover=recover,
        )

    # -- sharing -----------------------------------------------------------------------------

    def share(self, person: str, target: Artifact, grantee: str, role: str) -> bool:
        held = dict(target.shares).get(grantee.lower())
        if held and ROLE_RANK.get(held, 0) >= ROLE_RANK.get(role, 0):
            return False
        body = {"type": "user", "role": role, "emailAddress": grantee}
        self.ctx.run(
            self.ctx.clients.resource("drive", "permissions").create(
                fileId=target.id,
                body=body,
                sendNotificationEmail=False,
                fields="id",
                **self.ctx.drive_common(),
            ),
            api="drive",
            kind="write",
            user=self.ctx.actor(person),
        )
        return True

    # -- the central sheet's file ------------------------------------------------------------

    def central_id(self, create: bool) -> str | None:
        """The central sheet's id: configured, found by its marker (the oldest), or created."""
        if self._central_id:
            return self._central_id
        admin = self.ctx.options.admin
        files = (
            [] if self._central_missing else self.list_all(admin, _has(MARKER_KIND, CENTRAL_KIND))
        )
        self._central_missing = not files
        if files:
            self._central_id = sorted(files, key=lambda f: f.get("modifiedTime", ""))[0]["id"]
        elif create:
            body: dict[str, Any] = {
                "name": CENTRAL_NAME,
                "mimeType": GSHEET_MIME,
                "appProperties": {MARKER_KIND: CENTRAL_KIND},
            }
            if self.ctx.shared_drive:
                body["parents"] = [self.ctx.options.shared_drive_id]
            f = self.ctx.run(
                self._files().create(body=body, fields="id", **self.ctx.drive_common()),
                api="drive",
                kind="write",
                user=admin,
            )
            self._central_id = f["id"]
        return self._central_id
