"""Secret detection: the one rule that says whether a fact name or a piece of text holds a secret.

The stores never call this module directly: they call :func:`.facts.refuse_secrets`, which asks the
three classifiers here and raises. Each answers with the *kind* of secret (``"a PIN"``), never the
secret itself, so no caller can put the value in an error message or a log line.

- **Card numbers** (:func:`contains_card_number`): a run of digit groups split by any mix of
  separators — spaces (also non-breaking, double and zero-width ones), dashes, dots, slashes,
  underscores — with 13–19 digits in some consecutive groups and a valid Luhn checksum. One group
  is never cut, so order numbers and timestamps written as one run of digits are left alone.
- **Secret names** (:func:`is_secret_name`): the name is split into tokens (on ``_ . -``, spaces,
  camelCase and digits) and refused when a token, or one to four adjacent tokens written together,
  is a secret word (:data:`SECRET_WORDS`): ``card_cvv``, ``pin_code``, ``security.code``,
  ``dateOfBirth``. Whole tokens only, so ``spin``, ``pinned``, ``opinion`` and ``company`` pass.
- **Secrets in free text** (:func:`secret_in_text`): a secret keyword (``cvv``, ``PIN``,
  ``password``, ``date of birth``…) followed within a few filler words (``is``, ``my``, ``:``…) by
  a value — digits for codes, a date for a date of birth, a word after ``is``/``:``/``=`` for a
  password — or such a value followed by ``is``/``was`` and the keyword (``4321 is my PIN``).

It is a classifier, not a proof: text that names no secret and reads like prose passes, and a few
ordinary texts are refused (a 13–19 digit list of numbers split only by spaces or dots is
Luhn-valid about one time in ten; ``password is purple`` is read as a password).

>>> contains_card_number("card 4111.1111.1111.1111"), is_secret_name("cvv_code")
(16, True)
>>> secret_in_text("my pin: 0000"), secret_in_text("pinned message, order 12345678")
('a PIN', None)
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "SECRET_WORDS",
    "contains_card_number",
    "is_secret_name",
    "luhn_valid",
    "name_tokens",
    "secret_in_text",
]

# -- card numbers -------------------------------------------------------------------------------
_SEPARATOR = r"[\s._/\\\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]"
# Digit groups joined by 1–3 separator characters ("4111 - 1111", double spaces). Separators and
# digits are disjoint classes, so the match is linear in the text.
_DIGIT_RUN = re.compile(rf"(?<!\d)\d+(?:{_SEPARATOR}{{1,3}}\d+)*(?!\d)")
_GROUP = re.compile(r"\d+")
_CARD_MIN, _CARD_MAX = 13, 19


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by payment card numbers. Cost: O(len(digits)).

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card_in_groups(groups: list[str]) -> int | None:
    """Digits in the first window of consecutive whole groups that is a card number."""
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > _CARD_MAX:
                break
            if len(digits) >= _CARD_MIN and luhn_valid(digits):
                return len(digits)
    return None


def contains_card_number(text: str) -> int | None:
    """Length of the first card number in ``text``, or None. Cost: O(len(text)).

    A card number is 13–19 digits in consecutive groups of a run, Luhn-valid. Groups may be split
    by any mix of separators (``4111 1111.1111_1111``, ``4111\\u00a01111…``, ``4111  1111…``),
    and a card followed by its expiry or security code in the same run is still found. A group is
    never cut: order numbers and timestamps written as one run of digits are not mistaken for
    cards, nor are dates (``2024-01-31``, 8 digits) or phone numbers of up to 12 digits. A 13–19
    digit phone number written as one run can be (about one in ten is Luhn-valid), so keep phone
    numbers in identities, which are not scanned.

    >>> contains_card_number("ref 5500-0000-0000-0004 please"), contains_card_number("+442079460000")
    (16, None)
    >>> contains_card_number("4111 1111 1111 1111 12/27"), contains_card_number("due 2024-01-31")
    (16, None)
    """
    for match in _DIGIT_RUN.finditer(text):
        found = _card_in_groups(_GROUP.findall(match.group()))
        if found is not None:
            return found
    return None


# -- secret names --------------------------------------------------------------------------------
SECRET_WORDS = frozenset(
    {
        # card data and card security codes
        "pan", "cardnumber", "cardno", "cardnum", "cardnr", "primaryaccountnumber",
        "cvv", "cvv2", "cvc", "cvc2", "cv2", "cav2", "cvn", "csc", "securitycode",
        "securitynumber", "cardverificationvalue", "cardverificationcode", "cardverification",
        # PINs, passwords, one-time codes
        "pin", "pincode", "pinnumber", "pwd", "pw", "passwd", "password", "passcode",
        "passphrase", "passwort", "kennwort", "motdepasse", "otp", "totp", "hotp", "onetimecode",
        "onetimepin", "onetimepasscode", "verificationcode", "authcode", "authenticationcode",
        "accesscode", "smscode", "secret",
        # knowledge-based answers
        "memorableword", "memorableanswer", "memorablephrase", "memorableinformation",
        "securityanswer", "secretanswer", "securityquestionanswer", "maidenname",
        # dates of birth and national identifiers used to authenticate
        "dob", "birthday", "birthdate", "dateofbirth", "ssn", "socialsecurity",
        "socialsecuritynumber",
    }
)  # fmt: skip
"""Secret words a fact name is matched against, token by token (see :func:`is_secret_name`)."""

_EXACT_SECRET_NAMES = frozenset(
    {"card", "creditcard", "debitcard", "paymentcard", "carddetails", "carddata", "cardinfo"}
)
"""Names that are secrets only on their own: ``card_type`` or ``gift_card_balance`` are not."""

_NAME_TOKEN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_A-Za-z]+")
_MAX_JOINED = 4


def name_tokens(name: str) -> tuple[str, ...]:
    """Lower-case tokens of a name: split on anything not a letter or digit, camelCase, digits.

    Cost: O(len(name)).

    >>> name_tokens("billing.cardCVV2_code"), name_tokens("PINCode")
    (('billing', 'card', 'cvv', '2', 'code'), ('pin', 'code'))
    """
    text = unicodedata.normalize("NFKC", name)
    return tuple(token.lower() for token in _NAME_TOKEN.findall(text))


def _is_secret_word(word: str) -> bool:
    return word in SECRET_WORDS or (word.endswith("s") and word[:-1] in SECRET_WORDS)


@functools.lru_cache(maxsize=1024)  # names repeat (topic, postcode…) and are never secrets
def is_secret_name(name: str) -> bool:
    """True if ``name`` names a secret: a token, or up to four adjacent tokens written together,
    is a secret word (``pin_code``, ``card_cvv``, ``date_of_birth``, ``Pass-Word``). Whole tokens
    only: ``spin``, ``pinned``, ``opinion``, ``happiness``, ``company`` are not secrets.
    ``card`` is a secret only as the whole name (``card_type`` is not).
    Cost: O(len(name)).

    >>> [is_secret_name(n) for n in ("security.code", "dob_answer", "pinned_topic", "account_number")]
    [True, True, False, False]
    """
    tokens = name_tokens(name)
    if "".join(tokens) in _EXACT_SECRET_NAMES:
        return True
    for start in range(len(tokens)):
        for end in range(start + 1, min(start + _MAX_JOINED, len(tokens)) + 1):
            if _is_secret_word("".join(tokens[start:end])):
                return True
    return False


# -- secrets in free text ------------------------------------------------------------------------
_CODE, _PASSWORD, _BIRTH, _ANY = "code", "password", "birth", "any"
_GAP = r"[\s_.\-]*"  # "pin code", "pin_code", "pin-code", "pincode"
_KEYWORDS: tuple[tuple[str, str, str], ...] = (
    # (pattern, kind shown in the error, what its value looks like); {_} is a gap between words
    (r"(?:card{_})?security{_}code|card{_}verification{_}(?:value|code)|"
     r"cvv2|cvc2|cvv|cvc|cv2|cav2|cvn|csc", "a security code", _CODE),
    (r"pins?(?:{_}(?:code|number|no))?", "a PIN", _CODE),
    (r"one{_}time{_}(?:pass)?(?:code|pin)|otp|totp|passcodes?|verification{_}code|"
     r"auth(?:entication)?{_}code|sms{_}code|access{_}code", "a one-time code", _CODE),
    (r"social{_}security{_}(?:number|no)|ssn", "a social security number", _CODE),
    (r"pass{_}words?|passwd|pwd|pw|passphrase|memorable{_}word|secret{_}answer|"
     r"security{_}answer", "a password", _PASSWORD),
    (r"(?:date{_}of{_}birth|d\.?o\.?b\.?|birth{_}date|birthday|born)(?:\s+on)?",
     "a date of birth", _BIRTH),
)  # fmt: skip
_NOT_LETTER_BEFORE, _NOT_LETTER_AFTER = r"(?<![^\W\d_])", r"(?![^\W\d_])"
# A field name written in text ("card_cvv: 737", "dobAnswer 03/02/1985"): snake, dotted or camel.
_FIELD = re.compile(r"(?<!\w)(?:[A-Za-z][A-Za-z0-9]*(?:[_.][A-Za-z0-9]+)+|[a-z]+[A-Z]\w*)")
_FIELD_HINT = re.compile(r"[_.]|[a-z][A-Z]")  # most texts have none: skip the slower scan
_KEYWORD = re.compile(
    _NOT_LETTER_BEFORE
    + "(?:"
    + "|".join(
        f"(?P<k{index}>{pattern.format(_=_GAP)})"
        for index, (pattern, _kind, _value) in enumerate(_KEYWORDS)
    )
    + ")"
    + _NOT_LETTER_AFTER,  # outside the alternation: three times faster than inside each branch
    re.IGNORECASE,
)
_CONNECTORS = frozenset({"is", "was", "are", "were", "=", ":", "-", "->", "=>", "equals", "reads"})
_FILLERS = frozenset(
    {"my", "the", "your", "his", "her", "their", "our", "a", "new", "old", "current", "number",
     "no", "num", "code", "it", "its", "it's", "now", "just", "still", "being", "be", "will",
     "set", "to", "of", "for", "card", "s", "#", "–", "—"}
)  # fmt: skip
_NOT_A_PASSWORD = frozenset(
    {"wrong", "incorrect", "correct", "right", "invalid", "valid", "expired", "expiring",
     "locked", "blocked", "reset", "changed", "change", "updated", "forgotten", "lost", "not",
     "too", "required", "needed", "missing", "empty", "blank", "weak", "strong", "fine", "ok",
     "okay", "good", "bad", "working", "broken", "same", "different", "unknown", "case",
     "sensitive", "short", "long", "hidden", "masked", "redacted", "accepted", "rejected",
     "also", "in", "on", "at", "with", "and", "or", "but", "that", "this", "what", "which",
     "sent", "emailed", "texted", "known", "unchanged", "saved", "stored", "entered", "typed",
     "none", "n/a", "null", "verified", "confirmed", "protected", "compromised", "shared",
     "due", "about", "from", "by", "via", "after", "before", "over", "under", "expire",
     "expires", "expiry", "requested", "pending", "disabled", "enabled", "active", "inactive"}
)  # fmt: skip
_EDGE = ":=#.,;!?\"'()[]{}<>-"
_NEXT_WORD = re.compile(r"\s*(\S+)")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\d{{1,4}}[/.\-]\d{{1,2}}(?:[/.\-]\d{{2,4}})?(?!\d)"
    rf"|(?:19|20)\d{{6}}(?!\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?![^\W\d_])"
    rf"|{_MONTH}\s+\d{{1,2}}(?!\d)",
    re.IGNORECASE,
)
_WINDOW_WORDS = 5
_LOOK_BACK_CHARS = 200  # enough for five words; keeps the scan linear
_CODE_DIGITS = (3, 12)
_MASK_CHARS = frozenset("*•xX#.·-_")


def _digit_value(words: list[str]) -> bool:
    """The words start with 3–12 digits, possibly typed in groups (``123 456``, ``1 2 3 4``)."""
    digits = ""
    for word in words:
        core = word.strip(_EDGE).replace("-", "")
        if not core.isdigit():
            return False
        digits += core
        if len(digits) >= _CODE_DIGITS[0]:
            return len(digits) <= _CODE_DIGITS[1]
        if word != word.rstrip(_EDGE):
            return False
    return False


def _password_value(word: str, connected: bool) -> bool:
    """After ``is``/``:``/``=`` any word that is not a status word (``wrong``, ``reset``…) or a
    mask (``****``); without one, only a word mixing letters with digits or symbols."""
    core = word.strip(_EDGE)
    if len(core) < 3 or set(core) <= _MASK_CHARS or core.lower() in _NOT_A_PASSWORD:
        return False
    return connected or any(c.isdigit() for c in core) or not core.isalnum()


def _value_follows(kind: str, words: list[str], text_after: str, connected: bool) -> bool:
    if kind == _CODE:
        return _digit_value(words)
    if kind == _PASSWORD:
        return _digit_value(words) or _password_value(words[0], connected)
    if kind == _BIRTH:
        return _DATE.match(text_after) is not None
    return (
        _digit_value(words)
        or _DATE.match(text_after) is not None
        or _password_value(words[0], connected)
    )


def _connects(word: str, bare: str) -> bool:
    lead = word[: len(word) - len(word.lstrip(_EDGE))] if bare else word
    return bare in _CONNECTORS or word in _CONNECTORS or ":" in lead or "=" in lead


def _forward(text: str, end: int, value_kind: str) -> bool:
    """A value within a few filler words after the keyword ending at ``end``."""
    connected = False
    position = end
    for _ in range(_WINDOW_WORDS):
        found = _NEXT_WORD.match(text, position)
        if found is None:
            return False
        word, position = found.group(1), found.end()
        bare = word.strip(_EDGE).lower()
        connected = connected or _connects(word, bare)
        if not bare or bare in _CONNECTORS or bare in _FILLERS:
            continue
        start = found.start(1) + len(word) - len(word.lstrip(_EDGE))
        rest = text[start:].split(maxsplit=_WINDOW_WORDS)
        return _value_follows(value_kind, rest, text[start:], connected)
    return False


def _backward(text: str, start: int, value_kind: str) -> bool:
    """``<value> is my <keyword>``: a value, then a connector, then fillers, then the keyword."""
    words = text[max(0, start - _LOOK_BACK_CHARS) : start].split()[-_WINDOW_WORDS:]
    connected = False
    for word in reversed(words):
        bare = word.strip(_EDGE).lower()
        if bare in _CONNECTORS:
            connected = True
            continue
        if bare in _FILLERS or not bare:
            continue
        if not connected or value_kind == _BIRTH:
            return False
        # no connector reading here: "Issue is password reset" names no password
        return _value_follows(value_kind, [word], word, connected=False)
    return False


def secret_in_text(text: str) -> str | None:
    """The kind of the first secret written in ``text`` (``"a PIN"``), or None. Never the value.

    A secret is a keyword (security code, PIN, one-time code, password, date of birth, SSN and
    their abbreviations, whole words, any case) with its value next to it: within a few filler
    words after it (``cvv 737``, ``PIN is 4321``, ``my pin: 0000``, ``password is hunter2``,
    ``dob 03/02/1985``), or before it with ``is``/``was`` (``4321 is my PIN``); or a secret field
    name (:func:`is_secret_name`) written as ``card_cvv``, ``pin.code`` or ``dobAnswer`` followed
    by digits, a date or ``: <word>``. Digit values are 3–12 digits; a password is any word after
    ``is``/``:``/``=`` that is not a status word (``password is wrong``) or a mask (``****``),
    and, with no connector, a word mixing letters with digits or symbols (``password hunter2``,
    not ``password reset``). Card numbers are :func:`contains_card_number`'s job.
    Cost: O(len(text)).

    >>> secret_in_text("security code 123"), secret_in_text("password reset requested")
    ('a security code', None)
    """
    text = unicodedata.normalize("NFKC", text)
    for match in _KEYWORD.finditer(text):
        index = int(str(match.lastgroup)[1:])
        _pattern, kind, value_kind = _KEYWORDS[index]
        if _forward(text, match.end(), value_kind) or _backward(text, match.start(), value_kind):
            return kind
    fields = _FIELD.finditer(text) if _FIELD_HINT.search(text) else ()
    for match in fields:
        if is_secret_name(match.group()) and _forward(text, match.end(), _ANY):
            return "a secret field's value"
    return None
