"""Drive v3 handlers in-process: the sandbox pipeline without HTTP or OAuth, for the details
(error bodies, uploads in chunks, trash, ownership) that are slow or awkward through a client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httplib2
import pytest
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from careerdocs.sandbox import core, drive_model, drive_permissions
from tests.conftest import ALICE, BOB, CAROL
from tests.sandbox.pipeline import FILES, Drive

UPLOADS = "/upload/drive/v3/files"


@pytest.fixture
def drive() -> Iterator[Drive]:
    yield Drive()


def _reason(error: dict[str, Any]) -> str:
    return str(error["errors"][0]["reason"])


# -- create ------------------------------------------------------------------------------------


def test_new_file_lands_in_the_callers_my_drive(drive: Drive) -> None:
    made = drive.ok("POST", FILES, body={"name": "IGP"}, fields="parents,owners,mimeType")
    assert made["parents"] == [drive_model.root_id(ALICE)]
    assert made["owners"][0]["me"] is True
    assert made["mimeType"] == "application/octet-stream"
    root = drive.ok("GET", f"{FILES}/root", fields="id,name")
    assert root == {"id": drive_model.root_id(ALICE), "name": "My Drive"}


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"name": "x", "parents": ["a", "b"]}, 404, "notFound"),
        ({"name": "x", "owners": []}, 403, "fieldNotWritable"),
        ({"name": "x", "starred": True}, 400, "badRequest"),
        ({"name": "x", "appProperties": {"k": "v" * 124}}, 403, "propertyLengthLimitExceeded"),
        ({"name": 7}, 400, "invalid"),
    ],
)
def test_create_refuses_bodies_google_refuses(
    drive: Drive, body: dict, status: int, reason: str
) -> None:
    code, error = drive.error("POST", FILES, body=body)
    assert (code, _reason(error)) == (status, reason)
    assert [f for f in drive.store.files.values() if not drive_model.is_root(f)] == []


def test_two_parents_are_refused(drive: Drive) -> None:
    a, b = drive.folder("a"), drive.folder("b")
    code, error = drive.error("POST", FILES, body={"name": "x", "parents": [a, b]})
    assert (code, _reason(error)) == (403, "cannotAddParent")


def test_parent_must_be_visible_and_writable(drive: Drive) -> None:
    folder = drive.folder()
    code, error = drive.error("POST", FILES, BOB, {"name": "x", "parents": [folder]})
    assert (code, error["message"]) == (404, f"File not found: {folder}.")
    drive.share(folder, BOB, "reader")
    code, error = drive.error("POST", FILES, BOB, {"name": "x", "parents": [folder]})
    assert (code, _reason(error)) == (403, "insufficientParentPermissions")


def test_generated_ids_are_usable_once(drive: Drive) -> None:
    ids = drive.ok("GET", f"{FILES}/generateIds", count="2")["ids"]
    assert len(ids) == 2
    assert drive.create(name="x", id=ids[0]) == ids[0]
    code, error = drive.error("POST", FILES, body={"name": "y", "id": ids[0]})
    assert (code, _reason(error)) == (409, "fileIdInUse")


# -- uploads -----------------------------------------------------------------------------------


def test_media_upload_keeps_the_declared_type(drive: Drive) -> None:
    resp = drive.call(
        "POST",
        UPLOADS,
        body=b"%PDF-1.4",
        headers={"Content-Type": "application/pdf"},
        uploadType="media",
        fields="mimeType,size,name",
    )
    assert json.loads(resp.body) == {"mimeType": "application/pdf", "size": "8", "name": "Untitled"}


def test_resumable_upload_takes_chunks_and_answers_308_with_the_range(drive: Drive) -> None:
    start = drive.call(
        "POST",
        UPLOADS,
        body={"name": "big.bin"},
        uploadType="resumable",
        headers={
            "X-Upload-Content-Type": "application/octet-stream",
            "X-Upload-Content-Length": "10",
        },
    )
    assert start.status == 200
    location = urlsplit(start.headers["Location"])
    assert location.netloc == "sandbox.test:1234"
    session = f"{location.path}?{location.query}"
    first = drive.call("PUT", session, body=b"01234", headers={"Content-Range": "bytes 0-4/10"})
    assert (first.status, first.headers["Range"]) == (308, "bytes=0-4")
    status = drive.call("PUT", session, headers={"Content-Range": "bytes */10"})
    assert (status.status, status.headers["Range"]) == (308, "bytes=0-4")
    last = drive.call("PUT", session, body=b"56789", headers={"Content-Range": "bytes 5-9/10"})
    assert last.status == 200
    made = drive.store.files[json.loads(last.body)["id"]]
    assert made.blob == b"0123456789"
    assert drive.call("PUT", session, body=b"x").status == 404


def test_resumable_upload_checks_metadata_before_any_bytes(drive: Drive) -> None:
    code, _ = drive.error(
        "POST", UPLOADS, body={"name": "x", "parents": ["nowhere"]}, uploadType="resumable"
    )
    assert code == 404


def test_chunk_that_skips_bytes_is_refused(drive: Drive) -> None:
    start = drive.call("POST", UPLOADS, body={"name": "x"}, uploadType="resumable")
    location = urlsplit(start.headers["Location"])
    resp = drive.call(
        "PUT",
        f"{location.path}?{location.query}",
        body=b"abc",
        headers={"Content-Range": "bytes 3-5/6"},
    )
    assert resp.status == 400


def test_media_update_of_a_sheet_replaces_its_content(drive: Drive) -> None:
    sheet_id = drive.create(name="Goals", mimeType=core.GSHEET)
    resp = drive.call(
        "PATCH",
        f"{UPLOADS}/{sheet_id}",
        body=b"a,b\n1,2\n",
        headers={"Content-Type": "text/csv"},
        uploadType="media",
    )
    assert resp.status == 200
    assert drive.store.files[sheet_id].sheet.to_csv().decode().splitlines() == ["a,b", "1,2"]


def test_v2_csv_import_answers_a_v2_file(drive: Drive) -> None:
    sheet_id = drive.create(name="Goals", mimeType=core.GSHEET)
    resp = drive.call(
        "PUT",
        f"/upload/drive/v2/files/{sheet_id}",
        body=b"x,y\n",
        headers={"Content-Type": "text/csv"},
        uploadType="media",
        convert="True",
    )
    answer = json.loads(resp.body)
    assert (answer["title"], answer["mimeType"]) == ("Goals", core.GSHEET)
    sheet = drive.store.files[sheet_id].sheet
    assert sheet.sheets[0].title == "Goals"


# -- get, export -------------------------------------------------------------------------------


def test_range_download_answers_206(drive: Drive) -> None:
    made = drive.call("POST", UPLOADS, body=b"0123456789", uploadType="media")
    file_id = json.loads(made.body)["id"]
    resp = drive.call("GET", f"{FILES}/{file_id}", alt="media", headers={"Range": "bytes=2-4"})
    assert (resp.status, resp.body, resp.headers["Content-Range"]) == (206, b"234", "bytes 2-4/10")


@pytest.mark.parametrize(
    ("mime", "target", "starts"),
    [
        (core.GDOC, "text/plain", b""),
        (core.GDOC, "application/pdf", b"%PDF-1.4"),
        (core.GDOC, core.DOCX, b"PK"),
        (core.GSHEET, "text/csv", b""),
        (core.GSHEET, "text/tab-separated-values", b""),
        (core.GSHEET, core.XLSX, b"PK"),
        (core.GSHEET, "application/pdf", b"%PDF-1.4"),
    ],
)
def test_exports_native_files(drive: Drive, mime: str, target: str, starts: bytes) -> None:
    file_id = drive.create(name="x", mimeType=mime)
    resp = drive.call("GET", f"{FILES}/{file_id}/export", mimeType=target)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == target
    assert resp.body.startswith(starts)


@pytest.mark.parametrize(
    ("mime", "target", "status"),
    [
        (core.GDOC, "image/png", 400),
        ("application/octet-stream", "text/plain", 403),
    ],
)
def test_export_refuses_what_google_cannot_convert(
    drive: Drive, mime: str, target: str, status: int
) -> None:
    file_id = drive.create(name="x", mimeType=mime)
    code, _ = drive.error("GET", f"{FILES}/{file_id}/export", mimeType=target)
    assert code == status


# -- list --------------------------------------------------------------------------------------


def test_list_includes_trashed_files_unless_the_query_excludes_them(drive: Drive) -> None:
    kept, binned = drive.create(name="kept"), drive.create(name="binned")
    drive.ok("PATCH", f"{FILES}/{binned}", body={"trashed": True})
    every = {f["id"] for f in drive.ok("GET", FILES)["files"]}
    live = {f["id"] for f in drive.ok("GET", FILES, q="trashed = false")["files"]}
    assert (every, live) == ({kept, binned}, {kept})


def test_list_orders_and_pages_stably(drive: Drive) -> None:
    for name in ("b", "a", "c"):
        drive.create(name=name)
    first = drive.ok("GET", FILES, orderBy="name desc", pageSize="2")
    rest = drive.ok(
        "GET", FILES, orderBy="name desc", pageSize="2", pageToken=first["nextPageToken"]
    )
    assert [f["name"] for f in first["files"] + rest["files"]] == ["c", "b", "a"]
    assert "nextPageToken" not in rest


@pytest.mark.parametrize(
    "params",
    [
        {"orderBy": "colour"},
        {"pageSize": "0"},
        {"pageToken": "bogus!"},
        {"corpora": "everything"},
        {"corpora": "drive"},
    ],
)
def test_list_refuses_bad_parameters(drive: Drive, params: dict[str, str]) -> None:
    code, _ = drive.error("GET", FILES, **params)
    assert code == 400


# -- update, move, trash -----------------------------------------------------------------------


def test_update_patches_app_properties_and_null_deletes_a_key(drive: Drive) -> None:
    file_id = drive.create(name="x", appProperties={"a": "1", "b": "2"})
    made = drive.ok(
        "PATCH",
        f"{FILES}/{file_id}",
        body={"appProperties": {"a": None, "c": "3"}},
        fields="appProperties,version",
    )
    assert made == {"appProperties": {"b": "2", "c": "3"}, "version": "2"}


def test_parents_are_changed_with_add_and_remove_parents_only(drive: Drive) -> None:
    source, target = drive.folder("from"), drive.folder("to")
    file_id = drive.create(name="x", parents=[source])
    code, error = drive.error("PATCH", f"{FILES}/{file_id}", body={"parents": [target]})
    assert (code, _reason(error)) == (403, "fieldNotWritable")
    moved = drive.ok(
        "PATCH", f"{FILES}/{file_id}", addParents=target, removeParents=source, fields="parents"
    )
    assert moved == {"parents": [target]}
    code, error = drive.error("PATCH", f"{FILES}/{source}", addParents=source)
    assert code == 400


def test_only_the_owner_trashes_and_trash_reaches_a_folders_items(drive: Drive) -> None:
    folder = drive.folder()
    inside = drive.create(name="x", parents=[folder])
    drive.share(folder, BOB, "writer")
    code, error = drive.error("PATCH", f"{FILES}/{folder}", BOB, {"trashed": True})
    assert (code, _reason(error)) == (403, "insufficientFilePermissions")
    drive.ok("PATCH", f"{FILES}/{folder}", body={"trashed": True})
    assert drive.store.files[inside].trashed
    drive.ok("PATCH", f"{FILES}/{folder}", body={"trashed": False})
    assert not drive.store.files[inside].trashed


def test_empty_trash_deletes_only_the_callers_trashed_files(drive: Drive) -> None:
    mine, theirs = drive.create(name="mine"), drive.create(BOB, name="theirs")
    drive.ok("PATCH", f"{FILES}/{mine}", body={"trashed": True})
    drive.ok("PATCH", f"{FILES}/{theirs}", BOB, {"trashed": True})
    assert drive.call("DELETE", f"{FILES}/trash").status == 204
    assert mine not in drive.store.files
    assert theirs in drive.store.files


# -- copy and delete ---------------------------------------------------------------------------


def test_copy_keeps_properties_unless_cleared_and_refuses_folders(drive: Drive) -> None:
    template = drive.create(
        name="T", mimeType=core.GSHEET, appProperties={"careerdocs_template": "growth", "keep": "y"}
    )
    copied = drive.ok(
        "POST",
        f"{FILES}/{template}/copy",
        body={"name": None, "appProperties": {"careerdocs_template": None}},
        fields="name,appProperties",
    )
    assert copied == {"name": "Copy of T", "appProperties": {"keep": "y"}}
    code, error = drive.error("POST", f"{FILES}/{drive.folder()}/copy", body={})
    assert (code, _reason(error)) == (403, "cannotCopyFile")


def test_copy_goes_to_the_callers_my_drive_when_the_source_folder_is_not_writable(
    drive: Drive,
) -> None:
    folder = drive.folder()
    template = drive.create(name="T", parents=[folder])
    drive.share(folder, BOB, "reader")
    copied = drive.ok("POST", f"{FILES}/{template}/copy", BOB, {}, fields="parents")
    assert copied == {"parents": [drive_model.root_id(BOB)]}
    mine = drive.ok("POST", f"{FILES}/{template}/copy", body={}, fields="parents")
    assert mine == {"parents": [folder]}


def test_delete_is_for_the_owner_and_takes_the_owners_items_below(drive: Drive) -> None:
    folder = drive.folder()
    drive.share(folder, BOB, "writer")
    alices = drive.create(name="a", parents=[folder])
    bobs = drive.create(BOB, name="b", parents=[folder])
    code, error = drive.error("DELETE", f"{FILES}/{folder}", BOB)
    assert (code, _reason(error)) == (403, "insufficientFilePermissions")
    assert drive.call("DELETE", f"{FILES}/{folder}").status == 204
    assert folder not in drive.store.files and alices not in drive.store.files
    assert drive.store.files[bobs].parents == []


# -- permissions -------------------------------------------------------------------------------


def test_ownership_transfer_leaves_the_old_owner_as_writer(drive: Drive) -> None:
    file_id = drive.create(name="IGP")
    body = {"type": "user", "role": "owner", "emailAddress": BOB}
    code, error = drive.error("POST", f"{FILES}/{file_id}/permissions", body=body)
    assert (code, error["errors"][0]["location"]) == (403, "transferOwnership")
    drive.ok("POST", f"{FILES}/{file_id}/permissions", body=body, transferOwnership="true")
    assert drive.store.files[file_id].owner == BOB
    roles = drive.ok(
        "GET", f"{FILES}/{file_id}/permissions", BOB, fields="permissions(emailAddress,role)"
    )["permissions"]
    assert {(p["emailAddress"], p["role"]) for p in roles} == {(BOB, "owner"), (ALICE, "writer")}


def test_sharing_twice_changes_the_role_without_a_duplicate(drive: Drive) -> None:
    file_id = drive.create(name="x")
    first, second = drive.share(file_id, BOB, "reader"), drive.share(file_id, BOB, "writer")
    assert first["id"] == second["id"]
    assert second["role"] == "writer"
    assert [p.role for p in drive.store.files[file_id].permissions] == ["writer"]


def test_owner_and_inherited_permissions_cannot_be_removed_on_the_file(drive: Drive) -> None:
    folder = drive.folder()
    file_id = drive.create(name="x", parents=[folder])
    bob = drive.share(folder, BOB, "reader")["id"]
    owner = drive_model.permission_id(drive_model.USER, ALICE)
    code, error = drive.error("DELETE", f"{FILES}/{file_id}/permissions/{owner}")
    assert (code, _reason(error)) == (403, "cannotRemoveOwner")
    code, error = drive.error("DELETE", f"{FILES}/{file_id}/permissions/{bob}")
    assert (code, _reason(error)) == (403, "cannotDeletePermission")
    assert drive.call("DELETE", f"{FILES}/{folder}/permissions/{bob}").status == 204
    assert drive.error("GET", f"{FILES}/{file_id}", BOB)[0] == 404


def test_domain_share_needs_the_domain_and_emails_nobody(drive: Drive) -> None:
    file_id = drive.create(name="x")
    code, _ = drive.error(
        "POST", f"{FILES}/{file_id}/permissions", body={"type": "domain", "role": "reader"}
    )
    assert code == 400
    drive.ok(
        "POST",
        f"{FILES}/{file_id}/permissions",
        body={"type": "domain", "role": "reader", "domain": "example.com"},
    )
    assert drive.ok("GET", f"{FILES}/{file_id}", CAROL)["id"] == file_id
    assert drive_permissions.notifications(drive.store) == []


# -- changes -----------------------------------------------------------------------------------


def test_removal_is_reported_to_those_who_could_read_the_file(drive: Drive) -> None:
    token = drive.ok("GET", "/drive/v3/changes/startPageToken")["startPageToken"]
    file_id = drive.create(name="x")
    drive.share(file_id, BOB, "reader")
    drive.call("DELETE", f"{FILES}/{file_id}")
    for user in (ALICE, BOB):
        feed = drive.ok("GET", "/drive/v3/changes", user, pageToken=token)["changes"]
        assert {(c["fileId"], c["removed"]) for c in feed} == {(file_id, True)}
    assert drive.ok("GET", "/drive/v3/changes", CAROL, pageToken=token)["changes"] == []


def test_changes_page_by_sequence(drive: Drive) -> None:
    token = drive.ok("GET", "/drive/v3/changes/startPageToken")["startPageToken"]
    made = [drive.create(name=str(n)) for n in range(3)]
    first = drive.ok("GET", "/drive/v3/changes", pageToken=token, pageSize="2")
    rest = drive.ok("GET", "/drive/v3/changes", pageToken=first["nextPageToken"])
    assert [c["fileId"] for c in first["changes"] + rest["changes"]] == made
    assert rest["newStartPageToken"] == str(drive.store.change_seq + 1)


# -- shared drives and about -------------------------------------------------------------------


def test_drive_members_are_permissions_on_the_drive(drive: Drive) -> None:
    shared = drive.ok("POST", "/drive/v3/drives", body={"name": "People"}, requestId="r1")
    item = drive.ok(
        "POST", FILES, body={"name": "x", "parents": [shared["id"]]}, supportsAllDrives="true"
    )
    assert drive.error("GET", f"{FILES}/{item['id']}", BOB, supportsAllDrives="true")[0] == 404
    drive.ok(
        "POST",
        f"{FILES}/{shared['id']}/permissions",
        body={"type": "user", "role": "writer", "emailAddress": BOB},
        supportsAllDrives="true",
    )
    assert drive.ok("GET", f"{FILES}/{item['id']}", BOB, supportsAllDrives="true")
    assert drive.error("GET", f"{FILES}/{item['id']}", BOB)[0] == 404
    code, error = drive.error("DELETE", f"{FILES}/{item['id']}", BOB, supportsAllDrives="true")
    assert (code, _reason(error)) == (403, "insufficientFilePermissions")


def test_about_requires_fields_and_reports_the_user(drive: Drive) -> None:
    code, error = drive.error("GET", "/drive/v3/about")
    assert (code, _reason(error)) == (400, "required")
    about = drive.ok("GET", "/drive/v3/about", fields="user(emailAddress,me)")
    assert about == {"user": {"emailAddress": ALICE, "me": True}}


# -- batch -------------------------------------------------------------------------------------


class _BatchHttp:
    """An httplib2 stand-in that answers google-api-python-client's batch from the sandbox."""

    def __init__(self, drive: Drive) -> None:
        self.drive = drive

    def request(
        self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **_: Any
    ) -> tuple[Any, bytes]:
        resp = self.drive.call(method, uri, body=body.encode(), headers=headers)
        info = {k.lower(): v for k, v in resp.headers.items()}
        info["status"] = str(resp.status)
        return httplib2.Response(info), resp.body


