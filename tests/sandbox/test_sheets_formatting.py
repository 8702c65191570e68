"""The formatting requests of the central sheet in the sandbox: accepted as Sheets v4 accepts
them, shown back by spreadsheets.get, and refused the way Google refuses malformed ones
(400 INVALID_ARGUMENT, ``Invalid requests[i].<kind>: ...`` or the JSON parser's wording), with
nothing of the batch applied. Driven by the real google-api-python-client."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SandboxKit
from tests.sandbox.test_sheets_api import error_of, new_spreadsheet, run

pytestmark = pytest.mark.google

STATUS = {
    "sheetId": 0,
    "startRowIndex": 1,
    "endRowIndex": 10,
    "startColumnIndex": 2,
    "endColumnIndex": 3,
}
RED = {"backgroundColor": {"red": 0.96, "green": 0.78, "blue": 0.76}}


def batch(kit: SandboxKit, sid: str, *requests: dict[str, Any]) -> Any:
    return lambda: run(
        kit,
        kit.sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": list(requests)}),
    )


def rule(
    condition: dict[str, Any], fmt: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "addConditionalFormatRule": {
            "index": 0,
            "rule": {
                "ranges": [STATUS],
                "booleanRule": {"condition": condition, "format": fmt or RED},
                **extra,
            },
        }
    }


def sheet0(kit: SandboxKit, sid: str) -> dict[str, Any]:
    return run(kit, kit.sheets.spreadsheets().get(spreadsheetId=sid))["sheets"][0]


TEXT_EQ = {"type": "TEXT_EQ", "values": [{"userEnteredValue": "overdue"}]}
FORMULA = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": '=$C2="due"'}]}


def test_conditional_rules_are_kept_in_order_and_deleted_by_index(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    batch(sandbox, sid, rule(TEXT_EQ), rule(FORMULA))()  # the second goes in at index 0
    rules = sheet0(sandbox, sid)["conditionalFormats"]
    assert [r["booleanRule"]["condition"]["type"] for r in rules] == ["CUSTOM_FORMULA", "TEXT_EQ"]
    assert rules[1]["ranges"] == [{k: v for k, v in STATUS.items() if k != "sheetId"}]
    reply = batch(sandbox, sid, {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}})()
    assert (
        reply["replies"][0]["deleteConditionalFormatRule"]["rule"]["booleanRule"]["condition"]
        == FORMULA
    )
    assert len(sheet0(sandbox, sid)["conditionalFormats"]) == 1


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            rule({"type": "TEXT_EQ", "values": []}),
            "Invalid requests[1].addConditionalFormatRule: ConditionType 'TEXT_EQ' requires "
            "exactly one ConditionValue, but 0 values were supplied.",
        ),
        (
            rule({"type": "NOT_BLANK", "values": [{"userEnteredValue": "x"}]}),
            "Invalid requests[1].addConditionalFormatRule: ConditionType 'NOT_BLANK' requires "
            "no ConditionValues, but 1 values were supplied.",
        ),
        (
            rule({"type": "TEXT_EQUALS", "values": [{"userEnteredValue": "x"}]}),
            "Invalid JSON payload received. Invalid value at "
            "'requests[1].add_conditional_format_rule.rule.boolean_rule.condition.type' "
            '(type.googleapis.com/google.apps.sheets.v4.ConditionType), "TEXT_EQUALS"',
        ),
        (
            rule({"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "x"}]}),
            "Invalid requests[1].addConditionalFormatRule: ConditionType 'ONE_OF_LIST' is not "
            "supported by conditional formatting.",
        ),
        (
            rule({"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "C2"}]}),
            "Invalid requests[1].addConditionalFormatRule: Invalid "
            "ConditionValue.userEnteredValue: C2",
        ),
        (
            rule(TEXT_EQ, gradientRule={"minpoint": {"type": "MIN"}, "maxpoint": {"type": "MAX"}}),
            "Invalid value at 'requests[1].add_conditional_format_rule.rule' (oneof), oneof "
            "field 'rule' is already set. Cannot set 'gradientRule'",
        ),
        (
            rule(TEXT_EQ, {"numberFormat": {"type": "PERCENT"}}),
            "Invalid requests[1].addConditionalFormatRule: Conditional formatting can only set "
            "bold, italic, strikethrough, foreground color and background color, not numberFormat.",
        ),
        (
            {
                "addConditionalFormatRule": {
                    "rule": {"ranges": [], "booleanRule": {"condition": TEXT_EQ}}
                }
            },
            "Invalid requests[1].addConditionalFormatRule: At least one range is required.",
        ),
        (
            {
                "addConditionalFormatRule": {
                    "index": 5,
                    "rule": rule(TEXT_EQ)["addConditionalFormatRule"]["rule"],
                }
            },
            "Invalid requests[1].addConditionalFormatRule: No conditional format rule at index 5.",
        ),
        (
            {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
            "Invalid requests[1].deleteConditionalFormatRule: "
            "No conditional format rule at index 0.",
        ),
        (
            {
                "repeatCell": {
                    "range": STATUS,
                    "cell": {"userEnteredFormat": {"numberFormat": {"pattern": "0%"}}},
                    "fields": "userEnteredFormat.numberFormat",
                }
            },
            "Invalid requests[1].repeatCell: NumberFormat.type must be set.",
        ),
        (
            {
                "repeatCell": {
                    "range": STATUS,
                    "cell": {
                        "userEnteredFormat": {
                            "numberFormat": {"type": "PERCENTAGE", "pattern": "0%"}
                        }
                    },
                    "fields": "userEnteredFormat.numberFormat",
                }
            },
            "Invalid JSON payload received. Invalid value at "
            "'requests[1].repeat_cell.cell.user_entered_format.number_format.type' "
            '(type.googleapis.com/google.apps.sheets.v4.NumberFormat.Type), "PERCENTAGE"',
        ),
        (
            {
                "updateCells": {
                    "start": {"sheetId": 0},
                    "rows": [{"values": [{"userEnteredFormat": {"wrapStrategy": "SHRINK"}}]}],
                    "fields": "userEnteredFormat",
                }
            },
            "Invalid JSON payload received. Invalid value at "
            "'requests[1].update_cells.rows[0].values[0].user_entered_format.wrap_strategy' "
            '(type.googleapis.com/google.apps.sheets.v4.WrapStrategy), "SHRINK"',
        ),
        (
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": 0,
                        "dimension": "COLUMNS",
                        "startIndex": 0,
                        "endIndex": 27,
                    },
                    "properties": {"pixelSize": 120},
                    "fields": "pixelSize",
                }
            },
            "Invalid requests[1].updateDimensionProperties: Range (Renamed!A1:AA1000) "
            "exceeds grid limits. Max rows: 1000, max columns: 26",
        ),
        (
            {
                "updateDimensionProperties": {
                    "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                    "properties": {"pixelSize": 120},
                }
            },
            "Invalid requests[1].updateDimensionProperties: At least one field must be "
            "specified in 'fields'.",
        ),
        (
            {"setBasicFilter": {"filter": {"range": {"sheetId": 7}}}},
            "Invalid requests[1].setBasicFilter: No grid with id: 7",
        ),
        (
            {"setBasicFilter": {"filter": {}}},
            "Invalid requests[1].setBasicFilter: The filter needs a range.",
        ),
        (
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "gridProperties": {"frozenColumnCount": 27}},
                    "fields": "gridProperties.frozenColumnCount",
                }
            },
            "Invalid requests[1].updateSheetProperties: You can't freeze all visible columns "
            "on the sheet.",
        ),
        (
            {
                "addSheet": {
                    "properties": {
                        "title": "Empty",
                        "gridProperties": {"rowCount": 1, "frozenRowCount": 1},
                    }
                }
            },
            "Invalid requests[1].addSheet: You can't freeze all visible rows on the sheet.",
        ),
        (
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": 0,
                        "gridProperties": {"frozenRowCount": 1, "rowCount": 1},
                    },
                    "fields": "gridProperties(frozenRowCount,rowCount)",
                }
            },
            "Invalid requests[1].updateSheetProperties: You can't freeze all visible rows on the "
            "sheet.",
        ),
        (
            {"deleteSheet": {"sheetId": 0}},  # the spreadsheet's only sheet
            "Invalid requests[1].deleteSheet: You can't remove all the sheets in a document.",
        ),
    ],
    ids=[
        "text-eq-without-value",
        "not-blank-with-a-value",
        "unknown-condition-type",
        "data-validation-only-type",
        "custom-formula-not-a-formula",
        "boolean-and-gradient",
        "number-format-in-a-conditional-format",
        "no-range",
        "index-past-the-end",
        "delete-missing-rule",
        "number-format-without-type",
        "unknown-number-format-type",
        "unknown-wrap-strategy",
        "width-past-the-grid",
        "width-without-fields",
        "filter-on-missing-sheet",
        "filter-without-range",
        "frozen-past-the-grid",
        "a-one-row-tab-with-its-row-frozen",
        "freezing-the-only-row",
        "delete-the-only-sheet",
    ],
)
def test_malformed_requests_are_refused_and_nothing_is_applied(
    sandbox: SandboxKit, request_: dict[str, Any], message: str
) -> None:
    sid = new_spreadsheet(sandbox)
    before = sheet0(sandbox, sid)
    rename = {
        "updateSheetProperties": {
            "properties": {"sheetId": 0, "title": "Renamed"},
            "fields": "title",
        }
    }
    error = error_of(batch(sandbox, sid, rename, request_))
    assert error == {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}
    assert sheet0(sandbox, sid) == before


def test_widths_filter_frozen_columns_and_formats_are_shown_back(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    batch(
        sandbox,
        sid,
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": 0,
                    "gridProperties": {"frozenRowCount": 1, "frozenColumnCount": 1},
                },
                "fields": "gridProperties(frozenRowCount,frozenColumnCount)",
            }
        },
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 3},
                "properties": {"pixelSize": 180},
                "fields": "pixelSize",
            }
        },
        {
            "setBasicFilter": {
                "filter": {"range": {"sheetId": 0, "endRowIndex": 5, "endColumnIndex": 3}}
            }
        },
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 0},
                "rows": [
                    {
                        "values": [
                            {"userEnteredValue": {"numberValue": 46280.5}},
                            {"userEnteredValue": {"numberValue": 0.25}},
                            {
                                "userEnteredValue": {"stringValue": "IGP"},
                                "userEnteredFormat": {
                                    "textFormat": {"link": {"uri": "https://x.test/a?b=1"}}
                                },
                            },
                        ]
                    }
                ],
                "fields": "userEnteredValue,userEnteredFormat.textFormat.link",
            }
        },
        {
            "repeatCell": {
                "range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2, "endColumnIndex": 1},
                "cell": {
                    "userEnteredFormat": {
                        "numberFormat": {"type": "DATE_TIME", "pattern": "d mmm yyyy hh:mm"}
                    }
                },
                "fields": "userEnteredFormat.numberFormat",
            }
        },
        {
            "repeatCell": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": 2,
                    "startColumnIndex": 1,
                    "endColumnIndex": 2,
                },
                "cell": {
                    "userEnteredFormat": {"numberFormat": {"type": "PERCENT", "pattern": "0%"}}
                },
                "fields": "userEnteredFormat.numberFormat",
            }
        },
    )()
    book = run(
        sandbox,
        sandbox.sheets.spreadsheets().get(
            spreadsheetId=sid,
            ranges=["A1:D2"],
            includeGridData=True,
            fields="sheets(properties.gridProperties,basicFilter,data(columnMetadata,rowData(values(formattedValue,hyperlink))))",
        ),
    )
    sheet = book["sheets"][0]
    grid = sheet["properties"]["gridProperties"]
    assert (grid["frozenRowCount"], grid["frozenColumnCount"]) == (1, 1)
    assert sheet["basicFilter"] == {"range": {"endRowIndex": 5, "endColumnIndex": 3}}
    data = sheet["data"][0]
    assert [c["pixelSize"] for c in data["columnMetadata"]] == [100, 180, 180, 100]
    assert data["rowData"][1]["values"] == [
        {"formattedValue": "15 Sep 2026 12:00"},
        {"formattedValue": "25%"},
        {"formattedValue": "IGP", "hyperlink": "https://x.test/a?b=1"},
    ]


@pytest.mark.parametrize(
    ("axis", "message"),
    [
        (
            [
                {
                    "position": "LEFT_AXIS",
                    "viewWindowOptions": {"viewWindowMin": 1, "viewWindowMax": 0},
                }
            ],
            "viewWindowMin (1) must be less than viewWindowMax (0).",
        ),
        (
            [{"position": "LEFT_AXIS"}, {"position": "LEFT_AXIS"}],
            "More than one axis at position LEFT_AXIS.",
        ),
        (
            [{"position": "LEFT_AXIS", "viewWindowOptions": {"viewWindowMode": "FIXED"}}],
            None,  # a parser refusal, checked below
        ),
        (
            [{"position": "TOP_AXIS"}],
            None,
        ),
    ],
    ids=["min-above-max", "two-left-axes", "unknown-view-window-mode", "unknown-position"],
)
def test_chart_axes_are_checked(
    sandbox: SandboxKit, axis: list[dict[str, Any]], message: str | None
) -> None:
    sid = new_spreadsheet(sandbox)
    source = {
        "sourceRange": {
            "sources": [
                {"sheetId": 0, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 1}
            ]
        }
    }
    chart = {
        "addChart": {
            "chart": {
                "spec": {
                    "basicChart": {
                        "chartType": "COLUMN",
                        "domains": [{"domain": source}],
                        "series": [{"series": source}],
                        "axis": axis,
                    }
                },
                "position": {"overlayPosition": {"anchorCell": {"sheetId": 0}}},
            }
        }
    }
    error = error_of(batch(sandbox, sid, chart))
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    if message is None:
        assert error["message"].startswith(
            "Invalid JSON payload received. Invalid value at "
            "'requests[0].add_chart.chart.spec.basic_chart.axis[0]."
        )
    else:
        assert error["message"] == f"Invalid requests[0].addChart: {message}"
    assert "charts" not in sheet0(sandbox, sid)


def test_a_percent_axis_from_0_to_1_is_kept(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    source = {
        "sourceRange": {
            "sources": [
                {"sheetId": 0, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 1}
            ]
        }
    }
    axis = [
        {
            "position": "LEFT_AXIS",
            "viewWindowOptions": {
                "viewWindowMin": 0,
                "viewWindowMax": 1,
                "viewWindowMode": "EXPLICIT",
            },
        }
    ]
    batch(
        sandbox,
        sid,
        {
            "addChart": {
                "chart": {
                    "spec": {
                        "basicChart": {
                            "chartType": "COLUMN",
                            "domains": [{"domain": source}],
                            "series": [{"series": source}],
                            "axis": axis,
                        }
                    },
                    "position": {"overlayPosition": {"anchorCell": {"sheetId": 0}}},
                }
            }
        },
    )()
    (chart,) = sheet0(sandbox, sid)["charts"]
    assert chart["spec"]["basicChart"]["axis"] == axis


def test_deleting_columns_moves_rules_filter_and_widths_with_them(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    batch(
        sandbox,
        sid,
        rule(TEXT_EQ),
        {
            "setBasicFilter": {
                "filter": {
                    "range": {
                        "sheetId": 0,
                        "endRowIndex": 5,
                        "startColumnIndex": 1,
                        "endColumnIndex": 4,
                    }
                }
            }
        },
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 3, "endIndex": 4},
                "properties": {"pixelSize": 150},
                "fields": "pixelSize",
            }
        },
        {
            "deleteDimension": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}
            }
        },
    )()
    sheet = sheet0(sandbox, sid)
    assert sheet["conditionalFormats"][0]["ranges"][0]["startColumnIndex"] == 1
    assert sheet["basicFilter"]["range"] == {
        "endRowIndex": 5,
        "startColumnIndex": 0,
        "endColumnIndex": 3,
    }
    book = run(
        sandbox,
        sandbox.sheets.spreadsheets().get(
            spreadsheetId=sid,
            ranges=["A1:D1"],
            includeGridData=True,
            fields="sheets(data(columnMetadata))",
        ),
    )
    assert [c["pixelSize"] for c in book["sheets"][0]["data"][0]["columnMetadata"]] == [
        100,
        100,
        150,
        100,
    ]


def test_shrinking_a_tab_onto_its_frozen_rows_is_refused(sandbox: SandboxKit) -> None:
    sid = new_spreadsheet(sandbox)
    freeze = {
        "updateSheetProperties": {
            "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
            "fields": "gridProperties.frozenRowCount",
        }
    }
    batch(sandbox, sid, freeze)()
    shrink = {
        "updateSheetProperties": {
            "properties": {"sheetId": 0, "gridProperties": {"rowCount": 1}},
            "fields": "gridProperties.rowCount",
        }
    }
    error = error_of(batch(sandbox, sid, shrink))
    assert error["message"] == (
        "Invalid requests[0].updateSheetProperties: Sorry, it is not possible to delete all "
        "non-frozen rows."
    )
    delete = {"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1}}}
    assert error_of(batch(sandbox, sid, delete))["message"] == (
        "Invalid requests[0].deleteDimension: Sorry, it is not possible to delete all "
        "non-frozen rows."
    )
