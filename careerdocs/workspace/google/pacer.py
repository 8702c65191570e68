"""Client-side pacing and polite retries for every Google call.

Two parts, as rclone's pacer: token buckets per API and per user (and per project) sized from
config keep careerdocs under Google's per-minute quotas instead of bouncing off them; and a retry
loop with truncated exponential backoff and jitter that honours ``Retry-After``, retries only what
Google says is transient (429, 5xx, the rate-limit 403 reasons, no answer), and caps its tries.

Gmail has a per-user limit per day as well as per minute: 2,000 messages in any rolling 24 hours
per Workspace user (google-api-facts.md, "Gmail sending limits for Workspace"). Waiting hours for
it is no pacing, so a call past a ``per_user_per_day`` limit raises
:class:`~careerdocs.errors.DailyLimitReached` at once, saying when the oldest call counted leaves
the window. It only counts this process's calls: :mod:`careerdocs.senders` keeps the count across
runs and picks senders within it; this is the backstop that holds whatever the caller does.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from ...errors import DailyLimitReached, GoogleAPIError
from .errors import Failure, classify

log = logging.getLogger(__name__)
T = TypeVar("T")

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_DAY = 24 * 60 * 60.0
# Float rounding can leave a bucket a hair short of a cost right after waiting exactly for it;
# without this slack that shortfall would be one more (tiny) sleep.
LEVEL_SLACK = 1e-9
GMAIL_SENDS_PER_DAY = 2000  # per Workspace user, rolling 24 hours
DEFAULT_MAX_TRIES = 6
DEFAULT_MAX_BACKOFF = 32.0
JITTER_SECONDS = 1.0
SHARED_POOLS = {"drive": "all"}  # Drive counts reads and writes against one quota


@dataclass(frozen=True)
class Limit:
    per_user: float  # calls (Gmail: units) per minute
    per_project: float
    per_user_per_day: int = 0  # calls (Gmail: messages) per user in any 24 hours; 0: no limit


class _Bucket:
    """A token bucket that lends: a call that finds too few tokens takes them anyway, leaving
    the bucket in debt, and waits exactly until the debt is repaid. The next caller sees the
    debt and waits behind it, so every call waits at most once, however many threads share the
    bucket (a bucket that only refused would wake every waiting thread to race for each new
    token, and all but one would sleep again)."""

    def __init__(self, per_minute: float, clock: Callable[[], float]) -> None:
        self.capacity = max(per_minute, 1.0)
        self.rate = per_minute / SECONDS_PER_MINUTE
        self.level = self.capacity
        self.clock = clock
        self.stamp = clock()

    def take(self, cost: float) -> float:
        """Take ``cost`` now; return the seconds to wait before using it (0 when the bucket
        held it). A cost above a whole minute's quota (a Gmail send under a tiny budget) counts
        as a full bucket, so it waits for one instead of forever."""
        cost = min(cost, self.capacity)
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        self.level -= cost
        if self.level + LEVEL_SLACK >= 0:
            return 0.0
        return -self.level / self.rate if self.rate > 0 else float("inf")


class Pacer:
    """Paces and retries calls. Safe to share between threads."""

    def __init__(
        self,
        limits: Mapping[tuple[str, str], Limit],
        *,
        max_tries: int = DEFAULT_MAX_TRIES,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        wall: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.limits = dict(limits)
        self.max_tries = max(1, max_tries)
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.wall = wall
        self._buckets: dict[tuple[str, ...], _Bucket] = {}
        self._days: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()
        self.retries = 0  # total retries made, for summaries and benchmarks
        self.waited = 0.0  # seconds spent pacing or backing off

    def take(self, api: str, kind: str, user: str, cost: float = 1.0) -> None:
        """Wait until one call of ``cost`` fits ``user``'s and the project's buckets; for calls
        that are sent in a batch rather than through :meth:`call`."""
        limit = self.limits.get((api, kind))
        if limit is None:
            return
        pool = SHARED_POOLS.get(api, kind)
        with self._lock:
            self._day_window(limit, (api, pool, "user", user))  # raises when it is full
            keys = ((api, pool, "user", user), (api, pool, "project"))
            rates = (limit.per_user, limit.per_project)
            wait = max(
                self._buckets.setdefault(k, _Bucket(r, self.clock)).take(cost)
                for k, r in zip(keys, rates, strict=True)
            )
            if wait > 0:
                self.waited += wait
        if wait > 0:
            log.debug("pacing %s %s for %s: waiting %.2fs", api, kind, user, wait)
            self.sleep(wait)

    def _day_window(self, limit: Limit, key: tuple[str, ...]) -> deque[float] | None:
        """The times of ``key``'s calls in the last 24 hours (oldest first), or None when the
        limit has no daily part. Raises :class:`DailyLimitReached` when it is full: the
        moment the oldest call that must leave does is ``resume_at``. Called under the lock."""
        if limit.per_user_per_day <= 0:
            return None
        window = self._days.setdefault(key, deque())
        now = self.clock()
        while window and window[0] <= now - SECONDS_PER_DAY:
            window.popleft()
        over = len(window) - limit.per_user_per_day
        if over >= 0:
            wait = window[over] + SECONDS_PER_DAY - now
            raise DailyLimitReached(
                self.wall() + timedelta(seconds=wait),
                f"{key[-1]} reached {limit.per_user_per_day:,} {key[0]} calls in 24 hours",
            )
        return window

    def _count_day(self, api: str, kind: str, user: str) -> None:
        """One call of ``user``'s went through: count it against their day. Only calls that
        succeeded count (Gmail counts messages sent, not refused attempts)."""
        limit = self.limits.get((api, kind))
        if limit is None or limit.per_user_per_day <= 0:
            return
        with self._lock:
            key = (api, SHARED_POOLS.get(api, kind), "user", user)
            self._days.setdefault(key, deque()).append(self.clock())

    def backoff(self, attempt: int, failure: Failure) -> float:
        """Seconds before retry number ``attempt`` (1-based): Retry-After if Google gave one,
        else ``min(2**(attempt-1) + jitter, max_backoff)``."""
        if failure.retry_after is not None:
            return min(failure.retry_after, self.max_backoff)
        return min(2 ** (attempt - 1) + self.rng.uniform(0, JITTER_SECONDS), self.max_backoff)

    def call(
        self,
        fn: Callable[[], T],
        *,
        api: str,
        kind: str,
        user: str,
        cost: float = 1.0,
        recover: Callable[[], T | None] | None = None,
        final: Callable[[Failure], BaseException | None] | None = None,
    ) -> T:
        """Run ``fn`` within the quotas, retrying transient failures.

        ``recover`` is for calls that create something: after an attempt that got no answer or a
        5xx, the create may have happened anyway, so ``recover()`` looks for the result (by its
        markers) before trying again, and its non-None result is returned instead of a duplicate.
        ``final`` sees each failure first: an error it returns is raised at once, for failures
        Google calls transient that no retry within this run can cure (Gmail's daily sending
        limit answers 429, with a retry time hours away).
        """
        attempt = 0
        while True:
            attempt += 1
            self.take(api, kind, user, cost)
            try:
                answer = fn()
                self._count_day(api, kind, user)
                return answer
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
            stop = final(failure) if final is not None else None
            if stop is not None:
                raise stop from None
            if recover is not None and (failure.no_answer or failure.status >= 500):
                found = recover()  # the create may have happened: never make a second one
                if found is not None:
                    return found
            if not failure.retryable or attempt >= self.max_tries:
                raise failure.to_error(api) from None
            delay = self.backoff(attempt, failure)
            log.debug(
                "%s %s as %s failed (%s %s); retry %d in %.2fs",
                api,
                kind,
                user,
                failure.status,
                failure.reason,
                attempt,
                delay,
            )
            with self._lock:
                self.retries += 1
                self.waited += delay
            self.sleep(delay)


def limits_from_quotas(q: Mapping[str, float]) -> dict[tuple[str, str], Limit]:
    """Pacer limits from the ``[google.quotas]`` config table (per-minute numbers), and
    ``gmail_sends_per_user_per_day`` (``notify.daily_limit``)."""

    def get(name: str, default: float) -> float:
        return float(q.get(name, default))

    drive = Limit(get("drive_per_user", 12_000), get("drive_per_project", 12_000))
    return {
        ("drive", "read"): drive,
        ("drive", "write"): drive,
        ("sheets", "read"): Limit(
            get("sheets_read_per_user", 60), get("sheets_read_per_project", 300)
        ),
        ("sheets", "write"): Limit(
            get("sheets_write_per_user", 60), get("sheets_write_per_project", 300)
        ),
        ("docs", "read"): Limit(get("docs_read_per_user", 300), get("docs_read_per_project", 3000)),
        ("docs", "write"): Limit(
            get("docs_write_per_user", 60), get("docs_write_per_project", 600)
        ),
        ("gmail", "write"): Limit(
            get("gmail_units_per_user", 15_000),
            get("gmail_units_per_project", 1_200_000),
            int(get("gmail_sends_per_user_per_day", GMAIL_SENDS_PER_DAY)),
        ),
    }


__all__ = ["GoogleAPIError", "Limit", "Pacer", "limits_from_quotas"]
