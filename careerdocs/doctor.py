"""``careerdocs doctor``: check each thing a run depends on and say plainly what is wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import AccountUnreachable, CareerdocsError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _check(name: str, fn: Callable[[], str]) -> tuple[Check, bool]:
    try:
        return Check(name, True, fn()), True
    except CareerdocsError as exc:
        return Check(name, False, str(exc)), False


def run_checks(
    config_path: Path | None, roster_override: str | None, today: date
) -> Iterator[Check]:
    """Checks in dependency order; later checks are skipped when what they need failed."""
    from . import provision
    from .cli import load_roster
    from .config import load_settings
    from .workspace import open_workspace

    state: dict[str, Any] = {}

    def config() -> str:
        state["settings"] = load_settings(config_path, roster_override=roster_override)
        s = state["settings"]
        return f"{s.config_path or '(built-in defaults)'}; backend {s.backend_name}"

    check, ok = _check("config", config)
    yield check
    if not ok:
        return

    def workspace() -> str:
        state["workspace"] = open_workspace(state["settings"])
        return state["workspace"].describe()

    check, ok = _check("storage", workspace)
    yield check
    if not ok:
        return

    def roster() -> str:
        state["roster"] = load_roster(state["settings"], state["workspace"])
        return f"{len(state['roster'])} people from {state['settings'].roster.source}"

    check, roster_ok = _check("roster", roster)
    yield check

    if roster_ok and state["workspace"].backend == "google":

        def delegation() -> str:
            workspace = state["workspace"]
            credentials = workspace.clients.credentials
            admin = workspace.options.admin
            if not credentials.can_impersonate:
                workspace.ensure_token(admin)
                return (
                    f"token issued ({credentials.identity}: it acts as itself, so everything "
                    f"is made by that account; google.admin is {admin})"
                )
            person = next(iter(state["roster"])).email
            for user in dict.fromkeys([admin, person]):
                try:
                    workspace.ensure_token(user)
                except AccountUnreachable as exc:
                    raise exc.for_user(user) from None
            return f"tokens issued for {admin} and {person} ({credentials.identity})"

        check, credentials_ok = _check("credentials and delegation", delegation)
        yield check
        if not credentials_ok:
            return
        yield _check("who can acknowledge", state["workspace"].who_acknowledges)[0]

        def who_sends() -> str:
            from .senders import open_pool

            return open_pool(state["settings"], state["workspace"]).describe()

        yield _check("who sends", who_sends)[0]

    def templates() -> str:
        refs = provision.resolve_templates(state["settings"], state["workspace"])
        return "; ".join(f"{r.source}: {len(r.tokens)} placeholders" for r in refs.values())

    check, templates_ok = _check("templates", templates)
    yield check
    if roster_ok and templates_ok:

        def plan() -> str:
            the_plan = provision.prepare(
                state["settings"], state["workspace"], state["roster"], today=today
            )
            c = the_plan.counts()
            return (
                f"{c['up_to_date']} of {c['people']} people up to date; "
                f"{c['files']} documents to create"
            )

        yield _check("placeholders and access", plan)[0]
