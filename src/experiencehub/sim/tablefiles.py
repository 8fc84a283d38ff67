"""Writing the tidy tables: Parquet through pyarrow (the ``tables`` extra), CSV without it, and
pandas DataFrames (the ``frames`` extra).

This module owns the files and their formats: the output directory's checks, one file per table
(``contacts.parquet``… or ``contacts.csv``…), and how each column kind is stored. The tables
themselves (columns and meanings) are :mod:`.tables`'. It never simulates.

Stored kinds: ``time`` columns are float seconds, or, given a start, timestamps (Parquet:
milliseconds; a start with a time zone is stored in UTC) and ISO 8601 text (CSV); ``strings``
columns are lists of strings in Parquet and ``;``-joined text in CSV; a missing value is null in
Parquet and an empty field in CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import importlib.util
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .tables import Chunk, Column, Simulated, Table, at, table_specs, tables

__all__ = ["FORMATS", "TablesError", "default_format", "frames", "prepare_directory",
           "resolve_format", "write_tables"]  # fmt: skip

FORMATS = ("parquet", "csv")
"""The file formats :func:`write_tables` writes."""


class TablesError(Exception):
    """The tables cannot be written: the format is unknown or unavailable, or the output
    directory is not empty, not a directory, or not writable. Nothing was written."""


def default_format() -> str:
    """``parquet`` when pyarrow is installed (the ``tables`` extra), else ``csv``. Cost: O(1)."""
    return "parquet" if importlib.util.find_spec("pyarrow") is not None else "csv"


def resolve_format(name: str | None) -> str:
    """The format to write: ``name`` (parquet or csv, any case) or :func:`default_format`.
    Raises :class:`TablesError` for an unknown format, or parquet without pyarrow. Cost: O(1).

    >>> resolve_format("CSV")
    'csv'
    >>> resolve_format("xlsx")
    Traceback (most recent call last):
    ...
    experiencehub.sim.tablefiles.TablesError: format 'xlsx': must be parquet or csv
    """
    if name is None:
        return default_format()
    chosen = name.strip().lower()
    if chosen not in FORMATS:
        raise TablesError(f"format {name!r}: must be parquet or csv")
    if chosen == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise TablesError(
            "format 'parquet' needs pyarrow: pip install 'experiencehub[tables]' (or write csv)"
        )
    return chosen


def prepare_directory(directory: str | Path, *, force: bool = False) -> Path:
    """Make sure the tables can be written into ``directory``: created if missing, refused if it
    holds anything already (unless ``force``: then only the tables' own files are replaced) or
    cannot be written. Raises :class:`TablesError` naming the directory and the rule.
    Cost: O(1) file-system calls.
    """
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise TablesError(f"{path}: exists and is not a directory")
    if not force and path.is_dir() and any(path.iterdir()):
        raise TablesError(f"{path}: directory is not empty (--force or force=True writes into it)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise TablesError(f"{path}: cannot write there ({exc.strerror or exc})") from None
    return path


def write_tables(
    result: Simulated,
    directory: str | Path,
    *,
    format: str | None = None,
    start: dt.datetime | None = None,
    force: bool = False,
) -> dict[str, Path]:
    """Write every table of ``result`` into ``directory`` (see :func:`prepare_directory`), one
    file per table; returns table name → file. ``format``: parquet or csv (default:
    :func:`default_format`); ``start``: the date and time of simulated second 0 (default: time
    columns in seconds). Contacts are written a chunk at a time, so memory grows with one chunk,
    not with the day. Raises :class:`TablesError`. Cost: O(contacts · columns).
    """
    chosen = resolve_format(format)
    target = prepare_directory(directory, force=force)
    write = _write_parquet if chosen == "parquet" else _write_csv
    written = {}
    try:
        for table in table_specs(result):
            path = target / f"{table.name}.{chosen}"
            write(table, path, start)
            written[table.name] = path
    except OSError as exc:
        raise TablesError(f"{target}: writing failed ({exc.strerror or exc})") from None
    return written


def frames(result: Simulated, *, start: dt.datetime | None = None) -> dict[str, Any]:
    """Every table as a pandas DataFrame (through pyarrow when installed, so the column types
    are those of the Parquet files). Raises ImportError naming the ``frames`` extra without
    pandas. Cost: O(contacts · columns), all in memory.
    """
    try:
        pandas = importlib.import_module("pandas")
    except ImportError as exc:
        raise ImportError(
            "Result.to_frames() needs pandas: pip install 'experiencehub[frames]'"
        ) from exc
    if importlib.util.find_spec("pyarrow") is None:
        return {
            name: pandas.DataFrame(columns) for name, columns in tables(result, start=start).items()
        }
    pa = importlib.import_module("pyarrow")
    return {
        table.name: pa.Table.from_batches(
            [_arrow_batch(pa, table, chunk, start) for chunk in table.chunks()],
            schema=_arrow_schema(pa, table.columns, start),
        ).to_pandas()
        for table in table_specs(result)
    }


# -- CSV -----------------------------------------------------------------------------------------
def _write_csv(table: Table, path: Path, start: dt.datetime | None) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([c.name for c in table.columns])
        for chunk in table.chunks():
            columns = [_csv_values(c, chunk[c.name], start) for c in table.columns]
            writer.writerows(zip(*columns, strict=True))


def _csv_values(column: Column, values: list[Any], start: dt.datetime | None) -> Sequence[Any]:
    if column.kind == "strings":
        return [";".join(v) for v in values]
    if column.kind == "time" and start is not None:
        return [None if s is None else _iso(at(start, s)) for s in values]
    return values


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds")


# -- Parquet -------------------------------------------------------------------------------------
def _write_parquet(table: Table, path: Path, start: dt.datetime | None) -> None:
    pa = importlib.import_module("pyarrow")
    parquet = importlib.import_module("pyarrow.parquet")
    schema = _arrow_schema(pa, table.columns, start)
    with parquet.ParquetWriter(path, schema) as writer:
        for chunk in table.chunks():
            writer.write_batch(_arrow_batch(pa, table, chunk, start))


def _arrow_schema(pa: Any, columns: Sequence[Column], start: dt.datetime | None) -> Any:
    return pa.schema([(c.name, _arrow_type(pa, c.kind, start)) for c in columns])


def _arrow_type(pa: Any, kind: str, start: dt.datetime | None) -> Any:
    if kind == "time":
        if start is None:
            return pa.float64()
        return pa.timestamp("ms", tz=None if start.tzinfo is None else "UTC")
    return {
        "int": pa.int64(),
        "float": pa.float64(),
        "str": pa.string(),
        "bool": pa.bool_(),
        "strings": pa.list_(pa.string()),
    }[kind]


def _arrow_batch(pa: Any, table: Table, chunk: Chunk, start: dt.datetime | None) -> Any:
    arrays = [_arrow_array(pa, c, chunk[c.name], start) for c in table.columns]
    return pa.RecordBatch.from_arrays(arrays, schema=_arrow_schema(pa, table.columns, start))


def _arrow_array(pa: Any, column: Column, values: list[Any], start: dt.datetime | None) -> Any:
    kind = _arrow_type(pa, column.kind, start)
    if column.kind != "time" or start is None:
        return pa.array(values, kind)
    # seconds → whole milliseconds → start + duration, in pyarrow (no datetime object per value)
    compute = importlib.import_module("pyarrow.compute")
    seconds = pa.array(values, pa.float64())
    millis = compute.round(compute.multiply(seconds, 1000.0)).cast(pa.int64())
    origin = start if start.tzinfo is None else start.astimezone(dt.timezone.utc)
    moments = compute.add(pa.scalar(origin, kind), millis.cast(pa.duration("ms")))
    return moments.cast(kind)
