"""Who gets which reminder or digest on which day, once: the pure rules of ``careerdocs remind``.

No I/O and no clock: :func:`plan` takes everyone's state (computed by :mod:`careerdocs.cadence`,
the one place that says which conversations count), the roster, the fiscal year, ``today``, the
:class:`Policy` and the :class:`SentLog` of what was already sent, and returns the messages to
send today. ``remind.py`` renders, sends, and records each one with :meth:`SentLog.add` right
after its send, so a run that stops halfway repeats nothing the next time.

The rules (DESIGN.md §2: a career conversation at least once a fiscal year, ideally in Q2 and in
Q4; new hires after their first 90 days; only the team member acknowledges):

Team members (``due``, ``overdue``, ``acknowledge``) — "personal" nudges:
  * Nothing before their day 90 (:func:`cadence.eligibility_date`), nothing while their status
    is ``not yet due`` or ``not provisioned`` (there is no sheet to log in), and nothing at all
    while their :attr:`PersonState.problem` is set: their conversations cannot be trusted, so a
    nudge could claim they have none; their manager's and PBP's digests list the problem instead.
  * ``due``: once per conversation window (:func:`windows`) while it is open and holds no
    acknowledged career conversation. The windows are the fiscal year's Q2 and Q4, and for
    someone whose day 90 falls in Q1 or Q3 of the year a ``new-hire`` window from day 90 to the
    end of that quarter (a day 90 inside Q2 or Q4 opens that window on day 90 instead). A window
    holding a conversation that only waits for its tick gets the ``acknowledge`` nudge instead:
    "you have none" would be wrong.
  * ``overdue``: once per fiscal year, when cadence says the person is overdue (the year or the
    configured deadline passed without an acknowledged career conversation).
  * ``acknowledge``: once per date on which conversations were logged but not ticked
    Acknowledged (every conversation that would count for something once ticked, per
    :func:`cadence.what_counts`), :attr:`Policy.acknowledge_after_days` after that date, so a
    person who ticks it the same day is never asked.
  * At most one personal nudge per person per day, in the order overdue, acknowledge, due; and
    none until ``max(1, min_days_between)`` days after the last message of any kind sent to that
    person (digests included: a manager who got a digest on Monday hears about their own
    conversation on Thursday at the earliest with the default of 3). Digests themselves are never
    held back by this spacing: they are a weekly rhythm the recipient expects.

Digests (``manager-digest``, ``skip-level-digest``, ``pbp-summary``), one per ISO week (window
``2026-W49``), from :attr:`Policy.weekly_on` on — so a digest missed on that day (a holiday, a
cron that did not run) goes on the next working day of the same week, never in the next week:
  * ``manager-digest`` to each manager, about their direct reports only: due, overdue, waiting
    for an acknowledgement, escalation flagged, new hires passing day 90 within
    :attr:`Policy.new_hire_soon_days`, not provisioned, and data problems. Not sent when there is
    nothing to say; as it is then not recorded, a digest that has something to say later that
    week goes on that day.
  * ``skip-level-digest`` to each manager with escalations two or more levels below them
    (reports of their reports, transitively); the escalations of their direct reports are in
    their manager digest. Only when there are any.
  * ``pbp-summary`` to each PBP: counts by status (:func:`cadence.summarize`), the overdue list
    and the data problems of the people they partner.

Quiet days: with :attr:`Policy.quiet_weekends` nothing is planned on Saturday or Sunday, and
nothing on :attr:`Policy.holidays`.

Nudge.context — what the templates get. Dates are :class:`datetime.date` objects, each with a
``<key>_text`` twin written out ("2 June 2026"). Every nudge has:
  ``kind`` (the Kind's value), ``to``, ``recipient`` (``{"name", "first_name", "email"}``; for
  someone not in the roster the name is the email and the first name ""), ``fiscal_year``
  ("FY2027"), ``fy_start``, ``fy_end``, ``today``; the handbook's phrasing: ``counting_rule``
  (:data:`cadence.COUNTING_RULE`), ``not_promotion``, ``you_own_it``, ``cadence``,
  ``only_you_tick``.
Personal nudges add: ``person`` (entry, below), ``manager`` and ``pbp`` (``{"name", "email"}``
  or None), ``links`` (``igp``/``tracker``/``growth_sheet`` → url, as given), ``status``
  (value), ``acknowledged_count`` and ``last_conversation`` (this fiscal year, counted by
  cadence), ``waiting`` (conversations logged and not ticked: list of conversation entries).
  ``due`` adds ``window`` (id), ``window_name`` ("Q2", "Q4", "new hire"), ``window_opens``,
  ``window_closes``, ``days_left`` (including today), ``new_hire`` (day 90 falls in this
  window), ``first`` (no acknowledged career conversation yet this fiscal year).
  ``overdue`` adds ``deadline_passed`` (True when the year itself is not over yet).
  ``acknowledge`` adds ``conversation_date``, ``with_whom`` (the names, joined with " and ")
  and ``conversations`` (entries of that date).
Digests add ``week`` (the window, "2026-W49") and ``week_start`` (its Monday).
``manager-digest`` adds ``team_size`` and lists of person entries ``due``,
  ``overdue``, ``waiting``, ``escalations``, ``new_hires_soon``, ``not_provisioned``,
  ``problems`` (a person appears in ``problems`` instead of ``due``/``overdue``).
``skip-level-digest`` adds ``org_size`` (the people two or more levels below them) and
  ``escalations`` (entries with ``manager`` and ``levels_below``).
``pbp-summary`` adds ``counts`` (:func:`cadence.summarize`: ``headcount``, each status
  value, ``pct_acknowledged``), ``count_rows`` ([(status value, count)], in cadence's order),
  ``overdue`` and ``problems`` (person entries).
A person entry is ``{"name", "first_name", "email", "status", "links", "growth_sheet",
  "eligible_on", "last_conversation", "waiting", "escalations", "problem"}``; a conversation
  entry is ``{"date", "date_text", "with_whom", "type", "row"}``. Escalation notes are not
  copied into emails: they stay in the sheet; the entry links to it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import Enum
from functools import lru_cache, partial
from typing import Any

from . import cadence
from .cadence import Conversation, FiscalYear, Status
from .roster import Person, Roster

SENT_LOG_VERSION = 1
SATURDAY = 5
DAYS_PER_WEEK = 7
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

NEW_HIRE = "new-hire"
WINDOW_QUARTERS = (2, 4)  # the handbook's ideal: one conversation in Q2, one in Q4

# The handbook's phrasing, for templates (the IGP and the provisioning email say the same).
NOT_PROMOTION = "This is not a promotion or performance conversation."
YOU_OWN_IT = (
    "Your growth plan is yours: where you want your career to go and what you need to get "
    "there. Your manager is there to help."
)
CADENCE = (
    "We aim for two career conversations each fiscal year, one in Q2 and one in Q4, and at "
    "least one for everyone."
)
ONLY_YOU_TICK = (
    "Only you should tick Acknowledged: it is how we know the conversation really happened."
)

GROWTH_SHEET_LINK = "growth_sheet"
# How --dry-run's one line names each section of a manager digest: (one, many).
SECTION_WORDS = {
    "due": ("due", "due"),
    "overdue": ("overdue", "overdue"),
    "waiting": ("waiting for a tick", "waiting for a tick"),
    "escalations": ("escalation", "escalations"),
    "new_hires_soon": ("new hire at day 90 soon", "new hires at day 90 soon"),
    "not_provisioned": ("not provisioned", "not provisioned"),
    "problems": ("data problem", "data problems"),
}
LINK_KEYS = ("igp", "tracker", GROWTH_SHEET_LINK)


class Kind(str, Enum):
    """Why a message is sent; the value names its template (``templates/remind/<value>.txt``)."""

    DUE = "due"
    OVERDUE = "overdue"
    ACKNOWLEDGE = "acknowledge"
    MANAGER_DIGEST = "manager-digest"
    SKIP_LEVEL_DIGEST = "skip-level-digest"
    PBP_SUMMARY = "pbp-summary"


PERSONAL = (Kind.OVERDUE, Kind.ACKNOWLEDGE, Kind.DUE)  # in the order they go first
DIGESTS = (Kind.MANAGER_DIGEST, Kind.SKIP_LEVEL_DIGEST, Kind.PBP_SUMMARY)


@dataclass(frozen=True)
class PersonState:
    """What rollup knows of one person for the fiscal year being reminded about.

    ``status`` must come from :func:`cadence.person_status` for the same ``today`` (see
    :func:`state_for`); ``conversations`` are all of the year's readable rows, ticked or not
    (the ``acknowledge`` nudge is about the unticked ones). Set ``problem`` whenever the
    conversations may be incomplete — an unreadable or untrusted sheet, or a row that could not
    be read — and the person gets no personal nudge while their manager and PBP see the problem.
    """

    person: Person
    status: Status
    conversations: tuple[Conversation, ...]
    escalation: bool
    links: Mapping[str, str] = field(default_factory=dict, hash=False)
    problem: str | None = None


def state_for(
    person: Person,
    conversations: Sequence[Conversation] | None,
    *,
    fy: FiscalYear,
    today: date,
    deadline: date | None = None,
    links: Mapping[str, str] | None = None,
    problem: str | None = None,
) -> PersonState:
    """A :class:`PersonState` whose status and escalation flag are cadence's, as rollup computes
    them (``conversations=None``: the person has no growth sheet)."""
    computed = cadence.person_status(
        start_date=person.start_date,
        conversations=conversations,
        fy=fy,
        today=today,
        deadline=deadline,
    )
    return PersonState(
        person=person,
        status=computed.status,
        conversations=tuple(c for c in conversations or () if c.date in fy),
        escalation=computed.escalation,
        links=dict(links or {}),
        problem=problem,
    )


@dataclass(frozen=True)
class Nudge:
    """One message to send: its ``kind`` (template), recipient, the ``window`` it is for (which
    with kind and recipient makes the :attr:`key` it is sent at most once under), the people it
    is ``about``, a one-line ``why`` for ``--dry-run``, and the template ``context`` (keys in
    the module docstring)."""

    kind: Kind
    to: str
    window: str
    about: tuple[str, ...]
    why: str
    context: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> str:
        return nudge_key(self.kind, self.window, self.to)


@dataclass(frozen=True)
class Policy:
    """How often and when to remind (config ``[remind]``).

    ``kinds`` are the kinds sent at all; ``min_days_between`` spaces personal nudges to one
    person (never two on one day, whatever it is); ``weekly_on`` is the digests' weekday
    (0 = Monday); ``new_hire_soon_days`` is how far ahead a manager hears of a new hire's day 90;
    ``acknowledge_after_days`` is how long an unticked conversation waits before its nudge.
    """

    kinds: frozenset[Kind] = frozenset(Kind)
    min_days_between: int = 3
    quiet_weekends: bool = True
    holidays: frozenset[date] = frozenset()
    weekly_on: int = 0
    new_hire_soon_days: int = 14
    acknowledge_after_days: int = 2

    def __post_init__(self) -> None:
        for name in ("min_days_between", "new_hire_soon_days", "acknowledge_after_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"remind.{name} must be a whole number ≥ 0, not {value!r}")
        if isinstance(self.weekly_on, bool) or self.weekly_on not in range(DAYS_PER_WEEK):
            raise ValueError(f"remind.weekly_on must be 0 (Monday) .. 6, not {self.weekly_on!r}")
        if self.quiet_weekends and self.weekly_on >= SATURDAY:
            raise ValueError(
                f"remind.weekly_on is {WEEKDAY_NAMES[self.weekly_on]}, but weekends are quiet: "
                "digests would never be sent"
            )
        object.__setattr__(self, "kinds", _kinds(self.kinds))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    def is_quiet(self, day: date) -> bool:
        """True on a day nothing is sent: a weekend (with ``quiet_weekends``) or a holiday."""
        return (self.quiet_weekends and day.weekday() >= SATURDAY) or day in self.holidays

    @property
    def spacing_days(self) -> int:
        """Days between two personal nudges to one person: never two on the same day."""
        return max(1, self.min_days_between)


def _kinds(kinds: Iterable[Kind | str]) -> frozenset[Kind]:
    """Kinds given as their values ("due") are taken as the Kind; anything else is refused
    (a str Enum member is not found in a set of plain strings, so nothing is left to chance)."""
    known = {k.value: k for k in Kind}
    unknown = sorted(str(k) for k in kinds if not isinstance(k, Kind) and k not in known)
    if unknown:
        raise ValueError(
            f"remind.kinds has unknown kinds {', '.join(unknown)}; the kinds are {', '.join(known)}"
        )
    return frozenset(k if isinstance(k, Kind) else known[k] for k in kinds)


@dataclass(frozen=True)
class SentRecord:
    to: str
    kind: Kind
    window: str
    key: str
    sent_at: datetime


class SentLog:
    """Every message sent: who, which kind, which window, when. Pure; ``remind.py`` keeps it in
    the run state file through :meth:`to_json` / :meth:`from_json`."""

    def __init__(self, records: Iterable[SentRecord] = ()) -> None:
        self._records: list[SentRecord] = []
        self._keys: set[str] = set()
        self._last: dict[str, datetime] = {}
        for record in records:
            self._add(record)

    def _add(self, record: SentRecord) -> None:
        self._records.append(record)
        self._keys.add(record.key)
        last = self._last.get(record.to)
        if last is None or _later(record.sent_at, last):
            self._last[record.to] = record.sent_at

    @property
    def records(self) -> tuple[SentRecord, ...]:
        return tuple(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def has(self, key: str) -> bool:
        return key in self._keys

    def last_to(self, email: str) -> datetime | None:
        """When the latest message of any kind went to ``email`` (any case), or None."""
        return self._last.get(email.lower())

    def add(self, nudge: Nudge, at: datetime) -> None:
        """Record ``nudge`` as sent at ``at`` (call it right after the send succeeded)."""
        self._add(SentRecord(nudge.to.lower(), nudge.kind, nudge.window, nudge.key, at))

    def pruned(self, keep_since: date) -> SentLog:
        """The records sent on or after ``keep_since`` (UTC date), so the run state does not
        grow for ever. Every window id names its fiscal year or week, so records from before
        the previous fiscal year's start can never match a key again: pass that date (or an
        earlier one) and nothing is ever sent twice."""
        return SentLog(r for r in self._records if _utc_date(r.sent_at) >= keep_since)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready value; :meth:`from_json` reads it back equal."""
        return {
            "version": SENT_LOG_VERSION,
            "sent": [
                {
                    "to": r.to,
                    "kind": r.kind.value,
                    "window": r.window,
                    "key": r.key,
                    "sent_at": r.sent_at.isoformat(),
                }
                for r in self._records
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> SentLog:
        """Read what :meth:`to_json` wrote (or its JSON text). Raises ``ValueError`` naming what
        is wrong: a damaged log must not silently become empty, or everyone is reminded again."""
        if isinstance(data, (str, bytes)):
            data = json.loads(data)
        if not isinstance(data, dict) or data.get("version") != SENT_LOG_VERSION:
            raise ValueError(f"the sent log is not version {SENT_LOG_VERSION} of careerdocs'")
        entries = data.get("sent")
        if not isinstance(entries, list):
            raise ValueError("the sent log has no list of messages sent")
        records = []
        for index, entry in enumerate(entries):
            try:
                records.append(
                    SentRecord(
                        to=_str(entry["to"]).lower(),
                        kind=Kind(entry["kind"]),
                        window=_str(entry["window"]),
                        key=_str(entry["key"]),
                        sent_at=datetime.fromisoformat(_str(entry["sent_at"])),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"the sent log's entry {index} is damaged: {exc!r}") from None
        return cls(records)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SentLog) and self._records == other._records

    __hash__ = None  # type: ignore[assignment]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value


def _later(a: datetime, b: datetime) -> bool:
    """Compare times that may mix naive and aware values (a naive one is taken as UTC)."""
    return _comparable(a) > _comparable(b)


def _comparable(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo is None else _naive_utc(moment)


def _utc_date(moment: datetime) -> date:
    return _comparable(moment).date()


def _naive_utc(moment: datetime) -> datetime:
    offset = moment.utcoffset() or timedelta(0)
    return (moment - offset).replace(tzinfo=None)


# --- windows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A stretch of the fiscal year in which one career conversation is hoped for.

    ``opens``..``closes`` is when it is open for nudges; an acknowledged career conversation
    dated ``counts_from``..``closes`` satisfies it (for Q2/Q4, the whole quarter, even before a
    new hire's day 90 — as cadence's Q2/Q4 flags count it; for the new-hire window, any since
    the year began).
    """

    id: str
    name: str
    opens: date
    closes: date
    counts_from: date
    new_hire: bool

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.opens <= day <= self.closes


def windows(person: Person, fy: FiscalYear) -> tuple[Window, ...]:
    """The person's conversation windows in ``fy``, in date order and never overlapping."""
    eligible = cadence.eligibility_date(person.start_date)
    found: list[Window] = []
    if fy.start < eligible <= fy.end and fy.quarter_of(eligible) not in WINDOW_QUARTERS:
        _, quarter_end = fy.quarter(fy.quarter_of(eligible))
        found.append(
            Window(f"{fy.label}-{NEW_HIRE}", "new hire", eligible, quarter_end, fy.start, True)
        )
    for n in WINDOW_QUARTERS:
        first, last = fy.quarter(n)
        opens = max(first, eligible)
        if opens <= last:
            found.append(Window(f"{fy.label}-Q{n}", f"Q{n}", opens, last, first, opens > first))
    found.sort(key=lambda w: w.opens)
    return tuple(found)


def open_window(person: Person, fy: FiscalYear, today: date) -> Window | None:
    """The window open on ``today``, if any."""
    return next((w for w in windows(person, fy) if today in w), None)


def counts_as_career(conversation: Conversation) -> bool:
    """cadence's rule: an acknowledged conversation of a career type."""
    return cadence.what_counts(conversation).career


@lru_cache(maxsize=65536)
def would_count(conversation: Conversation) -> bool:
    """True when ticking Acknowledged would make the conversation count for something (by
    :func:`cadence.what_counts`): the ones an ``acknowledge`` nudge is about."""
    ticked = replace(conversation, acknowledged=True)
    return cadence.what_counts(ticked) != cadence.NOTHING


def _would_count_as_career(conversation: Conversation) -> bool:
    return counts_as_career(replace(conversation, acknowledged=True))


def waiting(conversations: Iterable[Conversation]) -> list[Conversation]:
    """Conversations logged and not ticked that would count once ticked, oldest first."""
    return sorted(
        (c for c in conversations if not c.acknowledged and would_count(c)),
        key=lambda c: (c.date, c.row),
    )


def _in(window: Window, c: Conversation) -> bool:
    return window.counts_from <= c.date <= window.closes


def satisfied(window: Window, conversations: Iterable[Conversation]) -> bool:
    """True when an acknowledged career conversation falls in the window."""
    return any(counts_as_career(c) and _in(window, c) for c in conversations)


# --- planning ----------------------------------------------------------------------------------


def week_id(day: date) -> str:
    """The ISO week of ``day``, the window of weekly digests: ``2026-W49``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def long_date(day: date) -> str:
    """``2 June 2026``: unambiguous in every locale, and not dependent on the process's."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def plan(
    states: Sequence[PersonState],
    roster: Roster,
    fy: FiscalYear,
    today: date,
    policy: Policy,
    sent: SentLog,
) -> list[Nudge]:
    """Everything to send today that was not sent before (rules in the module docstring): the
    digests first, then the personal nudges, each group in roster order. Reads ``sent``, never
    changes it. Only the messages returned have their context built, so a daily run over a
    large roster costs little once the week's digests are out."""
    if policy.is_quiet(today):
        return []
    ctx = _Context(roster, fy, today, policy, states, sent)
    digests = ctx.digests()
    busy = {n.to for n in digests}
    personal: list[Nudge] = []
    for state in states:
        email = state.person.email
        if email in busy or _too_soon(sent.last_to(email), today, policy):
            continue
        nudge = ctx.personal(state)
        if nudge is not None:
            personal.append(nudge)
            busy.add(email)
    return digests + personal


def nudge_key(kind: Kind, window: str, to: str) -> str:
    """The key a message is sent at most once under (:attr:`Nudge.key`)."""
    return f"remind-{kind.value}-{window}-{to}"


def _too_soon(last: datetime | None, today: date, policy: Policy) -> bool:
    return last is not None and (today - last.date()).days < policy.spacing_days


_Candidate = tuple[Kind, str, Callable[[], Nudge]]


class _Context:
    """One plan's shared lookups: names, teams, what was sent, the common template context."""

    def __init__(
        self,
        roster: Roster,
        fy: FiscalYear,
        today: date,
        policy: Policy,
        states: Sequence[PersonState],
        sent: SentLog,
    ) -> None:
        self.roster, self.fy, self.today, self.policy = roster, fy, today, policy
        self.states, self.sent = states, sent
        self.by_email = {s.person.email: s for s in states}

    def wanted(self, kind: Kind, window: str, to: str) -> bool:
        return kind in self.policy.kinds and not self.sent.has(nudge_key(kind, window, to))

    # -- common --

    def person(self, email: str) -> Person | None:
        state = self.by_email.get(email)
        return state.person if state is not None else self.roster.get(email)

    def someone(self, email: str | None) -> dict[str, str] | None:
        if not email:
            return None
        person = self.person(email)
        return {"name": person.name if person else email, "email": email}

    def base(self, kind: Kind, to: str) -> dict[str, Any]:
        person = self.person(to)
        recipient = (
            {"name": person.name, "first_name": person.first_name, "email": to}
            if person
            else {"name": to, "first_name": "", "email": to}
        )
        return {
            "kind": kind.value,
            "to": to,
            "recipient": recipient,
            "fiscal_year": self.fy.label,
            **_dated("fy_start", self.fy.start),
            **_dated("fy_end", self.fy.end),
            **_dated("today", self.today),
            "counting_rule": cadence.COUNTING_RULE,
            "not_promotion": NOT_PROMOTION,
            "you_own_it": YOU_OWN_IT,
            "cadence": CADENCE,
            "only_you_tick": ONLY_YOU_TICK,
        }

    def entry(self, state: PersonState) -> dict[str, Any]:
        p = state.person
        return {
            "name": p.name,
            "first_name": p.first_name,
            "email": p.email,
            "status": state.status.value,
            "links": dict(state.links),
            "growth_sheet": state.links.get(GROWTH_SHEET_LINK, ""),
            **_dated("eligible_on", cadence.eligibility_date(p.start_date)),
            **_dated("last_conversation", _last_career(state)),
            "waiting": [_conversation(c) for c in waiting(state.conversations)],
            "escalations": [
                _conversation(c) for c in state.conversations if c.acknowledged and c.escalation
            ],
            "problem": state.problem,
        }

    # -- personal --

    def personal(self, state: PersonState) -> Nudge | None:
        """The first personal nudge the person is owed today and was not sent, if any."""
        p = state.person
        if (
            self.today < cadence.eligibility_date(p.start_date)
            or state.problem
            or state.status in (Status.NOT_YET_DUE, Status.NOT_PROVISIONED)
        ):
            return None
        for kind, window, build in self.candidates(state):
            if self.wanted(kind, window, p.email):
                return build()
        return None

    def candidates(self, state: PersonState) -> Iterator[_Candidate]:
        """Every personal nudge the person could get today, in the order they go first."""
        if state.status is Status.OVERDUE:
            yield Kind.OVERDUE, self.fy.label, partial(self.overdue, state)
        latest = self.today - timedelta(days=self.policy.acknowledge_after_days)
        by_date: dict[date, list[Conversation]] = defaultdict(list)
        for c in waiting(state.conversations):
            if c.date <= latest:
                by_date[c.date].append(c)
        for day, conversations in sorted(by_date.items()):
            window = f"{self.fy.label}-{day.isoformat()}"
            yield Kind.ACKNOWLEDGE, window, partial(self.acknowledge, state, window, conversations)
        due = self.due_window(state)
        if due is not None:
            yield Kind.DUE, due.id, partial(self.due, state, due)

    def personal_context(self, kind: Kind, state: PersonState) -> dict[str, Any]:
        p = state.person
        return {
            **self.base(kind, p.email),
            "person": self.entry(state),
            "manager": self.someone(p.manager_email),
            "pbp": self.someone(p.pbp_email),
            "links": dict(state.links),
            "status": state.status.value,
            "acknowledged_count": sum(counts_as_career(c) for c in state.conversations),
            **_dated("last_conversation", _last_career(state)),
            "waiting": [_conversation(c) for c in waiting(state.conversations)],
        }

    def overdue(self, state: PersonState) -> Nudge:
        context = {
            **self.personal_context(Kind.OVERDUE, state),
            "deadline_passed": self.today <= self.fy.end,
        }
        return Nudge(
            Kind.OVERDUE,
            state.person.email,
            self.fy.label,
            (state.person.email,),
            f"overdue for {self.fy.label}: no acknowledged career conversation",
            context,
        )

    def acknowledge(
        self, state: PersonState, window: str, conversations: Sequence[Conversation]
    ) -> Nudge:
        day = conversations[0].date
        names = list(dict.fromkeys(c.with_whom for c in conversations if c.with_whom))
        with_whom = " and ".join(names) or "someone"
        context = {
            **self.personal_context(Kind.ACKNOWLEDGE, state),
            **_dated("conversation_date", day),
            "with_whom": with_whom,
            "conversations": [_conversation(c) for c in conversations],
        }
        return Nudge(
            Kind.ACKNOWLEDGE,
            state.person.email,
            window,
            (state.person.email,),
            f"logged a conversation with {with_whom} on {day.isoformat()}, not ticked Acknowledged",
            context,
        )

    def due_window(self, state: PersonState) -> Window | None:
        """The open window with no acknowledged career conversation in it, unless one in it
        only waits for its tick (the acknowledge nudge says it better than "you have none")."""
        window = open_window(state.person, self.fy, self.today)
        if window is None or satisfied(window, state.conversations):
            return None
        if any(_would_count_as_career(c) and _in(window, c) for c in waiting(state.conversations)):
            return None
        return window

    def due(self, state: PersonState, window: Window) -> Nudge:
        context = {
            **self.personal_context(Kind.DUE, state),
            "window": window.id,
            "window_name": window.name,
            **_dated("window_opens", window.opens),
            **_dated("window_closes", window.closes),
            "days_left": (window.closes - self.today).days + 1,
            "new_hire": window.new_hire,
            "first": _last_career(state) is None,
        }
        return Nudge(
            Kind.DUE,
            state.person.email,
            window.id,
            (state.person.email,),
            f"{self.fy.label} {window.name} window open {window.opens.isoformat()} to "
            f"{window.closes.isoformat()}, no acknowledged career conversation in it",
            context,
        )

    # -- digests --

    def digests(self) -> list[Nudge]:
        if self.today.weekday() < self.policy.weekly_on:
            return []
        week = week_id(self.today)
        return [
            *self.manager_digests(week),
            *self.skip_level_digests(week),
            *self.pbp_summaries(week),
        ]

    def groups(self, kind: Kind, week: str, attr: str) -> dict[str, list[PersonState]]:
        """People by ``attr`` (manager or PBP email), for the recipients still owed ``kind``."""
        groups: dict[str, list[PersonState]] = defaultdict(list)
        if kind in self.policy.kinds:
            for state in self.states:
                to = getattr(state.person, attr)
                if to:
                    groups[to].append(state)
        return {to: group for to, group in groups.items() if self.wanted(kind, week, to)}

    def manager_digests(self, week: str) -> list[Nudge]:
        soon = self.today + timedelta(days=self.policy.new_hire_soon_days)
        nudges = []
        for manager, team in self.groups(Kind.MANAGER_DIGEST, week, "manager_email").items():
            ok = [s for s in team if not s.problem]
            sections = {
                "due": [s for s in ok if s.status is Status.DUE],
                "overdue": [s for s in ok if s.status is Status.OVERDUE],
                "waiting": [s for s in ok if waiting(s.conversations)],
                "escalations": [s for s in team if s.escalation],
                "new_hires_soon": [
                    s
                    for s in team
                    if self.today < cadence.eligibility_date(s.person.start_date) <= soon
                ],
                "not_provisioned": [s for s in ok if s.status is Status.NOT_PROVISIONED],
                "problems": [s for s in team if s.problem],
            }
            listed = [s for section in sections.values() for s in section]
            if not listed:
                continue
            context = {
                **self.base(Kind.MANAGER_DIGEST, manager),
                "week": week,
                **_dated("week_start", week_start(self.today)),
                "team_size": len(team),
                **{name: [self.entry(s) for s in section] for name, section in sections.items()},
            }
            said = ", ".join(_count(len(v), *SECTION_WORDS[k]) for k, v in sections.items() if v)
            nudges.append(
                Nudge(
                    Kind.MANAGER_DIGEST,
                    manager,
                    week,
                    tuple(dict.fromkeys(s.person.email for s in listed)),
                    f"weekly digest of {_count(len(team), 'direct report')}: {said}",
                    context,
                )
            )
        return nudges

    def skip_level_digests(self, week: str) -> list[Nudge]:
        if Kind.SKIP_LEVEL_DIGEST not in self.policy.kinds:
            return []
        found: dict[str, list[tuple[PersonState, int]]] = defaultdict(list)
        for state in self.states:
            if state.escalation:
                for above, levels in self.chain(state.person):
                    if levels >= 2 and self.wanted(Kind.SKIP_LEVEL_DIGEST, week, above):
                        found[above].append((state, levels))
        if not found:
            return []  # most days: the week's digests are out, or nobody escalated
        org: dict[str, int] = defaultdict(int)
        for state in self.states:
            for above, levels in self.chain(state.person):
                if levels >= 2:
                    org[above] += 1
        nudges = []
        for to, escalated in found.items():
            entries = [
                {
                    **self.entry(s),
                    "manager": self.someone(s.person.manager_email),
                    "levels_below": levels,
                }
                for s, levels in escalated
            ]
            nudges.append(
                Nudge(
                    Kind.SKIP_LEVEL_DIGEST,
                    to,
                    week,
                    tuple(s.person.email for s, _ in escalated),
                    f"{_count(len(escalated), 'escalation')} two or more levels below them, "
                    f"in an org of {org[to]}",
                    {
                        **self.base(Kind.SKIP_LEVEL_DIGEST, to),
                        "week": week,
                        **_dated("week_start", week_start(self.today)),
                        **_dated("week_start", week_start(self.today)),
                        "org_size": org[to],
                        "escalations": entries,
                    },
                )
            )
        return nudges

    def chain(self, person: Person) -> list[tuple[str, int]]:
        """Everyone above ``person`` with how many levels up: (manager, 1), (skip-level, 2)...
        A loop (the roster refuses them, but states may come from elsewhere) ends the chain."""
        above: list[tuple[str, int]] = []
        seen = {person.email}
        email = person.manager_email
        while email and email not in seen:
            seen.add(email)
            above.append((email, len(above) + 1))
            boss = self.person(email)
            email = boss.manager_email if boss is not None else None
        return above

    def pbp_summaries(self, week: str) -> list[Nudge]:
        nudges = []
        for pbp, population in self.groups(Kind.PBP_SUMMARY, week, "pbp_email").items():
            counts = cadence.summarize(s.status for s in population)
            overdue = [s for s in population if s.status is Status.OVERDUE and not s.problem]
            problems = [s for s in population if s.problem]
            nudges.append(
                Nudge(
                    Kind.PBP_SUMMARY,
                    pbp,
                    week,
                    tuple(s.person.email for s in overdue + problems),
                    f"weekly summary of {_count(len(population), 'person', 'people')}: "
                    f"{len(overdue)} overdue, {_count(len(problems), 'data problem')}",
                    {
                        **self.base(Kind.PBP_SUMMARY, pbp),
                        "week": week,
                        **_dated("week_start", week_start(self.today)),
                        **_dated("week_start", week_start(self.today)),
                        "counts": counts,
                        "count_rows": [(s.value, counts[s.value]) for s in Status],
                        "overdue": [self.entry(s) for s in overdue],
                        "problems": [self.entry(s) for s in problems],
                    },
                )
            )
        return nudges


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _last_career(state: PersonState) -> date | None:
    return max((c.date for c in state.conversations if counts_as_career(c)), default=None)


def _dated(key: str, day: date | None) -> dict[str, Any]:
    return {key: day, f"{key}_text": long_date(day) if day else ""}


def _conversation(c: Conversation) -> dict[str, Any]:
    return {**_dated("date", c.date), "with_whom": c.with_whom, "type": c.type.value, "row": c.row}
