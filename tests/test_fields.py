"""Fields: placeholders rendered once, strictly, in a sandbox; values stay plain text."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careerdocs.cadence import fiscal_year
from careerdocs.config import parse_settings
from careerdocs.errors import Problem, TemplateError
from careerdocs.fields import (
    Email,
    person_context,
    placeholders,
    render_email,
    render_text,
    render_values,
)
from careerdocs.roster import Roster, parse_roster

TODAY = date(2026, 11, 26)
FY = fiscal_year(TODAY, 2)
SETTINGS = parse_settings(
    {"organization": {"name": "Acme", "mission": "Make good tools."}}, Path("/org")
)
HEADER = ["email", "name", "manager_email", "start_date", "title", "pbp", "Cost Center"]
ROSTER = parse_roster(
    HEADER,
    [
        ["ceo@example.com", "Margaret Okafor", "", "2019-04-01", "CEO", "", "C1"],
        ["vp@example.com", "Rahul Mehta", "ceo@example.com", "2020-01-13", "VP", "", "C2"],
        [
            "zoe@example.com",
            "=Zoë O'Brien",
            "vp@example.com",
            "2022-01-10",
            "SWE",
            "hr@example.com",
            "C3",
        ],
        ["odd@example.com", "{{ 7*7 }}", "vp@example.com", "2022-01-10", "", "", ""],
    ],
    allowed_domains=["example.com"],
)


def context_for(email: str, roster: Roster = ROSTER, **links: str) -> dict[str, Any]:
    person = roster.get(email)
    assert person is not None
    return person_context(person, roster, FY, SETTINGS, links=links, today=TODAY)


ZOE = context_for("zoe@example.com", igp="https://docs.example/igp")
CEO = context_for("ceo@example.com")


# --- placeholders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Plan for {{ person.name }}", ["{{ person.name }}"]),
        (
            "{{person.name}} and {{ fy.label }} then {{person.name}} again",
            ["{{person.name}}", "{{ fy.label }}"],
        ),
        ("{{ a }}{{ b }}", ["{{ a }}", "{{ b }}"]),
        ("no placeholders { here }", []),
        (
            "Ask{% if x %} {{ x.name }}{% else %} us{% endif %}, {{ y }}.",
            ["{% if x %} {{ x.name }}{% else %} us{% endif %}", "{{ y }}"],
        ),
        ("{%- if a -%}one conditional{%- endif -%}", ["{%- if a -%}one conditional{%- endif -%}"]),
        ("{% for p in x %}{{ p.name }}{% endfor %}", ["{{ p.name }}"]),
    ],
)
def test_placeholders_are_distinct_tokens_in_order_as_written(text: str, tokens: list[str]) -> None:
    assert placeholders(text) == tokens


# --- the context -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("{{ person.name }}", "=Zoë O'Brien"),
        ("{{ person.first_name }}", "=Zoë"),
        ("{{ person.email }}", "zoe@example.com"),
        ("{{ person.title }}", "SWE"),
        ("{{ person.start_date }}", "2022-01-10"),
        ("{{ person.extra.cost_center }}", "C3"),
        ("{{ manager.name }}", "Rahul Mehta"),
        ("{{ manager.title }}", "VP"),
        ("{{ skip_level.name }}", "Margaret Okafor"),
        ("{{ skip_level.extra.cost_center }}", "C1"),
        ("{{ manager.display }}", "Rahul Mehta"),
        ("{{ pbp.email }}", "hr@example.com"),
        ("{{ pbp.name }}", ""),
        ("{{ pbp.display }}", "hr@example.com"),
        ("{{ backend }}", "local"),
        ("{{ fy.label }}", "FY2027"),
        ("{{ fy.start }}", "2026-02-01"),
        ("{{ fy.end }}", "2027-01-31"),
        ('{{ fy.start.strftime("%B %Y") }}', "February 2026"),
        ("{{ org.name }}", "Acme"),
        ("{{ org.mission }}", "Make good tools."),
        ("{{ today }}", "2026-11-26"),
        ("{{ links.igp }}", "https://docs.example/igp"),
        ("{{ links.folder }}", ""),
    ],
)
def test_context_fills_each_documented_placeholder(token: str, value: str) -> None:
    assert render_values([token], ZOE, where="t") == {token: value}


@pytest.mark.parametrize(
    "token",
    [
        "{{ manager.name }}",
        "{{ manager.email }}",
        "{{ skip_level.first_name }}",
        "{{ pbp.email }}",
        "{{ manager.extra.cost_center }}",
        "{{ manager.display }}",
        "{{ pbp.display }}",
    ],
)
def test_a_missing_manager_skip_level_or_pbp_renders_empty(token: str) -> None:
    assert render_values([token], CEO, where="t") == {token: ""}


def test_a_pbp_in_the_roster_has_all_their_fields() -> None:
    roster = parse_roster(
        ["email", "name", "manager", "start", "pbp"],
        [
            ["ines@example.com", "Inês Duarte", "", "2020-06-01", ""],
            ["ann@example.com", "Ann", "ines@example.com", "2024-01-01", "ines@example.com"],
        ],
        allowed_domains=["example.com"],
    )
    context = context_for("ann@example.com", roster)
    assert render_text("{{ pbp.name }} <{{ pbp.email }}>", context, where="t") == (
        "Inês Duarte <ines@example.com>"
    )
    assert render_values(["{{ pbp.display }}"], context, where="t") == {
        "{{ pbp.display }}": "Inês Duarte"
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        pytest.param("zoe@example.com", "Ask Rahul Mehta.", id="with-a-manager"),
        pytest.param("ceo@example.com", "Ask the People team.", id="top-of-the-chain"),
    ],
)
def test_a_conditional_token_renders_only_the_branch_that_fits(who: str, expected: str) -> None:
    token = (
        "{% if manager.email %}Ask {{ manager.display }}.{% else %}Ask the People team.{% endif %}"
    )
    assert placeholders(token) == [token]
    assert render_values([token], context_for(who), where="t") == {token: expected}


def test_refuses_an_unknown_link_name() -> None:
    person = ROSTER.get("zoe@example.com")
    assert person is not None
    with pytest.raises(ValueError, match="unknown link keys"):
        person_context(person, ROSTER, FY, SETTINGS, links={"sheet": "x"}, today=TODAY)


# --- values are data -------------------------------------------------------------------------


def test_a_rendered_value_is_never_rendered_again() -> None:
    context = context_for("odd@example.com")
    assert render_values(["{{ person.name }}"], context, where="t") == {
        "{{ person.name }}": "{{ 7*7 }}"
    }
    assert render_text("Plan — {{ person.name }}", context, where="t") == "Plan — {{ 7*7 }}"


def test_a_leading_equals_sign_stays_text() -> None:
    assert render_text("{{ person.name }}", ZOE, where="t") == "=Zoë O'Brien"


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("{{ person.nmae }}", "{{ person.nmae }}: person has no field 'nmae'"),
        ("{{ manager.extra.team }}", "{{ manager.extra.team }}: manager.extra has no field 'team'"),
        ("{{ persn.name }}", "{{ persn.name }}: unknown name 'persn'"),
        ("{{ person.name", "{{ person.name: unexpected end of template, expected 'end of print "
         "statement'."),
        ("{{ }}", "{{ }}: Expected an expression, got 'end of print statement'"),
        ("{{ person.__class__ }}", "{{ person.__class__ }}: access to attribute '__class__' of "
         "'Record' object is unsafe."),
        ("{{ 1 / 0 }}", "{{ 1 / 0 }}: division by zero"),
    ],
)  # fmt: skip
def test_refuses_a_placeholder_it_cannot_fill_naming_template_and_token(
    token: str, message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        render_values([token], ZOE, where="templates/igp.docx")
    assert caught.value.problems == [Problem("templates/igp.docx", message)]


def test_reports_every_bad_placeholder_at_once() -> None:
    tokens = ["{{ person.name }}", "{{ person.nmae }}", "{{ fy.lable }}"]
    with pytest.raises(TemplateError) as caught:
        render_values(tokens, ZOE, where="igp.docx")
    assert caught.value.summary == "2 placeholders cannot be filled"
    assert [str(p) for p in caught.value.problems] == [
        "igp.docx: {{ person.nmae }}: person has no field 'nmae'",
        "igp.docx: {{ fy.lable }}: fy has no field 'lable'",
    ]


# --- whole texts: names and email ------------------------------------------------------------


def test_renders_a_name_pattern() -> None:
    pattern = "Individual Growth Plan — {{ person.name }} — {{ fy.label }}"
    assert render_text(pattern, ZOE, where="names.igp") == (
        "Individual Growth Plan — =Zoë O'Brien — FY2027"
    )


def test_statements_work_in_whole_texts() -> None:
    text = "Hi{% if manager.name %}, {{ manager.first_name }}{% endif %}!"
    assert render_text(text, ZOE, where="t") == "Hi, Rahul!"
    assert render_text(text, CEO, where="t") == "Hi!"


def test_names_every_unknown_placeholder_of_a_whole_text() -> None:
    with pytest.raises(TemplateError) as caught:
        render_text("{{ person.nmae }} — {{ fy.label }} — {{ org.motto }}", ZOE, where="names.igp")
    assert [str(p) for p in caught.value.problems] == [
        "names.igp: {{ person.nmae }}: person has no field 'nmae'",
        "names.igp: {{ org.motto }}: org has no field 'motto'",
    ]


def test_names_the_line_of_a_syntax_error() -> None:
    with pytest.raises(TemplateError) as caught:
        render_text("Hello\n{% if person.name %}unclosed", ZOE, where="email.txt")
    assert caught.value.problems == [
        Problem(
            "email.txt",
            "line 2: Unexpected end of template. Jinja was looking for the following tags: "
            "'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.",
        )
    ]


def test_blames_the_statement_not_the_loop_variable() -> None:
    with pytest.raises(TemplateError) as caught:
        render_text("{% for p in reports %}{{ p.name }}{% endfor %}", ZOE, where="email.txt")
    assert caught.value.problems == [Problem("email.txt", "unknown name 'reports'")]


EMAIL_TEMPLATE = """Subject: Your documents for {{ fy.label }}

