"""Hypothesis strategies for every public value type of the routing core.

Configuration values (skill graphs, stages, wrap-ups, queues, whole router configurations), agent
logins, and events: valid ones for the state a :class:`~.model.RouterModel` tracks, and deliberately
invalid ones (unknown ids, duplicates, answers in the wrong state, time going backwards).

All times are multiples of 1/4 second and all configured durations multiples of 1/2 second, so the
arithmetic the router does on deadlines is exact and a model can recompute it.

Every event and decision class, and the context layer's value types (``Identity``, ``Fact``,
``ContactEntry``, ``JourneyStep``, ``HandoffBrief``, ``AuditEntry``, ``BriefedOffer``), has a
strategy of valid instances, registered with hypothesis when this module is imported (by
``experiencehub.testing`` too), so ``st.from_type(ContactArrived)`` works; see
:func:`register_strategies`.

>>> from hypothesis import given
>>> @given(skill_graphs())
... def test_graph_freezes(graph):
...     graph.freeze()
>>> test_graph_freezes()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from ..context._store_protocol import AuditEntry, customer_id_of
from ..context.brief import HandoffBrief, JourneyStep, build_brief
from ..context.facts import DEFAULT_CHANNELS, ContactEntry, Fact
from ..context.hub import BriefedOffer
from ..context.identity import Identity
from ..context.secrets import is_secret_name, secret_in_text
from ..core import _validators
from ..core import decisions as dc
from ..core import events as ev
from ..core.policies import POLICIES
from ..core.queues import QueueSpec, Stage, WrapUp
from ..core.skills import SkillGraph
from .model import RouterConfig, RouterModel

__all__ = [
    "CHANNELS",
    "agent_logins",
    "agent_logins_for",
    "capacities",
    "contact_entries",
    "decisions",
    "durations",
    "event_times",
    "events",
    "facts",
    "handoff_briefs",
    "identifiers",
    "identities",
    "invalid_events",
    "queue_specs",
    "register_strategies",
    "router_configs",
    "skill_edges",
    "skill_graphs",
    "skill_levels",
    "stages",
    "time_steps",
    "valid_events",
    "wrap_ups",
]

CHANNELS = ("phone", "chat", "email")


def durations(min_value: float = 0.5, max_value: float = 120.0) -> st.SearchStrategy[float]:
    """Seconds, in multiples of 1/2 (exact in binary floating point)."""
    return st.integers(int(min_value * 2), int(max_value * 2)).map(lambda n: n / 2)


def time_steps(max_value: float = 60.0) -> st.SearchStrategy[float]:
    """A time advance ≥ 0 in multiples of 1/4 s, often 0 (events at the same instant)."""
    return st.one_of(st.just(0.0), st.integers(1, int(max_value * 4)).map(lambda n: n / 4))


def skill_names(count: int = 5) -> list[str]:
    """The names the strategies use: ``s0`` … ``s{count-1}``."""
    return [f"s{i}" for i in range(count)]


@st.composite
def skill_edges(
    draw: st.DrawFn, skills: Sequence[str] = tuple(skill_names()), max_edges: int = 6
) -> list[tuple[str, str, float]]:
    """(skill, serves, cost) edges: mostly hierarchy (a later skill serves an earlier one, DAG-like),
    sometimes substitution either way (which may close a cycle, as real graphs can)."""
    names = list(skills)
    if len(names) < 2:
        return []
    edges: dict[tuple[str, str], float] = {}
    for _ in range(draw(st.integers(0, max_edges))):
        u, v = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        if u == v:
            continue
        if draw(st.booleans()) and names.index(u) < names.index(v):
            u, v = v, u  # hierarchy direction: child (later) serves parent (earlier)
        edges[(u, v)] = draw(st.sampled_from([0.0, 1.0, 2.0, 3.0, 5.0]))
    return [(u, v, c) for (u, v), c in sorted(edges.items())]


@st.composite
def skill_graphs(draw: st.DrawFn, skills: Sequence[str] = tuple(skill_names())) -> SkillGraph:
    """An unfrozen :class:`SkillGraph` over ``skills`` with edges from :func:`skill_edges`."""
    graph = SkillGraph.from_edges(draw(skill_edges(skills)))
    for skill in skills:
        if skill not in graph.skills:
            graph.add_skill(skill)
    return graph


@st.composite
def stages(draw: st.DrawFn, max_stages: int = 3) -> list[Stage]:
    """Bullseye stages: first at 0 s, times strictly increasing, costs never shrinking; the last
    may be ``max_cost=None`` (any agent on the channel)."""
    count = draw(st.integers(1, max_stages))
    after, cost = 0.0, draw(st.sampled_from([0.0, 1.0, 2.0]))
    out = [Stage(after=0, max_cost=cost)]
    for i in range(1, count):
        after += draw(durations(0.5, 40.0))
        if i == count - 1 and draw(st.booleans()):
            out.append(Stage(after=after, max_cost=None))
        else:
            cost += draw(st.sampled_from([0.0, 1.0, 2.0, 3.0]))
            out.append(Stage(after=after, max_cost=cost))
    return out


def wrap_ups() -> st.SearchStrategy[WrapUp]:
    """None, timed (1/2 s multiples) or manual wrap-up."""
    return st.one_of(
        st.just(WrapUp("none")),
        durations(0.5, 30.0).map(lambda s: WrapUp("timed", s)),
        st.just(WrapUp("manual")),
    )


@st.composite
def queue_specs(
    draw: st.DrawFn,
    name: str = "q0",
    skills: Sequence[str] = tuple(skill_names()),
    channels: Sequence[str] = CHANNELS,
) -> QueueSpec:
    """A queue with every option drawn: requirements, stages, aging, max length, service level,
    wrap-up, rejoin and affinity windows."""
    required = draw(st.lists(st.sampled_from(list(skills)), min_size=0, max_size=2, unique=True))
    drawn_stages: list[Stage] = draw(stages())
    return QueueSpec(
        name,
        channel=draw(st.sampled_from(list(channels))),
        requires={s: draw(st.integers(0, 3)) for s in required},
        stages=tuple(drawn_stages),  # type: ignore[arg-type]  # core: converter=tuple is untyped
        priority_weight=draw(st.sampled_from([0.0, 1.0, 2.0])),
        aging_per_minute=draw(st.sampled_from([0.0, 0.0, 1.0, 6.0])),
        max_length=draw(st.one_of(st.none(), st.integers(1, 4))),
        service_level_seconds=draw(st.one_of(st.none(), durations(0.0, 60.0))),
        wrap_up=draw(wrap_ups()),
        rejoin_seconds=draw(st.one_of(st.just(0.0), durations(0.5, 60.0))),
        affinity_seconds=draw(st.one_of(st.just(0.0), durations(0.5, 60.0))),
    )


@st.composite
def router_configs(
    draw: st.DrawFn,
    max_queues: int = 3,
    channels: Sequence[str] = CHANNELS,
    policies: Sequence[str] = tuple(POLICIES),
) -> RouterConfig:
    """A whole configuration: skill graph, 1..max_queues queues, policy, seed, offer timeout,
    unanswered-offer limit."""
    names = skill_names(draw(st.integers(1, 5)))
    count = draw(st.integers(1, max_queues))
    queues: list[QueueSpec] = [draw(queue_specs(f"q{i}", names, channels)) for i in range(count)]
    return RouterConfig(
        queues=queues,
        skill_edges=draw(skill_edges(names)),
        skills=tuple(names),
        agent_policy=draw(st.sampled_from(list(policies))),
        seed=draw(st.integers(0, 2**16)),
        offer_timeout=draw(st.one_of(st.none(), durations(0.5, 40.0))),
        max_unanswered_offers=draw(st.one_of(st.none(), st.integers(1, 3))),
    )


def skill_levels(skills: Sequence[str]) -> st.SearchStrategy[dict[str, int]]:
    """An agent's skills: a few of ``skills`` at levels 0..3."""
    return st.dictionaries(st.sampled_from(list(skills)), st.integers(0, 3), max_size=3)


