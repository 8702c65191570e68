"""Rollup on the local backend reads many growth sheets in forked processes, and gets what one
process gets; never by spawning (which would run the caller's script again), never forking a
process that has other threads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from careerdocs.workspace import local
from careerdocs.workspace.base import Artifact, ArtifactKind

SHIPPED_SHEET = Path(__file__).resolve().parent.parent / "templates" / "growth-plan.xlsx"
SHEETS = 2 * local.READ_IN_PROCESSES_FROM


def sheets_in(out: Path, count: int) -> list[Artifact]:
    """``count`` growth sheets (copies of the shipped one) and one that is missing."""
    out.mkdir()
    made = []
    for i in range(count):
        shutil.copy(SHIPPED_SHEET, out / f"{i}.xlsx")
        made.append(sheet(f"p{i}@example.com", f"{i}.xlsx"))
    return [*made, sheet("gone@example.com", "gone.xlsx")]


def sheet(person: str, name: str) -> Artifact:
    return Artifact(ArtifactKind.GROWTH_SHEET, person, "FY2027", name, name, name)


@pytest.mark.skipif(sys.platform != "linux", reason="sheets are read in processes on Linux only")
def test_many_sheets_read_in_forked_processes_as_in_one_and_the_script_runs_once(
    tmp_path: Path,
) -> None:
    # No __main__ guard, as a user's script may have none: a spawned reader would run it again.
    script = textwrap.dedent(
        f"""
        import os, resource, sys
        print("script ran", flush=True)
        from pathlib import Path
        from tests.test_local_reading import sheets_in
        from careerdocs.workspace import local
        out = Path({str(tmp_path)!r}) / "out"
        sheets = sheets_in(out, {SHEETS})
        workspace = local.LocalWorkspace(out, out / "central.xlsx")
        spread = workspace.read_conversations(sheets)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        here = local._read_sheets([(s.person, out / s.id) for s in sheets])
        print("same" if spread == here else "different")
        print("processes", local._reading_processes(len(sheets)))
        print("children used CPU", children.ru_utime + children.ru_stime > 0)
        print("errors", [r.error for r in spread if r.error])
        """
    )
    user_script = tmp_path / "user_script.py"
    user_script.write_text(script, encoding="utf-8")
    repo = Path(__file__).resolve().parent.parent
    ran = subprocess.run(
        [sys.executable, str(user_script)],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines.count("script ran") == 1
    assert "same" in lines
    processes = int(next(x for x in lines if x.startswith("processes")).split()[1])
    assert ("children used CPU True" in lines) == (processes > 1)
    assert any("gone.xlsx does not exist" in x for x in lines if x.startswith("errors"))


def test_a_process_with_other_threads_reads_here(tmp_path: Path) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert local._reading_processes(10 * SHEETS) == 1
    finally:
        stop.set()
        other.join()


def test_few_sheets_are_read_here() -> None:
    assert local._reading_processes(local.READ_IN_PROCESSES_FROM - 1) == 1


def test_a_sheet_read_in_any_process_has_the_conversations(tmp_path: Path) -> None:
    (read, missing) = local.LocalWorkspace(
        tmp_path / "out", tmp_path / "c.xlsx"
    ).read_conversations(sheets_in(tmp_path / "out", 1))
    assert read.error is None and read.header[:2] == ["Date", "With whom"]
    assert missing.error is not None and missing.rows == []
