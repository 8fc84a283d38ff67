"""The testing toolkit knows a queue's own offer timeout (``QueueSpec.offer_timeout``): the model
expects each offer to expire after its queue's timeout, else the router's, and a router that
ignores the queue's fails the machine."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from experiencehub import QueueSpec
from experiencehub.core._handlers import RoutingCore
from experiencehub.core.router import Router
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine
from routing_helpers import router_with_core

TIMEOUTS = RouterConfig(
    skills=("s",),
    queues=(
        QueueSpec("chat", channel="chat", offer_timeout=4.0),  # rings 4 s
        QueueSpec("phone", channel="phone", requires={"s": 1}),  # the router's 10 s
        QueueSpec("email", channel="email", offer_timeout=25.0),  # longer than the router's
    ),
    offer_timeout=10.0,
)

MACHINE = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)


class _IgnoresQueueTimeoutCore(RoutingCore):
    """Rings every offer for the router's timeout, whatever its queue says."""

    def offer_timeout_of(self, queue: QueueSpec) -> float | None:
        return self.offer_timeout


def _machine_for(core: type[RoutingCore] | None) -> type[RouterMachine]:
    class Machine(RouterMachine):
        def configure(self) -> st.SearchStrategy[RouterConfig]:
            return st.just(TIMEOUTS)

        def build_router(self, config: RouterConfig) -> Router:
            return router_with_core(config, core)

    return Machine


def test_machine_passes_a_router_with_queue_offer_timeouts() -> None:
    run_state_machine_as_test(_machine_for(None), settings=MACHINE)


def test_machine_catches_a_router_that_ignores_a_queues_offer_timeout() -> None:
    with pytest.raises(ModelViolation, match=r"expires_at \S+ != "):
        run_state_machine_as_test(_machine_for(_IgnoresQueueTimeoutCore), settings=MACHINE)
