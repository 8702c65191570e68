"""A1 notation: the text form of cell ranges that the Sheets values API takes and echoes.

:func:`parse` reads what the text says (an :class:`A1Ref`); deciding what a bare word means — a
cell range, a named range or a sheet title — needs the spreadsheet, so that is the model's job.
:class:`GridRange` is the API's zero-based, half-open GridRange, with ``None`` for an unbounded
side. The formatting functions produce the normalised text real Sheets echoes (fact 10 in
shared/google-api-facts.md): a title is quoted only when it needs it, so ``'Sheet1'!B1`` comes
back as ``Sheet1!B1`` while ``'My sheet'!B1`` keeps its quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

LETTERS = 26
MAX_COLUMN_LETTERS = 3  # "ZZZ" is the last column Sheets can address
QUOTE = "'"
SHEET_SEPARATOR = "!"
RANGE_SEPARATOR = ":"

_LETTERS = f"[A-Za-z]{{1,{MAX_COLUMN_LETTERS}}}"
_CELL = rf"\$?({_LETTERS})\$?([0-9]+)"
_COLUMN = rf"\$?({_LETTERS})"
_ROW = r"\$?([0-9]+)"
_CELL_RE = re.compile(f"^{_CELL}$")
_COLUMN_RE = re.compile(f"^{_COLUMN}$")
_ROW_RE = re.compile(f"^{_ROW}$")
# A title that needs no quotes: a plain identifier that cannot be mistaken for a cell reference.
_PLAIN_TITLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE_RE = re.compile(f"^{_LETTERS}[0-9]+$")
_R1C1_LIKE_RE = re.compile(r"^[Rr][0-9]*[Cc][0-9]*$")


class A1Error(ValueError):
    """The text is not A1 notation; Sheets answers "Unable to parse range: <text>"."""

    def __init__(self, text: str) -> None:
        super().__init__(f"Unable to parse range: {text}")
        self.text = text


@dataclass(frozen=True)
class GridRange:
    """Zero-based, half-open grid coordinates on one sheet; ``None`` means unbounded."""

    sheet_id: int = 0
    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GridRange:
        return cls(
            sheet_id=int(data.get("sheetId") or 0),
            start_row=_opt_int(data.get("startRowIndex")),
            end_row=_opt_int(data.get("endRowIndex")),
            start_col=_opt_int(data.get("startColumnIndex")),
            end_col=_opt_int(data.get("endColumnIndex")),
        )

    def to_json(self) -> dict[str, Any]:
        """The API's form: sheetId 0 is left out (a proto default), bounds only when set."""
        out: dict[str, Any] = {}
        if self.sheet_id:
            out["sheetId"] = self.sheet_id
        for key, value in (
            ("startRowIndex", self.start_row),
            ("endRowIndex", self.end_row),
            ("startColumnIndex", self.start_col),
            ("endColumnIndex", self.end_col),
        ):
            if value is not None:
                out[key] = value
        return out

    @property
    def row_start(self) -> int:
        return self.start_row or 0

    @property
    def col_start(self) -> int:
        return self.start_col or 0

    def clamp(self, rows: int, cols: int) -> GridRange:
        """Bounded on every side: open ends become the grid's edges, ends past it are cut."""
        end_row = rows if self.end_row is None else min(self.end_row, rows)
        end_col = cols if self.end_col is None else min(self.end_col, cols)
        return GridRange(
            self.sheet_id,
            self.row_start,
            max(end_row, self.row_start),
            self.col_start,
            max(end_col, self.col_start),
        )

    def is_empty(self) -> bool:
        return (self.end_row is not None and self.end_row <= self.row_start) or (
            self.end_col is not None and self.end_col <= self.col_start
        )

    def contains(self, row: int, col: int) -> bool:
        return (
            row >= self.row_start
            and (self.end_row is None or row < self.end_row)
            and col >= self.col_start
            and (self.end_col is None or col < self.end_col)
        )

    def intersects(self, other: GridRange) -> bool:
        if self.sheet_id != other.sheet_id:
            return False
        return _overlap(self.row_start, self.end_row, other.row_start, other.end_row) and _overlap(
            self.col_start, self.end_col, other.col_start, other.end_col
        )

    def intersection(self, other: GridRange) -> GridRange | None:
        """The overlap of two ranges on the same sheet, or None when they do not meet."""
        if not self.intersects(other):
            return None
        return GridRange(
            self.sheet_id,
            max(self.row_start, other.row_start),
            _min_end(self.end_row, other.end_row),
            max(self.col_start, other.col_start),
            _min_end(self.end_col, other.end_col),
        )

    def cells(self) -> Iterator[tuple[int, int]]:
        """Every (row, col) in the range; only for a bounded range (see :meth:`clamp`)."""
        if self.end_row is None or self.end_col is None:
            raise ValueError("cells() needs a bounded range")
        for row in range(self.row_start, self.end_row):
            for col in range(self.col_start, self.end_col):
                yield row, col


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _overlap(a0: int, a1: int | None, b0: int, b1: int | None) -> bool:
    return (a1 is None or b0 < a1) and (b1 is None or a0 < b1)


