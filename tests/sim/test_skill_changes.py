"""[[agents]] skill_changes: a group's skills change at a time during the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiencehub.sim.engine import run
from experiencehub.sim.scenario import ScenarioError

from .test_engine import scenario, timeline

CHANGES = "skill_changes = [{ at = 150, skills = {} }, { at = 250, skills = { s = 1 } }]"


def test_a_removed_skill_stops_offers_until_it_is_back(tmp_path: Path) -> None:
    result = run(scenario(tmp_path, [0.0, 100.0, 200.0, 300.0], agent=CHANGES))
    assert timeline(result.records) == [
        ("q", 0.0, 0.0, 10.0, "handled"),
        ("q", 100.0, 100.0, 110.0, "handled"),
        ("q", 200.0, 250.0, 260.0, "handled"),  # waited for the skill to come back
        ("q", 300.0, 300.0, 310.0, "handled"),
    ]


def test_an_agent_logging_in_after_a_change_has_the_new_skills(tmp_path: Path) -> None:
    agent = ('shifts = [{ start = 0, end = 100 }, { start = 200, end = 900 }]\n'
             'skill_changes = [{ at = 150, skills = {} }]')  # fmt: skip
    result = run(scenario(tmp_path, [50.0, 300.0], agent=agent))
    assert [r.answered_at for r in result.records] == [50.0, None]


def test_skill_changes_are_checked_with_key_paths(tmp_path: Path) -> None:
    agent = "skill_changes = [{ at = 50, skills = { s = -1 } }, { at = 10, skills = {} }]"
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], agent=agent)
    assert raised.value.problems == [
        "agents[0].skill_changes[0].skills.s: must be >= 0, got -1",
        "agents[0].skill_changes[1].at: must be > the previous change's 50.0, got 10.0",
    ]


def test_an_agent_counts_for_every_queue_it_served_during_the_run(tmp_path: Path) -> None:
    later = '\n[[queues]]\nname = "later"\nchannel = "phone"\nrequires = ["t"]\n'
    agent = "skill_changes = [{ at = 150, skills = { t = 1 } }]"
    result = run(scenario(tmp_path, [0.0], agent=agent, extra=later))
    (served,) = result.agents
    # per-queue KPIs (occupancy, staffing) count it for "later" too, and still for "q"
    assert served.queues == {"q", "other", "later"}


def test_a_skill_change_to_an_unknown_skill_names_its_key_path(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], agent="skill_changes = [{ at = 10, skills = { sx = 1 } }]")
    assert raised.value.problems == [
        "agents[0].skill_changes[0].skills.sx: unknown skill 'sx' (no queue requires it and no "
        "substitution names it)"
    ]
