"""Sweeps: a grid of scenario variants, each simulated over the same seeds, with KPIs per point.

This module owns the grid (the cartesian product of swept keys, :mod:`.overrides` names them),
its validation before anything runs, and the :class:`SweepResult` a user reads: one row of KPIs
(means and 95% half-widths) per point and paired differences between points. Every point runs
replications 0..n−1 with the same seed, so replication r of two points sees the same customers
(common random numbers) and differences pair. Where the replications run is :mod:`.parallel`'s
business; it never routes.

>>> from experiencehub.sim.runs import _TINY
>>> from experiencehub.sim.scenario import load_scenario_text
>>> tiny = load_scenario_text(_TINY, name="tiny")
>>> result = sweep(tiny, {"agents.g.count": [1, 2]}, replications=2, workers=1)
>>> [row["agents.g.count"] for row in result.rows()], result.rows()[1]["service_level"] >= result.rows()[0]["service_level"]
([1, 2], True)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .confidence import Blocks, compare_runs, summarise
from .engine import RunResult
from .kpi import ServiceLevelRule
from .overrides import Axis, OverrideError, axes_from_mapping, format_value, with_value
from .parallel import Progress, Task, TaskResult, run_tasks
from .replica import service_rule
from .scenario import Scenario, ScenarioError, scenario_from_dict, scenario_to_dict

__all__ = [
    "SWEEP_KPIS",
    "SweepPoint",
    "SweepResult",
    "compare_scenarios",
    "grid_points",
    "sweep",
    "sweep_kpis",
]

SWEEP_KPIS = ("service_level", "asa", "p_abandon", "occupancy", "effort_proxy", "cost_per_contact")
"""The KPIs a sweep's table shows, when some point has a value for them (cost keys from the KPI
blocks join them): service, effort and cost."""

Settings = tuple[tuple[str, Any], ...]


@attrs.frozen
class SweepPoint:
    """One point of the grid: its ``settings`` ((path, value) per axis), the ``scenario`` it ran,
    the KPI blocks of each replication, their means and 95% half-widths, the contacts simulated
    and the simulation's wall time (summed over replications); ``runs`` holds the replications'
    records only when the sweep was asked for them."""

    settings: Settings
    scenario: Scenario
    per_run: tuple[Blocks, ...]
    kpis: Blocks
    ci95: Blocks
    contacts: int
    wall_seconds: float
    runs: tuple[RunResult, ...] = ()

    @property
    def label(self) -> str:
        """``path=value`` of each axis, joined by `` · ``. Cost: O(axes)."""
        return " · ".join(f"{path}={_show(value)}" for path, value in self.settings)

    @property
    def rule(self) -> ServiceLevelRule:
        """The service-level rule of this point's scenario. Cost: O(1)."""
        return service_rule(self.scenario)


