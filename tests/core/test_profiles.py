"""Routing profiles and contact selection per agent (core/profiles.py, docs/routing.md)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import (
    CallbackPolicy,
    ConfigError,
    InvalidEvent,
    QueueSpec,
    Router,
    SkillGraph,
    Stage,
    UnknownQueue,
    wire,
)
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core.criteria import CriteriaStep, RoutingCriteria
from experiencehub.core.profiles import ProfileOrder, RoutingProfile
from routing_helpers import arrive, offers

PHONE = {"phone": 1}


def two_queues(**kwargs: object) -> Router:
    """billing and sales on the phone, no skills needed; a router with no offer timeout."""
    kwargs.setdefault("offer_timeout", None)
    return Router(
        SkillGraph(),
        [QueueSpec("billing", channel="phone"), QueueSpec("sales", channel="phone")],
        **kwargs,  # type: ignore[arg-type]
    )


def profiled(
    router: Router, agent_id: str, at: float, **queues: tuple[int, float]
) -> list[dc.Decision]:
    profile = RoutingProfile(
        queues={name: {"priority": p, "delay": d} for name, (p, d) in queues.items()}
    )
    return router.handle(
        ev.AgentLoggedIn(at=at, agent_id=agent_id, skills={}, capacity=PHONE, profile=profile)
    )


def test_an_agent_serves_only_the_queues_its_profile_lists() -> None:
    router = two_queues()
    profiled(router, "a1", 0.0, billing=(1, 0))
    assert offers(arrive(router, "s1", 1.0, "sales")) == []
    assert offers(arrive(router, "b1", 2.0, "billing")) == [("b1", "a1")]
    router._check()


def test_a_contact_reaches_a_delayed_agent_exactly_when_the_delay_passes() -> None:
    router = two_queues()
    profiled(router, "a1", 0.0, sales=(1, 30))
    assert offers(arrive(router, "s1", 5.0, "sales")) == []
    assert router.next_deadline() == 35.0
    assert offers(router.handle(ev.Tick(at=34.999))) == []
    out = router.handle(ev.Tick(at=35.0))
    assert offers(out) == [("s1", "a1")]
    assert out[0].at == 35.0
    assert "sales priority 1, delay 30s" in out[0].explanation.summary
    router._check()


def test_arrival_picks_an_undelayed_agent_before_a_delayed_one() -> None:
    router = two_queues()
    profiled(router, "early", 0.0, sales=(1, 30))  # longest idle, but delayed
    profiled(router, "late", 10.0, sales=(1, 0))
    assert offers(arrive(router, "s1", 20.0, "sales")) == [("s1", "late")]
    router._check()


def test_after_the_delay_the_policy_ranks_the_delay_classes_together() -> None:
    router = two_queues()
    profiled(router, "early", 1.0, sales=(1, 30))
    profiled(router, "late", 2.0, sales=(1, 10))
    router.handle(ev.AgentLoggedIn(at=3.0, agent_id="x", skills={}, capacity=PHONE))
    assert offers(arrive(router, "s1", 5.0, "sales")) == [("s1", "x")]
    out = router.handle(ev.OfferRejected(at=40.0, contact_id="s1", agent_id="x"))
    assert offers(out) == [("s1", "early")]  # longest idle of both delay classes it waited out
    router._check()


def test_a_freed_agent_takes_only_contacts_that_waited_the_delay() -> None:
    router = two_queues()
    profiled(router, "a1", 0.0, billing=(1, 0), sales=(1, 60))
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="a1", status="away"))
    arrive(router, "s1", 0.0, "sales")
    arrive(router, "b1", 50.0, "billing")
    out = router.handle(ev.AgentStatusChanged(at=55.0, agent_id="a1", status="available"))
    assert offers(out) == [("b1", "a1")]  # s1 is older but has waited 55 s of its 60


@pytest.mark.parametrize(
    ("selection", "first"), [("priority_then_wait", "b1"), ("profile_priority", "s1")]
)
def test_the_contact_selection_orders_a_freed_agent_s_queues(selection: str, first: str) -> None:
    router = two_queues(contact_selection=selection)
    profiled(router, "a1", 0.0, billing=(2, 0), sales=(1, 0))
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="a1", status="away"))
    arrive(router, "b1", 1.0, "billing")
    arrive(router, "s1", 2.0, "sales")
    out = router.handle(ev.AgentStatusChanged(at=3.0, agent_id="a1", status="available"))
    assert offers(out) == [(first, "a1")]
    assert out[0].explanation.policy == selection


def test_a_profile_overrides_the_router_s_selection_for_its_agent() -> None:
    router = two_queues()
    profile = RoutingProfile(
        queues={"billing": {"priority": 2}, "sales": {"priority": 1}},
        selection="profile_priority",
    )
    router.handle(
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, capacity=PHONE, profile=profile)
    )
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="a1", status="away"))
    arrive(router, "b1", 1.0, "billing")
    arrive(router, "s1", 2.0, "sales")
    out = router.handle(ev.AgentStatusChanged(at=3.0, agent_id="a1", status="available"))
    assert offers(out) == [("s1", "a1")]


def test_a_lower_priority_queue_is_served_when_the_first_has_no_eligible_contact() -> None:
    router = two_queues(contact_selection="profile_priority")
    profiled(router, "a1", 0.0, billing=(1, 30), sales=(2, 0))
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="a1", status="away"))
    arrive(router, "b1", 0.0, "billing")
    arrive(router, "s1", 1.0, "sales")
    out = router.handle(ev.AgentStatusChanged(at=10.0, agent_id="a1", status="available"))
    assert offers(out) == [("s1", "a1")]


def test_a_new_delay_class_reaches_contacts_already_waiting() -> None:
    router = two_queues()
    arrive(router, "s1", 0.0, "sales")
    arrive(router, "s2", 3.0, "sales")
    profiled(router, "a1", 5.0, sales=(1, 10))
    assert offers(router.handle(ev.Tick(at=10.0))) == [("s1", "a1")]
    router.handle(ev.OfferAccepted(at=11.0, contact_id="s1", agent_id="a1"))
    router.handle(ev.ContactEnded(at=11.0, contact_id="s1"))
    assert offers(router.handle(ev.Tick(at=12.9))) == []
    assert offers(router.handle(ev.Tick(at=13.0))) == [("s2", "a1")]


def test_an_unskilled_profiled_agent_serves_listed_queues_at_the_any_agent_stage() -> None:
    stages = [Stage(after=0, max_cost=0), Stage(after=60, max_cost=None)]
    router = Router(
        SkillGraph(),
        [
            QueueSpec("billing", channel="phone", requires={"billing": 1}, stages=stages),
            QueueSpec("sales", channel="phone", requires={"sales": 1}, stages=stages),
        ],
    )
    profiled(router, "a1", 0.0, billing=(1, 0))
    arrive(router, "s1", 0.0, "sales")
    arrive(router, "b1", 1.0, "billing")
    assert offers(router.handle(ev.Tick(at=60.0))) == []  # s1 reached "any agent": not listed
    out = router.handle(ev.Tick(at=61.0))
    assert offers(out) == [("b1", "a1")] and out[-1].explanation.candidates[0].cost == -1.0
    router._check()


def test_a_skill_change_keeps_the_profile() -> None:
    router = two_queues()
    profiled(router, "a1", 0.0, billing=(1, 0))
    router.handle(ev.AgentSkillsChanged(at=1.0, agent_id="a1", skills={"x": 1}))
    assert offers(arrive(router, "s1", 2.0, "sales")) == []
    router._check()


def test_a_profile_naming_an_unknown_queue_is_refused_and_changes_nothing() -> None:
    router = two_queues()
    arrive(router, "b1", 0.0, "billing")
    with pytest.raises(UnknownQueue, match="'support'"):
        profiled(router, "a1", 1.0, billing=(1, 0), support=(2, 0))
    assert router.agent_ids() == [] and router.next_deadline() is None
    router._check()


@pytest.mark.parametrize(
    "queues",
    [{}, {"b": {"priority": 0}}, {"b": {"delay": -1}}, {"b": {"delay": float("nan")}},
     {"b": {"priority": True}}, {"b": {"weight": 1}}, {"": {}}],
)  # fmt: skip
def test_invalid_profiles_are_refused(queues: dict[str, object]) -> None:
    with pytest.raises(InvalidEvent):
        RoutingProfile(queues=queues)  # type: ignore[arg-type]


def test_an_unknown_selection_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="selection"):
        RoutingProfile(queues={"b": {}}, selection="fastest")
    with pytest.raises(ConfigError, match="contact_selection"):
        two_queues(contact_selection="fastest")


def test_a_profile_is_frozen() -> None:
    profile = RoutingProfile(queues={"b": {"priority": 2, "delay": 5}})
    with pytest.raises(TypeError):
        profile.queues["c"] = profile.queues["b"]  # type: ignore[index]


def test_a_custom_selection_object_is_used() -> None:
    class Newest:
        name = "newest"

        def key(self, profile_priority: int, rank: tuple[float, float, int]) -> tuple[float, ...]:
            return (-rank[1],)

    router = two_queues(contact_selection=Newest())
    profiled(router, "a1", 0.0, billing=(1, 0), sales=(1, 0))
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="a1", status="away"))
    arrive(router, "b1", 1.0, "billing")
    arrive(router, "s1", 2.0, "sales")
    out = router.handle(ev.AgentStatusChanged(at=3.0, agent_id="a1", status="available"))
    assert offers(out) == [("s1", "a1")]  # between the queues' heads; each line keeps its order


def test_profiles_survive_the_wire_and_a_snapshot() -> None:
    login = ev.AgentLoggedIn(
        at=0.0, agent_id="a1", skills={}, capacity=PHONE,
        profile=RoutingProfile(queues={"sales": {"priority": 2, "delay": 30}}),
    )  # fmt: skip
    assert wire.loads(wire.dumps(login)) == login
    router = two_queues()
    router.handle(login)
    arrive(router, "s1", 5.0, "sales")
    copy = pickle.loads(pickle.dumps(router))
    assert offers(copy.handle(ev.Tick(at=35.0))) == offers(router.handle(ev.Tick(at=35.0)))
    assert offers(copy.handle(ev.Tick(at=35.0))) == []


def test_profile_order_ranks_priority_before_rank() -> None:
    assert ProfileOrder().key(1, (0.0, 9.0, 9)) < ProfileOrder().key(2, (-5.0, 0.0, 1))


# -- property: offers respect profiles and delays; nobody idles next to a contact it may take
QUEUES = ("billing", "sales", "care")
profiles = st.dictionaries(
    st.sampled_from(QUEUES),
    st.tuples(st.integers(1, 3), st.sampled_from([0.0, 0.0, 5.0, 12.5, 30.0])),
    min_size=1,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.sampled_from(QUEUES)),
        st.tuples(st.just("login"), profiles),
        st.tuples(st.just("end"), st.integers(0, 30)),
        st.tuples(st.just("wait"), st.floats(0.5, 20.0)),
    ),
    max_size=40,
)


class Run:
    """The router of one drawn run and what the test knows independently of it."""

    def __init__(self, selection: str) -> None:
        self.router = Router(
            SkillGraph(),
            [QueueSpec(q, channel="phone") for q in QUEUES],
            offer_timeout=None,
            contact_selection=selection,
        )
        self.now = 0.0
        self.arrived: dict[str, tuple[float, str]] = {}  # contact → (enqueued at, queue)
        self.agents: dict[str, dict[str, tuple[int, float]]] = {}  # agent → its profile
        self.connected: list[str] = []

    def step(self, kind: str, value: object) -> None:
        router, now = self.router, self.now
        if kind == "arrive":
            cid = f"c{len(self.arrived)}"
            self.arrived[cid] = (now, str(value))
            self.accept(router.handle(ev.ContactArrived(at=now, contact_id=cid, queue=str(value))))
        elif kind == "login":
            aid = f"a{len(self.agents)}"
            self.agents[aid] = value  # type: ignore[assignment]
            self.accept(profiled(router, aid, now, **value))  # type: ignore[arg-type]
        elif kind == "end" and self.connected:
            gone = self.connected.pop(int(value) % len(self.connected))  # type: ignore[call-overload]
            self.accept(router.handle(ev.ContactEnded(at=now, contact_id=gone)))
        elif kind == "wait":
            until = now + float(value)  # type: ignore[arg-type]
            while (due := router.next_deadline()) is not None and due <= until:
                self.now = due
                self.accept(router.handle(ev.Tick(at=due)))
            self.now = until
        router._check()
        self.check_nobody_idles()

    def accept(self, out: list[dc.Decision]) -> None:
        """Check every offer against the profiles, then accept it."""
        for d in out:
            if isinstance(d, dc.Offer):
                enqueued_at, queue = self.arrived[d.contact_id]
                listed = self.agents[d.agent_id].get(queue)
                assert listed is not None, (d, "queue not in the profile")
                assert enqueued_at + listed[1] <= d.at, (d, "before the delay")
                self.connected.append(d.contact_id)
                accepted = ev.OfferAccepted(
                    at=self.now, contact_id=d.contact_id, agent_id=d.agent_id
                )
                self.accept(self.router.handle(accepted))

    def check_nobody_idles(self) -> None:
        router = self.router
        waiting = [c for c in router.contact_ids() if router.contact_status(c) == "waiting"]
        for aid, profile in self.agents.items():
            if router.agent_load(aid).get("phone"):
                continue
            for cid in waiting:
                enqueued_at, queue = self.arrived[cid]
                listed = profile.get(queue)
                assert listed is None or enqueued_at + listed[1] > self.now, (aid, cid, self.now)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, selection=st.sampled_from(["priority_then_wait", "profile_priority"]))
def test_offers_respect_profiles_and_delays(
    steps: list[tuple[str, object]], selection: str
) -> None:
    run = Run(selection)
    for kind, value in steps:
        run.step(kind, value)


def test_profile_priority_holds_in_an_any_agent_line_that_queues_share() -> None:
    stages = [Stage(after=0, max_cost=0), Stage(after=10, max_cost=None)]
    router = Router(
        SkillGraph(),
        [
            QueueSpec("a", channel="phone", requires={"a": 1}, stages=stages),
            QueueSpec("b", channel="phone", requires={"b": 1}, stages=stages),
        ],
        contact_selection="profile_priority",
        offer_timeout=None,
    )
    profiled(router, "x", 0.0, a=(2, 0), b=(1, 0))  # no skills: the shared last line only
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="x", status="away"))
    arrive(router, "a1", 0.0, "a")
    arrive(router, "b1", 1.0, "b")
    router.handle(ev.Tick(at=11.0))  # both in the "any agent" line the two queues share
    out = router.handle(ev.AgentStatusChanged(at=12.0, agent_id="x", status="available"))
    assert offers(out) == [("b1", "x")]
    router._check()


ANYONE = RoutingCriteria(steps=[CriteriaStep()])  # every agent meets it: only profiles decide


class CriteriaRun(Run):
    """:class:`Run` whose arrivals may carry routing criteria (their own routing class)."""

    def step(self, kind: str, value: object) -> None:
        if kind != "arrive_criteria":
            super().step(kind, value)
            return
        cid = f"c{len(self.arrived)}"
        self.arrived[cid] = (self.now, str(value))
        arrived = ev.ContactArrived(at=self.now, contact_id=cid, queue=str(value), criteria=ANYONE)
        self.accept(self.router.handle(arrived))
        self.router._check()
        self.check_nobody_idles()


criteria_steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["arrive", "arrive_criteria"]), st.sampled_from(QUEUES)),
        st.tuples(st.just("login"), profiles),
        st.tuples(st.just("end"), st.integers(0, 30)),
        st.tuples(st.just("wait"), st.floats(0.5, 20.0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=criteria_steps, selection=st.sampled_from(["priority_then_wait", "profile_priority"]))
def test_profile_delays_hold_for_contacts_with_criteria(
    steps: list[tuple[str, object]], selection: str
) -> None:
    """No offer before the queue's delay, and no profiled agent idles while a contact it may
    take (criteria or not) has waited its delay."""
    run = CriteriaRun(selection)
    for kind, value in steps:
        run.step(kind, value)


# -- regressions found by the testing toolkit's model (tests/testing/test_profiles_toolkit.py) --
def test_at_the_any_agent_stage_a_profiled_agent_ranks_by_the_policy_with_the_others() -> None:
    """Beyond the queue's rings every agent is ranked by the policy alone: a profiled agent
    that serves the queue at its "any agent" stage only used to come before the others."""
    stages = [Stage(after=0, max_cost=0), Stage(after=1.0, max_cost=None)]
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, stages=stages)]
    )
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="plain", skills={}, capacity=PHONE))
    profile = RoutingProfile(queues={"q": {"priority": 1}})
    router.handle(
        ev.AgentLoggedIn(at=0.5, agent_id="listed", skills={}, capacity=PHONE, profile=profile)
    )
    arrive(router, "c1", 0.5, "q")
    out = router.handle(ev.Tick(at=1.5))
    assert offers(out) == [("c1", "plain")]  # idle longest
    router._check()


def test_an_offer_to_a_preferred_profiled_agent_names_the_profile() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone", affinity_seconds=10.0)])
    profiled(router, "a1", 0.0, q=(2, 30))
    [offer] = arrive(router, "c1", 1.0, "q", preferred_agents=["a1"])  # no delay: preferred
    assert isinstance(offer, dc.Offer) and offer.agent_id == "a1"
    assert "routing profile: q priority 2, delay 30s" in offer.explanation.summary


def test_a_new_delay_class_reaches_a_ringing_contact_whose_offer_comes_back() -> None:
    router = two_queues()
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity=PHONE))
    assert offers(arrive(router, "s1", 0.0, "sales")) == [("s1", "a0")]
    profiled(router, "a1", 1.0, sales=(1, 10))  # a delay class new while s1 rings
    router.handle(ev.OfferRejected(at=2.0, contact_id="s1", agent_id="a0"))
    assert offers(router.handle(ev.Tick(at=20.0))) == [("s1", "a1")]
    assert router.contact_status("s1") == "offered"
    router._check()


@pytest.mark.parametrize(("keep_place", "due"), [(True, 10.0), (False, 17.0)])
def test_a_callback_queued_again_waits_out_the_delay_and_no_longer(
    keep_place: bool, due: float
) -> None:
    """Its dial cancelled its deadlines; queued again (at its place, or at the back at 7.0)
    it reaches the delayed agent exactly when the delay has passed."""
    policy = CallbackPolicy(retry_seconds=5.0, max_attempts=3, keep_place=keep_place)
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone", callback=policy)],
                    offer_timeout=None)  # fmt: skip
    arrive(router, "c", 0.0, "q")
    router.handle(ev.CallbackRequested(at=0.0, contact_id="c"))
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="dialer", skills={}, capacity=PHONE))
    profiled(router, "late", 0.0, q=(1, 10))
    router.handle(ev.OfferAccepted(at=1.0, contact_id="c", agent_id="dialer"))
    router.handle(ev.AgentStatusChanged(at=1.0, agent_id="dialer", status="away"))
    router.handle(ev.CallbackFailed(at=2.0, contact_id="c"))
    out = router.handle(ev.Tick(at=30.0))
    assert [(d.at, d.agent_id) for d in out if isinstance(d, dc.Offer)] == [(due, "late")]
    router._check()
