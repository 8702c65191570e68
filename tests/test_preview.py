"""`careerdocs preview`: each document rendered by LibreOffice and read back from the PDF.

CI installs LibreOffice (.ci/run), so there these tests run; on a machine without it they skip,
saying so. The missing-LibreOffice message is tested everywhere.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from careerdocs import preview
from careerdocs.cli import cli

from .conftest import GoogleSetup

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "config" / "careerdocs.example.toml"
TODAY = "2026-11-26"
PEOPLE = 12

needs_libreoffice = pytest.mark.skipif(
    preview.find_soffice() is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler's pdftotext are not installed; .ci/run installs "
    "them (apt-get install libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils)",
)


def example_config(tmp_path: Path) -> Path:
    """The example config, with its output folder and audit log moved under ``tmp_path``."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace('"example-roster.csv"', f'"{EXAMPLE_CONFIG.parent / "example-roster.csv"}"')
    text = text.replace('"../careerdocs-output', f'"{tmp_path / "output"}')
    config = tmp_path / "careerdocs.toml"
    config.write_text(text, encoding="utf-8")
    return config


def run_preview(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """preview with the example config; its output folder is ``tmp_path / "output"``."""
    return CliRunner().invoke(
        cli,
        ["--config", str(example_config(tmp_path)), "--today", TODAY, "preview", *args],
        env=env,
        catch_exceptions=False,
    )


def pdf_text(pdf: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def squashed(text: str) -> str:
    """PDF text with line breaks and runs of spaces as single spaces (words wrap anywhere)."""
    return " ".join(text.replace("-\n", "-").split())


def test_without_libreoffice_it_says_how_to_install_it_and_writes_nothing(
    tmp_path: Path,
) -> None:
    out = tmp_path / "preview"
    result = run_preview(tmp_path, "--out", str(out), env={"PATH": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert "apt-get install" in result.output and "brew install" in result.output
    assert "libreoffice-writer-nogui libreoffice-calc-nogui" in result.output
    assert not out.exists() and not (tmp_path / "output").exists()


def test_an_unknown_person_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "preview"
    result = run_preview(tmp_path, "--person", "nobody@example.com", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "nobody@example.com" in result.output
    assert not out.exists()


@needs_libreoffice
@pytest.mark.google
def test_a_google_template_is_refused_with_what_to_do(
    google_setup: GoogleSetup, tmp_path: Path
) -> None:
    """preview fills on this machine: an organisation's own Google Doc cannot be previewed."""
    config = google_setup.config
    with config.open("a", encoding="utf-8") as extra:
        extra.write('\n[templates]\nigp = "google:abc123"\n')
    out = tmp_path / "preview"
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--today", TODAY, "preview", "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "google:abc123 is a Google file" in result.output
    assert "download it as a file" in result.output
    assert not out.exists()


# What each person's documents must show, read back from the PDFs. None: shown as a dash.
PEOPLE_FIELDS = {
    "kwame.asante@example.com": {
        "name": "Kwame Asante",
        "title": "Software Engineer",
        "department": "Engineering",
        "manager": "Siobhán O'Brien",
        "skip_level": "Rahul Mehta",
        "pbp": "Amara Nwosu",
    },
    "margaret.okafor@example.com": {
        "name": "Margaret Okafor",
        "title": "Chief Executive Officer",
        "department": "Executive",
        "manager": None,
        "skip_level": None,
        "pbp": "Inês Duarte",
    },
    "ines.duarte@example.com": {
        "name": "Inês Duarte",
        "title": "Head of People",
        "department": "People",
        "manager": "Margaret Okafor",
        "skip_level": None,
        "pbp": None,
    },
}
PAGES = {"igp.pdf": 3, "tracker.pdf": 2, "growth-plan.pdf": 3}


@needs_libreoffice
@pytest.mark.parametrize("email", PEOPLE_FIELDS)
def test_each_document_renders_with_every_field_and_no_placeholder(
    email: str, tmp_path: Path
) -> None:
    out = tmp_path / "preview"
    result = run_preview(tmp_path, "--person", email, "--out", str(out))
    assert result.exit_code == 0, result.output
    expected = PEOPLE_FIELDS[email]
    for pdf, pages in PAGES.items():
        text = pdf_text(out / pdf)
        assert "{{" not in text and "{%" not in text and "}}" not in text, pdf
        flat = squashed(text)
        assert expected["name"] in flat, pdf
        assert preview.pdf_pages(out / pdf) == pages, pdf
        assert f"{pages} page" in result.output
    for document in ("igp.pdf", "growth-plan.pdf"):
        flat = squashed(pdf_text(out / document))
        assert "FY2027" in flat and "Example Co" in flat
        for field in ("title", "department", "manager", "skip_level", "pbp"):
            value = expected[field]
            if value is not None:
                assert value in flat, (document, field)
        assert flat.count("—") >= sum(v is None for v in expected.values()), document
    central = out / "central-sheet.pdf"
    assert email in squashed(pdf_text(central))
    assert preview.pdf_pages(central) >= 1


@needs_libreoffice
def test_the_central_sheet_holds_the_whole_roster_without_person(tmp_path: Path) -> None:
    out = tmp_path / "preview"
    result = run_preview(tmp_path, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"central sheet of {PEOPLE} people" in result.output
    workbook = openpyxl.load_workbook(out / "central-sheet.xlsx")
    assert workbook.sheetnames, "the central workbook has tabs"
    text = squashed(pdf_text(out / "central-sheet.pdf"))
    assert "kwame.asante@example.com" in text and "lea.moreau@example.com" in text
    assert not (tmp_path / "output").exists(), "preview wrote into the configured output folder"


@needs_libreoffice
def test_ticks_show_as_true_or_false_whichever_way_a_spreadsheet_stored_them(
    tmp_path: Path,
) -> None:
    """Excel stores a tick as a boolean, some tools as 1/0: both read TRUE/FALSE, never 1."""
    out = tmp_path / "preview"
    assert run_preview(tmp_path, "--person", "kwame.asante@example.com", "--out", str(out))
    sheet = out / "growth-plan.xlsx"
    workbook = openpyxl.load_workbook(sheet)
    tab = workbook["Conversations"]
    tab.append([])  # nothing else changes: write the two rows into place
    for row, (date, ack, esc) in enumerate(
        [("2026-05-04", 1, 0), ("2026-05-18", True, False)], start=2
    ):
        tab.cell(row=row, column=1, value=date)
        tab.cell(row=row, column=3, value="manager 1:1")
        tab.cell(row=row, column=5, value=ack)
        tab.cell(row=row, column=6, value=esc)
    ticked = tmp_path / "ticked.xlsx"
    workbook.save(ticked)
    (pdf,) = preview.convert_to_pdf(preview.find_soffice() or "", [ticked], tmp_path)
    lines = [line.split() for line in pdf_text(pdf).splitlines() if "2026-05-" in line]
    conversation_rows = [words for words in lines if "manager" in words]
    assert [words[-2:] for words in conversation_rows] == [["TRUE", "FALSE"], ["TRUE", "FALSE"]]
