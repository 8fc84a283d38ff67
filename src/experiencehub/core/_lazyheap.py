"""A binary heap with lazy deletion: the ordered structure behind deadlines and waiting statistics.

Speed trick: ``heapq`` runs in C, and removing an item only records it as gone (one set insert);
gone items are dropped when they reach the top, or all at once when they are more than half the
heap. Push, discard and pop are O(log n) amortised, with a smaller constant than a sorted list's
remove. Items must be unique and hashable.

>>> h = LazyHeap()
>>> [h.push(x) for x in (3, 1, 2)]  # each push says whether the heap was empty before it
[True, False, False]
>>> h.discard(1); h.first(), len(h)
(2, 2)
>>> h.push(1)  # discarded but still held: revived
False
>>> h.pop(), h.pop(), h.pop(), bool(h)
(1, 2, 3, False)
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

__all__ = ["LazyHeap"]

COMPACT_SLACK = 1024
"""Gone items tolerated before a clean-up is considered (tests set 0 to stress it)."""


class LazyHeap:
    __slots__ = ("_gone", "_heap")

    def __init__(self) -> None:
        self._heap: list[Any] = []
        self._gone: set[Any] = set()

    def push(self, item: Any) -> bool:
        """Add an item; say whether the heap held no live item before. Pushing an item that was
        discarded but is still held revives it. Cost: O(log n)."""
        heap, gone = self._heap, self._gone
        was_empty = len(heap) <= len(gone)
        if gone and item in gone:
            gone.discard(item)
        else:
            heapq.heappush(heap, item)
        return was_empty

    def discard(self, item: Any) -> None:
        """Forget an item that is in the heap. Cost: O(1), plus an O(n) clean-up every n/2."""
        gone = self._gone
        gone.add(item)
        if len(gone) > COMPACT_SLACK and 2 * len(gone) > len(self._heap):
            self._heap = [x for x in self._heap if x not in gone]
            heapq.heapify(self._heap)
            gone.clear()

    def _clean_top(self) -> None:
        heap, gone = self._heap, self._gone
        while heap and heap[0] in gone:
            gone.discard(heapq.heappop(heap))

    def first(self) -> Any:
        """The smallest item, or None when empty. Cost: O(1) amortised."""
        if self._gone:
            self._clean_top()
        return self._heap[0] if self._heap else None

    def pop(self) -> Any:
        """Remove and return the smallest item (the heap must not be empty). Cost: O(log n)."""
        if self._gone:
            self._clean_top()
        return heapq.heappop(self._heap)

    def __len__(self) -> int:
        return len(self._heap) - len(self._gone)

    def __bool__(self) -> bool:
        return len(self._heap) > len(self._gone)

    def __contains__(self, item: object) -> bool:
        """Cost: O(n) — for checks and tests."""
        return item not in self._gone and item in self._heap

    def __iter__(self) -> Iterator[Any]:
        """Live items in no particular order. Cost: O(n)."""
        gone = self._gone
        return (x for x in self._heap if x not in gone)

    def _check(self) -> None:
        heap = self._heap
        assert self._gone <= set(heap), "an item gone that was never in the heap"
        for i in range(1, len(heap)):
            assert heap[(i - 1) // 2] <= heap[i], "heap order broken"
        assert len(set(heap)) == len(heap), "an item in the heap twice"
