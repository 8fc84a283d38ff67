"""Consults and warm transfers (private; a layer of the router's state between
:mod:`._queue_runtime` and :mod:`._handlers`, see :mod:`._state`).

The agent connected to a contact consults a colleague while the customer holds. The consult is a
leg of its own: a :class:`~.contacts.ContactState` under the caller's ``consult_id``, in the
consulted queue (the contact's channel), that waits, is offered, accepted, rejected or expires
like any contact, and never goes to the agent who asked (it starts excluded). The agent who takes
it holds the leg in one slot of the contact's channel. The contact itself stays connected to the
first agent throughout.

How a consult ends (``ConsultEnded.outcome``):

- ``cancel`` — the leg is still waiting or offered: it leaves (an open offer is withdrawn);
- ``return`` — the leg is connected: the consulted agent's slot frees at once (no wrap-up);
- ``transfer`` — warm transfer: the first agent wraps the contact up (its queue's wrap-up), the
  consulted agent holds the contact itself (connected), which now belongs to the consulted queue;
- ``conference`` — both keep it; the leg stays connected until the contact ends, then each
  agent wraps up its own (the first the contact, the consulted one the leg's id).

A leg for a closed or full queue is refused (a ``Refused`` naming the leg; no consult starts), as
a transfer there would be; a leg waiting in a queue that closes follows the queue's closing rule
like any contact (moved, or refused, which ends the consult).

The customer hanging up (``ContactEnded`` of the contact) ends its consult too: a leg still waiting
or offered is cancelled, a connected one returns, a conference leg wraps up. The leg never ends
on its own: ``ContactEnded``, ``ContactAbandoned`` and ``ContactTransferred`` of a leg, a transfer
of a contact whose consult is open, and a second consult are refused (``InvalidTransition``).

This layer must never change how a contact without a consult is routed: with no consult open its
only cost is one empty-dict test per offer.
"""

from __future__ import annotations

from typing import Any

import attrs

from . import decisions as dc
from . import events as ev
from ._queue_runtime import QueueRuntime
from .agents import AgentState, AgentStatus, WorkPhase
from .contacts import ContactState, ContactStatus
from .errors import DuplicateId, InvalidEvent, InvalidTransition
from .queues import QueueSpec


class Consult:
    """One open consult: its leg's id, the agent who asked, and whether it is a conference."""

    __slots__ = ("conference", "consult_id", "contact_id", "requester", "started_at")

    def __init__(self, contact_id: str, consult_id: str, requester: str, at: float) -> None:
        self.contact_id = contact_id
        self.consult_id = consult_id
        self.requester = requester
        self.started_at = at
        self.conference = False

    def describe(self) -> str:
        """``consult k1 of c1 by a1`` (for explanations). Cost: O(1)."""
        kind = "conference" if self.conference else "consult"
        return f"{kind} {self.consult_id} of {self.contact_id} by {self.requester}"

    def __repr__(self) -> str:
        return f"<Consult {self.describe()}>"