Hi {{ person.first_name }},
your plan: {{ links.igp }}
"""


def test_splits_an_email_into_subject_and_body() -> None:
    assert render_email(EMAIL_TEMPLATE, ZOE, where="email.txt") == Email(
        subject="Your documents for FY2027",
        body="Hi =Zoë,\nyour plan: https://docs.example/igp\n",
    )


def test_a_configured_subject_replaces_the_templates_own() -> None:
    email = render_email(EMAIL_TEMPLATE, ZOE, where="email.txt", subject="Growth — {{ fy.label }}")
    assert email.subject == "Growth — FY2027"


def test_a_configured_subject_is_blamed_on_its_setting() -> None:
    with pytest.raises(TemplateError) as caught:
        render_email(EMAIL_TEMPLATE, ZOE, where="email.txt", subject="{{ fy.year }}")
    assert caught.value.problems == [
        Problem("notify.subject", "{{ fy.year }}: fy has no field 'year'")
    ]


def test_a_value_cannot_break_the_subject_onto_a_new_line() -> None:
    roster = parse_roster(
        ["email", "name", "manager", "start"],
        [["eve@example.com", "Eve\r\nBcc: all@example.com", "", "2020-01-01"]],
        allowed_domains=["example.com"],
    )
    context = context_for("eve@example.com", roster)
    email = render_email("Subject: For {{ person.name }}\n\nHi", context, where="email.txt")
    assert email.subject == "For Eve Bcc: all@example.com"


def test_refuses_an_email_template_without_a_subject_line() -> None:
    with pytest.raises(TemplateError) as caught:
        render_email("Hi {{ person.name }}\n", ZOE, where="email.txt")
    assert caught.value.problems == [
        Problem("email.txt", "the first line must start with 'Subject:'")
    ]
