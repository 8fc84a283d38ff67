"""Each routing event, validated then applied (private; the last layer of the router's state, see
:mod:`._state`, and the object :class:`~.router.Router` holds).

For every event type ``handlers`` holds a pair: the check, which raises a
:class:`~.errors.RoutingError` naming the value and the rule and never mutates, and the
application, which may assume the check passed. ``Router.handle`` runs them in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import decisions as dc
from . import events as ev
from ._callback_closing import CallbackClosing
from ._offers import OfferReturn
from .agents import AgentState, AgentStatus, WorkPhase, next_status
from .contacts import ContactState, ContactStatus, next_contact_status
from .criteria import RoutingCriteria
from .eligibility import criteria_serving
from .errors import (
    DuplicateId,
    InvalidEvent,
    InvalidTransition,
    OfferNotFound,
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
)
from .profiles import RoutingProfile
from .queues import KEY_SEQ, QueueSpec

Check = Callable[[Any], None]
Apply = Callable[[Any, list[dc.Decision]], None]

# contacts a new delay class gives a deadline: those waiting, and those ringing (an offer that
# comes back leaves the contact waiting with the deadlines it had)
_MAY_WAIT = (ContactStatus.WAITING, ContactStatus.OFFERED)


class RoutingCore(CallbackClosing):
    """The router's whole state, with a check and an application for every event type."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        # the login checked last and the agent it makes, applied by _login right after
        self._admitting: tuple[ev.AgentLoggedIn, AgentState] | None = None
        # the skill change checked last and its agent's new eligibility (None: skills unchanged)
        self._reskilling: tuple[ev.AgentSkillsChanged, AgentState | None] | None = None
        self.handlers: dict[type, tuple[Check, Apply]] = {
            ev.AgentLoggedIn: (self._check_login, self._login),
            ev.AgentStatusChanged: (self._check_status, self._status),
            ev.AgentLoggedOut: (self._check_logout, self._logout),
            ev.AgentSkillsChanged: (self._check_skills, self._skills),
            ev.ContactArrived: (self._check_arrival, self._arrive),
            ev.OfferAccepted: (self._check_offer_answer, self._accept),
            ev.OfferRejected: (self._check_offer_answer, self._reject),
            ev.ContactEnded: (self._check_end, self._end),
            ev.WrapUpEnded: (self._check_wrap_up_end, self._wrap_up_end),
            ev.ContactAbandoned: (self._check_abandon, self._abandon),
            ev.ContactTransferred: (self._check_transfer, self._transfer),
            ev.QueueAdded: (self._check_queue_added, self._add_queue),
            ev.QueueChanged: (self._check_queue_changed, self._change_queue),
            ev.QueueClosed: (self._check_queue_named, self._close),
            ev.QueueOpened: (self._check_queue_named, self._open),
            ev.ConsultRequested: (self.check_consult_request, self.start_consult),
            ev.ConsultEnded: (self.check_consult_end, self.end_consult),
            ev.CallbackRequested: (self._check_callback_request, self._callback_request),
            ev.CallbackAnswered: (self._check_callback_dial, self._callback_answer),
            ev.CallbackFailed: (self._check_callback_dial, self._callback_fail),
            ev.Tick: (_no_check, _no_apply),
        }

    def run_deadlines(self, until: float, out: list[dc.Decision]) -> None:
        """Apply every deadline due at or before ``until``, each at its own time."""
        while (entry := self.deadlines.pop_due(until)) is not None:
            self.now = entry[0]
            self.apply_deadline(entry, out)

    # -- lookups that raise the caller's error ---------------------------------------------
    def agent(self, agent_id: str) -> AgentState:
        """The logged-in agent, or ``UnknownAgent``. Cost: O(1)."""
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(f"{agent_id}: no agent with this id is logged in")
        return agent

    def contact(self, contact_id: str) -> ContactState:
        """The contact in the router, or ``UnknownContact``. Cost: O(1)."""
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise UnknownContact(
                f"{contact_id}: no such contact (never arrived, or already ended or abandoned)"
            )
        return contact

    def queue(self, name: str) -> QueueSpec:
        """The configured queue, or ``UnknownQueue``. Cost: O(1)."""
        queue = self.queues.get(name)
        if queue is None:
            raise UnknownQueue(
                f"{name}: no queue with this name (known: {', '.join(self.queues)})"
            )
        return queue

    # -- checks (never mutate) ------------------------------------------------------------
    def _check_login(self, e: ev.AgentLoggedIn) -> None:
        """The id is free and the policy's keys for the agent have the policy's one length
        (the agent made here is the one ``_login`` logs in: validate first, mutate after)."""
        agent = self.agents.get(e.agent_id)
        if agent is not None:
            raise DuplicateId(f"{e.agent_id}: already logged in ({agent.status.value})")
        self._admitting = None
        if e.profile is not None:
            self._check_profile(e)
        made = self.new_agent(e.agent_id, e.skills, e.capacity, e.profile)
        self.pools.check_keys(made)
        self._admitting = (e, made)

    def _check_profile(self, e: ev.AgentLoggedIn) -> None:
        """Every queue of the agent's routing profile is configured (else UnknownQueue)."""
        assert e.profile is not None
        for name in e.profile.queues:
            if name not in self.queues:
                raise UnknownQueue(
                    f"{e.agent_id}: routing profile lists queue {name!r}, which is not "
                    f"configured (known: {', '.join(self.queues)})"
                )

    def _check_status(self, e: ev.AgentStatusChanged) -> None:
        next_status(e.agent_id, self.agent(e.agent_id).status, e.status)

    def _check_logout(self, e: ev.AgentLoggedOut) -> None:
        next_status(e.agent_id, self.agent(e.agent_id).status, "logout")

    def _check_skills(self, e: ev.AgentSkillsChanged) -> None:
        """The agent is logged in and not logging out, and the policy's keys for it with the
        new skills have the policy's one length. Its new eligibility is computed here, on a
        stand-in agent (validate first, mutate after: ``_skills`` applies it).
        Cost: O(c·R·K + c log c), as at login."""
        agent = self.agent(e.agent_id)
        if agent.status is AgentStatus.LOGGING_OUT:
            raise InvalidTransition(
                f"{e.agent_id}: cannot change skills while logging_out (an agent logging out "
                "finishes its work and takes no new work)"
            )
        self._reskilling = None
        if dict(e.skills) == agent.skills:
            self._reskilling = (e, None)
            return
        made = AgentState(
            e.agent_id, seq=agent.seq, skills=e.skills, capacity=agent.capacity, at=self.now
        )
        made.profile, made.selection = agent.profile, agent.selection
        self.fill_eligibility(made)
        self.pools.enrol(made)
        self.pools.check_keys(made)
        self._reskilling = (e, made)

    def _check_arrival(self, e: ev.ContactArrived) -> None:
        self.queue(e.queue)
        if e.contact_id in self.contacts or e.contact_id in self.wrapping:
            raise DuplicateId(f"{e.contact_id}: a contact with this id is still in the router")

    def _check_offer_answer(self, e: ev.OfferAccepted | ev.OfferRejected) -> None:
        contact = self.contact(e.contact_id)
        agent = self.agent(e.agent_id)
        if contact.status is not ContactStatus.OFFERED or contact.agent_id != e.agent_id:
            status, holder = contact.status, contact.agent_id
            held = status.value if holder is None else f"{status.value} to {holder}"
            why = "the offer may have expired or been withdrawn"
            if agent.auto_accept:
                why = f"{e.agent_id} auto-accepts: the router accepted its offer when it made it"
            raise OfferNotFound(
                f"{e.contact_id}: no open offer to {e.agent_id} (contact is {held}; {why})"
            )

    def _check_end(self, e: ev.ContactEnded) -> None:
        if self.consult_legs:  # (no leg open: nothing to check)
            self.check_not_leg(e.contact_id, "end")
        next_contact_status(e.contact_id, self.contact(e.contact_id).status, "end")

    def _check_wrap_up_end(self, e: ev.WrapUpEnded) -> None:
        if self.agent(e.agent_id).phase_of(e.contact_id) is not WorkPhase.WRAP_UP:
            raise InvalidTransition(f"{e.agent_id}: not in wrap-up for {e.contact_id}")

    def _check_abandon(self, e: ev.ContactAbandoned) -> None:
        if self.consult_legs:  # (no leg open: nothing to check)
            self.check_not_leg(e.contact_id, "abandon")
        next_contact_status(e.contact_id, self.contact(e.contact_id).status, "abandon")

    def _check_transfer(self, e: ev.ContactTransferred) -> None:
        contact = self.contact(e.contact_id)
        self.check_not_leg(e.contact_id, "transfer")
        self.check_no_consult(e.contact_id, "transfer")
        next_contact_status(e.contact_id, contact.status, "transfer")
        queue = self.queue(e.queue)
        if e.agent_id is not None:
            self._check_transfer_to_agent(contact, queue, e.agent_id, e.criteria)

    def _check_transfer_to_agent(
        self,
        contact: ContactState,
        queue: QueueSpec,
        agent_id: str,
        criteria: RoutingCriteria | None,
    ) -> None:
        agent = self.agent(agent_id)
        where = f"{contact.contact_id}: cannot transfer to {agent_id}"
        if agent.status is AgentStatus.LOGGING_OUT:
            raise InvalidTransition(f"{where}: it is logging out and takes no new work")
        if agent_id == contact.agent_id or agent_id in self.wrapping.get(contact.contact_id, ()):
            raise InvalidTransition(f"{where}: it is the agent transferring or wrapping it up")
        if queue.affinity_seconds <= 0:
            raise InvalidEvent(
                f"{where}: queue {queue.name} has affinity_seconds=0, no time to wait for an agent"
            )
        if not self.can_prefer(agent_id, queue):
            raise InvalidEvent(
                f"{where}: it cannot serve queue {queue.name} (skills or {queue.channel} capacity)"
            )
        if criteria is not None and (
            criteria_serving(self.skills, agent.skills, queue, criteria) is None
        ):
            raise InvalidEvent(f"{where}: it meets no step of the transfer's criteria")

    def _check_queue_named(self, e: ev.QueueClosed | ev.QueueOpened) -> None:
        self.queue(e.queue)

    def _check_queue_added(self, e: ev.QueueAdded) -> None:
        spec = e.spec
        if spec.name in self.queues:
            raise DuplicateId(
                f"queue {spec.name}: already configured (QueueChanged replaces a queue's spec)"
            )
        if spec.closed_queue is not None:
            self.queue(spec.closed_queue)

    def _check_queue_changed(self, e: ev.QueueChanged) -> None:
        """The queue is configured, keeps its channel, and a new ``closed_queue`` is known."""
        spec = e.spec
        old = self.queue(spec.name)
        if spec.channel != old.channel:
            raise InvalidEvent(
                f"queue {spec.name}: channel={spec.channel!r} must stay {old.channel!r} (its "
                f"contacts hold {old.channel} slots); add a queue with QueueAdded instead"
            )
        if spec.closed_queue is not None:
            self.queue(spec.closed_queue)

    def _check_callback_request(self, e: ev.CallbackRequested) -> None:
        """The contact waits (not offered), is no callback yet, and its queue takes them."""
        contact = self.contact(e.contact_id)
        self.check_not_leg(e.contact_id, "request a callback for")
        if contact.callback is not None:
            raise InvalidTransition(f"{e.contact_id}: already a queued callback")
        if contact.status is not ContactStatus.WAITING:
            raise InvalidTransition(
                f"{e.contact_id}: cannot request a callback while {contact.status.value} "
                "(only a waiting contact, not yet offered, can)"
            )
        queue = contact.queue
        if queue.callback is None:
            raise InvalidEvent(
                f"{e.contact_id}: queue {queue.name} takes no callbacks (its QueueSpec.callback "
                "is None)"
            )

    def _check_callback_dial(self, e: ev.CallbackAnswered | ev.CallbackFailed) -> None:
        """The contact is a callback its agent is dialling."""
        contact = self.contact(e.contact_id)
        if contact.status is not ContactStatus.DIALING:
            what = "a queued callback" if contact.callback is not None else "no callback"
            raise InvalidTransition(
                f"{e.contact_id}: no callback dial in progress (contact is {what}, "
                f"{contact.status.value}; a dial starts when its offer is accepted)"
            )

    # -- applications (the check passed) --------------------------------------------------
    def _login(self, e: ev.AgentLoggedIn, out: list[dc.Decision]) -> None:
        admitting, self._admitting = self._admitting, None
        assert admitting is not None and admitting[0] is e, "a login is applied after its check"
        agent = admitting[1]
        agent.auto_accept = e.auto_accept
        if e.wrap_up is not None:
            self.agent_wrap_ups[e.agent_id] = e.wrap_up
        elif self.agent_wrap_ups:
            self.agent_wrap_ups.pop(e.agent_id, None)
        self.add_agent(agent)
        if agent.profile is not None:
            self._learn_delays(agent.profile)
        self.look_for_work(agent, out)

    def _learn_delays(self, profile: RoutingProfile) -> None:
        """The profile's positive delays become delay classes of their queues; a new class
        gives each contact of the queue still waiting (or ringing: its offer may come back)
        short of it a deadline at it; a callback awaiting its retry gets it when it queues
        again. Cost: O(1) per known delay; O(k + w log n) once per new delay class, for the
        queue's k contacts, w of them waiting or ringing."""
        for name, listed in profile.queues.items():
            delay = listed.delay
            known = self.delay_classes.setdefault(name, [])
            if delay == 0 or delay in known:
                continue
            known.append(delay)
            known.sort()
            for contact in self.contacts_in(name):
                if contact.status in _MAY_WAIT:
                    self.schedule_delays(contact, (delay,))

    def _status(self, e: ev.AgentStatusChanged, out: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        before = agent.status
        agent.move(e.status, e.reason, self.now)
        if agent.status is AgentStatus.AWAY:
            self.withdraw_offers(agent, "agent went away", out)
            self.pools.refresh(agent)
        elif before is not AgentStatus.AVAILABLE:
            agent.unanswered = 0
            agent.idle_since = self.now
            self.look_for_work(agent, out)

    def _logout(self, e: ev.AgentLoggedOut, out: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        agent.move("logout", None, self.now)
        self.pools.refresh(agent)
        self.drop_affinity(agent.agent_id, out)
        self.withdraw_offers(agent, "agent logged out", out)
        self.finish_logout_if_idle(agent, out)

    def _skills(self, e: ev.AgentSkillsChanged, out: list[dc.Decision]) -> None:
        """The agent's skills become the new ones: eligibility as at login, re-placed in its
        pools; contacts waiting for it as a preferred agent of a queue it no longer serves, and
        open offers it could no longer be made, go to other agents; connected work and
        wrap-ups stay. Then it looks for work, as it may serve more. Cost: O(c·R·K + q log n)
        like a login, plus the contacts that move."""
        reskilling, self._reskilling = self._reskilling, None
        assert reskilling is not None and reskilling[0] is e, "a change is applied after its check"
        made = reskilling[1]
        if made is None:
            return
        agent = self.agents[e.agent_id]
        agent.skills, agent.serving, agent.lines = made.skills, made.serving, made.lines
        agent.mixed_lines = made.mixed_lines
        self.pools.reenrol(agent)
        own = self.affinity_lines.get(agent.agent_id, {})
        lost = [name for name in own if not self.can_prefer(agent.agent_id, self.class_spec(name))]
        if lost:
            self.drop_affinity(agent.agent_id, out, queues=lost)
        self.withdraw_offers_out_of_reach(agent, "agent's skills changed", out)
        self.look_for_work(agent, out)

    def _arrive(self, e: ev.ContactArrived, out: list[dc.Decision]) -> None:
        queue = self.queues[e.queue]
        counters = self.stats.counters(queue.name)
        counters.arrived += 1
        if self.closed and queue.name in self.closed:
            target = self.arrival_queue(queue, e.contact_id, out)
            if target is None:
                return
            queue, counters = target, self.stats.counters(target.name)
        if queue.max_length is not None and self.stats.waiting(queue.name) >= queue.max_length:
            counters.refused += 1
            out.append(
                dc.Refused(
                    at=self.now,
                    contact_id=e.contact_id,
                    queue=queue.name,
                    reason=f"queue full ({queue.max_length} waiting)",
                )
            )
            return
        contact = ContactState(
            e.contact_id, queue=queue, priority=e.priority, customer_id=e.customer_id, at=self.now
        )
        self.admit_contact(contact)
        if e.criteria is not None:  # else it is routed by its queue, as it was made
            self.route_contact(contact, e.criteria)
        self.start_waiting(contact, out, preferred=e.preferred_agents)

    def _accept(self, e: ev.OfferAccepted, out: list[dc.Decision]) -> None:
        self.accept_offer(self.contacts[e.contact_id], self.agents[e.agent_id])

    def accept_offer(self, contact: ContactState, agent: AgentState) -> None:
        """The agent accepts the contact's open offer (``OfferAccepted``, or at once for an agent
        that auto-accepts): a callback's dial starts, any other contact connects. Cost: O(log n).
        """
        if contact.callback is not None:
            self.start_dialing(contact, agent)
            return
        contact.move("accept")
        contact.since = self.now
        self.cancel_deadlines(contact)
        self.pools.forget_contact(contact.contact_id)
        self.unroute_contact(contact)
        agent.hold(contact.contact_id, contact.queue.channel, WorkPhase.CONNECTED)
        agent.unanswered = 0
        self.stats.unqueued(contact.queue.name, contact.enqueued_at, contact.key[KEY_SEQ])
        counters = self.stats.counters(contact.queue.name)
        counters.answered += 1
        counters.answered_wait_seconds += self.now - contact.enqueued_at

    def _reject(self, e: ev.OfferRejected, out: list[dc.Decision]) -> None:
        contact, agent = self.contacts[e.contact_id], self.agents[e.agent_id]
        self.return_offer(contact, agent, OfferReturn.REJECTED, out)

    def _end(self, e: ev.ContactEnded, out: list[dc.Decision]) -> None:
        if self.consults:
            self.end_contact_consult(e.contact_id, out)
        contact = self.drop_contact(e.contact_id)  # an end keeps its status (checked above)
        assert contact.agent_id is not None
        self.start_wrap_up(self.agents[contact.agent_id], contact, out)

    def _wrap_up_end(self, e: ev.WrapUpEnded, out: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        entry = agent.wrapups.pop(e.contact_id, None)
        if entry is not None:
            self.deadlines.cancel(entry)
        self.free_slot(agent, e.contact_id, out)

    def _abandon(self, e: ev.ContactAbandoned, out: list[dc.Decision]) -> None:
        contact = self.drop_contact(e.contact_id)
        if contact.status is ContactStatus.OFFERED:
            self.withdraw(contact, "contact abandoned", out)
        if contact.status is ContactStatus.SCHEDULED:
            self.forget_held(contact)
        contact.move("abandon")
        self.stop_waiting(contact)
        self.pools.forget_contact(contact.contact_id)
        self.unroute_contact(contact)
        self.stats.counters(contact.queue.name).abandoned += 1
        self.remember_for_rejoin(contact)

    def _transfer(self, e: ev.ContactTransferred, out: list[dc.Decision]) -> None:
        contact, target = self.contacts[e.contact_id], self.queues[e.queue]
        if target.max_length is not None and self.stats.waiting(target.name) >= target.max_length:
            out.append(
                dc.Refused(
                    at=self.now,
                    contact_id=contact.contact_id,
                    queue=target.name,
                    reason="transfer target full; the contact stays where it was",
                )
            )
            return
        if target.name in self.closed:
            out.append(
                dc.Refused(
                    at=self.now,
                    contact_id=contact.contact_id,
                    queue=target.name,
                    reason="transfer target closed; the contact stays where it was",
                )
            )
            return
        preferred = () if e.agent_id is None else (e.agent_id,)
        self.transfer(contact, target, out, preferred=preferred, criteria=e.criteria)

    def _close(self, e: ev.QueueClosed, out: list[dc.Decision]) -> None:
        self.close_queue(e.queue, e.reason, out)

    def _open(self, e: ev.QueueOpened, out: list[dc.Decision]) -> None:
        self.open_queue(e.queue, out)

    def _add_queue(self, e: ev.QueueAdded, _out: list[dc.Decision]) -> None:
        self.add_queue(e.spec)

    def _change_queue(self, e: ev.QueueChanged, out: list[dc.Decision]) -> None:
        if e.spec != self.queues[e.spec.name]:
            self.change_queue(e.spec, out)

    def _callback_request(self, e: ev.CallbackRequested, out: list[dc.Decision]) -> None:
        self.request_callback(self.contacts[e.contact_id], out)

    def _callback_answer(self, e: ev.CallbackAnswered, out: list[dc.Decision]) -> None:
        self.answer_callback(self.contacts[e.contact_id])

    def _callback_fail(self, e: ev.CallbackFailed, out: list[dc.Decision]) -> None:
        self.fail_callback(self.contacts[e.contact_id], e.reason, out)


def _no_check(_event: object) -> None:
    return None


def _no_apply(_event: object, _out: list[dc.Decision]) -> None:
    return None
