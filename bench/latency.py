"""Per-call latency profiles for the benchmarks: the issue's flat figure and Google-like ones.

Each profile maps "api method" (as the sandbox counts calls) to a mean latency in milliseconds;
a call waits ``mean × uniform(1 - spread, 1 + spread)``. The sandbox adds it to every answered
call (a refused 429 answers at once) and to token requests; the parts of a Drive batch get none,
the batch itself gets the profile's ``drive batch`` figure.

The Google figures: where a public measurement exists it is cited; the rest are assumptions, said
so in :data:`GOOGLE_SOURCES` and printed in the report. A flat 50 ms flatters any script that
makes many calls one after another (the issue's point); these are closer to what one sees from a
client in Europe or North America.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

FLAT, GOOGLE = "flat", "google"

XRAY = (
    "observed from a server in the Netherlands against a real Drive account, 2026-09: "
    "https://github.com/XTLS/Xray-core/pull/6748"
)
SHEETS_PROXY = (
    "observed ~1.1-1.2 s per values write through a hosted proxy (Cloud Run, europe-west1), "
    "an upper bound: https://github.com/piotr-agier/google-drive-mcp/pull/203"
)
ASSUMED = "assumption (no public measurement found)"

# mean ms per method, and where the figure comes from
GOOGLE_MEAN_MS: dict[str, float] = {
    "drive files.copy": 1500.0,
    "drive files.create": 700.0,
    "drive files.update": 550.0,
    "drive files.get": 230.0,
    "drive files.list": 260.0,
    "drive files.delete": 500.0,
    "drive files.generateIds": 200.0,
    "drive permissions.create": 600.0,
    "drive permissions.update": 550.0,
    "drive permissions.delete": 500.0,
    "drive permissions.list": 250.0,
    "drive permissions.get": 230.0,
    "drive changes.list": 300.0,
    "drive changes.getStartPageToken": 200.0,
    "drive batch": 1000.0,
    "docs documents.batchUpdate": 800.0,
    "docs documents.get": 400.0,
    "docs documents.create": 800.0,
    "sheets spreadsheets.batchUpdate": 800.0,
    "sheets spreadsheets.values.batchUpdate": 800.0,
    "sheets spreadsheets.values.update": 800.0,
    "sheets spreadsheets.values.append": 800.0,
    "sheets spreadsheets.values.clear": 600.0,
    "sheets spreadsheets.values.batchClear": 600.0,
    "sheets spreadsheets.values.get": 300.0,
    "sheets spreadsheets.values.batchGet": 350.0,
    "sheets spreadsheets.get": 400.0,
    "sheets spreadsheets.create": 1000.0,
    "gmail users.messages.send": 700.0,
    "oauth token": 100.0,
}
GOOGLE_DEFAULT_MS = 300.0  # any method not listed
GOOGLE_SOURCES: dict[str, str] = {
    "drive files.create": f"686 ms {XRAY} (a small file; a converting upload is slower: "
    "this flatters upload fill)",
    "drive files.update": f"541 ms {XRAY}",
    "drive files.get": f"229 ms {XRAY}",
    "drive files.list": f"260 ms {XRAY}",
    "sheets spreadsheets.values.update": SHEETS_PROXY,
    "sheets spreadsheets.values.batchUpdate": SHEETS_PROXY,
    "sheets spreadsheets.batchUpdate": "assumption: as a values write (" + SHEETS_PROXY + ")",
    "drive batch": "assumption: Google runs a batch's parts concurrently, so about its slowest "
    "parts",
    "oauth token": "assumption (the earlier bench README's ~100 ms)",
}
GOOGLE_SPREAD = 0.3  # ± 30% around the mean, uniform
FLAT_MEAN_MS = 50.0
FLAT_SPREAD_MS = 20.0  # 50 ms ± 20 ms: uniform 30..70 ms (the setting)


@dataclass(frozen=True)
class LatencyProfile:
    """What the sandbox adds per call, before time compression."""

    name: str
    description: str
    default_ms: float  # mean for any method not in ``methods``
    spread: float  # relative: a call takes mean × uniform(1 - spread, 1 + spread)
    methods: Mapping[str, float] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def mean_ms(self, method: str) -> float:
        return self.methods.get(method, self.default_ms)

    def sandbox_table(
        self, known_methods: list[str], time_scale: float
    ) -> dict[str, tuple[float, float]]:
        """(latency ms, jitter ms) per method, as SandboxOptions.method_latency_ms wants them:
        ``latency + uniform(0, jitter)``, both divided by ``time_scale`` (latency is modelled
        time, compressed like the quota minute)."""
        table = {}
        for method in [*known_methods, "oauth token"]:
            mean = self.mean_ms(method) / time_scale
            table[method] = (mean * (1 - self.spread), 2 * mean * self.spread)
        return table

    def to_json(self) -> dict[str, object]:
        return {
            "description": self.description,
            "default_mean_ms": self.default_ms,
            "spread": f"± {self.spread:.0%} uniform around the mean",
            "mean_ms": dict(sorted(self.methods.items())),
            "sources": dict(sorted(self.sources.items())) | {"every other figure": ASSUMED}
            if self.sources
            else {},
        }


PROFILES: dict[str, LatencyProfile] = {
    FLAT: LatencyProfile(
        FLAT,
        "50 ms ± 20 ms (uniform 30-70 ms) on every call and token request: the issue's setting",
        FLAT_MEAN_MS,
        FLAT_SPREAD_MS / FLAT_MEAN_MS,
    ),
    GOOGLE: LatencyProfile(
        GOOGLE,
        "per-method means closer to Google's (± 30% uniform); observed figures cited, the rest "
        "assumed",
        GOOGLE_DEFAULT_MS,
        GOOGLE_SPREAD,
        GOOGLE_MEAN_MS,
        GOOGLE_SOURCES,
    ),
}
