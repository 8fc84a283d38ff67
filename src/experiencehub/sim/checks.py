"""Checks of a structured scenario: ranges, names, references between sections (stability: :mod:`.stability`).

This module owns the *rules* a scenario must follow; :mod:`.scenario_types` owns the shape and
:mod:`.scenario` the file format, which calls :func:`validate` after structuring (this module never
imports :mod:`.scenario`). Every check appends ``"key.path: what is expected, got …"`` to a
list, so one pass reports every problem. The checks never raise and never simulate;
:func:`load_policy_object` (the one home of the ``"module:attribute"`` policy rule, shared with the
engine and the command line) raises ``ValueError``.

>>> from experiencehub.sim.scenario import Distribution
>>> problems: list[str] = []
>>> _check_distribution(Distribution(kind="gamma", mean=-1.0), "w.handle_seconds", problems)
>>> problems
['w.handle_seconds.sd: required for gamma', 'w.handle_seconds.mean: must be > 0, got -1.0']
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ..core.agents import ANY_CHANNEL
from ..core.criteria import MAX_STEPS
from .auto_accept import check_auto_accept
from .consult_checks import check_consult
from .kpi import ABANDONS_WITHIN, DENOMINATORS, PRESETS
from .names import unused_skill_problems
from .profiles import SELECTIONS, check_profile
from .queue_checks import queue_key_problems, queue_skill_problems
from .scenario_types import (
    AgentGroup,
    Arrivals,
    Ask,
    Callback,
    ChannelPreference,
    ContextSettings,
    CriteriaConfig,
    Distribution,
    Ivr,
    KpiSettings,
    QueueConfig,
    QueuedCallback,
    Repeat,
    Scenario,
    SelfService,
    Shift,
    StageConfig,
    Transfer,
    Unresolved,
    Workload,
    WrapUpConfig,
)
from .stability import mean_of, mean_rate_per_hour, servable_skills, stability_problems
from .traces import read_trace

__all__ = [
    "AGENT_POLICIES",
    "ARRIVAL_KINDS",
    "DISTRIBUTIONS",
    "WRAP_UP_MODES",
    "load_policy_object",
    "mean_of",
    "mean_rate_per_hour",
    "parse_start",
    "stability_problems",
    "validate",
]  # mean_of, mean_rate_per_hour and stability_problems live in .stability

AGENT_POLICIES = (
    "longest_idle",
    "most_proficient",
    "least_occupied",
    "round_robin",
    "fewest_skills",
    "random",
    "fastest",
    "best_resolution",
    "resolution_rate",
)
DISTRIBUTIONS = ("exponential", "lognormal", "gamma", "deterministic", "empirical")
ARRIVAL_KINDS = ("poisson", "piecewise", "trace")
WRAP_UP_MODES = ("none", "timed", "manual")

Problems = list[str]


def validate(
    scenario: Scenario, *, incomplete: Collection[str] = (), simulation: bool = True
) -> Problems:
    """Every semantic problem of a structured scenario, with key paths. Cost: O(size).

    ``incomplete`` names sections some items of which could not be structured: references into
    them (queue or skill names) are not checked. ``simulation=False`` skips ``[simulation]``.
    """
    problems: Problems = []
    if simulation:
        _check_simulation(scenario, problems)
    _check_kpis(scenario.kpis, problems)
    queue_names = _check_queues(scenario, problems)
    _check_agents(scenario, problems)
    _check_context(scenario.context, problems)
    if scenario.context.enabled:
        _check_context_channels(scenario, problems)
    known = None if "queues" in incomplete else queue_names
    asks = None if "context" in incomplete else tuple(a.fact for a in scenario.context.asks)
    for i, item in enumerate(scenario.workload):
        _check_workload(
            item, f"workload[{i}]", problems, queues=known, asks=asks, scenario=scenario
        )
    for i, queue in enumerate(scenario.queues):
        if queue.self_service is not None:
            _check_self_service(queue.self_service, f"queues[{i}].self_service", asks, problems)
        if queue.queued_callback is not None:
            _check_queued_callback(queue.queued_callback, f"queues[{i}].queued_callback", problems)
    queue_key_problems(
        scenario, problems, known="queues" not in incomplete, values=_check_changeable_values
    )
    channels = None if {"queues", "agents"} & set(incomplete) else _channels(scenario)
    _check_channel_rules(scenario.simulation.channel_rules, channels, problems)
    if not {"queues", "agents", "substitutions"} & set(incomplete):
        _check_skills(scenario, problems)
    if not problems and not incomplete:
        problems.extend(stability_problems(scenario))
    return problems


def _need(problems: Problems, ok: bool, path: str, rule: str, value: Any) -> None:
    if not ok:
        problems.append(f"{path}: must be {rule}, got {value!r}")


def _positive(problems: Problems, path: str, value: float | None) -> None:
    if value is not None:
        _need(problems, math.isfinite(value) and value > 0, path, "> 0", value)


def _non_negative(problems: Problems, path: str, value: float | None) -> None:
    if value is not None:
        _need(problems, math.isfinite(value) and value >= 0, path, ">= 0", value)


def _target(problems: Problems, path: str, value: float | None) -> None:
    if value is not None:
        _need(problems, 0.0 < value <= 1.0, path, "a share in (0, 1], e.g. 0.8", value)


def _probability(problems: Problems, path: str, value: float) -> None:
    _need(problems, 0.0 <= value <= 1.0, path, "a probability in [0, 1]", value)


def _check_simulation(scenario: Scenario, problems: Problems) -> None:
    sim, where = scenario.simulation, "simulation"
    _positive(problems, f"{where}.duration", sim.duration)
    _non_negative(problems, f"{where}.warmup", sim.warmup)
    _non_negative(problems, f"{where}.drain_seconds", sim.drain_seconds)
    _need(problems, sim.replications >= 1, f"{where}.replications", ">= 1", sim.replications)
    _need(problems, sim.seed >= 0, f"{where}.seed", ">= 0", sim.seed)
    _positive(problems, f"{where}.offer_timeout", sim.offer_timeout)
    if sim.max_unanswered_offers is not None:
        _need(problems, sim.max_unanswered_offers >= 1, f"{where}.max_unanswered_offers", ">= 1",
              sim.max_unanswered_offers)  # fmt: skip
    _check_policy(sim.policy, f"{where}.policy", problems)
    _need(problems, sim.contact_selection in SELECTIONS, f"{where}.contact_selection",
          f"one of {', '.join(SELECTIONS)}", sim.contact_selection)  # fmt: skip
    if sim.start is not None:
        try:
            parse_start(sim.start)
        except ValueError as exc:
            problems.append(f"{where}.start: {exc}")


def parse_start(text: str) -> dt.datetime:
    """An ISO 8601 date and time (``2026-03-02T08:00``; a trailing ``Z`` means UTC) as a datetime;
    without a time zone it stays naive (the centre's wall clock). Raises ValueError. Cost: O(1).

    >>> parse_start("2026-03-02T08:00"), parse_start("2026-03-02 08:00Z").tzinfo
    (datetime.datetime(2026, 3, 2, 8, 0), datetime.timezone.utc)
    """
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date and time (like 2026-03-02T08:00)"
        ) from None


def _check_policy(policy: str, where: str, problems: Problems) -> None:
    if policy in AGENT_POLICIES:
        return
    if ":" not in policy:
        rule = f"one of {', '.join(AGENT_POLICIES)} or 'module:attribute' (a custom policy)"
        _need(problems, False, where, rule, policy)
        return
    try:
        load_policy_object(policy)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")


def load_policy_object(spec: str) -> Any:
    """The object a custom policy ``"module:attribute"`` names (``attribute`` may be dotted).

    Importing runs the module's code, as ``import module`` would. Typed ``Any`` like ``getattr``:
    the caller decides what the object may be (a policy, a class or factory making one). Raises
    ``ValueError`` naming the spec and the import error. Cost: one import (cached by Python).

    >>> load_policy_object("experiencehub.core.policies:LongestIdle").__name__
    'LongestIdle'
    >>> load_policy_object("experiencehub.core.policies:NoSuchPolicy")
    Traceback (most recent call last):
    ...
    ValueError: policy 'experiencehub.core.policies:NoSuchPolicy': module 'experiencehub.core.policies' has no attribute 'NoSuchPolicy'
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"policy {spec!r}: must be 'module:attribute', e.g. 'my_policies:Fastest'")
    try:
        found: object = importlib.import_module(module_name)
    except Exception as exc:  # an import can raise anything the module's code raises
        raise ValueError(
            f"policy {spec!r}: cannot import module {module_name!r} ({type(exc).__name__}: {exc})"
        ) from exc
    for name in attribute.split("."):
        try:
            found = getattr(found, name)
        except AttributeError:
            raise ValueError(
                f"policy {spec!r}: module {module_name!r} has no attribute {attribute!r}"
            ) from None
    return found


