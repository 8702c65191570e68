"""Calls per second the sandbox serves to the real clients, and proof that quotas then bind.

Part 1, quotas off: google-api-python-client ``files.list`` / ``files.get`` and gspread
``values.get`` / ``values.update`` with 1, 4 and 8 client threads, each thread acting as its own
impersonated user, for a few seconds each. The sandbox runs in a child process (as the other
benchmarks use it) and, with ``--in-process``, also in this process (as the tests use it: client
and sandbox then share one interpreter lock).

Part 2, quotas "google": Sheets ``values.get`` with 8 threads against a sandbox whose quota
minutes pass ``--time-scale`` times faster, once paced by careerdocs' own pacer (on the same
compressed clock) and once unpaced (the sandbox refuses what is over quota). A token bucket allows
at most ``capacity + rate * t`` calls in ``t``; when the achieved count is at that bound, the run
is bound by the modelled quota, not by the sandbox.

    python bench/sandbox_throughput.py [--seconds 3] [--threads 1 4 8] [--time-scale 20]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gspread
from _common import (
    SECONDS_PER_MINUTE,
    BenchSandbox,
    SandboxSpec,
    ScaledClock,
    people_emails,
    print_table,
    running_sandbox,
)

from careerdocs.sandbox.quotas import DEFAULT_LIMITS
from careerdocs.workspace.google.clients import resource
from careerdocs.workspace.google.pacer import Pacer, limits_from_quotas

FILES_PER_USER = 4  # a provisioned person's folder and three documents
SHEET_RANGE = "A1:D10"
HEADER = [["Date", "With", "Topic", "Acknowledged"]]
LIST_QUERY = "trashed = false"
LIST_FIELDS = "files(id,name,mimeType,modifiedTime)"
GET_FIELDS = "id,name,mimeType,modifiedTime,appProperties"
DEFAULT_SECONDS = 3.0
DEFAULT_THREADS = (1, 4, 8)
DEFAULT_TIME_SCALE = 20.0
QUOTA_THREADS = 8
QUOTA_MODELLED_MINUTES = 2.0
SHEETS_READ = ("sheets", "read")
LIST = "drive files.list (gapi)"
GET = "drive files.get (gapi)"
VALUES_GET = "sheets values.get (gspread)"
VALUES_UPDATE = "sheets values.update (gspread)"
METHOD_QUOTA = {
    LIST: ("drive", "read"),
    GET: ("drive", "read"),
    VALUES_GET: SHEETS_READ,
    VALUES_UPDATE: ("sheets", "write"),
}
RATE_LIMITED = (403, 429)


@dataclass(frozen=True)
class Seeded:
    """One user's files: a spreadsheet to read and write, and a few files to list and get."""

    user: str
    sheet_id: str
    file_id: str


Call = Callable[[Seeded], Any]


class Callers:
    """One callable per benchmarked method, each acting as the seeded file's owner.

    gspread worksheets are opened once per thread (opening one costs a spreadsheets.get)."""

    def __init__(self, bench: BenchSandbox) -> None:
        self.bench = bench
        self.files = resource("drive", "files")
        self._local = threading.local()

    def worksheet(self, seeded: Seeded) -> gspread.Worksheet:
        cache = getattr(self._local, "sheets", None)
        if cache is None:
            cache = self._local.sheets = {}
        if seeded.sheet_id not in cache:
            client = self.bench.clients.gspread(seeded.user)
            cache[seeded.sheet_id] = client.open_by_key(seeded.sheet_id).sheet1
        return cache[seeded.sheet_id]

    def list_files(self, seeded: Seeded) -> Any:
        return self.files.list(q=LIST_QUERY, fields=LIST_FIELDS, pageSize=100).execute(
            http=self.bench.clients.http(seeded.user)
        )

    def get_file(self, seeded: Seeded) -> Any:
        return self.files.get(fileId=seeded.file_id, fields=GET_FIELDS).execute(
            http=self.bench.clients.http(seeded.user)
        )

    def values_get(self, seeded: Seeded) -> Any:
        return self.worksheet(seeded).get(SHEET_RANGE)

    def values_update(self, seeded: Seeded) -> Any:
        stamp = time.time()
        return self.worksheet(seeded).update([[stamp, "bench", "update", False]], "A2:D2")

    def methods(self) -> dict[str, Call]:
        return {
            LIST: self.list_files,
            GET: self.get_file,
            VALUES_GET: self.values_get,
            VALUES_UPDATE: self.values_update,
        }


