"""A scenario built in Python is checked like a file before anything simulates."""

from __future__ import annotations

import pytest

from experiencehub import sim
from experiencehub.sim.runs import compare, simulate
from experiencehub.sim.scenario import (
    AgentGroup,
    Arrivals,
    Distribution,
    QueueConfig,
    Scenario,
    ScenarioError,
    Simulation,
    Workload,
    checked_scenario,
)


def built(count: object = 3, per_hour: object = 30.0) -> Scenario:
    return Scenario(
        simulation=Simulation(duration=600.0),
        queues=(QueueConfig(name="q", channel="chat", requires={"s": 1}),),
        agents=(AgentGroup(group="g", count=count, skills={"s": 1}, capacity={"chat": 1}),),  # type: ignore[arg-type]
        workload=(
            Workload(
                queue="q",
                arrivals=Arrivals(kind="poisson", per_hour=per_hour),  # type: ignore[arg-type]
                handle_seconds=Distribution(kind="exponential", mean=60.0),
            ),
        ),
        name="built",
    )


def test_a_valid_built_scenario_runs() -> None:
    assert checked_scenario(built()) == built()
    assert simulate(built()).kpis["overall"]["offered"] > 0


@pytest.mark.parametrize(
    "entry", [simulate, sim.run, lambda s: compare(s, ["longest_idle", "random"])]
)
def test_every_entry_point_refuses_a_negative_count_before_running(entry: object) -> None:
    with pytest.raises(ScenarioError) as info:
        entry(built(count=-3))  # type: ignore[operator]
    assert info.value.problems == ["agents[0].count: must be >= 1, got -3"]
    assert str(info.value).startswith("1 problem in scenario 'built':")


def test_wrong_types_in_a_built_scenario_are_named() -> None:
    with pytest.raises(ScenarioError) as info:
        simulate(built(count="8", per_hour=True))
    assert info.value.problems == [
        "agents[0].count: must be an integer, got '8' (a string)",
        "workload[0].arrivals.per_hour: must be a number, got true (a boolean)",
    ]


def test_overrides_and_policies_are_checked_too() -> None:
    with pytest.raises(ScenarioError, match=r"simulation.replications: must be >= 1, got 0"):
        simulate(built(), replications=0)
    with pytest.raises(ScenarioError, match=r"simulation.policy: must be one of"):
        compare(built(), ["longest_idle", "no_such_policy"])


def test_the_result_keeps_the_scenarios_own_policy() -> None:
    result = simulate(built(), policy="random")
    assert result.policy == "random" and result.scenario.simulation.policy == "longest_idle"
    assert result.scenario == built()
