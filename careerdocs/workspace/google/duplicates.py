"""Duplicates two concurrent runs made (two machines, two locks), healed after the fact.

Which copy survives: the earliest created of each kind (``createdTime``, ids breaking ties), so
every run that heals picks the same one, and the same one :meth:`.drive.Drive.find_artifacts`
reports. A surviving document left in a duplicate folder (the runs interleaved) is moved into
the surviving folder.

Which later copy may go to the trash: only an *untouched* one. Drive cannot say who edited a file
in a way careerdocs can trust: under domain-wide delegation careerdocs acts as the person, so
``lastModifyingUser`` is the person both when careerdocs fills a document and when the person
edits it, and ``modifiedByMe`` is the same for both. What Drive does give exactly is
``modifiedTime``, which any edit moves ("The last time the file was modified by anyone", Drive v3
File resource) and which a request may set ("writable"). So a file is untouched when its
``modifiedTime`` is still its ``createdTime`` (an upload filled in one request), or still the
instant careerdocs *sealed* it: every appProperties record careerdocs writes after its own edits
sets ``modifiedTime`` and :data:`SEAL` to one value in the same request (:func:`sealed`). Anything
else is reported, never deleted, except a copy whose maker has not yet recorded its last step
on it: another run is still making it, and heals it itself when done. A duplicate folder goes to
the trash only when everything in it is going too (so nothing anyone put there is lost with it);
trashing a folder trashes what is in it ("If the target is a folder, all descendants owned by
the user are also moved to the trash", Drive v3 files.update/trash guide).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..base import FILE_KINDS, MARKER_KIND, MARKER_PERSON, Artifact, ArtifactKind
from .context import GoogleContext

log = logging.getLogger(__name__)

SEAL = "careerdocs_sealed"
HEAL_FIELDS = (
    "nextPageToken,files(id,name,appProperties,createdTime,modifiedTime,parents,webViewLink)"
)
PAGE_SIZE = 1000


def now_rfc3339() -> str:
    """This instant in Drive's own format (UTC, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sealed(props: Mapping[str, str | None]) -> dict[str, Any]:
    """A files.update body recording ``props`` and sealing the file at this instant: the same
    value goes to ``modifiedTime`` and to :data:`SEAL`, so a later edit by anyone shows."""
    stamp = now_rfc3339()
    return {"appProperties": {**props, SEAL: stamp}, "modifiedTime": stamp}


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def untouched(f: Mapping[str, Any]) -> bool:
    """Nobody changed the file since careerdocs made it or last sealed it (see module doc)."""
    modified = _instant(f.get("modifiedTime"))
    if modified is None:
        return False
    props = f.get("appProperties") or {}
    return modified in (_instant(f.get("createdTime")), _instant(props.get(SEAL)))


def _order(f: Mapping[str, Any]) -> tuple[str, str]:
    return (f.get("createdTime") or "~", f["id"])


def _kind(f: Mapping[str, Any]) -> ArtifactKind | None:
    try:
        return ArtifactKind((f.get("appProperties") or {}).get(MARKER_KIND, ""))
    except ValueError:
        return None


