"""Career-conversation rules: fiscal years, quarters, and each person's status for a year.

Pure functions over dates and cells already read from a sheet: no I/O and no clock. ``today`` is
always a parameter, so a nightly rollup, a test and a "what was the status on ..." query agree.

The rules come from the handbooks (DESIGN.md §2): a formal career conversation at least once per
fiscal year, ideally once in Q2 and once in Q4; new hires are not due before their first
:data:`NEW_HIRE_GRACE_DAYS` days; only what the person acknowledged counts. Which conversation
counts as what is decided by :func:`what_counts` alone, and said in words by
:data:`COUNTING_RULE`, the sentence the IGP, the growth sheet, the README and ``status`` quote.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from fractions import Fraction
from typing import TypeVar

NEW_HIRE_GRACE_DAYS = 90
CONVERSATION_COLUMNS = ("Date", "With whom", "Type", "Notes", "Acknowledged", "Escalation")
CONVERSATIONS_TAB = "Conversations"

MONTHS_PER_YEAR = 12
MONTHS_PER_QUARTER = 3
QUARTERS = range(1, 5)
FIRST_DATA_ROW = 2  # row 1 of the Conversations tab is the header
SHEETS_EPOCH = date(1899, 12, 30)  # day 0 of Google Sheets and Excel date serials

HEADCOUNT_KEY = "headcount"
PCT_ACKNOWLEDGED_KEY = "pct_acknowledged"

_DATE, _WITH_WHOM, _TYPE, _NOTES, _ACKNOWLEDGED, _ESCALATION = range(len(CONVERSATION_COLUMNS))
_FLAG_COLUMNS = (_ACKNOWLEDGED, _ESCALATION)
_T = TypeVar("_T")
_FY_LABEL = re.compile(r"FY\s*-?\s*(\d{4})", re.IGNORECASE)


class ConversationType(str, Enum):
    CAREER = "career"
    SKIP_LEVEL = "skip-level"
    MANAGER = "manager 1:1"


# The rule in words. Quoted verbatim by the IGP and the growth sheet's About tab (written by
# templates/make_defaults.py), the README and `careerdocs status`; tests hold them to it. Change
# it only together with :func:`what_counts`.
COUNTING_RULE = (
    "What counts: an acknowledged conversation of type career or manager 1:1 (a 1:1 with the "
    "manager about the person's career) is a career conversation; a skip-level conversation "
    "records the yearly skip-level meeting and does not count on its own."
)


class Status(str, Enum):
    NOT_YET_DUE = "not yet due"
    NOT_PROVISIONED = "not provisioned"
    DUE = "due"
    ACKNOWLEDGED = "acknowledged"
    ON_CADENCE = "on cadence"
    OVERDUE = "overdue"


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * MONTHS_PER_YEAR + first_of_month.month - 1 + months
    return date(index // MONTHS_PER_YEAR, index % MONTHS_PER_YEAR + 1, 1)


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * MONTHS_PER_YEAR + later.month - earlier.month


def _year_end(start: date) -> date:
    try:
        return _add_months(start, MONTHS_PER_YEAR) - timedelta(days=1)
    except ValueError:
        raise ValueError(f"the fiscal year starting {start} ends after {date.max}") from None


def _check_start_month(start_month: int) -> None:
    if isinstance(start_month, bool) or start_month not in range(1, MONTHS_PER_YEAR + 1):
        raise ValueError(f"fiscal year start month {start_month!r} is not a month number 1..12")


@dataclass(frozen=True, order=True)
class FiscalYear:
    """Twelve whole months from the first day of the configured start month.

    Construct with :func:`fiscal_year` or :func:`fiscal_year_from_label`; building one directly
    is checked, so a year that is not twelve whole months is refused rather than mis-quartered.
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start.day != 1 or self.end != _year_end(self.start):
            raise ValueError(
                f"a fiscal year runs from the 1st of a month for twelve months, "
                f"not {self.start} – {self.end}"
            )

    @property
    def label(self) -> str:
        """Named for the calendar year the fiscal year ends in: Feb 2026–Jan 2027 is FY2027."""
        return f"FY{self.end.year}"

    @property
    def start_month(self) -> int:
        return self.start.month

    def quarter(self, n: int) -> tuple[date, date]:
        """Inclusive first and last day of quarter ``n`` (1..4), each three whole months."""
        if isinstance(n, bool) or n not in QUARTERS:
            raise ValueError(f"quarter {n!r} is not one of 1, 2, 3, 4")
        first = _add_months(self.start, MONTHS_PER_QUARTER * (n - 1))
        return first, _add_months(first, MONTHS_PER_QUARTER) - timedelta(days=1)

    def quarter_of(self, d: date) -> int:
        if d not in self:
            raise ValueError(f"{d} is not in {self}")
        return _months_between(self.start, d) // MONTHS_PER_QUARTER + 1

    def __contains__(self, d: object) -> bool:
        if isinstance(d, datetime):
            d = d.date()
        return isinstance(d, date) and self.start <= d <= self.end

    def __str__(self) -> str:
        return f"{self.label} ({self.start.isoformat()} – {self.end.isoformat()})"


