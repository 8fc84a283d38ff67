"""Forecast files: contacts per interval and queue, with their handle time, for staffing plans.

This module owns the forecast *format* (docs/staffing.md) and its validation. It never staffs and
never simulates: :mod:`.staffing` turns a forecast into a plan.

A forecast is a CSV file or a TOML file. Each row is one queue in one interval: ``start``
(seconds from the start of the run, as in scenario files), ``queue``, ``volume`` (contacts
arriving in the interval), ``aht`` (mean handle time, seconds), and optionally ``patience`` (mean
patience, seconds: the plan uses Erlang A for that row, Erlang C without) and ``group`` (the agent
group of the base scenario that staffs the queue). Intervals are of equal length: the TOML file's
``interval_minutes``, else the CSV's smallest gap between starts.

>>> f = forecast_from_text("start,queue,volume,aht\\n0,phone,120,300\\n1800,phone,150,300\\n")
>>> f.interval_seconds, [r.per_hour for r in f.rows]
(1800.0, [240.0, 300.0])
"""

from __future__ import annotations

import csv
import importlib
import io
import itertools
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..core.errors import ConfigError

__all__ = ["Forecast", "ForecastError", "ForecastRow", "forecast_from_text", "load_forecast"]

_COLUMNS = ("start", "queue", "volume", "aht", "patience", "group")
_REQUIRED = ("start", "queue", "volume", "aht")


class ForecastError(ConfigError):
    """A forecast file has problems; ``problems`` lists each as ``"where: what is expected"``."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{len(self.problems)} {noun} in {source}:\n{lines}")


@attrs.frozen(kw_only=True)
class ForecastRow:
    """One queue in one interval: ``volume`` contacts arriving from ``start`` (seconds) over the
    forecast's interval, each handled in ``aht`` seconds on average."""

    start: float
    queue: str
    volume: float
    aht: float
    interval_seconds: float
    patience: float | None = None
    group: str | None = None

    @property
    def per_hour(self) -> float:
        """The arrival rate of the interval, per hour. Cost: O(1)."""
        return self.volume * 3600.0 / self.interval_seconds


@attrs.frozen
class Forecast:
    """Rows sorted by (start, queue), intervals of ``interval_seconds``; ``source`` names the file."""

    rows: tuple[ForecastRow, ...]
    interval_seconds: float
    source: str = "<forecast>"

    @property
    def queues(self) -> tuple[str, ...]:
        """The queues forecast, in order of first appearance. Cost: O(rows)."""
        return tuple(dict.fromkeys(r.queue for r in self.rows))

    @property
    def starts(self) -> tuple[float, ...]:
        """Every interval's start from the first to the last forecast one. Cost: O(intervals)."""
        first = min(r.start for r in self.rows)
        last = max(r.start for r in self.rows)
        count = round((last - first) / self.interval_seconds) + 1
        return tuple(first + i * self.interval_seconds for i in range(count))

    @property
    def end(self) -> float:
        """The end of the last interval, seconds. Cost: O(1)."""
        return self.starts[-1] + self.interval_seconds


