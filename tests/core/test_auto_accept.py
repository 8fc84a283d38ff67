"""Auto-accept agents: AgentLoggedIn(auto_accept=True) — the router accepts their offers on their
behalf, in the same ``handle`` call (core/_offers.py, core/_handlers.py ``accept_offer``)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import (
    CallbackPolicy,
    InvalidEvent,
    OfferNotFound,
    QueueSpec,
    Router,
    RoutingError,
    SkillGraph,
    wire,
)
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core.router import AgentView
from experiencehub.journal import JournaledRouter, SnapshotVersionMismatch, recover
from experiencehub.journal.records import decode, encode
from experiencehub.journal.snapshots import FORMAT_VERSION, read_snapshot, write_snapshot
from journal_streams import fingerprint
from routing_helpers import kinds, login

AUTO = "accepted on the agent's behalf (auto-accept)"


def router(**kwargs: object) -> Router:
    queues = [
        QueueSpec("support", channel="phone", requires={"support": 1}),
        QueueSpec("chat", channel="chat", requires={"support": 1}),
        QueueSpec(
            "back",
            channel="phone",
            callback=CallbackPolicy(retry_seconds=60.0, max_attempts=2),
        ),
    ]
    return Router(SkillGraph(), queues, **kwargs)  # type: ignore[arg-type]


def send(made: Router, event: ev.Event) -> list[dc.Decision]:
    decisions = made.handle(event)
    made._check()
    return decisions


def same_state(one: Router, other: Router) -> bool:
    """Equal states as the public reads show them (and each contact's explanation)."""

    def seen(made: Router) -> tuple[object, ...]:
        return (fingerprint(made), [made.explain(c) for c in made.contact_ids()])

    return seen(one) == seen(other)


def only_offer(decisions: list[dc.Decision]) -> dc.Offer:
    found = [d for d in decisions if isinstance(d, dc.Offer)]
    assert len(found) == 1, decisions
    return found[0]


def test_login_field_is_a_validated_flag_default_off() -> None:
    e = ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, auto_accept=True)
    assert e.auto_accept is True
    assert ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}).auto_accept is False
    assert eval(repr(e), vars(ev)) == e
    assert decode(encode(e)) == e
    with pytest.raises(InvalidEvent, match="auto_accept=1: must be True or False"):
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, auto_accept=1)  # type: ignore[arg-type]


def test_arrival_is_offered_and_connected_in_one_call() -> None:
    made = router()
    login(made, "a1", auto_accept=True)
    decisions = send(made, ev.ContactArrived(at=5.0, contact_id="c1", queue="support"))
    offer = only_offer(decisions)
    assert offer.auto_accepted is True and offer.expires_at is None
    assert offer.explanation.summary.endswith(AUTO)
    assert kinds(decisions) == ["Offer"]  # no Enqueued: it never waited
    assert [(w.contact_id, w.phase, w.until) for w in made.work("a1")] == [
        ("c1", "connected", None)
    ]
    assert made.next_deadline() is None  # no offer time-out scheduled
    assert made.stats.counters("support").answered == 1
    assert "connected" in made.explain("c1").summary


def test_agent_freeing_takes_the_waiting_contact_connected() -> None:
    made = router()
    login(made, "a1", auto_accept=True)
    send(made, ev.ContactArrived(at=1.0, contact_id="c1", queue="support"))
    assert kinds(send(made, ev.ContactArrived(at=2.0, contact_id="c2", queue="support"))) == [
        "Enqueued"
    ]
    send(made, ev.ContactEnded(at=3.0, contact_id="c1"))  # wrap-up "none": freed at once
    decisions = made.handle(ev.Tick(at=3.0))
    made._check()
    work = {w.contact_id: w.phase for w in made.work("a1")}
    assert work == {"c2": "connected"}, (decisions, work)


def test_several_chats_at_login_are_all_connected() -> None:
    made = router()
    for i in range(4):
        send(made, ev.ContactArrived(at=float(i), contact_id=f"c{i}", queue="chat"))
    decisions = send(
        made,
        ev.AgentLoggedIn(at=5.0, agent_id="a1", skills={"support": 1}, capacity={"chat": 3},
                         auto_accept=True),
    )  # fmt: skip
    offers = [d for d in decisions if isinstance(d, dc.Offer)]
    assert [(o.contact_id, o.auto_accepted) for o in offers] == [
        ("c0", True), ("c1", True), ("c2", True)
    ]  # fmt: skip
    assert sorted(w.phase for w in made.work("a1")) == ["connected"] * 3
    assert made.stats.waiting("chat") == 1


