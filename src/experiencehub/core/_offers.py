"""Offers: a contact reserved for an agent's slot, and how an offer comes back (private; the third
layer of the router's state, see :mod:`._state`).

An offer comes back in one of three ways (:class:`OfferReturn`): the agent rejects it, lets it
expire, or the router withdraws it (the agent went away, logged out, or its skills changed so
that it may no longer have the contact). The contact keeps its place and goes to the next agent;
after a reject or an expiry it is never offered to that agent again.

An agent that auto-accepts (``AgentLoggedIn.auto_accept``) never holds an open offer: the offer
is accepted in the same move (the ``Offer`` says ``auto_accepted=True``, with no expiry and no
offer deadline), so none of the three returns can happen to it.
"""

from __future__ import annotations

import enum
from typing import Any

from . import decisions as dc
from ._state import OFFER
from ._waiting import Waiting
from .agents import AgentState, AgentStatus, WorkPhase
from .contacts import ContactState
from .eligibility import ineligibility
from .queues import QueueSpec

AUTO_ACCEPTED = "accepted on the agent's behalf (auto-accept)"
"""What the explanation of an auto-accepted offer adds to its summary."""


def auto_accepted(explanation: dc.Explanation) -> dc.Explanation:
    """The explanation of an offer the router accepts on the agent's behalf. Cost: O(1)."""
    return dc.new_explanation(
        policy=explanation.policy,
        summary=f"{explanation.summary}; {AUTO_ACCEPTED}",
        candidates=explanation.candidates,
    )


class OfferReturn(enum.Enum):
    """How an open offer came back; the value names the contact's transition."""

    REJECTED = "reject"
    EXPIRED = "expire"
    WITHDRAWN = "withdraw"

    def __repr__(self) -> str:
        return f"OfferReturn.{self.name}"


