"""RouterConfig: everything needed to build identical routers, and the oracle's own copy of the
rules a configuration implies (default cross-channel rules, cheapest serving costs).

It computes what it needs itself (Floyd–Warshall over the skill edges), never with the router's
code, so the oracle stays independent of what it checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from ..core.queues import QueueSpec
from ..core.router import Router
from ..core.skills import SkillGraph

__all__ = ["DEFAULT_CHANNEL_RULES", "RouterConfig", "serving_costs"]

DEFAULT_CHANNEL_RULES: Mapping[str, tuple[str, ...]] = {
    "phone": ("*",),
    "chat": ("phone",),
    "email": (),
}
"""The router's documented default cross-channel rules, restated here as the oracle's copy."""


def _edges(value: Iterable[tuple[str, str, float]]) -> tuple[tuple[str, str, float], ...]:
    return tuple((str(u), str(v), float(c)) for u, v, c in value)


def _queues(value: Iterable[QueueSpec]) -> tuple[QueueSpec, ...]:
    return tuple(value)


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class RouterConfig:
    """Everything needed to build identical routers: skill edges, queues and router options
    (``contact_selection`` names one of the built-in contact selections).

    ``repr`` is valid Python, so a failing configuration can be pasted into a test.
    Cost: building a router is O(S·E log S) for the skill graph.

    >>> cfg = RouterConfig(queues=(QueueSpec("q", channel="phone"),), offer_timeout=10.0)
    >>> cfg.build().next_deadline() is None
    True
    """

    queues: tuple[QueueSpec, ...] = attrs.field(converter=_queues)
    skill_edges: tuple[tuple[str, str, float], ...] = attrs.field(default=(), converter=_edges)
    skills: tuple[str, ...] = attrs.field(default=(), converter=_names)
    agent_policy: str = "longest_idle"
    seed: int = 0
    offer_timeout: float | None = 30.0
    max_unanswered_offers: int | None = 3
    channel_rules: Mapping[str, tuple[str, ...]] | None = None
    contact_selection: str = "priority_then_wait"  # by name: the model restates the built-ins

    def skill_graph(self) -> SkillGraph:
        """A new (unfrozen) skill graph with this configuration's skills and edges.

        Cost: O(S + E) for S skills and E edges.
        """
        graph = SkillGraph.from_edges(self.skill_edges)
        for skill in self.skills:
            if skill not in graph.skills:
                graph.add_skill(skill)
        return graph

    def build(self) -> Router:
        """A fresh router for this configuration.

        Cost: O(S·E log S) for the skill graph, plus O(Q) for Q queues.
        """
        return Router(
            self.skill_graph(),
            self.queues,
            agent_policy=self.agent_policy,
            seed=self.seed,
            offer_timeout=self.offer_timeout,
            max_unanswered_offers=self.max_unanswered_offers,
            channel_rules=self.channel_rules,
            contact_selection=self.contact_selection,
        )

    @property
    def rules(self) -> Mapping[str, tuple[str, ...]]:
        """The cross-channel rules: the configured ones, else the documented defaults.

        Cost: O(1).
        """
        return DEFAULT_CHANNEL_RULES if self.channel_rules is None else self.channel_rules

    @property
    def channels(self) -> tuple[str, ...]:
        """The queues' channels, sorted, each once. Cost: O(Q log Q) for Q queues."""
        return tuple(sorted({q.channel for q in self.queues}))

    @property
    def all_skills(self) -> tuple[str, ...]:
        """Every skill named by the graph, the skill list or a queue requirement, sorted.

        Cost: O(S log S + E + Q·R) for R requirements per queue.
        """
        found = set(self.skills)
        for u, v, _c in self.skill_edges:
            found.update((u, v))
        for queue in self.queues:
            found.update(queue.requires)
        return tuple(sorted(found))


def serving_costs(config: RouterConfig) -> dict[tuple[str, str], float]:
    """(have, need) → the cheapest cost of serving ``need`` with ``have``, over chains of the
    configuration's "serves" edges (Floyd–Warshall: the model's own, not the router's, computation).
    Every skill serves itself at cost 0. Cost: O(S³) — tiny graphs only."""
    skills = config.all_skills
    best: dict[tuple[str, str], float] = {(skill, skill): 0.0 for skill in skills}
    for have, need, cost in config.skill_edges:
        if have != need and cost < best.get((have, need), float("inf")):
            best[(have, need)] = float(cost)
    for via in skills:
        for have in skills:
            first = best.get((have, via))
            if first is None:
                continue
            for need in skills:
                second = best.get((via, need))
                if second is not None and first + second < best.get((have, need), float("inf")):
                    best[(have, need)] = first + second
    return best
