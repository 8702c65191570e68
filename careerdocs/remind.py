"""remind: the right nudge to the right person, once — and a weekly digest for each manager.

One run, safe to repeat from cron every day:

1. everyone's conversations and status come from :func:`careerdocs.rollup.gather`, the same
   code and the same :mod:`careerdocs.cadence` rules as ``rollup`` and ``status``;
2. :func:`careerdocs.nudges.plan` (pure rules, no I/O) says who gets which message today,
   leaving out everything the run state shows as already sent;
3. each :class:`~careerdocs.nudges.Nudge` is rendered from ``<kind>.txt`` (a ``Subject:`` line,
   a blank line, the plain text) and ``<kind>.html`` (the same message as HTML), all before the
   first send, so a broken template stops the run with nothing sent;
4. the From address comes from the run's :class:`~careerdocs.senders.SenderPool` (the
   recipient's manager, for a digest their PBP (:func:`preferred_sender`), a pool of senders,
   or the admin, per ``notify.send_as``), the message goes
   out through :meth:`Workspace.send_email` (the local backend writes the outbox folder), and it
   is recorded in the :class:`~careerdocs.nudges.SentLog` right after its send.

The run state (``remind.state_file``) is the SentLog, written whole (a temporary file moved into
place). Between two saves, every send is also appended to a journal next to it and the file
synced, so a run killed after a send still knows it happened; the next run folds the journal in.
A sender out of its daily Gmail quota stops the run cleanly: what was sent is recorded, the
sender ledger saved, and :class:`~careerdocs.senders.DailyLimitReached` says when to resume.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from . import fields, rollup
from .audit import NO_AUDIT, AuditLog
from .cadence import FiscalYear, fiscal_year
from .config import Settings
from .errors import ConfigError, InvalidInput, Problem, TemplateError, WorkspaceError
from .nudges import Kind, Nudge, PersonState, Policy, SentLog, long_date, plan
from .roster import Person, Roster
from .senders import DailyLimitReached, SenderPool, open_pool
from .workspace.base import ArtifactKind, Email, Workspace

log = logging.getLogger(__name__)

STATE_VERSION = 1
JOURNAL_SUFFIX = ".journal"
TEXT_SUFFIX = ".txt"
HTML_SUFFIX = ".html"
TEMPLATES_SETTING = "remind.templates"
# PersonState.links: what a person's reminder and a digest link to.
STATE_LINKS = (
    ("igp", ArtifactKind.IGP),
    ("tracker", ArtifactKind.TRACKER),
    ("growth_sheet", ArtifactKind.GROWTH_SHEET),
)


# -- settings -> rules --------------------------------------------------------------------------


def policy(settings: Settings) -> Policy:
    """The rules' :class:`Policy` from the config's ``[remind]`` section. Settings that are
    each valid but contradict each other (digests on a Saturday with quiet weekends) are a
    :class:`ConfigError` naming the key to change."""
    r = settings.remind
    try:
        return Policy(
            kinds=frozenset(Kind(k) for k in r.kinds),
            min_days_between=r.min_days_between,
            quiet_weekends=r.quiet_weekends,
            holidays=frozenset(r.holidays),
            weekly_on=r.weekday,
            new_hire_soon_days=r.new_hire_soon_days,
            acknowledge_after_days=r.acknowledge_after_days,
        )
    except ValueError as exc:
        where, _, message = str(exc).partition(" ")
        raise ConfigError(
            f"invalid config {settings.config_path or ''}".strip(),
            [Problem(where if where.startswith("remind.") else "remind", message or str(exc))],
        ) from None


def person_states(outcomes: Iterable[rollup.Outcome]) -> list[PersonState]:
    """What rollup computed for each person, as the rules take it. A sheet that could not be
    read, or whose acknowledgements cannot be trusted, is the person's ``problem``."""
    states = []
    for o in outcomes:
        # Every key, "" for a document not made yet: a template tests ``links.igp`` as it
        # tests any other value.
        links = {
            key: artifact.url if (artifact := o.artifacts.get(kind)) is not None else ""
            for key, kind in STATE_LINKS
        }
        states.append(
            PersonState(
                person=o.person,
                status=o.status.status,
                conversations=tuple(o.conversations),
                escalation=o.status.escalation,
                links=links,
                problem=_problem(o),
            )
        )
    return states


