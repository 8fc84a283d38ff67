"""Tests of the testing toolkit itself: strategies yield valid values, the model's predictions
match the router, and the model and machine catch routers that break the rules."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import attrs
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from experiencehub import (
    CallbackPolicy,
    QueueSpec,
    RoutingError,
    SkillGraph,
    Stage,
    UnknownQueue,
    WrapUp,
)
from experiencehub.core import decisions as dc  # the trusted constructors (new_*) too
from experiencehub.core import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.core.router import Router
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine, RouterModel
from experiencehub.testing import strategies as hs

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

ONE_QUEUE = RouterConfig(
    skills=("s",),
    queues=(
        QueueSpec(
            "q", channel="chat", requires={"s": 1}, wrap_up=WrapUp("manual"), affinity_seconds=0
        ),
    ),
    offer_timeout=10.0,
)


# -- strategies --------------------------------------------------------------------------------
@FAST
@given(hs.stages())
def test_stages_are_valid_bullseyes(stages: list[Stage]) -> None:
    assert stages[0].after == 0
    assert all(b.after > a.after for a, b in itertools.pairwise(stages))
    QueueSpec("q", channel="phone", stages=tuple(stages))


@FAST
@given(hs.skill_graphs())
def test_skill_graphs_have_non_negative_costs(graph: SkillGraph) -> None:
    graph.freeze()
    graph._check()
    for skill in graph.skills:
        assert graph.cost(skill, skill) == 0.0


@FAST
@given(hs.router_configs())
def test_configs_build_routers_and_models(cfg: RouterConfig) -> None:
    router = cfg.build()
    router._check()
    assert set(RouterModel(cfg).queues) == set(router.queues)
    assert (
        eval(
            repr(cfg),
            vars(hs)
            | {
                "RouterConfig": RouterConfig,
                "QueueSpec": QueueSpec,
                "Stage": Stage,
                "WrapUp": WrapUp,
                "CallbackPolicy": CallbackPolicy,
            },
        )
        == cfg
    )


@FAST
@given(hs.router_configs(), st.data())
def test_agent_logins_for_a_config_are_accepted(cfg: RouterConfig, data: st.DataObject) -> None:
    router = cfg.build()
    login = data.draw(hs.agent_logins_for(cfg, "a1", 0.0))
    assert router.handle(login) == []  # nobody waits yet
    assert set(login.capacity) == set(cfg.channels)


def _driven(data: st.DataObject, steps: int) -> tuple[Router, RouterModel]:
    """A router and model driven through ``steps`` valid events drawn by valid_events."""
    router, model = ONE_QUEUE.build(), RouterModel(ONE_QUEUE)
    for i in range(steps):
        deadline = router.next_deadline()
        event = data.draw(hs.valid_events(model, deadline=deadline, fresh=f"e{i}"))
        assert model.predict_error(event) is None, event
        model.apply(event, router.handle(event))
        model.check_router(router)
    return router, model


@FAST
@given(st.data())
def test_valid_events_are_accepted_and_tracked(data: st.DataObject) -> None:
    _driven(data, 12)


@FAST
@given(st.data())
def test_invalid_events_raise_the_predicted_error(data: st.DataObject) -> None:
    router, model = _driven(data, 8)
    event = data.draw(hs.invalid_events(model, deadline=router.next_deadline()))
    expected = model.predict_error(event)
    assert expected is not None
    with pytest.raises(expected):
        router.handle(event)


def test_valid_and_invalid_events_include_queue_changes() -> None:
    """valid_events draws QueueChanged (the router takes it, the model follows it); invalid_events
    draws a change of a queue the router does not have."""
    router, model = ONE_QUEUE.build(), RouterModel(ONE_QUEUE)
    quick = settings(database=None, max_examples=500)

    def changes_a_key(e: ev.Event) -> bool:
        return isinstance(e, ev.QueueChanged) and e.spec != model.queues[e.spec.name]

    change = find(hs.valid_events(model), changes_a_key, settings=quick)
    assert isinstance(change, ev.QueueChanged)
    assert model.predict_error(change) is None
    model.apply(change, router.handle(change))
    model.check_router(router)
    assert router.queues[change.spec.name] == change.spec
    bad = find(hs.invalid_events(model), lambda e: isinstance(e, ev.QueueChanged), settings=quick)
    assert isinstance(bad, ev.QueueChanged) and model.predict_error(bad) is UnknownQueue
    with pytest.raises(UnknownQueue, match="ghost-q"):
        router.handle(bad)


# -- the model catches broken decision streams ---------------------------------------------------
def _offer(contact: str, agent: str, at: float = 0.0) -> dc.Offer:
    return dc.Offer(
        at=at,
        contact_id=contact,
        agent_id=agent,
        queue="q",
        channel="chat",
        stage=0,
        expires_at=at + 10.0,
        explanation=dc.Explanation(policy="p", summary="s"),
    )


def _model_with(agents: dict[str, dict[str, int]]) -> RouterModel:
    model = RouterModel(ONE_QUEUE)
    for agent_id, capacity in agents.items():
        model.apply(
            ev.AgentLoggedIn(at=0.0, agent_id=agent_id, skills={"s": 1}, capacity=capacity), []
        )
    return model


def test_model_rejects_a_contact_offered_to_two_agents() -> None:
    model = _model_with({"a1": {"chat": 1}, "a2": {"chat": 1}})
    arrival = ev.ContactArrived(at=0.0, contact_id="c1", queue="q")
    with pytest.raises(ModelViolation, match="two agents"):
        model.apply(arrival, [_offer("c1", "a1"), _offer("c1", "a2")])


def test_model_rejects_capacity_overflow() -> None:
    model = _model_with({"a1": {"chat": 1}})
    model.apply(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"), [_offer("c1", "a1")])
    with pytest.raises(ModelViolation, match="cannot take chat"):
        model.apply(ev.ContactArrived(at=0.0, contact_id="c2", queue="q"), [_offer("c2", "a1")])


def test_model_rejects_an_ineligible_agent() -> None:
    model = RouterModel(ONE_QUEUE)
    model.apply(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, capacity={"chat": 3}), [])
    with pytest.raises(ModelViolation, match="not eligible"):
        model.apply(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"), [_offer("c1", "a1")])


def test_model_rejects_a_reoffer_to_an_agent_who_declined() -> None:
    model = _model_with({"a1": {"chat": 3}})
    model.apply(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"), [_offer("c1", "a1")])
    with pytest.raises(ModelViolation, match="declined"):
        model.apply(
            ev.OfferRejected(at=1.0, contact_id="c1", agent_id="a1"), [_offer("c1", "a1", 1.0)]
        )


def test_model_catches_a_slot_kept_after_the_offer_ended() -> None:
    router, model = ONE_QUEUE.build(), RouterModel(ONE_QUEUE)
    for event in (
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"s": 1}),
        ev.ContactArrived(at=0.0, contact_id="c1", queue="q"),
    ):
        model.apply(event, router.handle(event))
    router._core.agents["a1"].load["chat"] += 1  # a router that forgets to free a slot
    with pytest.raises(ModelViolation, match="slot kept"):
        model.check_router(router)


def test_model_catches_a_vanished_contact() -> None:
    router, model = ONE_QUEUE.build(), RouterModel(ONE_QUEUE)
    event = ev.ContactArrived(at=0.0, contact_id="c1", queue="q")
    model.apply(event, router.handle(event))
    del router._core.contacts["c1"]  # a router that loses a waiting contact
    with pytest.raises(RoutingError):  # contact_status raises UnknownContact for a live one
        model.check_router(router)


def test_model_catches_work_not_conserved() -> None:
    model = _model_with({"a1": {"chat": 3}})
    with pytest.raises(ModelViolation, match="work not conserved"):
        model.apply(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"), [])
        model._check_work_conserved()


def test_model_catches_an_offer_kept_beyond_new_skills() -> None:
    model = _model_with({"a1": {"chat": 3}})
    model.apply(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"), [_offer("c1", "a1")])
    with pytest.raises(ModelViolation, match="should have been withdrawn"):
        model.apply(ev.AgentSkillsChanged(at=1.0, agent_id="a1", skills={}), [])


def test_model_rejects_a_withdrawal_the_new_skills_do_not_explain() -> None:
    model = _model_with({"a1": {"chat": 3}})
    model.apply(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"), [_offer("c1", "a1")])
    withdrawn = dc.OfferWithdrawn(
        at=1.0, contact_id="c1", agent_id="a1", reason="agent's skills changed"
    )
    with pytest.raises(ModelViolation, match="may still have it"):
        model.apply(ev.AgentSkillsChanged(at=1.0, agent_id="a1", skills={"s": 2}), [withdrawn])


def test_model_expects_an_arrival_to_a_closed_queue_to_be_refused_saying_closed() -> None:
    model = _model_with({"a1": {"chat": 3}})
    model.apply(ev.QueueClosed(at=0.0, queue="q"), [])
    with pytest.raises(ModelViolation, match="queue full=True"):
        model.apply(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"), [_offer("c1", "a1")])
    model = _model_with({"a1": {"chat": 3}})
    model.apply(ev.QueueClosed(at=0.0, queue="q"), [])
    wrong = dc.Refused(at=1.0, contact_id="c1", queue="q", reason="queue full")
    with pytest.raises(ModelViolation, match="must say closed"):
        model.apply(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"), [wrong])
    model.apply(ev.QueueOpened(at=2.0, queue="q"), [])
    model.apply(ev.ContactArrived(at=3.0, contact_id="c2", queue="q"), [_offer("c2", "a1", 3.0)])


# -- the machine catches routers that break the rules --------------------------------------------
class _ForgetsErrorDecisions(Router):
    """Drops the deadline decisions a rejected late event's error should carry."""

    def handle(self, event: ev.Event) -> list[dc.Decision]:
        try:
            return super().handle(event)
        except RoutingError as err:
            err.decisions = ()
            raise


