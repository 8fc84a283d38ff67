"""Cross-channel context continuity: one customer, verified facts, handoff briefs, affinity.

The context layer may do I/O (through a store); the routing core never does. Public names:

- :class:`Identity` — a normalised phone / email / chat session / account handle;
- :class:`MemoryContextStore`, :class:`SqliteContextStore`, :class:`PostgresContextStore` (needs
  the ``postgres`` extra) — the :class:`ContextStore` back-ends;
- :class:`Fact`, :class:`ContactEntry` — what a store remembers; :class:`HandoffBrief` — what the
  next agent gets; :class:`PreferredChannel` — the channel a customer prefers, stated or learned;
- :class:`StoreAffinity` (an :class:`AffinityProvider`) — preferred agents for the Router;
- :class:`ExperienceHub`, :class:`BriefedOffer` — Router + store behind one ``handle(event)``;
- typed errors, all :class:`ContextError` (a ``RoutingError``): :class:`UnknownCustomer`,
  :class:`InvalidIdentity`, :class:`InvalidChannel`, :class:`InvalidFact`,
  :class:`SecretValueRefused`, :class:`IdentityConflict`, :class:`SchemaTooNew`,
  :class:`StoreUnavailable` (the store's own failure: nothing acknowledged was lost); and
  :class:`ContextNotRecorded`, raised by the hub *after* routing when the store failed, carrying
  the decisions to carry out.

See docs/context.md for a scripted journey.
"""

from __future__ import annotations

from ._store_protocol import AuditEntry, ContextStore
from .affinity import AffinityProvider, StoreAffinity
from .brief import HandoffBrief, JourneyStep
from .errors import (
    ContextError,
    ContextNotRecorded,
    IdentityConflict,
    InvalidChannel,
    InvalidFact,
    InvalidIdentity,
    SchemaTooNew,
    SecretValueRefused,
    StoreUnavailable,
    UnknownCustomer,
)
from .facts import ContactEntry, Fact
from .hub import BriefedOffer, ExperienceHub
from .identity import Identity
from .memory_store import MemoryContextStore
from .postgres_store import PostgresContextStore
from .preferences import PreferredChannel
from .sqlite_store import SqliteContextStore

__all__ = [
    "AffinityProvider",
    "AuditEntry",
    "BriefedOffer",
    "ContactEntry",
    "ContextError",
    "ContextNotRecorded",
    "ContextStore",
    "ExperienceHub",
    "Fact",
    "HandoffBrief",
    "Identity",
    "IdentityConflict",
    "InvalidChannel",
    "InvalidFact",
    "InvalidIdentity",
    "JourneyStep",
    "MemoryContextStore",
    "PostgresContextStore",
    "PreferredChannel",
    "SchemaTooNew",
    "SecretValueRefused",
    "SqliteContextStore",
    "StoreAffinity",
    "StoreUnavailable",
    "UnknownCustomer",
]
