"""Per-contact routing criteria: steps of requirements that relax as a contact waits
(core/criteria.py, docs/routing.md)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub import InvalidEvent, QueueSpec, Router, RoutingError, SkillGraph, Stage
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core.criteria import MAX_STEPS, step_requirement
from experiencehub.core.eligibility import criteria_serving
from experiencehub.events import CriteriaStep, RoutingCriteria
from experiencehub.journal.records import decode, encode
from experiencehub.wire import dumps, loads
from routing_helpers import arrive, kinds, login, offers

SPANISH = RoutingCriteria(
    steps=[
        CriteriaStep(requires={"spanish": 3}),
        CriteriaStep(requires={"spanish": 1}, after=60),
        CriteriaStep(after=120),
    ]
)
FRENCH = RoutingCriteria(steps=[CriteriaStep(requires={"french": 1})])


def billing_router(**kwargs: object) -> Router:
    """A phone queue needing billing 1, exact skills, then any agent from 300 s."""
    queue = QueueSpec(
        "billing",
        channel="phone",
        requires={"billing": 1},
        stages=[Stage(after=0, max_cost=0), Stage(after=300, max_cost=None)],
    )
    return Router(SkillGraph(), [queue], offer_timeout=30.0, **kwargs)  # type: ignore[arg-type]


def team(router: Router) -> None:
    """a3: Spanish 3; a1: Spanish 1; a0: billing only; x: no billing (never for criteria)."""
    for agent_id, skills in [
        ("a3", {"billing": 1, "spanish": 3}),
        ("a1", {"billing": 1, "spanish": 1}),
        ("a0", {"billing": 1}),
        ("x", {"spanish": 5}),
    ]:
        login(router, agent_id, skills=skills, capacity={"phone": 1})
        router._check()


def busy(router: Router, *agent_ids: str, at: float = 0.0) -> None:
    """Set these agents away."""
    for agent_id in agent_ids:
        away = ev.AgentStatusChanged(at=at, agent_id=agent_id, status="away")
        router.handle(away)
    router._check()


# -- the values -------------------------------------------------------------------------------
def test_criteria_are_frozen_hashable_values_whose_repr_is_python() -> None:
    again = eval(repr(SPANISH), {"RoutingCriteria": RoutingCriteria, "CriteriaStep": CriteriaStep})
    assert again == SPANISH and hash(again) == hash(SPANISH)
    with pytest.raises(TypeError):
        SPANISH.steps[0].requires["spanish"] = 1  # type: ignore[index]
    assert isinstance(SPANISH.steps, tuple)


@pytest.mark.parametrize(
    ("steps", "rule"),
    [
        ([], "non-empty"),
        ([CriteriaStep(after=5)], "first step must start at after=0"),
        ([CriteriaStep(), CriteriaStep()], "step times must increase"),
        ([CriteriaStep()] * (MAX_STEPS + 1), f"at most {MAX_STEPS}"),
        (["spanish"], "must be a CriteriaStep"),
    ],
)
def test_bad_criteria_are_refused_naming_the_rule(steps: list[object], rule: str) -> None:
    with pytest.raises(InvalidEvent, match=rule):
        RoutingCriteria(steps=steps)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"max_cost": None}, "finite"),
        ({"max_cost": -1}, "finite and >= 0"),
        ({"requires": {"spanish": -1}}, "integer >= 0"),
        ({"after": -1.0}, "after"),
    ],
)
def test_bad_steps_are_refused(kwargs: dict[str, object], rule: str) -> None:
    with pytest.raises(InvalidEvent, match=rule):
        CriteriaStep(**kwargs)  # type: ignore[arg-type]


def test_an_event_refuses_criteria_of_another_type() -> None:
    with pytest.raises(InvalidEvent, match="criteria"):
        ev.ContactArrived(at=0, contact_id="c", queue="q", criteria={"spanish": 3})  # type: ignore[arg-type]


def test_a_step_adds_to_the_queue_requirement_taking_the_higher_level() -> None:
    queue = QueueSpec("q", channel="phone", requires={"billing": 2, "spanish": 1})
    step = CriteriaStep(requires={"spanish": 3, "vip": 1})
    assert dict(step_requirement(queue, step)) == {"billing": 2, "spanish": 3, "vip": 1}
    assert dict(step_requirement(queue, CriteriaStep(requires={"billing": 1}))) == {
        "billing": 2,
        "spanish": 1,
    }


def test_the_agent_cost_is_the_first_step_it_meets_through_the_skill_graph() -> None:
    graph = SkillGraph()
    graph.add_substitute("portuguese", serves="spanish", cost=1.0)
    queue = QueueSpec("q", channel="phone", requires={"billing": 1})
    strict = RoutingCriteria(steps=[CriteriaStep(requires={"spanish": 1})])
    loose = RoutingCriteria(steps=[CriteriaStep(requires={"spanish": 1}, max_cost=1.0)])
    agent = {"billing": 1, "portuguese": 2}
    assert criteria_serving(graph, agent, queue, strict) is None
    assert criteria_serving(graph, agent, queue, loose) == (0.0, 1)
    assert criteria_serving(graph, {"billing": 1, "spanish": 3}, queue, SPANISH) == (0.0, 1)
    assert criteria_serving(graph, {"spanish": 3}, queue, SPANISH) is None  # no billing


# -- routing ----------------------------------------------------------------------------------
def test_steps_widen_as_the_contact_waits_and_stricter_agents_come_first() -> None:
    router = billing_router()
    team(router)
    busy(router, "a3")
    decisions = arrive(router, "c1", 1.0, "billing", criteria=SPANISH)
    router._check()
    assert kinds(decisions) == ["Enqueued"]  # only a3 meets step 0, and it is away
    decisions = router.handle(ev.Tick(at=61.0))
    router._check()
    assert offers(decisions) == [("c1", "a1")]  # step 1: spanish >= 1
    assert [d.stage for d in decisions if isinstance(d, dc.Expanded)] == [1]
    router.handle(ev.OfferRejected(at=62.0, contact_id="c1", agent_id="a1"))
    router._check()
    decisions = router.handle(ev.Tick(at=121.0))
    router._check()
    assert offers(decisions) == [("c1", "a0")]  # step 2: billing alone; never x


def test_an_agent_meeting_an_earlier_step_is_offered_before_one_meeting_the_current_step() -> None:
    router = billing_router()
    team(router)
    decisions = arrive(router, "c1", 200.0, "billing", criteria=SPANISH)
    assert offers(decisions) == [("c1", "a3")]
    router._check()


def test_criteria_never_reach_an_agent_without_the_queue_requirement() -> None:
    router = billing_router()
    login(router, "x", skills={"spanish": 5}, capacity={"phone": 1})
    arrive(router, "c1", 0.0, "billing", criteria=SPANISH)
    decisions = router.handle(ev.Tick(at=1000.0))
    router._check()
    assert offers(decisions) == []  # the queue's "any agent" stage does not apply to it
    assert "meets no criteria step" in router.explain("c1").summary


def test_a_contact_without_criteria_keeps_the_queue_stages() -> None:
    router = billing_router()
    login(router, "x", skills={"spanish": 5}, capacity={"phone": 1})
    arrive(router, "c1", 0.0, "billing")
    assert offers(router.handle(ev.Tick(at=300.0))) == [("c1", "x")]


def test_a_freed_agent_takes_a_contact_whose_criteria_it_meets() -> None:
    router = billing_router()
    team(router)
    busy(router, "a3", "a1", "a0")
    arrive(router, "c1", 1.0, "billing", criteria=FRENCH)
    arrive(router, "c2", 2.0, "billing", criteria=SPANISH)
    decisions = router.handle(ev.AgentStatusChanged(at=3.0, agent_id="a3", status="available"))
    router._check()
    assert offers(decisions) == [("c2", "a3")]  # c1 waited longer, but a3 speaks no French
    decisions = login(router, "f", at=4.0, skills={"billing": 1, "french": 2}, capacity={"phone": 1})
    router._check()
    assert offers(decisions) == [("c1", "f")]  # a later login is enrolled in the class


def test_explain_names_the_step_and_why_each_agent_is_not_eligible() -> None:
    router = billing_router()
    team(router)
    arrive(router, "c0", 0.0, "billing")  # a3, a1 or a0 takes it
    busy(router, "a3")
    arrive(router, "c1", 1.0, "billing", criteria=SPANISH)
    summary = router.explain("c1").summary
    assert "at stage 0 (criteria step 0: billing >= 1, spanish >= 3 at skill cost <= 0)" in summary
    assert "meets no criteria step" in summary  # x
    assert "meets criteria step 1 only (the contact is at step 0)" in summary  # a1
    notes = {c.agent_id: (c.note, c.cost) for c in router.explain("c1").candidates}
    assert notes["a3"] == ("away", 0.0)
    assert notes["a1"][1] == 1.0 and notes["x"][1] == -1.0


def test_equal_criteria_share_one_class_released_with_its_last_contact() -> None:
    router = billing_router()
    team(router)
    busy(router, "a3", "a1", "a0")
    core = router._core
    before = (set(core.lines), {a: dict(s.serving) for a, s in core.agents.items()})
    arrive(router, "c1", 1.0, "billing", criteria=SPANISH)
    arrive(router, "c2", 2.0, "billing", criteria=RoutingCriteria(steps=list(SPANISH.steps)))
    arrive(router, "c3", 3.0, "billing", criteria=FRENCH)
    router._check()
    assert len(core.criteria_classes) == 2
    assert core.criteria_classes[("billing", SPANISH)].users == 2
    router.handle(ev.ContactAbandoned(at=4.0, contact_id="c1"))
    router.handle(ev.ContactAbandoned(at=4.0, contact_id="c3"))
    router._check()
    assert len(core.criteria_classes) == 1
    router.handle(ev.AgentStatusChanged(at=5.0, agent_id="a3", status="available"))
    router.handle(ev.OfferAccepted(at=6.0, contact_id="c2", agent_id="a3"))  # connected: released
    router._check()
    assert core.criteria_classes == {} and core.criteria_names == {}
    after = (set(core.lines), {a: dict(s.serving) for a, s in core.agents.items()})
    assert after == before


def test_skill_changes_keep_the_classes_correct() -> None:
    router = billing_router()
    team(router)
    busy(router, "a3", "a1")
    arrive(router, "c1", 1.0, "billing", criteria=FRENCH)  # a0 and x cannot take it
    router._check()
    decisions = router.handle(
        ev.AgentSkillsChanged(at=2.0, agent_id="a0", skills={"billing": 1, "french": 1})
    )
    router._check()
    assert offers(decisions) == [("c1", "a0")]
    router.handle(ev.AgentSkillsChanged(at=3.0, agent_id="a0", skills={"billing": 1}))
    router._check()
    assert not router.work("a0")  # the offer was withdrawn: a0 no longer meets the criteria


def test_logout_and_login_keep_the_classes_correct() -> None:
    router = billing_router()
    team(router)
    busy(router, "a3", "a1", "a0")
    arrive(router, "c1", 1.0, "billing", criteria=SPANISH)
    router.handle(ev.AgentLoggedOut(at=2.0, agent_id="a3"))
    router._check()
    login(router, "a3", at=3.0, skills={"billing": 1}, capacity={"phone": 1})
    router._check()
    assert not router.work("a3")  # back without Spanish: not for c1 at step 0
    assert offers(router.handle(ev.Tick(at=121.0))) == [("c1", "a3")]


def test_a_transfer_drops_the_criteria_unless_it_carries_new_ones() -> None:
    router = billing_router()
    team(router)
    busy(router, "a3", "a0")
    arrive(router, "c1", 0.0, "billing", criteria=SPANISH)
    arrive(router, "c9", 0.0, "billing")  # a1 takes c9
    router.handle(ev.OfferAccepted(at=1.0, contact_id="c9", agent_id="a1"))
    router.handle(ev.ContactTransferred(at=2.0, contact_id="c1", queue="billing", criteria=FRENCH))
    router._check()
    assert router._core.contacts["c1"].criteria == FRENCH
    assert ("billing", SPANISH) not in router._core.criteria_classes
    decisions = router.handle(ev.ContactTransferred(at=3.0, contact_id="c1", queue="billing"))
    router._check()
    assert router._core.criteria_classes == {}
    assert router._core.contacts["c1"].criteria is None
    assert kinds(decisions) == ["Enqueued"]


@pytest.mark.parametrize("rule", ["end", "move"])
def test_closing_the_queue_releases_the_classes_of_contacts_it_ends_or_moves(rule: str) -> None:
    queues = [
        QueueSpec("billing", channel="phone", requires={"billing": 1}, closed_rule=rule,
                  closed_queue="spare"),
        QueueSpec("spare", channel="phone", requires={"billing": 1}),
    ]  # fmt: skip
    router = Router(SkillGraph(), queues)
    login(router, "a0", skills={"billing": 1}, capacity={"phone": 1})
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="a0", status="away"))
    arrive(router, "c1", 1.0, "billing", criteria=SPANISH)
    router.handle(ev.QueueClosed(at=2.0, queue="billing"))
    router._check()
    assert router._core.criteria_classes == {}  # ended, or moved (a move drops the criteria)


def test_a_transfer_to_an_agent_outside_the_criteria_is_refused_leaving_no_trace() -> None:
    router = billing_router()
    team(router)
    arrive(router, "c1", 0.0, "billing")
    (agent,) = [a for a, s in router._core.agents.items() if s.work]
    router.handle(ev.OfferAccepted(at=1.0, contact_id="c1", agent_id=agent))
    state = pickle.dumps(router)
    with pytest.raises(InvalidEvent, match="meets no step of the transfer's criteria"):
        router.handle(
            ev.ContactTransferred(
                at=1.0, contact_id="c1", queue="billing", agent_id="x", criteria=FRENCH
            )
        )
    assert pickle.dumps(router) == state


def test_criteria_travel_on_the_wire_the_journal_and_snapshots() -> None:
    event = ev.ContactArrived(at=1.0, contact_id="c1", queue="billing", criteria=SPANISH)
    assert loads(dumps(event)) == event
    assert decode(encode(event)) == event
    moved = ev.ContactTransferred(at=1.0, contact_id="c1", queue="billing", criteria=FRENCH)
    assert loads(dumps(moved)) == moved
    router = billing_router()
    team(router)
    busy(router, "a3")
    router.handle(event)
    copy = pickle.loads(pickle.dumps(router))
    copy._check()
    assert offers(copy.handle(ev.Tick(at=61.0))) == offers(router.handle(ev.Tick(at=61.0)))


# -- property ---------------------------------------------------------------------------------
LEVELS = st.integers(min_value=0, max_value=3)
SKILLS = st.fixed_dictionaries({}, optional={"billing": LEVELS, "spanish": LEVELS, "french": LEVELS})
STEP_NEEDS = st.dictionaries(st.sampled_from(["spanish", "french"]), LEVELS, max_size=2)
CRITERIA = st.none() | st.lists(STEP_NEEDS, min_size=1, max_size=3).map(
    lambda needs: RoutingCriteria(
        steps=[CriteriaStep(requires=n, after=40.0 * i) for i, n in enumerate(needs)]
    )
)
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["login", "logout", "arrive", "accept", "end", "abandon", "skills", "move"]),
        st.integers(min_value=0, max_value=4),
        SKILLS,
        CRITERIA,
        st.sampled_from([0.0, 3.0, 30.0]),
    ),
    max_size=40,
)


def _met(skills: dict[str, int], criteria: RoutingCriteria | None, stage: int) -> bool:
    """Independent oracle: the agent meets the queue (billing 1) and, with criteria, the
    requirement of the contact's step or an earlier one, with exact skills."""
    if skills.get("billing", 0) < 1:
        return criteria is None and stage == 1  # the queue's own "any agent" stage
    if criteria is None:
        return True
    return any(
        all(skills.get(k, 0) >= v for k, v in step.requires.items())
        for step in criteria.steps[: stage + 1]
    )


