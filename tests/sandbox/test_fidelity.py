"""The sandbox against recordings of real Google traffic (tests/sandbox/recordings/).

Every recorded interaction must match, or differ exactly as the allow-list in
``tests/sandbox/fidelity.py`` says and for the reason it gives. ``python -m tests.sandbox.fidelity``
prints the tally and the remaining differences.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.conftest import ALICE, BOB, SandboxKit
from tests.sandbox import fidelity
from tests.sandbox.fidelity import MATCH, MISMATCH, NOT_APPLICABLE, Interaction, differences

pytestmark = pytest.mark.google

MISSING = "recordings-missing"


def _recordings() -> list[str]:
    """The cassettes to replay; one placeholder when the folder is missing, so the replay test
    fails with the place to put it instead of being skipped for want of parameters."""
    try:
        return fidelity.recording_names()
    except fidelity.RecordingsMissing:
        return [MISSING]


@pytest.mark.parametrize("recording", _recordings())
def test_each_recording_replays_as_recorded_or_as_the_allow_list_says(
    sandbox: SandboxKit, recording: str
) -> None:
    try:
        fidelity.require_recordings()
    except fidelity.RecordingsMissing as missing:
        pytest.fail(str(missing))
    verdicts = fidelity.replay(recording, sandbox, ALICE, BOB)
    assert fidelity.audit(verdicts) == []


def test_all_recordings_are_present() -> None:
    names = fidelity.recording_names()
    assert len(names) == fidelity.EXPECTED_RECORDINGS
    assert sum(len(fidelity.load(n)) for n in names) == fidelity.EXPECTED_INTERACTIONS


def test_the_allow_list_names_only_recordings_that_exist_and_gives_each_a_reason() -> None:
    names = set(fidelity.recording_names())
    for known in fidelity.KNOWN_DIFFERENCES:
        assert known.recording in names
        assert known.outcome in (MISMATCH, NOT_APPLICABLE)
        assert known.indices and known.reason.strip()


# -- the judge itself --------------------------------------------------------------------------


def answer(status: int, body: Any, content_type: str = "application/json") -> requests.Response:
    """A response as the sandbox's session would return it."""
    resp = requests.Response()
    resp.status_code = status
    resp.headers["Content-Type"] = content_type
    resp._content = (json.dumps(body) if not isinstance(body, str) else body).encode("utf-8")
    return resp


def recorded(status: int, body: Any, content_type: str = "application/json") -> Interaction:
    text = json.dumps(body) if not isinstance(body, str) else body
    return Interaction("GET", "https://x/", None, None, status, content_type, text)


UPDATED = {
    "spreadsheetId": "rec-1",
    "updatedRange": "Sheet1!A1:B1",
    "updatedRows": 1,
    "updatedColumns": 2,
    "updatedCells": 2,
}


@pytest.mark.parametrize(
    ("ours", "expected"),
    [
        ({**UPDATED, "spreadsheetId": "our-1"}, []),
        (
            {k: v for k, v in UPDATED.items() if k != "updatedRows"},
            [".: missing keys ['updatedRows']"],
        ),
        ({**UPDATED, "extra": True}, [".: extra keys ['extra']"]),
        ({**UPDATED, "updatedCells": "2"}, [".updatedCells: number recorded, string now"]),
        (
            {**UPDATED, "updatedRange": "'Sheet1'!A1:B1"},
            [".updatedRange: 'Sheet1!A1:B1' recorded, \"'Sheet1'!A1:B1\" now"],
        ),
    ],
    ids=["ids-differ-only", "missing-key", "extra-key", "wrong-type", "echo-format"],
)
def test_keys_types_and_deterministic_values_are_compared(
    ours: dict[str, Any], expected: list[str]
) -> None:
    assert differences(UPDATED, ours, {}) == expected


