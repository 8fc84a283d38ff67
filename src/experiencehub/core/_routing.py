"""The routing state and its mutations (private; :class:`~.router.Router` is the public face).

Every method here assumes the event was validated. Methods that can create a match end by calling
``match_contact`` or ``match_agent``; that is what keeps the router work-conserving.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import networkx as nx

from . import decisions as dc
from .agents import AgentState, AgentStatus, ChannelRules, WorkPhase
from .contacts import ContactState, ContactStatus
from .deadlines import Deadline, Deadlines
from .policies import AgentPolicy
from .pools import AgentPools
from .queues import DeclinedViews, LineEntry, QueueSpec, WaitingKey, WaitingLine, build_lines
from .skills import SkillGraph
from .stats import RouterStats

# deadline kinds
STAGE, OFFER, WRAP_UP, ALERT, AFFINITY, REJOIN = (
    "stage",
    "offer",
    "wrap_up",
    "alert",
    "affinity",
    "rejoin",
)


class RoutingState:
    def __init__(
        self,
        *,
        skills: SkillGraph,
        queues: Mapping[str, QueueSpec],
        policy: AgentPolicy,
        rules: ChannelRules,
        offer_timeout: float | None,
        max_unanswered: int | None,
    ) -> None:
        self.skills = skills
        self._queues = dict(queues)
        self.policy = policy
        self.rules = rules
        self.offer_timeout = offer_timeout
        self.max_unanswered = max_unanswered
        self.now = 0.0
        self.agents: dict[str, AgentState] = {}
        self.contacts: dict[str, ContactState] = {}
        # contact id → agents still wrapping it up (several after transfers of a connected contact)
        self.wrapping: dict[str, set[str]] = {}
        self.lines = build_lines(queues.values())
        self._served: dict[tuple[float, int], tuple[float, int]] = {}
        # capacity → (radix, taking table) shared by the agents that have it (see AgentState)
        self._profiles: dict[
            tuple[tuple[str, int], ...], tuple[dict[str, int], dict[int, frozenset[str]]]
        ] = {}
        # agent id → queue name → contacts waiting for that preferred agent. One line per queue,
        # because queues age at different rates and a line's order holds only within one queue.
        self.affinity_lines: dict[str, dict[str, WaitingLine]] = {}
        self.declined = DeclinedViews()
        self.deadlines = Deadlines()
        self.rejoin: dict[str, tuple[WaitingKey, Deadline]] = {}
        self.pools = AgentPools(self._queues, policy, rules, self.agents)
        self._stats = RouterStats(self._queues)
        self._stats.bind_available(self.pools._available)
        # login index: queues (positions in configuration order) by their first required skill,
        # the queues that require nothing, and each channel's distinct "any agent" lines
        self._queue_order = list(self._queues.values())
        self._queues_by_need: dict[str, list[int]] = {}
        self._requiring_nothing: list[int] = []
        for index, queue in enumerate(self._queue_order):
            if queue.requires:
                self._queues_by_need.setdefault(next(iter(queue.requires)), []).append(index)
            else:
                self._requiring_nothing.append(index)
        self._needs_of: dict[str, frozenset[str]] = {}
        self._any_lines: dict[str, list[WaitingLine]] = {}
        listed: set[int] = set()
        for queue in self._queue_order:
            if queue.stages[-1].max_cost is None:
                last = self.lines[(queue.name, len(queue.stages) - 1)]
                if id(last) not in listed:
                    listed.add(id(last))
                    self._any_lines.setdefault(queue.channel, []).append(last)
        self.seq = 0
        self.agent_seq = 0
        self.offer_seq = 0

    # -- agents ---------------------------------------------------------------------------
    def new_agent(
        self, agent_id: str, skills: Mapping[str, int], capacity: Mapping[str, int]
    ) -> AgentState:
        """An agent about to log in, its eligibility per queue computed once; changes nothing
        (``admit`` logs it in). Visits only the queues whose first required skill one of the
        agent's skills serves, plus the queues requiring nothing (:meth:`_candidate_queues`).

        Cost: O(c·R·K + c log c) for the c candidate queues, plus the "any agent" lines of its
        channels.
        """
        agent = AgentState(
            agent_id, seq=self.agent_seq + 1, skills=skills, capacity=capacity, at=self.now
        )
        lines: dict[int, WaitingLine] = {}  # shared lines counted once
        for queue in self._candidate_queues(skills):
            if capacity.get(queue.channel, 0) <= 0:
                continue
            served = self.skills.serving_cost(skills, queue.requires)
            # beyond the rings: reached at the "any agent" stage only, like an unskilled agent
            if served is None or not queue.within_rings(served[0]):
                continue
            first = queue.first_stage_for(served[0])
            if first is None:
                continue
            # the few distinct (cost, proficiency) pairs are shared by all agents (memory)
            agent.serving[queue.name] = self._served.setdefault(served, served)
            for stage in range(first, len(queue.stages)):
                line = self.lines[(queue.name, stage)]
                lines[id(line)] = line
        for channel, any_lines in self._any_lines.items():
            if capacity.get(channel, 0) > 0:
                for line in any_lines:
                    lines[id(line)] = line
        agent.lines = list(lines.values())
        agent.radix, agent.taking_table = self._profiles.setdefault(
            tuple(agent.capacity.items()), (agent.radix, agent.taking_table)
        )
        self.pools.enrol(agent)
        return agent

    def _candidate_queues(self, skills: Mapping[str, int]) -> list[QueueSpec]:
        """Queues the agent's skills may serve, in configuration order (the order the pools'
        plan, and so a seeded random policy's draws, follow). A superset: levels and the other
        required skills are checked by the caller. Cost: O(K + c log c).

        Speed trick: a login used to visit every queue (36 ms with 20,000 queues; timing in
        docs/performance.md, "Scale cliffs").
        """
        found: set[int] = set(self._requiring_nothing)
        by_need = self._queues_by_need
        for have in skills:
            for need in self._served_needs(have):
                indexes = by_need.get(need)
                if indexes is not None:
                    found.update(indexes)
        order = self._queue_order
        return [order[i] for i in sorted(found)]

    def _served_needs(self, have: str) -> frozenset[str]:
        """The needs a skill serves (itself and all it reaches in the graph), cached."""
        needs = self._needs_of.get(have)
        if needs is None:
            graph = self.skills.graph
            reached = nx.descendants(graph, have) if have in graph else set()
            needs = self._needs_of[have] = frozenset({have, *reached})
        return needs

    def add_agent(self, agent: AgentState) -> None:
        """Log in an agent made by :meth:`new_agent` (with no event in between). Cost: O(1)."""
        assert agent.seq == self.agent_seq + 1, (agent.seq, self.agent_seq)
        self.agent_seq = agent.seq
        self.agents[agent.agent_id] = agent
        self.pools.refresh(agent, place=False)  # placed once it has looked for work

    def finish_logout_if_idle(self, agent: AgentState, out: list[dc.Decision]) -> None:
        """An agent logging out leaves once its last work is done (idempotent)."""
        if (
            agent.status is AgentStatus.LOGGING_OUT
            and not agent.work
            and agent.agent_id in self.agents
        ):
            self.pools.remove(agent)
            self.declined.forget(agent.agent_id)
            del self.agents[agent.agent_id]
            out.append(dc.new_logout_completed(at=self.now, agent_id=agent.agent_id))

    def free_slot(self, agent: AgentState, contact_id: str, out: list[dc.Decision]) -> None:
        """A wrap-up (or a contact with no wrap-up) ends: the slot is free for new work."""
        agent.release(contact_id)
        wrappers = self.wrapping.get(contact_id)
        if wrappers is not None:
            wrappers.discard(agent.agent_id)
            if not wrappers:
                del self.wrapping[contact_id]
        agent.idle_since = self.now
        self.pools.refresh(agent, place=False)
        self.finish_logout_if_idle(agent, out)
        if agent.agent_id in self.agents:
            self.match_agent(agent, out)
            self.pools.refresh(agent)

    def start_wrap_up(
        self, agent: AgentState, contact: ContactState, out: list[dc.Decision]
    ) -> None:
        wrap = contact.queue.wrap_up
        cid = contact.contact_id
        if wrap.mode == "none":
            self.free_slot(agent, cid, out)
            return
        agent.hold(cid, contact.queue.channel, WorkPhase.WRAP_UP)
        self.wrapping.setdefault(cid, set()).add(agent.agent_id)
        ends_at = None
        if wrap.mode == "timed":
            ends_at = self.now + wrap.seconds
            agent.wrapups[cid] = self.deadlines.add(ends_at, WRAP_UP, agent.agent_id, cid)
        out.append(
            dc.new_wrap_up_started(
                at=self.now, agent_id=agent.agent_id, contact_id=cid, ends_at=ends_at
            )
        )

    def withdraw_offers(self, agent: AgentState, reason: str, out: list[dc.Decision]) -> None:
        offered = [cid for cid, (_ch, phase) in agent.work.items() if phase is WorkPhase.OFFERED]
        for cid in offered:
            self.return_offer(self.contacts[cid], agent, "withdraw", out, reason=reason)

    def drop_affinity(self, agent_id: str, out: list[dc.Decision]) -> None:
        """The agent leaves: contacts waiting for it alone fall back to normal routing, the
        best first (highest effective priority, then longest wait, across its queues), so a
        better contact is never left waiting while a worse one takes the agent it could have
        had. Cost: O(k log k) for the k contacts that waited for it, plus placing them."""
        lines = self.affinity_lines.get(agent_id)
        if lines is None:
            return
        now = self.now
        released = sorted(
            ((key[0] - line.aging_rate * now, key[1], key[2]), cid)
            for line in lines.values()
            for key, cid in line
        )
        for _rank, cid in released:
            contact = self.contacts[cid]
            self.leave_lines(contact)
            contact.affinity = tuple(a for a in contact.affinity if a != agent_id)
            if not contact.affinity:
                self.end_affinity(contact, out)
            self.place(contact, out)

    # -- contacts -------------------------------------------------------------------------
    def start_waiting(
        self, contact: ContactState, out: list[dc.Decision], *, preferred: tuple[str, ...] = ()
    ) -> None:
        """Queue a new (or transferred) contact and try to offer it at once."""
        queue, now = contact.queue, self.now
        kept = (
            self.rejoin.pop(_rejoin_id(queue, contact.customer_id), None)
            if contact.customer_id and self.rejoin
            else None
        )
        if kept is not None:
            key, entry = kept
            self.deadlines.cancel(entry)
            contact.key, contact.enqueued_at = key, key[1]
        else:
            self.seq += 1
            contact.key = (-queue.base_priority(contact.priority, now), now, self.seq)
            contact.enqueued_at = now
        self._stats.queued(queue.name, contact.enqueued_at, contact.key[2])
        if queue.service_level_seconds is not None:
            self._schedule_alert(contact, out)
        usable = (
            tuple(dict.fromkeys(a for a in preferred if self._can_prefer(a, queue)))
            if preferred
            else ()
        )
        if usable and queue.affinity_seconds > 0:
            contact.affinity, contact.affinity_logins = usable, self.agent_seq
            contact.deadlines.append(
                self.deadlines.add(now + queue.affinity_seconds, AFFINITY, contact.contact_id)
            )
            contact.stage = 0
        else:
            waited = now - contact.enqueued_at
            self._enter_stage(contact, queue.stage_at(waited) if waited else 0)
        self.place(contact, out)
        if contact.status is ContactStatus.WAITING:
            out.append(self._enqueued(contact))

    def _stays(self, agent_id: str, contact: ContactState) -> bool:
        """Is this preferred agent still the one the contact waits for? Not if it logged out,
        even if it has logged in again since (a later login has a later ``seq``)."""
        agent = self.agents.get(agent_id)
        return (
            agent is not None
            and agent.status is not AgentStatus.LOGGING_OUT
            and agent.seq <= contact.affinity_logins
        )

    def _can_prefer(self, agent_id: str, queue: QueueSpec) -> bool:
        agent = self.agents.get(agent_id)
        return (
            agent is not None
            and agent.status is not AgentStatus.LOGGING_OUT
            and (
                queue.name in agent.serving
                or (agent.capacity.get(queue.channel, 0) > 0 and queue.stages[-1].max_cost is None)
            )
        )

    def _enter_stage(self, contact: ContactState, stage: int) -> None:
        """Set the stage and schedule the next expansion."""
        contact.stage = stage
        stages = contact.queue.stages
        if stage + 1 < len(stages):
            at = contact.enqueued_at + stages[stage + 1].after
            contact.deadlines.append(self.deadlines.add(at, STAGE, contact.contact_id))

    def _schedule_alert(self, contact: ContactState, out: list[dc.Decision]) -> None:
        threshold = contact.queue.service_level_seconds
        assert threshold is not None
        due = contact.enqueued_at + threshold
        if due <= self.now:
            out.append(self._alert(contact))
        else:
            contact.deadlines.append(self.deadlines.add(due, ALERT, contact.contact_id))

    def _alert(self, contact: ContactState) -> dc.Alert:
        return dc.new_alert(
            at=self.now,
            contact_id=contact.contact_id,
            kind="service_level",
            detail=f"waited {self.now - contact.enqueued_at:g}s in {contact.queue.name}, "
            f"past its service-level threshold of {contact.queue.service_level_seconds:g}s",
        )

    def place(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """Offer a waiting contact to an agent who can take it now, or put it in its lines.

        Matching first spares a contact that is offered at once the line insert and removal.
        """
        self.match_contact(contact, out)
        if contact.status is ContactStatus.WAITING:
            self.enter_lines(contact)

    def enter_lines(self, contact: ContactState) -> None:
        if contact.affinity:
            queue = contact.queue
            for agent_id in contact.affinity:
                own = self.affinity_lines.setdefault(agent_id, {})
                line = own.get(queue.name) or own.setdefault(
                    queue.name, WaitingLine(queue.channel, queue.aging_rate)
                )
                line.add(contact.key, contact.contact_id)
                contact.lines.append(line)
        else:
            line = self.lines[(contact.queue.name, contact.stage)]
            line.add(contact.key, contact.contact_id)
            contact.lines.append(line)
        if contact.excluded and self.declined:
            key, cid = contact.key, contact.contact_id
            for line in contact.lines:
                self.declined.entered(line, (key[0], key[1], key[2], cid), contact.excluded)

    def leave_lines(self, contact: ContactState) -> None:
        key, cid = contact.key, contact.contact_id
        for line in contact.lines:
            line.remove(key, cid)
        if contact.excluded and self.declined:
            for line in contact.lines:
                self.declined.left(line, (key[0], key[1], key[2], cid), contact.excluded)
        contact.lines = []
        name = contact.queue.name
        for agent_id in contact.affinity:
            lines = self.affinity_lines.get(agent_id)
            if lines is not None and not lines.get(name, True):
                del lines[name]
                if not lines:
                    del self.affinity_lines[agent_id]

    def cancel_deadlines(self, contact: ContactState) -> None:
        for entry in contact.deadlines:
            self.deadlines.cancel(entry)
        contact.deadlines = []

    def stop_waiting(self, contact: ContactState) -> None:
        """The contact leaves its lines, deadlines and the waiting statistics."""
        self.leave_lines(contact)
        self.cancel_deadlines(contact)
        self._stats.unqueued(contact.queue.name, contact.enqueued_at, contact.key[2])

    def end_affinity(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """Preferred agents had their chance: normal stages take over (the line is left already)."""
        for entry in [d for d in contact.deadlines if d[2] == AFFINITY]:
            contact.deadlines.remove(entry)
            self.deadlines.cancel(entry)
        contact.affinity = ()
        self._enter_stage(contact, contact.queue.stage_at(self.now - contact.enqueued_at))
        stage = contact.queue.stages[contact.stage]
        out.append(
            dc.new_expanded(
                at=self.now,
                contact_id=contact.contact_id,
                queue=contact.queue.name,
                stage=contact.stage,
                max_cost=stage.max_cost,
            )
        )

    def remember_for_rejoin(self, contact: ContactState) -> None:
        queue = contact.queue
        if contact.customer_id is None or queue.rejoin_seconds <= 0:
            return
        rid = _rejoin_id(queue, contact.customer_id)
        old = self.rejoin.pop(rid, None)
        if old is not None:
            self.deadlines.cancel(old[1])
        entry = self.deadlines.add(self.now + queue.rejoin_seconds, REJOIN, rid)
        self.rejoin[rid] = (contact.key, entry)

    def transfer(self, contact: ContactState, target: QueueSpec, out: list[dc.Decision]) -> None:
        previous_agent = contact.agent_id
        if contact.status is ContactStatus.OFFERED:
            self.withdraw(contact, "contact transferred", out)
        if contact.status is ContactStatus.CONNECTED:
            assert previous_agent is not None
            agent = self.agents[previous_agent]
            self.start_wrap_up(agent, contact, out)
            contact.agent_id = None
        else:
            self.stop_waiting(contact)
        self._stats.counters(contact.queue.name).transferred_out += 1
        self._stats.counters(target.name).transferred_in += 1
        contact.queue, contact.status, contact.transfers = (
            target,
            ContactStatus.WAITING,
            contact.transfers + 1,
        )
        # not offered back to the agent it came from, nor to one still wrapping it up
        excluded = set(self.wrapping.get(contact.contact_id, ()))
        if previous_agent is not None:
            excluded.add(previous_agent)
        contact.excluded = frozenset(excluded)
        self.pools.forget_contact(contact.contact_id)  # its own pool heaps held the old exclusions
        contact.affinity = ()
        self.start_waiting(contact, out)

    # -- offers ---------------------------------------------------------------------------
    def offer(
        self,
        contact: ContactState,
        agent: AgentState,
        explanation: dc.Explanation,
        out: list[dc.Decision],
        *,
        place: bool = True,
    ) -> None:
        """Reserve the agent's slot for the contact. ``place=False``: the caller re-places the
        agent in its pools afterwards (``match_agent``'s callers do, once, after all its offers)."""
        if contact.lines:
            self.leave_lines(contact)
        contact.status, contact.agent_id = ContactStatus.OFFERED, agent.agent_id
        contact.since = self.now
        agent.hold(contact.contact_id, contact.queue.channel, WorkPhase.OFFERED)
        self.offer_seq += 1
        agent.last_offer_seq = self.offer_seq
        expires_at = None
        if self.offer_timeout is not None:
            expires_at = self.now + self.offer_timeout
            contact.deadlines.append(
                self.deadlines.add(expires_at, OFFER, contact.contact_id, agent.agent_id)
            )
        self.pools.refresh(agent, place=place)
        out.append(
            dc.new_offer(
                at=self.now,
                contact_id=contact.contact_id,
                agent_id=agent.agent_id,
                queue=contact.queue.name,
                channel=contact.queue.channel,
                stage=contact.stage,
                expires_at=expires_at,
                explanation=explanation,
            )
        )

    def withdraw(self, contact: ContactState, reason: str, out: list[dc.Decision]) -> None:
        """Take back an open offer (the agent's slot is freed; the contact is not re-queued)."""
        assert contact.agent_id is not None
        agent = self.agents[contact.agent_id]
        agent.release(contact.contact_id)
        self._cancel_offer_deadline(contact)
        contact.agent_id, contact.status = None, ContactStatus.WAITING
        out.append(
            dc.new_offer_withdrawn(
                at=self.now, contact_id=contact.contact_id, agent_id=agent.agent_id, reason=reason
            )
        )
        self.pools.refresh(agent, place=False)
        self.finish_logout_if_idle(agent, out)
        if agent.agent_id in self.agents:
            self.match_agent(agent, out)
            self.pools.refresh(agent)

    def _cancel_offer_deadline(self, contact: ContactState) -> None:
        for entry in [d for d in contact.deadlines if d[2] == OFFER]:
            contact.deadlines.remove(entry)
            self.deadlines.cancel(entry)

    def return_offer(
        self,
        contact: ContactState,
        agent: AgentState,
        how: str,
        out: list[dc.Decision],
        *,
        reason: str = "",
    ) -> None:
        """Reject, expiry or withdrawal: the contact keeps its place and goes to the next agent."""
        agent.release(contact.contact_id)
        self._cancel_offer_deadline(contact)
        contact.agent_id, contact.status = None, ContactStatus.WAITING
        if how in ("reject", "expire"):
            if isinstance(contact.excluded, set):
                contact.excluded.add(agent.agent_id)  # in place: O(1) however many it excludes
            else:
                contact.excluded = {*contact.excluded, agent.agent_id}
        if how == "withdraw":
            out.append(
                dc.new_offer_withdrawn(
                    at=self.now,
                    contact_id=contact.contact_id,
                    agent_id=agent.agent_id,
                    reason=reason,
                )
            )
        if contact.affinity:
            # preferred agents who declined it, or left while it was offered, are no longer waited for
            contact.affinity = tuple(
                a for a in contact.affinity if a not in contact.excluded and self._stays(a, contact)
            )
            if not contact.affinity:
                self.end_affinity(contact, out)
        self.pools.refresh(agent)
        self.place(contact, out)
        self.finish_logout_if_idle(agent, out)
        if agent.agent_id in self.agents and agent.status is AgentStatus.AVAILABLE:
            self.match_agent(agent, out)
            self.pools.refresh(agent)

    # -- matching -------------------------------------------------------------------------
    def match_contact(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """Offer a waiting contact to the best eligible agent that can take it, if any."""
        queue = contact.queue
        if contact.affinity:
            best: tuple[tuple[float, ...], int, str] | None = None
            for agent_id in contact.affinity:
                agent = self.agents.get(agent_id)
                if (
                    agent is None
                    or agent_id in contact.excluded
                    or queue.channel not in agent.taking
                ):
                    continue
                rank = (
                    self.policy.key(agent, agent.serving.get(queue.name, (0.0, 0))[1]),
                    agent.seq,
                    agent_id,
                )
                if best is None or rank < best:
                    best = rank
            if best is not None:
                why = dc.new_explanation(
                    policy=self.policy.name,
                    summary=f"preferred agent {best[2]} (affinity: last or owning agent)",
                    candidates=tuple(
                        dc.new_candidate(agent_id=a, cost=0.0, note="preferred")
                        for a in contact.affinity
                    ),
                )
                self.offer(contact, self.agents[best[2]], why, out)
            return
        max_cost = queue.stages[contact.stage].max_cost
        found = self.pools.best_agent(queue, max_cost, contact.excluded, contact.contact_id)
        if found is not None:
            agent_id, cost, read = found
            ring = _ring_name(cost)
            why = dc.new_explanation(
                policy=self.policy.name,
                summary=f"{agent_id}: lowest skill cost then best by {self.policy.name} ({ring}; stage {contact.stage}, {read} pool(s) read)",
                candidates=(
                    dc.new_candidate(agent_id=agent_id, cost=-1.0 if cost is None else cost),
                ),
            )
            self.offer(contact, self.agents[agent_id], why, out)

    def match_agent(self, agent: AgentState, out: list[dc.Decision]) -> None:
        """Offer the agent the best contacts it can take until it can take no more.

        The caller must ``pools.refresh(agent)`` afterwards: the offers made here update only
        what the agent can take, not its pool entries.
        """
        while agent.taking:
            best = self._best_contact(agent)
            if best is None:
                return
            contact = self.contacts[best]
            preferred = " (it is the contact's preferred agent)" if contact.affinity else ""
            why = dc.new_explanation(
                policy="highest_priority_then_longest_wait",
                summary=f"{agent.agent_id} freed; {best} has the highest effective priority, "
                f"then the longest wait, among contacts it may serve{preferred}",
                candidates=(
                    dc.new_candidate(
                        agent_id=agent.agent_id,
                        cost=agent.serving.get(contact.queue.name, (-1.0, 0))[0],
                    ),
                ),
            )
            self.offer(contact, agent, why, out, place=False)

    def _best_contact(self, agent: AgentState) -> str | None:
        """Head of each line the agent serves (skipping contacts it declined); the best wins.

        Ranks compare across lines by effective priority (with each line's aging), then
        enqueued_at, then seq (unique among waiting contacts). Cost: O(l) for the l lines the
        agent serves, plus O(log² n) per line whose head it declined (:class:`.DeclinedViews`).
        """
        best: LineEntry | None = None
        taking, agent_id, now, contacts = agent.taking, agent.agent_id, self.now, self.contacts
        own = self.affinity_lines.get(agent_id)
        lines = agent.lines if own is None else [*agent.lines, *own.values()]
        for line in lines:
            first = line.first
            if first is None or line.channel not in taking:
                continue
            if agent_id in contacts[first[3]].excluded:
                first = self._first_not_declined(line, agent_id)
                if first is None:
                    continue
            rate = line.aging_rate
            rank = (first[0] - rate * now, first[1], first[2], first[3]) if rate else first
            if best is None or rank < best:
                best = rank
        return None if best is None else best[3]

    def _first_not_declined(self, line: WaitingLine, agent_id: str) -> LineEntry | None:
        """The first entry of ``line`` whose contact the agent has not declined (its head is
        one it declined). Cost: O(log² n); O(n) once, the first time for this agent and line.
        """
        contacts = self.contacts
        return self.declined.first_for(
            agent_id, line, lambda cid: agent_id in contacts[cid].excluded
        )

    # -- deadlines ------------------------------------------------------------------------
    def apply_deadline(self, entry: Deadline, out: list[dc.Decision]) -> None:
        _at, _seq, kind, subject, detail = entry
        if kind == REJOIN:
            del self.rejoin[subject]
            return
        if kind == WRAP_UP:
            agent = self.agents[subject]
            del agent.wrapups[detail]
            out.append(dc.new_wrap_up_expired(at=self.now, agent_id=subject, contact_id=detail))
            self.free_slot(agent, detail, out)
            return
        contact = self.contacts[subject]
        contact.deadlines.remove(entry)
        if kind == ALERT:
            out.append(self._alert(contact))
        elif kind == STAGE:
            self._expand(contact, out)
        elif kind == AFFINITY:
            waiting = contact.status is ContactStatus.WAITING
            if waiting:
                self.leave_lines(contact)
            self.end_affinity(contact, out)
            if waiting:
                self.place(contact, out)
        elif kind == OFFER:
            self._expire_offer(contact, out)

    def _expand(self, contact: ContactState, out: list[dc.Decision]) -> None:
        waiting = contact.status is ContactStatus.WAITING
        if waiting:
            self.leave_lines(contact)
        self._enter_stage(contact, contact.stage + 1)
        stage = contact.queue.stages[contact.stage]
        out.append(
            dc.new_expanded(
                at=self.now,
                contact_id=contact.contact_id,
                queue=contact.queue.name,
                stage=contact.stage,
                max_cost=stage.max_cost,
            )
        )
        if waiting:
            self.place(contact, out)

    def _expire_offer(self, contact: ContactState, out: list[dc.Decision]) -> None:
        assert contact.agent_id is not None
        agent = self.agents[contact.agent_id]
        out.append(
            dc.new_offer_expired(
                at=self.now, contact_id=contact.contact_id, agent_id=agent.agent_id
            )
        )
        agent.unanswered += 1
        limit = self.max_unanswered
        if (
            limit is not None
            and agent.unanswered >= limit
            and agent.status is AgentStatus.AVAILABLE
        ):
            agent.set_status(AgentStatus.AWAY, "unanswered offers", self.now)
            out.append(
                dc.new_agent_status_forced(
                    at=self.now,
                    agent_id=agent.agent_id,
                    status="away",
                    reason=f"{agent.unanswered} offers in a row went unanswered",
                )
            )
            self.return_offer(contact, agent, "expire", out)
            self.withdraw_offers(agent, "agent set away after unanswered offers", out)
        else:
            self.return_offer(contact, agent, "expire", out)

    def _enqueued(self, contact: ContactState) -> dc.Enqueued:
        queue = contact.queue
        line = self.lines[(queue.name, contact.stage)] if not contact.affinity else contact.lines[0]
        if contact.affinity:
            summary = f"waiting up to {queue.affinity_seconds:g}s for preferred agent(s) {', '.join(contact.affinity)}"
        else:
            cost = queue.stages[contact.stage].max_cost
            ring = "any agent" if cost is None else f"skill cost <= {cost:g}"
            summary = f"no eligible agent free at stage {contact.stage} ({ring}); {self.pools.available(queue.channel)} agent(s) free on {queue.channel}"
        return dc.new_enqueued(
            at=self.now,
            contact_id=contact.contact_id,
            queue=queue.name,
            position=line.position(contact.key, contact.contact_id),
            waiting=self._stats.waiting(queue.name),
            explanation=dc.new_explanation(policy=self.policy.name, summary=summary),
        )


@functools.cache
def _ring_name(cost: float | None) -> str:
    """How an explanation names a skill-cost ring (cached: a few distinct costs)."""
    return "any agent on the channel" if cost is None else f"skill cost {cost:g}"


def _rejoin_id(queue: QueueSpec, customer_id: str | None) -> str:
    return f"{queue.name}\x00{customer_id}"
