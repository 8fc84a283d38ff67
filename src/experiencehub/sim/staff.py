"""The simulated agents and the accounting of their time.

This module owns what the simulator knows of each agent (its group, what it can serve, what it
holds) and how busy, idle, slot and capacity seconds are counted inside the measured window and per
interval. It never routes: the Router decides who serves; the event loop reports changes here.
"""

from __future__ import annotations

import attrs

from .kpi import AgentTime
from .scenario import AgentGroup

__all__ = ["Agent", "Clock"]


@attrs.define(slots=True, eq=False)
class Agent:
    """The simulator's view of one agent, and its time accounting."""

    agent_id: str
    group: AgentGroup
    channels: frozenset[str]
    queues: frozenset[str]
    status: str = "offline"  # offline, available, away, logging_out
    reason: str | None = None  # why it is away (a break's reason, or the router's)
    held: int = 0  # contacts connected or in wrap-up
    talking: int = 0  # contacts connected
    since: float = 0.0
    busy: float = 0.0
    idle: float = 0.0
    slots: int = 0  # total capacity
    slot_seconds: float = 0.0
    capacity_seconds: float = 0.0
    answered: int = 0
    handle_seconds: float = 0.0
    wrap_seconds: float = 0.0
    ended: int = 0
    resolved: int = 0
    first_contacts: int = 0
    first_resolved: int = 0
    away: dict[str, float] = attrs.field(factory=dict)  # reason → seconds away, nothing held
    stretch_from: float | None = None  # start of the current stretch logged in and not away
    longest_stretch: float = 0.0

    def time(self) -> AgentTime:
        """What the KPIs read of this agent. Cost: O(away reasons)."""
        return AgentTime(
            self.agent_id, self.busy, self.idle, self.channels, self.queues,
            group=self.group.group, answered=self.answered, handle_seconds=self.handle_seconds,
            wrap_seconds=self.wrap_seconds, ended=self.ended, resolved=self.resolved,
            first_contacts=self.first_contacts, first_resolved=self.first_resolved,
            slot_seconds=self.slot_seconds, capacity_seconds=self.capacity_seconds,
            away=dict(self.away), cost_per_hour=self.group.cost_per_hour,
            longest_stretch=self.longest_stretch,
        )  # fmt: skip


@attrs.define(slots=True)
class Clock:
    """The measured window ``[start, end)`` and the occupancy buckets of one replication."""

    start: float
    end: float
    interval: float
    busy: list[float]
    idle: list[float]

    def account(self, agent: Agent, now: float) -> None:
        """Count the agent's time since its last change, up to ``now``. Cost: O(intervals spanned)."""
        begin, finish = agent.since, now
        agent.since = finish
        if finish <= begin:
            return
        busy = agent.held > 0
        last = finish if finish < self.end else self.end
        inside = last - (begin if begin > self.start else self.start)
        _stretch(agent, begin, last, working=busy or agent.status == "available")
        if not busy and agent.status != "available":
            if agent.status == "away" and inside > 0:
                reason = agent.reason or "away"
                agent.away[reason] = agent.away.get(reason, 0.0) + inside
            return
        if inside > 0:
            agent.capacity_seconds += agent.slots * inside
        if busy:
            if inside > 0:
                agent.busy += inside
                agent.slot_seconds += agent.held * inside
            _spread(self.busy, begin, last, self.interval)
        else:
            if inside > 0:
                agent.idle += inside
            _spread(self.idle, begin, last, self.interval)


def _stretch(agent: Agent, begin: float, last: float, *, working: bool) -> None:
    """Extend or end the agent's stretch of work (logged in and not away, busy or idle), and keep
    its longest up to ``last`` (the window's end at the latest)."""
    if not working:
        agent.stretch_from = None
        return
    if agent.stretch_from is None:
        agent.stretch_from = begin
    length = last - agent.stretch_from
    agent.longest_stretch = max(agent.longest_stretch, length)


def _spread(buckets: list[float], begin: float, finish: float, interval: float) -> None:
    if finish <= begin:  # e.g. time after the measured window
        return
    index = int(begin // interval)
    if finish <= (index + 1) * interval and index < len(buckets):  # the usual case: one bucket
        buckets[index] += finish - begin
        return
    t = begin
    while t < finish:
        index = int(t // interval)
        if index >= len(buckets):
            return
        edge = min(finish, (index + 1) * interval)
        buckets[index] += edge - t
        t = edge
