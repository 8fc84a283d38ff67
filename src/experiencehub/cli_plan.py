"""``experiencehub erlang`` and ``experiencehub staff``: Erlang B/C/A figures and solvers, and a
staffing plan from a forecast checked by simulation. Registered on the app by :mod:`experiencehub.cli`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .cli_common import (
    AbandonsWithin,
    AsJson,
    Denominator,
    ExcludeShort,
    PresetOption,
    Replications,
    Seed,
    ShortAbandon,
    console,
    fail,
    jsonable,
    load_file,
    progress_bar,
    rule_of,
)
from .cli_staff import plan_heading, staff_table
from .core.errors import ConfigError
from .sim import erlang_staffing, staffing
from .sim.forecast import ForecastError, load_forecast
from .sim.scenario import (
    ScenarioError,
)

__all__ = [
    "erlang_command",
    "staff_command",
]


# -- erlang ---------------------------------------------------------------------------------------
def erlang_command(  # noqa: PLR0917 (typer maps parameters to options)
    kind: Annotated[
        str, typer.Argument(help="b (Erlang B, blocked contacts lost), c (no abandons) or a.")
    ],
    per_hour: Annotated[float, typer.Option(help="Arrivals per hour.")],
    handle: Annotated[float, typer.Option(help="Mean handle time, seconds.")],
    threshold: Annotated[float, typer.Option(help="Service-level threshold, seconds.")] = 20.0,
    agents: Annotated[
        int | None, typer.Option(help="Agents (or give --target-sl / --max-blocking).")
    ] = None,
    patience: Annotated[
        float | None, typer.Option(help="Mean patience, seconds (Erlang A).")
    ] = None,
    target_sl: Annotated[
        float | None, typer.Option(help="Find the fewest agents reaching this service level.")
    ] = None,
    max_blocking: Annotated[
        float | None, typer.Option(help="Erlang B: find the fewest agents blocking at most this.")
    ] = None,
    max_occupancy: Annotated[
        float | None, typer.Option(help="With --target-sl: occupancy at most this (0-1].")
    ] = None,
    preset: PresetOption = None,
    short_abandon: ShortAbandon = None,
    exclude_short: ExcludeShort = None,
    abandons_within: AbandonsWithin = None,
    denominator: Denominator = None,
    as_json: AsJson = False,
) -> None:
    """Erlang B / C / A results for one queue, or the fewest agents for a target; the service
    level is counted by the preset and its switches, as the simulator counts it."""
    rule = rule_of(preset, short_abandon, exclude_short, abandons_within, denominator)
    target = max_blocking if kind.strip().lower() == "b" else target_sl
    try:
        out = erlang_staffing.erlang_figures(
            kind, per_hour, handle, agents=agents, patience=patience, threshold=threshold,
            target=target, max_occupancy=max_occupancy, preset=rule,
        )  # fmt: skip
    except (ConfigError, ValueError) as exc:
        fail([str(exc)])
    if as_json:
        sys.stdout.write(json.dumps(jsonable(out), indent=2) + "\n")
        return
    table = Table(
        title=f"{out.get('model', 'erlang')}: {per_hour:g}/h, {handle:g} s handle",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in out.items():
        table.add_row(key, _plain(key, value))
    console.print(table)


# -- staff ----------------------------------------------------------------------------------------
def staff_command(  # noqa: PLR0917 (typer maps parameters to options)
    forecast: Annotated[
        Path,
        typer.Argument(
            help="Forecast: CSV or TOML rows of start, queue, volume, aht [, patience, group].",
            show_default=False,
        ),
    ],
    scenario: Annotated[
        Path, typer.Option(help="Base scenario (TOML): queues, groups, breaks, behaviour.")
    ],
    target: Annotated[float, typer.Option(help="Service level to reach (0-1).")] = 0.8,
    threshold: Annotated[
        float | None, typer.Option(help="Threshold, seconds (default: each queue's).")
    ] = None,
    shrinkage: Annotated[
        float, typer.Option(help="Share of paid time not available (breaks, training…).")
    ] = 0.3,
    max_occupancy: Annotated[
        float | None, typer.Option(help="Occupancy cap per interval (0-1]; 1 for none.")
    ] = 0.85,
    tolerance: Annotated[
        float, typer.Option(help="Simulated SL within target ± this is ok.")
    ] = 0.05,
    preset: PresetOption = None,
    short_abandon: ShortAbandon = None,
    exclude_short: ExcludeShort = None,
    abandons_within: AbandonsWithin = None,
    denominator: Denominator = None,
    replications: Replications = None,
    seed: Seed = None,
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Print the Erlang plan without simulating it.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Staff every interval of a forecast with Erlang C (A where it gives patience), then
    simulate the plan with the real router and show where it over- or under-staffs."""
    rule = rule_of(preset, short_abandon, exclude_short, abandons_within, denominator)
    base = load_file(scenario, None)
    settings = staffing.StaffingSettings(
        target_sl=target, threshold_seconds=threshold, shrinkage=shrinkage,
        max_occupancy=max_occupancy, rule=rule, tolerance=tolerance,
    )  # fmt: skip
    try:
        plan = staffing.plan_staffing(load_forecast(forecast), base, settings)
        check = None
        if not plan_only:
            with progress_bar("simulating the plan") as step:
                check = staffing.check_plan(
                    plan, base, replications=replications, seed=seed, progress=step
                )
    except ForecastError as exc:
        fail(exc.problems, header=f"{len(exc.problems)} problem(s) in {forecast}:")
    except ScenarioError as exc:
        fail(exc.problems, header="the planned scenario has problems:")
    except ConfigError as exc:
        fail([str(exc)])
    if as_json:
        out = check.to_dict() if check is not None else {"rostered": plan.rostered}
        sys.stdout.write(json.dumps(jsonable(out), indent=2) + "\n")
        return
    console.print(plan_heading(plan))
    console.print(staff_table(plan, check))
    note = "Erlang agents: servers → agents when an agent holds several contacts at once. "
    if check is not None:
        runs = len(check.result.runs)
        note += (
            f"Simulated: {runs} replication(s) of {check.scenario.name}, contacts per "
            f"replication; verdict under/over outside target ± {100 * tolerance:g} points."
        )
    console.print(f"[dim]{note}[/dim]")


def _plain(key: str, value: Any) -> str:
    if isinstance(value, float) and key in (
        "p_wait",
        "p_abandon",
        "service_level",
        "occupancy",
        "target_sl",
        "p_block",
        "max_occupancy",
    ):
        return f"{100 * value:.2f}%"
    if isinstance(value, float) and key in ("asa", "mean_wait_all"):
        return f"{value:.3f} s"
    if isinstance(value, float):
        return f"{value:.3f}"
    return "–" if value is None else str(value)
