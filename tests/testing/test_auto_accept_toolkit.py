"""The toolkit knows auto-accept agents (AgentLoggedIn.auto_accept): the model predicts that their
offers are accepted as they are made, and the machine catches a router that ignores the setting."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from experiencehub import QueueSpec, Router
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine, RouterModel

CONFIG = RouterConfig(
    queues=(QueueSpec("q", channel="chat"), QueueSpec("p", channel="phone")), offer_timeout=5.0
)


class _IgnoresAutoAcceptCore(RoutingCore):
    """Takes the login's auto_accept but offers to the agent as to any other."""

    def add_agent(self, agent):  # type: ignore[no-untyped-def]
        agent.auto_accept = False
        super().add_agent(agent)


class _IgnoresAutoAccept(Router):
    _Core = _IgnoresAutoAcceptCore


def _machine(router_class: type[Router]) -> type[RouterMachine]:
    class Machine(RouterMachine):
        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(CONFIG)

        def build_router(self, cfg: RouterConfig) -> Router:
            return router_class(cfg.skill_graph(), cfg.queues, offer_timeout=cfg.offer_timeout)

    return Machine


def test_model_predicts_an_auto_accepted_offer_connected() -> None:
    router, model = CONFIG.build(), RouterModel(CONFIG)
    for event in (
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, auto_accept=True),
        ev.ContactArrived(at=1.0, contact_id="c1", queue="q"),
    ):
        model.apply(event, router.handle(event))
    assert model.contacts["c1"].status == "connected"
    late = ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1")
    assert model.predict_error(late) is not None
    assert model.predict_error(late).__name__ == "OfferNotFound"


def test_model_refuses_an_offer_left_open_for_an_auto_accept_agent() -> None:
    router, model = _IgnoresAutoAccept(CONFIG.skill_graph(), CONFIG.queues), RouterModel(CONFIG)
    login = ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, auto_accept=True)
    model.apply(login, router.handle(login))
    arrival = ev.ContactArrived(at=1.0, contact_id="c1", queue="q")
    decisions = router.handle(arrival)
    assert [type(d) for d in decisions] == [dc.Offer]
    with pytest.raises(ModelViolation, match="auto_accepted=False, agent's auto_accept=True"):
        model.apply(arrival, decisions)


def test_machine_runs_with_auto_accept_agents() -> None:
    run_state_machine_as_test(
        _machine(Router),
        settings=settings(max_examples=40, stateful_step_count=30, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )  # fmt: skip


def test_machine_catches_a_router_that_ignores_auto_accept() -> None:
    broken = settings(
        max_examples=300, stateful_step_count=40, deadline=None, phases=[Phase.generate],
        database=None, suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    with pytest.raises(AssertionError, match="auto_accepted=False, agent's auto_accept=True"):
        run_state_machine_as_test(_machine(_IgnoresAutoAccept), settings=broken)


def test_machine_with_consults_to_auto_accept_colleagues() -> None:
    """Every agent auto-accepts: a consult leg connects as it is offered (nothing to accept)."""

    class Machine(RouterMachine):
        send_consults = True

        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(CONFIG)

        def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
            return st.just(ev.AgentLoggedIn(at=at, agent_id=agent_id, skills={},
                                            capacity={"chat": 3}, auto_accept=True))  # fmt: skip

    run_state_machine_as_test(
        Machine,
        settings=settings(max_examples=40, stateful_step_count=30, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )  # fmt: skip
