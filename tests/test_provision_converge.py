"""provision converges: whatever a killed, concurrent or outdated run left, one more run ends
with exactly the desired state — one folder, three filled documents, a protected growth sheet,
the folder shared with exactly whom the roster says, one email — and the audit log names every
write. Local backend, through the CLI; kills are deterministic (tests/conftest.py KillSwitch)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from careerdocs.cli import cli
from careerdocs.lock import exclusive
from careerdocs.workspace.base import CONVERSATIONS_TAB, MARKER_KIND, MARKER_PERSON
from careerdocs.workspace.local import MARKER_FILE, OUTBOX, LocalWorkspace
from careerdocs.workspace.stamp import read_stamp

from .conftest import EXAMPLE_ROSTER, LOCAL_CONFIG, KillSwitch, audit_events, write_config

TODAY = "2026-11-26"
FY = "FY2027"
MEI = "mei.chen@example.com"
JOSE = "jose.alvarez@example.com"  # Mei's manager: writer
AMARA = "amara.nwosu@example.com"  # Mei's PBP: reader
SIOBHAN = "siobhan.obrien@example.com"
DOCUMENT_SUFFIXES = (".docx", ".xlsx")
EXPECTED_STEPS = {"igp": ["filled"], "tracker": ["filled"], "growth_sheet": ["filled", "protected"]}
# What a person's provisioning does, as the plan names it in the audit log.
EXPECTED_ACTIONS = (
    "create folder",
    "create igp",
    "create tracker",
    "create growth_sheet",
    "protect the growth sheet",
    f"share folder with {JOSE} as writer",
    f"share folder with {AMARA} as reader",
    "email the links",
)


def setup_root(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE_ROSTER, root / "roster.csv")
    return write_config(root, LOCAL_CONFIG)


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--today", TODAY, *args])


def provision_mei(config: Path) -> Result:
    return invoke(config, "provision", "--workers", "1", "--only", MEI)


def folders_of(out: Path, person: str) -> list[Path]:
    return [
        folder
        for folder in out.iterdir()
        if (folder / MARKER_FILE).is_file()
        and json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))[MARKER_PERSON] == person
    ]


def assert_converged(config: Path, person: str = MEI) -> dict[str, Any]:
    """Exactly the desired state for ``person``; returns their marker."""
    out = config.parent / "out"
    (folder,) = folders_of(out, person)
    documents = sorted(p for p in folder.iterdir() if p.suffix in DOCUMENT_SUFFIXES)
    assert sorted(p.suffix for p in documents) == [".docx", ".docx", ".xlsx"]
    assert {read_stamp(p)[MARKER_KIND] for p in documents} == set(EXPECTED_STEPS)
    assert all(read_stamp(p)[MARKER_PERSON] == person for p in documents)
    marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    year = marker["years"][FY]
    assert year["steps"] == ["notified"]
    assert {kind: sorted(e["steps"]) for kind, e in year["artifacts"].items()} == EXPECTED_STEPS
    assert {e["file"] for e in year["artifacts"].values()} == {p.name for p in documents}
    sheet = folder / year["artifacts"]["growth_sheet"]["file"]
    assert openpyxl.load_workbook(sheet)[CONVERSATIONS_TAB].protection.sheet
    emails = list((out / OUTBOX).glob(f"*{person}*.eml"))
    assert len(emails) == 1
    assert not list(out.rglob("*.tmp"))
    return marker


def planned_actions(config: Path) -> list[str]:
    return [
        action
        for event in audit_events(config.parent / "audit.jsonl")
        if event["action"] == "plan"
        for action in event["actions"]
    ]


def assert_audit_names_every_write(config: Path) -> None:
    planned = planned_actions(config)
    for expected in EXPECTED_ACTIONS:
        assert any(action.startswith(expected) for action in planned), expected


def assert_nothing_left_to_do(config: Path) -> None:
    result = invoke(config, "plan", "--only", MEI, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["up_to_date"] == 1


def events_of_a_whole_run(tmp_path: Path) -> list[dict[str, Any]]:
    config = setup_root(tmp_path / "reference")
    assert provision_mei(config).exit_code == 0
    return audit_events(config.parent / "audit.jsonl")


# -- kills ---------------------------------------------------------------------------------------


def test_a_whole_run_records_each_step_once(tmp_path: Path) -> None:
    actions = [e["action"] for e in events_of_a_whole_run(tmp_path)]
    assert actions == [
        "plan",
        "create",
        "create",
        "create",
        "create",
        "protect",
        "share",
        "share",
        "notify",
        "mark",
        "write_central",
    ]


def test_a_kill_at_every_step_is_finished_by_one_rerun(
    tmp_path: Path, kill_switch: KillSwitch
) -> None:
    steps = len(events_of_a_whole_run(tmp_path))
    for n in range(1, steps + 1):
        config = setup_root(tmp_path / f"kill-{n}")
        kill_switch.at_event(n)
        with pytest.raises(BaseException, match=f"killed before audit event {n}"):
            provision_mei(config)
        rerun = provision_mei(config)
        assert rerun.exit_code == 0, (n, rerun.output)
        assert_converged(config)
        assert_audit_names_every_write(config)
        assert_nothing_left_to_do(config)


@pytest.mark.parametrize("document", [1, 2, 3], ids=["igp", "tracker", "growth-sheet"])
def test_a_document_that_landed_unrecorded_is_adopted_not_refused(
    tmp_path: Path, kill_switch: KillSwitch, document: int
) -> None:
    config = setup_root(tmp_path)
    kill_switch.after_document(document)
    with pytest.raises(BaseException, match="killed after document"):
        provision_mei(config)
    plan = invoke(config, "plan", "--only", MEI)
    assert "(fill it and record that)" in plan.output
    rerun = provision_mei(config)
    assert rerun.exit_code == 0, rerun.output
    assert "finished" in rerun.output
    assert_converged(config)
    assert_nothing_left_to_do(config)


def test_an_email_written_before_a_kill_is_not_sent_again(
    tmp_path: Path, kill_switch: KillSwitch
) -> None:
    config = setup_root(tmp_path)
    notify_event = [e["action"] for e in events_of_a_whole_run(tmp_path)].index("notify") + 1
    kill_switch.at_event(notify_event)  # the .eml is in the outbox, the marker not yet updated
    with pytest.raises(BaseException, match="killed before"):
        provision_mei(config)
    assert len(list((config.parent / "out" / OUTBOX).glob(f"*{MEI}*"))) == 1
    assert "email the links" in invoke(config, "plan", "--only", MEI).output
    assert provision_mei(config).exit_code == 0
    assert_converged(config)  # still one email


def test_a_growth_sheet_whose_protection_was_removed_is_protected_again(tmp_path: Path) -> None:
    config = setup_root(tmp_path)
    assert provision_mei(config).exit_code == 0
    (folder,) = folders_of(config.parent / "out", MEI)
    marker_path = folder / MARKER_FILE
    marker = json.loads(marker_path.read_text(encoding="utf-8"))
    sheet = folder / marker["years"][FY]["artifacts"]["growth_sheet"]["file"]
    workbook = openpyxl.load_workbook(sheet)
    workbook[CONVERSATIONS_TAB].protection.sheet = False
    workbook.save(sheet)
    marker["years"][FY]["artifacts"]["growth_sheet"]["steps"] = ["filled"]  # an older sheet
    marker_path.write_text(json.dumps(marker), encoding="utf-8")
    result = provision_mei(config)
    assert result.exit_code == 0, result.output
    assert "protected" in result.output
    assert_converged(config)


# -- renamed documents ---------------------------------------------------------------------------


def test_a_renamed_document_is_still_found_and_not_made_again(tmp_path: Path) -> None:
    config = setup_root(tmp_path)
    assert provision_mei(config).exit_code == 0
    (folder,) = folders_of(config.parent / "out", MEI)
    igp = next(folder.glob("Individual Growth Plan*.docx"))
    igp.rename(folder / "My plan.docx")
    result = provision_mei(config)
    assert result.exit_code == 0, result.output
    assert "0 written" in result.output
    assert sorted(p.name for p in folder.glob("*.docx"))[1] == "My plan.docx"
    assert_converged(config)


# -- concurrent runs -----------------------------------------------------------------------------

CONCURRENT_ROUNDS = 3
ROSTER_SIZE = 12
PROCESS_TIMEOUT_SECONDS = 120
PAUSE = threading.Event()  # never set: wait() is a sleep


def assert_one_set_per_person(config: Path) -> None:
    out = config.parent / "out"
    markers = [f / MARKER_FILE for f in out.iterdir() if (f / MARKER_FILE).is_file()]
    people = [json.loads(m.read_text(encoding="utf-8"))[MARKER_PERSON] for m in markers]
    assert len(people) == len(set(people)) == ROSTER_SIZE
    for person in people:
        assert_converged(config, person)
    assert len(list((out / OUTBOX).glob("*.eml"))) == ROSTER_SIZE


def race(config: Path, runs: int) -> list[Any]:
    """Start ``runs`` whole-roster provisions at the same moment on threads; their exit codes."""
    barrier = threading.Barrier(runs)
    codes: list[Any] = []

    def run() -> None:
        barrier.wait()
        args = ["--config", str(config), "--today", TODAY, "provision", "--workers", "2"]
        codes.append(cli.main(args, standalone_mode=False))

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def test_two_concurrent_runs_make_one_set_per_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two whole-roster provisions started together on threads: the run lock lets one through
    and turns the other away (exit 0), or the second finds everything done. A pause after each
    document keeps the first run inside its lock while the second starts."""
    monkeypatch.setattr(
        LocalWorkspace, "after_document_write", staticmethod(lambda _path: PAUSE.wait(0.01))
    )
    for round_ in range(CONCURRENT_ROUNDS):
        config = setup_root(tmp_path / f"round-{round_}")
        codes = race(config, runs=2)
        assert sorted(c or 0 for c in codes) == [0, 0]
        assert capsys.readouterr().err.count("skipping this provision") == 1
        assert_one_set_per_person(config)


