"""Specification of `careerdocs rollup` and `careerdocs status` (issue 4), end to end through the
CLI: every test runs on the local backend and on the sandbox, over the example roster.

Each backend is provisioned once per module (everyone but Mei Chen, who stays "not
provisioned") and every test starts from a fresh copy of that: a copied folder locally, a
sandbox restarted from a copy of the saved sandbox state on the Google path. People then log
their conversations as themselves — openpyxl on their .xlsx, gspread acting as them on Google.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import resource
import shutil
import signal
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import rsa
from gspread.cell import Cell

from careerdocs.cadence import COUNTING_RULE
from careerdocs.cli import cli
from careerdocs.errors import ExitCode
from careerdocs.lock import exclusive
from careerdocs.rollup import LEFT_ROSTER, STATUS_HEADER
from careerdocs.sandbox.server import Sandbox, SandboxOptions
from careerdocs.sandbox.spreadsheet import CELL_LIMIT
from careerdocs.workspace.base import ArtifactKind
from careerdocs.workspace.google.auth import CredentialFactory
from careerdocs.workspace.google.clients import Clients
from careerdocs.workspace.local import LocalWorkspace

from .conftest import (
    EXAMPLE_ROSTER,
    LOCAL_CONFIG,
    SANDBOX_ADMIN,
    SandboxKit,
    google_config_text,
    roster_users,
    talk,
    write_config,
)

TODAY = "2026-11-26"  # FY2027 (Feb 2026 – Jan 2027), in Q4
FY = "FY2027"
DEADLINE = "2026-11-15"

# The example roster, and the part each person plays here.
MARGARET = "margaret.okafor@example.com"  # CEO; no conversation: due
RAHUL = "rahul.mehta@example.com"  # Siobhán's manager, so Priya's skip-level
INES = "ines.duarte@example.com"  # Head of People, the Google admin
AMARA = "amara.nwosu@example.com"  # PBP, in People
SIOBHAN = "siobhan.obrien@example.com"  # career conversations in Q2 and Q4: on cadence
JOSE = "jose.alvarez@example.com"
ZOE = "zoe.lambert@example.com"  # "=Zoë Lambert"; one in Q2: acknowledged
PRIYA = "priya.raman@example.com"  # the IGP flow: skip-level, then manager 1:1: acknowledged
KWAME = "kwame.asante@example.com"  # a conversation he never acknowledged: due
BJORN = "bjorn.lindqvist@example.com"  # only rows with bad dates: due, with data problems
MEI = "mei.chen@example.com"  # never provisioned
LEA = "lea.moreau@example.com"  # started 2026-10-05: not yet due
PROVISIONED = [email for email in roster_users(EXAMPLE_ROSTER) if email != MEI]
PEOPLE = 12
SHEETS = PEOPLE - 1

CONVERSATIONS = "Conversations"
STATUS, SUMMARY, ESCALATIONS = "Status", "Summary", "Escalations"
ESCALATION_NOTE = "wants to move to security; the role does not allow it"


SCENARIO: dict[str, list[list[Any]]] = {
    SIOBHAN: [talk("2026-06-15"), talk("2026-11-10")],
    ZOE: [talk("2026-06-10")],
    PRIYA: [
        talk("2026-09-01", "skip-level"),
        talk("2026-09-15", "manager 1:1", escalation=True, notes=ESCALATION_NOTE),
    ],
    KWAME: [talk("2026-10-01", acknowledged=False, escalation=True)],
    BJORN: [talk("soon"), talk("2026-12-20"), talk("2025-12-01")],
}
BJORN_PROBLEMS = [
    f"{BJORN} row 2: date 'soon' is not a date",
    f"{BJORN} row 3: date 2026-12-20 is in the future",
    f"{BJORN} row 4: date 2025-12-01 is outside FY2027 (2026-02-01 – 2027-01-31)",
]
STATUSES_BEFORE_DEADLINE = {
    MARGARET: "due",
    RAHUL: "due",
    INES: "due",
    AMARA: "due",
    SIOBHAN: "on cadence",
    JOSE: "due",
    ZOE: "acknowledged",
    PRIYA: "acknowledged",
    KWAME: "due",
    BJORN: "due",
    MEI: "not provisioned",
    LEA: "not yet due",
}
STATUSES_AFTER_DEADLINE = {
    email: "overdue" if status == "due" else status
    for email, status in STATUSES_BEFORE_DEADLINE.items()
}

# The account rollup finds and reads changed growth sheets as (google.reader): one of its own, so
# that the sandbox's counters tell its reads from the admin's reads of the central sheet.
ROLLUP_READER = "rollup-reader@example.com"
ROLLUP_TABLE = "[rollup]\n"
AUDIT_LOG = "audit.jsonl"


def invoke(config: Path, *args: str, today: str = TODAY) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--today", today, *args])


def provision_all_but_mei(config: Path) -> None:
    only = [arg for email in PROVISIONED for arg in ("--only", email)]
    result = invoke(config, "provision", "--no-notify", *only)
    assert result.exit_code == 0, result.output


def _displayed(cell: Any) -> Any:
    """An .xlsx cell's value as the central sheet's number formats show it."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        if cell.number_format == "d mmm yyyy":
            return f"{value.day} {value:%b %Y}"
        return f"{value.day} {value:%b %Y %H:%M}"
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    if cell.number_format == "0%":
        return f"{round(value * 100)}%"
    return value


