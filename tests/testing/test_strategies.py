"""The toolkit's registered strategies: ``st.from_type(T)`` draws valid instances of every event,
decision and context value type (round-trip through the wire format, accepted by a store as they
are), and importing ``experiencehub.testing`` registers them. Cost: about 5 s."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import wire
from experiencehub.context import (
    AuditEntry,
    BriefedOffer,
    ContactEntry,
    Fact,
    HandoffBrief,
    Identity,
    JourneyStep,
    MemoryContextStore,
    PreferredChannel,
)
from experiencehub.core import decisions as dc
from experiencehub.core.criteria import CriteriaStep, RoutingCriteria
from experiencehub.testing import strategies as hs

SOME = settings(
    max_examples=30,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
WIRE_TYPES = sorted({**wire.EVENT_TYPES, **wire.DECISION_TYPES}.items())


def test_every_event_decision_and_context_type_is_registered() -> None:
    context = {Identity, Fact, ContactEntry, JourneyStep, HandoffBrief, AuditEntry, BriefedOffer,
               PreferredChannel}  # fmt: skip
    wanted = {*wire.EVENT_TYPES.values(), *wire.DECISION_TYPES.values(), *context}
    values = {dc.Candidate, dc.Explanation, RoutingCriteria, CriteriaStep}
    assert wanted | values == set(hs.REGISTERED)


@pytest.mark.parametrize(("name", "cls"), WIRE_TYPES, ids=[n for n, _ in WIRE_TYPES])
def test_events_and_decisions_from_type_round_trip_the_wire(name: str, cls: type) -> None:
    """Decoding runs the constructor's validators, so an invalid value would be refused."""

    @SOME
    @given(st.from_type(cls))
    def check(value: Any) -> None:
        assert type(value) is cls
        assert wire.loads(wire.dumps(value)) == value
        for field in attrs.fields(cls):
            if field.validator is not None:
                field.validator(value, field, getattr(value, field.name))

    check()


@SOME
@given(st.from_type(Identity))
def test_identities_are_normalised_once_and_for_all(identity: Identity) -> None:
    assert Identity(identity.kind, identity.value) == identity  # normalising is idempotent
    store = MemoryContextStore()
    customer = store.resolve(identity, at=0.0)
    assert store.find(identity) == customer and store.identities(customer) == (identity,)


def _store_and_customer() -> tuple[MemoryContextStore, str]:
    store = MemoryContextStore()
    return store, store.resolve(Identity("account", "AC-1"), at=0.0)


@SOME
@given(st.from_type(Fact))
def test_facts_are_stored_as_they_are(fact: Fact) -> None:
    store, customer = _store_and_customer()
    fact = attrs.evolve(fact, customer_id=customer)
    valid_for = fact.expires_at - fact.observed_at
    if fact.is_verification:
        assert fact.method is not None
        stored = store.record_verification(
            customer, fact.name, channel=fact.channel, at=fact.observed_at, valid_for=valid_for,
            method=fact.method, contact_id=fact.contact_id,
        )  # fmt: skip
    else:
        assert fact.value is not None
        stored = store.record_fact(
            customer, fact.name, fact.value, channel=fact.channel, at=fact.observed_at,
            sensitivity=fact.sensitivity, valid_for=valid_for, verified=fact.verified,
            contact_id=fact.contact_id,
        )  # fmt: skip
    assert stored == fact
    assert store.facts(customer, at=fact.observed_at) == (fact,)


@SOME
@given(st.from_type(ContactEntry))
def test_contact_entries_are_stored_as_they_are(entry: ContactEntry) -> None:
    store, customer = _store_and_customer()
    entry = attrs.evolve(entry, customer_id=customer)
    fields = attrs.asdict(entry)
    del fields["customer_id"]
    assert store.record_contact(customer, **fields) == entry
    assert store.contacts(customer) == (entry,)


@SOME
@given(st.from_type(HandoffBrief), st.from_type(JourneyStep), st.from_type(BriefedOffer))
def test_briefs_are_built_as_the_stores_build_them(
    brief: HandoffBrief, step: JourneyStep, offer: BriefedOffer
) -> None:
    assert isinstance(brief, HandoffBrief) and brief.render().startswith("Customer ")
    assert isinstance(step, JourneyStep) and step.contact_id in step.describe()
    assert isinstance(offer.offer, dc.Offer) and offer.contact_id == offer.offer.contact_id
    assert wire.loads(wire.dumps(offer.offer)) == offer.offer


def test_registration_is_idempotent_and_happens_on_import() -> None:
    hs.register_strategies()
    hs.register_strategies()
    # a fresh interpreter: without registration, from_type(Identity) would draw any two strings
    # and the constructor would refuse most of them
    script = (
        "import experiencehub.testing, hypothesis.strategies as st\n"
        "from hypothesis import given, settings\n"
        "from experiencehub.context import Identity\n"
        "from experiencehub import events as ev\n"
        "@settings(max_examples=20, database=None)\n"
        "@given(st.from_type(Identity), st.from_type(ev.ContactArrived))\n"
        "def check(identity, arrival): assert identity.kind in ('phone', 'email', 'chat_session', 'account')\n"
        "check()\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
