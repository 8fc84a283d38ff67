"""Reports: the HTML page and its plots, and the per-contact JSON-lines event log."""

from __future__ import annotations

import json
from pathlib import Path

from experiencehub.sim.report import write_events, write_html_report
from experiencehub.sim.runs import Result, simulate
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
