"""Replay recorded Google traffic against the sandbox and judge each interaction.

The recordings in ``shared/fidelity/`` (a sibling of the repository) are vcrpy cassettes of real
Sheets v4 and Drive v3 traffic. Each cassette is replayed in order against a fresh sandbox, as
Alice, sending every request to its original Google URL (the session redirects Google hosts to
the sandbox). Ids the sandbox makes up replace the recorded ones in later requests. Each answer
is compared with the recorded one: status code, media type, the key set at every level, value
types, and every value that does not depend on the run (ids, timestamps, etags, links and the
recording account's identity are compared by type only).

``python -m tests.sandbox.fidelity`` prints the tally and every remaining difference with its
reason; ``tests/sandbox/test_fidelity.py`` holds the sandbox to the allow-list below.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

# tests/sandbox/fidelity.py -> parents[2] is the repository; shared/ is its sibling.
SHARED = Path(__file__).resolve().parents[3] / "shared"
RECORDINGS = SHARED / "fidelity" / "gspread-v6.2.1"
EXPECTED_RECORDINGS = 39
EXPECTED_INTERACTIONS = 705

MATCH = "match"
MISMATCH = "mismatch"
NOT_APPLICABLE = "not-applicable"

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DRIVE_CREATE = re.compile(r"^https://www\.googleapis\.com/drive/v3/files\?")
# The file a request is about: /spreadsheets/{id}, /files/{id} (Drive v3 and the v2 upload).
FILE_IN_URI = re.compile(r"/(?:spreadsheets|files)/([A-Za-z0-9_-]+)")
JSON_TYPE = "application/json"

# Values the server makes up; the replay learns recorded -> ours from the answers.
ID_KEYS = frozenset(
    {"spreadsheetId", "sheetId", "namedRangeId", "protectedRangeId", "chartId", "id"}
)
# Values that differ from run to run or name the recording account: compared by type only.
VOLATILE_KEYS = frozenset(
    {
        "createdTime",
        "modifiedTime",
        "createdDate",
        "modifiedDate",
        "modifiedByMeDate",
        "lastViewedByMeDate",
        "markedViewedByMeDate",
        "etag",
        "selfLink",
        "alternateLink",
        "embedLink",
        "iconLink",
        "thumbnailLink",
        "webViewLink",
        "webContentLink",
        "exportLinks",
        "ownerNames",
        "lastModifyingUserName",
        "displayName",
        "emailAddress",
        "permissionId",
        "photoLink",
        "quotaBytesUsed",
        "fileSize",
        "version",
        "headRevisionId",
        "md5Checksum",
        "teamDriveId",
        "driveId",
        "parents",
        "spaces",
    }
)
# Compared without its host: Google links docs.google.com, the sandbox links itself.
HOST_RELATIVE_KEYS = frozenset({"spreadsheetUrl"})
URL_HOST = re.compile(r"^https?://[^/]+")
# A Drive listing of the whole account also holds files the account had before the recording.
LISTING_KEY = "files"


class RecordingsMissing(RuntimeError):
    """The recordings folder is not where CI puts it (beside the repository)."""


@dataclass(frozen=True)
class Interaction:
    """One recorded request and the answer Google gave."""

    method: str
    uri: str
    body: str | None
    content_type: str | None
    status: int
    response_type: str
    response_body: str

    @classmethod
    def from_cassette(cls, raw: dict[str, Any]) -> Interaction:
        request, response = raw["request"], raw["response"]
        return cls(
            method=request["method"],
            uri=request["uri"],
            body=request["body"] or None,
            content_type=_header(request["headers"], "content-type"),
            status=response["status"]["code"],
            response_type=_media_type(_header(response["headers"], "content-type")),
            response_body=response["body"]["string"] or "",
        )

    @property
    def call(self) -> str:
        """The method and URI with query and long ids shortened, for people to read."""
        path = unquote(self.uri.split("?", 1)[0])
        return f"{self.method} {re.sub(r'[A-Za-z0-9_-]{25,}', '{id}', path)}"


@dataclass(frozen=True)
class Verdict:
    """How one replayed interaction compares with its recording."""

    recording: str
    index: int
    call: str
    outcome: str
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        return (self.recording, self.index)


@dataclass(frozen=True)
class Known:
    """Interactions of one recording that are expected not to match, and why."""

    recording: str
    indices: tuple[int, ...]
    reason: str


def _header(headers: dict[str, list[str]], name: str) -> str | None:
    for key, values in headers.items():
        if key.lower() == name and values:
            return values[0]
    return None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


# -- the recordings ----------------------------------------------------------------------------


def require_recordings() -> Path:
    """The recordings folder; raises with the place CI expects it if it is missing."""
    if not RECORDINGS.is_dir():
        raise RecordingsMissing(
            f"fidelity recordings not found at {RECORDINGS}: check out the shared/ folder beside "
            f"the repository ({SHARED.parent}) so that shared/fidelity/gspread-v6.2.1 exists"
        )
    return RECORDINGS


def recording_names() -> list[str]:
    """Every cassette's name (file stem), in a stable order."""
    return sorted(p.stem for p in require_recordings().glob("*.json"))


