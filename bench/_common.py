"""Shared set-up for the benchmarks: a generated company, a sandbox seeded with it, config files.

The benchmarks print numbers; they are not tests. Everything runs on 127.0.0.1: the sandbox is
served over real HTTP, by default from a child process (so its CPU is not counted as careerdocs'
CPU, as Google's would not be), and the real google-auth, google-api-python-client and gspread
talk to it through careerdocs' own transports.

Time compression. The sandbox's ``time_scale`` makes a quota minute refill in ``60 / scale``
seconds. careerdocs paces itself to the same quotas with its own token buckets, which run on
``time.monotonic``; for the two to agree, :func:`open_google_workspace` gives careerdocs' pacer a
clock that runs ``scale`` times faster (and sleeps that much shorter), exactly what the sandbox
does to its buckets. Per-call latency and CPU are not compressed.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from googleapiclient.http import MediaFileUpload

from careerdocs import provision, rollup
from careerdocs.audit import AuditLog
from careerdocs.cadence import fiscal_year
from careerdocs.cli import load_roster
from careerdocs.config import Settings, builtin_templates_dir
from careerdocs.lock import exclusive
from careerdocs.sandbox.oauth import new_private_key
from careerdocs.sandbox.quotas import DEFAULT_LIMITS, GMAIL_DEFAULT_UNITS, ScaledClock
from careerdocs.sandbox.quotas import SHARED_POOLS as QUOTA_POOLS
from careerdocs.sandbox.server import ADMIN_PREFIX, Sandbox, SandboxOptions
from careerdocs.workspace.base import Workspace
from careerdocs.workspace.google.auth import CredentialFactory, load_key
from careerdocs.workspace.google.backend import GoogleOptions, GoogleWorkspace
from careerdocs.workspace.google.clients import Clients
from careerdocs.workspace.google.clients import resource as api_resource
from careerdocs.workspace.google.pacer import Pacer, limits_from_quotas

DOMAIN = "example.com"
TODAY = date(2026, 11, 26)  # every benchmark acts on this day, so statuses do not drift
FISCAL_YEAR_START_MONTH = 2
SEED = 7
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
RATE_LIMITED = (403, 429)  # Drive/Gmail refuse with 403 usageLimits, Sheets/Docs with 429
GMAIL = "gmail"
# Gmail quota units per call, by the sandbox's counter name (google-api-facts.md §1: a send
# costs 100 units of the 15,000 per user per minute).
GMAIL_UNITS = {"users.messages.send": 100}
SECONDS_PER_MINUTE = 60.0
SERVE_FLAG = "--serve-sandbox"
CHILD_STOP_SECONDS = 10
CHILD_DONE = "ok"
PROC_UTIME, PROC_STIME = 11, 12  # in /proc/<pid>/stat, counted after the ")" of the name
PEAK, CURRENT = "VmHWM:", "VmRSS:"  # in /proc/<pid>/status: peak and current RSS, in kB
PROC_SELF_STATUS = "/proc/self/status"
KB_PER_MB = 1024.0
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


@dataclass(frozen=True)
class SandboxSpec:
    """How to run a sandbox: the :class:`SandboxOptions` a benchmark varies, and where.

    ``separate`` serves it from a child process, so its CPU is not careerdocs' CPU (real Google's
    servers are not on the caller's machine either) and both cores are used; ``False`` serves it
    in this process, as the tests do.
    """

    quotas: str = "off"
    time_scale: float = 1.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    separate: bool = True
    # "api method" -> (latency ms, jitter ms), overriding the two above for that method
    method_latency_ms: Mapping[str, Sequence[float]] = field(default_factory=dict)

    def options(self) -> SandboxOptions:
        return SandboxOptions(
            quotas=self.quotas,
            time_scale=self.time_scale,
            latency_ms=self.latency_ms,
            jitter_ms=self.jitter_ms,
            method_latency_ms=_method_latency(self.method_latency_ms),
        )

    def describe(self) -> str:
        parts = [f"quotas {self.quotas}"]
        if self.quotas != "off":
            parts.append(f"time_scale {self.time_scale:g}")
        if self.latency_ms or self.jitter_ms:
            parts.append(f"latency {self.latency_ms:g}+{self.jitter_ms:g} ms")
        if self.method_latency_ms:
            parts.append(f"latency per method for {len(self.method_latency_ms)} methods")
        parts.append("sandbox in a child process" if self.separate else "sandbox in-process")
        return ", ".join(parts)


def _method_latency(table: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, float]]:
    return {method: (float(ms), float(jitter)) for method, (ms, jitter) in table.items()}


@cache
def signing_key() -> rsa.RSAPrivateKey:
    """One RSA key per benchmark process: key generation is the slow part of a sandbox."""
    return new_private_key()


class BenchSandbox:
    """A running sandbox (in this process or a child), its key, and real clients.

    Counters come from :class:`careerdocs.sandbox.counters.Counters` in-process, or from the
    sandbox's ``/_sandbox/counters`` admin endpoint when it runs in a child.
    """

    def __init__(
        self,
        endpoint: str,
        key: dict[str, Any],
        *,
        sandbox: Sandbox | None = None,
        child: subprocess.Popen[str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.key = key
        self.sandbox = sandbox
        self.child = child
        self.admin = person_email(ADMIN_INDEX)
        self.clients = Clients(CredentialFactory(key), endpoint)
        self._admin_session = requests.Session()

    def snapshot(self) -> list[dict[str, Any]]:
        """Every (api, method, user, status) counter with its count."""
        if self.sandbox is not None:
            return self.sandbox.counters.snapshot()
        answer = self._admin_session.get(self.endpoint + ADMIN_PREFIX + "counters", timeout=60)
        answer.raise_for_status()
        return answer.json()["counters"]

    def cpu_seconds(self) -> float | None:
        """CPU time the sandbox's process has used so far (None when it is this process)."""
        if self.child is None:
            return None
        stat = Path(f"/proc/{self.child.pid}/stat").read_text(encoding="ascii")
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[PROC_UTIME]) + int(fields[PROC_STIME])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float | None:
        """The sandbox process's peak resident set (None when it is this process)."""
        if self.child is None:
            return None
        return _status_kb(Path(f"/proc/{self.child.pid}/status"), PEAK) / KB_PER_MB

    def configure_quotas(self, mode: str, time_scale: float = 1.0) -> None:
        """Switch quotas ("off" or "google"); every bucket starts full again."""
        if self.sandbox is not None:
            self.sandbox.configure_quotas(mode, time_scale)
            return
        self._command({"quotas": mode, "time_scale": time_scale})

    def configure_latency(
        self,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        method_latency_ms: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        """Switch the added per-call latency (for instance off for an untimed set-up)."""
        latency = {
            "latency_ms": latency_ms,
            "jitter_ms": jitter_ms,
            "method_latency_ms": _method_latency(method_latency_ms or {}),
        }
        if self.sandbox is not None:
            _set_latency(self.sandbox, latency)
            return
        self._command({"latency": latency})

    def _command(self, command: Mapping[str, Any]) -> None:
        assert self.child is not None and self.child.stdin and self.child.stdout
        self.child.stdin.write(json.dumps(command) + "\n")
        self.child.stdin.flush()
        if self.child.stdout.readline().strip() != CHILD_DONE:
            raise RuntimeError(f"the sandbox child did not carry out {sorted(command)}")

    def reset_counters(self) -> None:
        if self.sandbox is not None:
            self.sandbox.counters.reset()
            return
        self._admin_session.post(
            self.endpoint + ADMIN_PREFIX + "counters/reset", timeout=60
        ).raise_for_status()

    def stop(self) -> None:
        self._admin_session.close()
        if self.sandbox is not None:
            self.sandbox.stop()
        if self.child is not None:
            assert self.child.stdin is not None
            self.child.stdin.close()  # the child stops its sandbox at end of input
            try:
                self.child.wait(timeout=CHILD_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()


def start_sandbox(users: Sequence[str], spec: SandboxSpec | None = None) -> BenchSandbox:
    """A sandbox knowing ``users``; person0002 (the Head of People) is the admin."""
    spec = spec or SandboxSpec()
    if spec.separate:
        return _start_child(users, spec)
    sandbox = Sandbox(spec.options())
    sandbox.start()
    for user in users:
        sandbox.add_user(user)
    key = sandbox.service_account_key(private_key=signing_key())
    return BenchSandbox(sandbox.endpoint, key, sandbox=sandbox)


def _start_child(users: Sequence[str], spec: SandboxSpec) -> BenchSandbox:
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), SERVE_FLAG],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    request = {"options": asdict(spec), "users": list(users)}
    child.stdin.write(json.dumps(request) + "\n")
    child.stdin.flush()
    line = child.stdout.readline()
    if not line:
        child.wait()
        raise RuntimeError(f"the sandbox child exited with {child.returncode} before serving")
    ready = json.loads(line)
    return BenchSandbox(ready["endpoint"], ready["key"], child=child)


