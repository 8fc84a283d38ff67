"""The router's estimated wait in the simulator: kept on each record, set against the wait that
followed, per queue; and the same field on a live host's records."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub import QueueSpec, Router, SkillGraph
from experiencehub import events as ev
from experiencehub.records import ContactRecord, ContactRecorder
from experiencehub.sim.engine import run
from experiencehub.sim.runs import simulate
from experiencehub.sim.wait_estimates import ESTIMATED_WAIT_KPI_KEYS, estimated_wait_kpis

from .test_engine import scenario


def test_each_record_keeps_the_estimate_it_was_given_on_arrival(tmp_path: Path) -> None:
    # c1 is offered at once; c2 queues before the queue has any history (no estimate) and leaves
    # the line 9 s later; c3 finds the agent free; c4 queues first in line: 1 × 9 s
    result = run(scenario(tmp_path, [0.0, 1.0, 25.0, 26.0]))
    assert [(r.estimated_wait, r.wait) for r in result.records] == [
        (None, 0.0), (None, 9.0), (None, 0.0), (9.0, 9.0)
    ]  # fmt: skip


def test_the_kpis_set_estimates_against_waits_per_queue(tmp_path: Path) -> None:
    result = simulate(scenario(tmp_path, [0.0, 1.0, 25.0, 26.0]))
    block = result.kpis["estimated_wait"]
    assert block["overall"] == {"estimated": 1, "mean_estimate": 9.0, "mean_actual": 9.0,
                                "mean_absolute_error": 0.0, "bias": 0.0}  # fmt: skip
    assert block["by_queue"] == {"q": block["overall"]}


def test_abandoned_and_unestimated_contacts_do_not_count() -> None:
    def record(cid: str, estimate: float | None, answered: float | None) -> ContactRecord:
        return ContactRecord(cid, cid, "phone", "q", "s", arrived_at=0.0, threshold=20.0,
                             answered_at=answered, estimated_wait=estimate,
                             outcome="handled" if answered is not None else "abandoned",
                             ended_at=50.0)  # fmt: skip

    records = [record("a", 30.0, 20.0), record("b", 30.0, None), record("c", None, 5.0)]
    block = estimated_wait_kpis(records, (0.0, 100.0))["overall"]
    assert (block["estimated"], block["bias"]) == (1, 10.0)
    empty = estimated_wait_kpis(records[1:], (0.0, 100.0))
    assert empty["overall"] == {"estimated": 0, "mean_estimate": None, "mean_actual": None,
                                "mean_absolute_error": None, "bias": None}  # fmt: skip
    assert tuple(empty["by_queue"]["q"]) == ESTIMATED_WAIT_KPI_KEYS


def test_a_live_recorder_keeps_the_same_estimate() -> None:
    router = Router(SkillGraph(), [QueueSpec("help", channel="phone")])
    recorder = ContactRecorder(router)
    finished: list[ContactRecord] = []
    for event in [
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}),
        ev.ContactArrived(at=0.0, contact_id="c1", queue="help"),
        ev.OfferAccepted(at=0.0, contact_id="c1", agent_id="a1"),
        ev.ContactArrived(at=5.0, contact_id="c2", queue="help"),
        ev.ContactEnded(at=65.0, contact_id="c1"),
        ev.OfferAccepted(at=65.0, contact_id="c2", agent_id="a1"),
        ev.ContactArrived(at=66.0, contact_id="c3", queue="help"),
        ev.ContactEnded(at=70.0, contact_id="c2"),
        ev.OfferAccepted(at=70.0, contact_id="c3", agent_id="a1"),
        ev.ContactEnded(at=80.0, contact_id="c3"),
    ]:
        finished += recorder.observe(event, router.handle(event))
    assert [(r.contact_id, r.estimated_wait) for r in finished] == [
        ("c1", None), ("c2", None), ("c3", 60.0)
    ]  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["q", "r"]), st.none() | st.floats(0, 1e4),
                          st.none() | st.floats(0, 1e4)), max_size=30))  # fmt: skip
def test_the_error_is_at_least_the_bias_and_the_bias_is_the_difference_of_means(
    rows: list[tuple[str, float | None, float | None]],
) -> None:
    records = [ContactRecord(f"c{i}", None, "phone", queue, "s", arrived_at=1.0, threshold=20.0,
                             estimated_wait=estimate,
                             answered_at=None if wait is None else 1.0 + wait)
               for i, (queue, estimate, wait) in enumerate(rows)]  # fmt: skip
    blocks = estimated_wait_kpis(records, (0.0, 10.0))
    for block in (blocks["overall"], *blocks["by_queue"].values()):
        if not block["estimated"]:
            assert block["bias"] is None
            continue
        assert block["mean_absolute_error"] >= abs(block["bias"]) - 1e-6
        assert math.isclose(block["bias"], block["mean_estimate"] - block["mean_actual"],
                            abs_tol=1e-6)  # fmt: skip
    counted = sum(1 for _, e, w in rows if e is not None and w is not None)
    assert blocks["overall"]["estimated"] == counted
