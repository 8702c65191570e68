"""Google Docs v1 in the sandbox: the document model and the ``documents.*`` endpoints.

A Google Doc is a :class:`core.File` whose ``doc`` is a :class:`Document`. The model keeps what
careerdocs reads and writes — paragraphs with their named style, bold runs, tables of paragraphs —
and lays it out the way Docs does, so indices in replies match Google's: the body opens with a
section break at index 0, every paragraph ends in ``"\\n"``, a table costs one index to open,
one per row and per cell, and one to close, and all indices count UTF-16 code units.

A ``batchUpdate`` runs its requests in order against a working copy and only swaps it in when
every request succeeded, so a bad request anywhere leaves the document untouched — the atomicity
Google documents.
"""

from __future__ import annotations

import copy
import functools
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.table import _Cell as DocxCell
from docx.text.paragraph import Paragraph as DocxParagraph

from . import core, drive_model
from .interning import Interner

# -- named styles and characters -------------------------------------------------------------

NORMAL_TEXT = "NORMAL_TEXT"
TITLE = "TITLE"
SUBTITLE = "SUBTITLE"
MAX_HEADING_LEVEL = 6
HEADING_PREFIX = "HEADING_"
NAMED_STYLES = frozenset(
    {NORMAL_TEXT, TITLE, SUBTITLE}
    | {f"{HEADING_PREFIX}{n}" for n in range(1, MAX_HEADING_LEVEL + 1)}
)

NEWLINE = "\n"
# Docs' line break inside a paragraph (Shift+Enter); Word's <w:br/> becomes one.
SOFT_BREAK = "\u000b"
# Characters Docs silently drops from inserted text (structural rules: "Insert text").
_STRIPPED = re.compile("[\u0000-\u0008\u000c-\u001f\ue000-\uf8ff]")

# Word style names <-> Docs named styles.
_WORD_TITLE = "Title"
_WORD_SUBTITLE = "Subtitle"
_WORD_HEADING_PREFIX = "Heading "
_WORD_TABLE_STYLE = "Table Grid"

DEFAULT_TITLE = "Untitled document"
FIRST_TAB_ID = "t.0"
FIRST_TAB_TITLE = "Tab 1"
BODY_START = 1  # index 0 is the body's opening section break
DEFAULT_SUGGESTIONS_VIEW_MODE = "SUGGESTIONS_INLINE"
DIRECTION = "LEFT_TO_RIGHT"
REVISION_ID_LENGTH = 60


