"""Settings: the TOML config file, validated in full before anything is written.

The dataclasses below *are* the schema. Each setting is declared once, with :func:`_toml`, giving
the value it has when the file leaves it out (as written in TOML) and how that text becomes the
typed value; a ``Literal`` annotation lists the allowed words. :func:`parse_settings` walks the
dataclasses, so the file, the defaults and the error messages cannot drift apart.

Every problem is reported at once, each under its dotted key path
(``sharing.manager: must be one of reader, commenter, writer, none; got 'editor'``).
Relative paths are resolved against the config file's directory, so a config works from any
working directory.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

import careerdocs
from careerdocs.errors import ConfigError, Problem
from careerdocs.roster import FIELDS, XLSX_SUFFIXES, is_email

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_ENV = "CAREERDOCS_CONFIG"
DEFAULT_CONFIG_FILE = "careerdocs.toml"
START_HINT = "careerdocs init --roster <your HR export (.csv or .xlsx)>"

BACKEND_LOCAL = "local"
BACKEND_GOOGLE = "google"
BACKEND_AUTO = "auto"
BUILTIN = "builtin"
SHARED_DRIVE = "shared_drive"
OAUTH = "oauth"
GOOGLE_TEMPLATE_PREFIX = "google:"
SHEET_ROSTER_PREFIX = "sheet:"
DEFAULT_CENTRAL_WORKBOOK = "central.xlsx"
BUILTIN_EMAIL_TEMPLATE = "email.txt"
BUILTIN_TEMPLATES_PACKAGE = "careerdocs.templates"

Backend = Literal["auto", "local", "google"]
ShareRole = Literal["reader", "commenter", "writer", "none"]
AuthMode = Literal["service_account", "oauth"]
Destination = Literal["my_drive", "shared_drive"]
FillStrategy = Literal["auto", "copy", "upload"]
SendAs = Literal["auto", "manager", "senders", "admin"]

_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KEY_SPEC = "careerdocs.key"
_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    list: "a list of strings",
}


class _Invalid(ValueError):
    """Raised by a converter; its text becomes the problem message for the key."""


@dataclass(frozen=True)
class _Context:
    base_dir: Path


Converter = Callable[[Any, _Context], Any]


@dataclass(frozen=True)
class _KeySpec:
    default: Any  # as written in TOML; its type is the TOML type the key takes
    convert: Converter | None
    minimum: float | None
    maximum: float | None


def _toml(
    default: Any,
    *,
    convert: Converter | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> dict[str, _KeySpec]:
    """Field metadata declaring a setting: its default as written in TOML, how the TOML value
    becomes the typed one, and numeric bounds (for a list, ``minimum`` is its least length)."""
    return {_KEY_SPEC: _KeySpec(default, convert, minimum, maximum)}


# --- converters: TOML value (already type-checked) → typed value ----------------------------


def _path(value: str, context: _Context) -> Path:
    if not value:
        raise _Invalid("must not be empty")
    return context.base_dir / Path(value).expanduser()


def _optional_path(value: str, context: _Context) -> Path | None:
    return _path(value, context) if value else None


def _domains(value: list[str], _context: _Context) -> tuple[str, ...]:
    domains = tuple(domain.strip().lower() for domain in value)
    bad = [domain for domain in domains if not domain or "@" in domain or " " in domain]
    if bad:
        raise _Invalid(f"must be domain names like 'example.com'; got {bad[0]!r}")
    return domains


def _email(value: str, _context: _Context) -> str:
    if value and not is_email(value):
        raise _Invalid(f"must be an email address; got {value!r}")
    return value.lower()


def _emails(value: list[str], _context: _Context) -> tuple[str, ...]:
    addresses = tuple(dict.fromkeys(address.strip().lower() for address in value))
    bad = [address for address in addresses if not is_email(address)]
    if bad:
        raise _Invalid(f"must be a list of email addresses; got {bad[0]!r}")
    return addresses


def _url(value: str, _context: _Context) -> str:
    if value and not _URL.fullmatch(value):
        raise _Invalid(f"must be an http:// or https:// URL; got {value!r}")
    return value.rstrip("/")


def _deadline(value: str, _context: _Context) -> date | None:
    if not value:
        return None
    try:
        if _ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise _Invalid(f"must be a date as YYYY-MM-DD, or empty; got {value!r}")


def _not_blank(value: str, _context: _Context) -> str:
    if not value.strip():
        raise _Invalid("must not be empty")
    return value


@dataclass(frozen=True)
class RosterSource:
    """Where the roster comes from: a CSV or .xlsx file (``path``; ``tab`` a sheet of the
    .xlsx, empty for the first) or a Google Sheet (``spreadsheet_id``, with ``tab`` empty for
    the first tab)."""

    path: Path | None = None
    spreadsheet_id: str = ""
    tab: str = ""

    @property
    def is_sheet(self) -> bool:
        return bool(self.spreadsheet_id)

    def __str__(self) -> str:
        if self.is_sheet:
            return f"{SHEET_ROSTER_PREFIX}{self.spreadsheet_id}{'/' + self.tab if self.tab else ''}"
        return f"{self.path}{'#' + self.tab if self.tab else ''}"


def parse_roster_source(text: str, base_dir: Path) -> RosterSource:
    """Read ``path/to/roster.csv``, ``export.xlsx`` or ``export.xlsx#Sheet``, or
    ``sheet:<spreadsheet id>[/<tab>]``; a relative path is taken from ``base_dir``. Raises
    ``ValueError`` with a message fit for the user."""
    if text.startswith(SHEET_ROSTER_PREFIX):
        spreadsheet_id, _, tab = text[len(SHEET_ROSTER_PREFIX) :].partition("/")
        if not spreadsheet_id.strip():
            raise _Invalid(f"must be sheet:<spreadsheet id>[/<tab>]; got {text!r}")
        return RosterSource(spreadsheet_id=spreadsheet_id.strip(), tab=tab.strip())
    file, hash_, sheet = text.rpartition("#")
    if hash_ and Path(file).suffix.lower() in XLSX_SUFFIXES:
        return RosterSource(path=_path(file, _Context(base_dir)), tab=sheet.strip())
    return RosterSource(path=_path(text, _Context(base_dir)))


def _roster_source(value: str, context: _Context) -> RosterSource | None:
    return parse_roster_source(value, context.base_dir) if value.strip() else None


@dataclass(frozen=True)
class TemplateSource:
    """A template to fill: a file on disk (``path``; the shipped ones when ``builtin``) or an
    organisation's own Google Doc/Sheet (``google_file_id``, google backend only)."""

    path: Path | None = None
    google_file_id: str = ""
    builtin: bool = False

    def __str__(self) -> str:
        if self.google_file_id:
            return f"{GOOGLE_TEMPLATE_PREFIX}{self.google_file_id}"
        return str(self.path)


