"""The event loop's moves for consults (a mixin of :class:`~.engine._Simulation`): the agent asks
for a consult while the customer holds, a colleague answers the leg, they talk, and the consult
ends as a warm transfer, a conference or a return, or is cancelled when nobody answered in time.

It owns no state of its own (the consults are the :class:`~.consults.ConsultDesk`'s, the contacts
and agents the loop's) and never decides who serves whom: the leg is routed by the router, which
never offers it to the agent who asked. Only scenarios with a workload ``consult`` key reach it:
the loop registers these handlers for them alone, and without the key no draw is made.

Theory of operation
-------------------
- **The ask.** When an agent answers a contact that draws a consult, the contact's end is not
  scheduled; the agent asks ``after`` seconds into the handle time (``ConsultRequested``), and the
  customer holds from then until the consult ends. The customer does not abandon while holding.
- **The leg.** It waits in the consult queue like a contact; the colleague offered it answers at
  once (no answer delay, no rejection: a colleague asked for help). ``max_wait_seconds`` after the
  ask, a leg nobody answered is cancelled (``ConsultEnded(outcome="cancel")``); a leg the queue
  refuses (closed or full) ends the consult at once. Either way the first agent goes on.
- **The outcome**, after the talk: ``transfer`` — the first agent wraps up, the colleague handles
  the contact for its drawn time (shaped by its group) and asks only what nobody told it (the
  facts the first agent relays, and with context on the brief's do-not-ask list); ``return`` —
  the colleague leaves, the first agent finishes the rest of its handle time; ``conference`` —
  both stay for the rest of the first agent's handle time; the colleague then wraps up the leg.
- **Time.** The hold (ask to consult end) is part of the contact's and first agent's handle
  time; after a warm transfer the first agent's unspent handle time is taken off both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..context.hub import BriefedOffer
from ..core import decisions as dc
from ..core import events as ev
from ..records import merged
from .consults import ConsultDesk, ConsultDraw, ConsultVisit
from .customers import CustomerModel, LiveContact
from .scenario_types import QueueConfig
from .staff import Agent
from .workforce import Workforce

__all__ = ["ConsultLoop"]


class ConsultLoop:
    """Consult moves of the simulation loop (see the module docstring)."""

    # provided by the loop
    now: float
    end: float
    start: float
    live: dict[str, LiveContact]
    queues: dict[str, QueueConfig]
    agents: dict[str, Agent]
    staff: Workforce
    model: CustomerModel
    consults: ConsultDesk | None
    soon: list[tuple[Callable[..., None], Any, Any, Any]]
    handlers: dict[type, Callable[[Any], None]]

    def send(self, event: ev.Event) -> None:
        raise NotImplementedError  # the loop's

    def push(self, at: float, action: Callable[..., None], a: Any, b: Any, c: Any) -> None:
        raise NotImplementedError  # the loop's

    def _end(self, contact_id: str, leg: int, _c: Any) -> None:
        raise NotImplementedError  # the loop's

    def _finish(self, live: LiveContact) -> None:
        raise NotImplementedError  # the loop's

    # -- wiring -----------------------------------------------------------------------------
    def consult_handlers(self) -> dict[type, Callable[[Any], None]]:
        """The handlers of decisions about consult legs, each falling back to the loop's own for
        other contacts (none without a consult key). Call after the loop's handlers are set.
        Cost: O(1)."""
        if self.consults is None:
            return {}
        legs = self.consults.legs
        own = self.handlers

        def first(mine: Callable[[Any], None], kind: type) -> Callable[[Any], None]:
            other = own.get(kind)

            def handle(d: Any) -> None:
                if d.contact_id in legs:
                    mine(d)
                elif other is not None:
                    other(d)

            return handle

        return {
            dc.Offer: first(self._on_leg_offer, dc.Offer),
            BriefedOffer: first(self._on_leg_briefed, BriefedOffer),
            dc.OfferExpired: first(self._on_leg_offer_lost, dc.OfferExpired),
            dc.OfferWithdrawn: first(self._on_leg_offer_lost, dc.OfferWithdrawn),
            dc.Refused: first(self._on_leg_refused, dc.Refused),
            dc.WrapUpStarted: first(self._on_leg_wrap_up, dc.WrapUpStarted),
        }

    def handling(self, live: LiveContact, agent: Agent, handle: float) -> None:
        """The agent answered ``live`` with ``handle`` seconds of work: its end is scheduled, or,
        when it draws a consult, the agent's ask. Cost: O(log heap)."""
        desk = self.consults
        draw = None
        if desk is not None:
            customer = live.customer
            draw = desk.draw(customer.workload, live.queue, live.leg, seed=live.issue.seed,
                             number=live.number, handle=handle)  # fmt: skip
        if draw is None:
            self.push(self.now + handle, self._end, live.record.contact_id, live.leg, None)
        else:
            self.push(self.now + draw.after, self._ask, live.record.contact_id, agent, draw)

    # -- the ask and the leg ------------------------------------------------------------------
    def _ask(self, contact_id: str, agent: Agent, draw: ConsultDraw) -> None:
        live = self.live.get(contact_id)
        assert self.consults is not None
        if live is None or live.status != "connected" or live.agent_id != agent.agent_id:
            return
        target = self.consults.target(live.customer.workload, live.queue)
        visit = self.consults.open(live.record, target, self.now, draw, agent.agent_id)
        self.send(ev.new_consult_requested(at=self.now, contact_id=contact_id,
                                           consult_id=visit.leg_id, queue=target))  # fmt: skip
        if visit.status != "ended":
            limit = self.consults.by_workload[live.customer.workload].max_wait_seconds
            self.push(self.now + limit, self._give_up, visit, None, None)

    def _on_leg_briefed(self, d: BriefedOffer) -> None:
        self._on_leg_offer(d.offer)
        assert self.consults is not None
        visit = self.consults.legs.get(d.contact_id)
        if visit is not None and d.brief is not None:
            visit.brief = d.brief.do_not_ask

    def _on_leg_offer(self, d: dc.Offer) -> None:
        """A colleague asked for help answers at once (after the decisions in hand)."""
        assert self.consults is not None
        visit = self.consults.legs[d.contact_id]
        visit.status, visit.agent_id = "offered", d.agent_id
        visit.offer_seq += 1
        accept = self._leg_auto_accepted if d.auto_accepted else self._leg_accept
        self.soon.append((accept, visit, d.agent_id, visit.offer_seq))

    def _on_leg_offer_lost(self, d: dc.OfferExpired | dc.OfferWithdrawn) -> None:
        assert self.consults is not None
        visit = self.consults.legs[d.contact_id]
        if visit.status == "offered" and visit.agent_id == d.agent_id:
            visit.status, visit.agent_id = "waiting", None
            visit.offer_seq += 1

    def _on_leg_refused(self, d: dc.Refused) -> None:
        """The consult queue is closed or full (or closed with the rule ``end`` while the leg
        waited): no consult; the first agent goes on."""
        assert self.consults is not None
        visit = self.consults.legs[d.contact_id]
        visit.refused = True
        self._closed(visit, "cancel")
        self.soon.append((self._resume, visit, None, None))

    def _leg_auto_accepted(self, visit: ConsultVisit, agent_id: str, offer_seq: int) -> None:
        """The colleague auto-accepts: the router already connected the leg (no event sent)."""
        self._leg_accept(visit, agent_id, offer_seq, send=False)

    def _leg_accept(
        self, visit: ConsultVisit, agent_id: str, offer_seq: int, *, send: bool = True
    ) -> None:
        if visit.status != "offered" or visit.offer_seq != offer_seq or visit.agent_id != agent_id:
            return
        visit.status, visit.answered_at = "talking", self.now
        agent = self.agents[agent_id]
        self.staff.hold(agent, +1)
        agent.talking += 1
        if send:
            self.send(ev.new_offer_accepted(at=self.now, contact_id=visit.leg_id, agent_id=agent_id))
        self.push(self.now + visit.draw.talk, self._talked, visit, None, None)

    def _give_up(self, visit: ConsultVisit, _b: Any, _c: Any) -> None:
        if visit.status not in ("waiting", "offered"):
            return
        self._closed(visit, "cancel")
        self.send(ev.new_consult_ended(at=self.now, contact_id=visit.contact_id, outcome="cancel"))
        self._resume(visit, None, None)

    # -- how it ends --------------------------------------------------------------------------
    def _closed(self, visit: ConsultVisit, outcome: str) -> LiveContact | None:
        """The consult ends now: its hold counts in the contact's and first agent's handle time."""
        assert self.consults is not None
        self.consults.close(visit, outcome, self.now)
        live = self.live.get(visit.contact_id)
        if live is not None:
            self._add_handle(live, self.agents[visit.asker], self.now - visit.asked_at)
        return live

    def _add_handle(self, live: LiveContact, agent: Agent, seconds: float) -> None:
        live.record.handle_seconds += seconds
        if self.start <= live.record.arrived_at < self.end:
            agent.handle_seconds += seconds

    def _talked(self, visit: ConsultVisit, _b: Any, _c: Any) -> None:
        if visit.status != "talking":
            return
        assert visit.agent_id is not None
        outcome = visit.draw.outcome
        live = self._closed(visit, outcome)
        if live is None:
            return
        colleague = self.agents[visit.agent_id]
        ended = ev.new_consult_ended(at=self.now, contact_id=visit.contact_id, outcome=outcome)
        if outcome == "transfer":
            self._warm_transfer(live, visit, colleague, ended)
        elif outcome == "return":
            colleague.talking -= 1
            self.send(ended)  # the colleague's slot frees at once, no wrap-up
            self.staff.hold(colleague, -1)
            self._resume(visit, None, None)
        else:  # conference: both stay for the rest of the first agent's handle time
            self._joined(live, visit, colleague)
            self.send(ended)
            self.push(self.now + visit.draw.rest, self._conference_end, visit, None, None)

    def _resume(self, visit: ConsultVisit, _b: Any, _c: Any) -> None:
        """The consult ended without a transfer: the first agent finishes its handle time."""
        live = self.live.get(visit.contact_id)
        if live is not None:
            self.push(self.now + visit.draw.rest, self._end, visit.contact_id, live.leg, None)

    def _warm_transfer(
        self, live: LiveContact, visit: ConsultVisit, colleague: Agent, ended: ev.Event
    ) -> None:
        """The first agent wraps up; the colleague keeps the contact in the leg's slot and asks
        only what neither the first agent nor the brief told it."""
        first, record = self.agents[visit.asker], live.record
        self._add_handle(live, first, -visit.draw.rest)  # the first agent's time not spent
        first.talking -= 1
        record.transfers += 1
        record.final_queue = visit.queue
        self._joined(live, visit, colleague)
        source_queue, live.queue = live.queue, visit.queue
        live.leg, live.agent_id = 1, colleague.agent_id
        self.staff.release(first, record, source_queue, ended)
        now, model = self.now, self.model
        given = live.issue.given or {}
        relayed = tuple(fact for fact, until in given.items() if until > now)
        visit.relayed = len(relayed)
        handle = visit.draw.handle
        group = colleague.group
        if group.group in model.shaped:
            handle = model.handle_seconds(handle, group, live.queue, talking=colleague.talking)
        if model.asks:
            channel = self.queues[live.queue].channel
            handle += model.ask(live.issue, record, merged(visit.brief, relayed), channel, now)
        record.handle_seconds += handle
        if self.start <= record.arrived_at < self.end:
            colleague.answered += 1
            colleague.handle_seconds += handle
        self.push(now + handle, self._end, record.contact_id, live.leg, None)

    def _joined(self, live: LiveContact, visit: ConsultVisit, colleague: Agent) -> None:
        """The colleague joins the contact (warm transfer, conference): its record lists it, and
        what the brief with the leg's offer spared it (context on), as a host's records do."""
        record = live.record
        record.agents += (colleague.agent_id,)
        if visit.brief:
            record.not_asked = merged(record.not_asked, visit.brief)

    def _conference_end(self, visit: ConsultVisit, _b: Any, _c: Any) -> None:
        """The contact ends: the first agent wraps the contact up, the colleague the leg."""
        assert self.consults is not None and visit.agent_id is not None
        live = self.live.get(visit.contact_id)
        if live is None or live.status != "connected":
            return
        colleague = self.agents[visit.agent_id]
        self._finish(live)
        colleague.talking -= 1
        if not visit.wrapping:  # no wrap-up for the leg: its slot freed with the contact
            self.staff.hold(colleague, -1)
        self.consults.forget(visit)

    def _on_leg_wrap_up(self, d: dc.WrapUpStarted) -> None:
        """A conference leg's wrap-up, as its contact ended: its time counts for the contact."""
        assert self.consults is not None
        visit = self.consults.legs[d.contact_id]
        visit.wrapping = True
        assert visit.record is not None
        self.staff.follow_wrap_up(d, visit.queue, visit.record)
