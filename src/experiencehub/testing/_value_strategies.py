"""Strategies of valid instances of every event, decision and context value type (``Identity``,
``Fact``, ``ContactEntry``, ``JourneyStep``, ``HandoffBrief``, ``PreferredChannel``, ``AuditEntry``,
``BriefedOffer``),
and :data:`REGISTERED`, the table :func:`~experiencehub.testing.strategies.register_strategies`
hands to hypothesis so that ``st.from_type`` draws them.

Fields are drawn independently (not a consistent history: that is :mod:`._routing_strategies`),
within what each type's constructor accepts; context values are what a store would accept and
return as they are. Public through :mod:`experiencehub.testing.strategies`; registers nothing
itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from ..context._store_protocol import AuditEntry, customer_id_of
from ..context.brief import HandoffBrief, JourneyStep, build_brief
from ..context.facts import DEFAULT_CHANNELS, ContactEntry, Fact
from ..context.hub import BriefedOffer
from ..context.identity import Identity
from ..context.preferences import PREFERRED_CHANNEL, PreferredChannel, preferred_channel_of
from ..context.secrets import is_secret_name, secret_in_text
from ..core import _validators
from ..core import decisions as dc
from ..core import events as ev
from ..core.criteria import MAX_STEPS, CriteriaStep, RoutingCriteria
from ..core.policies import POLICIES
from ..core.queues import QueueSpec
from ._routing_strategies import CHANNELS, queue_specs, wrap_ups

__all__ = [
    "REGISTERED",
    "contact_entries",
    "criteria",
    "decisions",
    "event_times",
    "events",
    "facts",
    "handoff_briefs",
    "identifiers",
    "identities",
    "preferred_channels",
]


def identifiers() -> st.SearchStrategy[str]:
    """Ids as hosts send them: short, lower-case, safe in JSON and in every store.

    Cost: O(1) per draw (at most 9 characters).
    """
    return st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)


def event_times() -> st.SearchStrategy[float]:
    """Any valid event time: a float from 0 to 1e12 seconds (not only quarter seconds).

    Cost: O(1) per draw.
    """
    return st.floats(0.0, _validators.MAX_SECONDS, allow_nan=False)


_TEXT = st.text(max_size=20)
_COSTS = st.floats(0.0, 100.0, allow_nan=False)
_JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), _TEXT)


def _later(at: float) -> st.SearchStrategy[float]:
    """A time at or after ``at`` (an expiry, the end of a wrap-up)."""
    return st.floats(0.0, 1e6, allow_nan=False).map(lambda extra: at + extra)


def _steps_from(gaps: list[float], steps: list[CriteriaStep]) -> RoutingCriteria:
    """Steps at increasing times: the first at 0, each later one ``gap`` seconds after."""
    at, timed = 0.0, []
    for index, step in enumerate(steps):
        at += gaps[index - 1] if index else 0.0
        timed.append(CriteriaStep(requires=step.requires, after=at, max_cost=step.max_cost))
    return RoutingCriteria(steps=timed)


_CRITERIA_STEPS = st.builds(
    CriteriaStep,
    requires=st.dictionaries(identifiers(), st.integers(0, 5), max_size=3),
    max_cost=_COSTS,
)


@st.composite
def criteria(
    draw: st.DrawFn,
    skills: Sequence[str] | None = None,
    max_costs: Sequence[float] | None = None,
) -> RoutingCriteria:
    """Valid routing criteria: 1 to 3 steps (at most ``MAX_STEPS``) at increasing times,
    requiring ``skills`` (any ids when None) at levels 0 to 3, each step's ``max_cost`` one of
    ``max_costs`` (when None: 0, 1 or 2 with ``skills``, else any cost). Cost: O(1) per draw.
    """
    names = identifiers() if skills is None else st.sampled_from(list(skills))
    if max_costs is not None:
        costs: st.SearchStrategy[float] = st.sampled_from(list(max_costs))
    else:
        costs = st.sampled_from([0.0, 1.0, 2.0]) if skills is not None else _COSTS
    steps = draw(
        st.lists(
            st.builds(
                CriteriaStep,
                requires=st.dictionaries(names, st.integers(0, 3), max_size=2),
                max_cost=costs,
            ),
            min_size=1,
            max_size=min(3, MAX_STEPS),
        )
    )
    gaps = draw(st.lists(st.sampled_from([5.0, 20.0, 60.0]), min_size=len(steps), max_size=len(steps)))
    return _steps_from(gaps, steps)


@st.composite
def _any_queue_specs(draw: st.DrawFn) -> QueueSpec:
    """A queue spec of any name, with the router's or its own offer timeout."""
    spec = draw(identifiers().flatmap(lambda name: queue_specs(name, ("s", "t"))))
    timeout = draw(st.none() | st.floats(min_value=0.5, max_value=3600.0))
    return attrs.evolve(spec, offer_timeout=timeout)


