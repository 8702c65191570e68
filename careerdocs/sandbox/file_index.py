"""Drive's file table with the indexes ``files.list`` needs to cost O(matches), not O(files).

:class:`FileTable` is the store's ``files`` dict: adding or removing a file updates a
:class:`FileIndex` of it by parent, owner, ``appProperties`` and ``properties`` pairs, exact
name, trashed state and ``modifiedTime`` (in milliseconds, as queries compare it). A file in a
table tells the index when one of those attributes is *assigned* (``core.File.__setattr__``),
so everything that changes a file through attribute assignment keeps the index right.

What callers must know:

- Assign indexed attributes, never change them in place (``f.parents = [...]``, not
  ``f.parents.append(...)``; ``f.app_properties = {...}``): the index only sees assignments.
  The sandbox's handlers always assign.
- The index narrows a query to candidates; ``files.list`` still applies the whole query and
  the access rules to each one, so the answer is what a full scan gives (the tests compare the
  two on every query shape careerdocs sends).
- A pickled table is rebuilt (and re-indexed) when loaded; state pickled before the table
  existed holds a plain dict, which :class:`core.Store` converts.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

# The File attributes the index reads; assigning one re-indexes the file.
INDEXED = frozenset(
    {"parents", "owner", "app_properties", "properties", "name", "trashed", "modified_time"}
)
INDEX_ATTR = "_file_index"  # set on a File while it is in a table


def millis(seconds: float) -> int:
    """Milliseconds since the epoch of a file time, as the API shows it (``core.rfc3339``
    truncates to milliseconds) and as queries compare it."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    whole = int(moment.replace(microsecond=0).timestamp())
    return whole * 1000 + moment.microsecond // 1000


@dataclass(frozen=True)
class _Entry:
    """What one file is indexed under."""

    parents: tuple[str, ...]
    owner: str | None
    app_properties: tuple[tuple[str, str], ...]
    properties: tuple[tuple[str, str], ...]
    name: str
    trashed: bool
    modified: int

    @classmethod
    def of(cls, f: Any) -> _Entry:
        return cls(
            parents=tuple(f.parents),
            owner=f.owner.lower() if f.owner else None,
            app_properties=tuple(f.app_properties.items()),
            properties=tuple(f.properties.items()),
            name=f.name,
            trashed=bool(f.trashed),
            modified=millis(f.modified_time),
        )


def _add(table: dict[Any, set[str]], key: Any, file_id: str) -> None:
    table.setdefault(key, set()).add(file_id)


def _discard(table: dict[Any, set[str]], key: Any, file_id: str) -> None:
    found = table.get(key)
    if found is not None:
        found.discard(file_id)
        if not found:
            del table[key]


