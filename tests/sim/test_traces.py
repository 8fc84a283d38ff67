"""Trace files: every bad row is reported with its file and line; good rows are replayed."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiencehub.sim.scenario import ScenarioError, load_scenario_text
from experiencehub.sim.traces import read_trace

SCENARIO = """
[simulation]
duration = 3600
[[queues]]
name = "q"
channel = "phone"
requires = ["s"]
[[agents]]
group = "g"
count = 2
skills = { s = 1 }
capacity = { phone = 1 }
[[workload]]
queue = "q"
arrivals = { kind = "trace", path = "arrivals.csv" }
handle_seconds = { kind = "exponential", mean = 60 }
"""


def test_a_header_and_blank_lines_are_not_problems(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("arrival_seconds,note\n5,a\n\n1.5,b\n  \n")
    trace = read_trace(tmp_path / "t.csv")
    assert trace.times == [5.0, 1.5] and trace.problems == []


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ("12:30", "'12:30' is not a number of seconds"),
        ("-4", "-4.0 is negative (seconds from the start of the run)"),
        ("nan", "'nan' is not a finite number of seconds"),
        (",7", "the first column is empty (an arrival time in seconds is expected)"),
    ],
)
def test_each_bad_row_is_reported_by_file_and_line(tmp_path: Path, row: str, why: str) -> None:
    path = tmp_path / "arrivals.csv"
    path.write_text(f"seconds\n1\n{row}\n3\n")
    trace = read_trace(path)
    assert trace.times == [1.0, 3.0]
    assert trace.problems == [f"{path}: line 3: {why}"]
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(SCENARIO, base_dir=tmp_path)
    assert info.value.problems == [f"workload[0].arrivals.path: {path}: line 3: {why}"]


def test_a_trace_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "arrivals.csv"
    path.write_bytes(b"1\n2\n\xff\xfe3\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(SCENARIO, base_dir=tmp_path)
    [problem] = info.value.problems
    assert problem.startswith(f"workload[0].arrivals.path: {path}: not UTF-8 text")


def test_a_clean_trace_loads(tmp_path: Path) -> None:
    (tmp_path / "arrivals.csv").write_text("0\n10\n20\n")
    assert (
        load_scenario_text(SCENARIO, base_dir=tmp_path).workload[0].arrivals.path == "arrivals.csv"
    )
