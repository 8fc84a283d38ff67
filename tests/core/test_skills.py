"""SkillGraph: serving costs through hierarchy and substitution edges."""

from __future__ import annotations

import pytest

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
