"""The spreadsheet model behind the sandbox's Sheets v4 API.

A :class:`Spreadsheet` is what a Google Sheets file holds: ordered sheets of sparse cells, named
ranges, protected ranges and charts. The title is not here: it is the Drive file's name.

What callers must know:

- Cells are immutable (:class:`Cell` is frozen and its dicts are never changed in place), so
  :meth:`Spreadsheet.copy` only copies containers. The API layer applies every write to a copy
  and keeps it only if all of the write succeeded, which makes each request atomic.
- Writes take an :class:`Actor` and refuse, with :class:`ProtectedError`, to touch a cell of a
  protected range the actor may not edit. The file owner may always edit. A protection whose
  range is the whole sheet (``{"sheetId": N}`` only: "fully unbounded, in which case this is
  considered a protected sheet", Sheets v4 discovery, ProtectedRange.range) also refuses
  non-editors every structural change to that sheet: inserting, deleting, moving or appending
  rows and columns, changing its properties (rename, hide) and deleting it. Anyone who may
  edit the file may still add new sheets.
- Formulas are stored, never evaluated. ``FORMATTED_VALUE`` and ``UNFORMATTED_VALUE`` render a
  formula cell as empty (what a blank result looks like); ``FORMULA`` renders its text.
- Values typed as ``USER_ENTERED`` are parsed the way the en_US Sheets UI does for the common
  cases: numbers (``1,234.5``, ``$20.50``, ``50%``, ``1e3``), ``TRUE``/``FALSE``, dates
  (``2026-03-01``, ``3/1/2016``, with an optional time), times (``10:30``), ``=`` formulas and a
  leading ``'`` that forces text. Dates become serial numbers with a date number format.
"""

from __future__ import annotations

import copy
import csv
import io
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import openpyxl
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from . import a1
from .a1 import GridRange
from .interning import Interner, json_key

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
DEFAULT_SHEET_TITLE = "Sheet1"
SHEET_TITLE_PREFIX = "Sheet"
CELL_LIMIT = 10_000_000
ID_LIMIT = 2**31 - 1  # sheet, protected-range and chart ids are positive int32s

# ExtendedValue kinds, named as the API's JSON keys.
STRING = "stringValue"
NUMBER = "numberValue"
BOOL = "boolValue"
FORMULA = "formulaValue"

# ValueInputOption, ValueRenderOption, DateTimeRenderOption, Dimension.
RAW = "RAW"
USER_ENTERED = "USER_ENTERED"
FORMATTED_VALUE = "FORMATTED_VALUE"
UNFORMATTED_VALUE = "UNFORMATTED_VALUE"
FORMULA_RENDER = "FORMULA"
SERIAL_NUMBER = "SERIAL_NUMBER"
FORMATTED_STRING = "FORMATTED_STRING"
ROWS = "ROWS"
COLUMNS = "COLUMNS"

# Sheet types and merge types.
GRID = "GRID"
OBJECT = "OBJECT"
MERGE_ALL = "MERGE_ALL"
MERGE_ROWS = "MERGE_ROWS"
MERGE_COLUMNS = "MERGE_COLUMNS"

# NumberFormat types.
TEXT_FORMAT = "TEXT"
NUMBER_FORMAT = "NUMBER"
PERCENT_FORMAT = "PERCENT"
CURRENCY_FORMAT = "CURRENCY"
DATE_FORMAT = "DATE"
TIME_FORMAT = "TIME"
DATE_TIME_FORMAT = "DATE_TIME"
SCIENTIFIC_FORMAT = "SCIENTIFIC"
DATE_TYPES = frozenset({DATE_FORMAT, TIME_FORMAT, DATE_TIME_FORMAT})

ISO_DATE_PATTERN = "yyyy-mm-dd"
ISO_DATE_TIME_PATTERN = "yyyy-mm-dd hh:mm:ss"
US_DATE_PATTERN = "M/d/yyyy"
US_DATE_TIME_PATTERN = "M/d/yyyy H:mm:ss"
TIME_PATTERN = "h:mm am/pm"
TIME_SECONDS_PATTERN = "h:mm:ss am/pm"
GROUPED_PATTERN = "#,##0"
GROUPED_DECIMAL_PATTERN = "#,##0.00"
CURRENCY_PATTERN = '"$"#,##0.00'
PERCENT_PATTERN = "0%"
PERCENT_DECIMAL_PATTERN = "0.00%"
SCIENTIFIC_PATTERN = "0.00E+00"
DEFAULT_PATTERNS = {
    DATE_FORMAT: ISO_DATE_PATTERN,
    TIME_FORMAT: TIME_SECONDS_PATTERN,
    DATE_TIME_FORMAT: ISO_DATE_TIME_PATTERN,
}

BOOLEAN_CONDITION = "BOOLEAN"
TRUE_TEXT = "TRUE"
FALSE_TEXT = "FALSE"
SERIAL_EPOCH = datetime(1899, 12, 30)
SECONDS_PER_DAY = 86400
GENERAL_DECIMALS = 10
GENERAL_MAX = 1e15
GENERAL_MIN = 1e-9
JSON_SAFE_INT = 2**53

XLSX_GENERAL = "General"
XLSX_TITLE_MAX = 31
XLSX_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
XLSX_CHECKBOX_FORMULA = '"TRUE,FALSE"'
XLSX_LIST = "list"
XLSX_HIDDEN = "hidden"
# What an .xlsx import keeps besides values: a cell's number format and text wrapping even when
# the cell is empty (a template's formatted, empty Date column), list validations as
# dropdowns, and frozen panes. Google publishes no list of what its import keeps
# [unconfirmed: Sheets is observed to keep these]; the API shapes are CellFormat.numberFormat
# and .wrapStrategy, DataValidationRule (ONE_OF_LIST with ConditionValue.userEnteredValue,
# showCustomUi for the dropdown chip, strict to reject other input) and
# GridProperties.frozenRowCount/frozenColumnCount
# (https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/other).
WRAP_STRATEGY = "WRAP"
ONE_OF_LIST = "ONE_OF_LIST"
_XLSX_QUOTED = re.compile(r'"[^"]*"|\\.')
_XLSX_DATE_CODES = re.compile(r"[yd]|m{3,}", re.IGNORECASE)

PROTECTED_MESSAGE = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner "
    "to remove protection if you need to edit."
)
CELL_LIMIT_MESSAGE = (
    f"This action would increase the number of cells in the workbook above the limit of "
    f"{CELL_LIMIT} cells."
)

