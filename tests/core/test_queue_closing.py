"""QueueClosed / QueueOpened: a supervisor closes a queue and opens it again (docs/routing.md)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import ConfigError, QueueSpec, Router, SkillGraph, Stage, UnknownQueue
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.journal.records import decode, encode
from routing_helpers import arrive, kinds, login, offers


def router_of(**billing: object) -> Router:
    """billing (phone) and after_hours (phone, any agent); ``billing`` sets billing's fields."""
    queues = [
        QueueSpec("billing", channel="phone", requires={"billing": 1}, **billing),  # type: ignore[arg-type]
        QueueSpec("after_hours", channel="phone", stages=[Stage(after=0, max_cost=None)]),
    ]
    return Router(SkillGraph(), queues, offer_timeout=30.0)


def close(router: Router, at: float, queue: str = "billing", reason: str | None = None) -> list[dc.Decision]:
    decisions = router.handle(ev.QueueClosed(at=at, queue=queue, reason=reason))
    router._check()
    return decisions


def refused(decisions: list[dc.Decision]) -> list[tuple[str, str, str]]:
    return [(d.contact_id, d.queue, d.reason) for d in decisions if isinstance(d, dc.Refused)]


def test_the_events_are_frozen_values_whose_repr_is_python() -> None:
    for event in (ev.QueueClosed(at=1.0, queue="q", reason="drill"), ev.QueueOpened(at=2.0, queue="q")):
        assert eval(repr(event), vars(ev)) == event
        assert decode(encode(event)) == event
    with pytest.raises(Exception, match="reason"):
        ev.QueueClosed(at=1.0, queue="q", reason="x" * 201)


def test_arrivals_to_a_closed_queue_are_refused_saying_closed_and_waiting_ones_keep_being_served() -> None:
    router = router_of()
    assert kinds(arrive(router, "c1", 1.0, queue="billing")) == ["Enqueued"]
    assert router.is_open("billing")
    assert close(router, 2.0, reason="fire drill") == []
    assert not router.is_open("billing") and router.is_open("after_hours")
    assert refused(arrive(router, "c2", 3.0, queue="billing")) == [
        ("c2", "billing", "queue billing closed (fire drill)")
    ]
    assert "c2" not in router.contact_ids()
    # the default closing rule keeps the contact already waiting: an agent still gets it
    assert offers(login(router, "a1", 4.0, skills={"billing": 1})) == [("c1", "a1")]
    counters = router.stats.counters("billing")
    assert (counters.arrived, counters.refused, counters.closed_refused) == (2, 1, 1)


def test_an_opened_queue_takes_arrivals_again_and_open_close_are_idempotent() -> None:
    router = router_of()
    close(router, 1.0)
    assert close(router, 2.0) == []
    assert router.handle(ev.QueueOpened(at=3.0, queue="billing")) == []
    assert router.handle(ev.QueueOpened(at=4.0, queue="billing")) == []
    assert router.is_open("billing")
    assert kinds(arrive(router, "c1", 5.0, queue="billing")) == ["Enqueued"]


def test_arrivals_go_to_the_closed_queue_when_named_and_are_refused_when_it_is_closed_too() -> None:
    router = router_of(closed_queue="after_hours")
    login(router, "a1", skills={}, capacity={"phone": 1})
    close(router, 1.0)
    assert offers(arrive(router, "c1", 2.0, queue="billing")) == [("c1", "a1")]
    assert router.explain("c1").summary.startswith("c1 is offered")
    close(router, 3.0, queue="after_hours")
    assert refused(arrive(router, "c2", 4.0, queue="billing")) == [
        ("c2", "billing", "queue billing closed; after_hours closed or full")
    ]
    counters = router.stats.counters("billing")
    assert (counters.closed_moved, counters.closed_refused) == (1, 1)
    assert router.stats.counters("after_hours").transferred_in == 1


def test_closing_rule_move_transfers_waiting_and_ringing_contacts_and_leaves_connected_ones() -> None:
    router = router_of(closed_queue="after_hours", closed_rule="move")
    login(router, "a1", skills={"billing": 1}, capacity={"phone": 1})
    arrive(router, "c1", 1.0, queue="billing")
    router.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    login(router, "a2", 3.0, skills={"billing": 1}, capacity={"phone": 1})
    assert offers(arrive(router, "c2", 4.0, queue="billing")) == [("c2", "a2")]
    arrive(router, "c3", 5.0, queue="billing")
    decisions = close(router, 6.0)
    assert [(d.contact_id, d.reason) for d in decisions if isinstance(d, dc.OfferWithdrawn)] == [
        ("c2", "queue billing closed")
    ]
    # c3 moves first; a2, its offer withdrawn, takes it in after_hours; c2 waits there
    assert [d.contact_id for d in decisions if isinstance(d, dc.Enqueued)] == ["c3", "c2"]
    assert offers(decisions) == [("c3", "a2")]
    assert all(d.queue == "after_hours" for d in decisions if isinstance(d, dc.Enqueued))
    assert router.work("a1")[0].contact_id == "c1"
    assert router.stats.counters("billing").closed_moved == 2


