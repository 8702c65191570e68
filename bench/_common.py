"""Shared set-up for the benchmarks: a generated company, a sandbox seeded with it, config files.

The benchmarks print numbers; they are not tests. Everything runs on 127.0.0.1: the sandbox is
served in this process over real HTTP and the real google-auth, google-api-python-client and
gspread talk to it.

Time compression. The sandbox's ``time_scale`` makes a quota minute refill in ``60 / scale``
seconds. careerdocs paces itself to the same quotas with its own token buckets, which run on
``time.monotonic``; for the two to agree, :func:`open_google_workspace` gives careerdocs' pacer a
clock that runs ``scale`` times faster (and sleeps that much shorter), exactly what the sandbox
does to its buckets. Per-call latency and CPU are not compressed.
"""

from __future__ import annotations

import csv
import json
import random
import resource
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from googleapiclient.http import MediaFileUpload

from careerdocs.config import Settings, builtin_templates_dir, load_settings
from careerdocs.sandbox.oauth import new_private_key
from careerdocs.sandbox.server import Sandbox, SandboxOptions
from careerdocs.workspace.google.auth import CredentialFactory, load_key
from careerdocs.workspace.google.backend import GoogleOptions, GoogleWorkspace
from careerdocs.workspace.google.clients import Clients, resource as api_resource
from careerdocs.workspace.google.pacer import Pacer, limits_from_quotas

DOMAIN = "example.com"
TODAY = date(2026, 11, 26)  # every benchmark acts on this day, so statuses do not drift
FISCAL_YEAR_START_MONTH = 2
SEED = 7
CEO_INDEX = 1
ADMIN_INDEX = 2  # the Head of People: the google admin and everyone's fallback PBP
MIN_SPAN, MAX_SPAN = 3, 8  # direct reports per manager
NEW_HIRE_SHARE = 0.05  # started within the last 90 days: "not yet due"
NEW_HIRE_DAYS = 90
FIRST_START = date(2012, 1, 1)
DEPARTMENTS = (
    "Engineering",
    "Sales",
    "Customer Success",
    "Marketing",
    "Product",
    "Finance",
    "Operations",
)
PEOPLE_DEPARTMENT = "People"
LOCATIONS = ("London", "Lisbon", "Berlin", "Bengaluru", "Lagos", "Toronto", "Remote")
FIRST_NAMES = ("Ada", "Bilal", "Chen", "Dara", "Emeka", "Freya", "Goran", "Hana", "Inês", "Jonas")
LAST_NAMES = ("Okafor", "Mehta", "Duarte", "Nwosu", "Lambert", "O'Brien", "Schmidt", "Tanaka")
ROSTER_HEADER = (
    "Email",
    "Name",
    "Manager Email",
    "Start Date",
    "Title",
    "Department",
    "Location",
    "PBP",
)

GDOC_MIME = "application/vnd.google-apps.document"
GSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUILTIN_TEMPLATES = {
    "igp": ("igp.docx", GDOC_MIME, DOCX_MIME),
    "tracker": ("tracker.docx", GDOC_MIME, DOCX_MIME),
    "growth_sheet": ("growth-plan.xlsx", GSHEET_MIME, XLSX_MIME),
}
QUOTA_KEYS = (
    "drive_per_user",
    "drive_per_project",
    "sheets_read_per_user",
    "sheets_write_per_user",
    "sheets_read_per_project",
    "sheets_write_per_project",
    "docs_read_per_user",
    "docs_write_per_user",
    "docs_read_per_project",
    "docs_write_per_project",
    "gmail_units_per_user",
)
RATE_LIMITED = (403, 429)  # Drive/Gmail refuse with 403 usageLimits, Sheets/Docs with 429
SECONDS_PER_MINUTE = 60.0
DEFAULT_MAX_BACKOFF = 32.0


def person_email(index: int) -> str:
    """``person0001@example.com`` for index 1."""
    return f"person{index:04d}@{DOMAIN}"


def people_emails(count: int) -> list[str]:
    return [person_email(i) for i in range(1, count + 1)]


# -- the company ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One row of a generated roster."""

    email: str
    name: str
    manager: str
    start: date
    title: str
    department: str
    location: str
    pbp: str

    def row(self) -> list[str]:
        return [
            self.email,
            self.name,
            self.manager,
            self.start.isoformat(),
            self.title,
            self.department,
            self.location,
            self.pbp,
        ]


