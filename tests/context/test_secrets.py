"""The secret classifier (context/secrets.py) through its one door, ``refuse_secrets``.

A corpus of spellings that must be refused and of ordinary texts and names that must be kept.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiencehub.context import Identity, SecretValueRefused
from experiencehub.context.facts import refuse_secrets
from experiencehub.context.secrets import (
    SECRET_WORDS,
    contains_card_number,
    is_secret_name,
    luhn_valid,
    name_tokens,
    secret_in_text,
)
from experiencehub.context.store import StoreBase

NBSP, NNBSP, ZWSP = "\u00a0", "\u202f", "\u200b"

CARDS_AS_TYPED = [
    "4111.1111.1111.1111", "4111/1111/1111/1111", "4111_1111_1111_1111",
    "4111  1111  1111  1111", f"4111{NBSP}1111{NBSP}1111{NBSP}1111",
    f"4111{NNBSP}1111{NNBSP}1111{NNBSP}1111", "4111 - 1111 - 1111 - 1111",
    "4111-1111.1111/1111", f"4111{ZWSP}1111{ZWSP}1111{ZWSP}1111",
    "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "４１１１ １１１１ １１１１ １１１１",
    "card 4111 1111 1111 1111 12/27", "4111 1111 1111 1111 737", "3400 000000 00009",
    "5500_0000_0000_0004 exp", "ref 12 4111.1111.1111.1111",
]  # fmt: skip
SECRETS_IN_TEXT = [
    "cvv 737", "CVV: 737", "cvv2 737", "cvc=123", "the cvv is 737", "cvv737", "security code 123",
    "Security-code: 123", "card security code is 1234", "737 is the cvv", "PIN 4321",
    "my pin: 0000", "pin:0000", "PIN is 4321", "pin number is 1234", "PIN-code 9876",
    "pin 1 2 3 4", "4321 is my PIN", "new pin set to 2580", "pincode 1234", "Pin#4321",
    "pins 1234 and 5678", "customer said the pin is 4321", "the PIN for the card is 4321",
    "password is hunter2", "Password: hunter2", "password=hunter2", "pwd: s3cret!",
    "passwd hunter2", "my password is now Tr0ub4dor&3", "hunter2 is my password",
    "pass word is letmein", "passphrase: correct-horse", "memorable word is tiger",
    "otp 123456", "OTP is 123 456", "one-time code 482913", "verification code: 5521",
    "passcode 7788", "ssn 123-45-6789", "SSN: 123456789", "dob 03/02/1985", "DOB: 1985-02-03",
    "date of birth is 3 Feb 1985", "born on 12th of March 1990", "birthday: March 3",
    "d.o.b. 3.2.85", "date-of-birth 19850203", '{"cvv": "737"}', "card_cvv 737",
    "pin_code: 4321", "dob_answer 03/02/1985", "cardSecurityCode=123", "user.pwd: hunter2",
]  # fmt: skip
SECRET_NAMES = [
    "card_cvv", "cvv_code", "pin_code", "pwd", "birthday", "dob_answer", "passwd", "security.code",
    "card_number", "cardNumber", "cvv2", "CVV", "pin", "pin1", "customer_pin", "billing.pin",
    "password", "user_password", "passwords", "pass_word", "passcode", "otp", "otp_code",
    "one_time_code", "date_of_birth", "dateOfBirth", "birth_date", "birthdate", "ssn",
    "social_security_number", "pan", "card_pan", "card", "credit_card", "memorable_word",
    "security_answer", "maiden_name", "mothers_maiden_name", "verification_code", "cvc", "cv2",
    "PINCode", "pin-code", "Security Code", "dateofbirth", "cardnumber", "card security code",
    "secret", "pins", "card.cvc2", "topic_pin", "password_reset_count",
]  # fmt: skip
ORDINARY_TEXTS = [
    "topic", "billing dispute", "order 12345678", "call me at +44 20 7946 0000", "pinned message",
    "spinning", "opinion", "shipping 2024-01-31", "order 12345, ref 99", "+442079460000",
    "4111111111111112", "password reset requested", "password is wrong",
    "the password is not working", "PIN locked after 3 attempts", "customer forgot their PIN",
    "reset PIN for order 12345678", "asked what my password was", "cvv on the back of the card",
    "security code was accepted", "otp sent to phone", "birthday gift for daughter",
    "born in Leeds", "date of birth verified in IVR", "happiness survey 9/10",
    "company name Acme Ltd", "refund 12.50 on 2024-02-03", "timestamp 1706659200",
    "delivery 31/01/2024 14:30", "PIN verified", "Issue is password reset", "password: ********",
    "verified in IVR", "DOB verified", "account number 12345678", "card ending 1234",
    "invoice INV-2024-000123", "tracking 1Z999AA10123456784", "password is 8 characters",
    "the pin pad is broken", "call back at 10.30", "pw reset",
    "new password set to expire in 30 days", "what is your password?", "knowledge check",
    "ivr check", "agent check", "pinned_message 1234", "see billing.topic: refund",
    "order_number 12345678",
]  # fmt: skip
ORDINARY_NAMES = [
    "topic", "billing.topic", "postcode", "account_number", "pinned_message", "spinning_class",
    "opinion", "happiness_score", "company", "shipping_address", "note", "evidence",
    "preferred_language", "card_type", "gift_card_balance", "passport_country", "compass_heading",
    "dobby", "panel", "expander", "pinnacle_tier", "spin", "opinion_score", "order_number",
    "phone_number", "last_contact", "company_name", "topicPinned", "shipping",
]  # fmt: skip


def test_the_corpus_is_as_large_as_promised() -> None:
    refused = CARDS_AS_TYPED + SECRETS_IN_TEXT + SECRET_NAMES
    accepted = ORDINARY_TEXTS + ORDINARY_NAMES
    assert len(set(refused)) >= 60 and len(set(accepted)) >= 30


def _quoted_digits_or_words(value: str) -> list[str]:
    return [
        w for w in re.split(r"[\s:=#\"{},]+", value) if len(w) >= 3 and any(c.isdigit() for c in w)
    ]


@pytest.mark.parametrize("text", CARDS_AS_TYPED)
def test_card_numbers_typed_any_way_are_refused(text: str) -> None:
    assert contains_card_number(text) is not None
    with pytest.raises(SecretValueRefused) as caught:
        refuse_secrets("note", text)
    assert "card number" in str(caught.value) and text not in str(caught.value)


@pytest.mark.parametrize("text", SECRETS_IN_TEXT)
def test_secrets_written_in_free_text_are_refused(text: str) -> None:
    assert secret_in_text(text) is not None
    with pytest.raises(SecretValueRefused) as caught:
        refuse_secrets("note", text, what="evidence ")
    message = str(caught.value)
    assert text not in message
    assert not [word for word in _quoted_digits_or_words(text) if word in message]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names_are_refused_by_token(name: str) -> None:
    assert is_secret_name(name)
    with pytest.raises(SecretValueRefused) as caught:
        refuse_secrets(name, "1985-02-03")
    assert "1985" not in str(caught.value)


@pytest.mark.parametrize("text", ORDINARY_TEXTS)
def test_ordinary_texts_are_kept(text: str) -> None:
    assert contains_card_number(text) is None
    assert secret_in_text(text) is None
    refuse_secrets("note", text)


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_ordinary_names_are_kept(name: str) -> None:
    assert not is_secret_name(name)
    refuse_secrets(name, "ordinary value")


def test_old_exact_names_are_still_refused() -> None:
    old = ["card_number", "pan", "card", "cvv", "cvv2", "cvc", "cvc2", "security_code",
           "card_security_code", "pin", "password", "passcode", "passphrase", "otp",
           "one_time_code", "memorable_word", "date_of_birth", "dob", "birth_date", "ssn"]  # fmt: skip
    assert all(is_secret_name(name) for name in old)
    assert all(is_secret_name(word) for word in SECRET_WORDS)


def test_tokens_split_on_separators_camel_case_and_digits() -> None:
    assert name_tokens("billing.cardCVV2_code") == ("billing", "card", "cvv", "2", "code")
    assert name_tokens("Security Code") == ("security", "code")
    assert name_tokens("pin-code") == ("pin", "code")


def test_cards_are_found_in_groups_but_a_single_long_run_is_never_cut() -> None:
    assert contains_card_number("order 41111111111111110001") is None  # one 20-digit run
    assert contains_card_number("4111 1111 1111 1111 0001") == 16  # a card, then more groups
    assert contains_card_number("2024-01-31") is None
    assert contains_card_number("+44 20 7946 0000") is None  # 12 digits


def test_non_ascii_digits_are_luhn_checked() -> None:
    assert luhn_valid("٤١١١١١١١١١١١١١١١")  # Arabic-Indic 4111 1111 1111 1111


def _luhn_complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


separators = st.sampled_from([" ", "-", ".", "/", "_", "  ", NBSP, NNBSP, " - ", ZWSP])


@given(
    body=st.text("0123456789", min_size=12, max_size=18),
    cuts=st.lists(st.integers(1, 18), max_size=5, unique=True),
    seps=st.lists(separators, min_size=5, max_size=5),
)
def test_any_luhn_valid_number_of_13_to_19_digits_is_found_however_it_is_split(
    body: str, cuts: list[int], seps: list[str]
) -> None:
    digits = _luhn_complete(body)
    pieces, last = [], 0
    for i, cut in enumerate(sorted(c for c in cuts if c < len(digits))):
        pieces += [digits[last:cut], seps[i]]
        last = cut
    text = "paid with " + "".join([*pieces, digits[last:]]) + " today"
    # a shorter window of leading groups may be Luhn-valid too and be found first
    assert contains_card_number(text) in range(13, len(digits) + 1)
    with pytest.raises(SecretValueRefused):
        refuse_secrets("note", text)


@given(
    digits=st.text("0123456789", min_size=1, max_size=12),
    cuts=st.lists(st.integers(1, 11), max_size=4, unique=True),
    sep=separators,
)
def test_twelve_digits_or_fewer_are_never_a_card(digits: str, cuts: list[int], sep: str) -> None:
    pieces, last = [], 0
    for cut in sorted(c for c in cuts if c < len(digits)):
        pieces += [digits[last:cut], sep]
        last = cut
    assert contains_card_number("ref " + "".join([*pieces, digits[last:]])) is None


@pytest.mark.parametrize(
    ("attempt", "field"),
    [("note", "cvv 737"), ("note", "4111.1111.1111.1111"), ("card_cvv", "737"),
     ("pin_code", "4321"), ("dob_answer", "03/02/1985"), ("topic", "password is hunter2")],
)  # fmt: skip
def test_stores_refuse_them_and_write_nothing(store: StoreBase, attempt: str, field: str) -> None:
    phone, email = Identity("phone", "+442079460000"), Identity("email", "ann@example.com")
    cust = store.resolve(phone, at=0.0)
    with pytest.raises(SecretValueRefused):
        store.record_fact(cust, attempt, field, channel="chat", at=1.0)
    with pytest.raises(SecretValueRefused):
        store.record_contact(
            cust, contact_id="c1", channel="chat", at=1.0, topic=f"{attempt} {field}"
        )
    with pytest.raises(SecretValueRefused):
        store.link(phone, email, at=1.0, evidence=f"read out {attempt} {field}")
    assert store.facts(cust, at=2.0) == () and store.contacts(cust) == ()
    assert store.find(email) is None
