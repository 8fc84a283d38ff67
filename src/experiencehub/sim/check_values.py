"""The small value rules of scenario checks, shared by :mod:`.checks` and :mod:`.workload_checks`.

Each appends ``"key.path: what is expected, got …"`` to a problems list and never raises, so one
pass reports every problem; none reads a file or simulates.

>>> from experiencehub.sim.scenario import Distribution
>>> problems: list[str] = []
>>> check_distribution(Distribution(kind="gamma", mean=-1.0), "w.handle_seconds", problems)
>>> problems
['w.handle_seconds.sd: required for gamma', 'w.handle_seconds.mean: must be > 0, got -1.0']
"""

from __future__ import annotations

import math
from typing import Any

from .scenario_types import Distribution

__all__ = [
    "DISTRIBUTIONS",
    "Problems",
    "check_distribution",
    "known_queue",
    "need",
    "non_negative",
    "positive",
    "probability",
    "target_share",
]

DISTRIBUTIONS = ("exponential", "lognormal", "gamma", "deterministic", "empirical")

Problems = list[str]


def need(problems: Problems, ok: bool, path: str, rule: str, value: Any) -> None:
    if not ok:
        problems.append(f"{path}: must be {rule}, got {value!r}")


def positive(problems: Problems, path: str, value: float | None) -> None:
    if value is not None:
        need(problems, math.isfinite(value) and value > 0, path, "> 0", value)


def non_negative(problems: Problems, path: str, value: float | None) -> None:
    if value is not None:
        need(problems, math.isfinite(value) and value >= 0, path, ">= 0", value)


def target_share(problems: Problems, path: str, value: float | None) -> None:
    if value is not None:
        need(problems, 0.0 < value <= 1.0, path, "a share in (0, 1], e.g. 0.8", value)


def probability(problems: Problems, path: str, value: float) -> None:
    need(problems, 0.0 <= value <= 1.0, path, "a probability in [0, 1]", value)


def known_queue(name: str, path: str, queues: set[str] | None, problems: Problems) -> None:
    if queues is not None and name not in queues:
        known = ", ".join(sorted(queues)) or "none defined"
        problems.append(f"{path}: unknown queue {name!r} (queues: {known})")


_DISTRIBUTION_FIELDS: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"),
    "deterministic": ("value",),
    "empirical": ("values",),
}


def check_distribution(dist: Distribution, where: str, problems: Problems) -> None:
    fields = _DISTRIBUTION_FIELDS.get(dist.kind)
    if fields is None:
        problems.append(
            f"{where}.kind: must be one of {', '.join(DISTRIBUTIONS)}, got {dist.kind!r}"
        )
        return
    for field in fields:
        if getattr(dist, field) is None:
            problems.append(f"{where}.{field}: required for {dist.kind}")
    for field in ("mean", "sd", "value", "values"):
        if field not in fields and getattr(dist, field) is not None:
            problems.append(
                f"{where}.{field}: not used by {dist.kind} (it takes {', '.join(fields)})"
            )
    for field in ("mean", "sd"):
        positive(problems, f"{where}.{field}", getattr(dist, field))
    non_negative(problems, f"{where}.value", dist.value)
    if dist.values is not None:
        if not dist.values:
            problems.append(f"{where}.values: must not be empty")
        for j, value in enumerate(dist.values):
            non_negative(problems, f"{where}.values[{j}]", value)