class Consulting(QueueRuntime):
    """Consult legs: their checks (never mutate) and moves."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.consults: dict[str, Consult] = {}  # contact id → its open consult
        self.consult_legs: dict[str, Consult] = {}  # leg id → the same consult

    # -- checks (never mutate) ------------------------------------------------------------
    def check_not_leg(self, contact_id: str, what: str) -> None:
        """A consult leg ends only through ``ConsultEnded`` or its contact. Cost: O(1)."""
        consult = self.consult_legs.get(contact_id)
        if consult is not None:
            raise InvalidTransition(
                f"{contact_id}: cannot {what} a consult leg ({consult.describe()}); "
                "it ends with ConsultEnded or when its contact ends"
            )

    def check_no_consult(self, contact_id: str, what: str) -> None:
        """The contact has no open consult. Cost: O(1)."""
        consult = self.consults.get(contact_id)
        if consult is not None:
            raise InvalidTransition(
                f"{contact_id}: cannot {what} while its {consult.describe()} is open "
                "(end it with ConsultEnded first)"
            )

    def check_consult_request(self, e: ev.ConsultRequested) -> None:
        """The contact is connected, not itself a leg and without a consult; the leg's id is
        new; the queue (or the contact's queue, for an agent) serves the contact's channel; a
        named agent could take it. Cost: O(1)."""
        contact = self.contact(e.contact_id)
        self.check_not_leg(e.contact_id, "consult for")
        self.check_no_consult(e.contact_id, "consult again")
        if contact.status is not ContactStatus.CONNECTED:
            raise InvalidTransition(
                f"{e.contact_id}: cannot consult while {contact.status.value} "
                "(only the connected agent consults)"
            )
        cid = e.consult_id
        if cid in self.contacts or cid in self.wrapping:
            raise DuplicateId(f"{cid}: a contact with this id is still in the router")
        queue = self.consult_queue(contact, e)
        if queue.channel != contact.queue.channel:
            raise InvalidEvent(
                f"{cid}: queue {queue.name} is on {queue.channel}; a consult of {e.contact_id} "
                f"uses a {contact.queue.channel} slot, so it needs a {contact.queue.channel} queue"
            )
        if e.agent_id is not None:
            self.check_consulted_agent(contact, queue, e.agent_id)

    def consult_queue(self, contact: ContactState, e: ev.ConsultRequested) -> QueueSpec:
        """The queue the leg waits in: the named one, else the contact's. Cost: O(1)."""
        return contact.queue if e.queue is None else self.queue(e.queue)

    def check_consulted_agent(self, contact: ContactState, queue: QueueSpec, agent_id: str) -> None:
        """The named agent is logged in, not leaving, not the one asking, and could take the
        leg from ``queue`` within its affinity window. Cost: O(1)."""
        agent = self.agent(agent_id)
        where = f"{contact.contact_id}: cannot consult {agent_id}"
        if agent.status is AgentStatus.LOGGING_OUT:
            raise InvalidTransition(f"{where}: it is logging out and takes no new work")
        if agent_id == contact.agent_id:
            raise InvalidTransition(f"{where}: it is the agent asking")
        if queue.affinity_seconds <= 0:
            raise InvalidEvent(
                f"{where}: queue {queue.name} has affinity_seconds=0, no time to wait for an agent"
            )
        if not self.can_prefer(agent_id, queue):
            raise InvalidEvent(
                f"{where}: it cannot serve queue {queue.name} (skills or {queue.channel} capacity)"
            )

    def check_consult_end(self, e: ev.ConsultEnded) -> None:
        """The contact has an open consult whose leg is in a state the outcome allows: cancel
        before it connected, the others after, conference once. Cost: O(1)."""
        self.contact(e.contact_id)
        consult = self.consults.get(e.contact_id)
        if consult is None:
            raise InvalidTransition(f"{e.contact_id}: no consult is open for this contact")
        leg = self.contacts[consult.consult_id]
        connected = leg.status is ContactStatus.CONNECTED
        if e.outcome == "cancel" and connected:
            raise InvalidTransition(
                f"{e.contact_id}: cannot cancel the {consult.describe()}: {leg.agent_id} took it "
                "(end it with return, transfer or conference)"
            )
        if e.outcome != "cancel" and not connected:
            raise InvalidTransition(
                f"{e.contact_id}: cannot {e.outcome} the {consult.describe()} while its leg is "
                f"{leg.status.value} (cancel it, or wait until an agent accepts it)"
            )
        if e.outcome == "conference" and consult.conference:
            raise InvalidTransition(f"{e.contact_id}: the {consult.describe()} is one already")

    # -- lookups the last layer provides (raising the caller's error) ----------------------
    def contact(self, contact_id: str) -> ContactState:
        """The contact, or ``UnknownContact`` (:mod:`._handlers`)."""
        raise NotImplementedError

    def agent(self, agent_id: str) -> AgentState:
        """The agent, or ``UnknownAgent`` (:mod:`._handlers`)."""
        raise NotImplementedError

    def queue(self, name: str) -> QueueSpec:
        """The queue, or ``UnknownQueue`` (:mod:`._handlers`)."""
        raise NotImplementedError

    # -- moves (the check passed) -----------------------------------------------------------
    def start_consult(self, e: ev.ConsultRequested, out: list[dc.Decision]) -> None:
        """The leg arrives in its queue, excluding the asking agent, and looks for an agent.
        Cost: as a contact's arrival, O(log n)."""
        contact = self.contacts[e.contact_id]
        queue = self.consult_queue(contact, e)
        assert contact.agent_id is not None
        refused = self._consult_refused(queue)
        if refused is not None:
            out.append(
                dc.Refused(at=self.now, contact_id=e.consult_id, queue=queue.name, reason=refused)
            )
            return
        consult = Consult(e.contact_id, e.consult_id, contact.agent_id, self.now)
        self.consults[e.contact_id] = self.consult_legs[e.consult_id] = consult
        leg = ContactState(
            e.consult_id, queue=queue, priority=contact.priority, customer_id=None, at=self.now
        )
        leg.excluded = self.consult_exclusions(contact)
        self.admit_contact(leg)
        self.stats.counters(queue.name).arrived += 1
        preferred = () if e.agent_id is None else (e.agent_id,)
        self.start_waiting(leg, out, preferred=preferred)

    def consult_exclusions(self, contact: ContactState) -> frozenset[str]:
        """The agents a leg of ``contact`` is never offered to: the one asking. Cost: O(1)."""
        assert contact.agent_id is not None
        return frozenset({contact.agent_id})

    def lasting_exclusions(self, contact: ContactState) -> frozenset[str]:
        """A leg moved to another queue (its queue closed with the rule ``"move"``) is still
        never offered to the agent who asked. Cost: O(1)."""
        consult = self.consult_legs.get(contact.contact_id) if self.consult_legs else None
        return frozenset() if consult is None else frozenset({consult.requester})

    def _consult_refused(self, queue: QueueSpec) -> str | None:
        """Why the leg cannot join ``queue`` (closed or full, as for a transfer), or None."""
        if self.closed and queue.name in self.closed:
            return f"consult queue {queue.name} closed; no consult was started"
        if queue.max_length is not None and self.stats.waiting(queue.name) >= queue.max_length:
            return f"consult queue {queue.name} full; no consult was started"
        return None

    def _end_at_close(self, contact: ContactState, reason: str, out: list[dc.Decision]) -> None:
        """A leg whose queue closes with the rule ``"end"`` ends its consult (the ``Refused``
        names the leg)."""
        consult = self.consult_legs.get(contact.contact_id) if self.consult_legs else None
        if consult is not None:
            self._forget_consult(consult)
        super()._end_at_close(contact, reason, out)

    def end_consult(self, e: ev.ConsultEnded, out: list[dc.Decision]) -> None:
        """Apply the outcome (see the module's docstring). Cost: O(log n)."""
        consult = self.consults[e.contact_id]
        if e.outcome == "conference":
            consult.conference = True
            return
        self._forget_consult(consult)
        leg = self.drop_contact(consult.consult_id)
        if e.outcome == "cancel":
            self._cancel_leg(leg, out)
        elif e.outcome == "return":
            self._release_leg(leg, out)
        else:
            self._warm_transfer(self.contacts[e.contact_id], leg, out)

    def end_contact_consult(self, contact_id: str, out: list[dc.Decision]) -> None:
        """The contact ended: its open consult ends with it (see the module's docstring).
        Cost: O(1) without a consult."""
        consult = self.consults.get(contact_id)
        if consult is None:
            return
        self._forget_consult(consult)
        leg = self.drop_contact(consult.consult_id)
        if leg.status is not ContactStatus.CONNECTED:
            self._cancel_leg(leg, out)
        elif consult.conference:
            assert leg.agent_id is not None
            leg.move("end")
            self.start_wrap_up(self.agents[leg.agent_id], leg, out)
        else:
            self._release_leg(leg, out)

    def consult_note(self, contact_id: str) -> str:
        """What ``Router.explain`` adds about consults: the leg's consult, or the contact's open
        one; empty otherwise. Cost: O(1)."""
        consult = self.consult_legs.get(contact_id)
        if consult is not None:
            return f" [leg of the {consult.describe()}]"
        consult = self.consults.get(contact_id)
        if consult is None:
            return ""
        leg = self.contacts[consult.consult_id]
        with_whom = f" with {leg.agent_id}" if leg.agent_id else ""
        return f" [{consult.describe()} open: leg {leg.status.value}{with_whom}]"

    def consult_offer(self, contact: ContactState, explanation: dc.Explanation) -> dc.Explanation:
        """The explanation of an offer, saying when the contact is a consult leg. Cost: O(1)."""
        consult = self.consult_legs.get(contact.contact_id)
        if consult is None:
            return explanation
        return attrs.evolve(explanation, summary=f"{consult.describe()}: {explanation.summary}")

    def _forget_consult(self, consult: Consult) -> None:
        del self.consults[consult.contact_id], self.consult_legs[consult.consult_id]

    def _cancel_leg(self, leg: ContactState, out: list[dc.Decision]) -> None:
        if leg.status is ContactStatus.OFFERED:
            self.withdraw(leg, "consult cancelled", out)
        self.stop_waiting(leg)
        self.pools.forget_contact(leg.contact_id)

    def _release_leg(self, leg: ContactState, out: list[dc.Decision]) -> None:
        assert leg.agent_id is not None
        leg.move("end")
        self.free_slot(self.agents[leg.agent_id], leg.contact_id, out)

    def _warm_transfer(
        self, contact: ContactState, leg: ContactState, out: list[dc.Decision]
    ) -> None:
        """The consulted agent keeps the contact in the leg's slot; the first agent wraps up."""
        first, taker = contact.agent_id, leg.agent_id
        assert first is not None and taker is not None
        leg.move("end")
        agent = self.agents[taker]
        agent.release(leg.contact_id)
        agent.hold(contact.contact_id, contact.queue.channel, WorkPhase.CONNECTED)
        self.start_wrap_up(self.agents[first], contact, out)
        self.stats.counters(contact.queue.name).transferred_out += 1
        self.stats.counters(leg.queue.name).transferred_in += 1
        self.rehome(contact, leg.queue)
        contact.transfers += 1
        self.route_contact(contact, None)  # connected: routed by its new queue if it waits again
        contact.agent_id, contact.since = taker, self.now