def _min_end(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@dataclass(frozen=True)
class A1Ref:
    """What a piece of A1 text says, before it is resolved against a spreadsheet.

    ``sheet`` is the title before ``!`` (unquoted), or None. ``word`` is a bare word without
    ``!`` that is not a cell range: a named range or a sheet title. ``cells`` is False when the
    text names a whole sheet. Bounds follow :class:`GridRange`.
    """

    sheet: str | None = None
    word: str | None = None
    cells: bool = True
    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None

    def on_sheet(self, sheet_id: int) -> GridRange:
        return GridRange(sheet_id, self.start_row, self.end_row, self.start_col, self.end_col)


def column_letters(index: int) -> str:
    """Zero-based column index to letters: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, LETTERS)
        letters = chr(ord("A") + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Column letters (any case) to a zero-based index: A → 0, AA → 26."""
    n = 0
    for ch in letters.upper():
        n = n * LETTERS + (ord(ch) - ord("A") + 1)
    return n - 1


def quote_title(title: str) -> str:
    """A sheet title as Sheets writes it in a range: bare if it is a plain identifier that
    cannot be read as a cell reference, otherwise quoted with inner quotes doubled."""
    plain = (
        _PLAIN_TITLE_RE.match(title)
        and not _CELL_LIKE_RE.match(title)
        and not _R1C1_LIKE_RE.match(title)
    )
    if plain:
        return title
    return QUOTE + title.replace(QUOTE, QUOTE * 2) + QUOTE


def always_quoted(title: str) -> str:
    """The title quoted whether or not it needs it (some Sheets error messages do this)."""
    return QUOTE + title.replace(QUOTE, QUOTE * 2) + QUOTE


def format_cells(grid: GridRange) -> str:
    """The cell part of a range in A1, as Sheets writes a GridRange: an open end is left off
    (rows 1000.. of columns A:B is ``A1001:B``) and a single cell is written once. A range
    open on both ends is named by its first cell."""
    start_row, start_col = grid.row_start, grid.col_start
    start = f"{column_letters(start_col)}{start_row + 1}"
    single = grid.end_row == start_row + 1 and grid.end_col == start_col + 1
    if single or (grid.end_row is None and grid.end_col is None):
        return start
    end_col = "" if grid.end_col is None else column_letters(grid.end_col - 1)
    end_row = "" if grid.end_row is None else str(grid.end_row)
    return f"{start}{RANGE_SEPARATOR}{end_col}{end_row}"


def format_range(title: str, grid: GridRange) -> str:
    """``Title!A1:B2`` with the title quoted only when needed (the form Sheets echoes)."""
    return f"{quote_title(title)}{SHEET_SEPARATOR}{format_cells(grid)}"


def parse(text: str) -> A1Ref:
    """Read A1 text: ``Sheet1!A1:B2``, ``'It''s'!A:A``, ``1:2``, ``A5:A``, ``A1``, ``Sheet1``,
    ``My sheet!B3`` (an unquoted title may hold spaces), or a bare word.

    Raises :class:`A1Error` for text that cannot be a range.
    """
    if not text:
        raise A1Error(text)
    if text.startswith(QUOTE):
        title, rest = _split_quoted(text)
        if rest == "":
            return A1Ref(sheet=title, cells=False)
        if not rest.startswith(SHEET_SEPARATOR):
            raise A1Error(text)
        return _with_cells(text, title, rest[1:])
    if SHEET_SEPARATOR in text:
        title, _, cells = text.rpartition(SHEET_SEPARATOR)
        if not title:
            raise A1Error(text)
        return _with_cells(text, title, cells)
    try:
        return _cell_part(text, None)
    except A1Error:
        return A1Ref(word=text, cells=False)


def _split_quoted(text: str) -> tuple[str, str]:
    """Split ``'It''s'!A1`` into the unescaped title and what follows the closing quote."""
    chars: list[str] = []
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == QUOTE:
            if text[i + 1 : i + 2] == QUOTE:
                chars.append(QUOTE)
                i += 2
                continue
            title = "".join(chars)
            if not title:
                raise A1Error(text)
            return title, text[i + 1 :]
        chars.append(ch)
        i += 1
    raise A1Error(text)


def _with_cells(text: str, title: str, cells: str) -> A1Ref:
    if cells == "":
        return A1Ref(sheet=title, cells=False)
    try:
        return _cell_part(cells, title)
    except A1Error:
        raise A1Error(text) from None


def _cell_part(cells: str, title: str | None) -> A1Ref:
    """Parse the part after ``!``: a cell, or two ends of a range in any supported shape."""
    first, sep, second = cells.partition(RANGE_SEPARATOR)
    if not sep:
        row, col = _cell(first, cells)
        return A1Ref(sheet=title, start_row=row, end_row=row + 1, start_col=col, end_col=col + 1)
    a, b = _end(first, cells), _end(second, cells)
    # Each end is (row | None, col | None); a missing coordinate on both ends is unbounded.
    rows = _span(a[0], b[0], cells)
    cols = _span(a[1], b[1], cells)
    if rows == (None, None) and cols == (None, None):
        raise A1Error(cells)
    return A1Ref(
        sheet=title, start_row=rows[0], end_row=rows[1], start_col=cols[0], end_col=cols[1]
    )


def _span(a: int | None, b: int | None, text: str) -> tuple[int | None, int | None]:
    """Half-open span from two inclusive ends; ``A5:A`` leaves the end open, ``A:A5`` is bad."""
    if a is None and b is None:
        return None, None
    if a is None:
        raise A1Error(text)
    if b is None:
        return a, None
    low, high = sorted((a, b))
    return low, high + 1


def _cell(part: str, text: str) -> tuple[int, int]:
    m = _CELL_RE.match(part)
    if not m:
        raise A1Error(text)
    row = int(m.group(2))
    if row < 1:
        raise A1Error(text)
    return row - 1, column_index(m.group(1))


def _end(part: str, text: str) -> tuple[int | None, int | None]:
    if _CELL_RE.match(part):
        return _cell(part, text)
    m = _COLUMN_RE.match(part)
    if m:
        return None, column_index(m.group(1))
    m = _ROW_RE.match(part)
    if m and int(m.group(1)) >= 1:
        return int(m.group(1)) - 1, None
    raise A1Error(text)
