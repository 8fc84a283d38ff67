"""Queues that change while contacts flow: added, changed, closed and opened (private; the layer
between :mod:`._matching` and :mod:`._handlers`, see :mod:`._state`).

A closed queue takes no new contacts: an arrival goes to the queue's ``closed_queue`` when it
names one that is open, else it is refused; a transfer into a closed queue is refused and the
contact stays where it was. Contacts already in the queue follow its ``closed_rule``: ``"keep"``
(served as before), ``"move"`` (transferred to ``closed_queue``) or ``"end"`` (they leave with a
``Refused``). Connected contacts always stay with their agents. This layer never validates a
caller's event: the checks in :mod:`._handlers` did.
"""

from __future__ import annotations

from typing import Any

from . import decisions as dc
from ._matching import Matching
from ._offers import OfferReturn
from ._state import ALERT, DELAY, STAGE
from .contacts import ContactState, ContactStatus
from .deadlines import KIND, SUBJECT, Deadline
from .queues import KEY_SEQ, QueueSpec, WaitingKey, WaitingLine, build_lines

HOURS = "hours"
"""Deadline kind: a queue's hours of operation open or close it."""

OUTSIDE_HOURS = "outside opening hours"
"""The reason a queue closed by its hours gives in its refusals."""


class QueueRuntime(Matching):
    """Open and closed queues, and what closing does to arrivals and waiting contacts."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        # closed queue name → the reason it was closed (None when none was given)
        self.closed: dict[str, str | None] = {}
        # queue name → its pending hours deadline (the next time its hours open or close it)
        self.hours_deadlines: dict[str, Deadline] = {}
        # closed queues their hours closed (not a QueueClosed, whatever its reason said)
        self.closed_by_hours: set[str] = set()
        for queue in self.queues.values():
            self.start_hours(queue, [])

    # -- hours of operation ---------------------------------------------------------------
    def start_hours(self, queue: QueueSpec, out: list[dc.Decision]) -> None:
        """A queue with hours takes the state they give now, and a deadline at their next
        change. Cost: O(1) without hours; O((W + H)²) with them (see ``OpenHours``)."""
        hours = queue.hours
        if hours is None:
            return
        if hours.is_open_at(self.now):
            self.open_queue(queue.name, out)
        else:
            self.close_queue(queue.name, OUTSIDE_HOURS, out)
            self.closed_by_hours.add(queue.name)
        change = hours.next_change(self.now)
        if change is not None:
            # before every other deadline due then (the queue is in its new state at that
            # instant), several queues' in configuration order
            rank = list(self.queues).index(queue.name)
            entry = self.deadlines.add_first(change, HOURS, queue.name, rank)
            self.hours_deadlines[queue.name] = entry

    def apply_later_deadline(self, entry: Deadline, out: list[dc.Decision]) -> None:
        """An hours deadline opens or closes its queue (and sets the next). Cost: O(1) more
        per deadline of the later layers' kinds."""
        if entry[KIND] != HOURS:
            super().apply_later_deadline(entry, out)
            return
        name = entry[SUBJECT]
        del self.hours_deadlines[name]
        self.closed.pop(name, None)  # the hours' state replaces a manual close or open
        self.start_hours(self.queues[name], out)

    def close_queue(self, name: str, reason: str | None, out: list[dc.Decision]) -> None:
        """Close the queue (idempotent) and apply its closing rule to the contacts in it that
        are not connected. Cost: O(1) for the rule ``"keep"``; else O(k) to find them among the
        queue's k contacts (:meth:`contacts_in`), plus moving or ending each."""
        if name in self.closed:
            return
        self.closed[name] = reason
        queue = self.queues[name]
        if queue.closed_rule == "keep":
            return
        # waiting contacts first, then ringing ones: an agent whose offer is withdrawn then
        # finds none of the queue's contacts left to take in the meantime
        waiting, ringing = ContactStatus.WAITING, ContactStatus.OFFERED
        mine = self.contacts_in(name)
        leaving = [c for c in mine if c.status is waiting]
        leaving += [c for c in mine if c.status is ringing]
        moving = queue.closed_rule == "move"
        for contact in leaving:
            target = self._open_target(queue) if moving else None
            if target is None:
                why = self._closed_reason(queue, "while it waited", full=moving)
                self._end_at_close(contact, why, out)
                continue
            self.stats.counters(name).closed_moved += 1
            if contact.status is ringing:  # withdrawn first, so its agent is not excluded
                self.withdraw(contact, self._closed_reason(queue, "", full=False), out)
            self.transfer(contact, target, out)

    def open_queue(self, name: str, out: list[dc.Decision]) -> None:
        """Open the queue again (idempotent): arrivals are routed to it (the callbacks layer
        also queues the callbacks whose retry fell while it was closed). Cost: O(1)."""
        self.closed.pop(name, None)
        self.closed_by_hours.discard(name)

    def arrival_queue(
        self, queue: QueueSpec, contact_id: str, out: list[dc.Decision]
    ) -> QueueSpec | None:
        """The queue an arrival to ``queue`` joins: itself when open, else its open
        ``closed_queue``; None (and a ``Refused``) when there is none. Cost: O(1)."""
        if queue.name not in self.closed:
            return queue
        counters = self.stats.counters(queue.name)
        target = self._open_target(queue)
        if target is not None:
            counters.closed_moved += 1
            self.stats.counters(target.name).transferred_in += 1
            return target
        counters.refused += 1
        counters.closed_refused += 1
        out.append(
            dc.Refused(
                at=self.now,
                contact_id=contact_id,
                queue=queue.name,
                reason=self._closed_reason(queue, "", full=queue.closed_queue is not None),
            )
        )
        return None

    def _open_target(self, queue: QueueSpec) -> QueueSpec | None:
        """The queue's ``closed_queue`` if it names one that is open and not full (one hop)."""
        name = queue.closed_queue
        if name is None or name in self.closed:
            return None
        target = self.queues[name]
        if target.max_length is not None and self.stats.waiting(name) >= target.max_length:
            return None
        return target

    def _closed_reason(self, queue: QueueSpec, when: str, *, full: bool) -> str:
        why = self.closed.get(queue.name)
        text = f"queue {queue.name} closed" + (f" {when}" if when else "")
        if why:
            text += f" ({why})"
        if full:
            text += f"; {queue.closed_queue} closed or full"
        return text

    def _end_at_close(self, contact: ContactState, reason: str, out: list[dc.Decision]) -> None:
        """The contact leaves the router because its queue closed, like an abandon the router
        decides: a ``Refused`` tells the caller to play a message or offer a callback."""
        cid = contact.contact_id
        self.drop_contact(cid)
        if contact.status is ContactStatus.OFFERED:
            self.withdraw(contact, reason, out)
        contact.move("close")
        self.stop_waiting(contact)
        self.pools.forget_contact(cid)
        self.unroute_contact(contact)
        counters = self.stats.counters(contact.queue.name)
        counters.closed_refused += 1
        out.append(dc.Refused(at=self.now, contact_id=cid, queue=contact.queue.name, reason=reason))

    # -- queues added at run time ----------------------------------------------------------------
    def add_queue(self, queue: QueueSpec) -> None:
        """Configure a new queue (checked: its name is new, its ``closed_queue`` known): its
        lines, its place in the login index, its pools and statistics; then every logged-in
        agent's eligibility is computed again and it is re-placed in its pools, so agents who
        can serve the queue are found for its first contact. Nothing waits in it yet, so no
        decision. Cost: O(Q) to find a line to share, plus O(A·(c·R·K + q log n)) for the A
        logged-in agents, as if each logged in again (queues are added rarely).
        """
        self.queues[queue.name] = queue
        self.lines.update(self._lines_of(queue))
        self._index_for_login(queue)
        self.pools.add_queue(queue)
        self.stats.add_queue(queue.name)
        self.reenrol_all(self.fill_eligibility)
        self.start_hours(queue, [])  # nothing waits in it yet: closing decides nothing

    def _lines_of(self, queue: QueueSpec) -> dict[tuple[str, int], WaitingLine]:
        """The new queue's lines, its final "any agent" stage sharing the line of the queues on
        its channel at its aging rate, as :func:`.queues.build_lines` would have made it."""
        lines = build_lines([queue])
        last = len(queue.stages) - 1
        if last == 0 or queue.stages[last].max_cost is not None:
            return lines
        for other in self.queues.values():
            other_last = len(other.stages) - 1
            if (
                other is not queue
                and other_last > 0
                and other.stages[other_last].max_cost is None
                and (other.channel, other.aging_rate) == (queue.channel, queue.aging_rate)
            ):
                lines[(queue.name, last)] = self.lines[(other.name, other_last)]
                break
        return lines

    def _index_for_login(self, queue: QueueSpec) -> None:
        """The login index learns the queue (last in configuration order)."""
        index = len(self._queue_order)
        self._queue_order.append(queue)
        if queue.requires:
            self._queues_by_need.setdefault(next(iter(queue.requires)), []).append(index)
        else:
            self._requiring_nothing.append(index)
        if queue.stages[-1].max_cost is None:
            last = self.lines[(queue.name, len(queue.stages) - 1)]
            known = self._any_lines.setdefault(queue.channel, [])
            if all(line is not last for line in known):
                known.append(last)

    # -- queues changed at run time ----------------------------------------------------------
    def change_queue(self, new: QueueSpec, out: list[dc.Decision]) -> None:
        """Replace a configured queue's spec while contacts flow (checked: the name is known,
        the channel the same, its ``closed_queue`` known).

        The queue is rebuilt around its contacts, as if the new spec had been configured when
        each arrived: waiting and ringing contacts keep their arrival time and order number, and
        take the new spec's key (priority weight, aging), stage (by how long they have waited)
        and routing class (their criteria on the new queue); every logged-in agent's eligibility
        is computed again, as at login. Then each waiting contact, best first, is offered to an
        agent who can take it now or queued; an open offer whose agent can no longer be offered
        the contact at its new stage is withdrawn (the contact goes to the next agent), the
        others stand. A service-level alert already raised is not raised again; one not yet
        due is due at the new threshold. Connected contacts, dials and scheduled callbacks stay
        as they are, under the new spec (its wrap-up applies to contacts that end from now on).
        Hours restart from the new spec: with hours, they decide at once whether the queue is
        open; without, a queue closed by its old hours opens, and one closed by hand stays so.

        Cost: O(k) for the queue's k contacts (:meth:`contacts_in`), plus O(w log n) to requeue
        its w waiting ones, plus O(A·(c·R·K + q log n)) to re-enrol the A logged-in agents, as
        when a queue is added: all of them, since re-placing an agent asks the policy for a key
        again (a seeded random policy draws anew); changes are rare (docs/performance.md).
        """
        name = new.name
        old = self.queues[name]
        waiting, offered = ContactStatus.WAITING, ContactStatus.OFFERED
        mine = self.contacts_in(name)
        queued = [c for c in mine if c.status is waiting or c.status is offered]
        # contacts whose service-level alert is still to come (the others had it, or have none)
        alert_due = {c.contact_id for c in queued if any(d[KIND] == ALERT for d in c.deadlines)}
        for contact in queued:
            if contact.status is waiting:
                self.leave_lines(contact)
            self._cancel_wait_deadlines(contact)
        criteria = [(contact, contact.criteria) for contact in mine]
        for contact in mine:
            self.unroute_contact(contact)  # a criteria class of the old queue goes with it
            self.pools.forget_contact(contact.contact_id)  # its own heaps of the old pools
        self._replace_spec(old, new)
        self.reenrol_all(self.fill_eligibility)
        for contact, wanted in criteria:
            contact.queue = new
            self.route_contact(contact, wanted)
        sl = new.service_level_seconds
        keyed = sorted(((self._new_key(new, c), c) for c in queued), key=lambda pair: pair[0])
        for key, contact in keyed:
            contact.key = key
            if sl is not None and (
                contact.contact_id in alert_due or old.service_level_seconds is None
            ):
                self._schedule_alert(contact, out)
            if self.delay_classes:
                self.schedule_delays(contact, self.delay_classes.get(name, ()))
            self._restage(contact, out)
            if contact.status is waiting:
                self.place(contact, out, waited=True)
        # offers last, so an agent whose offer is withdrawn finds every contact in its lines
        for contact in [c for c in queued if c.status is offered]:
            assert contact.agent_id is not None
            agent = self.agents[contact.agent_id]
            if not self.may_keep_offer(agent, contact):
                why = f"queue {name} changed; {agent.agent_id} cannot be offered it at stage {contact.stage}"
                self.return_offer(contact, agent, OfferReturn.WITHDRAWN, out, reason=why)
        self._restart_hours(old, new, out)

    @staticmethod
    def _new_key(queue: QueueSpec, contact: ContactState) -> WaitingKey:
        """The waiting key the contact would have had in ``queue``: its arrival in the queue
        and order number kept, its base priority by the queue's weight and aging."""
        at = contact.enqueued_at
        return (-queue.base_priority(contact.priority, at), at, contact.key[KEY_SEQ])

    def _cancel_wait_deadlines(self, contact: ContactState) -> None:
        """The contact's stage, alert and delay deadlines go (an offer's expiry and an
        affinity window stay). Cost: O(d) for its d deadlines."""
        kept = []
        for entry in contact.deadlines:
            if entry[KIND] in (STAGE, ALERT, DELAY):
                self.deadlines.cancel(entry)
            else:
                kept.append(entry)
        contact.deadlines = kept

    def _restage(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """The contact's stage in its new routing class: by its wait, or still 0 while it waits
        for preferred agents who may still be preferred (none left: the stages take over)."""
        if contact.affinity:
            contact.affinity = tuple(
                a for a in contact.affinity if self.stays_preferred(a, contact)
            )
            if not contact.affinity:
                self.end_affinity(contact, out)
            return
        self._enter_stage(contact, contact.route.stage_at(self.now - contact.enqueued_at))

    def _replace_spec(self, old: QueueSpec, new: QueueSpec) -> None:
        """The queue's spec, lines (none holds a contact of it now), login index and "any
        agent" lines become the new spec's; views of lines no queue uses any more go.
        Cost: O(Q + L) for Q queues and L lines."""
        name = new.name
        self.queues[name] = new
        gone = [self.lines.pop((name, stage)) for stage in range(len(old.stages))]
        self.lines.update(self._lines_of(new))
        used = {id(line) for line in self.lines.values()}
        self.declined.drop_lines([line for line in gone if id(line) not in used])
        index = next(i for i, queue in enumerate(self._queue_order) if queue is old)
        self._queue_order[index] = new
        self._index_bucket(old).remove(index)
        self._index_bucket(new).append(index)
        self.index_any_lines()
        self.pools.add_queue(new)  # its channel's pool, if its last stage newly takes any agent

    def _index_bucket(self, queue: QueueSpec) -> list[int]:
        """The login index's list that holds (or will hold) the queue's position."""
        if queue.requires:
            return self._queues_by_need.setdefault(next(iter(queue.requires)), [])
        return self._requiring_nothing

    def _restart_hours(self, old: QueueSpec, new: QueueSpec, out: list[dc.Decision]) -> None:
        """The old hours' deadline goes; new hours decide at once whether the queue is open
        (their closing applies the new closing rule); without new hours, a queue its old hours
        had closed opens, one closed by hand stays closed. Cost: as :meth:`start_hours`."""
        name = new.name
        entry = self.hours_deadlines.pop(name, None)
        if entry is not None:
            self.deadlines.cancel(entry)
        if new.hours is not None:
            self.closed.pop(name, None)
            self.start_hours(new, out)
        elif name in self.closed_by_hours:  # not by its reason: a caller may give that one
            self.open_queue(name, out)
