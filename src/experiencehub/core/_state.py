"""The router's state and the agent side of its moves (private; :class:`~.router.Router` is the
public face and holds a :class:`~._handlers.RoutingCore`, the last layer built on this one).

The state is one object built in layers, one module each, every layer a subclass of the one
before: this module (the state, agents logging in and out, slots freeing), :mod:`._waiting`
(contacts in lines, stages, affinity), :mod:`._offers` (offers made and returned),
:mod:`._matching` (the two matching moves and deadlines) and :mod:`._handlers` (each event,
validated and applied). A layer calls moves of later layers through the abstract methods declared
at the end of this class. Every method assumes its event was validated; nothing here raises for a
caller's mistake.

The one order-sensitive sequence lives in :meth:`RoutingState.look_for_work`: an agent that
gained capacity is updated without being placed in its pools, finishes logging out if it may, takes
the best waiting contacts, and only then is placed. Between the first and last step its pool entries
are stale, so nothing may read the pools then (``AgentPools.settling`` guards the window).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import networkx as nx

from . import decisions as dc
from ._members import QueueMembers
from .agents import AgentState, AgentStatus, ChannelRules, WorkPhase
from .contacts import ContactState
from .criteria import RoutingCriteria, route_spec
from .deadlines import Deadline, Deadlines
from .eligibility import Served, criteria_serving, first_stage, serving_cost
from .policies import AgentPolicy
from .pools import AgentPools
from .profiles import ContactSelection, RoutingProfile, make_selection
from .queues import DeclinedViews, QueueSpec, WaitingKey, WaitingLine, WrapUp, build_lines
from .skills import SkillGraph
from .stats import RouterStats

# deadline kinds
STAGE, OFFER, WRAP_UP, ALERT, AFFINITY, REJOIN, DELAY = (
    "stage",
    "offer",
    "wrap_up",
    "alert",
    "affinity",
    "rejoin",
    "delay",
)

# the (skill cost, proficiency) of a profiled agent that serves a listed queue at its "any agent"
# stage only: its skill pool for the queue is read last, as the channel pool is for the others
ANY_STAGE_ONLY = (math.inf, 0)


class CriteriaClass:
    """The routing class of one queue's contacts with equal criteria, while some use it."""

    __slots__ = ("criteria", "queue", "spec", "users")

    def __init__(self, spec: QueueSpec, queue: QueueSpec, criteria: RoutingCriteria) -> None:
        self.spec, self.queue, self.criteria = spec, queue, criteria
        self.users = 0


