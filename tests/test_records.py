"""End-of-contact records: ContactRecorder on Router decisions, and through ExperienceHub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import experiencehub.sim.kpi
from experiencehub import CallbackPolicy, QueueSpec, Router, SkillGraph, WrapUp
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.context import ExperienceHub, Identity, MemoryContextStore
from experiencehub.records import ContactRecord, ContactRecorder
from experiencehub.sim import customers
from experiencehub.sim.engine import run
from experiencehub.sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

QUEUES = [
    QueueSpec("billing", channel="phone", requires={"billing": 1}, wrap_up=WrapUp("manual")),
    QueueSpec("tech", channel="phone", requires={"tech": 1}, wrap_up=WrapUp("timed", 30.0),
              max_length=1, service_level_seconds=60),
]  # fmt: skip
BILLING, TECH = {"billing": 1}, {"tech": 1}

SIM_ONLY = {"origin": "new", "replication": 0, "resolved": None, "handle_seconds": 0.0,
            "wrap_seconds": 0.0, "asks": 0, "repeat_asks": 0}  # fmt: skip


class Journey:
    """A hub on a fresh router and store; ``send`` returns the records each event finished."""

    def __init__(self) -> None:
        self.store = MemoryContextStore()
        self.hub = ExperienceHub(Router(SkillGraph(), QUEUES), self.store)
        self.customer = self.store.resolve(Identity("phone", "+442079460000"), at=0.0)

    def send(self, event: ev.Event, **kwargs: Any) -> list[dict[str, Any]]:
        self.hub.handle(event, **kwargs)
        self.hub.recorder._check()
        return [record.as_dict() for record in self.hub.finished_records()]


def test_the_sim_and_the_hub_share_one_contact_record() -> None:
    assert experiencehub.sim.kpi.ContactRecord is ContactRecord
    assert experiencehub.ContactRecord is ContactRecord
    fields = [a.name for a in ContactRecord.__attrs_attrs__]  # type: ignore[attr-defined]
    assert fields[-6:] == [
        "offers", "agents", "wrap_ended_at", "preferred_agent", "not_asked", "estimated_wait"
    ]  # fmt: skip
    record = ContactRecord("c1", "u1", "phone", "q", "s", 0.0, 20.0)  # positional, as the sim
    assert (record.offers, record.agents, record.not_asked) == (0, (), ())


def test_a_journey_with_expiry_transfer_and_two_wrap_ups_is_one_record() -> None:
    j = Journey()
    j.store.record_verification(j.customer, "date_of_birth", channel="ivr", at=5.0, valid_for=900)
    assert j.send(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills=BILLING)) == []
    assert j.send(ev.AgentLoggedIn(at=0.0, agent_id="a3", skills=TECH)) == []
    arrival = ev.ContactArrived(at=10.0, contact_id="c1", queue="billing", customer_id=j.customer,
                                attributes={"segment": "vip"}, preferred_agents=("a9",))  # fmt: skip
    assert j.send(arrival) == []
    assert j.send(ev.AgentLoggedIn(at=20.0, agent_id="a2", skills=BILLING)) == []
    assert j.send(ev.Tick(at=40.0)) == []  # a1's offer expires; re-offered to a2
    open_record = j.hub.open_record("c1")
    assert open_record is not None and open_record.offers == 2
    assert j.send(ev.OfferAccepted(at=45.0, contact_id="c1", agent_id="a2")) == []
    assert j.send(ev.ContactTransferred(at=100.0, contact_id="c1", queue="tech")) == []
    assert j.send(ev.OfferAccepted(at=105.0, contact_id="c1", agent_id="a3")) == []
    assert j.send(ev.WrapUpEnded(at=150.0, agent_id="a2", contact_id="c1")) == []
    assert j.send(ev.ContactEnded(at=200.0, contact_id="c1"), outcome="resolved") == []
    assert j.hub.open_record("c1") is not None  # a3 wraps up until 230
    [record] = j.send(ev.Tick(at=230.0))
    assert record == {
        **SIM_ONLY, "contact_id": "c1", "customer_id": j.customer, "channel": "phone",
        "queue": "billing", "segment": "vip", "arrived_at": 10.0, "threshold": 20.0,
        "offered_at": 10.0, "answered_at": 45.0, "ended_at": 200.0, "agent_id": "a2",
        "outcome": "resolved", "transfers": 1, "final_queue": "tech", "offers": 3,
        "agents": ("a2", "a3"), "wrap_ended_at": 230.0, "preferred_agent": False,
        "not_asked": ("date_of_birth",), "estimated_wait": None, "wait": 35.0,
    }  # fmt: skip
    assert j.hub.open_record("c1") is None and len(j.hub.recorder) == 0
    assert j.hub.finished_records() == []  # drained


def test_an_abandon_and_a_refusal_finish_at_once() -> None:
    j = Journey()
    j.send(ev.AgentLoggedIn(at=0.0, agent_id="a3", skills=TECH))
    j.send(ev.ContactArrived(at=1.0, contact_id="c0", queue="tech"))
    j.send(ev.OfferAccepted(at=2.0, contact_id="c0", agent_id="a3"))
    assert j.send(ev.ContactArrived(at=110.0, contact_id="c2", queue="tech")) == []  # waits
    [refused] = j.send(ev.ContactArrived(at=115.0, contact_id="c3", queue="tech"))  # queue full
    [abandoned] = j.send(ev.ContactAbandoned(at=130.0, contact_id="c2"))
    blank = {**SIM_ONLY, "customer_id": None, "channel": "phone", "queue": "tech",
             "segment": "default", "threshold": 60.0, "offered_at": None, "answered_at": None,
             "agent_id": None, "transfers": 0, "final_queue": None, "offers": 0, "agents": (),
             "wrap_ended_at": None, "preferred_agent": None, "not_asked": (),
             "estimated_wait": None}  # fmt: skip
    assert refused == {**blank, "contact_id": "c3", "arrived_at": 115.0, "ended_at": 115.0,
                       "outcome": "refused", "wait": 0.0}  # fmt: skip
    assert abandoned == {**blank, "contact_id": "c2", "arrived_at": 110.0, "ended_at": 130.0,
                         "outcome": "abandoned", "wait": 20.0}  # fmt: skip
    assert j.send(ev.ContactEnded(at=140.0, contact_id="c0"), outcome="dropped") == []
    [handled] = j.send(ev.Tick(at=170.0))  # a3's timed wrap-up (30 s) expired
    assert (handled["contact_id"], handled["outcome"], handled["wrap_ended_at"]) == ("c0", "dropped", 170.0)  # fmt: skip


def test_a_contact_with_wrap_up_finishes_when_the_wrap_up_expires() -> None:
    router = Router(SkillGraph(), QUEUES)
    recorder = ContactRecorder(router)

    def send(event: ev.Event) -> list[ContactRecord]:
        out = recorder.observe(event, router.handle(event))
        recorder._check()
        return out

    send(ev.AgentLoggedIn(at=0.0, agent_id="a3", skills=TECH))
    send(ev.ContactArrived(at=1.0, contact_id="c0", queue="tech", preferred_agents=("a3",)))
    send(ev.OfferAccepted(at=2.0, contact_id="c0", agent_id="a3"))
    assert send(ev.ContactEnded(at=10.0, contact_id="c0")) == []  # a3 wraps up until 40
    [record] = send(ev.Tick(at=40.0))
    assert (record.outcome, record.ended_at, record.wrap_ended_at) == ("handled", 10.0, 40.0)
    assert record.preferred_agent is True and record.agents == ("a3",)


def test_without_wrap_up_a_contact_finishes_with_its_end() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="chat")])
    recorder = ContactRecorder({"q": QueueSpec("q", channel="chat")}, default_threshold=15)
    for event in (
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}),
        ev.ContactArrived(at=1.0, contact_id="c1", queue="q"),
        ev.OfferRejected(at=2.0, contact_id="c1", agent_id="a1"),
        ev.AgentLoggedIn(at=3.0, agent_id="a2", skills={}),
        ev.OfferAccepted(at=4.0, contact_id="c1", agent_id="a2"),
    ):
        assert recorder.observe(event, router.handle(event)) == []
    end = ev.ContactEnded(at=9.0, contact_id="c1")
    decisions = router.handle(end)
    assert not any(isinstance(d, dc.WrapUpStarted) for d in decisions)
    [record] = recorder.observe(end, decisions)
    assert (record.offers, record.agents, record.threshold) == (2, ("a2",), 15.0)
    assert (record.wait, record.wrap_ended_at, record.preferred_agent) == (3.0, None, None)


@pytest.mark.parametrize("keep", [True, False])
def test_keep_records_false_follows_but_drops(keep: bool) -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="chat")])
    hub = ExperienceHub(router, MemoryContextStore(), keep_records=keep)
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    hub.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
    assert hub.open_record("c1") is not None
    hub.handle(ev.ContactAbandoned(at=2.0, contact_id="c1"))
    assert len(hub.finished_records()) == (1 if keep else 0)
    assert hub.open_record("c1") is None


SAME = ("offered_at", "answered_at", "ended_at", "agent_id", "transfers", "final_queue", "offers",
        "agents", "wrap_ended_at", "preferred_agent", "not_asked", "channel", "queue",
        "estimated_wait")  # fmt: skip


@pytest.mark.parametrize("name", ["omnichannel-day", "customer-journeys"])
def test_the_simulator_fills_the_record_as_the_hub_does(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With context on, the simulator's records and its hub's recorder agree field by field
    (customer ids differ: the store's own; the simulator sends no segment)."""
    hubs: list[ExperienceHub] = []

    class KeepingHub(ExperienceHub):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "keep_records": True})
            hubs.append(self)

    monkeypatch.setattr(customers, "ExperienceHub", KeepingHub)
    scenario = load_scenario(SCENARIOS / f"{name}.toml").with_context(True)
    records = run(scenario, replication=0).records
    live = {record.contact_id: record for record in hubs[0].finished_records()}
    finished = [r for r in records if r.outcome != "unfinished"]
    assert finished and all(r.contact_id in live for r in finished)
    for record in finished:
        other = live[record.contact_id]
        assert [getattr(record, k) for k in SAME] == [getattr(other, k) for k in SAME], record
    assert any(r.offers > 1 for r in finished) or name == "customer-journeys"
    if name == "omnichannel-day":  # transfers and wrap-ups happen there
        assert any(len(r.agents) == 2 for r in finished)
        assert any(r.wrap_ended_at is not None for r in finished)
    else:  # the store's affinity and the briefs are at work
        assert {r.preferred_agent for r in finished} == {None, True, False}
        assert any(r.not_asked for r in finished)


