"""The event loop's moves for queued callbacks (a mixin of :class:`~.engine._Simulation`): offer a
callback on the router's estimated-wait alert, dial when an agent accepts one, end the dial
answered or failed, close a callback the router gave up.

It owns no state of its own (the callbacks are the :class:`~.queued_callbacks.CallbackDesk`'s,
the contacts and agents the loop's) and never decides who serves whom. Only scenarios with a
``queued_callback`` queue reach it: the loop registers these handlers for them alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import decisions as dc
from ..core import events as ev
from .customers import CustomerModel, LiveContact
from .queued_callbacks import CallbackDesk
from .scenario_types import QueueConfig
from .staff import Agent
from .workforce import Workforce

__all__ = ["CallbackLoop"]


class CallbackLoop:
    """Callback moves of the simulation loop (see the module docstring)."""

    # provided by the loop
    now: float
    end: float
    start: float
    live: dict[str, LiveContact]
    queues: dict[str, QueueConfig]
    agents: dict[str, Agent]
    staff: Workforce
    model: CustomerModel
    callbacks: CallbackDesk | None
    soon: list[tuple[Callable[..., None], Any, Any, Any]]

    def send(self, event: ev.Event) -> None:
        raise NotImplementedError  # the loop's

    def push(self, at: float, action: Callable[..., None], a: Any, b: Any, c: Any) -> None:
        raise NotImplementedError  # the loop's

    def callback_handlers(self) -> dict[type, Callable[[Any], None]]:
        """The decision handlers callbacks add (none without a callback queue). Cost: O(1)."""
        if self.callbacks is None:
            return {}
        return {dc.Alert: self._on_alert, dc.CallbackExhausted: self._on_callback_exhausted}

    def _on_alert(self, d: dc.Alert) -> None:
        """A contact queued with a long estimated wait is offered a callback (right after the
        decisions of its arrival are carried out)."""
        if d.kind == "estimated_wait":
            self.soon.append((self._offer_callback, d.contact_id, None, None))

    def _offer_callback(self, contact_id: str, _b: Any, _c: Any) -> None:
        live = self.live.get(contact_id)
        if live is None or live.status != "waiting" or self.callbacks is None:
            return
        patience = live.customer.patience_seconds
        would = None if patience is None else live.record.arrived_at + patience
        taken = self.callbacks.offer(contact_id, live.queue, self.now, seed=live.issue.seed,
                                     number=live.number, would_abandon_at=would)  # fmt: skip
        if taken:
            self.send(ev.new_callback_requested(at=self.now, contact_id=contact_id))

    def is_callback(self, contact_id: str) -> bool:
        """Is the contact a requested callback not yet connected (its patience no longer
        applies)? Cost: O(1)."""
        return self.callbacks is not None and contact_id in self.callbacks.live

    def dial(self, live: LiveContact, agent_id: str, *, send: bool = True) -> bool:
        """The agent accepted the offer of ``live``: when it is a callback, dial (the agent busy
        for the dial's time) and say True. ``send=False``: the router accepted it on the agent's
        behalf (auto-accept), so no ``OfferAccepted`` is sent. Cost: one router event."""
        seconds = None if self.callbacks is None else self.callbacks.dial_seconds(live.record.contact_id)
        if seconds is None:
            return False
        live.status = "dialing"
        agent = self.agents[agent_id]
        self.staff.hold(agent, +1)
        agent.talking += 1
        contact_id = live.record.contact_id
        if send:
            self.send(ev.new_offer_accepted(at=self.now, contact_id=contact_id, agent_id=agent_id))
        self.push(self.now + seconds, self._dial_end, contact_id, agent_id, live.offer_seq)
        return True

    def _dial_end(self, contact_id: str, agent_id: str, offer_seq: int) -> None:
        live = self.live.get(contact_id)
        if live is None or live.status != "dialing" or live.offer_seq != offer_seq:
            return
        assert self.callbacks is not None
        agent = self.agents[agent_id]
        if self.callbacks.dialled(contact_id, self.now):
            self._connect(live, agent)
            return
        live.status, live.agent_id = "waiting", None  # the router queues it again later
        live.offer_seq += 1
        agent.talking -= 1
        self.send(ev.new_callback_failed(at=self.now, contact_id=contact_id, reason="no answer"))
        self.staff.hold(agent, -1)

    def _connect(self, live: LiveContact, agent: Agent) -> None:
        """The customer answered: handled as a contact accepted now."""
        live.status = "connected"
        record = live.record
        if record.answered_at is None:
            record.answered_at, record.agent_id = self.now, agent.agent_id
        record.agents += (agent.agent_id,)
        self.send(ev.new_callback_answered(at=self.now, contact_id=record.contact_id))
        channel = self.queues[live.queue].channel
        handle = self.model.answer_seconds(live, agent.group, agent.talking, channel, self.now)
        record.handle_seconds += handle
        if self.start <= record.arrived_at < self.end:
            agent.answered += 1
            agent.handle_seconds += handle
            if live.first:
                agent.first_contacts += 1
        self.handling(live, agent, handle)  # its end, or first a consult (see .consult_loop)

    def _end(self, contact_id: str, leg: int, _c: Any) -> None:
        raise NotImplementedError  # the loop's

    def handling(self, live: LiveContact, agent: Agent, handle: float) -> None:
        raise NotImplementedError  # the loop's (.consult_loop)

    def _on_callback_exhausted(self, d: dc.CallbackExhausted) -> None:
        """Every dial failed: the contact ends as ``callback_failed``."""
        assert self.callbacks is not None
        self.callbacks.exhausted(d.contact_id)
        live = self.live.pop(d.contact_id, None)
        if live is not None:
            live.record.outcome, live.record.ended_at = "callback_failed", self.now
