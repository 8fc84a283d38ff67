"""Reports: the HTML page and its plots, and the per-contact JSON-lines event log."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from experiencehub.sim.report import (
    format_difference,
    format_value,
    shown_kpis,
    write_comparison_report,
    write_events,
    write_html_report,
)
from experiencehub.sim.runs import Result, compare, simulate
from experiencehub.sim.scenario import load_scenario_text

TEXT = """
[simulation]
duration = 3600
warmup = 600
replications = 2
[kpis]
preset = "genesys"
interval_minutes = 20
[[queues]]
name = "q"
channel = "chat"
requires = ["s"]
[[agents]]
group = "g"
count = 2
skills = { s = 1 }
capacity = { chat = 2 }
[[workload]]
queue = "q"
segment = "vip"
arrivals = { kind = "poisson", per_hour = 120 }
handle_seconds = { kind = "exponential", mean = 100 }
patience_seconds = { kind = "exponential", mean = 60 }
"""


def small_result() -> Result:
    return simulate(load_scenario_text(TEXT, name="tiny"))


def test_html_report_has_tables_plots_and_preset(tmp_path: Path) -> None:
    page = write_html_report(small_result(), tmp_path / "out")
    text = page.read_text()
    for name in ("service_level.png", "waits.png", "occupancy.png", "abandons.png"):
        assert (tmp_path / "out" / name).stat().st_size > 1000
        assert f'src="{name}"' in text
    assert "preset <b>genesys</b>" in text
    assert "By segment" in text and ">vip<" in text
    assert "By agent group" in text and "<th>slot_utilisation</th>" in text


def test_plots_without_abandons_say_so_and_do_not_warn(tmp_path: Path) -> None:
    calm = TEXT.replace('patience_seconds = { kind = "exponential", mean = 60 }\n', "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of a legend without labels
        page = write_html_report(simulate(load_scenario_text(calm, name="calm")), tmp_path / "out")
    assert (tmp_path / "out" / "abandons.png").stat().st_size > 1000
    assert page.exists()


def test_comparison_report_writes_table_and_frontier(tmp_path: Path) -> None:
    scenario = load_scenario_text(TEXT, name="tiny")
    comparison = compare(scenario, ["longest_idle", "fastest"], contexts=[False, True])
    page = write_comparison_report(comparison, tmp_path / "cmp")
    text = page.read_text()
    assert page == tmp_path / "cmp" / "index.html"
    assert (tmp_path / "cmp" / "frontier.png").stat().st_size > 1000
    assert 'src="frontier.png"' in text and "Waiting versus resolution" in text
    for label in ("longest_idle · context off", "fastest · context on"):
        assert f"<th>{label}</th>" in text
    assert "<th>fastest · context on − longest_idle · context off</th>" in text
    assert "<h2>Overall</h2>" in text and "<h2>Queue q</h2>" in text


def test_comparison_report_copes_without_resolution_kpis(tmp_path: Path) -> None:
    scenario = load_scenario_text(TEXT, name="tiny").with_overrides(replications=1)
    comparison = compare(scenario, ["longest_idle", "round_robin"])
    for result in comparison.results:  # as before the customer model: no resolution KPIs
        for block in (result.kpis["overall"], *result.kpis["by_queue"].values()):
            for key in ("fcr", "p_resolved", "contacts_per_issue"):
                block.pop(key, None)
    page = write_comparison_report(comparison, tmp_path)
    assert (tmp_path / "frontier.png").exists()
    assert "<td>fcr</td>" not in page.read_text()


@pytest.mark.parametrize(
    ("key", "value", "half", "text"),
    [
        ("fcr", 0.625, 0.05, "62.5% ±5.0"),
        ("p_resolved", 0.9, None, "90.0%"),
        ("slot_utilisation", 0.5, None, "50.0%"),
        ("time_to_resolution", 1234.56, 10.0, "1234.6 s ±10.0"),
        ("aht", 300.0, None, "300.0 s"),
        ("acw", 12.25, None, "12.2 s"),
        ("contacts_per_issue", 1.256, 0.04, "1.256 ±0.040"),
        ("repeat_asks", 0.5, None, "0.50"),
        ("asks", 2.0, None, "2.00"),
        ("issues", 40.0, None, "40"),
        ("fcr", None, None, "–"),
    ],
)
def test_format_value_of_customer_kpis(key: str, value: float, half: float, text: str) -> None:
    assert format_value(key, value, half) == text


def test_format_difference_keeps_the_sign() -> None:
    assert format_difference("fcr", -0.1, 0.02) == "−10.0% ±2.0"
    assert format_difference("contacts_per_issue", 0.0) == "+0.000"


def test_shown_kpis_hides_customer_kpis_only_when_empty_everywhere() -> None:
    shown = shown_kpis([{"asa": None, "repeat_asks": None}, {"aht": 3.0}])
    assert "asa" in shown and "offered" in shown  # rows shown today stay, even when empty
    assert "aht" in shown and "repeat_asks" not in shown and "fcr" not in shown


def test_event_log_has_one_record_per_contact(tmp_path: Path) -> None:
    result = small_result()
    path = tmp_path / "logs" / "contacts.jsonl"
    count = write_events(result, path)
    lines = path.read_text().splitlines()
    assert count == len(lines) == result.customers
    events = [json.loads(line) for line in lines]
    ids = [e["id"] for e in events]
    assert len(set(ids)) == len(ids)
    first = events[0]
    assert {"id", "source", "specversion", "type", "time", "subject", "data"} <= set(first)
    assert first["specversion"] == "1.0" and first["time"].endswith("Z")
    data = first["data"]
    for key in ("contact_id", "customer_id", "channel", "queue", "segment", "arrived_at",
                "offered_at", "answered_at", "ended_at", "agent_id", "outcome", "wait"):  # fmt: skip
        assert key in data
    assert {e["data"]["replication"] for e in events} == {0, 1}
    assert {e["data"]["outcome"] for e in events} <= {"handled", "abandoned", "unfinished"}


def test_event_log_times_from_the_epoch_flags_warmup_and_numbers_each_contact(
    tmp_path: Path,
) -> None:
    import datetime as dt  # noqa: PLC0415

    result = simulate(
        load_scenario_text(TEXT, name="tiny").with_overrides(warmup=600.0, replications=1)
    )
    path = tmp_path / "contacts.jsonl"
    epoch = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone.utc)
    write_events(result, path, epoch=epoch)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(e["time"].startswith("2026-12-02T") for e in events)
    assert {e["sequence"] for e in events} == {"0000000001"}  # one record per contact
    flags = {e["data"]["warmup"] for e in events}
    assert flags == {True, False}
    assert all(e["data"]["warmup"] == (e["data"]["arrived_at"] < 600.0) for e in events)