class ConversionError(ValueError):
    """The bytes given to :meth:`Document.from_docx` are not a readable .docx file."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Docs index."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _python_offset(text: str, units: int) -> int:
    """The str offset at ``units`` UTF-16 code units into ``text``.

    An offset inside a surrogate pair moves past the pair, as Docs moves an insertion out of a
    grapheme cluster.
    """
    seen = 0
    for i, ch in enumerate(text):
        if seen >= units:
            return i
        seen += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


# -- the model -------------------------------------------------------------------------------


@dataclass
class Run:
    """Text with one character style. Only bold is modelled."""

    text: str
    bold: bool = False


@dataclass
class Paragraph:
    """A paragraph; its closing ``"\\n"`` is implied, not stored in the runs."""

    runs: list[Run] = field(default_factory=list)
    style: str = NORMAL_TEXT

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    @property
    def length(self) -> int:
        return utf16_len(self.text) + 1


@dataclass
class Cell:
    paragraphs: list[Paragraph] = field(default_factory=lambda: [Paragraph()])

    @property
    def length(self) -> int:
        return 1 + sum(p.length for p in self.paragraphs)


@dataclass
class Table:
    rows: list[list[Cell]] = field(default_factory=list)
    # Column widths in points from the .docx grid (w:tblGrid); () when Docs spreads them evenly.
    widths: tuple[float, ...] = ()

    @property
    def columns(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    @property
    def length(self) -> int:
        return 2 + sum(1 + sum(cell.length for cell in row) for row in self.rows)


Block = Paragraph | Table


@dataclass
class _Located:
    """A paragraph found by index: where it starts and the list that holds it."""

    paragraph: Paragraph
    start: int
    container: list[Any]


@dataclass
class Document:
    """The content of one Google Doc (its title is the Drive file's name)."""

    blocks: list[Block] = field(default_factory=list)
    revision_id: str = field(default_factory=lambda: core.new_id(REVISION_ID_LENGTH))
    # DocumentStyle page size and margins taken from a converted .docx; None: Docs' defaults.
    page: dict[str, Any] | None = None
    # True while ``blocks`` may be shared with other documents (see :meth:`compact`): the
    # edits copy them first. Old pickles read the class default.
    shared: bool = field(default=False, compare=False, repr=False)

    # -- construction and conversion ---------------------------------------------------------

    @classmethod
    def new(cls) -> Document:
        """An empty document: one empty paragraph, as Docs creates."""
        return cls([Paragraph()]).compact()

    def copy(self) -> Document:
        """An independent copy with its own revision history (what Drive's files.copy makes).

        Copy-on-write: the two share their paragraphs and tables until either is edited
        (every edit goes through :meth:`_own`), so a thousand copies of a template hold its
        content once."""
        self.shared = True
        return Document(
            list(self.blocks),
            core.new_id(REVISION_ID_LENGTH),
            copy.deepcopy(self.page),
            shared=True,
        )

    def working_copy(self) -> Document:
        """A deep copy to apply a batch of edits to (same revision): nothing shared."""
        return Document(copy.deepcopy(self.blocks), self.revision_id, copy.deepcopy(self.page))

    def compact(self) -> Document:
        """Hold equal paragraphs and tables once across every document (interned), and mark
        the blocks shared so edits copy them first. Returns ``self``."""
        self.blocks = [_intern_block(block) for block in self.blocks]
        self.shared = True
        return self

    def _own(self) -> None:
        """Before an edit: stop sharing blocks with other documents."""
        if self.shared:
            self.blocks = copy.deepcopy(self.blocks)
            self.shared = False

    @classmethod
    def from_text(cls, text: str) -> Document:
        """One NORMAL_TEXT paragraph per line; a trailing newline does not add an empty one."""
        text = text.lstrip("\ufeff").replace("\r\n", NEWLINE).replace("\r", NEWLINE)
        lines = text.split(NEWLINE)
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()
        return cls([Paragraph(_runs(_STRIPPED.sub("", line))) for line in lines]).compact()

    def to_text(self) -> str:
        """Plain text: a line per paragraph; a table row is its cells' text joined by tabs.

        Line breaks inside a paragraph become newlines, as Docs' text export writes them.
        """
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            else:
                for row in block.rows:
                    lines.append("\t".join(_cell_text(cell) for cell in row))
        return "".join(line.replace(SOFT_BREAK, NEWLINE) + NEWLINE for line in lines)

    @classmethod
    def from_docx(cls, data: bytes) -> Document:
        """Convert a Word file the way an upload with conversion does (text, headings, bold,
        tables). Raises :class:`ConversionError` when ``data`` is not a .docx file."""
        try:
            source = docx.Document(io.BytesIO(data))
        except (
            PackageNotFoundError,
            zipfile.BadZipFile,
            KeyError,
            ValueError,
            SyntaxError,
        ) as exc:  # lxml's XMLSyntaxError is a SyntaxError
            raise ConversionError(f"not a .docx file: {exc}") from None
        blocks = _blocks_from_docx(source.element.body.iterchildren(), source)
        if not blocks or not isinstance(blocks[-1], Paragraph):
            blocks.append(Paragraph())  # Docs always closes the body with a paragraph
        return cls(blocks, page=_page_from_docx(source)).compact()

    def to_docx(self) -> bytes:
        """Export as a Word file: paragraphs with their heading styles and bold runs, and
        tables (style "Table Grid")."""
        out = docx.Document()
        for block in self.blocks:
            if isinstance(block, Paragraph):
                _write_paragraph(out.add_paragraph(style=_word_style(block.style)), block)
            else:
                _write_table(out, block)
        buffer = io.BytesIO()
        out.save(buffer)
        return buffer.getvalue()

    # -- layout ------------------------------------------------------------------------------

    @property
    def end_index(self) -> int:
        """The body's end index: one past its final newline."""
        return BODY_START + sum(block.length for block in self.blocks)

    def paragraphs(self) -> Iterator[_Located]:
        """Every paragraph in reading order, table cells included."""
        yield from _walk(self.blocks, BODY_START)

    def locate(self, index: int) -> _Located | None:
        """The paragraph an insertion at ``index`` lands in, or None between structures."""
        for found in self.paragraphs():
            if found.start <= index < found.start + found.paragraph.length:
                return found
        return None

    # -- API rendering -----------------------------------------------------------------------

    def to_api(
        self,
        document_id: str,
        title: str,
        *,
        with_revision: bool,
        include_tabs: bool,
        suggestions_view_mode: str,
    ) -> dict[str, Any]:
        """The ``documents.get`` resource. ``revisionId`` goes to editors only."""
        out: dict[str, Any] = {"title": title}
        content = {
            "body": self.body_json(),
            "documentStyle": {**_DOCUMENT_STYLE, **(self.page or {})},
        }
        if include_tabs:
            out["tabs"] = [
                {
                    "tabProperties": {"tabId": FIRST_TAB_ID, "title": FIRST_TAB_TITLE},
                    "documentTab": content,
                }
            ]
        else:
            out.update(content)
        if with_revision:
            out["revisionId"] = self.revision_id
        out["suggestionsViewMode"] = suggestions_view_mode
        out["documentId"] = document_id
        return out

    def body_json(self) -> dict[str, Any]:
        # proto3 JSON omits a zero startIndex, so the opening section break has none.
        content: list[dict[str, Any]] = [
            {"endIndex": BODY_START, "sectionBreak": {"sectionStyle": _SECTION_STYLE}}
        ]
        content.extend(_blocks_json(self.blocks, BODY_START))
        return {"content": content}

    # -- edits (callers hold a working copy; see module docstring) ---------------------------

    def replace_all(self, pattern: re.Pattern[str], replacement: str) -> int:
        """Replace every match within each paragraph; returns the number of occurrences.

        A replacement takes the style of the first character it replaces.
        """
        self._own()
        replacement = _STRIPPED.sub("", replacement)
        total = 0
        for found in list(self.paragraphs()):
            para = found.paragraph
            matches = [m for m in pattern.finditer(para.text) if m.end() > m.start()]
            for match in reversed(matches):
                bold = _bold_at(para.runs, match.start() + 1)
                left, rest = _split_runs(para.runs, match.start())
                _, right = _split_runs(rest, match.end() - match.start())
                para.runs = _normalise([*left, Run(replacement, bold), *right])
            total += len(matches)
            if matches and NEWLINE in para.text:
                _break_paragraph(found)
        return total

    def insert_text(self, index: int, text: str) -> None:
        """Insert at ``index`` (already validated to lie in a paragraph). Inserted text takes
        the style of the character before it; each newline starts a paragraph of the same
        named style."""
        self._own()
        found = self.locate(index)
        if found is None:
            raise ValueError(f"index {index} is not inside a paragraph")
        para = found.paragraph
        offset = _python_offset(para.text, index - found.start)
        left, right = _split_runs(para.runs, offset)
        para.runs = _normalise(
            [*left, Run(_STRIPPED.sub("", text), _bold_at(para.runs, offset)), *right]
        )
        if NEWLINE in para.text:
            _break_paragraph(found)

    def delete_range(self, start: int, end: int, where: str) -> None:
        """Delete ``[start, end)``. Raises :class:`core.ApiError` (prefixed with ``where``) for
        a range Docs refuses: one crossing into part of a table, or one taking a segment's
        final newline."""
        self._own()
        container, base, segment_end = _container_for(
            self.blocks, BODY_START, self.end_index, start, end, where
        )
        if end >= segment_end:
            raise _invalid(
                where, "The range cannot include the newline character at the end of the segment."
            )
        container[:] = _delete_in(container, base, start, end, where)


_PARAGRAPHS: Interner[Paragraph] = Interner()
_TABLES: Interner[Table] = Interner()


def _intern_paragraph(para: Paragraph) -> Paragraph:
    key = (para.style, tuple((run.text, run.bold) for run in para.runs))
    return _PARAGRAPHS.get(key, para)


def _intern_block(block: Block) -> Block:
    """The shared paragraph or table equal to ``block`` (its parts interned first, so a
    table's key is the ids of its interned paragraphs, alive while the table is)."""
    if isinstance(block, Paragraph):
        return _intern_paragraph(block)
    for row in block.rows:
        for cell in row:
            cell.paragraphs = [_intern_paragraph(p) for p in cell.paragraphs]
    key = (
        block.widths,
        tuple(tuple(tuple(id(p) for p in cell.paragraphs) for cell in row) for row in block.rows),
    )
    return _TABLES.get(key, block)


def _runs(text: str, bold: bool = False) -> list[Run]:
    return [Run(text, bold)] if text else []


def _cell_text(cell: Cell) -> str:
    return NEWLINE.join(p.text for p in cell.paragraphs)


def _walk(blocks: list[Any], start: int) -> Iterator[_Located]:
    pos = start
    for block in blocks:
        if isinstance(block, Paragraph):
            yield _Located(block, pos, blocks)
        else:
            cell_pos = pos + 1
            for row in block.rows:
                cell_pos += 1
                for cell in row:
                    yield from _walk(cell.paragraphs, cell_pos + 1)
                    cell_pos += cell.length
        pos += block.length


# -- run lists ---------------------------------------------------------------------------------


def _normalise(runs: list[Run]) -> list[Run]:
    """Drop empty runs and merge neighbours of equal style, as Docs reports them."""
    out: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if out and out[-1].bold == run.bold:
            out[-1] = Run(out[-1].text + run.text, run.bold)
        else:
            out.append(Run(run.text, run.bold))
    return out


def _split_runs(runs: list[Run], offset: int) -> tuple[list[Run], list[Run]]:
    """Runs before and after the str ``offset``."""
    left: list[Run] = []
    right: list[Run] = []
    pos = 0
    for run in runs:
        if pos + len(run.text) <= offset:
            left.append(run)
        elif pos >= offset:
            right.append(run)
        else:
            cut = offset - pos
            left.append(Run(run.text[:cut], run.bold))
            right.append(Run(run.text[cut:], run.bold))
        pos += len(run.text)
    return left, right


def _bold_at(runs: list[Run], offset: int) -> bool:
    """The style text inserted at ``offset`` inherits: that of the character before it, or of
    the first character at the start of a paragraph."""
    pos = 0
    for run in runs:
        pos += len(run.text)
        if run.text and pos >= max(offset, 1):
            return run.bold
    return False


def _break_paragraph(found: _Located) -> None:
    """Split a paragraph whose runs now contain newlines into one paragraph per line."""
    para = found.paragraph
    lines: list[list[Run]] = [[]]
    for run in para.runs:
        parts = run.text.split(NEWLINE)
        for i, part in enumerate(parts):
            if i:
                lines.append([])
            lines[-1].extend(_runs(part, run.bold))
    pieces = [Paragraph(_normalise(line), para.style) for line in lines]
    # Find it by identity: earlier splits in the same container may have shifted it, and an
    # equal paragraph may sit before it.
    position = next(i for i, block in enumerate(found.container) if block is para)
    found.container[position : position + 1] = pieces


# -- deletion ----------------------------------------------------------------------------------


def _container_for(
    blocks: list[Any], base: int, segment_end: int, start: int, end: int, where: str
) -> tuple[list[Any], int, int]:
    """The innermost list (body or one table cell) holding all of ``[start, end)``, its first
    index and its end index. A range that takes part of a table but not all of it, or spans
    cells, is refused."""
    pos = base
    for block in blocks:
        block_end = pos + block.length
        if isinstance(block, Table) and start < block_end and end > pos:
            covers_table = start <= pos and end >= block_end
            if not covers_table:
                return _cell_container(block, pos, start, end, where)
        pos = block_end
    return blocks, base, segment_end


def _cell_container(
    table: Table, table_start: int, start: int, end: int, where: str
) -> tuple[list[Any], int, int]:
    cell_pos = table_start + 1
    for row in table.rows:
        cell_pos += 1
        for cell in row:
            content_start = cell_pos + 1
            cell_end = cell_pos + cell.length
            if content_start <= start and end <= cell_end:
                return _container_for(cell.paragraphs, content_start, cell_end, start, end, where)
            cell_pos = cell_end
    raise _invalid(where, "Invalid deletion range. Cannot delete part of a table.")


@dataclass
class _Unit:
    """One index-bearing piece of a container: a character, a paragraph end or a table."""

    width: int
    char: str = ""
    bold: bool = False
    style: str | None = None  # set on a paragraph end
    table: Table | None = None


def _units(blocks: list[Any]) -> list[_Unit]:
    units: list[_Unit] = []
    for block in blocks:
        if isinstance(block, Table):
            units.append(_Unit(block.length, table=block))
            continue
        for run in block.runs:
            units.extend(_Unit(utf16_len(ch), ch, run.bold) for ch in run.text)
        units.append(_Unit(1, style=block.style))
    return units


def _delete_in(blocks: list[Any], base: int, start: int, end: int, where: str) -> list[Any]:
    """The container's blocks with ``[start, end)`` removed. Deleting a paragraph's newline
    joins it to the next; the joined paragraph keeps the surviving newline's style."""
    kept: list[_Unit] = []
    pos = base
    for unit in _units(blocks):
        if not start <= pos < end:
            kept.append(unit)
        pos += unit.width
    out: list[Any] = []
    pending: list[Run] = []
    open_text = False
    for unit in kept:
        if unit.table is not None:
            if open_text:
                raise _invalid(
                    where, "Invalid deletion range. Cannot delete the newline before a table."
                )
            out.append(unit.table)
        elif unit.style is not None:
            out.append(Paragraph(_normalise(pending), unit.style))
            pending, open_text = [], False
        else:
            pending.append(Run(unit.char, unit.bold))
            open_text = True
    return out


# -- JSON rendering ----------------------------------------------------------------------------

_SECTION_STYLE = {
    "columnSeparatorStyle": "NONE",
    "contentDirection": DIRECTION,
    "sectionType": "CONTINUOUS",
}
_DOCUMENT_STYLE = {
    "background": {"color": {}},
    "pageNumberStart": 1,
    "marginTop": {"magnitude": 72, "unit": "PT"},
    "marginBottom": {"magnitude": 72, "unit": "PT"},
    "marginRight": {"magnitude": 72, "unit": "PT"},
    "marginLeft": {"magnitude": 72, "unit": "PT"},
    "pageSize": {
        "height": {"magnitude": 792, "unit": "PT"},
        "width": {"magnitude": 612, "unit": "PT"},
    },
}


def _blocks_json(blocks: list[Any], start: int) -> list[dict[str, Any]]:
    out = []
    pos = start
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(_paragraph_json(block, pos))
        else:
            out.append(_table_json(block, pos))
        pos += block.length
    return out


def _paragraph_json(para: Paragraph, start: int) -> dict[str, Any]:
    runs = _normalise(para.runs) or [Run("")]
    elements = []
    pos = start
    for i, run in enumerate(runs):
        content = run.text + (NEWLINE if i == len(runs) - 1 else "")
        end = pos + utf16_len(content)
        elements.append(
            {
                "startIndex": pos,
                "endIndex": end,
                "textRun": {"content": content, "textStyle": {"bold": True} if run.bold else {}},
            }
        )
        pos = end
    return {
        "startIndex": start,
        "endIndex": pos,
        "paragraph": {
            "elements": elements,
            "paragraphStyle": {"namedStyleType": para.style, "direction": DIRECTION},
        },
    }


def _table_json(table: Table, start: int) -> dict[str, Any]:
    rows = []
    pos = start + 1
    for row in table.rows:
        row_start = pos
        pos += 1
        cells = []
        for cell in row:
            cells.append(
                {
                    "startIndex": pos,
                    "endIndex": pos + cell.length,
                    "content": _blocks_json(cell.paragraphs, pos + 1),
                    "tableCellStyle": {"rowSpan": 1, "columnSpan": 1},
                }
            )
            pos += cell.length
        rows.append(
            {
                "startIndex": row_start,
                "endIndex": pos,
                "tableCells": cells,
                "tableRowStyle": {"minRowHeight": {"unit": "PT"}},
            }
        )
    return {
        "startIndex": start,
        "endIndex": start + table.length,
        "table": {
            "rows": len(table.rows),
            "columns": table.columns,
            "tableRows": rows,
            "tableStyle": {"tableColumnProperties": _column_properties(table)},
        },
    }


# -- Word conversion ---------------------------------------------------------------------------


def _named_style(word_style: str) -> str:
    if word_style == _WORD_TITLE:
        return TITLE
    if word_style == _WORD_SUBTITLE:
        return SUBTITLE
    if word_style.startswith(_WORD_HEADING_PREFIX):
        level = word_style[len(_WORD_HEADING_PREFIX) :]
        if level.isdigit() and 1 <= int(level) <= MAX_HEADING_LEVEL:
            return f"{HEADING_PREFIX}{level}"
    return NORMAL_TEXT


def _word_style(named_style: str) -> str | None:
    if named_style == TITLE:
        return _WORD_TITLE
    if named_style == SUBTITLE:
        return _WORD_SUBTITLE
    if named_style.startswith(HEADING_PREFIX):
        return _WORD_HEADING_PREFIX + named_style[len(HEADING_PREFIX) :]
    return None


def _blocks_from_docx(elements: Iterator[Any], source: DocxDocument) -> list[Block]:
    """Body paragraphs and tables in order; content controls (w:sdt) are unwrapped."""
    blocks: list[Block] = []
    for child in elements:
        if child.tag == qn("w:p"):
            blocks.append(_paragraph_from_docx(DocxParagraph(child, source)))
        elif child.tag == qn("w:tbl"):
            table = _table_from_docx(child, source)
            if table.rows:
                blocks.append(table)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                blocks.extend(_blocks_from_docx(content.iterchildren(), source))
    return blocks


def _paragraph_from_docx(source: DocxParagraph) -> Paragraph:
    runs: list[Run] = []
    for item in source.iter_inner_content():
        for run in getattr(item, "runs", [item]):  # a hyperlink holds runs of its own
            text = _STRIPPED.sub("", run.text.replace(NEWLINE, SOFT_BREAK))
            runs.extend(_runs(text, run.bold is True))
    return Paragraph(_normalise(runs), _named_style(_style_name(source)))


def _style_name(paragraph: DocxParagraph) -> str:
    """The paragraph's style name, via a per-document table: python-docx's ``.style`` scans
    every style for the default on each unstyled paragraph, which made conversion slow."""
    ppr = paragraph._p.pPr
    style_id = ppr.style if ppr is not None else None
    return _style_names(paragraph.part).get(style_id, "")


@functools.lru_cache(maxsize=1)  # one conversion at a time (under the store lock): a larger
# cache would keep the last few uploads' whole .docx packages alive
def _style_names(part: Any) -> dict[str | None, str]:
    styles = part.styles
    names: dict[str | None, str] = {s.style_id: s.name or "" for s in styles}
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    names[None] = default.name if default is not None else ""
    return names


def _cell_paragraphs(cell: DocxCell) -> list[Paragraph]:
    """A cell's paragraphs; a table nested in a cell is flattened into its paragraphs."""
    out: list[Paragraph] = []
    for item in cell.iter_inner_content():
        if isinstance(item, DocxParagraph):
            out.append(_paragraph_from_docx(item))
        else:
            for row in item.rows:
                for inner in row.cells:
                    out.extend(_cell_paragraphs(inner))
    return out or [Paragraph()]


def _table_from_docx(element: Any, source: DocxDocument) -> Table:
    """Walks the w:tc elements rather than ``row.cells``, which repeats a merged cell once per
    grid column it spans. The grid's column widths are kept (twentieths of a point)."""
    parent = DocxTable(element, source)
    rows = [
        [Cell(_cell_paragraphs(DocxCell(tc, parent))) for tc in tr.tc_lst] for tr in element.tr_lst
    ]
    grid = element.find(qn("w:tblGrid"))
    columns = [] if grid is None else grid.findall(qn("w:gridCol"))
    widths = [col.get(qn("w:w")) for col in columns]
    kept = tuple(int(w) / TWIPS_PER_POINT for w in widths) if all(widths) else ()
    return Table([row for row in rows if row], kept)


# What a .docx upload keeps of the page and of table column widths. Google documents no list of
# what conversion keeps [unconfirmed: Docs is observed to keep page size, orientation, margins
# and fixed column widths]; the shapes are DocumentStyle.pageSize/margin* and
# TableColumnProperties (widthType FIXED_WIDTH with a width, or EVENLY_DISTRIBUTED)
# (https://developers.google.com/docs/api/reference/rest/v1/documents).
TWIPS_PER_POINT = 20
EMU_PER_POINT = 12700
_MARGINS = {
    "marginTop": "top_margin",
    "marginBottom": "bottom_margin",
    "marginLeft": "left_margin",
    "marginRight": "right_margin",
}


def _points(emu: int) -> dict[str, Any]:
    return {"magnitude": round(emu / EMU_PER_POINT, 2), "unit": "PT"}


def _page_from_docx(source: DocxDocument) -> dict[str, Any] | None:
    """The first section's page size and margins as DocumentStyle fields."""
    if not source.sections:
        return None
    section = source.sections[0]
    if section.page_width is None or section.page_height is None:
        return None
    page: dict[str, Any] = {
        "pageSize": {"width": _points(section.page_width), "height": _points(section.page_height)}
    }
    for key, attribute in _MARGINS.items():
        value = getattr(section, attribute)
        if value is not None:
            page[key] = _points(value)
    return page


def _column_properties(table: Table) -> list[dict[str, Any]]:
    if len(table.widths) != table.columns:
        return [{"widthType": "EVENLY_DISTRIBUTED"}] * table.columns
    return [
        {"widthType": "FIXED_WIDTH", "width": {"magnitude": width, "unit": "PT"}}
        for width in table.widths
    ]


def _write_paragraph(target: DocxParagraph, para: Paragraph) -> None:
    for run in _normalise(para.runs):
        written = target.add_run(run.text.replace(SOFT_BREAK, NEWLINE))
        if run.bold:
            written.bold = True


def _write_table(out: DocxDocument, table: Table) -> None:
    written = out.add_table(rows=len(table.rows), cols=table.columns)
    written.style = _WORD_TABLE_STYLE
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row):
            target = written.cell(r, c)
            for i, para in enumerate(cell.paragraphs):
                paragraph = target.paragraphs[0] if i == 0 else target.add_paragraph()
                style = _word_style(para.style)
                if style:
                    paragraph.style = style
                _write_paragraph(paragraph, para)


