"""HoursModel: a queue's hours of operation (docs/routing.md, "Hours of operation"), restated
from the documentation, never from the router's code nor from ``OpenHours``' own methods, so a
bug there is caught.

A week begins at ``week_starts_at`` (day 0 at 00:00) and has 7 days of 86,400 s. A queue with
hours is open at ``t`` when ``t`` lies in none of its ``closed`` periods and in one of its
``extra_open`` periods or, failing those, in a weekly interval ``(day, start, end)`` of ``t``'s
week (``closed`` wins). Its state changes at the first edge of those intervals after ``t`` at
which that answer differs; none when no edge ever changes it.

At a change the queue closes as by ``QueueClosed`` (reason ``"outside opening hours"``; its
``closed_rule`` applies to the contacts in it, see :class:`ClosingModel`) or opens as by
``QueueOpened`` (its held callbacks queue again). Changes apply at their own time, in the
``Tick`` that reaches it, before any other deadline due at the same instant; several at one
instant apply in configuration order, each closing's contacts leaving before the next change
applies. A manual ``QueueClosed`` or ``QueueOpened`` holds until the next change, which
replaces it by the hours' state. ``QueueAdded`` with hours takes their state at once.
``QueueChanged`` restarts hours from the new spec: with hours they decide at once whether the
queue is open (a closing applies the new ``closed_rule``, after the change's own decisions);
without, a queue its old hours closed opens and one closed by hand stays closed. It changes
only the model's own state.
"""

from __future__ import annotations

import math

from ..core import decisions as dc
from ..core.hours import OpenHours
from ..core.queues import QueueSpec
from ..core.router import Router
from ._model_closing import ClosingModel
from ._model_config import RouterConfig
from ._model_state import check

__all__ = ["HoursModel", "hours_next_change", "hours_open_at"]

DAY = 86_400.0
WEEK = 7 * DAY


def hours_open_at(hours: OpenHours, t: float) -> bool:
    """Is a queue with these hours open at ``t`` (module docstring)? Cost: O(W + H)."""
    if any(start <= t < end for start, end in hours.closed):
        return False
    if any(start <= t < end for start, end in hours.extra_open):
        return True
    into_week = (t - hours.week_starts_at) % WEEK
    return any(day * DAY + start <= into_week < day * DAY + end for day, start, end in hours.weekly)


def hours_next_change(hours: OpenHours, t: float) -> float | None:
    """The first time after ``t`` at which :func:`hours_open_at` differs from its answer at
    ``t``; None if never. Every edge of a period, and every weekly edge from ``t``'s week to
    the week after the last period (after it the weekly pattern alone repeats), is a
    candidate. Cost: O(E log E · (W + H)) for E candidate edges."""
    periods = (*hours.closed, *hours.extra_open)
    edges = {edge for span in periods for edge in span if edge > t}
    last = max([t, *edges])
    first_week = math.floor((t - hours.week_starts_at) / WEEK)
    last_week = math.floor((last - hours.week_starts_at) / WEEK) + 1
    for week in range(first_week, last_week + 1):
        week_start = hours.week_starts_at + week * WEEK
        for day, start, end in hours.weekly:
            day_start = week_start + day * DAY
            edges.update(e for e in (day_start + start, day_start + end) if e > t)
    now_open = hours_open_at(hours, t)
    return next((e for e in sorted(edges) if hours_open_at(hours, e) != now_open), None)


