"""ClosingModel: what a queue's closing does to the contacts in it under the closing rules
``"move"`` and ``"end"`` (docs/routing.md, "Closing and opening a queue"), restated from the
documentation, never from the router's code.

At a ``QueueClosed`` the queue's waiting contacts leave, then its ringing ones, then its
callbacks awaiting a retry, each group in arrival order: under ``"move"`` to the queue's
``closed_queue`` when that is open and not full at that moment (a transfer: it waits anew, with
its priority and without its criteria, never offered to an agent still wrapping it up nor, a
consult leg, to the agent who asked; a ringing offer is withdrawn first, its agent not
excluded); otherwise (or under ``"end"``) it leaves the router with a ``Refused`` saying the
queue closed, an open offer withdrawn first. A moved callback awaiting its retry waits for it in
the new queue, at the back. Connected and dialling contacts stay. A callback whose retry falls
while its queue is closed under those rules leaves the same way then.

The decisions show each contact's turn: the first one naming a leaving contact starts it, so the
model decides "moved or ended" against the state the decisions before it left (a moved contact
an auto-accepting agent took no longer fills the target). A ringing contact's turn starts with
its ``OfferWithdrawn`` and completes with its next decision (its ``Refused``, or its first
decision in the new queue); in between it is in no queue (status ``"moving"``), as in the
router, where the agent whose offer was withdrawn looks for other work first. It changes only
the model's own state.
"""

from __future__ import annotations

from ..core import decisions as dc
from ..core.queues import QueueSpec
from ._model_config import RouterConfig
from ._model_consult import ConsultEffects
from ._model_state import ModelContact, check

__all__ = ["ClosingModel"]

MOVING = "moving"
"""The model's status of a ringing contact between its offer's withdrawal and its move."""


