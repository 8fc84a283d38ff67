"""Hours of operation: when a queue is open, on the caller's clock (the router reads no clock).

Caller seconds map to week days through ``week_starts_at``: the caller's time at which a week
begins (day 0 at 00:00; e.g. the Monday midnight before the first event, in the caller's own
time zone — a change of daylight-saving time is the caller's to express, as a new spec). Day
``d`` runs from ``week_starts_at + d·86400`` for 86,400 seconds, every week alike. ``weekly``
lists the open intervals ``(day, start, end)`` in seconds of that day; ``closed`` lists absolute
intervals ``(start, end)`` of caller time (holidays, a site closure) when the queue is closed
even within its weekly hours; ``extra_open`` absolute intervals when it is open even outside them
(a special Sunday). ``closed`` wins over ``extra_open``.

This module only answers "open at t?" and "when does that next change?"; the router closes and
opens the queue at those times (see :mod:`._queue_runtime`).

>>> weekdays_9_to_5 = OpenHours(weekly=[(d, 9 * 3600, 17 * 3600) for d in range(5)])
>>> weekdays_9_to_5.is_open_at(10 * 3600), weekdays_9_to_5.next_change(10 * 3600) / 3600
(True, 17.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs

from .errors import ConfigError

__all__ = ["DAY_SECONDS", "WEEK_SECONDS", "OpenHours"]

DAY_SECONDS = 86_400.0
WEEK_SECONDS = 7 * DAY_SECONDS

Interval = tuple[float, float]


def _weekly(value: Iterable[Any]) -> tuple[tuple[int, float, float], ...]:
    return tuple(tuple(item) for item in value)


def _intervals(value: Iterable[Any]) -> tuple[Interval, ...]:
    return tuple(tuple(item) for item in value)


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


@attrs.frozen(kw_only=True, slots=True)
class OpenHours:
    """Weekly open intervals, plus closed and extra open periods (see the module docstring)."""

    weekly: tuple[tuple[int, float, float], ...] = attrs.field(default=(), converter=_weekly)
    week_starts_at: float = 0.0
    closed: tuple[Interval, ...] = attrs.field(default=(), converter=_intervals)
    extra_open: tuple[Interval, ...] = attrs.field(default=(), converter=_intervals)

    def __attrs_post_init__(self) -> None:
        if not _number(self.week_starts_at):
            raise ConfigError(f"OpenHours.week_starts_at={self.week_starts_at!r}: must be a finite number")
        for i, item in enumerate(self.weekly):
            where = f"OpenHours.weekly[{i}]={item!r}"
            if len(item) != 3 or not all(_number(x) for x in item) or item[0] not in range(7):
                raise ConfigError(f"{where}: must be (day 0-6, start, end) in seconds of the day")
            if not 0 <= item[1] < item[2] <= DAY_SECONDS:
                raise ConfigError(f"{where}: must have 0 <= start < end <= 86400")
        for name in ("closed", "extra_open"):
            for i, span in enumerate(getattr(self, name)):
                if len(span) != 2 or not all(_number(x) for x in span) or not span[0] < span[1]:
                    raise ConfigError(
                        f"OpenHours.{name}[{i}]={span!r}: must be (start, end) with start < end"
                    )

    def is_open_at(self, t: float) -> bool:
        """Is the queue open at caller time ``t``? Cost: O(W + H) for W weekly intervals and H
        closed and extra periods."""
        if any(start <= t < end for start, end in self.closed):
            return False
        if any(start <= t < end for start, end in self.extra_open):
            return True
        offset = (t - self.week_starts_at) % WEEK_SECONDS
        return any(
            day * DAY_SECONDS + start <= offset < day * DAY_SECONDS + end
            for day, start, end in self.weekly
        )

    def next_change(self, t: float) -> float | None:
        """The first time after ``t`` at which :meth:`is_open_at` differs from its value at
        ``t``; None if it never does. Cost: O((W + H)²) per week looked at; a week is looked at
        for each week that a closed or extra period covers whole."""
        now_open = self.is_open_at(t)
        periods = self.closed + self.extra_open
        last_period_end = max((end for _s, end in periods), default=-math.inf)
        start = t
        while True:
            for candidate in self._boundaries(start, periods):
                if self.is_open_at(candidate) != now_open:
                    return candidate
            if start > last_period_end:  # a whole week of the plain weekly pattern: no change
                return None
            start += WEEK_SECONDS

    def _boundaries(self, after: float, periods: tuple[Interval, ...]) -> list[float]:
        """Every time in (after, after + a week] at which the answer may change, in order."""
        base = self.week_starts_at + math.floor((after - self.week_starts_at) / WEEK_SECONDS) * WEEK_SECONDS
        found = {
            edge
            for week in (base, base + WEEK_SECONDS)
            for day, open_at, close_at in self.weekly
            for edge in (week + day * DAY_SECONDS + open_at, week + day * DAY_SECONDS + close_at)
            if after < edge <= after + WEEK_SECONDS
        }
        found.update(edge for span in periods for edge in span if after < edge <= after + WEEK_SECONDS)
        return sorted(found)
