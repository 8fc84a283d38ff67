"""Fidelity: the simulator, driving the real Router, reproduces exact Erlang C / Erlang A results.

Every case of ../shared/reference/erlang_cases.json. The reference tolerance is for 200,000
arrivals after warm-up per replication, 2 replications, warm-up 5% of the run: that full size runs
under ``-m slow`` (a few minutes). The default run simulates 20,000 arrivals per replication, 10×
fewer; sampling error shrinks as 1/√n, so its tolerances are the reference ones × √10 ≈ 3.16 —
the same number of standard errors, so it is as strict a check relative to the noise.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from experiencehub.sim.runs import simulate
from experiencehub.sim.scenario import Scenario, load_scenario_text

REFERENCE = Path("/work/shared/reference/erlang_cases.json")
LOCAL = Path(__file__).with_name("erlang_cases.json")
CASES_FILE = REFERENCE if REFERENCE.exists() else LOCAL
DATA: dict[str, Any] = json.loads(CASES_FILE.read_text())
CASES = {case["name"]: case for case in DATA["cases"]}
FULL_ARRIVALS = 200_000
DEFAULT_ARRIVALS = 20_000


def case_scenario(case: dict[str, Any], arrivals: int) -> Scenario:
    inputs = case["inputs"]
    per_hour = inputs["arrivals_per_hour"]
    duration = arrivals / per_hour * 3600.0
    warmup = duration * 0.05 / 0.95  # 5% of the whole run
    patience = inputs["mean_patience_seconds"]
    patience_line = (
        ""
        if patience is None
        else f'patience_seconds = {{ kind = "exponential", mean = {patience} }}'
    )
    text = f"""
[simulation]
duration = {duration}
warmup = {warmup}
seed = 20240
replications = 2

[[queues]]
name = "q"
channel = "phone"
requires = ["s"]
service_level_seconds = {inputs["service_level_seconds"]}

[[agents]]
group = "a"
count = {inputs["agents"]}
skills = {{ s = 1 }}
capacity = {{ phone = 1 }}

[[workload]]
queue = "q"
arrivals = {{ kind = "poisson", per_hour = {per_hour} }}
handle_seconds = {{ kind = "exponential", mean = {inputs["mean_handle_seconds"]} }}
{patience_line}
"""
    return load_scenario_text(text, name=case["name"])


def check_case(case: dict[str, Any], arrivals: int) -> None:
    scale = math.sqrt(FULL_ARRIVALS / arrivals)
    tol = DATA["tolerance_for_simulation"]
    expected = case["expected"]
    got = simulate(case_scenario(case, arrivals)).kpis["overall"]
    assert got["offered"] == pytest.approx(arrivals, rel=0.05)
    assert got["unfinished"] == 0
    for key in ("p_wait", "p_abandon", "service_level"):
        assert got[key] == pytest.approx(expected[key], abs=tol[key] * scale), key
    assert got["asa"] == pytest.approx(expected["asa"], rel=tol["asa_relative"] * scale)
    # the reference gives no tolerance for mean_wait_all; the ASA one is the natural choice
    assert got["mean_wait_all"] == pytest.approx(
        expected["mean_wait_all"], rel=tol["asa_relative"] * scale
    )
    inputs = case["inputs"]
    load = inputs["arrivals_per_hour"] / 3600 * inputs["mean_handle_seconds"]
    occupancy = load * (1 - expected["p_abandon"]) / inputs["agents"]
    assert got["occupancy"] == pytest.approx(occupancy, abs=0.01 * scale)


@pytest.mark.parametrize("name", sorted(CASES))
def test_erlang_case_default_size(name: str) -> None:
    check_case(CASES[name], DEFAULT_ARRIVALS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_erlang_case_full_size(name: str) -> None:
    check_case(CASES[name], FULL_ARRIVALS)
