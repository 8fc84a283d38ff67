"""Behaviour every ContextStore must show; runs on the memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

import pytest

from experiencehub import CallerError
from experiencehub.context import (
    Identity,
    IdentityConflict,
    InvalidChannel,
    InvalidFact,
    InvalidIdentity,
    SecretValueRefused,
    UnknownCustomer,
)
from experiencehub.context.store import StoreBase

PHONE = Identity("phone", "+44 20 7946 0000")
EMAIL = Identity("email", "ann@example.com")
CHAT = Identity("chat_session", "s-1")


def snapshot(store: StoreBase, cust: str) -> tuple[object, ...]:
    return (
        store.identities(cust),
        store.facts(cust, at=0.0),
        store.contacts(cust),
        store.owner(cust),
        store.audit(),
    )


def test_resolve_creates_once_and_finds_by_any_spelling(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    assert store.resolve(Identity("phone", "+442079460000"), at=1.0) == cust
    assert store.find(PHONE) == cust
    assert store.find(EMAIL) is None
    assert store.resolve(EMAIL, at=2.0) != cust


def test_link_attaches_a_new_identity_with_evidence(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    assert store.link(PHONE, EMAIL, at=1.0, evidence="verified in IVR") == cust
    assert store.find(EMAIL) == cust
    assert store.identities(cust) == (EMAIL, PHONE)


def test_link_of_two_unknown_identities_creates_one_customer(store: StoreBase) -> None:
    cust = store.link(EMAIL, CHAT, at=0.0, evidence="logged-in chat")
    assert store.find(EMAIL) == store.find(CHAT) == cust


def test_merge_keeps_both_histories_and_old_ids_still_work(store: StoreBase) -> None:
    first = store.resolve(PHONE, at=0.0)
    second = store.resolve(EMAIL, at=1.0)
    store.record_contact(first, contact_id="c1", channel="phone", at=2.0, agent_id="a1")
    store.record_contact(second, contact_id="c2", channel="email", at=3.0, agent_id="a2")
    store.record_fact(second, "topic", "refund", channel="email", at=3.0)
    store.set_owner(second, "a9", at=3.0)
    merged = store.link(PHONE, EMAIL, at=4.0, evidence="same account verified")
    assert merged == first  # the older customer survives
    assert store.canonical(second) == first
    assert [c.contact_id for c in store.contacts(second)] == ["c2", "c1"]
    assert [f.value for f in store.facts(first, at=4.0)] == ["refund"]
    assert store.owner(first) == "a9"
    assert all(c.customer_id == first for c in store.contacts(first))


def test_merging_a_merged_customer_again_keeps_aliases_one_hop(store: StoreBase) -> None:
    a = store.resolve(PHONE, at=0.0)
    b = store.resolve(EMAIL, at=0.0)
    c = store.resolve(CHAT, at=0.0)
    store.link(EMAIL, CHAT, at=1.0, evidence="same chat login")  # c → b
    store.link(PHONE, CHAT, at=2.0, evidence="caller read out the chat reference")  # b → a
    assert store.canonical(b) == store.canonical(c) == a
    store.forget(c)
    for old in (a, b, c):
        with pytest.raises(UnknownCustomer):
            store.canonical(old)


def test_conflicting_link_is_reported_and_nothing_merges(store: StoreBase) -> None:
    one = store.link(PHONE, Identity("account", "AC-1"), at=0.0, evidence="account login")
    two = store.link(EMAIL, Identity("account", "AC-2"), at=0.0, evidence="account login")
    with pytest.raises(IdentityConflict) as caught:
        store.link(PHONE, EMAIL, at=1.0, evidence="agent guessed")
    assert "ann@" not in str(caught.value) and "AC-1" not in str(caught.value)
    assert store.find(PHONE) == one and store.find(EMAIL) == two
    with pytest.raises(IdentityConflict):
        store.link(PHONE, Identity("account", "AC-3"), at=1.0, evidence="typo")
    assert store.find(Identity("account", "AC-3")) is None


def test_verification_expires_and_is_never_returned_after(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    fact = store.record_verification(cust, "date_of_birth", channel="ivr", at=10.0, valid_for=900)
    assert fact.value is None and fact.verified and fact.method == "knowledge"
    assert store.facts(cust, at=909.0) == (fact,)
    assert store.facts(cust, at=910.0) == ()


def test_facts_carry_provenance(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    store.record_fact(
        cust, "topic", "billing dispute", channel="chat", at=5.0, contact_id="c7", valid_for=60
    )
    (fact,) = store.facts(cust, at=6.0)
    assert (fact.channel, fact.contact_id, fact.observed_at, fact.expires_at) == (
        "chat",
        "c7",
        5.0,
        65.0,
    )
    assert fact.customer_id == cust


def test_default_validity_is_the_retention_period(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    fact = store.record_fact(cust, "topic", "x", channel="chat", at=0.0)
    assert fact.expires_at == store.retention_seconds


@pytest.mark.parametrize(
    ("name", "value", "sensitivity"),
    [("card_number", "4111111111111111", "normal"), ("note", "card 4111 1111 1111 1111", "normal"),
     ("cvv", "123", "normal"), ("pin", "1234", "personal"), ("password", "hunter2", "normal"),
     ("date_of_birth", "1985-02-03", "personal"), ("maiden_name", "Smith", "secret")],
)  # fmt: skip
def test_secrets_are_refused_and_nothing_is_written(
    store: StoreBase, name: str, value: str, sensitivity: str
) -> None:
    cust = store.resolve(PHONE, at=0.0)
    before = snapshot(store, cust)
    with pytest.raises(SecretValueRefused) as caught:
        store.record_fact(cust, name, value, channel="ivr", at=1.0, sensitivity=sensitivity)
    assert value not in str(caught.value)
    assert snapshot(store, cust) == before


def test_secrets_hidden_in_contact_text_are_refused(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    with pytest.raises(SecretValueRefused):
        store.record_contact(
            cust, contact_id="c1", channel="chat", at=1.0, topic="pan 4111111111111111"
        )
    with pytest.raises(SecretValueRefused):
        store.link(PHONE, EMAIL, at=1.0, evidence="read card 4111111111111111")
    assert store.contacts(cust) == () and store.find(EMAIL) is None


def test_bad_input_raises_typed_errors_and_writes_nothing(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    before = snapshot(store, cust)
    bad_calls = [
        (
            UnknownCustomer,
            lambda: store.record_fact("cust-999", "topic", "x", channel="chat", at=1.0),
        ),
        (
            UnknownCustomer,
            lambda: store.record_verification("nobody", "pin", channel="ivr", at=1.0, valid_for=1),
        ),
        (InvalidChannel, lambda: store.record_fact(cust, "topic", "x", channel="pigeon", at=1.0)),
        (
            InvalidFact,
            lambda: store.record_verification(
                cust, "date_of_birth", channel="ivr", at=1.0, valid_for=-5
            ),
        ),
        (
            InvalidFact,
            lambda: store.record_verification(
                cust, "date_of_birth", channel="ivr", at=1.0, valid_for=0
            ),
        ),
        (InvalidFact, lambda: store.record_fact(cust, "Topic!", "x", channel="chat", at=1.0)),
        (InvalidFact, lambda: store.record_fact(cust, "topic", "x", channel="chat", at=-1.0)),
        (
            InvalidFact,
            lambda: store.record_fact(
                cust, "topic", "x", channel="chat", at=1.0, sensitivity="meh"
            ),
        ),
        (InvalidFact, lambda: store.record_contact(cust, contact_id="", channel="chat", at=1.0)),
        (InvalidChannel, lambda: store.record_contact(cust, contact_id="c1", channel="", at=1.0)),
        (InvalidIdentity, lambda: store.resolve("+44 20 7946 0000", at=1.0)),  # type: ignore[arg-type]
        (InvalidFact, lambda: store.link(PHONE, EMAIL, at=1.0, evidence="  ")),
    ]
    for error, call in bad_calls:
        with pytest.raises(error) as caught:
            call()
        assert isinstance(caught.value, CallerError)
    assert snapshot(store, cust) == before
    assert store.find(EMAIL) is None


def test_text_with_a_nul_character_is_refused_by_every_store(store: StoreBase) -> None:
    """PostgreSQL cannot store NUL, so no store takes it: the same caller error everywhere."""
    cust = store.resolve(PHONE, at=0.0)
    before = snapshot(store, cust)
    calls = [
        lambda: store.record_fact(cust, "topic", "bill\x00ing", channel="chat", at=1.0),
        lambda: store.record_contact(cust, contact_id="c\x001", channel="chat", at=1.0),
        lambda: store.record_contact(
            cust, contact_id="c1", channel="chat", at=1.0, agent_id="a\x00"
        ),
        lambda: store.record_contact(cust, contact_id="c1", channel="chat", at=1.0, topic="\x00"),
        lambda: store.link(PHONE, EMAIL, at=1.0, evidence="said so\x00"),
        lambda: store.set_owner(cust, "a\x001", at=1.0),
    ]
    for call in calls:
        with pytest.raises(InvalidFact, match="NUL"):
            call()
    with pytest.raises(InvalidIdentity, match="NUL"):
        Identity("chat_session", "s\x001")
    assert snapshot(store, cust) == before


def test_contacts_upsert_by_id_and_keep_the_first_time(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    store.record_contact(cust, contact_id="c1", channel="chat", at=1.0, outcome="in_progress")
    store.record_contact(cust, contact_id="c1", channel="chat", at=5.0, agent_id="a3")
    store.record_contact(
        cust, contact_id="c1", channel="chat", at=9.0, outcome="dropped", ended_at=9.0
    )
    (record,) = store.contacts(cust)
    assert (record.at, record.agent_id, record.outcome, record.ended_at) == (
        1.0,
        "a3",
        "dropped",
        9.0,
    )
    other = store.resolve(EMAIL, at=0.0)
    with pytest.raises(InvalidFact):
        store.record_contact(other, contact_id="c1", channel="chat", at=10.0)
    assert store.contact_customer("c1") == cust


def test_last_agent_looks_across_channels_within_the_window(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    store.record_contact(cust, contact_id="c1", channel="phone", at=10.0, agent_id="a1")
    store.record_contact(cust, contact_id="c2", channel="chat", at=20.0, agent_id="a2")
    store.record_contact(cust, contact_id="c3", channel="email", at=30.0)  # no agent yet
    assert store.last_agent(cust, since=0.0) == "a2"
    assert store.last_agent(cust, since=25.0) is None


def test_forget_erases_every_trace_and_leaves_an_anonymous_audit(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    store.link(PHONE, EMAIL, at=1.0, evidence="verified in IVR")
    store.record_fact(cust, "postcode", "SW1A 1AA", channel="ivr", at=1.0, sensitivity="personal")
    store.record_contact(cust, contact_id="c7", channel="chat", at=2.0, agent_id="a3")
    other = store.resolve(CHAT, at=0.0)
    store.forget(cust, at=3.0)
    with pytest.raises(UnknownCustomer):
        store.brief(cust, at=3.0)
    assert store.find(PHONE) is None and store.find(EMAIL) is None
    assert store.contact_customer("c7") is None
    assert store.find(CHAT) == other
    (entry,) = store.audit()
    assert entry.action == "forget" and entry.at == 3.0
    assert cust not in entry.detail and "ann" not in entry.detail and "SW1A" not in entry.detail
    assert "2 identities" in entry.detail and "1 contacts" in entry.detail


def test_purge_removes_expired_facts_old_contacts_and_idle_customers(store: StoreBase) -> None:
    day = 86400.0
    old = store.resolve(PHONE, at=0.0)
    store.record_contact(old, contact_id="c1", channel="phone", at=0.0)
    live = store.resolve(EMAIL, at=0.0)
    store.record_verification(live, "date_of_birth", channel="ivr", at=0.0, valid_for=900)
    store.record_fact(live, "topic", "x", channel="email", at=0.0, valid_for=100 * day)
    store.record_contact(live, contact_id="c2", channel="email", at=59 * day)
    assert store.purge(61 * day) == 3  # old's identity and contact, live's verification
    assert store.find(PHONE) is None
    assert [f.name for f in store.facts(live, at=61 * day)] == ["topic"]
    assert [c.contact_id for c in store.contacts(live)] == ["c2"]
    assert store.purge(61 * day) == 0
    assert [e.action for e in store.audit()] == ["purge"]


def test_brief_from_store(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    store.link(PHONE, EMAIL, at=10.0, evidence="verified in IVR")
    store.record_verification(cust, "date_of_birth", channel="ivr", at=10.0, valid_for=900)
    store.record_fact(cust, "topic", "billing dispute", channel="chat", at=20.0, valid_for=86400)
    store.record_fact(cust, "postcode", "SW1A 1AA", channel="ivr", at=10.0, sensitivity="personal")
    store.record_contact(cust, contact_id="c7", channel="chat", at=20.0, agent_id="a3",
                         outcome="dropped", ended_at=60.0)  # fmt: skip
    brief = store.brief(cust, at=300.0)
    assert brief.do_not_ask == ("date_of_birth",)
    assert (
        brief.journey[0].describe()
        == "chat dropped 4 min ago (c7, topic: billing dispute, agent a3)"
    )
    assert brief.last_agents == ("a3",) and brief.repeat_contact
    assert brief.open_items == ("billing dispute: chat dropped (c7)",)
    text = brief.render() + repr(brief)
    assert "SW1A" not in text and "ann@example.com" not in text and "7946" not in text
    unmasked = store.brief(cust, at=300.0, unmask=True)
    assert unmasked.unmasked and "email:ann@example.com" in unmasked.identities
    assert [f.value for f in unmasked.facts if f.name == "postcode"] == ["SW1A 1AA"]
    assert "SW1A" not in repr(unmasked)  # a Fact's repr masks personal values even then
    assert store.brief(cust, at=1000.0).do_not_ask == ()


# -- preferred channel ----------------------------------------------------------------------
def test_a_stated_preferred_channel_is_kept_with_provenance(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    fact = store.set_preferred_channel(cust, "chat", at=5.0, said_on="phone", contact_id="c1")
    assert (fact.name, fact.value, fact.channel, fact.method, fact.contact_id) == (
        "preferred_channel", "chat", "phone", "customer", "c1"
    )  # fmt: skip
    assert fact.expires_at == 5.0 + store.retention_seconds
    found = store.preferred_channel(cust, at=6.0)
    assert found is not None
    assert (found.channel, found.source, found.since, found.said_on, found.contact_id) == (
        "chat", "customer", 5.0, "phone", "c1"
    )  # fmt: skip
    assert store.preferred_channel(cust, at=4.0) is None  # not said yet, no contacts


def test_the_newest_statement_wins_over_older_ones_and_over_learning(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    for i in range(3):
        store.record_contact(cust, contact_id=f"p{i}", channel="phone", at=float(i))
    store.set_preferred_channel(cust, "chat", at=10.0, said_on="phone")
    store.set_preferred_channel(cust, "email", at=20.0, said_on="chat", source="agent")
    found = store.preferred_channel(cust, at=30.0)
    assert found is not None and (found.channel, found.source) == ("email", "agent")
    between = store.preferred_channel(cust, at=15.0)
    assert between is not None and between.channel == "chat"


def test_without_a_statement_the_preference_is_learned_from_contacts(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    assert store.preferred_channel(cust, at=0.0) is None
    for i, channel in enumerate(["phone", "chat", "phone", "chat"]):
        store.record_contact(cust, contact_id=f"c{i}", channel=channel, at=float(i))
    found = store.preferred_channel(cust, at=10.0)
    assert found is not None
    assert (found.channel, found.source, found.contact_id) == ("chat", "learned", "c3")  # a tie


def test_a_bad_preferred_channel_raises_and_writes_nothing(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    before = snapshot(store, cust)
    with pytest.raises(InvalidChannel):
        store.set_preferred_channel(cust, "pigeon", at=1.0, said_on="phone")
    with pytest.raises(InvalidChannel):
        store.set_preferred_channel(cust, "chat", at=1.0, said_on="pigeon")
    with pytest.raises(InvalidFact):
        store.set_preferred_channel(cust, "chat", at=1.0, said_on="phone", source="Bad Source")
    with pytest.raises(InvalidFact):
        store.set_preferred_channel(cust, "chat", at=-1.0, said_on="phone")
    with pytest.raises(UnknownCustomer):
        store.set_preferred_channel("cust-999", "chat", at=1.0, said_on="phone")
    with pytest.raises(UnknownCustomer):
        store.preferred_channel("cust-999", at=1.0)
    assert snapshot(store, cust) == before


def test_the_preferred_channel_survives_a_merge_and_goes_with_forget(store: StoreBase) -> None:
    first = store.resolve(PHONE, at=0.0)
    second = store.resolve(EMAIL, at=1.0)
    store.set_preferred_channel(second, "email", at=2.0, said_on="email")
    kept = store.link(PHONE, EMAIL, at=3.0, evidence="same account")
    for cust in (first, second, kept):
        found = store.preferred_channel(cust, at=4.0)
        assert found is not None and found.channel == "email"
    store.forget(kept, at=5.0)
    with pytest.raises(UnknownCustomer):
        store.preferred_channel(kept, at=6.0)


def test_the_brief_shows_the_preferred_channel_once(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    store.record_contact(cust, contact_id="c1", channel="phone", at=1.0, ended_at=2.0)
    learned = store.brief(cust, at=3.0).preferred_channel
    assert learned is not None and (learned.channel, learned.source) == ("phone", "learned")
    store.set_preferred_channel(cust, "chat", at=4.0, said_on="phone", contact_id="c1")
    brief = store.brief(cust, at=5.0)
    assert brief.preferred_channel == store.preferred_channel(cust, at=5.0)
    assert [f.name for f in brief.facts] == []  # not repeated as a plain fact
    assert "Preferred channel: chat (customer, said on phone in c1)" in brief.render()
