"""Tidy tables of a simulated scenario for analysts: contacts, intervals, agents, groups, KPIs.

This module owns the tables' *schemas* (docs/tables.md describes every column) and builds their
columns from a :class:`~.runs.Result`; :mod:`.tablefiles` writes them as Parquet or CSV. Every
KPI in a table comes from :mod:`.kpi`'s definitions. It never simulates and never writes.

Every table has a ``replication`` column. Time columns (``arrived_at``, ``interval_start``…) hold
seconds from simulated second 0, or dates and times when a ``start`` is given. Warm-up rows are
flagged (``warmup``), never dropped. Tables come in chunks of columns (lists of values, never one
dict per contact), so a million-contact day can be written a slice at a time.

>>> from experiencehub.sim.runs import _TINY, simulate
>>> from experiencehub.sim.scenario import load_scenario_text
>>> t = tables(simulate(load_scenario_text(_TINY)))
>>> sorted(t)
['agents', 'contacts', 'groups', 'intervals', 'kpis']
>>> t["intervals"]["queue"], t["intervals"]["interval_start"], t["intervals"]["agents_on_shift"]
(['q'], [0.0], [1.0])
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ..records import ContactRecord
from .checks import parse_start
from .kpi import GROUP_KPI_KEYS, AgentTime, Blocks, ServiceLevelRule, group_kpis, kpi_block

if TYPE_CHECKING:
    from .engine import RunResult
    from .scenario_types import Scenario

__all__ = [
    "CHUNK_ROWS",
    "INTERVAL_KPIS",
    "Column",
    "Simulated",
    "Table",
    "parse_start",
    "table_specs",
    "tables",
]  # parse_start lives in .checks (the scenario's simulation.start is checked with it)

CHUNK_ROWS = 65_536
"""Contacts per chunk (and per Parquet row group): big enough that the per-chunk overhead does
not show, small enough that a chunk's columns are a few megabytes on a million-contact day."""

INTERVAL_KPIS = ("offered", "answered", "abandoned", "service_level", "asa", "mean_wait_all")
"""The :func:`~.kpi.kpi_block` KPIs of the ``intervals`` table, per queue and interval."""

Chunk = dict[str, list[Any]]


class Simulated(Protocol):
    """What the tables read of a :class:`~.runs.Result` (typed structurally, so this module does
    not import the one that runs simulations)."""

    @property
    def scenario(self) -> Scenario: ...
    @property
    def rule(self) -> ServiceLevelRule: ...
    @property
    def runs(self) -> tuple[RunResult, ...]: ...
    @property
    def per_run(self) -> tuple[Blocks, ...]: ...
    @property
    def kpis(self) -> Blocks: ...
    @property
    def ci95(self) -> Blocks: ...


@attrs.frozen
class Column:
    """One column: its name and kind — ``int``, ``float``, ``str``, ``bool``, ``time`` (seconds
    from simulated second 0, or a date and time given a start) or ``strings`` (a tuple of
    strings: a list in Parquet, ``;``-joined in CSV)."""

    name: str
    kind: str


@attrs.frozen
class Table:
    """A table's name, its columns, and a function that yields its rows as chunks of columns
    (column name → list of values, every list as long)."""

    name: str
    columns: tuple[Column, ...]
    chunks: Callable[[], Iterator[Chunk]]


def tables(
    result: Simulated, *, start: dt.datetime | None = None
) -> dict[str, dict[str, list[Any]]]:
    """Every table as columns: table name → column name → values, in the order of
    :func:`table_specs`. Time columns are seconds, or datetimes counted from ``start``.

    Holds every table in memory at once; :func:`~.tablefiles.write_tables` writes a slice at a
    time instead. Cost: O(contacts · log contacts + agents + KPIs).
    """
    out: dict[str, dict[str, list[Any]]] = {}
    for spec in table_specs(result):
        columns: dict[str, list[Any]] = {c.name: [] for c in spec.columns}
        for chunk in spec.chunks():
            for name, values in chunk.items():
                columns[name].extend(values)
        if start is not None:
            for c in spec.columns:
                if c.kind == "time":
                    columns[c.name] = [at(start, s) for s in columns[c.name]]
        out[spec.name] = columns
    return out


def at(start: dt.datetime, seconds: float | None) -> dt.datetime | None:
    """Simulated ``seconds`` as a date and time counted from ``start`` (None stays None).
    Cost: O(1)."""
    return None if seconds is None else start + dt.timedelta(seconds=seconds)


def table_specs(result: Simulated) -> list[Table]:
    """The five tables of a result (contacts, intervals, agents, groups, kpis), not built yet.
    Cost: O(1); building a table's chunks costs what its docs/tables.md entry says."""
    return [
        Table("contacts", CONTACT_COLUMNS, lambda: _contact_chunks(result.runs)),
        Table("intervals", INTERVAL_COLUMNS, lambda: _interval_chunks(result)),
        Table("agents", AGENT_COLUMNS, lambda: _agent_chunks(result.runs)),
        Table("groups", GROUP_COLUMNS, lambda: _group_chunks(result)),
        Table("kpis", KPI_COLUMNS, lambda: _kpi_chunks(result)),
    ]


