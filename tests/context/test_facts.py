from __future__ import annotations

import pytest

from experiencehub.context import Fact, SecretValueRefused
from experiencehub.context.facts import contains_card_number, luhn_valid, refuse_secrets

CARDS = ["4111111111111111", "5500 0000 0000 0004", "3400-0000-0000-009", "6011000000000004"]


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers_are_found_in_free_text(card: str) -> None:
    assert contains_card_number(f"customer read out {card} twice") is not None
    with pytest.raises(SecretValueRefused) as caught:
        refuse_secrets("note", f"card is {card}")
    assert card not in str(caught.value)


def test_numbers_that_are_not_cards_pass() -> None:
    assert contains_card_number("+442079460000") is None  # 12 digits
    assert contains_card_number("4111111111111112") is None  # Luhn fails
    assert contains_card_number("order 12345, ref 99") is None
    assert luhn_valid("79927398713")


@pytest.mark.parametrize(
    "name", ["card_number", "cvv", "security_code", "pin", "password", "date_of_birth", "dob"]
)
def test_secret_names_are_refused_whatever_the_value(name: str) -> None:
    with pytest.raises(SecretValueRefused) as caught:
        refuse_secrets(name, "1985-02-03")
    assert "1985" not in str(caught.value)


def test_secret_sensitivity_is_refused() -> None:
    with pytest.raises(SecretValueRefused):
        refuse_secrets("mothers_maiden_name", "Smith", "secret")


def test_personal_values_are_masked_in_repr_and_masked_copy() -> None:
    fact = Fact(customer_id="cust-1", name="postcode", value="SW1A 1AA", channel="ivr",
                observed_at=0.0, expires_at=10.0, sensitivity="personal")  # fmt: skip
    assert "SW1A" not in repr(fact)
    assert fact.masked().value == "SW****AA"
    assert fact.value == "SW1A 1AA"
    normal = Fact(customer_id="cust-1", name="topic", value="billing", channel="chat",
                  observed_at=0.0, expires_at=10.0)  # fmt: skip
    assert "billing" in repr(normal) and normal.masked() is normal
