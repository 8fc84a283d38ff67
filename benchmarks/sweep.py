"""Sweeps in parallel: the speed-up from 1 to N worker processes, and what a replication costs.

Usage (from the repository root)::

    python benchmarks/sweep.py                       # single-queue.toml, 8 points × 4 replications
    python benchmarks/sweep.py --scenario policy-comparison
    python benchmarks/sweep.py --workers 4 --json out.json

It runs the same sweep (8 staffing levels of the scenario's first agent group, 4 replications
each) serially and on ``--workers`` processes in one session, checks the two give identical KPI
blocks, and prints: wall time of each and the speed-up; the cost of one replication (simulation
and KPIs); the pickled bytes of what a worker sends back (a KPI block) against a replication with
its records; the start-up cost of a pool of spawned workers. docs/sweeps.md reads these numbers.

``SweepWorkers`` is the asv suite: a small sweep timed with 1 and 2 workers. Nothing runs at
import time: asv imports every module of ``benchmarks/`` while discovering.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from experiencehub.sim.parallel import Task, run_task
from experiencehub.sim.scenario import Scenario, load_scenario
from experiencehub.sim.sweep import SweepResult, sweep

ROOT = Path(__file__).resolve().parents[1]
POINTS = 8
REPLICATIONS = 4


def staffing_grid(scenario: Scenario, points: int = POINTS) -> dict[str, range]:
    """``points`` staffing levels of the first agent group, ending at its count in the file."""
    group = scenario.agents[0]
    low = max(1, group.count - points + 1)
    return {f"agents.{group.group}.count": range(low, low + points)}


def timed_sweep(
    scenario: Scenario, grid: dict[str, range], workers: int
) -> tuple[float, SweepResult]:
    """Wall seconds of the whole sweep (validation, workers' start-up and simulation)."""
    started = time.perf_counter()
    result = sweep(scenario, grid, workers=workers)
    return time.perf_counter() - started, result


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the pool's workers, once the
    pool has shut down): on a loaded machine this, not wall time, says what the work cost."""
    me, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def pool_start_seconds(workers: int) -> float:
    """Wall seconds for a spawned pool of ``workers`` to import the simulator and answer."""
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        list(pool.map(_import_simulator, range(workers)))
    return time.perf_counter() - started


def _import_simulator(_: int) -> int:
    import experiencehub.sim.sweep  # noqa: F401, PLC0415 (the import is what is measured)

    return os.getpid()


def transfer_bytes(scenario: Scenario) -> dict[str, int]:
    """Pickled bytes of one replication's result: KPI blocks only, and with its records."""
    light = run_task(Task(scenario, 0))
    full = run_task(Task(scenario, 0, keep_records=True))
    return {
        "kpi_block_pickled": len(pickle.dumps(light)),
        "kpi_block_json": len(json.dumps(light.kpis)),
        "with_records_pickled": len(pickle.dumps(full)),
        "task_pickled": len(pickle.dumps(Task(scenario, 0))),
        "contacts": light.contacts,
    }


def measure(
    name: str,
    workers: int,
    points: int,
    replications: int,
    *,
    hours: float | None = None,
    rounds: int = 1,
) -> dict[str, Any]:
    """Every number of the report, as a dict; ``rounds`` alternates serial and parallel runs so
    changes in the machine's load hit both alike (medians reported)."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(
        replications=replications
    )
    if hours is not None:
        scenario = scenario.with_overrides(duration=hours * 3600.0)
    grid = staffing_grid(scenario, points)
    walls: dict[int, list[float]] = {1: [], workers: []}
    cpus: dict[int, list[float]] = {1: [], workers: []}
    results: dict[int, SweepResult] = {}
    for _ in range(rounds):
        for count in (1, workers):
            cpu_before = cpu_seconds()
            seconds, results[count] = timed_sweep(scenario, grid, count)
            walls[count].append(seconds)
            cpus[count].append(cpu_seconds() - cpu_before)
    serial, parallel = results[1], results[workers]
    if [p.per_run for p in serial.points] != [p.per_run for p in parallel.points]:
        raise AssertionError("parallel KPI blocks differ from the serial ones")
    runs = points * replications
    wall = {k: statistics.median(v) for k, v in walls.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    contacts = sum(p.contacts for p in serial.points)
    return {
        "scenario": name,
        "grid": {k: [v.start, v.stop - 1] for k, v in grid.items()},
        "points": points,
        "replications": replications,
        "workers": workers,
        "rounds": rounds,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "serial_seconds": [round(w, 2) for w in walls[1]],
        "parallel_seconds": [round(w, 2) for w in walls[workers]],
        "speedup": round(wall[1] / wall[workers], 2),
        "serial_cpu_seconds": round(cpu[1], 2),
        "parallel_cpu_seconds": round(cpu[workers], 2),
        # what the speed-up would be on otherwise idle cores: the parallel run's CPU (start-up and
        # pickling included) spread over the workers, against the serial run's CPU
        "cpu_bound_speedup": round(workers * cpu[1] / cpu[workers], 2),
        "seconds_per_replication": round(wall[1] / runs, 3),
        "simulation_seconds_per_replication": round(
            sum(p.wall_seconds for p in serial.points) / runs, 3
        ),
        "cpu_seconds_per_replication": round(cpu[1] / runs, 3),
        "cpu_us_per_contact": round(1e6 * cpu[1] / contacts, 1),
        "contacts_per_replication": round(contacts / runs),
        "pool_start_seconds": round(pool_start_seconds(workers), 2),
        "bytes": transfer_bytes(scenario),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scenario", default="single-queue")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--points", type=int, default=POINTS)
    parser.add_argument("--replications", type=int, default=REPLICATIONS)
    parser.add_argument("--hours", type=float, default=None, help="shorten the measured window")
    parser.add_argument("--rounds", type=int, default=1, help="alternate runs, report medians")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    found = measure(
        args.scenario, args.workers, args.points, args.replications,
        hours=args.hours, rounds=args.rounds,
    )  # fmt: skip
    for key, value in found.items():
        print(f"{key:>36}: {value}")
    if args.json is not None:
        args.json.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    return 0


class SweepWorkers:
    """asv: a 4-point × 2-replication sweep of policy-comparison.toml (2 simulated hours), timed
    serially and on 2 spawned workers (start-up included, as a user sees it)."""

    params = [1, 2]
    param_names = ["workers"]
    timeout = 300

    def setup(self, workers: int) -> None:
        scenario = load_scenario(ROOT / "scenarios" / "policy-comparison.toml")
        self.scenario = scenario.with_overrides(duration=7200.0, replications=2)
        self.grid = staffing_grid(self.scenario, 4)

    def time_sweep(self, workers: int) -> None:
        sweep(self.scenario, self.grid, workers=workers)

    def track_seconds_per_replication(self, workers: int) -> float:
        costs = []
        for _ in range(3):
            seconds, result = timed_sweep(self.scenario, self.grid, workers)
            costs.append(seconds / (len(result.points) * result.replications))
        return statistics.median(costs)


if __name__ == "__main__":
    sys.exit(main())
