"""ModelState: what the outside knows of a router (agents, contacts, outcomes), and the routing
rules restated as questions over it (can this agent take this channel, where does it rank…).

It owns the model's state and the questions; the prediction of errors (:mod:`._prediction`), the
replay of events and decisions (:mod:`._oracle`) and the comparison with a router
(:mod:`._router_checks`) build on it. It never calls the router's own rules: the model stays an
independent oracle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..core.callbacks import CallbackPolicy
from ..core.criteria import CriteriaStep, RoutingCriteria
from ..core.profiles import RoutingProfile
from ..core.queues import QueueSpec, Stage, WrapUp
from ._model_config import RouterConfig, serving_costs

__all__ = ["ModelAgent", "ModelConsult", "ModelContact", "ModelState", "ModelViolation", "check"]


class ModelViolation(AssertionError):
    """The router's decisions broke a rule the model checks."""


def check(condition: object, message: str) -> None:
    """Raise :class:`ModelViolation` with ``message`` unless ``condition`` holds. Cost: O(1)."""
    if not condition:
        raise ModelViolation(message)


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
    wrap_up: WrapUp | None = None  # its own wrap-up from AgentLoggedIn, overriding the queue's
    auto_accept: bool = False  # the router accepts its offers on its behalf, as it makes them
    profile: RoutingProfile | None = None  # its routing profile (see _model_profiles.py)

    def load(self) -> dict[str, int]:
        """Slots held per channel (offered, connected or in wrap-up).

        Cost: O(L) in the agent's slots.
        """
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
    status: str = "waiting"  # waiting | offered | connected | dialing | scheduled
    agent_id: str | None = None
    excluded: set[str] = attrs.field(factory=set)
    affinity: tuple[str, ...] = ()
    offer_expires: float | None = None
    started_at: float = 0.0  # when it last started waiting (arrival or transfer)
    affinity_ends: float = 0.0  # when its wait for preferred agents ends (set as it starts)
    alert_from: float = 0.0  # no service-level Alert before: it started waiting, or a queue
    # change scheduled the alert again (then it comes at once if the threshold has passed)
    stage: int = 0  # as announced: set on (re)queueing, then by Expanded decisions
    alerted: bool = False  # a service-level Alert since it last started waiting
    callback: bool = False  # a queued callback not yet answered
    policy: CallbackPolicy | None = None  # its queue's callback policy when it was requested
    dials_failed: int = 0
    retry_at: float | None = None  # while scheduled: when it queues again
    criteria: RoutingCriteria | None = None  # its own routing criteria, if any
    in_line: bool = False  # sits in one of its queue's lines: an offer now is a departure

    @property
    def enqueued_at(self) -> float:
        """When the contact was (first) queued: the second part of its ranking key. Cost: O(1)."""
        return self.key[1]


@attrs.define
class ModelConsult:
    """An open consult: the contact, its leg's id, the agent who asked, and whether the
    consulted agent was brought in (conference)."""

    contact_id: str
    leg_id: str
    requester: str
    conference: bool = False


