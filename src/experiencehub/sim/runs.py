"""Replications and comparisons: run a scenario's replications, compute KPIs, compare policies.

This module owns the :class:`Result` a user gets back and the pairing of policies under common
random numbers. One replication is :func:`experiencehub.sim.engine.run`; the KPI definitions are in
:mod:`.kpi`. It never routes and never reads a clock for results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from .engine import RunResult, run
from .kpi import PRESETS, Blocks, ContactRecord, ServiceLevelRule, compare_runs, run_kpis, summarise
from .scenario import Scenario

__all__ = ["Comparison", "Progress", "Result", "compare", "simulate"]

Progress = Callable[[float], None]


@attrs.frozen
class Result:
    """KPIs of a scenario under one policy: means and 95% CI half-widths over replications, each
    run's KPIs, and the runs themselves (records, agent time)."""

    scenario: Scenario
    policy: str
    rule: ServiceLevelRule
    runs: tuple[RunResult, ...]
    per_run: tuple[Blocks, ...]
    kpis: Blocks
    ci95: Blocks

    @property
    def customers(self) -> int:
        """Contacts simulated over all replications (warm-up and drain included)."""
        return sum(len(r.records) for r in self.runs)

    @property
    def wall_seconds(self) -> float:
        return sum(r.wall_seconds for r in self.runs)

    def records(self) -> Iterator[ContactRecord]:
        """Every contact record of every replication, in arrival order per replication."""
        for run_result in self.runs:
            yield from run_result.records

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``experiencehub simulate --json``."""
        sim = self.scenario.simulation
        return {
            "scenario": self.scenario.name,
            "policy": self.policy,
            "preset": self.rule.name,
            "preset_rule": self.rule.description,
            "short_abandon_seconds": self.rule.short_abandon_seconds,
            "replications": len(self.runs),
            "seed": sim.seed,
            "measured_seconds": [sim.warmup, sim.warmup + sim.duration],
            "kpis": self.kpis,
            "ci95": self.ci95,
            "customers_simulated": self.customers,
            "wall_seconds": round(self.wall_seconds, 3),
        }


def simulate(
    scenario: Scenario,
    *,
    policy: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> Result:
    """Run the scenario's replications under ``policy`` (default: the scenario's) and compute KPIs.

    Replication ``r`` uses streams seeded from (seed, r, stream name), so the same seed gives the
    same customers under every policy. Cost: replications × one run.
    """
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    if replications is not None:
        overrides["replications"] = replications
    if overrides:
        scenario = scenario.with_overrides(**overrides)
    name = policy or scenario.simulation.policy
    count = scenario.simulation.replications
    kpis_cfg = scenario.kpis
    rule = PRESETS[kpis_cfg.preset].with_short_abandon(kpis_cfg.short_abandon_seconds)
    runs: list[RunResult] = []
    for r in range(count):
        step = None if progress is None else _scaled(progress, r, count)
        runs.append(run(scenario, replication=r, policy=name, progress=step))
        if progress is not None:
            progress((r + 1) / count)
    per_run = tuple(
        run_kpis(
            result.records,
            rule,
            result.agents,
            measured=result.measured,
            repeat_window_seconds=kpis_cfg.repeat_window_hours * 3600.0,
        )
        for result in runs
    )
    means, halves = summarise(per_run)
    return Result(scenario, name, rule, tuple(runs), per_run, means, halves)


def _scaled(progress: Progress, index: int, count: int) -> Progress:
    return lambda fraction: progress((index + fraction) / count)


@attrs.frozen
class Comparison:
    """Several policies on the same customers: each one's Result, and paired differences of
    every KPI against the first policy (mean and 95% half-width)."""

    results: tuple[Result, ...]
    differences: dict[str, tuple[Blocks, Blocks]]

    def to_dict(self) -> dict[str, Any]:
        base = self.results[0]
        return {
            "scenario": base.scenario.name,
            "preset": base.rule.name,
            "baseline": base.policy,
            "replications": len(base.runs),
            "policies": {r.policy: {"kpis": r.kpis, "ci95": r.ci95} for r in self.results},
            "differences": {
                name: {"mean": mean, "ci95": half}
                for name, (mean, half) in self.differences.items()
            },
        }


def compare(
    scenario: Scenario,
    policies: list[str],
    *,
    replications: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Simulate each policy with common random numbers; differences are ``policy − policies[0]``,
    paired by replication. Cost: len(policies) × simulate."""
    if not policies:
        raise ValueError("compare needs at least one policy")
    results = []
    for i, name in enumerate(policies):
        step = None if progress is None else _scaled(progress, i, len(policies))
        results.append(
            simulate(scenario, policy=name, replications=replications, seed=seed, progress=step)
        )
    base = results[0]
    differences = {r.policy: compare_runs(base.per_run, r.per_run) for r in results[1:]}
    return Comparison(tuple(results), differences)
