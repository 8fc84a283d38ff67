"""RouterMachine with every feature its model knows on at once: skill stages, per-contact
criteria, queued callbacks (keeping place and at the back, with and without a retry delay),
consults, preferred agents, routing profiles (delays, priorities, each agent's contact
selection), service-level alerts and offer time-outs, besides the rules it
always draws (logins with auto-accept, skill changes, status changes, transfers, queues
added and closed), and hours of operation (queue c's, and those of queues added and changed). Each feature has its own toolkit test; together they meet paths none of
those reach: an answered callback with criteria kept its criteria class (caught here every run),
and a retried one whose criteria had fewer steps than its queue's stages failed the router
(caught here with some seeds only; tests/core/test_callbacks.py has both as regressions)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from experiencehub import CallbackPolicy, OpenHours, QueueSpec, Stage
from experiencehub.core.criteria import RoutingCriteria
from experiencehub.testing import RouterConfig, RouterMachine
from experiencehub.testing import strategies as hs

SKILLS = ("s", "t")

EVERYTHING = RouterConfig(
    skills=SKILLS,
    queues=(
        QueueSpec(
            "q",
            channel="phone",
            requires={"s": 1},
            stages=[Stage(0, 0), Stage(1.0, 1), Stage(2.0, None)],
            service_level_seconds=6.0,
            affinity_seconds=3.0,
            callback=CallbackPolicy(retry_seconds=3.0, max_attempts=2, keep_place=True),
        ),
        QueueSpec(
            "r",
            channel="phone",
            requires={"t": 1},
            affinity_seconds=0,
            callback=CallbackPolicy(retry_seconds=0.0, max_attempts=2, keep_place=False),
        ),
        QueueSpec(
            "c",
            channel="chat",
            stages=[Stage(0, 0), Stage(5.0, None)],
            hours=OpenHours(weekly=[(0, 0.0, 30.0), (0, 45.0, 120.0)], extra_open=[(150.0, 160.0)]),
        ),
    ),
    offer_timeout=10.0,
    contact_selection="profile_priority",  # for profiled agents whose profile names none
)


class EverythingMachine(RouterMachine):
    send_consults = True
    hours = True  # queue c has hours; added and changed queues draw them
    profiles = True  # one agent in two with a routing profile (delays, priorities, selection)
    max_agents = 4  # few agents: contacts wait, so callbacks, stages and consults happen

    def configure(self) -> st.SearchStrategy[RouterConfig]:
        return st.just(EVERYTHING)

    def criteria_for(self, queue: str) -> st.SearchStrategy[RoutingCriteria | None]:
        return st.none() | hs.criteria(SKILLS)


def test_a_correct_router_passes_the_machine_with_every_feature_on() -> None:
    run_state_machine_as_test(
        EverythingMachine,
        settings=settings(
            max_examples=150,
            stateful_step_count=80,
            deadline=None,
            phases=[Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
