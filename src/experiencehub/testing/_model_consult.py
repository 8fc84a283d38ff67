"""ConsultEffects: what consults do to the model — the leg routed like a contact that never
goes to the agent who asked, and each way a consult ends (docs/routing.md, "Consults and warm
transfers"), restated from the documentation, never from the router's code.

It changes only the model's own state; :mod:`._oracle` applies it and replays the decisions.
"""

from __future__ import annotations

from ..core import decisions as dc
from ..core import events as ev
from ._callback_model import CallbackModel
from ._model_state import ModelAgent, ModelConsult, ModelContact, check

__all__ = ["ConsultEffects"]


class ConsultEffects(CallbackModel):
    """The effects of ``ConsultRequested`` and ``ConsultEnded``, and of a contact ending with
    its consult open. Costs: O(1) per event, plus the offer checks of the decisions."""

    # -- moves the oracle provides -----------------------------------------------------------
    def _start_waiting(
        self, contact: ModelContact, at: float, preferred: tuple[str, ...] = ()
    ) -> None:
        raise NotImplementedError

    def _wrap_up(self, agent: ModelAgent, contact: ModelContact, at: float) -> None:
        raise NotImplementedError

    # -- effects -----------------------------------------------------------------------------
    def _e_consult(self, e: ev.ConsultRequested, decisions: list[dc.Decision]) -> None:
        contact = self.contacts[e.contact_id]
        queue = self.queues[e.queue or contact.queue]
        refused = [
            d for d in decisions if isinstance(d, dc.Refused) and d.contact_id == e.consult_id
        ]
        closed = queue.name in self.closed
        full = queue.max_length is not None and self.waiting_count(queue.name) >= queue.max_length
        check(
            bool(refused) == (closed or full),
            f"consult {e.consult_id} to {queue.name}: Refused={refused}, closed={closed}, "
            f"full={full}",
        )
        if refused:
            return
        assert contact.agent_id is not None
        leg = ModelContact(e.consult_id, queue.name, contact.priority, None, (0.0, 0.0, 0))
        leg.excluded = {contact.agent_id}  # never offered to the agent who asked
        self._start_waiting(leg, e.at, () if e.agent_id is None else (e.agent_id,))
        self.contacts[e.consult_id] = leg
        self.consults[e.contact_id] = ModelConsult(e.contact_id, e.consult_id, contact.agent_id)
        self.legs[e.consult_id] = e.contact_id

    def _e_consult_end(self, e: ev.ConsultEnded, _d: list[dc.Decision]) -> None:
        consult = self.consults[e.contact_id]
        if e.outcome == "conference":
            consult.conference = True
            return
        leg = self._close_consult(consult)
        if e.outcome == "return":
            self._release(leg, e.at)
        elif e.outcome == "transfer":
            contact = self.contacts[e.contact_id]
            first, taker = contact.agent_id, leg.agent_id
            assert first is not None and taker is not None
            del self.agents[taker].slots[leg.contact_id]
            self.agents[taker].slots[contact.contact_id] = (self.queues[leg.queue].channel,
                                                            "connected")  # fmt: skip
            self._wrap_up(self.agents[first], contact, e.at)  # the contact's queue's wrap-up
            contact.queue, contact.agent_id = leg.queue, taker
        # "cancel": an offered leg comes back as an OfferWithdrawn, replayed after this

    def _end_consult_with_contact(self, contact_id: str, at: float) -> None:
        """The contact ended: a leg nobody took leaves, a consulted agent is released, a
        conference partner wraps its leg up."""
        consult = self.consults.get(contact_id)
        if consult is None:
            return
        leg = self._close_consult(consult)
        if leg.status != "connected":
            return
        if consult.conference:
            assert leg.agent_id is not None
            self._wrap_up(self.agents[leg.agent_id], leg, at)
        else:
            self._release(leg, at)

    def _check_consult_offer(self, d: dc.Offer) -> None:
        """An offer of a leg says whose consult it is."""
        contact_id = self.legs.get(d.contact_id)
        if contact_id is None:
            return
        consult = self.consults[contact_id]
        said = f"consult {d.contact_id} of {contact_id} by {consult.requester}: "
        check(
            d.explanation.summary.startswith(said),
            f"Offer of consult leg {d.contact_id}: explanation {d.explanation.summary!r} does not "
            f"start with {said!r}",
        )

    def _close_consult(self, consult: ModelConsult) -> ModelContact:
        del self.consults[consult.contact_id], self.legs[consult.leg_id]
        return self.contacts.pop(consult.leg_id)

    def _release(self, leg: ModelContact, at: float) -> None:
        assert leg.agent_id is not None
        agent = self.agents[leg.agent_id]
        del agent.slots[leg.contact_id]
        agent.idle_since = at
