"""A reference model of the router, kept from the outside: the oracle of the property tests.

The model owns nothing the router owns. It is fed the same events and the decisions the router
returned, and from those alone it keeps who holds which slot, which contact waits, is offered or
connected, and how each contact ended. While it replays a decision it asserts the routing rules
(the guarantees listed in docs/routing.md) that can be seen from outside (one offer per contact,
capacity per channel and across channels, eligibility by stage and affinity, no slot kept after
its offer ended…). It also predicts whether an event is valid, and which
:class:`~experiencehub.RoutingError` a bad one must raise, so a test can tell "the router rejected
a good event" from "the router took a bad one".

A broken rule raises :class:`ModelViolation` (an ``AssertionError``) naming the contact or agent.
Nothing here is fast: checks are O(contacts·agents) per step. For tests only.

>>> from experiencehub import QueueSpec, events as ev
>>> model = RouterModel(RouterConfig(queues=(QueueSpec("q", channel="chat", requires={"s": 1}),)))
>>> model.predict_error(ev.OfferAccepted(at=0.0, contact_id="c1", agent_id="a1")).__name__
'UnknownContact'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..core import decisions as dc
from ..core import events as ev
from ..core.errors import (
    ClockWentBackwards,
    DuplicateId,
    InvalidTransition,
    OfferNotFound,
    RoutingError,
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
)
from ..core.queues import QueueSpec
from ..core.router import Router
from ..core.skills import SkillGraph

__all__ = [
    "DEFAULT_CHANNEL_RULES",
    "ModelAgent",
    "ModelContact",
    "ModelViolation",
    "RouterConfig",
    "RouterModel",
]

DEFAULT_CHANNEL_RULES: Mapping[str, tuple[str, ...]] = {
    "phone": ("*",),
    "chat": ("phone",),
    "email": (),
}
"""The router's documented default cross-channel rules, restated here as the oracle's copy."""


class ModelViolation(AssertionError):
    """The router's decisions broke a rule the model checks."""


def _check(condition: object, message: str) -> None:
    if not condition:
        raise ModelViolation(message)


def _edges(value: Iterable[tuple[str, str, float]]) -> tuple[tuple[str, str, float], ...]:
    return tuple((str(u), str(v), float(c)) for u, v, c in value)


def _queues(value: Iterable[QueueSpec]) -> tuple[QueueSpec, ...]:
    return tuple(value)


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class RouterConfig:
    """Everything needed to build identical routers: skill edges, queues and router options.

    ``repr`` is valid Python, so a failing configuration can be pasted into a test.
    Cost: building a router is O(S·E log S) for the skill graph.

    >>> cfg = RouterConfig(queues=(QueueSpec("q", channel="phone"),), offer_timeout=10.0)
    >>> cfg.build().next_deadline() is None
    True
    """

    queues: tuple[QueueSpec, ...] = attrs.field(converter=_queues)
    skill_edges: tuple[tuple[str, str, float], ...] = attrs.field(default=(), converter=_edges)
    skills: tuple[str, ...] = attrs.field(default=(), converter=_names)
    agent_policy: str = "longest_idle"
    seed: int = 0
    offer_timeout: float | None = 30.0
    max_unanswered_offers: int | None = 3
    channel_rules: Mapping[str, tuple[str, ...]] | None = None

    def skill_graph(self) -> SkillGraph:
        """A new (unfrozen) skill graph with this configuration's skills and edges."""
        graph = SkillGraph.from_edges(self.skill_edges)
        for skill in self.skills:
            if skill not in graph.skills:
                graph.add_skill(skill)
        return graph

    def build(self) -> Router:
        """A fresh router for this configuration."""
        return Router(
            self.skill_graph(),
            self.queues,
            agent_policy=self.agent_policy,
            seed=self.seed,
            offer_timeout=self.offer_timeout,
            max_unanswered_offers=self.max_unanswered_offers,
            channel_rules=self.channel_rules,
        )

    @property
    def rules(self) -> Mapping[str, tuple[str, ...]]:
        return DEFAULT_CHANNEL_RULES if self.channel_rules is None else self.channel_rules

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted({q.channel for q in self.queues}))

    @property
    def all_skills(self) -> tuple[str, ...]:
        """Every skill named by the graph, the skill list or a queue requirement, sorted."""
        found = set(self.skills)
        for u, v, _c in self.skill_edges:
            found.update((u, v))
        for queue in self.queues:
            found.update(queue.requires)
        return tuple(sorted(found))


