"""The sandbox's Google Doc model: layout and indices as Docs reports them, edits, and Word
conversion."""

from __future__ import annotations

import io
import re

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from careerdocs.sandbox import core
from careerdocs.sandbox.docs import (
    HEADING_PREFIX,
    NORMAL_TEXT,
    SOFT_BREAK,
    TITLE,
    Cell,
    ConversionError,
    Document,
    Paragraph,
    Run,
    Table,
    utf16_len,
)


def _texts(doc: Document) -> list[str]:
    return [found.paragraph.text for found in doc.paragraphs()]


def _content(doc: Document) -> list[dict]:
    return doc.body_json()["content"]


def _literal(text: str, match_case: bool = False) -> re.Pattern[str]:
    return re.compile(re.escape(text), 0 if match_case else re.IGNORECASE)


def _table_doc() -> Document:
    """A heading, a 2x2 table ("Date"/"Impact" over two empty cells) and the closing paragraph."""
    header = [Cell([Paragraph([Run("Date")])]), Cell([Paragraph([Run("Impact")])])]
    return Document(
        [
            Paragraph([Run("Brag sheet")], f"{HEADING_PREFIX}1"),
            Table([header, [Cell(), Cell()]]),
            Paragraph(),
        ]
    )


# -- layout ----------------------------------------------------------------------------------


def test_new_document_is_one_empty_paragraph_after_the_section_break():
    assert _content(Document.new()) == [
        {
            "endIndex": 1,
            "sectionBreak": {
                "sectionStyle": {
                    "columnSeparatorStyle": "NONE",
                    "contentDirection": "LEFT_TO_RIGHT",
                    "sectionType": "CONTINUOUS",
                }
            },
        },
        {
            "startIndex": 1,
            "endIndex": 2,
            "paragraph": {
                "elements": [
                    {"startIndex": 1, "endIndex": 2, "textRun": {"content": "\n", "textStyle": {}}}
                ],
                "paragraphStyle": {"namedStyleType": NORMAL_TEXT, "direction": "LEFT_TO_RIGHT"},
            },
        },
    ]


def test_indices_count_utf16_code_units():
    doc = Document.from_text("a😀b\nc")
    first, second = _content(doc)[1:]
    assert (first["startIndex"], first["endIndex"]) == (1, 6)
    assert (second["startIndex"], second["endIndex"]) == (6, 8)
    assert doc.end_index == 8
    assert utf16_len("😀") == 2


def test_runs_are_elements_and_the_newline_joins_the_last_run():
    doc = Document([Paragraph([Run("Name: "), Run("Ada", bold=True)])])
    elements = _content(doc)[1]["paragraph"]["elements"]
    assert elements == [
        {"startIndex": 1, "endIndex": 7, "textRun": {"content": "Name: ", "textStyle": {}}},
        {
            "startIndex": 7,
            "endIndex": 11,
            "textRun": {"content": "Ada\n", "textStyle": {"bold": True}},
        },
    ]


def test_table_costs_one_index_to_open_and_close_and_one_per_row_and_cell():
    empty = Document([Paragraph(), Table([[Cell(), Cell()], [Cell(), Cell()]]), Paragraph()])
    table = _content(empty)[2]
    start = table["startIndex"]
    cols = 2
    for r, row in enumerate(table["table"]["tableRows"]):
        for c, cell in enumerate(row["tableCells"]):
            # The well-known formula for the first text index of a cell in an empty table.
            assert cell["content"][0]["startIndex"] == start + 3 + r * (cols * 2 + 1) + c * 2
    assert table["endIndex"] == table["table"]["tableRows"][-1]["endIndex"] + 1
    assert _content(empty)[3]["startIndex"] == table["endIndex"]
    assert table["table"]["rows"] == 2
    assert table["table"]["columns"] == 2


def test_locate_finds_paragraphs_inside_cells_but_not_table_markers():
    doc = _table_doc()
    table = _content(doc)[2]
    cell = table["table"]["tableRows"][0]["tableCells"][1]
    found = doc.locate(cell["content"][0]["startIndex"])
    assert found is not None and found.paragraph.text == "Impact"
    assert doc.locate(table["startIndex"]) is None
    assert doc.locate(cell["startIndex"]) is None


def test_to_api_hides_revision_from_readers_and_moves_body_into_tabs_on_request():
    doc = Document.new()
    as_reader = doc.to_api(
        "d1",
        "T",
        with_revision=False,
        include_tabs=False,
        suggestions_view_mode="SUGGESTIONS_INLINE",
    )
    assert "revisionId" not in as_reader
    assert as_reader["documentId"] == "d1" and as_reader["title"] == "T"
    tabbed = doc.to_api(
        "d1", "T", with_revision=True, include_tabs=True, suggestions_view_mode="SUGGESTIONS_INLINE"
    )
    assert "body" not in tabbed
    assert tabbed["revisionId"] == doc.revision_id
    assert tabbed["tabs"][0]["documentTab"]["body"] == doc.body_json()


# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        ("", [""]),
        ("one", ["one"]),
        ("one\n", ["one"]),
        ("one\n\n", ["one", ""]),
        ("a\r\nb\rc", ["a", "b", "c"]),
        ("\ufeffbom", ["bom"]),
    ],
)
def test_from_text_makes_a_paragraph_per_line(text: str, paragraphs: list[str]):
    assert _texts(Document.from_text(text)) == paragraphs


def test_to_text_writes_lines_and_tab_separated_table_rows():
    doc = _table_doc()
    doc.blocks[0].runs.append(Run(SOFT_BREAK + "2024"))
    assert doc.to_text() == "Brag sheet\n2024\nDate\tImpact\n\t\n\n"


def test_copy_is_independent_with_its_own_revision():
    doc = Document.from_text("x")
    twin = doc.copy()
    twin.insert_text(1, "y")
    assert _texts(doc) == ["x"]
    assert twin.revision_id != doc.revision_id


# -- replaceAllText ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("needle", "match_case", "count", "after"),
    [
        ("{{name}}", False, 2, ["Hi Ada, Ada", "{{NAMES}}"]),
        ("{{NAME}}", False, 2, ["Hi Ada, Ada", "{{NAMES}}"]),
        ("{{NAME}}", True, 0, ["Hi {{name}}, {{Name}}", "{{NAMES}}"]),
        ("{{Name}}", True, 1, ["Hi {{name}}, Ada", "{{NAMES}}"]),
        ("{{names}}", False, 1, ["Hi {{name}}, {{Name}}", "Ada"]),
        ("absent", False, 0, ["Hi {{name}}, {{Name}}", "{{NAMES}}"]),
    ],
)
def test_replace_all_counts_occurrences(
    needle: str, match_case: bool, count: int, after: list[str]
):
    doc = Document.from_text("Hi {{name}}, {{Name}}\n{{NAMES}}")
    assert doc.replace_all(_literal(needle, match_case), "Ada") == count
    assert _texts(doc) == after


def test_replacement_takes_the_style_of_the_first_replaced_character():
    doc = Document([Paragraph([Run("Dear "), Run("{{na", bold=True), Run("me}}!")])])
    doc.replace_all(_literal("{{name}}"), "Ada")
    assert doc.blocks[0].runs == [Run("Dear "), Run("Ada", bold=True), Run("!")]


def test_replacement_with_newlines_makes_paragraphs_of_the_same_style():
    doc = Document([Paragraph([Run("{{goals}}")], f"{HEADING_PREFIX}2"), Paragraph([Run("x")])])
    doc.replace_all(_literal("{{goals}}"), "one\ntwo")
    assert [(p.text, p.style) for p in doc.blocks] == [
        ("one", f"{HEADING_PREFIX}2"),
        ("two", f"{HEADING_PREFIX}2"),
        ("x", NORMAL_TEXT),
    ]


def test_replace_all_reaches_table_cells_and_repeated_paragraphs():
    doc = Document(
        [
            Paragraph([Run("{{a}}")]),
            Paragraph([Run("{{a}}")]),
            Table([[Cell([Paragraph([Run("{{a}}")])])]]),
            Paragraph(),
        ]
    )
    assert doc.replace_all(_literal("{{a}}"), "1\n2") == 3
    assert _texts(doc) == ["1", "2", "1", "2", "1", "2", ""]


def test_replace_all_strips_characters_docs_drops():
    doc = Document.from_text("{{x}}")
    doc.replace_all(_literal("{{x}}"), "a\x00b\ue000c\td")
    assert _texts(doc) == ["abc\td"]


# -- insertText ------------------------------------------------------------------------------


def test_insert_inherits_the_style_of_the_character_before():
    doc = Document([Paragraph([Run("ab", bold=True), Run("cd")])])
    doc.insert_text(3, "X")  # between "b" (bold) and "c"
    doc.insert_text(1, "Y")  # at the start: takes the first character's style
    assert doc.blocks[0].runs == [Run("YabX", bold=True), Run("cd")]


def test_insert_with_newline_splits_the_paragraph_keeping_its_style():
    doc = Document([Paragraph([Run("Title here")], TITLE)])
    doc.insert_text(6, "\n")
    assert [(p.text, p.style) for p in doc.blocks] == [("Title", TITLE), (" here", TITLE)]


def test_insert_after_an_emoji_counts_utf16():
    doc = Document.from_text("😀b")
    doc.insert_text(3, "a")
    assert _texts(doc) == ["😀ab"]


def test_insert_into_a_table_cell():
    doc = _table_doc()
    cell = _content(doc)[2]["table"]["tableRows"][1]["tableCells"][0]
    doc.insert_text(cell["content"][0]["startIndex"], "2024-05-01")
    assert doc.blocks[1].rows[1][0].paragraphs[0].text == "2024-05-01"


# -- deleteContentRange ----------------------------------------------------------------------


def test_delete_within_a_paragraph():
    doc = Document.from_text("abcdef")
    doc.delete_range(2, 4, "requests[0].deleteContentRange")
    assert _texts(doc) == ["adef"]


