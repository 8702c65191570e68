"""Rollup in O(changes): one account (``google.reader``) granted reader on every growth sheet at
provision finds the changed sheets with one listing and reads them, instead of acting as each
person. Everything Google-side runs through the real clients against the sandbox, counted by its
call counters; the reader's view must never let a sheet count that the per-person search would
not (a forged sheet, a trashed one), and people it cannot see are still rolled up, as themselves.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa

from careerdocs import provision as provision_module
from careerdocs import rollup as rollup_module
from careerdocs.cadence import fiscal_year
from careerdocs.cli import cli
from careerdocs.config import load_settings
from careerdocs.provision import (
    NO_LONGER_READER,
    READER_ROLE,
    ROLLUP_READER,
    Revoke,
    Share,
    sheet_access_changes,
)
from careerdocs.roster import Roster, parse_roster
from careerdocs.workspace.base import Artifact, ArtifactKind
from careerdocs.workspace.google import open_google
from careerdocs.workspace.google import reader as reader_module
from careerdocs.workspace.google.access import grant_key
from careerdocs.workspace.google.reader import owned_by, why_rejected

from .conftest import (
    SANDBOX_ADMIN,
    SandboxKit,
    google_config_text,
    make_kit,
    roster_users,
    write_config,
)

TODAY = "2026-11-26"
DAY = date(2026, 11, 26)
FISCAL_YEAR = fiscal_year(DAY, 2)
FY = FISCAL_YEAR.label
READER = "rollup-reader@example.com"
OTHER_READER = "audit-reader@example.com"
ZOE = "zoe.lambert@example.com"
PRIYA = "priya.raman@example.com"
KWAME = "kwame.asante@example.com"
SIOBHAN = "siobhan.obrien@example.com"  # Zoë's manager: writer on her folder
PEOPLE = (SANDBOX_ADMIN, SIOBHAN, ZOE, PRIYA, KWAME)
ROSTER = (
    "Email,Name,Manager Email,Start Date,Department\n"
    f"{SANDBOX_ADMIN},Inês Duarte,,2020-06-01,People\n"
    f"{SIOBHAN},Siobhán O'Brien,,2021-03-15,Engineering\n"
    f"{ZOE},Zoë Lambert,{SIOBHAN},2022-01-10,Engineering\n"
    f"{PRIYA},Priya Raman,{SIOBHAN},2023-02-20,Engineering\n"
    f"{KWAME},Kwame Asante,{SIOBHAN},2024-05-06,Engineering\n"
)
ACKNOWLEDGED = ["2026-10-01", "Siobhán", "career", "where next", True, False]
FORGED = ["2026-11-03", "Siobhán", "career", "forged", True, False]
GROWTH_Q = (
    "appProperties has {{ key='careerdocs_kind' and value='growth_sheet' }} and "
    "appProperties has {{ key='careerdocs_person' and value='{person}' }} and trashed = false"
)


class Company:
    """A sandbox, a five-person roster, and the config pointing at them."""

    def __init__(self, kit: SandboxKit, root: Path) -> None:
        self.kit = kit
        self.root = root
        (root / "key.json").write_text(json.dumps(kit.key), encoding="utf-8")
        (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
        self.use_reader(READER)

    def use_reader(self, reader: str) -> None:
        self.config = write_config(self.root, google_config_text(self.kit.endpoint, reader=reader))

    def invoke(self, *args: str) -> Any:
        return CliRunner().invoke(cli, ["--config", str(self.config), "--today", TODAY, *args])

    def provision(self) -> None:
        result = self.invoke("provision", "--no-notify")
        assert result.exit_code == 0, result.output

    def rollup(self, *args: str) -> dict[str, Any]:
        self.kit.counters.reset()
        result = self.invoke("rollup", "--json", *args)
        assert result.exit_code in (0, 3), result.output
        return json.loads(result.stdout)

    def sheet(self, person: str) -> dict[str, Any]:
        (found,) = (
            self.kit.drive.files()
            .list(q=GROWTH_Q.format(person=person), fields="files(id,appProperties)")
            .execute(http=self.kit.http(person))["files"]
        )
        return found

    def permissions(self, file_id: str, owner: str) -> list[dict[str, Any]]:
        result = (
            self.kit.drive.permissions()
            .list(fileId=file_id, fields="permissions(id,type,role,emailAddress)")
            .execute(http=self.kit.http(owner))
        )
        return list(result["permissions"])

    def log(self, person: str, *rows: list[Any], first_row: int = 2) -> None:
        """``person`` logs ``rows`` in their own Conversations tab (only they may tick)."""
        self.kit.sheets.spreadsheets().values().update(
            spreadsheetId=self.sheet(person)["id"],
            range=f"Conversations!A{first_row}",
            valueInputOption="USER_ENTERED",
            body={"values": [list(r) for r in rows]},
        ).execute(http=self.kit.http(person))

    def calls(self) -> Counter[tuple[str, str, str]]:
        """(api, method, user) -> count since the last rollup began."""
        out: Counter[tuple[str, str, str]] = Counter()
        for c in self.kit.counters.snapshot():
            out[(c["api"], c["method"], c["user"])] += c["count"]
        return out


@pytest.fixture
def company(tmp_path: Path, signing_key: rsa.RSAPrivateKey) -> Iterator[Company]:
    kit = make_kit(signing_key, users=(*roster_users(), READER, OTHER_READER))
    try:
        yield Company(kit, tmp_path)
    finally:
        kit.sandbox.stop()


def the_roster() -> Roster:
    header, *rows = [line.split(",") for line in ROSTER.splitlines()]
    return parse_roster(header, rows, allowed_domains=["example.com"])


def person(report: dict[str, Any], email: str) -> dict[str, Any]:
    return next(p for p in report["people"] if p["email"] == email)


def tokens_for(calls: Counter[tuple[str, str, str]]) -> set[str]:
    return {user for (api, _, user), n in calls.items() if api == "oauth" and n}


def reads_by(calls: Counter[tuple[str, str, str]], user: str) -> int:
    return calls[("sheets", "spreadsheets.get", user)]


# -- provision: the recorded grant ---------------------------------------------------------------


def test_provision_grants_the_reader_reader_on_every_growth_sheet_and_records_it(
    company: Company,
) -> None:
    company.provision()
    for who in PEOPLE:
        sheet = company.sheet(who)
        grants = [p for p in company.permissions(sheet["id"], who) if p["emailAddress"] == READER]
        assert [(g["type"], g["role"]) for g in grants] == [("user", READER_ROLE)]
        assert sheet["appProperties"][grant_key(READER)] == f"{READER_ROLE}:{READER}"
        assert all(p["type"] != "anyone" for p in company.permissions(sheet["id"], who))
    again = company.invoke("provision", "--no-notify", "--dry-run")
    assert "growth sheet" not in again.output  # converged: nothing more to grant


def test_a_changed_reader_takes_the_grant_with_it(company: Company) -> None:
    company.provision()
    company.use_reader(OTHER_READER)
    plan = company.invoke("provision", "--no-notify", "--dry-run")
    assert f"{ZOE}: revoke {READER}'s reader access to the growth sheet" in plan.output
    assert f"{ZOE}: share growth sheet with {OTHER_READER} as reader" in plan.output
    company.provision()
    sheet = company.sheet(ZOE)
    holders = {p["emailAddress"] for p in company.permissions(sheet["id"], ZOE)}
    assert OTHER_READER in holders and READER not in holders
    assert grant_key(READER) not in sheet["appProperties"]
    assert grant_key(OTHER_READER) in sheet["appProperties"]


# -- rollup: what it costs -----------------------------------------------------------------------


def test_an_incremental_rollup_reads_only_the_changed_sheets_as_the_reader(
    company: Company,
) -> None:
    company.provision()
    first = company.rollup()
    assert first["counts"]["sheets_read"] == len(PEOPLE)
    company.log(ZOE, ACKNOWLEDGED)
    company.log(PRIYA, ACKNOWLEDGED)
    second = company.rollup()
    calls = company.calls()
    assert (second["counts"]["sheets_read"], second["counts"]["sheets_cached"]) == (2, 3)
    assert person(second, ZOE)["status"] == "acknowledged"
    assert person(second, PRIYA)["status"] == "acknowledged"
    assert reads_by(calls, READER) == 2
    assert tokens_for(calls) == {SANDBOX_ADMIN, READER}  # no one is impersonated to find them
    sheets = sum(n for (api, _, _), n in calls.items() if api == "sheets")
    others = sum(n for (api, _, _), n in calls.items() if api != "sheets")
    # the two sheets; the central sheet's tabs and Status read, then its tabs read and written
    assert sheets == 2 + 4
    assert others <= 10
    nothing = company.rollup()
    assert nothing["counts"]["sheets_read"] == 0


def test_a_full_rollup_finds_every_sheet_in_one_listing_and_reads_each_as_its_owner(
    company: Company,
) -> None:
    """The owner sees the protection's editors, which Google never shows a reader; and reading
    as each owner spends the project's Sheets quota, not one account's 60 reads a minute."""
    company.provision()
    company.rollup()
    company.rollup("--full")
    calls = company.calls()
    for who in PEOPLE:
        assert reads_by(calls, who) >= 1
    assert reads_by(calls, READER) == 0
    searches_as_people = sum(
        n for (api, method, user), n in calls.items() if api == "drive" and user in PEOPLE[1:]
    )
    assert searches_as_people == 0


# -- rollup: what the reader's view must not be trusted with ------------------------------------


def forge(company: Company, forger: str, victim: str) -> str:
    """``forger`` makes a spreadsheet carrying careerdocs' markers for ``victim`` (the same app,
    so the same appProperties), with an acknowledged row, and shares it with the reader."""
    drive = company.kit.drive
    http = company.kit.http(forger)
    made = (
        drive.files()
        .create(
            body={
                "name": "Growth plan",
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "appProperties": {
                    "careerdocs_kind": "growth_sheet",
                    "careerdocs_person": victim,
                    "careerdocs_fy": FY,
                    "careerdocs_filled": "yes",
                    "careerdocs_protected": "yes",
                    "careerdocs_tab": "0",
                },
            },
            fields="id",
        )
        .execute(http=http)
    )
    company.kit.sheets.spreadsheets().batchUpdate(
        spreadsheetId=made["id"],
        body={
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": 0, "title": "Conversations"},
                        "fields": "title",
                    }
                }
            ]
        },
    ).execute(http=http)
    company.kit.sheets.spreadsheets().values().update(
        spreadsheetId=made["id"],
        range="Conversations!A1",
        valueInputOption="USER_ENTERED",
        body={
            "values": [["Date", "With whom", "Type", "Notes", "Acknowledged", "Escalation"], FORGED]
        },
    ).execute(http=http)
    drive.permissions().create(
        fileId=made["id"],
        body={"type": "user", "role": "reader", "emailAddress": READER},
        sendNotificationEmail=False,
    ).execute(http=http)
    return str(made["id"])


@pytest.mark.parametrize("run", [(), ("--full",)], ids=["incremental", "full"])
def test_a_forged_sheet_shared_with_the_reader_never_counts(
    company: Company, run: tuple[str, ...]
) -> None:
    """Made *before* Zoë's real sheet, so an earliest-created rule alone would pick it."""
    forged = forge(company, SIOBHAN, ZOE)
    company.provision()
    company.rollup()
    company.log(SIOBHAN, ["2026-10-02", "Rahul", "career", "", True, False])  # a change to list
    report = company.rollup(*run)
    assert person(report, ZOE)["acknowledged"] == 0
    assert person(report, ZOE)["status"] == "due"
    calls = company.calls()
    assert reads_by(calls, SIOBHAN) + reads_by(calls, READER) >= 1
    assert all(forged not in p for p in report["data_problems"])


