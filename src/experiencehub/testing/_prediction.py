"""ModelPrediction: whether an event is valid for the model's state, and if not, which
:class:`~experiencehub.RoutingError` the router must raise for it.

It only reads the model's state; it never changes it and never asks the router.
"""

from __future__ import annotations

from typing import Any

from ..core import events as ev
from ..core.errors import (
    ClockWentBackwards,
    DuplicateId,
    InvalidEvent,
    InvalidTransition,
    OfferNotFound,
    RoutingError,
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
)
from ._model_state import ModelState

__all__ = ["ModelPrediction"]


class ModelPrediction(ModelState):
    """Predicts the router's error for an event (see the module docstring)."""

    def predict_error(self, event: ev.Event) -> type[RoutingError] | None:
        """The error class the router must raise for ``event`` now, or None if it is valid.

        Exact when no deadline falls due before ``event.at``; for events past a deadline it is
        exact only for ids that deadlines cannot create or remove (fresh or ended ids, agents
        not logging out, live contacts).
        Cost: O(1), or O(A·L) for an arrival (wrap-ups are searched).
        """
        if event.at < self.now:
            return ClockWentBackwards
        check = _PREDICT.get(type(event))
        return None if check is None else check(self, event)

    def _p_login(self, e: ev.AgentLoggedIn) -> type[RoutingError] | None:
        if e.agent_id in self.agents:
            return DuplicateId
        # a routing profile may list configured queues only (its values its constructor checks)
        listed = () if e.profile is None else e.profile.queues
        return UnknownQueue if any(name not in self.queues for name in listed) else None

    def _p_status(
        self, e: ev.AgentStatusChanged | ev.AgentLoggedOut | ev.AgentSkillsChanged
    ) -> type[RoutingError] | None:
        agent = self.agents.get(e.agent_id)
        if agent is None:
            return UnknownAgent
        return InvalidTransition if agent.status == "logging_out" else None

    def _p_arrival(self, e: ev.ContactArrived) -> type[RoutingError] | None:
        if e.queue not in self.queues:
            return UnknownQueue
        if e.contact_id in self.contacts or any(c == e.contact_id for c, _a in self.wrapping()):
            return DuplicateId
        return None

    def _p_queue(self, e: ev.QueueClosed | ev.QueueOpened) -> type[RoutingError] | None:
        return None if e.queue in self.queues else UnknownQueue

    def _p_queue_added(self, e: ev.QueueAdded) -> type[RoutingError] | None:
        if e.spec.name in self.queues:
            return DuplicateId
        closed_queue = e.spec.closed_queue
        return UnknownQueue if closed_queue is not None and closed_queue not in self.queues else None

    def _p_queue_changed(self, e: ev.QueueChanged) -> type[RoutingError] | None:
        old = self.queues.get(e.spec.name)
        if old is None:
            return UnknownQueue
        if e.spec.channel != old.channel:  # its contacts hold slots of the old channel
            return InvalidEvent
        if e.spec.closed_queue is not None and e.spec.closed_queue not in self.queues:
            return UnknownQueue
        return None

    def _p_answer(self, e: ev.OfferAccepted | ev.OfferRejected) -> type[RoutingError] | None:
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        if e.agent_id not in self.agents:
            return UnknownAgent
        if contact.status != "offered" or contact.agent_id != e.agent_id:
            return OfferNotFound
        return None

    def _p_callback_request(self, e: ev.CallbackRequested) -> type[RoutingError] | None:
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        if contact.callback or contact.status != "waiting" or e.contact_id in self.legs:
            return InvalidTransition  # a consult leg is no caller to call back
        return InvalidEvent if self.queues[contact.queue].callback is None else None

    def _p_callback_dial(
        self, e: ev.CallbackAnswered | ev.CallbackFailed
    ) -> type[RoutingError] | None:
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        return None if contact.status == "dialing" else InvalidTransition

    def _p_end(self, e: ev.ContactEnded) -> type[RoutingError] | None:
        if e.contact_id in self.legs:  # a leg ends with ConsultEnded or its contact
            return InvalidTransition
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        return None if contact.status == "connected" else InvalidTransition

    def _p_abandon(self, e: ev.ContactAbandoned) -> type[RoutingError] | None:
        if e.contact_id in self.legs:
            return InvalidTransition
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        return InvalidTransition if contact.status in ("connected", "dialing") else None

    def _p_transfer(self, e: ev.ContactTransferred) -> type[RoutingError] | None:
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        if contact.status in ("dialing", "scheduled"):
            return InvalidTransition
        if e.contact_id in self.legs or e.contact_id in self.consults:
            return InvalidTransition  # a leg, or a contact whose consult is open
        if e.queue not in self.queues:
            return UnknownQueue
        if e.agent_id is None:
            return None
        agent = self.agents.get(e.agent_id)
        if agent is None:
            return UnknownAgent
        wrapping = agent.slots.get(e.contact_id, ("", ""))[1] in ("wrap", "wrap_pending")
        if agent.status == "logging_out" or e.agent_id == contact.agent_id or wrapping:
            return InvalidTransition
        queue = self.queues[e.queue]
        if queue.affinity_seconds <= 0 or not self.can_prefer(e.agent_id, queue):
            return InvalidEvent
        if e.criteria is not None and not self.can_prefer(e.agent_id, queue, e.criteria):
            return InvalidEvent  # it meets no step of the transfer's criteria
        return None

    def _p_consult(self, e: ev.ConsultRequested) -> type[RoutingError] | None:
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        if e.contact_id in self.legs or e.contact_id in self.consults:
            return InvalidTransition
        if contact.status != "connected":
            return InvalidTransition
        if e.consult_id in self.contacts or any(c == e.consult_id for c, _a in self.wrapping()):
            return DuplicateId
        if e.queue is not None and e.queue not in self.queues:
            return UnknownQueue
        queue = self.queues[e.queue or contact.queue]
        if queue.channel != self.queues[contact.queue].channel:
            return InvalidEvent
        if e.agent_id is None:
            return None
        agent = self.agents.get(e.agent_id)
        if agent is None:
            return UnknownAgent
        if agent.status == "logging_out" or e.agent_id == contact.agent_id:
            return InvalidTransition
        if queue.affinity_seconds <= 0 or not self.can_prefer(e.agent_id, queue):
            return InvalidEvent
        return None

    def _p_consult_end(self, e: ev.ConsultEnded) -> type[RoutingError] | None:
        if e.contact_id not in self.contacts:
            return UnknownContact
        consult = self.consults.get(e.contact_id)
        if consult is None:
            return InvalidTransition
        connected = self.contacts[consult.leg_id].status == "connected"
        if (e.outcome == "cancel") == connected:  # cancel before an agent took it, others after
            return InvalidTransition
        return InvalidTransition if e.outcome == "conference" and consult.conference else None

    def _p_wrap_up_end(self, e: ev.WrapUpEnded) -> type[RoutingError] | None:
        agent = self.agents.get(e.agent_id)
        if agent is None:
            return UnknownAgent
        held = agent.slots.get(e.contact_id)
        return None if held is not None and held[1] == "wrap" else InvalidTransition


