"""The pacer and Gmail's per-user sending limits: 15,000 units a minute per user (a send is 100
units: 150 sends a minute) and 2,000 messages in any 24 hours (google-api-facts.md §1 and
"Gmail sending limits for Workspace"). Each sender has its own budgets; waiting is one sleep
per shortfall, never a spin; the daily limit is not waited for but reported with when to
resume. Time is fake (it moves only when the pacer sleeps or the test advances it)."""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from careerdocs.errors import DailyLimitReached, GoogleAPIError
from careerdocs.workspace.google.errors import Failure
from careerdocs.workspace.google.gmail import SEND_COST, sending_limit
from careerdocs.workspace.google.pacer import Limit, Pacer, limits_from_quotas

from .test_google_errors import http_error
from .test_pacer import FakeTime

WALL = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
SENDERS = ("people@example.com", "careers@example.com", "siobhan@example.com")
GMAIL = limits_from_quotas({})[("gmail", "write")]
GMAIL_SEND = {"api": "gmail", "kind": "write", "cost": SEND_COST}


def gmail_pacer(
    fake_time: FakeTime, limit: Limit = GMAIL, wall: datetime = WALL, **options: object
) -> Pacer:
    start = fake_time.now
    return Pacer(
        {("gmail", "write"): limit},
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        rng=random.Random(1),
        wall=lambda: wall + timedelta(seconds=fake_time.now - start),
        **options,  # type: ignore[arg-type]
    )


def send(pacer: Pacer, sender: str) -> None:
    pacer.call(lambda: None, user=sender, **GMAIL_SEND)  # type: ignore[arg-type]


def test_gmail_defaults_are_150_sends_a_minute_and_2000_a_day() -> None:
    assert Limit(per_user=15_000, per_project=1_200_000, per_user_per_day=2000) == GMAIL
    assert GMAIL.per_user / SEND_COST == 150


def test_the_daily_limit_follows_notify_daily_limit() -> None:
    limits = limits_from_quotas({"gmail_sends_per_user_per_day": 500})
    assert limits[("gmail", "write")].per_user_per_day == 500
    assert all(v.per_user_per_day == 0 for k, v in limits.items() if k[0] != "gmail")


@pytest.mark.parametrize(
    ("sends", "sleeps", "seconds"),
    [
        (150, 0, 0.0),  # a full minute's bucket: no wait
        (151, 1, 0.4),  # the 151st waits for 100 units at 250 a second
        (300, 150, 60.0),  # then one send every 0.4 s: 150 a minute
        (450, 300, 120.0),
    ],
)
def test_one_sender_sends_150_a_minute_with_one_sleep_per_send_over(
    sends: int, sleeps: int, seconds: float
) -> None:
    fake_time = FakeTime(max_sleeps=sleeps)
    pacer = gmail_pacer(fake_time)
    for _ in range(sends):
        send(pacer, SENDERS[0])
    assert len(fake_time.sleeps) == sleeps
    assert sum(fake_time.sleeps) == pytest.approx(seconds)
    assert all(s == pytest.approx(0.4) for s in fake_time.sleeps)


@pytest.mark.parametrize("senders", [1, 2, 3])
def test_each_sender_has_its_own_minute(senders: int) -> None:
    fake_time = FakeTime(max_sleeps=0)
    pacer = gmail_pacer(fake_time)
    for sender in SENDERS[:senders]:
        for _ in range(150):
            send(pacer, sender)
    assert fake_time.sleeps == []  # 150 x senders sends in the same instant, no wait


def test_many_senders_together_are_held_by_the_project_quota_only() -> None:
    fake_time = FakeTime(max_sleeps=1)
    pacer = gmail_pacer(fake_time, Limit(per_user=15_000, per_project=30_000))
    for i in range(300):
        send(pacer, SENDERS[i % 3])
    assert fake_time.sleeps == []
    send(pacer, SENDERS[2])  # the project's 30,000 units are spent; its users' are not
    assert fake_time.sleeps == [pytest.approx(100 / (30_000 / 60))]


