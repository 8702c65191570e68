"""Specification of the career-conversation rules: fiscal years, date cells, statuses, summary."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careerdocs.cadence import (
    CONVERSATION_COLUMNS,
    COUNTING_RULE,
    NEW_HIRE_GRACE_DAYS,
    Conversation,
    ConversationType,
    Counts,
    DataProblem,
    FiscalYear,
    PersonStatus,
    Status,
    fiscal_year,
    fiscal_year_from_label,
    parse_conversation_type,
    parse_conversations,
    parse_date,
    parse_tick,
    person_status,
    summarize,
    what_counts,
)

FEB = 2
FY2027 = FiscalYear(date(2026, 2, 1), date(2027, 1, 31))  # Feb-start handbook year
Q1_DAY = date(2026, 3, 15)
Q2_DAY = date(2026, 6, 15)
Q3_DAY = date(2026, 9, 15)
Q4_DAY = date(2026, 12, 15)
MID_YEAR = date(2026, 10, 1)
AFTER_FY = date(2027, 2, 1)
VETERAN = date(2020, 1, 6)
MARCH_1_SERIAL = 46082  # Google Sheets serial number of 2026-03-01

CAREER = ConversationType.CAREER
SKIP = ConversationType.SKIP_LEVEL
MANAGER = ConversationType.MANAGER

ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def talk(
    when: date,
    kind: ConversationType = CAREER,
    *,
    acknowledged: bool = True,
    escalation: bool = False,
    row: int = 2,
) -> Conversation:
    return Conversation(row, when, "Manager", kind, "", acknowledged, escalation)


def status_of(
    conversations: list[Conversation] | None,
    *,
    today: date = MID_YEAR,
    start_date: date = VETERAN,
    deadline: date | None = None,
) -> PersonStatus:
    return person_status(
        start_date=start_date,
        conversations=conversations,
        fy=FY2027,
        today=today,
        deadline=deadline,
    )


# --- fiscal years ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start_month", "label", "first", "last"),
    [
        (date(2026, 3, 10), 2, "FY2027", date(2026, 2, 1), date(2027, 1, 31)),
        (date(2026, 2, 1), 2, "FY2027", date(2026, 2, 1), date(2027, 1, 31)),
        (date(2027, 1, 31), 2, "FY2027", date(2026, 2, 1), date(2027, 1, 31)),
        (date(2026, 1, 31), 2, "FY2026", date(2025, 2, 1), date(2026, 1, 31)),
        (date(2026, 1, 1), 1, "FY2026", date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 12, 31), 1, "FY2026", date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 12, 1), 12, "FY2027", date(2026, 12, 1), date(2027, 11, 30)),
        (date(2026, 11, 30), 12, "FY2026", date(2025, 12, 1), date(2026, 11, 30)),
        (date(2024, 2, 29), 3, "FY2024", date(2023, 3, 1), date(2024, 2, 29)),
    ],
)
def test_fiscal_year_is_named_for_the_year_it_ends_in(
    day: date, start_month: int, label: str, first: date, last: date
) -> None:
    fy = fiscal_year(day, start_month)
    assert (fy.label, fy.start, fy.end) == (label, first, last)


@pytest.mark.parametrize("start_month", range(1, 13))
def test_fiscal_year_starts_on_the_first_of_every_start_month(start_month: int) -> None:
    fy = fiscal_year(date(2026, start_month, 1), start_month)
    assert fy.start == date(2026, start_month, 1)
    assert fy.end == fiscal_year(date(2027, start_month, 1), start_month).start - timedelta(days=1)
    assert fy.label == ("FY2026" if start_month == 1 else "FY2027")
    assert fy.start_month == start_month


@pytest.mark.parametrize("start_month", range(1, 13))
def test_label_round_trips_for_every_start_month(start_month: int) -> None:
    fy = fiscal_year(date(2026, 7, 4), start_month)
    assert fiscal_year_from_label(fy.label, start_month) == fy


@pytest.mark.parametrize("label", ["FY2027", "fy2027", " FY 2027 ", "FY-2027"])
def test_label_parsing_forgives_case_and_spacing(label: str) -> None:
    assert fiscal_year_from_label(label, FEB) == FY2027


@pytest.mark.parametrize("label", ["2027", "FY27", "FY2027x", "", "FYabcd", "CY2027", "FY0001"])
def test_refuses_junk_fiscal_year_labels(label: str) -> None:
    with pytest.raises(ValueError, match="label"):
        fiscal_year_from_label(label, FEB)


@pytest.mark.parametrize("start_month", [0, 13, -1, True])
def test_refuses_start_month_outside_1_to_12(start_month: int) -> None:
    with pytest.raises(ValueError, match="start month"):
        fiscal_year(date(2026, 5, 1), start_month)
    with pytest.raises(ValueError, match="start month"):
        fiscal_year_from_label("FY2027", start_month)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 2, 2), date(2027, 2, 1)),
        (date(2026, 2, 1), date(2027, 2, 28)),
        (date(2026, 2, 1), date(2026, 7, 31)),
    ],
)
def test_refuses_a_fiscal_year_that_is_not_twelve_whole_months(first: date, last: date) -> None:
    with pytest.raises(ValueError, match="twelve months"):
        FiscalYear(first, last)


def test_fiscal_years_order_by_time() -> None:
    assert fiscal_year(date(2025, 6, 1), FEB) < FY2027 < fiscal_year(date(2027, 6, 1), FEB)


def test_str_names_label_and_bounds() -> None:
    assert str(FY2027) == "FY2027 (2026-02-01 – 2027-01-31)"


@pytest.mark.parametrize(
    ("n", "first", "last"),
    [
        (1, date(2026, 2, 1), date(2026, 4, 30)),
        (2, date(2026, 5, 1), date(2026, 7, 31)),
        (3, date(2026, 8, 1), date(2026, 10, 31)),
        (4, date(2026, 11, 1), date(2027, 1, 31)),
    ],
)
def test_quarters_are_three_whole_months_from_the_fy_start(n: int, first: date, last: date) -> None:
    assert FY2027.quarter(n) == (first, last)
    assert FY2027.quarter_of(first) == FY2027.quarter_of(last) == n


@pytest.mark.parametrize("n", [0, 5, -1])
def test_refuses_quarter_numbers_outside_1_to_4(n: int) -> None:
    with pytest.raises(ValueError, match="quarter"):
        FY2027.quarter(n)


@pytest.mark.parametrize("day", [date(2026, 1, 31), AFTER_FY])
def test_quarter_of_refuses_a_date_outside_the_fy(day: date) -> None:
    with pytest.raises(ValueError, match="not in FY2027"):
        FY2027.quarter_of(day)


@pytest.mark.parametrize(
    ("item", "inside"),
    [
        (date(2026, 2, 1), True),
        (date(2027, 1, 31), True),
        (date(2026, 1, 31), False),
        (AFTER_FY, False),
        (datetime(2026, 6, 1, 9, 30), True),
        ("2026-06-01", False),
        (None, False),
    ],
)
def test_contains_only_dates_within_its_bounds(item: object, inside: bool) -> None:
    assert (item in FY2027) is inside


# --- cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "2026-03-01",
        "2026-3-1",
        "3/1/2026",
        "03/01/2026",
        "1 Mar 2026",
        "1 March 2026",
        "01 mar. 2026",
        "Mar 1, 2026",
        "March 1, 2026",
        "mar 1 2026",
        "  2026-03-01  ",
        MARCH_1_SERIAL,
        float(MARCH_1_SERIAL),
        MARCH_1_SERIAL + 0.75,
        date(2026, 3, 1),
        datetime(2026, 3, 1, 23, 59),
    ],
)
def test_reads_every_supported_date_form_as_march_first(cell: object) -> None:
    assert parse_date(cell) == date(2026, 3, 1)


def test_us_dates_are_month_first() -> None:
    assert parse_date("3/1/2026") == date(2026, 3, 1)
    assert parse_date("12/31/2026") == date(2026, 12, 31)


def test_september_abbreviation_sept_is_accepted() -> None:
    assert parse_date("Sept 9, 2026") == date(2026, 9, 9)


@pytest.mark.parametrize(
    "cell",
    [
        "31/02/2026",
        "13/1/2026",
        "2026-02-30",
        "3/1/26",
        "1 Foo 2026",
        "soon",
        "",
        True,
        math.nan,
        math.inf,
        1e12,
        [2026, 3, 1],
    ],
)
def test_refuses_what_is_not_a_date(cell: object) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(cell)


@pytest.mark.parametrize(
    ("cell", "ticked"),
    [
        (True, True),
        ("TRUE", True),
        ("true", True),
        ("Yes", True),
        ("y", True),
        ("X", True),
        ("✓", True),
        ("1", True),
        (1, True),
        (False, False),
        ("", False),
        (None, False),
        ("FALSE", False),
        ("no", False),
        ("0", False),
        (0, False),
        ("  ", False),
    ],
)
def test_reads_ticks(cell: object, ticked: bool) -> None:
    assert parse_tick(cell) is ticked


@pytest.mark.parametrize("cell", ["maybe", "2", 2, "✗", date(2026, 3, 1)])
def test_refuses_what_is_not_a_tick(cell: object) -> None:
    with pytest.raises(ValueError, match="is not a tick"):
        parse_tick(cell)


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("career", CAREER),
        ("Career", CAREER),
        ("", CAREER),
        (None, CAREER),
        ("skip-level", SKIP),
        ("Skip level", SKIP),
        ("SKIP_LEVEL", SKIP),
        ("skiplevel", SKIP),
        ("manager 1:1", MANAGER),
        ("Manager 1:1", MANAGER),
        ("1:1", MANAGER),
        ("manager-1:1", MANAGER),
    ],
)
def test_reads_conversation_types_forgivingly(cell: object, kind: ConversationType) -> None:
    assert parse_conversation_type(cell) is kind


# --- parse_conversations -----------------------------------------------------------------------


def parse(*rows: list[object], today: date = MID_YEAR) -> tuple[list[Conversation], list[str]]:
    conversations, problems = parse_conversations(list(rows), FY2027, today)
    return conversations, [str(p) for p in problems]


def test_columns_are_the_growth_sheet_conversations_header() -> None:
    assert CONVERSATION_COLUMNS == (
        "Date", "With whom", "Type", "Notes", "Acknowledged", "Escalation",
    )  # fmt: skip


def test_reads_a_full_row_with_its_sheet_row_number() -> None:
    conversations, problems = parse(
        ["2026-06-15", " Dana (manager) ", "Career", " went well ", "TRUE", "FALSE"]
    )
    assert problems == []
    assert conversations == [
        Conversation(2, Q2_DAY, "Dana (manager)", CAREER, "went well", True, False)
    ]


def test_short_rows_default_to_unacknowledged_career() -> None:
    conversations, problems = parse(["2026-06-15"])
    assert problems == []
    assert conversations == [Conversation(2, Q2_DAY, "", CAREER, "", False, False)]


def test_cells_right_of_the_managed_columns_are_ignored() -> None:
    conversations, problems = parse(
        ["2026-06-15", "Dana", "career", "", True, False, "my own column"],
        ["", "", "", "", False, False, "a note in my own column"],
    )
    assert problems == []
    assert [c.row for c in conversations] == [2]


@pytest.mark.parametrize(
    "empty",
    [
        [],
        [None] * 6,
        ["", " ", None, "", "", ""],
        ["", "", "", "", False, False],
        ["", "", "", "", "FALSE", "FALSE"],
    ],
)
def test_skips_empty_rows_silently_but_keeps_row_numbers(empty: list[object]) -> None:
    conversations, problems = parse(empty, ["2026-06-15", "Dana"])
    assert problems == []
    assert [c.row for c in conversations] == [3]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["31/02/2026", "Dana"], "row 3: date '31/02/2026' is not a date"),
        (["", "Dana", "career", "", True], "row 3: date is missing"),
        ([None, "", "", "", True], "row 3: date is missing"),
        (["2027-03-01", "Dana"], "row 3: date 2027-03-01 is in the future"),
        (["2026-10-02", "Dana"], "row 3: date 2026-10-02 is in the future"),
        (
            ["2024-01-05", "Dana"],
            "row 3: date 2024-01-05 is outside FY2027 (2026-02-01 – 2027-01-31)",
        ),
        (
            ["2026-06-15", "Dana", "lunch"],
            "row 3: type 'lunch' is not one of career, skip-level, manager 1:1",
        ),
        (["2026-06-15", "Dana", "", "", "maybe"], "row 3: acknowledged 'maybe' is not a tick"),
        (["2026-06-15", "Dana", "", "", True, "sort of"], "row 3: escalation 'sort of' is not"),
    ],
)
def test_reports_each_data_problem_with_its_row_and_drops_the_row(
    row: list[object], problem: str
) -> None:
    conversations, problems = parse(["2026-03-15", "Dana"], row)
    assert [c.row for c in conversations] == [2]
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_reports_every_problem_of_a_row() -> None:
    conversations, problems = parse(["someday", "Dana", "lunch", "", "maybe", "?"])
    assert conversations == []
    assert problems == [
        "row 2: date 'someday' is not a date",
        "row 2: type 'lunch' is not one of career, skip-level, manager 1:1",
        "row 2: acknowledged 'maybe' is not a tick (use TRUE, yes or x; FALSE, no or leave empty)",
        "row 2: escalation '?' is not a tick (use TRUE, yes or x; FALSE, no or leave empty)",
    ]


def test_a_date_from_an_earlier_fy_is_outside_even_when_the_fy_is_over() -> None:
    _, problems = parse(["2026-01-31"], today=date(2027, 6, 1))
    assert problems == ["row 2: date 2026-01-31 is outside FY2027 (2026-02-01 – 2027-01-31)"]


def test_a_conversation_dated_today_counts() -> None:
    conversations, problems = parse([MID_YEAR.isoformat()])
    assert (len(conversations), problems) == (1, [])


# --- person_status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            {"conversations": [], "start_date": date(2026, 8, 1)},
            Status.NOT_YET_DUE,
            id="not-yet-due-within-90-days",
        ),
        pytest.param(
            {"conversations": None, "start_date": date(2026, 8, 1)},
            Status.NOT_YET_DUE,
            id="not-yet-due-even-when-not-provisioned",
        ),
        pytest.param(
            {"conversations": [], "start_date": date(2026, 12, 1), "today": date(2027, 6, 1)},
            Status.NOT_YET_DUE,
            id="not-yet-due-when-90-days-end-after-the-fy",
        ),
        pytest.param(
            {"conversations": [], "start_date": MID_YEAR - timedelta(days=NEW_HIRE_GRACE_DAYS)},
            Status.DUE,
            id="due-on-the-90th-day",
        ),
        pytest.param({"conversations": None}, Status.NOT_PROVISIONED, id="not-provisioned"),
        pytest.param({"conversations": []}, Status.DUE, id="due-with-nothing-logged"),
        pytest.param(
            {"conversations": [talk(Q1_DAY, acknowledged=False)]},
            Status.DUE,
            id="due-when-career-conversation-not-acknowledged",
        ),
        pytest.param(
            {"conversations": [talk(Q1_DAY, SKIP)]},
            Status.DUE,
            id="due-when-only-a-skip-level-meeting",
        ),
        pytest.param(
            {"conversations": [talk(Q1_DAY, SKIP), talk(Q1_DAY, MANAGER)]},
            Status.ACKNOWLEDGED,
            id="acknowledged-after-skip-level-then-manager-1:1",
        ),
        pytest.param(
            {"conversations": [talk(Q1_DAY)]}, Status.ACKNOWLEDGED, id="acknowledged-in-q1"
        ),
        pytest.param(
            {"conversations": [talk(Q2_DAY)], "today": AFTER_FY},
            Status.ACKNOWLEDGED,
            id="acknowledged-in-q2-only-after-the-fy",
        ),
        pytest.param(
            {"conversations": [talk(Q2_DAY), talk(Q4_DAY)], "today": date(2027, 1, 15)},
            Status.ON_CADENCE,
            id="on-cadence-with-q2-and-q4",
        ),
        pytest.param(
            {"conversations": [talk(Q2_DAY), talk(Q4_DAY, acknowledged=False)]},
            Status.ACKNOWLEDGED,
            id="not-on-cadence-when-q4-unacknowledged",
        ),
        pytest.param(
            {"conversations": [talk(Q2_DAY), talk(Q4_DAY, SKIP)]},
            Status.ACKNOWLEDGED,
            id="not-on-cadence-when-q4-is-a-skip-level",
        ),
        pytest.param(
            {"conversations": [], "today": AFTER_FY}, Status.OVERDUE, id="overdue-after-fy-end"
        ),
        pytest.param(
            {"conversations": [], "today": date(2026, 10, 1), "deadline": date(2026, 9, 30)},
            Status.OVERDUE,
            id="overdue-after-deadline",
        ),
        pytest.param(
            {"conversations": [], "today": date(2026, 9, 30), "deadline": date(2026, 9, 30)},
            Status.DUE,
            id="due-on-deadline-day",
        ),
        pytest.param(
            {"conversations": [], "today": FY2027.end}, Status.DUE, id="due-on-last-day-of-fy"
        ),
        pytest.param(
            {"conversations": [talk(date(2025, 6, 1))], "today": AFTER_FY},
            Status.OVERDUE,
            id="conversation-from-another-fy-does-not-count",
        ),
    ],
)
def test_status_follows_the_handbook_precedence(
    kwargs: dict[str, object], expected: Status
) -> None:
    assert status_of(**kwargs).status is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("conversations", "flag", "expected"),
    [
        pytest.param(
            [talk(Q1_DAY), talk(Q2_DAY, acknowledged=False), talk(Q3_DAY, SKIP)],
            "acknowledged_count",
            1,
            id="count-only-acknowledged-career",
        ),
        pytest.param([talk(Q1_DAY), talk(Q3_DAY)], "acknowledged_count", 2, id="count-several"),
        pytest.param(
            [talk(Q1_DAY), talk(Q2_DAY, MANAGER), talk(Q3_DAY, acknowledged=False)],
            "last_conversation",
            Q2_DAY,
            id="last-career-conversation-includes-manager-1:1",
        ),
        pytest.param(
            [talk(Q1_DAY), talk(Q2_DAY, SKIP)],
            "last_conversation",
            Q1_DAY,
            id="last-conversation-is-not-a-skip-level",
        ),
        pytest.param(
            [talk(Q1_DAY, MANAGER), talk(Q3_DAY, SKIP)],
            "acknowledged_count",
            1,
            id="count-manager-1:1-not-skip-level",
        ),
        pytest.param([], "last_conversation", None, id="no-last-conversation"),
        pytest.param([talk(Q2_DAY)], "q2", True, id="q2"),
        pytest.param([talk(Q2_DAY, SKIP)], "q2", False, id="q2-needs-career"),
        pytest.param([talk(Q4_DAY)], "q4", True, id="q4"),
        pytest.param([talk(Q4_DAY, acknowledged=False)], "q4", False, id="q4-needs-ack"),
        pytest.param([talk(Q3_DAY, SKIP)], "skip_level_held", True, id="skip-level"),
        pytest.param(
            [talk(Q3_DAY, SKIP, acknowledged=False)],
            "skip_level_held",
            False,
            id="skip-level-needs-ack",
        ),
        pytest.param([talk(Q3_DAY, MANAGER)], "manager_meeting_held", True, id="manager-1:1"),
        pytest.param(
            [talk(Q3_DAY, MANAGER, acknowledged=False)],
            "manager_meeting_held",
            False,
            id="manager-1:1-needs-ack",
        ),
        pytest.param([talk(Q3_DAY, SKIP, escalation=True)], "escalation", True, id="escalation"),
        pytest.param(
            [talk(Q3_DAY, SKIP, acknowledged=False, escalation=True)],
            "escalation",
            False,
            id="escalation-needs-ack",
        ),
        pytest.param(
            [talk(date(2025, 6, 1), SKIP, escalation=True)],
            "escalation",
            False,
            id="escalation-outside-fy-ignored",
        ),
    ],
)
def test_flags_count_only_acknowledged_rows_in_the_fy(
    conversations: list[Conversation], flag: str, expected: object
) -> None:
    assert getattr(status_of(conversations), flag) == expected


# --- the one rule for what counts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "acknowledged", "expected"),
    [
        pytest.param(CAREER, True, Counts(True, False, False), id="career"),
        pytest.param(MANAGER, True, Counts(True, False, True), id="manager-1:1"),
        pytest.param(SKIP, True, Counts(False, True, False), id="skip-level"),
        pytest.param(CAREER, False, Counts(False, False, False), id="career-unacknowledged"),
        pytest.param(MANAGER, False, Counts(False, False, False), id="manager-1:1-unacknowledged"),
        pytest.param(SKIP, False, Counts(False, False, False), id="skip-level-unacknowledged"),
    ],
)
def test_what_each_conversation_type_counts_as(
    kind: ConversationType, acknowledged: bool, expected: Counts
) -> None:
    assert what_counts(talk(Q1_DAY, kind, acknowledged=acknowledged)) == expected


def test_every_conversation_type_is_covered_by_the_rule() -> None:
    for kind in ConversationType:
        assert kind.value in COUNTING_RULE
    assert "acknowledged" in COUNTING_RULE


def test_the_igp_flow_skip_level_then_manager_1_1_is_acknowledged() -> None:
    """The IGP's yearly process: a skip-level conversation, then a 1:1 with the manager. The
    person is acknowledged, and "Last conversation" and "Career conversations" agree."""
    skip = talk(date(2026, 5, 4), SKIP)
    one_to_one = talk(date(2026, 5, 18), MANAGER, row=3)
    after_skip_only = status_of([skip])
    assert (after_skip_only.status, after_skip_only.acknowledged_count) == (Status.DUE, 0)
    assert after_skip_only.last_conversation is None
    result = status_of([skip, one_to_one])
    assert result.status is Status.ACKNOWLEDGED
    assert (result.acknowledged_count, result.last_conversation) == (1, one_to_one.date)
    assert result.skip_level_held and result.manager_meeting_held


def test_not_provisioned_has_no_flags() -> None:
    result = status_of(None)
    assert (result.acknowledged_count, result.last_conversation, result.q2, result.q4) == (
        0, None, False, False,
    )  # fmt: skip
    assert not (result.skip_level_held or result.manager_meeting_held or result.escalation)


def test_carries_problems_and_fiscal_year_through() -> None:
    problem = DataProblem(4, "date 'someday' is not a date")
    result = person_status(
        start_date=VETERAN, conversations=[], fy=FY2027, today=MID_YEAR, problems=[problem]
    )
    assert result.problems == (problem,)
    assert result.fiscal_year == FY2027


# --- summarize ---------------------------------------------------------------------------------


def test_summary_counts_each_status_and_the_acknowledged_share_of_those_due() -> None:
    statuses = [
        Status.NOT_YET_DUE,
        Status.NOT_PROVISIONED,
        Status.DUE,
        Status.ACKNOWLEDGED,
        Status.ACKNOWLEDGED,
        Status.ON_CADENCE,
        Status.OVERDUE,
    ]
    assert summarize(statuses) == {
        "headcount": 7,
        "not yet due": 1,
        "not provisioned": 1,
        "due": 1,
        "acknowledged": 2,
        "on cadence": 1,
        "overdue": 1,
        "pct_acknowledged": 50.0,
    }


@pytest.mark.parametrize(
    ("statuses", "pct"),
    [
        pytest.param([], 0.0, id="nobody"),
        pytest.param([Status.NOT_YET_DUE] * 3, 0.0, id="only-new-hires"),
        pytest.param([Status.ACKNOWLEDGED, Status.DUE, Status.DUE], 33.3, id="one-third"),
        pytest.param([Status.ON_CADENCE, Status.ON_CADENCE, Status.DUE], 66.7, id="two-thirds"),
        pytest.param([Status.ACKNOWLEDGED] + [Status.DUE] * 15, 6.3, id="half-up-6.25"),
        pytest.param([Status.ON_CADENCE, Status.NOT_YET_DUE], 100.0, id="new-hire-excluded"),
    ],
)
def test_pct_acknowledged_rounds_half_up_to_one_decimal(statuses: list[Status], pct: float) -> None:
    assert summarize(statuses)["pct_acknowledged"] == pct


def test_summary_accepts_plain_status_strings_and_refuses_unknown_ones() -> None:
    assert summarize(["due", "acknowledged"])["acknowledged"] == 1
    with pytest.raises(ValueError, match="late"):
        summarize(["late"])


# --- properties --------------------------------------------------------------------------------

any_day = st.dates(min_value=date(1900, 1, 1), max_value=date(9000, 12, 31))
start_months = st.integers(min_value=1, max_value=12)
kinds = st.sampled_from(list(ConversationType))
PROGRESS = {Status.OVERDUE: 0, Status.DUE: 0, Status.ACKNOWLEDGED: 1, Status.ON_CADENCE: 2}


@given(any_day, start_months)
def test_every_date_lies_in_exactly_one_fy_and_one_quarter(day: date, start_month: int) -> None:
    fy = fiscal_year(day, start_month)
    assert day in fy
    assert fiscal_year(fy.start, start_month) == fy == fiscal_year(fy.end, start_month)
    before = fiscal_year(fy.start - timedelta(days=1), start_month)
    after = fiscal_year(fy.end + timedelta(days=1), start_month)
    assert day not in before and day not in after
    holding = [n for n in range(1, 5) if fy.quarter(n)[0] <= day <= fy.quarter(n)[1]]
    assert holding == [fy.quarter_of(day)]


@given(any_day, start_months)
def test_the_fy_after_the_last_day_starts_on_the_next_day(day: date, start_month: int) -> None:
    fy = fiscal_year(day, start_month)
    next_day = fy.end + timedelta(days=1)
    assert fiscal_year(next_day, start_month).start == next_day


@given(any_day, start_months)
def test_quarters_tile_the_fy_without_gaps(day: date, start_month: int) -> None:
    fy = fiscal_year(day, start_month)
    bounds = [fy.quarter(n) for n in range(1, 5)]
    assert bounds[0][0] == fy.start
    assert bounds[-1][1] == fy.end
    for (_, last), (first, _) in pairwise(bounds):
        assert first == last + timedelta(days=1)
    assert all(first.day == 1 and first < last for first, last in bounds)


@given(any_day, start_months)
def test_labels_round_trip(day: date, start_month: int) -> None:
    fy = fiscal_year(day, start_month)
    assert fiscal_year_from_label(fy.label, start_month) == fy


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_every_written_form_of_a_date_reads_back(day: date) -> None:
    month = ENGLISH_MONTHS[day.month - 1]
    forms = [
        day.isoformat(),
        f"{day.month}/{day.day}/{day.year}",
        f"{day.day} {month[:3]} {day.year}",
        f"{month} {day.day}, {day.year}",
        (day - date(1899, 12, 30)).days,
        datetime(day.year, day.month, day.day, 12),
    ]
    assert [parse_date(form) for form in forms] == [day] * len(forms)


@st.composite
def fy_and_conversations(draw: st.DrawFn) -> tuple[FiscalYear, list[Conversation]]:
    fy = fiscal_year(draw(st.dates(date(2000, 1, 1), date(2100, 12, 31))), draw(start_months))
    in_fy = st.dates(fy.start, fy.end)
    conversations = draw(
        st.lists(
            st.builds(
                Conversation,
                row=st.integers(2, 500),
                date=in_fy,
                with_whom=st.just("Dana"),
                type=kinds,
                notes=st.just(""),
                acknowledged=st.booleans(),
                escalation=st.booleans(),
            ),
            max_size=6,
        )
    )
    return fy, conversations


@given(
    fy_and_conversations(),
    st.integers(-400, NEW_HIRE_GRACE_DAYS - 1),
    st.integers(-60, 500),
    st.none() | st.integers(-60, 400),
    st.booleans(),
)
def test_nobody_is_due_or_overdue_within_their_first_90_days(
    fy_conversations: tuple[FiscalYear, list[Conversation]],
    days_employed: int,
    today_offset: int,
    deadline_offset: int | None,
    provisioned: bool,
) -> None:
    fy, conversations = fy_conversations
    today = fy.start + timedelta(days=today_offset)
    deadline = None if deadline_offset is None else fy.start + timedelta(days=deadline_offset)
    result = person_status(
        start_date=today - timedelta(days=days_employed),
        conversations=conversations if provisioned else None,
        fy=fy,
        today=today,
        deadline=deadline,
    )
    assert result.status is Status.NOT_YET_DUE


@given(
    fy_and_conversations(),
    st.dates(date(1999, 1, 1), date(2101, 12, 31)),
    st.integers(-60, 500),
    st.none() | st.integers(-60, 400),
    st.data(),
)
def test_an_acknowledged_career_conversation_never_lowers_the_status(
    fy_conversations: tuple[FiscalYear, list[Conversation]],
    start_date: date,
    today_offset: int,
    deadline_offset: int | None,
    data: st.DataObject,
) -> None:
    fy, conversations = fy_conversations
    today = fy.start + timedelta(days=today_offset)
    deadline = None if deadline_offset is None else fy.start + timedelta(days=deadline_offset)
    added = talk(data.draw(st.dates(fy.start, fy.end)))

    def status(with_these: list[Conversation]) -> Status:
        return person_status(
            start_date=start_date, conversations=with_these, fy=fy, today=today, deadline=deadline
        ).status

    before, after = status(conversations), status([*conversations, added])
    if before in PROGRESS:
        assert PROGRESS[after] >= max(PROGRESS[before], PROGRESS[Status.ACKNOWLEDGED])
    else:
        assert after is before
