"""RouterChecks: the model compared with a router's public read-outs after a step, and the rules
that hold between steps (work conserved, no contact pinned to absent agents, no timer overdue).

It reads the router only through its public methods and changes nothing.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import (
    UnknownAgent,
    UnknownContact,
)
from ..core.router import Router
from ._callback_model import CallbackModel
from ._model_hours import HoursModel
from ._model_profiles import ProfileModel
from ._model_state import check

__all__ = ["RouterChecks"]


class RouterChecks(ProfileModel, HoursModel, CallbackModel):
    """Whole-state checks of a router against the model (see the module docstring)."""

    def check_router(self, router: Router) -> None:
        """Compare the model with the router's public read-outs; assert the step-end rules.

        Cost: O(C·A·R·K) for C live contacts and A agents: the router's O(1) read-outs and the
        model's questions.
        """
        for agent in self.agents.values():
            load = {c: n for c, n in router.agent_load(agent.agent_id).items() if n}
            check(
                load == agent.load(),
                f"{agent.agent_id}: router load {load}, "
                f"model {agent.load()} from {agent.slots} (a slot kept after its offer ended?)",
            )
            for channel, count in load.items():
                check(count <= agent.capacity.get(channel, 0), f"{agent.agent_id}: over capacity")
            status = router.agent_status(agent.agent_id)
            check(
                status == agent.status, f"{agent.agent_id}: router {status}, model {agent.status}"
            )
            reason = router.agent_view(agent.agent_id).reason
            check(
                reason == agent.reason,
                f"{agent.agent_id}: away reason {reason!r} in the router, {agent.reason!r} sent",
            )
            check(
                agent.status != "logging_out" or agent.slots,
                f"{agent.agent_id}: logging out with no work but never completed",
            )
        for agent_id in self.gone_agents:
            check(
                _raises(router.agent_status, agent_id, UnknownAgent),
                f"{agent_id}: still known to the router after LogoutCompleted",
            )
        for cid, contact in self.contacts.items():
            check(
                router.contact_status(cid) == contact.status,
                f"{cid}: router {router.contact_status(cid)}, model {contact.status}",
            )
        for cid in self.arrived:
            live, ended = cid in self.contacts, cid in self.outcomes
            check(live != ended, f"{cid}: live={live} ended={ended} (vanished or ended twice)")
            if ended:
                check(
                    _raises(router.contact_status, cid, UnknownContact),
                    f"{cid}: ended ({self.outcomes[cid]}) but the router still holds it",
                )
        self._check_stages(router)
        self.check_hours(router)
        self.check_explained_profiles(router)
        self.check_router_waits(router)
        self._check_work_conserved()
        self._check_not_pinned()
        self._check_timers()

    def _check_stages(self, router: Router) -> None:
        """Each waiting contact sits in the queue and at the stage the model expects, as
        ``router.explain`` tells (a queue change moves contacts between stages at once, with
        no decision to show it). Cost: O(C·A) (an explanation looks at every agent)."""
        for cid, contact in self.contacts.items():
            if contact.status != "waiting":
                continue
            summary = router.explain(cid).summary
            check(
                summary.startswith(f"{cid} waits in {contact.queue} at stage {contact.stage} "),
                f"{cid}: expected at stage {contact.stage} of {contact.queue}; the router "
                f"explains {summary!r:.160}",
            )

    def _check_timers(self) -> None:
        """Stage expansions, affinity windows, service-level alerts and callback retries are
        never overdue."""
        for contact in self.contacts.values():
            if contact.status not in ("waiting", "offered"):
                self.callback_timers(contact)
                continue
            queue, cid = self.queues[contact.queue], contact.contact_id
            if contact.affinity:
                end = contact.affinity_ends
                check(self.now < end, f"{cid}: affinity window ended at {end}, still on")
            else:
                stage = self.stage_of(contact, self.now)
                check(contact.stage == stage, f"{cid}: at stage {contact.stage}, due {stage}")
            threshold = queue.service_level_seconds
            if threshold is not None and not contact.alerted:
                due = max(contact.enqueued_at + threshold, contact.alert_from)
                check(self.now < due, f"{cid}: no service-level Alert, due at {due}")

    def _check_work_conserved(self) -> None:
        """No contact waits while an agent it may go to (its profile's delay waited) could
        take it."""
        for contact in self.contacts.values():
            if contact.status != "waiting":
                continue
            queue = self.queues[contact.queue]
            stage = self.stage_of(contact, self.now)
            for agent in self.agents.values():
                if agent.agent_id in contact.excluded or not self.can_take(agent, queue.channel):
                    continue
                if contact.affinity:
                    free = agent.agent_id in contact.affinity
                else:
                    free = self.eligible_at(agent, queue, stage, contact.criteria)
                free = free and self.delay_waited(agent, contact, self.now)
                check(
                    not free,
                    f"work not conserved: {contact.contact_id} waits in "
                    f"{queue.name} (stage {stage}) while {agent.agent_id} could take it",
                )

    def _check_not_pinned(self) -> None:
        """A contact waiting for preferred agents has one still logged in (and not leaving)."""
        for contact in self.contacts.values():
            if contact.status != "waiting" or not contact.affinity:
                continue
            present = [
                a
                for a in contact.affinity
                if a in self.agents
                and self.agents[a].status != "logging_out"
                and a not in contact.excluded
            ]
            check(
                present,
                f"{contact.contact_id} waits for preferred agents "
                f"{contact.affinity}, none of them still logged in",
            )


def _raises(call: Any, arg: str, error: type[Exception]) -> bool:
    try:
        call(arg)
    except error:
        return True
    return False
