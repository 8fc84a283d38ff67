"""Exact Erlang B (M/M/n/n), C (M/M/n) and A (M/M/n+M) results for one queue, and a staffing helper.

This module owns the queueing formulas used for staffing and for checking the simulator against
``tests/sim/erlang_cases.json``. It never simulates, never does I/O and uses only ``math``.

Model: Poisson arrivals (``per_hour``), exponential handle times (mean ``handle_seconds``), ``agents``
identical agents, one FIFO queue; Erlang A adds exponential patience (mean ``patience_seconds``).

- **Erlang B** (blocked contacts are lost) is the stable recursion below.
- **Erlang C** uses the closed form, with Erlang B from the stable recursion
  ``B(k) = a·B(k−1) / (k + a·B(k−1))`` (no factorials, fine for thousands of agents).
- **Erlang A** uses the stationary distribution of the birth–death chain on the number in system,
  built in log space and truncated once a geometric bound on the remaining mass falls below
  ``TAIL_TOLERANCE`` (1e-15) of the total. Conditioning on the ``j`` customers ahead at arrival, the
  wait until service is a sum of exponential phases with rates ``nμ + iθ`` (i = j…0) racing the
  customer's own patience; this gives exact answer probabilities, ASA and service level (the service
  level through a negative-binomial sum, derived in docs/erlang.md).

>>> m = erlang_c(per_hour=100, handle_seconds=180, agents=6, threshold_seconds=20)
>>> round(m.p_wait, 6), round(m.service_level, 6)
(0.587516, 0.474267)
>>> agents_for_service_level(100, 180, 20, target_sl=0.8)
8
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from experiencehub.core.errors import ConfigError

__all__ = [
    "TAIL_TOLERANCE",
    "BlockingMetrics",
    "QueueMetrics",
    "agents_for_service_level",
    "erlang_a",
    "erlang_a_abandoned_within",
    "erlang_b",
    "erlang_c",
    "erlang_command",
    "fewest_agents",
]

TAIL_TOLERANCE = 1e-15
"""Erlang A truncates the chain when the bound on the mass left out is below this share of the total."""

_MAX_QUEUE_STATES = 5_000_000
"""Erlang A refuses chains longer than this (tiny patience rates under heavy overload)."""

_MAX_AGENTS = 1_000_000
"""The staffing helper gives up above this many agents."""

_SECONDS_PER_HOUR = 3600.0


@attrs.frozen
class QueueMetrics:
    """Steady-state results of one queue. Probabilities are shares of offered contacts; times in seconds.

    ``asa`` is the mean wait of answered contacts (those answered at once count 0);
    ``mean_wait_all`` the mean wait of every arrival (abandoners until they abandon);
    ``service_level`` the share of offered contacts answered within the threshold;
    ``occupancy`` the share of agent time spent handling.
    """

    agents: int
    offered_load_erlangs: float
    p_wait: float
    p_abandon: float
    asa: float
    service_level: float
    mean_wait_all: float
    occupancy: float

    def as_dict(self) -> dict[str, float]:
        """The reference-file keys (p_wait, p_abandon, asa, service_level, mean_wait_all) plus extras.

        Cost: O(1).

        >>> sorted(erlang_c(100, 180, 6, 20).as_dict())[:3]
        ['agents', 'asa', 'mean_wait_all']
        """
        return {
            "p_wait": self.p_wait,
            "p_abandon": self.p_abandon,
            "asa": self.asa,
            "service_level": self.service_level,
            "mean_wait_all": self.mean_wait_all,
            "occupancy": self.occupancy,
            "offered_load_erlangs": self.offered_load_erlangs,
            "agents": self.agents,
        }


# ---------------------------------------------------------------------------- input checks


def _check_number(name: str, value: Any, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name}={value!r}: must be a number")
    rule = ">= 0" if allow_zero else "> 0"
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name}={value!r}: must be finite and {rule}")
    return float(value)


def _check_agents(agents: Any) -> int:
    if isinstance(agents, bool) or not isinstance(agents, int):
        raise ConfigError(f"agents={agents!r}: must be a whole number of agents")
    if agents < 1:
        raise ConfigError(f"agents={agents!r}: must be at least 1")
    return agents


def _check_target(target_sl: Any) -> float:
    if isinstance(target_sl, bool) or not isinstance(target_sl, (int, float)):
        raise ConfigError(f"target_sl={target_sl!r}: must be a number")
    if not 0 < target_sl < 1:
        raise ConfigError(f"target_sl={target_sl!r}: must lie strictly between 0 and 1")
    return float(target_sl)


def _offered_load(per_hour: Any, handle_seconds: Any) -> float:
    rate = _check_number("per_hour", per_hour, allow_zero=False)
    handle = _check_number("handle_seconds", handle_seconds, allow_zero=False)
    return rate * handle / _SECONDS_PER_HOUR


def _check_stable(load: float, agents: int) -> None:
    if load >= agents:
        raise ConfigError(
            f"agents={agents}: Erlang C needs more agents than the offered load ({load:.6g} erlangs); "
            "with load >= agents the queue grows without bound (p_wait = 1, waits infinite). "
            "Add agents, or model patience with Erlang A."
        )


# ---------------------------------------------------------------------------- Erlang C


def _erlang_b(load: float, agents: int) -> float:
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


@attrs.frozen
class BlockingMetrics:
    """Erlang B (M/M/n/n: a contact that finds every agent busy is lost, e.g. blocked calls).

    ``p_block`` is the share of offered contacts blocked; ``carried_load_erlangs`` the load the
    agents handle, a·(1 − B); ``occupancy`` that over the agents.
    """

    agents: int
    offered_load_erlangs: float
    p_block: float
    carried_load_erlangs: float
    occupancy: float

    def as_dict(self) -> dict[str, float]:
        """Every field by name. Cost: O(1)."""
        return attrs.asdict(self)


def erlang_b(per_hour: float, handle_seconds: float, agents: int) -> BlockingMetrics:
    """Erlang B blocking for ``agents`` agents (or lines), by the stable recursion
    B(k) = a·B(k−1) / (k + a·B(k−1)), which never overflows. Stable at any load.

    Raises ConfigError for non-positive rates or handle times, or fewer than one agent.
    Cost: O(agents).

    >>> round(erlang_b(per_hour=3600, handle_seconds=10, agents=15).p_block, 4)  # 10 erlangs
    0.0365
    """
    load = _offered_load(per_hour, handle_seconds)
    agents = _check_agents(agents)
    blocking = _erlang_b(load, agents)
    carried = load * (1.0 - blocking)
    return BlockingMetrics(agents, load, blocking, carried, carried / agents)


def _erlang_c_p_wait(load: float, agents: int) -> float:
    blocking = _erlang_b(load, agents)
    return agents * blocking / (agents - load * (1.0 - blocking))


def erlang_c(
    per_hour: float, handle_seconds: float, agents: int, threshold_seconds: float
) -> QueueMetrics:
    """Erlang C (M/M/n, infinite patience) for ``agents`` agents.

    Raises ConfigError for non-positive rates or handle times, fewer than one agent, a negative
    threshold, or an unstable queue (offered load >= agents).
    Cost: O(agents).

    >>> m = erlang_c(2700, 60, 50, 20)
    >>> round(m.asa, 6), round(m.occupancy, 2)
    (4.366374, 0.9)
    """
    load = _offered_load(per_hour, handle_seconds)
    agents = _check_agents(agents)
    threshold = _check_number("threshold_seconds", threshold_seconds, allow_zero=True)
    _check_stable(load, agents)
    p_wait = _erlang_c_p_wait(load, agents)
    drain_per_second = (agents - load) / float(handle_seconds)  # nμ − λ
    asa = p_wait / drain_per_second
    return QueueMetrics(
        agents=agents,
        offered_load_erlangs=load,
        p_wait=p_wait,
        p_abandon=0.0,
        asa=asa,
        service_level=1.0 - p_wait * math.exp(-drain_per_second * threshold),
        mean_wait_all=asa,
        occupancy=load / agents,
    )


# ---------------------------------------------------------------------------- Erlang A


@attrs.frozen
class _Chain:
    """Stationary distribution of M/M/n+M: mass with a free agent, and π(n + j) for j = 0, 1, …"""

    no_wait: float
    queued: list[float]


def _log_weights(load: float, agents: int, service: float, abandon: float) -> list[float]:
    """log of unnormalised π(k), k = 0 … n + J, truncated by the tail bound (see TAIL_TOLERANCE)."""
    logs = [0.0]
    for k in range(1, agents + 1):
        logs.append(logs[-1] + math.log(load / k))
    arrival = load * service
    log_total = _log_sum(logs)
    log_tolerance = math.log(TAIL_TOLERANCE)
    j = 0
    while True:
        ratio = arrival / (agents * service + (j + 1) * abandon)  # π(n+j+1) / π(n+j)
        if ratio < 1 and logs[-1] + math.log(ratio / (1 - ratio)) < log_total + log_tolerance:
            return logs
        if j >= _MAX_QUEUE_STATES:
            raise ConfigError(
                f"Erlang A chain longer than {_MAX_QUEUE_STATES} queue states: the patience is too "
                "long for this overload; shorten patience_seconds or add agents"
            )
        logs.append(logs[-1] + math.log(ratio))
        log_total = _log_add(log_total, logs[-1])
        j += 1


def _log_sum(logs: list[float]) -> float:
    top = max(logs)
    return top + math.log(math.fsum(math.exp(x - top) for x in logs))


def _log_add(a: float, b: float) -> float:
    top, low = (a, b) if a >= b else (b, a)
    return top + math.log1p(math.exp(low - top))


def _chain(load: float, agents: int, service: float, abandon: float) -> _Chain:
    logs = _log_weights(load, agents, service, abandon)
    log_total = _log_sum(logs)
    probs = [math.exp(x - log_total) for x in logs]
    return _Chain(no_wait=math.fsum(probs[:agents]), queued=probs[agents:])


def _negbin_tails(shape: float, abandon: float, threshold: float, count: int) -> list[float]:
    """P(N ≥ J) for J = 1 … count, N negative-binomial: failures before the ``shape``-th success,
    success probability x = e^{−θT}. Terms accumulate in log space (see docs/erlang.md).

    1 − P(N < J) is exact enough while it is large; once it falls below one half the tail is
    summed from above instead (the terms past ``count`` until their bound is negligible, then
    backwards), because 1 − cdf near 1 is rounding noise of about 1e-16 per term, which made a
    service level of 1e-139 read as 1e-12 under heavy overload.
    """
    fail = -math.expm1(-abandon * threshold)  # 1 − e^{−θT}
    if fail == 0.0:  # T = 0 (or below float resolution): N = 0
        return [0.0] * count
    log_fail = math.log(fail)
    log_term = -shape * abandon * threshold  # log P(N = 0) = shape·log e^{−θT}
    terms = []
    for j in range(count):
        terms.append(math.exp(log_term))  # P(N = j)
        log_term += math.log((shape + j) / (j + 1)) + log_fail
    tails, cdf = [], 0.0
    for term in terms:
        cdf += term
        tails.append(max(0.0, 1.0 - cdf))
    if not tails or tails[-1] >= 0.5:
        return tails
    above = _negbin_tail(shape, abandon, threshold, count)  # P(N ≥ count)
    for j in range(count - 1, -1, -1):  # tails[j] = P(N ≥ j + 1)
        if tails[j] >= 0.5:
            break
        tails[j] = above
        above += terms[j]
    return tails


def _negbin_tail(shape: float, abandon: float, threshold: float, first: int) -> float:
    """P(N ≥ first) = I_x(first, shape), the regularized incomplete beta function at the
    failure probability x = 1 − e^{−θT}. Summing the terms from ``first`` upwards (as this once
    did) needs about 40 / e^{−θT} of them when ``shape`` < 1 and x is near 1 — billions for a
    short patience and a long threshold — where the continued fraction needs a few dozen.
    Cost: O(√first + √shape) iterations."""
    return _incomplete_beta(float(first), shape, -math.expm1(-abandon * threshold),
                            math.exp(-abandon * threshold))  # fmt: skip


def _incomplete_beta(a: float, b: float, x: float, y: float) -> float:
    """I_x(a, b), with y = 1 − x given exactly (x may lie within rounding of 1). In the region
    where the continued fraction converges fast it is evaluated directly (in log space: tails
    far below 1e-300 stay exact relative to themselves), else through I_x(a, b) = 1 − I_y(b, a),
    which happens only when the result is above about one half (no cancellation)."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log(y))  # fmt: skip
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, y) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        for aa in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                   -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):  # fmt: skip
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-16:
            break
    return h


