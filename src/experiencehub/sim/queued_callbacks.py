"""Queued callbacks in the simulator: callers offered a callback when their queue's estimated wait
is long, the dials agents make, and the callback KPIs.

This module owns the *customer's side* of a queued callback (whether a caller accepts the offer,
whether a dial is answered), the record of each callback and its KPIs. The event loop
(:mod:`.engine`) calls it on the router's ``Alert(kind="estimated_wait")``, on a callback's offer
and on the dial's end; it never routes: the router keeps the callback's place, retries and gives
up (docs/routing.md, "Queued callbacks").

Theory of operation
-------------------
- **When.** A queue with ``queued_callback`` gets the router's estimated-wait alert at
  ``offer_above_seconds``; a contact queued with a longer estimate is offered a callback and
  ``accept`` (a probability) of callers take it. The caller hangs up: its patience no longer
  applies.
- **Dials.** An agent who accepts the callback's offer dials for ``dial_seconds``; each dial is
  answered with probability ``answer``. Answered: handled like any contact. Not answered: the
  agent is free at once and the router queues the contact again after ``retry_seconds``, until
  ``attempts`` dials failed.
- **Draws.** Each contact's callback draws from its own stream, seeded from the customer's issue
  and the contact's number, so callbacks never shift the draws of other contacts (common random
  numbers across policies). Scenarios without the key run exactly as before.

>>> from experiencehub.sim.scenario import QueuedCallback
>>> accepts = [draw_accept(QueuedCallback(accept=0.3, answer=0.5), seed=7, number=n) for n in range(2000)]
>>> 0.27 < sum(a is not None for a in accepts) / len(accepts) < 0.33
True
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .scenario_types import QueueConfig, QueuedCallback, Scenario

__all__ = [
    "CALLBACK_KPI_KEYS",
    "CallbackDesk",
    "CallbackVisit",
    "callback_columns",
    "callback_kpis",
    "draw_accept",
]

CALLBACK_KPI_KEYS = (
    "callbacks_offered",
    "callbacks_accepted",
    "callbacks_completed",
    "callbacks_failed",
    "attempts_per_completed",
    "request_to_connected",
    "abandonment_avoided",
)
"""Keys of every ``callbacks`` block, in report order (docs/kpis.md)."""


def draw_accept(config: QueuedCallback, *, seed: int, number: int) -> random.Random | None:
    """Whether the caller of contact ``number`` of the issue seeded ``seed`` accepts the callback
    offered: its callback's own stream (for the dials' draws after), or None when it declines.
    Cost: O(1) plus seeding the stream (one SHA-512)."""
    rng = random.Random(f"queued-callback/{seed}/{number}")
    return rng if rng.random() < config.accept else None


@attrs.define(slots=True)
class CallbackVisit:
    """One contact's callback: its queue and channel, when it was offered and requested, the dials
    made, and when it was connected (None: never) or given up."""

    contact_id: str
    queue: str
    channel: str
    offered_at: float
    requested_at: float | None = None
    dials: int = 0
    connected_at: float | None = None
    exhausted: bool = False
    would_abandon_at: float | None = None  # when its patience would have run out
    rng: random.Random | None = attrs.field(default=None, repr=False)
    # the queue's callback rules when it was offered (a later change of the queue's keys it)
    config: QueuedCallback | None = attrs.field(default=None, repr=False)


class CallbackDesk:
    """One replication's queued-callback rules and the callbacks offered."""

    def __init__(self, scenario: Scenario) -> None:
        self.by_queue = {q.name: q.queued_callback for q in scenario.queues if q.queued_callback}
        self.channels = {q.name: q.channel for q in scenario.queues}
        self.visits: list[CallbackVisit] = []
        self.live: dict[str, CallbackVisit] = {}  # callbacks requested, not yet ended

    @classmethod
    def of(cls, scenario: Scenario) -> CallbackDesk | None:
        """The desk of ``scenario``, or None when no queue takes callbacks, from the start or
        after one of its ``changes``. Cost: O(queues + changes)."""
        takes = any(
            q.queued_callback is not None or any(c.queued_callback is not None for c in q.changes)
            for q in scenario.queues
        )
        return cls(scenario) if takes else None

    def queue_changed(self, queue: QueueConfig) -> None:
        """A queue's ``changes`` entry took effect: its callbacks are offered by its new rules
        from now on (or no more); callbacks already offered keep theirs. Cost: O(1)."""
        if queue.queued_callback is None:
            self.by_queue.pop(queue.name, None)
        else:
            self.by_queue[queue.name] = queue.queued_callback

    def offer(
        self, contact_id: str, queue: str, now: float, *, seed: int, number: int,
        would_abandon_at: float | None,
    ) -> bool:  # fmt: skip
        """Offer contact ``contact_id`` of ``queue`` a callback now: True when the caller takes
        it (the engine sends ``CallbackRequested``). Cost: O(1)."""
        config = self.by_queue.get(queue)
        if config is None or contact_id in self.live:
            return False
        visit = CallbackVisit(contact_id, queue, self.channels[queue], now, config=config)
        self.visits.append(visit)
        visit.rng = draw_accept(config, seed=seed, number=number)
        if visit.rng is None:
            return False
        visit.requested_at, visit.would_abandon_at = now, would_abandon_at
        self.live[contact_id] = visit
        return True

    def dial_seconds(self, contact_id: str) -> float | None:
        """How long the agent's dial of a requested callback takes; None for a contact that is no
        callback. Cost: O(1)."""
        visit = self.live.get(contact_id)
        if visit is None:
            return None
        assert visit.config is not None  # a live callback was offered by its rules
        return visit.config.dial_seconds

    def dialled(self, contact_id: str, now: float) -> bool:
        """A dial ends now: True when the customer answered. Cost: O(1)."""
        visit = self.live[contact_id]
        assert visit.rng is not None
        assert visit.config is not None
        visit.dials += 1
        answered = visit.rng.random() < visit.config.answer
        if answered:
            visit.connected_at = now
            del self.live[contact_id]
        return answered

    def exhausted(self, contact_id: str) -> None:
        """The router gave the callback up after its last failed dial. Cost: O(1)."""
        visit = self.live.pop(contact_id, None)
        if visit is not None:
            visit.exhausted = True


