"""`careerdocs init`: from an HR export to a working config, without reading code (issue 10)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import tomllib
from click.testing import CliRunner, Result

from careerdocs import init as init_module
from careerdocs.cli import cli
from careerdocs.config import config_keys, load_settings
from careerdocs.errors import ExitCode

EXPORT_HEADER = [
    "Work Email",
    "Employee Name",
    "Reports To",
    "Hire Date",
    "Job Title",
    "Department",
]
EXPORT_ROWS = [
    ["sofia.marin@acme.io", "Sofía Marín", "", "2019-04-01", "Chief Executive", "Executive"],
    ["tom.ode@acme.io", "Tom Ode", "sofia.marin@acme.io", "2021-06-14", "VP People", "People"],
    ["ana.li@acme.io", "Ana Li", "tom.ode@acme.io", "2022-01-10", "People Partner", "People"],
    ["raj.k@acme.io", "Raj K", "sofia.marin@acme.io", "2020-09-01", "CTO", "Engineering"],
    ["lu.chen@acme.io", "Lu Chen", "raj.k@acme.io", "2023-02-20", "Engineer", "Engineering"],
]
TODAY = "2026-11-02"


def write_xlsx(path: Path, header: list[str], rows: list[list[str]], sheet: str = "") -> Path:
    book = openpyxl.Workbook()
    first = book.active
    if sheet:
        first.title = "Readme"
        first.append(["exported by the HR system"])
        first = book.create_sheet(sheet)
    first.append(header)
    for row in rows:
        first.append(row)
    book.save(path)
    return path


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--today", TODAY, *args], input=input)


@pytest.fixture
def export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_xlsx(tmp_path / "export.xlsx", EXPORT_HEADER, EXPORT_ROWS)


def test_init_from_an_xlsx_export_then_provision_works_and_fills_titles(export: Path) -> None:
    init = invoke("init", "--roster", "export.xlsx")
    assert init.exit_code == 0, init.output
    assert init.stdout.splitlines() == [
        "Columns: email = 'Work Email', name = 'Employee Name', manager_email = 'Reports To', "
        "start_date = 'Hire Date', title = 'Job Title', department = 'Department'",
        "allowed_domains: acme.io (from the roster's addresses)",
        "Roster check: ok, 5 people.",
        f"Wrote {Path('careerdocs.toml').resolve()}",
        "Next: careerdocs --config careerdocs.toml provision --dry-run",
    ]

    provision = invoke("--config", "careerdocs.toml", "provision")
    assert provision.exit_code == 0, provision.output
    assert "FY2027: 5 people, 20 written" in provision.stdout
    settings = load_settings(Path("careerdocs.toml"))
    assert settings.allowed_domains == ("acme.io",)
    assert settings.organization.name == "Acme"
    igp = next(settings.local.output_dir.rglob("Individual Growth Plan — Lu Chen*.docx"))
    from docx import Document

    text = "\n".join(p.text for p in Document(str(igp)).paragraphs)
    text += "\n".join(c.text for t in Document(str(igp)).tables for r in t.rows for c in r.cells)
    assert "Engineer" in text and "Lu Chen" in text


def test_the_written_config_holds_every_key_set_or_commented(export: Path) -> None:
    assert invoke("init", "--roster", "export.xlsx").exit_code == 0
    text = Path("careerdocs.toml").read_text(encoding="utf-8")
    written = set()
    section = ""
    for line in text.splitlines():
        bare = line.removeprefix("# ").strip()
        if bare.startswith("[") and bare.endswith("]"):
            section = bare.strip("[]") + "."
        elif " = " in bare and not bare.startswith("#"):
            written.add(section + bare.split(" = ", 1)[0])
    assert set(config_keys()) <= written
    data = tomllib.loads(text)
    assert data["roster"]["columns"] == {
        "email": "Work Email",
        "name": "Employee Name",
        "manager_email": "Reports To",
        "start_date": "Hire Date",
        "title": "Job Title",
        "department": "Department",
    }


def test_init_never_overwrites(export: Path) -> None:
    Path("careerdocs.toml").write_text("# mine\n", encoding="utf-8")
    result = invoke("init", "--roster", "export.xlsx")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert f"Error: {Path('careerdocs.toml')} already exists" in result.stderr
    assert Path("careerdocs.toml").read_text(encoding="utf-8") == "# mine\n"


def test_init_into_a_folder_writes_the_roster_path_from_there(export: Path) -> None:
    result = invoke("init", "company", "--roster", "export.xlsx", "--backend", "local")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Next: careerdocs --config company/careerdocs.toml provision --dry-run"
    )
    settings = load_settings(Path("company/careerdocs.toml"))
    assert settings.require_roster().path.resolve() == export.resolve()  # type: ignore[union-attr]


def test_init_lists_roster_problems_and_still_writes_the_mapping(tmp_path: Path) -> None:
    rows = [*EXPORT_ROWS, ["lu.chen@acme.io", "Lu Again", "raj.k@acme.io", "9999-12-31", "", ""]]
    write_xlsx(tmp_path / "export.xlsx", EXPORT_HEADER, rows)
    result = invoke("init", str(tmp_path), "--roster", str(tmp_path / "export.xlsx"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2:5] == [
        "Roster check: 2 problems:",
        "  row 7: start_date 9999-12-31 is too far ahead (after 2028-11-03); check the year",
        "  row 7: duplicate email lu.chen@acme.io (also on row 6)",
    ]
    assert lines[-1].startswith("Next: fix the roster (above), then: careerdocs --config ")
    assert (tmp_path / "careerdocs.toml").exists()


def test_init_for_google_asks_for_credentials_next(export: Path) -> None:
    result = invoke("init", "--roster", "export.xlsx", "--backend", "google")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Next: set google.credentials (and check google.admin) in careerdocs.toml, then: "
        "careerdocs --config careerdocs.toml doctor"
    )
    data = tomllib.loads(Path("careerdocs.toml").read_text(encoding="utf-8"))
    assert data["backend"] == "google"


def test_init_without_a_roster_in_a_script_writes_defaults_and_says_what_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("init")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Wrote {(tmp_path / 'careerdocs.toml').resolve()}",
        "Next: set roster.source in careerdocs.toml, then: careerdocs --config careerdocs.toml "
        "doctor",
    ]


def test_init_on_a_terminal_asks(export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("careerdocs.cli._interactive", lambda: True)
    result = invoke("init", input="export.xlsx\nlocal\nAcme Corporation\n")
    assert result.exit_code == 0, result.output
    assert "Your HR export (CSV or .xlsx; Enter to skip): export.xlsx" in result.stdout
    settings = load_settings(Path("careerdocs.toml"))
    assert settings.organization.name == "Acme Corporation"
    assert settings.backend_name == "local"


def test_an_unreadable_export_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "--roster", "missing.xlsx")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "cannot read the roster" in result.stderr
    assert not (tmp_path / "careerdocs.toml").exists()


def test_the_guess_names_the_most_common_pbp_as_admin(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        "Email;Name;Manager;Start;HRBP\n"
        "a@acme.io;A;;2020-01-01;p@acme.io\n"
        "b@acme.io;B;a@acme.io;2020-01-01;p@acme.io\n"
        "p@acme.io;P;a@acme.io;2020-01-01;q@acme.io\n"
        "q@acme.io;Q;a@acme.io;2020-01-01;p@acme.io\n",
        encoding="utf-8",
    )
    found = init_module.guess(str(path))
    assert (found.admin, found.domains, found.people, found.problems) == (
        "p@acme.io",
        ["acme.io"],
        4,
        [],
    )