def _served_within(chain: _Chain, ratio_b: float, abandon: float, threshold: float) -> float:
    """P(answered within threshold): Σ_j π(n+j)·b/(b+j+1)·P(NegBin(b+1, e^{−θT}) ≥ j+1), b = nμ/θ."""
    tails = _negbin_tails(ratio_b + 1.0, abandon, threshold, len(chain.queued))
    total = [chain.no_wait]
    for j, (prob, tail) in enumerate(zip(chain.queued, tails, strict=True)):
        total.append(prob * ratio_b / (ratio_b + j + 1) * tail)
    return math.fsum(total)


def _answered_wait(chain: _Chain, ratio_b: float, abandon: float) -> tuple[float, float]:
    """(P(answered), E[wait · 1{answered}]) from the phase rates nμ + iθ racing Exp(θ) patience."""
    answered = [chain.no_wait]
    wait_answered = []
    harmonic = 0.0  # Σ_{m=1}^{j+1} 1/(b+m)
    for j, prob in enumerate(chain.queued):
        harmonic += 1.0 / (ratio_b + j + 1)
        p_served = prob * ratio_b / (ratio_b + j + 1)
        answered.append(p_served)
        wait_answered.append(p_served * harmonic / abandon)
    return math.fsum(answered), math.fsum(wait_answered)


