"""Consults and warm transfers in the simulator: the agent asks a colleague while the customer
holds, the leg is routed by the router, the consult ends as a warm transfer, a conference, a
return or is cancelled; the KPIs, the checks and the reports (sim/consults.py,
sim/consult_loop.py, sim/consult_checks.py)."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from experiencehub.cli import app
from experiencehub.core.errors import RoutingError
from experiencehub.sim.consults import (
    CONSULT_KPI_KEYS,
    ConsultDraw,
    ConsultVisit,
    consult_kpis,
    draw_consult,
)
from experiencehub.sim.engine import RunResult, _Simulation, run
from experiencehub.sim.report import write_html_report
from experiencehub.sim.runs import simulate
from experiencehub.sim.scenario import (
    Consult,
    Distribution,
    Scenario,
    ScenarioError,
    load_scenario,
    load_scenario_text,
)
from experiencehub.sim.tables import tables

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "warm-transfers.toml"
TEXT = SCENARIO.read_text(encoding="utf-8")
CONSULT_LINE = next(line for line in TEXT.splitlines() if line.startswith("consult = {"))
COLD_LINE = next(line for line in TEXT.splitlines() if line.startswith("# transfer = {"))
SPECIALISTS = 'service_level_seconds = 30\n\n[[agents]]'  # the end of the specialists queue


def _text(*changes: tuple[str, str]) -> str:
    text = TEXT
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return text


def _scenario(*changes: tuple[str, str], duration: float | None = None) -> Scenario:
    scenario = load_scenario_text(_text(*changes), name="warm-transfers")
    return scenario if duration is None else scenario.with_overrides(duration=duration)


def _fingerprint(result: RunResult) -> str:
    return repr(list(result.records))


# -- the example scenario ---------------------------------------------------------------------
def test_the_example_scenario_consults_and_its_block_is_sane() -> None:
    result = simulate(load_scenario(SCENARIO))
    block = result.kpis["consults"]["overall"]
    assert set(block) == set(CONSULT_KPI_KEYS)
    assert set(result.kpis["consults"]["by_queue"]) == {"specialists"}
    assert block["consults_asked"] > 30
    assert block["consults_answered"] <= block["consults_asked"]
    assert block["consults_cancelled"] <= block["consults_asked"] - block["consults_answered"]
    shares = [block[f"{k}_share"] for k in ("transfer", "conference", "return", "cancel")]
    assert math.isclose(sum(shares), 1.0) and all(s > 0 for s in shares[:3])
    assert block["hold_per_consult"] >= block["consult_talk"] * 0.5 > 0
    assert block["repeat_asks_avoided"] > 0
    assert result.kpis["overall"]["repeat_asks"] == 0.0  # warm transfers: nobody asked again


def test_each_replication_counts_add_up() -> None:
    result = run(load_scenario(SCENARIO))
    visits = result.consults
    outcomes = Counter(v.outcome for v in visits)
    assert set(outcomes) <= {"transfer", "conference", "return", "cancel", None}
    answered = [v for v in visits if v.answered_at is not None]
    assert all(v.outcome != "cancel" for v in answered)
    assert all(v.outcome in ("cancel", None) for v in visits if v.answered_at is None)
    assert all(v.agent_id != v.asker for v in answered)  # never the agent who asked
    assert all(v.agent_id is not None and v.agent_id.startswith("specialists") for v in answered)
    records = {r.contact_id: r for r in result.records}
    for v in visits:
        record = records[v.contact_id]
        assert record.answered_at is not None and record.answered_at <= v.asked_at
        if v.outcome == "transfer":
            assert record.transfers == 1 and record.final_queue == "specialists"
            assert record.agents == (v.asker, v.agent_id) and v.relayed == 2
            assert record.repeat_asks == 0
        elif v.outcome is not None:
            assert record.transfers == 0 and v.relayed == 0
            joined = v.outcome == "conference"
            assert record.agents == ((v.asker, v.agent_id) if joined else (v.asker,))


def test_the_hold_is_part_of_the_contacts_handle_time() -> None:
    """With no cold transfer, a contact is connected from its answer to its end: its handle time
    (the first agent's, its hold, and after a warm transfer the colleague's) is exactly that."""
    result = run(load_scenario(SCENARIO))
    consulted = {v.contact_id for v in result.consults if v.outcome is not None}
    handled = [r for r in result.records if r.outcome == "handled" and r.contact_id in consulted]
    assert len(handled) > 30
    for record in handled:
        assert record.answered_at is not None and record.ended_at is not None
        connected = record.ended_at - record.answered_at
        assert math.isclose(record.handle_seconds, connected, rel_tol=1e-9, abs_tol=1e-6)


def _exact(outcome: str, base_dir: Path, *, wrap: str = "", expert_wrap: str = "") -> RunResult:
    """One first-line agent and one specialist, one customer, every time fixed."""
    text = f"""