def test_the_daily_limit_is_raised_not_waited_for() -> None:
    fake_time = FakeTime(max_sleeps=0)
    pacer = gmail_pacer(fake_time, Limit(per_user=1_000_000, per_project=10**9, per_user_per_day=3))
    for _ in range(3):
        send(pacer, SENDERS[0])
    with pytest.raises(DailyLimitReached) as caught:
        send(pacer, SENDERS[0])
    assert caught.value.resume_at == WALL + timedelta(hours=24)
    assert fake_time.sleeps == []
    send(pacer, SENDERS[1])  # another sender's day is its own


def test_the_daily_window_rolls() -> None:
    fake_time = FakeTime(max_sleeps=0)
    pacer = gmail_pacer(fake_time, Limit(per_user=1_000_000, per_project=10**9, per_user_per_day=2))
    send(pacer, SENDERS[0])
    fake_time.advance(3600)
    send(pacer, SENDERS[0])
    fake_time.advance(23 * 3600 - 1)
    with pytest.raises(DailyLimitReached) as caught:
        send(pacer, SENDERS[0])
    assert caught.value.resume_at == WALL + timedelta(hours=24)  # the first send leaves then
    fake_time.advance(1)
    send(pacer, SENDERS[0])
    with pytest.raises(DailyLimitReached) as caught:
        send(pacer, SENDERS[0])
    assert caught.value.resume_at == WALL + timedelta(hours=25)


def test_a_call_refused_by_the_daily_limit_takes_nothing_from_the_minute() -> None:
    fake_time = FakeTime(max_sleeps=0)
    pacer = gmail_pacer(fake_time, Limit(per_user=200, per_project=10**9, per_user_per_day=1))
    send(pacer, SENDERS[0])
    for _ in range(5):
        with pytest.raises(DailyLimitReached):
            send(pacer, SENDERS[0])
    assert fake_time.sleeps == []


