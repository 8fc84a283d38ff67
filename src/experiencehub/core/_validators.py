"""Small reusable attrs validators shared by events and decisions (private).

They raise :class:`~experiencehub.core.errors.InvalidEvent`, naming the field, the value and the rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from .errors import InvalidEvent

CHANNELS = ("phone", "chat", "email")
"""Channels the core knows by default; others may be added through capacities and rules."""


def time_seconds(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A finite, non-negative number of seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidEvent(f"{attr.name}={value!r}: must be a number of seconds")
    if not math.isfinite(value) or value < 0:
        raise InvalidEvent(f"{attr.name}={value!r}: must be finite and >= 0")


def optional_time_seconds(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        time_seconds(inst, attr, value)


def identifier(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A non-empty string id."""
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{attr.name}={value!r}: must be a non-empty string")


def optional_identifier(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        identifier(inst, attr, value)


def integer(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(f"{attr.name}={value!r}: must be an integer")


def levels(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A mapping of non-empty names to integer levels >= 0 (skills, capacities)."""
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"{attr.name}={value!r}: must be a mapping of name to integer")
    for name, level in value.items():
        if not isinstance(name, str) or not name:
            raise InvalidEvent(f"{attr.name}: key {name!r} must be a non-empty string")
        if isinstance(level, bool) or not isinstance(level, int) or level < 0:
            raise InvalidEvent(f"{attr.name}[{name!r}]={level!r}: must be an integer >= 0")


def one_of(*allowed: str) -> Any:
    def check(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            raise InvalidEvent(f"{attr.name}={value!r}: must be one of {', '.join(allowed)}")

    return check


def string_tuple(value: Any) -> tuple[str, ...]:
    """Converter: any iterable of ids to a tuple (a lone string is one id, not characters)."""
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def plain_dict(value: Any) -> Any:
    """Converter: copy a mapping so later changes by the caller cannot reach inside an event."""
    return dict(value) if isinstance(value, Mapping) else value
