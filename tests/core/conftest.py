"""Fixtures shared by the routing-core tests."""

from __future__ import annotations

import pytest

from experiencehub import QueueSpec, Router, SkillGraph, Stage


@pytest.fixture
def support_router() -> Router:
    """One phone queue needing skill 'support', agents offered contacts for 30 s."""
    return Router(SkillGraph(), [QueueSpec("support", channel="phone", requires={"support": 1})])


@pytest.fixture
def omni_router() -> Router:
    """Phone, chat and email queues on one skill; billing with substitution stages."""
    skills = SkillGraph()
    skills.add_substitute("billing.uk", serves="billing.eu", cost=2)
    return Router(
        skills,
        [
            QueueSpec("support", channel="phone", requires={"support": 1}),
            QueueSpec("chat", channel="chat", requires={"support": 1}),
            QueueSpec("email", channel="email", requires={"support": 1}),
            QueueSpec(
                "billing-eu",
                channel="phone",
                requires={"billing.eu": 2},
                stages=[
                    Stage(after=0, max_cost=0),
                    Stage(after=30, max_cost=2),
                    Stage(after=90, max_cost=None),
                ],
            ),
        ],
    )
