"""experiencehub: route customer contacts to the right agent and keep their context across channels.

The public API is small and flat; everything else is private.
"""

from __future__ import annotations

from . import decisions, events
from .core.callbacks import CallbackPolicy
from .core.errors import (
    CallerError,
    ClockWentBackwards,
    ConfigError,
    DuplicateId,
    InvalidEvent,
    InvalidTransition,
    OfferNotFound,
    RouterFailed,
    RoutingError,
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
)
from .core.hours import OpenHours
from .core.queues import QueueSpec, Stage, WrapUp
from .core.router import AgentView, Router, Work
from .core.skills import SkillGraph
from .records import ContactRecord, ContactRecorder

__all__ = [
    "AgentView",
    "CallbackPolicy",
    "CallerError",
    "ClockWentBackwards",
    "ConfigError",
    "ContactRecord",
    "ContactRecorder",
    "DuplicateId",
    "InvalidEvent",
    "InvalidTransition",
    "OfferNotFound",
    "OpenHours",
    "QueueSpec",
    "Router",
    "RouterFailed",
    "RoutingError",
    "SkillGraph",
    "Stage",
    "UnknownAgent",
    "UnknownContact",
    "UnknownQueue",
    "Work",
    "WrapUp",
    "decisions",
    "events",
]

__version__ = "0.1.0"
