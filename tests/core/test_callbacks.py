"""Queued callbacks: CallbackRequested, CallbackAnswered, CallbackFailed (core/_callbacks.py)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import (
    CallbackPolicy,
    ConfigError,
    InvalidEvent,
    InvalidTransition,
    QueueSpec,
    Router,
    RoutingError,
    SkillGraph,
    Stage,
    UnknownContact,
    WrapUp,
)
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.events import CriteriaStep, RoutingCriteria
from experiencehub.journal.records import decode, encode
from routing_helpers import arrive, kinds, login, offers


def phone_router(policy: CallbackPolicy | None = None, **kwargs: object) -> Router:
    """One phone queue "support" taking callbacks (retry 60 s, 2 dials, keeping place by
    default) and one "sales" queue taking none."""
    queues = [
        QueueSpec(
            "support",
            channel="phone",
            callback=policy or CallbackPolicy(retry_seconds=60.0, max_attempts=2),
            **kwargs,  # type: ignore[arg-type]
        ),
        QueueSpec("sales", channel="phone", requires={"sales": 1}),
    ]
    return Router(SkillGraph(), queues, offer_timeout=30.0)


def send(router: Router, event: ev.Event) -> list[dc.Decision]:
    decisions = router.handle(event)
    router._check()
    return decisions


def queued_callback(router: Router, cid: str = "c1", at: float = 1.0) -> list[dc.Decision]:
    """``cid`` arrives with every agent busy and asks for a callback."""
    arrive(router, cid, at)
    return send(router, ev.CallbackRequested(at=at, contact_id=cid))


def busy_agent(router: Router, agent_id: str = "a1") -> None:
    """``agent_id`` logs in and takes a contact "busy-<agent>" that stays connected."""
    login(router, agent_id, skills={"support": 1}, capacity={"phone": 1})
    arrive(router, f"busy-{agent_id}", 0.0)
    send(router, ev.OfferAccepted(at=0.0, contact_id=f"busy-{agent_id}", agent_id=agent_id))


def test_events_and_decisions_are_frozen_values_whose_repr_is_python() -> None:
    for event in (
        ev.CallbackRequested(at=1.0, contact_id="c1"),
        ev.CallbackAnswered(at=2.0, contact_id="c1"),
        ev.CallbackFailed(at=3.0, contact_id="c1", reason="busy"),
    ):
        assert eval(repr(event), vars(ev)) == event
        assert decode(encode(event)) == event
        with pytest.raises(AttributeError):
            event.at = 0.0  # type: ignore[misc]
    with pytest.raises(InvalidEvent):
        ev.CallbackFailed(at=1.0, contact_id="c1", reason="x" * 201)
    with pytest.raises(InvalidEvent):
        ev.CallbackRequested(at=1.0, contact_id="")


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"retry_seconds": -1.0}, "retry_seconds=-1.0"),
        ({"retry_seconds": float("inf")}, "retry_seconds=inf"),
        ({"retry_seconds": True}, "retry_seconds=True"),
        ({"max_attempts": 0}, "max_attempts=0"),
        ({"max_attempts": 1.5}, "max_attempts=1.5"),
        ({"max_attempts": 101}, "max_attempts=101"),
        ({"keep_place": 1}, "keep_place=1"),
    ],
)
def test_a_bad_policy_is_a_config_error_naming_the_value(
    fields: dict[str, object], rule: str
) -> None:
    with pytest.raises(ConfigError, match=rule):
        CallbackPolicy(**fields)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="callback="):
        QueueSpec("q", channel="phone", callback="yes")  # type: ignore[arg-type]


def test_a_callback_keeps_its_place_and_is_offered_as_a_callback() -> None:
    router = phone_router()
    busy_agent(router)
    arrive(router, "c1", 1.0)
    arrive(router, "c2", 2.0)
    decisions = send(router, ev.CallbackRequested(at=3.0, contact_id="c1"))
    assert kinds(decisions) == ["CallbackQueued"]
    queued = decisions[0]
    assert isinstance(queued, dc.CallbackQueued)
    assert (queued.attempts, queued.retry_at) == (0, None)
    assert "keeps its place in support (position 1" in queued.explanation.summary
    assert router.stats.waiting("support") == 2
    assert "a queued callback, dial 1 of 2" in router.explain("c1").summary
    # the agent frees: c1 (a callback, first in line) is offered before c2
    decisions = send(router, ev.ContactEnded(at=10.0, contact_id="busy-a1"))
    [offer] = [d for d in decisions if isinstance(d, dc.Offer)]
    assert (offer.contact_id, offer.callback) == ("c1", True)


def test_an_ordinary_offer_is_no_callback() -> None:
    router = phone_router()
    login(router, "a1", skills={}, capacity={"phone": 1})
    [offer] = arrive(router, "c1", 1.0)
    assert isinstance(offer, dc.Offer) and offer.callback is False


def test_accept_dials_and_an_answer_connects_counted_as_answered_then() -> None:
    router = phone_router()
    busy_agent(router)
    queued_callback(router, "c1", 1.0)
    send(router, ev.ContactEnded(at=10.0, contact_id="busy-a1"))
    assert send(router, ev.OfferAccepted(at=12.0, contact_id="c1", agent_id="a1")) == []
    assert router.contact_status("c1") == "dialing"
    assert [(w.contact_id, w.phase, w.since) for w in router.work("a1")] == [
        ("c1", "dialing", 12.0)
    ]
    assert "a1 is dialling the customer (dial 1 of 2)" in router.explain("c1").summary
    counters = router.stats.counters("support")
    assert counters.answered == 1 and router.stats.waiting("support") == 0
    with pytest.raises(InvalidTransition, match="callback being dialled ends with"):
        router.handle(ev.ContactEnded(at=13.0, contact_id="c1"))
    assert send(router, ev.CallbackAnswered(at=20.0, contact_id="c1")) == []
    assert router.contact_status("c1") == "connected"
    assert (counters.answered, counters.answered_wait_seconds) == (2, 19.0)
    assert (counters.callbacks_requested, counters.callbacks_answered) == (1, 1)
    assert kinds(send(router, ev.ContactEnded(at=80.0, contact_id="c1"))) == []


def test_a_failed_dial_frees_the_agent_and_retries_keeping_the_place() -> None:
    router = phone_router()
    busy_agent(router)
    queued_callback(router, "c1", 1.0)
    arrive(router, "c2", 2.0)
    send(router, ev.ContactEnded(at=10.0, contact_id="busy-a1"))
    send(router, ev.OfferAccepted(at=11.0, contact_id="c1", agent_id="a1"))
    decisions = send(router, ev.CallbackFailed(at=15.0, contact_id="c1"))
    # the agent is free at once (no wrap-up) and takes c2
    assert kinds(decisions) == ["CallbackQueued", "Offer"]
    assert offers(decisions) == [("c2", "a1")]
    queued = decisions[0]
    assert isinstance(queued, dc.CallbackQueued)
    assert (queued.attempts, queued.retry_at) == (1, 75.0)
    assert router.contact_status("c1") == "scheduled"
    assert "queues again in support at 75s" in router.explain("c1").summary
    assert router.stats.waiting("support") == 2  # c1 counts as waiting until connected
    send(router, ev.OfferAccepted(at=16.0, contact_id="c2", agent_id="a1"))
    arrive(router, "c3", 30.0)
    assert router.next_deadline() == 75.0
    decisions = send(router, ev.Tick(at=75.0))
    assert kinds(decisions) == ["Enqueued"]
    assert decisions[0].position == 1  # before c3, who came later
    send(router, ev.ContactEnded(at=90.0, contact_id="c2"))
    assert router.contact_status("c1") == "offered"


def test_without_keep_place_a_retry_queues_at_the_back() -> None:
    router = phone_router(CallbackPolicy(retry_seconds=10.0, max_attempts=3, keep_place=False))
    busy_agent(router)
    queued_callback(router, "c1", 1.0)
    arrive(router, "c2", 2.0)
    send(router, ev.ContactEnded(at=3.0, contact_id="busy-a1"))
    send(router, ev.OfferAccepted(at=4.0, contact_id="c1", agent_id="a1"))
    send(router, ev.CallbackFailed(at=5.0, contact_id="c1"))  # a1 takes c2
    send(router, ev.OfferAccepted(at=6.0, contact_id="c2", agent_id="a1"))
    arrive(router, "c3", 7.0)
    decisions = send(router, ev.Tick(at=15.0))
    assert isinstance(decisions[0], dc.Enqueued) and decisions[0].position == 2  # behind c3


def test_after_the_last_failed_dial_the_callback_is_given_up() -> None:
    router = phone_router()
    login(router, "a1", skills={}, capacity={"phone": 1})
    arrive(router, "c1", 1.0)  # offered at once
    send(router, ev.OfferRejected(at=1.0, contact_id="c1", agent_id="a1"))
    send(router, ev.CallbackRequested(at=1.5, contact_id="c1"))
    login(router, "a2", at=2.0, skills={}, capacity={"phone": 1})
    for dial, at in enumerate((2.0, 70.0), start=1):
        if dial == 2:
            assert offers(send(router, ev.Tick(at=at))) == [("c1", "a2")]
        send(router, ev.OfferAccepted(at=at, contact_id="c1", agent_id="a2"))
        decisions = send(router, ev.CallbackFailed(at=at + 5, contact_id="c1", reason="busy"))
    assert kinds(decisions) == ["CallbackExhausted"]
    assert decisions[0] == dc.CallbackExhausted(
        at=75.0, contact_id="c1", queue="support", attempts=2,
        reason="busy on the last of 2 attempt(s)",
    )  # fmt: skip
    with pytest.raises(UnknownContact):
        router.contact_status("c1")
    counters = router.stats.counters("support")
    assert (counters.callbacks_failed, counters.callbacks_exhausted, counters.answered) == (2, 1, 0)
    assert router.stats.waiting("support") == 0 and router.next_deadline() is None


def test_a_scheduled_callback_can_be_cancelled_not_transferred() -> None:
    router = phone_router(CallbackPolicy(retry_seconds=60.0, max_attempts=2), wrap_up=WrapUp())
    login(router, "a1", skills={}, capacity={"phone": 1})
    arrive(router, "c1", 1.0)
    send(router, ev.OfferRejected(at=1.0, contact_id="c1", agent_id="a1"))
    login(router, "a2", at=1.0, skills={}, capacity={"phone": 1})
    send(router, ev.OfferRejected(at=1.0, contact_id="c1", agent_id="a2"))
    send(router, ev.CallbackRequested(at=1.0, contact_id="c1"))
    login(router, "a3", at=2.0, skills={}, capacity={"phone": 1})
    send(router, ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a3"))
    send(router, ev.CallbackFailed(at=3.0, contact_id="c1"))
    with pytest.raises(InvalidTransition, match="transferred once queued again"):
        router.handle(ev.ContactTransferred(at=4.0, contact_id="c1", queue="sales"))
    assert send(router, ev.ContactAbandoned(at=5.0, contact_id="c1")) == []
    assert router.stats.waiting("support") == 0 and router.next_deadline() is None
    assert router.stats.counters("support").abandoned == 1


def _refusal_setups() -> list[tuple[str, ev.Event, type[RoutingError], str]]:
    return [
        ("waiting", ev.CallbackRequested(at=5.0, contact_id="nobody"), UnknownContact, "nobody"),
        ("offered", ev.CallbackRequested(at=5.0, contact_id="c1"), InvalidTransition,
         "cannot request a callback while offered"),
        ("callback", ev.CallbackRequested(at=5.0, contact_id="c2"), InvalidTransition,
         "already a queued callback"),
        ("sales", ev.CallbackRequested(at=5.0, contact_id="s1"), InvalidEvent,
         "queue sales takes no callbacks"),
        ("waiting", ev.CallbackAnswered(at=5.0, contact_id="c2"), InvalidTransition,
         "no callback dial in progress"),
        ("waiting", ev.CallbackFailed(at=5.0, contact_id="c1"), InvalidTransition,
         "contact is no callback, offered"),
    ]  # fmt: skip


@pytest.mark.parametrize(("setup", "event", "error", "rule"), _refusal_setups())
def test_errors_leave_the_router_as_a_tick_would(
    setup: str, event: ev.Event, error: type[RoutingError], rule: str
) -> None:
    routers = [phone_router(service_level_seconds=4.5), phone_router(service_level_seconds=4.5)]
    for router in routers:
        login(router, "a1", skills={}, capacity={"phone": 1})
        arrive(router, "c1", 1.0)  # offered to a1
        queued_callback(router, "c2", 2.0)
        arrive(router, "s1", 3.0, queue="sales")
    failing, clean = routers
    with pytest.raises(error, match=rule) as raised:
        failing.handle(event)
    failing._check()
    assert list(raised.value.decisions) == clean.handle(ev.Tick(at=5.0))
    later = [ev.OfferAccepted(at=6.0, contact_id="c1", agent_id="a1"),
             ev.ContactEnded(at=7.0, contact_id="c1"),
             ev.OfferAccepted(at=8.0, contact_id="c2", agent_id="a1"),
             ev.CallbackFailed(at=9.0, contact_id="c2"),
             ev.Tick(at=100.0)]  # fmt: skip
    for e in later:
        assert failing.handle(e) == clean.handle(e)


def test_a_snapshot_carries_callback_state() -> None:
    router = phone_router()
    busy_agent(router)
    queued_callback(router, "c1", 1.0)
    send(router, ev.ContactEnded(at=2.0, contact_id="busy-a1"))
    send(router, ev.OfferAccepted(at=3.0, contact_id="c1", agent_id="a1"))
    send(router, ev.CallbackFailed(at=4.0, contact_id="c1"))
    copy = pickle.loads(pickle.dumps(router, protocol=5))
    copy._check()
    assert copy.contact_status("c1") == "scheduled"
    for e in (ev.Tick(at=64.0), ev.OfferAccepted(at=65.0, contact_id="c1", agent_id="a1"),
              ev.CallbackFailed(at=66.0, contact_id="c1")):  # fmt: skip
        assert copy.handle(e) == router.handle(e)
    assert kinds(router.handle(ev.Tick(at=67.0))) == []
    assert router.stats.counters("support").callbacks_exhausted == 1


# -- property: callbacks keep the router's invariants and their order --------------------------
CONTACTS = ["c1", "c2", "c3", "c4"]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.sampled_from(CONTACTS)),
        st.tuples(st.just("callback"), st.sampled_from(CONTACTS)),
        st.tuples(st.just("accept"), st.sampled_from(CONTACTS)),
        st.tuples(st.just("answer"), st.sampled_from(CONTACTS)),
        st.tuples(st.just("fail"), st.sampled_from(CONTACTS)),
        st.tuples(st.just("end"), st.sampled_from(CONTACTS)),
        st.tuples(st.just("abandon"), st.sampled_from(CONTACTS)),
        st.tuples(st.just("login"), st.sampled_from(["a1", "a2"])),
    ),
    max_size=50,
)


def _step(kind: str, who: str, at: float, router: Router) -> ev.Event:
    agent = next(
        (a for a in router.agent_ids() if any(w.contact_id == who for w in router.work(a))), "a1"
    )
    return {
        "arrive": lambda: ev.ContactArrived(at=at, contact_id=who, queue="support"),
        "callback": lambda: ev.CallbackRequested(at=at, contact_id=who),
        "accept": lambda: ev.OfferAccepted(at=at, contact_id=who, agent_id=agent),
        "answer": lambda: ev.CallbackAnswered(at=at, contact_id=who),
        "fail": lambda: ev.CallbackFailed(at=at, contact_id=who),
        "end": lambda: ev.ContactEnded(at=at, contact_id=who),
        "abandon": lambda: ev.ContactAbandoned(at=at, contact_id=who),
        "login": lambda: ev.AgentLoggedIn(at=at, agent_id=who, skills={}, capacity={"phone": 1}),
    }[kind]()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=STEPS,
    gaps=st.lists(st.sampled_from([0.0, 1.0, 20.0, 70.0]), min_size=50),
    keep_place=st.booleans(),
)
def test_callbacks_keep_every_invariant_and_never_dial_more_than_allowed(
    steps: list[tuple[str, str]], gaps: list[float], keep_place: bool
) -> None:
    router = phone_router(CallbackPolicy(retry_seconds=60.0, max_attempts=2, keep_place=keep_place))
    at, dials, callbacks = 0.0, dict.fromkeys(CONTACTS, 0), set()
    for (kind, who), gap in zip(steps, gaps, strict=False):
        at += gap
        event = _step(kind, who, at, router)
        # the deadlines due by then apply first, before the event changes what is a callback
        _check_decisions(router.handle(ev.Tick(at=at)), callbacks, dials)
        try:
            decisions = router.handle(event)
        except RoutingError as err:
            decisions = list(err.decisions)
        else:
            if isinstance(event, ev.CallbackRequested):
                callbacks.add(who)
            if isinstance(event, ev.OfferAccepted) and who in callbacks:
                dials[who] += 1
                assert router.contact_status(who) == "dialing"
            if isinstance(event, (ev.ContactArrived, ev.CallbackAnswered)):
                callbacks.discard(who)
                dials[who] = 0
        router._check()
        _check_decisions(decisions, callbacks, dials)
        assert all(n <= 2 for n in dials.values()), dials


def _check_decisions(
    decisions: list[dc.Decision], callbacks: set[str], dials: dict[str, int]
) -> None:
    for d in decisions:
        if isinstance(d, dc.Offer):
            assert d.callback == (d.contact_id in callbacks), d
        if isinstance(d, dc.CallbackExhausted):
            assert d.attempts == dials[d.contact_id] == 2
            callbacks.discard(d.contact_id)


def test_without_a_retry_delay_a_failed_callback_queues_again_at_once() -> None:
    router = phone_router(CallbackPolicy(retry_seconds=0.0, max_attempts=2))
    busy_agent(router)
    queued_callback(router, "c1", 1.0)
    arrive(router, "c2", 2.0)
    send(router, ev.ContactEnded(at=3.0, contact_id="busy-a1"))
    send(router, ev.OfferAccepted(at=4.0, contact_id="c1", agent_id="a1"))
    decisions = send(router, ev.CallbackFailed(at=5.0, contact_id="c1"))
    # queued again at its place (before c2): the freed agent takes it again at once
    assert kinds(decisions) == ["CallbackQueued", "Offer"]
    assert offers(decisions) == [("c1", "a1")] and router.next_deadline() is not None


def test_a_dialler_with_slots_left_gets_the_retry_without_delay_and_keeps_it() -> None:
    """The agent who dialled has free slots when its dial fails: the contact, queued again at
    once, is offered to it again, and freeing the failed dial's slot does not erase that offer
    (it did: the router then held an offer no agent held)."""
    router = phone_router(CallbackPolicy(retry_seconds=0.0, max_attempts=2))
    login(router, "a1", skills={"support": 1}, capacity={"phone": 3})
    send(router, ev.AgentStatusChanged(at=0.5, agent_id="a1", status="away"))
    queued_callback(router, "c1", 1.0)
    send(router, ev.AgentStatusChanged(at=2.0, agent_id="a1", status="available"))
    send(router, ev.OfferAccepted(at=3.0, contact_id="c1", agent_id="a1"))
    decisions = send(router, ev.CallbackFailed(at=4.0, contact_id="c1"))  # send checks invariants
    assert kinds(decisions) == ["CallbackQueued", "Offer"]
    assert offers(decisions) == [("c1", "a1")]
    assert router.contact_status("c1") == "offered"


def test_a_retried_callback_with_criteria_takes_its_criteria_step_not_its_queues_stage() -> None:
    """Regression: the retry set the stage by the queue's stages (three here), not by the
    contact's criteria steps (one), and the next match read past the criteria's stages."""
    stages = [
        Stage(after=0, max_cost=0),
        Stage(after=100, max_cost=1),
        Stage(after=200, max_cost=None),
    ]
    router = phone_router(stages=stages)
    spanish = RoutingCriteria(steps=[CriteriaStep(requires={"spanish": 1})])
    arrive(router, "c1", 1.0, criteria=spanish)
    send(router, ev.CallbackRequested(at=1.0, contact_id="c1"))
    login(router, "a1", 2.0, skills={"support": 1, "spanish": 1}, capacity={"phone": 1})
    send(router, ev.OfferAccepted(at=3.0, contact_id="c1", agent_id="a1"))
    send(router, ev.CallbackFailed(at=250.0, contact_id="c1", reason="no answer"))
    decisions = send(router, ev.Tick(at=310.0))  # the retry: waited 309 s, queue stage 2
    [offer] = [d for d in decisions if isinstance(d, dc.Offer)]
    assert (offer.contact_id, offer.agent_id, offer.stage) == ("c1", "a1", 0)


def test_an_answered_callback_with_criteria_leaves_its_criteria_class() -> None:
    """Regression (found by the machine with criteria and callbacks on together): an answered
    callback stayed a user of its criteria class while connected, so the class outlived its
    waiting contacts and the router's invariant check failed."""
    router = phone_router()
    spanish = RoutingCriteria(steps=[CriteriaStep(requires={"spanish": 1})])
    arrive(router, "c1", 1.0, criteria=spanish)
    send(router, ev.CallbackRequested(at=1.0, contact_id="c1"))
    login(router, "a1", 2.0, skills={"support": 1, "spanish": 1}, capacity={"phone": 1})
    send(router, ev.OfferAccepted(at=3.0, contact_id="c1", agent_id="a1"))
    send(router, ev.CallbackAnswered(at=4.0, contact_id="c1"))  # send() runs router._check()
    assert router.contact_status("c1") == "connected"
    assert router._core.criteria_classes == {}
