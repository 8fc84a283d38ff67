"""The performance targets in one command: measure everything in one process, say which holds.

Usage (from the repository root)::

    python benchmarks/compare.py            # full run, a few minutes
    python benchmarks/compare.py --quick    # fewer repetitions, shorter simulations (~1-2 minutes)
    python benchmarks/compare.py --no-sim   # routing core only
    python benchmarks/compare.py --day      # also the million-contact day (+ ~2 minutes)
    python benchmarks/compare.py --json out.json

It measures, interleaved in rounds so machine noise hits every size alike:

1. the floor: one ``SortedList.add`` + ``pop(0)`` on 100,000 floats (the Python cost of an ordered
   queue), timed in batches of 1,000;
2. the router's event costs (median of single events timed with ``perf_counter_ns``) on the
   scenario of :mod:`benchmarks.router` at 100 / 10,000 agents and 1,000 / 100,000 waiting
   contacts, and the growth ratios between sizes;
3. memory per waiting contact and per logged-in agent (tracemalloc);
4. the simulator against ciw and a minimal simpy model of the same M/M/50+M queue (2,700 calls an
   hour, 60 s mean handling, 120 s mean patience), per simulated customer, at 50 and 500 agents,
   with KPIs (abandon rate, ASA, service level at 20 s) beside the exact Erlang A values; ours
   twice: agents that accept each offer (an ``OfferAccepted`` per customer) and agents that
   auto-accept (``auto_accept = true``: no accept step, as in ciw), replications interleaved;
5. with ``--day`` only: one simulated day of ``scenarios/million-day.toml`` (~1,000,000 contacts on
   phone, chat and e-mail, 2,000 agents; :func:`benchmarks.sim.million_day`), against ≤ 60 s.

Nothing here runs at import time: asv imports every module of ``benchmarks/`` while discovering.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sortedcontainers import SortedList

ROOT = Path(__file__).resolve().parents[1]

EVENTS = ("arrival_offer", "agent_free", "accept", "arrival_enqueue", "tick")
TARGET_EVENTS = ("arrival_offer", "agent_free", "accept", "tick")  # the four named in target 1
EVENT_US_TARGET = 10.0
FLOOR_MULTIPLE_TARGET = 4.0
GROWTH_TARGET = 1.5
CONTACT_BYTES_TARGET = 1024
AGENT_BYTES_TARGET = 4096
SIM_SPEEDUP_VS_CIW_TARGET = 2.0
SIM_FLAT_TARGET = 1.5
DAY_SECONDS_TARGET = 60.0

# M/M/50+M: the single-queue scenario of scenarios/single-queue.toml, load 45 Erlangs on 50 agents
PER_HOUR_PER_AGENT = 54.0
HANDLE_SECONDS = 60.0
PATIENCE_SECONDS = 120.0
THRESHOLD_SECONDS = 20.0
WARMUP_SECONDS = 600.0

# Student t quantiles (97.5%) by degrees of freedom, for 95% intervals over a few replications
T975 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}


# -- machine -----------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
    }


# -- the floor ---------------------------------------------------------------------------------
class Floor:
    """SortedList.add + pop(0) on 100,000 floats, timed per batch of 1,000 pairs."""

    def __init__(self, size: int = 100_000, seed: int = 3) -> None:
        self.rng = random.Random(seed)
        self.items = SortedList(self.rng.random() for _ in range(size))

    def batch_ns(self, pairs: int = 1000) -> float:
        values = [self.rng.random() for _ in range(pairs)]
        add, pop = self.items.add, self.items.pop
        start = time.perf_counter_ns()
        for value in values:
            add(value)
            pop(0)
        return (time.perf_counter_ns() - start) / pairs


def timer_overhead_ns(reps: int = 20_000) -> float:
    samples = []
    clock = time.perf_counter_ns
    for _ in range(reps):
        start = clock()
        samples.append(clock() - start)
    return statistics.median(samples)


# -- router events -----------------------------------------------------------------------------
def measure_router(bench: Any, rounds: int, chunk: int, ticks: int) -> dict[str, Any]:
    """Build the four states, then time events in interleaved rounds; ticks last (they move time)."""
    sizes = [(a, w) for a in bench.AGENT_SIZES for w in bench.WAITING_SIZES]
    states = {}
    build_seconds = {}
    for size in sizes:
        start = time.perf_counter()
        states[size] = bench.Scenario(*size)
        build_seconds[size] = time.perf_counter() - start
        print(f"  built {size[0]:>6} agents × {size[1]:>7} waiting in {build_seconds[size]:.1f} s")
    floor = Floor()
    floor_ns: list[float] = []
    samples: dict[tuple[int, int], dict[str, list[int]]] = {
        s: {e: [] for e in EVENTS} for s in sizes
    }
    for _ in range(rounds):
        floor_ns.extend(floor.batch_ns() for _ in range(5))
        for size, sc in states.items():
            samples[size]["arrival_offer"].extend(bench.measure_arrival_offer(sc, chunk))
            for event, found in bench.measure_free_accept_enqueue(sc, chunk).items():
                samples[size][event].extend(found)
    for size, sc in states.items():
        samples[size]["tick"] = bench.measure_tick(sc, ticks)
    return {
        "sizes": sizes,
        "build_seconds": build_seconds,
        "floor_ns": statistics.median(floor_ns),
        "timer_overhead_ns": timer_overhead_ns(),
        "median_us": {
            size: {e: statistics.median(v) / 1000.0 for e, v in per.items()}
            for size, per in samples.items()
        },
        "p90_us": {
            size: {e: statistics.quantiles(v, n=10)[-1] / 1000.0 for e, v in per.items()}
            for size, per in samples.items()
        },
        "samples": {size: {e: len(v) for e, v in per.items()} for size, per in samples.items()},
    }


# -- simulation --------------------------------------------------------------------------------
SCENARIO_TOML = """
[simulation]
duration = {duration}
warmup = {warmup}
seed = {seed}
replications = 1