# -- the API -----------------------------------------------------------------------------------

REPLACE_ALL_TEXT = "replaceAllText"
INSERT_TEXT = "insertText"
DELETE_CONTENT_RANGE = "deleteContentRange"
# Every request kind Docs v1 defines (discovery doc); only the three above are modelled.
KNOWN_REQUESTS = frozenset(
    {
        "acceptSuggestion",
        "addCommentReply",
        "addDocumentTab",
        "createDropdownDefinition",
        "createFooter",
        "createFootnote",
        "createHeader",
        "createNamedRange",
        "createParagraphBullets",
        "deleteComment",
        "deleteCommentReply",
        DELETE_CONTENT_RANGE,
        "deleteDropdownDefinition",
        "deleteFooter",
        "deleteHeader",
        "deleteNamedRange",
        "deleteParagraphBullets",
        "deletePositionedObject",
        "deleteSuggestion",
        "deleteTab",
        "deleteTableColumn",
        "deleteTableRow",
        "insertComment",
        "insertDate",
        "insertDropdown",
        "insertInlineImage",
        "insertPageBreak",
        "insertPerson",
        "insertRichLink",
        "insertSectionBreak",
        "insertTable",
        "insertTableColumn",
        "insertTableRow",
        INSERT_TEXT,
        "mergeTableCells",
        "pinTableHeaderRows",
        "rejectSuggestion",
        REPLACE_ALL_TEXT,
        "replaceImage",
        "replaceNamedRangeContent",
        "unmergeTableCells",
        "updateCommentPost",
        "updateDocumentStyle",
        "updateDocumentTabProperties",
        "updateDropdownDefinitionProperties",
        "updateDropdownProperties",
        "updateNamedStyle",
        "updateParagraphStyle",
        "updateSectionStyle",
        "updateTableCellStyle",
        "updateTableColumnProperties",
        "updateTableRowStyle",
        "updateTextStyle",
    }
)
NOT_SUPPORTED_MESSAGE = "This operation is not supported for this document"
WRITER_RANK = core.ROLE_RANK["writer"]


