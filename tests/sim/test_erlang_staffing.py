"""Tests for Erlang B, abandons within t (Erlang A), presets under Erlang, and the staffing solvers.

The oracles compute independently: Erlang B and C from exact rational factorial sums
(fractions.Fraction), abandons within t by uniformising each small absorbing chain.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub.core.errors import ConfigError
from experiencehub.sim.erlang import (
    erlang_a,
    erlang_a_abandoned_within,
    erlang_b,
    erlang_c,
    fewest_agents,
)
from experiencehub.sim.erlang_staffing import (
    erlang_figures,
    preset_service_level,
    staff_erlang_a,
    staff_erlang_b,
    staff_erlang_c,
)
from experiencehub.sim.kpi import PRESETS, service_level_rule


def _exact_b(load: Fraction, agents: int) -> Fraction:
    terms = [load**k / math.factorial(k) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


def _exact_c(load: Fraction, agents: int) -> Fraction:
    head = sum(load**k / math.factorial(k) for k in range(agents))
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    return top / (head + top)


# ------------------------------------------------------------------ Erlang B


@pytest.mark.parametrize(
    ("load", "agents", "published"),
    [(10, 15, 0.0365), (5, 10, 0.0184), (20, 30, 0.0085), (2, 5, 0.0367)],
)
def test_erlang_b_matches_published_tables_and_exact_sums(
    load: int, agents: int, published: float
) -> None:
    m = erlang_b(per_hour=load * 360, handle_seconds=10, agents=agents)
    exact = float(_exact_b(Fraction(load), agents))
    assert m.p_block == pytest.approx(exact, rel=1e-12)
    assert round(m.p_block, 4) == published
    assert m.carried_load_erlangs == pytest.approx(load * (1 - exact), rel=1e-12)
    assert m.occupancy == pytest.approx(load * (1 - exact) / agents, rel=1e-12)


def test_erlang_b_large_centre_has_no_overflow() -> None:
    m = erlang_b(per_hour=3600 * 1000 / 10, handle_seconds=10, agents=1100)
    assert 0 < m.p_block < 1e-3


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(1, 80))
def test_erlang_b_exact_and_falls_with_agents(load_tenths: int, agents: int) -> None:
    load = Fraction(load_tenths, 10)
    got = erlang_b(float(load) * 3600 / 100, 100, agents).p_block
    assert got == pytest.approx(float(_exact_b(load, agents)), rel=1e-9)
    assert erlang_b(float(load) * 36, 100, agents + 1).p_block < got


def test_erlang_c_check_value_against_exact_sums() -> None:
    # 10 erlangs on 12 agents: the textbook P(wait) 0.4494.
    m = erlang_c(per_hour=3600, handle_seconds=10, agents=12, threshold_seconds=0)
    assert m.p_wait == pytest.approx(float(_exact_c(Fraction(10), 12)), rel=1e-12)
    assert round(m.p_wait, 4) == 0.4494


def test_erlang_b_refuses_bad_inputs() -> None:
    for call, name in (
        (lambda: erlang_b(0, 10, 5), "per_hour=0"),
        (lambda: erlang_b(10, 10, 0), "agents=0"),
        (lambda: erlang_b(10, -1, 2), "handle_seconds=-1"),
    ):
        with pytest.raises(ConfigError, match=name):
            call()


# ------------------------------------------------------------------ abandons within t


def _chain(lam: float, mu: float, theta: float, n: int, states: int = 300) -> list[float]:
    weights = [1.0]
    for k in range(1, states):
        weights.append(weights[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
    total = sum(weights)
    return [w / total for w in weights]


def _abandoned_by_uniformisation(ahead: int, n_mu: float, theta: float, t: float) -> float:
    """P(the customer abandons before t) on the absorbing chain of customers ahead (i = ahead…0):
    the line moves at n_mu + iθ (to service at i = 0), the customer abandons at θ."""
    size = ahead + 1
    big = n_mu + (size + 1) * theta
    state = [0.0] * size
    state[ahead] = 1.0
    gone, result, weight = 0.0, 0.0, math.exp(-big * t)
    for k in range(1, math.ceil(big * t + 12 * math.sqrt(big * t) + 40)):
        result += weight * gone
        weight *= big * t / k
        new = [0.0] * size
        for i, p in enumerate(state):
            move, leave = p * (n_mu + i * theta) / big, p * theta / big
            new[i] += p - move - leave
            gone += leave
            if i > 0:
                new[i - 1] += move
        state = new
    return result


@pytest.mark.parametrize(
    ("per_hour", "handle", "agents", "patience", "t"),
    [(30, 300, 3, 60, 30), (2700, 60, 50, 120, 20), (600, 200, 20, 45, 5), (200, 400, 10, 90, 60)],
)
def test_abandoned_within_matches_uniformisation(
    per_hour: float, handle: float, agents: int, patience: float, t: float
) -> None:
    lam, mu, theta = per_hour / 3600, 1 / handle, 1 / patience
    pi = _chain(lam, mu, theta, agents)
    expected = sum(
        p * _abandoned_by_uniformisation(j, agents * mu, theta, t)
        for j, p in enumerate(pi[agents:])
        if p > 1e-17
    )
    got = erlang_a_abandoned_within(per_hour, handle, agents, patience, t)
    assert got == pytest.approx(expected, rel=1e-8, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.5, 60.0), st.floats(20.0, 600.0), st.integers(-3, 10),
    st.floats(10.0, 900.0), st.floats(0.0, 300.0),
)  # fmt: skip
def test_abandoned_within_limits_and_monotone(
    load: float, handle: float, extra: int, patience: float, t: float
) -> None:
    agents = max(1, math.floor(load) + extra)
    per_hour = load * 3600 / handle
    at = erlang_a_abandoned_within(per_hour, handle, agents, patience, t)
    later = erlang_a_abandoned_within(per_hour, handle, agents, patience, t + 30)
    total = erlang_a(per_hour, handle, agents, patience, t).p_abandon
    assert erlang_a_abandoned_within(per_hour, handle, agents, patience, 0) == 0
    assert 0 <= at <= later + 1e-12
    assert later <= total + 1e-9
    assert erlang_a_abandoned_within(per_hour, handle, agents, patience, 1e12) == pytest.approx(
        total,
        rel=1e-9,
        abs=1e-12,  # the sum of differences loses ~1e-16 per state
    )


# ------------------------------------------------------------------ presets under Erlang


def test_presets_under_erlang_a_follow_their_definitions() -> None:
    args = (2700, 60, 42, 120)
    m = erlang_a(*args, 20)

    def within(t: float) -> float:
        return erlang_a_abandoned_within(*args, t)

    sl = {name: preset_service_level(m, rule, within, 20) for name, rule in PRESETS.items()}
    assert sl["experiencehub"] == sl["cisco-miss"] == m.service_level
    assert sl["amazon-connect"] == pytest.approx(m.service_level + within(20))
    assert sl["cisco-ignore"] == pytest.approx(m.service_level / (1 - within(20)))
    assert sl["genesys"] == pytest.approx(m.service_level / (1 - within(5)))
    assert sl["experiencehub"] < sl["genesys"] < sl["cisco-ignore"] < sl["amazon-connect"]


def test_presets_agree_under_erlang_c() -> None:
    m = erlang_c(2700, 60, 49, 20)
    assert {preset_service_level(m, r, None, 20) for r in PRESETS.values()} == {m.service_level}


def test_short_abandons_past_the_threshold_are_excluded_but_no_hit_counted_twice() -> None:
    args = (2700, 60, 42, 120)
    m = erlang_a(*args, 20)
    rule = service_level_rule("amazon-connect", exclude_short=True, short_abandon_seconds=30)

    def within(t: float) -> float:
        return erlang_a_abandoned_within(*args, t)

    # every abandon within T is short: excluded from both sides, none counted as a hit
    expected = m.service_level / (1 - within(30))
    assert preset_service_level(m, rule, within, 20) == pytest.approx(expected)


# ------------------------------------------------------------------ solvers


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.5, 80.0), st.floats(20.0, 600.0), st.floats(0.0, 120.0),
    st.floats(0.5, 0.95), st.none() | st.floats(0.6, 1.0),
    st.sampled_from(sorted(PRESETS)), st.none() | st.floats(10.0, 900.0),
)  # fmt: skip
def test_staffing_is_minimal_and_reports_what_it_achieves(  # noqa: PLR0917 (hypothesis draws)
    load: float, handle: float, t: float, target: float, cap: float | None,
    preset: str, patience: float | None,
) -> None:  # fmt: skip
    per_hour = load * 3600 / handle
    if patience is None:
        r = staff_erlang_c(per_hour, handle, t, target_sl=target, max_occupancy=cap, preset=preset)
    else:
        r = staff_erlang_a(
            per_hour, handle, t, patience, target_sl=target, max_occupancy=cap, preset=preset
        )
    assert r.service_level is not None and r.service_level >= target
    assert cap is None or r.occupancy <= cap
    again = erlang_figures(
        "c" if patience is None else "a", per_hour, handle, agents=r.agents, patience=patience,
        threshold=t, preset=preset,
    )  # fmt: skip
    assert again["service_level"] == r.service_level
    assert again["occupancy"] == r.occupancy
    if r.agents > 1 and (patience is not None or r.agents - 1 > load):
        fewer = erlang_figures(
            "c" if patience is None else "a", per_hour, handle, agents=r.agents - 1,
            patience=patience, threshold=t, preset=preset,
        )  # fmt: skip
        assert fewer["service_level"] < target or (cap is not None and fewer["occupancy"] > cap)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.1, 200.0), st.floats(0.001, 0.5))
def test_erlang_b_staffing_is_minimal(load: float, max_blocking: float) -> None:
    r = staff_erlang_b(load * 36, 100, max_blocking=max_blocking)
    assert r.p_block is not None and r.p_block <= max_blocking
    if r.agents > 1:
        assert erlang_b(load * 36, 100, r.agents - 1).p_block > max_blocking


def test_erlang_b_staffing_published_value() -> None:
    # 10 erlangs at 1% blocking (grade of service P.01): 18 lines.
    r = staff_erlang_b(3600, 10, max_blocking=0.01)
    assert r.agents == 18 and r.model == "erlang_b"
    assert r.service_level is None and r.asa is None


def test_max_occupancy_binds_when_service_level_alone_would_not() -> None:
    free = staff_erlang_c(2700, 60, 20, target_sl=0.8)
    capped = staff_erlang_c(2700, 60, 20, target_sl=0.8, max_occupancy=0.85)
    assert free.occupancy > 0.85 >= capped.occupancy
    assert capped.agents == math.ceil(45 / 0.85)


def test_fewest_agents_refuses_an_unreachable_target() -> None:
    with pytest.raises(ConfigError, match="not reached"):
        fewest_agents(lambda n: False, 1)


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda: staff_erlang_c(100, 180, 20, target_sl=1.0), "target_sl=1.0"),
        (lambda: staff_erlang_c(100, 180, 20, max_occupancy=0), "max_occupancy=0"),
        (lambda: staff_erlang_c(100, 180, 20, preset="nice"), "preset='nice'"),
        (lambda: staff_erlang_b(100, 180, max_blocking=0), "max_blocking=0"),
        (lambda: erlang_figures("d", 100, 180, agents=3), "kind='d'"),
        (lambda: erlang_figures("c", 100, 180), "give exactly one"),
        (lambda: erlang_figures("b", 100, 180, agents=2, patience=3), "patience=3"),
        (lambda: erlang_figures("a", 100, 180, agents=2), "patience=None"),
    ],
)
def test_bad_inputs_raise_config_error(call: object, names: str) -> None:
    with pytest.raises(ConfigError, match=names.replace("(", r"\(")):
        call()  # type: ignore[operator]


def test_service_level_under_heavy_overload_is_not_rounding_noise() -> None:
    # 117 erlangs on 81-83 agents, patience 20 min, T = 137 s: almost nobody is answered within
    # T. 1 − cdf of the negative binomial read 1e-12 here, and more agents gave a lower figure.
    load, handle, patience, t = 117.06993404301177, 10.0, 1200.0, 137.0
    per_hour = load * 3600 / handle
    levels = [erlang_a(per_hour, handle, n, patience, t).service_level for n in range(80, 96)]
    assert all(b >= a for a, b in itertools.pairwise(levels))
    assert levels[1] < 1e-100
    # the tail summed from above agrees with uniformisation where both are representable
    # 12 erlangs on 10 agents: the tails come from above, and agree with uniformisation
    lam, mu, theta, agents = 0.12, 0.01, 1 / 600, 10
    pi = _chain(lam, mu, theta, agents, states=400)
    m = erlang_a(lam * 3600, 1 / mu, agents, 1 / theta, 5)
    direct = sum(pi[:agents]) + sum(
        p * _served_by_uniformisation(j, agents * mu, theta, 5)
        for j, p in enumerate(pi[agents:])
        if p > 1e-17
    )
    assert m.service_level == pytest.approx(direct, rel=1e-9)


def _served_by_uniformisation(ahead: int, n_mu: float, theta: float, t: float) -> float:
    """P(service starts before min(t, patience)) on the absorbing chain of customers ahead."""
    size = ahead + 1
    big = n_mu + (size + 1) * theta
    state = [0.0] * size
    state[ahead] = 1.0
    served, result, weight = 0.0, 0.0, math.exp(-big * t)
    for k in range(1, math.ceil(big * t + 12 * math.sqrt(big * t) + 40)):
        result += weight * served
        weight *= big * t / k
        new = [0.0] * size
        for i, p in enumerate(state):
            move, leave = p * (n_mu + i * theta) / big, p * theta / big
            new[i] += p - move - leave
            if i == 0:
                served += move
            else:
                new[i - 1] += move
        state = new
    return result


def test_abandoned_within_a_long_threshold_and_a_short_patience_is_prompt() -> None:
    """Half-loaded single agent, 10 s patience, 190 s threshold: the tail of the abandon count
    used to be summed term by term, about 40 / e^{−θT} ≈ 10^10 terms (it hung a random test)."""
    got = erlang_a_abandoned_within(4.540180575274815, 396.46, 1, 10, 190.48741760012996)
    total = erlang_a(4.540180575274815, 396.46, 1, 10, 190.48741760012996).p_abandon
    assert 0 < got <= total + 1e-12
    assert got == pytest.approx(erlang_a_abandoned_within(4.540180575274815, 396.46, 1, 10, 1e9),
                                rel=1e-6)  # fmt: skip
