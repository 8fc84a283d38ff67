"""Scenario files: the reference file loads unchanged; every problem is reported with its key path."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from experiencehub import ConfigError, RoutingError
from experiencehub.core.policies import LongestIdle
from experiencehub.sim.checks import load_policy_object
from experiencehub.sim.scenario import (
    AGENT_POLICIES,
    Ask,
    ContextSettings,
    Distribution,
    Ivr,
    ScenarioError,
    Unresolved,
    load_scenario,
    load_scenario_text,
    mean_of,
)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path("/work/shared/reference/scenarios/single-queue.toml")

GOOD = """
[simulation]
duration = 3600

[[queues]]
name = "q"
channel = "phone"
requires = ["s"]

[[agents]]
group = "g"
count = 2
skills = { s = 1 }
capacity = { phone = 1 }

[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 10 }
handle_seconds = { kind = "exponential", mean = 60 }
"""


def problems_of(text: str, tmp_path: Path | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, base_dir=tmp_path or ".")
    return info.value.problems


def test_reference_single_queue_loads_unchanged() -> None:
    path = REFERENCE if REFERENCE.exists() else ROOT / "scenarios" / "single-queue.toml"
    scenario = load_scenario(path)
    assert scenario.simulation.duration == 86400 and scenario.simulation.warmup == 3600
    assert scenario.simulation.replications == 3 and scenario.simulation.seed == 7
    (queue,) = scenario.queues
    assert queue.requires == {"support": 1}  # list form: minimum level 1
    assert queue.service_level_seconds == 20
    (group,) = scenario.agents
    assert (group.count, group.skills, group.capacity) == (50, {"support": 3}, {"phone": 1})
    (item,) = scenario.workload
    assert item.arrivals.per_hour == 2700
    assert item.patience_seconds is not None and item.patience_seconds.mean == 120


def test_shipped_copy_is_identical_to_the_reference() -> None:
    if not REFERENCE.exists():
        pytest.skip("shared reference not available")
    assert (ROOT / "scenarios" / "single-queue.toml").read_text() == REFERENCE.read_text()


@pytest.mark.parametrize("name", ["single-queue", "omnichannel-day", "policy-comparison"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    assert scenario.name == name
    assert scenario.queues and scenario.agents and scenario.workload


def test_omnichannel_day_has_what_the_demo_promises() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "omnichannel-day.toml")
    assert {q.channel for q in scenario.queues} == {"phone", "chat", "email"}
    segments = {w.segment: w.service_level_seconds for w in scenario.workload}
    assert set(segments) == {"premium", "standard", "basic"}
    assert scenario.substitutions
    chat = [w for w in scenario.workload if w.queue == "chat"]
    assert all(w.callback is not None and w.callback.queue.startswith("phone") for w in chat)


def test_good_scenario_gets_defaults() -> None:
    scenario = load_scenario_text(GOOD)
    assert scenario.simulation.policy == "longest_idle"
    assert scenario.kpis.preset == "experiencehub"
    assert scenario.queues[0].service_level_seconds == 20.0
    assert scenario.workload[0].segment == "default"


def test_every_problem_is_reported_with_its_key_path() -> None:
    text = GOOD.replace("per_hour = 10", "per_hour = -5").replace(
        'queue = "q"\narrivals', 'queue = "nope"\narrivals'
    )
    text = text.replace("count = 2", "count = 0").replace("duration = 3600", "duration = 0")
    found = problems_of(text)
    assert "workload[0].arrivals.per_hour: must be > 0, got -5.0" in found
    assert any(p.startswith("workload[0].queue: unknown queue 'nope'") for p in found)
    assert "agents[0].count: must be >= 1, got 0" in found
    assert "simulation.duration: must be > 0, got 0.0" in found


def test_wrong_types_missing_and_unknown_keys_are_named() -> None:
    text = GOOD.replace("count = 2", 'count = "two"').replace(
        'channel = "phone"', 'channel = "phone"\nservice_levl_seconds = 20'
    )
    text = text.replace('handle_seconds = { kind = "exponential", mean = 60 }', "")
    found = problems_of(text)
    assert "agents[0].count: must be an integer, got 'two' (a string)" in found, found
    assert any(p.startswith("queues[0]") and "service_levl_seconds" in p for p in found), found
    assert "workload[0].handle_seconds: required field missing" in found


def test_structure_errors_do_not_hide_range_errors_elsewhere() -> None:
    text = GOOD.replace("count = 2", 'count = "two"').replace("per_hour = 10", "per_hour = -1")
    found = problems_of(text)
    assert any(p.startswith("agents[0].count") for p in found)
    assert "workload[0].arrivals.per_hour: must be > 0, got -1.0" in found


def test_unknown_skill_and_unknown_section() -> None:
    text = GOOD.replace('requires = ["s"]', 'requires = ["billing"]') + "\n[oops]\nx = 1\n"
    found = problems_of(text)
    assert any(p.startswith("queues[0].requires.billing: unknown skill 'billing'") for p in found)
    assert any(p.startswith("oops: unknown section") for p in found)


def test_distribution_parameters_are_checked() -> None:
    text = GOOD.replace(
        '{ kind = "exponential", mean = 60 }', '{ kind = "lognormal", mean = 60 }'
    ).replace('kind = "poisson"', 'kind = "weibull"')
    found = problems_of(text)
    assert "workload[0].handle_seconds.sd: required for lognormal" in found
    assert any(p.startswith("workload[0].arrivals.kind: must be one of poisson") for p in found)


def test_distribution_parameters_the_kind_does_not_use_are_reported() -> None:
    text = GOOD.replace(
        '{ kind = "exponential", mean = 60 }', '{ kind = "exponential", mean = 60, sd = 3 }'
    )
    assert "workload[0].handle_seconds.sd: not used by exponential (it takes mean)" in problems_of(
        text
    )


def test_unstable_load_without_patience_is_reported() -> None:
    text = GOOD.replace("per_hour = 10", "per_hour = 200")  # 200/h × 60 s = 3.3 erlangs > 2
    (problem,) = problems_of(text)
    assert problem.startswith("queues[0]: unstable: offered load 3.3 erlangs >= 2 agent slots")


def test_same_load_with_patience_is_fine() -> None:
    text = GOOD.replace("per_hour = 10", "per_hour = 200").replace(
        "mean = 60 }", 'mean = 60 }\npatience_seconds = { kind = "exponential", mean = 30 }'
    )
    assert load_scenario_text(text).workload[0].patience_seconds is not None


def test_contacts_self_service_contains_do_not_count_in_the_load() -> None:
    # 200/h × 60 s = 3.3 erlangs offered, but half try the bot and 70 % of those are resolved
    # there: 2.2 erlangs reach the queue's 2 slots, still unstable; at 90 % contained, 1.8: fine.
    step = 'self_service = {{ share = 0.5, contained = {}, seconds = {{ kind = "deterministic", value = 30 }} }}'
    base = GOOD.replace("per_hour = 10", "per_hour = 200")
    (problem,) = problems_of(base + step.format(0.7) + "\n")
    assert problem.startswith("queues[0]: unstable: offered load 2.2 erlangs >= 2 agent slots")
    assert load_scenario_text(base + step.format(0.9) + "\n").workload[0].self_service is not None
    # the queue's own step counts the same way
    on_queue = base.replace('requires = ["s"]', 'requires = ["s"]\n' + step.format(0.9))
    assert load_scenario_text(on_queue).queues[0].self_service is not None


def test_trace_file_must_exist(tmp_path: Path) -> None:
    text = GOOD.replace('{ kind = "poisson", per_hour = 10 }', '{ kind = "trace", path = "a.csv" }')
    found = problems_of(text, tmp_path)
    assert any(p.startswith("workload[0].arrivals.path: file") for p in found)
    (tmp_path / "a.csv").write_text("seconds\n1\n2\n")
    assert load_scenario_text(text, base_dir=tmp_path).workload[0].arrivals.path == "a.csv"


def test_shift_and_break_checks() -> None:
    text = GOOD.replace(
        "capacity = { phone = 1 }",
        "capacity = { phone = 1 }\nshifts = [{ start = 100, end = 50, breaks = [{ at = 10, seconds = 5 }] }]",
    )
    found = problems_of(text)
    assert "agents[0].shifts[0].end: must be > start (100.0), got 50.0" in found
    assert any(
        p.startswith("agents[0].shifts[0].breaks[0].at: must be inside the shift") for p in found
    )
    text = GOOD.replace(
        "capacity = { phone = 1 }",
        'capacity = { phone = 1 }\nshifts = [{ start = 0, end = 50, breaks = [{ at = 10, seconds = 5, reason = "" }] }]',
    )
    assert problems_of(text) == [
        "agents[0].shifts[0].breaks[0].reason: must be a name of 1 to 64 characters, got ''"
    ]


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    assert problems_of("[simulation\n")[0].startswith("toml:")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "missing.toml")
    assert info.value.problems[0].startswith("file: cannot read")


def test_scenario_error_is_a_config_error_naming_the_count() -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario_text("[simulation]\nduration = 1")
    assert isinstance(info.value, RoutingError)
    assert str(info.value).startswith("3 problems in <text>:")


def test_mean_of_each_kind() -> None:
    assert mean_of(Distribution(kind="exponential", mean=7.0)) == 7.0
    assert mean_of(Distribution(kind="deterministic", value=3.0)) == 3.0
    assert mean_of(Distribution(kind="empirical", values=(1.0, 2.0, 6.0))) == 3.0


def test_a_broken_agent_group_does_not_hide_an_unknown_queue() -> None:
    text = GOOD.replace("count = 2", 'count = "two"').replace(
        'queue = "q"\narrivals', 'queue = "nope"\narrivals'
    )
    found = problems_of(text)
    assert any(p.startswith("agents[0].count: must be an integer") for p in found)
    assert any(p.startswith("workload[0].queue: unknown queue 'nope'") for p in found)
    assert not any("unknown skill" in p for p in found)  # agents incomplete: skills not judged


# -- the customer model: speed and resolution, unresolved returns, IVR, [context], channel rules ---
FULL = (
    GOOD.replace("duration = 3600", 'duration = 3600\npolicy = "resolution_rate"')
    .replace(
        "duration = 3600",
        'duration = 3600\nchannel_rules = { phone = ["chat", "email"], chat = ["phone"] }',
    )
    .replace(
        "capacity = { phone = 1 }",
        """capacity = { phone = 1, chat = 2, email = 3 }