def _channels(scenario: Scenario) -> set[str]:
    """Channels some queue takes or some agent group has capacity for."""
    queues = {queue.channel for queue in scenario.queues}
    return queues | {channel for group in scenario.agents for channel in group.capacity}


def _known_channel(
    name: str, path: str, channels: set[str] | None, problems: Problems, hint: str = ""
) -> None:
    if channels is not None and name not in channels:
        known = ", ".join(sorted(channels)) or "none"
        problems.append(f"{path}: unknown channel {name!r} (channels: {known}{hint})")


def _check_channel_rules(
    rules: Mapping[str, tuple[str, ...]] | None, channels: set[str] | None, problems: Problems
) -> None:
    where = "simulation.channel_rules"
    for channel, blocked in (rules or {}).items():
        _known_channel(channel, f"{where}.{channel}", channels, problems)
        for j, other in enumerate(blocked):
            if other != ANY_CHANNEL:
                hint = f"; {ANY_CHANNEL!r} blocks every other channel"
                _known_channel(other, f"{where}.{channel}[{j}]", channels, problems, hint)


def _check_kpis(kpis: KpiSettings, problems: Problems) -> None:
    _need(problems, kpis.preset in PRESETS, "kpis.preset", f"one of {', '.join(PRESETS)}",
          kpis.preset)  # fmt: skip
    _non_negative(problems, "kpis.short_abandon_seconds", kpis.short_abandon_seconds)
    _positive(problems, "kpis.repeat_window_hours", kpis.repeat_window_hours)
    _positive(problems, "kpis.interval_minutes", kpis.interval_minutes)
    for key, choices in (("abandons_within", ABANDONS_WITHIN), ("denominator", DENOMINATORS)):
        value = getattr(kpis, key)
        _need(problems, value is None or value in choices, f"kpis.{key}",
              f"one of {', '.join(choices)}", value)  # fmt: skip


