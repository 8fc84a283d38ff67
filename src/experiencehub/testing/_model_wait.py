"""WaitEstimates: the model's own estimated wait time per queue — each queue's departures, kept
from the decisions replayed, and the checks of ``Enqueued.estimated_wait``, the
``"estimated_wait"`` alert and ``Router.estimated_wait`` against them.

Restated from docs/routing.md ("Estimated wait time"), never from the router's code. A
*departure* is an ``Offer`` (auto-accepted or not, a callback's too) of a contact that sat in one
of its queue's lines: it was told ``Enqueued`` there, or its offer came back (rejected, expired or
withdrawn: it keeps its place, so offered again, even at once, it departs again), or it is a
callback queueing again the moment its dial failed (``retry_seconds=0``: back in its line before
any agent takes it). Its stage widening, its affinity ending or its queue changing leave it in
its line. A contact offered as it starts waiting (arrival, transfer, closing move, consult leg, a
callback's retry at its deadline) never sat in one. An interval runs from the later of the queue's last departure and the moment its count of
contacts not yet connected (waiting, ringing, scheduled callbacks) last went from none to some —
a contact transferred within its queue, or a callback queueing again at the back, leaves that
count and joins it again — to the departure; the queue keeps the last ``EWT_WINDOW`` intervals.
A contact at position ``k`` is expected to wait ``k`` times their mean; None before the first.

The alert comes right after an ``Enqueued`` whose estimate is above the queue's
``estimated_wait_alert_seconds``, for any contact but a queued callback (it is one already).
It changes only the model's own state.
"""

from __future__ import annotations

import math
from collections import deque

import attrs

from ..core import decisions as dc
from ..core.router import Router
from ._model_config import RouterConfig
from ._model_state import ModelContact, ModelState, check

__all__ = ["EWT_WINDOW", "WaitEstimates"]

EWT_WINDOW = 32
"""The departures a queue's estimate averages over, as docs/routing.md says (restated)."""


@attrs.define
class ModelDepartures:
    """One queue's last departure intervals, its last departure and when it last got busy."""

    intervals: deque[float] = attrs.field(factory=lambda: deque(maxlen=EWT_WINDOW))
    last: float = 0.0
    busy_since: float = 0.0
    busy: bool = False  # some contact of the queue is not yet connected

    def mean(self) -> float | None:
        """The mean departure interval, or None before the first. Cost: O(EWT_WINDOW)."""
        return sum(self.intervals) / len(self.intervals) if self.intervals else None


class WaitEstimates(ModelState):
    """The model's departures per queue and the checks of the estimates (module docstring).
    Costs: O(C) per replayed decision (who is busy), O(EWT_WINDOW) per estimate."""

    def __init__(self, config: RouterConfig) -> None:
        super().__init__(config)
        self.departures: dict[str, ModelDepartures] = {}
        self._expect_wait_alert: str | None = None  # contact whose estimated-wait alert is due

    def _departures(self, queue: str) -> ModelDepartures:
        return self.departures.setdefault(queue, ModelDepartures())

    def estimate(self, queue: str, position: int) -> float | None:
        """The model's estimated wait at ``position`` of ``queue``. Cost: O(EWT_WINDOW)."""
        mean = self._departures(queue).mean()
        return None if mean is None else position * mean

    def note_busy(self, at: float) -> None:
        """After an event's effect or a decision at ``at``: a queue whose count of contacts not
        yet connected went from none to some got busy then. Cost: O(C + Q)."""
        busy = {c.queue for c in self.contacts.values() if _counted(c)}
        for name in self.queues:
            record = self._departures(name)
            if name in busy and not record.busy:
                record.busy_since = at
            record.busy = name in busy

    def rejoined(self, contact: ModelContact, at: float) -> None:
        """The contact, counted in its queue, leaves the count and joins it again at ``at`` (a
        transfer within its queue, a callback queueing again at the back). Cost: O(C)."""
        if self.waiting_count(contact.queue) == 1:  # nobody else: the queue gets busy anew
            self._departures(contact.queue).busy_since = at

    def departed(self, contact: ModelContact, at: float) -> None:
        """An offer of the contact at ``at``: a departure if it sat in a line. Cost: O(1)."""
        if contact.in_line:
            record = self._departures(contact.queue)
            record.intervals.append(at - max(record.last, record.busy_since))
            record.last = at
        contact.in_line = False

    def check_enqueued_wait(self, d: dc.Enqueued, contact: ModelContact) -> None:
        """The estimate on ``d`` is the model's; an alert above the threshold is due next.
        Cost: O(EWT_WINDOW)."""
        contact.in_line = True
        expected = self.estimate(d.queue, d.position)
        where = f"Enqueued {d.contact_id} at position {d.position} of {d.queue}"
        check(
            _same(d.estimated_wait, expected),
            f"{where}: estimated_wait {d.estimated_wait}, the model's {expected} "
            f"(mean of departure intervals {list(self._departures(d.queue).intervals)})",
        )
        limit = self.queues[d.queue].estimated_wait_alert_seconds
        if limit is not None and not contact.callback and (expected or 0.0) > limit:
            self._expect_wait_alert = d.contact_id

    def check_wait_alert(self, d: dc.Decision) -> None:
        """Before ``d`` is replayed: an estimated-wait alert due comes now, and only then.
        Cost: O(1)."""
        due, self._expect_wait_alert = self._expect_wait_alert, None
        is_alert = isinstance(d, dc.Alert) and d.kind == "estimated_wait"
        if due is not None:
            check(
                is_alert and getattr(d, "contact_id", None) == due,
                f"{d!r}: expected Alert(kind='estimated_wait') for {due} (its estimate is "
                "above its queue's estimated_wait_alert_seconds)",
            )
        else:
            check(not is_alert, f"{d!r}: no estimated-wait alert is due")

    def check_wait_alert_done(self) -> None:
        """After an event's decisions: no estimated-wait alert left unsaid. Cost: O(1)."""
        check(
            self._expect_wait_alert is None,
            f"{self._expect_wait_alert}: no Alert(kind='estimated_wait') after its Enqueued",
        )

    def check_router_waits(self, router: Router) -> None:
        """``Router.estimated_wait(q)`` (a contact arriving now) is the model's for every queue.
        Cost: O(Q·(C + EWT_WINDOW))."""
        for name in self.queues:
            position = self.waiting_count(name) + 1
            expected, got = self.estimate(name, position), router.estimated_wait(name)
            check(
                _same(got, expected),
                f"{name}: router.estimated_wait {got}, the model's {expected} at position "
                f"{position} (departure intervals {list(self._departures(name).intervals)})",
            )


def _counted(contact: ModelContact) -> bool:
    return contact.status in ("waiting", "offered", "scheduled")


def _same(got: float | None, expected: float | None) -> bool:
    if got is None or expected is None:
        return got is expected
    return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