# -- contacts ------------------------------------------------------------------------------------
_KINDS = {
    "str": "str",
    "str | None": "str",
    "int": "int",
    "float": "float",
    "float | None": "float",
    "bool": "bool",
    "bool | None": "bool",
    "tuple[str, ...]": "strings",
}


def _record_columns() -> tuple[Column, ...]:
    """Every :class:`ContactRecord` field (``replication`` first; ``*_at`` times), then ``wait``
    and ``warmup``: a field added to the record becomes a column without an edit here."""
    columns = [Column("replication", "int")]
    for field in attrs.fields(ContactRecord):
        kind = _KINDS.get(str(field.type), "str")
        if kind == "float" and field.name.endswith("_at"):
            kind = "time"
        if field.name != "replication":
            columns.append(Column(field.name, kind))
    return (*columns, Column("wait", "float"), Column("warmup", "bool"))


CONTACT_COLUMNS = _record_columns()
_RECORD_FIELDS = tuple(c.name for c in CONTACT_COLUMNS[:-2])


def _contact_chunks(runs: Sequence[RunResult]) -> Iterator[Chunk]:
    """The records of every run, CHUNK_ROWS at a time. Cost: O(contacts · columns)."""
    getters = {name: operator.attrgetter(name) for name in _RECORD_FIELDS}
    for run in runs:
        warmup_end = run.measured[0]
        records = run.records
        for begin in range(0, len(records), CHUNK_ROWS):
            part = records[begin : begin + CHUNK_ROWS]
            chunk = {name: list(map(get, part)) for name, get in getters.items()}
            chunk["wait"] = [r.wait for r in part]
            chunk["warmup"] = [r.arrived_at < warmup_end for r in part]
            yield chunk


# -- intervals -----------------------------------------------------------------------------------
INTERVAL_COLUMNS = (
    Column("replication", "int"),
    Column("queue", "str"),
    Column("channel", "str"),
    Column("interval_start", "time"),
    Column("interval_end", "time"),
    Column("warmup", "bool"),
    Column("offered", "int"),
    Column("answered", "int"),
    Column("abandoned", "int"),
    Column("service_level", "float"),
    Column("asa", "float"),
    Column("mean_wait", "float"),
    Column("agents_on_shift", "float"),
    Column("centre_agents_staffed", "float"),
)


