"""A host you can run: an ExperienceHub behind a JSON-lines TCP port (stdlib asyncio only).

The router is sans-IO: it never reads a clock, never ticks itself and never talks to anybody.
This module is the IO around it. It owns

- **the hub**: a Router built from a TOML/JSON config file and a ``SqliteContextStore``;
- **time**: every incoming event's ``at`` is stamped with the host's clock (seconds since
  ``--epoch``, by default since the host started); an ``at`` sent by a client is ignored;
- **ticks**: a background task sleeps until ``hub.next_deadline()`` (or until an event arrives)
  and then sends ``Tick``;
- **delivery**: each decision goes, as a CloudEvents envelope, to the adapter that sent its
  contact's arrival and to the desktop of the agent it names (an Offer with its handoff brief);
- **contact records**: one JSON line per finished contact in the records file, from
  ``hub.finished_records()`` (``ContactRecord.as_dict()``): a contact is finished when it left the
  router and its wrap-up ended.

It never routes (the hub decides) and never stores context itself (the store does).

The line protocol (UTF-8, one JSON object per line; examples/host/README.md has a session):

- first line, who is speaking: ``{"hello": "adapter", "name": "telephony"}`` or
  ``{"hello": "desktop", "agent_id": "a1"}``;
- then routing events in the wire format (``{"type": "ContactArrived", "schema": 1, ...}``,
  ``"at"`` optional and overwritten; ContactEnded/ContactAbandoned may carry ``"outcome"``) or
  context operations (``{"op": "link" | "verified" | "fact", ...}``, see :data:`OPS`), or
  ``{"op": "ping"}``;
- the host answers every line with ``{"ok": ...}`` or ``{"error": ..., "message": ...}``, written
  after the decisions the line caused; decisions arrive as ``{"event": <envelope>}``, plus
  ``"brief"`` on an Offer sent to a desktop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from experiencehub import (
    ConfigError,
    QueueSpec,
    Router,
    RoutingError,
    SkillGraph,
    Stage,
    WrapUp,
    wire,
)
from experiencehub import events as ev
from experiencehub.context import (
    BriefedOffer,
    ExperienceHub,
    HandoffBrief,
    Identity,
    SqliteContextStore,
)
from experiencehub.context.errors import ContextNotRecorded
from experiencehub.context.hub import HubDecision

log = logging.getLogger("experiencehub.host")

Clock = Callable[[], float]
Message = dict[str, Any]

DEFAULT_CONFIG = Path(__file__).with_name("config.toml")

# Events a desktop may send, and only for its own agent; adapters may send any event but Tick.
DESKTOP_EVENTS = (
    ev.AgentLoggedIn,
    ev.AgentStatusChanged,
    ev.AgentLoggedOut,
    ev.OfferAccepted,
    ev.OfferRejected,
    ev.WrapUpEnded,
)
OUTCOME_EVENTS = ("ContactEnded", "ContactAbandoned")


class ProtocolError(ValueError):
    """A line that breaks the host's line protocol (not JSON, no hello, wrong sender…)."""


# -- configuration --------------------------------------------------------------------------------
def load_config(path: str | Path) -> dict[str, Any]:
    """The config file as a dict: ``.json`` as JSON, anything else as TOML."""
    source = Path(path)
    if source.suffix == ".json":
        data = json.loads(source.read_text(encoding="utf-8"))
    else:  # tomllib is stdlib from 3.11; 3.10 needs the tomli package
        toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
        data = toml.loads(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a table/object at the top level")
    return data


def build_router(config: Mapping[str, Any]) -> Router:
    """A Router from the config's ``[router]``, ``[[skills]]`` and ``[[queues]]`` tables."""
    try:
        skills = SkillGraph()
        for edge in config.get("skills", []):
            skills.add_substitute(edge["skill"], serves=edge["serves"], cost=edge["cost"])
        queues = [_queue_spec(q) for q in config.get("queues", [])]
        return Router(skills, queues, **config.get("router", {}))
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"config: {type(exc).__name__}: {exc}") from exc


