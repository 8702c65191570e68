"""Docs v1: reading a Google Docs template's text and filling a copied document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .context import GoogleContext
from .fill import sentinel_requests


class Docs:
    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx
        self._texts: dict[str, str] = {}

    def text(self, document_id: str) -> str:
        """All the text of a template document (body, tables), read once per run as the admin."""
        if document_id not in self._texts:
            self._texts[document_id] = self.read_text(self.ctx.options.admin, document_id)
        return self._texts[document_id]

    def read_text(self, user: str, document_id: str) -> str:
        """All the text of a document as it is now, read as ``user``."""
        doc = self.ctx.run(
            self.ctx.clients.resource("docs", "documents").get(documentId=document_id),
            api="docs",
            kind="read",
            user=user,
        )
        return _doc_text(doc)

    def fill(self, user: str, document_id: str, text: str, values: Mapping[str, str]) -> None:
        """Replace each placeholder token in the document (whose text is ``text``) with its
        value, in one pass and one atomic batchUpdate, as ``user``."""
        requests = sentinel_requests(text, values)
        if not requests:
            return
        self.ctx.run(
            self.ctx.clients.resource("docs", "documents").batchUpdate(
                documentId=document_id, body={"requests": requests}
            ),
            api="docs",
            kind="write",
            user=user,
        )


def _doc_text(doc: Mapping[str, Any]) -> str:
    parts: list[str] = []

    def walk(content: Sequence[Mapping[str, Any]]) -> None:
        for element in content:
            for run in element.get("paragraph", {}).get("elements", []):
                parts.append(run.get("textRun", {}).get("content", ""))
            for row in element.get("table", {}).get("tableRows", []):
                for cell in row.get("tableCells", []):
                    walk(cell.get("content", []))

    walk(doc.get("body", {}).get("content", []))
    return "".join(parts)
