"""Small reusable attrs validators and converters shared by events and decisions (private).

Validators raise :class:`~experiencehub.core.errors.InvalidEvent`, naming the field, the value and
the rule. Converters make validated containers immutable (:class:`FrozenDict`, tuples), so a value
cannot change after it was checked.

The bounds below exist so that no arithmetic the router does on valid inputs can overflow: an
event time plus a configured duration stays finite (and exact to about 0.25 ms), and an effective
priority ``priority_weight·priority + aging·minutes`` stays a finite float.

>>> FrozenDict({"s": 2})
{'s': 2}
>>> FrozenDict({"s": 2})["s"] = 3
Traceback (most recent call last):
...
TypeError: FrozenDict is immutable (a validated value cannot change)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import attrs

from .errors import InvalidEvent

CHANNELS = ("phone", "chat", "email")
"""Channels the core knows by default; others may be added through capacities and rules."""

MAX_SECONDS = 1e12
"""Latest event time and longest configured duration, in seconds (about 31,700 years: a Unix
timestamp fits, and event time + duration ≤ 2e12 is finite and exact to about 0.25 ms)."""

MAX_PRIORITY = 2**53
"""Largest ``|priority|`` of a contact (every integer up to it is exact as a float)."""

MAX_WEIGHT = 2.0**53
"""Largest ``priority_weight`` and ``aging_per_minute`` of a queue: with ``MAX_PRIORITY`` and
``MAX_SECONDS`` an effective priority is at most about 2**106, far from overflowing."""

MAX_REASON_LENGTH = 200
"""Longest status ``reason`` (characters): it is a label shown on a desktop, not a document."""

_MAX_NESTING = 32  # attribute values nested deeper are refused (and cycles cannot recurse forever)


class FrozenDict(dict[Any, Any]):
    """A dict that cannot change after construction, hashable when its values are.

    Speed trick: a ``dict`` subclass (not a Mapping wrapper) so reads stay C-speed and ``repr``
    is a plain dict literal, valid Python to paste into a test. Only the mutators are blocked.
    """

    __slots__ = ("_hash",)

    _hash: int | None

    def __new__(cls, *args: Any, **kwargs: Any) -> FrozenDict:
        self = dict.__new__(cls)
        dict.__init__(self, *args, **kwargs)  # fills once; a second __init__ call is a no-op
        self._hash = None
        return self

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def _immutable(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        raise TypeError("FrozenDict is immutable (a validated value cannot change)")

    __setitem__ = __delitem__ = _immutable
    clear = pop = popitem = setdefault = update = _immutable
    __ior__ = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        if self._hash is None:
            self._hash = hash(frozenset(self.items()))
        return self._hash

    @classmethod
    def fromkeys(cls, keys: Iterable[Any], value: Any = None, /) -> FrozenDict:
        return cls(dict.fromkeys(keys, value))

    def __reduce__(self) -> tuple[Any, ...]:  # pickle and copy rebuild it whole
        return (type(self), (dict(self),))

    def copy(self) -> dict[Any, Any]:
        """A plain, mutable copy."""
        return dict(self)


EMPTY: FrozenDict = FrozenDict()
"""The shared empty FrozenDict (immutable, so one is enough)."""


def empty_map() -> FrozenDict:
    """Factory for an empty mapping field."""
    return EMPTY


def frozen_map(value: Any) -> Any:
    """Converter: a copy of a mapping as a FrozenDict, so later changes by the caller cannot reach
    inside a validated value (anything else is left for the validator to refuse)."""
    if isinstance(value, FrozenDict):
        return value
    return FrozenDict(value) if isinstance(value, Mapping) else value


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def time_seconds(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A finite, non-negative number of seconds (decisions: an expiry may lie past MAX_SECONDS)."""
    if not _number(value):
        raise InvalidEvent(f"{attr.name}={value!r}: must be a number of seconds")
    if not math.isfinite(value) or value < 0:
        raise InvalidEvent(f"{attr.name}={value!r}: must be finite and >= 0")