def load(name: str) -> list[Interaction]:
    raw = json.loads((require_recordings() / f"{name}.json").read_text(encoding="utf-8"))
    return [Interaction.from_cassette(i) for i in raw["interactions"]]


# -- replay ------------------------------------------------------------------------------------


@dataclass
class Replay:
    """One cassette replayed in order against one fresh sandbox.

    ``session`` acts as the recording account; ``foreign_session`` as another account, owner of
    the private spreadsheet a recording may try to open (its id is in no earlier answer).
    """

    name: str
    session: Any
    foreign_session: Any
    ids: dict[Any, Any] = field(default_factory=dict)

    def run(self) -> Iterator[Verdict]:
        for index, interaction in enumerate(load(self.name)):
            yield self.judge(index, interaction)

    def judge(self, index: int, interaction: Interaction) -> Verdict:
        def verdict(outcome: str, notes: list[str] | tuple[str, ...] = ()) -> Verdict:
            return Verdict(self.name, index, interaction.call, outcome, tuple(notes))

        unknown = self.unknown_file(interaction)
        if unknown is not None:
            if interaction.status == 403:
                self.ids[unknown] = self.foreign_spreadsheet()
            elif interaction.status < 400:
                return verdict(
                    NOT_APPLICABLE,
                    [f"file {unknown} was in the recording account before the recording began"],
                )
        ours = self.send(interaction)
        differences = compare_answer(interaction, ours, self.ids)
        return verdict(MISMATCH, differences) if differences else verdict(MATCH)

    def unknown_file(self, interaction: Interaction) -> str | None:
        """The recorded file id a request names that no earlier answer revealed, if any."""
        if DRIVE_CREATE.match(interaction.uri):
            return None
        found = FILE_IN_URI.search(interaction.uri.split("?", 1)[0])
        if found is None or found.group(1) in self.ids:
            return None
        return found.group(1)

    def foreign_spreadsheet(self) -> str:
        made = self.foreign_session.post(
            "https://www.googleapis.com/drive/v3/files",
            json={"name": "Private spreadsheet", "mimeType": SPREADSHEET_MIME},
        )
        made.raise_for_status()
        return str(made.json()["id"])

    def send(self, interaction: Interaction) -> Any:
        headers = {"Content-Type": interaction.content_type} if interaction.content_type else {}
        body = interaction.body
        if body is not None:
            body = mapped_body(body, interaction.content_type, self.ids)
        return self.session.request(
            interaction.method,
            mapped_text(interaction.uri, self.ids),
            data=body.encode("utf-8") if body is not None else None,
            headers=headers,
        )


def mapped_text(text: str, ids: dict[Any, Any]) -> str:
    """``text`` with every recorded string id (a whole token) replaced by ours."""
    for recorded, ours in sorted(ids.items(), key=lambda item: -len(str(item[0]))):
        if isinstance(recorded, str):
            text = re.sub(rf"(?<![\w-]){re.escape(recorded)}(?![\w-])", str(ours), text)
    return text


def mapped_body(body: str, content_type: str | None, ids: dict[Any, Any]) -> str:
    if _media_type(content_type) != JSON_TYPE:
        return mapped_text(body, ids)
    return json.dumps(mapped_json(json.loads(body), ids))


