"""Stress tests of the core's ordered structures, one per structure, as sortedcontainers does.

Each test applies random operations to one structure, calls its ``_check()`` after every step, and
compares every answer with a trivially correct reference (a set, a sorted list, a dict scanned in
full), so a wrong answer fails as surely as a broken internal invariant. The clean-up constants
are drawn low (``COMPACT_SLACK`` 0 to 2) so the lazy structures compact constantly, and contacts
search heaps of their own after 0 to 2 exclusions, paths the router's few agents rarely reach.

Cost: about 17 s on one core with the default example counts; ``EXPERIENCEHUB_SLOW=1`` runs ten
times as many examples.
"""

from __future__ import annotations

import functools
import os
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sortedcontainers import SortedList

from experiencehub.core import _lazyheap, pools
from experiencehub.core._lazyheap import LazyHeap
from experiencehub.core.agents import AgentState, AgentStatus, ChannelRules, WorkPhase
from experiencehub.core.deadlines import Deadline, Deadlines
from experiencehub.core.errors import ConfigError
from experiencehub.core.policies import (
    POLICIES,
    RATED_POLICIES,
    AgentPolicy,
    make_policy,
    rated_policy,
)
from experiencehub.core.pools import AgentPools
from experiencehub.core.queues import DeclinedViews, LineEntry, QueueSpec, Stage, WaitingLine

SLOW = os.environ.get("EXPERIENCEHUB_SLOW") == "1"


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples * 10 if SLOW else examples,
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow],
    )


STEPS = st.integers(1, 50)
SLACK = st.sampled_from([0, 0, 1, 2])


def _steps(data: st.DataObject) -> range:
    return range(data.draw(STEPS, label="steps"))


# -- LazyHeap ----------------------------------------------------------------------------------
@_settings(200)
@given(data=st.data(), slack=SLACK)
def test_lazy_heap_agrees_with_a_set(data: st.DataObject, slack: int) -> None:
    """Push, discard (then maybe revive by a push), pop and first, against a set of live items."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_lazyheap, "COMPACT_SLACK", slack)
        heap, live = LazyHeap(), set[int]()
        for _ in range(data.draw(st.integers(1, 100), label="steps")):
            op = data.draw(st.sampled_from(["push", "push", "push", "discard", "discard", "pop"]))
            if op == "push" and len(live) < 40:
                item = data.draw(st.sampled_from(sorted(set(range(40)) - live)))
                assert heap.push(item) is (not live)  # it says whether nothing was live
                live.add(item)
            elif op == "discard" and live:
                item = data.draw(st.sampled_from(sorted(live)))
                heap.discard(item)
                live.discard(item)
            elif op == "pop" and live:
                assert heap.pop() == min(live)
                live.discard(min(live))
            heap._check()
            assert heap.first() == (min(live) if live else None)
            assert len(heap) == len(live) and bool(heap) == bool(live)
            assert sorted(heap) == sorted(live)
            probe = data.draw(st.integers(0, 40), label="probe")
            assert (probe in heap) == (probe in live)


# -- Deadlines ---------------------------------------------------------------------------------
@_settings(200)
@given(data=st.data(), slack=SLACK)
def test_deadlines_agree_with_a_sorted_list(data: st.DataObject, slack: int) -> None:
    """Add, cancel, pop what is due; equal times come out in the order they were added."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_lazyheap, "COMPACT_SLACK", slack)
        deadlines, live = Deadlines(), list[Deadline]()
        times = st.integers(0, 6).map(float)
        for _ in _steps(data):
            op = data.draw(st.sampled_from(["add", "add", "cancel", "pop_due", "next_at"]))
            if op == "add":
                kind, subject = data.draw(st.sampled_from(["stage", "offer"])), "c1"
                entry = deadlines.add(data.draw(times), kind, subject, "detail")
                assert all(entry[1] > other[1] for other in live)  # a fresh seq
                live.append(entry)
            elif op == "cancel" and live:
                entry = data.draw(st.sampled_from(live))
                deadlines.cancel(entry)
                live.remove(entry)
            elif op == "pop_due":
                at = data.draw(times)
                due = [e for e in live if e[0] <= at]
                expected = min(due, key=lambda e: (e[0], e[1])) if due else None
                assert deadlines.pop_due(at) == expected
                if expected is not None:
                    live.remove(expected)
            deadlines._check()
            assert deadlines.next_at() == (min(e[0] for e in live) if live else None)
            at = data.draw(times, label="probe")
            if any(e[0] <= at for e in live):
                assert deadlines.maybe_due(at)  # False would skip a due deadline
            assert sorted(deadlines) == sorted(live)


