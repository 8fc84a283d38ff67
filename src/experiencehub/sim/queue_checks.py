"""Checks of the scenario keys that change queues and wrap-up during a run: a queue's
``closed_rule`` and ``closed_queue``, a queue's ``added_at`` and ``changes``, and a group's
manual ``wrap_up``.

This module owns those rules only; :mod:`.checks` calls :func:`queue_key_problems` (it never
raises and never simulates). Each problem reads ``"key.path: what is expected, got …"``.

>>> from experiencehub.sim.scenario import QueueConfig
>>> problems: list[str] = []
>>> _check_closing(QueueConfig(name="q", channel="chat", closed_rule="move"), "queues[0]",
...                {"q": QueueConfig(name="q", channel="chat")}, problems)
>>> problems
["queues[0].closed_queue: required with closed_rule = 'move' (the queue its waiting contacts move to)"]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping

import attrs

from ..core.queues import CLOSED_RULES
from .scenario_types import CHANGEABLE_QUEUE_KEYS, AgentGroup, QueueChange, QueueConfig, Scenario

__all__ = ["queue_key_problems", "queue_skill_problems"]

Problems = list[str]
ValueCheck = Callable[[QueueConfig, str, Problems], None]
"""Appends the problems of a queue's values under a key path (:mod:`.checks` owns it)."""


def queue_key_problems(
    scenario: Scenario,
    problems: Problems,
    *,
    known: bool = True,
    values: ValueCheck | None = None,
) -> None:
    """Append the problems of every queue's closing, ``added_at`` and ``changes`` keys and of
    the groups' manual wrap-up. ``known=False`` (the queues section could not be read whole)
    skips the references between queues; ``values`` checks what each change makes of the
    queue's values (None: not checked). Cost: O(queues · changes + groups · profile +
    workload)."""
    queues = {q.name: q for q in scenario.queues}
    end = scenario.simulation.warmup + scenario.simulation.duration
    for i, queue in enumerate(scenario.queues):
        where = f"queues[{i}]"
        _check_closing(queue, where, queues if known else None, problems)
        if queue.added_at is not None:
            _check_added(queue, where, end, problems)
        if queue.changes:
            _check_changes(queue, where, end=end, queues=queues if known else None,
                           values=values, problems=problems)  # fmt: skip
    if not known:
        return
    for i, group in enumerate(scenario.agents):
        _check_profile_added(group, f"agents[{i}]", queues, problems)
    _check_targets_added(scenario, queues, problems)


def _check_closing(
    queue: QueueConfig,
    where: str,
    queues: Mapping[str, QueueConfig] | None,
    problems: Problems,
    *,
    since: str = "this queue",
) -> None:
    """A known rule; ``move`` names a queue; the queue named is another one on the same channel
    (a contact keeps its channel), configured no later than this one (``since``: from its
    ``added_at``)."""
    rule, target = queue.closed_rule, queue.closed_queue
    if rule not in CLOSED_RULES:
        problems.append(f"{where}.closed_rule: one of {', '.join(CLOSED_RULES)}, got {rule!r}")
    if rule == "move" and target is None:
        problems.append(
            f"{where}.closed_queue: required with closed_rule = 'move' "
            "(the queue its waiting contacts move to)"
        )
    if target is None or queues is None:
        return
    path = f"{where}.closed_queue"
    other = queues.get(target)
    if other is None:
        problems.append(f"{path}: unknown queue {target!r} (queues: {', '.join(sorted(queues))})")
    elif target == queue.name:
        problems.append(f"{path}: must name another queue, got {target!r} (the queue itself)")
    elif other.channel != queue.channel:
        problems.append(
            f"{path}: {target!r} serves {other.channel!r}, not {queue.channel!r}: a contact "
            "keeps its channel, so it can only move to a queue on the same channel"
        )
    elif other.added_at is not None and (queue.added_at or 0.0) < other.added_at:
        problems.append(
            f"{path}: {target!r} is added at {other.added_at} s, after {since} "
            f"({queue.added_at or 0.0} s): the router needs it configured first"
        )


