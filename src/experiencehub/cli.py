"""The ``experiencehub`` command: simulate, compare, sweep, validate, erlang.

This module owns the terminal: argument parsing (typer), rich tables and progress bars, exit codes.
It computes nothing itself; the simulator (:mod:`experiencehub.sim`) and the Erlang formulas
(:mod:`experiencehub.sim.erlang`) do. Machine output (``--json``) goes to stdout alone; progress
and errors go to stderr. Exit codes: 0 done, 1 the scenario or the options have problems, 2 a
file cannot be read or written (checked before a run starts: an existing report is kept unless
``--force``) or a package the option needs is not installed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
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

from . import __version__
from ._outputs import events_problem, missing_extra, report_problem
from .cli_staff import plan_heading, staff_table
from .cli_tables import comparison_tables, sweep_heading, sweep_table
from .cli_verdicts import staffing_table, target_table
from .core.errors import ConfigError
from .sim import erlang_staffing, kpi, staffing, tablefiles
from .sim.checks import load_policy_object, parse_start
from .sim.forecast import ForecastError, load_forecast
from .sim.overrides import OverrideError, parse_setting
from .sim.parallel import default_workers
from .sim.report import (
    EPOCH,
    block_of,
    format_difference,
    format_value,
    shown_kpis,
    shown_load_kpis,
    write_comparison_report,
    write_events,
    write_html_report,
)
from .sim.runs import Comparison, Result, compare, simulate, variants
from .sim.scenario import (
    AGENT_POLICIES,
    Scenario,
    ScenarioError,
    ScenarioFileError,
    load_scenario,
)
from .sim.sweep import SweepResult, compare_scenarios, sweep
from .sim.verdicts import comparison_warnings, wide_interval_warnings

__all__ = ["app", "main"]

app = typer.Typer(
    help="Route contacts, simulate contact-centre days and compare routing policies.",
    no_args_is_help=True,
    add_completion=False,
)
_out = Console()
_err = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="Scenario file (TOML).", show_default=False)]
Seed = Annotated[int | None, typer.Option(help="Override the scenario's seed.")]
Replications = Annotated[
    int | None, typer.Option(min=1, help="Override the number of replications.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON to stdout instead of tables.")]
Force = Annotated[
    bool, typer.Option("--force", help="Overwrite a report already in the --report directory.")
]
_POLICY_HELP = f"Agent-selection policy: {', '.join(AGENT_POLICIES)}; or module:attribute."
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
_CONTEXT_VALUES = {"on": True, "off": False}


def main() -> None:
    """Entry point of the ``experiencehub`` console script."""
    app()


def _print_version(value: bool) -> None:
    if value:
        _out.print(f"experiencehub {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Route contacts, simulate contact-centre days and compare routing policies."""


# -- simulate -------------------------------------------------------------------------------------
@app.command("simulate")
def simulate_command(  # noqa: PLR0917 (typer maps parameters to options)
    file: FileArg,
    as_json: AsJson = False,
    report: Annotated[
        Path | None, typer.Option(help="Directory for an HTML report (index.html) with plots.")
    ] = None,
    events: Annotated[
        Path | None, typer.Option(help="Write one JSON line per contact here.")
    ] = None,
    epoch: Annotated[
        str | None,
        typer.Option(
            help="Date and time of simulated second 0 in --events, ISO 8601 (default 2000-01-01Z)."
        ),
    ] = None,
    policy: Annotated[str | None, typer.Option(help=_POLICY_HELP)] = None,
    context: Annotated[
        str | None,
        typer.Option(help="on or off: run contacts through the context layer (default: file)."),
    ] = None,
    replications: Replications = None,
    seed: Seed = None,
    workers: Workers = None,
    preset: PresetOption = None,
    short_abandon: ShortAbandon = None,
    exclude_short: ExcludeShort = None,
    abandons_within: AbandonsWithin = None,
    denominator: Denominator = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Overwrite a report already in the --report directory and an existing "
            "--events file; write --out tables into a directory that is not empty.",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write tidy tables (contacts, intervals, agents, groups, kpis) into this "
            "directory, which must be empty or new (see docs/tables.md)."
        ),
    ] = None,
    table_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Format of the --out tables: parquet or csv (default: parquet when pyarrow "
            "is installed, the tables extra; else csv).",
        ),
    ] = None,
    table_start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="Date and time of simulated second 0 in --out tables, ISO 8601 "
            "(2026-03-02T08:00; default: the scenario's simulation.start, else times in seconds).",
        ),
    ] = None,
) -> None:
    """Simulate a scenario and print its KPIs (overall, per channel, queue, segment, agent group)."""
    scenario = _with_switches(
        _load(file, preset), short_abandon, exclude_short, abandons_within, denominator
    )
    _check_policy(policy)
    enabled = None if context is None else _context_setting(context)
    start = EPOCH if epoch is None else _epoch(epoch)
    tables_start = _tables_start(table_start, scenario)
    _check_outputs(report, force, events)
    tables_format = None if out is None else _prepare_tables(out, table_format, force)
    with _progress(f"simulating {scenario.name}") as step:
        result = simulate(
            scenario,
            policy=policy,
            context=enabled,
            replications=replications,
            seed=seed,
            progress=step,
            workers=workers,
        )
    if events is not None:
        with _writing("--events", events):
            count = write_events(result, events, epoch=start)
        _err.print(f"wrote {count} contact records to {events}")
    if report is not None:
        with _writing("--report", report):
            page = write_html_report(result, report)
        _err.print(f"wrote the HTML report to {page}")
    if out is not None:
        _write_tables(result, out, tables_format, tables_start)
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(result.to_dict()), indent=2) + "\n")
        return
    _print_result(result)