def capacities(channels: Sequence[str] = CHANNELS) -> st.SearchStrategy[dict[str, int]]:
    """Capacity per channel; mostly the classic 1 phone / 3 chat / 5 email, sometimes 0 to 5."""
    classic = {"phone": 1, "chat": 3, "email": 5}
    return st.one_of(
        st.just({c: classic.get(c, 1) for c in channels}),
        st.just({c: classic.get(c, 1) for c in channels}),
        st.fixed_dictionaries({c: st.sampled_from([0, 1, 3, 5]) for c in channels}),
    )


@st.composite
def agent_logins(
    draw: st.DrawFn,
    agent_id: str,
    at: float,
    skills: Sequence[str] = tuple(skill_names()),
    channels: Sequence[str] = CHANNELS,
) -> ev.AgentLoggedIn:
    """An AgentLoggedIn for ``agent_id`` at ``at`` with drawn skills and capacity."""
    return ev.AgentLoggedIn(
        at=at,
        agent_id=agent_id,
        skills=draw(skill_levels(skills)),
        capacity=draw(capacities(channels)),
    )


@st.composite
def agent_logins_for(
    draw: st.DrawFn, config: RouterConfig, agent_id: str, at: float
) -> ev.AgentLoggedIn:
    """An AgentLoggedIn shaped by a configuration: usually skilled enough for one or more of its
    queues (so offers happen), sometimes with random or no skills."""
    names = config.all_skills or ("s0",)
    skills: dict[str, int] = {}
    skilled: int = draw(st.integers(0, 4))
    if config.queues and skilled:
        for queue in draw(st.lists(st.sampled_from(config.queues), min_size=1, max_size=2)):
            for skill, level in queue.requires.items():
                skills[skill] = max(skills.get(skill, 0), draw(st.integers(level, level + 1)))
    skills.update(draw(skill_levels(names)) if draw(st.booleans()) else {})
    return ev.AgentLoggedIn(
        at=at, agent_id=agent_id, skills=skills, capacity=draw(capacities(config.channels))
    )


