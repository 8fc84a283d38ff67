"""Preferred channels in the simulator: customers state one, and come back on it when offered.

This module owns the simulator's side of :mod:`experiencehub.context.preferences`: which
customers tell the agent the channel they prefer (recorded in the run's context store), and which
returning customers — callbacks, repeat contacts, unresolved returns — take the preferred channel
the store offers them. It never routes and never decides a preference itself: the store's rule
(stated, else learned from contacts) does.

Theory of operation
-------------------
- Only with ``[context] enabled``: without a store nobody records a preference or offers it,
  and every customer comes back as the scenario says.
- **Stated.** At an issue's first answered contact, a ``stated`` share of the customers of a
  workload with ``preferred_channel`` tell the agent they prefer its ``channel``; the store
  records it (``source="customer"``, said on the contact's channel, in that contact).
- **Used.** When such a customer comes back, the centre offers the store's preferred channel
  (stated, else learned); a ``used`` share take it and arrive in the first queue of that channel
  (file order). A preferred channel no queue serves is not offered.
- Each draw comes from its own stream seeded from the issue (and the contact's number), so the
  other draws of the run do not move (common random numbers).
"""

from __future__ import annotations

import random

from ..context.identity import Identity
from .customers import CustomerModel, Issue
from .scenario_types import ChannelPreference, Scenario

__all__ = ["ChannelPreferences"]


class ChannelPreferences:
    """One replication's preferred channels: stated at first answers, used by returns."""

    def __init__(self, scenario: Scenario, model: CustomerModel) -> None:
        self.by_workload: dict[int, ChannelPreference] = {
            i: w.preferred_channel for i, w in enumerate(scenario.workload) if w.preferred_channel
        }
        self.queue_of: dict[str, str] = {}
        for queue in scenario.queues:  # not a queue added during the run: it may not exist yet
            if queue.added_at is None:
                self.queue_of.setdefault(queue.channel, queue.name)
        self.model = model

    @classmethod
    def of(cls, scenario: Scenario, model: CustomerModel) -> ChannelPreferences | None:
        """The preferences of ``scenario``, or None without context or without the key.
        Cost: O(workload + queues)."""
        if model.store is None or not any(w.preferred_channel for w in scenario.workload):
            return None
        return cls(scenario, model)

    def answered(self, issue: Issue, channel: str, contact_id: str, now: float) -> None:
        """The issue's first answered contact (on ``channel``): a ``stated`` share of the
        customers tell the agent their preferred channel. Cost: O(1) plus a store write."""
        config = self.by_workload.get(issue.workload)
        store = self.model.store
        if config is None or store is None:
            return
        if random.Random(f"preferred-stated/{issue.seed}").random() >= config.stated:
            return
        customer = store.resolve(self.model.identity(issue, channel), at=now)
        store.set_preferred_channel(
            customer, config.channel, at=now, said_on=channel, contact_id=contact_id
        )

    def return_queue(self, issue: Issue, queue: str, now: float) -> str:
        """The queue a returning customer of ``issue`` bound for ``queue`` arrives in: the
        first queue of the preferred channel the store offers, for a ``used`` share, else
        ``queue``. Cost: O(identities · log n) store reads."""
        config = self.by_workload.get(issue.workload)
        store = self.model.store
        if config is None or store is None:
            return queue
        if random.Random(f"preferred-used/{issue.seed}/{issue.contacts + 1}").random() >= config.used:
            return queue
        customer = next(filter(None, map(store.find, _known(issue))), None)
        offered = None if customer is None else store.preferred_channel(customer, at=now)
        if offered is None:
            return queue
        return self.queue_of.get(offered.channel, queue)


def _known(issue: Issue) -> tuple[Identity, ...]:
    return () if issue.identities is None else tuple(issue.identities.values())
