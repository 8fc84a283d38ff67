"""[[queues]] changes (docs/scenarios.md): a queue's keys changed during a run, sent to the
router as ``QueueChanged``; checked with key paths; the records stay right across a change."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from experiencehub.cli import app
from experiencehub.records import ContactRecord
from experiencehub.sim.closures import change_notes
from experiencehub.sim.engine import run
from experiencehub.sim.report import write_html_report
from experiencehub.sim.runs import simulate
from experiencehub.sim.scenario import (
    Distribution,
    QueueChange,
    Scenario,
    ScenarioError,
    StageConfig,
    WrapUpConfig,
    checked_scenario,
    load_scenario,
    scenario_from_dict,
    scenario_to_dict,
)
from experiencehub.sim.scenario_types import CHANGEABLE_QUEUE_KEYS
from experiencehub.sim.verdicts import target_checks

from .test_engine import scenario, timeline

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "queue-changes.toml"


def problems_of(tmp_path: Path, queue: str, **keys: str) -> list[str]:
    with pytest.raises(ScenarioError) as raised:
        scenario(tmp_path, [0.0], queue=queue, **keys)  # type: ignore[arg-type]
    return raised.value.problems


def with_changes(base: Scenario, name: str, *changes: QueueChange, **keys: object) -> Scenario:
    """``base`` with queue ``name``'s ``changes`` (and other keys) replaced, checked again."""
    queues = tuple(
        attrs.evolve(q, changes=changes, **keys) if q.name == name else q for q in base.queues
    )
    return checked_scenario(attrs.evolve(base, queues=queues))


def waits(records: list[ContactRecord]) -> list[float]:
    return [r.answered_at - r.arrived_at for r in records if r.answered_at is not None]


# -- the key, structured and checked -------------------------------------------------------------
def test_changes_are_structured_and_accumulate_into_versions(tmp_path: Path) -> None:
    queue = (
        'changes = [{ at = 5, requires = ["s"], max_length = 2 }, '
        "{ at = 7.5, stages = [{ after = 0, max_cost = 0 }, { after = 30 }] }]"
    )
    s = scenario(tmp_path, [0.0], queue=queue)
    first, second = s.queues[0].changes
    assert first == QueueChange(at=5.0, requires={"s": 1}, max_length=2)  # the short form
    assert second.stages == (StageConfig(after=0.0, max_cost=0.0), StageConfig(after=30.0))
    versions = [(at, v.max_length, v.stages) for at, v in s.queues[0].versions()]
    assert versions == [(None, None, ()), (5.0, 2, ()), (7.5, 2, second.stages)]  # kept: 2
    assert scenario_from_dict(scenario_to_dict(s), base_dir=s.base_dir) == s  # sweeps rebuild it


def test_bad_changes_are_refused_naming_each_key_path(tmp_path: Path) -> None:
    queue = (
        "changes = ["
        '{ at = -1, name = "x", channel = "chat" }, '
        "{ at = 1000, stages = [{ after = 5 }], max_length = 0 }, "
        '{ at = 900, closed_queue = "q", requires = { t = 1 } }, '
        '{ at = 950, closed_rule = "move", wrap_up = { mode = "manual" }, aging_per_minute = -1 }]'
    )
    assert problems_of(tmp_path, queue) == [
        "queues[0].changes[0].name: a change cannot set it (a queue keeps its name: its "
        "workload, profiles and records refer to it), got 'x'",
        "queues[0].changes[0].channel: a change cannot set it (a queue keeps its channel: its "
        "contacts hold that channel's slots; add another queue with added_at instead), got 'chat'",
        "queues[0].changes[0].at: must be >= 0 and < the run's end (1000.0 s: warmup + "
        "duration), got -1.0",
        "queues[0].changes[1].at: must be >= 0 and < the run's end (1000.0 s: warmup + "
        "duration), got 1000.0",
        "queues[0].changes[1].stages[0].after: must be 0 (first stage), got 5.0",
        "queues[0].changes[1].max_length: must be >= 1, got 0",
        "queues[0].changes[2].at: must be > the previous change's 1000.0, got 900.0",
        "queues[0].changes[2].closed_queue: must name another queue, got 'q' (the queue itself)",
        "queues[0].changes[3].wrap_up.duration: required for manual wrap-up (a distribution)",
        "queues[0].changes[3].aging_per_minute: must be >= 0, got -1.0",
        "queues[0].changes[2].requires.t: unknown skill 't' (no agent group has it or a "
        "substitute)",
    ]


