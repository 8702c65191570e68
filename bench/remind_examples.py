"""Render one real message of each `careerdocs remind` kind, through the command itself.

Provisions the example roster on the sandbox's Google Workspace (in this process, on
127.0.0.1; ``--local``: the local backend in a temporary folder), logs a few
conversations in people's growth sheets as they would (acknowledged in Q2, logged in Q4 and
not ticked, a manager 1:1 with an escalation), sets a deadline so some people are overdue,
runs `careerdocs remind --date 2026-12-07` (a Monday in Q4 of FY2027) and prints the fullest
message of each kind from the outbox, plain text, with the HTML part written next to it.

    python bench/remind_examples.py [--out DIR] [--readme README.md]

``--out`` keeps the .eml, .txt and .html files; ``--readme`` rewrites the README's examples
(between its ``remind-examples`` markers) with this run's messages.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import shutil
import sys
import tempfile
import textwrap
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner

from careerdocs.cli import cli
from careerdocs.nudges import Kind
from careerdocs.roster import read_csv, roster_emails
from careerdocs.sandbox.oauth import new_private_key
from careerdocs.sandbox.server import Sandbox, SandboxOptions
from careerdocs.workspace.base import ArtifactKind
from careerdocs.workspace.google.auth import CredentialFactory, load_key
from careerdocs.workspace.google.clients import Clients, resource
from careerdocs.workspace.local import OUTBOX, LocalWorkspace

REPO = Path(__file__).resolve().parent.parent
ROSTER = REPO / "config" / "example-roster.csv"
DAY = "2026-12-07"
CONFIG = """
    backend = "local"
    allowed_domains = ["example.com"]
    audit_log = "audit.jsonl"
    [roster]
    source = "roster.csv"
    [local]
    output_dir = "out"
    [rollup]
    deadline = "2026-11-30"
    lock_file = "run.lock"
    state_file = "rollup-state.json"
    [notify]
    ledger = "sent-ledger.json"
    [remind]
    new_hire_soon_days = 30
    state_file = "remind-state.json"
"""
# Date, With whom, Type, Notes, Acknowledged, Escalation: as each person logs them.
CONVERSATIONS = {
    "zoe.lambert@example.com": [
        [date(2026, 6, 10), "Siobhán", "career", "", True, False],
        [date(2026, 11, 27), "Siobhán", "career", "", False, False],
    ],
    "kwame.asante@example.com": [[date(2026, 11, 20), "Siobhán", "career", "", False, False]],
    "priya.raman@example.com": [
        [date(2026, 9, 15), "Siobhán", "manager 1:1", "wants security", True, True]
    ],
    "siobhan.obrien@example.com": [[date(2026, 6, 15), "Rahul", "career", "", True, False]],
}


def run(root: Path, google: bool) -> list[tuple[str, EmailMessage]]:
    """Provision, log, remind; the richest message of each kind as (key, message)."""
    shutil.copy(ROSTER, root / "roster.csv")
    config = root / "careerdocs.toml"
    sandbox = _google(root) if google else None
    text = textwrap.dedent(CONFIG)
    if sandbox is not None:
        text = text.replace('backend = "local"', 'backend = "google"') + textwrap.dedent(
            f"""
            [google]
            credentials = "key.json"
            admin = "{ADMIN}"
            endpoint = "{sandbox.endpoint}"
            """
        )
    config.write_text(text, encoding="utf-8")
    runner = CliRunner()
    try:
        done = runner.invoke(
            cli, ["--config", str(config), "--today", DAY, "provision", "--no-notify"]
        )
        if done.exit_code != 0:
            sys.exit(done.output)
        if sandbox is None:
            _log_local(root)
        else:
            _log_google(root, sandbox)
        done = runner.invoke(cli, ["--config", str(config), "remind", "--date", DAY, "--json"])
        if done.exit_code != 0:
            sys.exit(done.output)
        report = json.loads(done.stdout)
        for m in report["messages"]:
            print(f"{m['to']:30} {m['from']:30} {m['kind']:18} {m['subject']}", file=sys.stderr)
        if sandbox is None:
            raws = {f.stem: f.read_bytes() for f in (root / "out" / OUTBOX).glob("remind-*.eml")}
        else:
            raws = _sent_by_key(sandbox, report)
    finally:
        if sandbox is not None:
            sandbox.stop()
    found = []
    for kind in Kind:
        mine = [key for key in raws if key.startswith(f"remind-{kind.value}-")]
        if mine:
            richest = max(sorted(mine), key=lambda key: len(raws[key]))  # it says the most
            message = email.message_from_bytes(raws[richest], policy=email.policy.default)
            found.append((richest, message))
    return found  # type: ignore[return-value]


def _log_local(root: Path) -> None:
    workspace = LocalWorkspace(root / "out", root / "out" / "central.xlsx")
    for person, rows in CONVERSATIONS.items():
        sheet = workspace.find_artifacts([person], "FY2027")[person][ArtifactKind.GROWTH_SHEET]
        book = openpyxl.load_workbook(root / "out" / sheet.id)
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                book["Conversations"].cell(row=r, column=c, value=value)
        book.save(root / "out" / sheet.id)


def _google(root: Path) -> Sandbox:
    """A sandbox on 127.0.0.1 with the roster's accounts, and its key in ``root/key.json``."""
    sandbox = Sandbox(SandboxOptions())
    sandbox.start()
    header, rows = read_csv(ROSTER)
    for user in roster_emails(header, rows):
        sandbox.add_user(user)
    key = sandbox.service_account_key(private_key=new_private_key())
    (root / "key.json").write_text(json.dumps(key), encoding="utf-8")
    return sandbox


