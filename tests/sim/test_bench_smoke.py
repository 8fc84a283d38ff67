"""The simulator's asv suite still runs (setup and one call at a small size); no timing asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks.sim", ROOT / "benchmarks" / "sim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_suite_scenarios_load(bench: ModuleType) -> None:
    for name in bench.SCENARIOS:
        assert bench.load(name).simulation.replications == 1


def test_single_queue_benchmark_runs(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "SINGLE_QUEUE_HOURS", 0.05)
    monkeypatch.setattr(bench, "REPEATS", 1)
    suite = bench.SimulatedCustomer()
    suite.setup("single-queue")
    suite.time_replication("single-queue")
    assert suite.track_us_per_customer("single-queue") > 0
    assert suite.track_router_events_per_customer("single-queue") >= 2.0  # arrive, accept, end


def test_million_day_scenario_is_the_issue_6_size(bench: ModuleType) -> None:
    from experiencehub.sim.engine import run  # noqa: PLC0415

    day = bench.load(bench.MILLION_DAY)
    assert sum(group.count for group in day.agents) == 2000
    assert day.simulation.duration == 86400
    assert {q.channel for q in day.queues} == {"phone", "chat", "email"}
    slice_ = day.with_overrides(duration=300.0)  # five minutes of the night: runs in a second
    assert len(run(slice_).records) > 100


def test_customer_model_benchmark_runs(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "REPEATS", 1)
    short = bench.load(bench.JOURNEYS).with_overrides(duration=600.0, warmup=0.0)
    monkeypatch.setattr(bench, "load", lambda name: short)
    suite = bench.CustomerModel()
    for context in suite.params:
        suite.setup(context)
        assert suite.scenario.context.enabled == (context == "on")
        assert suite.track_us_per_customer(context) > 0


def test_sweep_benchmark_runs(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "benchmarks.sweep", ROOT / "benchmarks" / "sweep.py"
    )
    assert spec is not None and spec.loader is not None
    sweep = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = sweep
    spec.loader.exec_module(sweep)
    out = tmp_path / "sweep.json"
    args = ["--scenario", "policy-comparison", "--points", "2", "--replications", "1"]
    assert sweep.main([*args, "--hours", "0.1", "--json", str(out)]) == 0
    assert out.exists()
    suite = sweep.SweepWorkers()
    suite.setup(1)
    assert suite.grid == {"agents.generalist.count": range(9, 13)}
