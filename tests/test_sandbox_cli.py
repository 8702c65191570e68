"""`careerdocs sandbox serve`: a person can start the sandbox, seed it from a roster, and point any
script at the key file it writes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from .conftest import EXAMPLE_ROSTER, roster_users

START_TIMEOUT_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_seeds_the_roster_writes_a_key_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    key = tmp_path / "key.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "careerdocs",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--key-file",
            str(key),
            "--seed-roster",
            str(EXAMPLE_ROSTER),
            "--quotas",
            "google",
            "--faults",
            "seed=1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        assert first.strip() == f"Sandbox serving at http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not key.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        info = json.loads(key.read_text(encoding="utf-8"))
        assert info["type"] == "service_account"
        assert info["token_uri"] == f"http://127.0.0.1:{port}/token"
        assert oct(key.stat().st_mode & 0o777) == "0o600"
        users = requests.get(f"http://127.0.0.1:{port}/_sandbox/users", timeout=5).json()
        assert tuple(users["users"]) == roster_users()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_refuses_a_bad_fault_spec() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "careerdocs", "sandbox", "serve", "--faults", "bogus=1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "unknown fault 'bogus=1'" in done.stderr