[[queues]]
name = "support"
channel = "phone"
requires = ["support"]
service_level_seconds = {threshold}

[[agents]]
group = "tier1"
count = {agents}
skills = {{ support = 3 }}
capacity = {{ phone = 1 }}

[[workload]]
queue = "support"
arrivals = {{ kind = "poisson", per_hour = {per_hour} }}
handle_seconds = {{ kind = "exponential", mean = {handle} }}
patience_seconds = {{ kind = "exponential", mean = {patience} }}
"""

Outcome = tuple[float, float, bool]  # (arrived at, wait seconds, answered?)
SimRun = tuple[float, int, list[Outcome]]  # (wall seconds, customers, outcomes)


def run_ours(agents: int, seconds: float, seed: int, *, auto_accept: bool = False) -> SimRun:
    # lazy: the simulator is optional here and asv imports this module while discovering
    from experiencehub.sim import load_scenario_text, run  # noqa: PLC0415

    text = SCENARIO_TOML.format(
        duration=seconds,
        warmup=WARMUP_SECONDS,
        seed=seed,
        threshold=THRESHOLD_SECONDS,
        agents=agents,
        per_hour=PER_HOUR_PER_AGENT * agents,
        handle=HANDLE_SECONDS,
        patience=PATIENCE_SECONDS,
    )
    if auto_accept:
        text = text.replace("capacity = { phone = 1 }\n", "capacity = { phone = 1 }\nauto_accept = true\n")
    scenario = load_scenario_text(text)
    start = time.perf_counter()
    result = run(scenario)
    wall = time.perf_counter() - start
    outcomes = [
        (r.arrived_at, r.wait, r.outcome == "handled")
        for r in result.records
        if r.outcome in ("handled", "abandoned") and r.wait is not None
    ]
    return wall, len(result.records), outcomes


def run_ours_auto(agents: int, seconds: float, seed: int) -> SimRun:
    """Ours with ``auto_accept = true``: the router accepts each offer on the agent's behalf, as
    ciw (which has no accept step) connects a customer to a free server; the same customers and
    records as :func:`run_ours`, one router event fewer per answered customer."""
    return run_ours(agents, seconds, seed, auto_accept=True)


def run_ciw(agents: int, seconds: float, seed: int) -> SimRun:
    import ciw  # noqa: PLC0415  (bench extra only; asv must import this module without it)

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=PER_HOUR_PER_AGENT * agents / 3600.0)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / HANDLE_SECONDS)],
        number_of_servers=[agents],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / PATIENCE_SECONDS)],
    )
    ciw.seed(seed)  # ciw seeds the global generators; nothing else in this process depends on them
    simulation = ciw.Simulation(network)
    start = time.perf_counter()
    simulation.simulate_until_max_time(WARMUP_SECONDS + seconds)
    wall = time.perf_counter() - start
    records = simulation.get_all_records()
    outcomes = [(r.arrival_date, r.waiting_time, r.record_type == "service") for r in records]
    return wall, len(records), outcomes


def run_simpy(agents: int, seconds: float, seed: int) -> SimRun:
    """The smallest honest simpy model: a Resource of agents, patience as a timeout race."""
    import simpy  # noqa: PLC0415  (bench extra only)

    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=agents)
    outcomes: list[Outcome] = []
    rate = PER_HOUR_PER_AGENT * agents / 3600.0

    def customer(env: Any) -> Any:
        arrived = env.now
        request = servers.request()
        got = yield request | env.timeout(rng.expovariate(1.0 / PATIENCE_SECONDS))
        if request in got:
            outcomes.append((arrived, env.now - arrived, True))
            yield env.timeout(rng.expovariate(1.0 / HANDLE_SECONDS))
            servers.release(request)
        else:
            request.cancel()
            outcomes.append((arrived, env.now - arrived, False))

    def source(env: Any) -> Any:
        while True:
            yield env.timeout(rng.expovariate(rate))
            env.process(customer(env))

    env.process(source(env))
    start = time.perf_counter()
    env.run(until=WARMUP_SECONDS + seconds)
    wall = time.perf_counter() - start
    return wall, len(outcomes), outcomes


def kpis(outcomes: list[Outcome]) -> dict[str, float]:
    """Abandon rate, ASA and service level over finished customers who arrived after warm-up."""
    kept = [o for o in outcomes if o[0] >= WARMUP_SECONDS]
    answered = [wait for _at, wait, ok in kept if ok]
    total = len(kept) or 1
    return {
        "p_abandon": (len(kept) - len(answered)) / total,
        "asa": statistics.fmean(answered) if answered else 0.0,
        "service_level": sum(w <= THRESHOLD_SECONDS for w in answered) / total,
    }


def interval(values: list[float]) -> tuple[float, float]:
    """Mean and 95% half-width (Student t) over replications."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, float("nan")
    t = T975.get(len(values) - 1, 1.96)
    return mean, t * statistics.stdev(values) / len(values) ** 0.5