class _IgnoresPriorityCore(RoutingCore):
    """Serves the line heads FIFO whatever their priority (overrides the contact selection)."""

    def _best_contact(self, agent):  # type: ignore[no-untyped-def]
        own = self.affinity_lines.get(agent.agent_id)
        heads = []
        for line in [*agent.lines, *(own.values() if own else ())]:
            if line.channel not in agent.taking:
                continue
            for key, cid in line:
                if agent.agent_id not in self.contacts[cid].excluded:
                    heads.append((key[1], key[2], cid))
                    break
        return min(heads)[2] if heads else None


class _PrefersCostlyRecentAgentsCore(RoutingCore):
    """Offers a waiting contact to the eligible agent with the HIGHEST skill cost, then the one
    that became idle LAST: every rule but the choice of agent holds."""

    def best_agent_for(self, contact):  # type: ignore[no-untyped-def]
        if contact.affinity:
            return super().best_agent_for(contact)
        queue, limit = contact.route, contact.route.stages[contact.stage].max_cost
        candidates = []
        for agent in self.agents.values():
            cost = agent.serving.get(queue.name, (None, 0))[0]
            if agent.agent_id in contact.excluded or queue.channel not in agent.taking:
                continue
            if limit is not None and (cost is None or cost > limit):
                continue
            candidates.append((-1.0 if cost is None else cost, agent.idle_since, -agent.seq, agent))
        if candidates:
            *_rank, agent = max(candidates, key=lambda c: c[:3])
            why = dc.new_explanation(policy="worst", summary="the worst agent", candidates=())
            return agent, why
        return None


