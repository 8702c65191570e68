"""A new growth sheet costs one Sheets call and no Sheets read, on both fill paths, and the
fallbacks that read do so only when the ids a run expects are refused.

Upload: the Conversations tab is left out of the upload and added, cell for cell from the
template, by the batchUpdate that protects it, under the id careerdocs chooses. Copy: the copy
keeps its template's tab ids, so its cells are filled by id in that same batchUpdate. Everything
runs through the real clients against the sandbox; call counts come from the sandbox's counters.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from googleapiclient.http import MediaFileUpload

from careerdocs.cli import cli
from careerdocs.config import builtin_templates_dir, load_settings
from careerdocs.workspace.base import (
    CONVERSATIONS_TAB,
    STEP_FILLED,
    STEP_PROTECTED,
    ArtifactKind,
    TemplateRef,
)
from careerdocs.workspace.google import GoogleWorkspace, open_google
from careerdocs.workspace.google.built_tab import BUILT_TAB_ID
from careerdocs.workspace.google.installed import content_hash

from .conftest import GoogleSetup, SandboxKit

pytestmark = pytest.mark.google

TODAY = "2026-11-26"
ZOE = "zoe.lambert@example.com"
SIOBHAN = "siobhan.obrien@example.com"
GROWTH = ArtifactKind.GROWTH_SHEET
TEMPLATE_XLSX = builtin_templates_dir() / "growth-plan.xlsx"
UPLOAD_TEMPLATE = TemplateRef(GROWTH, "growth-plan.xlsx", path=TEMPLATE_XLSX)
MARKER_Q = (
    "appProperties has {{ key='careerdocs_person' and value='{}' }} and "
    "appProperties has {{ key='careerdocs_kind' and value='growth_sheet' }}"
)
GRID_FIELDS = (
    "sheets(properties(sheetId,title,index,gridProperties(frozenRowCount)),protectedRanges,"
    "data(rowData(values(userEnteredValue,note,userEnteredFormat(textFormat,backgroundColor)))))"
)


def invoke(setup: GoogleSetup, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(setup.config), "--today", TODAY, *args])


def workspace(setup: GoogleSetup) -> GoogleWorkspace:
    return open_google(load_settings(setup.config))


def fill_by(setup: GoogleSetup, how: str) -> None:
    """Set ``google.fill`` (the config's [google] table is its last)."""
    text = setup.config.read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].strip().startswith("endpoint")
    setup.config.write_text(text + f'fill = "{how}"\n', encoding="utf-8")


def growth_file(kit: SandboxKit, person: str) -> dict[str, Any]:
    (found,) = (
        kit.drive.files()
        .list(q=MARKER_Q.format(person), fields="files(id,appProperties)")
        .execute(http=kit.http(person))["files"]
    )
    return found


def sheets_calls(kit: SandboxKit, user: str) -> dict[str, int]:
    return {
        row["method"] + ("" if row["status"] == 200 else f" {row['status']}"): row["count"]
        for row in kit.counters.snapshot()
        if row["api"] == "sheets" and row["user"] == user
    }


def batch(kit: SandboxKit, user: str, sheet_id: str, *requests: dict[str, Any]) -> None:
    kit.sheets.spreadsheets().batchUpdate(
        spreadsheetId=sheet_id, body={"requests": list(requests)}
    ).execute(http=kit.http(user))


def tabs(kit: SandboxKit, user: str, sheet_id: str) -> dict[str, dict[str, Any]]:
    got = (
        kit.sheets.spreadsheets()
        .get(spreadsheetId=sheet_id, includeGridData=True, fields=GRID_FIELDS)
        .execute(http=kit.http(user))
    )
    return {s["properties"]["title"]: s for s in got["sheets"]}


