from __future__ import annotations

import pytest

from experiencehub import ConfigError
from experiencehub.context import AffinityProvider, Identity, StoreAffinity
from experiencehub.context.store import StoreBase


def test_last_agent_on_any_channel_wins_then_owner(store: StoreBase) -> None:
    cust = store.resolve(Identity("account", "AC-1"), at=0.0)
    affinity = StoreAffinity(store, window_seconds=3600)
    assert isinstance(affinity, AffinityProvider)
    assert affinity.preferred_agents(cust, 0.0) == ()
    store.set_owner(cust, "owner-1", at=0.0)
    assert affinity.preferred_agents(cust, 0.0) == ("owner-1",)
    store.record_contact(cust, contact_id="c1", channel="email", at=10.0, agent_id="a1")
    store.record_contact(cust, contact_id="c2", channel="chat", at=20.0, agent_id="a2")
    assert affinity.preferred_agents(cust, 100.0) == ("a2",)
    assert affinity.preferred_agents(cust, 20.0 + 3601) == ("owner-1",)


def test_window_must_be_a_non_negative_number(store: StoreBase) -> None:
    with pytest.raises(ConfigError):
        StoreAffinity(store, window_seconds=-1)
