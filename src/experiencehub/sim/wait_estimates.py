"""How good the router's estimated wait was: each contact's estimate beside the wait it then had.

This module owns the ``estimated_wait`` KPI block. The engine keeps, on each contact's record,
the ``Enqueued.estimated_wait`` the router gave when the contact queued on arrival
(``ContactRecord.estimated_wait``: None when it was offered at once, or the queue had no history
yet); here those estimates are set against the waits that followed. It never simulates.

Only contacts that were *answered* count: an abandoned contact's wait was cut short, so its error
is unknown (counting the time it waited would make the estimate look too high).

>>> from experiencehub.records import ContactRecord
>>> recs = [ContactRecord("c1", "u1", "phone", "q", "s", arrived_at=0.0, threshold=20.0,
...                       answered_at=30.0, estimated_wait=40.0),
...         ContactRecord("c2", "u2", "phone", "q", "s", arrived_at=5.0, threshold=20.0,
...                       answered_at=25.0, estimated_wait=10.0)]
>>> block = estimated_wait_kpis(recs, (0.0, 100.0))["overall"]
>>> block["mean_estimate"], block["mean_actual"], block["mean_absolute_error"], block["bias"]
(25.0, 25.0, 10.0, 0.0)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ..records import ContactRecord

__all__ = ["ESTIMATED_WAIT_KPI_KEYS", "estimated_wait_kpis"]

ESTIMATED_WAIT_KPI_KEYS = (
    "estimated",
    "mean_estimate",
    "mean_actual",
    "mean_absolute_error",
    "bias",
)
"""Keys of every ``estimated_wait`` block, in report order (docs/kpis.md)."""


def estimated_wait_kpis(
    records: Iterable[ContactRecord], measured: tuple[float, float]
) -> dict[str, Any]:
    """``{"overall": block, "by_queue": {queue: block}}`` over the answered contacts that
    arrived inside ``measured = (start, end)`` with an estimate; every queue that had contacts
    in the window has a block. Cost: O(records)."""
    start, end = measured
    pairs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in records:
        if not start <= r.arrived_at < end:
            continue
        mine = pairs[r.queue]  # a queue with no estimate still gets its (empty) block
        if r.estimated_wait is not None and r.answered_at is not None:
            mine.append((r.estimated_wait, r.answered_at - r.arrived_at))
    everything = [pair for queue in pairs.values() for pair in queue]
    return {
        "overall": _block(everything),
        "by_queue": {queue: _block(found) for queue, found in sorted(pairs.items())},
    }


def _block(pairs: Sequence[tuple[float, float]]) -> dict[str, float | int | None]:
    n = len(pairs)
    if not n:
        return dict.fromkeys(ESTIMATED_WAIT_KPI_KEYS, None) | {"estimated": 0}
    estimate = sum(e for e, _ in pairs) / n
    actual = sum(w for _, w in pairs) / n
    return {
        "estimated": n,
        "mean_estimate": estimate,
        "mean_actual": actual,
        "mean_absolute_error": sum(abs(e - w) for e, w in pairs) / n,
        "bias": estimate - actual,
    }
