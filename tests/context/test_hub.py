"""ExperienceHub: Router + ContextStore, including the scripted journey of issue 4 (docs/context.md)."""

from __future__ import annotations

import pytest

from experiencehub import ConfigError, QueueSpec, Router, SkillGraph, Stage, UnknownQueue
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.context import BriefedOffer, ExperienceHub, Identity, UnknownCustomer
from experiencehub.context.store import StoreBase
from routing_helpers import kinds

PHONE = ("phone", "+44 20 7946 0000")


def make_hub(store: StoreBase, affinity_seconds: float = 60.0) -> ExperienceHub:
    queues = [
        QueueSpec("chat", channel="chat", requires={"support": 1}),
        QueueSpec("calls", channel="phone", requires={"support": 1},
                  stages=[Stage(after=0, max_cost=0)], affinity_seconds=affinity_seconds),
    ]  # fmt: skip
    return ExperienceHub(Router(SkillGraph(), queues), store)


def offers(out: list[object]) -> list[BriefedOffer]:
    return [d for d in out if isinstance(d, BriefedOffer)]


def alerts(out: list[object]) -> list[dc.Alert]:
    return [d for d in out if isinstance(d, dc.Alert) and d.kind == "repeat_contact"]


def start_journey(hub: ExperienceHub) -> str:
    """IVR verifies date of birth → chat about a billing dispute with a3 → the chat drops."""
    store = hub.store
    hub.handle(
        ev.AgentLoggedIn(at=0.0, agent_id="a5", skills={"support": 1}, capacity={"phone": 1})
    )
    hub.handle(
        ev.AgentLoggedIn(
            at=1.0, agent_id="a3", skills={"support": 1}, capacity={"phone": 1, "chat": 2}
        )
    )
    # t=100: the IVR identifies the caller by number, takes the account number, verifies DOB.
    cust = store.resolve(Identity(*PHONE), at=100.0)
    store.link(
        Identity(*PHONE),
        Identity("account", "AC-1"),
        at=110.0,
        evidence="account entered in IVR, DOB verified",
    )
    store.record_verification(cust, "date_of_birth", channel="ivr", at=110.0, valid_for=900)
    # t=130: the customer opens a logged-in web chat.
    out = hub.handle(ev.ContactArrived(at=130.0, contact_id="chat-1", queue="chat",
                                       attributes={"identity": Identity("account", "AC-1")}))  # fmt: skip
    (offer,) = offers(out)
    assert offer.agent_id == "a3" and offer.brief is not None
    assert offer.brief.customer_id == cust
    assert offer.brief.do_not_ask == ("date_of_birth",)  # the chat agent does not ask either
    hub.handle(ev.OfferAccepted(at=135.0, contact_id="chat-1", agent_id="a3"))
    store.record_fact(
        cust, "topic", "billing dispute", channel="chat", at=150.0, contact_id="chat-1"
    )
    hub.handle(ev.ContactEnded(at=400.0, contact_id="chat-1"), outcome="dropped")
    return cust


def test_journey_call_3_minutes_after_a_dropped_chat_reaches_the_chat_agent(
    store: StoreBase,
) -> None:
    hub = make_hub(store)
    cust = start_journey(hub)
    out = hub.handle(ev.ContactArrived(at=580.0, contact_id="call-1", queue="calls",
                                       attributes={"identity": PHONE}))  # fmt: skip
    (offer,) = offers(out)
    assert offer.agent_id == "a3"  # a5 idled longer, but a3 had the chat
    assert "preferred agent a3" in offer.offer.explanation.summary
    brief = offer.brief
    assert brief is not None and brief.customer_id == cust
    assert brief.do_not_ask == ("date_of_birth",)
    assert (
        brief.journey[0].describe()
        == "chat dropped 3 min ago (chat-1, topic: billing dispute, agent a3)"
    )
    assert brief.repeat_contact and brief.open_items == ("billing dispute: chat dropped (chat-1)",)
    (alert,) = alerts(out)
    assert alert.contact_id == "call-1" and "chat-1" in alert.detail and "7946" not in alert.detail
    assert "7946" not in brief.render()

    # the call is handled; 20 minutes later the customer calls again: DOB has expired.
    hub.handle(ev.OfferAccepted(at=585.0, contact_id="call-1", agent_id="a3"))
    hub.handle(ev.ContactEnded(at=900.0, contact_id="call-1"), outcome="resolved")
    out = hub.handle(ev.ContactArrived(at=580.0 + 1200, contact_id="call-2", queue="calls",
                                       attributes={"identity": PHONE}))  # fmt: skip
    (offer,) = offers(out)
    assert offer.brief is not None and offer.brief.do_not_ask == ()
    assert [s.contact_id for s in offer.brief.journey] == ["call-1", "chat-1"]
    assert offer.brief.open_items == ("billing dispute: chat dropped (chat-1)",)
    assert offer.agent_id == "a3" and alerts(out)


