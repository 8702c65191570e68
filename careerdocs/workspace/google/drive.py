"""Drive v3: files and folders, their markers (appProperties), finding them again (one batch
of per-person listings), sharing, and recovering a create that got no answer.

Identity: with a service account and domain-wide delegation, each person's artifacts are created
*as that person* (so they own them and they count against their own quota); with destination
``shared_drive`` everything is created by the admin account inside the shared drive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from googleapiclient.http import MediaInMemoryUpload

from ...errors import AccountUnreachable, AuthError
from ..base import (
    MARKER_FY,
    MARKER_KIND,
    MARKER_PERSON,
    MARKER_TEMPLATE,
    STEP_FILLED,
    STEP_NOTIFIED,
    STEP_PROTECTED,
    Artifact,
    ArtifactKind,
    TemplateRef,
)
from .access import Access, held_shares, recorded_grants
from .context import GoogleContext
from .duplicates import Duplicates, sealed

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
FILE_FIELDS = "id,name,mimeType,appProperties,createdTime,modifiedTime,webViewLink"
LIST_FIELDS = f"nextPageToken,files({FILE_FIELDS},permissions(emailAddress,role,type))"
DRIVE_BATCH_LIMIT = 100
PAGE_SIZE = 1000
MAX_MARKER_VALUE = 100
OWN_FOLDER_ROLE = "writer"
WRITERS_CAN_SHARE = "writersCanShare"

# Steps recorded on the file they concern, one appProperty each: Drive merges an update's
# appProperties key by key, so recording one step never loses another recorded concurrently.
STEP_MARKERS = {STEP_FILLED: "careerdocs_filled", STEP_PROTECTED: "careerdocs_protected"}
MARKER_TAB = "careerdocs_tab"  # the growth sheet's Conversations tab id, recorded with protection
NOTIFIED_PREFIX = "careerdocs_notified_"  # + fiscal year label, on the folder
DONE = "yes"


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


def notified_marker(fy: str) -> str:
    """The folder's appProperty saying the person was emailed for ``fy`` (a key per year, so a
    new fiscal year starts un-notified and the key stays within Drive's 124 bytes)."""
    return f"{NOTIFIED_PREFIX}{fy}"[:MAX_MARKER_VALUE]


def step_markers(steps: Iterable[str], fy: str, tab_id: int | None = None) -> dict[str, str]:
    """The appProperties recording ``steps`` (and the protected tab's id)."""
    props = {
        (notified_marker(fy) if step == STEP_NOTIFIED else STEP_MARKERS[step]): DONE
        for step in steps
    }
    if tab_id is not None:
        props[MARKER_TAB] = str(tab_id)
    return props


def cleared_steps() -> dict[str, None]:
    """appProperties that clear every recorded step: a copy inherits its source's properties
    (Drive applies a copy's body as a patch, a null deleting a key), and a template that is
    itself a careerdocs file must not make its copy look filled or protected."""
    return dict.fromkeys([*STEP_MARKERS.values(), MARKER_TAB])


def parse_steps(kind: ArtifactKind, props: Mapping[str, str], fy: str) -> frozenset[str]:
    steps = {step for step, key in STEP_MARKERS.items() if props.get(key) == DONE}
    if kind is ArtifactKind.FOLDER and props.get(notified_marker(fy)) == DONE:
        steps.add(STEP_NOTIFIED)
    return frozenset(steps)


def parse_tab_id(props: Mapping[str, str]) -> int | None:
    if props.get(STEP_MARKERS[STEP_PROTECTED]) != DONE:
        return None
    try:
        return int(props.get(MARKER_TAB, ""))
    except ValueError:
        return None


def finished(kind: ArtifactKind, props: Mapping[str, str]) -> bool:
    """Whether the run that made a file has recorded its last step on it (filled; a growth
    sheet also protected): until then that run is still working on it."""
    if kind is ArtifactKind.FOLDER:
        return True
    steps = parse_steps(kind, props, "")
    return STEP_FILLED in steps and (
        kind is not ArtifactKind.GROWTH_SHEET or STEP_PROTECTED in steps
    )


def _kind_of(f: Mapping[str, Any]) -> ArtifactKind | None:
    try:
        return ArtifactKind((f.get("appProperties") or {}).get(MARKER_KIND, ""))
    except ValueError:
        return None