def register(router: core.Router) -> None:
    router.add(
        "POST", r"/v1/documents", create_document, api="docs", kind="write", name="documents.create"
    )
    router.add(
        "GET",
        r"/v1/documents/(?P<doc_id>[^/:]+)",
        get_document,
        api="docs",
        kind="read",
        name="documents.get",
    )
    router.add(
        "POST",
        r"/v1/documents/(?P<doc_id>[^/:]+):batchUpdate",
        batch_update,
        api="docs",
        kind="write",
        name="documents.batchUpdate",
    )


def create_document(ctx: core.Context, req: core.Request) -> dict[str, Any]:
    """documents.create: a blank document in the caller's My Drive; only ``title`` is read."""
    body = req.json(style=core.DOCS)
    title = body.get("title") or DEFAULT_TITLE
    root = drive_model.ensure_root(ctx.store, req.user)
    file = ctx.store.add_file(
        core.File(
            id=core.new_id(),
            name=str(title),
            mime_type=core.GDOC,
            owner=req.user,
            parents=[root.id],
            doc=Document.new(),
        ),
        req.user,
    )
    return _render(ctx, req, file)


def get_document(ctx: core.Context, req: core.Request, doc_id: str) -> dict[str, Any]:
    file = _open(ctx, req, doc_id, "read")
    return _render(ctx, req, file)


