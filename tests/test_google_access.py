"""Google as Google behaves, for access: a person Google will not act as fails alone; the shares
careerdocs grants are recorded and only those are ever revoked; in a shared drive the running
account's role is checked before any write and existing shares are read with permissions.list;
duplicates two concurrent runs made are healed. Through the real clients against the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from googleapiclient.errors import HttpError

from careerdocs.cli import cli
from careerdocs.config import load_settings
from careerdocs.errors import AuthError
from careerdocs.workspace import open_workspace
from careerdocs.workspace.base import MARKER_KIND, ArtifactKind
from careerdocs.workspace.google import GoogleWorkspace
from careerdocs.workspace.google.access import GRANT_PREFIX, drive_access, grant_record
from careerdocs.workspace.google.auth import CredentialFactory
from careerdocs.workspace.google.backend import GoogleOptions
from careerdocs.workspace.google.clients import Clients
from careerdocs.workspace.google.duplicates import SEAL, untouched
from careerdocs.workspace.google.pacer import Pacer

from .conftest import ALICE, BOB, CAROL, PBP, GoogleSetup, SandboxKit

pytestmark = pytest.mark.google

TODAY = "2026-11-26"
FY = "FY2027"
ZOE = "zoe.lambert@example.com"
SIOBHAN = "siobhan.obrien@example.com"
AMARA = "amara.nwosu@example.com"
RAHUL = "rahul.mehta@example.com"  # Zoë's skip-level: not given her folder
NOBODY = "nobody@example.com"  # no account was ever created for this address
NEW_HIRE = "nina.new@example.com"  # in the roster before their account exists
MARKER_Q = "appProperties has {{ key='careerdocs_person' and value='{}' }}"


def workspace(kit: SandboxKit, admin: str = PBP, **options: Any) -> GoogleWorkspace:
    clients = Clients(CredentialFactory(kit.key), kit.endpoint)
    return GoogleWorkspace(clients, Pacer({}, max_tries=2), GoogleOptions(admin=admin, **options))


def run(setup: GoogleSetup, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(setup.config), "--today", TODAY, *args])


def permissions(kit: SandboxKit, user: str, file_id: str) -> dict[str, str]:
    listed = (
        kit.drive.permissions()
        .list(fileId=file_id, fields="permissions(emailAddress,role)", supportsAllDrives=True)
        .execute(http=kit.http(user))["permissions"]
    )
    return {p["emailAddress"]: p["role"] for p in listed if p.get("emailAddress")}


def app_properties(kit: SandboxKit, user: str, file_id: str) -> dict[str, str]:
    return (
        kit.drive.files()
        .get(fileId=file_id, fields="appProperties", supportsAllDrives=True)
        .execute(http=kit.http(user))
        .get("appProperties", {})
    )


# -- people Google will not act as ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["never-created", "suspended"])
def test_a_person_google_will_not_act_as_is_left_out_and_named_with_the_likely_cause(
    sandbox: SandboxKit, how: str
) -> None:
    ws = workspace(sandbox)
    ws.create_folder(ALICE, "Alice", FY)
    if how == "suspended":
        gone = BOB
        sandbox.sandbox.suspend_user(BOB)
    else:
        gone = NEW_HIRE

    found = ws.find_artifacts([ALICE, gone, CAROL], FY)

    assert set(found) == {ALICE, CAROL}
    assert set(found[ALICE]) == {ArtifactKind.FOLDER}
    assert set(ws.unreachable) == {gone}
    reason = ws.unreachable[gone]
    assert "invalid_grant: Invalid email or User ID" in reason
    assert "no Google account for this address yet, or it is suspended or deleted" in reason


def test_a_roster_address_without_an_account_fails_that_person_alone_with_exit_3(
    google_setup: GoogleSetup,
) -> None:
    roster = google_setup.config.parent / "roster.csv"
    with roster.open("a", encoding="utf-8") as out:
        out.write(f"{NEW_HIRE},Nina New,{SIOBHAN},2026-11-02,Engineer,Engineering,,,{AMARA},\n")

    result = run(google_setup, "provision", "--no-notify")

    assert result.exit_code == 3, result.output
    assert NEW_HIRE in result.output
    assert "no Google account for this address yet" in result.output
    kit = google_setup.kit
    for person in (ZOE, SIOBHAN, AMARA):
        kinds = sorted(f["appProperties"][MARKER_KIND] for f in listed(kit, person))
        assert kinds == ["folder", "growth_sheet", "igp", "tracker"], person


def test_an_admin_google_will_not_act_as_stops_the_whole_run(sandbox: SandboxKit) -> None:
    ws = workspace(sandbox, admin=NOBODY)

    with pytest.raises(AuthError, match=r"the admin account \(google.admin\) nobody@"):
        ws.find_artifacts([ALICE], FY)


# -- recorded grants -----------------------------------------------------------------------------


def shared_drive_workspace(kit: SandboxKit) -> GoogleWorkspace:
    drive_id = kit.sandbox.create_shared_drive("Career development", [PBP])
    return workspace(kit, destination="shared_drive", shared_drive_id=drive_id)


MODES = {"my_drive": workspace, "shared_drive": shared_drive_workspace}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_grants_are_recorded_and_only_they_are_revoked(sandbox: SandboxKit, mode: str) -> None:
    ws = MODES[mode](sandbox)
    actor = ws.actor(ALICE)
    folder = ws.create_folder(ALICE, "Alice", FY)
    assert ws.share(ALICE, folder, BOB, "writer")
    by_hand = {"type": "user", "role": "reader", "emailAddress": CAROL}
    sandbox.drive.permissions().create(
        fileId=folder.id, body=by_hand, sendNotificationEmail=False, supportsAllDrives=True
    ).execute(http=sandbox.http(actor))

    found = ws.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.FOLDER]

    assert found.grants == ((BOB, "writer"),)  # not Carol's hand-made share, not Alice's own
    assert dict(found.shares)[BOB] == "writer"
    assert dict(found.shares)[CAROL] == "reader"
    assert dict(found.shares)[ALICE] in ("owner", "writer")
    assert not ws.revoke(ALICE, found, CAROL)  # never touches a share careerdocs did not make
    assert ws.revoke(ALICE, found, BOB)

    held = permissions(sandbox, actor, folder.id)
    assert BOB not in held
    assert held[CAROL] == "reader"
    assert not any(k.startswith(GRANT_PREFIX) for k in app_properties(sandbox, actor, folder.id))
    again = ws.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.FOLDER]
    assert again.grants == ()


def test_a_record_whose_share_never_happened_grants_nothing(sandbox: SandboxKit) -> None:
    ws = workspace(sandbox)
    folder = ws.create_folder(ALICE, "Alice", FY)
    ws.drive.record(ALICE, folder.id, grant_record(BOB, "writer"))  # a crash before the share

    found = ws.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.FOLDER]

    assert found.grants == ()
    assert BOB not in dict(found.shares)


@pytest.mark.parametrize(
    "grantee", ["a@example.com", "x" * 200 + "@example.com", "zoë.lambert@exämple.com"]
)
def test_a_grant_record_fits_drives_124_bytes(grantee: str) -> None:
    ((key, value),) = grant_record(grantee, "fileOrganizer").items()

    assert len(key.encode()) + len(value.encode()) <= 124
    assert value.startswith("fileOrganizer:")


# -- shared drives: the running account's role, checked before any write -------------------------


def use_shared_drive(setup: GoogleSetup, role: str) -> str:
    kit = setup.kit
    drive_id = kit.sandbox.create_shared_drive("Career development", [setup.admin])
    if role != "organizer":
        with kit.store.lock:
            kit.store.drives[drive_id].members[setup.admin] = role
    text = setup.config.read_text(encoding="utf-8")
    setup.config.write_text(
        text + f'destination = "shared_drive"\nshared_drive_id = "{drive_id}"\n', "utf-8"
    )
    return drive_id


def careerdocs_files(kit: SandboxKit) -> list[Any]:
    return [f for f in kit.store.files.values() if MARKER_KIND in f.app_properties]


@pytest.mark.parametrize("role", ["writer", "fileOrganizer"])
@pytest.mark.parametrize("command", [("provision",), ("provision", "--dry-run")])
def test_a_shared_drive_role_that_cannot_share_folders_is_refused_before_any_write(
    google_setup: GoogleSetup, role: str, command: tuple[str, ...]
) -> None:
    use_shared_drive(google_setup, role)

    result = run(google_setup, *command, "--only", ZOE, "--no-notify")

    assert result.exit_code == 2, result.output
    assert f"{google_setup.admin} cannot share folders in shared drive" in result.output
    assert "needs Manager, or Content manager where the drive lets" in result.output
    assert careerdocs_files(google_setup.kit) == []


def test_a_shared_drive_manager_provisions_and_shares_are_read_with_permissions_list(
    google_setup: GoogleSetup,
) -> None:
    kit = google_setup.kit
    use_shared_drive(google_setup, "organizer")

    first = run(google_setup, "provision", "--only", ZOE, "--no-notify")
    kit.counters.reset()
    again = run(google_setup, "provision", "--only", ZOE, "--no-notify")

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert kit.counters.total(method="permissions.create") == 0  # shares found, not redone
    assert kit.counters.total(method="permissions.list") >= 1


def test_a_missing_shared_drive_is_invalid_input(google_setup: GoogleSetup) -> None:
    text = google_setup.config.read_text(encoding="utf-8")
    google_setup.config.write_text(
        text + 'destination = "shared_drive"\nshared_drive_id = "0AnoSuchDrive000000"\n', "utf-8"
    )

    result = run(google_setup, "provision", "--only", ZOE, "--no-notify")

    assert result.exit_code == 2, result.output
    assert "google.shared_drive_id: 0AnoSuchDrive000000: no such shared drive" in result.output


# -- duplicates ----------------------------------------------------------------------------------


def listed(kit: SandboxKit, person: str, trashed: bool = False) -> list[dict[str, Any]]:
    q = MARKER_Q.format(person) + f" and trashed = {str(trashed).lower()}"
    return (
        kit.drive.files()
        .list(q=q, fields="files(id,name,parents,appProperties,createdTime)")
        .execute(http=kit.http(person))["files"]
    )


def second_set(kit: SandboxKit, person: str) -> dict[str, str]:
    """What a concurrent run on another machine made: a later folder and later copies of each
    document in it, with the same markers. Returns kind -> id."""
    files = listed(kit, person)
    folder = next(f for f in files if f["appProperties"][MARKER_KIND] == "folder")
    made = {
        "folder": kit.drive.files()
        .create(
            body={
                "name": "second folder",
                "mimeType": "application/vnd.google-apps.folder",
                "appProperties": folder["appProperties"],
            },
            fields="id",
        )
        .execute(http=kit.http(person))["id"]
    }
    for f in files:
        kind = f["appProperties"][MARKER_KIND]
        if kind == "folder":
            continue
        body = {"name": f"second {kind}", "parents": [made["folder"]]}
        body["appProperties"] = f["appProperties"]
        made[kind] = (
            kit.drive.files()
            .copy(fileId=f["id"], body=body, fields="id")
            .execute(http=kit.http(person))["id"]
        )
    return made


def open_google_workspace(setup: GoogleSetup) -> Any:
    return open_workspace(load_settings(setup.config))


def test_untouched_duplicates_from_a_concurrent_run_go_to_the_trash(
    google_setup: GoogleSetup,
) -> None:
    kit = google_setup.kit
    assert run(google_setup, "provision", "--only", ZOE, "--no-notify").exit_code == 0
    first = {f["appProperties"][MARKER_KIND]: f["id"] for f in listed(kit, ZOE)}
    second = second_set(kit, ZOE)
    ws = open_google_workspace(google_setup)
    kept = ws.find_artifacts([ZOE], FY)[ZOE]

    messages = ws.heal(ZOE, FY, kept)

    assert messages == []
    assert {f["id"] for f in listed(kit, ZOE)} == set(first.values())
    assert {f["id"] for f in listed(kit, ZOE, trashed=True)} == set(second.values())
    assert {k.value: a.id for k, a in kept.items()} == first


def test_a_duplicate_someone_edited_is_reported_and_kept_with_its_folder(
    google_setup: GoogleSetup,
) -> None:
    kit = google_setup.kit
    assert run(google_setup, "provision", "--only", ZOE, "--no-notify").exit_code == 0
    second = second_set(kit, ZOE)
    kit.docs.documents().batchUpdate(
        documentId=second["igp"],
        body={"requests": [{"insertText": {"location": {"index": 1}, "text": "My goals\n"}}]},
    ).execute(http=kit.http(ZOE))
    ws = open_google_workspace(google_setup)

    messages = ws.heal(ZOE, FY, ws.find_artifacts([ZOE], FY)[ZOE])

    assert len(messages) == 2
    assert messages[0].startswith("duplicate igp 'second igp' (")
    assert "was edited after careerdocs made it, so it was kept" in messages[0]
    assert messages[1].startswith("duplicate folder 'second folder' (")
    assert "it holds 'second igp'" in messages[1]
    still = {f["id"] for f in listed(kit, ZOE)}
    assert {second["igp"], second["folder"]} <= still
    assert not ({second["tracker"], second["growth_sheet"]} & still)


def test_two_central_sheets_keep_the_earliest(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    admin = google_setup.admin
    body = {
        "name": "central",
        "mimeType": "application/vnd.google-apps.spreadsheet",
        "appProperties": {MARKER_KIND: "central"},
    }
    earliest = kit.drive.files().create(body=body, fields="id").execute(http=kit.http(admin))
    later = kit.drive.files().create(body=body, fields="id").execute(http=kit.http(admin))

    central = open_google_workspace(google_setup).central_id(create=True)

    assert central == earliest["id"]
    q = "appProperties has { key='careerdocs_kind' and value='central' } and trashed = true"
    trashed = kit.drive.files().list(q=q, fields="files(id)").execute(http=kit.http(admin))
    assert [f["id"] for f in trashed["files"]] == [later["id"]]


def test_doctor_names_a_person_google_will_not_act_as_and_why(google_setup: GoogleSetup) -> None:
    first_person = "margaret.okafor@example.com"  # the person doctor proves delegation with
    google_setup.kit.sandbox.suspend_user(first_person)

    result = run(google_setup, "doctor")

    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "credentials and delegation" in x)
    assert line.startswith(f"[FAIL] credentials and delegation: {first_person}: Google will not")
    assert "suspended" in line


def test_the_earliest_document_is_kept_and_moved_into_the_earliest_folder(
    google_setup: GoogleSetup,
) -> None:
    kit = google_setup.kit
    assert run(google_setup, "provision", "--only", ZOE, "--no-notify").exit_code == 0
    first = {f["appProperties"][MARKER_KIND]: f for f in listed(kit, ZOE)}
    second = second_set(kit, ZOE)
    # the other run's IGP was made before this run's (the runs interleaved)
    earlier_igp = (
        kit.drive.files()
        .create(
            body={
                "name": "earlier igp",
                "mimeType": "application/vnd.google-apps.document",
                "parents": [second["folder"]],
                "appProperties": first["igp"]["appProperties"],
                "createdTime": "2020-01-01T00:00:00.000Z",
            },
            fields="id",
        )
        .execute(http=kit.http(ZOE))["id"]
    )
    ws = open_google_workspace(google_setup)

    messages = ws.heal(ZOE, FY, ws.find_artifacts([ZOE], FY)[ZOE])

    assert messages == []
    alive = {f["id"]: f for f in listed(kit, ZOE)}
    kinds = sorted(f["appProperties"][MARKER_KIND] for f in alive.values())
    assert kinds == ["folder", "growth_sheet", "igp", "tracker"]
    assert alive[earlier_igp]["parents"] == [first["folder"]["id"]]
    assert first["folder"]["id"] in alive and second["folder"] not in alive


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        pytest.param(
            ("2026-11-26T10:00:00.000Z", "2026-11-26T10:00:00.000Z", None), True, id="as-created"
        ),
        pytest.param(
            ("2026-11-26T10:00:00Z", "2026-11-26T10:00:00.000Z", None), True, id="same-instant"
        ),
        pytest.param(
            ("2026-11-26T10:00:00.000Z", "2026-11-26T10:05:00.000Z", "2026-11-26T10:05:00.000Z"),
            True,
            id="as-sealed",
        ),
        pytest.param(
            ("2026-11-26T10:00:00.000Z", "2026-11-26T10:06:00.000Z", "2026-11-26T10:05:00.000Z"),
            False,
            id="edited-after-seal",
        ),
        pytest.param(
            ("2026-11-26T10:00:00.000Z", "2026-11-26T10:01:00.000Z", None),
            False,
            id="edited-never-sealed",
        ),
        pytest.param(("2026-11-26T10:00:00.000Z", None, None), False, id="no-modified-time"),
    ],
)
def test_a_copy_is_untouched_only_as_careerdocs_left_it(
    times: tuple[str | None, str | None, str | None], expected: bool
) -> None:
    created, modified, seal = times
    f = {"createdTime": created, "modifiedTime": modified, "appProperties": {}}
    if seal:
        f["appProperties"] = {SEAL: seal}

    assert untouched(f) is expected


@pytest.mark.parametrize(
    ("capabilities", "restrictions", "role", "may_share_folders"),
    [
        ({"canManageMembers": True, "canAddChildren": True}, {}, "Manager", True),
        ({"canTrashChildren": True, "canAddChildren": True}, {}, "Content manager", False),
        (
            {"canTrashChildren": True, "canAddChildren": True},
            {"sharingFoldersRequiresOrganizerPermission": False},
            "Content manager",
            True,
        ),
        (
            {"canTrashChildren": True, "canAddChildren": True},
            {"sharingFoldersRequiresOrganizerPermission": True},
            "Content manager",
            False,
        ),
        ({"canAddChildren": True, "canShare": True}, {}, "Contributor", False),
        ({"canComment": True}, {}, "Commenter", False),
        ({}, {}, "Viewer", False),
    ],
)
def test_who_may_share_folders_in_a_shared_drive(
    capabilities: dict[str, bool], restrictions: dict[str, bool], role: str, may_share_folders: bool
) -> None:
    access = drive_access({"capabilities": capabilities, "restrictions": restrictions})

    assert access.role == role
    assert access.can_share_folders is may_share_folders


def test_a_changed_role_is_revoked_then_granted_anew(sandbox: SandboxKit) -> None:
    ws = workspace(sandbox)
    ws.create_folder(ALICE, "Alice", FY)
    folder = ws.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.FOLDER]
    ws.share(ALICE, folder, BOB, "writer")
    folder = ws.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.FOLDER]

    assert ws.revoke(ALICE, folder, BOB)
    assert ws.share(ALICE, folder, BOB, "reader")  # the survey's shares still say writer

    assert permissions(sandbox, ALICE, folder.id)[BOB] == "reader"
    assert ws.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.FOLDER].grants == ((BOB, "reader"),)


# -- re-sharing ----------------------------------------------------------------------------------


def test_the_manager_cannot_pass_the_persons_folder_on(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    assert run(google_setup, "provision", "--only", ZOE, "--no-notify").exit_code == 0
    files = (
        kit.drive.files()
        .list(q=MARKER_Q.format(ZOE), fields="files(id,writersCanShare,appProperties)")
        .execute(http=kit.http(ZOE))["files"]
    )
    folder = next(f for f in files if f["appProperties"][MARKER_KIND] == "folder")

    with pytest.raises(HttpError) as refused:
        kit.drive.permissions().create(
            fileId=folder["id"],
            body={"type": "user", "role": "writer", "emailAddress": RAHUL},
            sendNotificationEmail=False,
        ).execute(http=kit.http(SIOBHAN))

    assert refused.value.resp.status == 403
    assert [f["writersCanShare"] for f in files] == [False] * 4
    assert RAHUL not in permissions(kit, ZOE, folder["id"])


def test_copied_templates_cannot_be_reshared_by_writers_either(sandbox: SandboxKit) -> None:
    ws = workspace(sandbox)
    template = (
        sandbox.drive.files()
        .create(body={"name": "IGP", "mimeType": "application/vnd.google-apps.document"})
        .execute(http=sandbox.http(ALICE))
    )

    copied = ws.drive.copy(ALICE, template["id"], {"name": "Alice IGP"}, lambda: None)

    got = (
        sandbox.drive.files()
        .get(fileId=copied["id"], fields="writersCanShare")
        .execute(http=sandbox.http(ALICE))
    )
    assert got["writersCanShare"] is False


def test_a_content_manager_may_provision_where_the_drive_lets_them_share_folders(
    google_setup: GoogleSetup,
) -> None:
    drive_id = use_shared_drive(google_setup, "fileOrganizer")
    kit = google_setup.kit
    with kit.store.lock:
        kit.store.drives[drive_id].restrictions = {
            "sharingFoldersRequiresOrganizerPermission": False
        }

    result = run(google_setup, "provision", "--only", ZOE, "--no-notify")

    assert result.exit_code == 0, result.output
    zoes = [f for f in careerdocs_files(kit) if f.app_properties.get("careerdocs_person") == ZOE]
    assert len(zoes) == 4


def test_doctor_passes_a_user_login_in_a_shared_drive_it_manages(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    use_shared_drive(google_setup, "organizer")
    login = kit.sandbox.user_credentials(google_setup.admin)
    (google_setup.config.parent / "key.json").write_text(json.dumps(login), encoding="utf-8")

    result = run(google_setup, "doctor")

    assert result.exit_code == 0, result.output
    assert "[ok ] credentials and delegation: token issued (user OAuth login: it acts" in (
        result.output
    )
