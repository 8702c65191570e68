"""Provision N people against the sandbox: which fill strategy, how many workers.

Each run is what ``careerdocs provision --workers W`` does (roster, plan, apply, People tab),
called through the library like the CLI calls it, against a fresh sandbox in a child process:

* fill "upload": the built-in .docx/.xlsx templates rendered locally, uploaded with conversion;
* fill "copy": the same templates as the organisation's Google Doc/Sheet templates in Drive,
  copied with files.copy then filled with Docs replaceAllText / Sheets values.batchUpdate;

under two conditions: quotas off and no latency (what careerdocs and the sandbox cost in CPU), and
"google": Google's published per-minute quotas (minutes passing ``--time-scale`` times faster,
careerdocs' pacer on the same clock) plus ``--latency-ms`` + up to ``--jitter-ms`` per call.

    python bench/provision.py [--people 200] [--full | --workers 1 4 8] [--fill upload copy]
                              [--conditions off google] [--latency-ms 50] [--jitter-ms 20]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from _common import (
    GMAIL,
    SECONDS_PER_MINUTE,
    BenchSandbox,
    Member,
    SandboxSpec,
    calls_by_method,
    google_config,
    management_tree,
    open_google_workspace,
    print_table,
    provision_all,
    quota_use,
    rate_limited,
    running_sandbox,
    scratch_dir,
    stopwatch,
    upload_templates,
    write_roster,
)

from careerdocs.config import load_settings

UPLOAD, COPY = "upload", "copy"
OFF, GOOGLE = "off", "google"
DEFAULT_PEOPLE = 200
# The default run fits in about three minutes on two cores: with quotas off one worker shows
# the CPU each person costs; under "google" eight hide the latency. --full runs 1, 4 and 8 under
# both (with 50-70 ms per call, one worker spends 2+ minutes per fill on round trips alone).
DEFAULT_WORKERS = {OFF: (1,), GOOGLE: (8,)}
FULL_WORKERS = (1, 4, 8)
DEFAULT_LATENCY_MS = 50.0
DEFAULT_JITTER_MS = 20.0
DEFAULT_TIME_SCALE = 1.0
MS_PER_SECOND = 1000.0


@dataclass
class Run:
    """One provision run and what it cost."""

    condition: str
    fill: str
    workers: int
    people: int
    seconds: float
    client_cpu: float
    sandbox_cpu: float | None
    snapshot: list[dict[str, Any]]
    retries: int
    failed: int
    sandbox_rss: float | None
    time_scale: float | None  # None: quotas off

    def per_person(self, value: float) -> float:
        return value / self.people

    def quota_floor(self) -> float | str:
        """Wall seconds the quotas allow this run at the least (every bucket starting full)."""
        if self.time_scale is None:
            return "-"
        minutes = max(use.floor_minutes for use in quota_use(self.snapshot))
        return minutes * SECONDS_PER_MINUTE / self.time_scale

    def calls(self) -> Counter[str]:
        return calls_by_method(self.snapshot)

    def row(self) -> list[Any]:
        api_calls = sum(n for k, n in self.calls().items() if not k.startswith("oauth"))
        return [
            self.condition,
            self.fill,
            self.workers,
            self.seconds,
            self.people / self.seconds * SECONDS_PER_MINUTE,
            self.per_person(self.client_cpu) * MS_PER_SECOND,
            "-" if self.sandbox_cpu is None else self.per_person(self.sandbox_cpu) * MS_PER_SECOND,
            self.per_person(api_calls),
            self.quota_floor(),
            rate_limited(self.snapshot),
            self.retries,
            self.failed,
            "-" if self.sandbox_rss is None else self.sandbox_rss,
        ]


def run_once(
    members: Sequence[Member], spec: SandboxSpec, condition: str, fill: str, workers: int
) -> Run:
    with (
        scratch_dir("provision") as directory,
        running_sandbox([m.email for m in members], spec) as bench,
    ):
        roster = write_roster(directory / "roster.csv", members)
        templates = upload_templates(bench) if fill == COPY else None
        config = google_config(directory, bench, roster, templates=templates, fill=fill)
        settings = load_settings(config)
        workspace = open_google_workspace(settings, spec.time_scale, paced=spec.quotas != OFF)
        bench.reset_counters()
        sandbox_before = bench.cpu_seconds()
        cpu_before = time.process_time()
        with stopwatch() as timed:
            result = provision_all(settings, workspace, workers)
        client_cpu = time.process_time() - cpu_before
        return Run(
            condition,
            fill,
            workers,
            len(members),
            timed.seconds,
            client_cpu,
            _cpu_since(bench, sandbox_before),
            bench.snapshot(),
            workspace.pacer.retries,
            len(result.failures),
            bench.peak_rss_mb(),
            None if spec.quotas == OFF else spec.time_scale,
        )


def _cpu_since(bench: BenchSandbox, before: float | None) -> float | None:
    now = bench.cpu_seconds()
    return None if now is None or before is None else now - before


def calls_table(runs: Mapping[str, Run]) -> list[list[Any]]:
    """API calls per person, by API and method, for each fill strategy."""
    per_fill = {fill: run.calls() for fill, run in runs.items()}
    names = sorted({name for calls in per_fill.values() for name in calls})
    return [
        [name, *(runs[fill].per_person(per_fill[fill][name]) for fill in runs)] for name in names
    ]


def ceiling_table(runs: Mapping[str, Run]) -> list[list[Any]]:
    """People per minute Google's quotas allow in the steady state, with and without email."""
    rows = []
    for fill, run in runs.items():
        uses = quota_use(run.snapshot)
        quiet = [u for u in uses if not u.bucket.startswith(GMAIL)]
        top, top_quiet = uses[0], quiet[0]
        rows.append(
            [
                fill,
                f"{top.bucket}, {top.binding}",
                run.people / top.minutes,
                f"{top_quiet.bucket}, {top_quiet.binding}",
                run.people / top_quiet.minutes,
            ]
        )
    return rows


