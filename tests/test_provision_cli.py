"""`careerdocs provision`, end to end through the CLI, on the local backend."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from careerdocs.cli import cli
from careerdocs.workspace.office import template_text

from .conftest import write_config

TODAY = "2026-11-26"
PEOPLE = 12
KINDS = 3


def run(config: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--config", str(config), "--today", TODAY, *args])


def files_under(directory: Path) -> dict[str, float]:
    """Every file (not marker) with its mtime, so re-runs can be proven to change nothing."""
    if not directory.exists():
        return {}
    return {
        str(p.relative_to(directory)): p.stat().st_mtime_ns
        for p in directory.rglob("*")
        if p.is_file()
    }


def test_provision_fills_three_documents_per_person_and_says_where(local_config: Path) -> None:
    result = run(local_config, "provision")
    assert result.exit_code == 0, result.output
    out = local_config.parent / "out"
    folders = [p for p in out.iterdir() if p.is_dir() and p.name != "outbox"]
    assert len(folders) == PEOPLE
    documents = [p for f in folders for p in f.iterdir() if p.suffix in (".docx", ".xlsx")]
    assert len(documents) == PEOPLE * KINDS
    assert f"Documents are in folder {out.resolve()}" in result.output
    assert "12 people, 48 written, 21 shares recorded, 12 emails written, 0 failed" in result.output
    assert f"Emails to send are in {(out / 'outbox').resolve()}" in result.output


def test_provision_fills_placeholders_with_data_never_formulas_or_templates(
    local_config: Path,
) -> None:
    assert run(local_config, "provision").exit_code == 0
    folder = local_config.parent / "out" / "Career development — =Zoë Lambert"
    igp = next(folder.glob("Individual Growth Plan*.docx"))
    text = template_text(igp)
    assert "=Zoë Lambert" in text and "{{" not in text
    assert "not a promotion" in text.lower()
    sheet = next(folder.glob("Growth plan*.xlsx"))
    about = openpyxl.load_workbook(sheet)["About"]
    cells = [c for row in about.iter_rows() for c in row if c.value == "=Zoë Lambert"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_rerun_creates_nothing_and_touches_no_file(local_config: Path) -> None:
    assert run(local_config, "provision").exit_code == 0
    out = local_config.parent / "out"
    before = files_under(out)
    documents_before = {
        k: v for k, v in before.items() if k.endswith((".docx", ".xlsx")) and k != "central.xlsx"
    }
    result = run(local_config, "provision")
    assert result.exit_code == 0, result.output
    assert "0 written, 0 shares recorded, 0 emails written, 0 failed" in result.output
    assert "Emails to send" not in result.output
    after = files_under(out)
    assert {k: v for k, v in after.items() if k in documents_before} == documents_before
    assert set(after) - set(before) <= {"central.xlsx"}


def test_a_deleted_document_is_recreated_and_the_others_are_kept(local_config: Path) -> None:
    assert run(local_config, "provision").exit_code == 0
    folder = local_config.parent / "out" / "Career development — Mei Chen"
    tracker = next(folder.glob("Accomplishment tracker*.docx"))
    igp = next(folder.glob("Individual Growth Plan*.docx"))
    igp_mtime = igp.stat().st_mtime_ns
    tracker.unlink()
    result = run(local_config, "provision", "--no-notify")
    assert result.exit_code == 0, result.output
    assert "1 written" in result.output
    assert tracker.exists() and igp.stat().st_mtime_ns == igp_mtime


def test_dry_run_prints_the_plan_and_writes_nothing(local_config: Path) -> None:
    result = run(local_config, "provision", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "would create 12 folders and 36 documents, share 21 folders, send 12 emails"
        in result.output
    )
    assert (
        "lea.moreau@example.com: create igp 'Individual Growth Plan — Léa Moreau — FY2027'"
        in result.output
    )
    assert not (local_config.parent / "out").exists()
    assert not (local_config.parent / "audit.jsonl").exists()


def test_only_provisions_one_new_hire_and_keeps_everyone_in_the_people_tab(
    local_config: Path,
) -> None:
    assert run(local_config, "provision", "--only", "mei.chen@example.com").exit_code == 0
    result = run(local_config, "provision", "--only", "lea.moreau@example.com", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [p["email"] for p in report["people"]] == ["lea.moreau@example.com"]
    people = openpyxl.load_workbook(local_config.parent / "out" / "central.xlsx")["People"]
    emails = {row[1] for row in people.iter_rows(min_row=2, values_only=True)}
    assert emails == {"mei.chen@example.com", "lea.moreau@example.com"}


def test_people_tab_shows_names_and_short_links_and_keeps_them_across_only_runs(
    local_config: Path,
) -> None:
    assert run(local_config, "provision", "--only", "mei.chen@example.com").exit_code == 0
    assert run(local_config, "provision", "--only", "lea.moreau@example.com").exit_code == 0
    people = openpyxl.load_workbook(local_config.parent / "out" / "central.xlsx")["People"]
    header = [c.value for c in people[1]]
    rows = {
        row[1].value: dict(zip(header, row, strict=True)) for row in people.iter_rows(min_row=2)
    }
    mei = rows["mei.chen@example.com"]  # written by the first run, kept by the second
    assert (mei["IGP"].value, mei["Sheet"].value, mei["Folder"].value) == ("IGP", "Sheet", "Folder")
    assert mei["IGP"].hyperlink.target.startswith("file://")
    lea = rows["lea.moreau@example.com"]
    assert (lea["Manager"].value, lea["Manager email"].value) == (
        "José Álvarez",  # from the roster, though this run provisions only Léa
        "jose.alvarez@example.com",
    )
    assert people.freeze_panes == "B2" and people.auto_filter.ref


def test_only_fills_manager_skip_level_and_pbp_by_name_from_the_whole_roster(
    local_config: Path,
) -> None:
    """--only narrows who is provisioned, not who the documents can name."""
    result = run(local_config, "provision", "--only", "lea.moreau@example.com", "--no-notify")
    assert result.exit_code == 0, result.output
    igp = next((local_config.parent / "out").rglob("Individual Growth Plan — Léa Moreau*.docx"))
    text = template_text(igp)
    assert "Talk them through with your manager, José Álvarez." in text
    assert "your skip-level manager, Rahul Mehta" in text
    assert "People Business Partner, Amara Nwosu (amara.nwosu@example.com)." in text


def test_only_with_an_unknown_email_is_invalid_input(local_config: Path) -> None:
    result = run(local_config, "provision", "--only", "nobody@example.com")
    assert result.exit_code == 2
    assert "nobody@example.com: is not in the roster" in result.output
    assert not (local_config.parent / "out").exists()


def test_every_write_and_share_is_in_the_audit_log(local_config: Path) -> None:
    assert run(local_config, "provision").exit_code == 0
    events = [
        json.loads(line)
        for line in (local_config.parent / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    actions = [e["action"] for e in events]
    assert actions.count("create") == PEOPLE * (KINDS + 1)
    assert actions.count("share") == 21
    assert actions.count("notify") == PEOPLE
    share = next(
        e
        for e in events
        if e["action"] == "share"
        and e["person"] == "zoe.lambert@example.com"
        and e["why"] == "manager"
    )
    assert (share["grantee"], share["role"]) == ("siobhan.obrien@example.com", "writer")


def test_each_person_gets_one_email_with_their_three_links(local_config: Path) -> None:
    assert run(local_config, "provision").exit_code == 0
    outbox = list((local_config.parent / "out" / "outbox").glob("*.eml"))
    assert len(outbox) == PEOPLE
    mei = next(p for p in outbox if "mei.chen" in p.name).read_text(encoding="utf-8")
    assert "To: mei.chen@example.com" in mei
    assert mei.count("file://") >= KINDS


def test_no_notify_sends_nothing(local_config: Path) -> None:
    assert run(local_config, "provision", "--no-notify").exit_code == 0
    assert not list((local_config.parent / "out").glob("outbox/*.eml"))


def test_one_persons_failure_does_not_stop_the_batch_and_a_rerun_finishes(
    local_config: Path,
) -> None:
    assert run(local_config, "provision", "--no-notify").exit_code == 0
    folder = local_config.parent / "out" / "Career development — Kwame Asante"
    igp = next(folder.glob("Individual Growth Plan*.docx"))
    igp.unlink()
    igp.mkdir()  # something in the way: the write fails for Kwame alone
    result = run(local_config, "provision", "--no-notify")
    assert result.exit_code == 3, result.output
    assert re.search(r"kwame\.asante@example\.com +FAILED +careerdocs", result.output) or re.search(
        r"kwame\.asante@example\.com +FAILED", result.output
    )
    assert "12 people, 0 written, 0 shares recorded, 0 emails written, 1 failed" in result.output
    assert "Partly done: 1 failed: kwame.asante@example.com" in result.output
    igp.rmdir()
    result = run(local_config, "provision", "--no-notify")
    assert result.exit_code == 0, result.output
    assert "12 people, 1 written, 0 shares recorded, 0 emails written, 0 failed" in result.output


@pytest.mark.parametrize(
    ("roster", "expected"),
    [
        (
            "Email,Name,Manager Email\nx@example.com,X,\n",
            "row 1: missing required columns: start_date",
        ),
        ("Email,Name,Manager Email,Start Date\nnot-an-email,X,,2024-01-01\n", "row 2"),
        (
            "Email,Name,Manager Email,Start Date\na@example.com,A,,2024-01-01\n"
            "a@example.com,B,,2024-01-01\n",
            "row 3",
        ),
        (
            "Email,Name,Manager Email,Start Date\na@example.com,A,ghost@example.com,2024-01-01\n",
            "ghost@example.com",
        ),
        (
            "Email,Name,Manager Email,Start Date\na@example.com,A,b@example.com,2024-01-01\n"
            "b@example.com,B,a@example.com,2024-01-01\n",
            "loop",
        ),
        ("Email,Name,Manager Email,Start Date\na@example.com,A,,31/31/2024\n", "row 2"),
        ("Email,Name,Manager Email,Start Date\na@elsewhere.org,A,,2024-01-01\n", "elsewhere.org"),
    ],
    ids=[
        "missing-column",
        "bad-email",
        "duplicate-email",
        "unknown-manager",
        "manager-loop",
        "bad-date",
        "outside-allowed-domains",
    ],
)
def test_bad_roster_is_reported_with_exit_2_and_nothing_written(
    local_config: Path, roster: str, expected: str
) -> None:
    (local_config.parent / "roster.csv").write_text(roster, encoding="utf-8")
    result = run(local_config, "provision")
    assert result.exit_code == 2, result.output
    assert expected.lower() in result.output.lower()
    assert not (local_config.parent / "out").exists()
    assert not (local_config.parent / "audit.jsonl").exists()


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('backend = "local"\nunknown_key = 1\n', "unknown_key"),
        ('backend = "local"\n[sharing]\nmanager = "editor"\n', "sharing.manager"),
        ('backend = "local"\nfiscal_year_start_month = 13\n', "fiscal_year_start_month"),
        ('backend = "local"\n[notify]\nenabled = "yes"\n', "notify.enabled"),
        ('backend = "google"\n', "google.admin"),
        ('backend = "local"\n[names]\nigp = "{{ person.nickname }}"\n', "person.nickname"),
    ],
    ids=[
        "unknown-key",
        "bad-role",
        "month-out-of-range",
        "wrong-type",
        "google-needs-admin",
        "unknown-placeholder-in-name",
    ],
)
def test_bad_config_is_reported_with_its_key_path_exit_2_and_nothing_written(
    tmp_path: Path, config: str, expected: str
) -> None:
    (tmp_path / "roster.csv").write_text(
        "Email,Name,Manager Email,Start Date\na@example.com,A,,2024-01-01\n", encoding="utf-8"
    )
    path = write_config(tmp_path, config)
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(path),
            "--today",
            TODAY,
            "provision",
            "--roster",
            str(tmp_path / "roster.csv"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert not (tmp_path / "careerdocs-output").exists()
    assert not (tmp_path / "careerdocs-audit.jsonl").exists()


def test_unknown_placeholder_in_a_template_names_template_and_placeholder(
    local_config: Path,
) -> None:
    template = local_config.parent / "custom.docx"
    doc = Document()
    doc.add_paragraph("Hello {{ person.shoe_size }}")
    doc.save(str(template))
    text = local_config.read_text(encoding="utf-8")
    local_config.write_text(text + '\n[templates]\nigp = "custom.docx"\n', encoding="utf-8")
    result = run(local_config, "provision")
    assert result.exit_code == 2, result.output
    assert "custom.docx" in result.output and "shoe_size" in result.output
    assert not (local_config.parent / "out").exists()


def test_config_can_come_from_the_environment(local_config: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--today", TODAY, "plan"], env={"CAREERDOCS_CONFIG": str(local_config)}
    )
    assert result.exit_code == 0, result.output
    assert "would create 12 folders" in result.output


def test_without_any_config_the_roster_must_be_given(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(
            cli, ["--today", TODAY, "provision"], env={"CAREERDOCS_CONFIG": ""}
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == 2, result.output
    assert "--roster" in result.output
