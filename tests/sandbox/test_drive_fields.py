"""The ``fields`` FieldMask: parsing, trimming responses, and refusing unknown fields."""

from __future__ import annotations

from typing import Any

import pytest

from careerdocs.sandbox.core import ApiError
from careerdocs.sandbox.drive_resources import schema
from careerdocs.sandbox.fields import FieldMask

FILE = {
    "kind": "drive#file",
    "id": "f1",
    "name": "IGP",
    "mimeType": "application/vnd.google-apps.document",
    "appProperties": {"careerdocs_kind": "igp"},
    "owners": [{"emailAddress": "alice@example.com", "displayName": "alice", "me": True}],
    "capabilities": {"canEdit": True, "canShare": False},
}
LISTING = {"kind": "drive#fileList", "nextPageToken": "t", "files": [FILE, {**FILE, "id": "f2"}]}


@pytest.mark.parametrize(
    ("mask", "data", "expected"),
    [
        ("id,name", FILE, {"id": "f1", "name": "IGP"}),
        ("id, name", FILE, {"id": "f1", "name": "IGP"}),
        ("capabilities/canEdit", FILE, {"capabilities": {"canEdit": True}}),
        ("owners(emailAddress)", FILE, {"owners": [{"emailAddress": "alice@example.com"}]}),
        (
            "owners/emailAddress,owners/me",
            FILE,
            {"owners": [{"emailAddress": "alice@example.com", "me": True}]},
        ),
        ("appProperties", FILE, {"appProperties": {"careerdocs_kind": "igp"}}),
        ("description", FILE, {}),
        ("*", FILE, FILE),
        (
            "nextPageToken,files(id,appProperties)",
            LISTING,
            {
                "nextPageToken": "t",
                "files": [
                    {"id": "f1", "appProperties": {"careerdocs_kind": "igp"}},
                    {"id": "f2", "appProperties": {"careerdocs_kind": "igp"}},
                ],
            },
        ),
        ("files/id", LISTING, {"files": [{"id": "f1"}, {"id": "f2"}]}),
        ("files(*)", LISTING, {"files": [FILE, {**FILE, "id": "f2"}]}),
        (
            "kind,files",
            {"kind": "drive#fileList", "files": []},
            {"kind": "drive#fileList", "files": []},
        ),
        ("capabilities(canEdit),capabilities", FILE, {"capabilities": FILE["capabilities"]}),
    ],
)
def test_mask_keeps_exactly_the_selected_fields(mask: str, data: Any, expected: Any) -> None:
    assert FieldMask.parse(mask).apply(data) == expected


def test_selecting_inside_a_missing_object_leaves_it_out() -> None:
    assert FieldMask.parse("id,lastModifyingUser/emailAddress").apply(FILE) == {"id": "f1"}


@pytest.mark.parametrize("mask", ["", "id,", "files(id", "files(id))", "a//b", "(id)", ",id"])
def test_malformed_mask_is_a_400_invalid_field_selection(mask: str) -> None:
    with pytest.raises(ApiError) as err:
        FieldMask.parse(mask)
    assert err.value.code == 400
    assert err.value.message.startswith("Invalid field selection")
    assert err.value.body()["error"]["errors"][0]["location"] == "fields"


@pytest.mark.parametrize(
    ("mask", "resource", "bad"),
    [
        ("starred", "FileList", "starred"),
        ("files(id,colour)", "FileList", "colour"),
        ("id,nmae", "File", "nmae"),
        ("owners/email", "File", "email"),
        ("name/first", "File", "first"),
    ],
)
def test_unknown_field_names_the_offender(mask: str, resource: str, bad: str) -> None:
    with pytest.raises(ApiError) as err:
        FieldMask.parse(mask).validate(schema(resource))
    assert err.value.message == f"Invalid field selection {bad}"


@pytest.mark.parametrize(
    ("mask", "resource"),
    [
        ("kind,nextPageToken,files(id,name,createdTime,modifiedTime)", "FileList"),
        ("id,appProperties/careerdocs_kind,capabilities/canEdit", "File"),
        ("changes(fileId,file(appProperties)),newStartPageToken", "ChangeList"),
        ("permissions(emailAddress,role,permissionDetails/inherited)", "PermissionList"),
        ("user,storageQuota", "About"),
        ("*", "File"),
    ],
)
def test_masks_real_clients_send_are_valid(mask: str, resource: str) -> None:
    FieldMask.parse(mask).validate(schema(resource))
