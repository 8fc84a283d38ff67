"""Trace files: arrival times in seconds, one per row, in the first column of a CSV file.

This module owns reading a trace and saying what is wrong with it, row by row: the scenario checks
report each bad row (file, line number, why) and the workload replays the good ones, so a row is
never dropped silently. Blank lines are skipped; the first non-blank row may be a header (its first
column not a number). It never simulates.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_text("seconds\\n5\\n\\nfive\\n-1\\n2.5\\n", encoding="utf-8")
>>> trace = read_trace(path)
>>> trace.times
[5.0, 2.5]
>>> [p.split(": ", 1)[1] for p in trace.problems]
["line 4: 'five' is not a number of seconds", 'line 5: -1.0 is negative (seconds from the start of the run)']
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import attrs

__all__ = ["Trace", "read_trace"]


@attrs.frozen
class Trace:
    """The arrival times a trace file holds, in file order, and a problem for each bad row."""

    times: list[float]
    problems: list[str]


def read_trace(path: Path) -> Trace:
    """Read ``path``; each problem reads ``"<path>: line <n>: <why>"``. Cost: O(size of the file).

    A file that cannot be read, or is not UTF-8 text, is one problem and no times.
    """
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        return Trace([], [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"])
    except (OSError, csv.Error) as exc:
        return Trace([], [f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})"])
    times: list[float] = []
    problems: list[str] = []
    header_allowed = True
    for line, row in enumerate(rows, start=1):
        if not row or not "".join(row).strip():
            continue
        value, why = _arrival(row[0].strip())
        if why is not None and not (header_allowed and value is None):
            problems.append(f"{path}: line {line}: {why}")
        elif value is not None:
            times.append(value)
        header_allowed = False
    return Trace(times, problems)


def _arrival(text: str) -> tuple[float | None, str | None]:
    """The arrival time a first column holds, or what is wrong with it (value None: not a number)."""
    if not text:
        return None, "the first column is empty (an arrival time in seconds is expected)"
    try:
        value = float(text)
    except ValueError:
        return None, f"{text!r} is not a number of seconds"
    if not math.isfinite(value):
        return 0.0, f"{text!r} is not a finite number of seconds"
    if value < 0:
        return value, f"{value!r} is negative (seconds from the start of the run)"
    return value, None
