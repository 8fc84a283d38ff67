"""Replications and comparisons: run a scenario's replications, compute KPIs, compare variants.

This module owns the :class:`Result` a user gets back and the pairing of variants (policy, context
on/off) under common random numbers. One replication is :func:`experiencehub.sim.engine.run`; the
KPI definitions are in :mod:`.kpi`. It never routes and never reads a clock for results.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

from .engine import RunResult
from .engine import run as _run
from .kpi import Blocks, ContactRecord, ServiceLevelRule, compare_runs, summarise
from .parallel import Task, run_tasks
from .replica import replication_kpis, service_rule
from .scenario import Scenario, checked_scenario

__all__ = [
    "Comparison",
    "Progress",
    "Result",
    "compare",
    "replication_kpis",
    "run",
    "service_rule",
    "simulate",
    "variants",
]

Progress = Callable[[float], None]


class Records(tuple[ContactRecord, ...]):
    """A tuple of contact records (:attr:`Result.records`). Calling it, as code written when
    ``Result.records`` was a method does, warns and returns an iterator over it."""

    __slots__ = ()

    def __call__(self) -> Iterator[ContactRecord]:
        """Deprecated: ``result.records()`` is ``iter(result.records)``. Cost: O(1)."""
        warnings.warn(
            "Result.records is a sequence now, like RunResult.records: "
            "write result.records instead of result.records()",
            DeprecationWarning,
            stacklevel=2,
        )
        return iter(self)


@attrs.frozen
class Result:
    """KPIs of a scenario under one policy: means and 95% CI half-widths over replications, each
    run's KPIs, and the runs themselves (records, agent time).

    ``label`` names the variant in a :class:`Comparison` (the policy, plus `` · context on`` or
    ``off`` when the comparison varies context); it defaults to the policy.
    """

    scenario: Scenario
    policy: str
    rule: ServiceLevelRule
    runs: tuple[RunResult, ...]
    per_run: tuple[Blocks, ...]
    kpis: Blocks
    ci95: Blocks
    label: str = attrs.field(default=attrs.Factory(lambda self: self.policy, takes_self=True))

    @property
    def context(self) -> bool:
        """Whether contacts ran through the context layer (``[context] enabled``). Cost: O(1)."""
        return self.scenario.context.enabled

    @property
    def customers(self) -> int:
        """Contacts simulated over all replications (warm-up and drain included).
        Cost: O(replications)."""
        return sum(len(r.records) for r in self.runs)

    @property
    def wall_seconds(self) -> float:
        """Wall-clock seconds the replications took, summed. Cost: O(replications)."""
        return sum(r.wall_seconds for r in self.runs)

    @property
    def records(self) -> Records:
        """Every contact record of every replication, in arrival order per replication: a
        sequence, as ``RunResult.records`` is for one replication. Calling it
        (``result.records()``, from when it was a method) still works but is deprecated.
        Cost: O(records), a new tuple on every read."""
        return Records(record for run_result in self.runs for record in run_result.records)

    def to_frames(self, *, start: dt.datetime | None = None) -> dict[str, Any]:
        """The tidy tables (contacts, intervals, agents, groups, kpis; docs/tables.md) as pandas
        DataFrames, time columns counted from ``start`` (default: seconds). Needs pandas (the
        ``frames`` extra): ImportError naming it otherwise. Cost: O(contacts · columns).
        """
        from .tablefiles import frames  # noqa: PLC0415 - pandas and pyarrow only when asked

        return frames(self, start=start)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``experiencehub simulate --json``; ``per_replication``
        holds each replication's KPI blocks beside the means (``kpis``) and ``ci95``.
        Cost: O(replications) (the KPI blocks are shared, not copied)."""
        sim = self.scenario.simulation
        return {
            "scenario": self.scenario.name,
            "policy": self.policy,
            "context": self.context,
            "preset": self.rule.name,
            "preset_rule": self.rule.description,
            "short_abandon_seconds": self.rule.short_abandon_seconds,
            "replications": len(self.runs),
            "seed": sim.seed,
            "measured_seconds": [sim.warmup, sim.warmup + sim.duration],
            "kpis": self.kpis,
            "ci95": self.ci95,
            "per_replication": [
                {"replication": run.replication, "kpis": blocks}
                for run, blocks in zip(self.runs, self.per_run, strict=True)
            ],
            "customers_simulated": self.customers,
            "wall_seconds": round(self.wall_seconds, 3),
        }