def builtin_templates_dir() -> Path:
    """The folder of shipped templates: package data when installed as such, else the
    repository's top-level ``templates/`` next to the package."""
    try:
        spec = importlib.util.find_spec(BUILTIN_TEMPLATES_PACKAGE)
    except ModuleNotFoundError:
        spec = None
    # templates/ has no __init__.py: it installs as a namespace package, whose location is
    # its search path (importlib.resources would hand back a MultiplexedPath, not a folder).
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(careerdocs.__file__).resolve().parent.parent / "templates"


def _template(builtin_name: str) -> Converter:
    suffix = Path(builtin_name).suffix

    def convert(value: str, context: _Context) -> TemplateSource:
        if value == BUILTIN:
            return TemplateSource(path=builtin_templates_dir() / builtin_name, builtin=True)
        if value.startswith(GOOGLE_TEMPLATE_PREFIX):
            file_id = value[len(GOOGLE_TEMPLATE_PREFIX) :].strip()
            if not file_id:
                raise _Invalid(f"must be google:<file id>; got {value!r}")
            return TemplateSource(google_file_id=file_id)
        path = _path(value, context)
        if path.suffix.lower() != suffix:
            raise _Invalid(
                f"must be '{BUILTIN}', google:<file id> or a path to a {suffix} file; got {value!r}"
            )
        return TemplateSource(path=path)

    return convert


def _email_template(value: str, context: _Context) -> Path:
    if value == BUILTIN:
        return builtin_templates_dir() / BUILTIN_EMAIL_TEMPLATE
    return _path(value, context)


