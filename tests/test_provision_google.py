"""`careerdocs provision` on the Google path, against the sandbox over real HTTP with the real
google-auth, google-api-python-client and gspread: impersonation, ownership, shares, the protected
acknowledgement column, email, idempotence, the copy strategy, and retries through faults."""

from __future__ import annotations

import base64
import email
import json
from pathlib import Path

import gspread
import pytest
from click.testing import CliRunner
from googleapiclient.http import MediaFileUpload

from careerdocs.cli import cli
from careerdocs.config import builtin_templates_dir
from careerdocs.sandbox.faults import FaultOptions

from .conftest import GoogleSetup, roster_users

TODAY = "2026-11-26"
ZOE = "zoe.lambert@example.com"
SIOBHAN = "siobhan.obrien@example.com"  # Zoë's manager
RAHUL = "rahul.mehta@example.com"  # Zoë's skip-level
AMARA = "amara.nwosu@example.com"  # Zoë's PBP
MARKER_Q = "appProperties has {{ key='careerdocs_person' and value='{}' }} and trashed = false"


def provision(setup: GoogleSetup, *args: str) -> object:
    return CliRunner().invoke(
        cli, ["--config", str(setup.config), "--today", TODAY, "provision", *args]
    )


def files_of(setup: GoogleSetup, person: str) -> list[dict]:
    kit = setup.kit
    return (
        kit.drive.files()
        .list(q=MARKER_Q.format(person), fields="files(id,name,mimeType,owners,appProperties)")
        .execute(http=kit.http(person))["files"]
    )


@pytest.fixture
def provisioned(google_setup: GoogleSetup) -> GoogleSetup:
    result = provision(google_setup)
    assert result.exit_code == 0, result.output
    return google_setup


def test_each_person_owns_their_folder_and_three_documents(provisioned: GoogleSetup) -> None:
    for person in roster_users():
        files = files_of(provisioned, person)
        kinds = sorted(f["appProperties"]["careerdocs_kind"] for f in files)
        assert kinds == ["folder", "growth_sheet", "igp", "tracker"], person
        assert {f["owners"][0]["emailAddress"] for f in files} == {person}


def test_documents_are_native_google_files_filled_with_the_persons_details(
    provisioned: GoogleSetup,
) -> None:
    kit = provisioned.kit
    igp = next(
        f for f in files_of(provisioned, ZOE) if f["appProperties"]["careerdocs_kind"] == "igp"
    )
    assert igp["mimeType"] == "application/vnd.google-apps.document"
    doc = kit.docs.documents().get(documentId=igp["id"]).execute(http=kit.http(ZOE))
    text = "".join(
        run.get("textRun", {}).get("content", "")
        for element in doc["body"]["content"]
        for run in element.get("paragraph", {}).get("elements", [])
    )
    assert "=Zoë Lambert" in text and "{{" not in text


def test_folder_is_shared_with_manager_and_pbp_by_role_and_not_the_skip_level(
    provisioned: GoogleSetup,
) -> None:
    kit = provisioned.kit
    folder = next(
        f for f in files_of(provisioned, ZOE) if f["appProperties"]["careerdocs_kind"] == "folder"
    )
    perms = (
        kit.drive.permissions()
        .list(fileId=folder["id"], fields="permissions(emailAddress,role)")
        .execute(http=kit.http(ZOE))["permissions"]
    )
    roles = {p["emailAddress"]: p["role"] for p in perms}
    assert roles == {ZOE: "owner", SIOBHAN: "writer", AMARA: "reader"}
    assert RAHUL not in roles


def test_no_share_notification_comes_from_drive_itself(provisioned: GoogleSetup) -> None:
    from careerdocs.sandbox.drive_permissions import notifications

    assert notifications(provisioned.kit.store) == []


def test_only_the_person_can_write_the_conversations_tab(provisioned: GoogleSetup) -> None:
    kit = provisioned.kit
    sheet = next(
        f
        for f in files_of(provisioned, ZOE)
        if f["appProperties"]["careerdocs_kind"] == "growth_sheet"
    )
    as_manager = kit.gspread(SIOBHAN).open_by_key(sheet["id"]).worksheet("Conversations")
    for cells, value in (
        ("A2:D2", [["2026-10-01", "Siobhán", "career", "forged"]]),
        ("E2", [[True]]),
    ):
        with pytest.raises(gspread.exceptions.APIError) as refused:
            as_manager.update(value, cells)
        assert refused.value.response.status_code == 400
        assert "protected cell" in refused.value.response.json()["error"]["message"]
    as_zoe = kit.gspread(ZOE).open_by_key(sheet["id"]).worksheet("Conversations")
    as_zoe.update([["2026-10-01", "Siobhán", "career", "first one", True]], "A2:E2", raw=False)
    assert as_zoe.get("E2", value_render_option="UNFORMATTED_VALUE") == [[True]]


