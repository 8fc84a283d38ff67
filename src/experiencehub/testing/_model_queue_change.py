"""QueueChangeEffects: what ``QueueChanged`` does to the model — a configured queue's spec
replaced while contacts flow — restated from the event's documentation (and the router's
``change_queue`` docstring, which defines it), never from the router's code.

Its waiting and ringing contacts keep their arrival time and order number and take the new
spec's key (priority weight, aging), its stage by how long they waited (or stay in their
affinity window while a preferred agent may still be preferred), and a service-level alert
still to come is due by the new threshold (at once if already past; a contact whose old spec
had no threshold is alerted by the new one as if it had none before). Agents' eligibility
follows from the new spec by itself: the model asks the queue every time. An open offer its
agent could no longer be made is withdrawn with a reason starting ``"queue <name> changed"``;
every other offer stands. Connected, dialling and scheduled contacts stay as they are.

Hours of operation start again from the new spec (see :mod:`._model_hours`). It changes only
the model's own state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import decisions as dc
from ..core import events as ev
from ..core.queues import QueueSpec
from ._model_state import ModelAgent, ModelContact, ModelState, check

__all__ = ["QueueChangeEffects", "changed_reason"]


def changed_reason(queue: str) -> str:
    """How the reason of an offer withdrawn by a change of ``queue`` begins. Cost: O(1)."""
    return f"queue {queue} changed"


class QueueChangeEffects(ModelState):
    """The effect of ``QueueChanged`` and the checks of the offers it leaves. Costs: O(C) for
    C live contacts per change, plus the eligibility questions of its offered contacts."""

    def _e_change_queue(self, e: ev.QueueChanged, decisions: list[dc.Decision]) -> None:
        new = e.spec
        old = self.queues[new.name]
        if new == old:
            check(not decisions, f"{new.name}: the same spec changes nothing, yet {decisions}")
            return
        self.queues[new.name] = new
        for need in new.requires:  # a skill new to the graph serves itself only
            self.costs.setdefault((need, need), 0.0)
        for contact in self.contacts.values():
            if contact.queue == new.name and contact.status in ("waiting", "offered"):
                self._rekey(contact, old, new, e.at)
        self.restart_hours(old, new, e.at)

    if TYPE_CHECKING:  # the hours model's, later in the oracle's bases

        def restart_hours(self, old: QueueSpec, new: QueueSpec, at: float) -> None: ...

    def _rekey(self, contact: ModelContact, old: QueueSpec, new: QueueSpec, at: float) -> None:
        """The contact as if ``new`` had been configured when it arrived (module docstring)."""
        enqueued_at = contact.enqueued_at
        base = new.priority_weight * contact.priority - new.aging_per_minute / 60.0 * enqueued_at
        contact.key = (-base, enqueued_at, contact.key[2])
        if new.service_level_seconds is not None and (
            old.service_level_seconds is None or not contact.alerted
        ):
            contact.alerted, contact.alert_from = False, at
        if contact.affinity:  # emptied: an Expanded to its stage follows (replayed after this)
            contact.affinity = tuple(
                a for a in contact.affinity if self.can_prefer(a, new, contact.criteria)
            )
        else:
            contact.stage = self.stage_of(contact, at)

    def may_keep_offer(self, agent: ModelAgent, contact: ModelContact) -> bool:
        """Could the contact, at its stage, be offered to the agent now: as a preferred agent,
        or eligible by skill at that stage? Cost: O(S·R·K)."""
        queue = self.queues[contact.queue]
        return agent.agent_id in contact.affinity or self.eligible_at(
            agent, queue, contact.stage, contact.criteria
        )

    def check_offers_after_change(self, name: str) -> None:
        """After the change of ``name`` every open offer of its contacts is one its agent may
        still be made (the others were withdrawn). Cost: O(C·S·R·K) for C live contacts."""
        for contact in self.contacts.values():
            if contact.queue != name or contact.status != "offered":
                continue
            assert contact.agent_id is not None
            check(
                self.may_keep_offer(self.agents[contact.agent_id], contact),
                f"{contact.contact_id}: still offered to {contact.agent_id}, who cannot be "
                f"offered it at stage {contact.stage} of the changed queue {name} (the offer "
                "should have been withdrawn)",
            )
