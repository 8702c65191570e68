"""One JSON report: careerdocs at N people on Google (sandbox) and locally, and a naive script.

    python bench/run.py [--people 200 2000] [--quick] [--only provision rollup local sandbox naive]
                        [--profiles flat google] [--workers 16] [--naive-people 200]
                        [--out report.json]

For each N and each latency profile (bench/latency.py: the issue's flat 50 ± 20 ms, and per-method
figures closer to Google's), against a fresh sandbox in a child process with Google's per-minute
quotas on a compressed clock (bench/_common.py: a quota minute lasts ``60 / time_scale`` s, and
the added latency is divided by the same factor; CPU is not compressed):

* **provision** of everyone, as ``careerdocs provision --workers W`` (config defaults: fill,
  email on);
* **rollup_full**, the first rollup (no state: every growth sheet read, the central sheet made),
  after 0-4 conversations were logged in each growth sheet;
* **rollup_incremental** after 20 people logged one more conversation;
* **naive**: bench/naive.py, a one-thread admin script (copy + fill + share + email per person,
  plain retry on 429) on the same sandbox and quotas; with more people than ``--naive-people``
  it runs on the first ``--naive-people`` and the report projects its time to N (one thread, the
  same ten calls per person: its time is linear in N once the quota's one-minute burst is spent).

Each Google run reports wall seconds, modelled minutes (wall × time_scale / 60), calls per person
by API and method, 429s, the busiest quota bucket and the floor it sets (steady state: calls /
per-minute limit; and with every bucket starting full), and the run's ratio to that floor. Then
the local backend (wall, CPU, peak RSS; bench/local.py) and the sandbox's peak RSS holding N
people (bench/memory.py). The set-up between timed runs (logging conversations, uploading the
naive script's templates) runs with quotas and latency off.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _common import (
    SECONDS_PER_MINUTE,
    BenchSandbox,
    Member,
    QuotaUse,
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
    route_kinds,
    running_sandbox,
    scratch_dir,
    stopwatch,
    upload_templates,
    write_roster,
)
from latency import FLAT, GOOGLE, PROFILES, LatencyProfile
from local import measure_local
from memory import measure_sandbox_memory
from naive import RETRY_SLEEP_SECONDS, NaivePerson, run_naive
from rollup import MAX_CONVERSATIONS, Company

from careerdocs.config import Settings, load_settings
from careerdocs.workspace.base import ArtifactKind

PROVISION, ROLLUP, LOCAL, SANDBOX, NAIVE = "provision", "rollup", "local", "sandbox", "naive"
PARTS = (PROVISION, ROLLUP, LOCAL, SANDBOX, NAIVE)
DEFAULT_PEOPLE = (200, 2000)
QUICK_PEOPLE = (200,)
DEFAULT_WORKERS = 16
DEFAULT_NAIVE_PEOPLE = 200
CHANGED = 20  # sheets changed before the incremental rollup (the setting)
SETUP_WORKERS = 8
SEED = 13
# Modelled time runs this many times faster than the wall clock (quota refills and the added
# latency are divided by it; CPU is not). Compression only pays where a run waits far longer
# than it computes. careerdocs' runs of a few hundred people sit inside the quotas' one-minute
# burst and are bound by the CPU of the bench machine (careerdocs and the sandbox on two shared
# cores), which compressing would multiply into modelled minutes: they run at real time. At
# 2,000 people the quota floors are minutes long, and halving them still leaves them longer than
# the CPU work. The naive script waits on one call at a time (and on the admin's quota): it is
# compressed, and its modelled time corrected for its CPU (see naive_run).
TIME_SCALES: dict[str, dict[str, float]] = {
    FLAT: {PROVISION: 1.0, ROLLUP: 1.0, NAIVE: 8.0},
    GOOGLE: {PROVISION: 1.0, ROLLUP: 1.0, NAIVE: 32.0},
}
LARGE = 1000  # people: from here careerdocs' runs are compressed by LARGE_TIME_SCALE
LARGE_TIME_SCALE = 2.0
# Without --profiles: both profiles up to this many people, the flat one beyond (at
# 2,000 people, the Google-like latencies make careerdocs' provision a 15-minute run by itself).
BOTH_PROFILES_UP_TO = 500
QUOTAS_OFF, QUOTAS_GOOGLE = "off", "google"
API_FAILED = 400
SANDBOX_RSS = "sandbox_peak_rss_mb"


# -- one timed run against the sandbox -----------------------------------------------------------


@dataclass
class Timing:
    wall: float
    client_cpu: float
    sandbox_cpu: float | None
    snapshot: list[dict[str, Any]]


def timed(bench: BenchSandbox, call: Callable[[], Any]) -> tuple[Any, Timing]:
    """Run ``call`` with fresh counters; its wall, this process's and the sandbox's CPU."""
    bench.reset_counters()
    sandbox_before = bench.cpu_seconds()
    cpu_before = time.process_time()
    with stopwatch() as clock:
        result = call()
    client = time.process_time() - cpu_before
    sandbox_after = bench.cpu_seconds()
    sandbox = (
        None if sandbox_before is None or sandbox_after is None else sandbox_after - sandbox_before
    )
    return result, Timing(clock.seconds, client, sandbox, bench.snapshot())


def describe(timing: Timing, people: int, time_scale: float) -> dict[str, Any]:
    """The numbers every Google run reports."""
    calls = calls_by_method(timing.snapshot)
    api_calls = sum(n for k, n in calls.items() if not k.startswith("oauth"))
    statuses: Counter[int] = Counter()
    for row in timing.snapshot:
        statuses[row["status"]] += row["count"]
    modelled = timing.wall * time_scale / SECONDS_PER_MINUTE
    uses = quota_use(timing.snapshot)
    out: dict[str, Any] = {
        "wall_s": round(timing.wall, 2),
        "time_scale": time_scale,
        "modelled_min": round(modelled, 3),
        "client_cpu_s": round(timing.client_cpu, 2),
        "sandbox_cpu_s": None if timing.sandbox_cpu is None else round(timing.sandbox_cpu, 2),
        # cores kept busy on average by careerdocs and the sandbox: near the machine's count,
        # the run was bound by the bench machine's CPU, not by latency or quotas
        "cores_busy": round((timing.client_cpu + (timing.sandbox_cpu or 0.0)) / timing.wall, 2),
        "calls": api_calls,
        "tokens": calls["oauth token"],
        "calls_per_person": {k: round(n / people, 3) for k, n in sorted(calls.items())},
        "http_429": statuses[429],
        "rate_limited_403_or_429": rate_limited(timing.snapshot),
        "api_errors_other": sum(
            n for status, n in statuses.items() if status >= API_FAILED and status not in (403, 429)
        ),
    }
    if uses:
        top = uses[0]  # sorted by steady-state minutes
        with_burst = max(u.floor_minutes for u in uses)
        out["floor"] = {
            "bucket": top.bucket,
            "scope": top.binding,
            "project_calls": round(top.project_use),
            "busiest_user_calls": round(top.user_use),
            "limits_per_min": {"user": top.user_limit, "project": top.project_limit},
            "steady_min": round(top.minutes, 3),
            "with_full_buckets_min": round(with_burst, 3),
        }
        out["ratio_to_floor"] = round(modelled / top.minutes, 2) if top.minutes else None
    return out


# -- the Google part -----------------------------------------------------------------------------


def google_runs(
    members: Sequence[Member],
    profile: LatencyProfile,
    parts: set[str],
    workers: int,
    naive_people: int,
    scales: Mapping[str, float],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Provision, rollups and the naive script for one N and one latency profile."""
    n = len(members)
    methods = sorted(f"{a} {m}" for a, m in route_kinds())
    out: dict[str, Any] = {}
    with (
        scratch_dir(f"run-{profile.name}-{n}") as directory,
        running_sandbox([m.email for m in members], SandboxSpec()) as bench,
    ):
        roster = write_roster(directory / "roster.csv", members)
        settings = load_settings(google_config(directory, bench, roster))

        def under_quotas(time_scale: float) -> None:
            bench.configure_latency(method_latency_ms=profile.sandbox_table(methods, time_scale))
            bench.configure_quotas(QUOTAS_GOOGLE, time_scale)  # every bucket full again

        def set_up_mode() -> None:
            bench.configure_latency()
            bench.configure_quotas(QUOTAS_OFF)

        if PROVISION in parts:
            time_scale = scales[PROVISION]
            under_quotas(time_scale)
            workspace = open_google_workspace(settings, time_scale)
            result, timing = timed(bench, lambda: provision_all(settings, workspace, workers))
            set_up_mode()
            out[PROVISION] = describe(timing, n, time_scale) | {
                "workers": workers,
                "people_per_modelled_min": round(
                    n / (timing.wall * time_scale / SECONDS_PER_MINUTE), 1
                ),
                "failures": len(result.failures),
                "pacer_retries": workspace.pacer.retries,
            }
            log(f"    provision: {timing.wall:.1f} s wall, {len(result.failures)} failures")
        elif ROLLUP in parts:  # the rollups need the company provisioned: untimed, unpaced
            workspace = open_google_workspace(settings, paced=False)
            result = provision_all(settings, workspace, SETUP_WORKERS, notify=False)
        if ROLLUP in parts:
            out.update(
                rollups(
                    settings, bench, members, result, under_quotas, set_up_mode, scales[ROLLUP], log
                )
            )
        if PROVISION in parts and ROLLUP in parts:
            out[SANDBOX_RSS] = round(bench.peak_rss_mb() or 0.0, 1)
        if NAIVE in parts:
            out[NAIVE] = naive_run(bench, members, naive_people, under_quotas, scales[NAIVE], log)
        if PROVISION in parts and NAIVE in parts:
            naive = out[NAIVE]["modelled_min_for_all_cpu_corrected"]
            ours = out[PROVISION]["modelled_min"]
            out["naive_over_careerdocs"] = round(naive / ours, 2) if ours else None
    return out


