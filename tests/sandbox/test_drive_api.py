"""Drive v3 through the real google-api-python-client and gspread, against the sandbox over HTTP."""

from __future__ import annotations

import io
import json
from typing import Any

import docx
import openpyxl
import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload
from gspread.utils import ExportFormat

from careerdocs.sandbox import core, drive_permissions
from tests.conftest import ALICE, BOB, CAROL, SandboxKit

pytestmark = pytest.mark.google

FOLDER = core.FOLDER
MARKER = "careerdocs_kind"


def _files(kit: SandboxKit) -> Any:
    return kit.drive.files()


def _run(kit: SandboxKit, request: Any, user: str = ALICE) -> Any:
    return request.execute(http=kit.http(user))


def _error(caught: pytest.ExceptionInfo[HttpError]) -> dict:
    return json.loads(caught.value.content)["error"]


def _folder(kit: SandboxKit, name: str = "Ada", user: str = ALICE) -> str:
    body = {"name": name, "mimeType": FOLDER}
    return _run(kit, _files(kit).create(body=body, fields="id"), user)["id"]


def _share(kit: SandboxKit, file_id: str, email: str, role: str, **params: Any) -> dict:
    body = {"type": "user", "role": role, "emailAddress": email}
    request = kit.drive.permissions().create(fileId=file_id, body=body, **params)
    return _run(kit, request)


