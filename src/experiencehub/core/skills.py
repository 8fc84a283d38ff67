"""SkillGraph: which skills can serve which needs, at what cost.

An edge ``u → v`` with cost ``c`` says "an agent with skill ``u`` can serve a need for ``v`` at
cost ``c``". Hierarchy edges (a child skill serves its parent's need) and substitution edges
(``billing.uk`` serves ``billing.eu`` at cost 2) are both such edges. Every skill serves itself at
cost 0. The graph is a networkx ``DiGraph``; shortest-path costs are computed once, when the graph
is frozen (the router freezes it at construction), never per event.

>>> g = SkillGraph()
>>> g.add_substitute("billing.uk", serves="billing.eu", cost=2)
>>> g.add_child("billing.eu", parent="billing")
>>> g.freeze()
>>> g.cost("billing.uk", "billing")
2.0
>>> g.cost("billing", "billing.eu") is None
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import networkx as nx

from .errors import ConfigError

__all__ = ["SkillGraph"]


class SkillGraph:
    """Skills as nodes, "can serve" edges with non-negative costs."""

    def __init__(self, skills: Iterable[str] = ()) -> None:
        self._graph = nx.DiGraph()
        self._serves_cost: dict[str, dict[str, float]] | None = None
        for skill in skills:
            self.add_skill(skill)

    # -- building -------------------------------------------------------------------------
    def add_skill(self, skill: str) -> None:
        """Add a skill with no edges. Cost: O(1)."""
        self._check_open()
        _check_name(skill)
        self._graph.add_node(skill)

    def add_substitute(self, skill: str, *, serves: str, cost: float) -> None:
        """Agents with ``skill`` may serve needs for ``serves`` at ``cost``. Cost: O(1)."""
        self._check_open()
        _check_name(skill)
        _check_name(serves)
        if isinstance(cost, bool) or not isinstance(cost, (int, float)):
            raise ConfigError(f"cost={cost!r} for {skill}→{serves}: must be a number")
        if not math.isfinite(cost) or cost < 0:
            raise ConfigError(f"cost={cost!r} for {skill}→{serves}: must be finite and >= 0")
        if skill == serves:
            raise ConfigError(f"{skill}→{serves}: a skill always serves itself at cost 0")
        self._graph.add_edge(skill, serves, cost=float(cost))

    def add_child(self, child: str, *, parent: str, cost: float = 0) -> None:
        """Hierarchy: an agent with ``child`` (``billing.eu``) serves needs for ``parent``.
        Cost: O(1)."""
        self.add_substitute(child, serves=parent, cost=cost)

    @classmethod
    def from_edges(cls, edges: Iterable[tuple[str, str, float]]) -> SkillGraph:
        """Build from ``(skill, serves, cost)`` triples. Cost: O(E), E edges."""
        graph = cls()
        for skill, serves, cost in edges:
            graph.add_substitute(skill, serves=serves, cost=cost)
        return graph

    def freeze(self) -> None:
        """Compute all shortest serving costs (Dijkstra from every need). Cost: O(S·E log S)."""
        if self._serves_cost is not None:
            return
        reverse = self._graph.reverse(copy=False)
        self._serves_cost = {
            need: dict(nx.single_source_dijkstra_path_length(reverse, need, weight="cost"))
            for need in self._graph.nodes
        }

    # -- queries --------------------------------------------------------------------------
    @property
    def skills(self) -> frozenset[str]:
        """Every skill the graph knows. Cost: O(skills)."""
        return frozenset(self._graph.nodes)

    @property
    def graph(self) -> nx.DiGraph:
        """The underlying networkx graph (read it, do not change it). Cost: O(1)."""
        return self._graph

    def cost(self, have: str, need: str) -> float | None:
        """Cheapest cost for an agent skilled in ``have`` to serve ``need``; None if it cannot.

        Cost: O(1) once frozen.
        """
        if have == need:
            return 0.0
        table = self._frozen().get(need)
        if table is None:
            return None
        found = table.get(have)
        return None if found is None else float(found)

    def serving_cost(
        self, agent_skills: Mapping[str, int], requires: Mapping[str, int]
    ) -> tuple[float, int] | None:
        """Cost for an agent to serve every required skill at its minimum level, and proficiency.

        The cost is the sum, over required skills, of the cheapest agent skill (at or above the
        minimum level) that serves it; the proficiency is the lowest level among those chosen
        skills. None when some requirement cannot be served. Cost: O(R·K), R required skills, K
        agent skills.
        """
        total = 0.0
        proficiency = math.inf
        for need, min_level in requires.items():
            best: tuple[float, int] | None = None
            for have, level in agent_skills.items():
                if level < min_level:
                    continue
                cost = self.cost(have, need)
                if cost is not None and (best is None or (cost, -level) < (best[0], -best[1])):
                    best = (cost, level)
            if best is None:
                return None
            total += best[0]
            proficiency = min(proficiency, best[1])
        return total, (0 if proficiency == math.inf else int(proficiency))

    def _frozen(self) -> dict[str, dict[str, float]]:
        if self._serves_cost is None:
            self.freeze()
        assert self._serves_cost is not None
        return self._serves_cost

    def _check_open(self) -> None:
        if self._serves_cost is not None:
            raise ConfigError("the skill graph is frozen (a router uses it); build a new one")

    def _check(self) -> None:
        """Assert invariants: non-negative costs; frozen table agrees with the graph."""
        for _u, _v, cost in self._graph.edges(data="cost"):
            assert cost >= 0
        if self._serves_cost is not None:
            assert set(self._serves_cost) == set(self._graph.nodes)

    def __repr__(self) -> str:
        edges = [(u, w, c) for u, w, c in self._graph.edges(data="cost")]
        return f"SkillGraph.from_edges({edges!r})"


def _check_name(skill: object) -> None:
    if not isinstance(skill, str) or not skill:
        raise ConfigError(f"skill {skill!r}: must be a non-empty string")