# -- WaitingLine -------------------------------------------------------------------------------
def _keys(seqs: Iterator[int]) -> st.SearchStrategy[LineEntry]:
    """Waiting entries with many equal priorities and times, so ``seq`` often decides."""
    return st.builds(
        lambda base, enqueued, seq: (float(base), float(enqueued), seq, f"c{seq}"),
        st.integers(-2, 1),
        st.integers(0, 2),
        st.builds(lambda: next(seqs)),
    )


@_settings(100)
@given(data=st.data())
def test_waiting_line_agrees_with_a_sorted_list(data: st.DataObject) -> None:
    """Add, remove (the head or any), positions, and the first entry outside a view."""
    line, expected = WaitingLine("chat"), list[LineEntry]()
    seqs = iter(range(1, 10**6))
    for _ in _steps(data):
        op = data.draw(
            st.sampled_from(["add", "add", "remove", "remove_first", "position", "view"])
        )
        if op == "add":
            entry = data.draw(_keys(seqs))
            line.add(entry[:3], entry[3])  # type: ignore[arg-type]
            expected = sorted([*expected, entry])
        elif op == "remove" and expected:
            entry = data.draw(st.sampled_from(expected))
            line.remove(entry[:3], entry[3])  # type: ignore[arg-type]
            expected.remove(entry)
        elif op == "remove_first" and expected:
            line.remove(expected[0][:3], expected[0][3])  # type: ignore[arg-type]
            del expected[0]
        elif op == "position" and expected:
            index = data.draw(st.integers(0, len(expected) - 1))
            entry = expected[index]
            assert line.position(entry[:3], entry[3]) == index + 1  # type: ignore[arg-type]
        elif op == "view" and expected:
            # a sorted subset holding the head, as DeclinedViews keeps for an agent
            rest = data.draw(st.sets(st.sampled_from(expected))) if len(expected) > 1 else set()
            view = sorted({expected[0], *rest})
            outside = [e for e in expected if e not in view]
            assert line.first_not_in(SortedList(view)) == (outside[0] if outside else None)
        line._check()
        assert list(line.entries()) == expected and len(line) == len(expected)
        assert line.first == (expected[0] if expected else None) and bool(line) == bool(expected)
        assert [(*key, cid) for key, cid in line] == expected


# -- DeclinedViews -----------------------------------------------------------------------------
AGENTS = ("a0", "a1", "a2")


@_settings(100)
@given(data=st.data())
def test_declined_views_agree_with_a_scan(data: st.DataObject) -> None:
    """Contacts enter and leave two lines (some both), excluding agents; an agent whose line head
    it excluded asks for its first contact; agents log out. Every view stays exactly its line's
    entries the agent excludes, and every answer is the scan's."""
    lines = (WaitingLine("chat"), WaitingLine("chat"))
    views = DeclinedViews()
    excluded: dict[str, set[str]] = {}  # contact id → agents it excludes
    placed: dict[str, tuple[LineEntry, list[WaitingLine]]] = {}
    seqs = iter(range(1, 10**6))
    some_agents = st.sets(st.sampled_from(AGENTS))
    asked: set[str] = set()  # agents that asked for a first contact since they logged out

    def excludes(agent_id: str, cid: str) -> bool:
        return agent_id in excluded[cid]

    def enter(cid: str) -> None:
        entry, chosen = placed[cid]
        for line in chosen:
            line.add(entry[:3], cid)  # type: ignore[arg-type]
            views.entered(line, entry, excluded[cid])

    def leave(cid: str) -> None:
        entry, chosen = placed[cid]
        for line in chosen:
            line.remove(entry[:3], cid)  # type: ignore[arg-type]
            views.left(line, entry, excluded[cid])

    for _ in _steps(data):
        op = data.draw(st.sampled_from(["arrive", "arrive", "leave", "decline", "first", "logout"]))
        if op == "arrive":
            entry = data.draw(_keys(seqs))
            cid = entry[3]
            chosen = data.draw(st.sampled_from([[lines[0]], [lines[1]], list(lines)]))
            excluded[cid], placed[cid] = data.draw(some_agents), (entry, chosen)
            enter(cid)
        elif op == "leave" and placed:
            cid = data.draw(st.sampled_from(sorted(placed)))
            leave(cid)
            del placed[cid], excluded[cid]
        elif op == "decline" and placed:  # offered (out of its lines), declined, back in line
            cid = data.draw(st.sampled_from(sorted(placed)))
            leave(cid)
            excluded[cid].add(data.draw(st.sampled_from(AGENTS)))
            enter(cid)
        elif op == "first":
            agent_id, line = data.draw(st.sampled_from(AGENTS)), data.draw(st.sampled_from(lines))
            if line.first is not None and excludes(agent_id, line.first[3]):
                found = views.first_for(agent_id, line, functools.partial(excludes, agent_id))
                asked.add(agent_id)
                open_to = [e for e in line.entries() if not excludes(agent_id, e[3])]
                assert found == (open_to[0] if open_to else None)
        elif op == "logout":
            agent_id = data.draw(st.sampled_from(AGENTS))
            views.forget(agent_id)
            asked.discard(agent_id)
        for line in lines:
            line._check()
        views._check(excludes)
        assert bool(views) == bool(asked)  # the router skips view upkeep when nobody has one


