"""The command shows targets met or missed, staffing, and warns when intervals are too wide."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from experiencehub.cli import app

runner = CliRunner()

SMALL = """
[simulation]
duration = 1800
replications = 2
[[queues]]
name = "q"
channel = "phone"
requires = ["s"]
service_level_target = 0.9
[[agents]]
group = "g"
count = 3
skills = { s = 1 }
capacity = { phone = 1 }
[[agents]]
group = "slow"
count = 2
skills = { s = 1 }
capacity = { phone = 1 }
handle_time_factor = 1.5
[[workload]]
queue = "q"
segment = "gold"
arrivals = { kind = "poisson", per_hour = 90 }
handle_seconds = { kind = "exponential", mean = 100 }
patience_seconds = { kind = "exponential", mean = 60 }
"""


def _run(tmp_path: Path, *args: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(SMALL)
    result = runner.invoke(app, [args[0], str(path), *args[1:]], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())


def test_simulate_prints_targets_staffing_and_a_warning(tmp_path: Path) -> None:
    out = _run(tmp_path, "simulate")
    assert "Service-level targets" in out and "queue q │ 20 s │ 90% │" in out
    assert "segment gold │ 20 s │ 90% │" in out
    assert "Staffing" in out and "│ g │ 3 │ whole run │ 1.5 │ s 1 │ phone 1 │" in out
    assert "│ slow │ 2 │ whole run │ 1 │ s 1 │ phone 1 │" in out
    assert "warning: 95% intervals too wide to conclude" in out


def test_one_replication_says_there_is_no_interval(tmp_path: Path) -> None:
    out = _run(tmp_path, "simulate", "--replications", "1")
    assert "warning: one replication: no confidence intervals" in out


def test_compare_warns_about_differences_it_cannot_tell_apart(tmp_path: Path) -> None:
    out = _run(tmp_path, "compare", "--policy", "longest_idle", "--policy", "fastest")
    assert "warning: fastest vs longest_idle: the 95% interval of the difference contains 0" in out
