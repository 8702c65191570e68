"""What the sandbox keeps when a .docx upload is converted to a Google Doc: the page (size,
orientation, margins) and the fixed column widths of tables."""

from __future__ import annotations

import io

import docx
from docx.enum.section import WD_ORIENT
from docx.shared import Inches

from careerdocs.sandbox.docs import Document

NO_ARGS = {"with_revision": False, "include_tabs": False, "suggestions_view_mode": "DEFAULT"}


def converted(source: docx.document.Document) -> dict:  # type: ignore[type-arg]
    out = io.BytesIO()
    source.save(out)
    return Document.from_docx(out.getvalue()).to_api("doc", "t", **NO_ARGS)


def test_a_landscape_page_and_its_margins_are_kept() -> None:
    source = docx.Document()
    section = source.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Inches(11), Inches(8.5)
    section.left_margin = Inches(0.5)
    style = converted(source)["documentStyle"]
    assert style["pageSize"] == {
        "width": {"magnitude": 792.0, "unit": "PT"},
        "height": {"magnitude": 612.0, "unit": "PT"},
    }
    assert style["marginLeft"] == {"magnitude": 36.0, "unit": "PT"}


def test_table_column_widths_are_kept_as_fixed_widths() -> None:
    source = docx.Document()
    table = source.add_table(rows=1, cols=2)
    table.columns[0].width, table.columns[1].width = Inches(1), Inches(3)
    body = converted(source)["body"]["content"]
    properties = next(e for e in body if "table" in e)["table"]["tableStyle"]
    assert properties["tableColumnProperties"] == [
        {"widthType": "FIXED_WIDTH", "width": {"magnitude": 72.0, "unit": "PT"}},
        {"widthType": "FIXED_WIDTH", "width": {"magnitude": 216.0, "unit": "PT"}},
    ]