def fiscal_year(d: date, start_month: int) -> FiscalYear:
    """The fiscal year containing ``d`` when fiscal years start on the 1st of ``start_month``."""
    _check_start_month(start_month)
    start_year = d.year if d.month >= start_month else d.year - 1
    start = date(start_year, start_month, 1)
    return FiscalYear(start, _year_end(start))


def fiscal_year_from_label(label: str, start_month: int) -> FiscalYear:
    """Parse ``"FY2027"`` (case and a space or hyphen after FY are forgiven; two-digit years are
    refused as ambiguous)."""
    _check_start_month(start_month)
    match = _FY_LABEL.fullmatch(label.strip()) if isinstance(label, str) else None
    if match is None:
        raise ValueError(f"fiscal year label {label!r} is not like 'FY2027'")
    end_year = int(match.group(1))
    start_year = end_year if start_month == 1 else end_year - 1
    try:
        start = date(start_year, start_month, 1)
    except ValueError:
        raise ValueError(f"fiscal year label {label!r} is out of the supported range") from None
    return FiscalYear(start, _year_end(start))


# --- reading the Conversations tab -------------------------------------------------------------

_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTH_NUMBERS = {
    **{name: number for number, name in enumerate(_MONTH_NAMES, start=1)},
    **{name[:3]: number for number, name in enumerate(_MONTH_NAMES, start=1)},
    "sept": 9,
}
_ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_US_DATE = re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})")
_DAY_MONTH_YEAR = re.compile(r"(?P<d>\d{1,2})\s+(?P<name>[a-z]+)\.?,?\s+(?P<y>\d{4})")
_MONTH_DAY_YEAR = re.compile(r"(?P<name>[a-z]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})")
_NUMERIC_DATES = (_ISO_DATE, _US_DATE)
_NAMED_MONTH_DATES = (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR)

_TICKED = frozenset({"true", "yes", "y", "x", "✓", "✔", "1"})
_UNTICKED = frozenset({"false", "no", "n", "0", ""})

_TYPE_ALIASES = {
    "career": ConversationType.CAREER,
    "careerconversation": ConversationType.CAREER,
    "skiplevel": ConversationType.SKIP_LEVEL,
    "skiplevelmeeting": ConversationType.SKIP_LEVEL,
    "manager1:1": ConversationType.MANAGER,
    "1:1": ConversationType.MANAGER,
    "manager": ConversationType.MANAGER,
    "managermeeting": ConversationType.MANAGER,
    "manager1on1": ConversationType.MANAGER,
    "1on1": ConversationType.MANAGER,
}
_TYPE_NOISE = re.compile(r"[\s_-]+")
_TYPE_CHOICES = ", ".join(t.value for t in ConversationType)


@dataclass(frozen=True)
class Conversation:
    row: int  # 1-based sheet row number; the header is row 1, so data starts at 2
    date: date
    with_whom: str
    type: ConversationType
    notes: str
    acknowledged: bool
    escalation: bool


