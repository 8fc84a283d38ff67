"""Checks of a structured scenario: ranges, names, references between sections (stability: :mod:`.stability`).

This module owns the *rules* a scenario must follow; :mod:`.scenario_types` owns the shape and
:mod:`.scenario` the file format, which calls :func:`validate` after structuring (this module never
imports :mod:`.scenario`). Every check appends ``"key.path: what is expected, got …"`` to a
list, so one pass reports every problem. The checks never raise and never simulate;
:func:`load_policy_object` (the one home of the ``"module:attribute"`` policy rule, shared with the
engine and the command line) raises ``ValueError``. The workload's checks live in
:mod:`.workload_checks`, the small value rules both use in :mod:`.check_values`.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Collection, Mapping
from typing import Any

from ..core.agents import ANY_CHANNEL
from .auto_accept import check_auto_accept
from .check_values import (
    DISTRIBUTIONS,
    Problems,
    check_distribution,
    need,
    non_negative,
    positive,
    probability,
    target_share,
)
from .kpi import ABANDONS_WITHIN, DENOMINATORS, PRESETS
from .names import unused_skill_problems
from .profiles import SELECTIONS, check_profile
from .queue_checks import queue_key_problems, queue_skill_problems
from .scenario_types import (
    AgentGroup,
    Ask,
    ContextSettings,
    KpiSettings,
    QueueConfig,
    Scenario,
    Shift,
    StageConfig,
    WrapUpConfig,
)
from .stability import mean_of, mean_rate_per_hour, servable_skills, stability_problems
from .workload_checks import (
    ARRIVAL_KINDS,
    check_queued_callback,
    check_self_service,
    check_workload,
)

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
]  # mean_of, mean_rate_per_hour and stability_problems live in .stability; DISTRIBUTIONS in
# .check_values, ARRIVAL_KINDS in .workload_checks

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
WRAP_UP_MODES = ("none", "timed", "manual")


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
        check_workload(item, f"workload[{i}]", problems, queues=known, asks=asks, scenario=scenario)
    for i, queue in enumerate(scenario.queues):
        if queue.self_service is not None:
            check_self_service(queue.self_service, f"queues[{i}].self_service", asks, problems)
        if queue.queued_callback is not None:
            check_queued_callback(queue.queued_callback, f"queues[{i}].queued_callback", problems)
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


def _check_simulation(scenario: Scenario, problems: Problems) -> None:
    sim, where = scenario.simulation, "simulation"
    positive(problems, f"{where}.duration", sim.duration)
    non_negative(problems, f"{where}.warmup", sim.warmup)
    non_negative(problems, f"{where}.drain_seconds", sim.drain_seconds)
    need(problems, sim.replications >= 1, f"{where}.replications", ">= 1", sim.replications)
    need(problems, sim.seed >= 0, f"{where}.seed", ">= 0", sim.seed)
    positive(problems, f"{where}.offer_timeout", sim.offer_timeout)
    if sim.max_unanswered_offers is not None:
        need(problems, sim.max_unanswered_offers >= 1, f"{where}.max_unanswered_offers", ">= 1",
              sim.max_unanswered_offers)  # fmt: skip
    _check_policy(sim.policy, f"{where}.policy", problems)
    need(problems, sim.contact_selection in SELECTIONS, f"{where}.contact_selection",
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
        need(problems, False, where, rule, policy)
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
    need(problems, kpis.preset in PRESETS, "kpis.preset", f"one of {', '.join(PRESETS)}",
          kpis.preset)  # fmt: skip
    non_negative(problems, "kpis.short_abandon_seconds", kpis.short_abandon_seconds)
    positive(problems, "kpis.repeat_window_hours", kpis.repeat_window_hours)
    positive(problems, "kpis.interval_minutes", kpis.interval_minutes)
    for key, choices in (("abandons_within", ABANDONS_WITHIN), ("denominator", DENOMINATORS)):
        value = getattr(kpis, key)
        need(problems, value is None or value in choices, f"kpis.{key}",
              f"one of {', '.join(choices)}", value)  # fmt: skip


def _check_queues(scenario: Scenario, problems: Problems) -> set[str]:
    names: set[str] = set()
    for i, queue in enumerate(scenario.queues):
        where = f"queues[{i}]"
        need(problems, bool(queue.name), f"{where}.name", "a non-empty string", queue.name)
        if queue.name in names:
            problems.append(f"{where}.name: queue {queue.name!r} is defined twice")
        names.add(queue.name)
        need(problems, bool(queue.channel), f"{where}.channel", "a non-empty string",
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
        need(problems, level >= 0, f"{where}.requires.{skill}", ">= 0", level)
    non_negative(problems, f"{where}.service_level_seconds", queue.service_level_seconds)
    target_share(problems, f"{where}.service_level_target", queue.service_level_target)
    _check_stages(queue, where, problems)
    _check_wrap_up(queue.wrap_up, f"{where}.wrap_up", problems)
    if queue.max_length is not None:
        need(problems, queue.max_length >= 1, f"{where}.max_length", ">= 1", queue.max_length)
    non_negative(problems, f"{where}.priority_weight", queue.priority_weight)
    non_negative(problems, f"{where}.aging_per_minute", queue.aging_per_minute)
    non_negative(problems, f"{where}.affinity_seconds", queue.affinity_seconds)
    non_negative(problems, f"{where}.rejoin_seconds", queue.rejoin_seconds)
    positive(problems, f"{where}.offer_timeout", queue.offer_timeout)


def _check_changeable_values(queue: QueueConfig, where: str, problems: Problems) -> None:
    """The values of the keys a change may set (:mod:`.queue_checks` checks each version of a
    queue with it): the queue's values, its hours and its queued callbacks."""
    _check_queue_values(queue, where, problems)
    _check_hours(queue, where, problems)
    if queue.queued_callback is not None:
        check_queued_callback(queue.queued_callback, f"{where}.queued_callback", problems)