class RoutingState:
    """Everything the router knows, and the moves on agents."""

    def __init__(
        self,
        *,
        skills: SkillGraph,
        queues: Mapping[str, QueueSpec],
        policy: AgentPolicy,
        selection: ContactSelection,
        rules: ChannelRules,
        offer_timeout: float | None,
        max_unanswered: int | None,
    ) -> None:
        self.skills = skills
        self.queues = dict(queues)
        self.policy = policy
        self.selection = selection
        # queue → sorted distinct positive delays of the routing profiles seen (delay classes):
        # a waiting contact gets a deadline at each, when agents of that class may take it
        self.delay_classes: dict[str, list[float]] = {}
        self.rules = rules
        self.offer_timeout = offer_timeout
        self.max_unanswered = max_unanswered
        self.now = 0.0
        self.agents: dict[str, AgentState] = {}
        self.contacts: dict[str, ContactState] = {}
        # queue → its contacts, in the router's order (derived; see admit_contact)
        self.members = QueueMembers()
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
        # rejoin id → (priority, waiting key, window deadline) of a customer who abandoned
        self.rejoin: dict[str, tuple[int, WaitingKey, Deadline]] = {}
        # agent id → its own wrap-up from AgentLoggedIn, overriding the queue's (set at login)
        self.agent_wrap_ups: dict[str, WrapUp] = {}
        self.pools = AgentPools(self.queues, policy, rules, self.agents)
        self.stats = RouterStats(self.queues)
        self.stats.bind_available(self.pools.available)
        # login index: queues (positions in configuration order) by their first required skill,
        # the queues that require nothing, and each channel's distinct "any agent" lines
        self._queue_order = list(self.queues.values())
        self._queues_by_need: dict[str, list[int]] = {}
        self._requiring_nothing: list[int] = []
        for index, queue in enumerate(self._queue_order):
            if queue.requires:
                self._queues_by_need.setdefault(next(iter(queue.requires)), []).append(index)
            else:
                self._requiring_nothing.append(index)
        self._needs_of: dict[str, frozenset[str]] = {}
        self._any_lines: dict[str, list[WaitingLine]] = {}
        self.index_any_lines()
        # routing classes interned for contacts with criteria: (queue, criteria) → its class,
        # and the class's name → it (see route_contact)
        self.criteria_classes: dict[tuple[str, RoutingCriteria], CriteriaClass] = {}
        self.criteria_names: dict[str, CriteriaClass] = {}
        self.criteria_seq = 0
        self.seq = 0
        self.agent_seq = 0
        self.offer_seq = 0

    # -- contacts coming, going and changing queue ----------------------------------------
    def admit_contact(self, contact: ContactState) -> None:
        """The contact comes into the router (last in its order): the one place besides
        unpickling that adds to ``contacts``, so each queue's contacts stay indexed. Cost: O(1)."""
        self.contacts[contact.contact_id] = contact
        self.members.admit(contact.queue.name, contact.contact_id)

    def drop_contact(self, contact_id: str) -> ContactState:
        """The contact leaves the router (its state is returned). Cost: O(1)."""
        contact = self.contacts.pop(contact_id)
        self.members.leave(contact_id, contact.queue.name)
        return contact

    def rehome(self, contact: ContactState, target: QueueSpec) -> None:
        """The contact's queue becomes ``target`` (it keeps its place in the router's order).
        Cost: O(1)."""
        self.members.move(contact.contact_id, contact.queue.name, target.name)
        contact.queue = target

    def contacts_in(self, queue: str) -> list[ContactState]:
        """The queue's contacts, in the order they came into the router (the order the events
        acting on all of them always used). Cost: O(k) for its k contacts (see
        :mod:`._members`)."""
        contacts = self.contacts
        return [contacts[cid] for cid in self.members.ids(queue)]

    def _check_members(self) -> None:
        """Assert: every contact's queue is the configured spec of its name, and the members
        index lists exactly the contacts of each queue in the router's order."""
        for cid, contact in self.contacts.items():
            assert contact.queue is self.queues[contact.queue.name], cid
        self.members._check(self.contacts, self.queues)

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the members index (derived; the snapshot format stays as it was)."""
        state = self.__dict__.copy()
        del state["members"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        """Unpickled (a snapshot): the members index is made again from the contacts."""
        self.__dict__.update(state)
        self.members = QueueMembers()
        self.members.rebuild(self.contacts)

    def index_any_lines(self) -> None:
        """Each channel's distinct "any agent" lines (a final stage with ``max_cost=None``), in
        configuration order, from the queues' lines. Cost: O(Q)."""
        self._any_lines = {}
        listed: set[int] = set()
        for queue in self._queue_order:
            if queue.stages[-1].max_cost is None:
                last = self.lines[(queue.name, len(queue.stages) - 1)]
                if id(last) not in listed:
                    listed.add(id(last))
                    self._any_lines.setdefault(queue.channel, []).append(last)

    # -- agents ---------------------------------------------------------------------------
    def new_agent(
        self,
        agent_id: str,
        skills: Mapping[str, int],
        capacity: Mapping[str, int],
        profile: RoutingProfile | None = None,
    ) -> AgentState:
        """An agent about to log in, its eligibility per queue computed once
        (:meth:`fill_eligibility`); changes nothing (``add_agent`` logs it in).

        Cost: O(c·R·K + c log c) for the c candidate queues, plus the "any agent" lines of its
        channels.
        """
        agent = AgentState(
            agent_id, seq=self.agent_seq + 1, skills=skills, capacity=capacity, at=self.now
        )
        if profile is not None:
            agent.profile = profile
            agent.selection = (
                self.selection if profile.selection is None else make_selection(profile.selection)
            )
        self.fill_eligibility(agent)
        agent.radix, agent.taking_table = self._profiles.setdefault(
            tuple(agent.capacity.items()), (agent.radix, agent.taking_table)
        )
        self.pools.enrol(agent)
        return agent

    def fill_eligibility(self, agent: AgentState) -> None:
        """Set ``agent.serving`` and ``agent.lines`` from its skills and capacity: the one
        computation of eligibility, at login and when its skills change. Visits only the queues
        whose first required skill one of the agent's skills serves, plus the queues requiring
        nothing (:meth:`_candidate_queues`); touches nothing but the agent.

        Cost: O(c·R·K + c log c) for the c candidate queues, plus the "any agent" lines of its
        channels.
        """
        if agent.profile is not None:
            self._fill_profiled(agent)
            self._join_criteria_classes(agent)
            return
        skills, capacity = agent.skills, agent.capacity
        serving: dict[str, tuple[float, int]] = {}
        lines: dict[int, WaitingLine] = {}  # shared lines counted once
        for queue in self._candidate_queues(skills):
            served = serving_cost(self.skills, skills, queue)
            # beyond the rings: reached at the "any agent" stage only, like an unskilled agent
            if served is None or not queue.within_rings(served[0]):
                continue
            first = first_stage(queue, capacity, served)
            if first is None:
                continue
            # the few distinct (cost, proficiency) pairs are shared by all agents (memory)
            serving[queue.name] = self._served.setdefault(served, served)
            for stage in range(first, len(queue.stages)):
                line = self.lines[(queue.name, stage)]
                lines[id(line)] = line
        for channel, any_lines in self._any_lines.items():
            if capacity.get(channel, 0) > 0:
                for line in any_lines:
                    lines[id(line)] = line
        agent.serving = serving
        agent.lines = list(lines.values())
        self._join_criteria_classes(agent)

    def _join_criteria_classes(self, agent: AgentState) -> None:
        """The agent's eligibility for each criteria class in use. Cost: O(C·S·R·K)."""
        for found in self.criteria_classes.values():
            self._join_class(agent, found.spec, self._criteria_served(agent, found))

    # -- routing classes of contacts with criteria ----------------------------------------------
    def class_spec(self, name: str) -> QueueSpec:
        """The queue, or the criteria class, of this routing-class name. Cost: O(1)."""
        queue = self.queues.get(name)
        return queue if queue is not None else self.criteria_names[name].spec

    def class_queue(self, name: str) -> str:
        """The queue a routing class belongs to: itself, or the queue a criteria class was
        derived from (whose profile delays apply to it). Cost: O(1)."""
        found = self.criteria_names.get(name)
        return name if found is None else found.queue.name

    def route_contact(self, contact: ContactState, criteria: RoutingCriteria | None) -> None:
        """The contact is routed by ``criteria`` in its queue (by the queue alone when None):
        equal criteria share one interned class. Cost: O(1) once the class exists; the first
        contact with new criteria pays :meth:`open_class`, O(A·(S·R·K + q log n)) for A
        logged-in agents."""
        if criteria is None:
            contact.route, contact.criteria = contact.queue, None
            return
        key = (contact.queue.name, criteria)
        found = self.criteria_classes.get(key)
        if found is None:
            name = ""
            while not name or name in self.queues:
                self.criteria_seq += 1
                name = f"{contact.queue.name}\x00criteria {self.criteria_seq}"
            found = CriteriaClass(route_spec(contact.queue, criteria, name), contact.queue, criteria)
            self.criteria_classes[key] = self.criteria_names[name] = found
            self.open_class(found.spec, lambda agent: self._criteria_served(agent, found))
        found.users += 1
        contact.route, contact.criteria = found.spec, criteria

    def unroute_contact(self, contact: ContactState) -> None:
        """The contact no longer needs its criteria class (it connected, left or is being
        transferred); the class goes with its last contact, so memory stays bounded by the
        criteria in use. Cost: O(1), or O(A·l) when the class goes (:meth:`close_class`)."""
        if contact.criteria is None:
            return
        key = (contact.queue.name, contact.criteria)
        found = self.criteria_classes[key]
        contact.route, contact.criteria = contact.queue, None
        found.users -= 1
        if not found.users:
            del self.criteria_classes[key], self.criteria_names[found.spec.name]
            self.close_class(found.spec)

    def _criteria_served(self, agent: AgentState, found: CriteriaClass) -> Served | None:
        """The agent's (step, proficiency) for the class; None when it never serves it. An
        agent with a routing profile serves a criteria class only when its profile lists the
        queue; the queue's delay holds for it too (the class's delay-class pools)."""
        if not self.takes_criteria_of(agent, found.queue.name):
            return None
        return criteria_serving(self.skills, agent.skills, found.queue, found.criteria)

    def takes_criteria_of(self, agent: AgentState, queue: str) -> bool:
        """May the agent serve the queue's contacts with criteria at all? Yes, unless its
        routing profile leaves the queue out (a delay holds as for the queue's other contacts).
        Cost: O(1)."""
        return agent.profile is None or queue in agent.profile.queues

    def open_class(
        self, spec: QueueSpec, served_of: Callable[[AgentState], Served | None]
    ) -> None:
        """A new routing class (``spec``: its stages, channel and aging): its lines and pools
        are made and every logged-in agent's eligibility for it is computed once (``served_of``:
        the agent's (cost, proficiency) for it, or None), placing the eligible ones in its pools.
        Cost: O(A·(e + q log n)) for A agents, e the cost of ``served_of``."""
        self.lines.update(build_lines([spec]))
        self.pools.open_class(spec, self.class_queue(spec.name))
        self.reenrol_all(lambda agent: self._join_class(agent, spec, served_of(agent)))

    def reenrol_all(self, update: Callable[[AgentState], bool | None]) -> None:
        """Every logged-in agent's eligibility after a new routing class appeared (a queue
        added at run time, or a criteria class): ``update`` recomputes it, touching only the
        agent (returning False: nothing changed), then the agent is re-placed in its pools.
        The one pass over all agents both share. Cost: O(A·(u + q log n)) for A agents, u the
        cost of ``update``."""
        for agent in self.agents.values():
            if update(agent) is not False:
                self.pools.reenrol(agent)

    def _join_class(self, agent: AgentState, spec: QueueSpec, served: Served | None) -> bool:
        """Record the agent's eligibility for the class (its serving entry and lines); False
        when it is never eligible. Touches nothing but the agent."""
        first = first_stage(spec, agent.capacity, served) if served is not None else None
        if first is None or served is None:
            return False
        agent.serving[spec.name] = self._served.setdefault(served, served)
        agent.lines.extend(self.lines[(spec.name, s)] for s in range(first, len(spec.stages)))
        return True

    def close_class(self, spec: QueueSpec) -> None:
        """The class has no contact left: its lines and pools go, and every agent forgets it.
        Cost: O(A·l) for A agents with l lines each."""
        gone = [self.lines.pop((spec.name, stage)) for stage in range(len(spec.stages))]
        ids = {id(line) for line in gone}
        for agent in self.agents.values():
            if agent.serving.pop(spec.name, None) is not None:
                agent.lines = [line for line in agent.lines if id(line) not in ids]
                self.pools.leave_class(agent, spec.name)
        self.pools.close_class(spec.name)
        self.declined.drop_lines(gone)

    def _fill_profiled(self, agent: AgentState) -> None:
        """:meth:`fill_eligibility` for an agent with a routing profile: the queues it lists
        that its skills and capacity allow; one it serves at the "any agent" stage only gets
        the skill pool :data:`ANY_STAGE_ONLY` (it sits in no channel pool). Cost: O(p·R·K)
        for the p queues of its profile."""
        assert agent.profile is not None
        skills, capacity = agent.skills, agent.capacity
        serving: dict[str, tuple[float, int]] = {}
        lines: dict[int, WaitingLine] = {}
        priorities: dict[int, set[int]] = {}  # line → priorities of the listed queues it holds
        for name, listed in agent.profile.queues.items():
            queue = self.queues[name]
            served = serving_cost(self.skills, skills, queue)
            if served is not None and not queue.within_rings(served[0]):
                served = None
            first = first_stage(queue, capacity, served)
            if first is None:
                continue
            if served is None:
                served = ANY_STAGE_ONLY
            serving[name] = self._served.setdefault(served, served)
            for stage in range(first, len(queue.stages)):
                line = self.lines[(name, stage)]
                lines[id(line)] = line
                priorities.setdefault(id(line), set()).add(listed.priority)
        agent.serving = serving
        agent.lines = list(lines.values())
        agent.mixed_lines = frozenset(key for key, found in priorities.items() if len(found) > 1)
        agent.priority_count = len({listed.priority for listed in agent.profile.queues.values()})

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
        """Log in an agent made by :meth:`new_agent` (with no event in between); it is placed
        in its pools once it has looked for work. Cost: O(1)."""
        assert agent.seq == self.agent_seq + 1, (agent.seq, self.agent_seq)
        self.agent_seq = agent.seq
        self.agents[agent.agent_id] = agent

    def look_for_work(self, agent: AgentState, out: list[dc.Decision]) -> None:
        """The agent may take more than before (it logged in, came back, or a slot freed): it
        leaves if it was logging out and is done, else takes the best waiting contacts it can,
        and is placed in its pools after. Cost: O(l) for the l lines it serves per offer made,
        plus O(q log n) to place it in its q pools.

        The order matters. ``refresh(place=False)`` first, so what it can take is current;
        placing it only after matching spares an agent who takes work at once the pool pushes
        (and the dead entries they leave); until then its pool entries are stale, and
        ``pools.settling`` makes any read of the pools in that window fail its assertion.
        """
        pools = self.pools
        pools.refresh(agent, place=False)
        if agent.status is AgentStatus.LOGGING_OUT:  # (the first test of the call, inline)
            self.finish_logout_if_idle(agent, out)
        if agent.agent_id in self.agents:
            pools.settling = agent.agent_id
            self.match_agent(agent, out)
            pools.settling = None
            pools.refresh(agent)

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
        self.release_slot(agent, contact_id)
        self.look_for_work(agent, out)

    def release_slot(self, agent: AgentState, contact_id: str) -> None:
        """The agent's slot of ``contact_id`` frees; the caller then lets it look for work
        (:meth:`free_slot` does both). Cost: O(1)."""
        agent.release(contact_id)
        wrappers = self.wrapping.get(contact_id)
        if wrappers is not None:
            wrappers.discard(agent.agent_id)
            if not wrappers:
                del self.wrapping[contact_id]
        agent.idle_since = self.now

    def start_wrap_up(
        self, agent: AgentState, contact: ContactState, out: list[dc.Decision]
    ) -> None:
        """The agent's contact ended (or was transferred on): after-contact work by the agent's
        own wrap-up rule if it logged in with one, else the queue's; or the slot frees at once."""
        wrap = contact.queue.wrap_up
        if self.agent_wrap_ups:
            wrap = self.agent_wrap_ups.get(agent.agent_id) or wrap
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

    # -- moves the later layers provide ---------------------------------------------------
    def match_agent(self, agent: AgentState, out: list[dc.Decision]) -> None:
        """Offer the agent the best contacts it can take (:mod:`._matching`)."""
        raise NotImplementedError