# --- the schema -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Organization:
    """Fields the templates show as ``{{ org.name }}`` and ``{{ org.mission }}``."""

    name: str = field(metadata=_toml("Example Co"))
    mission: str = field(metadata=_toml("Help every person here grow a career they are proud of."))


@dataclass(frozen=True)
class RosterColumns:
    """The roster column each field is read from, by its header text (``email = "Work Email"``);
    "" means careerdocs recognises the common names itself (see roster.KNOWN_HEADERS)."""

    email: str = field(metadata=_toml(""))
    name: str = field(metadata=_toml(""))
    manager_email: str = field(metadata=_toml(""))
    start_date: str = field(metadata=_toml(""))
    title: str = field(metadata=_toml(""))
    department: str = field(metadata=_toml(""))
    division: str = field(metadata=_toml(""))
    location: str = field(metadata=_toml(""))
    pbp_email: str = field(metadata=_toml(""))

    def mapping(self) -> dict[str, str]:
        """Field → header text, for the fields the config names."""
        return {name: getattr(self, name) for name in FIELDS if getattr(self, name)}


@dataclass(frozen=True)
class RosterSettings:
    """``source`` None (the key left out or "") means no roster: --roster must give one."""

    source: RosterSource | None = field(metadata=_toml("", convert=_roster_source))
    columns: RosterColumns


@dataclass(frozen=True)
class Templates:
    igp: TemplateSource = field(metadata=_toml(BUILTIN, convert=_template("igp.docx")))
    tracker: TemplateSource = field(metadata=_toml(BUILTIN, convert=_template("tracker.docx")))
    growth_sheet: TemplateSource = field(
        metadata=_toml(BUILTIN, convert=_template("growth-plan.xlsx"))
    )
    email: Path = field(metadata=_toml(BUILTIN, convert=_email_template))


@dataclass(frozen=True)
class Names:
    """Jinja patterns for the folder and file names, rendered by :mod:`careerdocs.fields`."""

    folder: str = field(
        metadata=_toml("Career development — {{ person.name }}", convert=_not_blank)
    )
    igp: str = field(
        metadata=_toml(
            "Individual Growth Plan — {{ person.name }} — {{ fy.label }}", convert=_not_blank
        )
    )
    tracker: str = field(
        metadata=_toml(
            "Accomplishment tracker — {{ person.name }} — {{ fy.label }}", convert=_not_blank
        )
    )
    growth_sheet: str = field(
        metadata=_toml("Growth plan — {{ person.name }} — {{ fy.label }}", convert=_not_blank)
    )


@dataclass(frozen=True)
class Sharing:
    """The Drive role each grantee gets on the person's folder (files inherit it); ``none``
    shares nothing with them."""

    manager: ShareRole = field(metadata=_toml("writer"))
    skip_level: ShareRole = field(metadata=_toml("none"))
    pbp: ShareRole = field(metadata=_toml("reader"))


@dataclass(frozen=True)
class Notify:
    """Who the emails come from (:mod:`careerdocs.senders`). ``send_as``: ``manager`` (each
    person's manager, through domain-wide delegation), ``senders`` (round-robin over
    ``senders``), ``admin`` (``sender``, else the google admin: one account), or ``auto``
    (manager where the credentials can send as anyone, else admin). ``daily_limit`` is the
    messages one account may send in any 24 hours (Gmail's Workspace limit is 2,000; 500 on a
    trial); ``ledger`` records every message sent, so the limit holds across runs. ``subject``
    empty means the email template's own ``Subject:`` line."""

    enabled: bool = field(metadata=_toml(True))
    send_as: SendAs = field(metadata=_toml("auto"))
    sender: str = field(metadata=_toml("", convert=_email))
    senders: tuple[str, ...] = field(metadata=_toml([], convert=_emails))
    daily_limit: int = field(metadata=_toml(2000, minimum=1))
    ledger: Path = field(metadata=_toml(".careerdocs-sent.json", convert=_path))
    subject: str = field(metadata=_toml(""))


@dataclass(frozen=True)
class Rollup:
    deadline: date | None = field(metadata=_toml("", convert=_deadline))
    lock_file: Path = field(metadata=_toml(".careerdocs-rollup.lock", convert=_path))
    state_file: Path = field(metadata=_toml(".careerdocs-rollup-state.json", convert=_path))