def _docx(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _xlsx(rows: list[list[Any]], title: str = "Goals") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- create and upload -------------------------------------------------------------------------


def test_metadata_create_answers_googles_default_fields_and_caller_owns_it(sandbox: SandboxKit):
    created = _run(sandbox, _files(sandbox).create(body={"name": "IGP", "mimeType": core.GDOC}))
    assert set(created) == {"kind", "id", "name", "mimeType"}
    stored = sandbox.store.files[created["id"]]
    assert stored.owner == ALICE
    assert stored.doc is not None


def test_multipart_upload_converts_docx_into_a_google_doc(sandbox: SandboxKit):
    media = MediaInMemoryUpload(
        _docx("Growth plan", "Where do I want to be?"), mimetype=core.DOCX, resumable=False
    )
    body = {"name": "IGP", "mimeType": core.GDOC, "appProperties": {MARKER: "igp"}}
    created = _run(
        sandbox,
        _files(sandbox).create(body=body, media_body=media, fields="id,mimeType,appProperties"),
    )
    assert created["mimeType"] == core.GDOC
    assert created["appProperties"] == {MARKER: "igp"}
    assert "Where do I want to be?" in sandbox.store.files[created["id"]].doc.to_text()


@pytest.mark.parametrize(
    ("payload", "mimetype"),
    [
        (_xlsx([["Goal", "Status"], ["Learn Go", "started"]]), core.XLSX),
        (b"Goal,Status\nLearn Go,started\n", "text/csv"),
    ],
)
def test_resumable_upload_converts_a_workbook_or_csv_into_a_sheet(
    sandbox: SandboxKit, payload: bytes, mimetype: str
):
    media = MediaInMemoryUpload(payload, mimetype=mimetype, resumable=True)
    body = {"name": "Growth plan", "mimeType": core.GSHEET, "parents": [_folder(sandbox)]}
    created = _run(
        sandbox, _files(sandbox).create(body=body, media_body=media, fields="id,mimeType")
    )
    assert created["mimeType"] == core.GSHEET
    csv_text = sandbox.store.files[created["id"]].sheet.to_csv().decode()
    assert csv_text.splitlines()[:2] == ["Goal,Status", "Learn Go,started"]


def test_binary_upload_round_trips_with_size_and_checksum(sandbox: SandboxKit):
    data = bytes(range(256)) * 10
    media = MediaInMemoryUpload(data, mimetype="application/octet-stream", resumable=False)
    created = _run(
        sandbox,
        _files(sandbox).create(
            body={"name": "raw.bin"}, media_body=media, fields="id,size,md5Checksum"
        ),
    )
    assert created["size"] == str(len(data))
    assert _run(sandbox, _files(sandbox).get_media(fileId=created["id"])) == data


def test_google_docs_cannot_be_downloaded_only_exported(sandbox: SandboxKit):
    doc_id = _run(sandbox, _files(sandbox).create(body={"name": "IGP", "mimeType": core.GDOC}))[
        "id"
    ]
    with pytest.raises(HttpError) as caught:
        _run(sandbox, _files(sandbox).get_media(fileId=doc_id))
    assert caught.value.status_code == 403
    assert _error(caught)["errors"][0]["reason"] == "fileNotDownloadable"
    exported = _run(sandbox, _files(sandbox).export(fileId=doc_id, mimeType=core.DOCX))
    assert exported[:2] == b"PK"


# -- list --------------------------------------------------------------------------------------


def test_list_finds_artifacts_by_app_properties_across_pages(sandbox: SandboxKit):
    folder = _folder(sandbox)
    for n in range(5):
        body = {"name": f"doc {n}", "parents": [folder], "appProperties": {MARKER: "igp"}}
        _run(sandbox, _files(sandbox).create(body=body))
    _run(sandbox, _files(sandbox).create(body={"name": "other", "parents": [folder]}))
    q = f"appProperties has {{ key='{MARKER}' and value='igp' }} and trashed = false"
    names, token = [], None
    while True:
        listing = _run(
            sandbox,
            _files(sandbox).list(
                q=q,
                pageSize=2,
                pageToken=token,
                orderBy="name",
                fields="nextPageToken,files(name,appProperties)",
            ),
        )
        names += [f["name"] for f in listing["files"]]
        token = listing.get("nextPageToken")
        if token is None:
            break
    assert names == [f"doc {n}" for n in range(5)]


def test_list_shows_only_what_the_caller_can_read(sandbox: SandboxKit):
    _folder(sandbox, "Alice's")
    assert _run(sandbox, _files(sandbox).list(), BOB)["files"] == []


def test_unknown_field_in_fields_is_refused_with_googles_message(sandbox: SandboxKit):
    with pytest.raises(HttpError) as caught:
        _run(sandbox, _files(sandbox).list(fields="starred"))
    assert caught.value.status_code == 400
    assert _error(caught)["message"] == "Invalid field selection starred"


# -- copy and access ---------------------------------------------------------------------------


def test_copy_belongs_to_the_caller_and_is_named_copy_of(sandbox: SandboxKit):
    template = _run(
        sandbox, _files(sandbox).create(body={"name": "IGP template", "mimeType": core.GDOC})
    )["id"]
    _share(sandbox, template, BOB, "reader", sendNotificationEmail=False)
    copied = _run(
        sandbox,
        _files(sandbox).copy(
            fileId=template,
            body={"appProperties": {MARKER: "igp"}},
            fields="id,name,owners,appProperties,parents",
        ),
        BOB,
    )
    assert copied["name"] == "Copy of IGP template"
    assert copied["owners"][0]["emailAddress"] == BOB
    assert copied["appProperties"] == {MARKER: "igp"}
    assert sandbox.store.files[copied["id"]].doc is not sandbox.store.files[template].doc


def test_stranger_gets_404_and_reader_cannot_update(sandbox: SandboxKit):
    doc = _run(sandbox, _files(sandbox).create(body={"name": "IGP", "mimeType": core.GDOC}))
    with pytest.raises(HttpError) as caught:
        _run(sandbox, _files(sandbox).get(fileId=doc["id"]), BOB)
    assert caught.value.status_code == 404
    assert _error(caught)["message"] == f"File not found: {doc['id']}."
    _share(sandbox, doc["id"], BOB, "reader", sendNotificationEmail=False)
    with pytest.raises(HttpError) as caught:
        _run(sandbox, _files(sandbox).update(fileId=doc["id"], body={"name": "mine"}), BOB)
    assert caught.value.status_code == 403
    assert _error(caught)["errors"][0]["reason"] == "insufficientFilePermissions"


# -- permissions -------------------------------------------------------------------------------


def test_folder_permission_reaches_its_files_and_lists_as_inherited(sandbox: SandboxKit):
    folder = _folder(sandbox)
    inside = _run(
        sandbox,
        _files(sandbox).create(body={"name": "IGP", "mimeType": core.GDOC, "parents": [folder]}),
    )["id"]
    _share(sandbox, folder, BOB, "writer", sendNotificationEmail=False)
    renamed = _run(sandbox, _files(sandbox).update(fileId=inside, body={"name": "IGP (Bob)"}), BOB)
    assert renamed["name"] == "IGP (Bob)"
    listing = _run(
        sandbox,
        sandbox.drive.permissions().list(
            fileId=inside, fields="permissions(emailAddress,role,permissionDetails)"
        ),
    )
    bob = next(p for p in listing["permissions"] if p["emailAddress"] == BOB)
    assert bob["role"] == "writer"
    assert bob["permissionDetails"][0]["inherited"] is True


def test_share_without_notification_sends_nothing_and_with_it_records_one(sandbox: SandboxKit):
    folder = _folder(sandbox)
    _share(sandbox, folder, BOB, "writer", sendNotificationEmail=False)
    assert drive_permissions.notifications(sandbox.store) == []
    _share(sandbox, folder, CAROL, "reader", emailMessage="Your growth plan")
    sent = drive_permissions.notifications(sandbox.store)
    assert [(n.recipient, n.role, n.message) for n in sent] == [
        (CAROL, "reader", "Your growth plan")
    ]


def test_reader_cannot_share(sandbox: SandboxKit):
    folder = _folder(sandbox)
    _share(sandbox, folder, BOB, "reader", sendNotificationEmail=False)
    body = {"type": "user", "role": "reader", "emailAddress": CAROL}
    with pytest.raises(HttpError) as caught:
        _run(sandbox, sandbox.drive.permissions().create(fileId=folder, body=body), BOB)
    assert caught.value.status_code == 403


def test_notification_flag_is_refused_for_anyone_permissions(sandbox: SandboxKit):
    folder = _folder(sandbox)
    with pytest.raises(HttpError) as caught:
        _run(
            sandbox,
            sandbox.drive.permissions().create(
                fileId=folder,
                body={"type": "anyone", "role": "reader"},
                sendNotificationEmail=False,
            ),
        )
    assert caught.value.status_code == 403
    assert _error(caught)["errors"][0]["location"] == "sendNotificationEmail"


# -- changes -----------------------------------------------------------------------------------


def test_changes_feed_reports_new_and_shared_files_to_their_readers(sandbox: SandboxKit):
    changes = sandbox.drive.changes()
    alice_token = _run(sandbox, changes.getStartPageToken())["startPageToken"]
    bob_token = _run(sandbox, changes.getStartPageToken(), BOB)["startPageToken"]
    folder = _folder(sandbox)
    alice_feed = _run(sandbox, changes.list(pageToken=alice_token))
    assert [c["fileId"] for c in alice_feed["changes"]] == [folder]
    assert "newStartPageToken" in alice_feed
    assert _run(sandbox, changes.list(pageToken=bob_token), BOB)["changes"] == []
    _share(sandbox, folder, BOB, "reader", sendNotificationEmail=False)
    bob_feed = _run(sandbox, changes.list(pageToken=bob_token), BOB)
    assert {c["fileId"] for c in bob_feed["changes"]} == {folder}


# -- shared drives -----------------------------------------------------------------------------


def test_shared_drive_items_belong_to_the_drive_and_need_supports_all_drives(sandbox: SandboxKit):
    drives = sandbox.drive.drives()
    drive = _run(sandbox, drives.create(requestId="req-1", body={"name": "People"}))
    with pytest.raises(HttpError) as caught:
        _run(sandbox, drives.create(requestId="req-1", body={"name": "People"}))
    assert caught.value.status_code == 409
    body = {"name": "Ada", "mimeType": FOLDER, "parents": [drive["id"]]}
    with pytest.raises(HttpError) as caught:
        _run(sandbox, _files(sandbox).create(body=body))
    assert caught.value.status_code == 404
    created = _run(
        sandbox,
        _files(sandbox).create(body=body, supportsAllDrives=True, fields="id,driveId,owners"),
    )
    assert created["driveId"] == drive["id"]
    assert "owners" not in created
    listing = _run(
        sandbox,
        _files(sandbox).list(
            corpora="drive",
            driveId=drive["id"],
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
        ),
    )
    assert [f["id"] for f in listing["files"]] == [created["id"]]
    with pytest.raises(HttpError) as caught:
        _run(sandbox, drives.get(driveId=drive["id"]), BOB)
    assert caught.value.status_code == 404


# -- batch -------------------------------------------------------------------------------------


def test_batch_answers_every_call_in_order_with_its_own_status(sandbox: SandboxKit):
    answers: dict[str, tuple[Any, Any]] = {}
    batch = sandbox.drive.new_batch_http_request(
        callback=lambda rid, response, exc: answers.__setitem__(rid, (response, exc))
    )
    for name in ("one", "two", "three"):
        batch.add(_files(sandbox).create(body={"name": name}, fields="id,name"), request_id=name)
    batch.add(_files(sandbox).get(fileId="missing"), request_id="missing")
    batch.execute(http=sandbox.http(ALICE))
    assert [answers[n][0]["name"] for n in ("one", "two", "three")] == ["one", "two", "three"]
    assert answers["missing"][1].status_code == 404
    assert sandbox.counters.total(api="drive", method="files.create", user=ALICE) == 3


# -- gspread 6.2.1 -----------------------------------------------------------------------------


def test_gspread_creates_opens_copies_imports_exports_and_deletes(sandbox: SandboxKit):
    client = sandbox.gspread(ALICE)
    created = client.create("Growth plan")
    assert client.open("Growth plan").id == created.id
    client.import_csv(created.id, "Goal,Status\nLearn Go,started\n")
    assert client.export(created.id, ExportFormat.CSV).decode().splitlines() == [
        "Goal,Status",
        "Learn Go,started",
    ]
    copied = client.copy(created.id)
    assert copied.title == "Copy of Growth plan"
    client.del_spreadsheet(created.id)
    assert [s.id for s in client.openall()] == [copied.id]


def test_gspread_share_without_notification_sends_nothing(sandbox: SandboxKit):
    spreadsheet = sandbox.gspread(ALICE).create("Central rollup")
    spreadsheet.share(BOB, perm_type="user", role="writer", notify=False)
    assert drive_permissions.notifications(sandbox.store) == []
    emails = {p.get("emailAddress") for p in spreadsheet.list_permissions()}
    assert emails == {ALICE, BOB}
