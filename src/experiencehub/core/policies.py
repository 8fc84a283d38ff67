"""Agent-selection policies: small objects with a name and a sort key (smaller is better).

The router keeps available agents in pools sorted by ``(skill cost, policy key, agent seq)``: the
lowest skill cost wins first (bullseye), then the policy, then login order — a documented, total
order, so ties never depend on dict or set iteration. A key is computed when the agent enters a pool
(when its load or status changes), never while comparing.

Contact selection, when an agent frees, is fixed: highest effective priority (with aging) across
the classes the agent serves, then the earliest ``enqueued_at``, then arrival sequence.

>>> [p for p in POLICIES]
['longest_idle', 'most_proficient', 'least_occupied', 'round_robin', 'fewest_skills', 'random']
"""

from __future__ import annotations

import random
from typing import Protocol

from .agents import AgentState
from .errors import ConfigError

__all__ = [
    "POLICIES",
    "AgentPolicy",
    "FewestSkills",
    "LeastOccupied",
    "LongestIdle",
    "MostProficient",
    "RandomAgent",
    "RoundRobin",
    "make_policy",
]


class AgentPolicy(Protocol):
    """Ranks available agents for a queue; ``key`` must only read the agent and its proficiency."""

    name: str

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]: ...


class LongestIdle:
    """The agent whose last work ended longest ago (or who became available earliest)."""

    name = "longest_idle"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (agent.idle_since,)


class MostProficient:
    """The highest skill level for the queue's requirement, then longest idle."""

    name = "most_proficient"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (-proficiency, agent.idle_since)


class LeastOccupied:
    """The smallest share of capacity in use across channels, then longest idle."""

    name = "least_occupied"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (agent.occupancy(), agent.idle_since)


class RoundRobin:
    """The agent offered a contact longest ago (never-offered agents first, in login order)."""

    name = "round_robin"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (agent.last_offer_seq,)


class FewestSkills:
    """The agent with the fewest skills (keep generalists free), then longest idle."""

    name = "fewest_skills"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (len(agent.skills), agent.idle_since)


class RandomAgent:
    """A seeded random draw each time the agent becomes available: reproducible for a given seed."""

    name = "random"

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (self._rng.random(),)


POLICIES = {
    "longest_idle": LongestIdle,
    "most_proficient": MostProficient,
    "least_occupied": LeastOccupied,
    "round_robin": RoundRobin,
    "fewest_skills": FewestSkills,
    "random": RandomAgent,
}


def make_policy(policy: str | AgentPolicy, rng: random.Random) -> AgentPolicy:
    """A policy object from its name (or the object itself). Raises ConfigError for unknown names."""
    if not isinstance(policy, str):
        return policy
    if policy == "random":
        return RandomAgent(rng)
    try:
        factory = POLICIES[policy]
    except KeyError:
        raise ConfigError(
            f"agent_policy={policy!r}: unknown; choose one of {', '.join(POLICIES)}"
        ) from None
    made: AgentPolicy = factory()
    return made
