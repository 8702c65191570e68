"""What a person sees on Google: the growth sheet as the upload converted it (read back through
the real clients from the sandbox, not from the source .xlsx), the documents' text, the email."""

from __future__ import annotations

import email
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from careerdocs.cadence import ConversationType
from careerdocs.cli import cli
from careerdocs.config import load_settings
from careerdocs.provision import resolve_templates
from careerdocs.workspace import open_workspace
from careerdocs.workspace.base import ArtifactKind

from .conftest import GoogleSetup

TODAY = "2026-11-26"
ZOE = "zoe.lambert@example.com"  # a manager, a skip-level manager and a PBP
MARGARET = "margaret.okafor@example.com"  # the top of the chain: no manager, no skip-level
MARKER_Q = "appProperties has {{ key='careerdocs_person' and value='{}' }} and trashed = false"
SHEET_FIELDS = (
    "sheets(properties(title,gridProperties(frozenRowCount)),"
    "data(columnMetadata(pixelSize),rowData(values(userEnteredValue,"
    "userEnteredFormat(numberFormat,wrapStrategy),dataValidation))))"
)


@pytest.fixture
def provisioned(google_setup: GoogleSetup) -> Iterator[GoogleSetup]:
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
            "--only",
            MARGARET,
        ],
    )
    assert result.exit_code == 0, result.output
    yield google_setup


def artifact(setup: GoogleSetup, person: str, kind: str) -> dict[str, Any]:
    kit = setup.kit
    files = (
        kit.drive.files()
        .list(q=MARKER_Q.format(person), fields="files(id,appProperties)")
        .execute(http=kit.http(person))["files"]
    )
    return next(f for f in files if f["appProperties"]["careerdocs_kind"] == kind)


@pytest.fixture
def tabs(provisioned: GoogleSetup) -> dict[str, dict[str, Any]]:
    """Zoë's converted growth sheet, tab by tab, as spreadsheets.get returns it."""
    kit = provisioned.kit
    sheet = artifact(provisioned, ZOE, "growth_sheet")
    got = (
        kit.sheets.spreadsheets()
        .get(spreadsheetId=sheet["id"], includeGridData=True, fields=SHEET_FIELDS)
        .execute(http=kit.http(ZOE))
    )
    return {tab["properties"]["title"]: tab for tab in got["sheets"]}


def cell(tab: dict[str, Any], row: int, column: int) -> dict[str, Any]:
    rows = tab["data"][0].get("rowData", [])
    values = rows[row].get("values", []) if row < len(rows) else []
    return values[column] if column < len(values) else {}


def widths(tab: dict[str, Any]) -> list[int]:
    return [c.get("pixelSize", 0) for c in tab["data"][0].get("columnMetadata", [])]


def list_choices(tab: dict[str, Any], row: int, column: int) -> list[str]:
    condition = cell(tab, row, column).get("dataValidation", {}).get("condition", {})
    assert condition.get("type") == "ONE_OF_LIST", condition
    return [v["userEnteredValue"] for v in condition["values"]]


@pytest.mark.google
def test_the_header_rows_stay_frozen(tabs: dict[str, dict[str, Any]]) -> None:
    frozen = {
        t: tab["properties"].get("gridProperties", {}).get("frozenRowCount", 0)
        for t, tab in tabs.items()
    }
    assert frozen == {"About": 0, "Growth Plan": 2, "Conversations": 1}


@pytest.mark.google
def test_column_widths_are_the_templates(tabs: dict[str, dict[str, Any]]) -> None:
    date, with_whom, kind, notes, acknowledged, escalation = widths(tabs["Conversations"])[:6]
    assert notes > with_whom > kind > date  # Notes wide, Date narrow
    assert acknowledged > escalation
    area, goal, horizon, status, step, updated = widths(tabs["Growth Plan"])[:6]
    assert goal > area and status > horizon and step > updated


@pytest.mark.google
def test_dropdowns_and_checkboxes_survive(tabs: dict[str, dict[str, Any]]) -> None:
    conversations = tabs["Conversations"]
    assert list_choices(conversations, 1, 2) == [kind.value for kind in ConversationType]
    for column in (4, 5):  # Acknowledged, Escalation: checkboxes
        rule = cell(conversations, 1, column)["dataValidation"]["condition"]
        assert rule["type"] == "BOOLEAN"
    assert list_choices(tabs["Growth Plan"], 2, 0) == ["personal", "professional"]


@pytest.mark.google
def test_date_cells_keep_their_date_format_and_notes_wrap(
    tabs: dict[str, dict[str, Any]],
) -> None:
    conversations = tabs["Conversations"]
    number_format = cell(conversations, 1, 0)["userEnteredFormat"]["numberFormat"]
    assert number_format == {"type": "DATE", "pattern": "yyyy-mm-dd"}
    assert cell(conversations, 1, 3)["userEnteredFormat"]["wrapStrategy"] == "WRAP"
    updated = cell(tabs["Growth Plan"], 3, 5)["userEnteredFormat"]["numberFormat"]
    assert updated["type"] == "DATE"


