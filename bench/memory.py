"""Peak memory of careerdocs: provision of N people on the local backend, rollup of N people on
the sandbox.

Each measurement runs in a fresh Python process (peak RSS only ever grows, so two measurements
must not share one). It reports its resident set before the measured call, its peak, and, when
traced, the tracemalloc peak of the measured call: Python's own allocations, which is what
careerdocs' code decides. tracemalloc adds its own bookkeeping to the RSS and makes the local
provision about 3.5 times slower, so RSS comes from plain runs and the traced local provision is
of ``--local-trace-people`` people (set it to N for the whole measurement: about 8 minutes).

The rollup's sandbox (a child process, quotas off) is provisioned and given conversations by this
process first, so the measuring process runs only the rollup (``rollup --full``, unpaced).

    python bench/memory.py [--people 1000] [--local-trace-people 50]
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
    args = parser.parse_args()
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