def _event(router: Router, action: tuple, n: int, at: float) -> ev.Event | None:
    """The event an action stands for, on the contacts the router holds now."""
    what, who, new_skills, crit, _gap = action
    agent = f"a{who}"
    if what == "login":
        return ev.AgentLoggedIn(at=at, agent_id=agent, skills=new_skills, capacity={"phone": 1})
    if what == "logout":
        return ev.AgentLoggedOut(at=at, agent_id=agent)
    if what == "skills":
        return ev.AgentSkillsChanged(at=at, agent_id=agent, skills=new_skills)
    if what == "arrive":
        return ev.ContactArrived(at=at, contact_id=f"c{n}", queue="billing", criteria=crit)
    held = sorted(router._core.contacts)
    if not held:
        return None
    cid = held[who % len(held)]
    state = router._core.contacts[cid]
    if what == "accept" and state.agent_id is not None:
        return ev.OfferAccepted(at=at, contact_id=cid, agent_id=state.agent_id)
    if what == "end" and state.agent_id is not None:
        return ev.ContactEnded(at=at, contact_id=cid)
    if what == "move":
        return ev.ContactTransferred(at=at, contact_id=cid, queue="billing", criteria=crit)
    return ev.ContactAbandoned(at=at, contact_id=cid)


@settings(max_examples=60, deadline=None)
@given(ACTIONS)
def test_every_offer_meets_the_contact_criteria_at_its_step(actions: list[tuple]) -> None:
    router = billing_router()
    skills: dict[str, dict[str, int]] = {}
    criteria: dict[str, RoutingCriteria | None] = {}
    at = 0.0
    for n, action in enumerate(actions):
        at += action[-1]
        event = _event(router, action, n, at)
        if event is None:
            continue
        try:
            decisions = router.handle(event)
        except RoutingError as err:
            decisions = list(err.decisions)
        else:
            if isinstance(event, (ev.AgentLoggedIn, ev.AgentSkillsChanged)):
                skills[event.agent_id] = dict(event.skills)
            if isinstance(event, (ev.ContactArrived, ev.ContactTransferred)):
                criteria[event.contact_id] = event.criteria
        router._check()
        for decision in decisions:
            if isinstance(decision, dc.Offer):
                met = _met(skills[decision.agent_id], criteria.get(decision.contact_id), decision.stage)
                assert met, decision
    assert all(found.users > 0 for found in router._core.criteria_classes.values())


