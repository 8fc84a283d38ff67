"""Forecast files: CSV and TOML rows, interval length, and every problem reported with its row."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiencehub.sim.forecast import ForecastError, forecast_from_text, load_forecast

CSV = "start,queue,volume,aht,patience,group\n0,phone,40,300,180,a\n0,chat,8,480,,b\n1800,phone,60,300,180,a\n"


def test_csv_rows_sorted_with_interval_from_the_gaps() -> None:
    f = forecast_from_text(CSV)
    assert f.interval_seconds == 1800.0
    assert [(r.start, r.queue) for r in f.rows] == [(0, "chat"), (0, "phone"), (1800, "phone")]
    assert f.queues == ("chat", "phone") and f.starts == (0.0, 1800.0) and f.end == 3600.0
    chat = f.rows[0]
    assert (chat.patience, chat.group, chat.per_hour) == (None, "b", 16.0)


def test_missing_intervals_are_on_the_grid() -> None:
    f = forecast_from_text(
        "start,queue,volume,aht\n0,q,1,60\n3600,q,2,60\n1800,q,3,60\n7200,q,0,60\n"
    )
    assert f.interval_seconds == 1800.0 and len(f.starts) == 5


def test_toml_forecast_gives_its_interval(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text(
        'interval_minutes = 15\n[[intervals]]\nstart = 900\nqueue = "q"\nvolume = 10\naht = 200\n'
    )
    f = load_forecast(path)
    assert f.interval_seconds == 900.0 and f.rows[0].per_hour == 40.0 and f.source == str(path)


def test_csv_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(CSV)
    assert len(load_forecast(path).rows) == 3
    with pytest.raises(ForecastError, match="cannot read"):
        load_forecast(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("text", "kind", "problems"),
    [
        ("start,queue,volume\n0,q,1\n", "csv",
         ["header: needs start, queue, volume, aht (optional: patience, group); missing ['aht'], unknown none"]),
        ("start,queue,volume,aht\n0,q,x,0\n0,,1,60\n", "csv",
         ["row 1: volume: must be a number, got 'x'", "row 1: aht: must be > 0, got 0.0",
          "row 2: queue: required"]),
        ("start,queue,volume,aht\n0,q,1,60\n0,q,2,60\n900,q,1,60\n1000,q,1,60\n", "csv",
         ["row 2: queue 'q' at 0 is given twice"]),
        ("start,queue,volume,aht\n0,q,1,60\n", "csv",
         ["intervals: one start only (0.0); give interval_minutes in a TOML forecast"]),
        ("start,queue,volume,aht,group\n0,q,1,60,a\n600,q,1,60,b\n", "csv",
         ["group: queue 'q' is staffed by one group, got a, b"]),
        ("start,queue,volume,aht\n", "csv", ["rows: at least one row is required"]),
        ('interval_minutes = 0\nextra = 1\n[[intervals]]\nstart = 0\nqueue = "q"\nvolume = 1\naht = 5\nwho = 1\n',
         "toml", ["extra: unknown key (expected interval_minutes, [[intervals]])",
                  "interval_minutes: must be > 0, got 0.0",
                  "row 1: unknown keys ['who'] (expected start, queue, volume, aht, patience, group)"]),
        ("interval_minutes = 30\n[[intervals]]\nstart = 100\nqueue = 'q'\nvolume = 1\naht = 5\n"
         "[[intervals]]\nstart = 1000\nqueue = 'q'\nvolume = true\naht = 5\n", "toml",
         ["row 2: volume: must be a number, got True"]),
        ("interval_minutes = 30\n[[intervals]]\nstart = 100\nqueue = 'q'\nvolume = 1\naht = 5\n"
         "[[intervals]]\nstart = 1000\nqueue = 'q'\nvolume = 1\naht = 5\n", "toml",
         ["row 2: start: 1000 is not 100 + a whole number of 1800 s intervals"]),
    ],
)  # fmt: skip
def test_problems_are_listed_with_their_row(text: str, kind: str, problems: list[str]) -> None:
    with pytest.raises(ForecastError) as caught:
        forecast_from_text(text, kind=kind)
    assert caught.value.problems == problems
