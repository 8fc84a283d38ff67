"""KPI definitions: service-level presets, waits, proxies, replications and paired differences."""

from __future__ import annotations

import attrs
import pytest

from experiencehub.sim.kpi import (
    AGENT_LOAD_KPI_KEYS,
    GROUP_KPI_KEYS,
    KPI_KEYS,
    PRESETS,
    AgentTime,
    ContactRecord,
    compare_runs,
    group_kpis,
    issue_summaries,
    kpi_block,
    mean_ci,
    repeat_flags,
    run_kpis,
    service_level,
    summarise,
    t_quantile_975,
)
from experiencehub.sim.timeline import interval_series


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


# -- issues: the simulated customer's one issue and its contacts --------------------------------
# u1: resolved at its first answered contact (ends at 70).
# u2: abandoned a chat, then phoned back (callback) and was resolved there (ends at 100).
# u3: not resolved on the first call, came back (origin "unresolved") and was resolved (ends at 260).
# u4: answered once, never resolved.
ISSUES = [
    rec("A1", 0.0, answered=10.0, customer="u1", resolved=True,
        handle_seconds=50.0, wrap_seconds=10.0, asks=2, repeat_asks=0),
    rec("B1", 5.0, abandoned=25.0, customer="u2", channel="chat"),
    rec("C1", 10.0, answered=20.0, customer="u3", resolved=False,
        handle_seconds=40.0, wrap_seconds=0.0, asks=1, repeat_asks=0),
    rec("D1", 15.0, answered=30.0, customer="u4", resolved=False,
        handle_seconds=70.0, wrap_seconds=20.0, asks=0, repeat_asks=0),
    rec("B2", 30.0, answered=40.0, customer="u2", origin="callback", resolved=True,
        handle_seconds=60.0, wrap_seconds=20.0, asks=3, repeat_asks=1),
    rec("C2", 200.0, answered=200.0, customer="u3", origin="unresolved", resolved=True,
        handle_seconds=40.0, wrap_seconds=10.0, asks=2, repeat_asks=1),
]  # fmt: skip
EH = PRESETS["experiencehub"]


def test_issue_summaries_find_first_contacts_in_any_order() -> None:
    issues = issue_summaries(list(reversed(ISSUES)))
    assert sorted(issues) == ["u1", "u2", "u3", "u4"]
    u2, u3 = issues["u2"], issues["u3"]
    assert (u2.first.contact_id, u2.first_answered, u2.resolving) == ("B1", ISSUES[4], ISSUES[4])
    assert (u3.first.contact_id, u3.first_answered, u3.resolving) == ("C1", ISSUES[2], ISSUES[5])
    assert [issues[u].contacts for u in ("u1", "u2", "u3", "u4")] == [1, 2, 2, 1]


def test_issue_kpis_of_a_block() -> None:
    block = kpi_block(ISSUES, EH)
    assert block["issues"] == 4
    # first answered contacts: A1 resolved, B2 resolved (the abandon before it was not answered),
    # C1 not, D1 not
    assert block["fcr"] == pytest.approx(2 / 4)
    assert block["p_resolved"] == pytest.approx(3 / 4)  # u1, u2, u3
    assert block["contacts_per_issue"] == pytest.approx((1 + 2 + 2 + 1) / 4)
    # end of the resolving contact − arrival of the first: u1 70 − 0, u2 100 − 5, u3 260 − 10
    assert block["time_to_resolution"] == pytest.approx((70 + 95 + 250) / 3)


def test_asks_and_handling_means() -> None:
    block = kpi_block(ISSUES, EH)  # 5 answered contacts, all handled
    assert block["asks"] == pytest.approx((2 + 1 + 0 + 3 + 2) / 5)
    assert block["repeat_asks"] == pytest.approx((0 + 0 + 0 + 1 + 1) / 5)
    assert block["aht"] == pytest.approx((50 + 40 + 70 + 60 + 40) / 5)
    assert block["acw"] == pytest.approx((10 + 0 + 20 + 20 + 10) / 5)
    # answered but still connected at the end: counts for asks, not for aht/acw
    cut = rec("E1", 50.0, customer="u5", asks=1, handle_seconds=30.0, wrap_seconds=5.0,
              offered_at=55.0, answered_at=55.0)  # fmt: skip
    block = kpi_block([*ISSUES, cut], EH)
    assert block["asks"] == pytest.approx(9 / 6) and block["repeat_asks"] == pytest.approx(2 / 6)
    assert block["aht"] == pytest.approx(52.0) and block["acw"] == pytest.approx(12.0)
    # its issue has an answered contact that resolved nothing (yet): in the fcr denominator
    assert block["issues"] == 5 and block["fcr"] == pytest.approx(2 / 5)


