"""The simulation event loop: plays customers around the real Router, in simulated time.

This module owns simulated *time* and the customers' side: a heap of future actions (arrivals,
answers, ends of handling, abandons; the agents' shift steps), sent to the Router in time order,
and each contact's record. The agents' side (shifts, status, wrap-up, their time) is
:mod:`.workforce`; :mod:`.build` makes the router. It never decides who serves whom (every routing
decision comes from ``Router.handle``) and never reads a wall clock for results.

Theory of operation
-------------------
Before each of its own actions the loop compares the action's time with ``router.next_deadline()``;
an earlier deadline is sent first as ``Tick(at=deadline)``, so offers caused by stage expiry, offer
time-outs or timed wrap-ups happen at exactly their time. Actions made stale by something that
happened first (an abandon after the customer was connected, an answer to an offer that expired)
are cancelled lazily: they carry the contact's leg or offer sequence number and are ignored on
arrival if it changed. Answers with no delay are carried out right after the decision list that
caused them, at the same instant, without a trip through the heap. Ties in time go in the order
the actions were pushed.

Each run is one replication; :func:`run` returns its contact records and agent time, from which
:mod:`.kpi` computes the KPIs (:mod:`.runs` runs the replications).
"""

from __future__ import annotations

import gc
import heapq
import itertools
import math
import time as wallclock
from collections.abc import Callable
from typing import Any

import attrs

from ..context.hub import BriefedOffer
from ..core import decisions as dc
from ..core import events as ev
from ..core.criteria import RoutingCriteria
from ..records import ContactRecord, merged
from .build import build_router, router_seed, skill_graph
from .callback_loop import CallbackLoop
from .closures import queue_changed, schedule_additions, schedule_changes, schedule_closures
from .consult_loop import ConsultLoop
from .consults import ConsultDesk, ConsultVisit
from .customers import CustomerModel, Issue, LiveContact
from .kpi import AgentTime
from .preferred import ChannelPreferences
from .queued_callbacks import CallbackDesk, CallbackVisit
from .router_config import routing_criteria
from .scenario import QueueConfig, Scenario
from .self_service import SelfServiceDesk, SelfServiceVisit
from .staff import Agent, Clock
from .workforce import FORCED_AWAY_SECONDS, Action, Workforce
from .workload import Customer, CustomerSource, sampler, stream

__all__ = ["FORCED_AWAY_SECONDS", "RunResult", "run"]

Progress = Callable[[float], None]


@attrs.frozen
class RunResult:
    """One replication: every contact's record, agent time, occupancy per interval, cost."""

    replication: int
    policy: str
    records: list[ContactRecord]
    agents: list[AgentTime]
    occupancy_busy: list[float]
    occupancy_idle: list[float]
    interval_seconds: float
    measured: tuple[float, float]
    router_events: int
    wall_seconds: float
    self_service: tuple[SelfServiceVisit, ...] = ()
    callbacks: tuple[CallbackVisit, ...] = ()
    consults: tuple[ConsultVisit, ...] = ()

    def staffed_agents(self) -> list[float]:
        """Mean agents logged in and not away (busy or idle) per interval from time 0 to the end
        of the measured window, warm-up included; the last interval may be shorter than the
        others. Cost: O(intervals)."""
        end, step = self.measured[1], self.interval_seconds
        pairs = zip(self.occupancy_busy, self.occupancy_idle, strict=True)
        return [(busy + idle) / (min(end, (i + 1) * step) - i * step) for i, (busy, idle) in enumerate(pairs)]


