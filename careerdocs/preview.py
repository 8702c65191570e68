"""``careerdocs preview``: one person's documents and the central sheet as PDF, before a batch.

A PBP checks templates by eye before two thousand people receive them. The person's three
documents are filled exactly as provision fills them (the same context, the same
:func:`careerdocs.workspace.office.fill`), and the central sheet is what rollup writes: the
configured roster (or the person alone) is provisioned into a temporary folder, never the
configured output folder, and rolled up there. LibreOffice turns each file into a PDF.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from . import fields, provision, rollup
from .cadence import fiscal_year
from .config import Settings
from .errors import CareerdocsError, InvalidInput, Problem, TemplateError
from .roster import Person, Roster
from .workspace import office
from .workspace.base import ArtifactKind
from .workspace.local import LocalWorkspace

SOFFICE_NAMES = ("soffice", "libreoffice")
SOFFICE_TIMEOUT_SECONDS = 300
INSTALL_HINT = (
    "LibreOffice is needed to render PDFs and was not found (no `soffice` on PATH). Install it:\n"
    "  Debian/Ubuntu: sudo apt-get install --no-install-recommends "
    "libreoffice-writer-nogui libreoffice-calc-nogui\n"
    "  macOS (Homebrew): brew install --cask libreoffice\n"
    "then run the same command again."
)
# The files a preview writes, in the order they are listed: (artifact, file stem).
DOCUMENTS = (
    (ArtifactKind.IGP, "igp"),
    (ArtifactKind.TRACKER, "tracker"),
    (ArtifactKind.GROWTH_SHEET, "growth-plan"),
)
CENTRAL_STEM = "central-sheet"
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


class LibreOfficeMissing(InvalidInput):
    """Nothing was rendered: LibreOffice is not installed (exit 2, with how to install it)."""


@dataclass(frozen=True)
class Rendered:
    """One previewed file: its source (.docx/.xlsx) and PDF in the preview folder."""

    source: Path
    pdf: Path
    pages: int


@dataclass(frozen=True)
class Preview:
    person: Person
    central_people: int
    files: tuple[Rendered, ...]


def find_soffice() -> str | None:
    """The LibreOffice command on PATH, or None."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_pages(pdf: Path) -> int:
    """Pages of a PDF LibreOffice wrote (its page objects are not compressed into streams)."""
    return len(_PDF_PAGE.findall(pdf.read_bytes()))


def run(
    settings: Settings,
    roster: Roster,
    *,
    out_dir: Path,
    today: date,
    person: str | None = None,
    soffice: str | None = None,
) -> Preview:
    """Fill ``person``'s documents (the roster's first person by default) and build the central
    sheet (the whole roster, or only ``person`` when given), then render all four to PDF in
    ``out_dir``. Raises :class:`LibreOfficeMissing` before writing anything when LibreOffice
    is not installed, and InvalidInput for an unknown person or a template that is not a file
    on this machine."""
    command = soffice or find_soffice()
    if command is None:
        raise LibreOfficeMissing(INSTALL_HINT)
    chosen = _choose(roster, person)
    central_roster = roster.only([chosen.email]) if person else roster
    templates = {kind: _template_path(settings, kind) for kind, _ in DOCUMENTS}
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = [*_fill_documents(settings, roster, chosen, templates, out_dir, today)]
    sources.append(_central_sheet(settings, roster, central_roster, out_dir, today))
    pdfs = convert_to_pdf(command, sources, out_dir)
    files = tuple(Rendered(s, p, pdf_pages(p)) for s, p in zip(sources, pdfs, strict=True))
    return Preview(chosen, len(central_roster.people), files)


def _choose(roster: Roster, email: str | None) -> Person:
    if not roster.people:
        raise InvalidInput("the roster has nobody to preview")
    if email is None:
        return roster.people[0]
    return roster.only([email]).people[0]  # RosterError (exit 2) names an unknown email


def _template_path(settings: Settings, kind: ArtifactKind) -> Path:
    source = getattr(settings.templates, provision.TEMPLATE_SETTINGS[kind])
    if source.path is None:
        raise TemplateError(
            f"preview fills templates on this machine; {source} is a Google file",
            [Problem(f"templates.{provision.TEMPLATE_SETTINGS[kind]}", "download it as a file")],
        )
    return Path(source.path)


def _fill_documents(
    settings: Settings,
    roster: Roster,
    person: Person,
    templates: dict[ArtifactKind, Path],
    out_dir: Path,
    today: date,
) -> list[Path]:
    """The person's three documents, filled as provision fills them (links are not known
    before provision, so they are empty, as in the documents themselves)."""
    fy = fiscal_year(today, settings.fiscal_year_start_month)
    context = fields.person_context(person, roster, fy, settings, today=today)
    written = []
    for kind, stem in DOCUMENTS:
        path = templates[kind]
        tokens = fields.placeholders(office.template_text(path))
        values = fields.render_values(tokens, context, where=str(path))
        target = out_dir / f"{stem}{path.suffix.lower()}"
        target.write_bytes(
            office.fill(path, values, protect_layout=kind is ArtifactKind.GROWTH_SHEET)
        )
        written.append(target)
    return written


def _central_sheet(
    settings: Settings, roster: Roster, people: Roster, out_dir: Path, today: date
) -> Path:
    """The central workbook rollup writes for ``people``, provisioned into a throwaway folder
    (without email) so the configured output folder is never touched."""
    target = out_dir / f"{CENTRAL_STEM}.xlsx"
    with tempfile.TemporaryDirectory(prefix="careerdocs-preview-") as scratch:
        root = Path(scratch)
        workspace = LocalWorkspace(root / "output", root / "central.xlsx")
        the_plan = provision.prepare(
            settings, workspace, people, today=today, notify=False, everyone=roster
        )
        done = provision.apply(the_plan, workspace, settings, roster, today=today)
        if done.failures:
            raise CareerdocsError(f"preview could not provision: {done.failures}")
        fy = fiscal_year(today, settings.fiscal_year_start_month)
        rollup.run(
            workspace,
            people,
            fy=fy,
            today=today,
            now=datetime.now(timezone.utc),
            state_path=root / "rollup-state.json",
            deadline=settings.rollup.deadline,
        )
        shutil.copyfile(workspace.central_workbook, target)
    return target


def convert_to_pdf(soffice: str, sources: Sequence[Path], out_dir: Path) -> list[Path]:
    """PDFs of ``sources`` in ``out_dir``, by one headless LibreOffice run with its own
    profile folder (two LibreOffice processes sharing a profile make the second do nothing)."""
    with tempfile.TemporaryDirectory(prefix="careerdocs-soffice-") as profile:
        command = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *(str(s) for s in sources),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT_SECONDS
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CareerdocsError(f"LibreOffice failed: {exc}") from None
    pdfs = [out_dir / f"{s.stem}.pdf" for s in sources]
    missing = [p.name for p in pdfs if not p.is_file()]
    if done.returncode != 0 or missing:
        detail = (done.stderr or done.stdout).strip()
        raise CareerdocsError(
            f"LibreOffice did not write {', '.join(missing) or 'the PDFs'}: {detail}"
        )
    return pdfs
