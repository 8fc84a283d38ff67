"""Scenario files: TOML → attrs objects (via cattrs), validated with every problem's key path.

This module owns the scenario *format* and its validation. It never simulates and never routes.
A scenario describes the skills graph (substitutions), queues with their stages and wrap-up, agent
groups with skills, capacity and shifts, the workload per queue and segment, and the run settings.
Times are seconds, rates per hour. See docs/scenarios.md for the full reference.

Validation collects *every* problem it can find (types, ranges, unknown names, unstable load) and
raises one :class:`ScenarioError` whose ``problems`` list names each key path:

>>> load_scenario_text('[simulation]\\nduration = -1')
Traceback (most recent call last):
...
experiencehub.sim.scenario.ScenarioError: 4 problems in <text>:
  queues: at least one queue is required
  agents: at least one agent group is required
  workload: at least one workload entry is required
  simulation.duration: must be > 0, got -1.0
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs

from ..core.errors import ConfigError
from ..core.events import DEFAULT_CAPACITY
from .kpi import PRESETS

__all__ = [
    "AGENT_POLICIES",
    "AgentGroup",
    "Arrivals",
    "Break",
    "Callback",
    "Distribution",
    "KpiSettings",
    "QueueConfig",
    "Repeat",
    "Scenario",
    "ScenarioError",
    "Shift",
    "Simulation",
    "StageConfig",
    "Substitution",
    "Transfer",
    "Workload",
    "WrapUpConfig",
    "load_scenario",
    "load_scenario_text",
    "mean_of",
]

AGENT_POLICIES = (
    "longest_idle",
    "most_proficient",
    "least_occupied",
    "round_robin",
    "fewest_skills",
    "random",
)
DISTRIBUTIONS = ("exponential", "lognormal", "gamma", "deterministic", "empirical")
ARRIVAL_KINDS = ("poisson", "piecewise", "trace")
WRAP_UP_MODES = ("none", "timed", "manual")


class ScenarioError(ConfigError):
    """A scenario file has problems; ``problems`` lists each as ``"key.path: what is expected"``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in {source}:\n{lines}")


# -- the format ---------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class Distribution:
    """A random duration in seconds. ``kind`` picks which other fields apply.

    exponential(mean) · lognormal(mean, sd) · gamma(mean, sd) · deterministic(value) ·
    empirical(values: sampled uniformly).
    """

    kind: str
    mean: float | None = None
    sd: float | None = None
    value: float | None = None
    values: tuple[float, ...] | None = None


@attrs.frozen(kw_only=True)
class Arrivals:
    """Arrival process: ``poisson`` (per_hour), ``piecewise`` (rates_per_hour, one per piece of
    piece_seconds, repeating) or ``trace`` (CSV file of arrival times in seconds, first column)."""

    kind: str
    per_hour: float | None = None
    rates_per_hour: tuple[float, ...] | None = None
    piece_seconds: float = 3600.0
    path: str | None = None


@attrs.frozen(kw_only=True)
class Callback:
    """A share of abandoned contacts come back on another queue (e.g. chat drop → phone)."""

    probability: float
    queue: str
    delay_seconds: Distribution = Distribution(kind="deterministic", value=0.0)
    patience_seconds: Distribution | None = None


@attrs.frozen(kw_only=True)
class Repeat:
    """A share of handled contacts come back (issue not resolved) after a delay."""

    probability: float
    delay_seconds: Distribution
    queue: str | None = None


@attrs.frozen(kw_only=True)
class Transfer:
    """A share of handled contacts are transferred to another queue at the end of handling."""

    probability: float
    queue: str
    handle_seconds: Distribution | None = None


@attrs.frozen(kw_only=True)
class Workload:
    """Contacts arriving in one queue for one customer segment.

    ``service_level_seconds`` overrides the queue's threshold for this segment (premium customers
    answered within 30 s, others within 60 s); ``priority`` is sent with each contact.
    """

    queue: str
    arrivals: Arrivals
    handle_seconds: Distribution
    segment: str = "default"
    priority: int = 0
    service_level_seconds: float | None = None
    patience_seconds: Distribution | None = None
    callback: Callback | None = None
    repeat: Repeat | None = None
    transfer: Transfer | None = None


@attrs.frozen(kw_only=True)
class Break:
    """Agents go away at ``at`` for ``seconds``; spread over ``spread_seconds`` across the group."""

    at: float
    seconds: float
    spread_seconds: float = 0.0