def test_two_concurrent_processes_make_one_set_per_person(tmp_path: Path) -> None:
    """The same race between two real processes (the lock is the operating system's)."""
    config = setup_root(tmp_path)
    args = [sys.executable, "-m", "careerdocs", "--config", str(config), "--today", TODAY]
    runs = [
        subprocess.Popen([*args, "provision"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=PROCESS_TIMEOUT_SECONDS) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert_one_set_per_person(config)


def test_a_provision_while_another_run_holds_the_lock_does_nothing(tmp_path: Path) -> None:
    config = setup_root(tmp_path)
    with exclusive(config.parent / "rollup.lock", "rollup"):
        result = invoke(config, "provision")
    assert result.exit_code == 0
    assert "another careerdocs run is running" in result.output
    assert not (config.parent / "out").exists()
    assert not (config.parent / "audit.jsonl").exists()


# -- access follows the roster -------------------------------------------------------------------


def move_mei_to(config: Path, manager: str) -> None:
    roster = config.parent / "roster.csv"
    lines = roster.read_text(encoding="utf-8").splitlines()
    lines = [line.replace(JOSE, manager) if line.startswith(MEI) else line for line in lines]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_new_manager_gets_access_and_the_old_one_loses_only_what_careerdocs_granted(
    tmp_path: Path,
) -> None:
    config = setup_root(tmp_path)
    assert provision_mei(config).exit_code == 0
    (folder,) = folders_of(config.parent / "out", MEI)
    marker_path = folder / MARKER_FILE
    marker = json.loads(marker_path.read_text(encoding="utf-8"))
    marker["shares"]["friend@example.com"] = "reader"  # shared by hand, not by careerdocs
    marker_path.write_text(json.dumps(marker), encoding="utf-8")
    move_mei_to(config, SIOBHAN)

    plan = invoke(config, "plan", "--only", MEI)
    assert f"revoke {JOSE}'s writer access to the folder" in plan.output
    assert f"share folder with {SIOBHAN} as writer (manager)" in plan.output
    result = provision_mei(config)
    assert result.exit_code == 0, result.output
    assert f"revoked {JOSE}:writer" in result.output

    marker = json.loads(marker_path.read_text(encoding="utf-8"))
    assert marker["grants"] == {SIOBHAN: "writer", AMARA: "reader"}
    assert marker["shares"] == {
        SIOBHAN: "writer",
        AMARA: "reader",
        "friend@example.com": "reader",
    }
    events = audit_events(config.parent / "audit.jsonl")
    revoke = next(e for e in events if e["action"] == "revoke")
    assert (revoke["grantee"], revoke["role"], revoke["person"]) == (JOSE, "writer", MEI)
    share = [e for e in events if e["action"] == "share"][-1]
    assert (share["grantee"], share["role"], share["why"]) == (SIOBHAN, "writer", "manager")
    assert len(list((config.parent / "out" / OUTBOX).glob("*.eml"))) == 1  # no second email
    assert_nothing_left_to_do(config)


# -- up-front checks -----------------------------------------------------------------------------


def block(path: Path) -> None:
    """Put a plain file where a folder has to be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("in the way", encoding="utf-8")


@pytest.mark.parametrize(
    ("key", "value", "blocked", "expected"),
    [
        ("output_dir", "blocked/out", "blocked", "local.output_dir"),
        ("output_dir", "a-file", "a-file", "is not a folder"),
        ("audit_log", "blocked/audit.jsonl", "blocked", "audit_log"),
        ("audit_log", "logs", None, "is a folder"),
        ("state_file", "blocked/state.json", "blocked", "rollup.state_file"),
        ("lock_file", "blocked/run.lock", "blocked", "rollup.lock_file"),
    ],
)
@pytest.mark.parametrize("command", ["provision", "rollup"])
def test_an_unwritable_place_is_exit_2_before_anything_is_written(
    tmp_path: Path, command: str, key: str, value: str, blocked: str | None, expected: str
) -> None:
    shutil.copy(EXAMPLE_ROSTER, tmp_path / "roster.csv")
    body = LOCAL_CONFIG.replace(f'{key} = "', f'{key} = "{value}"  # instead of "')
    config = write_config(tmp_path, body)
    if blocked:
        block(tmp_path / blocked)
    else:
        (tmp_path / value).mkdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = invoke(config, command)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "nothing was written" in result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


# -- people the storage cannot act as, duplicates found by heal ----------------------------------


class Reporting(LocalWorkspace):
    """Local storage that cannot act as Mei and reports a duplicate someone edited."""

    def find_artifacts(self, people: Any, fy: str) -> Any:
        self.unreachable = {MEI: "no such account (suspended?)"}
        found = dict(super().find_artifacts(people, fy))
        found.pop(MEI, None)
        return found

    def heal(self, person: str, fy: str, kept: Any) -> list[str]:
        return [f"a second folder of {person} was edited; kept, not deleted"]


def library_run(config: Path) -> Any:
    from datetime import date

    from careerdocs import provision
    from careerdocs.audit import AuditLog
    from careerdocs.cli import load_roster
    from careerdocs.config import load_settings

    settings = load_settings(config)
    workspace = Reporting(settings.local.output_dir, settings.local.workbook)
    roster = load_roster(settings, workspace)
    today = date.fromisoformat(TODAY)
    the_plan = provision.prepare(settings, workspace, roster, today=today)
    assert the_plan.counts()["unreachable"] == 1
    audit = AuditLog(settings.audit_log, "provision")
    return provision.apply(the_plan, workspace, settings, roster, today=today, audit=audit)


def test_an_unreachable_person_fails_alone_and_heal_notes_are_reported(tmp_path: Path) -> None:
    config = setup_root(tmp_path)
    result = library_run(config)
    assert result.failures == {MEI: f"cannot act as {MEI}: no such account (suspended?)"}
    assert result.counts()["failed"] == 1
    others = [p for p in result.people if p.email != MEI]
    assert len(others) == ROSTER_SIZE - 1 and all(p.notified for p in others)
    assert all(
        p.notes == [f"a second folder of {p.email} was edited; kept, not deleted"] for p in others
    )
    events = audit_events(config.parent / "audit.jsonl")
    assert [e["person"] for e in events if e["action"] == "failed"] == [MEI]
    assert sum(e["action"] == "heal" for e in events) == ROSTER_SIZE - 1
    assert not folders_of(config.parent / "out", MEI)


def test_an_unreachable_person_is_exit_3_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from careerdocs import cli as cli_module

    monkeypatch.setattr(
        cli_module,
        "open_workspace",
        lambda settings: Reporting(settings.local.output_dir, settings.local.workbook),
    )
    config = setup_root(tmp_path)
    plan = invoke(config, "plan")
    assert f"{MEI}: cannot act as them, skipped: no such account" in plan.output
    result = invoke(config, "provision")
    assert result.exit_code == 3, result.output
    assert f"Partly done: 1 failed: {MEI}" in result.output
    assert f"note: {JOSE}: a second folder" in result.output