def management_tree(count: int, seed: int = SEED) -> list[Member]:
    """A company of ``count`` people shaped like a real one.

    person0001 is the CEO; person0002 heads People; the next few are PBPs reporting to them;
    then one head per department reporting to the CEO; everyone else is hired breadth-first under
    a manager with 3–8 direct reports, inheriting the manager's department and PBP. About 5% are
    new hires (within 90 days of :data:`TODAY`).
    """
    rng = random.Random(seed)
    members: list[Member] = []

    def add(manager: Member | None, title: str, department: str, pbp: str = "") -> Member:
        index = len(members) + 1
        if rng.random() < NEW_HIRE_SHARE:
            start = TODAY - timedelta(days=rng.randrange(NEW_HIRE_DAYS))
        else:
            start = FIRST_START + timedelta(days=rng.randrange((TODAY - FIRST_START).days))
        member = Member(
            email=person_email(index),
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {index}",
            manager=manager.email if manager else "",
            start=start,
            title=title,
            department=department,
            location=rng.choice(LOCATIONS),
            pbp=pbp or person_email(ADMIN_INDEX),
        )
        members.append(member)
        return member

    ceo = add(None, "Chief Executive Officer", "Executive")
    if count < ADMIN_INDEX:
        return members
    head_of_people = add(ceo, "Head of People", PEOPLE_DEPARTMENT)
    pbp_count = max(1, min(len(DEPARTMENTS), count // 60))
    pbps = [
        add(head_of_people, "People Business Partner", PEOPLE_DEPARTMENT)
        for _ in range(min(pbp_count, count - len(members)))
    ]
    pbps = pbps or [head_of_people]
    heads = [
        add(ceo, f"VP {dept}", dept, pbps[i % len(pbps)].email)
        for i, dept in enumerate(DEPARTMENTS[: count - len(members)])
    ]
    open_managers: list[tuple[Member, int]] = [(h, rng.randint(MIN_SPAN, MAX_SPAN)) for h in heads]
    while len(members) < count and open_managers:
        manager, span = open_managers.pop(0)
        for _ in range(min(span, count - len(members))):
            report = add(manager, _title(rng, manager), manager.department, manager.pbp)
            open_managers.append((report, rng.randint(MIN_SPAN, MAX_SPAN)))
    return members


def _title(rng: random.Random, manager: Member) -> str:
    if manager.title.startswith("VP"):
        return f"Director, {manager.department}"
    if manager.title.startswith("Director"):
        return f"{manager.department} Manager"
    return rng.choice(("Senior Specialist", "Specialist", "Associate", "Lead"))


def write_roster(path: Path, members: Sequence[Member]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(ROSTER_HEADER)
        writer.writerows(m.row() for m in members)
    return path


# -- the sandbox ---------------------------------------------------------------------------------


@cache
def signing_key() -> rsa.RSAPrivateKey:
    """One RSA key per benchmark process: key generation is the slow part of a sandbox."""
    return new_private_key()


@dataclass
class BenchSandbox:
    """A running sandbox, its service-account key, and real clients for impersonated users."""

    sandbox: Sandbox
    key: dict[str, Any]
    clients: Clients
    admin: str

    @property
    def endpoint(self) -> str:
        return self.sandbox.endpoint

    def stop(self) -> None:
        self.sandbox.stop()


def start_sandbox(users: Sequence[str], options: SandboxOptions | None = None) -> BenchSandbox:
    """A sandbox with ``users``; person0002 (the Head of People) is the admin."""
    sandbox = Sandbox(options)
    sandbox.start()
    for user in users:
        sandbox.add_user(user)
    key = sandbox.service_account_key(private_key=signing_key())
    clients = Clients(CredentialFactory(key), sandbox.endpoint)
    return BenchSandbox(sandbox, key, clients, person_email(ADMIN_INDEX))


@contextmanager
def running_sandbox(
    users: Sequence[str], options: SandboxOptions | None = None
) -> Iterator[BenchSandbox]:
    bench = start_sandbox(users, options)
    try:
        yield bench
    finally:
        bench.stop()


def upload_templates(bench: BenchSandbox) -> dict[str, str]:
    """The built-in templates as the organisation's own Google Doc/Sheet templates in the admin's
    Drive, readable by the whole domain: {"igp": file id, ...} for ``google:<id>`` config."""
    files = api_resource("drive", "files")
    permissions = api_resource("drive", "permissions")
    http = bench.clients.http(bench.admin)
    ids: dict[str, str] = {}
    for kind, (file_name, native, office) in BUILTIN_TEMPLATES.items():
        path = builtin_templates_dir() / file_name
        made = files.create(
            body={"name": path.stem, "mimeType": native},
            media_body=MediaFileUpload(str(path), mimetype=office),
            fields="id",
        ).execute(http=http)
        permissions.create(
            fileId=made["id"], body={"type": "domain", "domain": DOMAIN, "role": "reader"}
        ).execute(http=http)
        ids[kind] = made["id"]
    return ids


# -- config files --------------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_config(directory: Path, body: str) -> Path:
    path = directory / "careerdocs.toml"
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def local_config(directory: Path, roster: Path) -> Path:
    """A local-backend config writing into ``directory/out``."""
    return write_config(
        directory,
        f"""
        backend = "local"
        fiscal_year_start_month = {FISCAL_YEAR_START_MONTH}
        allowed_domains = [{_toml_string(DOMAIN)}]
        audit_log = "audit.jsonl"
        [roster]
        source = {_toml_string(str(roster))}
        [local]
        output_dir = "out"
        [rollup]
        lock_file = "rollup.lock"
        state_file = "rollup-state.json"
        """,
    )


def google_config(
    directory: Path,
    bench: BenchSandbox,
    roster: Path,
    *,
    templates: Mapping[str, str] | None = None,
    fill: str = "auto",
    max_backoff: float = DEFAULT_MAX_BACKOFF,
) -> Path:
    """A google-backend config pointing at ``bench``'s sandbox; ``templates`` maps kinds to
    Google file ids (the copy strategy), else the built-in files are uploaded (upload)."""
    key_file = directory / "key.json"
    key_file.write_text(json.dumps(bench.key), encoding="utf-8")
    template_lines = "\n".join(
        f"{kind} = {_toml_string('google:' + file_id)}"
        for kind, file_id in (templates or {}).items()
    )
    body = f"""
        backend = "google"
        fiscal_year_start_month = {FISCAL_YEAR_START_MONTH}
        allowed_domains = [{_toml_string(DOMAIN)}]
        audit_log = "audit.jsonl"
        [roster]
        source = {_toml_string(str(roster))}
        [rollup]
        lock_file = "rollup.lock"
        state_file = "rollup-state.json"
        [google]
        credentials = "key.json"
        admin = {_toml_string(bench.admin)}
        endpoint = {_toml_string(bench.endpoint)}
        fill = {_toml_string(fill)}
        max_backoff_seconds = {max_backoff}
        """
    return write_config(directory, textwrap.dedent(body) + "[templates]\n" + template_lines)


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"careerdocs-bench-{prefix}-") as name:
        yield Path(name)


# -- careerdocs on a compressed clock ------------------------------------------------------------


class ScaledClock:
    """Time that runs ``scale`` times faster than the wall clock, for careerdocs' pacer."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.origin = time.monotonic()

    def now(self) -> float:
        return self.origin + (time.monotonic() - self.origin) * self.scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.scale)


def open_google_workspace(settings: Settings, time_scale: float = 1.0) -> GoogleWorkspace:
    """What :func:`careerdocs.workspace.google.open_google` builds, with the pacer on a clock
    running ``time_scale`` times faster, to match a sandbox with the same ``time_scale``."""
    g = settings.google
    clock = ScaledClock(time_scale)
    pacer = Pacer(
        limits_from_quotas(asdict(g.quotas)),
        max_tries=g.max_tries,
        max_backoff=g.max_backoff_seconds,
        sleep=clock.sleep,
        clock=clock.now,
    )
    options = GoogleOptions(
        admin=g.admin,
        destination=g.destination,
        shared_drive_id=g.shared_drive_id,
        central_sheet_id=g.central_sheet_id,
        fill=g.fill,
    )
    credentials = CredentialFactory(load_key(g.credentials))
    return GoogleWorkspace(Clients(credentials, g.endpoint or None), pacer, options)


def settings_from(config: Path) -> Settings:
    return load_settings(config)


# -- measuring and printing ----------------------------------------------------------------------


@dataclass
class Timed:
    seconds: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Timed]:
    timed = Timed()
    start = time.perf_counter()
    try:
        yield timed
    finally:
        timed.seconds = time.perf_counter() - start


def calls_by_method(bench: BenchSandbox) -> Counter[str]:
    """Calls the sandbox answered, keyed "api method", whatever their status."""
    counts: Counter[str] = Counter()
    for row in bench.sandbox.counters.snapshot():
        counts[f"{row['api']} {row['method']}"] += row["count"]
    return counts


def rate_limited(bench: BenchSandbox) -> int:
    """Calls the sandbox refused for quota (each one is retried by careerdocs' pacer)."""
    return sum(bench.sandbox.counters.total(status=status) for status in RATE_LIMITED)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [len(h) for h in header]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    print(f"\n{title}")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def per_minute(count: float, seconds: float, time_scale: float = 1.0) -> float:
    """``count`` events in ``seconds`` of wall time, per modelled minute."""
    return count / (seconds * time_scale) * SECONDS_PER_MINUTE if seconds > 0 else 0.0


def quota_table(settings_quotas: Mapping[str, int]) -> dict[str, int]:
    return {k: settings_quotas[k] for k in QUOTA_KEYS}


Action = Callable[[], Any]
