"""Strict scalars for scenario files: a number is a number, a flag is a flag, a name is a string.

cattrs' default hooks call ``int(value)``, ``float(value)``, ``bool(value)`` and ``str(value)``, so
``count = "8"``, ``count = 12.5`` (read as 12), ``count = true`` (read as 1), ``seed = 11.9`` and
``per_hour = true`` would be taken silently. This module owns the hooks that refuse them, and the
formatter that turns their refusal into a readable problem; :mod:`.scenario` registers both. It
never reads files.

An integer field takes an integer, or a float with no fractional part (``count = 12.0``); a float
field takes an integer or a float; neither takes a boolean or a string.

>>> structure_int(12.0, int), structure_float(3, float)
(12, 3.0)
>>> structure_int(12.5, int)
Traceback (most recent call last):
...
experiencehub.sim.strict.WrongType: must be an integer, got 12.5
>>> structure_float(True, float)
Traceback (most recent call last):
...
experiencehub.sim.strict.WrongType: must be a number, got true (a boolean)
"""

from __future__ import annotations

from typing import Any

import cattrs
from cattrs.v import format_exception

__all__ = [
    "WrongType",
    "format_problem",
    "register_strict_scalars",
    "structure_bool",
    "structure_float",
    "structure_int",
    "structure_str",
]


class WrongType(TypeError):
    """A scenario value of the wrong type; the message says what was expected and what came."""


def _shown(value: Any) -> str:
    """A value as the TOML file wrote it, with its kind when that is the surprise."""
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, (list, tuple)):
        return f"{list(value)!r} (a list)"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def structure_int(value: Any, _cls: Any = int) -> int:
    """An integer, or an integral float; never a boolean or a string. Cost: O(1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise WrongType(f"must be an integer, got {_shown(value)}")


def structure_float(value: Any, _cls: Any = float) -> float:
    """An integer or a float, as a float; never a boolean or a string. Cost: O(1)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise WrongType(f"must be a number, got {_shown(value)}")


def structure_bool(value: Any, _cls: Any = bool) -> bool:
    """``true`` or ``false``; never ``"yes"`` or ``1``. Cost: O(1)."""
    if isinstance(value, bool):
        return value
    raise WrongType(f"must be true or false, got {_shown(value)}")


def structure_str(value: Any, _cls: Any = str) -> str:
    """A string; never a number made into one. Cost: O(1)."""
    if isinstance(value, str):
        return value
    raise WrongType(f"must be a string, got {_shown(value)}")


def register_strict_scalars(converter: cattrs.Converter) -> None:
    """Make ``converter`` refuse wrong scalar types (see the module docstring). Cost: O(1)."""
    converter.register_structure_hook(int, structure_int)
    converter.register_structure_hook(float, structure_float)
    converter.register_structure_hook(bool, structure_bool)
    converter.register_structure_hook(str, structure_str)


def format_problem(exc: BaseException, cls: Any) -> str:
    """cattrs' message for one error, or ours for a :class:`WrongType`. Cost: O(1)."""
    if isinstance(exc, WrongType):
        return str(exc)
    return format_exception(exc, cls)