def _check_queues(scenario: Scenario, problems: Problems) -> set[str]:
    names: set[str] = set()
    for i, queue in enumerate(scenario.queues):
        where = f"queues[{i}]"
        _need(problems, bool(queue.name), f"{where}.name", "a non-empty string", queue.name)
        if queue.name in names:
            problems.append(f"{where}.name: queue {queue.name!r} is defined twice")
        names.add(queue.name)
        _need(problems, bool(queue.channel), f"{where}.channel", "a non-empty string",
              queue.channel)  # fmt: skip
        _check_queue_values(queue, where, problems)
        _check_closures(queue, where, problems)
        _check_hours(queue, where, problems)
    return names


def _check_queue_values(queue: QueueConfig, where: str, problems: Problems) -> None:
    """A queue's values (:mod:`.queue_checks` checks each of its ``changes`` with this too,
    through :func:`_check_changeable_values`: the problems a change adds, with the change's key
    path)."""
    for skill, level in queue.requires.items():
        _need(problems, level >= 0, f"{where}.requires.{skill}", ">= 0", level)
    _non_negative(problems, f"{where}.service_level_seconds", queue.service_level_seconds)
    _target(problems, f"{where}.service_level_target", queue.service_level_target)
    _check_stages(queue, where, problems)
    _check_wrap_up(queue.wrap_up, f"{where}.wrap_up", problems)
    if queue.max_length is not None:
        _need(problems, queue.max_length >= 1, f"{where}.max_length", ">= 1", queue.max_length)
    _non_negative(problems, f"{where}.priority_weight", queue.priority_weight)
    _non_negative(problems, f"{where}.aging_per_minute", queue.aging_per_minute)
    _non_negative(problems, f"{where}.affinity_seconds", queue.affinity_seconds)
    _non_negative(problems, f"{where}.rejoin_seconds", queue.rejoin_seconds)


def _check_changeable_values(queue: QueueConfig, where: str, problems: Problems) -> None:
    """The values of the keys a change may set (:mod:`.queue_checks` checks each version of a
    queue with it): the queue's values, its hours and its queued callbacks."""
    _check_queue_values(queue, where, problems)
    _check_hours(queue, where, problems)
    if queue.queued_callback is not None:
        _check_queued_callback(queue.queued_callback, f"{where}.queued_callback", problems)