@attrs.frozen
class SweepResult:
    """Every point of a sweep, in grid order (the last axis varies fastest), all run with
    ``replications`` replications seeded by ``seed``. ``points[0]`` is the baseline of
    :meth:`difference` and of the JSON's differences."""

    axes: tuple[str, ...]
    points: tuple[SweepPoint, ...]
    replications: int
    seed: int

    def rows(self, group: str = "overall", name: str | None = None) -> list[dict[str, Any]]:
        """A table, one dict per point: the axes' values, then each KPI's mean and its 95%
        half-width as ``KPI_ci95``, from the block ``group`` (``overall``, ``by_queue``…) and
        ``name`` (the queue, channel…); ``pandas.DataFrame(result.rows())`` reads it.
        Cost: O(points · KPIs)."""
        table = []
        for point in self.points:
            means, halves = _block(point.kpis, group, name), _block(point.ci95, group, name)
            row: dict[str, Any] = dict(point.settings)
            row.update({k: v for k, v in means.items() if not isinstance(v, dict)})
            row.update(
                {f"{k}_ci95": halves.get(k) for k in means if not isinstance(means[k], dict)}
            )
            table.append(row)
        return table

    def find(self, settings: Mapping[str, Any]) -> SweepPoint:
        """The first point whose values match every ``path: value`` given; KeyError when none
        does. Cost: O(points · axes)."""
        for point in self.points:
            values = dict(point.settings)
            if all(path in values and values[path] == v for path, v in settings.items()):
                return point
        raise KeyError(f"no point of the sweep has {dict(settings)!r}")

    def difference(self, point: int, baseline: int = 0) -> tuple[Blocks, Blocks]:
        """Paired differences ``points[point] − points[baseline]`` per replication: (mean, 95%
        half-width) blocks. Cost: O(replications · KPIs)."""
        return compare_runs(self.points[baseline].per_run, self.points[point].per_run)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``experiencehub sweep --json``. Cost: O(points · replications · KPIs)."""
        base = self.points[0]
        return {
            "scenario": base.scenario.name,
            "preset": base.rule.name,
            "axes": list(self.axes),
            "replications": self.replications,
            "seed": self.seed,
            "baseline": base.label,
            "points": [
                {
                    "label": p.label,
                    "settings": dict(p.settings),
                    "kpis": p.kpis,
                    "ci95": p.ci95,
                    "difference": _difference_dict(self.difference(i)) if i else None,
                    "customers_simulated": p.contacts,
                    "wall_seconds": round(p.wall_seconds, 3),
                }
                for i, p in enumerate(self.points)
            ],
        }


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Any] | Sequence[Axis],
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    records: bool = False,
    progress: Progress | None = None,
) -> SweepResult:
    """Simulate every point of ``grid`` (path → values: a ``range``, a list, or one value; or
    :class:`~.overrides.Axis` objects from ``--set``), the cartesian product in order, each with
    the same replications and seeds. Every point is validated first: a bad path or value raises
    :class:`~.overrides.OverrideError` listing each problem, and nothing runs. ``workers`` and
    ``scheduler`` choose where replications run (:func:`~.parallel.run_tasks`; default all local
    cores); the result is the same. ``records=True`` keeps every run's records.
    Cost: points × replications × one run, divided among the workers."""
    base = _with_runs(scenario, replications, seed)
    axes = list(grid) if not isinstance(grid, Mapping) else axes_from_mapping(grid)
    points = grid_points(base, axes)
    paths = tuple(a.path for a in axes)
    return _run_points(
        points, paths, workers=workers, scheduler=scheduler, records=records, progress=progress
    )


def compare_scenarios(
    scenarios: Mapping[str, Scenario],
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    records: bool = False,
    progress: Progress | None = None,
) -> SweepResult:
    """Simulate several scenarios (label → scenario, the first is the baseline) under common
    random numbers: a sweep along one axis, ``scenario``. Their seeds and replications must agree
    unless ``seed``/``replications`` set them for all (:class:`~.overrides.OverrideError`, a
    ValueError, otherwise). Cost: as :func:`sweep`."""
    if len(scenarios) < 2:
        raise OverrideError(["compare_scenarios needs at least two scenarios"])
    chosen = {k: _with_runs(s, replications, seed) for k, s in scenarios.items()}
    for key in ("seed", "replications"):
        found = {label: getattr(s.simulation, key) for label, s in chosen.items()}
        if len(set(found.values())) > 1:
            listed = ", ".join(f"{label}: {value}" for label, value in found.items())
            raise OverrideError([
                f"{key} differs between the scenarios ({listed}); set it for all of them "
                f"(--{key}, {key}=) so their replications pair"
            ])  # fmt: skip
    points = [((("scenario", label),), s) for label, s in chosen.items()]
    return _run_points(
        points, ("scenario",), workers=workers, scheduler=scheduler, records=records,
        progress=progress,
    )  # fmt: skip


def grid_points(scenario: Scenario, axes: Sequence[Axis]) -> list[tuple[Settings, Scenario]]:
    """Every point's settings and validated scenario, axes in order (the last varies fastest).
    Each value is first checked alone against ``scenario`` (a problem names its ``--set`` and
    value), then each combination (a problem names the point). Raises
    :class:`~.overrides.OverrideError` with every problem found. Cost: (Σ values + Π values) ×
    validating a scenario.

    >>> from experiencehub.sim.runs import _TINY
    >>> from experiencehub.sim.scenario import load_scenario_text
    >>> from experiencehub.sim.overrides import parse_setting
    >>> grid_points(load_scenario_text(_TINY), [parse_setting("agents.g.count=0,1")])
    Traceback (most recent call last):
    ...
    experiencehub.sim.overrides.OverrideError: --set agents.g.count=0,1: value 0: agents[0].count: must be >= 1, got 0
    """
    if not axes:
        raise OverrideError(["a sweep needs at least one key to vary (--set PATH=VALUES)"])
    raw = scenario_to_dict(scenario)
    problems: list[str] = []
    for axis in axes:
        try:
            with_value(raw, axis.path, None)  # where the path leads does not depend on the value
        except OverrideError as exc:
            problems.extend(f"{axis.source}: {problem}" for problem in exc.problems)
            continue
        for value in axis.values:
            _load_point(
                scenario,
                raw,
                ((axis.path, value),),
                f"{axis.source}: value {_show(value)}",
                problems,
            )
    if problems:
        raise OverrideError(problems)
    points = []
    for values in itertools.product(*(axis.values for axis in axes)):
        settings = tuple(zip((axis.path for axis in axes), values, strict=True))
        where = "point " + " · ".join(f"{p}={_show(v)}" for p, v in settings)
        loaded = _load_point(scenario, raw, settings, where, problems)
        if loaded is not None:
            points.append((settings, loaded))
    if problems:
        raise OverrideError(problems)
    return points


def sweep_kpis(blocks: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The KPIs a table of these blocks shows: :data:`SWEEP_KPIS` and any other cost KPI, those
    some block has a value for. Cost: O(blocks · KPIs).

    >>> sweep_kpis([{"asa": 2.0, "cost_per_contact": None, "agent_cost": 9.0}])
    ('asa', 'agent_cost')
    """
    present = [k for b in blocks for k, v in b.items() if v is not None and not isinstance(v, dict)]
    costs = [k for k in dict.fromkeys(present) if "cost" in k and k not in SWEEP_KPIS]
    return tuple(k for k in SWEEP_KPIS if k in present) + tuple(costs)


