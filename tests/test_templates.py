"""The shipped templates: what people read, filled from a full example context."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import docx
import jinja2
import openpyxl
import pytest
from docx.text.paragraph import Paragraph
from jinja2 import meta

from careerdocs.cadence import (
    CONVERSATION_COLUMNS,
    CONVERSATIONS_TAB,
    COUNTING_RULE,
    ConversationType,
    fiscal_year,
)
from careerdocs.config import builtin_templates_dir, load_settings
from careerdocs.fields import person_context, placeholders, render_email, render_values
from careerdocs.roster import parse_roster, read_csv
from careerdocs.workspace import office

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "templates"
DOCX_TEMPLATES = ("igp.docx", "tracker.docx")
SHEET_TEMPLATE = "growth-plan.xlsx"
TODAY = date(2026, 11, 26)


def _load_make_defaults() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_defaults", TEMPLATES / "make_defaults.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_defaults = _load_make_defaults()


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Zoë from the example roster: a manager, a skip-level, a PBP, and every link known."""
    settings = load_settings(REPO / "config" / "careerdocs.example.toml")
    header, rows = read_csv(settings.require_roster().path)  # type: ignore[arg-type]
    roster = parse_roster(header, rows, allowed_domains=settings.allowed_domains)
    person = roster.get("zoe.lambert@example.com")
    assert person is not None
    links = {
        key: f"https://drive.example/{key}" for key in ("igp", "tracker", "growth_sheet", "folder")
    }
    fy = fiscal_year(TODAY, settings.fiscal_year_start_month)
    return person_context(person, roster, fy, settings, links=links, today=TODAY)


def paragraphs(document: Any) -> Iterator[Paragraph]:
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def docx_text(path: Path) -> list[str]:
    return [paragraph.text for paragraph in paragraphs(docx.Document(str(path)))]


def sheet_cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(path)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}


def template_text(name: str) -> str:
    path = TEMPLATES / name
    if path.suffix == ".docx":
        return "\n".join(docx_text(path))
    if path.suffix == ".xlsx":
        cells = sheet_cells(path)
        return "\n".join(str(v) for rows in cells.values() for row in rows for v in row if v)
    return path.read_text(encoding="utf-8")


# --- the files are what make_defaults.py writes ----------------------------------------------