def simulate(
    scenario: Scenario,
    *,
    policy: str | None = None,
    context: bool | None = None,
    replications: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    workers: int | None = 1,
) -> Result:
    """Run the scenario's replications under ``policy`` (default: the scenario's) and compute KPIs.

    The scenario is checked first, with the overrides, however it was built: a problem raises
    :class:`~experiencehub.sim.scenario.ScenarioError` listing every one, before anything runs.

    ``context`` switches the context layer on or off (None keeps ``[context] enabled``).
    Replication ``r`` uses streams seeded from (seed, r, stream name), so the same seed gives the
    same customers under every policy. ``workers``: processes running the replications at once
    (None: every core; 1, the default: one after another here); the results are the same either
    way. Cost: replications × one run (divided among the workers, plus starting them, about a
    second each, and sending each run's records back).
    """
    scenario = _overridden(scenario, seed, replications).with_context(context)
    name = policy or scenario.simulation.policy
    scenario = _checked(scenario, name)
    count = scenario.simulation.replications
    if workers != 1 and count > 1:
        return _simulate_in_workers(scenario, name, workers, progress)
    runs: list[RunResult] = []
    running = None if progress is None else _share(progress, 0.0, RUNS_SHARE)
    for r in range(count):
        step = None if running is None else _scaled(running, r, count)
        runs.append(_run(scenario, replication=r, policy=name, progress=step))
        if running is not None:
            running((r + 1) / count)
    per_run_kpis: list[Blocks] = []
    for result in runs:
        per_run_kpis.append(replication_kpis(scenario, result))
        if progress is not None:
            progress(RUNS_SHARE + (1.0 - RUNS_SHARE) * len(per_run_kpis) / count)
    per_run = tuple(per_run_kpis)
    means, halves = summarise(per_run)
    return Result(scenario, name, service_rule(scenario), tuple(runs), per_run, means, halves)


def _simulate_in_workers(
    scenario: Scenario, name: str, workers: int | None, progress: Progress | None
) -> Result:
    """:func:`simulate`'s replications in worker processes, records sent back."""
    own = scenario.with_overrides(policy=name)
    tasks = [Task(own, r, keep_records=True) for r in range(scenario.simulation.replications)]
    done = run_tasks(tasks, workers=workers, progress=progress)
    runs = tuple(d.run for d in done if d.run is not None)
    per_run = tuple(d.kpis for d in done)
    means, halves = summarise(per_run)
    return Result(scenario, name, service_rule(scenario), runs, per_run, means, halves)


def _overridden(scenario: Scenario, seed: int | None, replications: int | None) -> Scenario:
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    if replications is not None:
        overrides["replications"] = replications
    return scenario.with_overrides(**overrides) if overrides else scenario