# -- AgentPools --------------------------------------------------------------------------------
RULES = ChannelRules.default()
QUEUES = {
    q.name: q
    for q in (
        QueueSpec("q0", channel="chat", stages=[Stage(0, 0), Stage(10, 2)]),
        QueueSpec("q1", channel="phone", stages=[Stage(0, 0), Stage(10, 1), Stage(20, None)]),
        QueueSpec("q2", channel="chat", stages=[Stage(0, 1), Stage(20, None)]),
        QueueSpec("q3", channel="email", stages=[Stage(0, 0)]),
    )
}
POOL_AGENTS = tuple(f"a{i}" for i in range(7))
CONTACTS = ("c0", "c1", "c2")
RATINGS = {"a0": 0.5, "a1": 0.9, "a3": 0.9, "a4": 0.2}
# policy name → the key the pools should rank by, restated (random draws cannot be restated)
REFERENCE_KEYS: dict[str, Callable[[AgentState, int], tuple[Any, ...]]] = {
    "longest_idle": lambda a, p: (a.idle_since,),
    "most_proficient": lambda a, p: (-p, a.idle_since),
    "least_occupied": lambda a, p: (sum(a.load.values()) / sum(a.capacity.values()), a.idle_since),
    "round_robin": lambda a, p: (a.last_offer_seq,),
    "fewest_skills": lambda a, p: (len(a.skills), a.idle_since),
    "best_resolution": lambda a, p: (-RATINGS.get(a.agent_id, 1.0), a.idle_since),
}


def _policy(name: str) -> AgentPolicy:
    if name in RATED_POLICIES:
        return rated_policy(name, resolution=RATINGS)
    return make_policy(name, random.Random(0))


@st.composite
def _agent(draw: st.DrawFn, agent_id: str, seq: int, at: float) -> AgentState:
    """A logging-in agent, built as the router's ``new_agent`` builds one: skill cost and
    proficiency per queue it may serve (only queues of channels it has capacity on)."""
    capacity = {
        "phone": draw(st.integers(0, 1)),
        "chat": draw(st.integers(0, 3)),
        "email": draw(st.integers(0, 2)),
    }
    capacity["chat"] += not any(capacity.values())  # every agent can take something
    skills = {f"s{i}": 1 for i in range(draw(st.integers(0, 3)))}
    agent = AgentState(agent_id, seq=seq, skills=skills, capacity=capacity, at=at)
    for name, queue in QUEUES.items():
        if capacity[queue.channel] and draw(st.integers(0, 3)):
            cost = draw(st.sampled_from([0.0, 0.0, 1.0, 2.0]))
            agent.serving[name] = (cost, draw(st.integers(0, 3)))
    return agent


def _reference_best(
    agents: dict[str, AgentState],
    key: Callable[[AgentState, int], tuple[Any, ...]],
    queue: QueueSpec,
    max_cost: float | None,
    excluded: set[str],
) -> tuple[str, float | None] | None:
    """Scan every agent: lowest skill cost the stage allows, then the key, then login order;
    then, at an "any agent" stage, every agent that can take the channel, by key alone."""
    channel = queue.channel
    takers = [
        a for a in agents.values() if a.can_take(channel, RULES) and a.agent_id not in excluded
    ]
    skilled = [
        (a.serving[queue.name][0], *key(a, a.serving[queue.name][1]), a.seq, a.agent_id)
        for a in takers
        if queue.name in a.serving and (max_cost is None or a.serving[queue.name][0] <= max_cost)
    ]
    if skilled:
        best = min(skilled)
        return best[-1], best[0]
    if max_cost is None and takers:
        return min((*key(a, 0), a.seq, a.agent_id) for a in takers)[-1], None
    return None


