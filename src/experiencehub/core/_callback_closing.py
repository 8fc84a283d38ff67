"""Queued callbacks waiting for a retry when their queue closes (private; the layer between
:mod:`._callbacks` and :mod:`._handlers`, see :mod:`._state`).

A callback whose dial failed is SCHEDULED: in no line, counted as waiting, its retry a
deadline. It follows its queue's ``closed_rule`` like the contacts waiting in the queue:

- ``"end"``: at the closing it leaves with a ``Refused``, as a waiting contact does.
- ``"move"``: at the closing it moves to the queue's ``closed_queue`` (when that is open and
  not full; else it ends) and still waits for its retry there, then queues in that queue.
- ``"keep"``: it stays. A retry that falls while the queue is closed does not queue it (no
  agent dials out of hours): it is *held* and queues again when the queue opens
  (``QueueOpened`` or its hours), in the order the retries fell, at the place its policy gives.

A retry that falls while the queue is closed under ``"move"`` or ``"end"`` (a dial that failed
after the closing) follows the rule then. This layer never validates a caller's event.
"""

from __future__ import annotations

from typing import Any

from . import decisions as dc
from ._callbacks import RETRY, Callbacks
from .contacts import ContactState, ContactStatus
from .deadlines import AT, KIND
from .queues import KEY_SEQ, QueueSpec


class CallbackClosing(Callbacks):
    """What a queue's closing does to its callbacks waiting for a retry."""

    def __init__(self, **config: Any) -> None:
        # queue → callbacks whose retry fell while it was closed (rule "keep"), in the order
        # their retries fell; set before the lower layers, whose hours may open queues
        self.held_retries: dict[str, dict[str, None]] = {}
        super().__init__(**config)

    def retry_callback(
        self, contact: ContactState, out: list[dc.Decision], *, match: bool = True
    ) -> None:
        """The retry time came: queued again when its queue is open (``match``: see
        :meth:`.Callbacks.retry_callback`), else its queue's closing rule applies.
        Cost: O(log n)."""
        queue = contact.queue
        if queue.name not in self.closed:
            super().retry_callback(contact, out, match=match)
        elif queue.closed_rule == "keep":
            self.held_retries.setdefault(queue.name, {})[contact.contact_id] = None
        else:
            self._close_scheduled(contact, "before its callback retry", out, match=match)

    def close_queue(self, name: str, reason: str | None, out: list[dc.Decision]) -> None:
        """Close the queue (see :mod:`._queue_runtime`); then, under ``"move"`` or ``"end"``,
        its callbacks waiting for a retry follow the rule. Cost: O(k) more for those rules, for
        the queue's k contacts, plus moving or ending each."""
        queue = self.queues[name]
        newly = name not in self.closed
        super().close_queue(name, reason, out)
        if not newly or queue.closed_rule == "keep":
            return
        scheduled = ContactStatus.SCHEDULED
        for contact in [c for c in self.contacts_in(name) if c.status is scheduled]:
            self._close_scheduled(contact, "while its callback awaited a retry", out)

    def open_queue(self, name: str, out: list[dc.Decision]) -> None:
        """Open the queue; the callbacks held while it was closed queue again now. Cost: O(1),
        plus O(log n) for each held callback."""
        super().open_queue(name, out)
        held = self.held_retries.pop(name, None)
        for contact_id in held or ():
            super().retry_callback(self.contacts[contact_id], out)

    def forget_held(self, contact: ContactState) -> None:
        """A scheduled callback leaves the router (its customer cancelled it): it is no longer
        held. Cost: O(1)."""
        held = self.held_retries.get(contact.queue.name)
        if held is None or contact.contact_id not in held:
            return
        del held[contact.contact_id]
        if not held:
            del self.held_retries[contact.queue.name]

    def _close_scheduled(
        self, contact: ContactState, when: str, out: list[dc.Decision], *, match: bool = True
    ) -> None:
        """The closing rule ``"move"`` or ``"end"`` for a scheduled callback (``"move"`` with
        its ``closed_queue`` closed or full ends it too); ``match=False`` as for
        :meth:`retry_callback`: one moved at its retry only goes in the target's lines."""
        queue = contact.queue
        moving = queue.closed_rule == "move"
        target = self._open_target(queue) if moving else None
        if target is None:
            self.forget_held(contact)
            self._end_at_close(contact, self._closed_reason(queue, when, full=moving), out)
            return
        self.stats.counters(queue.name).closed_moved += 1
        retry = [entry for entry in contact.deadlines if entry[KIND] == RETRY]
        if not retry:  # its retry fell while closed: it queues in the target now
            contact.move("retry")
            self.transfer(contact, target, out, match=match)
            return
        self._move_scheduled(contact, target, retry[0][AT], out)

    def _move_scheduled(
        self, contact: ContactState, target: QueueSpec, retry_at: float, out: list[dc.Decision]
    ) -> None:
        """The scheduled callback moves to ``target`` and waits there for its retry, counted as
        waiting in ``target`` from now (as a transfer, at the back). Cost: O(1)."""
        source, now = contact.queue, self.now
        self.stats.unqueued(source.name, contact.enqueued_at, contact.key[KEY_SEQ])
        self.unroute_contact(contact)
        self.stats.counters(source.name).transferred_out += 1
        self.stats.counters(target.name).transferred_in += 1
        self.rehome(contact, target)
        contact.transfers += 1
        self.route_contact(contact, None)
        self.pools.forget_contact(contact.contact_id)
        self.seq += 1
        contact.key = (-target.base_priority(contact.priority, now), now, self.seq)
        contact.enqueued_at = now
        self.stats.queued(target.name, now, self.seq, now=now)
        summary = (
            f"queue {source.name} closed; the callback moves to {target.name} and queues "
            f"there at {retry_at:g}s"
        )
        out.append(self._callback_queued(contact, retry_at, summary))

    def _check_indexes(self) -> None:
        """Assert the indexes kept beside the contacts: each queue's members, the held
        callbacks."""
        self._check_members()
        self._check_held()

    def _check_held(self) -> None:
        """Assert: the held callbacks are exactly the scheduled ones without a retry deadline,
        each in a closed queue whose rule is ``"keep"``."""
        held = {cid for ids in self.held_retries.values() for cid in ids}
        for name, ids in self.held_retries.items():
            assert ids and name in self.closed and self.queues[name].closed_rule == "keep", name
            for cid in ids:
                assert self.contacts[cid].queue.name == name, cid
        for cid, contact in self.contacts.items():
            if contact.status is ContactStatus.SCHEDULED:
                waiting = any(entry[KIND] == RETRY for entry in contact.deadlines)
                assert waiting != (cid in held), cid
