"""[[queues]] closed_rule, closed_queue and added_at, and a group's manual wrap_up
(docs/scenarios.md): what closing does to waiting contacts, queues added during a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub.records import ContactRecord
from experiencehub.sim import kpi, report
from experiencehub.sim.engine import run
from experiencehub.sim.scenario import ScenarioError

from .test_engine import scenario, timeline

CLOSING = 'closed = [{ start = 5, end = 50, reason = "storm" }]'


def outcomes(records: list[ContactRecord]) -> list[tuple[float, float | None, str, str | None]]:
    return [(r.arrived_at, r.ended_at, r.outcome, r.final_queue) for r in records]


def test_keep_serves_the_waiting_contacts_where_they_are(tmp_path: Path) -> None:
    result = run(scenario(tmp_path, [0.0, 1.0, 2.0], queue=CLOSING + '\nclosed_rule = "keep"'))
    assert [r.outcome for r in result.records] == ["handled"] * 3


def test_end_ends_the_waiting_contacts_at_closing_with_outcome_closed(tmp_path: Path) -> None:
    result = run(scenario(tmp_path, [0.0, 1.0, 2.0], queue=CLOSING + '\nclosed_rule = "end"'))
    assert timeline(result.records) == [
        ("q", 0.0, 0.0, 10.0, "handled"),  # connected: stays with its agent
        ("q", 1.0, None, 5.0, "closed"),
        ("q", 2.0, None, 5.0, "closed"),
    ]
    assert [r.wait for r in result.records] == [0.0, 4.0, 3.0]  # they waited until the closing
    block = kpi.kpi_block(result.records, kpi.PRESETS["experiencehub"])
    assert (block["closed"], block["refused"], block["abandoned"]) == (2, 0, 0)
    assert block["service_level"] == pytest.approx(1 / 3)  # the ended ones are misses


def test_move_serves_the_waiting_contacts_in_the_closed_queue(tmp_path: Path) -> None:
    queue = CLOSING + '\nclosed_rule = "move"\nclosed_queue = "other"'
    result = run(scenario(tmp_path, [0.0, 1.0, 2.0, 20.0], queue=queue))
    assert outcomes(result.records) == [
        (0.0, 10.0, "handled", None),
        (1.0, 20.0, "handled", "other"),  # moved at the closing, served there
        (2.0, 30.0, "handled", "other"),
        (20.0, 40.0, "handled", "other"),  # arrived while closed: sent to closed_queue
    ]
    assert [r.queue for r in result.records] == ["q"] * 4  # where they arrived


def test_a_closed_queue_with_keep_sends_arrivals_to_closed_queue(tmp_path: Path) -> None:
    queue = CLOSING + '\nclosed_queue = "other"'
    result = run(scenario(tmp_path, [0.0, 1.0, 20.0], queue=queue))
    assert outcomes(result.records) == [
        (0.0, 10.0, "handled", None),
        (1.0, 20.0, "handled", None),  # kept in q
        (20.0, 30.0, "handled", "other"),
    ]


def test_the_closing_keys_are_checked_with_key_paths(tmp_path: Path) -> None:
    extra = '[[queues]]\nname = "mail"\nchannel = "email"\n'
    cases = {
        'closed_rule = "drop"': "queues[0].closed_rule: one of keep, move, end, got 'drop'",
        'closed_rule = "move"': "queues[0].closed_queue: required with closed_rule = 'move' "
        "(the queue its waiting contacts move to)",
        'closed_queue = "nope"': "queues[0].closed_queue: unknown queue 'nope' (queues: mail, "
        "other, q)",
        'closed_queue = "q"': "queues[0].closed_queue: must name another queue, got 'q' "
        "(the queue itself)",
        'closed_queue = "mail"': "queues[0].closed_queue: 'mail' serves 'email', not 'phone': a "
        "contact keeps its channel, so it can only move to a queue on the same channel",
    }
    for key, problem in cases.items():
        with pytest.raises(ScenarioError) as raised:
            scenario(tmp_path, [0.0], queue=key, extra=extra)
        assert problem in raised.value.problems, key


ADDED = '[[queues]]\nname = "promo"\nchannel = "phone"\nrequires = ["s"]\nadded_at = {at}\n{more}'
PROMO = """
[[workload]]
queue = "promo"
arrivals = { kind = "trace", path = "arrivals.csv" }
handle_seconds = { kind = "deterministic", value = 10 }
"""


def test_a_queue_added_during_the_run_takes_its_workload_from_added_at(tmp_path: Path) -> None:
    extra = ADDED.format(at=100, more="") + PROMO
    result = run(scenario(tmp_path, [0.0, 150.0], extra=extra))
    promo = [r for r in result.records if r.queue == "promo"]
    assert [(r.arrived_at, r.answered_at, r.outcome) for r in promo] == [(150.0, 150.0, "handled")]
    assert [r.arrived_at for r in result.records if r.queue == "q"] == [0.0, 150.0]


def test_an_added_queue_can_close_and_be_a_closed_queue(tmp_path: Path) -> None:
    more = 'closed = [{ start = 200 }]\nclosed_queue = "other"'
    result = run(scenario(tmp_path, [0.0, 150.0, 250.0], extra=ADDED.format(at=100, more=more) + PROMO))
    promo = [r for r in result.records if r.queue == "promo"]
    assert [(r.arrived_at, r.final_queue) for r in promo] == [(150.0, None), (250.0, "other")]


def test_added_at_is_checked_with_key_paths(tmp_path: Path) -> None:
    more = "closed = [{ start = 50 }]"
    extra = ADDED.format(at=5000, more=more) + PROMO
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], extra=extra, queue='closed_queue = "promo"',
                 agent="profile = { promo = { priority = 1 } }")  # fmt: skip
    problems = raised.value.problems
    assert "queues[2].added_at: must be >= 0 and < the run's end (1000.0 s: warmup + duration), got 5000.0" in problems
    assert "queues[2].closed[0].start: must be >= added_at (5000.0): the queue does not exist before, got 50.0" in problems
    assert ("queues[0].closed_queue: 'promo' is added at 5000.0 s, after this queue (0.0 s): the router "
            "needs it configured first") in problems  # fmt: skip
    assert any(p.startswith("agents[0].profile.promo: queue 'promo' is added at 5000.0 s") for p in problems)


def test_a_transfer_to_an_added_queue_is_refused(tmp_path: Path) -> None:
    workload = 'transfer = { probability = 0.5, queue = "promo" }'
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], extra=ADDED.format(at=100, more=""), workload=workload)
    assert raised.value.problems[0].startswith("workload[0].transfer.queue: 'promo' is added during the run")


def test_a_group_with_shifts_after_added_at_may_name_the_queue_in_its_profile(tmp_path: Path) -> None:
    agent = "profile = { promo = { priority = 1 }, q = { priority = 2 } }\nshifts = [{ start = 100, end = 900 }]"
    result = run(scenario(tmp_path, [150.0], extra=ADDED.format(at=100, more="") + PROMO, agent=agent))
    assert {r.outcome for r in result.records} == {"handled"}


def test_a_groups_manual_wrap_up_ends_after_a_drawn_time(tmp_path: Path) -> None:
    agent = 'wrap_up = { mode = "manual", duration = { kind = "deterministic", value = 7 } }'
    result = run(scenario(tmp_path, [0.0, 1.0], agent=agent))
    assert [r.answered_at for r in result.records] == [0.0, 17.0]  # 10 s talk + 7 s wrap-up
    assert [r.wrap_seconds for r in result.records] == [7.0, 7.0]


def test_a_groups_manual_wrap_up_overrides_a_queues_timed_one(tmp_path: Path) -> None:
    agent = 'wrap_up = { mode = "manual", duration = { kind = "deterministic", value = 3 } }'
    queue = 'wrap_up = { mode = "timed", seconds = 30 }'
    result = run(scenario(tmp_path, [0.0, 1.0], agent=agent, queue=queue))
    assert [r.answered_at for r in result.records] == [0.0, 13.0]


def test_a_groups_manual_wrap_up_needs_a_duration(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], agent='wrap_up = { mode = "manual" }')
    assert raised.value.problems == [
        "agents[0].wrap_up.duration: required for manual wrap-up (a distribution)"
    ]


def test_a_consult_to_an_added_queue_is_refused(tmp_path: Path) -> None:
    five = '{ kind = "deterministic", value = 5 }'
    workload = (f'consult = {{ share = 0.5, queue = "promo", after_seconds = {five}, '
                f'talk_seconds = {five}, outcomes = {{ transfer = 1.0 }} }}')
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], extra=ADDED.format(at=100, more=""), workload=workload)
    assert any(p.startswith("workload[0].consult.queue: 'promo' is added during the run")
               for p in raised.value.problems), raised.value.problems


def test_the_report_tables_show_closed_only_when_a_contact_ended_at_a_closing() -> None:
    assert "closed" not in report.shown_kpis([{"closed": 0, "asa": 1.0}])
    assert "closed" in report.shown_kpis([{"closed": 0}, {"closed": 2.0}])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    arrivals=st.lists(st.integers(0, 300), min_size=1, max_size=12),
    start=st.integers(1, 200),
    length=st.integers(1, 200),
    rule=st.sampled_from(["keep", "move", "end"]),
)
def test_every_contact_is_recorded_and_only_end_ends_at_the_closing(
    tmp_path: Path, arrivals: list[int], start: int, length: int, rule: str
) -> None:
    queue = f'closed = [{{ start = {start}, end = {start + length} }}]\nclosed_rule = "{rule}"'
    if rule == "move":
        queue += '\nclosed_queue = "other"'
    times = sorted(float(t) for t in arrivals)
    records = run(scenario(tmp_path, times, queue=queue)).records
    assert sorted(r.arrived_at for r in records) == times  # none vanished
    assert all(r.outcome != "unfinished" for r in records)
    closed = [r for r in records if r.outcome == "closed"]
    assert (rule == "end") or not closed
    for r in closed:  # waiting at the closing, ended then
        assert r.ended_at == start and r.arrived_at <= start and r.answered_at is None
    for r in records:  # arrivals while closed: refused, or served in "other" under move
        if start <= r.arrived_at < start + length:
            assert r.outcome == ("handled" if rule == "move" else "refused"), r
