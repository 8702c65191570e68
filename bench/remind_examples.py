"""Render one real message of each `careerdocs remind` kind, through the command itself.

Provisions the example roster on the local backend in a temporary folder, logs a few
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
import shutil
import sys
import tempfile
import textwrap
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from careerdocs.cli import cli
from careerdocs.nudges import Kind
from careerdocs.workspace.base import ArtifactKind
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


def run(root: Path) -> list[tuple[str, EmailMessage]]:
    shutil.copy(ROSTER, root / "roster.csv")
    config = root / "careerdocs.toml"
    config.write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(cli, ["--config", str(config), "--today", DAY, "provision", "--no-notify"])
    if done.exit_code != 0:
        sys.exit(done.output)
    workspace = LocalWorkspace(root / "out", root / "out" / "central.xlsx")
    for person, rows in CONVERSATIONS.items():
        sheet = workspace.find_artifacts([person], "FY2027")[person][ArtifactKind.GROWTH_SHEET]
        book = openpyxl.load_workbook(root / "out" / sheet.id)
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                book["Conversations"].cell(row=r, column=c, value=value)
        book.save(root / "out" / sheet.id)
    done = runner.invoke(cli, ["--config", str(config), "remind", "--date", DAY])
    print(done.output, file=sys.stderr)
    if done.exit_code != 0:
        sys.exit(done.exit_code)
    found = []
    for kind in Kind:
        files = sorted((root / "out" / OUTBOX).glob(f"remind-{kind.value}-*.eml"))
        if files:
            richest = max(files, key=lambda f: f.stat().st_size)  # the one that says the most
            raw = richest.read_bytes()
            found.append((richest.name, email.message_from_bytes(raw, policy=email.policy.default)))
    return found  # type: ignore[return-value]


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        found = run(Path(tmp))
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
