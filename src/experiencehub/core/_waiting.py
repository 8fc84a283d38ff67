"""Waiting contacts: queued in their lines, widening by stage, waiting for preferred agents,
rejoining after an abandon, transferred (private; the second layer of the router's state, see
:mod:`._state`).

A waiting contact sits in exactly one line of its routing class (queue, stage), or, while it waits
for preferred agents, in one affinity line per preferred agent. ``place`` is the only way in: it
tries to match the contact first, so a contact offered at once never enters a line.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

from . import decisions as dc
from ._state import AFFINITY, ALERT, DELAY, OFFER, REJOIN, STAGE, RoutingState
from .agents import AgentState, AgentStatus
from .contacts import ContactState, ContactStatus
from .criteria import RoutingCriteria, step_requirement
from .deadlines import KIND
from .queues import KEY_ENQUEUED_AT, KEY_RANK, KEY_SEQ, QueueSpec, WaitingLine


class Waiting(RoutingState):
    """Moves of waiting contacts."""

    def start_waiting(
        self,
        contact: ContactState,
        out: list[dc.Decision],
        *,
        preferred: tuple[str, ...] = (),
        match: bool = True,
    ) -> None:
        """Queue a new (or transferred) contact and try to offer it at once (``match=False``:
        it only goes in its lines; the caller matches it and says ``Enqueued``)."""
        queue, now = contact.queue, self.now
        kept = (
            self.rejoin.pop(_rejoin_id(queue, contact.customer_id), None)
            if contact.customer_id and self.rejoin
            else None
        )
        if kept is not None:  # its place: arrival and order kept, rank by the queue's keys now
            priority, key, entry = kept
            self.deadlines.cancel(entry)
            at = key[KEY_ENQUEUED_AT]
            contact.key = (-queue.base_priority(priority, at), at, key[KEY_SEQ])
            contact.enqueued_at, contact.priority = at, priority
        else:
            self.seq += 1
            contact.key = (-queue.base_priority(contact.priority, now), now, self.seq)
            contact.enqueued_at = now
        self.stats.queued(queue.name, contact.enqueued_at, contact.key[KEY_SEQ], now=now)
        if queue.service_level_seconds is not None:
            self._schedule_alert(contact, out)
        if self.delay_classes:  # criteria contacts too: their class has the queue's delay pools
            self.schedule_delays(contact, self.delay_classes.get(queue.name, ()))
        route = contact.route
        usable = (
            tuple(dict.fromkeys(a for a in preferred if self.can_prefer(a, route)))
            if preferred
            else ()
        )
        if usable and queue.affinity_seconds > 0:
            contact.affinity, contact.affinity_logins = usable, self.agent_seq
            contact.deadlines.append(
                self.deadlines.add(now + queue.affinity_seconds, AFFINITY, contact.contact_id)
            )
            contact.stage = 0
        else:
            waited = now - contact.enqueued_at
            self._enter_stage(contact, route.stage_at(waited) if waited else 0)
        if not match:
            self._enter_lines(contact)
            return
        self.place(contact, out)
        if contact.status is ContactStatus.WAITING:
            enqueued = self._enqueued(contact)
            out.append(enqueued)
            limit = queue.estimated_wait_alert_seconds
            # a queued callback is one already: no alert to offer it one
            if (
                limit is not None
                and contact.callback is None
                and (enqueued.estimated_wait or 0.0) > limit
            ):
                out.append(self._estimated_wait_alert(enqueued, limit))

    def stays_preferred(self, agent_id: str, contact: ContactState) -> bool:
        """Is this preferred agent still the one the contact waits for? Not if it logged out,
        even if it has logged in again since (a later login has a later ``seq``), nor once its
        skills changed so that it could no longer be preferred for the queue."""
        agent = self.agents.get(agent_id)
        return (
            agent is not None
            and agent.seq <= contact.affinity_logins
            and self.can_prefer(agent_id, contact.route)
        )

    def can_prefer(self, agent_id: str, queue: QueueSpec) -> bool:
        """May a contact of ``queue`` (a routing class: a queue, or a criteria class) wait for
        this agent (logged in, not logging out, and serving the class at some stage)?
        Cost: O(1)."""
        agent = self.agents.get(agent_id)
        return (
            agent is not None
            and agent.status is not AgentStatus.LOGGING_OUT
            and (agent.profile is None or queue.name in agent.serving)
            and (
                queue.name in agent.serving
                or (agent.capacity.get(queue.channel, 0) > 0 and queue.stages[-1].max_cost is None)
            )
        )

    def _enter_stage(self, contact: ContactState, stage: int) -> None:
        """Set the stage and schedule the next expansion."""
        contact.stage = stage
        stages = contact.route.stages
        if stage + 1 < len(stages):
            at = contact.enqueued_at + stages[stage + 1].after
            contact.deadlines.append(self.deadlines.add(at, STAGE, contact.contact_id))

    def schedule_delays(self, contact: ContactState, delays: Collection[float]) -> None:
        """A deadline at each routing-profile delay of the contact's queue it has not waited
        out yet: then agents of that delay class may take it. Cost: O(d log n) for d delays."""
        enqueued_at, now, cid = contact.enqueued_at, self.now, contact.contact_id
        for delay in delays:
            at = enqueued_at + delay
            if at > now:
                contact.deadlines.append(self.deadlines.add(at, DELAY, cid))

    def _schedule_alert(self, contact: ContactState, out: list[dc.Decision]) -> None:
        threshold = contact.queue.service_level_seconds
        assert threshold is not None
        due = contact.enqueued_at + threshold
        if due <= self.now:
            out.append(self.alert(contact))
        else:
            contact.deadlines.append(self.deadlines.add(due, ALERT, contact.contact_id))

    def alert(self, contact: ContactState) -> dc.Alert:
        """The service-level alert for a contact that waited past its queue's threshold."""
        return dc.new_alert(
            at=self.now,
            contact_id=contact.contact_id,
            kind="service_level",
            detail=f"waited {self.now - contact.enqueued_at:g}s in {contact.queue.name}, "
            f"past its service-level threshold of {contact.queue.service_level_seconds:g}s",
        )

    def place(self, contact: ContactState, out: list[dc.Decision], *, waited: bool = False) -> None:
        """Offer a waiting contact to an agent who can take it now, or put it in its lines.
        ``waited``: it sat in its lines until this move (its stage widened, its affinity ended,
        its queue changed, its offer came back and it keeps its place), so an offer now is a
        departure the estimated wait learns from.

        Matching first spares a contact that is offered at once the line insert and removal.
        """
        found = self.best_agent_for(contact)  # match_contact, inline (hot path)
        if found is not None:
            self.offer(contact, found[0], found[1], out)
        if contact.status is ContactStatus.WAITING:
            self._enter_lines(contact)
        elif waited:
            self.stats.departed(contact.queue.name, self.now)

    def _enter_lines(self, contact: ContactState) -> None:
        if contact.affinity:
            queue = contact.route
            for agent_id in contact.affinity:
                own = self.affinity_lines.setdefault(agent_id, {})
                line = own.get(queue.name) or own.setdefault(
                    queue.name, WaitingLine(queue.channel, queue.aging_rate)
                )
                line.add(contact.key, contact.contact_id)
                contact.lines.append(line)
        else:
            line = self.lines[(contact.route.name, contact.stage)]
            line.add(contact.key, contact.contact_id)
            contact.lines.append(line)
        if contact.excluded and self.declined:
            key, cid = contact.key, contact.contact_id
            for line in contact.lines:
                self.declined.entered(line, (*key, cid), contact.excluded)

    def leave_lines(self, contact: ContactState) -> None:
        """The contact leaves every line it sits in (an empty affinity line goes too)."""
        key, cid = contact.key, contact.contact_id
        for line in contact.lines:
            line.remove(key, cid)
        if contact.excluded and self.declined:
            for line in contact.lines:
                self.declined.left(line, (*key, cid), contact.excluded)
        contact.lines = []
        name = contact.route.name
        for agent_id in contact.affinity:
            lines = self.affinity_lines.get(agent_id)
            if lines is not None and not lines.get(name, True):
                del lines[name]
                if not lines:
                    del self.affinity_lines[agent_id]

    def cancel_deadlines(self, contact: ContactState) -> None:
        """Every pending deadline of the contact is cancelled."""
        for entry in contact.deadlines:
            self.deadlines.cancel(entry)
        contact.deadlines = []

    def cancel_offer_deadline(self, contact: ContactState) -> None:
        """The contact's offer expiry, if any, is cancelled."""
        for entry in [d for d in contact.deadlines if d[KIND] == OFFER]:
            contact.deadlines.remove(entry)
            self.deadlines.cancel(entry)

    def stop_waiting(self, contact: ContactState) -> None:
        """The contact leaves its lines, deadlines and the waiting statistics."""
        self.leave_lines(contact)
        self.cancel_deadlines(contact)
        self.stats.unqueued(contact.queue.name, contact.enqueued_at, contact.key[KEY_SEQ])

    def expand(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """The contact reached its next stage: more agents are eligible."""
        waiting = contact.status is ContactStatus.WAITING
        if waiting:
            self.leave_lines(contact)
        self._enter_stage(contact, contact.stage + 1)
        out.append(self._expanded(contact))
        if waiting:
            self.place(contact, out, waited=True)

    def end_affinity(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """Preferred agents had their chance: normal stages take over (the line is left already)."""
        for entry in [d for d in contact.deadlines if d[KIND] == AFFINITY]:
            contact.deadlines.remove(entry)
            self.deadlines.cancel(entry)
        contact.affinity = ()
        self._enter_stage(contact, contact.route.stage_at(self.now - contact.enqueued_at))
        out.append(self._expanded(contact))

    def _expanded(self, contact: ContactState) -> dc.Expanded:
        queue = contact.queue
        return dc.new_expanded(
            at=self.now,
            contact_id=contact.contact_id,
            queue=queue.name,
            stage=contact.stage,
            max_cost=queue.stages[contact.stage].max_cost  # stage_max_cost, its plain case inline
            if contact.criteria is None
            else self.stage_max_cost(contact),
        )

    def stage_max_cost(self, contact: ContactState) -> float | None:
        """The skill-cost limit of the contact's stage: its queue's, or its criteria step's.
        Cost: O(1)."""
        if contact.criteria is not None:
            return contact.criteria.steps[contact.stage].max_cost
        return contact.queue.stages[contact.stage].max_cost

    def stage_summary(self, contact: ContactState) -> str:
        """Who the contact's stage admits, for explanations. Cost: O(R) in required skills."""
        if contact.criteria is not None:
            step = contact.criteria.steps[contact.stage]
            need = ", ".join(f"{k} >= {v}" for k, v in step_requirement(contact.queue, step).items())
            earlier = ", or an earlier step's" if contact.stage else ""
            return f"criteria step {contact.stage}: {need or 'nothing'} at skill cost <= {step.max_cost:g}{earlier}"
        return _stage_limit(contact.queue.stages[contact.stage].max_cost)

    def affinity_expired(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """The affinity window closed: the contact is routed by its stages from now on."""
        waiting = contact.status is ContactStatus.WAITING
        if waiting:
            self.leave_lines(contact)
        self.end_affinity(contact, out)
        if waiting:
            self.place(contact, out, waited=True)

    def drop_affinity(
        self, agent_id: str, out: list[dc.Decision], *, queues: Collection[str] | None = None
    ) -> None:
        """The agent leaves (or, given ``queues``, may no longer be preferred for those):
        contacts waiting for it alone fall back to normal routing, the best first (highest
        effective priority, then longest wait, across its queues), so a better contact is never
        left waiting while a worse one takes the agent it could have had. Cost: O(k log k) for
        the k contacts that waited for it, plus placing them."""
        lines = self.affinity_lines.get(agent_id)
        if lines is None:
            return
        now = self.now
        released = sorted(
            ((key[KEY_RANK] - line.aging_rate * now, key[KEY_ENQUEUED_AT], key[KEY_SEQ]), cid)
            for name, line in lines.items()
            if queues is None or name in queues
            for key, cid in line
        )
        for _rank, cid in released:
            contact = self.contacts[cid]
            self.leave_lines(contact)
            contact.affinity = tuple(a for a in contact.affinity if a != agent_id)
            if not contact.affinity:
                self.end_affinity(contact, out)
            self.place(contact, out, waited=True)

    def remember_for_rejoin(self, contact: ContactState) -> None:
        """An abandoning customer who comes back within the queue's rejoin window keeps its
        place: its arrival time, order number and priority, ranked by the queue's weight and
        aging when it comes back (a ``QueueChanged`` in between applies to it)."""
        queue = contact.queue
        if contact.customer_id is None or queue.rejoin_seconds <= 0:
            return
        rid = _rejoin_id(queue, contact.customer_id)
        old = self.rejoin.pop(rid, None)
        if old is not None:
            self.deadlines.cancel(old[2])
        entry = self.deadlines.add(self.now + queue.rejoin_seconds, REJOIN, rid)
        self.rejoin[rid] = (contact.priority, contact.key, entry)

    def transfer(
        self,
        contact: ContactState,
        target: QueueSpec,
        out: list[dc.Decision],
        *,
        preferred: tuple[str, ...] = (),
        criteria: RoutingCriteria | None = None,
        match: bool = True,
    ) -> None:
        """The contact moves to ``target`` and waits there (for ``preferred`` agents first,
        routed by ``criteria`` when given: the old criteria do not follow it);
        its agent (if it was connected) starts wrap-up, and neither that agent nor any still
        wrapping it is offered it again. ``match=False``: see :meth:`start_waiting`."""
        previous_agent = contact.agent_id
        if contact.status is ContactStatus.OFFERED:
            self.withdraw(contact, "contact transferred", out)
        if contact.status is ContactStatus.CONNECTED:
            assert previous_agent is not None
            self.start_wrap_up(self.agents[previous_agent], contact, out)
            contact.agent_id = None
        else:
            self.stop_waiting(contact)
        self.unroute_contact(contact)
        self.stats.counters(contact.queue.name).transferred_out += 1
        self.stats.counters(target.name).transferred_in += 1
        contact.move("transfer")
        self.rehome(contact, target)
        contact.transfers += 1
        self.route_contact(contact, criteria)
        # not offered back to the agent it came from, nor to one still wrapping it up, nor
        # to one it must never go to wherever it waits
        excluded = set(self.wrapping.get(contact.contact_id, ())) | self.lasting_exclusions(contact)
        if previous_agent is not None:
            excluded.add(previous_agent)
        contact.excluded = frozenset(excluded)
        self.pools.forget_contact(contact.contact_id)  # its own pool heaps held the old exclusions
        contact.affinity = ()
        self.start_waiting(contact, out, preferred=preferred, match=match)

    def _enqueued(self, contact: ContactState) -> dc.Enqueued:
        queue = contact.queue
        line = (
            self.lines[(contact.route.name, contact.stage)]
            if not contact.affinity
            else contact.lines[0]
        )
        if contact.affinity:
            summary = f"waiting up to {queue.affinity_seconds:g}s for preferred agent(s) {', '.join(contact.affinity)}"
        else:
            ring = (
                _stage_limit(queue.stages[contact.stage].max_cost)
                if contact.criteria is None
                else self.stage_summary(contact)
            )  # stage_summary, its plain case inline (hot path)
            summary = f"no eligible agent free at stage {contact.stage} ({ring}); {self.pools.available(queue.channel)} agent(s) free on {queue.channel}"
        position = line.position(contact.key, contact.contact_id)
        return dc.new_enqueued(
            at=self.now,
            contact_id=contact.contact_id,
            queue=queue.name,
            position=position,
            waiting=self.stats.waiting(queue.name),
            explanation=dc.new_explanation(policy=self.policy.name, summary=summary),
            estimated_wait=self.stats.estimated_wait(queue.name, position),
        )

    def _estimated_wait_alert(self, enqueued: dc.Enqueued, limit: float) -> dc.Alert:
        return dc.new_alert(
            at=self.now,
            contact_id=enqueued.contact_id,
            kind="estimated_wait",
            detail=f"estimated wait {enqueued.estimated_wait:.0f}s in {enqueued.queue} at "
            f"position {enqueued.position}, above its threshold of {limit:g}s",
        )

    def lasting_exclusions(self, contact: ContactState) -> frozenset[str]:
        """The agents the contact is never offered to, in whatever queue it waits: none here
        (a consult leg's asking agent, :mod:`._consult`). Cost: O(1)."""
        return frozenset()

    # -- moves the later layers provide ---------------------------------------------------
    def match_contact(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """Offer the contact to the best eligible agent that can take it (:mod:`._matching`)."""
        raise NotImplementedError

    def best_agent_for(self, contact: ContactState) -> tuple[AgentState, dc.Explanation] | None:
        """The agent :meth:`match_contact` would offer the contact to, and why
        (:mod:`._matching`)."""
        raise NotImplementedError

    def withdraw(self, contact: ContactState, reason: str, out: list[dc.Decision]) -> None:
        """Take back the contact's open offer (:mod:`._offers`)."""
        raise NotImplementedError

    def offer(
        self,
        contact: ContactState,
        agent: AgentState,
        explanation: dc.Explanation,
        out: list[dc.Decision],
        *,
        place: bool = True,
    ) -> None:
        """Reserve the agent's slot for the contact (:mod:`._offers`)."""
        raise NotImplementedError


def _rejoin_id(queue: QueueSpec, customer_id: str | None) -> str:
    return f"{queue.name}\x00{customer_id}"


@functools.cache
def _stage_limit(cost: float | None) -> str:
    """Who a queue's stage admits, for explanations (cached: a few distinct costs)."""
    return "any agent" if cost is None else f"skill cost <= {cost:g}"
