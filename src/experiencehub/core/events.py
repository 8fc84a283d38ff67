"""Input events: past-tense facts the caller reports to the router.

Every event is a frozen, slotted, keyword-only attrs class whose constructor rejects invalid values
with :class:`~experiencehub.core.errors.InvalidEvent`, so a bad value never reaches the router.
``at`` is the event's time in seconds on the caller's clock (finite, 0 to ``1e12``); the router
never reads a clock of its own. Events are immutable all the way down: mappings (``skills``,
``capacity``, ``attributes``) are copied into read-only dicts and lists into tuples, so a value
cannot change after it was checked, and every event is hashable. The ``repr`` is valid Python, so
a failing event stream can be pasted into a test.

Rules beyond the types: ids are non-empty ``str``; ``|priority| <= 2**53``; a status ``reason`` is
None or at most 200 characters; ``attributes`` has non-empty string keys and values that are
hashable or lists, sets or mappings of such (deep-frozen: lists become tuples).

>>> arrived = ContactArrived(at=1.0, contact_id="c1", queue="billing", attributes={"topic": "bill"})
>>> arrived
ContactArrived(at=1.0, contact_id='c1', queue='billing', priority=0, customer_id=None, attributes={'topic': 'bill'}, preferred_agents=(), criteria=None)
>>> arrived.attributes["topic"] = "other"
Traceback (most recent call last):
...
TypeError: FrozenDict is immutable (a validated value cannot change)
>>> ContactArrived(at=-1.0, contact_id="c1", queue="billing")
Traceback (most recent call last):
...
experiencehub.core.errors.InvalidEvent: at=-1.0: must be finite, >= 0 and <= 1e+12
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from . import _validators as v
from ._trusted import trusted
from .criteria import CriteriaStep, RoutingCriteria
from .errors import InvalidEvent
from .profiles import ProfileQueue, RoutingProfile
from .queues import QueueSpec, WrapUp

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

DEFAULT_CAPACITY: Mapping[str, int] = v.FrozenDict({"phone": 1, "chat": 3, "email": 5})
"""Capacity per channel of an agent who logs in without one (read-only)."""


def _optional_profile(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, RoutingProfile):
        raise InvalidEvent(f"{attr.name}={value!r:.60}: must be None or a RoutingProfile")


def _default_capacity() -> Mapping[str, int]:
    return DEFAULT_CAPACITY


def _optional_wrap_up(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, WrapUp):
        raise InvalidEvent(f"{attr.name}={value!r:.80}: must be a WrapUp or None")


def _flag(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidEvent(f"{attr.name}={value!r:.60}: must be True or False")


def _optional_criteria(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, RoutingCriteria):
        raise InvalidEvent(f"{attr.name}={value!r}: must be None or a RoutingCriteria")


@attrs.frozen(kw_only=True, slots=True)
class AgentLoggedIn:
    """An agent logged in and is available, with skills (name → level) and capacity per channel.

    ``wrap_up``: the agent's own after-contact work, which overrides the queue's ``wrap_up`` for
    every contact it handles this shift (e.g. a trainee gets 60 s more); None = the queue's.
    ``profile``: its :class:`~.profiles.RoutingProfile` (the queues it serves, each with a
    priority and a delay), or None to serve every queue its skills allow.
    ``auto_accept``: the router accepts the agent's offers on its behalf, in the same ``handle``
    call (the ``Offer`` says ``auto_accepted=True``; no ``OfferAccepted`` is sent), as a contact
    platform's auto-accept or auto-answer setting does.
    """

    at: float = attrs.field(validator=v.event_time)
    agent_id: str = attrs.field(validator=v.identifier)
    skills: Mapping[str, int] = attrs.field(converter=v.frozen_map, validator=v.levels)
    capacity: Mapping[str, int] = attrs.field(
        factory=_default_capacity, converter=v.frozen_map, validator=v.levels
    )
    wrap_up: WrapUp | None = attrs.field(default=None, validator=_optional_wrap_up)
    profile: RoutingProfile | None = attrs.field(default=None, validator=_optional_profile)
    auto_accept: bool = attrs.field(default=False, validator=_flag)


@attrs.frozen(kw_only=True, slots=True)
class AgentSkillsChanged:
    """A logged-in agent's skills (name → level) changed: these replace the old ones.

    E.g. a supervisor raised a level or removed a skill. Status, load and work stay.

    >>> AgentSkillsChanged(at=60.0, agent_id="a1", skills={"billing": 3})
    AgentSkillsChanged(at=60.0, agent_id='a1', skills={'billing': 3})
    """

    at: float = attrs.field(validator=v.event_time)
    agent_id: str = attrs.field(validator=v.identifier)
    skills: Mapping[str, int] = attrs.field(converter=v.frozen_map, validator=v.levels)


@attrs.frozen(kw_only=True, slots=True)
class AgentStatusChanged:
    """An agent became available, or went away (break, meeting…) with an optional reason."""

    at: float = attrs.field(validator=v.event_time)
    agent_id: str = attrs.field(validator=v.identifier)
    status: str = attrs.field(default="available", validator=v.one_of("available", "away"))
    reason: str | None = attrs.field(default=None, validator=v.reason)


@attrs.frozen(kw_only=True, slots=True)
class AgentLoggedOut:
    """An agent logged out. Work in progress finishes; no new work is offered."""

    at: float = attrs.field(validator=v.event_time)
    agent_id: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class ContactArrived:
    """A contact arrived in a queue.

    ``priority``: higher is served first. ``customer_id`` lets a returning customer keep its place
    (see ``QueueSpec.rejoin_seconds``). ``preferred_agents``: agents to target first for the queue's
    affinity window (last or owning agent), usually filled in by the context layer.
    ``criteria``: the contact's own requirement in steps (:class:`.criteria.RoutingCriteria`),
    added to the queue's requirement and replacing its stages for this contact.
    """

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)
    queue: str = attrs.field(validator=v.identifier)
    priority: int = attrs.field(default=0, validator=v.priority)
    customer_id: str | None = attrs.field(default=None, validator=v.optional_identifier)
    attributes: Mapping[str, Any] = attrs.field(
        factory=v.empty_map, converter=v.frozen_attributes, validator=v.attributes
    )
    preferred_agents: tuple[str, ...] = attrs.field(
        default=(), converter=v.string_tuple, validator=v.identifiers
    )
    criteria: RoutingCriteria | None = attrs.field(default=None, validator=_optional_criteria)


@attrs.frozen(kw_only=True, slots=True)
class OfferAccepted:
    """The agent accepted the offer of the contact; the contact is connected."""

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)
    agent_id: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class OfferRejected:
    """The agent declined the offer; the contact is never offered to this agent again."""

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)
    agent_id: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class ContactEnded:
    """Handling of a connected contact ended; the agent enters its queue's wrap-up."""

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class WrapUpEnded:
    """The agent finished wrap-up (after-contact work) of a contact."""

    at: float = attrs.field(validator=v.event_time)
    agent_id: str = attrs.field(validator=v.identifier)
    contact_id: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class ContactAbandoned:
    """The customer left before being connected (hung up, closed the chat)."""

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class ContactTransferred:
    """The contact moves to another queue; a connected agent is released into wrap-up.

    ``agent_id``: a transfer to that agent (a blind transfer to a named colleague). The contact
    waits in ``queue`` for that agent alone — offered to it at once if it can take it — for the
    queue's ``affinity_seconds``, then any eligible agent may take it. The agent must be logged in,
    not logging out, able to serve the queue, and not the one transferring or wrapping it up.

    ``criteria``: the contact's routing criteria in the new queue. A transfer is a new need, so
    the criteria it arrived with do not follow it: None routes it by the new queue alone.
    """

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)
    queue: str = attrs.field(validator=v.identifier)
    agent_id: str | None = attrs.field(default=None, validator=v.optional_identifier)
    criteria: RoutingCriteria | None = attrs.field(default=None, validator=_optional_criteria)


