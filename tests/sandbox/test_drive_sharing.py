"""Who may share, as Drive decides it, through the real google-api-python-client:
``writersCanShare`` on My Drive items, member roles and restrictions in shared drives, and what
files.list, files.get, drives.get and permissions.list show of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.conftest import ALICE, BOB, CAROL, PBP, SandboxKit

pytestmark = pytest.mark.google

FOLDER = "application/vnd.google-apps.folder"
DOC = "application/vnd.google-apps.document"
DAN = "dan@example.com"
OUTSIDER = "eve@example.com"


def run(kit: SandboxKit, request: Any, user: str) -> Any:
    return request.execute(http=kit.http(user))


def refusal(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as caught:
        call()
    error = json.loads(caught.value.content)["error"]
    return error["code"], error["errors"][0]["reason"]


def grant(kit: SandboxKit, file_id: str, email: str, user: str, role: str = "writer") -> dict:
    return run(
        kit,
        kit.drive.permissions().create(
            fileId=file_id,
            body={"type": "user", "role": role, "emailAddress": email},
            sendNotificationEmail=False,
            supportsAllDrives=True,
        ),
        user,
    )


def create(kit: SandboxKit, user: str, **body: Any) -> dict:
    return run(
        kit,
        kit.drive.files().create(body=body, fields="id,writersCanShare", supportsAllDrives=True),
        user,
    )


# -- writersCanShare -----------------------------------------------------------------------------


@pytest.fixture
def locked_folder(sandbox: SandboxKit) -> str:
    """Alice's folder with writersCanShare false, shared with Bob (her manager) as writer and
    with Carol as reader."""
    folder = create(sandbox, ALICE, name="Alice", mimeType=FOLDER, writersCanShare=False)
    assert folder["writersCanShare"] is False
    grant(sandbox, folder["id"], BOB, ALICE)
    grant(sandbox, folder["id"], CAROL, ALICE, role="reader")
    return folder["id"]


def _carol_permission(kit: SandboxKit, file_id: str) -> str:
    listed = run(kit, kit.drive.permissions().list(fileId=file_id, fields="*"), ALICE)
    return next(p["id"] for p in listed["permissions"] if p.get("emailAddress") == CAROL)


SHARING_CALLS = {
    "permissions.create": lambda kit, fid: kit.drive.permissions().create(
        fileId=fid,
        body={"type": "user", "role": "writer", "emailAddress": OUTSIDER},
        sendNotificationEmail=False,
    ),
    "permissions.update": lambda kit, fid: kit.drive.permissions().update(
        fileId=fid, permissionId=_carol_permission(kit, fid), body={"role": "writer"}
    ),
    "permissions.delete": lambda kit, fid: kit.drive.permissions().delete(
        fileId=fid, permissionId=_carol_permission(kit, fid)
    ),
}


@pytest.mark.parametrize("method", list(SHARING_CALLS))
def test_a_writer_may_not_share_when_writers_cannot_share(
    sandbox: SandboxKit, locked_folder: str, method: str
) -> None:
    call = SHARING_CALLS[method](sandbox, locked_folder)
    assert refusal(lambda: run(sandbox, call, BOB)) == (403, "insufficientFilePermissions")
    run(sandbox, SHARING_CALLS[method](sandbox, locked_folder), ALICE)  # the owner may


@pytest.mark.parametrize("method", list(SHARING_CALLS))
def test_a_writer_may_share_when_writers_can_share(sandbox: SandboxKit, method: str) -> None:
    folder = create(sandbox, ALICE, name="Open", mimeType=FOLDER)
    assert folder["writersCanShare"] is True  # Drive's default
    grant(sandbox, folder["id"], BOB, ALICE)
    grant(sandbox, folder["id"], CAROL, ALICE, role="reader")
    run(sandbox, SHARING_CALLS[method](sandbox, folder["id"]), BOB)


def test_only_the_owner_changes_writers_can_share(sandbox: SandboxKit, locked_folder: str) -> None:
    reopen = sandbox.drive.files().update(fileId=locked_folder, body={"writersCanShare": True})
    assert refusal(lambda: run(sandbox, reopen, BOB)) == (403, "insufficientFilePermissions")
    run(
        sandbox,
        sandbox.drive.files().update(fileId=locked_folder, body={"writersCanShare": True}),
        ALICE,
    )
    run(sandbox, SHARING_CALLS["permissions.create"](sandbox, locked_folder), BOB)


def test_writers_can_share_shows_in_get_and_list_and_in_can_share(
    sandbox: SandboxKit, locked_folder: str
) -> None:
    fields = "writersCanShare,capabilities(canShare)"
    as_bob = run(sandbox, sandbox.drive.files().get(fileId=locked_folder, fields=fields), BOB)
    assert as_bob == {"writersCanShare": False, "capabilities": {"canShare": False}}
    as_alice = run(sandbox, sandbox.drive.files().get(fileId=locked_folder, fields=fields), ALICE)
    assert as_alice["capabilities"]["canShare"] is True
    listed = run(
        sandbox,
        sandbox.drive.files().list(
            q="name = 'Alice' and trashed = false", fields="files(id,writersCanShare)"
        ),
        ALICE,
    )
    assert listed == {"files": [{"id": locked_folder, "writersCanShare": False}]}


def test_a_writer_still_reads_the_permissions_it_may_not_change(
    sandbox: SandboxKit, locked_folder: str
) -> None:
    listed = run(sandbox, sandbox.drive.permissions().list(fileId=locked_folder), BOB)
    assert len(listed["permissions"]) == 3  # Alice (owner), Bob, Carol


def test_writers_can_share_must_be_a_boolean(sandbox: SandboxKit) -> None:
    bad = sandbox.drive.files().create(body={"name": "x", "writersCanShare": "no"})
    assert refusal(lambda: run(sandbox, bad, ALICE))[0] == 400


# -- shared drives -------------------------------------------------------------------------------


@pytest.fixture
def people_drive(sandbox: SandboxKit) -> dict[str, str]:
    """A shared drive managed by the PBP, with a member of every other role, holding a folder
    and a document in it (made by the PBP)."""
    sandbox.sandbox.add_user(DAN)
    drive_id = sandbox.sandbox.create_shared_drive(
        "People",
        [PBP],
        members={CAROL: "fileOrganizer", BOB: "writer", ALICE: "commenter", DAN: "reader"},
    )
    folder = create(sandbox, PBP, name="Alice", mimeType=FOLDER, parents=[drive_id])
    doc = create(sandbox, PBP, name="Alice plan", mimeType=DOC, parents=[folder["id"]])
    return {"drive": drive_id, "folder": folder["id"], "doc": doc["id"]}


def allow_content_managers(kit: SandboxKit, drive_id: str, allowed: bool) -> dict:
    return run(
        kit,
        kit.drive.drives().update(
            driveId=drive_id,
            body={"restrictions": {"sharingFoldersRequiresOrganizerPermission": not allowed}},
            fields="restrictions",
        ),
        PBP,
    )


ROLES = {PBP: "organizer", CAROL: "fileOrganizer", BOB: "writer", ALICE: "commenter", DAN: "reader"}


@pytest.mark.parametrize(
    ("user", "item", "content_managers_share_folders", "allowed"),
    [
        (PBP, "folder", False, True),
        (CAROL, "folder", False, False),
        (CAROL, "folder", True, True),
        (BOB, "folder", True, False),
        (PBP, "doc", False, True),
        (CAROL, "doc", False, True),
        (BOB, "doc", False, True),
        (ALICE, "doc", False, False),
        (DAN, "doc", False, False),
    ],
    ids=lambda v: ROLES.get(v, str(v)),
)
def test_shared_drive_roles_decide_who_may_share(
    sandbox: SandboxKit,
    people_drive: dict[str, str],
    user: str,
    item: str,
    content_managers_share_folders: bool,
    allowed: bool,
) -> None:
    allow_content_managers(sandbox, people_drive["drive"], content_managers_share_folders)
    share = lambda: grant(sandbox, people_drive[item], OUTSIDER, user, role="reader")  # noqa: E731
    if allowed:
        share()
    else:
        assert refusal(share) == (403, "insufficientFilePermissions")


def test_a_new_drive_lets_only_managers_share_folders(
    sandbox: SandboxKit, people_drive: dict[str, str]
) -> None:
    got = run(
        sandbox,
        sandbox.drive.drives().get(driveId=people_drive["drive"], fields="restrictions"),
        PBP,
    )
    assert got["restrictions"]["sharingFoldersRequiresOrganizerPermission"] is True


@pytest.mark.parametrize(
    ("user", "can_share", "can_manage_members"),
    [(PBP, True, True), (CAROL, True, False), (BOB, True, False), (ALICE, False, False)],
    ids=lambda v: ROLES.get(v, str(v)),
)
def test_drives_get_tells_each_member_their_capabilities(
    sandbox: SandboxKit,
    people_drive: dict[str, str],
    user: str,
    can_share: bool,
    can_manage_members: bool,
) -> None:
    got = run(
        sandbox,
        sandbox.drive.drives().get(
            driveId=people_drive["drive"], fields="capabilities(canShare,canManageMembers)"
        ),
        user,
    )
    assert got == {"capabilities": {"canShare": can_share, "canManageMembers": can_manage_members}}


def test_only_a_manager_changes_the_drives_restrictions(
    sandbox: SandboxKit, people_drive: dict[str, str]
) -> None:
    change = sandbox.drive.drives().update(
        driveId=people_drive["drive"],
        body={"restrictions": {"sharingFoldersRequiresOrganizerPermission": False}},
    )
    assert refusal(lambda: run(sandbox, change, CAROL)) == (403, "insufficientFilePermissions")
    assert allow_content_managers(sandbox, people_drive["drive"], True) == {
        "restrictions": {
            "adminManagedRestrictions": False,
            "copyRequiresWriterPermission": False,
            "domainUsersOnly": False,
            "driveMembersOnly": False,
            "sharingFoldersRequiresOrganizerPermission": False,
        }
    }


def test_permissions_list_on_the_drive_tells_the_running_account_its_role(
    sandbox: SandboxKit, people_drive: dict[str, str]
) -> None:
    listed = run(
        sandbox,
        sandbox.drive.permissions().list(
            fileId=people_drive["drive"],
            supportsAllDrives=True,
            fields="permissions(emailAddress,role)",
        ),
        CAROL,
    )
    assert {p["emailAddress"]: p["role"] for p in listed["permissions"]} == ROLES


def test_files_list_does_not_return_permissions_for_shared_drive_items(
    sandbox: SandboxKit, people_drive: dict[str, str]
) -> None:
    """Drive v3 File.permissions: "Not populated for items in shared drives" (discovery);
    writersCanShare likewise. permissions.list with supportsAllDrives reads them."""
    grant(sandbox, people_drive["folder"], ALICE, PBP, role="writer")
    listed = run(
        sandbox,
        sandbox.drive.files().list(
            q=f"'{people_drive['drive']}' in parents",
            corpora="drive",
            driveId=people_drive["drive"],
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
            fields="files(id,permissions,writersCanShare)",
        ),
        PBP,
    )
    assert listed["files"] == [{"id": people_drive["folder"]}]
    shares = run(
        sandbox,
        sandbox.drive.permissions().list(
            fileId=people_drive["folder"],
            supportsAllDrives=True,
            fields="permissions(emailAddress,role)",
        ),
        PBP,
    )
    assert {"emailAddress": ALICE, "role": "writer"} in shares["permissions"]


def test_writers_can_share_is_not_kept_for_shared_drive_items(
    sandbox: SandboxKit, people_drive: dict[str, str]
) -> None:
    made = create(
        sandbox,
        PBP,
        name="x",
        mimeType=DOC,
        parents=[people_drive["folder"]],
        writersCanShare=False,
    )
    assert "writersCanShare" not in made
    grant(sandbox, made["id"], OUTSIDER, BOB, role="reader")  # a Contributor still shares files
