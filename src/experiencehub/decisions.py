"""The decisions the router returns: ``import experiencehub.decisions`` or
``from experiencehub.decisions import Offer``.

This module only re-exports the public names of :mod:`experiencehub.core.decisions`, where the
decisions are defined and documented; it owns nothing of its own.

>>> from experiencehub.decisions import Offer
>>> Offer.__name__
'Offer'
"""

from __future__ import annotations

from .core.decisions import (
    AgentStatusForced,
    Alert,
    CallbackExhausted,
    CallbackQueued,
    Candidate,
    Decision,
    Enqueued,
    Expanded,
    Explanation,
    LogoutCompleted,
    Offer,
    OfferExpired,
    OfferWithdrawn,
    Refused,
    WrapUpExpired,
    WrapUpStarted,
)

__all__ = [
    "AgentStatusForced",
    "Alert",
    "CallbackExhausted",
    "CallbackQueued",
    "Candidate",
    "Decision",
    "Enqueued",
    "Expanded",
    "Explanation",
    "LogoutCompleted",
    "Offer",
    "OfferExpired",
    "OfferWithdrawn",
    "Refused",
    "WrapUpExpired",
    "WrapUpStarted",
]