def rollups(
    settings: Settings,
    bench: BenchSandbox,
    members: Sequence[Member],
    provisioned: Any,
    under_quotas: Callable[[float], None],
    set_up_mode: Callable[[], None],
    time_scale: float,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Log 0-4 conversations each; time the first (full) rollup; 20 change; time the next."""
    rng = random.Random(SEED)
    sheets = {p.email: p.artifacts[ArtifactKind.GROWTH_SHEET].id for p in provisioned.people}
    company = Company(bench, sheets, dict.fromkeys(sheets, 0), rng)
    with_sheet = [m for m in members if m.email in sheets]
    company.log_all({m: rng.randint(0, MAX_CONVERSATIONS) for m in with_sheet})
    n = len(members)
    out: dict[str, Any] = {}
    for label, changed in (("rollup_full", 0), ("rollup_incremental", CHANGED)):
        if changed:
            company.log_one_more(rng.sample(with_sheet, min(changed, len(with_sheet))))
        under_quotas(time_scale)
        workspace = open_google_workspace(settings, time_scale)
        result, timing = timed(bench, lambda w=workspace: rollup_once(settings, w, full=False))
        set_up_mode()
        counts = result.counts()
        out[label] = describe(timing, n, time_scale) | {
            "changed_sheets": changed or None,
            "sheets_read": counts["sheets_read"],
            "sheets_cached": counts["sheets_cached"],
            "pacer_retries": workspace.pacer.retries,
        }
        log(f"    {label}: {timing.wall:.1f} s wall, {counts['sheets_read']} sheets read")
    return out


def naive_run(
    bench: BenchSandbox,
    members: Sequence[Member],
    naive_people: int,
    under_quotas: Callable[[float], None],
    time_scale: float,
    log: Callable[[str], None],
) -> dict[str, Any]:
    templates = upload_templates(bench)  # the organisation's templates, in the admin's Drive
    sample = [
        NaivePerson(m.email, m.name, m.manager, m.title, m.department)
        for m in members[:naive_people]
    ]
    under_quotas(time_scale)
    result, timing = timed(
        bench,
        lambda: run_naive(
            bench.endpoint, bench.key, bench.admin, templates, sample, time_scale=time_scale
        ),
    )
    out = describe(timing, len(sample), time_scale)
    # One thread: the client and the sandbox take turns, so their CPU adds to the wall. Real
    # Google's server time is in the modelled latency, so the sandbox's CPU and this process's
    # (not compressed) come out of the compressed part: exact for one thread.
    # Where this machine was too slow for the script to reach the admin's quota, taking the CPU
    # out would put it below what the quota allows: it is at least the quota floor.
    compressed = timing.wall - timing.client_cpu - (timing.sandbox_cpu or 0.0)
    scale_to_all = len(members) / len(sample)
    uses = quota_use(timing.snapshot)
    corrected = max(
        (max(compressed, 0.0) * time_scale + timing.client_cpu) / SECONDS_PER_MINUTE,
        _floor_with_full_buckets(uses, 1.0),
    )
    for_all = max(corrected * scale_to_all, _floor_with_full_buckets(uses, scale_to_all))
    out |= {
        "people_measured": len(sample),
        "people": len(members),
        "retries_on_429": result.retries,
        "retry": f"sleep {RETRY_SLEEP_SECONDS:g} modelled s and retry, no pacing, no backoff",
        "modelled_min_cpu_corrected": round(corrected, 3),
        "ratio_to_floor_cpu_corrected": (
            round(corrected / out["floor"]["steady_min"], 2) if out.get("floor") else None
        ),
        "modelled_min_for_all_cpu_corrected": round(for_all, 3),
        "floor_for_all_steady_min": (
            round(out["floor"]["steady_min"] * scale_to_all, 3) if out.get("floor") else None
        ),
        "projected": scale_to_all != 1,
    }
    log(f"    naive: {timing.wall:.1f} s wall for {len(sample)} people, {result.retries} retries")
    return out


def _floor_with_full_buckets(uses: Sequence[QuotaUse], times: float) -> float:
    """Modelled minutes the quotas allow at the least for ``times`` the calls of ``uses``, every
    bucket starting full (it holds one minute's worth)."""
    minutes = [
        max(u.project_use * times / u.project_limit, u.user_use * times / u.user_limit) - 1
        for u in uses
    ]
    return max([0.0, *minutes])


# -- the sandbox's memory ------------------------------------------------------------------------


def sandbox_memory(n: int, google: Mapping[str, Any]) -> dict[str, Any]:
    """The sandbox's peak RSS holding ``n`` provisioned people: ``measure_sandbox_memory(n)``
    from bench/memory.py (a fresh sandbox, everyone provisioned, one full rollup). From
    :data:`LARGE` people, when this report's own provision and rollups already filled a sandbox
    with them, that child's peak is the measurement instead: the same work again takes minutes
    at 2,000 people."""
    peaks = [runs[SANDBOX_RSS] for runs in google.values() if SANDBOX_RSS in runs]
    if peaks and n >= LARGE:
        return {
            "sandbox_peak_rss_mb": max(peaks),
            "measured_by": "the sandbox child of the provision and rollup runs above (VmHWM)",
        }
    return measure_sandbox_memory(n)


# -- the report ----------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    def version(name: str) -> str:
        from importlib.metadata import version as v

        return v(name)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent,
    ).stdout.strip()
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "google-api-python-client": version("google-api-python-client"),
        "google-auth": version("google-auth"),
        "gspread": version("gspread"),
    }