# -- events for a tracked state -----------------------------------------------------------------
def _at(model: RouterModel, deadline: float | None) -> st.SearchStrategy[float]:
    """A time at or after the model's, before ``deadline`` when one is given."""
    now = model.now

    def fit(t: float) -> float:
        return now if deadline is not None and now + t >= deadline else now + t

    return time_steps().map(fit)


def valid_events(
    model: RouterModel,
    *,
    deadline: float | None = None,
    fresh: str = "new",
    transfers: bool = True,
) -> st.SearchStrategy[ev.Event]:
    """One event the model predicts valid now, of any type that fits the state.

    ``deadline``: the router's ``next_deadline()``; times stay before it, so the model's
    prediction is exact. ``fresh``: a prefix for new agent and contact ids. ``transfers``: include
    ContactTransferred.
    """
    at = _at(model, deadline)
    cfg = model.config
    options: list[st.SearchStrategy[ev.Event]] = [
        st.builds(ev.Tick, at=at),
        at.flatmap(lambda t: agent_logins_for(cfg, f"{fresh}-a{len(model.agents)}", t)),
        st.builds(
            ev.ContactArrived,
            at=at,
            contact_id=st.just(f"{fresh}-c{len(model.arrived)}"),
            queue=st.sampled_from(sorted(model.queues)),
            priority=st.integers(-1, 3),
            customer_id=st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"])),
            preferred_agents=st.lists(
                st.sampled_from(sorted(model.agents) or ["nobody"]), max_size=2
            ),
        ),
    ]
    by_status: dict[str, list[str]] = {"waiting": [], "offered": [], "connected": []}
    for cid, contact in sorted(model.contacts.items()):
        by_status[contact.status].append(cid)
    offered = [(c, model.contacts[c].agent_id) for c in by_status["offered"]]
    if offered:
        pair = st.sampled_from(offered)
        options.append(
            st.builds(lambda p, t: ev.OfferAccepted(at=t, contact_id=p[0], agent_id=p[1]), pair, at)
        )
        options.append(
            st.builds(lambda p, t: ev.OfferRejected(at=t, contact_id=p[0], agent_id=p[1]), pair, at)
        )
    if by_status["connected"]:
        options.append(
            st.builds(ev.ContactEnded, at=at, contact_id=st.sampled_from(by_status["connected"]))
        )
    unconnected = by_status["waiting"] + by_status["offered"]
    if unconnected:
        options.append(
            st.builds(ev.ContactAbandoned, at=at, contact_id=st.sampled_from(unconnected))
        )
    if model.contacts and transfers:
        options.append(
            st.builds(
                ev.ContactTransferred,
                at=at,
                contact_id=st.sampled_from(sorted(model.contacts)),
                queue=st.sampled_from(sorted(model.queues)),
            )
        )
    active = sorted(a for a, agent in model.agents.items() if agent.status != "logging_out")
    if active:
        options.append(
            st.builds(
                ev.AgentStatusChanged,
                at=at,
                agent_id=st.sampled_from(active),
                status=st.sampled_from(["available", "away"]),
            )
        )
        options.append(st.builds(ev.AgentLoggedOut, at=at, agent_id=st.sampled_from(active)))
    wrapping = model.wrapping()
    if wrapping:
        options.append(
            st.builds(
                lambda p, t: ev.WrapUpEnded(at=t, agent_id=p[1], contact_id=p[0]),
                st.sampled_from(wrapping),
                at,
            )
        )
    return st.one_of(options)


