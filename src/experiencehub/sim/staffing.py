"""Staffing per interval from a forecast, and the simulator's check of the plan with the real router.

This module owns the *plan*: Erlang C (or A, for rows with a patience) agents per queue and
interval from a :class:`~experiencehub.sim.forecast.Forecast`, turned into agents per group with
a maximum occupancy and shrinkage; the scenario whose shifts follow it; and the per-interval
comparison of the simulated service level with the target. The formulas are
:mod:`.erlang_staffing`'s, the routing the Router's (through :func:`.runs.simulate`); this
module does no I/O. docs/staffing.md explains each step.

1. Per row (queue, interval): the fewest Erlang servers meeting the target service level with
   occupancy at most ``max_occupancy``; the queue's group takes ``ceil(servers / capacity)``
   agents, capacity being what one of its agents holds at once on the queue's channel.
2. Per group and interval: ``ceil(Σ agents of its queues / (1 − shrinkage))`` rostered.
3. The base scenario with those rosters as shifts (agent k works the intervals where at least k
   are rostered; its base group's breaks that fit a shift are kept), the forecast as arrivals.
4. Simulated service level per queue and interval against the target: ``under`` below
   ``target − tolerance``, ``over`` above ``target + tolerance``, ``ok`` between.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..core.errors import ConfigError
from .build import can_serve, skill_graph
from .checks import validate
from .erlang_staffing import StaffingResult, staff_erlang_a, staff_erlang_c
from .forecast import Forecast, ForecastRow
from .kpi import PRESETS, ContactRecord, ServiceLevelRule, service_level
from .runs import Result, simulate
from .scenario import (
    AgentGroup,
    Arrivals,
    Break,
    Distribution,
    KpiSettings,
    QueueConfig,
    Scenario,
    ScenarioError,
    Shift,
    Workload,
)
from .stability import mean_rate_per_hour

__all__ = [
    "IntervalCheck",
    "PlanCheck",
    "QueueInterval",
    "StaffingPlan",
    "StaffingSettings",
    "check_plan",
    "plan_scenario",
    "plan_staffing",
]

Progress = Callable[[float], None]


@attrs.frozen(kw_only=True)
class StaffingSettings:
    """The plan's targets: service level ``target_sl`` within ``threshold_seconds`` (None: each
    queue's ``service_level_seconds``) counted by ``rule``, occupancy at most ``max_occupancy``
    (None: no cap), ``shrinkage`` the share of paid time not available (breaks, training,
    absence), and the ``tolerance`` around the target within which a simulated interval is ok."""

    target_sl: float = 0.8
    threshold_seconds: float | None = None
    shrinkage: float = 0.3
    max_occupancy: float | None = 0.85
    rule: ServiceLevelRule = PRESETS["experiencehub"]
    tolerance: float = 0.05


@attrs.frozen(kw_only=True)
class QueueInterval:
    """One row of the plan: the forecast row, its group, the Erlang result (None with no
    contacts) and the agents the group puts on the queue (servers / capacity, rounded up)."""

    row: ForecastRow
    group: str
    threshold_seconds: float
    erlang: StaffingResult | None
    agents: int


@attrs.frozen
class StaffingPlan:
    """Erlang staffing per queue and interval, and agents rostered per group and interval
    (``rostered[group][i]`` for the forecast's i-th interval, shrinkage applied)."""

    forecast: Forecast
    settings: StaffingSettings
    rows: tuple[QueueInterval, ...]
    rostered: Mapping[str, tuple[int, ...]]

    def interval_index(self, start: float) -> int:
        """The index of the interval starting at ``start``. Cost: O(1)."""
        first = self.forecast.starts[0]
        return round((start - first) / self.forecast.interval_seconds)


# ---------------------------------------------------------------------------- the plan


def plan_staffing(
    forecast: Forecast, base: Scenario, settings: StaffingSettings | None = None
) -> StaffingPlan:
    """Erlang staffing of every forecast row, agents per group and interval. Raises ConfigError
    naming an unknown queue or group, a group that cannot serve its queue, or a bad setting.
    Cost: O(rows · log N) Erlang evaluations, N agents per row.

    >>> from experiencehub.sim.forecast import forecast_from_text
    >>> from experiencehub.sim.scenario import load_scenario_text
    >>> base = load_scenario_text(_BASE)
    >>> plan = plan_staffing(forecast_from_text("start,queue,volume,aht\\n0,q,60,240\\n1800,q,90,240\\n"), base)
    >>> [r.agents for r in plan.rows], plan.rostered
    ([11, 16], {'g': (16, 23)})
    """
    settings = settings or StaffingSettings()
    _check_settings(settings)
    groups = _groups_of(forecast, base)
    queues = {q.name: q for q in base.queues}
    capacity = {g.group: g.capacity for g in base.agents}
    rows = []
    for row in forecast.rows:
        queue, group = queues[row.queue], groups[row.queue]
        threshold = settings.threshold_seconds
        threshold = queue.service_level_seconds if threshold is None else threshold
        erlang = _erlang(row, threshold, settings)
        per_agent = capacity[group].get(queue.channel, 0)
        agents = 0 if erlang is None else math.ceil(erlang.agents / per_agent)
        rows.append(QueueInterval(row=row, group=group, threshold_seconds=threshold,
                                  erlang=erlang, agents=agents))  # fmt: skip
    plan = StaffingPlan(forecast, settings, tuple(rows), {})
    return attrs.evolve(plan, rostered=_rostered(plan))


def _check_settings(settings: StaffingSettings) -> None:
    if not 0 < settings.target_sl < 1:
        raise ConfigError(f"target_sl={settings.target_sl!r}: must lie strictly between 0 and 1")
    if not 0 <= settings.shrinkage < 1:
        raise ConfigError(f"shrinkage={settings.shrinkage!r}: must be in [0, 1)")
    if settings.max_occupancy is not None and not 0 < settings.max_occupancy <= 1:
        raise ConfigError(f"max_occupancy={settings.max_occupancy!r}: must be in (0, 1]")
    if settings.threshold_seconds is not None and not settings.threshold_seconds >= 0:
        raise ConfigError(f"threshold_seconds={settings.threshold_seconds!r}: must be >= 0")
    if not 0 <= settings.tolerance < 1:
        raise ConfigError(f"tolerance={settings.tolerance!r}: must be in [0, 1)")


def _erlang(row: ForecastRow, threshold: float, s: StaffingSettings) -> StaffingResult | None:
    if row.volume == 0:
        return None
    if row.patience is None:
        return staff_erlang_c(row.per_hour, row.aht, threshold, target_sl=s.target_sl,
                              max_occupancy=s.max_occupancy, preset=s.rule)  # fmt: skip
    return staff_erlang_a(row.per_hour, row.aht, threshold, row.patience, target_sl=s.target_sl,
                          max_occupancy=s.max_occupancy, preset=s.rule)  # fmt: skip


def _groups_of(forecast: Forecast, base: Scenario) -> dict[str, str]:
    """queue → the base group that staffs it: the forecast's ``group``, else the first group
    (file order) that serves it at its first stage, else the first that serves it at all."""
    queues = {q.name: q for q in base.queues}
    groups = {g.group: g for g in base.agents}
    graph = skill_graph(base)
    named = {r.queue: r.group for r in forecast.rows if r.group is not None}
    problems, found = [], {}
    for name in forecast.queues:
        queue = queues.get(name)
        if queue is None:
            problems.append(f"queue {name!r}: not in the scenario (queues: {', '.join(queues)})")
            continue
        able = [g for g in base.agents if g.capacity.get(queue.channel, 0) > 0
                and can_serve(graph, g, queue, frozenset(g.capacity))]  # fmt: skip
        chosen = named.get(name)
        if chosen is not None and chosen not in groups:
            problems.append(f"group {chosen!r}: not in the scenario (groups: {', '.join(groups)})")
        elif chosen is not None and groups[chosen] not in able:
            problems.append(f"group {chosen!r}: cannot serve queue {name!r} at any stage")
        elif chosen is None and not able:
            problems.append(f"queue {name!r}: no agent group can serve it")
        else:
            found[name] = chosen or _first_stage_group(graph, queue, able).group
    if problems:
        raise ConfigError("staffing plan: " + "; ".join(problems))
    return found


def _first_stage_group(graph: Any, queue: QueueConfig, able: Sequence[AgentGroup]) -> AgentGroup:
    limit = queue.stages[0].max_cost if queue.stages else 0.0
    for group in able:
        cost = graph.serving_cost(group.skills, queue.requires)
        if limit is None or (cost is not None and cost[0] <= limit):
            return group
    return able[0]


def _rostered(plan: StaffingPlan) -> dict[str, tuple[int, ...]]:
    count = len(plan.forecast.starts)
    needed: dict[str, list[int]] = defaultdict(lambda: [0] * count)
    for r in plan.rows:
        needed[r.group][plan.interval_index(r.row.start)] += r.agents
    keep = 1.0 - plan.settings.shrinkage
    # 1e-9: 7 / 0.7 is 10.000000000000002 in floating point, not 11 agents
    return {g: tuple(math.ceil(n / keep - 1e-9) for n in per) for g, per in sorted(needed.items())}


# ---------------------------------------------------------------------------- the scenario


def plan_scenario(plan: StaffingPlan, base: Scenario) -> Scenario:
    """The base scenario staffed by the plan: one agent group per shift pattern of each planned
    group (agent k works the intervals with at least k rostered), with the base group's breaks
    that fit; the forecast as piecewise arrivals (volume split over the base's segments of each
    queue by their mean rates, handle times rescaled to the forecast AHT, exponential patience
    where the forecast gives one); every threshold the plan's. Groups the plan does not use are
    left out, and so are queues neither forecast nor reached from a forecast queue's workload.
    Raises ConfigError when the forecast's first start is not a whole number of intervals, or
    :class:`ScenarioError` when the result is not a valid scenario. Cost: O(rows + agents).
    """
    forecast = plan.forecast
    first, step = forecast.starts[0], forecast.interval_seconds
    if abs(first / step - round(first / step)) > 1e-9:
        raise ConfigError(
            f"forecast start {first:g}: must be a whole number of intervals ({step:g} s) "
            "from the start of the run, so arrivals and shifts line up with the intervals"
        )
    thresholds = {r.row.queue: r.threshold_seconds for r in plan.rows}
    workload = tuple(_workload(plan, base, thresholds))
    kept = set(thresholds) | {q for w in workload for q in _reached(w)}
    queues = tuple(
        attrs.evolve(q, service_level_seconds=thresholds.get(q.name, q.service_level_seconds))
        for q in base.queues
        if q.name in kept
    )
    rule = plan.settings.rule
    scenario = attrs.evolve(
        base,
        name=f"{base.name} staffed by {forecast.source}",
        simulation=attrs.evolve(base.simulation, warmup=first, duration=forecast.end - first),
        queues=queues,
        agents=tuple(_agent_groups(plan, base)),
        workload=workload,
        kpis=KpiSettings(preset=rule.name, short_abandon_seconds=rule.short_abandon_seconds,
                         abandons_within=rule.abandons_within, denominator=rule.denominator,
                         exclude_short=rule.exclude_short,
                         repeat_window_hours=base.kpis.repeat_window_hours,
                         interval_minutes=step / 60.0),
    )  # fmt: skip
    problems = validate(scenario)
    if problems:
        raise ScenarioError(scenario.name, problems)
    return scenario


def _reached(w: Workload) -> Iterable[str]:
    for part in (w.callback, w.repeat, w.transfer, w.unresolved):
        target = getattr(part, "queue", None)
        if target is not None:
            yield target


def _workload(
    plan: StaffingPlan, base: Scenario, thresholds: Mapping[str, float]
) -> list[Workload]:
    forecast = plan.forecast
    step = forecast.interval_seconds
    pieces = round(forecast.end / step)
    entries = []
    for queue in forecast.queues:
        rows = [r for r in forecast.rows if r.queue == queue]
        for template, share in _segments(base, queue, rows[0]):
            for (aht, patience), mine in _by_handling(rows).items():
                rates = [0.0] * pieces
                for r in mine:
                    rates[round(r.start / step)] = share * r.per_hour
                if not any(rates):
                    continue
                patience_dist = template.patience_seconds if patience is None else Distribution(
                    kind="exponential", mean=patience)  # fmt: skip
                entries.append(attrs.evolve(
                    template,
                    arrivals=Arrivals(kind="piecewise", rates_per_hour=tuple(rates), piece_seconds=step),
                    handle_seconds=_rescaled(template.handle_seconds, aht),
                    patience_seconds=patience_dist,
                    service_level_seconds=None,
                ))  # fmt: skip
    return entries


def _segments(base: Scenario, queue: str, row: ForecastRow) -> list[tuple[Workload, float]]:
    """The base's workload entries on the queue with their share of its contacts (by mean
    rate; equal shares when some rate is unknown), or one plain exponential entry."""
    mine = [w for w in base.workload if w.queue == queue]
    if not mine:
        plain = Workload(queue=queue, arrivals=Arrivals(kind="poisson", per_hour=1.0),
                         handle_seconds=Distribution(kind="exponential", mean=row.aht))  # fmt: skip
        return [(plain, 1.0)]
    rates = [mean_rate_per_hour(w.arrivals) for w in mine]
    known = [r for r in rates if r is not None]
    if len(known) < len(rates) or sum(known) <= 0:
        return [(w, 1.0 / len(mine)) for w in mine]
    total = sum(known)
    return [(w, (r or 0.0) / total) for w, r in zip(mine, rates, strict=True)]


def _by_handling(
    rows: Sequence[ForecastRow],
) -> dict[tuple[float, float | None], list[ForecastRow]]:
    groups: dict[tuple[float, float | None], list[ForecastRow]] = defaultdict(list)
    for r in rows:
        groups[r.aht, r.patience].append(r)
    return groups


def _rescaled(dist: Distribution, mean: float) -> Distribution:
    """The same kind of distribution with mean ``mean`` (spread scaled alike)."""
    if dist.kind == "deterministic":
        return attrs.evolve(dist, value=mean)
    if dist.kind == "empirical":
        values = dist.values or (mean,)
        old = sum(values) / len(values)
        return attrs.evolve(dist, values=tuple(v * mean / old for v in values))
    factor = mean / (dist.mean or mean)
    sd = None if dist.sd is None else dist.sd * factor
    return attrs.evolve(dist, mean=mean, sd=sd)


def _agent_groups(plan: StaffingPlan, base: Scenario) -> list[AgentGroup]:
    groups = {g.group: g for g in base.agents}
    made = []
    for name, counts in plan.rostered.items():
        patterns = _patterns(counts, plan.forecast.starts, plan.forecast.interval_seconds)
        pauses = [b for shift in groups[name].shifts for b in shift.breaks]
        for i, (spans, count) in enumerate(patterns.items()):
            shifts = tuple(Shift(start=s, end=e, breaks=_fitting(pauses, s, e)) for s, e in spans)
            label = name if len(patterns) == 1 else f"{name}-s{i + 1}"
            made.append(attrs.evolve(groups[name], group=label, count=count, shifts=shifts))
    return made


def _patterns(
    counts: Sequence[int], starts: Sequence[float], step: float
) -> dict[tuple[tuple[float, float], ...], int]:
    """Shift pattern (spans of consecutive intervals) → agents working it: agent k works the
    intervals where at least k are rostered."""
    patterns: dict[tuple[tuple[float, float], ...], int] = defaultdict(int)
    for k in range(1, max(counts, default=0) + 1):
        spans: list[tuple[float, float]] = []
        for start, count in zip(starts, counts, strict=True):
            if count < k:
                continue
            if spans and spans[-1][1] == start:
                spans[-1] = (spans[-1][0], start + step)
            else:
                spans.append((start, start + step))
        patterns[tuple(spans)] += 1
    return patterns


def _fitting(pauses: Iterable[Break], start: float, end: float) -> tuple[Break, ...]:
    return tuple(b for b in pauses if start <= b.at and b.at + b.spread_seconds + b.seconds <= end)


# ---------------------------------------------------------------------------- the check


@attrs.frozen(kw_only=True)
class IntervalCheck:
    """One plan row against the simulation: agents rostered in its group, the simulated contacts
    (mean per replication), service level (pooled over replications, the plan's rule), ASA and
    abandon share, and the verdict (``under``, ``ok``, ``over``; ``–`` with no contacts)."""

    planned: QueueInterval
    rostered: int
    offered: float
    service_level: float | None
    asa: float | None
    p_abandon: float | None
    verdict: str


@attrs.frozen
class PlanCheck:
    """The plan, the scenario that staffs it, the simulation and the per-row verdicts."""

    plan: StaffingPlan
    scenario: Scenario
    result: Result
    intervals: tuple[IntervalCheck, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``experiencehub staff --json``. Cost: O(rows)."""
        s = self.plan.settings
        return {
            "forecast": self.plan.forecast.source,
            "scenario": self.scenario.name,
            "target_sl": s.target_sl, "threshold_seconds": s.threshold_seconds,
            "shrinkage": s.shrinkage, "max_occupancy": s.max_occupancy,
            "tolerance": s.tolerance, "preset": s.rule.name, "preset_rule": s.rule.description,
            "replications": len(self.result.runs),
            "rostered": {g: list(c) for g, c in self.plan.rostered.items()},
            "intervals": [_row_dict(c) for c in self.intervals],
        }  # fmt: skip


def _row_dict(c: IntervalCheck) -> dict[str, Any]:
    p = c.planned
    return {
        "start": p.row.start, "queue": p.row.queue, "group": p.group, "volume": p.row.volume,
        "aht": p.row.aht, "patience": p.row.patience, "threshold_seconds": p.threshold_seconds,
        "erlang": None if p.erlang is None else p.erlang.as_dict(), "agents": p.agents,
        "rostered": c.rostered, "simulated": {"offered": c.offered, "service_level": c.service_level,
        "asa": c.asa, "p_abandon": c.p_abandon}, "verdict": c.verdict,
    }  # fmt: skip


def check_plan(
    plan: StaffingPlan,
    base: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> PlanCheck:
    """Simulate the plan (:func:`plan_scenario`) with the real router and judge every row.
    Cost: the simulation, plus O(records) to split them by queue and interval."""
    scenario = plan_scenario(plan, base)
    result = simulate(scenario, replications=replications, seed=seed, progress=progress)
    cells = _cells(plan, result.records)
    count = len(result.runs)
    checks = []
    for p in plan.rows:
        records = cells.get((p.row.queue, plan.interval_index(p.row.start)), [])
        level = service_level(records, plan.settings.rule)
        checks.append(IntervalCheck(
            planned=p,
            rostered=plan.rostered[p.group][plan.interval_index(p.row.start)],
            offered=len(records) / count,
            service_level=level,
            asa=_mean([r.answered_at - r.arrived_at for r in records if r.answered_at is not None]),
            p_abandon=_mean([float(r.outcome == "abandoned") for r in records]),
            verdict=_verdict(level, plan.settings),
        ))  # fmt: skip
    return PlanCheck(plan, scenario, result, tuple(checks))


def _cells(
    plan: StaffingPlan, records: Iterable[ContactRecord]
) -> dict[tuple[str, int], list[ContactRecord]]:
    step, first = plan.forecast.interval_seconds, plan.forecast.starts[0]
    count = len(plan.forecast.starts)
    cells: dict[tuple[str, int], list[ContactRecord]] = defaultdict(list)
    for r in records:
        index = int((r.arrived_at - first) // step)
        if 0 <= index < count:
            cells[r.queue, index].append(r)
    return cells


def _verdict(level: float | None, s: StaffingSettings) -> str:
    if level is None:
        return "–"
    if level < s.target_sl - s.tolerance:
        return "under"
    if level > s.target_sl + s.tolerance:
        return "over"
    return "ok"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


_BASE = """
[simulation]
duration = 3600
[[queues]]
name = "q"
channel = "phone"
requires = ["s"]
[[agents]]
group = "g"
count = 6
skills = { s = 1 }
[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 60 }
handle_seconds = { kind = "exponential", mean = 240 }
"""
"""A base scenario small enough for doctests (one queue, one group)."""
