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
from experiencehub.sim.replica import replication_kpis
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
    (problem,) = problems_of(tmp_path, "changes = [{ at = 5, colour = 3 }]")
    assert problem.startswith("queues[0].changes[0]:") and "(colour)" in problem
    (problem,) = problems_of(tmp_path, 'changes = [{ at = "soon" }]')
    assert problem == "queues[0].changes[0].at: must be a number, got 'soon' (a string)"


def test_a_change_requiring_a_skill_counts_as_using_it(tmp_path: Path) -> None:
    extra = '[[agents]]\ngroup = "h"\ncount = 1\nskills = { t = 1 }\ncapacity = { phone = 1 }\n'
    with pytest.raises(ScenarioError, match=r"agents\[1\].skills.t: unknown skill 't'"):
        scenario(tmp_path, [0.0], extra=extra)
    s = scenario(tmp_path, [0.0], queue="changes = [{ at = 5, requires = { t = 1 } }]", extra=extra)
    assert s.queues[0].required_skills() == ["s", "t"]


def test_queue_keys_a_change_cannot_set_are_refused_saying_why(tmp_path: Path) -> None:
    queue = (
        "changes = [{ at = 5, service_level_target = 0.5, added_at = 1, "
        'self_service = { contained = 0.5, seconds = { kind = "deterministic", value = 5 } }, '
        "closed = [{ start = 10, end = 20 }] }]"
    )
    assert problems_of(tmp_path, queue) == [
        "queues[0].changes[0].service_level_target: a change cannot set it (the target check "
        "judges the queue's whole run against one target; a change may set "
        "service_level_seconds), got 0.5",
        "queues[0].changes[0].self_service: a change cannot set it (the self-service step "
        "comes before the router and is no part of its queue; give the workload its own "
        "self_service instead), got SelfService(contained=0.5, seconds=Distribution("
        "kind='deterministic', mean=None, sd=None, value=5.0, values=None), share=1.0, "
        "verified=0.0, facts=None)",
        "queues[0].changes[0].closed: a change cannot set it (closed periods are times of the "
        "run already: list them all in the queue's own closed), got (QueueClosure(start=10.0, "
        "end=20.0, reason=None),)",
        "queues[0].changes[0].added_at: a change cannot set it (a queue is added once, at its "
        "own added_at), got 1.0",
    ]


# -- unset ----------------------------------------------------------------------------------
def test_unset_keys_go_back_to_the_queue_defaults(tmp_path: Path) -> None:
    queue = (
        'max_length = 2\nclosed_queue = "other"\nclosed_rule = "move"\n'
        "service_level_seconds = 40\npriority_weight = 3\n"
        "changes = [{ at = 5, max_length = 4 }, "
        '{ at = 6, closed_rule = "end", unset = ["max_length", "closed_queue"] }, '
        '{ at = 7, unset = ["service_level_seconds", "requires", "priority_weight", '
        '"closed_rule"] }]'
    )
    s = scenario(tmp_path, [0.0], queue=queue)
    seen = [
        (v.max_length, v.closed_queue, v.closed_rule, v.service_level_seconds, v.requires,
         v.priority_weight)
        for _, v in s.queues[0].versions()
    ]  # fmt: skip
    assert seen == [
        (2, "other", "move", 40.0, {"s": 1}, 3.0),
        (4, "other", "move", 40.0, {"s": 1}, 3.0),
        (None, None, "end", 40.0, {"s": 1}, 3.0),
        (None, None, "keep", 20.0, {}, 1.0),  # the [[queues]] defaults
    ]
    assert s.queues[0].changes[1].unset == ("max_length", "closed_queue")
    assert scenario_from_dict(scenario_to_dict(s), base_dir=s.base_dir) == s
    assert (
        change_notes(s.queues)[1] == "q at 6 s (closed_rule, unset max_length, unset closed_queue)"
    )