_EVENTS: dict[type, st.SearchStrategy[Any]] = {
    ev.AgentLoggedIn: st.builds(
        ev.AgentLoggedIn,
        at=event_times(),
        agent_id=identifiers(),
        skills=st.dictionaries(identifiers(), st.integers(0, 5), max_size=3),
        capacity=st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 5)),
        wrap_up=st.none() | wrap_ups(),
        auto_accept=st.booleans(),
    ),
    ev.AgentStatusChanged: st.builds(
        ev.AgentStatusChanged,
        at=event_times(),
        agent_id=identifiers(),
        status=st.sampled_from(["available", "away"]),
        reason=st.none() | _TEXT,
    ),
    ev.AgentLoggedOut: st.builds(ev.AgentLoggedOut, at=event_times(), agent_id=identifiers()),
    ev.AgentSkillsChanged: st.builds(
        ev.AgentSkillsChanged,
        at=event_times(),
        agent_id=identifiers(),
        skills=st.dictionaries(identifiers(), st.integers(0, 5), max_size=3),
    ),
    ev.ContactArrived: st.builds(
        ev.ContactArrived,
        at=event_times(),
        contact_id=identifiers(),
        queue=identifiers(),
        priority=st.integers(-_validators.MAX_PRIORITY, _validators.MAX_PRIORITY),
        customer_id=st.none() | identifiers(),
        attributes=st.dictionaries(identifiers(), _JSON_VALUES, max_size=3),
        preferred_agents=st.lists(identifiers(), max_size=3).map(tuple),
        criteria=st.none() | criteria(),
    ),
    ev.OfferAccepted: st.builds(
        ev.OfferAccepted, at=event_times(), contact_id=identifiers(), agent_id=identifiers()
    ),
    ev.OfferRejected: st.builds(
        ev.OfferRejected, at=event_times(), contact_id=identifiers(), agent_id=identifiers()
    ),
    ev.ContactEnded: st.builds(ev.ContactEnded, at=event_times(), contact_id=identifiers()),
    ev.WrapUpEnded: st.builds(
        ev.WrapUpEnded, at=event_times(), agent_id=identifiers(), contact_id=identifiers()
    ),
    ev.ContactAbandoned: st.builds(ev.ContactAbandoned, at=event_times(), contact_id=identifiers()),
    ev.ContactTransferred: st.builds(
        ev.ContactTransferred,
        at=event_times(),
        contact_id=identifiers(),
        queue=identifiers(),
        criteria=st.none() | criteria(),
    ),
    ev.QueueAdded: st.builds(ev.QueueAdded, at=event_times(), spec=_any_queue_specs()),
    ev.QueueChanged: st.builds(ev.QueueChanged, at=event_times(), spec=_any_queue_specs()),
    ev.QueueClosed: st.builds(
        ev.QueueClosed, at=event_times(), queue=identifiers(), reason=st.none() | _TEXT
    ),
    ev.QueueOpened: st.builds(ev.QueueOpened, at=event_times(), queue=identifiers()),
    ev.ConsultRequested: st.builds(
        lambda at, contact_id, leg, queue, agent_id: ev.ConsultRequested(
            at=at,
            contact_id=contact_id,
            consult_id=f"{contact_id}~{leg}",
            queue=contact_id if queue is None and agent_id is None else queue,
            agent_id=agent_id,
        ),
        event_times(),
        identifiers(),
        identifiers(),
        st.none() | identifiers(),
        st.none() | identifiers(),
    ),
    ev.ConsultEnded: st.builds(
        ev.ConsultEnded,
        at=event_times(),
        contact_id=identifiers(),
        outcome=st.sampled_from(ev.CONSULT_OUTCOMES),
    ),
    ev.Tick: st.builds(ev.Tick, at=event_times()),
    ev.CallbackRequested: st.builds(
        ev.CallbackRequested, at=event_times(), contact_id=identifiers()
    ),
    ev.CallbackAnswered: st.builds(ev.CallbackAnswered, at=event_times(), contact_id=identifiers()),
    ev.CallbackFailed: st.builds(
        ev.CallbackFailed,
        at=event_times(),
        contact_id=identifiers(),
        reason=st.sampled_from(["no answer", "busy", "voicemail"]),
    ),
}