[simulation]
duration = 1000
[[queues]]
name = "support"
channel = "phone"
requires = ["support"]
{wrap}
[[queues]]
name = "experts"
channel = "phone"
requires = ["expert"]
{expert_wrap}
[[agents]]
group = "first"
count = 1
skills = {{ support = 1 }}
capacity = {{ phone = 1 }}
[[agents]]
group = "expert"
count = 1
skills = {{ expert = 1 }}
capacity = {{ phone = 1 }}
[[workload]]
queue = "support"
arrivals = {{ kind = "trace", path = "one.csv" }}
handle_seconds = {{ kind = "deterministic", value = 100 }}
consult = {{ share = 1.0, queue = "experts", after_seconds = {{ kind = "deterministic", value = 30 }}, talk_seconds = {{ kind = "deterministic", value = 20 }}, outcomes = {{ {outcome} = 1.0 }}, handle_seconds = {{ kind = "deterministic", value = 50 }} }}
"""
    return run(load_scenario_text(text, base_dir=base_dir))


@pytest.fixture(scope="module")
def one_arrival(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose ``one.csv`` brings one customer at 10 s."""
    folder = tmp_path_factory.mktemp("consult")
    (folder / "one.csv").write_text("10\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("outcome", "handle", "ended", "agents"),
    [
        # asked at 40, talked 40-60; the first agent's 70 s left follow
        ("return", 120.0, 130.0, ("first-1",)),
        ("conference", 120.0, 130.0, ("first-1", "expert-1")),
        # the colleague takes over at 60 for its 50 s: 30 + 20 + 50
        ("transfer", 100.0, 110.0, ("first-1", "expert-1")),
    ],
)
def test_each_outcome_times_the_contact_exactly(
    one_arrival: Path, outcome: str, handle: float, ended: float, agents: tuple[str, ...]
) -> None:
    result = _exact(outcome, one_arrival)
    (record,) = result.records
    (visit,) = result.consults
    assert (visit.asked_at, visit.answered_at, visit.ended_at) == (40.0, 40.0, 60.0)
    assert visit.outcome == outcome and visit.agent_id == "expert-1"
    assert (record.answered_at, record.ended_at, record.handle_seconds) == (10.0, ended, handle)
    assert record.agents == agents and record.outcome == "handled"
    busy = {a.agent_id: a.busy for a in result.agents}
    # the expert's time: the talk, then its handling (transfer) or the rest of the call (conference)
    expert = {"return": 20.0, "conference": 90.0, "transfer": 70.0}[outcome]
    assert busy == {"first-1": 50.0 if outcome == "transfer" else 120.0, "expert-1": expert}


def test_a_conference_leg_wraps_up_with_the_contact(one_arrival: Path) -> None:
    """The first agent wraps up by the support queue's rule, the colleague by the consult
    queue's; both count for the contact."""
    result = _exact(
        "conference",
        one_arrival,
        wrap='wrap_up = { mode = "timed", seconds = 15 }',
        expert_wrap='wrap_up = { mode = "timed", seconds = 25 }',
    )
    (record,) = result.records
    assert record.ended_at == 130.0 and record.wrap_ended_at == 155.0
    assert record.wrap_seconds == 40.0
    busy = {a.agent_id: a.busy for a in result.agents}
    assert busy == {"first-1": 135.0, "expert-1": 115.0}


