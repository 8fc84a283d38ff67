"""MemoryContextStore: the in-memory context store, for tests and simulations.

It owns the dictionaries that hold customers, identities, contacts and aliases, and implements
the primitives of :class:`~experiencehub.context._store_protocol.StorePrimitives` over them; the
public API and its rules come from :class:`~experiencehub.context._store_base.StoreBase`. It never
does I/O.

>>> store = MemoryContextStore()
>>> cust = store.resolve(Identity("phone", "+44 20 7946 0000"), at=0.0)
>>> store.resolve(Identity("phone", "+442079460000"), at=5.0) == cust
True
>>> _ = store.record_verification(cust, "date_of_birth", channel="ivr", at=10.0, valid_for=900)
>>> store.brief(cust, at=60.0).do_not_ask, store.brief(cust, at=910.0).do_not_ask
(('date_of_birth',), ())
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from ._store_base import StoreBase
from ._store_protocol import AuditEntry, customer_id_of
from .brief import fact_valid_at
from .facts import ContactEntry, Fact
from .identity import Identity

__all__ = ["MemoryContextStore"]


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