def test_deleting_a_newline_joins_paragraphs_with_the_surviving_newlines_style():
    doc = Document([Paragraph([Run("ab")], TITLE), Paragraph([Run("cd")])])
    doc.delete_range(2, 5, "w")  # "b", the title's newline and "c"
    assert [(p.text, p.style) for p in doc.blocks] == [("ad", NORMAL_TEXT)]


def test_deleting_a_whole_paragraph_leaves_its_neighbours():
    doc = Document.from_text("one\ntwo\nthree")
    doc.delete_range(5, 9, "w")
    assert _texts(doc) == ["one", "three"]


@pytest.mark.parametrize(("start", "end"), [(1, 5), (3, 5), (4, 5)])
def test_refuses_deleting_the_final_newline_of_the_body(start: int, end: int):
    doc = Document.from_text("abc")
    with pytest.raises(core.ApiError) as caught:
        doc.delete_range(start, end, "requests[0].deleteContentRange")
    assert caught.value.message == (
        "Invalid requests[0].deleteContentRange: The range cannot include the newline "
        "character at the end of the segment."
    )
    assert _texts(doc) == ["abc"]


def test_deletes_a_whole_table_and_inside_one_cell_but_not_part_of_a_table():
    doc = _table_doc()
    table = _content(doc)[2]
    impact = table["table"]["tableRows"][0]["tableCells"][1]["content"][0]
    doc.delete_range(impact["startIndex"], impact["startIndex"] + 3, "w")
    assert doc.blocks[1].rows[0][1].paragraphs[0].text == "act"
    with pytest.raises(core.ApiError) as caught:
        doc.delete_range(table["startIndex"] - 2, table["startIndex"] + 4, "w")
    assert caught.value.code == 400
    table = _content(doc)[2]
    doc.delete_range(table["startIndex"], table["endIndex"], "w")
    assert [type(b) for b in doc.blocks] == [Paragraph, Paragraph]


def test_refuses_deleting_a_cells_last_newline():
    doc = _table_doc()
    cell = _content(doc)[2]["table"]["tableRows"][0]["tableCells"][0]
    with pytest.raises(core.ApiError):
        doc.delete_range(cell["content"][0]["startIndex"], cell["endIndex"], "w")


# -- Word conversion -------------------------------------------------------------------------


def _word_file() -> bytes:
    source = docx.Document()
    source.add_heading("Individual Growth Plan", level=1)
    intro = source.add_paragraph("Prepared for ")
    intro.add_run("{{ person.name }}").bold = True
    intro.add_run("\nsecond line")
    table = source.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Date"
    table.cell(0, 1).text = "Accomplishment"
    table.cell(1, 0).text = "{{ today }}"
    out = io.BytesIO()
    source.save(out)
    return out.getvalue()


def test_from_docx_keeps_headings_bold_runs_line_breaks_and_tables():
    doc = Document.from_docx(_word_file())
    heading, intro, table, closing = doc.blocks
    assert (heading.text, heading.style) == ("Individual Growth Plan", f"{HEADING_PREFIX}1")
    assert intro.runs == [
        Run("Prepared for "),
        Run("{{ person.name }}", bold=True),
        Run(SOFT_BREAK + "second line"),
    ]
    assert [[c.paragraphs[0].text for c in row] for row in table.rows] == [
        ["Date", "Accomplishment"],
        ["{{ today }}", ""],
    ]
    assert closing == Paragraph()  # Docs closes a body that ends in a table with a paragraph


def test_docx_round_trip_preserves_the_model():
    doc = Document.from_docx(_word_file())
    doc.blocks.insert(0, Paragraph([Run("Plan")], TITLE))
    assert Document.from_docx(doc.to_docx()).blocks == doc.blocks


def test_from_docx_unwraps_content_controls():
    source = docx.Document()
    sdt = OxmlElement("w:sdt")
    content = OxmlElement("w:sdtContent")
    sdt.append(content)
    content.append(source.add_paragraph("inside a control")._p)
    source.element.body.insert(0, sdt)
    out = io.BytesIO()
    source.save(out)
    assert _texts(Document.from_docx(out.getvalue())) == ["inside a control"]
    assert sdt.tag == qn("w:sdt")


@pytest.mark.parametrize("data", [b"", b"plain text", b"PK\x03\x04 not really a zip"])
def test_from_docx_refuses_bytes_that_are_not_a_word_file(data: bytes):
    with pytest.raises(ConversionError):
        Document.from_docx(data)


def test_empty_word_file_becomes_one_empty_paragraph():
    out = io.BytesIO()
    docx.Document().save(out)
    assert Document.from_docx(out.getvalue()).blocks == [Paragraph()]


def test_from_docx_keeps_a_merged_cell_once():
    source = docx.Document()
    table = source.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Goals"
    table.cell(1, 0).text = "a"
    table.cell(1, 1).text = "b"
    out = io.BytesIO()
    source.save(out)
    rows = Document.from_docx(out.getvalue()).blocks[0].rows
    assert [[c.paragraphs[0].text for c in row] for row in rows] == [["Goals"], ["a", "b"]]
