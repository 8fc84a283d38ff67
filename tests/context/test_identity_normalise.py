"""E-mail normalisation keeps distinct mailboxes distinct (casefold merged ß with ss)."""

from __future__ import annotations

import pytest

from experiencehub.context import Identity, MemoryContextStore
from experiencehub.context.identity import normalise


def test_sharp_s_and_ss_are_different_addresses() -> None:
    assert Identity("email", "Straße@example.com") != Identity("email", "strasse@example.com")
    assert Identity("email", "Straße@example.com").value == "straße@example.com"
    assert Identity("email", "strasse@example.com").value == "strasse@example.com"


def test_sharp_s_and_ss_stay_two_customers_in_a_store() -> None:
    store = MemoryContextStore()
    one = store.resolve(Identity("email", "Straße@example.com"), at=0.0)
    two = store.resolve(Identity("email", "strasse@example.com"), at=0.0)
    assert one != two
    assert store.find(Identity("email", "STRAßE@EXAMPLE.COM")) == one


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Ann@Example.COM", "ann@example.com"), ("  ANN@EXAMPLE.COM ", "ann@example.com"),
     ("ann@example.com", "ann@example.com"), ("Ann.Smith+Tag@Mail.Example.ORG", "ann.smith+tag@mail.example.org")],
)  # fmt: skip
def test_ascii_addresses_are_still_case_insensitive(raw: str, expected: str) -> None:
    assert normalise("email", raw) == expected
    assert Identity("email", raw) == Identity("email", expected)


def test_other_casefold_merges_do_not_happen() -> None:
    # casefold maps final sigma to sigma and the ligature "ﬀ" to "ff"; lower() keeps them apart
    assert Identity("email", "ΟΔΟΣ@example.gr") == Identity("email", "οδος@example.gr")
    assert Identity("email", "οδος@example.gr") != Identity("email", "οδοσ@example.gr")
    assert Identity("email", "oﬀ@example.com") != Identity("email", "off@example.com")


def test_composed_and_decomposed_accents_are_one_address() -> None:
    composed = Identity("email", "Jos\u00e9@example.com")
    decomposed = Identity("email", "Jose\u0301@example.com")
    assert composed == decomposed and composed.value == "jos\u00e9@example.com"
