"""The local backend: per-person folders of .docx/.xlsx files, a marker, an outbox, a workbook."""

from __future__ import annotations

import email
import email.policy
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from docx.shared import Pt

from careerdocs.errors import TemplateError, WorkspaceError
from careerdocs.workspace.base import (
    ACKNOWLEDGED_COLUMN,
    CONVERSATIONS_TAB,
    PEOPLE_TAB,
    SUMMARY_TAB,
    Artifact,
    ArtifactKind,
    ChartSpec,
    Email,
    Table,
    TemplateRef,
)
from careerdocs.workspace.local import MARKER_FILE, OUTBOX, LocalWorkspace, safe_name

ALICE = "alice@example.com"
BOB = "bob@example.com"
FY = "FY2026"
NAME = "{{ person.name }}"
EMAIL = "{{ person.email }}"
VALUES = {NAME: "Alice Ångström", EMAIL: ALICE}
CONVERSATIONS_HEADER = ["Date", "With whom", "Type", "Notes", ACKNOWLEDGED_COLUMN, "Escalation"]
ACK_COLUMN = CONVERSATIONS_HEADER.index(ACKNOWLEDGED_COLUMN) + 1
NOTES_WIDTH = 40
SHIPPED = Path(__file__).resolve().parent.parent / "templates"
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc).timestamp()


# -- templates built for the tests -----------------------------------------------------------


@pytest.fixture
def igp_template(tmp_path: Path) -> TemplateRef:
    """A Word template with tokens in a bold run, split over three runs, in a table cell, in the
    header and in the footer."""
    document = docx.Document()
    whole = document.add_paragraph("Plan for ")
    whole.add_run(NAME).bold = True
    split = document.add_paragraph()
    first = split.add_run("Email: {{ person.")
    first.italic = True
    first.font.size = Pt(14)
    split.add_run("em")
    split.add_run("ail }} (work)")
    document.add_table(rows=1, cols=2).cell(0, 1).text = f"Owner: {NAME}"
    document.sections[0].header.paragraphs[0].text = f"IGP — {NAME}"
    document.sections[0].footer.paragraphs[0].text = f"Contact {EMAIL}"
    path = tmp_path / "igp.docx"
    document.save(path)
    return TemplateRef(ArtifactKind.IGP, "igp.docx", path)


@pytest.fixture
def growth_template(tmp_path: Path) -> TemplateRef:
    workbook = openpyxl.Workbook()
    about = workbook.active
    about.title = "About"
    about["A1"] = f"Growth plan of {NAME}"
    about["A2"] = EMAIL
    about["A3"] = '=CONCAT("{{ not a placeholder }}")'
    workbook.create_sheet("Growth Plan")["A1"] = "Goal"
    conversations = workbook.create_sheet(CONVERSATIONS_TAB)
    conversations.append(CONVERSATIONS_HEADER)
    conversations.column_dimensions["D"].width = NOTES_WIDTH
    path = tmp_path / "growth-plan.xlsx"
    workbook.save(path)
    return TemplateRef(ArtifactKind.GROWTH_SHEET, "growth-plan.xlsx", path)


@pytest.fixture
def workspace(tmp_path: Path) -> LocalWorkspace:
    return LocalWorkspace(tmp_path / "out", tmp_path / "out" / "central.xlsx")


@pytest.fixture
def folder(workspace: LocalWorkspace) -> Artifact:
    return workspace.create_folder(ALICE, "Alice Ångström — Career", FY)


def make_igp(
    workspace: LocalWorkspace,
    folder: Artifact,
    template: TemplateRef,
    values: dict[str, str] | None = None,
    name: str = "IGP",
) -> Artifact:
    return workspace.create_file(
        ALICE, ArtifactKind.IGP, folder, name, template, VALUES if values is None else values, FY
    )


def make_sheet(
    workspace: LocalWorkspace,
    folder: Artifact,
    template: TemplateRef,
    values: dict[str, str] | None = None,
) -> Artifact:
    return workspace.create_file(
        ALICE,
        ArtifactKind.GROWTH_SHEET,
        folder,
        "Growth plan",
        template,
        VALUES if values is None else values,
        FY,
    )