def _prepare_tables(out: Path, table_format: str | None, force: bool) -> str:
    """The --out format, after checking the directory, before anything is simulated: an
    unknown format exits 1; a missing pyarrow or a directory that cannot take the tables, 2."""
    chosen = (table_format or tablefiles.default_format()).strip().lower()
    if chosen not in tablefiles.FORMATS:
        _fail([f"--format: must be one of {', '.join(tablefiles.FORMATS)}, got {table_format!r}"])
    if chosen == "parquet" and (problem := missing_extra("pyarrow", "tables", "--format parquet")):
        _fail_file(f"{problem} (or --format csv)")
    try:
        tablefiles.prepare_directory(out, force=force)
    except tablefiles.TablesError as exc:
        _fail_file(f"--out {exc}")
    return chosen


def _tables_start(text: str | None, scenario: Scenario) -> dt.datetime | None:
    """--start, else the scenario's simulation.start, else None (times in seconds)."""
    given = text if text is not None else scenario.simulation.start
    try:
        return None if given is None else parse_start(given)
    except ValueError as exc:
        _fail([f"--start: {exc}"])
        raise  # unreachable: _fail exits


def _write_tables(result: Result, out: Path, chosen: str | None, start: dt.datetime | None) -> None:
    try:
        written = tablefiles.write_tables(result, out, format=chosen, start=start, force=True)
    except tablefiles.TablesError as exc:
        _fail_file(f"--out {exc}")
    _err.print(f"wrote {len(written)} {chosen} tables ({', '.join(written)}) to {out}")


def _print_result(result: Result) -> None:
    rule = result.rule
    sim = result.scenario.simulation
    _out.print(
        f"[bold]{result.scenario.name}[/bold] · policy [bold]{result.policy}[/bold] · context "
        f"{'on' if result.context else 'off'} · {len(result.runs)} replication(s), seed {sim.seed}"
        f" · measured {_duration(sim.duration)} after {_duration(sim.warmup)} warm-up"
    )
    _out.print(
        f"service level preset [bold]{rule.name}[/bold]: {rule.description}; "
        f"short abandons < {rule.short_abandon_seconds:g} s"
    )
    ci_note = " (mean ±95% CI half-width)" if len(result.runs) > 1 else ""
    columns = {"overall": (result.kpis["overall"], result.ci95["overall"])}
    columns.update(_blocks(result, "by_channel"))
    _out.print(_kpi_table(f"Overall and by channel{ci_note}", columns))
    _out.print(_kpi_table("By queue", _blocks(result, "by_queue")))
    _out.print(_kpi_table("By segment", _blocks(result, "by_segment")))
    if result.kpis.get("by_group"):
        _out.print(_kpi_table("By agent group", _blocks(result, "by_group"), kpi.GROUP_KPI_KEYS))
    load = {"all agents": (result.kpis["overall"], result.ci95["overall"])}
    load.update(_blocks(result, "by_group"))
    load_keys = shown_load_kpis(v for v, _ in load.values())
    _out.print(_kpi_table("Agent load and cost", load, load_keys))
    if result.kpis.get("away"):
        _out.print(_kpi_table("Time away, by reason", _blocks(result, "away"), kpi.AWAY_KPI_KEYS))
    _out.print(target_table(result))
    _out.print(staffing_table(result.scenario))
    _warn(wide_interval_warnings(result))
    per_customer = 1e6 * result.wall_seconds / max(1, result.customers)
    _out.print(
        f"[dim]{result.customers} contacts simulated in {result.wall_seconds:.2f} s "
        f"({per_customer:.0f} µs per contact). FCR (proxy): handled with no repeat contact "
        f"within {result.scenario.kpis.repeat_window_hours:g} h; FCR: issues resolved at their "
        "first answered contact.[/dim]"
    )


