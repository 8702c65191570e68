"""The local backend records each provisioning step, finds documents by the id inside them,
revokes only its own grants and sends each notification once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from careerdocs.workspace.base import (
    CONVERSATIONS_TAB,
    MARKER_FY,
    MARKER_KIND,
    MARKER_PERSON,
    STEP_FILLED,
    STEP_NOTIFIED,
    STEP_PROTECTED,
    Artifact,
    ArtifactKind,
    Email,
    TemplateRef,
)
from careerdocs.workspace.local import MARKER_FILE, OUTBOX, LocalWorkspace
from careerdocs.workspace.stamp import read_stamp, stamp

from .conftest import Killed

SHIPPED = Path(__file__).resolve().parent.parent / "templates"
ALICE = "alice@example.com"
BOB = "bob@example.com"
FY = "FY2027"
TEMPLATES = {
    ArtifactKind.IGP: TemplateRef(ArtifactKind.IGP, "igp.docx", SHIPPED / "igp.docx"),
    ArtifactKind.TRACKER: TemplateRef(
        ArtifactKind.TRACKER, "tracker.docx", SHIPPED / "tracker.docx"
    ),
    ArtifactKind.GROWTH_SHEET: TemplateRef(
        ArtifactKind.GROWTH_SHEET, "growth-plan.xlsx", SHIPPED / "growth-plan.xlsx"
    ),
}


@pytest.fixture
def workspace(tmp_path: Path) -> LocalWorkspace:
    return LocalWorkspace(tmp_path / "out", tmp_path / "out" / "central.xlsx")


@pytest.fixture
def folder(workspace: LocalWorkspace) -> Artifact:
    return workspace.create_folder(ALICE, "Alice", FY)


def values(workspace: LocalWorkspace, kind: ArtifactKind) -> dict[str, str]:
    return {token: "x" for token in workspace.template_tokens(TEMPLATES[kind])}


def make(workspace: LocalWorkspace, folder: Artifact, kind: ArtifactKind) -> Artifact:
    return workspace.create_file(
        ALICE, kind, folder, kind.value, TEMPLATES[kind], values(workspace, kind), FY
    )


def found(workspace: LocalWorkspace, fy: str = FY) -> dict[ArtifactKind, Artifact]:
    return dict(workspace.find_artifacts([ALICE], fy)[ALICE])


def marker(workspace: LocalWorkspace, folder: Artifact) -> dict[str, Any]:
    return json.loads((workspace.output_dir / folder.id / MARKER_FILE).read_text("utf-8"))


def kill_after_write(_path: Path) -> None:
    raise Killed("killed after the document landed")


@pytest.mark.parametrize("kind", [ArtifactKind.IGP, ArtifactKind.GROWTH_SHEET])
def test_each_document_carries_whose_it_is(
    workspace: LocalWorkspace, folder: Artifact, kind: ArtifactKind
) -> None:
    made = make(workspace, folder, kind)
    assert read_stamp(workspace.output_dir / made.id) == {
        MARKER_PERSON: ALICE,
        MARKER_KIND: kind.value,
        MARKER_FY: FY,
    }
    assert made.steps == {STEP_FILLED}


def test_a_file_without_an_id_has_none(tmp_path: Path) -> None:
    (tmp_path / "x.docx").write_bytes(b"not a package")
    assert read_stamp(tmp_path / "x.docx") is None
    assert read_stamp(tmp_path / "missing.docx") is None


def test_stamping_keeps_every_other_part(workspace: LocalWorkspace) -> None:
    data = (SHIPPED / "igp.docx").read_bytes()
    stamped = stamp(data, {"a": "b"})
    path = workspace.output_dir.parent / "s.docx"
    path.write_bytes(stamped)
    assert read_stamp(path) == {"a": "b"}
    assert workspace.template_tokens(
        TemplateRef(ArtifactKind.IGP, "s", path)
    ) == workspace.template_tokens(TEMPLATES[ArtifactKind.IGP])


def test_a_document_that_landed_unrecorded_is_found_then_adopted(
    workspace: LocalWorkspace, folder: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LocalWorkspace, "after_document_write", staticmethod(kill_after_write))
    with pytest.raises(Killed):
        make(workspace, folder, ArtifactKind.IGP)
    monkeypatch.setattr(LocalWorkspace, "after_document_write", None)
    assert "igp" not in marker(workspace, folder)["years"].get(FY, {}).get("artifacts", {})
    landed = found(workspace)[ArtifactKind.IGP]
    assert landed.steps == frozenset()
    with pytest.raises(Exception, match="already exists"):
        make(workspace, folder, ArtifactKind.IGP)
    adopted = workspace.fill(ALICE, landed, TEMPLATES[ArtifactKind.IGP], {})
    assert adopted.steps == {STEP_FILLED}
    assert found(workspace)[ArtifactKind.IGP].steps == {STEP_FILLED}
    assert len(list((workspace.output_dir / folder.id).glob("*.docx"))) == 1


def test_a_renamed_document_keeps_its_recorded_steps_once_readopted(
    workspace: LocalWorkspace, folder: Artifact
) -> None:
    sheet = workspace.protect(
        ALICE,
        make(workspace, folder, ArtifactKind.GROWTH_SHEET),
        TEMPLATES[ArtifactKind.GROWTH_SHEET],
    )
    path = workspace.output_dir / sheet.id
    path.rename(path.with_name("mine.xlsx"))
    again = found(workspace)[ArtifactKind.GROWTH_SHEET]
    assert again.id.endswith("/mine.xlsx")
    assert again.steps == frozenset()  # the marker names another file: adopt it again
    adopted = workspace.fill(ALICE, again, TEMPLATES[ArtifactKind.GROWTH_SHEET], {})
    adopted = workspace.protect(ALICE, adopted, TEMPLATES[ArtifactKind.GROWTH_SHEET])
    assert found(workspace)[ArtifactKind.GROWTH_SHEET].steps == {STEP_FILLED, STEP_PROTECTED}


def test_someone_elses_document_cannot_be_adopted(
    workspace: LocalWorkspace, folder: Artifact
) -> None:
    foreign = workspace.output_dir / folder.id / "notes.docx"
    foreign.write_bytes((SHIPPED / "igp.docx").read_bytes())
    fake = Artifact(ArtifactKind.IGP, ALICE, FY, f"{folder.id}/notes.docx", "notes", "u")
    with pytest.raises(Exception, match="not the igp careerdocs made"):
        workspace.fill(ALICE, fake, TEMPLATES[ArtifactKind.IGP], {})


def test_protect_adds_missing_protection_and_records_it(
    workspace: LocalWorkspace, folder: Artifact
) -> None:
    sheet = make(workspace, folder, ArtifactKind.GROWTH_SHEET)
    path = workspace.output_dir / sheet.id
    workbook = openpyxl.load_workbook(path)
    workbook[CONVERSATIONS_TAB].protection.sheet = False
    workbook.save(path)
    protected = workspace.protect(ALICE, sheet, TEMPLATES[ArtifactKind.GROWTH_SHEET])
    assert protected.steps == {STEP_FILLED, STEP_PROTECTED}
    assert openpyxl.load_workbook(path)[CONVERSATIONS_TAB].protection.sheet
    assert read_stamp(path)[MARKER_KIND] == "growth_sheet"
    before = path.stat().st_mtime_ns
    workspace.protect(ALICE, protected, TEMPLATES[ArtifactKind.GROWTH_SHEET])
    assert path.stat().st_mtime_ns == before  # protected already: the file is not rewritten


def test_notified_is_recorded_per_fiscal_year(workspace: LocalWorkspace, folder: Artifact) -> None:
    marked = workspace.mark(ALICE, folder, STEP_NOTIFIED, FY)
    assert marked.steps == {STEP_NOTIFIED}
    assert found(workspace)[ArtifactKind.FOLDER].steps == {STEP_NOTIFIED}
    assert found(workspace, "FY2028")[ArtifactKind.FOLDER].steps == frozenset()


def test_only_careerdocs_grants_are_revoked(workspace: LocalWorkspace, folder: Artifact) -> None:
    assert workspace.share(ALICE, folder, BOB, "writer")
    path = workspace.output_dir / folder.id / MARKER_FILE
    data = json.loads(path.read_text("utf-8"))
    data["shares"]["friend@example.com"] = "reader"  # added by hand
    path.write_text(json.dumps(data), "utf-8")
    assert found(workspace)[ArtifactKind.FOLDER].grants == ((BOB, "writer"),)
    assert workspace.revoke(ALICE, folder, "friend@example.com") is False
    assert workspace.revoke(ALICE, folder, BOB.upper()) is True
    assert workspace.revoke(ALICE, folder, BOB) is False
    folder_now = found(workspace)[ArtifactKind.FOLDER]
    assert (folder_now.shares, folder_now.grants) == ((("friend@example.com", "reader"),), ())


def test_a_notification_with_a_key_is_written_once(workspace: LocalWorkspace) -> None:
    message = Email("hr@example.com", ALICE, "Hi", "Links", key=f"notify-{FY}-{ALICE}")
    workspace.send_email(message)
    workspace.send_email(message)
    files = list((workspace.output_dir / OUTBOX).iterdir())
    assert [f.name for f in files] == [f"notify-{FY}-{ALICE}.eml"]


def test_a_version_1_marker_reads_as_what_version_1_did(workspace: LocalWorkspace) -> None:
    """Before steps were recorded, a file was written filled (a sheet protected) and the person
    emailed when their files were made; every share was careerdocs' own."""
    directory = workspace.output_dir / "Alice"
    directory.mkdir(parents=True)
    (directory / "igp.docx").write_bytes((SHIPPED / "igp.docx").read_bytes())
    (directory / "sheet.xlsx").write_bytes((SHIPPED / "growth-plan.xlsx").read_bytes())
    old = {
        "version": 1,
        MARKER_PERSON: ALICE,
        MARKER_FY: FY,
        "name": "Alice",
        "shares": {BOB: "writer"},
        "years": {
            FY: {
                "artifacts": {
                    "igp": {"file": "igp.docx", "name": "igp"},
                    "growth_sheet": {"file": "sheet.xlsx", "name": "sheet"},
                }
            }
        },
    }
    (directory / MARKER_FILE).write_text(json.dumps(old), "utf-8")
    artifacts = found(workspace)
    assert artifacts[ArtifactKind.FOLDER].steps == {STEP_NOTIFIED}
    assert artifacts[ArtifactKind.FOLDER].grants == ((BOB, "writer"),)
    assert artifacts[ArtifactKind.IGP].steps == {STEP_FILLED}
    assert artifacts[ArtifactKind.GROWTH_SHEET].steps == {STEP_FILLED, STEP_PROTECTED}


def test_read_conversations_returns_the_header_and_never_distrusts(
    workspace: LocalWorkspace, folder: Artifact
) -> None:
    sheet = make(workspace, folder, ArtifactKind.GROWTH_SHEET)
    (read,) = workspace.read_conversations([sheet])
    assert "Acknowledged" in read.header
    assert (read.error, read.untrusted) == (None, None)


def test_local_storage_has_nothing_to_heal_and_nobody_unreachable(
    workspace: LocalWorkspace, folder: Artifact
) -> None:
    assert workspace.heal(ALICE, FY, {ArtifactKind.FOLDER: folder}) == []
    assert workspace.unreachable == {}
