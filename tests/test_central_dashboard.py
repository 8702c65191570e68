"""Specification of the central sheet as a dashboard (issue 9): the same look on both backends.

The tabs rollup writes (Status, Summary, Escalations, About) go through each backend's real
central write: the .xlsx is opened with openpyxl, the Google sheet is read back from the
sandbox with the real google-api-python-client and gspread. What a PBP must see: status colours
by conditional formatting with a legend, the header row and the name column frozen, a filter on
the header, widths for the content, people by name with the email one column over, short
clickable links, percentages and dates in their formats, landscape fit-to-width printing with
the header repeated (.xlsx only: the Sheets API has no print settings), no empty tab, and the
columns a user added kept.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from careerdocs.cadence import fiscal_year
from careerdocs.rollup import (
    ABOUT_TAB,
    LEFT_ROSTER,
    STATUS_COLOURS,
    STATUS_HEADER,
    SUMMARY_HEADER,
    about_table,
    compute,
    escalations_table,
    status_table,
    summary_table,
)
from careerdocs.roster import parse_roster
from careerdocs.workspace import presentation
from careerdocs.workspace.base import (
    ESCALATIONS_TAB,
    STATUS_TAB,
    SUMMARY_TAB,
    Artifact,
    ArtifactKind,
    Link,
    Table,
)
from careerdocs.workspace.google.backend import GoogleOptions, GoogleWorkspace
from careerdocs.workspace.google.pacer import Pacer
from careerdocs.workspace.local import LocalWorkspace

from .conftest import PBP, SandboxKit, talk

TODAY = date(2026, 11, 26)
FY = fiscal_year(TODAY, 2)
NOW = "2026-11-26T14:05:09+00:00"
CEO, LEAD, ANA, BEN = (f"{n}@example.com" for n in ("ceo", "lead", "ana", "ben"))
ROSTER = parse_roster(
    ["Email", "Name", "Manager Email", "Start Date", "Department", "PBP"],
    [
        [CEO, "Cleo Executive", "", "2020-01-06", "Executive", ""],
        [LEAD, "Lee Lead", CEO, "2020-01-06", "Engineering", PBP],
        [ANA, "=Ana Formula", LEAD, "2020-01-06", "Engineering", PBP],
        [BEN, "Ben Brand-New", LEAD, "2026-10-05", "Engineering", PBP],
    ],
    allowed_domains=["example.com"],
)
CONVERSATIONS = {
    CEO: [],
    LEAD: [talk("2026-06-10"), talk("2026-11-02")],
    ANA: [talk("2026-09-15", escalation=True, notes="wants a new role")],
    BEN: None,
}
STATUS_COLUMN = STATUS_HEADER.index("Status")
IGP_COLUMN = STATUS_HEADER.index("IGP")
PERCENT_COLUMN = SUMMARY_HEADER.index("% acknowledged")


def documents(email: str) -> dict[ArtifactKind, Artifact]:
    return {
        kind: Artifact(
            kind,
            email,
            FY.label,
            f"id-{kind.value}",
            kind.value,
            f'https://x.test/{kind.value}/{email}?a=1&b="2"',
        )
        for kind in ArtifactKind
    }


def tables(previous: tuple[list[str], list[list[Any]]] | None = None) -> list[Table]:
    outcomes = [
        compute(
            p,
            documents(p.email) if CONVERSATIONS[p.email] is not None else {},
            CONVERSATIONS[p.email],
            FY,
            TODAY,
            None,
        )
        for p in ROSTER
    ]
    status, _ = status_table(outcomes, previous, ROSTER, NOW)
    return [status, summary_table(outcomes), escalations_table(outcomes), about_table()]


# -- the two backends -------------------------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> LocalWorkspace:
    return LocalWorkspace(tmp_path / "out", tmp_path / "out" / "central.xlsx")


@pytest.fixture
def google(sandbox: SandboxKit) -> Iterator[GoogleWorkspace]:
    yield GoogleWorkspace(sandbox.clients, Pacer({}), GoogleOptions(admin=PBP))


def xlsx(workspace: LocalWorkspace) -> openpyxl.Workbook:
    return openpyxl.load_workbook(workspace.central_workbook)


def spreadsheet(kit: SandboxKit, workspace: GoogleWorkspace, **kwargs: Any) -> dict[str, Any]:
    cid = workspace.central_id(create=False)
    return kit.sheets.spreadsheets().get(spreadsheetId=cid, **kwargs).execute(http=kit.http(PBP))


def sheet_named(book: dict[str, Any], title: str) -> dict[str, Any]:
    return next(s for s in book["sheets"] if s["properties"]["title"] == title)


# -- .xlsx ------------------------------------------------------------------------------------


def test_xlsx_status_colours_are_conditional_formats_one_per_status(local: LocalWorkspace) -> None:
    local.write_central(tables())
    sheet = xlsx(local)[STATUS_TAB]
    rules = {
        str(cf.sqref): [(r.operator, r.formula, r.dxf.fill.fgColor.rgb) for r in cf.rules]
        for cf in sheet.conditional_formatting
    }
    assert list(rules) == [f"C2:C{len(ROSTER) + 1}"]  # the Status column, below the header
    assert rules[f"C2:C{len(ROSTER) + 1}"] == [
        ("equal", [f'"{status}"'], "FF" + colour.lstrip("#").upper())
        for status, colour, _ in STATUS_COLOURS
    ]


def test_xlsx_legend_on_the_about_tab_in_the_same_colours(local: LocalWorkspace) -> None:
    local.write_central(tables())
    sheet = xlsx(local)[ABOUT_TAB]
    assert [c.value for c in sheet["A"][1:]] == [s for s, _, _ in STATUS_COLOURS]
    assert {s for s, _, _ in STATUS_COLOURS} >= {"overdue", "due", "on cadence", LEFT_ROSTER}
    assert len(sheet.conditional_formatting) == 1


def test_xlsx_header_and_name_frozen_filter_on_the_header_and_no_blank_sheet(
    local: LocalWorkspace,
) -> None:
    local.write_central(tables())
    book = xlsx(local)
    assert book.sheetnames == [STATUS_TAB, SUMMARY_TAB, ESCALATIONS_TAB, ABOUT_TAB]
    status = book[STATUS_TAB]
    assert status.freeze_panes == "B2"
    last = openpyxl.utils.get_column_letter(len(STATUS_HEADER))
    assert status.auto_filter.ref == f"A1:{last}{len(ROSTER) + 1}"
    assert status["A1"].font.b and status["A1"].fill.fgColor.rgb.endswith("EEEEEE")


def test_xlsx_widths_fit_the_content_and_links_are_short_and_clickable(
    local: LocalWorkspace,
) -> None:
    local.write_central(tables())
    status = xlsx(local)[STATUS_TAB]
    widths = {
        h: status.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
        for i, h in enumerate(STATUS_HEADER)
    }
    assert widths["Email"] >= len("lead@example.com") + presentation.PADDING
    assert widths["IGP"] <= 10 and widths["Last conversation"] >= len("30 Sep 2026")
    igp = status.cell(row=3, column=IGP_COLUMN + 1)
    assert (igp.value, igp.hyperlink.target) == ("IGP", f'https://x.test/igp/{LEAD}?a=1&b="2"')
    assert status.cell(row=5, column=IGP_COLUMN + 1).value is None  # Ben: not provisioned


def test_xlsx_people_by_name_dates_and_percentages_in_their_formats(
    local: LocalWorkspace,
) -> None:
    local.write_central(tables())
    book = xlsx(local)
    ana = [c for c in book[STATUS_TAB][4]]
    cell = dict(zip(STATUS_HEADER, ana, strict=True))
    assert (cell["Manager"].value, cell["Manager email"].value) == ("Lee Lead", LEAD)
    assert (cell["Skip-level"].value, cell["Skip-level email"].value) == ("Cleo Executive", CEO)
    assert cell["Name"].data_type == "s" and cell["Name"].value == "=Ana Formula"
    assert cell["Last conversation"].value == datetime(2026, 9, 15)
    assert cell["Last conversation"].number_format == "d mmm yyyy"
    assert cell["Updated (UTC)"].value == datetime(2026, 11, 26, 14, 5, 9)
    assert cell["Updated (UTC)"].number_format == "d mmm yyyy hh:mm"
    assert cell["Career conversations"].value == 1  # a number, in its own column
    summary = book[SUMMARY_TAB]
    everyone = next(r for r in summary.iter_rows(min_row=2) if r[0].value == "All")
    assert (everyone[PERCENT_COLUMN].value, everyone[PERCENT_COLUMN].number_format) == (0.667, "0%")


def test_xlsx_prints_landscape_fit_to_width_with_the_header_repeated(
    local: LocalWorkspace,
) -> None:
    local.write_central(tables())
    for sheet in xlsx(local).worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"


def test_xlsx_summary_chart_axis_runs_from_0_to_100_percent(local: LocalWorkspace) -> None:
    local.write_central(tables())
    (chart,) = xlsx(local)[SUMMARY_TAB]._charts
    axis = chart.y_axis
    assert (axis.scaling.min, axis.scaling.max, axis.numFmt.formatCode) == (0, 1, "0%")
    assert not axis.delete and not chart.x_axis.delete


def test_xlsx_links_read_back_as_links_so_rewrites_and_leavers_keep_them(
    local: LocalWorkspace,
) -> None:
    local.write_central(tables())
    _, rows = local.read_central(STATUS_TAB)
    assert rows[1][IGP_COLUMN] == Link("IGP", f'https://x.test/igp/{LEAD}?a=1&b="2"')
    assert rows[1][STATUS_HEADER.index("Last conversation")] == datetime(2026, 11, 2)


# -- Google, through the sandbox --------------------------------------------------------------


def test_google_status_colours_filter_frozen_name_and_no_sheet1(
    sandbox: SandboxKit, google: GoogleWorkspace
) -> None:
    google.write_central(tables())
    book = spreadsheet(sandbox, google)
    assert [s["properties"]["title"] for s in book["sheets"]] == [
        STATUS_TAB,
        SUMMARY_TAB,
        ESCALATIONS_TAB,
        ABOUT_TAB,
    ]
    status = sheet_named(book, STATUS_TAB)
    grid = status["properties"]["gridProperties"]
    assert (grid["frozenRowCount"], grid["frozenColumnCount"]) == (1, 1)
    assert status["basicFilter"]["range"] == {
        "sheetId": status["properties"]["sheetId"],
        "startRowIndex": 0,
        "endRowIndex": len(ROSTER) + 1,
        "startColumnIndex": 0,
        "endColumnIndex": len(STATUS_HEADER),
    }
    rules = status["conditionalFormats"]
    assert [r["booleanRule"]["condition"] for r in rules] == [
        {"type": "TEXT_EQ", "values": [{"userEnteredValue": s}]} for s, _, _ in STATUS_COLOURS
    ]
    assert {
        (r["ranges"][0]["startColumnIndex"], r["ranges"][0]["startRowIndex"]) for r in rules
    } == {(STATUS_COLUMN, 1)}
    red, green, blue = presentation.rgb(STATUS_COLOURS[0][1])
    assert rules[0]["booleanRule"]["format"] == {
        "backgroundColor": {"red": red, "green": green, "blue": blue}
    }
    titles = [
        ws.title for ws in sandbox.gspread(PBP).open_by_key(google.central_id(False)).worksheets()
    ]
    assert "Sheet1" not in titles


def test_google_widths_formats_and_links(sandbox: SandboxKit, google: GoogleWorkspace) -> None:
    google.write_central(tables())
    book = spreadsheet(
        sandbox,
        google,
        ranges=[STATUS_TAB],
        includeGridData=True,
        fields="sheets(data(columnMetadata,rowData(values(userEnteredValue,userEnteredFormat,hyperlink,formattedValue))))",
    )
    data = book["sheets"][0]["data"][0]
    widths = [c["pixelSize"] for c in data["columnMetadata"]][: len(STATUS_HEADER)]
    expected = presentation.column_widths(STATUS_HEADER, tables()[0].rows, tables()[0].layout)
    assert widths == [presentation.pixels(w) for w in expected]
    lead = dict(zip(STATUS_HEADER, data["rowData"][2]["values"], strict=False))
    assert lead["IGP"]["userEnteredValue"] == {"stringValue": "IGP"}  # text, not a formula
    assert lead["IGP"]["hyperlink"] == f'https://x.test/igp/{LEAD}?a=1&b="2"'
    assert lead["Last conversation"]["formattedValue"] == "2 Nov 2026"
    assert lead["Last conversation"]["userEnteredFormat"]["numberFormat"] == {
        "type": "DATE",
        "pattern": "d mmm yyyy",
    }
    assert lead["Updated (UTC)"]["formattedValue"] == "26 Nov 2026 14:05"
    assert lead["Manager"]["formattedValue"] == "Cleo Executive"
    ana = dict(zip(STATUS_HEADER, data["rowData"][3]["values"], strict=False))
    assert ana["Name"]["userEnteredValue"] == {"stringValue": "=Ana Formula"}


def test_google_percentages_and_chart_axis_0_to_100_percent(
    sandbox: SandboxKit, google: GoogleWorkspace
) -> None:
    google.write_central(tables())
    values = (
        sandbox.sheets.spreadsheets()
        .values()
        .get(spreadsheetId=google.central_id(False), range=SUMMARY_TAB)
        .execute(http=sandbox.http(PBP))["values"]
    )
    assert values[-1][0] == "All" and values[-1][PERCENT_COLUMN] == "67%"
    summary = sheet_named(spreadsheet(sandbox, google), SUMMARY_TAB)
    (chart,) = summary["charts"]
    assert chart["spec"]["basicChart"]["axis"] == [
        {
            "position": "LEFT_AXIS",
            "viewWindowOptions": {
                "viewWindowMin": 0,
                "viewWindowMax": 1,
                "viewWindowMode": "EXPLICIT",
            },
        }
    ]


def test_google_rewrite_replaces_rules_keeps_links_and_user_columns(
    sandbox: SandboxKit, google: GoogleWorkspace
) -> None:
    google.write_central(tables())
    cid = google.central_id(False)
    worksheet = sandbox.gspread(PBP).open_by_key(cid).worksheet(STATUS_TAB)
    worksheet.add_cols(1)
    worksheet.update_cell(1, len(STATUS_HEADER) + 1, "Coach")
    worksheet.update_cell(3, len(STATUS_HEADER) + 1, "Amara")  # Lee's row
    google.write_central(tables(google.read_central(STATUS_TAB)))
    status = sheet_named(spreadsheet(sandbox, google), STATUS_TAB)
    assert len(status["conditionalFormats"]) == len(STATUS_COLOURS)  # replaced, not piled up
    assert len(spreadsheet(sandbox, google)["sheets"]) == 4
    header, rows = google.read_central(STATUS_TAB)
    assert header == [*STATUS_HEADER, "Coach"]
    lee = rows[1]
    assert (lee[1], lee[-1]) == (LEAD, "Amara")
    assert lee[IGP_COLUMN] == Link("IGP", f'https://x.test/igp/{LEAD}?a=1&b="2"')
    assert lee[STATUS_HEADER.index("Last conversation")] == date(2026, 11, 2)


def test_google_sheet_exported_as_xlsx_keeps_the_dashboard(
    sandbox: SandboxKit, google: GoogleWorkspace
) -> None:
    google.write_central(tables())
    data = (
        sandbox.drive.files()
        .export(
            fileId=google.central_id(False),
            mimeType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .execute(http=sandbox.http(PBP))
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    status = book[STATUS_TAB]
    assert status.freeze_panes == "B2"
    assert (
        status.auto_filter.ref
        == f"A1:{openpyxl.utils.get_column_letter(len(STATUS_HEADER))}{len(ROSTER) + 1}"
    )
    assert (
        status.cell(row=3, column=IGP_COLUMN + 1).hyperlink.target
        == f'https://x.test/igp/{LEAD}?a=1&b="2"'
    )
    (rules,) = list(status.conditional_formatting)
    assert [r.formula for r in rules.rules] == [[f'"{s}"'] for s, _, _ in STATUS_COLOURS]
    assert status.column_dimensions["B"].width > status.column_dimensions["R"].width


OLD_STATUS_HEADER = [
    "Name", "Email", "Manager", "Skip-level", "Department", "PBP", "Growth plan sheet",
    "Individual Growth Plan", "Accomplishment tracker", "Last conversation",
    "Career conversations", "Q2", "Q4", "Skip-level meeting", "Manager meeting", "Escalation",
    "Status", "Data problems", "Updated at",
]  # fmt: skip


def test_a_central_sheet_of_the_old_layout_keeps_user_columns_and_leavers_links(
    local: LocalWorkspace,
) -> None:
    """Upgrading: the old 19-column Status tab had a user's "Coach" column right after it,
    inside the new, wider layout. It is still the user's column, and a person who left keeps
    the old row's bare URL as a short link."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = STATUS_TAB
    sheet.append([*OLD_STATUS_HEADER, "Coach"])
    old_row = dict.fromkeys(OLD_STATUS_HEADER, "")
    old_row.update({"Name": "Lee Lead", "Email": LEAD, "Status": "due"})
    sheet.append([*old_row.values(), "Amara"])
    old_row.update({"Name": "Gone Away", "Email": "gone@example.com"})
    old_row["Individual Growth Plan"] = "https://x.test/igp/gone"
    sheet.append([*old_row.values(), "José"])
    local.central_workbook.parent.mkdir(parents=True)
    workbook.save(local.central_workbook)

    local.write_central(tables(local.read_central(STATUS_TAB)))
    header, rows = local.read_central(STATUS_TAB)
    assert header == [*STATUS_HEADER, "Coach"]
    coach = {row[1]: row[-1] for row in rows if len(row) > len(STATUS_HEADER)}
    assert coach == {LEAD: "Amara", "gone@example.com": "José"}
    gone = dict(zip(STATUS_HEADER, rows[-1], strict=False))
    assert (gone["Status"], gone["IGP"]) == (LEFT_ROSTER, Link("IGP", "https://x.test/igp/gone"))


