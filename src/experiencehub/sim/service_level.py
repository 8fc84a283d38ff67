"""Service-level rules: how abandons within the threshold count, the denominator, short
abandons; the named presets; and :func:`service_level`, which counts records under a rule.

Service level is not one formula in the industry, so the rule is a parameter (docs/kpis.md
explains each switch and preset). This module never simulates; :mod:`.kpi`, which builds every
other KPI on it, re-exports its names.

>>> rule = PRESETS["genesys"]
>>> rule.denominator, rule.exclude_short
('answered_plus_abandoned', True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..records import ContactRecord

__all__ = [
    "ABANDONS_WITHIN",
    "DENOMINATORS",
    "PRESETS",
    "ServiceLevelRule",
    "service_level",
    "service_level_rule",
]


@attrs.frozen(kw_only=True)
class ServiceLevelRule:
    """How service level is counted; see docs/kpis.md.

    - ``abandons_within``: abandons within the threshold count as ``miss`` (in the denominator,
      not the numerator), ``hit`` (in both) or ``ignore`` (in neither).
    - ``denominator``: ``offered`` (every contact) or ``answered_plus_abandoned``.
    - ``short_abandon_seconds``: abandons before it are *short*; with ``exclude_short`` they are
      left out of the service level altogether (they are always counted apart in the KPIs).
    """

    name: str
    abandons_within: str = "miss"
    denominator: str = "offered"
    short_abandon_seconds: float = 5.0
    exclude_short: bool = False
    description: str = ""

    def with_short_abandon(self, seconds: float | None) -> ServiceLevelRule:
        """The same rule with another short-abandon cutoff (None keeps it). Cost: O(1)."""
        if seconds is None:
            return self
        return attrs.evolve(self, short_abandon_seconds=float(seconds))

    def with_switches(
        self,
        *,
        abandons_within: str | None = None,
        denominator: str | None = None,
        short_abandon_seconds: float | None = None,
        exclude_short: bool | None = None,
    ) -> ServiceLevelRule:
        """The same rule with some switches changed (None keeps each); a changed rule keeps its
        name and gets a :meth:`describe` description. Raises ValueError naming a bad value.
        Cost: O(1).

        >>> rule = PRESETS["experiencehub"].with_switches(exclude_short=True, short_abandon_seconds=10)
        >>> rule.name, rule.description
        ('experiencehub', 'answered within T / offered (abandons within T are misses), abandons before 10 s excluded')
        """
        changes: dict[str, Any] = {
            key: value
            for key, value in (
                ("abandons_within", abandons_within),
                ("denominator", denominator),
                ("short_abandon_seconds", short_abandon_seconds),
                ("exclude_short", exclude_short),
            )
            if value is not None and value != getattr(self, key)
        }
        _check_switches(changes)
        if not changes:
            return self
        changed = attrs.evolve(self, **changes)
        return attrs.evolve(changed, description=changed.describe())

    def describe(self) -> str:
        """The rule in words, from its switches. Cost: O(1).

        >>> PRESETS["genesys"].describe()
        'answered within T / (answered + abandoned) (abandons within T are misses), abandons before 5 s excluded'
        """
        denominator = "offered" if self.denominator == "offered" else "(answered + abandoned)"
        within = {"miss": "are misses", "hit": "are hits", "ignore": "are left out"}
        text = (
            f"answered within T / {denominator} (abandons within T {within[self.abandons_within]})"
        )
        if self.exclude_short:
            text += f", abandons before {self.short_abandon_seconds:g} s excluded"
        return text


ABANDONS_WITHIN = ("miss", "hit", "ignore")
"""How a service-level rule may count abandons within the threshold."""

DENOMINATORS = ("offered", "answered_plus_abandoned")
"""The service-level denominators a rule may use."""


def _check_switches(changes: Mapping[str, object]) -> None:
    allowed: dict[str, tuple[str, ...]] = {
        "abandons_within": ABANDONS_WITHIN,
        "denominator": DENOMINATORS,
    }
    for key, choices in allowed.items():
        if key in changes and changes[key] not in choices:
            raise ValueError(f"{key}={changes[key]!r}: must be one of {', '.join(choices)}")
    seconds = changes.get("short_abandon_seconds")
    if seconds is not None and (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 <= seconds < math.inf
    ):
        raise ValueError(f"short_abandon_seconds={seconds!r}: must be a finite number >= 0")


def service_level_rule(
    preset: str = "experiencehub",
    *,
    abandons_within: str | None = None,
    denominator: str | None = None,
    short_abandon_seconds: float | None = None,
    exclude_short: bool | None = None,
) -> ServiceLevelRule:
    """The preset ``preset`` with its switches overridden where given (None keeps the preset's):
    what ``[kpis]`` in a scenario and ``--preset`` with its switches on the command line build.
    Raises ValueError naming an unknown preset or a bad switch. Cost: O(1).

    >>> service_level_rule("genesys", short_abandon_seconds=10).short_abandon_seconds
    10.0
    """
    if preset not in PRESETS:
        raise ValueError(f"preset={preset!r}: must be one of {', '.join(PRESETS)}")
    rule = PRESETS[preset].with_switches(
        abandons_within=abandons_within,
        denominator=denominator,
        short_abandon_seconds=short_abandon_seconds,
        exclude_short=exclude_short,
    )
    return attrs.evolve(rule, short_abandon_seconds=float(rule.short_abandon_seconds))


PRESETS: dict[str, ServiceLevelRule] = {
    rule.name: rule
    for rule in (
        ServiceLevelRule(
            name="experiencehub",
            description="answered within T / offered (abandons are misses)",
        ),
        ServiceLevelRule(
            name="amazon-connect",
            abandons_within="hit",
            description="left the queue within T (answered or abandoned) / offered",
        ),
        ServiceLevelRule(
            name="genesys",
            denominator="answered_plus_abandoned",
            exclude_short=True,
            description="answered within T / (answered + abandoned), short abandons excluded",
        ),
        ServiceLevelRule(
            name="cisco-ignore",
            abandons_within="ignore",
            description="answered within T / (offered - abandoned within T)",
        ),
        ServiceLevelRule(
            name="cisco-miss",
            description="answered within T / offered (abandons within T are misses)",
        ),
        ServiceLevelRule(
            name="cisco-hit",
            abandons_within="hit",
            description="(answered + abandoned within T) / offered",
        ),
    )
}
"""Named service-level presets; every report prints the one it used."""


def service_level(records: Iterable[ContactRecord], rule: ServiceLevelRule) -> float | None:
    """Service level of the records under ``rule``; None with an empty denominator. Cost: O(n)."""
    hits = denominator = 0
    for r in records:
        wait = r.wait
        if r.outcome == "abandoned":
            if rule.exclude_short and (wait or 0.0) < rule.short_abandon_seconds:
                continue
            if wait is not None and wait <= r.threshold:
                if rule.abandons_within == "ignore":
                    continue
                hits += rule.abandons_within == "hit"
            denominator += 1
            continue
        if r.answered_at is not None:
            hits += r.answered_at - r.arrived_at <= r.threshold
            denominator += 1
        elif rule.denominator == "offered":
            denominator += 1
    return hits / denominator if denominator else None