def test_issue_kpis_none_without_a_denominator() -> None:
    block = kpi_block([rec("x", 0.0, abandoned=9.0, customer="u9")], EH)
    assert (block["issues"], block["contacts_per_issue"], block["p_resolved"]) == (1, 1.0, 0.0)
    assert block["fcr"] is None and block["time_to_resolution"] is None  # never answered
    assert block["asks"] is None and block["aht"] is None and block["acw"] is None
    empty = kpi_block([], EH)
    assert empty["issues"] == 0 and empty["p_resolved"] is None
    assert empty["contacts_per_issue"] is None


def test_run_kpis_assigns_an_issue_to_its_first_contacts_blocks() -> None:
    out = run_kpis(ISSUES, EH, [], measured=(0.0, 1000.0))
    assert out["overall"]["issues"] == 4 and out["overall"]["fcr"] == pytest.approx(0.5)
    chat, phone = out["by_channel"]["chat"], out["by_channel"]["phone"]
    # u2 started in chat: counted there, with its phone callback
    assert (chat["issues"], chat["fcr"], chat["p_resolved"]) == (1, 1.0, 1.0)
    assert chat["contacts_per_issue"] == 2.0 and chat["time_to_resolution"] == pytest.approx(95.0)
    assert chat["asks"] is None and chat["aht"] is None  # no contact answered in chat
    # phone: u1, u3, u4 (B2 is u2's second contact)
    assert phone["issues"] == 3 and phone["fcr"] == pytest.approx(1 / 3)
    assert phone["contacts_per_issue"] == pytest.approx(4 / 3)
    assert phone["time_to_resolution"] == pytest.approx((70 + 250) / 2)
    assert phone["asks"] == pytest.approx(8 / 5)  # contacts count where they arrived


def test_run_kpis_issue_window() -> None:
    # u1 started before the window: not counted; u3's return at 200 is after it, yet counts for u3
    out = run_kpis(ISSUES, EH, [], measured=(1.0, 150.0))["overall"]
    assert out["offered"] == 4 and out["issues"] == 3
    assert out["fcr"] == pytest.approx(1 / 3) and out["p_resolved"] == pytest.approx(2 / 3)
    assert out["contacts_per_issue"] == pytest.approx(5 / 3)
    assert out["time_to_resolution"] == pytest.approx((95 + 250) / 2)
    assert out["asks"] == pytest.approx((3 + 1 + 0) / 3)  # B2, C1, D1: answered inside


def test_old_kpis_unchanged_by_the_issue_model() -> None:
    # values of the KPI code before issues existed, for the same records
    records = [*RECORDS, rec("c1", 100.0, answered=100.0, customer="u-a1", channel="chat",
                             queue="q2", transfers=1)]  # fmt: skip
    agents = [AgentTime("x", 30.0, 10.0, frozenset({"phone"}), frozenset({"q"})),
              AgentTime("y", 50.0, 10.0, frozenset({"chat"}), frozenset({"q2"}))]  # fmt: skip
    before = {
        "offered": 11, "answered": 7, "abandoned": 3, "short_abandoned": 1, "refused": 1,
        "unfinished": 0, "p_wait": 9 / 11, "p_abandon": 3 / 11, "asa": 155 / 7,
        "mean_wait_all": 212 / 11, "p90_wait": 90.0, "service_level": 5 / 9, "occupancy": 0.8,
        "transfers": 1, "repeat_contacts": 1, "fcr_proxy": 6 / 7, "effort_proxy": 1.2,
    }  # fmt: skip
    rule = PRESETS["genesys"]
    out = run_kpis(records, rule, agents, measured=(0.0, 1000.0), repeat_window_seconds=3600.0)
    assert {k: out["overall"][k] for k in before} == pytest.approx(before)
    assert out["by_channel"]["chat"]["effort_proxy"] == 2.0 and out["by_group"] == {}
    # the new fields feed only the new keys
    for r in records:
        r.resolved, r.handle_seconds, r.wrap_seconds, r.asks, r.repeat_asks = True, 9.0, 9.0, 3, 2
    again = run_kpis(records, rule, agents, measured=(0.0, 1000.0), repeat_window_seconds=3600.0)
    assert {k: again["overall"][k] for k in before} == pytest.approx(before)
    assert list(again["overall"]) == [*KPI_KEYS, *AGENT_LOAD_KPI_KEYS]
    assert list(again["by_channel"]["chat"]) == list(KPI_KEYS)