def records(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, dict[str, str]]:
    """Rows of a Status-like tab by lower-case email, each cell as text ("" when empty)."""
    at = list(header).index("Email")
    out = {}
    for row in rows:
        cells = ["" if c is None else str(c) for c in row] + [""] * (len(header) - len(row))
        out[cells[at].lower()] = dict(zip(header, cells, strict=False))
    return out


# -- the two backends, behind one small interface ------------------------------------------------


@dataclass
class Env(ABC):
    """A provisioned careerdocs installation a test can drive and inspect."""

    backend: str
    root: Path
    config: Path

    @property
    def state_file(self) -> Path:
        return self.root / "rollup-state.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "rollup.lock"

    def cli(self, *args: str) -> Result:
        return invoke(self.config, *args)

    def rollup(self, *args: str) -> tuple[Result, dict[str, Any]]:
        """`rollup --json`: the result, and the JSON report ({} when none was printed)."""
        result = self.cli("rollup", "--json", *args)
        return result, json.loads(result.stdout) if result.stdout.strip() else {}

    def rollup_ok(self, *args: str) -> dict[str, Any]:
        result, report = self.rollup(*args)
        assert result.exit_code == 0, result.output
        return report

    def log_scenario(self) -> None:
        for email, rows in SCENARIO.items():
            self.log(email, rows)

    def set_deadline(self, day: str) -> None:
        text = self.config.read_text(encoding="utf-8")
        self.config.write_text(
            text.replace(ROLLUP_TABLE, f'{ROLLUP_TABLE}deadline = "{day}"\n'), encoding="utf-8"
        )

    def edit_roster(self, *, drop: Sequence[str] = (), reverse: bool = False) -> None:
        path = self.root / "roster.csv"
        header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [r for r in rows if r.split(",", 1)[0] not in drop]
        path.write_text(header + "".join(reversed(kept) if reverse else kept), encoding="utf-8")

    def status_records(self) -> dict[str, dict[str, str]]:
        return records(*self.tab(STATUS))

    # Backend-specific: implemented by LocalEnv and GoogleEnv.

    @abstractmethod
    def log(self, email: str, rows: Sequence[Sequence[Any]]) -> None:
        """Write ``rows`` under the Conversations header of ``email``'s growth sheet, as them."""

    @abstractmethod
    def tab(self, title: str) -> tuple[list[str], list[list[Any]]]:
        """Header and rows of a central tab as displayed."""

    @abstractmethod
    def stored_name(self, email: str) -> tuple[str, str]:
        """How the Status tab stores ``email``'s Name cell: ("text" | "formula", content)."""

    @abstractmethod
    def add_status_column(self, header: str, values: Mapping[str, str]) -> None:
        """Add a column right of the Status tab's columns, the way a PBP would by hand."""

    @abstractmethod
    def break_sheet(self, email: str) -> None:
        """Make ``email``'s growth sheet impossible to read."""

    @abstractmethod
    def central_snapshot(self) -> Any:
        """Everything in the central sheet, to compare before and after."""

    @abstractmethod
    def central_write_fails(self) -> AbstractContextManager[None]:
        """While inside, the next central write fails for a real storage reason; its error
        message contains :attr:`write_failure`."""

    @property
    @abstractmethod
    def write_failure(self) -> str: ...


