"""The run lock: one writing run per configuration. A second run is turned away at once (and
cron counts that as a skip, exit 0); the lock is released however the holder ends, including
being killed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from careerdocs.errors import ExitCode, LockBusy, WorkspaceError
from careerdocs.lock import exclusive

CHILD_TIMEOUT_SECONDS = 10
LOCKED = "locked"
# Takes the lock through careerdocs itself, says so, then holds it until killed.
HOLDER = f"""
import sys, time
from pathlib import Path
from careerdocs.lock import exclusive
with exclusive(Path(sys.argv[1]), "rollup"):
    print({LOCKED!r}, flush=True)
    time.sleep({CHILD_TIMEOUT_SECONDS})
"""


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "rollup.lock"


def test_a_second_holder_in_the_same_process_is_turned_away(lock_path: Path) -> None:
    with (
        exclusive(lock_path, "rollup"),
        pytest.raises(LockBusy) as raised,
        exclusive(lock_path, "rollup"),
    ):
        pytest.fail("two holders at once")

    assert "another careerdocs run is running" in str(raised.value)
    assert "skipping this rollup" in str(raised.value)
    assert str(lock_path) in str(raised.value)


def test_provision_and_rollup_share_one_lock(lock_path: Path) -> None:
    with (
        exclusive(lock_path, "provision"),
        pytest.raises(LockBusy, match="skipping this rollup"),
        exclusive(lock_path, "rollup"),
    ):
        pytest.fail("a rollup ran during a provision")


def test_a_busy_lock_is_a_skipped_run_not_a_failure() -> None:
    assert LockBusy.exit_code == ExitCode.OK == 0


def test_the_lock_is_free_again_after_the_block(lock_path: Path) -> None:
    with exclusive(lock_path, "rollup"):
        pass

    with exclusive(lock_path, "rollup"):
        pass


def test_the_lock_is_free_again_after_an_exception_inside(lock_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), exclusive(lock_path, "rollup"):
        raise RuntimeError("boom")

    with exclusive(lock_path, "rollup"):
        pass


def test_a_turned_away_run_closing_its_file_does_not_release_the_holders_lock(
    lock_path: Path,
) -> None:
    """flock, unlike fcntl record locks, survives another descriptor of the file being closed."""
    with exclusive(lock_path, "rollup"):
        for _ in range(2):
            with pytest.raises(LockBusy), exclusive(lock_path, "rollup"):
                pass


def test_an_unopenable_lock_file_is_a_workspace_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-dir").write_text("")

    with (
        pytest.raises(WorkspaceError, match="cannot open the lock file"),
        exclusive(tmp_path / "not-a-dir" / "rollup.lock", "rollup"),
    ):
        pass


def test_a_lock_held_by_a_killed_process_is_free_again(lock_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == LOCKED
        with pytest.raises(LockBusy), exclusive(lock_path, "rollup"):
            pass
    finally:
        child.kill()
        child.wait(timeout=CHILD_TIMEOUT_SECONDS)
        if child.stdout is not None:
            child.stdout.close()

    with exclusive(lock_path, "rollup"):
        pass
