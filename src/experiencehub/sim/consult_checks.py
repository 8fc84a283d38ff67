"""Scenario checks of the workload ``consult`` key (the rules of :mod:`.consults`).

This module owns what a valid ``[[workload]] consult`` is; :mod:`.checks` calls it for each
workload entry with the key (and checks its distributions with the others). It reads no file
and never simulates. Every problem names its key path:

>>> from experiencehub.sim.scenario import Consult, Distribution
>>> d = Distribution(kind="deterministic", value=30.0)
>>> problems = []
>>> check_consult(Consult(share=1.5, after_seconds=d, talk_seconds=d, outcomes={"transfer": 0.5}),
...               "workload[0].consult", problems, queues=None, home=None)
>>> print("\\n".join(problems))
workload[0].consult.share: must be a probability in [0, 1], got 1.5
workload[0].consult.outcomes: must add up to 1, got 0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from .scenario_types import Consult, Distribution

__all__ = ["CONSULT_OUTCOME_KEYS", "DistributionCheck", "check_consult"]

CONSULT_OUTCOME_KEYS = ("transfer", "conference", "return")
"""The outcomes a scenario's ``consult.outcomes`` may name, in the order draws take them
(``cancel`` is never drawn: it is what happens when nobody answers in time)."""

DistributionCheck = Callable[[Distribution, str, list[str]], None]
"""Checks one distribution at a key path, appending its problems."""


def check_consult(
    consult: Consult,
    path: str,
    problems: list[str],
    *,
    queues: Mapping[str, str] | None,
    home: str | None,
    distribution: DistributionCheck | None = None,
) -> None:
    """Append the problems of ``consult`` (at key ``path``): share in [0, 1]; outcomes among
    ``transfer``, ``conference``, ``return`` with probabilities in [0, 1] adding up to 1;
    ``max_wait_seconds`` > 0; the consult queue known and on the channel of the workload's queue
    ``home`` (a consult holds a slot of the contact's channel). ``queues`` (name → channel) is
    None when the queues did not all structure: names are then not checked. ``distribution``
    checks each distribution of the key (the scenario checks' own). Cost: O(outcomes).
    """
    share = consult.share
    if not 0.0 <= share <= 1.0:
        problems.append(f"{path}.share: must be a probability in [0, 1], got {share!r}")
    _check_outcomes(consult.outcomes, f"{path}.outcomes", problems)
    wait = consult.max_wait_seconds
    if not (math.isfinite(wait) and wait > 0):
        problems.append(
            f"{path}.max_wait_seconds: must be > 0 (how long the agent waits for a colleague "
            f"before cancelling), got {wait!r}"
        )
    if queues is not None and consult.queue is not None:
        _check_queue(consult.queue, f"{path}.queue", queues, home, problems)
    for key in ("after_seconds", "talk_seconds", "handle_seconds"):
        dist = getattr(consult, key)
        if dist is not None and distribution is not None:
            distribution(dist, f"{path}.{key}", problems)


def _check_outcomes(outcomes: Mapping[str, float], path: str, problems: list[str]) -> None:
    if not outcomes:
        problems.append(f"{path}: name at least one of {', '.join(CONSULT_OUTCOME_KEYS)}")
        return
    total = 0.0
    for key, value in outcomes.items():
        if key not in CONSULT_OUTCOME_KEYS:
            problems.append(
                f"{path}.{key}: unknown outcome (outcomes: {', '.join(CONSULT_OUTCOME_KEYS)}; "
                "a consult nobody answers is cancelled, it is not drawn)"
            )
        elif not 0.0 <= value <= 1.0:
            problems.append(f"{path}.{key}: must be a probability in [0, 1], got {value!r}")
        else:
            total += value
    valid = all(k in CONSULT_OUTCOME_KEYS and 0.0 <= v <= 1.0 for k, v in outcomes.items())
    if valid and not math.isclose(total, 1.0, abs_tol=1e-9):
        problems.append(f"{path}: must add up to 1, got {total:g}")


def _check_queue(
    name: str, path: str, queues: Mapping[str, str], home: str | None, problems: list[str]
) -> None:
    channel = queues.get(name)
    if channel is None:
        known = ", ".join(sorted(queues)) or "none defined"
        problems.append(f"{path}: unknown queue {name!r} (queues: {known})")
        return
    own = queues.get(home) if home is not None else None
    if own is not None and own != channel:
        problems.append(
            f"{path}: queue {name!r} is on {channel}, but the workload's queue {home!r} is on "
            f"{own}; a consult holds a {own} slot, so it needs a {own} queue"
        )
