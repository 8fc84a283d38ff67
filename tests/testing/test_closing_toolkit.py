"""The testing toolkit knows the three closing rules: the model predicts what a queue's closing
does to the contacts in it ("keep", "move" to its closed queue, "end" with a Refused), RouterMachine
closes queues with each rule, and routers that get closing wrong fail the machine
(testing/_model_closing.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from experiencehub import CallbackPolicy, QueueSpec, Stage, WrapUp
from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.core.contacts import ContactStatus
from experiencehub.core.router import Router
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine, RouterModel
from routing_helpers import router_with_core

# timed wrap-ups: an agent whose contact ends is not free in the same step as the colleague its
# consult is released from (the model would take both for free when checking the next offer)
WRAP = WrapUp("timed", 5.0)

CLOSING = RouterConfig(
    skills=("s",),
    queues=(
        # chat: q moves to r, r ends (its arrivals go to q while it is closed)
        QueueSpec("q", channel="chat", requires={"s": 1}, closed_queue="r", closed_rule="move",
                  service_level_seconds=0.0, wrap_up=WRAP),
        QueueSpec("r", channel="chat", closed_queue="q", closed_rule="end", max_length=2,
                  stages=[Stage(0, 0), Stage(2.0, None)], wrap_up=WRAP),
        # phone, with callbacks: p and v move to each other (v fills up: the move may end)
        QueueSpec("p", channel="phone", closed_queue="v", closed_rule="move",
                  callback=CallbackPolicy(retry_seconds=30.0, max_attempts=3, keep_place=True),
                  wrap_up=WRAP),
        QueueSpec("v", channel="phone", closed_queue="p", closed_rule="move", max_length=2,
                  callback=CallbackPolicy(retry_seconds=0.0, max_attempts=2, keep_place=False),
                  wrap_up=WRAP),
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
    """The machine on CLOSING, with consults, weighing closings: contacts queue up, callbacks
    fail their dials, then a queue closes (or opens again)."""

    class Machine(RouterMachine):
        send_consults = True
        max_agents = 4

        # rules this test leaves out (plain methods are no rules), so closings get the steps;
        # the machine's full rule set runs in tests/core/test_router_stateful.py
        def change_skills(self) -> None: ...
        def agent_event_any(self) -> None: ...
        def answer_any(self) -> None: ...
        def add_queue(self) -> None: ...

        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(CLOSING)

        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            return st.builds(ev.AgentLoggedIn, at=st.just(at), agent_id=st.just(agent_id),
                             skills=st.sampled_from([{}, {"s": 1}]),
                             capacity=st.just({"chat": 2, "phone": 1}),
                             auto_accept=st.sampled_from([False, False, False, True]))  # fmt: skip

        def build_router(self, cfg: RouterConfig) -> Router:
            return router_with_core(cfg, core)

        @precondition(lambda self: self.started)
        @rule(data=st.data(), arrivals=st.integers(0, 3), close=st.booleans())
        def queue_up_then_close(self, data: st.DataObject, arrivals: int, close: bool) -> None:
            """Weighs closings with contacts in the queues: a few arrive, then one closes."""
            for _ in range(arrivals):
                if len(self.model.arrived) < self.max_contacts:
                    self.arrive(data=data, late=False, priority=0, customer=None)
            self.close_or_open_queue(data=data, close=close)

        @precondition(lambda self: self.started)
        @rule(data=st.data(), close=st.booleans())
        def fail_a_callback_then_close(self, data: st.DataObject, close: bool) -> None:
            """Weighs closings with callbacks awaiting a retry (or dialling) in the queues."""
            if self._may_call_back():
                self.request_callback(data)
            if self._callbacks_offered():
                self.accept_callback(data)
            if self._in("dialing"):
                self.dial_result(data=data, answered=False)
            self.close_or_open_queue(data=data, close=close)

    return Machine


@contextmanager
def _closing(core: RoutingCore) -> Iterator[None]:
    core.closing_now = True  # type: ignore[attr-defined]
    try:
        yield
    finally:
        core.closing_now = False  # type: ignore[attr-defined]


class _EndsInsteadOfMovingCore(RoutingCore):
    """Under "move", ends the queue's contacts as if its closed queue were closed or full."""

    closing_now = False

    def close_queue(self, name, reason, out):  # type: ignore[no-untyped-def]
        with _closing(self):
            super().close_queue(name, reason, out)

    def _open_target(self, queue):  # type: ignore[no-untyped-def]
        return None if self.closing_now else super()._open_target(queue)


class _MovesConnectedCore(RoutingCore):
    """Under "move", moves the queue's connected contacts too (their agents start wrap-up)."""

    def close_queue(self, name, reason, out):  # type: ignore[no-untyped-def]
        newly = name not in self.closed
        super().close_queue(name, reason, out)
        queue = self.queues[name]
        if not newly or queue.closed_rule != "move":
            return
        connected = [c for c in self.contacts.values()
                     if c.queue is queue and c.status is ContactStatus.CONNECTED
                     and c.contact_id not in self.consults and c.contact_id not in self.consult_legs]  # fmt: skip
        for contact in connected:
            target = self._open_target(queue)
            if target is not None:
                self.transfer(contact, target, out)


