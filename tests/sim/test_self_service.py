"""Self-service before the queue: contained contacts never reach an agent, the others queue after
their time in self-service, with the facts they gave there (repeat asks without context, spared
asks with it); the KPIs, the scenario checks and the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from experiencehub.cli import app
from experiencehub.sim.engine import run
from experiencehub.sim.report import write_html_report
from experiencehub.sim.runs import simulate
from experiencehub.sim.scenario import Distribution, ScenarioError, SelfService, load_scenario
from experiencehub.sim.self_service import SELF_SERVICE_KPI_KEYS, draw_visit
from experiencehub.sim.tables import tables

from .test_customers import CONTEXT, ONE_AGENT, TEXT, make

ROOT = Path(__file__).resolve().parents[2]
ARRIVALS = [float(t) for t in range(10, 3000, 20)]


def step(contained: float, seconds: float = 30.0, extra: str = "") -> str:
    body = f'contained = {contained}, seconds = {{ kind = "deterministic", value = {seconds} }}'
    return f"self_service = {{ {body}{extra} }}"


def test_without_the_key_nothing_passes_self_service(tmp_path: Path) -> None:
    scenario = make(tmp_path, [10.0, 20.0])
    assert run(scenario).self_service == ()
    assert "self_service" not in simulate(scenario).kpis


def test_contained_contacts_never_reach_the_queue(tmp_path: Path) -> None:
    result = run(make(tmp_path, ARRIVALS, workload=step(1.0)))
    assert result.records == []
    assert len(result.self_service) == len(ARRIVALS)
    assert all(v.contained and v.seconds == 30.0 for v in result.self_service)


def test_handed_contacts_queue_after_their_time_in_self_service(tmp_path: Path) -> None:
    result = run(make(tmp_path, [10.0, 500.0], workload=step(0.0, seconds=45.0)))
    assert [(r.arrived_at, r.answered_at) for r in result.records] == [(55.0, 55.0), (545.0, 545.0)]
    assert [(v.started_at, v.contained, v.facts) for v in result.self_service] == [
        (10.0, False, 0), (500.0, False, 0)
    ]  # fmt: skip


def test_a_share_skips_the_step(tmp_path: Path) -> None:
    result = run(make(tmp_path, ARRIVALS, workload=step(1.0, extra=", share = 0.5")))
    visits, skipped = len(result.self_service), len(result.records)
    assert visits + skipped == len(ARRIVALS) and 0 < visits < len(ARRIVALS)
    assert all(r.arrived_at in ARRIVALS for r in result.records)  # straight to the queue


def test_facts_given_in_self_service_are_repeat_asks_without_context(tmp_path: Path) -> None:
    workload = step(0.0, extra=', verified = 1.0, facts = ["date_of_birth"]')
    context = CONTEXT.format(enabled="false")
    [record] = run(make(tmp_path, [10.0], context=context, workload=workload)).records
    assert (record.asks, record.repeat_asks, record.not_asked) == (2, 1, ())


def test_facts_given_in_self_service_reach_the_agent_with_context(tmp_path: Path) -> None:
    workload = step(0.0, extra=', verified = 1.0, facts = ["date_of_birth"]')
    context = CONTEXT.format(enabled="true")
    result = run(make(tmp_path, [10.0], context=context, workload=workload))
    [record] = result.records
    assert (record.asks, record.repeat_asks, record.not_asked) == (1, 0, ("date_of_birth",))
    assert [v.facts for v in result.self_service] == [1]


def test_verified_defaults_to_every_asked_fact(tmp_path: Path) -> None:
    context = CONTEXT.format(enabled="true")
    workload = step(0.0, extra=", verified = 1.0")
    [record] = run(make(tmp_path, [10.0], context=context, workload=workload)).records
    assert (record.asks, record.repeat_asks) == (0, 0)


def test_the_queue_step_applies_unless_the_workload_has_its_own(tmp_path: Path) -> None:
    by_queue = run(make(tmp_path, [10.0], queue=step(0.0, seconds=5.0)))
    assert [r.arrived_at for r in by_queue.records] == [15.0]
    both = run(make(tmp_path, [10.0], queue=step(0.0, seconds=5.0), workload=step(0.0, 70.0)))
    assert [r.arrived_at for r in both.records] == [80.0]


def test_kpis_count_offered_contained_handed_and_facts(tmp_path: Path) -> None:
    workload = step(0.4, extra=", verified = 0.5")
    context = CONTEXT.format(enabled="false")
    scenario = make(tmp_path, ARRIVALS, context=context, workload=workload, duration=4000)
    result = simulate(scenario)
    block = result.kpis["self_service"]["overall"]
    assert tuple(block) == SELF_SERVICE_KPI_KEYS
    visits = result.runs[0].self_service
    assert block["offered"] == len(visits) == len(ARRIVALS)
    assert block["contained"] == sum(v.contained for v in visits)
    assert block["handed"] == len(result.runs[0].records) == len(ARRIVALS) - block["contained"]
    assert block["handed_with_facts"] == sum(1 for v in visits if v.facts)
    assert block["deflection_rate"] == block["contained"] / block["offered"]
    assert block["time_in_self_service"] == 30.0
    # a handed customer made two steps (self-service, then the agent), a contained one made one
    assert block["effort_proxy"] == (len(ARRIVALS) + block["handed"]) / len(ARRIVALS)
    assert result.kpis["self_service"]["by_queue"]["q"] == block
    # the agents asked again what the customers gave in self-service
    assert result.kpis["overall"]["repeat_asks"] > 0


def test_self_service_keys_are_checked_with_key_paths(tmp_path: Path) -> None:
    bad = 'self_service = { contained = 1.5, seconds = { kind = "exponential", mean = -1 }, share = -0.1, verified = 0.5, facts = ["pin"] }'  # fmt: skip
    with pytest.raises(ScenarioError) as raised:
        make(tmp_path, [10.0], context=CONTEXT.format(enabled="false"), workload=bad)
    assert raised.value.problems == [
        "workload[0].self_service.share: must be a probability in [0, 1], got -0.1",
        "workload[0].self_service.contained: must be a probability in [0, 1], got 1.5",
        "workload[0].self_service.seconds.mean: must be > 0, got -1.0",
        "workload[0].self_service.facts[0]: unknown fact 'pin' (asks: date_of_birth, issue_details)",
    ]
    with pytest.raises(ScenarioError) as raised:
        make(tmp_path, [10.0], queue=step(0.5, extra=", verified = 1.0"))
    assert raised.value.problems == [
        "queues[0].self_service.verified: nothing to verify: add [[context.asks]]"
    ]


def test_the_reports_show_self_service(tmp_path: Path) -> None:
    result = simulate(make(tmp_path, ARRIVALS, workload=step(0.5), duration=3000))
    page = write_html_report(result, tmp_path / "report").read_text(encoding="utf-8")
    assert "<h2>Self-service</h2>" in page and "deflection_rate" in page
    as_json = json.loads(json.dumps(result.to_dict()))
    assert set(as_json["kpis"]["self_service"]) == {"overall", "by_queue"}


def test_the_terminal_json_and_tables_show_self_service(tmp_path: Path) -> None:
    scenario = make(tmp_path, ARRIVALS, workload=step(0.5), duration=3000)
    path = tmp_path / "ss.toml"
    path.write_text(TEXT.format(duration=3000, sim="", context="", queue="", agents=ONE_AGENT,
                                workload=step(0.5), channel="phone"))  # fmt: skip
    text = CliRunner().invoke(app, ["simulate", str(path)], env={"COLUMNS": "120"})
    assert text.exit_code == 0, text.output
    assert "Self-service" in text.output and "deflection rate" in text.output
    as_json = json.loads(CliRunner().invoke(app, ["simulate", str(path), "--json"]).output)
    assert as_json["kpis"]["self_service"]["overall"]["offered"] == len(ARRIVALS)
    kpis = tables(simulate(scenario))["kpis"]
    rows = {(b, k) for b, k in zip(kpis["block"], kpis["kpi"], strict=True)}
    assert ("self_service", "deflection_rate") in rows


def test_the_example_scenario_deflects_and_spares_asks() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "self-service.toml")
    scenario = scenario.with_overrides(replications=1, duration=7200.0)
    off, on = simulate(scenario.with_context(False)), simulate(scenario.with_context(True))
    for result in (off, on):
        block = result.kpis["self_service"]["overall"]
        assert 0.2 < block["deflection_rate"] < 0.5 and block["handed_with_facts"] > 0
    assert on.kpis["overall"]["repeat_asks"] < off.kpis["overall"]["repeat_asks"]


@settings(max_examples=40, deadline=None)
@given(
    share=st.floats(0.0, 1.0),
    contained=st.floats(0.0, 1.0),
    verified=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
)
def test_a_visit_is_reproducible_and_only_handed_contacts_carry_facts(
    share: float, contained: float, verified: float, seed: int
) -> None:
    config = SelfService(
        contained=contained, share=share, verified=verified,
        seconds=Distribution(kind="exponential", mean=60.0),
    )  # fmt: skip
    for number in range(1, 20):
        drawn = draw_visit(config, ("a", "b"), seed=seed, number=number)
        assert drawn == draw_visit(config, ("a", "b"), seed=seed, number=number)
        if drawn is not None:
            assert drawn.seconds >= 0.0
            assert drawn.facts in ((), ("a", "b"))
            assert not (drawn.contained and drawn.facts)


@settings(max_examples=15, deadline=None)
@given(
    contained=st.floats(0.0, 1.0),
    seconds=st.floats(0.0, 500.0),
    arrivals=st.lists(st.floats(0.0, 2000.0), min_size=1, max_size=12),
)
def test_every_handed_visit_becomes_exactly_one_contact(
    tmp_path_factory: pytest.TempPathFactory, contained: float, seconds: float,
    arrivals: list[float],
) -> None:  # fmt: skip
    tmp = tmp_path_factory.mktemp("ss")
    result = run(make(tmp, sorted(arrivals), workload=step(contained, seconds)))
    handed = sorted((v.customer_id, v.started_at + v.seconds)
                    for v in result.self_service if not v.contained)  # fmt: skip
    contacts = sorted((r.customer_id, r.arrived_at) for r in result.records)
    assert handed == contacts
    assert len(result.self_service) == len(arrivals)