def path_of(workspace: LocalWorkspace, artifact: Artifact) -> Path:
    return workspace.output_dir / artifact.id


def paragraph_texts(document: Any) -> list[str]:
    return [p.text for p in document.paragraphs]


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.rglob("*.tmp")]


# -- templates -------------------------------------------------------------------------------


def test_template_tokens_come_from_runs_split_runs_tables_headers_and_footers(
    workspace: LocalWorkspace, igp_template: TemplateRef
) -> None:
    assert workspace.template_tokens(igp_template) == (NAME, EMAIL)


def test_template_tokens_of_a_workbook_are_its_text_cells_not_its_formulas(
    workspace: LocalWorkspace, growth_template: TemplateRef
) -> None:
    assert workspace.template_tokens(growth_template) == (NAME, EMAIL)


@pytest.mark.parametrize(
    "name, content",
    [
        ("missing.docx", None),
        ("notes.txt", b"{{ person.name }}"),
        ("damaged.docx", b"not a zip file"),
        ("damaged.xlsx", b"PK\x03\x04 truncated"),
    ],
)
def test_unreadable_template_is_a_template_error_naming_the_path(
    workspace: LocalWorkspace, tmp_path: Path, name: str, content: bytes | None
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TemplateError, match=name):
        workspace.template_tokens(TemplateRef(ArtifactKind.IGP, name, path))


def test_google_template_needs_the_google_backend(
    workspace: LocalWorkspace, folder: Artifact
) -> None:
    template = TemplateRef(ArtifactKind.IGP, "gdoc:abc", google_id="abc")
    with pytest.raises(TemplateError, match="google backend"):
        workspace.template_tokens(template)
    with pytest.raises(TemplateError, match="google backend"):
        make_igp(workspace, folder, template)


# -- filling documents -----------------------------------------------------------------------


