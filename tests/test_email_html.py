"""An email with an HTML part is multipart/alternative (plain text first, then HTML) in the
local outbox; one without stays a single text/plain part, as provision's notification is."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from careerdocs.workspace.base import Email
from careerdocs.workspace.local import OUTBOX, LocalWorkspace

ALICE = "alice@example.com"
HTML = "<p>Hej <b>Ångström</b>, see <a href='https://x.example/igp'>your IGP</a>.</p>"


@pytest.fixture
def workspace(tmp_path: Path) -> LocalWorkspace:
    return LocalWorkspace(tmp_path / "out", tmp_path / "central.xlsx")


def _written(workspace: LocalWorkspace, key: str) -> email.message.EmailMessage:
    raw = (workspace.output_dir / OUTBOX / f"{key}.eml").read_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_an_html_email_is_written_as_plain_then_html_alternatives(
    workspace: LocalWorkspace,
) -> None:
    workspace.send_email(
        Email(
            "hr@example.com", ALICE, "Växa ✓", "Hej Ångström,\nsee your IGP.", key="k1", html=HTML
        )
    )
    parsed = _written(workspace, "k1")
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content() == "Hej Ångström,\nsee your IGP.\n"
    assert parts[1].get_content().strip() == HTML
    assert parsed["Subject"] == "Växa ✓"


def test_an_email_without_html_stays_one_plain_part(workspace: LocalWorkspace) -> None:
    workspace.send_email(Email("hr@example.com", ALICE, "Hi", "Hello", key="k2"))
    parsed = _written(workspace, "k2")
    assert parsed.get_content_type() == "text/plain"
    assert not parsed.is_multipart()