def invalid_events(
    model: RouterModel, *, deadline: float | None = None, fresh: str = "ghost"
) -> st.SearchStrategy[ev.Event]:
    """One event the router must reject now: unknown ids, duplicates, wrong-state answers, time
    going backwards. Use ``model.predict_error(event)`` for the error it must raise."""
    at = _at(model, deadline)
    known_contacts = sorted({*model.contacts, *model.outcomes}) or [f"{fresh}-c"]
    known_agents = sorted({*model.agents, *model.gone_agents}) or [f"{fresh}-a"]
    contact = st.one_of(st.just(f"{fresh}-c"), st.sampled_from(known_contacts))
    agent = st.one_of(st.just(f"{fresh}-a"), st.sampled_from(known_agents))
    options: list[st.SearchStrategy[ev.Event]] = [
        st.builds(ev.OfferAccepted, at=at, contact_id=contact, agent_id=agent),
        st.builds(ev.OfferRejected, at=at, contact_id=contact, agent_id=agent),
        st.builds(ev.ContactEnded, at=at, contact_id=contact),
        st.builds(ev.ContactAbandoned, at=at, contact_id=contact),
        st.builds(ev.ContactTransferred, at=at, contact_id=contact, queue=st.just(f"{fresh}-q")),
        st.builds(ev.WrapUpEnded, at=at, agent_id=agent, contact_id=contact),
        st.builds(
            ev.AgentStatusChanged,
            at=at,
            agent_id=agent,
            status=st.sampled_from(["available", "away"]),
        ),
        st.builds(ev.AgentLoggedOut, at=at, agent_id=agent),
        st.builds(
            ev.ContactArrived, at=at, contact_id=st.just(f"{fresh}-c"), queue=st.just(f"{fresh}-q")
        ),
    ]
    if model.agents:
        options.append(
            st.builds(
                ev.AgentLoggedIn,
                at=at,
                agent_id=st.sampled_from(sorted(model.agents)),
                skills=st.just({}),
            )
        )
    live = sorted({*model.contacts, *(cid for cid, _agent in model.wrapping())})
    if live:
        options.append(
            st.builds(
                ev.ContactArrived,
                at=at,
                contact_id=st.sampled_from(live),
                queue=st.sampled_from(sorted(model.queues)),
            )
        )
    if model.now > 0:
        back = st.integers(1, max(1, int(model.now * 4))).map(lambda n: max(0.0, model.now - n / 4))
        options.append(st.builds(ev.Tick, at=back))
    return st.one_of(options).filter(lambda e: model.predict_error(e) is not None)


# -- every event, decision and context value, for st.from_type ---------------------------------
def identifiers() -> st.SearchStrategy[str]:
    """Ids as hosts send them: short, lower-case, safe in JSON and in every store."""
    return st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)


def event_times() -> st.SearchStrategy[float]:
    """Any valid event time: a float from 0 to 1e12 seconds (not only quarter seconds)."""
    return st.floats(0.0, _validators.MAX_SECONDS, allow_nan=False)


_TEXT = st.text(max_size=20)
_COSTS = st.floats(0.0, 100.0, allow_nan=False)
_JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), _TEXT)


def _later(at: float) -> st.SearchStrategy[float]:
    """A time at or after ``at`` (an expiry, the end of a wrap-up)."""
    return st.floats(0.0, 1e6, allow_nan=False).map(lambda extra: at + extra)


