"""Scenario files: the reference file loads unchanged; every problem is reported with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiencehub import ConfigError, RoutingError
from experiencehub.sim.scenario import (
    Distribution,
    ScenarioError,
    load_scenario,
    load_scenario_text,
    mean_of,
)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path("/work/shared/reference/scenarios/single-queue.toml")

GOOD = """
[simulation]
duration = 3600

[[queues]]
name = "q"
channel = "phone"
requires = ["s"]

[[agents]]
group = "g"
count = 2
skills = { s = 1 }
capacity = { phone = 1 }

[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 10 }
handle_seconds = { kind = "exponential", mean = 60 }
"""


def problems_of(text: str, tmp_path: Path | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, base_dir=tmp_path or ".")
    return info.value.problems


def test_reference_single_queue_loads_unchanged() -> None:
    path = REFERENCE if REFERENCE.exists() else ROOT / "scenarios" / "single-queue.toml"
    scenario = load_scenario(path)
    assert scenario.simulation.duration == 86400 and scenario.simulation.warmup == 3600
    assert scenario.simulation.replications == 3 and scenario.simulation.seed == 7
    (queue,) = scenario.queues
    assert queue.requires == {"support": 1}  # list form: minimum level 1
    assert queue.service_level_seconds == 20
    (group,) = scenario.agents
    assert (group.count, group.skills, group.capacity) == (50, {"support": 3}, {"phone": 1})
    (item,) = scenario.workload
    assert item.arrivals.per_hour == 2700
    assert item.patience_seconds is not None and item.patience_seconds.mean == 120


def test_shipped_copy_is_identical_to_the_reference() -> None:
    if not REFERENCE.exists():
        pytest.skip("shared reference not available")
    assert (ROOT / "scenarios" / "single-queue.toml").read_text() == REFERENCE.read_text()


@pytest.mark.parametrize("name", ["single-queue", "omnichannel-day", "policy-comparison"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    assert scenario.name == name
    assert scenario.queues and scenario.agents and scenario.workload


def test_omnichannel_day_has_what_the_demo_promises() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "omnichannel-day.toml")
    assert {q.channel for q in scenario.queues} == {"phone", "chat", "email"}
    segments = {w.segment: w.service_level_seconds for w in scenario.workload}
    assert set(segments) == {"premium", "standard", "basic"}
    assert scenario.substitutions
    chat = [w for w in scenario.workload if w.queue == "chat"]
    assert all(w.callback is not None and w.callback.queue.startswith("phone") for w in chat)


def test_good_scenario_gets_defaults() -> None:
    scenario = load_scenario_text(GOOD)
    assert scenario.simulation.policy == "longest_idle"
    assert scenario.kpis.preset == "experiencehub"
    assert scenario.queues[0].service_level_seconds == 20.0
    assert scenario.workload[0].segment == "default"


def test_every_problem_is_reported_with_its_key_path() -> None:
    text = GOOD.replace("per_hour = 10", "per_hour = -5").replace(
        'queue = "q"\narrivals', 'queue = "nope"\narrivals'
    )
    text = text.replace("count = 2", "count = 0").replace("duration = 3600", "duration = 0")
    found = problems_of(text)
    assert "workload[0].arrivals.per_hour: must be > 0, got -5.0" in found
    assert any(p.startswith("workload[0].queue: unknown queue 'nope'") for p in found)
    assert "agents[0].count: must be >= 1, got 0" in found
    assert "simulation.duration: must be > 0, got 0.0" in found


def test_wrong_types_missing_and_unknown_keys_are_named() -> None:
    text = GOOD.replace("count = 2", 'count = "two"').replace(
        'channel = "phone"', 'channel = "phone"\nservice_levl_seconds = 20'
    )
    text = text.replace('handle_seconds = { kind = "exponential", mean = 60 }', "")
    found = problems_of(text)
    assert any(p.startswith("agents[0].count: wrong type, expected int") for p in found), found
    assert any(p.startswith("queues[0]") and "service_levl_seconds" in p for p in found), found
    assert "workload[0].handle_seconds: required field missing" in found


def test_structure_errors_do_not_hide_range_errors_elsewhere() -> None:
    text = GOOD.replace("count = 2", 'count = "two"').replace("per_hour = 10", "per_hour = -1")
    found = problems_of(text)
    assert any(p.startswith("agents[0].count") for p in found)
    assert "workload[0].arrivals.per_hour: must be > 0, got -1.0" in found


def test_unknown_skill_and_unknown_section() -> None:
    text = GOOD.replace('requires = ["s"]', 'requires = ["billing"]') + "\n[oops]\nx = 1\n"
    found = problems_of(text)
    assert any(p.startswith("queues[0].requires.billing: unknown skill 'billing'") for p in found)
    assert any(p.startswith("oops: unknown section") for p in found)


def test_distribution_parameters_are_checked() -> None:
    text = GOOD.replace(
        '{ kind = "exponential", mean = 60 }', '{ kind = "lognormal", mean = 60 }'
    ).replace('kind = "poisson"', 'kind = "weibull"')
    found = problems_of(text)
    assert "workload[0].handle_seconds.sd: required for lognormal" in found
    assert any(p.startswith("workload[0].arrivals.kind: must be one of poisson") for p in found)


def test_distribution_parameters_the_kind_does_not_use_are_reported() -> None:
    text = GOOD.replace(
        '{ kind = "exponential", mean = 60 }', '{ kind = "exponential", mean = 60, sd = 3 }'
    )
    assert "workload[0].handle_seconds.sd: not used by exponential (it takes mean)" in problems_of(
        text
    )


def test_unstable_load_without_patience_is_reported() -> None:
    text = GOOD.replace("per_hour = 10", "per_hour = 200")  # 200/h × 60 s = 3.3 erlangs > 2
    (problem,) = problems_of(text)
    assert problem.startswith("queues[0]: unstable: offered load 3.3 erlangs >= 2 agent slots")


def test_same_load_with_patience_is_fine() -> None:
    text = GOOD.replace("per_hour = 10", "per_hour = 200").replace(
        "mean = 60 }", 'mean = 60 }\npatience_seconds = { kind = "exponential", mean = 30 }'
    )
    assert load_scenario_text(text).workload[0].patience_seconds is not None


def test_trace_file_must_exist(tmp_path: Path) -> None:
    text = GOOD.replace('{ kind = "poisson", per_hour = 10 }', '{ kind = "trace", path = "a.csv" }')
    found = problems_of(text, tmp_path)
    assert any(p.startswith("workload[0].arrivals.path: file") for p in found)
    (tmp_path / "a.csv").write_text("seconds\n1\n2\n")
    assert load_scenario_text(text, base_dir=tmp_path).workload[0].arrivals.path == "a.csv"


def test_shift_and_break_checks() -> None:
    text = GOOD.replace(
        "capacity = { phone = 1 }",
        "capacity = { phone = 1 }\nshifts = [{ start = 100, end = 50, breaks = [{ at = 10, seconds = 5 }] }]",
    )
    found = problems_of(text)
    assert "agents[0].shifts[0].end: must be > start (100.0), got 50.0" in found
    assert any(
        p.startswith("agents[0].shifts[0].breaks[0].at: must be inside the shift") for p in found
    )


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    assert problems_of("[simulation\n")[0].startswith("toml:")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "missing.toml")
    assert info.value.problems[0].startswith("file: cannot read")


def test_scenario_error_is_a_config_error_naming_the_count() -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario_text("[simulation]\nduration = 1")
    assert isinstance(info.value, RoutingError)
    assert str(info.value).startswith("3 problems in <text>:")


def test_mean_of_each_kind() -> None:
    assert mean_of(Distribution(kind="exponential", mean=7.0)) == 7.0
    assert mean_of(Distribution(kind="deterministic", value=3.0)) == 3.0
    assert mean_of(Distribution(kind="empirical", values=(1.0, 2.0, 6.0))) == 3.0


def test_a_broken_agent_group_does_not_hide_an_unknown_queue() -> None:
    text = GOOD.replace("count = 2", 'count = "two"').replace(
        'queue = "q"\narrivals', 'queue = "nope"\narrivals'
    )
    found = problems_of(text)
    assert any(p.startswith("agents[0].count: wrong type") for p in found)
    assert any(p.startswith("workload[0].queue: unknown queue 'nope'") for p in found)
    assert not any("unknown skill" in p for p in found)  # agents incomplete: skills not judged