def erlang_a(
    per_hour: float,
    handle_seconds: float,
    agents: int,
    patience_seconds: float,
    threshold_seconds: float,
) -> QueueMetrics:
    """Erlang A (M/M/n+M: exponential patience with mean ``patience_seconds``), exact.

    Stable for any load. Raises ConfigError for non-positive rates, handle or patience times, fewer
    than one agent or a negative threshold.
    Cost: O(agents + J), J the truncated queue length (about load/agents·patience/handle under
    overload, a few dozen states otherwise).

    >>> m = erlang_a(2700, 60, 50, 120, 20)
    >>> round(m.p_abandon, 6), round(m.service_level, 6)
    (0.014722, 0.977893)
    """
    load = _offered_load(per_hour, handle_seconds)
    agents = _check_agents(agents)
    patience = _check_number("patience_seconds", patience_seconds, allow_zero=False)
    threshold = _check_number("threshold_seconds", threshold_seconds, allow_zero=True)
    service, abandon = 1.0 / float(handle_seconds), 1.0 / patience
    chain = _chain(load, agents, service, abandon)
    ratio_b = agents * service / abandon
    mean_queue = math.fsum(j * p for j, p in enumerate(chain.queued))
    arrival = load * service
    p_answered, wait_answered = _answered_wait(chain, ratio_b, abandon)
    return QueueMetrics(
        agents=agents,
        offered_load_erlangs=load,
        p_wait=_clamp01(math.fsum(chain.queued)),
        p_abandon=_clamp01(abandon * mean_queue / arrival),  # abandons/s over arrivals/s
        asa=wait_answered / p_answered,
        service_level=_clamp01(_served_within(chain, ratio_b, abandon, threshold)),
        mean_wait_all=mean_queue / arrival,  # Little's law on the waiting line
        occupancy=_clamp01(load * p_answered / agents),
    )


