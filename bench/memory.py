"""Peak memory of careerdocs: provision of N people on the local backend, rollup of N people on
the sandbox; and the sandbox's own peak memory holding N provisioned people.

Each measurement runs in a fresh Python process (peak RSS only ever grows, so two measurements
must not share one). It reports its resident set before the measured call, its peak, and, when
traced, the tracemalloc peak of the measured call: Python's own allocations, which is what
careerdocs' code decides. tracemalloc adds its own bookkeeping to the RSS and makes the local
provision about 3.5 times slower, so RSS comes from plain runs and the traced local provision is
of ``--local-trace-people`` people (set it to N for the whole measurement: about 8 minutes).

The rollup's sandbox (a child process, quotas off) is provisioned and given conversations by this
process first, so the measuring process runs only the rollup (``rollup --full``, unpaced).

The sandbox's own memory (:func:`measure_sandbox_memory`, also used by ``bench/run.py``): a fresh
sandbox child process, N people provisioned into it as ``careerdocs provision`` does by default
(built-in templates, 4 workers, notifications sent, unpaced, quotas off), then one full rollup;
its peak RSS is read from ``/proc/<pid>/status``. The issue's target is 2,000 people under 500 MB.

    python bench/memory.py [--people 1000] [--local-trace-people 50]
    python bench/memory.py --sandbox-only [--sandbox-people 200 2000] [--fill auto]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _common import (
    BenchSandbox,
    SandboxSpec,
    google_config,
    local_config,
    management_tree,
    open_google_workspace,
    peak_rss_mb,
    print_table,
    provision_all,
    rollup_once,
    rss_mb,
    running_sandbox,
    scratch_dir,
    upload_templates,
    write_roster,
)

from careerdocs.cadence import CONVERSATIONS_TAB
from careerdocs.config import load_settings
from careerdocs.workspace import open_workspace
from careerdocs.workspace.base import ArtifactKind
from careerdocs.workspace.google.clients import resource

DEFAULT_PEOPLE = 1000
DEFAULT_SANDBOX_PEOPLE = (200, 2000)
SANDBOX_WORKERS = 4  # the CLI's default
SETUP_WORKERS = 8
LOCAL_WORKERS = 4  # the CLI's default
CONVERSATIONS_PER_PERSON = 2
MEASURE_FLAG = "--measure"
TRACE_FLAG = "--trace"
DEFAULT_LOCAL_TRACE_PEOPLE = 50
LOCAL, ROLLUP, RESOURCES = "local provision", "sandbox rollup", "API resources only"
# The google-api-python-client resources careerdocs builds (once per process, then cached).
API_RESOURCES = (
    ("drive", "files"),
    ("drive", "permissions"),
    ("sheets", "spreadsheets"),
    ("sheets", "spreadsheets.values"),
    ("docs", "documents"),
    ("gmail", "users.messages"),
)
BYTES_PER_MB = 1024.0 * 1024.0
SEED = 5


def measure(what: str, config: Path, trace: bool) -> dict[str, float]:
    """In the measuring process: run one call, report its memory."""
    settings = load_settings(config)
    if what == RESOURCES:

        def call() -> Any:
            return [resource(api, path) for api, path in API_RESOURCES]

    elif what == LOCAL:
        workspace = open_workspace(settings)

        def call() -> Any:
            return provision_all(settings, workspace, LOCAL_WORKERS, notify=True)
    else:
        workspace = open_google_workspace(settings, paced=False)

        def call() -> Any:
            return rollup_once(settings, workspace, full=True)

    return _measured(call, trace)


def _measured(call: Callable[[], Any], trace: bool) -> dict[str, float]:
    baseline = rss_mb()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1] / BYTES_PER_MB if trace else 0.0
    tracemalloc.stop()
    return {"baseline": baseline, "peak": peak_rss_mb(), "traced": traced, "seconds": seconds}


def start_child(what: str, config: Path, trace: bool) -> subprocess.Popen[str]:
    """A measuring process, started now; :func:`result_of` waits for its report."""
    argv = [sys.executable, str(Path(__file__).resolve()), MEASURE_FLAG, what, str(config)]
    if trace:
        argv.append(TRACE_FLAG)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)


def result_of(child: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = child.communicate()
    if child.returncode:
        raise RuntimeError(f"a measuring process failed with exit code {child.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def local_setup(directory: Path, people: int) -> Path:
    roster = write_roster(directory / "roster.csv", management_tree(people))
    return local_config(directory, roster)


def _conversation(row: int) -> list[Any]:
    return [f"2026-{6 + row:02d}-15", "manager", "career", "notes", True, False]


def rollup_setup(directory: Path, bench: BenchSandbox, people: int) -> Path:
    """The company provisioned in the sandbox (copy fill, no email, unpaced) with two
    acknowledged conversations each."""
    members = management_tree(people)
    roster = write_roster(directory / "roster.csv", members)
    config = google_config(directory, bench, roster, templates=upload_templates(bench))
    settings = load_settings(config)
    result = provision_all(
        settings, open_google_workspace(settings, paced=False), SETUP_WORKERS, notify=False
    )
    values = resource("sheets", "spreadsheets.values")
    rng = random.Random(SEED)

    def log(person: Any) -> None:
        sheet = person.artifacts[ArtifactKind.GROWTH_SHEET].id
        rows = [_conversation(i) for i in range(rng.randint(0, CONVERSATIONS_PER_PERSON))]
        if rows:
            values.update(
                spreadsheetId=sheet,
                range=f"{CONVERSATIONS_TAB}!A2",
                valueInputOption="USER_ENTERED",
                body={"values": rows},
            ).execute(http=bench.clients.http(person.email))

    with ThreadPoolExecutor(max_workers=SETUP_WORKERS) as pool:
        list(pool.map(log, result.people))
    return config


def measure_sandbox_memory(n: int, fill: str = "auto") -> dict[str, Any]:
    """The sandbox's peak resident set holding ``n`` provisioned people.

    A fresh sandbox child (quotas off) knows the ``n`` generated people; careerdocs, in this
    process and unpaced, provisions them all with ``fill`` (``auto`` with the built-in
    templates is what ``careerdocs provision`` does out of the box; ``copy`` first uploads the
    templates as Google files) and notifications on, then runs one ``rollup --full``. Returns
    the child's RSS (MB) after start-up, after provision and at its peak, with the seconds
    each step took. Runs for minutes at 2,000 people."""
    members = management_tree(n)
    with scratch_dir("memory-sandbox") as directory:
        roster = write_roster(directory / "roster.csv", members)
        with running_sandbox([m.email for m in members], SandboxSpec()) as bench:
            started = _child_rss_mb(bench)
            templates = upload_templates(bench) if fill == "copy" else None
            config = google_config(
                directory, bench, roster, templates=templates, fill="copy" if templates else fill
            )
            settings = load_settings(config)
            workspace = open_google_workspace(settings, paced=False)
            clock = time.perf_counter()
            result = provision_all(settings, workspace, SANDBOX_WORKERS, notify=True)
            provision_seconds = time.perf_counter() - clock
            after_provision = _child_rss_mb(bench)
            clock = time.perf_counter()
            rollup_once(settings, open_google_workspace(settings, paced=False), full=True)
            rollup_seconds = time.perf_counter() - clock
            peak = bench.peak_rss_mb()
            after = _child_rss_mb(bench)
    failed = len(result.failures)
    return {
        "people": n,
        "fill": fill,
        "failed_people": failed,
        "sandbox_rss_start_mb": round(started, 1),
        "sandbox_rss_after_provision_mb": round(after_provision, 1),
        "sandbox_rss_after_rollup_mb": round(after, 1),
        "sandbox_peak_rss_mb": round(peak or 0.0, 1),
        "peak_mb_per_person": round(((peak or 0.0) - started) / n, 3),
        "provision_seconds": round(provision_seconds, 1),
        "rollup_seconds": round(rollup_seconds, 1),
        "target_peak_mb_at_2000": SANDBOX_TARGET_MB,
    }


SANDBOX_TARGET_MB = 500


def _child_rss_mb(bench: BenchSandbox) -> float:
    """The sandbox child's resident set now."""
    assert bench.child is not None
    status = Path(f"/proc/{bench.child.pid}/status").read_text(encoding="ascii")
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024.0


