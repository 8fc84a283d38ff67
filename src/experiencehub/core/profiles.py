"""Routing profiles and contact selection: which queues an agent serves, in which order, after
which delay — and the pluggable rule that picks the contact a freed agent takes.

A :class:`RoutingProfile` lists the queues an agent serves, each with a ``priority`` (1 is served
first) and a ``delay`` (seconds a contact must have waited before it is routed to this agent). An
agent with a profile serves only the queues it lists (and only those its skills make it eligible
for). Without a profile an agent serves every queue its skills allow, with no delay.

A :class:`ContactSelection` ranks the contacts a freed agent may take. ``key`` receives the
profile priority of the contact's queue (1 for an agent without a profile) and the contact's
rank ``(-effective priority, enqueued_at, seq)``; the smallest key wins. The built-ins:

- ``"priority_then_wait"`` (the default): highest effective priority, then longest wait — the
  router's rule without profiles; a profile then restricts queues and delays only.
- ``"profile_priority"``: the lowest profile priority among queues with an eligible contact
  first, then the default order.

The router uses one per Router (``Router(contact_selection=...)``); a profile may name another
for its agent (``RoutingProfile(..., selection=...)``).

>>> p = RoutingProfile(queues={"billing": {"priority": 1}, "sales": {"priority": 2, "delay": 30}})
>>> p.queues["sales"]
ProfileQueue(priority=2, delay=30.0)
>>> ProfileOrder().key(2, (-1.0, 5.0, 7)) > ProfileOrder().key(1, (-0.0, 9.0, 8))
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from . import _validators as v
from .errors import ConfigError, InvalidEvent

__all__ = [
    "SELECTIONS",
    "ContactSelection",
    "PriorityThenWait",
    "ProfileOrder",
    "ProfileQueue",
    "RoutingProfile",
    "make_selection",
]

NOT_LISTED = "not in its routing profile"

MAX_PROFILE_PRIORITY = 1_000_000
"""Largest profile priority (Amazon Connect allows 1 to 99; a generous, bounded range)."""


class ContactSelection(Protocol):
    """Ranks the contacts a freed agent may take; the smallest key wins. ``key`` must only read
    its arguments: ``profile_priority`` (1 without a profile) and ``rank``, the contact's
    ``(-effective priority, enqueued_at, seq)`` (seq is unique, so keys ending in it are total).
    """

    name: str

    def key(self, profile_priority: int, rank: tuple[float, float, int]) -> tuple[float, ...]:
        """The contact's sort key for this agent (smaller is better). Cost: O(1) for the
        built-in selections."""
        ...


class PriorityThenWait:
    """Highest effective priority, then longest wait, then arrival order (the default)."""

    name = "priority_then_wait"

    def key(self, profile_priority: int, rank: tuple[float, float, int]) -> tuple[float, ...]:
        """Cost: O(1)."""
        return rank


class ProfileOrder:
    """Lowest profile priority first, then the default order."""

    name = "profile_priority"

    def key(self, profile_priority: int, rank: tuple[float, float, int]) -> tuple[float, ...]:
        """Cost: O(1)."""
        return (profile_priority, *rank)


SELECTIONS: dict[str, type[ContactSelection]] = {
    "priority_then_wait": PriorityThenWait,
    "profile_priority": ProfileOrder,
}
"""The built-in contact selections by name."""


def make_selection(selection: str | ContactSelection) -> ContactSelection:
    """A selection object from its name (or the object itself); ConfigError for an unknown
    name. Cost: O(1).

    >>> make_selection("profile_priority").name
    'profile_priority'
    """
    if not isinstance(selection, str):
        return selection
    factory = SELECTIONS.get(selection)
    if factory is None:
        raise ConfigError(
            f"contact_selection={selection!r}: unknown; choose one of {', '.join(SELECTIONS)}"
        )
    made: ContactSelection = factory()
    return made


def _profile_priority(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(f"{attr.name}={value!r}: must be an integer")
    if not 1 <= value <= MAX_PROFILE_PRIORITY:
        raise InvalidEvent(f"{attr.name}={value!r}: must be >= 1 and <= {MAX_PROFILE_PRIORITY}")


def _delay(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidEvent(f"{attr.name}={value!r}: must be a number of seconds")
    if not 0 <= value <= v.MAX_SECONDS:
        raise InvalidEvent(f"{attr.name}={value!r}: must be finite, >= 0 and <= {v.MAX_SECONDS:g}")


def _seconds(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


@attrs.frozen(kw_only=True, slots=True)
class ProfileQueue:
    """One queue of a routing profile: its ``priority`` (1 first) and ``delay`` in seconds."""

    priority: int = attrs.field(default=1, validator=_profile_priority)
    delay: float = attrs.field(default=0.0, converter=_seconds, validator=_delay)


def _profile_queues(value: Any) -> Any:
    """Converter: queue name → ProfileQueue (a mapping of its fields is accepted), frozen."""
    if not isinstance(value, Mapping):
        return value
    return v.FrozenDict(
        {
            name: ProfileQueue(**entry)
            if isinstance(entry, Mapping) and set(entry) <= {"priority", "delay"}
            else entry
            for name, entry in value.items()
        }
    )


def _check_queues(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Mapping) or not value:
        raise InvalidEvent(f"{attr.name}={value!r}: must be a non-empty mapping of queue names")
    for name, entry in value.items():
        if type(name) is not str or not name:
            raise InvalidEvent(f"{attr.name}: key {name!r} must be a non-empty queue name")
        if not isinstance(entry, ProfileQueue):
            raise InvalidEvent(
                f"{attr.name}[{name!r}]={entry!r}: must be a ProfileQueue or a mapping of "
                "priority and delay"
            )


def _selection_name(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value not in SELECTIONS:
        raise InvalidEvent(f"{attr.name}={value!r}: must be None or one of {', '.join(SELECTIONS)}")


@attrs.frozen(kw_only=True, slots=True)
class RoutingProfile:
    """The queues an agent serves, each with a priority (1 first) and a delay (seconds a
    contact must have waited before it is routed to this agent); ``selection`` names the
    agent's contact selection (None: the router's).

    >>> RoutingProfile(queues={"billing": {"priority": 1, "delay": 0}})
    RoutingProfile(queues={'billing': ProfileQueue(priority=1, delay=0.0)}, selection=None)
    """

    queues: Mapping[str, ProfileQueue] = attrs.field(
        converter=_profile_queues, validator=_check_queues
    )
    selection: str | None = attrs.field(default=None, validator=_selection_name)

    def delay(self, queue: str) -> float:
        """The delay for ``queue`` (infinite when the profile does not list it). Cost: O(1)."""
        entry = self.queues.get(queue)
        return math.inf if entry is None else entry.delay

    def why_not(self, queue: str, enqueued_at: float, now: float) -> str | None:
        """Why the profile keeps its agent from a contact of ``queue`` enqueued at
        ``enqueued_at`` (a phrase ``explain`` shows), or None when it does not: the rule's one
        home (the pools compare ``enqueued_at + delay <= now`` the same way). Cost: O(1).

        >>> p = RoutingProfile(queues={"sales": {"priority": 2, "delay": 30}})
        >>> p.why_not("billing", 0.0, 5.0), p.why_not("sales", 0.0, 5.0), p.why_not("sales", 0.0, 30.0)
        ('not in its routing profile', 'routing profile delay 30s for sales not yet waited', None)
        """
        entry = self.queues.get(queue)
        if entry is None:
            return NOT_LISTED
        if enqueued_at + entry.delay > now:
            return f"routing profile delay {entry.delay:g}s for {queue} not yet waited"
        return None

    def priority(self, queue: str) -> int:
        """The priority of ``queue`` (one past the largest when not listed). Cost: O(1)."""
        entry = self.queues.get(queue)
        return MAX_PROFILE_PRIORITY + 1 if entry is None else entry.priority