@attrs.frozen(kw_only=True)
class Shift:
    """Agents are logged in from ``start`` to ``end`` (seconds from the start of the run)."""

    start: float
    end: float
    breaks: tuple[Break, ...] = ()


@attrs.frozen(kw_only=True)
class AgentGroup:
    """``count`` identical agents: skills (name → level), capacity per channel, shifts, behaviour."""

    group: str
    count: int
    skills: dict[str, int]
    capacity: dict[str, int] = attrs.field(factory=lambda: dict(DEFAULT_CAPACITY))
    shifts: tuple[Shift, ...] = ()
    answer_delay_seconds: Distribution | None = None
    reject_probability: float = 0.0


@attrs.frozen(kw_only=True)
class StageConfig:
    """From ``after`` seconds of waiting, skill cost ≤ ``max_cost`` is eligible (omit: any agent)."""

    after: float
    max_cost: float | None = None


@attrs.frozen(kw_only=True)
class WrapUpConfig:
    """``none``; ``timed`` (router frees the agent after ``seconds``); ``manual`` (agent ends it
    after a time drawn from ``duration``)."""

    mode: str = "none"
    seconds: float = 0.0
    duration: Distribution | None = None


@attrs.frozen(kw_only=True)
class QueueConfig:
    name: str
    channel: str
    requires: dict[str, int] = attrs.field(factory=dict)
    service_level_seconds: float = 20.0
    stages: tuple[StageConfig, ...] = ()
    wrap_up: WrapUpConfig = WrapUpConfig()
    max_length: int | None = None
    priority_weight: float = 1.0
    aging_per_minute: float = 0.0


@attrs.frozen(kw_only=True)
class Substitution:
    """Agents skilled in ``skill`` may serve needs for ``serves`` at ``cost``."""

    skill: str
    serves: str
    cost: float = 1.0


@attrs.frozen(kw_only=True)
class Simulation:
    duration: float
    warmup: float = 0.0
    seed: int = 0
    replications: int = 1
    policy: str = "longest_idle"
    offer_timeout: float | None = 30.0
    max_unanswered_offers: int | None = 3
    drain_seconds: float = 86400.0


@attrs.frozen(kw_only=True)
class KpiSettings:
    """Which service-level preset, and the proxies' windows (see docs/kpis.md)."""

    preset: str = "experiencehub"
    short_abandon_seconds: float | None = None
    repeat_window_hours: float = 24.0
    interval_minutes: float = 15.0


@attrs.frozen(kw_only=True)
class Scenario:
    simulation: Simulation
    queues: tuple[QueueConfig, ...]
    agents: tuple[AgentGroup, ...]
    workload: tuple[Workload, ...]
    substitutions: tuple[Substitution, ...] = ()
    kpis: KpiSettings = KpiSettings()
    name: str = "scenario"
    base_dir: str = "."

    def queue(self, name: str) -> QueueConfig:
        """The queue called ``name``. Cost: O(queues)."""
        for queue in self.queues:
            if queue.name == name:
                return queue
        raise KeyError(name)

    def with_overrides(self, **simulation: Any) -> Scenario:
        """A copy with some ``[simulation]`` settings replaced (policy, seed, replications…)."""
        return attrs.evolve(self, simulation=attrs.evolve(self.simulation, **simulation))


# -- loading ------------------------------------------------------------------------------------
_converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
_SECTIONS: dict[str, Any] = {
    "simulation": Simulation,
    "kpis": KpiSettings,
}
_LISTS: dict[str, Any] = {
    "queues": QueueConfig,
    "agents": AgentGroup,
    "workload": Workload,
    "substitutions": Substitution,
}


def _toml_loads(text: str) -> dict[str, Any]:
    # tomllib is stdlib from 3.11; tomli is the same parser for 3.10 (the cli extra installs it).
    module = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    loaded: dict[str, Any] = module.loads(text)
    return loaded


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Raises :class:`ScenarioError` listing every problem.

    Cost: O(size of the file) plus reading any trace files it names.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(str(path), [f"file: cannot read ({exc.strerror or exc})"]) from exc
    return load_scenario_text(text, source=str(path), base_dir=path.parent, name=path.stem)


