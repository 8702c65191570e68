"""Acknowledgements on Google are the person's alone, and rollup verifies instead of trusting.

Everything runs through the real clients against the sandbox. Each forgery route is tried as
the MANAGER with the access they really have (writer on the person's folder): each request is
either refused by the sandbox (as Google refuses edits to a protected sheet) or, where it gets
through, the sheet reads back as untrusted and the person is not counted. The person can still
log and tick. Also here: copy fill in one pass, and the earliest ``createdTime`` winning.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from click.testing import CliRunner
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from careerdocs.cli import cli
from careerdocs.config import builtin_templates_dir, load_settings
from careerdocs.workspace.base import STEP_FILLED, STEP_PROTECTED, ArtifactKind, TemplateRef
from careerdocs.workspace.google import GoogleWorkspace, open_google
from careerdocs.workspace.google.drive import artifact as drive_artifact

from .conftest import GoogleSetup, SandboxKit

TODAY = "2026-11-26"
ZOE = "zoe.lambert@example.com"
SIOBHAN = "siobhan.obrien@example.com"  # Zoë's manager: writer on her folder
UNTRUSTED = "acknowledgements can't be trusted"
HEADER = ["Date", "With whom", "Type", "Notes", "Acknowledged", "Escalation"]
# Zoë's own log: an acknowledged skip-level meeting and a career conversation she has not
# acknowledged. She is "due"; every forgery below tries to make her "acknowledged".
ZOE_LOG = [
    ["2026-10-01", "Rahul", "skip-level", "direction", True, False],
    ["2026-11-02", "Siobhán", "career", "", False, False],
]
GROWTH_TEMPLATE = TemplateRef(
    ArtifactKind.GROWTH_SHEET, "growth-plan.xlsx", path=builtin_templates_dir() / "growth-plan.xlsx"
)
FORGED = ["2026-11-03", "Siobhán", "career", "forged", True, False]


def invoke(setup: GoogleSetup, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(setup.config), "--today", TODAY, *args])


def workspace(setup: GoogleSetup) -> GoogleWorkspace:
    return open_google(load_settings(setup.config))


def status_of(setup: GoogleSetup, person: str) -> dict[str, Any]:
    result = invoke(setup, "rollup", "--json", "--full")
    assert result.exit_code in (0, 3), result.output
    report = json.loads(result.stdout)
    person_row = next(p for p in report["people"] if p["email"] == person)
    return {
        **person_row,
        "problems": [p for p in report["data_problems"] if p.startswith(person)],
    }


@dataclass
class Sheet:
    """Zoë's provisioned growth sheet and the tab id careerdocs recorded for it."""

    setup: GoogleSetup
    id: str
    tab_id: int

    @property
    def kit(self) -> SandboxKit:
        return self.setup.kit

    def batch(self, user: str, *requests: dict[str, Any]) -> dict[str, Any]:
        return (
            self.kit.sheets.spreadsheets()
            .batchUpdate(spreadsheetId=self.id, body={"requests": list(requests)})
            .execute(http=self.kit.http(user))
        )

    def write(self, user: str, a1: str, rows: list[list[Any]]) -> None:
        self.kit.sheets.spreadsheets().values().update(
            spreadsheetId=self.id,
            range=a1,
            valueInputOption="USER_ENTERED",
            body={"values": rows},
        ).execute(http=self.kit.http(user))

    def meta(self, user: str = ZOE) -> dict[str, Any]:
        return (
            self.kit.sheets.spreadsheets()
            .get(spreadsheetId=self.id, fields="sheets(properties,protectedRanges)")
            .execute(http=self.kit.http(user))
        )

    def protections(self, user: str = ZOE) -> list[dict[str, Any]]:
        return [
            p
            for s in self.meta(user)["sheets"]
            for p in s.get("protectedRanges", [])
            if p["range"].get("sheetId") == self.tab_id
        ]

    def read(self) -> Any:
        ws = workspace(self.setup)
        found = ws.find_artifacts([ZOE], fy(self))[ZOE][ArtifactKind.GROWTH_SHEET]
        return ws.read_conversations([found])[0]


def fy(sheet: Sheet) -> str:
    files = (
        sheet.kit.drive.files()
        .get(fileId=sheet.id, fields="appProperties")
        .execute(http=sheet.kit.http(ZOE))
    )
    return files["appProperties"]["careerdocs_fy"]


