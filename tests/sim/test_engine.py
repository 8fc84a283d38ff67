"""The event loop: small scenarios whose exact timeline is known, driven through the real Router."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from experiencehub.core.router import Router
from experiencehub.sim import kpi
from experiencehub.sim.build import build_router
from experiencehub.sim.engine import FORCED_AWAY_SECONDS, run
from experiencehub.sim.kpi import ContactRecord
from experiencehub.sim.runs import compare, simulate
from experiencehub.sim.scenario import Scenario, load_scenario, load_scenario_text

BASE = """
[simulation]
duration = 1000
drain_seconds = 1000
{sim}

[[queues]]
name = "q"
channel = "phone"
requires = ["s"]
{queue}

[[queues]]
name = "other"
channel = "phone"
requires = ["s"]

[[agents]]
group = "g"
count = {agents}
skills = {{ s = 1 }}
capacity = {{ phone = 1 }}
{agent}

[[workload]]
queue = "q"
arrivals = {{ kind = "trace", path = "arrivals.csv" }}
handle_seconds = {{ kind = "deterministic", value = 10 }}
{workload}
"""


def scenario(tmp_path: Path, arrivals: list[float], *, sim: str = "", queue: str = "",
             agents: int = 1, agent: str = "", workload: str = "", extra: str = "") -> Scenario:  # fmt: skip
    (tmp_path / "arrivals.csv").write_text("\n".join(str(t) for t in arrivals) + "\n")
    text = BASE.format(sim=sim, queue=queue, agents=agents, agent=agent, workload=workload) + extra
    return load_scenario_text(text, base_dir=tmp_path)


def timeline(
    records: list[ContactRecord],
) -> list[tuple[str, float, float | None, float | None, str]]:
    return [(r.queue, r.arrived_at, r.answered_at, r.ended_at, r.outcome) for r in records]


def test_router_is_the_real_one(tmp_path: Path) -> None:
    assert isinstance(build_router(scenario(tmp_path, [1.0])), Router)


def test_fifo_single_agent(tmp_path: Path) -> None:
    result = run(scenario(tmp_path, [0.0, 1.0, 2.0]))
    assert timeline(result.records) == [
        ("q", 0.0, 0.0, 10.0, "handled"),
        ("q", 1.0, 10.0, 20.0, "handled"),
        ("q", 2.0, 20.0, 30.0, "handled"),
    ]
    assert [r.agent_id for r in result.records] == ["g-1"] * 3
    (agent,) = result.agents
    assert agent.busy == 30.0 and agent.idle == 970.0  # measured window [0, 1000)


def test_patience_abandon_and_callback_on_another_queue(tmp_path: Path) -> None:
    workload = (
        'patience_seconds = { kind = "deterministic", value = 5 }\n'
        'callback = { probability = 1.0, queue = "other", delay_seconds = { kind = "deterministic", value = 2 } }'
    )
    result = run(scenario(tmp_path, [0.0, 1.0], workload=workload))
    first, second, callback = result.records
    assert (first.outcome, first.answered_at) == ("handled", 0.0)
    assert (second.outcome, second.ended_at, second.wait) == ("abandoned", 6.0, 5.0)
    assert (callback.origin, callback.queue, callback.arrived_at) == ("callback", "other", 8.0)
    assert callback.customer_id == second.customer_id
    assert (callback.answered_at, callback.outcome) == (10.0, "handled")


def test_connected_first_cancels_the_abandon(tmp_path: Path) -> None:
    workload = 'patience_seconds = { kind = "deterministic", value = 9.5 }'
    result = run(scenario(tmp_path, [0.0, 1.0], workload=workload))
    assert [r.outcome for r in result.records] == ["handled", "handled"]  # answered at 10 > 9.5?
    # the second contact waited 9 s < 9.5 s patience, so it is answered at 10
    assert result.records[1].answered_at == 10.0


@pytest.mark.parametrize(
    "wrap",
    ['wrap_up = { mode = "timed", seconds = 5 }',
     'wrap_up = { mode = "manual", duration = { kind = "deterministic", value = 5 } }'],
)  # fmt: skip
def test_wrap_up_delays_the_next_contact(tmp_path: Path, wrap: str) -> None:
    result = run(scenario(tmp_path, [0.0, 1.0], queue=wrap))
    assert [r.answered_at for r in result.records] == [0.0, 15.0]
    assert result.agents[0].busy == 30.0  # handle and wrap-up count as busy


def test_stage_expiry_offers_at_exactly_the_deadline(tmp_path: Path) -> None:
    queue = "stages = [{ after = 0, max_cost = 0 }, { after = 30 }]"
    # a group with no skills serves only where a stage takes any agent
    extra = '\n[[agents]]\ngroup = "x"\ncount = 1\nskills = {}\ncapacity = { phone = 1 }\n'
    result = run(scenario(tmp_path, [0.0, 0.1, 0.2, 0.3, 0.4], queue=queue, extra=extra))
    answered = [(r.arrived_at, r.answered_at, r.agent_id) for r in result.records]
    # g-1 serves one every 10 s; the contact of 0.4 s widens to any agent at exactly 30.4 s,
    # before g-1 frees at 40 s, so x-1 (who lacks the skill) takes it then
    assert answered == [
        (0.0, 0.0, "g-1"),
        (0.1, 10.0, "g-1"),
        (0.2, 20.0, "g-1"),
        (0.3, 30.0, "g-1"),
        (0.4, pytest.approx(30.4), "x-1"),
    ]


def test_answer_delay_and_rejections(tmp_path: Path) -> None:
    agent = 'answer_delay_seconds = { kind = "deterministic", value = 3 }\nreject_probability = 0.3'
    result = run(scenario(tmp_path, [float(t) for t in range(0, 600, 30)], agents=3, agent=agent))
    handled = [r for r in result.records if r.outcome == "handled"]
    stranded = [r for r in result.records if r.outcome != "handled"]
    # each answer takes 3 s; a rejection costs 3 s and the next agent is offered at once
    assert all(r.wait in (3.0, 6.0, 9.0) for r in handled)
    assert any(r.wait == 6.0 for r in handled)
    # the router never re-offers a contact to an agent who declined it: a customer declined by all
    # three agents (and with no patience) waits to the end of the run
    assert len(handled) >= 15
    assert all(r.outcome == "unfinished" and r.offered_at == r.arrived_at for r in stranded)
    assert all(r.offered_at == r.arrived_at for r in result.records)


def test_shifts_and_breaks(tmp_path: Path) -> None:
    agent = "shifts = [{ start = 100, end = 500, breaks = [{ at = 200, seconds = 100 }] }]"
    result = run(scenario(tmp_path, [0.0, 250.0, 600.0], agent=agent))
    first, during_break, after_shift = result.records
    assert first.answered_at == 100.0
    assert during_break.answered_at == 300.0
    assert after_shift.outcome == "unfinished"
    (agent_time,) = result.agents
    assert agent_time.busy == 20.0 and agent_time.idle == 400.0 - 100.0 - 20.0


def test_time_away_is_counted_per_reason(tmp_path: Path) -> None:
    breaks = (
        '{ at = 200, seconds = 100 }, { at = 350, seconds = 50, reason = "training" }'
    )
    agent = f"shifts = [{{ start = 100, end = 500, breaks = [{breaks}] }}]"
    result = run(scenario(tmp_path, [0.0, 250.0], agent=agent))
    (agent_time,) = result.agents
    assert agent_time.away == {"break": 100.0, "training": 50.0}
    assert agent_time.busy + agent_time.idle + 150.0 == 400.0  # the shift, split three ways
    assert kpi.away_kpis(result.agents)["training"] == {
        "agent_hours": 50.0 / 3600.0,
        "away_share": 50.0 / 400.0,
    }


def test_time_set_away_by_the_router_counts_as_unanswered_offers(tmp_path: Path) -> None:
    sim = "offer_timeout = 5\nmax_unanswered_offers = 1"
    agent = 'answer_delay_seconds = { kind = "deterministic", value = 8 }'
    result = run(scenario(tmp_path, [0.0], sim=sim, agent=agent))
    (agent_time,) = result.agents
    assert agent_time.away == {"unanswered offers": FORCED_AWAY_SECONDS}


def test_logout_lets_work_in_progress_finish(tmp_path: Path) -> None:
    agent = "shifts = [{ start = 0, end = 5 }]"
    result = run(scenario(tmp_path, [0.0], agent=agent))
    assert timeline(result.records) == [("q", 0.0, 0.0, 10.0, "handled")]
    assert result.agents[0].busy == 10.0


def test_transfer_moves_the_contact_and_counts(tmp_path: Path) -> None:
    workload = 'transfer = { probability = 1.0, queue = "other", handle_seconds = { kind = "deterministic", value = 4 } }'
    result = run(scenario(tmp_path, [0.0], workload=workload, agents=2))
    (record,) = result.records
    assert (record.transfers, record.final_queue, record.outcome) == (1, "other", "handled")
    assert record.ended_at == 14.0  # 10 s in q, then 4 s in other


def test_repeat_contacts_come_back_as_the_same_customer(tmp_path: Path) -> None:
    workload = (
        'repeat = { probability = 0.5, delay_seconds = { kind = "deterministic", value = 100 } }'
    )
    result = run(
        scenario(tmp_path, [float(t) for t in range(0, 800, 20)], agents=2, workload=workload)
    )
    repeats = [r for r in result.records if r.origin == "repeat"]
    assert 5 <= len(repeats) <= 35
    originals = {r.customer_id: r for r in result.records if r.origin == "new"}
    for r in repeats:
        assert r.arrived_at == pytest.approx((originals[r.customer_id].ended_at or 0) + 100.0)


def test_same_seed_same_run_and_common_random_numbers(tmp_path: Path) -> None:
    text = """