def load_scenario_text(
    text: str, *, source: str = "<text>", base_dir: str | Path = ".", name: str = "scenario"
) -> Scenario:
    """Parse TOML text into a validated :class:`Scenario`. Cost: O(size of the text)."""
    try:
        raw = _toml_loads(text)
    except ValueError as exc:  # tomllib.TOMLDecodeError derives from ValueError
        raise ScenarioError(source, [f"toml: {exc}"]) from exc
    return scenario_from_dict(raw, source=source, base_dir=base_dir, name=name)


def scenario_from_dict(
    raw: Mapping[str, Any],
    *,
    source: str = "<dict>",
    base_dir: str | Path = ".",
    name: str = "scenario",
) -> Scenario:
    """Structure and validate a parsed scenario. Cost: O(size of the scenario)."""
    problems: list[str] = []
    structured = _structure_parts(raw, problems)
    parts = structured.parts
    simulation = parts.pop("simulation", None)
    scenario = Scenario(
        name=str(raw.get("name", name)),
        base_dir=str(base_dir),
        simulation=simulation or Simulation(duration=1.0),
        **parts,
    )
    # Items that failed to structure are missing, so names they define are unknown: references
    # into a section are checked only when all of it structured, to avoid false alarms.
    problems.extend(
        validate(scenario, incomplete=structured.incomplete, simulation=simulation is not None)
    )
    if problems:
        raise ScenarioError(source, problems)
    return scenario


@attrs.define
class _Structured:
    parts: dict[str, Any]
    incomplete: set[str]  # sections with an item that failed to structure


def _structure_parts(raw: Mapping[str, Any], problems: list[str]) -> _Structured:
    parts: dict[str, Any] = {}
    incomplete: set[str] = set()
    for key, cls in _SECTIONS.items():
        if key in raw:
            value = _structure_one(raw[key], cls, key, problems)
            if value is not None:
                parts[key] = value
    for key, cls in _LISTS.items():
        items = raw.get(key, [])
        if not isinstance(items, list):
            problems.append(f"{key}: must be an array of tables ([[{key}]])")
            incomplete.add(key)
            continue
        structured = [
            _structure_one(_normalise(key, item), cls, f"{key}[{i}]", problems)
            for i, item in enumerate(items)
        ]
        parts[key] = tuple(s for s in structured if s is not None)
        if len(parts[key]) < len(items):
            incomplete.add(key)
    _check_sections_present(raw, problems)
    return _Structured(parts, incomplete)


def _check_sections_present(raw: Mapping[str, Any], problems: list[str]) -> None:
    known = {*_SECTIONS, *_LISTS, "name"}
    for key in raw:
        if key not in known:
            problems.append(f"{key}: unknown section (expected one of {', '.join(sorted(known))})")
    if "simulation" not in raw:
        problems.append("simulation: section is required (duration at least)")
    for key, what in (
        ("queues", "queue"),
        ("agents", "agent group"),
        ("workload", "workload entry"),
    ):
        if not raw.get(key):
            problems.append(f"{key}: at least one {what} is required")


def _normalise(key: str, item: Any) -> Any:
    """Accept the short forms: ``requires = ["support"]`` means level 1 for each skill."""
    if key == "queues" and isinstance(item, dict):
        requires = item.get("requires")
        if isinstance(requires, str):
            return {**item, "requires": {requires: 1}}
        if isinstance(requires, list) and all(isinstance(r, str) for r in requires):
            return {**item, "requires": dict.fromkeys(requires, 1)}
    return item


def _structure_one(value: Any, cls: Any, path: str, problems: list[str]) -> Any:
    try:
        return _converter.structure(value, cls)
    except Exception as exc:  # cattrs raises many types; transform_error names each path
        for message in cattrs.transform_error(exc, path=path):
            what, _, where = message.rpartition(" @ ")
            problems.append(f"{where}: {_friendly(what)}" if what else message)
        return None


def _friendly(message: str) -> str:
    return message.replace("invalid value for type, expected", "wrong type, expected").replace(
        "extra fields found (perhaps)", "unknown keys"
    )


# -- validation -------------------------------------------------------------------------------
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
    known = None if "queues" in incomplete else queue_names
    for i, item in enumerate(scenario.workload):
        _check_workload(item, f"workload[{i}]", known, scenario, problems)
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
    _need(problems, sim.policy in AGENT_POLICIES, f"{where}.policy",
          f"one of {', '.join(AGENT_POLICIES)}", sim.policy)  # fmt: skip


