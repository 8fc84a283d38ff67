"""Cost and agent-load KPIs: what the staffed time cost, and how evenly the work fell on agents.

This module owns the definitions of the cost KPIs (staffed time × each group's ``cost_per_hour``,
per contact and per resolved issue) and the agent-load KPIs (occupancy spread across agents with
its Gini coefficient, contacts per agent, the longest stretch worked without a break); docs/kpis.md
explains each. It reads agent time totals (:class:`~experiencehub.sim.kpi.AgentTime`); it never
simulates. :mod:`.kpi` adds these keys to the ``overall`` and ``by_group`` blocks.

>>> gini([1.0, 1.0, 1.0]), round(gini([0.0, 0.0, 1.0]), 4)
(0.0, 0.6667)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

__all__ = ["AGENT_LOAD_KPI_KEYS", "COST_KPI_KEYS", "AgentTotals", "agent_load_kpis", "gini"]

COST_KPI_KEYS = ("staffed_hours", "agent_cost", "cost_per_contact", "cost_per_resolved_issue")
"""Cost keys of the ``overall`` and ``by_group`` blocks, in report order."""

AGENT_LOAD_KPI_KEYS = (
    *COST_KPI_KEYS,
    "occupancy_min",
    "occupancy_max",
    "occupancy_gini",
    "contacts_per_agent",
    "longest_stretch",
)
"""Cost and agent-load keys of the ``overall`` and ``by_group`` blocks, in report order."""


class AgentTotals(Protocol):
    """What these KPIs read of one agent (:class:`~experiencehub.sim.kpi.AgentTime` has it)."""

    @property
    def busy(self) -> float: ...
    @property
    def idle(self) -> float: ...
    @property
    def away(self) -> Mapping[str, float]: ...
    @property
    def answered(self) -> int: ...
    @property
    def cost_per_hour(self) -> float: ...
    @property
    def longest_stretch(self) -> float: ...


def gini(values: Sequence[float]) -> float | None:
    """Gini coefficient of non-negative values: 0 when all are equal, up to 1 − 1/n when one
    holds everything; None for no values, 0 when all are 0. Cost: O(n log n).

    >>> gini([]), gini([0.0, 0.0])
    (None, 0.0)
    """
    if not values:
        return None
    ordered = sorted(values)
    total = sum(ordered)
    if total <= 0:
        return 0.0
    n = len(ordered)
    ranked = sum((i + 1) * v for i, v in enumerate(ordered))
    return max(0.0, 2.0 * ranked / (n * total) - (n + 1) / n)


def agent_load_kpis(
    agents: Sequence[AgentTotals], *, contacts: int, resolved: int
) -> dict[str, float | None]:
    """The :data:`AGENT_LOAD_KPI_KEYS` of a set of agents. ``contacts`` and ``resolved`` are what
    the cost is divided by (the contacts answered and the issues resolved, counted by the caller).

    Staffed time is busy + idle + away inside the measured window; cost is staffed hours × each
    agent's ``cost_per_hour`` (the cost KPIs are None when no agent has a rate). Occupancy per
    agent is busy / (busy + idle), over agents with such time; contacts per agent is answered
    legs over agents with staffed time; the longest stretch is the longest time any agent was
    logged in and not away, up to the window's end. Cost: O(agents log agents).

    >>> from experiencehub.sim.kpi import AgentTime
    >>> a = AgentTime("a1", 2700.0, 900.0, frozenset(), frozenset(), answered=9,
    ...               cost_per_hour=30.0, longest_stretch=3600.0)
    >>> b = AgentTime("a2", 900.0, 2700.0, frozenset(), frozenset(), answered=3, cost_per_hour=30.0)
    >>> load = agent_load_kpis([a, b], contacts=12, resolved=10)
    >>> load["agent_cost"], load["cost_per_contact"], load["occupancy_min"], load["occupancy_gini"]
    (60.0, 5.0, 0.25, 0.25)
    """
    staffed = [a.busy + a.idle + sum(a.away.values()) for a in agents]
    priced = any(a.cost_per_hour > 0 for a in agents)
    cost = sum(s / 3600.0 * a.cost_per_hour for s, a in zip(staffed, agents, strict=True))
    occupancy = [a.busy / (a.busy + a.idle) for a in agents if a.busy + a.idle > 0]
    present = [a for a, s in zip(agents, staffed, strict=True) if s > 0]
    return {
        "staffed_hours": sum(staffed) / 3600.0,
        "agent_cost": cost if priced else None,
        "cost_per_contact": cost / contacts if priced and contacts else None,
        "cost_per_resolved_issue": cost / resolved if priced and resolved else None,
        "occupancy_min": min(occupancy, default=None),
        "occupancy_max": max(occupancy, default=None),
        "occupancy_gini": gini(occupancy),
        "contacts_per_agent": sum(a.answered for a in present) / len(present) if present else None,
        "longest_stretch": max((a.longest_stretch for a in agents), default=None),
    }