def test_each_person_gets_one_email_from_their_manager_with_their_links(
    provisioned: GoogleSetup,
) -> None:
    """notify.send_as = "auto" under delegation: each manager sends to their own reports (in
    their own Sent mail), the admin to those without a manager (the CEO)."""
    sent = {
        sender: [email.message_from_bytes(m.raw) for m in messages]
        for sender, messages in provisioned.kit.store.messages.items()
    }
    to = [(sender, m["To"]) for sender, messages in sent.items() for m in messages]
    assert sorted(t for _, t in to) == sorted(roster_users())
    assert (SIOBHAN, ZOE) in to
    assert ("ines.duarte@example.com", "margaret.okafor@example.com") in to  # the CEO
    message = next(m for m in sent[SIOBHAN] if m["To"] == ZOE)
    assert message["From"] == SIOBHAN
    body = message.get_payload(decode=True).decode("utf-8")
    assert body.count("https://docs.google.com/") >= 3


def test_rerun_creates_nothing_shares_nothing_and_sends_nothing(provisioned: GoogleSetup) -> None:
    kit = provisioned.kit
    before = {p: sorted(f["id"] for f in files_of(provisioned, p)) for p in roster_users()}
    kit.counters.reset()
    result = provision(provisioned)
    assert result.exit_code == 0, result.output
    assert "0 created, 0 shares, 0 emails, 0 failed" in result.output
    for method in ("files.create", "files.copy", "permissions.create", "users.messages.send"):
        assert kit.counters.total(method=method) == 0, method
    after = {p: sorted(f["id"] for f in files_of(provisioned, p)) for p in roster_users()}
    assert after == before


def test_people_tab_lists_everyone_and_keeps_names_as_text(provisioned: GoogleSetup) -> None:
    kit = provisioned.kit
    central = (
        kit.drive.files()
        .list(
            q="appProperties has { key='careerdocs_kind' and value='central' }", fields="files(id)"
        )
        .execute(http=kit.http(provisioned.admin))["files"]
    )
    assert len(central) == 1
    values = (
        kit.sheets.spreadsheets()
        .values()
        .get(spreadsheetId=central[0]["id"], range="People", valueRenderOption="FORMULA")
        .execute(http=kit.http(provisioned.admin))["values"]
    )
    assert len(values) == 1 + len(roster_users())
    assert values[[r[1] for r in values].index(ZOE)][:2] == ["=Zoë Lambert", ZOE]


