"""Identities: the handles a customer shows up with (phone, email, chat session, account).

This module owns *normalisation* (so ``+44 20 7946 0000`` and ``+442079460000`` are one phone) and
*masking* (so a personal value never reaches a ``repr``, a log line or an error message). Linking
identities into one customer (union-find with evidence) is the store's job; see :mod:`.store`.

Phone numbers become E.164 with the ``phonenumbers`` library (the optional ``context`` extra). If it
is not installed, or it cannot parse the number, the fallback keeps the digits and one leading
``+`` (``"00"`` international prefixes are *not* rewritten): documented, predictable, never a crash.

>>> Identity("phone", "+44 20 7946 0000").value
'+442079460000'
>>> Identity("email", "  Ann@Example.COM ").value
'ann@example.com'
>>> Identity("email", "Straße@example.com") == Identity("email", "strasse@example.com")
False
>>> Identity("phone", "+44 20 7946 0000")
Identity(kind='phone', value='+4*********00')
>>> Identity("phone", "   ")
Traceback (most recent call last):
...
experiencehub.context.errors.InvalidIdentity: phone identity: the value is empty
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import attrs

from .errors import InvalidIdentity

_phonenumbers: Any
try:  # the optional "context" extra
    import phonenumbers as _phonenumbers
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    _phonenumbers = None

__all__ = ["KINDS", "Identity", "mask", "normalise"]

KINDS = ("phone", "email", "chat_session", "account")
"""Identity kinds a store accepts."""

_MAX_LENGTH = 256
_NOT_PHONE_CHARS = re.compile(r"[^0-9]")


def mask(value: str) -> str:
    """Hide a personal value: keep the first and last two characters of long values only.

    Cost: O(len(value)).

    >>> mask("ann@example.com"), mask("1234")
    ('an***********om', '***')
    """
    if len(value) < 8:
        return "***"
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def phone_fallback(raw: str) -> str:
    """Digits only, with one leading ``+`` if the raw value started with one.

    >>> phone_fallback(" +44 (20) 7946-0000 ")
    '+442079460000'
    """
    text = raw.strip()
    digits = _NOT_PHONE_CHARS.sub("", text)
    return ("+" + digits) if text.startswith("+") and digits else digits


def normalise_phone(raw: str, region: str | None = None) -> str:
    """E.164 when ``phonenumbers`` can parse the number (``region`` for national formats).

    Cost: O(len(raw)).

    >>> normalise_phone("020 7946 0000", region="GB")
    '+442079460000'
    """
    if _phonenumbers is not None:
        try:
            parsed = _phonenumbers.parse(raw, region)
        except _phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and _phonenumbers.is_possible_number(parsed):
            return str(_phonenumbers.format_number(parsed, _phonenumbers.PhoneNumberFormat.E164))
    return phone_fallback(raw)


def normalise_email(text: str) -> str:
    """Lower-cased (``str.lower``) and NFC-normalised, so one address has one spelling.

    Not ``str.casefold``: it rewrites ``ß`` as ``ss`` (and ``ς`` as ``σ``…), which would make two
    different mailboxes one customer. NFC makes a composed and a decomposed ``é`` the same
    character. ASCII addresses are simply lower-cased. Cost: O(len(text)).

    >>> normalise_email("Straße@Example.com"), normalise_email("STRASSE@example.com")
    ('straße@example.com', 'strasse@example.com')
    >>> normalise_email("Jose\u0301@example.com") == normalise_email("Jos\u00e9@example.com")
    True
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


def normalise(kind: str, raw: str, *, region: str | None = None) -> str:
    """The canonical form of an identity value, or :class:`InvalidIdentity`. Cost: O(len(raw)).

    >>> normalise("account", " AC-17 ")
    'AC-17'
    """
    if kind not in KINDS:
        raise InvalidIdentity(f"identity kind {kind!r}: must be one of {', '.join(KINDS)}")
    if not isinstance(raw, str):
        raise InvalidIdentity(
            f"{kind} identity: the value must be a string, not {type(raw).__name__}"
        )
    text = raw.strip()
    if not text:
        raise InvalidIdentity(f"{kind} identity: the value is empty")
    if len(text) > _MAX_LENGTH:
        raise InvalidIdentity(f"{kind} identity: longer than {_MAX_LENGTH} characters")
    if "\x00" in text:  # PostgreSQL cannot store it, so no store takes it
        raise InvalidIdentity(f"{kind} identity: contains a NUL character")
    if kind == "phone":
        value = normalise_phone(text, region)
        if len(value.lstrip("+")) < 3:
            raise InvalidIdentity(f"phone identity {mask(text)!r}: fewer than 3 digits")
        return value
    if kind == "email":
        value = normalise_email(text)
        local, _at, domain = value.partition("@")
        if not local or not domain or "@" in domain:
            raise InvalidIdentity(
                f"email identity {mask(value)!r}: needs one '@' between two parts"
            )
        return value
    return text


def _kind(_inst: Any, _attr: Any, value: Any) -> None:
    if value not in KINDS:
        raise InvalidIdentity(f"identity kind {value!r}: must be one of {', '.join(KINDS)}")


@attrs.frozen(slots=True)
class Identity:
    """A normalised identity. The value is personal data: ``repr`` masks it.

    Use :meth:`phone` to parse a national number with a default region.
    """

    kind: str = attrs.field(validator=_kind)
    value: str = attrs.field(repr=lambda v: repr(mask(v)))

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "value", normalise(self.kind, self.value))

    @classmethod
    def phone(cls, raw: str, *, region: str | None = None) -> Identity:
        """A phone identity parsed with a default region (e.g. ``"GB"``). Cost: O(len(raw)).

        >>> Identity.phone("020 7946 0000", region="GB") == Identity("phone", "+442079460000")
        True
        """
        return cls("phone", normalise_phone(raw.strip(), region) if raw.strip() else raw)

    def masked(self) -> str:
        """``kind:masked-value`` for briefs and logs. Cost: O(len(value))."""
        return f"{self.kind}:{mask(self.value)}"
