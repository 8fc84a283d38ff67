"""The example host (examples/host/host.py) over real TCP, with a manual clock.

Two adapters (telephony, chat) and two agent desktops play the journey of docs/context.md: IVR
verification → chat with the same customer (date of birth not asked again) → the chat drops →
the customer calls and is offered to the agent who had the chat (affinity). Every wait is bounded,
so a bug fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from experiencehub.context import ExperienceHub, SqliteContextStore

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 5.0
EPOCH = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone.utc)
PHONE = ["phone", "+44 20 7946 0000"]
NATIONAL_PHONE = ["phone", "020 7946 0000"]  # the same number (phone_region "GB")
ACCOUNT = ["account", "AC-1"]


def _load_host() -> ModuleType:
    spec = importlib.util.spec_from_file_location("host_example", ROOT / "examples/host/host.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


host_example = _load_host()


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Party:
    """A fake adapter or desktop: sends lines, collects what the host sends back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, hello: dict[str, Any]) -> Party:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        party = cls(reader, writer)
        received, reply = await party.request(hello)
        assert reply["ok"] == "hello" and received == []
        return party

    async def request(self, message: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Send one line; return the decisions received before its reply, and the reply."""
        self.writer.write((json.dumps(message) + "\n").encode())
        await self.writer.drain()
        received: list[dict[str, Any]] = []
        while True:
            line = await asyncio.wait_for(self.reader.readline(), TIMEOUT)
            assert line, "the host hung up"
            answer = json.loads(line)
            if "event" not in answer:
                return received, answer
            received.append(answer)

    async def send(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        received, reply = await self.request(message)
        assert "ok" in reply, reply
        return received

    async def sync(self) -> list[dict[str, Any]]:
        """Everything the host sent this party since the last call (a ping round trip)."""
        return await self.send({"op": "ping"})

    async def read(self) -> dict[str, Any]:
        return dict(json.loads(await asyncio.wait_for(self.reader.readline(), TIMEOUT)))

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "schema": 1, **fields}


def types_of(messages: list[dict[str, Any]]) -> list[str]:
    return [m["event"]["data"]["type"] for m in messages]


def run_host(tmp_path: Path, scenario: Callable[[Any, ManualClock, int], Awaitable[None]]) -> None:
    """Start a host on 127.0.0.1:0 with a manual clock and temp files, run ``scenario``, stop."""
    config = host_example.load_config(ROOT / "examples/host/config.toml")

    async def main() -> None:
        clock = ManualClock()
        with (
            SqliteContextStore(tmp_path / "ctx.db") as store,
            open(tmp_path / "records.jsonl", "a", encoding="utf-8") as records,
        ):
            hub = ExperienceHub(host_example.build_router(config), store)
            host = host_example.Host(
                hub, records=records, clock=clock, epoch=EPOCH, phone_region="GB"
            )
            port = await host.start("127.0.0.1", 0)
            try:
                await asyncio.wait_for(scenario(host, clock, port), 20)
            finally:
                await asyncio.wait_for(host.close(), TIMEOUT)

    asyncio.run(main())


SIM_ONLY = {"origin": "new", "replication": 0, "resolved": None, "handle_seconds": 0.0,
            "wrap_seconds": 0.0, "asks": 0, "repeat_asks": 0}  # fmt: skip
"""Record fields only the simulator fills: a live record keeps their defaults."""


def read_records(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_journey_ivr_chat_drop_then_call_goes_to_the_same_agent(tmp_path: Path) -> None:
    async def scenario(host: Any, clock: ManualClock, port: int) -> None:
        telephony = await Party.connect(port, {"hello": "adapter", "name": "telephony"})
        chat = await Party.connect(port, {"hello": "adapter", "name": "chat"})
        a1 = await Party.connect(port, {"hello": "desktop", "agent_id": "a1"})
        a2 = await Party.connect(port, {"hello": "desktop", "agent_id": "a2"})

        # a2 (phone only) has been idle longest: without affinity every call would go to a2
        await a2.send(event("AgentLoggedIn", agent_id="a2", skills={"billing": 2}, capacity={"phone": 1}))  # fmt: skip
        clock.now = 5.0
        await a1.send(event("AgentLoggedIn", agent_id="a1", skills={"billing": 2}))

        # t=100–110, IVR: account number typed in, date of birth checked
        clock.now = 100.0
        link = {"op": "link", "a": NATIONAL_PHONE, "b": ACCOUNT, "evidence": "IVR account check"}
        _, reply = await telephony.request(link)
        assert reply == {"ok": "link", "at": 100.0, "customer_id": "cust-1"}
        clock.now = 110.0
        verified = {"op": "verified", "identity": PHONE, "fact": "date_of_birth", "channel": "ivr", "valid_for": 900}  # fmt: skip
        _, reply = await telephony.request(verified)
        assert reply["customer_id"] == "cust-1"

        # t=130, the same customer opens a logged-in chat: offered to a1, dob not asked again
        clock.now = 130.0
        arrival = event("ContactArrived", at=99999, contact_id="chat-1", queue="chats",
                        attributes={"identity": ACCOUNT})  # fmt: skip
        received, reply = await chat.request(arrival)
        assert reply == {"ok": "ContactArrived", "at": 130.0}  # the host's clock, not the client's
        assert types_of(received) == ["Offer"]
        [offer] = await a1.sync()
        envelope = offer["event"]
        assert envelope == received[0]["event"]  # the same envelope to adapter and desktop
        assert envelope["subject"] == "chat-1" and envelope["id"] == "chat-1/0000000001"
        assert envelope["time"] == "2026-12-02T08:02:10Z"
        assert envelope["data"]["agent_id"] == "a1" and envelope["data"]["at"] == 130.0
        assert offer["brief"]["customer_id"] == "cust-1"
        assert offer["brief"]["do_not_ask"] == ["date_of_birth"]
        assert "do not ask: date_of_birth" in offer["brief"]["render"]
        assert await a2.sync() == []

        clock.now = 140.0
        assert await a1.send(event("OfferAccepted", contact_id="chat-1", agent_id="a1")) == []
        clock.now = 150.0
        topic = {"op": "fact", "customer_id": "cust-1", "name": "topic", "value": "billing dispute",
                 "channel": "chat", "contact_id": "chat-1"}  # fmt: skip
        await a1.send(topic)

        # mistakes get an error line naming the problem, and the host keeps serving
        _, reply = await a2.request(event("OfferAccepted", contact_id="chat-1", agent_id="a1"))
        assert reply["error"] == "ProtocolError" and "a2" in reply["message"]
        _, reply = await chat.request(event("ContactEnded", contact_id="chat-9"))
        assert reply["error"] == "UnknownContact" and "chat-9" in reply["message"]
        _, reply = await chat.request(event("ContactArived", contact_id="chat-2", queue="chats"))
        assert reply["error"] == "WireError" and "ContactArived" in reply["message"]
        _, reply = await chat.request({"op": "verified", "identity": PHONE, "fact": "date_of_birth"})  # fmt: skip
        assert reply["error"] == "ProtocolError" and "channel" in reply["message"]

        # t=400, the chat drops
        clock.now = 400.0
        await chat.send(event("ContactEnded", contact_id="chat-1", outcome="dropped"))
        assert await a1.sync() == []  # no wrap-up in this config

        # t=580, the customer calls: a repeat contact, offered to a1 (affinity), not a2
        clock.now = 580.0
        call = event("ContactArrived", contact_id="call-1", queue="calls",
                     attributes={"identity": PHONE})  # fmt: skip
        received = await telephony.send(call)
        assert types_of(received) == ["Offer", "Alert"]
        assert received[1]["event"]["data"]["kind"] == "repeat_contact"
        [offer] = await a1.sync()
        assert offer["event"]["data"]["agent_id"] == "a1"
        assert "preferred agent a1" in offer["event"]["data"]["explanation"]["summary"]
        brief = offer["brief"]
        assert brief["do_not_ask"] == ["date_of_birth"]  # verified at 110 for 900 s
        assert brief["journey"] == ["chat dropped 3 min ago (chat-1, topic: billing dispute, agent a1)"]  # fmt: skip
        assert brief["open_items"] == ["billing dispute: chat dropped (chat-1)"]
        assert brief["repeat_contact"] is True
        assert await a2.sync() == []
        assert await chat.sync() == []

        clock.now = 585.0
        await a1.send(event("OfferAccepted", contact_id="call-1", agent_id="a1"))
        clock.now = 700.0
        await telephony.send(event("ContactEnded", contact_id="call-1", outcome="resolved"))

        for party in (telephony, chat, a1, a2):
            assert await party.sync() == []
            await party.close()

    run_host(tmp_path, scenario)
    chat, call = read_records(tmp_path)
    assert chat == {
        **SIM_ONLY, "contact_id": "chat-1", "customer_id": "cust-1", "channel": "chat",
        "queue": "chats", "segment": "default", "arrived_at": 130.0, "threshold": 20.0,
        "offered_at": 130.0, "answered_at": 140.0, "ended_at": 400.0, "agent_id": "a1",
        "outcome": "dropped", "transfers": 0, "final_queue": None, "offers": 1, "agents": ["a1"],
        "wrap_ended_at": None, "preferred_agent": None, "not_asked": ["date_of_birth"],
        "estimated_wait": None, "wait": 10.0,
    }  # fmt: skip
    assert call == {
        **SIM_ONLY, "contact_id": "call-1", "customer_id": "cust-1", "channel": "phone",
        "queue": "calls", "segment": "default", "arrived_at": 580.0, "threshold": 20.0,
        "offered_at": 580.0, "answered_at": 585.0, "ended_at": 700.0, "agent_id": "a1",
        "outcome": "resolved", "transfers": 0, "final_queue": None, "offers": 1, "agents": ["a1"],
        "wrap_ended_at": None, "preferred_agent": True, "not_asked": ["date_of_birth"],
        "estimated_wait": None, "wait": 5.0,
    }  # fmt: skip


def test_the_host_ticks_on_the_next_deadline(tmp_path: Path) -> None:
    async def scenario(host: Any, clock: ManualClock, port: int) -> None:
        telephony = await Party.connect(port, {"hello": "adapter", "name": "telephony"})
        a2 = await Party.connect(port, {"hello": "desktop", "agent_id": "a2"})
        await a2.send(event("AgentLoggedIn", agent_id="a2", skills={"billing": 2}))

        clock.now = 10.0  # an anonymous call: no identity, so no brief and no customer
        [offer] = await telephony.send(event("ContactArrived", contact_id="call-7", queue="calls"))
        assert offer["event"]["data"]["expires_at"] == 40.0
        [offer] = await a2.sync()
        assert offer["brief"] is None

        clock.now = 41.0  # past the offer's expiry: nobody sends an event, the ticker acts
        host.wake()
        expired = await a2.read()
        assert expired["event"]["data"]["type"] == "OfferExpired"
        assert expired["event"]["data"]["at"] == 40.0  # when it was due, not when it was seen
        assert "OfferExpired" in types_of(await telephony.sync())

        clock.now = 50.0
        await telephony.send(event("ContactAbandoned", contact_id="call-7"))
        with pytest.raises(asyncio.TimeoutError):  # no deadline left: the ticker waits
            await asyncio.wait_for(a2.reader.readline(), 0.2)
        _, reply = await telephony.request(event("Tick"))
        assert reply["error"] == "ProtocolError" and "owns time" in reply["message"]

    run_host(tmp_path, scenario)
    [record] = read_records(tmp_path)
    assert record == {
        **SIM_ONLY, "contact_id": "call-7", "customer_id": None, "channel": "phone",
        "queue": "calls", "segment": "default", "arrived_at": 10.0, "threshold": 20.0,
        "offered_at": 10.0, "answered_at": None, "ended_at": 50.0, "agent_id": None,
        "outcome": "abandoned", "transfers": 0, "final_queue": None, "offers": 1, "agents": [],
        "wrap_ended_at": None, "preferred_agent": None, "not_asked": [], "estimated_wait": None,
        "wait": 40.0,
    }  # fmt: skip


def test_a_bad_hello_is_refused_and_a_desktop_connects_once(tmp_path: Path) -> None:
    async def scenario(host: Any, clock: ManualClock, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b'{"type": "Tick", "schema": 1}\n')
        reply = json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))
        assert reply["error"] == "ProtocolError" and "hello" in reply["message"]
        assert await asyncio.wait_for(reader.readline(), TIMEOUT) == b""  # hung up
        writer.close()

        a1 = await Party.connect(port, {"hello": "desktop", "agent_id": "a1"})
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b'{"hello": "desktop", "agent_id": "a1"}\n')
        reply = json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))
        assert "already connected" in reply["message"]
        writer.close()
        await a1.close()

    run_host(tmp_path, scenario)
