"""Staffing plans from forecasts: Erlang per row, rosters, the planned scenario and its simulated check."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub.core.errors import ConfigError
from experiencehub.sim.erlang_staffing import staff_erlang_a, staff_erlang_c
from experiencehub.sim.forecast import forecast_from_text
from experiencehub.sim.kpi import service_level_rule
from experiencehub.sim.scenario import load_scenario_text
from experiencehub.sim.staffing import StaffingSettings, check_plan, plan_scenario, plan_staffing

BASE = """
name = "base"
[simulation]
duration = 7200
seed = 4
[[queues]]
name = "phone"
channel = "phone"
requires = ["support"]
service_level_seconds = 30
[[queues]]
name = "chat"
channel = "chat"
requires = ["support"]
service_level_seconds = 60
[[queues]]
name = "email"
channel = "email"
requires = ["support"]
service_level_seconds = 3600
[[queues]]
name = "back"
channel = "phone"
requires = ["support"]
[[agents]]
group = "generalists"
count = 4
skills = { support = 1 }
capacity = { phone = 1, chat = 2, email = 3 }
[[agents]]
group = "phone"
count = 10
skills = { support = 2 }
capacity = { phone = 1 }
shifts = [{ start = 0, end = 7200, breaks = [
  { at = 1800, seconds = 600, spread_seconds = 600 },
  { at = 5000, seconds = 900, reason = "lunch" },
] }]
[[agents]]
group = "chat"
count = 4
skills = { support = 2 }
capacity = { chat = 3 }
[[workload]]
queue = "phone"
segment = "gold"
arrivals = { kind = "poisson", per_hour = 30 }
handle_seconds = { kind = "lognormal", mean = 200, sd = 100 }
patience_seconds = { kind = "exponential", mean = 100 }
[[workload]]
queue = "phone"
segment = "standard"
arrivals = { kind = "poisson", per_hour = 90 }
handle_seconds = { kind = "gamma", mean = 250, sd = 50 }
patience_seconds = { kind = "exponential", mean = 150 }
callback = { probability = 0.2, queue = "back" }
[[workload]]
queue = "chat"
arrivals = { kind = "poisson", per_hour = 20 }
handle_seconds = { kind = "exponential", mean = 400 }
"""

FORECAST = """start,queue,volume,aht,patience,group
0,phone,40,300,120,phone
1800,phone,60,300,120,phone
3600,phone,60,240,120,phone
5400,phone,30,240,120,phone
0,chat,10,480,,
3600,chat,20,480,,
1800,email,30,200,,generalists
"""


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    return load_scenario_text(BASE)


def test_rows_get_erlang_agents_per_capacity_and_rosters_add_shrinkage(base) -> None:  # type: ignore[no-untyped-def]
    plan = plan_staffing(forecast_from_text(FORECAST), base, StaffingSettings(shrinkage=0.25))
    rows = {(r.row.queue, r.row.start): r for r in plan.rows}
    phone = rows["phone", 1800.0]
    assert phone.group == "phone" and phone.threshold_seconds == 30
    assert phone.erlang == staff_erlang_a(120, 300, 30, 120, target_sl=0.8, max_occupancy=0.85)
    chat = rows["chat", 3600.0]
    assert chat.group == "generalists"  # the first group (file order) serving chat at stage 0
    assert chat.erlang == staff_erlang_c(40, 480, 60, target_sl=0.8, max_occupancy=0.85)
    assert chat.agents == math.ceil(chat.erlang.agents / 2)  # 2 chats at once
    for group, counts in plan.rostered.items():
        for i, start in enumerate(plan.forecast.starts):
            mine = sum(r.agents for r in plan.rows if r.group == group and r.row.start == start)
            assert counts[i] == math.ceil(mine / 0.75 - 1e-9)
    assert rows["email", 1800.0].group == "generalists"
    assert set(plan.rostered) == {"generalists", "phone"}


def test_group_is_the_first_serving_at_the_first_stage(base) -> None:  # type: ignore[no-untyped-def]
    text = "start,queue,volume,aht\n0,chat,10,300\n1800,phone,10,300\n"
    plan = plan_staffing(forecast_from_text(text), base)
    assert {r.row.queue: r.group for r in plan.rows} == {
        "chat": "generalists",
        "phone": "generalists",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("start,queue,volume,aht\n0,fax,1,60\n600,fax,1,60\n", "queue 'fax': not in the scenario"),
        ("start,queue,volume,aht,group\n0,chat,1,60,phone\n600,chat,1,60,phone\n",
         "group 'phone': cannot serve queue 'chat'"),
        ("start,queue,volume,aht,group\n0,chat,1,60,nobody\n600,chat,1,60,nobody\n",
         "group 'nobody': not in the scenario"),
    ],
)  # fmt: skip
def test_unknown_queues_and_groups_are_refused(base, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message):
        plan_staffing(forecast_from_text(text), base)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"shrinkage": 1.0}, "shrinkage=1.0"), ({"target_sl": 1.0}, "target_sl=1.0"),
     ({"max_occupancy": 0.0}, "max_occupancy=0.0"), ({"threshold_seconds": -1.0}, "threshold_seconds=-1.0"),
     ({"tolerance": 1.0}, "tolerance=1.0")],
)  # fmt: skip
def test_bad_settings_are_refused(base, change: dict[str, float], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message):
        plan_staffing(forecast_from_text(FORECAST), base, StaffingSettings(**change))  # type: ignore[arg-type]


def test_planned_scenario_follows_the_plan(base) -> None:  # type: ignore[no-untyped-def]
    plan = plan_staffing(forecast_from_text(FORECAST), base, StaffingSettings(threshold_seconds=20))
    scenario = plan_scenario(plan, base)
    assert {q.name for q in scenario.queues} == {
        "phone",
        "chat",
        "email",
        "back",
    }  # back: callbacks
    assert {q.service_level_seconds for q in scenario.queues if q.name != "back"} == {20}
    # shifts reproduce the roster in every interval
    for name, counts in plan.rostered.items():
        mine = [g for g in scenario.agents if g.group == name or g.group.startswith(f"{name}-s")]
        for i, start in enumerate(plan.forecast.starts):
            working = sum(g.count for g in mine if any(s.start <= start < s.end for s in g.shifts))
            assert working == counts[i], (name, i)
    phone_groups = [g for g in scenario.agents if g.group.startswith("phone")]
    for group in phone_groups:
        for shift in group.shifts:
            for pause in shift.breaks:
                assert (
                    shift.start <= pause.at
                    and pause.at + pause.spread_seconds + pause.seconds <= shift.end
                )
    assert any(p.reason == "lunch" for g in phone_groups for s in g.shifts for p in s.breaks)
    # arrivals: forecast rates split over the phone segments by their mean rates (30 : 90)
    gold, standard = (
        w for w in scenario.workload if w.queue == "phone" and w.handle_seconds.mean == 300
    )
    assert gold.segment == "gold" and gold.arrivals.rates_per_hour == (20.0, 30.0, 0.0, 0.0)
    assert standard.arrivals.rates_per_hour == (60.0, 90.0, 0.0, 0.0)
    assert gold.handle_seconds.sd == pytest.approx(150.0)  # lognormal sd scaled with the mean
    assert gold.patience_seconds.kind == "exponential" and gold.patience_seconds.mean == 120
    assert standard.callback is not None and standard.service_level_seconds is None
    email = [w for w in scenario.workload if w.queue == "email"]
    assert len(email) == 1 and email[0].handle_seconds.kind == "exponential"  # no base entry
    assert scenario.simulation.warmup == 0 and scenario.simulation.duration == 7200


def test_a_forecast_off_the_interval_grid_is_refused(base) -> None:  # type: ignore[no-untyped-def]
    text = (
        "interval_minutes = 30\n[[intervals]]\nstart = 100\nqueue = 'chat'\nvolume = 1\naht = 60\n"
    )
    plan = plan_staffing(forecast_from_text(text, kind="toml"), base)
    with pytest.raises(ConfigError, match="whole number of intervals"):
        plan_scenario(plan, base)


def test_the_check_finds_the_interval_a_break_empties(base) -> None:  # type: ignore[no-untyped-def]
    everyone_away = BASE.replace(
        "{ at = 1800, seconds = 600, spread_seconds = 600 }", "{ at = 3600, seconds = 1800 }"
    ).replace('{ at = 5000, seconds = 900, reason = "lunch" },', "")
    away_base = load_scenario_text(everyone_away)
    text = "start,queue,volume,aht,group\n" + "".join(
        f"{t},phone,60,200,phone\n" for t in (0, 1800, 3600, 5400)
    )
    rule = service_level_rule("experiencehub")
    plan = plan_staffing(
        forecast_from_text(text), away_base, StaffingSettings(shrinkage=0.2, rule=rule)
    )
    check = check_plan(plan, away_base, replications=2)
    verdicts = [c.verdict for c in check.intervals]
    assert verdicts[2] == "under"  # every phone agent is on a break from 1:00 to 1:30
    assert verdicts[0] in ("ok", "over") and check.intervals[2].service_level < 0.5
    assert check.intervals[0].offered == pytest.approx(60, abs=25)
    data = check.to_dict()
    assert data["intervals"][2]["verdict"] == "under" and data["replications"] == 2


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 120), min_size=2, max_size=8), st.floats(0.0, 0.5))
def test_shifts_rebuild_any_roster(volumes: list[int], shrinkage: float) -> None:
    base = load_scenario_text(BASE)
    if not any(volumes):
        volumes[0] = 1
    text = "start,queue,volume,aht\n" + "".join(
        f"{i * 900},phone,{v},200\n" for i, v in enumerate(volumes)
    )
    plan = plan_staffing(forecast_from_text(text), base, StaffingSettings(shrinkage=shrinkage))
    for r in plan.rows:
        if r.erlang is not None:
            assert r.erlang.service_level >= 0.8 and r.erlang.occupancy <= 0.85
    scenario = plan_scenario(plan, base)
    counts = plan.rostered["generalists"]
    for i, start in enumerate(plan.forecast.starts):
        working = sum(
            g.count for g in scenario.agents if any(s.start <= start < s.end for s in g.shifts)
        )
        assert working == counts[i]
        assert counts[i] >= plan.rows[i].agents / (1 - shrinkage) - 1e-9
