"""The testing toolkit knows queued callbacks: the model replays them, RouterMachine sends them,
and routers that get them wrong fail the machine (testing/_callback_model.py)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from experiencehub import CallbackPolicy, InvalidTransition, QueueSpec, Stage
from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.core.router import Router
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine, RouterModel
from experiencehub.testing import strategies as hs
from routing_helpers import router_with_core

CALLBACKS = RouterConfig(
    skills=("s",),
    queues=(
        QueueSpec(
            "q",
            channel="phone",
            stages=[Stage(0, 0), Stage(4.0, None)],
            service_level_seconds=6.0,
            affinity_seconds=0,
            callback=CallbackPolicy(retry_seconds=3.0, max_attempts=2, keep_place=True),
        ),
        QueueSpec(
            "r",
            channel="phone",
            requires={"s": 1},
            affinity_seconds=0,
            callback=CallbackPolicy(retry_seconds=0.0, max_attempts=1, keep_place=False),
        ),
        QueueSpec("x", channel="phone", affinity_seconds=0),
    ),
    offer_timeout=None,  # offers wait for an answer: more callbacks are accepted and dialled
)

MACHINE = settings(
    max_examples=300,
    stateful_step_count=80,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)


class _ForgetsCallbackOnOffersCore(RoutingCore):
    """Offers a queued callback as an ordinary contact: the platform would never dial out."""

    def offer(self, contact, agent, explanation, out, *, place=True):  # type: ignore[no-untyped-def]
        super().offer(contact, agent, explanation, out, place=place)
        last = out[-1]
        if isinstance(last, dc.Offer) and last.callback:
            out[-1] = attrs.evolve(last, callback=False)


class _NeverGivesUpCore(RoutingCore):
    """Retries a failed callback forever, whatever the policy's max_attempts."""

    def fail_callback(self, contact, reason, out):  # type: ignore[no-untyped-def]
        assert contact.callback is not None
        contact.callback.failed = -100  # every dial looks like the first
        super().fail_callback(contact, reason, out)


class _RetriesAtTheBackCore(RoutingCore):
    """Ignores keep_place: a retried callback always queues at the back."""

    def retry_callback(self, contact, out, **options):  # type: ignore[no-untyped-def]
        policy = contact.callback.policy
        contact.callback.policy = CallbackPolicy(policy.retry_seconds, policy.max_attempts, False)
        super().retry_callback(contact, out, **options)
        if contact.callback is not None:
            contact.callback.policy = policy


def _machine_for(core: type[RoutingCore] | None) -> type[RouterMachine]:
    class Machine(RouterMachine):
        max_agents = 3  # few agents: contacts wait, so callbacks are requested

        # rules this test leaves out (plain methods are no rules), so callbacks get the steps;
        # the machine's full rule set runs in tests/core/test_router_stateful.py
        def change_skills(self) -> None: ...
        def change_status(self) -> None: ...
        def agent_event_any(self) -> None: ...
        def contact_event_any(self) -> None: ...
        def answer_any(self) -> None: ...
        def transfer(self) -> None: ...
        def invalid(self) -> None: ...
        def abandon(self) -> None: ...
        def change_queue(self) -> None: ...
        def add_queue(self) -> None: ...

        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(CALLBACKS)

        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            # one phone line each, often skilled: offers, dials and retries are frequent
            return st.builds(ev.AgentLoggedIn, at=st.just(at), agent_id=st.just(agent_id),
                             skills=st.sampled_from([{}, {"s": 1}]), capacity=st.just({"phone": 1}))  # fmt: skip

        @precondition(lambda self: self.started)
        @rule(data=st.data())
        def call_back_and_fail(self, data: st.DataObject) -> None:
            """Weighs the callbacks' path: a contact arrives, a waiting one asks a callback, an
            offered one is accepted and its dial fails (it queues again at its retry)."""
            if len(self.model.arrived) < self.max_contacts:
                self.arrive(data=data, late=False, priority=0, customer=None)
            if self._may_call_back():
                self.request_callback(data)
            if self._callbacks_offered():
                self.accept_callback(data)
            if self._in("dialing"):
                self.dial_result(data=data, answered=False)

        def build_router(self, cfg: RouterConfig) -> Router:
            return router_with_core(cfg, core)

    return Machine


