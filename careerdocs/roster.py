"""The roster: who gets documents, who manages whom, and who their PBP is.

A roster arrives as a header and rows of text, from a CSV file (:func:`read_csv`) or a Google
Sheet (the workspace layer reads it); :func:`parse_roster` validates it in full and reports every
problem with its row number in one :class:`RosterError`, so a PBP fixes the file once rather than
once per run. Cell values are data, never formulas or templates: ``=SUM(1)`` stays that text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from careerdocs.cadence import parse_date
from careerdocs.errors import Problem, RosterError

if TYPE_CHECKING:
    from careerdocs.config import RosterSource
    from careerdocs.workspace.base import Workspace

HEADER_ROW = 1
FIRST_DATA_ROW = 2

EMAIL = "email"
NAME = "name"
MANAGER_EMAIL = "manager_email"
START_DATE = "start_date"
PBP_EMAIL = "pbp_email"
REQUIRED_COLUMNS = (EMAIL, NAME, MANAGER_EMAIL, START_DATE)
OPTIONAL_COLUMNS = ("title", "department", "division", "location", PBP_EMAIL)
COLUMN_ALIASES = {
    "manager": MANAGER_EMAIL,
    "start": START_DATE,
    "pbp": PBP_EMAIL,
    "full_name": NAME,
}
DATE_FORMATS_HINT = "use YYYY-MM-DD, or M/D/YYYY with the month first"

_KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_SEPARATORS = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class Person:
    """One roster row. Emails are lower-case; ``manager_email`` is None at the top of a chain.

    ``extra`` holds the roster's other columns under their normalised names (``Cost Center`` →
    ``cost_center``), for templates. ``row`` is the spreadsheet row the person came from
    (the header is row 1), 0 for a person built in code.
    """

    email: str
    name: str
    manager_email: str | None
    start_date: date
    title: str = ""
    department: str = ""
    division: str = ""
    location: str = ""
    pbp_email: str | None = None
    skip_level_email: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict, hash=False)
    row: int = 0

    @property
    def first_name(self) -> str:
        """The first word of the name, for greetings ("Hi Siobhán")."""
        words = self.name.split()
        return words[0] if words else ""


@dataclass(frozen=True)
class Roster:
    """The people of a validated roster, in file order; build it with :func:`parse_roster`."""

    people: tuple[Person, ...]

    @cached_property
    def _by_email(self) -> dict[str, Person]:
        return {person.email: person for person in self.people}

    def get(self, email: str | None) -> Person | None:
        """The person with this email (any case), or None."""
        return self._by_email.get(email.lower()) if email else None

    def __iter__(self) -> Iterator[Person]:
        return iter(self.people)

    def __len__(self) -> int:
        return len(self.people)

    def only(self, emails: Iterable[str]) -> Roster:
        """The people with these emails, in roster order; every unknown email is reported."""
        wanted = [email.strip().lower() for email in emails]
        unknown = [email for email in dict.fromkeys(wanted) if self.get(email) is None]
        if unknown:
            problems = [Problem(email, "is not in the roster") for email in unknown]
            raise RosterError(_count(len(unknown), "email") + " not in the roster", problems)
        return Roster(tuple(p for p in self.people if p.email in wanted))


def is_email(text: str) -> bool:
    """A deliberately loose check (``local@domain.tld``, no spaces): the directory decides what
    exists; this catches typos and columns in the wrong place."""
    return _EMAIL.fullmatch(text) is not None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def normalise_column(header: str) -> str:
    """``Manager Email`` and ``manager-email`` both become ``manager_email``; aliases such as
    ``Manager`` or ``PBP`` become the column they stand for."""
    name = _SEPARATORS.sub("_", header.strip().lower())
    return COLUMN_ALIASES.get(name, name)


def _row_label(row: int) -> str:
    return f"row {row}"


def _column_problems(columns: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, column in enumerate(columns, start=1):
        if column and column in seen:
            problems.append(
                Problem(
                    _row_label(HEADER_ROW),
                    f"column {column} appears twice (columns {seen[column]} and {number})",
                )
            )
        seen.setdefault(column, number)
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        problems.append(
            Problem(_row_label(HEADER_ROW), f"missing required columns: {', '.join(missing)}")
        )
    return problems


def _is_blank(cells: Sequence[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _emails_on_rows(
    columns: Sequence[str], rows: Sequence[Sequence[str]], first_row: int
) -> dict[str, list[int]]:
    """Every lower-cased email in the email column and the rows it is on, valid or not, so a
    manager whose own row has a problem is not also reported as unknown."""
    index = columns.index(EMAIL)
    seen: dict[str, list[int]] = {}
    for offset, cells in enumerate(rows):
        if index < len(cells) and cells[index].strip():
            seen.setdefault(cells[index].strip().lower(), []).append(first_row + offset)
    return seen


@dataclass
class _Check:
    """One validation pass over the rows: what is known so far and every problem found."""

    columns: Sequence[str]
    allowed_domains: frozenset[str]
    emails_on_rows: Mapping[str, list[int]]
    problems: list[tuple[int, str]] = field(default_factory=list)
    manager_links: dict[str, tuple[int, str]] = field(default_factory=dict)  # email → row, manager

    def report(self, row: int, message: str) -> None:
        self.problems.append((row, message))

    def cells(self, cells: Sequence[str], row: int) -> dict[str, str]:
        """Cell text by column name; text under no column name is reported, not dropped."""
        values = {column: "" for column in REQUIRED_COLUMNS}
        for number, cell in enumerate(cells, start=1):
            column = self.columns[number - 1] if number <= len(self.columns) else ""
            if column:
                values[column] = cell.strip()
            elif cell.strip():
                self.report(row, f"value {cell.strip()!r} in column {number}, which has no header")
        return values

    def email(self, row: int, column: str, value: str) -> str | None:
        """The lower-cased email, or None after reporting why it is not one; an address outside
        the allowed domains is reported but returned, as it still identifies someone."""
        if not is_email(value):
            self.report(row, f"{column} {value!r} is not an email address")
            return None
        email = value.lower()
        if email.rpartition("@")[2] not in self.allowed_domains:
            allowed = ", ".join(sorted(self.allowed_domains))
            self.report(row, f"{column} {email} is outside the allowed domains ({allowed})")
        return email

    def manager(self, row: int, email: str | None, value: str) -> str | None:
        manager = self.email(row, MANAGER_EMAIL, value) if value else None
        if manager is None:
            return None
        if manager == email:
            self.report(row, f"{email} is their own manager")
        elif manager not in self.emails_on_rows:
            self.report(row, f"manager {manager} is not in the roster")
        elif email is not None:
            self.manager_links.setdefault(email, (row, manager))
        return manager

    def start_date(self, row: int, text: str) -> date | None:
        if not text:
            self.report(row, f"{START_DATE} is empty")
            return None
        try:
            return parse_date(text)
        except ValueError:
            self.report(row, f"{START_DATE} {text!r} is not a date ({DATE_FORMATS_HINT})")
            return None

    def person(self, row: int, values: Mapping[str, str]) -> Person | None:
        """The person on one row, or None when the row has a problem (all of them reported)."""
        before = len(self.problems)
        email = self.email(row, EMAIL, values[EMAIL]) if values[EMAIL] else None
        if not values[EMAIL]:
            self.report(row, f"{EMAIL} is empty")
        if not values[NAME]:
            self.report(row, f"{NAME} is empty")
        manager = self.manager(row, email, values[MANAGER_EMAIL])
        pbp = self.email(row, PBP_EMAIL, values[PBP_EMAIL]) if values.get(PBP_EMAIL) else None
        start = self.start_date(row, values[START_DATE])
        if len(self.problems) > before or email is None or start is None:
            return None
        return Person(
            email=email,
            name=values[NAME],
            manager_email=manager,
            start_date=start,
            title=values.get("title", ""),
            department=values.get("department", ""),
            division=values.get("division", ""),
            location=values.get("location", ""),
            pbp_email=pbp,
            extra={k: v for k, v in values.items() if k not in _KNOWN_COLUMNS},
            row=row,
        )

    def duplicates(self) -> None:
        for email, rows in self.emails_on_rows.items():
            for row in rows[1:]:
                self.report(row, f"duplicate {EMAIL} {email} (also on row {rows[0]})")

    def loops(self) -> None:
        """Report each management loop once, on the row of its earliest member, with the whole
        chain spelled out so the PBP sees which manager to fix."""
        reported: set[str] = set()
        for email in self.manager_links:
            chain = [email]
            while (link := self.manager_links.get(chain[-1])) and link[1] not in chain:
                chain.append(link[1])
            if link is None or link[1] in reported:
                continue  # the chain reaches the top, or a loop already reported
            loop = chain[chain.index(link[1]) :]
            reported.update(loop)
            first = min(loop, key=lambda member: self.manager_links[member][0])
            at = loop.index(first)
            spelled = " → ".join([*loop[at:], *loop[:at], first])
            self.report(self.manager_links[first][0], f"management loop: {spelled}")


def _with_skip_levels(people: Sequence[Person]) -> tuple[Person, ...]:
    """Each person with their manager's manager, known only once the whole chain is."""
    manager_of = {p.email: p.manager_email for p in people}
    return tuple(replace(p, skip_level_email=manager_of.get(p.manager_email or "")) for p in people)