_EVENTS: dict[type, st.SearchStrategy[Any]] = {
    ev.AgentLoggedIn: st.builds(
        ev.AgentLoggedIn,
        at=event_times(),
        agent_id=identifiers(),
        skills=st.dictionaries(identifiers(), st.integers(0, 5), max_size=3),
        capacity=st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 5)),
    ),
    ev.AgentStatusChanged: st.builds(
        ev.AgentStatusChanged,
        at=event_times(),
        agent_id=identifiers(),
        status=st.sampled_from(["available", "away"]),
        reason=st.none() | _TEXT,
    ),
    ev.AgentLoggedOut: st.builds(ev.AgentLoggedOut, at=event_times(), agent_id=identifiers()),
    ev.ContactArrived: st.builds(
        ev.ContactArrived,
        at=event_times(),
        contact_id=identifiers(),
        queue=identifiers(),
        priority=st.integers(-_validators.MAX_PRIORITY, _validators.MAX_PRIORITY),
        customer_id=st.none() | identifiers(),
        attributes=st.dictionaries(identifiers(), _JSON_VALUES, max_size=3),
        preferred_agents=st.lists(identifiers(), max_size=3).map(tuple),
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
        ev.ContactTransferred, at=event_times(), contact_id=identifiers(), queue=identifiers()
    ),
    ev.Tick: st.builds(ev.Tick, at=event_times()),
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
    return dc.Offer(
        at=at,
        contact_id=draw(identifiers()),
        agent_id=draw(identifiers()),
        queue=draw(identifiers()),
        channel=draw(st.sampled_from(CHANNELS)),
        stage=draw(st.integers(0, 3)),
        expires_at=draw(st.none() | _later(at)),
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
}


def events() -> st.SearchStrategy[ev.Event]:
    """Any valid event, of any type (fields drawn independently: not a consistent history;
    use :func:`valid_events` for that)."""
    return st.one_of(list(_EVENTS.values()))


def decisions() -> st.SearchStrategy[dc.Decision]:
    """Any valid decision, of any type, with expiries and wrap-up ends at or after ``at``."""
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
    account numbers), normalised by the constructor."""
    return st.one_of([st.builds(Identity, st.just(kind), _IDENTITY_VALUES[kind]) for kind in kinds])


@st.composite
def facts(draw: st.DrawFn, customer_id: str | None = None) -> Fact:
    """A fact a store would accept and return as it is: a harmless name and value (no secret,
    no card number), or a verification outcome (``value=None``, ``verified``, a ``method``);
    ``expires_at`` is ``observed_at`` plus a validity period, exactly."""
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
    """A row of contact history a store would accept: ends (if it has) at or after it starts."""
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
    drawn identities, facts and contacts of one customer, at a time after all of them."""
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


_CONTEXT: dict[type, st.SearchStrategy[Any]] = {
    Identity: identities(),
    Fact: facts(),
    ContactEntry: contact_entries(),
    HandoffBrief: handoff_briefs(),
    JourneyStep: handoff_briefs().filter(lambda b: bool(b.journey)).map(lambda b: b.journey[0]),
    AuditEntry: st.builds(
        AuditEntry,
        at=st.none() | _QUARTERS,
        action=st.sampled_from(["forget", "purge", "discard"]),
        detail=_SAFE_TEXT,
    ),
    BriefedOffer: st.builds(BriefedOffer, offer=_offers(), brief=st.none() | handoff_briefs()),
}

REGISTERED: dict[type, st.SearchStrategy[Any]] = {
    **_EVENTS,
    **_DECISIONS,
    dc.Candidate: _CANDIDATES,
    dc.Explanation: _EXPLANATIONS,
    **_CONTEXT,
}
"""Every type :func:`register_strategies` registers, with its strategy."""


def register_strategies() -> None:
    """Register a strategy of valid instances for every event, decision and context value type,
    so ``st.from_type(T)`` (and ``st.builds`` of a class with such fields) draws them. Called
    when this module is imported; calling it again changes nothing. Cost: O(types)."""
    for cls, strategy in REGISTERED.items():
        st.register_type_strategy(cls, strategy)


register_strategies()