def batch_update(ctx: core.Context, req: core.Request, doc_id: str) -> dict[str, Any]:
    """documents.batchUpdate: all requests apply, in order, or none do."""
    file = _open(ctx, req, doc_id, "write")
    body = req.json(style=core.DOCS)
    document: Document = file.doc
    _check_write_control(body.get("writeControl") or {}, document)
    requests = body.get("requests") or []
    if not isinstance(requests, list):
        raise _payload_error("Invalid value at 'requests'.")
    working = document.working_copy()
    replies = [_apply(working, i, request) for i, request in enumerate(requests)]
    if working.blocks != document.blocks:
        working.revision_id = core.new_id(REVISION_ID_LENGTH)
        file.doc = working.compact()
        ctx.store.touch(file, req.user)
    out: dict[str, Any] = {"documentId": file.id}
    if replies:  # proto3 JSON omits an empty repeated field
        out["replies"] = replies
    out["writeControl"] = {"requiredRevisionId": file.doc.revision_id}
    return out


def _open(ctx: core.Context, req: core.Request, doc_id: str, need: str) -> core.File:
    file = ctx.store.require(req.user, unquote(doc_id), need, style=core.DOCS)
    if file.mime_type != core.GDOC or file.doc is None:
        raise core.ApiError(
            400, NOT_SUPPORTED_MESSAGE, reason="failedPrecondition", style=core.DOCS
        )
    return file


