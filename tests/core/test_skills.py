"""SkillGraph: serving costs through hierarchy and substitution edges."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_networkx import graph_builder

from experiencehub import ConfigError, SkillGraph


def graph() -> SkillGraph:
    g = SkillGraph()
    g.add_child("billing.eu", parent="billing")
    g.add_child("billing.uk", parent="billing")
    g.add_substitute("billing.uk", serves="billing.eu", cost=2)
    g.add_substitute("lang.de", serves="lang.at", cost=1)
    return g


def test_costs_follow_the_cheapest_path() -> None:
    g = graph()
    assert g.cost("billing.eu", "billing.eu") == 0
    assert g.cost("billing.eu", "billing") == 0
    assert g.cost("billing.uk", "billing.eu") == 2
    assert (
        g.cost("billing", "billing.eu") is None
    )  # a generalist does not serve the specialist need
    assert g.cost("unknown", "unknown") == 0


def test_serving_cost_sums_requirements_and_respects_levels() -> None:
    g = graph()
    agent = {"billing.uk": 3, "lang.de": 1}
    assert g.serving_cost(agent, {"billing.eu": 2, "lang.at": 1}) == (3.0, 1)
    assert g.serving_cost(agent, {"billing.eu": 4}) is None
    assert g.serving_cost({"billing.eu": 1, "billing.uk": 5}, {"billing.eu": 1}) == (0.0, 1)
    assert g.serving_cost({"billing.eu": 1, "billing.uk": 5}, {"billing.eu": 2}) == (2.0, 5)


def test_frozen_graph_refuses_changes() -> None:
    g = graph()
    g.freeze()
    with pytest.raises(ConfigError, match="frozen"):
        g.add_skill("x")


def test_repr_rebuilds_the_graph() -> None:
    g = graph()
    rebuilt = eval(repr(g), {"SkillGraph": SkillGraph})
    assert rebuilt.cost("billing.uk", "billing.eu") == 2


@pytest.mark.parametrize("cost", [-1, float("inf"), float("nan"), "2"])
def test_bad_costs_are_refused(cost: object) -> None:
    with pytest.raises(ConfigError, match="cost"):
        SkillGraph().add_substitute("a", serves="b", cost=cost)  # type: ignore[arg-type]


def test_self_edge_is_refused() -> None:
    with pytest.raises(ConfigError, match="serves itself"):
        SkillGraph().add_substitute("a", serves="a", cost=1)


_GRAPHS = graph_builder(
    graph_type=nx.DiGraph,
    node_keys=st.text(alphabet="abcdefgh.", min_size=1, max_size=4).filter(lambda s: s.strip(".")),
    edge_data=st.fixed_dictionaries({"cost": st.integers(0, 5).map(float)}),
    min_nodes=1,
    max_nodes=9,
    connected=False,
)


@settings(max_examples=150, deadline=None)
@given(_GRAPHS)
def test_costs_match_an_independent_all_pairs_shortest_path(graph: nx.DiGraph) -> None:
    """Every cost equals Floyd–Warshall's on the same edges (the graph freezes with Dijkstra from
    each need over the reversed graph): hierarchy, substitution and multi-hop paths alike."""
    skills = SkillGraph(graph.nodes)
    for have, need, data in graph.edges(data=True):
        skills.add_substitute(have, serves=need, cost=data["cost"])
    skills.freeze()
    reference = nx.floyd_warshall(graph, weight="cost")
    for have in graph.nodes:
        for need in graph.nodes:
            expected = 0.0 if have == need else reference[have][need]
            got = skills.cost(have, need)
            assert (got is None) == math.isinf(expected), (have, need, got, expected)
            if got is not None:
                assert got == expected, (have, need, got, expected)