@pytest.mark.parametrize("backend", ["local", "google"])
def test_status_is_the_first_tab_even_after_provision_wrote_people(
    backend: str, request: pytest.FixtureRequest
) -> None:
    workspace = request.getfixturevalue(backend)
    workspace.write_central([Table("People", ["Name", "Email"], [["Lee Lead", LEAD]])])
    workspace.write_central(tables())
    if backend == "local":
        titles = xlsx(workspace).sheetnames
    else:
        kit = request.getfixturevalue("sandbox")
        titles = [s["properties"]["title"] for s in spreadsheet(kit, workspace)["sheets"]]
    assert titles == [STATUS_TAB, "People", SUMMARY_TAB, ESCALATIONS_TAB, ABOUT_TAB]


def test_google_a_tab_another_run_added_between_read_and_write_is_written_again(
    sandbox: SandboxKit, google: GoogleWorkspace
) -> None:
    """Two machines at once: this run reads the central sheet (no Status tab yet), the other
    run adds it, and this run's addSheet is refused ("already exists"). Nothing of the refused
    update was applied, so this run writes again over what is there now."""
    google.write_central([Table("People", ["Name", "Email"], [["Lee Lead", LEAD]])])
    assert google.read_central(STATUS_TAB) is None  # this run's read: no Status tab
    cid = google.central_id(False)
    sandbox.sheets.spreadsheets().batchUpdate(
        spreadsheetId=cid, body={"requests": [{"addSheet": {"properties": {"title": STATUS_TAB}}}]}
    ).execute(http=sandbox.http(PBP))  # the other run's

    google.write_central(tables())

    titles = [s["properties"]["title"] for s in spreadsheet(sandbox, google)["sheets"]]
    assert titles.count(STATUS_TAB) == 1
    header, rows = google.read_central(STATUS_TAB)
    assert header == list(STATUS_HEADER) and len(rows) == len(ROSTER)
