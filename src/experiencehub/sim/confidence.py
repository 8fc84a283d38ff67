"""Confidence over replications: means, 95% half-widths and paired differences of KPI blocks.

This module owns the statistics that turn one KPI block per replication into a mean with a
Student-t confidence interval, and two policies' blocks into paired differences (common random
numbers make pairing valid). It reads nested dicts of numbers, whatever their keys; it never
simulates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Blocks", "block_columns", "compare_runs", "mean_ci", "summarise", "t_quantile_975"]

Blocks = dict[str, Any]


_T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
    25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}  # fmt: skip


def t_quantile_975(df: int) -> float:
    """Student t 97.5% quantile (two-sided 95%) for ``df`` degrees of freedom, from a table;
    between tabulated values the next smaller df is used (conservative). Cost: O(1).

    >>> t_quantile_975(2), t_quantile_975(45), t_quantile_975(10_000)
    (4.303, 2.021, 1.96)
    """
    if df < 1:
        raise ValueError(f"df={df}: must be >= 1")
    if df in _T_975:
        return _T_975[df]
    if df > 120:
        return 1.96
    return _T_975[max(k for k in _T_975 if k <= df)]


def mean_ci(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and 95% CI half-width (t-distribution); half-width None for a single value.
    Cost: O(len(values)).

    >>> mean_ci([1.0, 2.0, 3.0])
    (2.0, 2.484...)
    """
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, None
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, t_quantile_975(n - 1) * math.sqrt(var / n)


def summarise(runs: Sequence[Blocks]) -> tuple[Blocks, Blocks]:
    """(means, 95% half-widths) with the shape of :func:`run_kpis`, over replications.

    A KPI that is None in some replication is averaged over the others. Cost: O(runs · KPIs).
    """
    return _combine(runs, mean_ci)


def compare_runs(base: Sequence[Blocks], other: Sequence[Blocks]) -> tuple[Blocks, Blocks]:
    """Paired differences ``other − base`` per replication (common random numbers make pairing
    valid): (mean difference, 95% half-width), shaped like :func:`run_kpis`. Cost: as summarise."""
    diffs = [_subtract(b, o) for b, o in zip(base, other, strict=True)]
    return summarise(diffs)


def _subtract(base: Any, other: Any) -> Any:
    if isinstance(base, dict) or isinstance(other, dict):
        # a block missing on one side (a channel or group only one run saw) differs by None
        base, other = base or {}, other or {}
        return {k: _subtract(base.get(k), other.get(k)) for k in {*base, *other}}
    if base is None or other is None:
        return None
    return other - base


def _combine(runs: Sequence[Any], reduce: Any) -> tuple[Any, Any]:
    first = next((r for r in runs if r is not None), None)
    if isinstance(first, dict):
        keys: list[str] = []
        for run in runs:
            for k in run or {}:
                if k not in keys:
                    keys.append(k)
        means: dict[str, Any] = {}
        halves: dict[str, Any] = {}
        for k in keys:
            means[k], halves[k] = _combine([(r or {}).get(k) for r in runs], reduce)
        return means, halves
    values = [float(v) for v in runs if v is not None]
    if not values:
        return None, None
    mean, half = reduce(values)
    if len(runs) == 1 and isinstance(first, int):
        return first, half
    return mean, half


def block_columns(
    kpis: Mapping[str, Any], ci95: Mapping[str, Any], name: str
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """An ``{"overall", "by_queue"}`` block family of a result's KPIs as table columns, ``all``
    queues first: column → (means, 95% half-widths). Empty when the result has no such block.
    Cost: O(queues).

    >>> kpis = {"estimated_wait": {"overall": {"estimated": 4}, "by_queue": {"q": {"estimated": 4}}}}
    >>> list(block_columns(kpis, {}, "estimated_wait"))
    ['all', 'q']
    """
    means, halves = kpis.get(name) or {}, ci95.get(name) or {}
    if not means:
        return {}
    columns = {"all": (means["overall"], halves.get("overall") or {})}
    by_queue = halves.get("by_queue") or {}
    for queue, block in means["by_queue"].items():
        columns[queue] = (block, by_queue.get(queue) or {})
    return columns