handle_time_factor = 0.8
resolution = 0.9
substitution_slowdown = 0.2
concurrency_slowdown = 0.15""",
    )
    .replace('requires = ["s"]', 'requires = ["s"]\naffinity_seconds = 45\nrejoin_seconds = 600')
    + """unresolved = { delay_seconds = { kind = "exponential", mean = 7200 }, queue = "q", probability = 0.8, max_contacts = 3 }
ivr = { share = 0.6, facts = ["date_of_birth"], channels = ["phone"] }

[context]
enabled = true
affinity_window_seconds = 3600
identify_by = { phone = "phone", chat = "chat_session" }

[[context.asks]]
fact = "date_of_birth"
seconds = 25
valid_for = 1800

[[context.asks]]
fact = "account_number"
seconds = 15
"""
)


def test_new_keys_default_when_omitted() -> None:
    scenario = load_scenario_text(GOOD)
    group, queue, item = scenario.agents[0], scenario.queues[0], scenario.workload[0]
    assert (group.handle_time_factor, group.resolution) == (1.0, 1.0)
    assert (group.substitution_slowdown, group.concurrency_slowdown) == (0.0, 0.0)
    assert (queue.affinity_seconds, queue.rejoin_seconds) == (30.0, 0.0)
    assert item.unresolved is None and item.ivr is None
    assert scenario.simulation.channel_rules is None
    assert scenario.context == ContextSettings()
    assert scenario.context.enabled is False and scenario.context.asks == ()
    assert scenario.context.affinity_window_seconds == 8 * 3600.0
    assert scenario.context.identify_by == {}


def test_defaults_inside_unresolved_and_ivr() -> None:
    text = GOOD + (
        'unresolved = { delay_seconds = { kind = "deterministic", value = 60 } }\n'
        "ivr = { share = 0.5 }\n"
        '[[context.asks]]\nfact = "account_number"\nseconds = 10\n'
    )
    scenario = load_scenario_text(text)
    item = scenario.workload[0]
    assert item.unresolved is not None and item.ivr is not None
    assert (item.unresolved.queue, item.unresolved.probability) == (None, 1.0)
    assert item.unresolved.max_contacts == 5
    assert (item.ivr.facts, item.ivr.channels) == (None, ("phone",))
    assert scenario.context.asks == (Ask(fact="account_number", seconds=10.0, valid_for=900.0),)


def test_a_full_example_with_every_new_key_loads() -> None:
    scenario = load_scenario_text(FULL)
    (group,) = scenario.agents
    assert (group.handle_time_factor, group.resolution) == (0.8, 0.9)
    assert (group.substitution_slowdown, group.concurrency_slowdown) == (0.2, 0.15)
    assert (scenario.queues[0].affinity_seconds, scenario.queues[0].rejoin_seconds) == (45, 600)
    assert scenario.simulation.policy == "resolution_rate"
    assert scenario.simulation.channel_rules == {"phone": ("chat", "email"), "chat": ("phone",)}
    item = scenario.workload[0]
    assert item.unresolved == Unresolved(
        delay_seconds=Distribution(kind="exponential", mean=7200.0),
        queue="q",
        probability=0.8,
        max_contacts=3,
    )
    assert item.ivr == Ivr(share=0.6, facts=("date_of_birth",), channels=("phone",))
    context = scenario.context
    assert context.enabled and context.affinity_window_seconds == 3600
    assert context.identify_by == {"phone": "phone", "chat": "chat_session"}
    assert [a.fact for a in context.asks] == ["date_of_birth", "account_number"]
    assert context.asks[1].valid_for == 900.0


@pytest.mark.parametrize("policy", [*AGENT_POLICIES, "experiencehub.core.policies:LongestIdle"])
def test_every_built_in_policy_and_an_importable_one_is_accepted(policy: str) -> None:
    text = GOOD.replace("duration = 3600", f'duration = 3600\npolicy = "{policy}"')
    assert load_scenario_text(text).simulation.policy == policy


def test_the_new_built_in_policies_are_appended() -> None:
    assert AGENT_POLICIES[:6] == (
        "longest_idle",
        "most_proficient",
        "least_occupied",
        "round_robin",
        "fewest_skills",
        "random",
    )
    assert AGENT_POLICIES[6:] == ("fastest", "best_resolution", "resolution_rate")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("handle_time_factor = 0.8", "handle_time_factor = 0",
         "agents[0].handle_time_factor: must be > 0, got 0.0"),
        ("handle_time_factor = 0.8", "handle_time_factor = inf",
         "agents[0].handle_time_factor: must be > 0, got inf"),
        ("resolution = 0.9", "resolution = 1.5",
         "agents[0].resolution: must be a probability in [0, 1], got 1.5"),
        ("resolution = 0.9", "resolution = nan",
         "agents[0].resolution: must be a probability in [0, 1], got nan"),
        ("substitution_slowdown = 0.2", "substitution_slowdown = -0.1",
         "agents[0].substitution_slowdown: must be >= 0, got -0.1"),
        ("concurrency_slowdown = 0.15", "concurrency_slowdown = -1",
         "agents[0].concurrency_slowdown: must be >= 0, got -1.0"),
        ("affinity_seconds = 45", "affinity_seconds = -5",
         "queues[0].affinity_seconds: must be >= 0, got -5.0"),
        ("rejoin_seconds = 600", "rejoin_seconds = inf",
         "queues[0].rejoin_seconds: must be >= 0, got inf"),
        ('queue = "q", probability', 'queue = "x", probability',
         "workload[0].unresolved.queue: unknown queue 'x' (queues: q)"),
        ("probability = 0.8", "probability = 1.2",
         "workload[0].unresolved.probability: must be a probability in [0, 1], got 1.2"),
        ("max_contacts = 3", "max_contacts = 0",
         "workload[0].unresolved.max_contacts: must be >= 1, got 0"),
        ('kind = "exponential", mean = 7200', 'kind = "exponential", mean = -1',
         "workload[0].unresolved.delay_seconds.mean: must be > 0, got -1.0"),
        ("share = 0.6", "share = -0.1",
         "workload[0].ivr.share: must be a probability in [0, 1], got -0.1"),
        ('facts = ["date_of_birth"]', 'facts = ["date_of_birth", "x"]',
         "workload[0].ivr.facts[1]: unknown fact 'x' (asks: date_of_birth, account_number)"),
        ('channels = ["phone"]', 'channels = ["phone", ""]',
         "workload[0].ivr.channels[1]: must be a non-empty string, got ''"),
        ('channels = ["phone"]', "channels = []",
         "workload[0].ivr.channels: must be at least one channel, got []"),
        ("chat = [\"phone\"] }", "chat = [\"phone\"], fax = [] }",
         "simulation.channel_rules.fax: unknown channel 'fax' (channels: chat, email, phone)"),
        ('phone = ["chat", "email"]', 'phone = ["fax"]',
         "simulation.channel_rules.phone[0]: unknown channel 'fax' (channels: chat, email, "
         "phone; '*' blocks every other channel)"),
        ('phone = ["chat", "email"]', 'phone = "chat"',
         "simulation.channel_rules.phone: wrong type, expected a list"),
        ("affinity_window_seconds = 3600", "affinity_window_seconds = -1",
         "context.affinity_window_seconds: must be >= 0, got -1.0"),
        ('chat = "chat_session"', 'chat = "cookie"',
         "context.identify_by.chat: must be one of phone, email, chat_session, account, "
         "got 'cookie'"),
        ("seconds = 25", "seconds = -25", "context.asks[0].seconds: must be >= 0, got -25.0"),
        ("valid_for = 1800", "valid_for = 0", "context.asks[0].valid_for: must be > 0, got 0.0"),
        ('fact = "account_number"', 'fact = "date_of_birth"',
         "context.asks[1].fact: fact 'date_of_birth' is asked twice"),
        ('policy = "resolution_rate"', 'policy = "quickest"',
         "simulation.policy: must be one of " + ", ".join(AGENT_POLICIES)
         + " or 'module:attribute' (a custom policy), got 'quickest'"),
        ('policy = "resolution_rate"', 'policy = "experiencehub.core.policies:Nope"',
         "simulation.policy: policy 'experiencehub.core.policies:Nope': module "
         "'experiencehub.core.policies' has no attribute 'Nope'"),
    ],
)  # fmt: skip
def test_bad_new_values_are_reported_with_their_key_paths(
    old: str, new: str, expected: str
) -> None:
    assert old in FULL
    assert expected in problems_of(FULL.replace(old, new))


def test_a_bad_fact_name_is_reported_by_the_fact_rule() -> None:
    (problem,) = problems_of(FULL.replace('fact = "account_number"', 'fact = "Account Number"'))
    assert problem.startswith("context.asks[1].fact: fact name 'Account Number': must be lower")


def test_ivr_without_asks_has_nothing_to_verify() -> None:
    text = FULL.split("[context]")[0].replace('facts = ["date_of_birth"], ', "")
    assert problems_of(text) == ["workload[0].ivr: nothing to verify: add [[context.asks]]"]


def test_a_broken_context_section_does_not_make_ivr_facts_unknown() -> None:
    found = problems_of(FULL.replace("seconds = 25", 'seconds = "long"'))
    assert found == ["context.asks[0].seconds: must be a number, got 'long' (a string)"]


def test_channel_rules_may_block_every_channel() -> None:
    text = FULL.replace('phone = ["chat", "email"]', 'phone = ["*"]')
    assert load_scenario_text(text).simulation.channel_rules == {
        "phone": ("*",),
        "chat": ("phone",),
    }


def test_a_string_is_not_taken_for_a_list_of_its_letters() -> None:
    found = problems_of(FULL.replace('channels = ["phone"]', 'channels = "phone"'))
    assert found == ["workload[0].ivr.channels: wrong type, expected a list"]


def test_faster_agents_count_for_more_slots_in_the_stability_check() -> None:
    text = GOOD.replace("per_hour = 10", "per_hour = 200")  # 3.3 erlangs on 2 slots
    faster = text.replace(
        "capacity = { phone = 1 }", "capacity = { phone = 1 }\nhandle_time_factor = 0.5"
    )
    assert (
        load_scenario_text(faster).agents[0].handle_time_factor == 0.5
    )  # 2 slots do the work of 4
    slower = text.replace("per_hour = 200", "per_hour = 100").replace(
        "capacity = { phone = 1 }", "capacity = { phone = 1 }\nhandle_time_factor = 2"
    )  # 1.7 erlangs on 2 slots that do the work of 1
    (problem,) = problems_of(slower)
    assert problem.startswith(
        "queues[0]: unstable: offered load 1.7 erlangs >= 1 agent slots (weighted by 1 / handle_time_factor)"
    )


def test_load_policy_object_imports_module_attribute() -> None:
    assert load_policy_object("experiencehub.core.policies:LongestIdle") is LongestIdle
    assert load_policy_object("experiencehub.core.policies:LongestIdle.key") is LongestIdle.key


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("longest_idle", "policy 'longest_idle': must be 'module:attribute'"),
        (":LongestIdle", "policy ':LongestIdle': must be 'module:attribute'"),
        ("experiencehub.core.policies:", "must be 'module:attribute'"),
        ("no_such_module_here:Policy",
         "policy 'no_such_module_here:Policy': cannot import module 'no_such_module_here' "
         "(ModuleNotFoundError: No module named 'no_such_module_here')"),
        ("experiencehub.core.policies:Nope",
         "policy 'experiencehub.core.policies:Nope': module 'experiencehub.core.policies' has "
         "no attribute 'Nope'"),
    ],
)  # fmt: skip
def test_load_policy_object_names_the_spec_and_the_error(spec: str, expected: str) -> None:
    with pytest.raises(ValueError, match=re.escape(expected)):
        load_policy_object(spec)


def test_load_policy_object_reports_errors_raised_while_importing(tmp_path: Path) -> None:
    (tmp_path / "broken_policy_mod.py").write_text("raise RuntimeError('boom')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ValueError, match=r"cannot import module .*\(RuntimeError: boom\)"):
            load_policy_object("broken_policy_mod:Policy")
        found = problems_of(
            GOOD.replace("duration = 3600", 'duration = 3600\npolicy = "broken_policy_mod:P"')
        )
        assert found[0].startswith("simulation.policy: policy 'broken_policy_mod:P': cannot import")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("broken_policy_mod", None)


def test_context_on_needs_channels_the_store_records() -> None:
    text = """