def _interval_chunks(result: Simulated) -> Iterator[Chunk]:
    """One chunk per run: every queue × interval of ``[0, warm-up + duration)``, by arrival time.
    Cost: O(contacts · log contacts + queues · intervals · shifts)."""
    scenario = result.scenario
    sim = scenario.simulation
    length = scenario.kpis.interval_minutes * 60.0
    end = sim.warmup + sim.duration
    bounds = [(i * length, min(end, (i + 1) * length)) for i in range(math.ceil(end / length))]
    for run in result.runs:
        arrived: dict[tuple[str, int], list[ContactRecord]] = defaultdict(list)
        for r in run.records:
            index = int(r.arrived_at // length)
            if index < len(bounds):
                arrived[r.queue, index].append(r)
        on_shift = _on_shift(scenario, run.agents, bounds)
        staffed = run.staffed_agents()  # as the report's staffing plot reads it
        chunk: Chunk = {c.name: [] for c in INTERVAL_COLUMNS}
        for queue in scenario.queues:
            for index, (low, high) in enumerate(bounds):
                block = kpi_block(arrived.get((queue.name, index), []), result.rule, issues=(),
                                  asks=False)  # fmt: skip
                row = (run.replication, queue.name, queue.channel, low, high, low < sim.warmup,
                       *(block[k] for k in INTERVAL_KPIS), on_shift[queue.name][index],
                       staffed[index])  # fmt: skip
                for column, value in zip(INTERVAL_COLUMNS, row, strict=True):
                    chunk[column.name].append(value)
        yield chunk


def _on_shift(
    scenario: Scenario, agents: Sequence[AgentTime], bounds: Sequence[tuple[float, float]]
) -> dict[str, list[float]]:
    """queue → mean number of agents able to serve it who were on shift (logged in, breaks
    included) per interval, from the groups' shifts (none: logged in throughout).
    Cost: O(groups · intervals · shifts + agents)."""
    members: dict[str, int] = defaultdict(int)
    serves: dict[str, frozenset[str]] = {}
    for agent in agents:
        members[agent.group] += 1
        serves[agent.group] = agent.queues
    on_shift = {q.name: [0.0] * len(bounds) for q in scenario.queues}
    for group in scenario.agents:
        spans = [(s.start, s.end) for s in group.shifts] or [(0.0, math.inf)]
        for index, (low, high) in enumerate(bounds):
            on = sum(max(0.0, min(high, b) - max(low, a)) for a, b in spans) / (high - low)
            for queue in serves.get(group.group, ()):
                on_shift[queue][index] += on * members[group.group]
    return on_shift


# -- agents and groups ---------------------------------------------------------------------------
_TIME_COLUMNS = (
    Column("staffed_seconds", "float"),
    Column("busy_seconds", "float"),
    Column("idle_seconds", "float"),
    Column("away_seconds", "float"),
)
_GROUP_KPIS = tuple(
    Column(k, "int" if k in ("agents", "contacts_handled") else "float")
    for k in GROUP_KPI_KEYS
    if k != "agents"
)
AGENT_COLUMNS = (
    Column("replication", "int"),
    Column("agent_id", "str"),
    Column("group", "str"),
    *_TIME_COLUMNS,
    *_GROUP_KPIS,
)
GROUP_COLUMNS = (
    Column("replication", "int"),
    Column("group", "str"),
    Column("agents", "int"),
    *_TIME_COLUMNS,
    *_GROUP_KPIS,
)


def _seconds(agents: Sequence[AgentTime]) -> tuple[float, float, float, float]:
    """(staffed, busy, idle, away) seconds inside the measured window, summed over ``agents``."""
    busy = sum((a.busy for a in agents), 0.0)
    idle = sum((a.idle for a in agents), 0.0)
    away = sum((sum(a.away.values(), 0.0) for a in agents), 0.0)
    return busy + idle + away, busy, idle, away


def _agent_chunks(runs: Sequence[RunResult]) -> Iterator[Chunk]:
    """One chunk per run, one row per agent; its KPIs are :func:`~.kpi.group_kpis` of a group of
    one. Cost: O(agents)."""
    for run in runs:
        chunk: Chunk = {c.name: [] for c in AGENT_COLUMNS}
        for agent in run.agents:
            alone = group_kpis([attrs.evolve(agent, group=agent.agent_id)])[agent.agent_id]
            row = (run.replication, agent.agent_id, agent.group, *_seconds([agent]),
                   *(alone[c.name] for c in _GROUP_KPIS))  # fmt: skip
            for column, value in zip(AGENT_COLUMNS, row, strict=True):
                chunk[column.name].append(value)
        yield chunk


def _group_chunks(result: Simulated) -> Iterator[Chunk]:
    """One chunk per run, one row per agent group (the run's ``by_group`` KPIs). Cost: O(agents)."""
    for run, blocks in zip(result.runs, result.per_run, strict=True):
        members: dict[str, list[AgentTime]] = defaultdict(list)
        for agent in run.agents:
            members[agent.group].append(agent)
        chunk: Chunk = {c.name: [] for c in GROUP_COLUMNS}
        for name, block in blocks.get("by_group", {}).items():
            row = (run.replication, name, block["agents"], *_seconds(members[name]),
                   *(block.get(c.name) for c in _GROUP_KPIS))  # fmt: skip
            for column, value in zip(GROUP_COLUMNS, row, strict=True):
                chunk[column.name].append(value)
        yield chunk


# -- kpis ----------------------------------------------------------------------------------------
KPI_COLUMNS = (
    Column("replication", "int"),
    Column("block", "str"),
    Column("name", "str"),
    Column("kpi", "str"),
    Column("value", "float"),
    Column("mean", "float"),
    Column("ci95_half_width", "float"),
)


def _kpi_chunks(result: Simulated) -> Iterator[Chunk]:
    """One chunk per run: every numeric KPI of every block, beside its mean and 95% CI
    half-width over the replications. Cost: O(KPIs)."""
    for run, blocks in zip(result.runs, result.per_run, strict=True):
        chunk: Chunk = {c.name: [] for c in KPI_COLUMNS}
        for path, value in _leaves(blocks, ()):
            row = (run.replication, path[0], ".".join(path[1:-1]) or path[0], path[-1],
                   _number(value), _number(_find(result.kpis, path)),
                   _number(_find(result.ci95, path)))  # fmt: skip
            for column, cell in zip(KPI_COLUMNS, row, strict=True):
                chunk[column.name].append(cell)
        yield chunk


def _leaves(
    blocks: Mapping[str, Any], path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(key path, value) of every number (or None) in nested KPI blocks, in their order."""
    for key, value in blocks.items():
        if isinstance(value, Mapping):
            yield from _leaves(value, (*path, str(key)))
        elif value is None or isinstance(value, (int, float)):
            yield (*path, str(key)), value


def _find(blocks: Blocks, path: tuple[str, ...]) -> Any:
    found: Any = blocks
    for key in path:
        found = found.get(key) if isinstance(found, Mapping) else None
    return found


def _number(value: Any) -> float | None:
    return None if value is None or not isinstance(value, (int, float)) else float(value)