class _IgnoresClosingCore(RoutingCore):
    """Takes QueueClosed but keeps routing arrivals to the closed queue."""

    def close_queue(self, name, reason, out):  # type: ignore[no-untyped-def]
        return None


class _AddsQueuesForLaterLoginsOnlyCore(RoutingCore):
    """Configures an added queue but never re-enrols the agents already logged in."""

    def fill_eligibility(self, agent):  # type: ignore[no-untyped-def]
        if agent.agent_id in self.agents and agent is self.agents[agent.agent_id]:
            return  # an agent already logged in keeps its old eligibility
        super().fill_eligibility(agent)


class _KeepsLostOffersCore(RoutingCore):
    """Changes a queue but never withdraws an offer whose agent the change put out of reach."""

    changing = False

    def change_queue(self, new, out):  # type: ignore[no-untyped-def]
        self.changing = True
        try:
            super().change_queue(new, out)
        finally:
            self.changing = False

    def may_keep_offer(self, agent, contact):  # type: ignore[no-untyped-def]
        return self.changing or super().may_keep_offer(agent, contact)


class _KeepsOldStagesCore(RoutingCore):
    """Changes a queue, but its waiting and ringing contacts keep the stage they were at (the
    new spec's last one when it has fewer), not the one their wait reached in the new stages."""

    def _restage(self, contact, out):  # type: ignore[no-untyped-def]
        if contact.affinity:
            super()._restage(contact, out)
        else:
            self._enter_stage(contact, min(contact.stage, len(contact.route.stages) - 1))


