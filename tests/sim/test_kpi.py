"""KPI definitions: service-level presets, waits, proxies, replications and paired differences."""

from __future__ import annotations

import pytest

from experiencehub.sim.kpi import (
    KPI_KEYS,
    PRESETS,
    AgentTime,
    ContactRecord,
    compare_runs,
    interval_series,
    kpi_block,
    mean_ci,
    repeat_flags,
    run_kpis,
    service_level,
    summarise,
    t_quantile_975,
)


def rec(cid: str, arrived: float, *, answered: float | None = None, abandoned: float | None = None,
        customer: str | None = None, offered: float | None = None, **kw: object) -> ContactRecord:  # fmt: skip
    r = ContactRecord(cid, customer or f"u-{cid}", kw.pop("channel", "phone"), kw.pop("queue", "q"),  # type: ignore[arg-type]
                      kw.pop("segment", "s"), arrived_at=arrived, threshold=20.0)  # type: ignore[arg-type]  # fmt: skip
    if answered is not None:
        r.offered_at = offered if offered is not None else answered
        r.answered_at, r.ended_at, r.outcome = answered, answered + 60.0, "handled"
    if abandoned is not None:
        r.ended_at, r.outcome = abandoned, "abandoned"
    for key, value in kw.items():
        setattr(r, key, value)
    return r


# 10 contacts: 6 answered (4 within 20 s), 3 abandoned (1 short at 2 s, 1 at 15 s, 1 at 40 s), 1 refused
RECORDS = [
    rec("a1", 0.0, answered=0.0),
    rec("a2", 0.0, answered=10.0),
    rec("a3", 0.0, answered=20.0),
    rec("a4", 0.0, answered=5.0),
    rec("a5", 0.0, answered=30.0),
    rec("a6", 0.0, answered=90.0),
    rec("b1", 0.0, abandoned=2.0),
    rec("b2", 0.0, abandoned=15.0),
    rec("b3", 0.0, abandoned=40.0),
    rec("r1", 0.0, outcome="refused", ended_at=0.0),
]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("experiencehub", 4 / 10),  # answered within T / offered
        ("cisco-miss", 4 / 10),
        ("amazon-connect", 6 / 10),  # + the two abandons inside T
        ("cisco-hit", 6 / 10),
        ("cisco-ignore", 4 / 8),  # abandons inside T leave the denominator
        ("genesys", 4 / 8),  # answered + abandoned (9) minus the short abandon
    ],
)
def test_service_level_presets(preset: str, expected: float) -> None:
    assert service_level(RECORDS, PRESETS[preset]) == pytest.approx(expected)


def test_short_abandon_cutoff_is_a_parameter() -> None:
    rule = PRESETS["genesys"].with_short_abandon(20.0)  # now b1 and b2 are short
    assert service_level(RECORDS, rule) == pytest.approx(4 / 7)
    assert kpi_block(RECORDS, rule)["short_abandoned"] == 2


def test_block_counts_and_waits() -> None:
    block = kpi_block(RECORDS, PRESETS["experiencehub"])
    assert set(block) == set(KPI_KEYS)
    assert (block["offered"], block["answered"], block["abandoned"], block["refused"]) == (
        10,
        6,
        3,
        1,
    )
    assert block["short_abandoned"] == 1
    assert block["p_abandon"] == pytest.approx(0.3)
    assert block["asa"] == pytest.approx((0 + 10 + 20 + 5 + 30 + 90) / 6)
    # mean over everyone: answered waits, abandoners until they left, the refused one 0
    assert block["mean_wait_all"] == pytest.approx((155 + 2 + 15 + 40 + 0) / 10)
    assert block["p90_wait"] == 90.0  # nearest rank of 6 answered waits
    assert block["p_wait"] == pytest.approx(9 / 10)  # a1 offered on arrival
    assert block["repeat_contacts"] is None  # no repeat map given


def test_occupancy_is_busy_over_busy_plus_idle() -> None:
    agents = [AgentTime("x", 30.0, 10.0, frozenset({"phone"}), frozenset({"q"})),
              AgentTime("y", 50.0, 10.0, frozenset({"phone"}), frozenset({"q"}))]  # fmt: skip
    assert kpi_block(RECORDS, PRESETS["experiencehub"], agents)["occupancy"] == pytest.approx(0.8)