def _queue_spec(table: Mapping[str, Any]) -> QueueSpec:
    options: dict[str, Any] = dict(table)
    # passed through the Any-typed dict: mypy cannot type QueueSpec's converter=tuple argument
    options["stages"] = [Stage(**stage) for stage in options.get("stages", [{"after": 0}])]
    if "wrap_up" in options:
        options["wrap_up"] = WrapUp(**options["wrap_up"])
    return QueueSpec(options.pop("name"), **options)


# -- the pieces the host keeps -----------------------------------------------------------------------
@dataclass(eq=False)
class Peer:
    """One connection: an adapter (by name) or an agent desktop (by agent id)."""

    role: str  # "adapter" or "desktop"
    name: str
    writer: asyncio.StreamWriter

    def send(self, message: Message) -> None:
        if not self.writer.is_closing():
            self.writer.write(encode_line(message))


def encode_line(message: Message) -> bytes:
    return (json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def brief_json(brief: HandoffBrief | None) -> Message | None:
    """The parts of a handoff brief a desktop shows (None for an anonymous contact)."""
    if brief is None:
        return None
    return {
        "customer_id": brief.customer_id,
        "do_not_ask": list(brief.do_not_ask),
        "journey": [step.describe() for step in brief.journey],
        "open_items": list(brief.open_items),
        "repeat_contact": brief.repeat_contact,
        "render": brief.render(),
    }


def identity_of(raw: Any, region: str | None, where: str) -> Identity:
    """A ``[kind, value]`` pair as an Identity; phone numbers in national format are read with
    ``region`` (e.g. ``"GB"``: ``020 7946 0000`` → ``+442079460000``)."""
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(p, str) for p in raw)):
        raise ProtocolError(f"{where}: expected a [kind, value] pair, got {raw!r}")
    if raw[0] == "phone":
        return Identity.phone(raw[1], region=region)
    return Identity(raw[0], raw[1])