def _blocks(result: Result, group: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    halves = result.ci95.get(group) or {}
    return {k: (v, halves.get(k) or {}) for k, v in result.kpis[group].items()}


_LABELS = {
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


def _kpi_table(
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
        table.add_row(_LABELS.get(key, key), *cells)
    return table


# -- compare --------------------------------------------------------------------------------------
@app.command("compare")
def compare_command(  # noqa: PLR0917 (typer maps parameters to options)
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Scenario file (TOML); give two or more to compare the scenarios.",
            show_default=False,
        ),
    ],
    policy: Annotated[
        list[str] | None,
        typer.Option(
            help=f"A policy to compare (repeat it); default: the scenario's. {_POLICY_HELP}"
        ),
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(help="on or off; repeat it (--context off --context on) to compare both."),
    ] = None,
    as_json: AsJson = False,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML comparison with a frontier plot here.")
    ] = None,
    replications: Replications = None,
    seed: Seed = None,
    preset: PresetOption = None,
    short_abandon: ShortAbandon = None,
    exclude_short: ExcludeShort = None,
    abandons_within: AbandonsWithin = None,
    denominator: Denominator = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    force: Force = False,
) -> None:
    """Simulate the same customers under each policy and context setting, or in each scenario
    file; KPIs side by side with the paired differences against the first."""

    def load(file: Path) -> Scenario:
        loaded = _load(file, preset)
        return _with_switches(loaded, short_abandon, exclude_short, abandons_within, denominator)

    if len(files) > 1:
        options = _FileOptions(policy, context, replications, seed, workers, scheduler)
        _compare_files(files, load, options, as_json=as_json, report=report)
        return
    scenario = load(files[0])
    policies = policy or [scenario.simulation.policy]
    for name in policies:
        _check_policy(name)
    contexts: list[bool | None] = [_context_setting(value) for value in context or []] or [None]
    if len(policies) * len(contexts) < 2:
        _fail(["--policy: give at least two policies, or two --context values (off and on)"])
    try:
        variants(scenario, policies, contexts)
    except ValueError as exc:
        _fail([f"--policy/--context: {exc}"])
    _check_outputs(report, force, None)
    with _progress(f"comparing {len(policies) * len(contexts)} variants") as step:
        comparison = compare(
            scenario,
            policies,
            contexts=contexts,
            replications=replications,
            seed=seed,
            progress=step,
            workers=workers,
        )
    if report is not None:
        with _writing("--report", report):
            page = write_comparison_report(comparison, report)
        _err.print(f"wrote the comparison report to {page}")
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(comparison.to_dict()), indent=2) + "\n")
        return
    _print_comparison(comparison)


def _print_comparison(comparison: Comparison) -> None:
    base = comparison.baseline
    _out.print(
        f"[bold]{base.scenario.name}[/bold] · {len(base.runs)} replication(s) with common random "
        f"numbers · service level preset [bold]{base.rule.name}[/bold]: {base.rule.description}"
    )
    _out.print(_comparison_table("Overall", comparison, "overall", None))
    for queue in base.kpis["by_queue"]:
        _out.print(_comparison_table(f"Queue {queue}", comparison, "by_queue", queue))
    _out.print(
        f"[dim]Δ: differences paired by replication, variant − {base.label} (± 95% CI).[/dim]"
    )
    _warn(comparison_warnings(comparison))


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        _out.print(Text.assemble(("warning: ", "yellow"), warning))


