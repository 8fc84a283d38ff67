"""The customer model: who serves changes handle time and resolution; what the agent knows
changes what the customer is asked again. Small scenarios with known timelines, on the real Router
and (context on) the real ExperienceHub."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import attrs
import pytest

from experiencehub.core.policies import LongestIdle
from experiencehub.sim.build import build_router
from experiencehub.sim.engine import run
from experiencehub.sim.kpi import ContactRecord
from experiencehub.sim.scenario import Scenario, load_scenario_text

TEXT = """
[simulation]
duration = {duration}
drain_seconds = 100000
seed = 5
{sim}

{context}

[[queues]]
name = "q"
channel = "{channel}"
requires = ["s"]
{queue}

[[queues]]
name = "back"
channel = "phone"
requires = ["s"]

{agents}

[[workload]]
queue = "q"
arrivals = {{ kind = "trace", path = "arrivals.csv" }}
handle_seconds = {{ kind = "deterministic", value = 100 }}
{workload}
"""

ONE_AGENT = """
[[agents]]
group = "g"
count = 1
skills = { s = 1 }
capacity = { phone = 1, chat = 3 }
"""


def make(tmp_path: Path, arrivals: list[float], *, agents: str = ONE_AGENT, sim: str = "",
         context: str = "", queue: str = "", workload: str = "", channel: str = "phone",
         duration: float = 10000) -> Scenario:  # fmt: skip
    (tmp_path / "arrivals.csv").write_text("\n".join(str(t) for t in arrivals) + "\n")
    text = TEXT.format(duration=duration, sim=sim, context=context, queue=queue, agents=agents,
                       workload=workload, channel=channel)  # fmt: skip
    return load_scenario_text(text, base_dir=tmp_path)


def talk(record: ContactRecord) -> float:
    assert record.answered_at is not None and record.ended_at is not None
    return record.ended_at - record.answered_at


# -- who serves: speed ------------------------------------------------------------------------
def test_handle_time_factor_applies_when_answered(tmp_path: Path) -> None:
    agents = ONE_AGENT.replace("count = 1", "count = 1\nhandle_time_factor = 1.5")
    records = run(make(tmp_path, [10.0, 20.0], agents=agents)).records
    assert [talk(r) for r in records] == [150.0, 150.0]
    assert [r.handle_seconds for r in records] == [150.0, 150.0]
    assert records[1].answered_at == 160.0  # waited for the slow agent


def test_the_group_that_answers_sets_the_speed(tmp_path: Path) -> None:
    agents = """
[[agents]]
group = "fast"
count = 1
skills = { s = 1 }
capacity = { phone = 1 }
handle_time_factor = 0.5

[[agents]]
group = "slow"
count = 1
skills = { s = 1 }
capacity = { phone = 1 }
handle_time_factor = 2.0
"""
    scenario = make(tmp_path, [10.0, 11.0], agents=agents)
    fastest = run(scenario, policy="fastest").records
    assert [(r.agent_id, talk(r)) for r in fastest] == [("fast-1", 50.0), ("slow-1", 200.0)]
    # fast-1 logged in first but is not the longest idle for the second contact
    idle = run(scenario, policy="longest_idle").records
    assert [(r.agent_id, talk(r)) for r in idle] == [("fast-1", 50.0), ("slow-1", 200.0)]


def test_substitution_slowdown_scales_with_skill_cost(tmp_path: Path) -> None:
    agents = """
[[agents]]
group = "sub"
count = 1
skills = { t = 1 }
capacity = { phone = 1 }
substitution_slowdown = 0.25