# A new spreadsheet's properties as Sheets answers them (REC), minus the title.
DEFAULT_PROPERTIES: dict[str, Any] = {
    "locale": "en_US",
    "autoRecalc": "ON_CHANGE",
    "timeZone": "Etc/GMT",
    "defaultFormat": {
        "backgroundColor": {"red": 1, "green": 1, "blue": 1},
        "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
        "verticalAlignment": "BOTTOM",
        "wrapStrategy": "OVERFLOW_CELL",
        "textFormat": {
            "foregroundColor": {},
            "fontFamily": "arial,sans,sans-serif",
            "fontSize": 10,
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "foregroundColorStyle": {"rgbColor": {}},
        },
        "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
    },
    "spreadsheetTheme": {
        "primaryFontFamily": "Arial",
        "themeColors": [
            {"colorType": color_type, "color": {"rgbColor": rgb}}
            for color_type, rgb in (
                ("TEXT", {}),
                ("BACKGROUND", {"red": 1, "green": 1, "blue": 1}),
                ("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
                ("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
                ("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
                ("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
                ("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
                ("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
                ("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}),
            )
        ],
    },
}


class SheetError(ValueError):
    """A request the model refuses; the API layer answers 400 with this message."""


class ProtectedError(SheetError):
    """A write that would touch a protected cell the actor may not edit."""

    def __init__(self) -> None:
        super().__init__(PROTECTED_MESSAGE)


class ConversionError(SheetError):
    """Bytes that cannot be read as the spreadsheet format they claim to be."""


def new_id() -> int:
    """A random positive int32, the shape of sheet, protected-range and chart ids."""
    return secrets.randbelow(ID_LIMIT) + 1


def grid_limit_error(title: str, grid: GridRange, rows: int, cols: int) -> SheetError:
    return SheetError(
        f"Range ({a1.format_range(title, grid)}) exceeds grid limits. "
        f"Max rows: {rows}, max columns: {cols}"
    )


# -- dates and serial numbers ------------------------------------------------------------------


def to_serial(moment: datetime) -> float | int:
    """Sheets' date serial: days since 1899-12-30, the time of day as a fraction."""
    delta = moment - SERIAL_EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / SECONDS_PER_DAY
    return json_number(serial)


def from_serial(serial: float) -> datetime:
    moment = SERIAL_EPOCH + timedelta(days=serial)
    # Serials carry float noise; a displayed date must not tick over because of it.
    return (moment + timedelta(milliseconds=500)).replace(microsecond=0)


def json_number(value: float | int) -> float | int:
    """An integral float as an int, as Google's JSON writes it (``12``, not ``12.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < JSON_SAFE_INT:
        return int(value)
    return value


# -- USER_ENTERED parsing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One parsed input value. ``kind`` None clears the cell's value."""

    kind: str | None
    value: Any = None
    number_format: dict[str, str] | None = None


CLEAR = Entry(None)

_NUMBER_RE = re.compile(
    r"^(?P<sign>[+-]?)(?P<cur>\$?)(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d*))?"
    r"(?P<exp>[eE][+-]?\d+)?(?P<pct>%?)$"
)
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?$")
NOON = 12


def parse_input(raw: Any, option: str) -> Entry:
    """What a value sent to the values API stores, under ``RAW`` or ``USER_ENTERED``.

    ``""`` clears the cell. Raises :class:`SheetError` for a value that is not a string,
    number or boolean (the caller handles ``null``, which leaves a cell alone).
    """
    if isinstance(raw, bool):
        return Entry(BOOL, raw)
    if isinstance(raw, (int, float)):
        return Entry(NUMBER, json_number(raw))
    if not isinstance(raw, str):
        raise SheetError(f"Invalid value: {raw!r}")
    if raw == "":
        return CLEAR
    if option == RAW:
        return Entry(STRING, raw)
    return parse_user_entered(raw)


def parse_user_entered(text: str) -> Entry:
    if text.startswith("'"):
        return Entry(STRING, text[1:]) if len(text) > 1 else CLEAR
    if text.startswith("=") and len(text) > 1:
        return Entry(FORMULA, text)
    stripped = text.strip()
    if stripped.upper() in (TRUE_TEXT, FALSE_TEXT):
        return Entry(BOOL, stripped.upper() == TRUE_TEXT)
    return _parse_number(stripped) or _parse_date(stripped) or Entry(STRING, text)


def _parse_number(text: str) -> Entry | None:
    m = _NUMBER_RE.match(text)
    if not m or not (m["int"] or m["frac"]):
        return None
    digits = (m["int"] or "0").replace(",", "") + "." + (m["frac"] or "0") + (m["exp"] or "")
    value = float(digits) * (-1 if m["sign"] == "-" else 1)
    if m["pct"]:
        pattern = PERCENT_DECIMAL_PATTERN if m["frac"] else PERCENT_PATTERN
        return Entry(NUMBER, json_number(value / 100), _format(PERCENT_FORMAT, pattern))
    if m["cur"]:
        return Entry(NUMBER, json_number(value), _format(CURRENCY_FORMAT, CURRENCY_PATTERN))
    if m["exp"]:
        return Entry(NUMBER, json_number(value), _format(SCIENTIFIC_FORMAT, SCIENTIFIC_PATTERN))
    if "," in m["int"]:
        pattern = GROUPED_DECIMAL_PATTERN if m["frac"] else GROUPED_PATTERN
        return Entry(NUMBER, json_number(value), _format(NUMBER_FORMAT, pattern))
    return Entry(NUMBER, json_number(value))


def _parse_date(text: str) -> Entry | None:
    try:
        m = _ISO_DATE_RE.match(text)
        if m:
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return _date_entry(day, m.groups()[3:], ISO_DATE_PATTERN, ISO_DATE_TIME_PATTERN)
        m = _US_DATE_RE.match(text)
        if m:
            day = date(int(m[3]), int(m[1]), int(m[2]))
            return _date_entry(day, m.groups()[3:], US_DATE_PATTERN, US_DATE_TIME_PATTERN)
        m = _TIME_RE.match(text)
        if m:
            return _time_entry(m)
    except ValueError:
        return None
    return None


def _date_entry(
    day: date, clock: tuple[str | None, ...], date_pattern: str, date_time_pattern: str
) -> Entry:
    hour, minute, second = clock
    if hour is None:
        serial = to_serial(datetime.combine(day, time()))
        return Entry(NUMBER, serial, _format(DATE_FORMAT, date_pattern))
    moment = datetime.combine(day, time(int(hour), int(minute or 0), int(second or 0)))
    return Entry(NUMBER, to_serial(moment), _format(DATE_TIME_FORMAT, date_time_pattern))


def _time_entry(m: re.Match[str]) -> Entry:
    hour, minute = int(m[1]), int(m[2])
    second = int(m[3] or 0)
    meridiem = (m[4] or "").upper()
    if meridiem:
        if not 1 <= hour <= NOON:
            raise ValueError(m[0])
        hour = hour % NOON + (NOON if meridiem == "PM" else 0)
    time(hour, minute, second)  # raises ValueError for an impossible time such as 25:00
    serial = json_number((hour * 3600 + minute * 60 + second) / SECONDS_PER_DAY)
    pattern = TIME_SECONDS_PATTERN if m[3] else TIME_PATTERN
    return Entry(NUMBER, serial, _format(TIME_FORMAT, pattern))


def _format(kind: str, pattern: str) -> dict[str, str]:
    return {"type": kind, "pattern": pattern}


# -- rendering ---------------------------------------------------------------------------------


def format_number(value: float | int, number_format: dict[str, Any] | None) -> str:
    """A number as Sheets displays it under a cell's numberFormat (a common subset of the
    pattern language: digit placeholders, grouping, decimals, percent, exponents, literal
    text, up to three sections, and date/time tokens)."""
    kind = (number_format or {}).get("type")
    pattern = (number_format or {}).get("pattern") or DEFAULT_PATTERNS.get(kind or "", "")
    if kind in DATE_TYPES:
        return format_datetime(from_serial(value), pattern)
    if not pattern or kind == TEXT_FORMAT:
        return format_general(value)
    return _format_numeric(value, pattern)


def format_general(value: float | int) -> str:
    """Sheets' automatic format: integers plainly, fractions to ten places, huge or tiny
    numbers in scientific notation."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= GENERAL_MAX or magnitude < GENERAL_MIN:
        return f"{value:.2E}"
    if float(value).is_integer():
        return str(int(value))
    text = _fixed(value, GENERAL_DECIMALS).rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _fixed(value: float | int, decimals: int, grouping: bool = False) -> str:
    """Fixed-point text rounded half away from zero, as Sheets rounds (not half to even)."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}" if grouping else f"{rounded:.{decimals}f}"


def _split_sections(pattern: str) -> list[str]:
    sections, current, quoted = [], [], False
    for ch in pattern:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            sections.append("".join(current))
            current = []
        else:
            current.append(ch)
    sections.append("".join(current))
    return sections


_NUMERIC_TOKEN_RE = re.compile(r'"[^"]*"|\\.|[0#?,.]+(?:[eE][+-][0#]+)?|.')


def _format_numeric(value: float | int, pattern: str) -> str:
    sections = _split_sections(pattern)
    section, sign = sections[0], "-" if value < 0 else ""
    if value < 0 and len(sections) > 1:
        section, sign = sections[1], ""
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    magnitude = abs(value)
    if "%" in re.sub(r'"[^"]*"', "", section):
        magnitude *= 100
    out: list[str] = []
    core_done = False
    for token in _NUMERIC_TOKEN_RE.findall(section):
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif token[0] in "0#?,." and not core_done and any(c in token for c in "0#?"):
            out.append(_format_core(magnitude, token))
            core_done = True
        elif token not in ("_", "*"):
            out.append(token)
    text = "".join(out)
    return sign + text if core_done else text


def _format_core(magnitude: float, core: str) -> str:
    mantissa, _, exponent = core.upper().partition("E")
    int_part, _, frac_part = mantissa.partition(".")
    decimals = sum(frac_part.count(c) for c in "0#?")
    min_decimals = frac_part.count("0")
    if exponent:
        text = f"{magnitude:.{decimals}E}"
        digits, _, power = text.partition("E")
        width = sum(exponent.count(c) for c in "0#") if exponent else 2
        sign = "-" if power.startswith("-") else "+"
        return f"{digits}E{sign}{power.lstrip('+-').rjust(width, '0')}"
    text = _fixed(magnitude, decimals, grouping="," in int_part)
    if decimals > min_decimals:
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0").ljust(min_decimals, "0")
        text = whole + ("." + frac if frac else "")
    if int_part.count("0") == 0 and text.startswith("0") and text != "0":
        text = text[1:]
    return text


_DATE_TOKEN_RE = re.compile(r'"[^"]*"|\\.|am/pm|a/p|y+|m+|d+|h+|s+|\.0+|.', re.IGNORECASE)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ABBREVIATION = 3
FULL_YEAR_TOKEN = 3


def format_datetime(moment: datetime, pattern: str) -> str:
    """A moment rendered with a Sheets date/time pattern (``yyyy-mm-dd``, ``M/d/yyyy H:mm:ss``,
    ``h:mm am/pm``, ``dddd, mmmm d``...). ``m`` means minutes next to ``h`` or ``s``."""
    tokens = _DATE_TOKEN_RE.findall(pattern)
    twelve_hour = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        lower = token.lower()
        head = lower[0]
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif lower in ("am/pm", "a/p"):
            pm = moment.hour >= NOON
            out.append(("PM" if pm else "AM") if lower == "am/pm" else ("p" if pm else "a"))
        elif head == "y":
            out.append(
                str(moment.year) if len(token) >= FULL_YEAR_TOKEN else f"{moment.year % 100:02d}"
            )
        elif head == "m":
            out.append(_month_or_minute(moment, tokens, i, len(token)))
        elif head == "d":
            out.append(_day(moment, len(token)))
        elif head == "h":
            hour = (moment.hour % NOON or NOON) if twelve_hour else moment.hour
            out.append(f"{hour:0{len(token)}d}" if len(token) > 1 else str(hour))
        elif head == "s":
            out.append(f"{moment.second:02d}" if len(token) > 1 else str(moment.second))
        elif token.startswith(".0"):
            out.append("." + "0" * (len(token) - 1))
        else:
            out.append(token)
    return "".join(out)


def _month_or_minute(moment: datetime, tokens: list[str], i: int, width: int) -> str:
    if width <= 2 and _is_minute(tokens, i):
        return f"{moment.minute:02d}" if width == 2 else str(moment.minute)
    if width == 1:
        return str(moment.month)
    if width == 2:
        return f"{moment.month:02d}"
    name = MONTHS[moment.month - 1]
    return name[:ABBREVIATION] if width == ABBREVIATION else name


def _is_minute(tokens: list[str], i: int) -> bool:
    def neighbour(step: int) -> str:
        j = i + step
        while 0 <= j < len(tokens):
            head = tokens[j][0].lower()
            if head in "ymdhs":
                return head
            j += step
        return ""

    return neighbour(-1) == "h" or neighbour(1) == "s"


def _day(moment: datetime, width: int) -> str:
    if width == 1:
        return str(moment.day)
    if width == 2:
        return f"{moment.day:02d}"
    name = WEEKDAYS[moment.weekday()]
    return name[:ABBREVIATION] if width == ABBREVIATION else name


# -- cells -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell's user-set state. Frozen, and its dicts are never changed in place."""

    kind: str | None = None  # STRING | NUMBER | BOOL | FORMULA, None when there is no value
    value: Any = None
    fmt: dict[str, Any] | None = None  # userEnteredFormat
    note: str | None = None
    validation: dict[str, Any] | None = None  # dataValidation rule

    def is_empty(self) -> bool:
        return self.kind is None and not self.fmt and not self.note and not self.validation

    @property
    def number_format(self) -> dict[str, Any] | None:
        return (self.fmt or {}).get("numberFormat")

    def with_entry(self, entry: Entry) -> Cell:
        fmt = self.fmt
        if entry.number_format:
            fmt = {**(fmt or {}), "numberFormat": dict(entry.number_format)}
        return replace(self, kind=entry.kind, value=entry.value, fmt=fmt)

    def render(self, option: str = FORMATTED_VALUE, date_option: str = SERIAL_NUMBER) -> Any:
        """The value the values API returns for this cell; ``""`` when there is none."""
        if self.kind is None:
            return ""
        if self.kind == FORMULA:
            return self.value if option == FORMULA_RENDER else ""
        if self.kind == STRING:
            return self.value
        if option == FORMATTED_VALUE:
            return self.formatted()
        is_date = (self.number_format or {}).get("type") in DATE_TYPES
        if self.kind == NUMBER and date_option == FORMATTED_STRING and is_date:
            return self.formatted()
        return self.value

    def formatted(self) -> str:
        if self.kind == BOOL:
            return TRUE_TEXT if self.value else FALSE_TEXT
        if self.kind == NUMBER:
            return format_number(self.value, self.number_format)
        if self.kind == STRING:
            return self.value
        return ""

    def user_json(self) -> dict[str, Any]:
        """The user-settable part of the API's CellData."""
        out: dict[str, Any] = {}
        if self.kind is not None:
            out["userEnteredValue"] = {self.kind: self.value}
        if self.fmt:
            out["userEnteredFormat"] = copy.deepcopy(self.fmt)
        if self.note:
            out["note"] = self.note
        if self.validation:
            out["dataValidation"] = copy.deepcopy(self.validation)
        return out

    def to_json(self) -> dict[str, Any]:
        """The API's CellData: the user-set part plus what Sheets derives from it (the
        read-only ``hyperlink`` of a cell-level link: CellData.hyperlink, sheets.v4)."""
        out = self.user_json()
        if self.kind is not None and self.kind != FORMULA:
            out["effectiveValue"] = {self.kind: self.value}
            out["formattedValue"] = self.formatted()
        link = ((self.fmt or {}).get("textFormat") or {}).get("link") or {}
        if link.get("uri"):
            out["hyperlink"] = link["uri"]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cell:
        """A cell from the user-settable fields of a CellData."""
        kind, value = None, None
        entered = data.get("userEnteredValue") or {}
        for key in (STRING, NUMBER, BOOL, FORMULA):
            if entered.get(key) is not None:
                kind, value = key, entered[key]
                break
        if kind == NUMBER:
            value = json_number(value)
        return cls(
            kind=kind,
            value=value,
            fmt=copy.deepcopy(data.get("userEnteredFormat")) or None,
            note=data.get("note") or None,
            validation=copy.deepcopy(data.get("dataValidation")) or None,
        )


EMPTY = Cell()

_CELLS: Interner[Cell] = Interner()


def intern_cell(cell: Cell) -> Cell:
    """The shared cell equal to ``cell`` (cells are frozen, so equal cells may be one object).
    A template's formatted column is a thousand equal cells in every copy of it."""
    try:
        key = (
            cell.kind,
            type(cell.value).__name__,
            cell.value,
            json_key(cell.fmt),
            cell.note,
            json_key(cell.validation),
        )
        hash(key)
    except (TypeError, ValueError):  # not JSON-like: keep it as it is
        return cell
    return _CELLS.get(key, cell)


class _Row:
    """One row's cells by column (None where there is no cell, never at the end). Interned
    and never changed: a change makes a new row."""

    __slots__ = ("__weakref__", "cells")

    def __init__(self, cells: tuple[Cell | None, ...]) -> None:
        self.cells = cells


_ROWS: Interner[_Row] = Interner()


def _row_of(cells: tuple[Cell | None, ...]) -> _Row | None:
    """The shared row holding ``cells`` (interned cells: their ids are the key, valid while
    the row, which holds them, lives)."""
    if not cells:
        return None
    key = tuple(0 if c is None else id(c) for c in cells)
    return _ROWS.get_or_make(key, lambda: _Row(cells))


class CellGrid(MutableMapping[tuple[int, int], Cell]):
    """A sheet's cells keyed ``(row, col)``, stored compactly: a list of interned rows of
    interned cells, so a sheet costs a pointer per row and equal rows across every sheet are
    held once. :meth:`copy` copies only that list.

    It behaves as a dict of the non-empty cells: storing an empty cell deletes the key (every
    writer goes through :meth:`Sheet.put`, which does the same).
    """

    __slots__ = ("_count", "_rows")

    def __init__(
        self, items: Mapping[tuple[int, int], Cell] | Iterable[tuple[tuple[int, int], Cell]] = ()
    ) -> None:
        self._rows: list[_Row | None] = []
        self._count = 0
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, cell in pairs:
            self[key] = cell

    def _cell(self, row: int, col: int) -> Cell | None:
        if 0 <= row < len(self._rows):
            found = self._rows[row]
            if found is not None and 0 <= col < len(found.cells):
                return found.cells[col]
        return None

    def __getitem__(self, key: tuple[int, int]) -> Cell:
        cell = self._cell(*key)
        if cell is None:
            raise KeyError(key)
        return cell

    def get(self, key: tuple[int, int], default: Any = None) -> Any:
        cell = self._cell(*key)
        return default if cell is None else cell

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 2 and self._cell(*key) is not None

    def __setitem__(self, key: tuple[int, int], cell: Cell) -> None:
        row, col = key
        if row < 0 or col < 0:
            raise KeyError(key)
        if cell.is_empty():
            self.pop(key, None)
            return
        if row >= len(self._rows):
            self._rows.extend([None] * (row + 1 - len(self._rows)))
        current = self._rows[row]
        cells = list(current.cells) if current is not None else []
        if col >= len(cells):
            cells.extend([None] * (col + 1 - len(cells)))
        if cells[col] is None:
            self._count += 1
        cells[col] = intern_cell(cell)
        self._rows[row] = _row_of(tuple(cells))

    def __delitem__(self, key: tuple[int, int]) -> None:
        row, col = key
        if self._cell(row, col) is None:
            raise KeyError(key)
        current = self._rows[row]
        assert current is not None
        cells = list(current.cells)
        cells[col] = None
        while cells and cells[-1] is None:
            cells.pop()
        self._count -= 1
        self._rows[row] = _row_of(tuple(cells))
        while self._rows and self._rows[-1] is None:
            self._rows.pop()

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for key, _ in self.items():  # type: ignore[misc]
            yield key

    def items(self) -> Iterator[tuple[tuple[int, int], Cell]]:  # type: ignore[override]
        """``((row, col), cell)`` in row-major order."""
        for r, found in enumerate(self._rows):
            if found is not None:
                for c, cell in enumerate(found.cells):
                    if cell is not None:
                        yield (r, c), cell

    def __len__(self) -> int:
        return self._count

    def copy(self) -> CellGrid:
        twin = CellGrid()
        twin._rows = list(self._rows)
        twin._count = self._count
        return twin

    def __repr__(self) -> str:
        return f"CellGrid({dict(self.items())!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its cells, so a loaded store interns them again."""
        return (CellGrid, (list(self.items()),))


def is_checkbox(rule: dict[str, Any] | None) -> bool:
    return bool(rule) and (rule or {}).get("condition", {}).get("type") == BOOLEAN_CONDITION


# -- who is writing, and what is protected -----------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """The user making a change, and the file's owner (who may always edit)."""

    email: str
    owner: str | None = None

    @property
    def is_owner(self) -> bool:
        return self.owner is not None and self.owner.lower() == self.email.lower()

    def same_domain_as_owner(self) -> bool:
        if not self.owner:
            return False
        return self.email.lower().rpartition("@")[2] == self.owner.lower().rpartition("@")[2]


@dataclass
class ProtectedRange:
    """A protected range. It covers ``range``, or the named range ``named_range_id``."""

    id: int
    range: GridRange | None = None
    named_range_id: str | None = None
    description: str = ""
    warning_only: bool = False
    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    domain_users_can_edit: bool = False
    unprotected: list[GridRange] = field(default_factory=list)

    @property
    def is_sheet(self) -> bool:
        """A protected sheet: a range with only a sheet id, unbounded on every side."""
        grid = self.range
        return grid is not None and (
            grid.start_row,
            grid.end_row,
            grid.start_col,
            grid.end_col,
        ) == (None, None, None, None)

    def can_edit(self, actor: Actor) -> bool:
        """A warning-only range warns but lets anyone write; otherwise the owner, the listed
        users and (when allowed) the owner's domain may edit. Groups are not expanded."""
        if self.warning_only or actor.is_owner:
            return True
        if actor.email.lower() in {u.lower() for u in self.users}:
            return True
        return self.domain_users_can_edit and actor.same_domain_as_owner()

    def copy(self) -> ProtectedRange:
        return replace(
            self,
            users=list(self.users),
            groups=list(self.groups),
            unprotected=list(self.unprotected),
        )


@dataclass(frozen=True)
class NamedRange:
    id: str
    name: str
    range: GridRange

    def to_json(self) -> dict[str, Any]:
        return {"namedRangeId": self.id, "name": self.name, "range": self.range.to_json()}


@dataclass
class Chart:
    """An embedded chart: its spec is kept as the client sent it. ``sheet_id`` is the sheet
    that shows it (an overlay's anchor sheet, or the chart's own OBJECT sheet)."""

    id: int
    sheet_id: int
    spec: dict[str, Any]
    position: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "chartId": self.id,
            "spec": copy.deepcopy(self.spec),
            "position": copy.deepcopy(self.position),
        }


@dataclass(frozen=True)
class WriteResult:
    """What a values write changed: the data's rectangle and the counts Sheets reports."""

    range: GridRange
    rows: int = 0
    columns: int = 0
    cells: int = 0


# -- sheets ------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One tab. ``props`` is the API's SheetProperties minus ``index`` (that is its place in
    the spreadsheet's list)."""

    props: dict[str, Any]
    cells: CellGrid = field(default_factory=CellGrid)
    merges: list[GridRange] = field(default_factory=list)
    # ConditionalFormatRule JSON, in order (a rule's index is its place here)
    rules: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None  # BasicFilter JSON
    # DimensionProperties set by updateDimensionProperties, by column index
    columns: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.cells, CellGrid):  # a plain dict of cells
            self.cells = CellGrid(self.cells)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Sheets pickled before :class:`CellGrid` hold a dict of cells."""
        self.__dict__.update(state)
        self.__post_init__()

    @classmethod
    def blank(
        cls,
        sheet_id: int,
        title: str,
        rows: int = DEFAULT_ROWS,
        cols: int = DEFAULT_COLUMNS,
        sheet_type: str = GRID,
    ) -> Sheet:
        props: dict[str, Any] = {"sheetId": sheet_id, "title": title, "sheetType": sheet_type}
        if sheet_type == GRID:
            props["gridProperties"] = {"rowCount": rows, "columnCount": cols}
        return cls(props)

    @property
    def id(self) -> int:
        return int(self.props.get("sheetId", 0))

    @property
    def title(self) -> str:
        return str(self.props["title"])

    @property
    def is_grid(self) -> bool:
        return self.props.get("sheetType", GRID) == GRID

    @property
    def hidden(self) -> bool:
        return bool(self.props.get("hidden"))

    @property
    def rows(self) -> int:
        return int(self.props.get("gridProperties", {}).get("rowCount", 0))

    @property
    def cols(self) -> int:
        return int(self.props.get("gridProperties", {}).get("columnCount", 0))

    def set_size(self, rows: int, cols: int) -> None:
        grid = dict(self.props.get("gridProperties", {}))
        grid["rowCount"], grid["columnCount"] = rows, cols
        self.props["gridProperties"] = grid

    def copy(self) -> Sheet:
        return Sheet(
            copy.deepcopy(self.props),
            self.cells.copy(),
            list(self.merges),
            copy.deepcopy(self.rules),
            copy.deepcopy(self.basic_filter),
            copy.deepcopy(self.columns),
        )

    def clone(self, sheet_id: int, title: str) -> Sheet:
        """A copy of this sheet's cells and merges under a new id and title."""
        props = copy.deepcopy(self.props)
        props["sheetId"], props["title"] = sheet_id, title
        props.pop("hidden", None)
        merges = [replace(m, sheet_id=sheet_id) for m in self.merges]
        return Sheet(props, self.cells.copy(), merges)

    def get(self, row: int, col: int) -> Cell:
        return self.cells.get((row, col), EMPTY)

    def put(self, row: int, col: int, cell: Cell) -> None:
        if cell.is_empty():
            self.cells.pop((row, col), None)
        else:
            self.cells[(row, col)] = cell

    def change_cells(
        self, positions: Iterable[tuple[int, int]], change: Callable[[Cell], Cell]
    ) -> None:
        """Replace each cell at ``positions`` by ``change(cell)``, computed once per distinct
        cell: a formatted column is one interned cell repeated, so a request over a thousand
        rows costs one ``change``. ``change`` must depend only on the cell it is given."""
        # id(old) -> (old, new); holding old keeps its id from being reused meanwhile
        done: dict[int, tuple[Cell, Cell]] = {}
        for r, c in positions:
            old = self.get(r, c)
            hit = done.get(id(old))
            if hit is None:
                hit = done[id(old)] = (old, change(old))
            self.put(r, c, hit[1])

    def whole(self) -> GridRange:
        return GridRange(self.id, 0, self.rows, 0, self.cols)

    def value_extent(self) -> tuple[int, int]:
        """One past the last row and column holding a value (0, 0 when there is none)."""
        rows = cols = 0
        for (row, col), cell in self.cells.items():
            if cell.kind is not None:
                rows, cols = max(rows, row + 1), max(cols, col + 1)
        return rows, cols

    def check_start_in_grid(self, grid: GridRange) -> GridRange:
        """A request range clipped to the grid. A range that starts at or past the grid's last
        row or column is refused the way Sheets refuses it; one that ends past it is cut."""
        if grid.row_start >= self.rows or grid.col_start >= self.cols:
            raise grid_limit_error(self.title, grid, self.rows, self.cols)
        return grid.clamp(self.rows, self.cols)


# -- the spreadsheet ---------------------------------------------------------------------------


@dataclass
class Spreadsheet:
    """The content of one Google Sheets file (its title is the Drive file's name)."""

    sheets: list[Sheet] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_PROPERTIES))
    named_ranges: list[NamedRange] = field(default_factory=list)
    protected_ranges: list[ProtectedRange] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def new(cls) -> Spreadsheet:
        """What Sheets creates: one 1000 x 26 sheet "Sheet1" with sheetId 0."""
        return cls(sheets=[Sheet.blank(0, DEFAULT_SHEET_TITLE)])

    def copy(self) -> Spreadsheet:
        """An independent copy, protections, validation and charts included."""
        return Spreadsheet(
            sheets=[s.copy() for s in self.sheets],
            properties=copy.deepcopy(self.properties),
            named_ranges=list(self.named_ranges),
            protected_ranges=[p.copy() for p in self.protected_ranges],
            charts=[
                replace(c, spec=copy.deepcopy(c.spec), position=copy.deepcopy(c.position))
                for c in self.charts
            ],
        )

    # -- finding sheets ----------------------------------------------------------------------

    def sheet(self, sheet_id: int) -> Sheet:
        for s in self.sheets:
            if s.id == sheet_id:
                return s
        raise SheetError(f"No grid with id: {sheet_id}")

    def has_sheet(self, sheet_id: int) -> bool:
        return any(s.id == sheet_id for s in self.sheets)

    def sheet_titled(self, title: str) -> Sheet | None:
        """Titles are unique regardless of case, and looked up that way."""
        folded = title.casefold()
        for s in self.sheets:
            if s.title.casefold() == folded:
                return s
        return None

    def index_of(self, sheet: Sheet) -> int:
        return next(i for i, s in enumerate(self.sheets) if s is sheet)

    def first_visible(self) -> Sheet:
        return next((s for s in self.sheets if not s.hidden), self.sheets[0])

    def new_sheet_id(self) -> int:
        while True:
            candidate = new_id()
            if not self.has_sheet(candidate):
                return candidate

    def next_sheet_title(self) -> str:
        n = len(self.sheets) + 1
        while self.sheet_titled(f"{SHEET_TITLE_PREFIX}{n}"):
            n += 1
        return f"{SHEET_TITLE_PREFIX}{n}"

    # -- A1 ----------------------------------------------------------------------------------

    def resolve(self, text: str) -> tuple[Sheet, GridRange]:
        """The sheet and grid range that A1 text names. A bare word is a named range first,
        then a sheet title; a range without a sheet is on the first visible sheet."""
        try:
            ref = a1.parse(text)
        except a1.A1Error as exc:
            raise SheetError(str(exc)) from None
        if ref.word is not None:
            named = self.named_range(ref.word)
            if named is not None:
                return self.sheet(named.range.sheet_id), named.range
            sheet = self.sheet_titled(ref.word)
            if sheet is None:
                raise SheetError(f"Unable to parse range: {text}")
            return sheet, GridRange(sheet.id)
        if ref.sheet is None:
            sheet = self.first_visible()
        else:
            found = self.sheet_titled(ref.sheet)
            if found is None:
                raise SheetError(f"Unable to parse range: {text}")
            sheet = found
        if not sheet.is_grid:
            raise SheetError(f"Unable to parse range: {text}")
        return sheet, ref.on_sheet(sheet.id) if ref.cells else GridRange(sheet.id)

    def echo(self, sheet: Sheet, grid: GridRange) -> str:
        """The normalised A1 Sheets echoes for a range: open ends clamped to the grid."""
        return a1.format_range(sheet.title, grid.clamp(sheet.rows, sheet.cols))

    def named_range(self, name: str) -> NamedRange | None:
        folded = name.casefold()
        return next((n for n in self.named_ranges if n.name.casefold() == folded), None)

    # -- reading -----------------------------------------------------------------------------

    def read(
        self,
        sheet: Sheet,
        grid: GridRange,
        option: str = FORMATTED_VALUE,
        date_option: str = SERIAL_NUMBER,
        major: str = ROWS,
    ) -> list[list[Any]]:
        """Rendered values of a range, trimmed as Sheets trims them: no trailing empty cells
        in a row (or column, for COLUMNS) and no trailing empty rows."""
        bounded = self.readable(sheet, grid)
        used_rows, used_cols = sheet.value_extent()
        end_row = min(bounded.end_row or 0, used_rows)
        end_col = min(bounded.end_col or 0, used_cols)
        rows = [
            [sheet.get(r, c).render(option, date_option) for c in range(bounded.col_start, end_col)]
            for r in range(bounded.row_start, end_row)
        ]
        if major == COLUMNS:
            rows = [list(col) for col in zip(*rows, strict=True)] if rows else []
        return _trim(rows)

    def readable(self, sheet: Sheet, grid: GridRange) -> GridRange:
        """The range clamped to the grid; refused when it starts past the grid."""
        return sheet.check_start_in_grid(grid)

    # -- writing values ----------------------------------------------------------------------

    def write(
        self,
        actor: Actor,
        sheet: Sheet,
        target: GridRange,
        values: list[list[Any]],
        option: str,
        major: str = ROWS,
    ) -> WriteResult:
        """Write values from the target's top-left cell. ``None`` leaves a cell alone and
        ``""`` clears it. A single-cell target is only an anchor; a larger one bounds the data.
        Refused, with nothing written, when the data leaves a bounding target, leaves the grid,
        or touches a cell the actor may not edit."""
        rows = _oriented(values, major)
        height = len(rows)
        width = max((len(r) for r in rows), default=0)
        top, left = target.row_start, target.col_start
        if not height or not width:
            return WriteResult(target.clamp(sheet.rows, sheet.cols))
        if not _is_single_cell(target):
            self._check_fits_target(sheet, target, height, width)
        if top + height > sheet.rows or left + width > sheet.cols:
            raise grid_limit_error(sheet.title, target, sheet.rows, sheet.cols)
        entries: dict[tuple[int, int], Entry] = {}
        for i, row in enumerate(rows):
            for j, raw in enumerate(row):
                if raw is None:
                    continue
                try:
                    entries[(top + i, left + j)] = parse_input(raw, option)
                except SheetError:
                    raise SheetError(f"Invalid values[{i}][{j}]: {raw!r}") from None
        self.check_cells(actor, sheet.id, entries)
        for (r, c), entry in entries.items():
            sheet.put(r, c, sheet.get(r, c).with_entry(entry))
        extent = GridRange(sheet.id, top, top + height, left, left + width)
        return WriteResult(
            extent,
            rows=len({r for r, _ in entries}),
            columns=len({c for _, c in entries}),
            cells=len(entries),
        )

    def _check_fits_target(self, sheet: Sheet, target: GridRange, height: int, width: int) -> None:
        where = f"{a1.always_quoted(sheet.title)}!{a1.format_cells(target)}"
        if target.end_row is not None and target.row_start + height > target.end_row:
            raise SheetError(
                f"Requested writing within range [{where}], but tried writing to "
                f"row [{target.end_row + 1}]"
            )
        if target.end_col is not None and target.col_start + width > target.end_col:
            raise SheetError(
                f"Requested writing within range [{where}], but tried writing to "
                f"column [{a1.column_letters(target.end_col)}]"
            )

    def clear(self, actor: Actor, sheet: Sheet, grid: GridRange) -> GridRange:
        """Clear the values (not formats) of a range; returns the range cleared."""
        bounded = self.readable(sheet, grid)
        self.check_range(actor, bounded)
        for r, c in [k for k, cell in sheet.cells.items() if cell.kind is not None]:
            if bounded.contains(r, c):
                sheet.put(r, c, sheet.get(r, c).with_entry(CLEAR))
        return bounded

    def append(
        self,
        actor: Actor,
        sheet: Sheet,
        target: GridRange,
        values: list[list[Any]],
        option: str,
        major: str = ROWS,
        insert_rows: bool = False,
    ) -> tuple[GridRange | None, WriteResult]:
        """values.append: find the table the target range points at, write after its last
        row (from its first column), growing the grid as needed. Returns the table found
        (None when the range holds no data) and what was written."""
        rows = _oriented(values, major)
        bounded = self.readable(sheet, target)
        table = self._find_table(sheet, bounded, single_cell=_is_single_cell(target))
        if table is None:
            top, left = bounded.row_start, bounded.col_start
        else:
            top, left = table.end_row or 0, table.col_start
        height = len(rows)
        width = max((len(r) for r in rows), default=0)
        if insert_rows and height:
            self.insert_dimension(sheet, ROWS, top, top + height)
        self.grow(sheet, top + height, left + width)
        written = self.write(actor, sheet, GridRange(sheet.id, top, None, left, None), rows, option)
        return table, written

    def _find_table(self, sheet: Sheet, bounded: GridRange, single_cell: bool) -> GridRange | None:
        """The first block of consecutive non-empty rows at or below the range's top, looking
        at the range's columns (all columns to its right for a single-cell range)."""
        first_col = bounded.col_start
        last_col = sheet.cols if single_cell else (bounded.end_col or sheet.cols)
        used: dict[int, list[int]] = {}
        for (r, c), cell in sheet.cells.items():
            if cell.kind is not None and first_col <= c < last_col and r >= bounded.row_start:
                used.setdefault(r, []).append(c)
        last_row = sheet.rows if single_cell else (bounded.end_row or sheet.rows)
        candidates = [r for r in used if r < last_row]
        if not candidates:
            return None
        start = end = min(candidates)
        while end + 1 in used:
            end += 1
        cols = [c for r in range(start, end + 1) for c in used[r]]
        return GridRange(sheet.id, start, end + 1, min(cols), max(cols) + 1)

    # -- protection --------------------------------------------------------------------------

    def protected_grid(self, protected: ProtectedRange) -> GridRange | None:
        if protected.named_range_id is not None:
            named = next((n for n in self.named_ranges if n.id == protected.named_range_id), None)
            return named.range if named else None
        return protected.range

    def _blocking(self, actor: Actor, sheet_id: int) -> list[tuple[GridRange, list[GridRange]]]:
        blocking = []
        for protected in self.protected_ranges:
            grid = self.protected_grid(protected)
            if grid is not None and grid.sheet_id == sheet_id and not protected.can_edit(actor):
                blocking.append((grid, protected.unprotected))
        return blocking

    def check_cells(self, actor: Actor, sheet_id: int, cells: Iterable[tuple[int, int]]) -> None:
        """Refuse with :class:`ProtectedError` if any cell is protected from ``actor``."""
        blocking = self._blocking(actor, sheet_id)
        if not blocking:
            return
        for r, c in cells:
            for grid, holes in blocking:
                if grid.contains(r, c) and not any(h.contains(r, c) for h in holes):
                    raise ProtectedError()

    def check_range(self, actor: Actor, bounded: GridRange) -> None:
        """Refuse if any cell of a bounded range is protected from ``actor``."""
        for grid, holes in self._blocking(actor, bounded.sheet_id):
            overlap = grid.intersection(bounded)
            if overlap is None:
                continue
            if not holes:
                raise ProtectedError()
            for r, c in overlap.cells():
                if not any(h.contains(r, c) for h in holes):
                    raise ProtectedError()

    def check_sheet(self, actor: Actor, sheet: Sheet) -> None:
        """Refuse if the sheet holds any protection ``actor`` may not edit (e.g. to delete it)."""
        for protected in self.protected_ranges:
            grid = self.protected_grid(protected)
            if grid is not None and grid.sheet_id == sheet.id and not protected.can_edit(actor):
                raise ProtectedError()

    def check_structure(self, actor: Actor, sheet: Sheet) -> None:
        """Refuse a structural change to ``sheet`` (rows or columns inserted, deleted, moved or
        appended; its properties changed) if it is a protected sheet ``actor`` may not edit.
        Unprotected exceptions inside a protected sheet let their cells be written, not the
        sheet's structure be changed."""
        for protected in self.protected_ranges:
            if (
                protected.is_sheet
                and protected.range is not None
                and protected.range.sheet_id == sheet.id
                and not protected.can_edit(actor)
            ):
                raise ProtectedError()

    def check_insert(self, actor: Actor, sheet: Sheet, dimension: str, start: int) -> None:
        """Refuse inserting at ``start`` on a protected sheet, or strictly inside a protected
        range bounded on that dimension (it would grow the range with cells the actor wrote
        nothing into, but Sheets keeps protected areas to their editors; the exact Google
        behaviour for this case is unconfirmed, so the sandbox takes the strict side).
        Inserting at or before a protected range's first row or column is allowed and moves
        the range with its cells, as Sheets does (issue 8: a column inserted before a
        protected column moves the protection)."""
        self.check_structure(actor, sheet)
        for grid, _ in self._blocking(actor, sheet.id):
            low, high = (
                (grid.start_row, grid.end_row)
                if dimension == ROWS
                else (grid.start_col, grid.end_col)
            )
            if low is not None and high is not None and low < start < high:
                raise ProtectedError()

    def protections_on(self, sheet_id: int) -> list[ProtectedRange]:
        return [
            p
            for p in self.protected_ranges
            if (g := self.protected_grid(p)) is not None and g.sheet_id == sheet_id
        ]

    def protected_range(self, protected_id: int) -> ProtectedRange:
        for p in self.protected_ranges:
            if p.id == protected_id:
                return p
        raise SheetError(f"No protected range with id: {protected_id}")

    def new_protected_id(self) -> int:
        taken = {p.id for p in self.protected_ranges}
        return _fresh(taken)

    def new_chart_id(self) -> int:
        return _fresh({c.id for c in self.charts})

    # -- cells by grid ranges ----------------------------------------------------------------

    def merge(self, actor: Actor, sheet: Sheet, bounded: GridRange, merge_type: str) -> None:
        """Merge cells; merges the new ones overlap are replaced, and every merged cell but the
        top-left loses its value, as in Sheets."""
        self.check_range(actor, bounded)
        if merge_type == MERGE_ROWS:
            parts = [
                GridRange(sheet.id, r, r + 1, bounded.col_start, bounded.end_col)
                for r in range(bounded.row_start, bounded.end_row or 0)
            ]
        elif merge_type == MERGE_COLUMNS:
            parts = [
                GridRange(sheet.id, bounded.row_start, bounded.end_row, c, c + 1)
                for c in range(bounded.col_start, bounded.end_col or 0)
            ]
        else:
            parts = [bounded]
        sheet.merges = [m for m in sheet.merges if not m.intersects(bounded)]
        for part in parts:
            sheet.merges.append(part)
            for r, c in part.cells():
                if (r, c) != (part.row_start, part.col_start):
                    sheet.put(r, c, sheet.get(r, c).with_entry(CLEAR))

    def unmerge(self, actor: Actor, sheet: Sheet, bounded: GridRange) -> None:
        self.check_range(actor, bounded)
        sheet.merges = [m for m in sheet.merges if not m.intersects(bounded)]

    # -- dimensions --------------------------------------------------------------------------

    def grow(self, sheet: Sheet, rows: int, cols: int) -> None:
        """Make the grid at least ``rows`` x ``cols`` (values.append grows it this way)."""
        if rows > sheet.rows or cols > sheet.cols:
            sheet.set_size(max(rows, sheet.rows), max(cols, sheet.cols))
            self.check_cell_limit()

    def append_dimension(
        self, sheet: Sheet, dimension: str, length: int, actor: Actor | None = None
    ) -> None:
        """Add rows or columns at the end (refused on a protected sheet the actor may not
        edit; values.append grows the grid through :meth:`grow` instead)."""
        if actor is not None:
            self.check_structure(actor, sheet)
        if dimension == ROWS:
            sheet.set_size(sheet.rows + length, sheet.cols)
        else:
            sheet.set_size(sheet.rows, sheet.cols + length)
        self.check_cell_limit()

    def insert_dimension(
        self, sheet: Sheet, dimension: str, start: int, end: int, actor: Actor | None = None
    ) -> None:
        """Insert empty rows or columns before index ``start``; everything after shifts, and
        ranges that span the insertion point grow. With an ``actor``, protections are checked
        (:meth:`check_insert`)."""
        if actor is not None:
            self.check_insert(actor, sheet, dimension, start)
        count = end - start
        axis = 0 if dimension == ROWS else 1
        limit = sheet.rows if dimension == ROWS else sheet.cols
        if start > limit:
            raise SheetError(
                f"Insert position {start} is beyond the grid's {limit} {dimension.lower()}."
            )
        moved: dict[tuple[int, int], Cell] = {}
        for key, cell in sheet.cells.items():
            pos = list(key)
            if pos[axis] >= start:
                pos[axis] += count
            moved[(pos[0], pos[1])] = cell
        sheet.cells = CellGrid(moved)
        if dimension == ROWS:
            sheet.set_size(sheet.rows + count, sheet.cols)
        else:
            sheet.set_size(sheet.rows, sheet.cols + count)
        self._shift_ranges(sheet.id, lambda g: _shift_inserted(g, dimension, start, count))
        _shift_formats(sheet, dimension, lambda g: _shift_inserted(g, dimension, start, count))
        if dimension == COLUMNS:
            sheet.columns = {(i + count if i >= start else i): p for i, p in sheet.columns.items()}
        self.check_cell_limit()

    def delete_dimension(
        self, actor: Actor, sheet: Sheet, dimension: str, start: int, end: int
    ) -> None:
        """Delete rows or columns [start, end); ranges inside them go, ranges after shift."""
        limit = sheet.rows if dimension == ROWS else sheet.cols
        band = (
            GridRange(sheet.id, start, end, 0, sheet.cols)
            if dimension == ROWS
            else GridRange(sheet.id, 0, sheet.rows, start, end)
        )
        if end > limit:
            raise grid_limit_error(sheet.title, band, sheet.rows, sheet.cols)
        if start == 0 and end >= limit:
            raise SheetError(f"You can't delete all the {dimension.lower()} on the sheet.")
        frozen_key = "frozenRowCount" if dimension == ROWS else "frozenColumnCount"
        frozen = int((sheet.props.get("gridProperties") or {}).get(frozen_key) or 0)
        if frozen and limit - (end - start) <= frozen:
            # Sheets keeps at least one unfrozen row (column): "Sorry, it is not possible to
            # delete all non-frozen rows." (its 400, quoted in many public reports)
            raise SheetError(
                f"Sorry, it is not possible to delete all non-frozen {dimension.lower()}."
            )
        self.check_structure(actor, sheet)
        self.check_range(actor, band)
        axis = 0 if dimension == ROWS else 1
        count = end - start
        kept: dict[tuple[int, int], Cell] = {}
        for key, cell in sheet.cells.items():
            pos = list(key)
            if start <= pos[axis] < end:
                continue
            if pos[axis] >= end:
                pos[axis] -= count
            kept[(pos[0], pos[1])] = cell
        sheet.cells = CellGrid(kept)
        if dimension == ROWS:
            sheet.set_size(sheet.rows - count, sheet.cols)
        else:
            sheet.set_size(sheet.rows, sheet.cols - count)
        self._shift_ranges(sheet.id, lambda g: _shift_deleted(g, dimension, start, end))
        _shift_formats(sheet, dimension, lambda g: _shift_deleted(g, dimension, start, end))
        if dimension == COLUMNS:
            sheet.columns = {
                (i - count if i >= end else i): p
                for i, p in sheet.columns.items()
                if not start <= i < end
            }

    def move_dimension(
        self, actor: Actor, sheet: Sheet, dimension: str, start: int, end: int, destination: int
    ) -> None:
        """Move rows or columns [start, end) to ``destination``, an index counted before the
        move (MoveDimensionRequest.destinationIndex, Sheets v4 discovery). Everything between
        shifts to make room; ranges move with their cells. Refused on a protected sheet, and
        when a protected range the actor may not edit lies in the span whose cells move."""
        limit = sheet.rows if dimension == ROWS else sheet.cols
        if end > limit or destination > limit or destination < 0:
            raise SheetError(
                f"Invalid move: {dimension.lower()} [{start}, {end}) to {destination} on a "
                f"sheet with {limit} {dimension.lower()}."
            )
        self.check_structure(actor, sheet)
        if start <= destination <= end:
            return  # the rows or columns are already there
        low, high = min(start, destination), max(end, destination)
        span = (
            GridRange(sheet.id, low, high, 0, sheet.cols)
            if dimension == ROWS
            else GridRange(sheet.id, 0, sheet.rows, low, high)
        )
        self.check_range(actor, span)
        where = _mover(start, end, destination)
        axis = 0 if dimension == ROWS else 1
        moved: dict[tuple[int, int], Cell] = {}
        for key, cell in sheet.cells.items():
            pos = list(key)
            pos[axis] = where(pos[axis])
            moved[(pos[0], pos[1])] = cell
        sheet.cells = CellGrid(moved)
        self._shift_ranges(sheet.id, lambda g: _shift_moved(g, dimension, where))

    def resize(self, actor: Actor, sheet: Sheet, rows: int, cols: int) -> None:
        """Set the grid size; shrinking deletes the rows or columns cut off."""
        if rows < 1 or cols < 1:
            raise SheetError("A sheet must have at least one row and one column.")
        if rows < sheet.rows:
            self.delete_dimension(actor, sheet, ROWS, rows, sheet.rows)
        if cols < sheet.cols:
            self.delete_dimension(actor, sheet, COLUMNS, cols, sheet.cols)
        self.grow(sheet, rows, cols)

    def _shift_ranges(self, sheet_id: int, shift: Callable[[GridRange], GridRange | None]) -> None:
        """Apply ``shift`` (GridRange -> GridRange | None) to every range on the sheet;
        a range shifted to None has been deleted with its cells."""
        sheet = self.sheet(sheet_id)
        sheet.merges = [m for m in (shift(g) for g in sheet.merges) if m is not None]
        named: list[NamedRange] = []
        for n in self.named_ranges:
            if n.range.sheet_id != sheet_id:
                named.append(n)
            elif (moved := shift(n.range)) is not None:
                named.append(replace(n, range=moved))
        self.named_ranges = named
        live_named = {n.id for n in named}
        kept: list[ProtectedRange] = []
        for p in self.protected_ranges:
            if p.named_range_id is not None:
                if p.named_range_id in live_named:
                    kept.append(p)
                continue
            if p.range is None or p.range.sheet_id != sheet_id:
                kept.append(p)
                continue
            moved = shift(p.range)
            if moved is not None:
                p.range = moved
                p.unprotected = [u for u in (shift(g) for g in p.unprotected) if u is not None]
                kept.append(p)
        self.protected_ranges = kept

    def total_cells(self) -> int:
        return sum(s.rows * s.cols for s in self.sheets)

    def check_cell_limit(self) -> None:
        if self.total_cells() > CELL_LIMIT:
            raise SheetError(CELL_LIMIT_MESSAGE)

    # -- sheets ------------------------------------------------------------------------------

    def add_sheet(self, sheet: Sheet, index: int | None = None) -> Sheet:
        if self.sheet_titled(sheet.title):
            raise SheetError(
                f'A sheet with the name "{sheet.title}" already exists. Please enter another name.'
            )
        if self.has_sheet(sheet.id):
            raise SheetError(f"Sheet with id {sheet.id} already exists.")
        position = len(self.sheets) if index is None else max(0, min(index, len(self.sheets)))
        self.sheets.insert(position, sheet)
        self.check_cell_limit()
        return sheet

    def delete_sheet(self, actor: Actor, sheet_id: int) -> None:
        sheet = self.sheet(sheet_id)
        if len(self.sheets) == 1:
            raise SheetError("You can't remove all the sheets in a document.")
        self.check_sheet(actor, sheet)
        self.sheets.remove(sheet)
        gone = {n.id for n in self.named_ranges if n.range.sheet_id == sheet_id}
        self.named_ranges = [n for n in self.named_ranges if n.id not in gone]
        self.protected_ranges = [
            p
            for p in self.protected_ranges
            if not (p.named_range_id in gone or (p.range and p.range.sheet_id == sheet_id))
        ]
        self.charts = [c for c in self.charts if c.sheet_id != sheet_id]

    def move_sheet(self, sheet: Sheet, index: int) -> None:
        """Move a sheet so it ends up at ``index`` counted before the move, as Sheets does."""
        current = self.index_of(sheet)
        self.sheets.pop(current)
        target = index - 1 if index > current else index
        self.sheets.insert(max(0, min(target, len(self.sheets))), sheet)

    def rename_sheet(self, sheet: Sheet, title: str) -> None:
        other = self.sheet_titled(title)
        if other is not None and other is not sheet:
            raise SheetError(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )
        sheet.props["title"] = title

    # -- formats and files -------------------------------------------------------------------

    @classmethod
    def from_xlsx(cls, data: bytes) -> Spreadsheet:
        """A spreadsheet converted from .xlsx: values, formulas (as text), booleans, dates (as
        serials with a date format), number formats (empty cells too), bold, wrapping, merges,
        hidden sheets, column widths, frozen panes, and list validations (TRUE/FALSE becomes
        checkboxes, other lists dropdowns). Sheets get fresh random ids."""
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data))
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ConversionError(f"The file is not a valid .xlsx workbook: {exc}") from None
        book = cls()
        for ws in workbook.worksheets:
            sheet = Sheet.blank(
                book.new_sheet_id(),
                ws.title,
                max(ws.max_row, DEFAULT_ROWS),
                max(ws.max_column, DEFAULT_COLUMNS),
            )
            if ws.sheet_state != "visible":
                sheet.props["hidden"] = True
            _read_xlsx_frozen(ws, sheet)
            _read_xlsx_widths(ws, sheet)
            _read_xlsx_cells(ws, sheet)
            book.sheets.append(sheet)
        if not book.sheets:
            book.sheets.append(Sheet.blank(book.new_sheet_id(), DEFAULT_SHEET_TITLE))
        return book

    def to_xlsx(self) -> bytes:
        """The spreadsheet as .xlsx: sheet order and names (shortened to Excel's rules if
        needed), values, formulas, booleans, number formats, bold, merges, hidden sheets and
        checkboxes (as TRUE/FALSE list validations), and the layout Sheets' own .xlsx export
        keeps: column widths, frozen rows and columns, cell links, background colours, the
        basic filter and TEXT_EQ / CUSTOM_FORMULA conditional formats. Protections and charts
        are not exported."""
        workbook = openpyxl.Workbook()
        workbook.remove(workbook.active)
        used: set[str] = set()
        for sheet in self.sheets:
            if not sheet.is_grid:
                continue
            ws = workbook.create_sheet(_xlsx_title(sheet.title, used))
            if sheet.hidden:
                ws.sheet_state = XLSX_HIDDEN
            _write_xlsx_cells(sheet, ws)
            _write_xlsx_layout(sheet, ws)
        if not workbook.worksheets:
            workbook.create_sheet(DEFAULT_SHEET_TITLE)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    @classmethod
    def from_csv(cls, data: bytes, title: str = DEFAULT_SHEET_TITLE) -> Spreadsheet:
        """A spreadsheet converted from CSV: one sheet named ``title`` (Drive uses the file's
        name), each field parsed as if typed (numbers, dates, booleans)."""
        text = data.decode("utf-8-sig", errors="replace")
        rows = list(csv.reader(io.StringIO(text)))
        height = len(rows)
        width = max((len(r) for r in rows), default=0)
        book = cls()
        sheet = Sheet.blank(
            book.new_sheet_id(), title, max(height, DEFAULT_ROWS), max(width, DEFAULT_COLUMNS)
        )
        for r, row in enumerate(rows):
            for c, raw in enumerate(row):
                if raw != "":
                    sheet.put(r, c, EMPTY.with_entry(parse_user_entered(raw)))
        book.sheets.append(sheet)
        return book

    def to_csv(self, sheet_id: int | None = None) -> bytes:
        """One sheet (the first grid sheet by default) as CSV of its displayed values."""
        if sheet_id is None:
            sheet = next(s for s in self.sheets if s.is_grid)
        else:
            sheet = self.sheet(sheet_id)
        out = io.StringIO()
        writer = csv.writer(out)
        for row in self.read(sheet, sheet.whole()):
            writer.writerow(row)
        return out.getvalue().encode("utf-8")


# -- helpers -----------------------------------------------------------------------------------


def _fresh(taken: set[int]) -> int:
    while True:
        candidate = new_id()
        if candidate not in taken:
            return candidate


def _oriented(values: list[list[Any]], major: str) -> list[list[Any]]:
    """Rows of values; COLUMNS input is transposed (short columns padded with ``None``)."""
    if major != COLUMNS:
        return values
    height = max((len(col) for col in values), default=0)
    return [[col[i] if i < len(col) else None for col in values] for i in range(height)]


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    trimmed = []
    for row in rows:
        end = len(row)
        while end and row[end - 1] == "":
            end -= 1
        trimmed.append(row[:end])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def _is_single_cell(grid: GridRange) -> bool:
    return grid.end_row == grid.row_start + 1 and grid.end_col == grid.col_start + 1


def _shift_index(index: int | None, start: int, count: int) -> int | None:
    if index is None or index < start:
        return index
    return index + count


def _shift_inserted(grid: GridRange, dimension: str, start: int, count: int) -> GridRange:
    """A range after inserting ``count`` rows/columns at ``start``: one starting at or after
    the point moves; one spanning it grows."""
    if dimension == ROWS:
        new_start = _shift_index(grid.start_row, start, count)
        end = grid.end_row
        new_end = end + count if end is not None and end > start else end
        return replace(grid, start_row=new_start, end_row=new_end)
    new_start = _shift_index(grid.start_col, start, count)
    end = grid.end_col
    new_end = end + count if end is not None and end > start else end
    return replace(grid, start_col=new_start, end_col=new_end)


def _mover(start: int, end: int, destination: int) -> Callable[[int], int]:
    """Where each index goes when [start, end) moves to ``destination`` (counted before the
    move): the block lands just before what was at ``destination``; the indices it passes
    over shift the other way."""
    count = end - start

    def where(index: int) -> int:
        if start <= index < end:
            base = destination - count if destination > end else destination
            return base + index - start
        if destination > end and end <= index < destination:
            return index - count
        if destination < start and destination <= index < start:
            return index + count
        return index

    return where


def _shift_moved(grid: GridRange, dimension: str, where: Callable[[int], int]) -> GridRange:
    """A range after a move: bounded on the moved dimension, it follows its cells while they
    stay together; a range the move splits apart keeps its place (unconfirmed for Sheets)."""
    low, high = (
        (grid.start_row, grid.end_row) if dimension == ROWS else (grid.start_col, grid.end_col)
    )
    if low is None or high is None or high <= low:
        return grid
    placed = sorted(where(i) for i in range(low, high))
    if placed[-1] - placed[0] != len(placed) - 1:
        return grid
    if dimension == ROWS:
        return replace(grid, start_row=placed[0], end_row=placed[-1] + 1)
    return replace(grid, start_col=placed[0], end_col=placed[-1] + 1)


def _after_delete(index: int | None, start: int, end: int) -> int | None:
    if index is None or index <= start:
        return index
    if index >= end:
        return index - (end - start)
    return start


def _shift_deleted(grid: GridRange, dimension: str, start: int, end: int) -> GridRange | None:
    if dimension == ROWS:
        moved = replace(
            grid,
            start_row=_after_delete(grid.start_row, start, end),
            end_row=_after_delete(grid.end_row, start, end),
        )
    else:
        moved = replace(
            grid,
            start_col=_after_delete(grid.start_col, start, end),
            end_col=_after_delete(grid.end_col, start, end),
        )
    return None if moved.is_empty() else moved


def _shift_formats(
    sheet: Sheet, dimension: str, shift: Callable[[GridRange], GridRange | None]
) -> None:
    """Move conditional-format ranges and the basic filter's range with inserted or deleted
    rows and columns, as Sheets moves them. A rule whose every range was deleted goes, and so
    does a filter whose range was [unconfirmed: what Google keeps of them is not documented]."""
    rules = []
    for rule in sheet.rules:
        ranges = [shift(GridRange.from_json(r)) for r in rule.get("ranges") or []]
        kept = [r.to_json() for r in ranges if r is not None]
        if kept:
            rules.append({**rule, "ranges": kept})
    sheet.rules = rules
    if sheet.basic_filter is not None:
        moved = shift(GridRange.from_json(sheet.basic_filter.get("range") or {}))
        sheet.basic_filter = (
            None if moved is None else {**sheet.basic_filter, "range": moved.to_json()}
        )


def _xlsx_title(title: str, used: set[str]) -> str:
    """A title Excel accepts (31 characters, none of ``[]:*?/\\``), unique in the workbook."""
    base = XLSX_TITLE_FORBIDDEN.sub("_", title)[:XLSX_TITLE_MAX] or DEFAULT_SHEET_TITLE
    candidate, n = base, 1
    while candidate.casefold() in used:
        n += 1
        suffix = f" ({n})"
        candidate = base[: XLSX_TITLE_MAX - len(suffix)] + suffix
    used.add(candidate.casefold())
    return candidate


def _read_xlsx_cells(ws: Any, sheet: Sheet) -> None:
    for row in ws.iter_rows():
        for xc in row:
            cell = _cell_from_xlsx(xc)
            if cell is not None:
                sheet.put(xc.row - 1, xc.column - 1, cell)
    for merged in ws.merged_cells.ranges:
        sheet.merges.append(
            GridRange(
                sheet.id, merged.min_row - 1, merged.max_row, merged.min_col - 1, merged.max_col
            )
        )
    for dv in ws.data_validations.dataValidation:
        rule = _xlsx_validation(dv)
        if rule is None:
            continue
        for cells in dv.sqref.ranges:
            sheet.change_cells(
                (
                    (r, c)
                    for r in range(cells.min_row - 1, cells.max_row)
                    for c in range(cells.min_col - 1, cells.max_col)
                ),
                lambda cell, rule=rule: replace(cell, validation=copy.deepcopy(rule)),
            )


def _xlsx_validation(dv: Any) -> dict[str, Any] | None:
    """A list validation as Sheets holds it: TRUE,FALSE becomes a checkbox, any other literal
    list a dropdown of its items. Lists drawn from a range, and other kinds, are not modelled."""
    formula = dv.formula1 or ""
    if dv.type != XLSX_LIST or not (formula.startswith('"') and formula.endswith('"')):
        return None
    if formula.upper() == XLSX_CHECKBOX_FORMULA:
        return {"condition": {"type": BOOLEAN_CONDITION}}
    items = [item.strip() for item in formula[1:-1].split(",")]
    return {
        "condition": {
            "type": ONE_OF_LIST,
            "values": [{"userEnteredValue": item} for item in items],
        },
        "strict": bool(dv.showErrorMessage),
        "showCustomUi": True,
    }


def _read_xlsx_frozen(ws: Any, sheet: Sheet) -> None:
    """Frozen panes (``freeze_panes = "B3"``) as the grid's frozen row and column counts."""
    if not ws.freeze_panes:
        return
    top_left = ws[ws.freeze_panes]
    grid = dict(sheet.props.get("gridProperties", {}))
    if top_left.row > 1:
        grid["frozenRowCount"] = top_left.row - 1
    if top_left.column > 1:
        grid["frozenColumnCount"] = top_left.column - 1
    sheet.props["gridProperties"] = grid


def _read_xlsx_widths(ws: Any, sheet: Sheet) -> None:
    """Column widths (in characters) as pixel sizes, the inverse of the export's conversion
    (:func:`_write_xlsx_layout`); a ``<col>`` range sets every column it spans."""
    for dimension in ws.column_dimensions.values():
        if not dimension.customWidth or not dimension.width:
            continue
        pixels = round(dimension.width * XLSX_PIXELS_PER_CHARACTER + XLSX_PIXEL_PADDING)
        first, last = dimension.min or 1, dimension.max or dimension.min or 1
        for index in range(first - 1, min(last, sheet.cols)):
            sheet.columns[index] = {**sheet.columns.get(index, {}), "pixelSize": pixels}


def _xlsx_pattern_kind(pattern: str) -> str:
    """The NumberFormat type of an Excel format code: a date when it has day or year codes
    outside quoted text (``yyyy-mm-dd``), a date-time when it also has hours."""
    bare = _XLSX_QUOTED.sub("", pattern)
    if _XLSX_DATE_CODES.search(bare):
        return DATE_TIME_FORMAT if "h" in bare.lower() else DATE_FORMAT
    return PERCENT_FORMAT if "%" in bare else NUMBER_FORMAT


def _cell_from_xlsx(xc: Any) -> Cell | None:
    value = xc.value
    fmt: dict[str, Any] = {}
    if xc.font is not None and xc.font.b:
        fmt["textFormat"] = {"bold": True}
    if xc.alignment is not None and xc.alignment.wrap_text:
        fmt["wrapStrategy"] = WRAP_STRATEGY
    pattern = xc.number_format if xc.number_format != XLSX_GENERAL else None
    if value is None:
        if pattern:
            fmt["numberFormat"] = _format(_xlsx_pattern_kind(pattern), pattern)
        return Cell(fmt=fmt) if fmt else None
    if xc.data_type == "f":
        return Cell(FORMULA, str(getattr(value, "text", value)), fmt or None)
    kind, stored, number_format = _xlsx_value(value, pattern)
    if number_format:
        fmt["numberFormat"] = number_format
    return Cell(kind, stored, fmt or None)


def _xlsx_value(value: Any, pattern: str | None) -> tuple[str, Any, dict[str, str] | None]:
    if isinstance(value, bool):
        return BOOL, value, None
    if isinstance(value, datetime):
        kind = DATE_FORMAT if value.time() == time() else DATE_TIME_FORMAT
        return NUMBER, to_serial(value), _format(kind, pattern or DEFAULT_PATTERNS[kind])
    if isinstance(value, date):
        return (
            NUMBER,
            to_serial(datetime.combine(value, time())),
            _format(DATE_FORMAT, pattern or ISO_DATE_PATTERN),
        )
    if isinstance(value, time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return (
            NUMBER,
            json_number(seconds / SECONDS_PER_DAY),
            _format(TIME_FORMAT, pattern or TIME_SECONDS_PATTERN),
        )
    if isinstance(value, timedelta):
        return NUMBER, json_number(value.total_seconds() / SECONDS_PER_DAY), None
    if isinstance(value, (int, float)):
        if pattern is None:
            return NUMBER, json_number(value), None
        kind = PERCENT_FORMAT if "%" in pattern else NUMBER_FORMAT
        return NUMBER, json_number(value), _format(kind, pattern)
    return STRING, str(value), None


def _write_xlsx_cells(sheet: Sheet, ws: Any) -> None:
    checkboxes: list[str] = []
    for (r, c), cell in sorted(sheet.cells.items()):
        xc = ws.cell(row=r + 1, column=c + 1)
        if cell.kind == STRING:
            xc.value = cell.value
            xc.data_type = "s"  # text that starts with "=" must stay text
        elif cell.kind is not None:
            xc.value = cell.value
        pattern = (cell.number_format or {}).get("pattern")
        if pattern:
            xc.number_format = pattern
        if (cell.fmt or {}).get("textFormat", {}).get("bold"):
            xc.font = Font(bold=True)
        if is_checkbox(cell.validation):
            checkboxes.append(xc.coordinate)
    for merge in sheet.merges:
        bounded = merge.clamp(sheet.rows, sheet.cols)
        ws.merge_cells(
            start_row=bounded.row_start + 1,
            end_row=bounded.end_row,
            start_column=bounded.col_start + 1,
            end_column=bounded.end_col,
        )
    if checkboxes:
        validation = DataValidation(
            type=XLSX_LIST, formula1=XLSX_CHECKBOX_FORMULA, allow_blank=True
        )
        for coordinate in checkboxes:
            validation.add(coordinate)
        ws.add_data_validation(validation)


XLSX_PIXELS_PER_CHARACTER = 7  # an Excel column width is in characters of about 7 px
XLSX_PIXEL_PADDING = 5


def _write_xlsx_layout(sheet: Sheet, ws: Any) -> None:
    """What a Google sheet's look becomes in the exported .xlsx."""
    for index, props in sorted(sheet.columns.items()):
        if props.get("pixelSize") is not None:
            width = max(int(props["pixelSize"]) - XLSX_PIXEL_PADDING, 0) / XLSX_PIXELS_PER_CHARACTER
            ws.column_dimensions[get_column_letter(index + 1)].width = round(width, 2)
    grid = sheet.props.get("gridProperties") or {}
    rows, cols = int(grid.get("frozenRowCount") or 0), int(grid.get("frozenColumnCount") or 0)
    if rows or cols:
        ws.freeze_panes = f"{get_column_letter(cols + 1)}{rows + 1}"
    for (r, c), cell in sheet.cells.items():
        fmt = cell.fmt or {}
        link = ((fmt.get("textFormat") or {}).get("link") or {}).get("uri")
        if link:
            ws.cell(row=r + 1, column=c + 1).hyperlink = link
        if fmt.get("backgroundColor"):
            ws.cell(row=r + 1, column=c + 1).fill = _xlsx_fill(fmt["backgroundColor"])
    if sheet.basic_filter is not None:
        ws.auto_filter.ref = _xlsx_ref(sheet, sheet.basic_filter.get("range") or {})
    for rule in sheet.rules:
        exported = _xlsx_rule(rule.get("booleanRule") or {})
        if exported is not None:
            for grid_json in rule.get("ranges") or []:
                ws.conditional_formatting.add(_xlsx_ref(sheet, grid_json), exported)


def _xlsx_ref(sheet: Sheet, grid_json: dict[str, Any]) -> str:
    grid = GridRange.from_json(grid_json).clamp(sheet.rows, sheet.cols)
    return (
        f"{get_column_letter(grid.col_start + 1)}{grid.row_start + 1}:"
        f"{get_column_letter(grid.end_col or sheet.cols)}{grid.end_row or sheet.rows}"
    )


def _xlsx_fill(colour: dict[str, Any]) -> PatternFill:
    argb = "FF" + "".join(
        f"{round(float(colour.get(k) or 0) * 255):02X}" for k in ("red", "green", "blue")
    )
    return PatternFill(start_color=argb, end_color=argb, fill_type="solid")


def _xlsx_rule(rule: dict[str, Any]) -> Any:
    """A TEXT_EQ rule as "cell equals", a CUSTOM_FORMULA as a formula rule, with the
    background colour; other condition types are not exported."""
    condition = rule.get("condition") or {}
    values = [v.get("userEnteredValue", "") for v in condition.get("values") or []]
    fill = _xlsx_fill(
        (rule.get("format") or {}).get("backgroundColor") or {"red": 1, "green": 1, "blue": 1}
    )
    if condition.get("type") == "TEXT_EQ" and values:
        return CellIsRule(
            operator="equal", formula=['"' + values[0].replace('"', '""') + '"'], fill=fill
        )
    if condition.get("type") == "CUSTOM_FORMULA" and values:
        return FormulaRule(formula=[values[0].lstrip("=+")], fill=fill)
    return None
