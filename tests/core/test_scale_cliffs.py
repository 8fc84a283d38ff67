"""Regression tests for scale cliffs and policy keys of mixed length (docs/performance.md).

They count work (queues visited, line entries examined) instead of timing it.
"""

from __future__ import annotations

import heapq
import os
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sortedcontainers import SortedList

from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.core import pools
from experiencehub.core.agents import AgentState
from experiencehub.core.errors import ConfigError, RouterFailed
from experiencehub.core.policies import POLICIES, AgentRating, LongestIdle
from experiencehub.core.queues import QueueSpec, Stage
from experiencehub.core.router import Router
from experiencehub.core.skills import SkillGraph
from experiencehub.testing import RouterModel
from experiencehub.testing.strategies import router_configs, valid_events

SLOW = os.environ.get("EXPERIENCEHUB_SLOW") == "1"


class _WidthByProficiency:
    """A custom policy whose key is longer for proficient agents: against the one-length rule."""

    name = "by_proficiency"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (agent.idle_since,) if proficiency < 3 else (-proficiency, agent.idle_since)


class _WidthChangesLater:
    """A custom policy whose key grows once the agent has been offered a contact."""

    name = "grows_later"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (agent.idle_since,) if agent.last_offer_seq < 1 else (1.0, agent.idle_since)


def _router(policy: object, **kwargs: object) -> Router:
    graph = SkillGraph(["billing"])
    queue = QueueSpec("billing", channel="chat", requires={"billing": 1})
    return Router(graph, [queue], agent_policy=policy, **kwargs)  # type: ignore[arg-type]


def test_login_with_key_of_another_length_is_refused_before_any_change() -> None:
    router = _router(_WidthByProficiency())
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"billing": 1}))
    with pytest.raises(ConfigError) as raised:
        router.handle(ev.AgentLoggedIn(at=1.0, agent_id="a2", skills={"billing": 5}))
    message = str(raised.value)
    assert "'by_proficiency'" in message and "a2" in message
    assert "2 element(s)" in message and "have 1" in message
    assert router.agent_status("a1") == "available"
    with pytest.raises(KeyError):
        router.agent_status("a2")
    router._check()
    # the router goes on: the agent may log in with skills that fit the rule
    router.handle(ev.AgentLoggedIn(at=2.0, agent_id="a2", skills={"billing": 2}))
    router._check()


def test_key_changing_length_later_closes_the_router() -> None:
    router = _router(_WidthChangesLater(), offer_timeout=None)
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"billing": 1}))
    with pytest.raises(RouterFailed) as raised:
        router.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="billing"))
    assert isinstance(raised.value.__cause__, ConfigError)
    assert "'grows_later'" in str(raised.value.__cause__)
    with pytest.raises(RouterFailed):
        router.handle(ev.Tick(at=2.0))


class _LongerThanLongestIdle(LongestIdle):
    """A subclass of a built-in policy that overrides ``key`` but not ``key_width``."""

    name = "longer"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (agent.idle_since, float(proficiency))


def test_subclass_overriding_key_is_checked_at_login() -> None:
    router = _router(_LongerThanLongestIdle())
    with pytest.raises(ConfigError, match=r"'longer'.*2 element"):
        router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"billing": 1}))
    router._check()
    with pytest.raises(KeyError):
        router.agent_status("a1")


def test_builtin_policies_declare_their_key_width() -> None:
    for factory in [*POLICIES.values(), AgentRating]:
        assert isinstance(factory.key_width, int), factory  # type: ignore[attr-defined]


def test_login_visits_only_queues_its_skills_may_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    count = 200
    graph = SkillGraph([f"s{i}" for i in range(count)])
    graph.add_child("s1", parent="s2", cost=1)
    queues = [
        QueueSpec(f"q{i}", channel="chat", requires={f"s{i}": 1}, stages=[Stage(0, 1)])
        for i in range(count)
    ]
    queues.append(QueueSpec("anyone", channel="chat", requires={}))
    router = Router(graph, queues)
    visited: list[object] = []
    serving_cost = graph.serving_cost

    def counting(skills: object, requires: object) -> object:
        visited.append(requires)
        return serving_cost(skills, requires)  # type: ignore[arg-type]

    monkeypatch.setattr(graph, "serving_cost", counting)
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"s1": 1}, capacity={"chat": 1}))
    assert len(visited) == 3  # q1, q2 (through s1 → s2) and the queue requiring nothing
    out = router.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q2"))
    assert any(isinstance(d, dc.Offer) and d.agent_id == "a1" for d in out)
    router._check()