def load_forecast(path: str | Path) -> Forecast:
    """Read a forecast file: TOML when it ends in ``.toml``, CSV otherwise. Raises
    :class:`ForecastError` listing every problem. Cost: O(size of the file)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ForecastError(str(path), [f"file: cannot read ({exc.strerror or exc})"]) from exc
    kind = "toml" if path.suffix.lower() == ".toml" else "csv"
    return forecast_from_text(text, kind=kind, source=str(path))


def forecast_from_text(text: str, *, kind: str = "csv", source: str = "<text>") -> Forecast:
    """Parse forecast text (``kind`` ``csv`` or ``toml``). Cost: O(size of the text).

    >>> forecast_from_text("start,queue,volume,aht\\n0,phone,-1,300\\n")
    Traceback (most recent call last):
    ...
    experiencehub.sim.forecast.ForecastError: 1 problem in <text>:
      row 1: volume: must be >= 0, got -1.0
    """
    problems: list[str] = []
    if kind == "toml":
        raw_rows, interval = _toml_rows(text, problems)
    else:
        raw_rows, interval = _csv_rows(text, problems), None
    refused = len(problems)  # a bad interval_minutes is reported once, not also as missing
    parsed = [_row(raw, f"row {i + 1}", problems) for i, raw in enumerate(raw_rows)]
    fields = [p for p in parsed if p is not None]
    if not raw_rows and not problems:
        problems.append("rows: at least one row is required")
    if fields and len(fields) == len(parsed) and not refused:
        interval = _interval(fields, interval, problems)
        _check_grid(fields, interval, problems)
        _check_groups(fields, problems)
    if problems:
        raise ForecastError(source, problems)
    assert interval is not None  # found or refused above
    rows = tuple(
        ForecastRow(**f, interval_seconds=interval)
        for f in sorted(fields, key=lambda f: (f["start"], f["queue"]))
    )
    return Forecast(rows, interval, source)


def _csv_rows(text: str, problems: list[str]) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or ()]
    missing = [c for c in _REQUIRED if c not in header]
    unknown = [c for c in header if c not in _COLUMNS]
    if missing or unknown:
        problems.append(
            f"header: needs {', '.join(_REQUIRED)} (optional: patience, group); "
            f"missing {missing or 'none'}, unknown {unknown or 'none'}"
        )
        return []
    rows = []
    for row in reader:
        cleaned = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if any(cleaned.values()):
            rows.append({k: v for k, v in cleaned.items() if v != ""})
    return rows


def _toml_rows(text: str, problems: list[str]) -> tuple[list[dict[str, Any]], float | None]:
    # tomllib is stdlib from 3.11; tomli is the same parser for 3.10 (the cli extra installs it).
    toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        raw: dict[str, Any] = toml.loads(text)
    except ValueError as exc:
        problems.append(f"toml: {exc}")
        return [], None
    for key in raw:
        if key not in ("interval_minutes", "intervals"):
            problems.append(f"{key}: unknown key (expected interval_minutes, [[intervals]])")
    minutes = raw.get("interval_minutes")
    interval = None
    if minutes is not None:
        number = _number(minutes, "interval_minutes", problems, positive=True)
        interval = None if number is None else number * 60.0
    rows = raw.get("intervals", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        problems.append("intervals: must be an array of tables ([[intervals]])")
        return [], interval
    for i, row in enumerate(rows):
        unknown = sorted(set(row) - set(_COLUMNS))
        if unknown:
            problems.append(f"row {i + 1}: unknown keys {unknown} (expected {', '.join(_COLUMNS)})")
    return rows, interval


def _row(raw: Mapping[str, Any], where: str, problems: list[str]) -> dict[str, Any] | None:
    before = len(problems)
    for key in _REQUIRED:
        if key not in raw:
            problems.append(f"{where}: {key}: required")
    if len(problems) > before:
        return None
    fields = {
        "start": _number(raw["start"], f"{where}: start", problems, positive=False),
        "queue": _name(raw["queue"], f"{where}: queue", problems),
        "volume": _number(raw["volume"], f"{where}: volume", problems, positive=False),
        "aht": _number(raw["aht"], f"{where}: aht", problems, positive=True),
        "patience": None,
        "group": None,
    }
    if "patience" in raw:
        fields["patience"] = _number(raw["patience"], f"{where}: patience", problems, positive=True)
    if "group" in raw:
        fields["group"] = _name(raw["group"], f"{where}: group", problems)
    return fields if len(problems) == before else None


def _number(value: Any, where: str, problems: list[str], *, positive: bool) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            problems.append(f"{where}: must be a number, got {value!r}")
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(f"{where}: must be a number, got {value!r}")
        return None
    rule = "> 0" if positive else ">= 0"
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        problems.append(f"{where}: must be {rule}, got {float(value)!r}")
        return None
    return float(value)


def _name(value: Any, where: str, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: must be a non-empty name, got {value!r}")
        return None
    return value.strip()


def _interval(
    fields: Sequence[Mapping[str, Any]], given: float | None, problems: list[str]
) -> float | None:
    if given is not None:
        return given
    starts = sorted({f["start"] for f in fields})
    gaps: list[float] = [b - a for a, b in itertools.pairwise(starts)]
    if not gaps:
        problems.append(
            f"intervals: one start only ({starts[0]}); give interval_minutes in a TOML forecast"
        )
        return None
    return min(gaps)


def _check_grid(
    fields: Sequence[Mapping[str, Any]], interval: float | None, problems: list[str]
) -> None:
    if interval is None:
        return
    first = min(f["start"] for f in fields)
    seen: set[tuple[float, str]] = set()
    for i, f in enumerate(fields):
        steps = (f["start"] - first) / interval
        if abs(steps - round(steps)) > 1e-9:
            problems.append(
                f"row {i + 1}: start: {f['start']:g} is not {first:g} + a whole number of "
                f"{interval:g} s intervals"
            )
        key = (f["start"], f["queue"])
        if key in seen:
            problems.append(f"row {i + 1}: queue {f['queue']!r} at {f['start']:g} is given twice")
        seen.add(key)


def _check_groups(fields: Sequence[Mapping[str, Any]], problems: list[str]) -> None:
    groups: dict[str, set[str]] = {}
    for f in fields:
        if f["group"] is not None:
            groups.setdefault(f["queue"], set()).add(f["group"])
    for queue, names in sorted(groups.items()):
        if len(names) > 1:
            problems.append(
                f"group: queue {queue!r} is staffed by one group, got {', '.join(sorted(names))}"
            )
