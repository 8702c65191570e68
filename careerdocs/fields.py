"""Placeholder rendering: the one place ``{{ ... }}`` is turned into text.

Templates (documents, sheets, file names, the email) hold Jinja2 placeholders such as
``{{ person.name }}`` or ``{{ fy.label }}``. They are rendered in a sandboxed environment with
strict undefined values, so an unknown placeholder is an error *before* anything is written,
naming the template and the placeholder, instead of an empty gap in a hundred documents.

Values are data: each placeholder is rendered exactly once, so a person named ``{{ 7*7 }}`` or
``=SUM(A1)`` keeps that name as plain text (the backends write it RAW, never as a formula).

Text that only makes sense for some people is a conditional inside one paragraph or cell,
``{% if pbp.email %}, or your People Business Partner, {{ pbp.display }}{% endif %}``: the
whole ``{% if %}...{% endif %}`` is one token, rendered as a unit and replaced like a
placeholder, so it works in every backend (a .docx run, a Google Docs ``replaceAllText``, a cell).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from careerdocs.errors import Problem, TemplateError

if TYPE_CHECKING:
    from careerdocs.cadence import FiscalYear
    from careerdocs.config import Settings
    from careerdocs.roster import Person, Roster

LINK_KEYS = ("igp", "tracker", "growth_sheet", "folder")
PERSON_FIELDS = (
    "name",
    "display",
    "first_name",
    "email",
    "title",
    "department",
    "division",
    "location",
    "start_date",
)
SUBJECT_PREFIX = "Subject:"
SUBJECT_SETTING = "notify.subject"

# A conditional ({% if %} ... {% endif %}, not nested) is one token; so is a {{ placeholder }}
# outside one. Alternation tries the conditional first at each position.
_PLACEHOLDER = re.compile(
    r"\{%-?\s*if\b.*?\{%-?\s*endif\s*-?%\}|\{\{.*?\}\}",
    re.DOTALL,
)
# What user-written template expressions can raise besides Jinja's own errors: 1/0, "a" - 1,
# a missing key on a plain dict, int("x").
_EXPRESSION_ERRORS = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError)


class Record:
    """Read-only named fields for templates: ``{{ manager.name }}``.

    Looking up a field it does not have is an error that names the record and the field
    (``manager has no field 'nmae'``), rather than Jinja's generic message. It has no public
    attributes, so no field name can be shadowed by one (Jinja tries attributes first).
    """

    __slots__ = ("_label", "_values")

    def __init__(self, label: str, values: Mapping[str, Any]) -> None:
        self._label = label
        self._values = dict(values)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __repr__(self) -> str:
        return f"Record({self._label!r}, {self._values!r})"


class _Undefined(jinja2.StrictUndefined):
    """Strict undefined with messages written for the person who edits the template."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing:
            return f"unknown name {self._undefined_name!r}"
        if isinstance(self._undefined_obj, Record):
            return f"{self._undefined_obj._label} has no field {self._undefined_name!r}"
        return super()._undefined_message


def _text_or_empty(value: Any) -> Any:
    """Render None as nothing rather than the word "None"."""
    return "" if value is None else value


_ENVIRONMENT = SandboxedEnvironment(
    undefined=_Undefined,
    autoescape=False,
    keep_trailing_newline=True,
    finalize=_text_or_empty,
)


@lru_cache(maxsize=1024)
def _compile(source: str) -> jinja2.Template:
    """Compiled once per distinct text: the same few placeholders are rendered for everyone."""
    return _ENVIRONMENT.from_string(source)


