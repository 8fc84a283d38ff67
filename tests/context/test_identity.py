from __future__ import annotations

import pytest

from experiencehub import CallerError
from experiencehub.context import Identity, InvalidIdentity
from experiencehub.context import identity as identity_module


def test_phone_numbers_are_normalised_to_e164() -> None:
    assert Identity("phone", "+44 20 7946 0000") == Identity("phone", "+442079460000")
    assert Identity("phone", "+44 (0)20 7946-0000").value == "+442079460000"
    assert Identity.phone("020 7946 0000", region="GB").value == "+442079460000"
    assert Identity.phone("(415) 555-0100", region="US").value == "+14155550100"


def test_emails_are_lower_cased_and_trimmed() -> None:
    assert Identity("email", " Ann@Example.COM ").value == "ann@example.com"


def test_chat_sessions_and_accounts_are_trimmed_but_keep_case() -> None:
    assert Identity("chat_session", " s-AbC ").value == "s-AbC"
    assert Identity("account", "AC-17") != Identity("account", "ac-17")


def test_fallback_without_phonenumbers_keeps_digits_and_leading_plus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(identity_module, "_phonenumbers", None)
    assert Identity("phone", "+44 20 7946 0000").value == "+442079460000"
    assert Identity("phone", "020-7946-0000").value == "02079460000"


def test_unparseable_phone_falls_back_instead_of_failing() -> None:
    assert Identity("phone", "12345").value == "12345"


@pytest.mark.parametrize(
    ("kind", "value"),
    [("phone", ""), ("phone", "   "), ("phone", "+1"), ("email", "no-at-sign"),
     ("email", "a@b@c"), ("fax", "123"), ("account", "")],
)  # fmt: skip
def test_bad_identities_raise_a_typed_caller_error(kind: str, value: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        Identity(kind, value)
    assert isinstance(caught.value, CallerError)


def test_repr_masks_the_value() -> None:
    text = repr(Identity("email", "ann.smith@example.com"))
    assert "ann.smith" not in text and "example" not in text
    assert Identity("phone", "+442079460000").masked() == "phone:+4*********00"


def test_error_messages_do_not_quote_the_raw_value() -> None:
    with pytest.raises(InvalidIdentity) as caught:
        Identity("email", "annsmith-example.com")
    assert "annsmith-example.com" not in str(caught.value)