class _KeepsLostOffers(Router):
    _Core = _KeepsLostOffersCore


class _KeepsOldStages(Router):
    _Core = _KeepsOldStagesCore


class _IgnoresAgentWrapUpCore(RoutingCore):
    """Applies the queue's wrap-up even to an agent that logged in with its own."""

    def start_wrap_up(self, agent, contact, out):  # type: ignore[no-untyped-def]
        self.agent_wrap_ups.clear()
        super().start_wrap_up(agent, contact, out)


class _OffersConsultToAskerCore(RoutingCore):
    """Routes a consult leg like a fresh contact: the agent who asked may be offered it."""

    def consult_exclusions(self, contact):  # type: ignore[no-untyped-def]
        return frozenset()


class _OffersConsultToAsker(Router):
    _Core = _OffersConsultToAskerCore


class _IgnoresPriority(Router):
    _Core = _IgnoresPriorityCore


class _IgnoresAgentWrapUp(Router):
    _Core = _IgnoresAgentWrapUpCore


class _AddsQueuesForLaterLoginsOnly(Router):
    _Core = _AddsQueuesForLaterLoginsOnlyCore


class _IgnoresClosing(Router):
    _Core = _IgnoresClosingCore


class _IgnoresCriteriaCore(RoutingCore):
    """Takes routing criteria but routes every contact by its queue alone."""

    def route_contact(self, contact, criteria):  # type: ignore[no-untyped-def]
        super().route_contact(contact, None)


class _IgnoresCriteria(Router):
    _Core = _IgnoresCriteriaCore


class _PrefersCostlyRecentAgents(Router):
    _Core = _PrefersCostlyRecentAgentsCore


BROKEN = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)
"""How a broken router is looked for. Each machine below is shaped to reach its breakage quickly
whatever path hypothesis takes: over 10 to 20 seeds each found its router within 3 to 120 examples.
The path changes with the project's modules imported so far (hypothesis draws their constants now
and then; tests/conftest.py imports them all first), so a test passing on one path only is none."""

TWO_QUEUES = RouterConfig(
    skills=("s", "t"),
    skill_edges=[("t", "s", 2.0)],  # agents skilled in t serve s at cost 2
    queues=(
        QueueSpec(
            "q", channel="chat", requires={"s": 1}, priority_weight=1.0, stages=[Stage(0, 2)]
        ),
        QueueSpec("p", channel="phone", stages=[Stage(0, 0), Stage(1.5, None)]),
    ),
    offer_timeout=5.0,
)


def broken_machine(broken: type[Router]) -> type[RouterMachine]:
    """The machine on two queues (chat with a skill ring, phone with an any-agent stage)
    driving ``broken`` and its twins."""

    class Machine(RouterMachine):
        config = TWO_QUEUES
        change_queue = None  # no rule: these routers get queue changes right (change_machine)

        def build_router(self, cfg: RouterConfig) -> Router:
            return broken(
                cfg.skill_graph(),
                cfg.queues,
                offer_timeout=cfg.offer_timeout,
                max_unanswered_offers=cfg.max_unanswered_offers,
            )

    return Machine


def _simple_machine(broken: type[Router], config: RouterConfig) -> type[RouterMachine]:
    """The machine on ``config`` without the rules that change the configuration (closing,
    adding or changing queues) or skills: a machine looking for one breakage spends its steps
    near it."""

    class Machine(RouterMachine):
        close_or_open_queue = add_queue = change_queue = change_skills = None  # no longer rules

        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(config)

        def build_router(self, cfg: RouterConfig) -> Router:
            return broken(cfg.skill_graph(), cfg.queues, offer_timeout=cfg.offer_timeout)

    return Machine


def _arrive_and_accept(machine: RouterMachine, data: st.DataObject) -> None:
    """A contact arrives unless one is offered already; an offered one is accepted. One rule
    of a broken router's machine instead of three: hypothesis enables a random subset of the
    rules in each example, so a path needing three of them is found far later."""
    if not machine._in("offered") and len(machine.model.arrived) < machine.max_contacts:
        machine.arrive(data=data, late=False, priority=0, customer=None)
    if machine._in("offered"):
        machine.answer(data=data, accept=True)


