"""A consult through the hub: the consulted agent's offer carries the contact's handoff brief."""

from __future__ import annotations

from experiencehub import QueueSpec, Router, SkillGraph
from experiencehub import events as ev
from experiencehub.context import BriefedOffer, ExperienceHub, Identity
from experiencehub.context.store import StoreBase

PHONE = Identity("phone", "+44 20 7946 0000")


def test_the_consulted_agent_gets_the_contacts_brief(store: StoreBase) -> None:
    queues = [QueueSpec("calls", channel="phone", requires={"support": 1}),
              QueueSpec("tier2", channel="phone", requires={"tier2": 1})]  # fmt: skip
    hub = ExperienceHub(Router(SkillGraph(), queues), store)
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"support": 1}))
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="b1", skills={"tier2": 1}))
    cust = store.resolve(PHONE, at=0.5)
    store.record_verification(cust, "date_of_birth", channel="ivr", at=0.5, valid_for=900)
    hub.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="calls",
                                 attributes={"identity": PHONE}))  # fmt: skip
    hub.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    out = hub.handle(ev.ConsultRequested(at=3.0, contact_id="c1", consult_id="k1", queue="tier2"))
    (offer,) = [d for d in out if isinstance(d, BriefedOffer)]
    assert (offer.contact_id, offer.agent_id) == ("k1", "b1")
    assert offer.brief is not None and offer.brief.customer_id == cust
    assert offer.brief.do_not_ask == ("date_of_birth",)
    assert hub.brief_for("k1", at=3.0) == hub.brief_for("c1", at=3.0)
    hub.handle(ev.OfferAccepted(at=4.0, contact_id="k1", agent_id="b1"))
    hub.handle(ev.ConsultEnded(at=5.0, contact_id="c1", outcome="transfer"))
    assert hub.brief_for("k1", at=5.0) is None  # the leg is gone; the contact stays
    assert hub.brief_for("c1", at=5.0) is not None
    hub.handle(ev.ContactEnded(at=9.0, contact_id="c1"))
    (record,) = hub.finished_records()
    assert record.contact_id == "c1"


def test_the_record_of_a_warm_transfer_and_a_conference(store: StoreBase) -> None:
    queues = [QueueSpec("calls", channel="chat", requires={"support": 1}),
              QueueSpec("tier2", channel="chat", requires={"tier2": 1})]  # fmt: skip
    hub = ExperienceHub(Router(SkillGraph(), queues), store)
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"support": 1}))
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="b1", skills={"tier2": 1}))
    cust = store.resolve(PHONE, at=0.5)
    store.record_verification(cust, "date_of_birth", channel="ivr", at=0.5, valid_for=900)
    for n, outcome in enumerate(["transfer", "conference", "return"]):
        at, cid, leg = 10.0 * n, f"c{n}", f"k{n}"
        hub.handle(ev.ContactArrived(at=at + 1, contact_id=cid, queue="calls",
                                     attributes={"identity": PHONE}))  # fmt: skip
        hub.handle(ev.OfferAccepted(at=at + 2, contact_id=cid, agent_id="a1"))
        hub.handle(ev.ConsultRequested(at=at + 3, contact_id=cid, consult_id=leg, queue="tier2"))
        hub.handle(ev.OfferAccepted(at=at + 4, contact_id=leg, agent_id="b1"))
        hub.handle(ev.ConsultEnded(at=at + 5, contact_id=cid, outcome=outcome))
        hub.handle(ev.ContactEnded(at=at + 6, contact_id=cid))
    records = {r.contact_id: r for r in hub.finished_records()}
    assert [(r.agents, r.transfers, r.final_queue) for r in records.values()] == [
        (("a1", "b1"), 1, "tier2"),
        (("a1", "b1"), 0, None),
        (("a1",), 0, None),
    ]
    assert records["c0"].not_asked == ("date_of_birth",)
    assert hub.recorder._legs == {} and hub.recorder._leg_of == {}