@pytest.mark.parametrize(
    ("core", "message"),
    [
        (_ForgetsCallbackOnOffersCore, "callback=False"),
        (_NeverGivesUpCore, r"CallbackQueued\(.*attempts=-99"),
        (_RetriesAtTheBackCore, "stage|ranks better"),
    ],
)
def test_machine_catches_a_router_that_gets_callbacks_wrong(
    core: type[RoutingCore], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(_machine_for(core), settings=MACHINE)


def test_machine_passes_a_correct_router_with_callbacks() -> None:
    run_state_machine_as_test(_machine_for(None), settings=settings(MACHINE, max_examples=100))


def test_model_rejects_a_callback_offered_as_an_ordinary_contact() -> None:
    model = RouterModel(CALLBACKS)
    model.apply(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, capacity={"phone": 1}), [])
    model.apply(
        ev.ContactArrived(at=0.0, contact_id="busy", queue="x"), [_offer("busy", "a1", 0.0)]
    )
    model.apply(ev.OfferAccepted(at=0.0, contact_id="busy", agent_id="a1"), [])
    enqueued = dc.Enqueued(at=1.0, contact_id="c1", queue="q", position=1, waiting=1,
                           explanation=_WHY)  # fmt: skip
    model.apply(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"), [enqueued])
    queued = dc.CallbackQueued(at=1.0, contact_id="c1", queue="q", attempts=0, retry_at=None,
                               explanation=_WHY)  # fmt: skip
    model.apply(ev.CallbackRequested(at=1.0, contact_id="c1"), [queued])
    with pytest.raises(ModelViolation, match="callback=False"):
        model.apply(ev.ContactEnded(at=2.0, contact_id="busy"), [_offer("c1", "a1", 2.0)])


@settings(max_examples=30, deadline=None)
@given(policy=hs.callback_policies(), queue=hs.queue_specs())
def test_strategies_draw_callback_policies(policy: CallbackPolicy, queue: QueueSpec) -> None:
    assert 1 <= policy.max_attempts <= 3 and policy.retry_seconds * 2 == int(
        policy.retry_seconds * 2
    )
    assert queue.callback is None or isinstance(queue.callback, CallbackPolicy)


_WHY = dc.Explanation(policy="longest_idle", summary="test")


def _offer(cid: str, agent_id: str, at: float) -> dc.Offer:
    return dc.Offer(at=at, contact_id=cid, agent_id=agent_id, queue="q" if cid != "busy" else "x",
                    channel="phone", stage=0, expires_at=None, explanation=_WHY)  # fmt: skip


def _replayed(config: RouterConfig, events: list[ev.Event]) -> tuple[Router, RouterModel]:
    router, model = config.build(), RouterModel(config)
    for event in events:
        assert model.predict_error(event) is None, event
        model.apply(event, router.handle(event))
        model.check_router(router)
    return router, model


def test_model_follows_a_dialler_to_a_better_contact_when_its_callback_fails() -> None:
    """No retry delay, a better contact waiting for the agent who dialled: the agent takes that
    one and the callback waits (docs/routing.md); the model checks that offer as any other."""
    config = RouterConfig(
        queues=(
            QueueSpec("cb", channel="phone", priority_weight=1.0,
                      callback=CallbackPolicy(retry_seconds=0.0, max_attempts=2)),
            QueueSpec("hi", channel="phone", priority_weight=1.0),
        ),
        offer_timeout=None,
    )  # fmt: skip
    router, _model = _replayed(config, [
        ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"phone": 1}),
        ev.AgentStatusChanged(at=0.0, agent_id="a0", status="away"),
        ev.ContactArrived(at=1.0, contact_id="c0", queue="cb", priority=1),
        ev.CallbackRequested(at=1.0, contact_id="c0"),
        ev.AgentStatusChanged(at=2.0, agent_id="a0", status="available"),
        ev.OfferAccepted(at=2.0, contact_id="c0", agent_id="a0"),
        ev.ContactArrived(at=3.0, contact_id="c1", queue="hi", priority=3),  # ranks better
        ev.CallbackFailed(at=4.0, contact_id="c0"),
    ])  # fmt: skip
    assert router.contact_status("c1") == "offered" and router.contact_status("c0") == "waiting"


def test_machine_never_asks_a_callback_for_a_consult_leg() -> None:
    """A leg waiting in a queue that takes callbacks is no caller: the router refuses the
    request, the model predicts it, and the machine's request_callback rule leaves legs out."""
    config = RouterConfig(
        queues=(QueueSpec("q", channel="phone", callback=CallbackPolicy(retry_seconds=5.0)),),
        offer_timeout=None,
    )
    router, model = _replayed(config, [
        ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"phone": 1}),
        ev.ContactArrived(at=1.0, contact_id="c0", queue="q"),
        ev.OfferAccepted(at=2.0, contact_id="c0", agent_id="a0"),
        ev.ConsultRequested(at=3.0, contact_id="c0", consult_id="k0", queue="q"),
    ])  # fmt: skip
    assert router.contact_status("k0") == "waiting"  # nobody else to take it
    request = ev.CallbackRequested(at=4.0, contact_id="k0")
    assert model.predict_error(request) is InvalidTransition
    with pytest.raises(InvalidTransition):
        router.handle(request)
    machine = RouterMachine()
    machine.model = model
    assert machine._may_call_back() == []