def test_without_context_the_simulator_has_no_preferred_agents_or_briefs() -> None:
    records = run(load_scenario(SCENARIOS / "omnichannel-day.toml"), replication=0).records
    handled = [r for r in records if r.outcome == "handled"]
    assert all(len(r.agents) == 1 + r.transfers and r.offers >= 1 for r in handled)
    assert {(r.preferred_agent, r.not_asked) for r in records} == {(None, ())}


def test_a_queued_callback_is_answered_when_the_customer_answers_and_can_fail() -> None:
    policy = CallbackPolicy(retry_seconds=10.0, max_attempts=1)
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone", callback=policy)])
    recorder = ContactRecorder(router)
    finished: list[ContactRecord] = []

    def send(event: ev.Event) -> None:
        finished.extend(recorder.observe(event, router.handle(event)))

    send(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, capacity={"phone": 1}))
    for cid in ("busy", "c1", "c2"):
        send(ev.ContactArrived(at=1.0, contact_id=cid, queue="q"))
    send(ev.OfferAccepted(at=1.0, contact_id="busy", agent_id="a1"))
    send(ev.CallbackRequested(at=2.0, contact_id="c1"))
    send(ev.CallbackRequested(at=2.0, contact_id="c2"))
    send(ev.ContactEnded(at=5.0, contact_id="busy"))  # c1 offered, a callback
    send(ev.OfferAccepted(at=6.0, contact_id="c1", agent_id="a1"))
    assert recorder.open_record("c1").answered_at is None  # type: ignore[union-attr]
    send(ev.CallbackAnswered(at=20.0, contact_id="c1"))
    assert recorder.open_record("c1").answered_at == 20.0  # type: ignore[union-attr]
    send(ev.ContactEnded(at=80.0, contact_id="c1"))  # c2 offered
    send(ev.OfferAccepted(at=81.0, contact_id="c2", agent_id="a1"))
    send(ev.CallbackFailed(at=90.0, contact_id="c2"))  # its only dial
    outcomes = {r.contact_id: (r.outcome, r.answered_at, r.ended_at) for r in finished}
    assert outcomes["c1"] == ("handled", 20.0, 80.0)
    assert outcomes["c2"] == ("callback_failed", None, 90.0)


def test_a_contact_ended_or_moved_at_a_closing_is_recorded() -> None:
    queues = [
        QueueSpec("q", channel="phone", closed_queue="night", closed_rule="move"),
        QueueSpec("night", channel="phone", closed_rule="end"),
    ]
    router = Router(SkillGraph(), queues)
    recorder = ContactRecorder(router)
    finished: list[ContactRecord] = []

    def send(event: ev.Event) -> None:
        finished.extend(recorder.observe(event, router.handle(event)))

    send(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
    send(ev.QueueClosed(at=2.0, queue="q"))  # c1 moves to night
    assert recorder.open_record("c1").final_queue == "night"  # type: ignore[union-attr]
    send(ev.QueueClosed(at=5.0, queue="night"))  # c1 ends there
    (record,) = finished
    assert (record.outcome, record.ended_at, record.wait, record.queue) == ("closed", 5.0, 4.0, "q")
    assert len(recorder) == 0
