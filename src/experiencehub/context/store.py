"""ContextStore: the protocol every context back-end offers, the shared rules, and the memory store.

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

>>> store = MemoryContextStore()
>>> cust = store.resolve(Identity("phone", "+44 20 7946 0000"), at=0.0)
>>> store.resolve(Identity("phone", "+442079460000"), at=5.0) == cust
True
>>> _ = store.record_verification(cust, "date_of_birth", channel="ivr", at=10.0, valid_for=900)
>>> store.brief(cust, at=60.0).do_not_ask, store.brief(cust, at=910.0).do_not_ask
(('date_of_birth',), ())
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, runtime_checkable

import attrs

from ..core.errors import ConfigError
from .brief import HandoffBrief, build_brief, fact_valid_at
from .errors import IdentityConflict, InvalidFact, InvalidIdentity, UnknownCustomer
from .facts import (
    DEFAULT_CHANNELS,
    SENSITIVITIES,
    ContactEntry,
    Fact,
    check_channel,
    check_name,
    check_text,
    check_time,
    check_valid_for,
    refuse_secrets,
)
from .identity import Identity

__all__ = [
    "DEFAULT_RETENTION_SECONDS",
    "AuditEntry",
    "ContextStore",
    "MemoryContextStore",
    "StoreBase",
    "check_id",
]

DEFAULT_RETENTION_SECONDS = 60 * 86400.0
"""Unlinked customers and their contacts are purged 60 days after they were last seen."""
_MAX_ID = 128


@attrs.frozen(kw_only=True, slots=True)
class AuditEntry:
    """What a store erased and when; never names a customer or any personal value."""

    at: float | None
    action: str
    detail: str


@runtime_checkable
class ContextStore(Protocol):
    """What the hub, the affinity provider and a platform need from a context back-end."""

    def resolve(self, identity: Identity, *, at: float) -> str: ...
    def resolve_created(self, identity: Identity, *, at: float) -> tuple[str, bool]: ...
    def discard_new(self, customer_id: str, *, at: float | None = ...) -> bool: ...
    def find(self, identity: Identity) -> str | None: ...
    def link(self, a: Identity, b: Identity, *, at: float, evidence: str) -> str: ...
    def canonical(self, customer_id: str) -> str: ...
    def identities(self, customer_id: str) -> tuple[Identity, ...]: ...
    def record_verification(
        self, customer_id: str, name: str, *, channel: str, at: float, valid_for: float,
        method: str = ..., contact_id: str | None = ...,
    ) -> Fact: ...  # fmt: skip
    def record_fact(
        self, customer_id: str, name: str, value: str, *, channel: str, at: float,
        sensitivity: str = ..., valid_for: float | None = ..., verified: bool = ...,
        contact_id: str | None = ...,
    ) -> Fact: ...  # fmt: skip
    def record_contact(
        self, customer_id: str, *, contact_id: str, channel: str, at: float,
        agent_id: str | None = ..., outcome: str | None = ..., topic: str | None = ...,
        queue: str | None = ..., ended_at: float | None = ...,
    ) -> ContactEntry: ...  # fmt: skip
    def check_contact(
        self, customer_id: str | None, *, contact_id: str, channel: str, at: float,
        agent_id: str | None = ..., outcome: str | None = ..., topic: str | None = ...,
        queue: str | None = ..., ended_at: float | None = ...,
    ) -> None: ...  # fmt: skip
    def facts(self, customer_id: str, *, at: float) -> tuple[Fact, ...]: ...
    def contacts(
        self, customer_id: str, *, limit: int | None = ...
    ) -> tuple[ContactEntry, ...]: ...
    def contact_customer(self, contact_id: str) -> str | None: ...
    def last_agent(self, customer_id: str, *, since: float) -> str | None: ...
    def set_owner(self, customer_id: str, agent_id: str | None, *, at: float) -> None: ...
    def owner(self, customer_id: str) -> str | None: ...
    def brief(
        self, customer_id: str, *, at: float, contact_id: str | None = ..., unmask: bool = ...
    ) -> HandoffBrief: ...
    def forget(self, customer_id: str, *, at: float | None = ...) -> None: ...
    def purge(self, at: float) -> int: ...
    def audit(self) -> tuple[AuditEntry, ...]: ...


def customer_number(customer_id: Any) -> int:
    """``cust-17`` → 17, or :class:`UnknownCustomer`. Cost: O(len(id))."""
    if isinstance(customer_id, str) and customer_id.startswith("cust-"):
        digits = customer_id[5:]
        if digits.isdigit() and len(digits) < 19:
            return int(digits)
    raise UnknownCustomer(f"{customer_id!r}: not a customer id (ids look like 'cust-17')")


def customer_id_of(number: int) -> str:
    return f"cust-{number}"


def _check_identity(identity: Any) -> Identity:
    if not isinstance(identity, Identity):
        raise InvalidIdentity(
            f"{type(identity).__name__} value: pass an Identity(kind, value), e.g. Identity('phone', '+44…')"
        )
    return identity


def check_id(value: Any, field: str, *, optional: bool = False) -> str | None:
    """An id a store can keep (contact, agent, queue): a non-empty string of at most 128
    characters and no NUL (PostgreSQL cannot store one), else :class:`InvalidFact`. Cost: O(len).
    """
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_ID or "\x00" in value:
        raise InvalidFact(
            f"{field}={value!r}: must be a non-empty string of at most {_MAX_ID} characters,"
            " without NUL characters"
        )
    return value


class StoreBase(ABC):
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
        _check_identity(identity)
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
        _check_identity(identity)
        with self._read("find"):
            number = self._lookup(identity)
            return None if number is None else customer_id_of(number)

    def link(self, a: Identity, b: Identity, *, at: float, evidence: str) -> str:
        """Say that ``a`` and ``b`` are one customer, because of ``evidence``; merge if needed.

        Returns the surviving customer id. Raises :class:`IdentityConflict` (nothing merged) when
        the union would hold two values of a unique kind. Cost: O(log n) plus the identities and
        history of the customer that is absorbed.
        """
        _check_identity(a), _check_identity(b)
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
        fact = self._fact(
            customer_id, name=name, value=None, channel=channel, at=at,
            sensitivity="normal", valid_for=valid_for, contact_id=contact_id,
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
        fact = self._fact(
            customer_id, name=name, value=value, channel=channel, at=at,
            sensitivity=sensitivity, valid_for=valid_for, contact_id=contact_id,
        )  # fmt: skip
        return self._store_fact(attrs.evolve(fact, verified=verified))

    def _fact(
        self,
        customer_id: str,
        *,
        name: str,
        value: str | None,
        channel: str,
        at: float,
        sensitivity: str,
        valid_for: float | None,
        contact_id: str | None,
    ) -> Fact:
        t = check_time(at)
        period = self.retention_seconds if valid_for is None else check_valid_for(valid_for)
        return Fact(
            customer_id=customer_id,
            name=name,
            value=value,
            channel=check_channel(channel, self.channels),
            observed_at=t,
            expires_at=t + period,
            sensitivity=sensitivity,
            contact_id=check_id(contact_id, "contact_id", optional=True),
        )

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
        record = self._contact_record(
            customer_id, contact_id=contact_id, channel=channel, at=at, agent_id=agent_id,
            outcome=outcome, topic=topic, queue=queue, ended_at=ended_at,
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
        record = self._contact_record(
            customer_id or "", contact_id=contact_id, channel=channel, at=at, agent_id=agent_id,
            outcome=outcome, topic=topic, queue=queue, ended_at=ended_at,
        )  # fmt: skip
        if customer_id is None:
            return
        with self._read("check_contact"):
            number = self._customer(customer_id)
            self._merge_record(number, attrs.evolve(record, customer_id=customer_id_of(number)))

    def _contact_record(
        self,
        customer_id: str,
        *,
        contact_id: str,
        channel: str,
        at: float,
        agent_id: str | None,
        outcome: str | None,
        topic: str | None,
        queue: str | None,
        ended_at: float | None,
    ) -> ContactEntry:
        return ContactEntry(
            customer_id=customer_id,
            contact_id=str(check_id(contact_id, "contact_id")),
            channel=check_channel(channel, self.channels),
            at=check_time(at),
            agent_id=check_id(agent_id, "agent_id", optional=True),
            outcome=None if outcome is None else check_text(outcome, "outcome"),
            topic=None if topic is None else check_text(topic, "topic"),
            queue=check_id(queue, "queue", optional=True),
            ended_at=None if ended_at is None else check_time(ended_at, "ended_at"),
        )

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

    def _after_erase(self, operation: str) -> None:
        """Back-ends scrub erased data from disk here (SQLite: WAL checkpoint)."""
        return None

    # -- primitives a back-end provides -----------------------------------------------------
    # ``operation``: the public call, named in StoreUnavailable messages.
    @abstractmethod
    def _write(self, operation: str) -> AbstractContextManager[None]: ...
    @abstractmethod
    def _read(self, operation: str) -> AbstractContextManager[None]: ...
    @abstractmethod
    def _lookup(self, identity: Identity) -> int | None: ...
    @abstractmethod
    def _new_customer(self, at: float) -> int: ...
    @abstractmethod
    def _attach(self, identity: Identity, number: int) -> None: ...
    @abstractmethod
    def _canonical(self, number: int) -> int | None: ...
    @abstractmethod
    def _touch(self, number: int, at: float) -> None: ...
    @abstractmethod  # _touch, and count one more resolution of an existing customer
    def _reuse(self, number: int, at: float) -> None: ...
    @abstractmethod  # resolved once, one identity, no facts, contacts, links, owner or aliases
    def _unused(self, number: int) -> bool: ...
    @abstractmethod
    def _identities(self, number: int) -> list[Identity]: ...
    @abstractmethod
    def _merge(self, keep: int, gone: int) -> None: ...
    @abstractmethod
    def _add_link(
        self, number: int, a: Identity, b: Identity, evidence: str, at: float
    ) -> None: ...
    @abstractmethod
    def _add_fact(self, number: int, fact: Fact) -> None: ...
    @abstractmethod
    def _facts(self, number: int, at: float) -> list[Fact]: ...
    @abstractmethod
    def _get_contact(self, contact_id: str) -> tuple[int, ContactEntry] | None: ...
    @abstractmethod
    def _put_contact(self, number: int, record: ContactEntry) -> None: ...
    @abstractmethod
    def _contacts(self, number: int, limit: int | None) -> list[ContactEntry]: ...
    @abstractmethod
    def _last_agent(self, number: int, since: float) -> str | None: ...
    @abstractmethod
    def _set_owner(self, number: int, agent_id: str | None) -> None: ...
    @abstractmethod
    def _owner(self, number: int) -> str | None: ...
    @abstractmethod
    def _erase(self, number: int) -> dict[str, int]: ...
    @abstractmethod
    def _idle(self, cutoff: float) -> list[int]: ...
    @abstractmethod
    def _purge_facts(self, at: float) -> int: ...
    @abstractmethod
    def _purge_contacts(self, cutoff: float) -> int: ...
    @abstractmethod
    def _audit_add(self, at: float | None, action: str, detail: str) -> None: ...
    @abstractmethod
    def _audit_entries(self) -> list[AuditEntry]: ...


def _describe_counts(customers: int, counts: dict[str, int]) -> str:
    parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    return f"erased {customers} customer(s): {parts}"


@attrs.define
class _Customer:
    created_at: float
    last_seen: float
    identities: set[Identity] = attrs.Factory(set)
    facts: list[Fact] = attrs.Factory(list)
    contacts: dict[str, ContactEntry] = attrs.Factory(dict)
    links: list[tuple[Identity, Identity, str, float]] = attrs.Factory(list)
    owner: str | None = None
    aliases: set[int] = attrs.Factory(set)
    resolutions: int = 1


class MemoryContextStore(StoreBase):
    """In-memory store for tests and simulations; thread-safe (one lock).

    Same behaviour as :class:`~experiencehub.context.sqlite_store.SqliteContextStore`; ``purge``
    scans every customer (O(n)), the other operations are O(1) in the number of customers.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._lock = threading.RLock()
        self._by_identity: dict[Identity, int] = {}
        self._customers: dict[int, _Customer] = {}
        self._alias: dict[int, int] = {}
        self._contact_owner: dict[str, int] = {}
        self._log: list[AuditEntry] = []
        self._next = 0

    @contextmanager
    def _write(self, operation: str) -> Iterator[None]:
        with self._lock:
            yield

    _read = _write

    def _lookup(self, identity: Identity) -> int | None:
        return self._by_identity.get(identity)

    def _new_customer(self, at: float) -> int:
        self._next += 1
        self._customers[self._next] = _Customer(created_at=at, last_seen=at)
        return self._next

    def _attach(self, identity: Identity, number: int) -> None:
        self._by_identity[identity] = number
        self._customers[number].identities.add(identity)

    def _canonical(self, number: int) -> int | None:
        number = self._alias.get(number, number)
        return number if number in self._customers else None

    def _touch(self, number: int, at: float) -> None:
        customer = self._customers[number]
        customer.last_seen = max(customer.last_seen, at)

    def _reuse(self, number: int, at: float) -> None:
        self._touch(number, at)
        self._customers[number].resolutions += 1

    def _unused(self, number: int) -> bool:
        c = self._customers[number]
        return (c.resolutions, len(c.identities)) == (1, 1) and not (
            c.facts or c.contacts or c.links or c.owner or c.aliases
        )

    def _identities(self, number: int) -> list[Identity]:
        return list(self._customers[number].identities)

    def _merge(self, keep: int, gone: int) -> None:
        survivor, absorbed = self._customers[keep], self._customers.pop(gone)
        for identity in absorbed.identities:
            self._by_identity[identity] = keep
        survivor.identities |= absorbed.identities
        cid = customer_id_of(keep)
        survivor.facts.extend(attrs.evolve(f, customer_id=cid) for f in absorbed.facts)
        for contact_id, record in absorbed.contacts.items():
            survivor.contacts[contact_id] = attrs.evolve(record, customer_id=cid)
            self._contact_owner[contact_id] = keep
        survivor.links.extend(absorbed.links)
        survivor.owner = survivor.owner or absorbed.owner
        survivor.last_seen = max(survivor.last_seen, absorbed.last_seen)
        survivor.resolutions += absorbed.resolutions
        for old in (*absorbed.aliases, gone):
            self._alias[old] = keep
            survivor.aliases.add(old)

    def _add_link(self, number: int, a: Identity, b: Identity, evidence: str, at: float) -> None:
        self._customers[number].links.append((a, b, evidence, at))

    def _add_fact(self, number: int, fact: Fact) -> None:
        self._customers[number].facts.append(fact)

    def _facts(self, number: int, at: float) -> list[Fact]:
        return sorted(
            (f for f in self._customers[number].facts if fact_valid_at(f, at)),
            key=lambda f: f.observed_at,
        )

    def _get_contact(self, contact_id: str) -> tuple[int, ContactEntry] | None:
        number = self._contact_owner.get(contact_id)
        if number is None:
            return None
        return number, self._customers[number].contacts[contact_id]

    def _put_contact(self, number: int, record: ContactEntry) -> None:
        self._customers[number].contacts[record.contact_id] = record
        self._contact_owner[record.contact_id] = number

    def _contacts(self, number: int, limit: int | None) -> list[ContactEntry]:
        found = sorted(
            self._customers[number].contacts.values(), key=lambda c: (-c.at, c.contact_id)
        )
        return found if limit is None else found[:limit]

    def _last_agent(self, number: int, since: float) -> str | None:
        for record in self._contacts(number, None):
            if record.at < since:
                return None
            if record.agent_id:
                return record.agent_id
        return None

    def _set_owner(self, number: int, agent_id: str | None) -> None:
        self._customers[number].owner = agent_id

    def _owner(self, number: int) -> str | None:
        return self._customers[number].owner

    def _erase(self, number: int) -> dict[str, int]:
        customer = self._customers.pop(number)
        for identity in customer.identities:
            del self._by_identity[identity]
        for contact_id in customer.contacts:
            del self._contact_owner[contact_id]
        for old in customer.aliases:
            del self._alias[old]
        return {
            "identities": len(customer.identities),
            "facts": len(customer.facts),
            "contacts": len(customer.contacts),
            "links": len(customer.links),
        }

    def _idle(self, cutoff: float) -> list[int]:
        return [n for n, c in self._customers.items() if c.last_seen < cutoff]

    def _purge_facts(self, at: float) -> int:
        removed = 0
        for customer in self._customers.values():
            kept = [f for f in customer.facts if f.is_valid(at)]
            removed += len(customer.facts) - len(kept)
            customer.facts = kept
        return removed

    def _purge_contacts(self, cutoff: float) -> int:
        removed = 0
        for customer in self._customers.values():
            old = [cid for cid, c in customer.contacts.items() if c.at < cutoff]
            for contact_id in old:
                del customer.contacts[contact_id]
                del self._contact_owner[contact_id]
            removed += len(old)
        return removed

    def _audit_add(self, at: float | None, action: str, detail: str) -> None:
        self._log.append(AuditEntry(at=at, action=action, detail=detail))

    def _audit_entries(self) -> list[AuditEntry]:
        return list(self._log)

    def _check(self) -> None:
        """Assert the store's invariants (tests call it after every step). Cost: O(all records)."""
        for identity, number in self._by_identity.items():
            assert identity in self._customers[number].identities, identity
        for number, customer in self._customers.items():
            assert number not in self._alias, number
            for identity in customer.identities:
                assert self._by_identity[identity] == number, identity
            for contact_id, record in customer.contacts.items():
                assert self._contact_owner[contact_id] == number, contact_id
                assert record.customer_id == customer_id_of(number), contact_id
            for fact in customer.facts:
                assert fact.customer_id == customer_id_of(number), fact.name
            for old in customer.aliases:
                assert self._alias[old] == number, old
        for old, number in self._alias.items():
            assert number in self._customers and old not in self._customers, old
        for contact_id, number in self._contact_owner.items():
            assert contact_id in self._customers[number].contacts, contact_id