def _check_kpis(kpis: KpiSettings, problems: Problems) -> None:
    _need(problems, kpis.preset in PRESETS, "kpis.preset", f"one of {', '.join(PRESETS)}",
          kpis.preset)  # fmt: skip
    _non_negative(problems, "kpis.short_abandon_seconds", kpis.short_abandon_seconds)
    _positive(problems, "kpis.repeat_window_hours", kpis.repeat_window_hours)
    _positive(problems, "kpis.interval_minutes", kpis.interval_minutes)


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
        for skill, level in queue.requires.items():
            _need(problems, level >= 0, f"{where}.requires.{skill}", ">= 0", level)
        _non_negative(problems, f"{where}.service_level_seconds", queue.service_level_seconds)
        _check_stages(queue, where, problems)
        _check_wrap_up(queue.wrap_up, f"{where}.wrap_up", problems)
        if queue.max_length is not None:
            _need(problems, queue.max_length >= 1, f"{where}.max_length", ">= 1", queue.max_length)
        _non_negative(problems, f"{where}.priority_weight", queue.priority_weight)
        _non_negative(problems, f"{where}.aging_per_minute", queue.aging_per_minute)
    return names


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
        _need(problems, bool(group.skills), f"{where}.skills", "at least one skill", group.skills)
        for skill, level in group.skills.items():
            _need(problems, level >= 0, f"{where}.skills.{skill}", ">= 0", level)
        for channel, slots in group.capacity.items():
            _need(problems, slots >= 0, f"{where}.capacity.{channel}", ">= 0", slots)
        _probability(problems, f"{where}.reject_probability", group.reject_probability)
        if group.reject_probability >= 1.0:
            problems.append(
                f"{where}.reject_probability: must be < 1 or no contact is ever answered"
            )
        if group.answer_delay_seconds is not None:
            _check_distribution(
                group.answer_delay_seconds, f"{where}.answer_delay_seconds", problems
            )
        for j, shift in enumerate(group.shifts):
            _check_shift(shift, f"{where}.shifts[{j}]", problems)


def _check_shift(shift: Shift, where: str, problems: Problems) -> None:
    _non_negative(problems, f"{where}.start", shift.start)
    _need(problems, shift.end > shift.start, f"{where}.end", f"> start ({shift.start})", shift.end)
    for k, pause in enumerate(shift.breaks):
        path = f"{where}.breaks[{k}]"
        _positive(problems, f"{path}.seconds", pause.seconds)
        _non_negative(problems, f"{path}.spread_seconds", pause.spread_seconds)
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
    item: Workload, where: str, queues: set[str] | None, scenario: Scenario, problems: Problems
) -> None:
    _known_queue(item.queue, f"{where}.queue", queues, problems)
    _need(problems, bool(item.segment), f"{where}.segment", "a non-empty string", item.segment)
    _non_negative(problems, f"{where}.service_level_seconds", item.service_level_seconds)
    _check_arrivals(item.arrivals, f"{where}.arrivals", scenario, problems)
    _check_distribution(item.handle_seconds, f"{where}.handle_seconds", problems)
    if item.patience_seconds is not None:
        _check_distribution(item.patience_seconds, f"{where}.patience_seconds", problems)
    if item.callback is not None:
        path = f"{where}.callback"
        _probability(problems, f"{path}.probability", item.callback.probability)
        _known_queue(item.callback.queue, f"{path}.queue", queues, problems)
        _check_distribution(item.callback.delay_seconds, f"{path}.delay_seconds", problems)
        if item.callback.patience_seconds is not None:
            _check_distribution(
                item.callback.patience_seconds, f"{path}.patience_seconds", problems
            )
        if item.patience_seconds is None:
            problems.append(
                f"{path}: needs patience_seconds (customers who never abandon never call back)"
            )
    if item.repeat is not None:
        path = f"{where}.repeat"
        _probability(problems, f"{path}.probability", item.repeat.probability)
        _need(problems, item.repeat.probability < 1, f"{path}.probability", "< 1 (else endless repeats)",
              item.repeat.probability)  # fmt: skip
        if item.repeat.queue is not None:
            _known_queue(item.repeat.queue, f"{path}.queue", queues, problems)
        _check_distribution(item.repeat.delay_seconds, f"{path}.delay_seconds", problems)
    if item.transfer is not None:
        path = f"{where}.transfer"
        _probability(problems, f"{path}.probability", item.transfer.probability)
        _known_queue(item.transfer.queue, f"{path}.queue", queues, problems)
        if item.transfer.handle_seconds is not None:
            _check_distribution(item.transfer.handle_seconds, f"{path}.handle_seconds", problems)


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
    for field in ("mean", "sd"):
        _positive(problems, f"{where}.{field}", getattr(dist, field))
    _non_negative(problems, f"{where}.value", dist.value)
    if dist.values is not None:
        if not dist.values:
            problems.append(f"{where}.values: must not be empty")
        for j, value in enumerate(dist.values):
            _non_negative(problems, f"{where}.values[{j}]", value)


