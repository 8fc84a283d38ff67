"""``experiencehub compare`` and ``experiencehub sweep``: variants of one scenario (policies,
context on/off), scenario files against each other, and sweeps over any key, with paired
differences under common random numbers. Registered on the app by :mod:`experiencehub.cli`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import attrs
import typer
from rich.table import Table

from .cli_common import (
    KPI_LABELS,
    POLICY_HELP,
    AbandonsWithin,
    AsJson,
    Denominator,
    ExcludeShort,
    FileArg,
    Force,
    PresetOption,
    Replications,
    Scheduler,
    Seed,
    ShortAbandon,
    Workers,
    check_outputs,
    check_policy,
    console,
    context_setting,
    err_console,
    fail,
    fail_file,
    jsonable,
    load_file,
    progress_bar,
    warn,
    with_switches,
    writing,
)
from .cli_tables import comparison_tables, sweep_heading, sweep_table
from .sim import kpi
from .sim.overrides import OverrideError, parse_setting
from .sim.parallel import default_workers
from .sim.report import (
    block_of,
    format_difference,
    format_value,
    shown_kpis,
    write_comparison_report,
)
from .sim.runs import Comparison, compare, variants
from .sim.scenario import (
    Scenario,
)
from .sim.sweep import SweepResult, compare_scenarios, sweep
from .sim.verdicts import comparison_warnings

__all__ = [
    "compare_command",
    "sweep_command",
]


# -- compare --------------------------------------------------------------------------------------
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
            help=f"A policy to compare (repeat it); default: the scenario's. {POLICY_HELP}"
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
        loaded = load_file(file, preset)
        return with_switches(loaded, short_abandon, exclude_short, abandons_within, denominator)

    if len(files) > 1:
        options = _FileOptions(policy, context, replications, seed, workers, scheduler)
        _compare_files(files, load, options, as_json=as_json, report=report)
        return
    scenario = load(files[0])
    policies = policy or [scenario.simulation.policy]
    for name in policies:
        check_policy(name)
    contexts: list[bool | None] = [context_setting(value) for value in context or []] or [None]
    if len(policies) * len(contexts) < 2:
        fail(["--policy: give at least two policies, or two --context values (off and on)"])
    try:
        variants(scenario, policies, contexts)
    except ValueError as exc:
        fail([f"--policy/--context: {exc}"])
    check_outputs(report, force, None)
    with progress_bar(f"comparing {len(policies) * len(contexts)} variants") as step:
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
        with writing("--report", report):
            page = write_comparison_report(comparison, report)
        err_console.print(f"wrote the comparison report to {page}")
    if as_json:
        sys.stdout.write(json.dumps(jsonable(comparison.to_dict()), indent=2) + "\n")
        return
    _print_comparison(comparison)


def _print_comparison(comparison: Comparison) -> None:
    base = comparison.baseline
    console.print(
        f"[bold]{base.scenario.name}[/bold] · {len(base.runs)} replication(s) with common random "
        f"numbers · service level preset [bold]{base.rule.name}[/bold]: {base.rule.description}"
    )
    console.print(_comparison_table("Overall", comparison, "overall", None))
    for queue in base.kpis["by_queue"]:
        console.print(_comparison_table(f"Queue {queue}", comparison, "by_queue", queue))
    console.print(
        f"[dim]Δ: differences paired by replication, variant − {base.label} (± 95% CI).[/dim]"
    )
    warn(comparison_warnings(comparison))


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
        table.add_row(KPI_LABELS.get(name, name), *cells)
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
        fail(["--report: not available when comparing scenario files (use sweep --json)"])
    for name, given in (("--policy", options.policy), ("--context", options.context)):
        if given and len(given) > 1:
            fail(
                [f"{name}: give it at most once when comparing scenario files (it applies to all)"]
            )
    scenarios = [load(file) for file in files]
    check_policy(options.policy[0] if options.policy else None)
    enabled = context_setting(options.context[0]) if options.context else None
    chosen = {}
    for label, loaded in zip(_file_labels(files), scenarios, strict=True):
        chosen[label] = _with_policy(loaded, options.policy).with_context(enabled)
    with progress_bar(f"comparing {len(files)} scenarios") as step:
        result = _run_sweep(
            lambda: compare_scenarios(
                chosen, replications=options.replications, seed=options.seed,
                workers=options.workers, scheduler=options.scheduler, progress=step,
            ),
            options.scheduler,
        )  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(jsonable(result.to_dict()), indent=2) + "\n")
        return
    console.print(sweep_heading(result))
    for table in comparison_tables(result, KPI_LABELS):
        console.print(table)
    console.print(
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
        fail(["FILES: the same scenario file is given twice"])
    return paths


# -- sweep ----------------------------------------------------------------------------------------
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
    scenario = load_file(file, preset)
    axes, problems = [], []
    for text in set_:
        try:
            axes.append(parse_setting(text))
        except OverrideError as exc:
            problems.extend(exc.problems)
    if queue is not None and queue not in {q.name for q in scenario.queues}:
        problems.append(f"--queue: no queue {queue!r} in {file}")
    if problems:
        fail(problems)
    where = "Dask" if scheduler else f"{workers or default_workers()} worker(s)"
    with progress_bar(f"sweeping {len(set_)} key(s) on {where}") as step:
        result = _run_sweep(
            lambda: sweep(
                scenario, axes, replications=replications, seed=seed, workers=workers,
                scheduler=scheduler, progress=step,
            ),
            scheduler,
        )  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(jsonable(result.to_dict()), indent=2) + "\n")
        return
    console.print(sweep_heading(result))
    console.print(sweep_table(result, KPI_LABELS, queue))
    wall = sum(p.wall_seconds for p in result.points)
    contacts = sum(p.contacts for p in result.points)
    console.print(f"[dim]{contacts} contacts simulated, {wall:.1f} s of simulation in all.[/dim]")


def _run_sweep(work: Callable[[], SweepResult], scheduler: str | None) -> SweepResult:
    """Run a sweep or comparison; its input problems and an unreachable scheduler exit 1."""
    try:
        return work()
    except OverrideError as exc:
        fail(exc.problems, header=f"{len(exc.problems)} problem(s), nothing was run:")
    except ImportError as exc:
        if scheduler is None:
            raise
        fail_file(f"--scheduler {scheduler}: {exc}")  # the dask extra is not installed
    except OSError as exc:
        if scheduler is None:
            raise
        fail([f"--scheduler {scheduler}: {exc}"])
    raise AssertionError("unreachable: fail exits")