def test_closing_rule_end_refuses_each_waiting_contact_so_the_caller_can_play_a_message() -> None:
    router = router_of(closed_rule="end")
    login(router, "a1", skills={"billing": 1}, capacity={"phone": 1})
    assert offers(arrive(router, "c1", 1.0, queue="billing")) == [("c1", "a1")]
    arrive(router, "c2", 2.0, queue="billing")
    decisions = close(router, 3.0, reason="storm")
    reason = "queue billing closed while it waited (storm)"
    assert refused(decisions) == [("c2", "billing", reason), ("c1", "billing", reason)]
    assert [d.reason for d in decisions if isinstance(d, dc.OfferWithdrawn)] == [reason]
    assert router.contact_ids() == [] and router.stats.waiting("billing") == 0
    assert router.work("a1") == []
    # the id may arrive again (to an open queue)
    router.handle(ev.QueueOpened(at=4.0, queue="billing"))
    assert offers(arrive(router, "c1", 5.0, queue="billing")) == [("c1", "a1")]


def test_a_transfer_into_a_closed_queue_is_refused_and_the_contact_stays() -> None:
    router = router_of()
    arrive(router, "c1", 1.0, queue="after_hours")
    close(router, 2.0)
    decisions = router.handle(ev.ContactTransferred(at=3.0, contact_id="c1", queue="billing"))
    assert refused(decisions) == [
        ("c1", "billing", "transfer target closed; the contact stays where it was")
    ]
    assert router.explain("c1").summary  # still waiting in after_hours
    assert router.stats.waiting("after_hours") == 1


def test_unknown_queues_are_refused_and_leave_the_router_as_a_tick_would() -> None:
    failing, clean = router_of(), router_of()
    for router in (failing, clean):
        arrive(router, "c1", 1.0, queue="billing")
    for event in (ev.QueueClosed(at=2.0, queue="nope"), ev.QueueOpened(at=2.0, queue="nope")):
        with pytest.raises(UnknownQueue, match="nope: no queue"):
            failing.handle(event)
    with pytest.raises(UnknownQueue):
        failing.is_open("nope")
    clean.handle(ev.Tick(at=2.0))
    assert pickle.dumps(failing._core.closed) == pickle.dumps(clean._core.closed)
    assert failing.handle(ev.Tick(at=3.0)) == clean.handle(ev.Tick(at=3.0))


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"closed_rule": "drop"}, "closed_rule='drop' must be one of keep, move, end"),
        ({"closed_rule": "move"}, "needs a closed_queue"),
        ({"closed_queue": "billing"}, "must name another queue"),
        ({"closed_queue": ""}, "must name another queue"),
    ],
)
def test_bad_closing_configuration_is_refused(fields: dict[str, object], rule: str) -> None:
    with pytest.raises(ConfigError, match=rule):
        QueueSpec("billing", channel="phone", **fields)  # type: ignore[arg-type]


def test_a_closed_queue_that_is_not_configured_is_refused_by_the_router() -> None:
    with pytest.raises(ConfigError, match="closed_queue='ghost' is not a configured queue"):
        Router(SkillGraph(), [QueueSpec("billing", channel="phone", closed_queue="ghost")])


def test_a_snapshot_carries_the_closed_state() -> None:
    router = router_of()
    close(router, 1.0, reason="drill")
    copy = pickle.loads(pickle.dumps(router))
    assert not copy.is_open("billing")
    assert refused(arrive(copy, "c1", 2.0, queue="billing"))[0][2] == "queue billing closed (drill)"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rule=st.sampled_from(["keep", "move", "end"]),
    steps=st.lists(
        st.tuples(st.sampled_from(["arrive", "close", "open", "login", "accept", "end"]), st.integers(0, 4)),
        max_size=40,
    ),
)
def test_no_contact_ever_joins_a_closed_queue_and_the_router_stays_consistent(
    rule: str, steps: list[tuple[str, int]]
) -> None:
    """Whatever the order of closes, opens, arrivals and answers: nothing is offered or queued
    in billing while it is closed, ``_check`` holds after every event, and under "end" or
    "move" no contact but connected ones remains in billing once it closed."""
    router = router_of(closed_queue="after_hours", closed_rule=rule)
    at, seq = 0.0, 0
    for action, n in steps:
        at += 1.0
        if action == "arrive":
            seq += 1
            decisions = arrive(router, f"c{seq}", at, queue="billing")
            if not router.is_open("billing"):
                assert all(getattr(d, "queue", "after_hours") != "billing" or isinstance(d, dc.Refused)
                           for d in decisions if not isinstance(d, dc.Offer))
                assert f"c{seq}" not in router.contact_ids() or router._core.contacts[f"c{seq}"].queue.name == "after_hours"
        elif action == "close":
            close(router, at, queue=["billing", "after_hours"][n % 2])
            if rule != "keep" and n % 2 == 0:
                left = [c for c in router._core.contacts.values() if c.queue.name == "billing"]
                assert all(c.status.value == "connected" for c in left)
        elif action == "open":
            router.handle(ev.QueueOpened(at=at, queue=["billing", "after_hours"][n % 2]))
        elif action == "login" and f"a{n}" not in router.agent_ids():
            login(router, f"a{n}", at, skills={"billing": 1}, capacity={"phone": 1})
        elif action in ("accept", "end") and f"a{n}" in router.agent_ids():
            for work in router.work(f"a{n}"):
                if work.phase == "offered" and action == "accept":
                    router.handle(ev.OfferAccepted(at=at, contact_id=work.contact_id, agent_id=f"a{n}"))
                elif work.phase == "connected" and action == "end":
                    router.handle(ev.ContactEnded(at=at, contact_id=work.contact_id))
        router._check()
