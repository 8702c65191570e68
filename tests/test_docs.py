"""The README documents every command and every option: a new option without docs fails here."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from careerdocs.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += _commands(command, path + " ")
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_is_in_the_readme(path: str, command: click.Command) -> None:
    assert f"careerdocs {path}" in README


OPTIONS = [
    (path, opt)
    for path, command in [("", cli), *COMMANDS]
    for param in command.params
    if isinstance(param, click.Option)
    for opt in param.opts + param.secondary_opts
    if opt.startswith("--")
]


@pytest.mark.parametrize(("path", "option"), OPTIONS, ids=[f"{p} {o}" for p, o in OPTIONS])
def test_every_option_is_in_the_readme(path: str, option: str) -> None:
    assert f"`{option}" in README or f"{option} " in README or f"{option}`" in README, (
        f"careerdocs {path} {option} is not documented in README.md"
    )


def test_readme_opens_with_the_two_fresh_machine_commands() -> None:
    blocks = README.split("```")[1::2]
    first, second = blocks[0], blocks[1]
    assert "pip install" in first and "careerdocs" in first and "pytest" not in first
    assert "pip install" in second and "pytest" in second