class Duplicates:
    """Finds a person's duplicates by markers and trashes the untouched ones."""

    def __init__(
        self, ctx: GoogleContext, finished: Callable[[ArtifactKind, Mapping[str, str]], bool]
    ) -> None:
        """``finished(kind, appProperties)``: the run that made the file recorded its last
        step on it."""
        self.ctx = ctx
        self.finished = finished

    def _files(self) -> Any:
        return self.ctx.clients.resource("drive", "files")

    def _list(self, user: str, q: str, fields: str) -> list[dict[str, Any]]:
        extra: dict[str, Any] = {}
        if self.ctx.shared_drive:
            extra = {
                "corpora": "drive",
                "driveId": self.ctx.options.shared_drive_id,
                "includeItemsFromAllDrives": True,
                "supportsAllDrives": True,
            }
        out: list[dict[str, Any]] = []
        token = None
        while True:
            page = self.ctx.run(
                self._files().list(
                    q=f"({q}) and trashed = false",
                    fields=fields,
                    pageSize=PAGE_SIZE,
                    pageToken=token,
                    **extra,
                ),
                api="drive",
                kind="read",
                user=user,
            )
            out += page.get("files", [])
            token = page.get("nextPageToken")
            if not token:
                return out

    def heal(self, person: str, query: str, kept: Mapping[ArtifactKind, Artifact]) -> list[str]:
        """Heal ``person``'s artifacts matching ``query`` (their markers); one message per
        copy kept because someone edited it. ``kept`` is what the caller made or found, counted
        even if a listing does not show it yet; the survivor is decided by ``createdTime`` so
        that every run agrees, and when an earlier copy exists the caller's is the duplicate."""
        user = self.ctx.actor(person)
        by_kind: dict[ArtifactKind, list[dict[str, Any]]] = {}
        listed = self._list(user, query, HEAL_FIELDS)
        for f in listed + _unlisted(kept, {f["id"] for f in listed}):
            kind = _kind(f)
            if kind is not None:
                by_kind.setdefault(kind, []).append(f)
        if all(len(copies) < 2 for copies in by_kind.values()):
            return []
        for copies in by_kind.values():
            copies.sort(key=_order)
        folders = by_kind.get(ArtifactKind.FOLDER, [])
        home = folders[0] if folders else None
        messages: list[str] = []
        trash: list[dict[str, Any]] = []
        later: set[str] = set()  # changed copies another run is still making (see _judge)
        survivors: dict[ArtifactKind, dict[str, Any]] = {}
        for kind in FILE_KINDS:
            copies = by_kind.get(kind, [])
            if not copies:
                continue
            survivor = survivors[kind] = copies[0]
            if home is not None and home["id"] not in (survivor.get("parents") or []):
                self._move(user, survivor, home["id"])
            for dup in copies[1:]:
                self._judge(kind, dup, survivor, trash, later, messages)
        judged = {f["id"] for copies in by_kind.values() for f in copies}
        for folder in folders[1:]:
            self._judge_folder(person, folder, home, survivors, judged, trash, later, messages)
        for f in trash:
            self._trash(user, f["id"])
        return messages

    def _judge(
        self,
        kind: ArtifactKind,
        dup: dict[str, Any],
        survivor: Mapping[str, Any],
        trash: list[dict[str, Any]],
        later: set[str],
        messages: list[str],
    ) -> None:
        """Trash an untouched duplicate; report one someone edited. One that changed but whose
        maker has not recorded its last step is another run's, still being made (between its
        edit and its seal): that run heals it when done, and a person's edit cannot be told
        apart from it yet, so it is left alone."""
        if untouched(dup):
            trash.append(dup)
        elif self.finished(kind, dup.get("appProperties") or {}):
            messages.append(self._edited(kind, dup, survivor))
        else:
            later.add(dup["id"])

    def _judge_folder(
        self,
        person: str,
        folder: dict[str, Any],
        home: Mapping[str, Any] | None,
        survivors: Mapping[ArtifactKind, Mapping[str, Any]],
        judged: set[str],
        trash: list[dict[str, Any]],
        later: set[str],
        messages: list[str],
    ) -> None:
        """A duplicate folder goes only with everything in it. What another run put there
        since the listing (careerdocs files of this person, later than the survivors) is
        judged like any duplicate; anything else is someone's, and keeps the folder. A folder
        holding what another run is still making is left to that run."""
        user = self.ctx.actor(person)
        held: list[dict[str, Any]] = []
        waiting = False
        for child in self._list(user, f"'{folder['id']}' in parents", HEAL_FIELDS):
            kind = _kind(child)
            props = child.get("appProperties") or {}
            mine = kind in survivors and props.get(MARKER_PERSON, "").lower() == person.lower()
            new = child["id"] not in judged and child["id"] != survivors.get(kind, {}).get("id")
            if kind is not None and mine and new:
                judged.add(child["id"])
                self._judge(kind, child, survivors[kind], trash, later, messages)
            if any(t["id"] == child["id"] for t in trash):
                continue
            if child["id"] in later:
                waiting = True
                continue
            held.append(child)
        if waiting:
            return
        if not held:
            trash.append(folder)
            return
        names = ", ".join(sorted(repr(c.get("name", c["id"])) for c in held))
        messages.append(
            f"duplicate folder {folder.get('name', '')!r} ({_link(folder)}) kept: it holds "
            f"{names}, which someone edited or added; move what matters to "
            f"{_link(home or folder)} and delete it"
        )

    def keep_earliest(self, user: str, files: Sequence[Mapping[str, Any]]) -> str:
        """Of several files that should be one (the central sheet), the earliest created's id;
        the untouched later ones go to the trash, edited ones are kept and logged."""
        if not files:
            return ""
        first, *later = sorted(files, key=_order)
        for f in later:
            if untouched(f):
                self._trash(user, f["id"])
            else:
                log.warning(
                    "a second central sheet %s was edited, so it was kept; careerdocs uses %s",
                    _link(f),
                    _link(first),
                )
        return str(first["id"])

    @staticmethod
    def _edited(kind: ArtifactKind, dup: Mapping[str, Any], survivor: Mapping[str, Any]) -> str:
        return (
            f"duplicate {kind.value} {dup.get('name', '')!r} ({_link(dup)}) was edited after "
            f"careerdocs made it, so it was kept; the one careerdocs keeps is {_link(survivor)}: "
            "move anything needed there and delete the duplicate"
        )

    def _move(self, user: str, f: dict[str, Any], folder_id: str) -> None:
        old = ",".join(f.get("parents") or [])
        self.ctx.run(
            self._files().update(
                fileId=f["id"],
                addParents=folder_id,
                removeParents=old or None,
                body={},
                fields="id,parents",
                **self.ctx.drive_common(),
            ),
            api="drive",
            kind="write",
            user=user,
        )
        f["parents"] = [folder_id]

    def _trash(self, user: str, file_id: str) -> None:
        self.ctx.run(
            self._files().update(
                fileId=file_id, body={"trashed": True}, fields="id", **self.ctx.drive_common()
            ),
            api="drive",
            kind="write",
            user=user,
        )


def _unlisted(kept: Mapping[ArtifactKind, Artifact], listed: set[str]) -> list[dict[str, Any]]:
    """The caller's artifacts a listing did not return (Drive's search can lag a create), as
    file resources; files are in the caller's folder."""
    folder = kept.get(ArtifactKind.FOLDER)
    return [
        {
            "id": a.id,
            "name": a.name,
            "webViewLink": a.url,
            "createdTime": a.created,
            "modifiedTime": a.modified,
            "appProperties": {MARKER_KIND: kind.value},
            "parents": [folder.id] if folder is not None and kind in FILE_KINDS else [],
        }
        for kind, a in kept.items()
        if a.id not in listed
    ]


def _link(f: Mapping[str, Any]) -> str:
    return str(f.get("webViewLink") or f.get("id", ""))
