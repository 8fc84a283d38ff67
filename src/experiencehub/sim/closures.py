"""Queues added, changed or closed during a simulated run: the router is told ``QueueAdded``
at a queue's ``added_at``, ``QueueChanged`` at each of its ``changes``, ``QueueClosed`` at each
closure's start (``[[queues]] closed``) and ``QueueOpened`` at its end, at their own times. A
queue with ``hours`` is opened and closed by the router itself; its closures are holidays.

This module only schedules those events; the router decides what closing means (arrivals
refused or sent to ``closed_queue``, contacts already waiting kept, moved or ended by the
queue's ``closed_rule``) and what a change does to the contacts and offers in the queue. It
never reads the router's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import events as ev
from .router_config import queue_spec
from .scenario_types import QueueConfig

__all__ = [
    "change_notes",
    "queue_changed",
    "schedule_additions",
    "schedule_changes",
    "schedule_closures",
]

Push = Callable[[float, Callable[..., None], Any, Any, Any], None]


def schedule_closures(
    queues: tuple[QueueConfig, ...], push: Push, send: Callable[[ev.Event], None]
) -> None:
    """Push every queue's closing and opening onto the run's event heap.
    Cost: O(c log h) for c closures on a heap of h entries."""
    for queue in queues:
        if queue.hours is not None:  # its closures are holidays of its hours (router_config)
            continue
        for closure in queue.closed:
            closed = ev.QueueClosed(at=closure.start, queue=queue.name, reason=closure.reason)
            push(closure.start, _send, send, closed, None)
            if closure.end is not None:
                push(closure.end, _send, send, ev.QueueOpened(at=closure.end, queue=queue.name), None)


def schedule_additions(
    queues: tuple[QueueConfig, ...], push: Push, send: Callable[[ev.Event], None]
) -> None:
    """Push ``QueueAdded`` of every queue with ``added_at`` onto the run's event heap. The
    engine pushes them first, so at equal times a queue exists before the agents who log in
    with it in their profile, its closures and its first arrival. Cost: O(q log h)."""
    for queue in queues:
        if queue.added_at is not None:
            added = ev.QueueAdded(at=queue.added_at, spec=queue_spec(queue))
            push(queue.added_at, _send, send, added, None)


def schedule_changes(
    queues: tuple[QueueConfig, ...], push: Push, change: Callable[[QueueConfig, Any, Any], None]
) -> None:
    """Push every queue's ``changes`` onto the run's event heap: at each change's time,
    ``change(queue, None, None)`` gets the queue as the change leaves it (the earlier changes
    applied first), to follow it and send :func:`queue_changed`. Cost: O(c · keys + c log h)
    for c changes."""
    for queue in queues:
        for at, version in queue.versions()[1:]:
            assert at is not None  # only the queue as configured has no time
            push(at, change, version, None, None)


def queue_changed(at: float, queue: QueueConfig) -> ev.QueueChanged:
    """The router's event for a queue changed at ``at`` into ``queue`` (a version of
    :meth:`~.scenario_types.QueueConfig.versions`). Cost: O(stages)."""
    return ev.QueueChanged(at=at, spec=queue_spec(queue))


def _send(send: Callable[[ev.Event], None], event: ev.Event, _unused: Any) -> None:
    send(event)


def change_notes(queues: tuple[QueueConfig, ...]) -> list[str]:
    """One line per queue changed during the run, for the reports: when, and which keys, e.g.
    ``"billing at 16200 s (stages, service_level_seconds)"``. Cost: O(changes · keys).

    >>> from experiencehub.sim.scenario_types import QueueChange
    >>> q = QueueConfig(name="b", channel="phone", changes=(QueueChange(at=60.0, max_length=5),))
    >>> change_notes((q,))
    ['b at 60 s (max_length)']
    """
    return [
        f"{queue.name} at {change.at:g} s ({', '.join(change.key_names())})"
        for queue in queues
        for change in queue.changes
    ]