def test_nobody_answering_cancels_after_max_wait() -> None:
    # the specialists log in only after the measured window: nobody answers a consult
    late = 'capacity = { phone = 1 }\nshifts = [{ start = 50000, end = 60000 }]\n\n[[workload]]'
    scenario = _scenario(("capacity = { phone = 1 }\n\n[[workload]]", late), duration=3600.0)
    result = run(scenario)
    assert result.consults and all(v.outcome in ("cancel", None) for v in result.consults)
    ended = [v for v in result.consults if v.outcome == "cancel"]
    assert ended and all(v.hold_seconds == pytest.approx(90.0) for v in ended)
    assert all(v.answered_at is None and not v.refused for v in ended)
    block = simulate(scenario.with_overrides(replications=1)).kpis["consults"]["overall"]
    assert block["consults_answered"] == 0 and block["cancel_share"] == 1.0


def test_a_closed_consult_queue_refuses_the_leg_and_the_agent_goes_on() -> None:
    closed = "service_level_seconds = 30\nclosed = [{ start = 0 }]\n\n[[agents]]"
    result = run(_scenario((SPECIALISTS, closed), duration=3600.0))
    assert result.consults and all(v.refused and v.outcome == "cancel" for v in result.consults)
    assert all(v.hold_seconds == 0.0 for v in result.consults)
    records = {r.contact_id: r for r in result.records}
    assert all(records[v.contact_id].outcome == "handled" for v in result.consults)


# -- opt-in, paired draws ----------------------------------------------------------------------
def test_without_the_key_nothing_changes() -> None:
    scenario = _scenario((CONSULT_LINE, ""))
    result = run(scenario)
    assert result.consults == ()
    assert "consults" not in simulate(scenario.with_overrides(replications=1)).kpis


def test_share_zero_draws_no_consult_and_leaves_every_record_as_without_the_key() -> None:
    without = run(_scenario((CONSULT_LINE, "")))
    zero = run(_scenario((CONSULT_LINE, CONSULT_LINE.replace("share = 0.2", "share = 0.0"))))
    assert zero.consults == ()
    assert _fingerprint(zero) == _fingerprint(without)


def test_warm_transfers_ask_less_again_than_cold_transfers() -> None:
    warm_line = CONSULT_LINE.replace(
        "outcomes = { transfer = 0.5, conference = 0.2, return = 0.3 }",
        "outcomes = { transfer = 1.0 }",
    )
    warm = run(_scenario((CONSULT_LINE, warm_line)))
    cold = run(_scenario((CONSULT_LINE, ""), (COLD_LINE, COLD_LINE.lstrip("# "))))
    transferred = lambda r: [c for c in r.records if c.transfers]  # noqa: E731
    assert len(transferred(warm)) > 20 and len(transferred(cold)) > 20
    assert sum(c.repeat_asks for c in warm.records) == 0
    assert sum(c.repeat_asks for c in transferred(cold)) >= len(transferred(cold))
    avoided = sum(v.relayed for v in warm.consults)
    assert avoided == 2 * sum(1 for v in warm.consults if v.outcome == "transfer")


# -- the router and the simulator agree --------------------------------------------------------
WRAP_UPS = {
    "none": (),
    "timed": ((SPECIALISTS, SPECIALISTS.replace("30\n", '30\nwrap_up = { mode = "timed", seconds = 20 }\n')),),
    "manual": ((SPECIALISTS, SPECIALISTS.replace("30\n", '30\nwrap_up = { mode = "manual", duration = { kind = "exponential", mean = 20 } }\n')),),
}  # fmt: skip


@pytest.mark.parametrize("wrap", sorted(WRAP_UPS))
@pytest.mark.parametrize("context", [False, True])
def test_every_agents_slots_match_the_routers_after_each_step(wrap: str, context: bool) -> None:
    scenario = _scenario(*WRAP_UPS[wrap], duration=2400.0).with_context(context)
    sim = _Simulation(scenario, 0, scenario.simulation.policy, None)
    drain = sim._drain_soon
    steps = [0]

    def checked() -> None:
        drain()
        steps[0] += 1
        for agent in sim.agents.values():
            try:
                load = sum(sim.router.agent_load(agent.agent_id).values())
            except RoutingError:  # logged out
                load = 0
            assert load == agent.held, (sim.now, agent.agent_id)
            assert agent.held >= agent.talking >= 0
        assert sim.consults is not None
        sim.consults._check()

    sim._drain_soon = checked  # type: ignore[method-assign]
    result = sim.run()
    assert steps[0] > 100 and Counter(v.outcome for v in result.consults)["conference"] > 0
    if context:  # the colleague was briefed with the leg's offer
        assert any(v.brief for v in result.consults if v.answered_at is not None)