def seed(bench: BenchSandbox, users: Sequence[str]) -> list[Seeded]:
    """Each user owns a spreadsheet with a header row and a few more files."""
    files = resource("drive", "files")
    seeded = []
    for user in users:
        http = bench.clients.http(user)
        sheet = bench.clients.gspread(user).create(f"Growth plan of {user}")
        sheet.sheet1.update(HEADER, "A1:D1")
        made = [
            files.create(body={"name": f"Document {i} of {user}"}, fields="id").execute(http=http)
            for i in range(FILES_PER_USER - 1)
        ]
        seeded.append(Seeded(user, sheet.id, made[0]["id"]))
    return seeded


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def hammer(
    call: Call,
    seeded: Sequence[Seeded],
    threads: int,
    seconds: float,
    *,
    prepare: Call | None = None,
    settle: float = 0.0,
) -> Tally:
    """``threads`` threads call ``call`` as fast as they can for ``seconds``, after one untimed
    ``prepare`` (default: ``call``) each, for the token fetch, the connection and gspread's
    spreadsheet metadata; then ``settle`` seconds of rest, so quota buckets refill."""
    tally = Tally()
    lock = threading.Lock()
    window: dict[str, float] = {}

    def open_window() -> None:  # run once, when every thread is warm
        time.sleep(settle)
        window["start"] = time.perf_counter()
        window["end"] = window["start"] + seconds

    ready = threading.Barrier(threads, action=open_window)

    def worker(index: int) -> None:
        target = seeded[index % len(seeded)]
        (prepare or call)(target)
        ready.wait()
        ok = failed = 0
        while time.perf_counter() < window["end"]:
            try:
                call(target)
                ok += 1
            except Exception:  # refused for quota, or a sandbox error: counted, not fatal
                failed += 1
        with lock:
            tally.ok += ok
            tally.failed += failed

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    start = window["start"]
    tally.seconds = time.perf_counter() - start
    return tally


def throughput(
    spec: SandboxSpec, thread_counts: Sequence[int], seconds: float
) -> dict[str, list[Tally]]:
    """Each method's tally at each thread count, against one sandbox."""
    users = people_emails(max(thread_counts))
    with running_sandbox(users, spec) as bench:
        seeded = seed(bench, users)
        return {
            name: [hammer(call, seeded, threads, seconds) for threads in thread_counts]
            for name, call in Callers(bench).methods().items()
        }


def _rate(tally: Tally) -> str:
    text = f"{tally.per_second:,.0f}"
    return f"{text} ({tally.failed} failed)" if tally.failed else text


def headroom(tallies: dict[str, list[Tally]]) -> list[list[Any]]:
    """The largest time_scale at which the sandbox still serves each method faster than its
    API's per-project quota refills: beyond it a run is bound by the sandbox, not the quota."""
    rows = []
    for name, by_threads in tallies.items():
        best = max(t.per_second for t in by_threads)
        per_minute = DEFAULT_LIMITS[METHOD_QUOTA[name]][1]
        rows.append([name, f"{per_minute:,}", best, best / (per_minute / SECONDS_PER_MINUTE)])
    return rows