def _queue_spec(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, QueueSpec):
        raise InvalidEvent(f"{attr.name}={value!r:.80}: must be a QueueSpec")


@attrs.frozen(kw_only=True, slots=True)
class QueueAdded:
    """A queue was configured while contacts flow (e.g. a new campaign's line opened).

    The router computes every logged-in agent's eligibility for it once and it takes arrivals
    from ``at``. Its name must be new; its ``closed_queue``, if any, must be configured.

    >>> QueueAdded(at=60.0, spec=QueueSpec("promo", channel="chat")).spec.name
    'promo'
    """

    at: float = attrs.field(validator=v.event_time)
    spec: QueueSpec = attrs.field(validator=_queue_spec)


@attrs.frozen(kw_only=True, slots=True)
class QueueChanged:
    """A configured queue's spec is replaced while contacts flow (a supervisor raises a
    required level, widens a stage, changes the service-level target or the hours).

    ``spec.name`` names the queue; everything but its channel may change. Waiting and ringing
    contacts keep their place in time and are routed by the new spec from ``at`` (new stage by
    how long they waited, new priority weight and aging); an open offer its agent could no
    longer be made is withdrawn; connected contacts stay. A new ``closed_queue`` must be
    configured. See docs/routing.md, "Queues changed while contacts flow".

    >>> QueueChanged(at=90.0, spec=QueueSpec("promo", channel="chat", service_level_seconds=30)).spec.name
    'promo'
    """

    at: float = attrs.field(validator=v.event_time)
    spec: QueueSpec = attrs.field(validator=_queue_spec)


