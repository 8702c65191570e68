"""The id careerdocs puts inside each local document, so the document is found whatever its name.

A .docx or .xlsx file is a zip package whose ``docProps/core.xml`` holds its Dublin Core
properties. careerdocs writes whose document it is (person, kind, fiscal year) as JSON into
``dc:identifier`` before the file lands. Word and Excel keep core properties when they save, and
renaming or moving the file keeps them too, so the local backend finds a renamed document, and
adopts one that landed while a killed run had not yet recorded it in the folder's marker.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

import docx
from lxml import etree

from ..errors import WorkspaceError

CORE_PART = "docProps/core.xml"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
IDENTIFIER = f"{{{DC_NAMESPACE}}}identifier"
MAX_CORE_BYTES = 1 << 20  # core.xml is a few hundred bytes; anything huge is not ours to parse


def stamp(data: bytes, identity: Mapping[str, str]) -> bytes:
    """``data`` (a .docx or .xlsx package) with ``identity`` as its core ``dc:identifier``.
    Every other part is copied unchanged."""
    text = _identity_text(identity)
    try:
        with zipfile.ZipFile(BytesIO(data)) as source:
            if CORE_PART not in source.namelist():
                return _stamp_with_python_docx(data, text)
            out = BytesIO()
            with zipfile.ZipFile(out, "w") as target:
                for info in source.infolist():
                    part = source.read(info)
                    if info.filename == CORE_PART:
                        part = _with_identifier(part, text)
                    target.writestr(info, part)
    except (zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise WorkspaceError(f"cannot mark the document as careerdocs': {exc}") from None
    return out.getvalue()


def with_identity(core: bytes, identity: Mapping[str, str]) -> bytes:
    """The core properties part ``core`` (``docProps/core.xml``) with ``identity`` as its
    ``dc:identifier``, as :func:`stamp` writes it. Raises WorkspaceError for a damaged part."""
    try:
        return _with_identifier(core, _identity_text(identity))
    except etree.XMLSyntaxError as exc:
        raise WorkspaceError(f"cannot mark the document as careerdocs': {exc}") from None


def _identity_text(identity: Mapping[str, str]) -> str:
    return json.dumps(dict(identity), sort_keys=True, ensure_ascii=False)


def read_stamp(path: Path) -> dict[str, str] | None:
    """The identity :func:`stamp` put in the file at ``path``; None for a file without one
    (not careerdocs', made before stamps, or not a package at all)."""
    try:
        with zipfile.ZipFile(path) as package:
            info = package.getinfo(CORE_PART)
            if info.file_size > MAX_CORE_BYTES:
                return None
            root = etree.fromstring(package.read(info))
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None
    element = root.find(IDENTIFIER)
    if element is None or not element.text:
        return None
    try:
        identity = json.loads(element.text)
    except ValueError:
        return None
    if not isinstance(identity, dict):
        return None
    return {str(k): str(v) for k, v in identity.items()}


def _with_identifier(core: bytes, text: str) -> bytes:
    root = etree.fromstring(core)
    element = root.find(IDENTIFIER)
    if element is None:
        element = etree.SubElement(root, IDENTIFIER)
    element.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _stamp_with_python_docx(data: bytes, text: str) -> bytes:
    """A Word file saved without core properties: python-docx adds the part and its
    relationship. (openpyxl always writes core properties, so workbooks never get here.)"""
    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # python-docx raises many types for a foreign package
        raise WorkspaceError(f"cannot mark the document as careerdocs': {exc}") from None
    document.core_properties.identifier = text
    out = BytesIO()
    document.save(out)
    return out.getvalue()
