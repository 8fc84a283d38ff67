"""A customer's preferred channel: set explicitly (with provenance) or learned from contacts.

This module owns the *rule* that says which channel a customer prefers, as a pure function of
what a store read (facts, contacts), so every store, the handoff brief and the simulator answer
alike. It never reads a clock and never writes: stores keep an explicit preference as a fact
named :data:`PREFERRED_CHANNEL` (so it persists, merges, expires and is erased like any fact).

The rule:

1. **Explicit wins.** The newest valid ``preferred_channel`` fact: its value is the channel,
   its ``method`` who set it (``customer``, ``agent``…), its ``channel`` where it was said and
   its ``contact_id`` the contact it was said in.
2. **Else learned.** The channel the customer used most in their last :data:`LEARNED_FROM`
   contacts before ``at``; a tie goes to the channel of the newest of them (equal times: the
   smaller contact id, as the brief's journey orders them).
3. **Else None** (a customer with no contacts and no stated preference).

>>> from experiencehub.context.facts import ContactEntry, Fact
>>> calls = [ContactEntry(customer_id="cust-1", contact_id=f"c{i}", channel=ch, at=float(i))
...          for i, ch in enumerate(["phone", "chat", "chat"])]
>>> preferred_channel_of((), calls, at=10.0)
PreferredChannel(channel='chat', source='learned', since=2.0, said_on=None, contact_id='c2')
>>> said = Fact(customer_id="cust-1", name="preferred_channel", value="email", channel="phone",
...             observed_at=5.0, expires_at=99.0, method="customer", contact_id="c9")
>>> preferred_channel_of((said,), calls, at=10.0)
PreferredChannel(channel='email', source='customer', since=5.0, said_on='phone', contact_id='c9')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import attrs

from .facts import ContactEntry, Fact

__all__ = ["LEARNED_FROM", "PREFERRED_CHANNEL", "PreferredChannel", "preferred_channel_of"]

PREFERRED_CHANNEL = "preferred_channel"
"""The name of the fact a store keeps an explicit preference in."""

LEARNED_FROM = 10
"""How many of the newest contacts a preference is learned from (enough to see a habit, few
enough that a customer who moved to chat is not held to years of calls)."""


@attrs.frozen(kw_only=True, slots=True)
class PreferredChannel:
    """The channel a customer prefers and where that comes from.

    ``source``: who set it (``customer``, ``agent``…, the fact's ``method``) or ``learned``;
    ``since``: when it was set, or when the newest contact it was learned from started;
    ``said_on``: the channel it was said on (None when learned); ``contact_id``: the contact it
    was said in, or the newest contact it was learned from.
    """

    channel: str
    source: str
    since: float
    said_on: str | None = None
    contact_id: str | None = None

    def describe(self) -> str:
        """One line for an agent: ``chat (customer, said on phone in c7)``. Cost: O(1).

        >>> PreferredChannel(channel="chat", source="learned", since=3.0, contact_id="c2").describe()
        'chat (learned from recent contacts)'
        """
        if self.source == "learned":
            return f"{self.channel} (learned from recent contacts)"
        where = f", said on {self.said_on}" if self.said_on else ""
        during = f" in {self.contact_id}" if self.contact_id else ""
        return f"{self.channel} ({self.source}{where}{during})"


def preferred_channel_of(
    facts: Iterable[Fact], contacts: Iterable[ContactEntry], *, at: float
) -> PreferredChannel | None:
    """The customer's preferred channel at ``at`` by the module's rule, from their facts valid
    at ``at`` (what a store's ``facts`` returns) and their contacts (any order).
    Cost: O(f + c log c) for f facts and c contacts given."""
    stated = _newest_stated(facts)
    if stated is not None:
        return PreferredChannel(
            channel=str(stated.value), source=stated.method or "customer",
            since=stated.observed_at, said_on=stated.channel, contact_id=stated.contact_id,
        )  # fmt: skip
    return _learned(contacts, at)


def _newest_stated(facts: Iterable[Fact]) -> Fact | None:
    newest: Fact | None = None
    for fact in facts:
        if fact.name != PREFERRED_CHANNEL or fact.value is None:
            continue
        if newest is None or fact.observed_at >= newest.observed_at:
            newest = fact
    return newest


def _learned(contacts: Iterable[ContactEntry], at: float) -> PreferredChannel | None:
    recent = sorted((c for c in contacts if c.at <= at), key=lambda c: (-c.at, c.contact_id))
    recent = recent[:LEARNED_FROM]
    if not recent:
        return None
    used = Counter(c.channel for c in recent)
    most = max(used.values())
    newest = next(c for c in recent if used[c.channel] == most)  # a tie: the newest one's
    return PreferredChannel(
        channel=newest.channel, source="learned", since=newest.at, contact_id=newest.contact_id
    )
