"""StoreBase: the public context-store API, implemented once over a back-end's primitives.

Theory of operation
-------------------
A store maps identities to customers and keeps each customer's facts, verifications, contacts and
link evidence. :class:`StoreBase` implements the public API once, on top of a dozen small
primitives that a back-end provides (``_lookup``, ``_attach``, ``_merge``…). Every public call
*validates its arguments first*, then runs inside one back-end transaction (``_write``/``_read``):
reads and checks that need the stored state (unknown customer, conflicting link) happen inside the
transaction before the first write, so an error leaves nothing behind. A back-end whose medium
fails mid-transaction rolls it back and raises :class:`StoreUnavailable` naming the operation.
``check_contact`` runs the checks of ``record_contact`` without writing, so a caller (the hub) can
refuse an event before acting on it.

``resolve_created`` tells its caller whether *it* created the customer (decided inside the
transaction), and ``discard_new`` erases such a customer only while nobody else has resolved or
used it: two routers sharing one store never erase each other's customers.

Customers are numbered (``cust-17``). Linking two identities of different customers merges them,
union-find style: the older customer (lower number) survives, the other's identities, facts,
contacts and link evidence move to it, and its id becomes an alias (one hop, so ``canonical`` is
O(1)); both histories are kept. A link that would give one customer two different values of a
*unique* kind (``account`` by default) raises :class:`IdentityConflict` and merges nothing.

Retention: every fact expires (``valid_for``, default ``retention_seconds``); expired facts are
never returned. ``purge(at)`` deletes them, contacts older than the retention period, and customers
not seen for the retention period (60 days by default). ``forget`` erases every trace of one
customer and leaves an audit entry holding counts only.

It never does I/O itself: every read and write goes through the primitives of
:class:`~experiencehub.context._store_protocol.StorePrimitives`, which a back-end implements
(:mod:`.memory_store`, :mod:`.sqlite_store`, :mod:`.postgres_store`).
"""

from __future__ import annotations

import math
from collections.abc import Collection

import attrs

from ..core.errors import ConfigError
from ._store_protocol import (
    DEFAULT_RETENTION_SECONDS,
    AuditEntry,
    StorePrimitives,
    check_id,
    check_identity,
    checked_contact,
    checked_fact,
    customer_id_of,
    customer_number,
)
from .brief import HandoffBrief, build_brief
from .errors import IdentityConflict, InvalidFact, UnknownCustomer
from .facts import (
    DEFAULT_CHANNELS,
    SENSITIVITIES,
    ContactEntry,
    Fact,
    check_channel,
    check_name,
    check_text,
    check_time,
    refuse_secrets,
)
from .identity import Identity
from .preferences import LEARNED_FROM, PREFERRED_CHANNEL, PreferredChannel, preferred_channel_of

__all__ = ["StoreBase"]


