"""QueueChanged: a queue's spec replaced while contacts flow (docs/routing.md)."""

from __future__ import annotations

import pickle

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import (
    InvalidEvent,
    OpenHours,
    QueueSpec,
    Router,
    SkillGraph,
    Stage,
    UnknownQueue,
    WrapUp,
)
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core.criteria import CriteriaStep, RoutingCriteria
from experiencehub.journal.records import decode, encode
from experiencehub.testing.strategies import queue_specs
from routing_helpers import arrive, kinds, login, offers

BILLING = QueueSpec(
    "billing", channel="phone", requires={"billing": 2},
    stages=[Stage(after=0, max_cost=0), Stage(after=60, max_cost=1)],
)  # fmt: skip


def desk(*extra: QueueSpec, offer_timeout: float | None = 30.0) -> Router:
    graph = SkillGraph()
    graph.add_skill("billing")
    graph.add_skill("sales")
    graph.add_substitute("sales", serves="billing", cost=1.0)
    return Router(graph, [BILLING, *extra], offer_timeout=offer_timeout)


def change(router: Router, spec: QueueSpec, at: float) -> list[dc.Decision]:
    decisions = router.handle(ev.QueueChanged(at=at, spec=spec))
    router._check()
    return list(decisions)


def test_the_event_is_a_frozen_value_the_journal_and_wire_carry() -> None:
    event = ev.QueueChanged(at=1.0, spec=attrs.evolve(BILLING, service_level_seconds=20.0))
    assert decode(encode(event)) == event
    with pytest.raises(Exception, match="must be a QueueSpec"):
        ev.QueueChanged(at=1.0, spec="billing")  # type: ignore[arg-type]


def test_a_wider_stage_lets_a_waiting_contact_reach_an_agent_at_once() -> None:
    router = desk()
    login(router, "sales1", skills={"sales": 2}, capacity={"phone": 1})
    assert kinds(arrive(router, "c1", 1.0, queue="billing")) == ["Enqueued"]
    assert router.explain("c1").summary.endswith("skill cost above this stage's limit")
    wider = attrs.evolve(BILLING, stages=[Stage(after=0, max_cost=1)])
    assert offers(change(router, wider, 5.0)) == [("c1", "sales1")]
    assert router.queues["billing"] is wider


def test_a_later_stage_waits_from_the_contacts_arrival_not_from_the_change() -> None:
    router = desk()
    login(router, "sales1", skills={"sales": 2}, capacity={"phone": 1})
    arrive(router, "c1", 10.0, queue="billing")
    sooner = attrs.evolve(BILLING, stages=[Stage(after=0, max_cost=0), Stage(after=30, max_cost=1)])
    assert change(router, sooner, 20.0) == []
    assert router.next_deadline() == 40.0  # 10 s arrival + 30 s, not 20 + 30
    decisions = router.handle(ev.Tick(at=40.0))
    assert kinds(decisions) == ["Expanded", "Offer"]
    # back to 60 s: c1 (32 s waited) is at stage 0 again, which sales1 does not reach
    arrive(router, "c2", 41.0, queue="billing")
    assert kinds(change(router, BILLING, 42.0)) == ["OfferWithdrawn"]
    assert [router._core.contacts[c].stage for c in ("c1", "c2")] == [0, 0]
    assert router.next_deadline() == 70.0  # c1's stage 1, from its arrival


def test_an_offer_its_agent_could_no_longer_be_made_is_withdrawn_and_goes_on() -> None:
    router = desk()
    login(router, "sales1", skills={"sales": 2}, capacity={"phone": 1})
    login(router, "bill1", 1.0, skills={"billing": 2}, capacity={"phone": 1})
    arrive(router, "c0", 2.0, queue="billing")  # to bill1 (cost 0)
    wider = attrs.evolve(BILLING, stages=[Stage(after=0, max_cost=1)])
    change(router, wider, 3.0)
    assert offers(arrive(router, "c1", 4.0, queue="billing")) == [("c1", "sales1")]
    stricter = attrs.evolve(BILLING, requires={"billing": 3}, stages=[Stage(after=0, max_cost=1)])
    decisions = change(router, stricter, 5.0)
    assert kinds(decisions) == ["OfferWithdrawn", "OfferWithdrawn"]
    assert {d.contact_id for d in decisions} == {"c0", "c1"}
    assert all("queue billing changed" in d.reason for d in decisions)  # type: ignore[attr-defined]
    assert router.contact_status("c1") == "waiting"
    # an agent who meets the new level takes the oldest first
    assert offers(login(router, "bill3", 6.0, skills={"billing": 3}, capacity={"phone": 1})) == [
        ("c0", "bill3")
    ]