@pytest.mark.parametrize("answer", [ev.OfferAccepted, ev.OfferRejected])
def test_a_later_answer_is_refused_and_changes_nothing(answer: type) -> None:
    made = router()
    login(made, "a1", auto_accept=True)
    send(made, ev.ContactArrived(at=1.0, contact_id="c1", queue="support"))
    ticked = pickle.loads(pickle.dumps(made))
    ticked.handle(ev.Tick(at=2.0))  # a refused event leaves the router as after Tick(at)
    with pytest.raises(
        OfferNotFound,
        match=r"c1: no open offer to a1 \(contact is connected to a1; a1 auto-accepts: the "
        "router accepted its offer when it made it",
    ):
        made.handle(answer(at=2.0, contact_id="c1", agent_id="a1"))
    assert same_state(made, ticked)


def test_callback_dial_starts_at_once() -> None:
    made = router()
    login(made, "busy", auto_accept=True)
    send(made, ev.ContactArrived(at=0.0, contact_id="x", queue="back"))
    send(made, ev.ContactArrived(at=1.0, contact_id="c1", queue="back"))
    send(made, ev.CallbackRequested(at=1.0, contact_id="c1"))
    decisions = send(made, ev.AgentLoggedIn(at=2.0, agent_id="a1", skills={}, auto_accept=True))
    offer = only_offer(decisions)
    assert offer.callback and offer.auto_accepted and offer.expires_at is None
    assert [(w.contact_id, w.phase) for w in made.work("a1")] == [("c1", "dialing")]
    send(made, ev.CallbackAnswered(at=9.0, contact_id="c1"))
    assert [(w.contact_id, w.phase) for w in made.work("a1")] == [("c1", "connected")]


def test_consult_leg_to_an_auto_accept_agent_connects_at_once() -> None:
    made = router()
    login(made, "a1")
    send(made, ev.ContactArrived(at=1.0, contact_id="c1", queue="support"))  # offered to a1
    send(made, ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    login(made, "a2", 3.0, auto_accept=True)
    decisions = send(
        made, ev.ConsultRequested(at=4.0, contact_id="c1", consult_id="k1", queue="support")
    )
    offer = only_offer(decisions)
    assert (offer.contact_id, offer.agent_id, offer.auto_accepted) == ("k1", "a2", True)
    assert offer.explanation.summary.startswith("consult") and AUTO in offer.explanation.summary
    assert ("k1", "connected") in [(w.contact_id, w.phase) for w in made.work("a2")]


def test_without_auto_accept_nothing_changes() -> None:
    made = router()
    login(made, "a1")
    offer = only_offer(send(made, ev.ContactArrived(at=1.0, contact_id="c1", queue="support")))
    assert offer.auto_accepted is False and offer.expires_at == 31.0
    assert AUTO not in offer.explanation.summary
    assert [w.phase for w in made.work("a1")] == ["offered"]


def test_agent_view_says_it_auto_accepts() -> None:
    made = router()
    login(made, "a1", auto_accept=True)
    login(made, "a2")
    view = made.agent_view("a1")
    assert isinstance(view, AgentView) and view.auto_accept is True
    assert made.agent_view("a2").auto_accept is False


def test_auto_accept_agent_never_counts_unanswered_or_goes_away() -> None:
    made = router(offer_timeout=5.0, max_unanswered_offers=1)
    login(made, "a1", auto_accept=True)
    for i in range(3):
        send(made, ev.ContactArrived(at=float(i), contact_id=f"c{i}", queue="chat"))
    made.handle(ev.Tick(at=100.0))
    made._check()
    assert made.agent_status("a1") == "available"
    assert sorted(w.phase for w in made.work("a1")) == ["connected"] * 3


# -- property: random streams with some auto-accept agents --------------------------------------
_IDS = [f"c{i}" for i in range(6)]
_AGENTS = ["a0", "a1", "a2"]


@st.composite
def _streams(draw: st.DrawFn) -> list[ev.Event]:
    events: list[ev.Event] = []
    at = 0.0
    for _ in range(draw(st.integers(5, 40))):
        at += draw(st.sampled_from([0.0, 0.5, 3.0, 40.0]))
        kind = draw(st.integers(0, 7))
        cid, aid = draw(st.sampled_from(_IDS)), draw(st.sampled_from(_AGENTS))
        queue = draw(st.sampled_from(["support", "chat", "back"]))
        made: ev.Event
        if kind == 0:
            made = ev.AgentLoggedIn(at=at, agent_id=aid, skills={"support": 1},
                                    capacity={"phone": 1, "chat": 2},
                                    auto_accept=draw(st.booleans()))  # fmt: skip
        elif kind == 1:
            made = ev.ContactArrived(at=at, contact_id=cid, queue=queue)
        elif kind == 2:
            made = ev.OfferAccepted(at=at, contact_id=cid, agent_id=aid)
        elif kind == 3:
            made = ev.OfferRejected(at=at, contact_id=cid, agent_id=aid)
        elif kind == 4:
            made = ev.ContactEnded(at=at, contact_id=cid)
        elif kind == 5:
            made = ev.ContactAbandoned(at=at, contact_id=cid)
        elif kind == 6:
            made = draw(st.sampled_from([
                ev.AgentStatusChanged(at=at, agent_id=aid, status="away"),
                ev.AgentStatusChanged(at=at, agent_id=aid),
                ev.AgentLoggedOut(at=at, agent_id=aid),
                ev.CallbackRequested(at=at, contact_id=cid),
                ev.CallbackAnswered(at=at, contact_id=cid),
                ev.CallbackFailed(at=at, contact_id=cid, reason="busy"),
            ]))  # fmt: skip
        else:
            made = ev.Tick(at=at)
        events.append(made)
    return events


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_streams())
def test_random_streams_keep_invariants_and_leave_no_auto_offer_open(
    events: list[ev.Event],
) -> None:
    made = router(offer_timeout=20.0, max_unanswered_offers=2)
    auto: set[str] = set()
    for event in events:
        ticked = pickle.loads(pickle.dumps(made))
        try:
            decisions = made.handle(event)
        except RoutingError:  # validate, then mutate: left as after Tick(at)
            if event.at >= ticked.now:
                ticked.handle(ev.Tick(at=event.at))
            assert same_state(made, ticked)
            continue
        made._check()
        if isinstance(event, ev.AgentLoggedIn) and event.auto_accept:
            auto.add(event.agent_id)
        for d in decisions:
            if isinstance(d, dc.Offer):
                assert d.auto_accepted == (d.agent_id in auto), d
                assert (d.expires_at is None) == d.auto_accepted, d
            if isinstance(d, (dc.OfferExpired, dc.OfferWithdrawn)):
                assert d.agent_id not in auto, d
            if isinstance(d, dc.LogoutCompleted):
                auto.discard(d.agent_id)
        for agent_id in auto & set(made.agent_ids()):
            assert "offered" not in {w.phase for w in made.work(agent_id)}, agent_id