class FileIndex:
    """File ids by the values queries select on. Every lookup returns a new set."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._children: dict[str, set[str]] = {}
        self._owned: dict[str, set[str]] = {}
        self._app_properties: dict[tuple[str, str], set[str]] = {}
        self._properties: dict[tuple[str, str], set[str]] = {}
        self._names: dict[str, set[str]] = {}
        self._trashed: set[str] = set()
        self._by_modified: list[tuple[int, str]] = []  # sorted
        # When each file joined the table: its place in the table's (a dict's) iteration order.
        self._order: dict[str, int] = {}
        self._joined = 0

    # -- upkeep ------------------------------------------------------------------------------

    def put(self, f: Any) -> None:
        """Index ``f`` as it is now (replacing what it was indexed under)."""
        entry = _Entry.of(f)
        old = self._entries.get(f.id)
        if old == entry:
            return
        if old is not None:
            self._unindex(f.id, old)
        if f.id not in self._order:
            self._joined += 1
            self._order[f.id] = self._joined
        self._entries[f.id] = entry
        for parent in entry.parents:
            _add(self._children, parent, f.id)
        if entry.owner is not None:
            _add(self._owned, entry.owner, f.id)
        for pair in entry.app_properties:
            _add(self._app_properties, pair, f.id)
        for pair in entry.properties:
            _add(self._properties, pair, f.id)
        _add(self._names, entry.name, f.id)
        if entry.trashed:
            self._trashed.add(f.id)
        bisect.insort(self._by_modified, (entry.modified, f.id))

    def remove(self, file_id: str, *, keep_place: bool = False) -> None:
        old = self._entries.pop(file_id, None)
        if old is not None:
            self._unindex(file_id, old)
        if not keep_place:
            self._order.pop(file_id, None)

    def _unindex(self, file_id: str, old: _Entry) -> None:
        for parent in old.parents:
            _discard(self._children, parent, file_id)
        if old.owner is not None:
            _discard(self._owned, old.owner, file_id)
        for pair in old.app_properties:
            _discard(self._app_properties, pair, file_id)
        for pair in old.properties:
            _discard(self._properties, pair, file_id)
        _discard(self._names, old.name, file_id)
        self._trashed.discard(file_id)
        at = bisect.bisect_left(self._by_modified, (old.modified, file_id))
        if at < len(self._by_modified) and self._by_modified[at] == (old.modified, file_id):
            del self._by_modified[at]

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    # -- lookups -----------------------------------------------------------------------------

    def children(self, parent_id: str) -> set[str]:
        return set(self._children.get(parent_id, ()))

    def owned_by(self, email: str) -> set[str]:
        return set(self._owned.get(email.lower(), ()))

    def with_app_property(self, key: str, value: str) -> set[str]:
        return set(self._app_properties.get((key, value), ()))

    def with_property(self, key: str, value: str) -> set[str]:
        return set(self._properties.get((key, value), ()))

    def named(self, name: str) -> set[str]:
        return set(self._names.get(name, ()))

    def trashed(self) -> set[str]:
        return set(self._trashed)

    def modified(self, op: str, at: int) -> set[str] | None:
        """Ids whose modifiedTime (ms) compares ``op`` to ``at``; None for ``!=``."""
        times = self._by_modified
        # (ms,) sorts before every (ms, id): bisecting on it finds where ms begins.
        begins, after = bisect.bisect_left(times, (at,)), bisect.bisect_left(times, (at + 1,))
        spans = {
            ">": (after, len(times)),
            ">=": (begins, len(times)),
            "<": (0, begins),
            "<=": (0, after),
            "=": (begins, after),
        }
        if op not in spans:
            return None
        start, end = spans[op]
        return {file_id for _, file_id in times[start:end]}

    def in_table_order(self, ids: Iterable[str]) -> list[str]:
        """``ids`` in the order the table iterates them (the order a full scan meets them)."""
        return sorted(ids, key=lambda file_id: self._order.get(file_id, 0))

    def descendants(self, folder_id: str) -> list[str]:
        """Every id below ``folder_id``, parents before children: level by level, each level
        in table order (what scanning the table level by level finds)."""
        out: list[str] = []
        seen = {folder_id}
        frontier = [folder_id]
        while frontier:
            below = {c for parent in frontier for c in self._children.get(parent, ())} - seen
            found = self.in_table_order(below)
            seen.update(found)
            out.extend(found)
            frontier = found
        return out

    def __len__(self) -> int:
        return len(self._entries)


class FileTable(dict[str, Any]):
    """The store's files by id, indexed (see the module docstring). A dict in every other way:
    equal to a plain dict with the same items."""

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        super().__init__()
        self.index = FileIndex()
        self.update(items)

    def __setitem__(self, file_id: str, f: Any) -> None:
        previous = self.get(file_id)
        if previous is not None and previous is not f:
            self._release(previous, keep_place=True)  # a dict keeps a replaced key's place
        super().__setitem__(file_id, f)
        object.__setattr__(f, INDEX_ATTR, self.index)
        self.index.put(f)

    def __delitem__(self, file_id: str) -> None:
        f = self[file_id]
        super().__delitem__(file_id)
        self._release(f)

    def _release(self, f: Any, *, keep_place: bool = False) -> None:
        self.index.remove(f.id, keep_place=keep_place)
        if f.__dict__.get(INDEX_ATTR) is self.index:
            del f.__dict__[INDEX_ATTR]

    _MISSING = object()

    def pop(self, file_id: str, default: Any = _MISSING) -> Any:
        if file_id in self:
            f = self[file_id]
            del self[file_id]
            return f
        if default is FileTable._MISSING:
            raise KeyError(file_id)
        return default

    def popitem(self) -> tuple[str, Any]:
        file_id = next(reversed(self.keys()))
        return file_id, self.pop(file_id)

    def clear(self) -> None:
        for f in list(self.values()):
            self._release(f)
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for file_id, f in dict(*args, **kwargs).items():
            self[file_id] = f

    def setdefault(self, file_id: str, default: Any = None) -> Any:
        if file_id not in self:
            self[file_id] = default
        return self[file_id]

    def __ior__(self, other: Any) -> FileTable:  # type: ignore[override]
        self.update(other)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its items; loading rebuilds the index."""
        return (FileTable, (dict(self),))
