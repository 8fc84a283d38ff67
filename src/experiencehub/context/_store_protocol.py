"""The two contracts of a context store, and the values every back-end shares.

- :class:`ContextStore`: what the hub, the affinity provider and a platform call (a ``Protocol``);
- :class:`StorePrimitives`: the dozen small operations a back-end provides, on top of which
  :class:`~experiencehub.context._store_base.StoreBase` implements the public API once;
- :class:`AuditEntry`, customer ids (``cust-17``), :func:`check_id`, and the arguments of
  ``record_fact``/``record_contact`` checked into a :class:`Fact`/:class:`ContactEntry`, which
  every back-end and the hub use alike.

This module holds no state and never does I/O.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

import attrs

from .brief import HandoffBrief
from .errors import InvalidFact, InvalidIdentity, UnknownCustomer
from .facts import ContactEntry, Fact, check_channel, check_text, check_time, check_valid_for
from .identity import Identity
from .preferences import PreferredChannel

__all__ = [
    "DEFAULT_RETENTION_SECONDS",
    "AuditEntry",
    "ContextStore",
    "StorePrimitives",
    "check_id",
    "check_identity",
    "checked_contact",
    "checked_fact",
    "customer_id_of",
    "customer_number",
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
    """What the hub, the affinity provider and a platform need from a context back-end.

    Cost: each back-end states its own; :class:`~experiencehub.context.store.StoreBase` (every
    store here) documents each method's.
    """

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
    def set_preferred_channel(
        self, customer_id: str, channel: str, *, at: float, said_on: str, source: str = ...,
        contact_id: str | None = ...,
    ) -> Fact: ...  # fmt: skip
    def preferred_channel(self, customer_id: str, *, at: float) -> PreferredChannel | None: ...
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
    """17 → ``cust-17``. Cost: O(1)."""
    return f"cust-{number}"


def check_identity(identity: Any) -> Identity:
    """``identity`` if it is an :class:`Identity`, else :class:`InvalidIdentity`. Cost: O(1)."""
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


def checked_fact(
    customer_id: str,
    *,
    name: str,
    value: str | None,
    channel: str,
    at: float,
    sensitivity: str,
    valid_for: float | None,
    contact_id: str | None,
    channels: tuple[str, ...],
    retention_seconds: float,
) -> Fact:
    """A :class:`Fact` from a record call's arguments (time, validity, channel and contact id
    checked; ``valid_for=None``: ``retention_seconds``), else :class:`InvalidFact` or
    :class:`InvalidChannel`. Cost: O(len(channels)).
    """
    t = check_time(at)
    period = retention_seconds if valid_for is None else check_valid_for(valid_for)
    return Fact(
        customer_id=customer_id,
        name=name,
        value=value,
        channel=check_channel(channel, channels),
        observed_at=t,
        expires_at=t + period,
        sensitivity=sensitivity,
        contact_id=check_id(contact_id, "contact_id", optional=True),
    )


def checked_contact(
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
    channels: tuple[str, ...],
) -> ContactEntry:
    """A :class:`ContactEntry` from ``record_contact``'s arguments, every field checked, else
    :class:`InvalidFact` or :class:`InvalidChannel`. Cost: O(len(channels) + len(text)).
    """
    return ContactEntry(
        customer_id=customer_id,
        contact_id=str(check_id(contact_id, "contact_id")),
        channel=check_channel(channel, channels),
        at=check_time(at),
        agent_id=check_id(agent_id, "agent_id", optional=True),
        outcome=None if outcome is None else check_text(outcome, "outcome"),
        topic=None if topic is None else check_text(topic, "topic"),
        queue=check_id(queue, "queue", optional=True),
        ended_at=None if ended_at is None else check_time(ended_at, "ended_at"),
    )


class StorePrimitives(ABC):
    """What a back-end provides: one transaction per public call, and small reads and writes by
    customer number inside it. ``operation`` names the public call in StoreUnavailable messages.
    """

    def _after_erase(self, operation: str) -> None:
        """Back-ends scrub erased data from disk here (SQLite: WAL checkpoint)."""
        return None

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
