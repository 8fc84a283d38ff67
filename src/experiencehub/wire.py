"""The wire format: events and decisions as JSON, with stable type names, a schema version, a JSON
Schema per type, and CloudEvents 1.0 envelopes a host can publish to any broker.

This module owns how routing values cross a process boundary. It never routes and never does I/O;
the caller reads and writes the bytes. Every value is a JSON object with ``"type"`` (the class
name, stable across releases), ``"schema"`` (:data:`SCHEMA_VERSION`) and its fields; nested
values (an explanation and its candidates) are plain objects, tuples are arrays and mappings are
objects. Decoding validates: a bad document raises :class:`WireError` naming the field and the
rule, and the value is built by the same constructor (and validators) as in Python.

>>> from experiencehub import events as ev
>>> text = dumps(ev.ContactArrived(at=1.5, contact_id="c1", queue="billing", priority=2))
>>> text
'{"type":"ContactArrived","schema":1,"at":1.5,"contact_id":"c1","queue":"billing","priority":2,"customer_id":null,"attributes":{},"preferred_agents":[],"criteria":null}'
>>> loads(text) == ev.ContactArrived(at=1.5, contact_id="c1", queue="billing", priority=2)
True
>>> loads('{"type": "ContactArrived", "schema": 1, "at": "soon"}')
Traceback (most recent call last):
...
experiencehub.wire.WireError: ContactArrived.at: expected a number, got 'soon'

``attributes`` of an arrival carry JSON values only (an identity travels as a ``["phone",
"+44…"]`` pair, which :class:`~experiencehub.context.hub.ExperienceHub` accepts).
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Union

import attrs

from .core import decisions as dc
from .core import events as ev
from .core.errors import RoutingError

__all__ = [
    "DECISION_TYPES",
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "Sequencer",
    "WireError",
    "cloud_event",
    "dumps",
    "from_json",
    "json_schema",
    "loads",
    "rfc3339",
    "schema_files",
    "subject_of",
    "to_json",
]

SCHEMA_VERSION = 1
"""Version of the JSON shapes; a document of another version is refused."""

EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        ev.AgentLoggedIn, ev.AgentStatusChanged, ev.AgentLoggedOut, ev.ContactArrived,
        ev.OfferAccepted, ev.OfferRejected, ev.ContactEnded, ev.WrapUpEnded,
        ev.ContactAbandoned, ev.ContactTransferred, ev.Tick, ev.AgentSkillsChanged,
        ev.QueueClosed, ev.QueueOpened, ev.QueueAdded, ev.QueueChanged,
        ev.ConsultRequested, ev.ConsultEnded,
        ev.CallbackRequested, ev.CallbackAnswered, ev.CallbackFailed,
    )
}  # fmt: skip
"""Stable type name → event class."""

DECISION_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        dc.Offer, dc.Enqueued, dc.Refused, dc.Expanded, dc.OfferExpired, dc.OfferWithdrawn,
        dc.AgentStatusForced, dc.WrapUpStarted, dc.WrapUpExpired, dc.LogoutCompleted, dc.Alert,
        dc.CallbackQueued, dc.CallbackExhausted,
    )
}  # fmt: skip
"""Stable type name → decision class."""

_TYPES = {**EVENT_TYPES, **DECISION_TYPES}


class WireError(RoutingError, ValueError):
    """A document that is not a valid routing value: names the field and the rule."""


# -- encoding -------------------------------------------------------------------------------------
def to_json(value: Any) -> dict[str, Any]:
    """The JSON object of an event or a decision. Cost: O(size of the value)."""
    name = type(value).__name__
    if _TYPES.get(name) is not type(value):
        raise WireError(f"{value!r}: not an event or decision (see EVENT_TYPES, DECISION_TYPES)")
    fields = _encode(value, name)
    return {"type": name, "schema": SCHEMA_VERSION, **fields}


def dumps(value: Any) -> str:
    """:func:`to_json` as compact JSON text. Cost: O(size of the value)."""
    return json.dumps(to_json(value), separators=(",", ":"), ensure_ascii=False)


def _encode(value: Any, path: str) -> Any:
    if attrs.has(type(value)):
        return {
            f.name: _encode(getattr(value, f.name), f"{path}.{f.name}")
            for f in attrs.fields(type(value))
        }
    if isinstance(value, Mapping):
        return {str(k): _encode(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise WireError(f"{path}: {type(value).__name__} has no JSON form (use JSON values)")


# -- decoding -------------------------------------------------------------------------------------
def from_json(data: Any) -> Any:
    """The event or decision a JSON object describes. Raises :class:`WireError` naming the field
    and the rule (and the constructor's own validation error for a value out of range).
    Cost: O(size of the document)."""
    if not isinstance(data, Mapping):
        raise WireError(f"document: expected an object, got {type(data).__name__}")
    name = data.get("type")
    cls = _TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise WireError(f"type: unknown type {name!r} (one of {', '.join(_TYPES)})")
    if data.get("schema") != SCHEMA_VERSION:
        raise WireError(
            f"{name}.schema: expected {SCHEMA_VERSION}, got {data.get('schema')!r} (a document of "
            "another version of the wire format)"
        )
    fields = {k: v for k, v in data.items() if k not in ("type", "schema")}
    return _decode_attrs(cls, fields, cls.__name__)


def loads(text: str | bytes) -> Any:
    """:func:`from_json` of JSON text. Cost: O(len(text))."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise WireError(f"document: not JSON ({exc})") from exc
    return from_json(data)


def _decode_attrs(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, Mapping):
        raise WireError(f"{path}: expected an object, got {data!r}")
    hints = _hints(cls)
    known = {f.name for f in attrs.fields(cls)}
    extra = sorted(set(data) - known)
    if extra:
        raise WireError(f"{path}: unknown field(s) {', '.join(map(repr, extra))}")
    values = {
        name: _decode(hints[name], data[name], f"{path}.{name}") for name in known if name in data
    }
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing
        raise WireError(f"{path}: {exc}") from exc
    except RoutingError as exc:
        raise WireError(f"{path}: {exc}") from exc


def _decode(tp: Any, value: Any, path: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        return _decode(options[0], value, path)
    if attrs.has(tp):
        return _decode_attrs(tp, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise WireError(f"{path}: expected an array, got {value!r}")
        return tuple(_decode(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise WireError(f"{path}: expected an object, got {value!r}")
        inner = args[1] if len(args) == 2 else Any
        return {k: _decode(inner, v, f"{path}.{k}") for k, v in value.items()}
    return _scalar(tp, value, path)


def _scalar(tp: Any, value: Any, path: str) -> Any:
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise WireError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise WireError(f"{path}: expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise WireError(f"{path}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise WireError(f"{path}: expected a string, got {value!r}")
        return value
    raise WireError(f"{path}: cannot decode a field of type {tp!r}")  # pragma: no cover


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


# -- JSON Schema -------------------------------------------------------------------------------
def json_schema(type_name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one type's documents. Cost: O(fields).

    >>> schema = json_schema("Tick")
    >>> schema["required"], schema["properties"]["at"]
    (['type', 'schema', 'at'], {'type': 'number'})
    """
    cls = _TYPES.get(type_name)
    if cls is None:
        raise WireError(f"type: unknown type {type_name!r} (one of {', '.join(_TYPES)})")
    body = _object_schema(cls)
    body["properties"] = {
        "type": {"const": type_name},
        "schema": {"const": SCHEMA_VERSION},
        **body["properties"],
    }
    body["required"] = ["type", "schema", *body["required"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"experiencehub/wire/v{SCHEMA_VERSION}/{type_name}.json",
        "title": type_name,
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        **body,
    }


def schema_files() -> dict[str, str]:
    """File name → JSON text of every type's schema, as shipped in the package under
    ``experiencehub/schemas/v<SCHEMA_VERSION>/`` (a test checks the shipped files match).
    Cost: O(types · fields)."""
    return {
        f"v{SCHEMA_VERSION}/{name}.json": json.dumps(json_schema(name), indent=2) + "\n"
        for name in _TYPES
    }


def _object_schema(cls: type) -> dict[str, Any]:
    hints = _hints(cls)
    fields = attrs.fields(cls)
    return {
        "type": "object",
        "properties": {f.name: _schema(hints[f.name]) for f in fields},
        "required": [f.name for f in fields if f.default is attrs.NOTHING],
        "additionalProperties": False,
    }


def _schema(tp: Any) -> dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return {}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_schema(a) for a in args]}
    if tp is type(None):
        return {"type": "null"}
    if attrs.has(tp):
        return _object_schema(tp)
    if origin is tuple:
        return {"type": "array", "items": _schema(args[0])}
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        inner = args[1] if len(args) == 2 else Any
        return {"type": "object", "additionalProperties": _schema(inner)}
    simple = {float: "number", int: "integer", bool: "boolean", str: "string"}
    return {"type": simple[tp]}


# -- CloudEvents ---------------------------------------------------------------------------------
def rfc3339(seconds: float, epoch: dt.datetime) -> str:
    """``epoch + seconds`` as an RFC 3339 UTC timestamp (milliseconds when not whole). Cost: O(1).

    >>> rfc3339(90.25, dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone.utc))
    '2026-12-02T08:01:30.250Z'
    """
    if epoch.tzinfo is None:
        raise WireError(f"epoch={epoch!r}: give a timezone-aware datetime (e.g. UTC)")
    moment = (epoch + dt.timedelta(seconds=seconds)).astimezone(dt.timezone.utc)
    text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


class Sequencer:
    """Per-subject sequence numbers for CloudEvents' ``sequence`` extension: 1, 2, 3… for each
    contact (or agent), zero-padded so they order as strings too. Cost: O(1) per call.

    >>> seq = Sequencer()
    >>> seq.next("c1"), seq.next("c1"), seq.next("c2")
    ('0000000001', '0000000002', '0000000001')
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, subject: str) -> str:
        """The subject's next sequence number, ten digits so it sorts as text. Cost: O(1)."""
        number = self._last.get(subject, 0) + 1
        self._last[subject] = number
        return f"{number:010d}"

    def forget(self, subject: str) -> None:
        """Drop a finished subject's counter (its next event would start again at 1).
        Cost: O(1)."""
        self._last.pop(subject, None)


def subject_of(value: Any) -> str:
    """The CloudEvents ``subject`` of an event or decision: its contact id, else its agent id,
    else ``"router"`` (a ``Tick``). Key a :class:`Sequencer` by it. Cost: O(1).

    >>> from experiencehub import events as ev
    >>> subject_of(ev.ContactEnded(at=1.0, contact_id="c9")), subject_of(ev.Tick(at=1.0))
    ('c9', 'router')
    """
    return getattr(value, "contact_id", None) or getattr(value, "agent_id", None) or "router"


def cloud_event(
    value: Any,
    *,
    source: str,
    epoch: dt.datetime,
    sequence: str,
    kind: str | None = None,
) -> dict[str, Any]:
    """An event or decision in a CloudEvents 1.0 JSON envelope. ``subject`` is the contact id (or
    the agent id for agent-only values), ``time`` is ``epoch + value.at``, ``id`` is unique per
    source (subject and sequence), ``type`` is ``com.experiencehub.<kind>.<TypeName>`` with kind
    ``event`` or ``decision``. Cost: O(size of the value).

    >>> from experiencehub import events as ev
    >>> env = cloud_event(ev.Tick(at=2.0), source="router-1", sequence="0000000001",
    ...                   epoch=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    >>> env["type"], env["time"], env["subject"], env["data"]["at"]
    ('com.experiencehub.event.Tick', '2026-01-01T00:00:02Z', 'router', 2.0)
    """
    data = to_json(value)
    name = data["type"]
    kind = kind or ("event" if name in EVENT_TYPES else "decision")
    subject = subject_of(value)
    return {
        "specversion": "1.0",
        "id": f"{subject}/{sequence}",
        "source": source,
        "type": f"com.experiencehub.{kind}.{name}",
        "subject": subject,
        "time": rfc3339(value.at, epoch),
        "datacontenttype": "application/json",
        "dataschema": f"experiencehub/wire/v{SCHEMA_VERSION}/{name}.json",
        "sequence": sequence,
        "data": data,
    }