@attrs.define
class ModelAgent:
    """What the outside knows of a logged-in agent. ``slots``: contact id → (channel, phase)."""

    agent_id: str
    skills: dict[str, int]
    capacity: dict[str, int]
    status: str = "available"  # available | away | logging_out
    reason: str | None = None  # why it is away (None unless away)
    slots: dict[str, tuple[str, str]] = attrs.field(factory=dict)  # phase: offered|connected|wrap…
    wrap_ends: dict[str, float | None] = attrs.field(factory=dict)
    unanswered: int = 0
    seq: int = 0  # login order (a new login is a new seq): the last tie-break between agents
    idle_since: float = 0.0  # login, a freed slot, or becoming available again
    last_offer: int = -1  # offers made before this agent's last one (-1: never offered)

    def load(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for channel, _phase in self.slots.values():
            counts[channel] = counts.get(channel, 0) + 1
        return counts


@attrs.define
class ModelContact:
    """What the outside knows of a live contact."""

    contact_id: str
    queue: str
    priority: int
    customer_id: str | None
    key: tuple[float, float, int]  # (-base priority, enqueued_at, seq), as the router documents
    status: str = "waiting"  # waiting | offered | connected
    agent_id: str | None = None
    excluded: set[str] = attrs.field(factory=set)
    affinity: tuple[str, ...] = ()
    offer_expires: float | None = None
    started_at: float = 0.0  # when it last started waiting (arrival or transfer)
    stage: int = 0  # as announced: set on (re)queueing, then by Expanded decisions
    alerted: bool = False  # a service-level Alert since it last started waiting

    @property
    def enqueued_at(self) -> float:
        return self.key[1]


class RouterModel:
    """Replays events and decisions; asserts the outside-visible rules; predicts errors.

    Time values should be dyadic (multiples of 1/4 and the like) so that the stage arithmetic
    ``enqueued_at + after`` the router does is exact and the model can recompute it.
    """

    def __init__(self, config: RouterConfig) -> None:
        self.config = config
        self.queues = {q.name: q for q in config.queues}
        self.rules = config.rules
        self.now = 0.0
        self.seq = 0
        self.agents: dict[str, ModelAgent] = {}
        self.contacts: dict[str, ModelContact] = {}
        self.outcomes: dict[str, str] = {}  # contact id → handled | abandoned | refused
        self.arrived: list[str] = []
        self.gone_agents: set[str] = set()
        self.rejoin: dict[tuple[str, str], tuple[tuple[float, float, int], float]] = {}
        self.offers_made = 0
        self.logins = 0
        self.costs = _serving_costs(config)
        self._expect_forced: str | None = None

    # -- questions -------------------------------------------------------------------------
    def wrapping(self) -> list[tuple[str, str]]:
        """(contact id, agent id) of every wrap-up in progress, sorted.

        A transferred contact can be wrapped up by several agents at once.
        """
        return sorted(
            (cid, agent.agent_id)
            for agent in self.agents.values()
            for cid, (_ch, phase) in agent.slots.items()
            if phase == "wrap"
        )

    def waiting_count(self, queue: str) -> int:
        """Contacts counted as waiting by the router's stats (waiting or offered)."""
        return sum(
            1 for c in self.contacts.values() if c.queue == queue and c.status != "connected"
        )

    def blocked(self, busy: str, channel: str) -> bool:
        blocks = self.rules.get(busy, ())
        return channel in blocks or ("*" in blocks and channel != busy)

    def can_take(self, agent: ModelAgent, channel: str) -> bool:
        """Available, a free slot on the channel, and no busy channel blocks it."""
        if agent.status != "available":
            return False
        load = agent.load()
        if load.get(channel, 0) >= agent.capacity.get(channel, 0):
            return False
        return not any(n and self.blocked(busy, channel) for busy, n in load.items())

    def serving(self, agent: ModelAgent, queue: QueueSpec) -> tuple[float, int] | None:
        """(cost, proficiency) of the agent for the queue, as docs/routing.md defines them, from
        the model's own shortest costs: per required skill the cheapest of the agent's skills at
        or above its minimum level (the higher level on equal cost); the cost is their sum, the
        proficiency the lowest level among them (0 when nothing is required). None when some
        requirement cannot be served."""
        total, levels = 0.0, []
        for need, minimum in queue.requires.items():
            options = [
                (cost, -level)
                for have, level in agent.skills.items()
                if level >= minimum and (cost := self.costs.get((have, need))) is not None
            ]
            if not options:
                return None
            cost, negative_level = min(options)
            total += cost
            levels.append(-negative_level)
        return total, min(levels, default=0)

    def serving_cost(self, agent: ModelAgent, queue: QueueSpec) -> float | None:
        if agent.capacity.get(queue.channel, 0) <= 0:
            return None
        found = self.serving(agent, queue)
        return None if found is None else found[0]

    def policy_key(self, agent: ModelAgent, proficiency: int) -> tuple[float, ...] | None:
        """The agent's key under the configuration's policy, restated from its documentation
        (smaller is better); None for ``random``, whose draws the model cannot know."""
        policy = self.config.agent_policy
        if policy == "longest_idle":
            return (agent.idle_since,)
        if policy == "most_proficient":
            return (-proficiency, agent.idle_since)
        if policy == "least_occupied":
            total = sum(agent.capacity.values())
            used = sum(agent.load().values())
            return (used / total if total else 0.0, agent.idle_since)
        if policy == "round_robin":
            return (agent.last_offer,)
        if policy == "fewest_skills":
            return (len(agent.skills), agent.idle_since)
        return None

    def agent_rank(
        self, agent: ModelAgent, contact: ModelContact, stage: int
    ) -> tuple[Any, ...] | None:
        """Where the agent stands for the contact at ``stage``, smaller first: a preferred agent
        by the policy's key; otherwise the lowest skill cost allowed by the stage, then — when
        the stage takes any agent — everyone else on the channel (unskilled, or skilled beyond
        the queue's last finite ring), then the policy's key, then login order. None when it may
        not take the contact at that stage, or the policy is random."""
        queue = self.queues[contact.queue]
        found = self.serving(agent, queue) if agent.capacity.get(queue.channel, 0) > 0 else None
        if contact.affinity:
            proficiency = 0 if found is None else found[1]
            key = self.policy_key(agent, proficiency)
            return None if key is None else (*key, agent.seq)
        max_cost = queue.stages[stage].max_cost
        rings = [s.max_cost for s in queue.stages if s.max_cost is not None]
        limit = max_cost if max_cost is not None else max(rings, default=math.inf)
        if found is not None and found[0] <= limit:
            tier, proficiency = (0, found[0]), found[1]
        elif max_cost is None and agent.capacity.get(queue.channel, 0) > 0:
            tier, proficiency = (1, 0.0), 0  # the "any agent" pool ranks everyone at level 0
        else:
            return None
        key = self.policy_key(agent, proficiency)
        return None if key is None else (*tier, *key, agent.seq)

    def eligible_at(self, agent: ModelAgent, queue: QueueSpec, stage: int) -> bool:
        """Skill-eligible for the queue at this stage (ignores status and load)."""
        if agent.capacity.get(queue.channel, 0) <= 0:
            return False
        max_cost = queue.stages[stage].max_cost
        if max_cost is None:
            return True
        cost = self.serving_cost(agent, queue)
        return cost is not None and cost <= max_cost

    def can_prefer(self, agent_id: str, queue: QueueSpec) -> bool:
        agent = self.agents.get(agent_id)
        return (
            agent is not None
            and agent.status != "logging_out"
            and any(self.eligible_at(agent, queue, s) for s in range(len(queue.stages)))
        )

    def stage_of(self, contact: ModelContact, at: float, *, strict: bool = False) -> int:
        """The contact's stage at ``at``; ``strict``: ignoring stages that begin exactly then."""
        if contact.affinity:
            return 0
        waited = at - contact.enqueued_at
        stages = self.queues[contact.queue].stages
        return max(
            i
            for i, s in enumerate(stages)
            if i == 0 or s.after < waited or (not strict and s.after == waited)
        )

    def rank(self, contact: ModelContact, now: float) -> tuple[float, float, int]:
        queue = self.queues[contact.queue]
        aging = queue.aging_per_minute / 60.0
        return (contact.key[0] - aging * now, contact.key[1], contact.key[2])

    # -- prediction ------------------------------------------------------------------------
    def predict_error(self, event: ev.Event) -> type[RoutingError] | None:
        """The error class the router must raise for ``event`` now, or None if it is valid.

        Exact when no deadline falls due before ``event.at``; for events past a deadline it is
        exact only for ids that deadlines cannot create or remove (fresh or ended ids, agents
        not logging out, live contacts).
        """
        if event.at < self.now:
            return ClockWentBackwards
        check = _PREDICT.get(type(event))
        return None if check is None else check(self, event)

    def _p_login(self, e: ev.AgentLoggedIn) -> type[RoutingError] | None:
        return DuplicateId if e.agent_id in self.agents else None

    def _p_status(self, e: ev.AgentStatusChanged | ev.AgentLoggedOut) -> type[RoutingError] | None:
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

    def _p_answer(self, e: ev.OfferAccepted | ev.OfferRejected) -> type[RoutingError] | None:
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        if e.agent_id not in self.agents:
            return UnknownAgent
        if contact.status != "offered" or contact.agent_id != e.agent_id:
            return OfferNotFound
        return None

    def _p_end(self, e: ev.ContactEnded) -> type[RoutingError] | None:
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        return None if contact.status == "connected" else InvalidTransition

    def _p_abandon(self, e: ev.ContactAbandoned) -> type[RoutingError] | None:
        contact = self.contacts.get(e.contact_id)
        if contact is None:
            return UnknownContact
        return InvalidTransition if contact.status == "connected" else None

    def _p_transfer(self, e: ev.ContactTransferred) -> type[RoutingError] | None:
        if e.contact_id not in self.contacts:
            return UnknownContact
        return None if e.queue in self.queues else UnknownQueue

    def _p_wrap_up_end(self, e: ev.WrapUpEnded) -> type[RoutingError] | None:
        agent = self.agents.get(e.agent_id)
        if agent is None:
            return UnknownAgent
        held = agent.slots.get(e.contact_id)
        return None if held is not None and held[1] == "wrap" else InvalidTransition

    # -- replay ----------------------------------------------------------------------------
    def apply(self, event: ev.Event, decisions: list[dc.Decision]) -> None:
        """Apply a valid event and the decisions the router returned for it, checking each.

        The event's effect is applied first, then the decisions in order. Feed deadline
        decisions separately, as the decisions of a ``Tick`` at the event's time (a driver can
        split them off by sending the same Tick to a twin router), so that ``decisions`` holds
        only what the event itself caused. Cost: O(d·(C+A)) for d decisions.
        """
        _check(event.at >= self.now, f"{event!r}: time went backwards in the model")
        effect = _EFFECTS.get(type(event))
        refused_transfer = False
        if isinstance(event, ev.ContactTransferred):
            refused_transfer = self._transfer_refused(event, decisions)
        if effect is not None and not refused_transfer:
            effect(self, event, decisions)
        for decision in decisions:
            self._replay(decision)
        _check(self._expect_forced is None, f"{self._expect_forced}: AgentStatusForced missing")
        self.now = event.at
        for agent in self.agents.values():
            for cid, (_ch, phase) in agent.slots.items():
                _check(phase != "wrap_pending", f"{agent.agent_id}/{cid}: no WrapUpStarted")

    def _replay(self, decision: dc.Decision) -> None:
        _check(decision.at >= self.now, f"{decision!r}: decision before the model's time")
        if self._expect_forced is not None and not isinstance(decision, dc.AgentStatusForced):
            raise ModelViolation(f"{decision!r}: expected AgentStatusForced first")
        self.now = decision.at
        handler = _REPLAY.get(type(decision))
        if handler is not None:
            handler(self, decision)

    def _live(self, contact_id: str, what: str) -> ModelContact:
        contact = self.contacts.get(contact_id)
        _check(contact is not None, f"{what}: {contact_id} is not a live contact")
        assert contact is not None
        return contact

    def _logged_in(self, agent_id: str, what: str) -> ModelAgent:
        agent = self.agents.get(agent_id)
        _check(agent is not None, f"{what}: {agent_id} is not logged in")
        assert agent is not None
        return agent

    # -- effects of events -------------------------------------------------------------------
    def _e_login(self, e: ev.AgentLoggedIn, _d: list[dc.Decision]) -> None:
        self.logins += 1
        self.agents[e.agent_id] = ModelAgent(
            e.agent_id, dict(e.skills), dict(e.capacity), seq=self.logins, idle_since=e.at
        )
        self.gone_agents.discard(e.agent_id)

    def _e_status(self, e: ev.AgentStatusChanged, _d: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        if e.status == "available" and agent.status != "available":
            agent.unanswered = 0
            agent.idle_since = e.at
        agent.status = e.status
        agent.reason = e.reason if e.status == "away" else None

    def _e_logout(self, e: ev.AgentLoggedOut, _d: list[dc.Decision]) -> None:
        self.agents[e.agent_id].status, self.agents[e.agent_id].reason = "logging_out", None
        for contact in self.contacts.values():  # a leaving agent is nobody's preferred agent
            contact.affinity = tuple(a for a in contact.affinity if a != e.agent_id)

    def _e_arrival(self, e: ev.ContactArrived, decisions: list[dc.Decision]) -> None:
        self.arrived.append(e.contact_id)
        queue = self.queues[e.queue]
        refused = [
            d for d in decisions if isinstance(d, dc.Refused) and d.contact_id == e.contact_id
        ]
        full = queue.max_length is not None and self.waiting_count(queue.name) >= queue.max_length
        _check(bool(refused) == full, f"{e.contact_id}: Refused={refused} but queue full={full}")
        if full:
            self.outcomes[e.contact_id] = "refused"
            return
        contact = ModelContact(e.contact_id, queue.name, e.priority, e.customer_id, (0.0, 0.0, 0))
        self._start_waiting(contact, e.at, e.preferred_agents)
        self.contacts[e.contact_id] = contact

    def _start_waiting(
        self, contact: ModelContact, at: float, preferred: tuple[str, ...] = ()
    ) -> None:
        queue = self.queues[contact.queue]
        kept = None
        if contact.customer_id is not None:
            rid = (queue.name, contact.customer_id)
            kept = self.rejoin.pop(rid, None)
            if kept is not None and at >= kept[1]:
                kept = None  # the window ran out before this event
        if kept is not None:
            contact.key = kept[0]
        else:
            self.seq += 1
            # base priority as documented: priority_weight·priority − aging per second·enqueued_at
            base = queue.priority_weight * contact.priority - queue.aging_per_minute / 60.0 * at
            contact.key = (-base, at, self.seq)
        usable = tuple(dict.fromkeys(a for a in preferred if self.can_prefer(a, queue)))
        contact.affinity = usable if queue.affinity_seconds > 0 else ()
        contact.started_at, contact.alerted = at, False
        contact.stage = self.stage_of(contact, at)

    def _e_accept(self, e: ev.OfferAccepted, _d: list[dc.Decision]) -> None:
        contact, agent = self.contacts[e.contact_id], self.agents[e.agent_id]
        contact.status, contact.offer_expires = "connected", None
        agent.slots[e.contact_id] = (self.queues[contact.queue].channel, "connected")
        agent.unanswered = 0

    def _e_reject(self, e: ev.OfferRejected, _d: list[dc.Decision]) -> None:
        contact, agent = self.contacts[e.contact_id], self.agents[e.agent_id]
        del agent.slots[e.contact_id]
        self._back_to_waiting(contact, exclude=e.agent_id)

    def _back_to_waiting(self, contact: ModelContact, *, exclude: str | None) -> None:
        contact.status, contact.agent_id, contact.offer_expires = "waiting", None, None
        if exclude is not None:
            contact.excluded.add(exclude)

    def _e_end(self, e: ev.ContactEnded, _d: list[dc.Decision]) -> None:
        contact = self.contacts.pop(e.contact_id)
        self._finish(e.contact_id, "handled")
        assert contact.agent_id is not None
        self._wrap_up(self.agents[contact.agent_id], contact, e.at)

    def _wrap_up(self, agent: ModelAgent, contact: ModelContact, at: float) -> None:
        queue = self.queues[contact.queue]
        if queue.wrap_up.mode == "none":
            del agent.slots[contact.contact_id]
            agent.idle_since = at
            return
        agent.slots[contact.contact_id] = (queue.channel, "wrap_pending")
        agent.wrap_ends[contact.contact_id] = (
            at + queue.wrap_up.seconds if queue.wrap_up.mode == "timed" else None
        )

    def _finish(self, contact_id: str, outcome: str) -> None:
        _check(contact_id not in self.outcomes, f"{contact_id}: ended twice")
        self.outcomes[contact_id] = outcome

    def _e_wrap_up_end(self, e: ev.WrapUpEnded, _d: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        del agent.slots[e.contact_id]
        agent.wrap_ends.pop(e.contact_id, None)
        agent.idle_since = e.at

    def _e_abandon(self, e: ev.ContactAbandoned, _d: list[dc.Decision]) -> None:
        contact = self.contacts.pop(e.contact_id)
        self._finish(e.contact_id, "abandoned")
        queue = self.queues[contact.queue]
        if contact.customer_id is not None and queue.rejoin_seconds > 0:
            rid = (queue.name, contact.customer_id)
            self.rejoin[rid] = (contact.key, e.at + queue.rejoin_seconds)

    def _transfer_refused(self, e: ev.ContactTransferred, decisions: list[dc.Decision]) -> bool:
        target = self.queues[e.queue]
        full = target.max_length is not None and self.waiting_count(e.queue) >= target.max_length
        refused = [d for d in decisions if isinstance(d, dc.Refused)]
        _check(
            bool(refused) == full,
            f"transfer of {e.contact_id} to {e.queue}: Refused={refused} but full={full}",
        )
        if full:
            _check(len(decisions) == 1, f"refused transfer {e.contact_id} decided {decisions}")
        return full

    def _e_transfer(self, e: ev.ContactTransferred, _d: list[dc.Decision]) -> None:
        contact = self.contacts[e.contact_id]
        previous = contact.agent_id
        if contact.status == "connected":
            assert previous is not None
            self._wrap_up(self.agents[previous], contact, e.at)
        contact.status, contact.agent_id, contact.offer_expires = "waiting", None, None
        contact.queue = e.queue
        # never offered back to the agent it came from, nor to one still wrapping it up
        contact.excluded = {
            agent.agent_id
            for agent in self.agents.values()
            if agent.slots.get(e.contact_id, ("", ""))[1] in ("wrap", "wrap_pending")
        }
        if previous is not None:
            contact.excluded.add(previous)
        self._start_waiting(contact, e.at)

    # -- replay of decisions -----------------------------------------------------------------
    def _d_offer(self, d: dc.Offer) -> None:
        contact = self._live(d.contact_id, "Offer")
        agent = self._logged_in(d.agent_id, f"Offer of {d.contact_id}")
        queue = self.queues[contact.queue]
        where = f"Offer {d.contact_id}→{d.agent_id} at {d.at}"
        _check(
            contact.status == "waiting",
            f"{where}: contact is {contact.status} "
            f"(with {contact.agent_id}): offered to two agents at once",
        )
        _check((d.queue, d.channel) == (queue.name, queue.channel), f"{where}: wrong queue/channel")
        _check(d.agent_id not in contact.excluded, f"{where}: agent declined or ignored it before")
        _check(
            self.can_take(agent, queue.channel),
            f"{where}: agent cannot take {queue.channel} (status {agent.status}, "
            f"load {agent.load()}, capacity {agent.capacity})",
        )
        _check(d.contact_id not in agent.slots, f"{where}: agent already holds it {agent.slots}")
        low, high = self.stage_of(contact, d.at, strict=True), self.stage_of(contact, d.at)
        _check(low <= d.stage <= high, f"{where}: offered at stage {d.stage}, expected {high}")
        if contact.affinity:
            _check(
                d.agent_id in contact.affinity, f"{where}: not a preferred agent {contact.affinity}"
            )
        else:
            _check(
                self.eligible_at(agent, queue, d.stage), f"{where}: not eligible at stage {d.stage}"
            )
        timeout = self.config.offer_timeout
        expected = None if timeout is None else d.at + timeout
        _check(d.expires_at == expected, f"{where}: expires_at {d.expires_at} != {expected}")
        self._check_best_contact(agent, contact, d.at)
        self._check_best_agent(agent, contact, d.stage, where)
        contact.status, contact.agent_id, contact.offer_expires = "offered", d.agent_id, expected
        agent.slots[d.contact_id] = (queue.channel, "offered")
        agent.last_offer = self.offers_made
        self.offers_made += 1

    def _check_best_agent(
        self, chosen: ModelAgent, contact: ModelContact, stage: int, where: str
    ) -> None:
        """No other agent that could take the contact now stands before the chosen one
        (:meth:`agent_rank`). When the offer went to an agent that just freed, no other agent
        could take the contact at all, or it would not have been waiting."""
        mine = self.agent_rank(chosen, contact, stage)
        if mine is None:
            return
        channel = self.queues[contact.queue].channel
        for other in self.agents.values():
            if (
                other is chosen
                or other.agent_id in contact.excluded
                or (contact.affinity and other.agent_id not in contact.affinity)
                or not self.can_take(other, channel)
            ):
                continue
            rank = self.agent_rank(other, contact, stage)
            _check(
                rank is None or mine < rank,
                f"{where}: {other.agent_id} stands before {chosen.agent_id} "
                f"(rank {rank} < {mine}: skill cost, policy {self.config.agent_policy!r} key, "
                "login order) and could take it",
            )

    def _check_best_contact(self, agent: ModelAgent, chosen: ModelContact, at: float) -> None:
        """No other waiting contact the agent could take now ranks better than the offered one."""
        mine = self.rank(chosen, at)
        for other in self.contacts.values():
            if other is chosen or other.status != "waiting":
                continue
            if agent.agent_id in other.excluded:
                continue
            queue = self.queues[other.queue]
            if not self.can_take(agent, queue.channel):
                continue
            if other.affinity:
                if agent.agent_id not in other.affinity:
                    continue
            elif not self.eligible_at(agent, queue, self.stage_of(other, at, strict=True)):
                continue
            _check(
                mine <= self.rank(other, at),
                f"{agent.agent_id} offered {chosen.contact_id} (rank {mine}) while "
                f"{other.contact_id} ranks better ({self.rank(other, at)}) and it could take it",
            )

    def _d_enqueued(self, d: dc.Enqueued) -> None:
        contact = self._live(d.contact_id, "Enqueued")
        _check(contact.status == "waiting", f"Enqueued {d.contact_id}: it is {contact.status}")
        _check(d.queue == contact.queue, f"Enqueued {d.contact_id}: queue {d.queue}")
        _check(d.position >= 1, f"Enqueued {d.contact_id}: position {d.position}")

    def _d_expanded(self, d: dc.Expanded) -> None:
        contact = self._live(d.contact_id, "Expanded")
        _check(contact.status != "connected", f"Expanded {d.contact_id}: connected")
        contact.affinity = ()
        stage = self.stage_of(contact, d.at)
        _check(
            d.stage == stage, f"Expanded {d.contact_id} to {d.stage} at {d.at}; expected {stage}"
        )
        contact.stage = d.stage

    def _d_offer_expired(self, d: dc.OfferExpired) -> None:
        contact = self._live(d.contact_id, "OfferExpired")
        agent = self._logged_in(d.agent_id, "OfferExpired")
        where = f"OfferExpired {d.contact_id}/{d.agent_id}"
        _check(contact.status == "offered" and contact.agent_id == d.agent_id, f"{where}: no offer")
        _check(d.at == contact.offer_expires, f"{where} at {d.at}, due {contact.offer_expires}")
        del agent.slots[d.contact_id]
        self._back_to_waiting(contact, exclude=d.agent_id)
        agent.unanswered += 1
        limit = self.config.max_unanswered_offers
        if limit is not None and agent.unanswered >= limit and agent.status == "available":
            agent.status, agent.reason = "away", "unanswered offers"
            self._expect_forced = agent.agent_id

    def _d_offer_withdrawn(self, d: dc.OfferWithdrawn) -> None:
        agent = self._logged_in(d.agent_id, "OfferWithdrawn")
        held = agent.slots.pop(d.contact_id, None)
        _check(held is not None and held[1] == "offered", f"{d!r}: no such offer held")
        contact = self.contacts.get(d.contact_id)
        if contact is not None and contact.status == "offered" and contact.agent_id == d.agent_id:
            self._back_to_waiting(contact, exclude=None)

    def _d_forced(self, d: dc.AgentStatusForced) -> None:
        _check(self._expect_forced == d.agent_id, f"{d!r}: not expected")
        self._expect_forced = None

    def _d_wrap_started(self, d: dc.WrapUpStarted) -> None:
        agent = self._logged_in(d.agent_id, "WrapUpStarted")
        held = agent.slots.get(d.contact_id)
        _check(held is not None and held[1] == "wrap_pending", f"{d!r}: no contact just ended")
        assert held is not None
        agent.slots[d.contact_id] = (held[0], "wrap")
        expected = agent.wrap_ends.get(d.contact_id)
        _check(d.ends_at == expected, f"{d!r}: ends_at should be {expected}")

    def _d_wrap_expired(self, d: dc.WrapUpExpired) -> None:
        agent = self._logged_in(d.agent_id, "WrapUpExpired")
        held = agent.slots.get(d.contact_id)
        _check(held is not None and held[1] == "wrap", f"{d!r}: not in wrap-up")
        _check(d.at == agent.wrap_ends.get(d.contact_id), f"{d!r}: not due")
        del agent.slots[d.contact_id]
        del agent.wrap_ends[d.contact_id]
        agent.idle_since = d.at

    def _d_logout(self, d: dc.LogoutCompleted) -> None:
        agent = self._logged_in(d.agent_id, "LogoutCompleted")
        _check(agent.status == "logging_out", f"{d!r}: agent was {agent.status}")
        _check(not agent.slots, f"{d!r}: agent still holds {agent.slots}")
        del self.agents[d.agent_id]
        self.gone_agents.add(d.agent_id)

    def _d_alert(self, d: dc.Alert) -> None:
        contact = self._live(d.contact_id, "Alert")
        threshold = self.queues[contact.queue].service_level_seconds
        _check(threshold is not None, f"{d!r}: queue has no service level")
        assert threshold is not None
        _check(contact.status != "connected", f"{d!r}: contact connected")
        due = max(contact.enqueued_at + threshold, contact.started_at)
        _check(d.at == due, f"{d!r}: due at {due}")
        _check(not contact.alerted, f"{d!r}: alerted twice")
        contact.alerted = True

    def _d_refused(self, d: dc.Refused) -> None:
        _check(d.queue in self.queues, f"{d!r}: unknown queue")

    # -- whole-state checks --------------------------------------------------------------------
    def check_router(self, router: Router) -> None:
        """Compare the model with the router's public read-outs; assert the step-end rules."""
        for agent in self.agents.values():
            load = {c: n for c, n in router.agent_load(agent.agent_id).items() if n}
            _check(
                load == agent.load(),
                f"{agent.agent_id}: router load {load}, "
                f"model {agent.load()} from {agent.slots} (a slot kept after its offer ended?)",
            )
            for channel, count in load.items():
                _check(count <= agent.capacity.get(channel, 0), f"{agent.agent_id}: over capacity")
            status = router.agent_status(agent.agent_id)
            _check(
                status == agent.status, f"{agent.agent_id}: router {status}, model {agent.status}"
            )
            reason = router.agent_view(agent.agent_id).reason
            _check(
                reason == agent.reason,
                f"{agent.agent_id}: away reason {reason!r} in the router, {agent.reason!r} sent",
            )
            _check(
                agent.status != "logging_out" or agent.slots,
                f"{agent.agent_id}: logging out with no work but never completed",
            )
        for agent_id in self.gone_agents:
            _check(
                _raises(router.agent_status, agent_id, UnknownAgent),
                f"{agent_id}: still known to the router after LogoutCompleted",
            )
        for cid, contact in self.contacts.items():
            _check(
                router.contact_status(cid) == contact.status,
                f"{cid}: router {router.contact_status(cid)}, model {contact.status}",
            )
        for cid in self.arrived:
            live, ended = cid in self.contacts, cid in self.outcomes
            _check(live != ended, f"{cid}: live={live} ended={ended} (vanished or ended twice)")
            if ended:
                _check(
                    _raises(router.contact_status, cid, UnknownContact),
                    f"{cid}: ended ({self.outcomes[cid]}) but the router still holds it",
                )
        self._check_work_conserved()
        self._check_not_pinned()
        self._check_timers()

    def _check_timers(self) -> None:
        """Stage expansions, affinity windows and service-level alerts are never overdue."""
        for contact in self.contacts.values():
            if contact.status == "connected":
                continue
            queue, cid = self.queues[contact.queue], contact.contact_id
            if contact.affinity:
                end = contact.started_at + queue.affinity_seconds
                _check(self.now < end, f"{cid}: affinity window ended at {end}, still on")
            else:
                stage = self.stage_of(contact, self.now)
                _check(contact.stage == stage, f"{cid}: at stage {contact.stage}, due {stage}")
            threshold = queue.service_level_seconds
            if threshold is not None and not contact.alerted:
                due = max(contact.enqueued_at + threshold, contact.started_at)
                _check(self.now < due, f"{cid}: no service-level Alert, due at {due}")

    def _check_work_conserved(self) -> None:
        """No contact waits while an agent it may go to could take it."""
        for contact in self.contacts.values():
            if contact.status != "waiting":
                continue
            queue = self.queues[contact.queue]
            stage = self.stage_of(contact, self.now)
            for agent in self.agents.values():
                if agent.agent_id in contact.excluded or not self.can_take(agent, queue.channel):
                    continue
                if contact.affinity:
                    free = agent.agent_id in contact.affinity
                else:
                    free = self.eligible_at(agent, queue, stage)
                _check(
                    not free,
                    f"work not conserved: {contact.contact_id} waits in "
                    f"{queue.name} (stage {stage}) while {agent.agent_id} could take it",
                )

    def _check_not_pinned(self) -> None:
        """A contact waiting for preferred agents has one still logged in (and not leaving)."""
        for contact in self.contacts.values():
            if contact.status != "waiting" or not contact.affinity:
                continue
            present = [
                a
                for a in contact.affinity
                if a in self.agents
                and self.agents[a].status != "logging_out"
                and a not in contact.excluded
            ]
            _check(
                present,
                f"{contact.contact_id} waits for preferred agents "
                f"{contact.affinity}, none of them still logged in",
            )


def _raises(call: Any, arg: str, error: type[Exception]) -> bool:
    try:
        call(arg)
    except error:
        return True
    return False


_PREDICT: dict[type, Any] = {
    ev.AgentLoggedIn: RouterModel._p_login,
    ev.AgentStatusChanged: RouterModel._p_status,
    ev.AgentLoggedOut: RouterModel._p_status,
    ev.ContactArrived: RouterModel._p_arrival,
    ev.OfferAccepted: RouterModel._p_answer,
    ev.OfferRejected: RouterModel._p_answer,
    ev.ContactEnded: RouterModel._p_end,
    ev.WrapUpEnded: RouterModel._p_wrap_up_end,
    ev.ContactAbandoned: RouterModel._p_abandon,
    ev.ContactTransferred: RouterModel._p_transfer,
}

_EFFECTS: dict[type, Any] = {
    ev.AgentLoggedIn: RouterModel._e_login,
    ev.AgentStatusChanged: RouterModel._e_status,
    ev.AgentLoggedOut: RouterModel._e_logout,
    ev.ContactArrived: RouterModel._e_arrival,
    ev.OfferAccepted: RouterModel._e_accept,
    ev.OfferRejected: RouterModel._e_reject,
    ev.ContactEnded: RouterModel._e_end,
    ev.WrapUpEnded: RouterModel._e_wrap_up_end,
    ev.ContactAbandoned: RouterModel._e_abandon,
    ev.ContactTransferred: RouterModel._e_transfer,
}

_REPLAY: dict[type, Any] = {
    dc.Offer: RouterModel._d_offer,
    dc.Enqueued: RouterModel._d_enqueued,
    dc.Refused: RouterModel._d_refused,
    dc.Expanded: RouterModel._d_expanded,
    dc.OfferExpired: RouterModel._d_offer_expired,
    dc.OfferWithdrawn: RouterModel._d_offer_withdrawn,
    dc.AgentStatusForced: RouterModel._d_forced,
    dc.WrapUpStarted: RouterModel._d_wrap_started,
    dc.WrapUpExpired: RouterModel._d_wrap_expired,
    dc.LogoutCompleted: RouterModel._d_logout,
    dc.Alert: RouterModel._d_alert,
}


def _serving_costs(config: RouterConfig) -> dict[tuple[str, str], float]:
    """(have, need) → the cheapest cost of serving ``need`` with ``have``, over chains of the
    configuration's "serves" edges (Floyd–Warshall: the model's own, not the router's, computation).
    Every skill serves itself at cost 0. Cost: O(S³) — tiny graphs only."""
    skills = config.all_skills
    best: dict[tuple[str, str], float] = {(skill, skill): 0.0 for skill in skills}
    for have, need, cost in config.skill_edges:
        if have != need and cost < best.get((have, need), float("inf")):
            best[(have, need)] = float(cost)
    for via in skills:
        for have in skills:
            first = best.get((have, via))
            if first is None:
                continue
            for need in skills:
                second = best.get((via, need))
                if second is not None and first + second < best.get((have, need), float("inf")):
                    best[(have, need)] = first + second
    return best
