"""ModelOracle: replays an event and the router's decisions for it on the model, checking each
decision against the routing rules the outside can see (one offer per contact, capacity, stage
and affinity eligibility, best contact and best agent, timers…).

A broken rule raises :class:`~experiencehub.testing.model.ModelViolation` naming the contact or
agent. It changes only the model's own state.
"""

from __future__ import annotations

from typing import Any

from ..core import decisions as dc
from ..core import events as ev
from ..core.queues import QueueSpec
from ._callback_model import CALLBACK_EFFECTS, CALLBACK_REPLAY
from ._model_hours import HoursModel
from ._model_profiles import ProfileModel
from ._model_queue_change import QueueChangeEffects, changed_reason
from ._model_state import ModelAgent, ModelContact, ModelViolation, check

__all__ = ["SKILLS_CHANGED", "ModelOracle"]

# what the explanation of an auto-accepted offer says (restated: the model computes on its own)
AUTO_ACCEPTED = "accepted on the agent's behalf (auto-accept)"

SKILLS_CHANGED = "agent's skills changed"
"""The reason of an offer the router withdrew because the agent's skills changed."""


class ModelOracle(ProfileModel, QueueChangeEffects, HoursModel):
    """Applies events and replays decisions, checking each (see the module docstring)."""

    # -- replay ----------------------------------------------------------------------------
    def apply(self, event: ev.Event, decisions: list[dc.Decision]) -> None:
        """Apply a valid event and the decisions the router returned for it, checking each.

        The event's effect is applied first, then the decisions in order. Feed deadline
        decisions separately, as the decisions of a ``Tick`` at the event's time (a driver can
        split them off by sending the same Tick to a twin router), so that ``decisions`` holds
        only what the event itself caused. Cost: O(d·(C+A)) for d decisions.
        """
        check(event.at >= self.now, f"{event!r}: time went backwards in the model")
        if not isinstance(event, ev.Tick):  # its decisions are the event's own, at its time
            self.check_delays_kept(event.at)
        effect = _EFFECTS.get(type(event))
        refused_transfer = False
        if isinstance(event, ev.ContactTransferred):
            refused_transfer = self._transfer_refused(event, decisions)
        if effect is not None and not refused_transfer:
            effect(self, event, decisions)
            self.note_busy(event.at)
        for decision in decisions:
            self._replay(decision)
        self.check_delays_kept(event.at)
        self.hours_after(event.at)
        self.check_closing_done()
        self.check_wait_alert_done()
        if isinstance(event, ev.AgentSkillsChanged):
            self._check_offers_in_reach(event.agent_id)
        if isinstance(event, ev.QueueChanged):
            self.check_offers_after_change(event.spec.name)
        check(self._expect_forced is None, f"{self._expect_forced}: AgentStatusForced missing")
        check(self._expect_exhausted is None, f"{self._expect_exhausted}: no CallbackExhausted")
        self.now = event.at
        for agent in self.agents.values():
            for cid, (_ch, phase) in agent.slots.items():
                check(phase != "wrap_pending", f"{agent.agent_id}/{cid}: no WrapUpStarted")
                check(not (agent.auto_accept and phase == "offered"),
                      f"{agent.agent_id}/{cid}: an auto-accept agent's offer left open")  # fmt: skip

    def _replay(self, decision: dc.Decision) -> None:
        check(decision.at >= self.now, f"{decision!r}: decision before the model's time")
        if self._expect_forced is not None and not isinstance(decision, dc.AgentStatusForced):
            raise ModelViolation(f"{decision!r}: expected AgentStatusForced first")
        self.check_delays_kept(decision.at)
        self.hours_before(decision)
        self.now = decision.at
        self.check_wait_alert(decision)
        self.leave_closed_queue(decision)
        handler = _REPLAY.get(type(decision))
        if handler is not None:
            handler(self, decision)
        self.note_busy(decision.at)

    def _live(self, contact_id: str, what: str) -> ModelContact:
        contact = self.contacts.get(contact_id)
        check(contact is not None, f"{what}: {contact_id} is not a live contact")
        assert contact is not None
        return contact

    def _logged_in(self, agent_id: str, what: str) -> ModelAgent:
        agent = self.agents.get(agent_id)
        check(agent is not None, f"{what}: {agent_id} is not logged in")
        assert agent is not None
        return agent

    # -- effects of events -------------------------------------------------------------------
    def _e_login(self, e: ev.AgentLoggedIn, _d: list[dc.Decision]) -> None:
        self.logins += 1
        self.agents[e.agent_id] = ModelAgent(
            e.agent_id,
            dict(e.skills),
            dict(e.capacity),
            seq=self.logins,
            idle_since=e.at,
            wrap_up=e.wrap_up,
            auto_accept=e.auto_accept,
            profile=e.profile,
        )
        self.gone_agents.discard(e.agent_id)

    def _e_status(self, e: ev.AgentStatusChanged, _d: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        if e.status == "available" and agent.status != "available":
            agent.unanswered = 0
            agent.idle_since = e.at
        agent.status = e.status
        agent.reason = e.reason if e.status == "away" else None

    def _e_logout(self, e: ev.AgentLoggedOut, _d: list[dc.Decision]) -> None:
        self.agents[e.agent_id].status, self.agents[e.agent_id].reason = "logging_out", None
        for contact in self.contacts.values():  # a leaving agent is nobody's preferred agent
            contact.affinity = tuple(a for a in contact.affinity if a != e.agent_id)

    def _e_skills(self, e: ev.AgentSkillsChanged, _d: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        agent.skills = dict(e.skills)
        for contact in self.contacts.values():  # preferred only while it may still serve the queue
            if e.agent_id in contact.affinity and not self.can_prefer(
                e.agent_id, self.queues[contact.queue], contact.criteria
            ):
                contact.affinity = tuple(a for a in contact.affinity if a != e.agent_id)

    def _check_offers_in_reach(self, agent_id: str) -> None:
        """After its skill change the agent holds only offers it may still be made: as a
        preferred agent, or eligible at the contact's stage by its new skills."""
        agent = self.agents[agent_id]
        for cid, (_ch, phase) in agent.slots.items():
            if phase == "offered":
                contact = self.contacts[cid]
                check(
                    self.may_keep_offer(agent, contact),
                    f"{cid}: still offered to {agent_id}, whose new skills do not reach stage "
                    f"{contact.stage} (the offer should have been withdrawn)",
                )

    def _e_arrival(self, e: ev.ContactArrived, decisions: list[dc.Decision]) -> None:
        # an id whose contact has left the router (and every wrap-up of it) may come again: a
        # new life, so the outcome of the old one is forgotten
        self.outcomes.pop(e.contact_id, None)
        self.arrived[e.contact_id] = None
        queue = self._arrival_queue(self.queues[e.queue])
        refused = [
            d for d in decisions if isinstance(d, dc.Refused) and d.contact_id == e.contact_id
        ]
        full = queue is None or (
            queue.max_length is not None and self.waiting_count(queue.name) >= queue.max_length
        )
        check(bool(refused) == full, f"{e.contact_id}: Refused={refused} but queue full={full}")
        if queue is None:
            check("closed" in refused[0].reason, f"{refused[0]!r}: the reason must say closed")
        if full or queue is None:
            self.outcomes[e.contact_id] = "refused"
            return
        contact = ModelContact(e.contact_id, queue.name, e.priority, e.customer_id, (0.0, 0.0, 0))
        contact.criteria = e.criteria
        self._start_waiting(contact, e.at, e.preferred_agents)
        self.contacts[e.contact_id] = contact

    def _arrival_queue(self, queue: QueueSpec) -> QueueSpec | None:
        """Where an arrival to ``queue`` waits: the queue while open, else its open (and not
        full) ``closed_queue``; None when refused because closed."""
        if queue.name not in self.closed:
            return queue
        other = None if queue.closed_queue is None else self.queues[queue.closed_queue]
        if other is None or other.name in self.closed:
            return None
        if other.max_length is not None and self.waiting_count(other.name) >= other.max_length:
            return None
        return other

    def _e_close(self, e: ev.QueueClosed, _d: list[dc.Decision]) -> None:
        self.close(e.queue)  # under "move" or "end" its contacts leave as the decisions show

    def _e_open(self, e: ev.QueueOpened, _d: list[dc.Decision]) -> None:
        self.closed.discard(e.queue)
        self.by_hours.discard(e.queue)
        self.release_held(e.queue, e.at)

    def _e_add_queue(self, e: ev.QueueAdded, decisions: list[dc.Decision]) -> None:
        check(not decisions, f"{e.spec.name}: a new queue has nobody waiting, yet {decisions}")
        self.queues[e.spec.name] = e.spec
        for need in e.spec.requires:  # a skill new to the graph serves itself only
            self.costs.setdefault((need, need), 0.0)
        self.start_hours(e.spec, e.at)  # with hours: their state at once

    def _start_waiting(
        self, contact: ModelContact, at: float, preferred: tuple[str, ...] = ()
    ) -> None:
        queue = self.queues[contact.queue]
        kept = None
        if contact.customer_id is not None:
            rid = (queue.name, contact.customer_id)
            kept = self.rejoin.pop(rid, None)
            if kept is not None and at >= kept[2]:
                kept = None  # the window ran out before this event
        if kept is not None:  # its place, ranked by the queue's weight and aging now
            priority, (_rank, enqueued_at, seq), _end = kept
            base = queue.priority_weight * priority - queue.aging_per_minute / 60.0 * enqueued_at
            contact.key, contact.priority = (-base, enqueued_at, seq), priority
        else:
            self.seq += 1
            # base priority as documented: priority_weight·priority − aging per second·enqueued_at
            base = queue.priority_weight * contact.priority - queue.aging_per_minute / 60.0 * at
            contact.key = (-base, at, self.seq)
        usable = tuple(
            dict.fromkeys(a for a in preferred if self.can_prefer(a, queue, contact.criteria))
        )
        contact.affinity = usable if queue.affinity_seconds > 0 else ()
        contact.started_at, contact.alert_from, contact.alerted = at, at, False
        contact.in_line = False  # offered now, it never sat in a line
        contact.affinity_ends = at + queue.affinity_seconds
        contact.stage = self.stage_of(contact, at)

    def _e_accept(self, e: ev.OfferAccepted, _d: list[dc.Decision]) -> None:
        self._accepted(self.contacts[e.contact_id], self.agents[e.agent_id])

    def _accepted(self, contact: ModelContact, agent: ModelAgent) -> None:
        """The offer was accepted: by the agent, or at once for an agent that auto-accepts."""
        # a callback's agent dials: no service-level alert is due for it any more
        phase = "dialing" if contact.callback else "connected"
        contact.status, contact.offer_expires = phase, None
        contact.alerted = contact.alerted or contact.callback
        agent.slots[contact.contact_id] = (self.queues[contact.queue].channel, phase)
        agent.unanswered = 0

    def _e_reject(self, e: ev.OfferRejected, _d: list[dc.Decision]) -> None:
        contact, agent = self.contacts[e.contact_id], self.agents[e.agent_id]
        del agent.slots[e.contact_id]
        self._back_to_waiting(contact, exclude=e.agent_id)

    def _back_to_waiting(self, contact: ModelContact, *, exclude: str | None) -> None:
        contact.status, contact.agent_id, contact.offer_expires = "waiting", None, None
        contact.in_line = True  # back in its place: offered again (even at once), it departs
        if exclude is not None:
            contact.excluded.add(exclude)

    def _e_end(self, e: ev.ContactEnded, _d: list[dc.Decision]) -> None:
        self._end_consult_with_contact(e.contact_id, e.at)
        contact = self.contacts.pop(e.contact_id)
        self._finish(e.contact_id, "handled")
        assert contact.agent_id is not None
        self._wrap_up(self.agents[contact.agent_id], contact, e.at)

    def _wrap_up(self, agent: ModelAgent, contact: ModelContact, at: float) -> None:
        queue = self.queues[contact.queue]
        wrap = agent.wrap_up or queue.wrap_up  # the agent's own overrides the queue's
        if wrap.mode == "none":
            del agent.slots[contact.contact_id]
            agent.idle_since = at
            return
        agent.slots[contact.contact_id] = (queue.channel, "wrap_pending")
        agent.wrap_ends[contact.contact_id] = at + wrap.seconds if wrap.mode == "timed" else None

    def _finish(self, contact_id: str, outcome: str) -> None:
        check(contact_id not in self.outcomes, f"{contact_id}: ended twice")
        self.outcomes[contact_id] = outcome

    def _e_wrap_up_end(self, e: ev.WrapUpEnded, _d: list[dc.Decision]) -> None:
        agent = self.agents[e.agent_id]
        del agent.slots[e.contact_id]
        agent.wrap_ends.pop(e.contact_id, None)
        agent.idle_since = e.at

    def _e_abandon(self, e: ev.ContactAbandoned, _d: list[dc.Decision]) -> None:
        contact = self.contacts.pop(e.contact_id)
        self._finish(e.contact_id, "abandoned")
        queue = self.queues[contact.queue]
        if contact.customer_id is not None and queue.rejoin_seconds > 0:
            rid = (queue.name, contact.customer_id)
            self.rejoin[rid] = (contact.priority, contact.key, e.at + queue.rejoin_seconds)

    def _transfer_refused(self, e: ev.ContactTransferred, decisions: list[dc.Decision]) -> bool:
        target = self.queues[e.queue]
        full = e.queue in self.closed or (
            target.max_length is not None and self.waiting_count(e.queue) >= target.max_length
        )
        refused = [d for d in decisions if isinstance(d, dc.Refused)]
        check(
            bool(refused) == full,
            f"transfer of {e.contact_id} to {e.queue}: Refused={refused} but full={full}",
        )
        if full:
            check(len(decisions) == 1, f"refused transfer {e.contact_id} decided {decisions}")
        return full

    def _e_transfer(self, e: ev.ContactTransferred, _d: list[dc.Decision]) -> None:
        contact = self.contacts[e.contact_id]
        previous = contact.agent_id
        if e.queue == contact.queue and contact.status in ("waiting", "offered"):
            self.rejoined(contact, e.at)
        if contact.status == "connected":
            assert previous is not None
            self._wrap_up(self.agents[previous], contact, e.at)
        contact.status, contact.agent_id, contact.offer_expires = "waiting", None, None
        contact.queue, contact.criteria = e.queue, e.criteria  # a transfer drops old criteria
        # never offered back to the agent it came from, nor to one still wrapping it up
        contact.excluded = {
            agent.agent_id
            for agent in self.agents.values()
            if agent.slots.get(e.contact_id, ("", ""))[1] in ("wrap", "wrap_pending")
        }
        if previous is not None:
            contact.excluded.add(previous)
        self._start_waiting(contact, e.at, () if e.agent_id is None else (e.agent_id,))

    # -- replay of decisions -----------------------------------------------------------------
    def _d_offer(self, d: dc.Offer) -> None:
        self.requeue_if_retried(d)
        contact = self._live(d.contact_id, "Offer")
        agent = self._logged_in(d.agent_id, f"Offer of {d.contact_id}")
        queue = self.queues[contact.queue]
        where = f"Offer {d.contact_id}→{d.agent_id} at {d.at}"
        check(
            contact.status == "waiting",
            f"{where}: contact is {contact.status} "
            f"(with {contact.agent_id}): offered to two agents at once",
        )
        check((d.queue, d.channel) == (queue.name, queue.channel), f"{where}: wrong queue/channel")
        check(d.callback == contact.callback, f"{where}: callback={d.callback}, expected the other")
        check(d.agent_id not in contact.excluded, f"{where}: agent declined or ignored it before")
        self.check_profile_offer(d, agent, contact, where)
        check(
            self.can_take(agent, queue.channel),
            f"{where}: agent cannot take {queue.channel} (status {agent.status}, "
            f"load {agent.load()}, capacity {agent.capacity}){self._pending_wrap_ups(agent)}",
        )
        check(d.contact_id not in agent.slots, f"{where}: agent already holds it {agent.slots}")
        low, high = self.stage_of(contact, d.at, strict=True), self.stage_of(contact, d.at)
        check(low <= d.stage <= high, f"{where}: offered at stage {d.stage}, expected {high}")
        if contact.affinity:
            check(
                d.agent_id in contact.affinity, f"{where}: not a preferred agent {contact.affinity}"
            )
        else:
            check(
                self.eligible_at(agent, queue, d.stage, contact.criteria),
                f"{where}: not eligible at stage {d.stage}",
            )
        self._check_auto_accepted(d, agent.auto_accept, where)
        # the queue's own offer timeout, else the router's
        own = queue.offer_timeout
        timeout = None if agent.auto_accept else self.config.offer_timeout if own is None else own
        expected = None if timeout is None else d.at + timeout
        check(d.expires_at == expected, f"{where}: expires_at {d.expires_at} != {expected}")
        self._check_best_contact(agent, contact, d.at)
        self._check_best_agent(agent, contact, d.stage, d.at, where)
        self._check_consult_offer(d)
        self.departed(contact, d.at)
        contact.status, contact.agent_id, contact.offer_expires = "offered", d.agent_id, expected
        agent.slots[d.contact_id] = (queue.channel, "offered")
        agent.last_offer = self.offers_made
        self.offers_made += 1
        if agent.auto_accept:  # accepted on the agent's behalf in the same step
            self._accepted(contact, agent)

    def _check_auto_accepted(self, d: dc.Offer, auto: bool, where: str) -> None:
        """An offer to an agent that auto-accepts says so (field and explanation); no other."""
        check(d.auto_accepted == auto, f"{where}: auto_accepted={d.auto_accepted}, agent's "
              f"auto_accept={auto}")  # fmt: skip
        said = AUTO_ACCEPTED in d.explanation.summary
        check(said or not auto, f"{where}: the explanation omits {AUTO_ACCEPTED!r}")

    @staticmethod
    def _pending_wrap_ups(agent: ModelAgent) -> str:
        pending = sorted(c for c, (_ch, phase) in agent.slots.items() if phase == "wrap_pending")
        return f"; its wrap-up of {pending} had no WrapUpStarted" if pending else ""

    def _check_best_agent(
        self, chosen: ModelAgent, contact: ModelContact, stage: int, at: float, where: str
    ) -> None:
        """No other agent that could take the contact now (its profile's delay waited) stands
        before the chosen one (:meth:`agent_rank`). When the offer went to an agent that just
        freed, no other agent could take the contact at all, or it would not have been
        waiting."""
        mine = self.agent_rank(chosen, contact, stage)
        if mine is None:
            return
        channel = self.queues[contact.queue].channel
        for other in self.agents.values():
            if (
                other is chosen
                or other.agent_id in contact.excluded
                or (contact.affinity and other.agent_id not in contact.affinity)
                or not self.can_take(other, channel)
                or not self.delay_waited(other, contact, at, strict=True)
            ):
                continue
            rank = self.agent_rank(other, contact, stage)
            check(
                rank is None or mine < rank,
                f"{where}: {other.agent_id} stands before {chosen.agent_id} "
                f"(rank {rank} < {mine}: skill cost, policy {self.config.agent_policy!r} key, "
                "login order) and could take it",
            )

    def _check_best_contact(self, agent: ModelAgent, chosen: ModelContact, at: float) -> None:
        """No other waiting contact the agent could take now (its delay waited) comes before
        the offered one by the agent's contact selection (:meth:`contact_order`)."""
        mine = self.contact_order(agent, chosen, at)
        for other in self.contacts.values():
            if other is chosen or other.status != "waiting":
                continue
            if agent.agent_id in other.excluded:
                continue
            queue = self.queues[other.queue]
            if not self.can_take(agent, queue.channel):
                continue
            if other.affinity:
                if agent.agent_id not in other.affinity:
                    continue
            elif not self.eligible_at(
                agent, queue, self.stage_of(other, at, strict=True), other.criteria
            ):
                continue
            if not self.delay_waited(agent, other, at, strict=True):
                continue
            theirs = self.contact_order(agent, other, at)
            check(
                mine <= theirs,
                f"{agent.agent_id} offered {chosen.contact_id} (rank {mine}) while "
                f"{other.contact_id} ranks better ({theirs}, by {self.selection_of(agent)}) "
                "and it could take it",
            )

    def _d_enqueued(self, d: dc.Enqueued) -> None:
        self.requeue_if_retried(d)
        contact = self._live(d.contact_id, "Enqueued")
        check(contact.status == "waiting", f"Enqueued {d.contact_id}: it is {contact.status}")
        check(d.queue == contact.queue, f"Enqueued {d.contact_id}: queue {d.queue}")
        check(d.position >= 1, f"Enqueued {d.contact_id}: position {d.position}")
        self.check_enqueued_wait(d, contact)

    def _d_expanded(self, d: dc.Expanded) -> None:
        contact = self._live(d.contact_id, "Expanded")
        check(contact.status != "connected", f"Expanded {d.contact_id}: connected")
        contact.affinity = ()
        stage = self.stage_of(contact, d.at)
        check(d.stage == stage, f"Expanded {d.contact_id} to {d.stage} at {d.at}; expected {stage}")
        contact.stage = d.stage

    def _d_offer_expired(self, d: dc.OfferExpired) -> None:
        contact = self._live(d.contact_id, "OfferExpired")
        agent = self._logged_in(d.agent_id, "OfferExpired")
        where = f"OfferExpired {d.contact_id}/{d.agent_id}"
        check(contact.status == "offered" and contact.agent_id == d.agent_id, f"{where}: no offer")
        check(d.at == contact.offer_expires, f"{where} at {d.at}, due {contact.offer_expires}")
        del agent.slots[d.contact_id]
        self._back_to_waiting(contact, exclude=d.agent_id)
        agent.unanswered += 1
        limit = self.config.max_unanswered_offers
        if limit is not None and agent.unanswered >= limit and agent.status == "available":
            agent.status, agent.reason = "away", "unanswered offers"
            self._expect_forced = agent.agent_id

    def _d_offer_withdrawn(self, d: dc.OfferWithdrawn) -> None:
        agent = self._logged_in(d.agent_id, "OfferWithdrawn")
        held = agent.slots.pop(d.contact_id, None)
        check(held is not None and held[1] == "offered", f"{d!r}: no such offer held")
        contact = self.contacts.get(d.contact_id)
        if contact is not None and contact.status == "offered" and contact.agent_id == d.agent_id:
            # withdrawn as the agent's skills or the contact's queue changed: only an offer the
            # agent may no longer have
            if d.reason == SKILLS_CHANGED or d.reason.startswith(changed_reason(contact.queue)):
                check(
                    not self.may_keep_offer(agent, contact),
                    f"{d!r}: the agent may still have it (stage {contact.stage}, preferred "
                    f"{contact.affinity})",
                )
            self._back_to_waiting(contact, exclude=None)

    def _d_forced(self, d: dc.AgentStatusForced) -> None:
        check(self._expect_forced == d.agent_id, f"{d!r}: not expected")
        self._expect_forced = None

    def _d_wrap_started(self, d: dc.WrapUpStarted) -> None:
        agent = self._logged_in(d.agent_id, "WrapUpStarted")
        held = agent.slots.get(d.contact_id)
        check(held is not None and held[1] == "wrap_pending", f"{d!r}: no contact just ended")
        assert held is not None
        agent.slots[d.contact_id] = (held[0], "wrap")
        expected = agent.wrap_ends.get(d.contact_id)
        check(d.ends_at == expected, f"{d!r}: ends_at should be {expected}")

    def _d_wrap_expired(self, d: dc.WrapUpExpired) -> None:
        agent = self._logged_in(d.agent_id, "WrapUpExpired")
        held = agent.slots.get(d.contact_id)
        check(held is not None and held[1] == "wrap", f"{d!r}: not in wrap-up")
        check(d.at == agent.wrap_ends.get(d.contact_id), f"{d!r}: not due")
        del agent.slots[d.contact_id]
        del agent.wrap_ends[d.contact_id]
        agent.idle_since = d.at

    def _d_logout(self, d: dc.LogoutCompleted) -> None:
        agent = self._logged_in(d.agent_id, "LogoutCompleted")
        check(agent.status == "logging_out", f"{d!r}: agent was {agent.status}")
        check(not agent.slots, f"{d!r}: agent still holds {agent.slots}")
        del self.agents[d.agent_id]
        self.gone_agents.add(d.agent_id)

    def _d_alert(self, d: dc.Alert) -> None:
        contact = self._live(d.contact_id, "Alert")
        if d.kind == "estimated_wait":  # checked as it came (check_wait_alert)
            return
        threshold = self.queues[contact.queue].service_level_seconds
        check(threshold is not None, f"{d!r}: queue has no service level")
        assert threshold is not None
        check(contact.status != "connected", f"{d!r}: contact connected")
        due = max(contact.enqueued_at + threshold, contact.alert_from)
        check(d.at == due, f"{d!r}: due at {due}")
        check(not contact.alerted, f"{d!r}: alerted twice")
        contact.alerted = True

    def _d_refused(self, d: dc.Refused) -> None:
        check(d.queue in self.queues, f"{d!r}: unknown queue")


_EFFECTS: dict[type, Any] = {
    ev.AgentLoggedIn: ModelOracle._e_login,
    ev.AgentStatusChanged: ModelOracle._e_status,
    ev.AgentLoggedOut: ModelOracle._e_logout,
    ev.AgentSkillsChanged: ModelOracle._e_skills,
    ev.ContactArrived: ModelOracle._e_arrival,
    ev.OfferAccepted: ModelOracle._e_accept,
    ev.OfferRejected: ModelOracle._e_reject,
    ev.ContactEnded: ModelOracle._e_end,
    ev.WrapUpEnded: ModelOracle._e_wrap_up_end,
    ev.ContactAbandoned: ModelOracle._e_abandon,
    ev.ContactTransferred: ModelOracle._e_transfer,
    ev.QueueAdded: ModelOracle._e_add_queue,
    ev.QueueChanged: ModelOracle._e_change_queue,
    ev.QueueClosed: ModelOracle._e_close,
    ev.QueueOpened: ModelOracle._e_open,
    **CALLBACK_EFFECTS,
    ev.ConsultRequested: ModelOracle._e_consult,
    ev.ConsultEnded: ModelOracle._e_consult_end,
}

_REPLAY: dict[type, Any] = {
    dc.Offer: ModelOracle._d_offer,
    dc.Enqueued: ModelOracle._d_enqueued,
    dc.Refused: ModelOracle._d_refused,
    dc.Expanded: ModelOracle._d_expanded,
    dc.OfferExpired: ModelOracle._d_offer_expired,
    dc.OfferWithdrawn: ModelOracle._d_offer_withdrawn,
    dc.AgentStatusForced: ModelOracle._d_forced,
    dc.WrapUpStarted: ModelOracle._d_wrap_started,
    dc.WrapUpExpired: ModelOracle._d_wrap_expired,
    dc.LogoutCompleted: ModelOracle._d_logout,
    dc.Alert: ModelOracle._d_alert,
    **CALLBACK_REPLAY,
}
