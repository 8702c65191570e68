"""`careerdocs remind` at company scale: a dry run and a real run of N people, on the local
backend and on the sandbox under Google's per-minute quotas, with the calls made, the time taken,
and the Gmail bound: messages per sender against 150 a minute and 2,000 a day.

Set-up (untimed, quotas off, unpaced): the generated company (``_common.management_tree``)
provisioned without notification emails, and 0-4 career conversations logged in each growth
sheet by its owner (80% ticked Acknowledged, 3% with an escalation), as ``bench/rollup.py`` does.
Then, as of ``TODAY`` (Thursday 26 November 2026, Q4 of FY2027: the Q4 window is open and the
week's digests are due), each timed with fresh quota buckets:

1. ``dry run, cold``: no rollup cache yet, so every growth sheet is read;
2. a rollup (untimed), as the nightly cron runs before ``remind``;
3. ``real run``: reads only what changed since the rollup, sends, records;
4. ``again``: the same day again: sends nothing;
5. ``real run, admin``: from scratch, every message from the one admin account
   (``notify.send_as = "admin"``): what the pool of senders avoids.

    python bench/remind.py [--people 2000] [--time-scale 10] [--backends local google]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from _common import (
    SECONDS_PER_MINUTE,
    TODAY,
    BenchSandbox,
    Member,
    SandboxSpec,
    calls_by_method,
    local_config,
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
    write_roster,
)
from rollup import MAX_CONVERSATIONS, QUOTAS_GOOGLE, QUOTAS_OFF, conversation_rows, set_up

from careerdocs import remind
from careerdocs.cadence import CONVERSATIONS_TAB
from careerdocs.cli import load_roster
from careerdocs.config import Settings, load_settings
from careerdocs.lock import exclusive
from careerdocs.senders import SendLimits
from careerdocs.workspace.base import ArtifactKind, Workspace
from careerdocs.workspace.local import LocalWorkspace

DEFAULT_PEOPLE = 2000
DEFAULT_TIME_SCALE = 10.0
SEED = 13
GMAIL_PER_MINUTE = SendLimits().per_minute  # 15,000 units a minute / 100 a send
GMAIL_PER_DAY = SendLimits().per_day  # Workspace: 2,000 messages in any 24 hours
LOG_WORKERS = 8


@dataclass
class Run:
    backend: str
    label: str
    seconds: float
    result: remind.RemindResult
    sheets_read: int = 0
    snapshot: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    time_scale: float = 1.0

    @property
    def per_sender(self) -> Counter[str]:
        return Counter(self.result.senders())

    def row(self) -> list[Any]:
        per_sender = self.per_sender
        busiest = max(per_sender.values(), default=0)
        calls = calls_by_method(self.snapshot)
        google = bool(self.snapshot)
        modelled = self.seconds * self.time_scale / SECONDS_PER_MINUTE if google else None
        floor = max((q.floor_minutes for q in quota_use(self.snapshot)), default=0.0)
        stopped = self.result.stopped
        return [
            self.backend,
            self.label,
            len(self.result.sent),
            len(per_sender),
            busiest,
            f"{busiest / GMAIL_PER_MINUTE:.2f}",
            f"{busiest}/{GMAIL_PER_DAY}" + (" STOP" if stopped else ""),
            self.seconds,
            "—" if modelled is None else f"{modelled:.2f}",
            f"{floor:.2f}" if google else "—",
            self.sheets_read,
            calls["gmail users.messages.send"] if google else "—",
            sum(n for k, n in calls.items() if k.startswith("sheets")) if google else "—",
            sum(n for k, n in calls.items() if k.startswith("drive")) if google else "—",
            calls["oauth token"] if google else "—",
            rate_limited(self.snapshot) if google else "—",
        ]


HEADER = (
    "backend",
    "run",
    "messages",
    "senders",
    "most from one",
    "its Gmail min",
    "of daily limit",
    "wall s",
    "modelled min",
    "quota floor min",
    "sheets read",
    "gmail sends",
    "sheets calls",
    "drive calls",
    "tokens",
    "refused",
)


def remind_once(
    settings: Settings, workspace: Workspace, *, dry_run: bool
) -> tuple[remind.RemindResult, float]:
    """What ``careerdocs remind [--dry-run] --date TODAY`` does, without the printing."""
    roster = load_roster(settings, workspace, TODAY)
    with stopwatch() as timed:
        if dry_run:
            result = remind.run(settings, workspace, roster, today=TODAY, dry_run=True)
        else:
            with exclusive(settings.rollup.lock_file, "remind"):
                result = remind.run(settings, workspace, roster, today=TODAY)
    return result, timed.seconds


def as_admin(settings: Settings, directory: Path) -> Settings:
    """The same company, from scratch, every message from the admin account."""
    return dataclasses.replace(
        settings,
        notify=dataclasses.replace(
            settings.notify, send_as="admin", ledger=directory / "admin-ledger.json"
        ),
        remind=dataclasses.replace(settings.remind, state_file=directory / "admin-state.json"),
    )


# -- local --------------------------------------------------------------------------------------


def local_runs(directory: Path, members: Sequence[Member], rng: random.Random) -> list[Run]:
    roster = write_roster(directory / "roster.csv", members)
    settings = load_settings(local_config(directory, roster))
    workspace = LocalWorkspace(settings.local.output_dir, settings.local.workbook)
    with stopwatch() as setup:
        result = provision_all(settings, workspace, 2, notify=False)
        sheets = {p.email: p.artifacts[ArtifactKind.GROWTH_SHEET].id for p in result.people}
        logged = _log_local(workspace, sheets, members, rng)
    print(
        f"local set-up: {len(members)} people provisioned, {logged} conversations logged "
        f"in {setup.seconds:.1f} s",
        flush=True,
    )
    runs = []
    for label, dry in (("dry run, cold", True), ("real run", False), ("again", False)):
        if label == "real run":
            rollup_once(settings, workspace, full=False)
        out, seconds = remind_once(settings, workspace, dry_run=dry)
        runs.append(Run("local", label, seconds, out, sheets_read=out.sheets_read))
        print(f"  local {label}: {len(out.sent)} messages in {seconds:.1f} s", flush=True)
    out, seconds = remind_once(as_admin(settings, directory), workspace, dry_run=False)
    runs.append(Run("local", "real run, admin", seconds, out, sheets_read=out.sheets_read))
    return runs


def _log_local(
    workspace: LocalWorkspace, sheets: dict[str, str], members: Sequence[Member], rng: random.Random
) -> int:
    """Write each member's conversations into their .xlsx, as they would in Excel."""
    planned = [
        (workspace.output_dir / sheets[m.email], conversation_rows(rng, m.manager, n))
        for m in members
        if m.email in sheets and (n := rng.randint(0, MAX_CONVERSATIONS))
    ]

    def write(path: Path, rows: list[list[Any]]) -> None:
        book = openpyxl.load_workbook(path)
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                book[CONVERSATIONS_TAB].cell(row=r, column=c, value=value)
        book.save(path)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(write, path, rows) for path, rows in planned]:
            future.result()
    return sum(len(rows) for _, rows in planned)