def spec_for(condition: str, args: argparse.Namespace) -> SandboxSpec:
    if condition == OFF:
        return SandboxSpec()
    return SandboxSpec(
        quotas=GOOGLE,
        time_scale=args.time_scale,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        help="workers for every condition (default: 1 with quotas off, 8 under 'google')",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="workers 1, 4 and 8 under every condition (about 12 minutes for 200 people)",
    )
    parser.add_argument("--fill", nargs="+", choices=(UPLOAD, COPY), default=[UPLOAD, COPY])
    parser.add_argument("--conditions", nargs="+", choices=(OFF, GOOGLE), default=[OFF, GOOGLE])
    parser.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_MS)
    parser.add_argument("--jitter-ms", type=float, default=DEFAULT_JITTER_MS)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEFAULT_TIME_SCALE,
        help="quota minutes pass this many times faster under 'google'",
    )
    args = parser.parse_args()
    if args.full:
        args.workers = list(FULL_WORKERS)

    members = management_tree(args.people)
    runs: list[Run] = []
    for condition in args.conditions:
        spec = spec_for(condition, args)
        print(f"[{condition}] {spec.describe()}", flush=True)
        for fill in args.fill:
            for workers in args.workers or DEFAULT_WORKERS[condition]:
                run = run_once(members, spec, condition, fill, workers)
                print(f"  {fill} x{workers}: {run.seconds:.1f} s", flush=True)
                runs.append(run)
    print_table(
        f"Provision of {args.people} people (folder + 3 documents + shares + email each)",
        [
            "condition",
            "fill",
            "workers",
            "wall s",
            "people/min",
            "client CPU ms/p",
            "sandbox CPU ms/p",
            "calls/p",
            "quota floor s",
            "refused",
            "retries",
            "failed",
            "sandbox RSS MB",
        ],
        [run.row() for run in runs],
    )
    first = {}
    for run in runs:
        first.setdefault(run.fill, run)
    print_table(
        "API calls per person (first run of each fill)",
        ["api method", *first],
        calls_table(first),
    )
    print_table(
        "Ceiling under Google's per-minute quotas (steady state, from the calls above)",
        ["fill", "binding quota", "people/min", "binding without email", "people/min"],
        ceiling_table(first),
    )


if __name__ == "__main__":
    main()
