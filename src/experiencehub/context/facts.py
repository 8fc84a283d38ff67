"""Facts and contact history entries: what a store remembers about a customer, with provenance and expiry.

A :class:`Fact` is ``(customer, name, value, channel, contact, observed_at, expires_at, verified,
sensitivity)``. A *verification* is a fact whose value is ``None``: it records that the customer
proved something (``date_of_birth``, ``pin``…), by which method, on which channel, until when —
never the answer. This module owns the rules every store applies before it writes:

- secrets are refused (:func:`refuse_secrets`): by name (``cvv``, ``pin_code``, ``date_of_birth``…),
  and in any text, card numbers however they are typed and security codes, PINs, passwords and
  dates of birth written next to their keyword; the classifiers live in :mod:`.secrets`;
- ``personal`` values are masked in ``repr`` and in briefs unless explicitly unmasked;
- names, channels and validity periods are checked (:func:`check_name`, :func:`check_channel`,
  :func:`check_valid_for`).

It never stores anything itself.

>>> f = Fact(customer_id="cust-1", name="postcode", value="SW1A 1AA", channel="ivr",
...          observed_at=10.0, expires_at=100.0, sensitivity="personal")
>>> f
Fact(customer_id='cust-1', name='postcode', value='***', channel='ivr', observed_at=10.0, expires_at=100.0, sensitivity='personal', verified=False, method=None, contact_id=None)
>>> f.is_valid(99.0), f.is_valid(100.0)
(True, False)
>>> refuse_secrets("note", "card 4111 1111 1111 1111")
Traceback (most recent call last):
...
experiencehub.context.errors.SecretValueRefused: fact 'note': the value holds a card number (a Luhn-valid run of 16 digits); card numbers are never stored — the value was not stored
>>> refuse_secrets("note", "customer said the pin is 4321")
Traceback (most recent call last):
...
experiencehub.context.errors.SecretValueRefused: fact 'note': the value holds what reads as a PIN; record the verification outcome with record_verification() — the value was not stored
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import Any

import attrs

from .errors import InvalidChannel, InvalidFact, SecretValueRefused
from .identity import mask
from .secrets import SECRET_WORDS, contains_card_number, is_secret_name, luhn_valid, secret_in_text

__all__ = [
    "DEFAULT_CHANNELS",
    "SECRET_NAMES",
    "SENSITIVITIES",
    "ContactEntry",
    "Fact",
    "check_channel",
    "check_name",
    "check_valid_for",
    "contains_card_number",
    "luhn_valid",
    "refuse_secrets",
]

SENSITIVITIES = ("normal", "personal", "secret")
DEFAULT_CHANNELS = ("phone", "chat", "email", "ivr", "sms", "web", "video", "social", "messaging")
"""Channels a store accepts unless configured with its own list."""

SECRET_NAMES = SECRET_WORDS
"""The secret words a fact name is matched against token by token (see :mod:`.secrets`)."""

_NAME = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
_MAX_TEXT = 2000


def check_name(name: Any, what: str = "fact") -> str:
    """A lower-case identifier (``date_of_birth``, ``billing.topic``). Cost: O(len(name))."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidFact(
            f"{what} name {name!r}: must be lower-case letters, digits, '_' or '.', "
            "starting with a letter (at most 64 characters)"
        )
    return name


def check_channel(channel: Any, channels: Collection[str]) -> str:
    """One of the store's channels. Cost: O(channels)."""
    if channel not in channels:
        raise InvalidChannel(f"channel {channel!r}: must be one of {', '.join(channels)}")
    return str(channel)


def check_valid_for(valid_for: Any) -> float:
    """A finite number of seconds > 0. Cost: O(1)."""
    if isinstance(valid_for, bool) or not isinstance(valid_for, (int, float)):
        raise InvalidFact(f"valid_for={valid_for!r}: must be a number of seconds")
    if not math.isfinite(valid_for) or valid_for <= 0:
        raise InvalidFact(f"valid_for={valid_for!r}: must be finite and > 0 seconds")
    return float(valid_for)


def check_time(at: Any, name: str = "at") -> float:
    """A finite number of seconds >= 0 on the caller's clock. Cost: O(1)."""
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        raise InvalidFact(f"{name}={at!r}: must be a number of seconds")
    if not math.isfinite(at) or at < 0:
        raise InvalidFact(f"{name}={at!r}: must be finite and >= 0")
    return float(at)


