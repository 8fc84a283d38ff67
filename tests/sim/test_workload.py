"""Workload: seeded streams, samplers' moments, arrival processes, customers' fates."""

from __future__ import annotations

import math
import random
import statistics
from pathlib import Path

import pytest

from experiencehub.sim.scenario import Arrivals, Distribution, load_scenario_text
from experiencehub.sim.workload import CustomerSource, arrival_times, sampler, stream

N = 40_000


def test_streams_are_reproducible_and_independent() -> None:
    assert stream(1, 0, "x").random() == stream(1, 0, "x").random()
    values = {stream(1, 0, "x").random(), stream(1, 1, "x").random(), stream(2, 0, "x").random()}
    values.add(stream(1, 0, "y").random())
    assert len(values) == 4


@pytest.mark.parametrize(
    ("dist", "mean", "sd"),
    [
        (Distribution(kind="exponential", mean=60.0), 60.0, 60.0),
        (Distribution(kind="lognormal", mean=300.0, sd=120.0), 300.0, 120.0),
        (Distribution(kind="gamma", mean=200.0, sd=50.0), 200.0, 50.0),
        (Distribution(kind="deterministic", value=7.5), 7.5, 0.0),
        (
            Distribution(kind="empirical", values=(1.0, 2.0, 3.0, 10.0)),
            4.0,
            statistics.pstdev([1, 2, 3, 10]),
        ),
    ],
)
def test_samplers_match_mean_and_sd(dist: Distribution, mean: float, sd: float) -> None:
    draw = sampler(dist, random.Random(5))
    xs = [draw() for _ in range(N)]
    # 5 standard errors: a wrong parametrisation (e.g. sd of the log) misses by far more
    assert statistics.fmean(xs) == pytest.approx(mean, abs=5 * sd / math.sqrt(N) + 1e-9)
    assert statistics.pstdev(xs) == pytest.approx(sd, rel=0.05, abs=1e-9)
    assert min(xs) >= 0


def test_poisson_arrivals_count_and_order() -> None:
    times = list(
        arrival_times(Arrivals(kind="poisson", per_hour=3600.0), random.Random(2), end=10_000.0)
    )
    assert times == sorted(times) and all(0 <= t < 10_000 for t in times)
    assert len(times) == pytest.approx(10_000, abs=5 * 100)  # Poisson sd = 100


def test_piecewise_rates_follow_each_piece_and_repeat() -> None:
    arrivals = Arrivals(
        kind="piecewise", rates_per_hour=(3600.0, 0.0, 7200.0), piece_seconds=1000.0
    )
    times = list(arrival_times(arrivals, random.Random(4), end=6000.0))
    counts = [sum(1 for t in times if k * 1000 <= t < (k + 1) * 1000) for k in range(6)]
    assert counts[1] == counts[4] == 0
    for k, expected in ((0, 1000), (2, 2000), (3, 1000), (5, 2000)):
        assert counts[k] == pytest.approx(expected, abs=5 * math.sqrt(expected))


def test_trace_replays_the_file(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("arrival_seconds,note\n5,a\n1.5,b\n\n99,c\n")
    arrivals = Arrivals(kind="trace", path="t.csv")
    assert list(arrival_times(arrivals, random.Random(0), end=50.0, base_dir=str(tmp_path))) == [
        1.5,
        5.0,
    ]


SCENARIO = """
[simulation]
duration = 3600
seed = 3
[[queues]]
name = "chat"
channel = "chat"
requires = ["s"]
[[queues]]
name = "phone"
channel = "phone"
requires = ["s"]
[[agents]]
group = "g"
count = 5
skills = { s = 1 }
[[workload]]
queue = "chat"
arrivals = { kind = "poisson", per_hour = 100 }
handle_seconds = { kind = "exponential", mean = 60 }
patience_seconds = { kind = "exponential", mean = 30 }
callback = { probability = 0.25, queue = "phone", delay_seconds = { kind = "deterministic", value = 10 } }
repeat = { probability = 0.5, delay_seconds = { kind = "deterministic", value = 20 } }
[[workload]]
queue = "phone"
arrivals = { kind = "poisson", per_hour = 50 }
handle_seconds = { kind = "exponential", mean = 60 }
"""


def test_customer_fates_are_common_random_numbers() -> None:
    scenario = load_scenario_text(SCENARIO)
    a, b = CustomerSource(scenario, 0, 0), CustomerSource(scenario, 0, 0)
    first = [a.customer(float(t)) for t in range(200)]
    assert first == [b.customer(float(t)) for t in range(200)]
    other = CustomerSource(scenario, 0, 1)
    assert first != [other.customer(float(t)) for t in range(200)]


def test_fate_probabilities_and_delays() -> None:
    source = CustomerSource(load_scenario_text(SCENARIO), 0, 0)
    customers = [source.customer(0.0) for _ in range(8000)]
    callbacks = [c.callback_after for c in customers if c.callback_after is not None]
    repeats = [c.repeat_after for c in customers if c.repeat_after is not None]
    assert len(callbacks) / 8000 == pytest.approx(0.25, abs=0.025)
    assert len(repeats) / 8000 == pytest.approx(0.5, abs=0.03)
    assert set(callbacks) == {10.0} and set(repeats) == {20.0}
    assert all(c.patience_seconds is not None and c.transfer_handle is None for c in customers)
