"""The events a caller reports to the router: ``import experiencehub.events`` or
``from experiencehub.events import ContactArrived``.

This module only re-exports the public names of :mod:`experiencehub.core.events`, where the
events are defined and documented; it owns nothing of its own.

>>> from experiencehub.events import ContactArrived
>>> ContactArrived(at=1.0, contact_id="c1", queue="billing").queue
'billing'
"""

from __future__ import annotations

from .core.events import (
    CONSULT_OUTCOMES,
    DEFAULT_CAPACITY,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentSkillsChanged,
    AgentStatusChanged,
    CallbackAnswered,
    CallbackFailed,
    CallbackRequested,
    ConsultEnded,
    ConsultRequested,
    ContactAbandoned,
    ContactArrived,
    ContactEnded,
    ContactTransferred,
    CriteriaStep,
    Event,
    OfferAccepted,
    OfferRejected,
    ProfileQueue,
    QueueAdded,
    QueueChanged,
    QueueClosed,
    QueueOpened,
    RoutingCriteria,
    RoutingProfile,
    Tick,
    WrapUpEnded,
)

__all__ = [
    "CONSULT_OUTCOMES",
    "DEFAULT_CAPACITY",
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentSkillsChanged",
    "AgentStatusChanged",
    "CallbackAnswered",
    "CallbackFailed",
    "CallbackRequested",
    "ConsultEnded",
    "ConsultRequested",
    "ContactAbandoned",
    "ContactArrived",
    "ContactEnded",
    "ContactTransferred",
    "CriteriaStep",
    "Event",
    "OfferAccepted",
    "OfferRejected",
    "ProfileQueue",
    "QueueAdded",
    "QueueChanged",
    "QueueClosed",
    "QueueOpened",
    "RoutingCriteria",
    "RoutingProfile",
    "Tick",
    "WrapUpEnded",
]
