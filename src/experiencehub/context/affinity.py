"""Affinity: which agents a returning customer should reach first.

An :class:`AffinityProvider` answers ``preferred_agents(customer_id, at)``; the hub puts the
answer into ``ContactArrived.preferred_agents`` and the Router targets those agents alone for the
queue's ``affinity_seconds``, then its normal stages take over (the router skips preferred agents
who are not logged in, so a customer is never pinned to an offline agent).

:class:`StoreAffinity` works on any :class:`~experiencehub.context.store.ContextStore`: the agent
of the customer's newest contact on *any* channel within ``window_seconds``, else the owning agent.

>>> from experiencehub.context import MemoryContextStore, Identity
>>> store = MemoryContextStore()
>>> cust = store.resolve(Identity("account", "AC-1"), at=0.0)
>>> _ = store.record_contact(cust, contact_id="c1", channel="chat", at=10.0, agent_id="a3")
>>> affinity = StoreAffinity(store, window_seconds=3600)
>>> affinity.preferred_agents(cust, at=100.0), affinity.preferred_agents(cust, at=7200.0)
(('a3',), ())
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

from ..core.errors import ConfigError
from ._store_protocol import ContextStore

__all__ = ["AffinityProvider", "StoreAffinity"]


@runtime_checkable
class AffinityProvider(Protocol):
    """Preferred agents for a customer at a time, best first (empty: no preference).

    Cost: each provider states its own (:class:`StoreAffinity`: O(log n) in customers).
    """

    def preferred_agents(self, customer_id: str, at: float) -> tuple[str, ...]: ...


class StoreAffinity:
    """Last agent on any channel within ``window_seconds`` (default 8 h), else the owning agent.

    Cost: O(log n) in customers per call (two indexed reads).
    """

    def __init__(self, store: ContextStore, *, window_seconds: float = 8 * 3600.0) -> None:
        if (
            isinstance(window_seconds, bool)
            or not isinstance(window_seconds, (int, float))
            or not math.isfinite(window_seconds)
            or window_seconds < 0
        ):
            raise ConfigError(f"window_seconds={window_seconds!r}: must be finite and >= 0")
        self.store = store
        self.window_seconds = float(window_seconds)

    def preferred_agents(self, customer_id: str, at: float) -> tuple[str, ...]:
        """The agent of the customer's newest contact within ``window_seconds`` before ``at``,
        else its owning agent, else none. Cost: O(log n) in customers (two indexed reads).
        """
        last = self.store.last_agent(customer_id, since=max(0.0, at - self.window_seconds))
        if last is not None:
            return (last,)
        owner = self.store.owner(customer_id)
        return () if owner is None else (owner,)
