"""Each queue's contacts, indexed (core/_members.py): the rare events that act on all of a
queue's contacts find them in O(their number), in the order they came into the router."""

from __future__ import annotations

import pickle

import pytest

from experiencehub import QueueSpec, Router, SkillGraph, Stage
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core._members import QueueMembers
from routing_helpers import login

ANY = [Stage(after=0, max_cost=None)]


def router_of(billing_rule: str = "end") -> Router:
    """billing closes by ``billing_rule`` (moving to overflow); sales and overflow keep."""
    queues = [
        QueueSpec(
            "billing",
            channel="phone",
            stages=ANY,
            closed_rule=billing_rule,  # type: ignore[arg-type]
            closed_queue="overflow",
        ),
        QueueSpec("sales", channel="phone", stages=ANY),
        QueueSpec("overflow", channel="phone", stages=ANY),
    ]
    return Router(SkillGraph(), queues, offer_timeout=30.0)


def send(router: Router, event: ev.Event) -> list[dc.Decision]:
    decisions = router.handle(event)
    router._check()  # the members index among every invariant
    return decisions


def mixed(router: Router) -> None:
    """c1 and c4 arrive in sales and are transferred to billing after c2 and c3 arrived there:
    billing's contacts in the router's order are c1, c2, c3, c4; in the queue's, c2, c3, c1, c4."""
    for at, (cid, queue) in enumerate(
        [("c1", "sales"), ("c2", "billing"), ("c3", "billing"), ("c4", "sales"), ("c5", "sales")],
        start=1,
    ):
        send(router, ev.ContactArrived(at=float(at), contact_id=cid, queue=queue))
    send(router, ev.ContactTransferred(at=6.0, contact_id="c1", queue="billing"))
    send(router, ev.ContactTransferred(at=7.0, contact_id="c4", queue="billing"))


def ids(router: Router, queue: str) -> list[str]:
    return [c.contact_id for c in router._core.contacts_in(queue)]


def test_a_queue_lists_its_contacts_in_the_order_they_came_into_the_router() -> None:
    router = router_of()
    mixed(router)
    assert ids(router, "billing") == ["c1", "c2", "c3", "c4"]
    assert ids(router, "sales") == ["c5"] and ids(router, "overflow") == []
    send(router, ev.ContactAbandoned(at=8.0, contact_id="c2"))
    assert ids(router, "billing") == ["c1", "c3", "c4"]


def test_closing_ends_the_contacts_in_the_routers_order_not_the_queues() -> None:
    router = router_of("end")
    mixed(router)
    refused = send(router, ev.QueueClosed(at=8.0, queue="billing"))
    assert [d.contact_id for d in refused if isinstance(d, dc.Refused)] == ["c1", "c2", "c3", "c4"]
    assert ids(router, "billing") == [] and router.contact_ids() == ["c5"]


def test_closing_moves_the_contacts_in_the_routers_order_and_they_join_the_target() -> None:
    router = router_of("move")
    mixed(router)
    moved = send(router, ev.QueueClosed(at=8.0, queue="billing"))
    assert [(d.contact_id, d.queue) for d in moved if isinstance(d, dc.Enqueued)] == [
        ("c1", "overflow"),
        ("c2", "overflow"),
        ("c3", "overflow"),
        ("c4", "overflow"),
    ]
    assert ids(router, "overflow") == ["c1", "c2", "c3", "c4"]
    # an agent takes them by their (new) waiting keys, the first moved first
    taken = send(router, ev.AgentLoggedIn(at=9.0, agent_id="a1", skills={}, capacity={"phone": 1}))
    assert [d.contact_id for d in taken if isinstance(d, dc.Offer)] == ["c5"]


def test_connected_contacts_and_consult_legs_are_listed_under_their_queue() -> None:
    router = router_of()
    login(router, "a1", 0.0, skills={}, capacity={"phone": 2})
    send(router, ev.ContactArrived(at=1.0, contact_id="c1", queue="sales"))
    send(router, ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    send(router, ev.ConsultRequested(at=3.0, contact_id="c1", consult_id="k1", queue="billing"))
    assert ids(router, "sales") == ["c1"] and ids(router, "billing") == ["k1"]
    send(router, ev.ConsultEnded(at=4.0, contact_id="c1", outcome="cancel"))
    assert ids(router, "billing") == []
    send(router, ev.ContactEnded(at=5.0, contact_id="c1"))
    assert ids(router, "sales") == []


def test_a_snapshot_does_not_carry_the_index_and_loading_one_rebuilds_it() -> None:
    router = router_of("end")
    mixed(router)
    assert "members" not in router._core.__getstate__()  # the snapshot format is unchanged
    copy = pickle.loads(pickle.dumps(router))
    copy._check()
    assert ids(copy, "billing") == ["c1", "c2", "c3", "c4"]
    closing = ev.QueueClosed(at=8.0, queue="billing")
    assert send(copy, closing) == send(router, closing)
    arrival = ev.ContactArrived(at=9.0, contact_id="c6", queue="billing")
    assert send(copy, arrival) == send(router, arrival)


def test_an_index_that_misses_a_move_fails_the_invariant_check() -> None:
    router = router_of()
    mixed(router)
    router._core.members.move("c5", "sales", "overflow")  # the contact stays in sales
    with pytest.raises(AssertionError, match="index"):
        router._check()


def test_a_queue_appended_to_out_of_order_is_sorted_when_read() -> None:
    members = QueueMembers()
    for cid, queue in [("c1", "a"), ("c2", "b"), ("c3", "a"), ("c4", "a")]:
        members.admit(queue, cid)
    members.move("c3", "a", "b")  # after c2 in the router: in order, nothing to sort
    assert members._unsorted == set() and members.ids("b") == ["c2", "c3"]
    members.move("c1", "a", "b")  # before all of b's
    assert members._unsorted == {"b"}
    assert members.ids("b") == ["c1", "c2", "c3"] and members._unsorted == set()
    members.move("c1", "b", "b")  # a change of spec keeps the name: nothing moves
    assert members.ids("b") == ["c1", "c2", "c3"] and members.ids("a") == ["c4"]