# offers never expire: an agent who let one expire would never be offered that contact again
ANY_AGENT = RouterConfig(
    queues=(QueueSpec("q", channel="chat"), QueueSpec("p", channel="phone")), offer_timeout=None
)
OWN_WRAP_UPS = st.sampled_from([WrapUp("timed", 7.0), WrapUp("manual")])


def late_error_machine(broken: type[Router]) -> type[RouterMachine]:
    """The machine on two queues, with a rule sending an invalid event past a pending deadline
    (its error carries the deadline's decisions): the drawn queues of ``add_queue`` no longer
    decide how soon such an event comes."""

    class Machine(_simple_machine(broken, TWO_QUEUES)):  # type: ignore[misc]
        @precondition(lambda self: self.router.next_deadline() is not None)
        @rule(data=st.data())
        def invalid_late(self, data: st.DataObject) -> None:
            self.invalid(data=data, late=True)

    return Machine


def wrap_up_machine(broken: type[Router]) -> type[RouterMachine]:
    """Every agent logs in with its own wrap-up; the queues any agent serves have none: the
    first contact an agent finishes (ended, or transferred on) shows whose rule the router
    applied."""

    class Machine(_simple_machine(broken, ANY_AGENT)):  # type: ignore[misc]
        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            return st.builds(attrs.evolve, super().login_for(agent_id, at), wrap_up=OWN_WRAP_UPS)

        @precondition(lambda self: self.started)
        @rule(data=st.data())
        def serve(self, data: st.DataObject) -> None:
            """Weighs the path that shows the breakage: a contact offered, accepted, ended."""
            _arrive_and_accept(self, data)
            if self._in("connected", legs=False):
                self.end(data)

    return Machine


def consult_machine(broken: type[Router]) -> type[RouterMachine]:
    """One chat agent with 3 slots at a time (it may log out and in again): the agent who asks
    is the only one who could take its own leg, so a router that offers it must do so."""

    config = RouterConfig(queues=(QueueSpec("q", channel="chat"), QueueSpec("r", channel="chat")),
                          offer_timeout=None)  # fmt: skip

    class Machine(_simple_machine(broken, config)):  # type: ignore[misc]
        send_consults = True
        max_agents = 1

        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            return st.just(ev.AgentLoggedIn(at=at, agent_id=agent_id, skills={},
                                            capacity={"chat": 3}))  # fmt: skip

        @precondition(lambda self: self.started)
        @rule(data=st.data())
        def serve_and_consult(self, data: st.DataObject) -> None:
            """Weighs the path that shows the breakage: a contact offered, accepted, consulted."""
            _arrive_and_accept(self, data)
            if self._consultable():
                self.consult(data)

    return Machine


def priority_machine(broken: type[Router]) -> type[RouterMachine]:
    """Agents with one chat slot and the skill of both chat queues, whose contacts wait in two
    lines (one per requirement): an agent who frees picks between the lines' heads."""

    config = RouterConfig(skills=("s",), queues=(
        QueueSpec("q", channel="chat", priority_weight=1.0),
        QueueSpec("r", channel="chat", requires={"s": 1}, priority_weight=1.0),
    ), offer_timeout=None)  # fmt: skip

    class Machine(_simple_machine(broken, config)):  # type: ignore[misc]
        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            return st.just(ev.AgentLoggedIn(at=at, agent_id=agent_id, skills={"s": 1},
                                            capacity={"chat": 1}))  # fmt: skip

        @precondition(lambda self: self.started)
        @rule(data=st.data(), priorities=st.lists(st.integers(-1, 3), min_size=2, max_size=3))
        def queue_up_then_serve(self, data: st.DataObject, priorities: list[int]) -> None:
            """Weighs the path that shows the breakage: contacts of several priorities wait,
            then a contact ends and its agent picks the next."""
            for priority in priorities:
                if len(self.model.arrived) < self.max_contacts:
                    self.arrive(data=data, late=False, priority=priority, customer=None)
            _arrive_and_accept(self, data)
            if self._in("connected", legs=False):
                self.end(data)

    return Machine


