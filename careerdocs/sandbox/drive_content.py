"""What Drive can turn uploads into, and export Google-native files as.

Imports (uploads with conversion) and exports are tables keyed by MIME type, so ``about`` can
report the same ``importFormats``/``exportFormats`` the handlers honour. Docs and Sheets content
comes from :mod:`.docs` and :mod:`.spreadsheet`, imported lazily: those modules import nothing from
Drive, and Drive only needs them when native content is made or converted.

PDF export writes a real, minimal PDF of the file's text (Helvetica, one line per paragraph or
row) rather than refusing: gspread's ``export()`` defaults to PDF.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from . import core
from .core import ApiError

PDF = "application/pdf"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TEXT = "text/plain"
OCTET_STREAM = "application/octet-stream"
NATIVE_PREFIX = "application/vnd.google-apps."
TEXT_ENCODING = "utf-8"
CSV_ROW_END = b"\r\n"


def conversion_not_supported() -> ApiError:
    return ApiError(400, "The requested conversion is not supported.", reason="badRequest")


def new_content(mime_type: str) -> dict[str, Any]:
    """Empty native content for a new file of ``mime_type`` (``doc``/``sheet`` attributes)."""
    if mime_type == core.GDOC:
        from .docs import Document

        return {"doc": Document.new()}
    if mime_type == core.GSHEET:
        from .spreadsheet import Spreadsheet

        return {"sheet": Spreadsheet.new()}
    return {}


# -- imports ---------------------------------------------------------------------------------


def _doc_from_docx(data: bytes, title: str) -> dict[str, Any]:
    from .docs import ConversionError, Document

    try:
        return {"doc": Document.from_docx(data)}
    except ConversionError as exc:
        raise unreadable_upload(exc) from None


def _doc_from_text(data: bytes, title: str) -> dict[str, Any]:
    from .docs import Document

    return {"doc": Document.from_text(data.decode(TEXT_ENCODING, errors="replace"))}


def _sheet_from_xlsx(data: bytes, title: str) -> dict[str, Any]:
    from .spreadsheet import ConversionError, Spreadsheet

    try:
        return {"sheet": Spreadsheet.from_xlsx(data)}
    except ConversionError as exc:
        raise unreadable_upload(exc) from None


def _sheet_from_csv(data: bytes, title: str) -> dict[str, Any]:
    """Google names the one sheet of an imported CSV after the file."""
    from .spreadsheet import Spreadsheet

    return {"sheet": Spreadsheet.from_csv(data, title)}


IMPORTS: dict[str, dict[str, Callable[[bytes, str], dict[str, Any]]]] = {
    core.GDOC: {core.DOCX: _doc_from_docx, TEXT: _doc_from_text},
    core.GSHEET: {core.XLSX: _sheet_from_xlsx, CSV: _sheet_from_csv},
}


def unreadable_upload(exc: Exception) -> ApiError:
    return ApiError(400, f"The uploaded file could not be converted: {exc}", reason="badRequest")


def convert_upload(target: str, source: str, data: bytes, title: str) -> dict[str, Any]:
    """Native content (``doc``/``sheet``) for media of type ``source`` converted to ``target``."""
    converter = IMPORTS.get(target, {}).get(base_type(source))
    if converter is None:
        raise conversion_not_supported()
    return converter(data, title)


# -- exports ---------------------------------------------------------------------------------


def _doc_text(f: core.File) -> str:
    return str(f.doc.to_text())


def _sheet_rows(f: core.File) -> list[list[str]]:
    text = f.sheet.to_csv().decode(TEXT_ENCODING)
    return list(csv.reader(io.StringIO(text)))


def _sheet_csv(f: core.File) -> bytes:
    """Sheets ends the last row without a line break (recorded: one row exports as ``a1,B2``)."""
    return bytes(f.sheet.to_csv()).removesuffix(CSV_ROW_END)


def _sheet_tsv(f: core.File) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(_sheet_rows(f))
    return out.getvalue().encode(TEXT_ENCODING)


EXPORTS: dict[str, dict[str, Callable[[core.File], bytes]]] = {
    core.GDOC: {
        core.DOCX: lambda f: bytes(f.doc.to_docx()),
        TEXT: lambda f: _doc_text(f).encode(TEXT_ENCODING),
        PDF: lambda f: text_pdf(_doc_text(f).splitlines()),
    },
    core.GSHEET: {
        core.XLSX: lambda f: bytes(f.sheet.to_xlsx()),
        CSV: _sheet_csv,
        TSV: _sheet_tsv,
        PDF: lambda f: text_pdf([", ".join(row) for row in _sheet_rows(f)]),
    },
}


def export(f: core.File, mime_type: str) -> bytes:
    if f.mime_type not in EXPORTS:
        raise ApiError(403, "Export only supports Docs Editors files.", reason="fileNotExportable")
    exporter = EXPORTS[f.mime_type].get(base_type(mime_type))
    if exporter is None:
        raise conversion_not_supported()
    return exporter(f)


def base_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_native(mime_type: str) -> bool:
    return mime_type.startswith(NATIVE_PREFIX)


def import_formats() -> dict[str, list[str]]:
    """``about.importFormats``: source type → the native types it converts to."""
    out: dict[str, list[str]] = {}
    for target, sources in IMPORTS.items():
        for source in sources:
            out.setdefault(source, []).append(target)
    return out


def export_formats() -> dict[str, list[str]]:
    return {native: list(targets) for native, targets in EXPORTS.items()}


# -- a minimal text PDF ----------------------------------------------------------------------

PDF_LINES_PER_PAGE = 50
PDF_FONT_SIZE = 11
PDF_LEADING = 14
PDF_PAGE = (612, 792)  # US Letter in points
PDF_MARGIN = 56


def text_pdf(lines: list[str]) -> bytes:
    """A valid PDF 1.4 showing ``lines`` in Helvetica; characters outside Latin-1 become '?'."""
    pages = [
        lines[i : i + PDF_LINES_PER_PAGE] for i in range(0, max(len(lines), 1), PDF_LINES_PER_PAGE)
    ]
    font_obj = 3
    first_page_obj = 4
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in once page object numbers are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for index, page_lines in enumerate(pages):
        page_obj = first_page_obj + 2 * index
        kids.append(f"{page_obj} 0 R")
        stream = _page_stream(page_lines)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PDF_PAGE[0]} {PDF_PAGE[1]}] "
            f"/Resources << /Font << /F1 {font_obj} 0 R >> >> "
            f"/Contents {page_obj + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    return _pdf_file(objects)


def _page_stream(lines: list[str]) -> bytes:
    top = PDF_PAGE[1] - PDF_MARGIN
    ops = [f"BT /F1 {PDF_FONT_SIZE} Tf {PDF_LEADING} TL {PDF_MARGIN} {top} Td".encode()]
    for line in lines:
        ops.append(b"(" + _pdf_string(line) + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def _pdf_string(text: str) -> bytes:
    raw = text.encode("latin-1", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _pdf_file(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
