"""The roster: who gets documents, who manages whom, and who their PBP is.

A roster arrives as a header and rows of text, from a CSV file (any of the usual delimiters), an
.xlsx export (:func:`read_table`) or a Google Sheet (the workspace layer reads it). Its columns are
named as the HR system names them: :func:`map_columns` recognises the common names (``Work
Email``, ``Reports To``, ``Hire Date``, ``Job Title``...) and takes the rest from the config's
``[roster.columns]``. :func:`parse_roster` validates it in full and reports every problem with its
row number in one :class:`RosterError`, so a PBP fixes the file once rather than once per run.
Cell values are data, never formulas or templates: ``=SUM(1)`` stays that text.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from careerdocs.cadence import parse_date
from careerdocs.errors import Problem, RosterError

if TYPE_CHECKING:
    from careerdocs.config import RosterSource, Settings
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
FIELDS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# The names HR systems give each field, normalised (see normalise_column); the first is
# careerdocs' own. A column named otherwise is mapped in the config's [roster.columns].
KNOWN_HEADERS: Mapping[str, tuple[str, ...]] = {
    EMAIL: (
        EMAIL,
        "work_email",
        "email_address",
        "work_email_address",
        "employee_email",
        "business_email",
        "company_email",
    ),
    NAME: (NAME, "full_name", "employee_name", "display_name", "preferred_full_name"),
    MANAGER_EMAIL: (
        MANAGER_EMAIL,
        "manager",
        "reports_to",
        "reports_to_email",
        "manager_work_email",
        "manager_email_address",
        "supervisor_email",
        "supervisor",
        "line_manager",
        "line_manager_email",
    ),
    START_DATE: (
        START_DATE,
        "start",
        "hire_date",
        "date_of_hire",
        "original_hire_date",
        "date_hired",
        "join_date",
        "joining_date",
        "employment_start_date",
    ),
    "title": ("title", "job_title", "position", "position_title", "business_title", "role"),
    "department": ("department", "dept", "department_name"),
    "division": ("division", "business_unit"),
    "location": ("location", "office", "work_location", "office_location", "site"),
    PBP_EMAIL: (
        PBP_EMAIL,
        "pbp",
        "hrbp",
        "hrbp_email",
        "hr_business_partner",
        "people_partner",
        "people_business_partner",
    ),
}
COLUMN_ALIASES = {alias: name for name, aliases in KNOWN_HEADERS.items() for alias in aliases}
# Words that make an unused column look like it was meant for a field (a warning, not an error).
_MEANINGFUL_WORDS = {
    "email": EMAIL,
    "mail": EMAIL,
    "manager": MANAGER_EMAIL,
    "supervisor": MANAGER_EMAIL,
    "reports": MANAGER_EMAIL,
    "hire": START_DATE,
    "start": START_DATE,
    "joined": START_DATE,
    "title": "title",
    "role": "title",
    "position": "title",
    "job": "title",
    "department": "department",
    "dept": "department",
    "division": "division",
    "location": "location",
    "office": "location",
    "pbp": PBP_EMAIL,
    "hrbp": PBP_EMAIL,
}
DATE_FORMATS_HINT = "use YYYY-MM-DD, or M/D/YYYY with the month first"
# A start date further ahead than this is a typo (9999-12-31, 2206 for 2026), not a new hire.
MAX_YEARS_AHEAD = 2
# The longest cell careerdocs accepts: names, titles and departments end up in file names and
# documents; a longer cell is a paste gone wrong (a whole column in one cell).
MAX_CELL_CHARS = 500
# Above this many addresses outside allowed_domains, the roster is in another domain: one hint.
DOMAIN_HINT_AFTER = 3
DELIMITERS = (",", ";", "\t")
XLSX_SUFFIXES = (".xlsx", ".xlsm")

_KNOWN_COLUMNS = frozenset(FIELDS)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_SEPARATORS = re.compile(r"[\s\-./]+")


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
    """The people of a validated roster, in file order; build it with :func:`parse_roster`.

    ``warnings`` are things worth telling the user that do not stop a run, such as a column
    that looks meaningful but is not used."""

    people: tuple[Person, ...]
    warnings: tuple[str, ...] = ()

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
        return Roster(tuple(p for p in self.people if p.email in wanted), self.warnings)


def is_email(text: str) -> bool:
    """A deliberately loose check (``local@domain.tld``, no spaces): the directory decides what
    exists; this catches typos and columns in the wrong place."""
    return _EMAIL.fullmatch(text) is not None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def normalise_column(header: str) -> str:
    """``Manager Email`` and ``manager-email`` both become ``manager_email``: the name a column
    has in templates (``{{ person.extra.cost_center }}``)."""
    return _SEPARATORS.sub("_", header.strip().lower()).strip("_")


def _row_label(row: int) -> str:
    return f"row {row}"


@dataclass(frozen=True)
class Columns:
    """How a roster's header maps to careerdocs' fields.

    ``names`` has one entry per column: the field it holds (``email``...), or for any other
    column its normalised name (kept for templates as ``person.extra``). ``sources`` maps each
    field found to the header text it was read from. ``warnings`` name columns that look
    meaningful but are not used.
    """

    names: tuple[str, ...]
    sources: Mapping[str, str]
    warnings: tuple[str, ...] = ()

    def mapping(self) -> dict[str, str]:
        """Field → header text, for writing ``[roster.columns]``."""
        return dict(self.sources)


def _quote_all(headers: Iterable[str]) -> str:
    return ", ".join(repr(h.strip()) for h in headers if h.strip()) or "(none)"


def _explicit_columns(
    header: Sequence[str], mapping: Mapping[str, str], names: list[str], problems: list[Problem]
) -> None:
    """Place the fields the config names (``[roster.columns] email = "Work Email"``)."""
    by_name = {normalise_column(h): i for i, h in reversed(list(enumerate(header))) if h.strip()}
    for name, text in mapping.items():
        at = by_name.get(normalise_column(text))
        if at is None:
            problems.append(
                Problem(
                    f"roster.columns.{name}",
                    f"no column {text!r} in the roster; columns found: {_quote_all(header)}",
                )
            )
        else:
            names[at] = name


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, for hints the user pastes into the config."""
    return json.dumps(text.strip(), ensure_ascii=False)