def measure_simulators(replications: int, seconds_50: float, seconds_500: float) -> dict[str, Any]:
    from experiencehub.sim.erlang import erlang_a  # noqa: PLC0415  (simulator may be absent)

    runners: dict[str, Callable[[int, float, int], SimRun]] = {
        "experiencehub": run_ours,
        "experiencehub+auto": run_ours_auto,
        "ciw": run_ciw,
        "simpy": run_simpy,
    }
    per_customer: dict[tuple[str, int], float] = {}
    kpi_runs: dict[str, list[dict[str, float]]] = {name: [] for name in runners}
    for agents, seconds in ((50, seconds_50), (500, seconds_500)):
        walls = dict.fromkeys(runners, 0.0)
        counts = dict.fromkeys(runners, 0)
        # interleaved: each replication runs every simulator, so machine noise hits all alike
        for rep in range(replications if agents == 50 else 1):
            for name, runner in runners.items():
                wall, count, outcomes = runner(agents, seconds, 1000 + rep)
                walls[name] += wall
                counts[name] += count
                if agents == 50:
                    kpi_runs[name].append(kpis(outcomes))
        for name in runners:
            per_customer[(name, agents)] = walls[name] / counts[name] * 1e6
            print(
                f"  {name:<18} {agents:>3} agents: {counts[name]:>7} customers, "
                f"{per_customer[(name, agents)]:.1f} µs each"
            )
    exact = erlang_a(
        PER_HOUR_PER_AGENT * 50, HANDLE_SECONDS, 50, PATIENCE_SECONDS, THRESHOLD_SECONDS
    )
    summary = {
        name: {k: interval([r[k] for r in runs]) for k in ("p_abandon", "asa", "service_level")}
        for name, runs in kpi_runs.items()
    }
    return {
        "per_customer_us": per_customer,
        "kpis": summary,
        "erlang_a": {
            "p_abandon": exact.p_abandon,
            "asa": exact.asa,
            "service_level": exact.service_level,
        },
        "replications": replications,
        "seconds": (seconds_50, seconds_500),
    }


