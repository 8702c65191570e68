"""Rollup's view of every growth sheet as one account, ``google.reader`` (default: the admin).

Provision grants that account ``reader`` on each growth sheet (a recorded grant, see
:func:`careerdocs.provision.sheet_access_changes`), so rollup finds the fiscal year's sheets
with one paged ``files.list`` as that account — one token, a handful of Drive calls — instead of
a token and a Drive search per person. What Google documents that this relies on:

- ``files.list``'s default corpus, ``user``, holds the "files owned by or shared to the user"
  (Drive v3 files.list ``corpora``/``corpus``), so a sheet shared with the reader is listed.
- ``appProperties`` are private to the app that set them (google-api-facts.md §5): the reader is
  impersonated through the same service account, so it sees and searches careerdocs' markers.
- ``modifiedTime`` is "the last time the file was modified by anyone" and ``q`` compares it
  with ``>`` on RFC 3339 times (google-api-facts.md §5, the ``q`` table); ``trashed = false``
  is needed or trashed files are listed (§0 item 9).

What the reader's view must not be trusted with: a file anyone can make and share with the
reader. Only a sheet *owned by the person its markers name* counts, as the per-person search
(``'<person>' in owners``) has always required; anything else is rejected and its person is
looked for as before. A sheet the reader no longer sees (grant removed, trashed, deleted, given
away) drops out of ``present``, and its person too is looked for as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ...errors import AccountUnreachable
from ..base import MARKER_FY, MARKER_KIND, MARKER_PERSON, Artifact, ArtifactKind, SheetSurvey
from .context import GoogleContext
from .drive import _earlier, _has, _q_literal, artifact

log = logging.getLogger(__name__)

GROWTH = ArtifactKind.GROWTH_SHEET
PAGE_SIZE = 1000  # files.list's largest page
OWNERS = "owners(emailAddress)"
# What rollup needs of a listed sheet: its markers and steps (appProperties), who owns it, when
# it was made and changed, and its link. Nothing else (no permissions, no capabilities).
SHEET_FIELDS = (
    f"nextPageToken,incompleteSearch,"
    f"files(id,name,appProperties,createdTime,modifiedTime,webViewLink,{OWNERS})"
)
# Whether the sheets rollup already knows are still there: id, owner and modification time.
PRESENT_FIELDS = f"nextPageToken,incompleteSearch,files(id,modifiedTime,{OWNERS})"
# The cursor is taken from this machine's clock, and Drive stamps modifiedTime with Google's:
# the next survey starts this much earlier, so a clock running up to this much ahead of Google's
# still misses no change. Re-listing a sheet costs nothing more: rollup reads only those whose
# modifiedTime differs from the one it cached.
CLOCK_SKEW = timedelta(minutes=10)


def rfc3339(moment: datetime) -> str:
    """``moment`` as Drive writes times: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def owned_by(f: Mapping[str, Any], person: str) -> bool:
    """The file's only owner is ``person``: a My Drive file has exactly one owner, and a file
    someone else made (a forged sheet carrying careerdocs' markers) is owned by them."""
    owners = [str(o.get("emailAddress", "")).lower() for o in f.get("owners") or []]
    return owners == [person.lower()]


def why_rejected(f: Mapping[str, Any], people: set[str], fy: str) -> str | None:
    """Why a listed file is not a growth sheet of a roster person for ``fy`` (None: it is)."""
    props = f.get("appProperties") or {}
    person = str(props.get(MARKER_PERSON, "")).lower()
    if props.get(MARKER_KIND) != GROWTH.value or props.get(MARKER_FY) != fy:
        return "not a growth sheet of this fiscal year"
    if person not in people:
        return f"its person {person or '(none)'} is not in the roster"
    if not owned_by(f, person):
        owners = ", ".join(str(o.get("emailAddress", "")) for o in f.get("owners") or [])
        return f"it names {person} but is owned by {owners or 'no one'}"
    return None


class Reader:
    """Finds the growth sheets as the reader account (see module doc)."""

    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx

    def _files(self) -> Any:
        return self.ctx.clients.resource("drive", "files")

    def available(self) -> bool:
        """Whether the reader's view applies: in My Drive mode under delegation, where each
        person owns their sheet and finding it otherwise takes their token. In a shared drive
        (or under a user login) one account finds and reads everything already."""
        if not self.ctx.impersonates:
            return False
        reader = self.ctx.reader
        try:
            self.ctx.ensure_token(reader)
        except AccountUnreachable as exc:
            log.warning(
                "rollup reader (google.reader) %s; looking for each person's sheet as them",
                exc.for_user(reader),
            )
            return False
        return True

    def survey(
        self, people: Sequence[str], fy: str, since: str | None, known: Mapping[str, str]
    ) -> SheetSurvey:
        """One listing of the fiscal year's growth sheets (those modified after ``since``, or
        all), and on an incremental survey one of the ids of all of them, so that ``known``
        sheets (id -> person) that left the reader's view are noticed."""
        cursor = rfc3339(datetime.now(UTC) - CLOCK_SKEW)
        wanted = {p.lower() for p in people}
        markers = f"{_has(MARKER_KIND, GROWTH.value)} and {_has(MARKER_FY, fy)} and trashed = false"
        changed = markers if since is None else f"{markers} and modifiedTime > {_q_literal(since)}"
        listed, complete = self._list(changed, SHEET_FIELDS)
        sheets: dict[str, Artifact] = {}
        rejected: dict[str, str] = {}
        for f in listed:
            why = why_rejected(f, wanted, fy)
            if why is not None:
                rejected[f["id"]] = why
                continue
            person = str(f["appProperties"][MARKER_PERSON]).lower()
            found = artifact(GROWTH, person, fy, f)
            current = sheets.get(person)
            if current is None or _earlier(found, current):
                sheets[person] = found  # the earliest created wins, as everywhere else
        if rejected:
            log.warning(
                "rollup reader: %d listed file(s) carry careerdocs markers but do not count: %s",
                len(rejected),
                "; ".join(f"{fid}: {why}" for fid, why in sorted(rejected.items())),
            )
        if since is not None and known:
            listed, complete = self._list(markers, PRESENT_FIELDS)
        present = (
            {
                f["id"]: str(f.get("modifiedTime", ""))
                for f in listed
                if f["id"] in known and owned_by(f, known[f["id"]])
            }
            if complete
            else {}  # Drive says some results may be missing: trust no absence, look again
        )
        return SheetSurvey(sheets, present, cursor, rejected)

    def _list(self, q: str, fields: str) -> tuple[list[dict[str, Any]], bool]:
        """All pages of ``q`` as the reader, and whether Drive called the search complete."""
        files: list[dict[str, Any]] = []
        token = None
        complete = True
        while True:
            page = self.ctx.run(
                self._files().list(q=q, fields=fields, pageSize=PAGE_SIZE, pageToken=token),
                api="drive",
                kind="read",
                user=self.ctx.reader,
            )
            files += page.get("files", [])
            complete = complete and not page.get("incompleteSearch")
            token = page.get("nextPageToken")
            if not token:
                return files, complete