def run(
    scenario: Scenario,
    *,
    replication: int = 0,
    policy: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """One replication of the scenario (:func:`experiencehub.sim.engine.run`), checked first like
    :func:`simulate`. Cost: O(size of the scenario) plus the run."""
    name = policy or scenario.simulation.policy
    checked = _checked(scenario, name)
    return _run(checked, replication=replication, policy=name, progress=progress)


def _checked(scenario: Scenario, policy: str) -> Scenario:
    """The scenario checked with ``policy`` as its own (so a bad policy is named too), then with
    its own policy back: a Result keeps the file's settings."""
    own = scenario.simulation.policy
    return checked_scenario(scenario.with_overrides(policy=policy)).with_overrides(policy=own)


RUNS_SHARE = 0.8
"""The share of :func:`simulate`'s progress given to the runs; the rest is the KPIs, which take
about a fifth of the time of a big run (the million-contact day: ~75 s simulating, 16–20 s of
KPIs), so the bar keeps moving while they are computed."""


def _share(progress: Progress, start: float, width: float) -> Progress:
    return lambda fraction: progress(start + width * fraction)


def _scaled(progress: Progress, index: int, count: int) -> Progress:
    return lambda fraction: progress((index + fraction) / count)


@attrs.frozen
class Comparison:
    """Several variants (policy, context on/off) on the same customers: each one's Result, and
    paired differences of every KPI against the first variant (mean and 95% half-width), keyed
    by the variant's label."""

    results: tuple[Result, ...]
    differences: dict[str, tuple[Blocks, Blocks]]

    @property
    def baseline(self) -> Result:
        """The first variant: every difference is ``variant − baseline``. Cost: O(1)."""
        return self.results[0]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``experiencehub compare --json``: ``policies`` and
        ``differences`` are keyed by label (the policy name when context does not vary).
        Cost: O(variants) (the KPI blocks are shared, not copied)."""
        base = self.baseline
        return {
            "scenario": base.scenario.name,
            "preset": base.rule.name,
            "baseline": base.label,
            "replications": len(base.runs),
            "variants": [
                {"label": r.label, "policy": r.policy, "context": r.context} for r in self.results
            ],
            "policies": {
                r.label: {"policy": r.policy, "context": r.context, "kpis": r.kpis, "ci95": r.ci95}
                for r in self.results
            },
            "differences": {
                label: {"mean": mean, "ci95": half}
                for label, (mean, half) in self.differences.items()
            },
        }


def compare(
    scenario: Scenario,
    policies: Sequence[str],
    *,
    contexts: Sequence[bool | None] = (None,),
    replications: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    workers: int | None = 1,
) -> Comparison:
    """Simulate every (policy, context) variant, policies outer, with common random numbers;
    differences are ``variant − first variant``, paired by replication.

    ``contexts`` holds context settings (None keeps the file's). Labels are the policy names,
    with `` · context on``/``off`` when the variants differ in context; two variants with the same
    label are a ValueError. ``workers`` as for :func:`simulate`. Cost: len(policies) ×
    len(contexts) × simulate.

    >>> from experiencehub.sim.scenario import load_scenario_text
    >>> tiny = load_scenario_text(_TINY, name="tiny")
    >>> c = compare(tiny, ["longest_idle", "round_robin"], contexts=[False, True])
    >>> [r.label for r in c.results][:2], list(c.differences)[-1]
    (['longest_idle · context off', 'longest_idle · context on'], 'round_robin · context on')
    """
    chosen = variants(scenario, policies, contexts)
    for _, name, context in chosen:  # every variant is checked before any runs
        _checked(_overridden(scenario, seed, replications).with_context(context), name)
    results = []
    for i, (label, name, context) in enumerate(chosen):
        step = None if progress is None else _scaled(progress, i, len(chosen))
        result = simulate(
            scenario,
            policy=name,
            context=context,
            replications=replications,
            seed=seed,
            progress=step,
            workers=workers,
        )
        results.append(attrs.evolve(result, label=label))
    base = results[0]
    differences = {r.label: compare_runs(base.per_run, r.per_run) for r in results[1:]}
    return Comparison(tuple(results), differences)


_TINY = """
[simulation]
duration = 600
warmup = 0
[[queues]]
name = "q"
channel = "chat"
requires = ["s"]
[[agents]]
group = "g"
count = 1
skills = { s = 1 }
capacity = { chat = 1 }
[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 30 }
handle_seconds = { kind = "exponential", mean = 60 }
"""
"""A scenario small enough for doctests (one queue, one agent, ten minutes)."""


def variants(
    scenario: Scenario, policies: Sequence[str], contexts: Sequence[bool | None] = (None,)
) -> list[tuple[str, str, bool]]:
    """(label, policy, context) of every variant :func:`compare` would run, policies outer; raises
    ValueError on no variant or a repeated label. Nothing runs. Cost: O((policies × contexts)²).

    >>> from experiencehub.sim.scenario import load_scenario_text
    >>> variants(load_scenario_text(_TINY), ["fastest"], [None, True])
    [('fastest · context off', 'fastest', False), ('fastest · context on', 'fastest', True)]
    >>> variants(load_scenario_text(_TINY), ["fastest"], [None, False])
    Traceback (most recent call last):
    ...
    ValueError: compare: variant 'fastest' given twice; each must differ
    """
    if not policies or not contexts:
        raise ValueError("compare needs at least one policy and one context setting")
    settings = [scenario.with_context(c).context.enabled for c in contexts]
    varies = len(set(settings)) > 1
    variants = []
    for name in policies:
        for enabled in settings:
            label = f"{name} · context {'on' if enabled else 'off'}" if varies else name
            variants.append((label, name, enabled))
    labels = [label for label, _, _ in variants]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(f"compare: variant {repeated[0]!r} given twice; each must differ")
    return variants