def test_a_change_is_checked_against_the_queue_and_its_neighbours(tmp_path: Path) -> None:
    # the queue's own problem is reported once, at its own key; a closed_queue on another
    # channel, or added after the change, is the change's
    extra = (
        '[[queues]]\nname = "chat"\nchannel = "chat"\nrequires = ["s"]\n'
        '[[agents]]\ngroup = "c"\ncount = 1\nskills = { s = 1 }\ncapacity = { chat = 1 }\n'
    )
    queue = 'max_length = 0\nchanges = [{ at = 10, closed_queue = "chat" }]'
    assert problems_of(tmp_path, queue, extra=extra) == [
        "queues[0].max_length: must be >= 1, got 0",
        "queues[0].changes[0].closed_queue: 'chat' serves 'chat', not 'phone': a contact keeps "
        "its channel, so it can only move to a queue on the same channel",
    ]
    extra = '[[queues]]\nname = "late"\nchannel = "phone"\nadded_at = 50\n'
    queue = 'changes = [{ at = 10, closed_queue = "late" }, { at = 60, closed_queue = "other" }]'
    assert problems_of(tmp_path, queue, extra=extra) == [
        "queues[0].changes[0].closed_queue: 'late' is added at 50.0 s, after this change "
        "(10.0 s): the router needs it configured first",
    ]


def test_a_change_of_an_added_queue_comes_after_it_is_added(tmp_path: Path) -> None:
    queue = "added_at = 100\nchanges = [{ at = 50, priority_weight = 2 }]"
    assert problems_of(tmp_path, queue) == [
        "queues[0].changes[0].at: must be >= added_at (100.0): the queue does not exist "
        "before, got 50.0",
    ]


def test_unknown_keys_of_a_change_are_refused(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, "changes = [{ at = 5, hours = { weekly = [] } }]")
    assert problem.startswith("queues[0].changes[0]:") and "(hours)" in problem
    (problem,) = problems_of(tmp_path, 'changes = [{ at = "soon" }]')
    assert problem == "queues[0].changes[0].at: must be a number, got 'soon' (a string)"


def test_a_change_requiring_a_skill_counts_as_using_it(tmp_path: Path) -> None:
    extra = '[[agents]]\ngroup = "h"\ncount = 1\nskills = { t = 1 }\ncapacity = { phone = 1 }\n'
    with pytest.raises(ScenarioError, match=r"agents\[1\].skills.t: unknown skill 't'"):
        scenario(tmp_path, [0.0], extra=extra)
    s = scenario(tmp_path, [0.0], queue="changes = [{ at = 5, requires = { t = 1 } }]", extra=extra)
    assert s.queues[0].required_skills() == ["s", "t"]


# -- runs ---------------------------------------------------------------------------------------
def test_changes_accumulate(tmp_path: Path) -> None:
    arrivals = [10.0, 11.0, 12.0]  # one agent, 10 s each: the third finds one waiting
    both = "changes = [{ at = 5, max_length = 1 }, { at = 8, priority_weight = 2 }]"
    assert [r.outcome for r in run(scenario(tmp_path, arrivals, queue=both)).records] == [
        "handled",
        "handled",
        "refused",  # max_length = 1 from the first change, kept by the second
    ]
    second_only = "changes = [{ at = 8, priority_weight = 2 }]"
    records = run(scenario(tmp_path, arrivals, queue=second_only)).records
    assert [r.outcome for r in records] == ["handled"] * 3


def test_contacts_are_measured_against_the_threshold_in_force_when_they_arrived(
    tmp_path: Path,
) -> None:
    queue = "service_level_seconds = 60\nchanges = [{ at = 15, service_level_seconds = 5 }]"
    records = run(scenario(tmp_path, [0.0, 1.0, 20.0], queue=queue)).records
    assert [r.threshold for r in records] == [60.0, 60.0, 5.0]


