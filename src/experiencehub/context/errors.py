"""Typed errors of the context layer (identity, facts, stores).

Every store error derives from :class:`ContextError` and from the routing core's
:class:`~experiencehub.core.errors.RoutingError` (a bad call is also a
:class:`~experiencehub.core.errors.CallerError`, a bad store set-up a
:class:`~experiencehub.core.errors.ConfigError`), and leaves the store as it was: a store checks
before it writes, and a write that fails midway (:class:`StoreUnavailable`) is rolled back.

One error is different on purpose: :class:`ContextNotRecorded` is *not* a ``RoutingError``,
because it reports an event the router has already applied — its ``decisions`` must still be
carried out. Catching ``RoutingError`` to skip a rejected event must never swallow it.

Messages never quote a personal value or a secret: they name the field, the rule, and at most a
masked form of the value.

>>> raise UnknownCustomer("cust-9: no customer with this id (never created, or forgotten)")
Traceback (most recent call last):
...
experiencehub.context.errors.UnknownCustomer: cust-9: no customer with this id (never created, or forgotten)
"""

from __future__ import annotations

from typing import Any

from ..core.errors import CallerError, ConfigError, RoutingError

__all__ = [
    "ContextError",
    "ContextNotRecorded",
    "IdentityConflict",
    "InvalidChannel",
    "InvalidFact",
    "InvalidIdentity",
    "SchemaTooNew",
    "SecretValueRefused",
    "StoreUnavailable",
    "UnknownCustomer",
]


class ContextError(RoutingError):
    """Base class of the context layer's errors; the store is unchanged when one is raised."""


class StoreUnavailable(ContextError):
    """The store's medium failed: disk full, database locked past the busy timeout, connection lost.

    The message names the operation and the back-end's own message. The failed operation was
    rolled back; everything acknowledged earlier (every call that returned) is still stored.
    Retrying later is safe.
    """


class UnknownCustomer(ContextError, CallerError, KeyError):
    """The call names a customer id the store does not hold (never created, or forgotten)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidIdentity(ContextError, CallerError, ValueError):
    """An identity is empty, of an unknown kind, or malformed (e.g. an email without '@')."""


class InvalidChannel(ContextError, CallerError, ValueError):
    """The channel is not one the store was configured with."""


class InvalidFact(ContextError, CallerError, ValueError):
    """A fact or contact record breaks a rule: bad name, negative validity, unknown sensitivity."""


class SecretValueRefused(ContextError, CallerError, ValueError):
    """A secret (card number, security code, PIN, password, date of birth…) was offered as a value.

    Store *that* the customer was verified with ``record_verification``, never the answer.
    """


class IdentityConflict(ContextError, CallerError):
    """A link would merge two customers whose identities contradict each other.

    Example: both already hold a different account number. The link is reported, never applied.
    """


class SchemaTooNew(ContextError, ConfigError):
    """The database file was written by a newer version of the library than this one."""


class ContextNotRecorded(Exception):
    """The router applied the event, but the store did not record it (see ``__cause__``).

    Not a ``RoutingError``: the event was *not* rejected. Carry out :attr:`decisions` exactly as if
    ``handle`` had returned them (Offers are wrapped as usual; a brief the store could not build is
    None). The store keeps what it held before the event; the hub's view of live contacts follows
    the router, so later events for the contact are recorded as usual.
    """

    def __init__(self, message: str, *, event: Any, decisions: tuple[Any, ...]) -> None:
        super().__init__(message)
        self.event = event
        self.decisions = decisions