def _rejections_by_one_agent(count: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Line entries examined while one agent declines ``count`` waiting chats one by one."""
    graph = SkillGraph(["billing"])
    queue = QueueSpec("billing", channel="chat", requires={"billing": 1})
    router = Router(graph, [queue], offer_timeout=None, max_unanswered_offers=None)
    for index in range(count):
        router.handle(ev.ContactArrived(at=0.0, contact_id=f"c{index}", queue="billing"))
    out = router.handle(
        ev.AgentLoggedIn(at=1.0, agent_id="a1", skills={"billing": 1}, capacity={"chat": 1})
    )
    examined = [0]
    iterate, index_of = SortedList.__iter__, SortedList.__getitem__

    def counting_iter(self: SortedList) -> Iterator[object]:
        for item in iterate(self):
            examined[0] += 1
            yield item

    def counting_getitem(self: SortedList, index: Any) -> Any:
        examined[0] += 1
        return index_of(self, index)

    monkeypatch.setattr(SortedList, "__iter__", counting_iter)
    monkeypatch.setattr(SortedList, "__getitem__", counting_getitem)
    for _ in range(count - 1):
        (offer,) = [d for d in out if isinstance(d, dc.Offer)]
        out = router.handle(ev.OfferRejected(at=1.0, contact_id=offer.contact_id, agent_id="a1"))
    monkeypatch.undo()
    (offer,) = [d for d in out if isinstance(d, dc.Offer)]
    assert offer.contact_id == f"c{count - 1}"  # each in turn, none offered twice
    router._check()
    return examined[0]


def test_agent_that_declined_many_does_not_rescan_them(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = (_rejections_by_one_agent(n, monkeypatch) for n in (250, 1000))
    # a rescan from the head on every rejection would examine ~n²/2 entries (500,000 at 1,000);
    # O(log² n) per rejection plus one O(n) scan stays near-linear in n
    assert large < 60 * 1000, large
    assert large < 6 * small, (small, large)


def _rejections_of_one_contact(count: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Pool heap operations while ``count`` available agents decline one chat in turn."""
    graph = SkillGraph(["billing"])
    queues = [QueueSpec(f"q{i}", channel="chat", requires={"billing": 1}) for i in range(3)]
    router = Router(graph, queues, offer_timeout=None, max_unanswered_offers=None)
    for index in range(count):
        router.handle(
            ev.AgentLoggedIn(
                at=0.0, agent_id=f"a{index}", skills={"billing": 1}, capacity={"chat": 1}
            )
        )
    out = router.handle(ev.ContactArrived(at=1.0, contact_id="c", queue="q0"))
    operations = [0]

    def counted(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            operations[0] += 1
            return function(*args)

        return call

    counting = types.SimpleNamespace(
        heappush=counted(heapq.heappush),
        heappop=counted(heapq.heappop),
        heapify=counted(heapq.heapify),
    )
    monkeypatch.setattr(pools, "heapq", counting)
    offered = []
    for _ in range(count - 1):
        (offer,) = [d for d in out if isinstance(d, dc.Offer)]
        offered.append(offer.agent_id)
        out = router.handle(ev.OfferRejected(at=1.0, contact_id="c", agent_id=offer.agent_id))
    monkeypatch.undo()
    (offer,) = [d for d in out if isinstance(d, dc.Offer)]
    offered.append(offer.agent_id)
    assert offered == [f"a{index}" for index in range(count)]  # best first, none twice
    router._check()
    return operations[0]


def test_contact_declined_by_many_does_not_skip_them_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small, large = (_rejections_of_one_contact(n, monkeypatch) for n in (250, 1000))
    # popping and pushing back every decliner met at the pool's head would cost ~n² heap
    # operations (about 1,000,000 at 1,000); the contact's own heap makes it O(1) amortised each
    assert large < 20 * 1000, large
    assert large < 6 * small, (small, large)


@settings(
    max_examples=150 if SLOW else 25,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(config=router_configs(), data=st.data(), own_heap_after=st.sampled_from([0, 1, 2]))
def test_own_heaps_choose_exactly_the_agents_the_shared_pools_do(
    config: Any, data: Any, own_heap_after: int
) -> None:
    """A router whose contacts search heaps of their own after ``own_heap_after`` exclusions
    makes exactly the decisions of one that always searches the shared pools."""
    shared, own, model = config.build(), config.build(), RouterModel(config)
    shared._core.pools.own_heap_after = 10**9
    own._core.pools.own_heap_after = own_heap_after
    for step in range(data.draw(st.integers(20, 120), label="steps")):
        event = data.draw(valid_events(model, deadline=shared.next_deadline(), fresh=f"v{step}"))
        out = shared.handle(event)
        model.apply(event, out)
        assert own.handle(event) == out, event
        if step % 5 == 0:
            own._check()
    own._check()
