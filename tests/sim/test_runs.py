"""Replications and comparisons: variants (policy × context), labels, pairing and JSON shapes."""

from __future__ import annotations

import pytest

from experiencehub.sim.runs import _TINY, compare, simulate
from experiencehub.sim.scenario import Scenario, load_scenario_text

TEXT = """
[simulation]
duration = 1200
warmup = 0
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


@pytest.fixture
def scenario() -> Scenario:
    return load_scenario_text(TEXT, name="tiny")


def test_simulate_context_overrides_the_file(scenario: Scenario) -> None:
    assert simulate(scenario).context is False
    on = simulate(scenario, context=True, replications=1)
    assert on.context is True and on.scenario.context.enabled
    assert on.to_dict()["context"] is True and on.label == on.policy == "longest_idle"


def test_compare_policies_keeps_the_old_shape(scenario: Scenario) -> None:
    comparison = compare(scenario, ["longest_idle", "round_robin"])
    assert [r.label for r in comparison.results] == ["longest_idle", "round_robin"]
    data = comparison.to_dict()
    assert data["baseline"] == "longest_idle" and data["replications"] == 2
    assert set(data["policies"]["round_robin"]) >= {"kpis", "ci95"}
    assert set(data["differences"]["round_robin"]) == {"mean", "ci95"}


def test_compare_contexts_pairs_every_variant_with_the_first(scenario: Scenario) -> None:
    comparison = compare(scenario, ["longest_idle", "fastest"], contexts=[True, False])
    labels = [r.label for r in comparison.results]
    assert labels == [
        "longest_idle · context on",
        "longest_idle · context off",
        "fastest · context on",
        "fastest · context off",
    ]
    assert [r.context for r in comparison.results] == [True, False, True, False]
    assert list(comparison.differences) == labels[1:]
    mean, _half = comparison.differences["fastest · context off"]
    assert mean["overall"]["offered"] == 0  # common random numbers: the same customers
    data = comparison.to_dict()
    assert data["baseline"] == labels[0] and list(data["policies"]) == labels
    assert data["variants"][3] == {"label": labels[3], "policy": "fastest", "context": False}


def test_one_context_labels_by_policy(scenario: Scenario) -> None:
    comparison = compare(scenario, ["longest_idle", "round_robin"], contexts=[True])
    assert [r.label for r in comparison.results] == ["longest_idle", "round_robin"]
    assert all(r.context for r in comparison.results)


@pytest.mark.parametrize(
    ("policies", "contexts", "message"),
    [
        ([], [None], "at least one policy"),
        (["longest_idle"], [], "at least one policy"),
        (["longest_idle", "longest_idle"], [None], "'longest_idle' given twice"),
        (["longest_idle"], [None, False], "'longest_idle' given twice"),  # the file says off
    ],
)
def test_compare_rejects_no_or_repeated_variants(
    scenario: Scenario, policies: list[str], contexts: list[bool | None], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compare(scenario, policies, contexts=contexts)


def test_result_records_is_a_sequence_like_a_run_results(scenario: Scenario) -> None:
    result = simulate(scenario)
    records = result.records
    assert isinstance(records, tuple) and isinstance(result.runs[0].records, list)
    assert list(records) == [r for run in result.runs for r in run.records]
    assert len(records) == result.customers and records[0] is result.runs[0].records[0]


def test_calling_result_records_as_the_old_method_warns_and_still_works(scenario: Scenario) -> None:
    result = simulate(scenario, replications=1)
    with pytest.warns(DeprecationWarning, match=r"write result.records instead"):
        old = list(result.records())
    assert old == list(result.records)


def test_replications_in_worker_processes_equal_the_serial_run() -> None:
    """Same seed, same records and KPIs, whether the replications run here or in two spawned
    worker processes (and whichever way the policy is given)."""
    tiny = load_scenario_text(_TINY, name="tiny").with_overrides(replications=3)
    serial = simulate(tiny, policy="round_robin")
    parallel = simulate(tiny, policy="round_robin", workers=2)
    assert parallel.per_run == serial.per_run and parallel.kpis == serial.kpis
    assert parallel.records == serial.records
    assert parallel.scenario == serial.scenario and parallel.policy == serial.policy
    both = compare(tiny, ["longest_idle", "round_robin"], workers=2)
    assert both.differences == compare(tiny, ["longest_idle", "round_robin"]).differences
