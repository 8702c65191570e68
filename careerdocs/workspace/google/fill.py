"""Filling placeholders in one pass, so a value that looks like a placeholder is never filled
again: a person named ``{{ person.email }}`` keeps that name.

Sheets cells are filled here, by one regular-expression substitution per cell. Docs'
``replaceAllText`` requests run one after another (Docs v1 batchUpdate applies its requests in
order), so a plain sequence of replacements would fill a value inserted by an earlier request:
:func:`sentinel_requests` first turns every token into a unique sentinel that is absent from the
document, then each sentinel into its value, all in one atomic batchUpdate.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Mapping
from typing import Any

SENTINEL_BYTES = 8


def _pattern(tokens: Collection[str]) -> re.Pattern[str] | None:
    if not tokens:
        return None
    # Longest first, so a token that is a prefix of another never wins the match.
    return re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))


def fill_text(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each token replaced by its value, in a single left-to-right pass."""
    pattern = _pattern(values)
    return pattern.sub(lambda m: values[m.group(0)], text) if pattern else text


def pending(current: str, template: str, values: Mapping[str, str]) -> bool:
    """True if ``current`` (a copy of ``template``) still needs filling.

    A fill is atomic, so a copy is either as copied or entirely filled. Filled, each token
    occurs only where a value brought it in; unfilled, some token occurs more often than that.
    """
    filled = fill_text(template, values)
    return any(current.count(t) > filled.count(t) for t in values)


def _sentinels(count: int, forbidden: str) -> list[str]:
    while True:
        tag = secrets.token_hex(SENTINEL_BYTES)
        made = [f"<<careerdocs:{tag}:{i}>>" for i in range(count)]
        if not any(s in forbidden for s in made):
            return made


def sentinel_requests(document_text: str, values: Mapping[str, str]) -> list[dict[str, Any]]:
    """Docs ``replaceAllText`` requests that fill every token in ``values`` exactly once.

    The sentinels are verified absent from the document and from the values, so the second
    half of the requests touches only what the first half put there."""
    tokens = [t for t in values if t in document_text]
    if not tokens:
        return []
    forbidden = document_text + "\n".join(values.values())
    sentinels = _sentinels(len(tokens), forbidden)
    pairs = list(zip(tokens, sentinels, strict=True))
    return [_replace(token, sentinel) for token, sentinel in pairs] + [
        _replace(sentinel, values[token]) for token, sentinel in pairs
    ]


def _replace(text: str, by: str) -> dict[str, Any]:
    return {
        "replaceAllText": {"containsText": {"text": text, "matchCase": True}, "replaceText": by}
    }