def _check_hours(queue: QueueConfig, where: str, problems: Problems) -> None:
    """Each weekly interval names a day 0-6 and 0 <= start < end <= 86400."""
    if queue.hours is None:
        return
    for j, interval in enumerate(queue.hours.weekly):
        path = f"{where}.hours.weekly[{j}]"
        _need(problems, 0 <= interval.day <= 6, f"{path}.day", "0 to 6", interval.day)
        _need(problems, 0 <= interval.start < 86_400, f"{path}.start", ">= 0 and < 86400",
              interval.start)  # fmt: skip
        _need(problems, interval.start < interval.end <= 86_400, f"{path}.end",
              f"> start ({interval.start}) and <= 86400", interval.end)  # fmt: skip


def _check_closures(queue: QueueConfig, where: str, problems: Problems) -> None:
    """Each closure starts at >= 0, after the previous one ended, and ends after it starts."""
    previous_end: float | None = 0.0
    for j, closure in enumerate(queue.closed):
        path = f"{where}.closed[{j}]"
        if previous_end is None:
            problems.append(f"{path}: the previous closure has no end (closed to the end of the run)")
            return
        _need(problems, closure.start >= previous_end, f"{path}.start",
              f">= {previous_end} (0, or the previous closure's end)", closure.start)  # fmt: skip
        if closure.end is not None:
            _need(problems, closure.end > closure.start, f"{path}.end",
                  f"> start ({closure.start})", closure.end)  # fmt: skip
        if closure.reason is not None:
            _need(problems, len(closure.reason) <= 200, f"{path}.reason",
                  "at most 200 characters", len(closure.reason))  # fmt: skip
        previous_end = closure.end


def _check_stages(queue: QueueConfig, where: str, problems: Problems) -> None:
    if not queue.stages:
        return
    _need(problems, queue.stages[0].after == 0, f"{where}.stages[0].after", "0 (first stage)",
          queue.stages[0].after)  # fmt: skip
    previous: StageConfig | None = None
    for j, stage in enumerate(queue.stages):
        path = f"{where}.stages[{j}]"
        _non_negative(problems, f"{path}.max_cost", stage.max_cost)
        if previous is not None:
            _need(problems, stage.after > previous.after, f"{path}.after",
                  f"> the previous stage's {previous.after}", stage.after)  # fmt: skip
            if previous.max_cost is None:
                problems.append(f"{path}: only the last stage may omit max_cost (any agent)")
            elif stage.max_cost is not None and stage.max_cost < previous.max_cost:
                problems.append(
                    f"{path}.max_cost: must not shrink ({previous.max_cost} then {stage.max_cost})"
                )
        previous = stage


def _check_wrap_up(wrap: WrapUpConfig, where: str, problems: Problems) -> None:
    _need(problems, wrap.mode in WRAP_UP_MODES, f"{where}.mode", "none, timed or manual", wrap.mode)
    if wrap.mode == "timed":
        _positive(problems, f"{where}.seconds", wrap.seconds)
    if wrap.mode == "manual" and wrap.duration is None:
        problems.append(f"{where}.duration: required for manual wrap-up (a distribution)")
    if wrap.duration is not None:
        _check_distribution(wrap.duration, f"{where}.duration", problems)


def _check_agents(scenario: Scenario, problems: Problems) -> None:
    groups: set[str] = set()
    for i, group in enumerate(scenario.agents):
        where = f"agents[{i}]"
        if group.group in groups:
            problems.append(f"{where}.group: group {group.group!r} is defined twice")
        groups.add(group.group)
        _need(problems, group.count >= 1, f"{where}.count", ">= 1", group.count)
        open_stage = any(q.stages and q.stages[-1].max_cost is None for q in scenario.queues)
        _need(problems, bool(group.skills) or open_stage, f"{where}.skills",
              "at least one skill (or {} when some queue's last stage takes any agent)", {})  # fmt: skip
        for skill, level in group.skills.items():
            _need(problems, level >= 0, f"{where}.skills.{skill}", ">= 0", level)
        for channel, slots in group.capacity.items():
            _need(problems, slots >= 0, f"{where}.capacity.{channel}", ">= 0", slots)
        _check_behaviour(group, where, problems)
        for j, shift in enumerate(group.shifts):
            _check_shift(shift, f"{where}.shifts[{j}]", problems)
        _check_skill_changes(group, where, problems)
        if group.wrap_up is not None:
            _check_wrap_up(group.wrap_up, f"{where}.wrap_up", problems)
        check_profile(group, where, {q.name for q in scenario.queues}, problems)
        check_auto_accept(group, where, problems)


