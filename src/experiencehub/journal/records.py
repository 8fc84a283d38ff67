"""Journal records: what of an event is written, the secret check before it, and the framing.

A record is the event as the router reads it, in the wire format (:mod:`experiencehub.wire`), with
the host's free text left out: ``ContactArrived.attributes`` never influence routing (the router
does not read them), so they are replaced by an empty mapping. What remains are times, ids, queue
and skill names, levels, capacities, priorities and agents' away reasons (which the router keeps:
``Router.agent_view``; a platform's reasons are codes from a fixed list, like "Break"). Before
anything is routed, every such string is checked with the context layer's secret classifier
(:mod:`experiencehub.context.secrets`): an id or reason that holds a card number or reads as a
secret (``"pin 4321"``) is refused with :class:`~.errors.SecretInEvent`, so no card number reaches
a journal or a snapshot.

A framed record (the append-only file back-end) is ``length (u32 LE) · CRC-32 (u32 LE) · payload``:
a torn last write shows as a short or mismatching frame and is dropped on recovery.

>>> from experiencehub import events as ev
>>> encode(ev.ContactArrived(at=1.0, contact_id="c1", queue="q", attributes={"note": "hi"}))
b'{"type":"ContactArrived","schema":1,"at":1.0,"contact_id":"c1","queue":"q","priority":0,"customer_id":null,"attributes":{},"preferred_agents":[],"criteria":null}'
>>> payload = encode(ev.Tick(at=2.0))
>>> list(read_frames(frame(payload) + frame(payload)[:5]))
[(0, b'{"type":"Tick","schema":1,"at":2.0}')]
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from .. import wire
from ..context.secrets import contains_card_number, secret_in_text
from ..core import events as ev
from .errors import SecretInEvent

__all__ = [
    "FRAME_HEADER",
    "decode",
    "encode",
    "frame",
    "journal_form",
    "read_frames",
    "refuse_secrets_in",
]

FRAME_HEADER = struct.Struct("<II")
"""Length and CRC-32 of the payload that follows."""

_EVENTS: dict[str, Any] = dict(wire.EVENT_TYPES)
_FIELDS: dict[type, tuple[str, ...]] = {}
_CHECKED: dict[type, tuple[str, ...]] = {}
MAX_RECORD = 1 << 24
"""A frame announcing more than this (16 MiB) is damage, not a record."""


def journal_form(event: ev.Event) -> ev.Event:
    """The event as journaled: without the free text the router never reads. Cost: O(1)."""
    if isinstance(event, ev.ContactArrived) and event.attributes:
        return attrs.evolve(event, attributes={})
    return event


def encode(event: ev.Event) -> bytes:
    """The record of an accepted event: its journal form as wire JSON (``wire.loads`` reads
    it). Built directly rather than through ``wire.dumps`` (four times slower): the event's
    fields are JSON already (tuples, read-only dicts). Cost: O(event size).
    """
    cls = type(event)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(field.name for field in attrs.fields(cls))
    data: dict[str, Any] = {"type": cls.__name__, "schema": wire.SCHEMA_VERSION}
    for name in names:
        data[name] = getattr(event, name)
    if "attributes" in data:
        data["attributes"] = {}
    return json.dumps(data, separators=(",", ":"), allow_nan=False, default=_nested).encode()


def _nested(value: Any) -> Any:
    """A nested value object (the QueueSpec of a QueueAdded or QueueChanged) as its plain JSON object."""
    if attrs.has(type(value)):
        return attrs.asdict(value, recurse=True)
    raise TypeError(f"{type(value).__name__} has no JSON form")


def decode(payload: bytes) -> ev.Event:
    """The event of a record, built by its validating constructor. Cost: O(record size).

    Records are the wire format's objects, so they could go through :func:`wire.loads`; the
    direct path (``json.loads`` and the event's constructor, which validates every field) is
    about ten times faster, which is replay speed (docs/performance.md, "Journal"). A record it
    cannot read goes through ``wire.loads`` for an error naming the field.
    """
    try:
        data = json.loads(payload)
        cls = _EVENTS[data.pop("type")]
        if data.pop("schema") != wire.SCHEMA_VERSION:
            raise ValueError("another schema version")
        event: ev.Event = cls(**data)
    except Exception:
        event = wire.loads(payload)  # raises WireError naming what is wrong
    return event


def refuse_secrets_in(event: ev.Event) -> None:
    """Raise :class:`SecretInEvent` if an id, name or reason the journal would keep holds a card
    number or reads as a secret; the message names the field, never the value. Cost: O(event
    size).
    """
    for name in _checked_fields(type(event)):
        value: Any = getattr(event, name)
        texts = (
            (value,)
            if isinstance(value, str)
            else value
            if isinstance(value, (tuple, Mapping))
            else ()
        )
        for text in texts:
            kind = _secret_kind(text) if isinstance(text, str) else None
            if kind is not None:
                raise SecretInEvent(
                    f"{type(event).__name__}.{name}: holds what reads as {kind}; it would be kept "
                    "in the journal, so the event was not routed — use ids that carry no card "
                    "data (e.g. a hash or a letter-separated form of a long numeric id)"
                )


def _checked_fields(cls: type) -> tuple[str, ...]:
    """The fields of an event class the journal keeps, minus its time (every field is an id,
    a name, a reason, a number, or a tuple or mapping of names)."""
    names = _CHECKED.get(cls)
    if names is None:
        skip = ("at", "attributes")
        names = _CHECKED[cls] = tuple(f.name for f in attrs.fields(cls) if f.name not in skip)
    return names


@functools.lru_cache(maxsize=1 << 14)
def _secret_kind(text: str) -> str | None:
    """What secret ``text`` holds, if any. Cached: agent ids, queue and skill names and the ids
    of live contacts recur in most events, and one classification costs 3–8 µs."""
    length = contains_card_number(text)
    if length is not None:
        return f"a card number (a Luhn-valid run of {length} digits)"
    return secret_in_text(text)


def frame(payload: bytes) -> bytes:
    """``payload`` with its length and CRC-32 in front. Cost: O(len(payload))."""
    return FRAME_HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def read_frames(buffer: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, payload) of each whole, intact frame from the start of ``buffer``; stops at the
    first short or damaged one (a torn tail). Cost: O(len(buffer)).
    """
    offset, size, head = 0, len(buffer), FRAME_HEADER.size
    while offset + head <= size:
        length, crc = FRAME_HEADER.unpack_from(buffer, offset)
        end = offset + head + length
        if length > MAX_RECORD or end > size:
            return
        payload = buffer[offset + head : end]
        if zlib.crc32(payload) != crc:
            return
        yield offset, payload
        offset = end
