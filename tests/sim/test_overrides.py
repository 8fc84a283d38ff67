"""Dotted key paths and swept values: parsing, list entries by name or index, and the errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiencehub.sim.overrides import (
    OverrideError,
    axes_from_mapping,
    format_value,
    parse_setting,
    with_value,
)

RAW: dict[str, Any] = {
    "simulation": {"duration": 60},
    "queues": [{"name": "support", "stages": [{"after": 0}, {"after": 60}]}],
    "agents": [{"group": "tier1", "count": 4}, {"group": "tier2", "count": 2}],
    "workload": [{"queue": "support", "segment": "a"}, {"queue": "support", "segment": "b"}],
}


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("a.b=6..8", (6, 7, 8)),
        ("a.b=0..10..5", (0, 5, 10)),
        ("a.b=-2..-1", (-2, -1)),
        ("a.b=3", (3,)),
        ("a.b=0.5,1.5", (0.5, 1.5)),
        ("a.b=true,false", (True, False)),
        ("a.b=longest_idle, random", ("longest_idle", "random")),
        ('a.b="x,y",z', ("x,y", "z")),
        ("a.b=[1, 2],{ k = 1, j = 2 }", ([1, 2], {"k": 1, "j": 2})),
    ],
)
def test_values(text: str, values: tuple[Any, ...]) -> None:
    assert parse_setting(text).values == values


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("a.b", "expected PATH=VALUES"),
        ("=1", "expected PATH=VALUES"),
        ("a.b=", "expected PATH=VALUES"),
        ("a..b=1", "not a dotted key path"),
        ("a.b=1,,2", "an empty value"),
        ("a.b=3..1", "needs a <= b"),
        ("a.b=1..3..0", "step a..b..s must be >= 1"),
        ("simulation.seed=1,2", "cannot be swept: give --seed"),
        ("simulation.replications=2", "cannot be swept: give --replications"),
    ],
)
def test_bad_settings_name_the_set_and_the_rule(text: str, rule: str) -> None:
    with pytest.raises(OverrideError) as caught:
        parse_setting(text)
    assert caught.value.problems[0].startswith(f"--set {text}: ")
    assert rule in str(caught.value)


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("agents.tier2.count", ("agents", 1, "count")),
        ("agents[1].count", ("agents", 1, "count")),
        ("agents.1.count", ("agents", 1, "count")),
        ("queues.support.stages[1].after", ("queues", 0, "stages", 1, "after")),
        ("workload[1].segment", ("workload", 1, "segment")),
        ("simulation.policy", ("simulation", "policy")),
    ],
)
def test_paths_reach_entries_by_name_or_index(path: str, where: tuple[Any, ...]) -> None:
    changed = with_value(RAW, path, 99)
    node: Any = changed
    for step in where:
        node = node[step]
    assert node == 99
    assert changed != RAW and RAW["agents"][1]["count"] == 2  # the input is left as it was


def test_missing_tables_are_created() -> None:
    changed = with_value(RAW, "kpis.preset", "genesys")
    assert changed["kpis"] == {"preset": "genesys"} and "kpis" not in RAW


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("agents.tier3.count", "no entry of agents is named 'tier3' (names: tier1, tier2)"),
        ("agents[5].count", "agents has 2 entries, no [5]"),
        ("workload.support.priority", "'support' names workload[0], workload[1]; use an index"),
        ("simulation.duration.x", "simulation.duration is a value (60), not a table or list"),
    ],
)
def test_paths_that_lead_nowhere(path: str, rule: str) -> None:
    with pytest.raises(OverrideError) as caught:
        with_value(RAW, path, 1)
    assert caught.value.problems == [f"{path}: {rule}"]


def test_axes_from_a_mapping() -> None:
    axes = axes_from_mapping({"a.b": range(2), "c": "x", "d": [{"k": 1}], "e": {"k": 1}})
    assert [a.values for a in axes] == [(0, 1), ("x",), ({"k": 1},), ({"k": 1},)]
    with pytest.raises(OverrideError, match="no values"):
        axes_from_mapping({"a.b": []})


@pytest.mark.parametrize(
    "value",
    [8, 0.5, True, "longest_idle", [1, 2], {"kind": "exponential", "mean": 90}, {"s": "a b"}],
)
def test_format_value_is_what_set_takes(value: Any) -> None:
    assert parse_setting(f"a.b={format_value(value)}").values == (value,)


@given(
    low=st.integers(-50, 50),
    span=st.integers(0, 60),
    step=st.integers(1, 7),
)
def test_ranges_are_inclusive_python_ranges(low: int, span: int, step: int) -> None:
    axis = parse_setting(f"a.b={low}..{low + span}..{step}")
    assert axis.values == tuple(range(low, low + span + 1, step))


@given(
    index=st.integers(0, 1),
    by_name=st.booleans(),
    value=st.one_of(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3)),
)
def test_with_value_changes_one_key_and_copies(index: int, by_name: bool, value: Any) -> None:
    before = copy.deepcopy(RAW)
    entry = RAW["agents"][index]["group"] if by_name else str(index)
    changed = with_value(RAW, f"agents.{entry}.count", value)
    assert before == RAW
    assert changed["agents"][index]["count"] == value
    changed["agents"][index]["count"] = before["agents"][index]["count"]
    assert changed == before