def test_a_queue_added_while_a_class_is_in_use_keeps_it_correct() -> None:
    router = billing_router()
    team(router)
    busy(router, "a3", "a1", "a0")
    arrive(router, "c1", 1.0, "billing", criteria=SPANISH)
    spare = QueueSpec("spare", channel="phone", requires={"spanish": 1})
    router.handle(ev.QueueAdded(at=2.0, spec=spare))
    router._check()
    router.handle(ev.AgentStatusChanged(at=3.0, agent_id="a3", status="available"))
    assert router.work("a3")[0].contact_id == "c1"
    router._check()


@pytest.mark.parametrize(("delay", "taken"), [(0.0, True), (20.0, False)])
def test_a_profiled_agent_serves_criteria_of_a_listed_queue_after_its_delay(
    delay: float, taken: bool
) -> None:
    router = billing_router()
    profile = ev.RoutingProfile(queues={"billing": {"priority": 1, "delay": delay}})
    skills = {"billing": 1, "spanish": 3}
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="p", skills=skills, capacity={"phone": 1},
                                   profile=profile))  # fmt: skip
    router._check()
    decisions = arrive(router, "c1", 1.0, "billing", criteria=SPANISH)
    router._check()
    assert offers(decisions) == ([("c1", "p")] if taken else [])
    if not taken:  # the queue's delay holds for contacts with criteria too
        assert router.next_deadline() == 21.0
        assert offers(router.handle(ev.Tick(at=20.5))) == []
        assert offers(router.handle(ev.Tick(at=21.0))) == [("c1", "p")]
    router._check()


def test_a_delayed_profiled_agent_freed_takes_a_criteria_contact_once_it_waited() -> None:
    router = billing_router()
    profile = ev.RoutingProfile(queues={"billing": {"priority": 1, "delay": 20}})
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="p", skills={"billing": 1, "spanish": 3},
                                   capacity={"phone": 1}, profile=profile))  # fmt: skip
    arrive(router, "busy", 0.0, "billing")  # too young for p: waits
    assert offers(router.handle(ev.Tick(at=20.0))) == [("busy", "p")]
    router.handle(ev.OfferAccepted(at=20.0, contact_id="busy", agent_id="p"))
    arrive(router, "c1", 25.0, "billing", criteria=SPANISH)
    router._check()
    assert offers(router.handle(ev.ContactEnded(at=30.0, contact_id="busy"))) == []  # 5 s
    assert offers(router.handle(ev.Tick(at=45.0))) == [("c1", "p")]
    router._check()