def _render(ctx: core.Context, req: core.Request, file: core.File) -> dict[str, Any]:
    role = ctx.store.role_of(req.user, file)
    can_edit = role is not None and core.ROLE_RANK[role] >= WRITER_RANK
    return file.doc.to_api(
        file.id,
        file.name,
        with_revision=can_edit,
        include_tabs=req.flag("includeTabsContent"),
        suggestions_view_mode=req.arg("suggestionsViewMode") or DEFAULT_SUGGESTIONS_VIEW_MODE,
    )


def _check_write_control(control: dict[str, Any], document: Document) -> None:
    required = control.get("requiredRevisionId")
    target = control.get("targetRevisionId")
    if required and target:
        raise _payload_error("Oneof field 'control' is already set. Cannot set 'targetRevisionId'.")
    if required and required != document.revision_id:
        raise core.ApiError(
            400,
            "The required revision ID does not match the latest revision of the document.",
            reason="badRequest",
            style=core.DOCS,
        )
    if target and target != document.revision_id:
        # Google would merge the batch with collaborators' edits made since that revision.
        raise core.ApiError(
            400,
            "The target revision ID is not the latest revision; the "
            "sandbox does not merge concurrent edits.",
            reason="badRequest",
            style=core.DOCS,
        )


def _apply(document: Document, i: int, request: Any) -> dict[str, Any]:
    if not isinstance(request, dict):
        raise _payload_error(f"Invalid value at 'requests[{i}]'.")
    kinds = list(request)
    for kind in kinds:
        if kind not in KNOWN_REQUESTS:
            raise _payload_error(f"Unknown name \"{kind}\" at 'requests[{i}]': Cannot find field.")
    if not kinds:
        raise _invalid(f"requests[{i}]", "No request set.")
    if len(kinds) > 1:
        raise _payload_error(f"Oneof field 'request' is already set. Cannot set '{kinds[1]}'.")
    kind = kinds[0]
    where = f"requests[{i}].{kind}"
    params = request[kind] if isinstance(request[kind], dict) else {}
    if kind == REPLACE_ALL_TEXT:
        return _replace_all_text(document, params, where)
    if kind == INSERT_TEXT:
        _insert_text(document, params, where)
        return {}
    if kind == DELETE_CONTENT_RANGE:
        _delete_content_range(document, params, where)
        return {}
    raise _invalid(where, "This request is not supported by the sandbox.")


