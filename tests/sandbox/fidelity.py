"""Replay recorded Google traffic against the sandbox and judge each interaction.

The recordings in ``tests/sandbox/recordings/`` (MIT-licensed, from gspread's test suite; the
licence travels beside them) are vcrpy cassettes of real
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

# The recordings live in the repository, so a plain clone's tests need nothing beside it.
RECORDINGS = Path(__file__).resolve().parent / "recordings" / "gspread-v6.2.1"
# The folder holds 39 files: 38 cassettes and the LICENSE.txt that must travel with them (the
# README's "39 cassettes" counts the licence too); the 705 interactions are all in the 38.
EXPECTED_RECORDINGS = 38
EXPECTED_INTERACTIONS = 705

MATCH = "match"
MISMATCH = "mismatch"
NOT_APPLICABLE = "not-applicable"

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
# The file a request is about: /spreadsheets/{id}, /files/{id} (Drive v3 and the v2 upload).
FILE_IN_URI = re.compile(r"/(?:spreadsheets|files)/([A-Za-z0-9_-]+)")
JSON_TYPE = "application/json"

# Values the server makes up; the replay learns recorded -> ours from the answers.
ID_KEYS = frozenset(
    {"spreadsheetId", "sheetId", "namedRangeId", "protectedRangeId", "chartId", "id"}
)
# Values that differ from run to run, name the recording account or count its storage: compared
# by type only. (Only keys the recordings hold; everything else is compared by value.)
VOLATILE_KEYS = frozenset(
    {
        # times and revisions
        "createdTime",
        "modifiedTime",
        "createdDate",
        "modifiedDate",
        "modifiedByMeDate",
        "lastViewedByMeDate",
        "markedViewedByMeDate",
        "etag",
        "version",
        # links, which name Google's hosts and the recording's ids
        "selfLink",
        "alternateLink",
        "embedLink",
        "iconLink",
        "thumbnailLink",
        "exportLinks",
        # the recording account and its Drive
        "ownerNames",
        "lastModifyingUserName",
        "displayName",
        "emailAddress",
        "permissionId",
        "parents",
        "quotaBytesUsed",
        "fileSize",
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
    """Interactions of one recording expected not to match: how (``outcome``) and why."""

    recording: str
    indices: tuple[int, ...]
    outcome: str
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
            f"fidelity recordings not found at {RECORDINGS}: they are part of the repository; "
            "restore them from version control"
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
        found = FILE_IN_URI.search(interaction.uri.split("?", 1)[0])
        if found is None or found.group(1) in self.ids:
            return None
        return found.group(1)

    def foreign_spreadsheet(self) -> str:
        made = self.foreign_session.post(
            DRIVE_FILES,
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

PRE_EXISTING = (
    "gspread's openall lists every spreadsheet the recording account held, leftovers of earlier "
    "test runs included, and opens each; those files are in no earlier answer, and a fresh "
    "sandbox account holds only what the replay made"
)
FORMULA = (
    "Sheets computed the formula '= 1 / 1024' and showed 0.0009765625; the sandbox keeps "
    "formulas as written and does not evaluate them, so the formatted read has no value"
)
IMPORT_TIME_ZONE = (
    "after the v2 CSV import Google re-created the spreadsheet in the importing account's time "
    "zone (America/Los_Angeles for the recording's service account); sandbox accounts have no "
    "time-zone setting, so the spreadsheet keeps the one it was created with (Etc/GMT)"
)
V2_RESOURCE = (
    "the sandbox renders a subset of the Drive v2 file resource for its one v2 route (gspread's "
    "import_csv); Google also sends links (embed, icon, thumbnail, export, parent), view dates, "
    "etags, lastModifyingUser, the owner's picture, writersCanShare and other flags"
)

KNOWN_DIFFERENCES: tuple[Known, ...] = (
    Known(
        "ClientTest.test_open_all_has_metadata",
        (*range(6, 68), *range(73, 106)),
        NOT_APPLICABLE,
        PRE_EXISTING,
    ),
    Known(
        "ClientTest.test_openall", (*range(6, 68), *range(76, 109)), NOT_APPLICABLE, PRE_EXISTING
    ),
    Known("CellTest.test_numeric_value", (5, 16, 26), MISMATCH, FORMULA),
    Known("ClientTest.test_import_csv", (4, 6, 12, 13), MISMATCH, IMPORT_TIME_ZONE),
    Known("ClientTest.test_import_csv", (3, 11), MISMATCH, V2_RESOURCE),
)


def known_differences() -> dict[tuple[str, int], Known]:
    """(recording, index) -> the allow-list entry that expects it not to match."""
    return {(k.recording, i): k for k in KNOWN_DIFFERENCES for i in k.indices}


def audit(verdicts: list[Verdict]) -> list[str]:
    """What is wrong with the sandbox or with the allow-list, for the recordings replayed.

    Empty when every interaction matches or differs exactly as the allow-list says. A
    difference the list does not name is a sandbox regression; a listed one that now matches
    means the list must shrink.
    """
    known = known_differences()
    problems = []
    for v in verdicts:
        entry = known.get(v.key)
        where = f"{v.recording}#{v.index} {v.call}"
        if entry is None and v.outcome != MATCH:
            problems.append(f"{where}: {v.outcome}, not in the allow-list: {'; '.join(v.notes)}")
        elif entry is not None and v.outcome == MATCH:
            problems.append(
                f"{where} now matches: remove it from KNOWN_DIFFERENCES in {Path(__file__).name}"
            )
        elif entry is not None and v.outcome != entry.outcome:
            problems.append(
                f"{where}: {v.outcome}, the allow-list expects {entry.outcome}: "
                f"{'; '.join(v.notes)}"
            )
    replayed = {v.key for v in verdicts}
    recordings = {v.recording for v in verdicts}
    problems += [
        f"{name}#{index} is in the allow-list but the recording has no such interaction"
        for name, index in sorted(known)
        if name in recordings and (name, index) not in replayed
    ]
    return problems


# -- running it --------------------------------------------------------------------------------


def replay(name: str, kit: Any, user: str, foreign_user: str) -> list[Verdict]:
    """One recording against ``kit``'s sandbox, as ``user``; ``foreign_user`` owns the private
    spreadsheet a recording may be refused."""
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


def tally(verdicts: list[Verdict]) -> str:
    """The headline: how many interactions match, and what the others are."""
    count = {o: sum(v.outcome == o for v in verdicts) for o in (MATCH, MISMATCH, NOT_APPLICABLE)}
    return (
        f"{count[MATCH]} of {len(verdicts)} interactions match "
        f"({count[NOT_APPLICABLE]} not applicable, {count[MISMATCH]} mismatches)"
    )


def report(verdicts: list[Verdict]) -> str:
    """A table per recording, the tally, every remaining difference by reason, and problems."""
    lines = [_table(verdicts), "", tally(verdicts), "", "Remaining differences, by reason:"]
    for reason, group in _by_reason(verdicts).items():
        outcomes = sorted({v.outcome for v in group})
        lines.append(f"- [{'/'.join(outcomes)}] {len(group)} interactions: {reason}")
        for name in sorted({v.recording for v in group}):
            indices = [v.index for v in group if v.recording == name]
            lines.append(f"    {name} #{_spans(indices)}")
        notes = dict.fromkeys(n for v in group if v.outcome == MISMATCH for n in v.notes)
        lines += [f"      {note}" for note in notes]
    problems = audit(verdicts)
    if problems:
        lines += ["", f"PROBLEMS ({len(problems)}): sandbox regressions or a stale allow-list"]
        lines += [f"- {p}" for p in problems]
    return "\n".join(lines)


def _table(verdicts: list[Verdict]) -> str:
    names = sorted({v.recording for v in verdicts})
    width = max(len(n) for n in names) if names else 10
    header = f"{'recording':<{width}}  {'calls':>5}  {'match':>5}  {'mismatch':>8}  {'n/a':>4}"
    rows = [header, "-" * len(header)]
    for name in names:
        mine = [v for v in verdicts if v.recording == name]
        rows.append(
            f"{name:<{width}}  {len(mine):>5}  {_count(mine, MATCH):>5}  "
            f"{_count(mine, MISMATCH):>8}  {_count(mine, NOT_APPLICABLE):>4}"
        )
    return "\n".join(rows)


def _count(verdicts: list[Verdict], outcome: str) -> int:
    return sum(v.outcome == outcome for v in verdicts)


def _by_reason(verdicts: list[Verdict]) -> dict[str, list[Verdict]]:
    known = known_differences()
    groups: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        if v.outcome != MATCH:
            entry = known.get(v.key)
            groups[entry.reason if entry else "NOT IN THE ALLOW-LIST"].append(v)
    return dict(sorted(groups.items(), key=lambda item: -len(item[1])))


def _spans(indices: list[int]) -> str:
    """[6, 7, 8, 12] -> '6-8, 12'."""
    spans: list[list[int]] = []
    for i in sorted(indices):
        if spans and i == spans[-1][1] + 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def main() -> int:
    """Replay everything and print the report; exit 1 if the sandbox or the allow-list is off."""
    from careerdocs.sandbox.oauth import new_private_key
    from tests.conftest import ALICE, BOB, make_kit

    key = new_private_key()
    verdicts = replay_all(lambda: make_kit(key), ALICE, BOB)
    print(report(verdicts))
    return 1 if audit(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
