"""Router: the only thing that mutates routing state. ``handle(event) -> list[Decision]``.

Theory of operation
-------------------
The caller owns time and I/O. Each event first applies every deadline due at or before its time
(exactly as a ``Tick`` would), then is *validated* against the state, then *applied*. Validation
never mutates, so a rejected event leaves the router exactly as ``Tick(at=event.at)`` would have,
and the error carries the decisions of those deadlines (``err.decisions``): nothing is parked for
a later call. (Validating before the deadlines would check against stale state, e.g. accept an
offer that expired before ``at``.) Event values were validated by the event constructors, so
``handle`` does only a constant few checks of its own.

Waiting contacts sit in lines per routing class (queue, stage) — the final "any agent" stages of a
channel share one line per aging rate; available agents sit in pools per (queue, skill cost) and
per channel, ordered by the agent policy (see :mod:`.pools`). Two moves keep the router
work-conserving: ``match_contact`` (a contact became waiting or eligible for more agents: read a
few pool heads) and ``match_agent`` (an agent gained capacity: read the heads of the lines it
serves). Every state change that can create a match calls one of them, so after any event no
contact waits while an eligible agent could take it. No event scans all agents or all contacts.

The router holds that state by composition (a private ``RoutingCore``, built in layers:
:mod:`._state`, :mod:`._waiting`, :mod:`._offers`, :mod:`._matching`, :mod:`._handlers`) and
shows only what a host needs: ``handle``, the clock and the next deadline, and read-only views.

>>> from experiencehub.core import events as ev
>>> router = Router(SkillGraph(), [QueueSpec("q", channel="chat", requires={"s": 1})])
>>> router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"s": 2}))
[]
>>> [type(d).__name__ for d in router.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))]
['Offer']
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType

import attrs

from . import decisions as dc
from . import events as ev
from ._callbacks import RETRY
from ._handlers import RoutingCore
from ._router_checks import FREE, check_router
from ._state import OFFER
from ._validators import MAX_SECONDS, FrozenDict
from .agents import AgentState, AgentStatus, ChannelRules, WorkPhase
from .contacts import ContactState, ContactStatus
from .deadlines import AT, KIND
from .eligibility import (
    COST_ABOVE_LIMIT,
    LACKS_SKILLS,
    criteria_serving,
    ineligibility,
    serving_cost,
)
from .errors import (
    CallerError,
    ClockWentBackwards,
    ConfigError,
    InvalidEvent,
    RouterFailed,
    RoutingError,
)
from .policies import AgentPolicy, make_policy
from .profiles import ContactSelection, make_selection
from .queues import QueueSpec
from .skills import SkillGraph
from .stats import RouterStats

__all__ = ["AgentView", "Router", "Work"]


@attrs.frozen(kw_only=True, slots=True)
class Work:
    """A contact holding one of an agent's slots, as an agent desktop shows it.

    ``phase``: ``"offered"`` (ringing; ``until`` is when the offer expires, None if offers never
    expire), ``"connected"`` (``since`` the agent accepted), ``"dialing"`` (a queued callback the
    agent calls, ``since`` it accepted) or ``"wrap_up"`` (``until`` is when a timed wrap-up ends,
    None when the agent ends it). ``since`` is when the offer was made or the
    contact connected; None in wrap-up.
    """

    contact_id: str
    channel: str
    phase: str
    since: float | None
    until: float | None


@attrs.frozen(kw_only=True, slots=True)
class AgentView:
    """One agent's status as a supervisor's board shows it.

    ``status``: ``"available"``, ``"away"`` or ``"logging_out"``; ``reason``: why it is away —
    the ``reason`` of the ``AgentStatusChanged`` that sent it away (e.g. ``"Break"``), or
    ``"unanswered offers"`` when the router set it away — None otherwise; ``since``: when this
    status and reason began (login time for an agent available since login); ``load`` and
    ``capacity``: slots in use and slots per channel; ``auto_accept``: the router accepts its
    offers on its behalf (``AgentLoggedIn.auto_accept``).
    """

    agent_id: str
    status: str
    reason: str | None
    since: float
    load: Mapping[str, int]
    capacity: Mapping[str, int]
    auto_accept: bool = False


class Router:
    """Routes contacts to agents. Deterministic: same events (and seed) → same decisions."""

    __slots__ = ("_core", "_failure", "_handlers")
    # the state's class; the toolkit's tests swap in deliberately broken ones
    _Core: type[RoutingCore] = RoutingCore

    def __init__(
        self,
        skills: SkillGraph,
        queues: Iterable[QueueSpec],
        *,
        agent_policy: str | AgentPolicy = "longest_idle",
        seed: int = 0,
        offer_timeout: float | None = 30.0,
        max_unanswered_offers: int | None = 3,
        channel_rules: Mapping[str, Collection[str]] | None = None,
        contact_selection: str | ContactSelection = "priority_then_wait",
    ) -> None:
        queue_list = _queue_list(queues)
        _check_config(skills, queue_list, offer_timeout, max_unanswered_offers)
        _check_rules(channel_rules)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"seed={seed!r}: must be an integer")
        skills.freeze()
        rng = random.Random(seed)
        rules = (
            ChannelRules.default()
            if channel_rules is None
            else ChannelRules.from_mapping(channel_rules)
        )
        self._core = self._Core(
            skills=skills,
            queues={q.name: q for q in queue_list},
            policy=make_policy(agent_policy, rng),
            selection=make_selection(contact_selection),
            rules=rules,
            offer_timeout=offer_timeout,
            max_unanswered=max_unanswered_offers,
        )
        self._handlers = self._core.handlers
        self._failure: str | None = None  # set when applying an event failed (a bug)

    # -- events in, decisions out ---------------------------------------------------------
    def handle(self, event: ev.Event) -> list[dc.Decision]:
        """Apply due deadlines, then the event; return the decisions to carry out, in order.

        A bad event raises a :class:`RoutingError` subclass and is not applied. The router is
        then left exactly as after ``Tick(at=event.at)``: the deadlines due by then have applied,
        and their decisions are the error's ``decisions`` (a tuple, empty when none were due) for
        the caller to carry out; nothing is parked or delayed. An event that is no event, or whose
        time lies before the router's (``ClockWentBackwards``) or is no valid time, changes
        nothing. Should applying an accepted event fail unexpectedly (a bug), ``RouterFailed``
        carries the decisions made until then and the router refuses every later event, rather
        than route from half-changed state. Cost: O(log n) in waiting contacts and agents (plus
        the deadlines that fall due).
        """
        if self._failure is not None:
            raise RouterFailed(
                f"{type(event).__name__}: refused, the router failed earlier ({self._failure}); "
                "rebuild it, e.g. by replaying the journal of accepted events"
            )
        handlers = self._handlers.get(type(event))
        if handlers is None:
            raise InvalidEvent(f"{event!r:.200}: not a routing event (see experiencehub.events)")
        core, at = self._core, event.at
        try:  # a trusted constructor may have let a bad time through; NaN fails this test too
            in_time = core.now <= at <= MAX_SECONDS
        except TypeError:
            in_time = False
        if not in_time:
            raise self._bad_time(event)
        check, apply = handlers
        out: list[dc.Decision] = []
        try:
            if core.deadlines.maybe_due(at):
                core.run_deadlines(at, out)
            core.now = at
        except BaseException as exc:
            raise self._fail(exc, out) from exc
        try:
            check(event)
        except RoutingError as err:
            err.decisions = tuple(out)
            raise
        except Exception as exc:  # e.g. an unhashable id in an event built without validation
            raise InvalidEvent(
                f"{event!r:.200}: refused ({type(exc).__name__}: {exc})", decisions=tuple(out)
            ) from exc
        try:
            apply(event, out)
        except BaseException as exc:
            raise self._fail(exc, out) from exc
        return out

    def _bad_time(self, event: ev.Event) -> RoutingError:
        at, now = event.at, self._core.now
        if isinstance(at, (int, float)) and not isinstance(at, bool) and at < now:
            return ClockWentBackwards(
                f"{type(event).__name__} at={at}: before the router's time {now}; "
                "events must come in time order"
            )
        return InvalidEvent(
            f"{type(event).__name__} at={at!r:.60}: must be a number of seconds, finite and "
            f"<= {MAX_SECONDS:g}"
        )

    def _fail(self, exc: BaseException, out: list[dc.Decision]) -> BaseException:
        """Close the router after an unexpected failure; keep the decisions made so far."""
        self._failure = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, Exception):  # KeyboardInterrupt and the like pass through
            return exc
        return RouterFailed(
            f"applying an event failed unexpectedly ({self._failure}); the router refuses "
            "every later event: carry out err.decisions, then rebuild it",
            decisions=tuple(out),
        )

    # -- the clock ------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """The router's time: that of the last event handled (0.0 before any). Cost: O(1)."""
        return self._core.now

    def next_deadline(self) -> float | None:
        """When the caller must send ``Tick`` next; None when nothing is pending. Cost: O(1)
        amortised."""
        return self._core.deadlines.next_at()

    def deadline_may_be_due(self, at: float) -> bool:
        """False when surely no deadline is due at or before ``at`` (answered without cleaning
        cancelled entries, so cheaper than :meth:`next_deadline`); True when one may be — then
        ask :meth:`next_deadline`. For drivers that poll before every event. Cost: O(1).
        """
        return self._core.deadlines.maybe_due(at)

    # -- read-only views ------------------------------------------------------------------
    @property
    def stats(self) -> RouterStats:
        """Real-time statistics; every read is O(1). Cost: O(1)."""
        return self._core.stats

    @property
    def queues(self) -> Mapping[str, QueueSpec]:
        """The configured queues by name (read-only). Cost: O(1)."""
        return MappingProxyType(self._core.queues)

    @property
    def policy_name(self) -> str:
        """The agent-selection policy's name. Cost: O(1)."""
        return self._core.policy.name

    def contact_status(self, contact_id: str) -> str:
        """``"waiting"``, ``"offered"`` or ``"connected"``; for a queued callback also
        ``"dialing"`` (its agent calls the customer) or ``"scheduled"`` (a dial failed; it queues
        again at its retry time). Cost: O(1)."""
        return self._core.contact(contact_id).status.value

    def estimated_wait(self, queue: str, position: int | None = None) -> float | None:
        """Seconds a contact at ``position`` (1-based) of the queue's line is expected to wait
        from now; by default a contact arriving now (behind every contact not yet connected).
        Estimated from the queue's recent departures from its lines (method in
        :mod:`experiencehub.core.stats`); None while it has none. Cost: O(1).

        >>> router = Router(SkillGraph(), [QueueSpec("q", channel="chat")])
        >>> router.estimated_wait("q") is None
        True
        """
        core = self._core
        core.queue(queue)
        if position is None:
            position = core.stats.waiting(queue) + 1
        elif isinstance(position, bool) or not isinstance(position, int) or position < 1:
            raise CallerError(f"position={position!r}: must be an integer >= 1")
        return core.stats.estimated_wait(queue, position)

    def is_open(self, queue: str) -> bool:
        """Does the queue take arrivals now (not closed by ``QueueClosed``)? ``UnknownQueue``
        for a name that is not configured. Cost: O(1)."""
        core = self._core
        return core.queue(queue).name not in core.closed

    def consult_of(self, contact_id: str) -> str | None:
        """The contact whose consult ``contact_id`` is (the leg of an open consult), else None.
        Cost: O(1).

        >>> router = Router(SkillGraph(), [QueueSpec("q", channel="chat")])
        >>> router.consult_of("c1") is None
        True
        """
        consult = self._core.consult_legs.get(contact_id)
        return None if consult is None else consult.contact_id

    def next_hours_change(self, queue: str) -> float | None:
        """When the queue's hours of operation next open or close it (the pending deadline);
        None for a queue without hours, or whose hours never change again. ``UnknownQueue``
        for a name that is not configured. Cost: O(1)."""
        core = self._core
        entry = core.hours_deadlines.get(core.queue(queue).name)
        return None if entry is None else entry[AT]

    def contact_ids(self) -> list[str]:
        """The contacts in the router (waiting, offered or connected), in arrival order.
        Cost: O(contacts)."""
        return list(self._core.contacts)

    def agent_status(self, agent_id: str) -> str:
        """``"available"``, ``"away"`` or ``"logging_out"``. Cost: O(1)."""
        return self._core.agent(agent_id).status.value

    def agent_view(self, agent_id: str) -> AgentView:
        """The agent as a supervisor's board shows it: status, away reason, since when, load,
        capacity and whether it auto-accepts. Cost: O(channels)."""
        agent = self._core.agent(agent_id)
        return AgentView(
            agent_id=agent_id,
            status=agent.status.value,
            reason=agent.reason,
            since=agent.status_since,
            load=FrozenDict(agent.load),
            capacity=FrozenDict(agent.capacity),
            auto_accept=agent.auto_accept,
        )

    def agent_load(self, agent_id: str) -> dict[str, int]:
        """Slots in use per channel (offered, connected or wrap-up). Cost: O(channels)."""
        return dict(self._core.agent(agent_id).load)

    def agent_ids(self) -> list[str]:
        """The agents logged in (also those logging out), in login order. Cost: O(agents)."""
        return list(self._core.agents)

    def work(self, agent_id: str) -> list[Work]:
        """What holds the agent's slots: offers awaiting an answer, connected contacts and
        wrap-ups, in the order the agent took them — what its desktop must show, e.g. after a
        restart (docs/durability.md). Cost: O(the agent's work).
        """
        agent = self._core.agent(agent_id)
        return [
            self._work_item(agent, cid, channel, phase)
            for cid, (channel, phase) in agent.work.items()
        ]

    def _work_item(self, agent: AgentState, cid: str, channel: str, phase: WorkPhase) -> Work:
        if phase is WorkPhase.WRAP_UP:
            entry = agent.wrapups.get(cid)
            return Work(contact_id=cid, channel=channel, phase="wrap_up", since=None,
                        until=None if entry is None else entry[AT])  # fmt: skip
        contact = self._core.contacts[cid]
        until = None
        if phase is WorkPhase.OFFERED:
            until = next((d[AT] for d in contact.deadlines if d[KIND] == OFFER), None)
        return Work(
            contact_id=cid, channel=channel, phase=phase.value, since=contact.since, until=until
        )

    def explain(self, contact_id: str) -> dc.Explanation:
        """Why a contact is where it is: for a waiting one, what keeps each agent from it.

        A diagnostic, not an event. Cost: O(agents).
        """
        core = self._core
        contact = core.contact(contact_id)
        policy = core.policy.name
        if contact.status is not ContactStatus.WAITING:
            return dc.Explanation(
                policy=policy,
                summary=f"{self._not_waiting(contact)}{core.consult_note(contact_id)}",
            )
        queue = contact.queue
        reasons: dict[str, list[dc.Candidate]] = {}
        for agent in core.agents.values():
            why, cost = self._why_not(agent, contact)
            reasons.setdefault(why, []).append(
                dc.Candidate(agent_id=agent.agent_id, cost=cost, note=why)
            )
        counts = (
            "; ".join(f"{len(found)} {why}" for why, found in sorted(reasons.items()))
            or "no agent is logged in"
        )
        ring = core.stage_summary(contact)
        target = (
            f"preferred agents {', '.join(contact.affinity)} only" if contact.affinity else ring
        )
        callback = contact.callback
        if callback is not None:
            target += (
                f"; a queued callback, dial {callback.attempt} of {callback.policy.max_attempts}"
            )
        return dc.Explanation(
            policy=policy,
            summary=(
                f"{contact_id} waits in {queue.name} at stage {contact.stage} ({target}), "
                f"{core.now - contact.enqueued_at:g}s so far: {counts}"
                f"{core.consult_note(contact_id)}"
            ),
            candidates=tuple(c for found in reasons.values() for c in found),
        )

    def _not_waiting(self, contact: ContactState) -> str:
        """Where a contact that does not wait is: with its agent, or scheduled to retry."""
        cid, callback = contact.contact_id, contact.callback
        if contact.status is ContactStatus.SCHEDULED:
            assert callback is not None
            retry_at = next(d[AT] for d in contact.deadlines if d[KIND] == RETRY)
            return (
                f"{cid} is a queued callback whose dial {callback.failed} of "
                f"{callback.policy.max_attempts} failed; it queues again in "
                f"{contact.queue.name} at {retry_at:g}s"
            )
        if contact.status is ContactStatus.DIALING:
            assert callback is not None
            return (
                f"{cid} is a queued callback: {contact.agent_id} is dialling the customer "
                f"(dial {callback.attempt} of {callback.policy.max_attempts})"
            )
        return f"{cid} is {contact.status.value} with {contact.agent_id}"

    def _why_not(self, agent: AgentState, contact: ContactState) -> tuple[str, float]:
        """What keeps ``agent`` from the waiting ``contact`` (or that nothing does), and its
        skill cost for the contact's queue (-1 when it lacks the skills; for a contact with
        criteria, the index of the first criteria step it meets, -1 when none)."""
        queue = contact.route
        served = agent.serving.get(queue.name)
        if served is None or served[0] == math.inf:  # inf: a profiled agent's "any agent" pool
            served = self._served(agent, contact)
        cost = -1.0 if served is None else served[0]
        if contact.affinity and agent.agent_id not in contact.affinity:
            return "not a preferred agent (affinity window)", cost
        if agent.agent_id in contact.excluded:
            return "declined it, let its offer expire, or transferred it", cost
        profile = agent.profile
        if profile is not None:
            since = -math.inf if contact.affinity else contact.enqueued_at  # affinity: no delay
            held = profile.why_not(contact.queue.name, since, self._core.now)
            if held is not None:
                return held, cost
        why = ineligibility(queue, contact.stage, agent.capacity, served)
        if why is not None:
            return _criteria_reason(why, contact, served), cost
        if agent.status is not AgentStatus.AVAILABLE:
            reason = f" ({agent.reason})" if agent.reason else ""
            return f"{agent.status.value}{reason}", cost
        if agent.load.get(queue.channel, 0) >= agent.capacity[queue.channel]:
            return f"at {queue.channel} capacity", cost
        if queue.channel not in agent.taking:
            return "blocked by work on another channel", cost
        return FREE, cost

    def _served(self, agent: AgentState, contact: ContactState) -> tuple[float, int] | None:
        # agents skilled beyond the queue's last finite stage are not among its pools' agents
        # (found at an "any agent" stage through the channel), but they are not unskilled
        core = self._core
        if contact.criteria is not None:
            return criteria_serving(core.skills, agent.skills, contact.queue, contact.criteria)
        return serving_cost(core.skills, agent.skills, contact.queue)

    # -- invariants (tests) ---------------------------------------------------------------
    def _check(self) -> None:
        """Assert every routing invariant (docs/routing.md); the tests call it after each event.
        Cost: O(contacts·agents) — for tests only (:mod:`._router_checks`)."""
        check_router(self._core, self._why_not)


