"""The scenario file's sections as frozen attrs classes: what a parsed scenario holds.

This module owns the *shape* of a scenario (the classes, their fields and defaults). It reads no
file and checks no rule: :mod:`.scenario` parses TOML into these classes and :mod:`.checks`
validates them. It imports nothing else of the simulator, so both can import it without a cycle.
Import the classes from :mod:`experiencehub.sim.scenario`, which re-exports them.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..core.events import DEFAULT_CAPACITY
from .kpi import ServiceLevelRule, service_level_rule

__all__ = [
    "CHANGEABLE_QUEUE_KEYS",
    "AgentGroup",
    "Arrivals",
    "Ask",
    "Break",
    "Callback",
    "ChannelPreference",
    "Consult",
    "ContextSettings",
    "CriteriaConfig",
    "CriteriaStepConfig",
    "Distribution",
    "Ivr",
    "KpiSettings",
    "OpenInterval",
    "QueueChange",
    "QueueClosure",
    "QueueConfig",
    "QueueHours",
    "QueuedCallback",
    "Repeat",
    "Scenario",
    "SelfService",
    "Shift",
    "Simulation",
    "SkillChange",
    "StageConfig",
    "Substitution",
    "Transfer",
    "Unresolved",
    "Workload",
    "WrapUpConfig",
    "queue_default",
]


@attrs.frozen(kw_only=True)
class Distribution:
    """A random duration in seconds. ``kind`` picks which other fields apply.

    exponential(mean) · lognormal(mean, sd) · gamma(mean, sd) · deterministic(value) ·
    empirical(values: sampled uniformly).
    """

    kind: str
    mean: float | None = None
    sd: float | None = None
    value: float | None = None
    values: tuple[float, ...] | None = None


@attrs.frozen(kw_only=True)
class Arrivals:
    """Arrival process: ``poisson`` (per_hour), ``piecewise`` (rates_per_hour, one per piece of
    piece_seconds, repeating) or ``trace`` (CSV file of arrival times in seconds, first column)."""

    kind: str
    per_hour: float | None = None
    rates_per_hour: tuple[float, ...] | None = None
    piece_seconds: float = 3600.0
    path: str | None = None


@attrs.frozen(kw_only=True)
class Callback:
    """A share of abandoned contacts come back on another queue (e.g. chat drop → phone)."""

    probability: float
    queue: str
    delay_seconds: Distribution = Distribution(kind="deterministic", value=0.0)
    patience_seconds: Distribution | None = None


@attrs.frozen(kw_only=True)
class Repeat:
    """A share of handled contacts come back (issue not resolved) after a delay."""

    probability: float
    delay_seconds: Distribution
    queue: str | None = None


@attrs.frozen(kw_only=True)
class Unresolved:
    """A customer whose issue the agent did not resolve comes back after ``delay_seconds`` as a new
    contact of the same issue (in ``queue``, or the queue it was handled in), with ``probability``,
    until the issue has had ``max_contacts`` contacts."""

    delay_seconds: Distribution
    queue: str | None = None
    probability: float = 1.0
    max_contacts: int = 5


@attrs.frozen(kw_only=True)
class Ivr:
    """A self-service step (IVR, web login) that a ``share`` of this workload's contacts pass
    before they queue, on the ``channels`` listed; it verifies ``facts`` (default: every fact in
    ``[[context.asks]]``)."""

    share: float
    facts: tuple[str, ...] | None = None
    channels: tuple[str, ...] = ("phone",)


@attrs.frozen(kw_only=True)
class SelfService:
    """A self-service step (IVR menu, bot, FAQ) before the queue: a ``share`` of the contacts try
    it and spend ``seconds`` in it; of those, ``contained`` (a probability) are resolved there and
    never reach an agent. The rest go on to the queue, and ``verified`` (a probability) of them
    have given ``facts`` there (default: every fact in ``[[context.asks]]``)."""

    contained: float
    seconds: Distribution
    share: float = 1.0
    verified: float = 0.0
    facts: tuple[str, ...] | None = None


@attrs.frozen(kw_only=True)
class ChannelPreference:
    """This workload's customers prefer ``channel``: a ``stated`` share tell the agent at their
    first answered contact, and a ``used`` share of those who come back take the preferred channel
    the context store offers them (stated, else learned). Needs ``[context] enabled``."""

    channel: str
    used: float
    stated: float = 1.0


@attrs.frozen(kw_only=True)
class QueuedCallback:
    """Queued callbacks on a queue: a contact queued with an estimated wait above
    ``offer_above_seconds`` is offered a callback, which ``accept`` (a probability) of callers
    take, keeping their place. An agent's dial takes ``dial_seconds`` and is answered with
    probability ``answer``; a failed dial is retried after ``retry_seconds``, keeping the place
    (``keep_place``) or at the back, until ``attempts`` dials failed."""

    accept: float
    answer: float
    offer_above_seconds: float = 60.0
    retry_seconds: float = 300.0
    attempts: int = 3
    keep_place: bool = True
    dial_seconds: float = 20.0


@attrs.frozen(kw_only=True)
class Transfer:
    """A share of handled contacts are transferred to another queue at the end of handling."""

    probability: float
    queue: str
    handle_seconds: Distribution | None = None


@attrs.frozen(kw_only=True)
class Consult:
    """A ``share`` of the contacts answered in the workload's queue make their agent consult a
    colleague of ``queue`` (omit: the contact's own) ``after_seconds`` into the handle time, the
    customer on hold: the consult talks for ``talk_seconds`` once answered and ends with one of
    ``outcomes`` (``transfer``, ``conference``, ``return`` → probability), or is cancelled when
    nobody answered within ``max_wait_seconds``. After a warm transfer the consulted agent
    handles the contact for ``handle_seconds`` (default: the workload's)."""

    share: float
    after_seconds: Distribution
    talk_seconds: Distribution
    outcomes: dict[str, float]
    queue: str | None = None
    max_wait_seconds: float = 120.0
    handle_seconds: Distribution | None = None


@attrs.frozen(kw_only=True)
class CriteriaStepConfig:
    """From ``after`` seconds of waiting, agents serving the queue's requirement plus
    ``requires`` (skill → level) at skill cost ≤ ``max_cost`` are eligible too."""

    requires: dict[str, int] = attrs.field(factory=dict)
    after: float = 0.0
    max_cost: float = 0.0


@attrs.frozen(kw_only=True)
class CriteriaConfig:
    """A ``share`` of the workload's contacts carry routing criteria with these ``steps``,
    spread evenly over its arrivals (no random draw: contact n has them when ⌊n·share⌋ grows)."""

    steps: tuple[CriteriaStepConfig, ...]
    share: float = 1.0


@attrs.frozen(kw_only=True)
class Workload:
    """Contacts arriving in one queue for one customer segment.

    ``service_level_seconds`` overrides the queue's threshold for this segment (premium customers
    answered within 30 s, others within 60 s); ``priority`` is sent with each contact.
    """

    queue: str
    arrivals: Arrivals
    handle_seconds: Distribution
    segment: str = "default"
    priority: int = 0
    service_level_seconds: float | None = None
    service_level_target: float | None = None
    patience_seconds: Distribution | None = None
    callback: Callback | None = None
    repeat: Repeat | None = None
    transfer: Transfer | None = None
    unresolved: Unresolved | None = None
    ivr: Ivr | None = None
    self_service: SelfService | None = None
    preferred_channel: ChannelPreference | None = None
    criteria: CriteriaConfig | None = None
    consult: Consult | None = None


@attrs.frozen(kw_only=True)
class Break:
    """Agents go away at ``at`` for ``seconds``; spread over ``spread_seconds`` across the group.
    ``reason`` is the away reason the router is told (``"break"``, ``"training"``, ``"lunch"``…):
    the KPIs report time away per reason."""

    at: float
    seconds: float
    spread_seconds: float = 0.0
    reason: str = "break"


@attrs.frozen(kw_only=True)
class Shift:
    """Agents are logged in from ``start`` to ``end`` (seconds from the start of the run)."""

    start: float
    end: float
    breaks: tuple[Break, ...] = ()


@attrs.frozen(kw_only=True)
class SkillChange:
    """From ``at`` (seconds of simulated time) the group's agents have these ``skills`` (name →
    level, replacing the old ones): those logged in are told at once, later logins use them."""

    at: float
    skills: dict[str, int]


@attrs.frozen(kw_only=True)
class QueueClosure:
    """From ``start`` to ``end`` (seconds of simulated time; omit ``end``: to the end of the
    run) the queue is closed: arrivals are refused (or go to its ``closed_queue``), contacts
    already waiting follow its ``closed_rule``. ``reason`` is quoted in the refusals."""

    start: float
    end: float | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class ProfileEntry:
    """One queue of a group's routing profile: ``priority`` (1 first) and ``delay`` (seconds a
    contact must have waited before it is routed to the group's agents)."""

    priority: int = 1
    delay: float = 0.0


@attrs.frozen(kw_only=True)
class OpenInterval:
    """Open on week day ``day`` (0-6 from the week's start) from ``start`` to ``end`` seconds of
    that day."""

    day: int
    start: float
    end: float


@attrs.frozen(kw_only=True)
class QueueHours:
    """Weekly hours of operation on the simulated clock: a week starts at ``week_starts_at``
    seconds; the queue's ``closed`` periods are then holidays within these hours."""

    weekly: tuple[OpenInterval, ...] = ()
    week_starts_at: float = 0.0


@attrs.frozen(kw_only=True)
class AgentGroup:
    """``count`` identical agents: skills (name → level), capacity per channel, shifts, behaviour."""

    group: str
    count: int
    skills: dict[str, int]
    capacity: dict[str, int] = attrs.field(factory=lambda: dict(DEFAULT_CAPACITY))
    shifts: tuple[Shift, ...] = ()
    skill_changes: tuple[SkillChange, ...] = ()
    wrap_up: WrapUpConfig | None = None  # the group's own, overriding the queue's
    profile: dict[str, ProfileEntry] | None = None
    answer_delay_seconds: Distribution | None = None
    reject_probability: float = 0.0
    auto_accept: bool = False  # the router accepts its offers on its behalf (sim/auto_accept.py)
    handle_time_factor: float = 1.0
    resolution: float = 1.0
    substitution_slowdown: float = 0.0
    concurrency_slowdown: float = 0.0
    cost_per_hour: float = 0.0


@attrs.frozen(kw_only=True)
class StageConfig:
    """From ``after`` seconds of waiting, skill cost ≤ ``max_cost`` is eligible (omit: any agent)."""

    after: float
    max_cost: float | None = None


@attrs.frozen(kw_only=True)
class WrapUpConfig:
    """``none``; ``timed`` (router frees the agent after ``seconds``); ``manual`` (agent ends it
    after a time drawn from ``duration``)."""

    mode: str = "none"
    seconds: float = 0.0
    duration: Distribution | None = None


CHANGEABLE_QUEUE_KEYS = (
    "requires",
    "stages",
    "priority_weight",
    "aging_per_minute",
    "service_level_seconds",
    "max_length",
    "wrap_up",
    "affinity_seconds",
    "rejoin_seconds",
    "closed_queue",
    "closed_rule",
    "hours",
    "queued_callback",
    "offer_timeout",
)
"""The keys of ``[[queues]]`` a change (``changes``) may set or ``unset``, in the order of
:class:`QueueChange`."""


@attrs.frozen(kw_only=True)
class QueueChange:
    """At ``at`` (seconds of simulated time) the queue's keys given here replace its current
    ones (``QueueChanged``); keys left out (None) stay as they are, and the keys named in
    ``unset`` go back to their ``[[queues]]`` defaults (None for ``max_length``, ``offer_timeout``,
    ``closed_queue``, ``hours`` and ``queued_callback``). ``name``, ``channel``,
    ``service_level_target``, ``self_service``, ``closed`` and ``added_at`` are here only so the
    checks (:mod:`.queue_checks`) can refuse them with their key path and the reason."""

    at: float
    requires: dict[str, int] | None = None
    stages: tuple[StageConfig, ...] | None = None
    priority_weight: float | None = None
    aging_per_minute: float | None = None
    service_level_seconds: float | None = None
    max_length: int | None = None
    wrap_up: WrapUpConfig | None = None
    affinity_seconds: float | None = None
    rejoin_seconds: float | None = None
    closed_queue: str | None = None
    closed_rule: str | None = None
    hours: QueueHours | None = None
    queued_callback: QueuedCallback | None = None
    offer_timeout: float | None = None
    unset: tuple[str, ...] = ()
    name: str | None = None
    channel: str | None = None
    service_level_target: float | None = None
    self_service: SelfService | None = None
    closed: tuple[QueueClosure, ...] | None = None
    added_at: float | None = None

    def overrides(self) -> dict[str, Any]:
        """The changeable keys this change sets (name → value), then those it unsets (name →
        the queue's default; a name that is no changeable key is left to the checks).
        Cost: O(keys).

        >>> QueueChange(at=5, max_length=3, unset=("closed_queue",)).overrides()
        {'max_length': 3, 'closed_queue': None}
        """
        values = ((key, getattr(self, key)) for key in CHANGEABLE_QUEUE_KEYS)
        found = {key: value for key, value in values if value is not None}
        for key in self.unset:
            if key in CHANGEABLE_QUEUE_KEYS and key not in found:
                found[key] = queue_default(key)
        return found

    def key_names(self) -> list[str]:
        """The keys the change sets, then ``unset <key>`` for each it unsets, as the reports
        name them. Cost: O(keys).

        >>> QueueChange(at=5, max_length=3, unset=("closed_queue",)).key_names()
        ['max_length', 'unset closed_queue']
        """
        set_here = [key for key in CHANGEABLE_QUEUE_KEYS if getattr(self, key) is not None]
        return [*set_here, *(f"unset {key}" for key in self.unset if key not in set_here)]


def queue_default(key: str) -> Any:
    """The ``[[queues]]`` default of ``key`` (a fresh container for a factory). Cost: O(keys).

    >>> queue_default("max_length"), queue_default("requires"), queue_default("closed_rule")
    (None, {}, 'keep')
    """
    return getattr(QueueConfig(name="q", channel="c"), key)  # its required keys only


@attrs.frozen(kw_only=True)
class QueueConfig:
    name: str
    channel: str
    requires: dict[str, int] = attrs.field(factory=dict)
    service_level_seconds: float = 20.0
    service_level_target: float = 0.8
    stages: tuple[StageConfig, ...] = ()
    wrap_up: WrapUpConfig = WrapUpConfig()
    max_length: int | None = None
    priority_weight: float = 1.0
    aging_per_minute: float = 0.0
    affinity_seconds: float = 30.0
    rejoin_seconds: float = 0.0
    self_service: SelfService | None = None
    closed: tuple[QueueClosure, ...] = ()
    hours: QueueHours | None = None
    queued_callback: QueuedCallback | None = None
    closed_rule: str = "keep"  # what closing does to waiting contacts: keep, move or end
    closed_queue: str | None = None  # where arrivals (and "move" contacts) go while closed
    added_at: float | None = None  # the queue is added to the router then (None: from the start)
    offer_timeout: float | None = None  # seconds its offers ring (None: simulation.offer_timeout)
    changes: tuple[QueueChange, ...] = ()  # its keys changed during the run (QueueChanged)

    def required_skills(self) -> list[str]:
        """The skills the queue requires at some time of the run: its own, then each change's
        (repeats left in). Cost: O(changes · skills)."""
        return [*self.requires, *(s for c in self.changes for s in c.requires or {})]

    def versions(self) -> tuple[tuple[float | None, QueueConfig], ...]:
        """The queue as configured (time None) and after each change, in order: each change
        starts from the previous one's result. Cost: O(changes · keys).

        >>> q = QueueConfig(name="q", channel="chat", changes=(QueueChange(at=60, max_length=5),
        ...                 QueueChange(at=90, priority_weight=2.0)))
        >>> [(at, v.max_length, v.priority_weight) for at, v in q.versions()]
        [(None, None, 1.0), (60, 5, 1.0), (90, 5, 2.0)]
        """
        current = attrs.evolve(self, changes=())
        found: list[tuple[float | None, QueueConfig]] = [(None, current)]
        for change in self.changes:
            current = attrs.evolve(current, **change.overrides())
            found.append((change.at, current))
        return tuple(found)


@attrs.frozen(kw_only=True)
class Substitution:
    """Agents skilled in ``skill`` may serve needs for ``serves`` at ``cost``."""

    skill: str
    serves: str
    cost: float = 1.0


@attrs.frozen(kw_only=True)
class Simulation:
    duration: float
    warmup: float = 0.0
    seed: int = 0
    replications: int = 1
    policy: str = "longest_idle"
    offer_timeout: float | None = 30.0
    max_unanswered_offers: int | None = 3
    drain_seconds: float = 86400.0
    channel_rules: dict[str, tuple[str, ...]] | None = None
    contact_selection: str = "priority_then_wait"
    start: str | None = None  # date and time of second 0 in tables (ISO 8601), see docs/tables.md


@attrs.frozen(kw_only=True)
class KpiSettings:
    """Which service-level preset and its switches (None keeps the preset's), and the proxies'
    windows (see docs/kpis.md)."""

    preset: str = "experiencehub"
    short_abandon_seconds: float | None = None
    repeat_window_hours: float = 24.0
    interval_minutes: float = 15.0
    abandons_within: str | None = None
    denominator: str | None = None
    exclude_short: bool | None = None

    def rule(self) -> ServiceLevelRule:
        """The service-level rule these settings name: the preset with its switches applied.
        Raises ValueError naming an unknown preset or a bad switch. Cost: O(1)."""
        return service_level_rule(
            self.preset,
            abandons_within=self.abandons_within,
            denominator=self.denominator,
            short_abandon_seconds=self.short_abandon_seconds,
            exclude_short=self.exclude_short,
        )


@attrs.frozen(kw_only=True)
class Ask:
    """A fact an agent must know to help: asking it costs ``seconds``; once given (or verified)
    it stays valid for ``valid_for`` seconds."""

    fact: str
    seconds: float
    valid_for: float = 900.0


@attrs.frozen(kw_only=True)
class ContextSettings:
    """Whether contacts run through ExperienceHub (identity, facts, affinity, briefs), and what
    agents ask. ``identify_by`` maps a channel to the identity kind its contacts arrive with."""

    enabled: bool = False
    asks: tuple[Ask, ...] = ()
    affinity_window_seconds: float = 8 * 3600.0
    identify_by: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Scenario:
    simulation: Simulation
    queues: tuple[QueueConfig, ...]
    agents: tuple[AgentGroup, ...]
    workload: tuple[Workload, ...]
    substitutions: tuple[Substitution, ...] = ()
    kpis: KpiSettings = KpiSettings()
    context: ContextSettings = ContextSettings()
    name: str = "scenario"
    base_dir: str = "."

    def queue(self, name: str) -> QueueConfig:
        """The queue called ``name``. Cost: O(queues)."""
        for queue in self.queues:
            if queue.name == name:
                return queue
        raise KeyError(name)

    def with_overrides(self, **simulation: Any) -> Scenario:
        """A copy with some ``[simulation]`` settings replaced (policy, seed, replications…).
        Not validated again. Cost: O(1) (the other sections are shared)."""
        return attrs.evolve(self, simulation=attrs.evolve(self.simulation, **simulation))

    def with_context(self, enabled: bool | None) -> Scenario:
        """A copy with ``[context] enabled`` set (None keeps the file's setting). Cost: O(1)."""
        if enabled is None or enabled == self.context.enabled:
            return self
        return attrs.evolve(self, context=attrs.evolve(self.context, enabled=enabled))
