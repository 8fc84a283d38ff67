"""Names a scenario defines but nothing uses: agent skills no queue or substitution mentions.

This module owns the "did you mean" of scenario checks: an agent skill that no queue requires
and no substitution names can never route a contact (``billling`` for ``billing``), yet it
changes results, so :mod:`.checks` reports it with the closest known name. It never raises and
never simulates.

>>> did_you_mean("billling", ["billing", "support"])
"; did you mean 'billing'?"
>>> did_you_mean("sales", ["billing", "support"])
''
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenario_types import Scenario

__all__ = ["did_you_mean", "unused_skill_problems"]

CLOSE_ENOUGH = 0.75
"""difflib's similarity ratio from which a known name is suggested (``billling``/``billing``: 0.93)."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, or ``""``. Cost: O(known · len²)."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=CLOSE_ENOUGH)
    return f"; did you mean {close[0]!r}?" if close else ""


def unused_skill_problems(scenario: Scenario) -> list[str]:
    """A problem for each agent skill (at the start or after a skill change) that no queue
    requires and no substitution names.

    Cost: O(G·S·K) for G groups of S skills against K used skill names.
    """
    used = {skill for queue in scenario.queues for skill in queue.required_skills()}
    used |= {name for edge in scenario.substitutions for name in (edge.skill, edge.serves)}
    used |= {
        skill
        for item in scenario.workload
        if item.criteria is not None
        for step in item.criteria.steps
        for skill in step.requires
    }
    problems = []
    for i, group in enumerate(scenario.agents):
        paths = [(f"agents[{i}].skills", group.skills)]
        paths += [
            (f"agents[{i}].skill_changes[{j}].skills", change.skills)
            for j, change in enumerate(group.skill_changes)
        ]
        for where, skills in paths:
            for skill in skills:
                if skill not in used:
                    problems.append(
                        f"{where}.{skill}: unknown skill {skill!r} (no queue requires it "
                        f"and no substitution names it{did_you_mean(skill, used)})"
                    )
    return problems