def check_text(value: Any, field: str) -> str:
    """Free text that may be persisted: a string, short, without NUL characters, and holding no
    card number."""
    if not isinstance(value, str):
        raise InvalidFact(f"{field}: must be a string, not {type(value).__name__}")
    if len(value) > _MAX_TEXT:
        raise InvalidFact(f"{field}: longer than {_MAX_TEXT} characters")
    if "\x00" in value:  # PostgreSQL cannot store it, so no store takes it
        raise InvalidFact(f"{field}: contains a NUL character")
    refuse_secrets(field, value, what="")
    return value


def refuse_secrets(
    name: str, value: Any, sensitivity: str = "normal", *, what: str = "fact "
) -> None:
    """Raise :class:`SecretValueRefused` if ``value`` is (or contains) a secret. Cost: O(len).

    The one place the stores ask: a ``secret`` sensitivity, a secret name
    (:func:`.secrets.is_secret_name`), a card number (:func:`.secrets.contains_card_number`) or
    a secret written in the text (:func:`.secrets.secret_in_text`). The error names the field and
    the kind of secret, never the value.
    """
    label = f"{what}{name!r}"
    hint = " — the value was not stored"
    verify = f"record the verification outcome with record_verification(){hint}"
    if sensitivity == "secret":
        raise SecretValueRefused(f"{label}: sensitivity 'secret' values are never stored; {verify}")
    if is_secret_name(name):
        raise SecretValueRefused(
            f"{label}: a secret by name (card data, security codes, PINs, passwords, dates of "
            f"birth); {verify}"
        )
    if not isinstance(value, str):
        return
    length = contains_card_number(value)
    if length is not None:
        raise SecretValueRefused(
            f"{label}: the value holds a card number (a Luhn-valid run of {length} digits); "
            f"card numbers are never stored{hint}"
        )
    kind = secret_in_text(value)
    if kind is not None:
        raise SecretValueRefused(f"{label}: the value holds what reads as {kind}; {verify}")


@attrs.frozen(kw_only=True, slots=True, repr=False)
class Fact:
    """A fact about a customer, or (``value is None``, ``verified``) a verification outcome.

    ``repr`` masks ``personal`` values; :meth:`masked` returns a copy safe to show or log.
    """

    customer_id: str
    name: str
    value: str | None
    channel: str
    observed_at: float
    expires_at: float
    sensitivity: str = "normal"
    verified: bool = False
    method: str | None = None
    contact_id: str | None = None

    def is_valid(self, at: float) -> bool:
        """Not yet expired at ``at``. Cost: O(1)."""
        return at < self.expires_at

    @property
    def is_verification(self) -> bool:
        """A verification (the customer proved it; no value is kept). Cost: O(1)."""
        return self.verified and self.value is None

    def masked(self) -> Fact:
        """A copy whose personal value is replaced by its mask. Cost: O(len(value))."""
        if self.sensitivity != "personal" or self.value is None:
            return self
        return attrs.evolve(self, value=mask(self.value) if len(self.value) >= 8 else "***")

    def __repr__(self) -> str:
        shown = self.value if self.sensitivity != "personal" or self.value is None else "***"
        return (
            f"Fact(customer_id={self.customer_id!r}, name={self.name!r}, value={shown!r}, "
            f"channel={self.channel!r}, observed_at={self.observed_at!r}, "
            f"expires_at={self.expires_at!r}, sensitivity={self.sensitivity!r}, "
            f"verified={self.verified!r}, method={self.method!r}, contact_id={self.contact_id!r})"
        )


@attrs.frozen(kw_only=True, slots=True)
class ContactEntry:
    """One row of a customer's contact history: when, on which channel, with whom, how it ended,
    what about.

    ``outcome`` is free text; the context layer uses ``in_progress``, ``handled``, ``resolved``,
    ``dropped``, ``abandoned``, ``transferred`` and ``refused``. Entries are upserted by
    ``contact_id`` as events flow. Not the end-of-contact record a host ingests: that is
    :class:`experiencehub.records.ContactRecord`.
    """

    customer_id: str
    contact_id: str
    channel: str
    at: float
    agent_id: str | None = None
    outcome: str | None = None
    topic: str | None = None
    queue: str | None = None
    ended_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Not known to be resolved: the customer may come back about it. Cost: O(1)."""
        return self.outcome not in ("handled", "resolved")