@dataclass
class LocalEnv(Env):
    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def central(self) -> Path:
        return self.out / "central.xlsx"

    def _sheet_path(self, email: str) -> Path:
        workspace = LocalWorkspace(self.out, self.central)
        sheet = workspace.find_artifacts([email], FY)[email][ArtifactKind.GROWTH_SHEET]
        return self.out / sheet.id

    def log(self, email: str, rows: Sequence[Sequence[Any]]) -> None:
        path = self._sheet_path(email)
        workbook = openpyxl.load_workbook(path)
        sheet = workbook[CONVERSATIONS]
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                sheet.cell(row=r, column=c, value=_as_excel(value))
        workbook.save(path)

    def tab(self, title: str) -> tuple[list[str], list[list[Any]]]:
        """As displayed: dates and percentages in their number formats, like Google's
        FORMATTED_VALUE."""
        sheet = openpyxl.load_workbook(self.central)[title]
        header, *rows = [[_displayed(c) for c in row] for row in sheet.iter_rows()]
        return [str(h) for h in header if h != ""], rows

    def stored_name(self, email: str) -> tuple[str, str]:
        sheet = openpyxl.load_workbook(self.central)[STATUS]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == email)
        return ("formula" if row[0].data_type == "f" else "text"), row[0].value

    def add_status_column(self, header: str, values: Mapping[str, str]) -> None:
        workbook = openpyxl.load_workbook(self.central)
        sheet = workbook[STATUS]
        column = sheet.max_column + 1
        sheet.cell(row=1, column=column, value=header)
        for row in sheet.iter_rows(min_row=2):
            if row[1].value in values:
                sheet.cell(row=row[1].row, column=column, value=values[row[1].value])
        workbook.save(self.central)

    def break_sheet(self, email: str) -> None:
        self._sheet_path(email).write_bytes(b"this is not a workbook any more")

    def central_snapshot(self) -> bytes:
        return self.central.read_bytes()

    @contextmanager
    def central_write_fails(self) -> Iterator[None]:
        """The disk is full: no file may grow — not the central workbook (nor openpyxl's
        temporary files for it), and not the audit log either."""
        with file_size_limit((self.root / AUDIT_LOG).stat().st_size):
            yield

    @property
    def write_failure(self) -> str:
        return f"cannot write {self.central}"


def _as_excel(value: Any) -> Any:
    """What a person typing into Excel stores: real dates for ISO dates, else the value."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


@contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """RLIMIT_FSIZE for this process (root is bound by it too, unlike file permissions);
    SIGXFSZ is ignored meanwhile so an oversized write fails with EFBIG instead of killing."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@dataclass
