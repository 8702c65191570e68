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

import re
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.table import Table
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from careerdocs.cadence import (
    CONVERSATION_COLUMNS,
    CONVERSATIONS_TAB,
    COUNTING_RULE,
    ConversationType,
)

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

# Shown where the roster has no value: a dash reads as "none", an empty cell as a mistake.
NONE = "—"

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
# The tracker is a wide table: landscape, with room for the long columns.
TRACKER_MARGIN = Inches(0.7)
TRACKER_WIDTHS = (Inches(1.15), Inches(2.4), Inches(2.4), Inches(1.95), Inches(1.7))
PLAN_WIDTHS = (Inches(1.6), Inches(2.4), Inches(0.9), Inches(1.1))
TRACKER_ROW_HEIGHT = Inches(0.55)
# Sheet row heights in points: one line of 11pt text, and the characters that fit per width unit.
LINE_HEIGHT = 15
CHARS_PER_WIDTH = 1.1


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


def _pbp_contact() -> str:
    """The PBP as a sentence names them: by name with the address, or the address alone."""
    return '{{ pbp.display }}{{ " (" ~ pbp.email ~ ")" if pbp.name else "" }}'


# Each of these is one paragraph written as one {% if %} token (fields.placeholders), so a
# person without a manager, a skip-level manager or a PBP never reads a sentence about them.
TALK_IT_THROUGH = (
    "{% if manager.email %}Talk them through with your manager, {{ manager.display }}. "
    "{% else %}Talk them through with someone whose view you trust: a mentor, a peer or a "
    "coach. {% endif %}Aim for two formal career conversations each fiscal year, one in Q2 "
    "and one in Q4. Once a year is the minimum; once a quarter is the most we recommend."
)
YEARLY_FIRST = (
    "{% if skip_level.email %}Once a year, talk your plan through with your skip-level "
    "manager, {{ skip_level.display }} (your manager's manager). Bring your answers to the "
    "three questions above. The skip-level manager listens for where you want to go and for "
    "what the wider organisation can offer that one team alone cannot."
    "{% elif manager.email %}Once a year, take your plan to a 1:1 with your manager, "
    "{{ manager.display }}, set aside for your career: bring your answers to the three "
    "questions above and agree which actions from your 70-20-10 plan to start first."
    "{% else %}Once a year, set time aside to review this plan against where you want to go, "
    "and talk it through with a mentor or coach you trust.{% endif %}"
)
YEARLY_THEN = (
    "{% if skip_level.email %}Then meet your manager, {{ manager.display }}, 1:1 to agree "
    "what happens next: which actions from your 70-20-10 plan to start first, and how your "
    "manager will support them.{% endif %}"
)
YEARLY_ESCALATION = (
    "{% if skip_level.email %}If there is a big disconnect between where you want to go and "
    "your current role, your manager escalates it to the skip-level manager, so that "
    "together they can look for a path: another team, a different role, a new kind of "
    "project. An escalation is a request for help on your behalf, not a warning."
    "{% elif manager.email %}If there is a big disconnect between where you want to go and "
    "your current role, say so: your manager looks for a path with you, such as another "
    "team, a different role or a new kind of project. Raising it is a request for help, "
    "not a warning.{% endif %}"
)
YEARLY_LOG = (
    "{% if skip_level.email %}Log both meetings on the Conversations tab of your growth plan "
    "sheet (type skip-level, then manager 1:1), tick Acknowledged, and tick Escalation if "
    "one was raised.{% elif manager.email %}Log the 1:1 on the Conversations tab of your "
    "growth plan sheet (type manager 1:1) and tick Acknowledged.{% endif %}"
)
QUESTIONS = (
    "{% if manager.email and pbp.email %}Ask your manager, {{ manager.display }}, or your "
    "People Business Partner, " + _pbp_contact() + ".{% elif manager.email %}Ask your "
    "manager, {{ manager.display }}.{% elif pbp.email %}Ask your People Business Partner, "
    + _pbp_contact()
    + ".{% else %}Ask the People team.{% endif %}"
)
MISSION = "{% if org.mission %}Our mission: {{ org.mission }}{% endif %}"


