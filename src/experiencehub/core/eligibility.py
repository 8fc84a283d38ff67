"""Eligibility: can an agent serve a queue, and from which of its stages? The rule's one home.

An agent serves a queue at a stage when it has capacity on the queue's channel and either its skill
cost for the queue (:meth:`.SkillGraph.serving_cost`: every required skill at its minimum level,
through the skill graph) is within the stage's ``max_cost``, or the stage takes any agent
(``max_cost=None``). Stages only widen, so an agent eligible at one stage stays eligible at every
later one: the answer is a first stage. The router enrols agents in pools by it, ``explain`` names
the rule an agent fails, and the simulator's scenario checks count the agents that can serve a
queue by it. Whether an agent is *free* (status, load, channel blocking) is not eligibility: the
router's pools answer that.

>>> from experiencehub.core.queues import QueueSpec, Stage
>>> q = QueueSpec("billing", channel="phone", requires={"billing": 2},
...               stages=[Stage(after=0, max_cost=0), Stage(after=30, max_cost=2),
...                       Stage(after=90, max_cost=None)])
>>> first_stage(q, {"phone": 1}, (1.5, 3))  # skill cost 1.5: from the second stage
1
>>> first_stage(q, {"phone": 1}, None)      # unskilled: only the "any agent" stage
2
>>> ineligibility(q, 1, {"phone": 1}, None)
'lack the skills'
"""

from __future__ import annotations

from collections.abc import Mapping

from .criteria import RoutingCriteria, step_requirement
from .queues import QueueSpec
from .skills import SkillGraph

__all__ = ["criteria_serving", "first_stage", "ineligibility", "serving_cost"]

Served = tuple[float, int]
"""(skill cost, proficiency) of an agent for a queue; None when it cannot serve the skills."""

NO_CAPACITY = "no {channel} capacity"
LACKS_SKILLS = "lack the skills"
COST_ABOVE_LIMIT = "skill cost above this stage's limit"


def serving_cost(
    skills: SkillGraph, agent_skills: Mapping[str, int], queue: QueueSpec
) -> Served | None:
    """The agent's (skill cost, proficiency) for the queue's requirements, or None when some
    requirement cannot be served. Cost: O(R·K), R required skills, K agent skills.

    >>> serving_cost(SkillGraph(), {"billing": 3}, QueueSpec("b", channel="chat", requires={"billing": 2}))
    (0.0, 3)
    """
    return skills.serving_cost(agent_skills, queue.requires)


def criteria_serving(
    skills: SkillGraph, agent_skills: Mapping[str, int], queue: QueueSpec,
    criteria: RoutingCriteria,
) -> Served | None:
    """For a contact of ``queue`` with ``criteria``: (index of the first step whose requirement
    the agent serves within the step's ``max_cost``, proficiency there), or None when it meets
    no step. The index is the agent's "cost" for the criteria's routing class
    (:func:`.criteria.route_spec`), so :func:`first_stage` and :func:`ineligibility` apply to
    it unchanged. Cost: O(S·R·K) for S steps.

    >>> from experiencehub.core.criteria import CriteriaStep, RoutingCriteria
    >>> steps = RoutingCriteria(steps=[CriteriaStep(requires={"spanish": 3}),
    ...                                CriteriaStep(requires={"spanish": 1}, after=60)])
    >>> q = QueueSpec("b", channel="phone", requires={"billing": 1})
    >>> criteria_serving(SkillGraph(), {"billing": 2, "spanish": 1}, q, steps)
    (1.0, 1)
    """
    for index, step in enumerate(criteria.steps):
        served = skills.serving_cost(agent_skills, step_requirement(queue, step))
        if served is not None and served[0] <= step.max_cost:
            return float(index), served[1]
    return None


def first_stage(
    queue: QueueSpec, capacity: Mapping[str, int], served: Served | None
) -> int | None:
    """Index of the first stage at which an agent with this channel ``capacity`` and this
    ``served`` answer (from :func:`serving_cost`) is eligible; None when it never is.
    Cost: O(stages).
    """
    if capacity.get(queue.channel, 0) <= 0:
        return None
    if served is not None:
        stage = queue.first_stage_for(served[0])
        if stage is not None:
            return stage
    last = len(queue.stages) - 1
    return last if queue.stages[last].max_cost is None else None


def ineligibility(
    queue: QueueSpec, stage: int, capacity: Mapping[str, int], served: Served | None
) -> str | None:
    """Why the agent is not eligible at ``stage`` (a short phrase ``explain`` shows), or None
    when it is. Cost: O(stages).

    >>> q = QueueSpec("b", channel="chat", requires={"billing": 1})
    >>> ineligibility(q, 0, {"phone": 1}, (0.0, 1)), ineligibility(q, 0, {"chat": 1}, (1.0, 1))
    ('no chat capacity', "skill cost above this stage's limit")
    """
    if capacity.get(queue.channel, 0) <= 0:
        return NO_CAPACITY.format(channel=queue.channel)
    first = first_stage(queue, capacity, served)
    if first is not None and first <= stage:
        return None
    return LACKS_SKILLS if served is None else COST_ABOVE_LIMIT


def can_serve(
    skills: SkillGraph, agent_skills: Mapping[str, int], capacity: Mapping[str, int],
    queue: QueueSpec,
) -> bool:
    """Whether such an agent can serve the queue at some stage (the last one, since stages
    only widen). Cost: O(R·K + stages).
    """
    served = serving_cost(skills, agent_skills, queue)
    return first_stage(queue, capacity, served) is not None
