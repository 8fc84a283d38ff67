"""Scenario keys changed by dotted path: ``--set agents.billing.count=6..12`` and its values.

This module owns the *names* of scenario keys outside a file and the grammar of swept values: a
dotted path (``simulation.policy``, ``agents.billing.count``, ``agents[0].count``; a list entry by
its name — queue ``name``, agent ``group``, workload ``queue``, ask ``fact``, substitution
``skill`` — or by index), and values written as an integer range ``a..b`` (inclusive, optional
step ``a..b..s``) or a comma list of TOML values (a word that is not TOML is a string). It changes
plain scenario data (:func:`~experiencehub.sim.scenario.scenario_to_dict`) and leaves every rule
about what a valid scenario is to :mod:`.scenario`; it never simulates.

>>> axis = parse_setting("agents.billing.count=6..12..3")
>>> axis.path, axis.values
('agents.billing.count', (6, 9, 12))
>>> raw = {"agents": [{"group": "billing", "count": 4}]}
>>> with_value(raw, "agents.billing.count", 9)["agents"], raw["agents"][0]["count"]
([{'group': 'billing', 'count': 9}], 4)
"""

from __future__ import annotations

import copy
import importlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..core.errors import ConfigError

__all__ = [
    "Axis",
    "OverrideError",
    "axes_from_mapping",
    "format_value",
    "parse_setting",
    "with_value",
]

NAME_KEYS = ("name", "group", "queue", "fact", "skill")
"""Keys that name a list entry, in the order looked for: the first one an entry has is its name."""

FIXED_PATHS = {
    "simulation.seed": "give --seed (seed=); every point runs the same seeds so differences pair",
    "simulation.replications": (
        "give --replications (replications=); every point runs as many replications so "
        "differences pair"
    ),
}
"""Paths a sweep refuses to vary, and why."""

_RANGE = re.compile(r"\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?:\.\.\s*(\d+)\s*)?")
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PATH = re.compile(r"[^.\[\]]+(?:\[\d+\])*(?:\.[^.\[\]]+(?:\[\d+\])*)*")
_OPENERS = {"[": "]", "{": "}"}


class OverrideError(ConfigError):
    """A ``--set`` (or a key of a sweep's mapping) that cannot apply; ``problems`` lists each as
    ``"--set TEXT: what is wrong"``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@attrs.frozen
class Axis:
    """One swept key: its dotted ``path``, the ``values`` it takes in order, and ``source``, how
    the user wrote it (named in errors)."""

    path: str
    values: tuple[Any, ...]
    source: str


def parse_setting(text: str) -> Axis:
    """``PATH=VALUES`` as given to ``--set``: an integer range ``a..b`` or ``a..b..s`` (both ends
    included) or a comma list of TOML values; a bare word is a string. Raises
    :class:`OverrideError` naming ``text`` and the rule. Cost: O(len(text) + values).

    >>> parse_setting("simulation.policy=longest_idle,most_proficient").values
    ('longest_idle', 'most_proficient')
    >>> parse_setting("queues.support.requires={ support = 2 },[\\"support\\"]").values
    ({'support': 2}, ['support'])
    >>> parse_setting("agents.a.count=5..1")
    Traceback (most recent call last):
    ...
    experiencehub.sim.overrides.OverrideError: --set agents.a.count=5..1: a range a..b needs a <= b, got 5..1
    """
    where = f"--set {text}"
    path, equals, values = text.partition("=")
    path = path.strip()
    if not equals or not path or not values.strip():
        raise OverrideError([f"{where}: expected PATH=VALUES, e.g. agents.billing.count=6..12"])
    _check_path(path, where)
    return Axis(path, _parse_values(values, where), where)


def axes_from_mapping(grid: Mapping[str, Any]) -> list[Axis]:
    """Axes of a Python sweep: path → an iterable of values (a ``range``, a list) or one value (a
    string counts as one value). Raises :class:`OverrideError`. Cost: O(values).

    >>> [(a.path, a.values) for a in axes_from_mapping({"agents.g.count": range(1, 3), "simulation.policy": "random"})]
    [('agents.g.count', (1, 2)), ('simulation.policy', ('random',))]
    """
    axes = []
    for path, given in grid.items():
        where = f"{path!r}"
        _check_path(path, where)
        values = _as_values(given)
        if not values:
            raise OverrideError([f"{where}: no values to sweep"])
        axes.append(Axis(path, values, where))
    return axes


def with_value(raw: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of scenario data with the key at ``path`` set to ``value`` (missing tables on
    the way are created; whether the key is known is the scenario's rule, checked when the copy is
    loaded). Raises :class:`OverrideError` when the path does not lead anywhere. Cost: O(size of
    ``raw``).

    >>> with_value({"queues": [{"name": "q"}]}, "queues[0].stages", [{"after": 0}])
    {'queues': [{'name': 'q', 'stages': [{'after': 0}]}]}
    >>> with_value({"agents": [{"group": "g"}]}, "agents.h.count", 2)
    Traceback (most recent call last):
    ...
    experiencehub.sim.overrides.OverrideError: agents.h.count: no entry of agents is named 'h' (names: g)
    """
    copied = copy.deepcopy(dict(raw))
    segments = _segments(path)
    node: Any = copied
    where = ""
    for segment in segments[:-1]:
        node, where = _child(node, segment, where, path)
    _assign(node, segments[-1], copy.deepcopy(value), where, path)
    return copied