def _replace_all_text(document: Document, params: dict[str, Any], where: str) -> dict[str, Any]:
    criteria = params.get("containsText") or {}
    needle = criteria.get("text")
    if not needle:
        raise _invalid(where, "The containsText text must not be empty.")
    if "replaceText" not in params:
        raise _invalid(where, "replacement text parameter is required but not specified.")
    _check_tabs(params.get("tabsCriteria") or {}, where)
    flags = 0 if criteria.get("matchCase") else re.IGNORECASE
    source = needle if criteria.get("searchByRegex") else re.escape(needle)
    try:
        pattern = re.compile(source, flags)
    except re.error as exc:
        raise _invalid(where, f"Invalid regular expression: {exc}.") from None
    changed = document.replace_all(pattern, str(params.get("replaceText") or ""))
    # proto3 JSON drops a zero, so no occurrences answers {"replaceAllText": {}}.
    return {REPLACE_ALL_TEXT: {"occurrencesChanged": changed} if changed else {}}


def _insert_text(document: Document, params: dict[str, Any], where: str) -> None:
    location = params.get("location")
    end_of_segment = params.get("endOfSegmentLocation")
    if (location is None) == (end_of_segment is None):
        raise _invalid(where, "Exactly one of location or endOfSegmentLocation must be set.")
    target = location if location is not None else end_of_segment
    _check_segment(target, where)
    end = document.end_index
    index = end - 1 if location is None else _index(location, "index", where)
    if index >= end:
        raise _invalid(
            where,
            f"Index {index} must be less than the end index of the referenced segment, {end}.",
        )
    if index < BODY_START or document.locate(index) is None:
        raise _invalid(
            where, "The insertion index must be inside the bounds of an existing paragraph."
        )
    text = params.get("text")
    if not isinstance(text, str):
        raise _invalid(where, "text parameter is required but not specified.")
    document.insert_text(index, text)


