"""The agents' side of one replication: shifts and breaks, status changes, wrap-up, agent time.

This module owns the simulated agents of a replication (:class:`~.staff.Agent`, built from the
scenario's groups) and every change of their status or load: logging in and out on their shifts,
going away on breaks and coming back, being set away by the router after unanswered offers, and
the slot a contact holds until its wrap-up ends. Each change first counts the agent's time so far
under its old status and load (:meth:`~.staff.Clock.account`), so busy, idle and away seconds are
exact. It never routes and never draws who serves: the event loop (:mod:`.engine`) owns time and
the Router's events, and hands this module the decisions about agents.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..core import decisions as dc
from ..core import events as ev
from ..core.profiles import RoutingProfile
from ..core.queues import WrapUp
from ..core.skills import SkillGraph
from ..records import ContactRecord
from .build import agent_ids, can_serve
from .kpi import AgentTime
from .profiles import routing_profile
from .router_config import group_can_serve
from .scenario import QueueConfig, Scenario
from .staff import Agent, Clock
from .workload import Sampler, sampler, stream

__all__ = ["FORCED_AWAY_REASON", "FORCED_AWAY_SECONDS", "Loop", "Workforce"]

FORCED_AWAY_SECONDS = 60.0
"""An agent the router set away (unanswered offers) makes itself available again after this."""

FORCED_AWAY_REASON = "unanswered offers"
"""The away reason of time spent set away by the router (as ``Router.agent_view`` reports it)."""

Action = Callable[[Any, Any, Any], None]


class Loop(Protocol):
    """What the workforce needs of the event loop: its time, its heap, and the router."""

    now: float

    def push(self, at: float, action: Action, a: Any, b: Any, c: Any) -> None:
        """Call ``action(a, b, c)`` at simulated time ``at``. Cost: O(log heap)."""

    def send(self, event: ev.Event) -> None:
        """Send one event to the router and carry out its decisions. Cost: one router event."""

    def send_ending(self, event: ev.Event, outcome: str | None) -> None:
        """Send an event that ends a contact (the context store records ``outcome``).
        Cost: one router event."""


class Workforce:
    """The agents of one replication, their status changes and the accounting of their time."""

    def __init__(
        self, loop: Loop, scenario: Scenario, graph: SkillGraph, clock: Clock, replication: int
    ) -> None:
        seed = scenario.simulation.seed
        self.loop = loop
        self.clock = clock
        self.seed, self.replication = seed, replication
        # queue → the stream its manual wrap-ups draw from, and their sampler (manual queues)
        self.wrap_streams: dict[str, random.Random] = {}
        self.wrap_samplers: dict[str, Sampler] = {}
        for q in scenario.queues:
            self._follow_wrap_up(q)
        # a group's own manual wrap-up overrides the queue's: group → its sampler
        self.group_wrap_samplers: dict[str, Sampler] = {
            g.group: sampler(g.wrap_up.duration, stream(seed, replication, f"wrap-group/{g.group}"))
            for g in scenario.agents
            if g.wrap_up is not None and g.wrap_up.mode == "manual" and g.wrap_up.duration is not None
        }
        # the contact being released: (agent, contact, queue, wrap-up started, record)
        self.releasing: list[Any] = ["", "", "", False, None]
        self.wrapping: dict[tuple[str, str], tuple[ContactRecord, float]] = {}
        # agent id → its skills since the group's last skill change (absent: the group's skills)
        self.skills: dict[str, Mapping[str, int]] = {}
        self.graph, self.scenario_queues = graph, scenario.queues
        # id of a skill_changes entry's skills → the queues agents with them serve (one per change)
        self.serving: dict[int, frozenset[str]] = {}
        # group → the routing profile its agents log in with (None: no profile)
        self.profiles: dict[str, RoutingProfile | None] = {}
        self.agents = self._make_agents(scenario, graph)

    def decision_handlers(self) -> Mapping[type, Callable[[Any], None]]:
        """The router decisions about agents, each with the method that carries it out.
        Cost: O(1)."""
        return {
            dc.WrapUpStarted: self.on_wrap_up_started,
            dc.WrapUpExpired: self.on_wrap_up_expired,
            dc.AgentStatusForced: self.on_forced,
            dc.LogoutCompleted: self.on_logout_completed,
        }

    # -- setup ------------------------------------------------------------------------------
    def _make_agents(self, scenario: Scenario, graph: SkillGraph) -> dict[str, Agent]:
        agents: dict[str, Agent] = {}
        for group in scenario.agents:
            self.profiles[group.group] = routing_profile(group)
            channels = frozenset(c for c, n in group.capacity.items() if n > 0)
            serves = frozenset(
                q.name
                for q in scenario.queues
                if can_serve(graph, group, q, channels)
                and (group.profile is None or q.name in group.profile)
            )
            slots = sum(group.capacity.values())
            for k, agent_id in enumerate(agent_ids(group)):
                agent = Agent(agent_id, group, channels, serves, slots=slots)
                agents[agent.agent_id] = agent
                self._schedule_shifts(agent, k)
        return agents

    def _schedule_shifts(self, agent: Agent, k: int) -> None:
        group, push, act = agent.group, self.loop.push, self.agent_action
        for change in group.skill_changes:
            push(change.at, self.change_skills, agent.agent_id, change.skills, None)
        if not group.shifts:
            push(0.0, act, agent.agent_id, "login", None)
            return
        for shift in group.shifts:
            push(shift.start, act, agent.agent_id, "login", None)
            for pause in shift.breaks:
                offset = pause.spread_seconds * k / group.count
                push(pause.at + offset, act, agent.agent_id, "away", pause.reason)
                push(pause.at + offset + pause.seconds, act, agent.agent_id, "back", None)
            push(shift.end, act, agent.agent_id, "logout", None)

    # -- shifts and status ------------------------------------------------------------------
    def agent_action(self, agent_id: str, action: str, reason: str | None) -> None:
        """A shift or break step of the agent, if its status allows it now. Cost: one router
        event."""
        agent = self.agents[agent_id]
        status, now, send = agent.status, self.loop.now, self.loop.send
        if action == "login" and status == "offline":
            self.set_status(agent, "available")
            g = agent.group
            skills = self.skills.get(agent_id, g.skills)
            own = g.wrap_up  # the group's own wrap-up (manual: see on_wrap_up_started)
            wrap_up = None if own is None else WrapUp(own.mode, own.seconds)
            send(
                ev.AgentLoggedIn(
                    at=now, agent_id=agent_id, skills=skills, capacity=g.capacity,
                    wrap_up=wrap_up, profile=self.profiles[g.group], auto_accept=g.auto_accept,
                )
            )  # fmt: skip
        elif action == "logout" and status in ("available", "away"):
            self.set_status(agent, "logging_out")
            send(ev.AgentLoggedOut(at=now, agent_id=agent_id))
        elif action == "away" and status == "available":
            self.set_status(agent, "away", reason)
            send(ev.AgentStatusChanged(at=now, agent_id=agent_id, status="away", reason=reason))
        elif action == "back" and status == "away":
            self.set_status(agent, "available")
            send(ev.AgentStatusChanged(at=now, agent_id=agent_id, status="available"))

    def change_skills(self, agent_id: str, skills: Mapping[str, int], _c: Any) -> None:
        """The agent's group changed skills (``skill_changes``): a logged-in agent's router is
        told now; a later login uses them. Cost: one router event, or O(1) when offline."""
        self.skills[agent_id] = skills
        agent = self.agents[agent_id]
        agent.queues |= self._queues_served(agent, skills)
        if agent.status in ("available", "away"):
            send = self.loop.send
            send(ev.AgentSkillsChanged(at=self.loop.now, agent_id=agent_id, skills=skills))

    def queue_changed(self, queue: QueueConfig) -> None:
        """A queue's ``changes`` entry took effect: its manual wrap-ups are drawn from its new
        duration (on the queue's own stream), and agents who can serve it now count it among
        the queues they served. Cost: O(agents), plus O(queues · (R·K + stages)) per distinct
        skill set."""
        self._follow_wrap_up(queue)
        name = queue.name
        self.scenario_queues = tuple(queue if q.name == name else q for q in self.scenario_queues)
        self.serving.clear()  # computed with the queue as it was
        for agent in self.agents.values():
            skills = self.skills.get(agent.agent_id, agent.group.skills)
            agent.queues |= self._queues_served(agent, skills)

    def _follow_wrap_up(self, queue: QueueConfig) -> None:
        """The sampler of the queue's manual wrap-up, if it has one. Cost: O(1)."""
        wrap, name = queue.wrap_up, queue.name
        if wrap.mode != "manual" or wrap.duration is None:
            self.wrap_samplers.pop(name, None)
            return
        rng = self.wrap_streams.get(name)
        if rng is None:
            rng = self.wrap_streams[name] = stream(self.seed, self.replication, f"wrap/{name}")
        self.wrap_samplers[name] = sampler(wrap.duration, rng)

    def _queues_served(self, agent: Agent, skills: Mapping[str, int]) -> frozenset[str]:
        """The queues an agent of this group serves with ``skills``, computed once per skill
        change (the agent's per-queue KPIs count every queue it served during the run)."""
        served = self.serving.get(id(skills))
        if served is None:
            capacity = {c: agent.group.capacity[c] for c in agent.channels}
            served = frozenset(
                q.name
                for q in self.scenario_queues
                if group_can_serve(self.graph, skills, capacity, q)
                and (agent.group.profile is None or q.name in agent.group.profile)
            )
            self.serving[id(skills)] = served
        return served

    def on_forced(self, d: dc.AgentStatusForced) -> None:
        """The router set the agent away: it comes back by itself later. Cost: O(log heap)."""
        self.set_status(self.agents[d.agent_id], d.status, FORCED_AWAY_REASON)
        now = self.loop.now
        self.loop.push(now + FORCED_AWAY_SECONDS, self.agent_action, d.agent_id, "back", None)

    def on_logout_completed(self, d: dc.LogoutCompleted) -> None:
        """The agent's last contact ended after it asked to log out. Cost: O(intervals spanned)."""
        self.set_status(self.agents[d.agent_id], "offline")

    # -- contacts ending: release and wrap-up -------------------------------------------------
    def release(
        self,
        agent: Agent,
        record: ContactRecord,
        queue: str,
        event: ev.Event,
        outcome: str | None = None,
    ) -> None:
        """Send the event that ends the agent's part; the slot frees now unless wrap-up starts.

        ``queue`` is the queue the agent served, whose wrap-up applies. Cost: one router event.
        """
        self.releasing = [agent.agent_id, record.contact_id, queue, False, record]
        self.loop.send_ending(event, outcome)
        if not self.releasing[3]:
            self.hold(agent, -1)
        self.releasing = ["", "", "", False, None]

    def on_wrap_up_started(self, d: dc.WrapUpStarted) -> None:
        """The agent's slot stays held; a manual wrap-up gets its end drawn. Cost: O(log heap)."""
        agent_id, contact_id, queue, _, record = self.releasing
        now = self.loop.now
        if (agent_id, contact_id) == (d.agent_id, d.contact_id):
            self.releasing[3] = True
            self.wrapping[agent_id, contact_id] = (record, now)
        if d.ends_at is None:  # manual wrap-up: the agent ends it after a sampled time
            sample = self._manual_wrap_up(d.agent_id, queue)
            end = now + (sample() if sample else 0.0)
            self.loop.push(end, self.wrap_end, d.agent_id, d.contact_id, None)

    def follow_wrap_up(self, d: dc.WrapUpStarted, queue: str, record: ContactRecord) -> None:
        """A wrap-up the loop started outside :meth:`release` (a consult leg's, as its contact
        ended): its time counts for ``record``; a manual one ends after a time drawn from
        the agent's group's own wrap-up, else ``queue``'s. Cost: O(log heap)."""
        now = self.loop.now
        self.wrapping[d.agent_id, d.contact_id] = (record, now)
        if d.ends_at is None:
            sample = self._manual_wrap_up(d.agent_id, queue)
            end = now + (sample() if sample else 0.0)
            self.loop.push(end, self.wrap_end, d.agent_id, d.contact_id, None)

    def _manual_wrap_up(self, agent_id: str, queue: str) -> Sampler | None:
        """The draw of a manual wrap-up's length: the agent's group's own, else the queue's."""
        if self.group_wrap_samplers:
            own = self.group_wrap_samplers.get(self.agents[agent_id].group.group)
            if own is not None:
                return own
        return self.wrap_samplers.get(queue)

    def on_wrap_up_expired(self, d: dc.WrapUpExpired) -> None:
        """A timed wrap-up ended in the router. Cost: O(intervals spanned)."""
        self._wrapped(self.agents[d.agent_id], d.contact_id)

    def wrap_end(self, agent_id: str, contact_id: str, _c: Any) -> None:
        """The agent ends a manual wrap-up. Cost: one router event."""
        self.loop.send(
            ev.new_wrap_up_ended(at=self.loop.now, agent_id=agent_id, contact_id=contact_id)
        )
        self._wrapped(self.agents[agent_id], contact_id)

    def _wrapped(self, agent: Agent, contact_id: str) -> None:
        """Wrap-up of the contact ended: the slot frees; its time counts for record and agent."""
        self.hold(agent, -1)
        found = self.wrapping.pop((agent.agent_id, contact_id), None)
        if found is not None:
            record, started = found
            now, clock = self.loop.now, self.clock
            record.wrap_seconds += now - started
            record.wrap_ended_at = now
            if clock.start <= record.arrived_at < clock.end:
                agent.wrap_seconds += now - started

    # -- time accounting --------------------------------------------------------------------
    def set_status(self, agent: Agent, status: str, reason: str | None = None) -> None:
        """The agent's time so far counts under its old status (and away reason); then it changes.
        Cost: O(intervals spanned)."""
        self.clock.account(agent, self.loop.now)
        agent.status, agent.reason = status, reason

    def hold(self, agent: Agent, change: int) -> None:
        """The agent holds ``change`` more contacts (connected or in wrap-up); its time so far
        counts under the old load. Cost: O(intervals spanned)."""
        self.clock.account(agent, self.loop.now)
        agent.held += change

    def close(self, now: float) -> None:
        """Count every agent's time up to ``now``, the end of the run. Cost: O(agents)."""
        for agent in self.agents.values():
            self.clock.account(agent, now)

    def times(self) -> list[AgentTime]:
        """What the KPIs read of each agent, in login order. Cost: O(agents)."""
        return [agent.time() for agent in self.agents.values()]
