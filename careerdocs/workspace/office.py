"""Word (.docx) and Excel (.xlsx) files: read a template's text, fill its placeholders, lay out
central-sheet tabs. Shared by the local backend (which writes the results to disk) and the google
backend (which uploads filled templates and reuses the column-merging rule).

Placeholders are replaced as plain text in one pass: a value is data, never a template, so a value
that itself looks like ``{{ x }}`` or ``=HYPERLINK(...)`` arrives in the file exactly as given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.worksheet import Worksheet

from .. import fields
from ..errors import Problem, TemplateError, WorkspaceError
from . import package as package_
from . import presentation, stamp, xlsx_reader
from .base import ACKNOWLEDGED_COLUMN, CONVERSATIONS_TAB, ColumnKind, Layout, Link, Table

DOCX_SUFFIX = ".docx"
XLSX_SUFFIX = ".xlsx"
TEMPLATE_SUFFIXES = (DOCX_SUFFIX, XLSX_SUFFIX)

# Characters XML 1.0 cannot carry; Word and Excel files are XML, so they are dropped from values.
XML_ILLEGAL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
HEADER_FOOTER_RELS = (RELATIONSHIP_TYPE.HEADER, RELATIONSHIP_TYPE.FOOTER)
# Where an .xlsx saved by openpyxl keeps cell text: inline strings in each worksheet (openpyxl
# 3.1 writes those) or the shared strings part (older versions).
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
WORKSHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRING = f"{{{SPREADSHEET_NS}}}si"
INLINE_STRING = f"{{{SPREADSHEET_NS}}}is"
SPREADSHEET_TEXT = f"{{{SPREADSHEET_NS}}}t"

TEXT_TYPE = "s"  # openpyxl's data type for a string cell (not a formula, not an error code)
CELL_TYPES = (str, bool, int, float, datetime, date, time, timedelta, type(None))
EXCEL_MAX_COLUMN = 16384
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)

HEADER_FONT = Font(name="Calibri", bold=True)
HEADER_FILL = PatternFill(
    start_color="FF" + presentation.HEADER_BACKGROUND.lstrip("#").upper(),
    end_color="FF" + presentation.HEADER_BACKGROUND.lstrip("#").upper(),
    fill_type="solid",
)
HEADER_BORDER = Border(bottom=Side(style="thin"))
_GRID_LINE = Side(style="thin", color="FFD0D0D0")
# Light lines round the table's cells, so the printout (which has no gridlines) reads as a table
CELL_BORDER = Border(left=_GRID_LINE, right=_GRID_LINE, top=_GRID_LINE, bottom=_GRID_LINE)
HEADER_LINE_HEIGHT = 15  # points per line of the default 11 pt font
LINK_FONT = Font(
    name="Calibri", color="FF" + presentation.LINK_COLOUR.lstrip("#").upper(), underline="single"
)
PRINT_MARGIN = 0.4  # inches
PERCENT_AXIS_STEP = 0.25
CHART_GAP_COLUMNS = 2  # blank columns between a table and its chart, as in the Google sheet
CHART_ANCHOR_ROW = 2


# -- templates -------------------------------------------------------------------------------


def template_text(path: Path) -> str:
    """All text a placeholder can live in: .docx paragraphs, tables, headers and footers (one
    line per paragraph), or every string cell of every .xlsx sheet (one line per cell)."""
    if _template_type(path) == DOCX_SUFFIX:
        return "\n".join(_paragraph_text(p) for p in _docx_paragraphs(_open_docx(path)))
    return "\n".join(cell.value for cell in _text_cells(_open_xlsx(path)))


def fill(
    path: Path,
    values: Mapping[str, str],
    *,
    protect_layout: bool = False,
    identity: Mapping[str, str] | None = None,
) -> bytes:
    """The template at ``path`` with every placeholder replaced by ``values[token]``, as file bytes.

    Raises TemplateError if the template is unreadable or a placeholder has no value. With
    ``protect_layout`` (growth sheets), the Conversations tab's header row is locked under sheet
    protection while every data cell, Acknowledged included, stays editable; the template must
    have that tab and column. A .docx paragraph that held only conditionals which all came out
    empty (a sentence about a manager someone does not have) is removed, not left blank.
    ``identity`` is written into the file as careerdocs' id (see :mod:`.stamp`).

    The template is parsed once per process and file version (see :func:`prepared`); a fill
    only substitutes into the parsed parts that hold placeholders.
    """
    return prepared(path, protect_layout=protect_layout).render(values, identity)


def template_tokens(path: Path) -> tuple[str, ...]:
    """The placeholders of the template at ``path``, as :func:`template_text` finds them, from
    the template parsed once (see :func:`prepared`). Raises TemplateError if unreadable."""
    return prepared(path).tokens


@dataclass(frozen=True)
class PreparedTemplate:
    """A template parsed once, ready to fill for many people.

    ``package`` is the template as its library saves it (python-docx or openpyxl, with the
    growth sheet's protection already applied), each zip part compressed once. ``fillable``
    names the XML parts that hold a placeholder: the only ones a fill parses and rewrites.
    For a .docx they are the body and the headers and footers (``body`` names the part whose
    ``w:body`` holds the text), ``texts`` giving, per part, the indexes of the paragraphs that
    hold one; for an .xlsx the worksheets (and shared strings) and the indexes of the cell
    texts that hold one."""

    path: Path
    suffix: str
    tokens: tuple[str, ...]
    package: package_.Package
    fillable: tuple[str, ...]
    body: str = ""
    texts: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def render(self, values: Mapping[str, str], identity: Mapping[str, str] | None = None) -> bytes:
        """The filled file's bytes; see :func:`fill`."""
        _require_values(self.path, self.tokens, values)
        pattern = _substituter(self.tokens)
        replaced: dict[str, bytes] = {}
        if pattern is not None:
            for name in self.fillable:
                root = etree.fromstring(self.package.read(name), _XML_PARSER)
                if self.suffix == DOCX_SUFFIX:
                    _fill_paragraphs(root, name == self.body, self.texts[name], pattern, values)
                else:
                    _fill_cell_texts(root, self.texts[name], pattern, values)
                replaced[name] = etree.tostring(root, encoding="UTF-8", standalone=True)
        if identity is not None and stamp.CORE_PART in self.package.names():
            core = self.package.read(stamp.CORE_PART)
            replaced[stamp.CORE_PART] = stamp.with_identity(core, identity)
            identity = None
        data = self.package.build(replaced)
        return data if identity is None else stamp.stamp(data, identity)


# Parts are careerdocs' own saves of a template: no DTDs, entities or network to resolve.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def prepared(path: Path, *, protect_layout: bool = False) -> PreparedTemplate:
    """The template at ``path`` parsed (once per process for each version of the file: its
    size, modification time and inode are part of the key). Raises TemplateError if it is
    unreadable, or with ``protect_layout`` lacks the Conversations tab or its Acknowledged
    column."""
    suffix = _template_type(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise _template_error(path, f"cannot be read ({exc.strerror or exc})") from None
    version = (info.st_size, info.st_mtime_ns, info.st_ino)
    return _prepare(path.resolve(), suffix, version, protect_layout)


PREPARED_CACHE_SIZE = 32


@lru_cache(maxsize=PREPARED_CACHE_SIZE)
def _prepare(
    path: Path, suffix: str, version: tuple[int, int, int], protect_layout: bool
) -> PreparedTemplate:
    if suffix == DOCX_SUFFIX:
        return _prepare_docx(path)
    return _prepare_xlsx(path, protect_layout)


def _prepare_docx(path: Path) -> PreparedTemplate:
    document = _open_docx(path)
    paragraphs = list(_docx_paragraphs(document))
    tokens = tuple(fields.placeholders("\n".join(_paragraph_text(p) for p in paragraphs)))
    pattern = _substituter(tokens)
    body = document.part.partname.lstrip("/")
    parts = {body: document.element.body}
    for rel in document.part.rels.values():
        if rel.reltype in HEADER_FOOTER_RELS and not rel.is_external:
            parts.setdefault(rel.target_part.partname.lstrip("/"), rel.target_part.element)
    texts: dict[str, tuple[int, ...]] = {}
    for name, root in parts.items() if pattern is not None else ():
        found = tuple(
            index
            for index, paragraph in enumerate(root.iter(qn("w:p")))
            if pattern is not None and pattern.search(_paragraph_text(paragraph))
        )
        if found:
            texts[name] = found
    document.core_properties  # noqa: B018 - adds the core part when missing: it holds the id
    package = _package(path, document)
    return PreparedTemplate(path, DOCX_SUFFIX, tokens, package, tuple(texts), body, texts)


def _prepare_xlsx(path: Path, protect_layout: bool) -> PreparedTemplate:
    workbook = _open_xlsx(path)
    tokens = tuple(fields.placeholders("\n".join(cell.value for cell in _text_cells(workbook))))
    if protect_layout:
        _protect_layout(workbook, path)
    package = _package(path, workbook)
    pattern = _substituter(tokens)
    fillable: list[str] = []
    texts: dict[str, tuple[int, ...]] = {}
    for name in package.names() if pattern is not None else ():
        if not (name == SHARED_STRINGS_PART or WORKSHEET_PART.fullmatch(name)):
            continue
        root = etree.fromstring(package.read(name), _XML_PARSER)
        found = tuple(
            index
            for index, text in enumerate(_cell_texts(root))
            if pattern is not None and pattern.search(text.text or "")
        )
        if found:
            fillable.append(name)
            texts[name] = found
    return PreparedTemplate(path, XLSX_SUFFIX, tokens, package, tuple(fillable), texts=texts)


def _cell_texts(root: Any) -> Iterator[Any]:
    """The text elements of a worksheet's inline strings or of the shared strings, in order:
    the text of every text cell (openpyxl writes each as one ``<t>``). A formula is an
    ``<f>`` and a cached value a ``<v>``, so neither is among them."""
    for text in root.iter(SPREADSHEET_TEXT):
        if text.getparent().tag in (INLINE_STRING, SHARED_STRING):
            yield text


def _package(path: Path, document: Any) -> package_.Package:
    """``document`` (a python-docx Document or an openpyxl Workbook) saved and split into
    parts."""
    out = BytesIO()
    try:
        document.save(out)
        return package_.Package(out.getvalue())
    except Exception as exc:  # either library raises many types for what it cannot write
        raise _template_error(path, f"cannot be saved again ({exc})") from None


@dataclass(frozen=True)
class TabLayout:
    """What a template sets on one tab that a person relies on, read from its .xlsx so a
    backend can set it again where a conversion might have dropped it. Columns are zero-based;
    formats and wrapping are those of the first data row (row 2), meant for the whole column."""

    frozen_rows: int
    widths: Mapping[int, int]  # column -> width in characters
    choices: Mapping[int, tuple[str, ...]]  # dropdown columns (a TRUE/FALSE list is a checkbox)
    date_formats: Mapping[int, str]  # column -> date format code, e.g. yyyy-mm-dd
    wrapped: frozenset[int]


_DATE_CODES = re.compile(r"[yd]|m{3,}", re.IGNORECASE)
_QUOTED_CODE = re.compile(r'"[^"]*"')
TICK_LIST = ("TRUE", "FALSE")


def tab_layout(path: Path, title: str) -> TabLayout | None:
    """The layout of tab ``title`` in the .xlsx template at ``path``; None without that tab.
    Raises TemplateError for an unreadable template."""
    workbook = _open_xlsx(path)
    if title not in workbook.sheetnames:
        return None
    sheet = workbook[title]
    frozen = sheet[sheet.freeze_panes].row - 1 if sheet.freeze_panes else 0
    widths = {
        dim.min - 1: round(dim.width)
        for dim in sheet.column_dimensions.values()
        if dim.customWidth and dim.width and dim.min
    }
    first = frozen + 1
    date_formats: dict[int, str] = {}
    wrapped: set[int] = set()
    for cell in sheet[first] if sheet.max_row >= first else ():
        code = cell.number_format
        if code and _DATE_CODES.search(_QUOTED_CODE.sub("", code)):
            date_formats[cell.column - 1] = code
        if cell.alignment is not None and cell.alignment.wrap_text:
            wrapped.add(cell.column - 1)
    return TabLayout(frozen, widths, _dropdowns(sheet, first), date_formats, frozenset(wrapped))


def _dropdowns(sheet: Worksheet, row: int) -> dict[int, tuple[str, ...]]:
    """Literal list validations covering ``row``, by column (TRUE/FALSE lists left out)."""
    found: dict[int, tuple[str, ...]] = {}
    for validation in sheet.data_validations.dataValidation:
        formula = validation.formula1 or ""
        if validation.type != "list" or not (formula.startswith('"') and formula.endswith('"')):
            continue
        items = tuple(item.strip() for item in formula[1:-1].split(","))
        if tuple(item.upper() for item in items) == TICK_LIST:
            continue
        for cells in validation.sqref.ranges:
            if cells.min_row <= row <= cells.max_row:
                for column in range(cells.min_col, cells.max_col + 1):
                    found[column - 1] = items
    return found


def _template_type(path: Path) -> str:
    """The template's suffix, once it is known to be a supported file that exists."""
    suffix = path.suffix.lower()
    if suffix not in TEMPLATE_SUFFIXES:
        raise _template_error(path, f"is not a {' or '.join(TEMPLATE_SUFFIXES)} file")
    if not path.is_file():
        raise _template_error(path, "does not exist")
    return suffix


def _template_error(path: Path, message: str) -> TemplateError:
    return TemplateError(f"template {path} {message}", [Problem(str(path), message)])


def _require_values(path: Path, tokens: Sequence[str], values: Mapping[str, str]) -> None:
    missing = [token for token in tokens if token not in values]
    if missing:
        raise TemplateError(
            f"template {path} has placeholders with no value: {', '.join(missing)}",
            [Problem(str(path), f"no value for {token}") for token in missing],
        )


def _substituter(tokens: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern for all tokens, longest first, so each is replaced once and values are never
    scanned again."""
    if not tokens:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))


def _clean(value: str) -> str:
    return XML_ILLEGAL_CHARS.sub("", value)


# -- .docx -----------------------------------------------------------------------------------


def _open_docx(path: Path) -> Any:
    try:
        return docx.Document(str(path))
    except Exception as exc:  # python-docx raises many types for a damaged or foreign file
        raise _template_error(path, f"cannot be read as a Word document ({exc})") from None


def _docx_paragraphs(document: Any) -> Iterator[Any]:
    """Every ``w:p`` of the body (tables, text boxes and content controls included) and of each
    header and footer part, each part once however many sections link to it."""
    roots = [document.element.body]
    roots += [
        rel.target_part.element
        for rel in document.part.rels.values()
        if rel.reltype in HEADER_FOOTER_RELS and not rel.is_external
    ]
    for root in roots:
        yield from root.iter(qn("w:p"))


def _own_texts(paragraph: Any) -> list[Any]:
    """The ``w:t`` elements of this paragraph, in order, excluding those of paragraphs nested in
    it (text boxes): runs inside hyperlinks and fields count."""
    return [t for t in paragraph.iter(qn("w:t")) if next(t.iterancestors(qn("w:p"))) is paragraph]


def _paragraph_text(paragraph: Any) -> str:
    return "".join(t.text or "" for t in _own_texts(paragraph))


def _fill_paragraphs(
    root: Any,
    is_body: bool,
    indexes: Sequence[int],
    pattern: re.Pattern[str],
    values: Mapping[str, str],
) -> None:
    """Fill the paragraphs at ``indexes`` of one part (of the body of the main part, or of a
    whole header or footer), dropping those the fill emptied."""
    scope = root.find(qn("w:body")) if is_body else root
    paragraphs = list(scope.iter(qn("w:p"))) if scope is not None else []
    for index in indexes:
        paragraph = paragraphs[index]
        before = _paragraph_text(paragraph)
        _replace_in_paragraph(paragraph, pattern, values)
        if before.strip() and not _paragraph_text(paragraph).strip():
            _remove_emptied(paragraph)


def _remove_emptied(paragraph: Any) -> None:
    """Drop a paragraph whose text the fill emptied, unless it is the last one of a table cell
    (a cell must keep one) or holds something besides text (a picture, a field)."""
    parent = paragraph.getparent()
    if parent is None or paragraph.find(f".//{qn('w:drawing')}") is not None:
        return
    if parent.tag == qn("w:tc") and len(parent.findall(qn("w:p"))) == 1:
        return
    parent.remove(paragraph)


def _replace_in_paragraph(
    paragraph: Any, pattern: re.Pattern[str], values: Mapping[str, str]
) -> None:
    """Replace tokens even where Word split them over several runs: the value goes into the run
    where the token starts (keeping that run's formatting) and the rest of the token is removed
    from the runs that held it. Matches are spliced right to left so earlier offsets hold."""
    texts = _own_texts(paragraph)
    full = "".join(t.text or "" for t in texts)
    for match in reversed(list(pattern.finditer(full))):
        _splice(texts, match.start(), match.end(), _clean(values[match.group()]))


def _splice(texts: Sequence[Any], start: int, end: int, value: str) -> None:
    first, first_at = _locate(texts, start, inclusive_end=False)
    last, last_at = _locate(texts, end, inclusive_end=True)
    if first == last:
        text = texts[first].text
        _set_text(texts[first], text[:first_at] + value + text[last_at:])
        return
    _set_text(texts[first], texts[first].text[:first_at] + value)
    for middle in texts[first + 1 : last]:
        _set_text(middle, "")
    _set_text(texts[last], texts[last].text[last_at:])


def _locate(texts: Sequence[Any], offset: int, *, inclusive_end: bool) -> tuple[int, int]:
    """(index of the ``w:t`` holding paragraph offset ``offset``, offset inside it). A match end
    belongs to the element it ends in, a match start to the element it starts in."""
    position = 0
    for index, element in enumerate(texts):
        length = len(element.text or "")
        if inclusive_end:
            inside = position < offset <= position + length
        else:
            inside = position <= offset < position + length
        if inside:
            return index, offset - position
        position += length
    raise AssertionError(f"offset {offset} is outside the paragraph")  # a match is always inside


def _set_text(element: Any, text: str) -> None:
    element.text = text
    element.set(XML_SPACE, "preserve")


# -- .xlsx templates -------------------------------------------------------------------------


def _open_xlsx(path: Path) -> Workbook:
    try:
        return load_workbook(path)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise _template_error(path, f"cannot be read as an Excel workbook ({exc})") from None


def _text_cells(workbook: Workbook) -> Iterator[Cell]:
    """String cells only: a formula that mentions ``{{ x }}`` is code, not a placeholder."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == TEXT_TYPE and isinstance(cell.value, str):
                    yield cell


def _fill_cell_texts(
    root: Any, indexes: Sequence[int], pattern: re.Pattern[str], values: Mapping[str, str]
) -> None:
    """Fill the cell texts (see :func:`_cell_texts`) at ``indexes`` of one part, as filling
    each text cell did."""
    texts = list(_cell_texts(root))
    for index in indexes:
        text = texts[index]
        filled = pattern.sub(lambda m: _clean(values[m.group()]), text.text or "")
        text.text = filled
        if filled.strip() != filled:
            text.set(XML_SPACE, "preserve")


def _protect_layout(workbook: Workbook, path: Path) -> None:
    """Sheet protection on the Conversations tab, without a password, that locks only the header
    row: the person can type and tick in every data cell (Acknowledged included) and add rows,
    but not rename the columns rollup reads or insert and delete columns.

    A file on disk cannot tell the person from their manager, so locking Acknowledged would only
    stop the person themselves from ticking it, which is what the sheet asks them to do. Only
    Google (the tab protected for its owner) can keep others out."""
    if CONVERSATIONS_TAB not in workbook.sheetnames:
        raise _template_error(path, f"has no {CONVERSATIONS_TAB!r} tab")
    sheet = workbook[CONVERSATIONS_TAB]
    header = [_header_text(cell.value) for cell in sheet[1]]
    if ACKNOWLEDGED_COLUMN not in header:
        raise _template_error(path, f"{CONVERSATIONS_TAB} has no {ACKNOWLEDGED_COLUMN!r} column")
    for row in sheet.iter_rows():
        for cell in row:
            cell.protection = LOCKED if cell.row == 1 else UNLOCKED
    _unlock_columns(sheet)
    for row in range(2, sheet.max_row + 1):
        sheet.row_dimensions[row].protection = UNLOCKED
    protection = sheet.protection
    protection.insertRows = protection.formatColumns = protection.formatRows = False  # allowed
    protection.formatCells = protection.sort = protection.autoFilter = False  # allowed
    protection.sheet = True


def _unlock_columns(sheet: Worksheet) -> None:
    """Column styles decide cells nobody has typed in yet: every column is unlocked (the header
    cells themselves are locked one by one). Existing ``<col>`` ranges keep their widths; the
    gaps between them get new unlocked ranges, so no two ranges overlap."""
    dimensions = list(sheet.column_dimensions.values())
    sheet.column_dimensions.clear()
    for dim in dimensions:
        dim.reindex()
    covered = sorted((d.min, d.max) for d in dimensions)
    dimensions += [_column_span(sheet, lo, hi, None) for lo, hi in _gaps(covered, EXCEL_MAX_COLUMN)]
    for dim in dimensions:
        dim.protection = UNLOCKED
        sheet.column_dimensions[get_column_letter(dim.min)] = dim


def _column_span(
    sheet: Worksheet, lo: int, hi: int, like: ColumnDimension | None
) -> ColumnDimension:
    """A ``<col>`` range from ``lo`` to ``hi``; a copy of ``like``'s look, or no width at all
    (width 0 is not written, so Excel keeps its default)."""
    span = ColumnDimension(sheet, index=get_column_letter(lo), min=lo, max=hi, width=0)
    if like is not None:
        span.width = like.width
        span.hidden = like.hidden
        span.bestFit = like.bestFit
        span.outlineLevel = like.outlineLevel
        span._style = copy(like._style)
    return span


def _gaps(covered: Sequence[tuple[int, int]], last: int) -> Iterator[tuple[int, int]]:
    start = 1
    for lo, hi in covered:
        if lo > start:
            yield start, lo - 1
        start = max(start, hi + 1)
    if start <= last:
        yield start, last


def _header_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# -- reading and writing tabs ----------------------------------------------------------------


def put_cell(cell: Cell, value: Any) -> None:
    """Write ``value`` as data: text stays text even when it starts with ``=`` or looks like an
    error code such as ``#N/A``. Raises WorkspaceError for a type a workbook cannot hold."""
    if not isinstance(value, CELL_TYPES):
        raise WorkspaceError(
            f"cell {cell.coordinate} of tab {cell.parent.title!r}: cannot store a "
            f"{type(value).__name__} in a workbook"
        )
    if isinstance(value, str):
        cell.value = _clean(value)
        cell.data_type = TEXT_TYPE
    else:
        cell.value = value


def read_tab(path: Path, title: str) -> tuple[list[str], list[list[Any]]] | None:
    """Header and data rows of tab ``title`` as displayed (formulas give their last computed
    value), or None if there is no such worksheet. Like the Sheets values API, trailing empty
    cells of a row and trailing empty rows are dropped. The caller handles unreadable files.
    Reads only what decides the values (see :mod:`.xlsx_reader`): rollup reads every sheet."""
    return xlsx_reader.read_tab(path, title)


def merge_user_columns(
    table: Table, old: tuple[list[str], Sequence[Sequence[Any]]] | None
) -> tuple[list[str], list[list[Any]]]:
    """``table``'s header and rows, widened with the columns a user added to the right of the
    managed header in the ``old`` version of the tab (header and rows as last read).

    A user column is one beyond the managed width whose header is not a managed header. Its cells
    follow their row by the value in ``key_column`` (case-insensitive); rows whose key is new get
    empty cells, and without a ``key_column`` only the column headers survive, since nothing says
    which row a cell belonged to. Raises WorkspaceError for rows wider than the header or a
    ``key_column`` the header does not have.
    """
    header = list(table.header)
    rows = [_padded(table, index, row) for index, row in enumerate(table.rows)]
    key = _key_index(table, header)
    if old is None:
        return header, rows
    old_header, old_rows = old
    extra = _user_columns(header, old_header, old_rows, table.former_headers)
    if not extra:
        return header, rows
    header += [old_header[i] if i < len(old_header) else "" for i in extra]
    by_key = _rows_by_key(table, old_header, old_rows)
    for row in rows:
        kept = by_key.get(_key(row[key])) if key is not None else None
        row += [kept[i] if kept is not None and i < len(kept) else None for i in extra]
    return header, rows


def _padded(table: Table, index: int, row: Sequence[Any]) -> list[Any]:
    width = len(table.header)
    if len(row) > width:
        raise WorkspaceError(
            f"tab {table.title!r}: row {index + 2} has {len(row)} cells but the header {width}"
        )
    return [*row, *([None] * (width - len(row)))]


def _user_columns(
    header: Sequence[str],
    old_header: Sequence[str],
    old_rows: Sequence[Sequence[Any]],
    former: Sequence[str] = (),
) -> list[int]:
    """Indexes of the old tab's user columns: right of its managed ones, with a header that
    is not managed. An older layout of the tab (headers in ``former``) may have been narrower
    or wider than ``header``: its user columns start right of its last managed header."""
    managed = {_fold(h) for h in header}
    known = managed | {_fold(h) for h in former}
    width = max([len(old_header), *(len(r) for r in old_rows)])
    last = max((i for i, h in enumerate(old_header) if _fold(str(h or "")) in known), default=-1)
    start = last + 1 if former and last >= 0 else len(header)
    return [
        i
        for i in range(start, width)
        if _fold(old_header[i] if i < len(old_header) else "") not in known
        and (_has_text(old_header, i) or any(_has_text(r, i) for r in old_rows))
    ]


def _has_text(row: Sequence[Any], index: int) -> bool:
    return index < len(row) and row[index] not in (None, "")


def _key_index(table: Table, header: Sequence[str]) -> int | None:
    if table.key_column is None:
        return None
    folded = [_fold(h) for h in header[: len(table.header)]]
    if _fold(table.key_column) not in folded:
        raise WorkspaceError(f"tab {table.title!r} has no key column {table.key_column!r}")
    return folded.index(_fold(table.key_column))


def _rows_by_key(
    table: Table, old_header: Sequence[str], old_rows: Sequence[Sequence[Any]]
) -> dict[str, Sequence[Any]]:
    """Old rows by key; the first row wins if a key repeats."""
    if table.key_column is None or _fold(table.key_column) not in map(_fold, old_header):
        return {}
    index = [_fold(h) for h in old_header].index(_fold(table.key_column))
    by_key: dict[str, Sequence[Any]] = {}
    for row in old_rows:
        if index < len(row) and _key(row[index]):
            by_key.setdefault(_key(row[index]), row)
    return by_key


def _key(value: Any) -> str:
    return "" if value is None else _fold(str(value))


def _fold(text: str) -> str:
    return text.strip().casefold()


def write_tab(
    workbook: Workbook, table: Table, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Replace (or add) tab ``table.title`` with ``header`` and ``rows``, in the same position
    among the tabs, presented as ``table.layout`` says (see :mod:`.presentation`): a bold
    shaded header row and the first columns frozen, a filter on the header, widths for the
    content, links as short clickable labels, dates, counts and percentages as numbers in
    their formats, status colours by conditional formatting, landscape fit-to-width printing
    with the header repeated on every page, and ``table.chart`` if set.
    Raises WorkspaceError for a cell or chart the tab cannot hold."""
    position = table.position
    if table.title in workbook.sheetnames:
        position = workbook.sheetnames.index(table.title)
        workbook.remove(workbook[table.title])
    try:
        sheet = workbook.create_sheet(table.title, position)
    except ValueError as exc:
        raise WorkspaceError(f"cannot name a tab {table.title!r}: {exc}") from None
    data = [list(header), *(list(row) for row in rows)]
    layout = table.layout
    column_kinds = presentation.kinds(layout, len(header))
    # A cell's look depends on its column and its value's type only: the first such cell is
    # styled through openpyxl (which looks each style up in the workbook's tables, slowly), the
    # others get a copy of its style ids.
    looks: dict[tuple[int, type], StyleArray] = {}
    for r, row in enumerate(data, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if r == 1:
                put_cell(cell, value)
                continue
            look = looks.get((c, type(value)))
            if look is None:
                _put_presented(cell, value, column_kinds[c - 1])
                cell.border = CELL_BORDER
                looks[(c, type(value))] = copy(cell._style)
            else:
                put_cell(cell, value.label if isinstance(value, Link) else value)
                if isinstance(value, Link):
                    cell.hyperlink = value.url
                cell._style = copy(look)
    widths = presentation.column_widths(header, data[1:], layout)
    _style_header(sheet, header, widths, column_kinds)
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = f"{get_column_letter(layout.frozen_columns + 1)}2"
    last = f"{get_column_letter(max(len(header), 1))}{len(data)}"
    if layout.filter and header:
        sheet.auto_filter.ref = f"A1:{last}"
    _colour_statuses(sheet, column_kinds, layout, len(data))
    _print_setup(sheet)
    if table.chart is not None:
        _add_chart(sheet, table, len(header))


def _put_presented(cell: Cell, value: Any, kind: ColumnKind) -> None:
    if isinstance(value, Link):
        put_cell(cell, value.label)
        cell.hyperlink = value.url
        cell.font = LINK_FONT
    else:
        put_cell(cell, value)
    pattern = presentation.PATTERNS.get(kind)
    if (
        pattern is not None
        and isinstance(value, int | float | date)
        and not isinstance(value, bool)
    ):
        cell.number_format = pattern
    wrap = kind is ColumnKind.NOTE
    horizontal = presentation.ALIGNMENT.get(kind, presentation.LEFT).lower()
    cell.alignment = Alignment(horizontal=horizontal, vertical="top", wrap_text=wrap)


def _style_header(
    sheet: Worksheet,
    header: Sequence[str],
    widths: Sequence[int],
    column_kinds: Sequence[ColumnKind],
) -> None:
    """Bold on grey, wrapped, aligned like the column's values (numbers right, flags centred)."""
    lines = presentation.header_lines(header, widths)
    for cell, kind in zip(sheet[1], column_kinds, strict=False):
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        horizontal = presentation.ALIGNMENT.get(kind, presentation.LEFT).lower()
        cell.alignment = Alignment(horizontal=horizontal, vertical="bottom", wrap_text=True)
        cell.border = HEADER_BORDER
    if lines > 1:
        sheet.row_dimensions[1].height = HEADER_LINE_HEIGHT * lines


def _colour_statuses(
    sheet: Worksheet, column_kinds: Sequence[ColumnKind], layout: Layout, height: int
) -> None:
    """One conditional-format rule per status value on each STATUS column, so the colour
    follows the value wherever sorting or editing moves it."""
    if height < 2 or not layout.colours:
        return
    for c, kind in enumerate(column_kinds, start=1):
        if kind is not ColumnKind.STATUS:
            continue
        letter = get_column_letter(c)
        for value, colour in layout.colours:
            fill = PatternFill(
                start_color=_argb(colour), end_color=_argb(colour), fill_type="solid"
            )
            sheet.conditional_formatting.add(
                f"{letter}2:{letter}{height}",
                CellIsRule(operator="equal", formula=[_formula_text(value)], fill=fill),
            )


def _formula_text(value: str) -> str:
    """A string literal in a spreadsheet formula: quoted, inner quotes doubled."""
    return '"' + value.replace('"', '""') + '"'


def _argb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()


def _print_setup(sheet: Worksheet) -> None:
    """Landscape, every column on one page width (as many pages down as it takes), the header
    row repeated at the top of each page."""
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.page_margins.left = sheet.page_margins.right = PRINT_MARGIN
    sheet.page_margins.top = sheet.page_margins.bottom = PRINT_MARGIN


def _add_chart(sheet: Worksheet, table: Table, width: int) -> None:
    """A column chart over rows 2..row_count+1; ``label_column`` and ``value_column`` are 0-based
    indexes into the header, as in the Google sheet's chart. A percent chart's value axis runs
    from 0 to 100 %. No rows, no chart."""
    spec = table.chart
    assert spec is not None
    for name, index in (("label", spec.label_column), ("value", spec.value_column)):
        if not 0 <= index < len(table.header):
            raise WorkspaceError(
                f"tab {table.title!r}: chart {name} column {index} is not in "
                f"its {len(table.header)}-column header"
            )
    if spec.row_count < 1:
        return
    chart = BarChart()
    chart.type = "col"
    chart.title = spec.title
    chart.legend = None
    chart.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told otherwise
    chart.y_axis.delete = False
    chart.y_axis.majorGridlines = ChartLines()
    if spec.percent:
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.y_axis.majorUnit = PERCENT_AXIS_STEP
        chart.y_axis.number_format = presentation.PERCENT_PATTERN
        chart.y_axis.numFmt.sourceLinked = False
    last = spec.row_count + 1
    values = Reference(sheet, min_col=spec.value_column + 1, min_row=1, max_row=last)
    labels = Reference(sheet, min_col=spec.label_column + 1, min_row=2, max_row=last)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(labels)
    sheet.add_chart(chart, f"{get_column_letter(width + CHART_GAP_COLUMNS + 1)}{CHART_ANCHOR_ROW}")


def protect_conversations(path: Path) -> bytes | None:
    """The growth sheet at ``path`` with its Conversations tab protected as :func:`fill`
    protects a new one (``protect_layout``), as file bytes; None when the tab is protected
    already. The caller handles unreadable files."""
    workbook = load_workbook(path)
    if CONVERSATIONS_TAB in workbook.sheetnames and workbook[CONVERSATIONS_TAB].protection.sheet:
        return None
    _protect_layout(workbook, path)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