def test_an_offer_the_change_makes_impossible_is_withdrawn_and_the_contact_offered_again(
    tmp_path: Path,
) -> None:
    # g-1 rings for 5 s; at 2 s the queue needs level 2, which only h-1 (logged in at 1) has
    agent = 'answer_delay_seconds = { kind = "deterministic", value = 5 }'
    extra = (
        '[[agents]]\ngroup = "h"\ncount = 1\nskills = { s = 2 }\ncapacity = { phone = 1 }\n'
        "shifts = [{ start = 1, end = 1000 }]\n"
    )
    queue = "changes = [{ at = 2, requires = { s = 2 } }]"
    (record,) = run(scenario(tmp_path, [0.0], queue=queue, agent=agent, extra=extra)).records
    assert (record.offers, record.offered_at, record.answered_at) == (2, 0.0, 2.0)
    assert (record.agent_id, record.agents, record.outcome) == ("h-1", ("h-1",), "handled")
    assert record.ended_at == 12.0  # g-1's late answer at 5 s is ignored


def test_wrap_ups_starting_after_a_change_follow_its_wrap_up(tmp_path: Path) -> None:
    timed = 'changes = [{ at = 15, wrap_up = { mode = "timed", seconds = 5 } }]'
    records = run(scenario(tmp_path, [0.0, 20.0], queue=timed)).records
    assert [r.wrap_seconds for r in records] == [0.0, 5.0]
    manual = (
        'changes = [{ at = 15, wrap_up = { mode = "manual", duration = '
        '{ kind = "deterministic", value = 7 } } }]'
    )
    records = run(scenario(tmp_path, [0.0, 20.0, 21.0], queue=manual)).records
    assert [r.wrap_seconds for r in records] == [0.0, 7.0, 7.0]
    assert timeline(records)[2] == ("q", 21.0, 37.0, 47.0, "handled")  # after 30 + 7 s


def test_agents_serving_through_a_change_are_slowed_by_its_skill_cost(tmp_path: Path) -> None:
    # from 5 s q needs t, which h serves through u at cost 2: handle x (1 + 0.5 x 2)
    agent = "shifts = [{ start = 500, end = 1000 }]"  # g is not there: h answers
    extra = (
        '[[substitutions]]\nskill = "u"\nserves = "t"\ncost = 2\n'
        '[[agents]]\ngroup = "h"\ncount = 1\nskills = { u = 1 }\ncapacity = { phone = 1 }\n'
        "substitution_slowdown = 0.5\n"
    )
    queue = "changes = [{ at = 5, requires = { t = 1 }, stages = [{ after = 0, max_cost = 2 }] }]"
    result = run(scenario(tmp_path, [10.0], queue=queue, agent=agent, extra=extra))
    assert timeline(result.records) == [("q", 10.0, 10.0, 30.0, "handled")]
    served = {a.agent_id: a.queues for a in result.agents}
    assert "q" in served["h-1"]  # counted among q's agents (per-queue occupancy)


def test_the_target_check_lists_every_threshold_the_queue_had() -> None:
    checks = target_checks(simulate(load_scenario(EXAMPLE), replications=1))
    assert {c.name: c.thresholds for c in checks} == {
        "billing": (30.0, 60.0),
        "support": (20.0,),
        "default": (20.0, 30.0, 60.0),
    }


def test_a_change_to_the_same_keys_gives_the_same_records() -> None:
    base = load_scenario(EXAMPLE)
    billing = base.queue("billing")
    manual = WrapUpConfig(mode="manual", duration=Distribution(kind="exponential", mean=30.0))
    without = with_changes(base, "billing", wrap_up=manual)
    same = {key: getattr(billing, key) for key in CHANGEABLE_QUEUE_KEYS}
    same["wrap_up"] = manual
    changed = with_changes(
        base, "billing", QueueChange(at=9000.0, **same), QueueChange(at=20000.0), wrap_up=manual
    )
    first = run(without)
    assert first.records == run(changed).records
    assert any(r.wrap_seconds > 0 for r in first.records)  # the manual draws were made


def test_widening_a_stage_shortens_the_waits_after_the_change() -> None:
    with_change = load_scenario(EXAMPLE)
    at = with_change.queue("billing").changes[0].at
    changed, unchanged = run(with_change), run(with_changes(with_change, "billing"))

    def billing(result: object, after: bool) -> list[ContactRecord]:
        records: list[ContactRecord] = result.records  # type: ignore[attr-defined]
        return [r for r in records if r.queue == "billing" and (r.arrived_at >= at) == after]

    before = [r for r in changed.records if r.ended_at is not None and r.ended_at < at]
    assert before == [r for r in unchanged.records if r.ended_at is not None and r.ended_at < at]
    assert len(before) > 500  # the same seed: the same morning
    wide, narrow = waits(billing(changed, True)), waits(billing(unchanged, True))
    assert statistics.mean(wide) < 0.5 * statistics.mean(narrow)
    assert {r.threshold for r in billing(changed, True)} == {30.0}
    assert {r.threshold for r in billing(changed, False)} == {60.0}
    # support agents took billing calls only after the change
    helped = [
        r
        for r in changed.records
        if r.queue == "billing" and (r.agent_id or "").startswith("support")
    ]
    assert helped and min(r.answered_at for r in helped) >= at


