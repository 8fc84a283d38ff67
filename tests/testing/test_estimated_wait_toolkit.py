"""The testing toolkit checks the estimated wait time: the model keeps each queue's departures
from the decisions it replays (testing/_model_wait.py) and checks ``Enqueued.estimated_wait``,
the ``"estimated_wait"`` alert and ``Router.estimated_wait``; routers that get them wrong fail the
machine."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from experiencehub import CallbackPolicy, QueueSpec, Stage
from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.core.router import Router
from experiencehub.core.stats import RouterStats
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine, RouterModel
from experiencehub.testing import strategies as hs
from routing_helpers import router_with_core

WAITS = RouterConfig(
    skills=("s",),
    queues=(
        QueueSpec(
            "q",
            channel="phone",
            requires={"s": 1},
            stages=[Stage(0, 0), Stage(3.0, None)],  # contacts offered as their stage widens
            affinity_seconds=0,
            estimated_wait_alert_seconds=4.0,
            callback=CallbackPolicy(retry_seconds=0.0, max_attempts=2, keep_place=False),
        ),
        QueueSpec(
            "r",
            channel="phone",
            affinity_seconds=2.0,
            rejoin_seconds=20.0,
            estimated_wait_alert_seconds=0.0,
            callback=CallbackPolicy(retry_seconds=2.0, max_attempts=2, keep_place=True),
        ),
    ),
    offer_timeout=None,
)

MACHINE = settings(
    max_examples=200,
    stateful_step_count=60,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)


class _NoDepartures(RouterStats):
    """Never counts a departure: the estimate stays unknown."""

    __slots__ = ()

    def departed(self, queue: str, now: float) -> None:
        return None


class _PositionOffByOne(RouterStats):
    """Estimates for the position behind the one asked."""

    __slots__ = ()

    def estimated_wait(self, queue: str, position: int) -> float | None:
        return super().estimated_wait(queue, position + 1)


class _NoDeparturesCore(RoutingCore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stats.__class__ = _NoDepartures


class _PositionOffByOneCore(RoutingCore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stats.__class__ = _PositionOffByOne


class _CountsOffersAtOnceCore(RoutingCore):
    """Counts a contact offered as it arrives as a departure too (it never sat in a line)."""

    def offer(self, contact, agent, explanation, out, *, place=True):  # type: ignore[no-untyped-def]
        if not contact.lines:
            self.stats.departed(contact.queue.name, self.now)
        super().offer(contact, agent, explanation, out, place=place)


def _machine_for(core: type[RoutingCore] | None) -> type[RouterMachine]:
    class Machine(RouterMachine):
        max_agents = 3  # few agents: contacts wait, depart from their lines, and are alerted

        # rules this test leaves out (plain methods are no rules), so the waits get the steps;
        # the machine's full rule set runs in tests/core/test_router_stateful.py
        def change_skills(self) -> None: ...
        def agent_event_any(self) -> None: ...
        def contact_event_any(self) -> None: ...
        def answer_any(self) -> None: ...
        def invalid(self) -> None: ...
        def change_queue(self) -> None: ...
        def add_queue(self) -> None: ...

        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(WAITS)

        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            # one phone line each, often skilled; some accept on their own
            return st.builds(ev.AgentLoggedIn, at=st.just(at), agent_id=st.just(agent_id),
                             skills=st.sampled_from([{}, {"s": 1}]), capacity=st.just({"phone": 1}),
                             auto_accept=st.booleans())  # fmt: skip

        @precondition(lambda self: self.started)
        @rule(data=st.data())
        def arrive_and_serve(self, data: st.DataObject) -> None:
            """Weighs the departures' path: a contact arrives, an offered one is accepted, a
            connected one ends (its agent takes the next from the line)."""
            if len(self.model.arrived) < self.max_contacts:
                self.arrive(data=data, late=False, priority=0, customer=None)
            if self._in("offered"):
                self.answer(data=data, accept=True)
            if self._in("connected", legs=False):
                self.end(data)

        def build_router(self, cfg: RouterConfig) -> Router:
            return router_with_core(cfg, core)

    return Machine


@pytest.mark.parametrize(
    ("core", "message"),
    [
        (_NoDeparturesCore, r"estimated_wait None, the model's \d"),
        (_PositionOffByOneCore, r"estimated_wait \d+(\.\d+)?, the model's \d"),
        (_CountsOffersAtOnceCore, r"estimated_wait (None|\d+(\.\d+)?), the model's"),
    ],
)
def test_machine_catches_a_router_that_gets_the_estimated_wait_wrong(
    core: type[RoutingCore], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(_machine_for(core), settings=MACHINE)


def test_machine_passes_a_correct_router_with_estimated_waits() -> None:
    run_state_machine_as_test(_machine_for(None), settings=settings(MACHINE, max_examples=150))


_WHY = dc.Explanation(policy="longest_idle", summary="test")


def _enqueued(cid: str, at: float, position: int, estimate: float | None) -> dc.Enqueued:
    return dc.Enqueued(at=at, contact_id=cid, queue="r", position=position, waiting=position,
                       explanation=_WHY, estimated_wait=estimate)  # fmt: skip


def _offer(cid: str, at: float) -> dc.Offer:
    return dc.Offer(at=at, contact_id=cid, agent_id="a1", queue="r", channel="phone", stage=0,
                    expires_at=None, explanation=_WHY)  # fmt: skip


def _model_with_one_departure() -> RouterModel:
    """c0 offered at once at 0 (no departure); c1 waits from 1 and leaves its line at 11."""
    model = RouterModel(WAITS)
    model.apply(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, capacity={"phone": 1}), [])
    model.apply(ev.ContactArrived(at=0.0, contact_id="c0", queue="r"), [_offer("c0", 0.0)])
    model.apply(ev.OfferAccepted(at=0.0, contact_id="c0", agent_id="a1"), [])
    model.apply(
        ev.ContactArrived(at=1.0, contact_id="c1", queue="r"), [_enqueued("c1", 1.0, 1, None)]
    )
    model.apply(ev.ContactEnded(at=11.0, contact_id="c0"), [_offer("c1", 11.0)])
    model.apply(ev.OfferAccepted(at=11.0, contact_id="c1", agent_id="a1"), [])
    return model


def test_model_estimates_position_times_the_mean_departure_interval() -> None:
    model = _model_with_one_departure()
    assert model.estimate("r", 1) == 10.0 and model.estimate("r", 3) == 30.0
    assert model.estimate("q", 1) is None


def test_model_wants_the_alert_right_after_an_enqueued_above_the_threshold() -> None:
    model = _model_with_one_departure()
    arrival = ev.ContactArrived(at=12.0, contact_id="c2", queue="r")
    with pytest.raises(ModelViolation, match=r"no Alert\(kind='estimated_wait'\)"):
        model.apply(arrival, [_enqueued("c2", 12.0, 1, 10.0)])


def test_model_rejects_an_estimate_other_than_its_own() -> None:
    model = _model_with_one_departure()
    arrival = ev.ContactArrived(at=50.0, contact_id="c2", queue="r")
    with pytest.raises(ModelViolation, match=r"estimated_wait 49\.0, the model's 10\.0"):
        model.apply(arrival, [_enqueued("c2", 50.0, 1, 49.0)])


@settings(max_examples=30, deadline=None)
@given(queue=hs.queue_specs())
def test_strategies_draw_estimated_wait_alerts(queue: QueueSpec) -> None:
    limit = queue.estimated_wait_alert_seconds
    assert limit is None or (0.0 <= limit <= 30.0 and limit * 2 == int(limit * 2))