def test_builtin_templates_are_found_where_config_looks() -> None:
    assert builtin_templates_dir() == TEMPLATES


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The templates as make_defaults.py writes them today."""
    out_dir = tmp_path_factory.mktemp("templates")
    written = make_defaults.write_defaults(out_dir)
    assert sorted(path.name for path in written) == sorted([*DOCX_TEMPLATES, SHEET_TEMPLATE])
    return out_dir


@pytest.mark.parametrize("name", DOCX_TEMPLATES)
def test_committed_docx_matches_make_defaults(rebuilt: Path, name: str) -> None:
    assert docx_text(rebuilt / name) == docx_text(TEMPLATES / name)


def test_committed_sheet_matches_make_defaults(rebuilt: Path) -> None:
    assert sheet_cells(rebuilt / SHEET_TEMPLATE) == sheet_cells(TEMPLATES / SHEET_TEMPLATE)


# --- every placeholder renders ---------------------------------------------------------------


@pytest.mark.parametrize("name", [*DOCX_TEMPLATES, SHEET_TEMPLATE, "email.txt"])
def test_every_placeholder_renders_with_a_full_context(name: str, context: dict[str, Any]) -> None:
    tokens = placeholders(template_text(name))
    assert tokens, f"{name} has no placeholders"
    values = render_values(tokens, context, where=name)
    assert list(values) == tokens
    assert "None" not in values.values()


@pytest.mark.parametrize("name", DOCX_TEMPLATES)
def test_each_docx_placeholder_sits_inside_one_run(name: str) -> None:
    for paragraph in paragraphs(docx.Document(str(TEMPLATES / name))):
        in_runs = [token for run in paragraph.runs for token in placeholders(run.text)]
        assert placeholders(paragraph.text) == list(dict.fromkeys(in_runs)), paragraph.text


def test_the_email_renders_subject_and_links(context: dict[str, Any]) -> None:
    text = (TEMPLATES / "email.txt").read_text(encoding="utf-8")
    email = render_email(text, context, where="email.txt")
    assert email.subject == "Your career development documents for FY2027"
    assert email.body.startswith("Hi =Zoë,\n")
    for key in ("igp", "tracker", "growth_sheet", "folder"):
        assert f"https://drive.example/{key}" in email.body
    assert "with Siobhán O'Brien." in email.body
    assert "Partner, Amara Nwosu (amara.nwosu@example.com)." in email.body


_DOCUMENTED = re.compile(r"\{\{ (\w+)\.<field> \}\}")


def test_the_readme_documents_every_placeholder_the_templates_use() -> None:
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    any_field_of = set(_DOCUMENTED.findall(readme))
    environment = jinja2.Environment()
    for name in (*DOCX_TEMPLATES, SHEET_TEMPLATE, "email.txt"):
        for token in placeholders(template_text(name)):
            for root in meta.find_undeclared_variables(environment.parse(token)):
                documented = root in any_field_of or f"{{{{ {root}" in readme
                assert documented, f"{root} in {token} ({name}) is not in README.md"


# --- what the documents say ------------------------------------------------------------------


def test_the_igp_says_it_is_not_a_promotion_conversation() -> None:
    assert "This is not a promotion or performance conversation." in docx_text(
        TEMPLATES / "igp.docx"
    )


@pytest.mark.parametrize(
    "heading",
    [
        "1. Where do I want to be in 2–5 years?",
        "2. What are my biggest skill gaps?",
        "3. How will I close them, and how does that serve our mission?",
        "4. My 70-20-10 plan",
        "5. Conscious career growth, once a year",
    ],
)
def test_the_igp_asks_the_three_questions_and_plans_growth(heading: str) -> None:
    assert heading in docx_text(TEMPLATES / "igp.docx")


def test_the_igp_has_a_70_20_10_table_and_names_the_mission() -> None:
    document = docx.Document(str(TEMPLATES / "igp.docx"))
    headers = [[cell.text for cell in table.rows[0].cells] for table in document.tables]
    assert ["Where it happens", "Action", "By when", "Status"] in headers
    plan = next(t for t in document.tables if t.rows[0].cells[0].text == "Where it happens")
    shares = {row.cells[0].text for row in plan.rows[1:]}
    assert shares == {"70% · on the job", "20% · from others", "10% · training"}
    assert "{% if org.mission %}Our mission: {{ org.mission }}{% endif %}" in docx_text(
        TEMPLATES / "igp.docx"
    )


def test_the_igp_explains_escalation_to_the_skip_level_manager() -> None:
    text = "\n".join(docx_text(TEMPLATES / "igp.docx"))
    assert "big disconnect between where you want to go and your current role" in text
    assert "escalates it to the skip-level manager" in text


def test_the_tracker_has_the_accomplishment_table() -> None:
    document = docx.Document(str(TEMPLATES / "tracker.docx"))
    assert [cell.text for cell in document.tables[0].rows[0].cells] == [
        "Date",
        "Accomplishment",
        "Impact",
        "Feedback received",
        "Link to evidence",
    ]


# --- the growth plan sheet -------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook() -> openpyxl.Workbook:
    return openpyxl.load_workbook(TEMPLATES / SHEET_TEMPLATE)


def validations(sheet: Any) -> dict[str, str]:
    return {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}


def test_the_sheet_has_about_growth_plan_and_conversations_tabs(workbook: Any) -> None:
    assert workbook.sheetnames == ["About", "Growth Plan", CONVERSATIONS_TAB]


def test_the_conversations_header_is_exactly_what_rollup_reads(workbook: Any) -> None:
    sheet = workbook[CONVERSATIONS_TAB]
    header = [cell.value for cell in sheet[1]]
    while header and header[-1] is None:  # as every reader trims them
        header.pop()
    assert tuple(header) == CONVERSATION_COLUMNS
    assert CONVERSATION_COLUMNS == (
        "Date",
        "With whom",
        "Type",
        "Notes",
        "Acknowledged",
        "Escalation",
    )


def test_the_conversations_tab_offers_the_types_and_ticks(workbook: Any) -> None:
    types = ",".join(kind.value for kind in ConversationType)
    assert validations(workbook[CONVERSATIONS_TAB]) == {
        "C2": f'"{types}"',
        "E2": '"TRUE,FALSE"',
        "F2": '"TRUE,FALSE"',
    }
    assert types == "career,skip-level,manager 1:1"


def test_the_acknowledged_header_says_only_the_team_member_ticks_it(workbook: Any) -> None:
    note = workbook[CONVERSATIONS_TAB]["E1"].comment
    assert note is not None
    assert note.text.startswith("Only you, the team member, tick this")


def test_the_growth_plan_tab_has_its_header_and_area_choices(workbook: Any) -> None:
    sheet = workbook["Growth Plan"]
    assert "Horizon is when you aim to reach a goal" in sheet["A1"].value
    assert [cell.value for cell in sheet[2]] == [
        "Area",
        "Goal",
        "Horizon",
        "Current status",
        "Next step",
        "Updated",
    ]
    assert validations(sheet) == {"A3": '"personal,professional"'}
    assert sheet["A3"].value == "professional"  # the example row


def test_placeholders_are_only_on_the_about_tab(workbook: Any) -> None:
    for sheet in workbook:
        cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
        found = [token for cell in cells for token in placeholders(cell)]
        assert bool(found) == (sheet.title == "About"), sheet.title


# --- text that fits every person ------------------------------------------------------------

EXAMPLE_PEOPLE = {
    "everything": "zoe.lambert@example.com",
    "no-manager": "margaret.okafor@example.com",  # the top of the chain: no skip-level either
    "no-skip-level": "rahul.mehta@example.com",  # reports to the top
    "no-pbp": "ines.duarte@example.com",
}
# Signs of a sentence built around a value that was empty.
DANGLING = re.compile(r" [.,;:]|, [.,]|\bat \.|\(\)|\b(with|to|and|or),? *$", re.M)


def _context_for(email: str) -> dict[str, Any]:
    settings = load_settings(REPO / "config" / "careerdocs.example.toml")
    header, rows = read_csv(settings.require_roster().path)  # type: ignore[arg-type]
    roster = parse_roster(header, rows, allowed_domains=settings.allowed_domains)
    person = roster.get(email)
    assert person is not None
    fy = fiscal_year(TODAY, settings.fiscal_year_start_month)
    return person_context(person, roster, fy, settings, today=TODAY)


def _filled_texts(context: dict[str, Any], tmp_path: Path) -> dict[str, list[str]]:
    """What the person reads: every paragraph or cell of the three filled files, and the
    email body's lines."""
    texts: dict[str, list[str]] = {}
    for name in (*DOCX_TEMPLATES, SHEET_TEMPLATE):
        template = TEMPLATES / name
        values = render_values(placeholders(template_text(name)), context, where=name)
        filled = tmp_path / name
        filled.write_bytes(office.fill(template, values, protect_layout=name == SHEET_TEMPLATE))
        if name.endswith(".docx"):
            texts[name] = docx_text(filled)
        else:
            cells = sheet_cells(filled)
            texts[name] = [str(v) for rows in cells.values() for row in rows for v in row if v]
    email = render_email((TEMPLATES / "email.txt").read_text(encoding="utf-8"), context, where="e")
    texts["email.txt"] = email.body.splitlines()
    return texts


