"""HandoffBrief: what the next agent knows, and must not ask again.

:func:`build_brief` is a pure function of what a store read (identities, facts, recent contacts);
every store calls it, so Memory and SQLite briefs are the same. It never reads a clock: ``at`` comes
in. Personal values are masked unless the caller asks for ``unmask=True``.

>>> from experiencehub.context.facts import ContactEntry, Fact
>>> chat = ContactEntry(customer_id="cust-1", contact_id="c7", channel="chat", at=100.0,
...                      agent_id="a3", outcome="dropped", topic="billing dispute", ended_at=160.0)
>>> dob = Fact(customer_id="cust-1", name="date_of_birth", value=None, channel="ivr",
...            observed_at=90.0, expires_at=990.0, verified=True, method="knowledge")
>>> brief = build_brief("cust-1", at=400.0, identities=(), facts=(dob,), contacts=(chat,))
>>> brief.do_not_ask, brief.last_agents, brief.repeat_contact
(('date_of_birth',), ('a3',), True)
>>> brief.journey[0].describe()
'chat dropped 4 min ago (c7, topic: billing dispute, agent a3)'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from .facts import ContactEntry, Fact
from .identity import Identity
from .preferences import PREFERRED_CHANNEL, PreferredChannel, preferred_channel_of

__all__ = ["HandoffBrief", "JourneyStep", "build_brief", "fact_valid_at"]


def fact_valid_at(fact: Fact, at: float) -> bool:
    """Whether ``fact`` held at ``at``: observed at or before it, and not yet expired.

    The one home of this rule in Python (the SQLite store says the same in its query). Unlike
    ``Fact.is_valid`` (expiry only, which is what ``purge`` needs), a fact observed after ``at``
    was not known then. Cost: O(1).

    >>> from experiencehub.context.facts import Fact
    >>> f = Fact(customer_id="cust-1", name="topic", value="billing", channel="chat",
    ...          observed_at=10.0, expires_at=100.0)
    >>> fact_valid_at(f, 9.0), fact_valid_at(f, 10.0), fact_valid_at(f, 100.0)
    (False, True, False)
    """
    return fact.observed_at <= at < fact.expires_at


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


@attrs.frozen(kw_only=True, slots=True)
class JourneyStep:
    """One earlier contact as the next agent sees it; ``seconds_ago`` counts from its end."""

    contact_id: str
    channel: str
    started_at: float
    ended_at: float | None
    seconds_ago: float
    agent_id: str | None
    outcome: str | None
    topic: str | None
    queue: str | None

    def describe(self) -> str:
        """One line: ``chat dropped 4 min ago (c7, topic: billing dispute, agent a3)``.
        Cost: O(1)."""
        details = [self.contact_id]
        if self.topic:
            details.append(f"topic: {self.topic}")
        if self.agent_id:
            details.append(f"agent {self.agent_id}")
        outcome = self.outcome or "contact"
        return f"{self.channel} {outcome} {_ago(self.seconds_ago)} ({', '.join(details)})"


@attrs.frozen(kw_only=True, slots=True)
class HandoffBrief:
    """What the next agent gets with an offer.

    - ``do_not_ask``: names verified within their validity window, on any channel;
    - ``journey``: earlier contacts across channels, newest first;
    - ``repeat_contact``: an earlier contact started within the repeat window;
    - ``open_items``: earlier contacts not known to be resolved (dropped, abandoned…);
    - ``identities`` and ``facts``: masked unless ``unmasked``;
    - ``preferred_channel``: the channel the customer prefers, stated or learned
      (:mod:`~experiencehub.context.preferences`); the stated one is not repeated in ``facts``.
    """

    customer_id: str
    at: float
    identities: tuple[str, ...]
    facts: tuple[Fact, ...]
    verifications: tuple[Fact, ...]
    do_not_ask: tuple[str, ...]
    journey: tuple[JourneyStep, ...]
    last_agents: tuple[str, ...]
    open_items: tuple[str, ...]
    repeat_contact: bool
    unmasked: bool = False
    preferred_channel: PreferredChannel | None = None

    def render(self) -> str:
        """The brief as short text for an agent desktop. Cost: O(size of the brief)."""
        lines = [
            f"Customer {self.customer_id}" + ("  [REPEAT CONTACT]" if self.repeat_contact else "")
        ]
        if self.identities:
            lines.append("Known as: " + ", ".join(self.identities))
        if self.do_not_ask:
            lines.append("Already verified, do not ask: " + ", ".join(self.do_not_ask))
        if self.preferred_channel is not None:
            lines.append(f"Preferred channel: {self.preferred_channel.describe()}")
        lines.extend(f"Fact: {f.name} = {f.value} ({f.channel})" for f in self.facts)
        lines.extend(f"Journey: {step.describe()}" for step in self.journey)
        lines.extend(f"Open: {item}" for item in self.open_items)
        return "\n".join(lines)


def _latest_by_name(facts: Iterable[Fact]) -> dict[str, Fact]:
    latest: dict[str, Fact] = {}
    for fact in facts:
        kept = latest.get(fact.name)
        if kept is None or fact.observed_at >= kept.observed_at:
            latest[fact.name] = fact
    return latest


def _topic(contact: ContactEntry, topics: Sequence[Fact]) -> str | None:
    if contact.topic:
        return contact.topic
    for fact in topics:  # newest first
        same_contact = fact.contact_id == contact.contact_id
        during = (
            fact.contact_id is None
            and fact.channel == contact.channel
            and contact.at <= fact.observed_at <= (contact.ended_at or fact.observed_at)
        )
        if same_contact or during:
            return fact.value
    return None


def _step(contact: ContactEntry, at: float, topics: Sequence[Fact]) -> JourneyStep:
    last = contact.ended_at if contact.ended_at is not None else contact.at
    return JourneyStep(
        contact_id=contact.contact_id,
        channel=contact.channel,
        started_at=contact.at,
        ended_at=contact.ended_at,
        seconds_ago=max(0.0, at - last),
        agent_id=contact.agent_id,
        outcome=contact.outcome,
        topic=_topic(contact, topics),
        queue=contact.queue,
    )


def build_brief(
    customer_id: str,
    *,
    at: float,
    identities: Iterable[Identity],
    facts: Iterable[Fact],
    contacts: Iterable[ContactEntry],
    contact_id: str | None = None,
    repeat_window_seconds: float = 86400.0,
    unmask: bool = False,
) -> HandoffBrief:
    """Assemble a brief from valid facts and recent contacts (``contact_id``: the one being offered,
    left out of the journey). Cost: O(f + c) for f facts and c contacts given.
    """
    valid = [f for f in facts if fact_valid_at(f, at)]
    latest = _latest_by_name(valid)
    shown = {n: (f if unmask else f.masked()) for n, f in latest.items()}
    verifications = tuple(f for n, f in sorted(shown.items()) if f.is_verification)
    plain = tuple(
        f for n, f in sorted(shown.items()) if not f.is_verification and n != PREFERRED_CHANNEL
    )
    topics = sorted(
        (f if unmask else f.masked() for f in valid if f.name == "topic"),
        key=lambda f: -f.observed_at,
    )
    earlier = sorted(
        (c for c in contacts if c.contact_id != contact_id and c.at <= at),
        key=lambda c: (-c.at, c.contact_id),
    )
    journey = tuple(_step(c, at, topics) for c in earlier)
    agents = tuple(dict.fromkeys(s.agent_id for s in journey if s.agent_id))
    return HandoffBrief(
        customer_id=customer_id,
        at=at,
        identities=tuple(
            i.masked() if not unmask else f"{i.kind}:{i.value}"
            for i in sorted(identities, key=lambda i: (i.kind, i.value))
        ),
        facts=plain,
        verifications=verifications,
        do_not_ask=tuple(sorted(n for n, f in latest.items() if f.verified)),
        journey=journey,
        last_agents=agents,
        open_items=tuple(
            f"{s.topic or 'unknown topic'}: {s.channel} {s.outcome} ({s.contact_id})"
            for s, c in zip(journey, earlier, strict=True)
            if c.is_open and c.outcome is not None
        ),
        repeat_contact=any(s.started_at >= at - repeat_window_seconds for s in journey),
        unmasked=unmask,
        preferred_channel=preferred_channel_of(valid, earlier, at=at),
    )