def _meant_for(normal: str) -> str | None:
    """The field a column name's words suggest (``hired_on`` → start_date), if any."""
    for word in normal.split("_"):
        for key, meant in _MEANINGFUL_WORDS.items():
            if word.startswith(key):
                return meant
    return None


def _closest(name: str, header: Sequence[str], taken: Collection[int]) -> str | None:
    """The unused header cell most like one of ``name``'s known names: one whose words suggest
    the field, else the closest spelling."""
    candidates = {
        normalise_column(h): h for i, h in enumerate(header) if i not in taken and h.strip()
    }
    for normal, text in candidates.items():
        if _meant_for(normal) == name:
            return text
    best: tuple[float, str] | None = None
    for alias in KNOWN_HEADERS[name]:
        for normal, text in candidates.items():
            score = difflib.SequenceMatcher(None, alias, normal).ratio()
            if score >= 0.6 and (best is None or score > best[0]):
                best = (score, text)
    return best[1] if best else None


def _missing_problems(
    header: Sequence[str], names: Sequence[str], reported: Collection[str]
) -> list[Problem]:
    missing = [name for name in REQUIRED_COLUMNS if name not in names and name not in reported]
    if not missing:
        return []
    where = _row_label(HEADER_ROW)
    problems = [
        Problem(where, f"missing required columns: {', '.join(missing)}"),
        Problem(where, f"columns found: {_quote_all(header)}"),
    ]
    if len([h for h in header if h.strip()]) == 1:
        for delimiter, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if delimiter in header[0]:
                problems.append(Problem(where, f"the header is one column holding {label}"))
    taken = {i for i, n in enumerate(names) if n in _KNOWN_COLUMNS}
    for name in missing:
        close = _closest(name, header, taken)
        hint = (
            f"closest column is {close.strip()!r}; if that is it, set [roster.columns] "
            f"{name} = {toml_string(close)}"
            if close
            else f'set [roster.columns] {name} = "<the column\'s name>"'
        )
        problems.append(Problem(where, f"{name}: {hint}"))
    return problems


def _unused_warnings(header: Sequence[str], columns: Columns) -> list[str]:
    """A note for each column that looks meant for a field but is not used for it."""
    warnings = []
    for text, name in zip(header, columns.names, strict=False):
        if name in _KNOWN_COLUMNS or not text.strip():
            continue
        meant = _meant_for(name)
        if meant is None:
            continue
        setting = f"[roster.columns] {meant} = {toml_string(text)}"
        if meant in columns.sources:
            used = columns.sources[meant]
            warnings.append(
                f"column {text.strip()!r} is not used: {meant} is read from {used!r} "
                f"(set {setting} to use it instead)"
            )
        else:
            warnings.append(
                f"column {text.strip()!r} is not used; to read {meant} from it, set {setting}"
            )
    return warnings


