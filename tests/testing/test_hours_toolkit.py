"""The testing toolkit knows hours of operation: the model computes from each queue's hours
(not from OpenHours' methods nor the router's code) when it is open and when that next changes,
closes and opens it at those times as the documentation says, and checks ``router.is_open`` and
``router.next_hours_change`` after every step; RouterMachine draws queues with hours when its
``hours`` is on, and routers that get hours wrong fail it (testing/_model_hours.py)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from experiencehub import CallbackPolicy, OpenHours, QueueSpec, Stage, WrapUp
from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.core._queue_runtime import HOURS, OUTSIDE_HOURS
from experiencehub.core.deadlines import AT, KIND, Deadline
from experiencehub.core.hours import DAY_SECONDS
from experiencehub.core.queues import QueueSpec as Spec
from experiencehub.core.router import Router
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine, RouterModel
from experiencehub.testing import strategies as hs
from experiencehub.testing._model_hours import hours_next_change, hours_open_at
from routing_helpers import router_with_core

WRAP = WrapUp("timed", 5.0)

HOURS_CONFIG = RouterConfig(
    skills=("s",),
    queues=(
        # open 0-40 and 60-200, but closed 100-120 (a holiday) and open 45-50 (an extra hour)
        QueueSpec("q", channel="chat", requires={"s": 1}, closed_queue="r", closed_rule="move",
                  hours=OpenHours(weekly=[(0, 0.0, 40.0), (0, 60.0, 200.0)], closed=[(100.0, 120.0)],
                                  extra_open=[(45.0, 50.0)]),
                  wrap_up=WRAP),
        # the week starts at 30: open from the day before until 90 (no change at midnight,
        # nor at the week's end), then 150-260 on the week's day 0
        QueueSpec("r", channel="chat", closed_queue="q", closed_rule="end", max_length=3,
                  hours=OpenHours(weekly=[(6, DAY_SECONDS - 100.0, DAY_SECONDS), (0, 0.0, 60.0),
                                          (0, 120.0, 230.0)], week_starts_at=30.0),
                  stages=[Stage(0, 0), Stage(2.0, None)], wrap_up=WRAP),
        # callbacks held while closed (rule "keep"), released as the hours open it
        QueueSpec("p", channel="phone",
                  hours=OpenHours(weekly=[(3, 0.0, 30.0), (3, 70.0, 140.0)],
                                  week_starts_at=-3 * DAY_SECONDS, extra_open=[(180.0, 240.0)]),
                  callback=CallbackPolicy(retry_seconds=20.0, max_attempts=3, keep_place=True),
                  wrap_up=WRAP),
        QueueSpec("v", channel="phone", closed_queue="p", closed_rule="move", wrap_up=WRAP),
    ),
    offer_timeout=None,  # offers ring until answered: closings find ringing contacts
)  # fmt: skip

MACHINE = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _machine_for(core: type[RoutingCore] | None) -> type[RouterMachine]:
    """The machine on HOURS_CONFIG weighing what hours do: contacts queue up, callbacks fail
    their dials, queues are closed and opened by hand, time goes to the next deadline."""

    class Machine(RouterMachine):
        hours = True  # queues added and changed draw hours too
        max_agents = 4

        # rules this test leaves out (plain methods are no rules), so hours get the steps;
        # the machine's full rule set runs in tests/core/test_router_stateful.py
        def change_skills(self) -> None: ...
        def agent_event_any(self) -> None: ...
        def answer_any(self) -> None: ...

        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(HOURS_CONFIG)

        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            return st.builds(ev.AgentLoggedIn, at=st.just(at), agent_id=st.just(agent_id),
                             skills=st.sampled_from([{}, {"s": 1}]),
                             capacity=st.just({"chat": 2, "phone": 1}),
                             auto_accept=st.sampled_from([False, False, False, True]))  # fmt: skip

        def build_router(self, cfg: RouterConfig) -> Router:
            return router_with_core(cfg, core)

        @precondition(lambda self: self.started)
        @rule(data=st.data(), arrivals=st.integers(0, 3))
        def queue_up_then_wait(self, data: st.DataObject, arrivals: int) -> None:
            """Contacts arrive, then time goes to the next deadline (an hours change, often)."""
            for _ in range(arrivals):
                if len(self.model.arrived) < self.max_contacts:
                    self.arrive(data=data, late=False, priority=0, customer=None)
            if self.router.next_deadline() is not None:
                self.tick_to_next_deadline()

        @precondition(lambda self: self.started)
        @rule(data=st.data())
        def fail_a_callback(self, data: st.DataObject) -> None:
            """Callbacks await a retry in the queues as their hours change."""
            if self._may_call_back():
                self.request_callback(data)
            if self._callbacks_offered():
                self.accept_callback(data)
            if self._in("dialing"):
                self.dial_result(data=data, answered=False)

    return Machine


class _LateCore(RoutingCore):
    """Applies an hours change only at an event after its time: a Tick exactly at the change
    (or an arrival then) finds the queue as it was."""

    def run_deadlines(self, until: float, out: list[dc.Decision]) -> None:
        held: list[Deadline] = []
        while (entry := self.deadlines.pop_due(until)) is not None:
            if entry[KIND] == HOURS and entry[AT] == until:
                held.append(entry)
                continue
            self.now = entry[AT]
            self.apply_deadline(entry, out)
        for entry in held:
            self.deadlines.push(entry)


def _without(field: str) -> type[RoutingCore]:
    class _IgnoresPeriodsCore(RoutingCore):
        """Reads the queue's hours without its ``closed`` (or ``extra_open``) periods."""

        def start_hours(self, queue: Spec, out: list[dc.Decision]) -> None:
            if queue.hours is not None:
                queue = attrs.evolve(queue, hours=attrs.evolve(queue.hours, **{field: ()}))
            super().start_hours(queue, out)

    return _IgnoresPeriodsCore