def _problem(o: rollup.Outcome) -> str | None:
    """Why a person's conversations may be incomplete: an untrusted or unreadable sheet, or rows
    that could not be read (the rules then send them nothing and tell their manager and PBP)."""
    rows = "; ".join(str(p) for p in o.status.problems)
    return o.untrusted or o.read_error or (f"rows that cannot be read: {rows}" if rows else None)


def quiet_day(settings: Settings, the_policy: Policy, today: date) -> str | None:
    """Why nothing goes out today, in words, when the rules make it a quiet day
    (:meth:`Policy.is_quiet` decides; this only explains an empty day to the reader)."""
    if not the_policy.is_quiet(today):
        return None
    if today in settings.remind.holidays:
        return f"{today.isoformat()} is in remind.holidays"
    return f"{today:%A} and remind.quiet_weekends is on"


# -- the run state ------------------------------------------------------------------------------


def load_sent(path: Path) -> SentLog:
    """The SentLog of every earlier run: the state file, plus any journal a killed run left.

    A missing file is an empty log (the first run). A damaged one is an error, not an empty
    log: starting over would send every reminder again."""
    log_ = SentLog()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = None
    except (OSError, ValueError) as exc:
        raise WorkspaceError(
            f"cannot read the remind state {path}: {exc}; repair it or move it away "
            "(without it, reminders already sent would be sent again)"
        ) from None
    if data is not None:
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise WorkspaceError(f"{path} is not a careerdocs remind state (version 1)")
        try:
            log_ = SentLog.from_json(data.get("sent"))
        except ValueError as exc:
            raise WorkspaceError(
                f"the remind state {path} is damaged ({exc}); repair it or move it away "
                "(without it, reminders already sent would be sent again)"
            ) from None
    for entry in _journal_entries(_journal(path)):
        log_.add(entry[0], entry[1])
    return log_


def _journal(path: Path) -> Path:
    return path.with_name(path.name + JOURNAL_SUFFIX)


def _journal_entries(journal: Path) -> list[tuple[Nudge, datetime]]:
    """The sends a killed run journalled; a torn last line (killed mid-write) is skipped."""
    try:
        lines = journal.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise WorkspaceError(f"cannot read the remind journal {journal}: {exc}") from None
    entries = []
    for line in lines:
        try:
            item = json.loads(line)
            nudge = Nudge(
                kind=Kind(item["kind"]),
                to=item["to"],
                window=item["window"],
                about=tuple(item.get("about", ())),
                why=item.get("why", ""),
                context={},
            )
            entries.append((nudge, datetime.fromisoformat(item["at"])))
        except (ValueError, KeyError, TypeError):
            log.warning("skipping a damaged line of %s", journal)
    return entries


def save_sent(path: Path, sent: SentLog) -> None:
    """Write the whole state (a temporary file moved into place), then drop the journal it
    now contains. A crash mid-save leaves the previous state and the journal: nothing lost."""
    data = {"version": STATE_VERSION, "sent": sent.to_json()}
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _journal(path).unlink(missing_ok=True)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise WorkspaceError(f"cannot save the remind state {path}: {exc}") from None


class Journal:
    """Records each send in the run's SentLog and appends it to the journal file, synced,
    so a run killed right after a send still knows it happened."""

    def __init__(self, state_path: Path, sent: SentLog, today: date) -> None:
        self.path = _journal(state_path)
        self.sent = sent
        self.today = today
        self._fh: Any = None

    def record(self, nudge: Nudge, sent_at: datetime) -> None:
        """``nudge`` went out at ``sent_at``. The SentLog is the rules' clock: the run's day
        (``--date`` rehearses a day or catches up on a missed one) at the time of the send."""
        at = datetime.combine(self.today, sent_at.timetz())
        self.sent.add(nudge, at)
        line = {
            "kind": nudge.kind.value,
            "to": nudge.to,
            "window": nudge.window,
            "about": list(nudge.about),
            "at": at.isoformat(),
        }
        try:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
            self._fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            raise WorkspaceError(f"cannot record a sent reminder in {self.path}: {exc}") from None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