def _check_behaviour(group: AgentGroup, where: str, problems: Problems) -> None:
    _probability(problems, f"{where}.reject_probability", group.reject_probability)
    if group.reject_probability >= 1.0:
        problems.append(f"{where}.reject_probability: must be < 1 or no contact is ever answered")
    if group.answer_delay_seconds is not None:
        _check_distribution(group.answer_delay_seconds, f"{where}.answer_delay_seconds", problems)
    _positive(problems, f"{where}.handle_time_factor", group.handle_time_factor)
    _non_negative(problems, f"{where}.cost_per_hour", group.cost_per_hour)
    _probability(problems, f"{where}.resolution", group.resolution)
    _non_negative(problems, f"{where}.substitution_slowdown", group.substitution_slowdown)
    _non_negative(problems, f"{where}.concurrency_slowdown", group.concurrency_slowdown)


def _check_skill_changes(group: AgentGroup, where: str, problems: Problems) -> None:
    """Each change has a time (>= 0, in order) and levels >= 0."""
    previous = None
    for j, change in enumerate(group.skill_changes):
        path = f"{where}.skill_changes[{j}]"
        _non_negative(problems, f"{path}.at", change.at)
        if previous is not None:
            _need(problems, change.at > previous, f"{path}.at",
                  f"> the previous change's {previous}", change.at)  # fmt: skip
        previous = change.at
        for skill, level in change.skills.items():
            _need(problems, level >= 0, f"{path}.skills.{skill}", ">= 0", level)


def _check_shift(shift: Shift, where: str, problems: Problems) -> None:
    _non_negative(problems, f"{where}.start", shift.start)
    _need(problems, shift.end > shift.start, f"{where}.end", f"> start ({shift.start})", shift.end)
    for k, pause in enumerate(shift.breaks):
        path = f"{where}.breaks[{k}]"
        _positive(problems, f"{path}.seconds", pause.seconds)
        _non_negative(problems, f"{path}.spread_seconds", pause.spread_seconds)
        _need(
            problems,
            isinstance(pause.reason, str) and 0 < len(pause.reason) <= 64,
            f"{path}.reason",
            "a name of 1 to 64 characters",
            pause.reason,
        )
        inside = (
            shift.start <= pause.at and pause.at + pause.spread_seconds + pause.seconds <= shift.end
        )
        _need(
            problems,
            inside,
            f"{path}.at",
            f"inside the shift [{shift.start}, {shift.end}]",
            pause.at,
        )


def _check_workload(
    item: Workload,
    where: str,
    problems: Problems,
    *,
    queues: set[str] | None,
    asks: tuple[str, ...] | None,
    scenario: Scenario,
) -> None:
    """``queues`` and ``asks`` are None when their sections did not all structure."""
    _known_queue(item.queue, f"{where}.queue", queues, problems)
    _need(problems, bool(item.segment), f"{where}.segment", "a non-empty string", item.segment)
    _non_negative(problems, f"{where}.service_level_seconds", item.service_level_seconds)
    _target(problems, f"{where}.service_level_target", item.service_level_target)
    _check_arrivals(item.arrivals, f"{where}.arrivals", scenario, problems)
    _check_distribution(item.handle_seconds, f"{where}.handle_seconds", problems)
    if item.patience_seconds is not None:
        _check_distribution(item.patience_seconds, f"{where}.patience_seconds", problems)
    if item.callback is not None:
        patient = item.patience_seconds is not None
        _check_callback(item.callback, f"{where}.callback", queues, problems, patient=patient)
    if item.repeat is not None:
        _check_repeat(item.repeat, f"{where}.repeat", queues, problems)
    if item.transfer is not None:
        _check_transfer(item.transfer, f"{where}.transfer", queues, problems)
    if item.unresolved is not None:
        _check_unresolved(item.unresolved, f"{where}.unresolved", queues, problems)
    if item.ivr is not None:
        _check_ivr(item.ivr, f"{where}.ivr", asks, problems)
    if item.self_service is not None:
        _check_self_service(item.self_service, f"{where}.self_service", asks, problems)
    if item.preferred_channel is not None:
        _check_preference(item.preferred_channel, f"{where}.preferred_channel", scenario, problems)
    if item.criteria is not None:
        _check_criteria(item.criteria, f"{where}.criteria", problems)
    if item.consult is not None:
        channels = None if queues is None else {q.name: q.channel for q in scenario.queues}
        check_consult(item.consult, f"{where}.consult", problems, queues=channels,
                      home=item.queue, distribution=_check_distribution)  # fmt: skip