class GoogleEnv(Env):
    kit: SandboxKit
    admin: str = SANDBOX_ADMIN

    own_gets: int = 0  # spreadsheets.get calls this test helper made itself

    def _all_sheet_gets(self) -> int:
        return sum(
            c["count"]
            for c in self.kit.counters.snapshot()
            if c["method"] == "spreadsheets.get" and c["user"] != self.admin
        )

    def sheet_reads(self) -> int:
        """Growth-sheet reads careerdocs made so far: one ``spreadsheets.get`` each, as the
        sheet's owner (a full run) or as google.reader (an incremental one). The admin's own
        reads are left out (they include the central sheet's), so the admin's growth sheet is
        not counted on a full run: see :data:`COUNTED_SHEETS`."""
        return self._all_sheet_gets() - self.own_gets

    def _sheet_id(self, email: str) -> str:
        q = (
            f"appProperties has {{ key='careerdocs_person' and value='{email}' }} and "
            f"appProperties has {{ key='careerdocs_kind' and value='growth_sheet' }} and "
            "trashed = false"
        )
        files = (
            self.kit.drive.files()
            .list(q=q, fields="files(id)")
            .execute(http=self.kit.http(email))["files"]
        )
        assert len(files) == 1, files
        return files[0]["id"]

    @property
    def central_id(self) -> str:
        q = "appProperties has { key='careerdocs_kind' and value='central' } and trashed = false"
        files = (
            self.kit.drive.files()
            .list(q=q, fields="files(id)")
            .execute(http=self.kit.http(self.admin))["files"]
        )
        assert len(files) == 1, files
        return files[0]["id"]

    def log(self, email: str, rows: Sequence[Sequence[Any]]) -> None:
        before = self._all_sheet_gets()
        sheet = self.kit.gspread(email).open_by_key(self._sheet_id(email))
        sheet.worksheet(CONVERSATIONS).update(
            [list(r) for r in rows], "A2", value_input_option="USER_ENTERED"
        )
        self.own_gets += self._all_sheet_gets() - before  # gspread reads the sheet's metadata

    def _values(self, ranges: Sequence[str], render: str) -> list[list[list[Any]]]:
        result = (
            self.kit.sheets.spreadsheets()
            .values()
            .batchGet(
                spreadsheetId=self.central_id,
                ranges=list(ranges),
                valueRenderOption=render,
            )
            .execute(http=self.kit.http(self.admin))
        )
        return [vr.get("values", []) for vr in result["valueRanges"]]

    def tab(self, title: str) -> tuple[list[str], list[list[Any]]]:
        header, *rows = self._values([title], "FORMATTED_VALUE")[0]
        return header, rows

    def stored_name(self, email: str) -> tuple[str, str]:
        data = (
            self.kit.sheets.spreadsheets()
            .get(
                spreadsheetId=self.central_id,
                ranges=[STATUS],
                includeGridData=True,
                fields="sheets(data(rowData(values(userEnteredValue))))",
            )
            .execute(http=self.kit.http(self.admin))
        )
        for row in data["sheets"][0]["data"][0]["rowData"]:
            cells = [c.get("userEnteredValue", {}) for c in row["values"]]
            if cells[1].get("stringValue") == email:
                name = cells[0]
                if "formulaValue" in name:
                    return "formula", name["formulaValue"]
                return "text", name["stringValue"]
        raise AssertionError(f"{email} is not in the Status tab")

    def add_status_column(self, header: str, values: Mapping[str, str]) -> None:
        sheet = self.kit.gspread(self.admin).open_by_key(self.central_id).worksheet(STATUS)
        sheet.add_cols(1)
        column = sheet.col_count
        cells = [Cell(1, column, header)]
        cells += [
            Cell(row, column, values[email])
            for row, email in enumerate(sheet.col_values(2), start=1)
            if email in values
        ]
        sheet.update_cells(cells, value_input_option="RAW")

    def break_sheet(self, email: str) -> None:
        """Sheets can no longer read the file (its content is gone, as after a failed
        conversion). No API call leads there, so this reaches into the sandbox's store. Deleting
        the Conversations tab is not "unreadable" any more: it makes the sheet untrusted
        (tests/test_trust_google.py)."""
        store, sheet_id = self.kit.store, self._sheet_id(email)
        with store.lock:
            f = store.files[sheet_id]
            f.sheet = None
            store.touch(f, email)

    def _meta(self) -> list[dict[str, Any]]:
        return (
            self.kit.sheets.spreadsheets()
            .get(
                spreadsheetId=self.central_id,
                fields="sheets(properties(sheetId,title,gridProperties),charts(chartId))",
            )
            .execute(http=self.kit.http(self.admin))["sheets"]
        )

    def central_snapshot(self) -> Any:
        meta = self._meta()
        titles = [s["properties"]["title"] for s in meta]
        return meta, dict(zip(titles, self._values(titles, "FORMULA"), strict=True))

    def _batch_update(self, *requests: dict[str, Any]) -> dict[str, Any]:
        return (
            self.kit.sheets.spreadsheets()
            .batchUpdate(
                spreadsheetId=self.central_id,
                body={"requests": list(requests)},
            )
            .execute(http=self.kit.http(self.admin))
        )

    write_failure = f"above the limit of {CELL_LIMIT} cells"

    @contextmanager
    def central_write_fails(self) -> Iterator[None]:
        """Someone parks an archive tab that takes the central sheet to exactly Google's cell
        limit: the next write that needs one more cell is refused — the whole batchUpdate, even
        though the tabs written before the one that grows were fine."""
        used = sum(
            s["properties"]["gridProperties"]["rowCount"]
            * s["properties"]["gridProperties"]["columnCount"]
            for s in self._meta()
        )
        reply = self._batch_update(
            {
                "addSheet": {
                    "properties": {
                        "title": "Archive",
                        "gridProperties": {"rowCount": CELL_LIMIT - used, "columnCount": 1},
                    }
                }
            }
        )
        archive = reply["replies"][0]["addSheet"]["properties"]["sheetId"]
        try:
            yield
        finally:
            self._batch_update({"deleteSheet": {"sheetId": archive}})


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("local-provisioned")
    shutil.copy(EXAMPLE_ROSTER, root / "roster.csv")
    provision_all_but_mei(write_config(root, LOCAL_CONFIG))
    (root / AUDIT_LOG).unlink()  # each test's audit log holds its own runs only
    return root


