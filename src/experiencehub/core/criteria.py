"""Routing criteria: a contact's own requirement, in steps that relax as it waits.

A queue's requirement and stages belong to every contact of the queue. Criteria let one contact
ask for more: ``RoutingCriteria(steps=...)`` on ``ContactArrived`` (or ``ContactTransferred``),
each :class:`CriteriaStep` a requirement (skill → minimum level) that applies from ``after``
seconds of waiting, served through the skill graph within the step's ``max_cost``.

How a step combines with the queue: the step's requirement is added to the queue's own
``requires`` (a skill named by both takes the higher level), and the criteria's steps replace the
queue's stages for that contact. Steps only widen: at step ``i`` an agent meeting the requirement
of step ``i`` *or of any earlier step* is eligible, and agents meeting an earlier (stricter) step
are offered first. A step's ``max_cost`` is finite, so criteria never open a contact to agents
outside the queue's requirement.

>>> spanish = RoutingCriteria(steps=[
...     CriteriaStep(requires={"spanish": 3}),
...     CriteriaStep(requires={"spanish": 1}, after=60),
...     CriteriaStep(requires={}, after=120),
... ])
>>> from experiencehub.core.queues import QueueSpec
>>> dict(step_requirement(QueueSpec("billing", channel="phone", requires={"billing": 1}),
...                       spanish.steps[1]))
{'billing': 1, 'spanish': 1}
>>> RoutingCriteria(steps=[CriteriaStep(requires={"x": 1}, after=5)])
Traceback (most recent call last):
...
experiencehub.core.errors.InvalidEvent: RoutingCriteria.steps[0].after=5: the first step must start at after=0

The router keeps one routing class per distinct (queue, criteria) in use (see
:func:`route_spec`); equal criteria share it, and it goes when no contact uses it any more.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from . import _validators as v
from .errors import InvalidEvent
from .queues import QueueSpec, Stage

__all__ = ["MAX_STEPS", "CriteriaStep", "RoutingCriteria", "route_spec", "step_requirement"]

MAX_STEPS = 16
"""Most steps one contact's criteria may have (each is a line and a few pools while in use)."""


def _max_cost(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    where = f"CriteriaStep.{attr.name}={value!r}"
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise InvalidEvent(f"{where}: must be a number")
    if value is None or not math.isfinite(value) or value < 0:
        raise InvalidEvent(
            f"{where}: must be finite and >= 0 (criteria never open a contact to any agent; "
            "the queue's stages do that)"
        )


@attrs.frozen(kw_only=True, slots=True)
class CriteriaStep:
    """From ``after`` seconds of waiting, agents serving the queue's requirement plus
    ``requires`` (skill → minimum level) at a skill-graph cost ``<= max_cost`` are eligible too."""

    requires: Mapping[str, int] = attrs.field(
        factory=v.empty_map, converter=v.frozen_map, validator=v.levels
    )
    after: float = attrs.field(default=0.0, validator=v.time_seconds)
    max_cost: float = attrs.field(default=0.0, validator=_max_cost)


def _steps(value: Any) -> Any:
    """Converter: a tuple of the steps (frozen all the way down)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _valid_steps(_inst: Any, _attr: attrs.Attribute[Any], steps: Any) -> None:
    where = "RoutingCriteria.steps"
    if not isinstance(steps, tuple) or not steps:
        raise InvalidEvent(f"{where}={steps!r}: must be a non-empty list of CriteriaStep")
    if len(steps) > MAX_STEPS:
        raise InvalidEvent(f"{where}: {len(steps)} steps, at most {MAX_STEPS}")
    for index, step in enumerate(steps):
        if not isinstance(step, CriteriaStep):
            raise InvalidEvent(f"{where}[{index}]={step!r}: must be a CriteriaStep")
    if steps[0].after != 0:
        raise InvalidEvent(
            f"{where}[0].after={steps[0].after:g}: the first step must start at after=0"
        )
    for index in range(1, len(steps)):
        if steps[index].after <= steps[index - 1].after:
            raise InvalidEvent(
                f"{where}[{index}].after={steps[index].after:g}: step times must increase "
                f"(the step before starts at {steps[index - 1].after:g})"
            )


@attrs.frozen(kw_only=True, slots=True)
class RoutingCriteria:
    """A contact's own routing requirement: steps that apply one after another as it waits
    (see the module docstring). Frozen and hashable: equal criteria share one routing class."""

    steps: tuple[CriteriaStep, ...] = attrs.field(converter=_steps, validator=_valid_steps)

    def step_at(self, waited_seconds: float) -> int:
        """Index of the step in force after waiting this long. Cost: O(steps).

        >>> RoutingCriteria(steps=[CriteriaStep(), CriteriaStep(after=60)]).step_at(61.0)
        1
        """
        index = 0
        for i, step in enumerate(self.steps):
            if step.after <= waited_seconds:
                index = i
        return index


def step_requirement(queue: QueueSpec, step: CriteriaStep) -> Mapping[str, int]:
    """The requirement of a step for a contact of ``queue``: the queue's requirement plus the
    step's, the higher level where both name a skill. Cost: O(R) in required skills."""
    merged = dict(queue.requires)
    for skill, level in step.requires.items():
        merged[skill] = max(level, merged.get(skill, 0))
    return v.FrozenDict(merged)


def route_spec(queue: QueueSpec, criteria: RoutingCriteria, name: str) -> QueueSpec:
    """The routing class of the queue's contacts with these criteria, as a queue the router's
    lines and pools understand: named ``name`` (never a configured queue's name), on the
    queue's channel with its aging, one stage per step whose ``max_cost`` is the step's
    index. An agent's "cost" for it is the index of the first step it meets
    (:func:`.eligibility.criteria_serving`), so the stage mechanism (widening as the contact
    waits, pools read in cost order) applies unchanged. Cost: O(steps).
    """
    stages = tuple(
        Stage(after=step.after, max_cost=float(i)) for i, step in enumerate(criteria.steps)
    )
    return QueueSpec(
        name,
        channel=queue.channel,
        stages=stages,  # type: ignore[arg-type]  # attrs plugin reads converter=tuple as Iterable[_T_co]
        priority_weight=queue.priority_weight,
        aging_per_minute=queue.aging_per_minute,
    )
