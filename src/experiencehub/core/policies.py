"""Agent-selection policies: small objects with a name and a sort key (smaller is better).

The router keeps available agents in pools sorted by ``(skill cost, policy key, agent seq)``: the
lowest skill cost wins first (bullseye), then the policy, then login order — a documented, total
order, so ties never depend on dict or set iteration. A key is computed when the agent enters a pool
(when its load or status changes), never while comparing.

Contact selection, when an agent frees, is fixed: highest effective priority (with aging) across
the classes the agent serves, then the earliest ``enqueued_at``, then arrival sequence.

>>> [p for p in POLICIES]
['longest_idle', 'most_proficient', 'least_occupied', 'round_robin', 'fewest_skills', 'random']

Three more rank agents by what the platform knows of their results — how fast they handle
contacts and how often they resolve the customer's issue — and so need those ratings
(:func:`rated_policy`): ``fastest`` (lowest handle-time factor), ``best_resolution`` (highest
resolution probability) and ``resolution_rate`` (resolutions per unit of handle time,
``resolution / handle_time_factor``). Routing research on heterogeneous agents compares exactly
such rules, which trade waiting time against resolution.

>>> policy = rated_policy("best_resolution", resolution={"a1": 0.7, "a2": 0.9})
>>> policy.name, policy.score("a1"), policy.score("a2"), policy.score("new-agent")
('best_resolution', 0.7, 0.9, 1.0)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Protocol

from .agents import AgentState
from .errors import ConfigError

__all__ = [
    "POLICIES",
    "RATED_POLICIES",
    "AgentPolicy",
    "AgentRating",
    "FewestSkills",
    "LeastOccupied",
    "LongestIdle",
    "MostProficient",
    "RandomAgent",
    "RoundRobin",
    "make_policy",
    "rated_policy",
]


class AgentPolicy(Protocol):
    """Ranks available agents for a queue; ``key`` must only read the agent and its proficiency.

    Every key a policy returns must have **one length** (e.g. always two numbers): pools compare
    flat ``(skill cost, *key, login seq)`` tuples, so a shorter key would compare an agent's login
    seq against another agent's key element. The router checks it: a login whose keys differ in
    length from the policy's earlier keys is refused with a ``ConfigError`` naming the policy, the
    agent and both lengths, before anything changes (the policy is asked once more per login for
    that check, unless the class defining ``key`` declares ``key_width``, as the built-in ones do); a
    key of another length computed later (when a load or status changes) closes the router with
    ``RouterFailed``, whose cause is that ``ConfigError``.
    """

    name: str

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        """The agent's sort key (smaller is better) for a contact it serves at
        ``proficiency``. Cost: O(1) for the built-in policies."""
        ...


class LongestIdle:
    """The agent whose last work ended longest ago (or who became available earliest)."""

    name = "longest_idle"
    key_width = 1

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        """Cost: O(1)."""
        return (agent.idle_since,)


class MostProficient:
    """The highest skill level for the queue's requirement, then longest idle."""

    name = "most_proficient"
    key_width = 2

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        """Cost: O(1)."""
        return (-proficiency, agent.idle_since)


class LeastOccupied:
    """The smallest share of capacity in use across channels, then longest idle."""

    name = "least_occupied"
    key_width = 2

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        """Cost: O(channels)."""
        return (agent.occupancy(), agent.idle_since)


class RoundRobin:
    """The agent offered a contact longest ago (never-offered agents first, in login order)."""

    name = "round_robin"
    key_width = 1

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        """Cost: O(1)."""
        return (agent.last_offer_seq,)


class FewestSkills:
    """The agent with the fewest skills (keep generalists free), then longest idle."""

    name = "fewest_skills"
    key_width = 2

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        """Cost: O(1)."""
        return (len(agent.skills), agent.idle_since)


class RandomAgent:
    """A seeded random draw each time the agent becomes available: reproducible for a given seed."""

    name = "random"
    key_width = 1

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        """Cost: O(1)."""
        return (self._rng.random(),)


POLICIES = {
    "longest_idle": LongestIdle,
    "most_proficient": MostProficient,
    "least_occupied": LeastOccupied,
    "round_robin": RoundRobin,
    "fewest_skills": FewestSkills,
    "random": RandomAgent,
}


class AgentRating:
    """The agent with the highest score, then longest idle; agents without a score get
    ``default``. The score is read when the agent enters a pool (login, becoming available, a
    change of load), so a changed rating counts from the agent's next change."""

    key_width = 2

    def __init__(self, name: str, scores: Mapping[str, float], *, default: float = 1.0) -> None:
        self.name = name
        self._scores = dict(scores)
        self._default = float(default)

    def score(self, agent_id: str) -> float:
        """The agent's score. Cost: O(1)."""
        return self._scores.get(agent_id, self._default)

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        """Cost: O(1)."""
        return (-self._scores.get(agent.agent_id, self._default), agent.idle_since)


_RATINGS: dict[str, Callable[[float, float], float]] = {
    "fastest": lambda resolution, factor: 1.0 / factor,
    "best_resolution": lambda resolution, factor: resolution,
    "resolution_rate": lambda resolution, factor: resolution / factor,
}
RATED_POLICIES = tuple(_RATINGS)
"""Built-in policies that rank agents by their ratings (see :func:`rated_policy`)."""


def rated_policy(
    name: str,
    *,
    resolution: Mapping[str, float] | None = None,
    handle_time_factor: Mapping[str, float] | None = None,
) -> AgentRating:
    """One of :data:`RATED_POLICIES` from agent ratings: ``resolution`` (agent id → probability
    of resolving the issue, default 1.0) and ``handle_time_factor`` (agent id → multiple of the
    usual handle time, default 1.0). Raises ConfigError for an unknown name or a factor <= 0.

    Cost: O(agents rated).
    """
    rating = _RATINGS.get(name)
    if rating is None:
        raise ConfigError(f"rated policy {name!r}: unknown; choose one of {', '.join(_RATINGS)}")
    resolution = dict(resolution or {})
    factors = dict(handle_time_factor or {})
    for agent_id, factor in factors.items():
        if not factor > 0:
            raise ConfigError(f"handle_time_factor[{agent_id!r}]={factor!r}: must be > 0")
    scores = {
        agent_id: rating(resolution.get(agent_id, 1.0), factors.get(agent_id, 1.0))
        for agent_id in {*resolution, *factors}
    }
    return AgentRating(name, scores, default=rating(1.0, 1.0))


def make_policy(policy: str | AgentPolicy, rng: random.Random) -> AgentPolicy:
    """A policy object from its name (or the object itself). Raises ConfigError for unknown names
    and for rated policies, which need their ratings (:func:`rated_policy`). Cost: O(1)."""
    if not isinstance(policy, str):
        return policy
    if policy == "random":
        return RandomAgent(rng)
    if policy in _RATINGS:
        raise ConfigError(
            f"agent_policy={policy!r} ranks agents by their ratings: pass "
            f"rated_policy({policy!r}, resolution=..., handle_time_factor=...) instead of the name"
        )
    try:
        factory = POLICIES[policy]
    except KeyError:
        raise ConfigError(
            f"agent_policy={policy!r}: unknown; choose one of {', '.join(POLICIES)}"
        ) from None
    made: AgentPolicy = factory()
    return made
