"""Shared fixtures. The Google path runs against an in-process sandbox over real HTTP, with the
real google-auth, google-api-python-client and gspread; nothing here reaches Google."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from careerdocs.audit import AuditLog
from careerdocs.sandbox.oauth import new_private_key
from careerdocs.sandbox.server import Sandbox, SandboxOptions
from careerdocs.workspace.google.auth import CredentialFactory
from careerdocs.workspace.google.clients import Clients, service

DOMAIN = "example.com"
ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
PBP = "pbp@example.com"
USERS = (ALICE, BOB, CAROL, PBP)


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    """One RSA key per test session (generated here, never stored): keygen is the slow part."""
    return new_private_key()


@dataclass
class SandboxKit:
    """A running sandbox plus real clients for any impersonated user.

    ``kit.drive.files().list(...).execute(http=kit.http(ALICE))`` runs as Alice;
    ``kit.gspread(BOB)`` is a gspread client acting as Bob.
    """

    sandbox: Sandbox
    key: dict[str, Any]
    clients: Clients

    @property
    def endpoint(self) -> str:
        return self.sandbox.endpoint

    @property
    def store(self) -> Any:
        return self.sandbox.store

    @property
    def counters(self) -> Any:
        return self.sandbox.counters

    def http(self, user: str | None) -> Any:
        return self.clients.http(user)

    def session(self, user: str | None) -> Any:
        return self.clients.session(user)

    def gspread(self, user: str | None) -> Any:
        return self.clients.gspread(user)

    drive = property(lambda self: service("drive"))
    docs = property(lambda self: service("docs"))
    sheets = property(lambda self: service("sheets"))
    gmail = property(lambda self: service("gmail"))


def make_kit(
    signing_key: rsa.RSAPrivateKey,
    options: SandboxOptions | None = None,
    users: tuple[str, ...] = USERS,
) -> SandboxKit:
    sandbox = Sandbox(options)
    sandbox.start()
    for user in users:
        sandbox.add_user(user)
    key = sandbox.service_account_key(private_key=signing_key)
    return SandboxKit(sandbox, key, Clients(CredentialFactory(key), sandbox.endpoint))


@pytest.fixture
def sandbox(signing_key: rsa.RSAPrivateKey) -> Iterator[SandboxKit]:
    """A fresh sandbox with users alice, bob, carol and pbp @example.com, and a key for them."""
    kit = make_kit(signing_key)
    try:
        yield kit
    finally:
        kit.sandbox.stop()


@pytest.fixture
def sandbox_factory(signing_key: rsa.RSAPrivateKey) -> Iterator[Any]:
    """Make sandboxes with options (quotas, faults, latency, state dir, token TTL)."""
    made: list[SandboxKit] = []

    def factory(
        options: SandboxOptions | None = None, users: tuple[str, ...] = USERS
    ) -> SandboxKit:
        kit = make_kit(signing_key, options, users)
        made.append(kit)
        return kit

    yield factory
    for kit in made:
        kit.sandbox.stop()


EXAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "config" / "example-roster.csv"
SANDBOX_ADMIN = "ines.duarte@example.com"


def roster_users(path: Path = EXAMPLE_ROSTER) -> tuple[str, ...]:
    """Every address in a roster CSV's email, manager and PBP columns."""
    from careerdocs.roster import read_csv, roster_emails

    return tuple(roster_emails(*read_csv(path)))


def talk(
    day: Any,
    kind: str = "career",
    *,
    acknowledged: Any = True,
    escalation: Any = False,
    notes: str = "",
) -> list[Any]:
    """One Conversations row: Date, With whom, Type, Notes, Acknowledged, Escalation."""
    return [day, "their manager", kind, notes, acknowledged, escalation]


LOCAL_CONFIG = """
    backend = "local"
    allowed_domains = ["example.com"]
    audit_log = "audit.jsonl"
    [roster]
    source = "roster.csv"
    [local]
    output_dir = "out"
    [rollup]
    lock_file = "rollup.lock"
    state_file = "rollup-state.json"
"""


def write_config(directory: Path, body: str) -> Path:
    """A config file in ``directory``; relative paths in it resolve against ``directory``."""
    path = directory / "careerdocs.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def local_config(tmp_path: Path) -> Path:
    """A local-backend config over a copy of the example roster, writing into tmp_path/out."""
    shutil.copy(EXAMPLE_ROSTER, tmp_path / "roster.csv")
    return write_config(tmp_path, LOCAL_CONFIG)