def test_dry_run_writes_nothing_to_google(google_setup: GoogleSetup) -> None:
    result = provision(google_setup, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would create 12 folders and 36 documents" in result.output
    writes = [
        c
        for c in google_setup.kit.counters.snapshot()
        if c["method"] not in ("files.list", "batch", "token")
    ]
    assert writes == []


def test_transient_faults_are_retried_without_duplicates(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    kit.sandbox.configure_faults(FaultOptions(rate_503=0.15, rate_drop=0.05, seed=3))
    text = google_setup.config.read_text(encoding="utf-8")
    google_setup.config.write_text(text + "max_backoff_seconds = 0.01\n", encoding="utf-8")
    result = provision(google_setup, "--only", ZOE, "--only", SIOBHAN)
    kit.sandbox.configure_faults(FaultOptions())
    assert result.exit_code == 0, result.output
    assert kit.counters.total(status=503) + kit.counters.total(status=0) > 0
    for person in (ZOE, SIOBHAN):
        kinds = [f["appProperties"]["careerdocs_kind"] for f in files_of(google_setup, person)]
        assert sorted(kinds) == ["folder", "growth_sheet", "igp", "tracker"]


def _upload_template(setup: GoogleSetup, path: Path, mime: str) -> str:
    kit = setup.kit
    office = "application/vnd.openxmlformats-officedocument."
    source = {
        "application/vnd.google-apps.document": office + "wordprocessingml.document",
        "application/vnd.google-apps.spreadsheet": office + "spreadsheetml.sheet",
    }[mime]
    made = (
        kit.drive.files()
        .create(
            body={"name": path.stem, "mimeType": mime},
            media_body=MediaFileUpload(str(path), mimetype=source),
            fields="id",
        )
        .execute(http=kit.http(setup.admin))
    )
    kit.drive.permissions().create(
        fileId=made["id"], body={"type": "domain", "domain": "example.com", "role": "reader"}
    ).execute(http=kit.http(setup.admin))
    return made["id"]


def test_organisation_templates_in_drive_are_copied_and_filled(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    builtin = builtin_templates_dir()
    ids = {
        "igp": _upload_template(
            google_setup, builtin / "igp.docx", "application/vnd.google-apps.document"
        ),
        "tracker": _upload_template(
            google_setup, builtin / "tracker.docx", "application/vnd.google-apps.document"
        ),
        "growth_sheet": _upload_template(
            google_setup, builtin / "growth-plan.xlsx", "application/vnd.google-apps.spreadsheet"
        ),
    }
    text = google_setup.config.read_text(encoding="utf-8")
    templates = "\n".join(f'{k} = "google:{v}"' for k, v in ids.items())
    google_setup.config.write_text(text + f"\n[templates]\n{templates}\n", encoding="utf-8")
    result = provision(google_setup, "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    assert kit.counters.total(method="files.copy", status=200) == 3
    assert kit.counters.total(method="documents.batchUpdate", status=200) == 2
    files = {f["appProperties"]["careerdocs_kind"]: f for f in files_of(google_setup, ZOE)}
    assert files["igp"]["appProperties"]["careerdocs_template"] == f"google:{ids['igp']}"
    about = (
        kit.sheets.spreadsheets()
        .values()
        .get(spreadsheetId=files["growth_sheet"]["id"], range="About", valueRenderOption="FORMULA")
        .execute(http=kit.http(ZOE))["values"]
    )
    flat = [c for row in about for c in row]
    assert "=Zoë Lambert" in flat and not any("{{" in str(c) for c in flat)
    meta = (
        kit.sheets.spreadsheets()
        .get(spreadsheetId=files["growth_sheet"]["id"])
        .execute(http=kit.http(ZOE))
    )
    protected = [r for s in meta["sheets"] for r in s.get("protectedRanges", [])]
    assert any(r["editors"]["users"] == [ZOE] for r in protected)


def test_json_output_is_one_document_with_links(google_setup: GoogleSetup) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(google_setup.config),
            "--today",
            TODAY,
            "provision",
            "--only",
            ZOE,
            "--json",
            "--no-notify",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["counts"]["created"] == 4
    links = report["people"][0]["links"]
    assert links["igp"].startswith("https://docs.google.com/document/d/")


def test_gmail_message_is_valid_rfc822_with_utf8(provisioned: GoogleSetup) -> None:
    kit = provisioned.kit
    listed = kit.gmail.users().messages().list(userId="me").execute(http=_reader_http(provisioned))
    first = (
        kit.gmail.users()
        .messages()
        .get(userId="me", id=listed["messages"][0]["id"], format="raw")
        .execute(http=_reader_http(provisioned))
    )
    parsed = email.message_from_bytes(base64.urlsafe_b64decode(first["raw"]))
    assert parsed["From"] == provisioned.admin and parsed["Subject"]


def _reader_http(setup: GoogleSetup) -> object:
    from careerdocs.workspace.google.auth import CredentialFactory
    from careerdocs.workspace.google.clients import Clients

    scopes = ["https://www.googleapis.com/auth/gmail.readonly"]
    return Clients(CredentialFactory(setup.kit.key, scopes), setup.kit.endpoint).http(setup.admin)


def test_a_user_login_provisions_into_a_shared_drive(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    drive_id = kit.sandbox.create_shared_drive("Career development", [google_setup.admin])
    login = google_setup.config.parent / "login.json"
    login.write_text(json.dumps(kit.sandbox.user_credentials(google_setup.admin)), "utf-8")
    text = google_setup.config.read_text(encoding="utf-8").replace(
        'credentials = "key.json"', 'credentials = "login.json"\nauth = "oauth"'
    )
    google_setup.config.write_text(
        text + f'destination = "shared_drive"\nshared_drive_id = "{drive_id}"\n', "utf-8"
    )
    result = provision(google_setup, "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    listed = (
        kit.drive.files()
        .list(
            corpora="drive",
            driveId=drive_id,
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
            q=MARKER_Q.format(ZOE),
            fields="files(id,driveId,appProperties)",
        )
        .execute(http=kit.http(google_setup.admin))["files"]
    )
    assert sorted(f["appProperties"]["careerdocs_kind"] for f in listed) == [
        "folder",
        "growth_sheet",
        "igp",
        "tracker",
    ]
    assert {f["driveId"] for f in listed} == {drive_id}
    sheet = next(f for f in listed if f["appProperties"]["careerdocs_kind"] == "growth_sheet")
    as_zoe = kit.gspread(ZOE).open_by_key(sheet["id"]).worksheet("Conversations")
    as_zoe.update([["2026-11-02", "Siobhán", "career", "", True]], "A2:E2", raw=False)
    again = provision(google_setup, "--only", ZOE, "--no-notify")
    assert again.exit_code == 0, again.output
    assert "0 created" in again.output


def test_the_roster_can_be_a_google_sheet(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    admin = kit.gspread(google_setup.admin)
    book = admin.create("Roster")
    tab = book.sheet1
    tab.update_title("People")
    tab.update(
        [
            ["Email", "Name", "Manager Email", "Start Date"],
            ["ines.duarte@example.com", "Inês Duarte", "", "2020-06-01"],
            [ZOE, "=Zoë Lambert", "ines.duarte@example.com", "2022-01-10"],
        ],
        "A1",
    )  # RAW by default: the name stays text
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(google_setup.config),
            "--today",
            TODAY,
            "provision",
            "--no-notify",
            "--roster",
            f"sheet:{book.id}/People",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 people" in result.output
    assert f"{ZOE}: create igp 'Individual Growth Plan — =Zoë Lambert — FY2027'" in result.output