@pytest.fixture
def sheet(google_setup: GoogleSetup) -> Sheet:
    result = invoke(google_setup, "provision", "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    kit = google_setup.kit
    found = (
        kit.drive.files()
        .list(
            q=(
                f"appProperties has {{ key='careerdocs_person' and value='{ZOE}' }} and "
                "appProperties has { key='careerdocs_kind' and value='growth_sheet' }"
            ),
            fields="files(id,appProperties)",
        )
        .execute(http=kit.http(ZOE))["files"]
    )
    assert len(found) == 1
    props = found[0]["appProperties"]
    assert props["careerdocs_protected"] == "yes"
    made = Sheet(google_setup, found[0]["id"], int(props["careerdocs_tab"]))
    made.write(ZOE, "Conversations!A2", ZOE_LOG)
    return made


# -- the protection careerdocs makes ------------------------------------------------------------


def test_the_whole_conversations_tab_is_protected_for_the_person_alone(sheet: Sheet) -> None:
    (protection,) = sheet.protections()
    assert protection["range"] == {"sheetId": sheet.tab_id}  # no row or column bounds
    assert protection["editors"] == {"users": [ZOE]}
    assert not protection.get("warningOnly")
    assert protection["description"].startswith("careerdocs")
    title = next(
        s["properties"]["title"]
        for s in sheet.meta()["sheets"]
        if s["properties"]["sheetId"] == sheet.tab_id
    )
    assert title == "Conversations"


def test_the_person_can_still_log_and_tick_and_it_counts(sheet: Sheet) -> None:
    assert status_of(sheet.setup, ZOE)["status"] == "due"
    sheet.write(ZOE, "Conversations!E3", [[True]])
    sheet.write(ZOE, "Conversations!A4", [["2026-11-20", "Siobhán", "manager 1:1", "", True]])
    read = sheet.read()
    assert read.untrusted is None and read.error is None
    assert read.header[:6] == HEADER
    assert [row[4] for row in logged(read.rows)] == [True, True, True]
    after = status_of(sheet.setup, ZOE)
    assert after["status"] == "acknowledged"
    assert not after["problems"]


# -- forgery routes, as the manager ------------------------------------------------------------


def _insert_column_before_acknowledged(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    return [
        lambda: sheet.batch(
            who,
            {
                "insertDimension": {
                    "range": {
                        "sheetId": sheet.tab_id,
                        "dimension": "COLUMNS",
                        "startIndex": 4,
                        "endIndex": 5,
                    }
                }
            },
        ),
        lambda: sheet.write(who, "Conversations!E1:E3", [["Acknowledged"], [True], [True]]),
    ]


def _delete_a_column(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    delete_type = {
        "deleteDimension": {
            "range": {
                "sheetId": sheet.tab_id,
                "dimension": "COLUMNS",
                "startIndex": 2,
                "endIndex": 3,
            }
        }
    }
    return [lambda: sheet.batch(who, delete_type)]


def _edit_an_acknowledged_row(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    # The acknowledged skip-level meeting becomes a career conversation on another day.
    return [
        lambda: sheet.write(who, "Conversations!A2:D2", [["2026-11-04", "Siobhán", "career", "x"]]),
        lambda: sheet.write(who, "Conversations!C2", [["career"]]),
    ]


def _tick_for_them(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    return [lambda: sheet.write(who, "Conversations!E3", [[True]])]


def _append_a_row(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    return [lambda: sheet.write(who, "Conversations!A4", [FORGED])]


def _rename_the_tab(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    return [lambda: sheet.batch(who, _rename(sheet.tab_id, "Old conversations"))]


def _replace_with_a_look_alike(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    """Rename the real tab, add a "Conversations" tab with a forged acknowledgement, and
    protect it for the person so that it looks exactly like careerdocs' own."""
    look_alike = 424242

    def add() -> Any:
        return sheet.batch(
            who,
            {"addSheet": {"properties": {"sheetId": look_alike, "title": "Conversations"}}},
        )

    def protect() -> Any:
        return sheet.batch(
            who,
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {"sheetId": look_alike},
                        "description": "careerdocs: only the team member acknowledges",
                        "editors": {"users": [ZOE, who]},
                    }
                }
            },
        )

    return [
        lambda: sheet.batch(who, _rename(sheet.tab_id, "Old conversations")),
        add,
        lambda: sheet.write(who, "Conversations!A1", [HEADER, FORGED]),
        protect,
    ]


def _delete_the_tab(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    return [lambda: sheet.batch(who, {"deleteSheet": {"sheetId": sheet.tab_id}})]


def _remove_the_protection(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    def remove() -> Any:
        (protection,) = sheet.protections()
        return sheet.batch(
            who, {"deleteProtectedRange": {"protectedRangeId": protection["protectedRangeId"]}}
        )

    return [remove, lambda: sheet.write(who, "Conversations!E3", [[True]])]


def _narrow_the_protection(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    def narrow() -> Any:
        (protection,) = sheet.protections()
        column = {"sheetId": sheet.tab_id, "startColumnIndex": 5, "endColumnIndex": 6}
        return sheet.batch(
            who,
            {
                "updateProtectedRange": {
                    "protectedRange": {
                        "protectedRangeId": protection["protectedRangeId"],
                        "range": column,
                    },
                    "fields": "range",
                }
            },
        )

    return [narrow, lambda: sheet.write(who, "Conversations!E3", [[True]])]


def _join_the_editors(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    def join() -> Any:
        (protection,) = sheet.protections()
        return sheet.batch(
            who,
            {
                "updateProtectedRange": {
                    "protectedRange": {
                        "protectedRangeId": protection["protectedRangeId"],
                        "editors": {"users": [ZOE, who]},
                    },
                    "fields": "editors",
                }
            },
        )

    return [join, lambda: sheet.write(who, "Conversations!E3", [[True]])]


def _warning_only(sheet: Sheet, who: str) -> list[Callable[[], Any]]:
    def soften() -> Any:
        (protection,) = sheet.protections()
        return sheet.batch(
            who,
            {
                "updateProtectedRange": {
                    "protectedRange": {
                        "protectedRangeId": protection["protectedRangeId"],
                        "warningOnly": True,
                    },
                    "fields": "warningOnly,editors",
                }
            },
        )

    return [soften]


def _rename(tab_id: int, title: str) -> dict[str, Any]:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": tab_id, "title": title},
            "fields": "title",
        }
    }


ROUTES = {
    "insert a column before Acknowledged": _insert_column_before_acknowledged,
    "delete a column": _delete_a_column,
    "edit an acknowledged row's date, type and notes": _edit_an_acknowledged_row,
    "tick Acknowledged for them": _tick_for_them,
    "add a row": _append_a_row,
    "rename the tab": _rename_the_tab,
    "rename the tab and add a look-alike": _replace_with_a_look_alike,
    "delete the tab": _delete_the_tab,
    "remove the protection": _remove_the_protection,
    "narrow the protection": _narrow_the_protection,
    "add themself to the protection's editors": _join_the_editors,
    "make the protection a warning": _warning_only,
}


def attempt(steps: list[Callable[[], Any]]) -> list[bool]:
    """Run each step as the manager; True where the sandbox let it through."""
    applied = []
    for step in steps:
        try:
            step()
        except HttpError as exc:
            assert exc.resp.status in (400, 403), exc
            applied.append(False)
        else:
            applied.append(True)
    return applied


@pytest.mark.parametrize("route", list(ROUTES), ids=list(ROUTES))
def test_a_manager_cannot_forge_an_acknowledgement(sheet: Sheet, route: str) -> None:
    assert status_of(sheet.setup, ZOE)["status"] == "due"
    applied = attempt(ROUTES[route](sheet, SIOBHAN))
    after = status_of(sheet.setup, ZOE)
    assert after["status"] != "acknowledged", (route, applied)
    read = sheet.read()
    if any(applied):
        # Got through the sandbox: rollup must notice and count nothing from the sheet.
        assert read.untrusted is not None and read.untrusted.startswith(UNTRUSTED), read
        assert read.rows == []
        assert after["problems"] == [f"{ZOE} {read.untrusted}"]
    else:
        # Refused: the sheet is exactly what Zoë wrote, and it still counts.
        assert read.untrusted is None, read
        assert [row[:3] for row in logged(read.rows)] == [r[:3] for r in _as_read(ZOE_LOG)]


def logged(rows: list[list[Any]]) -> list[list[Any]]:
    """The rows with something in the managed columns (the template keeps instructions to
    their right, which are the person's and not conversations)."""
    return [row for row in rows if any(c not in ("", None) for c in row[: len(HEADER)])]


def _as_read(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows as an unformatted read returns them: ISO dates as serial numbers."""
    from datetime import date

    epoch = date(1899, 12, 30)
    return [[(date.fromisoformat(r[0]) - epoch).days, *r[1:]] for r in rows]


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ("insert a column before Acknowledged", "a column was inserted or moved"),
        ("delete a column", "a column was deleted from the Conversations tab (Type)"),
        ("rename the tab", "the Conversations tab was renamed to 'Old conversations'"),
        ("rename the tab and add a look-alike", "renamed to 'Old conversations'"),
        ("delete the tab", "the Conversations tab was deleted or replaced"),
        ("remove the protection", "the protection was removed"),
        ("narrow the protection", "the protection was narrowed to part of the tab"),
        ("add themself to the protection's editors", "siobhan.obrien@example.com can also edit"),
        ("make the protection a warning", "the protection was changed to a warning only"),
    ],
)
def test_a_tab_changed_by_its_owner_is_untrusted_and_the_reason_says_how(
    sheet: Sheet, route: str, reason: str
) -> None:
    """Rollup's own check, whatever the storage lets through: the owner (Zoë, under
    delegation) may make each change the manager was refused, and the tab then no longer
    counts, with a reason naming the change. (Joining the editors is done here for the
    manager: the owner adds them.)"""
    who = ZOE
    steps = (
        _add_editor(sheet, SIOBHAN)
        if route == "add themself to the protection's editors"
        else ROUTES[route](sheet, who)
    )
    assert attempt(steps)[0]
    read = sheet.read()
    assert read.untrusted is not None, read
    assert read.untrusted.startswith(UNTRUSTED) and reason in read.untrusted, read.untrusted
    assert read.rows == []
    after = status_of(sheet.setup, ZOE)
    assert after["status"] != "acknowledged"
    assert after["problems"] == [f"{ZOE} {read.untrusted}"]


def _add_editor(sheet: Sheet, editor: str) -> list[Callable[[], Any]]:
    def add() -> Any:
        (protection,) = sheet.protections()
        return sheet.batch(
            ZOE,
            {
                "updateProtectedRange": {
                    "protectedRange": {
                        "protectedRangeId": protection["protectedRangeId"],
                        "editors": {"users": [ZOE, editor]},
                    },
                    "fields": "editors",
                }
            },
        )

    return [add]


def test_a_sheet_without_a_recorded_tab_id_is_untrusted_until_provision_protects_it(
    sheet: Sheet,
) -> None:
    """A sheet made by an earlier careerdocs (only the Acknowledged column protected, no tab id
    recorded) does not count; the next provision protects the whole tab and records it."""
    kit = sheet.kit
    kit.drive.files().update(
        fileId=sheet.id,
        body={"appProperties": {"careerdocs_protected": None, "careerdocs_tab": None}},
    ).execute(http=kit.http(ZOE))
    (protection,) = sheet.protections()
    sheet.batch(ZOE, {"deleteProtectedRange": {"protectedRangeId": protection["protectedRangeId"]}})
    read = sheet.read()
    assert read.untrusted is not None and "provision" in read.untrusted
    ws = workspace(sheet.setup)
    found = ws.find_artifacts([ZOE], fy(sheet))[ZOE][ArtifactKind.GROWTH_SHEET]
    assert STEP_PROTECTED not in found.steps and found.tab_id is None
    assert status_of(sheet.setup, ZOE)["problems"] == [f"{ZOE} {read.untrusted}"]
    result = invoke(sheet.setup, "provision", "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    sheet.write(ZOE, "Conversations!E3", [[True]])
    assert sheet.read().untrusted is None
    assert len(sheet.protections()) == 1
    assert status_of(sheet.setup, ZOE) == {
        "email": ZOE,
        "status": "acknowledged",
        "acknowledged": 1,
        "problems": [],
    }


# -- protect and fill, step by step --------------------------------------------------------------


def test_protect_is_idempotent_and_records_the_tab(sheet: Sheet) -> None:
    ws = workspace(sheet.setup)
    found = ws.find_artifacts([ZOE], fy(sheet))[ZOE][ArtifactKind.GROWTH_SHEET]
    assert STEP_PROTECTED in found.steps and found.tab_id == sheet.tab_id
    again = ws.protect(ZOE, replace(found, steps=frozenset(), tab_id=None), GROWTH_TEMPLATE)
    assert STEP_PROTECTED in again.steps and again.tab_id == sheet.tab_id
    assert len(sheet.protections()) == 1


# -- copy fill in one pass ------------------------------------------------------------------------

LITERAL_NAME = "{{ org.name }} {{ person.email }}"


def _upload_template(setup: GoogleSetup, name: str, mime: str) -> str:
    kit = setup.kit
    office = "application/vnd.openxmlformats-officedocument."
    source = {
        "application/vnd.google-apps.document": office + "wordprocessingml.document",
        "application/vnd.google-apps.spreadsheet": office + "spreadsheetml.sheet",
    }[mime]
    made = (
        kit.drive.files()
        .create(
            body={"name": name, "mimeType": mime},
            media_body=MediaFileUpload(str(builtin_templates_dir() / name), mimetype=source),
            fields="id",
        )
        .execute(http=kit.http(setup.admin))
    )
    kit.drive.permissions().create(
        fileId=made["id"], body={"type": "domain", "domain": "example.com", "role": "reader"}
    ).execute(http=kit.http(setup.admin))
    return made["id"]


@pytest.fixture
def copied(google_setup: GoogleSetup) -> GoogleSetup:
    """Zoë, named like two placeholders, provisioned from Google templates (the copy path)."""
    roster = google_setup.config.parent / "roster.csv"
    roster.write_text(
        roster.read_text(encoding="utf-8").replace("Zoë Lambert", LITERAL_NAME), encoding="utf-8"
    )
    ids = {
        "igp": _upload_template(google_setup, "igp.docx", "application/vnd.google-apps.document"),
        "growth_sheet": _upload_template(
            google_setup, "growth-plan.xlsx", "application/vnd.google-apps.spreadsheet"
        ),
    }
    templates = "\n".join(f'{k} = "google:{v}"' for k, v in ids.items())
    text = google_setup.config.read_text(encoding="utf-8")
    google_setup.config.write_text(text + f"\n[templates]\n{templates}\n", encoding="utf-8")
    result = invoke(google_setup, "provision", "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    return google_setup


def _zoe_files(setup: GoogleSetup) -> dict[str, dict[str, Any]]:
    kit = setup.kit
    files = (
        kit.drive.files()
        .list(
            q=f"appProperties has {{ key='careerdocs_person' and value='{ZOE}' }}",
            fields="files(id,appProperties)",
        )
        .execute(http=kit.http(ZOE))["files"]
    )
    return {f["appProperties"]["careerdocs_kind"]: f for f in files}


def _doc_text(kit: SandboxKit, doc_id: str) -> str:
    doc = kit.docs.documents().get(documentId=doc_id).execute(http=kit.http(ZOE))
    return "".join(
        run.get("textRun", {}).get("content", "")
        for element in doc["body"]["content"]
        for run in element.get("paragraph", {}).get("elements", [])
    )


def test_a_value_that_looks_like_a_placeholder_is_never_filled_again(copied: GoogleSetup) -> None:
    kit = copied.kit
    files = _zoe_files(copied)
    text = _doc_text(kit, files["igp"]["id"])
    assert LITERAL_NAME in text
    assert ZOE not in text  # the IGP has no email placeholder: only the name could bring it
    about = (
        kit.sheets.spreadsheets()
        .values()
        .get(spreadsheetId=files["growth_sheet"]["id"], range="About", valueRenderOption="FORMULA")
        .execute(http=kit.http(ZOE))["values"]
    )
    cells = [c for row in about for c in row]
    # the name stays literal (the roster's "=" included), the email is where the template has it
    assert f"={LITERAL_NAME}" in cells and ZOE in cells
    for kind in ("igp", "growth_sheet"):
        assert files[kind]["appProperties"]["careerdocs_filled"] == "yes", kind
    ws = workspace(copied)  # the copy is protected by its template's tab id, and reads trusted
    sheet = ws.find_artifacts([ZOE], "FY2027")[ZOE][ArtifactKind.GROWTH_SHEET]
    assert sheet.steps >= {STEP_FILLED, STEP_PROTECTED}
    (read,) = ws.read_conversations([sheet])
    assert read.untrusted is None, read.untrusted


def test_fill_after_a_crash_fills_once_and_a_repeat_changes_nothing(copied: GoogleSetup) -> None:
    """A copy made but not yet filled (a crash between the copy and its fill) is finished by
    fill(); a second fill() of the same copy (its record lost) replaces nothing again."""
    kit = copied.kit
    ws = workspace(copied)
    files = _zoe_files(copied)
    fiscal_year = files["igp"]["appProperties"]["careerdocs_fy"]
    template_id = files["igp"]["appProperties"]["careerdocs_template"].removeprefix("google:")
    template = TemplateRef(ArtifactKind.IGP, f"google:{template_id}", google_id=template_id)
    made = ws.drive.copy(
        ZOE, template_id, {"name": "crashed copy", "parents": [files["folder"]["id"]]}, dict
    )
    crashed = drive_artifact(ArtifactKind.IGP, ZOE, fiscal_year, made)
    assert STEP_FILLED not in crashed.steps
    values = {"{{ person.name }}": LITERAL_NAME, "{{ org.name }}": "Acme"}
    filled = ws.fill(ZOE, crashed, template, values)
    assert STEP_FILLED in filled.steps
    once = _doc_text(kit, made["id"])
    assert once.count(LITERAL_NAME) >= 1 and "Acme" in once
    again = ws.fill(ZOE, replace(filled, steps=frozenset()), template, values)
    assert STEP_FILLED in again.steps
    assert _doc_text(kit, made["id"]) == once


# -- duplicates ----------------------------------------------------------------------------------


def test_the_earliest_created_wins_even_when_it_was_edited_last(sheet: Sheet) -> None:
    kit = sheet.kit
    copy = (
        kit.drive.files()
        .copy(fileId=sheet.id, body={"name": "a later duplicate"}, fields="id")
        .execute(http=kit.http(ZOE))
    )
    sheet.write(ZOE, "Conversations!D3", [["edited after the duplicate was made"]])
    ws = workspace(sheet.setup)
    found = ws.find_artifacts([ZOE], fy(sheet))[ZOE][ArtifactKind.GROWTH_SHEET]
    assert found.id == sheet.id != copy["id"]


# -- shared-drive mode: the running account stays an editor, and careerdocs says so -------------


def _shared_drive(setup: GoogleSetup) -> str:
    """The service account, acting as the admin, provisions into a shared drive."""
    drive_id = setup.kit.sandbox.create_shared_drive("Career development", [setup.admin])
    text = setup.config.read_text(encoding="utf-8")
    setup.config.write_text(
        text + f'destination = "shared_drive"\nshared_drive_id = "{drive_id}"\n', "utf-8"
    )
    return drive_id


def test_in_a_shared_drive_the_running_account_is_named_as_an_editor_and_doctor_says_so(
    google_setup: GoogleSetup,
) -> None:
    _shared_drive(google_setup)
    admin = google_setup.admin
    result = invoke(google_setup, "provision", "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    ws = workspace(google_setup)
    found = ws.find_artifacts([ZOE], "FY2027")[ZOE][ArtifactKind.GROWTH_SHEET]
    sheet = Sheet(google_setup, found.id, found.tab_id or 0)
    (protection,) = sheet.protections(admin)
    assert sorted(protection["editors"]["users"]) == sorted([ZOE, admin])
    sheet.write(ZOE, "Conversations!A2", [FORGED])  # Zoë logs and ticks her own
    with pytest.raises(HttpError):
        sheet.write(SIOBHAN, "Conversations!E2", [[False]])
    (read,) = ws.read_conversations([found])
    assert read.untrusted is None, read.untrusted
    assert logged(read.rows)[0][4] is True
    doctor = invoke(google_setup, "doctor")
    line = next(x for x in doctor.output.splitlines() if "who can acknowledge" in x)
    assert f"also {admin}" in line and "shared drive" in line


def test_in_my_drive_doctor_says_only_each_person_can_acknowledge(
    google_setup: GoogleSetup,
) -> None:
    doctor = invoke(google_setup, "doctor")
    assert doctor.exit_code == 0, doctor.output
    line = next(x for x in doctor.output.splitlines() if "who can acknowledge" in x)
    assert "only each person" in line