@pytest.mark.parametrize("case", EXAMPLE_PEOPLE)
def test_no_sentence_dangles_for_anyone(case: str, tmp_path: Path) -> None:
    texts = _filled_texts(_context_for(EXAMPLE_PEOPLE[case]), tmp_path)
    for name, lines in texts.items():
        for line in lines:
            assert "{{" not in line and "{%" not in line, (name, line)
            assert not DANGLING.search(line), (case, name, line)


@pytest.mark.parametrize(
    ("case", "absent", "present"),
    [
        pytest.param(
            "no-manager",
            ["your manager", "skip-level manager,", "Business Partner, Ines"],
            ["Talk them through with someone whose view you trust"],
            id="no-manager",
        ),
        pytest.param(
            "no-skip-level",
            ["your skip-level manager", "escalates it to the skip-level"],
            ["take your plan to a 1:1 with your manager, Margaret Okafor"],
            id="no-skip-level",
        ),
        pytest.param(
            "no-pbp",
            ["People Business Partner,", "Partner at"],
            ["Ask your manager, Margaret Okafor."],
            id="no-pbp",
        ),
        pytest.param(
            "everything",
            [],
            [
                "your skip-level manager, Rahul Mehta",
                "People Business Partner, Amara Nwosu (amara.nwosu@example.com).",
            ],
            id="everything",
        ),
    ],
)
def test_sentences_follow_who_the_person_has(
    case: str, absent: list[str], present: list[str], tmp_path: Path
) -> None:
    texts = _filled_texts(_context_for(EXAMPLE_PEOPLE[case]), tmp_path)
    igp = " ".join(texts["igp.docx"])
    everything = " ".join(line for lines in texts.values() for line in lines)
    for phrase in absent:
        assert phrase not in everything, phrase
    for phrase in present:
        assert phrase in igp, phrase


