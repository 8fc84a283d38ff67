"""Matching: the two moves that keep the router work-conserving, and the deadlines (private; the
fourth layer of the router's state, see :mod:`._state`).

``match_contact``: a contact became waiting or eligible for more agents — read a few pool heads.
``match_agent``: an agent gained capacity — read the heads of the lines it serves. Every state
change that can create a match calls one of them (through ``place`` or ``look_for_work``), so after
any event no contact waits while an eligible agent could take it.
"""

from __future__ import annotations

import functools
import math

from . import decisions as dc
from ._offers import Offers
from ._state import AFFINITY, ALERT, DELAY, OFFER, REJOIN, STAGE, WRAP_UP
from .agents import AgentState
from .contacts import ContactState, ContactStatus
from .deadlines import DETAIL, KIND, SUBJECT, Deadline
from .profiles import ContactSelection
from .queues import ENTRY_CONTACT, KEY_ENQUEUED_AT, KEY_RANK, KEY_SEQ, LineEntry, WaitingLine

_INF = math.inf

# the deadline kinds apply_deadline handles itself
_KINDS_HERE = frozenset({REJOIN, WRAP_UP, ALERT, STAGE, AFFINITY, DELAY, OFFER})

# what an agent's policy key is computed from when it serves a queue only at an "any agent" stage
_UNSKILLED = (0.0, 0)