def sandbox_main(people: list[int], fill: str) -> None:
    rows = []
    for n in people:
        m = measure_sandbox_memory(n, fill)
        rows.append(
            [
                n,
                m["fill"],
                m["failed_people"],
                m["sandbox_rss_start_mb"],
                m["sandbox_rss_after_provision_mb"],
                m["sandbox_peak_rss_mb"],
                m["peak_mb_per_person"],
                m["provision_seconds"],
                m["rollup_seconds"],
            ]
        )
        print(json.dumps(m), flush=True)
    print_table(
        f"The sandbox's own memory holding N provisioned people (RSS in MB; target: 2,000 "
        f"people under {SANDBOX_TARGET_MB} MB)",
        [
            "people",
            "fill",
            "failed",
            "RSS at start",
            "RSS after provision",
            "peak RSS",
            "peak MB/person",
            "provision s",
            "rollup s",
        ],
        rows,
    )


def row(what: str, people: int, measured: dict[str, float], traced: bool) -> list[Any]:
    return [
        what,
        people,
        "tracemalloc on" if traced else "plain",
        measured["baseline"],
        measured["peak"],
        measured["peak"] - measured["baseline"],
        measured["traced"] if traced else "-",
        measured["seconds"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument(
        "--local-trace-people",
        type=int,
        default=DEFAULT_LOCAL_TRACE_PEOPLE,
        help="people in the traced local provision (tracemalloc makes it ~3.5x slower)",
    )
    parser.add_argument(
        "--sandbox-only",
        action="store_true",
        help="measure only the sandbox's own memory, at each --sandbox-people",
    )
    parser.add_argument(
        "--sandbox-people", type=int, nargs="+", default=list(DEFAULT_SANDBOX_PEOPLE)
    )
    parser.add_argument(
        "--fill", choices=("auto", "copy", "upload"), default="auto", help="for --sandbox-only"
    )
    args = parser.parse_args()
    if args.sandbox_only:
        sandbox_main(args.sandbox_people, args.fill)
        return
    with (
        scratch_dir("memory-local") as local_dir,
        scratch_dir("memory-traced") as traced_dir,
        scratch_dir("memory-rollup") as rollup_dir,
    ):
        # The big local run goes alongside the rollup's set-up: the two cores are shared, so
        # its time is not a speed measurement; its memory is unaffected.
        local = start_child(LOCAL, local_setup(local_dir, args.people), trace=False)
        users = [m.email for m in management_tree(args.people)]
        with running_sandbox(users, SandboxSpec()) as bench:
            config = rollup_setup(rollup_dir, bench, args.people)
            rollup_plain = result_of(start_child(ROLLUP, config, trace=False))
            rollup_traced = result_of(start_child(ROLLUP, config, trace=True))
            sandbox_rss = bench.peak_rss_mb()
        local_traced = result_of(
            start_child(LOCAL, local_setup(traced_dir, args.local_trace_people), trace=True)
        )
        local_plain = result_of(local)
        resources = result_of(start_child(RESOURCES, config, trace=True))
    print_table(
        "Peak memory of careerdocs (each line a fresh process; RSS in MB)",
        [
            "measured",
            "people",
            "run",
            "RSS before",
            "peak RSS",
            "growth",
            "tracemalloc peak MB",
            "seconds",
        ],
        [
            row(LOCAL, args.people, local_plain, False),
            row(LOCAL, args.local_trace_people, local_traced, True),
            row(ROLLUP, args.people, rollup_plain, False),
            row(ROLLUP, args.people, rollup_traced, True),
            row(RESOURCES, 0, resources, True),
        ],
    )
    print(
        f"\nThe sandbox's own peak RSS, holding {args.people} people's files: {sandbox_rss:,.0f} MB"
    )


if __name__ == "__main__" and sys.argv[1:2] == [MEASURE_FLAG]:
    result = measure(sys.argv[2], Path(sys.argv[3]), trace=TRACE_FLAG in sys.argv[4:])
    print(json.dumps(result))
elif __name__ == "__main__":
    main()