def placeholders(text: str) -> list[str]:
    """The distinct tokens in ``text``, in order of first appearance, exactly as written (so a
    backend can replace each token text with its value): ``{{ ... }}`` placeholders, and
    ``{% if ... %} ... {% endif %}`` conditionals (with any ``{% elif %}``/``{% else %}``,
    and the placeholders inside them) as one token each. Conditionals cannot be nested."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))


def _person_values(label: str, person: Person | None, extra_keys: Iterable[str]) -> dict[str, Any]:
    """A person's fields; every field is "" when there is no such person (a CEO's manager).

    ``display`` is how a sentence names them: the name, else the email (someone the roster
    names only by address), else "" — so ``{% if manager.email %}`` decides whether a
    sentence about them is written at all, and ``{{ manager.display }}`` fills it."""
    if person is None:
        values: dict[str, Any] = dict.fromkeys(PERSON_FIELDS, "")
        values["extra"] = Record(f"{label}.extra", dict.fromkeys(extra_keys, ""))
        return values
    values = {name: getattr(person, name) for name in PERSON_FIELDS if name != "display"}
    values["display"] = person.name or person.email
    values["extra"] = Record(f"{label}.extra", person.extra)
    return values


def _related_record(
    label: str, email: str | None, roster: Roster, extra_keys: Iterable[str]
) -> Record:
    """The manager, skip-level or PBP from the roster; one who is not in it has just their
    email (and ``display`` is that email); no one at all has every field empty."""
    found = roster.get(email) if email else None
    values = _person_values(label, found, extra_keys)
    if found is None and email:
        values["email"] = values["display"] = email
    return Record(label, values)


def person_context(
    person: Person,
    roster: Roster,
    fy: FiscalYear,
    settings: Settings,
    *,
    links: Mapping[str, str] | None = None,
    today: date,
) -> dict[str, Any]:
    """Everything a template may use for ``person``.

    ``person``, ``manager``, ``skip_level`` and ``pbp`` have the fields in
    :data:`PERSON_FIELDS` plus ``extra`` (the roster's other columns); a missing manager,
    skip-level or PBP has every field empty, so ``{% if manager.email %}`` tells whether there
    is one. ``fy`` has ``label``, ``start``, ``end``; ``org`` has ``name``, ``mission``;
    ``links`` has :data:`LINK_KEYS`, empty when not known yet; ``backend`` is ``local`` or
    ``google`` (the email speaks of files in a folder or of Drive).
    """
    given = dict(links or {})
    unknown = sorted(set(given) - set(LINK_KEYS))
    if unknown:
        raise ValueError(f"unknown link keys {unknown}; expected some of {list(LINK_KEYS)}")
    extra_keys = person.extra.keys()
    return {
        "person": Record("person", _person_values("person", person, extra_keys)),
        "manager": _related_record("manager", person.manager_email, roster, extra_keys),
        "skip_level": _related_record("skip_level", person.skip_level_email, roster, extra_keys),
        "pbp": _related_record("pbp", person.pbp_email, roster, extra_keys),
        "backend": settings.backend_name,
        "fy": Record("fy", {"label": fy.label, "start": fy.start, "end": fy.end}),
        "org": Record(
            "org",
            {"name": settings.organization.name, "mission": settings.organization.mission},
        ),
        "today": today,
        "links": Record("links", {key: given.get(key, "") for key in LINK_KEYS}),
    }


def _message(error: Exception) -> str:
    message = error.message if isinstance(error, jinja2.TemplateError) else str(error)
    return message or type(error).__name__


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _render(source: str, context: Mapping[str, Any]) -> str:
    return _compile(source).render(context)


def render_values(
    tokens: Iterable[str], context: Mapping[str, Any], *, where: str
) -> dict[str, str]:
    """Each placeholder token (as :func:`placeholders` returns it) mapped to its value.

    Raises :class:`TemplateError` naming ``where`` (the template) and every token that cannot be
    rendered: an unknown name or field, a syntax error, or an expression that fails.
    """
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for token in dict.fromkeys(tokens):
        try:
            values[token] = _render(token, context)
        except _EXPRESSION_ERRORS as error:
            problems.append(Problem(where, f"{token}: {_message(error)}"))
    if problems:
        raise TemplateError(f"{_count(len(problems), 'placeholder')} cannot be filled", problems)
    return values


def render_text(template_text: str, context: Mapping[str, Any], *, where: str) -> str:
    """Render a whole text (a file name pattern, an email) in one pass.

    Jinja statements such as ``{% if manager.name %}`` work here. On failure the error names
    every placeholder that cannot be rendered (as :func:`render_values` does), or the line of a
    syntax error.
    """
    try:
        return _render(template_text, context)
    except jinja2.TemplateSyntaxError as error:
        problem = Problem(where, f"line {error.lineno}: {error.message}")
        raise TemplateError("a template has a syntax error", [problem]) from None
    except _EXPRESSION_ERRORS as error:
        render_values(_standalone_placeholders(template_text), context, where=where)
        # No placeholder fails on its own: the failure is in a statement ({% for x in nope %}).
        problem = Problem(where, _message(error))
        raise TemplateError("a template cannot be rendered", [problem]) from None


def _standalone_placeholders(template_text: str) -> list[str]:
    """The placeholders that can be rendered outside the text: those not using a variable the
    text itself sets ({% for p in ... %}{{ p.name }}), which would look unknown on its own."""
    free = meta.find_undeclared_variables(_ENVIRONMENT.parse(template_text))
    return [
        token
        for token in placeholders(template_text)
        if meta.find_undeclared_variables(_ENVIRONMENT.parse(token)) <= free
    ]


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def render_email(
    template_text: str, context: Mapping[str, Any], *, where: str, subject: str = ""
) -> Email:
    """Render an email template: a first line ``Subject: ...``, a blank line, then the body.

    A non-empty ``subject`` (the ``notify.subject`` setting) replaces the template's own.
    """
    first, _, rest = template_text.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        problem = Problem(where, f"the first line must start with {SUBJECT_PREFIX!r}")
        raise TemplateError(f"{where}: not an email template", [problem])
    pattern, subject_where = (subject, SUBJECT_SETTING) if subject else (first, where)
    rendered_subject = render_text(
        pattern.removeprefix(SUBJECT_PREFIX), context, where=subject_where
    )
    return Email(
        subject=" ".join(rendered_subject.split()),  # one line: a value must not add headers
        body=render_text(rest.lstrip("\n"), context, where=where),
    )


# HTML email parts: the same sandbox and strict undefined values, with every value escaped (a
# name like ``<b>Ana</b>`` or ``Tom & Jerry`` shows as written, never as markup).
_HTML_ENVIRONMENT = SandboxedEnvironment(
    undefined=_Undefined,
    autoescape=True,
    keep_trailing_newline=True,
    finalize=_text_or_empty,
)


@lru_cache(maxsize=64)
def _compile_html(source: str) -> jinja2.Template:
    return _HTML_ENVIRONMENT.from_string(source)


def render_html(template_text: str, context: Mapping[str, Any], *, where: str) -> str:
    """Render an HTML template (an email's HTML part) with every value HTML-escaped.

    Errors are reported as :func:`render_text` reports them: a :class:`TemplateError` naming
    ``where`` and the line of a syntax error or what cannot be rendered."""
    try:
        return _compile_html(template_text).render(context)
    except jinja2.TemplateSyntaxError as error:
        problem = Problem(where, f"line {error.lineno}: {error.message}")
        raise TemplateError("a template has a syntax error", [problem]) from None
    except _EXPRESSION_ERRORS as error:
        problem = Problem(where, _message(error))
        raise TemplateError("a template cannot be rendered", [problem]) from None
