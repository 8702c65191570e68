"""Specification of provision's pure plan: from what exists (artifacts and their recorded steps)
it decides what is still missing from the whole desired state. No storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careerdocs.cadence import fiscal_year
from careerdocs.config import parse_settings
from careerdocs.provision import (
    NO_LONGER_GRANTED,
    PersonPlan,
    Revoke,
    Share,
    access_changes,
    plan,
)
from careerdocs.roster import parse_roster
from careerdocs.workspace.base import (
    FILE_KINDS,
    STEP_FILLED,
    STEP_NOTIFIED,
    STEP_PROTECTED,
    Artifact,
    ArtifactKind,
    TemplateRef,
)

TODAY = date(2026, 11, 26)
FY = fiscal_year(TODAY, 2)
BOSS = "boss@example.com"
ANA = "ana@example.com"
OLD = "old@example.com"
PBP = "pbp@example.com"
HAND = "friend@example.com"
SETTINGS = parse_settings({"allowed_domains": ["example.com"]}, Path("."))
ROSTER = parse_roster(
    ["Email", "Name", "Manager Email", "Start Date", "PBP"],
    [
        [BOSS, "Boss", "", "2020-01-01", ""],
        [ANA, "Ana", BOSS, "2020-01-01", PBP],
        [PBP, "Pat", BOSS, "2020-01-01", ""],
    ],
    allowed_domains=["example.com"],
).only([ANA])
TEMPLATES = {kind: TemplateRef(kind, kind.value) for kind in FILE_KINDS}
DONE = {
    ArtifactKind.FOLDER: frozenset({STEP_NOTIFIED}),
    ArtifactKind.IGP: frozenset({STEP_FILLED}),
    ArtifactKind.TRACKER: frozenset({STEP_FILLED}),
    ArtifactKind.GROWTH_SHEET: frozenset({STEP_FILLED, STEP_PROTECTED}),
}
SHARED = ((BOSS, "writer"), (PBP, "reader"))


def artifact(kind: ArtifactKind, steps: frozenset[str], **extra: Any) -> Artifact:
    made = Artifact(kind, ANA, FY.label, f"id-{kind.value}", kind.value, "url", steps=steps)
    return replace(made, **extra)


def everything_done(**folder: object) -> dict[ArtifactKind, Artifact]:
    found = {kind: artifact(kind, steps) for kind, steps in DONE.items()}
    found[ArtifactKind.FOLDER] = replace(
        found[ArtifactKind.FOLDER], **({"shares": SHARED, "grants": SHARED} | folder)
    )
    return found


def plan_for(found: dict[ArtifactKind, Artifact], **options: Any) -> PersonPlan:
    the_plan = plan(
        ROSTER,
        SETTINGS,
        FY,
        {ANA: found},
        TEMPLATES,
        today=TODAY,
        email_template="Subject: hi\n\n{{ links.folder }}",
        **options,
    )
    (person,) = the_plan.people
    return person


def test_a_person_with_every_step_recorded_is_up_to_date() -> None:
    person = plan_for(everything_done())
    assert person.up_to_date
    assert person.describe() == []


def test_a_new_person_gets_everything_in_order() -> None:
    person = plan_for({})
    assert person.create == [ArtifactKind.FOLDER, *FILE_KINDS]
    assert person.protect and person.notify
    assert [s.grantee for s in person.shares] == [BOSS, PBP]
    assert [line.split(" ")[0] for line in person.describe()] == [
        "create",
        "create",
        "create",
        "create",
        "protect",
        "share",
        "share",
        "email",
    ]


@pytest.mark.parametrize(
    ("kind", "steps", "expected"),
    [
        (ArtifactKind.IGP, frozenset(), "fill"),
        (ArtifactKind.TRACKER, frozenset(), "fill"),
        (ArtifactKind.GROWTH_SHEET, frozenset({STEP_FILLED}), "protect"),
        (ArtifactKind.GROWTH_SHEET, frozenset(), "fill+protect"),
        (ArtifactKind.FOLDER, frozenset(), "notify"),
    ],
)
def test_each_missing_step_is_planned_alone(
    kind: ArtifactKind, steps: frozenset[str], expected: str
) -> None:
    found = everything_done()
    found[kind] = replace(found[kind], steps=steps)
    person = plan_for(found)
    planned = set()
    if person.fill:
        planned.add("fill")
    if person.protect:
        planned.add("protect")
    if person.notify:
        planned.add("notify")
    assert "+".join(sorted(planned)) == expected
    assert not person.create and not person.shares and not person.revokes
    if expected == "fill":
        assert person.fill == [kind] and set(person.values) == {kind}


def test_notified_is_per_year_and_no_notify_or_disabled_sends_nothing() -> None:
    found = everything_done()
    found[ArtifactKind.FOLDER] = replace(found[ArtifactKind.FOLDER], steps=frozenset())
    assert plan_for(found).notify
    assert not plan_for(found, notify=False).notify


def test_unreachable_people_get_no_actions_and_say_why() -> None:
    person = plan_for({}, unreachable={ANA: "no such account"})
    assert person.unreachable == "no such account"
    assert not person.create and not person.notify and not person.up_to_date
    assert person.describe() == ["cannot act as them, skipped: no such account"]


MANAGER = Share(BOSS, "writer", "manager")
READER_PBP = Share(PBP, "reader", "pbp")


@pytest.mark.parametrize(
    ("shares", "grants", "wanted", "to_share", "to_revoke"),
    [
        (SHARED, SHARED, [MANAGER, READER_PBP], [], []),
        ((), (), [MANAGER], [MANAGER], []),
        (
            ((OLD, "writer"),),
            ((OLD, "writer"),),
            [MANAGER],
            [MANAGER],
            [Revoke(OLD, "writer", NO_LONGER_GRANTED)],
        ),
        (((HAND, "writer"),), (), [MANAGER], [MANAGER], []),
        (
            ((BOSS, "writer"),),
            ((BOSS, "writer"),),
            [Share(BOSS, "reader", "pbp")],
            [Share(BOSS, "reader", "pbp")],
            [Revoke(BOSS, "writer", "their role changes from writer to reader")],
        ),
        (((BOSS.upper(), "writer"),), ((BOSS.upper(), "writer"),), [MANAGER], [], []),
    ],
    ids=[
        "as-wanted",
        "new-share",
        "manager-changed",
        "hand-made-share-untouched",
        "role-downgrade",
        "case-insensitive",
    ],
)
def test_access_follows_the_roster_and_never_touches_hand_made_shares(
    shares: tuple[tuple[str, str], ...],
    grants: tuple[tuple[str, str], ...],
    wanted: list[Share],
    to_share: list[Share],
    to_revoke: list[Revoke],
) -> None:
    folder = artifact(ArtifactKind.FOLDER, frozenset(), shares=shares, grants=grants)
    assert access_changes(wanted, folder) == (to_share, to_revoke)


def test_a_manager_change_revokes_the_old_grant_and_shares_with_the_new() -> None:
    before = ((OLD, "writer"), (PBP, "reader"))
    person = plan_for(everything_done(shares=before, grants=before))
    assert [r.grantee for r in person.revokes] == [OLD]
    assert [s.grantee for s in person.shares] == [BOSS]
    assert person.describe()[0] == (
        f"revoke {OLD}'s writer access to the folder (no longer their manager, skip-level or PBP)"
    )
