"""ProfileModel: routing profiles and contact selection — which queues an agent with a profile
serves, after which delay, and which waiting contact a freed agent takes (docs/routing.md,
"Routing profiles and contact selection"), restated from the documentation, never from the
router's code.

- An agent with a profile serves only the queues it lists, and of those only what its skills
  allow: stages still apply, and a queue it serves only at an "any agent" stage is reached at
  that stage. A contact with routing criteria counts as one of the queue it arrived in. A skill
  change keeps the profile.
- The delay: a contact is never offered to the agent before it has waited the delay its profile
  gives the contact's queue, counted from when it was queued (as stages are); from that moment
  an idle agent with that delay takes it (a deadline: the offer comes then, not at the next
  event). A contact waiting for the agent as a preferred agent is not delayed for it.
- Contact selection: the profile's ``selection``, else the router's ``contact_selection``.
  ``"priority_then_wait"`` ranks contacts by their rank (highest effective priority, then
  longest wait, then arrival); ``"profile_priority"`` by the profile priority of the contact's
  queue first (1 for an agent without a profile), then that rank.
- An offer to an agent with a profile names its priority and delay for the queue
  (``"routing profile: sales priority 2, delay 30s"``); ``Router.explain`` names an agent that
  only its profile keeps from a waiting contact (``"not in its routing profile"``,
  ``"routing profile delay 30s for sales not yet waited"``).
- A profile naming a queue the router does not know is ``UnknownQueue`` at login; a priority
  below 1, a negative delay or an unknown selection is refused by ``RoutingProfile`` itself
  (``InvalidEvent``): :func:`profile_error`.

It changes nothing but its own bookkeeping of how far time was checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import decisions as dc
from ..core.criteria import RoutingCriteria
from ..core.errors import InvalidEvent, RoutingError
from ..core.queues import QueueSpec
from ..core.router import Router
from ._model_state import ModelAgent, ModelContact, ModelState, check

__all__ = ["SELECTIONS", "ProfileModel", "profile_error", "profile_note"]

SELECTIONS = ("priority_then_wait", "profile_priority")
"""The built-in contact selections, by name (the model's own copy of the documented list)."""


def profile_note(queue: str, priority: int, delay: float) -> str:
    """What an offer's explanation says of the agent's profile for ``queue``, as documented.
    Cost: O(1)."""
    return f"routing profile: {queue} priority {priority}, delay {delay:g}s"


def profile_error(
    queues: Mapping[str, Mapping[str, Any]], selection: str | None = None
) -> type[RoutingError] | None:
    """The error ``RoutingProfile(queues=queues, selection=selection)`` must raise, from the
    documented rules: ``InvalidEvent`` for no queue, a priority that is no integer or below 1,
    a delay that is no number or negative, or a selection that is none of :data:`SELECTIONS`;
    None when it builds. Cost: O(entries)."""
    if not queues or (selection is not None and selection not in SELECTIONS):
        return InvalidEvent
    for entry in queues.values():
        priority, delay = entry.get("priority", 1), entry.get("delay", 0.0)
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
            return InvalidEvent
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not delay >= 0:
            return InvalidEvent
    return None


class ProfileModel(ModelState):
    """Routing profiles and contact selection as questions and checks (module docstring).
    Costs: O(1) per question; O(C·A) per advance of time for the delay check."""

    _delays_checked: float = 0.0  # the time up to which no missed delay was found

    # -- questions -------------------------------------------------------------------------
    @staticmethod
    def lists(agent: ModelAgent, queue: str) -> bool:
        """Does the agent serve ``queue`` at all: no profile, or its profile lists it.
        Cost: O(1)."""
        return agent.profile is None or queue in agent.profile.queues

    def eligible_at(
        self,
        agent: ModelAgent,
        queue: QueueSpec,
        stage: int,
        criteria: RoutingCriteria | None = None,
    ) -> bool:
        """:meth:`ModelState.eligible_at`, for a queue the agent's profile lists. Cost: as
        that."""
        return self.lists(agent, queue.name) and super().eligible_at(agent, queue, stage, criteria)

    def agent_rank(
        self, agent: ModelAgent, contact: ModelContact, stage: int
    ) -> tuple[Any, ...] | None:
        """:meth:`ModelState.agent_rank`; None for a queue the agent's profile leaves out.
        Cost: as that."""
        if not self.lists(agent, contact.queue):
            return None
        return super().agent_rank(agent, contact, stage)

    def delay_waited(
        self, agent: ModelAgent, contact: ModelContact, at: float, *, strict: bool = False
    ) -> bool:
        """Has the contact waited the delay the agent's profile gives its queue by ``at``
        (always, without a profile or when it waits for the agent as a preferred one)?
        ``strict``: a delay ending exactly at ``at`` does not count yet (its deadline may come
        after the decision being checked). Cost: O(1)."""
        if agent.profile is None or agent.agent_id in contact.affinity:
            return True
        listed = agent.profile.queues.get(contact.queue)
        if listed is None:
            return False
        ends = contact.enqueued_at + listed.delay
        return (ends < at or listed.delay == 0) if strict else ends <= at

    def selection_of(self, agent: ModelAgent) -> str:
        """The name of the agent's contact selection: its profile's, else the router's.
        Cost: O(1)."""
        chosen = None if agent.profile is None else agent.profile.selection
        return self.config.contact_selection if chosen is None else chosen

    def contact_order(
        self, agent: ModelAgent, contact: ModelContact, at: float
    ) -> tuple[float, ...]:
        """The contact's place for the agent at ``at`` under its contact selection, smaller
        first (module docstring). Cost: O(1)."""
        rank = self.rank(contact, at)
        if self.selection_of(agent) != "profile_priority":
            return rank
        listed = None if agent.profile is None else agent.profile.queues.get(contact.queue)
        return (1 if listed is None else listed.priority, *rank)

    # -- checks ----------------------------------------------------------------------------
    def check_profile_offer(
        self, d: dc.Offer, agent: ModelAgent, contact: ModelContact, where: str
    ) -> None:
        """An offer to an agent with a profile: of a queue it lists, after the delay (unless
        it is the contact's preferred agent), naming the profile's priority and delay in its
        explanation. Cost: O(1)."""
        if agent.profile is None:
            return
        listed = agent.profile.queues.get(contact.queue)
        check(
            listed is not None,
            f"{where}: {contact.queue} is not in {agent.agent_id}'s routing profile "
            f"{sorted(agent.profile.queues)}",
        )
        assert listed is not None
        check(
            self.delay_waited(agent, contact, d.at),
            f"{where}: before its routing profile delay {listed.delay:g}s for {contact.queue} "
            f"(queued at {contact.enqueued_at}, so not before {contact.enqueued_at + listed.delay})",
        )
        note = profile_note(contact.queue, listed.priority, listed.delay)
        check(
            note in d.explanation.summary,
            f"{where}: the explanation {d.explanation.summary!r} does not say {note!r}",
        )

    def check_delays_kept(self, at: float) -> None:
        """Time moves on to ``at`` with nothing decided in between: no waiting contact had
        waited out the delay of an idle agent that could take it before ``at`` (it would have
        been offered the moment the delay ended). Call before each decision and at the end of
        an event, with the state as it stood. Cost: O(C·A) when time moves, else O(1)."""
        if at <= max(self.now, self._delays_checked):
            return
        self._delays_checked = at
        for contact in self.contacts.values():
            if contact.status != "waiting" or contact.affinity:
                continue
            for agent in self.agents.values():
                missed = self._missed_delay(agent, contact, at)
                check(
                    missed is None,
                    f"{contact.contact_id} waited out {agent.agent_id}'s routing profile delay "
                    f"for {contact.queue} at {missed} and {agent.agent_id} could take it, yet "
                    f"it was not offered before {at}",
                )

    def check_explained_profiles(self, router: Router) -> None:
        """``router.explain`` of each waiting contact (not in an affinity window) names the
        profile of every agent that could take it but for its profile: its queue not listed,
        or its delay not waited yet. Cost: O(C·A·R·K), plus an O(A) explanation per contact
        such an agent is kept from."""
        for contact in self.contacts.values():
            if contact.status != "waiting" or contact.affinity:
                continue
            held = {
                agent.agent_id: why
                for agent in self.agents.values()
                if (why := self._held_back(agent, contact)) is not None
            }
            if not held:
                continue
            notes = {c.agent_id: c.note for c in router.explain(contact.contact_id).candidates}
            for agent_id, why in held.items():
                check(
                    notes.get(agent_id) == why,
                    f"{contact.contact_id}: router.explain says {notes.get(agent_id)!r} of "
                    f"{agent_id}, whom only its routing profile keeps from it ({why!r})",
                )

    def _held_back(self, agent: ModelAgent, contact: ModelContact) -> str | None:
        """What the documentation says of an agent kept from the contact by its profile alone
        (available with room, not excluded, skilled for the contact's stage); else None."""
        queue = self.queues[contact.queue]
        if agent.profile is None or agent.agent_id in contact.excluded:
            return None
        if not self.can_take(agent, queue.channel):
            return None
        if not super().eligible_at(agent, queue, contact.stage, contact.criteria):
            return None
        listed = agent.profile.queues.get(contact.queue)
        if listed is None:
            return "not in its routing profile"
        if self.delay_waited(agent, contact, self.now):
            return None
        return f"routing profile delay {listed.delay:g}s for {contact.queue} not yet waited"

    def _missed_delay(self, agent: ModelAgent, contact: ModelContact, at: float) -> float | None:
        """When the contact's positive delay for the agent ended, if before ``at`` and the
        agent could take the contact at its stage all that while; else None."""
        listed = None if agent.profile is None else agent.profile.queues.get(contact.queue)
        if listed is None or listed.delay == 0 or agent.agent_id in contact.excluded:
            return None
        ends = contact.enqueued_at + listed.delay
        queue = self.queues[contact.queue]
        if not ends < at or not self.can_take(agent, queue.channel):
            return None
        if not self.eligible_at(agent, queue, contact.stage, contact.criteria):
            return None
        return max(ends, self.now)
