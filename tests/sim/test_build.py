"""From a scenario to the router's configuration (sim/build.py)."""

from __future__ import annotations

import pytest

from experiencehub import Stage
from experiencehub.sim.build import queue_specs
from experiencehub.sim.runs import _TINY
from experiencehub.sim.scenario import load_scenario_text


def test_a_stage_without_max_cost_in_a_file_takes_any_agent() -> None:
    text = _TINY.replace(
        'requires = ["s"]',
        'requires = ["s"]\nstages = [{ after = 0, max_cost = 0 }, { after = 30 }]',
    )
    (spec,) = queue_specs(load_scenario_text(text))
    assert spec.stages == (Stage(after=0, max_cost=0), Stage(after=30, max_cost=None))


def test_a_queue_without_stages_takes_exact_skills_only() -> None:
    (spec,) = queue_specs(load_scenario_text(_TINY))
    assert spec.stages == (Stage(after=0, max_cost=0),)


def test_stage_in_python_has_no_default_max_cost() -> None:
    """A file's stage without max_cost means any agent; Python makes the caller say which."""
    with pytest.raises(TypeError, match="max_cost"):
        Stage(after=30)  # type: ignore[call-arg]
    assert Stage(after=30, max_cost=None).max_cost is None
