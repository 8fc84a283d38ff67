"""Cost and agent-load KPIs: the Gini coefficient, cost per contact and per resolved issue, and the
longest stretch an agent works without a break, counted by the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from experiencehub.cli import app
from experiencehub.sim import kpi
from experiencehub.sim.agent_load import AGENT_LOAD_KPI_KEYS, agent_load_kpis, gini
from experiencehub.sim.engine import run
from experiencehub.sim.kpi import AgentTime
from experiencehub.sim.runs import simulate
from experiencehub.sim.scenario import ScenarioError, load_scenario_text

from .test_engine import scenario


def _gini_by_pairs(values: list[float]) -> float:
    n, mean = len(values), sum(values) / len(values)
    return sum(abs(a - b) for a in values for b in values) / (2 * n * n * mean)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30), st.floats(0.1, 10.0))
def test_gini_matches_the_pairwise_definition_and_ignores_scale(
    values: list[float], scale: float
) -> None:
    got = gini(values)
    assert got is not None and 0.0 <= got <= 1 - 1 / len(values) + 1e-12
    if sum(values) > 1e-9:
        assert got == pytest.approx(_gini_by_pairs(values), abs=1e-9)
        assert gini([v * scale for v in values]) == pytest.approx(got, abs=1e-9)
    assert gini([values[0]] * len(values)) == pytest.approx(0.0, abs=1e-12)


def _agent(name: str, busy: float, idle: float, **more: float) -> AgentTime:
    return AgentTime(name, busy, idle, frozenset(), frozenset(), **more)  # type: ignore[arg-type]


def test_cost_is_staffed_time_times_rate() -> None:
    agents = [
        _agent("a", 1800.0, 1800.0, answered=10, cost_per_hour=20.0, longest_stretch=3000.0),
        _agent("b", 3600.0, 0.0, answered=14, cost_per_hour=40.0, longest_stretch=3600.0),
    ]
    agents.append(AgentTime("c", 0.0, 1800.0, frozenset(), frozenset(), away={"break": 1800.0},
                            cost_per_hour=20.0))  # fmt: skip
    load = agent_load_kpis(agents, contacts=24, resolved=12)
    assert load["staffed_hours"] == 3.0
    assert load["agent_cost"] == 20.0 + 40.0 + 20.0
    assert load["cost_per_contact"] == pytest.approx(80.0 / 24)
    assert load["cost_per_resolved_issue"] == pytest.approx(80.0 / 12)
    assert (load["occupancy_min"], load["occupancy_max"]) == (0.0, 1.0)
    assert load["contacts_per_agent"] == 8.0 and load["longest_stretch"] == 3600.0
    assert load["occupancy_gini"] == pytest.approx(_gini_by_pairs([0.5, 1.0, 0.0]))


def test_without_rates_the_cost_kpis_are_none() -> None:
    load = agent_load_kpis([_agent("a", 10.0, 10.0)], contacts=3, resolved=1)
    assert load["agent_cost"] is None and load["cost_per_contact"] is None
    assert load["staffed_hours"] == pytest.approx(20 / 3600)
    empty = agent_load_kpis([], contacts=0, resolved=0)
    assert empty["occupancy_gini"] is None and empty["longest_stretch"] is None


def test_the_simulator_counts_the_longest_stretch_and_the_cost(tmp_path: Path) -> None:
    breaks = '{ at = 200, seconds = 100 }, { at = 350, seconds = 50, reason = "training" }'
    agent = f"shifts = [{{ start = 100, end = 500, breaks = [{breaks}] }}]\ncost_per_hour = 36"
    result = run(scenario(tmp_path, [0.0, 250.0], agent=agent))
    (agent_time,) = result.agents
    # worked 100-200, 300-350 and 400-500: the longest stretch is 100 s
    assert agent_time.longest_stretch == 100.0
    assert agent_time.cost_per_hour == 36.0
    unbroken = run(scenario(tmp_path, [0.0, 250.0], agent="shifts = [{ start = 100, end = 500 }]"))
    assert unbroken.agents[0].longest_stretch == 400.0
    blocks = kpi.run_kpis(result.records, kpi.PRESETS["experiencehub"], result.agents,
                          measured=result.measured)  # fmt: skip
    overall, group = blocks["overall"], blocks["by_group"]["g"]
    assert overall["agent_cost"] == pytest.approx(400 / 3600 * 36)  # staffed 400 s, breaks paid
    assert overall["cost_per_contact"] == pytest.approx(4.0 / overall["answered"])
    assert group["agent_cost"] == overall["agent_cost"] and group["longest_stretch"] == 100.0


def test_a_negative_rate_is_refused() -> None:
    text = """
[simulation]
duration = 60
[[queues]]
name = "q"
channel = "phone"
requires = ["s"]
[[agents]]
group = "g"
count = 1
skills = { s = 1 }
cost_per_hour = -3
[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 1 }
handle_seconds = { kind = "exponential", mean = 60 }
patience_seconds = { kind = "exponential", mean = 60 }
"""
    with pytest.raises(ScenarioError, match=r"agents\[0\].cost_per_hour: must be >= 0"):
        load_scenario_text(text)


def test_reports_show_load_and_cost(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[2] / "scenarios" / "policy-comparison.toml"
    text = path.read_text().replace("[[agents]]\n", "[[agents]]\ncost_per_hour = 25\n")
    priced = tmp_path / "priced.toml"
    priced.write_text(text)
    result = simulate(load_scenario_text(text), replications=2)
    overall = result.kpis["overall"]
    assert all(key in overall for key in AGENT_LOAD_KPI_KEYS)
    assert overall["cost_per_contact"] > 0 and result.ci95["overall"]["agent_cost"] is not None
    out = CliRunner().invoke(app, ["simulate", str(priced), "--replications", "1", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)["kpis"]
    assert data["overall"]["cost_per_resolved_issue"] > 0
    assert all("occupancy_gini" in block for block in data["by_group"].values())
    table = CliRunner().invoke(app, ["simulate", str(priced), "--replications", "1"])
    assert "Agent load and cost" in table.stdout and "cost per contact" in table.stdout
