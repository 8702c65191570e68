"""Two provision runs at once against one Google (the sandbox), as from two machines: two threads,
two configurations with two lock files, so the run lock cannot keep them apart. Both survey
before either writes (a barrier after the survey: a deterministic race, not a timing one), so
both make a full set for everyone; heal after creating leaves one set per person and one central
sheet. Both may install the shipped templates too, and one run then copies the other's (shared
by whichever run picks it: test_google_one_write covers a template left unshared). Also: a
manager change takes back careerdocs' grant and grants the new manager, while a share someone
made by hand stays."""

from __future__ import annotations

import json
import shutil
import threading
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from careerdocs import provision
from careerdocs.cli import cli, load_roster
from careerdocs.config import load_settings
from careerdocs.workspace import open_workspace
from careerdocs.workspace.base import MARKER_KIND

from .conftest import EXAMPLE_ROSTER, SANDBOX_ADMIN, GoogleSetup, SandboxKit

pytestmark = pytest.mark.google

TODAY = date(2026, 11, 26)
SURVEY_TIMEOUT = 60.0
ZOE = "zoe.lambert@example.com"
SIOBHAN = "siobhan.obrien@example.com"  # Zoë's manager
JOSE = "jose.alvarez@example.com"  # her new manager
AMARA = "amara.nwosu@example.com"  # her PBP
PRIYA = "priya.raman@example.com"  # a colleague Zoë shares her folder with by hand
CENTRAL_Q = "appProperties has { key='careerdocs_kind' and value='central' }"


def machine_config(setup: GoogleSetup, name: str) -> Path:
    """A second machine's configuration: its own directory, lock files and audit log."""
    home = setup.config.parent / name
    home.mkdir()
    shutil.copy(setup.config.parent / "key.json", home / "key.json")
    shutil.copy(EXAMPLE_ROSTER, home / "roster.csv")
    config = home / "careerdocs.toml"
    config.write_text(setup.config.read_text(encoding="utf-8"), encoding="utf-8")
    return config


def provision_surveying_together(config: Path, barrier: threading.Barrier) -> Any:
    settings = load_settings(config)
    workspace = open_workspace(settings)
    survey = workspace.find_artifacts

    def surveyed(*args: Any, **kwargs: Any) -> Any:
        found = survey(*args, **kwargs)
        barrier.wait(SURVEY_TIMEOUT)  # both runs have looked; neither has written
        return found

    workspace.find_artifacts = surveyed  # type: ignore[method-assign]
    roster = load_roster(settings, workspace)
    the_plan = provision.prepare(settings, workspace, roster, today=TODAY, notify=False)
    return provision.apply(the_plan, workspace, settings, roster, today=TODAY)


def alive(kit: SandboxKit, user: str, q: str) -> list[dict[str, Any]]:
    return (
        kit.drive.files()
        .list(q=f"({q}) and trashed = false", fields="files(id,appProperties)")
        .execute(http=kit.http(user))["files"]
    )


def person_files(kit: SandboxKit, person: str) -> list[dict[str, Any]]:
    q = f"appProperties has {{ key='careerdocs_person' and value='{person}' }}"
    return alive(kit, person, q)


def test_two_concurrent_runs_end_with_one_set_per_person_and_one_central_sheet(
    google_setup: GoogleSetup,
) -> None:
    kit = google_setup.kit
    configs = [machine_config(google_setup, name) for name in ("machine-a", "machine-b")]
    barrier = threading.Barrier(len(configs))
    outcomes: dict[int, Any] = {}

    def run(i: int) -> None:
        try:
            outcomes[i] = provision_surveying_together(configs[i], barrier)
        except BaseException as exc:
            outcomes[i] = exc
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(configs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    for outcome in outcomes.values():
        assert not isinstance(outcome, BaseException), outcome
        assert outcome.failures == {}  # e.g. a template the other run installed, not yet shared
    people = _roster_people()
    trashed = [f for f in kit.store.files.values() if f.trashed and f.app_properties]
    # every person got a second set (the race is forced), and all of it went to the trash
    assert len([f for f in trashed if f.app_properties.get(MARKER_KIND) != "central"]) == 4 * len(
        people
    )
    assert [n for o in outcomes.values() for p in o.people for n in p.notes] == []
    for person in people:
        kinds = Counter(f["appProperties"][MARKER_KIND] for f in person_files(kit, person))
        assert kinds == {"folder": 1, "igp": 1, "tracker": 1, "growth_sheet": 1}, person
    central = alive(kit, SANDBOX_ADMIN, CENTRAL_Q)
    assert len(central) == 1


def _roster_people() -> list[str]:
    lines = EXAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",", 1)[0] for line in lines if line]


def test_a_manager_change_revokes_careerdocs_grant_and_grants_the_new_one(
    google_setup: GoogleSetup,
) -> None:
    kit = google_setup.kit
    runner = CliRunner()
    args = ["--config", str(google_setup.config), "--today", TODAY.isoformat(), "provision"]
    assert runner.invoke(cli, [*args, "--no-notify"]).exit_code == 0
    folder = next(f for f in person_files(kit, ZOE) if f["appProperties"][MARKER_KIND] == "folder")
    kit.drive.permissions().create(
        fileId=folder["id"],
        body={"type": "user", "role": "reader", "emailAddress": PRIYA},
        sendNotificationEmail=False,
    ).execute(http=kit.http(ZOE))
    roster = google_setup.config.parent / "roster.csv"
    roster.write_text(
        roster.read_text(encoding="utf-8").replace(
            f"{ZOE},=Zoë Lambert,{SIOBHAN}", f"{ZOE},=Zoë Lambert,{JOSE}"
        ),
        encoding="utf-8",
    )

    result = runner.invoke(cli, [*args, "--no-notify", "--only", ZOE])

    assert result.exit_code == 0, result.output
    listed = (
        kit.drive.permissions()
        .list(fileId=folder["id"], fields="permissions(emailAddress,role)")
        .execute(http=kit.http(ZOE))["permissions"]
    )
    roles = {p["emailAddress"]: p["role"] for p in listed}
    assert roles == {ZOE: "owner", JOSE: "writer", AMARA: "reader", PRIYA: "reader"}
    audit = [
        json.loads(line)
        for line in (google_setup.config.parent / "audit.jsonl").read_text().splitlines()
    ]
    revoked = [e for e in audit if e["action"] == "revoke"]
    assert [e["grantee"] for e in revoked] == [SIOBHAN]
