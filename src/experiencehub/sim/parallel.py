"""Replications as tasks: run them in this process, in local worker processes, or on a Dask cluster.

This module owns *where* a replication runs, never what it computes: a :class:`Task` is one
replication of one scenario; :func:`run_task` simulates it with :func:`~.engine.run` and reduces it
to its KPI blocks (:func:`~.runs.replication_kpis`) where it ran, so only those blocks travel back
(about 10 KB pickled) unless the task asks for its records too. A replication's random streams are
seeded from (seed, replication, stream name) alone, so a task gives the same blocks wherever and
in whatever order it runs: a parallel sweep equals the serial one exactly.

Local workers are a :class:`concurrent.futures.ProcessPoolExecutor` started with ``spawn`` (the
same on Linux, macOS and Windows; nothing is inherited but the task). A script that starts one
must guard its entry point with ``if __name__ == "__main__":``. A Dask cluster (the ``dask``
extra) is used through ``distributed.Client(address)``; its workers need experiencehub installed.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

import attrs

from .confidence import Blocks
from .engine import RunResult, run
from .replica import replication_kpis
from .scenario import Scenario

__all__ = ["Task", "TaskResult", "default_workers", "run_task", "run_tasks"]

Progress = Callable[[float], None]


@attrs.frozen
class Task:
    """Replication ``replication`` of ``scenario`` under its own ``[simulation] policy``;
    ``keep_records`` sends the whole :class:`~.engine.RunResult` back too (megabytes per run)."""

    scenario: Scenario
    replication: int
    keep_records: bool = False


@attrs.frozen
class TaskResult:
    """What comes back from a task: the replication's KPI blocks, the contacts it simulated and
    its wall time, and the run itself only when the task kept records."""

    kpis: Blocks
    contacts: int
    wall_seconds: float
    run: RunResult | None = None


def default_workers() -> int:
    """Worker processes used when none are given: every core (``os.cpu_count()``). Cost: O(1)."""
    return os.cpu_count() or 1


def run_task(task: Task) -> TaskResult:
    """Simulate one replication and compute its KPIs: the function workers call (importable, so
    ``spawn`` and Dask can find it). Cost: one :func:`~.engine.run` plus its KPIs."""
    result = run(task.scenario, replication=task.replication)
    return TaskResult(
        kpis=replication_kpis(task.scenario, result),
        contacts=len(result.records),
        wall_seconds=result.wall_seconds,
        run=result if task.keep_records else None,
    )


def run_tasks(
    tasks: Sequence[Task],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[TaskResult]:
    """Every task's result, in the order of ``tasks``: on the Dask scheduler at ``scheduler``
    (``tcp://host:port``) when given, else in ``workers`` local processes (default
    :func:`default_workers`; 1 runs them here, one after another). ``progress`` gets the finished
    share. Raises ValueError for ``workers`` < 1. Cost: the tasks' total / workers, plus starting
    the workers (about a second each with ``spawn``).

    >>> from experiencehub.sim.runs import _TINY
    >>> from experiencehub.sim.scenario import load_scenario_text
    >>> done = run_tasks([Task(load_scenario_text(_TINY), r) for r in range(2)], workers=1)
    >>> [d.run for d in done], sorted(done[0].kpis)[:3]
    ([None, None], ['away', 'by_channel', 'by_group'])
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers={workers}: must be >= 1")
    if scheduler is not None:
        return _on_dask(tasks, scheduler, progress)
    count = min(workers or default_workers(), len(tasks))
    if count <= 1:
        return _here(tasks, progress)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = [pool.submit(run_task, task) for task in tasks]
        _follow(as_completed(futures), len(futures), progress)
        return [future.result() for future in futures]


def _here(tasks: Sequence[Task], progress: Progress | None) -> list[TaskResult]:
    results = []
    for done, task in enumerate(tasks, start=1):
        results.append(run_task(task))
        if progress is not None:
            progress(done / len(tasks))
    return results


def _follow(finished: Any, total: int, progress: Progress | None) -> None:
    """Wait for every future (in completion order), reporting the share done."""
    for done, future in enumerate(finished, start=1):
        future.result()  # an error in a task stops here, with its own traceback
        if progress is not None:
            progress(done / total)


def _on_dask(tasks: Sequence[Task], address: str, progress: Progress | None) -> list[TaskResult]:
    try:
        distributed = importlib.import_module("distributed")
    except ImportError as exc:
        raise ImportError(
            f"scheduler={address!r}: Dask is not installed; pip install 'experiencehub[dask]'"
        ) from exc
    with distributed.Client(address) as client:
        futures: list[Future[TaskResult]] = client.map(run_task, list(tasks), pure=False)
        _follow(distributed.as_completed(futures), len(futures), progress)
        results: list[TaskResult] = client.gather(futures)
    return results