def kpis_agree(sim: dict[str, Any]) -> bool:
    """Our 95% interval overlaps ciw's for every KPI."""
    ours, ciw = sim["kpis"]["experiencehub"], sim["kpis"]["ciw"]
    for key, (mean, half) in ours.items():
        other_mean, other_half = ciw[key]
        if abs(mean - other_mean) > half + other_half:
            return False
    return True


# -- memory ------------------------------------------------------------------------------------
def measure_memory(bench: Any, quick: bool) -> dict[str, float]:
    contacts = 10_000 if quick else 50_000
    agents = 2_000 if quick else 10_000
    return {
        "bytes_per_waiting_contact": bench.bytes_per_waiting_contact(100, contacts),
        "bytes_per_agent": bench.bytes_per_agent(agents),
        "contacts_traced": contacts,
        "agents_traced": agents,
    }


# -- the million-contact day ---------------------------------------------------------------------
def measure_day() -> dict[str, Any] | None:
    """One replication of the million-contact day (wall time of the run alone), with its KPIs."""
    try:
        from benchmarks.sim import million_day  # noqa: PLC0415  (needs the root on sys.path)
    except ImportError as exc:  # the simulator needs the cli extra
        print(f"  simulator not available ({exc}): skipped")
        return None
    day = million_day(kpis=True)
    print(
        f"  {day['contacts']:,} contacts, {day['agents']:,} agents: {day['wall_seconds']:.1f} s "
        f"({day['us_per_contact']:.1f} µs/contact, "
        f"{day['router_events'] / day['contacts']:.2f} router events/contact); "
        f"KPIs computed in {day['kpi_seconds']:.1f} s"
    )
    for name, block in day["kpis"].items():
        cells = ", ".join(
            f"{key} {'-' if block[key] is None else format(block[key], '.3f')}"
            for key in ("service_level", "asa", "p_abandon", "occupancy")
        )
        print(f"    {name:<8} {block['offered']:>9,} offered: {cells}")
    return day


