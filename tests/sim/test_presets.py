"""Service-level presets with their switches: from a scenario's [kpis] and on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiencehub.cli import app
from experiencehub.sim.erlang import erlang_a, erlang_a_abandoned_within
from experiencehub.sim.kpi import PRESETS, ContactRecord, service_level, service_level_rule
from experiencehub.sim.scenario import ScenarioError, load_scenario_text

runner = CliRunner()

BASE = """
[simulation]
duration = 1800
[[queues]]
name = "q"
channel = "phone"
requires = ["s"]
[[agents]]
group = "g"
count = 3
skills = { s = 1 }
[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 60 }
handle_seconds = { kind = "exponential", mean = 120 }
patience_seconds = { kind = "exponential", mean = 60 }
"""


def _record(wait: float, outcome: str) -> ContactRecord:
    answered = wait if outcome == "handled" else None
    return ContactRecord("c", "u", "phone", "q", "s", arrived_at=0.0, threshold=20.0,
                         answered_at=answered, ended_at=wait + 1, outcome=outcome)  # fmt: skip


def test_scenario_kpis_switches_build_the_rule() -> None:
    scenario = load_scenario_text(
        BASE + '[kpis]\npreset = "experiencehub"\nexclude_short = true\n'
        'short_abandon_seconds = 10\nabandons_within = "ignore"\n'
    )
    rule = scenario.kpis.rule()
    assert (rule.name, rule.exclude_short, rule.short_abandon_seconds) == (
        "experiencehub",
        True,
        10,
    )
    assert rule.abandons_within == "ignore"
    records = [_record(5, "handled"), _record(3, "abandoned"), _record(15, "abandoned")]
    # the 3 s abandon is short and excluded; the 15 s one is within T and ignored
    assert service_level(records, rule) == 1.0
    assert service_level(records, PRESETS["experiencehub"]) == pytest.approx(1 / 3)


def test_genesys_short_abandon_cutoff_is_a_switch() -> None:
    records = [_record(5, "handled"), _record(8, "abandoned")]
    assert service_level(records, PRESETS["genesys"]) == 0.5  # 8 s is not short at 5 s
    assert service_level(records, service_level_rule("genesys", short_abandon_seconds=10)) == 1.0
    assert service_level(records, service_level_rule("genesys", exclude_short=False)) == 0.5


def test_bad_switches_are_reported_with_their_key_path() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(BASE + '[kpis]\nabandons_within = "maybe"\ndenominator = "all"\n')
    assert caught.value.problems == [
        "kpis.abandons_within: must be one of miss, hit, ignore, got 'maybe'",
        "kpis.denominator: must be one of offered, answered_plus_abandoned, got 'all'",
    ]


def test_simulate_takes_the_switches(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BASE)
    args = ["simulate", str(path), "--json", "--preset", "genesys", "--short-abandon", "12"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["preset"], data["short_abandon_seconds"]) == ("genesys", 12.0)
    out = runner.invoke(app, ["simulate", str(path), "--include-short", "--preset", "genesys"])
    assert out.exit_code == 0, out.output
    assert "abandons within T are misses)" in out.stdout  # described without the exclusion
    bad = runner.invoke(app, ["simulate", str(path), "--abandons-within", "maybe"])
    assert bad.exit_code == 1 and "--abandons-within" in bad.stderr


def test_erlang_preset_uses_the_same_definition() -> None:
    args = ["erlang", "a", "--per-hour", "2700", "--handle", "60", "--agents", "42",
            "--patience", "120", "--preset", "genesys", "--json"]  # fmt: skip
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    plain = erlang_a(2700, 60, 42, 120, 20).service_level
    expected = plain / (1 - erlang_a_abandoned_within(2700, 60, 42, 120, 5))
    assert data["preset"] == "genesys"
    assert data["service_level"] == pytest.approx(expected)


def test_erlang_b_on_the_command_line() -> None:
    base = ["erlang", "b", "--per-hour", "3600", "--handle", "10"]
    out = runner.invoke(app, [*base, "--agents", "15", "--json"])
    assert out.exit_code == 0, out.output
    assert round(json.loads(out.stdout)["p_block"], 4) == 0.0365
    out = runner.invoke(app, [*base, "--max-blocking", "0.01", "--json"])
    assert json.loads(out.stdout)["agents"] == 18
    table = runner.invoke(app, [*base, "--agents", "15"])
    assert table.exit_code == 0 and "p_block" in table.stdout and "3.65%" in table.stdout


def test_erlang_help_lists_the_presets() -> None:
    out = runner.invoke(app, ["erlang", "--help"], env={"COLUMNS": "200"})
    assert all(name in out.stdout for name in PRESETS)


@pytest.mark.parametrize("mode", ["policies", "files"])
def test_compare_takes_the_switches(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BASE)
    other = tmp_path / "t.toml"
    other.write_text(BASE)
    variants = ["--context", "off", "--context", "on"] if mode == "policies" else [str(other)]
    base = ["compare", str(path), *variants, "--json", "--preset", "genesys", "--workers", "1"]

    def short_abandons(*switches: str) -> list[float]:
        out = runner.invoke(app, [*base, *switches])
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        blocks = list(data["policies"].values()) if mode == "policies" else data["points"]
        return [block["kpis"]["overall"]["short_abandoned"] for block in blocks]

    assert all(count > 0 for count in short_abandons())  # genesys counts abandons under 5 s
    assert short_abandons("--short-abandon", "0") == [0.0, 0.0]
    bad = runner.invoke(app, [*base, "--denominator", "all"])
    assert bad.exit_code == 1 and "--denominator" in bad.stderr
