"""Filling copied templates in one pass (pure logic of careerdocs.workspace.google.fill): a value
that looks like a placeholder is never filled again, on Sheets (one substitution per cell) and
on Docs (replaceAllText requests run in order, so tokens go through unique sentinels)."""

from __future__ import annotations

import pytest

from careerdocs.workspace.google.fill import fill_text, pending, sentinel_requests

NAME, EMAIL = "{{ person.name }}", "{{ person.email }}"


def apply_in_order(text: str, requests: list[dict]) -> str:
    """What Docs does with replaceAllText requests: each over the whole text, in order."""
    for request in requests:
        spec = request["replaceAllText"]
        text = text.replace(spec["containsText"]["text"], spec["replaceText"])
    return text


CASES = [
    # (template text, values, filled text)
    (
        f"Name: {NAME}, email: {EMAIL}",
        {NAME: EMAIL, EMAIL: "z@x.com"},
        f"Name: {EMAIL}, email: z@x.com",
    ),
    (f"{EMAIL} / {NAME}", {NAME: EMAIL, EMAIL: NAME}, f"{NAME} / {EMAIL}"),
    (f"{NAME}{NAME}", {NAME: "A"}, "AA"),
    ("no placeholders", {NAME: "A"}, "no placeholders"),
    ("{{ a }}{{ ab }}", {"{{ a }}": "{{ ab }}", "{{ ab }}": "x"}, "{{ ab }}x"),
]


@pytest.mark.parametrize(("template", "values", "filled"), CASES)
def test_sheets_cells_are_filled_in_one_pass(template: str, values: dict, filled: str) -> None:
    assert fill_text(template, values) == filled


@pytest.mark.parametrize(("template", "values", "filled"), CASES)
def test_docs_requests_applied_in_order_fill_in_one_pass(
    template: str, values: dict, filled: str
) -> None:
    assert apply_in_order(template, sentinel_requests(template, values)) == filled


def test_sentinels_are_absent_from_the_document_and_the_values() -> None:
    template = f"{NAME} <<careerdocs:"
    requests = sentinel_requests(template, {NAME: "<<careerdocs:x"})
    sentinels = [r["replaceAllText"]["replaceText"] for r in requests[:1]]
    assert all(s not in template and s not in "<<careerdocs:x" for s in sentinels)
    assert len({r["replaceAllText"]["containsText"]["text"] for r in requests}) == len(requests)


def test_nothing_to_fill_is_no_request() -> None:
    assert sentinel_requests("plain text", {NAME: "A"}) == []


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (f"Name: {NAME}, email: {EMAIL}", True),  # as copied
        (f"Name: {EMAIL}, email: z@x.com", False),  # filled: the email token came from the name
        (f"Name: {EMAIL}, email: z@x.com, and a note the person added", False),
    ],
)
def test_pending_tells_a_copy_as_copied_from_one_already_filled(
    current: str, expected: bool
) -> None:
    template = f"Name: {NAME}, email: {EMAIL}"
    assert pending(current, template, {NAME: EMAIL, EMAIL: "z@x.com"}) is expected