class _PoolsRun:
    """One run of random operations on an AgentPools, each followed by the checks."""

    OPS = ("login", "logout", "hold", "hold", "release", "release", "status", "offered",
           "exclude", "decline", "decline", "transfer", "best", "best", "best")  # fmt: skip

    def __init__(self, data: st.DataObject, policy_name: str, own_heap_after: int) -> None:
        self.data, self.key = data, REFERENCE_KEYS[policy_name]
        self.agents: dict[str, AgentState] = {}
        self.pools = AgentPools(QUEUES, _policy(policy_name), RULES, self.agents)
        self.pools.own_heap_after = own_heap_after
        self.excluded: dict[str, set[str]] = {cid: set() for cid in CONTACTS}
        self.now, self.seq, self.work = 0.0, 0, 0

    def draw(self, strategy: st.SearchStrategy[Any], label: str | None = None) -> Any:
        return self.data.draw(strategy, label=label)

    def logged_out(self) -> list[str]:
        return [a for a in POOL_AGENTS if a not in self.agents]

    def step(self, op: str) -> None:
        self.now += self.draw(st.sampled_from([0.0, 1.0]), label="time step")
        if op in ("login", "best", "decline", "exclude", "transfer"):
            getattr(self, op)()
        elif self.agents:
            getattr(self, op)(self.agents[self.draw(st.sampled_from(sorted(self.agents)))])
        self.pools._check(self.agents, self.excluded.get)
        for channel in ("phone", "chat", "email"):
            takers = sum(a.can_take(channel, RULES) for a in self.agents.values())
            assert self.pools.available(channel) == takers, channel

    def login(self) -> None:
        if out := self.logged_out():
            self.seq += 1
            agent = self.draw(_agent(self.draw(st.sampled_from(out)), self.seq, self.now))
            self.pools.enrol(agent)
            self.pools.check_keys(agent)
            self.agents[agent.agent_id] = agent
            self.pools.refresh(agent)

    def best(self, *, decline: bool = False) -> None:
        queue = QUEUES[self.draw(st.sampled_from(sorted(QUEUES)))]
        max_cost = self.draw(st.sampled_from([s.max_cost for s in queue.stages]))
        cid = self.draw(st.sampled_from([None, *CONTACTS]))
        exclusions = self.excluded[cid] if cid is not None else set()
        found = self.pools.best_agent(queue, max_cost, exclusions, cid)
        expected = _reference_best(self.agents, self.key, queue, max_cost, exclusions)
        assert (found and found[:2]) == expected, (queue.name, max_cost, cid)
        if decline and found and cid is not None:
            exclusions.add(found[0])

    def decline(self) -> None:
        """The best agent is offered the contact and declines it."""
        self.best(decline=True)

    def exclude(self) -> None:
        """Mostly an agent logged in, sometimes one who is not."""
        out = self.logged_out()
        elsewhere = bool(out) and (not self.agents or not self.draw(st.integers(0, 3)))
        candidates = out if elsewhere else sorted(self.agents)
        cid = self.draw(st.sampled_from(CONTACTS))
        self.excluded[cid].add(self.draw(st.sampled_from(candidates)))

    def transfer(self) -> None:
        """A new search: the contact's own heaps go, its exclusions start again."""
        cid = self.draw(st.sampled_from(CONTACTS))
        self.pools.forget_contact(cid)
        self.excluded[cid] = set()

    def logout(self, agent: AgentState) -> None:
        self.pools.remove(agent)
        del self.agents[agent.agent_id]

    def hold(self, agent: AgentState) -> None:
        taking = sorted(c for c in agent.capacity if agent.can_take(c, RULES))
        if taking:
            self.work += 1
            channel = self.draw(st.sampled_from(taking))
            agent.hold(f"w{self.work}", channel, WorkPhase.CONNECTED)
            self.pools.refresh(agent, place=False)  # as the router does before the agent
            self.pools.refresh(agent)  # looks for work itself, then places it

    def release(self, agent: AgentState) -> None:
        if agent.work:
            agent.release(self.draw(st.sampled_from(sorted(agent.work))))
            agent.idle_since = self.now
            self.pools.refresh(agent)

    def status(self, agent: AgentState) -> None:
        statuses = [AgentStatus.AVAILABLE, AgentStatus.AVAILABLE, AgentStatus.AWAY]
        agent.status = self.draw(st.sampled_from(statuses))
        self.pools.refresh(agent)

    def offered(self, agent: AgentState) -> None:
        """Round robin's key: the agent was offered a contact."""
        self.seq += 1
        agent.last_offer_seq = self.seq
        self.pools.refresh(agent)