# -- KPIs, draws, checks, reports ----------------------------------------------------------------
def test_kpi_formulas() -> None:
    draw = ConsultDraw(10.0, 90.0, 60.0, "transfer", 100.0)
    visits = [
        ConsultVisit("c1", "c1-k", "q", "phone", 0.0, draw, "a1", answered_at=20.0,
                     ended_at=80.0, outcome="transfer", relayed=2),
        ConsultVisit("c2", "c2-k", "q", "phone", 5.0, draw, "a1", ended_at=125.0, outcome="cancel"),
        ConsultVisit("c3", "c3-k", "r", "phone", 6.0, draw, "a2", answered_at=16.0,
                     ended_at=36.0, outcome="return"),
        ConsultVisit("c4", "c4-k", "q", "phone", 7.0, draw, "a2"),  # still open
        ConsultVisit("c5", "c5-k", "q", "phone", 500.0, draw, "a2"),  # outside the window
    ]  # fmt: skip
    kpis = consult_kpis(visits, (0.0, 100.0))
    overall = kpis["overall"]
    assert (overall["consults_asked"], overall["consults_answered"]) == (4, 2)
    assert overall["consults_cancelled"] == 1
    assert overall["time_to_answer"] == (20.0 + 10.0) / 2
    assert overall["consult_talk"] == (60.0 + 20.0) / 2
    assert overall["transfer_share"] == overall["return_share"] == overall["cancel_share"] == 1 / 3
    assert overall["conference_share"] == 0.0
    assert overall["hold_per_consult"] == (80.0 + 120.0 + 30.0) / 3
    assert overall["repeat_asks_avoided"] == 2
    assert kpis["by_queue"]["r"]["consults_asked"] == 1
    empty = consult_kpis([], (0.0, 100.0))["overall"]
    assert empty["consults_asked"] == 0 and empty["transfer_share"] is None


FIXED = Distribution(kind="deterministic", value=30.0)


@settings(max_examples=40, deadline=None)
@given(
    share=st.floats(0.0, 1.0),
    weights=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0)).filter(
        lambda w: sum(w) > 0.01
    ),
    handle=st.floats(0.0, 600.0),
    seed=st.integers(0, 2**32),
)
def test_a_draw_is_reproducible_and_inside_the_handle_time(
    share: float, weights: tuple[float, float, float], handle: float, seed: int
) -> None:
    total = sum(weights)
    outcomes = {k: w / total for k, w in zip(("transfer", "conference", "return"), weights, strict=True)}
    after = Distribution(kind="exponential", mean=120.0)
    config = Consult(share=share, after_seconds=after, talk_seconds=FIXED, outcomes=outcomes)
    for number in range(1, 15):
        drawn = draw_consult(config, FIXED, seed=seed, number=number, handle=handle)
        assert drawn == draw_consult(config, FIXED, seed=seed, number=number, handle=handle)
        if drawn is not None:
            assert 0.0 <= drawn.after <= handle and drawn.rest == pytest.approx(handle - drawn.after)
            assert outcomes[drawn.outcome] > 0 and drawn.talk == 30.0
    if share == 0.0:
        assert all(draw_consult(config, FIXED, seed=seed, number=n, handle=handle) is None
                   for n in range(1, 15))  # fmt: skip