# -- the host -----------------------------------------------------------------------------------------
class Host:
    """Serves the line protocol for one hub. Every line is applied synchronously, in arrival
    order across connections, so the hub never sees two events at once."""

    def __init__(
        self,
        hub: ExperienceHub,
        *,
        records: IO[str],
        clock: Clock,
        epoch: dt.datetime,
        source: str = "experiencehub-example-host",
        phone_region: str | None = None,
    ) -> None:
        self.hub = hub
        self.records = records
        self.clock = clock
        self.epoch = epoch
        self.source = source
        self.phone_region = phone_region
        self._sequencer = wire.Sequencer()
        self._adapters: dict[str, Peer] = {}
        self._desktops: dict[str, Peer] = {}
        self._adapter_of: dict[str, str] = {}  # contact id → adapter that sent its arrival
        self._handlers: set[asyncio.Task[Any]] = set()  # one per connection
        self._wake = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._ticker: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen and start ticking; returns the port (useful with ``port=0``)."""
        self._server = await asyncio.start_server(self._connection, host, port)
        self._ticker = asyncio.create_task(self._tick_forever())
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and ticking, and hang up on every connection."""
        if self._server is not None:
            self._server.close()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for peer in [*self._adapters.values(), *self._desktops.values()]:
            peer.writer.close()
        if self._handlers:  # hung up on, they read EOF and finish (cancelling them logs noise)
            await asyncio.wait(self._handlers, timeout=5.0)
        if self._server is not None:
            await self._server.wait_closed()

    def wake(self) -> None:
        """Make the ticker look at the clock and ``next_deadline()`` again now."""
        self._wake.set()

    # -- connections ------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer: Peer | None = None
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        try:
            peer = self._greet(await reader.readline(), writer)
            peer.send({"ok": "hello", "at": self.clock()})
            while line := await reader.readline():
                if line.strip():
                    self.handle_line(peer, line)
                await writer.drain()
        except ProtocolError as exc:  # a bad hello: say why and hang up
            writer.write(encode_line({"error": "ProtocolError", "message": str(exc)}))
        except ValueError:  # a line longer than the stream limit (64 KiB)
            writer.write(encode_line({"error": "ProtocolError", "message": "line too long"}))
        except ConnectionError:
            pass
        finally:
            if peer is not None:
                self._forget(peer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _greet(self, line: bytes, writer: asyncio.StreamWriter) -> Peer:
        hello = _parse(line or b"{}")
        role = hello.get("hello")
        key = {"adapter": "name", "desktop": "agent_id"}.get(str(role))
        if key is None:
            raise ProtocolError(
                'first line: say who you are, {"hello": "adapter", "name": ...} or '
                '{"hello": "desktop", "agent_id": ...}'
            )
        name = hello.get(key)
        if not isinstance(name, str) or not name:
            raise ProtocolError(f"hello.{key}: expected a non-empty string, got {name!r}")
        registry = self._registry(str(role))
        if name in registry:
            raise ProtocolError(f"{role} {name!r} is already connected")
        registry[name] = peer = Peer(str(role), name, writer)
        return peer

    def _registry(self, role: str) -> dict[str, Peer]:
        return self._adapters if role == "adapter" else self._desktops

    def _forget(self, peer: Peer) -> None:
        registry = self._registry(peer.role)
        if registry.get(peer.name) is peer:
            del registry[peer.name]

    # -- one line ---------------------------------------------------------------------------------
    def handle_line(self, peer: Peer, line: bytes | str) -> None:
        """Apply one line from ``peer``; it gets ``ok`` or ``error`` after any decisions."""
        try:
            request = _parse(line)
            if "op" in request:
                reply = self._context_op(request)
            else:
                reply = self._routing_event(peer, request)
        except (RoutingError, ProtocolError) as exc:  # wire.WireError is a RoutingError
            # a rejected event still moved the router to its time: carry out what fell due
            self._deliver(list(getattr(exc, "decisions", ())))
            reply = {"error": type(exc).__name__, "message": str(exc)}
        except Exception as exc:  # a bug here must not stop the other connections
            log.exception("line from %s %s failed", peer.role, peer.name)
            reply = {"error": "InternalError", "message": type(exc).__name__}
        self._write_records()  # a rejected event's deadlines may have finished contacts too
        peer.send(reply)

    def _routing_event(self, peer: Peer, request: Message) -> Message:
        kind, outcome = request.get("type"), request.pop("outcome", None)
        if kind == "Tick":
            raise ProtocolError("Tick: the host owns time and ticks on hub.next_deadline() itself")
        if outcome is not None and (kind not in OUTCOME_EVENTS or not isinstance(outcome, str)):
            raise ProtocolError(f"outcome: a string, only next to {' or '.join(OUTCOME_EVENTS)}")
        now = self.clock()
        event = wire.from_json({**self._normalised(request), "at": now})
        self._check_sender(peer, event)
        decisions = self._handle(event, outcome)
        if isinstance(event, ev.ContactArrived):  # its decisions go back to this adapter
            self._adapter_of[event.contact_id] = peer.name
        self._deliver(decisions)
        self._wake.set()  # the next deadline may have moved
        return {"ok": kind, "at": now}

    def _normalised(self, request: Message) -> Message:
        """An arrival's phone identity in E.164, so ``020…`` and ``+4420…`` are one customer."""
        attributes = request.get("attributes")
        if not isinstance(attributes, dict):
            return request
        raw = attributes.get("identity")
        if not (isinstance(raw, list) and raw[:1] == ["phone"]):
            return request
        phone = identity_of(raw, self.phone_region, "attributes.identity")
        return {**request, "attributes": {**attributes, "identity": ["phone", phone.value]}}

    def _check_sender(self, peer: Peer, event: Any) -> None:
        if peer.role == "desktop" and (
            not isinstance(event, DESKTOP_EVENTS) or event.agent_id != peer.name
        ):
            raise ProtocolError(
                f"{type(event).__name__}: desktop {peer.name!r} may only send its own agent's "
                f"events ({', '.join(t.__name__ for t in DESKTOP_EVENTS)} with "
                f"agent_id={peer.name!r})"
            )

    def _handle(self, event: Any, outcome: str | None) -> list[HubDecision]:
        try:
            return self.hub.handle(event, outcome=outcome)
        except ContextNotRecorded as exc:  # the router applied it: its decisions still count
            log.error("%s", exc)
            return list(exc.decisions)

    # -- context operations -------------------------------------------------------------------------
    def _context_op(self, request: Message) -> Message:
        op = request["op"]
        if op == "ping" and len(request) == 1:  # a round trip: everything sent before it arrived
            return {"ok": "ping", "at": self.clock()}
        spec = OPS.get(op) if isinstance(op, str) else None
        if spec is None:
            raise ProtocolError(f"op: unknown operation {op!r} (one of ping, {', '.join(OPS)})")
        required, optional, run = spec
        missing = [k for k in required if k not in request]
        extra = sorted(set(request) - {"op", *required, *optional})
        if missing or extra:
            raise ProtocolError(f"{op}: missing field(s) {missing}, unknown field(s) {extra}")
        now = self.clock()
        return {"ok": op, "at": now, "customer_id": run(self, request, now)}

    def _customer(self, request: Message, at: float) -> str:
        if "customer_id" in request:
            return self.hub.store.canonical(request["customer_id"])
        if "identity" in request:
            return self.hub.store.resolve(self._pair(request, "identity"), at=at)
        raise ProtocolError(f"{request['op']}: give an identity or a customer_id")

    def _pair(self, request: Message, key: str) -> Identity:
        return identity_of(request.get(key), self.phone_region, f"{request['op']}.{key}")

    def _link(self, request: Message, at: float) -> str:
        a, b = self._pair(request, "a"), self._pair(request, "b")
        return self.hub.store.link(a, b, at=at, evidence=request["evidence"])

    def _verified(self, request: Message, at: float) -> str:
        customer = self._customer(request, at)
        self.hub.store.record_verification(
            customer,
            request["fact"],
            channel=request["channel"],
            at=at,
            valid_for=request["valid_for"],
            method=request.get("method", "knowledge"),
            contact_id=request.get("contact_id"),
        )
        return customer

    def _fact(self, request: Message, at: float) -> str:
        customer = self._customer(request, at)
        self.hub.store.record_fact(
            customer,
            request["name"],
            request["value"],
            channel=request["channel"],
            at=at,
            sensitivity=request.get("sensitivity", "normal"),
            valid_for=request.get("valid_for"),
            contact_id=request.get("contact_id"),
        )
        return customer

    # -- decisions out ------------------------------------------------------------------------------
    def _deliver(self, decisions: Sequence[HubDecision]) -> None:
        for decision in decisions:
            value = decision.offer if isinstance(decision, BriefedOffer) else decision
            subject = wire.subject_of(value)
            message: Message = {
                "event": wire.cloud_event(
                    value,
                    source=self.source,
                    epoch=self.epoch,
                    sequence=self._sequencer.next(subject),
                )
            }
            self._send(decision, value, message)

    def _send(self, decision: HubDecision, value: Any, message: Message) -> None:
        name = self._adapter_of.get(getattr(value, "contact_id", ""))
        adapter = self._adapters.get(name) if name is not None else None
        desktop = self._desktops.get(getattr(value, "agent_id", None) or "")
        if adapter is not None:
            adapter.send(message)
        if desktop is not None:
            if isinstance(decision, BriefedOffer):
                message = {**message, "brief": brief_json(decision.brief)}
            desktop.send(message)
        if adapter is None and desktop is None:
            log.warning(
                "%s for %s: nobody connected to tell", type(value).__name__, wire.subject_of(value)
            )

    # -- ticks --------------------------------------------------------------------------------------
    async def _tick_forever(self) -> None:
        while True:
            self._wake.clear()
            deadline, now = self.hub.next_deadline(), self.clock()
            if deadline is not None and deadline <= now:
                self.tick(now)
                await asyncio.sleep(0)  # let connections in between ticks
                continue
            delay = None if deadline is None else deadline - now
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def tick(self, now: float | None = None) -> None:
        """Send ``Tick(at=now)`` (default: the clock) and deliver what it decides."""
        at = self.clock() if now is None else now
        try:
            decisions = self._handle(ev.Tick(at=at), None)
        except RoutingError as exc:
            log.error("Tick at %s failed: %s", at, exc)
            self._write_records()
            return
        self._deliver(decisions)
        self._write_records()

    # -- contact records ----------------------------------------------------------------------------
    def _write_records(self) -> None:
        """One JSON line per contact the hub finished: its end-of-contact record."""
        finished = self.hub.finished_records()
        for record in finished:
            self._adapter_of.pop(record.contact_id, None)
            self.records.write(json.dumps(record.as_dict(), ensure_ascii=False) + "\n")
        if finished:
            self.records.flush()


OPS: dict[str, tuple[tuple[str, ...], tuple[str, ...], Callable[[Host, Message, float], str]]] = {
    "link": (("a", "b", "evidence"), (), Host._link),
    "verified": (
        ("fact", "channel", "valid_for"),
        ("identity", "customer_id", "method", "contact_id"),
        Host._verified,
    ),
    "fact": (
        ("name", "value", "channel"),
        ("identity", "customer_id", "valid_for", "sensitivity", "contact_id"),
        Host._fact,
    ),
}
"""Context operations: op → (required fields, optional fields, what it does). Each answers
``{"ok": op, "at": ..., "customer_id": ...}``."""


def _parse(line: bytes | str) -> Message:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"line: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ProtocolError(f"line: expected a JSON object, got {type(data).__name__}")
    return data


# -- command line -----------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=7878, help="0: any free port")
    parser.add_argument("--db", required=True, help="SQLite context store file")
    parser.add_argument("--records", required=True, help="contact records, JSON lines")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="TOML or JSON")
    parser.add_argument(
        "--epoch",
        help="ISO 8601 moment that is second 0 of the host's clock (default: start-up). "
        "Give a fixed one when --db outlives the process, so stored times stay in the past",
    )
    return parser.parse_args(argv)


