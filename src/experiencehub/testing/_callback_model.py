"""CallbackModel: the model's view of queued callbacks — the effects of ``CallbackRequested``,
``CallbackAnswered`` and ``CallbackFailed``, the replay of ``CallbackQueued`` and
``CallbackExhausted``, and a scheduled callback queueing again at its retry time.

Restated from docs/routing.md ("Queued callbacks"), never from the router's code: a callback keeps
its place; its offer says ``callback=True``; accepting it starts a dial (the agent's slot held);
a failed dial frees the slot at once and the contact queues again ``retry_seconds`` later (its old
key, or a new one at the back) until ``max_attempts`` dials failed, then it leaves. A retry that
falls while its queue is closed (closing rule ``"keep"``) waits for the opening. It changes only
the model's own state.
"""

from __future__ import annotations

from typing import Any

from ..core import decisions as dc
from ..core import events as ev
from ._model_state import ModelContact, check
from ._model_wait import WaitEstimates

__all__ = ["CallbackModel"]


class CallbackModel(WaitEstimates):
    """Callback effects and replays (see the module docstring)."""

    _expect_exhausted: str | None = None

    def _e_callback_request(self, e: ev.CallbackRequested, _d: list[dc.Decision]) -> None:
        contact = self.contacts[e.contact_id]
        contact.callback, contact.dials_failed = True, 0
        contact.policy = self.queues[contact.queue].callback  # kept through transfers

    def _e_callback_answered(self, e: ev.CallbackAnswered, _d: list[dc.Decision]) -> None:
        contact = self.contacts[e.contact_id]
        assert contact.agent_id is not None
        agent = self.agents[contact.agent_id]
        agent.slots[e.contact_id] = (agent.slots[e.contact_id][0], "connected")
        contact.status, contact.callback = "connected", False

    def _e_callback_failed(self, e: ev.CallbackFailed, _d: list[dc.Decision]) -> None:
        contact = self.contacts[e.contact_id]
        assert contact.agent_id is not None
        agent = self.agents[contact.agent_id]
        del agent.slots[e.contact_id]  # a failed dial has no wrap-up: the slot frees at once
        agent.idle_since = e.at
        contact.agent_id, contact.dials_failed = None, contact.dials_failed + 1
        policy = contact.policy
        assert policy is not None
        if contact.dials_failed >= policy.max_attempts:
            del self.contacts[e.contact_id]
            self._finish(e.contact_id, "callback_failed")
            self._expect_exhausted = e.contact_id
            return
        contact.status, contact.affinity = "scheduled", ()
        contact.retry_at = e.at + policy.retry_seconds
        # with no delay it is back in its line at once, before any agent takes it
        contact.in_line = policy.retry_seconds == 0

    def requeue_if_retried(self, d: dc.Offer | dc.Enqueued) -> None:
        """A scheduled callback comes back at its retry time with an ``Enqueued`` or an ``Offer``:
        it waits again, at its old place or (``keep_place=False``) at the back, at the stage its
        wait has reached. Cost: O(G) in the queue's stages."""
        contact = self.contacts.get(d.contact_id)
        if contact is None or contact.status != "scheduled":
            return
        check(d.at == contact.retry_at, f"{d!r}: {d.contact_id} retries at {contact.retry_at}")
        assert contact.policy is not None
        if not contact.policy.keep_place:
            queue = self.queues[contact.queue]
            self.seq += 1
            base = queue.priority_weight * contact.priority - queue.aging_per_minute / 60.0 * d.at
            contact.key = (-base, d.at, self.seq)
            self.rejoined(contact, d.at)
        contact.status, contact.retry_at = "waiting", None
        contact.stage = self.stage_of(contact, d.at)

    def _finish(self, contact_id: str, outcome: str) -> None:
        raise NotImplementedError  # ModelOracle's

    def _d_callback_queued(self, d: dc.CallbackQueued) -> None:
        contact = self.contacts.get(d.contact_id)
        check(contact is not None, f"{d!r}: {d.contact_id} is not a live contact")
        assert contact is not None
        check(contact.callback, f"{d!r}: {d.contact_id} is no queued callback")
        check(d.queue == contact.queue, f"{d!r}: queue {contact.queue}")
        check(d.attempts == contact.dials_failed, f"{d!r}: {contact.dials_failed} dials failed")
        expected = None if d.attempts == 0 else contact.retry_at
        check(d.retry_at == expected, f"{d!r}: retry_at should be {expected}")

    def _d_callback_exhausted(self, d: dc.CallbackExhausted) -> None:
        check(self._expect_exhausted == d.contact_id, f"{d!r}: not its last failed dial")
        self._expect_exhausted = None

    def release_held(self, queue: str, at: float) -> None:
        """``queue`` opened at ``at``: its callbacks whose retry fell while it was closed queue
        again now. Cost: O(C) in live contacts."""
        for contact in self.contacts.values():
            retry_at = contact.retry_at
            if contact.queue == queue and contact.status == "scheduled" and retry_at is not None:
                contact.retry_at = max(retry_at, at)

    def callback_timers(self, contact: ModelContact) -> None:
        """A scheduled callback's retry is never overdue, unless its queue is closed under the
        rule "keep" (it waits for the opening). Cost: O(1)."""
        held = contact.queue in self.closed and self.queues[contact.queue].closed_rule == "keep"
        if contact.status == "scheduled" and not held:
            assert contact.retry_at is not None
            check(
                self.now < contact.retry_at,
                f"{contact.contact_id}: callback retry due at {contact.retry_at}, not queued again",
            )


CALLBACK_EFFECTS: dict[type, Any] = {
    ev.CallbackRequested: CallbackModel._e_callback_request,
    ev.CallbackAnswered: CallbackModel._e_callback_answered,
    ev.CallbackFailed: CallbackModel._e_callback_failed,
}

CALLBACK_REPLAY: dict[type, Any] = {
    dc.CallbackQueued: CallbackModel._d_callback_queued,
    dc.CallbackExhausted: CallbackModel._d_callback_exhausted,
}
