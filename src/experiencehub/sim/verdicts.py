"""What a result says: service-level targets met or missed, staffing per group, and whether the
confidence intervals are narrow enough to conclude anything.

This module owns the rules the terminal and HTML reports share for those judgements; it computes
from a :class:`~.runs.Result` or :class:`~.runs.Comparison` and never simulates or prints.

**Too wide to conclude.** A 95% confidence half-width is too wide when it exceeds
``WIDE_SHARE_POINTS`` (5 percentage points) for a share (service level, abandon rate), or
``WIDE_RELATIVE`` (10%) of the mean for ASA, and at least ``WIDE_SECONDS`` (2 s). A half-width is
Student's t quantile × the spread of the replications / √replications, so the warning suggests the
replications that would bring the widest one under its limit, were the spread the same. With one
replication there is no interval at all. In a comparison, a variant cannot be told apart from the
baseline on a KPI when the 95% interval of their paired difference contains 0.

>>> suggested_replications(5, half_width=0.10, limit=0.05)
13
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from .confidence import t_quantile_975

if TYPE_CHECKING:
    from .runs import Comparison, Result
    from .scenario_types import AgentGroup, QueueConfig, Scenario

__all__ = [
    "JUDGED_KPIS",
    "WIDE_RELATIVE",
    "WIDE_SECONDS",
    "WIDE_SHARE_POINTS",
    "StaffingRow",
    "TargetCheck",
    "comparison_warnings",
    "staffing",
    "suggested_replications",
    "target_checks",
    "wide_interval_warnings",
]

WIDE_SHARE_POINTS = 0.05
"""A share's half-width above 5 percentage points is too wide to conclude."""
WIDE_RELATIVE = 0.10
"""A time's half-width above 10% of its mean (and above ``WIDE_SECONDS``) is too wide."""
WIDE_SECONDS = 2.0
"""Below this a time's half-width is narrow enough, however small its mean (ASA of 0.1 s)."""
JUDGED_KPIS = {"service_level": "service level", "asa": "ASA", "p_abandon": "abandon rate"}
"""The KPIs whose intervals are judged, with the names the warnings use."""
_SHARES = frozenset({"service_level", "p_abandon"})


@attrs.frozen
class TargetCheck:
    """One queue's or segment's service level against its threshold and target share.

    ``verdict`` is ``"met"`` or ``"missed"`` (by the mean), or ``"no contacts"``; ``certain``
    says the 95% interval lies wholly on the verdict's side of the target.
    """

    kind: str  # "queue" or "segment"
    name: str
    thresholds: tuple[float, ...]
    target: float
    service_level: float | None
    half_width: float | None
    verdict: str
    certain: bool

    @property
    def threshold_text(self) -> str:
        """``"20 s"``, or ``"20–60 s"`` for a segment with several thresholds.
        Cost: O(thresholds)."""
        low, high = min(self.thresholds), max(self.thresholds)
        return f"{low:g} s" if low == high else f"{low:g}–{high:g} s"

    @property
    def verdict_text(self) -> str:
        """The verdict, with ``(CI spans the target)`` when the interval does not settle it.
        Cost: O(1)."""
        if self.verdict == "no contacts" or self.certain:
            return self.verdict
        return f"{self.verdict} (CI spans the target)"


def target_checks(result: Result) -> list[TargetCheck]:
    """A :class:`TargetCheck` per queue, then per segment. Cost: O(queues + workload entries)."""
    scenario = result.scenario
    checks = []
    for queue in scenario.queues:
        own = _thresholds(queue)
        checks.append(_check(result, "queue", queue.name, own, queue.service_level_target))
    for segment, (thresholds, target) in _segments(scenario).items():
        checks.append(_check(result, "segment", segment, thresholds, target))
    return checks


def _segments(scenario: Scenario) -> dict[str, tuple[tuple[float, ...], float]]:
    """Each segment's thresholds and its target: the highest among its workload entries."""
    found: dict[str, tuple[set[float], float]] = {}
    for item in scenario.workload:
        queue = scenario.queue(item.queue)
        threshold = item.service_level_seconds
        target = item.service_level_target
        thresholds, best = found.get(item.segment, (set(), 0.0))
        thresholds.update(_thresholds(queue) if threshold is None else (threshold,))
        best = max(best, queue.service_level_target if target is None else target)
        found[item.segment] = (thresholds, best)
    return {name: (tuple(sorted(t)), best) for name, (t, best) in found.items()}


def _thresholds(queue: QueueConfig) -> tuple[float, ...]:
    """The queue's service-level thresholds over the run: its own, then as its ``changes``
    set it (each contact is measured against the one in force when it arrived)."""
    return tuple(sorted({version.service_level_seconds for _, version in queue.versions()}))


def _check(
    result: Result, kind: str, name: str, thresholds: tuple[float, ...], target: float
) -> TargetCheck:
    group = "by_queue" if kind == "queue" else "by_segment"
    level = (result.kpis.get(group) or {}).get(name, {}).get("service_level")
    half = (result.ci95.get(group) or {}).get(name, {}).get("service_level")
    if level is None or (isinstance(level, float) and math.isnan(level)):
        return TargetCheck(kind, name, thresholds, target, None, None, "no contacts", True)
    verdict = "met" if level >= target else "missed"
    known = half is not None and math.isfinite(half)
    certain = known and (level - half >= target if verdict == "met" else level + half < target)
    return TargetCheck(kind, name, thresholds, target, level, half, verdict, certain)


