"""Queued callbacks in the simulator: callers offered a callback on the estimated-wait alert keep
their place without patience, agents dial them, failed dials are retried; the KPIs, the checks and
the reports (sim/queued_callbacks.py, sim/callback_loop.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiencehub.cli import app
from experiencehub.sim.engine import run
from experiencehub.sim.queued_callbacks import CALLBACK_KPI_KEYS, CallbackVisit, callback_kpis
from experiencehub.sim.report import write_html_report
from experiencehub.sim.runs import simulate
from experiencehub.sim.scenario import ScenarioError, load_scenario
from experiencehub.sim.tables import tables

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "queued-callbacks.toml"


def _scenario(tmp_path: Path, **changes: str) -> Path:
    text = SCENARIO.read_text()
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "callbacks.toml"
    path.write_text(text)
    return path


def test_the_example_scenario_offers_dials_and_completes_callbacks() -> None:
    result = run(load_scenario(SCENARIO))
    visits = result.callbacks
    accepted = [v for v in visits if v.requested_at is not None]
    assert len(visits) > 50 and 0.3 < len(accepted) / len(visits) < 0.7
    completed = [v for v in accepted if v.connected_at is not None]
    assert completed and all(v.dials >= 1 for v in completed)
    assert any(v.dials > 1 for v in completed)  # some were retried after a failed dial
    assert all(v.dials <= 3 for v in visits)
    # a callback's record: answered when the customer answered, never abandoned
    records = {r.contact_id: r for r in result.records}
    for v in completed:
        record = records[v.contact_id]
        assert record.answered_at == v.connected_at and record.outcome in ("handled", "unfinished")
    assert all(records[v.contact_id].outcome != "abandoned" for v in accepted)
    exhausted = [v for v in accepted if v.exhausted]
    assert all(records[v.contact_id].outcome == "callback_failed" and v.dials == 3 for v in exhausted)


def test_without_the_key_nothing_changes(tmp_path: Path) -> None:
    path = _scenario(tmp_path, **{"queued_callback = {": "# queued_callback = {"})
    result = run(load_scenario(path))
    assert result.callbacks == ()
    assert "callbacks" not in simulate(load_scenario(path)).kpis


def test_nobody_accepting_means_no_requests(tmp_path: Path) -> None:
    result = run(load_scenario(_scenario(tmp_path, **{"accept = 0.5": "accept = 0.0"})))
    assert result.callbacks and all(v.requested_at is None for v in result.callbacks)


def test_nobody_answering_exhausts_every_callback(tmp_path: Path) -> None:
    result = run(load_scenario(_scenario(tmp_path, **{"answer = 0.8": "answer = 0.0"})))
    ended = [v for v in result.callbacks if v.requested_at is not None and v.exhausted]
    assert ended and all(v.dials == 3 and v.connected_at is None for v in ended)


def test_kpis_per_queue_and_channel_in_the_result_and_json(tmp_path: Path) -> None:
    result = simulate(load_scenario(SCENARIO))
    page = write_html_report(result, tmp_path / "report").read_text(encoding="utf-8")
    assert "<h2>Queued callbacks</h2>" in page and "request_to_connected" in page
    block = result.kpis["callbacks"]
    assert set(block["overall"]) == set(CALLBACK_KPI_KEYS)
    assert set(block["by_queue"]) == {"support"} and set(block["by_channel"]) == {"phone"}
    assert block["overall"]["callbacks_completed"] > 0
    kpi_table = tables(result)["kpis"]  # the kpis table of --out
    rows = [(b, n, k) for b, n, k in zip(kpi_table["block"], kpi_table["name"], kpi_table["kpi"], strict=True)
            if b == "callbacks"]  # fmt: skip
    assert ("callbacks", "by_channel.phone", "abandonment_avoided") in rows
    out = CliRunner().invoke(app, ["simulate", str(SCENARIO), "--json", "--workers", "1"])
    assert out.exit_code == 0, out.output
    assert "callbacks" in json.loads(out.output)["kpis"]
    table = CliRunner().invoke(app, ["simulate", str(SCENARIO), "--workers", "1"])
    assert table.exit_code == 0 and "Queued callbacks" in table.output


def test_kpi_formulas() -> None:
    visits = [
        CallbackVisit("c1", "q", "phone", 0.0, 0.0, dials=2, connected_at=300.0, would_abandon_at=60.0),
        CallbackVisit("c2", "q", "phone", 5.0, 5.0, dials=3, exhausted=True, would_abandon_at=100.0),
        CallbackVisit("c3", "q", "phone", 6.0, None),
        CallbackVisit("c4", "r", "chat", 7.0, 7.0, dials=1, connected_at=17.0, would_abandon_at=900.0),
    ]
    kpis = callback_kpis(visits, (0.0, 100.0))
    overall = kpis["overall"]
    assert (overall["callbacks_offered"], overall["callbacks_accepted"]) == (4, 3)
    assert (overall["callbacks_completed"], overall["callbacks_failed"]) == (2, 1)
    assert overall["attempts_per_completed"] == 1.5
    assert overall["request_to_connected"] == (300.0 + 10.0) / 2
    assert overall["abandonment_avoided"] == 2  # c1 answered after its patience, c2 never
    assert kpis["by_channel"]["chat"]["callbacks_completed"] == 1


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("accept = 0.5", "accept = 1.5", "queues[0].queued_callback.accept"),
        ("answer = 0.8", "answer = -0.1", "queues[0].queued_callback.answer"),
        ("attempts = 3", "attempts = 0", "queues[0].queued_callback.attempts"),
        ("retry_seconds = 300", "retry_seconds = -1", "queues[0].queued_callback.retry_seconds"),
        ("dial_seconds = 20", "dial_seconds = 0", "queues[0].queued_callback.dial_seconds"),
    ],
)
def test_bad_keys_are_refused_with_their_path(tmp_path: Path, old: str, new: str, path: str) -> None:
    with pytest.raises(ScenarioError, match=path.replace("[", r"\[").replace("]", r"\]")):
        load_scenario(_scenario(tmp_path, **{old: new}))
