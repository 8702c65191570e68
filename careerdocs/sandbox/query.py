"""Drive's ``q`` search language: a tokenizer, a recursive-descent parser and a matcher.

Grammar (Google's search-terms reference; keywords and ``true``/``false`` in any case)::

    query   := or_expr
    or_expr := and_expr ("or" and_expr)*
    and_expr:= unary ("and" unary)*
    unary   := "not" unary | "(" query ")" | term
    term    := STRING "in" ("parents" | "owners" | "writers" | "readers")
             | ("appProperties" | "properties") "has" "{" "key" "=" STRING
                                                    "and" "value" "=" STRING "}"
             | "sharedWithMe"
             | FIELD OPERATOR value

Strings take single or double quotes, with backslash escapes (``\\'``). A query that does not
parse, or names a term the sandbox cannot evaluate, is refused with Drive's 400 body for a bad
``q`` rather than silently matching too much.

Each node can also name its *candidates* from the store's :class:`.file_index.FileIndex`: a
set of file ids that holds every file it can match (None when it cannot narrow the search, as
for ``not`` or ``fullText``). ``files.list`` matches only the candidates, so a query with a
parent, owner, appProperties, name or modifiedTime term costs O(matches), not O(files).

Matching quirks kept from Google: ``name contains`` is a prefix match (of the name or of any
word in it), case-insensitive; ``mimeType contains`` is a substring match; times compare at
millisecond precision and a time without an offset is UTC.
"""

from __future__ import annotations

import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from . import core, drive_model
from .file_index import FileIndex

Predicate = Callable[[core.File, core.Store, str], bool]

# -- tokens ------------------------------------------------------------------------------------

STRING = "string"
WORD = "word"
OPERATOR = "operator"
PUNCT = "punct"
END = "end"

OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
PUNCTUATION = "(){}"
QUOTES = "'\""
ESCAPE = "\\"
_WORD_CHARS = re.compile(r"[A-Za-z0-9_.]")

# keywords (compared lower-cased)
AND = "and"
OR = "or"
NOT = "not"
IN = "in"
HAS = "has"
CONTAINS = "contains"
TRUE = "true"
FALSE = "false"

# terms
NAME = "name"
MIME_TYPE = "mimeType"
FULL_TEXT = "fullText"
MODIFIED_TIME = "modifiedTime"
CREATED_TIME = "createdTime"
TRASHED = "trashed"
STARRED = "starred"
SHARED_WITH_ME = "sharedWithMe"
PARENTS = "parents"
OWNERS = "owners"
WRITERS = "writers"
READERS = "readers"
APP_PROPERTIES = "appProperties"
PROPERTIES = "properties"
PROPERTY_KEY = "key"
PROPERTY_VALUE = "value"

