"""Queues: their configuration (QueueSpec, Stage, WrapUp) and the waiting contacts of each class.

A contact's *routing class* is (queue, stage). Each class keeps its waiting contacts in a
``SortedList`` keyed by ``(-base_priority, enqueued_at, seq)`` where
``base_priority = priority_weight·priority − aging_rate·enqueued_at``. The effective priority at time
``t`` is ``base_priority + aging_rate·t``: the same shift for every contact of the queue, so the order
never needs re-sorting as time passes. This module never decides who gets what; the router does.

>>> q = QueueSpec("billing", channel="phone", requires={"billing": 2},
...               stages=[Stage(after=0, max_cost=0), Stage(after=30, max_cost=2)])
>>> q.stage_at(45.0)
1
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs
from sortedcontainers import SortedList

from ._validators import MAX_SECONDS, MAX_WEIGHT, FrozenDict
from .callbacks import CallbackPolicy
from .errors import ConfigError
from .hours import OpenHours

__all__ = [
    "ENTRY_CONTACT",
    "KEY_ENQUEUED_AT",
    "KEY_RANK",
    "KEY_SEQ",
    "DeclinedViews",
    "LineEntry",
    "QueueSpec",
    "Stage",
    "WaitingKey",
    "WaitingLine",
    "WrapUp",
    "build_lines",
]

WaitingKey = tuple[float, float, int]
"""(-base_priority, enqueued_at, seq): smaller is served first."""

# positions in a WaitingKey, and in a LineEntry (the key's three, then the contact id)
KEY_RANK: Final = 0
KEY_ENQUEUED_AT: Final = 1
KEY_SEQ: Final = 2
ENTRY_CONTACT: Final = 3


def _non_negative(
    name: str, value: Any, *, allow_none: bool = False, maximum: float = math.inf
) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name}={value!r}: must be a number")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name}={value!r}: must be finite and >= 0")
    if value > maximum:
        bound = "2**53" if maximum == MAX_WEIGHT else f"{maximum:g}"
        raise ConfigError(f"{name}={value!r}: must be <= {bound}")


def _seconds(name: str, value: Any, *, allow_none: bool = False) -> None:
    """A duration: finite, >= 0 and <= MAX_SECONDS, so event time + duration stays finite."""
    _non_negative(name, value, allow_none=allow_none, maximum=MAX_SECONDS)


@attrs.frozen(slots=True)
class Stage:
    """From ``after`` seconds of waiting, agents whose skill cost is ≤ ``max_cost`` are eligible.

    ``max_cost=None`` means any agent with capacity on the queue's channel. ``max_cost`` has no
    default: ``Stage(after=90)`` would read as "any agent" (what a scenario file's stage without
    ``max_cost`` means) but could as well mean "exact skills only", so it must be said.
    """

    after: float
    max_cost: float | None

    def __attrs_post_init__(self) -> None:
        _seconds("Stage.after", self.after)
        _non_negative("Stage.max_cost", self.max_cost, allow_none=True)


@attrs.frozen(slots=True)
class WrapUp:
    """After-contact work: ``"none"``, ``"timed"`` (``seconds``), or ``"manual"`` (agent ends it)."""

    mode: str = "none"
    seconds: float = 0.0

    def __attrs_post_init__(self) -> None:
        if self.mode not in ("none", "timed", "manual"):
            raise ConfigError(f"WrapUp.mode={self.mode!r}: must be none, timed or manual")
        _seconds("WrapUp.seconds", self.seconds)
        if self.mode == "timed" and self.seconds <= 0:
            raise ConfigError(f"WrapUp.seconds={self.seconds!r}: timed wrap-up needs seconds > 0")


CLOSED_RULES: Final = ("keep", "move", "end")
"""What a closing queue does with contacts waiting in it (see :class:`QueueSpec`)."""


def _requires(value: Mapping[str, int] | Sequence[str]) -> Mapping[str, int]:
    """Converter: a read-only copy (``QueueSpec`` is frozen all the way down)."""
    if isinstance(value, str):
        return FrozenDict({value: 1})
    if isinstance(value, Mapping):
        return FrozenDict(value)
    try:
        return FrozenDict.fromkeys(value, 1)
    except TypeError:  # not iterable, or unhashable names: refused with its rule below
        raise ConfigError(
            f"requires={value!r}: must be a mapping of skill to level, or a list of skills"
        ) from None


def _default_stages() -> tuple[Stage, ...]:
    return (Stage(after=0, max_cost=0),)


@attrs.frozen(slots=True)
class QueueSpec:
    """A queue: its channel, required skills (name → minimum level) and behaviour while waiting.

    - ``stages``: widening eligibility by skill-graph cost as the contact waits (first at 0 s).
    - ``priority_weight``, ``aging_per_minute``: effective priority is
      ``priority_weight·priority + aging_per_minute·minutes waited``, so low priority never starves.
    - ``max_length``: contacts beyond it are refused (``Refused`` decision); None = unbounded.
    - ``service_level_seconds``: an ``Alert`` is raised when a contact waits past it.
    - ``wrap_up``: after-contact work for agents who handled a contact of this queue.
    - ``rejoin_seconds``: a customer who abandons and comes back within it keeps its place.
    - ``affinity_seconds``: how long a contact with preferred agents waits for them alone.
    - ``estimated_wait_alert_seconds``: an ``Alert`` (kind ``"estimated_wait"``) is raised when a
      contact is queued with an estimated wait above it (offer a callback, say); None = never.
    - ``closed_queue``: while this queue is closed (``QueueClosed``), arrivals go to that queue
      instead (one hop: if it is closed too they are refused); None = arrivals are refused
      (``Refused``, reason ``"queue <name> closed"``).
    - ``closed_rule``: what happens to contacts already waiting (or ringing) when the queue
      closes: ``"keep"`` (the default, as in Amazon Connect and Genesys: they keep being
      served), ``"move"`` (they are transferred to ``closed_queue``, which must be named) or
      ``"end"`` (each leaves the router with a ``Refused`` whose reason says the queue closed,
      for the caller to play a message or offer a callback). Connected contacts always stay.
    - ``hours``: :class:`~.hours.OpenHours`; outside them the queue is closed as by
      ``QueueClosed`` (same rules), and it opens and closes exactly at their edges; None = open
      until closed by hand.
    - ``callback``: the queue takes queued callbacks (``CallbackRequested``) by this
      :class:`~.callbacks.CallbackPolicy`; None = it takes none.
    - ``offer_timeout``: seconds an offer of this queue's contacts rings before it expires
      (``OfferExpired``; Genesys calls it the queue's alerting timeout); None = the router's
      ``offer_timeout``.
    """

    name: str
    channel: str
    requires: Mapping[str, int] = attrs.field(factory=FrozenDict, converter=_requires)
    stages: tuple[Stage, ...] = attrs.field(factory=_default_stages, converter=tuple)
    priority_weight: float = 1.0
    aging_per_minute: float = 0.0
    max_length: int | None = None
    service_level_seconds: float | None = None
    wrap_up: WrapUp = attrs.field(factory=WrapUp)
    rejoin_seconds: float = 0.0
    affinity_seconds: float = 30.0
    estimated_wait_alert_seconds: float | None = None
    closed_queue: str | None = None
    closed_rule: str = "keep"
    hours: OpenHours | None = None
    callback: CallbackPolicy | None = None
    offer_timeout: float | None = None

    def __attrs_post_init__(self) -> None:
        where = f"queue {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"queue name {self.name!r}: must be a non-empty string")
        if not isinstance(self.channel, str) or not self.channel:
            raise ConfigError(f"{where}: channel {self.channel!r} must be a non-empty string")
        for skill, level in self.requires.items():
            if not isinstance(skill, str) or not skill:
                raise ConfigError(f"{where}: required skill {skill!r} must be a non-empty string")
            if isinstance(level, bool) or not isinstance(level, int) or level < 0:
                raise ConfigError(f"{where}: requires[{skill!r}]={level!r} must be an integer >= 0")
        self._check_stages(where)
        _non_negative(f"{where}: priority_weight", self.priority_weight, maximum=MAX_WEIGHT)
        _non_negative(f"{where}: aging_per_minute", self.aging_per_minute, maximum=MAX_WEIGHT)
        _seconds(f"{where}: service_level_seconds", self.service_level_seconds, allow_none=True)
        _seconds(f"{where}: rejoin_seconds", self.rejoin_seconds)
        _seconds(f"{where}: affinity_seconds", self.affinity_seconds)
        _seconds(
            f"{where}: estimated_wait_alert_seconds",
            self.estimated_wait_alert_seconds,
            allow_none=True,
        )
        if self.offer_timeout is not None and (
            isinstance(self.offer_timeout, bool)
            or not isinstance(self.offer_timeout, (int, float))
            or not 0 < self.offer_timeout <= MAX_SECONDS
        ):
            raise ConfigError(
                f"{where}: offer_timeout={self.offer_timeout!r} must be > 0 and <= "
                f"{MAX_SECONDS:g} seconds (finite), or None for the router's"
            )
        if self.callback is not None and not isinstance(self.callback, CallbackPolicy):
            raise ConfigError(f"{where}: callback={self.callback!r} must be a CallbackPolicy or None")
        if self.max_length is not None and (
            isinstance(self.max_length, bool)
            or not isinstance(self.max_length, int)
            or self.max_length < 1
        ):
            raise ConfigError(f"{where}: max_length={self.max_length!r} must be an integer >= 1")
        self._check_closing(where)

    def _check_closing(self, where: str) -> None:
        if self.closed_queue is not None and (
            not isinstance(self.closed_queue, str) or self.closed_queue in ("", self.name)
        ):
            raise ConfigError(
                f"{where}: closed_queue={self.closed_queue!r} must name another queue"
            )
        if self.closed_rule not in CLOSED_RULES:
            raise ConfigError(
                f"{where}: closed_rule={self.closed_rule!r} must be one of {', '.join(CLOSED_RULES)}"
            )
        if self.hours is not None and not isinstance(self.hours, OpenHours):
            raise ConfigError(f"{where}: hours={self.hours!r:.60} must be an OpenHours or None")
        if self.closed_rule == "move" and self.closed_queue is None:
            raise ConfigError(f"{where}: closed_rule='move' needs a closed_queue to move to")

    def _check_stages(self, where: str) -> None:
        stages = self.stages
        if not stages or any(not isinstance(s, Stage) for s in stages):
            raise ConfigError(f"{where}: stages must be a non-empty list of Stage")
        if stages[0].after != 0:
            raise ConfigError(
                f"{where}: the first stage must start at after=0, not {stages[0].after}"
            )
        for earlier, later in itertools.pairwise(stages):
            if later.after <= earlier.after:
                raise ConfigError(
                    f"{where}: stage times must increase ({earlier.after} then {later.after})"
                )
            if earlier.max_cost is None:
                raise ConfigError(
                    f"{where}: only the last stage may have max_cost=None (any agent)"
                )
            if later.max_cost is not None and later.max_cost < earlier.max_cost:
                raise ConfigError(
                    f"{where}: stage costs must not shrink ({earlier.max_cost} then {later.max_cost})"
                )

    @property
    def aging_rate(self) -> float:
        """Effective-priority points gained per second of waiting. Cost: O(1)."""
        return self.aging_per_minute / 60.0

    def stage_at(self, waited_seconds: float) -> int:
        """Index of the stage in force after waiting this long. Cost: O(stages)."""
        index = 0
        for i, stage in enumerate(self.stages):
            if stage.after <= waited_seconds:
                index = i
        return index

    def first_stage_for(self, cost: float) -> int | None:
        """First stage at which an agent of this skill cost is eligible (None: never by skill).
        Cost: O(stages)."""
        for index, stage in enumerate(self.stages):
            if stage.max_cost is None or cost <= stage.max_cost:
                return index
        return None

    def within_rings(self, cost: float) -> bool:
        """Is this skill cost within a finite stage (or does the queue have no finite stage)?

        Agents beyond the last finite ring are found at the "any agent" stage through the channel
        pool, ranked by the policy alone; keeping them out of the queue's skill pools is what keeps
        an agent's pools few (measured in docs/performance.md).
        Cost: O(stages).
        """
        finite = [s.max_cost for s in self.stages if s.max_cost is not None]
        return not finite or cost <= finite[-1]

    def base_priority(self, priority: int, enqueued_at: float) -> float:
        """Time-invariant part of the effective priority (see module docstring). Cost: O(1)."""
        return self.priority_weight * priority - self.aging_rate * enqueued_at

    def effective_priority(self, base_priority: float, now: float) -> float:
        """The effective priority at ``now`` of a contact with this base priority. Cost: O(1)."""
        return base_priority + self.aging_rate * now


LineEntry = tuple[float, float, int, str]
"""(-base_priority, enqueued_at, seq, contact id): a waiting key and its contact, flat."""


class WaitingLine:
    """Waiting contacts of one routing class, best first, on one channel and at one aging rate.

    ``first`` is the best entry ``(*key, contact id)``, or None when the line is empty.

    >>> line = WaitingLine("chat")
    >>> line.add((-1.0, 5.0, 2), "c2"); line.add((0.0, 1.0, 1), "c1")
    >>> [c for _k, c in line], line.first
    (['c2', 'c1'], (-1.0, 5.0, 2, 'c2'))
    """

    __slots__ = ("_items", "aging_rate", "channel", "first")

    def __init__(self, channel: str, aging_rate: float = 0.0) -> None:
        # Speed trick: entries are flat 4-tuples, not (key, id) pairs: the sorted list compares
        # them at every step of an add or remove, and a flat pair compares in 36 ns, not 62
        # (add + remove among 4,000: 1.97 → 1.59 µs; docs/performance.md).
        self._items: SortedList = SortedList()
        self.channel = channel
        self.aging_rate = aging_rate
        # Speed trick: the head is kept as a plain attribute, so an agent that frees reads the
        # heads of its ~15 lines without a Python-level SortedList call per line
        # (docs/performance.md, agent free).
        self.first: LineEntry | None = None

    def add(self, key: WaitingKey, contact_id: str) -> None:
        """Cost: O(log n)."""
        entry = (key[0], key[1], key[2], contact_id)
        self._items.add(entry)
        first = self.first
        if first is None or entry < first:
            self.first = entry

    def remove(self, key: WaitingKey, contact_id: str) -> None:
        """Cost: O(log n); O(1) amortised for the first contact."""
        entry = (key[0], key[1], key[2], contact_id)
        items = self._items
        if entry == self.first:
            # the usual case (an agent takes the head, the oldest contact expands): no bisect
            items.pop(0)
            self.first = items[0] if items else None
        else:
            items.remove(entry)

    def position(self, key: WaitingKey, contact_id: str) -> int:
        """1-based position of a waiting contact. Cost: O(1) for the last one, else O(log n)."""
        entry = (key[0], key[1], key[2], contact_id)
        items = self._items
        if items[-1] == entry:  # the usual case: a new contact joins at the back
            return len(items)
        return int(items.index(entry)) + 1

    def entries(self) -> Iterator[LineEntry]:
        """Entries ``(*key, contact id)`` best first. Cost: O(1) per entry."""
        return iter(self._items)

    def first_not_in(self, view: SortedList) -> LineEntry | None:
        """The first entry not in ``view``: a sorted subset of this line's entries that holds
        the line's first entry. Cost: O(log v · log n) for v entries in the view.

        The first k entries all lie in the view exactly when the view's k-th entry is the
        line's k-th (both sorted, the view a subset), a test that holds up to some k and fails
        after: so a binary search finds the first entry outside, without walking the view.

        >>> line = WaitingLine("chat")
        >>> for seq in (1, 2, 3, 4): line.add((0.0, 0.0, seq), f"c{seq}")
        >>> line.first_not_in(SortedList([(0.0, 0.0, 1, "c1"), (0.0, 0.0, 2, "c2"), (0.0, 0.0, 4, "c4")]))
        (0.0, 0.0, 3, 'c3')
        """
        items = self._items
        low, high = 1, min(len(view), len(items))
        while low < high:
            middle = (low + high + 1) // 2
            if items[middle - 1] == view[middle - 1]:
                low = middle
            else:
                high = middle - 1
        return items[low] if low < len(items) else None

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return self.first is not None

    def __iter__(self) -> Iterator[tuple[WaitingKey, str]]:
        """(key, contact id) pairs, best first."""
        return (((e[0], e[1], e[2]), e[3]) for e in self._items)

    def _check(self) -> None:
        self._items._check()
        assert self.first == (self._items[0] if self._items else None), "stale first"
        seqs = [entry[2] for entry in self._items]
        assert len(seqs) == len(set(seqs)), "a contact sits twice in one class"


class DeclinedViews:
    """For an agent and a line: the line's entries whose contact the agent may not be offered
    (it declined the contact, let the offer expire, or transferred it), best first.

    An agent whose line heads it declined finds its first contact through
    :meth:`WaitingLine.first_not_in` in O(log² n), instead of walking past every declined contact
    each time it looks for work (an agent that declined 8,000 chats: 0.98 → 0.03 ms a rejection;
    docs/performance.md, "Scale cliffs"). A view is made the first time it is needed (O(n), once)
    and then kept exact: a contact entering or leaving a line updates the views of the agents it
    excludes that have one for that line (O(e) dict reads, plus O(log n) per view).
    """

    __slots__ = ("_views",)

    def __init__(self) -> None:
        self._views: dict[str, dict[WaitingLine, SortedList]] = {}

    def first_for(
        self, agent_id: str, line: WaitingLine, excludes: Callable[[str], bool]
    ) -> LineEntry | None:
        """The agent's first entry of ``line``, whose first entry it declined (``excludes``:
        contact id → is the agent excluded from it). Cost: O(log² n) once the view exists."""
        own = self._views.get(agent_id) or self._views.setdefault(agent_id, {})
        view = own.get(line)
        if view is None:
            view = own[line] = SortedList(e for e in line.entries() if excludes(e[3]))
        return line.first_not_in(view)

    def entered(self, line: WaitingLine, entry: LineEntry, excluded: Iterable[str]) -> None:
        """A contact excluding these agents joined ``line``. Cost: O(e + v log n)."""
        views = self._views
        for agent_id in excluded:
            own = views.get(agent_id)
            if own is not None and (view := own.get(line)) is not None:
                view.add(entry)

    def left(self, line: WaitingLine, entry: LineEntry, excluded: Iterable[str]) -> None:
        """A contact excluding these agents left ``line``. Cost: O(e + v log n)."""
        views = self._views
        for agent_id in excluded:
            own = views.get(agent_id)
            if own is not None and (view := own.get(line)) is not None:
                view.remove(entry)

    def forget(self, agent_id: str) -> None:
        """The agent logged out: its views go (remade if it logs in again). Cost: O(1)."""
        self._views.pop(agent_id, None)

    def drop_lines(self, lines: Sequence[WaitingLine]) -> None:
        """These lines are gone (a routing class closed): every view of them goes.
        Cost: O(a·k) for a agents with views, k lines."""
        for own in self._views.values():
            for line in lines:
                own.pop(line, None)

    def __bool__(self) -> bool:
        return bool(self._views)

    def _check(self, excludes: Callable[[str, str], bool]) -> None:
        """Assert each view is exactly its line's entries that exclude the agent."""
        for agent_id, own in self._views.items():
            for line, view in own.items():
                view._check()
                expected = [e for e in line.entries() if excludes(agent_id, e[3])]
                assert list(view) == expected, (agent_id, list(view), expected)


def build_lines(queues: Iterable[QueueSpec]) -> dict[tuple[str, int], WaitingLine]:
    """One waiting line per routing class (queue, stage).

    Speed trick: the final "any agent" stages of multi-stage queues on one channel with the same
    aging rate share one line. Their contacts are open to the same agents, and with one aging rate
    the key order is the effective-priority order across those queues too; so a freeing agent
    reads one line for all of them instead of one per queue on its channel.
    Cost: O(queues · stages).
    """
    lines: dict[tuple[str, int], WaitingLine] = {}
    shared: dict[tuple[str, float], WaitingLine] = {}
    for queue in queues:
        last = len(queue.stages) - 1
        for stage in range(last + 1):
            if stage == last and stage > 0 and queue.stages[stage].max_cost is None:
                group = (queue.channel, queue.aging_rate)
                if group not in shared:
                    shared[group] = WaitingLine(queue.channel, queue.aging_rate)
                lines[(queue.name, stage)] = shared[group]
            else:
                lines[(queue.name, stage)] = WaitingLine(queue.channel, queue.aging_rate)
    return lines