def format_value(value: Any) -> str:
    """A value as ``--set`` takes it: TOML, except that a string on its own is a bare word.
    Cost: O(size of the value).

    >>> format_value({"kind": "exponential", "mean": 90}), format_value([1, "a"]), format_value(True)
    ('{ kind = "exponential", mean = 90 }', '[1, "a"]', 'true')
    >>> format_value("longest_idle")
    'longest_idle'
    """
    return value if isinstance(value, str) else _toml(value)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


# -- paths ----------------------------------------------------------------------------------------
def _check_path(path: str, where: str) -> None:
    if not isinstance(path, str) or not _segments(path):
        raise OverrideError(
            [f"{where}: {path!r} is not a dotted key path like agents.billing.count"]
        )
    rebuilt = ".".join(str(s) for s in _segments(path))
    if rebuilt in FIXED_PATHS:
        raise OverrideError([f"{where}: {rebuilt} cannot be swept: {FIXED_PATHS[rebuilt]}"])


def _segments(path: str) -> list[str | int]:
    """``agents[0].count`` and ``agents.0.count`` → ['agents', 0, 'count']; [] when malformed."""
    if not _PATH.fullmatch(path):
        return []
    segments: list[str | int] = []
    for match in _SEGMENT.finditer(path):
        name, index = match.groups()
        segments.append(int(index) if index is not None else name.strip())
    return segments


def _child(node: Any, segment: str | int, where: str, path: str) -> tuple[Any, str]:
    if isinstance(node, list):
        index = _entry(node, segment, where, path)
        return node[index], f"{where}[{index}]"
    key = str(segment)
    here = f"{where}.{key}" if where else key
    if not isinstance(node, dict):
        raise OverrideError([f"{path}: {where} is a value ({node!r}), not a table or list"])
    if node.get(key) is None:
        node[key] = {}
    return node[key], here


def _assign(node: Any, segment: str | int, value: Any, where: str, path: str) -> None:
    if isinstance(node, list):
        node[_entry(node, segment, where, path)] = value
    elif isinstance(node, dict):
        node[str(segment)] = value
    else:
        raise OverrideError([f"{path}: {where} is a value ({node!r}), not a table or list"])


def _entry(items: list[Any], segment: str | int, where: str, path: str) -> int:
    """The index of a list entry named by its index or by its name (see :data:`NAME_KEYS`)."""
    if isinstance(segment, int) or segment.isdigit():
        index = int(segment)
        if index >= len(items):
            raise OverrideError([f"{path}: {where} has {len(items)} entries, no [{index}]"])
        return index
    names = [_name_of(item) for item in items]
    matches = [i for i, name in enumerate(names) if name == segment]
    if not matches:
        known = ", ".join(str(n) for n in names if n is not None) or "none; use an index"
        raise OverrideError([f"{path}: no entry of {where} is named {segment!r} (names: {known})"])
    if len(matches) > 1:
        found = ", ".join(f"{where}[{i}]" for i in matches)
        raise OverrideError([f"{path}: {segment!r} names {found}; use an index"])
    return matches[0]


def _name_of(item: Any) -> Any:
    if not isinstance(item, dict):
        return None
    return next((item[key] for key in NAME_KEYS if key in item), None)


# -- values ---------------------------------------------------------------------------------------
def _as_values(given: Any) -> tuple[Any, ...]:
    if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Iterable):
        return (given,)
    return tuple(given)


def _parse_values(text: str, where: str) -> tuple[Any, ...]:
    ranged = _RANGE.fullmatch(text)
    if ranged:
        return _range(ranged, where)
    parts = _split_top_level(text)
    if any(not part.strip() for part in parts):
        raise OverrideError([f"{where}: an empty value in the comma list"])
    return tuple(_literal(part.strip()) for part in parts)


def _range(match: re.Match[str], where: str) -> tuple[int, ...]:
    low, high = int(match.group(1)), int(match.group(2))
    step = int(match.group(3) or 1)
    if low > high:
        raise OverrideError([f"{where}: a range a..b needs a <= b, got {low}..{high}"])
    if step < 1:
        raise OverrideError([f"{where}: a range's step a..b..s must be >= 1, got {step}"])
    return tuple(range(low, high + 1, step))


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets, braces and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in _OPENERS:
            depth += 1
        elif char in _OPENERS.values():
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _literal(text: str) -> Any:
    """A TOML value (``8``, ``0.5``, ``true``, ``"x"``, ``[1, 2]``, ``{ a = 1 }``), else the text."""
    module = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        return module.loads(f"value = {text}")["value"]
    except ValueError:  # tomllib.TOMLDecodeError derives from ValueError
        return text
