"""Docs v1: reading a Google Docs template's text and filling a copied document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .context import GoogleContext


class Docs:
    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx
        self._texts: dict[str, str] = {}

    def text(self, document_id: str) -> str:
        """All the text of a template document (body, tables), read once per run as the admin."""
        if document_id not in self._texts:
            doc = self.ctx.run(
                self.ctx.clients.resource("docs", "documents").get(documentId=document_id),
                api="docs",
                kind="read",
                user=self.ctx.options.admin,
            )
            self._texts[document_id] = _doc_text(doc)
        return self._texts[document_id]

    def fill(self, user: str, document_id: str, values: Mapping[str, str]) -> None:
        """Replace each placeholder token in the document with its value, as ``user``."""
        self.ctx.run(
            self.ctx.clients.resource("docs", "documents").batchUpdate(
                documentId=document_id, body={"requests": _replace_requests(values)}
            ),
            api="docs",
            kind="write",
            user=user,
        )


def _replace_requests(values: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "replaceAllText": {
                "containsText": {"text": token, "matchCase": True},
                "replaceText": value,
            }
        }
        for token, value in values.items()
    ]


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