_CANDIDATES = st.builds(dc.Candidate, agent_id=identifiers(), cost=_COSTS, note=_TEXT)
_EXPLANATIONS = st.builds(
    dc.Explanation,
    policy=st.sampled_from(sorted(POLICIES)),
    summary=_TEXT,
    candidates=st.lists(_CANDIDATES, max_size=3).map(tuple),
)


@st.composite
def _offers(draw: st.DrawFn) -> dc.Offer:
    at = draw(event_times())
    auto = draw(st.booleans())  # accepted on the agent's behalf: no expiry
    return dc.Offer(
        at=at,
        contact_id=draw(identifiers()),
        agent_id=draw(identifiers()),
        queue=draw(identifiers()),
        channel=draw(st.sampled_from(CHANNELS)),
        stage=draw(st.integers(0, 3)),
        expires_at=None if auto else draw(st.none() | _later(at)),
        explanation=draw(_EXPLANATIONS),
        callback=draw(st.booleans()),
        auto_accepted=auto,
    )


@st.composite
def _callbacks_queued(draw: st.DrawFn) -> dc.CallbackQueued:
    at = draw(event_times())
    attempts = draw(st.integers(0, 3))
    return dc.CallbackQueued(
        at=at,
        contact_id=draw(identifiers()),
        queue=draw(identifiers()),
        attempts=attempts,
        retry_at=None if attempts == 0 else draw(_later(at)),
        explanation=draw(_EXPLANATIONS),
    )


@st.composite
def _wrap_ups_started(draw: st.DrawFn) -> dc.WrapUpStarted:
    at = draw(event_times())
    return dc.WrapUpStarted(
        at=at,
        agent_id=draw(identifiers()),
        contact_id=draw(identifiers()),
        ends_at=draw(st.none() | _later(at)),
    )


_DECISIONS: dict[type, st.SearchStrategy[Any]] = {
    dc.Offer: _offers(),
    dc.Enqueued: st.builds(
        dc.Enqueued,
        at=event_times(),
        contact_id=identifiers(),
        queue=identifiers(),
        position=st.integers(1, 1000),
        waiting=st.integers(1, 1000),
        explanation=_EXPLANATIONS,
    ).filter(lambda d: d.position <= d.waiting),
    dc.Refused: st.builds(
        dc.Refused, at=event_times(), contact_id=identifiers(), queue=identifiers(), reason=_TEXT
    ),
    dc.Expanded: st.builds(
        dc.Expanded,
        at=event_times(),
        contact_id=identifiers(),
        queue=identifiers(),
        stage=st.integers(1, 3),
        max_cost=st.none() | _COSTS,
    ),
    dc.OfferExpired: st.builds(
        dc.OfferExpired, at=event_times(), contact_id=identifiers(), agent_id=identifiers()
    ),
    dc.OfferWithdrawn: st.builds(
        dc.OfferWithdrawn,
        at=event_times(),
        contact_id=identifiers(),
        agent_id=identifiers(),
        reason=_TEXT,
    ),
    dc.AgentStatusForced: st.builds(
        dc.AgentStatusForced,
        at=event_times(),
        agent_id=identifiers(),
        status=st.just("away"),
        reason=_TEXT,
    ),
    dc.WrapUpStarted: _wrap_ups_started(),
    dc.WrapUpExpired: st.builds(
        dc.WrapUpExpired, at=event_times(), agent_id=identifiers(), contact_id=identifiers()
    ),
    dc.LogoutCompleted: st.builds(dc.LogoutCompleted, at=event_times(), agent_id=identifiers()),
    dc.Alert: st.builds(
        dc.Alert,
        at=event_times(),
        contact_id=identifiers(),
        kind=st.sampled_from(["service_level", "repeat_contact", "abandoned"]),
        detail=_TEXT,
    ),
    dc.CallbackQueued: _callbacks_queued(),
    dc.CallbackExhausted: st.builds(
        dc.CallbackExhausted,
        at=event_times(),
        contact_id=identifiers(),
        queue=identifiers(),
        attempts=st.integers(1, 3),
        reason=_TEXT,
    ),
}


