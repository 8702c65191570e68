"""Client-side pacing and polite retries for every Google call.

Two parts, as rclone's pacer: token buckets per API and per user (and per project) sized from
config keep careerdocs under Google's per-minute quotas instead of bouncing off them; and a retry
loop with truncated exponential backoff and jitter that honours ``Retry-After``, retries only what
Google says is transient (429, 5xx, the rate-limit 403 reasons, no answer), and caps its tries.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ...errors import GoogleAPIError
from .errors import Failure, classify

log = logging.getLogger(__name__)
T = TypeVar("T")

SECONDS_PER_MINUTE = 60.0
DEFAULT_MAX_TRIES = 6
DEFAULT_MAX_BACKOFF = 32.0
JITTER_SECONDS = 1.0
SHARED_POOLS = {"drive": "all"}  # Drive counts reads and writes against one quota


@dataclass(frozen=True)
class Limit:
    per_user: float  # calls (Gmail: units) per minute
    per_project: float


class _Bucket:
    def __init__(self, per_minute: float, clock: Callable[[], float]) -> None:
        self.capacity = max(per_minute, 1.0)
        self.rate = per_minute / SECONDS_PER_MINUTE
        self.level = self.capacity
        self.clock = clock
        self.stamp = clock()

    def wait_time(self, cost: float) -> float:
        """Seconds until ``cost`` is available; takes it now if it is. A cost above a whole
        minute's quota (a Gmail send under a tiny budget) waits for a full bucket instead of
        forever."""
        cost = min(cost, self.capacity)
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level >= cost:
            self.level -= cost
            return 0.0
        return (cost - self.level) / self.rate if self.rate > 0 else float("inf")


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
    ) -> None:
        self.limits = dict(limits)
        self.max_tries = max(1, max_tries)
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self._buckets: dict[tuple[str, ...], _Bucket] = {}
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
        while True:
            with self._lock:
                keys = ((api, pool, "user", user), (api, pool, "project"))
                rates = (limit.per_user, limit.per_project)
                buckets = [
                    self._buckets.setdefault(k, _Bucket(r, self.clock))
                    for k, r in zip(keys, rates, strict=True)
                ]
                waits = [b.wait_time(cost) for b in buckets]
                wait = max(waits)
                if wait > 0:  # give back what was taken; retry after the wait
                    for b, w in zip(buckets, waits, strict=True):
                        if w == 0:
                            b.level += cost
            if wait <= 0:
                return
            log.debug("pacing %s %s for %s: waiting %.2fs", api, kind, user, wait)
            with self._lock:
                self.waited += wait
            self.sleep(wait)

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
    ) -> T:
        """Run ``fn`` within the quotas, retrying transient failures.

        ``recover`` is for calls that create something: after an attempt that got no answer or a
        5xx, the create may have happened anyway, so ``recover()`` looks for the result (by its
        markers) before trying again, and its non-None result is returned instead of a duplicate.
        """
        attempt = 0
        while True:
            attempt += 1
            self.take(api, kind, user, cost)
            try:
                return fn()
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
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
    """Pacer limits from the ``[google.quotas]`` config table (per-minute numbers)."""

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
            get("gmail_units_per_user", 15_000), get("gmail_units_per_project", 1_200_000)
        ),
    }


__all__ = ["GoogleAPIError", "Limit", "Pacer", "limits_from_quotas"]
