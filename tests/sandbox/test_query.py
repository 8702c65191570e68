"""Drive's ``q`` language: how queries parse, what they match, and which ones are refused."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from careerdocs.sandbox import core
from careerdocs.sandbox.docs import Document
from careerdocs.sandbox.query import (
    And,
    BooleanTerm,
    Everything,
    MembershipTerm,
    Not,
    Or,
    PropertyTerm,
    TextTerm,
    TimeTerm,
    compile_query,
    parse_query,
    parse_time,
)

ADA = "ada@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
FOLDER_ID = "folder-1"


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def _perm(email: str, role: str) -> core.Permission:
    return core.Permission(id=core.new_id(12), type="user", role=role, email_address=email)


@pytest.fixture(scope="module")
def store() -> core.Store:
    s = core.Store()
    for f in (
        core.File(
            id=FOLDER_ID,
            name="Ada career docs",
            mime_type=core.FOLDER,
            owner=ADA,
            permissions=[_perm(CAROL, "reader")],
            created_time=_at("2024-01-01T00:00:00"),
            modified_time=_at("2024-01-01T00:00:00"),
        ),
        core.File(
            id="plan",
            name="Growth Plan - Ada",
            mime_type=core.GDOC,
            owner=ADA,
            parents=[FOLDER_ID],
            app_properties={"careerdocs_kind": "igp", "careerdocs_person": ADA},
            properties={"team": "core"},
            created_time=_at("2024-01-01T00:00:00"),
            modified_time=_at("2024-03-01T10:00:00.500"),
            doc=Document.from_text("Career conversations are not promotion talks"),
        ),
        core.File(
            id="sheet",
            name="Ada's growth sheet",
            mime_type=core.GSHEET,
            owner=ADA,
            parents=[FOLDER_ID],
            permissions=[_perm(BOB, "writer")],
            app_properties={"careerdocs_kind": "sheet", "careerdocs_person": ADA},
            created_time=_at("2024-02-01T00:00:00"),
            modified_time=_at("2024-02-15T00:00:00"),
        ),
        core.File(
            id="old",
            name="Old plan",
            mime_type=core.GDOC,
            owner=BOB,
            trashed=True,
            permissions=[_perm(ADA, "reader")],
            created_time=_at("2023-01-01T00:00:00"),
            modified_time=_at("2023-06-01T00:00:00"),
            doc=Document.new(),
        ),
        core.File(
            id="notes",
            name="notes.txt",
            mime_type="text/plain",
            owner=BOB,
            blob=b"skip-level meeting notes",
            created_time=_at("2023-05-01T00:00:00"),
            modified_time=_at("2023-05-02T00:00:00"),
        ),
    ):
        s.add_file(f)
    return s


def _ids(store: core.Store, q: str, user: str = ADA) -> set[str]:
    matches = compile_query(q)
    return {f.id for f in store.files.values() if matches(f, store, user)}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("appProperties has { key='careerdocs_kind' and value='igp' }", {"plan"}),
        (
            "appProperties has {key='careerdocs_person' and value='ada@example.com'}",
            {"plan", "sheet"},
        ),
        ("appProperties has { key='careerdocs_kind' and value='IGP' }", set()),
        ("properties has { key='team' and value='core' }", {"plan"}),
        ("properties has { key='careerdocs_kind' and value='igp' }", set()),
        (f"'{FOLDER_ID}' in parents", {"plan", "sheet"}),
        ("trashed = true", {"old"}),
        ("trashed = false", {FOLDER_ID, "plan", "sheet", "notes"}),
        ("trashed != true", {FOLDER_ID, "plan", "sheet", "notes"}),
        ("trashed = FALSE", {FOLDER_ID, "plan", "sheet", "notes"}),
        (f"mimeType = '{core.GDOC}'", {"plan", "old"}),
        (f"mimeType != '{core.FOLDER}' and trashed = false", {"plan", "sheet", "notes"}),
        ("mimeType contains 'google-apps.spread'", {"sheet"}),
        ("name = 'Old plan'", {"old"}),
        ("name = 'old plan'", set()),
        ("name != 'Old plan' and trashed = false", {FOLDER_ID, "plan", "sheet", "notes"}),
        ("name contains 'growth'", {"plan", "sheet"}),
        ("name contains 'growth plan'", {"plan"}),
        ("name contains 'Plan'", {"plan", "old"}),
        ("name contains 'lan'", set()),
        ("name contains 'ada'", {FOLDER_ID, "plan", "sheet"}),
        ("name contains 'career'", {FOLDER_ID}),
        ("fullText contains 'PROMOTION'", {"plan"}),
        ("fullText contains 'skip-level'", {"notes"}),
        ("fullText contains 'growth sheet'", {"sheet"}),
        (f"'{ADA}' in owners", {FOLDER_ID, "plan", "sheet"}),
        (f"'{BOB}' in writers", {"sheet", "old", "notes"}),
        (f"'{ADA}' in writers", {FOLDER_ID, "plan", "sheet"}),
        (f"'{ADA}' in readers", {FOLDER_ID, "plan", "sheet", "old"}),
        (f"'{CAROL}' in readers", {FOLDER_ID, "plan", "sheet"}),
        (f"'{CAROL}' in writers", set()),
        ("modifiedTime > '2024-02-15T00:00:00'", {"plan"}),
        ("modifiedTime >= '2024-02-15T00:00:00Z'", {"plan", "sheet"}),
        ("modifiedTime = '2024-03-01T10:00:00.500Z'", {"plan"}),
        ("modifiedTime = '2024-03-01T10:00:00Z'", set()),
        ("modifiedTime = '2024-03-01T11:00:00.500+01:00'", {"plan"}),
        ("modifiedTime < '2023-06-01T00:00:00' and modifiedTime != '2023-05-02T00:00:00'", set()),
        ("modifiedTime <= '2023-06-01T00:00:00'", {"old", "notes"}),
        ("createdTime < '2024-01-01T00:00:00'", {"old", "notes"}),
        ("sharedWithMe", {"old"}),
        ("sharedWithMe = true and trashed = false", set()),
        ("sharedWithMe = false", {FOLDER_ID, "plan", "sheet", "notes"}),
        ("starred = true", set()),
        ("starred = false and trashed = true", {"old"}),
        ("trashed = true or name contains 'notes'", {"old", "notes"}),
        ("not trashed = true and not mimeType contains 'google-apps'", {"notes"}),
        ("(name contains 'Old' or name contains 'notes') and trashed = false", {"notes"}),
        ("name contains 'Old' or name contains 'notes' and trashed = false", {"old", "notes"}),
        ('mimeType = "application/vnd.google-apps.document" and name = "Old plan"', {"old"}),
        ("name = 'Ada\\'s growth sheet'", {"sheet"}),
        ("name contains 'Ada\\'s'", {"sheet"}),
        ("", {FOLDER_ID, "plan", "sheet", "old", "notes"}),
        ("   ", {FOLDER_ID, "plan", "sheet", "old", "notes"}),
    ],
)
def test_query_matches_expected_files(store: core.Store, q: str, expected: set[str]):
    assert _ids(store, q) == expected


def test_shared_with_me_depends_on_the_acting_user(store: core.Store):
    assert _ids(store, "sharedWithMe", user=BOB) == {"sheet"}
    assert _ids(store, "sharedWithMe", user=CAROL) == {FOLDER_ID}


@pytest.mark.parametrize(
    ("q", "tree"),
    [
        ("trashed = false", BooleanTerm("trashed", False)),
        ("trashed != false", BooleanTerm("trashed", True)),
        ("'x@y.z' in readers", MembershipTerm("x@y.z", "readers")),
        (
            "name contains 'a' and name = 'b' or mimeType != 'c'",
            Or(
                And(TextTerm("name", "contains", "a"), TextTerm("name", "=", "b")),
                TextTerm("mimeType", "!=", "c"),
            ),
        ),
        (
            "name = 'a' and (name = 'b' or name = 'c')",
            And(
                TextTerm("name", "=", "a"),
                Or(TextTerm("name", "=", "b"), TextTerm("name", "=", "c")),
            ),
        ),
        ("not not sharedWithMe", Not(Not(BooleanTerm("sharedWithMe", True)))),
        (
            "NOT name = 'x' AND trashed = TRUE",
            And(Not(TextTerm("name", "=", "x")), BooleanTerm("trashed", True)),
        ),
        ("appProperties has {key='k' and value='v'}", PropertyTerm("appProperties", "k", "v")),
        ("name = 'it\\'s \"quoted\"'", TextTerm("name", "=", 'it\'s "quoted"')),
        ('name = "say \\"hi\\""', TextTerm("name", "=", 'say "hi"')),
        ("modifiedTime > '2024-01-02T03:04:05.678Z'", TimeTerm("modifiedTime", ">", 1704164645678)),
        ("", Everything()),
    ],
)
def test_parses_into_expected_tree(q: str, tree: object):
    assert parse_query(q) == tree


@pytest.mark.parametrize(
    "q",
    [
        "name = 'unterminated",
        "name = unquoted",
        "name",
        "name ==  'x'",
        "name > 'x'",
        "fullText = 'x'",
        "trashed = 'false'",
        "trashed contains true",
        "trashed = maybe",
        "modifiedTime contains '2024-01-01'",
        "modifiedTime > 'yesterday'",
        "modifiedTime > '2024-13-01T00:00:00'",
        "'x' in children",
        "'x' parents",
        "appProperties has { key='k' }",
        "appProperties has { value='v' and key='k' }",
        "appProperties = 'k'",
        "title = 'drive v2 name'",
        "visibility = 'limited'",
        "(name = 'a'",
        "name = 'a')",
        "name = 'a' and",
        "name = 'a' or or name = 'b'",
        "not",
        "name = 'a' name = 'b'",
        "name = 'a' & trashed = false",
        "TRASHED = true",
    ],
)
def test_refuses_bad_query_with_drive_invalid_value_body(q: str):
    with pytest.raises(core.ApiError) as caught:
        compile_query(q)
    assert caught.value.code == 400
    assert caught.value.body() == {
        "error": {
            "errors": [
                {
                    "domain": "global",
                    "reason": "invalid",
                    "message": "Invalid Value",
                    "locationType": "parameter",
                    "location": "q",
                }
            ],
            "code": 400,
            "message": "Invalid Value",
        }
    }


@pytest.mark.parametrize(
    ("text", "millis"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:01.5Z", 1500),
        ("1970-01-01T01:00:00+01:00", 0),
        ("1970-01-01T00:00:00.123456", 123),
        ("1970-01-02", 86_400_000),
        ("1970-01-01T00:01", 60_000),
    ],
)
def test_parses_rfc3339_times_as_utc_milliseconds(text: str, millis: int):
    assert parse_time(text) == millis