def _log_google(root: Path, sandbox: Sandbox) -> None:
    """Each person writes their rows into their own growth sheet, as themselves."""
    clients = Clients(CredentialFactory(load_key(root / "key.json")), sandbox.endpoint)
    drive = resource("drive", "files")
    for person, rows in CONVERSATIONS.items():
        found = drive.list(
            q=f"appProperties has {{ key='careerdocs_person' and value='{person}' }} "
            "and appProperties has { key='careerdocs_kind' and value='growth_sheet' }",
            fields="files(id)",
        ).execute(http=clients.http(person))["files"]
        cells = [[c.isoformat() if isinstance(c, date) else c for c in row] for row in rows]
        book = clients.gspread(person).open_by_key(found[0]["id"])
        book.worksheet("Conversations").update(cells, "A2", value_input_option="USER_ENTERED")


def _sent_by_key(sandbox: Sandbox, report: dict[str, Any]) -> dict[str, bytes]:
    """Every message in the sandbox's Sent mail under its remind key, matched to the run's
    JSON report by recipient and subject (Gmail keeps no careerdocs key)."""
    keys = {
        (m["to"], m["subject"]): f"remind-{m['kind']}-{m['window']}-{m['to']}"
        for m in report["messages"]
    }
    out = {}
    for messages in sandbox.store.messages.values():
        for m in messages:
            parsed = email.message_from_bytes(m.raw, policy=email.policy.default)
            out[keys[(str(parsed["To"]), str(parsed["Subject"]))]] = m.raw
    return out


ADMIN = "ines.duarte@example.com"
README_START = "<!-- remind-examples:start (python bench/remind_examples.py --readme README.md) -->"
README_END = "<!-- remind-examples:end -->"
WHO = {
    Kind.DUE: "a team member whose window is open",
    Kind.OVERDUE: "a team member past the deadline",
    Kind.ACKNOWLEDGE: "someone who logged a conversation and has not ticked it",
    Kind.MANAGER_DIGEST: "a manager, weekly",
    Kind.SKIP_LEVEL_DIGEST: "a skip-level manager, weekly",
    Kind.PBP_SUMMARY: "a PBP, weekly",
}


def readme_block(found: list[tuple[str, EmailMessage]]) -> str:
    parts = [README_START]
    for name, message in found:
        kind = next(k for k in Kind if name.startswith(f"remind-{k.value}-"))
        plain = message.get_body(("plain",))
        assert plain is not None
        parts += [
            "",
            f"<details><summary><code>{kind.value}</code>: to {WHO[kind]}</summary>",
            "",
            "```text",
            f"From: {message['From']}",
            f"To: {message['To']}",
            f"Subject: {message['Subject']}",
            "",
            plain.get_content().rstrip(),
            "```",
            "</details>",
        ]
    return "\n".join([*parts, "", README_END])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the messages here")
    parser.add_argument("--readme", type=Path, help="rewrite this README's examples")
    parser.add_argument(
        "--local",
        action="store_true",
        help="the local backend (links are files) instead of "
        "the sandbox's Google Workspace (Drive links; From the manager)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        found = run(Path(tmp), google=not args.local)
        if args.readme:
            text = args.readme.read_text(encoding="utf-8")
            start, end = text.index(README_START), text.index(README_END) + len(README_END)
            args.readme.write_text(text[:start] + readme_block(found) + text[end:], "utf-8")
        for name, message in found:
            plain = message.get_body(("plain",))
            html = message.get_body(("html",))
            assert plain is not None and html is not None
            print(f"==> {name}")
            print(f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\n")
            print(plain.get_content())
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                stem = name.removesuffix(".eml")
                (args.out / f"{stem}.txt").write_text(plain.get_content(), encoding="utf-8")
                (args.out / f"{stem}.html").write_text(html.get_content(), encoding="utf-8")
                (args.out / name).write_bytes(message.as_bytes())


if __name__ == "__main__":
    main()
