"""The ``experiencehub`` command: simulate, compare, sweep, validate, erlang, staff.

This module owns the app, the ``simulate`` and ``validate`` commands and the list of commands
(``compare``/``sweep`` live in :mod:`.cli_compare`, ``erlang``/``staff`` in :mod:`.cli_plan`, what
they share in :mod:`.cli_common`). Together they own the terminal: argument parsing (typer), rich
tables and progress bars, exit codes. They compute nothing themselves; the simulator
(:mod:`experiencehub.sim`) and the Erlang formulas (:mod:`experiencehub.sim.erlang`) do. Machine output (``--json``) goes to stdout alone; progress
and errors go to stderr. Exit codes: 0 done, 1 the scenario or the options have problems, 2 a
file cannot be read or written (checked before a run starts: an existing report is kept unless
``--force``) or a package the option needs is not installed.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from ._outputs import missing_extra
from .cli_common import (
    POLICY_HELP,
    AbandonsWithin,
    AsJson,
    Denominator,
    ExcludeShort,
    FileArg,
    PresetOption,
    Replications,
    Seed,
    ShortAbandon,
    Workers,
    check_outputs,
    check_policy,
    console,
    context_setting,
    duration_text,
    err_console,
    fail,
    fail_file,
    jsonable,
    kpi_blocks,
    kpi_table,
    load_file,
    parse_epoch,
    progress_bar,
    warn,
    with_switches,
    writing,
)
from .cli_compare import compare_command, sweep_command
from .cli_plan import erlang_command, staff_command
from .cli_verdicts import staffing_table, target_table
from .sim import kpi, tablefiles
from .sim.checks import parse_start
from .sim.closures import change_notes
from .sim.confidence import block_columns
from .sim.consults import CONSULT_KPI_KEYS, consult_columns
from .sim.queued_callbacks import CALLBACK_KPI_KEYS, callback_columns
from .sim.report import (
    EPOCH,
    shown_load_kpis,
    write_events,
    write_html_report,
)
from .sim.runs import Result, simulate
from .sim.scenario import (
    Scenario,
)
from .sim.self_service import SELF_SERVICE_KPI_KEYS, self_service_columns
from .sim.verdicts import wide_interval_warnings
from .sim.wait_estimates import ESTIMATED_WAIT_KPI_KEYS

__all__ = ["app", "main"]

app = typer.Typer(
    help="Route contacts, simulate contact-centre days and compare routing policies.",
    no_args_is_help=True,
    add_completion=False,
)


def main() -> None:
    """Entry point of the ``experiencehub`` console script."""
    app()


def _print_version(value: bool) -> None:
    if value:
        console.print(f"experiencehub {__version__}", highlight=False)
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
    policy: Annotated[str | None, typer.Option(help=POLICY_HELP)] = None,
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
    scenario = with_switches(
        load_file(file, preset), short_abandon, exclude_short, abandons_within, denominator
    )
    check_policy(policy)
    enabled = None if context is None else context_setting(context)
    start = EPOCH if epoch is None else parse_epoch(epoch)
    tables_start = _tables_start(table_start, scenario)
    check_outputs(report, force, events)
    tables_format = None if out is None else _prepare_tables(out, table_format, force)
    with progress_bar(f"simulating {scenario.name}") as step:
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
        with writing("--events", events):
            count = write_events(result, events, epoch=start)
        err_console.print(f"wrote {count} contact records to {events}")
    if report is not None:
        with writing("--report", report):
            page = write_html_report(result, report)
        err_console.print(f"wrote the HTML report to {page}")
    if out is not None:
        _write_tables(result, out, tables_format, tables_start)
    if as_json:
        sys.stdout.write(json.dumps(jsonable(result.to_dict()), indent=2) + "\n")
        return
    _print_result(result)


def _prepare_tables(out: Path, table_format: str | None, force: bool) -> str:
    """The --out format, after checking the directory, before anything is simulated: an
    unknown format exits 1; a missing pyarrow or a directory that cannot take the tables, 2."""
    chosen = (table_format or tablefiles.default_format()).strip().lower()
    if chosen not in tablefiles.FORMATS:
        fail([f"--format: must be one of {', '.join(tablefiles.FORMATS)}, got {table_format!r}"])
    if chosen == "parquet" and (problem := missing_extra("pyarrow", "tables", "--format parquet")):
        fail_file(f"{problem} (or --format csv)")
    try:
        tablefiles.prepare_directory(out, force=force)
    except tablefiles.TablesError as exc:
        fail_file(f"--out {exc}")
    return chosen


def _tables_start(text: str | None, scenario: Scenario) -> dt.datetime | None:
    """--start, else the scenario's simulation.start, else None (times in seconds)."""
    given = text if text is not None else scenario.simulation.start
    try:
        return None if given is None else parse_start(given)
    except ValueError as exc:
        fail([f"--start: {exc}"])
        raise  # unreachable: fail exits


