"""``careerdocs init``: a first config for a company, guessed from its HR export.

:func:`guess` reads the roster export once and works out what it can: which column holds which
field (:func:`careerdocs.roster.map_columns`), the email domains (``allowed_domains``), the
organisation's name, the likely admin (the most common PBP), and whether the roster passes
validation with those settings. :func:`render` writes a config with every key present, the
guessed ones set and the rest commented out at their defaults with what they mean, so the file
is its own documentation. :func:`write` never overwrites.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from string import Template

from .config import (
    BACKEND_GOOGLE,
    BACKEND_LOCAL,
    DEFAULT_CONFIG_FILE,
    XLSX_SUFFIXES,
)
from .errors import InvalidInput, Problem, RosterError
from .roster import (
    EMAIL,
    FIELDS,
    MANAGER_EMAIL,
    PBP_EMAIL,
    is_email,
    map_columns,
    parse_roster,
    read_table,
    toml_string,
)

BACKENDS = (BACKEND_LOCAL, BACKEND_GOOGLE)
DEFAULT_ORGANIZATION = "Example Co"


@dataclass
class RosterGuess:
    """What a roster export tells about the company. ``problems`` are the roster check's
    findings with the guessed settings (empty: the roster is ready)."""

    source: str
    columns: dict[str, str] = field(default_factory=dict)
    domains: list[str] = field(default_factory=list)
    admin: str = ""
    people: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def organization(self) -> str:
        """``acme-corp.io`` → ``Acme Corp``: a starting point the user can correct."""
        if not self.domains:
            return DEFAULT_ORGANIZATION
        label = self.domains[0].split(".")[0]
        return " ".join(word.capitalize() for word in label.replace("_", "-").split("-"))


def split_source(text: str) -> tuple[Path, str]:
    """``export.xlsx#People`` → (path, sheet); any other text is a path with no sheet."""
    file, hash_, sheet = text.rpartition("#")
    if hash_ and Path(file).suffix.lower() in XLSX_SUFFIXES:
        return Path(file), sheet
    return Path(text), ""


def _addresses(
    header: Sequence[str], rows: Sequence[Sequence[str]], names: Sequence[str]
) -> Counter[str]:
    wanted = [i for i, n in enumerate(names) if n in (EMAIL, MANAGER_EMAIL, PBP_EMAIL)]
    found: Counter[str] = Counter()
    for row in rows:
        for i in wanted:
            if i < len(row) and is_email(row[i].strip()):
                found[row[i].strip().lower()] += 1
    return found


def guess(source: str, *, today: date | None = None) -> RosterGuess:
    """Read the export at ``source`` (a CSV or ``.xlsx[#Sheet]`` path) and guess the settings.

    Raises :class:`RosterError` only when the file cannot be read at all; a header or rows
    with problems are reported in the guess, so a config is still written."""
    path, sheet = split_source(source)
    header, rows = read_table(path, sheet)
    result = RosterGuess(source)
    try:
        columns = map_columns(header)
    except RosterError as error:
        result.problems = [str(p) for p in error.problems]
        return result
    result.columns = columns.mapping()
    result.warnings = list(columns.warnings)
    addresses = _addresses(header, rows, columns.names)
    domains = Counter(a.rpartition("@")[2] for a in addresses.elements())
    result.domains = [d for d, _ in domains.most_common()]
    if PBP_EMAIL in columns.names:
        at = columns.names.index(PBP_EMAIL)
        pbps = Counter(
            r[at].strip().lower() for r in rows if at < len(r) and is_email(r[at].strip())
        )
        result.admin = pbps.most_common(1)[0][0] if pbps else ""
    try:
        roster = parse_roster(
            header, rows, allowed_domains=result.domains or ["example.com"], today=today
        )
        result.people = len(roster)
    except RosterError as error:
        result.problems = [str(p) for p in error.problems]
    return result