[simulation]
duration = 7200
seed = 5
replications = 2
[[queues]]
name = "q"
channel = "phone"
requires = { s = 1 }
[[agents]]
group = "a"
count = 3
skills = { s = 3 }
capacity = { phone = 1 }
[[agents]]
group = "b"
count = 3
skills = { s = 1 }
capacity = { phone = 1 }
[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 200 }
handle_seconds = { kind = "exponential", mean = 90 }
patience_seconds = { kind = "exponential", mean = 60 }
"""
    sc = load_scenario_text(text)
    one, two = run(sc), run(sc)
    assert timeline(one.records) == timeline(two.records)
    other = run(sc, policy="most_proficient")
    assert [r.arrived_at for r in one.records] == [r.arrived_at for r in other.records]
    assert [r.agent_id for r in one.records] != [r.agent_id for r in other.records]
    comparison = compare(sc, ["longest_idle", "most_proficient"])
    base, alt = comparison.results
    assert base.kpis["overall"]["offered"] == alt.kpis["overall"]["offered"]
    diff, _half = comparison.differences["most_proficient"]
    assert diff["overall"]["offered"] == 0
    assert set(comparison.to_dict()["policies"]) == {"longest_idle", "most_proficient"}


def test_simulate_result_shape_and_overrides(tmp_path: Path) -> None:
    sc = scenario(tmp_path, [0.0, 1.0, 2.0])
    seen: list[float] = []
    result = simulate(sc, replications=2, seed=9, progress=seen.append)
    data = result.to_dict()
    assert data["preset"] == "experiencehub" and data["replications"] == 2 and data["seed"] == 9
    blocks = {"overall", "by_channel", "by_queue", "by_segment", "by_group", "away", "estimated_wait"}
    assert set(data["kpis"]) == blocks
    for key in ("offered", "answered", "abandoned", "p_wait", "p_abandon", "asa",
                "service_level", "mean_wait_all", "occupancy"):  # fmt: skip
        assert key in data["kpis"]["overall"] and key in data["kpis"]["by_channel"]["phone"]
    assert seen[-1] == 1.0
    assert result.customers == 6 and len(result.records) == 6


SINGLE_QUEUE = Path(__file__).resolve().parents[2] / "scenarios" / "single-queue.toml"


@pytest.mark.parametrize("enabled", [True, False])
def test_run_restores_the_garbage_collector(enabled: bool) -> None:
    sc = load_scenario(SINGLE_QUEUE).with_overrides(duration=600.0, warmup=0.0, replications=1)
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        run(sc)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_run_makes_no_cyclic_garbage_per_contact() -> None:
    """The collector is paused during a run: that is only safe while no event leaves cycles.

    The finished simulation and router are one cyclic structure (bound methods in their dispatch
    tables), garbage once per run together with what only they still hold: agents, the heaps'
    last entries (about a thousand objects here, whatever the run's length). A cycle left by
    each event would leave tens of thousands. The result is kept alive while counting.
    """
    sc = load_scenario(SINGLE_QUEUE).with_overrides(duration=8 * 3600.0, warmup=0.0, replications=1)
    gc.collect()
    result = run(sc)
    left = gc.collect()
    assert len(result.records) > 20_000
    assert left < 3_000, f"{left} objects of cyclic garbage after {len(result.records)} contacts"
