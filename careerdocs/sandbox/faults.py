"""Injected faults: seeded, so a failing test or benchmark can be replayed exactly."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

DROP = "drop"


@dataclass(frozen=True)
class FaultOptions:
    """Probabilities per API call (each in 0..1; they are tried in this order)."""

    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_429: float = 0.0
    rate_drop: float = 0.0  # close the connection without answering
    seed: int = 0
    retry_after: int | None = None  # seconds, sent with injected 429/503 when set

    @property
    def enabled(self) -> bool:
        return any((self.rate_500, self.rate_503, self.rate_429, self.rate_drop))

    @classmethod
    def parse(cls, spec: str) -> FaultOptions:
        """``"500=0.01,503=0.01,429=0.02,drop=0.005,seed=7"`` → FaultOptions."""
        values: dict[str, float | int] = {}
        names = {
            "500": "rate_500",
            "503": "rate_503",
            "429": "rate_429",
            "drop": "rate_drop",
            "seed": "seed",
            "retry_after": "retry_after",
        }
        for item in filter(None, (p.strip() for p in spec.split(","))):
            key, _, raw = item.partition("=")
            if key not in names or not raw:
                raise ValueError(f"unknown fault {item!r}; use 500=, 503=, 429=, drop=, seed=")
            attr = names[key]
            values[attr] = int(raw) if attr in ("seed", "retry_after") else float(raw)
        return cls(**values)  # type: ignore[arg-type]


class FaultInjector:
    def __init__(self, options: FaultOptions) -> None:
        self.options = options
        self._rng = random.Random(options.seed)
        self._lock = threading.Lock()

    def pick(self) -> int | str | None:
        """The fault for this call: an HTTP status, :data:`DROP`, or None."""
        if not self.options.enabled:
            return None
        with self._lock:
            roll = self._rng.random()
        o = self.options
        for outcome, rate in (
            (500, o.rate_500),
            (503, o.rate_503),
            (429, o.rate_429),
            (DROP, o.rate_drop),
        ):
            if roll < rate:
                return outcome
            roll -= rate
        return None
