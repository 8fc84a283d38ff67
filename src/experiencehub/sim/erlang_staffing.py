"""Staffing with Erlang B, C and A: the fewest agents for a target, with the figures they achieve.

This module owns the staffing *solvers* and the service level of a preset under the Erlang
models; the queueing formulas are :mod:`.erlang`'s, the preset definitions :mod:`.kpi`'s. It never
simulates and does no I/O.

Each solver returns a :class:`StaffingResult`: the agents found and what they achieve (service
level under the chosen preset, ASA, occupancy, abandonment or blocking), not only a count.

- :func:`staff_erlang_c` and :func:`staff_erlang_a`: the fewest agents whose service level reaches
  ``target_sl`` and, given ``max_occupancy``, whose occupancy stays at or below it.
- :func:`staff_erlang_b`: the fewest agents (lines) whose blocking is at most ``max_blocking``.

>>> r = staff_erlang_c(2700, 60, 20, target_sl=0.8)
>>> r.agents, round(r.service_level, 4), round(r.occupancy, 4)
(49, 0.8803, 0.9184)
>>> staff_erlang_c(2700, 60, 20, target_sl=0.8, max_occupancy=0.85).agents
53
>>> staff_erlang_b(3600, 10, max_blocking=0.01).agents  # 10 erlangs, 1% blocking
18
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from ..core.errors import ConfigError
from .erlang import (
    QueueMetrics,
    erlang_a,
    erlang_a_abandoned_within,
    erlang_b,
    erlang_c,
    fewest_agents,
)
from .kpi import ServiceLevelRule, service_level_rule

__all__ = [
    "StaffingResult",
    "erlang_figures",
    "preset_service_level",
    "staff_erlang_a",
    "staff_erlang_b",
    "staff_erlang_c",
]


@attrs.frozen(kw_only=True)
class StaffingResult:
    """What a staffing solver found: ``agents`` and the figures they achieve.

    ``service_level`` is under ``preset`` (None for Erlang B); ``p_abandon`` is 0 for Erlang C
    and None for B; ``p_block`` only for B; ``asa`` and ``p_wait`` None for B (nobody waits).
    ``target`` is what was asked: the service level for C and A, the maximum blocking for B.
    """

    model: str
    agents: int
    offered_load_erlangs: float
    occupancy: float
    target: float
    service_level: float | None = None
    asa: float | None = None
    p_wait: float | None = None
    p_abandon: float | None = None
    p_block: float | None = None
    threshold_seconds: float | None = None
    preset: str | None = None
    max_occupancy: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Every field by name (JSON-ready). Cost: O(1).

        >>> staff_erlang_b(3600, 10, max_blocking=0.05).as_dict()["agents"]
        15
        """
        return attrs.asdict(self)


# ---------------------------------------------------------------------------- presets


def preset_service_level(
    metrics: QueueMetrics,
    rule: ServiceLevelRule,
    abandoned_within: Callable[[float], float] | None,
    threshold_seconds: float,
) -> float:
    """Service level of Erlang results under a preset, the way :func:`.kpi.service_level` counts
    records: ``abandoned_within(t)`` is the share of offered contacts abandoning within t seconds
    (None for Erlang C: nobody abandons, and every preset gives the same figure).

    Excluded short abandons leave numerator and denominator; abandons within the threshold are
    misses, hits or left out as the rule says. In the Erlang models every contact is answered or
    abandons, so both denominators (offered, answered + abandoned) are the same. Cost: two calls
    of ``abandoned_within``.
    """
    if abandoned_within is None:
        return metrics.service_level
    short = rule.short_abandon_seconds
    excluded = abandoned_within(short) if rule.exclude_short else 0.0
    within = abandoned_within(threshold_seconds)
    if rule.exclude_short:
        within -= abandoned_within(min(short, threshold_seconds))
    within = max(0.0, within)
    hits = metrics.service_level + (within if rule.abandons_within == "hit" else 0.0)
    counted = 1.0 - excluded - (within if rule.abandons_within == "ignore" else 0.0)
    return min(1.0, hits / counted) if counted > 0 else 1.0


def _rule(preset: str | ServiceLevelRule | None) -> ServiceLevelRule:
    if isinstance(preset, ServiceLevelRule):
        return preset
    try:
        return service_level_rule(preset or "experiencehub")
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


# ---------------------------------------------------------------------------- solvers


def _check_share(name: str, value: Any, *, upper_open: bool = True) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name}={value!r}: must be a number")
    if not (0 < value < 1 if upper_open else 0 < value <= 1):
        bound = "strictly between 0 and 1" if upper_open else "in (0, 1]"
        raise ConfigError(f"{name}={value!r}: must lie {bound}")
    return float(value)


