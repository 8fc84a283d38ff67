"""Targets met or missed, staffing, intervals too wide to conclude, and progress over the KPIs."""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiencehub.sim import runs
from experiencehub.sim.confidence import t_quantile_975
from experiencehub.sim.report import write_comparison_report, write_html_report
from experiencehub.sim.runs import compare, simulate
from experiencehub.sim.scenario import ScenarioError, load_scenario_text
from experiencehub.sim.verdicts import (
    comparison_warnings,
    staffing,
    suggested_replications,
    target_checks,
    wide_interval_warnings,
)

TEXT = """
name = "verdicts"
[simulation]
duration = 3600
warmup = 600
replications = 3
seed = 4
[[queues]]
name = "easy"
channel = "chat"
requires = ["s"]
service_level_seconds = 30
[[queues]]
name = "hard"
channel = "phone"
requires = ["s"]
service_level_target = 0.99
[[agents]]
group = "chatters"
count = 4
skills = { s = 1 }
capacity = { chat = 1 }
[[agents]]
group = "callers"
count = 2
skills = { s = 1 }
capacity = { phone = 1 }
shifts = [{ start = 0, end = 2400 }, { start = 3000, end = 4200 }]
[[workload]]
queue = "easy"
segment = "gold"
service_level_seconds = 10
service_level_target = 0.9
arrivals = { kind = "poisson", per_hour = 6 }
handle_seconds = { kind = "exponential", mean = 60 }
[[workload]]
queue = "hard"
segment = "gold"
arrivals = { kind = "poisson", per_hour = 100 }
handle_seconds = { kind = "exponential", mean = 70 }
patience_seconds = { kind = "exponential", mean = 60 }
"""


@pytest.fixture(scope="module")
def result() -> runs.Result:
    return simulate(load_scenario_text(TEXT))


def test_each_queue_and_segment_is_judged_against_its_threshold_and_target(
    result: runs.Result,
) -> None:
    checks = {(c.kind, c.name): c for c in target_checks(result)}
    easy, hard, gold = checks["queue", "easy"], checks["queue", "hard"], checks["segment", "gold"]
    assert (easy.thresholds, easy.target, easy.verdict) == ((30.0,), 0.8, "met")
    assert (hard.thresholds, hard.target, hard.verdict) == ((20.0,), 0.99, "missed")
    assert hard.certain and hard.verdict_text == "missed"
    # a segment spans queues: every threshold shown, judged against the highest target
    assert (gold.thresholds, gold.target, gold.threshold_text) == ((10.0, 20.0), 0.99, "10–20 s")
    assert gold.service_level == result.kpis["by_segment"]["gold"]["service_level"]


def test_a_verdict_the_interval_does_not_settle_says_so(result: runs.Result) -> None:
    by_queue = dict(result.kpis["by_queue"])
    halves = dict(result.ci95["by_queue"])
    by_queue["easy"] = {**by_queue["easy"], "service_level": 0.82}
    halves["easy"] = {**halves["easy"], "service_level": 0.05}
    shaky = attrs.evolve(
        result,
        kpis={**result.kpis, "by_queue": by_queue},
        ci95={**result.ci95, "by_queue": halves},
    )
    easy = next(c for c in target_checks(shaky) if c.name == "easy")
    assert not easy.certain and easy.verdict_text == "met (CI spans the target)"


def test_a_target_must_be_a_share() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(TEXT.replace("service_level_target = 0.99", "service_level_target = 80"))
    assert info.value.problems == [
        "queues[1].service_level_target: must be a share in (0, 1], e.g. 0.8, got 80.0"
    ]


def test_staffing_counts_scheduled_hours_inside_the_measured_window(result: runs.Result) -> None:
    chatters, callers = staffing(result.scenario)
    assert (chatters.agents, chatters.shifts, chatters.scheduled_hours) == (4, "whole run", 4.0)
    # shifts 0–2400 and 3000–4200, measured 600–4200: 1800 + 1200 s per agent, 2 agents
    assert callers.shifts == "0–0.666667 h, 0.833333–1.16667 h"
    assert callers.scheduled_hours == pytest.approx(2 * 3000 / 3600)
    assert callers.skills == "s 1" and callers.capacity == "phone 1"