def erlang_a_abandoned_within(
    per_hour: float,
    handle_seconds: float,
    agents: int,
    patience_seconds: float,
    seconds: float,
) -> float:
    """Share of offered contacts that abandon within ``seconds`` of arriving (Erlang A), exact.

    With j customers ahead, the wait S for an agent is hypoexponential with rates θ(b + m),
    m = 0 … j (b = nμ/θ), so P(S ≤ t) = P(NegBin(b, e^{−θt}) ≥ j + 1); the customer has left the
    line by t unless both S and its patience exceed t, and abandoned unless answered by t:
    P(abandon by t | j) = 1 − e^{−θt}·P(S > t) − P(answered by t | j). Service-level presets
    that treat abandons within the threshold (or short abandons) apart need it (docs/erlang.md).
    Cost: as :func:`erlang_a`.

    >>> round(erlang_a_abandoned_within(2700, 60, 50, 120, 1e9), 6)  # every abandon, in the end
    0.014722
    """
    load = _offered_load(per_hour, handle_seconds)
    agents = _check_agents(agents)
    patience = _check_number("patience_seconds", patience_seconds, allow_zero=False)
    within = _check_number("seconds", seconds, allow_zero=True)
    service, abandon = 1.0 / float(handle_seconds), 1.0 / patience
    chain = _chain(load, agents, service, abandon)
    ratio_b = agents * service / abandon
    count = len(chain.queued)
    started = _negbin_tails(ratio_b, abandon, within, count)  # P(S ≤ t | j)
    answered = _negbin_tails(ratio_b + 1.0, abandon, within, count)
    stays = math.exp(-abandon * within)  # P(patience > t)
    total = []
    for j, prob in enumerate(chain.queued):
        left = 1.0 - stays * (1.0 - started[j])
        total.append(prob * max(0.0, left - ratio_b / (ratio_b + j + 1) * answered[j]))
    return _clamp01(math.fsum(total))


def _clamp01(probability: float) -> float:
    """Sums of normalised terms can round a few ulps past 0 or 1."""
    return min(1.0, max(0.0, probability))


# ---------------------------------------------------------------------------- staffing