def test_journey_chat_agent_busy_the_call_goes_to_a_normal_agent_after_the_window(
    store: StoreBase,
) -> None:
    hub = make_hub(store, affinity_seconds=60.0)
    start_journey(hub)
    hub.handle(ev.ContactArrived(at=500.0, contact_id="other", queue="calls"))  # a5 idle longest
    hub.handle(ev.ContactArrived(at=501.0, contact_id="other-2", queue="calls"))  # → a3
    hub.handle(ev.OfferAccepted(at=502.0, contact_id="other", agent_id="a5"))
    hub.handle(ev.OfferAccepted(at=503.0, contact_id="other-2", agent_id="a3"))
    hub.handle(ev.ContactEnded(at=560.0, contact_id="other"))  # a5 is free, a3 is still busy
    out = hub.handle(ev.ContactArrived(at=580.0, contact_id="call-1", queue="calls",
                                       attributes={"identity": PHONE}))  # fmt: skip
    assert offers(out) == []
    (enqueued,) = [d for d in out if isinstance(d, dc.Enqueued)]
    assert "preferred agent(s) a3" in enqueued.explanation.summary
    assert hub.router.explain("call-1").summary.count("preferred agents a3 only") == 1
    assert hub.next_deadline() == 640.0
    out = hub.handle(ev.Tick(at=640.0))
    assert kinds(out) == ["Expanded", "BriefedOffer"]
    (offer,) = offers(out)
    assert offer.agent_id == "a5" and offer.brief is not None
    assert offer.brief.do_not_ask == ("date_of_birth",)
    assert offer.brief.journey[0].contact_id == "chat-1"


def test_a_returning_customer_is_not_pinned_to_an_offline_agent(store: StoreBase) -> None:
    hub = make_hub(store)
    start_journey(hub)
    hub.handle(ev.AgentLoggedOut(at=450.0, agent_id="a3"))
    out = hub.handle(ev.ContactArrived(at=580.0, contact_id="call-1", queue="calls",
                                       attributes={"identity": PHONE}))  # fmt: skip
    (offer,) = offers(out)
    assert offer.agent_id == "a5"


def test_anonymous_contacts_route_without_a_brief(store: StoreBase) -> None:
    hub = make_hub(store)
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="a5", skills={"support": 1}))
    (offer,) = offers(hub.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="calls")))
    assert offer.brief is None and hub.customer_of("c1") is None


def test_customer_id_on_the_event_is_used_and_checked(store: StoreBase) -> None:
    hub = make_hub(store)
    cust = store.resolve(Identity("email", "ann@example.com"), at=0.0)
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="a5", skills={"support": 1}))
    with pytest.raises(UnknownCustomer):
        hub.handle(
            ev.ContactArrived(at=1.0, contact_id="c0", queue="calls", customer_id="cust-404")
        )
    assert hub.router.stats.waiting("calls") == 0 and hub.router.now == 0.0
    (offer,) = offers(
        hub.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="calls", customer_id=cust))
    )
    assert offer.brief is not None and offer.brief.customer_id == cust
    assert hub.customer_of("c1") == cust


def test_a_rejected_arrival_leaves_no_new_customer(store: StoreBase) -> None:
    hub = make_hub(store)
    with pytest.raises(UnknownQueue):
        hub.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="nope",
                                     attributes={"identity": PHONE}))  # fmt: skip
    assert store.find(Identity(*PHONE)) is None


def test_outcomes_are_recorded_as_events_flow(store: StoreBase) -> None:
    hub = make_hub(store)
    attrs_ = {"identity": PHONE}
    hub.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="calls", attributes=attrs_))
    hub.handle(ev.ContactAbandoned(at=30.0, contact_id="c1"))
    cust = store.find(Identity(*PHONE))
    assert cust is not None
    (record,) = store.contacts(cust)
    assert (record.outcome, record.ended_at, record.channel, record.queue) == (
        "abandoned",
        30.0,
        "phone",
        "calls",
    )
    hub.handle(ev.AgentLoggedIn(at=40.0, agent_id="a3", skills={"support": 1}))
    hub.handle(ev.ContactArrived(at=50.0, contact_id="c2", queue="calls", attributes=attrs_))
    hub.handle(ev.OfferAccepted(at=51.0, contact_id="c2", agent_id="a3"))
    hub.handle(ev.ContactTransferred(at=60.0, contact_id="c2", queue="chat"))
    latest = store.contacts(cust)[0]
    assert (latest.contact_id, latest.agent_id, latest.queue, latest.channel) == (
        "c2",
        "a3",
        "chat",
        "chat",
    )


def test_queue_channels_must_be_known_to_the_store(store: StoreBase) -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="carrier_pigeon")])
    with pytest.raises(ConfigError):
        ExperienceHub(router, store)