class HoursModel(ClosingModel):
    """Hours of operation opening and closing queues (see the module docstring). Costs: O(Q)
    per decision to find a change due, plus O(E log E · (W + H)) per change."""

    def __init__(self, config: RouterConfig) -> None:
        super().__init__(config)
        self.hours_next: dict[str, float] = {}  # queue → its hours' next change
        self.by_hours: set[str] = set()  # closed queues their hours closed (not by hand)
        self.pending_close: str | None = None  # a QueueChanged's closing, after its decisions
        for queue in list(self.queues.values()):
            self.start_hours(queue, self.now)

    def start_hours(self, queue: QueueSpec, at: float) -> None:
        """A queue with hours takes their state at ``at`` and waits for their next change.
        Cost: as :func:`hours_next_change`."""
        hours = queue.hours
        if hours is None:
            return
        if hours_open_at(hours, at):
            self._open_by_hours(queue.name, at)
        else:
            self.closed.discard(queue.name)  # a manual close is replaced: the rule applies anew
            self.close(queue.name)
            self.by_hours.add(queue.name)
        change = hours_next_change(hours, at)
        if change is not None:
            self.hours_next[queue.name] = change

    def _open_by_hours(self, name: str, at: float) -> None:
        self.closed.discard(name)
        self.by_hours.discard(name)
        self.release_held(name, at)

    def restart_hours(self, old: QueueSpec, new: QueueSpec, at: float) -> None:
        """``QueueChanged``: hours start again from the new spec (module docstring); a closing
        under ``"move"`` or ``"end"`` waits for the change's own decisions. Cost: as
        :meth:`start_hours`."""
        name = new.name
        self.hours_next.pop(name, None)
        if new.hours is None:
            if old.hours is not None and name in self.by_hours:
                self._open_by_hours(name, at)
            return
        if hours_open_at(new.hours, at) or new.closed_rule == "keep":
            self.start_hours(new, at)
            return
        self.closed.discard(name)
        self.by_hours.discard(name)
        self.pending_close = name
        change = hours_next_change(new.hours, at)
        if change is not None:
            self.hours_next[name] = change

    def hours_before(self, d: dc.Decision) -> None:
        """Before ``d`` is replayed: a pending closing that ``d`` starts, then every change
        due by ``d``'s time, in time then configuration order, each closing finished before
        the next change. Cost: O(Q) per change looked for."""
        if self.pending_close is not None and self._starts_closing(self.pending_close, d):
            self._close_pending()
        self.hours_due(d.at)

    def hours_after(self, at: float) -> None:
        """After an event's decisions: the changes due by ``at`` that no decision followed,
        and a pending closing (its contacts then stay: the closing check says so). Cost: as
        :meth:`hours_due`."""
        if self.pending_close is not None:
            self._close_pending()
        self.hours_due(at)

    def hours_due(self, at: float) -> None:
        """Apply the changes due by ``at`` while no closing is under way. Cost: O(Q) each."""
        while self.pending_close is None and not self._closing_under_way():
            next_at = self.hours_next
            due = [
                (next_at[q], i, q)
                for i, q in enumerate(self.queues)
                if next_at.get(q, at) <= at and q in next_at
            ]
            if not due:
                return
            change_at, _order, name = min(due)
            self.closing = None
            del self.hours_next[name]
            self.start_hours(self.queues[name], change_at)

    def _closing_under_way(self) -> bool:
        return bool(self.moving) or (self.closing is not None and bool(self.closing[1]))

    def _close_pending(self) -> None:
        name, self.pending_close = self.pending_close, None
        assert name is not None
        self.close(name)
        self.by_hours.add(name)

    def _starts_closing(self, name: str, d: dc.Decision) -> bool:
        """Does ``d`` show a contact leave queue ``name`` as it closes: a refusal or a
        withdrawal saying so, or a contact of the queue now in another queue?"""
        if isinstance(d, (dc.Refused, dc.OfferWithdrawn)):
            said = f"queue {name} closed" in d.reason
            return said and (not isinstance(d, dc.Refused) or d.queue == name)
        contact = self.contacts.get(getattr(d, "contact_id", ""))
        queue = getattr(d, "queue", None)
        return contact is not None and contact.queue == name and queue not in (None, name)

    def check_hours(self, router: Router) -> None:
        """Each queue is open or closed as the model says, and its hours' next change is the
        model's own. Cost: O(Q)."""
        for name in self.queues:
            is_open = router.is_open(name)
            check(
                is_open == (name not in self.closed),
                f"{name}: router says open={is_open}, the model {name not in self.closed} "
                f"(hours {self.queues[name].hours!r}, at {self.now})",
            )
            change = router.next_hours_change(name)
            check(
                change == self.hours_next.get(name),
                f"{name}: router's next hours change {change}, the model's "
                f"{self.hours_next.get(name)} (hours {self.queues[name].hours!r}, at {self.now})",
            )