[simulation]
duration = 100
[context]
enabled = true
[[queues]]
name = "q"
channel = "fax"
requires = ["s"]
[[agents]]
group = "g"
count = 1
skills = { s = 1 }
capacity = { fax = 1 }
[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 10 }
handle_seconds = { kind = "exponential", mean = 60 }
"""
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text)
    assert caught.value.problems == [
        "queues[0].channel: 'fax' is not a channel the context store records (one of phone, "
        "chat, email, ivr, sms, web, video, social, messaging); needed with [context] enabled"
    ]
    load_scenario_text(text.replace("enabled = true", "enabled = false"))  # fine without context


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"2026-03-02T08:00"', "2026-03-02T08:00"),
        ('"2026-03-02 08:00Z"', "2026-03-02 08:00Z"),
    ],
)
def test_simulation_start_is_a_date_and_time(value: str, expected: str) -> None:
    text = GOOD.replace("duration = 3600", f"duration = 3600\nstart = {value}")
    assert load_scenario_text(text).simulation.start == expected
    assert load_scenario_text(GOOD).simulation.start is None


def test_simulation_start_that_is_no_date_is_reported() -> None:
    found = problems_of(GOOD.replace("duration = 3600", 'duration = 3600\nstart = "at eight"'))
    assert found == [
        "simulation.start: 'at eight' is not an ISO 8601 date and time (like 2026-03-02T08:00)"
    ]
    unquoted = problems_of(GOOD.replace("duration = 3600", "duration = 3600\nstart = 2026-03-02"))
    assert unquoted == ["simulation.start: must be a string, got datetime.date(2026, 3, 2)"]


def test_the_stability_check_counts_only_agents_the_router_would_use() -> None:
    """A second group has the skill but below the required level: the router never offers it
    the queue's contacts (no stage takes any agent), so its slots do not count."""
    text = GOOD.replace('requires = ["s"]', "requires = { s = 2 }").replace(
        "skills = { s = 1 }", "skills = { s = 2 }"
    ).replace("per_hour = 10", "per_hour = 150")  # 2.5 erlangs
    unable = text + '\n[[agents]]\ngroup = "juniors"\ncount = 3\nskills = { s = 1 }\ncapacity = { phone = 1 }\n'
    (problem,) = problems_of(unable)  # before, the juniors' 3 slots counted: 5 slots, "stable"
    assert problem.startswith("queues[0]: unstable: offered load 2.5 erlangs >= 2 agent slots")
    anyone = unable.replace("requires = { s = 2 }", "requires = { s = 2 }\nstages = [{ after = 0, max_cost = 0 }, { after = 60 }]")
    assert load_scenario_text(anyone).agents[1].group == "juniors"  # a stage takes any agent