_PREDICT: dict[type, Any] = {
    ev.QueueAdded: ModelPrediction._p_queue_added,
    ev.QueueChanged: ModelPrediction._p_queue_changed,
    ev.QueueClosed: ModelPrediction._p_queue,
    ev.QueueOpened: ModelPrediction._p_queue,
    ev.AgentLoggedIn: ModelPrediction._p_login,
    ev.AgentStatusChanged: ModelPrediction._p_status,
    ev.AgentLoggedOut: ModelPrediction._p_status,
    ev.AgentSkillsChanged: ModelPrediction._p_status,
    ev.ContactArrived: ModelPrediction._p_arrival,
    ev.OfferAccepted: ModelPrediction._p_answer,
    ev.OfferRejected: ModelPrediction._p_answer,
    ev.ContactEnded: ModelPrediction._p_end,
    ev.WrapUpEnded: ModelPrediction._p_wrap_up_end,
    ev.ContactAbandoned: ModelPrediction._p_abandon,
    ev.ContactTransferred: ModelPrediction._p_transfer,
    ev.CallbackRequested: ModelPrediction._p_callback_request,
    ev.CallbackAnswered: ModelPrediction._p_callback_dial,
    ev.CallbackFailed: ModelPrediction._p_callback_dial,
    ev.ConsultRequested: ModelPrediction._p_consult,
    ev.ConsultEnded: ModelPrediction._p_consult_end,
}