CONSULT_OUTCOMES = ("transfer", "conference", "return", "cancel")
"""How a consult ends: a warm ``transfer`` (the consulted agent keeps the contact, the first
agent wraps up), a ``conference`` (both keep it until ``ContactEnded``), ``return`` (the
consulted agent leaves, the first keeps the contact) or ``cancel`` (before anyone took it)."""


def _consult_target(instance: ConsultRequested, _attribute: Any, agent_id: str | None) -> None:
    if instance.queue is None and agent_id is None:
        raise InvalidEvent(
            f"ConsultRequested for {instance.contact_id}: name a queue, an agent_id, or both"
        )


def _own_leg(instance: ConsultRequested, _attribute: Any, consult_id: str) -> None:
    if consult_id == instance.contact_id:
        raise InvalidEvent(f"consult_id={consult_id!r}: must differ from the contact's id")


@attrs.frozen(kw_only=True, slots=True)
class ConsultRequested:
    """The agent connected to ``contact_id`` consults a colleague while the customer holds.

    The consult is a call leg of its own, ``consult_id``, routed like a contact of the same
    channel: to an eligible agent of ``queue`` (by default the contact's own), and with
    ``agent_id`` to that agent first (waiting for it alone for the queue's
    ``affinity_seconds``, then any eligible agent of the queue); never to the agent who asked.
    Its offers are accepted, rejected or expire like any offer; it holds a slot of the
    contact's channel of the agent who takes it. It ends with :class:`ConsultEnded`, or with
    the contact (``ContactEnded``).

    >>> ConsultRequested(at=30.0, contact_id="c1", consult_id="c1-k", queue="tier2")
    ConsultRequested(at=30.0, contact_id='c1', consult_id='c1-k', queue='tier2', agent_id=None)
    """

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)
    consult_id: str = attrs.field(validator=[v.identifier, _own_leg])
    queue: str | None = attrs.field(default=None, validator=v.optional_identifier)
    agent_id: str | None = attrs.field(
        default=None, validator=[v.optional_identifier, _consult_target]
    )


@attrs.frozen(kw_only=True, slots=True)
class ConsultEnded:
    """The consult of ``contact_id`` ended with ``outcome`` (see :data:`CONSULT_OUTCOMES`).

    >>> ConsultEnded(at=90.0, contact_id="c1", outcome="transfer")
    ConsultEnded(at=90.0, contact_id='c1', outcome='transfer')
    """

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)
    outcome: str = attrs.field(validator=v.one_of(*CONSULT_OUTCOMES))


