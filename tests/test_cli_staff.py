"""experiencehub staff: the plan table, the simulated check, JSON and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiencehub import cli_common
from experiencehub.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
FORECAST = ROOT / "scenarios" / "staffing-forecast.csv"
BASE = ROOT / "scenarios" / "staffing-base.toml"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console measured its width when first used; the table needs about 160 columns."""
    monkeypatch.setattr(cli_common.console, "width", 220)


def test_staff_prints_plan_and_verdicts() -> None:
    out = runner.invoke(
        app,
        ["staff", str(FORECAST), "--scenario", str(BASE), "--replications", "1",
         "--shrinkage", "0.1", "--threshold", "20"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "Staffing per 30-minute interval" in out.stdout
    assert "shrinkage 10%" in out.stdout and "max occupancy 85%" in out.stdout
    assert "verdict" in out.stdout and "under" in out.stdout  # breaks empty some intervals
    assert "4 → 2" in out.stdout  # chat: 4 Erlang servers, 2 chats per agent


def test_staff_json_and_plan_only() -> None:
    args = ["staff", str(FORECAST), "--scenario", str(BASE), "--replications", "1", "--json"]
    data = json.loads(runner.invoke(app, args).stdout)
    assert len(data["intervals"]) == 72 and data["shrinkage"] == 0.3
    row = data["intervals"][0]
    assert {"erlang", "rostered", "simulated", "verdict"} <= set(row)
    assert set(data["rostered"]) == {"phone", "chat", "blended"}
    plan = runner.invoke(app, ["staff", str(FORECAST), "--scenario", str(BASE), "--plan-only"])  # fmt: skip
    assert plan.exit_code == 0 and "verdict" not in plan.stdout and "rostered" in plan.stdout


def test_staff_reports_bad_forecasts_and_settings(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("start,queue,volume,aht\n0,phone,-3,300\n")
    out = runner.invoke(app, ["staff", str(bad), "--scenario", str(BASE)])
    assert out.exit_code == 1 and "row 1: volume: must be >= 0" in out.stderr
    out = runner.invoke(app, ["staff", str(FORECAST), "--scenario", str(BASE), "--shrinkage", "1"])
    assert out.exit_code == 1 and "shrinkage=1.0" in out.stderr
