"""Agent pools: the available agents of each (queue, skill cost), best first by the policy's key.

Theory of operation: eligibility (an agent's skill cost for each queue) is computed once, at login.
An agent sits in pool ``(queue, cost)`` only while it can take a contact on the queue's channel, and
in the channel pool of that channel (used by "any agent" stages) likewise. Whenever an agent's load
or status changes the router calls :meth:`AgentPools.refresh`, which re-places the agent. Finding
the best agent for a contact then reads the head of a handful of pools: O(log n) in agents,
independent of the number of waiting contacts.

Speed trick: each pool is a binary heap (``heapq``, in C) with *lazy deletion*. An entry is live
while it is the very object the agent's ``pools`` dict holds for that pool; leaving a pool is
therefore just forgetting the entry (O(1)), and dead entries are dropped when they reach the head,
or all at once when the heap has doubled since it was last cleaned. An offer takes an agent out of
all its pools, so this turns q ordered-list removals per offer into nothing. (Unlike
:class:`._lazyheap.LazyHeap`, nothing records a removal: liveness is read from the agent.)
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from .agents import AgentState, ChannelRules
from .errors import ConfigError
from .policies import AgentPolicy
from .queues import QueueSpec

__all__ = ["AgentPools", "PoolEntry"]

PoolEntry = tuple[Any, ...]
"""(*policy key, agent login seq, agent id): a total order, smaller is better. Flat rather than
``(key, seq, id)``: the heaps compare flat tuples in about 60 % of the time nested ones take. The
order is the same only while every key of the policy has one length (a shorter key would compare
its seq against another key's element), so :meth:`AgentPools.check_keys` and ``_keys`` enforce
that rule (see :class:`.policies.AgentPolicy`)."""

COMPACT_SLACK = 64
"""Dead entries a pool tolerates beyond doubling before it is cleaned (tests set 0 to stress it)."""

_INF = math.inf  # the skill cost of the "any agent"-only pools (one global read, not two)

OWN_HEAP_AFTER = 32
"""Excluded agents from which a contact searches each pool through a heap of its own: see
:meth:`AgentPools.best_agent` (each ``AgentPools`` copies it at construction, as
``own_heap_after``; tests lower it to make every contact that excluded anyone do so)."""

PoolId = object
"""``(queue name, skill cost)`` for a skill pool, ``(queue name, skill cost, delay)`` for the
agents whose routing profile delays that queue (a *delay class*: agents with equal delays share
it), or a channel name for a channel pool."""


class _Heap:
    """One pool: a heap of entries, some of them dead (see the module docstring)."""

    __slots__ = ("entries", "pool_id", "size_after_compaction")

    def __init__(self, pool_id: PoolId) -> None:
        self.pool_id = pool_id
        self.entries: list[PoolEntry] = []
        self.size_after_compaction = 0


class AgentPools:
    __slots__ = (
        "_agents",
        "_any_channels",
        "_available",
        "_class_queue",
        "_delays",
        "_heaps",
        "_key_width",
        "_own_heaps",
        "_owned",
        "_policy",
        "_probe_keys",
        "_queue_costs",
        "_queues",
        "_routes",
        "_rules",
        "_steps",
        "own_heap_after",
        "settling",
    )

    def __init__(
        self,
        queues: Mapping[str, QueueSpec],
        policy: AgentPolicy,
        rules: ChannelRules,
        agents: Mapping[str, AgentState],
    ) -> None:
        self._queues = queues
        # routing classes of contacts with criteria (open_class), beside the configured queues
        self._routes: dict[str, QueueSpec] = {}
        # such a class → the queue it was derived from (whose profile delays it takes)
        self._class_queue: dict[str, str] = {}
        self._policy = policy
        # every key of the policy must have this length (None: learnt from the first key)
        self._key_width: int | None = getattr(policy, "key_width", None)
        self._probe_keys = not _declares_width(policy)
        self._rules = rules
        self._agents = agents  # the router's logged-in agents: tells live entries from dead ones
        self._heaps: dict[PoolId, _Heap] = {}
        # queue → sorted distinct skill costs that have a pool (few: one per cost level)
        self._queue_costs: dict[str, list[float]] = {name: [] for name in queues}
        # (queue, cost) → sorted distinct positive profile delays that have a pool (few)
        self._delays: dict[tuple[str, float], list[float]] = {}
        self._any_channels = {q.channel for q in queues.values() if q.stages[-1].max_cost is None}
        for channel in self._any_channels:
            self._heaps[channel] = _Heap(channel)
        self._available: dict[str, int] = {}
        # equal plan steps shared by all agents (memory: an agent holds only a tuple of them)
        self._steps: dict[tuple[PoolId, int, str], tuple[PoolId, int, str]] = {}
        # pool → contact id → that contact's own heap of the pool (contacts that excluded many
        # agents; see best_agent), and contact id → the pools it has a heap of
        self._own_heaps: dict[PoolId, dict[str, _Heap]] = {}
        self._owned: dict[str, list[PoolId]] = {}
        self.own_heap_after = OWN_HEAP_AFTER
        # the agent whose pool entries are stale while it looks for work (RoutingState.
        # look_for_work); the pools must not be read then
        self.settling: str | None = None

    def enrol(self, agent: AgentState) -> None:
        """At login, once: the pools the agent may sit in, from its skill costs and channels.

        Speed trick: re-placing an agent (after every release) walks this tuple instead of
        deriving the pools from its skills each time. Cost: O(q).
        """
        steps: list[tuple[PoolId, int, str]] = [
            (self._skill_pool(agent, queue, cost), proficiency, self._spec(queue).channel)
            for queue, (cost, proficiency) in agent.serving.items()
        ]
        if agent.profile is None:  # a profiled agent serves listed queues only: no channel pool
            steps += [
                (channel, 0, channel) for channel in sorted(agent.channels & self._any_channels)
            ]
        agent.plan = tuple(self._steps.setdefault(step, step) for step in steps)

    def add_queue(self, queue: QueueSpec) -> None:
        """A queue added at run time (already in the router's queues): its skill pools start
        empty, and its channel gets a channel pool if its last stage takes any agent. Agents
        join through :meth:`reenrol`. Cost: O(1)."""
        self._queue_costs.setdefault(queue.name, [])
        if queue.stages[-1].max_cost is None and queue.channel not in self._any_channels:
            self._any_channels.add(queue.channel)
            self._heaps[queue.channel] = _Heap(queue.channel)

    def _spec(self, name: str) -> QueueSpec:
        queue = self._queues.get(name)
        return queue if queue is not None else self._routes[name]

    def open_class(self, spec: QueueSpec, queue: str) -> None:
        """A routing class beside the configured queues, derived from ``queue`` (its pools are
        made on first use, like a queue's, delay classes included); agents join it through
        :meth:`reenrol`. Cost: O(1)."""
        self._routes[spec.name] = spec
        self._class_queue[spec.name] = queue
        self._queue_costs[spec.name] = []

    def _skill_pool(self, agent: AgentState, name: str, cost: float) -> PoolId:
        """The skill pool of an agent for a queue or routing class: its delay class when its
        profile delays the queue (a criteria class: the queue it was derived from)."""
        profile = agent.profile
        if profile is None:
            return (name, cost)
        listed = profile.queues.get(self._class_queue.get(name, name))
        if listed is None or listed.delay == 0:
            return (name, cost)
        return (name, cost, listed.delay)

    def leave_class(self, agent: AgentState, name: str) -> None:
        """The class ``name`` goes: the agent's plan and entries forget its pools (entries die
        where they lie; the pools go with :meth:`close_class`). Cost: O(q)."""
        agent.plan = tuple(step for step in agent.plan if _class_of(step[0]) != name)
        agent.pools = {p: e for p, e in agent.pools.items() if _class_of(p) != name}

    def close_class(self, name: str) -> None:
        """The class's pools go, its delay classes' too (every agent has left it).
        Cost: O(costs · delays)."""
        for cost in self._queue_costs.pop(name):
            del self._heaps[(name, cost)]
            for delay in self._delays.pop((name, cost), ()):
                del self._heaps[(name, cost, delay)]
        del self._routes[name], self._class_queue[name]

    def reenrol(self, agent: AgentState) -> None:
        """The agent's skills changed (its ``serving`` was recomputed): its plan is made again
        and it is re-placed at once. The entries of the pools it left die where they lie (lazy
        deletion, see the module docstring); pools it stays in keep an equal entry.

        Cost: O(q log n) for its q pools.
        """
        self.enrol(agent)
        agent.placed = None  # the plan changed: refresh must rebuild, not trust the last build
        self.refresh(agent)

    def _heap(self, pool_id: PoolId) -> _Heap:
        """The pool, created on first use. Cost: O(costs) the first time, O(1) after."""
        found = self._heaps.get(pool_id)
        if found is None:
            assert isinstance(pool_id, tuple)
            if len(pool_id) == 3:  # a delay class: its cost level's pool exists too
                name, cost, delay = pool_id
                self._heaps.get((name, cost)) or self._heap((name, cost))
                delays = self._delays.setdefault((name, cost), [])
                delays.append(delay)
                delays.sort()
                found = self._heaps[pool_id] = _Heap(pool_id)
                return found
            found = self._heaps[pool_id] = _Heap(pool_id)
            costs = self._queue_costs[pool_id[0]]
            costs.append(pool_id[1])
            costs.sort()
        return found

    def refresh(self, agent: AgentState, *, place: bool = True) -> None:
        """Re-place the agent after a change of load or status. Cost: O(q log n) for q pools.

        Leaving pools costs nothing (the agent forgets its entries); only pools whose entry
        changed get a push, so with ``longest_idle`` an offer to a chat agent with slots left
        changes nothing. ``place=False`` updates only what the agent can take: the router uses it
        when the agent is about to look for work itself and is placed afterwards, so an agent
        who frees and at once takes the next contact never enters (and dies in) its pools.
        """
        taking = agent.taking_now(self._rules)
        if taking != agent.taking:
            self._count_taking(agent, taking)
        if not taking:
            if agent.pools:
                agent.pools, agent.placed = {}, None
            return
        if not place:
            return
        made = self._keys(agent, taking)
        if agent.placed == (taking, made):
            # same pools, same keys (e.g. an offer to a chat agent with slots left): every entry
            # in the heaps is still the live one, so nothing is rebuilt
            return
        agent.placed = (taking, made)
        current = agent.pools
        wanted = agent.pools = self._entries(agent, taking, made)  # before any push: _compact
        for pool_id, entry in wanted.items():
            old = current.get(pool_id)
            if old == entry:
                wanted[pool_id] = old  # the object in the heap stays the live one
                continue
            heap = self._heaps.get(pool_id) or self._heap(pool_id)
            entries = heap.entries
            heapq.heappush(entries, entry)
            if len(entries) > 2 * heap.size_after_compaction + COMPACT_SLACK:
                self._compact(heap)
            if self._own_heaps:
                self._feed_own_heaps(pool_id, entry)

    def _count_taking(self, agent: AgentState, taking: frozenset[str]) -> None:
        """The agent can take ``taking`` now: the per-channel counts follow. Cost: O(channels)."""
        for channel in agent.taking - taking:
            self._available[channel] -= 1
        for channel in taking - agent.taking:
            self._available[channel] = self._available.get(channel, 0) + 1
        agent.taking = taking

    def _feed_own_heaps(self, pool_id: PoolId, entry: PoolEntry) -> None:
        """A new entry of the pool goes to the contacts' own heaps of it too (see
        :meth:`_own_heap`). Cost: O(h log n) for h such heaps."""
        for private in self._own_heaps.get(pool_id, {}).values():
            heapq.heappush(private.entries, entry)
            if len(private.entries) > 2 * private.size_after_compaction + COMPACT_SLACK:
                self._compact(private)

    def remove(self, agent: AgentState) -> None:
        """The agent logs off: out of every pool. Cost: O(channels)."""
        for channel in agent.taking:
            self._available[channel] -= 1
        agent.taking = frozenset()
        agent.pools, agent.placed = {}, None

    def _is_live(self, pool_id: PoolId, entry: PoolEntry) -> bool:
        agent = self._agents.get(entry[-1])
        return agent is not None and agent.pools.get(pool_id) is entry

    def _compact(self, heap: _Heap) -> None:
        """Drop every dead entry at once: O(n), paid for by the ≥ n/2 pushes since the last time.

        Liveness is read from the agents' ``pools``, so an agent's new entries must be there
        before they are pushed.
        """
        heap.entries = [e for e in heap.entries if self._is_live(heap.pool_id, e)]
        heapq.heapify(heap.entries)
        heap.size_after_compaction = len(heap.entries)

    def _pool_ids(self, agent: AgentState, taking: frozenset[str]) -> list[tuple[PoolId, int]]:
        """The pools the agent belongs in while it can take ``taking``, with its proficiency
        (derived from its skills: ``_check`` compares it with the plan made at login)."""
        found: list[tuple[PoolId, int]] = [
            (self._skill_pool(agent, queue, cost), proficiency)
            for queue, (cost, proficiency) in agent.serving.items()
            if self._spec(queue).channel in taking
        ]
        if agent.profile is None:
            found.extend((channel, 0) for channel in taking & self._any_channels)
        return found

    def _keys(self, agent: AgentState, taking: frozenset[str]) -> dict[int, PoolEntry]:
        """The agent's entry for each proficiency it has in the pools of ``taking``.

        One entry object per distinct proficiency, shared by the pools that rank it alike: the
        policy is asked once or twice instead of once per pool (in plan order, so a seeded
        random policy draws the same numbers as it always did).
        """
        key, seq, agent_id = self._policy.key, agent.seq, agent.agent_id
        made: dict[int, PoolEntry] = {}
        for _pool_id, proficiency, channel in agent.plan:
            if channel in taking and proficiency not in made:
                computed = key(agent, proficiency)
                if len(computed) != self._key_width:
                    self._learn_width(agent, proficiency, computed)
                made[proficiency] = (*computed, seq, agent_id)
        return made

    def _learn_width(self, agent: AgentState, proficiency: int, key: tuple[Any, ...]) -> None:
        """The first key fixes the width; a key of another length is refused (ConfigError).

        Raised while the router applies an event, it closes the router (``RouterFailed``):
        entries of mixed lengths would already be mis-ordered, so routing on is unsafe.
        """
        if self._key_width is None:
            self._key_width = len(key)
            return
        raise self._width_error(agent, proficiency, key, self._key_width)

    def _width_error(
        self, agent: AgentState, proficiency: int, key: tuple[Any, ...], width: int
    ) -> ConfigError:
        return ConfigError(
            f"agent policy {self._policy.name!r}: key {key!r} for agent {agent.agent_id} "
            f"(proficiency {proficiency}) has {len(key)} element(s), but its keys have "
            f"{width}; every key of a policy must have one length (pools order agents by "
            "(skill cost, *key, login seq))"
        )

    def check_keys(self, agent: AgentState) -> None:
        """Before a login changes anything: the policy's keys for the new agent have the width
        of its other keys, or ConfigError. Asks the policy once per distinct proficiency (not
        when the class defining ``key`` declares ``key_width``, as the built-in policies do: a
        random policy draws nothing more).

        Cost: O(q) for the q pools of the agent's plan.
        """
        if not self._probe_keys:
            return
        width = self._key_width
        seen: set[int] = set()
        for _pool_id, proficiency, _channel in agent.plan:
            if proficiency in seen:
                continue
            seen.add(proficiency)
            key = self._policy.key(agent, proficiency)
            if width is None:
                width = len(key)
            elif len(key) != width:
                raise self._width_error(agent, proficiency, key, width)

    def _entries(
        self, agent: AgentState, taking: frozenset[str], made: dict[int, PoolEntry]
    ) -> dict[PoolId, PoolEntry]:
        """Where the agent belongs now, and under which entry (from :meth:`_keys`)."""
        return {
            pool_id: made[proficiency]
            for pool_id, proficiency, channel in agent.plan
            if channel in taking
        }

    def _best_in(self, heap: _Heap, excluded: AbstractSet[str]) -> str | None:
        """Best live agent of one pool not in ``excluded``. Cost: O((d + e)·log n) for d dead
        entries dropped on the way and e excluded agents met (they are pushed back)."""
        entries, pool_id, agents = heap.entries, heap.pool_id, self._agents
        skipped: list[PoolEntry] = []
        found = None
        while entries:
            entry = entries[0]
            agent = agents.get(entry[-1])
            if agent is None or agent.pools.get(pool_id) is not entry:  # dead: _is_live inlined
                heapq.heappop(entries)
            elif excluded and entry[-1] in excluded:
                skipped.append(heapq.heappop(entries))
            else:
                found = entry[-1]
                break
        for entry in skipped:
            heapq.heappush(entries, entry)
        return found

    def best_agent(
        self,
        queue: QueueSpec,
        max_cost: float | None,
        excluded: AbstractSet[str],
        contact_id: str | None = None,
        *,
        enqueued_at: float = math.inf,
        now: float = 0.0,
    ) -> tuple[str, float | None, int] | None:
        """Best available agent for a contact of ``queue`` at a stage allowing ``max_cost``.

        Lowest skill cost first, then the policy key; agents in ``excluded`` are skipped. Returns
        (agent id, cost — None when found through the "any agent" pool —, pools read) or None.

        Cost: O(c·log n + e·log n) for c cost levels and e excluded agents met at the heads
        (they are popped and pushed back; dead entries are paid for when pushed). A contact
        that excluded ``own_heap_after`` agents or more (and names itself, ``contact_id``)
        searches heaps of its own instead, where an entry it excludes is dropped for good:
        O(c·log n) amortised, after O(n) once per pool to make the heap (see :meth:`_own_heap`).

        Agents whose routing profile delays the queue sit in delay-class pools, read only when
        ``enqueued_at + delay <= now`` (the contact has waited the delay); at one cost level
        the best head of its eligible pools wins: O(d·log n) more for d delay classes.
        """
        assert self.settling is None, f"pools read while {self.settling}'s entries are stale"
        read = 0
        name = queue.name
        search: Callable[[_Heap, AbstractSet[str]], str | None] = self._best_in
        if contact_id is not None and len(excluded) >= self.own_heap_after:
            search = functools.partial(self._search_own, contact_id)
        any_only = None  # profiled agents serving the queue at its "any agent" stage only
        delay_pools = self._delays
        for cost in self._queue_costs[name]:
            if max_cost is not None and cost > max_cost:
                break
            read += 1
            heap = self._heaps[(name, cost)]
            agent_id = search(heap, excluded) if heap.entries else None
            if delay_pools and (delays := delay_pools.get((name, cost))):
                agent_id = self._best_delayed(
                    (name, cost), delays, agent_id,
                    enqueued_at=enqueued_at, now=now, search=search, excluded=excluded,
                )  # fmt: skip
            if agent_id is not None:
                if cost != _INF:
                    return agent_id, cost, read
                any_only = agent_id  # ranked with the channel pool, by the policy alone
        if max_cost is None:
            read += 1
            heap = self._heaps[queue.channel]
            agent_id = search(heap, excluded) if heap.entries else None
            if any_only is not None and (
                agent_id is None
                or self._any_entry(any_only, name) < self._agents[agent_id].pools[queue.channel]
            ):
                return any_only, None, read
            if agent_id is not None:
                return agent_id, None, read
        return None

    def _any_entry(self, agent_id: str, name: str) -> PoolEntry:
        """The entry of a profiled agent in its "any agent" skill pool for the queue (or its
        delay class): ranked against the channel pool's agents by the policy's key alone,
        as every agent beyond the queue's rings is. Cost: O(1)."""
        agent = self._agents[agent_id]
        return agent.pools[self._skill_pool(agent, name, math.inf)]

    def _best_delayed(
        self,
        pool_id: tuple[str, float],
        delays: list[float],
        found: str | None,
        *,
        enqueued_at: float,
        now: float,
        search: Callable[[_Heap, AbstractSet[str]], str | None],
        excluded: AbstractSet[str],
    ) -> str | None:
        """The best of ``found`` (from the undelayed pool) and the heads of the delay classes
        the contact has waited out, by pool entry. Cost: O(d·log n) for d delay classes."""
        agents = self._agents
        best = None if found is None else agents[found].pools[pool_id]
        for delay in delays:
            if enqueued_at + delay > now:
                break
            delayed = (*pool_id, delay)
            heap = self._heaps[delayed]
            if heap.entries and (agent_id := search(heap, excluded)) is not None:
                entry = agents[agent_id].pools[delayed]
                if best is None or entry < best:
                    best = entry
        return None if best is None else best[-1]

    def _search_own(self, contact_id: str, heap: _Heap, excluded: AbstractSet[str]) -> str | None:
        return self._best_own(self._own_heap(heap, excluded, contact_id), excluded)

    def _own_heap(self, heap: _Heap, excluded: AbstractSet[str], contact_id: str) -> _Heap:
        """The contact's own heap of this pool, made on first use from the pool's live entries
        of agents it does not exclude (O(n)); every later push to the pool goes to it too.

        Why it stays exact: its entries are dropped only when dead (an agent's entry, once
        replaced, never lives again) or excluded (a contact's exclusions only grow, until a
        transfer, which drops its heaps: :meth:`forget_contact`).
        """
        pool_id = heap.pool_id
        own = self._own_heaps.get(pool_id) or self._own_heaps.setdefault(pool_id, {})
        private = own.get(contact_id)
        if private is None:
            private = own[contact_id] = _Heap(pool_id)
            private.entries = [
                e for e in heap.entries if e[-1] not in excluded and self._is_live(pool_id, e)
            ]
            heapq.heapify(private.entries)
            private.size_after_compaction = len(private.entries)
            self._owned.setdefault(contact_id, []).append(pool_id)
        return private

    def _best_own(self, private: _Heap, excluded: AbstractSet[str]) -> str | None:
        """Best live agent of a contact's own heap: whatever it meets first that is dead or
        excluded is dropped for good. Cost: O(log n) amortised."""
        entries, pool_id, agents = private.entries, private.pool_id, self._agents
        while entries:
            entry = entries[0]
            agent = agents.get(entry[-1])
            if agent is None or agent.pools.get(pool_id) is not entry or entry[-1] in excluded:
                heapq.heappop(entries)
            else:
                return agent.agent_id
        return None

    def forget_contact(self, contact_id: str) -> None:
        """The contact no longer looks for agents with these exclusions (connected, gone, or
        transferred): its own heaps go. Cost: O(1), or O(p) for p pools it had heaps of."""
        pools = self._owned.pop(contact_id, None)
        if pools is None:
            return
        for pool_id in pools:
            own = self._own_heaps[pool_id]
            del own[contact_id]
            if not own:
                del self._own_heaps[pool_id]

    def available(self, channel: str) -> int:
        """Agents that can take a new contact on ``channel`` now. Cost: O(1)."""
        return self._available.get(channel, 0)

    def _check(
        self,
        agents: Mapping[str, AgentState],
        excluded: Callable[[str], AbstractSet[str] | None] = lambda _cid: None,
    ) -> None:
        """Assert: pool membership is exactly what each agent's state says it should be, and
        each contact's own heap holds every live entry of its pool that the contact does not
        exclude (``excluded``: contact id → its exclusions, None once it has gone)."""
        for pool_id, heap in self._heaps.items():
            live = [e[-1] for e in heap.entries if self._is_live(pool_id, e)]
            assert len(set(live)) == len(live), pool_id  # one live entry per agent
            for index in range(1, len(heap.entries)):
                assert heap.entries[(index - 1) // 2] <= heap.entries[index], pool_id
        for contact_id, pool_ids in self._owned.items():
            exclusions = excluded(contact_id)
            assert exclusions is not None, f"own heaps kept for {contact_id}, which has gone"
            for pool_id in pool_ids:
                private = self._own_heaps[pool_id][contact_id]
                for index in range(1, len(private.entries)):
                    assert private.entries[(index - 1) // 2] <= private.entries[index]
                held = {id(e) for e in private.entries}
                for e in self._heaps[pool_id].entries:
                    if self._is_live(pool_id, e) and e[-1] not in exclusions:
                        assert id(e) in held, (contact_id, pool_id, e)
        assert sum(len(own) for own in self._own_heaps.values()) == sum(
            len(p) for p in self._owned.values()
        )
        for agent in agents.values():
            taking = frozenset(c for c in agent.capacity if agent.can_take(c, self._rules))
            assert agent.taking == taking, (agent, agent.taking, taking)
            # (pool ids only: computing keys would draw from the random policy's generator)
            expected = {pool_id for pool_id, _p in self._pool_ids(agent, taking)}
            assert set(agent.pools) == expected, (agent, set(agent.pools), expected)
            planned = {pool_id for pool_id, _p, channel in agent.plan if channel in taking}
            assert planned == expected, (agent, planned, expected)
            for pool_id, entry in agent.pools.items():
                assert any(e is entry for e in self._heaps[pool_id].entries), (agent, pool_id)
        for channel, count in self._available.items():
            assert count == sum(channel in a.taking for a in agents.values()), channel


def _class_of(pool_id: PoolId) -> object:
    """The queue (or class) name of a skill pool; a channel pool's channel."""
    return pool_id[0] if isinstance(pool_id, tuple) else None


def _declares_width(policy: AgentPolicy) -> bool:
    """Does the class that defines the policy's ``key`` declare its ``key_width`` too? (A
    subclass that overrides ``key`` alone is probed at login like any custom policy.)"""
    for cls in type(policy).__mro__:
        if "key" in vars(cls):
            return isinstance(vars(cls).get("key_width"), int)
    return False