# -- what carries the setting: wire format, journal records, snapshots ---------------------------
def test_wire_round_trips_and_old_documents_default_to_off() -> None:
    login_event = ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"support": 1}, auto_accept=True)
    assert wire.loads(wire.dumps(login_event)) == login_event
    assert '"auto_accept":true' in wire.dumps(login_event)
    made = router()
    made.handle(login_event)
    offer = only_offer(made.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="support")))
    assert wire.loads(wire.dumps(offer)) == offer and '"auto_accepted":true' in wire.dumps(offer)
    older = {"type": "AgentLoggedIn", "schema": 1, "at": 0.0, "agent_id": "a1", "skills": {}}
    assert wire.from_json(older).auto_accept is False  # written before the field existed
    plain = {k: v for k, v in wire.to_json(offer).items() if k != "auto_accepted"}
    assert wire.from_json(plain).auto_accepted is False


def test_snapshot_keeps_the_setting_and_its_format_says_so(tmp_path: Path) -> None:
    made = router()
    login(made, "a1", auto_accept=True)
    path = write_snapshot(tmp_path, 1, made)
    assert f'"format": {FORMAT_VERSION}'.encode() in path.read_bytes()
    assert FORMAT_VERSION >= 5  # 4 had agents without the auto_accept slot
    _seq, loaded = read_snapshot(path)
    assert loaded.agent_view("a1").auto_accept is True
    event = ev.ContactArrived(at=1.0, contact_id="c1", queue="support")
    assert loaded.handle(event) == made.handle(event)
    loaded._check()
    stale = path.read_bytes().replace(f'"format": {FORMAT_VERSION}'.encode(), b'"format": 4')
    path.write_bytes(stale)
    with pytest.raises(SnapshotVersionMismatch, match="format 4"):
        read_snapshot(path)


def test_a_recovered_journal_keeps_the_setting(tmp_path: Path) -> None:
    journaled = JournaledRouter.create(tmp_path, router())
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"support": 1},
                                      auto_accept=True))  # fmt: skip
    journaled.close()
    recovered = recover(tmp_path)  # replays the journal after the snapshot of the empty router
    offer = only_offer(
        recovered.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="support"))
    )
    assert offer.auto_accepted and offer.agent_id == "a1"
