"""The wire format: every event and decision round-trips through JSON, matches its shipped JSON
Schema, and bad documents are refused with the field named."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub import wire
from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.testing import strategies  # noqa: F401  (registers every event and decision type)

SCHEMAS = Path(wire.__file__).parent / "schemas"


ALL_TYPES = sorted({**wire.EVENT_TYPES, **wire.DECISION_TYPES}.items())


@pytest.mark.parametrize(("name", "cls"), ALL_TYPES, ids=[n for n, _ in ALL_TYPES])
def test_every_type_round_trips_and_matches_its_schema(name: str, cls: type) -> None:
    schema = json.loads((SCHEMAS / f"v{wire.SCHEMA_VERSION}" / f"{name}.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)

    @settings(max_examples=60, deadline=None)
    @given(st.from_type(cls))  # registered by experiencehub.testing
    def check(value: Any) -> None:
        text = wire.dumps(value)
        assert wire.loads(text) == value
        validator.validate(json.loads(text))

    check()


def test_shipped_schemas_are_the_generated_ones() -> None:
    for name, text in wire.schema_files().items():
        assert (SCHEMAS / name).read_text() == text, f"regenerate {name} (see docs/wire.md)"
    shipped = {str(p.relative_to(SCHEMAS)) for p in SCHEMAS.rglob("*.json")}
    assert shipped == set(wire.schema_files())


def test_schemas_are_valid_json_schemas() -> None:
    for text in wire.schema_files().values():
        jsonschema.Draft202012Validator.check_schema(json.loads(text))


ARRIVAL = {"type": "ContactArrived", "schema": 1, "at": 1.0, "contact_id": "c1", "queue": "q"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "Nope"}, "type: unknown type 'Nope'"),
        ({"schema": 2}, "ContactArrived.schema: expected 1, got 2"),
        ({"at": "soon"}, "ContactArrived.at: expected a number, got 'soon'"),
        ({"at": True}, "ContactArrived.at: expected a number, got True"),
        ({"priority": 1.5}, "ContactArrived.priority: expected an integer, got 1.5"),
        ({"preferred_agents": "a1"}, "ContactArrived.preferred_agents: expected an array"),
        ({"attributes": [1, 2]}, "ContactArrived.attributes: expected an object"),
        ({"colour": "red"}, "ContactArrived: unknown field(s) 'colour'"),
        ({"at": -1.0}, "ContactArrived: at=-1.0: must be"),
    ],
)
def test_bad_documents_name_the_field_and_the_rule(change: dict[str, Any], message: str) -> None:
    with pytest.raises(wire.WireError) as caught:
        wire.from_json({**ARRIVAL, **change})
    assert str(caught.value).startswith(message)


def test_missing_fields_and_non_objects_are_refused() -> None:
    with pytest.raises(wire.WireError, match=r"ContactArrived: .*queue"):
        wire.from_json({k: v for k, v in ARRIVAL.items() if k != "queue"})
    with pytest.raises(wire.WireError, match="document: expected an object"):
        wire.from_json([1])
    with pytest.raises(wire.WireError, match="document: not JSON"):
        wire.loads("{")


def test_values_without_a_json_form_are_refused() -> None:
    arrival = ev.ContactArrived(at=1.0, contact_id="c1", queue="q", attributes={"x": object()})
    with pytest.raises(wire.WireError, match=r"ContactArrived\.attributes\.x: object has no JSON"):
        wire.dumps(arrival)
    with pytest.raises(wire.WireError, match="not an event or decision"):
        wire.to_json(dc.Candidate(agent_id="a1", cost=0.0))


EPOCH = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone.utc)


def test_cloud_events_carry_a_sequence_per_contact() -> None:
    sequencer = wire.Sequencer()
    explanation = dc.Explanation(policy="longest_idle", summary="a1 idle longest")
    stream = [
        dc.Enqueued(at=1.0, contact_id="c1", queue="q", position=1, waiting=1,
                    explanation=explanation),
        dc.Offer(at=61.5, contact_id="c1", agent_id="a1", queue="q", channel="phone", stage=0,
                 expires_at=91.5, explanation=explanation),
        dc.LogoutCompleted(at=70.0, agent_id="a2"),
    ]  # fmt: skip
    envelopes = [
        wire.cloud_event(d, source="router-1", epoch=EPOCH, sequence=sequencer.next(
            getattr(d, "contact_id", None) or d.agent_id))
        for d in stream
    ]  # fmt: skip
    first, second, agent = envelopes
    assert (first["subject"], first["sequence"], second["sequence"]) == (
        "c1", "0000000001", "0000000002",
    )  # fmt: skip
    assert second["sequence"] > first["sequence"]  # lexicographic order is numeric order
    assert second["time"] == "2026-12-02T08:01:01.500Z"
    assert second["type"] == "com.experiencehub.decision.Offer"
    assert (agent["subject"], agent["sequence"]) == ("a2", "0000000001")
    assert len({e["id"] for e in envelopes}) == 3
    assert all(e["specversion"] == "1.0" and e["source"] == "router-1" for e in envelopes)
    assert wire.from_json(second["data"]) == stream[1]


def test_rfc3339_needs_a_timezone() -> None:
    with pytest.raises(wire.WireError, match="timezone-aware"):
        wire.rfc3339(1.0, dt.datetime(2026, 1, 1))