@pytest.mark.google
def test_the_about_tab_and_example_row_arrive_filled(tabs: dict[str, dict[str, Any]]) -> None:
    about = [
        v.get("userEnteredValue", {}).get("stringValue", "")
        for row in tabs["About"]["data"][0].get("rowData", [])
        for v in row.get("values", [])
    ]
    assert "Siobhán O'Brien" in about and "Amara Nwosu" in about
    assert not any("{{" in text or "{%" in text for text in about)
    example = cell(tabs["Growth Plan"], 2, 0)["userEnteredValue"]["stringValue"]
    assert example == "professional"


@pytest.mark.google
def test_the_top_of_the_chain_reads_no_sentence_about_managers(provisioned: GoogleSetup) -> None:
    kit = provisioned.kit
    igp = artifact(provisioned, MARGARET, "igp")
    doc = kit.docs.documents().get(documentId=igp["id"]).execute(http=kit.http(MARGARET))
    paragraphs = [
        "".join(r.get("textRun", {}).get("content", "") for r in e["paragraph"]["elements"])
        for e in doc["body"]["content"]
        if "paragraph" in e
    ]
    text = "".join(paragraphs)
    assert "skip-level manager," not in text and "your manager" not in text
    assert "{%" not in text and "{{" not in text
    assert "Talk them through with someone whose view you trust" in text


@pytest.mark.google
def test_the_google_email_speaks_of_drive(provisioned: GoogleSetup) -> None:
    sent = provisioned.kit.sandbox.sent_messages("siobhan.obrien@example.com")  # Zoë's manager
    bodies = [
        email.message_from_bytes(m.raw).get_payload(decode=True).decode("utf-8") for m in sent
    ]
    zoe = next(b for b in bodies if "Hi =Zoë" in b)
    assert "in your own\nDrive" in zoe and "files in a" not in zoe
    assert "Partner, Amara Nwosu (amara.nwosu@example.com)." in zoe


@pytest.mark.google
def test_the_tracker_is_landscape_with_a_narrow_date_and_wide_text_columns(
    provisioned: GoogleSetup,
) -> None:
    kit = provisioned.kit
    tracker = artifact(provisioned, ZOE, "tracker")
    doc = kit.docs.documents().get(documentId=tracker["id"]).execute(http=kit.http(ZOE))
    page = doc["documentStyle"]["pageSize"]
    assert page["width"]["magnitude"] > page["height"]["magnitude"]
    table = next(e["table"] for e in doc["body"]["content"] if "table" in e)
    columns = [c["width"]["magnitude"] for c in table["tableStyle"]["tableColumnProperties"]]
    date, accomplishment, impact, feedback, link = columns
    assert date < link < feedback < accomplishment == impact


@pytest.mark.google
def test_protection_sets_the_templates_layout_again_if_the_conversion_dropped_it(
    provisioned: GoogleSetup,
) -> None:
    """Google documents no list of what an .xlsx import keeps: the protect step sets the
    Conversations tab's layout itself. Strip it from Zoë's sheet, protect again (what a re-run
    repairing that step does), and the widths, frozen header, dropdown and date format are back."""
    kit = provisioned.kit
    sheet = artifact(provisioned, ZOE, "growth_sheet")
    tab_id = int(sheet["appProperties"]["careerdocs_tab"])
    whole_column = {"sheetId": tab_id, "startRowIndex": 1, "startColumnIndex": 0}
    stripped = [
        {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": tab_id,
                    "dimension": "COLUMNS",
                    "startIndex": 0,
                    "endIndex": 4,
                },
                "properties": {"pixelSize": 100},
                "fields": "pixelSize",
            }
        },
        {
            "updateSheetProperties": {
                "properties": {"sheetId": tab_id, "gridProperties": {"frozenRowCount": 0}},
                "fields": "gridProperties.frozenRowCount",
            }
        },
        {"setDataValidation": {"range": {**whole_column, "endColumnIndex": 3}}},
        {
            "repeatCell": {
                "range": {**whole_column, "endColumnIndex": 1},
                "cell": {"userEnteredFormat": {}},
                "fields": "userEnteredFormat",
            }
        },
    ]
    kit.sheets.spreadsheets().batchUpdate(
        spreadsheetId=sheet["id"], body={"requests": stripped}
    ).execute(http=kit.http(ZOE))
    kit.drive.files().update(
        fileId=sheet["id"], body={"appProperties": {"careerdocs_protected": None}}
    ).execute(http=kit.http(ZOE))  # the step is due again, as after a crash before it
    settings = load_settings(provisioned.config)
    workspace = open_workspace(settings)
    found = workspace.find_artifacts([ZOE], "FY2027")[ZOE][ArtifactKind.GROWTH_SHEET]
    template = resolve_templates(settings, workspace)[ArtifactKind.GROWTH_SHEET]
    workspace.protect(ZOE, found, template)  # as a re-run repairing the step would
    got = (
        kit.sheets.spreadsheets()
        .get(spreadsheetId=sheet["id"], includeGridData=True, fields=SHEET_FIELDS)
        .execute(http=kit.http(ZOE))
    )
    conversations = next(t for t in got["sheets"] if t["properties"]["title"] == "Conversations")
    assert conversations["properties"]["gridProperties"]["frozenRowCount"] == 1
    date, with_whom, _, notes = widths(conversations)[:4]
    assert notes > with_whom > date != 100
    assert list_choices(conversations, 1, 2) == [kind.value for kind in ConversationType]
    number_format = cell(conversations, 5, 0)["userEnteredFormat"]["numberFormat"]
    assert number_format == {"type": "DATE", "pattern": "yyyy-mm-dd"}
