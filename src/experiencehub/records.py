"""One end-of-contact record per contact, live and simulated.

This module owns :class:`ContactRecord` — what a host platform ingests when a contact is over
(like an Amazon Connect contact record) and what the simulator's KPIs read — and
:class:`ContactRecorder`, which builds those records from the ``Router``'s events and decisions.
It never routes, never reads a clock and never writes anywhere: records are returned to the
caller, who upserts them by ``contact_id``.

Theory of operation
-------------------
The recorder sees every accepted event with the decisions it caused (``observe``) and keeps one
open record per contact still in the router or still being wrapped up. A contact is *finished*
when it has left the router — ended, abandoned or refused — and no agent is wrapping it up any
more: an agent's wrap-up ends with ``WrapUpEnded`` (an event) or ``WrapUpExpired`` (a decision).
A contact that ends with no ``WrapUpStarted`` decision (its queue has no wrap-up) finishes with
that event. A transfer puts the transferring agent in wrap-up too, so a transferred contact
finishes when its last agent's wrap-up is over. Only the contacts an event or its decisions name
are looked at: O(1) per event plus O(1) per decision.

>>> from experiencehub import QueueSpec, Router, SkillGraph
>>> from experiencehub import events as ev
>>> router = Router(SkillGraph(), [QueueSpec("q", channel="chat")])
>>> recorder = ContactRecorder(router)
>>> def send(event):
...     return recorder.observe(event, router.handle(event))
>>> send(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
[]
>>> send(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
[]
>>> send(ev.OfferAccepted(at=4.0, contact_id="c1", agent_id="a1"))
[]
>>> [record] = send(ev.ContactEnded(at=60.0, contact_id="c1"))
>>> record.outcome, record.wait, record.agents, record.offers
('handled', 3.0, ('a1',), 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from .core import decisions as dc
from .core import events as ev
from .core.queues import QueueSpec
from .core.router import Router

__all__ = ["DEFAULT_SERVICE_LEVEL_SECONDS", "ContactRecord", "ContactRecorder", "merged"]

DEFAULT_SERVICE_LEVEL_SECONDS = 20.0
"""A live record's ``threshold`` when its queue sets no ``service_level_seconds``."""