def _check_added(queue: QueueConfig, where: str, end: float, problems: Problems) -> None:
    """``added_at`` within the run; closures start once the queue exists."""
    added = queue.added_at
    assert added is not None
    if not 0.0 <= added < end:
        problems.append(
            f"{where}.added_at: must be >= 0 and < the run's end ({end} s: warmup + duration), "
            f"got {added}"
        )
    for j, closure in enumerate(queue.closed):
        if closure.start < added:
            problems.append(
                f"{where}.closed[{j}].start: must be >= added_at ({added}): the queue does not "
                f"exist before, got {closure.start}"
            )


def _check_profile_added(
    group: AgentGroup, where: str, queues: Mapping[str, QueueConfig], problems: Problems
) -> None:
    """A profile may name a queue added during the run only if the group logs in after it."""
    first_login = min((shift.start for shift in group.shifts), default=0.0)
    for name in group.profile or {}:
        queue = queues.get(name)
        added = None if queue is None else queue.added_at
        if added is not None and first_login < added:
            problems.append(
                f"{where}.profile.{name}: queue {name!r} is added at {added} s, but the group's "
                f"agents log in at {first_login} s with this profile (the router refuses a "
                "profile naming a queue it does not have yet): start the shifts later or "
                "leave the queue out"
            )


def _check_targets_added(
    scenario: Scenario, queues: Mapping[str, QueueConfig], problems: Problems
) -> None:
    """Contacts the engine sends to a queue at any time (callbacks, repeats, transfers,
    unresolved returns, consults) cannot go to a queue added during the run."""
    for i, item in enumerate(scenario.workload):
        for key in ("callback", "repeat", "transfer", "unresolved", "consult"):
            section = getattr(item, key)
            name = None if section is None else section.queue
            queue = None if name is None else queues.get(name)
            if queue is not None and queue.added_at is not None:
                problems.append(
                    f"workload[{i}].{key}.queue: {name!r} is added during the run (added_at = "
                    f"{queue.added_at}); its contacts may come before it exists: pick a queue "
                    "configured from the start"
                )


_KEPT = {
    "name": "a queue keeps its name: its workload, profiles and records refer to it",
    "channel": "a queue keeps its channel: its contacts hold that channel's slots; add another "
    "queue with added_at instead",
    "service_level_target": "the target check judges the queue's whole run against one target; "
    "a change may set service_level_seconds",
    "self_service": "the self-service step comes before the router and is no part of its queue; "
    "give the workload its own self_service instead",
    "closed": "closed periods are times of the run already: list them all in the queue's own "
    "closed",
    "added_at": "a queue is added once, at its own added_at",
}
"""The keys of ``[[queues]]`` a change may not set, and why."""

_HOURS_WITH_CLOSURES = (
    "the queue has closed periods, which are QueueClosed events without hours but holidays of "
    "its hours with them, both fixed when the run starts: give the queue its hours from the "
    "start, or no closed periods"
)


def _check_changes(
    queue: QueueConfig,
    where: str,
    *,
    end: float,
    queues: Mapping[str, QueueConfig] | None,
    values: ValueCheck | None,
    problems: Problems,
) -> None:
    """Each change sets no kept key, unsets only keys it may, comes within the run, after the
    previous one and not before the queue is added, and adds no problem to the queue as it
    was before it."""
    previous: float | None = None
    pairs = itertools.pairwise(queue.versions())
    for j, (change, ((_, before), (_, after))) in enumerate(zip(queue.changes, pairs, strict=True)):
        path = f"{where}.changes[{j}]"
        for key, why in _KEPT.items():
            if getattr(change, key) is not None:
                problems.append(
                    f"{path}.{key}: a change cannot set it ({why}), got {getattr(change, key)!r}"
                )
        if queue.closed and change.hours is not None:
            problems.append(f"{path}.hours: a change cannot set it ({_HOURS_WITH_CLOSURES})")
        problems.extend(_unset_problems(change, path, closed=bool(queue.closed), after=after))
        _check_change_time(
            change, path, end=end, previous=previous, added=queue.added_at, problems=problems
        )
        previous = change.at
        found: Problems = []
        _check_changed_values(before, after, at=change.at, path=path, queues=queues,
                              values=values, problems=found)  # fmt: skip
        if _unsets_move_target(change, after):  # said at the unset, not again here
            found = [p for p in found if not p.startswith(f"{path}.closed_queue: required")]
        problems.extend(found)


