"""Workload ``criteria``: a share of a workload's contacts carry routing criteria."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiencehub.sim import load_scenario
from experiencehub.sim.engine import run
from experiencehub.sim.scenario import ScenarioError

from .test_engine import scenario, timeline

ROOT = Path(__file__).resolve().parents[2]
NEEDS_LEVEL_2 = "criteria = { share = 0.5, steps = [{ requires = { s = 2 } }] }"


def test_a_share_of_the_contacts_carry_the_criteria_spread_evenly(tmp_path: Path) -> None:
    # the agent has s = 1: contacts with criteria (s >= 2) are never answered
    result = run(scenario(tmp_path, [0.0, 100.0, 200.0, 300.0], workload=NEEDS_LEVEL_2))
    assert timeline(result.records) == [
        ("q", 0.0, 0.0, 10.0, "handled"),
        ("q", 100.0, None, None, "unfinished"),
        ("q", 200.0, 200.0, 210.0, "handled"),
        ("q", 300.0, None, None, "unfinished"),
    ]


def test_a_later_step_lets_other_agents_take_it(tmp_path: Path) -> None:
    workload = "criteria = { steps = [{ requires = { s = 2 } }, { after = 30 }] }"
    result = run(scenario(tmp_path, [0.0], workload=workload))
    assert [r.answered_at for r in result.records] == [30.0]


def test_criteria_are_checked_with_key_paths(tmp_path: Path) -> None:
    workload = (
        "criteria = { share = 2, steps = [{ after = 5, requires = { s = -1, t = 1 } },"
        " { after = 1, max_cost = -1 }] }"
    )
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], workload=workload)
    assert raised.value.problems == [
        "workload[0].criteria.share: must be a probability in [0, 1], got 2.0",
        "workload[0].criteria.steps[0].after: must be 0 (the first step), got 5.0",
        "workload[0].criteria.steps[0].requires.s: must be >= 0, got -1",
        "workload[0].criteria.steps[1].after: must be > the previous step's 5.0, got 1.0",
        "workload[0].criteria.steps[1].max_cost: must be finite and >= 0, got -1.0",
        "workload[0].criteria.steps[0].requires.t: unknown skill 't' (no agent group has it or a substitute)",
    ]


def test_the_language_scenario_routes_spanish_contacts_by_their_steps() -> None:
    result = run(load_scenario(ROOT / "scenarios" / "language-criteria.toml"))
    spanish = [r for r in result.records if r.segment == "spanish" and r.answered_at is not None]
    assert spanish
    for record in spanish:
        group = record.agent_id.rsplit("-", 1)[0] if record.agent_id else None
        waited = record.answered_at - record.arrived_at
        if group == "some-spanish":
            assert waited >= 60.0, record
        elif group == "billing":
            assert waited >= 120.0, record
        else:
            assert group == "fluent", record
    assert {r.agent_id.rsplit("-", 1)[0] for r in spanish if r.agent_id} >= {"fluent"}