def _agent(name: str, group: str, busy: float, idle: float, **work: float) -> AgentTime:
    return AgentTime(name, busy, idle, frozenset({"phone"}), frozenset({"q"}), group, **work)  # type: ignore[arg-type]


GROUP_AGENTS = [
    _agent("a1", "fast", 30.0, 10.0, answered=3, handle_seconds=150.0, wrap_seconds=30.0, ended=3,
           resolved=2, first_contacts=2, first_resolved=1, slot_seconds=45.0,
           capacity_seconds=60.0),
    _agent("a2", "fast", 50.0, 10.0, answered=1, handle_seconds=70.0, wrap_seconds=10.0, ended=1,
           resolved=1, first_contacts=1, first_resolved=1, slot_seconds=50.0,
           capacity_seconds=60.0),
    _agent("a3", "slow", 0.0, 0.0),
    _agent("a4", "", 99.0, 1.0, answered=7),  # no group: in no by_group block
]  # fmt: skip


def test_by_group_from_agent_time() -> None:
    out = run_kpis(ISSUES, EH, GROUP_AGENTS, measured=(0.0, 1000.0))
    assert list(out["by_group"]) == ["fast", "slow"]
    fast, slow = out["by_group"]["fast"], out["by_group"]["slow"]
    assert list(fast) == [*GROUP_KPI_KEYS, *AGENT_LOAD_KPI_KEYS]
    assert {k: fast[k] for k in GROUP_KPI_KEYS} == pytest.approx({
        "agents": 2, "occupancy": 80 / 100, "slot_utilisation": 95 / 120, "contacts_handled": 4,
        "aht": 220 / 4, "acw": 40 / 4, "fcr": 2 / 3, "resolution": 3 / 4,
    })  # fmt: skip
    assert {k: slow[k] for k in GROUP_KPI_KEYS} == {"agents": 1, "occupancy": None,
                    "slot_utilisation": None, "contacts_handled": 0, "aht": None, "acw": None,
                    "fcr": None, "resolution": None}  # fmt: skip
    assert group_kpis([_agent("b", "", 1.0, 1.0)]) == {}


def test_summarise_and_compare_by_group() -> None:
    slower = [attrs.evolve(a, handle_seconds=2 * a.handle_seconds) for a in GROUP_AGENTS]
    base = [{"by_group": group_kpis(GROUP_AGENTS)}, {"by_group": group_kpis(slower)}]
    means, halves = summarise(base)
    assert means["by_group"]["fast"]["aht"] == pytest.approx((55 + 110) / 2)
    assert halves["by_group"]["fast"]["aht"] == pytest.approx(12.706 * 27.5)
    assert means["by_group"]["slow"]["aht"] is None and means["by_group"]["fast"]["agents"] == 2
    diff, half = compare_runs(base, list(reversed(base)))
    assert diff["by_group"]["fast"]["aht"] == 0.0 and diff["by_group"]["fast"]["fcr"] == 0.0
    assert half["by_group"]["fast"]["aht"] == pytest.approx(12.706 * 55)  # diffs +55 and -55
    assert diff["by_group"]["slow"]["occupancy"] is None
    # no groups at all, or a group only one side has
    assert summarise([{"by_group": {}}, {"by_group": {}}]) == ({"by_group": {}}, {"by_group": {}})
    lone = [{"by_group": {"fast": {"aht": 5.0}}}]
    assert compare_runs([{"by_group": {}}], lone)[0] == {"by_group": {"fast": {"aht": None}}}