def _check_hours(queue: QueueConfig, where: str, problems: Problems) -> None:
    """Each weekly interval names a day 0-6 and 0 <= start < end <= 86400."""
    if queue.hours is None:
        return
    for j, interval in enumerate(queue.hours.weekly):
        path = f"{where}.hours.weekly[{j}]"
        need(problems, 0 <= interval.day <= 6, f"{path}.day", "0 to 6", interval.day)
        need(problems, 0 <= interval.start < 86_400, f"{path}.start", ">= 0 and < 86400",
              interval.start)  # fmt: skip
        need(problems, interval.start < interval.end <= 86_400, f"{path}.end",
              f"> start ({interval.start}) and <= 86400", interval.end)  # fmt: skip


def _check_closures(queue: QueueConfig, where: str, problems: Problems) -> None:
    """Each closure starts at >= 0, after the previous one ended, and ends after it starts."""
    previous_end: float | None = 0.0
    for j, closure in enumerate(queue.closed):
        path = f"{where}.closed[{j}]"
        if previous_end is None:
            problems.append(
                f"{path}: the previous closure has no end (closed to the end of the run)"
            )
            return
        need(problems, closure.start >= previous_end, f"{path}.start",
              f">= {previous_end} (0, or the previous closure's end)", closure.start)  # fmt: skip
        if closure.end is not None:
            need(problems, closure.end > closure.start, f"{path}.end",
                  f"> start ({closure.start})", closure.end)  # fmt: skip
        if closure.reason is not None:
            need(problems, len(closure.reason) <= 200, f"{path}.reason",
                  "at most 200 characters", len(closure.reason))  # fmt: skip
        previous_end = closure.end


def _check_stages(queue: QueueConfig, where: str, problems: Problems) -> None:
    if not queue.stages:
        return
    need(problems, queue.stages[0].after == 0, f"{where}.stages[0].after", "0 (first stage)",
          queue.stages[0].after)  # fmt: skip
    previous: StageConfig | None = None
    for j, stage in enumerate(queue.stages):
        path = f"{where}.stages[{j}]"
        non_negative(problems, f"{path}.max_cost", stage.max_cost)
        if previous is not None:
            need(problems, stage.after > previous.after, f"{path}.after",
                  f"> the previous stage's {previous.after}", stage.after)  # fmt: skip
            if previous.max_cost is None:
                problems.append(f"{path}: only the last stage may omit max_cost (any agent)")
            elif stage.max_cost is not None and stage.max_cost < previous.max_cost:
                problems.append(
                    f"{path}.max_cost: must not shrink ({previous.max_cost} then {stage.max_cost})"
                )
        previous = stage


def _check_wrap_up(wrap: WrapUpConfig, where: str, problems: Problems) -> None:
    need(problems, wrap.mode in WRAP_UP_MODES, f"{where}.mode", "none, timed or manual", wrap.mode)
    if wrap.mode == "timed":
        positive(problems, f"{where}.seconds", wrap.seconds)
    if wrap.mode == "manual" and wrap.duration is None:
        problems.append(f"{where}.duration: required for manual wrap-up (a distribution)")
    if wrap.duration is not None:
        check_distribution(wrap.duration, f"{where}.duration", problems)


