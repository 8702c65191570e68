"""The API-call budget of a small provision run, held in a reviewed vcrpy cassette.

The test records the HTTP traffic of provisioning two people (a manager and a report) against the
sandbox, normalises each request to its method, API path shape and query parameter names, and
compares that sequence with ``tests/cassettes/provision_two_people.json``. A change in what
careerdocs asks of Google — one more call per person, a different endpoint — fails here, and the
cassette diff is what a reviewer reads.

Re-record after an intended change::

    CAREERDOCS_CASSETTE=record python -m pytest tests/test_call_budget.py

Re-record against real Google (a test domain you own; nothing else in the suite reaches Google)::

    CAREERDOCS_CASSETTE=record CAREERDOCS_GOOGLE_CONFIG=path/to/careerdocs.toml \\
        python -m pytest tests/test_call_budget.py

That config must name the same two people in its roster. Authorization headers, token
assertions and access tokens are scrubbed before anything is written.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import vcr
from click.testing import CliRunner

from careerdocs.cli import cli

from .conftest import make_kit, write_config

CASSETTE = Path(__file__).parent / "cassettes" / "provision_two_people.json"
RECORD = os.environ.get("CAREERDOCS_CASSETTE") == "record"
REAL_GOOGLE_CONFIG = os.environ.get("CAREERDOCS_GOOGLE_CONFIG")
ROSTER = (
    "Email,Name,Manager Email,Start Date,Department\n"
    "ines.duarte@example.com,Inês Duarte,,2020-06-01,People\n"
    "mei.chen@example.com,Mei Chen,ines.duarte@example.com,2025-01-06,Engineering\n"
)
ID_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{19,}$")
SCRUBBED = "<scrubbed>"
BEARER = re.compile(r"Bearer [^\s]+")
API_BY_PREFIX = (
    ("/upload/drive/", "www.googleapis.com"),
    ("/batch/drive/", "www.googleapis.com"),
    ("/drive/", "www.googleapis.com"),
    ("/v4/spreadsheets", "sheets.googleapis.com"),
    ("/v1/documents", "docs.googleapis.com"),
    ("/gmail/", "gmail.googleapis.com"),
    ("/token", "oauth2.googleapis.com"),
)


def shape(method: str, uri: str) -> str:
    """``POST www.googleapis.com/drive/v3/files/{id}/permissions ?fields&sendNotificationEmail``:
    what was asked of which API, without ids, hosts, ports or parameter values."""
    parts = urlsplit(uri)
    path = "/".join("{id}" if ID_SEGMENT.match(seg) else seg for seg in parts.path.split("/"))
    path = re.sub(r"/[A-Za-z0-9_-]{19,}:", "/{id}:", path)
    host = next((h for prefix, h in API_BY_PREFIX if parts.path.startswith(prefix)), parts.hostname)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)} - {"alt"})
    return f"{method} {host}{path} ?{'&'.join(keys)}"


def _scrub_request(request: Any) -> Any:
    if request.path.endswith("/token"):
        request.body = SCRUBBED
    elif isinstance(request.body, bytes):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:  # an upload: keep its size, not its bytes
            request.body = f"<{len(request.body)} bytes, binary>"
        else:  # batch parts carry each acting user's bearer token
            request.body = BEARER.sub(f"Bearer {SCRUBBED}", text)
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes) and b"access_token" in body:
        data = json.loads(body)
        data["access_token"] = SCRUBBED
        response["body"]["string"] = json.dumps(data).encode()
    return response


def recorder(path: Path) -> vcr.VCR:
    return vcr.VCR(
        serializer="json",
        record_mode="all",
        filter_headers=["authorization"],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    ).use_cassette(str(path))


def sequence(cassette: Path) -> list[str]:
    data = json.loads(cassette.read_text(encoding="utf-8"))
    return [shape(i["request"]["method"], i["request"]["uri"]) for i in data["interactions"]]


@pytest.fixture
def run_config(tmp_path: Path, signing_key: Any) -> Any:
    if REAL_GOOGLE_CONFIG:
        yield Path(REAL_GOOGLE_CONFIG)
        return
    kit = make_kit(signing_key, users=("ines.duarte@example.com", "mei.chen@example.com"))
    (tmp_path / "key.json").write_text(json.dumps(kit.key), encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    yield write_config(
        tmp_path,
        f"""
        backend = "google"
        allowed_domains = ["example.com"]
        audit_log = "audit.jsonl"
        [roster]
        source = "roster.csv"
        [google]
        credentials = "key.json"
        admin = "ines.duarte@example.com"
        endpoint = "{kit.endpoint}"
    """,
    )
    kit.sandbox.stop()


def test_provision_request_sequence_matches_the_reviewed_cassette(
    run_config: Path, tmp_path: Path
) -> None:
    recorded = CASSETTE if RECORD else tmp_path / "cassette.json"
    if RECORD:
        CASSETTE.parent.mkdir(exist_ok=True)
        CASSETTE.unlink(missing_ok=True)
    with recorder(recorded):
        result = CliRunner().invoke(
            cli,
            ["--config", str(run_config), "--today", "2026-11-26", "provision", "--workers", "1"],
        )
    assert result.exit_code == 0, result.output
    if RECORD:
        return
    assert CASSETTE.exists(), "no reviewed cassette: record one with CAREERDOCS_CASSETTE=record"
    assert sequence(recorded) == sequence(CASSETTE)


def test_the_reviewed_cassette_holds_no_secrets() -> None:
    text = CASSETTE.read_text(encoding="utf-8")
    assert "PRIVATE KEY" not in text
    assert "ya29." not in text
    assert '"authorization"' not in text.lower()
    assert "assertion=" not in text


def test_budget_per_person_is_what_the_cassette_says() -> None:
    """The numbers a reviewer checks, for two people (the shipped templates, fill "auto").

    Per person: one folder; three ``files.copy`` of the installed templates; one Docs
    batchUpdate per document (replaceAllText) and one Drive update recording it; ONE Sheets
    call for the growth sheet (a batchUpdate that fills its cells, makes its checkboxes and
    protects its Conversations tab: no Sheets read) and one Drive update recording it with the
    tab id; one Drive search for duplicates a concurrent run made (heal); one email and one
    Drive update recording it (so a re-run never sends it again); per share the grant's record
    on the folder, then the permission — and the same for the rollup reader's grant on each
    growth sheet but the reader's own (the reader is the admin here, in the roster: Mei's sheet
    alone).

    Per run: one batched Drive search; per shipped template one Drive search for its installed
    copy (here none yet, so per template one upload with conversion and one domain reader
    permission), one read of each template (the Docs' text, the sheet's cells and tab ids);
    and the central sheet (a new one: its tabs, a read that its empty first tab is still empty,
    and one atomic write)."""
    calls = sequence(CASSETTE)
    per_host: dict[str, int] = {}
    for call in calls:
        host = call.split()[1].split("/")[0]
        per_host[host] = per_host.get(host, 0) + 1
    assert per_host == {
        "oauth2.googleapis.com": 2,  # one token per acting user (the admin is in the roster)
        "www.googleapis.com": 35,
        "sheets.googleapis.com": 6,  # 2 people x 1, the installed template 1, central 3
        "docs.googleapis.com": 6,  # 2 people x 2, the two Doc templates read once
        "gmail.googleapis.com": 2,
    }
    copies = [c for c in calls if c.endswith("/copy ?fields")]
    assert len(copies) == 6
    installs = [c for c in calls if c.startswith("POST www.googleapis.com/upload/drive/v3/files")]
    assert len(installs) == 3


def _growth_sheets(data: dict[str, Any]) -> set[str]:
    """The ids of the growth sheets made for people, from the Drive answers that made them."""
    made = set()
    for interaction in data["interactions"]:
        if interaction["request"]["method"] != "POST":
            continue
        body = interaction["response"].get("body", {}).get("string")
        try:
            answer = json.loads(body) if body else {}
        except (TypeError, ValueError):
            continue
        props = answer.get("appProperties", {}) if isinstance(answer, dict) else {}
        if props.get("careerdocs_kind") == "growth_sheet" and props.get("careerdocs_person"):
            made.add(answer["id"])
    return made


def test_a_person_costs_one_sheets_write_and_no_sheets_read() -> None:
    """Sheets' per-minute write quota is what binds a provision run (300 a minute per project:
    2,000 people take at least 6.7 minutes at one write each), so each person's growth sheet
    gets exactly one Sheets call, a write, and no read; only run-level sheets (the installed
    template, the central sheet) are read. Adding a Sheets call per person back fails here."""
    data = json.loads(CASSETTE.read_text(encoding="utf-8"))
    growth = _growth_sheets(data)
    assert len(growth) == 2  # two people
    by_sheet: dict[str, list[str]] = {g: [] for g in growth}
    for interaction in data["interactions"]:
        request = interaction["request"]
        parts = urlsplit(request["uri"])
        if not parts.path.startswith("/v4/spreadsheets/"):
            continue
        sheet = parts.path.removeprefix("/v4/spreadsheets/").split("/")[0].split(":")[0]
        if sheet in growth:
            by_sheet[sheet].append(shape(request["method"], request["uri"]))
    for calls in by_sheet.values():
        assert calls == ["POST sheets.googleapis.com/v4/spreadsheets/{id}:batchUpdate ?"]