def summary(report: Mapping[str, Any]) -> None:
    """The report's key numbers as a table, on standard error (standard output is the JSON)."""
    rows = []
    for n, entry in report["runs"].items():
        for profile, runs in entry["google"].items():
            for name in (PROVISION, "rollup_full", "rollup_incremental", NAIVE):
                run = runs.get(name)
                if run is None:
                    continue
                floor = run.get("floor", {})
                modelled = run.get("modelled_min_for_all_cpu_corrected", run["modelled_min"])
                steady = run.get("floor_for_all_steady_min", floor.get("steady_min"))
                rows.append(
                    [
                        n,
                        profile,
                        name + (f" ({run['people_measured']} measured)" if name == NAIVE else ""),
                        run["wall_s"],
                        run["time_scale"],
                        modelled,
                        f"{floor.get('bucket', '-')} {floor.get('scope', '')}".strip(),
                        steady if steady is not None else "-",
                        round(modelled / steady, 2) if steady else "-",
                        run["rate_limited_403_or_429"],
                        round(run["calls"] / int(run.get("people_measured", n)), 2),
                        run["tokens"],
                        run["cores_busy"],
                    ]
                )
    with contextlib.redirect_stdout(sys.stderr):
        print_table(
            "Key numbers (modelled min: naive projected to N, CPU-corrected)",
            [
                "N",
                "latency",
                "run",
                "wall s",
                "scale",
                "modelled min",
                "busiest bucket",
                "floor min",
                "ratio",
                "429/403",
                "calls/p",
                "tokens",
                "cores busy",
            ],
            rows,
        )


