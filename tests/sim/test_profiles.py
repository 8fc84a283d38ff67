"""[[agents]] profile: a group's routing profile (queue → priority and delay) in scenario files."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from experiencehub.sim.engine import run
from experiencehub.sim.scenario import ScenarioError, load_scenario_text

from .test_engine import scenario, timeline

ROOT = Path(__file__).resolve().parents[2]


def _mean_answer_wait(records: list, queue: str) -> float:  # type: ignore[type-arg]
    return statistics.fmean(
        r.wait for r in records if r.queue == queue and r.answered_at is not None
    )


def test_the_profile_scenario_answers_its_first_queue_sooner_and_its_second_later() -> None:
    text = (ROOT / "scenarios" / "routing-profiles.toml").read_text(encoding="utf-8")
    plain = "\n".join(line for line in text.splitlines() if not line.startswith("profile ="))
    with_profile = run(load_scenario_text(text)).records
    without = run(load_scenario_text(plain)).records
    assert _mean_answer_wait(with_profile, "billing") < _mean_answer_wait(without, "billing")
    assert _mean_answer_wait(with_profile, "sales") > _mean_answer_wait(without, "sales")
    # the team takes a sales contact only after its 30 s delay
    team = [r for r in with_profile if r.queue == "sales" and (r.agent_id or "").startswith("team")]
    assert team and all(r.offered_at >= r.arrived_at + 30.0 for r in team)


def test_a_delayed_group_answers_when_the_delay_passes(tmp_path: Path) -> None:
    agent = "profile = { q = { priority = 1, delay = 25 } }"
    result = run(scenario(tmp_path, [0.0, 100.0], agent=agent))
    assert timeline(result.records) == [
        ("q", 0.0, 25.0, 35.0, "handled"),
        ("q", 100.0, 125.0, 135.0, "handled"),
    ]


def test_profiles_are_checked_with_key_paths(tmp_path: Path) -> None:
    agent = "profile = { q = { priority = 0, delay = -1 }, nope = {} }"
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], agent=agent, sim='contact_selection = "fastest"')
    assert raised.value.problems == [
        "simulation.contact_selection: must be one of priority_then_wait, profile_priority, "
        "got 'fastest'",
        "agents[0].profile.q.priority: must be >= 1 and <= 1000000, got 0",
        "agents[0].profile.q.delay: must be >= 0, got -1.0",
        "agents[0].profile.nope: unknown queue 'nope' (known: other, q)",
    ]