REMIND_TEMPLATES_DIR = "remind"
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)  # in date.weekday() order: Monday is 0


def _remind_kinds(value: list[str], _context: _Context) -> tuple[str, ...]:
    from careerdocs.nudges import Kind  # the rules' own names; nudges imports no config

    known = [kind.value for kind in Kind]
    kinds = tuple(dict.fromkeys(item.strip().lower() for item in value))
    bad = [kind for kind in kinds if kind not in known]
    if bad:
        raise _Invalid(f"must be some of {', '.join(known)}; got {bad[0]!r}")
    return kinds


def _holidays(value: list[str], _context: _Context) -> tuple[date, ...]:
    days: set[date] = set()
    for text in value:
        try:
            if _ISO_DATE.fullmatch(text.strip()):
                days.add(date.fromisoformat(text.strip()))
                continue
        except ValueError:
            pass
        raise _Invalid(f"must be dates as YYYY-MM-DD; got {text!r}")
    return tuple(sorted(days))


def _remind_templates(value: str, context: _Context) -> Path:
    if value in ("", BUILTIN):
        return builtin_templates_dir() / REMIND_TEMPLATES_DIR
    return _path(value, context)


@dataclass(frozen=True)
class Remind:
    """``careerdocs remind``: which reminders and digests go out, and how politely. ``kinds``
    are the ones sent (the others are off); ``weekly_on`` is the day digests and summaries go
    out; ``templates`` is a folder with ``<kind>.txt`` and ``<kind>.html`` for each kind
    ("builtin": the shipped ``templates/remind``)."""

    kinds: tuple[str, ...] = field(
        metadata=_toml(
            [
                "due",
                "overdue",
                "acknowledge",
                "manager-digest",
                "skip-level-digest",
                "pbp-summary",
            ],
            convert=_remind_kinds,
        )
    )
    min_days_between: int = field(metadata=_toml(3, minimum=0, maximum=366))
    quiet_weekends: bool = field(metadata=_toml(True))
    holidays: tuple[date, ...] = field(metadata=_toml([], convert=_holidays))
    weekly_on: Weekday = field(metadata=_toml("monday"))
    new_hire_soon_days: int = field(metadata=_toml(14, minimum=0, maximum=366))
    acknowledge_after_days: int = field(metadata=_toml(2, minimum=0, maximum=366))
    templates: Path = field(metadata=_toml(BUILTIN, convert=_remind_templates))
    state_file: Path = field(metadata=_toml(".careerdocs-remind-state.json", convert=_path))

    @property
    def weekday(self) -> int:
        """``weekly_on`` as a date's ``weekday()`` number: Monday is 0."""
        return WEEKDAYS.index(self.weekly_on)


@dataclass(frozen=True)
class Local:
    output_dir: Path = field(metadata=_toml("careerdocs-output", convert=_path))
    central_workbook: Path | None = field(metadata=_toml("", convert=_optional_path))

    @property
    def workbook(self) -> Path:
        """The central workbook: as configured, else ``central.xlsx`` in the output folder."""
        return self.central_workbook or self.output_dir / DEFAULT_CENTRAL_WORKBOOK


@dataclass(frozen=True)
class Quotas:
    """Per-minute request budgets the pacer keeps under; defaults are Google's published ones."""

    drive_per_user: int = field(metadata=_toml(12000, minimum=1))
    drive_per_project: int = field(metadata=_toml(12000, minimum=1))
    sheets_read_per_user: int = field(metadata=_toml(60, minimum=1))
    sheets_write_per_user: int = field(metadata=_toml(60, minimum=1))
    sheets_read_per_project: int = field(metadata=_toml(300, minimum=1))
    sheets_write_per_project: int = field(metadata=_toml(300, minimum=1))
    docs_read_per_user: int = field(metadata=_toml(300, minimum=1))
    docs_write_per_user: int = field(metadata=_toml(60, minimum=1))
    docs_read_per_project: int = field(metadata=_toml(3000, minimum=1))
    docs_write_per_project: int = field(metadata=_toml(600, minimum=1))
    gmail_units_per_user: int = field(metadata=_toml(15000, minimum=1))