class ClosingModel(ConsultEffects):
    """The closing rules ``"move"`` and ``"end"`` (see the module docstring). Costs: O(C) per
    ``QueueClosed`` for C live contacts; O(1) per decision besides the move it starts."""

    def __init__(self, config: RouterConfig) -> None:
        super().__init__(config)
        self.closing: tuple[str, list[str]] | None = None  # (queue, contacts still to leave)
        self.moving: dict[str, tuple[str, str | None]] = {}  # withdrawn: (queue, target or None)

    def _finish(self, contact_id: str, outcome: str) -> None:
        raise NotImplementedError  # ModelOracle's

    def close(self, name: str) -> None:
        """The queue closes (closing a closed queue changes nothing): under ``"move"`` or
        ``"end"`` its waiting, ringing and scheduled contacts are to leave, in that order.
        Cost: O(C) for C live contacts."""
        if name in self.closed:
            return
        self.closed.add(name)
        if self.queues[name].closed_rule == "keep":
            return
        mine = [c for c in self.contacts.values() if c.queue == name]
        order = ("waiting", "offered", "scheduled")
        self.closing = (name, [c.contact_id for s in order for c in mine if c.status == s])

    def leave_closed_queue(self, d: dc.Decision) -> None:
        """Before ``d`` is replayed: the move or end of a contact leaving a closed queue that
        ``d`` shows (the start or the end of its turn), checked. Cost: O(1), plus the move."""
        cid = getattr(d, "contact_id", None)
        if cid is None:
            return
        if cid in self.moving:
            self._after_withdrawal(cid, d)
            return
        if self.closing is not None and cid in self.closing[1]:
            name, leaving = self.closing
            check(
                cid == leaving[0],
                f"{d!r}: {cid} leaves closed queue {name} before {leaving[0]} (its waiting "
                "contacts first, then its ringing ones, then its callbacks awaiting a retry, "
                "each in arrival order)",
            )
            leaving.pop(0)
            self._leave(self.contacts[cid], d)
            return
        contact = self.contacts.get(cid)
        if contact is not None and self._retry_fell_while_closed(contact, d):
            self._leave(contact, d)

    def check_closing_done(self) -> None:
        """After an event's decisions: every contact its queue's closing sent away left.
        Cost: O(1)."""
        left = [] if self.closing is None else self.closing[1]
        if self.closing is not None:
            queue = self.queues[self.closing[0]]
            check(
                not left,
                f"{left}: still in closed queue {queue.name} (closing rule "
                f"{queue.closed_rule!r}): neither moved to {queue.closed_queue} nor ended",
            )
        check(not self.moving, f"{sorted(self.moving)}: offer withdrawn at a closing, then lost")
        self.closing = None

    def _retry_fell_while_closed(self, contact: ModelContact, d: dc.Decision) -> bool:
        """A scheduled callback whose retry is due, in a queue closed under ``"move"`` or
        ``"end"``: the rule applies at its retry (its ``CallbackQueued`` comes first)."""
        return (
            contact.status == "scheduled"
            and contact.queue in self.closed
            and self.queues[contact.queue].closed_rule != "keep"
            and contact.retry_at is not None
            and contact.retry_at <= d.at
            and not isinstance(d, dc.CallbackQueued)
        )

    def _leave(self, contact: ModelContact, d: dc.Decision) -> None:
        """The contact's turn begins with ``d``: moved or ended, as the state now allows."""
        queue = self.queues[contact.queue]
        target = self._open_target(queue) if queue.closed_rule == "move" else None
        if contact.status == "offered":
            self._withdrawn(contact, queue, target, d)
        elif target is None:
            self._end(contact, queue, d)
        elif (
            contact.status == "scheduled"
            and contact.retry_at is not None
            and (contact.retry_at > d.at)
        ):
            check(
                isinstance(d, dc.CallbackQueued),
                f"{d!r}: {contact.contact_id} (a callback awaiting its retry) should move to "
                f"{target.name} and say so with a CallbackQueued",
            )
            self._move_scheduled(contact, target, d.at)
        else:
            self._move(contact, target, d)

    def _open_target(self, queue: QueueSpec) -> QueueSpec | None:
        """The queue's ``closed_queue`` when it is open and not full now (one hop only)."""
        name = queue.closed_queue
        if name is None or name in self.closed:
            return None
        target = self.queues[name]
        full = target.max_length is not None and self.waiting_count(name) >= target.max_length
        return None if full else target

    def _withdrawn(
        self, contact: ModelContact, queue: QueueSpec, target: QueueSpec | None, d: dc.Decision
    ) -> None:
        cid = contact.contact_id
        check(
            isinstance(d, dc.OfferWithdrawn) and d.agent_id == contact.agent_id,
            f"{d!r}: {cid}'s offer to {contact.agent_id} must be withdrawn first as its queue "
            f"{queue.name} closes",
        )
        assert isinstance(d, dc.OfferWithdrawn)
        check(f"queue {queue.name} closed" in d.reason, f"{d!r}: the reason must say closed")
        self.moving[cid] = (queue.name, None if target is None else target.name)
        if target is None:  # it is gone: the agent freed looks for other work
            self._gone(contact)
        else:
            contact.status, contact.agent_id, contact.offer_expires = MOVING, None, None

    def _after_withdrawal(self, cid: str, d: dc.Decision) -> None:
        """The next decision of a contact whose offer was withdrawn at the closing: its
        ``Refused``, or its first in the target queue."""
        name, target = self.moving.pop(cid)
        if target is None:
            self._check_refused(cid, name, d)
        else:
            self._move(self.contacts[cid], self.queues[target], d)

    def _end(self, contact: ModelContact, queue: QueueSpec, d: dc.Decision) -> None:
        self._check_refused(contact.contact_id, queue.name, d)
        self._gone(contact)

    def _check_refused(self, cid: str, name: str, d: dc.Decision) -> None:
        queue = self.queues[name]
        rule = (
            "'end'"
            if queue.closed_rule == "end"
            else f"'move', {queue.closed_queue} closed or full"
        )
        why = f"{cid} should leave with a Refused as its queue {name} closed (rule {rule})"
        check(isinstance(d, dc.Refused), f"{d!r}: {why}")
        assert isinstance(d, dc.Refused)
        check(d.queue == name and f"queue {name} closed" in d.reason, f"{d!r}: {why}")

    def _gone(self, contact: ModelContact) -> None:
        """The contact leaves the router (a consult leg ends its consult)."""
        cid = contact.contact_id
        if cid in self.legs:
            self._close_consult(self.consults[self.legs[cid]])
            return
        del self.contacts[cid]
        self._finish(cid, "refused")

    def _move(self, contact: ModelContact, target: QueueSpec, d: dc.Decision) -> None:
        """Transferred to ``target``: it waits there anew (see the module docstring)."""
        cid = contact.contact_id
        # a callback moved the moment its dial failed goes in the target's line first
        unmatched = contact.status == "scheduled" and contact.in_line
        check(
            not isinstance(d, (dc.Refused, dc.OfferWithdrawn, dc.CallbackQueued)),
            f"{d!r}: {cid} should move to {target.name} (open, not full) as its queue "
            f"{contact.queue} closed",
        )
        excluded = {
            agent.agent_id
            for agent in self.agents.values()
            if agent.slots.get(cid, ("", ""))[1] in ("wrap", "wrap_pending")
        }
        if cid in self.legs:  # a consult leg never goes to the agent who asked
            excluded.add(self.consults[self.legs[cid]].requester)
        contact.status, contact.agent_id, contact.offer_expires = "waiting", None, None
        contact.queue, contact.criteria, contact.excluded = target.name, None, excluded
        contact.retry_at = None
        self._start_waiting(contact, d.at)
        contact.in_line = unmatched

    def _move_scheduled(self, contact: ModelContact, target: QueueSpec, at: float) -> None:
        """A callback awaiting its retry moves to ``target``, at its back, and still waits for
        its retry there."""
        self.seq += 1
        base = target.priority_weight * contact.priority - target.aging_per_minute / 60.0 * at
        contact.queue, contact.criteria, contact.key = target.name, None, (-base, at, self.seq)