@attrs.frozen
class StaffingRow:
    """One agent group as scheduled: head count, shifts, scheduled agent-hours, skills, slots."""

    group: str
    agents: int
    shifts: str
    scheduled_hours: float
    skills: str
    capacity: str


def staffing(scenario: Scenario) -> list[StaffingRow]:
    """The staffing of each agent group. Cost: O(groups · shifts)."""
    return [_staffing_row(scenario, group) for group in scenario.agents]


def _staffing_row(scenario: Scenario, group: AgentGroup) -> StaffingRow:
    sim = scenario.simulation
    run_end = sim.warmup + sim.duration
    if group.shifts:
        spans = [(shift.start, shift.end) for shift in group.shifts]
        shifts = ", ".join(f"{a / 3600:g}–{b / 3600:g} h" for a, b in spans)
    else:
        spans, shifts = [(0.0, run_end)], "whole run"
    hours = sum(max(0.0, min(b, run_end) - max(a, sim.warmup)) for a, b in spans) / 3600
    skills = ", ".join(f"{name} {level}" for name, level in group.skills.items()) or "none"
    capacity = ", ".join(f"{channel} {slots}" for channel, slots in group.capacity.items())
    return StaffingRow(group.group, group.count, shifts, group.count * hours, skills, capacity)


def suggested_replications(replications: int, *, half_width: float, limit: float) -> int:
    """The fewest replications (up to ``MAX_SUGGESTED``) whose half-width would be under
    ``limit``, were the spread seen in ``replications`` (≥ 2) the same. Cost: O(answer)."""
    spread = half_width * math.sqrt(replications) / t_quantile_975(replications - 1)
    n = replications + 1
    while n < MAX_SUGGESTED and t_quantile_975(n - 1) * spread / math.sqrt(n) > limit:
        n += 1
    return n


MAX_SUGGESTED = 1000
"""Suggestions stop here: a spread that needs more is a model to look at, not a count to run."""


def _limit(key: str, mean: float) -> float:
    if key in _SHARES:
        return WIDE_SHARE_POINTS
    return max(WIDE_RELATIVE * abs(mean), WIDE_SECONDS)


def _blocks(result: Result) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    yield "overall", result.kpis["overall"], result.ci95.get("overall") or {}
    for name, block in (result.kpis.get("by_queue") or {}).items():
        yield f"queue {name}", block, (result.ci95.get("by_queue") or {}).get(name) or {}


def wide_interval_warnings(result: Result) -> list[str]:
    """Warnings for judged KPIs (overall and per queue) whose interval is too wide to conclude,
    with the replications that would narrow the widest. Cost: O(queues)."""
    runs = len(result.runs)
    if runs < 2:
        return [
            "one replication: no confidence intervals, so nothing can be concluded from "
            "differences; run 5 or more (--replications)"
        ]
    wide: list[str] = []
    needed = runs
    for where, means, halves in _blocks(result):
        for key, label in JUDGED_KPIS.items():
            mean, half = means.get(key), halves.get(key)
            if mean is None or half is None or not math.isfinite(mean) or not math.isfinite(half):
                continue
            limit = _limit(key, mean)
            if limit > 0 and half > limit:
                wide.append(f"{where} {label}")
                needed = max(needed, suggested_replications(runs, half_width=half, limit=limit))
    if not wide:
        return []
    return [
        f"95% intervals too wide to conclude ({', '.join(wide)}): a half-width above "
        f"{100 * WIDE_SHARE_POINTS:g} points for a share, or {100 * WIDE_RELATIVE:g}% of the mean "
        f"(at least {WIDE_SECONDS:g} s) for ASA; about {needed} replications would narrow them (--replications {needed})"
    ]


def comparison_warnings(comparison: Comparison) -> list[str]:
    """For each variant, the judged overall KPIs on which the paired difference against the
    baseline is not distinguishable from 0 (its 95% interval contains 0). Cost: O(variants)."""
    runs = len(comparison.baseline.runs)
    if runs < 2:
        return ["one replication: no confidence intervals on the differences; run 5 or more"]
    warnings = []
    for label, (mean, half) in comparison.differences.items():
        unclear = [
            name
            for key, name in JUDGED_KPIS.items()
            if _spans_zero(mean["overall"].get(key), half["overall"].get(key))
        ]
        if unclear:
            warnings.append(
                f"{label} vs {comparison.baseline.label}: the 95% interval of the difference "
                f"contains 0 for {', '.join(unclear)}, so these {runs} replications cannot tell "
                "them apart there; more replications may"
            )
    return warnings


def _spans_zero(mean: Any, half: Any) -> bool:
    if mean is None or half is None or not math.isfinite(mean) or not math.isfinite(half):
        return False
    return bool(half > 0 and abs(mean) <= half)  # both 0: the same outcome, same customers
