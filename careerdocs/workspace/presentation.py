"""How a central-sheet tab looks, decided once for both backends.

The Status, Summary, People, Escalations and About tabs carry a :class:`~.base.Layout` (one
:class:`~.base.ColumnKind` per column). This module turns that into the concrete choices —
column widths in characters, number-format patterns, alignment, wrapping, colours — which the
.xlsx writer (:mod:`.office`) and the Google request builders (:mod:`.google.dashboard`) apply
in their own terms. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from .base import ColumnKind, Layout, Link

# Number formats, in the pattern language both Excel and Google Sheets read.
DATE_PATTERN = "d mmm yyyy"  # 4 Dec 2026
DATETIME_PATTERN = "d mmm yyyy hh:mm"  # 4 Dec 2026 14:05
PERCENT_PATTERN = "0%"
COUNT_PATTERN = "0"
PATTERNS = {
    ColumnKind.DATE: DATE_PATTERN,
    ColumnKind.DATETIME: DATETIME_PATTERN,
    ColumnKind.PERCENT: PERCENT_PATTERN,
    ColumnKind.COUNT: COUNT_PATTERN,
}

LEFT, CENTER, RIGHT = "LEFT", "CENTER", "RIGHT"
ALIGNMENT = {
    ColumnKind.LINK: CENTER,
    ColumnKind.FLAG: CENTER,
    ColumnKind.STATUS: CENTER,
    ColumnKind.COUNT: RIGHT,
    ColumnKind.PERCENT: RIGHT,
    ColumnKind.DATE: RIGHT,
    ColumnKind.DATETIME: RIGHT,
}

# Widths in characters of the default font. Fixed for values of a known shape; fitted to the
# content, within limits, for text.
FIXED_WIDTHS = {
    ColumnKind.DATE: 12,
    ColumnKind.DATETIME: 16,
    ColumnKind.PERCENT: 8,
}
TEXT_LIMITS = {  # (narrowest, widest) before text is cut off or wraps
    ColumnKind.NAME: (10, 24),
    ColumnKind.EMAIL: (12, 32),
    ColumnKind.TEXT: (8, 24),
    ColumnKind.STATUS: (10, 17),
    ColumnKind.NOTE: (14, 50),
    ColumnKind.LINK: (6, 10),
    ColumnKind.COUNT: (6, 18),
    ColumnKind.FLAG: (6, 14),
}
PADDING = 2
HEADER_PADDING = 4  # bold text is wider than the body's
# Headers over narrow columns wrap onto a second line instead of widening the column.
NARROW_KINDS = frozenset(
    {ColumnKind.COUNT, ColumnKind.FLAG, ColumnKind.PERCENT, ColumnKind.LINK, ColumnKind.DATE}
)
HEADER_LINES = 2
PIXELS_PER_CHARACTER = 7  # Google's default 10 pt Arial, about
PIXEL_PADDING = 8

HEADER_BACKGROUND = "#eeeeee"
LINK_COLOUR = "#1155cc"  # Google Sheets' own link blue


def kinds(layout: Layout, width: int) -> list[ColumnKind]:
    """One kind per column of a tab ``width`` columns wide (user columns are TEXT)."""
    return [layout.kind(i) for i in range(width)]


def shown(value: Any) -> str:
    """The text a cell shows, for measuring."""
    if value is None:
        return ""
    if isinstance(value, Link):
        return value.label
    if isinstance(value, datetime):
        return "4 Dec 2026 14:05"
    if isinstance(value, date):
        return "4 Dec 2026"
    return str(value)


def column_widths(
    header: Sequence[str], rows: Sequence[Sequence[Any]], layout: Layout
) -> list[int]:
    """The width, in characters, of each column: fixed for dates and percentages, fitted to the
    longest value (and, for wide columns, the header) within the kind's limits otherwise.
    Narrow columns let their header wrap onto :data:`HEADER_LINES` lines rather than grow."""
    widths = []
    for index, kind in enumerate(kinds(layout, len(header))):
        title = str(header[index] or "")
        heading = _wrapped_width(title) if kind in NARROW_KINDS else len(title)
        if kind in FIXED_WIDTHS:
            widths.append(max(FIXED_WIDTHS[kind], heading + HEADER_PADDING))
            continue
        low, high = TEXT_LIMITS[kind]
        longest = max((len(shown(r[index])) for r in rows if index < len(r)), default=0)
        widths.append(max(min(longest + PADDING, high), min(heading + HEADER_PADDING, high), low))
    return widths


def header_lines(header: Sequence[str], widths: Sequence[int]) -> int:
    """1, or :data:`HEADER_LINES` when a header is wider than its column and wraps."""
    wraps = any(
        len(str(h or "")) + HEADER_PADDING > w for h, w in zip(header, widths, strict=False)
    )
    return HEADER_LINES if wraps else 1


def _wrapped_width(title: str) -> int:
    """The narrowest width at which ``title`` fits on :data:`HEADER_LINES` lines."""
    words = title.split()
    if not words:
        return 0
    best = len(title)
    for cut in range(1, len(words)):
        best = min(best, max(len(" ".join(words[:cut])), len(" ".join(words[cut:]))))
    return best


def pixels(characters: int) -> int:
    """A width in characters as Google's pixelSize."""
    return characters * PIXELS_PER_CHARACTER + PIXEL_PADDING


def rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` as red, green, blue fractions (Google's Color)."""
    text = colour.lstrip("#")
    red, green, blue = (int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return round(red, 4), round(green, 4), round(blue, 4)