# chat queues of two stages and one of any agent; agents of skill levels around the first
# queue's requirement, without auto-accept, and offers that wait for an answer: a change of
# requirements or stages moves waiting contacts between stages and offers out of reach
CHANGING = RouterConfig(
    skills=("s", "t"),
    skill_edges=[("t", "s", 1.0)],
    queues=(
        QueueSpec("q", channel="chat", requires={"s": 1}, stages=[Stage(0, 0), Stage(6.0, 1)],
                  affinity_seconds=0),
        QueueSpec("r", channel="chat", affinity_seconds=0),
    ),
    offer_timeout=None,
)  # fmt: skip
CHANGING_SKILLS = st.sampled_from([{}, {"s": 1}, {"s": 2}, {"t": 1}, {"t": 3}])


def change_machine(broken: type[Router]) -> type[RouterMachine]:
    """Agents of one or two chat slots and various skills; contacts arrive and wait or are
    offered, time passes, then a queue changes (its requirements, stages, weights…)."""

    class Machine(_simple_machine(broken, CHANGING)):  # type: ignore[misc]
        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            return st.builds(ev.AgentLoggedIn, at=st.just(at), agent_id=st.just(agent_id),
                             skills=CHANGING_SKILLS,
                             capacity=st.sampled_from([{"chat": 1}, {"chat": 2}]))  # fmt: skip

        @precondition(lambda self: self.started)
        @rule(data=st.data(), wait=hs.time_steps(10.0))
        def arrive_then_change(self, data: st.DataObject, wait: float) -> None:
            """Weighs the path that shows the breakage: a contact arrives, time passes (its
            stage may widen), then a queue changes."""
            if len(self.model.arrived) < self.max_contacts:
                self.arrive(data=data, late=False, priority=0, customer=None)
            self.tick(step=wait)
            RouterMachine.change_queue(self, data=data, late=False, bad=1)

    return Machine


# Each broken router with the machine that looks for it and the messages of the rule it breaks
# (a path decides which check sees it first; each alternative names that one breakage).
BROKEN_ROUTERS = [
    (_ForgetsErrorDecisions, late_error_machine, "a rejected event must act as Tick"),
    (_IgnoresPriority, priority_machine, "ranks better"),
    (_PrefersCostlyRecentAgents, broken_machine, "stands before"),
    (  # router.is_open compared after every step, or an arrival taken by the closed queue
        _IgnoresClosing,
        broken_machine,
        "router says open=True|Refused=\\[\\] but (queue )?full=True",
    ),
    (
        _AddsQueuesForLaterLoginsOnly,
        broken_machine,  # an agent the added queue never counted (or never let be preferred)
        "work not conserved|stands before|InvalidEvent: .*cannot serve queue added"
        "|not a preferred agent",
    ),
    (_IgnoresAgentWrapUp, wrap_up_machine, "no WrapUpStarted|ends_at should be"),
    (_OffersConsultToAsker, consult_machine, "declined or ignored it before"),
    (_KeepsLostOffers, change_machine, "should have been withdrawn"),
    (  # seen by the stage it explains or offers at, an offer withdrawn or a stage expansion
        # (its deadline by the old stage) off time
        _KeepsOldStages,
        change_machine,
        "expected at stage|offered at stage|may still have it"
        "|Expanded\\(.*before the model's time|at stage \\d+, due \\d+",
    ),
]


@pytest.mark.parametrize(
    ("broken", "machine", "message"),
    BROKEN_ROUTERS,
    ids=[b.__name__ for b, _m, _s in BROKEN_ROUTERS],
)
def test_machine_catches_a_broken_router(
    broken: type[Router], machine: Callable[[type[Router]], type[RouterMachine]], message: str
) -> None:
    with pytest.raises((AssertionError, RoutingError)) as caught:
        run_state_machine_as_test(machine(broken), settings=BROKEN)
    assert re.search(message, f"{caught.type.__name__}: {caught.value}"), caught.value


def test_machine_with_consults_passes_a_correct_router() -> None:
    class Machine(RouterMachine):
        send_consults = True
        config = RouterConfig(queues=(QueueSpec("q", channel="chat"),
                                      QueueSpec("r", channel="chat")), offer_timeout=5.0)  # fmt: skip

    run_state_machine_as_test(Machine, settings=settings(BROKEN, max_examples=100))


def test_machine_passes_a_correct_router_on_a_small_config() -> None:
    class Machine(RouterMachine):
        config = ONE_QUEUE

    run_state_machine_as_test(Machine, settings=settings(BROKEN, max_examples=50))