@pytest.mark.parametrize("case", ["no-manager", "no-pbp"])
def test_a_missing_person_shows_as_a_dash_never_a_blank_cell(case: str, tmp_path: Path) -> None:
    texts = _filled_texts(_context_for(EXAMPLE_PEOPLE[case]), tmp_path)
    label = {"no-manager": "Manager", "no-pbp": "People Business Partner"}[case]
    for name in ("igp.docx", SHEET_TEMPLATE):
        lines = texts[name]
        assert lines[lines.index(label) + 1] == make_defaults.NONE, name


def test_the_pbp_is_named_when_the_roster_knows_them(tmp_path: Path) -> None:
    texts = _filled_texts(_context_for(EXAMPLE_PEOPLE["everything"]), tmp_path)
    lines = texts["igp.docx"]
    assert lines[lines.index("People Business Partner") + 1] == "Amara Nwosu"


@pytest.mark.parametrize(("backend", "says"), [("local", "files in a"), ("google", "own\nDrive")])
def test_the_email_speaks_of_files_locally_and_of_drive_on_google(backend: str, says: str) -> None:
    context = {**_context_for(EXAMPLE_PEOPLE["everything"]), "backend": backend}
    body = render_email((TEMPLATES / "email.txt").read_text(encoding="utf-8"), context, where="e")
    assert says in body.body
    assert ("Drive" in body.body) == (backend == "google")


# --- one rule for what counts -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["igp.docx", SHEET_TEMPLATE])
def test_the_documents_quote_the_counting_rule(name: str) -> None:
    assert COUNTING_RULE in template_text(name).splitlines()


def test_the_readmes_quote_the_counting_rule() -> None:
    for readme in (REPO / "README.md", TEMPLATES / "README.md"):
        text = " ".join(readme.read_text(encoding="utf-8").replace("> ", "").split())
        assert COUNTING_RULE in text, readme


@pytest.mark.parametrize(
    ("tab", "frozen", "choices", "dates"),
    [
        ("Conversations", 1, {2: tuple(k.value for k in ConversationType)}, {0: "yyyy-mm-dd"}),
        ("Growth Plan", 2, {0: ("personal", "professional")}, {5: "yyyy-mm-dd"}),
    ],
)
def test_the_layout_a_backend_sets_again_is_read_from_the_template(
    tab: str, frozen: int, choices: dict[int, tuple[str, ...]], dates: dict[int, str]
) -> None:
    """What the Google backend re-applies after an upload (office.tab_layout): the checkbox
    columns are not dropdowns, Notes is the widest data column and wraps."""
    layout = office.tab_layout(TEMPLATES / SHEET_TEMPLATE, tab)
    assert layout is not None
    assert (layout.frozen_rows, dict(layout.choices), dict(layout.date_formats)) == (
        frozen,
        choices,
        dates,
    )
    if tab == "Conversations":
        assert max(range(6), key=lambda c: layout.widths[c]) == 3 and 3 in layout.wrapped
