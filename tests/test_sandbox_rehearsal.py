"""A rehearsal you can finish (issue 10): `sandbox serve` port handling and ready config, commands
against a sandbox that is not running, acting as a team member, exporting their documents, and
logs that name the sandbox rather than Google. Everything runs against the real sandbox over
HTTP with the real client libraries."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

import openpyxl
import pytest
import tomllib
from click.testing import CliRunner, Result

from careerdocs.cli import cli
from careerdocs.endpoint import RedirectedUrls
from careerdocs.errors import ExitCode
from tests.conftest import EXAMPLE_ROSTER, LOCAL_CONFIG, GoogleSetup, write_config

TODAY = "2026-11-02"
ZOE = "zoe.lambert@example.com"
SIOBHAN = "siobhan.obrien@example.com"


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--today", TODAY, *args])


# -- sandbox serve ------------------------------------------------------------------------------


def test_serve_on_a_busy_port_says_so_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli,
            ["sandbox", "serve", "--port", str(port), "--key-file", str(tmp_path / "key.json")],
        )
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (
        f"Error: port {port} is in use (another `careerdocs sandbox serve`?)\n"
        "  --port: stop the other one, or use --port 0 to pick a free port\n"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _interrupt_when(exists: Path) -> threading.Thread:
    """Ctrl-C the serving command once ``exists`` appears (it is written after start-up)."""

    def wait_then_interrupt() -> None:
        deadline = time.monotonic() + 60
        while not exists.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=wait_then_interrupt, daemon=True)
    thread.start()
    return thread


def test_serve_on_port_0_writes_a_ready_config_and_its_own_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "sandbox.toml"
    waiter = _interrupt_when(config)
    served = CliRunner().invoke(
        cli,
        [
            "sandbox",
            "serve",
            "--port",
            "0",
            "--seed-roster",
            str(EXAMPLE_ROSTER),
            "--write-config",
            str(config),
        ],
    )
    waiter.join()
    assert served.exit_code == 0, served.output
    lines = served.stdout.splitlines()
    endpoint = lines[0].removeprefix("Sandbox serving at ")
    port = int(endpoint.rpartition(":")[2])
    assert endpoint == f"http://127.0.0.1:{port}" and port != 8765
    assert f"Config for this sandbox: {config}. In another terminal:" in lines
    assert lines[-1] == "Stopping."
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    assert data["backend"] == "google"
    assert data["google"]["endpoint"] == endpoint
    # One key per port: a second sandbox on 8765 cannot overwrite the key this config uses.
    assert data["google"]["credentials"] == f".sandbox/service-account-{port}.json"
    assert json.loads((tmp_path / data["google"]["credentials"]).read_text())["token_uri"] == (
        f"{endpoint}/token"
    )
    assert data["google"]["admin"] == "amara.nwosu@example.com"  # the roster's usual PBP
    assert data["allowed_domains"] == ["example.com"]
    assert (tmp_path / data["roster"]["source"]).resolve() == EXAMPLE_ROSTER.resolve()


def test_serve_refuses_to_overwrite_a_config(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.toml"
    config.write_text("# mine\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--write-config", str(config)])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert config.read_text(encoding="utf-8") == "# mine\n"


def test_a_command_against_a_sandbox_that_is_not_running_says_how_to_start_it(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    (tmp_path / "key.json").write_text("{}", encoding="utf-8")
    config = write_config(
        tmp_path,
        f"""
        backend = "google"
        allowed_domains = ["example.com"]
        [roster]
        source = "{EXAMPLE_ROSTER}"
        [google]
        credentials = "key.json"
        admin = "ines.duarte@example.com"
        endpoint = "http://127.0.0.1:{port}"
        """,
    )
    result = run(config, "provision")
    assert result.exit_code == ExitCode.FAILURE
    assert result.stderr == (
        f"Error: nothing answers at http://127.0.0.1:{port}: is `careerdocs sandbox serve` "
        f"running? Start it in another terminal: careerdocs sandbox serve --port {port} "
        "--seed-roster <roster>\n"
    )


# -- acting as people ---------------------------------------------------------------------------


@pytest.fixture
def provisioned(google_setup: GoogleSetup) -> GoogleSetup:
    result = run(google_setup.config, "provision", "--no-notify")
    assert result.exit_code == 0, result.output
    return google_setup


def test_a_person_logs_and_acknowledges_and_rollup_counts_it(provisioned: GoogleSetup) -> None:
    config = provisioned.config
    logged = run(
        config,
        "sandbox",
        "act",
        "--as",
        ZOE,
        "log",
        "--date",
        "2026-10-20",
        "--with",
        SIOBHAN,
        "--type",
        "career",
        "--ack",
    )
    assert logged.exit_code == 0, logged.output
    assert logged.stdout.startswith(f"{ZOE} logged a career conversation on 2026-10-20 (")
    rollup = run(config, "rollup", "--json")
    assert rollup.exit_code == 0, rollup.output
    people = {p["email"]: p for p in json.loads(rollup.stdout)["people"]}
    assert (people[ZOE]["status"], people[ZOE]["acknowledged"]) == ("acknowledged", 1)


def test_a_manager_cannot_tick_acknowledged_for_their_report(provisioned: GoogleSetup) -> None:
    args = ["sandbox", "act", "--as", SIOBHAN, "log", "--date", "2026-10-20", "--with", SIOBHAN]
    forged = run(provisioned.config, *args, "--ack", "--sheet-of", ZOE)
    assert forged.exit_code == ExitCode.FAILURE
    assert forged.stderr.startswith(f"Error: the sandbox refused {SIOBHAN}'s edit: "), forged.stderr
    rollup = run(provisioned.config, "rollup", "--json")
    people = {p["email"]: p for p in json.loads(rollup.stdout)["people"]}
    assert people[ZOE]["acknowledged"] == 0


def test_export_downloads_a_persons_documents_to_look_at(
    provisioned: GoogleSetup, tmp_path: Path
) -> None:
    config = provisioned.config
    assert (
        run(config, "sandbox", "act", "--as", ZOE, "log", "--date", "2026-10-20", "--with", SIOBHAN)
    ).exit_code == 0
    out = tmp_path / "zoe-docs"
    result = run(config, "sandbox", "export", "--person", ZOE, "--out", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert sorted(Path(f).suffix for f in files) == [".docx", ".docx", ".xlsx"]
    sheet = next(out.glob("*.xlsx"))
    rows = list(openpyxl.load_workbook(sheet)["Conversations"].iter_rows(values_only=True))
    assert rows[1][1:3] == (SIOBHAN, "career")
    assert result.stdout.splitlines() == [f"wrote {out / f}" for f in _in_export_order(files)]


def _in_export_order(files: list[str]) -> list[str]:
    order = ("Individual Growth Plan", "Accomplishment tracker", "Growth plan")
    return sorted(files, key=lambda f: next(i for i, o in enumerate(order) if f.startswith(o)))


@pytest.mark.parametrize(
    "command",
    [
        ["act", "--as", ZOE, "log", "--date", TODAY, "--with", "x"],
        ["export", "--person", ZOE, "--out", "x"],
    ],
)
def test_acting_and_exporting_work_only_against_a_sandbox(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "roster.csv").write_bytes(EXAMPLE_ROSTER.read_bytes())
    config = write_config(tmp_path, LOCAL_CONFIG)
    result = run(config, "sandbox", *command)
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr.startswith("Error: this works only against a sandbox\n")


# -- logs name the endpoint actually used ------------------------------------------------------


def test_verbose_logs_name_the_sandbox_not_google(
    provisioned: GoogleSetup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = run(provisioned.config, "-vv", "plan")
    assert result.exit_code == 0, result.output
    endpoint = provisioned.kit.endpoint
    assert f"Google APIs at {endpoint} (a sandbox, not Google)" in caplog.text
    requested = [r.getMessage() for r in caplog.records if "URL being requested" in r.getMessage()]
    assert requested and all(endpoint in line for line in requested)
    assert not any("googleapis.com" in line for line in requested)


def test_the_log_filter_rewrites_google_hosts_only() -> None:
    record = logging.LogRecord(
        "googleapiclient.discovery",
        logging.DEBUG,
        __file__,
        1,
        "URL being requested: %s %s",
        ("GET", "https://www.googleapis.com/drive/v3/files?alt=json"),
        None,
    )
    assert RedirectedUrls("http://127.0.0.1:9/").filter(record)
    assert (
        record.getMessage() == "URL being requested: GET http://127.0.0.1:9/drive/v3/files?alt=json"
    )
    other = logging.LogRecord("x", logging.INFO, __file__, 1, "https://example.com/a", (), None)
    RedirectedUrls("http://127.0.0.1:9").filter(other)
    assert other.getMessage() == "https://example.com/a"


@pytest.mark.parametrize(
    ("filled", "expected"),
    [
        ([["Date", "With whom", "", "How to"], ["", "", "", "One row each"]], (2, 1)),
        ([["Date", "With whom"], ["2026-01-01", "x"]], (3, 1)),
        ([["Notes col", "Date", "With whom"], ["n", "", ""], ["", "2026-01-01", "y"]], (2, 2)),
    ],
    ids=["notes-beside-the-table", "after-the-last-row", "columns-moved"],
)
def test_a_logged_row_goes_in_the_first_free_row_and_only_its_own_columns(
    filled: list[list[str]], expected: tuple[int, int]
) -> None:
    from careerdocs.rehearsal import placement

    row, column, cells = placement(filled, {"Date": "2026-11-02", "With whom": "Sam"})
    assert (row, column) == expected
    assert cells == ["2026-11-02", "Sam"]