@settings(max_examples=12, deadline=None)
@given(
    share=st.sampled_from([0.0, 0.05, 0.3, 1.0]) | st.floats(0.0, 1.0),
    transfer=st.floats(0.0, 1.0),
    conference=st.floats(0.0, 1.0),
    max_wait=st.floats(1.0, 200.0),
)
def test_consult_counts_are_consistent_for_any_share(
    share: float, transfer: float, conference: float, max_wait: float
) -> None:
    conference *= 1.0 - transfer
    outcomes = f"transfer = {transfer!r}, conference = {conference!r}, return = {1.0 - transfer - conference!r}"
    line = (CONSULT_LINE.replace("share = 0.2", f"share = {share!r}")
            .replace("outcomes = { transfer = 0.5, conference = 0.2, return = 0.3 }", f"outcomes = {{ {outcomes} }}")
            .replace("max_wait_seconds = 90", f"max_wait_seconds = {max_wait!r}"))  # fmt: skip
    scenario = _scenario((CONSULT_LINE, line), duration=1800.0).with_overrides(replications=1)
    result = simulate(scenario)
    block = result.kpis["consults"]["overall"]
    asked, answered = block["consults_asked"], block["consults_answered"]
    assert 0 <= answered <= asked and 0 <= block["consults_cancelled"] <= asked - answered
    if share == 0.0:
        assert asked == 0 and block["cancel_share"] is None
    shares = [block[f"{k}_share"] for k in ("transfer", "conference", "return", "cancel")]
    if asked and block["consults_cancelled"] + answered:
        assert math.isclose(sum(s for s in shares if s is not None), 1.0)
    if answered:
        assert block["time_to_answer"] <= max_wait + 1e-9
    # the warm transfers relayed every fact: nobody asked again
    assert result.kpis["overall"]["repeat_asks"] == 0.0


@pytest.mark.parametrize(
    ("old", "new", "path", "rule"),
    [
        ("share = 0.2", "share = 1.5", "workload[0].consult.share", "probability"),
        ("return = 0.3", "return = 0.2", "workload[0].consult.outcomes", "add up to 1"),
        ("return = 0.3", "hangup = 0.3", "workload[0].consult.outcomes.hangup", "unknown outcome"),
        ("transfer = 0.5,", "transfer = 1.5,", "workload[0].consult.outcomes.transfer", "probability"),
        ("max_wait_seconds = 90", "max_wait_seconds = 0", "workload[0].consult.max_wait_seconds", "> 0"),
        ('queue = "specialists", after', 'queue = "tier3", after', "workload[0].consult.queue", "unknown queue"),
        ('queue = "specialists", after', 'queue = "chat", after', "workload[0].consult.queue", "needs a phone queue"),
        ("talk_seconds = { kind = \"gamma\", mean = 60", "talk_seconds = { kind = \"gamma\", mean = -60",
         "workload[0].consult.talk_seconds.mean", "> 0"),
        ("share = 0.2,", "", "workload[0].consult.share", "required"),
    ],
)  # fmt: skip
def test_bad_keys_are_refused_with_their_path(old: str, new: str, path: str, rule: str) -> None:
    chat = '[[queues]]\nname = "chat"\nchannel = "chat"\nrequires = ["support"]\n\n[[agents]]\ngroup = "first-line"'
    line = CONSULT_LINE.replace(old, new)
    text = _text((CONSULT_LINE, line), ('[[agents]]\ngroup = "first-line"', chat))
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text)
    problems = [p for p in caught.value.problems if p.startswith(path)]
    assert problems and rule in problems[0], caught.value.problems


def test_empty_outcomes_are_refused() -> None:
    line = CONSULT_LINE.replace("outcomes = { transfer = 0.5, conference = 0.2, return = 0.3 }",
                                "outcomes = {}")  # fmt: skip
    with pytest.raises(ScenarioError, match=r"workload\[0\]\.consult\.outcomes: name at least one"):
        load_scenario_text(_text((CONSULT_LINE, line)))


def test_the_tables_in_the_terminal_the_html_report_and_json(tmp_path: Path) -> None:
    result = simulate(load_scenario(SCENARIO).with_overrides(replications=1))
    page = write_html_report(result, tmp_path / "report").read_text(encoding="utf-8")
    assert "<h2>Consults and warm transfers</h2>" in page and "repeat_asks_avoided" in page
    kpi_table = tables(result)["kpis"]  # the kpis table of --out
    rows = set(zip(kpi_table["block"], kpi_table["name"], kpi_table["kpi"], strict=True))
    assert ("consults", "by_queue.specialists", "hold_per_consult") in rows
    table = CliRunner().invoke(app, ["simulate", str(SCENARIO), "--workers", "1"])
    assert table.exit_code == 0, table.output
    assert "Consults and warm transfers" in table.output
    out = CliRunner().invoke(app, ["simulate", str(SCENARIO), "--json", "--workers", "1"])
    assert out.exit_code == 0, out.output
    assert set(json.loads(out.output)["kpis"]["consults"]["overall"]) == set(CONSULT_KPI_KEYS)
