"""Consults and warm transfers: the leg is routed like a contact (never to the agent asking), each
outcome moves the agents as documented, and every illegal sequence is refused, changing nothing."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub import (
    DuplicateId,
    InvalidEvent,
    InvalidTransition,
    QueueSpec,
    Router,
    SkillGraph,
    WrapUp,
)
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core.errors import RoutingError, UnknownAgent, UnknownContact, UnknownQueue
from experiencehub.journal.records import decode, encode
from routing_helpers import kinds, login, offers

WRAP = WrapUp(mode="timed", seconds=30.0)


def router(affinity_seconds: float = 60.0) -> Router:
    """c1 connected to a1 in "front"; b1 and b2 free for "tier2" (a1 may serve it too)."""
    queues = [
        QueueSpec("front", channel="chat", requires={"front": 1}, wrap_up=WRAP,
                  affinity_seconds=affinity_seconds),
        QueueSpec("tier2", channel="chat", requires={"tier2": 1}, wrap_up=WRAP,
                  affinity_seconds=affinity_seconds),
        QueueSpec("mail", channel="email", requires={"tier2": 1}),
    ]  # fmt: skip
    made = Router(SkillGraph(), queues, offer_timeout=20.0)  # chat: a1 has slots to spare
    login(made, "a1", skills={"front": 1, "tier2": 1})
    login(made, "b1", skills={"tier2": 1}, at=0.5)
    login(made, "b2", skills={"tier2": 1}, at=0.6)
    made.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="front"))
    made.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    return made


def consult(made: Router, at: float = 3.0, **target: str) -> list[dc.Decision]:
    target = target or {"queue": "tier2"}
    return made.handle(ev.ConsultRequested(at=at, contact_id="c1", consult_id="k1", **target))


def connected(made: Router, at: float = 3.0, **target: str) -> str:
    """A consult taken by an agent; returns that agent."""
    [(_leg, agent)] = offers(consult(made, at, **target))
    made.handle(ev.OfferAccepted(at=at + 1, contact_id="k1", agent_id=agent))
    return agent


def end(made: Router, outcome: str, at: float = 10.0) -> list[dc.Decision]:
    return made.handle(ev.ConsultEnded(at=at, contact_id="c1", outcome=outcome))


def phases(made: Router, agent_id: str) -> list[tuple[str, str]]:
    return [(w.contact_id, w.phase) for w in made.work(agent_id)]


def test_the_leg_is_offered_to_an_agent_of_the_queue_never_the_one_asking() -> None:
    made = router()
    out = consult(made)
    assert offers(out) == [("k1", "b1")]  # a1 serves tier2 and idled longest, but asked
    [offer] = [d for d in out if isinstance(d, dc.Offer)]
    assert offer.explanation.summary.startswith("consult k1 of c1 by a1: ")
    assert "leg of the consult k1 of c1 by a1" in made.explain("k1").summary
    assert "consult k1 of c1 by a1 open: leg offered with b1" in made.explain("c1").summary
    made._check()


def test_a_rejected_or_expired_leg_goes_to_the_next_agent_and_waits_after() -> None:
    made = router()
    consult(made)
    assert offers(made.handle(ev.OfferRejected(at=4.0, contact_id="k1", agent_id="b1"))) == [
        ("k1", "b2")
    ]
    out = made.handle(ev.Tick(at=24.0))  # b2 lets it expire: nobody left but a1, who asked
    assert kinds(out) == ["OfferExpired"]
    assert made.contact_status("k1") == "waiting"
    assert "declined it" in made.explain("k1").summary
    made._check()


def test_the_consulted_agent_uses_a_slot_of_the_contacts_channel() -> None:
    made = router()
    agent = connected(made)
    assert made.agent_load(agent)["chat"] == 1
    assert phases(made, agent) == [("k1", "connected")]
    assert phases(made, "a1") == [("c1", "connected")]
    made._check()


def test_warm_transfer_the_consulted_agent_keeps_the_contact_the_first_wraps_up() -> None:
    made = router()
    agent = connected(made)
    out = end(made, "transfer")
    assert [(d.agent_id, d.contact_id) for d in out if isinstance(d, dc.WrapUpStarted)] == [
        ("a1", "c1")
    ]
    assert phases(made, "a1") == [("c1", "wrap_up")]
    assert phases(made, agent) == [("c1", "connected")]
    assert "k1" not in made.contact_ids()
    assert made.stats.counters("tier2").transferred_in == 1
    made._check()
    out = made.handle(ev.ContactEnded(at=20.0, contact_id="c1"))
    assert [(d.agent_id, d.contact_id) for d in out if isinstance(d, dc.WrapUpStarted)] == [
        (agent, "c1")
    ]
    made._check()


def test_conference_both_keep_it_until_it_ends_then_both_wrap_up() -> None:
    made = router()
    agent = connected(made)
    assert end(made, "conference") == []
    assert "conference k1 of c1 by a1" in made.explain("c1").summary
    made._check()
    out = made.handle(ev.ContactEnded(at=20.0, contact_id="c1"))
    assert sorted((d.agent_id, d.contact_id) for d in out if isinstance(d, dc.WrapUpStarted)) == [
        ("a1", "c1"),
        (agent, "k1"),
    ]
    made._check()
    made.handle(ev.WrapUpEnded(at=21.0, agent_id=agent, contact_id="k1"))
    assert made.agent_load(agent)["chat"] == 0
    made._check()


def test_return_releases_the_consulted_agent_at_once() -> None:
    made = router()
    agent = connected(made)
    out = end(made, "return")
    assert not [d for d in out if isinstance(d, dc.WrapUpStarted)]
    assert made.work(agent) == []  # its slot freed without wrap-up
    assert phases(made, "a1") == [("c1", "connected")]
    made._check()


@pytest.mark.parametrize("answered", [False, True])
def test_cancel_while_waiting_or_offered(answered: bool) -> None:
    made = router()
    made.handle(ev.AgentStatusChanged(at=2.5, agent_id="b2", status="away"))
    consult(made)
    if answered:
        made.handle(ev.OfferRejected(at=4.0, contact_id="k1", agent_id="b1"))
        assert made.contact_status("k1") == "waiting"
        out = end(made, "cancel")
        assert kinds(out) == []
    else:
        out = end(made, "cancel")
        assert [(d.agent_id, d.reason) for d in out if isinstance(d, dc.OfferWithdrawn)] == [
            ("b1", "consult cancelled")
        ]
    assert "k1" not in made.contact_ids()
    assert made.stats.waiting("tier2") == 0
    made._check()


@pytest.mark.parametrize(
    ("step", "consulted_after"),
    [("waiting", None), ("offered", []), ("connected", []), ("conference", [("k1", "wrap_up")])],
)
def test_the_customer_hanging_up_ends_the_consult(
    step: str, consulted_after: list[tuple[str, str]] | None
) -> None:
    made = router()
    if step == "waiting":
        for agent in ("b1", "b2"):
            made.handle(ev.AgentStatusChanged(at=2.5, agent_id=agent, status="away"))
        consult(made)
    elif step == "offered":
        consult(made)
    else:
        connected(made)
        if step == "conference":
            end(made, "conference", at=5.0)
    made.handle(ev.ContactEnded(at=9.0, contact_id="c1"))
    assert made.contact_ids() == []
    assert phases(made, "a1") == [("c1", "wrap_up")]
    if consulted_after is not None:
        assert phases(made, "b1") == consulted_after
    made._check()
    if step != "conference":  # the leg's id is free again (a conference leg is wrapped up)
        made.handle(ev.ContactArrived(at=10.0, contact_id="k1", queue="front"))
        made._check()


def test_a_named_agent_is_offered_the_leg_first() -> None:
    made = router()
    assert offers(consult(made, queue="tier2", agent_id="b2")) == [("k1", "b2")]  # not b1
    made._check()


def test_a_named_agent_of_the_contacts_own_queue() -> None:
    made = router()
    login(made, "f1", skills={"front": 1}, at=2.5)
    assert offers(consult(made, agent_id="f1")) == [("k1", "f1")]
    assert made.explain("k1").summary.startswith("k1 is offered with f1")


def test_the_leg_waits_for_a_busy_named_agent_then_any_agent() -> None:
    made = router(affinity_seconds=30.0)
    made.handle(ev.AgentStatusChanged(at=2.5, agent_id="b2", status="away"))
    made.handle(ev.AgentStatusChanged(at=2.5, agent_id="b1", status="away"))
    assert kinds(consult(made, queue="tier2", agent_id="b2")) == ["Enqueued"]
    made.handle(ev.AgentStatusChanged(at=4.0, agent_id="b1", status="available"))
    assert made.contact_status("k1") == "waiting"  # b1 is not the agent named
    made._check()


# -- refusals change nothing ---------------------------------------------------------------
def _setup(made: Router, setup: str) -> None:
    if setup == "consulting":
        connected(made)
    elif setup == "offered":
        consult(made)
    elif setup == "conference":
        connected(made)
        end(made, "conference", at=5.0)
    elif setup == "b2 leaving":
        made.handle(
            ev.ContactArrived(at=2.5, contact_id="c5", queue="tier2", preferred_agents=("b2",))
        )
        made.handle(ev.OfferAccepted(at=2.5, contact_id="c5", agent_id="b2"))
        made.handle(ev.AgentLoggedOut(at=3.0, agent_id="b2"))


REQUEST = ev.ConsultRequested(at=6.0, contact_id="c1", consult_id="k2", queue="tier2")
REFUSALS = [
    ("none", ev.ConsultRequested(at=6.0, contact_id="zz", consult_id="k1", queue="tier2"),
     UnknownContact, "no such contact"),
    ("none", ev.ConsultRequested(at=6.0, contact_id="c1", consult_id="k1", queue="zz"),
     UnknownQueue, "no queue"),
    ("none", ev.ConsultRequested(at=6.0, contact_id="c1", consult_id="k1", queue="mail"),
     InvalidEvent, "needs a chat queue"),
    ("none", ev.ConsultRequested(at=6.0, contact_id="c1", consult_id="c1x", agent_id="a1"),
     InvalidTransition, "the agent asking"),
    ("none", ev.ConsultRequested(at=6.0, contact_id="c1", consult_id="k1", agent_id="b1"),
     InvalidEvent, "cannot serve queue front"),
    ("none", ev.ConsultRequested(at=6.0, contact_id="c1", consult_id="k1", agent_id="zz"),
     UnknownAgent, "zz"),
    ("b2 leaving", ev.ConsultRequested(at=6.0, contact_id="c1", consult_id="k1", queue="tier2",
                                       agent_id="b2"),
     InvalidTransition, "logging out"),
    ("none", ev.ConsultRequested(at=6.0, contact_id="c1", consult_id="c0", queue="tier2"),
     DuplicateId, "still in the router"),
    ("consulting", REQUEST, InvalidTransition, "consult again"),
    ("consulting", ev.ConsultRequested(at=6.0, contact_id="k1", consult_id="k3", queue="tier2"),
     InvalidTransition, "consult leg"),
    ("waiting c0", ev.ConsultRequested(at=6.0, contact_id="c0", consult_id="k3", queue="tier2"),
     InvalidTransition, "cannot consult while offered"),
    ("none", ev.ConsultEnded(at=6.0, contact_id="c1", outcome="return"),
     InvalidTransition, "no consult is open"),
    ("offered", ev.ConsultEnded(at=6.0, contact_id="c1", outcome="transfer"),
     InvalidTransition, "while its leg is offered"),
    ("consulting", ev.ConsultEnded(at=6.0, contact_id="c1", outcome="cancel"),
     InvalidTransition, "took it"),
    ("conference", ev.ConsultEnded(at=6.0, contact_id="c1", outcome="conference"),
     InvalidTransition, "one already"),
    ("consulting", ev.ContactEnded(at=6.0, contact_id="k1"), InvalidTransition, "consult leg"),
    ("offered", ev.ContactAbandoned(at=6.0, contact_id="k1"), InvalidTransition, "consult leg"),
    ("consulting", ev.ContactTransferred(at=6.0, contact_id="k1", queue="front"),
     InvalidTransition, "consult leg"),
    ("consulting", ev.ContactTransferred(at=6.0, contact_id="c1", queue="tier2"),
     InvalidTransition, "while its consult"),
]  # fmt: skip


@pytest.mark.parametrize(("setup", "event", "error", "rule"), REFUSALS)
def test_refusals_leave_the_router_as_a_tick_would(
    setup: str, event: ev.Event, error: type[RoutingError], rule: str
) -> None:
    routers = [router(), router()]
    for made in routers:
        if setup == "waiting c0":
            made.handle(ev.ContactArrived(at=2.5, contact_id="c0", queue="front"))
        _setup(made, setup)
        if setup == "none":
            made.handle(ev.ContactArrived(at=2.5, contact_id="c0", queue="front"))
    failing, clean = routers
    with pytest.raises(error, match=rule):
        failing.handle(event)
    failing._check()
    assert failing.handle(ev.Tick(at=6.0)) == clean.handle(ev.Tick(at=6.0))
    later = [ev.AgentLoggedIn(at=7.0, agent_id="b3", skills={"tier2": 1}),
             ev.ContactArrived(at=8.0, contact_id="c9", queue="tier2"),
             ev.ContactEnded(at=9.0, contact_id="c1")]  # fmt: skip
    for e in later:
        assert failing.handle(e) == clean.handle(e)
    assert failing.contact_ids() == clean.contact_ids()


def test_the_event_constructors_refuse_bad_values() -> None:
    with pytest.raises(InvalidEvent, match="or both"):
        ev.ConsultRequested(at=1.0, contact_id="c1", consult_id="k1")
    with pytest.raises(InvalidEvent, match="must differ"):
        ev.ConsultRequested(at=1.0, contact_id="c1", consult_id="c1", queue="q")
    with pytest.raises(InvalidEvent, match="outcome"):
        ev.ConsultEnded(at=1.0, contact_id="c1", outcome="hang up")


def test_the_journal_and_a_pickled_router_carry_the_consult() -> None:
    for event in (
        ev.ConsultRequested(at=1.0, contact_id="c1", consult_id="k1", agent_id="b1"),
        ev.ConsultEnded(at=2.0, contact_id="c1", outcome="conference"),
    ):
        assert decode(encode(event)) == event
    made = router()
    agent = connected(made)
    copy = pickle.loads(pickle.dumps(made))
    copy._check()
    assert copy.explain("c1") == made.explain("c1")
    for outcome in ("transfer",):
        assert end(copy, outcome) == end(made, outcome)
    assert phases(copy, agent) == phases(made, agent) == [("c1", "connected")]


# -- property: any sequence keeps the invariants; a leg never reaches the agent asking ---------
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["consult", "consult_b1", "accept", "reject", "end", "end_leg", "wrap", "tick",
             "arrive", "away", "back"]
        ),
        st.sampled_from(list(ev.CONSULT_OUTCOMES)),
        st.sampled_from(["c1", "c2", "c3"]),
    ),
    max_size=40,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(STEPS)
def test_consult_sequences_keep_every_invariant(steps: list[tuple[str, str, str]]) -> None:
    made = router()
    at, serial, asked = 3.0, 0, dict[str, str]()
    for what, outcome, cid in steps:
        at += 1.0
        serial += 1
        event: ev.Event = _step_event(made, what, outcome, cid, at=at, n=serial)
        try:
            out = made.handle(event)
        except RoutingError:
            made._check()
            continue
        if isinstance(event, ev.ConsultRequested):
            asked[event.consult_id] = holder(made, event.contact_id)
        for d in out:
            if isinstance(d, dc.Offer) and d.contact_id in asked:
                assert d.agent_id != asked[d.contact_id], d
        made._check()


def holder(made: Router, contact_id: str) -> str:
    [agent] = [a for a in made.agent_ids() if (contact_id, "connected") in phases(made, a)]
    return agent


def _step_event(made: Router, what: str, outcome: str, cid: str, *, at: float, n: int) -> ev.Event:
    live = made.contact_ids()
    offered = [(c, a) for a in made.agent_ids() for c, p in phases(made, a) if p == "offered"]
    wrapping = [(c, a) for a in made.agent_ids() for c, p in phases(made, a) if p == "wrap_up"]
    cid = live[n % len(live)] if live and cid != "c3" else cid
    if what == "consult":
        return ev.ConsultRequested(at=at, contact_id=cid, consult_id=f"k{n}", queue="tier2")
    if what == "consult_b1":
        return ev.ConsultRequested(
            at=at, contact_id=cid, consult_id=f"k{n}", queue="tier2", agent_id="b1"
        )
    if what in ("accept", "reject") and offered:
        c, a = offered[n % len(offered)]
        kind = ev.OfferAccepted if what == "accept" else ev.OfferRejected
        return kind(at=at, contact_id=c, agent_id=a)
    if what == "end":
        return ev.ConsultEnded(at=at, contact_id=cid, outcome=outcome)
    if what == "end_leg" and live:
        return ev.ContactEnded(at=at, contact_id=live[n % len(live)])
    if what == "wrap" and wrapping:
        c, a = wrapping[n % len(wrapping)]
        return ev.WrapUpEnded(at=at, agent_id=a, contact_id=c)
    if what == "arrive":
        return ev.ContactArrived(at=at, contact_id=f"c{n}", queue="front" if n % 2 else "tier2")
    if what in ("away", "back"):
        agent = ["a1", "b1", "b2"][n % 3]
        status = "away" if what == "away" else "available"
        return ev.AgentStatusChanged(at=at, agent_id=agent, status=status)
    return ev.Tick(at=at)


@pytest.mark.parametrize("why", ["closed", "full"])
def test_a_leg_for_a_closed_or_full_queue_is_refused_and_no_consult_starts(why: str) -> None:
    queues = [QueueSpec("front", channel="chat", requires={"front": 1}),
              QueueSpec("tier2", channel="chat", requires={"tier2": 1}, max_length=1)]  # fmt: skip
    made = Router(SkillGraph(), queues)
    login(made, "a1", skills={"front": 1})
    made.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="front"))
    made.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    if why == "closed":
        made.handle(ev.QueueClosed(at=2.5, queue="tier2"))
    else:
        made.handle(ev.ContactArrived(at=2.5, contact_id="c2", queue="tier2"))
    out = consult(made)
    assert [(d.contact_id, why in d.reason) for d in out if isinstance(d, dc.Refused)] == [
        ("k1", True)
    ]
    assert made.consult_of("k1") is None and "k1" not in made.contact_ids()
    assert made.explain("c1").summary == "c1 is connected with a1"
    made._check()


def test_a_waiting_leg_whose_queue_closes_with_the_rule_end_ends_the_consult() -> None:
    queues = [QueueSpec("front", channel="chat", requires={"front": 1}),
              QueueSpec("tier2", channel="chat", requires={"tier2": 1}, closed_rule="end")]  # fmt: skip
    made = Router(SkillGraph(), queues)
    login(made, "a1", skills={"front": 1})
    made.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="front"))
    made.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    assert kinds(consult(made)) == ["Enqueued"]
    out = made.handle(ev.QueueClosed(at=4.0, queue="tier2"))
    assert [d.contact_id for d in out if isinstance(d, dc.Refused)] == ["k1"]
    assert made.consult_of("k1") is None
    made._check()
    made.handle(ev.ConsultRequested(at=5.0, contact_id="c1", consult_id="k1", queue="front"))
    made._check()


def test_a_leg_moved_by_its_queues_closing_is_never_offered_to_the_agent_who_asked() -> None:
    """Found by RouterMachine with the closing rule "move": the move is a transfer, which used
    to forget that the leg never goes to the agent who asked (here the only agent, with chat
    slots to spare)."""
    queues = [QueueSpec("front", channel="chat", closed_queue="tier2", closed_rule="move"),
              QueueSpec("tier2", channel="chat")]  # fmt: skip
    made = Router(SkillGraph(), queues)
    login(made, "a1")
    made.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="front"))
    made.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    assert kinds(made.handle(ev.ConsultRequested(at=3.0, contact_id="c1", consult_id="k1",
                                                 queue="front"))) == ["Enqueued"]  # fmt: skip
    out = made.handle(ev.QueueClosed(at=4.0, queue="front"))
    assert [(d.contact_id, d.queue) for d in out if isinstance(d, dc.Enqueued)] == [("k1", "tier2")]
    assert not offers(out) and made.contact_status("k1") == "waiting"
    made._check()