def _check_criteria(criteria: CriteriaConfig, path: str, problems: Problems) -> None:
    """A share in [0, 1]; 1 to MAX_STEPS steps, the first at 0 s, times increasing; finite
    costs and levels >= 0 (the rules of :class:`~experiencehub.core.criteria.RoutingCriteria`)."""
    _probability(problems, f"{path}.share", criteria.share)
    steps = criteria.steps
    _need(problems, 0 < len(steps) <= MAX_STEPS, f"{path}.steps",
          f"1 to {MAX_STEPS} steps", len(steps))  # fmt: skip
    for j, step in enumerate(steps):
        where = f"{path}.steps[{j}]"
        if j == 0:
            _need(problems, step.after == 0, f"{where}.after", "0 (the first step)", step.after)
        else:
            _need(problems, step.after > steps[j - 1].after, f"{where}.after",
                  f"> the previous step's {steps[j - 1].after}", step.after)  # fmt: skip
        _need(problems, math.isfinite(step.max_cost) and step.max_cost >= 0,
              f"{where}.max_cost", "finite and >= 0", step.max_cost)  # fmt: skip
        for skill, level in step.requires.items():
            _need(problems, level >= 0, f"{where}.requires.{skill}", ">= 0", level)


def _check_callback(
    callback: Callback, path: str, queues: set[str] | None, problems: Problems, *, patient: bool
) -> None:
    _probability(problems, f"{path}.probability", callback.probability)
    _known_queue(callback.queue, f"{path}.queue", queues, problems)
    _check_distribution(callback.delay_seconds, f"{path}.delay_seconds", problems)
    if callback.patience_seconds is not None:
        _check_distribution(callback.patience_seconds, f"{path}.patience_seconds", problems)
    if not patient:
        problems.append(
            f"{path}: needs patience_seconds (customers who never abandon never call back)"
        )


def _check_repeat(repeat: Repeat, path: str, queues: set[str] | None, problems: Problems) -> None:
    _probability(problems, f"{path}.probability", repeat.probability)
    _need(problems, repeat.probability < 1, f"{path}.probability", "< 1 (else endless repeats)",
          repeat.probability)  # fmt: skip
    if repeat.queue is not None:
        _known_queue(repeat.queue, f"{path}.queue", queues, problems)
    _check_distribution(repeat.delay_seconds, f"{path}.delay_seconds", problems)


def _check_transfer(
    transfer: Transfer, path: str, queues: set[str] | None, problems: Problems
) -> None:
    _probability(problems, f"{path}.probability", transfer.probability)
    _known_queue(transfer.queue, f"{path}.queue", queues, problems)
    if transfer.handle_seconds is not None:
        _check_distribution(transfer.handle_seconds, f"{path}.handle_seconds", problems)


def _check_unresolved(
    unresolved: Unresolved, path: str, queues: set[str] | None, problems: Problems
) -> None:
    _check_distribution(unresolved.delay_seconds, f"{path}.delay_seconds", problems)
    if unresolved.queue is not None:
        _known_queue(unresolved.queue, f"{path}.queue", queues, problems)
    _probability(problems, f"{path}.probability", unresolved.probability)
    _need(problems, unresolved.max_contacts >= 1, f"{path}.max_contacts", ">= 1",
          unresolved.max_contacts)  # fmt: skip


def _check_ivr(ivr: Ivr, path: str, asks: tuple[str, ...] | None, problems: Problems) -> None:
    _probability(problems, f"{path}.share", ivr.share)
    if asks is not None and not asks:
        problems.append(f"{path}: nothing to verify: add [[context.asks]]")
    elif asks is not None:
        for j, fact in enumerate(ivr.facts or ()):
            if fact not in asks:
                problems.append(
                    f"{path}.facts[{j}]: unknown fact {fact!r} (asks: {', '.join(asks)})"
                )
    _need(problems, bool(ivr.channels), f"{path}.channels", "at least one channel", [])
    for j, channel in enumerate(ivr.channels):
        _need(problems, bool(channel), f"{path}.channels[{j}]", "a non-empty string", channel)


