"""Auto-accept agents in scenario files: ``[[agents]] auto_accept = true`` — the router accepts
the group's offers on its behalf (``AgentLoggedIn.auto_accept``), so the contact connects at the
offer's time and the simulator sends no ``OfferAccepted``.

This module owns the scenario rule of the key and nothing else; it never simulates or routes. The
key leaves no room for the group's answering behaviour: ``answer_delay_seconds`` (the agent's
time to accept) and ``reject_probability`` (the agent declining) describe an accept step that an
auto-accept agent does not have, so a group that sets either with it is refused rather than
silently ignoring them.

>>> from experiencehub.sim.scenario_types import AgentGroup
>>> problems: list[str] = []
>>> group = AgentGroup(group="g", count=1, skills={}, auto_accept=True, reject_probability=0.1)
>>> check_auto_accept(group, "agents[0]", problems)
>>> problems  # doctest: +NORMALIZE_WHITESPACE
["agents[0].reject_probability: must be 0 with agents[0].auto_accept = true (the router accepts
  every offer on the agent's behalf; an auto-accept agent cannot decline one), got 0.1"]
"""

from __future__ import annotations

from .scenario_types import AgentGroup

__all__ = ["check_auto_accept"]


def check_auto_accept(group: AgentGroup, where: str, problems: list[str]) -> None:
    """An auto-accept group sets no answer delay and no reject probability. Cost: O(1)."""
    if not group.auto_accept:
        return
    if group.answer_delay_seconds is not None:
        problems.append(
            f"{where}.answer_delay_seconds: must be omitted with {where}.auto_accept = true "
            "(the contact connects at the offer's time: there is no accept step to delay)"
        )
    if group.reject_probability:
        problems.append(
            f"{where}.reject_probability: must be 0 with {where}.auto_accept = true (the router "
            "accepts every offer on the agent's behalf; an auto-accept agent cannot decline one), "
            f"got {group.reject_probability!r}"
        )
