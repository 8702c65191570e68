"""Specification: rollup verifies instead of trusting. Columns are picked by header name, and
nothing from a sheet the storage calls untrusted (or whose header lacks or repeats a managed
column) counts, is acknowledged, or is cached. Storage is a fake returning chosen reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from careerdocs.cadence import CONVERSATION_COLUMNS, Status, fiscal_year
from careerdocs.rollup import STATUS_HEADER, UNTRUSTED, gather, load_state, run
from careerdocs.roster import parse_roster
from careerdocs.workspace.base import Artifact, ArtifactKind, SheetRead, Table

from .conftest import talk

TODAY = date(2026, 11, 26)
FY = fiscal_year(TODAY, 2)
NOW = datetime(2026, 11, 26, 6, tzinfo=timezone.utc)
ANA = "ana@example.com"
BOSS = "boss@example.com"
HEADER = list(CONVERSATION_COLUMNS)
ACKNOWLEDGED_TALK = talk(date(2026, 10, 1))
REMOVED = "the protection was removed"
ROSTER = parse_roster(
    ["Email", "Name", "Manager Email", "Start Date"],
    [[BOSS, "Boss", "", "2020-01-01"], [ANA, "Ana", BOSS, "2020-01-01"]],
    allowed_domains=["example.com"],
).only([ANA])


def sheet(modified: str = "2026-11-01T00:00:00.000Z") -> Artifact:
    return Artifact(ArtifactKind.GROWTH_SHEET, ANA, FY.label, "sheet-ana", "Growth", "u", modified)


@dataclass
class FakeWorkspace:
    """Just enough storage for rollup: one growth sheet for Ana, read as ``read`` says."""

    read: SheetRead
    modified: str = "2026-11-01T00:00:00.000Z"
    backend: str = "fake"
    written: list[Table] = field(default_factory=list)
    reads: int = 0

    def find_artifacts(
        self, people: Sequence[str], fy: str
    ) -> Mapping[str, Mapping[ArtifactKind, Artifact]]:
        return {ANA: {ArtifactKind.GROWTH_SHEET: sheet(self.modified)}}

    def read_conversations(self, sheets: Sequence[Artifact]) -> list[SheetRead]:
        self.reads += len(sheets)
        return [self.read for _ in sheets]

    def read_central(self, title: str) -> None:
        return None

    def write_central(self, tables: Sequence[Table]) -> str:
        self.written += tables
        return "central"


def ana(workspace: FakeWorkspace, state: Path) -> Any:
    (outcome,) = gather(workspace, ROSTER, fy=FY, today=TODAY, state_path=state).outcomes
    return outcome


def test_an_untrusted_sheet_counts_nothing_and_says_why(tmp_path: Path) -> None:
    read = SheetRead(ANA, rows=[ACKNOWLEDGED_TALK], header=HEADER, untrusted=REMOVED)
    workspace = FakeWorkspace(read)
    result = run(workspace, ROSTER, fy=FY, today=TODAY, now=NOW, state_path=tmp_path / "s.json")
    (outcome,) = result.outcomes
    assert outcome.status.acknowledged_count == 0
    assert outcome.status.status is not Status.ACKNOWLEDGED
    assert outcome.untrusted == f"{UNTRUSTED}: {REMOVED}"
    assert result.problems == [f"{ANA} acknowledgements can't be trusted: {REMOVED}"]
    status_tab = workspace.written[0]
    problems = status_tab.rows[0][STATUS_HEADER.index("Data problems")]
    assert problems == f"acknowledgements can't be trusted: {REMOVED}"
    assert result.failures == {}  # a data problem, not an unreadable sheet


def test_an_untrusted_sheet_is_not_cached_and_its_old_cache_is_not_used(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    trusted = FakeWorkspace(SheetRead(ANA, rows=[ACKNOWLEDGED_TALK], header=HEADER))
    run(trusted, ROSTER, fy=FY, today=TODAY, now=NOW, state_path=state)
    assert ANA in load_state(state, "fake", FY)

    forged = SheetRead(ANA, rows=[ACKNOWLEDGED_TALK], header=HEADER, untrusted=REMOVED)
    later = FakeWorkspace(forged, modified="2026-11-20T00:00:00.000Z")
    result = run(later, ROSTER, fy=FY, today=TODAY, now=NOW, state_path=state)
    assert result.outcomes[0].status.acknowledged_count == 0
    assert ANA not in load_state(state, "fake", FY)
    again = run(later, ROSTER, fy=FY, today=TODAY, now=NOW, state_path=state)
    assert (later.reads, again.sheets_read) == (2, 1)  # read again every run, never cached


def test_columns_are_picked_by_header_name_not_position(tmp_path: Path) -> None:
    header = ["Notes", "My own column", "acknowledged ", "Type", "Date", "Escalation", "With whom"]
    when, with_whom, kind, notes, acknowledged, escalation = ACKNOWLEDGED_TALK
    row = [notes, "FALSE", acknowledged, kind, when, escalation, with_whom]
    outcome = ana(FakeWorkspace(SheetRead(ANA, rows=[row], header=header)), tmp_path / "s")
    assert outcome.untrusted is None
    assert outcome.status.acknowledged_count == 1


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (["Date", "With whom", "Type", "Notes", "Forged", "Acknowledged", "Escalation"], None),
        (
            ["Date", "With whom", "Type", "Notes", "Acknowledged", "Acknowledged", "Escalation"],
            "the Conversations tab has 2 'Acknowledged' column",
        ),
        (
            ["Date", "With whom", "Type", "Notes", "Escalation"],
            "the Conversations tab has no 'Acknowledged' column",
        ),
    ],
    ids=["inserted-column-is-ignored", "second-acknowledged-column", "no-acknowledged-column"],
)
def test_an_inserted_column_never_becomes_the_acknowledgement(
    tmp_path: Path, header: list[str], why: str | None
) -> None:
    """A manager who inserts a column before Acknowledged and ticks it: by name, the tick is in
    a column nobody reads; a look-alike second Acknowledged column, or none, counts nothing."""
    when, with_whom, kind, notes, _, escalation = ACKNOWLEDGED_TALK
    cells = {"Date": when, "With whom": with_whom, "Type": kind, "Notes": notes}
    cells |= {"Forged": True, "Escalation": escalation}
    row = [cells.get(name, False) for name in header]
    if "Acknowledged" in header and "Forged" not in header:
        row[header.index("Acknowledged")] = True
    outcome = ana(FakeWorkspace(SheetRead(ANA, rows=[row], header=header)), tmp_path / "s")
    assert outcome.status.acknowledged_count == 0
    assert outcome.untrusted == (None if why is None else f"{UNTRUSTED}: {why}")


def test_rows_without_a_header_count_nothing_but_an_empty_tab_is_fine(tmp_path: Path) -> None:
    headless = FakeWorkspace(SheetRead(ANA, rows=[ACKNOWLEDGED_TALK]))
    assert ana(headless, tmp_path / "a").untrusted == (
        f"{UNTRUSTED}: the Conversations tab has no 'Date' column"
    )
    assert ana(FakeWorkspace(SheetRead(ANA)), tmp_path / "b").untrusted is None


def test_a_reason_that_already_says_so_is_not_repeated(tmp_path: Path) -> None:
    read = SheetRead(ANA, header=HEADER, untrusted=f"{UNTRUSTED}: {REMOVED}")
    assert ana(FakeWorkspace(read), tmp_path / "s").untrusted == f"{UNTRUSTED}: {REMOVED}"