def _evaluate(
    per_hour: float,
    handle_seconds: float,
    threshold_seconds: float,
    patience_seconds: float | None,
    rule: ServiceLevelRule,
) -> Callable[[int], tuple[QueueMetrics, float]]:
    """agents → (Erlang C or A metrics, service level under ``rule``)."""

    def at(agents: int) -> tuple[QueueMetrics, float]:
        if patience_seconds is None:
            metrics = erlang_c(per_hour, handle_seconds, agents, threshold_seconds)
            return metrics, preset_service_level(metrics, rule, None, threshold_seconds)
        metrics = erlang_a(per_hour, handle_seconds, agents, patience_seconds, threshold_seconds)

        def abandoned(seconds: float) -> float:
            return erlang_a_abandoned_within(
                per_hour, handle_seconds, agents, patience_seconds, seconds
            )

        return metrics, preset_service_level(metrics, rule, abandoned, threshold_seconds)

    return at


def _staff_queue(
    model: str,
    per_hour: float,
    handle_seconds: float,
    threshold_seconds: float,
    *,
    patience_seconds: float | None,
    target_sl: float,
    max_occupancy: float | None,
    preset: str | ServiceLevelRule | None,
) -> StaffingResult:
    target = _check_share("target_sl", target_sl)
    if target is None:
        raise ConfigError("target_sl=None: give the service level to reach, e.g. 0.8")
    cap = _check_share("max_occupancy", max_occupancy, upper_open=False)
    rule = _rule(preset)
    at = _evaluate(per_hour, handle_seconds, threshold_seconds, patience_seconds, rule)
    load = erlang_b(per_hour, handle_seconds, 1).offered_load_erlangs  # validates the rates

    def meets(agents: int) -> bool:
        metrics, level = at(agents)
        return level >= target and (cap is None or metrics.occupancy <= cap)

    low = 1 if patience_seconds is not None else math.floor(load) + 1
    if cap is not None and patience_seconds is None:
        low = max(low, math.ceil(load / cap))  # occupancy a/n ≤ cap
    agents = fewest_agents(meets, low)
    metrics, level = at(agents)
    return StaffingResult(
        model=model,
        agents=agents,
        offered_load_erlangs=metrics.offered_load_erlangs,
        occupancy=metrics.occupancy,
        target=target,
        service_level=level,
        asa=metrics.asa,
        p_wait=metrics.p_wait,
        p_abandon=metrics.p_abandon,
        threshold_seconds=float(threshold_seconds),
        preset=rule.name,
        max_occupancy=cap,
    )


def staff_erlang_c(
    per_hour: float,
    handle_seconds: float,
    threshold_seconds: float,
    *,
    target_sl: float = 0.8,
    max_occupancy: float | None = None,
    preset: str | ServiceLevelRule | None = None,
) -> StaffingResult:
    """The fewest agents for ``target_sl`` (strictly between 0 and 1) within ``threshold_seconds``
    under Erlang C, with occupancy at most ``max_occupancy`` (in (0, 1]) when given; ``preset``
    names the service-level rule (without abandons every preset gives the same figure).

    Raises ConfigError naming a bad value. Cost: O(log N) Erlang C evaluations of O(N), N the
    answer.

    >>> r = staff_erlang_c(100, 180, 20, target_sl=0.8)
    >>> r.agents, round(r.asa, 2), round(r.p_wait, 4)
    (8, 10.04, 0.1673)
    """
    return _staff_queue(
        "erlang_c", per_hour, handle_seconds, threshold_seconds, patience_seconds=None,
        target_sl=target_sl, max_occupancy=max_occupancy, preset=preset,
    )  # fmt: skip


def staff_erlang_a(
    per_hour: float,
    handle_seconds: float,
    threshold_seconds: float,
    patience_seconds: float,
    *,
    target_sl: float = 0.8,
    max_occupancy: float | None = None,
    preset: str | ServiceLevelRule | None = None,
) -> StaffingResult:
    """The fewest agents for ``target_sl`` under Erlang A (exponential patience with mean
    ``patience_seconds``), service level counted by ``preset`` (default ``experiencehub``:
    abandons are misses; ``genesys`` leaves short abandons out…), with occupancy at most
    ``max_occupancy`` when given. The search assumes the service level rises with agents.

    Raises ConfigError naming a bad value. Cost: O(log N) Erlang A evaluations.

    >>> r = staff_erlang_a(2700, 60, 20, 120, target_sl=0.8)
    >>> r.agents, round(r.p_abandon, 4)
    (43, 0.0733)
    >>> staff_erlang_a(2700, 60, 20, 120, target_sl=0.8, preset="amazon-connect").agents
    42
    """
    if patience_seconds is None:
        raise ConfigError("patience_seconds=None: Erlang A needs the mean patience in seconds")
    return _staff_queue(
        "erlang_a", per_hour, handle_seconds, threshold_seconds, patience_seconds=patience_seconds,
        target_sl=target_sl, max_occupancy=max_occupancy, preset=preset,
    )  # fmt: skip