def artifact(
    kind: ArtifactKind,
    person: str,
    fy: str,
    f: Mapping[str, Any],
    steps_fy: str | None = None,
) -> Artifact:
    """The Artifact for a Drive file resource read with FILE_FIELDS: its recorded steps, tab id
    and creation time come from the file itself. A folder serves every year: its steps are read
    for ``steps_fy`` (default ``fy``)."""
    props = f.get("appProperties") or {}
    return Artifact(
        kind,
        person,
        fy,
        f["id"],
        f.get("name", ""),
        f.get("webViewLink", ""),
        f.get("modifiedTime", ""),
        created=f.get("createdTime", ""),
        steps=parse_steps(kind, props, steps_fy or fy),
        tab_id=parse_tab_id(props) if kind is ArtifactKind.GROWTH_SHEET else None,
    )


def _earlier(a: Artifact, b: Artifact) -> bool:
    """True if ``a`` was created before ``b`` (ids break ties, so every run picks the same)."""
    return (a.created or "~", a.id) < (b.created or "~", b.id)


class Drive:
    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx
        self._central_id = ctx.options.central_sheet_id or None
        self._central_missing = False  # looked for the central sheet this run and found none
        self.access = Access(ctx, self.record)
        self.duplicates = Duplicates(ctx, finished)
        #: People whose token Google refused in the last :meth:`find_artifacts`: email -> why.
        self.unreachable: dict[str, str] = {}

    def _files(self) -> Any:
        return self.ctx.clients.resource("drive", "files")

    # -- finding -----------------------------------------------------------------------------

    def find_artifacts(
        self, people: Sequence[str], fy: str
    ) -> Mapping[str, Mapping[ArtifactKind, Artifact]]:
        """Each person's artifacts, found by markers. In My Drive mode each person is asked as
        themselves; a person Google will not issue a token for is left out and named in
        :attr:`unreachable` instead of stopping the run."""
        self.unreachable = {}
        if self.ctx.shared_drive:
            self.access.require_shared_drive_rights()
            found: dict[str, dict[ArtifactKind, Artifact]] = {p: {} for p in people}
            admin = self.ctx.options.admin
            files = self.list_all(
                admin, f"{_has(MARKER_KIND, ArtifactKind.FOLDER)} or {_has(MARKER_FY, fy)}"
            )
            folders = [f for f in files if _kind_of(f) is ArtifactKind.FOLDER]
            permissions = self.access.permissions_of(admin, [f["id"] for f in folders])
            for f in files:
                self._collect(found, {**f, "permissions": permissions.get(f["id"], [])}, fy)
            return found
        self._require_admin_token()
        reachable = [p for p in people if self._reachable(p)]
        found = {p: {} for p in reachable}
        queries = {p: self._person_query(p, fy) for p in reachable}
        for batch in _chunks(reachable, DRIVE_BATCH_LIMIT):
            for files in self._batch_list(batch, queries).values():
                for f in files:
                    self._collect(found, f, fy)
        return found

    def _require_admin_token(self) -> None:
        """The admin writes the central sheet and sends the emails: if Google will not act as
        the admin, the whole run stops here, before any write."""
        admin = self.ctx.options.admin
        try:
            self.ctx.ensure_token(admin)
        except AccountUnreachable as exc:
            raise AuthError(f"the admin account (google.admin) {exc.for_user(admin)}") from None

    def _reachable(self, person: str) -> bool:
        """Fetch ``person``'s token; a refusal that concerns them alone is recorded."""
        try:
            self.ctx.ensure_token(person)
        except AccountUnreachable as exc:
            self.unreachable[person] = str(exc)
            return False
        return True

    def _person_query(self, person: str, fy: str) -> str:
        query = (
            f"{_has(MARKER_PERSON, person)} and trashed = false and "
            f"({_has(MARKER_KIND, ArtifactKind.FOLDER)} or {_has(MARKER_FY, fy)})"
        )
        if self.ctx.shared_drive:  # shared-drive items have no owners
            return query
        return f"{query} and {_q_literal(person)} in owners"

    def heal(self, person: str, fy: str, kept: Mapping[ArtifactKind, Artifact]) -> list[str]:
        """Trash untouched duplicates of ``person``'s artifacts (see :mod:`.duplicates`)."""
        return self.duplicates.heal(person, self._person_query(person, fy), kept)

    def _collect(
        self, found: dict[str, dict[ArtifactKind, Artifact]], f: Mapping[str, Any], fy: str
    ) -> None:
        props = f.get("appProperties") or {}
        person = props.get(MARKER_PERSON, "").lower()
        kind = _kind_of(f)
        if kind is None or person not in found:
            return
        if kind is not ArtifactKind.FOLDER and props.get(MARKER_FY) != fy:
            return
        permissions = f.get("permissions") or []
        self.access.remember(f["id"], props)
        found_artifact = replace(
            artifact(kind, person, props.get(MARKER_FY, fy), f, steps_fy=fy),
            shares=held_shares(permissions),
            grants=recorded_grants(props, permissions),
        )
        current = found[person].get(kind)
        if current is None or _earlier(found_artifact, current):
            found[person][kind] = found_artifact  # the earliest created wins, as heal keeps it

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
            self._files().create(
                body=self.no_resharing(body), fields=FILE_FIELDS, **self.ctx.drive_common()
            ),
            api="drive",
            kind="write",
            user=user,
            recover=self.recover(person, ArtifactKind.FOLDER, fy),
        )
        folder = artifact(ArtifactKind.FOLDER, person, fy, f)
        self.access.remember(folder.id, f.get("appProperties") or {})
        if user != person:
            # In a shared drive (or under a user login) the admin creates the folder; the
            # person still needs to edit their own documents. Drive's owner needs no grant.
            # Not recorded as a grant: it follows from the folder being theirs, never from the
            # roster, so no roster change may revoke it.
            self.access.share(person, folder, person, OWN_FOLDER_ROLE, record=False)
        return folder

    def no_resharing(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``body`` for a file careerdocs creates, in My Drive mode with ``writersCanShare``
        false: the manager's writer access must not let them pass the person's folder on
        ("Whether users with only writer permission can modify the file's permissions", Drive
        v3 File resource). Set in the create or copy itself, so it costs no call. Shared-drive
        items have no such field ("Not populated for items in shared drives"): there the
        drive's own sharing settings decide."""
        if self.ctx.shared_drive:
            return dict(body)
        return {**body, WRITERS_CAN_SHARE: False}

    def copy(
        self, user: str, file_id: str, body: Mapping[str, Any], recover: Callable[[], Any]
    ) -> dict[str, Any]:
        """files.copy of ``file_id`` as ``user`` with ``body`` (name, parents, appProperties)."""
        return self.ctx.run(
            self._files().copy(
                fileId=file_id,
                body=self.no_resharing(body),
                fields=FILE_FIELDS,
                **self.ctx.drive_common(),
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
        body = self.no_resharing({**body, "mimeType": NATIVE_MIME[kind]})
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
        """Grant and record (see :mod:`.access`)."""
        return self.access.share(person, target, grantee, role)

    def revoke(self, person: str, target: Artifact, grantee: str) -> bool:
        """Take back a grant careerdocs recorded (see :mod:`.access`)."""
        return self.access.revoke(person, target, grantee)

    def record(self, user: str, file_id: str, props: Mapping[str, str | None]) -> dict[str, Any]:
        """Add ``props`` to the file's appProperties (other keys are kept; None deletes one),
        as ``user``, sealing the file (:func:`.duplicates.sealed`): record a step only after
        careerdocs' own edits of the file, so that the seal marks it as careerdocs left it."""
        f = self.ctx.run(
            self._files().update(
                fileId=file_id,
                body=sealed(props),
                fields=FILE_FIELDS,
                **self.ctx.drive_common(),
            ),
            api="drive",
            kind="write",
            user=user,
        )
        self.access.remember(file_id, f.get("appProperties") or {})
        return f

    # -- the central sheet's file ------------------------------------------------------------

    def central_id(self, create: bool) -> str | None:
        """The central sheet's id: configured, found by its marker (the earliest created), or
        created. Two runs on two machines may each create one: the earliest wins and untouched
        later ones go to the trash (:meth:`.duplicates.Duplicates.keep_earliest`)."""
        if self._central_id:
            return self._central_id
        admin = self.ctx.options.admin
        files = [] if self._central_missing else self._centrals(admin)
        self._central_missing = not files
        if files:
            self._central_id = self.duplicates.keep_earliest(admin, files)
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
            # Another run may have made one meanwhile: look again, before writing to ours.
            self._central_id = self.duplicates.keep_earliest(admin, self._centrals(admin))
            self._central_missing = False
            if not self._central_id:
                self._central_id = f["id"]
        return self._central_id

    def _centrals(self, admin: str) -> list[dict[str, Any]]:
        return self.list_all(admin, _has(MARKER_KIND, CENTRAL_KIND))