def _serve_child() -> None:
    """The child's side: read a spec, serve, switch quotas when asked, stop when standard input
    closes."""
    request = json.loads(sys.stdin.readline())
    spec = SandboxSpec(**request["options"])
    sandbox = Sandbox(spec.options())
    sandbox.start()
    for user in request["users"]:
        sandbox.add_user(user)
    key = sandbox.service_account_key()
    print(json.dumps({"endpoint": sandbox.endpoint, "key": key}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if "quotas" in command:
            sandbox.configure_quotas(command["quotas"], command["time_scale"])
        if "latency" in command:
            _set_latency(sandbox, command["latency"])
        print(CHILD_DONE, flush=True)
    sandbox.stop()


def _set_latency(sandbox: Sandbox, latency: Mapping[str, Any]) -> None:
    """The sandbox reads its options on every call, so a change applies to the next call."""
    sandbox.options.latency_ms = latency["latency_ms"]
    sandbox.options.jitter_ms = latency["jitter_ms"]
    sandbox.options.method_latency_ms = _method_latency(latency["method_latency_ms"])


@contextmanager
def running_sandbox(
    users: Sequence[str], spec: SandboxSpec | None = None
) -> Iterator[BenchSandbox]:
    bench = start_sandbox(users, spec)
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


def open_google_workspace(
    settings: Settings, time_scale: float = 1.0, *, paced: bool = True
) -> GoogleWorkspace:
    """What :func:`careerdocs.workspace.google.open_google` builds, with the pacer on a clock
    running ``time_scale`` times faster, to match a sandbox with the same ``time_scale``.

    careerdocs paces itself to Google's quotas whatever the sandbox does; ``paced=False`` turns
    that off too, for runs that measure CPU cost rather than quotas, and for set-up."""
    g = settings.google
    clock = ScaledClock(time_scale)
    pacer = Pacer(
        limits_from_quotas(asdict(g.quotas)) if paced else {},
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


# -- careerdocs runs, as the CLI makes them --------------------------------------------------------


def provision_all(
    settings: Settings, workspace: Workspace, workers: int, *, notify: bool = True
) -> provision.Result:
    """What ``careerdocs provision --workers N`` does, without the printing."""
    roster = load_roster(settings, workspace)
    the_plan = provision.prepare(settings, workspace, roster, today=TODAY, notify=notify)
    return provision.apply(
        the_plan,
        workspace,
        settings,
        roster,
        today=TODAY,
        audit=AuditLog(settings.audit_log, "provision"),
        workers=workers,
    )


def rollup_once(settings: Settings, workspace: Workspace, *, full: bool) -> rollup.RollupResult:
    """What ``careerdocs rollup [--full]`` does, without the printing."""
    with exclusive(settings.rollup.lock_file, "rollup"):
        roster = load_roster(settings, workspace)
        return rollup.run(
            workspace,
            roster,
            fy=fiscal_year(TODAY, settings.fiscal_year_start_month),
            today=TODAY,
            now=datetime.now(timezone.utc),
            state_path=settings.rollup.state_file,
            deadline=settings.rollup.deadline,
            full=full,
            audit=AuditLog(settings.audit_log, "rollup"),
        )


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


def calls_by_method(snapshot: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """Calls the sandbox answered, keyed "api method", whatever their status."""
    counts: Counter[str] = Counter()
    for row in snapshot:
        counts[f"{row['api']} {row['method']}"] += row["count"]
    return counts


def rate_limited(snapshot: Sequence[Mapping[str, Any]]) -> int:
    """Calls the sandbox refused for quota (careerdocs' pacer retries each one)."""
    return sum(row["count"] for row in snapshot if row["status"] in RATE_LIMITED)


@cache
def route_kinds() -> dict[tuple[str, str], str]:
    """(api, method) -> "read" | "write", as the sandbox charges its quotas."""
    return {(r.api, r.name): r.kind for r in Sandbox().router.routes}


@dataclass(frozen=True)
class QuotaUse:
    """One quota bucket's use in a run, against Google's per-minute limits."""

    bucket: str  # e.g. "sheets write", "drive all" (Drive reads and writes share one pool)
    project_use: float
    project_limit: int
    busiest_user: str
    user_use: float
    user_limit: int

    @property
    def minutes(self) -> float:
        """Modelled minutes this bucket needs at least, in the steady state (the one-minute
        burst of a full bucket ignored): the bound for long runs."""
        return max(self.project_use / self.project_limit, self.user_use / self.user_limit)

    @property
    def floor_minutes(self) -> float:
        """Modelled minutes a run needs at least when every bucket starts full (a full bucket
        holds one minute's worth): the bound for a short run such as one rollup."""
        return max(
            self.project_use / self.project_limit - 1, self.user_use / self.user_limit - 1, 0.0
        )

    @property
    def binding(self) -> str:
        if self.user_use / self.user_limit > self.project_use / self.project_limit:
            return f"per user ({self.busiest_user})"
        return "per project"


def quota_use(snapshot: Sequence[Mapping[str, Any]]) -> list[QuotaUse]:
    """Each quota bucket the served calls drew on, the most constraining first."""
    kinds = route_kinds()
    project: Counter[str] = Counter()
    users: dict[str, Counter[str]] = {}
    limits: dict[str, tuple[int, int]] = {}
    for row in snapshot:
        kind = kinds.get((row["api"], row["method"]))
        if kind is None or (row["api"], kind) not in DEFAULT_LIMITS or row["status"] >= 400:
            continue
        api = row["api"]
        cost = GMAIL_UNITS.get(row["method"], GMAIL_DEFAULT_UNITS) if api == GMAIL else 1
        bucket = f"{api} {QUOTA_POOLS.get(api, kind)}"
        limits[bucket] = DEFAULT_LIMITS[(api, kind)]
        project[bucket] += cost * row["count"]
        users.setdefault(bucket, Counter())[row["user"]] += cost * row["count"]
    out = []
    for bucket, used in project.items():
        per_user, per_project = limits[bucket]
        user, user_used = users[bucket].most_common(1)[0]
        out.append(QuotaUse(bucket, used, per_project, user, user_used, per_user))
    return sorted(out, key=lambda q: q.minutes, reverse=True)


def rss_mb() -> float:
    """This process's resident set now."""
    return _status_kb(Path(PROC_SELF_STATUS), CURRENT) / KB_PER_MB


def peak_rss_mb() -> float:
    """This process's peak resident set so far. From /proc, not getrusage: Linux carries a
    parent's ru_maxrss over into a child it spawns, so a child's own peak would be hidden."""
    return _status_kb(Path(PROC_SELF_STATUS), PEAK) / KB_PER_MB


def _status_kb(status: Path, field: str) -> int:
    lines = status.read_text(encoding="ascii").splitlines()
    return int(next(line.split()[1] for line in lines if line.startswith(field)))


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


if __name__ == "__main__" and sys.argv[1:] == [SERVE_FLAG]:
    _serve_child()