_CONFIG = Template("""\
# careerdocs configuration, written by `careerdocs init`${origin}.
#
# Every key careerdocs reads is below. Lines starting with "#" are at their defaults; remove
# the "#" to change one. Relative paths are taken from this file's folder, so this config
# works from any directory. The audit log, and rollup's lock and state files, live here too.

# Where the documents go: "local" (a folder per person on this machine), "google" (each
# person's Google Drive) or "auto" (google when [google] credentials or endpoint is set).
backend = "${backend}"

# Month the fiscal year starts in, 1..12. With 2, February 2026 - January 2027 is "FY2027".
# fiscal_year_start_month = 2

# Email domains careerdocs may work with: every roster email, and every address a document
# is shared with, must be in one of them.${domains_note}
allowed_domains = [${domains}]

# Append-only log (JSON lines) of every write and share.
# audit_log = "careerdocs-audit.jsonl"

[organization]
# Shown in the documents as {{ org.name }} and {{ org.mission }}.
name = ${organization}
# mission = "Help every person here grow a career they are proud of."

[roster]
# Who gets documents: a CSV file (comma, semicolon or tab separated), an .xlsx export
# ("export.xlsx", or "export.xlsx#Sheet" for another sheet than the first) or a Google Sheet
# ("sheet:<spreadsheet id>[/<tab>]", google backend only). --roster overrides it.
${source}

[roster.columns]
# The roster column each field is read from, by its header. Empty means careerdocs recognises
# the usual names itself. Required: email, name, manager_email (empty for the top of the
# chain), start_date. Any other column is available to templates as
# {{ person.extra.<column_name> }}.
${columns}

[templates]
# "builtin" (the shipped files), a path to your own file (.docx for igp and tracker, .xlsx
# for growth_sheet) or "google:<file id>" (google backend). Placeholders: templates/README.md.
# igp = "builtin"
# tracker = "builtin"
# growth_sheet = "builtin"
# The notification email: "builtin" or a text file starting "Subject: ...", a blank line,
# then the body.
# email = "builtin"

[names]
# Jinja patterns for the per-person folder and the three documents.
# folder = "Career development — {{ person.name }}"
# igp = "Individual Growth Plan — {{ person.name }} — {{ fy.label }}"
# tracker = "Accomplishment tracker — {{ person.name }} — {{ fy.label }}"
# growth_sheet = "Growth plan — {{ person.name }} — {{ fy.label }}"

[sharing]
# The role each person's manager, skip-level manager and PBP get on the person's folder:
# "reader", "commenter", "writer" or "none" (not shared).
# manager = "writer"
# skip_level = "none"
# pbp = "reader"

[notify]
# Email each person the links to their documents (google backend).
# enabled = true
# Who the emails come from: "manager" (each person's manager, through domain-wide
# delegation), "senders" (the list below, in turn), "admin" (sender, else the google admin),
# or "auto" (manager when the credentials can send as anyone, else admin).
# send_as = "auto"
# The one account of "admin" mode; "" means the google admin below.
# sender = ""
# Accounts that send in turn, and stand in for managers who cannot send.
# senders = []
# Messages one account may send in any 24 hours (Gmail: 2,000; 500 on a trial).
# daily_limit = 2000
# Every message sent in the last 24 hours, per account, so the limit holds across runs.
# ledger = ".careerdocs-sent.json"
# A subject replacing the email template's own "Subject:" line; "" keeps it.
# subject = ""

[rollup]
# After this date ("YYYY-MM-DD"), people without an acknowledged career conversation this
# fiscal year are "overdue"; "" means only once the fiscal year ends.
# deadline = ""
# The lock that keeps two rollups from overlapping, and what the last rollup read.
# lock_file = ".careerdocs-rollup.lock"
# state_file = ".careerdocs-rollup-state.json"

[remind]
# `careerdocs remind` (daily, from cron): the kinds sent; leave one out to turn it off.
# kinds = ["due", "overdue", "acknowledge", "manager-digest", "skip-level-digest", "pbp-summary"]
# Days between two messages to one person; quiet on weekends and these "YYYY-MM-DD" days.
# min_days_between = 3
# quiet_weekends = true
# holidays = []
# The day digests go out, and how far ahead they list new hires passing 90 days.
# weekly_on = "monday"
# new_hire_soon_days = 14
# Days a logged, unticked conversation waits before its "acknowledge" reminder.
# acknowledge_after_days = 2
# Your own message templates (<kind>.txt and <kind>.html), and what was already sent.
# templates = "builtin"
# state_file = ".careerdocs-remind-state.json"

[local]
# The local backend's folder: one sub-folder per person with .docx and .xlsx files.
${output_dir}
# The central workbook; "" means central.xlsx inside output_dir.
# central_workbook = ""

[google]
# Ignored by the local backend. The README's "Google set-up" explains delegation and scopes.
# Service-account key file; "" uses Application Default Credentials.
${credentials}
# "service_account" (domain-wide delegation) or "oauth" (your own login; shared drive only).
# auth = "service_account"
# The PBP/admin account careerdocs acts as for the central sheet and the emails.
${admin}
# The account rollup reads every growth sheet as (granted reader at provision); "" = admin.
# reader = ""
# Send every Google API call here instead of Google: the sandbox, e.g. "http://127.0.0.1:8765".
${endpoint}
# "my_drive" (each person's own Drive) or "shared_drive" (one shared drive, shared_drive_id).
# destination = "my_drive"
# shared_drive_id = ""
# The central Sheet rollup writes to; "" creates one on the first run.
# central_sheet_id = ""
# "copy", "upload" or "auto": how documents are filled.
# fill = "auto"
# Attempts per API call on rate limits and server errors, and the longest wait between them.
# max_tries = 6
# max_backoff_seconds = 32.0

[google.quotas]
# Per-minute budgets careerdocs paces itself to; the defaults are Google's published quotas.
# drive_per_user = 12000
# drive_per_project = 12000
# sheets_read_per_user = 60
# sheets_write_per_user = 60
# sheets_read_per_project = 300
# sheets_write_per_project = 300
# docs_read_per_user = 300
# docs_write_per_user = 60
# docs_read_per_project = 3000
# docs_write_per_project = 600
# gmail_units_per_user = 15000
""")