# -- the report --------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def report(
    info: dict[str, Any],
    router: dict[str, Any],
    memory: dict[str, float],
    sim: dict[str, Any] | None,
    day: dict[str, Any] | None = None,
) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    floor_us = router["floor_ns"] / 1000.0
    med = router["median_us"]
    big, small_a, small_w = (10_000, 100_000), 100, 1_000
    print()
    print(f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}")
    print(f"floor (SortedList.add + pop(0), 100,000 floats): {floor_us:.2f} µs")
    print(f"timer overhead per timed event: {router['timer_overhead_ns']:.0f} ns (included)")
    print()
    header = f"{'event (median µs)':<18}" + "".join(
        f"{f'{a}a/{w // 1000}k':>12}" for a, w in router["sizes"]
    )
    print(header)
    for event in EVENTS:
        print(f"{event:<18}" + "".join(f"{med[s][event]:>12.1f}" for s in router["sizes"]))
    print()
    for event in TARGET_EVENTS:
        cost = med[big][event]
        rows.append(
            (
                f"1. {event} @10k agents/100k waiting",
                f"{cost:.1f} µs",
                f"≤ {EVENT_US_TARGET:g} µs",
                verdict(cost <= EVENT_US_TARGET),
            )
        )
        rows.append(
            (
                f"1. {event} / floor",
                f"{cost / floor_us:.1f}×",
                f"≤ {FLOOR_MULTIPLE_TARGET:g}×",
                verdict(cost / floor_us <= FLOOR_MULTIPLE_TARGET),
            )
        )
    for event in TARGET_EVENTS:
        for agents in (small_a, big[0]):
            ratio = med[(agents, big[1])][event] / med[(agents, small_w)][event]
            rows.append(
                (
                    f"2. {event} 100k/1k waiting @{agents} agents",
                    f"{ratio:.2f}×",
                    f"≤ {GROWTH_TARGET:g}×",
                    verdict(ratio <= GROWTH_TARGET),
                )
            )
        for waiting in (small_w, big[1]):
            ratio = med[(big[0], waiting)][event] / med[(small_a, waiting)][event]
            rows.append(
                (
                    f"2. {event} 10k/100 agents @{waiting // 1000}k waiting",
                    f"{ratio:.2f}×",
                    f"≤ {GROWTH_TARGET:g}×",
                    verdict(ratio <= GROWTH_TARGET),
                )
            )
    if sim is not None:
        pc = sim["per_customer_us"]
        ours, ciw, simpy_ = pc[("experiencehub", 50)], pc[("ciw", 50)], pc[("simpy", 50)]
        rows.append(
            (
                "3. sim µs/customer, 50 agents (ours / ciw / simpy)",
                f"{ours:.1f} / {ciw:.1f} / {simpy_:.1f}",
                "",
                "",
            )
        )
        rows.append(
            (
                "3. ciw / ours (speed-up)",
                f"{ciw / ours:.2f}×",
                f"≥ {SIM_SPEEDUP_VS_CIW_TARGET:g}×",
                verdict(ciw / ours >= SIM_SPEEDUP_VS_CIW_TARGET),
            )
        )
        flat = pc[("experiencehub", 500)] / ours
        rows.append(
            (
                "3. ours 500/50 agents per customer",
                f"{flat:.2f}× (ciw {pc[('ciw', 500)] / ciw:.2f}×)",
                f"≤ {SIM_FLAT_TARGET:g}×",
                verdict(flat <= SIM_FLAT_TARGET),
            )
        )
        rows.append(
            ("3. stretch: ours / simpy", f"{ours / simpy_:.2f}×", "≤ 1×", verdict(ours <= simpy_))
        )
        auto = pc[("experiencehub+auto", 50)]
        rows.append(
            (
                "3. with auto-accept: µs/customer (ciw / ours+auto speed-up)",
                f"{auto:.1f} ({ciw / auto:.2f}×)",
                "",
                "",
            )
        )
        rows.append(
            (
                "3. KPIs agree with ciw (95% CIs overlap)",
                verdict(kpis_agree(sim)),
                "yes",
                verdict(kpis_agree(sim)),
            )
        )
    if day is not None:
        rows.append(
            (
                "3. a day of 1,000,000 contacts, 2,000 agents",
                f"{day['contacts']:,} contacts in {day['wall_seconds']:.1f} s "
                f"({day['us_per_contact']:.1f} µs/contact)",
                f"≤ {DAY_SECONDS_TARGET:g} s",
                verdict(day["wall_seconds"] <= DAY_SECONDS_TARGET),
            )
        )
    per_contact, per_agent = memory["bytes_per_waiting_contact"], memory["bytes_per_agent"]
    rows.append(
        (
            "4. bytes per waiting contact",
            f"{per_contact:.0f} B",
            f"≤ {CONTACT_BYTES_TARGET} B",
            verdict(per_contact <= CONTACT_BYTES_TARGET),
        )
    )
    rows.append(
        (
            "4. bytes per logged-in agent",
            f"{per_agent:.0f} B",
            f"≤ {AGENT_BYTES_TARGET} B",
            verdict(per_agent <= AGENT_BYTES_TARGET),
        )
    )
    if sim is not None:
        print(
            f"{'KPI (M/M/50+M)':<16}{'experiencehub':>20}{'ciw':>20}{'simpy':>20}{'Erlang A':>12}"
        )
        for key in ("p_abandon", "asa", "service_level"):
            cells = "".join(
                f"{f'{m:.4f} ± {h:.4f}':>20}"
                for m, h in (sim["kpis"][n][key] for n in ("experiencehub", "ciw", "simpy"))
            )
            print(f"{key:<16}{cells}{sim['erlang_a'][key]:>12.4f}")
        print()
    width = max(len(r[0]) for r in rows)
    wide = max(24, *(len(r[1]) for r in rows))
    print(f"{'target':<{width}}  {'measured':>{wide}}  {'target':>10}  holds")
    for name, measured, target, holds in rows:
        print(f"{name:<{width}}  {measured:>{wide}}  {target:>10}  {holds}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, shorter runs")
    parser.add_argument("--no-sim", action="store_true", help="skip the simulator comparison")
    parser.add_argument(
        "--day",
        action="store_true",
        help="also simulate the million-contact day (scenarios/million-day.toml, ~2 minutes)",
    )
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from benchmarks import router as bench  # noqa: PLC0415  (needs the root on sys.path)

    info = machine()
    print(f"experiencehub performance comparison ({'quick' if args.quick else 'full'})")
    rounds, chunk, ticks = (4, 250, 1000) if args.quick else (10, 500, 4000)
    print("routing core:")
    router = measure_router(bench, rounds, chunk, ticks)
    print("memory:")
    memory = measure_memory(bench, args.quick)
    sim = None
    if not args.no_sim:
        try:
            import experiencehub.sim as sim_module  # noqa: PLC0415

            has_sim = hasattr(sim_module, "simulate")
        except ImportError:
            has_sim = False
        if has_sim:
            print("simulators (M/M/n+M):")
            sim = measure_simulators(
                2 if args.quick else 5,
                3600.0 if args.quick else 4 * 3600.0,
                900.0 if args.quick else 3600.0,
            )
        else:
            print("simulator not available yet: skipped")
    day = None
    if args.day:
        print("a day of 1,000,000 contacts (scenarios/million-day.toml):")
        day = measure_day()
    rows = report(info, router, memory, sim, day)
    if args.json is not None:
        data = {
            "machine": info,
            "router": {
                "floor_us": router["floor_ns"] / 1000.0,
                "timer_overhead_ns": router["timer_overhead_ns"],
                "median_us": {f"{a}x{w}": v for (a, w), v in router["median_us"].items()},
                "p90_us": {f"{a}x{w}": v for (a, w), v in router["p90_us"].items()},
                "build_seconds": {f"{a}x{w}": v for (a, w), v in router["build_seconds"].items()},
            },
            "memory": memory,
            "sim": None
            if sim is None
            else {
                "per_customer_us": {f"{n}@{a}": v for (n, a), v in sim["per_customer_us"].items()},
                "kpis": sim["kpis"],
                "erlang_a": sim["erlang_a"],
            },
            "targets": [
                dict(zip(("target", "measured", "wanted", "holds"), r, strict=True)) for r in rows
            ],
        }
        if day is not None:
            data["day"] = day
        args.json.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