def map_columns(header: Sequence[str], mapping: Mapping[str, str] | None = None) -> Columns:
    """Which column holds which field: those named in ``mapping`` (field → header text, from
    ``[roster.columns]``), then the common names HR exports use (:data:`KNOWN_HEADERS`).

    Raises :class:`RosterError` when a required field has no column (listing the columns found
    and the closest match for each), a mapped column does not exist, or two columns claim the
    same field."""
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    if _is_blank(header):
        expected = ", ".join(REQUIRED_COLUMNS)
        problem = Problem(_row_label(HEADER_ROW), f"no header; expected columns {expected}")
        raise RosterError("the roster is empty", [problem])
    problems: list[Problem] = []
    names = [""] * len(header)
    _explicit_columns(header, mapping, names, problems)
    seen: dict[str, int] = {n: i + 1 for i, n in enumerate(names) if n}
    for i, text in enumerate(header):
        if names[i]:
            continue
        normal = normalise_column(text)
        name = COLUMN_ALIASES.get(normal, normal)
        if name in mapping:
            name = normal  # the config chose another column for this field
        if name and name in seen:
            problems.append(
                Problem(
                    _row_label(HEADER_ROW),
                    f"column {name} appears twice (columns {seen[name]} and {i + 1}); "
                    f"set [roster.columns] {name} to the one to use",
                )
            )
            name = normal if name != normal else ""
        names[i] = name
        if name:
            seen.setdefault(name, i + 1)
    problems += _missing_problems(header, names, reported=set(mapping) - set(names))
    if problems:
        raise RosterError("the roster's header is not usable", problems)
    sources = {n: header[i].strip() for i, n in enumerate(names) if n in _KNOWN_COLUMNS}
    columns = Columns(tuple(names), sources)
    return replace(columns, warnings=tuple(_unused_warnings(header, columns)))


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


