"""The pacer: polite, capped retries of what Google calls transient, and token buckets that keep
careerdocs under the per-minute quotas. Time is fake (the clock moves only when the pacer
sleeps) and the jitter is seeded, so every wait is asserted exactly and the file runs instantly."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import pytest
import requests

from careerdocs.errors import AuthError, GoogleAPIError
from careerdocs.workspace.google.errors import Failure, classify
from careerdocs.workspace.google.pacer import (
    DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_TRIES,
    Limit,
    Pacer,
    limits_from_quotas,
)

from .test_google_errors import (
    DOCS_BAD_REQUEST,
    DRIVE_AUTH_ERROR,
    DRIVE_BACKEND_ERROR,
    DRIVE_BAD_REQUEST,
    DRIVE_DAILY_LIMIT,
    DRIVE_NO_FILE_PERMISSION,
    DRIVE_NOT_FOUND,
    DRIVE_RATE_LIMIT,
    DRIVE_SHARING_RATE_LIMIT,
    DRIVE_TOO_MANY_REQUESTS,
    DRIVE_USER_RATE_LIMIT,
    GFE_502_PAGE,
    SHEETS_DEADLINE,
    SHEETS_NOT_FOUND,
    SHEETS_PERMISSION_DENIED,
    SHEETS_QUOTA,
    SHEETS_UNAVAILABLE,
    gspread_error,
    http_error,
    refresh_error,
)

SEED = 20261126
ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
ANSWER = {"id": "file-1"}
RECOVERED = {"id": "file-1", "recovered": True}
ErrorFactory = Callable[[], BaseException]


class FakeTime:
    """A monotonic clock that moves only when the pacer sleeps (or a test advances it)."""

    def __init__(self, max_sleeps: int = 1_000) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []
        self.max_sleeps = max_sleeps  # a pacer that never stops waiting fails, not hangs

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if len(self.sleeps) >= self.max_sleeps:
            raise AssertionError(f"still waiting after {len(self.sleeps)} sleeps: {self.sleeps}")
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Script:
    """A call that fails with each given error in turn, then answers."""

    def __init__(self, *errors: ErrorFactory, answer: Any = ANSWER) -> None:
        self.errors = list(errors)
        self.answer = answer
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)()
        return self.answer


class Recover:
    """A ``recover`` callback that counts its calls and finds ``found``."""

    def __init__(self, found: Any) -> None:
        self.found = found
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.found


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_pacer(
    fake_time: FakeTime, limits: dict[tuple[str, str], Limit] | None = None, **options: Any
) -> Pacer:
    return Pacer(
        limits or {},
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        rng=random.Random(SEED),
        **options,
    )


def always(factory: ErrorFactory, times: int) -> list[ErrorFactory]:
    return [factory] * times


TRANSIENT: dict[str, ErrorFactory] = {
    "429-drive": lambda: http_error(429, DRIVE_TOO_MANY_REQUESTS),
    "429-sheets": lambda: gspread_error(429, SHEETS_QUOTA),
    "500": lambda: http_error(500, DRIVE_BACKEND_ERROR),
    "502-html": lambda: http_error(502, GFE_502_PAGE),
    "503": lambda: gspread_error(503, SHEETS_UNAVAILABLE),
    "504": lambda: gspread_error(504, SHEETS_DEADLINE),
    "403-userRateLimitExceeded": lambda: http_error(403, DRIVE_USER_RATE_LIMIT),
    "403-rateLimitExceeded": lambda: http_error(403, DRIVE_RATE_LIMIT),
    "timeout": lambda: TimeoutError("timed out"),
    "connection-reset": lambda: requests.ConnectionError("Connection aborted."),
}

REFUSALS: dict[str, tuple[ErrorFactory, int, str]] = {
    "400": (lambda: http_error(400, DRIVE_BAD_REQUEST), 400, "badRequest"),
    "400-docs": (lambda: http_error(400, DOCS_BAD_REQUEST), 400, "badRequest"),
    "401": (lambda: http_error(401, DRIVE_AUTH_ERROR), 401, "authError"),
    "403-insufficientFilePermissions": (
        lambda: http_error(403, DRIVE_NO_FILE_PERMISSION),
        403,
        "insufficientFilePermissions",
    ),
    "403-sharingRateLimitExceeded": (
        lambda: http_error(403, DRIVE_SHARING_RATE_LIMIT),
        403,
        "sharingRateLimitExceeded",
    ),
    "403-dailyLimitExceeded": (
        lambda: http_error(403, DRIVE_DAILY_LIMIT),
        403,
        "dailyLimitExceeded",
    ),
    "403-sheets": (
        lambda: gspread_error(403, SHEETS_PERMISSION_DENIED),
        403,
        "PERMISSION_DENIED",
    ),
    "404-drive": (lambda: http_error(404, DRIVE_NOT_FOUND), 404, "notFound"),
    "404-sheets": (lambda: gspread_error(404, SHEETS_NOT_FOUND), 404, "NOT_FOUND"),
    "connection-refused": (
        lambda: ConnectionRefusedError(111, "Connection refused"),
        0,
        "connectionRefused",
    ),
}


def call(pacer: Pacer, fn: Callable[[], Any], user: str = ALICE, **options: Any) -> Any:
    options.setdefault("api", "drive")
    options.setdefault("kind", "write")
    return pacer.call(fn, user=user, **options)


# -- what is retried -----------------------------------------------------------------------------


@pytest.mark.parametrize("error", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_retries_a_transient_failure_then_returns_the_answer(
    fake_time: FakeTime, error: ErrorFactory
) -> None:
    pacer = make_pacer(fake_time)
    fn = Script(error, error)

    assert call(pacer, fn) == ANSWER
    assert fn.calls == 3
    assert len(fake_time.sleeps) == 2
    assert pacer.retries == 2


@pytest.mark.parametrize(("error", "status", "reason"), REFUSALS.values(), ids=REFUSALS.keys())
def test_never_retries_a_refusal_and_raises_status_and_reason_at_once(
    fake_time: FakeTime, error: ErrorFactory, status: int, reason: str
) -> None:
    pacer = make_pacer(fake_time)
    fn = Script(error)

    with pytest.raises(GoogleAPIError) as raised:
        call(pacer, fn, api="sheets")

    assert (raised.value.status, raised.value.reason, raised.value.api) == (
        status,
        reason,
        "sheets",
    )
    assert fn.calls == 1
    assert fake_time.sleeps == []
    assert pacer.retries == 0


@pytest.mark.parametrize("max_tries", [1, 3, DEFAULT_MAX_TRIES])
def test_gives_up_on_a_steady_5xx_after_max_tries(fake_time: FakeTime, max_tries: int) -> None:
    pacer = make_pacer(fake_time, max_tries=max_tries)
    fn = Script(*always(TRANSIENT["503"], 100))

    with pytest.raises(GoogleAPIError) as raised:
        call(pacer, fn)

    assert (raised.value.status, raised.value.reason) == (503, "UNAVAILABLE")
    assert fn.calls == max_tries
    assert len(fake_time.sleeps) == max_tries - 1


def test_caps_tries_by_default() -> None:
    fake_time = FakeTime()
    pacer = Pacer({}, sleep=fake_time.sleep, clock=fake_time.clock)
    fn = Script(*always(TRANSIENT["500"], 100))

    with pytest.raises(GoogleAPIError):
        call(pacer, fn)

    assert fn.calls == DEFAULT_MAX_TRIES


def test_an_unrelated_error_propagates_untouched(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time)
    bug = ValueError("template has no {{ name }}")

    def fn() -> None:
        raise bug

    with pytest.raises(ValueError) as raised:
        call(pacer, fn)

    assert raised.value is bug
    assert fake_time.sleeps == []


def test_refused_credentials_stop_at_once_as_an_auth_error(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time)
    fn = Script(refresh_error)

    with pytest.raises(AuthError, match="delegation"):
        call(pacer, fn, api="oauth")

    assert fn.calls == 1
    assert fake_time.sleeps == []


def test_the_error_after_the_last_try_hides_the_client_exception(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time, max_tries=1)

    with pytest.raises(GoogleAPIError) as raised:
        call(pacer, Script(TRANSIENT["500"]))

    assert raised.value.__suppress_context__
    assert raised.value.__cause__ is None


# -- how long it waits ---------------------------------------------------------------------------


def test_backoff_is_truncated_exponential_with_up_to_a_second_of_jitter(
    fake_time: FakeTime,
) -> None:
    max_backoff = 20.0
    pacer = make_pacer(fake_time, max_tries=9, max_backoff=max_backoff)

    with pytest.raises(GoogleAPIError):
        call(pacer, Script(*always(TRANSIENT["500"], 9)))

    assert len(fake_time.sleeps) == 8
    for n, delay in enumerate(fake_time.sleeps, start=1):
        base = 2 ** (n - 1)
        assert min(base, max_backoff) <= delay < base + 1
        assert delay <= max_backoff
    assert fake_time.sleeps[-3:] == [max_backoff] * 3  # 32, 64, 128 are truncated to the cap


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5])
def test_jitter_spreads_over_the_whole_second(attempt: int) -> None:
    pacer = Pacer({}, rng=random.Random(SEED))
    failure = classify(TRANSIENT["500"]())
    assert isinstance(failure, Failure)
    base = 2 ** (attempt - 1)

    delays = [pacer.backoff(attempt, failure) for _ in range(500)]

    assert all(base <= d < base + 1 for d in delays)
    assert max(delays) - min(delays) > 0.9


def test_the_same_seed_gives_the_same_waits() -> None:
    runs = []
    for _ in range(2):
        fake_time = FakeTime()
        with pytest.raises(GoogleAPIError):
            call(make_pacer(fake_time), Script(*always(TRANSIENT["503"], 10)))
        runs.append(fake_time.sleeps)

    assert runs[0] == runs[1]


def test_default_cap_is_googles_typical_32_seconds() -> None:
    assert DEFAULT_MAX_BACKOFF == 32.0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(
            lambda: http_error(403, DRIVE_USER_RATE_LIMIT, retry_after="3"), 3.0, id="drive-403"
        ),
        pytest.param(lambda: gspread_error(429, SHEETS_QUOTA, retry_after="5"), 5.0, id="sheets"),
        pytest.param(
            lambda: http_error(503, SHEETS_UNAVAILABLE, retry_after="0.5"), 0.5, id="fraction"
        ),
        pytest.param(
            lambda: http_error(429, DRIVE_TOO_MANY_REQUESTS, retry_after="3600"),
            DEFAULT_MAX_BACKOFF,
            id="capped",
        ),
    ],
)
def test_honours_retry_after_up_to_the_cap(
    fake_time: FakeTime, error: ErrorFactory, expected: float
) -> None:
    pacer = make_pacer(fake_time)

    assert call(pacer, Script(error)) == ANSWER
    assert fake_time.sleeps == [expected]


def test_counts_retries_and_seconds_waited(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time)

    call(pacer, Script(TRANSIENT["500"], TRANSIENT["429-drive"], TRANSIENT["timeout"]))

    assert pacer.retries == 3
    assert pacer.waited == pytest.approx(sum(fake_time.sleeps))


def test_logs_every_retry_at_debug(fake_time: FakeTime, caplog: pytest.LogCaptureFixture) -> None:
    pacer = make_pacer(fake_time)

    with caplog.at_level(logging.DEBUG, logger="careerdocs.workspace.google.pacer"):
        call(pacer, Script(TRANSIENT["503"]), api="sheets", kind="read")

    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert "sheets read as alice@example.com failed (503 UNAVAILABLE); retry 1" in caplog.text


# -- creates whose answer was lost ---------------------------------------------------------------


@pytest.mark.parametrize("lost", ["timeout", "connection-reset", "500", "502-html", "503", "504"])
def test_recover_finds_a_create_that_happened_instead_of_repeating_it(
    fake_time: FakeTime, lost: str
) -> None:
    pacer = make_pacer(fake_time)
    fn = Script(TRANSIENT[lost])
    recover = Recover(RECOVERED)

    assert call(pacer, fn, recover=recover) == RECOVERED
    assert (fn.calls, recover.calls) == (1, 1)
    assert fake_time.sleeps == []


def test_recover_finding_nothing_lets_the_create_be_retried(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time)
    fn = Script(TRANSIENT["timeout"])
    recover = Recover(None)

    assert call(pacer, fn, recover=recover) == ANSWER
    assert (fn.calls, recover.calls) == (2, 1)
    assert len(fake_time.sleeps) == 1


@pytest.mark.parametrize(
    "refused", ["429-drive", "429-sheets", "403-userRateLimitExceeded", "403-rateLimitExceeded"]
)
def test_recover_is_not_asked_after_a_rate_limit_since_nothing_was_created(
    fake_time: FakeTime, refused: str
) -> None:
    pacer = make_pacer(fake_time)
    recover = Recover(RECOVERED)

    assert call(pacer, Script(TRANSIENT[refused]), recover=recover) == ANSWER
    assert recover.calls == 0


def test_recover_is_not_asked_after_a_refusal(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time)
    recover = Recover(RECOVERED)

    with pytest.raises(GoogleAPIError):
        call(pacer, Script(REFUSALS["404-drive"][0]), recover=recover)

    assert recover.calls == 0


# -- token buckets -------------------------------------------------------------------------------

SHEETS_LIMIT = Limit(per_user=60, per_project=300)


def noop() -> None:
    return None


def test_the_61st_call_in_a_minute_waits_a_second_for_that_user_only(
    fake_time: FakeTime,
) -> None:
    pacer = make_pacer(fake_time, {("sheets", "read"): SHEETS_LIMIT})
    for _ in range(60):
        call(pacer, noop, api="sheets", kind="read")
    assert fake_time.sleeps == []

    call(pacer, noop, api="sheets", kind="read")
    assert fake_time.sleeps == [pytest.approx(1.0)]

    call(pacer, noop, user=BOB, api="sheets", kind="read")
    assert len(fake_time.sleeps) == 1


def test_a_users_bucket_refills_over_a_minute(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time, {("sheets", "read"): SHEETS_LIMIT})
    for _ in range(60):
        call(pacer, noop, api="sheets", kind="read")

    fake_time.advance(60)
    for _ in range(60):
        call(pacer, noop, api="sheets", kind="read")

    assert fake_time.sleeps == []


def test_the_project_bucket_is_shared_by_every_user(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time, {("sheets", "write"): Limit(per_user=60, per_project=100)})
    for user, calls in ((ALICE, 60), (BOB, 40)):
        for _ in range(calls):
            call(pacer, noop, user=user, api="sheets", kind="write")
    assert fake_time.sleeps == []

    call(pacer, noop, user=CAROL, api="sheets", kind="write")

    assert fake_time.sleeps == [pytest.approx(60 / 100)]


@pytest.mark.parametrize(("api", "write_waits"), [("drive", True), ("sheets", False)])
def test_drive_reads_and_writes_share_one_bucket_other_apis_do_not(
    fake_time: FakeTime, api: str, write_waits: bool
) -> None:
    tight = Limit(per_user=2, per_project=1_000)
    pacer = make_pacer(fake_time, {(api, "read"): tight, (api, "write"): tight})
    call(pacer, noop, api=api, kind="read")
    call(pacer, noop, api=api, kind="read")

    call(pacer, noop, api=api, kind="write")

    assert bool(fake_time.sleeps) is write_waits


def test_a_call_costing_units_takes_that_many(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time, {("gmail", "write"): Limit(per_user=250, per_project=10_000)})
    call(pacer, noop, api="gmail", kind="write", cost=100)
    call(pacer, noop, api="gmail", kind="write", cost=100)
    assert fake_time.sleeps == []

    call(pacer, noop, api="gmail", kind="write", cost=100)

    assert fake_time.sleeps == [pytest.approx(50 / (250 / 60))]


def test_a_call_costing_more_than_a_minutes_quota_goes_through_on_a_full_bucket() -> None:
    """A Gmail send costs 100 units; config accepts gmail_units_per_user down to 1."""
    fake_time = FakeTime(max_sleeps=10)
    pacer = make_pacer(fake_time, {("gmail", "write"): Limit(per_user=50, per_project=10_000)})

    call(pacer, noop, api="gmail", kind="write", cost=100)
    call(pacer, noop, api="gmail", kind="write", cost=100)

    assert sum(fake_time.sleeps) <= 60


def test_apis_without_a_limit_are_not_paced(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time, {("sheets", "read"): SHEETS_LIMIT})

    for _ in range(500):
        call(pacer, noop, api="oauth", kind="read")

    assert fake_time.sleeps == []


def test_each_retry_takes_from_the_bucket_too(fake_time: FakeTime) -> None:
    pacer = make_pacer(fake_time, {("sheets", "read"): Limit(per_user=1, per_project=300)})

    call(pacer, Script(TRANSIENT["timeout"]), api="sheets", kind="read")

    backoff, pacing = fake_time.sleeps
    assert 1 <= backoff < 2
    assert pacing == pytest.approx(60 - backoff)


# -- limits from config --------------------------------------------------------------------------


def test_default_limits_are_googles_published_quotas() -> None:
    assert limits_from_quotas({}) == {
        ("drive", "read"): Limit(12_000, 12_000),
        ("drive", "write"): Limit(12_000, 12_000),
        ("sheets", "read"): Limit(60, 300),
        ("sheets", "write"): Limit(60, 300),
        ("docs", "read"): Limit(300, 3_000),
        ("docs", "write"): Limit(60, 600),
        ("gmail", "write"): Limit(15_000, 1_200_000, 2000),
    }


@pytest.mark.parametrize(
    ("name", "keys", "field"),
    [
        ("drive_per_user", [("drive", "read"), ("drive", "write")], "per_user"),
        ("drive_per_project", [("drive", "read"), ("drive", "write")], "per_project"),
        ("sheets_read_per_user", [("sheets", "read")], "per_user"),
        ("sheets_read_per_project", [("sheets", "read")], "per_project"),
        ("sheets_write_per_user", [("sheets", "write")], "per_user"),
        ("sheets_write_per_project", [("sheets", "write")], "per_project"),
        ("docs_read_per_user", [("docs", "read")], "per_user"),
        ("docs_read_per_project", [("docs", "read")], "per_project"),
        ("docs_write_per_user", [("docs", "write")], "per_user"),
        ("docs_write_per_project", [("docs", "write")], "per_project"),
        ("gmail_units_per_user", [("gmail", "write")], "per_user"),
        ("gmail_units_per_project", [("gmail", "write")], "per_project"),
        ("gmail_sends_per_user_per_day", [("gmail", "write")], "per_user_per_day"),
    ],
)
def test_each_quota_name_sets_exactly_its_limit(
    name: str, keys: list[tuple[str, str]], field: str
) -> None:
    defaults = limits_from_quotas({})

    limits = limits_from_quotas({name: 7})

    for key, limit in limits.items():
        if key in keys:
            assert getattr(limit, field) == 7.0
            other = "per_project" if field == "per_user" else "per_user"
            assert getattr(limit, other) == getattr(defaults[key], other)
        else:
            assert limit == defaults[key]
