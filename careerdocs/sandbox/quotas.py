"""Per-minute quotas as token buckets, per API, per project and per user, read and write; and
Gmail's daily sending limit per user.

Defaults are Google's published numbers (google-api-facts.md §1). ``time_scale`` compresses
time: with 60, a "minute" of quota refills in one second, so a benchmark can run many quota
minutes quickly and still be bound by the modelled limits. The daily limit is a rolling window
of 24 hours compressed the same way: 2,000 messages per Workspace user ("Gmail sending limits
for Workspace"), counted for each send the per-minute quotas let through.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

# (api, kind) -> (per-user limit, per-project limit) per minute. Drive has one pool for reads
# and writes; Gmail counts quota units, not requests.
DEFAULT_LIMITS: dict[tuple[str, str], tuple[int, int]] = {
    ("drive", "read"): (12_000, 12_000),
    ("drive", "write"): (12_000, 12_000),
    ("sheets", "read"): (60, 300),
    ("sheets", "write"): (60, 300),
    ("docs", "read"): (300, 3_000),
    ("docs", "write"): (60, 600),
    ("gmail", "read"): (15_000, 1_200_000),
    ("gmail", "write"): (15_000, 1_200_000),
}
SHARED_POOLS = {"drive": "all"}  # Drive's reads and writes draw on one bucket


class ScaledClock:
    """Time running ``scale`` times faster than the wall clock: the clock and sleep to give
    careerdocs' pacer (``open_google(settings, clock=c.now, sleep=c.sleep)``) when the sandbox
    it talks to compresses its quotas by the same ``time_scale``."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.origin = time.monotonic()

    def now(self) -> float:
        return self.origin + (time.monotonic() - self.origin) * self.scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.scale)


GMAIL_UNITS = {"users.messages.send": 100}
GMAIL_DEFAULT_UNITS = 5
# method -> calls per user in any 24 hours
DEFAULT_DAILY_LIMITS: dict[str, int] = {"users.messages.send": 2_000}
SECONDS_PER_DAY = 24 * 60 * 60.0


@dataclass
class Bucket:
    capacity: float
    refill_per_second: float
    level: float
    stamp: float = field(default_factory=time.monotonic)

    def take(self, amount: float, now: float) -> bool:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.refill_per_second)
        self.stamp = now
        if self.level >= amount:
            self.level -= amount
            return True
        return False


@dataclass(frozen=True)
class Exceeded:
    """Which limit ran out: ``scope`` is "user" or "project" (per minute) or "day" (the daily
    limit, which has room again at ``retry_at``, wall-clock epoch seconds)."""

    api: str
    kind: str
    scope: str
    retry_at: float | None = None


class Quotas:
    def __init__(
        self,
        limits: dict[tuple[str, str], tuple[int, int]] | None = None,
        time_scale: float = 1.0,
        daily: dict[str, int] | None = None,
    ) -> None:
        self.limits = dict(DEFAULT_LIMITS)
        self.limits.update(limits or {})
        self.daily = dict(DEFAULT_DAILY_LIMITS)
        self.daily.update(daily or {})
        self.time_scale = time_scale
        self._buckets: dict[tuple[str, ...], Bucket] = {}
        self._days: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: tuple[str, ...], per_minute: int, now: float) -> Bucket:
        b = self._buckets.get(key)
        if b is None:
            b = Bucket(per_minute, per_minute / 60.0 * self.time_scale, per_minute, now)
            self._buckets[key] = b
        return b

    def charge(self, api: str, kind: str, method: str, user: str) -> Exceeded | None:
        """Take one call's cost from the user's and the project's buckets, or say which is empty.

        A refused call takes nothing from either bucket.
        """
        limits = self.limits.get((api, kind))
        if limits is None:
            return None
        cost = GMAIL_UNITS.get(method, GMAIL_DEFAULT_UNITS) if api == "gmail" else 1
        pool = SHARED_POOLS.get(api, kind)
        now = time.monotonic()
        with self._lock:
            day = self._day(method, user, now)
            if day is not None and len(day) >= self.daily[method]:
                oldest_leaves = (
                    day[len(day) - self.daily[method]] + SECONDS_PER_DAY / self.time_scale
                )
                return Exceeded(api, kind, "day", time.time() + oldest_leaves - now)
            user_bucket = self._bucket((api, pool, "user", user), limits[0], now)
            project_bucket = self._bucket((api, pool, "project"), limits[1], now)
            if not user_bucket.take(cost, now):
                return Exceeded(api, kind, "user")
            if not project_bucket.take(cost, now):
                user_bucket.level += cost
                return Exceeded(api, kind, "project")
            if day is not None:
                day.append(now)
        return None

    def _day(self, method: str, user: str, now: float) -> deque[float] | None:
        """The times of ``user``'s ``method`` calls in the last (compressed) 24 hours, or None
        for a method without a daily limit. Called under the lock."""
        if method not in self.daily:
            return None
        window = self._days.setdefault((method, user), deque())
        while window and window[0] <= now - SECONDS_PER_DAY / self.time_scale:
            window.popleft()
        return window