def test_volatile_values_are_compared_by_type_only() -> None:
    rec = {"id": "r", "createdTime": "2023-08-17T10:52:36.993Z", "etag": '"abc"'}
    assert (
        differences(rec, {"id": "o", "createdTime": "2026-01-01T00:00:00Z", "etag": "x"}, {}) == []
    )
    assert differences(rec, {"id": "o", "createdTime": 0, "etag": "x"}, {}) == [
        ".createdTime: string recorded, number now"
    ]


def test_one_recorded_id_must_always_stand_for_the_same_id_of_ours() -> None:
    ids: dict[Any, Any] = {}
    assert differences({"sheetId": 7}, {"sheetId": 42}, ids) == []
    assert ids == {7: 42}
    assert differences({"sheetId": 7}, {"sheetId": 43}, ids) == [
        ".sheetId: 43 is not the id that stood for 7 before"
    ]


def test_recorded_ids_inside_values_are_read_as_ours() -> None:
    ids = {"rec-1": "our-1"}
    rec = {"spreadsheetUrl": "https://docs.google.com/spreadsheets/d/rec-1/edit"}
    assert (
        differences(rec, {"spreadsheetUrl": "http://127.0.0.1:9/spreadsheets/d/our-1/edit"}, ids)
        == []
    )
    assert differences(rec, {"spreadsheetUrl": "http://127.0.0.1:9/spreadsheets/d/rec-1/edit"}, ids)


def test_a_listing_ignores_files_made_before_the_recording_but_not_ours() -> None:
    ids = {"mine": "ours"}
    listed = {"name": "Mine", "createdTime": "t"}
    rec = {
        "kind": "drive#fileList",
        "files": [{"id": "mine", **listed}, {"id": "older", "name": "Old", "createdTime": "t"}],
    }
    ok = {"kind": "drive#fileList", "files": [{"id": "ours", **listed}]}
    assert differences(rec, ok, ids) == []
    assert differences(rec, {"kind": "drive#fileList", "files": []}, ids) == [
        ".files[0]: 'Mine' is not listed"
    ]
    stray = {"kind": "drive#fileList", "files": [*ok["files"], {"id": "z", "name": "Z"}]}
    assert differences(rec, stray, ids) == [".files: lists 'Z', never recorded"]


def test_an_answer_is_judged_by_status_media_type_and_body() -> None:
    error = {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }
    assert fidelity.compare_answer(recorded(404, error), answer(404, error), {}) == []
    assert fidelity.compare_answer(recorded(404, error), answer(403, error), {}) == [
        "status: 404 recorded, 403 now"
    ]
    csv = recorded(200, "a1,B2", "text/csv")
    assert fidelity.compare_answer(csv, answer(200, "a1,B2", "text/csv; charset=utf-8"), {}) == []
    assert fidelity.compare_answer(csv, answer(200, "a1,B2\r\n", "text/csv"), {}) == [
        "body: 'a1,B2' recorded, 'a1,B2\\r\\n' now"
    ]
    assert fidelity.compare_answer(csv, answer(200, {"a": 1}), {}) == [
        "content-type: text/csv recorded, application/json now"
    ]


def test_the_audit_flags_new_differences_and_allow_listed_ones_that_now_match() -> None:
    known = fidelity.KNOWN_DIFFERENCES[0]
    index = known.indices[0]
    listed_match = fidelity.Verdict(known.recording, index, "GET /", MATCH)
    unlisted = fidelity.Verdict(
        known.recording, max(known.indices) + 1000, "GET /", MISMATCH, ("x",)
    )
    problems = fidelity.audit([listed_match, unlisted])
    assert any("now matches: remove it from KNOWN_DIFFERENCES" in p for p in problems)
    assert any("not in the allow-list: x" in p for p in problems)
    assert any("has no such interaction" in p for p in problems)


def test_the_report_states_the_tally_and_each_reason() -> None:
    known = fidelity.KNOWN_DIFFERENCES[0]
    verdicts = [
        fidelity.Verdict(known.recording, 0, "GET /", MATCH),
        fidelity.Verdict(known.recording, known.indices[0], "GET /", known.outcome, ("n",)),
    ]
    text = fidelity.report(verdicts)
    assert "1 of 2 interactions match" in text
    assert known.reason in text
