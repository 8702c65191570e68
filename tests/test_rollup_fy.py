"""Rolling up a fiscal year that has ended: who finished it overdue."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from careerdocs.cli import cli


def invoke(config: Path, today: str, *args: str) -> object:
    return CliRunner().invoke(cli, ["--config", str(config), "--today", today, *args])


def test_a_past_year_rolled_up_after_its_end_shows_overdue(local_config: Path) -> None:
    assert invoke(local_config, "2026-11-26", "provision", "--no-notify").exit_code == 0
    result = invoke(local_config, "2027-02-15", "rollup", "--fy", "FY2027", "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    # Léa Moreau started 2026-10-05: her 90 days ended 2027-01-03, inside FY2027, so she too
    # was due before the year closed.
    assert (counts["overdue"], counts["not yet due"], counts["due"]) == (12, 0, 0)


def test_a_deadline_from_another_year_is_ignored(local_config: Path) -> None:
    text = local_config.read_text(encoding="utf-8")
    local_config.write_text(text.replace("[rollup]", '[rollup]\ndeadline = "2025-12-31"'), "utf-8")
    assert invoke(local_config, "2026-11-26", "provision", "--no-notify").exit_code == 0
    result = invoke(local_config, "2026-11-26", "rollup", "--json")
    assert json.loads(result.stdout)["counts"]["overdue"] == 0


def test_a_deadline_within_the_year_makes_people_overdue_once_passed(local_config: Path) -> None:
    text = local_config.read_text(encoding="utf-8")
    local_config.write_text(text.replace("[rollup]", '[rollup]\ndeadline = "2026-10-31"'), "utf-8")
    assert invoke(local_config, "2026-11-26", "provision", "--no-notify").exit_code == 0
    result = invoke(local_config, "2026-11-26", "rollup", "--json")
    assert json.loads(result.stdout)["counts"]["overdue"] == 11


def test_status_fy_needs_refresh(local_config: Path) -> None:
    result = invoke(local_config, "2026-11-26", "status", "--fy", "FY2026")
    assert result.exit_code == 2
    assert "--fy needs --refresh" in result.output


def test_a_malformed_fy_is_a_usage_error(local_config: Path) -> None:
    result = invoke(local_config, "2026-11-26", "rollup", "--fy", "last year")
    assert result.exit_code == 2
    assert "--fy" in result.output
