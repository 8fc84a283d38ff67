"""KPIs over time: offered, service level, abandon share and contacts waiting per interval.

This module owns the interval series the HTML report plots; the KPI definitions it uses (service
level) are :mod:`.kpi`'s. It never simulates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .kpi import ContactRecord, ServiceLevelRule, service_level

__all__ = ["interval_series"]


def interval_series(
    records: Sequence[ContactRecord],
    rule: ServiceLevelRule,
    *,
    start: float,
    end: float,
    interval: float,
) -> dict[str, list[float | None]]:
    """Per interval of arrival time: offered, service level, abandon share, and mean number of
    contacts waiting (time-averaged). Cost: O(n · intervals a wait spans)."""
    count = max(1, math.ceil((end - start) / interval))
    groups: list[list[ContactRecord]] = [[] for _ in range(count)]
    waiting = [0.0] * count
    for r in records:
        index = int((r.arrived_at - start) // interval)
        if 0 <= index < count:
            groups[index].append(r)
        left = r.answered_at if r.answered_at is not None else r.ended_at
        _spread(waiting, r.arrived_at, end if left is None else left, start, interval)
    return {
        "start": [start + i * interval for i in range(count)],
        "offered": [float(len(g)) for g in groups],
        "service_level": [service_level(g, rule) for g in groups],
        "p_abandon": [
            (sum(r.outcome == "abandoned" for r in g) / len(g) if g else None) for g in groups
        ],
        "waiting": [w / interval for w in waiting],
    }


def _spread(
    buckets: list[float], begin: float, finish: float, start: float, interval: float
) -> None:
    t = max(begin, start)
    last = start + len(buckets) * interval
    finish = min(finish, last)
    while t < finish:
        index = int((t - start) // interval)
        edge = min(finish, start + (index + 1) * interval)
        buckets[index] += edge - t
        t = edge