@_settings(150)
@given(
    data=st.data(),
    policy_name=st.sampled_from(sorted(REFERENCE_KEYS)),
    slack=SLACK,
    own_heap_after=st.sampled_from([0, 1, 2, 10**9]),
)
def test_agent_pools_agree_with_a_scan(
    data: st.DataObject, policy_name: str, slack: int, own_heap_after: int
) -> None:
    """Agents log in and out, take and release work, go away and come back, are offered
    contacts (round robin's key) and become idle; contacts decline agents and are transferred
    (their own heaps forgotten). Every best agent is the reference scan's, for shared and own
    heaps alike; the per-channel counts are exact."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pools, "COMPACT_SLACK", slack)
        run = _PoolsRun(data, policy_name, own_heap_after)
        logins = data.draw(st.integers(2, 5), label="first logins")
        for step in range(data.draw(st.integers(10, 60), label="steps")):
            run.step("login" if step < logins else data.draw(st.sampled_from(_PoolsRun.OPS)))


# -- policies ----------------------------------------------------------------------------------
@_settings(100)
@given(
    agent=_agent("a1", seq=1, at=0.0),
    idle_since=st.floats(0, 1e9),
    proficiency=st.integers(0, 5),
    resolution=st.floats(0, 1),
    factor=st.floats(0.01, 100),
)
def test_every_builtin_key_has_its_declared_width(
    agent: AgentState, idle_since: float, proficiency: int, resolution: float, factor: float
) -> None:
    """The pools trust ``key_width`` and never probe a built-in policy at login: every key of
    every built-in (the rated ones included) must have that length."""
    agent.idle_since = idle_since
    policies = [make_policy(name, random.Random(0)) for name in POLICIES]
    policies += [
        rated_policy(name, resolution={"a1": resolution}, handle_time_factor={"a1": factor})
        for name in RATED_POLICIES
    ]
    for policy in policies:
        key = policy.key(agent, proficiency)
        assert isinstance(key, tuple) and len(key) == policy.key_width, (policy.name, key)  # type: ignore[attr-defined]


@_settings(100)
@given(
    resolution=st.dictionaries(st.sampled_from(POOL_AGENTS), st.floats(0, 1), max_size=4),
    factors=st.dictionaries(st.sampled_from(POOL_AGENTS), st.floats(0.01, 100), max_size=4),
)
def test_rated_policies_score_by_their_formula(
    resolution: dict[str, float], factors: dict[str, float]
) -> None:
    """fastest = 1/factor, best_resolution = resolution, resolution_rate = resolution/factor;
    an unrated agent scores as resolution 1.0 at factor 1.0."""
    formulas = {
        "fastest": lambda r, f: 1.0 / f,
        "best_resolution": lambda r, f: r,
        "resolution_rate": lambda r, f: r / f,
    }
    assert set(formulas) == set(RATED_POLICIES)
    for name, formula in formulas.items():
        policy = rated_policy(name, resolution=resolution, handle_time_factor=factors)
        for agent_id in POOL_AGENTS:
            expected = formula(resolution.get(agent_id, 1.0), factors.get(agent_id, 1.0))
            assert policy.score(agent_id) == expected, (name, agent_id)


@_settings(50)
@given(bad=st.one_of(st.floats(max_value=0.0), st.just(float("nan"))))
def test_rated_policies_refuse_a_factor_that_is_not_positive(bad: float) -> None:
    for name in RATED_POLICIES:
        with pytest.raises(ConfigError, match="handle_time_factor"):
            rated_policy(name, handle_time_factor={"a1": bad})


class _WidthOfSkills:
    """A custom policy (no ``key_width``): as long a key as the agent has skills, plus one."""

    name = "by_skills"

    def key(self, agent: AgentState, proficiency: int) -> tuple[float, ...]:
        return (agent.idle_since, *(1.0 for _ in agent.skills))


@_settings(50)
@given(data=st.data())
def test_pools_refuse_a_login_whose_key_width_differs(data: st.DataObject) -> None:
    """A custom policy is probed at login: the first key fixes the width, and an agent whose key
    has another length is refused by ``check_keys`` before it is placed anywhere."""
    agents: dict[str, AgentState] = {}
    pool = AgentPools(QUEUES, _WidthOfSkills(), RULES, agents)
    widths: set[int] = set()
    for index in range(data.draw(st.integers(1, 6), label="logins")):
        agent = data.draw(_agent(f"a{index}", index + 1, 0.0))
        pool.enrol(agent)
        width = 1 + len(agent.skills)
        if agent.plan and widths and width not in widths:
            with pytest.raises(ConfigError, match=r"'by_skills'.* has \d element"):
                pool.check_keys(agent)
            continue
        pool.check_keys(agent)
        agents[agent.agent_id] = agent
        pool.refresh(agent)
        widths |= {width} if agent.plan else set()
        pool._check(agents)