def _check_self_service(
    step: SelfService, path: str, asks: tuple[str, ...] | None, problems: Problems
) -> None:
    """Probabilities in [0, 1], a time distribution; facts only when there are asks to know."""
    for key in ("share", "contained", "verified"):
        _probability(problems, f"{path}.{key}", getattr(step, key))
    _check_distribution(step.seconds, f"{path}.seconds", problems)
    if asks is None:
        return
    if step.verified > 0 and not asks:
        problems.append(f"{path}.verified: nothing to verify: add [[context.asks]]")
    for j, fact in enumerate(step.facts or ()):
        if fact not in asks:
            known = ", ".join(asks) or "none defined"
            problems.append(f"{path}.facts[{j}]: unknown fact {fact!r} (asks: {known})")


def _check_preference(
    preference: ChannelPreference, path: str, scenario: Scenario, problems: Problems
) -> None:
    """Shares in [0, 1]; a channel some queue serves (a preference nobody serves is never used)."""
    _probability(problems, f"{path}.stated", preference.stated)
    _probability(problems, f"{path}.used", preference.used)
    channels = sorted({q.channel for q in scenario.queues})
    if preference.channel not in channels:
        problems.append(
            f"{path}.channel: no queue serves {preference.channel!r} (channels: {', '.join(channels)})"
        )


def _check_queued_callback(config: QueuedCallback, path: str, problems: Problems) -> None:
    """Probabilities in [0, 1], times >= 0 (a dial > 0), 1 to 100 attempts."""
    _probability(problems, f"{path}.accept", config.accept)
    _probability(problems, f"{path}.answer", config.answer)
    for key in ("offer_above_seconds", "retry_seconds"):
        _non_negative(problems, f"{path}.{key}", getattr(config, key))
    _positive(problems, f"{path}.dial_seconds", config.dial_seconds)
    attempts = config.attempts
    ok = not isinstance(attempts, bool) and isinstance(attempts, int) and 1 <= attempts <= 100
    _need(problems, ok, f"{path}.attempts", "an integer from 1 to 100", attempts)


def _known_queue(name: str, path: str, queues: set[str] | None, problems: Problems) -> None:
    if queues is not None and name not in queues:
        known = ", ".join(sorted(queues)) or "none defined"
        problems.append(f"{path}: unknown queue {name!r} (queues: {known})")


def _check_arrivals(arrivals: Arrivals, where: str, scenario: Scenario, problems: Problems) -> None:
    kind = arrivals.kind
    if kind not in ARRIVAL_KINDS:
        problems.append(f"{where}.kind: must be one of {', '.join(ARRIVAL_KINDS)}, got {kind!r}")
    elif kind == "poisson":
        if arrivals.per_hour is None:
            problems.append(f"{where}.per_hour: required for poisson arrivals")
        _positive(problems, f"{where}.per_hour", arrivals.per_hour)
    elif kind == "piecewise":
        rates = arrivals.rates_per_hour
        if not rates:
            problems.append(
                f"{where}.rates_per_hour: required for piecewise arrivals (one rate per piece)"
            )
        for j, rate in enumerate(rates or ()):
            _non_negative(problems, f"{where}.rates_per_hour[{j}]", rate)
        if rates and not any(r > 0 for r in rates):
            problems.append(f"{where}.rates_per_hour: at least one rate must be > 0")
        _positive(problems, f"{where}.piece_seconds", arrivals.piece_seconds)
    elif arrivals.path is None:
        problems.append(f"{where}.path: required for trace arrivals (CSV of arrival seconds)")
    else:
        trace = Path(scenario.base_dir) / arrivals.path
        if not trace.is_file():
            problems.append(f"{where}.path: file {str(trace)!r} not found")
        else:
            problems.extend(f"{where}.path: {why}" for why in read_trace(trace).problems)


_DISTRIBUTION_FIELDS: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"),
    "deterministic": ("value",),
    "empirical": ("values",),
}