def fold(text: str) -> str:
    """``Sofía  Marín`` and ``sofia marin`` fold to the same text: case, accents and repeated
    spaces ignored, for matching names as people type them."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def _emails_by_name(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> dict[str, list[str]]:
    """Folded name → the lower-cased emails of the people with that name, so a manager column
    holding names (``Reports To: Sofía Marín``, as many HR exports write it) can be resolved."""
    at_email, at_name = columns.index(EMAIL), columns.index(NAME)
    found: dict[str, list[str]] = {}
    for cells in rows:
        if max(at_email, at_name) < len(cells) and is_email(cells[at_email].strip()):
            name = fold(cells[at_name])
            if name:
                found.setdefault(name, []).append(cells[at_email].strip().lower())
    return found


@dataclass
class _Check:
    """One validation pass over the rows: what is known so far and every problem found."""

    columns: Sequence[str]
    allowed_domains: frozenset[str]
    emails_on_rows: Mapping[str, list[int]]
    latest_start: date
    emails_by_name: Mapping[str, list[str]] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    manager_links: dict[str, tuple[int, str]] = field(default_factory=dict)  # email → row, manager
    # row, column, email, and where among the problems it would be reported
    outside: list[tuple[int, str, str, int]] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)

    def report(self, row: int, message: str) -> None:
        self.problems.append((row, message))
        self.bad_rows.add(row)

    def cells(self, cells: Sequence[str], row: int) -> dict[str, str]:
        """Cell text by column name; text under no column name, or too long to be a value, is
        reported, not dropped."""
        values = {column: "" for column in REQUIRED_COLUMNS}
        for number, cell in enumerate(cells, start=1):
            column = self.columns[number - 1] if number <= len(self.columns) else ""
            text = cell.strip()
            if column and len(text) > MAX_CELL_CHARS:
                self.report(
                    row,
                    f"{column} is {len(text):,} characters long (at most {MAX_CELL_CHARS}): "
                    f"{text[:40]!r}...",
                )
                values[column] = text[:MAX_CELL_CHARS]  # reported once, not again as "empty"
            elif column:
                values[column] = text
            elif text:
                self.report(row, f"value {text[:40]!r} in column {number}, which has no header")
        return values

    def email(self, row: int, column: str, value: str) -> str | None:
        """The lower-cased email, or None after reporting why it is not one; an address outside
        the allowed domains is noted (see :meth:`domains`) but returned, as it still
        identifies someone."""
        if not is_email(value):
            self.report(row, f"{column} {value!r} is not an email address")
            return None
        email = value.lower()
        if email.rpartition("@")[2] not in self.allowed_domains:
            self.outside.append((row, column, email, len(self.problems)))
            self.bad_rows.add(row)
        return email

    def domains(self) -> Problem | None:
        """Addresses outside allowed_domains: a few are typos, reported on their rows; many
        mean the roster is in another domain, which one hint covers (returned)."""
        allowed = ", ".join(sorted(self.allowed_domains))
        if len(self.outside) <= DOMAIN_HINT_AFTER:
            for row, column, email, at in reversed(self.outside):
                message = f"{column} {email} is outside the allowed domains ({allowed})"
                self.problems.insert(at, (row, message))
            return None
        found = Counter(email.rpartition("@")[2] for _, _, email, _ in self.outside)
        listed = ", ".join(f"{domain} ({n})" for domain, n in found.most_common())
        suggestion = ", ".join(f'"{domain}"' for domain, _ in found.most_common())
        return Problem(
            "allowed_domains",
            f"{len(self.outside)} roster addresses are outside the allowed domains ({allowed}): "
            f"{listed}. If they are yours, set allowed_domains = [{suggestion}] in the config",
        )

    def manager(self, row: int, email: str | None, value: str) -> str | None:
        named = self.emails_by_name.get(fold(value), []) if value and not is_email(value) else []
        if len(named) > 1:
            self.report(
                row,
                f"manager {value!r} is the name of {len(named)} people "
                f"({', '.join(named)}): give the manager's email",
            )
            return None
        if named:
            value = named[0]  # the manager column holds a name: the person of that name
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
            start = parse_date(text)
        except ValueError:
            self.report(row, f"{START_DATE} {text!r} is not a date ({DATE_FORMATS_HINT})")
            return None
        if start > self.latest_start:
            self.report(
                row,
                f"{START_DATE} {start.isoformat()} is too far ahead (after "
                f"{self.latest_start.isoformat()}); check the year",
            )
            return None
        return start

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
        if row in self.bad_rows or len(self.problems) > before or email is None or start is None:
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


def latest_start(today: date | None) -> date:
    """The latest start date a roster may hold: :data:`MAX_YEARS_AHEAD` after ``today``; with no
    ``today``, still far enough from ``date.max`` that date arithmetic never overflows."""
    if today is None:
        return date.max - timedelta(days=366 * 10)
    return today + timedelta(days=366 * MAX_YEARS_AHEAD)


def parse_roster(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    allowed_domains: Collection[str],
    first_row: int = FIRST_DATA_ROW,
    columns: Mapping[str, str] | None = None,
    today: date | None = None,
) -> Roster:
    """Validate a roster given as text cells; ``rows[0]`` is spreadsheet row ``first_row``.

    ``columns`` maps fields to header text (``[roster.columns]``); common names need no
    mapping (:func:`map_columns`). ``today`` bounds start dates (:func:`latest_start`).

    Raises :class:`RosterError` with every problem, each on its row, in row order: bad, empty,
    duplicate or out-of-domain emails (many of them: one hint to set ``allowed_domains``),
    empty names, unknown managers, self-managers, management loops, unparseable or far-future
    start dates, oversized cells and values under no column. Blank rows are skipped. A header
    missing required columns is reported on its own, since no row can be read without them.
    """
    mapped = map_columns(header, columns)
    names = list(mapped.names)
    if all(_is_blank(cells) for cells in rows):
        problem = Problem(_row_label(first_row), "no people below the header")
        raise RosterError("the roster is empty", [problem])
    check = _Check(
        columns=names,
        allowed_domains=frozenset(domain.lower() for domain in allowed_domains),
        emails_on_rows=_emails_on_rows(names, rows, first_row),
        latest_start=latest_start(today),
        emails_by_name=_emails_by_name(names, rows),
    )
    people: list[Person] = []
    for offset, cells in enumerate(rows):
        if not _is_blank(cells):
            row = first_row + offset
            person = check.person(row, check.cells(cells, row))
            people += [person] if person else []
    check.duplicates()
    check.loops()
    hint = check.domains()
    if check.problems or hint:
        ordered = sorted(check.problems, key=lambda problem: problem[0])
        problems = [Problem(_row_label(row), message) for row, message in ordered]
        problems = [hint, *problems] if hint else problems
        raise RosterError(f"the roster has {_count(len(problems), 'problem')}", problems)
    return Roster(_with_skip_levels(people), mapped.warnings)


def sniff_delimiter(first_line: str) -> str:
    """The delimiter of a CSV export, from its header line: the one of comma, semicolon (Excel
    in much of Europe) and tab that occurs most; comma when none does."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _cannot_read(path: Path, reason: str) -> RosterError:
    return RosterError("cannot read the roster", [Problem(str(path), reason)])


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a UTF-8 CSV file, with or without a byte-order mark (Excel's
    "CSV UTF-8" writes one), separated by commas, semicolons or tabs (:func:`sniff_delimiter`).
    Blank lines are kept as empty rows so row numbers match the file as a spreadsheet shows
    it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
        delimiter = sniff_delimiter(text.split("\n", 1)[0])
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except OSError as error:
        raise _cannot_read(path, error.strerror or str(error)) from None
    except UnicodeDecodeError as error:
        reason = f"is not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
        raise _cannot_read(path, reason) from None
    except csv.Error as error:
        raise _cannot_read(path, str(error)) from None
    if not records:
        return [], []
    return records[0], records[1:]


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export of it would hold (dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, sheet: str = "") -> tuple[list[str], list[list[str]]]:
    """The header and rows of an .xlsx export: its first sheet, or the one named ``sheet``."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except OSError as error:
        raise _cannot_read(path, error.strerror or str(error)) from None
    except Exception as error:  # openpyxl raises many types for a file that is not a workbook
        raise _cannot_read(path, f"is not an .xlsx workbook ({error})") from None
    try:
        if sheet and sheet not in book.sheetnames:
            names = ", ".join(repr(n) for n in book.sheetnames)
            raise _cannot_read(path, f"has no sheet {sheet!r}; its sheets are {names}")
        worksheet = book[sheet] if sheet else book.worksheets[0]
        records = [[_cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
    finally:
        book.close()
    records = [_trim(row) for row in records]
    if not records:
        return [], []
    return records[0], records[1:]


def _trim(row: list[str]) -> list[str]:
    while row and not row[-1].strip():
        row.pop()
    return row


def read_table(path: Path, sheet: str = "") -> tuple[list[str], list[list[str]]]:
    """The header and rows of a roster file: .xlsx (``sheet`` or the first), else CSV."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        return read_xlsx(path, sheet)
    if path.suffix.lower() == ".xls":
        raise _cannot_read(path, "is an old Excel file: save it as .xlsx or CSV UTF-8")
    return read_csv(path)


