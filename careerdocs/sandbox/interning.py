"""Hash-consing for the sandbox's immutable content: one shared object per distinct value.

A provisioned company holds thousands of spreadsheets and documents made from the same few
templates, so almost every cell, row of cells and paragraph is equal to one already held by
another file. :class:`Interner` maps a value's key to the one live object with that value, so
equal content is stored once however many files hold it (the sandbox's memory target: 2,000
people under 500 MB, issue 12).

What callers must know:

- Only objects that are never changed in place may be interned: every holder shares them.
- The table holds its objects weakly: an object no file uses any more is freed, and its entry
  with it. So a key may be built from the ``id()`` of interned parts only while the object made
  of them is alive (it keeps its parts alive, so their ids cannot be reused meanwhile).
- Interning is an optimisation, never a meaning: code must compare content, not identity. Two
  threads interning equal values at once may both keep their own object; that costs memory,
  not correctness.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Interner(Generic[T]):
    """The canonical object for each key, held weakly (see the module docstring)."""

    def __init__(self) -> None:
        self._table: weakref.WeakValueDictionary[Hashable, T] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()

    def get(self, key: Hashable, value: T) -> T:
        """The live object interned under ``key``, or ``value`` (now interned) if none."""
        with self._lock:
            found = self._table.get(key)
            if found is not None:
                return found
            self._table[key] = value
            return value

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """As :meth:`get`, building the value only when ``key`` is not interned yet."""
        with self._lock:
            found = self._table.get(key)
            if found is not None:
                return found
            value = make()
            self._table[key] = value
            return value

    def __len__(self) -> int:
        return len(self._table)


def json_key(value: Any) -> str | None:
    """A hashable key for a JSON-like value (dicts, lists, strings, numbers, booleans, None):
    equal for equal values whatever their dicts' key order, and distinct for ``1``, ``1.0``
    and ``true``, which JSON tells apart. None for None."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