def _setting(key: str, value: str, *, commented: bool = False) -> str:
    return f"{'# ' if commented else ''}{key} = {toml_string(value)}"


@dataclass(frozen=True)
class Choices:
    """What the config will say, beyond the roster guess."""

    backend: str = BACKEND_LOCAL
    roster: str = ""  # the roster source as written in the config ("" for none)
    organization: str = DEFAULT_ORGANIZATION
    admin: str = ""
    credentials: str = ""
    endpoint: str = ""
    origin: str = ""


def render(choices: Choices, found: RosterGuess | None) -> str:
    """The config text: every key, the known ones set, the others commented at defaults."""
    columns = found.columns if found else {}
    domains = (found.domains if found else []) or ["example.com"]
    google = choices.backend == BACKEND_GOOGLE
    return _CONFIG.substitute(
        origin=choices.origin,
        backend=choices.backend,
        domains=", ".join(toml_string(d) for d in domains),
        domains_note=" Guessed from the roster's addresses." if found and found.domains else "",
        organization=toml_string(choices.organization),
        source=_setting("source", choices.roster, commented=not choices.roster),
        columns="\n".join(
            _setting(name, columns.get(name, ""), commented=name not in columns) for name in FIELDS
        ),
        output_dir=_setting("output_dir", "careerdocs-output", commented=google),
        credentials=_setting("credentials", choices.credentials, commented=not choices.credentials),
        admin=_setting("admin", choices.admin, commented=not google),
        endpoint=_setting("endpoint", choices.endpoint, commented=not choices.endpoint),
    )


def relative_to(path: Path, base: Path) -> str:
    """``path`` as written in a config in ``base``: relative when it can be, else absolute."""
    try:
        return os.path.relpath(path.resolve(), base.resolve())
    except ValueError:  # another drive on Windows
        return str(path.resolve())


def write(directory: Path, text: str) -> Path:
    """Write ``directory/careerdocs.toml``; refuse (exit 2, nothing written) if it exists."""
    return write_file(directory / DEFAULT_CONFIG_FILE, text)


def refuse_existing(target: Path) -> None:
    """InvalidInput (exit 2) when ``target`` exists: a config is never overwritten."""
    if target.exists():
        reason = "careerdocs never overwrites a config: edit it, or move it away"
        raise InvalidInput(f"{target} already exists", [Problem(str(target), reason)])


def write_file(target: Path, text: str) -> Path:
    """Write a new config file at ``target``; refuse (exit 2, nothing written) if it exists."""
    refuse_existing(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:  # created meanwhile
        refuse_existing(target)
        raise
    return target