[[substitutions]]
skill = "t"
serves = "s"
cost = 2
"""
    queue = "stages = [{ after = 0, max_cost = 2 }]"
    records = run(make(tmp_path, [10.0], agents=agents, queue=queue)).records
    assert talk(records[0]) == 150.0  # 100 · (1 + 0.25 · 2)


def test_concurrency_slowdown_counts_contacts_in_hand(tmp_path: Path) -> None:
    agents = ONE_AGENT.replace("count = 1", "count = 1\nconcurrency_slowdown = 0.5")
    records = run(make(tmp_path, [10.0, 20.0, 30.0], agents=agents, channel="chat")).records
    assert [talk(r) for r in records] == [100.0, 150.0, 200.0]  # 1, 2, 3 chats in hand


def test_slowdowns_default_to_none(tmp_path: Path) -> None:
    records = run(make(tmp_path, [10.0, 20.0, 30.0], channel="chat")).records
    assert [talk(r) for r in records] == [100.0, 100.0, 100.0]


# -- who serves: resolution and returns -------------------------------------------------------
UNRESOLVED = (
    'unresolved = { delay_seconds = { kind = "deterministic", value = 500 }, max_contacts = 3 }'
)


def test_an_agent_who_never_resolves_brings_every_customer_back_until_max_contacts(
    tmp_path: Path,
) -> None:
    agents = ONE_AGENT.replace("count = 1", "count = 1\nresolution = 0.0")
    records = run(make(tmp_path, [10.0], agents=agents, workload=UNRESOLVED)).records
    assert [(r.origin, r.arrived_at, r.resolved) for r in records] == [
        ("new", 10.0, False),
        ("unresolved", 610.0, False),
        ("unresolved", 1210.0, False),
    ]
    assert {r.customer_id for r in records} == {records[0].customer_id}  # one issue


def test_resolved_customers_do_not_return(tmp_path: Path) -> None:
    records = run(make(tmp_path, [10.0, 400.0], workload=UNRESOLVED)).records
    assert [(r.origin, r.resolved) for r in records] == [("new", True), ("new", True)]


def test_unresolved_returns_go_to_the_named_queue(tmp_path: Path) -> None:
    agents = ONE_AGENT.replace("count = 1", "count = 1\nresolution = 0.0")
    workload = UNRESOLVED.replace("max_contacts = 3", 'max_contacts = 2, queue = "back"')
    records = run(make(tmp_path, [10.0], agents=agents, workload=workload)).records
    assert [r.queue for r in records] == ["q", "back"]


def test_resolution_share_follows_the_group(tmp_path: Path) -> None:
    agents = ONE_AGENT.replace("count = 1", "count = 2\nresolution = 0.3")
    arrivals = [float(t) for t in range(10, 40000, 200)]
    scenario = make(tmp_path, arrivals, agents=agents, duration=50000)
    records = [r for r in run(scenario).records if r.resolved is not None]
    share = sum(r.resolved is True for r in records) / len(records)
    assert len(records) == 200 and 0.2 < share < 0.4


def test_old_repeat_key_marks_the_contact_unresolved(tmp_path: Path) -> None:
    workload = (
        'repeat = { probability = 0.999, delay_seconds = { kind = "deterministic", value = 50 } }'
    )
    records = run(make(tmp_path, [10.0], workload=workload)).records
    assert [(r.origin, r.resolved) for r in records] == [("new", False), ("repeat", True)]


def test_resolution_draws_are_paired_across_policies(tmp_path: Path) -> None:
    """Common random numbers: the issue's coins do not depend on the order agents answer."""
    agents = """
[[agents]]
group = "a"
count = 3
skills = { s = 1 }
capacity = { phone = 1 }
resolution = 0.5

[[agents]]
group = "b"
count = 3
skills = { s = 1 }
capacity = { phone = 1 }
resolution = 0.5
"""
    arrivals = [float(t) for t in range(10, 20000, 37)]
    scenario = make(tmp_path, arrivals, agents=agents, workload=UNRESOLVED, duration=30000)

    def outcomes(policy: str) -> list[tuple[float, bool | None]]:
        return [(r.arrived_at, r.resolved) for r in run(scenario, policy=policy).records]

    # both groups resolve half: whoever serves, each contact's coin is the same
    assert outcomes("longest_idle") == outcomes("fewest_skills") == outcomes("round_robin")


