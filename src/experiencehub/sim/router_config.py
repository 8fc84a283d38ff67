"""Scenario settings as router configuration: the skill graph, the queue specs, and whether a
group of agents can serve a queue.

A leaf of the simulator (it imports only the core and the scenario's types), so the scenario
checks and the simulator read the scenario the same way — and ask the router's own eligibility
rule (:mod:`experiencehub.core.eligibility`) who can serve what.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..core._validators import MAX_SECONDS
from ..core.callbacks import CallbackPolicy
from ..core.criteria import CriteriaStep, RoutingCriteria
from ..core.eligibility import can_serve
from ..core.hours import OpenHours
from ..core.queues import QueueSpec, Stage, WrapUp
from ..core.skills import SkillGraph

if TYPE_CHECKING:
    from .scenario_types import CriteriaConfig, QueueConfig, Scenario

__all__ = ["group_can_serve", "queue_spec", "queue_specs", "routing_criteria", "skill_graph"]


def skill_graph(scenario: Scenario) -> SkillGraph:
    """The skills of every group and queue, with the scenario's substitutions. Cost: O(S·E log S)."""
    graph = SkillGraph()
    for group in scenario.agents:
        for skill in group.skills:
            graph.add_skill(skill)
    for queue in scenario.queues:
        for skill in queue.required_skills():  # its own, then its changes' (in file order)
            graph.add_skill(skill)
    for edge in scenario.substitutions:
        graph.add_substitute(edge.skill, serves=edge.serves, cost=edge.cost)
    graph.freeze()
    return graph


def queue_specs(scenario: Scenario) -> list[QueueSpec]:
    """The router's queue specs at the start, in the scenario's order: queues added during the
    run (``added_at``) come later, as ``QueueAdded``. Cost: O(queues · stages)."""
    return [queue_spec(q) for q in scenario.queues if q.added_at is None]


def queue_spec(q: QueueConfig) -> QueueSpec:
    """One scenario queue as the router's spec (no stages: one stage of skill cost 0).
    Cost: O(stages)."""
    stages: list[Stage] = [Stage(after=s.after, max_cost=s.max_cost) for s in q.stages]
    wrap = q.wrap_up
    return QueueSpec(
        q.name,
        channel=q.channel,
        requires=dict(q.requires),
        stages=stages or [Stage(after=0, max_cost=0)],  # type: ignore[arg-type]  # attrs plugin reads converter=tuple as Iterable[_T_co]
        priority_weight=q.priority_weight,
        aging_per_minute=q.aging_per_minute,
        max_length=q.max_length,
        wrap_up=WrapUp(wrap.mode, wrap.seconds if wrap.mode == "timed" else 0.0),
        affinity_seconds=q.affinity_seconds,
        rejoin_seconds=q.rejoin_seconds,
        hours=open_hours(q),
        closed_queue=q.closed_queue,
        closed_rule=q.closed_rule,
        offer_timeout=q.offer_timeout,
        **_callback_options(q),
    )


def open_hours(q: QueueConfig) -> OpenHours | None:
    """The queue's hours for the router, its ``closed`` periods as holidays within them (a
    closure without end: to the latest time the router accepts). Cost: O(intervals)."""
    if q.hours is None:
        return None
    return OpenHours(
        weekly=[(i.day, i.start, i.end) for i in q.hours.weekly],
        week_starts_at=q.hours.week_starts_at,
        closed=[(c.start, MAX_SECONDS if c.end is None else c.end) for c in q.closed],
    )


def _callback_options(q: QueueConfig) -> dict[str, Any]:
    """A ``queued_callback`` queue: its callback policy and the estimated-wait alert that offers
    callbacks (nothing otherwise, so other queues are built exactly as before)."""
    config = q.queued_callback
    if config is None:
        return {}
    return {
        "estimated_wait_alert_seconds": config.offer_above_seconds,
        "callback": CallbackPolicy(
            retry_seconds=config.retry_seconds,
            max_attempts=config.attempts,
            keep_place=config.keep_place,
        ),
    }


def group_can_serve(
    graph: SkillGraph, skills: Mapping[str, int], capacity: Mapping[str, int], queue: QueueConfig
) -> bool:
    """Whether an agent with these skills and channel capacity can serve the scenario queue at
    some stage: levels, skill costs and stage limits as the router applies them.
    Cost: O(R·K + stages)."""
    return can_serve(graph, skills, capacity, queue_spec(queue))


def routing_criteria(config: CriteriaConfig) -> RoutingCriteria:
    """The core's criteria of a workload's (checked) ``criteria`` section. Cost: O(steps)."""
    return RoutingCriteria(
        steps=[
            CriteriaStep(requires=step.requires, after=step.after, max_cost=step.max_cost)
            for step in config.steps
        ]
    )