def _check_skills(scenario: Scenario, problems: Problems) -> None:
    agent_skills = {skill for group in scenario.agents for skill in group.skills}
    needed = {skill for queue in scenario.queues for skill in queue.requires}
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
    servable = _servable_skills(agent_skills, scenario.substitutions)
    for i, queue in enumerate(scenario.queues):
        for skill in queue.requires:
            if skill not in servable:
                problems.append(
                    f"queues[{i}].requires.{skill}: unknown skill {skill!r} (no agent group has it or a substitute)"
                )
        if not any(group.capacity.get(queue.channel, 0) > 0 for group in scenario.agents):
            problems.append(
                f"queues[{i}].channel: no agent group has capacity on {queue.channel!r}"
            )


def _servable_skills(agent_skills: set[str], edges: tuple[Substitution, ...]) -> set[str]:
    servable = set(agent_skills)
    changed = True
    while changed:
        changed = False
        for edge in edges:
            if edge.skill in servable and edge.serves not in servable:
                servable.add(edge.serves)
                changed = True
    return servable


# -- stability ----------------------------------------------------------------------------------
def mean_of(dist: Distribution) -> float:
    """Mean of a distribution in seconds. Cost: O(1), O(n) for empirical.

    >>> mean_of(Distribution(kind="lognormal", mean=300, sd=120))
    300.0
    """
    if dist.kind == "deterministic":
        return float(dist.value or 0.0)
    if dist.kind == "empirical":
        values = dist.values or (0.0,)
        return sum(values) / len(values)
    return float(dist.mean or 0.0)


def mean_rate_per_hour(arrivals: Arrivals) -> float | None:
    """Long-run arrival rate per hour; None for traces (their length is what it is)."""
    if arrivals.kind == "poisson":
        return arrivals.per_hour
    if arrivals.kind == "piecewise" and arrivals.rates_per_hour:
        return sum(arrivals.rates_per_hour) / len(arrivals.rates_per_hour)
    return None


def stability_problems(scenario: Scenario) -> Problems:
    """Queues whose offered load (erlangs) reaches the agent slots that can serve them while no
    customer of theirs ever abandons: their waits grow without bound.

    The check is per queue against every slot on its channel that any stage can reach; it is a
    necessary condition only (shared agents are counted in full for each queue). Cost: O(Q·W + Q·G).
    """
    problems: Problems = []
    for i, queue in enumerate(scenario.queues):
        items = [w for w in scenario.workload if w.queue == queue.name]
        if not items or any(w.patience_seconds is not None for w in items):
            continue
        rates = [(mean_rate_per_hour(w.arrivals), mean_of(w.handle_seconds)) for w in items]
        if any(rate is None for rate, _ in rates):
            continue
        load = sum((rate or 0.0) / 3600.0 * handle for rate, handle in rates)
        slots = sum(
            group.count * group.capacity.get(queue.channel, 0)
            for group in scenario.agents
            if _group_can_serve(group, queue, scenario)
        )
        if load >= slots:
            problems.append(
                f"queues[{i}]: unstable: offered load {load:.1f} erlangs >= {slots} agent slots able "
                f"to serve {queue.name!r}, and no workload of it has patience_seconds (waits grow without bound)"
            )
    return problems


def _group_can_serve(group: AgentGroup, queue: QueueConfig, scenario: Scenario) -> bool:
    if group.capacity.get(queue.channel, 0) <= 0:
        return False
    if queue.stages and queue.stages[-1].max_cost is None:
        return True
    reach = _servable_skills(set(group.skills), scenario.substitutions)
    return all(skill in reach for skill in queue.requires)
