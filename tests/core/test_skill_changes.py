"""AgentSkillsChanged: an agent's skills and levels change during its shift (docs/routing.md)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import (
    InvalidEvent,
    InvalidTransition,
    QueueSpec,
    Router,
    RoutingError,
    SkillGraph,
    Stage,
    UnknownAgent,
    WrapUp,
)
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core.eligibility import ineligibility, serving_cost
from experiencehub.journal import SecretInEvent
from experiencehub.journal.records import decode, encode, refuse_secrets_in
from routing_helpers import arrive, kinds, login, offers

CHANGED = "agent's skills changed"


def billing_router(*, any_agent: bool = True, **kwargs: object) -> Router:
    """One phone queue needing billing level 2: exact skills first, any agent from 60 s (or,
    without ``any_agent``, exact skills only)."""
    stages = [Stage(after=0, max_cost=0)]
    if any_agent:
        stages.append(Stage(after=60, max_cost=None))
    queue = QueueSpec(
        "billing",
        channel="phone",
        requires={"billing": 2},
        stages=stages,
        **kwargs,  # type: ignore[arg-type]
    )
    return Router(SkillGraph(), [queue], offer_timeout=30.0)


def change(router: Router, agent_id: str, at: float, skills: dict[str, int]) -> list[dc.Decision]:
    decisions = router.handle(ev.AgentSkillsChanged(at=at, agent_id=agent_id, skills=skills))
    router._check()
    return decisions


def test_the_event_is_a_frozen_value_whose_repr_is_python() -> None:
    event = ev.AgentSkillsChanged(at=5.0, agent_id="a1", skills={"billing": 3})
    assert eval(repr(event), vars(ev)) == event
    with pytest.raises(TypeError):
        event.skills["billing"] = 1  # type: ignore[index]
    assert hash(event) == hash(ev.AgentSkillsChanged(at=5.0, agent_id="a1", skills={"billing": 3}))


@pytest.mark.parametrize(
    "skills", [{"billing": -1}, {"": 1}, {"billing": 1.5}, {"billing": True}, ["billing"]]
)
def test_invalid_skills_are_refused_by_the_constructor(skills: object) -> None:
    with pytest.raises(InvalidEvent):
        ev.AgentSkillsChanged(at=0.0, agent_id="a1", skills=skills)  # type: ignore[arg-type]


def test_a_raised_level_takes_a_waiting_contact_at_once() -> None:
    router = billing_router()
    login(router, "a1", skills={"billing": 1})
    assert kinds(arrive(router, "c1", 1.0, queue="billing")) == ["Enqueued"]
    decisions = change(router, "a1", 2.0, {"billing": 2})
    assert offers(decisions) == [("c1", "a1")]
    assert decisions[0].at == 2.0


def test_a_removed_skill_withdraws_the_open_offer_and_it_goes_to_another_agent() -> None:
    router = billing_router()
    login(router, "a1", skills={"billing": 3})
    assert offers(arrive(router, "c1", 1.0, queue="billing")) == [("c1", "a1")]
    login(router, "a2", at=2.0, skills={"billing": 2})
    decisions = change(router, "a1", 3.0, {"support": 1})
    assert kinds(decisions) == ["OfferWithdrawn", "Offer"]
    withdrawn, offer = decisions
    assert isinstance(withdrawn, dc.OfferWithdrawn) and isinstance(offer, dc.Offer)
    assert (withdrawn.contact_id, withdrawn.agent_id, withdrawn.reason) == ("c1", "a1", CHANGED)
    assert (offer.contact_id, offer.agent_id) == ("c1", "a2")
    assert router.agent_load("a1") == {"phone": 0, "chat": 0, "email": 0}


def test_a_withdrawn_contact_keeps_its_place_and_waits_when_no_one_else_can_take_it() -> None:
    router = billing_router()
    login(router, "a1", skills={"billing": 3})
    arrive(router, "c1", 1.0, queue="billing")
    assert kinds(change(router, "a1", 3.0, {})) == ["OfferWithdrawn"]
    assert router.contact_status("c1") == "waiting"
    # at the "any agent" stage the agent is eligible again, skills or not
    assert offers(router.handle(ev.Tick(at=61.0))) == [("c1", "a1")]
    router._check()


def test_an_offer_the_agent_may_still_be_made_stays() -> None:
    router = billing_router()
    login(router, "a1", skills={"billing": 3})
    arrive(router, "c1", 1.0, queue="billing")
    assert change(router, "a1", 2.0, {"billing": 2, "support": 1}) == []
    assert router.contact_status("c1") == "offered"


def test_unchanged_skills_decide_nothing() -> None:
    router = billing_router()
    login(router, "a1", skills={"billing": 1})
    arrive(router, "c1", 1.0, queue="billing")
    assert change(router, "a1", 2.0, {"billing": 1}) == []
    assert router.contact_status("c1") == "waiting"


def test_connected_contacts_and_wrap_ups_are_untouched() -> None:
    router = billing_router()
    login(router, "a1", skills={"billing": 3}, capacity={"phone": 1, "chat": 3})
    arrive(router, "c1", 1.0, queue="billing")
    router.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    assert change(router, "a1", 3.0, {}) == []
    assert router.contact_status("c1") == "connected"
    assert [w.phase for w in router.work("a1")] == ["connected"]


def test_a_wrap_up_stays_through_a_change() -> None:
    router = Router(
        SkillGraph(),
        [QueueSpec("billing", channel="chat", requires={"billing": 1},
                   stages=[Stage(after=0, max_cost=0)], wrap_up=WrapUp(mode="manual"))],
    )  # fmt: skip
    login(router, "a1", skills={"billing": 1}, capacity={"chat": 1})
    arrive(router, "c1", 1.0, queue="billing")
    router.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    router.handle(ev.ContactEnded(at=3.0, contact_id="c1"))
    assert change(router, "a1", 4.0, {}) == []
    assert [w.phase for w in router.work("a1")] == ["wrap_up"]


def test_explain_reads_the_new_skills() -> None:
    router = billing_router()
    login(router, "a1", skills={"billing": 3})
    arrive(router, "c1", 1.0, queue="billing")
    router.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    arrive(router, "c2", 3.0, queue="billing")
    [before] = router.explain("c2").candidates
    assert before.note == "at phone capacity"
    change(router, "a1", 4.0, {"billing": 1})
    [after] = router.explain("c2").candidates
    assert (after.note, after.cost) == ("lack the skills", -1.0)


def test_a_preferred_agent_that_loses_the_skill_is_no_longer_waited_for() -> None:
    router = billing_router(any_agent=False, affinity_seconds=120.0)
    login(router, "a1", skills={"billing": 3}, capacity={"phone": 1})
    arrive(router, "c0", 1.0, queue="billing")  # keeps a1 busy
    login(router, "a2", at=2.0, skills={"billing": 2}, capacity={"phone": 1})
    arrive(router, "c1", 3.0, queue="billing", preferred_agents=("a1",))
    assert router.contact_status("c1") == "waiting"
    decisions = change(router, "a1", 4.0, {})
    assert kinds(decisions) == ["Expanded", "Offer", "OfferWithdrawn"]
    assert offers(decisions) == [("c1", "a2")]
    assert router.contact_status("c0") == "waiting"


def test_a_preferred_agent_stays_preferred_while_an_any_agent_stage_takes_it() -> None:
    router = billing_router(affinity_seconds=120.0)
    login(router, "a1", skills={"billing": 3}, capacity={"phone": 1})
    arrive(router, "c0", 1.0, queue="billing")
    arrive(router, "c1", 2.0, queue="billing", preferred_agents=("a1",))
    router.handle(ev.OfferAccepted(at=3.0, contact_id="c0", agent_id="a1"))
    router.handle(ev.ContactEnded(at=4.0, contact_id="c0"))
    assert offers(router.handle(ev.Tick(at=4.0))) == []
    assert router.contact_status("c1") == "offered"
    assert change(router, "a1", 5.0, {}) == []


def test_an_away_agent_changes_skills_and_works_by_them_when_back() -> None:
    router = billing_router()
    login(router, "a1", skills={"billing": 1})
    router.handle(ev.AgentStatusChanged(at=1.0, agent_id="a1", status="away", reason="training"))
    arrive(router, "c1", 2.0, queue="billing")
    assert change(router, "a1", 3.0, {"billing": 2}) == []
    back = router.handle(ev.AgentStatusChanged(at=4.0, agent_id="a1"))
    assert offers(back) == [("c1", "a1")]


@pytest.mark.parametrize(
    ("setup", "event", "error", "rule"),
    [
        ("none", ev.AgentSkillsChanged(at=5.0, agent_id="a9", skills={}), UnknownAgent,
         "no agent with this id"),
        ("logout", ev.AgentSkillsChanged(at=5.0, agent_id="a1", skills={"billing": 3}),
         InvalidTransition, "logging_out"),
    ],
)  # fmt: skip
def test_errors_leave_the_router_as_a_tick_would(
    setup: str, event: ev.AgentSkillsChanged, error: type[Exception], rule: str
) -> None:
    routers = [billing_router(), billing_router()]
    for router in routers:
        login(router, "a1", skills={"billing": 3}, capacity={"phone": 1})
        arrive(router, "c1", 1.0, queue="billing")
        router.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
        arrive(router, "c2", 3.0, queue="billing")
        if setup == "logout":
            router.handle(ev.AgentLoggedOut(at=4.0, agent_id="a1"))
    failing, clean = routers
    with pytest.raises(error, match=rule):
        failing.handle(event)
    failing._check()
    assert clean.handle(ev.Tick(at=5.0)) == []
    later = [ev.AgentLoggedIn(at=6.0, agent_id="a2", skills={"billing": 2}),
             ev.ContactEnded(at=7.0, contact_id="c1"),
             ev.AgentLoggedIn(at=8.0, agent_id="a3", skills={"billing": 2})]  # fmt: skip
    for e in later:
        assert failing.handle(e) == clean.handle(e)


def test_the_journal_encodes_it_and_checks_its_skill_names() -> None:
    event = ev.AgentSkillsChanged(at=1.0, agent_id="a1", skills={"billing": 2})
    assert decode(encode(event)) == event
    with pytest.raises(SecretInEvent, match=r"AgentSkillsChanged\.skills"):
        refuse_secrets_in(
            ev.AgentSkillsChanged(at=1.0, agent_id="a1", skills={"4111111111111111": 1})
        )


# -- property: offers always follow the agent's current skills --------------------------------
QUEUES = [
    QueueSpec("billing", channel="phone", requires={"billing": 2},
              stages=[Stage(after=0, max_cost=0), Stage(after=30, max_cost=1)]),
    QueueSpec("tech", channel="chat", requires={"tech": 1},
              stages=[Stage(after=0, max_cost=0), Stage(after=20, max_cost=None)]),
]  # fmt: skip
AGENTS = ["a1", "a2", "a3"]
SKILLS = st.dictionaries(st.sampled_from(["billing", "tech", "sales"]), st.integers(0, 3))


def _graph() -> SkillGraph:
    graph = SkillGraph()
    graph.add_substitute("sales", serves="billing", cost=1)
    return graph


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("login"), st.sampled_from(AGENTS), SKILLS),
        st.tuples(st.just("skills"), st.sampled_from(AGENTS), SKILLS),
        st.tuples(st.just("arrive"), st.sampled_from(["billing", "tech"]), st.none()),
        st.tuples(st.just("accept"), st.none(), st.none()),
        st.tuples(st.just("end"), st.none(), st.none()),
        st.tuples(st.just("away"), st.sampled_from(AGENTS), st.booleans()),
        st.tuples(st.just("logout"), st.sampled_from(AGENTS), st.none()),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, gaps=st.lists(st.sampled_from([0.0, 1.0, 7.0, 25.0]), min_size=40))
def test_every_offer_goes_to_an_agent_eligible_by_its_current_skills(
    steps: list[tuple[str, object, object]], gaps: list[float]
) -> None:
    graph = _graph()
    router = Router(graph, QUEUES, offer_timeout=30.0)
    skills: dict[str, dict[str, int]] = {}
    capacity = {"phone": 1, "chat": 2}
    at, arrived = 0.0, 0
    for (kind, who, what), gap in zip(steps, gaps, strict=False):
        at += gap
        event = _event((kind, who, what), at, router, arrived)
        if event is None:
            continue
        arrived += kind == "arrive"
        # the deadlines due by then apply first, under the skills the agents had until now
        _check_offers(router.handle(ev.Tick(at=at)), graph, skills, capacity)
        try:
            decisions = router.handle(event)
        except RoutingError as err:
            decisions = list(err.decisions)
        else:
            if isinstance(event, (ev.AgentLoggedIn, ev.AgentSkillsChanged)):
                skills[event.agent_id] = dict(event.skills)
        router._check()
        _check_offers(decisions, graph, skills, capacity)


def _check_offers(
    decisions: list[dc.Decision],
    graph: SkillGraph,
    skills: dict[str, dict[str, int]],
    capacity: dict[str, int],
) -> None:
    for d in decisions:
        if isinstance(d, dc.Offer):
            queue = QUEUES[[q.name for q in QUEUES].index(d.queue)]
            served = serving_cost(graph, skills[d.agent_id], queue)
            assert ineligibility(queue, d.stage, capacity, served) is None, (d, skills)


def _event(
    step: tuple[str, object, object], at: float, router: Router, arrived: int
) -> ev.Event | None:
    """The step as an event for the router's current state (None: nothing fits it)."""
    kind, who, what = step
    if kind == "login":
        if who in router.agent_ids():
            return None
        return ev.AgentLoggedIn(at=at, agent_id=str(who), skills=what,  # type: ignore[arg-type]
                                capacity={"phone": 1, "chat": 2})  # fmt: skip
    if kind == "skills":
        return ev.AgentSkillsChanged(at=at, agent_id=str(who), skills=what)  # type: ignore[arg-type]
    if kind == "arrive":
        return ev.ContactArrived(at=at, contact_id=f"c{arrived}", queue=str(who))
    if kind in ("accept", "end"):
        phase = "offered" if kind == "accept" else "connected"
        for agent_id in router.agent_ids():
            for work in router.work(agent_id):
                if work.phase == phase:
                    if kind == "accept":
                        return ev.OfferAccepted(at=at, contact_id=work.contact_id,
                                                agent_id=agent_id)  # fmt: skip
                    return ev.ContactEnded(at=at, contact_id=work.contact_id)
        return None
    if kind == "away":
        status = "away" if what else "available"
        return ev.AgentStatusChanged(at=at, agent_id=str(who), status=status)
    return ev.AgentLoggedOut(at=at, agent_id=str(who))
