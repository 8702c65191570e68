"""Rollup of N people under Google's quotas: a full read against an incremental one.

Set-up (untimed, quotas off): a sandbox in a child process, the company provisioned (copy fill,
no email), and 0–4 career conversations written into each growth sheet by its owner. Then, each
run with fresh quota buckets (as for an hourly cron) and a fresh careerdocs (new process, new
tokens), quotas "google" with minutes passing ``--time-scale`` times faster:

1. first rollup (no state yet: reads every sheet, creates the central sheet);
2. ``--changed`` of the people log one more conversation;
3. incremental rollup (reads only the sheets modified since run 1);
4. ``rollup --full`` (reads every sheet again).

    python bench/rollup.py [--people 500] [--changed 0.05] [--time-scale 2]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _common import (
    SECONDS_PER_MINUTE,
    TODAY,
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
    rollup_once,
    running_sandbox,
    scratch_dir,
    stopwatch,
    upload_templates,
    write_roster,
)

from careerdocs.cadence import CONVERSATIONS_TAB, ConversationType
from careerdocs.config import Settings, load_settings
from careerdocs.workspace.base import ArtifactKind
from careerdocs.workspace.google.clients import resource

DEFAULT_PEOPLE = 500
DEFAULT_CHANGED = 0.05
DEFAULT_TIME_SCALE = 2.0
SETUP_WORKERS = 8
MAX_CONVERSATIONS = 4
ACKNOWLEDGED_SHARE = 0.8
ESCALATION_SHARE = 0.03
FY_START = date(2026, 2, 1)  # fiscal_year_start_month 2: TODAY is in FY2027
SEED = 11
QUOTAS_OFF, QUOTAS_GOOGLE = "off", "google"
FIRST_DATA_ROW = 2  # row 1 of the Conversations tab is its header
FIRST_RUN = "1. first (full, no state)"
FULL_RUN = "3. --full"
TYPES = [t.value for t in ConversationType]


@dataclass
class RollupRun:
    label: str
    seconds: float
    read: int
    cached: int
    snapshot: list[dict[str, Any]]
    retries: int
    time_scale: float

    def row(self) -> list[Any]:
        calls = calls_by_method(self.snapshot)
        sheets = sum(n for k, n in calls.items() if k.startswith("sheets"))
        drive = sum(n for k, n in calls.items() if k.startswith("drive"))
        top = quota_use(self.snapshot)[0]
        floor = max(q.floor_minutes for q in quota_use(self.snapshot))
        return [
            self.label,
            self.read,
            self.cached,
            self.seconds,
            self.seconds * self.time_scale / SECONDS_PER_MINUTE,
            floor,
            f"{top.bucket} {top.project_use:.0f}",
            calls["sheets spreadsheets.values.get"],
            sheets,
            drive,
            calls["oauth token"],
            rate_limited(self.snapshot),
            self.retries,
        ]


def conversation_rows(rng: random.Random, manager: str, count: int) -> list[list[Any]]:
    """``count`` conversations between the start of the fiscal year and today."""
    span = (TODAY - FY_START).days
    rows = []
    for _ in range(count):
        day = FY_START + timedelta(days=rng.randrange(span))
        rows.append(
            [
                day.isoformat(),
                manager or "CEO",
                rng.choice(TYPES),
                "Where I want to be in two years; the skills I need.",
                rng.random() < ACKNOWLEDGED_SHARE,
                rng.random() < ESCALATION_SHARE,
            ]
        )
    return rows


@dataclass
class Company:
    """The provisioned people's growth sheets and how many conversations each has logged."""

    bench: BenchSandbox
    sheets: Mapping[str, str]  # email -> growth sheet id
    rows: dict[str, int]  # email -> conversations logged so far
    rng: random.Random

    @property
    def logged(self) -> int:
        return sum(self.rows.values())

    def log_all(self, counts: Mapping[Member, int]) -> None:
        """``counts[m]`` more conversations in each member's sheet, written as the member (only
        the owner may tick Acknowledged). The rows are drawn here, in order, so a run with the
        same seed writes the same data; the writes go in parallel."""
        writes = []
        for member, count in counts.items():
            if count:
                rows = conversation_rows(self.rng, member.manager, count)
                writes.append((member.email, FIRST_DATA_ROW + self.rows[member.email], rows))
                self.rows[member.email] += count
        with ThreadPoolExecutor(max_workers=SETUP_WORKERS) as pool:
            for future in [pool.submit(self._write, *write) for write in writes]:
                future.result()

    def _write(self, owner: str, first_row: int, rows: list[list[Any]]) -> None:
        resource("sheets", "spreadsheets.values").update(
            spreadsheetId=self.sheets[owner],
            range=f"{CONVERSATIONS_TAB}!A{first_row}",
            valueInputOption="USER_ENTERED",
            body={"values": rows},
        ).execute(http=self.bench.clients.http(owner))

    def log_one_more(self, members: Sequence[Member]) -> int:
        self.log_all({m: 1 for m in members})
        return len(members)