def test_tokens_are_replaced_in_runs_split_runs_tables_headers_and_footers(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    document = docx.Document(str(path_of(workspace, make_igp(workspace, folder, igp_template))))
    section = document.sections[0]
    assert paragraph_texts(document)[:2] == ["Plan for Alice Ångström", f"Email: {ALICE} (work)"]
    assert document.tables[0].cell(0, 1).text == "Owner: Alice Ångström"
    assert section.header.paragraphs[0].text == "IGP — Alice Ångström"
    assert section.footer.paragraphs[0].text == f"Contact {ALICE}"
    assert document.paragraphs[0].runs[1].bold
    first_run = document.paragraphs[1].runs[0]
    assert (first_run.text, first_run.italic, first_run.font.size) == (
        f"Email: {ALICE}",
        True,
        Pt(14),
    )


def test_values_are_plain_text_and_never_rendered_again(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    values = {NAME: "{{ person.email }} & <b>", EMAIL: "x\x00y"}
    document = docx.Document(
        str(path_of(workspace, make_igp(workspace, folder, igp_template, values)))
    )
    assert paragraph_texts(document)[:2] == [
        "Plan for {{ person.email }} & <b>",
        "Email: xy (work)",
    ]


@pytest.mark.parametrize(
    "value", ['=IMPORTXML("http://x", "//a")', "+1", "-1", "@SUM(A1)", "#N/A", "007"]
)
def test_workbook_values_that_look_like_formulas_stay_text(
    workspace: LocalWorkspace, folder: Artifact, growth_template: TemplateRef, value: str
) -> None:
    sheet = make_sheet(workspace, folder, growth_template, {NAME: "Alice", EMAIL: value})
    about = openpyxl.load_workbook(path_of(workspace, sheet))["About"]
    assert (about["A2"].value, about["A2"].data_type) == (value, "s")
    assert about["A1"].value == "Growth plan of Alice"
    assert about["A3"].value == '=CONCAT("{{ not a placeholder }}")'


def test_missing_value_is_a_template_error_and_writes_nothing(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    with pytest.raises(TemplateError, match=r"\{\{ person.email \}\}"):
        make_igp(workspace, folder, igp_template, {NAME: "Alice"})
    assert sorted(p.name for p in path_of(workspace, folder).iterdir()) == [MARKER_FILE]


def test_recreating_over_an_existing_file_is_refused_and_keeps_the_persons_edits(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    path = path_of(workspace, make_igp(workspace, folder, igp_template))
    path.write_bytes(b"my own words")
    with pytest.raises(WorkspaceError, match="never overwrites"):
        workspace.create_file(
            ALICE, ArtifactKind.IGP, folder, "IGP", igp_template, VALUES, "FY2027"
        )
    assert path.read_bytes() == b"my own words"


def test_a_second_document_of_one_kind_in_one_year_is_refused(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    make_igp(workspace, folder, igp_template)
    with pytest.raises(WorkspaceError, match="already exists"):
        make_igp(workspace, folder, igp_template, name="Another IGP")


def test_a_file_is_never_made_in_someone_elses_folder(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    with pytest.raises(WorkspaceError, match="belongs to"):
        workspace.create_file(BOB, ArtifactKind.IGP, folder, "IGP", igp_template, VALUES, FY)


def test_writes_leave_no_temporary_files(
    workspace: LocalWorkspace,
    folder: Artifact,
    igp_template: TemplateRef,
    growth_template: TemplateRef,
) -> None:
    make_igp(workspace, folder, igp_template)
    make_sheet(workspace, folder, growth_template)
    assert sorted(p.name for p in path_of(workspace, folder).iterdir()) == [
        MARKER_FILE,
        "Growth plan.xlsx",
        "IGP.docx",
    ]


# -- the growth sheet's acknowledgement column -----------------------------------------------


def column_locked(sheet: Any, column: int) -> bool:
    """Whether a not-yet-typed cell in ``column`` is locked (no <col> range means locked)."""
    for dim in sheet.column_dimensions.values():
        if dim.min <= column <= dim.max:
            return bool(dim.protection.locked)
    return True


def test_growth_sheet_leaves_acknowledged_editable_and_locks_only_the_header(
    workspace: LocalWorkspace, folder: Artifact, growth_template: TemplateRef
) -> None:
    """A file on disk cannot tell the person from their manager: locking Acknowledged would
    only lock out the person who must tick it. The header rollup reads is what stays fixed."""
    sheet = openpyxl.load_workbook(
        path_of(workspace, make_sheet(workspace, folder, growth_template))
    )
    conversations = sheet[CONVERSATIONS_TAB]
    assert conversations.protection.sheet
    assert conversations.protection.password is None
    assert all(c.protection.locked for c in conversations[1])
    probes = [1, 4, ACK_COLUMN, ACK_COLUMN + 1, 27, 16384]
    assert [column_locked(conversations, c) for c in probes] == [False] * len(probes)
    assert conversations.column_dimensions["D"].width == NOTES_WIDTH
    assert not sheet["About"].protection.sheet


def test_growth_template_without_an_acknowledged_column_is_refused(
    workspace: LocalWorkspace, folder: Artifact, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = CONVERSATIONS_TAB
    workbook.active.append(["Date", "Notes"])
    path = tmp_path / "plain.xlsx"
    workbook.save(path)
    template = TemplateRef(ArtifactKind.GROWTH_SHEET, "plain.xlsx", path)
    with pytest.raises(TemplateError, match=ACKNOWLEDGED_COLUMN):
        make_sheet(workspace, folder, template, {})


# -- folders and finding ---------------------------------------------------------------------


def test_find_artifacts_returns_what_was_created(
    workspace: LocalWorkspace,
    folder: Artifact,
    igp_template: TemplateRef,
    growth_template: TemplateRef,
) -> None:
    igp = make_igp(workspace, folder, igp_template)
    sheet = make_sheet(workspace, folder, growth_template)
    os.utime(path_of(workspace, igp), (NOON, NOON))
    found = workspace.find_artifacts([ALICE.upper(), BOB], FY)
    assert found[BOB] == {}
    mine = found[ALICE.upper()]
    assert set(mine) == {ArtifactKind.FOLDER, ArtifactKind.IGP, ArtifactKind.GROWTH_SHEET}
    found_igp = mine[ArtifactKind.IGP]
    assert (found_igp.id, found_igp.name, found_igp.fy) == (
        "Alice Ångström — Career/IGP.docx",
        "IGP",
        FY,
    )
    assert found_igp.url == path_of(workspace, igp).as_uri()
    assert found_igp.modified == "2026-11-26T12:00:00.000Z"
    assert mine[ArtifactKind.GROWTH_SHEET].id == sheet.id
    assert mine[ArtifactKind.FOLDER].id == folder.id


def test_a_file_deleted_by_hand_is_not_found_and_can_be_made_again(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    path_of(workspace, make_igp(workspace, folder, igp_template)).unlink()
    assert ArtifactKind.IGP not in workspace.find_artifacts([ALICE], FY)[ALICE]
    again = make_igp(workspace, folder, igp_template)
    assert workspace.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.IGP] == again


def test_a_person_has_one_folder_for_every_year(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    make_igp(workspace, folder, igp_template)
    next_year = workspace.find_artifacts([ALICE], "FY2027")[ALICE]
    assert list(next_year) == [ArtifactKind.FOLDER]
    again = workspace.create_folder(ALICE, "Another name", "FY2027")
    assert (again.id, again.name, again.fy) == (folder.id, folder.name, FY)


def test_a_folder_renamed_by_hand_is_still_the_persons_folder(
    workspace: LocalWorkspace, folder: Artifact
) -> None:
    path_of(workspace, folder).rename(workspace.output_dir / "Alice (renamed)")
    again = workspace.create_folder(ALICE, "Alice Ångström — Career", FY)
    assert again.id == "Alice (renamed)"
    assert [p.name for p in workspace.output_dir.iterdir()] == ["Alice (renamed)"]


def test_people_with_the_same_folder_name_get_separate_folders(workspace: LocalWorkspace) -> None:
    first = workspace.create_folder(ALICE, "John Smith", FY)
    second = workspace.create_folder(BOB, "John Smith", FY)
    assert (first.id, second.id) == ("John Smith", "John Smith (2)")
    assert workspace.find_artifacts([BOB], FY)[BOB][ArtifactKind.FOLDER] == second


@pytest.mark.parametrize(
    "name, safe",
    [
        ('Ana/Bö: "a*b?" <c|d> \\ e', "Ana_Bö_ _a_b__ _c_d_ _ e"),
        ("Zoë 🚀 Growth", "Zoë 🚀 Growth"),
        ("tab\there\x7fand\x85", "tab_here_and_"),
        (".hidden", "_hidden"),
        ("  trailing dots... ", "trailing dots"),
        ("CON", "_CON"),
        ("é" * 300, "é" * 100),
    ],
)
def test_names_are_made_filesystem_safe_keeping_accents_and_emoji(name: str, safe: str) -> None:
    assert safe_name(name) == safe


@pytest.mark.parametrize("name", ["", "  ", "..."])
def test_a_name_with_nothing_usable_is_refused(name: str) -> None:
    with pytest.raises(WorkspaceError, match="file name"):
        safe_name(name)


def test_a_damaged_marker_is_an_error_not_a_second_folder(
    workspace: LocalWorkspace, folder: Artifact
) -> None:
    (path_of(workspace, folder) / MARKER_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="repair or delete"):
        workspace.find_artifacts([ALICE], FY)


def test_storage_failures_are_workspace_errors(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    workspace = LocalWorkspace(blocked / "out", blocked / "central.xlsx")
    with pytest.raises(WorkspaceError, match="cannot create a folder"):
        workspace.create_folder(ALICE, "Alice", FY)
    with pytest.raises(WorkspaceError, match="cannot write"):
        workspace.send_email(Email("hr@example.com", ALICE, "Hi", "Hello"))


# -- sharing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first, second, granted, held",
    [
        ("writer", "writer", False, "writer"),
        ("writer", "reader", False, "writer"),
        ("commenter", "reader", False, "commenter"),
        ("reader", "commenter", True, "commenter"),
        ("reader", "writer", True, "writer"),
    ],
)
def test_shares_are_idempotent_and_only_ever_upgrade(
    workspace: LocalWorkspace, folder: Artifact, first: str, second: str, granted: bool, held: str
) -> None:
    assert workspace.share(ALICE, folder, BOB, first) is True
    assert workspace.share(ALICE, folder, BOB.upper(), second) is granted
    found = workspace.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.FOLDER]
    assert found.shares == ((BOB, held),)


def test_shares_on_the_folder_show_on_its_files(
    workspace: LocalWorkspace, folder: Artifact, igp_template: TemplateRef
) -> None:
    igp = make_igp(workspace, folder, igp_template)
    workspace.share(ALICE, folder, BOB, "commenter")
    assert workspace.find_artifacts([ALICE], FY)[ALICE][ArtifactKind.IGP].shares == (
        (BOB, "commenter"),
    )
    assert workspace.share(ALICE, igp, BOB, "reader") is False


def test_an_unknown_role_is_refused(workspace: LocalWorkspace, folder: Artifact) -> None:
    with pytest.raises(WorkspaceError, match="owner"):
        workspace.share(ALICE, folder, BOB, "owner")


# -- email -----------------------------------------------------------------------------------


def test_email_is_an_eml_file_in_the_outbox_and_never_overwritten(
    workspace: LocalWorkspace,
) -> None:
    message = Email(
        "hr@example.com", ALICE, "Your growth plan ✓", "Hej Ångström,\nsee you.", cc=(BOB,)
    )
    workspace.send_email(message)
    workspace.send_email(message)
    files = sorted((workspace.output_dir / OUTBOX).iterdir())
    assert len(files) == 2
    assert all(f.name.endswith(f"-{ALICE}.eml") for f in files)
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert (parsed["From"], parsed["To"], parsed["Cc"], parsed["Subject"]) == (
        "hr@example.com",
        ALICE,
        BOB,
        "Your growth plan ✓",
    )
    assert parsed.get_content() == "Hej Ångström,\nsee you.\n"
    assert parsed.get_content_charset() == "utf-8"


def test_an_email_header_with_a_line_break_is_refused(workspace: LocalWorkspace) -> None:
    with pytest.raises(WorkspaceError, match=ALICE):
        workspace.send_email(Email("hr@example.com", ALICE, "Hi\nBcc: all@example.com", "x"))


# -- reading growth sheets -------------------------------------------------------------------


def log_conversation(path: Path, *rows: list[Any]) -> None:
    workbook = openpyxl.load_workbook(path)
    for row in rows:
        workbook[CONVERSATIONS_TAB].append(row)
    workbook.save(path)


def test_read_conversations_returns_the_rows_below_the_header(
    workspace: LocalWorkspace, folder: Artifact, growth_template: TemplateRef
) -> None:
    sheet = make_sheet(workspace, folder, growth_template)
    when = datetime(2026, 5, 4)
    log_conversation(
        path_of(workspace, sheet),
        [when, BOB, "Career", "Went well", True],
        [None, None, None, None, None, None],
        ["", None],
    )
    (read,) = workspace.read_conversations([sheet])
    assert (read.person, read.error) == (ALICE, None)
    assert read.rows == [[when, BOB, "Career", "Went well", True]]


def remove_tab(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    workbook.remove(workbook[CONVERSATIONS_TAB])
    workbook.save(path)


@pytest.mark.parametrize(
    "damage, error",
    [
        (remove_tab, "no 'Conversations' tab"),
        (Path.unlink, "does not exist"),
        (lambda path: path.write_bytes(b"garbage"), "cannot read"),
    ],
)
def test_an_unreadable_sheet_is_an_error_entry_and_the_others_are_still_read(
    workspace: LocalWorkspace,
    folder: Artifact,
    growth_template: TemplateRef,
    damage: Any,
    error: str,
) -> None:
    broken = make_sheet(workspace, folder, growth_template)
    damage(path_of(workspace, broken))
    bob_folder = workspace.create_folder(BOB, "Bob", FY)
    fine = workspace.create_file(
        BOB, ArtifactKind.GROWTH_SHEET, bob_folder, "Growth plan", growth_template, VALUES, FY
    )
    first, second = workspace.read_conversations([broken, fine])
    assert first.person == ALICE
    assert first.error is not None and error in first.error
    assert (second.person, second.rows, second.error) == (BOB, [], None)


def test_rosters_in_google_sheets_cannot_be_read_locally(workspace: LocalWorkspace) -> None:
    with pytest.raises(WorkspaceError, match="google backend"):
        workspace.read_table("sheet:1AbC/People")


# -- the central workbook --------------------------------------------------------------------


def people(*rows: list[Any]) -> Table:
    return Table(PEOPLE_TAB, ["Email", "Name", "Status"], list(rows), key_column="Email")


def test_read_central_is_none_before_anything_was_written(workspace: LocalWorkspace) -> None:
    assert workspace.read_central(PEOPLE_TAB) is None
    workspace.write_central([people([ALICE, "Alice", "due"])])
    assert workspace.read_central(SUMMARY_TAB) is None
    assert workspace.read_central(PEOPLE_TAB) == (
        ["Email", "Name", "Status"],
        [[ALICE, "Alice", "due"]],
    )


def test_write_central_keeps_user_added_columns_by_email_and_other_tabs(
    workspace: LocalWorkspace,
) -> None:
    path = Path(
        workspace.write_central(
            [
                people(
                    [ALICE, "Alice", "due"],
                    [BOB, "Bob", "due"],
                    ["carol@example.com", "Carol", "due"],
                ),
            ]
        )
    )
    workbook = openpyxl.load_workbook(path)
    tab = workbook[PEOPLE_TAB]
    tab["D1"], tab["E1"] = "Coach", "Follow-up"
    tab["D2"], tab["E2"] = "Dana", datetime(2026, 12, 1)
    tab["D3"] = "Eve"
    workbook.create_sheet("My notes")["A1"] = "keep me"
    workbook.save(path)

    workspace.write_central(
        [
            people(
                [BOB.upper(), "Bob", "acknowledged"],
                ["dave@example.com", "Dave", "due"],
                [ALICE, "Alice", "acknowledged"],
            ),
        ]
    )

    assert workspace.read_central(PEOPLE_TAB) == (
        ["Email", "Name", "Status", "Coach", "Follow-up"],
        [
            [BOB.upper(), "Bob", "acknowledged", "Eve"],
            ["dave@example.com", "Dave", "due"],
            [ALICE, "Alice", "acknowledged", "Dana", datetime(2026, 12, 1)],
        ],
    )
    assert workspace.read_central("My notes") == (["keep me"], [])
    assert openpyxl.load_workbook(path).sheetnames == [PEOPLE_TAB, "My notes"]


def test_write_central_writes_text_as_text_with_a_bold_frozen_header(
    workspace: LocalWorkspace,
) -> None:
    name = '=IMPORTXML("http://evil.example", "//a")'
    path = workspace.write_central([people([ALICE, name, 3])])
    tab = openpyxl.load_workbook(path)[PEOPLE_TAB]
    assert (tab["B2"].value, tab["B2"].data_type) == (name, "s")
    assert (tab["C2"].value, tab["C2"].data_type) == (3, "n")
    assert all(cell.font.bold for cell in tab[1])
    assert tab.freeze_panes == "A2"
    assert tab.column_dimensions["B"].width > tab.column_dimensions["C"].width


def fail_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)


def unserialisable_cell(monkeypatch: pytest.MonkeyPatch) -> Table:
    return Table(SUMMARY_TAB, ["Department", "Due"], [["Sales", object()]])


@pytest.mark.parametrize(
    "fail, error",
    [
        (fail_fsync, "No space left"),
        (unserialisable_cell, "cannot store a object"),
    ],
)
def test_a_failed_write_leaves_the_previous_workbook_intact(
    workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch, fail: Any, error: str
) -> None:
    path = Path(workspace.write_central([people([ALICE, "Alice", "due"])]))
    before = path.read_bytes()
    extra = fail(monkeypatch)
    tables = [people([ALICE, "Alice", "acknowledged"]), *([extra] if extra else [])]
    with pytest.raises(WorkspaceError, match=error):
        workspace.write_central(tables)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_a_chart_is_drawn_to_the_right_of_its_table(workspace: LocalWorkspace) -> None:
    table = Table(
        SUMMARY_TAB,
        ["Department", "Acknowledged"],
        [["Sales", 3], ["R&D", 5]],
        chart=ChartSpec("Acknowledged by department", 0, 1, 2),
    )
    tab = openpyxl.load_workbook(workspace.write_central([table]))[SUMMARY_TAB]
    (chart,) = tab._charts
    assert chart.title.tx.rich.p[0].r[0].t == "Acknowledged by department"
    (series,) = chart.series
    assert series.val.numRef.f == f"'{SUMMARY_TAB}'!$B$2:$B$3"
    assert (series.cat.numRef or series.cat.strRef).f == f"'{SUMMARY_TAB}'!$A$2:$A$3"
    assert chart.anchor._from.col >= len(table.header)


def test_rewriting_a_tab_replaces_its_chart(workspace: LocalWorkspace) -> None:
    table = Table(
        SUMMARY_TAB, ["Department", "Due"], [["Sales", 3]], chart=ChartSpec("Due", 0, 1, 1)
    )
    workspace.write_central([table])
    tab = openpyxl.load_workbook(workspace.write_central([table]))[SUMMARY_TAB]
    assert len(tab._charts) == 1


def test_describe_names_the_folder(workspace: LocalWorkspace, tmp_path: Path) -> None:
    assert workspace.describe() == f"folder {tmp_path / 'out'}"


# -- the shipped templates -------------------------------------------------------------------


SHIPPED_TEMPLATES = {
    ArtifactKind.IGP: SHIPPED / "igp.docx",
    ArtifactKind.TRACKER: SHIPPED / "tracker.docx",
    ArtifactKind.GROWTH_SHEET: SHIPPED / "growth-plan.xlsx",
}


@pytest.mark.skipif(
    not all(p.is_file() for p in SHIPPED_TEMPLATES.values()),
    reason="the shipped templates are not there yet",
)
def test_the_shipped_templates_fill_completely(workspace: LocalWorkspace, folder: Artifact) -> None:
    made = {}
    for kind, path in SHIPPED_TEMPLATES.items():
        template = TemplateRef(kind, path.name, path)
        tokens = workspace.template_tokens(template)
        assert tokens
        values = {token: f"value {i}" for i, token in enumerate(tokens)}
        made[kind] = workspace.create_file(ALICE, kind, folder, kind.value, template, values, FY)
    for kind, artifact in made.items():
        filled = path_of(workspace, artifact)
        assert workspace.template_tokens(TemplateRef(kind, filled.name, filled)) == ()
    sheet = path_of(workspace, made[ArtifactKind.GROWTH_SHEET])
    workbook = openpyxl.load_workbook(sheet)
    assert workbook.sheetnames == ["About", "Growth Plan", CONVERSATIONS_TAB]
    conversations = workbook[CONVERSATIONS_TAB]
    assert [c.value for c in conversations[1]][: len(CONVERSATIONS_HEADER)] == CONVERSATIONS_HEADER
    assert conversations.protection.sheet
    assert not column_locked(conversations, ACK_COLUMN)  # the person ticks it here
    assert not conversations.cell(row=2, column=ACK_COLUMN).protection.locked
    assert not column_locked(conversations, 1)


@pytest.mark.parametrize("damage", [b"not a zip at all", b"PK\x03\x04 truncated"])
def test_a_damaged_central_workbook_is_named_left_as_it_is_and_the_way_out_given(
    workspace: LocalWorkspace, damage: bytes
) -> None:
    workspace.central_workbook.parent.mkdir(parents=True)
    workspace.central_workbook.write_bytes(damage)
    for attempt in (
        lambda: workspace.read_central(PEOPLE_TAB),
        lambda: workspace.write_central([people([ALICE, "Alice", "due"])]),
    ):
        with pytest.raises(WorkspaceError, match="move it aside to start a new one"):
            attempt()
    assert workspace.central_workbook.read_bytes() == damage