def _check_agents(scenario: Scenario, problems: Problems) -> None:
    groups: set[str] = set()
    for i, group in enumerate(scenario.agents):
        where = f"agents[{i}]"
        if group.group in groups:
            problems.append(f"{where}.group: group {group.group!r} is defined twice")
        groups.add(group.group)
        need(problems, group.count >= 1, f"{where}.count", ">= 1", group.count)
        open_stage = any(q.stages and q.stages[-1].max_cost is None for q in scenario.queues)
        need(problems, bool(group.skills) or open_stage, f"{where}.skills",
              "at least one skill (or {} when some queue's last stage takes any agent)", {})  # fmt: skip
        for skill, level in group.skills.items():
            need(problems, level >= 0, f"{where}.skills.{skill}", ">= 0", level)
        for channel, slots in group.capacity.items():
            need(problems, slots >= 0, f"{where}.capacity.{channel}", ">= 0", slots)
        _check_behaviour(group, where, problems)
        for j, shift in enumerate(group.shifts):
            _check_shift(shift, f"{where}.shifts[{j}]", problems)
        _check_skill_changes(group, where, problems)
        if group.wrap_up is not None:
            _check_wrap_up(group.wrap_up, f"{where}.wrap_up", problems)
        check_profile(group, where, {q.name for q in scenario.queues}, problems)
        check_auto_accept(group, where, problems)


def _check_behaviour(group: AgentGroup, where: str, problems: Problems) -> None:
    probability(problems, f"{where}.reject_probability", group.reject_probability)
    if group.reject_probability >= 1.0:
        problems.append(f"{where}.reject_probability: must be < 1 or no contact is ever answered")
    if group.answer_delay_seconds is not None:
        check_distribution(group.answer_delay_seconds, f"{where}.answer_delay_seconds", problems)
    positive(problems, f"{where}.handle_time_factor", group.handle_time_factor)
    non_negative(problems, f"{where}.cost_per_hour", group.cost_per_hour)
    probability(problems, f"{where}.resolution", group.resolution)
    non_negative(problems, f"{where}.substitution_slowdown", group.substitution_slowdown)
    non_negative(problems, f"{where}.concurrency_slowdown", group.concurrency_slowdown)


def _check_skill_changes(group: AgentGroup, where: str, problems: Problems) -> None:
    """Each change has a time (>= 0, in order) and levels >= 0."""
    previous = None
    for j, change in enumerate(group.skill_changes):
        path = f"{where}.skill_changes[{j}]"
        non_negative(problems, f"{path}.at", change.at)
        if previous is not None:
            need(problems, change.at > previous, f"{path}.at",
                  f"> the previous change's {previous}", change.at)  # fmt: skip
        previous = change.at
        for skill, level in change.skills.items():
            need(problems, level >= 0, f"{path}.skills.{skill}", ">= 0", level)


def _check_shift(shift: Shift, where: str, problems: Problems) -> None:
    non_negative(problems, f"{where}.start", shift.start)
    need(problems, shift.end > shift.start, f"{where}.end", f"> start ({shift.start})", shift.end)
    for k, pause in enumerate(shift.breaks):
        path = f"{where}.breaks[{k}]"
        positive(problems, f"{path}.seconds", pause.seconds)
        non_negative(problems, f"{path}.spread_seconds", pause.spread_seconds)
        need(
            problems,
            isinstance(pause.reason, str) and 0 < len(pause.reason) <= 64,
            f"{path}.reason",
            "a name of 1 to 64 characters",
            pause.reason,
        )
        inside = (
            shift.start <= pause.at and pause.at + pause.spread_seconds + pause.seconds <= shift.end
        )
        need(
            problems,
            inside,
            f"{path}.at",
            f"inside the shift [{shift.start}, {shift.end}]",
            pause.at,
        )


def _check_context(context: ContextSettings, problems: Problems) -> None:
    non_negative(problems, "context.affinity_window_seconds", context.affinity_window_seconds)
    if context.identify_by:
        from ..context.identity import KINDS  # noqa: PLC0415 - loads phonenumbers: only when used

        for channel, kind in context.identify_by.items():
            need(problems, kind in KINDS, f"context.identify_by.{channel}",
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
        non_negative(problems, f"{where}.seconds", ask.seconds)
        positive(problems, f"{where}.valid_for", ask.valid_for)


def _check_skills(scenario: Scenario, problems: Problems) -> None:
    # the skills groups have at any time of the run: at the start and after each skill change
    agent_skills = {skill for group in scenario.agents for skill in group.skills}
    agent_skills |= {
        skill
        for group in scenario.agents
        for change in group.skill_changes
        for skill in change.skills
    }
    needed = {skill for queue in scenario.queues for skill in queue.required_skills()}
    known = agent_skills | needed
    for i, edge in enumerate(scenario.substitutions):
        where = f"substitutions[{i}]"
        non_negative(problems, f"{where}.cost", edge.cost)
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