def save_partial(report: Mapping[str, Any], out: Path | None) -> None:
    """The report so far (``"partial": true``) in ``--out``, so a long run stopped midway still
    leaves what it measured."""
    if out is not None:
        out.write_text(json.dumps({**report, "partial": True}, indent=2) + "\n", encoding="utf-8")


def profiles_for(n: int, chosen: Sequence[str] | None) -> list[str]:
    if chosen:
        return list(chosen)
    return [FLAT, GOOGLE] if n <= BOTH_PROFILES_UP_TO else [FLAT]


def scales_for(profile: str, n: int, forced: float | None) -> dict[str, float]:
    scales = dict(TIME_SCALES[profile])
    if n >= LARGE:
        scales[PROVISION] = scales[ROLLUP] = LARGE_TIME_SCALE
    return {part: forced or scale for part, scale in scales.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=list(DEFAULT_PEOPLE))
    parser.add_argument("--quick", action="store_true", help="N = 200 only (about 3 minutes)")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--profiles",
        nargs="+",
        choices=sorted(PROFILES),
        help=f"latency profiles for every N (default: both up to {BOTH_PROFILES_UP_TO} people, "
        "flat beyond)",
    )
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="careerdocs' --workers"
    )
    parser.add_argument(
        "--naive-people",
        type=int,
        default=DEFAULT_NAIVE_PEOPLE,
        help="people the naive script provisions (its time is projected to N beyond that)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        help=f"one time_scale for every run (default, by profile and part: {TIME_SCALES}; "
        f"provision and rollup at {LARGE_TIME_SCALE:g} from {LARGE} people)",
    )
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    people = list(QUICK_PEOPLE) if args.quick else args.people
    parts = set(args.only)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report: dict[str, Any] = {
        "command": " ".join(["python", "bench/run.py", *sys.argv[1:]]),
        "environment": environment(),
        "settings": {
            "careerdocs_workers": args.workers,
            "changed_sheets_for_incremental": CHANGED,
            "naive_people_measured": args.naive_people,
            "quotas": "Google's published per-minute quotas (careerdocs/sandbox/quotas.py)",
            "time_scales": {
                str(n): {
                    p: scales_for(p, n, args.time_scale) for p in profiles_for(n, args.profiles)
                }
                for n in people
            },
            "latency_profiles": {p: PROFILES[p].to_json() for p in PROFILES},
        },
        "runs": {},
    }
    started = time.perf_counter()
    for n in people:
        members = management_tree(n)
        entry: dict[str, Any] = {"google": {}}
        report["runs"][str(n)] = entry
        google_parts = parts & {PROVISION, ROLLUP, NAIVE}
        if google_parts:
            for name in profiles_for(n, args.profiles):
                scales = scales_for(name, n, args.time_scale)
                log(f"N={n}, latency {name}, time_scales {scales}")
                entry["google"][name] = google_runs(
                    members,
                    PROFILES[name],
                    google_parts,
                    args.workers,
                    args.naive_people,
                    scales,
                    log,
                )
                save_partial(report, args.out)
        if LOCAL in parts:
            log(f"N={n}, local backend")
            entry[LOCAL] = measure_local(n)
            save_partial(report, args.out)
        if SANDBOX in parts:
            log(f"N={n}, sandbox memory")
            entry["sandbox_memory"] = sandbox_memory(n, entry["google"])
    report["total_wall_s"] = round(time.perf_counter() - started, 1)
    # Other work on the machine slows every run: read the wall numbers against these.
    report["environment"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2)
    print(text)
    summary(report)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