def test_bad_unsets_are_refused_naming_each_key_path(tmp_path: Path) -> None:
    queue = (
        'closed_rule = "move"\nclosed_queue = "other"\nclosed = [{ start = 900, end = 950 }]\n'
        "changes = ["
        '{ at = 5, max_length = 3, unset = ["name", "at", "colour", "max_length", '
        '"rejoin_seconds", "rejoin_seconds"] }, '
        '{ at = 6, unset = ["closed_queue"] }, '
        '{ at = 7, unset = ["closed_queue", "closed_rule"] }, '
        '{ at = 8, unset = ["closed", "unset", "channel", "service_level_target", "changes", '
        '"hours"] }]'
    )
    may = ", ".join(CHANGEABLE_QUEUE_KEYS)
    hours = (
        "the queue has closed periods, which are QueueClosed events without hours but holidays "
        "of its hours with them, both fixed when the run starts: give the queue its hours from "
        "the start, or no closed periods"
    )
    assert problems_of(tmp_path, queue) == [
        "queues[0].changes[0].unset[0]: 'name': a required key cannot be unset (a queue keeps "
        "its name: its workload, profiles and records refer to it)",
        "queues[0].changes[0].unset[1]: 'at': the change's own key, not a queue's: it cannot "
        "be unset",
        f"queues[0].changes[0].unset[2]: 'colour': unknown key (a change may unset {may})",
        "queues[0].changes[0].unset[3]: 'max_length': the same change also sets it: set it or "
        "unset it, not both",
        "queues[0].changes[0].unset[5]: 'rejoin_seconds': named twice",
        # said once, at the unset (not again as closed_queue missing for 'move')
        "queues[0].changes[1].unset[0]: 'closed_queue': cannot unset it while closed_rule = "
        "'move' (closing moves the waiting contacts there, and the router refuses 'move' "
        "without a closed_queue): set closed_rule to 'keep' or 'end' in the same change, or "
        "unset closed_rule too",
        "queues[0].changes[3].unset[0]: 'closed': cannot be unset: a change cannot set it "
        "(closed periods are times of the run already: list them all in the queue's own closed)",
        "queues[0].changes[3].unset[1]: 'unset': the change's own key, not a queue's: it "
        "cannot be unset",
        "queues[0].changes[3].unset[2]: 'channel': a required key cannot be unset (a queue "
        "keeps its channel: its contacts hold that channel's slots; add another queue with "
        "added_at instead)",
        "queues[0].changes[3].unset[3]: 'service_level_target': cannot be unset: a change "
        "cannot set it (the target check judges the queue's whole run against one target; a "
        "change may set service_level_seconds)",
        "queues[0].changes[3].unset[4]: 'changes': cannot be unset: a change cannot set it (a "
        "change holds no changes)",
        f"queues[0].changes[3].unset[5]: 'hours': cannot be unset ({hours})",
    ]
    (problem,) = problems_of(tmp_path, 'changes = [{ at = 5, unset = "max_length" }]')
    assert problem.startswith("queues[0].changes[0].unset: ") and "list" in problem


def test_removing_max_length_queues_the_contacts_it_refused(tmp_path: Path) -> None:
    # one agent, 10 s each; at most one waits until the change at 20 s removes the limit
    arrivals = [10.0, 11.0, 12.0, 13.0, 22.0, 23.0, 24.0]
    kept = run(scenario(tmp_path, arrivals, queue="max_length = 1"))
    removed = scenario(tmp_path, arrivals,
                       queue='max_length = 1\nchanges = [{ at = 20, unset = ["max_length"] }]')  # fmt: skip
    result = run(removed)
    assert [r.outcome for r in kept.records] == ["handled", "handled", "refused", "refused",
                                                 "handled", "refused", "refused"]  # fmt: skip
    assert [r.outcome for r in result.records] == ["handled", "handled", "refused", "refused",
                                                   "handled", "handled", "handled"]  # fmt: skip
    assert timeline(result.records)[4:] == [
        ("q", 22.0, 30.0, 40.0, "handled"),
        ("q", 23.0, 40.0, 50.0, "handled"),
        ("q", 24.0, 50.0, 60.0, "handled"),
    ]
    before, after = (replication_kpis(s, r)["by_queue"]["q"] for s, r in
                     ((removed, kept), (removed, result)))  # fmt: skip
    assert (before["refused"], after["refused"]) == (4, 2)
    assert (before["answered"], after["answered"]) == (3, 5)


def test_a_change_unsetting_closed_queue_refuses_arrivals_while_closed(tmp_path: Path) -> None:
    queue = (
        'closed_queue = "other"\nclosed = [{ start = 100, end = 200 }, { start = 300, end = 400 }]\n'
        'changes = [{ at = 250, unset = ["closed_queue"] }]'
    )
    records = run(scenario(tmp_path, [150.0, 350.0], queue=queue)).records
    assert [(r.queue, r.final_queue, r.outcome) for r in records] == [
        ("q", "other", "handled"),  # sent to closed_queue
        ("q", None, "refused"),  # no closed_queue any more
    ]


# -- keys a change may set since the unset key came -------------------------------------------
def test_a_change_may_set_and_unset_hours(tmp_path: Path) -> None:
    hours = "hours = { weekly = [{ day = 0, start = 0, end = 200 }] }"
    records = run(
        scenario(tmp_path, [10.0, 150.0, 250.0], queue=f"changes = [{{ at = 100, {hours} }}]")
    ).records
    assert [r.outcome for r in records] == ["handled", "handled", "refused"]  # closed from 200
    assert [r.outcome for r in run(scenario(tmp_path, [10.0, 150.0, 250.0])).records] == [
        "handled"
    ] * 3
    queue = 'hours = { weekly = [{ day = 0, start = 0, end = 100 }] }\nchanges = [{ at = 150, unset = ["hours"] }]'
    records = run(scenario(tmp_path, [10.0, 120.0, 160.0], queue=queue)).records
    assert [r.outcome for r in records] == ["handled", "refused", "handled"]  # open from 150
    bad = "changes = [{ at = 100, hours = { weekly = [{ day = 7, start = 0, end = 200 }] } }]"
    assert problems_of(tmp_path, bad) == [
        "queues[0].changes[0].hours.weekly[0].day: must be 0 to 6, got 7"
    ]
    closed = f"closed = [{{ start = 500, end = 600 }}]\nchanges = [{{ at = 100, {hours} }}]"
    assert problems_of(tmp_path, closed) == [
        "queues[0].changes[0].hours: a change cannot set it (the queue has closed periods, which "
        "are QueueClosed events without hours but holidays of its hours with them, both fixed "
        "when the run starts: give the queue its hours from the start, or no closed periods)"
    ]