def test_a_sheet_whose_reader_grant_was_removed_falls_back_to_its_owner(
    company: Company,
) -> None:
    company.provision()
    company.rollup()
    sheet = company.sheet(ZOE)
    (grant,) = [p for p in company.permissions(sheet["id"], ZOE) if p["emailAddress"] == READER]
    company.kit.drive.permissions().delete(fileId=sheet["id"], permissionId=grant["id"]).execute(
        http=company.kit.http(ZOE)
    )
    company.log(ZOE, ACKNOWLEDGED)
    report = company.rollup()
    calls = company.calls()
    assert person(report, ZOE)["status"] == "acknowledged"
    assert reads_by(calls, ZOE) == 1 and reads_by(calls, READER) == 0
    assert ZOE in tokens_for(calls)
    assert tokens_for(calls) <= {SANDBOX_ADMIN, READER, ZOE}  # only Zoë is looked for as herself


def test_documents_made_before_the_reader_existed_are_rolled_up_as_their_owners(
    company: Company,
) -> None:
    """Sheets without a reader grant (provisioned by an earlier version): every person is
    still rolled up, found and read as themselves."""
    company.provision()
    for who in PEOPLE:
        sheet = company.sheet(who)
        (grant,) = [p for p in company.permissions(sheet["id"], who) if p["emailAddress"] == READER]
        company.kit.drive.permissions().delete(
            fileId=sheet["id"], permissionId=grant["id"]
        ).execute(http=company.kit.http(who))
    company.log(ZOE, ACKNOWLEDGED)
    report = company.rollup()
    assert report["counts"]["sheets_read"] == len(PEOPLE)
    assert person(report, ZOE)["status"] == "acknowledged"
    assert report["failures"] == {}