# -- KPIs -------------------------------------------------------------------------------------
def callback_kpis(visits: Sequence[CallbackVisit], measured: tuple[float, float]) -> dict[str, Any]:
    """``{"overall": block, "by_queue": {...}, "by_channel": {...}}`` of the callbacks offered
    inside ``measured = (start, end)``. Each block holds :data:`CALLBACK_KPI_KEYS`
    (docs/kpis.md). Cost: O(visits).

    >>> v = [CallbackVisit("c1", "q", "phone", 0.0, 0.0, dials=2, connected_at=300.0, would_abandon_at=60.0),
    ...      CallbackVisit("c2", "q", "phone", 5.0, None)]
    >>> block = callback_kpis(v, (0.0, 100.0))["overall"]
    >>> block["callbacks_accepted"], block["attempts_per_completed"], block["request_to_connected"], block["abandonment_avoided"]
    (1, 2.0, 300.0, 1)
    """
    start, end = measured
    mine = [v for v in visits if start <= v.offered_at < end]
    by_queue: dict[str, list[CallbackVisit]] = defaultdict(list)
    by_channel: dict[str, list[CallbackVisit]] = defaultdict(list)
    for v in mine:
        by_queue[v.queue].append(v)
        by_channel[v.channel].append(v)
    return {
        "overall": _block(mine),
        "by_queue": {q: _block(vs) for q, vs in sorted(by_queue.items())},
        "by_channel": {c: _block(vs) for c, vs in sorted(by_channel.items())},
    }


def callback_columns(
    kpis: Mapping[str, Any], ci95: Mapping[str, Any]
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The ``callbacks`` blocks of a result's KPIs as table columns — ``all``, each queue, each
    channel (``channel:<name>``) — name → (means, 95% half-widths). Empty without callbacks.
    Cost: O(queues + channels).

    >>> kpis = {"callbacks": {"overall": {}, "by_queue": {"q": {}}, "by_channel": {"phone": {}}}}
    >>> list(callback_columns(kpis, {}))
    ['all', 'q', 'channel:phone']
    """
    means, halves = kpis.get("callbacks") or {}, ci95.get("callbacks") or {}
    if not means:
        return {}
    columns = {"all": (means["overall"], halves.get("overall") or {})}
    for part, prefix in (("by_queue", ""), ("by_channel", "channel:")):
        half = halves.get(part) or {}
        for name, block in means[part].items():
            columns[f"{prefix}{name}"] = (block, half.get(name) or {})
    return columns


def _block(visits: Sequence[CallbackVisit]) -> dict[str, float | int | None]:
    accepted = [v for v in visits if v.requested_at is not None]
    completed = [v for v in accepted if v.connected_at is not None]
    waits = [v.connected_at - v.requested_at for v in completed]  # type: ignore[operator]
    avoided = sum(
        1
        for v in accepted
        if v.would_abandon_at is not None
        and (v.connected_at is None or v.connected_at > v.would_abandon_at)
    )
    return {
        "callbacks_offered": len(visits),
        "callbacks_accepted": len(accepted),
        "callbacks_completed": len(completed),
        "callbacks_failed": sum(1 for v in accepted if v.exhausted),
        "attempts_per_completed": sum(v.dials for v in completed) / len(completed)
        if completed
        else None,
        "request_to_connected": sum(waits) / len(waits) if waits else None,
        "abandonment_avoided": avoided,
    }