def test_batch_round_trips_through_google_api_python_client(drive: Drive) -> None:
    service = build("drive", "v3", developerKey="unused", static_discovery=True)
    answers: dict[str, tuple[Any, Any]] = {}
    batch = BatchHttpRequest(
        batch_uri="http://sandbox.test/batch/drive/v3",
        callback=lambda rid, resp, exc: answers.__setitem__(rid, (resp, exc)),
    )
    made = drive.create(name="x")
    batch.add(service.files().update(fileId=made, body={"name": "y"}, fields="name"))
    batch.add(service.files().delete(fileId=made))
    batch.add(service.files().get(fileId=made))
    batch.execute(http=_BatchHttp(drive))
    assert answers["1"] == ({"name": "y"}, None)
    assert answers["2"] == ("", None)
    assert answers["3"][1].status_code == 404


def test_batch_of_more_than_100_calls_is_refused(drive: Drive) -> None:
    parts = "".join(
        f"--b\r\nContent-Type: application/http\r\n\r\nGET /drive/v3/files/{n}\r\n"
        for n in range(101)
    )
    resp = drive.call(
        "POST",
        "/batch/drive/v3",
        body=(parts + "--b--\r\n").encode(),
        headers={"Content-Type": "multipart/mixed; boundary=b"},
    )
    assert resp.status == 400


def test_batch_part_outside_drive_is_answered_400_in_its_place(drive: Drive) -> None:
    body = (
        b"--b\r\nContent-Type: application/http\r\nContent-ID: <x + 1>\r\n\r\n"
        b"GET /gmail/v1/users/me/messages HTTP/1.1\r\n\r\n\r\n--b--\r\n"
    )
    resp = drive.call(
        "POST",
        "/batch/drive/v3",
        body=body,
        headers={"Content-Type": "multipart/mixed; boundary=b"},
    )
    assert resp.status == 200
    assert b"Content-ID: <response-x + 1>" in resp.body
    assert b"HTTP/1.1 400 Bad Request" in resp.body