@dataclass(frozen=True)
class GoogleTemplate:
    state_dir: Path
    key: dict[str, Any]


def write_google_config(root: Path, key: Mapping[str, Any], sandbox: Sandbox) -> Path:
    (root / "key.json").write_text(json.dumps(key), encoding="utf-8")
    shutil.copy(EXAMPLE_ROSTER, root / "roster.csv")
    return write_config(
        root,
        google_config_text(sandbox.endpoint, reader=ROLLUP_READER),
    )


@pytest.fixture(scope="module")
def google_template(
    tmp_path_factory: pytest.TempPathFactory, signing_key: rsa.RSAPrivateKey
) -> GoogleTemplate:
    """A sandbox seeded with the roster's users and provisioned, saved to a state directory.

    It runs in memory and is given its state directory only when stopping, so its state is
    saved exactly once, by ``stop()``, with no background save running at the same time."""
    root = tmp_path_factory.mktemp("google-provisioned")
    sandbox = Sandbox()
    sandbox.start()
    try:
        for user in (*roster_users(EXAMPLE_ROSTER), ROLLUP_READER):
            sandbox.add_user(user)
        key = sandbox.service_account_key(private_key=signing_key)
        provision_all_but_mei(write_google_config(root, key, sandbox))
    finally:
        sandbox.options.state_dir = root / "state"
        sandbox.stop()
    return GoogleTemplate(root / "state", key)


def local_env(template: Path, tmp_path: Path) -> Iterator[Env]:
    root = tmp_path / "local"
    shutil.copytree(template, root)
    yield LocalEnv("local", root, root / "careerdocs.toml")
    gc.collect()  # what a test's runs left behind is finalised within that test


def google_env(template: GoogleTemplate, tmp_path: Path) -> Iterator[Env]:
    """The provisioned sandbox, restarted from its saved state on a new port (the key's
    token_uri follows it). It runs in memory: the template stays as saved for the next test."""
    sandbox = Sandbox(SandboxOptions(state_dir=template.state_dir))
    sandbox.options.state_dir = None
    sandbox.start()
    try:
        key = {**template.key, "token_uri": sandbox.token_uri}
        root = tmp_path / "google"
        root.mkdir()
        config = write_google_config(root, key, sandbox)
        kit = SandboxKit(sandbox, key, Clients(CredentialFactory(key), sandbox.endpoint))
        yield GoogleEnv("google", root, config, kit)
    finally:
        sandbox.stop()


