"""[[queues]] closed and [[agents]] wrap_up: queues closed for part of a run, a group's own
wrap-up (docs/scenarios.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiencehub.sim.engine import run
from experiencehub.sim.scenario import ScenarioError

from .test_engine import scenario, timeline


def test_arrivals_while_closed_are_refused_and_the_waiting_one_is_served(tmp_path: Path) -> None:
    queue = 'closed = [{ start = 5, end = 50, reason = "storm" }]'
    result = run(scenario(tmp_path, [0.0, 1.0, 20.0, 60.0], queue=queue))
    assert timeline(result.records) == [
        ("q", 0.0, 0.0, 10.0, "handled"),
        ("q", 1.0, 10.0, 20.0, "handled"),  # waiting when it closed: served on
        ("q", 20.0, None, 20.0, "refused"),  # arrived while closed
        ("q", 60.0, 60.0, 70.0, "handled"),  # open again
    ]


def test_a_closure_without_end_lasts_to_the_end_of_the_run(tmp_path: Path) -> None:
    result = run(scenario(tmp_path, [0.0, 500.0], queue="closed = [{ start = 100 }]"))
    assert [r.outcome for r in result.records] == ["handled", "refused"]


def test_a_groups_own_wrap_up_overrides_the_queues(tmp_path: Path) -> None:
    agent = 'wrap_up = { mode = "timed", seconds = 15 }'
    result = run(scenario(tmp_path, [0.0, 1.0], agent=agent))
    assert [r.answered_at for r in result.records] == [0.0, 25.0]  # 10 s talk + 15 s wrap-up


def test_closures_are_checked_with_key_paths(tmp_path: Path) -> None:
    queue = "closed = [{ start = 50, end = 40 }, { start = 30 }, { start = 60 }]"
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], queue=queue)
    assert raised.value.problems == [
        "queues[0].closed[0].end: must be > start (50.0), got 40.0",
        "queues[0].closed[1].start: must be >= 40.0 (0, or the previous closure's end), got 30.0",
        "queues[0].closed[2]: the previous closure has no end (closed to the end of the run)",
    ]


HOURS = "hours = { weekly = [{ day = 0, start = 100, end = 200 }, { day = 0, start = 300, end = 400 }] }"


def test_a_queue_with_hours_refuses_arrivals_outside_them_and_closures_are_holidays(
    tmp_path: Path,
) -> None:
    queue = HOURS + "\nclosed = [{ start = 300, end = 400 }]"  # the second interval: a holiday
    result = run(scenario(tmp_path, [50.0, 150.0, 250.0, 350.0], queue=queue))
    assert [r.outcome for r in result.records] == ["refused", "handled", "refused", "refused"]


def test_hours_are_checked_with_key_paths(tmp_path: Path) -> None:
    queue = "hours = { weekly = [{ day = 7, start = 100, end = 90000 }] }"
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], queue=queue)
    assert raised.value.problems == [
        "queues[0].hours.weekly[0].day: must be 0 to 6, got 7",
        "queues[0].hours.weekly[0].end: must be > start (100.0) and <= 86400, got 90000.0",
    ]
