"""Protected sheets and ranges, as Sheets enforces them, through the real
google-api-python-client and gspread: a protected sheet refuses non-editors every write and every
structural change (rows and columns, rename, hide, delete, its protection); a protected column
moves with an inserted column; the owner and the user who protects always stay editors."""

from __future__ import annotations

import copy
from typing import Any

import gspread
import pytest

from careerdocs.sandbox.spreadsheet import PROTECTED_MESSAGE
from tests.conftest import ALICE, BOB, CAROL, PBP, SandboxKit
from tests.sandbox.test_sheets_api import (
    batch,
    error_of,
    metadata,
    new_spreadsheet,
    run,
    share,
    update,
    values,
)

pytestmark = pytest.mark.google

TAB = 7  # the Conversations tab's sheet id
HEADER = ["Date", "With whom", "Type", "Notes", "Acknowledged", "Escalation"]
ROW = ["2026-01-10", "their manager", "career", "", "TRUE", "FALSE"]
ERROR_STATUS = {"code": 400, "status": "INVALID_ARGUMENT"}


def conversations(kit: SandboxKit, owner: str = ALICE, editors: list[str] | None = None) -> str:
    """``owner``'s growth sheet, shared with Bob (the manager) as writer, whose Conversations
    tab (id 7, one acknowledged row) is a protected sheet."""
    sid = new_spreadsheet(kit, owner)
    share_as(kit, sid, BOB, owner)
    batch(
        kit,
        sid,
        [{"addSheet": {"properties": {"sheetId": TAB, "title": "Conversations"}}}],
        owner,
    )
    update(kit, sid, "Conversations!A1", [HEADER, ROW], user=owner)
    batch(
        kit,
        sid,
        [
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {"sheetId": TAB},
                        "description": "Only the team member edits their conversations",
                        "editors": {"users": editors if editors is not None else [owner]},
                    }
                }
            }
        ],
        owner,
    )
    return sid


def share_as(kit: SandboxKit, sid: str, user: str, owner: str, role: str = "writer") -> None:
    permission = {"type": "user", "role": role, "emailAddress": user}
    run(
        kit,
        kit.drive.permissions().create(
            fileId=sid, body=permission, sendNotificationEmail=False, supportsAllDrives=True
        ),
        owner,
    )


def protection_id(kit: SandboxKit, sid: str) -> int:
    return tab(kit, sid)["protectedRanges"][0]["protectedRangeId"]


def tab(kit: SandboxKit, sid: str, user: str = ALICE) -> dict[str, Any]:
    return next(s for s in metadata(kit, sid, user)["sheets"] if s["properties"]["sheetId"] == TAB)


def snapshot(kit: SandboxKit, sid: str) -> Any:
    return metadata(kit, sid, includeGridData=True)


