"""Real-time statistics, kept incrementally by the router so every read is O(1).

"Waiting" counts contacts not yet connected (waiting or being offered). Counters are totals since
the router was built; a host that wants intervals takes differences.

>>> s = RouterStats(["billing"])
>>> s.queued("billing", 10.0, 1); s.waiting("billing"), s.oldest_enqueued_at("billing")
(1, 10.0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from ._lazyheap import LazyHeap

__all__ = ["QueueCounters", "RouterStats"]


@attrs.define(slots=True)
class QueueCounters:
    """Totals for one queue since the router was built."""

    arrived: int = 0
    refused: int = 0
    answered: int = 0
    abandoned: int = 0
    transferred_in: int = 0
    transferred_out: int = 0
    answered_wait_seconds: float = 0.0


class RouterStats:
    """Waiting contacts, oldest wait and totals per queue; available agents per channel."""

    __slots__ = ("_available", "_counters", "_waiting")

    def __init__(self, queues: Iterable[str]) -> None:
        # per queue: (enqueued_at, seq) of every contact not yet connected, oldest first
        self._waiting: dict[str, LazyHeap] = {q: LazyHeap() for q in queues}
        self._counters: dict[str, QueueCounters] = {q: QueueCounters() for q in self._waiting}
        self._available: Callable[[str], int] = _nobody_available

    # -- written by the router -----------------------------------------------------------
    def queued(self, queue: str, enqueued_at: float, seq: int) -> None:
        """A contact starts waiting. Cost: O(log n)."""
        self._waiting[queue].push((enqueued_at, seq))

    def unqueued(self, queue: str, enqueued_at: float, seq: int) -> None:
        """A contact stops waiting (connected, abandoned, moved). Cost: O(1) amortised."""
        self._waiting[queue].discard((enqueued_at, seq))

    def counters(self, queue: str) -> QueueCounters:
        """Totals of a queue (mutable by the router; read-only for callers). Cost: O(1)."""
        return self._counters[queue]

    def bind_available(self, available: Callable[[str], int]) -> None:
        """Read available agents per channel from ``available`` (the pools'). Cost: O(1)."""
        self._available = available

    # -- read by anyone ------------------------------------------------------------------
    def waiting(self, queue: str) -> int:
        """Contacts of ``queue`` not yet connected. Cost: O(1)."""
        return len(self._waiting[queue])

    def oldest_enqueued_at(self, queue: str) -> float | None:
        """When the longest-waiting contact of ``queue`` was queued. Cost: O(1) amortised."""
        first = self._waiting[queue].first()
        return None if first is None else float(first[0])

    def oldest_wait(self, queue: str, now: float) -> float:
        """Seconds the longest-waiting contact of ``queue`` has waited at ``now``. Cost: O(1)."""
        oldest = self.oldest_enqueued_at(queue)
        return 0.0 if oldest is None else now - oldest

    def available_agents(self, channel: str) -> int:
        """Agents that can take a new contact on ``channel`` now. Cost: O(1)."""
        return self._available(channel)


def _nobody_available(_channel: str) -> int:
    return 0