def _usable_columns(header: Sequence[str]) -> list[str]:
    """The normalised column names, or a RosterError when no row could be read with them."""
    if _is_blank(header):
        expected = ", ".join(REQUIRED_COLUMNS)
        problem = Problem(_row_label(HEADER_ROW), f"no header; expected columns {expected}")
        raise RosterError("the roster is empty", [problem])
    columns = [normalise_column(cell) for cell in header]
    problems = _column_problems(columns)
    if problems:
        raise RosterError("the roster's header is not usable", problems)
    return columns


def parse_roster(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    allowed_domains: Collection[str],
    first_row: int = FIRST_DATA_ROW,
) -> Roster:
    """Validate a roster given as text cells; ``rows[0]`` is spreadsheet row ``first_row``.

    Raises :class:`RosterError` with every problem, each on its row, in row order: bad, empty,
    duplicate or out-of-domain emails, empty names, unknown managers, self-managers, management
    loops, unparseable start dates and values under no column. Blank rows are skipped. A header
    missing required columns is reported on its own, since no row can be read without them.
    """
    columns = _usable_columns(header)
    if all(_is_blank(cells) for cells in rows):
        problem = Problem(_row_label(first_row), "no people below the header")
        raise RosterError("the roster is empty", [problem])
    check = _Check(
        columns=columns,
        allowed_domains=frozenset(domain.lower() for domain in allowed_domains),
        emails_on_rows=_emails_on_rows(columns, rows, first_row),
    )
    people: list[Person] = []
    for offset, cells in enumerate(rows):
        if not _is_blank(cells):
            row = first_row + offset
            person = check.person(row, check.cells(cells, row))
            people += [person] if person else []
    check.duplicates()
    check.loops()
    if check.problems:
        ordered = sorted(check.problems, key=lambda problem: problem[0])
        problems = [Problem(_row_label(row), message) for row, message in ordered]
        raise RosterError(f"the roster has {_count(len(problems), 'problem')}", problems)
    return Roster(_with_skip_levels(people))


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a UTF-8 CSV file, with or without a byte-order mark (Excel's
    "CSV UTF-8" writes one). Blank lines are kept as empty rows so row numbers match the file
    as a spreadsheet shows it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
    except OSError as error:
        reason = error.strerror or str(error)
        raise RosterError("cannot read the roster", [Problem(str(path), reason)]) from None
    except UnicodeDecodeError as error:
        reason = f"is not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
        raise RosterError("cannot read the roster", [Problem(str(path), reason)]) from None
    except csv.Error as error:
        raise RosterError("cannot read the roster", [Problem(str(path), str(error))]) from None
    if not records:
        return [], []
    return records[0], records[1:]


def load_roster(
    source: RosterSource, *, allowed_domains: Collection[str], workspace: Workspace | None
) -> Roster:
    """Read and validate the roster from a CSV file, or from a Google Sheet through
    ``workspace`` (the only way a sheet can be read)."""
    if source.is_sheet:
        if workspace is None:
            raise RosterError(f"roster {source} is a Google Sheet: it needs the google backend")
        header, rows = workspace.read_table(str(source))
        if not header:
            raise RosterError(f"roster {source} is empty")
    else:
        assert source.path is not None
        header, rows = read_csv(source.path)
    return parse_roster(header, rows, allowed_domains=allowed_domains)


def roster_emails(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Every address in a roster's email, manager and PBP columns, unvalidated: for seeding a
    sandbox with the users a roster needs."""
    wanted = {EMAIL, MANAGER_EMAIL, PBP_EMAIL}
    columns = [i for i, h in enumerate(header) if normalise_column(h) in wanted]
    return sorted(
        {row[i].strip().lower() for row in rows for i in columns if i < len(row) and "@" in row[i]}
    )