@attrs.frozen(kw_only=True, slots=True)
class QueueClosed:
    """A supervisor closed the queue (e.g. an emergency, or the site went home early).

    While closed, arrivals are refused, or go to the queue's ``closed_queue`` when it names one;
    contacts already waiting follow the queue's ``closed_rule`` (see
    :class:`~experiencehub.core.queues.QueueSpec`). ``reason`` (at most 200 characters) is
    quoted in the decisions. Closing a closed queue changes nothing.

    >>> QueueClosed(at=60.0, queue="billing", reason="fire drill")
    QueueClosed(at=60.0, queue='billing', reason='fire drill')
    """

    at: float = attrs.field(validator=v.event_time)
    queue: str = attrs.field(validator=v.identifier)
    reason: str | None = attrs.field(default=None, validator=v.reason)


@attrs.frozen(kw_only=True, slots=True)
class QueueOpened:
    """A supervisor opened a closed queue again: arrivals are routed to it as before. Opening
    an open queue changes nothing.

    >>> QueueOpened(at=120.0, queue="billing")
    QueueOpened(at=120.0, queue='billing')
    """

    at: float = attrs.field(validator=v.event_time)
    queue: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class CallbackRequested:
    """A waiting caller asked to be called back and hung up; the contact keeps its place.

    The contact must be waiting (not offered) in a queue with a ``callback`` policy. From now on
    it holds no line: patience no longer applies (the caller stops reporting abandons, though a
    customer who cancels still leaves with ``ContactAbandoned``). When an agent accepts its offer
    (``Offer.callback`` is True) the agent dials the customer and reports ``CallbackAnswered``
    or ``CallbackFailed``. A new contact that arrives as a callback (a web form, say) is a
    ``ContactArrived`` followed by this event at the same time.

    >>> CallbackRequested(at=40.0, contact_id="c1")
    CallbackRequested(at=40.0, contact_id='c1')
    """

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class CallbackAnswered:
    """The customer answered the agent's callback dial: the contact is connected."""

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True, slots=True)
class CallbackFailed:
    """The agent's callback dial failed (``reason``: e.g. "no answer", "busy", "voicemail").

    The agent's slot is free at once (a failed dial has no after-contact work). The contact queues
    again after its policy's ``retry_seconds``, or, when that was its last attempt, leaves the
    router (``CallbackExhausted``).

    >>> CallbackFailed(at=90.0, contact_id="c1")
    CallbackFailed(at=90.0, contact_id='c1', reason='no answer')
    """

    at: float = attrs.field(validator=v.event_time)
    contact_id: str = attrs.field(validator=v.identifier)
    reason: str = attrs.field(default="no answer", validator=v.reason)


@attrs.frozen(kw_only=True, slots=True)
class Tick:
    """Time passed; apply every deadline due at or before ``at``."""

    at: float = attrs.field(validator=v.event_time)


Event: TypeAlias = (
    AgentLoggedIn
    | AgentSkillsChanged
    | AgentStatusChanged
    | AgentLoggedOut
    | ContactArrived
    | OfferAccepted
    | OfferRejected
    | ContactEnded
    | WrapUpEnded
    | ContactAbandoned
    | ContactTransferred
    | QueueAdded
    | QueueChanged
    | QueueClosed
    | QueueOpened
    | ConsultRequested
    | ConsultEnded
    | CallbackRequested
    | CallbackAnswered
    | CallbackFailed
    | Tick
)


# Trusted constructors (not public): for callers that build events from data they have validated
# already, like the simulator from a checked scenario. They skip the validators and converters
# (see ._trusted: a ContactArrived costs 0.75 µs instead of 2.4 µs), so values must already be
# of the right type and within the bounds above: a mapping for ``attributes`` (a plain dict stays
# a plain dict: nothing freezes it, so the caller must not change it afterwards, and such an event
# is not hashable), a tuple of ids for ``preferred_agents``.
new_contact_arrived = trusted(ContactArrived)
new_offer_accepted = trusted(OfferAccepted)
new_offer_rejected = trusted(OfferRejected)
new_contact_ended = trusted(ContactEnded)
new_contact_abandoned = trusted(ContactAbandoned)
new_contact_transferred = trusted(ContactTransferred)
new_wrap_up_ended = trusted(WrapUpEnded)
new_consult_requested = trusted(ConsultRequested)
new_consult_ended = trusted(ConsultEnded)
new_tick = trusted(Tick)
new_callback_requested = trusted(CallbackRequested)
new_callback_answered = trusted(CallbackAnswered)
new_callback_failed = trusted(CallbackFailed)
