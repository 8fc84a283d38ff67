"""The testing toolkit knows routing profiles and contact selection: the model checks which
queues a profiled agent serves, that no offer comes before its profile's delay and that one
comes the moment the delay has passed, and which contact a freed agent takes under the
contact selection (testing/_model_profiles.py); RouterMachine draws profiles with
``profiles = True``, and routers that get profiles wrong fail the machine."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from experiencehub import InvalidEvent, QueueSpec, Stage, UnknownQueue
from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.core.profiles import PriorityThenWait, ProfileQueue, RoutingProfile
from experiencehub.core.router import Router
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine, RouterModel
from experiencehub.testing._model_profiles import profile_error
from routing_helpers import router_with_core

PROFILES = RouterConfig(
    skills=("s", "t"),
    queues=(
        QueueSpec("q", channel="chat", requires={"s": 1}, priority_weight=1.0,
                  stages=[Stage(0, 0), Stage(6.0, None)]),
        QueueSpec("r", channel="chat", requires={"t": 1}, priority_weight=1.0,
                  affinity_seconds=4.0),
        QueueSpec("p", channel="chat", aging_per_minute=6.0),
    ),
    contact_selection="profile_priority",
    offer_timeout=10.0,
)  # fmt: skip

MACHINE = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)


@st.composite
def _profiles(draw: st.DrawFn, queues: list[str]) -> RoutingProfile | None:
    """Mostly a profile: two or three queues of different priorities, delays long enough
    that contacts wait for them."""
    if draw(st.integers(0, 3)) == 0:
        return None
    listed = draw(st.lists(st.sampled_from(queues), min_size=1, max_size=3, unique=True))
    return RoutingProfile(
        queues={name: ProfileQueue(priority=draw(st.integers(1, 3)),
                                   delay=draw(st.sampled_from([0.0, 0.0, 3.0, 8.0, 15.0])))
                for name in listed},
        selection=draw(st.sampled_from([None, None, None, "priority_then_wait"])),
    )  # fmt: skip


def _machine_for(core: type[RoutingCore] | None) -> type[RouterMachine]:
    """The machine on PROFILES, with few agents who mostly have a profile."""

    class Machine(RouterMachine):
        profiles = True
        max_agents = 4

        # rules this test leaves out (plain methods are no rules), so contacts wait and agents
        # free; the machine's full rule set with profiles runs in test_all_features_toolkit.py
        def agent_event_any(self) -> None: ...
        def answer_any(self) -> None: ...
        def add_queue(self) -> None: ...
        def close_or_open_queue(self) -> None: ...
        def change_queue(self) -> None: ...

        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(PROFILES)

        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            return st.builds(ev.AgentLoggedIn, at=st.just(at), agent_id=st.just(agent_id),
                             skills=st.sampled_from([{}, {"s": 1}, {"t": 1}, {"s": 1, "t": 1}]),
                             capacity=st.sampled_from([{"chat": 1}, {"chat": 2}]),
                             profile=_profiles(sorted(self.model.queues)),
                             auto_accept=st.sampled_from([False, False, False, True]))  # fmt: skip

        def build_router(self, cfg: RouterConfig) -> Router:
            return router_with_core(cfg, core)

        @precondition(lambda self: self.started)
        @rule(data=st.data(), arrivals=st.integers(1, 3))
        def queue_up_then_free(self, data: st.DataObject, arrivals: int) -> None:
            """Weighs a freed agent's choice: a few contacts arrive, then a contact ends (its
            agent takes the next contact its profile and contact selection give it)."""
            for _ in range(arrivals):
                if len(self.model.arrived) < self.max_contacts:
                    priority = data.draw(st.integers(-1, 3), label="priority")
                    self.arrive(data=data, late=False, priority=priority, customer=None)
            if self._in("connected", legs=False):
                self.end(data)

    return Machine


class _EarlyCore(RoutingCore):
    """A freed profiled agent takes contacts that have not waited its delay yet."""

    def _first_allowed(self, line, agent, now, delayed, mixed):  # type: ignore[no-untyped-def]
        return super()._first_allowed(line, agent, now, False, mixed)


class _NoProfilePriorityCore(RoutingCore):
    """A freed profiled agent takes the contact ranked first by priority and wait, whatever
    its contact selection."""

    def _best_profiled(self, agent, selection):  # type: ignore[no-untyped-def]
        return super()._best_profiled(agent, PriorityThenWait())


class _ServesUnlistedCore(RoutingCore):
    """A profiled agent serves every queue its skills allow, listed or not (the queues it
    lists keep their priorities and delays; the others come last, with no delay)."""

    def new_agent(self, agent_id, skills, capacity, profile=None):  # type: ignore[no-untyped-def]
        if profile is not None:
            every = {name: ProfileQueue(priority=3) for name in self.queues}
            profile = RoutingProfile(
                queues={**every, **profile.queues}, selection=profile.selection
            )
        return super().new_agent(agent_id, skills, capacity, profile)


@pytest.mark.parametrize(
    ("core", "message"),
    [
        (_EarlyCore, "before its routing profile delay"),
        (_NoProfilePriorityCore, r"ranks better \(.*by profile_priority\)"),
        (_ServesUnlistedCore, "is not in a.'s routing profile|was accepted; expected InvalidEvent"),
    ],
    ids=["offers-before-the-delay", "ignores-profile-priority", "serves-unlisted-queues"],
)
def test_machine_catches_a_router_that_gets_profiles_wrong(
    core: type[RoutingCore], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(_machine_for(core), settings=MACHINE)


def test_machine_passes_a_correct_router_with_profiles() -> None:
    run_state_machine_as_test(_machine_for(None), settings=settings(MACHINE, max_examples=150))


class DrawnProfilesMachine(RouterMachine):
    """Random configurations (a contact selection drawn), agents with drawn profiles."""

    profiles = True


def test_machine_passes_a_correct_router_with_drawn_configurations_and_profiles() -> None:
    run_state_machine_as_test(DrawnProfilesMachine, settings=settings(MACHINE, max_examples=150))


# -- the model, step by step ------------------------------------------------------------------
TWO = RouterConfig(
    queues=(QueueSpec("billing", channel="phone"), QueueSpec("sales", channel="phone")),
    contact_selection="profile_priority",
    offer_timeout=None,
)


def _profiled(agent_id: str, at: float, **queues: tuple[int, float]) -> ev.AgentLoggedIn:
    profile = RoutingProfile(
        queues={name: {"priority": p, "delay": d} for name, (p, d) in queues.items()}
    )
    return ev.AgentLoggedIn(
        at=at, agent_id=agent_id, skills={}, capacity={"phone": 1}, profile=profile
    )


def _replayed(events: list[ev.Event]) -> tuple[Router, RouterModel]:
    router, model = TWO.build(), RouterModel(TWO)
    for event in events:
        assert model.predict_error(event) is None, event
        model.apply(event, router.handle(event))
        model.check_router(router)
    return router, model


def _offer(contact_id: str, agent_id: str, at: float, queue: str, summary: str) -> dc.Offer:
    return dc.Offer(at=at, contact_id=contact_id, agent_id=agent_id, queue=queue,
                    channel="phone", stage=0, expires_at=None,
                    explanation=dc.Explanation(policy="p", summary=summary))  # fmt: skip


def test_model_follows_a_delay_and_the_profile_priority() -> None:
    router, model = _replayed([
        _profiled("a1", 0.0, billing=(1, 0), sales=(2, 10)),
        ev.ContactArrived(at=0.0, contact_id="s1", queue="sales"),
        ev.ContactArrived(at=1.0, contact_id="s2", queue="sales", priority=5),
    ])  # fmt: skip
    out = router.handle(tick := ev.Tick(at=10.0))
    assert [(d.contact_id, d.at) for d in out if isinstance(d, dc.Offer)] == [("s1", 10.0)]
    model.apply(tick, out)
    model.check_router(router)


def test_model_rejects_an_offer_before_the_delay() -> None:
    _router, model = _replayed([
        _profiled("a1", 0.0, sales=(2, 10)),
        ev.ContactArrived(at=0.0, contact_id="s1", queue="sales"),
    ])  # fmt: skip
    early = _offer("s1", "a1", 5.0, "sales", "routing profile: sales priority 2, delay 10s")
    with pytest.raises(ModelViolation, match="before its routing profile delay 10s"):
        model.apply(ev.Tick(at=5.0), [early])


def test_model_rejects_an_offer_that_comes_after_the_delay_passed() -> None:
    _router, model = _replayed([
        _profiled("a1", 0.0, sales=(2, 10)),
        ev.ContactArrived(at=0.0, contact_id="s1", queue="sales"),
    ])  # fmt: skip
    late = _offer("s1", "a1", 12.0, "sales", "routing profile: sales priority 2, delay 10s")
    with pytest.raises(ModelViolation, match="waited out a1's routing profile delay for sales"):
        model.apply(ev.Tick(at=12.0), [late])


def test_model_rejects_an_offer_that_skips_the_first_profile_priority() -> None:
    _router, model = _replayed([
        ev.AgentLoggedIn(at=0.0, agent_id="busy", skills={}, capacity={"phone": 1}),
        ev.ContactArrived(at=0.0, contact_id="x", queue="billing"),
        ev.OfferAccepted(at=0.0, contact_id="x", agent_id="busy"),
        ev.ContactArrived(at=1.0, contact_id="s1", queue="sales", priority=9),
        ev.ContactArrived(at=2.0, contact_id="b1", queue="billing"),
    ])  # fmt: skip
    login = _profiled("a1", 3.0, billing=(1, 0), sales=(2, 0))
    wrong = _offer("s1", "a1", 3.0, "sales", "routing profile: sales priority 2, delay 0s")
    with pytest.raises(ModelViolation, match=r"b1 ranks better .* by profile_priority"):
        model.apply(login, [wrong])


def test_model_rejects_an_offer_without_the_profile_note() -> None:
    _router, model = _replayed([_profiled("a1", 0.0, sales=(1, 0))])
    with pytest.raises(ModelViolation, match="does not say 'routing profile: sales priority 1"):
        model.apply(
            ev.ContactArrived(at=1.0, contact_id="s1", queue="sales"),
            [_offer("s1", "a1", 1.0, "sales", "a1: lowest skill cost")],
        )


def test_model_predicts_refused_profiles() -> None:
    model = RouterModel(TWO)
    unknown = ev.AgentLoggedIn(
        at=0.0, agent_id="a1", skills={}, profile=RoutingProfile(queues={"nowhere": {}})
    )
    assert model.predict_error(unknown) is UnknownQueue
    assert TWO.build().handle(_profiled("a2", 0.0, sales=(1, 0))) == []
    bad: list[tuple[dict[str, Any], str | None]] = [
        ({"sales": {"priority": 0}}, None),
        ({"sales": {"delay": -1.0}}, None),
        ({}, None),
        ({"sales": {}}, "no-such-selection"),
    ]
    for queues, selection in bad:
        assert profile_error(queues, selection) is InvalidEvent
        with pytest.raises(InvalidEvent):
            RoutingProfile(queues=queues, selection=selection)
    assert profile_error({"sales": {"priority": 3, "delay": 2.5}}, "profile_priority") is None


def test_model_checks_that_explain_names_what_the_profile_holds_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router, model = _replayed([
        _profiled("a1", 0.0, sales=(2, 10)),
        _profiled("a2", 0.0, billing=(1, 0)),
        ev.ContactArrived(at=0.0, contact_id="s1", queue="sales"),
    ])  # fmt: skip
    notes = {c.agent_id: c.note for c in router.explain("s1").candidates}
    assert notes == {
        "a1": "routing profile delay 10s for sales not yet waited",
        "a2": "not in its routing profile",
    }
    monkeypatch.setattr(RoutingProfile, "why_not", lambda *_args: None)
    with pytest.raises(ModelViolation, match="whom only its routing profile keeps from it"):
        model.check_router(router)
