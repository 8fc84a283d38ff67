"""Sweeps and scenario comparisons: the grid, validation before running, common random numbers,
and the same KPI blocks whether replications run here, in worker processes or on Dask."""

from __future__ import annotations

import pickle

import pytest

from experiencehub.sim.overrides import OverrideError, parse_setting
from experiencehub.sim.parallel import Task, run_task, run_tasks
from experiencehub.sim.runs import simulate
from experiencehub.sim.scenario import Scenario, load_scenario_text
from experiencehub.sim.sweep import SweepResult, compare_scenarios, grid_points, sweep

TEXT = """
[simulation]
duration = 1800
warmup = 0
seed = 3
replications = 2
[[queues]]
name = "q"
channel = "chat"
requires = ["s"]
[[agents]]
group = "g"
count = 2
skills = { s = 1 }
capacity = { chat = 1 }
[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 60 }
handle_seconds = { kind = "exponential", mean = 80 }
patience_seconds = { kind = "exponential", mean = 60 }
"""
GRID = {"agents.g.count": range(1, 3), "simulation.policy": ["longest_idle", "random"]}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario_text(TEXT, name="tiny")


@pytest.fixture(scope="module")
def serial(scenario: Scenario) -> SweepResult:
    return sweep(scenario, GRID, workers=1)


def test_the_grid_is_the_cartesian_product_last_axis_fastest(serial: SweepResult) -> None:
    assert serial.axes == ("agents.g.count", "simulation.policy")
    assert [dict(p.settings) for p in serial.points] == [
        {"agents.g.count": 1, "simulation.policy": "longest_idle"},
        {"agents.g.count": 1, "simulation.policy": "random"},
        {"agents.g.count": 2, "simulation.policy": "longest_idle"},
        {"agents.g.count": 2, "simulation.policy": "random"},
    ]
    assert [p.scenario.agents[0].count for p in serial.points] == [1, 1, 2, 2]
    assert serial.points[1].label == "agents.g.count=1 · simulation.policy=random"
    assert serial.replications == 2 and serial.seed == 3


def test_each_point_equals_simulating_its_scenario(serial: SweepResult) -> None:
    for point in serial.points:
        alone = simulate(point.scenario)
        assert point.per_run == alone.per_run
        assert (point.kpis, point.ci95) == (alone.kpis, alone.ci95)
        assert point.contacts == alone.customers and point.runs == ()


def test_points_see_the_same_customers(serial: SweepResult) -> None:
    # common random numbers: first contacts are identical, whatever the staffing or policy
    offered = {p.per_run[0]["overall"]["offered"] for p in serial.points}
    assert len(offered) == 1


def test_worker_processes_give_the_serial_blocks_exactly(
    scenario: Scenario, serial: SweepResult
) -> None:
    parallel = sweep(scenario, GRID, workers=2)
    assert [p.per_run for p in parallel.points] == [p.per_run for p in serial.points]
    assert _without_wall_time(parallel) == _without_wall_time(serial)


def _without_wall_time(result: SweepResult) -> dict[str, object]:
    shape = result.to_dict()
    for point in shape["points"]:
        del point["wall_seconds"]
    return shape


def test_dask_gives_the_serial_blocks_exactly(scenario: Scenario, serial: SweepResult) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = sweep(scenario, GRID, scheduler=cluster.scheduler_address)
    assert [p.per_run for p in on_dask.points] == [p.per_run for p in serial.points]


def test_only_kpi_blocks_travel_unless_records_are_asked(scenario: Scenario) -> None:
    light, full = run_task(Task(scenario, 0)), run_task(Task(scenario, 0, keep_records=True))
    assert light.run is None and full.run is not None
    assert light.kpis == full.kpis and light.contacts == len(full.run.records)
    assert len(pickle.dumps(light)) < len(pickle.dumps(full))
    kept = sweep(scenario, {"agents.g.count": [2]}, records=True, workers=1)
    assert [len(r.records) for r in kept.points[0].runs] == [
        len(r.records) for r in simulate(kept.points[0].scenario).runs
    ]