def set_up(
    directory: Path, bench: BenchSandbox, members: Sequence[Member], rng: random.Random
) -> tuple[Settings, Company]:
    """Provision everyone (copy fill, no email, unpaced), then log 0-4 conversations each."""
    roster = write_roster(directory / "roster.csv", members)
    config = google_config(directory, bench, roster, templates=upload_templates(bench))
    settings = load_settings(config)
    workspace = open_google_workspace(settings, paced=False)
    result = provision_all(settings, workspace, SETUP_WORKERS, notify=False)
    sheets = {p.email: p.artifacts[ArtifactKind.GROWTH_SHEET].id for p in result.people}
    company = Company(bench, sheets, dict.fromkeys(sheets, 0), rng)
    company.log_all({m: rng.randint(0, MAX_CONVERSATIONS) for m in members})
    return settings, company


def timed_rollup(
    settings: Settings, bench: BenchSandbox, label: str, full: bool, time_scale: float
) -> RollupRun:
    bench.configure_quotas(QUOTAS_GOOGLE, time_scale)
    bench.reset_counters()
    workspace = open_google_workspace(settings, time_scale)
    with stopwatch() as timed:
        result = rollup_once(settings, workspace, full=full)
    bench.configure_quotas(QUOTAS_OFF)
    counts = result.counts()
    return RollupRun(
        label,
        timed.seconds,
        counts["sheets_read"],
        counts["sheets_cached"],
        bench.snapshot(),
        workspace.pacer.retries,
        time_scale,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument(
        "--changed",
        type=float,
        default=DEFAULT_CHANGED,
        help="share of people whose sheet changes before the incremental run",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEFAULT_TIME_SCALE,
        help="quota minutes pass this many times faster",
    )
    args = parser.parse_args()

    rng = random.Random(SEED)
    members = management_tree(args.people)
    with (
        scratch_dir("rollup") as directory,
        running_sandbox([m.email for m in members], SandboxSpec()) as bench,
    ):
        with stopwatch() as setup:
            settings, company = set_up(directory, bench, members, rng)
        print(
            f"set-up: {args.people} people provisioned and {company.logged} conversations "
            f"logged in {setup.seconds:.1f} s",
            flush=True,
        )
        runs = [timed_rollup(settings, bench, FIRST_RUN, False, args.time_scale)]
        changed = company.log_one_more(
            rng.sample(members, max(1, round(len(members) * args.changed)))
        )
        label = f"2. incremental ({changed} changed)"
        runs.append(timed_rollup(settings, bench, label, False, args.time_scale))
        runs.append(timed_rollup(settings, bench, FULL_RUN, True, args.time_scale))

    print_table(
        f"Rollup of {args.people} people, quotas google, time_scale {args.time_scale:g}",
        [
            "run",
            "sheets read",
            "cached",
            "wall s",
            "modelled min",
            "quota floor min",
            "busiest quota (calls)",
            "values.get",
            "sheets calls",
            "drive calls",
            "tokens",
            "refused",
            "retries",
        ],
        [run.row() for run in runs],
    )


if __name__ == "__main__":
    main()