class _Simulation(ConsultLoop, CallbackLoop):
    """One replication: the heap of future events, the customers' side, and the agents' side
    (:class:`~.workforce.Workforce`). Use :func:`run`."""

    def __init__(
        self, scenario: Scenario, replication: int, policy: str, progress: Progress | None
    ) -> None:
        sim = scenario.simulation
        self.scenario = scenario
        self.replication = replication
        self.policy = policy
        self.progress = progress
        self.router = build_router(scenario, policy=policy, seed=router_seed(sim.seed, replication))
        self.graph = skill_graph(scenario)
        self.model = CustomerModel(scenario, self.router, self.graph)
        hub = self.model.hub
        self.route: Callable[..., list[Any]] = self.router.handle if hub is None else hub.handle
        self.start, self.end = sim.warmup, sim.warmup + sim.duration
        self.stop = self.end + sim.drain_seconds
        interval = scenario.kpis.interval_minutes * 60.0
        buckets = max(1, math.ceil(self.end / interval))
        self.clock = Clock(self.start, self.end, interval, [0.0] * buckets, [0.0] * buckets)
        self.heap: list[tuple[float, int, Action, Any, Any, Any]] = []
        self.seq = itertools.count()
        self.soon: list[tuple[Action, Any, Any, Any]] = []
        self.now = 0.0
        self.sent = 0
        self.records: list[ContactRecord] = []
        self.live: dict[str, LiveContact] = {}
        self.ids = itertools.count(1)
        # workload index → (its routing criteria, their share); and its contacts entered so far
        self.criteria: dict[int, tuple[RoutingCriteria, float]] = {
            i: (routing_criteria(item.criteria), item.criteria.share)
            for i, item in enumerate(scenario.workload)
            if item.criteria is not None
        }
        self.criteria_entered = dict.fromkeys(self.criteria, 0)
        self.queues = {q.name: q for q in scenario.queues}
        # queue → when it is added to the router, for queues added during the run (its workload
        # starts then); and the contact whose arrival is being sent (a refusal of it is no closing)
        self.added_at = {q.name: q.added_at for q in scenario.queues if q.added_at is not None}
        self.entering: str | None = None
        self.desk = SelfServiceDesk.of(scenario)  # None: no self-service step anywhere
        self.prefs = ChannelPreferences.of(scenario, self.model)  # None: none stated or used
        self.callbacks = CallbackDesk.of(scenario)  # None: no queue takes callbacks
        self.consults = ConsultDesk.of(scenario)  # None: no workload consults
        self.sources = [
            CustomerSource(scenario, i, replication) for i in range(len(scenario.workload))
        ]
        self.people_rng = stream(sim.seed, replication, "agents")
        self.answer_delay = {
            g.group: sampler(g.answer_delay_seconds, self.people_rng)
            for g in scenario.agents
            if g.answer_delay_seconds is not None
        }
        schedule_additions(scenario.queues, self.push, self.send)  # before the agents log in
        # the agents' shifts go on the heap first, as they always have (same seed, same order)
        self.staff = Workforce(self, scenario, self.graph, self.clock, replication)
        self.agents: dict[str, Agent] = self.staff.agents
        self.handlers: dict[type, Callable[[Any], None]] = {
            dc.Offer: self._on_offer,
            BriefedOffer: self._on_briefed_offer,
            dc.OfferExpired: self._on_offer_lost,
            dc.OfferWithdrawn: self._on_offer_lost,
            dc.Refused: self._on_refused,
            dc.Enqueued: self._on_enqueued,
            **self.staff.decision_handlers(),
            **self.callback_handlers(),
        }
        self.handlers.update(self.consult_handlers())  # legs first, then the handlers above

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run the replication with the cyclic garbage collector paused, as ``timeit`` does.

        Speed trick: every router event allocates a few dozen containers, and the collector's
        passes over them cost 12 % of a million-contact day (docs/performance.md). The loop makes
        no reference cycles (reference counting frees all it drops: peak memory is the same with
        the collector paused), and the collector is restored as it was when the run ends.
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._loop(wallclock.perf_counter())
        finally:
            if enabled:
                gc.enable()

    def _loop(self, started: float) -> RunResult:
        schedule_closures(self.scenario.queues, self.push, self.send)
        schedule_changes(self.scenario.queues, self.push, self._change_queue)
        for source in self.sources:
            self._next_arrival(source)
        heap, router, pop = self.heap, self.router, heapq.heappop
        maybe_due = router.deadline_may_be_due
        steps = 0
        while True:
            own = heap[0][0] if heap else math.inf
            # maybe_due is one cheap look at the router's heap; next_deadline cleans it
            deadline = router.next_deadline() if maybe_due(own) else None
            if deadline is not None and deadline < own:
                if deadline > self.stop:
                    break
                self.now = deadline
                self.send(ev.new_tick(at=deadline))
                self._drain_soon()
                continue
            if own > self.stop:
                break
            at, _seq, action, a, b, c = pop(heap)
            self.now = at
            action(a, b, c)
            self._drain_soon()
            steps += 1
            if self.progress is not None and steps % 8192 == 0:
                self.progress(min(1.0, at / self.end))
        self._close()
        return RunResult(
            replication=self.replication,
            policy=self.policy,
            records=self.records,
            agents=self.staff.times(),
            occupancy_busy=self.clock.busy,
            occupancy_idle=self.clock.idle,
            interval_seconds=self.clock.interval,
            measured=(self.start, self.end),
            router_events=self.sent,
            wall_seconds=wallclock.perf_counter() - started,
            self_service=() if self.desk is None else tuple(self.desk.visits),
            callbacks=() if self.callbacks is None else tuple(self.callbacks.visits),
            consults=() if self.consults is None else tuple(self.consults.visits),
        )

    def push(self, at: float, action: Action, a: Any, b: Any, c: Any) -> None:
        """Call ``action(a, b, c)`` at simulated time ``at`` (ties: first pushed, first called).
        Cost: O(log heap)."""
        heapq.heappush(self.heap, (at, next(self.seq), action, a, b, c))

    def send(self, event: ev.Event) -> None:
        """Send one event to the router (through the hub with context on) and carry out its
        decisions. Cost: one ``Router.handle``."""
        # Speed trick: the loop of _carry_out inlined, one call less per router event (a profile
        # of single-queue put the extra call at 0.12 s for 67,670 contacts).
        self.sent += 1
        handlers = self.handlers
        for decision in self.route(event):
            handler = handlers.get(type(decision))
            if handler is not None:
                handler(decision)

    def send_ending(self, event: ev.Event, outcome: str | None) -> None:
        """Send an event that ends an agent's part of a contact; with context on, the store
        records ``outcome`` (``resolved``/``unresolved``). Cost: one ``Router.handle``."""
        hub = self.model.hub
        if hub is None or outcome is None:
            self.send(event)
        else:
            self.sent += 1
            self._carry_out(hub.handle(event, outcome=outcome))

    def _carry_out(self, decisions: list[Any]) -> None:
        handlers = self.handlers
        for decision in decisions:
            handler = handlers.get(type(decision))
            if handler is not None:
                handler(decision)

    def _drain_soon(self) -> None:
        soon = self.soon
        while soon:
            action, a, b, c = soon.pop(0)
            action(a, b, c)

    def _change_queue(self, queue: QueueConfig, _b: Any, _c: Any) -> None:
        """A queue's ``changes`` entry takes effect: contacts arriving from now on are measured
        against its service-level threshold, the agents' side and the customer model follow its
        wrap-up and who serves it, the callback desk its ``queued_callback``, and the router is
        told (``QueueChanged``, which also carries its hours; an offer it withdraws is lost as
        any other, see :meth:`_on_offer_lost`). Cost: one router event, plus O(agents + groups)
        to follow."""
        self.queues[queue.name] = queue
        if self.callbacks is not None:
            self.callbacks.queue_changed(queue)
        self.staff.queue_changed(queue)
        self.model.queue_changed(queue, self.graph)
        self.send(queue_changed(self.now, queue))

    # -- customers --------------------------------------------------------------------------
    def _next_arrival(self, source: CustomerSource) -> None:
        at = next(source.times, None)
        start = self.added_at.get(source.workload.queue) if self.added_at else None
        while at is not None and start is not None and at < start:  # before its queue exists
            at = next(source.times, None)
        if at is not None:
            self.push(at, self._arrival, source, None, None)

    def _arrival(self, source: CustomerSource, _b: Any, _c: Any) -> None:
        customer = source.customer(self.now)
        self._next_arrival(source)
        issue = Issue(f"u{next(self.ids)}", customer.workload, customer.issue_seed)
        self._reach(customer, source.workload.queue, issue, "new")

    def _spawn(self, customer: Customer, queue: str, who: tuple[Issue, str]) -> None:
        if self.prefs is not None:  # a returning customer may take the preferred channel
            queue = self.prefs.return_queue(who[0], queue, self.now)
        self._reach(customer, queue, who[0], who[1])

    def _reach(self, customer: Customer, queue_name: str, issue: Issue, origin: str) -> None:
        """The contact passes its self-service step first, if it has one (see .self_service)."""
        desk = self.desk
        step = None if desk is None else desk.step(customer.workload, queue_name)
        if desk is None or step is None:
            self._enter(customer, queue_name, issue, origin)
            return
        drawn = desk.visit(step, issue.customer_id, queue_name, self.now,
                                seed=issue.seed, number=issue.contacts + 1)  # fmt: skip
        if drawn is None:
            self._enter(customer, queue_name, issue, origin)
        elif not drawn.contained:  # a contained contact never reaches the queue
            self.push(self.now + drawn.seconds, self._self_served, customer, queue_name,
                      (issue, origin, drawn.facts))  # fmt: skip

    def _self_served(
        self, customer: Customer, queue_name: str, who: tuple[Issue, str, tuple[str, ...]]
    ) -> None:
        issue, origin, facts = who
        if facts:
            self.model.collected(issue, self.queues[queue_name].channel, facts, self.now)
        self._enter(customer, queue_name, issue, origin)

    def _enter(self, customer: Customer, queue_name: str, issue: Issue, origin: str) -> None:
        queue = self.queues[queue_name]
        item = self.scenario.workload[customer.workload]
        contact_id = f"c{next(self.ids)}"
        record = ContactRecord(
            contact_id, issue.customer_id, queue.channel, queue_name, item.segment,
            arrived_at=self.now, origin=origin,
            threshold=queue.service_level_seconds if item.service_level_seconds is None
            else item.service_level_seconds,
            replication=self.replication,
        )  # fmt: skip
        self.records.append(record)
        issue.contacts += 1
        live = LiveContact(record, customer, queue_name, issue, issue.contacts)
        self.live[contact_id] = live
        if item.ivr is not None:
            self.model.self_service(issue, live.stream(), queue.channel, self.now)
        if customer.patience_seconds is not None:
            self.push(self.now + customer.patience_seconds, self._abandon, contact_id, 0, None)
        criteria = self._criteria_of(customer.workload, queue_name)
        if self.model.hub is None:
            arrived = ev.new_contact_arrived(
                at=self.now, contact_id=contact_id, queue=queue_name,
                priority=item.priority, customer_id=issue.customer_id, criteria=criteria,
            )  # fmt: skip
        else:  # the hub identifies the customer in its store and fills preferred agents
            identity = self.model.identity(issue, queue.channel)
            arrived = ev.new_contact_arrived(
                at=self.now, contact_id=contact_id, queue=queue_name, priority=item.priority,
                customer_id=None, attributes={"identity": identity}, criteria=criteria,
            )  # fmt: skip
        self.entering = contact_id
        self.send(arrived)
        self.entering = None

    def _criteria_of(self, workload: int, queue_name: str) -> RoutingCriteria | None:
        """The routing criteria of the workload's next contact in its own queue: a ``share``
        of them, spread evenly (contact n has them when floor(n·share) grows)."""
        found = self.criteria.get(workload) if self.criteria else None
        if found is None or queue_name != self.scenario.workload[workload].queue:
            return None
        criteria, share = found
        entered = self.criteria_entered[workload]
        self.criteria_entered[workload] = entered + 1
        return criteria if math.floor((entered + 1) * share) > math.floor(entered * share) else None

    def _abandon(self, contact_id: str, leg: int, _c: Any) -> None:
        live = self.live.get(contact_id)
        if live is None or live.leg != leg or live.status == "connected":
            return  # connected (or gone) first: the abandon is cancelled
        if self.callbacks is not None and self.is_callback(contact_id):
            return  # a queued callback: the customer hung up, no patience applies
        del self.live[contact_id]
        live.record.outcome, live.record.ended_at = "abandoned", self.now
        self.send(ev.new_contact_abandoned(at=self.now, contact_id=contact_id))
        customer = live.customer
        if customer.callback_after is not None:
            callback = self.scenario.workload[customer.workload].callback
            assert callback is not None
            again = Customer(
                workload=customer.workload,
                arrived_at=self.now + customer.callback_after,
                handle_seconds=customer.handle_seconds,
                patience_seconds=customer.callback_patience,
                issue_seed=customer.issue_seed,
            )
            self._later(again, callback.queue, live.issue, "callback")

    def _later(self, customer: Customer, queue: str, issue: Issue, origin: str) -> None:
        if customer.arrived_at < self.end:  # no new contacts after the measured window
            self.push(customer.arrived_at, self._spawn, customer, queue, (issue, origin))

    # -- agents answering -------------------------------------------------------------------
    def _on_offer(self, d: dc.Offer) -> None:
        live = self.live.get(d.contact_id)
        if live is None:
            return
        if d.queue != live.queue:  # the router moved it (its queue closed, see _moved)
            self._moved(live, d.queue)
        live.status, live.agent_id = "offered", d.agent_id
        live.offer_seq += 1
        live.record.offers += 1
        if live.record.offered_at is None:
            live.record.offered_at = d.at
        if d.auto_accepted:  # the router accepted it: connected now, no answer to send
            self.soon.append((self._auto_accepted, d.contact_id, d.agent_id, live.offer_seq))
            return
        group = self.agents[d.agent_id].group
        answer: Callable[[str, str, int], None] = self._accept
        if group.reject_probability and self.people_rng.random() < group.reject_probability:
            answer = self._reject
        delay = self.answer_delay.get(group.group)
        wait = delay() if delay is not None else 0.0
        if wait > 0:
            self.push(d.at + wait, answer, d.contact_id, d.agent_id, live.offer_seq)
        else:
            self.soon.append((answer, d.contact_id, d.agent_id, live.offer_seq))

    def _on_briefed_offer(self, d: BriefedOffer) -> None:
        self._on_offer(d.offer)
        live = self.live.get(d.contact_id)
        if live is not None:  # the agent works from the brief that came with the offer
            live.known = () if d.brief is None else d.brief.do_not_ask

    def _offer_open(self, contact_id: str, agent_id: str, offer_seq: int) -> LiveContact | None:
        live = self.live.get(contact_id)
        if live is None or live.status != "offered" or live.offer_seq != offer_seq:
            return None
        return live if live.agent_id == agent_id else None

    def _auto_accepted(self, contact_id: str, agent_id: str, offer_seq: int) -> None:
        """The router accepted the offer on the agent's behalf (``Offer.auto_accepted``): the
        agent's side of an accept, with no ``OfferAccepted`` sent."""
        self._accept(contact_id, agent_id, offer_seq, send=False)

    def _accept(self, contact_id: str, agent_id: str, offer_seq: int, *, send: bool = True) -> None:
        live = self._offer_open(contact_id, agent_id, offer_seq)
        if live is None:
            return
        if self.callbacks is not None and self.dial(live, agent_id, send=send):
            return  # a queued callback: the agent dials first
        live.status = "connected"
        record, agent = live.record, self.agents[agent_id]
        first = record.answered_at is None
        if first:
            record.answered_at, record.agent_id = self.now, agent_id
        record.agents += (agent_id,)
        if live.known:  # the brief with the offer had these: the agent does not ask them
            record.not_asked = merged(record.not_asked, live.known)
        self.staff.hold(agent, +1)
        agent.talking += 1
        if send:
            self.send(ev.new_offer_accepted(at=self.now, contact_id=contact_id, agent_id=agent_id))
        hub = self.model.hub
        if first and hub is not None:  # the hub knows the preferred agents it routed with
            routed = hub.open_record(contact_id)
            record.preferred_agent = None if routed is None else routed.preferred_agent
        channel = self.queues[live.queue].channel
        handle = self.model.answer_seconds(live, agent.group, agent.talking, channel, self.now)
        if live.first and first and self.prefs is not None:
            self.prefs.answered(live.issue, channel, contact_id, self.now)
        record.handle_seconds += handle
        if self.start <= record.arrived_at < self.end:
            agent.answered += 1
            agent.handle_seconds += handle
            if live.first:
                agent.first_contacts += 1
        if self.consults is None:
            self.push(self.now + handle, self._end, contact_id, live.leg, None)
        else:  # the agent may consult a colleague first (see .consult_loop)
            self.handling(live, agent, handle)

    def _reject(self, contact_id: str, agent_id: str, offer_seq: int) -> None:
        live = self._offer_open(contact_id, agent_id, offer_seq)
        if live is None:
            return
        live.status, live.agent_id = "waiting", None
        live.offer_seq += 1
        self.send(ev.new_offer_rejected(at=self.now, contact_id=contact_id, agent_id=agent_id))

    def _on_offer_lost(self, d: dc.OfferExpired | dc.OfferWithdrawn) -> None:
        live = self.live.get(d.contact_id)
        if live is not None and live.status == "offered" and live.agent_id == d.agent_id:
            live.status, live.agent_id = "waiting", None
            live.offer_seq += 1

    def _on_enqueued(self, d: dc.Enqueued) -> None:
        live = self.live.get(d.contact_id)
        if live is not None and d.queue != live.queue:
            self._moved(live, d.queue)
        if live is not None and not live.record.offers and d.at == live.record.arrived_at:
            live.record.estimated_wait = d.estimated_wait  # the estimate given on arrival

    def _on_refused(self, d: dc.Refused) -> None:
        live = self.live.get(d.contact_id)
        if live is None:
            return
        if live.status == "connected":  # transfer target full: finish where it is
            self._finish(live)
            return
        del self.live[d.contact_id]
        # refused on arrival (queue full or closed), else ended by its queue's closing rule
        outcome = "refused" if d.contact_id == self.entering else "closed"
        live.record.outcome, live.record.ended_at = outcome, self.now
        if self.callbacks is not None:  # a queued callback ended by the closing: no more dials
            self.callbacks.live.pop(d.contact_id, None)

    def _moved(self, live: LiveContact, queue: str) -> None:
        """The router put the contact in another queue than the engine's: its queue was closed
        (``closed_queue``: an arrival sent there, or a waiting contact moved by the closing rule
        ``"move"``). It is served and wraps up there; its record's ``final_queue`` says so."""
        live.queue = live.record.final_queue = queue

    # -- handling ends, wrap-up, transfers ----------------------------------------------------
    def _end(self, contact_id: str, leg: int, _c: Any) -> None:
        live = self.live.get(contact_id)
        if live is None or live.leg != leg or live.status != "connected":
            return
        item = self.scenario.workload[live.customer.workload]
        if leg == 0 and live.customer.transfer_handle is not None and item.transfer is not None:
            self._transfer(live, item.transfer.queue)
        else:
            self._finish(live)

    def _transfer(self, live: LiveContact, target: str) -> None:
        agent = self.agents[live.agent_id or ""]
        agent.talking -= 1
        live.leg, live.status, live.agent_id = 1, "waiting", None
        live.offer_seq += 1
        live.record.transfers += 1
        live.record.final_queue = target
        source_queue, live.queue = live.queue, target
        self.staff.release(agent, live.record, source_queue,
                      ev.new_contact_transferred(at=self.now, contact_id=live.record.contact_id, queue=target))  # fmt: skip

    def _finish(self, live: LiveContact) -> None:
        record = live.record
        del self.live[record.contact_id]
        record.outcome, record.ended_at = "handled", self.now
        agent = self.agents[live.agent_id or ""]
        agent.talking -= 1
        customer, issue = live.customer, live.issue
        group = agent.group
        resolved = customer.repeat_after is None  # a contact drawn to repeat is unresolved
        if resolved and group.resolution < 1.0:
            resolved = self.model.resolves(group, live.stream())
        record.resolved = resolved
        if self.start <= record.arrived_at < self.end:  # per-agent outcome counts
            agent.ended += 1
            agent.resolved += resolved
            if live.first and resolved and record.agent_id is not None:
                self.agents[record.agent_id].first_resolved += 1
        outcome = "resolved" if resolved else "unresolved"  # what the hub records
        self.staff.release(agent, record, live.queue,
                      ev.new_contact_ended(at=self.now, contact_id=record.contact_id), outcome)  # fmt: skip
        if customer.repeat_after is not None:
            repeat = self.scenario.workload[customer.workload].repeat
            assert repeat is not None
            again = Customer(
                workload=customer.workload,
                arrived_at=self.now + customer.repeat_after,
                handle_seconds=customer.handle_seconds,
                patience_seconds=customer.patience_seconds,
                issue_seed=customer.issue_seed,
            )
            self._later(again, repeat.queue or live.queue, issue, "repeat")
        elif not resolved:
            back = self.model.comes_back(issue, live.stream(), self.now, customer)
            unresolved = self.scenario.workload[customer.workload].unresolved
            if back is not None and unresolved is not None:
                self._later(back, unresolved.queue or live.queue, issue, "unresolved")

    def _close(self) -> None:
        self.now = max(self.now, self.end)
        self.staff.close(self.now)
        for live in self.live.values():
            live.record.outcome = "unfinished"


def run(
    scenario: Scenario,
    *,
    replication: int = 0,
    policy: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Simulate one replication of the scenario under a routing policy. Cost: O(events · log n),
    dominated by ``Router.handle``. The cyclic garbage collector is paused while it runs (and
    restored after), as ``timeit`` does."""
    return _Simulation(scenario, replication, policy or scenario.simulation.policy, progress).run()
