"""What the ``experiencehub`` commands share: consoles, option types, loading a scenario file with
the command-line switches, output checks, errors and exit codes, the progress bar.

This module owns the rules every command follows (see :mod:`experiencehub.cli`): machine output
(``--json``) goes to stdout alone; progress and errors go to stderr; exit 1 when the scenario or
the options have problems (every one listed), exit 2 when a file cannot be read or written or an
option needs a package that is not installed.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import attrs
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ._outputs import events_problem, missing_extra, report_problem
from .sim import kpi
from .sim.checks import load_policy_object
from .sim.report import (
    format_value,
    shown_kpis,
)
from .sim.runs import Result
from .sim.scenario import (
    AGENT_POLICIES,
    Scenario,
    ScenarioError,
    ScenarioFileError,
    load_scenario,
)

__all__ = [
    "CONTEXT_VALUES",
    "KPI_LABELS",
    "POLICY_HELP",
    "AbandonsWithin",
    "AsJson",
    "Denominator",
    "ExcludeShort",
    "FileArg",
    "Force",
    "PresetOption",
    "Replications",
    "Scheduler",
    "Seed",
    "ShortAbandon",
    "Workers",
    "check_outputs",
    "check_policy",
    "console",
    "context_setting",
    "duration_text",
    "err_console",
    "fail",
    "fail_file",
    "jsonable",
    "kpi_blocks",
    "kpi_table",
    "load_file",
    "parse_epoch",
    "progress_bar",
    "rule_of",
    "warn",
    "with_preset",
    "with_switches",
    "writing",
]

console = Console()
err_console = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="Scenario file (TOML).", show_default=False)]
Seed = Annotated[int | None, typer.Option(help="Override the scenario's seed.")]
Replications = Annotated[
    int | None, typer.Option(min=1, help="Override the number of replications.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON to stdout instead of tables.")]
Force = Annotated[
    bool, typer.Option("--force", help="Overwrite a report already in the --report directory.")
]
POLICY_HELP = f"Agent-selection policy: {', '.join(AGENT_POLICIES)}; or module:attribute."
Workers = Annotated[
    int | None,
    typer.Option(min=1, help="Worker processes for replications (default: every core; 1: serial)."),
]
Scheduler = Annotated[
    str | None,
    typer.Option(help="Run on this Dask scheduler instead (tcp://host:port; the dask extra)."),
]
PresetOption = Annotated[
    str | None,
    typer.Option(help=f"Service-level preset: {', '.join(kpi.PRESETS)} (docs/kpis.md)."),
]
ShortAbandon = Annotated[
    float | None,
    typer.Option(min=0, help="Abandons before this many seconds are short (preset's: 5)."),
]
ExcludeShort = Annotated[
    bool | None,
    typer.Option(
        "--exclude-short/--include-short",
        help="Leave short abandons out of the service level (genesys does) or count them.",
        show_default=False,
    ),
]
AbandonsWithin = Annotated[
    str | None,
    typer.Option(help=f"Abandons within the threshold: {', '.join(kpi.ABANDONS_WITHIN)}."),
]
Denominator = Annotated[
    str | None,
    typer.Option(help=f"Service-level denominator: {', '.join(kpi.DENOMINATORS)}."),
]
CONTEXT_VALUES = {"on": True, "off": False}


def kpi_blocks(result: Result, group: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    halves = result.ci95.get(group) or {}
    return {k: (v, halves.get(k) or {}) for k, v in result.kpis[group].items()}


KPI_LABELS = {
    "short_abandoned": "  of which short",
    "service_level": "service level",
    "asa": "ASA",
    "p90_wait": "p90 wait",
    "p_abandon": "abandon rate",
    "fcr_proxy": "FCR (proxy)",
    "fcr": "FCR",
    "contacts_per_issue": "contacts per issue",
    "time_to_resolution": "time to resolution",
    "repeat_asks": "repeat asks",
    "aht": "AHT",
    "acw": "ACW",
    "slot_utilisation": "slot utilisation",
    "contacts_handled": "contacts handled",
    "agent_hours": "agent hours",
    "away_share": "share of staffed time",
    "deflection_rate": "deflection rate",
    "time_in_self_service": "time in self-service",
    "callbacks_offered": "callbacks offered",
    "callbacks_accepted": "  accepted",
    "callbacks_completed": "  completed",
    "callbacks_failed": "  failed (every dial)",
    "attempts_per_completed": "dials per completed",
    "request_to_connected": "request to connected",
    "abandonment_avoided": "abandons avoided",
    "handed_with_facts": "  with facts given",
    "facts_share": "  share with facts",
    "estimated": "contacts with an estimate",
    "mean_estimate": "mean estimate",
    "mean_actual": "mean actual wait",
    "mean_absolute_error": "mean absolute error",
    "bias": "bias (estimate − actual)",
    "staffed_hours": "staffed hours",
    "agent_cost": "agent cost",
    "cost_per_contact": "cost per contact",
    "cost_per_resolved_issue": "cost per resolved issue",
    "occupancy_min": "lowest occupancy",
    "occupancy_max": "highest occupancy",
    "occupancy_gini": "occupancy Gini",
    "contacts_per_agent": "contacts/agent",
    "longest_stretch": "longest stretch",
    "effort_proxy": "effort (proxy)",
}


def kpi_table(
    title: str,
    columns: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    keys: tuple[str, ...] | None = None,
) -> Table:
    """KPIs as rows (``keys``, default: the report's shown KPIs), blocks (overall, channels,
    queues…) as columns: fits 80 columns."""
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for name in columns:
        table.add_column(name, justify="right")
    rows = shown_kpis(v for v, _ in columns.values()) if keys is None else keys
    for key in rows:
        cells = [format_value(key, v.get(key), h.get(key)) for v, h in columns.values()]
        table.add_row(KPI_LABELS.get(key, key), *cells)
    return table


# -- helpers --------------------------------------------------------------------------------------
def parse_epoch(text: str) -> dt.datetime:
    """An ISO 8601 date and time; without a time zone it is taken as UTC."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail([f"--epoch: {text!r} is not an ISO 8601 date and time (2026-12-02T08:00Z)"])
        raise  # unreachable: fail exits
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def load_file(file: Path, preset: str | None) -> Scenario:
    try:
        scenario = load_scenario(file)
    except ScenarioFileError as exc:
        fail_file(f"{file}: {exc.problems[0].removeprefix('file: ')}")
    except ScenarioError as exc:
        fail(exc.problems, header=f"{len(exc.problems)} problem(s) in {file}:")
    if preset is not None:
        if preset not in kpi.PRESETS:
            fail([f"--preset: must be one of {', '.join(kpi.PRESETS)}, got {preset!r}"])
        scenario = with_preset(scenario, preset)
    return scenario


