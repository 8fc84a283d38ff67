"""ConsultRules: the rules of :class:`~.machine.RouterMachine` that consult (a mixin, so the
machine's module stays readable). The model predicts whether each event is valid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from ..core import decisions as dc
from ..core import events as ev

if TYPE_CHECKING:
    from .model import RouterModel

__all__ = ["ConsultRules"]


class ConsultRules:
    """Rules: a connected agent consults a queue or a named agent; a consult ends with any
    outcome (the model says which outcomes the leg's state allows). Sent only by a machine
    whose ``send_consults`` is True (a subclass sets it)."""

    model: RouterModel
    pending: bool
    # opt in: consult rules draw steps a machine would otherwise spend on its other rules
    send_consults: ClassVar[bool] = False
    events: list[ev.Event]

    def send(self, event: ev.Event, expected: Any = ...) -> list[dc.Decision]:
        """Provided by the machine. Cost: see ``RouterMachine.send``."""
        raise NotImplementedError

    def _draw_at(self, data: st.DataObject, *, late: bool = False) -> float:
        raise NotImplementedError

    def _consultable(self) -> list[str]:
        model = self.model
        return sorted(
            c
            for c, m in model.contacts.items()
            if m.status == "connected" and c not in model.legs and c not in model.consults
        )

    @precondition(lambda self: self.send_consults and not self.pending and self._consultable())
    @rule(data=st.data())
    def consult(self, data: st.DataObject) -> None:
        """The agent of a connected contact consults a queue (maybe of another channel: refused)
        or a named agent (any known one: the model predicts the refusals); an offer of the leg
        made at once is sometimes accepted at once, and the consult may then end at once.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        model = self.model
        contact_id = data.draw(st.sampled_from(self._consultable()), label="contact")
        channel = model.queues[model.contacts[contact_id].queue].channel
        # mostly a queue of the contact's channel, now and then any queue or none (an agent)
        same = sorted(q.name for q in model.queues.values() if q.channel == channel)
        anything = st.none() | st.sampled_from(sorted(model.queues))
        queue = data.draw(st.sampled_from(same) | anything, label="queue")
        names = sorted({*model.agents, *model.gone_agents, "nobody"})
        agent_id = None
        if queue is None or data.draw(st.integers(0, 3), label="and an agent") == 0:
            agent_id = data.draw(st.sampled_from(names), label="agent")
        leg_id = f"k{len(self.events)}"  # a new id for every event sent
        at = model.now if agent_id is not None else self._draw_at(data)
        out = self.send(ev.ConsultRequested(at=at, contact_id=contact_id, consult_id=leg_id,
                                            queue=queue, agent_id=agent_id))  # fmt: skip
        offered = [d for d in out if isinstance(d, dc.Offer) and d.contact_id == leg_id]
        auto = bool(offered) and offered[0].auto_accepted  # connected already: nothing to send
        accepted = auto or (bool(offered) and data.draw(st.booleans(), label="accepted at once"))
        if accepted:
            # the consulted agent picks up: a connected leg, so every outcome can follow
            if not auto:
                self.send(ev.OfferAccepted(at=model.now, contact_id=leg_id,
                                           agent_id=offered[0].agent_id), None)  # fmt: skip
            ended = data.draw(st.none() | st.sampled_from(ev.CONSULT_OUTCOMES), label="then")
            if ended is not None:  # and the consult ends at once
                self.send(ev.ConsultEnded(at=model.now, contact_id=contact_id, outcome=ended))

    @precondition(lambda self: self.send_consults and not self.pending and self.model.consults)
    @rule(data=st.data(), outcome=st.sampled_from(ev.CONSULT_OUTCOMES))
    def end_consult(self, data: st.DataObject, outcome: str) -> None:
        """A consult ends with any outcome: valid or refused as the leg's state says.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id = data.draw(st.sampled_from(sorted(self.model.consults)), label="contact")
        at = self._draw_at(data)
        self.send(ev.ConsultEnded(at=at, contact_id=contact_id, outcome=outcome))