def _unsets_move_target(change: QueueChange, after: QueueConfig) -> bool:
    """The change unsets ``closed_queue`` and leaves the queue closing by ``"move"``."""
    return "closed_queue" in change.unset and after.closed_rule == "move"


def _unset_problems(
    change: QueueChange, path: str, *, closed: bool, after: QueueConfig
) -> Problems:
    """Each name in ``unset`` is a changeable key, named once, not set by the same change, and
    leaves the queue whole: no ``closed_rule = 'move'`` without a ``closed_queue``, no hours
    changed on a queue with closed periods."""
    found: Problems = []
    for k, key in enumerate(change.unset):
        where = f"{path}.unset[{k}]"
        why = _why_not_unset(change, key, closed=closed)
        if why is None and key in change.unset[:k]:
            why = "named twice"
        if why is None and key == "closed_queue" and _unsets_move_target(change, after):
            why = (
                "cannot unset it while closed_rule = 'move' (closing moves the waiting contacts "
                "there, and the router refuses 'move' without a closed_queue): set closed_rule "
                "to 'keep' or 'end' in the same change, or unset closed_rule too"
            )
        if why is not None:
            found.append(f"{where}: {key!r}: {why}")
    return found


def _why_not_unset(change: QueueChange, key: str, *, closed: bool) -> str | None:
    """Why ``key`` cannot be unset by ``change`` (None: it can)."""
    if key in ("at", "unset"):
        return "the change's own key, not a queue's: it cannot be unset"
    if key in ("name", "channel"):
        return f"a required key cannot be unset ({_KEPT[key]})"
    if key in _KEPT or key == "changes":
        why = _KEPT.get(key, "a change holds no changes")
        return f"cannot be unset: a change cannot set it ({why})"
    if key not in CHANGEABLE_QUEUE_KEYS:
        return f"unknown key (a change may unset {', '.join(CHANGEABLE_QUEUE_KEYS)})"
    if getattr(change, key) is not None:
        return "the same change also sets it: set it or unset it, not both"
    if key == "hours" and closed:
        return f"cannot be unset ({_HOURS_WITH_CLOSURES})"
    return None


def _check_change_time(
    change: QueueChange,
    path: str,
    *,
    end: float,
    previous: float | None,
    added: float | None,
    problems: Problems,
) -> None:
    at = change.at
    if not 0.0 <= at < end:
        problems.append(
            f"{path}.at: must be >= 0 and < the run's end ({end} s: warmup + duration), got {at}"
        )
    if previous is not None and at <= previous:
        problems.append(f"{path}.at: must be > the previous change's {previous}, got {at}")
    if added is not None and at < added:
        problems.append(
            f"{path}.at: must be >= added_at ({added}): the queue does not exist before, got {at}"
        )


def _check_changed_values(
    before: QueueConfig,
    after: QueueConfig,
    *,
    at: float,
    path: str,
    queues: Mapping[str, QueueConfig] | None,
    values: ValueCheck | None,
    problems: Problems,
) -> None:
    """The problems the change adds to the queue as it was before it (the queue's own are
    reported at its own keys), under the change's key path: ``values``' checks and the closing
    keys, a ``closed_queue`` configured by the change's time."""
    old: Problems = []
    new: Problems = []
    for version, found in ((before, old), (after, new)):
        if values is not None:
            values(version, path, found)
        _check_closing(attrs.evolve(version, added_at=at), path, queues, found, since="this change")
    problems.extend(problem for problem in new if problem not in old)


def queue_skill_problems(
    queue: QueueConfig, where: str, servable: Collection[str], problems: Problems
) -> None:
    """Append a problem for each skill the queue requires, at the start or after a change, that
    is not ``servable`` (no group has it or a substitute). Cost: O(changes · skills)."""
    paths = [(f"{where}.requires", queue.requires)]
    paths += [(f"{where}.changes[{j}].requires", c.requires or {})
              for j, c in enumerate(queue.changes)]  # fmt: skip
    for path, requires in paths:
        for skill in requires:
            if skill not in servable:
                problems.append(
                    f"{path}.{skill}: unknown skill {skill!r} (no agent group has it or a substitute)"
                )
