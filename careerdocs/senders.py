"""Who careerdocs' emails come from, and how many each account may still send today.

Gmail limits each Workspace user to 15,000 quota units a minute (a send costs 100: 150 sends a
minute) and to 2,000 messages in any rolling 24 hours (google-api-facts.md, "Gmail sending
limits for Workspace"). One account sending for a whole company is bound by both: 2,000 people
take over 13 minutes of sending alone, and the 2,001st waits a day. So messages are spread:

* ``manager``: each person hears from their own manager (the service account impersonates the
  manager through domain-wide delegation, with the gmail.send scope); a message about other
  people (a manager's weekly digest) comes from the recipient's PBP instead, the People team
  who sign it, rather than from their own boss. The caller names that account (``prefer``). A
  manager sends a handful of messages, so no account comes near either limit. A message whose
  preferred account is outside the allowed domains, out of daily budget or not one Google will
  act as comes from the pool below.
* ``senders``: round-robin over the configured ``notify.senders`` (say people@, careers@),
  skipping those out of daily budget: N senders send N × 150 a minute and N × 2,000 a day.
* ``admin``: ``notify.sender``, else the google admin: one account, as before.
* ``auto`` (the default): ``manager`` where the credentials can send as anyone (a service
  account with domain-wide delegation; the local backend only writes files), else ``admin``
  (a user's own login can only send as itself).

The per-minute limit is the pacer's (per sender, in :mod:`careerdocs.workspace.google.pacer`);
the daily limit is this module's: every message sent is recorded in a :class:`SendLedger` kept
in a JSON file (``notify.ledger``), so the limit holds across runs, and :meth:`SenderPool.choose`
raises :class:`~careerdocs.errors.DailyLimitReached` (with when to resume) rather than pick an
account that has no budget left. The ledger only knows careerdocs' own messages: an account's
own mail counts against Gmail's limit too, so lower ``notify.daily_limit`` for accounts people
also use, or give careerdocs dedicated senders.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .config import BACKEND_LOCAL, OAUTH, Settings
from .errors import AccountUnreachable, ConfigError, DailyLimitReached, Problem, WorkspaceError
from .workspace.base import Email, Workspace

SEND_UNITS = 100  # Gmail quota units of one users.messages.send
DAY = timedelta(hours=24)  # Gmail's sending limit is over a rolling 24 hours
TICK = timedelta(microseconds=1)  # datetime's resolution
LEDGER_VERSION = 1
MANAGER, SENDERS, ADMIN, AUTO = "manager", "senders", "admin", "auto"
Now = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one is a programming error (whose clock?)."""
    if moment.tzinfo is None:
        raise ValueError(f"send times must carry a time zone; got {moment!r}")
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class SendLimits:
    """What one account may send: ``per_minute`` messages (the pacer enforces it) and
    ``per_day`` in any 24 hours (the pool enforces it). Defaults: Gmail's for Workspace."""

    per_minute: int = 150
    per_day: int = 2000

    @classmethod
    def from_settings(cls, settings: Settings) -> SendLimits:
        """The configured limits: the Gmail per-user quota (units a minute) in messages, and
        ``notify.daily_limit``."""
        units = settings.google.quotas.gmail_units_per_user
        return cls(per_minute=max(1, units // SEND_UNITS), per_day=settings.notify.daily_limit)


class SendLedger:
    """Every message sent in the last 24 hours, per sender (addresses lower-cased), kept sorted.

    Thread-safe. Persisted as JSON (``{"version": 1, "sent": {sender: [ISO times]}}``) with
    :meth:`save`, which writes the file whole and drops what is older than 24 hours."""

    def __init__(self, sent: Mapping[str, Iterable[datetime]] | None = None) -> None:
        self._sent: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()
        for sender, times in (sent or {}).items():
            for at in times:
                self.record(sender, at)

    @classmethod
    def load(cls, path: Path) -> SendLedger:
        """The ledger saved at ``path``; an empty one if there is no file yet. A file that
        cannot be read or is not a ledger is an error naming it: silently starting from zero
        could send past a limit Gmail then enforces for a day."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except (OSError, UnicodeDecodeError) as exc:
            raise _ledger_problem(path, str(exc)) from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _ledger_problem(path, f"not JSON ({exc})") from None
        sent = data.get("sent") if isinstance(data, dict) else None
        if not isinstance(data, dict) or data.get("version") != LEDGER_VERSION:
            raise _ledger_problem(path, f"not a version {LEDGER_VERSION} send ledger")
        if not isinstance(sent, dict):
            raise _ledger_problem(path, 'it has no "sent" table')
        ledger = cls()
        for sender, times in sent.items():
            if not isinstance(times, list):
                raise _ledger_problem(path, f"the entry for {sender} is not a list of times")
            for text_time in times:
                try:
                    ledger.record(str(sender), _parse_time(text_time))
                except (TypeError, ValueError):
                    raise _ledger_problem(path, f"{text_time!r} is not a UTC time") from None
        return ledger

    def save(self, path: Path, *, now: datetime | None = None) -> None:
        """Write the ledger to ``path`` atomically (a temporary file moved into place: a crash
        leaves the previous ledger whole), keeping only the 24 hours before ``now``."""
        since = window_start(_utc(now or utc_now()))
        with self._lock:
            sent = {
                sender: [at.isoformat() for at in times[bisect.bisect_left(times, since) :]]
                for sender, times in sorted(self._sent.items())
            }
        data = {"version": LEDGER_VERSION, "sent": {s: t for s, t in sent.items() if t}}
        path = Path(path)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise WorkspaceError(f"cannot save the send ledger {path}: {exc}") from None

    def record(self, sender: str, at: datetime) -> None:
        """One message sent by ``sender`` at ``at`` (aware). Entries more than 24 hours older
        than the newest are dropped as they can no longer count."""
        at = _utc(at)
        with self._lock:
            times = self._sent.setdefault(sender.lower(), [])
            bisect.insort(times, at)
            del times[: bisect.bisect_left(times, times[-1] - DAY)]

    def count(self, sender: str, since: datetime) -> int:
        """Messages ``sender`` sent at or after ``since``."""
        with self._lock:
            times = self._sent.get(sender.lower(), [])
            return len(times) - bisect.bisect_left(times, _utc(since))

    def times(self, sender: str, since: datetime) -> list[datetime]:
        """When ``sender`` sent each message at or after ``since``, oldest first."""
        with self._lock:
            times = self._sent.get(sender.lower(), [])
            return times[bisect.bisect_left(times, _utc(since)) :]

    def senders(self) -> list[str]:
        with self._lock:
            return sorted(sender for sender, times in self._sent.items() if times)


def _ledger_problem(path: Path, why: str) -> WorkspaceError:
    return WorkspaceError(
        f"cannot use the send ledger {path} (config notify.ledger): {why}. Move it aside to "
        "start counting afresh (Gmail still enforces its own limit)."
    )


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))  # "Z": Python 3.10
    return _utc(parsed)


def window_start(now: datetime) -> datetime:
    """The first moment whose messages still count at ``now``: a message counts for exactly
    24 hours, from the moment it is sent (inclusive) to 24 hours later (exclusive)."""
    return now - DAY + TICK


def resume_time(times: list[datetime], pending: int, now: datetime, per_day: int) -> datetime:
    """When an account that sent at ``times`` (the last 24 hours, oldest first) and has
    ``pending`` sends in flight (counted as sent ``now``) is back under ``per_day``: when
    enough of its oldest messages pass 24 hours. ``now`` if it is under already."""
    window = [*times, *([now] * pending)]
    over = len(window) - per_day
    if over < 0:
        return now
    return max(now, window[over] + DAY)


def resolve_send_as(settings: Settings, delegation: bool) -> str:
    """The mode a run sends in: ``notify.send_as``, with ``auto`` made concrete. Without
    ``delegation`` (a login that can only act as itself) only ``admin`` works; asking for
    another mode then is a config error, before anything is written."""
    wanted = settings.notify.send_as
    if wanted == AUTO:
        google = settings.backend_name != BACKEND_LOCAL
        return MANAGER if google and delegation else ADMIN
    if wanted != ADMIN and not delegation:
        raise ConfigError(
            "cannot send as others",
            [
                Problem(
                    "notify.send_as",
                    f'is "{wanted}", but the Google credentials act only as themselves (no '
                    'domain-wide delegation), so every email comes from them: set it to "admin" '
                    'or "auto", or use a service-account key with delegation of gmail.send',
                )
            ],
        )
    return wanted


def default_delegation(settings: Settings) -> bool:
    """Whether a run can send as any address, from the settings alone: the local backend
    writes files (any From is fine); on Google a service-account key can impersonate (My Drive
    mode requires it), a user's own login (``google.auth = "oauth"``) cannot. :func:`open_pool`
    asks the credentials themselves instead."""
    if settings.backend_name == BACKEND_LOCAL:
        return True
    return settings.google.auth != OAUTH


def workspace_delegation(settings: Settings, workspace: Workspace) -> bool:
    """Whether ``workspace`` can send as any address: the Google backend when its credentials
    can impersonate (read from the key file, not the config); the local backend always."""
    if getattr(workspace, "backend", "") != "google":
        return True
    credentials = getattr(getattr(workspace, "clients", None), "credentials", None)
    if credentials is None:
        return default_delegation(settings)
    return bool(credentials.can_impersonate)


def admin_sender(settings: Settings) -> str:
    """The one account of ``admin`` mode: ``notify.sender``, else the google admin, else a
    no-reply address in the first allowed domain (the local backend only writes files)."""
    return (
        settings.notify.sender
        or settings.google.admin
        or f"careerdocs@{settings.allowed_domains[0]}"
    )


class SenderPool:
    """Picks the From address of each message of a run, within each account's daily budget.

    Build one per run (:func:`open_pool` loads the ledger and asks the workspace whether it
    can send as others), call :meth:`choose` for each message and :meth:`sent` after each send
    (or :meth:`release` when it failed), and save the ledger at the end and on failure
    (``pool.ledger.save(path)``). Thread-safe: a choice counts against its sender at once, so
    concurrent workers never overrun a budget between choosing and sending."""

    def __init__(
        self,
        settings: Settings,
        ledger: SendLedger,
        *,
        now: Now,
        delegation: bool | None = None,
        limits: SendLimits | None = None,
        ledger_path: Path | None = None,
    ) -> None:
        self.settings = settings
        self.ledger_path = ledger_path
        self.ledger = ledger
        self.now = now
        self.delegation = default_delegation(settings) if delegation is None else delegation
        self.limits = limits or SendLimits.from_settings(settings)
        self.mode = resolve_send_as(settings, self.delegation)
        self.admin = admin_sender(settings)
        configured = list(settings.notify.senders)
        self.pool = configured if self.mode != ADMIN and configured else [self.admin]
        self._domains = tuple(d.lower() for d in settings.allowed_domains)
        self._next = 0
        self._pending: Counter[str] = Counter()
        self._unusable: dict[str, str] = {}
        self._refused: dict[str, datetime] = {}  # sender -> until when Gmail refuses them
        self._lock = threading.Lock()

    def describe(self) -> str:
        """Who sends, in words, and how much of its daily budget the busiest account has used
        (doctor)."""
        pool = ", ".join(self.pool)
        per = f"at most {self.limits.per_day:,} a day and {self.limits.per_minute} a minute each"
        since = window_start(_utc(self.now()))
        used = sorted(
            ((self.ledger.count(s, since), s) for s in self.ledger.senders()), reverse=True
        )
        if used:
            count, busiest = used[0]
            per += f"; busiest in the last 24 hours: {busiest}, {count:,} sent"
        if self.mode == MANAGER:
            return f"each person's manager (domain-wide delegation), else {pool}; {per}"
        if self.mode == SENDERS:
            return f"{pool}, in turn; {per}"
        why = "" if self.delegation else " (the credentials can only send as themselves)"
        return f"{self.admin}{why}; {per}"

    def candidates(self, prefer: str | None) -> list[str]:
        """The accounts that may send a message that should come from ``prefer`` (a manager,
        a PBP), in order of preference: ``prefer`` first in ``manager`` mode, then the pool in
        round-robin order, starting at the next in turn."""
        turn = self._next % len(self.pool)
        ordered = self.pool[turn:] + self.pool[:turn]
        first: list[str] = []
        if self.mode == MANAGER and prefer:
            address = prefer.strip().lower()
            if address.rpartition("@")[2] in self._domains:
                first = [address]
        return [c for c in dict.fromkeys(first + ordered) if c not in self._unusable]

    def choose(self, *, prefer: str | None) -> str:
        """The From address of one message that should come from ``prefer``: the first
        candidate (:meth:`candidates`) with daily budget left, counted against it at once.
        Raises :class:`DailyLimitReached` when none has budget, with the earliest time one
        will."""
        with self._lock:
            now = _utc(self.now())
            since = window_start(now)
            options = self.candidates(prefer)
            for sender in options:
                if self._refused.get(sender, now) > now:
                    continue
                if self.ledger.count(sender, since) + self._pending[sender] < self.limits.per_day:
                    if sender in self.pool:
                        self._next = self.pool.index(sender) + 1
                    self._pending[sender] += 1
                    return sender
            if not options:
                raise WorkspaceError("no account can send: " + "; ".join(self._unusable.values()))
            resume = min(
                max(
                    self._refused.get(s, now),
                    resume_time(
                        self.ledger.times(s, since), self._pending[s], now, self.limits.per_day
                    ),
                )
                for s in options
            )
            who = ", ".join(options)
            raise DailyLimitReached(
                resume,
                f"not emailed: {who} reached the limit of {self.limits.per_day:,} messages in "
                "24 hours",
            )

    def sent(self, sender: str, at: datetime) -> None:
        """A message chosen for ``sender`` was sent at ``at``: record it in the ledger."""
        with self._lock:
            self._forget(sender)
            self.ledger.record(sender, at)

    def release(self, sender: str) -> None:
        """A message chosen for ``sender`` was not sent: give its place back."""
        with self._lock:
            self._forget(sender)

    def refused(self, sender: str, until: datetime) -> None:
        """Gmail refuses ``sender`` until ``until`` (its own count is higher than the ledger's:
        mail sent by hand, or by another tool): choose others until then."""
        with self._lock:
            self._refused[sender.lower()] = _utc(until)

    def unusable(self, sender: str, why: str) -> None:
        """``sender`` cannot send in this run (Google will not act as them): never choose them
        again. The admin account is never set aside: without it nothing can be sent."""
        with self._lock:
            if sender.lower() != self.admin:
                self._unusable[sender.lower()] = f"{sender}: {why}"

    def save(self) -> None:
        """Save the ledger where :func:`open_pool` found it (nothing for a pool made without
        ``ledger_path``)."""
        if self.ledger_path is not None:
            self.ledger.save(self.ledger_path, now=_utc(self.now()))

    def _forget(self, sender: str) -> None:
        key = sender.lower()
        if self._pending[key] > 0:
            self._pending[key] -= 1

    def deliver(
        self,
        compose: Callable[[str], Email],
        send: Callable[[Email], None],
        *,
        prefer: str | None,
    ) -> Email:
        """Choose a sender, ``compose`` the message from them, ``send`` it and record it; the
        message sent is returned. When Google will not act as the chosen sender (no account for
        a manager's address, say) that sender is set aside for the run, and when Gmail refuses
        them for the day they are set aside until Gmail's time: either way the next candidate
        sends instead. Raises :class:`DailyLimitReached` (nothing sent) when nobody can."""
        while True:
            sender = self.choose(prefer=prefer)
            message = compose(sender)
            try:
                send(message)
            except AccountUnreachable as exc:
                self.release(sender)
                if sender == self.admin:
                    raise
                self.unusable(sender, exc.cause)
                continue
            except DailyLimitReached as exc:
                self.release(sender)
                self.refused(sender, exc.resume_at)
                continue
            except BaseException:
                self.release(sender)
                raise
            self.sent(sender, self.now())
            return message


def open_pool(settings: Settings, workspace: Workspace, *, now: Now = utc_now) -> SenderPool:
    """The pool of one run: the ledger from ``notify.ledger``, the mode for what the
    workspace's credentials can do. The caller calls :meth:`SenderPool.save` at the end of the
    run, and on failure. The local backend's messages are outbox files that someone sends from
    those accounts, so the same budgets and ledger apply."""
    return SenderPool(
        settings,
        SendLedger.load(settings.notify.ledger),
        now=now,
        delegation=workspace_delegation(settings, workspace),
        ledger_path=settings.notify.ledger,
    )


__all__ = [
    "DAY",
    "SEND_UNITS",
    "DailyLimitReached",
    "SendLedger",
    "SendLimits",
    "SenderPool",
    "admin_sender",
    "open_pool",
    "resolve_send_as",
    "resume_time",
]
