"""Provisioning at disk speed, without giving up what a kill must leave behind: templates are
parsed once and filled by substituting into their parts (:mod:`careerdocs.workspace.package`),
and inside ``LocalWorkspace.batch()`` markers wait in memory and are written after one flush of
every document they record."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from careerdocs.workspace import local, office
from careerdocs.workspace.base import (
    CONVERSATIONS_TAB,
    STEP_FILLED,
    STEP_PROTECTED,
    Artifact,
    ArtifactKind,
    TemplateRef,
)
from careerdocs.workspace.local import MARKER_FILE, LocalWorkspace
from careerdocs.workspace.package import Package
from careerdocs.workspace.stamp import read_stamp

from .conftest import Killed

SHIPPED = Path(__file__).resolve().parent.parent / "templates"
ALICE = "alice@example.com"
BOB = "bob@example.com"
FY = "FY2027"
KINDS = {
    ArtifactKind.IGP: "igp.docx",
    ArtifactKind.TRACKER: "tracker.docx",
    ArtifactKind.GROWTH_SHEET: "growth-plan.xlsx",
}


def template(kind: ArtifactKind) -> TemplateRef:
    return TemplateRef(kind, KINDS[kind], SHIPPED / KINDS[kind])


@pytest.fixture
def workspace(tmp_path: Path) -> LocalWorkspace:
    return LocalWorkspace(tmp_path / "out", tmp_path / "out" / "central.xlsx")


def make(workspace: LocalWorkspace, folder: Artifact, kind: ArtifactKind) -> Artifact:
    tokens = workspace.template_tokens(template(kind))
    values = {token: f"<{i}> & {{{{ not a placeholder }}}}" for i, token in enumerate(tokens)}
    person = folder.person
    return workspace.create_file(person, kind, folder, kind.value, template(kind), values, FY)


def on_disk(workspace: LocalWorkspace, folder: Artifact) -> dict[str, Any]:
    return json.loads((workspace.output_dir / folder.id / MARKER_FILE).read_text("utf-8"))


def recorded(marker: dict[str, Any]) -> dict[str, list[str]]:
    artifacts = marker["years"].get(FY, {}).get("artifacts", {})
    return {kind: sorted(entry["steps"]) for kind, entry in artifacts.items()}


# -- packages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KINDS.values()))
def test_a_package_rebuilt_unchanged_holds_the_same_parts(name: str) -> None:
    data = (SHIPPED / name).read_bytes()
    rebuilt = zipfile.ZipFile(io.BytesIO(Package(data).build({})))
    original = zipfile.ZipFile(io.BytesIO(data))
    assert rebuilt.testzip() is None
    assert rebuilt.namelist() == original.namelist()
    assert all(rebuilt.read(n) == original.read(n) for n in original.namelist())


def test_a_replaced_part_is_the_only_one_that_changes() -> None:
    source = io.BytesIO()
    with zipfile.ZipFile(source, "w") as made:
        made.writestr("a.xml", b"<a/>" * 100, zipfile.ZIP_DEFLATED)
        made.writestr("stored.bin", b"\x00\x01" * 50, zipfile.ZIP_STORED)
        made.writestr("caf\u00e9/ü.xml", b"<b/>", zipfile.ZIP_DEFLATED)
    package = Package(source.getvalue())
    rebuilt = zipfile.ZipFile(io.BytesIO(package.build({"a.xml": b"<new/>"})))
    assert rebuilt.testzip() is None
    assert rebuilt.read("a.xml") == b"<new/>"
    assert rebuilt.read("stored.bin") == b"\x00\x01" * 50
    assert rebuilt.getinfo("stored.bin").compress_type == zipfile.ZIP_STORED
    assert rebuilt.read("caf\u00e9/ü.xml") == b"<b/>"
    with pytest.raises(KeyError, match="nope"):
        package.build({"nope": b""})


def test_a_template_is_parsed_once_per_version_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "igp.docx"
    shutil.copy(SHIPPED / "igp.docx", path)
    first = office.prepared(path)
    assert office.prepared(path) is first
    shutil.copy(SHIPPED / "tracker.docx", path)  # edited between two runs
    assert office.prepared(path) is not first
    assert office.prepared(path).tokens == office.prepared(SHIPPED / "tracker.docx").tokens


@pytest.mark.parametrize("kind", list(KINDS), ids=[k.value for k in KINDS])
def test_a_filled_document_is_a_valid_package_with_its_id_and_values_as_text(
    workspace: LocalWorkspace, kind: ArtifactKind
) -> None:
    folder = workspace.create_folder(ALICE, "Alice", FY)
    path = workspace.output_dir / make(workspace, folder, kind).id
    assert zipfile.ZipFile(path).testzip() is None
    assert read_stamp(path) == {
        "careerdocs_person": ALICE,
        "careerdocs_kind": kind.value,
        "careerdocs_fy": FY,
    }
    text = office.template_text(path)
    assert "<0> & {{ not a placeholder }}" in text
    left = workspace.template_tokens(TemplateRef(kind, path.name, path))
    assert left == ("{{ not a placeholder }}",)  # the value, as given; no placeholder is left


# -- batches -----------------------------------------------------------------------------------


def test_inside_a_batch_markers_are_written_when_it_ends(workspace: LocalWorkspace) -> None:
    folder = workspace.create_folder(ALICE, "Alice", FY)
    with workspace.batch():
        sheet = make(workspace, folder, ArtifactKind.GROWTH_SHEET)
        workspace.protect(ALICE, sheet, template(ArtifactKind.GROWTH_SHEET))
        workspace.share(ALICE, folder, BOB, "writer")
        assert recorded(on_disk(workspace, folder)) == {}  # waiting in memory
        assert workspace.find_artifacts([ALICE], FY)[ALICE][sheet.kind].steps == {
            STEP_FILLED,
            STEP_PROTECTED,
        }  # this workspace sees what it did
    marker = on_disk(workspace, folder)
    assert recorded(marker) == {"growth_sheet": [STEP_FILLED, STEP_PROTECTED]}
    assert marker["grants"] == {BOB: "writer"}
    path = workspace.output_dir / sheet.id
    assert openpyxl.load_workbook(path)[CONVERSATIONS_TAB].protection.sheet


def test_a_batch_writes_markers_every_so_many_folders(
    workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "FLUSH_EVERY", 2)
    alice = workspace.create_folder(ALICE, "Alice", FY)
    bob = workspace.create_folder(BOB, "Bob", FY)
    with workspace.batch():
        make(workspace, alice, ArtifactKind.IGP)
        assert recorded(on_disk(workspace, alice)) == {}
        make(workspace, bob, ArtifactKind.IGP)  # the second folder waiting: both written
        assert recorded(on_disk(workspace, alice)) == {"igp": [STEP_FILLED]}
        assert recorded(on_disk(workspace, bob)) == {"igp": [STEP_FILLED]}


def test_an_error_ends_a_batch_keeping_what_was_done(workspace: LocalWorkspace) -> None:
    folder = workspace.create_folder(ALICE, "Alice", FY)
    with pytest.raises(RuntimeError), workspace.batch():
        make(workspace, folder, ArtifactKind.IGP)
        raise RuntimeError("a bug")
    assert recorded(on_disk(workspace, folder)) == {"igp": [STEP_FILLED]}


def test_a_kill_inside_a_batch_leaves_documents_the_next_run_adopts(
    workspace: LocalWorkspace, tmp_path: Path
) -> None:
    folder = workspace.create_folder(ALICE, "Alice", FY)
    with pytest.raises(Killed), workspace.batch():
        make(workspace, folder, ArtifactKind.IGP)
        make(workspace, folder, ArtifactKind.TRACKER)
        raise Killed("kill -9")
    assert recorded(on_disk(workspace, folder)) == {}  # the marker updates were lost
    rerun = LocalWorkspace(workspace.output_dir, workspace.central_workbook)
    found = rerun.find_artifacts([ALICE], FY)[ALICE]
    assert {k: a.steps for k, a in found.items() if k is not ArtifactKind.FOLDER} == {
        ArtifactKind.IGP: frozenset(),  # found by the id inside it, to adopt
        ArtifactKind.TRACKER: frozenset(),
    }
    with rerun.batch():
        for kind in (ArtifactKind.IGP, ArtifactKind.TRACKER):
            rerun.fill(ALICE, found[kind], template(kind), {})
    assert recorded(on_disk(rerun, folder)) == {"igp": [STEP_FILLED], "tracker": [STEP_FILLED]}
    assert len(list((workspace.output_dir / folder.id).glob("*.docx"))) == 2


def test_a_folder_made_in_a_run_is_found_again_without_reading_every_marker(
    workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.find_artifacts([ALICE, BOB], FY)  # the survey: reads every marker once
    alice = workspace.create_folder(ALICE, "Alice", FY)
    reads: list[Path] = []
    real = local._read_marker
    monkeypatch.setattr(local, "_read_marker", lambda f: reads.append(f) or real(f))
    assert workspace.create_folder(ALICE, "Alice again", FY).id == alice.id
    assert workspace.create_folder(BOB, "Bob", FY).id != alice.id
    assert reads == [workspace.output_dir / alice.id]  # Alice's own, to check it is hers


def test_a_folder_renamed_by_hand_is_still_found(workspace: LocalWorkspace) -> None:
    alice = workspace.create_folder(ALICE, "Alice", FY)
    (workspace.output_dir / alice.id).rename(workspace.output_dir / "Alice (mine)")
    assert workspace.create_folder(ALICE, "Alice", FY).id == "Alice (mine)"