def _check_distribution(dist: Distribution, where: str, problems: Problems) -> None:
    fields = _DISTRIBUTION_FIELDS.get(dist.kind)
    if fields is None:
        problems.append(
            f"{where}.kind: must be one of {', '.join(DISTRIBUTIONS)}, got {dist.kind!r}"
        )
        return
    for field in fields:
        if getattr(dist, field) is None:
            problems.append(f"{where}.{field}: required for {dist.kind}")
    for field in ("mean", "sd", "value", "values"):
        if field not in fields and getattr(dist, field) is not None:
            problems.append(
                f"{where}.{field}: not used by {dist.kind} (it takes {', '.join(fields)})"
            )
    for field in ("mean", "sd"):
        _positive(problems, f"{where}.{field}", getattr(dist, field))
    _non_negative(problems, f"{where}.value", dist.value)
    if dist.values is not None:
        if not dist.values:
            problems.append(f"{where}.values: must not be empty")
        for j, value in enumerate(dist.values):
            _non_negative(problems, f"{where}.values[{j}]", value)


def _check_context(context: ContextSettings, problems: Problems) -> None:
    _non_negative(problems, "context.affinity_window_seconds", context.affinity_window_seconds)
    if context.identify_by:
        from ..context.identity import KINDS  # noqa: PLC0415 - loads phonenumbers: only when used

        for channel, kind in context.identify_by.items():
            _need(problems, kind in KINDS, f"context.identify_by.{channel}",
                  f"one of {', '.join(KINDS)}", kind)  # fmt: skip
    _check_asks(context.asks, problems)


def _check_context_channels(scenario: Scenario, problems: Problems) -> None:
    """With context on, contacts are recorded in a store that knows a fixed list of channels."""
    from ..context.facts import DEFAULT_CHANNELS  # noqa: PLC0415 - see _check_context

    for i, queue in enumerate(scenario.queues):
        if queue.channel not in DEFAULT_CHANNELS:
            problems.append(
                f"queues[{i}].channel: {queue.channel!r} is not a channel the context store "
                f"records (one of {', '.join(DEFAULT_CHANNELS)}); needed with [context] enabled"
            )


def _check_asks(asks: tuple[Ask, ...], problems: Problems) -> None:
    if not asks:
        return
    from ..context.errors import InvalidFact  # noqa: PLC0415 - see _check_context
    from ..context.facts import check_name  # noqa: PLC0415

    seen: set[str] = set()
    for i, ask in enumerate(asks):
        where = f"context.asks[{i}]"
        try:
            check_name(ask.fact)
        except InvalidFact as exc:
            problems.append(f"{where}.fact: {exc}")
        if ask.fact in seen:
            problems.append(f"{where}.fact: fact {ask.fact!r} is asked twice")
        seen.add(ask.fact)
        _non_negative(problems, f"{where}.seconds", ask.seconds)
        _positive(problems, f"{where}.valid_for", ask.valid_for)


def _check_skills(scenario: Scenario, problems: Problems) -> None:
    # the skills groups have at any time of the run: at the start and after each skill change
    agent_skills = {skill for group in scenario.agents for skill in group.skills}
    agent_skills |= {
        skill for group in scenario.agents for change in group.skill_changes for skill in change.skills
    }
    needed = {skill for queue in scenario.queues for skill in queue.required_skills()}
    known = agent_skills | needed
    for i, edge in enumerate(scenario.substitutions):
        where = f"substitutions[{i}]"
        _non_negative(problems, f"{where}.cost", edge.cost)
        if edge.skill == edge.serves:
            problems.append(f"{where}: a skill always serves itself; remove this edge")
        for field in ("skill", "serves"):
            name = getattr(edge, field)
            if name not in known:
                problems.append(
                    f"{where}.{field}: unknown skill {name!r} (no agent has it, no queue needs it)"
                )
    problems.extend(unused_skill_problems(scenario))
    servable = servable_skills(agent_skills, scenario.substitutions)
    for i, item in enumerate(scenario.workload):
        for j, step in enumerate(item.criteria.steps if item.criteria is not None else ()):
            for skill in step.requires:
                if skill not in servable:
                    problems.append(
                        f"workload[{i}].criteria.steps[{j}].requires.{skill}: unknown skill "
                        f"{skill!r} (no agent group has it or a substitute)"
                    )
    for i, queue in enumerate(scenario.queues):
        queue_skill_problems(queue, f"queues[{i}]", servable, problems)
        if not any(group.capacity.get(queue.channel, 0) > 0 for group in scenario.agents):
            problems.append(
                f"queues[{i}].channel: no agent group has capacity on {queue.channel!r}"
            )