def events() -> st.SearchStrategy[ev.Event]:
    """Any valid event, of any type (fields drawn independently: not a consistent history;
    use :func:`valid_events` for that). Cost: O(1) per draw (every field is bounded)."""
    return st.one_of(list(_EVENTS.values()))


def decisions() -> st.SearchStrategy[dc.Decision]:
    """Any valid decision, of any type, with expiries and wrap-up ends at or after ``at``.

    Cost: O(1) per draw (every field is bounded).
    """
    return st.one_of(list(_DECISIONS.values()))


# -- context values -----------------------------------------------------------------------------
_QUARTERS = st.integers(0, 4 * 10**9).map(lambda n: n / 4)  # exact sums with _HALVES
_HALVES = st.integers(1, 2 * 10**7).map(lambda n: n / 2)
_CUSTOMERS = st.integers(1, 10**6).map(customer_id_of)
_WORDS = st.from_regex(r"[a-z]{1,10}( [a-z]{1,10}){0,2}", fullmatch=True)
_SAFE_TEXT = _WORDS.filter(lambda text: secret_in_text(text) is None)
_FACT_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True).filter(
    lambda name: not is_secret_name(name)
)
_CONTEXT_CHANNELS = st.sampled_from(DEFAULT_CHANNELS)

_IDENTITY_VALUES: dict[str, st.SearchStrategy[str]] = {
    "phone": st.from_regex(r"\+44 ?20 ?7946 ?0[0-9]{3}", fullmatch=True),
    "email": st.from_regex(r"[a-z][a-z0-9.]{0,10}@[a-z]{1,10}\.(com|org|de)", fullmatch=True),
    "chat_session": identifiers(),
    "account": st.from_regex(r"AC-[0-9]{1,8}", fullmatch=True),
}


def identities(kinds: Sequence[str] = tuple(_IDENTITY_VALUES)) -> st.SearchStrategy[Identity]:
    """Valid identities of the given kinds (phone numbers, e-mail addresses, chat sessions,
    account numbers), normalised by the constructor. Cost: O(len(kinds)) to build; O(1) per draw."""
    return st.one_of([st.builds(Identity, st.just(kind), _IDENTITY_VALUES[kind]) for kind in kinds])


@st.composite
def facts(draw: st.DrawFn, customer_id: str | None = None) -> Fact:
    """A fact a store would accept and return as it is: a harmless name and value (no secret,
    no card number), or a verification outcome (``value=None``, ``verified``, a ``method``);
    ``expires_at`` is ``observed_at`` plus a validity period, exactly. Cost: O(1) per draw."""
    observed_at = draw(_QUARTERS)
    verification = draw(st.booleans())
    return Fact(
        customer_id=customer_id if customer_id is not None else draw(_CUSTOMERS),
        name=draw(_FACT_NAMES),
        value=None if verification else draw(_SAFE_TEXT),
        channel=draw(_CONTEXT_CHANNELS),
        observed_at=observed_at,
        expires_at=observed_at + draw(_HALVES),
        sensitivity="normal" if verification else draw(st.sampled_from(["normal", "personal"])),
        verified=verification or draw(st.booleans()),
        method=draw(st.sampled_from(["knowledge", "otp", "voice"])) if verification else None,
        contact_id=draw(st.none() | identifiers()),
    )


