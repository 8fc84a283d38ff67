"""ExperienceHub's contract: check, then route, then record what the router did — never lose a
decision, never record what did not happen, never forget a customer someone else uses.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from experiencehub import ClockWentBackwards, QueueSpec, Router, SkillGraph, UnknownQueue
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.context import (
    BriefedOffer,
    ExperienceHub,
    Identity,
    InvalidFact,
    MemoryContextStore,
    SecretValueRefused,
)
from experiencehub.context.errors import ContextError, ContextNotRecorded, StoreUnavailable
from experiencehub.context.facts import ContactEntry
from experiencehub.context.store import StoreBase
from experiencehub.core.errors import RoutingError

PHONE = Identity("phone", "+44 20 7946 0000")
CARD = "card 4111 1111 1111 1111"


def make_hub(store: StoreBase, **options: object) -> ExperienceHub:
    queues = [
        QueueSpec("calls", channel="phone", requires={"support": 1}),
        QueueSpec("chat", channel="chat", requires={"support": 1}, max_length=1),
    ]
    return ExperienceHub(Router(SkillGraph(), queues), store, **options)  # type: ignore[arg-type]


def login(hub: ExperienceHub, agent_id: str = "a1", at: float = 0.0) -> None:
    hub.handle(ev.AgentLoggedIn(at=at, agent_id=agent_id, skills={"support": 1},
                                capacity={"phone": 1, "chat": 1}))  # fmt: skip


def arrival(contact_id: str = "c1", at: float = 1.0, **attributes: object) -> ev.ContactArrived:
    attributes.setdefault("identity", PHONE)
    return ev.ContactArrived(at=at, contact_id=contact_id, queue="calls", attributes=attributes)


# -- hole 1: check everything the store checks before routing ---------------------------------
@pytest.mark.parametrize(
    ("event", "error"),
    [
        (arrival(topic=5), InvalidFact),
        (arrival(contact_id="c" * 200), InvalidFact),
        (arrival(topic=CARD), SecretValueRefused),
    ],
    ids=["topic-not-text", "contact-id-too-long", "topic-holds-a-card"],
)
def test_an_arrival_the_store_would_refuse_is_neither_routed_nor_recorded(
    store: StoreBase, event: ev.ContactArrived, error: type[Exception]
) -> None:
    hub = make_hub(store)
    login(hub)
    with pytest.raises(error):
        hub.handle(event)
    assert hub.router.stats.waiting("calls") == 0 and hub.router.now == 0.0
    assert store.find(PHONE) is None  # no customer created either
    (offer,) = [d for d in hub.handle(arrival()) if isinstance(d, BriefedOffer)]
    assert offer.agent_id == "a1"  # the agent was never offered the refused contact


def test_an_outcome_the_store_would_refuse_leaves_the_contact_in_the_router(
    store: StoreBase,
) -> None:
    hub = make_hub(store)
    login(hub)
    hub.handle(arrival())
    hub.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    with pytest.raises(SecretValueRefused):
        hub.handle(ev.ContactEnded(at=3.0, contact_id="c1"), outcome=CARD)
    assert hub.customer_of("c1") is not None and hub.router.now == 2.0
    hub.handle(ev.ContactEnded(at=3.0, contact_id="c1"), outcome="resolved")
    cust = store.find(PHONE)
    assert cust is not None and store.contacts(cust)[0].outcome == "resolved"


def test_an_agent_id_the_store_cannot_record_is_refused_at_login(store: StoreBase) -> None:
    hub = make_hub(store)
    with pytest.raises(InvalidFact):
        login(hub, agent_id="a" * 200)
    assert "a" * 200 not in hub.router.agent_ids()


class FailingStore(MemoryContextStore):
    """Writes contact records until ``fail`` is set, then fails as a lost disk would."""

    fail = False

    def record_contact(self, customer_id: str, **kwargs: object) -> ContactEntry:  # type: ignore[override]
        if self.fail:
            raise StoreUnavailable("record_contact: disk I/O error (test)")
        return super().record_contact(customer_id, **kwargs)  # type: ignore[arg-type]


def test_decisions_reach_the_caller_when_recording_fails_after_routing() -> None:
    store = FailingStore()
    hub = make_hub(store)
    login(hub)
    store.fail = True
    with pytest.raises(ContextNotRecorded) as caught:
        hub.handle(arrival())
    err = caught.value
    assert not isinstance(err, RoutingError)  # the event was applied, not rejected
    assert isinstance(err.__cause__, StoreUnavailable)
    (offer,) = [d for d in err.decisions if isinstance(d, BriefedOffer)]
    assert offer.agent_id == "a1" and offer.brief is not None  # reads still worked
    assert "ContactArrived c1" in str(err) and "carry out .decisions" in str(err)
    cust = store.find(PHONE)
    assert cust is not None and hub.customer_of("c1") == cust and store.contacts(cust) == ()
    store.fail = False  # later events for the contact are recorded as usual
    hub.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    assert store.contacts(cust)[0].agent_id == "a1"


def test_an_end_that_cannot_be_recorded_still_frees_the_contact() -> None:
    store = FailingStore()
    hub = make_hub(store)
    login(hub)
    hub.handle(arrival())
    hub.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    store.fail = True
    with pytest.raises(ContextNotRecorded) as caught:
        hub.handle(ev.ContactEnded(at=3.0, contact_id="c1"))
    assert caught.value.decisions == ()  # the router applied the end and decided nothing
    assert hub.customer_of("c1") is None and "c1" not in hub.router.contact_ids()  # hub follows router


# -- hole 2: record only what the router did -------------------------------------------------
def test_a_transfer_the_router_refused_is_not_recorded(store: StoreBase) -> None:
    hub = make_hub(store)
    login(hub)
    hub.handle(arrival())
    hub.handle(ev.ContactArrived(at=1.5, contact_id="w1", queue="chat"))  # chat is now full
    out = hub.handle(ev.ContactTransferred(at=2.0, contact_id="c1", queue="chat"))
    assert any(isinstance(d, dc.Refused) and d.contact_id == "c1" for d in out)
    cust = store.find(PHONE)
    assert cust is not None
    (record,) = store.contacts(cust)
    assert (record.queue, record.channel) == ("calls", "phone")
    assert hub.brief_for("c1", at=2.0) is not None
    hub.handle(ev.ContactAbandoned(at=3.0, contact_id="c1"))
    assert store.contacts(cust)[0].channel == "phone"  # the hub still knows its channel


def test_a_transfer_the_router_rejected_is_not_recorded(store: StoreBase) -> None:
    hub = make_hub(store)
    login(hub)
    hub.handle(arrival())
    with pytest.raises(UnknownQueue):
        hub.handle(ev.ContactTransferred(at=2.0, contact_id="c1", queue="nope"))
    cust = store.find(PHONE)
    assert cust is not None and store.contacts(cust)[0].queue == "calls"


# -- hole 3: a rejected arrival never forgets a customer someone else created or used ---------
class Hook:
    """An affinity provider that runs ``then`` when asked: between the hub's resolve and route."""

    def __init__(self, then: Callable[[], object]) -> None:
        self.then = then

    def preferred_agents(self, customer_id: str, at: float) -> tuple[str, ...]:
        self.then()
        return ()