# -- messages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindTemplates:
    text: str  # "Subject: ..." line, blank line, plain body
    html: str
    text_where: str
    html_where: str


def load_templates(folder: Path, kinds: Iterable[Kind]) -> dict[Kind, KindTemplates]:
    """``<kind>.txt`` and ``<kind>.html`` for each kind, read once. Every missing or unreadable
    file is reported at once, under ``remind.templates``."""
    found: dict[Kind, KindTemplates] = {}
    problems: list[Problem] = []
    for kind in kinds:
        texts = []
        for suffix in (TEXT_SUFFIX, HTML_SUFFIX):
            path = folder / f"{kind.value}{suffix}"
            try:
                texts.append(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                reason = "no such file" if isinstance(exc, FileNotFoundError) else str(exc)
                problems.append(Problem(TEMPLATES_SETTING, f"{path}: {reason}"))
        if len(texts) == 2:
            found[kind] = KindTemplates(
                texts[0],
                texts[1],
                str(folder / f"{kind.value}{TEXT_SUFFIX}"),
                str(folder / f"{kind.value}{HTML_SUFFIX}"),
            )
    if problems:
        raise TemplateError("reminder templates are missing or unreadable", problems)
    return found


@dataclass(frozen=True)
class Message:
    """A nudge, rendered; ``email.sender`` is filled when the pool picks it."""

    nudge: Nudge
    email: Email


def week_text(window: str) -> str:
    """A digest's ISO week ("2026-W50") as people say it: "the week of 7 December 2026"."""
    year, _, week = window.partition("-W")
    try:
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return window
    return f"the week of {long_date(monday)}"


def _records(value: Any, label: str) -> Any:
    """The rules' context as template values: a mapping becomes a :class:`fields.Record`, so a
    misspelt field is reported as "person has no field 'nmae'" naming where it was looked up."""
    if isinstance(value, Mapping):
        return fields.Record(label, {k: _records(v, f"{label}.{k}") for k, v in value.items()})
    if isinstance(value, list):
        return [_records(v, f"{label}[{i}]") for i, v in enumerate(value)]
    return value


class Composer:
    """Renders nudges into emails. A template gets the nudge's own ``context`` (everything
    the rules say about it: ``recipient``, ``person``, ``manager``, ``links``, the digest's
    lists, the handbook's phrasing; see :mod:`careerdocs.nudges`) plus ``org`` (``name``,
    ``mission``), ``backend`` (``local`` or ``google``), ``weekly_on`` ("Monday"),
    ``week_text`` ("the week of 7 December 2026", for digests) and ``nudge`` (``kind``,
    ``window``, ``why``, ``key``). The rules' context wins a clash."""

    def __init__(self, settings: Settings, templates: Mapping[Kind, KindTemplates]) -> None:
        self.templates = templates
        self.extras: dict[str, Any] = {
            "org": fields.Record(
                "org",
                {"name": settings.organization.name, "mission": settings.organization.mission},
            ),
            "backend": settings.backend_name,
            "weekly_on": settings.remind.weekly_on.capitalize(),
        }

    def context(self, nudge: Nudge) -> dict[str, Any]:
        about = {
            "kind": nudge.kind.value,
            "window": nudge.window,
            "why": nudge.why,
            "key": nudge.key,
        }
        own = {key: _records(value, key) for key, value in nudge.context.items()}
        return {
            **self.extras,
            "nudge": fields.Record("nudge", about),
            "week_text": week_text(nudge.window),
            **own,
        }

    def compose(self, nudge: Nudge) -> Message:
        t = self.templates[nudge.kind]
        context = self.context(nudge)
        rendered = fields.render_email(t.text, context, where=t.text_where)
        html = fields.render_html(t.html, context, where=t.html_where)
        email = Email(
            sender="",
            to=nudge.to,
            subject=rendered.subject,
            body=rendered.body,
            html=html,
            key=nudge.key,
        )
        return Message(nudge, email)


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Sent:
    message: Message
    sender: str
    at: datetime | None  # None in a dry run


@dataclass
class RemindResult:
    fy: FiscalYear
    today: date
    dry_run: bool
    sent: list[Sent] = field(default_factory=list)
    planned: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # recipient -> why its send failed
    stopped: DailyLimitReached | None = None
    quiet: str | None = None
    problems: list[str] = field(default_factory=list)
    sheets_read: int = 0  # growth sheets read this run (the others came from rollup's cache)
    sheets_cached: int = 0

    def counts(self) -> dict[str, int]:
        kinds = Counter(s.message.nudge.kind.value for s in self.sent)
        return {kind.value: kinds.get(kind.value, 0) for kind in Kind}

    def senders(self) -> dict[str, int]:
        return dict(Counter(s.sender for s in self.sent))

    def to_json(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.fy.label,
            "date": self.today.isoformat(),
            "dry_run": self.dry_run,
            "planned": self.planned,
            "sent": len(self.sent),
            "counts": self.counts(),
            "senders": self.senders(),
            "failures": self.failures,
            "stopped": str(self.stopped) if self.stopped else None,
            "resume_at": self.stopped.resume_at.isoformat() if self.stopped else None,
            "quiet": self.quiet,
            "sheets_read": self.sheets_read,
            "sheets_cached": self.sheets_cached,
            "messages": [
                {
                    "to": s.message.nudge.to,
                    "from": s.sender,
                    "kind": s.message.nudge.kind.value,
                    "window": s.message.nudge.window,
                    "why": s.message.nudge.why,
                    "subject": s.message.email.subject,
                }
                for s in self.sent
            ],
        }


def recipients_filter(roster: Roster, only: Sequence[str]) -> frozenset[str]:
    """The addresses ``--only`` names, each checked: someone in the roster, or the manager or
    PBP of someone in it (a PBP may not be in the roster themselves)."""
    wanted = [email.strip().lower() for email in only]
    known = {p.email for p in roster}
    known |= {e for p in roster for e in (p.manager_email, p.pbp_email) if e}
    unknown = [email for email in dict.fromkeys(wanted) if email not in known]
    if unknown:
        why = "is not in the roster, nor anyone's manager or PBP"
        raise InvalidInput(
            f"{len(unknown)} --only address{'es' if len(unknown) > 1 else ''} unknown",
            [Problem(email, why) for email in unknown],
        )
    return frozenset(wanted)


def run(
    settings: Settings,
    workspace: Workspace,
    roster: Roster,
    *,
    today: date,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    dry_run: bool = False,
    only: Sequence[str] = (),
    audit: AuditLog = NO_AUDIT,
    progress: Callable[[Sent], None] | None = None,
    planned: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> RemindResult:
    """One remind run as of ``today``. A dry run renders and addresses every message and
    prints nothing itself, sends nothing and records nothing (the sender ledger is loaded and
    only counted in memory, so the From column shows how a real run would spread the load).

    The caller holds the run lock for a real run. ``planned`` is told how many messages will go
    out (for a progress bar), ``progress`` each one sent; ``stop`` set ends the run between two
    sends. Failed sends are in ``result.failures`` (the CLI exits 3); a sender out of daily
    quota ends the run with ``result.stopped``."""
    fy = fiscal_year(today, settings.fiscal_year_start_month)
    the_policy = policy(settings)
    chosen = recipients_filter(roster, only) if only else None
    templates = load_templates(settings.remind.templates, the_policy.kinds)
    gathered = rollup.gather(
        workspace,
        roster,
        fy=fy,
        today=today,
        state_path=settings.rollup.state_file,
        deadline=settings.rollup.deadline,
    )
    states = person_states(gathered.outcomes)
    sent_log = load_sent(settings.remind.state_file)
    nudges = plan(states, roster, fy, today, the_policy, sent_log)
    if chosen is not None:
        nudges = [n for n in nudges if n.to in chosen]
    composer = Composer(settings, templates)
    messages = [composer.compose(n) for n in nudges]  # every template renders, or nothing goes
    result = RemindResult(fy, today, dry_run, planned=len(messages))
    result.quiet = quiet_day(settings, the_policy, today) if not messages else None
    result.problems = [f"{s.person.email}: {s.problem}" for s in states if s.problem]
    result.sheets_read, result.sheets_cached = gathered.sheets_read, gathered.sheets_cached
    if planned is not None:
        planned(len(messages))
    pool = open_pool(settings, workspace, now=now)
    journal = None if dry_run else Journal(settings.remind.state_file, sent_log, today)
    try:
        for message in messages:
            if (stop is not None and stop.is_set()) or result.stopped is not None:
                break
            done = _send_one(message, pool, roster, workspace, journal, audit, result)
            if done is not None and progress is not None:
                progress(done)
    finally:
        if journal is not None:
            journal.close()
            if result.sent:
                keep_since = fiscal_year(fy.start - timedelta(days=1), fy.start_month).start
                save_sent(settings.remind.state_file, sent_log.pruned(keep_since))
            pool.save()  # the Gmail ledger (the local outbox keeps none)
    return result


ABOUT_THEMSELVES = frozenset({Kind.DUE, Kind.OVERDUE, Kind.ACKNOWLEDGE})
ABOUT_THEIR_PEOPLE = frozenset({Kind.MANAGER_DIGEST, Kind.SKIP_LEVEL_DIGEST})


def preferred_sender(kind: Kind, recipient: Person | None) -> str | None:
    """Whose mailbox a message should come from, where careerdocs may send as anyone
    (``notify.send_as`` manager or auto; otherwise the pool decides). A nudge about the
    recipient's own conversation: their manager's, the person it is with, who gets the reply. A
    digest about the people under them: their PBP's, the People team that signs it, not their
    own boss's. A PBP's summary: none (the pool's senders, else the admin)."""
    if recipient is None:
        return None
    if kind in ABOUT_THEMSELVES:
        return recipient.manager_email
    if kind in ABOUT_THEIR_PEOPLE:
        return recipient.pbp_email
    return None


def _send_one(
    message: Message,
    pool: SenderPool,
    roster: Roster,
    workspace: Workspace,
    journal: Journal | None,
    audit: AuditLog,
    result: RemindResult,
) -> Sent | None:
    """Choose From, send, count it against the sender. Returns what was sent (a dry run: what
    would be), or None: the send failed (in ``result.failures``) or no sender has daily budget
    left (``result.stopped``)."""
    nudge = message.nudge
    prefer = preferred_sender(nudge.kind, roster.get(nudge.to))
    try:
        if journal is None:  # dry run: the choice counts in memory only, so From shows the spread
            sender = pool.choose(prefer=prefer)
            email = replace(message.email, sender=sender)
            at = None
        else:
            email = pool.deliver(
                lambda sender: replace(message.email, sender=sender),
                workspace.send_email,
                prefer=prefer,
            )
            at = pool.now()
    except DailyLimitReached as exc:
        result.stopped = exc
        return None
    except WorkspaceError as exc:
        result.failures[nudge.to] = f"{nudge.kind.value}: {exc}"
        audit.record("remind_failed", to=nudge.to, kind=nudge.kind.value, error=str(exc))
        return None
    if journal is not None and at is not None:
        journal.record(nudge, at)  # before anything else can fail: the send happened
        audit.record(
            "remind",
            to=nudge.to,
            kind=nudge.kind.value,
            window=nudge.window,
            sender=email.sender,
            key=nudge.key,
        )
    done = Sent(replace(message, email=email), email.sender, at)
    result.sent.append(done)
    return done
