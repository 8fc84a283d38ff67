"""Queued callbacks: the moves of a contact that asked to be called back (private; a layer of the
router's state between :mod:`._consult` and :mod:`._handlers`, see :mod:`._state`).

A callback keeps its place in its lines while it waits and is offered like any contact (the
``Offer`` says ``callback=True``). Accepting it starts the agent's dial (DIALING: the agent's slot
is held, the contact no longer counts as waiting); the dial is answered (CONNECTED, counted as
answered then, its wait from ``enqueued_at`` to the answer) or fails: the agent's slot frees at
once, and the contact is SCHEDULED — still counted as waiting, in no line — until its retry
deadline queues it again, keeping its place or at the back by the policy; after the policy's last
failed dial it leaves the router (``CallbackExhausted``). Nothing here validates: the checks are in
:mod:`._handlers`.
"""

from __future__ import annotations

from . import decisions as dc
from ._consult import Consulting
from .agents import AgentState, WorkPhase
from .callbacks import CallbackState
from .contacts import ContactState, ContactStatus
from .deadlines import KIND, SUBJECT, Deadline
from .queues import KEY_SEQ

# the deadline kind of a scheduled callback's retry
RETRY = "callback_retry"


class Callbacks(Consulting):
    """Moves of queued callbacks."""

    def request_callback(self, contact: ContactState, out: list[dc.Decision]) -> None:
        """The waiting contact becomes a queued callback; it keeps its place. Cost: O(log n)
        for its position in its line."""
        queue = contact.queue
        assert queue.callback is not None, "checked: the queue takes callbacks"
        contact.callback = CallbackState(queue.callback, self.now)
        self.stats.counters(queue.name).callbacks_requested += 1
        line = contact.lines[0]
        position = line.position(contact.key, contact.contact_id)
        estimate = self.stats.estimated_wait(queue.name, position)
        wait = "no estimate yet" if estimate is None else f"estimated wait {estimate:.0f}s"
        summary = (
            f"{contact.contact_id} keeps its place in {queue.name} (position {position}, {wait}); "
            f"an agent calls back when it reaches the front, up to "
            f"{queue.callback.max_attempts} dial(s)"
        )
        out.append(self._callback_queued(contact, None, summary))

    def start_dialing(self, contact: ContactState, agent: AgentState) -> None:
        """The agent accepted the callback's offer and dials: the contact stops waiting (not yet
        answered). Cost: O(1) amortised."""
        contact.move("dial")
        contact.since = self.now
        self.cancel_deadlines(contact)
        self.pools.forget_contact(contact.contact_id)
        agent.hold(contact.contact_id, contact.queue.channel, WorkPhase.DIALING)
        agent.unanswered = 0
        self.stats.unqueued(contact.queue.name, contact.enqueued_at, contact.key[KEY_SEQ])

    def answer_callback(self, contact: ContactState) -> None:
        """The customer answered: connected as any contact, counted as answered now (its wait
        runs from ``enqueued_at`` to the answer). Cost: O(1)."""
        assert contact.agent_id is not None
        contact.move("answer")
        contact.since = self.now
        self.agents[contact.agent_id].hold(
            contact.contact_id, contact.queue.channel, WorkPhase.CONNECTED
        )
        counters = self.stats.counters(contact.queue.name)
        counters.answered += 1
        counters.answered_wait_seconds += self.now - contact.enqueued_at
        counters.callbacks_answered += 1
        contact.callback = None  # a live call from now on (a transfer moves an ordinary contact)
        self.unroute_contact(contact)  # connected: its criteria class, if any, is not needed

    def fail_callback(self, contact: ContactState, reason: str, out: list[dc.Decision]) -> None:
        """The dial failed: the agent's slot frees at once (no wrap-up: nothing was handled); the
        contact is scheduled to queue again, or leaves after its last attempt. Cost: O(log n),
        plus what the freed agent takes."""
        state, agent_id = contact.callback, contact.agent_id
        assert state is not None and agent_id is not None
        queue = contact.queue
        state.failed += 1
        counters = self.stats.counters(queue.name)
        counters.callbacks_failed += 1
        contact.agent_id = None
        if state.exhausted:
            contact.move("give_up")
            self.drop_contact(contact.contact_id)
            self.unroute_contact(contact)  # its criteria class, if it still held one
            counters.callbacks_exhausted += 1
            out.append(
                dc.new_callback_exhausted(
                    at=self.now,
                    contact_id=contact.contact_id,
                    queue=queue.name,
                    attempts=state.failed,
                    reason=f"{reason} on the last of {state.policy.max_attempts} attempt(s)",
                )
            )
            self.free_slot(self.agents[agent_id], contact.contact_id, out)
            return
        retry_at = self._schedule_retry(contact, state, reason, out)
        agent = self.agents[agent_id]
        if retry_at > self.now:
            self.free_slot(agent, contact.contact_id, out)
            return
        # No delay: the contact queues again now, as the agent who dialled frees. The agent is
        # freed first and back in its pools (its release cannot erase a new offer of the
        # contact to it); the contact goes back in its lines unmatched. A better agent for it
        # takes it at once; if the agent who dialled is the best, it takes its own best
        # contacts first (a better-ranked waiting contact before this one), and then the
        # contact, if still waiting, goes to the best agent left.
        self.release_slot(agent, contact.contact_id)
        self.pools.refresh(agent)
        self.retry_callback(contact, out, match=False)
        if contact.status is ContactStatus.WAITING:
            found = self.best_agent_for(contact)
            if found is not None and found[0] is not agent:
                self.offer(contact, found[0], found[1], out)
        self.look_for_work(agent, out)
        if contact.status is ContactStatus.WAITING:
            self.match_contact(contact, out)
        if contact.status is ContactStatus.WAITING:
            out.append(self._enqueued(contact))

    def _schedule_retry(
        self, contact: ContactState, state: CallbackState, reason: str, out: list[dc.Decision]
    ) -> float:
        contact.move("fail")
        contact.affinity = ()
        retry_at = self.now + state.policy.retry_seconds
        # still not connected: counted as waiting while it waits for its retry
        self.stats.queued(
            contact.queue.name, contact.enqueued_at, contact.key[KEY_SEQ], now=self.now
        )
        place = "its place" if state.policy.keep_place else "the back of the queue"
        summary = (
            f"dial {state.failed} of {state.policy.max_attempts} failed ({reason}); "
            f"queues again at {retry_at:g}s, at {place}"
        )
        out.append(self._callback_queued(contact, retry_at, summary))
        if retry_at > self.now:  # else the caller queues it again now, not at the next event
            contact.deadlines.append(self.deadlines.add(retry_at, RETRY, contact.contact_id))
        return retry_at

    def retry_callback(
        self, contact: ContactState, out: list[dc.Decision], *, match: bool = True
    ) -> None:
        """The retry time came: the contact queues again (its old key, or a new one at the back)
        at the stage its wait has reached, and is offered at once if an agent can take it
        (``match=False``: it only goes back in its lines; the caller matches it and says
        ``Enqueued``).
        Cost: O(log n)."""
        queue, now = contact.queue, self.now
        assert contact.callback is not None
        contact.move("retry")
        if not contact.callback.policy.keep_place:
            self.stats.unqueued(queue.name, contact.enqueued_at, contact.key[KEY_SEQ])
            self.seq += 1
            contact.key = (-queue.base_priority(contact.priority, now), now, self.seq)
            contact.enqueued_at = now
            self.stats.queued(queue.name, now, self.seq, now=now)
        self._enter_stage(contact, contact.route.stage_at(now - contact.enqueued_at))
        if self.delay_classes:  # its dial cancelled them: the delays it has not waited out yet
            self.schedule_delays(contact, self.delay_classes.get(queue.name, ()))
        if not match:
            self._enter_lines(contact)
            return
        self.place(contact, out)
        if contact.status is ContactStatus.WAITING:
            out.append(self._enqueued(contact))

    def _callback_queued(
        self, contact: ContactState, retry_at: float | None, summary: str
    ) -> dc.CallbackQueued:
        assert contact.callback is not None
        return dc.new_callback_queued(
            at=self.now,
            contact_id=contact.contact_id,
            queue=contact.queue.name,
            attempts=contact.callback.failed,
            retry_at=retry_at,
            explanation=dc.new_explanation(policy="queued_callback", summary=summary),
        )

    def apply_later_deadline(self, entry: Deadline, out: list[dc.Decision]) -> None:
        """A callback's retry fell due: dial again (other later kinds pass on)."""
        if entry[KIND] != RETRY:
            super().apply_later_deadline(entry, out)
            return
        contact = self.contacts[entry[SUBJECT]]
        contact.deadlines.remove(entry)
        self.retry_callback(contact, out)