def _write_tables(result: Result, out: Path, chosen: str | None, start: dt.datetime | None) -> None:
    try:
        written = tablefiles.write_tables(result, out, format=chosen, start=start, force=True)
    except tablefiles.TablesError as exc:
        fail_file(f"--out {exc}")
    err_console.print(f"wrote {len(written)} {chosen} tables ({', '.join(written)}) to {out}")


def _print_result(result: Result) -> None:
    rule = result.rule
    sim = result.scenario.simulation
    console.print(
        f"[bold]{result.scenario.name}[/bold] · policy [bold]{result.policy}[/bold] · context "
        f"{'on' if result.context else 'off'} · {len(result.runs)} replication(s), seed {sim.seed}"
        f" · measured {duration_text(sim.duration)} after {duration_text(sim.warmup)} warm-up"
    )
    console.print(
        f"service level preset [bold]{rule.name}[/bold]: {rule.description}; "
        f"short abandons < {rule.short_abandon_seconds:g} s"
    )
    changes = change_notes(result.scenario.queues)
    if changes:
        console.print(f"queues changed during the run: {'; '.join(changes)}")
    ci_note = " (mean ±95% CI half-width)" if len(result.runs) > 1 else ""
    columns = {"overall": (result.kpis["overall"], result.ci95["overall"])}
    columns.update(kpi_blocks(result, "by_channel"))
    console.print(kpi_table(f"Overall and by channel{ci_note}", columns))
    console.print(kpi_table("By queue", kpi_blocks(result, "by_queue")))
    console.print(kpi_table("By segment", kpi_blocks(result, "by_segment")))
    if result.kpis.get("by_group"):
        console.print(
            kpi_table("By agent group", kpi_blocks(result, "by_group"), kpi.GROUP_KPI_KEYS)
        )
    load = {"all agents": (result.kpis["overall"], result.ci95["overall"])}
    load.update(kpi_blocks(result, "by_group"))
    load_keys = shown_load_kpis(v for v, _ in load.values())
    console.print(kpi_table("Agent load and cost", load, load_keys))
    if result.kpis.get("away"):
        console.print(
            kpi_table("Time away, by reason", kpi_blocks(result, "away"), kpi.AWAY_KPI_KEYS)
        )
    if (result.kpis.get("estimated_wait") or {}).get("overall", {}).get("estimated"):
        columns = block_columns(result.kpis, result.ci95, "estimated_wait")
        console.print(kpi_table("Estimated wait accuracy", columns, ESTIMATED_WAIT_KPI_KEYS))
    if result.kpis.get("callbacks"):
        columns = callback_columns(result.kpis, result.ci95)
        console.print(kpi_table("Queued callbacks", columns, CALLBACK_KPI_KEYS))
    if result.kpis.get("self_service"):
        columns = self_service_columns(result.kpis, result.ci95)
        console.print(kpi_table("Self-service", columns, SELF_SERVICE_KPI_KEYS))
    if result.kpis.get("consults"):
        columns = consult_columns(result.kpis, result.ci95)
        console.print(kpi_table("Consults and warm transfers", columns, CONSULT_KPI_KEYS))
    console.print(target_table(result))
    console.print(staffing_table(result.scenario))
    warn(wide_interval_warnings(result))
    per_customer = 1e6 * result.wall_seconds / max(1, result.customers)
    console.print(
        f"[dim]{result.customers} contacts simulated in {result.wall_seconds:.2f} s "
        f"({per_customer:.0f} µs per contact). FCR (proxy): handled with no repeat contact "
        f"within {result.scenario.kpis.repeat_window_hours:g} h; FCR: issues resolved at their "
        "first answered contact.[/dim]"
    )


# -- validate -------------------------------------------------------------------------------------
def validate_command(file: FileArg) -> None:
    """Check a scenario file; list every problem with its key path (exit 1). Nothing runs."""
    scenario = load_file(file, None)
    loads = ", ".join(f"{q.name} ({q.channel})" for q in scenario.queues)
    console.print(
        f"[green]ok[/green] {file}: {len(scenario.queues)} queues ({loads}), "
        f"{sum(g.count for g in scenario.agents)} agents in {len(scenario.agents)} groups, "
        f"{len(scenario.workload)} workload entries"
    )


app.command("compare")(compare_command)
app.command("sweep")(sweep_command)
app.command("validate")(validate_command)
app.command("erlang")(erlang_command)
app.command("staff")(staff_command)


if __name__ == "__main__":  # pragma: no cover
    main()