def columns(start: int, end: int, sheet_id: int = TAB) -> dict[str, Any]:
    return {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": start, "endIndex": end}


def cell(row: int, col: int) -> dict[str, Any]:
    return {
        "sheetId": TAB,
        "startRowIndex": row,
        "endRowIndex": row + 1,
        "startColumnIndex": col,
        "endColumnIndex": col + 1,
    }


# Every structural or cell change a manager could try on the person's protected tab. The ids
# of the protection are filled in per test ("PROTECTION").
STRUCTURAL = {
    "updateCells": {
        "rows": [{"values": [{"userEnteredValue": {"boolValue": True}}]}],
        "start": {"sheetId": TAB, "rowIndex": 2, "columnIndex": 4},
        "fields": "userEnteredValue",
    },
    "repeatCell": {
        "range": cell(1, 4),
        "cell": {"userEnteredValue": {"stringValue": "FALSE"}},
        "fields": "userEnteredValue",
    },
    "setDataValidation": {"range": cell(1, 3), "rule": {"condition": {"type": "BOOLEAN"}}},
    "mergeCells": {
        "range": {**cell(1, 2), "endColumnIndex": 4},
        "mergeType": "MERGE_ALL",
    },
    "insertDimension/column-before-acknowledged": {"range": columns(4, 5)},
    "insertDimension/rows": {
        "range": {"sheetId": TAB, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
    },
    "deleteDimension": {"range": columns(3, 4)},
    "moveDimension": {"source": columns(4, 5), "destinationIndex": 1},
    "appendDimension": {"sheetId": TAB, "dimension": "COLUMNS", "length": 1},
    "updateSheetProperties/rename": {
        "properties": {"sheetId": TAB, "title": "Old conversations"},
        "fields": "title",
    },
    "updateSheetProperties/hide": {
        "properties": {"sheetId": TAB, "hidden": True},
        "fields": "hidden",
    },
    "deleteSheet": {"sheetId": TAB},
    "updateProtectedRange": {
        "protectedRange": {"protectedRangeId": "PROTECTION", "editors": {"users": [BOB]}},
        "fields": "editors",
    },
    "deleteProtectedRange": {"protectedRangeId": "PROTECTION"},
}


def request_for(case: str, protected_id: int) -> dict[str, Any]:
    kind = case.split("/")[0]
    params = copy.deepcopy(STRUCTURAL[case])
    if params.get("protectedRangeId") == "PROTECTION":
        params["protectedRangeId"] = protected_id
    inner = params.get("protectedRange")
    if inner and inner.get("protectedRangeId") == "PROTECTION":
        inner["protectedRangeId"] = protected_id
    return {kind: params}


@pytest.mark.parametrize("case", list(STRUCTURAL))
def test_a_protected_sheet_refuses_a_non_editor_and_changes_nothing(
    sandbox: SandboxKit, case: str
) -> None:
    sid = conversations(sandbox)
    before = snapshot(sandbox, sid)
    request = request_for(case, protection_id(sandbox, sid))
    error = error_of(lambda: batch(sandbox, sid, [request], user=BOB))
    kind = next(iter(request))
    assert error == {**ERROR_STATUS, "message": f"Invalid requests[0].{kind}: {PROTECTED_MESSAGE}"}
    assert snapshot(sandbox, sid) == before


@pytest.mark.parametrize("case", list(STRUCTURAL))
def test_the_same_request_is_allowed_for_the_protections_editor(
    sandbox: SandboxKit, case: str
) -> None:
    sid = conversations(sandbox)
    before = snapshot(sandbox, sid)
    batch(sandbox, sid, [request_for(case, protection_id(sandbox, sid))], user=ALICE)
    assert snapshot(sandbox, sid) != before


VALUE_WRITES = {
    "values.update": lambda kit, sid: (
        kit.sheets.spreadsheets()
        .values()
        .update(
            spreadsheetId=sid,
            range="Conversations!E2",
            valueInputOption="USER_ENTERED",
            body={"values": [["FALSE"]]},
        )
    ),
    "values.append": lambda kit, sid: (
        kit.sheets.spreadsheets()
        .values()
        .append(
            spreadsheetId=sid,
            range="Conversations!A1",
            valueInputOption="RAW",
            body={"values": [ROW]},
        )
    ),
    "values.batchUpdate": lambda kit, sid: (
        kit.sheets.spreadsheets()
        .values()
        .batchUpdate(
            spreadsheetId=sid,
            body={
                "valueInputOption": "RAW",
                "data": [{"range": "Conversations!A3:E3", "values": [ROW[:5]]}],
            },
        )
    ),
    "values.clear": lambda kit, sid: (
        kit.sheets.spreadsheets()
        .values()
        .clear(spreadsheetId=sid, range="Conversations!A2:F2", body={})
    ),
}


@pytest.mark.parametrize("method", list(VALUE_WRITES))
def test_no_value_write_reaches_a_protected_sheet(sandbox: SandboxKit, method: str) -> None:
    sid = conversations(sandbox)
    error = error_of(lambda: run(sandbox, VALUE_WRITES[method](sandbox, sid), BOB))
    assert error["code"] == 400 and PROTECTED_MESSAGE in error["message"]
    assert values(sandbox, sid, "Conversations")["values"] == [HEADER, ROW]
    run(sandbox, VALUE_WRITES[method](sandbox, sid), ALICE)  # the person may


def test_gspread_sees_a_refused_rename_as_an_api_error(sandbox: SandboxKit) -> None:
    sid = conversations(sandbox)
    worksheet = sandbox.gspread(BOB).open_by_key(sid).worksheet("Conversations")
    with pytest.raises(gspread.exceptions.APIError) as caught:
        worksheet.update_title("Conversations (old)")
    assert caught.value.code == 400
    assert PROTECTED_MESSAGE in caught.value.error["message"]


def test_a_non_editor_may_still_add_sheets_and_edit_the_unprotected_ones(
    sandbox: SandboxKit,
) -> None:
    sid = conversations(sandbox)
    batch(sandbox, sid, [{"addSheet": {"properties": {"title": "Conversations copy"}}}], BOB)
    update(sandbox, sid, "'Conversations copy'!A1", [HEADER, ROW], user=BOB)
    update(sandbox, sid, "Sheet1!A1", [["manager notes"]], user=BOB)
    titles = [s["properties"]["title"] for s in metadata(sandbox, sid)["sheets"]]
    assert titles == ["Sheet1", "Conversations", "Conversations copy"]


def test_an_unprotected_exception_lets_cells_be_written_but_not_the_structure(
    sandbox: SandboxKit,
) -> None:
    sid = conversations(sandbox)
    batch(
        sandbox,
        sid,
        [
            {
                "updateProtectedRange": {
                    "protectedRange": {
                        "protectedRangeId": protection_id(sandbox, sid),
                        "unprotectedRanges": [cell(1, 3)],
                    },
                    "fields": "unprotectedRanges",
                }
            }
        ],
    )
    update(sandbox, sid, "Conversations!D2", [["manager's note"]], user=BOB)
    error = error_of(
        lambda: batch(sandbox, sid, [{"insertDimension": {"range": columns(3, 4)}}], user=BOB)
    )
    assert PROTECTED_MESSAGE in error["message"]


# -- protected ranges (not whole sheets) ---------------------------------------------------------


def column_protected(kit: SandboxKit, start: int = 4, end: int = 5) -> str:
    """Alice's sheet with only columns [start, end) of Conversations protected."""
    sid = new_spreadsheet(kit)
    share(kit, sid, BOB)
    batch(kit, sid, [{"addSheet": {"properties": {"sheetId": TAB, "title": "Conversations"}}}])
    update(kit, sid, "Conversations!A1", [HEADER, ROW])
    protect = {
        "range": {"sheetId": TAB, "startColumnIndex": start, "endColumnIndex": end},
        "editors": {"users": [ALICE]},
    }
    batch(kit, sid, [{"addProtectedRange": {"protectedRange": protect}}])
    return sid


def protected_columns(kit: SandboxKit, sid: str) -> tuple[int, int]:
    grid = tab(kit, sid)["protectedRanges"][0]["range"]
    return grid["startColumnIndex"], grid["endColumnIndex"]


def test_a_column_inserted_before_a_protected_column_moves_the_protection(
    sandbox: SandboxKit,
) -> None:
    """What Sheets does (issue 8): the manager may insert the column, and the protection
    follows the Acknowledged column, which stays refused to them."""
    sid = column_protected(sandbox)
    batch(sandbox, sid, [{"insertDimension": {"range": columns(4, 5)}}], user=BOB)
    assert protected_columns(sandbox, sid) == (5, 6)
    update(sandbox, sid, "Conversations!E2", [["TRUE"]], user=BOB)  # the new, unprotected one
    error = error_of(lambda: update(sandbox, sid, "Conversations!F2", [["FALSE"]], user=BOB))
    assert PROTECTED_MESSAGE in error["message"]


@pytest.mark.parametrize(
    ("request_", "allowed"),
    [
        ({"insertDimension": {"range": columns(5, 6)}}, False),  # inside [4, 6)
        ({"insertDimension": {"range": columns(6, 7)}}, True),  # just after
        ({"moveDimension": {"source": columns(4, 5), "destinationIndex": 0}}, False),
        ({"moveDimension": {"source": columns(0, 1), "destinationIndex": 6}}, False),
        ({"moveDimension": {"source": columns(0, 1), "destinationIndex": 3}}, True),
        ({"deleteDimension": {"range": columns(5, 6)}}, False),
        ({"appendDimension": {"sheetId": TAB, "dimension": "COLUMNS", "length": 2}}, True),
        (
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": TAB, "title": "Renamed"},
                    "fields": "title",
                }
            },
            True,
        ),
        ({"deleteSheet": {"sheetId": TAB}}, False),
    ],
    ids=[
        "insert-inside",
        "insert-after",
        "move-protected-column",
        "move-across-protected-columns",
        "move-left-of-them",
        "delete-protected-column",
        "append-columns",
        "rename-tab",
        "delete-tab",
    ],
)
def test_a_protected_column_range_guards_its_cells_not_the_whole_tab(
    sandbox: SandboxKit, request_: dict[str, Any], allowed: bool
) -> None:
    sid = column_protected(sandbox, 4, 6)
    if allowed:
        batch(sandbox, sid, [request_], user=BOB)
    else:
        error = error_of(lambda: batch(sandbox, sid, [request_], user=BOB))
        assert PROTECTED_MESSAGE in error["message"]