def event_time(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """An event time: a number of seconds, 0 <= value <= MAX_SECONDS (so finite)."""
    if not _number(value):
        raise InvalidEvent(f"{attr.name}={value!r}: must be a number of seconds")
    if not 0 <= value <= MAX_SECONDS:  # also refuses NaN
        raise InvalidEvent(f"{attr.name}={value!r}: must be finite, >= 0 and <= {MAX_SECONDS:g}")


def optional_time_seconds(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        time_seconds(inst, attr, value)


def identifier(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A non-empty ``str`` id (exactly ``str``: a subclass could redefine hashing or equality)."""
    if type(value) is not str or not value:
        raise InvalidEvent(f"{attr.name}={value!r}: must be a non-empty string")


def optional_identifier(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        identifier(inst, attr, value)


def identifiers(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A tuple of non-empty ``str`` ids."""
    if not isinstance(value, tuple):
        raise InvalidEvent(f"{attr.name}={value!r}: must be a list of ids")
    for item in value:
        if type(item) is not str or not item:
            raise InvalidEvent(f"{attr.name}: {item!r} must be a non-empty string id")


def priority(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """An integer with ``|value| <= MAX_PRIORITY``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(f"{attr.name}={value!r}: must be an integer")
    if not -MAX_PRIORITY <= value <= MAX_PRIORITY:
        raise InvalidEvent(f"{attr.name}={value!r:.40}: must lie within ±2**53")


def reason(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """None, or a string of at most MAX_REASON_LENGTH characters."""
    if value is None:
        return
    if type(value) is not str or len(value) > MAX_REASON_LENGTH:
        raise InvalidEvent(
            f"{attr.name}={value!r:.60}: must be None or a string of at most "
            f"{MAX_REASON_LENGTH} characters"
        )


def levels(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A mapping of non-empty names to integer levels >= 0 (skills, capacities)."""
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"{attr.name}={value!r}: must be a mapping of name to integer")
    for name, level in value.items():
        if type(name) is not str or not name:
            raise InvalidEvent(f"{attr.name}: key {name!r} must be a non-empty string")
        if isinstance(level, bool) or not isinstance(level, int) or level < 0:
            raise InvalidEvent(f"{attr.name}[{name!r}]={level!r}: must be an integer >= 0")


def one_of(*allowed: str) -> Any:
    def check(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            raise InvalidEvent(f"{attr.name}={value!r}: must be one of {', '.join(allowed)}")

    return check


def string_tuple(value: Any) -> Any:
    """Converter: any iterable of ids to a tuple (a lone string is one id, not characters);
    anything else is left for the validator to refuse."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return value
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return tuple(value)
    return value


def frozen_attributes(value: Any) -> Any:
    """Converter: a mapping of attributes, deep-frozen. Lists and tuples become tuples, sets
    frozensets and mappings FrozenDicts, at any depth, so the whole value is immutable and
    hashable (JSON values fit as they are). Anything else is left for the validator."""
    if not isinstance(value, Mapping):
        return value
    if isinstance(value, FrozenDict) and _hashable(value):
        return value  # already frozen (e.g. copied by attrs.evolve)
    return FrozenDict({key: _freeze(item, key, 1) for key, item in value.items()})


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _freeze(value: Any, where: object, depth: int) -> Any:
    if depth > _MAX_NESTING:
        raise InvalidEvent(f"attributes[{where!r}]: nested more than {_MAX_NESTING} deep")
    if isinstance(value, (str, bytes, int, float, type(None))):
        return value
    if isinstance(value, Mapping):
        return FrozenDict({k: _freeze(v, where, depth + 1) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, where, depth + 1) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(value)
    if not _hashable(value):
        raise InvalidEvent(
            f"attributes[{where!r}]={value!r:.60}: must be hashable (or a list, set or mapping)"
        )
    return value


def attributes(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A mapping with non-empty string keys (values were frozen by :func:`frozen_attributes`)."""
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"{attr.name}={value!r:.60}: must be a mapping of name to value")
    for key in value:
        if type(key) is not str or not key:
            raise InvalidEvent(f"{attr.name}: key {key!r} must be a non-empty string")
