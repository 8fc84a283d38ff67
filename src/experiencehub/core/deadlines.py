"""Deadlines: every timed thing the router must do, in one sorted structure.

An entry is ``(at, seq, kind, subject, detail)``: ``seq`` makes entries unique and orders equal
times by creation, so deadlines due at the same instant apply in a fixed order. Owners keep their
entries to cancel them exactly (no lazy deletion, so ``next_at`` is always a real deadline).

>>> d = Deadlines()
>>> e = d.add(30.0, "stage", "c1")
>>> d.next_at()
30.0
>>> d.cancel(e); d.next_at() is None
True
"""

from __future__ import annotations

from sortedcontainers import SortedList

__all__ = ["Deadline", "Deadlines"]

Deadline = tuple[float, int, str, str, str]


class Deadlines:
    __slots__ = ("_entries", "_seq")

    def __init__(self) -> None:
        self._entries = SortedList()
        self._seq = 0

    def add(self, at: float, kind: str, subject: str, detail: str = "") -> Deadline:
        """Schedule; returns the entry to cancel it with. Cost: O(log n)."""
        self._seq += 1
        entry: Deadline = (at, self._seq, kind, subject, detail)
        self._entries.add(entry)
        return entry

    def cancel(self, entry: Deadline) -> None:
        """Cost: O(log n)."""
        self._entries.remove(entry)

    def next_at(self) -> float | None:
        """Time of the earliest deadline. Cost: O(1)."""
        return self._entries[0][0] if self._entries else None

    def pop_due(self, at: float) -> Deadline | None:
        """Remove and return the earliest entry due at or before ``at``. Cost: O(log n)."""
        if self._entries and self._entries[0][0] <= at:
            entry: Deadline = self._entries.pop(0)
            return entry
        return None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry: object) -> bool:
        return entry in self._entries

    def _check(self) -> None:
        self._entries._check()
