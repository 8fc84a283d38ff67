"""Discrete-event simulator driving the real Router: scenarios, workloads, KPIs and reports.

Names are imported on first use, so ``experiencehub.sim.erlang`` works with the core install alone;
the rest needs the ``sim`` extra (cattrs reads scenario files), and HTML reports the ``report`` extra.

>>> from experiencehub.sim import load_scenario, simulate  # doctest: +SKIP
>>> result = simulate(load_scenario("scenarios/single-queue.toml"))  # doctest: +SKIP
>>> result.kpis["overall"]["service_level"]  # doctest: +SKIP
0.97...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import RunResult
    from .kpi import PRESETS, ContactRecord, ServiceLevelRule
    from .runs import Comparison, Result, compare, run, simulate
    from .scenario import Scenario, ScenarioError, load_scenario, load_scenario_text
    from .tablefiles import write_tables

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
    "write_tables",
]

_HOME = {
    "RunResult": "engine",
    "run": "runs",
    "PRESETS": "kpi",
    "ContactRecord": "kpi",
    "ServiceLevelRule": "kpi",
    "Comparison": "runs",
    "Result": "runs",
    "compare": "runs",
    "simulate": "runs",
    "Scenario": "scenario",
    "ScenarioError": "scenario",
    "load_scenario": "scenario",
    "load_scenario_text": "scenario",
    "write_tables": "tablefiles",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