def _comparison_table(title: str, comparison: Comparison, group: str, key: str | None) -> Table:
    others = comparison.results[1:]
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for result in comparison.results:
        table.add_column(result.label, justify="right")
    for other in others:
        table.add_column(f"Δ {other.label}", justify="right")

    def pick(blocks: kpi.Blocks) -> dict[str, Any]:
        return block_of(blocks, group, key)

    for name in shown_kpis(pick(r.kpis) for r in comparison.results):
        cells = [
            format_value(name, pick(r.kpis).get(name), pick(r.ci95).get(name))
            for r in comparison.results
        ]
        for other in others:
            mean, half = comparison.differences[other.label]
            cells.append(format_difference(name, pick(mean).get(name), pick(half).get(name)))
        table.add_row(_LABELS.get(name, name), *cells)
    return table


@attrs.frozen
class _FileOptions:
    policy: list[str] | None
    context: list[str] | None
    replications: int | None
    seed: int | None
    workers: int | None
    scheduler: str | None


def _compare_files(
    files: list[Path],
    load: Callable[[Path], Scenario],
    options: _FileOptions,
    *,
    as_json: bool,
    report: Any,
) -> None:
    """``compare A.toml B.toml``: scenario against scenario under common random numbers."""
    if report is not None:
        _fail(["--report: not available when comparing scenario files (use sweep --json)"])
    for name, given in (("--policy", options.policy), ("--context", options.context)):
        if given and len(given) > 1:
            _fail(
                [f"{name}: give it at most once when comparing scenario files (it applies to all)"]
            )
    scenarios = [load(file) for file in files]
    _check_policy(options.policy[0] if options.policy else None)
    enabled = _context_setting(options.context[0]) if options.context else None
    chosen = {}
    for label, loaded in zip(_file_labels(files), scenarios, strict=True):
        chosen[label] = _with_policy(loaded, options.policy).with_context(enabled)
    with _progress(f"comparing {len(files)} scenarios") as step:
        result = _run_sweep(
            lambda: compare_scenarios(
                chosen, replications=options.replications, seed=options.seed,
                workers=options.workers, scheduler=options.scheduler, progress=step,
            ),
            options.scheduler,
        )  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(result.to_dict()), indent=2) + "\n")
        return
    _out.print(sweep_heading(result))
    for table in comparison_tables(result, _LABELS):
        _out.print(table)
    _out.print(
        f"[dim]Δ: differences paired by replication, scenario − {files[0]} (± 95% CI).[/dim]"
    )


def _with_policy(scenario: Scenario, policy: list[str] | None) -> Scenario:
    return scenario.with_overrides(policy=policy[0]) if policy else scenario


def _file_labels(files: list[Path]) -> list[str]:
    """File names without .toml, or the paths given when two names are the same."""
    stems = [file.stem for file in files]
    if len(set(stems)) == len(stems):
        return stems
    paths = [str(file) for file in files]
    if len(set(paths)) < len(paths):
        _fail(["FILES: the same scenario file is given twice"])
    return paths


# -- sweep ----------------------------------------------------------------------------------------
@app.command("sweep")
def sweep_command(  # noqa: PLR0917 (typer maps parameters to options)
    file: FileArg,
    set_: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="PATH=VALUES: a scenario key and its values, a..b, a..b..step or a,b,c (repeat "
            "it; the grid is every combination). E.g. agents.billing.count=6..12",
            show_default=False,
        ),
    ],
    as_json: AsJson = False,
    queue: Annotated[
        str | None, typer.Option(help="Show this queue's KPIs instead of the overall ones.")
    ] = None,
    replications: Replications = None,
    seed: Seed = None,
    preset: Annotated[str | None, typer.Option(help="Service-level preset.")] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
) -> None:
    """Simulate every combination of the --set values under common random numbers; one KPI row
    per point. Every point is checked before anything runs."""
    scenario = _load(file, preset)
    axes, problems = [], []
    for text in set_:
        try:
            axes.append(parse_setting(text))
        except OverrideError as exc:
            problems.extend(exc.problems)
    if queue is not None and queue not in {q.name for q in scenario.queues}:
        problems.append(f"--queue: no queue {queue!r} in {file}")
    if problems:
        _fail(problems)
    where = "Dask" if scheduler else f"{workers or default_workers()} worker(s)"
    with _progress(f"sweeping {len(set_)} key(s) on {where}") as step:
        result = _run_sweep(
            lambda: sweep(
                scenario, axes, replications=replications, seed=seed, workers=workers,
                scheduler=scheduler, progress=step,
            ),
            scheduler,
        )  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(result.to_dict()), indent=2) + "\n")
        return
    _out.print(sweep_heading(result))
    _out.print(sweep_table(result, _LABELS, queue))
    wall = sum(p.wall_seconds for p in result.points)
    contacts = sum(p.contacts for p in result.points)
    _out.print(f"[dim]{contacts} contacts simulated, {wall:.1f} s of simulation in all.[/dim]")


