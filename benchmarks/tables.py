"""Writing the tidy tables: seconds and bytes per format, with and without timestamps.

Usage (from the repository root)::

    python benchmarks/tables.py                                   # omnichannel-day.toml
    python benchmarks/tables.py --scenario million-day --replications 1

It simulates the scenario once, then writes its tables (``write_tables``) as Parquet and CSV,
with time columns in seconds and as timestamps, and prints the wall seconds, the bytes of each
table, and the peak resident memory before and after writing (the contacts are written a slice
at a time, so writing should not raise it much). docs/tables.md reads these numbers.

``WriteTables`` is the asv suite (omnichannel-day, one replication). Nothing runs at import time:
asv imports every module of ``benchmarks/`` while discovering.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from experiencehub.sim.runs import Result, simulate
from experiencehub.sim.scenario import load_scenario
from experiencehub.sim.tablefiles import write_tables

ROOT = Path(__file__).resolve().parents[1]
START = dt.datetime(2026, 3, 2, 8, 0)
FORMATS = ("parquet", "csv") if importlib.util.find_spec("pyarrow") else ("csv",)


def simulated(name: str, replications: int | None = None) -> Result:
    return simulate(load_scenario(ROOT / "scenarios" / f"{name}.toml"), replications=replications)


def timed_write(
    result: Result, directory: Path, fmt: str, start: dt.datetime | None
) -> tuple[float, dict[str, int]]:
    """Wall seconds of one ``write_tables`` call, and the bytes of each file it wrote."""
    began = time.perf_counter()
    written = write_tables(result, directory, format=fmt, start=start, force=True)
    seconds = time.perf_counter() - began
    return seconds, {name: path.stat().st_size for name, path in written.items()}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class WriteTables:
    """``write_tables`` of omnichannel-day (one replication, about 3,200 contacts)."""

    params = (list(FORMATS), [False, True])
    param_names = ("format", "timestamps")
    timeout = 300

    def setup_cache(self) -> Result:
        return simulated("omnichannel-day", replications=1)

    def setup(self, result: Result, fmt: str, timestamps: bool) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="bench-tables-"))

    def teardown(self, result: Result, fmt: str, timestamps: bool) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def time_write_tables(self, result: Result, fmt: str, timestamps: bool) -> None:
        write_tables(result, self.directory, format=fmt, start=START if timestamps else None,
                     force=True)  # fmt: skip

    def track_bytes_per_contact(self, result: Result, fmt: str, timestamps: bool) -> float:
        _, sizes = timed_write(result, self.directory, fmt, START if timestamps else None)
        return sum(sizes.values()) / result.customers


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="omnichannel-day")
    parser.add_argument("--replications", type=int, default=None)
    args = parser.parse_args(argv)
    if "parquet" in FORMATS:  # before the clock starts: pyarrow's first array imports pandas
        importlib.import_module("pyarrow.parquet")  # when installed (1.7 s here), once a process
        importlib.import_module("pyarrow.compute").add(
            importlib.import_module("pyarrow").array([0.0]), 1.0
        )
    began = time.perf_counter()
    result = simulated(args.scenario, args.replications)
    print(f"{args.scenario}: {result.customers} contacts, {len(result.runs)} replication(s), "
          f"simulated in {time.perf_counter() - began:.1f} s; peak RSS {peak_rss_mb():.0f} MB")  # fmt: skip
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as home:
        for fmt in FORMATS:
            for start in (None, START):
                label = f"{fmt}, {'timestamps' if start else 'seconds'}"
                seconds, sizes = timed_write(result, Path(home) / label, fmt, start)
                found[label] = {"seconds": seconds, "bytes": sizes}
                print(f"{label:20} {seconds:6.2f} s  {sum(sizes.values()) / 1e6:7.2f} MB "
                      f"(contacts {sizes['contacts'] / 1e6:.2f} MB)  peak RSS {peak_rss_mb():.0f} MB")  # fmt: skip
    return found


if __name__ == "__main__":
    main()