def staff_erlang_b(
    per_hour: float, handle_seconds: float, *, max_blocking: float = 0.01
) -> StaffingResult:
    """The fewest agents (or lines) whose Erlang B blocking is at most ``max_blocking`` (strictly
    between 0 and 1). Blocking falls as agents are added, so the search gallops and bisects.

    Raises ConfigError naming a bad value. Cost: O(log N) evaluations of O(N).

    >>> r = staff_erlang_b(3600, 10, max_blocking=0.05)
    >>> r.agents, round(r.p_block, 4), round(r.occupancy, 4)
    (15, 0.0365, 0.6423)
    """
    target = _check_share("max_blocking", max_blocking)
    assert target is not None

    def meets(agents: int) -> bool:
        return erlang_b(per_hour, handle_seconds, agents).p_block <= target

    agents = fewest_agents(meets, 1)
    found = erlang_b(per_hour, handle_seconds, agents)
    return StaffingResult(
        model="erlang_b",
        agents=agents,
        offered_load_erlangs=found.offered_load_erlangs,
        occupancy=found.occupancy,
        target=target,
        p_block=found.p_block,
    )


# ---------------------------------------------------------------------------- command


def erlang_figures(
    kind: str,
    per_hour: float,
    handle: float,
    *,
    agents: int | None = None,
    patience: float | None = None,
    threshold: float = 20.0,
    target: float | None = None,
    max_occupancy: float | None = None,
    preset: str | ServiceLevelRule | None = None,
) -> dict[str, Any]:
    """What ``experiencehub erlang b|c|a`` prints. Give exactly one of ``agents`` (evaluate) and
    ``target`` (the service level for C and A, the maximum blocking for B: staff). The service
    level is counted by ``preset`` (a name or a rule with its switches). Raises ConfigError naming
    a bad value or combination. Cost: one evaluation, or one solver call.

    >>> out = erlang_figures("b", 3600, 10, agents=15)
    >>> out["model"], round(out["p_block"], 4)
    ('erlang_b', 0.0365)
    >>> erlang_figures("a", 2700, 60, patience=120, target=0.8, preset="genesys")["agents"]
    43
    """
    normal = kind.strip().lower() if isinstance(kind, str) else kind
    if normal not in ("b", "c", "a"):
        raise ConfigError(
            f"kind={kind!r}: must be 'b' (Erlang B), 'c' (Erlang C) or 'a' (Erlang A)"
        )
    if (agents is None) == (target is None):
        raise ConfigError(
            f"agents={agents!r}, target={target!r}: give exactly one "
            "(agents to evaluate, or a target to find the fewest agents)"
        )
    if normal != "a" and patience is not None:
        raise ConfigError(f"patience={patience!r}: only Erlang A models patience; use kind 'a'")
    if normal == "a" and patience is None:
        raise ConfigError("patience=None: Erlang A needs the mean patience in seconds")
    if normal == "b":
        return _erlang_b_figures(per_hour, handle, agents, target)
    rule = _rule(preset)
    if target is None:
        assert agents is not None
        at = _evaluate(per_hour, handle, threshold, patience, rule)
        metrics, level = at(agents)
        out = {**metrics.as_dict(), "service_level": level}
    elif normal == "c":
        out = staff_erlang_c(
            per_hour, handle, threshold, target_sl=target, max_occupancy=max_occupancy, preset=rule
        ).as_dict()
    else:
        assert patience is not None
        out = staff_erlang_a(
            per_hour, handle, threshold, patience,
            target_sl=target, max_occupancy=max_occupancy, preset=rule,
        ).as_dict()  # fmt: skip
    inputs = {"model": f"erlang_{normal}", "per_hour": per_hour, "handle_seconds": handle,
              "patience_seconds": patience, "threshold_seconds": threshold,
              "preset": rule.name, "preset_rule": rule.description}  # fmt: skip
    return {**out, **inputs}


def _erlang_b_figures(
    per_hour: float, handle: float, agents: int | None, target: float | None
) -> dict[str, Any]:
    if target is not None:
        return staff_erlang_b(per_hour, handle, max_blocking=target).as_dict()
    assert agents is not None
    found = erlang_b(per_hour, handle, agents)
    return {**found.as_dict(), "model": "erlang_b", "per_hour": per_hour, "handle_seconds": handle}