def rejected_arrival(hub: ExperienceHub) -> None:
    """An arrival hub's router rejects (its clock is past it), after the hub resolved it."""
    with pytest.raises(ClockWentBackwards):
        hub.handle(arrival("a-late", at=1.0))


def test_a_rejected_arrival_keeps_a_customer_another_hub_used_meanwhile(
    shared_stores: tuple[StoreBase, StoreBase],
) -> None:
    store_a, store_b = shared_stores
    hub_b = make_hub(store_b)
    login(hub_b, at=0.0)
    hub_a = make_hub(store_a, affinity=Hook(lambda: hub_b.handle(arrival("b1", at=1.0))))
    login(hub_a, at=5.0)  # hub A's router is at t=5, so an arrival at t=1 is rejected
    rejected_arrival(hub_a)
    cust = store_b.find(PHONE)
    assert cust is not None and hub_b.customer_of("b1") == cust
    assert [c.contact_id for c in store_b.contacts(cust)] == ["b1"]


def test_a_rejected_arrival_keeps_a_customer_another_hub_only_resolved(
    shared_stores: tuple[StoreBase, StoreBase],
) -> None:
    store_a, store_b = shared_stores
    resolved: list[str] = []
    hub_a = make_hub(
        store_a, affinity=Hook(lambda: resolved.append(store_b.resolve(PHONE, at=1.0)))
    )
    login(hub_a, at=5.0)
    rejected_arrival(hub_a)
    assert store_b.find(PHONE) == resolved[0]  # another router may be about to record for it


def test_a_rejected_arrival_discards_the_customer_it_alone_created(
    shared_stores: tuple[StoreBase, StoreBase],
) -> None:
    store_a, store_b = shared_stores
    hub_a = make_hub(store_a)
    login(hub_a, at=5.0)
    rejected_arrival(hub_a)
    assert store_b.find(PHONE) is None
    assert store_b.audit()[-1].action == "discard"