def test_an_offer_its_agent_still_may_take_stands() -> None:
    router = desk()
    login(router, "bill1", skills={"billing": 2}, capacity={"phone": 1})
    [offer] = arrive(router, "c1", 1.0, queue="billing")
    assert change(router, attrs.evolve(BILLING, priority_weight=5.0), 2.0) == []
    router.handle(ev.OfferAccepted(at=3.0, contact_id="c1", agent_id="bill1"))
    assert router.contact_status("c1") == "connected"
    assert isinstance(offer, dc.Offer)


def test_new_priority_weight_and_aging_reorder_the_waiting_contacts() -> None:
    router = desk()
    arrive(router, "old-low", 1.0, queue="billing", priority=0)
    arrive(router, "new-high", 2.0, queue="billing", priority=1)
    # by default (weight 1, no aging) the higher priority goes first
    weighted = attrs.evolve(BILLING, priority_weight=0.0, aging_per_minute=60.0)
    change(router, weighted, 3.0)  # priority counts for nothing now: the longest wait first
    assert offers(login(router, "bill1", 4.0, skills={"billing": 2}, capacity={"phone": 1})) == [
        ("old-low", "bill1")
    ]


def test_a_service_level_alert_is_raised_once_and_a_new_threshold_counts_from_arrival() -> None:
    router = desk()
    arrive(router, "c1", 0.0, queue="billing")
    change(router, attrs.evolve(BILLING, service_level_seconds=20.0), 5.0)
    assert router.next_deadline() == 20.0
    alerts = [d for d in router.handle(ev.Tick(at=20.0)) if isinstance(d, dc.Alert)]
    assert len(alerts) == 1
    # a threshold already passed when set: the alert comes with the change
    arrive(router, "c2", 21.0, queue="billing")
    decisions = change(router, attrs.evolve(BILLING, service_level_seconds=10.0), 40.0)
    assert [(d.contact_id, d.kind) for d in decisions if isinstance(d, dc.Alert)] == [
        ("c2", "service_level")
    ]
    # c1 had its alert: no second one
    assert change(router, attrs.evolve(BILLING, service_level_seconds=5.0), 41.0) == []


def test_contacts_with_criteria_are_routed_by_their_criteria_on_the_new_queue() -> None:
    router = desk()
    login(router, "bill1", skills={"billing": 2, "sales": 1}, capacity={"phone": 1})
    login(router, "bill2", skills={"billing": 2}, capacity={"phone": 1})
    criteria = RoutingCriteria(steps=[CriteriaStep(requires={"sales": 1})])
    assert kinds(arrive(router, "c1", 1.0, queue="billing", criteria=criteria)) == ["Offer"]
    arrive(router, "c2", 2.0, queue="billing", criteria=criteria)
    change(router, attrs.evolve(BILLING, aging_per_minute=1.0), 3.0)
    core = router._core
    assert core.contacts["c2"].criteria == criteria
    assert core.contacts["c2"].route.aging_per_minute == 1.0  # the class follows the new queue
    router.handle(ev.OfferAccepted(at=4.0, contact_id="c1", agent_id="bill1"))
    router.handle(ev.ContactEnded(at=5.0, contact_id="c1"))
    assert router.contact_status("c2") == "offered"


def test_connected_contacts_stay_and_take_the_new_wrap_up() -> None:
    router = desk()
    login(router, "bill1", skills={"billing": 2}, capacity={"phone": 1})
    arrive(router, "c1", 1.0, queue="billing")
    router.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="bill1"))
    assert change(router, attrs.evolve(BILLING, wrap_up=WrapUp("timed", 15.0)), 3.0) == []
    assert kinds(router.handle(ev.ContactEnded(at=4.0, contact_id="c1"))) == ["WrapUpStarted"]
    assert router.next_deadline() == 19.0