def agents_for_service_level(
    per_hour: float,
    handle_seconds: float,
    threshold_seconds: float,
    *,
    target_sl: float = 0.8,
    patience_seconds: float | None = None,
) -> int:
    """The fewest agents whose service level reaches ``target_sl`` (Erlang C, or A with patience).

    For Erlang C the answer is never below the stability bound floor(load) + 1. The search gallops
    up from the lower bound and bisects, relying on service level rising with agents.
    Cost: O(log N) evaluations of erlang_c / erlang_a at up to 2N agents, N the answer.

    >>> agents_for_service_level(2700, 60, 20, target_sl=0.8, patience_seconds=120)
    43
    """
    target = _check_target(target_sl)
    load = _offered_load(per_hour, handle_seconds)
    _check_number("threshold_seconds", threshold_seconds, allow_zero=True)
    if patience_seconds is not None:
        _check_number("patience_seconds", patience_seconds, allow_zero=False)

    def meets(agents: int) -> bool:
        if patience_seconds is None:
            metrics = erlang_c(per_hour, handle_seconds, agents, threshold_seconds)
        else:
            metrics = erlang_a(
                per_hour, handle_seconds, agents, patience_seconds, threshold_seconds
            )
        return metrics.service_level >= target

    low = 1 if patience_seconds is not None else math.floor(load) + 1
    return fewest_agents(meets, low)


def fewest_agents(meets: Callable[[int], bool], low: int) -> int:
    """The smallest n >= ``low`` with ``meets(n)``, for a predicate that stays true once true
    (a service level or blocking target as agents are added): gallop up, then bisect. Raises
    ConfigError above a million agents. Cost: O(log N) calls of ``meets``, N the answer.

    >>> fewest_agents(lambda n: n * n >= 50, 1)
    8
    """
    if meets(low):
        return low
    failing, step = low, 1
    while not meets(failing + step):
        failing += step
        step *= 2
        if failing + step > _MAX_AGENTS:
            raise ConfigError(f"target_sl not reached with {_MAX_AGENTS} agents")
    passing = failing + step
    while passing - failing > 1:
        middle = (failing + passing) // 2
        if meets(middle):
            passing = middle
        else:
            failing = middle
    return passing


# ---------------------------------------------------------------------------- command


def erlang_command(  # noqa: PLR0917 (the CLI owner's agreed positional signature)
    kind: str,
    per_hour: float,
    handle: float,
    agents: int | None,
    patience: float | None,
    threshold: float,
    target_sl: float | None,
) -> dict[str, Any]:
    """What ``experiencehub erlang c|a`` prints: the metrics dict plus the model and its inputs.

    Give exactly one of ``agents`` and ``target_sl``; with ``target_sl`` the staffing helper picks
    the agents (reported as "agents"). ``patience`` is required for kind "a" and refused for "c".
    Cost: that of erlang_c / erlang_a, or of agents_for_service_level.

    >>> out = erlang_command("c", 100, 180, None, None, 20, 0.8)
    >>> out["agents"], round(out["service_level"], 3)
    (8, 0.88)
    """
    kind = _check_kind(kind, patience)
    if (agents is None) == (target_sl is None):
        raise ConfigError(
            f"agents={agents!r}, target_sl={target_sl!r}: give exactly one "
            "(agents to evaluate, or target_sl to find the fewest agents)"
        )
    if target_sl is not None:
        agents = agents_for_service_level(
            per_hour, handle, threshold, target_sl=target_sl, patience_seconds=patience
        )
    assert agents is not None  # one of the two was given, checked above
    if kind == "c":
        metrics = erlang_c(per_hour, handle, agents, threshold)
    else:
        assert patience is not None  # _check_kind requires it for "a"
        metrics = erlang_a(per_hour, handle, agents, patience, threshold)
    inputs = {
        "model": f"erlang_{kind}",
        "per_hour": per_hour,
        "handle_seconds": handle,
        "patience_seconds": patience,
        "threshold_seconds": threshold,
        "target_sl": target_sl,
    }
    return {**metrics.as_dict(), **inputs}


def _check_kind(kind: Any, patience: float | None) -> str:
    normal = kind.strip().lower() if isinstance(kind, str) else kind
    if normal not in ("c", "a"):
        raise ConfigError(f"kind={kind!r}: must be 'c' (Erlang C) or 'a' (Erlang A)")
    if normal == "a" and patience is None:
        raise ConfigError("patience=None: Erlang A needs the mean patience in seconds")
    if normal == "c" and patience is not None:
        raise ConfigError(
            f"patience={patience!r}: Erlang C assumes infinite patience; use kind 'a' to model it"
        )
    return str(normal)