def test_moving_columns_moves_their_cells_and_protection(sandbox: SandboxKit) -> None:
    sid = column_protected(sandbox)  # E (Acknowledged) protected
    batch(sandbox, sid, [{"moveDimension": {"source": columns(4, 5), "destinationIndex": 1}}])
    assert values(sandbox, sid, "Conversations!A1:F1")["values"] == [
        ["Date", "Acknowledged", "With whom", "Type", "Notes", "Escalation"]
    ]
    assert protected_columns(sandbox, sid) == (1, 2)
    error = error_of(lambda: update(sandbox, sid, "Conversations!B2", [["x"]], user=BOB))
    assert PROTECTED_MESSAGE in error["message"]


# -- who stays an editor of a protection ---------------------------------------------------------


def editors(kit: SandboxKit, sid: str, user: str = ALICE) -> list[str]:
    return tab(kit, sid, user)["protectedRanges"][0]["editors"]["users"]


def test_in_my_drive_the_person_is_owner_and_requester_so_only_they_edit(
    sandbox: SandboxKit,
) -> None:
    sid = conversations(sandbox, ALICE, editors=[])
    assert editors(sandbox, sid) == [ALICE]
    assert "editors" not in tab(sandbox, sid, BOB)["protectedRanges"][0]


def test_the_owner_and_the_requester_cannot_be_removed(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    share(sandbox, sid, BOB)
    share(sandbox, sid, CAROL)
    protect = {"range": {"sheetId": 0}, "editors": {"users": [CAROL]}}
    batch(sandbox, sid, [{"addProtectedRange": {"protectedRange": protect}}], user=BOB)
    [added] = metadata(sandbox, sid)["sheets"][0]["protectedRanges"]
    assert added["editors"] == {"users": [ALICE, BOB, CAROL]}
    narrow = {
        "protectedRange": {"protectedRangeId": added["protectedRangeId"], "editors": {}},
        "fields": "editors",
    }
    batch(sandbox, sid, [{"updateProtectedRange": narrow}], user=CAROL)
    [after] = metadata(sandbox, sid)["sheets"][0]["protectedRanges"]
    assert after["editors"] == {"users": [ALICE, CAROL]}  # Bob was neither: he is gone


def test_in_a_shared_drive_the_account_that_protects_stays_an_editor(
    sandbox: SandboxKit,
) -> None:
    drive_id = sandbox.sandbox.create_shared_drive("People", [PBP])
    made = run(
        sandbox,
        sandbox.drive.files().create(
            body={
                "name": "Alice growth",
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "parents": [drive_id],
            },
            supportsAllDrives=True,
        ),
        PBP,
    )
    sid = made["id"]
    share_as(sandbox, sid, ALICE, PBP)
    protect = {"range": {"sheetId": 0}, "editors": {"users": [ALICE]}}
    batch(sandbox, sid, [{"addProtectedRange": {"protectedRange": protect}}], user=PBP)
    [added] = metadata(sandbox, sid, PBP)["sheets"][0]["protectedRanges"]
    assert added["editors"] == {"users": [PBP, ALICE]}
    update(sandbox, sid, "Sheet1!E2", [["TRUE"]], user=PBP)  # the running account can tick
    update(sandbox, sid, "Sheet1!E3", [["TRUE"]], user=ALICE)
