"""Google's ``fields`` system parameter: a FieldMask that trims a JSON response.

Grammar (https://developers.google.com/workspace/drive/api/guides/fields-parameter):
``a,b`` selects two fields, ``a/b`` a sub-field, ``a(b,c)`` several sub-fields, ``*`` everything
at its level. Selecting inside a list applies to every element. Real servers check each name
against the resource's schema and answer 400 "Invalid field selection <name>" for an unknown one,
so :meth:`FieldMask.validate` takes a schema; :class:`DiscoverySchema` reads one from a discovery
document, which keeps the sandbox's idea of the resource identical to the client's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .core import ApiError

ALL = "*"
_SEPARATOR = ","
_PATH = "/"
_OPEN = "("
_CLOSE = ")"

# A selection tree: field name -> its sub-selection, or None for "the whole field".
Selection = dict[str, "Selection | None"]


def invalid_selection(name: str) -> ApiError:
    return ApiError(
        400,
        f"Invalid field selection {name}",
        reason="invalidParameter",
        location="fields",
        location_type="parameter",
    )


class Schema(Protocol):
    def child(self, name: str) -> Schema | None:
        """The schema of field ``name`` (None when the resource has no such field)."""


class AnySchema:
    """A schema that accepts every sub-field: maps such as ``appProperties``."""

    def child(self, name: str) -> Schema | None:
        return self


class LeafSchema:
    """A scalar field: nothing may be selected inside it."""

    def child(self, name: str) -> Schema | None:
        return None


@dataclass(frozen=True)
class DiscoverySchema:
    """One object schema of a Google discovery document, resolved lazily (schemas nest and
    refer to each other, so resolving on demand avoids walking cycles)."""

    document: dict[str, Any]
    node: dict[str, Any]

    @classmethod
    def named(cls, document: dict[str, Any], name: str) -> DiscoverySchema:
        return cls(document, document["schemas"][name])

    def child(self, name: str) -> Schema | None:
        prop = self.node.get("properties", {}).get(name)
        if prop is None:
            return None
        return self._schema_of(prop)

    def _schema_of(self, prop: dict[str, Any]) -> Schema:
        if "$ref" in prop:
            return DiscoverySchema.named(self.document, prop["$ref"])
        if prop.get("type") == "array":
            return self._schema_of(prop.get("items", {}))
        if prop.get("type") == "object":
            if "properties" in prop:
                return DiscoverySchema(self.document, prop)
            return AnySchema()
        return LeafSchema()


class FieldMask:
    """A parsed ``fields`` value. Parse once, then :meth:`validate` and :meth:`apply`."""

    def __init__(self, selection: Selection, text: str) -> None:
        self.selection = selection
        self.text = text

    @classmethod
    def parse(cls, text: str) -> FieldMask:
        parser = _Parser(text)
        selection = parser.selection()
        if not parser.at_end():
            raise invalid_selection(parser.rest())
        return cls(selection, text)

    def validate(self, schema: Schema) -> None:
        _validate(self.selection, schema)

    def apply(self, data: Any) -> Any:
        return _apply(self.selection, data)

    def __repr__(self) -> str:
        return f"FieldMask({self.text!r})"


class _Parser:
    """Recursive descent over the mask text; whitespace around names is ignored."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        self._skip_space()
        return self.pos >= len(self.text)

    def rest(self) -> str:
        return self.text[self.pos :].strip()

    def selection(self) -> Selection:
        result: Selection = {}
        while True:
            _merge(result, self._item())
            self._skip_space()
            if self._peek() != _SEPARATOR:
                return result
            self.pos += 1

    def _item(self) -> Selection:
        names = [self._name()]
        while self._peek() == _PATH:
            self.pos += 1
            names.append(self._name())
        sub: Selection | None = None
        if self._peek() == _OPEN:
            self.pos += 1
            sub = self.selection()
            if self._peek() != _CLOSE:
                raise invalid_selection(self.rest() or self.text)
            self.pos += 1
        for name in reversed(names):
            sub = {name: sub}
        assert sub is not None
        return sub

    def _name(self) -> str:
        self._skip_space()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",/() \t":
            self.pos += 1
        name = self.text[start : self.pos]
        if not name:
            raise invalid_selection(self.rest() or self.text or "''")
        return name

    def _peek(self) -> str:
        self._skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1


def _merge(into: Selection, other: Selection) -> None:
    """Union of two selections; selecting a whole field absorbs any sub-selection of it."""
    for name, sub in other.items():
        if name not in into:
            into[name] = sub
        elif into[name] is None or sub is None:
            into[name] = None
        else:
            existing = into[name]
            assert existing is not None
            _merge(existing, sub)


def _validate(selection: Selection, schema: Schema) -> None:
    for name, sub in selection.items():
        if name == ALL:
            continue
        child = schema.child(name)
        if child is None:
            raise invalid_selection(name)
        if sub is not None:
            _validate(sub, child)


def _apply(selection: Selection | None, data: Any) -> Any:
    if selection is None or (ALL in selection and selection[ALL] is None):
        return data
    if isinstance(data, list):
        return [_apply(selection, item) for item in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for name, sub in selection.items():
        if name == ALL:
            for key, value in data.items():
                out.setdefault(key, _apply(sub, value))
        elif name in data:
            value = _apply(sub, data[name])
            if value != {} or sub is None:
                out[name] = value
    return out
