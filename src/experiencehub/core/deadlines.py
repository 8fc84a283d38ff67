"""Deadlines: every timed thing the router must do, in one ordered structure.

An entry is ``(at, seq, kind, subject, detail)``: ``seq`` makes entries unique and orders equal
times by creation, so deadlines due at the same instant apply in a fixed order. Owners keep their
entries to cancel them exactly; cancelled entries are skipped lazily (see :mod:`._lazyheap`), but
``next_at`` is always a real deadline.

>>> d = Deadlines()
>>> e = d.add(30.0, "stage", "c1")
>>> d.next_at()
30.0
>>> d.cancel(e); d.next_at() is None
True
"""

from __future__ import annotations

from ._lazyheap import LazyHeap

__all__ = ["Deadline", "Deadlines"]

Deadline = tuple[float, int, str, str, str]


class Deadlines:
    __slots__ = ("_entries", "_seq")

    def __init__(self) -> None:
        self._entries = LazyHeap()
        self._seq = 0

    def add(self, at: float, kind: str, subject: str, detail: str = "") -> Deadline:
        """Schedule; returns the entry to cancel it with. Cost: O(log n)."""
        self._seq += 1
        entry: Deadline = (at, self._seq, kind, subject, detail)
        self._entries.push(entry)
        return entry

    def cancel(self, entry: Deadline) -> None:
        """Cost: O(1) amortised."""
        self._entries.discard(entry)

    def next_at(self) -> float | None:
        """Time of the earliest deadline. Cost: O(1) amortised."""
        first = self._entries.first()
        return None if first is None else float(first[0])

    def pop_due(self, at: float) -> Deadline | None:
        """Remove and return the earliest entry due at or before ``at``. Cost: O(log n)."""
        first = self._entries.first()
        if first is not None and first[0] <= at:
            entry: Deadline = self._entries.pop()
            return entry
        return None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry: object) -> bool:
        return entry in self._entries

    def _check(self) -> None:
        self._entries._check()
