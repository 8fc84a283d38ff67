"""Strategies for routing: configurations (skill graphs, stages, wrap-ups, queues, whole router
configurations), agent logins, and events for the state a
:class:`~experiencehub.testing.model.RouterModel` tracks — valid ones, and deliberately invalid
ones (unknown ids, duplicates, answers in the wrong state, time going backwards).

All times are multiples of 1/4 second and all configured durations multiples of 1/2 second, so the
arithmetic the router does on deadlines is exact and a model can recompute it. Public through
:mod:`experiencehub.testing.strategies`; registers nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
from hypothesis import strategies as st

from ..core import events as ev
from ..core.callbacks import CallbackPolicy
from ..core.hours import DAY_SECONDS, OpenHours
from ..core.policies import POLICIES
from ..core.profiles import SELECTIONS, RoutingProfile
from ..core.queues import QueueSpec, Stage, WrapUp
from ..core.skills import SkillGraph
from .model import RouterConfig, RouterModel

__all__ = [
    "CHANNELS",
    "agent_logins",
    "agent_logins_for",
    "capacities",
    "durations",
    "invalid_events",
    "open_hours",
    "queue_changes",
    "queue_specs",
    "router_configs",
    "routing_profiles",
    "skill_edges",
    "skill_graphs",
    "skill_levels",
    "skill_names",
    "stages",
    "time_steps",
    "valid_events",
    "wrap_ups",
]

CHANNELS = ("phone", "chat", "email")


def durations(min_value: float = 0.5, max_value: float = 120.0) -> st.SearchStrategy[float]:
    """Seconds, in multiples of 1/2 (exact in binary floating point). Cost: O(1) per draw."""
    return st.integers(int(min_value * 2), int(max_value * 2)).map(lambda n: n / 2)


def time_steps(max_value: float = 60.0) -> st.SearchStrategy[float]:
    """A time advance ≥ 0 in multiples of 1/4 s, often 0 (events at the same instant).

    Cost: O(1) per draw.
    """
    return st.one_of(st.just(0.0), st.integers(1, int(max_value * 4)).map(lambda n: n / 4))


def skill_names(count: int = 5) -> list[str]:
    """The names the strategies use: ``s0`` … ``s{count-1}``. Cost: O(count)."""
    return [f"s{i}" for i in range(count)]


@st.composite
def skill_edges(
    draw: st.DrawFn, skills: Sequence[str] = tuple(skill_names()), max_edges: int = 6
) -> list[tuple[str, str, float]]:
    """(skill, serves, cost) edges: mostly hierarchy (a later skill serves an earlier one, DAG-like),
    sometimes substitution either way (which may close a cycle, as real graphs can).
    Cost: O(max_edges·len(skills)) per draw.
    """
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
    """An unfrozen :class:`SkillGraph` over ``skills`` with edges from :func:`skill_edges`.

    Cost: O(S + E) per draw for S skills and E edges.
    """
    graph = SkillGraph.from_edges(draw(skill_edges(skills)))
    for skill in skills:
        if skill not in graph.skills:
            graph.add_skill(skill)
    return graph


@st.composite
def stages(draw: st.DrawFn, max_stages: int = 3) -> list[Stage]:
    """Bullseye stages: first at 0 s, times strictly increasing, costs never shrinking; the last
    may be ``max_cost=None`` (any agent on the channel). Cost: O(max_stages) per draw."""
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


def callback_policies() -> st.SearchStrategy[CallbackPolicy]:
    """Callback policies: retry delays in 1/2 s multiples, 1 to 3 dials, either place rule.
    Cost: O(1) per draw."""
    return st.builds(
        CallbackPolicy,
        retry_seconds=st.one_of(st.just(0.0), durations(0.5, 60.0)),
        max_attempts=st.integers(1, 3),
        keep_place=st.booleans(),
    )


def wrap_ups() -> st.SearchStrategy[WrapUp]:
    """None, timed (1/2 s multiples) or manual wrap-up. Cost: O(1) per draw."""
    return st.one_of(
        st.just(WrapUp("none")),
        durations(0.5, 30.0).map(lambda s: WrapUp("timed", s)),
        st.just(WrapUp("manual")),
    )


@st.composite
def _closing_rules(draw: st.DrawFn, others: Sequence[str] = ()) -> tuple[str | None, str]:
    """(``closed_queue``, ``closed_rule``) of a queue: often none of ``others`` (the other
    queues' names) and the rule ``"keep"``; else any rule, ``"move"`` only with a closed queue.
    Cost: O(len(others)) per draw."""
    closed_queue = draw(st.none() | st.sampled_from(list(others))) if others else None
    rules = ["keep", "keep", "end", *(["move", "move"] if closed_queue is not None else [])]
    return closed_queue, draw(st.sampled_from(rules))


def _quarters(low: float, high: float) -> st.SearchStrategy[float]:
    """Multiples of 1/4 s from ``low`` to ``high``."""
    return st.integers(int(low * 4), int(high * 4)).map(lambda n: n / 4)


@st.composite
def open_hours(draw: st.DrawFn, horizon: float = 400.0) -> OpenHours:
    """Hours of operation that change within ``horizon`` seconds of time 0, as a test that
    advances time by seconds reaches them: ``week_starts_at`` puts the midnight starting a
    drawn day within two minutes of 0 (day 0 of the week, or a later day, so the week's end
    wraps); up to three weekly intervals that day (some short, some running from the day
    before up to midnight, a whole day: edges that are no change), up to two ``closed``
    periods and two ``extra_open`` ones in the horizon. Every value a multiple of 1/4 s.
    Cost: O(1) per draw."""
    day = draw(st.integers(0, 6), label="day at time 0")
    week_starts_at = draw(_quarters(-120.0, 120.0), label="midnight") - day * DAY_SECONDS
    weekly = []
    for _ in range(draw(st.integers(0, 3), label="weekly intervals")):
        kind = draw(st.sampled_from(["short", "short", "to midnight", "whole day"]))
        length = draw(_quarters(1.0, 300.0), label="length")
        if kind == "short":
            start = draw(_quarters(0.0, horizon), label="start")
            weekly.append((day, start, start + length))
        elif kind == "to midnight":  # open the day before, until this day starts
            weekly.append(((day - 1) % 7, DAY_SECONDS - length, DAY_SECONDS))
        else:
            weekly.append((day, 0.0, DAY_SECONDS))
    periods = st.tuples(_quarters(0.0, horizon), _quarters(1.0, 200.0)).map(
        lambda p: (p[0], p[0] + p[1])
    )
    return OpenHours(
        weekly=weekly,
        week_starts_at=week_starts_at,
        closed=draw(st.lists(periods, max_size=2), label="closed"),
        extra_open=draw(st.lists(periods, max_size=2), label="extra open"),
    )


@st.composite
def queue_specs(
    draw: st.DrawFn,
    name: str = "q0",
    skills: Sequence[str] = tuple(skill_names()),
    channels: Sequence[str] = CHANNELS,
    others: Sequence[str] = (),
    *,
    hours: bool = False,
) -> QueueSpec:
    """A queue with every option drawn: requirements, stages, aging, max length, service level,
    wrap-up, rejoin and affinity windows, callbacks, its closing rule (with a closed queue
    among ``others``, the other queues' names) and its estimated-wait alert threshold; with
    ``hours``, often hours of operation too (:func:`open_hours`; drawn last, so without it
    every other draw is as before). Cost: O(len(skills) + stages) per draw."""
    required = draw(st.lists(st.sampled_from(list(skills)), min_size=0, max_size=2, unique=True))
    drawn_stages: list[Stage] = draw(stages())
    closed_queue, closed_rule = draw(_closing_rules(others))
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
        callback=draw(st.one_of(st.none(), callback_policies())),
        closed_queue=closed_queue,
        closed_rule=closed_rule,
        # drawn last, so the options above draw as they did before it was drawn
        estimated_wait_alert_seconds=draw(st.one_of(st.none(), durations(0.0, 30.0))),
        hours=draw(st.none() | open_hours() | open_hours(), label="hours") if hours else None,
    )


CHANGEABLE = (
    "requires",
    "stages",
    "priority_weight",
    "aging_per_minute",
    "max_length",
    "service_level_seconds",
    "wrap_up",
    "rejoin_seconds",
    "affinity_seconds",
    "callback",
    "estimated_wait_alert_seconds",
)
"""The options :func:`queue_changes` draws anew (the others stay as they were)."""


@st.composite
def queue_changes(
    draw: st.DrawFn,
    old: QueueSpec,
    skills: Sequence[str] = tuple(skill_names()),
    others: Sequence[str] = (),
    *,
    hours: bool = False,
) -> QueueSpec:
    """A new spec for the queue ``old`` (for ``QueueChanged``): its name, channel and closing
    rule stay, and its hours unless ``hours``; each option of :data:`CHANGEABLE` is kept or
    drawn anew as by :func:`queue_specs`, and now and then its ``closed_queue`` becomes one of
    ``others`` (other configured queues); with ``hours``, its hours too (new ones, or none).
    May equal ``old``. Cost: O(len(skills) + stages) per draw."""
    fresh = draw(queue_specs(old.name, skills, (old.channel,), hours=hours))
    changed = {name: getattr(fresh, name) for name in CHANGEABLE if draw(st.booleans())}
    if others and draw(st.integers(0, 3)) == 0:
        changed["closed_queue"] = draw(st.sampled_from(list(others)))
    if hours and draw(st.booleans(), label="new hours"):
        changed["hours"] = fresh.hours
    return attrs.evolve(old, **changed)


@st.composite
def router_configs(
    draw: st.DrawFn,
    max_queues: int = 3,
    channels: Sequence[str] = CHANNELS,
    policies: Sequence[str] = tuple(POLICIES),
    contact_selections: Sequence[str] = (),
    *,
    hours: bool = False,
) -> RouterConfig:
    """A whole configuration: skill graph, 1..max_queues queues (a queue may name another as
    its closed queue, with any closing rule), policy, seed, offer timeout, unanswered-offer
    limit; with ``contact_selections`` (names of built-in contact selections; empty, the
    default, draws none and keeps the router's default) one of them too; with ``hours``, queues
    often with hours of operation (:func:`queue_specs`).
    Cost: O(max_queues·(S + stages) + E) per draw."""
    names = skill_names(draw(st.integers(1, 5)))
    count = draw(st.integers(1, max_queues))
    ids = [f"q{i}" for i in range(count)]
    others = {q: [o for o in ids if o != q] for q in ids}
    queues = [draw(queue_specs(q, names, channels, others[q], hours=hours)) for q in ids]
    config = RouterConfig(
        queues=queues,
        skill_edges=draw(skill_edges(names)),
        skills=tuple(names),
        agent_policy=draw(st.sampled_from(list(policies))),
        seed=draw(st.integers(0, 2**16)),
        offer_timeout=draw(st.one_of(st.none(), durations(0.5, 40.0))),
        max_unanswered_offers=draw(st.one_of(st.none(), st.integers(1, 3))),
    )
    if not contact_selections:  # opt-in: drawn last, so the rest draws as it did before
        return config
    selection = draw(st.sampled_from(list(contact_selections)))
    return attrs.evolve(config, contact_selection=selection)


def skill_levels(skills: Sequence[str]) -> st.SearchStrategy[dict[str, int]]:
    """An agent's skills: a few of ``skills`` at levels 0..3.

    Cost: O(len(skills)) to build; O(1) per draw.
    """
    return st.dictionaries(st.sampled_from(list(skills)), st.integers(0, 3), max_size=3)


def capacities(channels: Sequence[str] = CHANNELS) -> st.SearchStrategy[dict[str, int]]:
    """Capacity per channel; mostly the classic 1 phone / 3 chat / 5 email, sometimes 0 to 5.

    Cost: O(len(channels)) per draw.
    """
    classic = {"phone": 1, "chat": 3, "email": 5}
    return st.one_of(
        st.just({c: classic.get(c, 1) for c in channels}),
        st.just({c: classic.get(c, 1) for c in channels}),
        st.fixed_dictionaries({c: st.sampled_from([0, 1, 3, 5]) for c in channels}),
    )


@st.composite
def routing_profiles(
    draw: st.DrawFn, queues: Sequence[str], selections: Sequence[str] = tuple(SELECTIONS)
) -> RoutingProfile:
    """A RoutingProfile listing one or more of ``queues`` (names), each with a priority 1..3
    and a delay (often 0, else 1/2 s multiples up to 30 s); its ``selection`` None or one of
    ``selections``. Cost: O(len(queues)) per draw."""
    listed = draw(st.lists(st.sampled_from(sorted(queues)), min_size=1, unique=True))
    entries = {
        name: {
            "priority": draw(st.integers(1, 3)),
            "delay": draw(st.one_of(st.just(0.0), durations(0.5, 30.0))),
        }
        for name in listed
    }
    selection = draw(st.none() | st.sampled_from(list(selections))) if selections else None
    return RoutingProfile(queues=entries, selection=selection)


def _profile_or_none(
    draw: st.DrawFn, profile_queues: Sequence[str] | None
) -> RoutingProfile | None:
    """A profile over ``profile_queues`` one time in two; none when they are None."""
    if profile_queues is None or not profile_queues:
        return None
    return draw(st.none() | routing_profiles(profile_queues))


@st.composite
def agent_logins(
    draw: st.DrawFn,
    agent_id: str,
    at: float,
    skills: Sequence[str] = tuple(skill_names()),
    channels: Sequence[str] = CHANNELS,
    *,
    profile_queues: Sequence[str] | None = None,
) -> ev.AgentLoggedIn:
    """An AgentLoggedIn for ``agent_id`` at ``at`` with drawn skills and capacity; with
    ``profile_queues`` (queue names; None, the default, draws no profile) one time in two a
    :func:`routing_profiles` over them.

    Cost: O(len(skills) + len(channels)) per draw.
    """
    return ev.AgentLoggedIn(
        at=at,
        agent_id=agent_id,
        skills=draw(skill_levels(skills)),
        capacity=draw(capacities(channels)),
        profile=_profile_or_none(draw, profile_queues),
    )


@st.composite
def agent_logins_for(
    draw: st.DrawFn,
    config: RouterConfig,
    agent_id: str,
    at: float,
    *,
    profile_queues: Sequence[str] | None = None,
) -> ev.AgentLoggedIn:
    """An AgentLoggedIn shaped by a configuration: usually skilled enough for one or more of its
    queues (so offers happen), sometimes with random or no skills; with ``profile_queues``
    (queue names, e.g. the configuration's and those added since; None, the default, draws no
    profile) one time in two a :func:`routing_profiles` over them, drawn last.
    Cost: O(Q·R + S) per draw, for Q queues of R requirements and S skills.
    """
    names = config.all_skills or ("s0",)
    skills: dict[str, int] = {}
    skilled: int = draw(st.integers(0, 4))
    if config.queues and skilled:
        for queue in draw(st.lists(st.sampled_from(config.queues), min_size=1, max_size=2)):
            for skill, level in queue.requires.items():
                skills[skill] = max(skills.get(skill, 0), draw(st.integers(level, level + 1)))
    skills.update(draw(skill_levels(names)) if draw(st.booleans()) else {})
    capacity = draw(capacities(config.channels))
    own_wrap_up = draw(st.one_of(st.none(), st.none(), wrap_ups()))  # mostly the queue's
    auto_accept = draw(st.integers(0, 4)) == 0  # one agent in five has its offers auto-accepted
    return ev.AgentLoggedIn(
        at=at, agent_id=agent_id, skills=skills, capacity=capacity, wrap_up=own_wrap_up,
        auto_accept=auto_accept, profile=_profile_or_none(draw, profile_queues),
    )  # fmt: skip


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
    Cost: O(C log C + A·L log(A·L)) to build from the model (its contacts, agents and
    wrap-ups, sorted); O(1) per draw besides a login's skills.
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
    if model.queues:  # a queue closed (its contacts stay, move or end) or opened again
        queue = st.sampled_from(sorted(model.queues))
        options.append(
            st.one_of(
                st.builds(ev.QueueClosed, at=at, queue=queue),
                st.builds(ev.QueueOpened, at=at, queue=queue),
            )
        )
        options.append(st.builds(_changed, queue.flatmap(_changes_of(model)), at))
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
        options.append(
            st.builds(
                lambda login, agent_id: ev.AgentSkillsChanged(
                    at=login.at, agent_id=agent_id, skills=login.skills
                ),
                at.flatmap(lambda t: agent_logins_for(cfg, "skills", t)),
                st.sampled_from(active),
            )
        )
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
    going backwards. Use ``model.predict_error(event)`` for the error it must raise.
    Cost: O(C log C + A·L log(A·L)) to build; each draw runs ``model.predict_error``, O(A·L).
    """
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
    # a change of a queue the router does not have (its spec otherwise one it would accept)
    unknown = st.sampled_from(sorted(model.queues)).map(
        lambda name: renamed_spec(model.queues[name], f"{fresh}-q")
    )
    options.append(st.builds(_changed, unknown, at))
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


def _changed(spec: QueueSpec, at: float) -> ev.QueueChanged:
    return ev.QueueChanged(at=at, spec=spec)


def _changes_of(model: RouterModel) -> Callable[[str], st.SearchStrategy[QueueSpec]]:
    """Draws a change of the named queue by :func:`queue_changes`, given the model's queues."""
    skills = model.config.all_skills or ("s",)

    def changes(name: str) -> st.SearchStrategy[QueueSpec]:
        others = [other for other in sorted(model.queues) if other != name]
        return queue_changes(model.queues[name], skills, others)

    return changes


def renamed_spec(spec: QueueSpec, name: str) -> QueueSpec:
    """``spec`` under another name, without a closed queue (``move`` then needs one: ``keep``)."""
    rule = "keep" if spec.closed_rule == "move" else spec.closed_rule
    return attrs.evolve(spec, name=name, closed_queue=None, closed_rule=rule)
