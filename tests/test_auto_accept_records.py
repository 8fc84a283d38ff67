"""Auto-accepted offers (Offer.auto_accepted) in end-of-contact records and the context store:
the offer answers the contact as an OfferAccepted would (records.py, context/hub.py)."""

from __future__ import annotations

from experiencehub import CallbackPolicy, QueueSpec, Router, SkillGraph
from experiencehub import events as ev
from experiencehub.context import ExperienceHub, Identity, MemoryContextStore
from experiencehub.records import ContactRecorder

QUEUES = [
    QueueSpec("q", channel="phone"),
    QueueSpec("back", channel="phone", callback=CallbackPolicy(retry_seconds=60.0)),
]


def test_hub_records_the_agent_answer_and_brief_of_an_auto_accepted_offer() -> None:
    store = MemoryContextStore()
    hub = ExperienceHub(Router(SkillGraph(), QUEUES), store)
    customer = store.resolve(Identity("phone", "+442079460000"), at=0.0)
    store.record_verification(customer, "date_of_birth", channel="ivr", at=5.0, valid_for=900)
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, auto_accept=True))
    hub.handle(ev.ContactArrived(at=10.0, contact_id="c1", queue="q", customer_id=customer))
    assert store.last_agent(customer, since=0.0) == "a1"  # as after OfferAccepted
    hub.handle(ev.ContactEnded(at=70.0, contact_id="c1"))
    [record] = hub.finished_records()
    assert (record.offered_at, record.answered_at, record.agent_id, record.agents) == (
        10.0, 10.0, "a1", ("a1",)
    )  # fmt: skip
    assert record.not_asked == ("date_of_birth",) and record.wait == 0.0


def test_recorder_answers_a_callback_when_the_dial_is_answered() -> None:
    router = Router(SkillGraph(), QUEUES)
    recorder = ContactRecorder(router)

    def send(event: ev.Event) -> list[object]:
        return list(recorder.observe(event, router.handle(event)))

    send(ev.AgentLoggedIn(at=0.0, agent_id="busy", skills={}, auto_accept=True))
    send(ev.ContactArrived(at=0.0, contact_id="x", queue="back"))
    send(ev.ContactArrived(at=1.0, contact_id="c1", queue="back"))
    send(ev.CallbackRequested(at=1.0, contact_id="c1"))
    send(ev.AgentLoggedIn(at=5.0, agent_id="a1", skills={}, auto_accept=True))  # dials at once
    found = recorder.open_record("c1")
    assert found is not None and found.answered_at is None  # dialling, not answered yet
    send(ev.CallbackAnswered(at=20.0, contact_id="c1"))
    assert (found.answered_at, found.agent_id) == (20.0, "a1")