def test_identical_agents_give_the_same_records_as_before(tmp_path: Path) -> None:
    """handle_time_factor = 1 and resolution = 1 written out change nothing."""
    arrivals = [float(t) for t in range(0, 5000, 7)]
    plain = make(tmp_path, arrivals, agents=ONE_AGENT.replace("count = 1", "count = 3"))
    spelled = make(
        tmp_path,
        arrivals,
        agents=ONE_AGENT.replace(
            "count = 1", "count = 3\nhandle_time_factor = 1.0\nresolution = 1.0"
        ),
    )
    fields = ("arrived_at", "answered_at", "ended_at", "agent_id", "outcome")

    def rows(s: Scenario) -> list[tuple[object, ...]]:
        return [tuple(getattr(r, f) for f in fields) for r in run(s).records]

    assert rows(plain) == rows(spelled)


# -- what the agent knows ---------------------------------------------------------------------
CONTEXT = """
[context]
enabled = {enabled}

[[context.asks]]
fact = "date_of_birth"
seconds = 20
valid_for = 3600

[[context.asks]]
fact = "issue_details"
seconds = 60
valid_for = 86400
"""
IVR = 'ivr = { share = 1.0, facts = ["date_of_birth"] }'


@pytest.mark.parametrize("enabled", ["false", "true"])
def test_first_contact_asks_everything_and_repeats_nothing(tmp_path: Path, enabled: str) -> None:
    records = run(make(tmp_path, [10.0], context=CONTEXT.format(enabled=enabled))).records
    assert (records[0].asks, records[0].repeat_asks, talk(records[0])) == (2, 0, 180.0)


def test_ivr_answer_is_asked_again_without_context(tmp_path: Path) -> None:
    context = CONTEXT.format(enabled="false")
    records = run(make(tmp_path, [10.0], context=context, workload=IVR)).records
    assert (records[0].asks, records[0].repeat_asks, talk(records[0])) == (2, 1, 180.0)


def test_ivr_answer_reaches_the_agent_with_context(tmp_path: Path) -> None:
    context = CONTEXT.format(enabled="true")
    records = run(make(tmp_path, [10.0], context=context, workload=IVR)).records
    assert (records[0].asks, records[0].repeat_asks, talk(records[0])) == (1, 0, 160.0)


@pytest.mark.parametrize(("enabled", "expected"), [("false", (2, 2)), ("true", (0, 0))])
def test_a_returning_customer_repeats_itself_only_without_context(
    tmp_path: Path, enabled: str, expected: tuple[int, int]
) -> None:
    agents = ONE_AGENT.replace("count = 1", "count = 1\nresolution = 0.0")
    workload = UNRESOLVED.replace("max_contacts = 3", "max_contacts = 2")
    scenario = make(tmp_path, [10.0], agents=agents, context=CONTEXT.format(enabled=enabled),
                    workload=workload)  # fmt: skip
    first, second = run(scenario).records
    assert (first.asks, first.repeat_asks) == (2, 0)
    assert (second.asks, second.repeat_asks) == expected


def test_expired_facts_are_asked_again_but_are_not_repeats(tmp_path: Path) -> None:
    agents = ONE_AGENT.replace("count = 1", "count = 1\nresolution = 0.0")
    workload = UNRESOLVED.replace("value = 500", "value = 5000").replace(
        "max_contacts = 3", "max_contacts = 2"
    )
    scenario = make(tmp_path, [10.0], agents=agents, context=CONTEXT.format(enabled="true"),
                    workload=workload)  # fmt: skip
    _, second = run(scenario).records
    # date_of_birth (valid 3600 s) expired before the return 5,180 s later; issue_details did not
    assert (second.asks, second.repeat_asks) == (1, 0)