def with_preset(scenario: Scenario, preset: str) -> Scenario:
    return attrs.evolve(scenario, kpis=attrs.evolve(scenario.kpis, preset=preset))


def with_switches(
    scenario: Scenario,
    short_abandon: float | None,
    exclude_short: bool | None,
    abandons_within: str | None,
    denominator: str | None,
) -> Scenario:
    """The scenario with the service-level switches given on the command line (None keeps the
    file's); a bad value exits 1 naming the option."""
    switches = {
        "short_abandon_seconds": short_abandon,
        "exclude_short": exclude_short,
        "abandons_within": abandons_within,
        "denominator": denominator,
    }
    given: dict[str, Any] = {k: v for k, v in switches.items() if v is not None}
    if not given:
        return scenario
    kpis = attrs.evolve(scenario.kpis, **given)
    try:
        kpis.rule()
    except ValueError as exc:
        fail([f"--{str(exc).split('=', 1)[0].replace('_', '-')}: {exc}"])
    return attrs.evolve(scenario, kpis=kpis)


def rule_of(
    preset: str | None,
    short_abandon: float | None,
    exclude_short: bool | None,
    abandons_within: str | None,
    denominator: str | None,
) -> kpi.ServiceLevelRule:
    """The service-level rule the command-line switches name; a bad value exits 1."""
    try:
        return kpi.service_level_rule(
            preset or "experiencehub",
            abandons_within=abandons_within,
            denominator=denominator,
            short_abandon_seconds=short_abandon,
            exclude_short=exclude_short,
        )
    except ValueError as exc:
        fail([f"--{str(exc).split('=', 1)[0].replace('_', '-')}: {exc}"])
        raise  # unreachable: fail exits


def check_policy(policy: str | None) -> None:
    """A built-in policy name, or ``module:attribute`` naming an importable policy object."""
    if policy is None or policy in AGENT_POLICIES:
        return
    if ":" not in policy:
        fail([
            f"--policy: must be one of {', '.join(AGENT_POLICIES)}, or module:attribute; "
            f"got {policy!r}"
        ])  # fmt: skip
    try:
        load_policy_object(policy)
    except ValueError as exc:
        fail([f"--policy: {exc}"])


def context_setting(value: str) -> bool:
    """``on``/``off`` (any case) as a bool; anything else exits 1 naming the option."""
    setting = CONTEXT_VALUES.get(value.strip().lower())
    if setting is None:
        fail([f"--context: must be on or off, got {value!r}"])
    return bool(setting)


def check_outputs(report: Path | None, force: bool, events: Path | None) -> None:
    """Exit 2 before a run when an output cannot be written (see :mod:`._outputs`)."""
    problems = []
    if report is not None:
        problems.append(missing_extra("matplotlib", "report", "--report"))
        problems.append(report_problem("--report", report, force=force))
    if events is not None:
        problems.append(events_problem("--events", events, force=force))
    for problem in problems:
        if problem is not None:
            fail_file(problem)


@contextmanager
def writing(option: str, path: Path) -> Iterator[None]:
    """A write that fails after all (disk full, a directory removed meanwhile) exits 2."""
    try:
        yield
    except OSError as exc:
        fail_file(f"{option} {path}: cannot write ({exc.strerror or exc})")


def fail_file(problem: str) -> Any:
    """One line on stderr, exit 2: a file cannot be read or written."""
    err_console.print(Text.assemble(("error: ", "red"), problem), highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def fail(problems: list[str], header: str = "error:") -> Any:
    err_console.print(f"[red]{header}[/red]")
    for problem in problems:
        err_console.print(f"  {problem}", markup=False, highlight=False)
    raise typer.Exit(code=1)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[float], None]]:
    """A progress callback that shows a bar on stderr once the run has taken over a second."""
    started = time.perf_counter()
    bar: list[Any] = []

    def step(fraction: float) -> None:
        if not bar:
            if time.perf_counter() - started < 1.0:
                return
            progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(), console=err_console, transient=True,
            )  # fmt: skip
            progress.start()
            bar.extend([progress, progress.add_task(label, total=1.0)])
        bar[0].update(bar[1], completed=fraction)

    try:
        yield step
    finally:
        if bar:
            bar[0].stop()


def duration_text(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds:g} s"


def jsonable(value: Any) -> Any:
    """NaN and infinities are not JSON; they become null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def warn(warnings: list[str]) -> None:
    """Print each warning in yellow on the terminal. Cost: O(warnings)."""
    for warning in warnings:
        console.print(Text.assemble(("warning: ", "yellow"), warning))
