"""Deadlines: every timed thing the router must do, in one ordered structure.

An entry is ``(at, seq, kind, subject, detail)``: ``seq`` makes entries unique and orders equal
times by creation, so deadlines due at the same instant apply in a fixed order. Entries added
with :meth:`Deadlines.add_first` (a queue's hours) come before every other entry due at the
same instant, among themselves by their rank, then by creation. Owners keep their
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


_RANK_SPAN: Final = 2**40
"""More deadlines than one router ever creates: ranks of :meth:`Deadlines.add_first` never mix."""
_FIRST: Final = -(2**62)
"""Below every seq :meth:`Deadlines.add_first` makes for a rank under 2**21, and every add()'s."""


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

    def add_first(self, at: float, kind: str, subject: str, rank: int) -> Deadline:
        """Schedule ahead of every entry :meth:`add` made for the same instant; entries added
        here for one instant order by ``rank`` (0 or more), then by creation. Cost: O(log n).

        >>> d = Deadlines()
        >>> _ = d.add(5.0, "stage", "c1"); _ = d.add_first(5.0, "hours", "q2", 1)
        >>> _ = d.add_first(5.0, "hours", "q1", 0)
        >>> [d.pop_due(5.0)[3] for _ in range(3)]
        ['q1', 'q2', 'c1']
        """
        self._seq += 1
        seq = _FIRST + rank * _RANK_SPAN + self._seq  # negative: before every add() at ``at``
        entry: Deadline = (at, seq, kind, subject, "")
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