def _queue_list(queues: Iterable[QueueSpec]) -> list[QueueSpec]:
    if isinstance(queues, (str, bytes, Mapping)) or not isinstance(queues, Iterable):
        raise ConfigError(f"queues={queues!r:.80}: must be a list of QueueSpec")
    return list(queues)


def _check_config(
    skills: SkillGraph,
    queues: list[QueueSpec],
    offer_timeout: float | None,
    max_unanswered: int | None,
) -> None:
    if not isinstance(skills, SkillGraph):
        raise ConfigError(f"skills={skills!r:.80}: must be a SkillGraph")
    names: set[str] = set()
    for queue in queues:
        if not isinstance(queue, QueueSpec):
            raise ConfigError(f"{queue!r}: queues must be QueueSpec objects")
        if queue.name in names:
            raise ConfigError(f"queue {queue.name!r}: defined twice")
        names.add(queue.name)
    for queue in queues:
        if queue.closed_queue is not None and queue.closed_queue not in names:
            raise ConfigError(
                f"queue {queue.name!r}: closed_queue={queue.closed_queue!r} is not a configured queue"
            )
    # finite and bounded, so every expiry (event time + timeout) is a finite time; None: no expiry
    if offer_timeout is not None and (
        isinstance(offer_timeout, bool)
        or not isinstance(offer_timeout, (int, float))
        or not 0 < offer_timeout <= MAX_SECONDS
    ):
        raise ConfigError(
            f"offer_timeout={offer_timeout!r}: must be > 0 and <= {MAX_SECONDS:g} seconds "
            "(finite), or None for offers that never expire"
        )
    if max_unanswered is not None and (
        isinstance(max_unanswered, bool)
        or not isinstance(max_unanswered, int)
        or max_unanswered < 1
    ):
        raise ConfigError(
            f"max_unanswered_offers={max_unanswered!r}: must be an integer >= 1, or None"
        )


def _check_rules(rules: Mapping[str, Collection[str]] | None) -> None:
    """Channel rules are a mapping of channel to a list of channels (``"*"``: every channel)."""
    if rules is None:
        return
    if not isinstance(rules, Mapping):
        raise ConfigError(f"channel_rules={rules!r:.80}: must be a mapping of channel to channels")
    for channel, blocked in rules.items():
        if isinstance(blocked, (str, bytes, Mapping)) or not isinstance(blocked, Iterable):
            raise ConfigError(
                f"channel_rules[{channel!r}]={blocked!r:.60}: must be a list of channels"
            )
        for other in blocked:
            if type(other) is not str or not other:
                raise ConfigError(
                    f"channel_rules[{channel!r}]: {other!r} must be a non-empty channel name"
                )


def _criteria_reason(
    why: str, contact: ContactState, served: tuple[float, int] | None
) -> str:
    """``explain``'s phrase for an agent a contact's criteria step keeps out."""
    if contact.criteria is None or why not in (LACKS_SKILLS, COST_ABOVE_LIMIT):
        return why
    if served is None:
        return "meets no criteria step"
    return f"meets criteria step {served[0]:g} only (the contact is at step {contact.stage})"