def test_new_hours_decide_at_once_and_dropping_them_opens_the_queue() -> None:
    day = 86_400.0
    nine_to_five = OpenHours(weekly=[(d, 9 * 3600, 17 * 3600) for d in range(7)])
    router = desk()
    arrive(router, "c1", 1.0, queue="billing")
    closing = attrs.evolve(BILLING, hours=nine_to_five, closed_rule="end")
    decisions = change(router, closing, 3600.0)  # 01:00: closed, and c1 ends by the new rule
    assert not router.is_open("billing")
    assert [d.contact_id for d in decisions if isinstance(d, dc.Refused)] == ["c1"]
    assert router.next_hours_change("billing") == 9 * 3600.0
    change(router, BILLING, 7200.0)  # no hours: the queue its hours had closed opens
    assert router.is_open("billing") and router.next_hours_change("billing") is None
    # closed by hand stays closed through a change without hours
    router.handle(ev.QueueClosed(at=7300.0, queue="billing", reason="storm"))
    change(router, attrs.evolve(BILLING, service_level_seconds=20.0), 7400.0)
    assert not router.is_open("billing")
    assert router.next_deadline() is None or router.next_deadline() < day


def test_an_any_agent_stage_added_and_removed_keeps_lines_shared_and_pools_right() -> None:
    overflow = QueueSpec("overflow", channel="phone", requires={"billing": 3},
                         stages=[Stage(after=0, max_cost=0), Stage(after=10, max_cost=None)])  # fmt: skip
    router = desk(overflow)
    login(router, "anyone", skills={}, capacity={"phone": 1})
    arrive(router, "c1", 1.0, queue="billing")
    shares = attrs.evolve(
        BILLING, stages=[Stage(after=0, max_cost=0), Stage(after=5, max_cost=None)]
    )
    assert change(router, shares, 2.0) == []
    core = router._core
    assert core.lines[("billing", 1)] is core.lines[("overflow", 1)]
    assert offers(router.handle(ev.Tick(at=6.0))) == [("c1", "anyone")]
    router.handle(ev.OfferRejected(at=7.0, contact_id="c1", agent_id="anyone"))
    arrive(router, "c2", 8.0, queue="overflow")
    change(router, BILLING, 9.0)  # the shared line stays the overflow queue's
    assert core.lines[("billing", 1)] is not core.lines[("overflow", 1)]
    assert offers(router.handle(ev.Tick(at=18.0))) == [("c2", "anyone")]


def test_bad_changes_are_refused_and_change_nothing() -> None:
    failing, clean = desk(), desk()
    for router in (failing, clean):
        login(router, "a1", skills={"billing": 2}, capacity={"phone": 1})
        arrive(router, "c1", 0.5, queue="billing")
        arrive(router, "c2", 0.6, queue="billing")
    before = pickle.dumps(failing._core.queues)
    with pytest.raises(InvalidEvent, match="channel='chat' must stay 'phone'"):
        failing.handle(ev.QueueChanged(at=1.0, spec=attrs.evolve(BILLING, channel="chat")))
    with pytest.raises(UnknownQueue, match="ghost"):
        failing.handle(ev.QueueChanged(at=1.0, spec=QueueSpec("ghost", channel="chat")))
    with pytest.raises(UnknownQueue, match="nowhere"):
        failing.handle(ev.QueueChanged(at=1.0, spec=attrs.evolve(BILLING, closed_queue="nowhere")))
    failing._check()
    assert pickle.dumps(failing._core.queues) == before
    clean.handle(ev.Tick(at=1.0))
    later = [ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"),
             ev.ContactEnded(at=3.0, contact_id="c1")]  # fmt: skip
    for e in later:
        assert failing.handle(e) == clean.handle(e)


