"""Router: the only thing that mutates routing state. ``handle(event) -> list[Decision]``.

Theory of operation
-------------------
The caller owns time and I/O. Each event first applies every deadline due at or before its time
(exactly as a ``Tick`` would), then is *validated* against the state, then *applied*. Validation
never mutates, so a rejected event leaves the router exactly as ``Tick(at=event.at)`` would have,
and the error carries the decisions of those deadlines (``err.decisions``): nothing is parked for
a later call. (Validating before the deadlines would check against stale state, e.g. accept an
offer that expired before ``at``.) Event values were validated by the event constructors, so
``handle`` does only a constant few checks of its own.

Waiting contacts sit in lines per routing class (queue, stage) — the final "any agent" stages of a
channel share one line per aging rate; available agents sit in pools per (queue, skill cost) and
per channel, ordered by the agent policy (see :mod:`.pools`). Two moves keep the router
work-conserving: ``match_contact`` (a contact became waiting or eligible for more agents: read a
few pool heads) and ``match_agent`` (an agent gained capacity: read the heads of the lines it
serves). Every state change that can create a match calls one of them, so after any event no
contact waits while an eligible agent could take it. No event scans all agents or all contacts.

>>> from experiencehub.core import events as ev
>>> router = Router(SkillGraph(), [QueueSpec("q", channel="chat", requires={"s": 1})])
>>> router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"s": 2}))
[]
>>> [type(d).__name__ for d in router.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))]
['Offer']
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import attrs

from . import decisions as dc
from . import events as ev
from ._routing import OFFER, RoutingState
from ._validators import MAX_SECONDS, FrozenDict
from .agents import AgentState, AgentStatus, ChannelRules, WorkPhase, next_status
from .contacts import ContactState, ContactStatus, next_contact_status
from .errors import (
    ClockWentBackwards,
    ConfigError,
    DuplicateId,
    InvalidEvent,
    InvalidTransition,
    OfferNotFound,
    RouterFailed,
    RoutingError,
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
)
from .policies import AgentPolicy, make_policy
from .queues import QueueSpec, WaitingLine
from .skills import SkillGraph
from .stats import RouterStats

__all__ = ["AgentView", "Router", "Work"]


@attrs.frozen(kw_only=True, slots=True)
class Work:
    """A contact holding one of an agent's slots, as an agent desktop shows it.

    ``phase``: ``"offered"`` (ringing; ``until`` is when the offer expires, None if offers never
    expire), ``"connected"`` (``since`` the agent accepted) or ``"wrap_up"`` (``until`` is when a
    timed wrap-up ends, None when the agent ends it). ``since`` is when the offer was made or the
    contact connected; None in wrap-up.
    """

    contact_id: str
    channel: str
    phase: str
    since: float | None
    until: float | None


@attrs.frozen(kw_only=True, slots=True)
class AgentView:
    """One agent's status as a supervisor's board shows it.

    ``status``: ``"available"``, ``"away"`` or ``"logging_out"``; ``reason``: why it is away —
    the ``reason`` of the ``AgentStatusChanged`` that sent it away (e.g. ``"Break"``), or
    ``"unanswered offers"`` when the router set it away — None otherwise; ``since``: when this
    status and reason began (login time for an agent available since login); ``load`` and
    ``capacity``: slots in use and slots per channel.
    """

    agent_id: str
    status: str
    reason: str | None
    since: float
    load: Mapping[str, int]
    capacity: Mapping[str, int]


class Router(RoutingState):
    """Routes contacts to agents. Deterministic: same events (and seed) → same decisions."""

    def __init__(
        self,
        skills: SkillGraph,
        queues: Iterable[QueueSpec],
        *,
        agent_policy: str | AgentPolicy = "longest_idle",
        seed: int = 0,
        offer_timeout: float | None = 30.0,
        max_unanswered_offers: int | None = 3,
        channel_rules: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        queue_list = _queue_list(queues)
        _check_config(skills, queue_list, offer_timeout, max_unanswered_offers)
        _check_rules(channel_rules)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"seed={seed!r}: must be an integer")
        skills.freeze()
        rng = random.Random(seed)
        rules = (
            ChannelRules.default()
            if channel_rules is None
            else ChannelRules.from_mapping(channel_rules)
        )
        super().__init__(
            skills=skills,
            queues={q.name: q for q in queue_list},
            policy=make_policy(agent_policy, rng),
            rules=rules,
            offer_timeout=offer_timeout,
            max_unanswered=max_unanswered_offers,
        )
        self._failure: str | None = None  # set when applying an event failed (a bug)
        # the login checked last and the agent it makes, applied by _login right after
        self._admitting: tuple[ev.AgentLoggedIn, AgentState] | None = None
        self._handlers: dict[
            type, tuple[Callable[[Any], None], Callable[[Any, list[dc.Decision]], None]]
        ] = {
            ev.AgentLoggedIn: (self._check_login, self._login),
            ev.AgentStatusChanged: (self._check_status, self._status),
            ev.AgentLoggedOut: (self._check_logout, self._logout),
            ev.ContactArrived: (self._check_arrival, self._arrive),
            ev.OfferAccepted: (self._check_offer_answer, self._accept),
            ev.OfferRejected: (self._check_offer_answer, self._reject),
            ev.ContactEnded: (self._check_end, self._end),
            ev.WrapUpEnded: (self._check_wrap_up_end, self._wrap_up_end),
            ev.ContactAbandoned: (self._check_abandon, self._abandon),
            ev.ContactTransferred: (self._check_transfer, self._transfer),
            ev.Tick: (_no_check, _no_apply),
        }

    # -- the public surface --------------------------------------------------------------
    def handle(self, event: ev.Event) -> list[dc.Decision]:
        """Apply due deadlines, then the event; return the decisions to carry out, in order.

        A bad event raises a :class:`RoutingError` subclass and is not applied. The router is
        then left exactly as after ``Tick(at=event.at)``: the deadlines due by then have applied,
        and their decisions are the error's ``decisions`` (a tuple, empty when none were due) for
        the caller to carry out; nothing is parked or delayed. An event that is no event, or whose
        time lies before the router's (``ClockWentBackwards``) or is no valid time, changes
        nothing. Should applying an accepted event fail unexpectedly (a bug), ``RouterFailed``
        carries the decisions made until then and the router refuses every later event, rather
        than route from half-changed state. Cost: O(log n) in waiting contacts and agents (plus
        the deadlines that fall due).
        """
        if self._failure is not None:
            raise RouterFailed(
                f"{type(event).__name__}: refused, the router failed earlier ({self._failure}); "
                "rebuild it, e.g. by replaying the journal of accepted events"
            )
        handlers = self._handlers.get(type(event))
        if handlers is None:
            raise InvalidEvent(f"{event!r:.200}: not a routing event (see experiencehub.events)")
        at = event.at
        try:  # a trusted constructor may have let a bad time through; NaN fails this test too
            in_time = self.now <= at <= MAX_SECONDS
        except TypeError:
            in_time = False
        if not in_time:
            raise self._bad_time(event)
        check, apply = handlers
        out: list[dc.Decision] = []
        try:
            if self.deadlines.maybe_due(at):
                self._run_deadlines(at, out)
            self.now = at
        except BaseException as exc:
            raise self._fail(exc, out) from exc
        try:
            check(event)
        except RoutingError as err:
            err.decisions = tuple(out)
            raise
        except Exception as exc:  # e.g. an unhashable id in an event built without validation
            raise InvalidEvent(
                f"{event!r:.200}: refused ({type(exc).__name__}: {exc})", decisions=tuple(out)
            ) from exc
        try:
            apply(event, out)
        except BaseException as exc:
            raise self._fail(exc, out) from exc
        return out

    def _bad_time(self, event: ev.Event) -> RoutingError:
        at = event.at
        if isinstance(at, (int, float)) and not isinstance(at, bool) and at < self.now:
            return ClockWentBackwards(
                f"{type(event).__name__} at={at}: before the router's time {self.now}; "
                "events must come in time order"
            )
        return InvalidEvent(
            f"{type(event).__name__} at={at!r:.60}: must be a number of seconds, finite and "
            f"<= {MAX_SECONDS:g}"
        )

    def _fail(self, exc: BaseException, out: list[dc.Decision]) -> BaseException:
        """Close the router after an unexpected failure; keep the decisions made so far."""
        self._failure = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, Exception):  # KeyboardInterrupt and the like pass through
            return exc
        return RouterFailed(
            f"applying an event failed unexpectedly ({self._failure}); the router refuses "
            "every later event: carry out err.decisions, then rebuild it",
            decisions=tuple(out),
        )

    def next_deadline(self) -> float | None:
        """When the caller must send ``Tick`` next; None when nothing is pending. Cost: O(1)."""
        return self.deadlines.next_at()

    def deadline_may_be_due(self, at: float) -> bool:
        """False when surely no deadline is due at or before ``at`` (answered without cleaning
        cancelled entries, so cheaper than :meth:`next_deadline`); True when one may be — then
        ask :meth:`next_deadline`. For drivers that poll before every event. Cost: O(1).
        """
        return self.deadlines.maybe_due(at)

    @property
    def stats(self) -> RouterStats:
        """Real-time statistics; every read is O(1)."""
        return self._stats

    @property
    def queues(self) -> Mapping[str, QueueSpec]:
        return self._queues

    @property
    def policy_name(self) -> str:
        return self.policy.name

    def contact_status(self, contact_id: str) -> str:
        """``"waiting"``, ``"offered"`` or ``"connected"``. Cost: O(1)."""
        return self._contact(contact_id).status.value

    def agent_status(self, agent_id: str) -> str:
        """``"available"``, ``"away"`` or ``"logging_out"``. Cost: O(1)."""
        return self._agent(agent_id).status.value

    def agent_view(self, agent_id: str) -> AgentView:
        """The agent as a supervisor's board shows it: status, away reason, since when, load
        and capacity. Cost: O(channels)."""
        agent = self._agent(agent_id)
        return AgentView(
            agent_id=agent_id,
            status=agent.status.value,
            reason=agent.reason,
            since=agent.status_since,
            load=FrozenDict(agent.load),
            capacity=FrozenDict(agent.capacity),
        )

    def agent_load(self, agent_id: str) -> dict[str, int]:
        """Slots in use per channel (offered, connected or wrap-up). Cost: O(channels)."""
        return dict(self._agent(agent_id).load)

    def agent_ids(self) -> list[str]:
        """The agents logged in (also those logging out), in login order. Cost: O(agents)."""
        return list(self.agents)

    def work(self, agent_id: str) -> list[Work]:
        """What holds the agent's slots: offers awaiting an answer, connected contacts and
        wrap-ups, in the order the agent took them — what its desktop must show, e.g. after a
        restart (docs/durability.md). Cost: O(the agent's work).
        """
        agent = self._agent(agent_id)
        return [
            self._work_item(agent, cid, channel, phase)
            for cid, (channel, phase) in agent.work.items()
        ]

    def _work_item(self, agent: AgentState, cid: str, channel: str, phase: WorkPhase) -> Work:
        if phase is WorkPhase.WRAP_UP:
            entry = agent.wrapups.get(cid)
            return Work(contact_id=cid, channel=channel, phase="wrap_up", since=None,
                        until=None if entry is None else entry[0])  # fmt: skip
        contact = self.contacts[cid]
        until = None
        if phase is WorkPhase.OFFERED:
            until = next((d[0] for d in contact.deadlines if d[2] == OFFER), None)
        return Work(
            contact_id=cid, channel=channel, phase=phase.value, since=contact.since, until=until
        )

    def explain(self, contact_id: str) -> dc.Explanation:
        """Why a contact is where it is: for a waiting one, what keeps each agent from it.

        A diagnostic, not an event: Cost: O(agents).
        """
        contact = self._contact(contact_id)
        if contact.status is not ContactStatus.WAITING:
            return dc.Explanation(
                policy=self.policy.name,
                summary=f"{contact_id} is {contact.status.value} with {contact.agent_id}",
            )
        queue = contact.queue
        stage = queue.stages[contact.stage]
        reasons: dict[str, list[dc.Candidate]] = {}
        for agent in self.agents.values():
            why, cost = self._why_not(agent, contact, stage.max_cost)
            reasons.setdefault(why, []).append(
                dc.Candidate(agent_id=agent.agent_id, cost=cost, note=why)
            )
        counts = (
            "; ".join(f"{len(found)} {why}" for why, found in sorted(reasons.items()))
            or "no agent is logged in"
        )
        ring = "any agent" if stage.max_cost is None else f"skill cost <= {stage.max_cost:g}"
        target = (
            f"preferred agents {', '.join(contact.affinity)} only" if contact.affinity else ring
        )
        return dc.Explanation(
            policy=self.policy.name,
            summary=(
                f"{contact_id} waits in {queue.name} at stage {contact.stage} ({target}), "
                f"{self.now - contact.enqueued_at:g}s so far: {counts}"
            ),
            candidates=tuple(c for found in reasons.values() for c in found),
        )

    def _why_not(
        self, agent: AgentState, contact: ContactState, max_cost: float | None
    ) -> tuple[str, float]:
        queue = contact.queue
        # agents skilled beyond the queue's last finite stage are not among its pools' agents
        # (found at an "any agent" stage through the channel), but they are not unskilled
        served = agent.serving.get(queue.name) or self.skills.serving_cost(
            agent.skills, queue.requires
        )
        cost = -1.0 if served is None else served[0]
        if contact.affinity and agent.agent_id not in contact.affinity:
            return "not a preferred agent (affinity window)", cost
        if agent.agent_id in contact.excluded:
            return "declined it, let its offer expire, or transferred it", cost
        if agent.capacity.get(queue.channel, 0) <= 0:
            return f"no {queue.channel} capacity", cost
        if served is None and max_cost is not None:
            return "lack the skills", cost
        if max_cost is not None and served is not None and served[0] > max_cost:
            return "skill cost above this stage's limit", cost
        if agent.status is not AgentStatus.AVAILABLE:
            reason = f" ({agent.reason})" if agent.reason else ""
            return f"{agent.status.value}{reason}", cost
        if agent.load.get(queue.channel, 0) >= agent.capacity[queue.channel]:
            return f"at {queue.channel} capacity", cost
        if queue.channel not in agent.taking:
            return "blocked by work on another channel", cost
        return "eligible and free (a match is due)", cost

    def _check(self) -> None:
        """Assert every routing invariant (docs/routing.md); the tests call it after each event.

        Cost: O(contacts·agents) — for tests only.
        """
        self.deadlines._check()
        self.pools._check(self.agents, self._searching_exclusions)
        held: dict[str, str] = {}
        for agent in self.agents.values():
            agent._check(self.rules)
            for cid, (_channel, phase) in agent.work.items():
                if phase is WorkPhase.WRAP_UP:
                    assert agent.agent_id in self.wrapping.get(cid, ()), (cid, agent.agent_id)
                else:
                    assert cid not in held, f"{cid} held by {held.get(cid)} and {agent.agent_id}"
                    held[cid] = agent.agent_id
                    contact = self.contacts[cid]
                    assert contact.agent_id == agent.agent_id, (
                        cid,
                        contact.agent_id,
                        agent.agent_id,
                    )
                    assert contact.status.value == phase.value, (cid, contact.status, phase)
        for agent_id, own in self.affinity_lines.items():
            assert own and all(own.values()), f"empty affinity line kept for {agent_id}"
        for cid, wrappers in self.wrapping.items():
            assert wrappers, cid
            for agent_id in wrappers:
                assert self.agents[agent_id].phase_of(cid) is WorkPhase.WRAP_UP, (cid, agent_id)
        lines: list[tuple[str | None, WaitingLine]] = [(None, ln) for ln in self.lines.values()]
        lines += [(q, line) for own in self.affinity_lines.values() for q, line in own.items()]
        for queue_name, line in lines:
            line._check()
            for key, cid in line:
                contact = self.contacts[cid]
                assert contact.status is ContactStatus.WAITING and contact.key == key, cid
                assert queue_name in (None, contact.queue.name), (cid, queue_name)
                assert line.channel == contact.queue.channel, (cid, line.channel)
                assert line.aging_rate == contact.queue.aging_rate, (cid, line.aging_rate)
        for cid, contact in self.contacts.items():
            self._check_contact(cid, contact, held)
        self.declined._check(lambda agent_id, cid: agent_id in self.contacts[cid].excluded)

    def _searching_exclusions(self, cid: str) -> AbstractSet[str] | None:
        """The exclusions of a contact that may still look for an agent (for ``_check``)."""
        contact = self.contacts.get(cid)
        if contact is None or contact.status is ContactStatus.CONNECTED:
            return None
        return contact.excluded

    def _check_contact(self, cid: str, contact: ContactState, held: dict[str, str]) -> None:
        for entry in contact.deadlines:
            assert entry in self.deadlines, (cid, entry)
        if contact.status is ContactStatus.WAITING:
            assert cid not in held, cid
            assert len(contact.lines) == (len(contact.affinity) or 1), cid
            assert len(set(contact.affinity)) == len(contact.affinity), cid
            for agent_id in contact.affinity:  # a preferred agent is still there to take it
                assert agent_id in self.agents, (cid, agent_id)
                assert self.agents[agent_id].status is not AgentStatus.LOGGING_OUT, (cid, agent_id)
                assert self.agents[agent_id].seq <= contact.affinity_logins, (cid, agent_id)
            for agent_id in self.wrapping.get(cid, ()):  # never offered to an agent wrapping it
                assert agent_id in contact.excluded, (cid, agent_id)
            max_cost = contact.queue.stages[contact.stage].max_cost
            for agent in self.agents.values():
                why, _cost = self._why_not(agent, contact, max_cost)
                assert why != "eligible and free (a match is due)", (
                    f"work not conserved: {cid} waits while {agent.agent_id} is free"
                )
        else:
            assert contact.agent_id is not None and held.get(cid) == contact.agent_id, cid
            assert not contact.lines, cid
            assert contact.agent_id not in self.wrapping.get(cid, ()), cid

    # -- validation (never mutates) -------------------------------------------------------
    def _agent(self, agent_id: str) -> AgentState:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(f"{agent_id}: no agent with this id is logged in")
        return agent

    def _contact(self, contact_id: str) -> ContactState:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise UnknownContact(
                f"{contact_id}: no such contact (never arrived, or already ended or abandoned)"
            )
        return contact

    def _queue(self, name: str) -> QueueSpec:
        queue = self._queues.get(name)
        if queue is None:
            raise UnknownQueue(
                f"{name}: no queue with this name (known: {', '.join(self._queues)})"
            )
        return queue

    def _check_login(self, e: ev.AgentLoggedIn) -> None:
        """The id is free and the policy's keys for the agent have the policy's one length
        (the agent made here is the one ``_login`` logs in: validate first, mutate after)."""
        agent = self.agents.get(e.agent_id)
        if agent is not None:
            raise DuplicateId(f"{e.agent_id}: already logged in ({agent.status.value})")
        self._admitting = None
        made = self.new_agent(e.agent_id, e.skills, e.capacity)
        self.pools.check_keys(made)
        self._admitting = (e, made)

    def _check_status(self, e: ev.AgentStatusChanged) -> None:
        agent = self._agent(e.agent_id)
        next_status(e.agent_id, agent.status, e.status)

    def _check_logout(self, e: ev.AgentLoggedOut) -> None:
        agent = self._agent(e.agent_id)
        next_status(e.agent_id, agent.status, "logout")

    def _check_arrival(self, e: ev.ContactArrived) -> None:
        self._queue(e.queue)
        if e.contact_id in self.contacts or e.contact_id in self.wrapping:
            raise DuplicateId(f"{e.contact_id}: a contact with this id is still in the router")

    def _check_offer_answer(self, e: ev.OfferAccepted | ev.OfferRejected) -> None:
        contact = self._contact(e.contact_id)
        self._agent(e.agent_id)
        if contact.status is not ContactStatus.OFFERED or contact.agent_id != e.agent_id:
            held = f"offered to {contact.agent_id}" if contact.agent_id else contact.status.value
            raise OfferNotFound(
                f"{e.contact_id}: no open offer to {e.agent_id} (contact is {held}; "
                "the offer may have expired or been withdrawn)"
            )

    def _check_end(self, e: ev.ContactEnded) -> None:
        contact = self._contact(e.contact_id)
        next_contact_status(e.contact_id, contact.status, "end")

    def _check_wrap_up_end(self, e: ev.WrapUpEnded) -> None:
        agent = self._agent(e.agent_id)
        if agent.phase_of(e.contact_id) is not WorkPhase.WRAP_UP:
            raise InvalidTransition(f"{e.agent_id}: not in wrap-up for {e.contact_id}")

    def _check_abandon(self, e: ev.ContactAbandoned) -> None:
        contact = self._contact(e.contact_id)
        next_contact_status(e.contact_id, contact.status, "abandon")

    def _check_transfer(self, e: ev.ContactTransferred) -> None:
        self._contact(e.contact_id)
        self._queue(e.queue)

    # -- application (state is known to be valid here) ------------------------------------
    def _login(self, e: ev.AgentLoggedIn, out: list[dc.Decision]) -> None:
        admitting, self._admitting = self._admitting, None
        assert admitting is not None and admitting[0] is e, "a login is applied after its check"
        agent = admitting[1]
        self.add_agent(agent)
        self.match_agent(agent, out)
        self.pools.refresh(agent)

    def _status(self, e: ev.AgentStatusChanged, out: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        before = agent.status
        agent.set_status(next_status(e.agent_id, agent.status, e.status), e.reason, self.now)
        if agent.status is AgentStatus.AWAY:
            self.withdraw_offers(agent, "agent went away", out)
            self.pools.refresh(agent)
        elif before is not AgentStatus.AVAILABLE:
            agent.unanswered = 0
            agent.idle_since = self.now
            self.pools.refresh(agent, place=False)
            self.match_agent(agent, out)
            self.pools.refresh(agent)

    def _logout(self, e: ev.AgentLoggedOut, out: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        agent.set_status(AgentStatus.LOGGING_OUT, None, self.now)
        self.pools.refresh(agent)
        self.drop_affinity(agent.agent_id, out)
        self.withdraw_offers(agent, "agent logged out", out)
        self.finish_logout_if_idle(agent, out)

    def _arrive(self, e: ev.ContactArrived, out: list[dc.Decision]) -> None:
        queue = self._queues[e.queue]
        counters = self._stats.counters(queue.name)
        counters.arrived += 1
        if queue.max_length is not None and self._stats.waiting(queue.name) >= queue.max_length:
            counters.refused += 1
            out.append(
                dc.Refused(
                    at=self.now,
                    contact_id=e.contact_id,
                    queue=queue.name,
                    reason=f"queue full ({queue.max_length} waiting)",
                )
            )
            return
        contact = ContactState(
            e.contact_id, queue=queue, priority=e.priority, customer_id=e.customer_id, at=self.now
        )
        self.contacts[e.contact_id] = contact
        self.start_waiting(contact, out, preferred=e.preferred_agents)

    def _accept(self, e: ev.OfferAccepted, out: list[dc.Decision]) -> None:
        contact, agent = self.contacts[e.contact_id], self.agents[e.agent_id]
        contact.status, contact.since = ContactStatus.CONNECTED, self.now
        self.cancel_deadlines(contact)
        self.pools.forget_contact(contact.contact_id)
        agent.hold(contact.contact_id, contact.queue.channel, WorkPhase.CONNECTED)
        agent.unanswered = 0
        self._stats.unqueued(contact.queue.name, contact.enqueued_at, contact.key[2])
        counters = self._stats.counters(contact.queue.name)
        counters.answered += 1
        counters.answered_wait_seconds += self.now - contact.enqueued_at

    def _reject(self, e: ev.OfferRejected, out: list[dc.Decision]) -> None:
        contact, agent = self.contacts[e.contact_id], self.agents[e.agent_id]
        self.return_offer(contact, agent, "reject", out)

    def _end(self, e: ev.ContactEnded, out: list[dc.Decision]) -> None:
        contact = self.contacts.pop(e.contact_id)
        assert contact.agent_id is not None
        self.start_wrap_up(self.agents[contact.agent_id], contact, out)

    def _wrap_up_end(self, e: ev.WrapUpEnded, out: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        entry = agent.wrapups.pop(e.contact_id, None)
        if entry is not None:
            self.deadlines.cancel(entry)
        self.free_slot(agent, e.contact_id, out)

    def _abandon(self, e: ev.ContactAbandoned, out: list[dc.Decision]) -> None:
        contact = self.contacts.pop(e.contact_id)
        if contact.status is ContactStatus.OFFERED:
            self.withdraw(contact, "contact abandoned", out)
        self.stop_waiting(contact)
        self.pools.forget_contact(contact.contact_id)
        self._stats.counters(contact.queue.name).abandoned += 1
        self.remember_for_rejoin(contact)

    def _transfer(self, e: ev.ContactTransferred, out: list[dc.Decision]) -> None:
        contact, target = self.contacts[e.contact_id], self._queues[e.queue]
        if target.max_length is not None and self._stats.waiting(target.name) >= target.max_length:
            out.append(
                dc.Refused(
                    at=self.now,
                    contact_id=contact.contact_id,
                    queue=target.name,
                    reason="transfer target full; the contact stays where it was",
                )
            )
            return
        self.transfer(contact, target, out)

    def _run_deadlines(self, until: float, out: list[dc.Decision]) -> None:
        while (entry := self.deadlines.pop_due(until)) is not None:
            self.now = entry[0]
            self.apply_deadline(entry, out)


def _no_check(_event: object) -> None:
    return None


def _no_apply(_event: object, _out: list[dc.Decision]) -> None:
    return None


def _queue_list(queues: Iterable[QueueSpec]) -> list[QueueSpec]:
    if isinstance(queues, (str, bytes, Mapping)) or not isinstance(queues, Iterable):
        raise ConfigError(f"queues={queues!r:.80}: must be a list of QueueSpec")
    return list(queues)


def _check_config(
    skills: SkillGraph,
    queues: list[QueueSpec],
    offer_timeout: float | None,
    max_unanswered: int | None,
) -> None:
    if not isinstance(skills, SkillGraph):
        raise ConfigError(f"skills={skills!r:.80}: must be a SkillGraph")
    names: set[str] = set()
    for queue in queues:
        if not isinstance(queue, QueueSpec):
            raise ConfigError(f"{queue!r}: queues must be QueueSpec objects")
        if queue.name in names:
            raise ConfigError(f"queue {queue.name!r}: defined twice")
        names.add(queue.name)
    # finite and bounded, so every expiry (event time + timeout) is a finite time; None: no expiry
    if offer_timeout is not None and (
        isinstance(offer_timeout, bool)
        or not isinstance(offer_timeout, (int, float))
        or not 0 < offer_timeout <= MAX_SECONDS
    ):
        raise ConfigError(
            f"offer_timeout={offer_timeout!r}: must be > 0 and <= {MAX_SECONDS:g} seconds "
            "(finite), or None for offers that never expire"
        )
    if max_unanswered is not None and (
        isinstance(max_unanswered, bool)
        or not isinstance(max_unanswered, int)
        or max_unanswered < 1
    ):
        raise ConfigError(
            f"max_unanswered_offers={max_unanswered!r}: must be an integer >= 1, or None"
        )


def _check_rules(rules: Mapping[str, Collection[str]] | None) -> None:
    """Channel rules are a mapping of channel to a list of channels (``"*"``: every channel)."""
    if rules is None:
        return
    if not isinstance(rules, Mapping):
        raise ConfigError(f"channel_rules={rules!r:.80}: must be a mapping of channel to channels")
    for channel, blocked in rules.items():
        if isinstance(blocked, (str, bytes, Mapping)) or not isinstance(blocked, Iterable):
            raise ConfigError(
                f"channel_rules[{channel!r}]={blocked!r:.60}: must be a list of channels"
            )
        for other in blocked:
            if type(other) is not str or not other:
                raise ConfigError(
                    f"channel_rules[{channel!r}]: {other!r} must be a non-empty channel name"
                )