class ModelState:
    """The model's state and the questions it answers about it (see the module docstring).

    Costs name A logged-in agents, C live contacts, L an agent's slots, K its skills, R a queue's
    requirements and G its stages.
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
        self.arrived: dict[str, None] = {}  # every contact id that arrived, in order
        self.gone_agents: set[str] = set()
        # (queue, customer) → (priority, key, window end) of a customer who abandoned
        self.rejoin: dict[tuple[str, str], tuple[int, tuple[float, float, int], float]] = {}
        self.closed: set[str] = set()  # queues a QueueClosed closed (and no QueueOpened opened)
        self.consults: dict[str, ModelConsult] = {}  # contact id → its open consult
        self.legs: dict[str, str] = {}  # consult leg id → its contact id
        self.offers_made = 0
        self.logins = 0
        self.costs = serving_costs(config)
        self._expect_forced: str | None = None

    # -- questions -------------------------------------------------------------------------
    def wrapping(self) -> list[tuple[str, str]]:
        """(contact id, agent id) of every wrap-up in progress, sorted.

        A transferred contact can be wrapped up by several agents at once.
        Cost: O(A·L log(A·L)) for A agents holding L slots each.
        """
        return sorted(
            (cid, agent.agent_id)
            for agent in self.agents.values()
            for cid, (_ch, phase) in agent.slots.items()
            if phase == "wrap"
        )

    def waiting_count(self, queue: str) -> int:
        """Contacts counted as waiting by the router's stats (waiting, offered, or a callback
        scheduled to queue again). Cost: O(C) in live contacts.
        """
        return sum(
            1
            for c in self.contacts.values()
            if c.queue == queue and c.status in ("waiting", "offered", "scheduled")
        )

    def blocked(self, busy: str, channel: str) -> bool:
        """Whether work on the ``busy`` channel keeps the agent from taking ``channel`` (the
        cross-channel rules). Cost: O(1) (a rule lists a handful of channels).
        """
        blocks = self.rules.get(busy, ())
        return channel in blocks or ("*" in blocks and channel != busy)

    def can_take(self, agent: ModelAgent, channel: str) -> bool:
        """Available, a free slot on the channel, and no busy channel blocks it.

        Cost: O(L) in the agent's slots.
        """
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
        requirement cannot be served. Cost: O(R·K) for R requirements and K agent skills."""
        return self._serving_needs(agent, queue.requires)

    def _serving_needs(
        self, agent: ModelAgent, requires: Mapping[str, int]
    ) -> tuple[float, int] | None:
        total, levels = 0.0, []
        for need, minimum in requires.items():
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
        """The agent's serving cost for the queue (:meth:`serving`), or None when it cannot
        serve it or has no capacity on its channel. Cost: O(R·K) for R requirements, K skills.
        """
        if agent.capacity.get(queue.channel, 0) <= 0:
            return None
        found = self.serving(agent, queue)
        return None if found is None else found[0]

    def policy_key(self, agent: ModelAgent, proficiency: int) -> tuple[float, ...] | None:
        """The agent's key under the configuration's policy, restated from its documentation
        (smaller is better); None for ``random``, whose draws the model cannot know.
        Cost: O(L + channels).
        """
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
        not take the contact at that stage, or the policy is random.
        Cost: O(R·K + G + L) for G stages.
        """
        queue = self.queues[contact.queue]
        if contact.criteria is not None:
            return self._criteria_rank(agent, contact, queue, stage)
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

    def criteria_step(
        self, agent: ModelAgent, queue: QueueSpec, criteria: RoutingCriteria
    ) -> tuple[int, int] | None:
        """(first step of ``criteria`` the agent meets, its proficiency there), as
        docs/routing.md defines it: a step needs the queue's requirement with the step's added
        (the higher level where both name a skill), within the step's ``max_cost``. None when
        it meets none or has no capacity on the channel. Cost: O(S·R·K) for S steps."""
        if agent.capacity.get(queue.channel, 0) <= 0:
            return None
        for index, step in enumerate(criteria.steps):
            needs = dict(queue.requires)
            for skill, level in step.requires.items():
                needs[skill] = max(level, needs.get(skill, 0))
            found = self._serving_needs(agent, needs)
            if found is not None and found[0] <= step.max_cost:
                return index, found[1]
        return None

    def _criteria_rank(
        self, agent: ModelAgent, contact: ModelContact, queue: QueueSpec, stage: int
    ) -> tuple[Any, ...] | None:
        """:meth:`agent_rank` for a contact with criteria: the first step the agent meets (an
        earlier, stricter step first), then the policy's key, then login order."""
        assert contact.criteria is not None
        found = self.criteria_step(agent, queue, contact.criteria)
        if contact.affinity:
            key = self.policy_key(agent, 0 if found is None else found[1])
            return None if key is None else (*key, agent.seq)
        if found is None or found[0] > stage:
            return None
        key = self.policy_key(agent, found[1])
        return None if key is None else (0, float(found[0]), *key, agent.seq)

    def eligible_at(
        self,
        agent: ModelAgent,
        queue: QueueSpec,
        stage: int,
        criteria: RoutingCriteria | None = None,
    ) -> bool:
        """Skill-eligible for the queue at this stage (ignores status and load); with
        ``criteria``, at this step: it meets this step or an earlier one. Cost: O(S·R·K)."""
        if criteria is not None:
            found = self.criteria_step(agent, queue, criteria)
            return found is not None and found[0] <= stage
        if agent.capacity.get(queue.channel, 0) <= 0:
            return False
        max_cost = queue.stages[stage].max_cost
        if max_cost is None:
            return True
        cost = self.serving_cost(agent, queue)
        return cost is not None and cost <= max_cost

    def can_prefer(
        self, agent_id: str, queue: QueueSpec, criteria: RoutingCriteria | None = None
    ) -> bool:
        """Whether the agent may be a preferred agent for the queue (with ``criteria``, for a
        contact with them): logged in, not leaving, and eligible at some stage or step.
        Cost: O(G·R·K) for G stages.
        """
        agent = self.agents.get(agent_id)
        count = len(queue.stages) if criteria is None else len(criteria.steps)
        return (
            agent is not None
            and agent.status != "logging_out"
            and any(self.eligible_at(agent, queue, s, criteria) for s in range(count))
        )

    def stage_of(self, contact: ModelContact, at: float, *, strict: bool = False) -> int:
        """The contact's stage at ``at``; ``strict``: ignoring stages that begin exactly then.

        Cost: O(G) in the queue's stages.
        """
        if contact.affinity:
            return 0
        waited = at - contact.enqueued_at
        stages: Sequence[Stage | CriteriaStep] = (
            self.queues[contact.queue].stages if contact.criteria is None else contact.criteria.steps
        )
        return max(
            i
            for i, s in enumerate(stages)
            if i == 0 or s.after < waited or (not strict and s.after == waited)
        )

    def rank(self, contact: ModelContact, now: float) -> tuple[float, float, int]:
        """The contact's ranking key at ``now`` (priority aged by waiting time, then queue
        time, then arrival order); smaller ranks first. Cost: O(1).
        """
        queue = self.queues[contact.queue]
        aging = queue.aging_per_minute / 60.0
        return (contact.key[0] - aging * now, contact.key[1], contact.key[2])