def test_a_trashed_sheet_is_not_counted(company: Company) -> None:
    company.provision()
    company.log(ZOE, ACKNOWLEDGED)
    company.rollup()
    company.kit.drive.files().update(
        fileId=company.sheet(ZOE)["id"], body={"trashed": True}
    ).execute(http=company.kit.http(ZOE))
    for run in ((), ("--full",)):
        report = company.rollup(*run)
        assert person(report, ZOE)["status"] == "not provisioned"


def test_a_change_made_while_rollup_reads_is_read_by_the_next_run(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cursor is taken before the listing: a change landing after the sheet was read (with
    no margin for clock skew at all, as here) is listed and read next time."""
    monkeypatch.setattr(reader_module, "CLOCK_SKEW", timedelta(0))
    company.provision()
    settings = load_settings(company.config)
    roster = the_roster()
    state = company.root / "rollup-state.json"

    def once(change: bool) -> rollup_module.RollupResult:
        workspace = open_google(settings)
        read = workspace.read_conversations

        def read_then_change(sheets: list[Artifact]) -> Any:
            got = read(sheets)
            if change and any(s.person == ZOE for s in sheets):
                company.log(ZOE, ACKNOWLEDGED)
            return got

        monkeypatch.setattr(workspace, "read_conversations", read_then_change)
        return rollup_module.run(
            workspace,
            roster,
            fy=FISCAL_YEAR,
            today=DAY,
            now=datetime(2026, 11, 26, 6),
            state_path=state,
        )

    first = once(change=True)
    zoe = next(o for o in first.outcomes if o.person.email == ZOE)
    assert zoe.status.acknowledged_count == 0  # read before her change
    second = once(change=False)
    zoe = next(o for o in second.outcomes if o.person.email == ZOE)
    assert second.sheets_read == 1 and zoe.status.acknowledged_count == 1


# -- the pure parts ----------------------------------------------------------------------------


def sheet_with(shares: tuple[tuple[str, str], ...], grants: tuple[tuple[str, str], ...]) -> Any:
    return Artifact(
        ArtifactKind.GROWTH_SHEET, ZOE, FY, "s1", "Growth", "u", shares=shares, grants=grants
    )


@pytest.mark.parametrize(
    ("reader", "sheet", "shares", "revokes"),
    [
        ("r@x.com", None, [Share("r@x.com", READER_ROLE, ROLLUP_READER)], []),
        ("r@x.com", sheet_with((), ()), [Share("r@x.com", READER_ROLE, ROLLUP_READER)], []),
        ("r@x.com", sheet_with((("r@x.com", "reader"),), (("r@x.com", "reader"),)), [], []),
        ("r@x.com", sheet_with((("r@x.com", "writer"),), ()), [], []),  # already sees it
        (
            "new@x.com",
            sheet_with((("old@x.com", "reader"),), (("old@x.com", "reader"),)),
            [Share("new@x.com", READER_ROLE, ROLLUP_READER)],
            [Revoke("old@x.com", "reader", NO_LONGER_READER)],
        ),
        (
            None,
            sheet_with((("old@x.com", "reader"),), (("old@x.com", "reader"),)),
            [],
            [Revoke("old@x.com", "reader", NO_LONGER_READER)],
        ),
        ("m@x.com", sheet_with((("m@x.com", "writer"),), ()), [], []),  # a hand-made share stays
    ],
    ids=[
        "new-sheet",
        "not-yet-granted",
        "granted",
        "has-more-already",
        "reader-changed",
        "no-reader-any-more",
        "hand-made",
    ],
)
def test_sheet_access_changes(
    reader: str | None, sheet: Artifact | None, shares: list[Share], revokes: list[Revoke]
) -> None:
    assert sheet_access_changes(reader, sheet) == (shares, revokes)


def test_no_reader_grant_outside_my_drive_or_allowed_domains(company: Company) -> None:
    settings = load_settings(company.config)
    zoe = the_roster().get(ZOE)
    assert zoe is not None
    assert provision_module.rollup_reader(zoe, settings) == READER
    outside = dataclasses.replace(settings, allowed_domains=("elsewhere.com",))
    assert provision_module.rollup_reader(zoe, outside) is None


@pytest.mark.parametrize(
    ("props", "owners", "why"),
    [
        ({"careerdocs_kind": "growth_sheet", "careerdocs_person": ZOE}, [ZOE], None),
        ({"careerdocs_kind": "growth_sheet", "careerdocs_person": ZOE}, [SIOBHAN], "owned by"),
        ({"careerdocs_kind": "growth_sheet", "careerdocs_person": ZOE}, [], "owned by no one"),
        ({"careerdocs_kind": "growth_sheet", "careerdocs_person": ZOE}, [ZOE, SIOBHAN], "owned"),
        ({"careerdocs_kind": "igp", "careerdocs_person": ZOE}, [ZOE], "not a growth sheet"),
        (
            {"careerdocs_kind": "growth_sheet", "careerdocs_person": "x@y.com"},
            ["x@y.com"],
            "roster",
        ),
    ],
    ids=["theirs", "someone-elses", "no-owner", "two-owners", "not-a-sheet", "not-in-roster"],
)
def test_which_listed_files_count(
    props: dict[str, str], owners: list[str], why: str | None
) -> None:
    f = {
        "id": "f",
        "appProperties": {**props, "careerdocs_fy": FY},
        "owners": [{"emailAddress": o} for o in owners],
    }
    got = why_rejected(f, {ZOE}, FY)
    assert (got is None) if why is None else (got is not None and why in got)
    assert owned_by(f, ZOE) == (owners == [ZOE])