def build_igp(path: Path) -> None:
    document = _new_document("Individual Growth Plan")
    document.add_heading("Individual Growth Plan — {{ person.name }}", level=0)
    document.add_paragraph("{{ org.name }} · {{ fy.label }}", style="Subtitle")
    _details(
        document,
        [
            ("Name", "{{ person.name }}"),
            ("Role", f'{{{{ person.title or "{NONE}" }}}}'),
            ("Department", f'{{{{ person.department or "{NONE}" }}}}'),
            ("Manager", f'{{{{ manager.display or "{NONE}" }}}}'),
            ("Skip-level manager", f'{{{{ skip_level.display or "{NONE}" }}}}'),
            ("People Business Partner", f'{{{{ pbp.display or "{NONE}" }}}}'),
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
            TALK_IT_THROUGH,
            "After each conversation, log it on the Conversations tab of your growth plan sheet "
            "and tick Acknowledged. Only you should tick it: it is how we know the conversation "
            "really happened.",
            COUNTING_RULE,
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
    document.add_paragraph().add_run(MISSION).bold = True
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
    plan = _table(
        document,
        ("Where it happens", "Action", "By when", "Status"),
        [(share, "", "", "") for share in shares for _ in range(PLAN_ROWS_PER_SHARE)],
    )
    _fix_widths(plan, PLAN_WIDTHS)

    document.add_heading("5. Conscious career growth, once a year", level=1)
    for text in (YEARLY_FIRST, YEARLY_THEN, YEARLY_ESCALATION, YEARLY_LOG):
        document.add_paragraph(text)

    document.add_heading("Questions?", level=1)
    document.add_paragraph(QUESTIONS)
    _hint(document, "Prepared for {{ person.name }} on {{ today }}.")
    document.save(path)


# --- Accomplishment tracker ------------------------------------------------------------------


TRACKER_COLUMNS = ("Date", "Accomplishment", "Impact", "Feedback received", "Link to evidence")
TRACKER_SUBTITLE = '{{ org.name }}{{ " · " ~ person.title if person.title else "" }}'
TRACKER_SHARED = (
    "This record is yours{% if manager.email %}. It is shared with your manager, "
    "{{ manager.display }}, so they can see your work, but it{% else %}, and it{% endif %} is "
    "not a performance review."
)


def _landscape(document: DocxDocument, margin: Inches) -> None:
    section = document.sections[0]
    width, height = section.page_width, section.page_height
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = max(width, height), min(width, height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, margin)


def _fix_widths(table: Table, widths: Sequence[Inches]) -> None:
    """Column widths Word and LibreOffice both honour: a fixed layout, the grid, every cell."""
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def build_tracker(path: Path) -> None:
    document = _new_document("Accomplishment tracker")
    _landscape(document, TRACKER_MARGIN)
    document.add_heading("Accomplishment tracker — {{ person.name }}", level=0)
    document.add_paragraph(TRACKER_SUBTITLE, style="Subtitle")
    document.add_paragraph(
        "A running record of what you did, the difference it made, and what people said about "
        "it. Memory is short: by the time of your next career conversation, the details of a "
        "win from eight months ago are gone. A couple of minutes a week here gives you real "
        "evidence to talk about{% if manager.email %} with your manager{% endif %}."
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
    document.add_paragraph(TRACKER_SHARED)
    document.add_heading("My accomplishments", level=1)
    _hint(document, "The grey row is an example: type over it or delete it. Add rows as you go.")
    example = (
        "2026-03-14",
        "Rewrote the on-call handover checklist",
        "Pages handed over without context fell from 12 a week to 2",
        "“The clearest runbook we have” (team lead, March)",
        "Link to the checklist",
    )
    table = _table(
        document,
        TRACKER_COLUMNS,
        [example, *[("",) * len(example) for _ in range(TRACKER_ROWS)]],
    )
    _fix_widths(table, TRACKER_WIDTHS)
    for row in table.rows[1:]:
        row.height = TRACKER_ROW_HEIGHT
    for cell in table.rows[1].cells:
        for run in cell.paragraphs[0].runs:
            run.italic = True
            run.font.color.rgb = HINT_GREY
    document.save(path)


# --- Growth plan sheet -----------------------------------------------------------------------

ABOUT_ROWS = (
    ("Name", "{{ person.name }}"),
    ("Email", "{{ person.email }}"),
    ("Role", f'{{{{ person.title or "{NONE}" }}}}'),
    ("Department", f'{{{{ person.department or "{NONE}" }}}}'),
    ("Manager", f'{{{{ manager.display or "{NONE}" }}}}'),
    ("Skip-level manager", f'{{{{ skip_level.display or "{NONE}" }}}}'),
    ("People Business Partner", f'{{{{ pbp.display or "{NONE}" }}}}'),
    ("Fiscal year", "{{ fy.label }}: {{ fy.start }} to {{ fy.end }}"),
)
ABOUT_HEADING = "How to use this sheet"
ABOUT_NOTES = (
    "Growth Plan tab: your goals, personal and professional, where each stands today and the "
    "next step. Update it whenever something moves. The grey row is an example.",
    "Conversations tab: one row for every career conversation, skip-level meeting and "
    "manager 1:1: the date, who with, the type, a few words of notes. The box on the right "
    "of that tab shows a filled-in row.",
    "Only you, the team member, tick Acknowledged (choose TRUE), once you agree the "
    "conversation happened as logged. It records your agreement, so nobody else should tick "
    "it for you.",
    "{% if skip_level.email %}Tick Escalation (TRUE) when a big disconnect between your "
    "direction and your role was raised with your skip-level manager, "
    "{{ skip_level.display }}.{% elif manager.email %}Tick Escalation (TRUE) when a big "
    "disconnect between your direction and your role was raised with your manager, "
    "{{ manager.display }}.{% else %}Escalation is for a big disconnect between your "
    "direction and your role; leave it FALSE unless one was raised.{% endif %}",
    "Aim for a career conversation in Q2 and another in Q4 of each fiscal year; at least one a "
    "year. New team members start after their first 90 days.",
    COUNTING_RULE,
)
ACKNOWLEDGED_NOTE = (
    "Only you, the team member, tick this: TRUE once you agree the conversation happened as "
    "logged. It records your agreement, so nobody else should tick it for you."
)
ESCALATION_NOTE = (
    "TRUE when a big disconnect between your direction and your role was raised with your "
    "skip-level manager (or your manager, if you have no skip-level manager)."
)
GROWTH_PLAN_INTRO = (
    "Your goals, personal and professional. Horizon is when you aim to reach a goal: this "
    "quarter, this year, or 2–5 years. The grey row is an example: type over it or delete it."
)
GROWTH_PLAN_EXAMPLE = (
    "professional",
    "Lead a design review on my own",
    "this year",
    "Shadowed two reviews; the first of my own is planned for June",
    "Ask my manager to pair with me on the June review",
    "2026-04-02",
)
GROWTH_PLAN_NOTES = {
    "Area": "personal or professional",
    "Horizon": "When you aim to reach the goal: this quarter, this year, 2–5 years",
    "Updated": "The date you last changed this row",
}
GROWTH_PLAN_WIDTHS = (14, 34, 14, 34, 34, 12)
CONVERSATION_WIDTHS = (12, 22, 14, 50, 14, 12)
# The worked example on the Conversations tab sits right of the columns rollup reads, below
# the header row (which must stay exactly CONVERSATION_COLUMNS): cells there are never read.
EXAMPLE_COLUMN = len(CONVERSATION_COLUMNS) + 2
EXAMPLE_WIDTH = 62
CONVERSATIONS_EXAMPLE = (
    "How to log a conversation",
    "One row per conversation, from row 2 down. For example:",
    "Date: 2026-05-18",
    "With whom: the person you talked with, by name",
    "Type: manager 1:1 (or career, or skip-level)",
    "Notes: my 2–5 year direction; next step, a stretch project",
    "Acknowledged: TRUE once you agree it happened as logged (you alone)",
    "Escalation: FALSE, unless a big disconnect with your role was raised",
    "Which conversations count: see the About tab.",
)
PRINT_ROWS = 40  # rows of the person's own tabs that print: the header and the first entries
TICK_FORMAT = '"TRUE";"TRUE";"FALSE"'  # a 1 or 0 from any spreadsheet shows as TRUE or FALSE
HINT_FONT = Font(italic=True, color="6B6B6B")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TICK_ALIGNMENT = Alignment(horizontal="center", vertical="top")


_BRANCH = re.compile(r"\{%-?\s*(?:elif\b.*?|else\s*)-?%\}")
_TAG = re.compile(r"\{%.*?%\}")
_VALUE = re.compile(r"\{\{.*?\}\}")
PLACEHOLDER_ESTIMATE = "x" * 16  # what a name or an email usually takes


def _shown(text: str) -> str:
    """Roughly what a cell shows once filled: its longest branch, each value name-sized."""
    branches = _BRANCH.split(text)
    return max((_VALUE.sub(PLACEHOLDER_ESTIMATE, _TAG.sub("", b)) for b in branches), key=len)


def _lines(text: str, width: float) -> int:
    """Lines a wrapped cell of column ``width`` needs for ``text`` (merged cells are never
    fitted by a spreadsheet, so their row heights are set)."""
    per_line = max(1, int(width * CHARS_PER_WIDTH))
    return sum(max(1, -(-len(part) // per_line)) for part in _shown(text).split("\n"))


def _print_setup(sheet: Worksheet, last_column: int, last_row: int, *, landscape: bool) -> None:
    """Print the tab's used part on pages one wide (as many tall as it takes)."""
    sheet.print_area = f"A1:{get_column_letter(last_column)}{last_row}"
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = True


def _header(sheet: Worksheet, columns: Sequence[str], widths: Sequence[int], row: int = 1) -> None:
    for column, (name, width) in enumerate(zip(columns, widths, strict=True), start=1):
        cell = sheet.cell(row=row, column=column, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = WRAP_TOP
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = f"A{row + 1}"
    sheet.print_title_rows = f"{row}:{row}"


def _list_validation(
    sheet: Worksheet, column: str, choices: Sequence[str], prompt: str, first_row: int = 2
) -> None:
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        error=f"Choose one of: {', '.join(choices)}",
        promptTitle=prompt[:32],
        prompt=", ".join(choices),
    )
    validation.add(f"{column}{first_row}:{column}{EDITABLE_ROWS + 1}")
    sheet.add_data_validation(validation)


def _format_column(sheet: Worksheet, column: str, number_format: str, first_row: int = 2) -> None:
    for row in range(first_row, EDITABLE_ROWS + 2):
        sheet[f"{column}{row}"].number_format = number_format


def _wrap_rows(sheet: Worksheet, width: int, first_row: int) -> None:
    for row in sheet.iter_rows(min_row=first_row, max_row=EDITABLE_ROWS + 1, max_col=width):
        for cell in row:
            cell.alignment = WRAP_TOP


def _letter(columns: Sequence[str], name: str) -> str:
    return get_column_letter(columns.index(name) + 1)


def _about(sheet: Worksheet) -> None:
    """Who the sheet is for, and how to use it, on one portrait page."""
    sheet.title = ABOUT_TAB
    widths = (28, 62)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet["A1"] = "Growth plan — {{ person.name }}"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet.row_dimensions[1].height = 24
    sheet["A2"] = "{{ org.name }} · {{ fy.label }}"
    for offset, (label, value) in enumerate(ABOUT_ROWS):
        row = 4 + offset
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        sheet.cell(row=row, column=2, value=value).alignment = WRAP_TOP
    row = 4 + len(ABOUT_ROWS) + 1
    sheet.cell(row=row, column=1, value=ABOUT_HEADING).font = Font(bold=True, size=13)
    for note in (*ABOUT_NOTES, NOT_PROMOTION):
        row += 1
        cell = sheet.cell(row=row, column=1, value=note)
        cell.alignment = WRAP_TOP
        cell.font = Font(bold=note in (NOT_PROMOTION, COUNTING_RULE))
        sheet.merge_cells(start_row=row, end_row=row, start_column=1, end_column=len(widths))
        sheet.row_dimensions[row].height = LINE_HEIGHT * _lines(note, sum(widths)) + 3
    _print_setup(sheet, len(widths), row, landscape=False)
    sheet.print_options.gridLines = False


def _growth_plan(sheet: Worksheet) -> None:
    """An instruction row (defining Horizon), the header, one grey example row."""
    columns = GROWTH_PLAN_COLUMNS
    intro = sheet.cell(row=1, column=1, value=GROWTH_PLAN_INTRO)
    intro.alignment = WRAP_TOP
    intro.font = HINT_FONT
    sheet.merge_cells(start_row=1, end_row=1, start_column=1, end_column=len(columns))
    sheet.row_dimensions[1].height = LINE_HEIGHT * _lines(GROWTH_PLAN_INTRO, 120) + 3
    _header(sheet, columns, GROWTH_PLAN_WIDTHS, row=2)
    for name, note in GROWTH_PLAN_NOTES.items():
        sheet[f"{_letter(columns, name)}2"].comment = Comment(note, AUTHOR)
    _list_validation(sheet, _letter(columns, "Area"), AREAS, "Area", first_row=3)
    _format_column(sheet, _letter(columns, "Updated"), DATE_FORMAT, first_row=3)
    _wrap_rows(sheet, len(columns), first_row=3)
    for column, value in enumerate(GROWTH_PLAN_EXAMPLE, start=1):
        cell = sheet.cell(row=3, column=column, value=value)
        cell.font = HINT_FONT
    sheet.row_dimensions[3].height = LINE_HEIGHT * 2 + 3
    _print_setup(sheet, len(columns), PRINT_ROWS, landscape=True)


def _conversations(sheet: Worksheet) -> None:
    """The header rollup reads, dropdowns, and a worked example beside the table."""
    columns = CONVERSATION_COLUMNS
    _header(sheet, columns, CONVERSATION_WIDTHS)
    types = [kind.value for kind in ConversationType]
    _list_validation(sheet, _letter(columns, "Type"), types, "Type")
    acknowledged = _letter(columns, ACKNOWLEDGED_COLUMN)
    escalation = _letter(columns, ESCALATION_COLUMN)
    _wrap_rows(sheet, len(columns), first_row=2)
    for column, name in ((acknowledged, ACKNOWLEDGED_COLUMN), (escalation, ESCALATION_COLUMN)):
        _list_validation(sheet, column, TICK_CHOICES, name)
        _format_column(sheet, column, TICK_FORMAT)
        for row in range(2, EDITABLE_ROWS + 2):
            sheet[f"{column}{row}"].alignment = TICK_ALIGNMENT
    sheet[f"{acknowledged}1"].comment = Comment(ACKNOWLEDGED_NOTE, AUTHOR)
    sheet[f"{escalation}1"].comment = Comment(ESCALATION_NOTE, AUTHOR)
    _format_column(sheet, _letter(columns, "Date"), DATE_FORMAT)
    example = get_column_letter(EXAMPLE_COLUMN)
    sheet.column_dimensions[get_column_letter(EXAMPLE_COLUMN - 1)].width = 3
    sheet.column_dimensions[example].width = EXAMPLE_WIDTH
    for offset, line in enumerate(CONVERSATIONS_EXAMPLE):
        cell = sheet[f"{example}{2 + offset}"]
        cell.value = line
        cell.alignment = WRAP_TOP
        cell.fill = PatternFill("solid", fgColor=NOTE_FILL)
        cell.font = Font(
            bold=offset == 0, italic=offset > 0, color=None if offset == 0 else "6B6B6B"
        )
    _print_setup(sheet, len(columns), PRINT_ROWS, landscape=True)


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
