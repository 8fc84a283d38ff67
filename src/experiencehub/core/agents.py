"""Agents: status as a transition table, per-channel capacity and cross-channel blocking rules.

Theory of operation: an agent's *load* on a channel counts every contact that holds one of its slots
on that channel — offered (reserved), connected, or in wrap-up. An agent *can take* a contact on a
channel when it is available, has a free slot there, and no channel it is busy on blocks that channel
(``ChannelRules``). The router keeps agents that can take a channel in its pools; this module only
answers questions about one agent and never looks at others.

>>> rules = ChannelRules.default()
>>> a = AgentState("a1", seq=0, skills={"billing": 3}, capacity={"phone": 1, "chat": 3}, at=0.0)
>>> a.can_take("phone", rules), a.can_take("chat", rules)
(True, True)
>>> a.load["chat"] = 1
>>> a.can_take("phone", rules), a.can_take("chat", rules)
(False, True)
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .errors import ConfigError, InvalidTransition

if TYPE_CHECKING:
    from .profiles import ContactSelection, RoutingProfile
    from .queues import WaitingLine

__all__ = ["AgentState", "AgentStatus", "ChannelRules", "WorkPhase", "next_status"]

ANY_CHANNEL = "*"


class AgentStatus(enum.Enum):
    AVAILABLE = "available"
    AWAY = "away"
    LOGGING_OUT = "logging_out"

    def __repr__(self) -> str:
        return f"AgentStatus.{self.name}"


class WorkPhase(enum.Enum):
    """What a slot of the agent's capacity is held by."""

    OFFERED = "offered"
    CONNECTED = "connected"
    WRAP_UP = "wrap_up"
    DIALING = "dialing"  # a queued callback the agent is calling

    def __repr__(self) -> str:
        return f"WorkPhase.{self.name}"


# status → request → next status; a missing entry is an invalid transition.
_TRANSITIONS: dict[AgentStatus, dict[str, AgentStatus]] = {
    AgentStatus.AVAILABLE: {
        "available": AgentStatus.AVAILABLE,
        "away": AgentStatus.AWAY,
        "logout": AgentStatus.LOGGING_OUT,
    },
    AgentStatus.AWAY: {
        "available": AgentStatus.AVAILABLE,
        "away": AgentStatus.AWAY,
        "logout": AgentStatus.LOGGING_OUT,
    },
    AgentStatus.LOGGING_OUT: {},
}


# keyed by each status's ``_value_`` string: an Enum member hashes in Python (see contacts.py)
_BY_VALUE: dict[str, dict[str, AgentStatus]] = {
    status._value_: table for status, table in _TRANSITIONS.items()
}


def next_status(agent_id: str, current: AgentStatus, request: str) -> AgentStatus:
    """Look the transition up in the table; raise InvalidTransition naming state and rule.
    Cost: O(1)."""
    try:
        return _BY_VALUE[current._value_][request]
    except KeyError:
        raise InvalidTransition(
            f"{agent_id}: cannot go {request!r} while {current.value} "
            "(an agent logging out finishes its work and takes no new status)"
        ) from None


@attrs.frozen(slots=True)
class ChannelRules:
    """Which channels block which: ``blocks[c]`` are the channels that work on ``c`` blocks.

    ``"*"`` means every channel. The default: a phone contact (offered, connected or in wrap-up)
    blocks every other offer; chats block phone offers; email blocks nothing, so a phone offer may
    interrupt email work.
    """

    blocks: Mapping[str, frozenset[str]]

    @classmethod
    def default(cls) -> ChannelRules:
        """The rules described above (phone blocks all, chat blocks phone). Cost: O(1)."""
        return cls.from_mapping({"phone": [ANY_CHANNEL], "chat": ["phone"], "email": []})

    @classmethod
    def from_mapping(cls, blocks: Mapping[str, Collection[str]]) -> ChannelRules:
        """Rules from channel → channels its work blocks (``"*"``: all). Cost: O(entries)."""
        checked: dict[str, frozenset[str]] = {}
        for channel, blocked in blocks.items():
            if not isinstance(channel, str) or not channel:
                raise ConfigError(f"channel_rules: channel {channel!r} must be a non-empty string")
            if isinstance(blocked, str):
                raise ConfigError(
                    f"channel_rules[{channel!r}]={blocked!r}: must be a list of channels"
                )
            checked[channel] = frozenset(blocked)
        return cls(blocks=checked)

    def blocked_by(self, busy_channel: str, channel: str) -> bool:
        """Does work on ``busy_channel`` forbid a new offer on ``channel``? Cost: O(1)."""
        blocked = self.blocks.get(busy_channel, frozenset())
        return channel in blocked or (ANY_CHANNEL in blocked and channel != busy_channel)


