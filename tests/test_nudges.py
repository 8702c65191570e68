"""Specification of `careerdocs remind`'s rules: who gets which nudge or digest on which day, once.

The fiscal year here is the Feb-start handbook year FY2027: Q1 Feb–Apr, Q2 May–Jul, Q3 Aug–Oct,
Q4 Nov–Jan. The org: ceo ← vp ← mgr ← {ann, bob}; pbp partners ann and bob.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careerdocs import cadence
from careerdocs.cadence import (
    COUNTING_RULE,
    NEW_HIRE_GRACE_DAYS,
    Conversation,
    ConversationType,
    FiscalYear,
    Status,
    fiscal_year,
)
from careerdocs.nudges import (
    Kind,
    Nudge,
    PersonState,
    Policy,
    SentLog,
    long_date,
    plan,
    state_for,
    week_id,
    windows,
)
from careerdocs.roster import Person, Roster

FEB = 2
FY = FiscalYear(date(2026, 2, 1), date(2027, 1, 31))
FY_BEFORE = FiscalYear(date(2025, 2, 1), date(2026, 1, 31))
VETERAN = date(2020, 1, 6)
MONDAY = date(2026, 6, 1)  # Q2, ISO week 23
TUESDAY = MONDAY + timedelta(days=1)
SATURDAY = MONDAY + timedelta(days=5)
Q1_MONDAY = date(2026, 3, 2)
Q3_MONDAY = date(2026, 8, 3)
Q4_MONDAY = date(2026, 11, 2)
MORNING = time(7, 0, tzinfo=timezone.utc)

CAREER = ConversationType.CAREER
SKIP = ConversationType.SKIP_LEVEL
ONE_ON_ONE = ConversationType.MANAGER

PERSONAL_KINDS = frozenset({Kind.DUE, Kind.OVERDUE, Kind.ACKNOWLEDGE})
DIGEST_KINDS = frozenset({Kind.MANAGER_DIGEST, Kind.SKIP_LEVEL_DIGEST, Kind.PBP_SUMMARY})
PERSONAL_ONLY = Policy(kinds=PERSONAL_KINDS)
DIGESTS_ONLY = Policy(kinds=DIGEST_KINDS)
SECTIONS = (
    "due", "overdue", "waiting", "escalations", "new_hires_soon", "not_provisioned", "problems"
)  # fmt: skip
LINKS = {
    "igp": "https://docs.example/igp",
    "tracker": "https://docs.example/tracker",
    "growth_sheet": "https://sheets.example/growth",
}


def person(
    email: str,
    manager: str | None = None,
    start: date = VETERAN,
    pbp: str | None = None,
    name: str | None = None,
) -> Person:
    return Person(
        email=email,
        name=name or email.split("@")[0].capitalize() + " Example",
        manager_email=manager,
        start_date=start,
        pbp_email=pbp,
    )


CEO = person("ceo@example.com")
VP = person("vp@example.com", "ceo@example.com")
MGR = person("mgr@example.com", "vp@example.com", name="Siobhán Murphy")
ANN = person("ann@example.com", "mgr@example.com", pbp="pbp@example.com", name="Ann Lee")
BOB = person("bob@example.com", "mgr@example.com", pbp="pbp@example.com")


def roster_of(*people: Person) -> Roster:
    manager_of = {p.email: p.manager_email for p in people}
    return Roster(
        tuple(replace(p, skip_level_email=manager_of.get(p.manager_email or "")) for p in people)
    )


ORG = roster_of(CEO, VP, MGR, ANN, BOB)


def talk(
    when: date,
    kind: ConversationType = CAREER,
    *,
    acknowledged: bool = True,
    escalation: bool = False,
    with_whom: str = "Siobhán",
    row: int = 2,
) -> Conversation:
    return Conversation(row, when, with_whom, kind, "", acknowledged, escalation)


def state(
    who: Person,
    conversations: Sequence[Conversation] | None = (),
    *,
    today: date = MONDAY,
    deadline: date | None = None,
    problem: str | None = None,
    fy: FiscalYear = FY,
) -> PersonState:
    visible = None if conversations is None else [c for c in conversations if c.date <= today]
    return state_for(
        who, visible, fy=fy, today=today, deadline=deadline, links=LINKS, problem=problem
    )


def run(
    states: Sequence[PersonState],
    today: date = MONDAY,
    policy: Policy = PERSONAL_ONLY,
    sent: SentLog | None = None,
    roster: Roster = ORG,
    fy: FiscalYear = FY,
) -> list[Nudge]:
    return plan(states, roster, fy, today, policy, sent or SentLog())


def keys(nudges: Sequence[Nudge]) -> list[str]:
    return [n.key for n in nudges]


def sent_at(day: date) -> datetime:
    return datetime.combine(day, MORNING)


def record(log: SentLog, nudges: Sequence[Nudge], day: date) -> None:
    for n in nudges:
        log.add(n, sent_at(day))


def only(nudges: Sequence[Nudge], kind: Kind) -> list[Nudge]:
    return [n for n in nudges if n.kind is kind]


# --- windows -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(
            VETERAN,
            [("FY2027-Q2", date(2026, 5, 1), date(2026, 7, 31), False),
             ("FY2027-Q4", date(2026, 11, 1), date(2027, 1, 31), False)],
            id="veteran: Q2 and Q4",
        ),
        pytest.param(
            date(2025, 12, 1),  # day 90: 2026-03-01, in Q1
            [("FY2027-new-hire", date(2026, 3, 1), date(2026, 4, 30), True),
             ("FY2027-Q2", date(2026, 5, 1), date(2026, 7, 31), False),
             ("FY2027-Q4", date(2026, 11, 1), date(2027, 1, 31), False)],
            id="day 90 in Q1: a new-hire window to the end of Q1",
        ),
        pytest.param(
            date(2026, 3, 3),  # day 90: 2026-06-01, in Q2
            [("FY2027-Q2", date(2026, 6, 1), date(2026, 7, 31), True),
             ("FY2027-Q4", date(2026, 11, 1), date(2027, 1, 31), False)],
            id="day 90 in Q2: Q2 opens on day 90",
        ),
        pytest.param(
            date(2026, 6, 1),  # day 90: 2026-08-30, in Q3
            [("FY2027-new-hire", date(2026, 8, 30), date(2026, 10, 31), True),
             ("FY2027-Q4", date(2026, 11, 1), date(2027, 1, 31), False)],
            id="day 90 in Q3: a new-hire window, then Q4",
        ),
        pytest.param(
            date(2026, 10, 1),  # day 90: 2026-12-30, in Q4
            [("FY2027-Q4", date(2026, 12, 30), date(2027, 1, 31), True)],
            id="day 90 in Q4: Q4 opens on day 90",
        ),
        pytest.param(date(2026, 12, 1), [], id="day 90 after the year: no window"),
        pytest.param(
            date(2025, 11, 3),  # day 90: 2026-02-01, the first day of the year
            [("FY2027-Q2", date(2026, 5, 1), date(2026, 7, 31), False),
             ("FY2027-Q4", date(2026, 11, 1), date(2027, 1, 31), False)],
            id="day 90 on the year's first day: like a veteran",
        ),
    ],
)  # fmt: skip
def test_conversation_windows_of_a_person(
    start: date, expected: list[tuple[str, date, date, bool]]
) -> None:
    found = windows(person("x@e.com", start=start), FY)
    assert [(w.id, w.opens, w.closes, w.new_hire) for w in found] == expected


# --- due ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "window"),
    [
        (Q1_MONDAY, None),
        (date(2026, 5, 1), "FY2027-Q2"),
        (MONDAY, "FY2027-Q2"),
        (date(2026, 7, 31), "FY2027-Q2"),
        (Q3_MONDAY, None),
        (Q4_MONDAY, "FY2027-Q4"),
        (date(2027, 1, 29), "FY2027-Q4"),
    ],
)
def test_a_team_member_is_nudged_while_a_q2_or_q4_window_is_open(
    today: date, window: str | None
) -> None:
    nudges = run([state(ANN, today=today)], today)
    assert [n.window for n in nudges] == ([window] if window else [])
    assert all(n.kind is Kind.DUE and n.to == ANN.email for n in nudges)


@pytest.mark.parametrize(
    ("conversations", "nudged"),
    [
        pytest.param([], True, id="nothing logged"),
        pytest.param([talk(date(2026, 5, 20))], False, id="acknowledged career in Q2"),
        pytest.param([talk(date(2026, 5, 20), ONE_ON_ONE)], False, id="acknowledged 1:1 in Q2"),
        pytest.param([talk(date(2026, 5, 20), SKIP)], True, id="skip-level alone does not count"),
        pytest.param([talk(date(2026, 3, 10))], True, id="Q1 conversation: Q2 is still hoped for"),
        pytest.param(
            [talk(date(2026, 5, 20), acknowledged=False)], False, id="waiting for a tick instead"
        ),
        pytest.param(
            [talk(date(2026, 5, 20), SKIP, acknowledged=False)],
            True,
            id="an unticked skip-level would not make Q2 either",
        ),
    ],
)
def test_due_in_q2_depends_on_what_counts(conversations: list[Conversation], nudged: bool) -> None:
    due_only = Policy(kinds=frozenset({Kind.DUE}))
    assert bool(run([state(ANN, conversations)], policy=due_only)) is nudged


def test_a_due_nudge_carries_the_window_links_and_the_handbooks_words() -> None:
    (nudge,) = run([state(ANN, [talk(date(2026, 3, 10))])])
    ctx = nudge.context
    assert nudge.key == "remind-due-FY2027-Q2-ann@example.com"
    assert nudge.about == (ANN.email,)
    assert "Q2" in nudge.why and "2026-07-31" in nudge.why
    assert ctx["window"] == "FY2027-Q2" and ctx["window_name"] == "Q2"
    assert (ctx["window_opens"], ctx["window_closes"]) == (date(2026, 5, 1), date(2026, 7, 31))
    assert ctx["window_closes_text"] == "31 July 2026"
    assert ctx["days_left"] == 61
    assert ctx["first"] is False and ctx["new_hire"] is False
    assert ctx["acknowledged_count"] == 1 and ctx["last_conversation"] == date(2026, 3, 10)
    assert ctx["status"] == Status.ACKNOWLEDGED.value
    assert ctx["links"] == LINKS and ctx["person"]["growth_sheet"] == LINKS["growth_sheet"]
    assert ctx["person"]["first_name"] == "Ann"
    assert ctx["manager"] == {"name": "Siobhán Murphy", "email": MGR.email}
    assert ctx["pbp"] == {"name": "pbp@example.com", "email": "pbp@example.com"}
    assert ctx["counting_rule"] == COUNTING_RULE
    assert "not a promotion" in ctx["not_promotion"]
    assert ctx["fiscal_year"] == "FY2027" and ctx["today"] == MONDAY


@pytest.mark.parametrize(
    ("days_after_start", "expected"),
    [(NEW_HIRE_GRACE_DAYS - 1, []), (NEW_HIRE_GRACE_DAYS, ["FY2027-Q2"])],
)
def test_a_new_hire_hears_nothing_before_day_90(days_after_start: int, expected: list[str]) -> None:
    new = person("new@example.com", MGR.email, start=MONDAY - timedelta(days=days_after_start))
    nudges = run([state(new)], roster=roster_of(MGR, new))
    assert [n.window for n in nudges] == expected
    assert all(n.context["new_hire"] for n in nudges)


def test_a_new_hire_whose_day_90_is_in_q3_gets_a_new_hire_nudge_then_q4() -> None:
    new = person("new@example.com", MGR.email, start=Q3_MONDAY - timedelta(days=90))
    org = roster_of(MGR, new)
    assert [n.window for n in run([state(new, today=Q3_MONDAY)], Q3_MONDAY, roster=org)] == [
        "FY2027-new-hire"
    ]
    first_talk = [talk(Q3_MONDAY + timedelta(days=7))]
    later = Q3_MONDAY + timedelta(days=14)
    assert run([state(new, first_talk, today=later)], later, roster=org) == []
    assert [n.window for n in run([state(new, first_talk, today=Q4_MONDAY)], Q4_MONDAY)] == [
        "FY2027-Q4"
    ]


@pytest.mark.parametrize(
    ("status_problem", "provisioned"),
    [("acknowledgements can't be trusted: protection removed", True), (None, False)],
)
def test_no_personal_nudge_without_trustworthy_conversations(
    status_problem: str | None, provisioned: bool
) -> None:
    s = state(ANN, [] if provisioned else None, problem=status_problem)
    assert run([s]) == []


# --- overdue and acknowledge -------------------------------------------------------------------


def test_overdue_once_when_the_deadline_passes() -> None:
    deadline = date(2026, 5, 29)
    log = SentLog()
    first = run([state(ANN, deadline=deadline)], sent=log)
    assert [(n.kind, n.window) for n in first] == [(Kind.OVERDUE, "FY2027")]
    assert first[0].context["deadline_passed"] is True
    record(log, first, MONDAY)
    later = MONDAY + timedelta(days=7)
    again = run([state(ANN, deadline=deadline, today=later)], later, sent=log)
    assert [(n.kind, n.window) for n in again] == [(Kind.DUE, "FY2027-Q2")]
    record(log, again, later)
    for day in (later + timedelta(days=7), date(2026, 7, 31)):
        assert run([state(ANN, deadline=deadline, today=day)], day, sent=log) == []


def test_acknowledge_names_the_conversation_and_waits_for_a_same_day_tick() -> None:
    logged = talk(date(2026, 5, 28), acknowledged=False, with_whom="Siobhán")
    assert only(run([state(ANN, [logged])], date(2026, 5, 29)), Kind.ACKNOWLEDGE) == []
    (nudge,) = run([state(ANN, [logged])])
    assert nudge.kind is Kind.ACKNOWLEDGE
    assert nudge.window == "FY2027-2026-05-28"
    assert nudge.context["with_whom"] == "Siobhán"
    assert nudge.context["conversation_date_text"] == "28 May 2026"
    assert nudge.why == (
        "logged a conversation with Siobhán on 2026-05-28, not ticked Acknowledged"
    )


def test_one_acknowledge_per_date_oldest_first_then_spaced() -> None:
    conversations = [
        talk(date(2026, 3, 10), acknowledged=False, with_whom="Siobhán", row=2),
        talk(date(2026, 3, 10), SKIP, acknowledged=False, with_whom="Vic", row=3),
        talk(date(2026, 5, 20), acknowledged=False, with_whom="Siobhán", row=4),
    ]
    log = SentLog()
    day = MONDAY
    windows_sent = []
    while day <= date(2026, 6, 30):
        nudges = run([state(ANN, conversations, today=day)], day, sent=log)
        record(log, nudges, day)
        windows_sent += [(n.window, day, n.context.get("with_whom")) for n in nudges]
        day += timedelta(days=1)
    assert windows_sent == [
        ("FY2027-2026-03-10", MONDAY, "Siobhán and Vic"),
        ("FY2027-2026-05-20", date(2026, 6, 4), "Siobhán"),
    ]


# --- once, politely ----------------------------------------------------------------------------


@pytest.mark.parametrize("policy", [Policy(), Policy(min_days_between=0)])
@pytest.mark.parametrize("day", [MONDAY, TUESDAY, Q4_MONDAY])
def test_a_second_run_the_same_day_plans_nothing(policy: Policy, day: date) -> None:
    states = [
        state(p, [talk(date(2026, 5, 4), acknowledged=False, escalation=True)], today=day)
        for p in ORG
    ]
    log = SentLog()
    first = run(states, day, policy, log)
    assert first
    record(log, first, day)
    assert run(states, day, policy, log) == []


@pytest.mark.parametrize(
    ("min_days", "next_day"), [(3, date(2026, 6, 4)), (0, TUESDAY), (1, TUESDAY)]
)
def test_personal_nudges_are_spaced_by_min_days_between(min_days: int, next_day: date) -> None:
    conversations = [talk(date(2026, 3, 10), acknowledged=False)]
    policy = replace(PERSONAL_ONLY, min_days_between=min_days)
    log = SentLog()
    days = []
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        nudges = run([state(ANN, conversations, today=day)], day, policy, log)
        record(log, nudges, day)
        days += [(n.kind, day) for n in nudges]
    assert days == [(Kind.ACKNOWLEDGE, MONDAY), (Kind.DUE, next_day)]


def test_a_digest_counts_as_a_message_for_the_managers_own_nudge() -> None:
    states = [state(p) for p in ORG]
    log = SentLog()
    monday = run(states, MONDAY, Policy(), log)
    assert {n.kind for n in monday if n.to == MGR.email} == {Kind.MANAGER_DIGEST}
    assert {n.kind for n in monday if n.to == ANN.email} == {Kind.DUE}
    record(log, monday, MONDAY)
    mgr_own = []
    for offset in range(1, 5):
        day = MONDAY + timedelta(days=offset)
        nudges = run([state(p, today=day) for p in ORG], day, Policy(), log)
        record(log, nudges, day)
        mgr_own += [(day, n.kind) for n in nudges if n.to == MGR.email]
    assert mgr_own == [(date(2026, 6, 4), Kind.DUE)]


@pytest.mark.parametrize(
    ("day", "policy", "quiet"),
    [
        (SATURDAY, Policy(), True),
        (SATURDAY + timedelta(days=1), Policy(), True),
        (SATURDAY, Policy(quiet_weekends=False), False),
        (TUESDAY, Policy(holidays=frozenset({TUESDAY})), True),
        (TUESDAY, Policy(), False),
    ],
)
def test_nothing_is_sent_on_quiet_days(day: date, policy: Policy, quiet: bool) -> None:
    states = [state(p, today=day) for p in ORG]
    assert policy.is_quiet(day) is quiet
    assert (run(states, day, policy) == []) is quiet


@pytest.mark.parametrize(
    ("weekly_on", "holidays", "first_day"),
    [
        (0, frozenset(), MONDAY),
        (0, frozenset({MONDAY}), TUESDAY),
        (0, frozenset({MONDAY, TUESDAY}), date(2026, 6, 3)),
        (2, frozenset(), date(2026, 6, 3)),
        (4, frozenset({date(2026, 6, 5)}), None),  # Friday off: the week's digest is skipped
    ],
)
def test_the_weekly_digest_goes_on_the_first_working_day_from_weekly_on(
    weekly_on: int, holidays: frozenset[date], first_day: date | None
) -> None:
    policy = replace(DIGESTS_ONLY, weekly_on=weekly_on, holidays=holidays)
    log = SentLog()
    days = []
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        nudges = only(run([state(p, today=day) for p in ORG], day, policy, log), Kind.PBP_SUMMARY)
        record(log, nudges, day)
        days += [(n.window, day) for n in nudges]
    assert days == ([("2026-W23", first_day)] if first_day else [])
    next_week = MONDAY + timedelta(days=7 + weekly_on)
    again = run([state(p, today=next_week) for p in ORG], next_week, policy, log)
    assert [n.window for n in only(again, Kind.PBP_SUMMARY)] == ["2026-W24"]


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_can_be_turned_off(kind: Kind) -> None:
    states = [
        state(ANN, [talk(date(2026, 3, 10), acknowledged=False)], deadline=MONDAY, today=TUESDAY),
        state(BOB, [talk(date(2026, 3, 10), escalation=True)], today=TUESDAY),
        *(state(p, today=TUESDAY) for p in (CEO, VP, MGR)),
    ]
    assert kind in {n.kind for n in run(states, TUESDAY, Policy(kinds=frozenset({kind})))}
    assert kind not in {
        n.kind for n in run(states, TUESDAY, Policy(kinds=frozenset(Kind) - {kind}))
    }


# --- digests -----------------------------------------------------------------------------------


def test_a_manager_digest_lists_only_the_managers_own_team_by_section() -> None:
    soon = person("soon@example.com", MGR.email, start=MONDAY - timedelta(days=80))
    later = person("later@example.com", MGR.email, start=MONDAY - timedelta(days=10))
    cal = person("cal@example.com", MGR.email)
    dee = person("dee@example.com", MGR.email)
    eve = person("eve@example.com", MGR.email)
    org = roster_of(CEO, VP, MGR, ANN, BOB, soon, later, cal, dee, eve)
    states = [
        state(CEO),
        state(VP),
        state(MGR),
        state(ANN, [talk(date(2026, 5, 4), acknowledged=False)]),
        state(BOB, [talk(date(2026, 5, 4), escalation=True)]),
        state(soon),
        state(later),
        state(cal, deadline=date(2026, 5, 29)),
        state(dee, None),
        state(eve, problem="could not read the sheet: 403"),
    ]
    (digest,) = [n for n in run(states, MONDAY, DIGESTS_ONLY, roster=org) if n.to == MGR.email]
    ctx = digest.context
    names = {section: [e["email"] for e in ctx[section]] for section in SECTIONS}
    assert names == {
        "due": [ANN.email],
        "overdue": [cal.email],
        "waiting": [ANN.email],
        "escalations": [BOB.email],
        "new_hires_soon": [soon.email],
        "not_provisioned": [dee.email],
        "problems": [eve.email],
    }
    assert ctx["team_size"] == 7
    assert digest.why == (
        "weekly digest of 7 direct reports: 1 due, 1 overdue, 1 waiting for a tick, "
        "1 escalation, 1 new hire at day 90 soon, 1 not provisioned, 1 data problem"
    )
    assert set(digest.about) <= {p.email for p in org if p.manager_email == MGR.email}
    assert ctx["waiting"][0]["waiting"][0]["date_text"] == "4 May 2026"
    assert ctx["problems"][0]["problem"] == "could not read the sheet: 403"
    assert ctx["due"][0]["growth_sheet"] == LINKS["growth_sheet"]
    assert ctx["recipient"]["first_name"] == "Siobhán"
    assert digest.window == week_id(MONDAY) == "2026-W23"
    assert ctx["week_start_text"] == "1 June 2026"


def test_a_manager_outside_the_roster_still_gets_their_teams_digest() -> None:
    ann = replace(ANN, manager_email="lead@partner.example")
    (digest,) = only(run([state(ann)], MONDAY, DIGESTS_ONLY), Kind.MANAGER_DIGEST)
    assert digest.to == "lead@partner.example"
    assert digest.context["recipient"] == {
        "name": "lead@partner.example",
        "first_name": "",
        "email": "lead@partner.example",
    }
    assert [e["email"] for e in digest.context["due"]] == [ANN.email]


def test_a_manager_with_nothing_to_say_gets_no_digest() -> None:
    fine = [talk(date(2026, 5, 4))]
    states = [state(p, fine) for p in ORG]
    assert only(run(states, MONDAY, DIGESTS_ONLY), Kind.MANAGER_DIGEST) == []


def test_skip_level_managers_get_the_escalations_two_or_more_levels_below() -> None:
    escalated = [talk(date(2026, 5, 4), escalation=True)]
    unticked = [talk(date(2026, 5, 4), escalation=True, acknowledged=False)]
    states = [state(CEO), state(VP), state(MGR), state(ANN, escalated), state(BOB, unticked)]
    digests = only(run(states, MONDAY, DIGESTS_ONLY), Kind.SKIP_LEVEL_DIGEST)
    assert {n.to: n.about for n in digests} == {
        VP.email: (ANN.email,),
        CEO.email: (ANN.email,),
    }
    by_to = {n.to: n.context for n in digests}
    assert by_to[VP.email]["escalations"][0]["levels_below"] == 2
    assert by_to[CEO.email]["escalations"][0]["levels_below"] == 3
    assert by_to[VP.email]["escalations"][0]["manager"]["email"] == MGR.email
    assert by_to[CEO.email]["org_size"] == 3  # mgr, ann, bob
    calm = [state(p) for p in ORG]
    assert only(run(calm, MONDAY, DIGESTS_ONLY), Kind.SKIP_LEVEL_DIGEST) == []


def test_a_pbp_summary_counts_their_population_and_lists_the_overdue() -> None:
    states = [
        state(CEO),
        state(ANN, deadline=date(2026, 5, 29)),
        state(BOB, [talk(date(2026, 5, 4))]),
    ]
    (summary,) = only(run(states, MONDAY, DIGESTS_ONLY), Kind.PBP_SUMMARY)
    assert summary.to == "pbp@example.com"
    counts = summary.context["counts"]
    assert (counts["headcount"], counts["overdue"], counts["acknowledged"]) == (2, 1, 1)
    assert counts["pct_acknowledged"] == 50.0
    assert [e["email"] for e in summary.context["overdue"]] == [ANN.email]
    assert summary.context["count_rows"][0] == (Status.NOT_YET_DUE.value, 0)


# --- the sent log and the policy ---------------------------------------------------------------


def test_the_sent_log_round_trips_through_json() -> None:
    log = SentLog()
    nudges = run([state(p) for p in ORG], MONDAY, Policy())
    record(log, nudges, MONDAY)
    log.add(nudges[0], datetime(2026, 6, 2, 8, 30))  # a naive time is kept as is
    text = json.dumps(log.to_json())
    again = SentLog.from_json(json.loads(text))
    assert again == log and SentLog.from_json(text) == log
    assert all(again.has(n.key) for n in nudges)
    assert again.last_to(nudges[0].to.upper()) == datetime(2026, 6, 2, 8, 30)
    assert again.last_to("nobody@example.com") is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": 2, "sent": []},
        {"version": 1},
        {"version": 1, "sent": [{"to": "a@e.com"}]},
        {"version": 1, "sent": [{"to": "a", "kind": "nag", "window": "w", "key": "k",
                                 "sent_at": "2026-06-01T07:00:00"}]},
        {"version": 1, "sent": [{"to": "a", "kind": "due", "window": "w", "key": "k",
                                 "sent_at": "yesterday"}]},
    ],
)  # fmt: skip
def test_a_damaged_sent_log_is_refused_not_emptied(data: object) -> None:
    with pytest.raises(ValueError, match="sent log"):
        SentLog.from_json(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weekly_on": 5}, "weekends are quiet"),
        ({"weekly_on": 7}, "weekly_on"),
        ({"min_days_between": -1}, "min_days_between"),
        ({"new_hire_soon_days": True}, "new_hire_soon_days"),
        ({"kinds": frozenset({"due", "nag"})}, "unknown kinds nag; the kinds are due, "),
    ],
)
def test_a_policy_that_cannot_work_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy(**changes)  # type: ignore[arg-type]


def test_kinds_may_be_given_by_their_values() -> None:
    policy = Policy(kinds=frozenset({"due", Kind.PBP_SUMMARY}))  # type: ignore[arg-type]
    assert policy.kinds == {Kind.DUE, Kind.PBP_SUMMARY}
    assert all(isinstance(k, Kind) for k in policy.kinds)


def test_a_pruned_sent_log_keeps_what_can_still_match() -> None:
    log = SentLog()
    old = run([state(ANN, today=date(2025, 6, 2), fy=FY_BEFORE)], date(2025, 6, 2), fy=FY_BEFORE)
    new = run([state(ANN)])
    record(log, old, date(2025, 6, 2))
    record(log, new, MONDAY)
    kept = log.pruned(FY.start)
    assert [r.key for r in kept.records] == keys(new) == ["remind-due-FY2027-Q2-ann@example.com"]
    assert not kept.has(old[0].key) and log.has(old[0].key)


def test_weekend_digests_are_fine_when_weekends_are_not_quiet() -> None:
    assert Policy(weekly_on=6, quiet_weekends=False).weekly_on == 6


def test_state_for_takes_status_and_escalation_from_cadence() -> None:
    conversations = [talk(date(2026, 5, 4), escalation=True), talk(date(2026, 11, 4))]
    computed = cadence.person_status(
        start_date=ANN.start_date, conversations=conversations, fy=FY, today=date(2026, 12, 1)
    )
    s = state(ANN, conversations, today=date(2026, 12, 1))
    assert (s.status, s.escalation) == (computed.status, computed.escalation)
    assert s.status is Status.ON_CADENCE


def test_long_dates_do_not_depend_on_the_locale() -> None:
    assert long_date(date(2026, 6, 2)) == "2 June 2026"


# --- properties over dates and fiscal years ----------------------------------------------------

TYPES = st.sampled_from(list(ConversationType))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[FiscalYear, list[Person], dict[str, list[Conversation]]]:
    """A fiscal year of any start month, a small org (each person's manager comes before
    them), start dates around the year, and conversations at any day of the year."""
    start_month = draw(st.integers(1, 12))
    fy = fiscal_year(date(draw(st.integers(2024, 2030)), start_month, 1), start_month)
    size = draw(st.integers(1, 6))
    people: list[Person] = []
    talks: dict[str, list[Conversation]] = {}
    length = (fy.end - fy.start).days
    for i in range(size):
        manager = draw(st.none() | st.integers(0, i - 1)) if i else None
        offset = draw(st.integers(-500, length + 30))
        email = f"p{i}@example.com"
        people.append(
            person(
                email,
                f"p{manager}@example.com" if manager is not None else None,
                start=fy.start + timedelta(days=offset),
                pbp="pbp@example.com" if draw(st.booleans()) else None,
            )
        )
        days = draw(st.lists(st.integers(0, length), max_size=3))
        talks[email] = [
            talk(
                fy.start + timedelta(days=d),
                draw(TYPES),
                acknowledged=draw(st.booleans()),
                escalation=draw(st.booleans()),
                row=2 + n,
            )
            for n, d in enumerate(days)
        ]
    return fy, people, talks


def _year_states(
    fy: FiscalYear,
    people: Sequence[Person],
    talks: dict[str, list[Conversation]],
    today: date,
    deadline: date | None,
) -> list[PersonState]:
    return [state(p, talks[p.email], today=today, deadline=deadline, fy=fy) for p in people]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), day=st.integers(0, 365))
def test_property_no_personal_nudge_before_day_90(
    scenario: tuple[FiscalYear, list[Person], dict[str, list[Conversation]]], day: int
) -> None:
    fy, people, talks = scenario
    today = min(fy.start + timedelta(days=day), fy.end)
    states = _year_states(fy, people, talks, today, None)
    policy = Policy(quiet_weekends=False)
    for nudge in run(states, today, policy, roster=roster_of(*people), fy=fy):
        if nudge.kind in PERSONAL_KINDS:
            (who,) = [p for p in people if p.email == nudge.to]
            assert today >= who.start_date + timedelta(days=NEW_HIRE_GRACE_DAYS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenario=scenarios(),
    deadline_day=st.none() | st.integers(0, 364),
    quiet_weekends=st.booleans(),
    min_days=st.integers(0, 5),
)
def test_property_a_year_of_daily_runs(
    scenario: tuple[FiscalYear, list[Person], dict[str, list[Conversation]]],
    deadline_day: int | None,
    quiet_weekends: bool,
    min_days: int,
) -> None:
    """Run plan every day of a year, recording what it returns: no reminder before day 90;
    no due nudge for a window after an acknowledged career conversation in it; at most one
    message per reason and window; personal nudges spaced; digests only about the recipient's
    own team, skip-level digests only about their org; a second run the same day is empty."""
    fy, people, talks = scenario
    deadline = None if deadline_day is None else fy.start + timedelta(days=deadline_day)
    roster = roster_of(*people)
    policy = Policy(quiet_weekends=quiet_weekends, min_days_between=min_days)
    by_email = {p.email: p for p in people}
    log = SentLog()
    personal_days: dict[str, list[date]] = {}
    today = fy.start
    while today <= fy.end:
        states = _year_states(fy, people, talks, today, deadline)
        nudges = run(states, today, policy, log, roster, fy)
        for n in nudges:
            if n.kind in PERSONAL_KINDS:
                who = by_email[n.to]
                assert today >= cadence.eligibility_date(who.start_date)
                personal_days.setdefault(n.to, []).append(today)
            if n.kind is Kind.DUE:
                window = next(w for w in windows(who, fy) if w.id == n.window)
                assert today in window
                assert not any(
                    cadence.what_counts(c).career and window.counts_from <= c.date <= today
                    for c in talks[who.email]
                )
            if n.kind is Kind.MANAGER_DIGEST:
                listed = {e["email"] for key in SECTIONS for e in n.context[key]}
                assert listed == set(n.about)
                assert {by_email[e].manager_email for e in listed} == {n.to}
            if n.kind is Kind.SKIP_LEVEL_DIGEST:
                assert [e["email"] for e in n.context["escalations"]] == list(n.about)
                for email in n.about:
                    chain = _chain(by_email, email)
                    assert n.to in chain[1:]
                    assert any(
                        c.escalation and c.acknowledged and c.date <= today for c in talks[email]
                    )
        record(log, nudges, today)
        assert run(states, today, policy, log, roster, fy) == []
        today += timedelta(days=1)
    reasons = Counter((r.kind, r.window, r.to) for r in log.records)
    assert max(reasons.values(), default=1) == 1
    for days in personal_days.values():
        assert all((b - a).days >= max(1, min_days) for a, b in pairwise(days))


def _chain(by_email: dict[str, Person], email: str) -> list[str]:
    chain = []
    manager = by_email[email].manager_email
    while manager:
        chain.append(manager)
        manager = by_email[manager].manager_email if manager in by_email else None
    return chain
