"""asv suite for the simulator: µs per simulated customer.

Two scenarios from ``scenarios/``: the single queue of the Erlang reference (case "a-medium": 50
agents, 2,700 calls an hour, exponential patience), shortened to 4 simulated hours after its
1-hour warm-up (~13,500 customers), and the 3-channel multi-skill omnichannel day (12 hours, shifts,
breaks, transfers, callbacks, ~3,200 customers), one replication each.

``track_us_per_customer`` reports wall time of one replication divided by the contacts it simulated
(warm-up and callbacks included), the median of three runs; ``track_router_events_per_customer``
how many events the engine sent to ``Router.handle`` per contact, which is what the per-customer
cost mostly scales with. ``time_replication`` is asv's own timing of one replication.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from experiencehub.sim.engine import run
from experiencehub.sim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("single-queue", "omnichannel-day")
SINGLE_QUEUE_HOURS = 4.0  # the file simulates 24 h; 4 h keeps one asv sample under ~2 s
REPEATS = 3


def load(name: str) -> Scenario:
    """The named scenario, sized for benchmarking (one replication)."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    if name == "single-queue":
        return scenario.with_overrides(duration=SINGLE_QUEUE_HOURS * 3600.0, replications=1)
    return scenario.with_overrides(replications=1)


class SimulatedCustomer:
    params = list(SCENARIOS)
    param_names = ["scenario"]
    timeout = 600.0

    def setup(self, name: str) -> None:
        self.scenario = load(name)

    def time_replication(self, name: str) -> None:
        run(self.scenario)

    def track_us_per_customer(self, name: str) -> float:
        costs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            result = run(self.scenario)
            costs.append(1e6 * (time.perf_counter() - started) / len(result.records))
        return statistics.median(costs)

    track_us_per_customer.unit = "µs/customer"  # type: ignore[attr-defined]

    def track_router_events_per_customer(self, name: str) -> float:
        result = run(self.scenario)
        return result.router_events / len(result.records)

    track_router_events_per_customer.unit = "events/customer"  # type: ignore[attr-defined]
