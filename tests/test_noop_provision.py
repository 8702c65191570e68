"""A provision run with nothing to do writes nothing: locally no file is rewritten (documents,
markers, outbox, central workbook keep their modification times), and on Google no write call
is made at all, so a daily cron over unchanged people costs reads only. The decision is the
core's (:func:`careerdocs.provision.table_unchanged`), so it holds on every backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from careerdocs.cli import cli
from careerdocs.provision import PEOPLE_HEADER, PEOPLE_LAYOUT, table_unchanged
from careerdocs.workspace.base import PEOPLE_TAB, Link, Table

from .conftest import GoogleSetup, audit_events

TODAY = "2026-11-26"
FOLDER = Link("Folder", "file:///out/Mei")
ROW = ["Mei Chen", "mei@example.com", "Eng", "Jo", "jo@example.com", "", "", "FY2027", FOLDER]


def provision(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--today", TODAY, "provision", *args])


def people(*rows: list[Any]) -> Table:
    return Table(PEOPLE_TAB, PEOPLE_HEADER, [list(r) for r in rows], "Email", PEOPLE_LAYOUT)


HEADER = list(PEOPLE_HEADER)


@pytest.mark.parametrize(
    "previous, unchanged",
    [
        (None, False),  # no tab yet
        ((HEADER, [ROW]), True),
        ((HEADER, [[*ROW, "", ""]]), True),  # the table's own empty cells
        ((HEADER, [[None if c == "" else c for c in ROW]]), True),  # empty cells read as None
        ((HEADER, [ROW[:-1]]), False),  # the folder link is missing
        ((HEADER, [[*ROW[:-1], Link("Folder", "file:///elsewhere")]]), False),
        ((HEADER, [[*ROW[:-1], "Folder"]]), False),  # the link lost its target
        ((HEADER, [ROW, ROW]), False),  # one row too many
        ((HEADER, []), False),
        ((HEADER[:-1], [ROW]), False),  # an older, narrower layout
        (([h.upper() for h in HEADER], [ROW]), False),
        (([*HEADER, "My notes"], [[*ROW, "", "", "", "a note"]]), True),  # a user column
    ],
    ids=[
        "no-tab",
        "same",
        "trailing-empties",
        "none-is-empty",
        "link-missing",
        "link-moved",
        "link-lost-target",
        "extra-row",
        "no-rows",
        "narrower-header",
        "renamed-header",
        "user-column-kept",
    ],
)
def test_a_table_is_unchanged_only_when_every_managed_cell_is(
    previous: Any, unchanged: bool
) -> None:
    assert table_unchanged(people(ROW), previous) is unchanged


def test_rows_in_another_order_are_a_change() -> None:
    other = [*ROW[:1], "ann@example.com", *ROW[2:]]
    assert not table_unchanged(people(ROW, other), (HEADER, [other, ROW]))


def file_times(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_a_local_run_with_nothing_to_do_rewrites_no_file(local_config: Path) -> None:
    first = provision(local_config)
    assert first.exit_code == 0, first.output
    root = local_config.parent
    written = file_times(root / "out")
    assert "central.xlsx" in written
    events = len(audit_events(root / "audit.jsonl"))
    second = provision(local_config)
    assert second.exit_code == 0, second.output
    assert "up to date" in second.output, second.output
    assert "People and links:" in second.output  # it still says where the workbook is
    assert file_times(root / "out") == written
    assert audit_events(root / "audit.jsonl")[events:] == []  # no write, so no event


def test_a_changed_person_rewrites_the_central_workbook(local_config: Path) -> None:
    assert provision(local_config).exit_code == 0
    root = local_config.parent
    before = file_times(root / "out")
    roster = root / "roster.csv"
    text = roster.read_text(encoding="utf-8")
    roster.write_text(text.replace(",VP Engineering,Engineering,", ",VP Engineering,R&D,"), "utf-8")
    assert provision(local_config).exit_code == 0
    after = file_times(root / "out")
    assert after["central.xlsx"] != before["central.xlsx"]
    del after["central.xlsx"], before["central.xlsx"]
    assert after == before  # a new department changes no document


def test_a_google_run_with_nothing_to_do_makes_no_write_call(google_setup: GoogleSetup) -> None:
    kit = google_setup.kit
    kinds = {(r.api, r.name): r.kind for r in kit.sandbox.router.routes}
    kinds[("oauth", "token")] = "read"  # a token for each person acted as: no Workspace write

    def writes() -> list[str]:
        calls = kit.counters.snapshot()
        assert all((c["api"], c["method"]) in kinds for c in calls), calls
        return [c["method"] for c in calls if kinds[(c["api"], c["method"])] == "write"]

    first = provision(google_setup.config)
    assert first.exit_code == 0, first.output
    assert "spreadsheets.batchUpdate" in writes()  # the People tab, written the first time
    kit.counters.reset()
    second = provision(google_setup.config)
    assert second.exit_code == 0, second.output
    assert kit.counters.total() > 0  # it did look
    assert writes() == []