class StoreBase(StorePrimitives):
    """The public context-store API over a back-end's primitives (see the module docstring)."""

    def __init__(
        self,
        *,
        channels: Collection[str] = DEFAULT_CHANNELS,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        repeat_window_seconds: float = 86400.0,
        unique_kinds: Collection[str] = ("account",),
        journey_limit: int = 10,
    ) -> None:
        if (
            isinstance(channels, str)
            or not channels
            or not all(isinstance(c, str) and c for c in channels)
        ):
            raise ConfigError(f"channels={channels!r}: must be a non-empty collection of names")
        for name, value in (
            ("retention_seconds", retention_seconds),
            ("repeat_window_seconds", repeat_window_seconds),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ConfigError(f"{name}={value!r}: must be finite and > 0 seconds")
        if (
            isinstance(journey_limit, bool)
            or not isinstance(journey_limit, int)
            or journey_limit < 1
        ):
            raise ConfigError(f"journey_limit={journey_limit!r}: must be an integer >= 1")
        self.channels = tuple(channels)
        self.retention_seconds = float(retention_seconds)
        self.repeat_window_seconds = float(repeat_window_seconds)
        self.unique_kinds = frozenset(unique_kinds)
        self.journey_limit = journey_limit

    # -- identities -------------------------------------------------------------------------
    def resolve(self, identity: Identity, *, at: float) -> str:
        """The customer holding ``identity``, created if new. Cost: O(log n) in customers."""
        return self.resolve_created(identity, at=at)[0]

    def resolve_created(self, identity: Identity, *, at: float) -> tuple[str, bool]:
        """:meth:`resolve`, and whether *this call* created the customer (decided in the same
        transaction, so two callers racing for one new identity never both see True).
        Cost: O(log n) in customers.
        """
        check_identity(identity)
        t = check_time(at)
        with self._write("resolve"):
            number = self._lookup(identity)
            if number is None:
                number = self._new_customer(t)
                self._attach(identity, number)
                return customer_id_of(number), True
            self._reuse(number, t)
            return customer_id_of(number), False

    def find(self, identity: Identity) -> str | None:
        """The customer holding ``identity``, or None; never creates. Cost: O(log n)."""
        check_identity(identity)
        with self._read("find"):
            number = self._lookup(identity)
            return None if number is None else customer_id_of(number)

    def link(self, a: Identity, b: Identity, *, at: float, evidence: str) -> str:
        """Say that ``a`` and ``b`` are one customer, because of ``evidence``; merge if needed.

        Returns the surviving customer id. Raises :class:`IdentityConflict` (nothing merged) when
        the union would hold two values of a unique kind. Cost: O(log n) plus the identities and
        history of the customer that is absorbed.
        """
        check_identity(a), check_identity(b)
        t = check_time(at)
        check_text(evidence, "evidence")
        if not evidence.strip():
            raise InvalidFact("evidence: say why the identities belong together (it is kept)")
        with self._write("link"):
            ca, cb = self._lookup(a), self._lookup(b)
            self._check_union(a, ca, b, cb)
            number = self._union(a, ca, b, cb, t)
            self._add_link(number, a, b, evidence, t)
            self._touch(number, t)
            return customer_id_of(number)

    def _union(self, a: Identity, ca: int | None, b: Identity, cb: int | None, at: float) -> int:
        if ca is None and cb is None:
            number = self._new_customer(at)
            self._attach(a, number)
            if b != a:
                self._attach(b, number)
            return number
        if ca is None or cb is None:
            held = ca if ca is not None else cb
            assert held is not None
            self._attach(b if cb is None else a, held)
            return held
        if ca != cb:
            self._merge(min(ca, cb), max(ca, cb))
        return min(ca, cb)

    def _check_union(self, a: Identity, ca: int | None, b: Identity, cb: int | None) -> None:
        held: dict[str, set[str]] = {}
        for identity, number in ((a, ca), (b, cb)):
            found = self._identities(number) if number is not None else [identity]
            for known in found:
                if known.kind in self.unique_kinds:
                    held.setdefault(known.kind, set()).add(known.value)
        for kind, values in held.items():
            if len(values) > 1:
                raise IdentityConflict(
                    f"link {a.masked()} ↔ {b.masked()}: the merged customer would hold "
                    f"{len(values)} different {kind} identities; not merged (check the evidence, "
                    f"or forget the wrong customer first)"
                )

    def canonical(self, customer_id: str) -> str:
        """The current id of a customer (ids of merged customers still work). Cost: O(1)."""
        with self._read("canonical"):
            return customer_id_of(self._customer(customer_id))

    def identities(self, customer_id: str) -> tuple[Identity, ...]:
        """Every identity of the customer. Cost: O(log n + its identities)."""
        with self._read("identities"):
            found = self._identities(self._customer(customer_id))
        return tuple(sorted(found, key=lambda i: (i.kind, i.value)))

    def _customer(self, customer_id: str) -> int:
        found = self._canonical(customer_number(customer_id))
        if found is None:
            raise UnknownCustomer(
                f"{customer_id}: no customer with this id (never created, or forgotten)"
            )
        return found

    # -- facts and contacts -----------------------------------------------------------------
    def record_verification(
        self,
        customer_id: str,
        name: str,
        *,
        channel: str,
        at: float,
        valid_for: float,
        method: str = "knowledge",
        contact_id: str | None = None,
    ) -> Fact:
        """Record that the customer proved ``name`` (never the answer). Cost: O(log n)."""
        check_name(name), check_name(method, "method")
        fact = checked_fact(
            customer_id, name=name, value=None, channel=channel, at=at, sensitivity="normal",
            valid_for=valid_for, contact_id=contact_id, channels=self.channels,
            retention_seconds=self.retention_seconds,
        )  # fmt: skip
        return self._store_fact(attrs.evolve(fact, verified=True, method=method))

    def record_fact(
        self,
        customer_id: str,
        name: str,
        value: str,
        *,
        channel: str,
        at: float,
        sensitivity: str = "normal",
        valid_for: float | None = None,
        verified: bool = False,
        contact_id: str | None = None,
    ) -> Fact:
        """Record a fact with provenance. Secrets raise :class:`SecretValueRefused`. Cost: O(log n)."""
        check_name(name)
        if sensitivity not in SENSITIVITIES:
            raise InvalidFact(
                f"sensitivity={sensitivity!r}: must be one of {', '.join(SENSITIVITIES)}"
            )
        refuse_secrets(name, value, sensitivity)
        check_text(value, f"fact {name!r}")
        if not isinstance(verified, bool):
            raise InvalidFact(f"verified={verified!r}: must be True or False")
        fact = checked_fact(
            customer_id, name=name, value=value, channel=channel, at=at, sensitivity=sensitivity,
            valid_for=valid_for, contact_id=contact_id, channels=self.channels,
            retention_seconds=self.retention_seconds,
        )  # fmt: skip
        return self._store_fact(attrs.evolve(fact, verified=verified))

    def _store_fact(self, fact: Fact) -> Fact:
        with self._write("record_fact"):
            number = self._customer(fact.customer_id)
            fact = attrs.evolve(fact, customer_id=customer_id_of(number))
            self._add_fact(number, fact)
            self._touch(number, fact.observed_at)
            return fact

    def record_contact(
        self,
        customer_id: str,
        *,
        contact_id: str,
        channel: str,
        at: float,
        agent_id: str | None = None,
        outcome: str | None = None,
        topic: str | None = None,
        queue: str | None = None,
        ended_at: float | None = None,
    ) -> ContactEntry:
        """Insert or update (by ``contact_id``) a contact; given fields overwrite. Cost: O(log n).

        An update keeps the first ``at``; a contact id already recorded for another customer
        raises :class:`InvalidFact`.
        """
        record = checked_contact(
            customer_id, contact_id=contact_id, channel=channel, at=at, agent_id=agent_id,
            outcome=outcome, topic=topic, queue=queue, ended_at=ended_at, channels=self.channels,
        )  # fmt: skip
        with self._write("record_contact"):
            number = self._customer(customer_id)
            record = self._merge_record(
                number, attrs.evolve(record, customer_id=customer_id_of(number))
            )
            self._put_contact(number, record)
            self._touch(number, max(record.at, record.ended_at or record.at))
            return record

    def check_contact(
        self,
        customer_id: str | None,
        *,
        contact_id: str,
        channel: str,
        at: float,
        agent_id: str | None = None,
        outcome: str | None = None,
        topic: str | None = None,
        queue: str | None = None,
        ended_at: float | None = None,
    ) -> None:
        """Raise what :meth:`record_contact` would raise, and write nothing.

        With ``customer_id=None`` only the values are checked (no I/O); with a customer id the
        store is read too (the customer exists; the contact id is not another customer's). The
        hub calls it before routing, so an event the store would refuse is never routed.
        Cost: O(len(text)), plus O(log n) with a customer id.
        """
        record = checked_contact(
            customer_id or "", contact_id=contact_id, channel=channel, at=at, agent_id=agent_id,
            outcome=outcome, topic=topic, queue=queue, ended_at=ended_at, channels=self.channels,
        )  # fmt: skip
        if customer_id is None:
            return
        with self._read("check_contact"):
            number = self._customer(customer_id)
            self._merge_record(number, attrs.evolve(record, customer_id=customer_id_of(number)))

    def _merge_record(self, number: int, new: ContactEntry) -> ContactEntry:
        old = self._get_contact(new.contact_id)
        if old is None:
            return new
        owner, record = old
        if owner != number:
            raise InvalidFact(
                f"contact_id={new.contact_id!r}: already recorded for another customer"
            )
        changes = {k: v for k, v in attrs.asdict(new, recurse=False).items() if v is not None}
        changes["at"] = record.at
        return attrs.evolve(record, **changes)

    def facts(self, customer_id: str, *, at: float) -> tuple[Fact, ...]:
        """Facts and verifications valid at ``at`` (observed at or before it, not yet expired),
        oldest first. Cost: O(log n + k).
        """
        t = check_time(at)
        with self._read("facts"):
            number = self._customer(customer_id)
            return tuple(self._facts(number, t))

    def set_preferred_channel(
        self, customer_id: str, channel: str, *, at: float, said_on: str,
        source: str = "customer", contact_id: str | None = None,
    ) -> Fact:  # fmt: skip
        """Record that the customer prefers ``channel`` (one of the store's channels), said on
        ``said_on`` by ``source`` (``customer``, ``agent``…) in ``contact_id``; kept as a
        ``preferred_channel`` fact for the retention period. Cost: O(log n)."""
        check_name(source, "source")
        fact = checked_fact(
            customer_id, name=PREFERRED_CHANNEL, value=check_channel(channel, self.channels),
            channel=said_on, at=at, sensitivity="normal", valid_for=None, contact_id=contact_id,
            channels=self.channels, retention_seconds=self.retention_seconds,
        )  # fmt: skip
        return self._store_fact(attrs.evolve(fact, method=source))

    def preferred_channel(self, customer_id: str, *, at: float) -> PreferredChannel | None:
        """The customer's preferred channel at ``at``: stated, else learned from their newest
        contacts (:mod:`~experiencehub.context.preferences`). Cost: O(log n + facts).

        >>> from experiencehub.context import Identity, MemoryContextStore
        >>> store = MemoryContextStore()
        >>> cust = store.resolve(Identity("phone", "+44 20 7946 0000"), at=0.0)
        >>> _ = store.record_contact(cust, contact_id="c1", channel="phone", at=1.0)
        >>> store.preferred_channel(cust, at=2.0).describe()
        'phone (learned from recent contacts)'
        >>> _ = store.set_preferred_channel(cust, "chat", at=3.0, said_on="phone", contact_id="c1")
        >>> store.preferred_channel(cust, at=4.0).describe()
        'chat (customer, said on phone in c1)'
        """
        t = check_time(at)
        with self._read("preferred_channel"):
            number = self._customer(customer_id)
            facts = self._facts(number, t)
            contacts = self._contacts(number, LEARNED_FROM)  # newest first; as the brief reads
        return preferred_channel_of(facts, contacts, at=t)

    def contacts(self, customer_id: str, *, limit: int | None = None) -> tuple[ContactEntry, ...]:
        """The customer's contacts, newest first (at most ``limit``). Cost: O(log n + k)."""
        with self._read("contacts"):
            return tuple(self._contacts(self._customer(customer_id), limit))

    def contact_customer(self, contact_id: str) -> str | None:
        """The customer a contact was recorded for, or None. Cost: O(log n)."""
        with self._read("contact_customer"):
            found = self._get_contact(contact_id)
            return None if found is None else customer_id_of(found[0])

    def last_agent(self, customer_id: str, *, since: float) -> str | None:
        """Agent of the newest contact started at or after ``since`` that had one. Cost: O(log n + k)."""
        t = check_time(since, "since")
        with self._read("last_agent"):
            return self._last_agent(self._customer(customer_id), t)

    def set_owner(self, customer_id: str, agent_id: str | None, *, at: float) -> None:
        """Make ``agent_id`` the customer's owning agent (None: no owner). Cost: O(log n)."""
        check_id(agent_id, "agent_id", optional=True)
        t = check_time(at)
        with self._write("set_owner"):
            number = self._customer(customer_id)
            self._set_owner(number, agent_id)
            self._touch(number, t)

    def owner(self, customer_id: str) -> str | None:
        """The owning agent, or None. Cost: O(log n)."""
        with self._read("owner"):
            return self._owner(self._customer(customer_id))

    def brief(
        self,
        customer_id: str,
        *,
        at: float,
        contact_id: str | None = None,
        unmask: bool = False,
    ) -> HandoffBrief:
        """The :class:`HandoffBrief` at ``at`` (``contact_id``: the contact being offered, left out
        of the journey). Cost: O(log n + identities + valid facts + ``journey_limit``).
        """
        t = check_time(at)
        with self._read("brief"):
            number = self._customer(customer_id)
            identities = self._identities(number)
            facts = self._facts(number, t)
            contacts = self._contacts(number, self.journey_limit + 1)
        return build_brief(
            customer_id_of(number),
            at=t,
            identities=identities,
            facts=facts,
            contacts=contacts,
            contact_id=contact_id,
            repeat_window_seconds=self.repeat_window_seconds,
            unmask=unmask,
        )

    # -- erasure ----------------------------------------------------------------------------
    def forget(self, customer_id: str, *, at: float | None = None) -> None:
        """Erase every trace of the customer: identities, links, facts, contacts, aliases.

        Leaves an :class:`AuditEntry` with counts only. Cost: O(log n + the customer's records).
        """
        t = None if at is None else check_time(at)
        with self._write("forget"):
            counts = self._erase(self._customer(customer_id))
            self._audit_add(t, "forget", _describe_counts(1, counts))
        self._after_erase("forget")

    def discard_new(self, customer_id: str, *, at: float | None = None) -> bool:
        """Erase a customer that :meth:`resolve_created` just created, *unless anyone used it
        since*: it must still be its own (not merged), hold that one identity, have been resolved
        only once, and have no facts, contacts, links or owner. Checked and erased in one
        transaction. Returns whether it was erased (audit entry ``discard``, counts only).

        The hub calls it when the router rejects the arrival that created the customer; a
        customer another hub resolved or recorded meanwhile is kept. Cost: O(log n).
        """
        number = customer_number(customer_id)
        t = None if at is None else check_time(at)
        with self._write("discard_new"):
            if self._canonical(number) != number or not self._unused(number):
                return False
            counts = self._erase(number)
            self._audit_add(t, "discard", _describe_counts(1, counts))
        self._after_erase("discard_new")
        return True

    def purge(self, at: float) -> int:
        """Delete expired facts, contacts older than the retention period, and customers not seen
        for it. Returns the number of records deleted. Cost: O(log n + deleted).
        """
        t = check_time(at)
        cutoff = t - self.retention_seconds
        with self._write("purge"):
            totals: dict[str, int] = {}
            idle = self._idle(cutoff)
            for number in idle:
                for key, count in self._erase(number).items():
                    totals[key] = totals.get(key, 0) + count
            totals["facts"] = totals.get("facts", 0) + self._purge_facts(t)
            totals["contacts"] = totals.get("contacts", 0) + self._purge_contacts(cutoff)
            deleted = sum(totals.values())
            if deleted:
                self._audit_add(t, "purge", _describe_counts(len(idle), totals))
        if deleted:
            self._after_erase("purge")
        return deleted

    def audit(self) -> tuple[AuditEntry, ...]:
        """Erasures so far, oldest first. Cost: O(entries)."""
        with self._read("audit"):
            return tuple(self._audit_entries())


def _describe_counts(customers: int, counts: dict[str, int]) -> str:
    parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    return f"erased {customers} customer(s): {parts}"
