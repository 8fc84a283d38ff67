"""Real-time statistics, kept incrementally by the router so every read is O(1).

"Waiting" counts contacts not yet connected (waiting or being offered). Counters are totals since
the router was built; a host that wants intervals takes differences.

Estimated wait time (:meth:`RouterStats.estimated_wait`): a contact at position ``k`` of its line
is expected to wait ``k`` times the queue's recent *departure interval* — the mean time between
two contacts leaving the queue's lines for an agent while contacts were waiting, over the last
``EWT_WINDOW`` departures. An interval runs from the later of the previous departure and the time
the queue last went from nobody waiting to someone waiting, to the departure, so idle time is never
counted. With every agent busy and service times memoryless this is exactly the mean
wait (``k / (c·μ)`` for ``c`` agents serving at rate ``μ``); the tests check it against simulated
waits. Unknown (None) until a queue has had one departure from a line.

>>> s = RouterStats(["billing"])
>>> s.queued("billing", 10.0, 1, now=10.0); s.waiting("billing"), s.oldest_enqueued_at("billing")
(1, 10.0)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

import attrs

from ._lazyheap import LazyHeap

__all__ = ["EWT_WINDOW", "QueueCounters", "RouterStats"]

EWT_WINDOW = 32
"""Departures the estimated wait time averages over: enough to smooth single service times (the
mean of 32 exponential intervals is within ±35 % of the true mean 95 % of the time), few enough to
follow a change of staffing within a few minutes of traffic."""


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
    closed_refused: int = 0  # arrivals refused, and contacts ended, because the queue was closed
    closed_moved: int = 0  # arrivals sent to, and contacts moved to, the queue's closed_queue
    # queued callbacks: requested, answered, dials that failed, given up after the last dial
    callbacks_requested: int = 0
    callbacks_answered: int = 0
    callbacks_failed: int = 0
    callbacks_exhausted: int = 0


class RouterStats:
    """Waiting contacts, oldest wait and totals per queue; available agents per channel."""

    __slots__ = ("_available", "_counters", "_departures", "_waiting")

    def __init__(self, queues: Iterable[str]) -> None:
        # per queue: (enqueued_at, seq) of every contact not yet connected, oldest first
        self._waiting: dict[str, LazyHeap] = {q: LazyHeap() for q in queues}
        self._counters: dict[str, QueueCounters] = {q: QueueCounters() for q in self._waiting}
        self._available: Callable[[str], int] = _nobody_available
        # per queue: the recent departure intervals, their sum and the last departure's time
        self._departures: dict[str, _Departures] = {q: _Departures() for q in self._waiting}

    # -- written by the router -----------------------------------------------------------
    def add_queue(self, queue: str) -> None:
        """A queue added at run time starts with nothing waiting and zero totals. Cost: O(1)."""
        self._waiting.setdefault(queue, LazyHeap())
        self._counters.setdefault(queue, QueueCounters())
        self._departures.setdefault(queue, _Departures())

    def queued(self, queue: str, enqueued_at: float, seq: int, *, now: float) -> None:
        """A contact starts waiting at ``now`` (``enqueued_at`` is earlier when it kept an old
        place: a rejoin, a callback whose dial failed). Cost: O(log n)."""
        if self._waiting[queue].push((enqueued_at, seq)):
            # the queue had nobody waiting until now (not since its old place)
            self._departures[queue].busy_since = now

    def unqueued(self, queue: str, enqueued_at: float, seq: int) -> None:
        """A contact stops waiting (connected, abandoned, moved). Cost: O(1) amortised."""
        self._waiting[queue].discard((enqueued_at, seq))

    def departed(self, queue: str, now: float) -> None:
        """A contact of ``queue`` left its line for an agent (before ``unqueued``, so the queue
        still counts it). Cost: O(1) amortised."""
        departures = self._departures[queue]  # the window's update, inline (hot path)
        last, busy_since, intervals = departures.last, departures.busy_since, departures.intervals
        interval = now - (last if last > busy_since else busy_since)
        departures.last = now
        intervals.append(interval)
        total = departures.total + interval
        if len(intervals) > EWT_WINDOW:
            total -= intervals.popleft()
        departures.adds += 1
        # re-summed now and then: rounding would drift over millions of departures
        departures.total = total if departures.adds % 1024 else sum(intervals)

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

    def estimated_wait(self, queue: str, position: int) -> float | None:
        """Seconds a contact at ``position`` (1-based) of ``queue``'s line is expected to wait
        from now (method in the module docstring); None until the queue has had a departure from
        a line. Cost: O(1).
        """
        departures = self._departures[queue]
        intervals = departures.intervals
        return position * (departures.total / len(intervals)) if intervals else None

    def available_agents(self, channel: str) -> int:
        """Agents that can take a new contact on ``channel`` now. Cost: O(1)."""
        return self._available(channel)


def _nobody_available(_channel: str) -> int:
    return 0


class _Departures:
    """The last ``EWT_WINDOW`` departure intervals of one queue, and their running sum
    (written and read by :class:`RouterStats` alone: ``departed`` and ``estimated_wait``)."""

    __slots__ = ("adds", "busy_since", "intervals", "last", "total")

    def __init__(self) -> None:
        self.intervals: deque[float] = deque()
        self.total = 0.0
        self.last = 0.0
        self.adds = 0
        # when the queue last went from nobody waiting to someone (set by RouterStats.queued)
        self.busy_since = 0.0
