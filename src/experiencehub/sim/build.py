"""From a scenario to what a replication routes with: the skills graph, queue specs, the agent
policy and the Router.

This module owns the translation of scenario settings into router configuration, so the simulator,
the scenario checks and the tests build the same router. It never simulates.
"""

from __future__ import annotations

from typing import Any

from ..core.policies import RATED_POLICIES, AgentPolicy, rated_policy
from ..core.router import Router
from ..core.skills import SkillGraph
from .checks import load_policy_object
from .router_config import group_can_serve, queue_specs, skill_graph
from .scenario import AgentGroup, Scenario
from .workload import stream

__all__ = [
    "agent_ids",
    "agent_policy",
    "build_router",
    "can_serve",
    "queue_specs",
    "router_seed",
    "skill_graph",
]


def build_router(scenario: Scenario, *, policy: str | None = None, seed: int = 0) -> Router:
    """A Router configured from the scenario's skills, queues and run settings. Cost: O(S·E log S).

    Queues get no ``service_level_seconds`` here: the router's service-level alerts would add one
    deadline per waiting contact, and the simulator measures service level from its own records.
    """
    return Router(
        skill_graph(scenario),
        queue_specs(scenario),
        agent_policy=agent_policy(scenario, policy or scenario.simulation.policy),
        seed=seed,
        offer_timeout=scenario.simulation.offer_timeout,
        max_unanswered_offers=scenario.simulation.max_unanswered_offers,
        channel_rules=scenario.simulation.channel_rules,
        contact_selection=scenario.simulation.contact_selection,
    )


def router_seed(seed: int, replication: int) -> int:
    """The seed of replication ``replication``'s router (for a policy that draws at random), from
    its own stream. Cost: O(1)."""
    return stream(seed, replication, "router").getrandbits(32)


def agent_policy(scenario: Scenario, name: str) -> str | AgentPolicy:
    """The router's agent policy for ``name``: a built-in name as it is; a rated policy
    (``fastest``, ``best_resolution``, ``resolution_rate``) with each simulated agent's ratings
    from its group; ``module:attribute`` imported (a class or factory is called with no
    arguments). Cost: O(agents) for a rated policy."""
    if name in RATED_POLICIES:
        resolution: dict[str, float] = {}
        factors: dict[str, float] = {}
        for group in scenario.agents:
            for agent_id in agent_ids(group):
                resolution[agent_id] = group.resolution
                factors[agent_id] = group.handle_time_factor
        return rated_policy(name, resolution=resolution, handle_time_factor=factors)
    if ":" not in name:
        return name
    found = load_policy_object(name)
    made: AgentPolicy = found() if isinstance(found, type) or not hasattr(found, "key") else found
    return made


def agent_ids(group: AgentGroup) -> list[str]:
    """The ids the simulator gives the agents of a group: ``<group>-1`` … ``<group>-<count>``.
    Cost: O(count)."""
    return [f"{group.group}-{k + 1}" for k in range(group.count)]


def can_serve(graph: SkillGraph, group: AgentGroup, queue: Any, channels: frozenset[str]) -> bool:
    """Whether agents of ``group`` with capacity on ``channels`` can take ``queue`` (a scenario
    queue) at some stage, by the router's own rule (:mod:`experiencehub.core.eligibility`).
    Cost: O(R·K + stages)."""
    capacity = {c: n for c, n in group.capacity.items() if c in channels}
    return group_can_serve(graph, group.skills, capacity, queue)
