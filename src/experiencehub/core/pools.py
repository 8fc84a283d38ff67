"""Agent pools: the available agents of each (queue, skill cost), sorted by the policy's key.

Theory of operation: eligibility (an agent's skill cost for each queue) is computed once, at login.
An agent sits in pool ``(queue, cost)`` only while it can take a contact on the queue's channel, and
in the channel pool of that channel (used by "any agent" stages) likewise. Whenever an agent's load
or status changes the router calls :meth:`AgentPools.refresh`, which moves the agent between pools
in O(q log n) for an agent serving q queues. Finding the best agent for a contact then reads the head
of a handful of pools: O(log n) in agents, independent of the number of waiting contacts.
"""

from __future__ import annotations

from collections.abc import Mapping

from sortedcontainers import SortedList

from .agents import AgentState, ChannelRules
from .policies import AgentPolicy
from .queues import QueueSpec

__all__ = ["AgentPools", "PoolEntry"]

PoolEntry = tuple[tuple[float, ...], int, str]
"""(policy key, agent login seq, agent id): a total order, smaller is better."""


class AgentPools:
    __slots__ = (
        "_any_channels",
        "_available",
        "_channel_pools",
        "_policy",
        "_pools",
        "_queue_costs",
        "_queues",
        "_rules",
    )

    def __init__(
        self,
        queues: Mapping[str, QueueSpec],
        policy: AgentPolicy,
        rules: ChannelRules,
    ) -> None:
        self._queues = queues
        self._policy = policy
        self._rules = rules
        self._pools: dict[tuple[str, float], SortedList] = {}
        # queue → sorted distinct skill costs that have a pool (few: one per cost level)
        self._queue_costs: dict[str, list[float]] = {name: [] for name in queues}
        self._any_channels = {q.channel for q in queues.values() if q.stages[-1].max_cost is None}
        self._channel_pools: dict[str, SortedList] = {c: SortedList() for c in self._any_channels}
        self._available: dict[str, int] = {}

    def pool(self, queue: str, cost: float) -> SortedList:
        """The pool of a queue at one skill cost, created on first use. Cost: O(costs)."""
        found = self._pools.get((queue, cost))
        if found is None:
            found = self._pools[(queue, cost)] = SortedList()
            costs = self._queue_costs[queue]
            costs.append(cost)
            costs.sort()
        return found

    def refresh(self, agent: AgentState) -> None:
        """Re-place the agent after a change of load or status. Cost: O(q log n).

        Only pools whose entry changed are touched: with ``longest_idle`` an offer to a chat agent
        with slots left changes nothing, which saves two SortedList operations per pool.
        """
        taking = frozenset(c for c in agent.capacity if agent.can_take(c, self._rules))
        if taking != agent.taking:
            for channel in agent.taking - taking:
                self._available[channel] -= 1
            for channel in taking - agent.taking:
                self._available[channel] = self._available.get(channel, 0) + 1
            agent.taking = taking
        wanted = self._entries(agent, taking) if taking else {}
        current = agent.pools
        if wanted == current:
            return
        for pool_id, entry in current.items():
            if wanted.get(pool_id) != entry:
                self._pool_by_id(pool_id).remove(entry)
        for pool_id, entry in wanted.items():
            if current.get(pool_id) != entry:
                self._add(pool_id, entry)
        agent.pools = wanted

    def remove(self, agent: AgentState) -> None:
        """The agent logs off: out of every pool. Cost: O(q log n)."""
        for channel in agent.taking:
            self._available[channel] -= 1
        agent.taking = frozenset()
        self._leave(agent)

    def _leave(self, agent: AgentState) -> None:
        for pool_id, entry in agent.pools.items():
            self._pool_by_id(pool_id).remove(entry)
        agent.pools = {}

    def _pool_by_id(self, pool_id: object) -> SortedList:
        if isinstance(pool_id, str):
            return self._channel_pools[pool_id]
        assert isinstance(pool_id, tuple)
        return self._pools[pool_id]

    def _entries(self, agent: AgentState, taking: frozenset[str]) -> dict[object, PoolEntry]:
        """Where the agent belongs now, and under which key."""
        policy, seq, agent_id = self._policy, agent.seq, agent.agent_id
        wanted: dict[object, PoolEntry] = {}
        for queue, (cost, proficiency) in agent.serving.items():
            if self._queues[queue].channel in taking:
                wanted[(queue, cost)] = (policy.key(agent, proficiency), seq, agent_id)
        for channel in taking & self._any_channels:
            wanted[channel] = (policy.key(agent, 0), seq, agent_id)
        return wanted

    def _add(self, pool_id: object, entry: PoolEntry) -> None:
        if isinstance(pool_id, str):
            self._channel_pools[pool_id].add(entry)
        else:
            assert isinstance(pool_id, tuple)
            self.pool(*pool_id).add(entry)

    def best_agent(
        self, queue: QueueSpec, max_cost: float | None, excluded: set[str]
    ) -> tuple[str, float | None, int] | None:
        """Best available agent for a contact of ``queue`` at a stage allowing ``max_cost``.

        Lowest skill cost first, then the policy key; agents in ``excluded`` are skipped. Returns
        (agent id, cost — None when found through the "any agent" pool —, pools read) or None.
        Cost: O(c·log n + e) for c cost levels and e excluded agents met.
        """
        read = 0
        for cost in self._queue_costs[queue.name]:
            if max_cost is not None and cost > max_cost:
                break
            read += 1
            for _key, _seq, agent_id in self._pools[(queue.name, cost)]:
                if agent_id not in excluded:
                    return agent_id, cost, read
        if max_cost is None:
            read += 1
            for _key, _seq, agent_id in self._channel_pools[queue.channel]:
                if agent_id not in excluded:
                    return agent_id, None, read
        return None

    def available(self, channel: str) -> int:
        """Agents that can take a new contact on ``channel`` now. Cost: O(1)."""
        return self._available.get(channel, 0)

    def _check(self, agents: Mapping[str, AgentState]) -> None:
        """Assert: pool membership is exactly what each agent's state says it should be."""
        members = 0
        for pool in [*self._pools.values(), *self._channel_pools.values()]:
            pool._check()
            members += len(pool)
        assert members == sum(len(a.pools) for a in agents.values())
        for agent in agents.values():
            taking = frozenset(c for c in agent.capacity if agent.can_take(c, self._rules))
            assert agent.taking == taking, (agent, agent.taking, taking)
            for pool_id, entry in agent.pools.items():
                assert entry in self._pool_by_id(pool_id)
        for channel, count in self._available.items():
            assert count == sum(channel in a.taking for a in agents.values()), channel
