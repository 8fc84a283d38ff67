"""Routing profiles in scenario files: ``[[agents]] profile = { billing = { priority = 1, delay =
0 } }`` checked with key paths, and the router's :class:`~experiencehub.core.profiles.RoutingProfile`
made from it (once per group). Owns nothing else; never routes.
"""

from __future__ import annotations

import math

from ..core.profiles import MAX_PROFILE_PRIORITY, SELECTIONS, RoutingProfile
from .scenario_types import AgentGroup

__all__ = ["SELECTIONS", "check_profile", "routing_profile"]


def check_profile(group: AgentGroup, where: str, queues: set[str], problems: list[str]) -> None:
    """Each queue of the group's profile is a configured queue, with a priority in 1 to
    MAX_PROFILE_PRIORITY and a finite delay >= 0. Cost: O(queues listed)."""
    if group.profile is None:
        return
    if not group.profile:
        problems.append(f"{where}.profile: must list at least one queue, got {{}}")
    for name, entry in group.profile.items():
        path = f"{where}.profile.{name}"
        if name not in queues:
            problems.append(f"{path}: unknown queue {name!r} (known: {', '.join(sorted(queues))})")
        if not 1 <= entry.priority <= MAX_PROFILE_PRIORITY:
            problems.append(
                f"{path}.priority: must be >= 1 and <= {MAX_PROFILE_PRIORITY}, got {entry.priority!r}"
            )
        if not (math.isfinite(entry.delay) and entry.delay >= 0):
            problems.append(f"{path}.delay: must be >= 0, got {entry.delay!r}")


def routing_profile(group: AgentGroup) -> RoutingProfile | None:
    """The router's profile for the group's agents (None without one). Cost: O(queues listed)."""
    if group.profile is None:
        return None
    return RoutingProfile(
        queues={
            name: {"priority": entry.priority, "delay": entry.delay}
            for name, entry in group.profile.items()
        }
    )