# -- google -------------------------------------------------------------------------------------


def google_runs(
    directory: Path, members: Sequence[Member], rng: random.Random, time_scale: float
) -> list[Run]:
    with running_sandbox([m.email for m in members], SandboxSpec()) as bench:
        with stopwatch() as setup:
            settings, company = set_up(directory, bench, members, rng)
        print(
            f"google set-up: {len(members)} people provisioned, {company.logged} conversations "
            f"logged in {setup.seconds:.1f} s",
            flush=True,
        )
        runs = []
        for label, dry in (("dry run, cold", True), ("real run", False), ("again", False)):
            if label == "real run":
                rollup_once(settings, open_google_workspace(settings, paced=False), full=False)
            runs.append(_google_run(bench, settings, label, dry, time_scale))
        runs.append(
            _google_run(bench, as_admin(settings, directory), "real run, admin", False, time_scale)
        )
        return runs


def _google_run(
    bench: BenchSandbox, settings: Settings, label: str, dry_run: bool, time_scale: float
) -> Run:
    bench.configure_quotas(QUOTAS_GOOGLE, time_scale)
    bench.reset_counters()
    workspace = open_google_workspace(settings, time_scale)
    out, seconds = remind_once(settings, workspace, dry_run=dry_run)
    bench.configure_quotas(QUOTAS_OFF)
    snapshot = bench.snapshot()
    run = Run(
        "google",
        label,
        seconds,
        out,
        sheets_read=out.sheets_read,
        snapshot=snapshot,
        retries=workspace.pacer.retries,
        time_scale=time_scale,
    )
    print(f"  google {label}: {len(out.sent)} messages in {seconds:.1f} s", flush=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEFAULT_TIME_SCALE,
        help="quota minutes pass this many times faster (sandbox and careerdocs' pacer)",
    )
    parser.add_argument("--backends", nargs="+", default=["local", "google"])
    args = parser.parse_args()
    members = management_tree(args.people)
    runs: list[Run] = []
    if "local" in args.backends:
        with scratch_dir("remind-local") as directory:
            runs += local_runs(directory, members, random.Random(SEED))
    if "google" in args.backends:
        with scratch_dir("remind-google") as directory:
            runs += google_runs(directory, members, random.Random(SEED), args.time_scale)
    print_table(
        f"careerdocs remind, {args.people} people, as of {TODAY} (quotas google, time_scale "
        f"{args.time_scale:g} on the google runs)",
        HEADER,
        [run.row() for run in runs],
    )
    for run in runs:
        kinds = ", ".join(f"{n} {k}" for k, n in run.result.counts().items() if n)
        stop = f"; stopped: {run.result.stopped}" if run.result.stopped else ""
        print(f"{run.backend} {run.label}: {kinds or 'nothing'}{stop}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
