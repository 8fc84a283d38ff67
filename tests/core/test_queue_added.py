"""QueueAdded: a queue configured while contacts flow (docs/routing.md)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import DuplicateId, QueueSpec, Router, SkillGraph, Stage, UnknownQueue
from experiencehub import events as ev
from experiencehub.core.eligibility import ineligibility, serving_cost
from experiencehub.journal.records import decode, encode
from experiencehub.testing.strategies import queue_specs
from routing_helpers import arrive, kinds, login, offers


def desk() -> Router:
    graph = SkillGraph()
    graph.add_skill("billing")
    graph.add_skill("disputes")
    graph.add_substitute("billing", serves="disputes", cost=1.0)
    queues = [
        QueueSpec("billing", channel="phone", requires={"billing": 1},
                  stages=[Stage(after=0, max_cost=0), Stage(after=60, max_cost=None)]),
    ]  # fmt: skip
    return Router(graph, queues, offer_timeout=30.0)


def add(router: Router, spec: QueueSpec, at: float = 1.0) -> list[object]:
    decisions = router.handle(ev.QueueAdded(at=at, spec=spec))
    router._check()
    return list(decisions)


def test_the_event_is_a_frozen_value_the_journal_and_wire_carry() -> None:
    event = ev.QueueAdded(at=1.0, spec=QueueSpec("promo", channel="chat", requires={"s": 2}))
    assert eval(repr(event), {**vars(ev), "QueueSpec": QueueSpec, "Stage": Stage,
                              "WrapUp": __import__("experiencehub").WrapUp})  == event  # fmt: skip
    assert decode(encode(event)) == event
    with pytest.raises(Exception, match="must be a QueueSpec"):
        ev.QueueAdded(at=1.0, spec="promo")  # type: ignore[arg-type]


def test_agents_logged_in_before_serve_the_new_queue_at_once() -> None:
    router = desk()
    login(router, "a1", skills={"billing": 2}, capacity={"phone": 1, "chat": 2})
    login(router, "a2", skills={"disputes": 1}, capacity={"chat": 1})
    disputes = QueueSpec("disputes", channel="chat", requires={"disputes": 1},
                         stages=[Stage(after=0, max_cost=0), Stage(after=20, max_cost=1)])  # fmt: skip
    assert add(router, disputes) == []
    assert "disputes" in router.queues and router.is_open("disputes")
    # a2 has the skill itself (cost 0); a1 serves it through billing at cost 1 from 20 s
    assert offers(arrive(router, "c1", 2.0, queue="disputes")) == [("c1", "a2")]
    assert kinds(arrive(router, "c2", 3.0, queue="disputes")) == ["Enqueued"]
    decisions = router.handle(ev.Tick(at=23.0))
    assert offers(decisions) == [("c2", "a1")]
    assert router.stats.counters("disputes").arrived == 2
    # later logins see it too
    login(router, "a3", 24.0, skills={"disputes": 1}, capacity={"chat": 1})
    assert offers(arrive(router, "c3", 25.0, queue="disputes")) == [("c3", "a3")]
    router._check()


def test_a_new_any_agent_stage_shares_its_channels_line_and_pools() -> None:
    router = desk()
    login(router, "a1", skills={}, capacity={"phone": 1})
    overflow = QueueSpec("overflow", channel="phone", requires={"billing": 3},
                         stages=[Stage(after=0, max_cost=0), Stage(after=5, max_cost=None)])  # fmt: skip
    add(router, overflow)
    core = router._core
    assert core.lines[("overflow", 1)] is core.lines[("billing", 1)]
    assert kinds(arrive(router, "c1", 2.0, queue="overflow")) == ["Enqueued"]
    assert offers(router.handle(ev.Tick(at=7.0))) == [("c1", "a1")]


def test_a_new_channel_gets_its_channel_pool() -> None:
    router = desk()
    login(router, "a1", skills={}, capacity={"email": 2})
    add(router, QueueSpec("mail", channel="email", stages=[Stage(after=0, max_cost=None)]))
    assert offers(arrive(router, "c1", 2.0, queue="mail")) == [("c1", "a1")]


def test_a_name_in_use_and_an_unknown_closed_queue_are_refused_and_change_nothing() -> None:
    failing, clean = desk(), desk()
    for router in (failing, clean):
        login(router, "a1", skills={"billing": 1}, capacity={"phone": 1})
        arrive(router, "c1", 0.5, queue="billing")
    before = pickle.dumps(failing._core.queues)
    with pytest.raises(DuplicateId, match="queue billing: already configured"):
        failing.handle(ev.QueueAdded(at=1.0, spec=QueueSpec("billing", channel="chat")))
    with pytest.raises(UnknownQueue, match="ghost"):
        failing.handle(
            ev.QueueAdded(at=1.0, spec=QueueSpec("x", channel="chat", closed_queue="ghost"))
        )
    failing._check()
    assert pickle.dumps(failing._core.queues) == before
    clean.handle(ev.Tick(at=1.0))
    later = [ev.ContactArrived(at=2.0, contact_id="c2", queue="billing"),
             ev.OfferAccepted(at=3.0, contact_id="c1", agent_id="a1")]  # fmt: skip
    for e in later:
        assert failing.handle(e) == clean.handle(e)


def test_a_snapshot_carries_an_added_queue() -> None:
    router = desk()
    login(router, "a1", skills={"billing": 1}, capacity={"chat": 1})
    add(router, QueueSpec("chat", channel="chat", requires={"billing": 1}))
    copy = pickle.loads(pickle.dumps(router))
    assert offers(arrive(copy, "c1", 2.0, queue="chat")) == [("c1", "a1")]
    copy._check()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=queue_specs("added", ("billing", "disputes"), ("phone", "chat")),
    logins=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(["billing", "disputes"]), st.integers(0, 3), max_size=2),
            st.dictionaries(st.sampled_from(["phone", "chat"]), st.integers(0, 2), max_size=2),
        ),
        max_size=4,
    ),
)
def test_an_added_queue_gives_agents_the_eligibility_a_fresh_router_would(
    spec: QueueSpec,
    logins: list[tuple[dict[str, int], dict[str, int]]],
) -> None:
    """Adding a queue to a running router leaves every agent exactly as eligible (serving cost
    and stages) as a router built with that queue from the start, and every waiting contact of
    the new queue reaches an eligible free agent."""
    grown, built = desk(), Router(desk()._core.skills, [*desk().queues.values(), spec])
    for i, (skills, capacity) in enumerate(logins):
        login(grown, f"a{i}", skills=skills, capacity=capacity)
    add(grown, spec)
    for i, (skills, capacity) in enumerate(logins):
        login(built, f"a{i}", 1.0, skills=skills, capacity=capacity)
        mine, theirs = grown._core.agents[f"a{i}"], built._core.agents[f"a{i}"]
        assert mine.serving == theirs.serving
        assert {id(line) for line in mine.lines} <= {id(line) for line in grown._core.lines.values()}
        assert len(mine.lines) == len(theirs.lines)
    decisions = arrive(grown, "c1", 2.0, queue="added")
    if not offers(decisions) and kinds(decisions)[:1] == ["Enqueued"]:
        for agent_id in grown.agent_ids():
            agent = grown._core.agents[agent_id]
            served = serving_cost(grown._core.skills, agent.skills, spec)
            free = agent.load.get(spec.channel, 0) < agent.capacity.get(spec.channel, 0)
            assert not free or ineligibility(spec, 0, agent.capacity, served) is not None