def load_roster(
    source: RosterSource,
    *,
    allowed_domains: Collection[str],
    workspace: Workspace | None,
    columns: Mapping[str, str] | None = None,
    today: date | None = None,
) -> Roster:
    """Read and validate the roster from a CSV or .xlsx file, or from a Google Sheet through
    ``workspace`` (the only way a sheet can be read)."""
    if source.is_sheet:
        if workspace is None:
            raise RosterError(f"roster {source} is a Google Sheet: it needs the google backend")
        header, rows = workspace.read_table(str(source))
        if not header:
            raise RosterError(f"roster {source} is empty")
    else:
        assert source.path is not None
        header, rows = read_table(source.path, source.tab)
    return parse_roster(header, rows, allowed_domains=allowed_domains, columns=columns, today=today)


def load(settings: Settings, workspace: Workspace | None, *, today: date | None = None) -> Roster:
    """The roster the settings name, validated with their domains and column mapping: what a
    script needs to get the same people a careerdocs command works on."""
    return load_roster(
        settings.require_roster(),
        allowed_domains=settings.allowed_domains,
        workspace=workspace,
        columns=settings.roster.columns.mapping(),
        today=today,
    )


def roster_emails(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Every address in a roster's email, manager and PBP columns, unvalidated: for seeding a
    sandbox with the users a roster needs."""
    wanted = {EMAIL, MANAGER_EMAIL, PBP_EMAIL}
    columns = [i for i, h in enumerate(header) if COLUMN_ALIASES.get(normalise_column(h)) in wanted]
    return sorted(
        {row[i].strip().lower() for row in rows for i in columns if i < len(row) and "@" in row[i]}
    )