def _run_sweep(work: Callable[[], SweepResult], scheduler: str | None) -> SweepResult:
    """Run a sweep or comparison; its input problems and an unreachable scheduler exit 1."""
    try:
        return work()
    except OverrideError as exc:
        _fail(exc.problems, header=f"{len(exc.problems)} problem(s), nothing was run:")
    except ImportError as exc:
        if scheduler is None:
            raise
        _fail_file(f"--scheduler {scheduler}: {exc}")  # the dask extra is not installed
    except OSError as exc:
        if scheduler is None:
            raise
        _fail([f"--scheduler {scheduler}: {exc}"])
    raise AssertionError("unreachable: _fail exits")


# -- validate -------------------------------------------------------------------------------------
@app.command("validate")
def validate_command(file: FileArg) -> None:
    """Check a scenario file; list every problem with its key path (exit 1). Nothing runs."""
    scenario = _load(file, None)
    loads = ", ".join(f"{q.name} ({q.channel})" for q in scenario.queues)
    _out.print(
        f"[green]ok[/green] {file}: {len(scenario.queues)} queues ({loads}), "
        f"{sum(g.count for g in scenario.agents)} agents in {len(scenario.agents)} groups, "
        f"{len(scenario.workload)} workload entries"
    )


# -- erlang ---------------------------------------------------------------------------------------
@app.command("erlang")
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
    rule = _rule_of(preset, short_abandon, exclude_short, abandons_within, denominator)
    target = max_blocking if kind.strip().lower() == "b" else target_sl
    try:
        out = erlang_staffing.erlang_figures(
            kind, per_hour, handle, agents=agents, patience=patience, threshold=threshold,
            target=target, max_occupancy=max_occupancy, preset=rule,
        )  # fmt: skip
    except (ConfigError, ValueError) as exc:
        _fail([str(exc)])
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(out), indent=2) + "\n")
        return
    table = Table(
        title=f"{out.get('model', 'erlang')}: {per_hour:g}/h, {handle:g} s handle",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in out.items():
        table.add_row(key, _plain(key, value))
    _out.print(table)


# -- staff ----------------------------------------------------------------------------------------
@app.command("staff")
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
    rule = _rule_of(preset, short_abandon, exclude_short, abandons_within, denominator)
    base = _load(scenario, None)
    settings = staffing.StaffingSettings(
        target_sl=target, threshold_seconds=threshold, shrinkage=shrinkage,
        max_occupancy=max_occupancy, rule=rule, tolerance=tolerance,
    )  # fmt: skip
    try:
        plan = staffing.plan_staffing(load_forecast(forecast), base, settings)
        check = None
        if not plan_only:
            with _progress("simulating the plan") as step:
                check = staffing.check_plan(
                    plan, base, replications=replications, seed=seed, progress=step
                )
    except ForecastError as exc:
        _fail(exc.problems, header=f"{len(exc.problems)} problem(s) in {forecast}:")
    except ScenarioError as exc:
        _fail(exc.problems, header="the planned scenario has problems:")
    except ConfigError as exc:
        _fail([str(exc)])
    if as_json:
        out = check.to_dict() if check is not None else {"rostered": plan.rostered}
        sys.stdout.write(json.dumps(_jsonable(out), indent=2) + "\n")
        return
    _out.print(plan_heading(plan))
    _out.print(staff_table(plan, check))
    note = "Erlang agents: servers → agents when an agent holds several contacts at once. "
    if check is not None:
        runs = len(check.result.runs)
        note += (
            f"Simulated: {runs} replication(s) of {check.scenario.name}, contacts per "
            f"replication; verdict under/over outside target ± {100 * tolerance:g} points."
        )
    _out.print(f"[dim]{note}[/dim]")


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


# -- helpers --------------------------------------------------------------------------------------
def _epoch(text: str) -> dt.datetime:
    """An ISO 8601 date and time; without a time zone it is taken as UTC."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _fail([f"--epoch: {text!r} is not an ISO 8601 date and time (2026-12-02T08:00Z)"])
        raise  # unreachable: _fail exits
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def _load(file: Path, preset: str | None) -> Scenario:
    try:
        scenario = load_scenario(file)
    except ScenarioFileError as exc:
        _fail_file(f"{file}: {exc.problems[0].removeprefix('file: ')}")
    except ScenarioError as exc:
        _fail(exc.problems, header=f"{len(exc.problems)} problem(s) in {file}:")
    if preset is not None:
        if preset not in kpi.PRESETS:
            _fail([f"--preset: must be one of {', '.join(kpi.PRESETS)}, got {preset!r}"])
        scenario = _with_preset(scenario, preset)
    return scenario


def _with_preset(scenario: Scenario, preset: str) -> Scenario:
    return attrs.evolve(scenario, kpis=attrs.evolve(scenario.kpis, preset=preset))


def _with_switches(
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
        _fail([f"--{str(exc).split('=', 1)[0].replace('_', '-')}: {exc}"])
    return attrs.evolve(scenario, kpis=kpis)


def _rule_of(
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
        _fail([f"--{str(exc).split('=', 1)[0].replace('_', '-')}: {exc}"])
        raise  # unreachable: _fail exits


def _check_policy(policy: str | None) -> None:
    """A built-in policy name, or ``module:attribute`` naming an importable policy object."""
    if policy is None or policy in AGENT_POLICIES:
        return
    if ":" not in policy:
        _fail([
            f"--policy: must be one of {', '.join(AGENT_POLICIES)}, or module:attribute; "
            f"got {policy!r}"
        ])  # fmt: skip
    try:
        load_policy_object(policy)
    except ValueError as exc:
        _fail([f"--policy: {exc}"])


def _context_setting(value: str) -> bool:
    """``on``/``off`` (any case) as a bool; anything else exits 1 naming the option."""
    setting = _CONTEXT_VALUES.get(value.strip().lower())
    if setting is None:
        _fail([f"--context: must be on or off, got {value!r}"])
    return bool(setting)


def _check_outputs(report: Path | None, force: bool, events: Path | None) -> None:
    """Exit 2 before a run when an output cannot be written (see :mod:`._outputs`)."""
    problems = []
    if report is not None:
        problems.append(missing_extra("matplotlib", "report", "--report"))
        problems.append(report_problem("--report", report, force=force))
    if events is not None:
        problems.append(events_problem("--events", events, force=force))
    for problem in problems:
        if problem is not None:
            _fail_file(problem)


@contextmanager
def _writing(option: str, path: Path) -> Iterator[None]:
    """A write that fails after all (disk full, a directory removed meanwhile) exits 2."""
    try:
        yield
    except OSError as exc:
        _fail_file(f"{option} {path}: cannot write ({exc.strerror or exc})")


def _fail_file(problem: str) -> Any:
    """One line on stderr, exit 2: a file cannot be read or written."""
    _err.print(Text.assemble(("error: ", "red"), problem), highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _fail(problems: list[str], header: str = "error:") -> Any:
    _err.print(f"[red]{header}[/red]")
    for problem in problems:
        _err.print(f"  {problem}", markup=False, highlight=False)
    raise typer.Exit(code=1)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[float], None]]:
    """A progress callback that shows a bar on stderr once the run has taken over a second."""
    started = time.perf_counter()
    bar: list[Any] = []

    def step(fraction: float) -> None:
        if not bar:
            if time.perf_counter() - started < 1.0:
                return
            progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(), console=_err, transient=True,
            )  # fmt: skip
            progress.start()
            bar.extend([progress, progress.add_task(label, total=1.0)])
        bar[0].update(bar[1], completed=fraction)

    try:
        yield step
    finally:
        if bar:
            bar[0].stop()


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds:g} s"


def _jsonable(value: Any) -> Any:
    """NaN and infinities are not JSON; they become null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


if __name__ == "__main__":  # pragma: no cover
    main()