def paced(call: Call, pacer: Pacer) -> Call:
    """``call`` through careerdocs' pacer, as a Sheets read."""

    def run(seeded: Seeded) -> Any:
        return pacer.call(
            lambda: call(seeded), api=SHEETS_READ[0], kind=SHEETS_READ[1], user=seeded.user
        )

    return run


def _opened(callers: Callers, bench: BenchSandbox) -> Call:
    """Warm-up for the quota runs: open the worksheet, then forget the calls it made."""

    def prepare(seeded: Seeded) -> Any:
        callers.worksheet(seeded)
        bench.reset_counters()

    return prepare


def quota_bound(time_scale: float) -> list[list[Any]]:
    """Sheets values.get, 8 users on 8 threads, paced by careerdocs and unpaced."""
    per_project = DEFAULT_LIMITS[SHEETS_READ][1]
    seconds = QUOTA_MODELLED_MINUTES * SECONDS_PER_MINUTE / time_scale
    rows = []
    for mode in ("paced by careerdocs", "unpaced"):
        users = people_emails(QUOTA_THREADS)
        spec = SandboxSpec(quotas="google", time_scale=time_scale)
        with running_sandbox(users, spec) as bench:
            seeded = seed(bench, users)
            callers = Callers(bench)
            call: Call = callers.values_get
            if mode == "paced by careerdocs":
                clock = ScaledClock(time_scale)
                pacer = Pacer(limits_from_quotas({}), sleep=clock.sleep, clock=clock.now)
                call = paced(callers.values_get, pacer)
            settle = SECONDS_PER_MINUTE / time_scale  # a full minute: every bucket full again
            tally = hammer(
                call, seeded, QUOTA_THREADS, seconds, prepare=_opened(callers, bench), settle=settle
            )
            counts = bench.snapshot()
        served = sum(r["count"] for r in counts if r["api"] == "sheets" and r["status"] == 200)
        refused = sum(r["count"] for r in counts if r["status"] in RATE_LIMITED)
        modelled = tally.seconds * time_scale / SECONDS_PER_MINUTE
        allowed = per_project + per_project * modelled
        rows.append(
            [
                mode,
                f"{tally.seconds:.1f} s = {modelled:.2f} min",
                served,
                round(allowed),
                f"{served / allowed:.0%}",
                round(max(served - per_project, 0) / modelled) if modelled else 0,
                per_project,
                refused,
                tally.failed,
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=DEFAULT_SECONDS, help="timed window per cell"
    )
    parser.add_argument("--threads", type=int, nargs="+", default=list(DEFAULT_THREADS))
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEFAULT_TIME_SCALE,
        help="quota minutes pass this many times faster in part 2",
    )
    parser.add_argument(
        "--child-only", action="store_true", help="skip the in-process sandbox in part 1"
    )
    args = parser.parse_args()

    placements = [SandboxSpec(separate=True)]
    if not args.child_only:
        placements.append(SandboxSpec(separate=False))
    header = ["method", *(f"{t} thread{'s' * (t > 1)} /s" for t in args.threads)]
    child: dict[str, list[Tally]] = {}
    for spec in placements:
        tallies = throughput(spec, args.threads, args.seconds)
        child = child or tallies
        rows = [[name, *(_rate(t) for t in by_threads)] for name, by_threads in tallies.items()]
        print_table(f"Calls per second, {spec.describe()}", header, rows)
    print_table(
        "Headroom: largest time_scale at which the sandbox (child process) out-runs the quota",
        ["method", "project quota /min", "best calls/s", "max time_scale"],
        headroom(child),
    )
    print_table(
        f"Sheets values.get, quotas google, time_scale {args.time_scale:g}, "
        f"{QUOTA_THREADS} threads as {QUOTA_THREADS} users",
        [
            "mode",
            "window",
            "served",
            "quota allows",
            "of bound",
            "steady /min",
            "quota /min",
            "refused",
            "client errors",
        ],
        quota_bound(args.time_scale),
    )


if __name__ == "__main__":
    main()
