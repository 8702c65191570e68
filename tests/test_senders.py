"""Who sends each email, within each account's Gmail budget: the sender pool's modes, its
daily-limit arithmetic over a rolling 24 hours, the ledger that carries counts across runs,
and the config keys that steer it. Pure: a fake clock, no Google."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from careerdocs.config import Settings, parse_settings
from careerdocs.errors import (
    AccountUnreachable,
    ConfigError,
    DailyLimitReached,
    ExitCode,
    Problem,
    WorkspaceError,
)
from careerdocs.senders import (
    DAY,
    SenderPool,
    SendLedger,
    SendLimits,
    admin_sender,
    resume_time,
)
from careerdocs.workspace.base import Email

BASE = Path("/org/config")
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
ADMIN = "pbp@example.com"
PEOPLE = "people@example.com"
CAREERS = "careers@example.com"
SIOBHAN = "siobhan@example.com"
OUTSIDER = "boss@partner.org"


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def settings_with(
    send_as: str = "auto", senders: tuple[str, ...] = (), backend: str = "google", **notify: Any
) -> Settings:
    data: dict[str, Any] = {
        "backend": backend,
        "google": {"admin": ADMIN},
        "notify": {"send_as": send_as, "senders": list(senders), **notify},
    }
    return parse_settings(data, BASE)


def pool_of(
    send_as: str = "auto",
    senders: tuple[str, ...] = (),
    *,
    per_day: int = 2000,
    ledger: SendLedger | None = None,
    clock: Clock | None = None,
    delegation: bool = True,
    backend: str = "google",
) -> SenderPool:
    return SenderPool(
        settings_with(send_as, senders, backend),
        ledger or SendLedger(),
        now=clock or Clock(),
        delegation=delegation,
        limits=SendLimits(per_day=per_day),
    )


def send_all(pool: SenderPool, count: int, prefer: str | None = None) -> list[str]:
    chosen = []
    for _ in range(count):
        sender = pool.choose(prefer=prefer)
        pool.sent(sender, pool.now())
        chosen.append(sender)
    return chosen


# -- which account sends -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send_as", "senders", "delegation", "backend", "mode"),
    [
        ("auto", (), True, "google", "manager"),  # a service account with delegation
        ("auto", (), False, "google", "admin"),  # a user's login sends only as itself
        ("auto", (), True, "local", "admin"),  # files in an outbox: as today
        ("manager", (), True, "google", "manager"),
        ("senders", (PEOPLE,), True, "google", "senders"),
        ("admin", (PEOPLE,), True, "google", "admin"),
        ("admin", (), False, "google", "admin"),
    ],
)
def test_the_mode_a_run_sends_in(
    send_as: str, senders: tuple[str, ...], delegation: bool, backend: str, mode: str
) -> None:
    assert pool_of(send_as, senders, delegation=delegation, backend=backend).mode == mode


@pytest.mark.parametrize("send_as", ["manager", "senders"])
def test_sending_as_others_without_delegation_is_a_config_error(send_as: str) -> None:
    with pytest.raises(ConfigError) as caught:
        pool_of(send_as, (PEOPLE,), delegation=False)
    assert [p.where for p in caught.value.problems] == ["notify.send_as"]
    assert caught.value.exit_code == ExitCode.INVALID_INPUT


def test_a_person_hears_from_their_manager() -> None:
    pool = pool_of("manager")
    assert send_all(pool, 3, prefer="Siobhan@Example.com") == [SIOBHAN] * 3


@pytest.mark.parametrize(
    ("manager", "why"),
    [(None, "no manager (the CEO)"), (OUTSIDER, "a manager outside allowed_domains")],
)
def test_without_a_usable_manager_the_pool_sends(manager: str | None, why: str) -> None:
    assert send_all(pool_of("manager"), 1, prefer=manager) == [ADMIN], why
    assert send_all(pool_of("manager", (PEOPLE, CAREERS)), 2, prefer=manager) == [
        PEOPLE,
        CAREERS,
    ], why


def test_senders_take_turns() -> None:
    pool = pool_of("senders", (PEOPLE, CAREERS))
    assert send_all(pool, 5, prefer=SIOBHAN) == [PEOPLE, CAREERS, PEOPLE, CAREERS, PEOPLE]


def test_admin_mode_is_one_account_whatever_the_manager() -> None:
    assert send_all(pool_of("admin", (PEOPLE,)), 2, prefer=SIOBHAN) == [ADMIN, ADMIN]


@pytest.mark.parametrize(
    ("notify", "expected"),
    [({"sender": PEOPLE}, PEOPLE), ({}, ADMIN)],
)
def test_the_admin_account_is_notify_sender_else_the_google_admin(
    notify: dict[str, str], expected: str
) -> None:
    assert admin_sender(settings_with(**notify)) == expected


def test_the_local_backend_without_an_admin_sends_as_a_no_reply_address() -> None:
    assert admin_sender(parse_settings({}, BASE)) == "careerdocs@example.com"


# -- the daily limit ---------------------------------------------------------------------------


def test_a_manager_out_of_daily_budget_hands_over_to_the_pool() -> None:
    pool = pool_of("manager", (PEOPLE,), per_day=2)
    assert send_all(pool, 4, prefer=SIOBHAN) == [SIOBHAN, SIOBHAN, PEOPLE, PEOPLE]


def test_a_sender_out_of_budget_is_skipped_in_turn() -> None:
    ledger = SendLedger({PEOPLE: [T0 - timedelta(hours=1)] * 3})
    pool = pool_of("senders", (PEOPLE, CAREERS), per_day=3, ledger=ledger)
    assert send_all(pool, 3) == [CAREERS, CAREERS, CAREERS]


def test_when_every_candidate_is_spent_the_run_is_told_when_to_resume() -> None:
    clock = Clock()
    pool = pool_of("senders", (PEOPLE, CAREERS), per_day=2, clock=clock)
    send_all(pool, 2)  # 09:00, one each
    clock.advance(hours=1)
    send_all(pool, 2)  # 10:00, one each: both at the limit
    with pytest.raises(DailyLimitReached) as caught:
        pool.choose(prefer=None)
    error = caught.value
    assert error.resume_at == T0 + DAY  # the 09:00 messages leave the window first
    assert error.exit_code == ExitCode.PARTIAL
    assert "people@example.com, careers@example.com" in str(error)
    assert str(error).endswith("run again after 2026-12-05 09:00 UTC")


def test_the_limit_is_a_rolling_24_hours() -> None:
    clock = Clock()
    pool = pool_of("admin", per_day=2, clock=clock)
    send_all(pool, 2)
    clock.advance(hours=23, minutes=59)
    with pytest.raises(DailyLimitReached):
        pool.choose(prefer=None)
    clock.advance(minutes=1)  # exactly 24 hours after the first two
    assert send_all(pool, 2) == [ADMIN, ADMIN]


def test_a_choice_counts_at_once_so_concurrent_workers_never_overrun() -> None:
    pool = pool_of("admin", per_day=5)
    chosen: list[str] = []
    refused: list[DailyLimitReached] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        try:
            sender = pool.choose(prefer=None)
        except DailyLimitReached as exc:
            with lock:
                refused.append(exc)
            return
        with lock:
            chosen.append(sender)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(chosen), len(refused)) == (5, 3)


def test_a_failed_send_gives_its_place_back() -> None:
    pool = pool_of("admin", per_day=1)
    pool.release(pool.choose(prefer=None))
    assert send_all(pool, 1) == [ADMIN]


@pytest.mark.parametrize(
    ("sent_hours_ago", "pending", "per_day", "resume_in_hours"),
    [
        ([], 0, 1, 0),  # under the limit: now
        ([1], 0, 2, 0),
        ([5], 0, 1, 19),  # the one message leaves the window in 19 hours
        ([5, 3], 0, 1, 21),  # two over a limit of one: both must leave
        ([5, 3], 0, 2, 19),
        ([5], 1, 2, 19),  # a send in flight counts as sent now
        ([], 2, 2, 24),
    ],
)
def test_resume_time_is_when_enough_old_messages_leave_the_window(
    sent_hours_ago: list[int], pending: int, per_day: int, resume_in_hours: int
) -> None:
    times = sorted(T0 - timedelta(hours=h) for h in sent_hours_ago)
    assert resume_time(times, pending, T0, per_day) == T0 + timedelta(hours=resume_in_hours)


def test_the_resume_time_shown_never_is_too_early() -> None:
    error = DailyLimitReached(datetime(2026, 12, 5, 9, 0, 1, tzinfo=timezone.utc))
    assert str(error).endswith("run again after 2026-12-05 09:01 UTC")


# -- an account Google will not act as -----------------------------------------------------------


def test_a_manager_google_will_not_act_as_is_set_aside_for_the_pool() -> None:
    pool = pool_of("manager", (PEOPLE,))
    sent: list[str] = []

    def send(message: Email) -> None:
        if message.sender == SIOBHAN:
            raise AccountUnreachable("invalid_grant: Invalid email or User ID", "no account")
        sent.append(message.sender)

    def compose(sender: str) -> Email:
        return Email(sender=sender, to="zoe@example.com", subject="s", body="b")

    for _ in range(2):
        pool.deliver(compose, send, prefer=SIOBHAN)
    assert sent == [PEOPLE, PEOPLE]
    assert pool.ledger.count(SIOBHAN, T0 - DAY) == 0
    assert pool.ledger.count(PEOPLE, T0 - DAY) == 2


def test_the_admin_unreachable_is_the_runs_problem_not_set_aside() -> None:
    pool = pool_of("admin")

    def send(message: Email) -> None:
        raise AccountUnreachable("invalid_grant: Invalid email or User ID", "no account")

    with pytest.raises(AccountUnreachable):
        pool.deliver(lambda s: Email(s, "zoe@example.com", "s", "b"), send, prefer=None)
    assert send_all(pool, 1) == [ADMIN]  # its place was given back


def test_a_send_that_fails_otherwise_is_not_counted() -> None:
    pool = pool_of("admin", per_day=1)

    def send(message: Email) -> None:
        raise WorkspaceError("gmail 500 backendError")

    with pytest.raises(WorkspaceError):
        pool.deliver(lambda s: Email(s, "zoe@example.com", "s", "b"), send, prefer=None)
    assert pool.ledger.count(ADMIN, T0 - DAY) == 0
    assert send_all(pool, 1) == [ADMIN]


# -- the ledger ---------------------------------------------------------------------------------


def test_the_ledger_carries_counts_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "sent.json"
    first = pool_of("admin", per_day=3)
    send_all(first, 2)
    first.ledger.save(path, now=T0)
    second = pool_of("admin", per_day=3, ledger=SendLedger.load(path))
    assert send_all(second, 1) == [ADMIN]
    with pytest.raises(DailyLimitReached):
        second.choose(prefer=None)


def test_saving_drops_what_is_older_than_24_hours(tmp_path: Path) -> None:
    path = tmp_path / "sent.json"
    ledger = SendLedger(
        {
            ADMIN: [T0 - timedelta(hours=30), T0 - timedelta(hours=2)],
            PEOPLE: [T0 - DAY - timedelta(seconds=1)],
        }
    )
    ledger.save(path, now=T0)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {"version": 1, "sent": {ADMIN: ["2026-12-04T07:00:00+00:00"]}}
    assert not list(tmp_path.glob("*.tmp"))


def test_no_ledger_file_yet_is_an_empty_ledger(tmp_path: Path) -> None:
    assert SendLedger.load(tmp_path / "none.json").senders() == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{", "not JSON"),
        ('{"version": 9, "sent": {}}', "not a version 1 send ledger"),
        ('{"version": 1}', 'it has no "sent" table'),
        ('{"version": 1, "sent": {"a@example.com": "x"}}', "not a list of times"),
        ('{"version": 1, "sent": {"a@example.com": ["yesterday"]}}', "is not a UTC time"),
        ('{"version": 1, "sent": {"a@example.com": ["2026-12-04T09:00:00"]}}', "UTC time"),
    ],
)
def test_a_damaged_ledger_is_an_error_naming_it(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "sent.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WorkspaceError) as caught:
        SendLedger.load(path)
    assert str(path) in str(caught.value) and why in str(caught.value)
    assert "notify.ledger" in str(caught.value)


def test_ledger_counts_per_sender_case_blind() -> None:
    ledger = SendLedger()
    ledger.record("People@Example.com", T0)
    ledger.record(PEOPLE, T0 + timedelta(minutes=1))
    assert ledger.count(PEOPLE, T0) == 2
    assert ledger.count(PEOPLE, T0 + timedelta(seconds=1)) == 1
    assert ledger.count(CAREERS, T0) == 0


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        SendLedger().record(ADMIN, datetime(2026, 12, 4, 9, 0))


# -- config ---------------------------------------------------------------------------------------


def test_notify_defaults() -> None:
    notify = parse_settings({}, BASE).notify
    assert (notify.send_as, notify.senders, notify.daily_limit) == ("auto", (), 2000)
    assert notify.ledger == BASE / ".careerdocs-sent.json"
    assert SendLimits.from_settings(parse_settings({}, BASE)) == SendLimits(150, 2000)


def test_limits_follow_the_configured_quota_and_daily_limit() -> None:
    settings = parse_settings(
        {"notify": {"daily_limit": 500}, "google": {"quotas": {"gmail_units_per_user": 6000}}},
        BASE,
    )
    assert SendLimits.from_settings(settings) == SendLimits(per_minute=60, per_day=500)


def test_senders_are_lower_cased_and_deduplicated() -> None:
    settings = parse_settings({"notify": {"senders": ["People@Example.com", PEOPLE]}}, BASE)
    assert settings.notify.senders == (PEOPLE,)


@pytest.mark.parametrize(
    ("notify", "where", "message"),
    [
        (
            {"send_as": "managers"},
            "notify.send_as",
            "must be one of auto, manager, senders, admin; got 'managers'",
        ),
        (
            {"senders": ["people team"]},
            "notify.senders",
            "must be a list of email addresses; got 'people team'",
        ),
        ({"senders": PEOPLE}, "notify.senders", f"must be a list of strings; got {PEOPLE!r}"),
        ({"daily_limit": 0}, "notify.daily_limit", "must be at least 1; got 0"),
        ({"ledger": ""}, "notify.ledger", "must not be empty"),
        (
            {"senders": [OUTSIDER]},
            "notify.senders",
            f"{OUTSIDER} is outside allowed_domains (example.com)",
        ),
        (
            {"send_as": "senders"},
            "notify.senders",
            "must list at least one address when send_as is senders",
        ),
    ],
)
def test_bad_notify_settings_name_their_key(
    notify: dict[str, Any], where: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"notify": notify}, BASE)
    assert caught.value.problems == [Problem(where, message)]


def test_describe_says_who_sends_and_the_busiest_account_today() -> None:
    ledger = SendLedger({PEOPLE: [T0 - timedelta(hours=1)] * 3, CAREERS: [T0]})
    pool = SenderPool(
        settings_with("senders", (PEOPLE, CAREERS)),
        ledger,
        now=Clock(),
        ledger_path=Path("sent.json"),
    )
    assert pool.describe() == (
        "people@example.com, careers@example.com, in turn; at most 2,000 a day and 150 a minute "
        "each; busiest in the last 24 hours: people@example.com, 3 sent"
    )


def test_a_sender_gmail_refuses_for_the_day_is_skipped_until_gmails_time() -> None:
    clock = Clock()
    pool = pool_of("senders", (PEOPLE, CAREERS), clock=clock)
    gmail_until = T0 + timedelta(hours=5)
    sent: list[str] = []

    def send(message: Email) -> None:
        if message.sender == PEOPLE and clock() < gmail_until:
            raise DailyLimitReached(gmail_until, "Gmail refuses more mail from people@")
        sent.append(message.sender)

    def compose(sender: str) -> Email:
        return Email(sender, "zoe@example.com", "s", "b")

    for _ in range(3):
        pool.deliver(compose, send, prefer=None)
    assert sent == [CAREERS, CAREERS, CAREERS]
    clock.advance(hours=5)
    pool.deliver(compose, send, prefer=None)
    assert sent[-1] == PEOPLE


def test_when_gmail_refuses_every_candidate_its_time_is_the_resume_time() -> None:
    pool = pool_of("admin")
    gmail_until = T0 + timedelta(hours=7, minutes=30)

    def send(message: Email) -> None:
        raise DailyLimitReached(gmail_until, "Gmail refuses")

    with pytest.raises(DailyLimitReached) as caught:
        pool.deliver(lambda s: Email(s, "zoe@example.com", "s", "b"), send, prefer=None)
    assert caught.value.resume_at == gmail_until
    assert pool.ledger.count(ADMIN, T0 - DAY) == 0