def mapped_json(value: Any, ids: dict[Any, Any], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: mapped_json(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mapped_json(v, ids, key) for v in value]
    if key in ID_KEYS and not isinstance(value, bool) and value in ids:
        return ids[value]
    if isinstance(value, str):
        return mapped_text(value, ids)
    return value


# -- comparison --------------------------------------------------------------------------------


def compare_answer(interaction: Interaction, ours: Any, ids: dict[Any, Any]) -> list[str]:
    """Every way the sandbox's answer differs from the recorded one (empty: they match)."""
    found = []
    if ours.status_code != interaction.status:
        found.append(f"status: {interaction.status} recorded, {ours.status_code} now")
    recorded_text = interaction.response_body
    if not recorded_text.strip():
        if ours.content:
            found.append(f"body: empty recorded, {len(ours.content)} bytes now")
        return found
    our_type = _media_type(ours.headers.get("Content-Type"))
    if our_type != interaction.response_type:
        found.append(f"content-type: {interaction.response_type} recorded, {our_type} now")
        return found
    if interaction.response_type != JSON_TYPE:
        if mapped_text(recorded_text, ids) != ours.text:
            found.append(f"body: {recorded_text!r} recorded, {ours.text!r} now")
        return found
    return found + differences(json.loads(recorded_text), ours.json(), ids)


def differences(recorded: Any, ours: Any, ids: dict[Any, Any], path: str = "") -> list[str]:
    """Paths where ``ours`` differs from ``recorded`` in keys, types or deterministic values.

    Learns recorded -> ours ids on the way, so later requests can name our objects.
    """
    if _kind(recorded) != _kind(ours):
        return [f"{path or '.'}: {_kind(recorded)} recorded, {_kind(ours)} now"]
    if isinstance(recorded, dict):
        return _dict_differences(recorded, ours, ids, path)
    if isinstance(recorded, list):
        return _list_differences(recorded, ours, ids, path)
    expected = mapped_text(recorded, ids) if isinstance(recorded, str) else recorded
    return [] if expected == ours else [f"{path}: {recorded!r} recorded, {ours!r} now"]


def _kind(value: Any) -> str:
    """The JSON type: one kind for all numbers, as JSON has (Google writes 1 where we write 1.0)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "object" if isinstance(value, dict) else "array"


def _dict_differences(
    recorded: dict[str, Any], ours: dict[str, Any], ids: dict[Any, Any], path: str
) -> list[str]:
    found = []
    missing, extra = sorted(set(recorded) - set(ours)), sorted(set(ours) - set(recorded))
    if missing:
        found.append(f"{path or '.'}: missing keys {missing}")
    if extra:
        found.append(f"{path or '.'}: extra keys {extra}")
    for key in sorted(set(recorded) & set(ours)):
        compare = _comparison_for(key, recorded)
        found += compare(recorded[key], ours[key], ids, f"{path}.{key}")
    return found


def _comparison_for(key: str, parent: dict[str, Any]) -> Callable[..., list[str]]:
    if key in ID_KEYS:
        return _id_differences
    if key in VOLATILE_KEYS:
        return _shape_differences
    if key in HOST_RELATIVE_KEYS:
        return _host_relative_differences
    if key == LISTING_KEY and parent.get("kind") == "drive#fileList":
        return _listing_differences
    return differences


def _list_differences(
    recorded: list[Any], ours: list[Any], ids: dict[Any, Any], path: str
) -> list[str]:
    """Element by element: replies, sheets and cell values come in a deterministic order."""
    found = []
    if len(recorded) != len(ours):
        found.append(f"{path}: {len(recorded)} items recorded, {len(ours)} now")
    for i, (a, b) in enumerate(zip(recorded, ours, strict=False)):
        found += differences(a, b, ids, f"{path}[{i}]")
    return found


def _id_differences(recorded: Any, ours: Any, ids: dict[Any, Any], path: str) -> list[str]:
    if isinstance(recorded, (dict, list)) or _kind(recorded) != _kind(ours):
        return differences(recorded, ours, ids, path)
    if ids.setdefault(recorded, ours) != ours:
        return [f"{path}: {ours!r} is not the id that stood for {recorded!r} before"]
    return []


def _shape_differences(recorded: Any, ours: Any, ids: dict[Any, Any], path: str) -> list[str]:
    """Keys and types only, lists against the first recorded element's shape."""
    if _kind(recorded) != _kind(ours):
        return [f"{path}: {_kind(recorded)} recorded, {_kind(ours)} now"]
    if isinstance(recorded, dict):
        found = []
        if set(recorded) != set(ours):
            found.append(f"{path}: keys {sorted(recorded)} recorded, {sorted(ours)} now")
        for key in set(recorded) & set(ours):
            found += _shape_differences(recorded[key], ours[key], ids, f"{path}.{key}")
        return found
    if isinstance(recorded, list) and recorded:
        return [
            d
            for i, item in enumerate(ours)
            for d in _shape_differences(recorded[0], item, ids, f"{path}[{i}]")
        ]
    return []


def _host_relative_differences(
    recorded: Any, ours: Any, ids: dict[Any, Any], path: str
) -> list[str]:
    if not (isinstance(recorded, str) and isinstance(ours, str)):
        return differences(recorded, ours, ids, path)
    return differences(URL_HOST.sub("", recorded), URL_HOST.sub("", ours), ids, path)


def _listing_differences(
    recorded: list[Any], ours: Any, ids: dict[Any, Any], path: str
) -> list[str]:
    """A Drive listing: every recorded file the replay made must be listed, matching; files the
    account held before the recording are not ours to list; nothing else may be listed."""
    if not isinstance(ours, list):
        return differences(recorded, ours, ids, path)
    by_id = {item.get("id"): item for item in ours if isinstance(item, dict)}
    found = []
    for i, item in enumerate(recorded):
        if item.get("id") not in ids:
            continue
        mine = by_id.pop(ids[item["id"]], None)
        if mine is None:
            found.append(f"{path}[{i}]: {item.get('name')!r} is not listed")
        else:
            found += differences(item, mine, ids, f"{path}[{i}]")
    found += [f"{path}: lists {item.get('name')!r}, never recorded" for item in by_id.values()]
    return found


# -- the allow-list ----------------------------------------------------------------------------

KNOWN_DIFFERENCES: tuple[Known, ...] = ()


def known_reasons() -> dict[tuple[str, int], str]:
    """(recording, index) -> why that interaction is expected not to match."""
    return {(k.recording, i): k.reason for k in KNOWN_DIFFERENCES for i in k.indices}


# -- running it --------------------------------------------------------------------------------


def replay(name: str, kit: Any, user: str, foreign_user: str) -> list[Verdict]:
    return list(Replay(name, kit.session(user), kit.session(foreign_user)).run())


def replay_all(make_kit: Callable[[], Any], user: str, foreign_user: str) -> list[Verdict]:
    """Every recording, each against a fresh sandbox from ``make_kit`` (stopped afterwards)."""
    verdicts: list[Verdict] = []
    for name in recording_names():
        kit = make_kit()
        try:
            verdicts += replay(name, kit, user, foreign_user)
        finally:
            kit.sandbox.stop()
    return verdicts


def report(verdicts: list[Verdict]) -> str:
    """The tally and every interaction that does not match, grouped by its reason."""
    matched = sum(v.outcome == MATCH for v in verdicts)
    reasons = known_reasons()
    groups: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        if v.outcome != MATCH:
            groups[reasons.get(v.key, "NOT IN THE ALLOW-LIST")].append(v)
    lines = [f"{matched} of {len(verdicts)} interactions match", ""]
    for reason, group in sorted(groups.items(), key=lambda item: -len(item[1])):
        lines.append(f"{len(group)} x {reason}")
        for v in group:
            lines.append(f"    {v.recording}#{v.index} {v.call} [{v.outcome}]")
            lines += [f"        {note}" for note in v.notes]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    from careerdocs.sandbox.oauth import new_private_key
    from tests.conftest import ALICE, BOB, make_kit

    key = new_private_key()
    print(report(replay_all(lambda: make_kit(key), ALICE, BOB)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