@pytest.fixture(params=["local", pytest.param("google", marks=pytest.mark.google)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    if request.param == "local":
        yield from local_env(request.getfixturevalue("local_template"), tmp_path)
    else:
        yield from google_env(request.getfixturevalue("google_template"), tmp_path)


@pytest.fixture
def local(local_template: Path, tmp_path: Path) -> Iterator[Env]:
    yield from local_env(local_template, tmp_path)


# -- statuses and flags --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "deadline, expected",
    [
        (None, STATUSES_BEFORE_DEADLINE),
        (DEADLINE, STATUSES_AFTER_DEADLINE),
    ],
    ids=["before-any-deadline", "after-the-deadline"],
)
def test_rollup_derives_each_persons_status(
    env: Env, deadline: str | None, expected: dict[str, str]
) -> None:
    if deadline:
        env.set_deadline(deadline)
    env.log_scenario()
    report = env.rollup_ok()
    assert {p["email"]: p["status"] for p in report["people"]} == expected
    assert {email: r["Status"] for email, r in env.status_records().items()} == expected


def test_rollup_flags_meetings_and_escalations_for_the_skip_level_manager(env: Env) -> None:
    env.log_scenario()
    env.rollup_ok()
    status = env.status_records()
    flags = (
        "Q2",
        "Q4",
        "Skip-level meeting",
        "Manager meeting",
        "Escalation",
        "Career conversations",
    )
    assert {f: status[PRIYA][f] for f in flags} == {
        "Q2": "no",
        "Q4": "no",
        "Skip-level meeting": "yes",
        "Manager meeting": "yes",
        "Escalation": "yes",
        "Career conversations": "1",
    }
    assert {f: status[SIOBHAN][f] for f in flags[:2]} == {"Q2": "yes", "Q4": "yes"}
    assert {f: status[ZOE][f] for f in flags[:2]} == {"Q2": "yes", "Q4": "no"}
    # Kwame ticked escalation on a conversation he never acknowledged: it counts for nothing.
    assert {f: status[KWAME][f] for f in ("Escalation", "Career conversations", "Status")} == {
        "Escalation": "no",
        "Career conversations": "0",
        "Status": "due",
    }
    header, rows = env.tab(ESCALATIONS)
    assert header == [
        "Skip-level manager",
        "Skip-level email",
        "Name",
        "Email",
        "Manager",
        "Manager email",
        "Date",
        "Notes",
    ]
    assert rows == [
        [
            "Rahul Mehta",
            RAHUL,
            "Priya Raman 🚀",
            PRIYA,
            "Siobhán O'Brien",
            SIOBHAN,
            "15 Sep 2026",
            ESCALATION_NOTE,
        ]
    ]


def test_rows_with_bad_dates_are_reported_as_data_problems_not_dropped(env: Env) -> None:
    env.log(BJORN, SCENARIO[BJORN])
    result = env.cli("rollup")
    assert result.exit_code == 0, result.output
    assert [
        line.removeprefix("data problem: ")
        for line in result.stderr.splitlines()
        if line.startswith("data problem: ")
    ] == BJORN_PROBLEMS
    report = env.rollup_ok()  # served from the cache now: the problems are still reported
    assert report["data_problems"] == BJORN_PROBLEMS
    bjorn = env.status_records()[BJORN]
    assert (bjorn["Status"], bjorn["Career conversations"]) == ("due", "0")
    assert bjorn["Data problems"] == "; ".join(p.split(" ", 1)[1] for p in BJORN_PROBLEMS)


def test_summary_counts_each_department_with_percent_acknowledged(env: Env) -> None:
    env.log_scenario()
    env.rollup_ok()
    header, rows = env.tab(SUMMARY)
    assert header == [
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
    ]
    by_name = {(r[0], r[1], r[2]): [str(c) for c in r[3:]] for r in rows}
    # Engineering: 9 people, Léa not yet due; Zoë, Priya and Siobhán are 3 of the other 8.
    assert by_name[("Department", "Engineering", "")] == ["9", "1", "1", "4", "2", "1", "0", "38%"]
    siobhan = ("Manager", "Siobhán O'Brien", SIOBHAN)
    assert by_name[siobhan] == ["3", "0", "0", "1", "2", "0", "0", "67%"]
    assert by_name[("All", "Everyone", "")] == ["12", "1", "1", "7", "2", "1", "0", "27%"]


# -- incremental runs ----------------------------------------------------------------------------


class SheetReads:
    """Growth-sheet reads as the sandbox counted them (the Google path only), except the
    admin's own sheet, which is read as the admin like the central sheet."""

    def __init__(self, env: Env) -> None:
        self.env = env if isinstance(env, GoogleEnv) else None
        self.last = self.env.sheet_reads() if self.env else 0

    def assert_since_last(self, expected: int) -> None:
        if self.env is None:
            return
        now = self.env.sheet_reads()
        assert now - self.last == expected
        self.last = now


COUNTED_SHEETS = SHEETS - 1  # all growth sheets but the admin's (see GoogleEnv.sheet_reads)


def test_second_rollup_reads_only_the_sheets_changed_since_the_last_run(env: Env) -> None:
    reads = SheetReads(env)
    first = env.rollup_ok()
    assert (first["counts"]["sheets_read"], first["counts"]["sheets_cached"]) == (SHEETS, 0)
    reads.assert_since_last(COUNTED_SHEETS)

    env.log(ZOE, SCENARIO[ZOE])
    second = env.rollup_ok()
    assert (second["counts"]["sheets_read"], second["counts"]["sheets_cached"]) == (1, SHEETS - 1)
    reads.assert_since_last(1)
    assert env.status_records()[ZOE]["Status"] == "acknowledged"

    nothing_changed = env.rollup_ok()
    assert nothing_changed["counts"]["sheets_read"] == 0
    reads.assert_since_last(0)

    full = env.rollup_ok("--full")
    assert (full["counts"]["sheets_read"], full["counts"]["sheets_cached"]) == (SHEETS, 0)
    reads.assert_since_last(COUNTED_SHEETS)


# openpyxl stages each tab in a temporary file; when that write fails, its abandoned writer
# complains again while being garbage-collected (local_env collects it before the test ends).
# The failure itself is asserted below.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_failed_central_write_keeps_previous_central_and_state_so_next_run_rereads(
    env: Env,
) -> None:
    env.rollup_ok()
    before, state = env.central_snapshot(), env.state_file.read_bytes()
    # two escalations: the Escalations tab (one empty row under its header until now) must grow
    env.log(RAHUL, [talk("2026-11-20", escalation=True, notes=ESCALATION_NOTE)])
    env.log(ZOE, [talk("2026-11-02", escalation=True, notes=ESCALATION_NOTE)])
    with env.central_write_fails():
        result, report = env.rollup()
    assert result.exit_code == ExitCode.FAILURE, result.output
    assert result.stderr.startswith("Error: ") and env.write_failure in result.stderr
    assert report == {}
    assert env.central_snapshot() == before
    assert env.state_file.read_bytes() == state

    retry = env.rollup_ok()
    assert retry["counts"]["sheets_read"] == 2  # both changes are read again
    status = env.status_records()
    assert (status[RAHUL]["Status"], status[ZOE]["Escalation"]) == ("acknowledged", "yes")