CALLBACKS = (
    "queued_callback = { accept = 1, answer = 1, offer_above_seconds = 0, dial_seconds = 5 }"
)


def test_a_change_may_start_offering_callbacks(tmp_path: Path) -> None:
    # contacts queued before the change at 5 s are offered none; those after are, and dial
    arrivals = [0.0, 1.0, 2.0, 10.0, 11.0]
    s = scenario(tmp_path, arrivals, queue=f"changes = [{{ at = 5, {CALLBACKS} }}]")
    result = run(s)
    ids = {r.contact_id: r.arrived_at for r in result.records}
    assert [(ids[v.contact_id], v.connected_at) for v in result.callbacks] == [
        (10.0, 35.0),
        (11.0, 50.0),
    ]
    assert replication_kpis(s, result)["callbacks"]["overall"]["callbacks_completed"] == 2
    assert run(scenario(tmp_path, arrivals)).callbacks == ()
    bad = "changes = [{ at = 5, queued_callback = { accept = 2, answer = 1, attempts = 0 } }]"
    assert problems_of(tmp_path, bad) == [
        "queues[0].changes[0].queued_callback.accept: must be a probability in [0, 1], got 2.0",
        "queues[0].changes[0].queued_callback.attempts: must be an integer from 1 to 100, got 0",
    ]


def test_a_change_may_stop_offering_callbacks_and_those_requested_keep_their_rules(
    tmp_path: Path,
) -> None:
    arrivals = [0.0, 1.0, 12.0, 13.0, 14.0, 60.0, 61.0, 62.0]
    queue = f'{CALLBACKS}\nchanges = [{{ at = 30, unset = ["queued_callback"] }}]'
    result = run(scenario(tmp_path, arrivals, queue=queue))
    ids = {r.contact_id: r.arrived_at for r in result.records}
    offered = [(ids[v.contact_id], v.connected_at) for v in result.callbacks]
    assert offered == [(12.0, 25.0), (13.0, 40.0), (14.0, 55.0)]  # dialled 5 s after the change too
    unchanged = run(scenario(tmp_path, arrivals, queue=CALLBACKS))
    assert len(unchanged.callbacks) > len(offered)  # 61 and 62 s would have been offered one


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
    assert (
        "queues changed during the run: billing at 16200 s (stages, service_level_seconds)" in said
    )
    page = write_html_report(simulate(load_scenario(EXAMPLE)), tmp_path).read_text()
    assert (
        "Queues changed during the run: billing at 16200 s (stages, service_level_seconds)." in page
    )
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
    "unset": st.sampled_from(['["max_length", "closed_queue"]', '["stages", "wrap_up"]']),
}
CHANGE = (
    st.dictionaries(st.sampled_from(sorted(KEYS)), st.just(""), max_size=4)
    .flatmap(lambda chosen: st.fixed_dictionaries({key: KEYS[key] for key in chosen}))
    .filter(lambda change: not any(f'"{key}"' in change.get("unset", "") for key in change))
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


# -- a queue's own offer timeout ------------------------------------------------------------------
def test_a_queues_offer_timeout_reaches_the_router_and_a_change_sets_it(tmp_path: Path) -> None:
    # the agent answers 15 s after an offer: within the simulation's 30 s, not the queue's 10 s
    slow = 'answer_delay_seconds = { kind = "deterministic", value = 15 }'
    late = run(scenario(tmp_path, [0.0], queue="offer_timeout = 10", agent=slow, agents=2))
    on_time = run(scenario(tmp_path, [0.0], agent=slow, agents=2))
    assert (on_time.records[0].offers, on_time.records[0].answered_at) == (1, 15.0)
    # each agent lets it ring out and is never offered it again: it waits to the end
    assert (late.records[0].offers, late.records[0].outcome) == (2, "unfinished")
    changed = "offer_timeout = 10\nchanges = [{ at = 50, unset = ['offer_timeout'] }]"
    records = run(scenario(tmp_path, [0.0, 100.0], queue=changed, agent=slow, agents=2)).records
    assert [(r.offers, r.outcome) for r in records] == [(2, "unfinished"), (1, "handled")]
    bad = "offer_timeout = 0\nchanges = [{ at = 5, offer_timeout = -1 }]"
    assert problems_of(tmp_path, bad) == [
        "queues[0].offer_timeout: must be > 0, got 0.0",
        "queues[0].changes[0].offer_timeout: must be > 0, got -1.0",
    ]
