"""The experiencehub command: simulate, compare, validate, erlang — outputs and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiencehub.cli import app
from experiencehub.sim.erlang import erlang_a

runner = CliRunner()

SMALL = """
name = "small"
[simulation]
duration = 1800
warmup = 300
replications = 2
seed = 3
[[queues]]
name = "support"
channel = "phone"
requires = ["support"]
[[queues]]
name = "chat"
channel = "chat"
requires = ["support"]
[[agents]]
group = "a"
count = 4
skills = { support = 2 }
capacity = { phone = 1, chat = 2 }
[[agents]]
group = "b"
count = 2
skills = { support = 1 }
capacity = { phone = 1 }
[[workload]]
queue = "support"
segment = "gold"
arrivals = { kind = "poisson", per_hour = 60 }
handle_seconds = { kind = "exponential", mean = 120 }
patience_seconds = { kind = "exponential", mean = 90 }
[[workload]]
queue = "chat"
arrivals = { kind = "poisson", per_hour = 40 }
handle_seconds = { kind = "exponential", mean = 200 }
patience_seconds = { kind = "exponential", mean = 90 }
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def test_simulate_json_has_the_documented_shape(small: Path) -> None:
    result = runner.invoke(app, ["simulate", str(small), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scenario"] == "small" and data["preset"] == "experiencehub"
    assert data["context"] is False  # the file has no [context] section
    blocks = {"overall", "by_channel", "by_queue", "by_segment", "by_group", "away", "estimated_wait"}
    assert set(data["kpis"]) == blocks
    assert set(data["kpis"]["by_group"]) == {"a", "b"}
    assert set(data["kpis"]["by_channel"]) == {"phone", "chat"}
    assert set(data["kpis"]["by_segment"]) == {"gold", "default"}
    for block in (data["kpis"]["overall"], data["kpis"]["by_queue"]["support"]):
        for key in ("offered", "answered", "abandoned", "p_wait", "p_abandon", "asa",
                    "service_level", "mean_wait_all", "occupancy", "fcr", "contacts_per_issue",
                    "time_to_resolution", "repeat_asks", "aht", "acw"):  # fmt: skip
            assert key in block
    assert data["ci95"]["overall"]["service_level"] is not None  # 2 replications


def test_simulate_tables_name_the_preset(small: Path) -> None:
    result = runner.invoke(
        app, ["simulate", str(small), "--preset", "amazon-connect", "--replications", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "service level preset amazon-connect" in result.stdout
    assert "Overall and by channel" in result.stdout and "By segment" in result.stdout


def test_simulate_writes_events_and_report(small: Path, tmp_path: Path) -> None:
    events, report = tmp_path / "ev.jsonl", tmp_path / "rep"
    args = ["simulate", str(small), "--events", str(events), "--report", str(report), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = events.read_text().splitlines()
    assert lines and all(json.loads(line)["specversion"] == "1.0" for line in lines)
    assert (report / "index.html").exists()
    json.loads(result.stdout)  # stdout stays pure JSON; messages went to stderr


def test_simulate_policy_seed_override(small: Path) -> None:
    args = ["simulate", str(small), "--json", "--policy", "most_proficient", "--seed", "4"]
    data = json.loads(runner.invoke(app, args).stdout)
    assert data["policy"] == "most_proficient" and data["seed"] == 4


def test_unknown_policy_exits_1(small: Path) -> None:
    result = runner.invoke(app, ["simulate", str(small), "--policy", "fastes"])
    assert result.exit_code == 1
    assert "--policy: must be one of" in result.stderr and "fastest" in result.stderr


def test_custom_policy_that_cannot_load_exits_1(small: Path) -> None:
    args = ["simulate", str(small), "--policy", "experiencehub.core.policies:Nope"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "--policy: policy 'experiencehub.core.policies:Nope'" in result.stderr


def test_simulate_tables_show_customer_kpis_and_agent_groups(small: Path) -> None:
    result = runner.invoke(app, ["simulate", str(small), "--replications", "1"])
    assert result.exit_code == 0, result.output
    assert "By agent group" in result.stdout and "slot utilisation" in result.stdout
    assert "AHT" in result.stdout and "contacts per issue" in result.stdout


@pytest.mark.parametrize(("value", "expected"), [("on", True), ("off", False), ("ON", True)])
def test_simulate_context_option(small: Path, value: str, expected: bool) -> None:
    args = ["simulate", str(small), "--json", "--replications", "1", "--context", value]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["context"] is expected


@pytest.mark.parametrize("command", ["simulate", "compare"])
def test_bad_context_value_exits_1(small: Path, command: str) -> None:
    result = runner.invoke(app, [command, str(small), "--context", "maybe"])
    assert result.exit_code == 1
    assert "--context: must be on or off, got 'maybe'" in result.stderr


def test_compare_json_and_table(small: Path) -> None:
    args = ["compare", str(small), "--policy", "longest_idle", "--policy", "fewest_skills"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "Δ: differences paired by replication, variant − longest_idle" in table.stdout
    assert "Δ fewest_skills" in table.stdout
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert data["baseline"] == "longest_idle"
    assert [v["label"] for v in data["variants"]] == ["longest_idle", "fewest_skills"]
    offered = [p["kpis"]["overall"]["offered"] for p in data["policies"].values()]
    assert offered[0] == offered[1]  # common random numbers: the same customers
    assert data["differences"]["fewest_skills"]["mean"]["overall"]["offered"] == 0


def test_compare_needs_two_variants(small: Path) -> None:
    result = runner.invoke(app, ["compare", str(small), "--policy", "longest_idle"])
    assert result.exit_code == 1 and "at least two policies" in result.stderr
    one_context = [*_ONE_POLICY, "--context", "on"]
    assert runner.invoke(app, ["compare", str(small), *one_context]).exit_code == 1
    twice = ["--policy", "longest_idle", "--policy", "longest_idle"]
    result = runner.invoke(app, ["compare", str(small), *twice])
    assert result.exit_code == 1 and "given twice" in result.stderr
    same = [*_ONE_POLICY, "--context", "on", "--context", "on"]
    result = runner.invoke(app, ["compare", str(small), *same])
    assert result.exit_code == 1 and "--policy/--context:" in result.stderr


_ONE_POLICY = ["--policy", "longest_idle", "--replications", "1"]


def test_compare_two_contexts_one_policy(small: Path) -> None:
    args = ["compare", str(small), *_ONE_POLICY, "--context", "off", "--context", "on", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    off, on = "longest_idle · context off", "longest_idle · context on"
    assert data["baseline"] == off
    assert data["variants"] == [
        {"label": off, "policy": "longest_idle", "context": False},
        {"label": on, "policy": "longest_idle", "context": True},
    ]
    assert list(data["policies"]) == [off, on] and list(data["differences"]) == [on]
    assert data["policies"][on]["context"] is True
    assert data["differences"][on]["mean"]["overall"]["offered"] == 0  # the same customers


def test_compare_policies_by_contexts(small: Path) -> None:
    args = ["compare", str(small), *_ONE_POLICY, "--policy", "fastest",
            "--context", "on", "--context", "off"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "variant − longest_idle · context on" in result.stdout and "AHT" in result.stdout
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert [(v["policy"], v["context"]) for v in data["variants"]] == [
        ("longest_idle", True), ("longest_idle", False), ("fastest", True), ("fastest", False),
    ]  # fmt: skip
    assert list(data["differences"]) == [
        "longest_idle · context off", "fastest · context on", "fastest · context off",
    ]  # fmt: skip


def test_compare_one_context_overrides_the_file(small: Path) -> None:
    args = ["compare", str(small), *_ONE_POLICY, "--policy", "fastest", "--context", "on"]
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert list(data["policies"]) == ["longest_idle", "fastest"]  # labels: context does not vary
    assert all(v["context"] is True for v in data["variants"])


def test_compare_writes_report(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    args = ["compare", str(small), *_ONE_POLICY, "--context", "off", "--context", "on"]
    result = runner.invoke(app, [*args, "--report", str(out), "--json"])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # the report message went to stderr
    assert "wrote the comparison report" in result.stderr
    assert (out / "frontier.png").stat().st_size > 1000
    assert "longest_idle · context on" in (out / "index.html").read_text()


def test_validate_ok_and_problems(small: Path, tmp_path: Path) -> None:
    ok = runner.invoke(app, ["validate", str(small)])
    assert ok.exit_code == 0 and "ok" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(
        SMALL.replace("per_hour = 60", "per_hour = -5").replace(
            'queue = "chat"\narr', 'queue = "chats"\narr'
        )
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "workload[0].arrivals.per_hour: must be > 0, got -5.0" in result.stderr
    assert "workload[1].queue: unknown queue 'chats'" in result.stderr


def test_validate_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2 and "nope.toml: cannot read" in result.stderr


def test_erlang_a_json_matches_the_module() -> None:
    args = ["erlang", "a", "--per-hour", "2700", "--handle", "60", "--agents", "50",
            "--patience", "120", "--threshold", "20", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = erlang_a(2700, 60, 50, 120, 20)
    assert data["p_wait"] == pytest.approx(expected.p_wait)
    assert data["service_level"] == pytest.approx(0.977893, abs=1e-6)
    for key in ("p_wait", "p_abandon", "asa", "service_level", "mean_wait_all"):
        assert key in data


def test_erlang_staffing_and_errors() -> None:
    result = runner.invoke(
        app, ["erlang", "c", "--per-hour", "100", "--handle", "180", "--target-sl", "0.8", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["agents"] == 8
    table = runner.invoke(
        app, ["erlang", "c", "--per-hour", "100", "--handle", "180", "--agents", "8"]
    )
    assert table.exit_code == 0 and "service_level" in table.stdout
    bad = runner.invoke(
        app, ["erlang", "a", "--per-hour", "100", "--handle", "180", "--agents", "8"]
    )
    assert bad.exit_code == 1 and "patience" in bad.stderr


def test_shipped_omnichannel_day_runs(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    args = [
        "simulate",
        str(root / "scenarios" / "omnichannel-day.toml"),
        "--replications",
        "1",
        "--json",
    ]
    data = json.loads(runner.invoke(app, args).stdout)
    assert set(data["kpis"]["by_channel"]) == {"phone", "chat", "email"}
    assert set(data["kpis"]["by_segment"]) == {"premium", "standard", "basic"}
    assert data["kpis"]["overall"]["transfers"] > 0


def test_simulate_events_epoch(small: Path, tmp_path: Path) -> None:
    events = tmp_path / "ev.jsonl"
    args = ["simulate", str(small), "--events", str(events), "--epoch", "2026-12-02T08:00"]
    assert runner.invoke(app, args).exit_code == 0
    first = json.loads(events.read_text().splitlines()[0])
    assert first["time"].startswith("2026-12-02T08:") and first["time"].endswith("Z")
    bad = runner.invoke(app, [*args[:-1], "yesterday"])
    assert bad.exit_code == 1 and "--epoch: 'yesterday' is not an ISO 8601" in bad.stderr


# -- sweep and compare of scenario files -----------------------------------------------------------
def test_sweep_table_and_json(small: Path) -> None:
    args = ["sweep", str(small), "--set", "simulation.policy=longest_idle,random", "--workers", "1"]
    table = runner.invoke(app, [*args, "--replications", "2"])
    assert table.exit_code == 0, table.output
    assert "2 point(s) × 2 replication(s)" in table.stdout and "random" in table.stdout
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert data["axes"] == ["simulation.policy"]
    assert [p["settings"] for p in data["points"]] == [
        {"simulation.policy": "longest_idle"},
        {"simulation.policy": "random"},
    ]
    assert data["points"][1]["difference"]["mean"]["overall"]["offered"] is not None


def test_sweep_problems_exit_1_before_running(small: Path) -> None:
    args = ["sweep", str(small), "--set", "agents.nobody.count=1..2", "--set", "simulation.seed=1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "--set simulation.seed=1: simulation.seed cannot be swept" in result.stderr
    bad_value = runner.invoke(app, ["sweep", str(small), "--set", "simulation.policy=fastes"])
    assert bad_value.exit_code == 1
    assert "nothing was run" in bad_value.stderr
    assert "--set simulation.policy=fastes: value fastes: simulation.policy" in bad_value.stderr


def test_compare_two_scenario_files(small: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(small.read_text().replace("count = 2", "count = 3"))
    args = ["compare", str(small), str(other), "--workers", "1"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert f"Δ {other.stem}" in table.stdout
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert [p["settings"]["scenario"] for p in data["points"]] == [small.stem, "other"]
    twice = runner.invoke(app, [*args, "--policy", "random", "--policy", "fastest"])
    assert twice.exit_code == 1 and "at most once" in twice.stderr


def test_sweep_unknown_queue_exits_1_before_running(small: Path) -> None:
    args = ["sweep", str(small), "--set", "simulation.policy=random", "--queue", "billing"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "--queue: no queue 'billing'" in result.stderr


def test_sweep_unreachable_scheduler_exits_1(small: Path) -> None:
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    args = ["sweep", str(small), "--set", "simulation.policy=random", "--replications", "1"]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = runner.invoke(app, [*args, "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "--scheduler tcp://127.0.0.1:9:" in result.stderr


def test_simulate_json_has_per_replication_kpis(small: Path) -> None:
    data = json.loads(runner.invoke(app, ["simulate", str(small), "--json"]).stdout)
    runs = data["per_replication"]
    assert [r["replication"] for r in runs] == [0, 1]
    assert set(runs[0]["kpis"]) == set(data["kpis"])
    offered = [r["kpis"]["overall"]["offered"] for r in runs]
    assert data["kpis"]["overall"]["offered"] == sum(offered) / 2


def test_simulate_out_writes_the_tables(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "tables"
    args = [
        "simulate",
        str(small),
        "--out",
        str(out),
        "--format",
        "csv",
        "--start",
        "2026-03-02T08:00",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wrote 5 csv tables" in result.stderr
    names = ["agents.csv", "contacts.csv", "groups.csv", "intervals.csv", "kpis.csv"]
    assert sorted(p.name for p in out.iterdir()) == names
    intervals = (out / "intervals.csv").read_text().splitlines()
    assert intervals[1].split(",")[3] == "2026-03-02T08:00:00.000"  # interval_start


def test_simulate_out_uses_the_scenarios_start(small: Path, tmp_path: Path) -> None:
    small.write_text(SMALL.replace("seed = 3", 'seed = 3\nstart = "2026-03-02T09:30"'))
    out = tmp_path / "tables"
    args = ["simulate", str(small), "--out", str(out), "--format", "csv", "--replications", "1"]
    assert runner.invoke(app, args).exit_code == 0
    assert (
        (out / "intervals.csv")
        .read_text()
        .splitlines()[1]
        .split(",")[3]
        .startswith("2026-03-02T09:30:00")
    )


def test_simulate_out_is_checked_before_simulating(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated despite a bad --out")

    monkeypatch.setattr("experiencehub.cli.simulate", never)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("")
    result = runner.invoke(app, ["simulate", str(small), "--out", str(full)])
    assert result.exit_code == 2, result.output  # an output that cannot be written
    assert f"--out {full}: directory is not empty" in result.stderr and "--force" in result.stderr
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"]
    below_a_file = tmp_path / "full" / "keep.txt" / "tables"
    result = runner.invoke(app, ["simulate", str(small), "--out", str(below_a_file)])
    assert result.exit_code == 2 and "cannot write there" in result.stderr
    assert "Traceback" not in result.output
    for bad, message in ((["--format", "xlsx"], "--format: must be one of parquet, csv"),
                         (["--start", "soon"], "--start: 'soon' is not an ISO 8601")):  # fmt: skip
        result = runner.invoke(app, ["simulate", str(small), "--out", str(tmp_path / "n"), *bad])
        assert result.exit_code == 1 and message in result.stderr
    assert not (tmp_path / "n").exists()


def test_simulate_out_parquet_without_pyarrow_exits_2(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the tables extra were missing
    args = ["simulate", str(small), "--out", str(tmp_path / "t"), "--format", "parquet"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--format parquet needs pyarrow: pip install 'experiencehub[tables]'" in result.stderr
    assert "--format csv" in result.stderr and not (tmp_path / "t").exists()


def test_simulate_out_force_writes_into_a_full_directory(small: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    args = ["simulate", str(small), "--out", str(full), "--force", "--replications", "1"]
    assert runner.invoke(app, args).exit_code == 0
    assert (full / "keep.txt").read_text() == "mine" and len(list(full.iterdir())) == 6