# -- what the central sheet keeps ----------------------------------------------------------------


def test_columns_users_add_to_the_status_tab_survive_matched_by_email(env: Env) -> None:
    env.rollup_ok()
    env.add_status_column("Coach", {ZOE: "Amara", KWAME: "José"})
    env.edit_roster(reverse=True)  # every row moves: only the email can carry the cell along
    env.log(ZOE, SCENARIO[ZOE])
    env.rollup_ok()
    header, rows = env.tab(STATUS)
    assert header == [*STATUS_HEADER, "Coach"]
    status = records(header, rows)
    assert {email: r["Coach"] for email, r in status.items() if r["Coach"]} == {
        ZOE: "Amara",
        KWAME: "José",
    }
    assert status[ZOE]["Status"] == "acknowledged"
    assert rows[0][1] == LEA  # the roster's order, reversed


def test_name_starting_with_equals_is_stored_as_text_never_a_formula(env: Env) -> None:
    env.rollup_ok()
    assert env.stored_name(ZOE) == ("text", "=Zoë Lambert")
    env.log(ZOE, SCENARIO[ZOE])
    env.rollup_ok()  # rewritten from the cache and the previous tab: still text
    assert env.stored_name(ZOE) == ("text", "=Zoë Lambert")


def test_people_who_left_the_roster_are_marked_not_deleted(env: Env) -> None:
    env.log(KWAME, [talk("2026-10-01")])
    env.rollup_ok()
    kwame_before = env.status_records()[KWAME]
    env.edit_roster(drop=[KWAME])
    report = env.rollup_ok()
    assert report["left_roster"] == [KWAME]
    assert report["counts"]["headcount"] == PEOPLE - 1
    after = env.rollup_ok()  # and on every later run
    assert after["left_roster"] == [KWAME]
    kwame = env.status_records()[KWAME]
    assert kwame["Status"] == LEFT_ROSTER
    assert {k: v for k, v in kwame.items() if k != "Status"} == {
        k: v for k, v in kwame_before.items() if k != "Status"
    }


def test_people_in_the_roster_without_documents_show_not_provisioned(env: Env) -> None:
    report = env.rollup_ok()
    assert report["counts"]["not provisioned"] == 1
    mei = env.status_records()[MEI]
    assert (mei["Status"], mei["Sheet"], mei["Name"]) == (
        "not provisioned",
        "",
        "Mei Chen",
    )


# -- running under cron ------------------------------------------------------------------------


def test_rollup_while_another_holds_the_lock_exits_0_and_writes_nothing(env: Env) -> None:
    before = env.central_snapshot()
    reads = SheetReads(env)
    with exclusive(env.lock_file, "rollup"):
        result = env.cli("rollup")
    assert result.exit_code == ExitCode.OK
    assert "another careerdocs run is running" in result.stderr
    assert result.stdout == ""
    assert env.central_snapshot() == before
    assert not env.state_file.exists()
    reads.assert_since_last(0)


def test_unreadable_sheet_exits_3_and_everything_else_is_written(env: Env) -> None:
    env.log(ZOE, SCENARIO[ZOE])
    env.rollup_ok()
    env.break_sheet(ZOE)
    env.log(RAHUL, [talk("2026-11-20")])
    for args in ((), ("--full",)):
        result, report = env.rollup(*args)
        assert result.exit_code == ExitCode.PARTIAL, result.output
        assert f"Partly done: 1 failed: {ZOE}" in result.stderr
        assert list(report["failures"]) == [ZOE]
        status = env.status_records()
        assert status[RAHUL]["Status"] == "acknowledged"
        # Zoë keeps what her sheet said when it was last read, and the row says why.
        assert status[ZOE]["Status"] == "acknowledged"
        assert status[ZOE]["Data problems"].startswith("could not read the sheet: ")