@dataclass(frozen=True)
class DataProblem:
    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


def _show(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _date_from_text(text: str) -> date | None:
    text = " ".join(text.lower().split())
    for pattern in _NUMERIC_DATES:
        if match := pattern.fullmatch(text):
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
    for pattern in _NAMED_MONTH_DATES:
        if (match := pattern.fullmatch(text)) and match["name"] in _MONTH_NUMBERS:
            return date(int(match["y"]), _MONTH_NUMBERS[match["name"]], int(match["d"]))
    return None


def _date_from_serial(serial: float) -> date:
    if not math.isfinite(serial):
        raise ValueError(serial)
    try:
        return SHEETS_EPOCH + timedelta(days=math.floor(serial))
    except OverflowError:
        raise ValueError(serial) from None


def parse_date(cell: object) -> date:
    """Read a date cell as any sheet backend returns it.

    Accepts ``date``/``datetime`` objects; Sheets/Excel serial numbers (days since 1899-12-30, a
    fraction being the time of day); and text as ISO ``2026-03-01``, US month-first
    ``3/1/2026`` (never day-first: 3/1 is March 1st), ``1 Mar 2026`` or ``Mar 1, 2026`` (English
    month names, full or abbreviated, independent of the process locale). Two-digit years are
    refused as ambiguous. Raises ``ValueError("<cell> is not a date")`` otherwise.
    """
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    try:
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            return _date_from_serial(cell)
        if isinstance(cell, str) and (parsed := _date_from_text(cell)) is not None:
            return parsed
    except ValueError:
        pass
    raise ValueError(f"{_show(cell)} is not a date")


def parse_tick(cell: object) -> bool:
    """Read a checkbox-like cell: TRUE/yes/y/x/✓/1 are ticked; FALSE/no/n/0/empty are not.

    Case is ignored. Numbers 1 and 0 are accepted because .xlsx files often store ticks that way.
    Anything else raises ``ValueError`` rather than guessing, since a tick decides who is counted.
    """
    if cell is None or isinstance(cell, bool):
        return bool(cell)
    if isinstance(cell, (int, float)) and cell in (0, 1):
        return cell == 1
    if isinstance(cell, str):
        word = cell.strip().lower()
        if word in _TICKED:
            return True
        if word in _UNTICKED:
            return False
    raise ValueError(f"{_show(cell)} is not a tick (use TRUE, yes or x; FALSE, no or leave empty)")


def parse_conversation_type(cell: object) -> ConversationType:
    """Read the Type column; case, spaces, hyphens and underscores are ignored, empty is career."""
    if _is_blank(cell):
        return ConversationType.CAREER
    if isinstance(cell, str):
        found = _TYPE_ALIASES.get(_TYPE_NOISE.sub("", cell.lower()))
        if found is not None:
            return found
    raise ValueError(f"{_show(cell)} is not one of {_TYPE_CHOICES}")


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _is_empty_row(cells: Sequence[object]) -> bool:
    """True for a row with nothing in the conversation columns but unticked boxes.

    A sheet with checkbox validation returns FALSE for every untouched row, so an untouched row
    is not a conversation with a missing date. Cells right of the managed columns are the
    person's own and do not make a row a conversation.
    """
    return all(
        _is_unticked(cell) if column in _FLAG_COLUMNS else _is_blank(cell)
        for column, cell in enumerate(cells)
    )


def _is_unticked(cell: object) -> bool:
    try:
        return not parse_tick(cell)
    except ValueError:
        return False


def _conversation_date(cell: object, fy: FiscalYear, today: date) -> date:
    if _is_blank(cell):
        raise ValueError("is missing")
    when = parse_date(cell)
    if when > today:
        raise ValueError(f"{when.isoformat()} is in the future")
    if when not in fy:
        raise ValueError(f"{when.isoformat()} is outside {fy}")
    return when


def _read_cell(
    cells: Sequence[object], column: int, parser: Callable[[object], _T], messages: list[str]
) -> _T | None:
    try:
        return parser(cells[column])
    except ValueError as error:
        messages.append(f"{CONVERSATION_COLUMNS[column].lower()} {error}")
        return None


def _parse_row(
    row: int, cells: Sequence[object], fy: FiscalYear, today: date
) -> tuple[Conversation | None, list[DataProblem]]:
    """Every problem of the row, or its conversation when there are none."""
    messages: list[str] = []
    when = _read_cell(cells, _DATE, lambda cell: _conversation_date(cell, fy, today), messages)
    kind = _read_cell(cells, _TYPE, parse_conversation_type, messages)
    acknowledged = _read_cell(cells, _ACKNOWLEDGED, parse_tick, messages)
    escalation = _read_cell(cells, _ESCALATION, parse_tick, messages)
    if when is None or kind is None or acknowledged is None or escalation is None:
        return None, [DataProblem(row, message) for message in messages]
    conversation = Conversation(
        row=row,
        date=when,
        with_whom=_text(cells[_WITH_WHOM]),
        type=kind,
        notes=_text(cells[_NOTES]),
        acknowledged=acknowledged,
        escalation=escalation,
    )
    return conversation, []


def parse_conversations(
    rows: Sequence[Sequence[object]], fy: FiscalYear, today: date
) -> tuple[list[Conversation], list[DataProblem]]:
    """Turn the data rows under the Conversations header into conversations of ``fy``.

    ``rows[0]`` is sheet row 2. Short rows are padded; cells beyond the managed columns are
    ignored. A row with an unreadable or missing date, a date after ``today`` or outside ``fy``,
    an unknown type or an unreadable tick is reported as a :class:`DataProblem` (every problem
    of the row) and is not returned as a conversation: nothing is dropped silently. Empty rows,
    including rows of unticked checkboxes, are skipped.
    """
    conversations: list[Conversation] = []
    problems: list[DataProblem] = []
    width = len(CONVERSATION_COLUMNS)
    for index, raw in enumerate(rows):
        cells = (list(raw) + [None] * width)[:width]
        if _is_empty_row(cells):
            continue
        conversation, row_problems = _parse_row(FIRST_DATA_ROW + index, cells, fy, today)
        problems.extend(row_problems)
        if conversation is not None:
            conversations.append(conversation)
    return conversations, problems


# --- status ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """What one conversation contributes to a person's year (see :func:`what_counts`)."""

    career: bool  # a career conversation: the status, the count, Q2/Q4, "Last conversation"
    skip_level: bool  # the yearly skip-level meeting was held
    manager_meeting: bool  # the yearly manager 1:1 was held


NOTHING = Counts(career=False, skip_level=False, manager_meeting=False)
_CAREER_TYPES = frozenset({ConversationType.CAREER, ConversationType.MANAGER})


def what_counts(conversation: Conversation) -> Counts:
    """The one rule for what a conversation counts as (:data:`COUNTING_RULE` in words).

    Only an acknowledged conversation counts at all. One of type career or manager 1:1 (a 1:1
    with the manager about the person's career, as the IGP's yearly process asks for) is a
    career conversation; a manager 1:1 also marks the yearly manager meeting as held. A
    skip-level conversation marks the skip-level meeting as held and is not a career
    conversation by itself. The fiscal year is not judged here: callers pass one year's rows.
    """
    if not conversation.acknowledged:
        return NOTHING
    kind = conversation.type
    return Counts(
        career=kind in _CAREER_TYPES,
        skip_level=kind is ConversationType.SKIP_LEVEL,
        manager_meeting=kind is ConversationType.MANAGER,
    )


@dataclass(frozen=True)
class PersonStatus:
    status: Status
    fiscal_year: FiscalYear
    acknowledged_count: int  # career conversations in the FY (what_counts(...).career)
    last_conversation: date | None  # the latest of those, so the two columns always agree
    q2: bool  # a career conversation in Q2
    q4: bool  # ... in Q4
    skip_level_held: bool  # what_counts(...).skip_level for some conversation in the FY
    manager_meeting_held: bool  # what_counts(...).manager_meeting for some conversation in the FY
    escalation: bool  # any acknowledged row in the FY with escalation ticked
    problems: tuple[DataProblem, ...]


def eligibility_date(start_date: date) -> date:
    """First day a person is due a career conversation: new hires get their first 90 days."""
    return start_date + timedelta(days=NEW_HIRE_GRACE_DAYS)


def _within(conversations: Iterable[Conversation], bounds: tuple[date, date]) -> bool:
    first, last = bounds
    return any(first <= c.date <= last for c in conversations)


def _status(
    *,
    start_date: date,
    provisioned: bool,
    career: Sequence[Conversation],
    on_cadence: bool,
    fy: FiscalYear,
    today: date,
    deadline: date | None,
) -> Status:
    if eligibility_date(start_date) > min(today, fy.end):
        return Status.NOT_YET_DUE
    if not provisioned:
        return Status.NOT_PROVISIONED
    if on_cadence:
        return Status.ON_CADENCE
    if career:
        return Status.ACKNOWLEDGED
    if today > fy.end or (deadline is not None and today > deadline):
        return Status.OVERDUE
    return Status.DUE


def person_status(
    *,
    start_date: date,
    conversations: Sequence[Conversation] | None,
    fy: FiscalYear,
    today: date,
    deadline: date | None = None,
    problems: Sequence[DataProblem] = (),
) -> PersonStatus:
    """One person's status and flags for ``fy``; ``conversations=None`` means not provisioned.

    Only conversations dated inside ``fy`` count, each as :func:`what_counts` says, for the
    status and every flag. Precedence: not yet due, not provisioned, on cadence, acknowledged,
    overdue, due — so a new hire is never reported due or overdue, even without documents.
    ``problems`` (usually from :func:`parse_conversations`) are carried through for the report,
    not judged here.
    """
    counted = [(c, what_counts(c)) for c in conversations or () if c.date in fy]
    career = [c for c, counts in counted if counts.career]
    q2 = _within(career, fy.quarter(2))
    q4 = _within(career, fy.quarter(4))
    status = _status(
        start_date=start_date,
        provisioned=conversations is not None,
        career=career,
        on_cadence=q2 and q4,
        fy=fy,
        today=today,
        deadline=deadline,
    )
    return PersonStatus(
        status=status,
        fiscal_year=fy,
        acknowledged_count=len(career),
        last_conversation=max((c.date for c in career), default=None),
        q2=q2,
        q4=q4,
        skip_level_held=any(counts.skip_level for _, counts in counted),
        manager_meeting_held=any(counts.manager_meeting for _, counts in counted),
        escalation=any(c.acknowledged and c.escalation for c, _ in counted),
        problems=tuple(problems),
    )


def _percent_one_decimal(part: int, whole: int) -> float:
    """Half-up rounding on the exact ratio, so 1/16 shows as 6.3 as a spreadsheet would."""
    if whole == 0:
        return 0.0
    tenths = Fraction(part * 1000, whole)
    return math.floor(tenths + Fraction(1, 2)) / 10


def summarize(statuses: Iterable[Status]) -> dict[str, int | float]:
    """Counts per status plus ``pct_acknowledged``: the share of people already due (headcount
    less ``not yet due``) whose status is ``acknowledged`` or ``on cadence``.

    Plain status strings are accepted too; an unknown one raises ``ValueError``.
    """
    counts = {status.value: 0 for status in Status}
    headcount = 0
    for status in statuses:
        counts[Status(status).value] += 1
        headcount += 1
    eligible = headcount - counts[Status.NOT_YET_DUE.value]
    met = counts[Status.ACKNOWLEDGED.value] + counts[Status.ON_CADENCE.value]
    return {
        HEADCOUNT_KEY: headcount,
        **counts,
        PCT_ACKNOWLEDGED_KEY: _percent_one_decimal(met, eligible),
    }
