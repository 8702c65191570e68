"""Who sends the emails, and what it costs: provision N people under Google's quotas with every
email from one admin (``notify.send_as = "admin"``, the behaviour before the sender pool) and
from each person's manager (``"auto"`` under delegation, the default), and print the quota
bucket that binds each run.

Each run is ``careerdocs provision --workers W`` through the library (bench/_common.py), against
a fresh sandbox in a child process with Google's per-minute quotas, time passing
``--time-scale`` times faster (careerdocs' pacer on the same clock) and ``--latency-ms`` +
``--jitter-ms`` per call. "floor min" is the steady-state minutes the busiest quota bucket needs
for the calls the run made (calls / per-minute limit, as bench/provision.py's ceiling table):
it depends only on the calls, not on this machine. "modelled min" is the wall time in quota
minutes (wall × time scale / 60), which on a busy machine also holds CPU time.

    python bench/senders.py [--people 2000] [--send-as admin auto] [--workers 8]
                            [--time-scale 60] [--latency-ms 50] [--jitter-ms 20]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from _common import (
    GMAIL_UNITS,
    SECONDS_PER_MINUTE,
    SandboxSpec,
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
    write_roster,
)

from careerdocs.config import load_settings

SEND = "users.messages.send"
DEFAULT_PEOPLE = 200
DEFAULT_WORKERS = 8
DEFAULT_TIME_SCALE = 60.0
DEFAULT_LATENCY_MS = 50.0
DEFAULT_JITTER_MS = 20.0


def run_once(people: int, send_as: str, workers: int, spec: SandboxSpec) -> dict[str, Any]:
    members = management_tree(people)
    with (
        scratch_dir("senders") as directory,
        running_sandbox([m.email for m in members], spec) as bench,
    ):
        roster = write_roster(directory / "roster.csv", members)
        config = google_config(directory, bench, roster, fill="upload")
        with config.open("a", encoding="utf-8") as handle:
            handle.write(f'\n[notify]\nsend_as = "{send_as}"\n')
        settings = load_settings(config)
        workspace = open_google_workspace(settings, spec.time_scale)
        bench.reset_counters()
        with stopwatch() as timed:
            result = provision_all(settings, workspace, workers)
        snapshot = bench.snapshot()
    sends = Counter(
        {
            row["user"]: row["count"]
            for row in snapshot
            if row["method"] == SEND and row["status"] < 400
        }
    )
    uses = quota_use(snapshot)
    gmail = next(u for u in uses if u.bucket.startswith("gmail"))
    top = uses[0]
    return {
        "send_as": send_as,
        "people": people,
        "workers": workers,
        "wall_s": round(timed.seconds, 1),
        "modelled_min": round(timed.seconds * spec.time_scale / SECONDS_PER_MINUTE, 2),
        "floor_min": round(top.minutes, 2),
        "binding": f"{top.bucket}, {top.binding}",
        "gmail_floor_min": round(gmail.minutes, 2),
        "senders": len(sends),
        "busiest_sender": sends.most_common(1)[0] if sends else None,
        "gmail_units_busiest": gmail.user_use,
        "units_per_send": GMAIL_UNITS[SEND],
        "refused": rate_limited(snapshot),
        "failed": len(result.failures),
        "emailed": result.counts()["notified"],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument("--send-as", nargs="+", default=["admin", "auto"])
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE)
    parser.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_MS)
    parser.add_argument("--jitter-ms", type=float, default=DEFAULT_JITTER_MS)
    args = parser.parse_args(argv)
    spec = SandboxSpec(
        quotas="google",
        time_scale=args.time_scale,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
    )
    print(f"[google] {spec.describe()}", flush=True)
    runs = []
    for send_as in args.send_as:
        run = run_once(args.people, send_as, args.workers, spec)
        print(json.dumps(run), flush=True)
        runs.append(run)
    print_table(
        f"Provision of {args.people} people, {args.workers} workers: who sends the emails",
        [
            "send_as",
            "wall s",
            "modelled min",
            "floor min",
            "binding",
            "gmail floor",
            "senders",
            "busiest sender",
            "refused",
            "failed",
        ],
        [
            [
                r["send_as"],
                r["wall_s"],
                r["modelled_min"],
                r["floor_min"],
                r["binding"],
                r["gmail_floor_min"],
                r["senders"],
                f"{r['busiest_sender'][0]} ({r['busiest_sender'][1]})"
                if r["busiest_sender"]
                else "-",
                r["refused"],
                r["failed"],
            ]
            for r in runs
        ],
    )


if __name__ == "__main__":
    main()