@dataclass
class GoogleSetup:
    """A sandbox seeded with the example roster's users and a config file pointing at it."""

    kit: SandboxKit
    config: Path
    admin: str = SANDBOX_ADMIN


def google_config_text(endpoint: str, *, reader: str = "", admin: str = SANDBOX_ADMIN) -> str:
    """The google config every sandbox test starts from (``SANDBOX_ADMIN`` as admin, the example
    files' names); ``reader`` sets ``google.reader``. It ends inside ``[google]``: a test may
    add keys of that table, then tables of its own."""
    reader_line = f'reader = "{reader}"\n' if reader else ""
    return (
        textwrap.dedent(
            """
        backend = "google"
        allowed_domains = ["example.com"]
        audit_log = "audit.jsonl"
        [roster]
        source = "roster.csv"
        [rollup]
        lock_file = "rollup.lock"
        state_file = "rollup-state.json"
        [google]
        credentials = "key.json"
        """
        )
        + f'admin = "{admin}"\n{reader_line}endpoint = "{endpoint}"\n'
    )


def write_google_config(directory: Path, kit: SandboxKit) -> Path:
    """The example roster, the kit's key and :func:`google_config_text` in ``directory``: the
    ``google_setup`` fixture's files, for a sandbox made with other options."""
    (directory / "key.json").write_text(json.dumps(kit.key), encoding="utf-8")
    shutil.copy(EXAMPLE_ROSTER, directory / "roster.csv")
    return write_config(directory, google_config_text(kit.endpoint))


@pytest.fixture
def google_setup(tmp_path: Path, signing_key: rsa.RSAPrivateKey) -> Iterator[GoogleSetup]:
    kit = make_kit(signing_key, users=roster_users())
    config = write_google_config(tmp_path, kit)
    try:
        yield GoogleSetup(kit, config)
    finally:
        kit.sandbox.stop()


# -- deterministic kills ---------------------------------------------------------------------


class Killed(BaseException):
    """A simulated kill -9 at a chosen point. Not an Exception, so nothing in careerdocs catches
    it: the run stops exactly there, as a killed process would (only ``finally`` blocks run,
    which is what the OS does for the locks and open files of a dead process)."""


class KillingAuditLog(AuditLog):
    """An audit log that kills the run just before writing its ``kill_at``-th event (1-based).

    Every write careerdocs makes is followed by its audit event, so killing at event N for
    each N from 1 to the number of events of an uninterrupted run stops the run once after
    every step (the step done, its event not yet written)."""

    def __init__(self, path: Path | None, command: str, *, kill_at: int | None = None) -> None:
        super().__init__(path, command)
        self.kill_at = kill_at
        self.count = 0

    def record(self, action: str, **fields: Any) -> None:
        self.count += 1
        if self.count == self.kill_at:
            raise Killed(f"killed before audit event {self.count} ({action})")
        super().record(action, **fields)


@dataclass
class KillSwitch:
    """Arms a kill in the next careerdocs CLI run (patched in by the ``kill_switch`` fixture).

    ``at_event(n)``: before the run's n-th audit event (any backend). ``after_document(n)``:
    right after the n-th local document lands on disk and before its marker records it. A kill
    fires once, then the switch is disarmed, so the next run is the re-run."""

    event: int | None = None
    document: int | None = None
    documents_written: int = 0

    def at_event(self, n: int) -> None:
        self.event, self.document = n, None

    def after_document(self, n: int) -> None:
        self.event, self.document, self.documents_written = None, n, 0

    def audit_log(self, path: Path | None, command: str) -> KillingAuditLog:
        kill_at, self.event = self.event, None
        return KillingAuditLog(path, command, kill_at=kill_at)

    def document_written(self, _path: Path) -> None:
        self.documents_written += 1
        if self.document is not None and self.documents_written == self.document:
            self.document = None
            raise Killed(f"killed after document {self.documents_written} landed")


@pytest.fixture
def kill_switch(monkeypatch: pytest.MonkeyPatch) -> KillSwitch:
    """A :class:`KillSwitch` wired into the CLI's audit log and the local backend."""
    from careerdocs import cli
    from careerdocs.workspace.local import LocalWorkspace

    switch = KillSwitch()
    monkeypatch.setattr(cli, "AuditLog", switch.audit_log)
    monkeypatch.setattr(
        LocalWorkspace, "after_document_write", staticmethod(switch.document_written)
    )
    return switch


def audit_events(path: Path) -> list[dict[str, Any]]:
    """Every event of an audit log, oldest first ([] if there is none)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
