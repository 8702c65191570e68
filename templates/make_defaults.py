"""Write careerdocs' default Office templates: igp.docx, tracker.docx and growth-plan.xlsx.

Run ``PYTHONPATH=. python templates/make_defaults.py`` from the repository root (or plain
``python templates/make_defaults.py`` once careerdocs is installed) after changing the wording
here, and commit the script together with the files it writes: the shipped files are what people
receive; this script is how they are reviewed and rebuilt. An argument writes to another folder.

Every ``{{ placeholder }}`` is written inside a single Word run, so a backend can fill a
document by replacing each token's text (Google Docs ``replaceAllText``, or the runs of a .docx)
without reassembling text split across formatting. Placeholders are listed in README.md here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.table import Table
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from careerdocs.cadence import CONVERSATION_COLUMNS, CONVERSATIONS_TAB, ConversationType

IGP_FILE = "igp.docx"
TRACKER_FILE = "tracker.docx"
GROWTH_SHEET_FILE = "growth-plan.xlsx"

ABOUT_TAB = "About"
GROWTH_PLAN_TAB = "Growth Plan"
GROWTH_PLAN_COLUMNS = ("Area", "Goal", "Horizon", "Current status", "Next step", "Updated")
AREAS = ("personal", "professional")
TICK_CHOICES = ("TRUE", "FALSE")
ACKNOWLEDGED_COLUMN = "Acknowledged"
ESCALATION_COLUMN = "Escalation"
NOT_PROMOTION = "This is not a promotion or performance conversation."

AUTHOR = "careerdocs"
# A fixed date keeps the .docx files identical from one rebuild to the next.
BUILT = datetime(2026, 1, 1, tzinfo=timezone.utc)
EDITABLE_ROWS = 200  # rows of the growth sheet that carry validation and formats
DATE_FORMAT = "yyyy-mm-dd"
HINT_GREY = RGBColor(0x6B, 0x6B, 0x6B)
NOTE_FILL = "FFF4E5"  # a light amber box around the "not a promotion" note
HEADER_FILL = "E8EEF7"
ANSWER_LINES = 4
TRACKER_ROWS = 12
PLAN_ROWS_PER_SHARE = 2


# --- .docx building blocks -------------------------------------------------------------------


def _new_document(title: str) -> DocxDocument:
    document = Document()
    properties = document.core_properties
    properties.title = title
    properties.author = AUTHOR
    properties.last_modified_by = AUTHOR
    properties.created = BUILT
    properties.modified = BUILT
    properties.revision = 1
    return document


def _shade(cell_element: OxmlElement, fill: str) -> None:
    properties = cell_element.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _hint(document: DocxDocument, text: str) -> None:
    """Grey italic guidance the person reads and may delete."""
    run = document.add_paragraph().add_run(text)
    run.italic = True
    run.font.color.rgb = HINT_GREY


def _bullets(document: DocxDocument, items: Sequence[str]) -> None:
    for item in items:
        document.add_paragraph(item, style="List Bullet")


def _table(document: DocxDocument, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
        _shade(cell._tc, HEADER_FILL)
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text
    return table


def _details(document: DocxDocument, rows: Sequence[tuple[str, str]]) -> None:
    """A two-column table of labels and placeholders (each placeholder one run)."""
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        left, right = table.add_row().cells
        left.paragraphs[0].add_run(label).bold = True
        _shade(left._tc, HEADER_FILL)
        right.paragraphs[0].add_run(value)


def _note_box(document: DocxDocument, heading: str, lines: Sequence[str]) -> None:
    table = document.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    cell = table.rows[0].cells[0]
    _shade(cell._tc, NOTE_FILL)
    heading_run = cell.paragraphs[0].add_run(heading)
    heading_run.bold = True
    heading_run.font.size = Pt(12)
    for line in lines:
        cell.add_paragraph(line)


def _answer_box(document: DocxDocument, hint: str) -> None:
    table = document.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    cell = table.rows[0].cells[0]
    run = cell.paragraphs[0].add_run(hint)
    run.italic = True
    run.font.color.rgb = HINT_GREY
    for _ in range(ANSWER_LINES):
        cell.add_paragraph("")


# --- Individual Growth Plan ------------------------------------------------------------------


def build_igp(path: Path) -> None:
    document = _new_document("Individual Growth Plan")
    document.add_heading("Individual Growth Plan — {{ person.name }}", level=0)
    document.add_paragraph("{{ org.name }} · {{ fy.label }}", style="Subtitle")
    _details(
        document,
        [
            ("Name", "{{ person.name }}"),
            ("Role", "{{ person.title }}"),
            ("Department", "{{ person.department }}"),
            ("Manager", "{{ manager.name }}"),
            ("Skip-level manager", "{{ skip_level.name }}"),
            ("People Business Partner", "{{ pbp.email }}"),
            ("Fiscal year", "{{ fy.label }}: {{ fy.start }} to {{ fy.end }}"),
        ],
    )
    document.add_paragraph("")
    _note_box(
        document,
        NOT_PROMOTION,
        [
            "Your growth plan is about you: where you want your career to go and what you need "
            "to get there. It is not a promotion case, a performance review or a rating, and "
            "nothing written here is a promise — from you or from {{ org.name }}.",
            "Be candid. A plan is only useful if it is honest, and it is fine not to know yet.",
        ],
    )

    document.add_heading("How to use this plan", level=1)
    _bullets(
        document,
        [
            "Write your answers before your career conversation, in your own words. Short is fine.",
            "Talk them through with your manager. Aim for two formal career conversations each "
            "fiscal year, one in Q2 and one in Q4. Once a year is the minimum; once a quarter is "
            "the most we recommend.",
            "After each conversation, log it on the Conversations tab of your growth plan sheet "
            "and tick Acknowledged. Only you can tick it: it is how we know the conversation "
            "really happened.",
            "Keep the plan alive. Come back to it when something changes: a new project, a new "
            "interest, feedback that surprised you.",
            "New here? Career conversations start after your first 90 days. Settle in first; "
            "begin this plan whenever you are ready.",
        ],
    )

    document.add_heading("1. Where do I want to be in 2–5 years?", level=1)
    _hint(
        document,
        "Think about the work, not only the title. What do you want to be known for? What would "
        "you like to do more of, and less of? Which problems do you want to be trusted with? "
        "More than one direction is fine, and so is saying you are not sure yet.",
    )
    _answer_box(document, "My answer:")

    document.add_heading("2. What are my biggest skill gaps?", level=1)
    _hint(
        document,
        "Compared with where you want to be, what is missing today? Look at skills (technical, "
        "leadership, communication), experience (situations you have not been in yet) and "
        "relationships (people you would need to know). Pick the two or three gaps that matter "
        "most. Your accomplishment tracker and the feedback you have received are good evidence.",
    )
    _answer_box(document, "My answer:")

    document.add_heading("3. How will I close them, and how does that serve our mission?", level=1)
    _hint(
        document,
        "For each gap, say what you will do about it. Then connect it to the company: growth "
        "that also moves our mission forward is the easiest to support with time, projects and "
        "budget.",
    )
    mission = document.add_paragraph()
    mission.add_run("Our mission: ").bold = True
    mission.add_run("{{ org.mission }}")
    _answer_box(document, "My answer:")

    document.add_heading("4. My 70-20-10 plan", level=1)
    _hint(
        document,
        "People grow mostly by doing. Plan about 70% of your development through experience on "
        "the job (stretch assignments, new responsibilities), 20% through other people "
        "(mentoring, coaching, feedback, pairing, shadowing) and 10% through formal training "
        "(courses, books, conferences). Give each action a date and keep its status current.",
    )
    shares = ("70% · on the job", "20% · from others", "10% · training")
    _table(
        document,
        ("Where it happens", "Action", "By when", "Status"),
        [(share, "", "", "") for share in shares for _ in range(PLAN_ROWS_PER_SHARE)],
    )

    document.add_heading("5. Conscious career growth: the yearly skip-level conversation", level=1)
    document.add_paragraph(
        "Once a year, talk your plan through with your skip-level manager, your manager's "
        "manager. Bring your answers to the three questions above. The skip-level manager "
        "listens for where you want to go and for what the wider organisation can offer that "
        "one team alone cannot."
    )
    document.add_paragraph(
        "Then meet your manager 1:1 to agree what happens next: which actions from your "
        "70-20-10 plan to start first, and how your manager will support them."
    )
    document.add_paragraph(
        "If there is a big disconnect between where you want to go and your current role, "
        "your manager escalates it to the skip-level manager, so that together they can look "
        "for a path: another team, a different role, a new kind of project. An escalation is "
        "a request for help on your behalf, not a warning."
    )
    document.add_paragraph(
        "Log both meetings on the Conversations tab of your growth plan sheet (type skip-level, "
        "then manager 1:1), tick Acknowledged, and tick Escalation if one was raised."
    )

    document.add_heading("Questions?", level=1)
    document.add_paragraph("Ask your manager, or your People Business Partner at {{ pbp.email }}.")
    _hint(document, "Prepared for {{ person.name }} on {{ today }}.")
    document.save(path)


# --- Accomplishment tracker ------------------------------------------------------------------


def build_tracker(path: Path) -> None:
    document = _new_document("Accomplishment tracker")
    document.add_heading("Accomplishment tracker — {{ person.name }}", level=0)
    document.add_paragraph("{{ org.name }} · {{ person.title }}", style="Subtitle")
    document.add_paragraph(
        "A running record of what you did, the difference it made, and what people said about "
        "it. Memory is short: by the time of your next career conversation, the details of a "
        "win from eight months ago are gone. A couple of minutes a week here gives you and "
        "your manager real evidence to talk about."
    )
    document.add_heading("How to keep it", level=1)
    _bullets(
        document,
        [
            "Add an entry when something goes well: a launch, a problem solved, a colleague "
            "helped, a skill used for the first time. Small wins count.",
            "Describe the impact: who benefited, and how. Numbers help (time saved, customers "
            "reached, incidents avoided) but are not required.",
            "Copy feedback as it was given, with who gave it and when.",
            "Link to the evidence: a document, a pull request, a message, a dashboard.",
            "Bring it to your career conversations, and use it to answer the questions in your "
            "Individual Growth Plan.",
        ],
    )
    document.add_paragraph(
        "This record is yours. It is shared with your manager so they can see your work; it is "
        "not a performance review."
    )
    document.add_heading("My accomplishments", level=1)
    example = (
        "Example: 2026-03-14",
        "Rewrote the on-call handover checklist",
        "Pages handed over without context fell from 12 a week to 2",
        "“The clearest runbook we have” (team lead, March)",
        "Link to the checklist",
    )
    table = _table(
        document,
        ("Date", "Accomplishment", "Impact", "Feedback received", "Link to evidence"),
        [example, *[("",) * len(example) for _ in range(TRACKER_ROWS)]],
    )
    for cell in table.rows[1].cells:
        for run in cell.paragraphs[0].runs:
            run.italic = True
            run.font.color.rgb = HINT_GREY
    document.save(path)


# --- Growth plan sheet -----------------------------------------------------------------------

ABOUT_ROWS = (
    ("Name", "{{ person.name }}"),
    ("Email", "{{ person.email }}"),
    ("Role", "{{ person.title }}"),
    ("Department", "{{ person.department }}"),
    ("Manager", "{{ manager.name }}"),
    ("Manager's email", "{{ manager.email }}"),
    ("Skip-level manager", "{{ skip_level.name }}"),
    ("Skip-level manager's email", "{{ skip_level.email }}"),
    ("People Business Partner", "{{ pbp.email }}"),
    ("Fiscal year", "{{ fy.label }}"),
    ("Fiscal year runs", "{{ fy.start }} to {{ fy.end }}"),
)
ABOUT_NOTES = (
    "How to use this sheet",
    "Growth Plan tab: your goals, personal and professional, where each stands today and the "
    "next step. Update it whenever something moves.",
    "Conversations tab: one row for every career conversation, skip-level meeting and manager 1:1.",
    "Only you, the team member, tick Acknowledged, once you agree the conversation happened as "
    "logged. Your manager cannot tick it for you.",
    "Tick Escalation when a big disconnect between your direction and your role was raised "
    "with your skip-level manager.",
    "Aim for a career conversation in Q2 and another in Q4 of each fiscal year; at least one a "
    "year. New team members start after their first 90 days.",
    NOT_PROMOTION,
)
ACKNOWLEDGED_NOTE = (
    "Only you, the team member, tick this: TRUE once you agree the conversation happened as "
    "logged. Your manager cannot tick it for you."
)
ESCALATION_NOTE = (
    "TRUE when a big disconnect between your direction and your role was raised with your "
    "skip-level manager."
)
GROWTH_PLAN_NOTES = {
    "Area": "personal or professional",
    "Horizon": "For example: this quarter, this year, 2–5 years",
    "Updated": "The date you last changed this row",
}


def _header(sheet: Worksheet, columns: Sequence[str], widths: Sequence[int]) -> None:
    sheet.append(list(columns))
    for cell, width in zip(sheet[1], widths, strict=True):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"


def _list_validation(sheet: Worksheet, column: str, choices: Sequence[str], prompt: str) -> None:
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        error=f"Choose one of: {', '.join(choices)}",
        promptTitle=prompt[:32],
        prompt=", ".join(choices),
    )
    validation.add(f"{column}2:{column}{EDITABLE_ROWS + 1}")
    sheet.add_data_validation(validation)


def _date_column(sheet: Worksheet, column: str) -> None:
    for row in range(2, EDITABLE_ROWS + 2):
        sheet[f"{column}{row}"].number_format = DATE_FORMAT


def _letter(columns: Sequence[str], name: str) -> str:
    return get_column_letter(columns.index(name) + 1)


def _about(sheet: Worksheet) -> None:
    sheet.title = ABOUT_TAB
    sheet["A1"] = "Growth plan — {{ person.name }}"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A2"] = "{{ org.name }} · {{ fy.label }}"
    for offset, (label, value) in enumerate(ABOUT_ROWS):
        row = 4 + offset
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        sheet.cell(row=row, column=2, value=value)
    first_note = 4 + len(ABOUT_ROWS) + 1
    for offset, note in enumerate(ABOUT_NOTES):
        cell = sheet.cell(row=first_note + offset, column=1, value=note)
        cell.font = Font(bold=offset in (0, len(ABOUT_NOTES) - 1))
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 48


def _growth_plan(sheet: Worksheet) -> None:
    _header(sheet, GROWTH_PLAN_COLUMNS, (14, 44, 16, 36, 36, 12))
    for name, note in GROWTH_PLAN_NOTES.items():
        sheet[f"{_letter(GROWTH_PLAN_COLUMNS, name)}1"].comment = Comment(note, AUTHOR)
    _list_validation(sheet, _letter(GROWTH_PLAN_COLUMNS, "Area"), AREAS, "Area")
    _date_column(sheet, _letter(GROWTH_PLAN_COLUMNS, "Updated"))
    for row in sheet.iter_rows(min_row=2, max_row=EDITABLE_ROWS + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _conversations(sheet: Worksheet) -> None:
    columns = CONVERSATION_COLUMNS
    _header(sheet, columns, (12, 24, 14, 60, 14, 12))
    types = [kind.value for kind in ConversationType]
    _list_validation(sheet, _letter(columns, "Type"), types, "Type")
    acknowledged = _letter(columns, ACKNOWLEDGED_COLUMN)
    escalation = _letter(columns, ESCALATION_COLUMN)
    _list_validation(sheet, acknowledged, TICK_CHOICES, ACKNOWLEDGED_COLUMN)
    _list_validation(sheet, escalation, TICK_CHOICES, ESCALATION_COLUMN)
    sheet[f"{acknowledged}1"].comment = Comment(ACKNOWLEDGED_NOTE, AUTHOR)
    sheet[f"{escalation}1"].comment = Comment(ESCALATION_NOTE, AUTHOR)
    _date_column(sheet, _letter(columns, "Date"))


def build_growth_sheet(path: Path) -> None:
    workbook = Workbook()
    workbook.properties.creator = AUTHOR
    workbook.properties.title = "Growth plan"
    workbook.properties.created = BUILT.replace(tzinfo=None)
    _about(workbook.active)
    _growth_plan(workbook.create_sheet(GROWTH_PLAN_TAB))
    _conversations(workbook.create_sheet(CONVERSATIONS_TAB))
    workbook.active = 0
    workbook.save(path)


BUILDERS = {
    IGP_FILE: build_igp,
    TRACKER_FILE: build_tracker,
    GROWTH_SHEET_FILE: build_growth_sheet,
}


def write_defaults(out_dir: Path) -> list[Path]:
    """Write the three templates into ``out_dir`` and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in BUILDERS.items():
        build(out_dir / name)
        written.append(out_dir / name)
    return written


def main(argv: Sequence[str]) -> int:
    out_dir = Path(argv[0]) if argv else Path(__file__).resolve().parent
    for path in write_defaults(out_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
