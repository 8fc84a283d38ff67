"""Scenario values of the wrong type are refused; agent skills nothing uses are reported."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiencehub.sim.scenario import ScenarioError, load_scenario_text
from experiencehub.sim.strict import WrongType, structure_float, structure_int

GOOD = """
[simulation]
duration = 3600
seed = 11

[[queues]]
name = "billing"
channel = "phone"
requires = ["billing"]

[[agents]]
group = "g"
count = 8
skills = { billing = 1 }
capacity = { phone = 1 }

[[workload]]
queue = "billing"
arrivals = { kind = "poisson", per_hour = 10 }
handle_seconds = { kind = "exponential", mean = 60 }
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text)
    return info.value.problems


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("count = 8", 'count = "8"', "agents[0].count: must be an integer, got '8' (a string)"),
        ("count = 8", "count = 12.5", "agents[0].count: must be an integer, got 12.5"),
        ("count = 8", "count = true", "agents[0].count: must be an integer, got true (a boolean)"),
        ("seed = 11", "seed = 11.9", "simulation.seed: must be an integer, got 11.9"),
        ("per_hour = 10", "per_hour = true",
         "workload[0].arrivals.per_hour: must be a number, got true (a boolean)"),
        ("per_hour = 10", 'per_hour = "10"',
         "workload[0].arrivals.per_hour: must be a number, got '10' (a string)"),
        ("billing = 1 }", 'billing = "1" }',
         "agents[0].skills.billing: must be an integer, got '1' (a string)"),
        ('name = "billing"', "name = 5", "queues[0].name: must be a string, got 5"),
        ("seed = 11", "seed = 11\nreplications = false",
         "simulation.replications: must be an integer, got false (a boolean)"),
    ],
)  # fmt: skip
def test_wrong_scalar_types_are_refused_with_the_key_path(old: str, new: str, problem: str) -> None:
    assert old in GOOD
    assert problems_of(GOOD.replace(old, new)) == [problem]


def test_a_flag_must_be_a_boolean() -> None:
    found = problems_of(GOOD + "\n[context]\nenabled = 1\n")
    assert found == ["context.enabled: must be true or false, got 1"]


def test_integral_floats_and_integer_rates_are_taken() -> None:
    scenario = load_scenario_text(GOOD.replace("count = 8", "count = 8.0"))
    assert scenario.agents[0].count == 8 and type(scenario.agents[0].count) is int
    assert type(scenario.workload[0].arrivals.per_hour) is float


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_integer_hook_takes_exactly_the_integral_numbers(value: float) -> None:
    if float(value).is_integer():
        assert structure_int(value) == value
    else:
        with pytest.raises(WrongType):
            structure_int(value)


@given(st.booleans() | st.text() | st.none())
def test_number_hooks_refuse_what_is_not_a_number(value: object) -> None:
    for hook in (structure_int, structure_float):
        with pytest.raises(WrongType):
            hook(value)


def test_an_agent_skill_nothing_mentions_is_reported_with_a_suggestion() -> None:
    text = GOOD.replace("skills = { billing = 1 }", "skills = { billling = 1 }")
    assert problems_of(text) == [
        "agents[0].skills.billling: unknown skill 'billling' (no queue requires it and no "
        "substitution names it; did you mean 'billing'?)",
        "queues[0].requires.billing: unknown skill 'billing' (no agent group has it or a substitute)",
    ]


def test_an_unused_skill_far_from_every_name_gets_no_suggestion() -> None:
    text = GOOD.replace("skills = { billing = 1 }", "skills = { billing = 1, french = 2 }")
    assert problems_of(text) == [
        "agents[0].skills.french: unknown skill 'french' (no queue requires it and no "
        "substitution names it)"
    ]


def test_a_skill_named_by_a_substitution_is_used() -> None:
    text = GOOD.replace("skills = { billing = 1 }", "skills = { billing = 1, support = 2 }")
    text += '\n[[substitutions]]\nskill = "support"\nserves = "billing"\n'
    assert load_scenario_text(text).agents[0].skills == {"billing": 1, "support": 2}


def test_a_group_without_skills_needs_a_stage_open_to_any_agent() -> None:
    extra = '\n[[agents]]\ngroup = "any"\ncount = 1\nskills = {}\ncapacity = { phone = 1 }\n'
    assert problems_of(GOOD + extra) == [
        "agents[1].skills: must be at least one skill (or {} when some queue's last stage takes "
        "any agent), got {}"
    ]
    opened = GOOD.replace(
        'requires = ["billing"]',
        'requires = ["billing"]\nstages = [{ after = 0, max_cost = 0 }, { after = 60 }]',
    )
    assert load_scenario_text(opened + extra).agents[1].skills == {}
