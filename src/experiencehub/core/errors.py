"""Typed errors of the routing core.

Every error says whose fault it was (the caller's event, or the configuration), names the value
and the rule it broke. A rejected event changes nothing but the passing of time: the router is
left exactly as after ``Tick(at=event.at)``, and the error's ``decisions`` are what those
deadlines decided (a tuple, empty when none were due), for the caller to carry out.

>>> raise UnknownAgent("a7: no agent with this id is logged in")
Traceback (most recent call last):
...
experiencehub.core.errors.UnknownAgent: a7: no agent with this id is logged in
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .decisions import Decision

__all__ = [
    "CallerError",
    "CapacityExceeded",
    "ClockWentBackwards",
    "ConfigError",
    "DuplicateId",
    "InvalidEvent",
    "InvalidTransition",
    "OfferNotFound",
    "RouterFailed",
    "RoutingError",
    "UnknownAgent",
    "UnknownContact",
    "UnknownQueue",
]


class RoutingError(Exception):
    """Base class of every error the router raises.

    ``decisions``: decisions the router made before it raised (deadlines due at or before the
    rejected event's time), in order; carry them out as if ``handle`` had returned them. Empty
    when none were due, and for errors raised outside ``Router.handle``.
    """

    decisions: tuple[Decision, ...] = ()

    def __init__(self, *args: Any, decisions: tuple[Decision, ...] = ()) -> None:
        super().__init__(*args)
        if decisions:
            self.decisions = decisions


class CallerError(RoutingError):
    """The caller sent an event that does not fit the router's current state."""


class ConfigError(RoutingError, ValueError):
    """The configuration (skills, queues, stages, capacities, policies) is malformed."""


class InvalidEvent(CallerError, ValueError):
    """An event (or decision) was built with a value that breaks its own rules."""


class ClockWentBackwards(CallerError):
    """An event's time lies before the router's current time."""


class UnknownAgent(CallerError, KeyError):
    """The event names an agent that is not logged in."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownContact(CallerError, KeyError):
    """The event names a contact the router does not hold."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownQueue(CallerError, KeyError):
    """The event names a queue that was not configured."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DuplicateId(CallerError):
    """An id that must be new is already in use."""


class InvalidTransition(CallerError):
    """The event is not allowed in the agent's or contact's current state."""


class OfferNotFound(CallerError):
    """The event answers an offer that does not exist (never made, expired or withdrawn)."""


class RouterFailed(RoutingError):
    """Applying an accepted event (or a deadline) failed unexpectedly: a bug, not the caller's
    fault. The original exception is the ``__cause__``; ``decisions`` holds what the router
    decided before the failure. The router's state may be half-changed, so it refuses every
    later event with this error; rebuild it (e.g. replay the journal of accepted events)."""


class CapacityExceeded(ConfigError):
    """A capacity is negative, or a rule would let an agent exceed its capacity."""
