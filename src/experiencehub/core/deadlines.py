"""Deadlines: every timed thing the router must do, in one ordered structure.

An entry is ``(at, seq, kind, subject, detail)``: ``seq`` makes entries unique and orders equal
times by creation, so deadlines due at the same instant apply in a fixed order. Owners keep their
entries to cancel them exactly; cancelled entries are skipped lazily (see :mod:`._lazyheap`), but
``next_at`` is always a real deadline.

>>> d = Deadlines()
>>> e = d.add(30.0, "stage", "c1")
>>> d.next_at(), d.maybe_due(29.0), d.maybe_due(30.0)
(30.0, False, True)
>>> d.cancel(e); d.next_at() is None
True
"""

from __future__ import annotations

import heapq
from typing import Final

from ._lazyheap import LazyHeap

__all__ = ["AT", "DETAIL", "KIND", "SUBJECT", "Deadline", "Deadlines"]

Deadline = tuple[float, int, str, str, str]
# positions in a Deadline: (at, seq, kind, subject, detail)
AT: Final = 0
SEQ: Final = 1
KIND: Final = 2
SUBJECT: Final = 3
DETAIL: Final = 4


class Deadlines(LazyHeap):
    __slots__ = ("_seq",)

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0

    def add(self, at: float, kind: str, subject: str, detail: str = "") -> Deadline:
        """Schedule; returns the entry to cancel it with. Cost: O(log n)."""
        self._seq += 1
        entry: Deadline = (at, self._seq, kind, subject, detail)
        heapq.heappush(self._heap, entry)  # a new seq: never one that was discarded
        return entry

    def cancel(self, entry: Deadline) -> None:
        """Cost: O(1) amortised."""
        self.discard(entry)

    def next_at(self) -> float | None:
        """Time of the earliest deadline. Cost: O(1) amortised."""
        first = self.first()
        return None if first is None else float(first[0])

    def maybe_due(self, at: float) -> bool:
        """False when surely nothing is due at ``at`` (the common case, answered without
        cleaning cancelled entries); True when something may be. Cost: O(1)."""
        heap = self._heap
        return bool(heap) and heap[0][0] <= at

    def pop_due(self, at: float) -> Deadline | None:
        """Remove and return the earliest entry due at or before ``at``. Cost: O(log n)."""
        first = self.first()
        if first is not None and first[0] <= at:
            entry: Deadline = self.pop()
            return entry
        return None
