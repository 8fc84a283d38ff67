"""Agent state: transition table, capacity and cross-channel rules."""

from __future__ import annotations

import pytest

from experiencehub import ConfigError, InvalidTransition
from experiencehub.core.agents import AgentState, AgentStatus, ChannelRules, WorkPhase, next_status


def test_transition_table() -> None:
    assert next_status("a1", AgentStatus.AVAILABLE, "away") is AgentStatus.AWAY
    assert next_status("a1", AgentStatus.AWAY, "logout") is AgentStatus.LOGGING_OUT
    with pytest.raises(InvalidTransition, match="a1: cannot go 'available' while logging_out"):
        next_status("a1", AgentStatus.LOGGING_OUT, "available")


def test_default_rules() -> None:
    rules = ChannelRules.default()
    assert rules.blocked_by("phone", "chat") and rules.blocked_by("phone", "email")
    assert not rules.blocked_by("phone", "phone")  # capacity governs the same channel
    assert rules.blocked_by("chat", "phone") and not rules.blocked_by("chat", "email")
    assert not rules.blocked_by("email", "phone")


def test_rules_reject_a_bare_string() -> None:
    with pytest.raises(ConfigError, match="list of channels"):
        ChannelRules.from_mapping({"phone": "chat"})


def test_hold_release_and_capacity() -> None:
    rules = ChannelRules.default()
    agent = AgentState("a1", seq=1, skills={}, capacity={"chat": 2, "email": 1}, at=0.0)
    agent.hold("c1", "chat", WorkPhase.OFFERED)
    agent.hold("c1", "chat", WorkPhase.CONNECTED)  # same contact, new phase: still one slot
    assert agent.load == {"chat": 1, "email": 0}
    agent.hold("c2", "chat", WorkPhase.OFFERED)
    assert not agent.can_take("chat", rules) and agent.can_take("email", rules)
    assert not agent.can_take("phone", rules)  # no phone capacity at all
    agent._check(rules)
    assert agent.release("c1") == "chat"
    assert agent.can_take("chat", rules)
    assert agent.occupancy() == pytest.approx(1 / 3)