# -- status --------------------------------------------------------------------------------------


def test_status_filters_by_department_manager_and_overdue(env: Env) -> None:
    env.set_deadline(DEADLINE)
    env.log_scenario()
    env.rollup_ok()

    overdue = env.cli("status", "--overdue", "--json")
    assert overdue.exit_code == 0, overdue.output
    expected = {e for e, s in STATUSES_AFTER_DEADLINE.items() if s == "overdue"}
    assert {r["Email"] for r in json.loads(overdue.stdout)} == expected

    people = env.cli("status", "--department", "People", "--csv")
    assert people.exit_code == 0, people.output
    table = list(csv.reader(io.StringIO(people.stdout)))
    assert table[0] == list(STATUS_HEADER)
    assert sorted(row[1] for row in table[1:]) == [AMARA, INES]

    team = env.cli("status", "--manager", SIOBHAN.upper())
    assert team.exit_code == 0, team.output
    lines = team.stdout.splitlines()
    assert lines[-1] == COUNTING_RULE  # the footnote: which conversations count
    assert lines[0].split() == [
        "Name",
        "Email",
        "Manager",
        "Department",
        "Last",
        "conversation",
        "Career",
        "conversations",
        "Status",
    ]
    rows = lines[2 : lines.index("")]
    assert [line.split()[-1] for line in rows] == ["acknowledged", "acknowledged", "overdue"]
    assert sorted(
        e for line in rows for e in line.split() if e.endswith(".com") and e != SIOBHAN
    ) == [KWAME, PRIYA, ZOE]


def test_status_refresh_computes_from_the_sheets_and_writes_nothing(env: Env) -> None:
    env.rollup_ok()
    env.log(ZOE, SCENARIO[ZOE])
    before = env.central_snapshot()

    stored = env.cli("status", "--json")
    fresh = env.cli("status", "--refresh", "--json")
    assert stored.exit_code == fresh.exit_code == 0, stored.output + fresh.output
    zoe = [
        {r["Email"]: r["Status"] for r in json.loads(out.stdout)}[ZOE] for out in (stored, fresh)
    ]
    assert zoe == ["due", "acknowledged"]
    assert env.central_snapshot() == before


def test_status_before_any_rollup_says_to_run_rollup_first(local: Env) -> None:
    result = local.cli("status")
    assert result.exit_code == ExitCode.FAILURE
    assert "no Status tab yet: run `careerdocs rollup` first" in result.stderr


# -- cells the person typed ----------------------------------------------------------------------


def test_times_and_extra_columns_in_a_sheet_do_not_stop_the_state_being_saved(local: Env) -> None:
    """Excel gives back a time of day as a ``time``; the state file must still be written."""
    date_with_whom_type = talk("2026-06-10")[:3]
    local.log(ZOE, [[*date_with_whom_type, time(14, 30), True, False, "my own", time(9)]])
    first = local.rollup_ok()
    assert first["counts"]["sheets_read"] == SHEETS
    second = local.rollup_ok()
    assert second["counts"]["sheets_read"] == 0
    assert local.status_records()[ZOE]["Status"] == "acknowledged"


def _drop_zoes_cached_rows(state: str) -> str:
    data = json.loads(state)
    del data["sheets"][ZOE]["rows"]
    return json.dumps(data)


@pytest.mark.parametrize(
    ("damage", "rereads"),
    [
        (lambda state: "{ not json", SHEETS),
        (lambda state: "[]", SHEETS),
        (_drop_zoes_cached_rows, 1),
    ],
    ids=["not-json", "not-an-object", "entry-without-rows"],
)
def test_a_damaged_state_file_only_costs_reading_those_sheets_again(
    local: Env, damage: Callable[[str], str], rereads: int
) -> None:
    local.rollup_ok()
    local.state_file.write_text(damage(local.state_file.read_text(encoding="utf-8")))
    assert local.rollup_ok()["counts"]["sheets_read"] == rereads
    assert local.rollup_ok()["counts"]["sheets_read"] == 0  # and the state is whole again
