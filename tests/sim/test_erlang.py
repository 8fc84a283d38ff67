"""Tests for experiencehub.sim.erlang: reference cases, independent re-derivations, properties, errors."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from experiencehub.core.errors import ConfigError
from experiencehub.sim.erlang import (
    QueueMetrics,
    agents_for_service_level,
    erlang_a,
    erlang_c,
    erlang_command,
)

REFERENCE = Path("/work/shared/reference/erlang_cases.json")
KEYS = ("p_wait", "p_abandon", "asa", "service_level", "mean_wait_all")
# The reference prints 6 decimals: agree to its rounding (abs 5e-7) or to 1e-6 relative.
ROUNDING = 5e-7 + 1e-12


CASES: list[dict[str, Any]] = (
    json.loads(REFERENCE.read_text())["cases"] if REFERENCE.exists() else []
)


def _run(inputs: dict[str, Any]) -> QueueMetrics:
    args = (inputs["arrivals_per_hour"], inputs["mean_handle_seconds"], int(inputs["agents"]))
    threshold = inputs["service_level_seconds"]
    if inputs["mean_patience_seconds"] is None:
        return erlang_c(*args, threshold)
    return erlang_a(*args, inputs["mean_patience_seconds"], threshold)


# ------------------------------------------------------------------ reference cases


@pytest.mark.skipif(not CASES, reason=f"{REFERENCE} not available")
def test_reference_file_has_both_models() -> None:
    assert {c["inputs"]["mean_patience_seconds"] is None for c in CASES} == {True, False}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reference_case(case: dict[str, Any]) -> None:
    got = _run(case["inputs"]).as_dict()
    for key in KEYS:
        expected = case["expected"][key]
        error = abs(got[key] - expected)
        assert error <= max(ROUNDING, 1e-6 * abs(expected)), (case["name"], key, got[key], expected)


# ------------------------------------------------------------------ independent re-derivations


def _erlang_c_by_factorials(load: float, agents: int) -> float:
    head = sum(load**k / math.factorial(k) for k in range(agents))
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    return top / (head + top)


@pytest.mark.parametrize(("load", "agents"), [(0.5, 1), (5.0, 6), (9.9, 10), (20.0, 30)])
def test_erlang_c_matches_factorial_formula(load: float, agents: int) -> None:
    m = erlang_c(per_hour=load * 3600 / 100, handle_seconds=100, agents=agents, threshold_seconds=0)
    assert m.p_wait == pytest.approx(_erlang_c_by_factorials(load, agents), rel=1e-12)
    assert m.service_level == pytest.approx(1 - m.p_wait, rel=1e-12)


def _plain_chain(lam: float, mu: float, theta: float, n: int, states: int = 300) -> list[float]:
    weights = [1.0]
    for k in range(1, states):
        weights.append(weights[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
    total = sum(weights)
    return [w / total for w in weights]


def _served_within_by_uniformisation(ahead: int, n_mu: float, theta: float, t: float) -> float:
    """P(service starts before min(t, patience)) on the absorbing chain of customers ahead.

    Transient states i = ahead … 0 (customers ahead); from i the line moves at n_mu + iθ (to
    service when i = 0) and the customer abandons at θ. Uniformised with rate big:
    P(served by t) = Σ_k Poisson(k; big·t) · P(served within k jumps).
    """
    size = ahead + 1
    big = n_mu + size * theta
    state = [0.0] * size
    state[ahead] = 1.0
    served_by_jumps, result, weight = 0.0, 0.0, math.exp(-big * t)
    for k in range(1, math.ceil(big * t + 12 * math.sqrt(big * t) + 40)):
        result += weight * served_by_jumps
        weight *= big * t / k
        new = [0.0] * size
        for i, p in enumerate(state):
            move = p * (n_mu + i * theta) / big
            new[i] += p * (1 - (n_mu + (i + 1) * theta) / big)
            if i == 0:
                served_by_jumps += move
            else:
                new[i - 1] += move
        state = new
    return result


@pytest.mark.parametrize(
    ("per_hour", "handle", "agents", "patience", "threshold"),
    [
        (30, 300, 3, 60, 30),
        (2700, 60, 50, 120, 20),
        (600, 200, 20, 45, 15),
        (200, 400, 10, 90, 0.5),
    ],
)
def test_erlang_a_matches_plain_chain_and_uniformisation(
    per_hour: float, handle: float, agents: int, patience: float, threshold: float
) -> None:
    lam, mu, theta = per_hour / 3600, 1 / handle, 1 / patience
    pi = _plain_chain(lam, mu, theta, agents)
    m = erlang_a(per_hour, handle, agents, patience, threshold)
    assert m.p_wait == pytest.approx(sum(pi[agents:]), rel=1e-9)
    mean_queue = sum((k - agents) * p for k, p in enumerate(pi) if k > agents)
    assert m.mean_wait_all == pytest.approx(mean_queue / lam, rel=1e-9)
    sl = sum(pi[:agents]) + sum(
        p * _served_within_by_uniformisation(j, agents * mu, theta, threshold)
        for j, p in enumerate(pi[agents:])
        if p > 1e-17
    )
    assert m.service_level == pytest.approx(sl, rel=1e-9)


def test_erlang_a_asa_matches_laplace_derivative() -> None:
    # E[S·e^{−θS}] = −d/ds Π r_i/(r_i+s) at s = θ, by central differences.
    per_hour, handle, agents, patience = 600, 200, 20, 45
    lam, mu, theta = per_hour / 3600, 1 / handle, 1 / patience
    pi = _plain_chain(lam, mu, theta, agents)

    def transform(j: int, s: float) -> float:
        return math.prod(
            (agents * mu + i * theta) / (agents * mu + i * theta + s) for i in range(j + 1)
        )

    h = 1e-6
    wait = sum(
        p * (transform(j, theta - h) - transform(j, theta + h)) / (2 * h)
        for j, p in enumerate(pi[agents:])
    )
    answered = sum(pi[:agents]) + sum(p * transform(j, theta) for j, p in enumerate(pi[agents:]))
    m = erlang_a(per_hour, handle, agents, patience, 20)
    assert m.asa == pytest.approx(wait / answered, rel=1e-6)
    assert 1 - m.p_abandon == pytest.approx(answered, rel=1e-9)


# ------------------------------------------------------------------ properties

loads = st.floats(min_value=0.2, max_value=120.0)
handles = st.floats(min_value=10.0, max_value=900.0)
thresholds = st.floats(min_value=0.0, max_value=300.0)
patiences = st.floats(min_value=5.0, max_value=1200.0)


def _per_hour(load: float, handle: float) -> float:
    return load * 3600 / handle


@settings(max_examples=60, deadline=None)
@given(loads, handles, st.integers(1, 20), thresholds)
def test_erlang_c_probabilities_in_range(load: float, handle: float, extra: int, t: float) -> None:
    agents = math.floor(load) + extra
    m = erlang_c(_per_hour(load, handle), handle, agents, t)
    assert 0 <= m.p_wait <= 1
    assert 1 - m.p_wait - 1e-12 <= m.service_level <= 1
    assert 0 < m.occupancy < 1
    assert m.asa == m.mean_wait_all >= 0


@settings(max_examples=60, deadline=None)
@given(loads, handles, st.integers(1, 150), patiences, thresholds)
def test_erlang_a_probabilities_in_range(
    load: float, handle: float, agents: int, patience: float, t: float
) -> None:
    m = erlang_a(_per_hour(load, handle), handle, agents, patience, t)
    assert 0 <= m.p_wait <= 1
    assert 0 <= m.p_abandon <= m.p_wait + 1e-12
    assert 1 - m.p_wait - 1e-12 <= m.service_level <= 1 - m.p_abandon + 1e-12
    assert 0 <= m.asa <= m.mean_wait_all / max(1 - m.p_abandon, 1e-300) + 1e-9
    assert 0 < m.occupancy <= 1 + 1e-12


@settings(max_examples=25, deadline=None)
@given(loads, handles, patiences, thresholds)
def test_service_level_rises_with_agents(
    load: float, handle: float, patience: float, t: float
) -> None:
    per_hour = _per_hour(load, handle)
    stable = math.floor(load) + 1
    c_levels = [erlang_c(per_hour, handle, n, t).service_level for n in range(stable, stable + 6)]
    a_levels = [
        erlang_a(per_hour, handle, n, patience, t).service_level for n in range(1, stable + 6)
    ]
    for levels in (c_levels, a_levels):
        assert all(b >= a - 1e-12 for a, b in itertools.pairwise(levels))


@settings(max_examples=30, deadline=None)
@given(st.floats(0.5, 60.0), handles, st.integers(1, 10), thresholds)
def test_erlang_a_tends_to_erlang_c(load: float, handle: float, extra: int, t: float) -> None:
    per_hour, agents = _per_hour(load, handle), math.floor(load) + extra
    # within a hair of instability (agents - load → 0) Erlang C's waits diverge and any finite
    # patience, however long, matters: the limit A → C holds away from that edge
    assume(agents - load >= 0.05)
    c = erlang_c(per_hour, handle, agents, t)
    a = erlang_a(per_hour, handle, agents, 1e9 * handle, t)
    assert a.p_abandon < 1e-5
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-4, abs=1e-9)
    # service level is 1 - P(wait > t): near p_wait = 1 it inherits p_wait's error as an absolute one
    assert a.service_level == pytest.approx(c.service_level, rel=1e-4, abs=1e-4 * c.p_wait + 1e-9)
    assert a.asa == pytest.approx(c.asa, rel=1e-3, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(loads, handles, thresholds, st.floats(0.05, 0.99), st.one_of(st.none(), patiences))
def test_staffing_is_minimal(
    load: float, handle: float, t: float, target: float, patience: float | None
) -> None:
    per_hour = _per_hour(load, handle)
    n = agents_for_service_level(per_hour, handle, t, target_sl=target, patience_seconds=patience)

    def level(agents: int) -> float:
        if patience is None:
            return erlang_c(per_hour, handle, agents, t).service_level
        return erlang_a(per_hour, handle, agents, patience, t).service_level

    assert level(n) >= target
    if patience is None:
        assert n > load
        assert n == math.floor(load) + 1 or level(n - 1) < target
    else:
        assert n == 1 or level(n - 1) < target


# ------------------------------------------------------------------ edges and scale


def test_large_centre_has_no_overflow() -> None:
    c = erlang_c(per_hour=3600 * 950 / 300, handle_seconds=300, agents=1000, threshold_seconds=20)
    a = erlang_a(3600 * 1100 / 300, 300, 1000, 180, 20)
    for m in (c, a):
        assert all(math.isfinite(v) for v in m.as_dict().values())
        assert 0 < m.p_wait < 1
    assert agents_for_service_level(3600 * 950 / 300, 300, 20, target_sl=0.8) > 950


def test_erlang_a_threshold_limits() -> None:
    zero = erlang_a(2700, 60, 48, 120, 0)
    assert zero.service_level == pytest.approx(1 - zero.p_wait, rel=1e-12)
    forever = erlang_a(2700, 60, 48, 120, 1e7)
    assert forever.service_level == pytest.approx(1 - forever.p_abandon, rel=1e-9)


def test_overloaded_erlang_a_is_stable() -> None:
    m = erlang_a(
        per_hour=7200, handle_seconds=60, agents=60, patience_seconds=30, threshold_seconds=20
    )
    assert m.p_abandon > 0.5
    assert m.occupancy == pytest.approx(1.0, abs=1e-3)


def test_as_dict_has_reference_keys_and_extras() -> None:
    d = erlang_c(100, 180, 6, 20).as_dict()
    assert set(KEYS) <= set(d)
    assert d["agents"] == 6
    assert d["offered_load_erlangs"] == pytest.approx(5.0)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda: erlang_c(-1, 180, 6, 20), "per_hour=-1"),
        (lambda: erlang_c(0, 180, 6, 20), "per_hour=0"),
        (lambda: erlang_c(100, float("nan"), 6, 20), "handle_seconds=nan"),
        (lambda: erlang_c(100, 180, 0, 20), "agents=0"),
        (lambda: erlang_c(100, 180, 6.0, 20), "agents=6.0"),
        (lambda: erlang_c(100, 180, True, 20), "agents=True"),
        (lambda: erlang_c(100, 180, 6, -1), "threshold_seconds=-1"),
        (lambda: erlang_c(100, 180, 5, 20), "grows without bound"),
        (lambda: erlang_a(100, 180, 5, 0, 20), "patience_seconds=0"),
        (lambda: erlang_a(100, 180, 5, "60", 20), "patience_seconds='60'"),
        (lambda: agents_for_service_level(100, 180, 20, target_sl=1.0), "target_sl=1.0"),
        (lambda: agents_for_service_level(100, 180, 20, target_sl=0), "target_sl=0"),
    ],
)
def test_bad_inputs_raise_config_error(call: object, names: str) -> None:
    with pytest.raises(ConfigError, match=names.replace("(", r"\(")):
        call()  # type: ignore[operator]


def test_unstable_erlang_c_says_why() -> None:
    with pytest.raises(ConfigError) as info:
        erlang_c(per_hour=120, handle_seconds=180, agents=6, threshold_seconds=20)
    assert "p_wait = 1" in str(info.value)
    assert "6 erlangs" in str(info.value)


# ------------------------------------------------------------------ command


def test_command_evaluates_given_agents() -> None:
    out = erlang_command("a", 2700, 60, 50, 120, 20, None)
    assert set(KEYS) <= set(out)
    assert out["model"] == "erlang_a"
    assert out["agents"] == 50
    assert out["p_abandon"] == pytest.approx(0.014722, abs=5e-7)
    json.dumps(out)  # printable as JSON


def test_command_finds_agents_for_target() -> None:
    out = erlang_command("C", 1200, 240, None, None, 20, 0.8)
    assert out["agents"] == agents_for_service_level(1200, 240, 20, target_sl=0.8)
    assert out["service_level"] >= 0.8
    assert erlang_c(1200, 240, out["agents"] - 1, 20).service_level < 0.8
    assert out["target_sl"] == 0.8


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("b", 100, 180, 6, None, 20, None), "kind='b'"),
        (("a", 100, 180, 6, None, 20, None), "patience=None"),
        (("c", 100, 180, 6, 60, 20, None), "patience=60"),
        (("c", 100, 180, None, None, 20, None), "give exactly one"),
        (("c", 100, 180, 6, None, 20, 0.8), "give exactly one"),
    ],
)
def test_command_rejects_bad_combinations(args: tuple[object, ...], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        erlang_command(*args)  # type: ignore[arg-type]
