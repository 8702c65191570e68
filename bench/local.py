"""The local backend at company scale: provision, a run with nothing to do, and rollup.

For each N (default 200, 1000 and 2000) a fresh measuring process (so peak RSS is its own)
writes the generated company's roster (``management_tree(N)``, acting on ``TODAY``) into a
temporary folder and runs, as the CLI does:

1. ``provision`` (every person new: folder, three documents, shares, one email each);
2. ``provision`` again: nothing to do (it must write nothing);
3. ``rollup`` (no state yet: reads every growth sheet, writes the central workbook);
4. ``rollup`` again (incremental: nothing changed).

It prints one JSON document: per N, wall and CPU seconds (this process and its children),
peak RSS, milliseconds per person, and the other runs' wall seconds.

    python bench/local.py [--people 200 1000 2000] [--workers 4]

``measure_local(n)`` is the same measurement for one N, for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    PEAK,
    PROC_SELF_STATUS,
    _status_kb,
    local_config,
    management_tree,
    provision_all,
    rollup_once,
    scratch_dir,
    write_roster,
)

from careerdocs.config import load_settings
from careerdocs.workspace import open_workspace

DEFAULT_PEOPLE = (200, 1000, 2000)
DEFAULT_WORKERS = 4  # what `careerdocs provision` uses unless told otherwise
MEASURE_FLAG = "--measure"
KB_PER_MB = 1024.0
MS_PER_S = 1000.0


def cpu_seconds() -> float:
    """User and system CPU of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(call: Any) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds) of ``call()``."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = call()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def run_here(people: int, workers: int = DEFAULT_WORKERS) -> dict[str, Any]:
    """The measurement in this process (peak RSS is this process's, so call it in a fresh
    one: :func:`measure_local` does)."""
    with scratch_dir("local") as directory:
        roster = write_roster(directory / "roster.csv", management_tree(people))
        settings = load_settings(local_config(directory, roster))
        result, wall, cpu = _timed(
            lambda: provision_all(settings, open_workspace(settings), workers)
        )
        peak = _status_kb(Path(PROC_SELF_STATUS), PEAK) / KB_PER_MB
        failed = len(result.failures)
        out = settings.local.output_dir
        before = _file_times(out)
        again, noop_wall, noop_cpu = _timed(
            lambda: provision_all(settings, open_workspace(settings), workers)
        )
        rewritten = sum(1 for name, stamp in _file_times(out).items() if before.get(name) != stamp)
        _, first_wall, first_cpu = _timed(
            lambda: rollup_once(settings, open_workspace(settings), full=False)
        )
        _, again_wall, again_cpu = _timed(
            lambda: rollup_once(settings, open_workspace(settings), full=False)
        )
    return {
        "people": people,
        "workers": workers,
        "provision": {
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "peak_rss_mb": round(peak, 1),
            "ms_per_person": round(wall / people * MS_PER_S, 2),
            "cpu_ms_per_person": round(cpu / people * MS_PER_S, 2),
            "failed": failed,
        },
        "noop_provision": {
            "wall_s": round(noop_wall, 2),
            "cpu_s": round(noop_cpu, 2),
            "files_rewritten": rewritten,
            "failed": len(again.failures),
        },
        "rollup": {
            "first_wall_s": round(first_wall, 2),
            "first_cpu_s": round(first_cpu, 2),
            "again_wall_s": round(again_wall, 2),
            "again_cpu_s": round(again_cpu, 2),
        },
    }


def _file_times(root: Path) -> dict[str, tuple[int, int]]:
    """Each file under ``root``: (modification time, inode); a rewrite changes one or both."""
    return {
        str(path): (path.stat().st_mtime_ns, path.stat().st_ino)
        for path in root.rglob("*")
        if path.is_file()
    }


def measure_local(n: int, workers: int = DEFAULT_WORKERS) -> dict[str, Any]:
    """Provision, no-op provision and rollup of ``n`` people on the local backend, measured
    in a fresh process (see the module docstring for the fields)."""
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), MEASURE_FLAG, str(n), str(workers)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode:
        raise RuntimeError(f"the measuring process failed:\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == MEASURE_FLAG:
        print(json.dumps(run_here(int(sys.argv[2]), int(sys.argv[3]))), flush=True)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=list(DEFAULT_PEOPLE))
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = parser.parse_args()
    runs = []
    for people in args.people:
        runs.append(measure_local(people, args.workers))
        print(f"{people} people: {json.dumps(runs[-1]['provision'])}", file=sys.stderr)
    per_person = [run["provision"]["ms_per_person"] for run in runs]
    report = {
        "backend": "local",
        "runs": runs,
        "ms_per_person_spread": round(max(per_person) / min(per_person), 2) if runs else None,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
