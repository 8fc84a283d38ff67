"""``[[agents]] auto_accept = true`` in scenario files (sim/auto_accept.py, sim/engine.py): the
router accepts the group's offers, so the simulator sends one router event fewer per accepted
offer and the customers' records are the same as with agents that accept at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from experiencehub.sim.engine import run
from experiencehub.sim.scenario import ScenarioError, load_scenario_text

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _text(name: str, seconds: int = 3600) -> str:
    text = (SCENARIOS / f"{name}.toml").read_text()
    return re.sub(r"^duration = \d+", f"duration = {seconds}", text, flags=re.M)


def _auto(text: str) -> str:
    return re.sub(r"^\[\[agents\]\]\n", "[[agents]]\nauto_accept = true\n", text, flags=re.M)


@pytest.mark.parametrize(
    "name", ["single-queue", "queued-callbacks", "customer-journeys", "warm-transfers"]
)
def test_auto_accept_keeps_the_records_and_sends_one_event_fewer_per_accept(name: str) -> None:
    text = _text(name)
    manual = run(load_scenario_text(text, base_dir=SCENARIOS))
    auto_scenario = load_scenario_text(_auto(text), base_dir=SCENARIOS)
    assert all(group.auto_accept for group in auto_scenario.agents)
    auto = run(auto_scenario)
    assert repr(auto.records) == repr(manual.records)  # agents without answer delay: the same
    answered = sum(r.answered_at is not None for r in manual.records)
    assert answered > 100
    saved = manual.router_events - auto.router_events
    if name in ("queued-callbacks", "warm-transfers"):  # a dial started or a consult leg
        assert saved > answered  # answered is an accept too
        assert repr(auto.callbacks) == repr(manual.callbacks)
        assert repr(auto.consults) == repr(manual.consults)
    else:
        assert saved == answered


def test_only_the_auto_accept_group_skips_its_answer_delay() -> None:
    text = _text("single-queue", 1800).replace(
        "capacity = { phone = 1 }",
        'capacity = { phone = 1 }\nanswer_delay_seconds = { kind = "deterministic", value = 5 }',
    )
    mixed = text + (
        '\n[[agents]]\ngroup = "auto"\ncount = 5\nskills = { support = 3 }\n'
        "capacity = { phone = 1 }\nauto_accept = true\n"
    )
    result = run(load_scenario_text(mixed))
    waits = {}
    for record in result.records:
        if record.answered_at is not None and record.agent_id is not None:
            group = "auto" if record.agent_id.startswith("auto") else "tier1"
            waits.setdefault(group, set()).add(round(record.answered_at - record.offered_at, 6))
    assert waits["auto"] == {0.0}  # connected at the offer's time
    assert waits["tier1"] == {5.0}  # the manual group still rings for 5 s


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            'answer_delay_seconds = { kind = "deterministic", value = 3 }',
            r"agents\[0\].answer_delay_seconds: must be omitted with agents\[0\].auto_accept = true",
        ),
        (
            "reject_probability = 0.2",
            r"agents\[0\].reject_probability: must be 0 with agents\[0\].auto_accept = true .*"
            r"got 0.2",
        ),
    ],
)
def test_auto_accept_refuses_an_answer_delay_or_rejects(extra: str, message: str) -> None:
    text = _auto(_text("single-queue")).replace(
        "capacity = { phone = 1 }", f"capacity = {{ phone = 1 }}\n{extra}"
    )
    with pytest.raises(ScenarioError, match=message):
        load_scenario_text(text)


def test_auto_accept_must_be_a_boolean() -> None:
    text = _text("single-queue").replace("[[agents]]\n", '[[agents]]\nauto_accept = "yes"\n')
    with pytest.raises(ScenarioError, match="auto_accept"):
        load_scenario_text(text)
