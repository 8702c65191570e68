"""Specification of rollup's pure parts: each person's Status row, the Status, Summary and
Escalations tabs, the JSON report and the conversations cached between runs. No storage: people
come from a small roster, growth sheets are rows of cells as a backend returns them."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

import pytest

from careerdocs.cadence import Status, fiscal_year
from careerdocs.rollup import (
    ESCALATIONS_HEADER,
    LEFT_ROSTER,
    NO_GROUP,
    STATUS_HEADER,
    SUMMARY_HEADER,
    Outcome,
    RollupResult,
    cacheable_rows,
    compute,
    escalations_table,
    status_row,
    status_table,
    summary_table,
)
from careerdocs.roster import Roster, parse_roster
from careerdocs.workspace.base import Artifact, ArtifactKind, ColumnKind, Link

from .conftest import talk

TODAY = date(2026, 11, 26)
FY = fiscal_year(TODAY, 2)  # FY2027: Feb 2026 – Jan 2027; Q2 May–Jul, Q4 Nov–Jan
DEADLINE = date(2026, 11, 15)
UPDATED_AT = "2026-11-26T06:00:00+00:00"
VETERAN = "2020-01-06"
NEW_HIRE = "2026-10-05"  # eligible from 2027-01-03

CEO = "ceo@example.com"
LEAD = "lead@example.com"
ANA = "ana@example.com"
BEN = "ben@example.com"
CY = "cy@example.com"
PBP = "pbp@example.com"
GONE = "gone@example.com"

ROSTER_HEADER = ["Email", "Name", "Manager Email", "Start Date", "Department", "PBP"]


def roster(*rows: list[str]) -> Roster:
    return parse_roster(ROSTER_HEADER, list(rows), allowed_domains=["example.com"])


TEAM = roster(
    [CEO, "Cleo Executive", "", VETERAN, "Executive", ""],
    [LEAD, "Lee Lead", CEO, VETERAN, "Engineering", PBP],
    [ANA, "=Ana Formula", LEAD, VETERAN, "Engineering", PBP],
    [BEN, "Ben Brand-New", LEAD, NEW_HIRE, "Engineering", PBP],
    [CY, "Cy People", CEO, VETERAN, "People", ""],
)


def documents(email: str) -> dict[ArtifactKind, Artifact]:
    return {
        kind: Artifact(
            kind,
            email,
            FY.label,
            f"{kind.value}-{email}",
            kind.value,
            f"https://example.test/{kind.value}/{email}",
        )
        for kind in ArtifactKind
    }


def outcome(
    email: str, rows: list[list[Any]] | None, *, deadline: date | None = None, people: Roster = TEAM
) -> Outcome:
    """``rows`` None: the person has no growth sheet (not provisioned)."""
    person = people.get(email)
    assert person is not None
    return compute(person, documents(email) if rows is not None else {}, rows, FY, TODAY, deadline)


def cells(o: Outcome) -> dict[str, Any]:
    return dict(zip(STATUS_HEADER, status_row(o, UPDATED_AT), strict=True))


# -- one person's status ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "rows", "deadline", "expected"),
    [
        (BEN, [], None, Status.NOT_YET_DUE),
        (BEN, None, None, Status.NOT_YET_DUE),  # a new hire is never reported for missing documents
        (ANA, None, None, Status.NOT_PROVISIONED),
        (ANA, [], None, Status.DUE),
        (ANA, [talk("2026-06-10")], None, Status.ACKNOWLEDGED),
        (ANA, [talk("2026-06-10"), talk("2026-11-02")], None, Status.ON_CADENCE),
        (ANA, [], DEADLINE, Status.OVERDUE),
        (ANA, [talk("2026-03-02")], DEADLINE, Status.ACKNOWLEDGED),
        (ANA, None, DEADLINE, Status.NOT_PROVISIONED),
    ],
    ids=[
        "new-hire",
        "new-hire-without-documents",
        "no-documents",
        "no-conversation",
        "one-conversation",
        "q2-and-q4",
        "deadline-passed",
        "acknowledged-before-deadline",
        "no-documents-after-deadline",
    ],
)
def test_each_status_lands_in_the_status_column(
    email: str, rows: list[list[Any]] | None, deadline: date | None, expected: Status
) -> None:
    assert cells(outcome(email, rows, deadline=deadline))["Status"] == expected.value


def test_only_rows_the_person_acknowledged_count() -> None:
    o = outcome(
        ANA,
        [
            talk("2026-06-10", acknowledged=False),
            talk("2026-11-02", acknowledged="", escalation=True),
            talk("2026-09-01", "skip-level", acknowledged=False),
        ],
    )
    row = cells(o)
    assert (row["Status"], row["Career conversations"], row["Last conversation"]) == ("due", 0, "")
    assert (row["Q2"], row["Q4"], row["Skip-level meeting"], row["Escalation"]) == (
        "no",
        "no",
        "no",
        "no",
    )
    assert o.escalations == []


def test_row_shows_links_meetings_quarters_and_last_conversation() -> None:
    row = cells(
        outcome(
            ANA,
            [
                talk(datetime(2026, 6, 10)),  # .xlsx gives datetimes
                talk(46266, "skip-level"),  # Sheets gives serial numbers: 2026-09-01
                talk("2026-09-15", "manager 1:1", escalation="TRUE", notes="wants a new role"),
            ],
        )
    )
    assert row == {
        "Name": "=Ana Formula",
        "Email": ANA,
        "Status": "acknowledged",
        "Department": "Engineering",
        "Manager": LEAD,  # no roster names given: the email stands in for the name
        "Manager email": LEAD,
        "Skip-level": CEO,
        "Skip-level email": CEO,
        "PBP": PBP,
        "PBP email": PBP,
        "Last conversation": date(2026, 9, 15),
        "Career conversations": 2,  # the career conversation and the manager 1:1
        "Q2": "yes",
        "Q4": "no",
        "Skip-level meeting": "yes",
        "Manager meeting": "yes",
        "Escalation": "yes",
        "IGP": Link("IGP", f"https://example.test/igp/{ANA}"),
        "Tracker": Link("Tracker", f"https://example.test/tracker/{ANA}"),
        "Sheet": Link("Sheet", f"https://example.test/growth_sheet/{ANA}"),
        "Data problems": "",
        "Updated (UTC)": datetime(2026, 11, 26, 6, 0),
    }


@pytest.mark.parametrize(
    ("email", "names"),
    [
        (ANA, ("Lee Lead", LEAD, "Cleo Executive", CEO, PBP, PBP)),  # the PBP is not in the roster
        (CEO, ("", "", "", "", "", "")),  # the top of the chain: no manager, no skip-level
    ],
    ids=["names-from-roster", "top-of-chain"],
)
def test_people_are_shown_by_name_with_their_email_one_column_over(
    email: str, names: tuple[str, ...]
) -> None:
    table, _ = status_table([outcome(email, [])], None, TEAM, UPDATED_AT)
    row = dict(zip(STATUS_HEADER, table.rows[0], strict=True))
    assert (
        row["Manager"],
        row["Manager email"],
        row["Skip-level"],
        row["Skip-level email"],
        row["PBP"],
        row["PBP email"],
    ) == names


def test_status_tab_layout_freezes_the_name_and_colours_every_status() -> None:
    table, _ = status_table(everyone(), None, TEAM, UPDATED_AT)
    layout = table.layout
    assert layout.frozen_columns == 1 and STATUS_HEADER[0] == "Name"
    assert layout.kind(STATUS_HEADER.index("Status")) is ColumnKind.STATUS
    assert [layout.kind(STATUS_HEADER.index(h)) for h in ("IGP", "Tracker", "Sheet")] == [
        ColumnKind.LINK
    ] * 3
    coloured = {value for value, _ in layout.colours}
    assert coloured == {s.value for s in Status} | {LEFT_ROSTER}
    assert len({colour for _, colour in layout.colours}) == len(coloured)


def test_not_provisioned_row_has_no_links() -> None:
    row = cells(outcome(ANA, None))
    assert [row[k] for k in ("IGP", "Tracker", "Sheet")] == ["", "", ""]


def test_rows_with_bad_dates_are_data_problems_with_their_sheet_row_numbers() -> None:
    o = outcome(ANA, [talk("soon"), talk("2026-12-20"), talk("2025-12-01"), talk("2026-06-10")])
    row = cells(o)
    assert row["Data problems"] == (
        "row 2: date 'soon' is not a date; row 3: date 2026-12-20 is in the future; "
        "row 4: date 2025-12-01 is outside FY2027 (2026-02-01 – 2027-01-31)"
    )
    assert (row["Status"], row["Career conversations"]) == ("acknowledged", 1)


def test_an_unreadable_sheet_is_named_first_in_the_data_problems() -> None:
    o = outcome(ANA, [talk("soon")])
    o.read_error = "sheets 400 INVALID_ARGUMENT: Unable to parse range"
    assert cells(o)["Data problems"] == (
        "could not read the sheet: sheets 400 INVALID_ARGUMENT: Unable to parse range; "
        "row 2: date 'soon' is not a date"
    )


# -- the Status tab --------------------------------------------------------------------------


def everyone(people: Roster = TEAM) -> list[Outcome]:
    return [outcome(p.email, [], people=people) for p in people]


def test_status_tab_has_one_row_per_person_in_roster_order_keyed_by_email() -> None:
    table, left = status_table(everyone(), None, TEAM, UPDATED_AT)
    assert (table.title, tuple(table.header), table.key_column) == (
        "Status",
        STATUS_HEADER,
        "Email",
    )
    assert [r[1] for r in table.rows] == [CEO, LEAD, ANA, BEN, CY]
    assert left == []


def old_row(email: str, name: str, status: str) -> list[Any]:
    values = {
        "Name": name,
        "Email": email,
        "Department": "Sales",
        "Career conversations": 2,
        "Status": status,
        "Updated at": "2026-10-01T06:00:00+00:00",
    }
    return [values.get(h, "") for h in STATUS_HEADER]


def test_people_who_left_the_roster_keep_their_last_row_marked_left() -> None:
    previous = (
        list(STATUS_HEADER),
        [old_row(ANA, "=Ana Formula", "due"), old_row(GONE, "Gone Away", "acknowledged")],
    )
    table, left = status_table(everyone(), previous, TEAM, UPDATED_AT)
    assert left == [GONE]
    assert [r[1] for r in table.rows] == [CEO, LEAD, ANA, BEN, CY, GONE]
    assert table.rows[-1] == old_row(GONE, "Gone Away", LEFT_ROSTER)


def test_left_rows_are_read_by_column_name_whatever_the_old_layout() -> None:
    header = ["Coach", "Status", "EMAIL", "Email", "Name", "Updated at"]
    previous = (
        header,
        [
            ["Amara", "on cadence", "", "Gone@Example.com", "Gone Away", "2026-10-01"],
            ["", "due", "", "ANA@example.com", "=Ana Formula", "2026-10-01"],  # still here
            ["", "due", "", "", "", ""],  # no email: nothing to carry
            ["", "due", "", GONE, "Gone Again", ""],  # the same person twice: kept once
        ],
    )
    table, left = status_table(everyone(), previous, TEAM, UPDATED_AT)
    assert left == [GONE]
    kept = dict(zip(STATUS_HEADER, table.rows[-1], strict=True))
    assert {k: v for k, v in kept.items() if v} == {
        "Name": "Gone Away",
        "Email": "Gone@Example.com",
        "Status": LEFT_ROSTER,
        "Updated (UTC)": "2026-10-01",
    }


def test_left_rows_of_the_old_layout_keep_their_links_as_short_links() -> None:
    header = ["Name", "Email", "Growth plan sheet", "Individual Growth Plan", "Updated at"]
    previous = (header, [["Gone Away", GONE, "https://x.test/s", "", "2026-10-01"]])
    table, _ = status_table(everyone(), previous, TEAM, UPDATED_AT)
    kept = dict(zip(STATUS_HEADER, table.rows[-1], strict=True))
    assert (kept["Sheet"], kept["IGP"], kept["Tracker"]) == (
        Link("Sheet", "https://x.test/s"),
        "",
        "",
    )
    assert kept["Updated (UTC)"] == "2026-10-01"


def test_previous_tab_without_an_email_column_keeps_no_one() -> None:
    table, left = status_table(
        everyone(), (["Name", "Status"], [["Gone", "due"]]), TEAM, UPDATED_AT
    )
    assert left == [] and len(table.rows) == len(TEAM)


# -- the Summary tab -------------------------------------------------------------------------


def test_summary_counts_each_department_manager_and_pbp_with_percent_acknowledged() -> None:
    outcomes = [
        outcome(CEO, []),  # due
        outcome(LEAD, [talk("2026-06-10"), talk("2026-11-02")]),  # on cadence
        outcome(ANA, [talk("2026-06-10")]),  # acknowledged
        outcome(BEN, None),  # not yet due
        outcome(CY, None),  # not provisioned
    ]
    table = summary_table(outcomes)
    assert (
        tuple(table.header)
        == SUMMARY_HEADER
        == (
            "Group",
            "Name",
            "Email",
            "Headcount",
            "Not yet due",
            "Not provisioned",
            "Due",
            "Acknowledged",
            "On cadence",
            "Overdue",
            "% acknowledged",
        )
    )
    assert table.rows == [
        ["Department", "Engineering", "", 3, 1, 0, 0, 1, 1, 0, 1.0],
        ["Department", "Executive", "", 1, 0, 0, 1, 0, 0, 0, 0.0],
        ["Department", "People", "", 1, 0, 1, 0, 0, 0, 0, 0.0],
        ["Manager", "Cleo Executive", CEO, 2, 0, 1, 0, 0, 1, 0, 0.5],
        ["Manager", "Lee Lead", LEAD, 2, 1, 0, 0, 1, 0, 0, 1.0],
        ["Manager", NO_GROUP, "", 1, 0, 0, 1, 0, 0, 0, 0.0],
        ["PBP", PBP, PBP, 3, 1, 0, 0, 1, 1, 0, 1.0],  # not in the roster: shown by email
        ["PBP", NO_GROUP, "", 2, 0, 1, 1, 0, 0, 0, 0.0],
        ["All", "Everyone", "", 5, 1, 1, 1, 1, 1, 0, 0.5],
    ]
    assert table.chart is not None
    assert (
        table.chart.row_count,
        table.chart.label_column,
        table.chart.value_column,
        table.chart.percent,
    ) == (3, SUMMARY_HEADER.index("Name"), SUMMARY_HEADER.index("% acknowledged"), True)
    assert table.layout.kind(SUMMARY_HEADER.index("% acknowledged")) is ColumnKind.PERCENT
    assert table.layout.kind(SUMMARY_HEADER.index("Headcount")) is ColumnKind.COUNT


def test_summary_of_no_one_is_one_empty_total_and_no_chart() -> None:
    table = summary_table([])
    assert table.rows == [["All", "Everyone", "", 0, 0, 0, 0, 0, 0, 0, 0.0]]
    assert table.chart is None


# -- the Escalations tab ---------------------------------------------------------------------


def test_each_acknowledged_escalation_is_listed_for_the_skip_level_manager() -> None:
    people = roster(
        [CEO, "Cleo Executive", "", VETERAN, "Executive", ""],
        [LEAD, "Lee Lead", CEO, VETERAN, "Engineering", PBP],
        [ANA, "Ana", LEAD, VETERAN, "Engineering", PBP],
        [BEN, "Ben", LEAD, VETERAN, "Engineering", PBP],
    )
    outcomes = [
        outcome(
            BEN,
            [
                talk("2026-10-02", "manager 1:1", escalation=True, notes="role mismatch"),
                talk("2026-10-09", escalation=True, acknowledged=False),
            ],
            people=people,
        ),
        outcome(
            ANA,
            [
                talk("2026-09-15", escalation="x", notes="wants to move"),
                talk("2026-06-10", escalation="yes", notes="first flag"),
            ],
            people=people,
        ),
        outcome(LEAD, [talk("2026-08-01", escalation=True)], people=people),  # no skip-level
    ]
    table = escalations_table(outcomes)
    assert tuple(table.header) == ESCALATIONS_HEADER
    # CEO is not among the outcomes here, so their email stands in for their name
    assert table.rows == [
        ["", "", "Lee Lead", LEAD, CEO, CEO, date(2026, 8, 1), ""],
        [CEO, CEO, "Ana", ANA, "Lee Lead", LEAD, date(2026, 6, 10), "first flag"],
        [CEO, CEO, "Ana", ANA, "Lee Lead", LEAD, date(2026, 9, 15), "wants to move"],
        [CEO, CEO, "Ben", BEN, "Lee Lead", LEAD, date(2026, 10, 2), "role mismatch"],
    ]


# -- the report ------------------------------------------------------------------------------


def test_json_report_counts_statuses_reads_failures_problems_and_leavers() -> None:
    unreadable = outcome(LEAD, [])
    unreadable.read_error = "cannot read lead.xlsx"
    outcomes = [
        outcome(CEO, [talk("2026-06-10")]),
        unreadable,
        outcome(ANA, [talk("soon")]),
        outcome(BEN, None),
        outcome(CY, None),
    ]
    result = RollupResult(
        FY, outcomes, sheets_read=2, sheets_cached=1, central="central.xlsx", left=[GONE]
    )
    report = json.loads(json.dumps(result.to_json()))
    assert report["fiscal_year"] == "FY2027" and report["central"] == "central.xlsx"
    assert report["counts"] == {
        "headcount": 5,
        "not yet due": 1,
        "not provisioned": 1,
        "due": 2,
        "acknowledged": 1,
        "on cadence": 0,
        "overdue": 0,
        "pct_acknowledged": 25.0,
        "sheets_read": 2,
        "sheets_cached": 1,
        "unreadable": 1,
        "left_roster": 1,
    }
    assert report["failures"] == {LEAD: "cannot read lead.xlsx"}
    assert report["data_problems"] == [f"{ANA} row 2: date 'soon' is not a date"]
    assert report["left_roster"] == [GONE]
    assert report["people"][0] == {"email": CEO, "status": "acknowledged", "acknowledged": 1}


# -- the cache -------------------------------------------------------------------------------


CELLS_AS_READ = [
    [datetime(2026, 6, 10, 0, 0), "Lee", "career", time(14, 30), True, False, "mine", time(9)],
    [date(2026, 11, 2), "Lee", "Skip-level", datetime(2026, 11, 2, 9, 15), 1, 0],
    [46266.0, "Lee", "manager 1:1", None, "TRUE", "x", 3.5],
    ["soon", "", "", "", True],
]


def test_cached_rows_are_json_and_only_the_managed_columns() -> None:
    cached = cacheable_rows(CELLS_AS_READ)
    assert json.loads(json.dumps(cached)) == cached
    assert [len(row) for row in cached] == [6, 6, 6, 5]
    assert cached[0][:4] == ["2026-06-10", "Lee", "career", "14:30:00"]


def test_cached_rows_give_the_same_status_problems_and_escalations_as_the_originals() -> None:
    fresh = outcome(ANA, CELLS_AS_READ)
    cached = outcome(ANA, json.loads(json.dumps(cacheable_rows(CELLS_AS_READ))))
    assert cached.status == fresh.status
    assert cached.escalations == fresh.escalations
    assert cached.status.status == Status.ACKNOWLEDGED and len(cached.escalations) == 1
    assert [str(p) for p in cached.status.problems] == ["row 5: date 'soon' is not a date"]