def test_waiting_threads_sleep_once_each_they_do_not_spin() -> None:
    """Real time and real threads: 4 threads send 24 messages from one sender whose bucket
    holds 2 sends and refills 20 a second. Each send past the first 2 sleeps once, exactly
    until its turn: no thread wakes to find its send taken and sleeps again, none spins."""
    sleeps: list[float] = []
    lock = threading.Lock()
    speed = 600  # a "minute" of quota passes in 0.1 s

    def sleep(seconds: float) -> None:
        with lock:
            sleeps.append(seconds)
        time.sleep(seconds / speed)

    pacer = Pacer(
        {("gmail", "write"): Limit(per_user=2 * SEND_COST, per_project=10**9)},
        sleep=sleep,
        clock=lambda: time.monotonic() * speed,
    )
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda: [send(pacer, SENDERS[0]) for _ in range(6)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert elapsed >= 22 / 20 - 0.02  # the quota: 2 at once, then 22 at 20 a second
    # 22 when every thread wakes on time; fewer only if one woke so late that the bucket
    # had refilled for its next send
    assert 1 <= len(sleeps) <= 22


# -- Gmail's own answer past the sending limit ----------------------------------------------------

LIMIT_BODY = (
    '{"error": {"code": 429, "message": "User-rate limit exceeded.  Retry after '
    '2026-12-05T08:12:30.000Z (Mail sending)", "errors": [{"message": "User-rate limit exceeded.'
    '  Retry after 2026-12-05T08:12:30.000Z (Mail sending)", "domain": "usageLimits", '
    '"reason": "rateLimitExceeded"}]}}'
)


RATE_LIMITED_BODY = (
    '{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", '
    '"errors": [{"domain": "global", "reason": "rateLimitExceeded"}], "status": '
    '"RESOURCE_EXHAUSTED"}}'
)
BAD_MESSAGE_BODY = (
    '{"error": {"code": 400, "message": "Invalid To header", "errors": [{"domain": "global", '
    '"reason": "invalidArgument", "message": "Invalid To header"}]}}'
)


def failure_of(status: int, message: str) -> Failure:
    return Failure(status, "rateLimitExceeded", message, retryable=True)


@pytest.mark.parametrize(
    ("status", "message", "resume_at"),
    [
        (
            429,
            "User-rate limit exceeded.  Retry after 2026-12-05T08:12:30.000Z (Mail sending)",
            datetime(2026, 12, 5, 8, 12, 30, tzinfo=timezone.utc),
        ),
        (
            429,
            "User-rate limit exceeded.  Retry after 2026-12-04T14:00:00+01:00",
            datetime(2026, 12, 4, 13, 0, tzinfo=timezone.utc),
        ),
        (429, "User-rate limit exceeded.  Retry after 2026-12-04T09:00:20Z", None),  # soon
        (429, "Resource has been exhausted (e.g. check quota).", None),  # per minute
        (403, "Retry after 2026-12-05T08:12:30Z", None),
        (429, "Retry after 2026-12-05T99:12:30Z", None),  # not a time: retried as usual
    ],
)
def test_gmail_refusing_a_sender_for_hours_is_the_daily_limit(
    status: int, message: str, resume_at: datetime | None
) -> None:
    stop = sending_limit(failure_of(status, message), SENDERS[0], WALL, patience=32)
    assert (stop.resume_at if stop else None) == resume_at
    if stop is not None:
        assert SENDERS[0] in str(stop)


def test_the_pacer_stops_at_once_on_the_sending_limit_instead_of_retrying() -> None:
    fake_time = FakeTime(max_sleeps=0)
    pacer = gmail_pacer(fake_time)
    tries = []

    def refused() -> None:
        tries.append(1)
        raise http_error(429, LIMIT_BODY)

    with pytest.raises(DailyLimitReached) as caught:
        pacer.call(
            refused,
            user=SENDERS[0],
            final=lambda f: sending_limit(f, SENDERS[0], WALL, pacer.max_backoff),
            **GMAIL_SEND,  # type: ignore[arg-type]
        )
    assert caught.value.resume_at == datetime(2026, 12, 5, 8, 12, 30, tzinfo=timezone.utc)
    assert (len(tries), fake_time.sleeps) == (1, [])


def test_without_final_the_same_answer_is_retried_as_a_rate_limit() -> None:
    fake_time = FakeTime()
    pacer = gmail_pacer(fake_time, max_tries=3)
    with pytest.raises(GoogleAPIError):
        pacer.call(
            lambda: (_ for _ in ()).throw(http_error(429, LIMIT_BODY)),
            user=SENDERS[0],
            **GMAIL_SEND,  # type: ignore[arg-type]
        )
    assert len(fake_time.sleeps) == 2


def test_only_messages_sent_count_against_the_day() -> None:
    """A send refused for the minute and retried is one message, not two."""
    fake_time = FakeTime()
    pacer = gmail_pacer(fake_time, Limit(per_user=1_000_000, per_project=10**9, per_user_per_day=2))
    attempts = iter([http_error(429, RATE_LIMITED_BODY), None, None])

    def flaky() -> None:
        error = next(attempts)
        if error is not None:
            raise error

    pacer.call(flaky, user=SENDERS[0], **GMAIL_SEND)  # type: ignore[arg-type]
    pacer.call(flaky, user=SENDERS[0], **GMAIL_SEND)  # type: ignore[arg-type]
    with pytest.raises(DailyLimitReached):
        send(pacer, SENDERS[0])


def test_a_failed_send_does_not_count_against_the_day() -> None:
    fake_time = FakeTime()
    pacer = gmail_pacer(
        fake_time, Limit(per_user=1_000_000, per_project=10**9, per_user_per_day=1), max_tries=1
    )
    with pytest.raises(GoogleAPIError):
        pacer.call(
            lambda: (_ for _ in ()).throw(http_error(400, BAD_MESSAGE_BODY)),
            user=SENDERS[0],
            **GMAIL_SEND,  # type: ignore[arg-type]
        )
    send(pacer, SENDERS[0])
