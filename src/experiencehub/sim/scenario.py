"""Scenario files: TOML → attrs objects (via cattrs), validated with every problem's key path.

This module owns reading a scenario: TOML parsed, structured into the classes of
:mod:`.scenario_types` (re-exported here, where users import them from) and validated by
:mod:`.checks`. It never simulates and never routes.
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
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import GenericAlias
from typing import Any, get_args, get_origin

import attrs
import cattrs

from ..core.errors import ConfigError
from .checks import AGENT_POLICIES, mean_of, validate
from .scenario_types import (
    AgentGroup,
    Arrivals,
    Ask,
    Break,
    Callback,
    ChannelPreference,
    Consult,
    ContextSettings,
    CriteriaConfig,
    CriteriaStepConfig,
    Distribution,
    Ivr,
    KpiSettings,
    QueueChange,
    QueueConfig,
    QueuedCallback,
    Repeat,
    Scenario,
    SelfService,
    Shift,
    Simulation,
    SkillChange,
    StageConfig,
    Substitution,
    Transfer,
    Unresolved,
    Workload,
    WrapUpConfig,
)
from .strict import format_problem, register_strict_scalars

__all__ = [
    "AGENT_POLICIES",
    "AgentGroup",
    "Arrivals",
    "Ask",
    "Break",
    "Callback",
    "ChannelPreference",
    "Consult",
    "ContextSettings",
    "CriteriaConfig",
    "CriteriaStepConfig",
    "Distribution",
    "Ivr",
    "KpiSettings",
    "QueueChange",
    "QueueConfig",
    "QueuedCallback",
    "Repeat",
    "Scenario",
    "ScenarioError",
    "ScenarioFileError",
    "SelfService",
    "Shift",
    "Simulation",
    "SkillChange",
    "StageConfig",
    "Substitution",
    "Transfer",
    "Unresolved",
    "Workload",
    "WrapUpConfig",
    "checked_scenario",
    "load_scenario",
    "load_scenario_text",
    "mean_of",
    "scenario_to_dict",
]


class ScenarioError(ConfigError):
    """A scenario file has problems; ``problems`` lists each as ``"key.path: what is expected"``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in {source}:\n{lines}")


class ScenarioFileError(ScenarioError):
    """The scenario file itself cannot be read: missing, unreadable, or not UTF-8 text."""


# -- loading (the classes are in .scenario_types) ---------------------------------------------
_converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
register_strict_scalars(_converter)


def _is_list_field(cls: Any) -> bool:
    """``tuple[X, ...]``: what a TOML array becomes."""
    args = get_args(cls)
    return get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _structure_list(value: Any, cls: Any) -> tuple[Any, ...]:
    # cattrs turns any iterable into a tuple, so "chat" would become ("c", "h", "a", "t").
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a list, got {value!r}")
    as_list: Any = GenericAlias(list, get_args(cls)[:1])  # list[X]: detailed errors per index
    items: list[Any] = _converter.structure(value, as_list)
    return tuple(items)


_converter.register_structure_hook_func(_is_list_field, _structure_list)
_SECTIONS: dict[str, Any] = {
    "simulation": Simulation,
    "kpis": KpiSettings,
    "context": ContextSettings,
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
        raise ScenarioFileError(str(path), [f"file: cannot read ({exc.strerror or exc})"]) from exc
    except UnicodeDecodeError as exc:
        why = f"file: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        raise ScenarioFileError(str(path), [why]) from exc
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


def checked_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` checked as a file would be (types, ranges, names, stability), however it was
    built; an equal copy with immutable containers, or a :class:`ScenarioError` listing every
    problem. The simulator's entry points call it. Cost: O(size of the scenario).

    >>> tiny = load_scenario_text(_EXAMPLE)
    >>> checked_scenario(tiny) == tiny
    True
    >>> broken = attrs.evolve(tiny, agents=(attrs.evolve(tiny.agents[0], count=-3),))
    >>> checked_scenario(broken)
    Traceback (most recent call last):
    ...
    experiencehub.sim.scenario.ScenarioError: 1 problem in scenario 'scenario':
      agents[0].count: must be >= 1, got -3
    """
    raw = _converter.unstructure(scenario)
    name, base_dir = raw.pop("name", scenario.name), raw.pop("base_dir", scenario.base_dir)
    source = f"scenario {scenario.name!r}"
    return scenario_from_dict(raw, source=source, base_dir=base_dir, name=name)


_EXAMPLE = """
[simulation]
duration = 600
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


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data (what TOML parses to, ``base_dir`` left out), such that
    ``scenario_from_dict(scenario_to_dict(s), base_dir=s.base_dir) == s``; a sweep changes keys in
    it and validates the result again. Cost: O(size of the scenario).

    >>> from experiencehub.sim.runs import _TINY
    >>> s = load_scenario_text(_TINY)
    >>> scenario_from_dict(scenario_to_dict(s)) == s, scenario_to_dict(s)["agents"][0]["count"]
    (True, 1)
    """
    raw: dict[str, Any] = _converter.unstructure(scenario)
    raw.pop("base_dir")
    return raw


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
            if value is None:
                incomplete.add(key)
            else:
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
    """Accept the short forms: ``requires = ["support"]`` means level 1 for each skill, in a
    queue and in each of its ``changes``."""
    if key == "queues" and isinstance(item, dict):
        item = _short_requires(item)
        changes = item.get("changes")
        if isinstance(changes, list):
            item = {**item, "changes": [_short_requires(c) for c in changes]}
    return item


def _short_requires(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
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
        for message in cattrs.transform_error(exc, path=path, format_exception=format_problem):
            what, _, where = message.rpartition(" @ ")
            problems.append(f"{_dotted(where)}: {_friendly(what)}" if what else message)
        return None


_MAPPING_KEY = re.compile(r"\['([^'\]]*)'\]")


def _dotted(path: str) -> str:
    """``agents[0].capacity['phone']`` → ``agents[0].capacity.phone``, as the checks write it."""
    return _MAPPING_KEY.sub(r".\1", path)


def _friendly(message: str) -> str:
    for cattrs_says, we_say in (
        ("invalid value for type, expected tuple", "wrong type, expected a list"),
        ("invalid value for type, expected", "wrong type, expected"),
        ("extra fields found (perhaps)", "unknown keys"),
    ):
        message = message.replace(cattrs_says, we_say)
    return message