def text_of(tab: dict[str, Any]) -> dict[tuple[int, int], str]:
    out = {}
    for r, row in enumerate(tab["data"][0].get("rowData", [])):
        for c, cell in enumerate(row.get("values", [])):
            value = cell.get("userEnteredValue", {})
            if "stringValue" in value:
                out[(r, c)] = value["stringValue"]
    return out


def template_text() -> dict[tuple[int, int], str]:
    sheet = openpyxl.load_workbook(TEMPLATE_XLSX)[CONVERSATIONS_TAB]
    return {
        (cell.row - 1, cell.column - 1): cell.value
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value
    }


# -- upload ---------------------------------------------------------------------------------------


def test_an_upload_costs_one_sheets_write_and_its_tab_is_the_templates(
    google_setup: GoogleSetup,
) -> None:
    fill_by(google_setup, "upload")
    kit = google_setup.kit
    kit.counters.reset()
    result = invoke(google_setup, "provision", "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    assert sheets_calls(kit, ZOE) == {"spreadsheets.batchUpdate": 1}
    found = growth_file(kit, ZOE)
    assert found["appProperties"]["careerdocs_tab"] == str(BUILT_TAB_ID)
    got = tabs(kit, ZOE, found["id"])
    assert list(got) == openpyxl.load_workbook(TEMPLATE_XLSX, read_only=True).sheetnames
    conversations = got[CONVERSATIONS_TAB]
    assert conversations["properties"]["sheetId"] == BUILT_TAB_ID
    assert conversations["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert text_of(conversations) == template_text()
    header = conversations["data"][0]["rowData"][0]["values"]
    assert all(c["userEnteredFormat"]["textFormat"]["bold"] for c in header[:6])
    fill = openpyxl.load_workbook(TEMPLATE_XLSX)[CONVERSATIONS_TAB]["A1"].fill.fgColor.rgb
    want = [int(fill[-6:][i : i + 2], 16) / 255 for i in (0, 2, 4)]
    for c in header[:6]:
        colour = c["userEnteredFormat"]["backgroundColor"]
        assert [colour.get(k, 0) for k in ("red", "green", "blue")] == pytest.approx(want)
    notes = [c.get("note", "") for c in header[:6]]
    assert notes[4] and notes[5] and not any(notes[:4])  # Acknowledged, Escalation explained
    (protection,) = conversations["protectedRanges"]
    assert protection["range"] == {"sheetId": BUILT_TAB_ID}
    assert protection["editors"]["users"] == [ZOE]
    ws = workspace(google_setup)
    sheet = ws.find_artifacts([ZOE], found["appProperties"]["careerdocs_fy"])[ZOE][GROWTH]
    (read,) = ws.read_conversations([sheet])
    assert read.untrusted is None and read.header[:6] == [
        "Date",
        "With whom",
        "Type",
        "Notes",
        "Acknowledged",
        "Escalation",
    ]


def _lose_the_tab(kit: SandboxKit, found: dict[str, Any]) -> None:
    """The state a crash between the upload and its protection leaves: no Conversations tab
    (the upload does not carry it), nothing recorded."""
    batch(kit, ZOE, found["id"], {"deleteSheet": {"sheetId": BUILT_TAB_ID}})
    kit.drive.files().update(
        fileId=found["id"],
        body={"appProperties": {"careerdocs_protected": None, "careerdocs_tab": None}},
    ).execute(http=kit.http(ZOE))


def test_a_rerun_adds_the_tab_an_interrupted_upload_lacks(google_setup: GoogleSetup) -> None:
    fill_by(google_setup, "upload")
    kit = google_setup.kit
    assert invoke(google_setup, "provision", "--only", ZOE, "--no-notify").exit_code == 0
    found = growth_file(kit, ZOE)
    _lose_the_tab(kit, found)
    result = invoke(google_setup, "provision", "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    again = growth_file(kit, ZOE)
    assert again["id"] == found["id"]
    assert again["appProperties"]["careerdocs_tab"] == str(BUILT_TAB_ID)
    assert text_of(tabs(kit, ZOE, found["id"])[CONVERSATIONS_TAB]) == template_text()


def test_a_taken_id_costs_one_read_and_the_tab_gets_a_free_one(google_setup: GoogleSetup) -> None:
    """Sheets refuses addSheet with an id in use ("It is an error to specify the ID of a sheet
    that already exists."): the refused batchUpdate changes nothing, one read finds the ids in
    use, and the tab is added and protected under another."""
    fill_by(google_setup, "upload")
    kit = google_setup.kit
    assert invoke(google_setup, "provision", "--only", ZOE, "--no-notify").exit_code == 0
    found = growth_file(kit, ZOE)
    _lose_the_tab(kit, found)
    batch(
        kit,
        ZOE,
        found["id"],
        {"addSheet": {"properties": {"sheetId": BUILT_TAB_ID, "title": "Mine"}}},
    )
    ws = workspace(google_setup)
    kit.counters.reset()
    tab_id = ws.sheets.first_write(ZOE, found["id"], UPLOAD_TEMPLATE, {}, [ZOE])
    assert tab_id != BUILT_TAB_ID
    assert sheets_calls(kit, ZOE) == {
        "spreadsheets.batchUpdate 400": 1,
        "spreadsheets.get": 1,
        "spreadsheets.batchUpdate": 1,
    }
    got = tabs(kit, ZOE, found["id"])
    assert got[CONVERSATIONS_TAB]["properties"]["sheetId"] == tab_id
    assert got[CONVERSATIONS_TAB]["protectedRanges"][0]["range"] == {"sheetId": tab_id}
    assert text_of(got[CONVERSATIONS_TAB]) == template_text()
    assert "Mine" in got


# -- copy -----------------------------------------------------------------------------------------


def _google_template(setup: GoogleSetup) -> str:
    kit = setup.kit
    made = (
        kit.drive.files()
        .create(
            body={"name": "growth plan", "mimeType": "application/vnd.google-apps.spreadsheet"},
            media_body=MediaFileUpload(
                str(TEMPLATE_XLSX),
                mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            fields="id",
        )
        .execute(http=kit.http(setup.admin))
    )
    kit.drive.permissions().create(
        fileId=made["id"], body={"type": "domain", "domain": "example.com", "role": "reader"}
    ).execute(http=kit.http(setup.admin))
    return made["id"]


def _copy_for(ws: GoogleWorkspace, person: str, template: TemplateRef) -> Any:
    folder = ws.create_folder(person, f"Growth {person}", "FY2027")
    values = {t: f"value {i} of {person}" for i, t in enumerate(sorted(template.tokens))}
    return ws.create_file(person, GROWTH, folder, "Growth plan", template, values, "FY2027")


def test_a_copy_is_filled_and_protected_in_one_sheets_write(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    template_id = _google_template(google_setup)
    ws = workspace(google_setup)
    template = TemplateRef(GROWTH, f"google:{template_id}", google_id=template_id)
    template = replace(template, tokens=ws.template_tokens(template))
    assert template.tokens
    kit.counters.reset()
    sheet = _copy_for(ws, ZOE, template)
    assert sheets_calls(kit, ZOE) == {"spreadsheets.batchUpdate": 1}
    assert sheet.steps >= {STEP_FILLED, STEP_PROTECTED}
    about = text_of(tabs(kit, ZOE, sheet.id)["About"])
    assert not any("{{" in text for text in about.values())
    assert any(f"of {ZOE}" in text for text in about.values())
    (read,) = ws.read_conversations([sheet])
    assert read.untrusted is None, read.untrusted


def test_a_copy_whose_ids_are_not_its_templates_is_read_once_and_later_ones_read_first(
    google_setup: GoogleSetup,
) -> None:
    """Google documents no promise that a copy keeps its template's sheet ids. Here the
    template changes after the run learned it (its Conversations tab made again under a new
    id): the first copy's batchUpdate is refused and changes nothing, one read finds the
    copy's ids and one write does it all; every later copy of the run reads first instead of
    spending a refused write."""
    kit = google_setup.kit
    template_id = _google_template(google_setup)
    ws = workspace(google_setup)
    template = TemplateRef(GROWTH, f"google:{template_id}", google_id=template_id)
    template = replace(template, tokens=ws.template_tokens(template))
    learned = ws.sheets.ack_layout(template).sheet_id
    assert learned is not None
    moved = learned + 1
    header = ["Date", "With whom", "Type", "Notes", "Acknowledged", "Escalation"]
    batch(
        kit,
        google_setup.admin,
        template_id,
        {
            "updateSheetProperties": {
                "properties": {"sheetId": learned, "title": "Old conversations"},
                "fields": "title",
            }
        },
        {"addSheet": {"properties": {"sheetId": moved, "title": CONVERSATIONS_TAB}}},
        {
            "updateCells": {
                "start": {"sheetId": moved, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": h}} for h in header]}],
                "fields": "userEnteredValue",
            }
        },
    )
    kit.counters.reset()
    first = _copy_for(ws, ZOE, template)
    assert sheets_calls(kit, ZOE) == {
        "spreadsheets.batchUpdate 400": 1,
        "spreadsheets.get": 1,
        "spreadsheets.batchUpdate": 1,
    }
    assert first.tab_id == moved
    kit.counters.reset()
    second = _copy_for(ws, SIOBHAN, template)
    assert sheets_calls(kit, SIOBHAN) == {"spreadsheets.get": 1, "spreadsheets.batchUpdate": 1}
    for sheet, person in ((first, ZOE), (second, SIOBHAN)):
        got = tabs(kit, person, sheet.id)
        assert not any("{{" in text for text in text_of(got["About"]).values())
        (read,) = ws.read_conversations([sheet])
        assert read.untrusted is None, read.untrusted


def test_a_conversations_tab_with_a_placeholder_is_uploaded_whole_and_read_once(
    google_setup: GoogleSetup,
) -> None:
    """The tab careerdocs adds is the same for everyone; a tab that names the person cannot be,
    so it travels in the upload (filled) and its new id costs one read."""
    workbook = openpyxl.load_workbook(TEMPLATE_XLSX)
    workbook[CONVERSATIONS_TAB]["H1"] = "Log of {{ person.name }}"
    custom = google_setup.config.parent / "growth.xlsx"
    workbook.save(custom)
    text = google_setup.config.read_text(encoding="utf-8")
    google_setup.config.write_text(
        text + f'\n[templates]\ngrowth_sheet = "{custom}"\n', encoding="utf-8"
    )
    kit = google_setup.kit
    kit.counters.reset()
    result = invoke(google_setup, "provision", "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    assert sheets_calls(kit, ZOE) == {"spreadsheets.get": 1, "spreadsheets.batchUpdate": 1}
    found = growth_file(kit, ZOE)
    conversations = tabs(kit, ZOE, found["id"])[CONVERSATIONS_TAB]
    assert text_of(conversations)[(0, 7)].endswith("Zoë Lambert")  # the roster says "=Zoë…"
    assert found["appProperties"]["careerdocs_tab"] == str(conversations["properties"]["sheetId"])
    ws = workspace(google_setup)
    sheet = ws.find_artifacts([ZOE], found["appProperties"]["careerdocs_fy"])[ZOE][GROWTH]
    (read,) = ws.read_conversations([sheet])
    assert read.untrusted is None, read.untrusted


# -- the shipped templates, installed once and copied ----------------------------------------------


def installed_templates(kit: SandboxKit, admin: str) -> list[dict[str, Any]]:
    return (
        kit.drive.files()
        .list(
            q="appProperties has { key='careerdocs_installed' and value='growth-plan.xlsx' } "
            "and trashed = false",
            fields="files(id,appProperties)",
        )
        .execute(http=kit.http(admin))["files"]
    )


def test_by_default_the_shipped_templates_are_installed_once_and_copied(
    google_setup: GoogleSetup,
) -> None:
    kit = google_setup.kit
    admin = google_setup.admin
    result = invoke(google_setup, "provision", "--only", ZOE, "--no-notify")
    assert result.exit_code == 0, result.output
    (template,) = installed_templates(kit, admin)
    assert template["appProperties"]["careerdocs_template_hash"] == content_hash(
        TEMPLATE_XLSX.read_bytes()
    )
    found = growth_file(kit, ZOE)
    assert found["appProperties"]["careerdocs_template"] == f"google:{template['id']}"
    kit.counters.reset()
    result = invoke(google_setup, "provision", "--only", SIOBHAN, "--no-notify")
    assert result.exit_code == 0, result.output
    assert installed_templates(kit, admin) == [template]  # found again, not installed again
    assert kit.counters.total(api="drive", method="files.create", user=admin) == 0
    assert kit.counters.total(api="drive", method="files.copy", user=SIOBHAN) == 3
    assert sheets_calls(kit, SIOBHAN) == {"spreadsheets.batchUpdate": 1}
    ws = workspace(google_setup)
    for person in (ZOE, SIOBHAN):
        fiscal_year = growth_file(kit, person)["appProperties"]["careerdocs_fy"]
        sheet = ws.find_artifacts([person], fiscal_year)[person][GROWTH]
        (read,) = ws.read_conversations([sheet])
        assert read.untrusted is None, read.untrusted
        about = text_of(tabs(kit, person, sheet.id)["About"])
        assert not any("{{" in text or "{%" in text for text in about.values())


def test_a_changed_shipped_template_installs_a_new_version(
    google_setup: GoogleSetup, tmp_path: Path
) -> None:
    shipped = tmp_path / "growth-plan.xlsx"
    shipped.write_bytes(TEMPLATE_XLSX.read_bytes())
    template = TemplateRef(GROWTH, str(shipped), path=shipped)
    first = workspace(google_setup).installer.as_copy(template).google_id
    again = workspace(google_setup).installer.as_copy(template).google_id
    assert again == first
    workbook = openpyxl.load_workbook(shipped)
    workbook["About"]["A30"] = "New in this version"
    workbook.save(shipped)
    newer = workspace(google_setup).installer.as_copy(template).google_id
    assert newer not in (None, first)
    assert {f["id"] for f in installed_templates(google_setup.kit, google_setup.admin)} == {
        first,
        newer,
    }


def test_a_template_installed_but_never_shared_is_shared_by_the_next_run(
    google_setup: GoogleSetup,
) -> None:
    """A run killed between the upload and its domain permission (or another machine's run
    that found the upload first) must not hand people a template they cannot copy."""
    kit = google_setup.kit
    admin = google_setup.admin
    assert invoke(google_setup, "provision", "--only", ZOE, "--no-notify").exit_code == 0
    (template,) = installed_templates(kit, admin)
    permissions = kit.drive.permissions()
    listed = permissions.list(fileId=template["id"], fields="permissions(id,type)").execute(
        http=kit.http(admin)
    )["permissions"]
    (domain,) = [p for p in listed if p["type"] == "domain"]
    permissions.delete(fileId=template["id"], permissionId=domain["id"]).execute(
        http=kit.http(admin)
    )

    result = invoke(google_setup, "provision", "--only", SIOBHAN, "--no-notify")

    assert result.exit_code == 0, result.output
    assert installed_templates(kit, admin) == [template]
    again = permissions.list(fileId=template["id"], fields="permissions(type,role)").execute(
        http=kit.http(admin)
    )["permissions"]
    assert {"type": "domain", "role": "reader"} in again
    assert growth_file(kit, SIOBHAN)["appProperties"]["careerdocs_template"] == (
        f"google:{template['id']}"
    )