class Offers(Waiting):
    """Moves of offers."""

    # leg id → its open consult (kept by :mod:`._consult`; an offer of a leg says so)
    consult_legs: dict[str, Any]

    def offer(
        self,
        contact: ContactState,
        agent: AgentState,
        explanation: dc.Explanation,
        out: list[dc.Decision],
        *,
        place: bool = True,
    ) -> None:
        """Reserve the agent's slot for the contact. ``place=False``: the caller re-places the
        agent in its pools afterwards (``look_for_work`` does, once, after all its offers)."""
        now, queue = self.now, contact.queue
        contact_id, agent_id = contact.contact_id, agent.agent_id
        if contact.lines:  # it waited in a line: a departure the estimated wait learns from
            self.stats.departed(queue.name, now)
            self.leave_lines(contact)
        if self.consult_legs:  # an offer of a consult leg says so
            explanation = self.consult_offer(contact, explanation)
        contact.move("offer")
        contact.agent_id, contact.since = agent_id, now
        agent.hold(contact_id, queue.channel, WorkPhase.OFFERED)
        self.offer_seq += 1
        agent.last_offer_seq = self.offer_seq
        expires_at = None
        auto = agent.auto_accept
        if auto:
            explanation = auto_accepted(explanation)
        elif (timeout := self.offer_timeout_of(queue)) is not None:
            expires_at = now + timeout
            contact.deadlines.append(self.deadlines.add(expires_at, OFFER, contact_id, agent_id))
        self.pools.refresh(agent, place=place)
        out.append(
            dc.new_offer(
                at=now,
                contact_id=contact_id,
                agent_id=agent_id,
                queue=queue.name,
                channel=queue.channel,
                stage=contact.stage,
                expires_at=expires_at,
                explanation=explanation,
                callback=contact.callback is not None,
                auto_accepted=auto,
            )
        )
        if auto:
            # the accept, applied at once: the same move as OfferAccepted (a callback dials)
            self.accept_offer(contact, agent)

    def consult_offer(self, contact: ContactState, explanation: dc.Explanation) -> dc.Explanation:
        """The explanation of an offer of a consult leg (:mod:`._consult`)."""
        raise NotImplementedError

    def offer_timeout_of(self, queue: QueueSpec) -> float | None:
        """Seconds an offer of ``queue``'s contacts rings: the queue's own ``offer_timeout``,
        else the router's (None: offers never expire). Cost: O(1)."""
        return self.offer_timeout if queue.offer_timeout is None else queue.offer_timeout

    def withdraw(self, contact: ContactState, reason: str, out: list[dc.Decision]) -> None:
        """Take back an open offer because the contact leaves or moves (it is not re-queued
        here); the agent's slot is free for new work."""
        assert contact.agent_id is not None
        agent = self.agents[contact.agent_id]
        agent.release(contact.contact_id)
        self.cancel_offer_deadline(contact)
        contact.move(OfferReturn.WITHDRAWN.value)
        contact.agent_id = None
        out.append(
            dc.new_offer_withdrawn(
                at=self.now, contact_id=contact.contact_id, agent_id=agent.agent_id, reason=reason
            )
        )
        self.look_for_work(agent, out)

    def withdraw_offers(self, agent: AgentState, reason: str, out: list[dc.Decision]) -> None:
        """The agent's open offers come back (it went away or is logging out)."""
        offered = [cid for cid, (_ch, phase) in agent.work.items() if phase is WorkPhase.OFFERED]
        for cid in offered:
            self.return_offer(
                self.contacts[cid], agent, OfferReturn.WITHDRAWN, out, reason=reason
            )

    def withdraw_offers_out_of_reach(
        self, agent: AgentState, reason: str, out: list[dc.Decision]
    ) -> None:
        """The agent's skills changed: each open offer it could no longer be made (see
        :meth:`may_keep_offer`) comes back, and the contact goes to the next agent. Cost:
        O(w) for the agent's w held contacts, plus returning those offers."""
        offered = [cid for cid, (_ch, phase) in agent.work.items() if phase is WorkPhase.OFFERED]
        for cid in offered:
            contact = self.contacts[cid]
            if not self.may_keep_offer(agent, contact):
                self.return_offer(contact, agent, OfferReturn.WITHDRAWN, out, reason=reason)

    def may_keep_offer(self, agent: AgentState, contact: ContactState) -> bool:
        """Could the contact, at its current stage, be offered to the agent as it is now? A
        preferred agent while it may still be preferred; any other agent when eligible by
        :func:`.eligibility.ineligibility`. Cost: O(stages)."""
        if agent.agent_id in contact.affinity:
            return self.stays_preferred(agent.agent_id, contact)
        queue = contact.route
        served = agent.serving.get(queue.name)
        return ineligibility(queue, contact.stage, agent.capacity, served) is None

    def return_offer(
        self,
        contact: ContactState,
        agent: AgentState,
        how: OfferReturn,
        out: list[dc.Decision],
        *,
        reason: str = "",
    ) -> None:
        """The offer came back (``how``): the contact keeps its place and goes to the next agent;
        the agent looks for other work."""
        agent.release(contact.contact_id)
        self.cancel_offer_deadline(contact)
        contact.move(how.value)
        contact.agent_id = None
        if how is OfferReturn.WITHDRAWN:
            out.append(
                dc.new_offer_withdrawn(
                    at=self.now,
                    contact_id=contact.contact_id,
                    agent_id=agent.agent_id,
                    reason=reason,
                )
            )
        elif isinstance(contact.excluded, set):
            contact.excluded.add(agent.agent_id)  # in place: O(1) however many it excludes
        else:
            contact.excluded = {*contact.excluded, agent.agent_id}
        if contact.affinity:
            # preferred agents who declined it, or left while it was offered, are no longer waited for
            contact.affinity = tuple(
                a
                for a in contact.affinity
                if a not in contact.excluded and self.stays_preferred(a, contact)
            )
            if not contact.affinity:
                self.end_affinity(contact, out)
        # placed before the contact looks for an agent: its pool entries must be current then
        self.pools.refresh(agent)
        self.place(contact, out, waited=True)  # back in its place: offered again, it departs
        self.look_for_work(agent, out)

    def expire_offer(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """The offer went unanswered; after ``max_unanswered`` in a row the agent is set away."""
        assert contact.agent_id is not None
        agent = self.agents[contact.agent_id]
        out.append(
            dc.new_offer_expired(
                at=self.now, contact_id=contact.contact_id, agent_id=agent.agent_id
            )
        )
        agent.unanswered += 1
        limit = self.max_unanswered
        if (
            limit is not None
            and agent.unanswered >= limit
            and agent.status is AgentStatus.AVAILABLE
        ):
            agent.move("away", "unanswered offers", self.now)
            out.append(
                dc.new_agent_status_forced(
                    at=self.now,
                    agent_id=agent.agent_id,
                    status="away",
                    reason=f"{agent.unanswered} offers in a row went unanswered",
                )
            )
            self.return_offer(contact, agent, OfferReturn.EXPIRED, out)
            self.withdraw_offers(agent, "agent set away after unanswered offers", out)
        else:
            self.return_offer(contact, agent, OfferReturn.EXPIRED, out)

    # -- moves the later layers provide ---------------------------------------------------
    def accept_offer(self, contact: ContactState, agent: AgentState) -> None:
        """The agent accepts the contact's open offer (:mod:`._handlers`)."""
        raise NotImplementedError
