"""Smoke test for the asv suites: each benchmark's setup and one call at the smallest size.

No timing assertions (a shared machine is noisy; speed targets live in benchmarks/ only). The point
is that CI catches a benchmark broken by a change of the routing API before asv does.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"benchmarks.{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("router")


@pytest.fixture(scope="module")
def small(bench: ModuleType) -> tuple[int, int]:
    return 20, 60  # smaller than the suite's smallest size; the code paths are the same


def _benchmark_methods(cls: type) -> list[str]:
    prefixes = ("time_", "track_", "peakmem_", "mem_")
    return sorted(name for name in vars(cls) if name.startswith(prefixes))


@pytest.mark.parametrize("suite", ["RouterEvents", "RouterEventMedians", "StageExpansion"])
def test_parameterised_suites_run_once(
    bench: ModuleType, small: tuple[int, int], suite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = getattr(bench, suite)
    assert cls.params == (list(bench.AGENT_SIZES), list(bench.WAITING_SIZES))
    methods = _benchmark_methods(cls)
    assert methods, f"{suite} has no benchmarks"
    if hasattr(cls, "reps"):
        monkeypatch.setattr(cls, "reps", 5)
    for method in methods:
        result = bench.run_once(cls(), method, *small)
        if method.startswith("track_"):
            assert isinstance(result, float) and result > 0, (suite, method, result)


def test_floor_runs_once(bench: ModuleType) -> None:
    bench.run_once(bench.Floor(), "time_sortedlist_add_pop")


def test_memory_helpers_report_plausible_sizes(bench: ModuleType) -> None:
    per_contact = bench.bytes_per_waiting_contact(agents=20, waiting=200)
    per_agent = bench.bytes_per_agent(agents=50)
    # plausibility, not a target: a contact or agent costs something, and not megabytes
    assert 50 < per_contact < 100_000
    assert 50 < per_agent < 1_000_000
    assert callable(bench.Memory.peakmem_router_10k_agents_100k_waiting)


def test_scenario_is_in_the_intended_steady_state(bench: ModuleType) -> None:
    sc = bench.Scenario(40, 200)
    assert sc.router_waiting() == 200
    sc.router._check()
    bench.measure_arrival_offer(sc, 20)
    found = bench.measure_free_accept_enqueue(sc, 20)
    assert {k: len(v) for k, v in found.items()} == dict.fromkeys(found, 20)
    assert sc.router_waiting() == 200  # each cycle refills the queue it took from
    assert len(bench.measure_tick(sc, 20)) == 20
    assert sc.router_waiting() == 200  # each tick cycle replaces the contact it expanded
    sc.router._check()


def test_compare_imports_without_running(monkeypatch: pytest.MonkeyPatch) -> None:
    compare = _load("compare")
    assert callable(compare.main)
    report = compare.kpis([(700.0, 10.0, True), (800.0, 30.0, True), (900.0, 5.0, False)])
    assert report["p_abandon"] == pytest.approx(1 / 3)
    assert report["asa"] == pytest.approx(20.0)
    assert report["service_level"] == pytest.approx(1 / 3)


def test_revisions_measures_two_trees_in_lockstep() -> None:
    """The lockstep protocol: two children (here the same tree twice) build a small router,
    measure one turn of every event type each, and report a median per event."""
    revisions = _load("revisions")
    trees = {"one": ROOT, "two": ROOT}
    got = revisions._measure_lockstep(trees, 20, 60, reps=revisions.BURST, first=1)
    assert set(got) == {"one", "two"}
    for medians in got.values():
        assert set(medians) == set(revisions.EVENTS)
        assert all(0 < us < 10_000 for us in medians.values()), medians


def test_instructions_imports_without_running() -> None:
    instructions = _load("instructions")
    assert callable(instructions.main) and instructions.EVENTS == _load("revisions").EVENTS


def test_journal_suites_run_once(monkeypatch: pytest.MonkeyPatch) -> None:
    journal = _load("journal")
    monkeypatch.setattr(journal.JournalWrite, "events", 400, raising=False)
    for backend in ("off", "file", "sqlite"):
        suite = journal.JournalWrite()
        suite.setup(backend, "os")
        assert suite.track_events_per_second(backend, "os") > 0
        assert suite.track_share_of_speed_without_journal(backend, "os") > 0
        per_event = suite.track_journal_bytes_per_event(backend, "os")
        assert per_event == 0 if backend == "off" else 20 < per_event < 1000
    recovery = journal.JournalRecovery()
    recovery.setup(400, "every 10000")  # a snapshot only at the start: replays 399
    recovery.time_recover(400, "every 10000")
    recovery.teardown(400, "every 10000")


def test_tables_suite_runs_once() -> None:
    tables = _load("tables")
    suite = tables.WriteTables()
    from experiencehub.sim.runs import _TINY, simulate  # noqa: PLC0415
    from experiencehub.sim.scenario import load_scenario_text  # noqa: PLC0415

    result = simulate(load_scenario_text(_TINY))
    for fmt in tables.FORMATS:
        for timestamps in (False, True):
            suite.setup(result, fmt, timestamps)
            suite.time_write_tables(result, fmt, timestamps)
            assert suite.track_bytes_per_contact(result, fmt, timestamps) > 0
            suite.teardown(result, fmt, timestamps)


def test_router_feature_suites_run_once(monkeypatch: pytest.MonkeyPatch) -> None:
    features = _load("router_features")
    for name, cls in vars(features).items():
        if isinstance(cls, type) and hasattr(cls, "params"):
            if hasattr(cls, "reps"):  # the track_ suites' repetitions: a few are enough here
                monkeypatch.setattr(cls, "reps", 5)
            for method in _benchmark_methods(cls):
                features.run_once(cls(), method, 20, 60)
            assert cls.params == (list(features.AGENT_SIZES), list(features.WAITING_SIZES)), name


def test_the_criteria_suite_releases_the_classes_it_makes(small: tuple[int, int]) -> None:
    features = _load("router_features")
    suite = features.RoutingCriteriaEvents()
    suite.setup(*small)
    for name in _benchmark_methods(features.RoutingCriteriaEvents):
        getattr(suite, name)(*small)
    suite.sc.router._check()
    assert len(suite.sc.router._core.criteria_classes) == 1  # the holder's; the new one went