def make_clock(epoch: dt.datetime) -> Clock:
    """Seconds since ``epoch`` to the millisecond, advancing with the monotonic clock (so never
    backwards, whatever the wall clock does)."""
    offset = (dt.datetime.now(dt.timezone.utc) - epoch).total_seconds()
    if offset < 0:
        raise ConfigError(f"--epoch {epoch.isoformat()}: is in the future")
    started = time.monotonic()
    return lambda: round(offset + (time.monotonic() - started), 3)


async def serve(args: argparse.Namespace) -> None:
    config = load_config(args.config)
    epoch = (
        dt.datetime.fromisoformat(args.epoch) if args.epoch else dt.datetime.now(dt.timezone.utc)
    )
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=dt.timezone.utc)
    store = SqliteContextStore(args.db)
    settings = config.get("host", {})
    with store, open(args.records, "a", encoding="utf-8") as records:
        host = Host(
            ExperienceHub(build_router(config), store),
            records=records,
            clock=make_clock(epoch),
            epoch=epoch,
            source=settings.get("source", "experiencehub-example-host"),
            phone_region=settings.get("phone_region"),
        )
        port = await host.start(args.host, args.port)
        print(f"experiencehub host listening on {args.host}:{port}", flush=True)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: KeyboardInterrupt instead
                asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await host.close()
    print("experiencehub host stopped", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