def test_rows_find_and_differences(serial: SweepResult) -> None:
    rows = serial.rows()
    assert len(rows) == 4 and rows[2]["agents.g.count"] == 2
    assert rows[2]["service_level"] == serial.points[2].kpis["overall"]["service_level"]
    assert rows[2]["service_level_ci95"] == serial.points[2].ci95["overall"]["service_level"]
    assert serial.rows("by_queue", "q")[0]["asa"] == serial.points[0].kpis["by_queue"]["q"]["asa"]
    two = serial.find({"agents.g.count": 2, "simulation.policy": "longest_idle"})
    assert two is serial.points[2]
    with pytest.raises(KeyError):
        serial.find({"agents.g.count": 7})
    mean, _ = serial.difference(2)
    base, other = (serial.points[i].per_run for i in (0, 2))
    expected = sum(
        o["overall"]["service_level"] - b["overall"]["service_level"]
        for b, o in zip(base, other, strict=True)
    ) / len(base)
    assert mean["overall"]["service_level"] == pytest.approx(expected)
    shape = serial.to_dict()
    assert shape["points"][0]["difference"] is None
    assert shape["points"][2]["difference"]["mean"] == mean


def test_replications_and_seed_apply_to_every_point(scenario: Scenario) -> None:
    result = sweep(scenario, {"agents.g.count": [1, 2]}, replications=1, seed=9, workers=1)
    assert result.replications == 1 and result.seed == 9
    assert all(p.scenario.simulation.seed == 9 and len(p.per_run) == 1 for p in result.points)


def test_bad_values_are_reported_before_anything_runs(scenario: Scenario) -> None:
    axes = [
        parse_setting("agents.g.count=0..1"),
        parse_setting("agents.h.count=1"),
        parse_setting("simulation.policy=random,fastes"),
    ]
    with pytest.raises(OverrideError) as caught:
        grid_points(scenario, axes)
    assert caught.value.problems == [
        "--set agents.g.count=0..1: value 0: agents[0].count: must be >= 1, got 0",
        "--set agents.h.count=1: agents.h.count: no entry of agents is named 'h' (names: g)",
        "--set simulation.policy=random,fastes: value fastes: simulation.policy: must be one of "
        "longest_idle, most_proficient, least_occupied, round_robin, fewest_skills, random, "
        "fastest, best_resolution, resolution_rate or 'module:attribute' (a custom policy), "
        "got 'fastes'",
    ]


def test_combinations_are_checked_too(scenario: Scenario) -> None:
    # each value is valid alone; together they leave the queue unstable (nobody abandons)
    no_abandons = scenario_without_patience()
    axes = [
        parse_setting("agents.g.count=1,2"),
        parse_setting("workload.q.arrivals.per_hour=30,60"),
    ]
    with pytest.raises(OverrideError) as caught:
        grid_points(no_abandons, axes)
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert problem.startswith(
        "point agents.g.count=1 · workload.q.arrivals.per_hour=60: queues[0]: unstable"
    )


def scenario_without_patience() -> Scenario:
    text = TEXT.replace('patience_seconds = { kind = "exponential", mean = 60 }', "")
    return load_scenario_text(text.replace("per_hour = 60", "per_hour = 30"), name="patient")


def test_nothing_to_sweep_and_bad_workers(scenario: Scenario) -> None:
    with pytest.raises(OverrideError, match="at least one key"):
        sweep(scenario, {})
    with pytest.raises(ValueError, match="workers=0"):
        run_tasks([Task(scenario, 0)], workers=0)


def test_compare_scenarios_pairs_them(scenario: Scenario) -> None:
    more = load_scenario_text(TEXT.replace("count = 2", "count = 3"), name="more")
    result = compare_scenarios({"tiny": scenario, "more": more}, workers=1)
    assert result.axes == ("scenario",)
    assert [p.label for p in result.points] == ["scenario=tiny", "scenario=more"]
    assert result.points[1].per_run == simulate(more).per_run
    mean, _ = result.difference(1)
    assert mean["overall"]["asa"] < 0  # a third agent answers sooner
    other_seed = load_scenario_text(TEXT.replace("seed = 3", "seed = 4"))
    with pytest.raises(ValueError, match="seed differs between the scenarios"):
        compare_scenarios({"a": scenario, "b": other_seed})
    assert compare_scenarios({"a": scenario, "b": other_seed}, seed=1, workers=1).seed == 1
    with pytest.raises(ValueError, match="at least two"):
        compare_scenarios({"a": scenario})