@dataclass(frozen=True)
class GoogleSettings:
    """``credentials`` None means Application Default Credentials; ``endpoint`` None means
    Google itself (set it to point every client at the sandbox)."""

    credentials: Path | None = field(metadata=_toml("", convert=_optional_path))
    auth: AuthMode = field(metadata=_toml("service_account"))
    admin: str = field(metadata=_toml("", convert=_email))
    # The account rollup finds and reads growth sheets as (granted reader on each at provision):
    # "" means the admin. See :attr:`rollup_reader`.
    reader: str = field(metadata=_toml("", convert=_email))
    endpoint: str = field(metadata=_toml("", convert=_url))
    destination: Destination = field(metadata=_toml("my_drive"))
    shared_drive_id: str = field(metadata=_toml(""))
    central_sheet_id: str = field(metadata=_toml(""))
    fill: FillStrategy = field(metadata=_toml("auto"))
    max_tries: int = field(metadata=_toml(6, minimum=1))
    max_backoff_seconds: float = field(metadata=_toml(32.0, minimum=0))
    quotas: Quotas

    @property
    def rollup_reader(self) -> str:
        """Who provision grants ``reader`` on every growth sheet and rollup reads them as:
        ``google.reader``, else the admin."""
        return self.reader or self.admin


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, validated. Build it with :func:`load_settings` or
    :func:`parse_settings`; every field is filled, defaults included."""

    backend: Backend = field(metadata=_toml(BACKEND_AUTO))
    fiscal_year_start_month: int = field(metadata=_toml(2, minimum=1, maximum=12))
    allowed_domains: tuple[str, ...] = field(
        metadata=_toml(["example.com"], convert=_domains, minimum=1)
    )
    audit_log: Path = field(metadata=_toml("careerdocs-audit.jsonl", convert=_path))
    organization: Organization
    roster: RosterSettings
    templates: Templates
    names: Names
    sharing: Sharing
    notify: Notify
    rollup: Rollup
    remind: Remind
    local: Local
    google: GoogleSettings
    config_path: Path | None = None  # the file these came from; None for built-in defaults

    @property
    def backend_name(self) -> str:
        """``local`` or ``google``: ``auto`` picks google when credentials or an endpoint are
        configured."""
        if self.backend != BACKEND_AUTO:
            return self.backend
        configured = self.google.credentials is not None or bool(self.google.endpoint)
        return BACKEND_GOOGLE if configured else BACKEND_LOCAL

    def require_roster(self) -> RosterSource:
        """The roster source, or a ConfigError telling the user how to give one (and, with no
        config file at all, where careerdocs looked for one)."""
        if self.roster.source is not None:
            return self.roster.source
        if self.config_path is None:
            looked = Path.cwd() / DEFAULT_CONFIG_FILE
            raise ConfigError(
                f"no config file found (looked for {looked}; neither --config nor "
                f"${CONFIG_ENV} is set)",
                [Problem("to write one", START_HINT)],
            )
        raise ConfigError(
            "no roster given",
            [Problem("roster.source", f"set it in {self.config_path} or give --roster")],
        )

    def with_roster(self, text: str, base_dir: Path) -> Settings:
        """These settings with the roster taken from ``text`` (a command-line override, so a
        relative path is taken from ``base_dir``, usually the working directory)."""
        try:
            source = parse_roster_source(text, base_dir)
        except _Invalid as error:
            raise ConfigError("invalid roster", [Problem("--roster", str(error))]) from None
        changed = dataclasses.replace(self, roster=dataclasses.replace(self.roster, source=source))
        _raise_if_any(_consistency_problems(changed), "invalid roster")
        return changed


# --- walking the schema ------------------------------------------------------------------------


def _is_section(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _choices(hint: Any) -> tuple[str, ...]:
    return get_args(hint) if get_origin(hint) is Literal else ()


def _type_problem(spec: _KeySpec, value: Any) -> str | None:
    expected = type(spec.default)
    if isinstance(value, bool) and expected is not bool:
        ok = False
    elif expected is float:
        ok = isinstance(value, (int, float))
    elif expected is list:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    else:
        ok = isinstance(value, expected)
    return None if ok else f"must be {_TYPE_NAMES[expected]}; got {value!r}"


def _range_problem(spec: _KeySpec, value: Any) -> str | None:
    if isinstance(value, list):
        return "must not be empty" if spec.minimum and len(value) < spec.minimum else None
    too_low = spec.minimum is not None and value < spec.minimum
    too_high = spec.maximum is not None and value > spec.maximum
    if not (too_low or too_high):
        return None
    if spec.maximum is None:
        return f"must be at least {spec.minimum}; got {value!r}"
    return f"must be between {spec.minimum} and {spec.maximum}; got {value!r}"


def _value(spec: _KeySpec, hint: Any, raw: Any, context: _Context) -> Any:
    """The typed value of one key, or raises _Invalid with the message for its path."""
    message = _type_problem(spec, raw) or _range_problem(spec, raw)
    choices = _choices(hint)
    if message is None and choices and isinstance(raw, str) and raw.strip().lower() in choices:
        raw = raw.strip().lower()  # "Reader" means reader: the choices are words, not codes
    if message is None and choices and raw not in choices:
        message = f"must be one of {', '.join(choices)}; got {raw!r}"
    if message is not None:
        raise _Invalid(message)
    if isinstance(raw, int) and type(spec.default) is float:
        raw = float(raw)
    return spec.convert(raw, context) if spec.convert else raw


def _unknown_key_problem(name: str, known: list[str], path: str) -> Problem:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return Problem(path, f"unknown key{hint}")


def _schema_fields(cls: type) -> dict[str, tuple[Any, _KeySpec | None]]:
    """The settings of a section: name → (type hint, key spec), a spec of None being a nested
    section. Fields that are neither (``config_path``) are not read from the file."""
    hints = get_type_hints(cls)
    schema: dict[str, tuple[Any, _KeySpec | None]] = {}
    for item in dataclasses.fields(cls):
        spec = item.metadata.get(_KEY_SPEC)
        if spec is not None or _is_section(hints[item.name]):
            schema[item.name] = (hints[item.name], spec)
    return schema


def config_keys(section: type = Settings, prefix: str = "") -> list[str]:
    """Every dotted key the config file accepts, in schema order (for docs and their tests)."""
    keys: list[str] = []
    for name, (hint, spec) in _schema_fields(section).items():
        keys += [prefix + name] if spec else config_keys(hint, f"{prefix}{name}.")
    return keys


def _build_section(
    cls: type, data: Any, path: str, context: _Context, problems: list[Problem]
) -> Any:
    if not isinstance(data, dict):
        problems.append(Problem(path, f"must be a table ([{path}]); got {data!r}"))
        data = {}
    return _build(cls, data, path + ".", context, problems)


def _build_key(
    spec: _KeySpec, hint: Any, raw: Any, path: str, context: _Context, problems: list[Problem]
) -> Any:
    """The typed value; a bad one is reported and replaced by the default, so the walk can go on
    and report every other problem too."""
    try:
        return _value(spec, hint, raw, context)
    except _Invalid as error:
        problems.append(Problem(path, str(error)))
        return _value(spec, hint, spec.default, context)


def _build(
    cls: type, data: Mapping[str, Any], prefix: str, context: _Context, problems: list[Problem]
) -> Any:
    """An instance of ``cls`` from ``data``, appending every problem found to ``problems``."""
    schema = _schema_fields(cls)
    for name in data:
        if name not in schema:
            problems.append(_unknown_key_problem(name, list(schema), prefix + name))
    values: dict[str, Any] = {}
    for name, (hint, spec) in schema.items():
        path = prefix + name
        if spec is None:
            values[name] = _build_section(hint, data.get(name, {}), path, context, problems)
        else:
            raw = data.get(name, spec.default)
            values[name] = _build_key(spec, hint, raw, path, context, problems)
    return cls(**values)


def _domain_problems(settings: Settings) -> list[Problem]:
    domains = settings.allowed_domains
    addresses = [
        ("google.admin", settings.google.admin),
        ("google.reader", settings.google.reader),
        ("notify.sender", settings.notify.sender),
    ]
    addresses += [("notify.senders", sender) for sender in settings.notify.senders]
    return [
        Problem(path, f"{email} is outside allowed_domains ({', '.join(domains)})")
        for path, email in addresses
        if email and email.rpartition("@")[2] not in domains
    ]


def _notify_problems(notify: Notify) -> list[Problem]:
    if notify.send_as == "senders" and not notify.senders:
        return [Problem("notify.senders", "must list at least one address when send_as is senders")]
    return []


def _google_problems(google: GoogleSettings) -> list[Problem]:
    problems: list[Problem] = []
    if not google.admin:
        problems.append(Problem("google.admin", "is required when the backend is google"))
    if google.destination == SHARED_DRIVE and not google.shared_drive_id:
        problems.append(
            Problem(
                "google.shared_drive_id", f"is required when google.destination is {SHARED_DRIVE}"
            )
        )
    if google.auth == OAUTH and google.destination != SHARED_DRIVE:
        problems.append(
            Problem(
                "google.destination",
                f"must be {SHARED_DRIVE} when google.auth is {OAUTH} "
                "(a user's own login cannot create files in other people's My Drive)",
            )
        )
    return problems


def _google_only_problems(settings: Settings) -> list[Problem]:
    """Sources that only the google backend can read, configured for another backend."""
    sources: list[tuple[str, object]] = [
        (f"templates.{name}", getattr(settings.templates, name))
        for name in ("igp", "tracker", "growth_sheet")
        if getattr(settings.templates, name).google_file_id
    ]
    roster = settings.roster.source
    if roster is not None and roster.is_sheet:
        sources.append(("roster.source", roster))
    return [
        Problem(path, f"{source} needs the google backend; the backend is {settings.backend_name}")
        for path, source in sources
    ]


def _consistency_problems(settings: Settings) -> list[Problem]:
    """Rules that tie keys together; each problem names the key to change."""
    common = _domain_problems(settings) + _notify_problems(settings.notify)
    if settings.backend_name == BACKEND_GOOGLE:
        return common + _google_problems(settings.google)
    return common + _google_only_problems(settings)


def _raise_if_any(problems: list[Problem], summary: str) -> None:
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ConfigError(f"{summary} ({count})", problems)


def parse_settings(data: Mapping[str, Any], base_dir: Path, *, origin: str = "") -> Settings:
    """Validate parsed TOML into :class:`Settings`; relative paths are taken from ``base_dir``.

    Pure: reads no files. Raises :class:`ConfigError` listing every problem, ``origin`` (the
    file name) in its summary.
    """
    problems: list[Problem] = []
    settings = _build(Settings, data, "", _Context(base_dir), problems)
    if not problems:
        problems = _consistency_problems(settings)
    _raise_if_any(problems, f"invalid config {origin}".strip())
    return settings


def _config_file(path: Path | None) -> Path | None:
    """The file to read: ``path``, else ``$CAREERDOCS_CONFIG``, else ``./careerdocs.toml`` if it
    exists, else None (built-in defaults). A file named explicitly must exist."""
    if path is not None:
        named, where = path, str(path)
    elif os.environ.get(CONFIG_ENV):
        named, where = Path(os.environ[CONFIG_ENV]), f"${CONFIG_ENV}"
    else:
        default = Path(DEFAULT_CONFIG_FILE)
        return default if default.is_file() else None
    if not named.is_file():
        raise ConfigError("config file not found", [Problem(where, f"no such file {named}")])
    return named


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        problem = Problem(str(path), error.strerror or str(error))
        raise ConfigError("cannot read config", [problem]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("config is not valid TOML", [Problem(str(path), str(error))]) from None
    except UnicodeDecodeError as error:
        raise ConfigError("config is not UTF-8 text", [Problem(str(path), str(error))]) from None


def load_settings(path: Path | None = None, *, roster_override: str | None = None) -> Settings:
    """Settings from ``path``, ``$CAREERDOCS_CONFIG`` or ``./careerdocs.toml``, in that order.

    With no config file at all the built-in defaults apply: the local backend, output in
    ``./careerdocs-output``, and no roster, which must then come from ``roster_override`` (the
    command line's ``--roster``, a relative path taken from the working directory).
    """
    file = _config_file(path)
    if file is None:
        settings = parse_settings({}, Path.cwd(), origin="(built-in defaults)")
    else:
        data = _read_toml(file)
        settings = parse_settings(data, file.resolve().parent, origin=str(file))
        settings = dataclasses.replace(settings, config_path=file.resolve())
    if roster_override is not None:
        settings = settings.with_roster(roster_override, Path.cwd())
    return settings