def test_repeat_flags_and_fcr_proxy() -> None:
    first = rec("c1", 0.0, answered=0.0, customer="u")  # ends at 60
    again = rec("c2", 3000.0, answered=3000.0, customer="u")
    late = rec("c3", 3000.0 + 60 + 7200, answered=10260.0, customer="u")
    other = rec("d1", 0.0, answered=0.0)
    flags = repeat_flags([first, again, late, other], window_seconds=3600.0)
    assert flags["c1"] == (False, True) and flags["c2"] == (True, False)
    assert flags["c3"] == (False, False) and flags["d1"] == (False, False)
    block = kpi_block([first, again, late, other], PRESETS["experiencehub"], repeats=flags)
    assert block["repeat_contacts"] == 1
    assert block["fcr_proxy"] == pytest.approx(3 / 4)
    assert block["effort_proxy"] == pytest.approx(4 / 2)


def test_run_kpis_excludes_warm_up_and_splits_blocks() -> None:
    records = [rec("w", 5.0, answered=5.0), rec("p", 20.0, answered=25.0),
               rec("c", 30.0, answered=30.0, channel="chat", queue="q2", segment="vip")]  # fmt: skip
    agents = [AgentTime("a", 10.0, 10.0, frozenset({"phone"}), frozenset({"q"})),
              AgentTime("b", 30.0, 10.0, frozenset({"chat"}), frozenset({"q2"}))]  # fmt: skip
    out = run_kpis(records, PRESETS["experiencehub"], agents, measured=(10.0, 100.0))
    assert out["overall"]["offered"] == 2
    assert set(out["by_channel"]) == {"phone", "chat"} and set(out["by_queue"]) == {"q", "q2"}
    assert out["by_segment"]["vip"]["offered"] == 1
    assert out["by_channel"]["chat"]["occupancy"] == pytest.approx(0.75)
    assert out["by_queue"]["q"]["occupancy"] == pytest.approx(0.5)
    assert out["overall"]["occupancy"] == pytest.approx(40 / 60)


def test_t_table_and_confidence_interval() -> None:
    assert t_quantile_975(1) == 12.706 and t_quantile_975(30) == 2.042
    assert t_quantile_975(35) == 2.042  # conservative between table rows
    mean, half = mean_ci([10.0, 12.0])
    assert mean == 11.0 and half == pytest.approx(12.706 * 1.0)
    assert mean_ci([3.0]) == (3.0, None)
    with pytest.raises(ValueError, match="df=0"):
        t_quantile_975(0)


def test_summarise_and_paired_differences() -> None:
    runs_a = [{"overall": {"x": 1.0, "n": 10}}, {"overall": {"x": 3.0, "n": 20}}]
    runs_b = [{"overall": {"x": 2.0, "n": 10}}, {"overall": {"x": 4.0, "n": 20}}]
    means, halves = summarise(runs_a)
    assert means["overall"]["x"] == 2.0 and halves["overall"]["x"] == pytest.approx(12.706)
    diff, half = compare_runs(runs_a, runs_b)
    assert diff["overall"]["x"] == 1.0 and half["overall"]["x"] == 0.0  # paired: no spread


def test_summarise_skips_none_values() -> None:
    means, halves = summarise([{"asa": None}, {"asa": 4.0}])
    assert means == {"asa": 4.0} and halves == {"asa": None}


def test_interval_series() -> None:
    records = [
        rec("a", 0.0, answered=10.0),
        rec("b", 50.0, abandoned=70.0),
        rec("c", 130.0, answered=130.0),
    ]
    series = interval_series(records, PRESETS["experiencehub"], start=0.0, end=180.0, interval=60.0)
    assert series["offered"] == [2.0, 0.0, 1.0]
    assert series["service_level"] == [0.5, None, 1.0]
    assert series["waiting"] == pytest.approx([(10 + 10) / 60, 10 / 60, 0.0])
