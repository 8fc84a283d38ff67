"""Tidy tables (sim/tables.py) and their files (sim/tablefiles.py): columns, agreement with the
KPIs, warm-up flags, timestamps, Parquet and CSV, the output directory's checks, DataFrames."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from experiencehub.records import ContactRecord
from experiencehub.sim import tablefiles
from experiencehub.sim import tables as tables_module
from experiencehub.sim.kpi import GROUP_KPI_KEYS
from experiencehub.sim.runs import Result, simulate
from experiencehub.sim.scenario import load_scenario_text
from experiencehub.sim.tablefiles import TablesError, prepare_directory, write_tables
from experiencehub.sim.tables import CONTACT_COLUMNS, parse_start, tables

TEXT = """
[simulation]
duration = 1800
warmup = 900
replications = 2
seed = 7
[kpis]
interval_minutes = 15
[[queues]]
name = "phone"
channel = "phone"
requires = ["s"]
[[queues]]
name = "chat"
channel = "chat"
requires = ["s"]
[[agents]]
group = "all-day"
count = 2
skills = { s = 1 }
capacity = { phone = 1, chat = 2 }
[[agents]]
group = "early"
count = 2
skills = { s = 1 }
capacity = { phone = 1 }
shifts = [{ start = 0, end = 1350, breaks = [{ at = 1000, seconds = 60 }] }]
[[workload]]
queue = "phone"
arrivals = { kind = "poisson", per_hour = 80 }
handle_seconds = { kind = "exponential", mean = 100 }
patience_seconds = { kind = "exponential", mean = 60 }
[[workload]]
queue = "chat"
arrivals = { kind = "poisson", per_hour = 40 }
handle_seconds = { kind = "exponential", mean = 150 }
"""
START = dt.datetime(2026, 3, 2, 8, 0)


@pytest.fixture(scope="module")
def result() -> Result:
    return simulate(load_scenario_text(TEXT, name="tables"))


@pytest.fixture(scope="module")
def built(result: Result) -> dict[str, dict[str, list[Any]]]:
    return tables(result)


def rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def test_contacts_hold_every_record_field_wait_and_warmup(result: Result, built: Any) -> None:
    contacts = built["contacts"]
    fields = {f.name for f in attrs.fields(ContactRecord)}
    assert set(contacts) == fields | {"wait", "warmup"}
    assert next(iter(contacts)) == "replication"
    records = list(result.records)
    assert len(contacts["contact_id"]) == len(records) == result.customers
    for row, record in zip(rows(contacts), records, strict=True):
        assert row == {**record.as_dict(), "warmup": record.arrived_at < 900.0}
    assert set(contacts["replication"]) == {0, 1}
    assert True in contacts["warmup"] and False in contacts["warmup"]


def test_interval_counts_add_up_to_the_measured_kpis(result: Result, built: Any) -> None:
    intervals = rows(built["intervals"])
    assert len(intervals) == 2 * 2 * 3  # replications × queues × (2700 s / 900 s)
    for r, blocks in enumerate(result.per_run):
        for queue, block in blocks["by_queue"].items():
            mine = [i for i in intervals if i["replication"] == r and i["queue"] == queue]
            measured = [i for i in mine if not i["warmup"]]
            assert [i["interval_start"] for i in mine] == [0.0, 900.0, 1800.0]
            assert [i["warmup"] for i in mine] == [True, False, False]
            for key in ("offered", "answered", "abandoned"):
                assert sum(i[key] for i in measured) == block[key]
            answered = sum(i["answered"] for i in measured)
            waited = sum(i["asa"] * i["answered"] for i in measured if i["answered"])
            assert waited / answered == pytest.approx(block["asa"])


def test_agents_on_shift_follow_the_shifts(built: Any) -> None:
    staffed = {
        (i["queue"], i["interval_start"]): i["agents_on_shift"]
        for i in rows(built["intervals"])
        if i["replication"] == 0
    }
    # all-day (2) serve both queues; early (2, phone only) leave at 1350 s, breaks count as staffed
    assert staffed["chat", 0.0] == staffed["chat", 1800.0] == 2.0
    assert staffed["phone", 0.0] == 4.0
    assert staffed["phone", 900.0] == pytest.approx(2.0 + 2 * 450 / 900)
    assert staffed["phone", 1800.0] == 2.0


def test_agent_and_group_tables_agree_with_the_group_kpis(result: Result, built: Any) -> None:
    agents, groups = rows(built["agents"]), rows(built["groups"])
    assert len(agents) == 2 * 4 and len(groups) == 2 * 2
    for a in agents:
        assert a["staffed_seconds"] == pytest.approx(
            a["busy_seconds"] + a["idle_seconds"] + a["away_seconds"]
        )
    for g in groups:
        block = result.per_run[g["replication"]]["by_group"][g["group"]]
        assert g["agents"] == block["agents"] == 2
        for key in GROUP_KPI_KEYS:
            assert g[key] == block[key]
        mine = [
            a for a in agents if a["replication"] == g["replication"] and a["group"] == g["group"]
        ]
        for key in ("busy_seconds", "idle_seconds", "away_seconds", "contacts_handled"):
            assert g[key] == pytest.approx(sum(a[key] for a in mine))
    early = [g for g in groups if g["group"] == "early"]
    assert all(g["away_seconds"] > 0 for g in early)  # the break at 1000 s
    # logged in 900-1350 s of the window, longer when a contact in hand outlasts the shift
    assert all(g["staffed_seconds"] >= 2 * 450 - 1e-6 for g in early)


def test_kpi_rows_hold_each_run_the_mean_and_the_half_width(result: Result, built: Any) -> None:
    kpis = rows(built["kpis"])
    overall = {r["replication"]: r for r in kpis if r["block"] == "overall"
               and r["kpi"] == "service_level"}  # fmt: skip
    for r, blocks in enumerate(result.per_run):
        assert overall[r]["name"] == "overall"
        assert overall[r]["value"] == blocks["overall"]["service_level"]
        assert overall[r]["mean"] == result.kpis["overall"]["service_level"]
        assert overall[r]["ci95_half_width"] == result.ci95["overall"]["service_level"]
    chat = [r for r in kpis if (r["block"], r["name"], r["kpi"]) == ("by_queue", "chat", "offered")]
    assert [r["value"] for r in chat] == [float(b["by_queue"]["chat"]["offered"])
                                          for b in result.per_run]  # fmt: skip


def test_start_turns_time_columns_into_datetimes(result: Result) -> None:
    timed = tables(result, start=START)
    seconds = tables(result)
    first = timed["contacts"]["arrived_at"][0]
    assert first == START + dt.timedelta(seconds=seconds["contacts"]["arrived_at"][0])
    assert timed["intervals"]["interval_start"][:2] == [START, START + dt.timedelta(minutes=15)]
    assert timed["contacts"]["wait"] == seconds["contacts"]["wait"]  # durations stay seconds


def test_parse_start_names_the_rule() -> None:
    assert parse_start(" 2026-03-02T08:00Z ").tzinfo == dt.timezone.utc
    with pytest.raises(ValueError, match="'soon' is not an ISO 8601 date and time"):
        parse_start("soon")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_files_hold_every_row_with_joined_tuples(
    result: Result, built: Any, tmp_path: Path
) -> None:
    written = write_tables(result, tmp_path / "out", format="csv")
    assert sorted(p.name for p in written.values()) == [
        "agents.csv", "contacts.csv", "groups.csv", "intervals.csv", "kpis.csv",
    ]  # fmt: skip
    contacts = read_csv(written["contacts"])
    assert list(contacts[0]) == [c.name for c in CONTACT_COLUMNS]
    assert len(contacts) == result.customers
    handled = next(c for c in contacts if c["outcome"] == "handled")
    record = next(r for r in result.records if r.contact_id == handled["contact_id"]
                  and r.replication == int(handled["replication"]))  # fmt: skip
    assert handled["agents"] == ";".join(record.agents)
    assert float(handled["arrived_at"]) == record.arrived_at
    assert handled["final_queue"] == ""  # None is an empty field
    for name in ("intervals", "agents", "groups", "kpis"):
        assert len(read_csv(written[name])) == len(built[name]["replication"])


def test_csv_times_are_iso_text_given_a_start(result: Result, tmp_path: Path) -> None:
    written = write_tables(result, tmp_path, format="csv", start=START)
    first = read_csv(written["intervals"])[0]
    assert first["interval_start"] == "2026-03-02T08:00:00.000"
    assert first["interval_end"] == "2026-03-02T08:15:00.000"


def test_parquet_holds_the_same_values_in_row_groups(
    result: Result, built: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setattr(tables_module, "CHUNK_ROWS", 50)  # several row groups
    written = write_tables(result, tmp_path, format="parquet")
    contacts = pq.ParquetFile(written["contacts"])
    assert contacts.metadata.num_row_groups > 2
    table = contacts.read()
    assert table.column("arrived_at").to_pylist() == built["contacts"]["arrived_at"]
    assert table.column("agents").to_pylist() == [list(a) for a in built["contacts"]["agents"]]
    assert table.column("resolved").to_pylist() == built["contacts"]["resolved"]
    for name in ("intervals", "agents", "groups", "kpis"):
        assert pq.read_table(written[name]).to_pydict() == built[name]


def test_parquet_timestamps(result: Result, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    naive = pq.read_table(write_tables(result, tmp_path / "a", start=START)["intervals"])
    assert str(naive.schema.field("interval_start").type) == "timestamp[ms]"
    assert naive.column("interval_start").to_pylist()[1] == START + dt.timedelta(minutes=15)
    zoned = dt.datetime(2026, 3, 2, 8, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    aware = pq.read_table(write_tables(result, tmp_path / "b", start=zoned)["contacts"])
    assert str(aware.schema.field("arrived_at").type) == "timestamp[ms, tz=UTC]"
    assert aware.column("arrived_at").to_pylist()[0] >= zoned  # the same instant, in UTC


def test_without_pyarrow_the_default_is_csv(
    result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # find_spec answers None: not installed
    assert tablefiles.default_format() == "csv"
    with pytest.raises(TablesError, match=r"pip install 'experiencehub\[tables\]'"):
        write_tables(result, tmp_path / "refused", format="parquet")
    assert not (tmp_path / "refused").exists()  # refused before anything was made
    written = write_tables(result, tmp_path / "out")
    assert written["contacts"].suffix == ".csv"


def test_directory_checks(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    with pytest.raises(TablesError, match="full: directory is not empty"):
        prepare_directory(full)
    assert prepare_directory(full, force=True) == full
    assert (full / "notes.txt").read_text() == "mine"  # force replaces tables, nothing else
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(TablesError, match="exists and is not a directory"):
        prepare_directory(a_file)
    with pytest.raises(TablesError, match="cannot write there"):
        prepare_directory(a_file / "below")
    assert prepare_directory(tmp_path / "new" / "dir").is_dir()


def test_to_frames(result: Result) -> None:
    pytest.importorskip("pandas")
    frames = result.to_frames(start=START)
    assert sorted(frames) == ["agents", "contacts", "groups", "intervals", "kpis"]
    contacts = frames["contacts"]
    assert len(contacts) == result.customers
    assert str(contacts["arrived_at"].dtype).startswith("datetime64")
    measured = contacts[~contacts["warmup"]]
    offered = measured.groupby("replication").size().tolist()
    assert offered == [b["overall"]["offered"] for b in result.per_run]


def test_to_frames_names_the_extra_without_pandas(
    result: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"experiencehub\[frames\]"):
        result.to_frames()


def test_to_frames_without_pyarrow(result: Result, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    frames = result.to_frames()
    assert len(frames["contacts"]) == result.customers
    assert frames["contacts"]["agents"].iloc[0] == tuple(result.records[0].agents)


def test_centre_agents_staffed_is_busy_plus_idle_per_interval(result: Result, built: Any) -> None:
    for i in rows(built["intervals"]):
        run = result.runs[i["replication"]]
        index = int(i["interval_start"] // 900)
        busy_idle = run.occupancy_busy[index] + run.occupancy_idle[index]
        assert i["centre_agents_staffed"] == pytest.approx(busy_idle / 900)
    # the early group is away on its break at 1000-1060 s, so fewer than the 4 on shift
    second = [i for i in rows(built["intervals"]) if i["interval_start"] == 900.0]
    assert all(i["centre_agents_staffed"] < 4.0 for i in second)


def test_staffed_agents_count_a_short_last_interval_by_its_own_length() -> None:
    # 1,000 s in 900 s intervals: the second interval is 100 s long, and the 3 agents logged in
    # throughout are 3 staffed in it too (not 3 × 100 / 900), in the table and in the plot alike
    text = TEXT.replace("duration = 1800", "duration = 100")
    result = simulate(load_scenario_text(text))
    for run in result.runs:
        assert len(run.agents) == 4
        assert run.staffed_agents() == pytest.approx([4.0, 4.0])
    intervals = rows(tables(result)["intervals"])
    assert [i["centre_agents_staffed"] for i in intervals] == pytest.approx([4.0] * len(intervals))