@st.composite
def contact_entries(draw: st.DrawFn, customer_id: str | None = None) -> ContactEntry:
    """A row of contact history a store would accept: ends (if it has) at or after it starts.

    Cost: O(1) per draw.
    """
    at = draw(_QUARTERS)
    return ContactEntry(
        customer_id=customer_id if customer_id is not None else draw(_CUSTOMERS),
        contact_id=draw(identifiers()),
        channel=draw(_CONTEXT_CHANNELS),
        at=at,
        agent_id=draw(st.none() | identifiers()),
        outcome=draw(st.none() | st.sampled_from(["handled", "resolved", "dropped", "abandoned"])),
        topic=draw(st.none() | _SAFE_TEXT),
        queue=draw(st.none() | identifiers()),
        ended_at=draw(st.none() | _HALVES.map(lambda length: at + length)),
    )


@st.composite
def handoff_briefs(draw: st.DrawFn) -> HandoffBrief:
    """A brief as the stores build it (:func:`~experiencehub.context.brief.build_brief`) from
    drawn identities, facts and contacts of one customer, at a time after all of them.
    Cost: O(1) per draw (at most 4 facts, 3 contacts and 3 identities).
    """
    customer_id = draw(_CUSTOMERS)
    known = draw(st.lists(facts(customer_id), max_size=4))
    history = draw(
        st.lists(contact_entries(customer_id), max_size=3, unique_by=lambda c: c.contact_id)
    )
    latest = max([0.0, *(f.observed_at for f in known), *(c.at for c in history)])
    return build_brief(
        customer_id,
        at=latest + draw(_HALVES),
        identities=draw(st.lists(identities(), max_size=3)),
        facts=known,
        contacts=history,
        unmask=draw(st.booleans()),
    )


@st.composite
def preferred_channels(draw: st.DrawFn) -> PreferredChannel:
    """A preferred channel as the stores find it (:func:`~experiencehub.context.preferences.
    preferred_channel_of`): learned from one to three contacts, or stated in a
    ``preferred_channel`` fact. Cost: O(1) per draw."""
    customer_id = draw(_CUSTOMERS)
    history = draw(st.lists(contact_entries(customer_id), min_size=1, max_size=3,
                            unique_by=lambda c: c.contact_id))  # fmt: skip
    latest = max(c.at for c in history)
    stated: tuple[Fact, ...] = ()
    if draw(st.booleans()):
        stated = (Fact(
            customer_id=customer_id, name=PREFERRED_CHANNEL,
            value=draw(st.sampled_from(DEFAULT_CHANNELS)),
            channel=draw(st.sampled_from(DEFAULT_CHANNELS)), observed_at=latest,
            expires_at=latest + draw(_HALVES), method=draw(st.sampled_from(["customer", "agent"])),
            contact_id=draw(st.none() | identifiers()),
        ),)  # fmt: skip
    found = preferred_channel_of(stated, history, at=latest)
    assert found is not None  # there is at least one contact
    return found


_CONTEXT: dict[type, st.SearchStrategy[Any]] = {
    Identity: identities(),
    Fact: facts(),
    ContactEntry: contact_entries(),
    HandoffBrief: handoff_briefs(),
    JourneyStep: handoff_briefs().filter(lambda b: bool(b.journey)).map(lambda b: b.journey[0]),
    PreferredChannel: preferred_channels(),
    AuditEntry: st.builds(
        AuditEntry,
        at=st.none() | _QUARTERS,
        action=st.sampled_from(["forget", "purge", "discard"]),
        detail=_SAFE_TEXT,
    ),
    BriefedOffer: st.builds(BriefedOffer, offer=_offers(), brief=st.none() | handoff_briefs()),
}

REGISTERED: dict[type, st.SearchStrategy[Any]] = {
    RoutingCriteria: criteria(),
    CriteriaStep: _CRITERIA_STEPS,
    **_EVENTS,
    **_DECISIONS,
    dc.Candidate: _CANDIDATES,
    dc.Explanation: _EXPLANATIONS,
    **_CONTEXT,
}
"""Every type :func:`register_strategies` registers, with its strategy."""
