"""Discrete-event simulator driving the real Router: scenarios, workloads, KPIs and reports.

>>> from experiencehub.sim import load_scenario, simulate     # doctest: +SKIP
>>> result = simulate(load_scenario("scenarios/single-queue.toml"))  # doctest: +SKIP
>>> result.kpis["overall"]["service_level"]  # doctest: +SKIP
0.97...
"""

from __future__ import annotations

from .engine import RunResult, run
from .kpi import PRESETS, ContactRecord, ServiceLevelRule
from .runs import Comparison, Result, compare, simulate
from .scenario import Scenario, ScenarioError, load_scenario, load_scenario_text

__all__ = [
    "PRESETS",
    "Comparison",
    "ContactRecord",
    "Result",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "ServiceLevelRule",
    "compare",
    "load_scenario",
    "load_scenario_text",
    "run",
    "simulate",
]
