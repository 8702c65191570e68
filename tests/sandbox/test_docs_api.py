"""Docs v1 through the real google-api-python-client, against the sandbox over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from careerdocs.sandbox import core
from tests.conftest import ALICE, BOB, CAROL, SandboxKit

pytestmark = pytest.mark.google

TEMPLATE = "Growth plan for {{name}}\n{{NAME}} works in {{team}}\nNot a promotion talk"


def _docs(kit: SandboxKit) -> Any:
    return kit.docs.documents()


def _new_doc(kit: SandboxKit, text: str = TEMPLATE, user: str = ALICE) -> str:
    doc = _docs(kit).create(body={"title": "IGP - Ada"}).execute(http=kit.http(user))
    _batch(kit, doc["documentId"], [{"insertText": {"location": {"index": 1}, "text": text}}])
    return doc["documentId"]


def _batch(
    kit: SandboxKit, doc_id: str, requests: list[dict], user: str = ALICE, **extra: Any
) -> dict:
    body = {"requests": requests, **extra}
    return _docs(kit).batchUpdate(documentId=doc_id, body=body).execute(http=kit.http(user))


def _get(kit: SandboxKit, doc_id: str, user: str = ALICE, **params: Any) -> dict:
    return _docs(kit).get(documentId=doc_id, **params).execute(http=kit.http(user))


def _text(document: dict) -> str:
    return "".join(
        element["textRun"]["content"]
        for item in document["body"]["content"]
        if "paragraph" in item
        for element in item["paragraph"]["elements"]
    )


def _error(caught: pytest.ExceptionInfo[HttpError]) -> dict:
    return json.loads(caught.value.content)["error"]


def _share(kit: SandboxKit, doc_id: str, email: str, role: str) -> None:
    with kit.store.lock:
        kit.store.files[doc_id].permissions.append(
            core.Permission(id=core.new_id(12), type="user", role=role, email_address=email)
        )


def test_create_makes_an_empty_doc_owned_by_the_caller(sandbox: SandboxKit):
    doc = _docs(sandbox).create(body={"title": "Tracker"}).execute(http=sandbox.http(ALICE))
    assert doc["title"] == "Tracker"
    assert doc["body"]["content"][-1]["endIndex"] == 2
    assert sandbox.store.files[doc["documentId"]].owner == ALICE


def test_get_reports_paragraphs_with_utf16_indices_each_ending_in_newline(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox, "Héllo 😀\nsecond")
    document = _get(sandbox, doc_id)
    section, first, second = document["body"]["content"]
    assert section == {
        "endIndex": 1,
        "sectionBreak": {
            "sectionStyle": {
                "columnSeparatorStyle": "NONE",
                "contentDirection": "LEFT_TO_RIGHT",
                "sectionType": "CONTINUOUS",
            }
        },
    }
    assert (first["startIndex"], first["endIndex"]) == (1, 10)  # the emoji is two code units
    assert (second["startIndex"], second["endIndex"]) == (10, 17)
    assert first["paragraph"]["elements"][0]["textRun"]["content"] == "Héllo 😀\n"
    assert first["paragraph"]["paragraphStyle"]["namedStyleType"] == "NORMAL_TEXT"
    assert document["documentId"] == doc_id
    assert document["title"] == "IGP - Ada"
    assert document["revisionId"]


def test_replace_all_text_counts_occurrences_and_omits_a_zero_count(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox)
    reply = _batch(
        sandbox,
        doc_id,
        [
            {"replaceAllText": {"containsText": {"text": "{{name}}"}, "replaceText": "Ada"}},
            {
                "replaceAllText": {
                    "containsText": {"text": "{{TEAM}}", "matchCase": True},
                    "replaceText": "Core",
                }
            },
            {
                "replaceAllText": {
                    "containsText": {"text": "{{team}}", "matchCase": True},
                    "replaceText": "Core",
                }
            },
        ],
    )
    assert reply["documentId"] == doc_id
    assert reply["replies"] == [
        {"replaceAllText": {"occurrencesChanged": 2}},
        {"replaceAllText": {}},
        {"replaceAllText": {"occurrencesChanged": 1}},
    ]
    assert reply["writeControl"]["requiredRevisionId"] == _get(sandbox, doc_id)["revisionId"]
    assert _text(_get(sandbox, doc_id)) == (
        "Growth plan for Ada\nAda works in Core\nNot a promotion talk\n"
    )


def test_batch_update_is_atomic_when_a_later_request_is_invalid(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox)
    before = _get(sandbox, doc_id)
    end = before["body"]["content"][-1]["endIndex"]
    with pytest.raises(HttpError) as caught:
        _batch(
            sandbox,
            doc_id,
            [
                # Same length as the placeholder, so the body's end index stays put.
                {
                    "replaceAllText": {
                        "containsText": {"text": "{{name}}"},
                        "replaceText": "Ada King",
                    }
                },
                {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": end}}},
            ],
        )
    assert caught.value.resp.status == 400
    assert _error(caught) == {
        "errors": [
            {
                "domain": "global",
                "reason": "badRequest",
                "message": "Invalid requests[1].deleteContentRange: The range cannot include "
                "the newline character at the end of the segment.",
            }
        ],
        "code": 400,
        "message": "Invalid requests[1].deleteContentRange: The range cannot include the "
        "newline character at the end of the segment.",
        "status": "INVALID_ARGUMENT",
    }
    assert _get(sandbox, doc_id) == before


def test_requests_apply_in_order_against_the_changing_document(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox, "abc")
    _batch(
        sandbox,
        doc_id,
        [
            {"insertText": {"location": {"index": 1}, "text": "XY"}},
            {"deleteContentRange": {"range": {"startIndex": 2, "endIndex": 4}}},
            {"insertText": {"endOfSegmentLocation": {}, "text": "!"}},
        ],
    )
    assert _text(_get(sandbox, doc_id)) == "Xbc!\n"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({}, "Invalid requests[0]: No request set."),
        (
            {"insertText": {"location": {"index": 99}, "text": "x"}},
            "Invalid requests[0].insertText: Index 99 must be less than the end index of the "
            "referenced segment, 5.",
        ),
        (
            {"insertText": {"location": {"index": 0}, "text": "x"}},
            "Invalid requests[0].insertText: The insertion index must be inside the bounds of "
            "an existing paragraph.",
        ),
        (
            {"deleteContentRange": {"range": {"startIndex": 2, "endIndex": 2}}},
            "Invalid requests[0].deleteContentRange: The range should not be empty.",
        ),
        (
            {"replaceAllText": {"containsText": {"text": "a"}}},
            "Invalid requests[0].replaceAllText: replacement text parameter is required but not "
            "specified.",
        ),
    ],
)
def test_refuses_invalid_requests_with_docs_error_body(
    sandbox: SandboxKit, request_: dict, message: str
):
    doc_id = _new_doc(sandbox, "abc")
    with pytest.raises(HttpError) as caught:
        _batch(sandbox, doc_id, [request_])
    error = _error(caught)
    assert (error["code"], error["status"], error["message"]) == (400, "INVALID_ARGUMENT", message)
    assert error["errors"][0]["message"] == message


def test_refuses_a_stale_required_revision(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox, "abc")
    stale = _get(sandbox, doc_id)["revisionId"]
    _batch(sandbox, doc_id, [{"insertText": {"location": {"index": 1}, "text": "x"}}])
    request = {"insertText": {"location": {"index": 1}, "text": "y"}}
    with pytest.raises(HttpError) as caught:
        _batch(sandbox, doc_id, [request], writeControl={"requiredRevisionId": stale})
    assert caught.value.resp.status == 400
    assert _text(_get(sandbox, doc_id)) == "xabc\n"
    fresh = _get(sandbox, doc_id)["revisionId"]
    _batch(sandbox, doc_id, [request], writeControl={"requiredRevisionId": fresh})
    assert _text(_get(sandbox, doc_id)) == "yxabc\n"


def test_a_batch_that_changes_nothing_keeps_the_revision_and_modified_time(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox, "abc")
    revision = _get(sandbox, doc_id)["revisionId"]
    modified = sandbox.store.files[doc_id].modified_time
    reply = _batch(
        sandbox,
        doc_id,
        [{"replaceAllText": {"containsText": {"text": "zzz"}, "replaceText": "y"}}],
    )
    assert reply["writeControl"] == {"requiredRevisionId": revision}
    assert sandbox.store.files[doc_id].modified_time == modified


def test_reader_can_get_without_revision_but_batch_update_is_403(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox)
    _share(sandbox, doc_id, BOB, "reader")
    seen = _get(sandbox, doc_id, user=BOB)
    assert "revisionId" not in seen
    with pytest.raises(HttpError) as caught:
        _batch(
            sandbox, doc_id, [{"insertText": {"endOfSegmentLocation": {}, "text": "x"}}], user=BOB
        )
    assert caught.value.resp.status == 403
    assert _error(caught)["status"] == "PERMISSION_DENIED"
    assert _text(_get(sandbox, doc_id)) == TEMPLATE + "\n"


def test_writer_may_batch_update(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox, "abc")
    _share(sandbox, doc_id, BOB, "writer")
    _batch(sandbox, doc_id, [{"insertText": {"location": {"index": 1}, "text": "B"}}], user=BOB)
    assert _text(_get(sandbox, doc_id)) == "Babc\n"
    assert sandbox.store.files[doc_id].last_modifying_user == BOB


def test_stranger_gets_403_and_unknown_id_gets_404_docs_body(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox)
    with pytest.raises(HttpError) as caught:
        _get(sandbox, doc_id, user=CAROL)
    assert caught.value.resp.status == 403
    with pytest.raises(HttpError) as caught:
        _get(sandbox, "no-such-document")
    assert caught.value.resp.status == 404
    assert _error(caught) == {
        "errors": [
            {"domain": "global", "reason": "notFound", "message": "Requested entity was not found."}
        ],
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
    }


def test_get_with_tabs_content_moves_the_body_into_the_first_tab(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox, "abc")
    plain = _get(sandbox, doc_id)
    tabbed = _get(sandbox, doc_id, includeTabsContent=True)
    assert "body" not in tabbed
    assert tabbed["tabs"][0]["tabProperties"]["tabId"] == "t.0"
    assert tabbed["tabs"][0]["documentTab"]["body"] == plain["body"]


def test_docs_api_refuses_a_file_that_is_not_a_google_doc(sandbox: SandboxKit):
    with sandbox.store.lock:
        sandbox.store.add_file(
            core.File(id="a-sheet", name="Growth sheet", mime_type=core.GSHEET, owner=ALICE)
        )
    with pytest.raises(HttpError) as caught:
        _get(sandbox, "a-sheet")
    assert caught.value.resp.status == 400
    assert _error(caught)["message"] == "This operation is not supported for this document"


def test_created_doc_is_in_my_drive_and_found_by_drive_query(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox, "Career conversations are not promotion conversations")
    q = "'root' in parents and trashed = false and fullText contains 'promotion'"
    listed = sandbox.drive.files().list(q=q).execute(http=sandbox.http(ALICE))
    assert [f["id"] for f in listed["files"]] == [doc_id]
    assert sandbox.drive.files().list(q=q).execute(http=sandbox.http(BOB))["files"] == []


def test_drive_copy_of_a_doc_has_its_own_content_and_revision(sandbox: SandboxKit):
    doc_id = _new_doc(sandbox, "Hello {{name}}")
    copy = (
        sandbox.drive.files()
        .copy(fileId=doc_id, body={"name": "Ada's IGP"})
        .execute(http=sandbox.http(ALICE))
    )
    _batch(
        sandbox,
        copy["id"],
        [{"replaceAllText": {"containsText": {"text": "{{name}}"}, "replaceText": "Ada"}}],
    )
    assert _text(_get(sandbox, copy["id"])) == "Hello Ada\n"
    assert _text(_get(sandbox, doc_id)) == "Hello {{name}}\n"
    assert _get(sandbox, copy["id"])["revisionId"] != _get(sandbox, doc_id)["revisionId"]
