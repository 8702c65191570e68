"""Call counters by API, method, user and status, for tests and benchmarks."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Counters:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, str, int]] = Counter()
        self._lock = threading.Lock()

    def add(self, api: str, method: str, user: str, status: int) -> None:
        with self._lock:
            self._counts[(api, method, user, status)] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def total(
        self,
        api: str | None = None,
        method: str | None = None,
        user: str | None = None,
        status: int | None = None,
    ) -> int:
        """Calls matching every given filter."""
        with self._lock:
            items = list(self._counts.items())
        return sum(
            n
            for (a, m, u, s), n in items
            if (api is None or a == api)
            and (method is None or m == method)
            and (user is None or u == user)
            and (status is None or s == status)
        )

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            items = sorted(self._counts.items())
        return [
            {"api": a, "method": m, "user": u, "status": s, "count": n} for (a, m, u, s), n in items
        ]
