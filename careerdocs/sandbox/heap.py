"""Keeping the sandbox's resident memory near what it holds, not what it once touched.

Measured on a 60-person provision (bench/memory.py's set-up, upload fill): the store itself
needs little once cells and paragraphs are interned, yet the process kept ~85 MB more resident
than it used. Two reasons, both about garbage rather than state:

- Converting an upload builds an openpyxl workbook or a python-docx package: tens of thousands
  of objects in reference cycles, freed only by a full garbage collection, which CPython runs
  rarely once the heap is large.
- Memory freed by C ``free`` stays in glibc's per-thread arenas (the server answers each
  connection on its own thread) instead of going back to the system.

So after every :data:`REQUESTS_PER_SWEEP` API requests (a few people's provision) the server
sweeps: a full ``gc.collect()`` and, where the C library has it (glibc), ``malloc_trim(0)``,
which hands free pages back. A sweep costs a few tens of milliseconds; elsewhere (macOS, musl)
it only collects. Nothing here changes what any API answers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from collections.abc import Callable

REQUESTS_PER_SWEEP = 48


def _find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


class HeapKeeper:
    """Counts answered requests and sweeps the heap every ``every`` of them (thread-safe)."""

    def __init__(self, every: int = REQUESTS_PER_SWEEP) -> None:
        if every < 1:
            raise ValueError("every must be at least 1")
        self.every = every
        self.sweeps = 0
        self._requests = 0
        self._lock = threading.Lock()
        self._trim = _find_malloc_trim()

    def answered(self) -> None:
        """One request was answered; sweep when it completes a batch of ``every``."""
        with self._lock:
            self._requests += 1
            if self._requests < self.every:
                return
            self._requests = 0
        self.sweep()

    def sweep(self) -> None:
        """Free cyclic garbage now and give free memory back to the system."""
        gc.collect()
        if self._trim is not None:
            self._trim(0)
        with self._lock:
            self.sweeps += 1
