"""The RouterMachine's rules for queued callbacks (a mixin of
:class:`~experiencehub.testing.machine.RouterMachine`): a waiting caller asks for a callback, the
agent offered one accepts and dials, the dial is answered or fails. Requests and dial reports the
router must refuse are sent by the machine's ``contact_event_any`` rule.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from ..core import events as ev
from .model import RouterModel

__all__ = ["CallbackRules"]


class CallbackRules:
    """Callback rules of the state machine (see the module docstring)."""

    # provided by RouterMachine
    model: RouterModel
    pending: bool

    def send(self, event: ev.Event, expected: Any = ...) -> Any:
        """Send to every router and check the outcome: ``RouterMachine.send``.
        Cost: one event on each of the three routers, and the model's prediction."""
        raise NotImplementedError

    def _in(self, *statuses: str) -> list[str]:
        raise NotImplementedError  # RouterMachine's

    def _draw_at(self, data: st.DataObject, *, late: bool = False) -> float:
        raise NotImplementedError  # RouterMachine's

    def _may_call_back(self) -> list[str]:
        # a consult leg is no caller to call back: the router refuses it (contact_event_any
        # sends such refused requests)
        return sorted(
            cid
            for cid, m in self.model.contacts.items()
            if m.status == "waiting"
            and not m.callback
            and cid not in self.model.legs
            and self.model.queues[m.queue].callback is not None
        )

    @precondition(lambda self: not self.pending and self._may_call_back())
    @rule(data=st.data())
    def request_callback(self, data: st.DataObject) -> None:
        """A waiting caller asks to be called back, in a queue that takes callbacks (requests
        the router must refuse are sent by ``contact_event_any``).
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id = data.draw(st.sampled_from(self._may_call_back()), label="contact")
        self.send(ev.CallbackRequested(at=self._draw_at(data), contact_id=contact_id), None)

    def _callbacks_offered(self) -> list[str]:
        return sorted(c for c in self._in("offered") if self.model.contacts[c].callback)

    @precondition(lambda self: not self.pending and self._callbacks_offered())
    @rule(data=st.data())
    def accept_callback(self, data: st.DataObject) -> None:
        """The agent offered a queued callback accepts it and starts dialling.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id = data.draw(st.sampled_from(self._callbacks_offered()), label="contact")
        agent_id = self.model.contacts[contact_id].agent_id
        assert agent_id is not None
        self.send(
            ev.OfferAccepted(at=self._draw_at(data), contact_id=contact_id, agent_id=agent_id), None
        )

    @precondition(lambda self: not self.pending and self._in("dialing"))
    @rule(data=st.data(), answered=st.booleans())
    def dial_result(self, data: st.DataObject, answered: bool) -> None:
        """The customer answers the agent's callback dial, or the dial fails.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id = data.draw(st.sampled_from(self._in("dialing")), label="contact")
        at = self._draw_at(data)
        event: ev.Event = (
            ev.CallbackAnswered(at=at, contact_id=contact_id)
            if answered
            else ev.CallbackFailed(at=at, contact_id=contact_id, reason="no answer")
        )
        self.send(event, None)