def _delete_content_range(document: Document, params: dict[str, Any], where: str) -> None:
    span = params.get("range") or {}
    _check_segment(span, where)
    start = _index(span, "startIndex", where)
    end = _index(span, "endIndex", where)
    if end <= start:
        raise _invalid(where, "The range should not be empty.")
    if start < BODY_START:
        raise _invalid(where, "Cannot operate on the first section break in the document.")
    segment_end = document.end_index
    if start >= segment_end or end > segment_end:
        bad = start if start >= segment_end else end
        raise _invalid(
            where,
            f"Index {bad} must be less than the end index of the referenced "
            f"segment, {segment_end}.",
        )
    document.delete_range(start, end, where)


def _index(container: dict[str, Any], key: str, where: str) -> int:
    """An int32 field; absent means 0, as in proto3."""
    value = container.get(key) or 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _payload_error(f"Invalid value at '{where}.{key}' (TYPE_INT32), {value!r}") from None


def _check_segment(target: dict[str, Any], where: str) -> None:
    """Only the body of the first tab exists: no headers, footers, footnotes or other tabs."""
    segment = target.get("segmentId") or ""
    if segment:
        raise _invalid(where, f"The segment with ID {segment} was not found.")
    tab = target.get("tabId") or FIRST_TAB_ID
    if tab != FIRST_TAB_ID:
        raise _invalid(where, f"The tab with ID {tab} was not found.")


def _check_tabs(criteria: dict[str, Any], where: str) -> None:
    for tab in criteria.get("tabIds") or []:
        if tab != FIRST_TAB_ID:
            raise _invalid(where, f"The tab with ID {tab} was not found.")


def _invalid(where: str, message: str) -> core.ApiError:
    return core.ApiError(400, f"Invalid {where}: {message}", reason="badRequest", style=core.DOCS)


def _payload_error(detail: str) -> core.ApiError:
    return core.ApiError(
        400, f"Invalid JSON payload received. {detail}", reason="invalid", style=core.DOCS
    )