def test_a_transferred_contact_is_asked_again_only_without_context(tmp_path: Path) -> None:
    workload = 'transfer = { probability = 1.0, queue = "back" }'
    agents = ONE_AGENT.replace("count = 1", "count = 2")
    counts = {}
    for enabled in ("false", "true"):
        scenario = make(tmp_path, [10.0], agents=agents, workload=workload,
                        context=CONTEXT.format(enabled=enabled))  # fmt: skip
        [record] = run(scenario).records
        counts[enabled] = (record.transfers, record.asks, record.repeat_asks)
    assert counts == {"false": (1, 4, 2), "true": (1, 2, 0)}


def test_context_on_prefers_the_last_agent_for_the_follow_up(tmp_path: Path) -> None:
    agents = ONE_AGENT.replace("count = 1", "count = 4\nresolution = 0.0")
    workload = UNRESOLVED.replace("max_contacts = 3", "max_contacts = 2")
    arrivals = [float(t) for t in range(10, 10000, 1000)]  # the last agent is free on return

    def same_agent(enabled: str) -> int:
        scenario = make(tmp_path, arrivals, agents=agents, workload=workload,
                        context=CONTEXT.format(enabled=enabled))  # fmt: skip
        by_customer: dict[str, list[str | None]] = {}
        for r in run(scenario).records:
            by_customer.setdefault(r.customer_id, []).append(r.agent_id)
        return sum(1 for agents in by_customer.values() if len(set(agents)) == 1)

    assert same_agent("true") == len(arrivals) > same_agent("false")


def test_context_on_is_deterministic(tmp_path: Path) -> None:
    context = CONTEXT.format(enabled="true")
    scenario = make(tmp_path, [float(t) for t in range(10, 5000, 45)], context=context,
                    workload=IVR.replace("1.0", "0.5") + "\n" + UNRESOLVED,
                    agents=ONE_AGENT.replace("count = 1", "count = 2\nresolution = 0.6"))  # fmt: skip
    first, second = run(scenario).records, run(scenario).records
    assert [attrs.astuple(r) for r in first] == [attrs.astuple(r) for r in second]
    assert Counter(r.origin for r in first)["unresolved"] > 0


# -- routing settings reach the router --------------------------------------------------------
def test_channel_rules_and_queue_settings_reach_the_router(tmp_path: Path) -> None:
    sim = 'channel_rules = { phone = ["chat"] }'
    queue = "affinity_seconds = 12\nrejoin_seconds = 30"
    router = build_router(make(tmp_path, [10.0], sim=sim, queue=queue))
    spec = router.queues["q"]
    assert (spec.affinity_seconds, spec.rejoin_seconds) == (12.0, 30.0)


def test_a_custom_policy_from_a_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = ModuleType("my_rules")

    class Newest(LongestIdle):
        name = "newest"

        def key(self, agent, proficiency):  # type: ignore[no-untyped-def]
            return (-agent.idle_since,)

    module.Newest = Newest  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "my_rules", module)
    agents = ONE_AGENT.replace("count = 1", "count = 2")
    scenario = make(tmp_path, [10.0, 500.0], agents=agents, sim='policy = "my_rules:Newest"')
    records = run(scenario).records
    # both idle since login (a tie: login order); then g-1 is idle since 110, g-2 since 0
    assert [r.agent_id for r in records] == ["g-1", "g-1"]
    assert [r.agent_id for r in run(scenario, policy="longest_idle").records] == ["g-1", "g-2"]
    assert build_router(scenario).policy_name == "newest"


def test_ask_kpis_are_none_when_agents_have_nothing_to_ask(tmp_path: Path) -> None:
    from experiencehub.sim.runs import simulate  # noqa: PLC0415

    plain = simulate(make(tmp_path, [10.0, 20.0])).kpis["overall"]
    asked = simulate(make(tmp_path, [10.0, 20.0], context=CONTEXT.format(enabled="false")))
    assert (plain["asks"], plain["repeat_asks"]) == (None, None)
    assert (asked.kpis["overall"]["asks"], asked.kpis["overall"]["repeat_asks"]) == (2.0, 0.0)
