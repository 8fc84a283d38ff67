"""[[workload]] preferred_channel: customers state a preferred channel at their first answered
contact (in the context store) and, offered it when they come back, a share take it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub.sim.engine import run
from experiencehub.sim.scenario import ScenarioError, load_scenario

from .test_customers import ONE_AGENT, make

NEVER_RESOLVES = ONE_AGENT.replace("count = 1", "count = 1\nresolution = 0.0")
BACK = 'unresolved = { delay_seconds = { kind = "deterministic", value = 500 }, queue = "back", max_contacts = 2 }'  # fmt: skip
CONTEXT = "[context]\nenabled = {enabled}"


def returns(tmp_path: Path, preference: str, *, enabled: str = "true", channel: str = "phone",
            arrivals: tuple[float, ...] = (10.0,)) -> list[tuple[str, str]]:  # fmt: skip
    workload = f"{BACK}\npreferred_channel = {{ {preference} }}"
    scenario = make(tmp_path, list(arrivals), agents=NEVER_RESOLVES, workload=workload,
                    channel=channel, context=CONTEXT.format(enabled=enabled))  # fmt: skip
    return [(r.origin, r.queue) for r in run(scenario).records]


def test_a_returning_customer_comes_back_on_the_stated_channel(tmp_path: Path) -> None:
    # the first contact is on the phone queue "q"; the customer says they prefer chat, and the
    # return the scenario sends to "back" goes to the first chat queue instead
    text = 'channel = "chat", used = 1.0'
    workload = f'{BACK}\npreferred_channel = {{ {text} }}'
    scenario = make(tmp_path, [10.0], agents=NEVER_RESOLVES, workload=workload,
                    context=CONTEXT.format(enabled="true"),
                    queue='\n[[queues]]\nname = "web"\nchannel = "chat"\nrequires = ["s"]')  # fmt: skip
    assert [(r.origin, r.queue) for r in run(scenario).records] == [
        ("new", "q"), ("unresolved", "web")
    ]  # fmt: skip


def test_without_context_nobody_offers_the_preferred_channel(tmp_path: Path) -> None:
    assert returns(tmp_path, 'channel = "phone", used = 1.0', enabled="false", channel="chat") == [
        ("new", "q"), ("unresolved", "back")
    ]  # fmt: skip


def test_a_customer_who_declines_comes_back_as_the_scenario_says(tmp_path: Path) -> None:
    assert returns(tmp_path, 'channel = "chat", used = 0.0', channel="chat") == [
        ("new", "q"), ("unresolved", "back")
    ]  # fmt: skip


def test_a_preference_nobody_stated_is_learned_from_contacts(tmp_path: Path) -> None:
    # nobody states one (stated = 0): the store learns chat from the first contact (on chat)
    assert returns(tmp_path, 'channel = "phone", used = 1.0, stated = 0.0', channel="chat") == [
        ("new", "q"), ("unresolved", "q")
    ]  # fmt: skip


def test_preferred_channel_keys_are_checked_with_key_paths(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as raised:
        returns(tmp_path, 'channel = "fax", used = 1.5, stated = -1')
    assert raised.value.problems == [
        "workload[0].preferred_channel.stated: must be a probability in [0, 1], got -1.0",
        "workload[0].preferred_channel.used: must be a probability in [0, 1], got 1.5",
        "workload[0].preferred_channel.channel: no queue serves 'fax' (channels: phone)",
    ]


@settings(max_examples=10, deadline=None)
@given(used=st.floats(0.0, 1.0), stated=st.floats(0.0, 1.0), enabled=st.sampled_from(["true", "false"]))
def test_returns_go_where_the_scenario_says_or_to_the_preferred_channel(
    tmp_path_factory: pytest.TempPathFactory, used: float, stated: float, enabled: str
) -> None:
    tmp = tmp_path_factory.mktemp("pref")
    text = f'channel = "phone", used = {used}, stated = {stated}'
    records = returns(tmp, text, enabled=enabled, channel="chat",
                      arrivals=tuple(10.0 + 7 * i for i in range(12)))  # fmt: skip
    back = [queue for origin, queue in records if origin == "unresolved"]
    assert len(back) == 12
    # "q" is the chat queue here and "back" the first phone queue: a stated preference (phone)
    # brings the customer to "back", a learned one (chat, where they first came) to "q"
    assert set(back) <= ({"back"} if enabled == "false" else {"back", "q"})


def test_the_example_scenario_brings_some_callers_back_on_chat() -> None:
    root = Path(__file__).resolve().parents[2]
    scenario = load_scenario(root / "scenarios" / "self-service.toml")
    scenario = scenario.with_overrides(duration=7200.0)

    def came_back(enabled: bool) -> Counter[str]:
        records = run(scenario.with_context(enabled)).records
        return Counter(r.queue for r in records if r.segment == "retail" and r.origin != "new")

    assert set(came_back(False)) == {"phone"}
    on = came_back(True)
    assert on["chat"] > 0 and on["phone"] > 0
