"""Typed errors of the context layer (identity, facts, stores).

They derive from the routing core's :class:`~experiencehub.core.errors.CallerError` (a bad call) or
:class:`~experiencehub.core.errors.ConfigError` (a bad store set-up), so ``except RoutingError``
catches every error the library raises. A store raises them *before* it writes anything.

Messages never quote a personal value or a secret: they name the field, the rule, and at most a
masked form of the value.

>>> raise UnknownCustomer("cust-9: no customer with this id (never created, or forgotten)")
Traceback (most recent call last):
...
experiencehub.context.errors.UnknownCustomer: cust-9: no customer with this id (never created, or forgotten)
"""

from __future__ import annotations

from ..core.errors import CallerError, ConfigError

__all__ = [
    "IdentityConflict",
    "InvalidChannel",
    "InvalidFact",
    "InvalidIdentity",
    "SchemaTooNew",
    "SecretValueRefused",
    "UnknownCustomer",
]


class UnknownCustomer(CallerError, KeyError):
    """The call names a customer id the store does not hold (never created, or forgotten)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidIdentity(CallerError, ValueError):
    """An identity is empty, of an unknown kind, or malformed (e.g. an email without '@')."""


class InvalidChannel(CallerError, ValueError):
    """The channel is not one the store was configured with."""


class InvalidFact(CallerError, ValueError):
    """A fact or contact record breaks a rule: bad name, negative validity, unknown sensitivity."""


class SecretValueRefused(CallerError, ValueError):
    """A secret (card number, security code, PIN, password, date of birth…) was offered as a value.

    Store *that* the customer was verified with ``record_verification``, never the answer.
    """


class IdentityConflict(CallerError):
    """A link would merge two customers whose identities contradict each other.

    Example: both already hold a different account number. The link is reported, never applied.
    """


class SchemaTooNew(ConfigError):
    """The database file was written by a newer version of the library than this one."""