def test_the_example_scenario_runs_from_the_command_line() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["validate", str(EXAMPLE)]).exit_code == 0
    result = runner.invoke(app, ["simulate", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["kpis"]["by_queue"]) == {"billing", "support"}
    assert data["kpis"]["by_queue"]["billing"]["offered"] > 500


def test_the_reports_say_which_queues_changed_when(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())  # rich wraps long lines
    assert "queues changed during the run: billing at 16200 s (stages, service_level_seconds)" in said
    page = write_html_report(simulate(load_scenario(EXAMPLE)), tmp_path).read_text()
    assert "Queues changed during the run: billing at 16200 s (stages, service_level_seconds)." in page
    assert change_notes(load_scenario(ROOT / "scenarios" / "single-queue.toml").queues) == []


# -- any valid change list ------------------------------------------------------------------------
STAGES = st.sampled_from(
    [
        "[]",
        "[{ after = 0, max_cost = 0 }, { after = 15 }]",
        "[{ after = 0, max_cost = 0 }, { after = 5, max_cost = 1 }]",
    ]
)
KEYS = {
    "requires": st.sampled_from(["{}", "{ s = 1 }", "{ s = 2 }"]),  # 2: nobody, until changed
    "stages": STAGES,
    "priority_weight": st.sampled_from(["0", "1", "3"]),
    "aging_per_minute": st.sampled_from(["0", "2"]),
    "service_level_seconds": st.sampled_from(["5", "30"]),
    "max_length": st.sampled_from(["1", "3"]),
    "wrap_up": st.sampled_from(
        [
            '{ mode = "none" }',
            '{ mode = "timed", seconds = 3 }',
            '{ mode = "manual", duration = { kind = "exponential", mean = 4 } }',
        ]
    ),
    "rejoin_seconds": st.sampled_from(["0", "20"]),
    "closed_rule": st.sampled_from(['"keep"', '"end"']),
    "closed_queue": st.just('"other"'),
}
CHANGE = st.dictionaries(st.sampled_from(sorted(KEYS)), st.just(""), max_size=4).flatmap(
    lambda chosen: st.fixed_dictionaries({key: KEYS[key] for key in chosen})
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    arrivals=st.lists(st.integers(0, 200), min_size=1, max_size=12),
    times=st.lists(st.integers(0, 199), unique=True, max_size=3),
    changes=st.lists(CHANGE, min_size=3, max_size=3),
    patience=st.sampled_from([15, 60]),
)
def test_any_valid_change_list_records_every_contact_deterministically(
    tmp_path: Path,
    arrivals: list[int],
    times: list[int],
    changes: list[dict[str, str]],
    patience: int,
) -> None:
    entries = [
        "{ " + ", ".join([f"at = {at}", *(f"{k} = {v}" for k, v in change.items())]) + " }"
        for at, change in zip(sorted(times), changes, strict=False)
    ]
    queue = f"changes = [{', '.join(entries)}]\nclosed = [{{ start = 150, end = 180 }}]"
    workload = f'patience_seconds = {{ kind = "deterministic", value = {patience} }}'
    arrival_times = sorted(float(t) for t in arrivals)
    s = scenario(tmp_path, arrival_times, queue=queue, agents=2, workload=workload)
    first, second = run(s), run(s)
    assert first.records == second.records  # deterministic for a seed
    records = first.records
    assert sorted(r.arrived_at for r in records) == arrival_times  # none vanished
    for r in records:  # each ended once, in a way its timestamps agree with
        assert r.outcome in {"handled", "abandoned", "refused", "closed"}, r
        assert (r.outcome == "handled") == (r.answered_at is not None), r
        assert r.answered_at is None or r.arrived_at <= r.answered_at <= r.ended_at
