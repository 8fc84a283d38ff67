"""asv suite for the simulator: µs per simulated customer.

Two scenarios from ``scenarios/``: the single queue of the Erlang reference (case "a-medium": 50
agents, 2,700 calls an hour, exponential patience), shortened to 4 simulated hours after its
1-hour warm-up (~13,500 customers), and the 3-channel multi-skill omnichannel day (12 hours, shifts,
breaks, transfers, callbacks, ~3,200 customers), one replication each.

``track_us_per_customer`` reports wall time of one replication divided by the contacts it simulated
(warm-up and callbacks included), the median of three runs; ``track_router_events_per_customer``
how many events the engine sent to ``Router.handle`` per contact, which is what the per-customer
cost mostly scales with. ``time_replication`` is asv's own timing of one replication.

``MillionContactDay`` is target 3 of docs/performance.md: ``scenarios/million-day.toml``, one
simulated day of ~1,000,000 contacts on phone, chat and e-mail with 2,000 agents, wanted in ≤ 60 s.
It runs the day once (``setup_cache``, a minute or two) and tracks wall seconds, µs per contact and
router events per contact; ``asv run --bench MillionContactDay``. :func:`million_day` is the same
measurement as a function (``python benchmarks/compare.py --day`` uses it).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

from experiencehub.sim.engine import run
from experiencehub.sim.kpi import PRESETS, run_kpis
from experiencehub.sim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("single-queue", "omnichannel-day")
SINGLE_QUEUE_HOURS = 4.0  # the file simulates 24 h; 4 h keeps one asv sample under ~2 s
REPEATS = 3
MILLION_DAY = "million-day"  # target 3 in docs/performance.md
JOURNEYS = "customer-journeys"


def load(name: str) -> Scenario:
    """The named scenario, sized for benchmarking (one replication)."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    if name == "single-queue":
        return scenario.with_overrides(duration=SINGLE_QUEUE_HOURS * 3600.0, replications=1)
    return scenario.with_overrides(replications=1)


def us_per_customer(scenario: Scenario) -> float:
    """Wall µs of one replication per contact it simulated, the median of REPEATS runs."""
    costs = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = run(scenario)
        costs.append(1e6 * (time.perf_counter() - started) / len(result.records))
    return statistics.median(costs)


class SimulatedCustomer:
    params = list(SCENARIOS)
    param_names = ["scenario"]
    timeout = 600.0

    def setup(self, name: str) -> None:
        self.scenario = load(name)

    def time_replication(self, name: str) -> None:
        run(self.scenario)

    def track_us_per_customer(self, name: str) -> float:
        return us_per_customer(self.scenario)

    track_us_per_customer.unit = "µs/customer"  # type: ignore[attr-defined]

    def track_router_events_per_customer(self, name: str) -> float:
        result = run(self.scenario)
        return result.router_events / len(result.records)

    track_router_events_per_customer.unit = "events/customer"  # type: ignore[attr-defined]


class CustomerModel:
    """What the customer model costs per contact: ``scenarios/customer-journeys.toml`` (IVR,
    asks, unresolved returns, dropped chats calling back) with the context layer off and on, the
    same customers in both. With context on every contact goes through ``ExperienceHub`` and a
    ``MemoryContextStore`` (identity resolution, contact records, verifications, a brief per
    offer); the difference of the two tracks is that cost."""

    params = ["off", "on"]
    param_names = ["context"]
    timeout = 600.0

    def setup(self, context: str) -> None:
        self.scenario = load(JOURNEYS).with_context(context == "on")

    def track_us_per_customer(self, context: str) -> float:
        return us_per_customer(self.scenario)

    track_us_per_customer.unit = "µs/customer"  # type: ignore[attr-defined]


# -- target 3 (docs/performance.md): a day of 1,000,000 contacts ----------------------------------
def peak_rss_mb() -> float | None:
    """This process's peak resident memory so far in MB (None where ``resource`` is missing)."""
    try:
        import resource  # noqa: PLC0415  (Unix only)
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, else KB


def million_day(*, kpis: bool = False) -> dict[str, Any]:
    """Simulate ``scenarios/million-day.toml`` once (one replication, the full 24 hours).

    ``wall_seconds`` times ``engine.run`` only (not loading the scenario, not KPIs). With ``kpis``
    the KPIs are computed afterwards, timed apart as ``kpi_seconds``, and ``kpis`` holds offered,
    service level, ASA, abandon share and occupancy per channel and overall. ``peak_rss_mb`` is
    the process's peak so far, so an upper bound on the run's when other work ran before it.
    """
    scenario = load(MILLION_DAY)
    started = time.perf_counter()
    result = run(scenario)
    wall = time.perf_counter() - started
    contacts = len(result.records)
    out: dict[str, Any] = {
        "contacts": contacts,
        "wall_seconds": wall,
        "us_per_contact": 1e6 * wall / contacts,
        "router_events": result.router_events,
        "agents": sum(group.count for group in scenario.agents),
        "peak_rss_mb": peak_rss_mb(),
    }
    if kpis:
        settings = scenario.kpis
        rule = PRESETS[settings.preset].with_short_abandon(settings.short_abandon_seconds)
        started = time.perf_counter()
        blocks = run_kpis(
            result.records,
            rule,
            result.agents,
            measured=result.measured,
            repeat_window_seconds=settings.repeat_window_hours * 3600.0,
        )
        out["kpi_seconds"] = time.perf_counter() - started
        keys = ("offered", "service_level", "asa", "p_abandon", "occupancy")
        parts = {"overall": blocks["overall"], **blocks["by_channel"]}
        out["kpis"] = {name: {k: block[k] for k in keys} for name, block in parts.items()}
    return out


class MillionContactDay:
    """The million-contact day (target 3), simulated once for all three numbers."""

    timeout = 1200.0
    number = 1
    repeat = 1

    def setup_cache(self) -> dict[str, Any]:
        return million_day()

    def track_wall_seconds(self, day: dict[str, Any]) -> float:
        return float(day["wall_seconds"])

    track_wall_seconds.unit = "s"  # type: ignore[attr-defined]

    def track_us_per_contact(self, day: dict[str, Any]) -> float:
        return float(day["us_per_contact"])

    track_us_per_contact.unit = "µs/contact"  # type: ignore[attr-defined]

    def track_router_events_per_contact(self, day: dict[str, Any]) -> float:
        return float(day["router_events"]) / float(day["contacts"])

    track_router_events_per_contact.unit = "events/contact"  # type: ignore[attr-defined]