# -- helpers --------------------------------------------------------------------------------------
def _with_runs(scenario: Scenario, replications: int | None, seed: int | None) -> Scenario:
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    if replications is not None:
        if replications < 1:
            raise OverrideError([f"replications={replications}: must be >= 1"])
        overrides["replications"] = replications
    return scenario.with_overrides(**overrides) if overrides else scenario


def _load_point(
    base: Scenario, raw: dict[str, Any], settings: Settings, where: str, problems: list[str]
) -> Scenario | None:
    try:
        for path, value in settings:
            raw = with_value(raw, path, value)
        return scenario_from_dict(raw, source=where, base_dir=base.base_dir, name=base.name)
    except (OverrideError, ScenarioError) as exc:
        problems.extend(f"{where}: {problem}" for problem in exc.problems)
        return None


def _run_points(
    points: Sequence[tuple[Settings, Scenario]],
    axes: tuple[str, ...],
    *,
    workers: int | None,
    scheduler: str | None,
    records: bool,
    progress: Progress | None,
) -> SweepResult:
    count = points[0][1].simulation.replications
    tasks = [Task(s, r, records) for _, s in points for r in range(count)]
    done = run_tasks(tasks, workers=workers, scheduler=scheduler, progress=progress)
    swept = [
        _point(settings, scenario, done[i * count : (i + 1) * count])
        for i, (settings, scenario) in enumerate(points)
    ]
    return SweepResult(axes, tuple(swept), count, points[0][1].simulation.seed)


def _point(settings: Settings, scenario: Scenario, done: Sequence[TaskResult]) -> SweepPoint:
    per_run = tuple(d.kpis for d in done)
    means, halves = summarise(per_run)
    return SweepPoint(
        settings=settings,
        scenario=scenario,
        per_run=per_run,
        kpis=means,
        ci95=halves,
        contacts=sum(d.contacts for d in done),
        wall_seconds=sum(d.wall_seconds for d in done),
        runs=tuple(d.run for d in done if d.run is not None),
    )


def _block(blocks: Blocks, group: str, name: str | None) -> dict[str, Any]:
    found = blocks.get(group) or {}
    return dict((found.get(name) or {}) if name is not None else found)


def _difference_dict(difference: tuple[Blocks, Blocks]) -> dict[str, Blocks]:
    mean, half = difference
    return {"mean": mean, "ci95": half}


def _show(value: Any) -> str:
    return format_value(value)