def _with_overall(result: runs.Result, **halves: float) -> runs.Result:
    return attrs.evolve(
        result, ci95={**result.ci95, "overall": {**result.ci95["overall"], **halves}}
    )


def test_wide_intervals_are_named_with_the_replications_that_would_narrow_them(
    result: runs.Result,
) -> None:
    narrow = {"by_queue": {q: {} for q in result.kpis["by_queue"]}}
    calm = attrs.evolve(
        result,
        ci95={**narrow, "overall": {"service_level": 0.01, "asa": 0.0, "p_abandon": 0.01}},
    )
    assert wide_interval_warnings(calm) == []
    wide = attrs.evolve(
        calm, ci95={**calm.ci95, "overall": {**calm.ci95["overall"], "service_level": 0.08}}
    )
    [warning] = wide_interval_warnings(wide)
    needed = suggested_replications(3, half_width=0.08, limit=0.05)
    assert warning.startswith("95% intervals too wide to conclude (overall service level)")
    assert warning.endswith(
        f"about {needed} replications would narrow them (--replications {needed})"
    )


def test_one_replication_has_no_interval_to_judge() -> None:
    one = simulate(load_scenario_text(TEXT), replications=1)
    assert wide_interval_warnings(one)[0].startswith("one replication: no confidence intervals")


@given(
    st.integers(2, 50),
    st.floats(0.001, 10.0),
    st.floats(0.001, 10.0),
)
def test_suggested_replications_are_the_fewest_that_would_do(
    replications: int, half_width: float, limit: float
) -> None:
    n = suggested_replications(replications, half_width=half_width, limit=limit)
    spread = half_width * math.sqrt(replications) / t_quantile_975(replications - 1)

    def half(k: int) -> float:
        return t_quantile_975(k - 1) * spread / math.sqrt(k)

    assert n > replications
    assert n == 1000 or half(n) <= limit
    assert n == replications + 1 or half(n - 1) > limit


def test_compare_warns_when_the_difference_cannot_be_told_from_zero() -> None:
    comparison = compare(load_scenario_text(TEXT), ["longest_idle", "random"])
    mean, half = comparison.differences["random"]
    blurred = {**mean["overall"], "service_level": 0.01, "asa": 0.0, "p_abandon": 0.0}
    halves = {**half["overall"], "service_level": 0.02, "asa": 0.0, "p_abandon": 0.0}
    unclear = attrs.evolve(
        comparison,
        differences={"random": ({**mean, "overall": blurred}, {**half, "overall": halves})},
    )
    assert comparison_warnings(unclear) == [
        "random vs longest_idle: the 95% interval of the difference contains 0 for service "
        "level, so these 3 replications cannot tell them apart there; more replications may"
    ]


def test_html_reports_show_targets_staffing_warnings_and_interval_plots(
    result: runs.Result, tmp_path: Path
) -> None:
    page = write_html_report(result, tmp_path / "one").read_text()
    assert "<h2>Service-level targets</h2>" in page and "<h2>Staffing</h2>" in page
    assert "queue hard" in page and "missed" in page and "whole run" in page
    for plot in ("offered.png", "abandon_share.png", "staffed.png", "service_level.png"):
        assert (tmp_path / "one" / plot).stat().st_size > 0 and plot in page
    comparison = compare(load_scenario_text(TEXT), ["longest_idle", "random"], replications=1)
    both = write_comparison_report(comparison, tmp_path / "two").read_text()
    assert "one replication: no confidence intervals on the differences" in both


def test_progress_moves_while_the_kpis_are_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    at_kpis: list[float] = []
    compute = runs.replication_kpis

    def spy(scenario: object, result: object) -> object:
        at_kpis.append(seen[-1])
        return compute(scenario, result)  # type: ignore[arg-type]

    monkeypatch.setattr(runs, "replication_kpis", spy)
    simulate(load_scenario_text(TEXT), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert at_kpis == pytest.approx(
        [runs.RUNS_SHARE, runs.RUNS_SHARE + 0.2 / 3, runs.RUNS_SHARE + 0.4 / 3]
    )