class Matching(Offers):
    """The matching moves and the deadlines."""

    def match_contact(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """Offer a waiting contact to the best eligible agent that can take it, if any."""
        found = self.best_agent_for(contact)
        if found is not None:
            self.offer(contact, found[0], found[1], out)

    def best_agent_for(self, contact: ContactState) -> tuple[AgentState, dc.Explanation] | None:
        """The agent :meth:`match_contact` would offer the waiting contact to, and why; None
        when no eligible agent can take it now. Changes nothing. Cost: as ``match_contact``."""
        if contact.affinity:
            return self._best_preferred(contact)
        queue = contact.route
        max_cost = queue.stages[contact.stage].max_cost
        found = self.pools.best_agent(
            queue, max_cost, contact.excluded, contact.contact_id,
            enqueued_at=contact.enqueued_at, now=self.now,
        )  # fmt: skip
        if found is not None:
            agent_id, cost, read = found
            agent = self.agents[agent_id]
            ring = _ring_name(cost) if contact.criteria is None else _step_name(cost)
            profile = "" if agent.profile is None else _profile_note(agent, contact.queue.name)
            shown = -1.0 if cost is None or cost == _INF else cost  # _shown_cost, inline
            why = dc.new_explanation(
                policy=self.policy.name,
                summary=f"{agent_id}: lowest skill cost then best by {self.policy.name} ({ring}; stage {contact.stage}, {read} pool(s) read){profile}",
                candidates=(dc.new_candidate(agent_id=agent_id, cost=shown),),
            )
            return agent, why
        return None

    def _best_preferred(self, contact: ContactState) -> tuple[AgentState, dc.Explanation] | None:
        """The best of the contact's preferred agents that can take it now, by the policy."""
        queue = contact.route
        best: tuple[tuple[float, ...], int, str] | None = None
        for agent_id in contact.affinity:
            agent = self.agents.get(agent_id)
            if agent is None or agent_id in contact.excluded or queue.channel not in agent.taking:
                continue
            rank = (
                self.policy.key(agent, agent.serving.get(queue.name, _UNSKILLED)[1]),
                agent.seq,
                agent_id,
            )
            if best is None or rank < best:
                best = rank
        if best is None:
            return None
        agent = self.agents[best[2]]
        profile = "" if agent.profile is None else _profile_note(agent, contact.queue.name)
        why = dc.new_explanation(
            policy=self.policy.name,
            summary=f"preferred agent {best[2]} (affinity: last or owning agent){profile}",
            candidates=tuple(
                dc.new_candidate(agent_id=a, cost=0.0, note="preferred")
                for a in contact.affinity
            ),
        )
        return agent, why

    def match_agent(self, agent: AgentState, out: list[dc.Decision]) -> None:
        """Offer the agent the best contacts it can take until it can take no more.

        Called by ``look_for_work`` only, which places the agent in its pools afterwards: the
        offers made here update only what the agent can take, not its pool entries.
        """
        if agent.profile is not None:
            self._match_profiled(agent, out)
            return
        while agent.taking:
            best = self._best_contact(agent)
            if best is None:
                return
            contact = self.contacts[best]
            preferred = " (it is the contact's preferred agent)" if contact.affinity else ""
            why = dc.new_explanation(
                policy="highest_priority_then_longest_wait",
                summary=f"{agent.agent_id} freed; {best} has the highest effective priority, "
                f"then the longest wait, among contacts it may serve{preferred}",
                candidates=(
                    dc.new_candidate(
                        agent_id=agent.agent_id,
                        cost=agent.serving.get(contact.route.name, (-1.0, 0))[0],
                    ),
                ),
            )
            self.offer(contact, agent, why, out, place=False)

    def _match_profiled(self, agent: AgentState, out: list[dc.Decision]) -> None:
        """:meth:`match_agent` for an agent with a routing profile: its contact selection
        over the contacts of its listed queues that waited their queue's delay."""
        selection = agent.selection
        assert selection is not None
        while agent.taking:
            best = self._best_profiled(agent, selection)
            if best is None:
                return
            contact = self.contacts[best]
            name = contact.queue.name
            why = dc.new_explanation(
                policy=selection.name,
                summary=f"{agent.agent_id} freed; {best} is first by {selection.name} among "
                f"contacts of its routing profile that waited their queue's delay"
                f"{_profile_note(agent, name)}",
                candidates=(
                    dc.new_candidate(
                        agent_id=agent.agent_id,
                        cost=_shown_cost(agent.serving.get(name, (None, 0))[0]),
                    ),
                ),
            )
            self.offer(contact, agent, why, out, place=False)

    def _best_profiled(self, agent: AgentState, selection: ContactSelection) -> str | None:
        """The contact the agent's selection ranks first among those it may take: in its
        lines, the first entry of a listed queue that waited that queue's delay and that it
        has not declined; contacts waiting for it as a preferred agent (no delay).

        Cost: O(l + k) for the l lines it serves and the k entries passed over at their
        heads (too young for the delay, of unlisted queues sharing an "any agent" line, or
        declined); k is 0 when every line's head may be taken.
        """
        profile, taking, now = agent.profile, agent.taking, self.now
        assert profile is not None
        best: tuple[tuple[float, ...], str] | None = None
        own = self.affinity_lines.get(agent.agent_id)
        lines = [(line, True) for line in agent.lines]
        if own is not None:
            lines += [(line, False) for line in own.values()]
        # a line its listed queues of different priorities share: the first of each priority
        mixed = agent.mixed_lines if selection.name != "priority_then_wait" else frozenset()
        for line, delayed in lines:
            if line.first is None or line.channel not in taking:
                continue
            for entry, priority in self._first_allowed(line, agent, now, delayed, mixed):
                rate = line.aging_rate
                rank = (entry[KEY_RANK] - rate * now, entry[KEY_ENQUEUED_AT], entry[KEY_SEQ])
                key = (selection.key(priority, rank), entry[ENTRY_CONTACT])
                if best is None or key < best:
                    best = key
        return None if best is None else best[1]

    def _first_allowed(
        self,
        line: WaitingLine,
        agent: AgentState,
        now: float,
        delayed: bool,
        mixed: frozenset[int],
    ) -> list[tuple[LineEntry, int]]:
        """The first entry of the line the profiled agent may take, with its queue's profile
        priority (``delayed=False``: a line of contacts preferring it, no delay); in a line of
        ``mixed`` (shared by listed queues of different priorities), the first of each
        priority, so a selection that ranks priorities first sees the best of each."""
        assert agent.profile is not None
        agent_id, contacts, queues = agent.agent_id, self.contacts, agent.profile.queues
        found: dict[int, tuple[LineEntry, int]] = {}
        wanted = agent.priority_count if id(line) in mixed else 1
        for entry in line.entries():
            contact = contacts[entry[ENTRY_CONTACT]]
            listed = queues.get(contact.queue.name)
            if listed is None or agent_id in contact.excluded or listed.priority in found:
                continue
            if delayed and contact.enqueued_at + listed.delay > now:
                continue
            found[listed.priority] = (entry, listed.priority)
            if len(found) == wanted:
                break
        return list(found.values())

    def _best_contact(self, agent: AgentState) -> str | None:
        """Head of each line the agent serves (skipping contacts it declined); the best wins.

        Ranks compare across lines by effective priority (with each line's aging), then
        enqueued_at, then seq (unique among waiting contacts). Cost: O(l) for the l lines the
        agent serves, plus O(log² n) per line whose head it declined (:class:`.DeclinedViews`).
        """
        best: LineEntry | None = None
        taking, agent_id, now, contacts = agent.taking, agent.agent_id, self.now, self.contacts
        own = self.affinity_lines.get(agent_id)
        lines = agent.lines if own is None else [*agent.lines, *own.values()]
        for line in lines:
            first = line.first
            if first is None or line.channel not in taking:
                continue
            if agent_id in contacts[first[ENTRY_CONTACT]].excluded:
                first = self._first_not_declined(line, agent_id)
                if first is None:
                    continue
            rate = line.aging_rate
            rank = (
                (
                    first[KEY_RANK] - rate * now,
                    first[KEY_ENQUEUED_AT],
                    first[KEY_SEQ],
                    first[ENTRY_CONTACT],
                )
                if rate
                else first
            )
            if best is None or rank < best:
                best = rank
        return None if best is None else best[ENTRY_CONTACT]

    def _first_not_declined(self, line: WaitingLine, agent_id: str) -> LineEntry | None:
        """The first entry of ``line`` whose contact the agent has not declined (its head is
        one it declined). Cost: O(log² n); O(n) once, the first time for this agent and line.
        """
        contacts = self.contacts
        return self.declined.first_for(
            agent_id, line, lambda cid: agent_id in contacts[cid].excluded
        )

    # -- deadlines ------------------------------------------------------------------------
    def apply_deadline(self, entry: Deadline, out: list[dc.Decision]) -> None:
        """Carry out a deadline that fell due (the clock is at its time): the kinds of this
        layer and below here, one call for the frequent ones; a later layer's kind (an hours
        change, a callback's retry) through :meth:`apply_later_deadline`."""
        kind, subject, detail = entry[KIND], entry[SUBJECT], entry[DETAIL]
        if kind not in _KINDS_HERE:
            self.apply_later_deadline(entry, out)
            return
        if kind == REJOIN:
            del self.rejoin[subject]
            return
        if kind == WRAP_UP:
            agent = self.agents[subject]
            del agent.wrapups[detail]
            out.append(dc.new_wrap_up_expired(at=self.now, agent_id=subject, contact_id=detail))
            self.free_slot(agent, detail, out)
            return
        contact = self.contacts[subject]
        contact.deadlines.remove(entry)
        if kind == ALERT:
            out.append(self.alert(contact))
        elif kind == STAGE:
            self.expand(contact, out)
        elif kind == AFFINITY:
            self.affinity_expired(contact, out)
        elif kind == DELAY:
            if contact.status is ContactStatus.WAITING and not contact.affinity:
                self.match_contact(contact, out)
        elif kind == OFFER:
            self.expire_offer(contact, out)

    def apply_later_deadline(self, entry: Deadline, out: list[dc.Decision]) -> None:
        """Carry out a deadline of a kind the later layers add (each handles its own kind and
        passes the rest on with ``super()``); none is left by here."""
        raise AssertionError(f"a deadline of an unknown kind: {entry!r}")


def _shown_cost(cost: float | None) -> float:
    """A candidate's skill cost as explanations show it (-1.0: found as "any agent")."""
    return -1.0 if cost is None or cost == math.inf else cost


def _profile_note(agent: AgentState, queue: str) -> str:
    """What an explanation says of the agent's routing profile for the queue."""
    assert agent.profile is not None
    listed = agent.profile.queues[queue]
    return f"; routing profile: {queue} priority {listed.priority}, delay {listed.delay:g}s"


@functools.cache
def _step_name(cost: float | None) -> str:
    """How an explanation names the criteria step an agent was found at (its pool's cost)."""
    return f"meets criteria step {cost:g}"


@functools.cache
def _ring_name(cost: float | None) -> str:
    """How an explanation names a skill-cost ring (cached: a few distinct costs)."""
    return "any agent on the channel" if cost is None else f"skill cost {cost:g}"