class _OverridesManualOpenCore(RoutingCore):
    """A QueueOpened outside the queue's hours closes it again at once."""

    def _open(self, e: ev.QueueOpened, out: list[dc.Decision]) -> None:
        super()._open(e, out)
        hours = self.queues[e.queue].hours
        if hours is not None and not hours.is_open_at(self.now):
            self.close_queue(e.queue, OUTSIDE_HOURS, out)


@pytest.mark.parametrize(
    ("core", "message"),
    [
        (_LateCore, "router says open|next hours change|closed"),
        (_without("closed"), "next hours change|router says open"),
        (_without("extra_open"), "next hours change|router says open"),
        (_OverridesManualOpenCore, "router says open"),
    ],
    ids=["late", "ignores-closed", "ignores-extra-open", "overrides-manual-open"],
)
def test_machine_catches_a_router_that_gets_hours_wrong(
    core: type[RoutingCore], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(_machine_for(core), settings=MACHINE)


def test_machine_passes_a_correct_router_on_queues_with_hours() -> None:
    run_state_machine_as_test(_machine_for(None), settings=settings(MACHINE, max_examples=150))


class HoursMachine(RouterMachine):
    """Random configurations whose queues (configured, added, changed) often have hours."""

    hours = True


def test_a_correct_router_passes_the_machine_drawing_hours() -> None:
    run_state_machine_as_test(HoursMachine, settings=settings(MACHINE, max_examples=150))


# -- the model and the strategies, step by step -------------------------------------------------
@settings(max_examples=200, deadline=None, database=None)
@given(hours=hs.open_hours(), t=st.integers(-400, 2000).map(lambda n: n / 4))
def test_the_model_computes_hours_itself_and_agrees_with_open_hours(
    hours: OpenHours, t: float
) -> None:
    """The model's own answers agree with OpenHours' on drawn hours (each is the other's
    oracle: a bug in either shows as a difference)."""
    assert hours_open_at(hours, t) == hours.is_open_at(t)
    assert hours_next_change(hours, t) == hours.next_change(t)


def test_the_model_catches_a_queue_that_stays_open_past_its_hours() -> None:
    config = RouterConfig(
        queues=(QueueSpec("q", channel="chat", hours=OpenHours(weekly=[(0, 0.0, 10.0)])),)
    )
    router, model = config.build(), RouterModel(config)
    model.check_router(router)
    router.handle(ev.QueueOpened(at=0.0, queue="q"))  # open already: nothing to see
    tick = ev.Tick(at=10.0)
    model.apply(tick, router.handle(tick))
    model.check_router(router)
    assert model.hours_next == {"q": DAY_SECONDS * 7.0} and "q" in model.closed
    model.closed.discard("q")  # the model's view of a router that did not close it
    with pytest.raises(ModelViolation, match="router says open=False"):
        model.check_router(router)


class _CreationOrderCore(RoutingCore):
    """Orders an hours change among the deadlines due at its instant by when it was made (as
    the router once did), not before them."""

    def start_hours(self, queue: Spec, out: list[dc.Decision]) -> None:
        super().start_hours(queue, out)
        entry = self.hours_deadlines.get(queue.name)
        if entry is not None:
            self.deadlines.cancel(entry)
            self.hours_deadlines[queue.name] = self.deadlines.add(entry[AT], HOURS, queue.name)


def test_the_model_catches_an_hours_change_applied_after_a_deadline_of_its_instant() -> None:
    """The queue closes at 100 (rule "end") as c1's stage widens: the closing comes first, so
    c1 leaves without widening. A router applying the stage first is caught."""
    stages = [Stage(after=0, max_cost=0), Stage(after=60, max_cost=None)]
    spec = QueueSpec("q", channel="phone", hours=OpenHours(weekly=[(0, 0.0, 100.0)]),
                     closed_rule="end", stages=stages)  # fmt: skip
    config = RouterConfig(queues=(spec,))
    changed = attrs.evolve(spec, hours=OpenHours(weekly=[(0, 0.0, 100.0)], closed=[(200.0, 300.0)]))
    events = [
        ev.ContactArrived(at=40.0, contact_id="c1", queue="q"),
        ev.QueueChanged(at=50.0, spec=changed),  # the hours' deadline made after c1's
        ev.Tick(at=100.0),
    ]
    for core, fails in ((None, False), (_CreationOrderCore, True)):
        router, model = router_with_core(config, core), RouterModel(config)
        try:
            for event in events:
                model.apply(event, router.handle(event))
                model.check_router(router)
        except ModelViolation as err:
            assert fails and "should leave with a Refused" in str(err)
        else:
            assert not fails
