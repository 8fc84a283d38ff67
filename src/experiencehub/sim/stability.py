"""Stability of a scenario: does offered load reach the agent slots that can serve it?

This module owns the load arithmetic the scenario checks use (mean durations, mean arrival rates,
slots able to serve a queue). It never simulates and never raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .router_config import group_can_serve, skill_graph

if TYPE_CHECKING:
    from ..core.skills import SkillGraph
    from .scenario import (
        Arrivals,
        Distribution,
        QueueConfig,
        Scenario,
        SelfService,
        Substitution,
    )

__all__ = ["mean_of", "mean_rate_per_hour", "servable_skills", "stability_problems"]

Problems = list[str]


def servable_skills(agent_skills: set[str], edges: tuple[Substitution, ...]) -> set[str]:
    """Skills agents with ``agent_skills`` can serve, following substitutions. Cost: O(E²)."""
    servable = set(agent_skills)
    changed = True
    while changed:
        changed = False
        for edge in edges:
            if edge.skill in servable and edge.serves not in servable:
                servable.add(edge.serves)
                changed = True
    return servable


def mean_of(dist: Distribution) -> float:
    """Mean of a distribution in seconds. Cost: O(1), O(n) for empirical.

    >>> from experiencehub.sim.scenario import Distribution
    >>> mean_of(Distribution(kind="lognormal", mean=300, sd=120))
    300.0
    """
    if dist.kind == "deterministic":
        return float(dist.value or 0.0)
    if dist.kind == "empirical":
        values = dist.values or (0.0,)
        return sum(values) / len(values)
    return float(dist.mean or 0.0)


def mean_rate_per_hour(arrivals: Arrivals) -> float | None:
    """Long-run arrival rate per hour; None for traces (their length is what it is)."""
    if arrivals.kind == "poisson":
        return arrivals.per_hour
    if arrivals.kind == "piecewise" and arrivals.rates_per_hour:
        return sum(arrivals.rates_per_hour) / len(arrivals.rates_per_hour)
    return None


def stability_problems(scenario: Scenario) -> Problems:
    """Queues whose offered load (erlangs) reaches the agent slots that can serve them while no
    customer of theirs ever abandons: their waits grow without bound.

    The check is per queue against every slot on its channel that any stage can reach, each slot
    weighted by its group's speed (``1 / handle_time_factor``); contacts a self-service step
    contains (``share × contained`` of a workload's arrivals) never reach the queue and are left
    out of its load. It is a necessary condition only
    (shared agents are counted in full for each queue; slowdowns and unresolved returns, which
    only add work, are left out). Cost: O(Q·W + Q·G).
    """
    problems: Problems = []
    graph = skill_graph(scenario)
    for i, queue in enumerate(scenario.queues):
        items = [w for w in scenario.workload if w.queue == queue.name]
        if not items or any(w.patience_seconds is not None for w in items):
            continue
        rates = [(mean_rate_per_hour(w.arrivals), mean_of(w.handle_seconds)) for w in items]
        if any(rate is None for rate, _ in rates):
            continue
        reach = [_reaching_share(w.self_service or queue.self_service) for w in items]
        load = sum((rate or 0.0) / 3600.0 * handle * r for (rate, handle), r in zip(rates, reach, strict=True))
        slots, weighted = _serving_slots(queue, scenario, graph)
        if load >= slots:
            problems.append(
                f"queues[{i}]: unstable: offered load {load:.1f} erlangs >= {slots:.10g} agent slots{weighted} able "
                f"to serve {queue.name!r}, and no workload of it has patience_seconds (waits grow without bound)"
            )
    return problems


def _reaching_share(step: SelfService | None) -> float:
    """Share of a workload's arrivals that gets past its self-service step to the queue."""
    return 1.0 if step is None else 1.0 - step.share * step.contained


def _serving_slots(
    queue: QueueConfig, scenario: Scenario, graph: SkillGraph
) -> tuple[float, str]:
    """Slots able to serve ``queue`` — by the router's own eligibility rule: levels, skill
    costs and stage limits count — and a note when group speeds weighted them."""
    groups = [
        g for g in scenario.agents if group_can_serve(graph, g.skills, g.capacity, queue)
    ]
    # A group twice as fast (handle_time_factor 0.5) does the work of twice the slots.
    slots = sum(g.count * g.capacity.get(queue.channel, 0) / g.handle_time_factor for g in groups)
    weighted = any(g.handle_time_factor != 1.0 for g in groups)
    return slots, " (weighted by 1 / handle_time_factor)" if weighted else ""