@attrs.define(slots=True)
class ContactRecord:
    """One contact from arrival to its end: what a host ingests and the simulator's KPIs read.

    ``outcome``: ``handled``, ``abandoned``, ``refused`` (not queued on arrival: queue full or
    closed), ``closed`` (waiting when its queue closed with the rule ``"end"``), ``callback_failed`` (a
    queued callback whose every dial failed) or ``unfinished`` (still waiting or connected when
    the run stopped); a live host may pass its own word for how a
    contact ended (``dropped``, ``resolved``…). ``origin``: ``new``, ``callback``, ``repeat`` or
    ``unresolved`` (the customer came back because the issue was not resolved). ``customer_id``
    is None for an anonymous live contact.

    In the simulator every customer has one *issue*: all contacts with one ``customer_id`` are the
    contacts of one issue. ``resolved`` says whether a handled contact resolved it (None for
    contacts never handled). ``handle_seconds`` and ``wrap_seconds`` add up the agents' talk time
    (asks included) and wrap-up over the contact's legs; ``asks`` counts the facts agents asked
    for, ``repeat_asks`` those the customer had already given and were still valid.

    ``offers`` counts the offers made (expired and rejected ones too); ``agents`` lists the agents
    who answered it, in order, across transfers (``agent_id`` is the first); ``wrap_ended_at``
    is when the last agent's wrap-up ended (None: no wrap-up); ``preferred_agent`` says whether the
    answering agent was one of the contact's preferred agents (None when it had none, or nobody
    answered); ``not_asked`` lists the facts an answering agent did not ask because the handoff
    brief with its offer already had them. ``estimated_wait`` is the wait the router estimated
    when the contact queued on arrival (``Enqueued.estimated_wait``; None when it was offered at
    once or its queue had no history yet).
    """

    contact_id: str
    customer_id: str | None
    channel: str
    queue: str
    segment: str
    arrived_at: float
    threshold: float
    offered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    agent_id: str | None = None
    outcome: str = "unfinished"
    transfers: int = 0
    final_queue: str | None = None
    origin: str = "new"
    replication: int = 0
    resolved: bool | None = None
    handle_seconds: float = 0.0
    wrap_seconds: float = 0.0
    asks: int = 0
    repeat_asks: int = 0
    offers: int = 0
    agents: tuple[str, ...] = ()
    wrap_ended_at: float | None = None
    preferred_agent: bool | None = None
    not_asked: tuple[str, ...] = ()
    estimated_wait: float | None = None

    @property
    def wait(self) -> float | None:
        """Seconds until answered (or until abandoning, or its queue closing it); None when
        it never got either.
        Cost: O(1)."""
        if self.answered_at is not None:
            return self.answered_at - self.arrived_at
        if self.outcome in ("abandoned", "closed") and self.ended_at is not None:
            return self.ended_at - self.arrived_at
        if self.outcome == "refused":
            return 0.0
        return None

    @property
    def queued(self) -> bool:
        """True when no agent was offered the contact on arrival (it had to wait). Cost: O(1)."""
        return self.offered_at is None or self.offered_at > self.arrived_at

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (ready for ``json.dumps``), plus ``wait``. Cost: O(fields)."""
        data = attrs.asdict(self)
        data["wait"] = self.wait
        return data


def merged(known: tuple[str, ...], more: Iterable[str]) -> tuple[str, ...]:
    """``known`` followed by the items of ``more`` it lacks, in order. Cost: O(len · more)."""
    extra = tuple(item for item in more if item not in known)
    return known + extra if extra else known


@attrs.define(slots=True, eq=False)
class _Open:
    """A contact the recorder follows: its record and what finishing it waits for."""

    record: ContactRecord
    preferred: tuple[str, ...]
    wrapping: set[str] = attrs.Factory(set)  # agents still wrapping it up
    left: bool = False  # ended, abandoned or refused: no longer in the router
    briefed: tuple[str, tuple[str, ...]] | None = None  # (agent, do-not-ask) of the last offer
    callback: bool = False  # its last offer was a queued callback's: accepting it only dials
    dialing: str | None = None  # the agent dialling it back, until the customer answers
    auto_answered: str | None = None  # the agent whose auto-accepted offer answered it, until
    # the brief that came with that offer is noted (it is noted after the decisions are seen)


@attrs.define(slots=True, eq=False)
class _Leg:
    """The leg of a consult of a followed contact: who took it, and the brief with its offer."""

    contact_id: str
    queue: str | None
    agent_id: str | None = None
    briefed: tuple[str, tuple[str, ...]] | None = None


class ContactRecorder:
    """Builds one :class:`ContactRecord` per contact from Router events and decisions.

    ``queues``: the router (its queues are read on each arrival) or a queue name → ``QueueSpec``
    mapping; a record's channel and service-level threshold come from the arrival's queue
    (``default_threshold`` when the queue sets none). Memory: one open record per contact still
    in the router or in wrap-up.
    """

    def __init__(
        self,
        queues: Router | Mapping[str, QueueSpec],
        *,
        default_threshold: float = DEFAULT_SERVICE_LEVEL_SECONDS,
    ) -> None:
        self._queues = queues
        self.default_threshold = float(default_threshold)
        self._open: dict[str, _Open] = {}
        self._legs: dict[str, _Leg] = {}  # consult leg id → its leg
        self._leg_of: dict[str, str] = {}  # contact id → the leg of its open consult

    def observe(
        self, event: ev.Event, decisions: Sequence[Any], *, outcome: str | None = None
    ) -> list[ContactRecord]:
        """Follow one accepted event and the decisions it caused; return the records of the
        contacts this finished, in the order they finished. ``outcome`` names how a
        ``ContactEnded``/``ContactAbandoned`` ended (default ``handled``/``abandoned``).

        Pass the event as the router saw it (with the ``customer_id`` and ``preferred_agents``
        it was routed with). Cost: O(1) per event plus O(1) per decision.
        """
        touched: list[str] = []
        contact_id = getattr(event, "contact_id", None)
        if contact_id is not None:
            self._apply_event(event, decisions, outcome)
            touched.append(contact_id)
        for decision in decisions:
            cid = self._apply_decision(event, decision)
            if cid is not None:
                touched.append(cid)
        return [record for cid in touched if (record := self._finish(cid)) is not None]

    def note_brief(self, contact_id: str, agent_id: str, do_not_ask: Iterable[str]) -> None:
        """The offer of ``contact_id`` to ``agent_id`` came with a brief whose do-not-ask list
        is ``do_not_ask``: if the agent accepts, the record's ``not_asked`` gains it. Cost: O(1).
        """
        found = self._open.get(contact_id) or self._legs.get(contact_id)
        if isinstance(found, _Open) and found.auto_answered == agent_id:
            # auto-accepted: the agent has the contact already, and works from this brief
            found.record.not_asked = merged(found.record.not_asked, tuple(do_not_ask))
            found.auto_answered = None
        elif found is not None:
            found.briefed = (agent_id, tuple(do_not_ask))

    def open_record(self, contact_id: str) -> ContactRecord | None:
        """The record of a contact not finished yet (read it, don't change it), or None.
        Cost: O(1)."""
        found = self._open.get(contact_id)
        return None if found is None else found.record

    def __len__(self) -> int:
        """Contacts followed (not finished yet)."""
        return len(self._open)

    # -- events ---------------------------------------------------------------------------------
    def _apply_event(self, event: Any, decisions: Sequence[Any], outcome: str | None) -> None:
        if isinstance(event, ev.ContactArrived):
            self._arrive(event)
            return
        if self._legs and event.contact_id in self._legs:
            if isinstance(event, ev.OfferAccepted):
                self._legs[event.contact_id].agent_id = event.agent_id
            return
        found = self._open.get(event.contact_id)
        if found is None:
            return
        if self._leg_of and isinstance(event, (ev.ConsultEnded, ev.ContactEnded)):
            self._end_consult(found, event)
        record = found.record
        if isinstance(event, (ev.OfferAccepted, ev.CallbackAnswered, ev.CallbackFailed)):
            self._accept_or_dial(found, event)
        elif isinstance(event, (ev.ContactEnded, ev.ContactAbandoned)):
            default = "handled" if isinstance(event, ev.ContactEnded) else "abandoned"
            record.outcome, record.ended_at, found.left = outcome or default, event.at, True
        elif isinstance(event, ev.ContactTransferred):
            if not any(isinstance(d, dc.Refused) and d.contact_id == record.contact_id
                       for d in decisions):  # fmt: skip
                record.transfers += 1
                record.final_queue = event.queue
        elif isinstance(event, ev.WrapUpEnded):
            found.wrapping.discard(event.agent_id)
            record.wrap_ended_at = event.at
        elif isinstance(event, ev.ConsultRequested):
            self._legs[event.consult_id] = _Leg(event.contact_id, event.queue)
            self._leg_of[event.contact_id] = event.consult_id

    def _end_consult(self, found: _Open, event: ev.ConsultEnded | ev.ContactEnded) -> None:
        """A warm transfer or a conference adds the consulted agent to ``agents`` (and what its
        brief spared it to ``not_asked``); a warm transfer counts as a transfer."""
        outcome = event.outcome if isinstance(event, ev.ConsultEnded) else "ended"
        leg_id = self._leg_of.pop(event.contact_id, None)
        if leg_id is None:
            return
        leg = self._legs.pop(leg_id)
        if outcome not in ("transfer", "conference") or leg.agent_id is None:
            return
        record = found.record
        record.agents += (leg.agent_id,)
        if outcome == "transfer":
            record.transfers += 1
            record.final_queue = leg.queue or record.final_queue
        if leg.briefed is not None and leg.briefed[0] == leg.agent_id:
            record.not_asked = merged(record.not_asked, leg.briefed[1])

    def _arrive(self, e: ev.ContactArrived) -> None:
        queues = self._queues.queues if isinstance(self._queues, Router) else self._queues
        spec = queues.get(e.queue)
        if spec is None:  # the router refuses an unknown queue: nothing to follow
            return
        segment = e.attributes.get("segment", "default")
        threshold = spec.service_level_seconds
        record = ContactRecord(
            e.contact_id, e.customer_id, spec.channel, e.queue,
            segment if isinstance(segment, str) else str(segment), arrived_at=e.at,
            threshold=self.default_threshold if threshold is None else float(threshold),
        )  # fmt: skip
        self._open[e.contact_id] = _Open(record, e.preferred_agents)

    def _accept_or_dial(
        self, found: _Open, event: ev.OfferAccepted | ev.CallbackAnswered | ev.CallbackFailed
    ) -> None:
        """An accepted offer answers the contact, unless it is a queued callback's: then the
        agent dials, and the contact is answered when the customer answers the dial."""
        if isinstance(event, ev.OfferAccepted):
            self._accepted(found, event.agent_id, event.at)
            return
        if isinstance(event, ev.CallbackAnswered) and found.dialing is not None:
            self._answer(found, found.dialing, event.at)
            found.callback = False
        found.dialing = None

    def _accepted(self, found: _Open, agent_id: str, at: float) -> None:
        """The agent accepted the offer (or the router did, for an agent that auto-accepts)."""
        if found.callback:
            found.dialing = agent_id
        else:
            self._answer(found, agent_id, at)

    def _answer(self, found: _Open, agent_id: str, at: float) -> None:
        record = found.record
        if record.answered_at is None:
            record.answered_at, record.agent_id = at, agent_id
            if found.preferred:
                record.preferred_agent = agent_id in found.preferred
        record.agents += (agent_id,)
        if found.briefed is not None and found.briefed[0] == agent_id:
            record.not_asked = merged(record.not_asked, found.briefed[1])
        found.briefed = None

    # -- decisions ------------------------------------------------------------------------------
    def _apply_decision(self, event: Any, d: Any) -> str | None:
        """Apply one decision; return the contact id it touched (None: none followed)."""
        found = self._open.get(getattr(d, "contact_id", ""))
        if found is None:
            if self._legs and isinstance(d, dc.Offer) and d.auto_accepted:
                leg = self._legs.get(d.contact_id)  # a consult leg, accepted as it was offered
                if leg is not None:
                    leg.agent_id = d.agent_id
            return None
        record = found.record
        if isinstance(d, (dc.Offer, dc.Enqueued)) and d.queue != (record.final_queue or record.queue):
            record.final_queue = d.queue  # the router moved it: its queue was closed
        if isinstance(d, dc.Offer):
            self._offered(found, d)
        elif isinstance(d, dc.WrapUpStarted):
            found.wrapping.add(d.agent_id)
        elif isinstance(d, dc.WrapUpExpired):
            found.wrapping.discard(d.agent_id)
            record.wrap_ended_at = d.at
        elif isinstance(d, dc.Refused) and isinstance(event, ev.ContactArrived):
            record.outcome, record.ended_at, found.left = "refused", d.at, True
        elif isinstance(d, dc.Refused) and not isinstance(event, ev.ContactTransferred):
            # a waiting contact ended by its queue's closing (a refused transfer stays put)
            record.outcome, record.ended_at, found.left = "closed", d.at, True
        elif isinstance(d, dc.Enqueued) and isinstance(event, ev.ContactArrived):
            record.estimated_wait = d.estimated_wait  # the estimate given on arrival
        elif isinstance(d, dc.CallbackExhausted):  # every dial of a queued callback failed
            record.outcome, record.ended_at, found.left = "callback_failed", d.at, True
        return d.contact_id  # type: ignore[no-any-return]

    def _offered(self, found: _Open, d: dc.Offer) -> None:
        record = found.record
        found.callback = d.callback
        record.offers += 1
        if record.offered_at is None:
            record.offered_at = d.at
        if d.auto_accepted:  # accepted on the agent's behalf: as if OfferAccepted came now
            self._accepted(found, d.agent_id, d.at)
        found.auto_answered = d.agent_id if d.auto_accepted and not d.callback else None

    def _finish(self, contact_id: str) -> ContactRecord | None:
        found = self._open.get(contact_id)
        if found is None or not found.left or found.wrapping:
            return None
        del self._open[contact_id]
        return found.record

    def _check(self) -> None:
        """Assert the invariants: every followed contact is in the router or in wrap-up."""
        for cid, found in self._open.items():
            assert found.record.contact_id == cid, cid
            assert not found.left or found.wrapping, f"{cid}: finished but still followed"
            assert found.left == (found.record.ended_at is not None), cid