_COMPARATORS: dict[str, Callable[[int, int], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
COMPARISONS = tuple(_COMPARATORS)
EQUALITY = ("=", "!=")
STRING_TERMS = {
    NAME: (*EQUALITY, CONTAINS),
    MIME_TYPE: (*EQUALITY, CONTAINS),
    FULL_TEXT: (CONTAINS,),
}
TIME_TERMS = (MODIFIED_TIME, CREATED_TIME)
BOOLEAN_TERMS = (TRASHED, STARRED, SHARED_WITH_ME)
COLLECTIONS = (PARENTS, OWNERS, WRITERS, READERS)
PROPERTY_TERMS = (APP_PROPERTIES, PROPERTIES)
WRITER_RANK = core.ROLE_RANK["writer"]
TEXT_MIME_PREFIX = "text/"


def invalid_query() -> core.ApiError:
    """Drive's answer to a ``q`` it cannot parse."""
    return core.ApiError(
        400, "Invalid Value", reason="invalid", location="q", location_type="parameter"
    )


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokenize(q: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(q):
        ch = q[i]
        if ch.isspace():
            i += 1
        elif ch in QUOTES:
            text, i = _read_string(q, i)
            tokens.append(Token(STRING, text))
        elif ch in PUNCTUATION:
            tokens.append(Token(PUNCT, ch))
            i += 1
        elif op := next((op for op in OPERATORS if q.startswith(op, i)), None):
            tokens.append(Token(OPERATOR, op))
            i += len(op)
        elif _WORD_CHARS.match(ch):
            start = i
            while i < len(q) and _WORD_CHARS.match(q[i]):
                i += 1
            tokens.append(Token(WORD, q[start:i]))
        else:
            raise invalid_query()
    tokens.append(Token(END, ""))
    return tokens


def _read_string(q: str, i: int) -> tuple[str, int]:
    quote = q[i]
    out: list[str] = []
    i += 1
    while i < len(q):
        ch = q[i]
        if ch == ESCAPE and i + 1 < len(q):
            out.append(q[i + 1])
            i += 2
        elif ch == quote:
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise invalid_query()  # unterminated string


# -- the tree ----------------------------------------------------------------------------------


class Node(ABC):
    """A parsed query or sub-query."""

    @abstractmethod
    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        """Whether ``file`` satisfies this (sub-)query for the acting ``user``."""

    def candidates(self, index: FileIndex, user: str) -> set[str] | None:
        """Ids of every file this (sub-)query can match for ``user`` (maybe more), or None
        when the index cannot narrow it."""
        return None


@dataclass(frozen=True)
class And(Node):
    left: Node
    right: Node

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        return self.left.matches(file, store, user) and self.right.matches(file, store, user)

    def candidates(self, index: FileIndex, user: str) -> set[str] | None:
        left, right = self.left.candidates(index, user), self.right.candidates(index, user)
        if left is None or right is None:
            return right if left is None else left
        return left & right


@dataclass(frozen=True)
class Or(Node):
    left: Node
    right: Node

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        return self.left.matches(file, store, user) or self.right.matches(file, store, user)

    def candidates(self, index: FileIndex, user: str) -> set[str] | None:
        left, right = self.left.candidates(index, user), self.right.candidates(index, user)
        if left is None or right is None:
            return None
        return left | right


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        return not self.operand.matches(file, store, user)


@dataclass(frozen=True)
class Everything(Node):
    """A blank query: no filter."""

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        return True


@dataclass(frozen=True)
class TextTerm(Node):
    """``name``, ``mimeType`` or ``fullText`` compared with a string."""

    field: str
    op: str
    value: str

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        if self.field == FULL_TEXT:
            return self.value.lower() in _full_text(file).lower()
        actual = file.name if self.field == NAME else file.mime_type
        if self.op == CONTAINS:
            if self.field == NAME:
                return _name_has_prefix(actual, self.value)
            return self.value.lower() in actual.lower()
        return (actual == self.value) == (self.op == "=")

    def candidates(self, index: FileIndex, user: str) -> set[str] | None:
        if self.field == NAME and self.op == "=":
            return index.named(self.value)
        return None


@dataclass(frozen=True)
class TimeTerm(Node):
    field: str
    op: str
    millis: int

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        seconds = file.modified_time if self.field == MODIFIED_TIME else file.created_time
        # Compare the time as the API shows it, so a value read back from a file matches it.
        return _compare(parse_time(core.rfc3339(seconds)), self.op, self.millis)

    def candidates(self, index: FileIndex, user: str) -> set[str] | None:
        if self.field == MODIFIED_TIME:
            return index.modified(self.op, self.millis)
        return None


@dataclass(frozen=True)
class BooleanTerm(Node):
    field: str
    expected: bool

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        if self.field == TRASHED:
            actual = file.trashed
        elif self.field == STARRED:
            actual = False  # nobody stars anything in the sandbox (Drive reports none)
        else:
            actual = _shared_with(file, user)
        return actual == self.expected

    def candidates(self, index: FileIndex, user: str) -> set[str] | None:
        if self.field == TRASHED and self.expected:
            return index.trashed()
        if self.field == STARRED and self.expected:
            return set()  # nothing is starred
        return None


@dataclass(frozen=True)
class MembershipTerm(Node):
    """``'value' in parents|owners|writers|readers``."""

    value: str
    collection: str

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        if self.collection == PARENTS:
            # 'root' names the acting user's My Drive folder.
            return drive_model.resolve_alias(user, self.value) in file.parents
        if self.collection == OWNERS:
            return file.owner is not None and file.owner.lower() == self.value.lower()
        role = store.role_of(self.value, file)
        if self.collection == WRITERS:
            return role is not None and core.ROLE_RANK[role] >= WRITER_RANK
        return role is not None

    def candidates(self, index: FileIndex, user: str) -> set[str] | None:
        if self.collection == PARENTS:
            return index.children(drive_model.resolve_alias(user, self.value))
        if self.collection == OWNERS:
            return index.owned_by(self.value)
        return None


@dataclass(frozen=True)
class PropertyTerm(Node):
    """``appProperties|properties has { key='k' and value='v' }``."""

    field: str
    key: str
    value: str

    def matches(self, file: core.File, store: core.Store, user: str) -> bool:
        props = file.app_properties if self.field == APP_PROPERTIES else file.properties
        return props.get(self.key) == self.value

    def candidates(self, index: FileIndex, user: str) -> set[str] | None:
        if self.field == APP_PROPERTIES:
            return index.with_app_property(self.key, self.value)
        return index.with_property(self.key, self.value)


# -- the parser --------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != END:
            self.pos += 1
        return token

    def at_keyword(self, keyword: str) -> bool:
        return self.current.kind == WORD and self.current.text.lower() == keyword

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.advance()
        if token.kind != kind or (text is not None and token.text.lower() != text.lower()):
            raise invalid_query()
        return token

    def query(self) -> Node:
        node = self.or_expr()
        if self.current.kind != END:
            raise invalid_query()
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at_keyword(OR):
            self.advance()
            node = Or(node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.at_keyword(AND):
            self.advance()
            node = And(node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at_keyword(NOT):
            self.advance()
            return Not(self.unary())
        if self.current == Token(PUNCT, "("):
            self.advance()
            node = self.or_expr()
            self.expect(PUNCT, ")")
            return node
        return self.term()

    def term(self) -> Node:
        token = self.advance()
        if token.kind == STRING:
            self.expect(WORD, IN)
            collection = self.expect(WORD).text
            if collection not in COLLECTIONS:
                raise invalid_query()
            return MembershipTerm(token.text, collection)
        if token.kind != WORD:
            raise invalid_query()
        field = token.text
        if field in PROPERTY_TERMS:
            return self.property_term(field)
        if field == SHARED_WITH_ME and self.current.kind != OPERATOR:
            return BooleanTerm(SHARED_WITH_ME, True)
        op = self.operator()
        if field in STRING_TERMS:
            if op not in STRING_TERMS[field]:
                raise invalid_query()
            return TextTerm(field, op, self.expect(STRING).text)
        if field in TIME_TERMS:
            if op not in COMPARISONS:
                raise invalid_query()
            return TimeTerm(field, op, parse_time(self.expect(STRING).text))
        if field in BOOLEAN_TERMS:
            if op not in EQUALITY:
                raise invalid_query()
            value = self.boolean()
            return BooleanTerm(field, value if op == "=" else not value)
        raise invalid_query()

    def operator(self) -> str:
        if self.at_keyword(CONTAINS):
            self.advance()
            return CONTAINS
        return self.expect(OPERATOR).text

    def boolean(self) -> bool:
        word = self.expect(WORD).text.lower()
        if word not in (TRUE, FALSE):
            raise invalid_query()
        return word == TRUE

    def property_term(self, field: str) -> Node:
        self.expect(WORD, HAS)
        self.expect(PUNCT, "{")
        self.expect(WORD, PROPERTY_KEY)
        self.expect(OPERATOR, "=")
        key = self.expect(STRING).text
        self.expect(WORD, AND)
        self.expect(WORD, PROPERTY_VALUE)
        self.expect(OPERATOR, "=")
        value = self.expect(STRING).text
        self.expect(PUNCT, "}")
        return PropertyTerm(field, key, value)


def parse_query(q: str) -> Node:
    """The tree for ``q``; raises Drive's 400 ``Invalid Value`` (location ``q``) if it is bad."""
    if not q.strip():
        return Everything()
    return _Parser(tokenize(q)).query()


def compile_query(q: str) -> Predicate:
    """A predicate ``(file, store, acting_user) -> bool`` for ``q``. Parse errors raise at
    compile time, so a bad query is refused before any file is looked at."""
    return parse_query(q).matches


# -- values and helpers ------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<fraction>\.\d+)?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})?"
)


def parse_time(text: str) -> int:
    """Milliseconds since the epoch for an RFC 3339 time; no offset means UTC."""
    match = _RFC3339.fullmatch(text.strip())
    if not match:
        raise invalid_query()
    clock = match["time"] or "00:00:00"
    if clock.count(":") == 1:
        clock += ":00"
    zone = match["zone"] or "+00:00"
    if zone in ("Z", "z"):
        zone = "+00:00"
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{clock}{zone}")
    except ValueError:
        raise invalid_query() from None
    millis = int(((match["fraction"] or ".")[1:] + "000")[:3])
    return int(moment.astimezone(timezone.utc).timestamp()) * 1000 + millis


def _compare(actual: int, op: str, expected: int) -> bool:
    return _COMPARATORS[op](actual, expected)


def _name_has_prefix(name: str, prefix: str) -> bool:
    """Drive's ``name contains``: the value starts the name or one of its words."""
    name, prefix = name.lower(), prefix.lower()
    starts = [0] + [i + 1 for i, ch in enumerate(name) if ch.isspace()]
    return any(name.startswith(prefix, start) for start in starts)


def _full_text(file: core.File) -> str:
    """What ``fullText`` searches: the name, the description and the text content of a Google
    Doc or a plain-text file."""
    parts = [file.name, file.description]
    if file.doc is not None:
        parts.append(file.doc.to_text())
    elif file.blob is not None and file.mime_type.startswith(TEXT_MIME_PREFIX):
        parts.append(file.blob.decode("utf-8", errors="replace"))
    return "\n".join(parts)


def _shared_with(file: core.File, user: str) -> bool:
    """Drive's "Shared with me": someone else's file with a permission naming the user."""
    user = user.lower()
    if file.owner is None or file.owner.lower() == user:
        return False
    return any(p.email_address and p.email_address.lower() == user for p in file.permissions)