_NOTHING: frozenset[str] = frozenset()


def _radix(capacity: Mapping[str, int]) -> dict[str, int]:
    """Weights that make a load vector (0..capacity per channel) one distinct number."""
    weights, weight = {}, 1
    for channel, slots in capacity.items():
        weights[channel] = weight
        weight *= max(slots, 0) + 1
    return weights


class AgentState:
    """One logged-in agent: status, skills, capacity, load and the work holding its slots."""

    __slots__ = (
        "agent_id",
        "auto_accept",
        "capacity",
        "channels",
        "idle_since",
        "last_offer_seq",
        "lines",
        "load",
        "load_code",
        "mixed_lines",
        "placed",
        "plan",
        "pools",
        "priority_count",
        "profile",
        "radix",
        "reason",
        "selection",
        "seq",
        "serving",
        "skills",
        "status",
        "status_since",
        "taking",
        "taking_table",
        "unanswered",
        "work",
        "wrapups",
    )

    def __init__(
        self,
        agent_id: str,
        *,
        seq: int,
        skills: Mapping[str, int],
        capacity: Mapping[str, int],
        at: float,
    ) -> None:
        self.agent_id = agent_id
        self.seq = seq
        self.skills = dict(skills)
        self.capacity = dict(capacity)
        self.load: dict[str, int] = dict.fromkeys(self.capacity, 0)
        # Speed trick: the load as one mixed-radix number (``load_code``, kept by hold and
        # release), and the channels taken in each load state memoised in ``taking_table``: a
        # handful of states, so re-placing an agent after an offer or a release looks one int
        # up instead of applying the channel rules (docs/performance.md). The router shares
        # radix and table between agents of equal capacity; a table holds for one ChannelRules.
        self.radix: dict[str, int] = _radix(self.capacity)
        self.load_code = 0
        self.taking_table: dict[int, frozenset[str]] = {}
        # channels with any capacity at all
        self.channels = frozenset(c for c, n in self.capacity.items() if n > 0)
        self.status = AgentStatus.AVAILABLE
        # why the agent is away (the host's reason, or the router's), and since when the
        # status (and reason) hold
        self.reason: str | None = None
        self.status_since = at
        self.idle_since = at
        self.last_offer_seq = -1
        self.unanswered = 0
        # contact id → (channel, phase) of every contact holding one of this agent's slots
        self.work: dict[str, tuple[str, WorkPhase]] = {}
        # contact id → deadline entry of a timed wrap-up (so it can be cancelled)
        self.wrapups: dict[str, tuple[float, int, str, str, str]] = {}
        # queue name → (skill cost, proficiency) for queues this agent can serve at some stage
        self.serving: dict[str, tuple[float, int]] = {}
        # pool id → key under which the agent sits in that pool (empty when it can take nothing)
        self.pools: dict[object, tuple[Any, ...]] = {}  # entries: see pools.PoolEntry
        # (channels taken, entry per proficiency) the pools were last built for (kept by the pools)
        self.placed: tuple[frozenset[str], dict[int, tuple[Any, ...]]] | None = None
        # (pool id, proficiency, channel) of every pool the agent may sit in (set at login)
        self.plan: tuple[tuple[object, int, str], ...] = ()
        # channels on which the agent can take a new contact right now (kept by the pools)
        self.taking: frozenset[str] = frozenset()
        # every waiting line whose contacts this agent may serve (the router's, shared by agents)
        self.lines: list[WaitingLine] = []
        # the agent's routing profile and contact selection (None: every queue its skills
        # allow, no delay, the router's default order; see core/profiles.py)
        self.profile: RoutingProfile | None = None
        self.selection: ContactSelection | None = None
        # ids of its lines that listed queues of different profile priorities share, and how
        # many distinct priorities its profile has (set with its eligibility)
        self.mixed_lines: frozenset[int] = frozenset()
        self.priority_count = 1
        # the router accepts its offers on its behalf (AgentLoggedIn.auto_accept)
        self.auto_accept = False

    def can_take(self, channel: str, rules: ChannelRules) -> bool:
        """Available, a free slot on ``channel``, and not blocked. Cost: O(channels)."""
        if self.status is not AgentStatus.AVAILABLE:
            return False
        if self.load.get(channel, 0) >= self.capacity.get(channel, 0):
            return False
        return not any(
            count and rules.blocked_by(busy, channel) for busy, count in self.load.items()
        )

    def taking_now(self, rules: ChannelRules) -> frozenset[str]:
        """Channels ``can_take`` allows now. Cost: O(channels), O(channels · busy) the first time
        an agent with this capacity is in this load state."""
        if self.status is not AgentStatus.AVAILABLE:
            return _NOTHING
        found = self.taking_table.get(self.load_code)
        if found is None:
            found = self.taking_table[self.load_code] = self._taking_by_rules(rules)
        return found

    def _taking_by_rules(self, rules: ChannelRules) -> frozenset[str]:
        load = self.load
        busy = [c for c, n in load.items() if n]
        if not busy:
            return self.channels  # idle: every channel it has capacity on (no allocation)
        capacity = self.capacity
        free = [c for c in self.channels if load.get(c, 0) < capacity[c]]
        for channel in busy:
            if free:
                free = [c for c in free if not rules.blocked_by(channel, c)]
        return frozenset(free) if free else _NOTHING

    def move(self, request: str, reason: str | None, at: float) -> None:
        """Apply ``request`` (``"available"``, ``"away"`` or ``"logout"``) by the transition
        table — the one place an agent's status changes — with the away reason (kept only
        while away); ``status_since`` moves only when status or reason changes. Raises
        ``InvalidTransition`` naming the state and the rule, changing nothing. Cost: O(1).
        """
        status = next_status(self.agent_id, self.status, request)
        reason = reason if status is AgentStatus.AWAY else None
        if status is not self.status or reason != self.reason:
            self.status, self.reason, self.status_since = status, reason, at

    def occupancy(self) -> float:
        """Share of this agent's total capacity in use (0 when it has none). Cost: O(channels)."""
        total = sum(self.capacity.values())
        return sum(self.load.values()) / total if total else 0.0

    def hold(self, contact_id: str, channel: str, phase: WorkPhase) -> None:
        """A contact takes (or keeps, in a new phase) one slot on ``channel``. Cost: O(1)."""
        if contact_id not in self.work:
            self.load[channel] = self.load.get(channel, 0) + 1
            self.load_code += self.radix[channel]
        self.work[contact_id] = (channel, phase)

    def release(self, contact_id: str) -> str:
        """The contact gives its slot back; returns the channel. Cost: O(1)."""
        channel, _phase = self.work.pop(contact_id)
        self.load[channel] -= 1
        self.load_code -= self.radix[channel]
        return channel

    def phase_of(self, contact_id: str) -> WorkPhase | None:
        """What the contact holds of this agent (None: nothing). Cost: O(1)."""
        held = self.work.get(contact_id)
        return None if held is None else held[1]

    def _check(self, rules: ChannelRules) -> None:
        """Assert: load matches work; capacity never exceeded; no blocked pair both held."""
        counted: dict[str, int] = {}
        for channel, _phase in self.work.values():
            counted[channel] = counted.get(channel, 0) + 1
        for channel, load in self.load.items():
            assert load == counted.get(channel, 0), (self.agent_id, channel, load, counted)
            assert 0 <= load <= self.capacity.get(channel, 0), (self.agent_id, channel, load)
        assert set(self.wrapups) <= set(self.work)
        code = sum(self.radix[channel] * load for channel, load in self.load.items())
        assert self.load_code == code, (self.agent_id, self.load_code, code)

    def __repr__(self) -> str:
        return (
            f"<AgentState {self.agent_id} {self.status.value} load={self.load} "
            f"capacity={self.capacity}>"
        )