def test_resolve_created_is_true_for_exactly_one_caller(
    shared_stores: tuple[StoreBase, StoreBase],
) -> None:
    store_a, store_b = shared_stores
    cust, created = store_a.resolve_created(PHONE, at=1.0)
    assert created and store_b.resolve_created(PHONE, at=1.0) == (cust, False)
    assert not store_a.discard_new(cust, at=2.0)  # resolved twice: someone else holds it


def test_discard_new_keeps_a_used_or_merged_customer(store: StoreBase) -> None:
    used, _ = store.resolve_created(PHONE, at=1.0)
    store.record_fact(used, "topic", "billing", channel="chat", at=2.0)
    assert not store.discard_new(used) and store.find(PHONE) == used
    older = store.resolve(Identity("email", "ann@example.com"), at=3.0)
    newer, _ = store.resolve_created(Identity("account", "AC-1"), at=4.0)
    store.link(Identity("email", "ann@example.com"), Identity("account", "AC-1"), at=5.0,
               evidence="same login")  # fmt: skip
    assert not store.discard_new(newer)  # merged into ``older``: an alias now
    assert store.canonical(newer) == store.canonical(older)


# -- hole 5: a fact is valid at t only when observed_at <= t < expires_at ------------------------
def test_facts_observed_after_at_are_not_returned_nor_briefed(store: StoreBase) -> None:
    cust = store.resolve(PHONE, at=0.0)
    store.record_fact(cust, "topic", "billing", channel="chat", at=100.0, valid_for=50)
    store.record_verification(cust, "date_of_birth", channel="ivr", at=100.0, valid_for=50)
    assert store.facts(cust, at=99.0) == ()
    assert len(store.facts(cust, at=100.0)) == 2 and store.facts(cust, at=150.0) == ()
    early = store.brief(cust, at=99.0)
    assert early.do_not_ask == () and early.facts == () and early.verifications == ()
    assert store.brief(cust, at=100.0).do_not_ask == ("date_of_birth",)


def test_context_errors_share_a_base_and_stay_routing_errors() -> None:
    assert issubclass(StoreUnavailable, ContextError) and issubclass(InvalidFact, ContextError)
    assert issubclass(ContextError, RoutingError)
    assert not issubclass(ContextNotRecorded, RoutingError)


def test_phone_pairs_in_national_format_use_the_hubs_region() -> None:
    from experiencehub import Router, SkillGraph  # noqa: PLC0415
    from experiencehub import events as ev  # noqa: PLC0415
    from experiencehub.context import ExperienceHub, Identity, MemoryContextStore  # noqa: PLC0415
    from experiencehub.core.queues import QueueSpec  # noqa: PLC0415

    store = MemoryContextStore()
    known = store.resolve(Identity("phone", "+44 20 7946 0000"), at=0.0)
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")])
    hub = ExperienceHub(router, store, phone_region="GB")
    hub.handle(
        ev.ContactArrived(
            at=1.0, contact_id="c1", queue="q", attributes={"identity": ("phone", "020 7946 0000")}
        )
    )
    assert hub.customer_of("c1") == known


def test_a_rejected_event_carries_the_briefed_offers_that_fell_due() -> None:
    from experiencehub import Router, SkillGraph, UnknownContact  # noqa: PLC0415
    from experiencehub import events as ev  # noqa: PLC0415
    from experiencehub.context import (  # noqa: PLC0415
        BriefedOffer,
        ExperienceHub,
        Identity,
        MemoryContextStore,
    )
    from experiencehub.core.queues import QueueSpec  # noqa: PLC0415

    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=30.0)
    hub = ExperienceHub(router, MemoryContextStore())
    for agent in ("a1", "a2"):
        hub.handle(ev.AgentLoggedIn(at=0.0, agent_id=agent, skills={}, capacity={"phone": 1}))
    arrival = ev.ContactArrived(
        at=1.0, contact_id="c1", queue="q", attributes={"identity": Identity("account", "AC-1")}
    )
    [first] = [d for d in hub.handle(arrival) if isinstance(d, BriefedOffer)]
    with pytest.raises(UnknownContact) as caught:  # a1 never answered; the offer expired at 31
        hub.handle(ev.ContactEnded(at=40.0, contact_id="nope"))
    offers = [d for d in caught.value.decisions if isinstance(d, BriefedOffer)]
    assert [o.agent_id for o in offers] == ["a2"] != [first.agent_id]
    assert offers[0].brief is not None and offers[0].brief.customer_id == hub.customer_of("c1")