class _TransfersRingingCore(RoutingCore):
    """Under "move", leaves a ringing offer to the transfer, which withdraws it ("contact
    transferred") and so never offers the contact to that agent again."""

    closing_now = False

    def close_queue(self, name, reason, out):  # type: ignore[no-untyped-def]
        with _closing(self):
            super().close_queue(name, reason, out)

    def withdraw(self, contact, reason, out):  # type: ignore[no-untyped-def]
        moving = self.closing_now and contact.contact_id in self.contacts  # ("end" deleted it)
        if moving and reason != "contact transferred":
            return  # the transfer withdraws it
        super().withdraw(contact, reason, out)


@pytest.mark.parametrize(
    ("core", "message"),
    [
        (_EndsInsteadOfMovingCore, "should move to"),
        (
            _MovesConnectedCore,
            "no contact just ended|it is connected|Offer .*: contact is connected",
        ),
        (_TransfersRingingCore, "must be withdrawn first|the reason must say closed"),
    ],
    ids=["ends-instead-of-moving", "moves-connected", "transfers-ringing"],
)
def test_machine_catches_a_router_that_gets_closing_wrong(
    core: type[RoutingCore], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(_machine_for(core), settings=MACHINE)


def test_machine_passes_a_correct_router_that_moves_and_ends_at_closings() -> None:
    run_state_machine_as_test(_machine_for(None), settings=settings(MACHINE, max_examples=150))


# -- the model, step by step ------------------------------------------------------------------
def _replayed(config: RouterConfig, events: list[ev.Event]) -> tuple[Router, RouterModel]:
    router, model = config.build(), RouterModel(config)
    for event in events:
        assert model.predict_error(event) is None, event
        model.apply(event, router.handle(event))
        model.check_router(router)
    return router, model


TWO = RouterConfig(
    queues=(
        QueueSpec("q", channel="chat", closed_queue="r", closed_rule="move"),
        QueueSpec("r", channel="chat", max_length=1),
    ),
    offer_timeout=None,
)


def _two_waiting_one_ringing() -> list[ev.Event]:
    """a0 (one chat slot) rings with c0; c1 and c2 wait in q."""
    return [
        ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"chat": 1}),
        ev.ContactArrived(at=1.0, contact_id="c0", queue="q"),
        ev.ContactArrived(at=2.0, contact_id="c1", queue="q"),
        ev.ContactArrived(at=3.0, contact_id="c2", queue="q"),
    ]


def test_model_follows_a_close_that_moves_until_the_target_is_full_then_ends() -> None:
    """r takes one contact: c1 moves, c2 ends; the ringing c0 (after the waiting ones) ends
    too, its offer withdrawn first."""
    router, model = _replayed(TWO, [*_two_waiting_one_ringing(), ev.QueueClosed(at=4.0, queue="q")])
    assert model.contacts["c1"].queue == "r" and router.contact_status("c1") == "offered"
    assert model.outcomes == {"c2": "refused", "c0": "refused"}


def test_model_rejects_a_close_that_keeps_contacts_the_rule_sends_away() -> None:
    model = RouterModel(TWO)
    router = TWO.build()
    for event in _two_waiting_one_ringing():
        model.apply(event, router.handle(event))
    with pytest.raises(ModelViolation, match="neither moved to r nor ended"):
        model.apply(ev.QueueClosed(at=4.0, queue="q"), [])


def test_model_rejects_contacts_that_leave_out_of_order() -> None:
    model = RouterModel(TWO)
    router = TWO.build()
    for event in _two_waiting_one_ringing():
        model.apply(event, router.handle(event))
    out = router.handle(ev.QueueClosed(at=4.0, queue="q"))
    assert [getattr(d, "contact_id", None) for d in out][:1] == ["c1"]
    with pytest.raises(ModelViolation, match="leaves closed queue q before c1"):
        model.apply(ev.QueueClosed(at=4.0, queue="q"), [d for d in out if d.contact_id != "c1"])


def test_model_follows_a_callback_whose_retry_falls_while_its_queue_is_closed() -> None:
    """The dial failed after its queue closed: the retry applies the rule then (moved to v)."""
    config = RouterConfig(queues=(
        QueueSpec("p", channel="phone", closed_queue="v", closed_rule="move",
                  callback=CallbackPolicy(retry_seconds=30.0, max_attempts=3)),
        QueueSpec("v", channel="phone", closed_rule="end"),
    ), offer_timeout=None)  # fmt: skip
    router, model = _replayed(config, [
        ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"phone": 1}),
        ev.ContactArrived(at=0.0, contact_id="busy", queue="v"),
        ev.OfferAccepted(at=0.0, contact_id="busy", agent_id="a0"),
        ev.ContactArrived(at=1.0, contact_id="c0", queue="p"),
        ev.CallbackRequested(at=1.0, contact_id="c0"),
        ev.ContactEnded(at=2.0, contact_id="busy"),
        ev.OfferAccepted(at=2.0, contact_id="c0", agent_id="a0"),
        ev.QueueClosed(at=2.5, queue="p"),  # dialling: it stays
        ev.CallbackFailed(at=3.0, contact_id="c0"),
    ])  # fmt: skip
    assert model.contacts["c0"].status == "scheduled"
    [offer] = router.handle(tick := ev.Tick(at=40.0))
    assert isinstance(offer, dc.Offer) and offer.queue == "v" and offer.callback
    model.apply(tick, [offer])
    model.check_router(router)
    assert model.contacts["c0"].queue == "v"