def test_the_same_spec_changes_nothing_and_a_snapshot_carries_a_change() -> None:
    router = desk()
    arrive(router, "c1", 1.0, queue="billing")
    assert change(router, BILLING, 2.0) == []
    wider = attrs.evolve(BILLING, stages=[Stage(after=0, max_cost=1)])
    change(router, wider, 3.0)
    copy = pickle.loads(pickle.dumps(router))
    assert offers(login(copy, "sales1", 4.0, skills={"sales": 2}, capacity={"phone": 1})) == [
        ("c1", "sales1")
    ]
    copy._check()


SKILLS = ("billing", "sales")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=queue_specs("billing", SKILLS, ("phone",)),
    logins=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 3), max_size=2),
            st.integers(0, 2),
        ),
        max_size=4,
    ),
    arrivals=st.lists(st.tuples(st.integers(0, 2), st.floats(0, 120)), max_size=6),
    at=st.floats(0, 200),
)
def test_a_changed_queue_routes_as_a_router_built_with_the_new_spec_would(
    spec: QueueSpec,
    logins: list[tuple[dict[str, int], int]],
    arrivals: list[tuple[int, float]],
    at: float,
) -> None:
    """After a change, every agent is exactly as eligible as in a router built with the new
    spec, no contact waits while an eligible agent is free (``_check``), and each waiting
    contact sits at the stage its wait gives in the new spec."""
    spec = attrs.evolve(spec, channel="phone", hours=None, closed_queue=None, closed_rule="keep")
    changed = desk()
    built = Router(changed._core.skills, [spec], offer_timeout=30.0)
    for i, (skills, phones) in enumerate(logins):
        for router in (changed, built):
            login(router, f"a{i}", skills=skills, capacity={"phone": phones})
    arrivals = sorted(arrivals, key=lambda a: a[1])
    for n, (priority, t) in enumerate(arrivals):
        arrive(changed, f"c{n}", t, queue="billing", priority=priority)
    at = max(at, *(t for _p, t in arrivals), 0.0)
    change(changed, spec, at)
    for agent_id in changed.agent_ids():
        assert changed._core.agents[agent_id].serving == built._core.agents[agent_id].serving
    for cid in changed.contact_ids():
        contact = changed._core.contacts[cid]
        if contact.status.value == "waiting":
            assert contact.stage == spec.stage_at(at - contact.enqueued_at)
            assert contact.key[0] == -spec.base_priority(contact.priority, contact.enqueued_at)


def test_a_returning_customer_is_ranked_by_the_keys_in_force_when_it_returns() -> None:
    """A customer who abandons and comes back within rejoin_seconds keeps its arrival, order and
    priority; a change of the queue's weight in between applies to it as to those who stayed."""
    spec = QueueSpec("q", channel="phone", rejoin_seconds=300, priority_weight=100.0,
                     aging_per_minute=60.0)  # fmt: skip
    router = Router(SkillGraph(), [spec])
    arrive(router, "std", 0.0, queue="q", customer_id="bob", priority=0)
    arrive(router, "vip", 1.0, queue="q", customer_id="ann", priority=1)
    router.handle(ev.ContactAbandoned(at=2.0, contact_id="vip"))
    # priority no longer counts: the longest wait goes first
    router.handle(ev.QueueChanged(at=3.0, spec=attrs.evolve(spec, priority_weight=0.0)))
    [enq] = arrive(router, "again", 4.0, queue="q", customer_id="ann", priority=1)
    assert isinstance(enq, dc.Enqueued) and enq.position == 2  # behind bob, who arrived first
    # (with the key it had before the change, ann's priority 1 x 100 would still put it first)
    assert offers(login(router, "a1", at=5.0)) == [("std", "a1")]


def test_a_returning_customer_keeps_its_priority_not_the_new_arrivals() -> None:
    spec = QueueSpec("q", channel="phone", rejoin_seconds=300, priority_weight=1.0)
    router = Router(SkillGraph(), [spec])
    arrive(router, "low", 0.0, queue="q", customer_id="ann", priority=0)
    router.handle(ev.ContactAbandoned(at=1.0, contact_id="low"))
    arrive(router, "again", 2.0, queue="q", customer_id="ann", priority=5)
    arrive(router, "mid", 3.0, queue="q", customer_id="bob", priority=1)
    # kept priority 0 (not 5): bob's priority 1 goes first
    assert offers(login(router, "a1", at=4.0)) == [("mid", "a1")]
